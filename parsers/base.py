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

import lzma
import re
import sqlite3
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol

import polars as pl

from atlas.errors import FormatError
from atlas.model import REJECT_SCHEMA, Channel, EvidenceCategory
from parsers._sqlite import probe_schema

PROBE_BYTES = 256 * 1024

ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError,
              zlib.error, lzma.LZMAError, ValueError, KeyError, UnicodeDecodeError)
"""Everything reading a damaged or unusual zip (a ``.ufdr``, an ``.xlsx``) can raise: zipfile's
own error, an unsupported "version needed" or compression method (``NotImplementedError``), an
encrypted member (``RuntimeError``), a directory pointing before the start of the file
(``ValueError``/``OSError``), damaged deflate data (``zlib.error``), a cut stream
(``EOFError``), a member the directory names but the file lacks (``KeyError``). Every reader
of a zip catches this one tuple, so a damage the fuzzer finds next is not a new traceback.
LZMA data that is damaged raises ``lzma.LZMAError`` (session 18: it was missing)."""

ZIP_METHODS = {6: "Implode", 9: "Deflate64", 93: "Zstandard", 95: "xz", 98: "PPMd", 99: "WinZip AES encryption"}
"""Zip compression methods zipfile cannot decompress, named for people (an error names the method as well as its number)."""

MEMBER_DATA_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError)
"""What a zip member's *data* raises as it streams, whatever its compression method: a bad CRC
(``BadZipFile``), damaged deflate (``zlib.error``) or LZMA (``LZMAError``) data, a cut stream
(``EOFError``), a method zipfile cannot decompress. Damaged bzip2 data raises a plain ``OSError``
with no errno (see :func:`member_damage`)."""


def member_damage(exc: BaseException) -> bool:
    """True when ``exc``, raised while a zip member streams, is damage in the member's data, for any
    compression method zipfile reads; False for an I/O error (an OSError with an errno, which is the
    source's read failure) or anything else (a bug, which the parse boundary reports as one).

    Why: a UFDR whose report is bzip2- or LZMA-compressed and damaged fell through the narrower
    deflate-only list to the catch-all boundary ("parser failed ... OSError: Invalid data stream")."""
    if isinstance(exc, OSError):
        return exc.errno is None
    return isinstance(exc, MEMBER_DATA_ERRORS)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


PLACE_BLANK = " \t\r\n"
"""What an exhibit reference trims from the ends of a record's place (``atlas.exhibits.BLANK``;
a test holds the two equal)."""


def quoted_name(name: str) -> str:
    """A name from the source (a sheet's, a record's id) as it stands in a record's place
    (``source_ref``): as it is, or in single quotes, each ``'`` doubled, as Excel writes a sheet in a
    formula (``' Calls'!A5``), where it begins or ends with a blank or a quote, or is empty. An
    exhibit reference trims a place's blanks, so ``' Calls' row 5`` and ``Calls row 5`` stay two
    references where `` Calls row 5`` would have become the other; and since a name left as it is
    never begins with a quote, distinct names always give distinct places."""
    if not name or name[0] in PLACE_BLANK or name[-1] in PLACE_BLANK or name[0] == "'" or name[-1] == "'":
        return "'" + name.replace("'", "''") + "'"
    return name


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
class SampleCount:
    """What a parser yields on one public sample in ``../shared/samples`` (checked by
    ``tests/test_parser_contracts.py`` through the whole ingest)."""

    sample: str
    """Path under ``../shared/samples``."""
    records: int
    events: int
    rejects: int
    first_ref: str
    """``source_ref`` of the first event the parser gives."""
    first_ts: str | None
    """Its ``ts_utc`` in ISO 8601 (``None`` for an untimed record)."""
    note: str = ""
    """Where the sample comes from and what the records are."""
    region: str | None = None
    """``--region`` the sample needs (none: the parser decides from the data)."""


@dataclass(frozen=True)
class ParserInfo:
    """A parser's declaration. ``category`` and ``channels`` have no default: a parser
    that forgets them fails at import, and the statement's limits, colours and channel
    lists are read from them (never from words in ``description``)."""

    name: str
    version: str
    description: str
    detects: str
    category: EvidenceCategory
    channels: frozenset[Channel]
    notes: str = ""
    sample_counts: tuple[SampleCount, ...] = ()
    no_public_sample: str = ""
    """Why ``sample_counts`` is empty (no public file of this format exists, say), and what
    the parser is tested on instead."""

    def __post_init__(self) -> None:
        if not isinstance(self.category, EvidenceCategory):
            raise TypeError(f"parser {self.name}: category must be an EvidenceCategory, not {self.category!r}")
        if not self.channels or not all(isinstance(c, Channel) for c in self.channels):
            raise TypeError(f"parser {self.name}: channels must be a non-empty set of Channel values")
        if not self.sample_counts and not self.no_public_sample:
            raise TypeError(f"parser {self.name}: declare sample_counts, or say in no_public_sample why there are none")


@dataclass
class ParseContext:
    """What the ingest knows about a source before parsing it."""

    source_id: str
    path: Path
    timezone: str = "Europe/London"
    region: str = "GB"
    """The case's region, or the one the analyst gave (``region_instructed``)."""
    region_instructed: bool = False
    """``--region`` was given: parsers use ``region`` as it is instead of inferring one
    from the data (:func:`atlas.normalise.region.choose_region`)."""
    owner: str | None = None
    dayfirst: bool | None = None
    options: dict[str, str] = field(default_factory=dict)
    convert_identifiers: bool = False
    """The caller normalises the result straight away (the ingest does): a parser that can
    turn its identifiers into URIs more cheaply than the shared normaliser (from a table of
    its distinct parties, not row by row) may do so, with the region it returns, and set
    :attr:`ParseResult.identifiers_are_uris`. The normalised events are the same either way
    (each parser that does so tests it); left false, parsers give identifiers as written."""
    finished_reading: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    """Set by the ingest: a parser that has read all it will read of the source, and works on
    in memory from then on, may call it so that the source's second hash (which proves the
    file unchanged by the end of its reading) runs beside that work instead of after it. A
    parser that calls it must not read the source again; one that never calls it loses
    nothing (the second hash then starts when it returns). Calling it twice is harmless."""
    data: bytes | None = field(default=None, repr=False, compare=False)
    """Set by the ingest for a parser that reads whole files (its module's ``reads_whole``
    says so of this file): the file's bytes, read once through a read-only handle, whose
    SHA-256 is the source's recorded hash. The parser must then parse exactly these bytes and
    never open ``path`` (named in messages only); the ingest checks the file's identity
    unchanged afterwards instead of hashing it again. None: the parser reads ``path``."""
    table_ready: Callable[[str, pl.DataFrame], None] | None = field(default=None, repr=False, compare=False)
    """Set by the ingest: a parser may hand over an extra table (:attr:`ParseResult.extra`,
    by its name) as soon as it is final, so that the ingest encodes it for the store beside
    the parser's remaining work and normalisation. The encoding is used only if the result
    then holds that very frame under that name; otherwise the table is encoded at the commit
    as always. The frame must not be changed afterwards (Polars frames are not, in place)."""


@dataclass
class ParseResult:
    """A parser's answer. ``records_read`` must equal rows of events + rejects."""

    events: pl.DataFrame
    rejects: pl.DataFrame
    records_read: int
    owner: str | None = None
    region: str | None = None
    """The region the parser chose for national numbers (with
    :func:`atlas.normalise.region.choose_region`, its reason in ``assumptions``). None:
    the ingest decides from the numbers in the events and states it."""
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


def reads_whole(parser: object, probe: Probe) -> bool:
    """Whether ``parser`` reads this file whole from memory (:attr:`ParseContext.data`).

    Opt-in: a parser module that reads a file whole (into one table, say) may define
    ``reads_whole(probe) -> bool``, true for the files it then parses from the bytes it is
    given and nothing else; a module without it reads its files itself, as always."""
    fn = getattr(parser, "reads_whole", None)
    return bool(fn(probe)) if callable(fn) else False


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
        """Table name → column names, read read-only; {} if not a readable database.

        Only the schema is read; a ``-wal`` or hot ``-journal`` beside the file is applied
        on a temporary copy first (a WAL-only database has its tables there), and a table
        this SQLite cannot open (a virtual table with an unknown tokenizer) has no columns
        rather than failing the file (see :mod:`parsers._sqlite`)."""
        if not self.is_sqlite:
            return {}
        return probe_schema(self.path)

    @cached_property
    def is_zip(self) -> bool:
        return self.head.startswith(b"PK\x03\x04")

    @cached_property
    def _zip_listing(self) -> tuple[list[str], str | None]:
        if not self.is_zip:
            return [], None
        try:
            with zipfile.ZipFile(self.path) as zf:
                return zf.namelist(), None
        except ZIP_ERRORS as exc:
            return [], f"{type(exc).__name__}: {exc}"

    @property
    def zip_names(self) -> list[str]:
        """The members of a zip ([] if it is not one, or its directory cannot be read)."""
        return self._zip_listing[0]

    @property
    def zip_damage(self) -> str | None:
        """Why a file that starts like a zip cannot be listed (None if it can, or is no zip)."""
        return self._zip_listing[1]


def sqlite_frame(con: sqlite3.Connection, query: str, path: Path, schema: Mapping[str, type[pl.DataType] | pl.DataType] | None = None) -> pl.DataFrame:
    """Run a query on an evidence database, naming the file if the database is damaged."""
    try:
        cur = con.execute(query)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: database error while reading ({exc}); the file may be truncated or corrupt") from exc
    columns = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    return pl.DataFrame(columns, schema=schema, strict=False) if schema else pl.DataFrame(columns, strict=False)


def rejects_frame(source_id: str, refs: list[str], reasons: list[str], excerpts: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"source_id": [source_id] * len(refs), "source_ref": refs, "reason": reasons, "excerpt": excerpts},
        schema=REJECT_SCHEMA,
    )
