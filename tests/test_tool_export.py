"""Tool exports (CSV/XLSX): mapped by header name, three named layouts, --map, the
Excel traps (lost leading zeros, date cells), clear errors, detection, and the
generator's victim-phone exports against truth.json."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import xlsxwriter

import parsers
from atlas.errors import FormatError
from atlas.ingest import IngestOptions, ingest
from atlas.store import Case
from fixtures.generate import generate
from fixtures.scenarios import SCENARIOS
from parsers import tool_export
from parsers.base import ParseContext, ParseResult, Probe

OWNER = "tel:+447700900001"


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def parse(path: Path, **ctx: Any) -> ParseResult:
    ctx.setdefault("owner", OWNER)
    return tool_export.parse(path, ParseContext(source_id="src", path=path, **ctx))


def by_ref(result: ParseResult, ref: str) -> dict[str, Any]:
    return result.events.filter(pl.col("source_ref") == ref).row(0, named=True)


XRY_CALLS = [
    ["Index", "Call Type", "Time", "Duration", "Number", "Name", "Deleted"],
    ["1", "Dialled", "14/02/2026 21:05:09", "00:01:23", "07700 900002", "Dan", "No"],
    ["2", "Missed", "15/02/2026 23:59:59", "00:00:00", "+447700900002", "Dan", "Yes"],
    ["3", "Received", "16/02/2026 08:00:00", "00:10:00", "Withheld", "", "No"],
]


def test_xry_calls_map_directions_durations_and_parties(tmp_path: Path) -> None:
    result = parse(write_csv(tmp_path / "Calls.csv", XRY_CALLS))
    assert (result.records_read, result.events.height, result.rejects.height) == (3, 3, 0)
    out = by_ref(result, "row 2")
    assert (out["kind"], out["channel"], out["direction"], out["status"], out["duration_s"]) == ("call", "voice", "out", "answered", 83)
    assert (out["sender"], out["recipients"]) == (OWNER, ["phone:07700 900002"])
    assert (out["ts_local"], out["ts_raw"], out["ts_utc"]) == (datetime(2026, 2, 14, 21, 5, 9), "14/02/2026 21:05:09", None)
    missed = by_ref(result, "row 3")
    assert (missed["direction"], missed["status"], missed["deleted"], missed["sender"]) == ("in", "missed", True, "phone:+447700900002")
    assert by_ref(result, "row 4")["sender"] == "phone:Withheld"
    assert "file: read as the xry calls template (3 rows, header on row 1)" in result.assumptions


def test_columns_are_mapped_by_name_not_position(tmp_path: Path) -> None:
    order = [5, 0, 3, 6, 2, 1, 4]  # same export, columns shuffled, plus a column XRY added
    shuffled = [[row[i] for i in order] + [extra] for row, extra in zip(XRY_CALLS, ["Network", "EE", "EE", "EE"], strict=True)]
    a = parse(write_csv(tmp_path / "a.csv", XRY_CALLS)).events
    b = parse(write_csv(tmp_path / "b.csv", shuffled)).events
    assert a.equals(b)


def test_cellebrite_excel_sheets_zones_in_values_title_rows_and_unmatched_sheets(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Summary").write_row(0, 0, ["Case", "OP-1"])
    sms = wb.add_worksheet("SMS Messages")
    sms.write_row(0, 0, ["SMS Messages"])
    sms.write_row(1, 0, ["#", "Parties", "Folder", "Status", "Timestamp: Date", "Timestamp: Time", "Body", "Source", "Deleted"])
    sms.write_row(2, 0, ["1", "From: +447700900002 Dan", "Inbox", "Read", "14/07/2026", "22:41:07(UTC+1)", "I'm outside", "Native Messages", ""])
    sms.write_row(3, 0, ["2", "To: 07700 900002 Dan", "Draft", "Unsent", "15/07/2026", "07:00:00(UTC+1)", "never sent", "Native Messages", ""])
    sms.write_row(4, 0, ["3", "From: +447700900002 Dan", "Inbox", "Read", "not a date", "??", "broken", "Native Messages", ""])
    calls = wb.add_worksheet("Calls")
    calls.write_row(0, 0, ["#", "Type", "Parties", "Timestamp: Date", "Timestamp: Time", "Duration", "Source", "Deleted"])
    calls.write_row(1, 0, ["1", "Missed", "From: +447700900002 Dan", "01/01/2026", "00:30:00(UTC+0)", "00:00:00", "WhatsApp", "Yes"])
    wb.close()
    result = parse(path)
    assert (result.records_read, result.events.height, result.rejects.height) == (4, 3, 1)
    msg = by_ref(result, "SMS Messages row 3")
    assert (msg["ts_utc"], msg["ts_raw"]) == (datetime(2026, 7, 14, 21, 41, 7, tzinfo=UTC), "14/07/2026 22:41:07(UTC+1)")
    assert (msg["direction"], msg["status"], msg["sender"], msg["recipients"]) == ("in", "read", "phone:+447700900002", [OWNER])
    draft = by_ref(result, "SMS Messages row 4")
    assert (draft["status"], draft["direction"]) == ("draft", "out")
    reject = result.rejects.row(0, named=True)
    assert (reject["source_ref"], reject["excerpt"]) == ("SMS Messages row 5", "not a date ??")
    call = by_ref(result, "Calls row 2")
    assert (call["channel"], call["status"], call["deleted"], call["ts_utc"]) == (
        "whatsapp", "missed", True, datetime(2026, 1, 1, 0, 30, tzinfo=UTC))
    # words for people, not a printed Python list (seed 31415: "headers seen: ['Case', 'OP-...']" in the annex)
    assert any("'Summary' (headers seen: 'Case' and 'OP-1')" in a for a in result.assumptions)
    assert not any("[" in a for a in result.assumptions)


def test_excel_number_cells_lost_zeros_and_date_cells_are_repaired_by_a_stated_rule(tmp_path: Path) -> None:
    path = tmp_path / "calls.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Calls")
    ws.write_row(0, 0, ["Index", "Call Type", "Time", "Duration", "Number", "Name"])
    ws.write_row(1, 0, ["1", "Dialled"])
    ws.write_datetime(1, 2, datetime(2026, 3, 4, 10, 15, 0), wb.add_format({"num_format": "dd/mm/yyyy hh:mm"}))
    ws.write_number(1, 3, 45)
    ws.write_number(1, 4, 7700900002)  # the analyst's spreadsheet stored the number as a number
    ws.write_row(2, 0, ["2", "Received"])
    ws.write_number(2, 2, 46085.5)  # a date cell that lost its date format: a bare serial day number
    ws.write_row(2, 3, ["00:00:09", "07700 900003"])
    wb.close()
    result = parse(path)
    row = by_ref(result, "Calls row 2")
    assert row["recipients"] == ["phone:07700900002"]
    assert row["ts_local"] == datetime(2026, 3, 4, 10, 15)
    assert row["duration_s"] == 45
    assert any("1 numbers had lost their leading 0" in a for a in result.assumptions)
    assert by_ref(result, "Calls row 3")["ts_local"] == datetime(2026, 3, 4, 12, 0)
    assert any("1 dates were Excel date cells (serial numbers)" in a for a in result.assumptions)


def test_axiom_header_states_zone_and_date_order(tmp_path: Path) -> None:
    rows = [["Item ID", "Partner", "Type", "Message", "Date/Time - UTC+01:00 (MM/dd/yyyy)"],
            ["1", "+447700900002", "Received", "hi", "03/04/2026 10:00:00"],  # 4 March: the header says month first
            ["2", "+447700900002", "Sent", "bye", "03/04/2026 10:05:00"]]
    result = parse(write_csv(tmp_path / "SMS.csv", rows))
    got = by_ref(result, "row 2")
    assert got["ts_utc"] == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    assert by_ref(result, "row 3")["direction"] == "out"
    assert "file: times are at UTC+01:00, as the column header states" in result.assumptions
    assert not any("day/month" in a for a in result.assumptions)


def test_undecidable_day_month_order_is_an_assumption(tmp_path: Path) -> None:
    rows = [XRY_CALLS[0], ["1", "Dialled", "03/04/2026 10:00:00", "00:00:10", "07700900002", "", "No"]]
    result = parse(write_csv(tmp_path / "Calls.csv", rows))
    assert by_ref(result, "row 2")["ts_local"] == datetime(2026, 4, 3, 10, 0)
    assert any("day/month order" in a and "day-first" in a for a in result.assumptions)
    us = parse(write_csv(tmp_path / "Calls2.csv", rows), dayfirst=False)
    assert by_ref(us, "row 2")["ts_local"] == datetime(2026, 3, 4, 10, 0)


def test_contacts_become_contact_events_and_contact_card_evidence(tmp_path: Path) -> None:
    rows = [["Index", "Name", "Mobile", "Home", "Email"],
            ["1", "Dan", "07700 900002", "020 7946 0001", "dan@example.org"],
            ["2", "Mum", "7700900003", "", ""]]
    result = parse(write_csv(tmp_path / "Contacts.csv", rows))
    dan = by_ref(result, "row 2")
    assert (dan["kind"], dan["sender"], dan["recipients"]) == (
        "contact", "name:Dan", ["phone:07700 900002", "phone:020 7946 0001", "email:dan@example.org"])
    assert by_ref(result, "row 3")["recipients"] == ["phone:07700900003"]
    assert result.evidence is not None
    pairs = {(r["identifier"], r["related"]) for r in result.evidence.iter_rows(named=True)}
    assert ("name:Dan", "email:dan@example.org") in pairs and ("name:Mum", "phone:07700900003") in pairs
    assert set(result.evidence["basis"]) == {"contact-card"}


def test_a_map_file_reads_a_new_layout(tmp_path: Path) -> None:
    rows = [["Who", "When (local)", "Secs", "Way"], ["07700900002", "2026-05-01 12:00:00", "61", "OUT"]]
    path = write_csv(tmp_path / "odd.csv", rows)
    with pytest.raises(FormatError) as err:
        parse(path)
    msg = str(err.value)
    assert "headers seen: 'Who', 'When (local)', 'Secs' and 'Way'" in msg and "Nearest:" in msg and "--map" in msg
    mapping = tmp_path / "odd.toml"
    mapping.write_text(
        '[values.direction]\nout = "out"\n\n[odd-tool]\ntool = "in-house"\n[odd-tool.calls]\n'
        'required = ["Who", "When (local)"]\n[odd-tool.calls.columns]\n'
        '"Who" = "party"\n"When (local)" = "timestamp"\n"Secs" = "duration"\n"Way" = "direction"\n', encoding="utf-8")
    result = parse(path, options={"map": str(mapping)})
    row = by_ref(result, "row 2")
    assert (row["direction"], row["duration_s"], row["recipients"], row["ts_local"]) == (
        "out", 61, ["phone:07700900002"], datetime(2026, 5, 1, 12, 0))


def test_a_map_file_with_an_unknown_field_is_a_clear_error(tmp_path: Path) -> None:
    mapping = tmp_path / "bad.toml"
    mapping.write_text('[x.calls.columns]\n"Who" = "caller_number"\n', encoding="utf-8")
    path = write_csv(tmp_path / "c.csv", XRY_CALLS)
    with pytest.raises(Exception, match=r"maps to unknown field\(s\) \['caller_number'\]"):
        parse(path, options={"map": str(mapping)})


def test_detection_reads_content_not_names(tmp_path: Path, samples: Path) -> None:
    calls = write_csv(tmp_path / "whatever.txt", XRY_CALLS)
    assert tool_export.detect(Probe(calls)) == 85
    other = write_csv(tmp_path / "Calls.csv", [["a", "b"], ["1", "2"]])
    assert tool_export.detect(Probe(other)) == 0
    for path in [*sorted((samples / "chat-miner" / "whatsapp").glob("*.txt")), *sorted((samples / "plaso").glob("*.db"))]:
        assert tool_export.detect(Probe(path)) == 0, path


# --- the generator --------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", ["rejected-ex", "time-limit", "covert"])
def test_every_truth_record_the_export_holds_is_found(scenario: str, tmp_path: Path) -> None:
    out = tmp_path / scenario
    truth: dict[str, Any] = generate(scenario, 2, 0.2, out)
    mine = [s for s in truth["sources"] if s["parser"] == "tool-export"]
    assert mine
    case = Case.open(out)
    for src in mine:
        [outcome] = ingest(case, [out / src["path"]], IngestOptions(owner=src["owner"]))
        assert (outcome.status, outcome.parser, outcome.rejects) == ("ingested", "tool-export", 0)
    events = {r["event_id"]: r for r in case.events().collect().iter_rows(named=True)}
    ids = {s["source_id"] for s in mine}
    found = 0
    for c in truth["contacts"]:
        for ap in (a for a in c["sources"] if a["source_id"] in ids):
            e = events[ap["event_id"]]
            assert e["ts_utc"] == datetime.fromisoformat(c["ts"].replace("Z", "+00:00")), c["cid"]
            assert (e["kind"], e["channel"]) == (c["kind"], c["channel"]), c["cid"]
            assert e["direction"] == ("out" if c["from"] == "victim" else "in"), c["cid"]
            assert e["sender"] == c["from_id"] and e["recipients"] == [c["to_id"]], c["cid"]
            if c["kind"] == "message":
                assert e["text"] == c["text"]
            found += 1
    assert found > 20


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_detection_does_not_steal_other_formats_generated_files(scenario: str, tmp_path: Path) -> None:
    out = tmp_path / scenario
    truth: dict[str, Any] = generate(scenario, 1, 0.2, out)
    mine = {"tool-export", "cellebrite-xml"}
    for src in truth["sources"]:
        probe = Probe(out / src["path"])
        if src["parser"] in mine:
            assert parsers.detect(out / src["path"]).INFO.name == src["parser"], src["path"]
        else:
            from parsers import cellebrite_xml
            assert (tool_export.detect(probe), cellebrite_xml.detect(probe)) == (0, 0), src["path"]
