"""A JSON string over the bound, cut out of a file's bytes before anything decodes the document.

Why: the per-value bound (:data:`parsers._bounds.JSON_VALUE_BYTES`, checked by
:func:`parsers._bounds.bound_values`) runs on a parser's tables, after ``json.loads`` or Polars has
built the whole document: a Meta thread holding one 50 MB message peaked at 1.34-1.39 GB. Here the
file's bytes are looked at first, and a string over the bound is replaced, in the bytes every route
of the parser then reads, by a short marker string; the record holding the marker is then one reject
naming the file, the string's byte offset, the field and its size (:func:`cuts_long_json_values`).
Every other record is read exactly as before: a file with no string over the bound is not changed
(the same bytes object is handed on), and the marker keeps the document valid JSON.

**Which strings are cut.** A string is the bytes between an opening quote and its closing one (a
quote after an even run of backslashes). It is cut when the fewest bytes of text it can decode to
(:func:`text_floor`) are over :data:`~parsers._bounds.JSON_VALUE_BYTES`: with no backslash that is its
size (UTF-8 as written: the reject states its size exactly); with escapes, its size less 5 bytes a
backslash, and never less than a sixth of it (an escape is at most 6 bytes for one byte of text,
``\\u0001``). So a 3 MiB string with a few line breaks written ``\\n`` is cut (session 16 cut one holding
a backslash only over 6 MiB). A string whose escapes could bring its text under the bound (a long one
full of them) is left to the tables' check as before: its copies are bounded by its size.
Not cut for its size, so that the file's own error stands: a long string holding a raw control character
(``json.loads`` refuses the file, naming the place). A string holding a byte that is not UTF-8, of any
size, is cut on the error path (the file failed to decode: :func:`cut_not_utf8`, since session 18), so its
record is one reject naming the byte and no character is guessed for it. A UTF-16 file is read as UTF-8
piece by piece, its strings cut as it is read, by :mod:`parsers._json_utf16` (since session 18).

**How, cheaply.** The bytes are looked at in aligned windows of half the bound; a string over the
bound holds a whole window with no quote that ends a string, so a window whose first quote is not
after a backslash (nearly every window of a real file: one ``find``) is passed. Only a file with a
window that may be inside a long string (no quote, or only quotes after backslashes: also a long run
of blanks or digits) is read precisely: every string matched in file order
(:data:`_STRING`; outside strings JSON has no quote), the long ones kept. That is the error path.

**The marker** is ``"ATLAS-CUT-<32 hex digits>-<n>"``: the hex digits a token drawn at random
(``secrets``, 128 bits) each time a file is cut, after its bytes are read, so no file can be made to
hold it (a match by chance: 2^-128 a string); and the file's bytes are checked not to hold the token
(a new one is drawn if they do). Finding the token in the parser's output is therefore finding a cut
value: never a real one. It is ASCII, so no decoding or repair (Meta's mojibake) changes it.
"""

from __future__ import annotations

import bisect
import codecs
import functools
import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import polars as pl

from parsers._bounds import ESCAPE_BYTES, EXCERPT_CHARS, JSON_VALUE_BYTES, ValueNotUtf8, ValueOverBound, kept_prefix

ESCAPED_CUT: Final = ESCAPE_BYTES
"""A string holding a backslash is cut over this many times the bound (see the module docstring)."""
_BACKSLASH: Final = 0x5C


def text_floor(size: int, backslashes: int) -> int:
    """The fewest bytes of text a JSON string of ``size`` bytes between its quotes holding ``backslashes``
    backslashes can decode to: each byte that is no part of an escape is one byte of text, and an escape
    (one or two backslashes) is at most 6 bytes for at least one byte of text (``\\u0001``), so it saves at
    most 5 bytes a backslash, and the whole is at least a sixth. A string is cut where this is over the bound:
    its text is then over it, whatever its escapes decode to."""
    return size if not backslashes else max(-(-size // ESCAPED_CUT), size - 5 * backslashes)
_TRIES: Final = 64
"""Quotes after a backslash a window's first quotes are looked at one by one, before the window's
quotes are counted against its backslash-quotes."""
_STRING: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
"""One JSON string, quotes included (an escape is a backslash and the byte after it)."""
_CONTROL: Final = re.compile(rb"[\x00-\x1f]")
_MARK: Final = "ATLAS-CUT-"


@dataclass(frozen=True)
class Cut:
    """One string cut out: the file it was in, the offset of its opening quote, its bytes between the
    quotes, whether it held a backslash, its first characters, and the fewest bytes its text can be
    (:func:`text_floor`; its size where it held no backslash)."""

    file: str
    offset: int
    size: int
    escaped: bool
    excerpt: str
    floor: int = 0
    not_utf8_at: int | None = None
    """Where the string was cut because it holds bytes that are not UTF-8 (any size): the file offset
    of its first such byte (:func:`cut_not_utf8`); None for a string cut for its size."""
    not_utf8_byte: int = 0
    """That byte's value (in a UTF-16 file, the code unit's: :mod:`parsers._json_utf16`)."""
    utf16: bool = False
    """Cut from a UTF-16 file for a code unit that is half of no surrogate pair (``not_utf8_*`` name it)."""


@dataclass
class Cuts:
    """The strings cut while one parse ran (:func:`cuts_long_json_values`), and the token of its markers."""

    bound: int
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    found: list[Cut] = field(default_factory=list)

    def marker(self, n: int) -> bytes:
        return f'"{_MARK}{self.token}-{n}"'.encode("ascii")


_ACTIVE: ContextVar[Cuts | None] = ContextVar("json_cuts", default=None)


def suspect(data: Any, n: int, bound: int, lo: int = 0) -> bool:
    """Whether some aligned window of ``bound // 2`` bytes in ``data[lo:n]`` (``lo`` a multiple of the
    window) may lie inside a string over ``bound``: its quotes (if any) all after a backslash."""
    window = max(bound // 2, 1)
    find = data.find
    for pos in range(lo, n - window + 1, window):
        end = pos + window
        at = find(b'"', pos, end)
        tries = 0
        while at > 0 and data[at - 1] == _BACKSLASH and tries < _TRIES:
            at = find(b'"', at + 1, end)
            tries += 1
        if at < 0:
            return True
        if tries == _TRIES and data.count(b'"', pos, end) == data.count(b'\\"', max(pos - 1, 0), end):
            return True
    return False


def _valid_text(data: bytes | bytearray, start: int, end: int) -> bool:
    """``data[start:end]`` is UTF-8 with no raw control character (read in 1 MiB pieces: no copy of it whole)."""
    if _CONTROL.search(data, start, end):
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    step = 1 << 20
    try:
        for pos in range(start, end, step):
            decoder.decode(data[pos:min(pos + step, end)], final=pos + step >= end)
    except UnicodeDecodeError:
        return False
    return True


def long_strings(data: bytes, bound: int) -> list[tuple[int, int, bool]]:
    """Every string of the JSON document ``data`` to cut for ``bound`` (module docstring), as
    ``(start, end, escaped)``: ``start`` its opening quote, ``end`` just after its closing one.
    [] quickly for a document with no window that may be inside one."""
    n = len(data)
    if n <= bound or data[:2] in (b"\xff\xfe", b"\xfe\xff") or not suspect(data, n, bound):
        return []
    return every_long_string(data, bound)


def every_long_string(data: bytes | bytearray, bound: int) -> list[tuple[int, int, bool]]:
    """:func:`long_strings` without its quick answer: every string matched (the precise look)."""
    out = []
    for m in _STRING.finditer(data):
        start, end = m.span()
        size = end - start - 2
        if size <= bound:
            continue
        backslashes = data.count(b"\\", start + 1, end - 1)
        if text_floor(size, backslashes) > bound and _valid_text(data, start + 1, end - 1):
            out.append((start, end, backslashes > 0))
    return out


def cut(data: bytes, path: Path | str, base: int = 0) -> bytes:
    """``data`` (the bytes of ``path`` from offset ``base``, a JSON document) with each string over the
    bound replaced by a marker, recorded in the parse's :class:`Cuts`; ``data`` itself (the same object)
    where nothing is cut or no parse is collecting cuts (:func:`cuts_long_json_values`)."""
    cuts = _ACTIVE.get()
    if cuts is None:
        return data
    spans = long_strings(data, cuts.bound)
    if not spans:
        return data
    return _splice(data, path, base, cuts, [(start, end, escaped, -1) for start, end, escaped in spans])


def _splice(data: bytes, path: Path | str, base: int, cuts: Cuts, spans: list[tuple[int, int, bool, int]]) -> bytes:
    """``data`` with each span ``(start, end, escaped, bad)`` replaced by a marker and recorded in ``cuts``;
    ``bad``: the offset in ``data`` of the span's first byte that is not UTF-8 (-1: cut for its size)."""
    while data.find(cuts.token.encode("ascii")) >= 0:  # (never, by chance 2^-128: but then another token)
        cuts.token = secrets.token_hex(16)
    name = Path(path).name
    pieces = []
    pos = 0
    for start, end, escaped, bad in spans:
        pieces.append(data[pos:start])
        pieces.append(cuts.marker(len(cuts.found)))
        head = data[start + 1:min(start + 1 + 4 * EXCERPT_CHARS, bad if bad >= 0 else end)]
        excerpt = head[:kept_prefix(head, len(head))].decode("utf-8", errors="replace")[:EXCERPT_CHARS]
        size = end - start - 2
        floor = text_floor(size, data.count(b"\\", start + 1, end - 1)) if escaped else size
        cuts.found.append(Cut(name, base + start, size, escaped, excerpt, floor,
                              None if bad < 0 else base + bad, data[bad] if bad >= 0 else 0))
        pos = end
    pieces.append(data[pos:])
    return b"".join(pieces)


_BAD: ContextVar[list[int] | None] = ContextVar("json_bad_bytes", default=None)


def _note_bad_byte(exc: UnicodeError) -> tuple[str, int]:
    """A decode error handler: notes where a byte that is not UTF-8 is and goes on after it."""
    found = _BAD.get()
    assert found is not None and isinstance(exc, UnicodeDecodeError)
    found.append(exc.start)
    return "", exc.start + 1


codecs.register_error("atlas-json-bad-bytes", _note_bad_byte)


def bad_bytes(data: bytes | bytearray) -> list[int]:
    """The offset of each byte of ``data`` that is no part of a UTF-8 character, in order (one decode)."""
    found: list[int] = []
    token = _BAD.set(found)
    try:
        data.decode("utf-8", "atlas-json-bad-bytes")
    finally:
        _BAD.reset(token)
    return found


def not_utf8_strings(data: bytes | bytearray) -> list[tuple[int, int, bool, int]]:
    """Every string of the JSON document ``data`` holding a byte that is not UTF-8, of any size, as
    ``(start, end, escaped, bad)``: ``bad`` the offset of its first such byte. A byte that is not UTF-8
    outside a closed string (in the structure, or a file cut inside a character) is in none: the file's
    own error stands for it."""
    bad = bad_bytes(data)
    if not bad:
        return []
    out = []
    for m in _STRING.finditer(data):
        start, end = m.span()
        i = bisect.bisect_right(bad, start)
        if i < len(bad) and bad[i] < end - 1 and not is_key(data, end):
            out.append((start, end, data.count(b"\\", start + 1, end - 1) > 0, bad[i]))
    return out


_BLANK: Final = frozenset(b" \t\r\n")


def is_key(data: bytes | bytearray, end: int) -> bool:
    """Whether the string ending just before ``end`` is an object's key (a ':' after it, past white space).
    Why: a key holding bytes that are not UTF-8 is not cut (its marker would be a key no parser reads, and
    the value under it would be silently left out of its record): the file's own error stands for it."""
    while end < len(data) and data[end] in _BLANK:
        end += 1
    return end < len(data) and data[end] == 0x3A


def cut_not_utf8(data: bytes, path: Path | str) -> bytes | None:
    """The JSON document ``data`` (the whole file ``path``'s bytes, a UTF-8 byte-order mark allowed) with
    each string holding bytes that are not UTF-8, and each string over the bound, replaced by a marker
    (recorded in the parse's :class:`Cuts`), so that its record is one reject naming the byte (its value and
    offset) and every other record is read; None where no parse is collecting cuts or no such string is found.

    Why: such a string is no text, and a forensic tool may not guess its characters (a replacement
    character would be a silent change of the record); before, the one record refused the whole file, and
    every other record of it was lost to the case. The record is kept unchanged in the source file (its
    bytes are hashed with the file); its reject states where. Only called once the file has failed to
    decode (the error path: one decode and one match of every string)."""
    cuts = _ACTIVE.get()
    if cuts is None:
        return None
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    body = data[bom:] if bom else data
    broken = not_utf8_strings(body)
    if not broken:
        return None
    spans: dict[int, tuple[int, int, bool, int]] = {s[0]: s for s in broken}
    for start, end, escaped in (every_long_string(body, cuts.bound) if len(body) > cuts.bound else []):
        spans.setdefault(start, (start, end, escaped, -1))
    return data[:bom] + _splice(body, path, bom, cuts, [spans[k] for k in sorted(spans)])


_BODY: Final = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
"""A string's bytes up to its closing quote (or a lone backslash at the end of the bytes, or their end)."""


def _body_end(data: bytes | bytearray, pos: int) -> int:
    """Where :data:`_BODY` from ``pos`` ends (it always matches, if only nothing)."""
    m = _BODY.match(data, pos)
    return pos if m is None else m.end()


PIECE: Final = 1 << 22
"""Bytes a file is read at a time by :func:`streamed_long_strings` (a multiple of the window)."""


def streamed_long_strings(read: Callable[[int], bytes], bound: int, piece: int = PIECE
                          ) -> list[tuple[int, int, bool, bytes, int]]:
    """:func:`every_long_string` of the document that ``read`` gives piece by piece, with each string's
    first bytes (for its excerpt) and :func:`text_floor`: the same strings, holding no more than a piece and a string's first
    bytes, however long a string is. Why: a document read as a stream (Records.json, gigabytes) is
    never held whole; a string over the bound is followed to its end without being kept. A string
    that never ends (a truncated file) is not cut: the file's own error stands.
    tests/test_json_cut.py holds it equal to :func:`every_long_string`."""
    return [f[:5] for f in _streamed(read, bound, piece, False)]


def streamed_not_utf8_strings(read: Callable[[int], bytes], bound: int, piece: int = PIECE
                              ) -> list[tuple[int, int, bool, bytes, int, int]]:
    """What :func:`cut_not_utf8` cuts, from a document read piece by piece: every string holding a byte that
    is not UTF-8 (of any size; the last element the offset of its first such byte) and every other string
    :func:`streamed_long_strings` gives (the last element -1), in file order. The error path of a streamed
    file (Records.json): each string is looked at, but never held beyond a piece
    (tests/test_json_cut_stream.py holds it equal to the whole bytes' look)."""
    return _streamed(read, bound, piece, True)


def _streamed(read: Callable[[int], bytes], bound: int, piece: int, not_utf8: bool
              ) -> list[tuple[int, int, bool, bytes, int, int]]:
    out: list[tuple[int, int, bool, bytes, int, int]] = []
    want = 4 * EXCERPT_CHARS
    buf, pos, i = read(piece), 0, 0  # pos: the offset of buf[0]; i: where the look outside strings goes on
    ascii_ = not not_utf8 or buf.isascii()  # (a piece all ASCII holds no string with a byte that is not UTF-8)
    while buf:
        j = buf.find(b'"', i)  # (outside strings JSON has no quote)
        if j < 0:
            pos, buf, i = pos + len(buf), read(piece), 0
            ascii_ = not not_utf8 or buf.isascii()
            continue
        k = _body_end(buf, j + 1)
        if k < len(buf) and buf[k] == 0x22:  # the whole string is in this piece
            bad = -1
            if not ascii_ and (found := bad_bytes(buf[j + 1:k])):
                bad = pos + j + 1 + found[0]
            if bad >= 0 or k - j - 1 > bound:
                backslashes = buf.count(b"\\", j + 1, k)
                floor = text_floor(k - j - 1, backslashes)
                if bad >= 0 or (floor > bound and _valid_text(buf, j + 1, k)):
                    out.append((pos + j, pos + k + 1, backslashes > 0, buf[j + 1:min(k, j + 1 + want)], floor, bad))
            i = k + 1
            continue
        # The string goes on past this piece: followed piece by piece, only its size and first bytes kept.
        start, size, backslashes, valid, bad = pos + j, 0, 0, True, -1
        head = b""
        seen: list[int] = []
        decoder = codecs.getincrementaldecoder("utf-8")("atlas-json-bad-bytes" if not_utf8 else "strict")
        seg, skip = buf[j + 1:], 0  # skip: seg's first byte is escaped (a backslash ended the last piece)
        pos += j + 1
        while True:
            k = _body_end(seg, min(skip, len(seg)))
            closed = k < len(seg) and seg[k] == 0x22
            body = k if closed else len(seg)
            if len(head) < want:
                head += seg[:min(body, want - len(head))]
            backslashes += seg.count(b"\\", 0, body)
            size += body
            if valid:
                valid = _CONTROL.search(seg, 0, body) is None
            if bad < 0:
                if not_utf8:
                    pending = len(decoder.getstate()[0])
                    token = _BAD.set(seen)
                    try:
                        decoder.decode(seg[:body], final=closed)
                    finally:
                        _BAD.reset(token)
                    if seen:
                        bad = pos - pending + seen[0]
                        valid = False
                elif valid:
                    try:
                        decoder.decode(seg[:body], final=closed)
                    except UnicodeDecodeError:
                        valid = False
            if closed:
                floor = text_floor(size, backslashes)
                if bad >= 0 or (floor > bound and valid):
                    out.append((start, pos + k + 1, backslashes > 0, head, floor, bad))
                buf, i = seg, k + 1
                ascii_ = not not_utf8 or buf.isascii()
                break
            skip = 1 if k == len(seg) - 1 else 0  # (a lone backslash at its end: the next byte is escaped)
            pos += len(seg)
            seg = read(piece)
            if not seg:
                return out  # the string never ends: not cut (the parser names the fault)
    return out


@dataclass(frozen=True)
class Span:
    """A string cut out of a file read as a stream: its opening quote's offset, the offset just after
    its closing quote, and the marker read in its place."""

    start: int
    end: int
    marker: bytes


def file_spans(path: Path, not_utf8: bool = False) -> list[Span]:
    """Each string over the bound in the JSON file ``path`` (UTF-8), recorded in the parse's
    :class:`Cuts` like :func:`cut`'s, as the :class:`Span` a streaming reader replaces by its marker
    (:class:`Spliced`); [] where no parse is collecting cuts, for a UTF-16 file, and at once for a file
    with no window that may be inside one (:func:`suspect`, over a read-only mapping given back every
    64 MiB, so its pages never add up). Only such a file is read through (:func:`streamed_long_strings`):
    the file is never held whole, whatever its size or its strings'. ``not_utf8``: the error path of a file
    whose reader met bytes that are not UTF-8: every string looked at, and each holding such bytes cut too
    (:func:`streamed_not_utf8_strings`; :func:`cut_not_utf8`'s rule)."""
    import mmap

    cuts = _ACTIVE.get()
    if cuts is None:
        return []
    bound = cuts.bound
    with path.open("rb") as fh:
        n = os.fstat(fh.fileno()).st_size
        if fh.read(2) in (b"\xff\xfe", b"\xfe\xff") or (n <= bound and not not_utf8):
            return []
        try:
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # (not mappable: the precise look)
            maybe = True
        else:
            with mapped:
                step = max(bound // 2, 1) * 128
                maybe = False
                for lo in range(0, n, step):
                    if suspect(mapped, min(n, lo + step + max(bound // 2, 1)), bound, lo):
                        maybe = True
                        break
                    if hasattr(mmap, "MADV_DONTNEED"):
                        mapped.madvise(mmap.MADV_DONTNEED, lo, min(step, n - lo))
        if not maybe and not not_utf8:
            return []
        while True:
            fh.seek(0)
            watch = _Watch(fh, cuts.token.encode("ascii"))
            found = _streamed(watch.read, bound, PIECE, not_utf8)
            if not watch.held:  # (never, by chance 2^-128: but then another token, and the file looked at again)
                break
            cuts.token = secrets.token_hex(16)
    name = path.name
    spans = []
    if not_utf8:
        found = [f for f in found if f[5] < 0 or not _key_in_file(path, f[1])]
    for start, end, escaped, head, floor, bad in found:
        head = head[:bad - start - 1] if bad >= 0 else head
        excerpt = head[:kept_prefix(head, len(head))].decode("utf-8", errors="replace")[:EXCERPT_CHARS]
        spans.append(Span(start, end, cuts.marker(len(cuts.found))))
        cuts.found.append(Cut(name, start, end - start - 2, escaped, excerpt, floor, None if bad < 0 else bad,
                              head_byte(path, bad) if bad >= 0 else 0))
    return spans


def _key_in_file(path: Path, end: int) -> bool:
    """:func:`is_key` for the string of the file ``path`` ending just before ``end`` (its white space read on)."""
    with path.open("rb") as fh:
        fh.seek(end)
        while chunk := fh.read(4096):
            rest = chunk.lstrip(b" \t\r\n")
            if rest:
                return rest[0] == 0x3A
    return False


def head_byte(path: Path, at: int) -> int:
    """The byte of ``path`` at offset ``at`` (a byte that is not UTF-8, named in its reject)."""
    with path.open("rb") as fh:
        fh.seek(at)
        return fh.read(1)[0]


def read_spliced(path: Path, spans: list[Span]) -> tuple[bytes, str]:
    """The bytes of ``path`` with each :class:`Span` read as its marker, and the SHA-256 of the file's
    own bytes as read (the same read: the bytes hashed are the bytes parsed). Never holds a span's bytes
    beyond one piece: what a small JSON file read beside another (X's ``account.js``) is read by."""
    import hashlib

    digest = hashlib.sha256()
    out = bytearray()
    todo = list(spans)
    pos = 0
    with path.open("rb") as fh:
        while piece := fh.read(PIECE):
            digest.update(piece)
            end = pos + len(piece)
            i = pos
            while i < end:
                if todo and todo[0].start <= i:  # inside a span (its marker written where it opens)
                    if i == todo[0].start:
                        out += todo[0].marker
                    stop = min(end, todo[0].end)
                    if stop == todo[0].end:
                        todo.pop(0)
                else:
                    stop = min(end, todo[0].start) if todo else end
                    out += piece[i - pos:stop - pos]
                i = stop
            pos = end
    return bytes(out), digest.hexdigest()


class _Watch:
    """A file's ``read``, noting whether the bytes read hold ``token`` (across pieces too)."""

    def __init__(self, fh: Any, token: bytes) -> None:
        self._fh, self._token, self._last, self.held = fh, token, b"", False

    def read(self, size: int) -> bytes:
        data = bytes(self._fh.read(size))
        self.held = self.held or (self._last + data[:len(self._token)]).find(self._token) >= 0 \
            or data.find(self._token) >= 0
        self._last = data[-len(self._token):]
        return data


class Spliced:
    """A binary file read (``read`` only) with each :class:`Span` replaced by its marker: what a
    streaming JSON reader reads in place of a file holding strings over the bound. ``pos``: the file's
    offset now (its reads go on from there)."""

    def __init__(self, fh: Any, spans: list[Span], pos: int) -> None:
        self._fh, self._pos = fh, pos
        self._spans = [s for s in spans if s.start >= pos]

    def read(self, size: int = -1) -> bytes:
        if not self._spans or size == 0:  # (a streamer asks for 0 bytes to learn their type)
            return bytes(self._fh.read(size))
        size = size if size > 0 else 1 << 62
        out = bytearray()
        while len(out) < size:
            if self._spans and self._pos == self._spans[0].start:
                span = self._spans.pop(0)
                out += span.marker
                self._fh.seek(span.end)
                self._pos = span.end
                continue
            limit = min(size - len(out), PIECE)
            if self._spans:
                limit = min(limit, self._spans[0].start - self._pos)
            data = self._fh.read(limit)
            if not data:
                break
            out += data
            self._pos += len(data)
        return bytes(out)


@contextmanager
def collecting(bound: int = JSON_VALUE_BYTES) -> Iterator[Cuts]:
    """Cut strings over ``bound`` from every JSON document read (:func:`cut`) while inside."""
    cuts = Cuts(bound)
    token = _ACTIVE.set(cuts)
    try:
        yield cuts
    finally:
        _ACTIVE.reset(token)


def cut_reason(ref: str, field_: str | None, c: Cut, bound: int, what: str, name: str, table: str | None = None) -> str:
    """A reject's reason for the record of ``name`` at ``ref`` whose ``field_`` (of a row of ``table``) held the
    string ``c``: :class:`parsers._bounds.ValueOverBound`'s words, as the tables' check gives them; for a string
    cut because it is not UTF-8, :class:`parsers._bounds.ValueNotUtf8`'s."""
    if c.not_utf8_at is not None:
        return ValueNotUtf8(ref, name, field_, c.size, c.offset, c.not_utf8_at, c.not_utf8_byte, table=table,
                            offset_file=c.file, utf16=c.utf16).text
    return ValueOverBound(ref, name, field_, c.size, bound, what, table=table, escaped=c.escaped, offset=c.offset,
                          offset_file=c.file, text_at_least=c.floor or None).text


def _token_expr(token: str, dtype: pl.DataType, name: str) -> pl.Expr | None:
    if dtype == pl.String:
        return pl.col(name).str.contains(token, literal=True).fill_null(False)
    if dtype == pl.List(pl.String):
        return pl.col(name).list.eval(pl.element().str.contains(token, literal=True)).list.any().fill_null(False)
    return None


def _marked(frame: pl.DataFrame, token: str) -> list[tuple[int, str, int]]:
    """``(row, column, cut number)`` of each row of ``frame`` holding a marker (its first such column)."""
    tests = [(n, e) for n, t in frame.schema.items() if (e := _token_expr(token, t, n)) is not None]
    if not tests or frame.height == 0:
        return []
    hit = frame.with_row_index("_row").filter(pl.any_horizontal([e for _, e in tests]))
    if hit.height == 0:
        return []
    pattern = re.compile(re.escape(token) + r"-(\d+)")
    out = []
    for row in hit.iter_rows(named=True):
        for n, _ in tests:
            v = row[n]
            text = v if isinstance(v, str) else " ".join(x for x in v or [] if x) if isinstance(v, list) else ""
            if m := pattern.search(text or ""):
                out.append((row["_row"], n, int(m.group(1))))
                break
    return out


def take_cut_records(result: Any, cuts: Cuts, what: str, name: str, source_id: str) -> Any:
    """``result`` with every record that held a cut string moved to the rejects, one a record, its reason
    :func:`cut_reason`; such a record's extra rows and identity facts left out (as
    :func:`parsers._bounds.bound_values` does for a value over the bound found in the tables)."""
    from atlas.model import REJECT_SCHEMA

    if not cuts.found:
        return result
    token = cuts.token
    new: dict[str, tuple[str, str]] = {}
    events = result.events
    drop = []
    for row, col, k in _marked(events, token):
        ref = str(events["source_ref"][row])
        c = cuts.found[k]
        new.setdefault(ref, (cut_reason(ref, col, c, cuts.bound, what, name), c.excerpt))
        drop.append(row)
    gone_extra: list[str] = []
    event_rows = None
    for table, frame in result.extra.items():
        if "source_ref" not in frame.columns:
            continue
        for row, col, k in _marked(frame, token):
            ref = frame["source_ref"][row]
            if ref is None:
                continue
            ref = str(ref)
            gone_extra.append(ref)
            if ref in new:
                continue
            if event_rows is None:
                event_rows = {r: i for i, r in enumerate(events.get_column("source_ref").cast(pl.String).to_list())}
                rejected = set(result.rejects.get_column("source_ref").cast(pl.String).to_list())
            if ref in event_rows:
                drop.append(event_rows[ref])
            elif ref in rejected:
                continue
            else:
                result.records_read += 1  # a row of its own (a conversation): now a record read, and rejected
            c = cuts.found[k]
            new[ref] = (cut_reason(ref, col, c, cuts.bound, what, name, table), c.excerpt)
    rejects = result.rejects.cast(REJECT_SCHEMA)
    fixed = []
    for row, _col, k in _marked(rejects.select("source_ref", "reason", "excerpt"), token):
        ref = str(rejects["source_ref"][row])
        c = cuts.found[k]
        fixed.append((row, cut_reason(ref, None, c, cuts.bound, what, name), c.excerpt))
    if fixed:
        reasons, excerpts = rejects["reason"].to_list(), rejects["excerpt"].to_list()
        for row, reason, excerpt in fixed:
            reasons[row], excerpts[row] = reason, excerpt
        rejects = rejects.with_columns(pl.Series("reason", reasons, pl.String), pl.Series("excerpt", excerpts, pl.String))
    if drop:
        keep = ~pl.int_range(pl.len(), dtype=pl.UInt32).is_in(pl.Series(sorted(set(drop)), dtype=pl.UInt32).implode())
        result.events = events.filter(keep)
    moved = pl.DataFrame({"source_id": [source_id] * len(new), "source_ref": list(new),
                          "reason": [v[0] for v in new.values()], "excerpt": [v[1] for v in new.values()]},
                         schema=REJECT_SCHEMA)
    result.rejects = pl.concat([rejects, moved])
    refs = pl.Series(list(new) + gone_extra, dtype=pl.String).implode()
    for table, frame in list(result.extra.items()):
        if frame.height == 0:
            continue
        marked = [r for r, _, _ in _marked(frame, token)]
        if "source_ref" in frame.columns:
            frame = frame.filter(~pl.col("source_ref").cast(pl.String).is_in(refs))
            marked = [r for r, _, _ in _marked(frame, token)]
        if marked:  # (a row of no record: left out)
            frame = frame.filter(~pl.int_range(pl.len(), dtype=pl.UInt32).is_in(pl.Series(marked, dtype=pl.UInt32).implode()))
        result.extra[table] = frame
    if result.evidence is not None and result.evidence.height:
        ev = result.evidence
        if "source_ref" in ev.columns:
            ev = ev.filter(~pl.col("source_ref").cast(pl.String).is_in(refs))
        marked = [r for r, _, _ in _marked(ev, token)]
        if marked:
            ev = ev.filter(~pl.int_range(pl.len(), dtype=pl.UInt32).is_in(pl.Series(marked, dtype=pl.UInt32).implode()))
            result.assumptions.append(f"{len(marked):,} identity fact(s) holding a value over the {cuts.bound:,}-byte "
                                      f"bound on one value of {what} left out (kept unchanged in the source file)")
        result.evidence = ev
    pattern = re.compile(re.escape(_MARK + token) + r"-\d+")
    result.assumptions = [pattern.sub("(a value over the bound, not read)", a) for a in result.assumptions]
    if result.owner and token in result.owner:
        result.owner = None
    return result


def cuts_long_json_values(what: str, bound: int = JSON_VALUE_BYTES) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a JSON parser's ``parse`` (and ``parse_plain``): while it runs, every JSON document read through
    :func:`cut` (``parsers._exports.read_bytes_text``, ``json_bytes``) has its strings over ``bound`` cut out,
    and afterwards each record that held one is a reject (:func:`take_cut_records`). Nothing cut: the
    result is the parse's own, untouched."""
    def wrap(parse: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(parse)
        def wrapper(path: Path, ctx: Any, *args: Any, **kwargs: Any) -> Any:
            with collecting(bound) as cuts:
                result = parse(path, ctx, *args, **kwargs)
            return take_cut_records(result, cuts, what, path.name, ctx.source_id)
        return wrapper
    return wrap
