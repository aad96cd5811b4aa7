"""A UTF-16 JSON file has its strings over the bound cut as it is read, piece by piece (parsers/_json_utf16.py).

Before (session 17): a JSON file in UTF-16 was read whole, decoded whole and never looked at for the
per-value bound, so a 50 MB value cost the file, its text and the document; and a UTF-16 code unit half
of no surrogate pair was read as U+FFFD, a silent change of the record. Here:

* on random documents (strings over the bound, escapes, raw control characters, characters of 2 to 4
  bytes, lone surrogates, a string that never ends, an odd last byte), in both byte orders and at any
  piece size, the UTF-8 written and every cut (offset in the file, size, first characters, the unit half
  of no pair) equal the whole-file route's: decode it all, then cut as :mod:`parsers._json_cut` does;
* a file with nothing to cut reads as the same text as the old whole decode;
* in every whole-document JSON parser, the record holding a long string in a UTF-16 file is one reject
  naming the string's offset in the file, the record holding a lone surrogate is one reject naming the
  code unit, every other record is read as from the UTF-8 file, and ``parse`` equals ``parse_plain``;
* the memory held for a 24 MB value is a few pieces, not the value.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import polars as pl
import pytest

from parsers import _json_cut as C
from parsers._json_utf16 import utf16_json
from tests.test_json_cut_stream import _random_doc
from tests.test_json_value_bound import TEXT_PARSERS, _a_stored_text, _parse, _replaced, seeds  # noqa: F401

_CUT = re.compile(rb"ATLAS-CUT-[0-9a-f]{32}-(\d+)")


def _whole_route(data: bytes, bound: int) -> tuple[bytes, list[tuple[int, int, bool, str, int | None, int]]]:
    """The plain rule: the whole file decoded (an odd last byte left out, as the old read did), written as
    UTF-8, then every string over the bound (:func:`parsers._json_cut.every_long_string`) and every string
    holding a unit half of no pair (:func:`parsers._json_cut.not_utf8_strings`) cut, each offset the file's."""
    enc = "utf-16-le" if data[:2] == b"\xff\xfe" else "utf-16-be"
    text = data[2:len(data) - len(data) % 2].decode(enc, "surrogatepass")
    utf8 = text.encode("utf-8", "surrogatepass")
    offs: list[int] = []
    pos = 2
    for ch in text:
        offs.extend([pos] * len(ch.encode("utf-8", "surrogatepass")))
        pos += 2 if ord(ch) < 0x10000 else 4
    offs.append(pos)
    spans = {s: (s, e, x, b) for s, e, x, b in C.not_utf8_strings(utf8)}
    for s, e, x in C.every_long_string(utf8, bound):
        spans.setdefault(s, (s, e, x, -1))
    out, cuts, at = [], [], 0
    for s, e, x, b in (spans[k] for k in sorted(spans)):
        out.append(utf8[at:s])
        out.append(f'"<cut {len(cuts)}>"'.encode())
        head = utf8[s + 1:min(e - 1, b if b >= 0 else e - 1, s + 1 + 4 * C.EXCERPT_CHARS)]
        excerpt = head[:C.kept_prefix(head, len(head))].decode("utf-8", "replace")[:C.EXCERPT_CHARS]
        unit = ord(utf8[b:b + 3].decode("utf-8", "surrogatepass")[0]) if b >= 0 else 0
        cuts.append((offs[s], e - s - 2, x, excerpt, offs[b] if b >= 0 else None, unit))
        at = e
    out.append(utf8[at:])
    return b"".join(out), cuts


def _streamed_route(path: Path, bound: int, piece: int) -> tuple[bytes, list[tuple[int, int, bool, str, int | None, int]]]:
    with C.collecting(bound) as cuts:
        got = utf16_json(path, cuts, piece)
    assert got is not None
    order: list[int] = []

    def named(m: re.Match[bytes]) -> bytes:
        order.append(int(m.group(1)))
        return f"<cut {len(order) - 1}>".encode()

    text = _CUT.sub(named, got)
    found = [(c.offset, c.size, c.escaped, c.excerpt, c.not_utf8_at, c.not_utf8_byte) for c in
             (cuts.found[k] for k in order)]
    assert len(order) == len(cuts.found)  # (no cut recorded without its marker)
    return text, found


@pytest.mark.parametrize("seed", range(120))
def test_the_pieces_route_equals_the_whole_file_route_on_random_documents(seed: int, tmp_path: Path) -> None:
    rnd = random.Random(seed)
    bound = rnd.choice((8, 16, 33))
    doc = _random_doc(rnd, bound)
    for _ in range(rnd.randrange(3)):  # characters of 2, 3 and 4 bytes in UTF-8 (1 or 2 code units)
        doc = doc.replace(b"A", rnd.choice(("é", "€", "😀")).encode(), rnd.randrange(60))
    text = doc.decode("utf-8", "surrogateescape")  # (a byte 0xFF: the lone surrogate U+DCFF)
    bom, enc = rnd.choice(((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")))
    data = bom + text.encode(enc, "surrogatepass") + (b"\x00" if rnd.random() < 0.2 else b"")
    path = tmp_path / "d.json"
    path.write_bytes(data)
    whole = _whole_route(data, bound)
    for piece in (2, 4, 6, 14, 2 * bound, 64, 1 << 20):
        assert _streamed_route(path, bound, piece) == whole, piece


def test_a_file_with_nothing_to_cut_reads_as_the_old_whole_decode(tmp_path: Path) -> None:
    text = json.dumps({"m": [{"t": "hello é € 😀 " * 40, "n": i} for i in range(2000)]}, ensure_ascii=False)
    for bom, enc in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        path = tmp_path / f"{enc}.json"
        path.write_bytes(bom + text.encode(enc))
        with C.collecting() as cuts:
            assert utf16_json(path, cuts, 1 << 12) == text.encode("utf-8")
        assert cuts.found == []
    with C.collecting() as cuts:
        assert utf16_json(tmp_path / "plain.json", cuts) is None if (tmp_path / "plain.json").write_text(text) else False


UTF16_READERS = tuple(k for k in TEXT_PARSERS if k != "snapchat")
"""The text parsers that read a UTF-16 JSON file (Snapchat's looks for '{' as the file's first byte, and reads
a UTF-16 file as CSV: not one of them, before or after)."""


@pytest.mark.parametrize("key", UTF16_READERS)
def test_in_every_whole_document_parser_a_utf16_file_cuts_a_long_string_and_a_lone_surrogate_is_a_reject(
        key: str, seeds: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    seed = seeds[key]
    _ref, text, _extra = _a_stored_text(key, seed)
    long = _replaced(seed, text, "A" * (C.JSON_VALUE_BYTES + 1), tmp_path / "long" / seed.name)
    plain_utf8 = _parse(key, long)
    body = long.read_text(encoding="utf-8")
    utf16 = tmp_path / "u16" / seed.name
    utf16.parent.mkdir()
    utf16.write_bytes(b"\xff\xfe" + body.encode("utf-16-le"))
    for plain in (False, True):
        got = _parse(key, utf16, plain)
        new = got.rejects.filter(pl.col("reason").str.contains("-byte bound", literal=True))
        assert new.height == 1
        offset = utf16.read_bytes().index('"'.encode("utf-16-le") + "AAAA".encode("utf-16-le"))
        assert f"(at byte offset {offset:,})" in new.get_column("reason").item()
        assert got.events.equals(plain_utf8.events) and got.records_read == plain_utf8.records_read
    lone = tmp_path / "lone" / seed.name
    lone.parent.mkdir()
    short = body.replace("A" * (C.JSON_VALUE_BYTES + 1), "ab\ud800cd")
    lone.write_bytes(b"\xff\xfe" + short.encode("utf-16-le", "surrogatepass"))
    at = lone.read_bytes().index("\ud800".encode("utf-16-le", "surrogatepass"))
    results = [_parse(key, lone, plain) for plain in (False, True)]
    for got in results:
        new = got.rejects.filter(pl.col("reason").str.contains("not UTF-16 text", literal=True))
        assert new.height == 1 and new.get_column("excerpt").item() == "ab"
        assert f"code unit 0xD800 at byte offset {at:,} is half of no surrogate pair" in new.get_column("reason").item()
        for name, dtype in got.events.schema.items():
            if dtype == pl.String:
                assert got.events.filter(pl.col(name).str.contains("\ufffd", literal=True)).height == 0, name
    assert results[0].events.equals(results[1].events) and results[0].rejects.equals(results[1].rejects)


def test_a_long_value_in_a_utf16_file_is_never_held(tmp_path: Path) -> None:
    """Before: the file (48 MB), its text and the document were held; now a few pieces and the UTF-8 written."""
    import tracemalloc

    path = tmp_path / "big.json"
    path.write_bytes(b"\xff\xfe" + json.dumps({"a": [{"t": "x"}, {"t": "A" * (24 << 20)}]}).encode("utf-16-le"))
    tracemalloc.start()
    try:
        with C.collecting() as cuts:
            got = utf16_json(path, cuts)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got is not None and len(got) < 200 and len(cuts.found) == 1
    assert peak < 4 * C.PIECE, peak
