"""The size one record of a line-based file may have before it is handed to Polars, in one place.

Why a bound at all: Polars and Python's string work copy a value several times on its way to
an event (stripped, joined into a text, into evidence details, into the store). A 100 MB field
in a subscriber return took 1.86 GB to ingest and a 100 MB line in a WhatsApp export 1.18 GB
(12-18x); under a 3 GB address-space limit the first aborted inside Polars and the second
made a Polars worker fail an allocation and then hang. A real record is nowhere near these
sizes, so a line above its format's bound is not read at all: it becomes a reject naming the
file, the line and its size, the reason says the line is kept in the source (nothing is lost:
the source is hashed and kept unchanged), and the rest of the file is parsed as before.

The bounds (bytes of one record, its last line break not counted):

* :data:`CHAT_LINE_BYTES`, 1 MiB, for chat text exports (WhatsApp, Signal): one message, its
  header line and its continuation lines together. WhatsApp refuses a message over 65,536
  characters; in UTF-8 that is at most 256 KiB (4 bytes a character). Signal's text export writes
  a message the same way (its long messages are sent as a text attachment, not inline). 1 MiB
  is four times the longest message a real export can hold.
* :data:`TABLE_LINE_BYTES`, 4 MiB, for tables: one CSV record, its quoted line breaks included
  (CDRs, cell-site lists, subscriber returns, Google and Snapchat return CSVs, tool-export CSVs),
  and one workbook row, its cells together (:mod:`parsers._tabular`). A CDR, cell-site, subscriber
  or Google row is under 1 KB (numbers, times, a cell id, an address). The longest real cell is a
  message body in a tool export or a Snapchat CSV: a chat message is at most 256 KiB (as above);
  4 MiB leaves room for a long e-mail body a tool may put in one cell (Excel itself keeps a cell to
  32,767 characters).

How a record is found without reading the file into Python: the file is looked at in aligned
windows of half the bound; a record over the bound holds a whole window in which no record
starts, and only such a window is followed to its record's two ends.

* CSV (:func:`csv_long_records`): a record ends at a line break (LF, CR; CRLF) with an even
  number of quotes between the table's header line and it, as Polars splits records (the lines
  above the header are looked at as lines: they are no record). The quotes of each window are
  counted (NumPy; the one pass over the file this needs: ~16 ms on 220 MB), and its first line
  break or few looked at.
* Chat text (:func:`chat_long_blocks`): a message starts at a line the parser's header rule
  accepts; a window's first such line is usually a few hundred bytes in.

A record over the bound is one reject naming the file, its line (``line N``) or lines
(``lines N-M``) and its size; the reason says it is kept unchanged in the source. A line over
the bound above a table's header is no record: it is not read, and the parser's assumptions say
so. A CSV record is read as one empty line (the rows after it keep their numbers); a chat message
keeps its header's first bytes and its line breaks (the lines after it keep their numbers).

A UTF-16 file (Windows Notepad's "Unicode") is converted to UTF-8 anyway (every reader of it does so; in
1 MiB pieces since session 16, so the file is not held beside its text and its UTF-8); its records are then found and cut in those UTF-8 bytes exactly as a UTF-8 file's
(:func:`utf16_as_utf8`), per record, not per physical line, and a reject's size is the record's UTF-8
bytes. (Until session 14 such a file was bounded per physical line only, and one with a line over the
bound refused whole.)
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import functools
import mmap
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

CHAT_LINE_BYTES: Final = 1 << 20
"""One line of a chat text export (see the module docstring for why)."""
TABLE_LINE_BYTES: Final = 4 << 20
"""One line of a CSV table (see the module docstring for why)."""
INFERRED_KEYS: Final = 1_000
"""Different key names a JSON document may have before a parser's inferred-layout route (Polars'
``read_json`` with no schema) gives way to the walk (the plain rule, which reads any record in Python).
Polars' inference makes a column of every name in every record: one record with 1,000,000 keys in a
20 MB Snapchat or Messenger download took it past 1.2 GB and then aborted the process (an allocation
failed under a 3 GB address-space limit: a Rust abort, which no ``except`` catches), and 200,000 keys
cost the route's per-key checks minutes. A download's records have under 20 keys, a whole Messenger
thread under 60 different names; 1,000 is far above both. Checked by
:func:`parsers._json_tally.few_keys` only on the inferred route, never on the declared-layout route
a normal file takes."""
CONTACT_FIELD_BYTES: Final = 64 << 10
"""One value of an address-book card read from a phone's database (a name part, organisation,
nickname, phone number or e-mail address). A phone number is under 40 bytes, an e-mail address
at most 254 (RFC 5321), a name a few dozen; iOS's Contacts app keeps a field to one line. A 50 MB
number in AddressBook.sqlitedb took the ingest to 1.74 GB (the value stored twice, in the text and
the recipients) and the read-back of the store past 3 GB. A card with a value over 64 KiB (250 times
the longest real one) is a reject naming the card, the field and its size; the row is kept unchanged
in the source database."""
JSON_VALUE_BYTES: Final = 1 << 20
"""One text value of a JSON record a parser stores (a message's text, a sender's name, a place's
name or address, an attachment's name, a time as written): 1 MiB, the chat bound, for the same
reason. The longest real ones are messages: Telegram keeps one to 4,096 characters, an X direct
message to 10,000, Messenger and Instagram to 20,000 (80 KiB in UTF-8 at most), Snapchat's chats
are shorter. A 50 MB string in one record took an ingest 420-810 MB (the value copied into the
event, the normalised table, the store's encoding) and was stored whole as the event's text. A
record with a value over the bound is one reject naming the file, the record's place, the field
and its size (:func:`bounded_json_values`); every other record keeps its place. Two checks: a string
over the bound as written (no escapes in it; or over 6x the bound, escapes and all) is cut out of the
file's bytes before ``json.loads``/Polars read the document (:mod:`parsers._json_cut`, since session
16: a 50 MB message no longer costs its copies in the decoded document), and the parser's event and
extra tables are checked after the parse (their string columns' byte lengths, one Polars pass) for
the rest: a value made of escapes, or one text joined from several strings (a place's name and address)."""
KEPT_BYTES: Final = 256
"""Of a line over the bound, the bytes the parser still sees (whole UTF-8 characters): enough
for a chat header, so the message it starts is still found, and then rejected whole."""

_COUNT_CHUNK: Final = 4 << 20


@dataclass(frozen=True)
class LongLine:
    """A physical line over its bound: its number (1-based) and byte span in the file."""

    line: int
    start: int
    end: int
    """The offset of the line's break (or the file's end): the line is ``[start, end)``."""
    excerpt: str = ""
    """The line's first characters (for the reject's excerpt)."""
    last: int = 0
    """A record of several lines (a CSV record whose quoted fields hold line breaks, a chat message
    with its continuation lines): its last line; 0 for a record of the one line :attr:`line`."""
    first: int = 0
    """A chat message of several lines: the bytes of its first (header) line, of which a chat parser
    keeps up to :data:`KEPT_BYTES` (so the message is still found, and then rejected whole)."""

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def where(self) -> str:
        """``line N``, or ``lines N-M`` for a record of several lines (the reject's reference)."""
        return f"lines {self.line}-{self.last}" if self.last > self.line else f"line {self.line}"


def long_lines(path: Path, bound: int) -> list[LongLine]:
    """Every line of ``path`` longer than ``bound`` bytes, in file order ([] for an empty file)."""
    size = path.stat().st_size
    if size <= bound:
        return []
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return _scan(mm, len(mm), bound)


def long_lines_in(data: bytes | mmap.mmap, bound: int, n: int | None = None) -> list[LongLine]:
    """:func:`long_lines` of a file's bytes already in memory (the same lines): ``data[:n]``."""
    n = len(data) if n is None else n
    return _scan(data, n, bound) if n > bound else []


def read_without_bytes(data: bytes, long: list[LongLine], keep: int = 0, *, breaks: bool = True) -> bytes:
    """:func:`read_without` of a file's bytes already in memory (the same bytes); ``breaks`` false: a
    chat message of several lines is cut to its first bytes alone (one line; see
    :meth:`parsers._text_columns.TextBytes.file_lines`)."""
    pieces = []
    pos = 0
    for x in long:
        pieces.append(data[pos:x.start])
        if keep:
            want, n = chat_cut(x, keep)
            head = data[x.start:x.start + want + 4]
            pieces.append(head[:kept_prefix(head, want)] + b"\n" * (n if breaks else 0))
        pos = x.end
    pieces.append(data[pos:])
    return b"".join(pieces)


@dataclass(slots=True)
class DecodeTally:
    """What a decode under :func:`counted_decoding` did not read as its encoding: the first such byte, how many
    runs and bytes, and (Windows-1252) the bytes with no character in it. Counts, not spans: a 2 GB file
    of Windows-1252 text has millions of such runs."""

    first: int = -1
    places: int = 0
    count: int = 0
    undefined_first: int = -1
    undefined: int = 0
    base: int = 0
    """The offset of the piece being decoded (:func:`parsers._tabular._utf8_recoded` decodes a file piece by piece)."""

    def saw(self, exc: UnicodeDecodeError) -> None:
        if self.first < 0:
            self.first = self.base + exc.start
        self.places += 1
        self.count += exc.end - exc.start


DECODE_TALLY: contextvars.ContextVar[DecodeTally | None] = contextvars.ContextVar("atlas_decode_seen", default=None)
"""The tally of the decodes under way in :func:`counted_decoding` (None: not counted)."""


def _replaced_counted(exc: UnicodeError) -> tuple[str, int]:
    """A codec error handler: ``errors="replace"`` (U+FFFD), each replaced run counted under :func:`counted_decoding`."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    tally = DECODE_TALLY.get()
    if tally is not None:
        tally.saw(exc)
    return "\ufffd", exc.end


REPLACED_COUNTED: Final = "atlas-replace-counted"
codecs.register_error(REPLACED_COUNTED, _replaced_counted)


@contextlib.contextmanager
def counted_decoding() -> Iterator[DecodeTally]:
    """A tally of what the counting error handlers (:data:`REPLACED_COUNTED`; the tabular reader's
    Windows-1252 one) meet in the decodes made inside it: so a reader can say what it did not read as
    the file's encoding, with no pass of its own over a file that decodes cleanly."""
    tally = DecodeTally()
    token = DECODE_TALLY.set(tally)
    try:
        yield tally
    finally:
        DECODE_TALLY.reset(token)


def utf16_as_utf8(data: bytes) -> bytes:
    """A UTF-16 file's bytes (its byte-order mark first) as UTF-8, the mark dropped, a character that
    is not one replaced (as every reader of such a file decodes it): the same lines, so a record's
    bound is found in these bytes as in a UTF-8 file's (:func:`csv_long_records_in`,
    :func:`chat_long_blocks_in`), its size counted in UTF-8 bytes.

    Converted :data:`UTF16_PIECE` bytes at a time (an incremental decoder: a pair split between two pieces
    is joined), so besides ``data`` only the UTF-8 answer is held whole. Before session 16 the file was
    held three times over at once (``data``, its copy without the mark, the decoded text, the UTF-8: 3x
    the file for ASCII text). The same bytes as decoding it whole (tests/test_utf16_memory.py)."""
    with memoryview(data) as view:
        return _utf16_pieces_to_utf8(data[:2], (view[i:i + UTF16_PIECE] for i in range(2, len(data), UTF16_PIECE)),
                                     len(data) - 2)


def utf16_file_as_utf8(path: Path) -> bytes:
    """:func:`utf16_as_utf8` of the file at ``path``, read :data:`UTF16_PIECE` bytes at a time: the file is
    never held whole, only its UTF-8 (half its size for ASCII text)."""
    with path.open("rb") as fh:
        mark = fh.read(2)
        size = os.fstat(fh.fileno()).st_size - len(mark)
        return _utf16_pieces_to_utf8(mark, iter(functools.partial(fh.read, UTF16_PIECE), b""), size)


UTF16_PIECE: Final = 1 << 20


def _utf16_pieces_to_utf8(mark: bytes, pieces: Iterator[Any], size: int) -> bytes:
    """The UTF-8 of UTF-16 ``pieces`` (``size`` bytes after the mark ``mark``; an odd last byte dropped, as
    the whole decode drops it), decoded with ``errors="replace"`` (counted: :data:`REPLACED_COUNTED`)."""
    import io

    out = io.BytesIO()  # (getvalue hands over its buffer: the answer is not copied again)
    for chunk in _utf16_utf8_chunks(mark, pieces, size):
        out.write(chunk)
    return out.getvalue()


def utf16_file_as_utf8_mapped(path: Path, pad: int) -> tuple[mmap.mmap, int]:
    """:func:`utf16_file_as_utf8`'s bytes written into an anonymous mapping with room for them and ``pad``
    zero bytes after (UTF-8 is at most 1.5 times UTF-16's bytes), and how many there are: so that a reader
    that needs its text zero-padded (:class:`parsers._text_columns.TextBytes`) views it in place, where a
    copy into a padded buffer held the file's UTF-8 twice at once. Only the pages written are memory (the
    room left is never touched, and is zero); nothing is copied as it grows (a growing ``bytearray`` was
    copied at each step: 0.1 CPU-s more for a 60 MB file)."""
    with path.open("rb") as fh:
        mark = fh.read(2)
        size = os.fstat(fh.fileno()).st_size - len(mark)
        out = mmap.mmap(-1, max(size, 0) // 2 * 3 + 8 + pad)
        for chunk in _utf16_utf8_chunks(mark, iter(functools.partial(fh.read, UTF16_PIECE), b""), size):
            out.write(chunk)
    return out, out.tell()


def _utf16_utf8_chunks(mark: bytes, pieces: Iterator[Any], size: int) -> Iterator[bytes]:
    decoder = codecs.getincrementaldecoder("utf-16-le" if mark == b"\xff\xfe" else "utf-16-be")(errors=REPLACED_COUNTED)
    left = size - size % 2
    for piece in pieces:
        if len(piece) > left:
            piece = piece[:left]
        left -= len(piece)
        yield decoder.decode(piece).encode("utf-8")
        if not left:
            break
    yield decoder.decode(b"", final=True).encode("utf-8")


def _break_before(mm: mmap.mmap | bytes, pos: int) -> int:
    """The offset just after the last line break before ``pos`` (0 if none)."""
    lf = mm.rfind(b"\n", 0, pos)
    cr = mm.rfind(b"\r", lf + 1, pos)
    return max(lf, cr) + 1


def _break_from(mm: mmap.mmap | bytes, pos: int, n: int) -> int:
    """The offset of the first line break at or after ``pos`` (``n`` if none)."""
    lf = mm.find(b"\n", pos)
    lf = n if lf < 0 else lf
    cr = mm.find(b"\r", pos, lf)
    return lf if cr < 0 else cr


def _break_in(mm: mmap.mmap | bytes, pos: int, end: int) -> int:
    """The offset of the first line break in ``[pos, end)`` (``end`` if none): never searches past ``end``."""
    lf = mm.find(b"\n", pos, end)
    lf = end if lf < 0 else lf
    cr = mm.find(b"\r", pos, lf)
    return lf if cr < 0 else cr


def _scan(mm: mmap.mmap | bytes, n: int, bound: int) -> list[LongLine]:
    window = max(bound // 2, 1)
    spans: list[tuple[int, int]] = []
    pos = 0
    first, second = b"\n", b"\r"  # the break looked for first: the one the last window had (a CR-only file)
    while pos < n:
        end = min(pos + window, n)
        if mm.find(first, pos, end) >= 0:
            pos = end
            continue
        if mm.find(second, pos, end) >= 0 or end - pos < window:
            first, second = (second, first) if end - pos == window else (first, second)
            pos = end
            continue
        start = _break_before(mm, pos)
        stop = _break_from(mm, end, n)
        if stop - start > bound:
            spans.append((start, stop))
        pos = stop + 1
    if not spans:
        return []
    return [LongLine(no, a, b, _excerpt(mm[a:a + 4 * EXCERPT_CHARS])) for no, (a, b)
            in zip(line_numbers(mm, [a for a, _ in spans]), spans, strict=True)]


EXCERPT_CHARS: Final = 80


def _excerpt(head: bytes) -> str:
    return head[:kept_prefix(head, len(head))].decode("utf-8", errors="replace")[:EXCERPT_CHARS]


def line_numbers(mm: mmap.mmap | bytes, starts: list[int]) -> list[int]:
    """The 1-based line number of each offset in ``starts`` (rising): LF, CRLF and a lone CR
    each end a line. Counted in chunks; on the error path only."""
    out: list[int] = []
    breaks, pos = 0, 0
    for target in starts:
        while pos < target:
            stop = min(pos + _COUNT_CHUNK, target)
            if mm[stop - 1:stop] == b"\r" and stop < target:
                stop += 1  # never split a CRLF between two chunks
            chunk = mm[pos:stop]
            breaks += chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")
            pos = stop
        out.append(breaks + 1)
    return out


_QUOTE: Final = 0x22
_QUICK_BREAKS: Final = 8
"""Line breaks of a window tried one by one for a record break before the window is looked at whole."""


def csv_long_records(path: Path, bound: int, skip: int) -> tuple[list[LongLine], list[LongLine]]:
    """``(preamble, records)`` of a CSV file whose table starts on physical line ``skip`` (0-based,
    as ``skip_lines`` counts): the lines above it over ``bound`` bytes (no record: a cover block), and
    every CSV record from there on over ``bound`` bytes, its quoted line breaks included (one
    :class:`LongLine` a record, ``last`` its last line), in file order."""
    size = path.stat().st_size
    if size <= bound:
        return [], []
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return _csv_long(mm, len(mm), bound, skip)


def csv_long_records_in(data: bytes, bound: int, skip: int) -> tuple[list[LongLine], list[LongLine]]:
    """:func:`csv_long_records` of a file's bytes already in memory (the same records)."""
    return _csv_long(data, len(data), bound, skip) if len(data) > bound else ([], [])


def line_offset(mm: mmap.mmap | bytes, n: int, skip: int) -> int:
    """The offset where physical line ``skip`` (0-based; LF, CRLF or a lone CR ends a line) starts."""
    pos = 0
    for _ in range(skip):
        if pos >= n:
            return n
        b = _break_from(mm, pos, n)
        pos = b + 2 if mm[b:b + 2] == b"\r\n" else b + 1
    return min(pos, n)


def _csv_long(mm: mmap.mmap | bytes, n: int, bound: int, skip: int) -> tuple[list[LongLine], list[LongLine]]:
    import numpy as np

    body = line_offset(mm, n, skip)
    preamble = [x for x in _scan(mm[:body], body, bound)] if body > bound else []
    arr = np.frombuffer(mm, dtype=np.uint8)
    try:
        spans = _record_spans(mm, arr, body, n, bound)
    finally:
        del arr  # an mmap with a NumPy view of it open cannot be closed
    if not spans:
        return preamble, []
    marks = line_numbers(mm, [p for s, e in spans for p in (s, e)])
    return preamble, [LongLine(marks[2 * i], s, e, _excerpt(mm[s:s + 4 * EXCERPT_CHARS]), marks[2 * i + 1])
                      for i, (s, e) in enumerate(spans)]


def _record_spans(mm: mmap.mmap | bytes, arr: Any, lo: int, n: int, bound: int, *,
                  plain: bool = False) -> list[tuple[int, int]]:
    """Every CSV record in ``[lo, n)`` longer than ``bound``, as ``(start, end)`` (``end``: its line break).

    A record ends at a line break (LF or CR) with an even number of quotes between ``lo`` and it,
    as Polars' reader splits records (a quote anywhere toggles; a doubled quote toggles twice). A record
    longer than ``bound`` holds a whole aligned window of ``bound // 2`` bytes with no record break in
    it, so only such windows are followed to their record's two ends. What every window costs: its
    quotes counted (NumPy, the one pass over the file) and its first line break or few looked at."""
    import numpy as np

    window = max(bound // 2, 1)
    starts = list(range(lo, n, window))
    parity = [0] * len(starts)
    # With no quote from ``lo`` on (nearly every return), every line break ends a record: each
    # window's parity is 0 and it has a record break where it has a line break, so no quote is
    # counted (one search for a quote, ~0.013 CPU-s, against the windows' counts, ~0.02, in a
    # 222 MB return). ``plain``: the quotes counted all the same (the plain rule); the same spans,
    # tested in ``tests/test_record_bounds.py``.
    quote_free = not plain and mm.find(b'"', lo, n) < 0
    p = 0
    for k, a in enumerate(starts if not quote_free else ()):
        parity[k] = p
        p ^= int(np.count_nonzero(arr[a:min(a + window, n)] == _QUOTE)) & 1

    def breaks(k: int) -> Any:
        """The record breaks of window ``k`` (offsets, rising), found whole."""
        a, e = starts[k], min(starts[k] + window, n)
        seg = arr[a:e]
        q = (seg == _QUOTE).astype(np.uint32)
        before = (np.cumsum(q, dtype=np.uint32) - q) & 1
        return np.flatnonzero(((seg == 0x0A) | (seg == 0x0D)) & (before == parity[k])) + a

    def has_break(k: int) -> bool:
        a, e = starts[k], min(starts[k] + window, n)
        if quote_free:
            return _break_in(mm, a, e) < e
        pos, par = a, parity[k]
        for _ in range(_QUICK_BREAKS):
            b = _break_in(mm, pos, e)
            if b >= e:
                return False
            par ^= int(np.count_nonzero(arr[pos:b] == _QUOTE)) & 1
            if par == 0:
                return True
            pos = b + 1
        return bool(breaks(k).size)

    spans: list[tuple[int, int]] = []
    k = 0
    while k < len(starts):
        if has_break(k):
            k += 1
            continue
        k1 = k
        while k1 + 1 < len(starts) and not has_break(k1 + 1):
            k1 += 1
        start = lo if k == 0 else int(breaks(k - 1)[-1]) + 1
        end = n if k1 + 1 >= len(starts) else int(breaks(k1 + 1)[0])
        if end - start > bound:
            spans.append((start, end))
        k = k1 + 1
    return spans


CHAT_HEADER_START: Final = re.compile(rb"[\n\r]\[?[0-9\x80-\xff]")
"""Where a chat header may start (one byte on, past the line break; a lone CR ends a line too; the
file's first line is looked at on its own): a line whose first byte (after an optional ``[``) is an ASCII digit
or any non-ASCII byte (a Unicode digit, or the marks iOS and a BOM put before a header). Every
WhatsApp and Signal header starts so; each such line is then checked with the parser's own header
rule (bytes are not enough for Unicode digits and spaces)."""


_FIRST_LINE_HEADER: Final = re.compile(rb"\[?[0-9\x80-\xff]")


def chat_long_blocks(path: Path, bound: int, is_header: Callable[[bytes], bool]) -> list[LongLine]:
    """Every message of a chat text export (a header line and the lines that continue it, up to the
    next header) longer than ``bound`` bytes, its trailing line break not counted, in file order; text
    before the first header is a block too. ``is_header``: the parser's rule, given a line that
    :data:`CHAT_HEADER_START` matches (at most its first 4 KiB, no line break).

    As for CSV records, a block over the bound holds a whole aligned window of ``bound // 2`` bytes
    in which no header starts, so a normal file costs one header search (a few hundred bytes in) per
    window, and only a window with no header is followed to its message's two ends."""
    size = path.stat().st_size
    if size <= bound:
        return []
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return _chat_long(mm, len(mm), bound, is_header)


def chat_long_blocks_in(data: bytes | mmap.mmap, bound: int, is_header: Callable[[bytes], bool],
                        n: int | None = None) -> list[LongLine]:
    """:func:`chat_long_blocks` of a file's bytes already in memory (the same messages): ``data[:n]``."""
    n = len(data) if n is None else n
    return _chat_long(data, n, bound, is_header) if n > bound else []


def _chat_long(mm: mmap.mmap | bytes, n: int, bound: int, is_header: Callable[[bytes], bool]) -> list[LongLine]:
    window = max(bound // 2, 1)
    starts = list(range(0, n, window))

    def header(c: int) -> bool:
        return is_header(mm[c:min(_break_in(mm, c, n), c + 4096)])

    def candidates(k: int) -> Iterator[int]:
        """Where a line that may be a header starts, in window ``k`` (rising)."""
        a, e = starts[k], min(starts[k] + window, n)
        if a == 0 and _FIRST_LINE_HEADER.match(mm[:4]):
            yield 0
        for m in CHAT_HEADER_START.finditer(mm, max(a - 1, 0), min(e + 2, n)):
            if m.start() + 1 >= e:
                return
            yield m.start() + 1

    def first_header(k: int) -> int:
        return next((c for c in candidates(k) if header(c)), -1)

    def last_header(k: int) -> int:
        return [c for c in candidates(k) if header(c)][-1]

    spans: list[tuple[int, int]] = []
    k = 0
    while k < len(starts):
        if first_header(k) >= 0:
            k += 1
            continue
        k1 = k
        while k1 + 1 < len(starts) and first_header(k1 + 1) < 0:
            k1 += 1
        start = 0 if k == 0 else last_header(k - 1)
        stop = n if k1 + 1 >= len(starts) else first_header(k1 + 1)
        # the block ends at the line break before the next header (or the file's last break)
        if stop > start and mm[stop - 1:stop] == b"\n":
            stop -= 2 if mm[stop - 2:stop] == b"\r\n" and stop - 2 >= start else 1
        elif stop > start and mm[stop - 1:stop] == b"\r":
            stop -= 1
        if stop - start > bound:
            spans.append((start, stop))
        k = k1 + 1
    if not spans:
        return []
    marks = line_numbers(mm, [p for a, b in spans for p in (a, b)])
    return [LongLine(marks[2 * i], a, b, _excerpt(mm[a:a + 4 * EXCERPT_CHARS]), marks[2 * i + 1],
                     _break_in(mm, a, b) - a) for i, (a, b) in enumerate(spans)]


def kept_prefix(data: bytes | memoryview, limit: int = KEPT_BYTES) -> int:
    """How many of ``data``'s first bytes to keep: at most ``limit``, never a character cut in two."""
    k = min(limit, len(data))
    while 0 < k < len(data) and (data[k] & 0xC0) == 0x80:
        k -= 1
    return k


def is_utf16(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) in (b"\xff\xfe", b"\xfe\xff")


def reason(found: LongLine, bound: int, what: str, name: str, unit: str = "line", *, quoted: bool = False) -> str:
    """A reject's reason for ``found`` in the file called ``name``: the line (or lines), its size, the
    bound (on one ``unit`` of ``what``) and why, and that it is kept. ``quoted``: a CSV record, whose lines
    are one record only because a quote opened on its first line closes on its last (the line breaks
    between are inside quotes): said, since a quote left open by mistake reads this way."""
    if found.last > found.line and quoted:
        return (f"lines {found.line}-{found.last} of {name} are one {unit} of {found.size:,} bytes because a quote "
                f"opened on line {found.line} closes only on line {found.last} (the {found.last - found.line:,} line "
                f"break(s) between are inside the quotes: a quote left open by mistake reads so), over the {bound:,}-byte "
                f"bound on one {unit} of {what}: not read (no real record is that long); the {unit} is kept unchanged "
                f"in the source file")
    if found.last > found.line:
        return (f"lines {found.line}-{found.last} of {name} are one {unit} of {found.size:,} bytes, over the {bound:,}-byte "
                f"bound on one {unit} of {what}: not read (no real record is that long); the {unit} is kept unchanged "
                f"in the source file")
    return (f"line {found.line} of {name} is {found.size:,} bytes, over the {bound:,}-byte bound on one {unit} of "
            f"{what}: not read (no real record is that long); the line is kept unchanged in the source file")


def preamble_note(found: LongLine, bound: int, name: str) -> str:
    """What a parser says of a line above a table's header over the bound: no record, not read, kept."""
    return (f"line {found.line} of {name}, above the table's header, is {found.size:,} bytes (over the {bound:,}-byte "
            f"bound on one record): not read and not a record (a cover block); kept unchanged in the source file")


def utf16_refusal(path: Path, found: LongLine, bound: int, what: str) -> str:
    return (f"{path}: UTF-16 text with line {found.line} of {found.size:,} bytes, over the {bound:,}-byte bound on one "
            f"line of {what}: refused whole (no real export has such a line; nothing from this file was stored)")


def chat_cut(x: LongLine, keep: int = KEPT_BYTES) -> tuple[int, int]:
    """How a chat parser reads a block over the bound: ``(bytes, breaks)``, its first ``bytes`` (whole
    characters, of its first line only) and then ``breaks`` line breaks, so the message is still found
    by its header (then rejected whole) and every line after it keeps its number."""
    if x.last > x.line:
        return min(keep, x.first), x.last - x.line
    return keep, 0


def read_without(path: Path, long: list[LongLine], keep: int = 0, *, breaks: bool = True) -> bytes:
    """The file's bytes with each line in ``long`` cut to its first ``keep`` bytes (whole UTF-8
    characters; 0: made empty), its line break kept, so every line keeps its number (0: a CSV record
    of several lines made one empty line, as it is one row; ``keep``: a chat message of several lines
    cut as :func:`chat_cut` says, each of its lines kept as an empty line; ``breaks`` false: cut to its
    first bytes alone, one line, and :func:`file_lines` gives the file's line numbers back). The pieces
    and their join are both held for a moment: twice the file less its long lines (only a file
    with a line over its bound comes here)."""
    pieces = []
    pos = 0
    with path.open("rb") as fh:
        for x in long:
            fh.seek(pos)
            pieces.append(fh.read(x.start - pos))
            if keep:
                want, n = chat_cut(x, keep)
                head = fh.read(want + 4)
                pieces.append(head[:kept_prefix(head, want)] + b"\n" * (n if breaks else 0))
            pos = x.end
        fh.seek(pos)
        pieces.append(fh.read())
    return b"".join(pieces)


def file_lines(long: list[LongLine], lineno: Any) -> Any:
    """Line numbers (1-based) of text read with each chat message in ``long`` cut to one line
    (:func:`read_without` with ``breaks`` false) as the file's: every line after such a message is as
    many lines further on in the file as the message had continuation lines. A NumPy array."""
    import numpy as np

    lineno = np.asarray(lineno, dtype=np.int64)
    if not long:
        return lineno
    removed = np.array([x.last - x.line if x.last > x.line else 0 for x in long], dtype=np.int64)
    shift = np.concatenate([[0], np.cumsum(removed)])
    kept_at = np.array([x.line for x in long], dtype=np.int64) - shift[:-1]  # each cut message's line, as read
    return lineno + shift[np.searchsorted(kept_at, lineno, side="left")]


def reject_long_blocks(events: pl.DataFrame, rejects: pl.DataFrame, starts: list[int], long: list[LongLine], bound: int,
                       what: str, source_id: str, name: str, unit: str = "message") -> tuple[pl.DataFrame, pl.DataFrame]:
    """A chat export's records are blocks of lines (a header line and the lines that continue
    it), referred to as ``line S`` (S: the header's line). Each block holding a line in
    ``long`` is not read: its event (if it became one) is moved to the rejects, with a reason
    naming each such line and its size; a block that is a reject already (text before the
    first header, a header whose date is not real) has the reason added to its own. Nothing
    is counted twice: ``events + rejects`` stays what it was. ``starts``: every block's
    header line (rising), events or rejects; lines before the first header belong to the
    block of text before any header, whose reject is the first ``line N`` below ``starts[0]``."""
    import numpy as np

    at = np.searchsorted(np.asarray(starts, dtype=np.int64), [x.line for x in long], side="right") - 1
    by_block: dict[int | None, list[LongLine]] = {}
    for x, i in zip(long, at.tolist(), strict=True):
        by_block.setdefault(starts[i] if i >= 0 else None, []).append(x)
    moved: list[tuple[str, str, str]] = []
    amend: dict[str, str] = {}
    event_refs = set(events.get_column("source_ref").to_list()) if events.height else set()
    reject_refs = rejects.get_column("source_ref").to_list()
    before_first = next((r for r in reject_refs if r.startswith("line ") and r[5:].isdigit()
                         and (not starts or int(r[5:]) < starts[0])), None)
    for start, lines in by_block.items():
        why = "; ".join(reason(x, bound, what, name, unit) for x in lines)
        ref = f"line {start}" if start is not None else before_first
        if ref is not None and ref in event_refs:
            moved.append((ref, f"the {unit} starting on {ref} is over the bound: {why}", lines[0].excerpt))
        elif ref is not None and ref in reject_refs:
            amend[ref] = why
        else:  # not expected (every line is in some block); still a reject, never lost
            moved.append((f"line {lines[0].line}", why, lines[0].excerpt))
    if amend:
        rejects = rejects.with_columns(
            pl.when(pl.col("source_ref").is_in(list(amend)))
            .then(pl.concat_str(pl.col("reason"), pl.lit("; "), pl.col("source_ref").replace_strict(amend, default="")))
            .otherwise(pl.col("reason")).alias("reason"))
    if moved:
        drop = [r for r, _, _ in moved if r in event_refs]
        events = events.filter(~pl.col("source_ref").is_in(drop))
        extra = pl.DataFrame({"source_id": [source_id] * len(moved), "source_ref": [m[0] for m in moved],
                              "reason": [m[1] for m in moved], "excerpt": [m[2] for m in moved]},
                             schema=rejects.schema)
        rejects = pl.concat([rejects, extra])
    return events, rejects


_FIELD_NAMES: Final = {"text": "text", "sender": "sender", "recipients": "recipient", "attachments": "attachment",
                       "ts_raw": "time as written", "status": "status", "channel": "channel", "cell_id": "cell id",
                       "source_ref": "place"}


def _value_size(name: str, dtype: pl.DataType) -> pl.Expr:
    """The byte length of a String column's value, or of a list of strings' longest item."""
    if dtype == pl.String:
        return pl.col(name).str.len_bytes()
    return pl.col(name).list.eval(pl.element().str.len_bytes()).list.max()


def long_values(events: pl.DataFrame, bound: int) -> pl.DataFrame | None:
    """The rows of ``events`` holding a text value (a String column's, or an item of a list of
    strings) over ``bound`` bytes: ``source_ref``, ``field`` (the first such column), ``size`` (its
    bytes) and ``excerpt`` (its first characters), in table order; None if there is none (the usual
    answer, from one pass: each text column's largest length, and a table whose strings together
    fit in the bound is not looked at)."""
    if events.height == 0 or events.estimated_size() <= bound:  # (first: the schema costs 10 us to build)
        return None
    cols = [(n, t) for n, t in events.schema.items() if (t == pl.String or t == pl.List(pl.String))
            and events.get_column(n).estimated_size() > bound]  # (a column whose strings together fit cannot hold one over)
    if not cols:
        return None
    maxes = events.select((pl.col(n) if t == pl.String else pl.col(n).explode()).str.len_bytes().max().alias(n)
                          for n, t in cols).row(0)  # (a list's items flattened: 2x faster than list.eval)
    over = [(n, t) for (n, t), m in zip(cols, maxes, strict=True) if m is not None and m > bound]
    if not over:
        return None
    sizes = [_value_size(n, t).fill_null(0) for n, t in over]
    first = pl.coalesce([pl.when(size > bound).then(pl.lit(i)) for i, size in enumerate(sizes)])
    found = events.with_row_index("_row").select(
        "_row", pl.col("source_ref").cast(pl.String), first.alias("_first"), *(s.alias(f"_s{i}") for i, s in enumerate(sizes)),
        *((pl.col(n) if t == pl.String else pl.col(n).list.eval(pl.element().str.slice(0, EXCERPT_CHARS)).list.join(" "))
          .str.slice(0, EXCERPT_CHARS).alias(f"_x{i}") for i, (n, t) in enumerate(over)),
    ).filter(pl.col("_first").is_not_null())
    rows = found.rows(named=True)
    return pl.DataFrame({
        "_row": [r["_row"] for r in rows],
        "source_ref": [r["source_ref"] for r in rows],
        "field": [over[r["_first"]][0] for r in rows],
        "size": [r[f"_s{r['_first']}"] for r in rows],
        "excerpt": [r[f"_x{r['_first']}"] or "" for r in rows],
    }, schema={"_row": pl.UInt32, "source_ref": pl.String, "field": pl.String, "size": pl.Int64, "excerpt": pl.String})


ESCAPE_BYTES: Final = 6
"""Bytes an escape may take in a JSON string for one byte of its text (``\\u0001``)."""


@dataclass(frozen=True)
class ValueOverBound:
    """A record whose value is over the per-value bound, whichever route found it: cut out of a JSON
    file's bytes before the document was read (:mod:`parsers._json_cut`: it knows the string's byte
    offset, and whether its size is as written with escapes), or found in the parser's tables after
    the parse (:func:`bound_values`). :attr:`text` is the one place its reject's reason is worded, so
    a person reads the same sentence whichever found it.

    ``field``: the column or key the value is in (a parser's column name is shown as people read it,
    ``recipients`` as "recipient"); None where the record's own reason showed it (a reject already).
    ``table``: the extra table whose row held it (reactions, conversations). ``offset_file``: the file
    the offset is in, where not the record's (a value read from a file beside it)."""

    ref: str
    name: str
    field: str | None
    size: int
    bound: int
    what: str
    table: str | None = None
    escaped: bool = False
    offset: int | None = None
    offset_file: str | None = None
    text_at_least: int | None = None
    """With ``escaped``: the fewest bytes of text the value can be (else a sixth of its size)."""

    @property
    def text(self) -> str:
        where = _where_held(self.field, self.table)
        least = self.text_at_least if self.text_at_least is not None else self.size // ESCAPE_BYTES
        size = (f"a value written in {self.size:,} bytes with its escapes (at least {least:,} bytes of text)"
                if self.escaped else f"a value of {self.size:,} bytes")
        place = ""
        if self.offset is not None:
            other = f" of {self.offset_file}" if self.offset_file not in (None, self.name) else ""
            place = f" (at byte offset {self.offset:,}{other})"
        return (f"{self.ref} of {self.name}: {where} {size}{place}, over the {self.bound:,}-byte bound on one value of "
                f"{self.what}: not stored (no real value is that long); the record is kept unchanged in the source file")


def _where_held(field: str | None, table: str | None) -> str:
    """Where a cut value was, for a reject's reason: ``its text holds``, ``its message row's sender holds``,
    or ``it holds`` where the field is not known."""
    if field is None:
        return "it holds"
    name = _FIELD_NAMES.get(field, field)
    if table is not None:
        name = f"{table.replace('_', ' ')} row's {name.replace('_', ' ')}"
    return f"its {name} holds"


@dataclass(frozen=True)
class ValueNotUtf8:
    """A JSON record one of whose strings holds a byte that is not UTF-8 (:func:`parsers._json_cut.cut_not_utf8`):
    no text, so it is not read (no character is guessed for it) and the record is one reject; :attr:`text`
    is its reason. ``size`` and ``offset``: the string's bytes between its quotes and its opening quote's
    byte offset; ``at`` and ``byte``: the first byte that is not UTF-8 and its offset. ``field`` and
    ``table`` as :class:`ValueOverBound`'s."""

    ref: str
    name: str
    field: str | None
    size: int
    offset: int
    at: int
    byte: int
    table: str | None = None
    offset_file: str | None = None
    utf16: bool = False
    """A UTF-16 file's: ``byte`` is a code unit that is half of no surrogate pair."""

    @property
    def text(self) -> str:
        where = _where_held(self.field, self.table)
        other = f" of {self.offset_file}" if self.offset_file not in (None, self.name) else ""
        fault = (f"that is not UTF-16 text: code unit 0x{self.byte:04X} at byte offset {self.at:,} is half of no surrogate "
                 "pair" if self.utf16 else
                 f"that is not UTF-8 text: byte 0x{self.byte:02X} at byte offset {self.at:,} is no part of a character")
        return (f"{self.ref} of {self.name}: {where} a string of {self.size:,} bytes (at byte offset {self.offset:,}{other}) "
                f"{fault}; "
                "not read (no character is guessed for it); the record is kept unchanged in the source file")


def value_reason(ref: str, field: str, size: int, bound: int, what: str, name: str) -> str:
    """A reject's reason for a record of ``name`` (at ``ref``) whose ``field`` holds ``size`` bytes."""
    return ValueOverBound(ref, name, field, size, bound, what).text


def _cut_excerpts(rejects: pl.DataFrame, bound: int) -> pl.DataFrame:
    """Rejects whose excerpt is over ``bound`` bytes (a parser that quoted a whole value): the excerpt's
    first characters, then how long it was, so a reject never carries the value it sets aside."""
    if rejects.height == 0 or "excerpt" not in rejects.columns:
        return rejects
    size = pl.col("excerpt").str.len_bytes()
    if not (rejects.select(size.max()).item() or 0) > bound:
        return rejects
    return rejects.with_columns(
        pl.when(size > bound)
        .then(pl.concat_str(pl.col("excerpt").str.slice(0, EXCERPT_CHARS),
                            pl.lit(" ... (cut: "), size.cast(pl.String),
                            pl.lit(" bytes in all; kept unchanged in the source file)")))
        .otherwise(pl.col("excerpt")).alias("excerpt"))


def extra_reason(ref: str, table: str, field: str, size: int, bound: int, what: str, name: str) -> str:
    """A reject's reason for a record of ``name`` (at ``ref``) whose row of the extra table ``table`` holds
    ``size`` bytes in ``field``."""
    return ValueOverBound(ref, name, field, size, bound, what, table=table).text


def bound_values(result: Any, bound: int, what: str, name: str, source_id: str) -> Any:
    """``result`` (a :class:`parsers.base.ParseResult`) with each event holding a text value over
    ``bound`` bytes moved to the rejects (one a record, naming it, its field and the size: see
    :func:`value_reason`), identity evidence from such a record left out, and every reject's excerpt
    held to the bound. ``events + rejects`` stays what it was; every other record keeps its place.

    The extra tables (:attr:`parsers.base.ParseResult.extra`: reactions, conversations, replies) are
    bounded the same way, by their rows' ``source_ref``: a row holding a value over the bound makes its
    record a reject (its event moved, as above, the reason naming the table and the field); a row whose
    record is no event (a conversation's own row) is a reject of its own, counted as a record read. No
    extra row of a rejected record is kept. A table whose strings together fit in the bound is not
    looked at (the usual answer, from its size)."""
    from atlas.model import REJECT_SCHEMA

    events = result.events
    found = long_values(events, bound)
    result.rejects = _cut_excerpts(result.rejects, bound)
    over = {t: f for t, f in ((t, long_values(frame, bound)) for t, frame in result.extra.items()
                              if "source_ref" in frame.columns) if f is not None}
    if found is None and not over:
        return result
    new: dict[str, tuple[str, str]] = {}  # ref -> (reason, excerpt), in order found
    drop_rows: list[int] = []
    if found is not None:
        for r, f, sz, x, row in zip(found["source_ref"], found["field"], found["size"], found["excerpt"], found["_row"],
                                    strict=True):
            new.setdefault(r, (value_reason(r, f, sz, bound, what, name), x))
            drop_rows.append(row)
    if over:
        event_rows = {r: i for i, r in enumerate(events.get_column("source_ref").cast(pl.String).to_list())}
        rejected = set(result.rejects.get_column("source_ref").cast(pl.String).to_list())
        for table, f in over.items():
            for r, field_, sz, x in zip(f["source_ref"], f["field"], f["size"], f["excerpt"], strict=True):
                if r in new or r is None:
                    continue
                if r in event_rows:
                    drop_rows.append(event_rows[r])
                elif r in rejected:
                    continue  # a reject already: its extra rows are left out below
                else:
                    result.records_read += 1  # a row of its own (a conversation): now a record read, and rejected
                new[r] = (extra_reason(r, table, field_, sz, bound, what, name), x)
    moved = pl.DataFrame({"source_id": [source_id] * len(new), "source_ref": list(new),
                          "reason": [v[0] for v in new.values()], "excerpt": [v[1] for v in new.values()]},
                         schema=REJECT_SCHEMA)
    if drop_rows:
        keep = ~pl.int_range(pl.len(), dtype=pl.UInt32).is_in(pl.Series(drop_rows, dtype=pl.UInt32).implode())
        result.events = events.filter(keep)
    result.rejects = pl.concat([result.rejects.cast(REJECT_SCHEMA), moved])
    gone = list(new) + [r for f in over.values() for r in f["source_ref"].to_list()]
    refs = pl.Series(gone, dtype=pl.String).implode()
    for table, frame in list(result.extra.items()):
        if "source_ref" in frame.columns and frame.height:
            result.extra[table] = frame.filter(~pl.col("source_ref").cast(pl.String).is_in(refs))
    if result.evidence is not None and result.evidence.height and "source_ref" in result.evidence.columns:
        result.evidence = result.evidence.filter(~pl.col("source_ref").cast(pl.String).is_in(refs))
        extra = long_values(result.evidence, bound)
        if extra is not None:
            result.evidence = result.evidence.filter(
                ~pl.int_range(pl.len(), dtype=pl.UInt32).is_in(extra["_row"].implode()))
            result.assumptions.append(f"{extra.height:,} identity fact(s) holding a value over the {bound:,}-byte bound "
                                      f"on one value of {what} left out (kept unchanged in the source file)")
    return result


def bounded_json_values(what: str, bound: int = JSON_VALUE_BYTES) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a JSON parser's ``parse`` (and ``parse_plain``) with :func:`bound_values`: a record with a
    text value over ``bound`` (:data:`JSON_VALUE_BYTES`) is one reject, named; ``what``: the records
    ("a record of a Telegram export"), for the reason. Costs one pass over the table's string lengths."""
    def wrap(parse: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(parse)
        def wrapper(path: Path, ctx: Any, *args: Any, **kwargs: Any) -> Any:
            return bound_values(parse(path, ctx, *args, **kwargs), bound, what, path.name, ctx.source_id)
        return wrapper
    return wrap
