"""A JSON file in UTF-16 (with its byte-order mark) read as UTF-8 piece by piece, its strings over the bound cut.

Why: a JSON file re-saved as "Unicode" (UTF-16) was read whole and decoded whole, and its strings were
never looked at for the per-value bound (:mod:`parsers._json_cut` looked at UTF-8 only): a 50 MB value
cost the file's bytes, its whole text and the document, unbounded by the bound. Here the file is read
in pieces (:data:`parsers._json_cut.PIECE`), each decoded and written as UTF-8, and a string is
followed as it is written: one over the bound (:func:`parsers._json_cut.text_floor`, the same rule as
for UTF-8) is dropped as it goes and written as its marker, so nothing holds it beyond a piece. Every
JSON route then reads the UTF-8 bytes as it reads a UTF-8 file.

**The same text as before**, where nothing is cut: the old read decoded the whole file after its mark
(an odd last byte left out); so does this, piece by piece. Except: a UTF-16 code unit that is half of no
surrogate pair was read as U+FFFD, a silent change of the record (session 18). It is now written as the
code unit itself (``surrogatepass``), which is no UTF-8, so its string is cut as any string holding
bytes that are not UTF-8 and its record is one reject naming the code unit and its byte offset in the
file (:func:`parsers._json_cut.cut_not_utf8`'s rule).

**Offsets are the file's.** A cut string's offset is its opening quote's byte offset in the UTF-16 file:
each piece's text starts at a known file offset (the bytes fed to the decoder less those it holds back),
and within it each UTF-8 character is one UTF-16 code unit of 2 bytes, or two for one of 4 bytes.
"""

from __future__ import annotations

import codecs
import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from parsers._bounds import EXCERPT_CHARS, kept_prefix
from parsers._json_cut import (
    _CONTROL,
    PIECE,
    Cut,
    Cuts,
    _body_end,
    bad_bytes,
    every_long_string,
    not_utf8_strings,
    suspect,
    text_floor,
)

BOMS: Final = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
_CONTINUATION: Final = bytes(range(0x80, 0xC0))
_FOUR: Final = bytes(range(0xF0, 0xF8))
_QUOTE: Final = 0x22


def units(data: bytes | bytearray | memoryview) -> int:
    """UTF-16 code units of the UTF-8 (or ``surrogatepass``) bytes ``data``: one a character, two for one
    written in 4 bytes."""
    data = bytes(data)
    starts = len(data.translate(None, _CONTINUATION))
    return starts + (len(data) - len(data.translate(None, _FOUR)))


@dataclass
class _Places:
    """File offsets of positions in the UTF-8 written: ``anchors`` (position written, file offset), each
    followed by bytes written one for one from the file up to the next anchor (a marker starts a new one)."""

    out: bytearray
    anchors: list[tuple[int, int]] = field(default_factory=list)

    def file_offset(self, pos: int) -> int:
        at, off = next((a, o) for a, o in reversed(self.anchors) if a <= pos)
        return off + 2 * units(self.out[at:pos])


def utf16_json(path: Path, cuts: Cuts, piece: int = PIECE) -> bytes | None:
    """The UTF-16 JSON file ``path`` (a byte-order mark first) as UTF-8 bytes with no mark, each string over
    ``cuts.bound`` written as its marker (recorded in ``cuts``, its offset the file's), and then each string
    holding a code unit that is half of no pair (bytes that are not UTF-8, here) written as its marker too;
    None where the file has no UTF-16 mark. Holds the UTF-8 written and one piece, never a string over the
    bound. A string over the bound whose escapes could bring its text under it, or holding a raw control
    character (so the file's own error or the tables' check stands, as for UTF-8), is only known at its
    end, its bytes gone by then: for such a file the whole is written again, nothing cut (the old cost)."""
    with path.open("rb") as fh:
        mark = fh.read(2)
        if mark not in BOMS:
            return None
        before = len(cuts.found)
        out = _utf16_cut(fh, BOMS[mark], cuts, path.name, piece)
        whole = out is None
        if out is None:
            del cuts.found[before:]
            fh.seek(2)
            out = _Places(bytearray())
            out.anchors.append((0, 2))
            decoder = codecs.getincrementaldecoder(BOMS[mark])("surrogatepass")
            while data := fh.read(piece):
                out.out += decoder.decode(_even(data, fh), final=False).encode("utf-8", "surrogatepass")
    return _cut_whole(out, cuts, path.name, long=whole)


def _even(piece: bytes, fh: Any) -> bytes:
    """``piece`` less an odd last byte at the file's end (the old read left it out: ``len(data) % 2``)."""
    if len(piece) % 2 and not fh.peek(1):
        return piece[:-1]
    return piece


@dataclass
class _Follow:
    """A string over the bound being followed to its end, its bytes not kept: its opening quote's file offset,
    its bytes so far, backslashes, first bytes, whether the next byte is escaped, and its first code unit that
    is half of no pair (file offset, unit) if any."""

    offset: int
    size: int
    backslashes: int
    head: bytes
    skip: int
    control: bool
    bad: tuple[int, int] | None


def _first_bad(data: bytes | bytearray, file_at: Callable[[int], int]) -> tuple[int, int] | None:
    """The first code unit half of no pair in ``data`` (UTF-8 written with ``surrogatepass``), as (its file
    offset, the unit), ``file_at`` giving a position's file offset; None where there is none."""
    found = bad_bytes(bytes(data))
    if not found:
        return None
    at = found[0]
    unit = ord(bytes(data[at:at + 3]).decode("utf-8", "surrogatepass")[0]) if data[at] == 0xED else data[at]
    return file_at(at), unit


def _in_text(text: bytes, start: int, at: int) -> int:
    """The file offset of ``text[at]``, ``text`` a piece written whose first character is at ``start``."""
    return start + 2 * units(text[:at])


def _in_places(places: _Places, base: int, at: int) -> int:
    """The file offset of the byte written at ``base + at``."""
    return places.file_offset(base + at)


def _utf16_cut(fh: Any, encoding: str, cuts: Cuts, name: str, step: int) -> _Places | None:
    """:func:`utf16_json`'s one pass: the UTF-8 written with its strings over the bound cut (and those of them
    holding a code unit half of no pair), or None if a string was dropped that must not be cut (its escapes
    could bring it under the bound, or a raw control character)."""
    decoder = codecs.getincrementaldecoder(encoding)("surrogatepass")
    places = _Places(bytearray())
    out = places.out
    bound = cuts.bound
    want = 4 * EXCERPT_CHARS
    fed = 2  # file bytes given to the decoder so far (its mark first)
    scan = 0  # where the look outside strings goes on in ``out``
    token = cuts.token.encode("ascii")
    follow: _Follow | None = None
    window = max(bound // 2, 1)
    checked = 0  # windows of ``out`` before this looked at (:func:`parsers._json_cut.suspect`), none inside one
    precise = False  # every string followed (from the first window that may lie inside one over the bound)
    while True:
        piece = _even(fh.read(step), fh)
        if not piece:
            break
        held = len(decoder.getstate()[0])
        text = decoder.decode(piece, final=False).encode("utf-8", "surrogatepass")
        start_off = fed - held  # the file offset of ``text``'s first character
        fed += len(piece)
        if token in text:  # (never, by chance 2^-128: but then another token, and the file read again)
            cuts.token = secrets.token_hex(16)
            return None
        seg = 0
        if follow is not None:
            k = _body_end(text, min(follow.skip, len(text)))
            closed = k < len(text) and text[k] == _QUOTE
            body = k if closed else len(text)
            if len(follow.head) < want:
                follow.head += text[:min(body, want - len(follow.head))]
            follow.backslashes += text.count(b"\\", 0, body)
            follow.size += body
            follow.control = follow.control or _CONTROL.search(text, 0, body) is not None
            if follow.bad is None:
                follow.bad = _first_bad(text[:body], functools.partial(_in_text, text, start_off))
            if not closed:
                follow.skip = 1 if k == len(text) - 1 else 0
                continue
            if follow.bad is None and (follow.control or text_floor(follow.size, follow.backslashes) <= bound):
                return None
            _record(cuts, name, follow)
            out += cuts.marker(len(cuts.found) - 1)
            places.anchors.append((len(out), start_off + 2 * units(text[:k + 1])))
            scan = len(out)
            seg = k + 1
            follow = None
        else:
            places.anchors.append((len(out), start_off))
        out += memoryview(text)[seg:]
        if not precise:  # (the quick look: a string over the bound holds a whole window with no quote that ends it)
            if not suspect(out, len(out), bound, checked):
                checked += (max(len(out) - checked, 0) // window) * window
                continue
            precise, scan = True, 0  # (from the start: no string was followed so far, and nothing was cut)
        while True:
            j = out.find(b'"', scan)
            if j < 0:
                scan = len(out)
                break
            k = _body_end(out, j + 1)
            if k < len(out) and out[k] == _QUOTE:  # closed
                size = k - j - 1
                if size > bound:
                    backslashes = out.count(b"\\", j + 1, k)
                    if text_floor(size, backslashes) > bound and _CONTROL.search(out, j + 1, k) is None \
                            and not bad_bytes(bytes(out[j + 1:k])):
                        offset = places.file_offset(j)
                        end_off = offset + 2 * units(out[j:k + 1])
                        _record(cuts, name, _Follow(offset, size, backslashes, bytes(out[j + 1:min(k, j + 1 + want)]), 0,
                                                    False, None))
                        marker = cuts.marker(len(cuts.found) - 1)
                        _drop_after(places, j)
                        out[j:k + 1] = marker
                        places.anchors.append((j + len(marker), end_off))
                        scan = j + len(marker)
                        continue
                scan = k + 1
                continue
            if len(out) - j - 1 > bound:  # open and already over the bound: followed, its bytes dropped
                rest = bytes(out[j + 1:])
                follow = _Follow(places.file_offset(j), len(rest), rest.count(b"\\"), rest[:want],
                                 1 if k == len(out) - 1 else 0, _CONTROL.search(rest) is not None,
                                 _first_bad(rest, functools.partial(_in_places, places, j + 1)))
                _drop_after(places, j)
                del out[j:]
                scan = len(out)
            else:
                scan = j  # (open, under the bound so far: looked at again with the next piece)
            break
    if follow is not None:  # a string that never ends: not cut; the file's own error (read whole)
        return None
    return places


def _drop_after(places: _Places, pos: int) -> None:
    """Anchors past ``pos`` left out (the bytes from ``pos`` on are replaced)."""
    while places.anchors and places.anchors[-1][0] > pos:
        places.anchors.pop()


def _record(cuts: Cuts, name: str, f: _Follow) -> None:
    """A cut string in ``cuts.found`` (its marker ``cuts.marker(len(cuts.found) - 1)``): over the bound, or
    holding a code unit half of no pair (``f.bad``)."""
    head = f.head
    if f.bad is not None:  # (the excerpt stops at the unit)
        cut_at = bad_bytes(head)
        head = head[:cut_at[0]] if cut_at else head
    excerpt = head[:kept_prefix(head, len(head))].decode("utf-8", errors="replace")[:EXCERPT_CHARS]
    floor = text_floor(f.size, f.backslashes) if f.backslashes else f.size
    cuts.found.append(Cut(name, f.offset, f.size, f.backslashes > 0, excerpt, floor,
                          None if f.bad is None else f.bad[0], 0 if f.bad is None else f.bad[1],
                          utf16=f.bad is not None))


def _cut_whole(places: _Places, cuts: Cuts, name: str, long: bool) -> bytes:
    """The UTF-8 written, each string holding a code unit that is half of no pair cut (its record a reject naming
    the code unit and its file offset), and with ``long`` each string over the bound too (the whole file written
    again: :mod:`parsers._json_cut`'s rule on the whole bytes); the bytes unchanged where there is none."""
    out = places.out
    spans = {s[0]: s for s in (not_utf8_strings(out) if bad_bytes(out) else [])}
    if long and len(out) > cuts.bound:
        for start, end, escaped in every_long_string(out, cuts.bound):
            spans.setdefault(start, (start, end, escaped, -1))
    if not spans:
        return bytes(out)
    pieces = []
    pos = 0
    for start, end, escaped, bad in (spans[k] for k in sorted(spans)):
        pieces.append(bytes(out[pos:start]))
        pieces.append(cuts.marker(len(cuts.found)))
        head = bytes(out[start + 1:min(bad if bad >= 0 else end - 1, start + 1 + 4 * EXCERPT_CHARS)])
        excerpt = head[:kept_prefix(head, len(head))].decode("utf-8", errors="replace")[:EXCERPT_CHARS]
        size = end - start - 2
        backslashes = out.count(b"\\", start + 1, end - 1)
        first = _first_bad(out[bad:end], functools.partial(_in_places, places, bad)) if bad >= 0 else None
        cuts.found.append(Cut(name, places.file_offset(start), size, escaped, excerpt,
                              text_floor(size, backslashes) if escaped else size,
                              None if first is None else first[0], 0 if first is None else first[1],
                              utf16=first is not None))
        pos = end
    pieces.append(bytes(out[pos:]))
    return b"".join(pieces)
