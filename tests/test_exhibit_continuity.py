"""Exhibit continuity (who supplied each source, when it was received, its seal): recorded at
ingest or later, audited, and given in the statement and the exhibit schedule."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from docx import Document

from atlas.store import Case
from atlas.store.continuity import read_all


def _statement_rows(out: Path) -> dict[str, list[str]]:
    doc = Document(str(out / "statement.docx"))
    table = next(t for t in doc.tables if [c.text for c in t.rows[0].cells] == ["Exhibit", "Item", "Continuity", "SHA-256"])
    return {row.cells[0].text: [c.text for c in row.cells] for row in table.rows[1:]}


def test_ingest_records_continuity_and_the_statement_and_schedule_give_it(
        case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object], tmp_path: Path) -> None:
    run = atlas("ingest", case_dir, whatsapp_samples / "test_ddmmyy_24hrs.txt", "--owner", "victim",
                "--exhibit-from", "DC 4321 Lee, DFU", "--received", "2026-11-20", "--seal", "MPS-0001")
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    case = Case.open(case_dir)
    sha = case.sources().get_column("sha256").item()
    rec = read_all(case)[sha]
    assert (rec.supplied_by, rec.received.isoformat() if rec.received else "", rec.seal) == (
        "DC 4321 Lee, DFU", "2026-11-20", "MPS-0001")
    assert atlas("report", case_dir, "--out", tmp_path / "out", "--as-of", "2026-11-25").code == 0  # type: ignore[attr-defined]
    row = _statement_rows(tmp_path / "out")["AO/1"]
    assert row[2] == "Received from DC 4321 Lee, DFU, on 20/11/2026, seal/bag MPS-0001" and row[3] == sha
    sched = {r["reference"]: r for r in csv.DictReader((tmp_path / "out" / "exhibits.csv").open(encoding="utf-8"))}
    assert sched["AO/1"]["received"] == "supplied by DC 4321 Lee, DFU; received 20/11/2026; seal/bag MPS-0001"


def test_continuity_is_corrected_by_exhibit_reference_and_every_change_is_audited(
        case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object], tmp_path: Path) -> None:
    assert atlas("ingest", case_dir, whatsapp_samples / "test_ddmmyy_24hrs.txt", "--owner", "victim").code == 0  # type: ignore[attr-defined]
    assert atlas("report", case_dir, "--out", tmp_path / "out").code == 0  # type: ignore[attr-defined]
    assert _statement_rows(tmp_path / "out")["AO/1"][2] == (
        "[Officer to complete: supplied by; date received; seal or bag number]")
    run = atlas("exhibit", "continuity", case_dir, "AO/1", "--seal", "MPS-9", "--received", "2026-11-21", "--json")
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    assert json.loads(run.out)["seal"] == "MPS-9"  # type: ignore[attr-defined]
    assert atlas("exhibit", "continuity", case_dir, "AO/1", "--from", "EE Ltd (SPoC)").code == 0  # type: ignore[attr-defined]
    listed = json.loads(atlas("exhibit", "continuity", case_dir, "--json").out)  # type: ignore[attr-defined]
    assert [(r["supplied_by"], r["received"], r["seal"], r["complete"]) for r in listed] == [
        ("EE Ltd (SPoC)", "2026-11-21", "MPS-9", True)]
    changes = [r["detail"] for r in Case.open(case_dir).audit_log() if r["action"] == "exhibit-continuity"]
    assert [c["after"]["seal"] for c in changes] == ["MPS-9", "MPS-9"]
    assert changes[1]["before"]["supplied_by"] == "" and changes[1]["after"]["supplied_by"] == "EE Ltd (SPoC)"
    bad = atlas("exhibit", "continuity", case_dir, "AO/7", "--seal", "x")
    assert bad.code == 2 and "AO/7 is not a source exhibit of this case" in bad.err  # type: ignore[attr-defined]
    bad = atlas("exhibit", "continuity", case_dir, "AO/1", "--received", "20/11/2026")
    assert bad.code == 2 and "is not a date (YYYY-MM-DD)" in bad.err  # type: ignore[attr-defined]


def test_a_statement_date_in_case_toml_before_an_exhibit_was_received_is_refused(
        case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object], tmp_path: Path) -> None:
    assert atlas("ingest", case_dir, whatsapp_samples / "test_ddmmyy_24hrs.txt", "--owner", "victim",
                 "--received", "2026-11-20").code == 0  # type: ignore[attr-defined]
    toml = case_dir / "case.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("# statement_date = 2026-12-01",
                                                             "statement_date = 2026-11-01"), encoding="utf-8")
    run = atlas("report", case_dir, "--out", tmp_path / "out")
    assert run.code == 2  # type: ignore[attr-defined]
    assert "statement_date 01/11/2026 is before an exhibit was received (20/11/2026)" in run.err  # type: ignore[attr-defined]
    toml.write_text(toml.read_text(encoding="utf-8").replace("statement_date = 2026-11-01",
                                                             "statement_date = 2026-12-01"), encoding="utf-8")
    assert atlas("report", case_dir, "--out", tmp_path / "out").code == 0  # type: ignore[attr-defined]
    text = "\n".join(p.text for p in Document(str(tmp_path / "out" / "statement.docx")).paragraphs)
    assert "Date: 01/12/2026" in text
