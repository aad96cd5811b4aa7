"""A served cell that lists records (a table's ``exhibits``, events.csv's ``cited_by`` and
``recipients``) splits back into exactly the items written, whatever a record's place holds: a
place can hold "; " (an XLSX sheet named ``SMS; Texts``) or "," (a path, a model name), and every
item of an ``exhibits`` cell must then still be the ``exhibit`` of exactly one events.csv row.

And the references themselves stay one a record: a parser's place that differs from another only
in blanks at its ends (a sheet `` Calls`` beside ``Calls``, a Cellebrite id ``X `` beside ``X``)
would be one exhibit reference once trimmed, and events.csv refuses that: the parsers now quote
such names, and number Cellebrite's repeated ids past any id the report already holds.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlsxwriter
from _report_cases import truth_aliases

from atlas.exhibits import BLANK, join_list, join_list_expr, list_item, record_ref, split_list
from atlas.store import Case
from parsers import cellebrite_xml, tool_export
from parsers.base import PLACE_BLANK, ParseContext, quoted_name

# --- the rule ------------------------------------------------------------------------------------

AWKWARD = [
    [], [""], ["JA/1, row 3"], ["JA/1, Calls; Texts row 5", "JA/2, row 3"],
    ['JA/3, "quoted" row 1', "a;b", " lead", "trail ", "x\ny", '""', ";", "; ", "JA/4, sdcard/a, b.jpg"],
]


@pytest.mark.parametrize("items", AWKWARD)
def test_a_listed_cell_splits_back_exactly_by_the_rule_and_by_a_csv_reader(items: list[str]) -> None:
    cell = join_list(items)
    assert split_list(cell) == items
    as_column = pl.DataFrame({"l": [items]}, schema={"l": pl.List(pl.String)}).select(join_list_expr(pl.col("l")))
    assert as_column.item() == cell  # the Polars form is the same rule
    if items:  # what the annex tells a reader to use
        assert next(csv.reader([cell], delimiter=";", skipinitialspace=True)) == items


def test_a_plain_reference_is_written_as_it_is() -> None:
    """Nothing changes for the references every case has (``JA/7, sms rowid 477``)."""
    refs = ["JA/7, sms rowid 477", "JA/13, report.xml model e61076c8-cb33", "JA/2, SMS Messages row 10"]
    assert join_list(refs) == "; ".join(refs)
    assert list_item("JA/1, Calls; Texts row 5") == '"JA/1, Calls; Texts row 5"'


def test_the_parsers_trim_the_same_blanks_as_an_exhibit_reference() -> None:
    assert PLACE_BLANK == BLANK


# --- the parsers keep one reference a record -----------------------------------------------------

CALL_HEAD = ["#", "Type", "Parties", "Timestamp: Date", "Timestamp: Time", "Duration", "Source", "Deleted"]


def _call(n: int) -> list[str]:
    return [str(n), "Incoming", "From: +447700900002 Dan", "01/01/2026", f"00:{n:02d}:00(UTC+0)", "00:00:10", "Phone", ""]


def test_tool_export_sheets_differing_only_at_their_edges_give_distinct_exhibit_references(tmp_path: Path) -> None:
    """``Calls`` and `` Calls`` (a leading blank Excel allows) gave ``Calls row 2`` and `` Calls row 2``:
    distinct in the store, one reference once trimmed, so events.csv could not be written. A sheet
    named ``{}`` broke the reference's format string."""
    path = tmp_path / "export.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for name in ("Calls", " Calls", "Calls {}"):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, CALL_HEAD)
        ws.write_row(1, 0, _call(1))
    wb.close()
    result = tool_export.parse(path, ParseContext(source_id="src", path=path, owner="tel:+447700900001"))
    refs = result.events.get_column("source_ref").to_list()
    assert sorted(refs) == sorted(["Calls row 2", "' Calls' row 2", "Calls {} row 2"])
    shown = [record_ref("JA/1", r) for r in refs]
    assert len(set(shown)) == len(shown)
    assert quoted_name("it's") == "it's" and quoted_name("'x'") == "'''x'''" and quoted_name(" ") == "' '"


def test_snapchat_conversations_differing_only_at_their_edges_give_distinct_exhibit_references(tmp_path: Path) -> None:
    from parsers import snapchat

    item = {"From": "sam.partner26", "Media Type": "TEXT", "Created": "2026-03-01 10:00:00 UTC", "Content": "hi",
            "Conversation Title": None, "IsSender": False}
    path = tmp_path / "chat_history.json"
    path.write_text(json.dumps({"sam.partner26": [item], " sam.partner26": [item], "bob": [item, item]}),
                    encoding="utf-8")
    refs = snapchat.parse(path, ParseContext(source_id="src", path=path)).events.get_column("source_ref").to_list()
    assert sorted(refs) == sorted(["sam.partner26[0]", "' sam.partner26'[0]", "bob[0]", "bob[1]"])
    assert len({record_ref("JA/1", r) for r in refs}) == len(refs)


NS = "http://pa.cellebrite.com/report/2.0"


def _sms(mid: str, minute: int) -> str:
    return (f'<model type="SMS" id="{mid}" deleted_state="Intact" decoding_confidence="High">'
            f'<field name="TimeStamp" type="TimeStamp"><value type="TimeStamp" format="TimeStampKnown">'
            f"2026-03-03T08:{minute:02d}:00.000+00:00</value></field>"
            f'<field name="Body" type="String"><value type="String"><![CDATA[m{minute}]]></value></field></model>')


def test_cellebrite_ids_at_their_edges_and_repeated_ids_keep_one_reference_a_model(tmp_path: Path) -> None:
    """``X `` beside ``X`` would be one reference once trimmed; ``X`` twice beside a model whose own id
    is ``X#2`` gave two ``X#2`` (the ingest failed on the duplicate). Each model keeps its own."""
    ids = ["X", "X ", "X", "X#2", "Y", "Y"]
    body = "".join(_sms(mid, i) for i, mid in enumerate(ids))
    path = tmp_path / "report.xml"
    path.write_text(f'<?xml version="1.0" encoding="utf-8"?><project id="p" name="h" reportVersion="7.60" '
                    f'xmlns="{NS}"><decodedData><modelType type="SMS">{body}</modelType></decodedData></project>',
                    encoding="utf-8")
    result = cellebrite_xml.parse(path, ParseContext(source_id="src", path=path))
    refs = result.events.get_column("source_ref").to_list()
    assert refs == [f"report.xml model {r}" for r in ("X", "'X '", "X#3", "X#2", "Y", "Y#2")]
    assert len({record_ref("JA/1", r) for r in refs}) == len(refs)
    # the assumption says a number may be skipped (X's second is #3: #2 is another model's own id)
    assert any("each the next number no other model's reference already holds" in a for a in result.assumptions)


# --- a reported case whose tool-export sheets are named with "; " ----------------------------------

SHEETS = {"SMS Messages": 'SMS; Texts "inbox"', "Calls": "Calls; Voice"}


@pytest.fixture(scope="module")
def reported() -> Iterator[tuple[Path, Path]]:
    """The rejected-ex case with its victim-handset export (Cellebrite "Export to Excel" layout)
    saved with its sheets renamed as :data:`SHEETS`, ingested, the true aliases confirmed by an
    officer, and reported."""
    from atlas.cli import main
    from atlas.demo import ingest_generated
    from atlas.identity.ledger import officer_link
    from fixtures.generate import generate

    root = Path(tempfile.mkdtemp(prefix="atlas-served-lists-"))
    try:
        case_dir = root / "case"
        generate("rejected-ex", 1, 0.12, case_dir)
        export = next((case_dir / "sources").rglob("*Excel export.xlsx"))
        wb = openpyxl.load_workbook(export)
        for old, new in SHEETS.items():
            wb[old].title = new
        wb.save(export)
        ingest_generated(case_dir)
        truth = json.loads((case_dir / "truth.json").read_text(encoding="utf-8"))
        case = Case.open(case_dir)
        for pid, alias in truth_aliases(case, truth):
            officer_link(case, f"party:{pid}", alias, "officer-decision", note="test: confirmed after review")
        out = root / "out"
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["report", str(case_dir), "--out", str(out), "--as-of", "2026-11-22"]) == 0
        yield case_dir, out
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_exhibits_item_is_one_events_csv_row(reported: tuple[Path, Path]) -> None:
    _, out = reported
    events = [r["exhibit"] for r in _rows(out / "events.csv")]
    assert len(set(events)) == len(events)
    known = set(events)
    assert any("; " in e for e in known)  # the sheets' names reach the references
    with_sheets = 0
    for name in ("contacts.csv", "incidents.csv", "breaches.csv", "colocations.csv"):
        rows = _rows(out / name)
        for row in rows:
            items = split_list(row["exhibits"])
            assert items and all(i in known for i in items), (name, row["exhibits"])
            assert len(items) == int(row["records"]), (name, row["exhibits"])
            with_sheets += any("; " in i for i in items)
    assert with_sheets
    # the old cell (items "; "-joined as they are) did not split back: the test can fail
    contacts = _rows(out / "contacts.csv")
    naive = [i for r in contacts for i in r["exhibits"].replace('"', "").split("; ")]
    assert any(i not in known for i in naive)


def test_the_other_listed_cells_split_back(reported: tuple[Path, Path]) -> None:
    _, out = reported
    events = _rows(out / "events.csv")
    known = {r["exhibit"] for r in events}
    for r in _rows(out / "chronology.csv"):
        assert all(i in known for i in split_list(r["also_recorded_in"])), r["also_recorded_in"]
    for r in events:
        assert all(split_list(r["cited_by"])), r["cited_by"]


def test_the_technical_annex_says_how_to_split_a_listed_cell(reported: tuple[Path, Path]) -> None:
    from docx import Document

    _, out = reported
    text = "\n".join(p.text for p in Document(str(out / "technical-annex.docx")).paragraphs)
    assert "How the tables list records" in text and "csv.reader([cell], delimiter=';', skipinitialspace=True)" in text
