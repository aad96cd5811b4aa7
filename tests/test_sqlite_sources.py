"""SQLite databases as extractions present them: companions, odd tables, odd paths, damage.

The real iOS AddressBook from Josh Hickman's iOS 15 image (its full-text table uses
Apple's own tokenizer; its ``-wal`` lies beside it) is read from ../shared/samples; the
other files are built the way a device writes them (sqlite3 in WAL mode with checkpoints
off, copied while the writer holds the database) or copied from the samples into
tmp_path before being damaged.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

import parsers
from atlas.errors import FormatError
from atlas.store import Case
from fixtures.writers._phone_common import build_sqlite
from fixtures.writers.android_phone import MMSSMS_DDL
from parsers import android_mmssms
from parsers.base import ParseContext, Probe

ADDRESSBOOK = "ileapp-josh-ios15-addressbook"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: sha(p) for p in sorted(folder.iterdir()) if p.is_file()}


def ingest_json(atlas: Callable[..., object], case_dir: Path, *args: object) -> list[dict[str, object]]:
    run = atlas("ingest", case_dir, *args, "--json")
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    return json.loads(run.out)  # type: ignore[attr-defined,no-any-return]


# --- the real iOS AddressBook: a tokenizer stock SQLite lacks, and a WAL -------------------

def test_ios_addressbook_sample_gives_its_nine_cards_despite_apples_tokenizer(
        samples: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    folder = samples / ADDRESSBOOK
    before = hashes(folder)
    db = folder / "AddressBook.sqlitedb"
    assert parsers.detect(db).INFO.name == "ios-addressbook"
    outcomes = {Path(str(o["path"])).name: o for o in ingest_json(atlas, case_dir, folder, "--region", "US")}
    assert hashes(folder) == before
    book = outcomes["AddressBook.sqlitedb"]
    assert (book["status"], book["parser"], book["records_read"], book["events"], book["rejects"]) == (
        "ingested", "ios-addressbook", 9, 9, 0)
    assert {n: o["status"] for n, o in outcomes.items() if n != "AddressBook.sqlitedb"} == {
        "AddressBook.sqlitedb-shm": "skipped", "AddressBook.sqlitedb-wal": "skipped"}
    notes = "\n".join(book["assumptions"])  # type: ignore[arg-type]
    assert "ABPersonFullTextSearch (unknown tokenizer: ab_cf_tokenizer)" in notes
    assert "AddressBook.sqlitedb-wal (2463792 bytes, about 598 page frames) read with AddressBook.sqlitedb" in notes
    assert "ABPersonChanges 18 -> 12, ClientSequence 138 -> 154" in notes
    wal = {"name": "AddressBook.sqlitedb-wal", "role": "wal", "size": 2463792,
           "sha256": "dcde39509970c5301cf56b19a9ae3df8ed35202c95f841e7749df3b93f18370e"}
    assert book["companions"] == [wal]
    case = Case.open(case_dir)
    [source] = case.sources().to_dicts()
    assert source["companions"] == [wal]
    sid = str(book["source_id"])
    ev = case.events().collect().sort("source_ref")
    assert ev.get_column("source_ref").to_list() == [f"ABPerson {i}" for i in range(1, 10)]
    # ModificationDate (Apple seconds) 704051995 and 703260033.
    first = ev.row(0, named=True)
    assert (first["ts_utc"], first["ts_raw"], first["kind"], first["channel"]) == (
        datetime(2023, 4, 24, 17, 59, 55, tzinfo=UTC), "704051995.0", "contact", "address-book")
    assert first["sender"] == f"name:{sid}:This Is DFIR Two"
    assert first["recipients"] == ["tel:+19198887386", "email:thisisdfirtwo@gmail.com"]
    josh = ev.filter(pl.col("source_ref") == "ABPerson 7").row(0, named=True)
    assert josh["recipients"] == ["tel:+19195790479", "tel:+19193912507", "email:joshuahickman957@gmail.com"]
    assert josh["text"] == ("address-book entry 'Josh Hickman': mobile (919) 579-0479; textnow (919) 391-2507; "
                            "email joshuahickman957@gmail.com")
    apple = ev.filter(pl.col("source_ref") == "ABPerson 2").row(0, named=True)
    assert (apple["sender"], apple["ts_utc"]) == (f"name:{sid}:Apple Inc.", datetime(2023, 4, 15, 14, 0, 33, tzinfo=UTC))
    assert ev.filter(pl.col("source_ref") == "ABPerson 4").item(0, "text") == "address-book entry 'This DFIR': no number or e-mail"
    names = sorted(n.split(":", 2)[2] for n in ev.get_column("sender"))
    assert names == ["Apple Inc.", "Josh Hickman", "Liz", "This DFIR", "This Is DFIR", "This Is DFIR Two", "This Is DFIR Two",
                     "ThisIs DFIRThree", "Thom De'Fer"]
    run = atlas("verify", case_dir)
    assert run.code == 0, run.out  # type: ignore[attr-defined]


def test_verify_names_a_wal_that_changed_after_ingest(samples: Path, tmp_path: Path, atlas: Callable[..., object]) -> None:
    folder = tmp_path / "addressbook"
    shutil.copytree(samples / ADDRESSBOOK, folder)
    case_dir = tmp_path / "case"
    assert atlas("init", case_dir).code == 0  # type: ignore[attr-defined]
    ingest_json(atlas, case_dir, folder / "AddressBook.sqlitedb", "--region", "US")
    wal = folder / "AddressBook.sqlitedb-wal"
    wal.chmod(0o644)
    data = bytearray(wal.read_bytes())
    data[-1] ^= 0xFF
    wal.write_bytes(bytes(data))
    run = atlas("verify", case_dir)
    assert run.code == 1
    assert "AddressBook.sqlitedb-wal): SHA-256 of the wal file read with the source changed" in run.out  # type: ignore[attr-defined]


# --- a database whose rows are all in its -wal ------------------------------------------------

SMS_ROWS = [(i, "+41766013486" if i % 2 else "0766013486", 1_700_000_000_000 + i * 60_000, 1 + i % 2, f"Nachricht {i}")
            for i in range(1, 11)]


def wal_only_mmssms(path: Path) -> Path:
    build_sqlite(path, MMSSMS_DDL, [("INSERT INTO sms (_id, address, date, type, body) VALUES (?, ?, ?, ?, ?)", SMS_ROWS)],
                 user_version=1, wal_only=True)
    return path


def test_a_database_that_is_one_empty_page_with_every_row_in_its_wal_is_read_fully(
        tmp_path: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    db = wal_only_mmssms(tmp_path / "phone" / "mmssms.db")
    wal = db.with_name("mmssms.db-wal")
    assert db.stat().st_size == 4096  # one page, no tables: all of it is in the WAL
    with sqlite3.connect(f"{db.as_uri()}?mode=ro&immutable=1", uri=True) as con:
        assert con.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    before = hashes(db.parent)
    assert parsers.detect(db).INFO.name == "android-mmssms"
    outcomes = {Path(str(o["path"])).name: o for o in ingest_json(atlas, case_dir, db.parent, "--region", "CH")}
    assert hashes(db.parent) == before
    out = outcomes["mmssms.db"]
    assert (out["status"], out["records_read"], out["events"], out["rejects"]) == ("ingested", 10, 10, 0)
    assert outcomes["mmssms.db-wal"]["status"] == "skipped"
    assert out["companions"] == [{"name": "mmssms.db-wal", "role": "wal", "size": wal.stat().st_size, "sha256": sha(wal)}]
    assert any("row counts with it versus the main file alone: " in a and "sms 0 -> 10" in a
               for a in out["assumptions"])  # type: ignore[union-attr]
    ev = Case.open(case_dir).events().collect().sort("source_ref")
    first = ev.filter(pl.col("source_ref") == "sms rowid 1").row(0, named=True)
    assert (first["ts_utc"], first["text"], first["direction"], first["recipients"]) == (
        datetime(2023, 11, 14, 22, 14, 20, tzinfo=UTC), "Nachricht 1", "out", ["tel:+41766013486"])
    assert set(ev.select(pl.concat_list("sender", "recipients")).to_series().explode().drop_nulls()) == {"tel:+41766013486"}


def test_detection_of_a_wal_only_database_leaves_no_working_copy_behind(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile
    db = wal_only_mmssms(tmp_path / "mmssms.db")
    # the temporary folder is this test's own: with two test workers, another test's working copy
    # may come and go in the system's /tmp between two looks at it
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    made: list[str] = []
    real = tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", lambda *a, **k: made.append(real(*a, **k)) or made[-1])
    assert "sms" in Probe(db).sqlite_tables
    assert made and all(Path(m).parent == private and Path(m).name.startswith("atlas-sqlite-") for m in made)
    assert list(private.iterdir()) == []


# --- paths that are URI syntax ---------------------------------------------------------------

@pytest.mark.parametrize("folder", ["exhibit #3", "what?", "100% copy", "a #?% b"])
def test_databases_under_paths_with_uri_characters_are_read(samples: Path, tmp_path: Path, folder: str,
                                                             atlas: Callable[..., object]) -> None:
    where = tmp_path / folder
    where.mkdir()
    shutil.copyfile(samples / "plaso" / "mmssms.db", where / "mmssms.db")
    assert parsers.detect(where / "mmssms.db").INFO.name == "android-mmssms"
    case_dir = tmp_path / "case"
    assert atlas("init", case_dir).code == 0  # type: ignore[attr-defined]
    [outcome] = ingest_json(atlas, case_dir, where, "--region", "US")  # found by a folder walk
    assert (outcome["status"], outcome["events"]) == ("ingested", 9)


# --- damage ------------------------------------------------------------------------------------

def damaged_mmssms(samples: Path, tmp_path: Path) -> Path:
    """The plaso mmssms.db with the cell count of the ``sms`` table's root page set to 0:
    SQLite then reads the table as empty, without an error, but quick_check fails."""
    path = tmp_path / "mmssms.db"
    data = bytearray((samples / "plaso" / "mmssms.db").read_bytes())
    with sqlite3.connect(f"{(samples / 'plaso' / 'mmssms.db').as_uri()}?mode=ro&immutable=1", uri=True) as con:
        root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sms'").fetchone()[0]
    offset = (root - 1) * 4096
    data[offset + 3:offset + 5] = b"\x00\x00"
    path.write_bytes(bytes(data))
    with sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True) as con:
        assert con.execute("SELECT * FROM sms").fetchall() == []  # what a reader without the check would ingest
    return path


def test_a_database_that_fails_its_integrity_check_is_refused_with_sqlites_reason(
        samples: Path, tmp_path: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    path = damaged_mmssms(samples, tmp_path)
    with pytest.raises(FormatError, match=r"mmssms\.db: fails SQLite's integrity check \(PRAGMA quick_check: .*"
                                          r"Fragmentation of 907 bytes reported as 0 on page 10"):
        android_mmssms.parse(path, ParseContext(source_id="s", path=path))
    run = atlas("ingest", case_dir, path)
    assert run.code != 0  # type: ignore[attr-defined]
    assert "fails SQLite's integrity check" in run.err and ".recover" in run.err  # type: ignore[attr-defined]
    assert Case.open(case_dir).sources().height == 0


def test_a_stale_wal_beside_a_database_not_in_wal_mode_is_not_applied_and_says_so(samples: Path, tmp_path: Path) -> None:
    db = wal_only_mmssms(tmp_path / "live" / "mmssms.db")
    stale = tmp_path / "old" / "mmssms.db"
    stale.parent.mkdir()
    shutil.copyfile(samples / "plaso" / "mmssms.db", stale)  # rollback-journal mode (header bytes 18-19 = 1)
    shutil.copyfile(db.with_name("mmssms.db-wal"), stale.with_name("mmssms.db-wal"))
    result = android_mmssms.parse(stale, ParseContext(source_id="s", path=stale, region="US"))
    assert result.events.height == 9
    assert any("mmssms.db-wal beside the database" in a and "not in WAL mode" in a for a in result.assumptions)


def test_the_real_addressbook_is_read_as_american_without_being_told(
        samples: Path, case_dir: Path, atlas: Callable[..., object]) -> None:
    [book] = [o for o in ingest_json(atlas, case_dir, samples / ADDRESSBOOK / "AddressBook.sqlitedb")]
    assert ("national phone numbers read as US numbers: 1 of the 1 distinct numbers written internationally are US "
            "numbers (US x1), and 4 of the 4 numbers written nationally are valid US landline or mobile numbers (0 would "
            "be as GB numbers); nothing in the source records a SIM or country") in book["assumptions"]  # type: ignore[operator]
    ev = Case.open(case_dir).events().collect()
    assert "tel:+19198027080" in set(ev.get_column("recipients").explode().drop_nulls())
