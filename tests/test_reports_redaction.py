"""``atlas report --redact-third-parties``: no name, number or message text of a person who is
not a party remains in any output, each output says so, and the numbers do not change."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from html import unescape
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from _report_cases import AS_OF, Reported, rejected_ex_reported

from atlas.store import Case
from reports.redaction import NOTE


@pytest.fixture(scope="module")
def redacted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Reported, Path, dict[str, Any]]:
    from atlas.cli import main

    reported = rejected_ex_reported()
    out = tmp_path_factory.mktemp("redacted")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["report", str(reported.case_dir), "--out", str(out), "--as-of", AS_OF, "--json",
                     "--redact-third-parties"]) == 0
    return reported, out, json.loads(buf.getvalue())


def _texts(out: Path, printed: dict[str, Any]) -> dict[str, str]:
    """Every output as text: CSV/HTML as written (HTML entities resolved), DOCX/XLSX parts unzipped."""
    found = {"stdout.json": json.dumps(printed, ensure_ascii=False)}
    for path in sorted(out.rglob("*")):
        if path.suffix in (".csv", ".html"):
            found[str(path.relative_to(out))] = unescape(unescape(path.read_text(encoding="utf-8")))
        elif path.suffix in (".docx", ".xlsx"):
            with zipfile.ZipFile(path) as z:
                found[str(path.relative_to(out))] = unescape("".join(
                    z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")))
    return found


def _third_parties(reported: Reported) -> tuple[set[str], set[str], set[str]]:
    """(names, numbers, message texts) of the generator's background people: not parties in the case."""
    people = [p for p in reported.truth["parties"].values() if p["group"] == "background"]
    names = {p["name"] for p in people}
    numbers = {i.removeprefix("tel:") for p in people for i in p["identifiers"] if i.startswith("tel:")}
    ids = {i for p in people for i in p["identifiers"]}
    ev = Case.open(reported.case_dir).events().select("sender", "recipients", "text").collect()
    involved = pl.col("sender").is_in(sorted(ids)) | pl.col("recipients").list.eval(
        pl.element().is_in(sorted(ids))).list.any()
    theirs = set(ev.filter(involved & pl.col("text").is_not_null()).get_column("text").to_list())
    others = set(ev.filter(~involved & pl.col("text").is_not_null()).get_column("text").to_list())
    return names, numbers, {t for t in theirs - others if len(t) >= 12}


def test_no_third_party_name_number_or_text_remains_in_any_output(
        redacted: tuple[Reported, Path, dict[str, Any]]) -> None:
    reported, out, printed = redacted
    names, numbers, texts = _third_parties(reported)
    assert names and numbers and texts  # the case has bystanders to redact
    outputs = _texts(out, printed)
    assert {"statement.docx", "reviewer-note.docx", "report.html", "unused-material.xlsx", "events.csv",
            "technical-annex.docx"} <= set(outputs)
    for where, text in outputs.items():
        for name in names:
            assert name not in text, (where, name)
        for number in numbers:
            national = "0" + number.removeprefix("+44")
            for form in (number, number.removeprefix("+"), national, f"{national[:5]} {national[5:]}"):
                assert form not in text, (where, form)
        for message in texts:
            assert message not in text, (where, message)
    unredacted = _texts(reported.out, reported.report_json)
    assert any(n in t for t in unredacted.values() for n in names | numbers)  # the test can see a leak


def test_every_output_says_it_is_redacted_and_pseudonyms_are_stable(
        redacted: tuple[Reported, Path, dict[str, Any]]) -> None:
    reported, out, printed = redacted
    for where, text in _texts(out, printed).items():
        if where.startswith("figures/"):
            continue
        assert NOTE in text, where
    schedule = (out / "unused-material.csv").read_text(encoding="utf-8")
    assert "Third party " in schedule
    assert printed["facts"] == reported.report_json["facts"]  # redaction changes names, never numbers
    assert printed["reviewer_note"] == reported.report_json["reviewer_note"]
    from atlas.cli import main

    again = out.parent / (out.name + "-again")
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["report", str(reported.case_dir), "--out", str(again), "--as-of", AS_OF,
                     "--redact-third-parties"]) == 0
    assert (again / "unused-material.csv").read_text(encoding="utf-8") == schedule  # same pseudonyms


def test_a_third_party_named_in_an_officers_note_or_decision_is_redacted(tmp_path: Path) -> None:
    """Officers type names and numbers the data never tied to anyone: a note and a dismissal
    reason naming a bystander show the pseudonym when redacted, the words when not."""
    import shutil

    from atlas.cli import main

    reported = rejected_ex_reported()
    case_dir = tmp_path / "case"
    shutil.copytree(reported.case_dir, case_dir)
    person = min((p for p in reported.truth["parties"].values() if p["group"] == "background"),
                 key=lambda p: p["name"])
    number = min(i.removeprefix("tel:") for i in person["identifiers"] if i.startswith("tel:"))
    national = "0" + number.removeprefix("+44")
    written = f"{national[:5]} {national[5:]}"  # as an officer types it, not as the data stores it
    said = f"Spoke to {person['name']} on {written} about the party"
    listed = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["note", str(case_dir), said]) == 0
    with contextlib.redirect_stdout(listed):
        assert main(["threats", str(case_dir), "--json"]) == 0
    first = json.loads(listed.getvalue())["candidates"][0]
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["threats", str(case_dir), "--dismiss", first["id"], "--note", f"banter: {said}"]) == 0
    outs = {}
    for flag in ([], ["--redact-third-parties"]):
        out = tmp_path / ("redacted" if flag else "plain")
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["report", str(case_dir), "--out", str(out), "--as-of", AS_OF, *flag]) == 0
        outs[bool(flag)] = _texts(out, {})
    assert said in outs[False]["reviewer-note.html"] and said in outs[False]["reviewer-note.docx"]
    assert f"banter: {said}" in outs[False]["unused-material.csv"]  # the MG6C row of the dismissed flag
    for where in ("reviewer-note.html", "reviewer-note.docx", "unused-material.csv", "unused-material.html",
                  "unused-material.xlsx", "report.html"):
        for form in (person["name"], written, number):
            assert form not in outs[True][where], (where, form)
    assert "Spoke to Third party " in outs[True]["reviewer-note.html"]
    assert "banter: Spoke to Third party " in outs[True]["unused-material.csv"]
