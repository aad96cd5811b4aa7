"""A byte-level engine that turns a text file's lines into Polars columns fast.

Why this exists: issue 2 asks for a 100,000-message WhatsApp chat to be ingested at
least 10x faster than ``whatstk`` (``bench/bench_whatsapp.py`` measures it). Per-line
Python work (a ``str`` object and a regex match per line) cannot get there, and neither
could Polars' own string splitting: ``str.split`` / ``str.extract_groups`` over every
line copy every byte into new string buffers and were the bottleneck once Python was
gone. So the file is read once into a NumPy buffer, lines and their parts are found as
(start, length) *spans* with vectorised byte comparisons, and the spans are handed to
Polars as Arrow string views that point into that buffer: no byte is copied and no
per-line Python object is made. Nothing here knows a chat format; the parser that uses
it (``parsers/whatsapp_text.py``) decides which spans mean what.

Invariants a caller relies on:

* **Byte offsets, not character offsets.** Every position here counts bytes of the
  UTF-8 file. Polars' ``str.find`` also counts bytes and may be added to a span's start;
  ``str.slice`` and ``str.len_chars`` count characters and must not be. A span must
  start and end at an ASCII delimiter (a line break, a separator, ``": "``) so it always
  holds whole UTF-8 characters.
* **ASCII fast path.** :meth:`TextBytes.read` decodes the file only when it has a byte
  >= 0x80 (to check it is UTF-8, and to report a truncated copy): a plain ASCII chat is
  never turned into one big Python ``str``, and its caller may skip every check for
  non-ASCII marks.
* **Padded buffers.** The buffer has 32 zero bytes after the file, so reading a few bytes
  past any position (4 or 8 byte words, a fixed-width stamp window) never leaves it and
  reads zeros, which match no delimiter or digit.
* **One background thread per process.** :func:`background` runs Polars work that
  releases the GIL alongside NumPy work of the same parse (on two cores they overlap).
  It is created lazily per process id, so a forked child (the ingest may fork) makes its
  own instead of inheriting a dead one.
* **Pooled memory and chunked columns.** Large scratch arrays come from Arrow's memory
  pool (:func:`pooled`), which reuses freed memory where NumPy would fault in fresh pages
  on every parse; columns are handed over in chunks of 32,768 rows (:func:`chunked`) so
  Polars can spread per-column work over both cores.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
from numpy.lib.stride_tricks import sliding_window_view

from atlas.errors import FormatError, NotASourceError
from parsers._bounds import (
    KEPT_BYTES,
    LongLine,
    chat_cut,
    chat_long_blocks,
    chat_long_blocks_in,
    counted_decoding,
    file_lines,
    is_utf16,
    kept_prefix,
    long_lines,
    long_lines_in,
    read_without_bytes,
    utf16_file_as_utf8,
    utf16_file_as_utf8_mapped,
)
from parsers._exports import replaced_invalid_utf8

__all__ = [
    "ASCII_SPACE", "BOOL", "I64", "UNICODE_SPACE_CODES", "FixedFormat", "FixedStamps", "TextBytes", "background",
    "chunked", "datetimes", "line_refs", "pooled", "utf8_codes",
]

I64 = npt.NDArray[np.int64]
BOOL = npt.NDArray[np.bool_]


def utf8_codes(chars: str) -> npt.NDArray[np.uint32]:
    """Each character's UTF-8 bytes as one little-endian number, the form
    :meth:`TextBytes.code3` reads them in (so a character can be matched with ``np.isin``)."""
    return np.array([int.from_bytes(c.encode(), "little") for c in chars], dtype=np.uint32)


ASCII_SPACE: Final = np.array([9, 10, 11, 12, 13, 32], dtype=np.uint8)
_UNICODE_SPACES: Final = "\u0085\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
UNICODE_SPACE_CODES: Final = utf8_codes(_UNICODE_SPACES)
"""Whitespace beyond ASCII as Rust (Polars' ``strip_chars``) sees it, as little-endian UTF-8 codes."""
_BOM_CODE: Final = int(utf8_codes("\ufeff")[0])
_LOW_BYTES: Final = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
"""Masks keeping the low k bytes of a 64-bit word (k = 0..8)."""
_LOW_BYTES32: Final = _LOW_BYTES[:5].astype(np.uint32)
_PIECE: Final = 8192
_ROWS_PER_CHUNK: Final = 1 << 15


_EXECUTOR: dict[int, ThreadPoolExecutor] = {}


def background() -> ThreadPoolExecutor:
    """One worker thread (per process: a forked child does not inherit the thread) for
    Polars work that can overlap NumPy work of the same parse."""
    pid = os.getpid()
    if pid not in _EXECUTOR:
        _EXECUTOR.clear()
        _EXECUTOR[pid] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="text-columns")
    return _EXECUTOR[pid]


def chunked(n: int, make: Callable[[int, int], pa.Array]) -> pl.Series:
    """A Series of Arrow arrays made for rows [lo, hi) in runs of 32,768: Polars works on
    the chunks of one column in parallel (a single chunk keeps it to one core)."""
    arrays = [make(lo, min(lo + _ROWS_PER_CHUNK, n)) for lo in range(0, max(n, 1), _ROWS_PER_CHUNK)]
    series = pl.from_arrow(pa.chunked_array(arrays))
    assert isinstance(series, pl.Series)
    return series


def pooled(size: int, dtype: type[np.generic]) -> npt.NDArray[Any]:
    """An uninitialised array in Arrow's memory pool. The pool keeps freed memory for the
    next request, where NumPy's own allocations of this size are fresh pages from the
    system on every parse (a page fault per 4 KB: several ms for a 100,000-line chat)."""
    item = np.dtype(dtype).itemsize
    return np.frombuffer(pa.allocate_buffer(max(size * item, 1)), dtype=dtype, count=size)


_PADDING: Final = 32
"""Zero bytes after a file's bytes in :class:`TextBytes`' buffer (its 8-byte words read past any position)."""


def _utf16_lost(path: Path, replaced: bool) -> list[str]:
    """What a UTF-16 file's conversion did not read as UTF-16 (a surrogate half alone: U+FFFD; an odd last
    byte: dropped), said as the tabular reader says it (:func:`parsers._tabular.utf16_losses`); [] for
    nearly every file (``replaced``: the conversion replaced something, so the file is looked at again)."""
    from parsers._tabular import utf16_losses

    return [r.note() for r in utf16_losses(path, None, replaced, 0)]


def _utf16_name(path: Path) -> str:
    with path.open("rb") as fh:
        return "UTF-16-LE" if fh.read(2) == b"\xff\xfe" else "UTF-16-BE"


def _kept(x: LongLine, keep_breaks: bool) -> int:
    """Bytes read of a message over the bound (:func:`parsers._bounds.chat_cut`), its breaks or not."""
    want, breaks = chat_cut(x)
    return want + (breaks if keep_breaks else 0)


class TextBytes:
    """The file's bytes for vectorised splitting, read once into a zero-padded NumPy buffer
    (reads a few bytes past any position stay inside). Lines and their parts are (start,
    length) spans into this buffer, handed to Polars as Arrow string views: no byte is
    copied and no per-line Python object is made. Spans always start and end at ASCII
    delimiters (line breaks, the header separator, ``": "``), so they are whole UTF-8
    characters."""

    def __init__(self, a: npt.NDArray[np.uint8], start: int, end: int) -> None:
        self.a, self.start, self.end = a, start, end
        self.crlf = False  # whether some line ended "\r\n" (set by ``lines``)
        self.long: list[LongLine] = []
        self.breaks_kept = True
        """Each message in :attr:`long` was read as its header's first bytes and then one empty line for
        each of its continuation lines (the file's line numbers); false: as the first bytes alone."""
        """Lines over the bound :meth:`read` was given: each is in the buffer cut to its first
        :data:`parsers._bounds.KEPT_BYTES` (whole characters); the parser rejects its record."""
        self.buffer = pa.py_buffer(a)
        # Every position's next 4 and 8 bytes as one little-endian word (overlapping views, no copy).
        self.w4 = np.ndarray((a.size - 4,), dtype="<u4", buffer=a, strides=(1,))
        self.w8 = np.ndarray((a.size - 8,), dtype="<u8", buffer=a, strides=(1,))

    @staticmethod
    def padded(size: int) -> npt.NDArray[np.uint8]:
        return pooled(size + _PADDING, np.uint8)

    @classmethod
    def read(cls, path: Path, format_name: str, bound: int | None = None,
             is_header: Callable[[bytes], bool] | None = None, *,
             keep_breaks: bool = True) -> tuple[TextBytes, str | None, list[str]]:
        """The file (BOM dropped, checked to be UTF-8), its text when it had to be decoded
        for that check (ASCII needs none, so a plain file is never decoded whole), and notes
        on what was repaired. Errors name ``format_name`` ("not a WhatsApp text export").

        ``bound``: a line longer than this many bytes is cut to its first
        :data:`parsers._bounds.KEPT_BYTES` in the buffer (``.long`` lists them, with their
        line numbers and sizes in the file; the parser makes their records rejects), before
        any of it reaches Polars; a UTF-16 file with such a line is refused whole. With
        ``is_header`` (the parser's header rule, :func:`parsers._bounds.chat_long_blocks`), the bound
        is on a whole message, its continuation lines included, and such a message is cut to its
        header line's first bytes and its line breaks (:func:`parsers._bounds.chat_cut`).

        ``keep_breaks`` false: such a message is cut to its header line's first bytes alone, one line
        (not one empty line for each of its continuation lines: a 100 MB message of 80-byte lines was
        1.3 million lines for the parser to split, group and join); the parser then turns the line
        numbers it finds into the file's with :meth:`file_lines`."""
        if is_utf16(path):
            return cls._read_utf16(path, format_name, bound, is_header, keep_breaks)
        long = long_lines(path, bound) if bound is not None else []
        if bound is not None and is_header is not None:
            long = chat_long_blocks(path, bound, is_header)  # whole messages (every long line is in one)
        size = path.stat().st_size - sum(x.size - _kept(x, keep_breaks) for x in long)
        a = cls.padded(size)
        with path.open("rb") as handle:
            size = cls._read_cut(handle, a, size, long, keep_breaks) if long else handle.readinto(a.data[:size])
        a[size:] = 0  # the padding (and anything a file that shrank since stat() left unread)
        made = cls._checked(path, format_name, a, size)
        made[0].long = long
        made[0].breaks_kept = keep_breaks
        return made

    def file_lines(self, lineno: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        """Line numbers in the bytes read (1-based) as the file's: the same, unless messages over the
        bound were cut to one line each (``keep_breaks`` false), when every line after such a message
        is as many lines further on in the file as the message had continuation lines."""
        lineno = np.asarray(lineno, dtype=np.int64)
        if self.breaks_kept or not self.long:
            return lineno
        return file_lines(self.long, lineno)

    @classmethod
    def _read_utf16(cls, path: Path, format_name: str, bound: int | None, is_header: Callable[[bytes], bool] | None,
                    keep_breaks: bool = True) -> tuple[TextBytes, str | None, list[str]]:
        """:meth:`read` of a UTF-16 file (its byte-order mark first; an export re-saved by Windows
        Notepad as "Unicode"): the same text, converted to UTF-8 first, then bounded (per message with
        ``is_header``, else per line) and cut in those bytes as a UTF-8 file is in its own.

        The UTF-8 is made in a buffer with the padding after it (:func:`parsers._bounds.utf16_file_as_utf8_mapped`)
        and viewed in place: the file's UTF-8 is held once, not copied into a padded buffer beside itself
        (a 60 MB file: 197 MB peak, now 167 MB). A file with a line (or message) over the bound is cut as
        before (:meth:`_read_utf16_plain`, the plain rule, which tests/test_utf16_memory.py holds this equal to)."""
        with counted_decoding() as tally:  # (counts what is replaced: no pass over a valid file's text)
            buf, n = utf16_file_as_utf8_mapped(path, _PADDING)
        if bound is not None:
            long = chat_long_blocks_in(buf, bound, is_header, n) if is_header is not None else long_lines_in(buf, bound, n)
            if long:  # (a hostile file: read by the plain rule, which cuts it)
                buf.close()
                return cls._read_utf16_plain(path, format_name, bound, is_header, keep_breaks)
        lost = _utf16_lost(path, tally.places > 0)
        made = cls._checked(path, format_name, np.frombuffer(buf, dtype=np.uint8, count=n + _PADDING), n)
        made[2][:0] = [f"UTF-16 text ({_utf16_name(path)}, byte-order mark): read as UTF-16 and converted to UTF-8", *lost]
        made[0].long = []
        made[0].breaks_kept = keep_breaks
        return made

    @classmethod
    def _read_utf16_plain(cls, path: Path, format_name: str, bound: int | None,
                          is_header: Callable[[bytes], bool] | None,
                          keep_breaks: bool = True) -> tuple[TextBytes, str | None, list[str]]:
        """The plain rule of :meth:`_read_utf16`: the UTF-8 made, then copied into a padded buffer."""
        encoding = _utf16_name(path)
        with counted_decoding() as tally:
            data = utf16_file_as_utf8(path)  # (read in pieces: the file is never held whole beside its UTF-8)
        lost = _utf16_lost(path, tally.places > 0)
        long: list[LongLine] = []
        if bound is not None:
            long = chat_long_blocks_in(data, bound, is_header) if is_header is not None else long_lines_in(data, bound)
        if long:
            data = read_without_bytes(data, long, KEPT_BYTES, breaks=keep_breaks)
        a = cls.padded(len(data))
        a[:len(data)] = np.frombuffer(data, dtype=np.uint8)
        a[len(data):] = 0
        size = len(data)
        del data
        made = cls._checked(path, format_name, a, size)
        made[2][:0] = [f"UTF-16 text ({encoding}, byte-order mark): read as UTF-16 and converted to UTF-8", *lost]
        made[0].long = long
        made[0].breaks_kept = keep_breaks
        return made

    @staticmethod
    def _read_cut(handle: Any, a: npt.NDArray[np.uint8], room: int, long: list[LongLine], keep_breaks: bool = True) -> int:
        """Read the file into ``a`` with each line in ``long`` cut to its kept prefix; the bytes read."""
        at = pos = 0
        for x in [*long, None]:
            stop = x.start if x is not None else None
            handle.seek(pos)
            want = (stop - pos) if stop is not None else room - at
            got = handle.readinto(a.data[at:at + want])
            at += got
            if x is None:
                break
            want, breaks = chat_cut(x)
            breaks = breaks if keep_breaks else 0
            head = handle.read(want + 4)
            keep = kept_prefix(head, want) if len(head) > want else len(head)
            a[at:at + keep] = np.frombuffer(head[:keep], dtype=np.uint8)
            at += keep
            a[at:at + breaks] = 0x0A
            at += breaks
            pos = x.end
        return at

    @classmethod
    def _checked(cls, path: Path, format_name: str, a: npt.NDArray[np.uint8], size: int
                 ) -> tuple[TextBytes, str | None, list[str]]:
        content = a[:size]
        notes: list[str] = []
        if size >= 2 and bytes(content[:2]) in (b"\xff\xfe", b"\xfe\xff"):
            # UTF-16 with its byte-order mark (an export re-saved by Windows Notepad as
            # "Unicode"): the same text, so converted to UTF-8 rather than refused for its NULs.
            encoding = "utf-16-le" if bytes(content[:2]) == b"\xff\xfe" else "utf-16-be"
            data = bytes(content[2:size - (size % 2)]).decode(encoding, errors="replace").encode("utf-8")
            notes.append(f"UTF-16 text ({encoding.upper()}, byte-order mark): read as UTF-16 and converted to UTF-8")
            size = len(data)
            a = cls.padded(size)
            a[:size] = np.frombuffer(data, dtype=np.uint8)
            a[size:] = 0
            content = a[:size]
        if size == 0 or (np.isin(content[:4096], ASCII_SPACE).all() and np.isin(content, ASCII_SPACE).all()):
            raise NotASourceError(f"{path}: the file is empty", reason="empty file")  # blank: nothing to read
        if content.min() == 0:
            offset = int(np.argmin(content))
            raise FormatError(f"{path}: binary content (NUL byte at offset {offset}): not a {format_name} text export")
        start = 3 if size >= 3 and bytes(content[:3]) == b"\xef\xbb\xbf" else 0
        cls._lone_cr_to_lf(a, content, notes)
        if content.max() < 0x80:
            return cls(a, start, size), None, notes
        view = a.data[start:size]
        try:
            text = str(view, "utf-8")
        except UnicodeDecodeError as exc:
            text, note = replaced_invalid_utf8(path, view, f"{format_name} export", exc)
            notes.append(note)
            data = text.encode("utf-8")
            a = cls.padded(len(data))
            a[: len(data)] = np.frombuffer(data, dtype=np.uint8)
            a[len(data):] = 0
            return cls(a, 0, len(data)), text, notes
        return cls(a, start, size), text, notes

    @staticmethod
    def _lone_cr_to_lf(a: npt.NDArray[np.uint8], content: npt.NDArray[np.uint8], notes: list[str]) -> None:
        """Every line-ending convention is a line break: a CR not followed by LF (CR-only
        files, classic Mac; mixed files) is made LF in the buffer, in place (same length, so
        every byte offset stays the file's), and counted in the notes. CRLF is left for
        :meth:`lines`. Looked at in 1 MB pieces, so no mask of the file's size is made (it was, twice: 30 MB
        held at once for a 30 MB chat); one pass where there was one to count and one to find."""
        piece = 1 << 20
        scratch = pooled(min(piece, max(content.size, 1)), np.bool_)
        found = []
        for i in range(0, content.size, piece):
            part = content[i:i + piece]
            cr = np.equal(part, 13, out=scratch[:part.size])
            if cr.any():
                at = np.flatnonzero(cr) + i
                found.append(at[a[at + 1] != 10])  # the zero padding makes a final CR lone too
        lone = np.concatenate(found) if found else np.empty(0, np.int64)
        if lone.size:
            a[lone] = 10
            notes.append(f"{lone.size} line break(s) written as a lone CR (CR-only or mixed line endings) read as line breaks")

    def text(self, limit: int | None = None) -> str:
        """The text (the first ``limit`` bytes of it, a character cut at the limit dropped)."""
        if limit is None:
            return str(self.a.data[self.start:self.end], "utf-8")
        return str(self.a.data[self.start:min(self.end, self.start + limit)], "utf-8", errors="ignore")

    def lines(self) -> tuple[I64, I64]:
        """Line spans as Polars' CSV reader splits a file: at ``\\n``, one trailing
        ``\\r`` dropped, a final line break adding no line (and, like the reader, a second
        byte-order mark dropped). Scanned in 1 MB pieces so no file-sized mask is made."""
        piece = 1 << 20
        scratch = pooled(piece, np.bool_)
        found = []
        for at in range(self.start, self.end, piece):
            chunk = self.a[at:min(at + piece, self.end)]
            mask = scratch[: chunk.size]
            np.equal(chunk, 10, out=mask)
            hits = np.flatnonzero(mask)
            hits += at
            found.append(hits)
        count = sum(hits.size for hits in found)
        starts = pooled(count + 1, np.int64)
        ends = pooled(count + 1, np.int64)
        starts[0] = self.start
        ends[-1] = self.end
        if count:
            np.concatenate(found, out=ends[:-1])
            np.add(ends[:-1], 1, out=starts[1:])
        if self.end > self.start and self.a[self.end - 1] == 10:
            starts, ends = starts[:-1], ends[:-1]
        if self.end - self.start >= 3 and int(self.code3(starts[:1])[0]) == _BOM_CODE:
            starts[0] += 3
        last = np.maximum(ends - 1, 0)
        carriage = (ends > starts) & (self.a[last] == 13)
        self.crlf = bool(carriage.any())
        ends -= carriage
        np.maximum(ends, starts, out=ends)
        return starts, ends

    def strings(self, starts: I64, lengths: I64, valid: BOOL | None = None) -> pl.Series:
        """A Polars string column of the spans (null where not ``valid``)."""
        n = starts.size
        views = pooled(n * 4, np.uint32).reshape(n, 4)
        if valid is not None and valid.sum() < n // 2:
            # Mostly null (continuation tails, say): only the valid rows are looked at.
            views[:] = 0
            rows = np.flatnonzero(valid)
            self._fill(views, rows, starts[rows], lengths[rows])
        else:
            for lo in range(0, n, _PIECE):  # pieces of 8,192 keep the scratch arrays small
                hi = min(lo + _PIECE, n)
                self._fill(views[lo:hi], None, starts[lo:hi], lengths[lo:hi])
                if valid is not None:
                    views[lo:hi][~valid[lo:hi]] = 0
        return chunked(n, lambda lo, hi: pa.Array.from_buffers(pa.string_view(), hi - lo, [
            None if valid is None else pa.py_buffer(np.packbits(valid[lo:hi], bitorder="little")),
            pa.py_buffer(views[lo:hi]), self.buffer,
        ]))

    def _fill(self, views: npt.NDArray[np.uint32], rows: I64 | None, at: I64, size: I64) -> None:
        """Arrow string views of the spans (at, size), into ``views`` (at ``rows``, or all):
        length, 4-byte prefix, buffer 0 and offset; up to 12 bytes the string itself, inline
        and zero-padded."""
        target = views if rows is None else views[rows]
        target[:, 0] = size
        target[:, 1] = self.w4[at]
        target[:, 2] = 0
        target[:, 3] = at
        short = np.flatnonzero(size <= 12)
        if short.size:
            at_s, size_s = at[short], size[short]
            low = self.w8[at_s]
            low &= _LOW_BYTES[np.clip(size_s, 0, 8)]
            high = self.w4[at_s + 8]
            high &= _LOW_BYTES32[np.clip(size_s - 8, 0, 4)]
            target[short, 1] = low & np.uint64(0xFFFFFFFF)
            target[short, 2] = low >> np.uint64(32)
            target[short, 3] = high
        if rows is not None:
            views[rows] = target

    def code3(self, at: I64) -> npt.NDArray[np.uint32]:
        """The three bytes at each position as one little-endian number."""
        codes: npt.NDArray[np.uint32] = self.w4[at] & np.uint32(0xFFFFFF)
        return codes


def datetimes(micros: I64, valid: BOOL) -> pl.Series:
    """A naive Datetime("us") column from microseconds since 1970 (null where not ``valid``),
    without a copy."""
    return chunked(micros.size, lambda lo, hi: pa.Array.from_buffers(pa.timestamp("us"), hi - lo, [
        pa.py_buffer(np.packbits(valid[lo:hi], bitorder="little")), pa.py_buffer(micros[lo:hi]),
    ]))


_FIELD_WIDTH: Final = {"d": 2, "m": 2, "Y": 4, "y": 2, "H": 2, "M": 2, "S": 2}


@dataclass(frozen=True)
class FixedFormat:
    """A zero-padded numeric stamp format ("%d/%m/%Y, %H:%M"): every byte has its place."""

    width: int
    literals: tuple[tuple[int, int], ...]
    """(offset, byte) of each literal character."""
    fields: tuple[tuple[str, int], ...]
    """(strftime code, offset) of each numeric field."""

    @staticmethod
    def of(fmt: str) -> FixedFormat | None:
        """None for formats with AM/PM, which strptime reads."""
        literals: list[tuple[int, int]] = []
        fields: list[tuple[str, int]] = []
        at = i = 0
        while i < len(fmt):
            if fmt[i] == "%":
                code = fmt[i + 1]
                if code not in _FIELD_WIDTH:
                    return None
                fields.append((code, at))
                at += _FIELD_WIDTH[code]
                i += 2
            elif fmt[i].isascii():
                literals.append((at, ord(fmt[i])))
                at += 1
                i += 1
            else:
                return None
        return FixedFormat(at, tuple(literals), tuple(fields))


class FixedStamps:
    """Stamps read byte by byte at fixed offsets, vectorised over every line: which lines
    have the format's shape (digits and literals in place) and, per day/month order, which
    hold a real date and time and what it is. Lines of any other shape, and real-looking
    values out of the ordinary range (a leap second), are left to strptime. Small integer
    types and per-month tables keep the arrays few and small."""

    def __init__(self, a: npt.NDArray[np.uint8], at: I64, fixed: FixedFormat, width: int) -> None:
        """``a`` starts where the stamps' offsets count from; ``at`` are the stamps' starts.
        The first ``width`` bytes at each start are copied out once (one row each), so the
        bytes after the stamp (the separator) can be checked from ``self.grid`` too."""
        self.fixed = fixed
        self.grid = sliding_window_view(a, width)[at]  # the padding keeps every window inside
        self.shape = np.ones(at.size, dtype=np.bool_)
        for offset, byte in fixed.literals:
            self.shape &= self.grid[:, offset] == byte
        values = self.grid - np.uint8(48)  # digits as their values (uint8 wraps below '0')
        self.digits: dict[str, list[npt.NDArray[np.uint8]]] = {}
        for code, offset in fixed.fields:
            self.digits[code] = []
            for k in range(_FIELD_WIDTH[code]):
                digit = values[:, offset + k]
                self.shape &= digit < 10
                self.digits[code].append(digit)

    def _value(self, code: str, dtype: type[np.integer[Any]] = np.uint8) -> npt.NDArray[Any]:
        """A field's digits as one number per line, in ``dtype``."""
        digits = self.digits[code]
        value = digits[0].copy() if dtype is np.uint8 else pooled(digits[0].size, dtype)
        if dtype is not np.uint8:
            value[:] = digits[0]
        for digit in digits[1:]:
            value *= 10
            value += digit
        return value

    def read(self, order: str) -> tuple[BOOL, I64, npt.NDArray[np.uint8]]:
        """Which lines hold a real date and time in this day/month order ('mdy' swaps the
        format's day and month fields, any other order reads them as named), its microseconds
        since 1970 (naive wall clock), and the day of month. Two-digit years are 20yy."""
        codes = dict(self.fixed.fields)
        day_code, month_code = ("m", "d") if order == "mdy" else ("d", "m")  # month-first swaps the fields
        day, month = self._value(day_code), self._value(month_code)
        hour, minute = self._value("H"), self._value("M")
        ok = self.shape & (month >= 1) & (month <= 12) & (day >= 1) & (hour <= 23) & (minute <= 59)
        second = self._value("S") if "S" in codes else None
        if second is not None:
            ok &= second <= 59
        year = self._value("Y", np.int32) if "Y" in codes else self._value("y", np.int32)
        if "y" in codes:
            year += 2000
        # Per (year, month): the day number of its first day and its length, from a small table.
        first_year = int(year[ok].min()) if ok.any() else 2000
        years = int(year[ok].max()) - first_year + 1 if ok.any() else 1
        # NumPy's calendar: month numbers since 1970-01 → their first days (days since 1970),
        # one more month at the end so that each month's length is a difference.
        month_starts = (
            np.arange((first_year - 1970) * 12, (first_year + years - 1970) * 12 + 1)
            .astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        )
        firsts = month_starts[:-1]
        lengths = np.diff(month_starts).astype(np.int32)
        slot = year  # reused: year → (year - first_year) * 12 + month - 1, clipped into the table
        slot -= first_year
        slot *= 12
        slot += month
        slot -= 1
        np.clip(slot, 0, lengths.size - 1, out=slot)
        ok &= day <= lengths[slot]
        days = firsts[slot]
        days += day
        days -= 1
        seconds = slot  # reused again
        seconds[:] = hour
        seconds *= 60
        seconds += minute
        seconds *= 60
        if second is not None:
            seconds += second
        micros = pooled(days.size, np.int64)
        micros[:] = days
        micros *= 86_400
        micros += seconds
        micros *= 1_000_000
        return ok, micros, day


_DIGIT_PAIRS: Final = np.frombuffer("".join(f"{i:02d}" for i in range(100)).encode(), dtype="<u2").astype(np.uint64)
"""The two ASCII digits of 00..99 as 16-bit little-endian words."""
_LINE_WORD: Final = int.from_bytes(b"line", "little") << 32


def line_refs(numbers: npt.NDArray[Any]) -> pl.Series:
    """``line N`` (Atlas's ``source_ref`` for a line of a text file) for each line number.
    Up to 12 bytes a string is an inline Arrow view (two 64-bit words: length and "line",
    then " " and the digits), built here with integer arithmetic in runs of equal digit
    count (the numbers rise), two digits at a time. Numbers that do not rise, or need more
    than 7 digits, are formatted by Polars instead."""
    numbers = numbers.astype(np.int64)
    if numbers.size == 0 or numbers[-1] >= 10**7 or numbers[0] < 1 or bool((np.diff(numbers) <= 0).any()):
        return pl.Series(numbers).to_frame("n").select(pl.format("line {}", pl.col("n"))).to_series()
    views = pooled(numbers.size * 2, np.uint64).reshape(-1, 2)
    bounds = np.searchsorted(numbers, [10**k for k in range(8)])
    for width in range(1, 8):
        lo, hi = int(bounds[width - 1]), int(bounds[width])
        if lo == hi:
            continue
        views[lo:hi, 0] = (5 + width) | _LINE_WORD
        word = np.full(hi - lo, 0x20, dtype=np.uint64)  # the space after "line"
        rest = numbers[lo:hi].copy()
        last = width  # the byte (of the second word) holding the last digit
        while last >= 2:
            word |= _DIGIT_PAIRS[rest % 100] << np.uint64(8 * (last - 1))
            rest //= 100
            last -= 2
        if last == 1:
            word |= (rest.astype(np.uint64) + np.uint64(48)) << np.uint64(8)
        views[lo:hi, 1] = word
    return chunked(numbers.size, lambda lo, hi: pa.Array.from_buffers(
        pa.string_view(), hi - lo, [None, pa.py_buffer(views[lo:hi])]))
