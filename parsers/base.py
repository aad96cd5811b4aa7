"""What a parser is: a module that declares what it reads and turns a file into rows.

Like an ALEAPP artifact or a plaso plugin, each parser module in this package has:

* ``INFO``: a :class:`ParserInfo`: name, version, what it detects, and notes saying
  where the format knowledge comes from and what it yields on public samples;
* ``detect(probe) -> int``: a confidence 0-100 from the file's *content* (the name
  only ever breaks ties);
* ``parse(path, ctx) -> ParseResult``: raw event rows in
  :data:`atlas.model.RAW_EVENT_SCHEMA` (only the columns the format has), rejects with
  reasons, and the number of records read. Normalisation is shared, not done here.

The registry (:mod:`parsers`) finds modules by that shape: adding a format is adding
one file and its tests.
"""

from __future__ import annotations

import re
import sqlite3
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol

import polars as pl

from atlas.errors import FormatError
from atlas.model import REJECT_SCHEMA

PROBE_BYTES = 256 * 1024
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines split at LF, CRLF or a lone CR, and nothing else: form feed, vertical tab,
    the separators ``\\x1c``-``\\x1e``, NEL and U+2028/U+2029 are characters of a line, as
    the CSV reader and the chat exports treat them (``str.splitlines`` splits at all of
    them). A final line break adds no line."""
    if not text:
        return []
    lines = _LINE_BREAK.split(text)
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


@dataclass(frozen=True)
class ParserInfo:
    name: str
    version: str
    description: str
    detects: str
    notes: str = ""
    sample_counts: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ParseContext:
    """What the ingest knows about a source before parsing it."""

    source_id: str
    path: Path
    timezone: str = "Europe/London"
    region: str = "GB"
    owner: str | None = None
    dayfirst: bool | None = None
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class ParseResult:
    """A parser's answer. ``records_read`` must equal rows of events + rejects."""

    events: pl.DataFrame
    rejects: pl.DataFrame
    records_read: int
    owner: str | None = None
    region: str | None = None
    assumptions: list[str] = field(default_factory=list)
    evidence: pl.DataFrame | None = None
    """Identity evidence rows (see :data:`atlas.model.IDENTITY_EVIDENCE_SCHEMA`)."""
    extra: dict[str, pl.DataFrame] = field(default_factory=dict)
    """Reference tables a source carries besides events (e.g. ``cells``)."""
    identifiers_are_uris: bool = False
    """``sender``/``recipients`` already hold URIs made by
    :func:`atlas.normalise.identifiers.identifier_map` (a parser whose identifiers are a
    handful of distinct values, such as a chat's authors, converts them once itself), so
    the shared normaliser skips its per-row identifier pass. Converting a URI again would
    leave it unchanged; the flag only saves the work."""
    refs_unique: bool = False
    """The parser has proved its ``source_ref`` values distinct (e.g. from strictly
    increasing line numbers), so the normaliser's duplicate check can be skipped."""


class ParserModule(Protocol):
    INFO: ParserInfo

    def detect(self, probe: Probe) -> int: ...

    def parse(self, path: Path, ctx: ParseContext) -> ParseResult: ...


class Probe:
    """A cheap, cached look at a file's content for detection."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @cached_property
    def head(self) -> bytes:
        with self.path.open("rb") as fh:
            return fh.read(PROBE_BYTES)

    @cached_property
    def size(self) -> int:
        return self.path.stat().st_size

    @cached_property
    def text(self) -> str:
        """The head decoded as text (BOM removed), or "" for binary content."""
        data = self.head
        if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return ""
        for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
            if data.startswith(bom):
                return data[len(bom):].decode(enc, errors="ignore")
        return data.decode("utf-8", errors="ignore")

    @cached_property
    def lines(self) -> list[str]:
        """:attr:`text` split into lines by :func:`split_lines` (every line-ending
        convention; control and separator characters stay data)."""
        return split_lines(self.text)

    @cached_property
    def is_sqlite(self) -> bool:
        return self.head.startswith(b"SQLite format 3\x00")

    @cached_property
    def sqlite_tables(self) -> dict[str, set[str]]:
        """Table name → column names, read read-only; {} if not a readable database."""
        if not self.is_sqlite:
            return {}
        try:
            with readonly_sqlite(self.path) as con:
                names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
                return {n: {r[1] for r in con.execute(f'PRAGMA table_info("{n}")')} for n in names}
        except (sqlite3.DatabaseError, FormatError):
            return {}

    @cached_property
    def is_zip(self) -> bool:
        return self.head.startswith(b"PK\x03\x04")

    @cached_property
    def zip_names(self) -> list[str]:
        if not self.is_zip:
            return []
        try:
            with zipfile.ZipFile(self.path) as zf:
                return zf.namelist()
        except zipfile.BadZipFile:
            return []


class readonly_sqlite:
    """Open a SQLite evidence file read-only and immutable, with clear errors.

    ``mode=ro&immutable=1`` means SQLite neither writes nor takes locks, so the
    file's hash cannot change and a ``-wal`` beside it is not replayed into it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con: sqlite3.Connection | None = None

    def __enter__(self) -> sqlite3.Connection:
        uri = f"file:{self.path.resolve().as_posix()}?mode=ro&immutable=1"
        try:
            con = sqlite3.connect(uri, uri=True)
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise FormatError(
                f"{self.path}: cannot open as SQLite ({exc}); the file may be encrypted, truncated or not a database"
            ) from exc
        self.con = con
        return con

    def __exit__(self, *exc: object) -> None:
        if self.con is not None:
            self.con.close()


def sqlite_frame(con: sqlite3.Connection, query: str, path: Path, schema: Mapping[str, type[pl.DataType] | pl.DataType] | None = None) -> pl.DataFrame:
    """Run a query on an evidence database, naming the file if the database is damaged."""
    try:
        cur = con.execute(query)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    except sqlite3.DatabaseError as exc:
        raise FormatError(f"{path}: database error while reading ({exc}); the file may be truncated or corrupt") from exc
    columns = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    return pl.DataFrame(columns, schema=schema, strict=False) if schema else pl.DataFrame(columns, strict=False)


def rejects_frame(source_id: str, refs: list[str], reasons: list[str], excerpts: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"source_id": [source_id] * len(refs), "source_ref": refs, "reason": reasons, "excerpt": excerpts},
        schema=REJECT_SCHEMA,
    )
