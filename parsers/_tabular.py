"""One reader for the tables the tabular parsers read: CSV (any BOM, encoding, delimiter and
line ending) and XLSX (every sheet), every field as text.

CDRs, cell-site lists, subscriber returns, tool exports, Snapchat and Google return CSVs
all need the same things before they can look at a single header name: the file decoded,
its rows split the way the CSV reader will split them, the header row found by content
among the first rows (returns and exports put cover blocks and titles above it), and then
the whole table from that row on, with every value as text (``07…`` numbers, 15-digit
IMEIs and cell ids keep their digits). This module does those steps once, the same way
for every parser.

Rules, and why:

* **Encoding**: a byte-order mark decides (UTF-8, UTF-16 LE/BE); else UTF-8 when the head
  of the file is valid UTF-8 (a character cut at the head's end does not count against
  it); else Windows-1252 ("CSV" saved by Excel on Windows), stated in the notes. A byte
  that is not UTF-8 after a UTF-8 head is read as Windows-1252 (the rest as UTF-8), and a
  UTF-16 file's bytes that are not UTF-16 as U+FFFD: either way stated, with how many and
  where the first is (:class:`Recoded`, carried on the :class:`Sheet`), never silently.
* **Line endings**: LF, CRLF, CR-only (classic Mac) and mixed are all line breaks, and
  nothing else is: form feed, vertical tab, the file/group/record separators
  (``\\x1c``-``\\x1e``), NEL and U+2028/U+2029 are data inside a field, as the CSV reader
  treats them (``str.splitlines`` splits on all of them, which shifted every row after
  one by a line). Polars splits at ``\\n`` only, so a file whose head shows CR-only or
  mixed endings is handed over with each lone CR made LF (same length, so byte offsets
  are unchanged), and that is stated.
* **No field-size limit**: the head is split line by line with :mod:`csv` where a line is
  short enough for its field-size limit (131,072 characters) and by a plain quote-aware
  splitter otherwise, so one huge line (a minified JSON file probed by every detector)
  cannot throw.
* **Delimiter**: of ``, ; TAB |``, the one that gives the most fields on a head line.
* **XLSX**: each sheet through calamine (``fastexcel``) with every cell as text; the
  sheet's first used row is read from its XML so references are the row numbers Excel
  shows.

Detection reads only the probe's head of a file (and at most
:data:`HEAD_ROWS` rows of each sheet); the answer is cached per probe, so the six tabular
detectors share one read.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import tomllib
import weakref
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import polars as pl

from atlas.errors import FormatError, NotASourceError
from atlas.model import REJECT_SCHEMA
from parsers._bounds import (
    DECODE_TALLY,
    EXCERPT_CHARS,
    REPLACED_COUNTED,
    TABLE_LINE_BYTES,
    DecodeTally,
    LongLine,
    _break_before,
    counted_decoding,
    csv_long_records,
    csv_long_records_in,
    line_numbers,
    line_offset,
    preamble_note,
    read_without,
    read_without_bytes,
    reason,
    utf16_as_utf8,
    utf16_file_as_utf8,
)
from parsers.base import PROBE_BYTES, ZIP_ERRORS, Probe, split_lines

HEAD_ROWS: Final = 100
"""Rows of each table kept for finding the header (parsers look at fewer)."""
DELIMITERS: Final = (",", ";", "\t", "|")
_CSV_FIELD_LIMIT: Final = 131_072
"""The :mod:`csv` module's default field-size limit: longer lines are split without it."""
_LONE_CR: Final = re.compile(rb"\r(?!\n)")
_BOMS: Final = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


# --- text --------------------------------------------------------------------------------


_CP1252_UNDEFINED: Final = frozenset((0x81, 0x8D, 0x8F, 0x90, 0x9D))
"""Bytes Windows-1252 gives no character."""
_CP1252: Final = tuple(chr(b) if b in _CP1252_UNDEFINED else bytes([b]).decode("cp1252") for b in range(256))
"""Each byte's character in Windows-1252; one it has none for, the control character of its number (as a
web browser reads it): kept, where U+FFFD lost which byte it was."""


def _cp1252_for_invalid(exc: UnicodeError) -> tuple[str, int]:
    """A codec error handler: the bytes UTF-8 cannot decode, read as Windows-1252 (see :func:`decode`)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    piece = exc.object[exc.start:exc.end]
    tally = DECODE_TALLY.get()
    if tally is not None:
        tally.saw(exc)
        for i, b in enumerate(piece):
            if b in _CP1252_UNDEFINED:
                tally.undefined += 1
                if tally.undefined_first < 0:
                    tally.undefined_first = tally.base + exc.start + i
    return "".join(_CP1252[b] for b in piece), exc.end


_RECODE_PIECE: Final = 16 << 20
"""Bytes :func:`_utf8_recoded` decodes at a time (then up to the next line break)."""


def _utf8_recoded(buf: bytes) -> tuple[bytes, DecodeTally]:
    """``buf`` as UTF-8 with each byte that is not UTF-8 read as Windows-1252
    (:data:`CP1252_FOR_INVALID`), and what was so read. Decoded a piece at a time, each ending at a line
    break (no UTF-8 sequence runs over one, so the same text as decoding it whole), so besides ``buf``
    only its UTF-8 answer is held whole, not the whole file as text as well."""
    out = io.BytesIO()
    with counted_decoding() as tally, memoryview(buf) as view:
        pos, n = 0, len(buf)
        while pos < n:
            k = buf.find(b"\n", pos + _RECODE_PIECE) if pos + _RECODE_PIECE < n else -1
            end = n if k < 0 else k + 1
            tally.base = pos
            out.write(str(view[pos:end], "utf-8", CP1252_FOR_INVALID).encode("utf-8"))
            pos = end
    return out.getvalue(), tally


def _recorded(data: bytes, encoding: str, errors: str) -> tuple[str, DecodeTally]:
    """``data`` decoded with ``errors`` (:data:`CP1252_FOR_INVALID` or :data:`REPLACED_COUNTED`), and what
    that handler read (:class:`parsers._bounds.DecodeTally`): so a reader can say what it did not read as
    ``encoding``."""
    with counted_decoding() as tally:
        return data.decode(encoding, errors), tally


CP1252_FOR_INVALID: Final = "atlas-cp1252-for-invalid"
codecs.register_error(CP1252_FOR_INVALID, _cp1252_for_invalid)


def decode(data: bytes, *, complete: bool = True) -> tuple[str, str]:
    """``(text, encoding)`` of a file's bytes (the whole file, or its head when ``complete``
    is false: a character cut at the end is then dropped, not taken for bad UTF-8).
    ``encoding`` is ``utf-8``, ``utf-16`` or ``cp1252``.

    ``cp1252`` reads each byte sequence that is valid UTF-8 as UTF-8 and only the bytes that are not
    as Windows-1252: the same text for a file Excel saved as Windows-1252, and for a file with both
    (rows pasted from two sources, an edit in another editor) the UTF-8 rows stay as written, where
    reading the whole file as Windows-1252 made "Zoë loves you ❤" into "ZoÃ« loves you â�¤" (session 18)."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            body = data[len(bom):]
            if enc.startswith("utf-16") and not complete and len(body) % 2:
                body = body[:-1]
            return body.decode(enc, errors="replace"), "utf-16" if enc.startswith("utf-16") else "utf-8"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if not complete and exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            with contextlib.suppress(UnicodeDecodeError):
                return data[: exc.start].decode("utf-8"), "utf-8"
        return data.decode("utf-8", errors=CP1252_FOR_INVALID), "cp1252"


def line_endings(text: str) -> str:
    """``lf``, ``crlf``, ``cr`` or ``mixed``: the line-ending convention of ``text``."""
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    kinds = [k for k, n in (("lf", lf), ("crlf", crlf), ("cr", cr)) if n]
    if not kinds:
        return "lf"
    if len(kinds) == 1:
        return kinds[0]
    return "crlf" if kinds == ["lf", "crlf"] else "mixed"


def _split_plain(line: str, delim: str) -> list[str]:
    """A CSV line's fields, quote-aware, with no field-size limit (for lines too long for
    :mod:`csv`): a doubled quote inside a quoted field is one quote; text after a closing
    quote is kept."""
    out: list[str] = []
    i, n = 0, len(line)
    while True:
        if i < n and line[i] == '"':
            parts: list[str] = []
            j = i + 1
            while True:
                k = line.find('"', j)
                if k < 0:
                    parts.append(line[j:])
                    j = n
                    break
                parts.append(line[j:k])
                if k + 1 < n and line[k + 1] == '"':
                    parts.append('"')
                    j = k + 2
                    continue
                j = k + 1
                break
            end = line.find(delim, j)
            end = n if end < 0 else end
            out.append("".join(parts) + line[j:end])
        else:
            end = line.find(delim, i)
            end = n if end < 0 else end
            out.append(line[i:end])
        if end >= n:
            return out
        i = end + 1


def quote_trouble(data: Any, start: int, delim: str, *, complete: bool = True) -> tuple[int, str] | None:
    """The first quote from offset ``start`` of ``data`` (text or bytes, ``start`` at a line's start) that a
    table reader cannot read past, as ``(its offset, what is wrong)``, or None (every quote closes).

    As Polars reads a CSV: a quote at a field's start opens a quoted field, in which a doubled quote is one
    quote and the next quote closes it, which must be followed by the delimiter, a line break or the end;
    a quote inside an unquoted field opens a run that the next quote ends (``He said "hi" ok``). What cannot
    be read: a quoted field that never closes (``complete`` false: not in ``data``, a file's head), and a
    quoted field's closing quote followed by anything else. Only on an error path, or over one line."""
    as_bytes = isinstance(data, (bytes, bytearray, memoryview)) or not isinstance(data, str)
    q, d, cr, lf = (b'"', delim.encode(), b"\r", b"\n") if as_bytes else ('"', delim, "\r", "\n")
    pos = start
    while True:
        k = data.find(q, pos)
        if k < 0:
            return None
        at_start = k == start or data[k - 1:k] in (d, cr, lf)
        j = k + 1
        while True:
            c = data.find(q, j)
            if c < 0:
                return k, "it never closes (the file ends inside it)" if complete else "it is still open where the head read ends"
            nxt = data[c + 1:c + 2]
            if at_start and nxt == q:
                j = c + 2
                continue
            if at_start and nxt not in (d, cr, lf, q[:0]):
                shown = bytes(nxt).decode("utf-8", "replace") if as_bytes else nxt
                return k, f"the quote that ends it is followed by {shown!r}, not a delimiter or a line break"
            break
        pos = c + 1


def open_quote(line: str, delim: str) -> int:
    """Where a quoted field that is still open at the end of ``line`` starts (the quote's offset), or -1:
    the line as the :mod:`csv` module splits it on its own (a quote opens a field only at its start)."""
    i, n = 0, len(line)
    while True:
        if i < n and line[i] == '"':
            j = i + 1
            while True:
                k = line.find('"', j)
                if k < 0:
                    return i
                if line[k + 1:k + 2] == '"':
                    j = k + 2
                    continue
                break
            end = line.find(delim, k + 1)
        else:
            end = line.find(delim, i)
        if end < 0:
            return -1
        i = end + 1


def _head_rows(lines: list[str], delim: str, complete: bool) -> list[list[str]]:
    """The head's lines as rows (:func:`split_row`), except a line whose quoted field never closes for a
    table reader (:func:`quote_trouble`: it runs to the end, or its closing quote is followed by text):
    its fields as written, that quote left out, so the header row a person sees is still found there
    (and :meth:`Sheet.frame` then refuses it, naming the line). A quoted field that closes on a later
    line (a message body with line breaks) is split as before."""
    rows = [split_row(ln, delim) for ln in lines]
    odd = [i for i, ln in enumerate(lines) if ln.count('"') % 2]
    if not odd:
        return rows
    text = "\n".join(lines)
    starts = [0]
    for ln in lines[:-1]:
        starts.append(starts[-1] + len(ln) + 1)
    for i in odd:
        at = open_quote(lines[i], delim)
        if at < 0:
            continue
        found = quote_trouble(text, starts[i], delim, complete=complete)
        if found is not None and found[0] == starts[i] + at:
            before = split_row(lines[i][:at], delim)[:-1] if at else []
            rows[i] = before + split_row(lines[i][at + 1:], delim)
    return rows


def split_row(line: str, delim: str) -> list[str]:
    """One line's fields (``[]`` for an empty line), never raising on a long line or a NUL."""
    if len(line) < _CSV_FIELD_LIMIT:
        with contextlib.suppress(csv.Error):
            return next(csv.reader([line], delimiter=delim), [])
    return _split_plain(line, delim) if line else []


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter giving the most fields on some line (ties: the earlier in
    :data:`DELIMITERS`). Lines are looked at through their first 64 KB: a header is never
    longer, and a huge line must not make detection slow."""
    best, best_n = ",", 0
    sample = [ln[:65_536] for ln in lines if ln.strip()]
    for d in DELIMITERS:
        n = max((len(split_row(ln, d)) for ln in sample), default=0)
        if n > best_n:
            best, best_n = d, n
    return best


def norm_header(header: object) -> str:
    """A header as compared with a vocabulary: BOM dropped, lower case, spacing collapsed."""
    return " ".join(str(header or "").replace("\ufeff", "").strip().lower().split())


_BRACKETED = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]")


def header_qualifiers(header: object) -> list[str]:
    """What a header writes in brackets, normalised ("Cell ID (hex)" → ["hex"])."""
    return [norm_header(q) for q in re.findall(r"[\(\[]([^\)\]]*)[\)\]]", str(header or ""))]


def resolve_headers(headers: list[str], names: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Key → the position of its column: for each key, its names in order, each compared
    with the headers as written and then without their bracketed qualifiers (the first
    column wins a name two columns share)."""
    by_norm: dict[str, int] = {}
    for i, h in enumerate(headers):
        by_norm.setdefault(norm_header(h), i)
    for i, h in enumerate(headers):
        by_norm.setdefault(norm_header(_BRACKETED.sub(" ", str(h or ""))), i)
    out: dict[str, int] = {}
    for key, options in names.items():
        for n in options:
            if n in by_norm:
                out[key] = by_norm[n]
                break
    return out


def load_vocabulary(path: Path, table: str) -> dict[str, tuple[str, ...]]:
    """``[table]`` of a vocabulary TOML file: key → header names (normalised)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return {k: tuple(norm_header(n) for n in v) for k, v in data[table].items()}
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise FormatError(f"{path}: cannot read the [{table}] header vocabulary ({exc})") from exc


RETURNS_VOCABULARY: Final = Path(__file__).resolve().parent / "templates" / "returns_vocabulary.toml"


# --- tables --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recoded:
    """Bytes a CSV's whole read found that are not in the encoding its head showed, and how they were
    read: carried typed from the reader (:attr:`Sheet.recoded`) to the parser's assumptions
    (:func:`read_notes`), because the head alone decides the encoding and a record's text must never
    change without a word. Offsets are the file's (counted from 0), lines its physical lines."""

    encoding: str
    """The encoding the head showed: ``utf-8``, ``utf-16`` or ``cp1252``."""
    judged: int
    """Bytes of the file's head from which the encoding was judged."""
    first: int
    """The file offset of the first byte not read as :attr:`encoding`."""
    line: int
    """The line of the file that byte is on (1-based)."""
    places: int
    """Separate runs of such bytes."""
    count: int
    """Such bytes in all."""
    read_as: str
    """``cp1252`` (each read as Windows-1252: no character lost), ``c1`` (bytes Windows-1252 has no
    character for, kept as the control character of the same number), ``replaced`` (each run read as U+FFFD, the
    replacement character: UTF-16 that is not UTF-16, a surrogate half alone) or ``dropped`` (a UTF-16
    file's odd last byte, half a character)."""

    def note(self) -> str:
        where = f"byte offset {self.first:,} (counted from 0; line {self.line:,})"
        many = (f"{self.count:,} byte{'s' if self.count != 1 else ''} in {self.places:,} "
                f"place{'s' if self.places != 1 else ''}")
        if self.read_as == "cp1252":
            return (f"UTF-8 in the first {self.judged:,} bytes, where the encoding was judged; from {where}, bytes "
                    f"that are not UTF-8 ({many}) read as Windows-1252, the rest as UTF-8")
        if self.read_as == "c1":
            what = f"{self.count:,} byte{' that is' if self.count == 1 else 's that are'}"
            return (f"{what} neither UTF-8 nor Windows-1252 (0x81, 0x8D, 0x8F, 0x90 or 0x9D: Windows-1252 has no "
                    "character for them) kept as the control character of the same number (U+0081 ...), the first "
                    f"at {where}")
        if self.read_as == "dropped":
            return (f"UTF-16 (byte-order mark): the file's last byte, at byte offset {self.first:,}, is half a "
                    "character (the file has an odd number of bytes): not read; it is kept unchanged in the source file")
        return (f"UTF-16 (byte-order mark): {many} that are not UTF-16 (half a surrogate pair without the other) "
                f"read as U+FFFD, the replacement character, the first at {where}; the rest as UTF-16; the bytes are "
                "kept unchanged in the source file")


@dataclass(frozen=True)
class CsvLayout:
    """How the CSV reader must read the file: its delimiter, encoding and line endings."""

    delimiter: str
    encoding: str
    """``utf-8``, ``utf-16`` or ``cp1252``."""
    endings: str
    """``lf``, ``crlf``, ``cr`` or ``mixed`` (as the head shows)."""

    def notes(self) -> list[str]:
        out = []
        if self.encoding == "cp1252":
            out.append("not UTF-8 throughout: the bytes that are not UTF-8 read as Windows-1252 (Excel's 'CSV' on "
                       "Windows), any that are as UTF-8")
        if self.endings in ("cr", "mixed"):
            what = "CR-only (classic Mac)" if self.endings == "cr" else "mixed (LF, CRLF and lone CR)"
            out.append(f"line endings {what}: every CR, LF and CRLF read as a line break")
        return out


@dataclass
class Sheet:
    """One table of a file: a CSV, or one sheet of a workbook."""

    label: str
    """``""`` for a CSV, ``"sheet NAME "`` for a workbook sheet (the prefix of source refs)."""
    name: str
    """The sheet's name, or the CSV file's stem."""
    rows: list[list[str]]
    """The first rows (up to :data:`HEAD_ROWS`) as text, for finding the header and cover block."""
    first_row: int
    """The spreadsheet row number of ``rows[0]`` (as Excel shows it)."""
    csv: CsvLayout | None = None
    """How the rest is read (CSV only)."""
    _load: Callable[[int], pl.DataFrame] | None = field(default=None, repr=False)
    path: Path | None = None
    """The file the table is in (named in errors)."""
    long: list[LongLine] = field(default_factory=list)
    """Records of a CSV over :data:`parsers._bounds.TABLE_LINE_BYTES` (a record's quoted line breaks
    included), found by :meth:`frame`: each was read as one empty line (so every other row keeps its
    number) and is one reject (:func:`long_line_rejects`)."""
    long_fields: dict[int, str] = field(default_factory=dict)
    """A workbook row in :attr:`long` (by its row number): its largest cell's column and size."""
    preamble_long: list[LongLine] = field(default_factory=list)
    """Lines above the table's header over the bound: read as empty lines; no record, so no reject,
    but said (:func:`long_line_notes`)."""
    head_lines: list[str] = field(default_factory=list, repr=False)
    """A CSV's first lines as text (those :attr:`rows` splits), for :meth:`frame`'s look at its header line."""
    head_complete: bool = True
    """:attr:`head_lines` are the whole file."""
    recoded: list[Recoded] = field(default_factory=list)
    """What :meth:`frame`'s read found past the head that is not in the head's encoding, and how it was
    read (empty for nearly every file): :func:`read_notes`, and :meth:`notes` once the frame is read."""

    def frame(self, skip: int = 0) -> pl.DataFrame:
        """The table from row ``skip`` of :attr:`rows` on (usually the header row), every
        field as text, without a header (columns ``column_1`` … as the reader names them).

        The head showed a row there; a reader that finds nothing from it on disagrees with
        the head about where rows begin (a quote above that never closes): an error naming
        the line, never an empty table read as "0 records"."""
        if self._load is None:
            raise FormatError(f"{self.path or self.name}: only the head of this table was read")
        if self.csv is not None and skip < len(self.head_lines) and self.head_lines[skip].count('"') % 2:
            raise FormatError(self._open_header(skip))
        frame = self._load(skip)
        if frame.height == 0 and skip < len(self.rows) and any(c.strip() for c in self.rows[skip]):
            where = f"{self.label}row {self.first_row + skip}" if self.label else f"line {skip + 1}"
            raise FormatError(
                f"{self.path or self.name}: {where}: the header row found there was not read by the table reader (a quote "
                "opened above it that never closes would make the rest of the file one field); nothing was read")
        return frame

    def _open_header(self, skip: int) -> str:
        """Why a header line with an odd number of quotes is refused: a table reader joins the lines after it
        to it (its record does not end at its line break), so its columns and every row would be wrong."""
        assert self.csv is not None
        line, delim = self.head_lines[skip], self.csv.delimiter
        text = "\n".join(self.head_lines[skip:])
        found = quote_trouble(text, 0, delim, complete=self.head_complete)
        at = found[0] if found is not None and found[0] < len(line) else line.rfind('"')
        if found is not None and found[0] < len(line):
            how = found[1]
        else:  # it closes properly on a later line: those lines would be read as part of the header
            ends = text.count("\n", 0, text.find('"', at + 1)) if text.find('"', at + 1) >= 0 else 0
            how = f"it closes on line {skip + 1 + ends}" if ends else "it does not close on this line"
        column = line.count(delim, 0, at) + 1
        return (f"{self.path or self.name}: line {skip + 1}: the header row has a quote that does not close on its line "
                f"(column {column}: {line[at:at + EXCERPT_CHARS]!r}); {how}. A table reader would read the lines after "
                "it into that one field, so no column or row of the table could be trusted: nothing was read (the file "
                "is kept unchanged)")

    def notes(self) -> list[str]:
        """What the parser states of how the table was read: its layout's notes, then (once :meth:`frame`
        has read it) what the whole read found that the head did not show (:func:`read_notes`)."""
        return (self.csv.notes() if self.csv else []) + [r.note() for r in self.recoded]


def read_notes(sheets: list[Sheet]) -> list[str]:
    """What the tables' whole reads found that their heads did not show (:attr:`Sheet.recoded`): for a
    parser that took :meth:`Sheet.notes` before reading its frames (the head's notes first, as always)."""
    return [r.note() for s in sheets for r in s.recoded]


def is_xlsx(probe: Probe) -> bool:
    return probe.is_zip and "xl/workbook.xml" in probe.zip_names


def _is_binary(head: bytes) -> bool:
    return b"\x00" in head[:4096] and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def _csv_sheet(path: Path, head: bytes, complete: bool, *, loader: bool, data: bytes | None = None) -> Sheet | None:
    if _is_binary(head):
        return None
    text, encoding = decode(head, complete=complete)
    lines = split_lines(text)
    if not complete and len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines.pop()  # the head cut a line short
    complete = complete and len(lines) <= HEAD_ROWS
    lines = lines[:HEAD_ROWS]
    delim = sniff_delimiter(lines)
    layout = CsvLayout(delim, encoding, line_endings(text))
    rows = _head_rows(lines, delim, complete)
    sheet = Sheet(label="", name=path.stem, rows=rows, first_row=1, csv=layout, path=path, head_lines=lines,
                  head_complete=complete)
    if loader:
        judged = len(head)

        def load(skip: int) -> pl.DataFrame:
            said: list[Recoded] = []
            if layout.encoding == "utf-16":  # read as its UTF-8 text (as it always was), bounded per record in it
                with counted_decoding() as tally:  # (counts what is replaced: no pass over a valid file's text)
                    utf8 = utf16_file_as_utf8(path) if data is None else utf16_as_utf8(data)
                sheet.recoded = utf16_losses(path, data, tally.places > 0, judged)
                sheet.preamble_long, sheet.long = csv_long_records_in(utf8, TABLE_LINE_BYTES, skip)
                return read_csv(path, replace(layout, encoding="utf-8"), skip=skip, cut=sheet.preamble_long + sheet.long,
                                data=utf8)
            sheet.preamble_long, sheet.long = (csv_long_records(path, TABLE_LINE_BYTES, skip) if data is None
                                               else csv_long_records_in(data, TABLE_LINE_BYTES, skip))
            frame = read_csv(path, layout, skip=skip, cut=sheet.preamble_long + sheet.long, data=data, said=said,
                             judged=judged)
            sheet.recoded = said
            return frame

        sheet._load = load
    return sheet


def _empty_is_null(held: bytes | None, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` without ``null_values`` where the bytes to be read hold no quote character: an
    unquoted empty field is read as missing by the reader anyway, so only a quoted one (``""``)
    needs the option, and with no quote there is none. The option costs the reader a comparison
    per field (~0.06 CPU-s of the ~0.45 s read of a 2 M-row, 13-column return); the search for
    a quote, ~0.014 CPU-s. A path (bytes not in hand) keeps the option. The same table either
    way: tested equal to the plain rule (``plain=True`` of :func:`read_csv`) in
    ``tests/test_tabular_read_fast.py``. ``held``: the bytes the reader is given (None: a path)."""
    if held is None or b'"' in held:
        return options
    return {k: v for k, v in options.items() if k != "null_values"}


def utf16_losses(path: Path, data: bytes | None, replaced: bool, judged: int) -> list[Recoded]:
    """What a UTF-16 file's conversion to UTF-8 (:func:`parsers._bounds.utf16_as_utf8`, ``errors="replace"``)
    did not read as UTF-16: its runs of bytes that are not UTF-16 (each one U+FFFD) and an odd last byte
    (dropped). Only a conversion that replaced something, or an odd-sized file, is looked at again (the
    file's own bytes, decoded once more, for where the first such run is).
    ``replaced``: the conversion replaced something (:func:`parsers._bounds.counted_decoding`); ``data``: the
    file's bytes, if in hand."""
    raw_size = len(data) if data is not None else path.stat().st_size
    odd = (raw_size - 2) % 2 == 1
    if not replaced and not odd:
        return []
    raw = data if data is not None else path.read_bytes()
    enc = "utf-16-le" if raw.startswith(b"\xff\xfe") else "utf-16-be"
    body = raw[2:len(raw) - (len(raw) - 2) % 2]
    out: list[Recoded] = []
    _, tally = _recorded(body, enc, REPLACED_COUNTED)
    if tally.places:
        before = body[:tally.first].decode(enc, "replace").encode("utf-8")
        [line] = line_numbers(before, [len(before)])
        out.append(Recoded("utf-16", judged, tally.first + 2, line, tally.places, tally.count, "replaced"))
    if (len(raw) - 2) % 2:
        out.append(Recoded("utf-16", judged, len(raw) - 1, 0, 1, 1, "dropped"))
    return out


def _as_file_place(buf: bytes, at: int, cut: list[LongLine]) -> tuple[int, int]:
    """An offset in ``buf`` (the file's bytes with the records in ``cut`` read as empty lines,
    :func:`parsers._bounds.read_without`) as ``(the file's offset, its line)``."""
    [line] = line_numbers(buf, [at])
    for x in sorted(cut, key=lambda x: x.start):
        if x.start > at:
            break
        at += x.size
        line += max(x.last - x.line, 0)
    return at, line


def _read_utf8_recoded(buf: bytes, options: dict[str, Any], cut: list[LongLine], judged: int,
                       said: list[Recoded] | None) -> pl.DataFrame | None:
    """A CSV whose head was UTF-8 but whose whole is not, read as the mixed route reads it
    (:data:`CP1252_FOR_INVALID`: the UTF-8 kept, only the bytes that are not UTF-8 read as Windows-1252),
    what was so read appended to ``said``; None when every byte is UTF-8 after all (the reader failed for
    another reason)."""
    utf8, tally = _utf8_recoded(buf)
    if not tally.places:
        return None
    if said is not None:
        first, line = _as_file_place(buf, tally.first, cut)
        said.append(Recoded("utf-8", judged, first, line, tally.places, tally.count, "cp1252"))
        said += _undefined(buf, tally, cut, judged, "utf-8")
    return pl.read_csv(io.BytesIO(utf8), encoding="utf8", **options)


def _undefined(buf: bytes, tally: DecodeTally, cut: list[LongLine], judged: int, encoding: str) -> list[Recoded]:
    """The bytes a Windows-1252 read found with no character in it (kept as control characters), if any."""
    if not tally.undefined:
        return []
    first, line = _as_file_place(buf, tally.undefined_first, cut)
    return [Recoded(encoding, judged, first, line, tally.undefined, tally.undefined, "c1")]


def read_csv(path: Path, layout: CsvLayout, *, skip: int, cut: list[LongLine] | None = None,
             data: bytes | None = None, plain: bool = False, said: list[Recoded] | None = None,
             judged: int = PROBE_BYTES) -> pl.DataFrame:
    """Every field as text, from line ``skip`` on (the lines before are a cover block).
    ``data``: the file's bytes, read from them instead of from ``path`` (the same table).

    ``skip`` counts physical lines, as the head was split (``skip_lines``), not CSV records
    (``skip_rows``): a stray quote in a cover block would otherwise open a field that runs to
    the end of the file, and the reader would skip the header and every row with it.

    ``cut``: records over the bound (:mod:`parsers._bounds`), each read as one empty line (a blank
    row, which no parser counts as a record; :func:`long_line_rejects` makes each a reject), and
    lines above the header over it, read as empty lines (:func:`long_line_notes`).

    ``plain``: every read asks the reader to take an empty field as missing (the plain rule);
    otherwise a UTF-8 read of bytes with no quote in them does not ask (:func:`_empty_is_null`).

    ``said``: where a UTF-8 head's file turns out to hold bytes that are not UTF-8, what was read as
    Windows-1252 instead (:class:`Recoded`; ``judged``: the head's size) is appended to it. Valid UTF-8
    is read by the reader's strict decoder alone, as before: only a file it refuses is looked at again."""
    options: dict[str, Any] = {
        "has_header": False, "separator": layout.delimiter, "infer_schema": False, "skip_lines": skip,
        "truncate_ragged_lines": True, "raise_if_empty": False,
        # an empty cell is missing however it is written: ``,,`` and ``,"",`` alike
        "null_values": [""],
    }
    given = data
    try:
        kept = (read_without(path, cut) if data is None else read_without_bytes(data, cut)) if cut else None
        if layout.encoding == "utf-8" and layout.endings not in ("cr", "mixed"):
            # Valid UTF-8 (nearly every return) is read by the strict decoder alone. Only a file
            # with a byte that is not UTF-8 is read again: as the mixed route reads it, and said.
            source: Path | bytes | io.BytesIO = (path if data is None else data) if kept is None else io.BytesIO(kept)
            asked = options if plain else _empty_is_null(data if kept is None else kept, options)
            with contextlib.suppress(pl.exceptions.ComputeError):
                return pl.read_csv(source, encoding="utf8", **asked)
            buf = (path.read_bytes() if data is None else data) if kept is None else kept
            recoded = _read_utf8_recoded(buf, asked, cut or [], judged, said)
            if recoded is not None:
                return recoded
            if isinstance(source, io.BytesIO):
                source.seek(0)
            return pl.read_csv(source, encoding="utf8-lossy", **asked)
        data = (path.read_bytes() if data is None else data) if kept is None else kept
        if layout.encoding == "utf-8":
            data = data.replace(b"\r", b"\n") if layout.endings == "cr" else _LONE_CR.sub(b"\n", data)
            with contextlib.suppress(pl.exceptions.ComputeError):  # (CR made LF: the same offsets)
                return pl.read_csv(io.BytesIO(data), encoding="utf8", **options)
            recoded = _read_utf8_recoded(data, options, cut or [], judged, said)
            if recoded is not None:
                return recoded
            return pl.read_csv(io.BytesIO(data), encoding="utf8-lossy", **options)
        text, tally = _recorded(data, "utf-8", CP1252_FOR_INVALID)  # (as decode(data) reads it: no BOM here)
        if said is not None:
            said += _undefined(data, tally, cut or [], judged, "cp1252")
        if layout.endings in ("cr", "mixed"):
            text = re.sub(r"\r(?!\n)", "\n", text)
        return pl.read_csv(io.StringIO(text), encoding="utf8", **options)
    except pl.exceptions.PolarsError as exc:
        raise FormatError(_unreadable(path, skip, layout.delimiter, given, exc)) from exc


def _unreadable(path: Path, skip: int, delim: str, data: bytes | None, exc: Exception) -> str:
    """Why the table reader failed, naming the line: the first quote from the header line on that it
    cannot read past (:func:`quote_trouble`, in the file's own bytes), else the reader's first words
    (never its whole message: it quotes the field it failed on, which can be the rest of the file)."""
    import mmap

    said = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    said = said if len(said) <= 2 * EXCERPT_CHARS else said[:2 * EXCERPT_CHARS] + " ..."
    try:
        with contextlib.ExitStack() as stack:
            if data is None:
                fh = stack.enter_context(path.open("rb"))
                buf: Any = stack.enter_context(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
            else:
                buf = data
            start = line_offset(buf, len(buf), skip)
            found = quote_trouble(buf, start, delim)
            if found is not None:
                at, how = found
                [line] = line_numbers(buf, [at])
                head = bytes(buf[_break_before(buf, at):at])
                shown = bytes(buf[at:at + EXCERPT_CHARS]).split(b"\n")[0].decode("utf-8", "replace")
                return (f"{path}: line {line}: a quote opened in column {head.count(delim.encode()) + 1} ({shown!r}) "
                        f"cannot be read: {how}. A table reader would read everything after it as one field; nothing "
                        f"was read (the file is kept unchanged)")
    except (OSError, ValueError):
        pass
    return f"{path}: CSV cannot be read ({said})"


_FIRST_VALUE_CELL = re.compile(r'<c r="[A-Z]+(\d+)"[^>]*?>\s*(?:<f\b[^>]*?(?:/>|>.*?</f>)\s*)?<(?:v|is)\b', re.S)
"""The first cell holding a value: a constant, an inline string, or a formula with its
cached value (calamine reads formula cells by their cached value, so its range starts at
one; a title row written as a formula would otherwise shift every row number after it)."""


_FIRST_CELL_HEAD: Final = 256 * 1024
"""Bytes of a sheet's XML searched for its first value cell."""
_FIRST_CELL_PEEK: Final = 16 * 1024
"""Bytes looked at first: a sheet's first value cell is nearly always in them."""


def _first_value_cell(fh: Any) -> re.Match[str] | None:
    """:data:`_FIRST_VALUE_CELL`'s first match in the first :data:`_FIRST_CELL_HEAD` bytes of a
    sheet's XML (the plain rule), read from the first :data:`_FIRST_CELL_PEEK` bytes alone where
    a match ends well inside them. The same match: a match in the shorter text is one in the
    longer (the pattern looks at nothing past its end but the character after ``<v``/``<is``,
    which is inside the text when the match ends 8 characters or more before its end, past any
    character cut in two), and no match can start earlier in the longer text and end beyond the
    shorter one, since a match lies inside one cell element and cells do not overlap, so an
    earlier cell's match ends before a later one's starts. Else the whole head is searched as before."""
    peek = fh.read(_FIRST_CELL_PEEK)
    text = peek.decode("utf-8", errors="replace")
    cell = _FIRST_VALUE_CELL.search(text)
    if cell is not None and cell.end() <= len(text) - 8:
        return cell
    head = (peek + fh.read(_FIRST_CELL_HEAD - len(peek))).decode("utf-8", errors="replace")
    return _FIRST_VALUE_CELL.search(head)


def _sheet_first_rows(path: Path) -> dict[str, int]:
    """Sheet name → the row number of its first used row (calamine starts its range
    there, so this turns frame positions back into the row numbers Excel shows)."""
    out: dict[str, int] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            wb = zf.read("xl/workbook.xml").decode("utf-8", errors="replace")
            rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", errors="replace")
            targets = dict(re.findall(r'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels))
            targets |= {i: t for t, i in re.findall(r'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)}
            for m in re.finditer(r"<sheet\b[^>]*>", wb):
                tag = m.group(0)
                name_m = re.search(r'name="([^"]*)"', tag)
                rid_m = re.search(r'r:id="([^"]*)"', tag)
                if not name_m or not rid_m or rid_m.group(1) not in targets:
                    continue
                target = targets[rid_m.group(1)].lstrip("/")
                member = target if target.startswith("xl/") else f"xl/{target}"
                with zf.open(member) as fh:
                    cell = _first_value_cell(fh)
                name = name_m.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
                out[name] = int(cell.group(1)) if cell else 1
    except ZIP_ERRORS:
        return out  # a damaged member: the workbook reader says what is wrong with it
    return out


_WHOLE: dict[tuple[str, int, int, int], list[Sheet]] = {}
"""The last workbook detection read whole, for the parse that follows (at most one)."""


def _identity(path: Path) -> tuple[str, int, int, int] | None:
    """The file as it is now (path, size, modification time, inode): a cached read of it is
    used only while all four are unchanged."""
    try:
        st = path.stat()
        return str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino
    except OSError:
        return None


def _sheet_frame_plain(reader: Any, name: str, n_rows: int | None) -> pl.DataFrame:
    """One sheet, every cell as text, through fastexcel's lazy sheet object (the plain rule)."""
    return reader.load_sheet(name, header_row=None, dtypes="string", n_rows=n_rows).to_polars()


def _sheet_frame(reader: Any, name: str, n_rows: int | None) -> pl.DataFrame:
    """:func:`_sheet_frame_plain`'s frame, loaded eagerly as one Arrow batch (as
    ``polars.read_excel`` does when pyarrow is installed): the same frame (tested on every
    workbook the tests write), ~15 % less CPU on a 69,000-row export."""
    return pl.DataFrame(reader.load_sheet_eager(name, header_row=None, dtypes="string", n_rows=n_rows))


@dataclass(frozen=True)
class LongRow:
    """A workbook row over :data:`parsers._bounds.TABLE_LINE_BYTES` (its cells' text together):
    its position in the sheet's frame, its size, and its largest cell (position and size)."""

    index: int
    size: int
    column: int
    cell: int
    excerpt: str


def _without_long_rows(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[LongRow]]:
    """``frame`` with each row over the bound made blank (every cell missing: no parser reads a blank
    row as a record, and every other row keeps its number), and those rows. A sheet whose columns'
    longest values add up to no more than the bound (every real sheet) is returned as it is, after
    one look at each column's longest value."""
    if frame.height == 0 or frame.width == 0 or frame.estimated_size() <= TABLE_LINE_BYTES:
        return frame, []
    sizes = frame.select(pl.col(c).str.len_bytes().fill_null(0) for c in frame.columns)
    if sum(v or 0 for v in sizes.max().row(0)) <= TABLE_LINE_BYTES:
        return frame, []
    total = sizes.select(pl.sum_horizontal(pl.all()).alias("n")).get_column("n")
    found = (total > TABLE_LINE_BYTES).arg_true().to_list()
    if not found:
        return frame, []
    out = []
    for i in found:
        row = sizes.row(i)
        col = max(range(len(row)), key=lambda j: row[j])
        head = frame.select(pl.col(frame.columns[col]).slice(i, 1).str.slice(0, EXCERPT_CHARS)).item()
        out.append(LongRow(i, int(total[i]), col, int(row[col]), head or ""))
    blank = pl.Series(range(frame.height)).is_in(found)
    frame = frame.select(pl.when(~pl.lit(blank)).then(pl.col(c)).alias(c) for c in frame.columns)
    return frame, out


def _load_sheets(path: Path, n_rows: int | None) -> list[tuple[str, pl.DataFrame, list[LongRow]]]:
    try:
        import fastexcel

        reader = fastexcel.read_excel(path)
    except Exception as exc:  # calamine's errors name neither the file nor the cause consistently
        raise FormatError(f"{path}: cannot open as an Excel workbook ({exc})") from exc
    out = []
    for name in reader.sheet_names:
        try:
            frame = _sheet_frame(reader, name, n_rows)
        except Exception as exc:
            raise FormatError(f"{path}: sheet {name!r} cannot be read ({exc})") from exc
        out.append((name, *_without_long_rows(frame)))
    return out


def _as_sheets(path: Path, frames: list[tuple[str, pl.DataFrame, list[LongRow]]], *, loadable: bool) -> list[Sheet]:
    starts = _sheet_first_rows(path)
    sheets = []
    for name, frame, big in frames:
        rows = [[("" if v is None else str(v)) for v in r] for r in frame.head(HEAD_ROWS).iter_rows()]
        sheet = Sheet(label=f"sheet {name} ", name=name, rows=rows, first_row=starts.get(name, 1), path=path)

        def load(skip: int, frame: pl.DataFrame = frame, big: list[LongRow] = big, sheet: Sheet = sheet) -> pl.DataFrame:
            header = sheet.rows[skip] if skip < len(sheet.rows) else []
            sheet.long, sheet.preamble_long, sheet.long_fields = [], [], {}
            for r in big:
                found = LongLine(sheet.first_row + r.index, 0, r.size, r.excerpt)
                if r.index < skip:
                    sheet.preamble_long.append(found)
                    continue
                name = header[r.column] if r.column < len(header) and header[r.column].strip() else ""
                sheet.long.append(found)
                sheet.long_fields[found.line] = (f"its largest cell, in column {r.column + 1}"
                                                 + (f" ({name!r})" if name else "") + f", is {r.cell:,} bytes")
            return frame.slice(skip)

        sheet._load = load if loadable else None
        sheets.append(sheet)
    return sheets


def _xlsx_sheets(path: Path, *, head_only: bool) -> list[Sheet]:
    """Every sheet of a workbook (only the first rows of each when ``head_only``).

    calamine parses a whole sheet even when asked for its first rows, so detection reads
    each sheet whole once and keeps that read (one workbook at most) for the parse that
    follows it: an ingest reads the workbook once, not twice. The kept read is used only
    while the file's size, modification time and inode are unchanged (the ingest also
    hashes the file before detection and after the parse)."""
    key = _identity(path)
    if not head_only:
        cached = _WHOLE.pop(key, None) if key is not None else None
        return cached if cached is not None else _as_sheets(path, _load_sheets(path, None), loadable=True)
    try:
        frames = _load_sheets(path, None)
    except FormatError:  # as detection always read it: the first rows, and the error they give
        return _as_sheets(path, _load_sheets(path, HEAD_ROWS), loadable=False)
    _WHOLE.clear()
    if key is not None:
        _WHOLE[key] = _as_sheets(path, frames, loadable=True)
    return _as_sheets(path, [(name, frame.head(HEAD_ROWS), big) for name, frame, big in frames], loadable=False)


def _blank(path: Path, head: int, size: int) -> FormatError:
    """A table whose head is blank space: empty (nothing to read: skipped in a folder) when the head
    is the whole file; else a failure, for what follows the blank head was never looked at."""
    if size <= head:
        return NotASourceError(f"{path}: the file is empty", reason="empty file")
    return FormatError(f"{path}: the first {head} bytes are blank space and the rest ({size - head} bytes) was not read "
                       "as a table")


def read_sheets(path: Path, data: bytes | None = None) -> list[Sheet]:
    """Every table of the file (a CSV's one, or each sheet of a workbook), ready to load.

    ``data``: the file's bytes (:attr:`parsers.base.ParseContext.data`), read as a CSV from
    them alone, never from ``path`` (the same tables as from the file: a workbook is never
    handed over this way, see :func:`reads_whole_csv`)."""
    if data is not None:
        head = data[:PROBE_BYTES]
        if not head.strip():
            raise _blank(path, len(head), len(data))
        if head.startswith(b"PK\x03\x04"):
            raise FormatError(f"{path}: a zip file (a workbook?) is not read from memory")
        if _is_binary(head):
            raise FormatError(f"{path}: binary content: not a CSV or XLSX table")
        sheet = _csv_sheet(path, head, complete=len(data) <= len(head), loader=True, data=data)
        assert sheet is not None
        return [sheet]
    probe = Probe(path)
    if is_xlsx(probe):
        return _xlsx_sheets(path, head_only=False)
    head = probe.head
    if not head.strip():
        raise _blank(path, len(head), probe.size)
    if _is_binary(head):
        raise FormatError(f"{path}: binary content: not a CSV or XLSX table")
    sheet = _csv_sheet(path, head, complete=probe.size <= len(head), loader=True)
    assert sheet is not None
    return [sheet]


def reads_whole_csv(probe: Probe) -> bool:
    """True for a file :func:`read_sheets` reads as a CSV (neither a zip nor binary): the
    files a parser that declares ``reads_whole`` with this can be handed as bytes."""
    return not probe.is_zip and not _is_binary(probe.head)


_PROBED: weakref.WeakKeyDictionary[Probe, list[Sheet]] = weakref.WeakKeyDictionary()


_DAMAGE: weakref.WeakKeyDictionary[Probe, str] = weakref.WeakKeyDictionary()


def workbook_damage(probe: Probe) -> str | None:
    """Why a probed file with a workbook's members could not be read as one (None if it
    could, or was never read as one): a damaged sheet inside a sound zip directory."""
    return _DAMAGE.get(probe)


def probe_sheets(probe: Probe) -> list[Sheet]:
    """The first rows of every table in a probed file, for detection ([] if it is neither
    a text table nor a workbook). Cached per probe: every tabular detector shares one read."""
    if probe in _PROBED:
        return _PROBED[probe]
    sheets: list[Sheet] = []
    if is_xlsx(probe):
        try:
            sheets = _xlsx_sheets(probe.path, head_only=True)
        except FormatError as exc:  # kept, so "not recognised" can say why: the workbook is damaged
            _DAMAGE[probe] = str(exc).removeprefix(f"{probe.path}: ")
    elif not probe.is_zip and not probe.is_sqlite:
        head = probe.head
        found = _csv_sheet(probe.path, head, complete=probe.size <= len(head), loader=False) if head.strip() else None
        sheets = [found] if found else []
    _PROBED[probe] = sheets
    return sheets


def long_line_rejects(sheets: list[Sheet], source_id: str) -> tuple[pl.DataFrame, int]:
    """Every CSV record over the bound that :meth:`Sheet.frame` read as empty, as rejects naming its
    line or lines and its size (``line N``, ``lines N-M``: the file's physical lines), and how many
    (each counts as a record read). One reject a record, however many of its lines are long."""
    rows = [(f"{s.label}{x.where}", reason(x, TABLE_LINE_BYTES, "a CSV table", s.path.name if s.path else s.name,
                                           "record", quoted=True), x.excerpt) if s.csv is not None else
            (f"{s.label}row {x.line}", _row_reason(s, x), x.excerpt) for s in sheets for x in s.long]
    frame = pl.DataFrame({"source_id": [source_id] * len(rows), "source_ref": [r[0] for r in rows],
                          "reason": [r[1] for r in rows], "excerpt": [r[2] for r in rows]}, schema=REJECT_SCHEMA)
    return frame, len(rows)


def _row_reason(s: Sheet, x: LongLine) -> str:
    where = f"row {x.line} of sheet {s.name!r} in {s.path.name if s.path else s.name}"
    return (f"{where} is {x.size:,} bytes ({s.long_fields.get(x.line, '')}), over the {TABLE_LINE_BYTES:,}-byte bound "
            "on one record of a workbook sheet: not read (no real record is that long); the row is kept unchanged in "
            "the source file")


def long_line_notes(sheets: list[Sheet]) -> list[str]:
    """What a parser says (its assumptions) of lines (rows) above a table's header over the bound: read
    as empty, no record (so no reject and not counted), kept unchanged in the source."""
    return [preamble_note(x, TABLE_LINE_BYTES, s.path.name if s.path else s.name) if s.csv is not None else
            (f"row {x.line} of sheet {s.name!r}, above the table's header, is {x.size:,} bytes (over the "
             f"{TABLE_LINE_BYTES:,}-byte bound on one record): not read and not a record (a cover block); kept "
             "unchanged in the source file") for s in sheets for x in s.preamble_long]


def without_blank_rows(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """``frame`` without the rows whose ``columns`` are all empty: a blank line between rows
    is no record (number the rows first, so each keeps the number it has in the file)."""
    if not columns:
        return frame
    blank = pl.all_horizontal(pl.col(c).is_null() | (pl.col(c).cast(pl.String).str.strip_chars() == "") for c in columns)
    return frame.filter(~blank)


def with_header(frame: pl.DataFrame) -> pl.DataFrame:
    """A frame read without a header (from its header row on) with its first row as the
    column names, as the CSV reader names them: a blank header is ``column_N`` (1-based),
    a repeated one ``NAME_duplicated_K``."""
    if frame.height == 0:
        return frame
    seen: dict[str, int] = {}
    names = []
    for i, value in enumerate(frame.row(0)):
        name = str(value) if value not in (None, "") else f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_duplicated_{seen[name] - 1}"
        else:
            seen[name] = 0
        names.append(name)
    return frame.slice(1).rename(dict(zip(frame.columns, names, strict=True)))
