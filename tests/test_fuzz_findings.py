"""What the fuzz suite (``tests/test_fuzz.py``, ``make fuzz``) found, each kept as a class of
input in a real layout: every one must end as events and rejects that add up to what was
read, or as one clear error naming the file and the place, never a traceback and never a
silently smaller result.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from atlas.errors import AtlasError, FormatError
from atlas.ingest import IngestOptions, ingest_file
from atlas.store import Case
from parsers import google_returns_csv, subscriber
from parsers.base import ParseContext

GOOGLE_HEADER = "Timestamp (UTC),Latitude,Longitude,Display Radius (Meters),Source,Device Tag,Platform\n"
GOOGLE_ROWS = [f"2026-01-0{d} 06:01:00 UTC,51.55634{d},-0.204841{d},30,WIFI,78965647,ANDROID\n" for d in range(1, 6)]


def _google_return(cover: str) -> str:
    return cover + GOOGLE_HEADER + "".join(GOOGLE_ROWS)


@pytest.mark.parametrize("cover", [
    '"Google LLC - Location History\nAccount: daniel.sample@example.com\n\n',  # a quote opened, never closed
    'Google LLC - "Location History\nAccount: "daniel.sample@example.com\n\n',
    '"Google LLC\n"Account: x"\n"\n',
])
def test_a_quote_in_the_cover_block_does_not_swallow_the_table(tmp_path: Path, cover: str) -> None:
    """The header is found on a line of the file's head; the table must be read from that
    line, not from the CSV reader's Nth record (a quote above the header made the whole
    file one record: 0 records read, then a phantom reject)."""
    path = tmp_path / "Location History.csv"
    path.write_text(_google_return(cover), encoding="utf-8")
    result = google_returns_csv.parse(path, ParseContext(source_id="s", path=path))
    assert (result.records_read, result.events.height, result.rejects.height) == (5, 5, 0)


def test_a_subscriber_return_with_a_quote_in_its_cover_block_reads_every_row(tmp_path: Path) -> None:
    path = tmp_path / "subscriber.csv"
    path.write_text('"Operator X subscriber check\nRef: 2026/001\n'
                    "MSISDN,Subscriber Name,Address,IMSI,IMEI,Start Date,End Date\n"
                    "447700900123,Jane Smith,1 High St,234150000000001,356789012345678,2025-01-01,\n"
                    "447700900124,unregistered,,234150000000002,356789012345679,2025-02-01,\n", encoding="utf-8")
    result = subscriber.parse(path, ParseContext(source_id="s", path=path))
    assert result.records_read == 2 and result.events.height + result.rejects.height == 2


def test_a_table_the_reader_cannot_find_below_its_header_is_a_clear_error(tmp_path: Path) -> None:
    """Whatever makes the reader and the head disagree, the answer is an error naming the
    file and the line, never '0 records read'."""
    from parsers._tabular import read_sheets

    path = tmp_path / "Location History.csv"
    path.write_text(_google_return("Cover\n"), encoding="utf-8")
    sheet = read_sheets(path)[0]
    broken = type(sheet)(label=sheet.label, name=sheet.name, rows=sheet.rows, first_row=1, csv=sheet.csv,
                         _load=lambda skip: sheet.frame(skip).clear(), path=path)
    with pytest.raises(FormatError, match=r"^" + re.escape(str(path)) + r": line 2: .*header row"):
        broken.frame(1)


@pytest.fixture
def fuzz_case(tmp_path: Path) -> Case:
    from atlas.store import init_case
    from atlas.store.manifest import TEMPLATE

    init_case(tmp_path / "case", TEMPLATE)
    return Case.open(tmp_path / "case")


def ingest_or_error(case: Case, path: Path, fmt: str | None = None) -> tuple[int, int, int] | str:
    try:
        _, staged = ingest_file(case, path, IngestOptions(format=fmt))
    except AtlasError as exc:
        return str(exc)
    assert staged is not None
    return staged.source["records_read"], staged.events.height, staged.rejects.height


def _damaged_zip(members: dict[str, bytes], damage: str) -> bytes:
    """A zip as a device or Excel writes it, then damaged the ways the fuzzer found: an
    unsupported 'version needed' in the central directory, a directory pointing before the
    start of the file, a member whose deflate data is garbage, a truncated tail."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    data = bytearray(buf.getvalue())
    central = data.index(b"PK\x01\x02")
    if damage == "version":
        data[central + 6] = 138  # "zip file version 13.8": NotImplementedError
    elif damage == "offset":
        end = data.rindex(b"PK\x05\x06")
        data[end + 16:end + 20] = (len(data) * 3).to_bytes(4, "little")  # the directory beyond the end
    elif damage == "deflate":
        start = 30 + len(next(iter(members)))
        for i in range(start + 2, start + 12):
            data[i] ^= 0x5A
    elif damage == "truncated":
        data = data[: central + 10]
    return bytes(data)


XLSX_MEMBERS = {"xl/workbook.xml": b'<workbook><sheets><sheet name="CDR" sheetId="1" r:id="rId1"/></sheets></workbook>',
                "xl/_rels/workbook.xml.rels": b'<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/>'
                                              b"</Relationships>",
                "xl/worksheets/sheet1.xml": b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>MSISDN'
                                            b"</t></is></c></row></sheetData></worksheet>",
                "[Content_Types].xml": b"<Types/>"}
UFDR_MEMBERS = {"report.xml": b'<?xml version="1.0"?><project xmlns="http://pa.cellebrite.com/report/2.0">'
                              + b"<metadata/>" * 400 + b"</project>",
                "files/a.jpg": b"\xff\xd8" + b"x" * 100}


@pytest.mark.parametrize("damage", ["version", "offset", "deflate", "truncated"])
@pytest.mark.parametrize(("name", "members", "fmt"), [
    ("return.xlsx", XLSX_MEMBERS, "cdr"), ("return.xlsx", XLSX_MEMBERS, None),
    ("phone.ufdr", UFDR_MEMBERS, "cellebrite-xml"), ("phone.ufdr", UFDR_MEMBERS, None),
])
def test_a_damaged_zip_is_one_clear_error_in_detection_and_parsing(
        tmp_path: Path, fuzz_case: Case, name: str, members: dict[str, bytes], fmt: str | None, damage: str) -> None:
    path = tmp_path / name
    path.write_bytes(_damaged_zip(members, damage))
    answer = ingest_or_error(fuzz_case, path, fmt)
    assert isinstance(answer, str), answer
    assert answer.startswith(str(path)) and "failed" not in answer, answer  # not a failure the boundary caught
    if damage in ("version", "truncated") and fmt is None:
        assert "a zip file of" in answer and "whose directory cannot be read" in answer


@pytest.mark.parametrize("damage", ["\x04", "\x0e", "\u2028", "\x00"])
def test_one_damaged_time_in_a_tool_export_is_a_reject_not_the_files_refusal(
        tmp_path: Path, fuzz_case: Case, damage: str) -> None:
    """One control character in one of 25 timestamps (found by byte insertion) used to make
    'cannot recognise the date format' refuse every record of the export."""
    rows = [f"{i},Outgoing,{i:02d}/01/2026 10:{i:02d}:05,00:01:00,+447700900{i:03d},Sam,No" for i in range(1, 26)]
    rows[11] = rows[11].replace("12/01/2026 10:12", f"12/01/2026 1{damage}0:12")
    folder = tmp_path / "XRY export"
    folder.mkdir()
    path = folder / "Calls.csv"
    path.write_text("Index,Call Type,Time,Duration,Number,Name,Deleted\n" + "\n".join(rows) + "\n", encoding="utf-8")
    answer = ingest_or_error(fuzz_case, path, "tool-export")
    if damage == "\x00":  # a NUL in the head: not a text table at all, said as such
        assert isinstance(answer, str) and answer.startswith(f"{path}: binary content")
        return
    assert answer == (25, 24, 1)
    _, staged = ingest_file(fuzz_case, path, IngestOptions(format="tool-export"))
    assert staged is not None
    [(ref, reason)] = staged.rejects.select("source_ref", "reason").iter_rows()
    assert ref == "row 13" and "time" in reason


def test_a_format_shared_by_too_few_values_is_still_refused() -> None:
    """The tolerance is for damage among many values, not for guessing on a handful."""
    import polars as pl

    from atlas.normalise.times import sniff_datetime_format

    values = pl.Series([f"{d:02d}/01/2026 10:00:00" for d in range(13, 20)] + ["garbage"])
    with pytest.raises(AtlasError, match="cannot recognise the date format"):
        sniff_datetime_format(values)
    ambiguous = pl.Series([f"{d:02d}/{m:02d}/2026 10:00:00" for d in range(1, 13) for m in (1, 2)] + ["1\x04/01/2026"])
    fmt = sniff_datetime_format(ambiguous)
    assert fmt.fmt.startswith("%d/%m") and fmt.assumption and "not decidable" in fmt.assumption


def _mmssms(tmp_path: Path) -> Path:
    from fixtures.writers.android_phone import foreign_mmssms

    db = tmp_path / "mmssms.db"
    t0 = 1_733_400_000_000
    foreign_mmssms(db, "234150000000001", [("07911123456", t0 + i * 60_000, 1 + i % 2, f"message {i}") for i in range(6)])
    return db


def test_text_that_is_not_utf8_in_a_phone_database_is_kept_and_counted(tmp_path: Path, fuzz_case: Case) -> None:
    """SQLite hands back TEXT as stored; damaged bytes used to raise UnicodeDecodeError out of
    the reader. The record is kept (U+FFFD where the bytes cannot be read) and the source says so."""
    import sqlite3
    from contextlib import closing

    db = _mmssms(tmp_path)
    with closing(sqlite3.connect(db)) as con:
        con.execute("UPDATE sms SET body = CAST(X'48656cff6c6f' AS TEXT) WHERE _id = (SELECT MIN(_id) FROM sms)")
        con.commit()
    _, staged = ingest_file(fuzz_case, db, IngestOptions())
    assert staged is not None and staged.source["records_read"] == staged.events.height == 6
    assert "Hel\ufffdlo" in staged.events.get_column("text").to_list()
    assert any("not valid UTF-8" in a for a in staged.source["assumptions"])


def test_a_schema_with_bytes_that_are_not_utf8_is_one_clear_error(tmp_path: Path, fuzz_case: Case) -> None:
    import sqlite3
    from contextlib import closing

    db = _mmssms(tmp_path)
    with closing(sqlite3.connect(db)) as con:
        con.execute("PRAGMA writable_schema = ON")
        con.execute("UPDATE sqlite_master SET sql = CAST(X'435245415445205441424c4520ff28782029' AS TEXT), "
                    "name = CAST(X'ff' AS TEXT), tbl_name = CAST(X'ff' AS TEXT) WHERE name = 'threads'")
        con.commit()
    for fmt in ("android-mmssms", None):
        answer = ingest_or_error(fuzz_case, db, fmt)
        if isinstance(answer, str):
            assert answer.startswith(str(db)) and "failed" not in answer, answer
        else:
            assert answer[0] == answer[1] + answer[2]


def test_a_call_duration_that_is_not_a_number_leaves_that_duration_unknown(samples: Path, tmp_path: Path,
                                                                          fuzz_case: Case) -> None:
    """The real iOS WhatsApp CallHistory.sqlite with ZDURATION damaged to text 'NaN', infinity
    or 1e308 in some rows (fuzz: 'conversion from f64 to i64 failed' failed the whole file)."""
    import shutil
    import sqlite3
    from contextlib import closing

    found = sorted((samples / "ileapp-josh-ios15-whatsapp").rglob("CallHistory.sqlite"))
    if not found:
        pytest.skip("the iLEAPP iOS 15 WhatsApp sample is not present")
    base = ingest_or_error(fuzz_case, found[0], "whatsapp-ios-calls")
    assert isinstance(base, tuple)
    for value in ("NaN", float("inf"), 1e308):
        db = tmp_path / f"CallHistory-{value}.sqlite"
        shutil.copyfile(found[0], db)
        with closing(sqlite3.connect(db)) as con:
            con.execute("UPDATE ZWACDCALLEVENT SET ZDURATION = ? WHERE Z_PK % 2 = 0", (value,))
            con.commit()
        _, staged = ingest_file(fuzz_case, db, IngestOptions(format="whatsapp-ios-calls"))
        assert staged is not None
        assert (staged.source["records_read"], staged.events.height) == (base[0], base[1])
        assert any("are not a number of seconds" in a for a in staged.source["assumptions"])


def test_a_contact_data_row_that_belongs_to_no_card_is_a_reject(tmp_path: Path, fuzz_case: Case) -> None:
    """contacts2.db with one data row whose raw_contact_id is '' (fuzz: the card had no
    source_ref and the whole address book failed the schema check)."""
    import sqlite3
    from contextlib import closing

    from tests._generated import generate_copy as generate

    generate("clean", 1, 0.02, tmp_path / "gen")
    [db] = sorted((tmp_path / "gen").rglob("contacts2.db"))
    base = ingest_or_error(fuzz_case, db, "android-contacts")
    assert isinstance(base, tuple)
    with closing(sqlite3.connect(db)) as con:
        con.execute("UPDATE data SET raw_contact_id = '' WHERE _id = (SELECT MIN(_id) FROM data)")
        con.commit()
    _, staged = ingest_file(fuzz_case, db, IngestOptions(format="android-contacts"))
    assert staged is not None and staged.source["records_read"] == staged.events.height + staged.rejects.height
    reasons = dict(staged.rejects.select("source_ref", "reason").iter_rows())
    assert any(ref.startswith("data ") and "belongs to no card" in why for ref, why in reasons.items())
