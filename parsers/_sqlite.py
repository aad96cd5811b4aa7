"""SQLite evidence files as extractions present them.

Why this module: a phone's databases are rarely one tidy file. A full-file-system
extraction copies the main file *and* what lies beside it:

* ``<name>-wal``: the write-ahead log. An app in WAL mode writes new rows there first;
  until a checkpoint they exist nowhere else. In a live extraction the main file may be
  one empty page and every row in the WAL (measured: an Android app that had never
  checkpointed). The WAL is read as part of the source.
* ``<name>-journal``: a *hot* rollback journal (live header) means the app was mid-write
  when the files were copied: the main file may hold half a transaction, and the
  journal holds the pages as they were before it. Rolling it back gives the database at
  its last committed transaction, which is what is read.
* ``<name>-shm``: the WAL's index, rebuilt by SQLite from the WAL; not evidence.

Nothing of the original is ever opened for writing: when there is a WAL or a hot journal
the files are copied into a private temporary folder and SQLite works on the copies
(replaying the WAL, rolling back the journal); otherwise the original is opened
``mode=ro&immutable=1`` (no locks, no writes, nothing replayed). Paths go into SQLite's
``file:`` URI through :meth:`pathlib.Path.as_uri`, so ``#``, ``?``, ``%`` and spaces in a
folder name are escaped rather than read as URI syntax.

Detection reads only the schema it needs (table and column names), and tolerates tables
this SQLite cannot open: a virtual table whose module or tokenizer is not built in (iOS
AddressBook's full-text index ``ABPersonFullTextSearch`` uses Apple's
``ab_cf_tokenizer``) is listed with no columns instead of failing the whole file.

Before a parser reads, ``PRAGMA quick_check`` must answer ``ok``: a damaged database is
refused with SQLite's own reasons (never read as "0 records"), and the error says how
to recover what can be read on a working copy.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from atlas.errors import FormatError
from parsers import _wal

SQLITE_MAGIC: Final = b"SQLite format 3\x00"
JOURNAL_MAGIC: Final = bytes.fromhex("d9d505f920a163d7")
WAL_MAGICS: Final = (bytes.fromhex("377f0682"), bytes.fromhex("377f0683"))
WAL_HEADER: Final = 32
WAL_FRAME_HEADER: Final = 24
JOURNAL_MIN: Final = 28
QUICK_CHECK_LIMIT: Final = 10
COPY_NAME: Final = "evidence.db"


@dataclass(frozen=True)
class Companion:
    """A file beside a database that SQLite reads with it (``-wal`` or hot ``-journal``)."""

    path: Path
    role: Literal["wal", "journal"]
    size: int


def companion_path(path: Path, role: str) -> Path:
    return path.with_name(f"{path.name}-{role}")


def companions(path: Path) -> list[Companion]:
    """The ``-wal`` (with a valid header) and hot ``-journal`` beside ``path`` that SQLite would read.

    An empty WAL, a WAL without its magic number, a WAL beside a database not in WAL mode
    (header bytes 18-19 are 2 in WAL mode), or a journal whose header is zeroed
    (``PERSIST`` mode after a commit) hold nothing SQLite would apply: not companions.
    """
    found: list[Companion] = []
    try:
        with path.open("rb") as fh:
            head = fh.read(20)
    except OSError:
        return found
    wal_mode = head[18:20] == b"\x02\x02"
    for role, minimum, magics in (("wal", WAL_HEADER, WAL_MAGICS), ("journal", JOURNAL_MIN, (JOURNAL_MAGIC,))):
        if role == "wal" and not wal_mode:
            continue
        side = companion_path(path, role)
        try:
            if not side.is_file():
                continue
            size = side.stat().st_size
            if size < minimum:
                continue
            with side.open("rb") as fh:
                head = fh.read(8)
        except OSError:
            continue
        if any(head.startswith(m) for m in magics):
            found.append(Companion(side, role, size))  # type: ignore[arg-type]
    return found


def immutable_uri(path: Path) -> str:
    """An escaped ``file:`` URI that opens ``path`` read-only, immutable (no locks, no WAL replay)."""
    return path.resolve().as_uri() + "?mode=ro&immutable=1"


class _Text:
    """SQLite TEXT as str: UTF-8, and where damaged bytes are not UTF-8, decoded with U+FFFD
    and counted (a damaged page's text is kept and flagged, not a crash)."""

    def __init__(self) -> None:
        self.damaged = 0

    def __call__(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.damaged += 1
            return raw.decode("utf-8", errors="replace")

    def note(self) -> str | None:
        if not self.damaged:
            return None
        return (f"{self.damaged} text value(s) read are not valid UTF-8 (damaged bytes): shown with the replacement "
                "character U+FFFD where the bytes could not be read")


def _connect(uri: str, path: Path, text: _Text | None = None) -> sqlite3.Connection:
    try:
        con = sqlite3.connect(uri, uri=True)
        if text is not None:
            con.text_factory = text
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        # SQLite's own message can quote damaged schema bytes that are not UTF-8.
        reason = "malformed database schema (bytes that are not UTF-8)" if isinstance(exc, UnicodeDecodeError) else exc
        raise FormatError(
            f"{path}: cannot open as SQLite ({reason}); the file may be encrypted, truncated or not a database"
        ) from exc
    return con


@contextmanager
def _working_copy(path: Path, sides: list[Companion]) -> Iterator[Path]:
    """The database and its companions copied into a private temporary folder.

    A hot journal is rolled back there (SQLite does so on the first read of a
    read-write connection); the WAL is left for the read-only connection to apply.
    """
    with tempfile.TemporaryDirectory(prefix="atlas-sqlite-") as tmp:
        copy = Path(tmp) / COPY_NAME
        try:
            shutil.copyfile(path, copy)
            for side in sides:
                shutil.copyfile(side.path, companion_path(copy, side.role))
        except OSError as exc:
            raise FormatError(f"{path}: cannot copy the database and its -wal/-journal to a working folder "
                              f"({exc.strerror or exc})") from exc
        if any(s.role == "journal" for s in sides):
            try:
                with closing(sqlite3.connect(copy.as_uri(), uri=True)) as con:
                    con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.DatabaseError as exc:
                raise FormatError(f"{path}: its hot rollback journal could not be rolled back on a working copy "
                                  f"({exc}); the database may be corrupt") from exc
        yield copy


def read_schema(con: sqlite3.Connection, path: Path) -> tuple[dict[str, set[str]], list[str]]:
    """(table → column names, tables this SQLite cannot open), naming the file if the schema is unreadable.

    A table whose columns cannot be listed (a virtual table with an unknown module or
    tokenizer) gets an empty set: detection and parsers simply do not find columns there.
    """
    try:
        rows = con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").fetchall()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot read the database schema ({exc}); the file may be corrupt") from exc
    tables: dict[str, set[str]] = {}
    unreadable: list[str] = []
    for (name,) in rows:
        try:
            quoted = str(name).replace('"', '""')
            tables[name] = {r[1] for r in con.execute(f'PRAGMA table_info("{quoted}")')}
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            tables[name] = set()
            unreadable.append(f"{name} ({exc})")
    return tables, unreadable


def _row_counts(con: sqlite3.Connection, tables: dict[str, set[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, cols in tables.items():
        if not cols or name.startswith("sqlite_"):
            continue
        try:
            quoted = name.replace('"', '""')
            counts[name] = int(con.execute(f'SELECT count(*) FROM "{quoted}"').fetchone()[0])
        except sqlite3.DatabaseError:
            continue
    return counts


def _companion_notes(path: Path, sides: list[Companion], page_size: int, before: dict[str, int] | None,
                     after: dict[str, int]) -> list[str]:
    """What reading the companions changed, per table, for the source's assumptions."""
    if before is None:
        change = "the main file alone could not be opened to compare row counts"
    else:
        diffs = [f"{t} {before.get(t, 0)} -> {n}" for t, n in sorted(after.items()) if before.get(t, 0) != n]
        gone = [f"{t} {n} -> 0" for t, n in sorted(before.items()) if t not in after and n]
        change = ("row counts with it versus the main file alone: " + ", ".join(diffs + gone)
                  if diffs or gone else "no table's row count differs from the main file alone "
                  "(rows may still have been changed in place)")
    notes: list[str] = []
    for side in sides:
        if side.role == "wal":
            frames = max(0, (side.size - WAL_HEADER) // (WAL_FRAME_HEADER + page_size))
            notes.append(
                f"{side.path.name} ({side.size} bytes, about {frames} page frames) read with {path.name} as one "
                "source: its committed transactions were applied on a temporary read-only copy (the original files "
                f"are unchanged and hashed with the source), as the app itself would read them; {change} (where a count "
                "grew, the extra rows came from the WAL; where it fell, the WAL deleted rows the main file still holds)")
        else:
            notes.append(
                f"{side.path.name} ({side.size} bytes) is a hot rollback journal: the app was writing when the files "
                "were copied. It was rolled back on a temporary copy (the original files are unchanged and hashed with "
                "the source), so the database is read at its last committed transaction and the half-written one is "
                f"not read; {change}")
    return notes


def _page_size(path: Path) -> int:
    with path.open("rb") as fh:
        head = fh.read(100)
    raw = int.from_bytes(head[16:18], "big") if len(head) >= 18 else 4096
    return 65536 if raw == 1 else (raw or 4096)


def quick_check(con: sqlite3.Connection, path: Path) -> None:
    """Refuse a database that fails ``PRAGMA quick_check``, quoting SQLite's reasons."""
    try:
        found = [str(r[0]) for r in con.execute(f"PRAGMA quick_check({QUICK_CHECK_LIMIT})").fetchall()]
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        found = [str(exc) if isinstance(exc, sqlite3.DatabaseError) else "damaged bytes that are not UTF-8"]
    if found == ["ok"]:
        return
    found = [line.strip() for row in found for line in row.splitlines()
             if line.strip() and not line.startswith("*** in database")]
    shown = "; ".join(found[:3]) + (f"; … ({len(found)} problems listed)" if len(found) > 3 else "")
    raise FormatError(
        f"{path}: fails SQLite's integrity check (PRAGMA quick_check: {shown}); refused rather than read short, since "
        "records on damaged pages would be lost without a trace. Recover what can be read on a working copy "
        "(sqlite3 copy.db '.recover' | sqlite3 recovered.db), ingest the recovered database as its own exhibit and "
        "state the method")


def wal_scans(path: Path, sides: list[Companion] | None = None) -> list[_wal.WalScan]:
    """The ``-wal`` beside ``path`` walked as SQLite walks it (none: no WAL SQLite would use, or it cannot be read:
    the copy to the working folder names that OS error)."""
    out: list[_wal.WalScan] = []
    for side in companions(path) if sides is None else sides:
        if side.role == "wal":
            try:
                scan = _wal.scan(side.path)
            except OSError:
                continue
            if scan is not None:
                out.append(scan)
    return out


def wal_refusal(path: Path, scans: list[_wal.WalScan] | None = None) -> str | None:
    """Why the ``-wal`` beside ``path`` would make the read silently short (cut, or damaged part way), or None
    (the reason only: the caller names the file).

    SQLite stops at a log's first bad frame without a word (:mod:`parsers._wal`); read that way,
    a cut copy is a database with fewer rows and no error, which evidence must never be."""
    for scan in wal_scans(path) if scans is None else scans:
        if why := _wal.refusal(scan):
            return why
    return None


@contextmanager
def open_database(path: Path, *, check: bool = True) -> Iterator[tuple[sqlite3.Connection, list[str]]]:
    """``path`` opened read-only with its companions applied: (connection, notes for the source).

    ``check`` runs ``PRAGMA quick_check`` first (parsing); detection skips it.
    """
    sides = companions(path)
    notes: list[str] = []
    text = _Text()
    if not sides:
        with closing(_connect(immutable_uri(path), path, text)) as con:
            if check:
                quick_check(con, path)
            yield con, notes
        if text.note():
            notes.append(str(text.note()))
        return
    before: dict[str, int] | None = None
    if check:
        scans = wal_scans(path, sides)
        if why := wal_refusal(path, scans):
            raise FormatError(f"{path}: {why}")
        notes += [note for scan in scans for note in _wal.notes(scan)]
        try:
            with closing(sqlite3.connect(immutable_uri(path), uri=True)) as main:
                before = _row_counts(main, read_schema(main, path)[0])
        except (sqlite3.DatabaseError, FormatError):
            before = None
    with _working_copy(path, sides) as copy, closing(_connect(copy.as_uri() + "?mode=ro", path, text)) as con:
        if check:
            quick_check(con, path)
            notes += _companion_notes(path, sides, _page_size(path), before, _row_counts(con, read_schema(con, path)[0]))
        yield con, notes
    if text.note():
        notes.append(str(text.note()))


def probe_schema(path: Path) -> dict[str, set[str]]:
    """Table → column names for detection; {} if unreadable. No integrity check.

    The main file alone is read first (no copy): its schema is what detection needs. Only
    when it has no tables (a WAL-only database) or cannot be opened (a hot journal) are
    the companions applied on a temporary copy."""
    try:
        with closing(_connect(immutable_uri(path), path)) as con:
            tables = read_schema(con, path)[0]
        if tables or not companions(path):
            return tables
    except (sqlite3.DatabaseError, FormatError, OSError, UnicodeDecodeError):
        if not companions(path):
            return {}
    try:
        with open_database(path, check=False) as (con, _):
            return read_schema(con, path)[0]
    except (sqlite3.DatabaseError, FormatError, OSError, UnicodeDecodeError):
        return {}
