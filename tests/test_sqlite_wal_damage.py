"""A ``-wal`` SQLite would apply only in part is refused or stated, never read short in silence.

SQLite stops at a log's first bad frame and applies frames only to the last commit before it,
without a word (:mod:`parsers._wal`). Before session 18 a ``-wal`` cut by a copy read as a
database with fewer rows (the real-shaped ``msgstore.db`` that never checkpointed: 0 messages,
status "ingested"), and a damaged frame did the same. The sweep (``wal-*`` variants of
tests/_hostile.py) holds every SQLite parser to it; these hold the words, the count and the notes.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sqlite3
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

import parsers
from atlas.errors import FormatError, NotASourceError
from parsers import _wal, android_mmssms
from parsers.base import ParseContext, ParseResult


def parse(path: Path) -> ParseResult:
    return android_mmssms.parse(path, ParseContext(source_id="src", path=path, region="US"))


def wal_copy(samples: Path, folder: Path, transactions: int = 2) -> tuple[Path, Path]:
    """plaso's mmssms.db (9 SMS) in WAL mode with one new SMS per transaction held only in its ``-wal``."""
    folder.mkdir()
    path = folder / "mmssms.db"
    shutil.copyfile(samples / "plaso" / "mmssms.db", path)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    for n in range(transactions):
        con.execute("INSERT INTO sms (address, date, type, body) VALUES ('15555215554', 1383067000000, 1, ?)",
                    (f"only in the WAL {n}",))
        con.commit()
    wal = path.with_name("mmssms.db-wal")
    kept = path.read_bytes(), wal.read_bytes()
    con.close()  # (checkpoints and deletes the log: put both back as the copy found them)
    path.write_bytes(kept[0])
    wal.write_bytes(kept[1])
    return path, wal


def test_a_whole_wal_is_read_in_full(samples: Path, tmp_path: Path) -> None:
    path, _ = wal_copy(samples, tmp_path / "whole")
    result = parse(path)
    assert result.events.height == 11
    assert not any("never committed" in n or "restarted" in n for n in result.assumptions)


def test_a_wal_cut_part_way_into_a_frame_is_refused_naming_the_frame(samples: Path, tmp_path: Path) -> None:
    path, wal = wal_copy(samples, tmp_path / "cut")
    data = wal.read_bytes()
    page = int.from_bytes(data[8:12], "big")
    frames = (len(data) - 32) // (24 + page)
    wal.write_bytes(data[:-100])  # the last frame (the second transaction's commit) loses 100 bytes
    with pytest.raises(FormatError) as err:
        parse(path)  # before: 10 SMS, no error (the second transaction dropped without a word)
    message = str(err.value)
    assert message.startswith(f"{path}: its -wal is cut: mmssms.db-wal has {len(data) - 100} bytes")
    assert f"into frame {frames} ({page}-byte pages)" in message
    assert "acquire a complete copy of the database with its -wal" in message and "\n" not in message


def test_a_damaged_frame_with_a_commit_after_it_is_refused(samples: Path, tmp_path: Path) -> None:
    path, wal = wal_copy(samples, tmp_path / "damaged")
    data = bytearray(wal.read_bytes())
    data[32 + 24 + 10] ^= 0xFF  # the first frame's page: SQLite would apply nothing and read the 9 SMS of the main file
    wal.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=r"mmssms\.db: its -wal is damaged: frame 1 of mmssms\.db-wal fails its "
                                          r"checksum, and 2 committed transaction\(s\) follow it; SQLite would apply none"):
        parse(path)


def _uncommit_last_frame(wal: Path) -> None:
    """The log's last frame made a non-commit frame with a correct checksum: a transaction in flight."""
    data = bytearray(wal.read_bytes())
    page = int.from_bytes(data[8:12], "big")
    step = 24 + page
    frames = (len(data) - 32) // step
    big = data[:4] == bytes.fromhex("377f0683")
    s1, s2 = struct.unpack(">II", data[24:32])
    for n in range(frames):
        at = 32 + n * step
        if n == frames - 1:
            data[at + 4:at + 8] = bytes(4)
        s1, s2 = _wal._checksum(bytes(data[at:at + 8]), big, s1, s2)
        s1, s2 = _wal._checksum(bytes(data[at + 24:at + step]), big, s1, s2)
        data[at + 16:at + 24] = struct.pack(">II", s1, s2)
    wal.write_bytes(bytes(data))


def test_an_uncommitted_transaction_at_the_end_is_not_read_and_is_stated(samples: Path, tmp_path: Path) -> None:
    path, wal = wal_copy(samples, tmp_path / "uncommitted")
    _uncommit_last_frame(wal)
    result = parse(path)
    assert result.events.height == 10  # the second SMS was never committed: the app would not read it either
    scan = _wal.scan(wal)
    assert scan is not None and scan.applied < scan.frames and scan.uncommitted == scan.frames - scan.applied
    [note] = [n for n in result.assumptions if "never committed" in n]
    assert note.startswith(f"the last {scan.uncommitted} frame(s) of mmssms.db-wal are a transaction that was never "
                           "committed (the app was writing when the files were copied): not read")


def test_a_database_whose_tables_are_all_in_a_cut_wal_is_named_as_such_not_just_unrecognised(tmp_path: Path) -> None:
    path = tmp_path / "msgstore.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("CREATE TABLE messages (_id INTEGER PRIMARY KEY, key_remote_jid TEXT, data TEXT, timestamp INTEGER)")
    con.commit()
    wal = path.with_name("msgstore.db-wal")
    kept = path.read_bytes(), wal.read_bytes()
    con.close()
    path.write_bytes(kept[0])
    wal.write_bytes(kept[1][:100])
    with pytest.raises(NotASourceError, match=r"msgstore\.db: format not recognised \(a SQLite database of \d+ bytes "
                                              r"with no tables SQLite can read; its -wal is cut: msgstore\.db-wal has "
                                              r"100 bytes"):
        parsers.detect(path)  # before: "format not recognised (binary file, 4096 bytes)"


def test_a_wal_without_its_database_is_named_as_such_alone_and_in_a_folder(samples: Path, tmp_path: Path,
                                                                           atlas: Callable[..., object],
                                                                           case_dir: Path) -> None:
    path, wal = wal_copy(samples, tmp_path / "alone")
    path.unlink()
    size = wal.stat().st_size
    words = (f"format not recognised (a SQLite write-ahead log of {size} bytes without its database 'mmssms.db' "
             "beside it: the rows in a -wal cannot be read without the database")
    with pytest.raises(NotASourceError, match=re.escape(f"{wal}: {words}")):
        parsers.detect(wal)  # before: "format not recognised (binary file, N bytes)"
    run = atlas("ingest", case_dir, wal.parent, "--json")  # in a folder walk: skipped with the whole reason
    assert run.code == 3  # type: ignore[attr-defined]
    [row] = json.loads(run.out)  # type: ignore[attr-defined]
    assert row["status"] == "skipped" and row["message"].startswith(words)


def test_a_password_protected_workbook_is_named_when_nothing_reads_it(tmp_path: Path,
                                                                      atlas: Callable[..., object],
                                                                      case_dir: Path) -> None:
    path = tmp_path / "cdr.xlsx"
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(4096))  # what Excel writes for an encrypted .xlsx
    run = atlas("ingest", case_dir, path)
    assert run.code == 2  # type: ignore[attr-defined]
    assert (f"{path}: format not recognised (an OLE2 compound file of 4104 bytes: an Excel workbook saved with a "
            "password (encrypted) or an old binary Office file such as .xls") in run.err  # type: ignore[attr-defined]


def test_a_zip_download_is_named_as_an_archive_to_extract_its_member_names_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "twitter-2026.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data/direct-messages.js", "window.YTD.direct_messages.part0 = []")
        zf.writestr("data/\nevil" + "x" * 300, "x")  # a hostile member name: escaped and cut, the error stays one line
    with pytest.raises(NotASourceError) as err:
        parsers.detect(path)  # before: "format not recognised (binary file, N bytes)"
    message = str(err.value)
    assert message.startswith(f"{path}: format not recognised (a zip archive of {path.stat().st_size} bytes holding "
                              "2 file(s), such as 'data/direct-messages.js', 'data/\\nevil")
    assert "extract it (the archive stays the original, with its hash) and ingest the folder" in message
    assert "\n" not in message and "x" * 100 not in message


def test_the_scan_ignores_a_log_sqlite_would_ignore(tmp_path: Path) -> None:
    wal = tmp_path / "x.db-wal"
    wal.write_bytes(bytes.fromhex("377f0682") + bytes(28))  # the magic, a page size of 0: SQLite ignores it
    assert _wal.scan(wal) is None


@pytest.mark.parametrize("big_endian", [False, True])
def test_the_fast_checksum_equals_sqlites_plain_rule(big_endian: bool) -> None:
    rng = random.Random(18)
    for size in (8, 16, 512, 1024, 4096, 65536):
        for _ in range(20):
            data = rng.randbytes(size)
            s1, s2 = rng.getrandbits(32), rng.getrandbits(32)
            assert _wal._checksum_fast(data, big_endian, s1, s2) == _wal._checksum(data, big_endian, s1, s2)
