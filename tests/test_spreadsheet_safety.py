"""CSV/XLSX outputs never carry a live formula; JSON/Parquet keep the text as written."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from atlas.spreadsheet_safety import neutralise, neutralise_value

HOSTILE = ['=HYPERLINK("http://example.invalid/x","click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
           "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def test_every_trigger_character_gets_an_apostrophe_and_the_rest_is_unchanged() -> None:
    frame = pl.DataFrame({"text": [*HOSTILE, "hello", "", None, "a=b", "-0.1278", "+447700900123", "- item"]})
    out = neutralise(frame).get_column("text").to_list()
    assert out[: len(HOSTILE)] == ["'" + h for h in HOSTILE]
    # text that only contains a trigger later, a plain signed number and nulls stay as they were
    assert out[len(HOSTILE):] == ["hello", "", None, "a=b", "-0.1278", "+447700900123", "'- item"]


def test_lists_categoricals_and_non_text_columns() -> None:
    frame = pl.DataFrame({
        "recipients": [["=evil", "tel:+447700900001"], []],
        "label": pl.Series(["@x", "ok"], dtype=pl.Categorical),
        "n": [-1, 2],
    })
    out = neutralise(frame)
    assert out.get_column("recipients").to_list() == [["'=evil", "tel:+447700900001"], []]
    assert out.get_column("label").to_list() == ["'@x", "ok"]
    assert out.get_column("n").to_list() == [-1, 2]
    assert neutralise_value("=1") == "'=1" and neutralise_value("1") == "1"


def _chat(path: Path) -> Path:
    lines = ["01/03/2026, 12:00 - Alice: hello"] + [
        f"01/03/2026, 12:{i + 1:02d} - Dan: {h}" for i, h in enumerate(HOSTILE[:4])
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_timeline_csv_is_neutralised_and_parquet_and_jsonl_keep_the_original(
    case_dir: Path, tmp_path: Path, atlas: Callable[..., Any]
) -> None:
    chat = _chat(tmp_path / "ev" / "WhatsApp Chat with Dan.txt")
    assert atlas("ingest", case_dir, chat).code == 0
    for ext in ("csv", "parquet", "jsonl"):
        r = atlas("timeline", case_dir, "--out", tmp_path / f"t.{ext}")
        assert r.code == 0, r.err
    with (tmp_path / "t.csv").open(newline="", encoding="utf-8") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    assert ["'" + h for h in HOSTILE[:4]] == [t for t in texts if t != "hello"]
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)
    parquet = pl.read_parquet(tmp_path / "t.parquet").get_column("text").to_list()
    assert set(HOSTILE[:4]) <= set(parquet)
    jsonl = [json.loads(line)["text"] for line in (tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()]
    assert set(HOSTILE[:4]) <= set(jsonl)


def test_graph_edge_csv_is_neutralised(tmp_path: Path) -> None:
    from atlas.graph import build_graph
    from atlas.graph.export import write_csv
    from atlas.store import Case
    from tests.identity_helpers import make_case, msg

    case: Case = make_case(tmp_path / "c", [msg("tel:+447700900002", "=cmd|'/c calc'!A1", 0),
                                           msg("tel:+447700900002", "tel:+447700900001", 1)])
    from atlas.exhibits import source_refs

    cg = build_graph(case)
    out = write_csv(cg, tmp_path / "edges.csv", source_refs(case))
    cells = [c for row in csv.reader(out.open(newline="", encoding="utf-8")) for c in row]
    assert any(c.startswith("'=cmd") for c in cells)
    assert not any(c.startswith("=") for c in cells)


def test_exhibit_schedule_csv_and_xlsx_hold_the_same_neutralised_rows(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    import openpyxl

    from reports.exhibits import Exhibit, write_schedule

    hostile = Exhibit(key="source:ab", reference="JA/1", number=1, kind="source", description="source file",
                      filename="=HYPERLINK(\"http://example.invalid\").txt", sha256="ab" * 32, size=10)
    write_schedule([hostile], tmp_path / "x.csv", tmp_path / "x.xlsx", title="t", created=datetime(2026, 1, 1, tzinfo=UTC))
    row = next(csv.DictReader((tmp_path / "x.csv").open(newline="", encoding="utf-8")))
    assert row["filename"] == "'" + hostile.filename
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx").active
    assert ws is not None
    header = [c.value for c in ws[1]]
    cell = ws.cell(row=2, column=header.index("filename") + 1)
    assert cell.value == "'" + hostile.filename and cell.data_type == "s"  # text, never a formula


def test_events_csv_of_a_report_is_neutralised(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from reports.citations import write_events_csv
    cited = pl.DataFrame({"ts_utc": [datetime(2026, 3, 1, 12, tzinfo=UTC)], "text": ["=1+1"], "sender": ["@x"]})
    path = write_events_csv(cited, tmp_path / "events.csv")
    row = next(csv.DictReader(path.open(newline="", encoding="utf-8")))
    assert (row["text"], row["sender"]) == ("'=1+1", "'@x")
