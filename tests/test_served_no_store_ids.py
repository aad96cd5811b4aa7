"""What is served on the defence names every record by its exhibit (``JA/7, sms rowid 477``), never
by a hex id: no store event id or source id, no review-decision id (``C``/``P``/``T``/``B``/``L`` + hex,
the handles officers type in the team's tools), no hash used as an id. The only hex a served output
may hold is a SHA-256 that identifies a file (in full, or shortened with "…" after "sha256"), and a
record's own name in its source where the source names it so (a UFED ``report.xml`` model id, a
UUID a person finds in that file). The reviewer's note (a team output) may carry decision ids, but
never a store id either.

All on the rejected-ex case reported once per session (``_report_cases``), and its GIS exports.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from pathlib import Path

import openpyxl
import pytest
from _report_cases import Reported, rejected_ex_reported
from docx import Document

from atlas.store import Case

HEX_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{8,}(?![0-9A-Za-z])")
"""Eight or more hex digits standing alone (a run inside a longer word is not one)."""
SHA256 = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{64}(?![0-9A-Za-z])")
"""A file's SHA-256, in full: legitimate (it identifies a file, not a record)."""
SHORT_HASH = re.compile(r"(?i)(sha-?256:? )([0-9a-f]{8,63})\u2026")
"""A file's SHA-256 shortened for a sentence (``sha256 b561f268508353e9…``): legitimate."""
UUID = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9A-Za-z])")
"""A UFED model id: the source's own name for the record (``JA/13, report.xml model <uuid>``)."""
DECISION_ID = re.compile(r"\b[CPTBL][0-9a-f]{8,}\b")
"""A review decision's id, typed by officers in the team's tools: never in what is served."""


@pytest.fixture(scope="module")
def reported() -> Reported:
    return rejected_ex_reported()


def _docx_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    for section in doc.sections:
        parts += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    return "\n".join(parts)


def _xlsx_text(path: Path) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(" | ".join("" if v is None else str(v) for v in row)
                     for ws in wb.worksheets for row in ws.iter_rows(values_only=True))


def _text(path: Path) -> str:
    if path.suffix == ".docx":
        return _docx_text(path)
    if path.suffix == ".xlsx":
        return _xlsx_text(path)
    return path.read_text(encoding="utf-8")


def offending(text: str, store_ids: Iterable[str], *, decision_ids_allowed: bool = False) -> list[str]:
    """Every hex id in ``text`` that is not a file's hash or a source's own record name, with context."""
    plain = UUID.sub("<uuid>", SHA256.sub("<sha256>", SHORT_HASH.sub(r"\1<sha256>", text)))
    found = [f"store id {i!r}" for i in store_ids if i in plain]
    if not decision_ids_allowed:
        found += [f"decision id {m.group(0)!r}" for m in DECISION_ID.finditer(plain)]
    for m in HEX_RUN.finditer(plain):
        if not m.group(0).isdigit():  # digits only: a phone number, a count, a date
            found.append(f"hex {plain[max(0, m.start() - 40):m.end() + 20]!r}")
    return found


def _store_ids(case_dir: Path) -> set[str]:
    """The case's source ids (the first part of every event id)."""
    return set(Case.open(case_dir).source_ids())


def served_files(out: Path) -> list[Path]:
    """Everything served: the statement, the schedules, and every exhibit Atlas produced that holds text."""
    with (out / "exhibits.csv").open(encoding="utf-8") as fh:
        produced = [out / r["filename"] for r in csv.DictReader(fh) if r["kind"] != "source"]
    fixed = [out / n for n in ("statement.docx", "statement.html", "exhibits.csv", "exhibits.xlsx",
                               "unused-material.csv", "unused-material.xlsx", "unused-material.html")]
    return fixed + [p for p in produced if p.suffix in (".csv", ".docx", ".xlsx", ".html")]


def test_the_check_finds_each_kind_of_id() -> None:
    """The check itself can fail: a store id, an event id, a decision id, a hash used as an id."""
    ids = {"86ba35aa4d74133c"}
    assert offending("JA/1, row 61; 86ba35aa4d74133c/row 61", ids)
    assert offending("contact f6db7b29520d6c88/sheet SMS row 132", set())
    assert offending("possible breach P1a2b3c4d, confirmed", set())
    assert offending("link L0316688cb2 followed", set())
    assert offending('<Placemark id="f2c83a9523e244328556f">', set())
    assert offending("name:1b48025e0e446453:D", set())
    # and passes what is legitimate
    sha = "86ba35aa4d74133ca712b83b7d27741cc5997d113b757a4e16e44db5b0ff193d"
    assert not offending(f"JA/1 | {sha} | 07700900002 | legal_rules.toml (sha256 b561f268508353e9\u2026)", ids)
    assert not offending("JA/13, report.xml model e61076c8-cb33-44b5-9f49-99dabb89df06", ids)


def test_no_served_output_names_a_record_by_a_hex_id(reported: Reported) -> None:
    ids = _store_ids(reported.case_dir)
    files = served_files(reported.out)
    names = {p.name for p in files}
    assert {"contacts.csv", "incidents.csv", "breaches.csv", "colocations.csv", "events.csv", "chronology.csv",
            "technical-annex.docx"} <= names, names
    bad = {p.name: found[:3] for p in files if (found := offending(_text(p), ids))}
    assert not bad, bad


def test_no_gis_export_names_a_record_by_a_hex_id(reported: Reported, tmp_path: Path) -> None:
    from atlas.export.run import export

    case = Case.open(reported.case_dir)
    ids = _store_ids(reported.case_dir)
    for fmt in ("geojson", "kml"):
        path = tmp_path / f"map.{fmt}"
        export(case, fmt, path)
        found = offending(path.read_text(encoding="utf-8"), ids)
        assert not found, (fmt, found[:3])
    doc = json.loads((tmp_path / "map.geojson").read_text(encoding="utf-8"))
    positions = [f for f in doc["features"] if f["properties"]["feature"] == "position"]
    assert positions and all(f["id"] == f"position:{f['properties']['exhibit']}" for f in positions)
    assert len({f["id"] for f in doc["features"]}) == len(doc["features"])  # still unique: exhibit records are


def test_the_reviewers_note_has_decision_ids_but_never_a_store_id(reported: Reported) -> None:
    ids = _store_ids(reported.case_dir)
    for name in ("reviewer-note.docx", "reviewer-note.html"):
        text = _text(reported.out / name)
        assert not offending(text, ids, decision_ids_allowed=True), name


def test_the_html_report_carries_no_store_id_even_in_its_data(reported: Reported) -> None:
    """report.html (the investigator's working view) once carried every embedded record's event id
    (``<source id>/<place>``) as the key its tables looked records up by: never shown, but in the page
    a person saves, searches or copies from. Records are now looked up by their position among the
    embedded ones; a source's SHA-256 (the exhibits table) is the only long hex left."""
    ids = _store_ids(reported.case_dir)
    text = (reported.out / "report.html").read_text(encoding="utf-8")
    plain = SHA256.sub("<sha256>", text)
    assert not [i for i in ids if i in plain]
    assert '\\"_ids\\"' in text or '"_ids"' in text  # the look-up is still there, by position


def test_events_csv_refuses_two_records_with_one_exhibit_reference() -> None:
    """The join key must name each record once: two records whose places differ only in blanks
    (``row 3`` and ``row 3 ``, the same reference once trimmed) are refused, never written ambiguous."""
    import polars as pl

    from atlas.errors import AtlasError
    from atlas.exhibits import record_ref_expr
    from reports.citations import served_events

    refs = {"aaaaaaaaaaaaaaaa": "TO/1"}
    cited = pl.DataFrame({"event_id": ["aaaaaaaaaaaaaaaa/row 3", "aaaaaaaaaaaaaaaa/row 3 "],
                          "source_id": ["aaaaaaaaaaaaaaaa"] * 2, "source_ref": ["row 3", "row 3 "],
                          "sender": ["tel:+447700900001"] * 2, "recipients": [""] * 2})
    cited = cited.with_columns(record_ref_expr(refs).alias("exhibit"))
    with pytest.raises(AtlasError, match="no exhibit reference of their own"):
        served_events(cited, refs)
    assert served_events(cited.head(1), refs).get_column("exhibit").to_list() == ["TO/1, row 3"]
