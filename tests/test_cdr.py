"""Call data records: every shipped template, --map, clear errors, target, cells, IMEI evidence."""

from __future__ import annotations

from collections.abc import Callable
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
from parsers.base import ParseContext, Probe
from parsers.cdr import builtin_templates, load_templates, parse

TARGET = "07700900002"


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def write_xlsx(path: Path, sheets: list[tuple[str, list[list[Any]]]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets:
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if isinstance(v, str):
                    ws.write_string(r, c, v)
                elif v is not None:
                    ws.write_number(r, c, v)
    wb.close()
    return path


def run(path: Path, **options: str) -> Any:
    return parse(path, ParseContext(source_id="s1", path=path, options=dict(options)))


def ingest_one(case_dir: Path, path: Path, **options: str) -> Case:
    case = Case.open(case_dir)
    ingest(case, [path], IngestOptions(options=dict(options)))
    return case


CALLING_CALLED = [
    ["Communications data return"], ["Target Number", TARGET], [],
    ["Calling Number", "Called Number", "Start Date Time", "Duration (s)", "Call Type", "Direction", "First LAC",
     "First Cell ID", "Last LAC", "Last Cell ID", "IMEI", "IMSI", "Roaming"],
    [TARGET, "07700900001", "01/03/2026 12:00:00", "62", "Voice", "MO", "1001", "020451", "1001", "20452",
     "356938035643809", "234100000000001", "N"],
    ["07700900001", TARGET, "01/03/2026 12:05:10", "0", "SMS", "MT", "1001", "020451", "", "", "356938035643809",
     "234100000000001", "N"],
    [TARGET, "", "01/03/2026 13:00:00", "600", "Data", "MO", "1001", "20453", "", "", "356938035643809",
     "234100000000001", "N"],
    [TARGET, "07700900001", "31/02/2026 12:00:00", "62", "Voice", "MO", "", "", "", "", "", "", ""],
    [TARGET, "07700900001", "01/03/2026 12:30:00", "62", "Fax", "MO", "", "", "", "", "", "", ""],
    [],
    ["*** End of report ***"],
]


def test_calling_called_csv_reads_network_time_parties_cells_and_keeps_leading_zeros(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", CALLING_CALLED)
    res = run(path)
    ev = res.events.sort("source_ref")
    assert ev.get_column("source_ref").to_list() == ["row 5", "row 6", "row 7"]
    call = ev.row(0, named=True)
    assert call["kind"] == "call" and call["channel"] == "voice" and call["direction"] == "out"
    assert call["sender"] == f"phone:{TARGET}" and call["recipients"] == ["phone:07700900001"]
    assert call["ts_utc"] == datetime(2026, 3, 1, 12, 0, tzinfo=UTC) and call["ts_basis"] == "utc"
    assert call["ts_end_utc"] == datetime(2026, 3, 1, 12, 1, 2, tzinfo=UTC)
    assert call["status"] == "answered" and call["duration_s"] == 62
    assert call["cell_id"] == "1001-020451"  # the leading zero of the cell id survives
    sms = ev.row(1, named=True)
    assert (sms["kind"], sms["channel"], sms["direction"], sms["status"]) == ("message", "sms", "in", None)
    data = ev.row(2, named=True)
    assert (data["kind"], data["channel"], data["sender"], data["recipients"]) == (
        "location", "data", f"phone:{TARGET}", [])
    detail = res.extra["cdr"].sort("source_ref")
    assert detail.get_column("last_cell").to_list() == ["1001-20452", None, None]
    assert detail.get_column("imsi").to_list()[0] == "234100000000001"
    assert detail.get_column("roaming").to_list() == [False, False, False]
    assert res.owner == f"phone:{TARGET}"
    assert any("target number 07700900002 from the return's cover information" in a for a in res.assumptions)


def test_a_padded_lac_gives_the_clean_cell_id(tmp_path: Path) -> None:
    """Whitespace around a LAC is removed as it is from a cell id, also where no cell value
    has any (so the cells alone do not call for the clean-up)."""
    rows = [list(r) for r in CALLING_CALLED]
    rows[4][6:10] = [" 1000", "20001", "1001\t", "20452"]
    res = run(write_csv(tmp_path / "a.csv", rows))
    assert res.events.sort("source_ref").get_column("cell_id").to_list() == ["1000-20001", "1001-020451",
                                                                            "1001-20453"]
    assert res.extra["cdr"].sort("source_ref").get_column("last_cell").to_list() == ["1001-20452", None, None]


def test_bad_rows_are_rejects_with_reasons_and_every_record_is_accounted_for(tmp_path: Path) -> None:
    res = run(write_csv(tmp_path / "a.csv", CALLING_CALLED))
    reasons = dict(zip(res.rejects["source_ref"], res.rejects["reason"], strict=True))
    assert reasons["row 8"].startswith("cannot read the time with %d/%m/%Y %H:%M:%S: 31/02/2026")
    assert reasons["row 9"].startswith("unknown event type for template calling-called") and "Fax" in reasons["row 9"]
    assert reasons["row 11"] == "not a call record (footer or note line)"
    assert res.records_read == res.events.height + res.rejects.height == 6


def test_a_return_in_uk_local_time_reads_every_hour_of_a_year_as_the_per_row_conversion_does(tmp_path: Path) -> None:
    """A UK-local-time return is converted per segment of constant offset: every 37 minutes
    through 2026, the spring gap and the repeated autumn hour included, it gives the same
    UTC times and bases as the per-row rule."""
    from datetime import datetime as dt
    from datetime import timedelta

    import polars as pl

    from atlas.normalise.times import wall_clock_to_utc

    header = ["A Party", "B Party", "Date", "Time", "Duration", "Event Type"]
    times = [dt(2026, 1, 1) + timedelta(minutes=37 * i) for i in range(365 * 24 * 60 // 37)]
    times += [dt(2026, 3, 29, 1, 30), dt(2026, 10, 25, 1, 30)]
    rows = [header] + [["447700900013", "447700900001", f"{t:%d-%b-%y}", f"{t:%H:%M:%S}", "00:00:10", "MOC"]
                       for t in times]
    res = run(write_csv(tmp_path / "local.csv", rows))
    assert res.rejects.height == 0 and res.events.height == len(times)
    naive = pl.DataFrame({"t": times}, schema={"t": pl.Datetime("us")})
    want_utc, want_basis = naive.select(*wall_clock_to_utc(pl.col("t"), "Europe/London")).get_columns()
    assert res.events.get_column("ts_utc").to_list() == want_utc.to_list()
    assert res.events.get_column("ts_basis").cast(pl.String).to_list() == want_basis.to_list()
    assert res.events.get_column("ts_basis").cast(pl.String).to_list()[-2:] == ["nonexistent", "ambiguous"]


def test_the_same_imei_in_a_cdr_is_identity_evidence(tmp_path: Path) -> None:
    res = run(write_csv(tmp_path / "a.csv", CALLING_CALLED))
    ev = res.evidence.row(0, named=True)
    assert (ev["basis"], ev["identifier"], ev["related"]) == ("same-imei", f"phone:{TARGET}", "imei:356938035643809")
    assert "3 call data records" in ev["detail"]


def test_a_party_b_party_xlsx_reads_sheets_uk_local_time_hms_and_event_type_direction(tmp_path: Path) -> None:
    header = ["A Party", "B Party", "Date", "Time", "Duration", "Event Type", "Start TAC", "Start ECI", "End TAC",
              "End ECI", "MCC-MNC", "IMEI", "IMSI", "Roaming Indicator"]
    path = write_xlsx(tmp_path / "b.xlsx", [
        ("Cover", [["Return"], [], ["Target MSISDN", "447700900013"]]),
        ("Voice", [header, ["447700900013", "447700900001", "05-Jul-26", "14:00:00", "00:02:05", "MOC", "5021",
                            "25625857", "5021", "25625858", "234-30", "356938035643809", "234309999999999", "HOME"]]),
        ("SMS", [[], header, ["447700900001", "447700900013", "25-Oct-26", "01:30:00", "00:00:00", "SMS-MT", "5021",
                              "25625857", "", "", "234-30", 356938035643809, "234309999999999", "HOME"]]),
    ])
    res = run(path)
    ev = res.events.sort("ts_utc")
    assert ev.get_column("source_ref").to_list() == ["sheet Voice row 2", "sheet SMS row 3"]
    call, sms = ev.row(0, named=True), ev.row(1, named=True)
    assert call["ts_utc"] == datetime(2026, 7, 5, 13, 0, tzinfo=UTC)  # 14:00 BST
    assert call["ts_basis"] == "local" and call["duration_s"] == 125 and call["direction"] == "out"
    assert call["cell_id"] == "5021-25625857"
    # 01:30 on 25 October 2026 happens twice in the UK: the earliest is taken and flagged
    assert sms["ts_basis"] == "ambiguous" and sms["ts_utc"] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert sms["direction"] == "in" and sms["sender"] == "phone:447700900001"
    assert res.owner == "phone:447700900013"
    assert any("sheet Cover holds no call records" in a for a in res.assumptions)
    # an Excel number cell: a 15-digit IMEI is exact in a double, so it survives
    assert res.extra["cdr"].get_column("imei").to_list() == ["356938035643809", "356938035643809"]


def test_originating_terminating_separate_iso_date_and_time_and_inferred_target(tmp_path: Path) -> None:
    rows = [["Originating Number", "Terminating Number", "Call Date", "Call Time", "Duration Seconds", "Record Type",
             "Call Direction", "LAC", "Cell ID", "Last Cell ID", "IMEI", "IMSI", "Roaming Flag"]]
    for k, other in enumerate(("+447700900001", "+447700900005", "+447700900001")):
        rows.append(["+447700900002", other, "2026-07-05", f"14:0{k}:00", "30", "Voice", "Outgoing", "1001",
                     "20451", "20452", "", "", "No"])
    rows.append(["+447700900009", "+447700900002", "2026-07-05", "15:00:00", "0", "SMS", "Incoming", "1001", "20451",
                 "", "", "", "No"])
    res = run(write_csv(tmp_path / "c.csv", rows))
    first = res.events.row(0, named=True)
    assert first["ts_utc"] == datetime(2026, 7, 5, 14, 0, tzinfo=UTC) and first["ts_basis"] == "utc"
    assert res.owner == "phone:+447700900002"
    assert any("inference: the number that is a party to the most records" in a for a in res.assumptions)


def test_msisdn_other_party_cuts_a_whole_cgi_to_tac_eci(tmp_path: Path) -> None:
    rows = [["MSISDN", "Other Party", "Start", "End", "Duration", "Service", "Direction", "First Cell", "Last Cell",
             "IMEI", "IMSI", "Roaming"],
            [TARGET, "07700900001", "2026-01-10T09:00:00", "2026-01-10T09:01:00", "00:01:00", "Voice", "Incoming",
             "234-30-5021-25625857", "234-30-5021-25625858", "", "", "Home"]]
    res = run(write_csv(tmp_path / "d.csv", rows))
    ev = res.events.row(0, named=True)
    assert ev["sender"] == "phone:07700900001" and ev["recipients"] == [f"phone:{TARGET}"]
    assert ev["cell_id"] == "5021-25625857" and ev["ts_utc"] == datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    assert ev["ts_end_utc"] == datetime(2026, 1, 10, 9, 1, tzinfo=UTC)


def test_headers_that_fit_no_template_are_an_error_listing_them_and_the_nearest_template(tmp_path: Path) -> None:
    # "When" names no time role, so the meaning cannot be mapped either
    rows = [["Calling Number", "Called Number", "When", "Duration (s)", "Call Type", "IMEI"],
            [TARGET, "07700900001", "01/03/2026 12:00", "5", "Voice", "1"]]
    path = write_csv(tmp_path / "odd.csv", rows)
    assert parsers.detect(path).INFO.name == "cdr"  # it looks like call data, so the CDR parser explains
    with pytest.raises(FormatError) as err:
        run(path)
    msg = str(err.value)
    assert "'When'" in msg and "'Calling Number'" in msg and "row 1" in msg
    assert "not certain: time:" in msg and "Best partial mapping: 'Calling Number' → a_party" in msg
    assert "Nearest template: 'calling-called'" in msg and "missing required: Start Date Time" in msg
    assert "--map FILE" in msg


MAP = """
[[template]]
name = "acme-2026"
description = "Acme Mobile: Caller/Callee, 'Call Start' dd/mm/yyyy HH:MM in UTC"
timezone = "UTC"
parties = "a-b"
datetime_format = "%d/%m/%Y %H:%M"
duration_format = "seconds"
required = ["a_party", "b_party", "start"]
[template.columns]
a_party = "Calling Number"
b_party = "Called Number"
start = "Call Start"
duration = "Duration (s)"
event_type = "Call Type"
imei = "IMEI"
[template.event_types]
Voice = "voice"
"""


def test_map_file_reads_a_new_layout(tmp_path: Path, case_dir: Path) -> None:
    rows = [["Calling Number", "Called Number", "Call Start", "Duration (s)", "Call Type", "IMEI"],
            [TARGET, "07700900001", "01/03/2026 12:00", "5", "Voice", "0012"]]
    path = write_csv(tmp_path / "odd.csv", rows)
    (tmp_path / "acme.toml").write_text(MAP, encoding="utf-8")
    case = ingest_one(case_dir, path, map=str(tmp_path / "acme.toml"))
    ev = case.events().collect().row(0, named=True)
    assert ev["sender"] == "tel:+447700900002" and ev["ts_utc"] == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert any("layout 'acme-2026' (acme.toml)" in a for a in case.sources().row(0, named=True)["assumptions"])


def test_a_broken_map_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(MAP.replace('parties = "a-b"', 'parties = "x"'), encoding="utf-8")
    with pytest.raises(FormatError, match="parties must be 'a-b' or 'subject-other'"):
        load_templates(bad)
    bad.write_text(MAP.replace('Voice = "voice"', 'Voice = "speech"'), encoding="utf-8")
    with pytest.raises(FormatError, match="event type 'Voice' maps to 'speech'"):
        load_templates(bad)


def test_the_four_shipped_templates_differ_the_way_provider_layouts_do() -> None:
    tpls = {t.name: t for t in builtin_templates()}
    assert len(tpls) >= 4
    assert {t.timezone for t in tpls.values()} == {"UTC", "Europe/London"}
    assert {t.duration_format for t in tpls.values()} == {"seconds", "hms"}
    assert {t.parties for t in tpls.values()} == {"a-b", "subject-other"}
    assert any(t.datetime_format for t in tpls.values()) and any(t.date_format for t in tpls.values())
    assert {t.date_format for t in tpls.values()} >= {"%d-%b-%y", "%Y-%m-%d"}


def test_detection_is_by_content_not_name(tmp_path: Path, atlas: Callable[..., Any]) -> None:
    path = write_csv(tmp_path / "notes.txt", CALLING_CALLED)
    assert parsers.detect(path).INFO.name == "cdr"
    other = write_csv(tmp_path / "cdr.csv", [["Name", "Phone", "Email"], ["Ann", "0770", "a@example.org"]])
    assert parsers.by_name("cdr").detect(Probe(other)) == 0


def test_cdr_rows_in_the_store_keep_their_cells_for_the_read_time_join(tmp_path: Path, case_dir: Path) -> None:
    case = ingest_one(case_dir, write_csv(tmp_path / "a.csv", CALLING_CALLED))
    detail = case.extra("cdr")
    assert detail is not None and detail.height == 3
    assert set(detail.columns) >= {"source_id", "source_ref", "last_cell", "imei", "imsi", "target"}
    assert case.rejects().collect().height == 3
    assert case.evidence().collect().get_column("identifier").to_list() == ["tel:+447700900002"]
    assert case.events().select(pl.len()).collect().item() == 3


def test_xlsx_row_references_count_from_a_title_row_written_as_a_formula(tmp_path: Path) -> None:
    """calamine starts a sheet at its first cell holding a value, a formula's cached value
    included; the row references must still be the rows Excel shows (a title written as a
    formula once shifted every reference below it by the blank rows that followed)."""
    path = tmp_path / "f.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Voice")
    ws.write_formula(2, 0, '="Return for "&"07700900002"', None, "Return for 07700900002")  # row 3
    for r, row in enumerate(CALLING_CALLED[3:], start=5):  # header in row 6, records from row 7
        for c, v in enumerate(row):
            ws.write_string(r, c, v)
    wb.close()
    res = run(path, target=TARGET)
    refs = sorted(res.events.get_column("source_ref").to_list() + res.rejects.get_column("source_ref").to_list(),
                  key=lambda s: int(s.rsplit(" ", 1)[1]))
    plain = run(write_csv(tmp_path / "same.csv", CALLING_CALLED[3:]), target=TARGET)  # the header on line 1
    expected = sorted(int(s.split()[-1]) + 5 for s in plain.events.get_column("source_ref").to_list()
                      + plain.rejects.get_column("source_ref").to_list())
    assert refs == [f"sheet Voice row {n}" for n in expected] and refs[0] == "sheet Voice row 7"
