"""A JSON string holding bytes that are not UTF-8 makes its record one reject, on every JSON route (session 18).

Before: one such byte anywhere in a string refused the whole file ("not UTF-8 text (invalid byte at offset
N)"), and every other record of it was lost to the case; a long string holding one was not cut, so the
whole file was read and decoded first. The rule chosen (parsers/_json_cut.py, :func:`cut_not_utf8`): such a
string is no text, and no character may be guessed for it (a replacement character would silently change
the record), so it is cut out like a string over the bound and its record is one reject naming the
string's offset, the byte and the byte's offset; the record stays unchanged in the (hashed) source file.
Every other record is read exactly as before. A byte that is not UTF-8 outside the strings (the
document's structure) or a file cut inside a character is still the file's own error.
"""

from __future__ import annotations

import io
import random
import re
from pathlib import Path

import polars as pl
import pytest

from atlas.errors import FormatError
from parsers import _json_cut as C
from parsers._bounds import JSON_VALUE_BYTES
from tests.test_json_cut_stream import _random_doc
from tests.test_json_value_bound import MODULES, TEXT_PARSERS, _a_stored_text, _parse, _replaced, seeds  # noqa: F401

B = JSON_VALUE_BYTES


def _with_bad_byte(key: str, seed: Path, size: int, out: Path) -> tuple[Path, int, int]:
    """``seed`` with one record's string made ``size`` bytes holding byte 0xFF at its 4th byte:
    (the file, the string's opening quote's offset, the bad byte's offset)."""
    if key in TEXT_PARSERS:
        _ref, text, _extra = _a_stored_text(key, seed)
        path = _replaced(seed, text, "Q" * size, out)
        data = path.read_bytes()
        start = data.index(b'"' + b"Q" * size + b'"')
    else:  # (no stored text: a string value of a record a third of the way in)
        data = seed.read_bytes()
        strings = list(re.finditer(rb'": "([A-Za-z0-9_]{6,})"', data))
        m = strings[len(strings) // 3]
        data = data[:m.start(1)] + b"Q" * size + data[m.end(1):]
        start = m.start(1) - 1
        out.parent.mkdir(parents=True, exist_ok=True)
        path = out
    data = data[:start + 4] + b"\xff" + data[start + 5:]
    path.write_bytes(data)
    return path, start, start + 4


@pytest.mark.parametrize("plain", [False, True])
@pytest.mark.parametrize("size", [10, B + 10])
@pytest.mark.parametrize("key", sorted(MODULES))
def test_a_string_that_is_not_utf8_is_one_reject_naming_the_byte_and_the_rest_is_read(
        key: str, size: int, plain: bool, seeds: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    seed = seeds[key]
    before = _parse(key, seed, plain)
    path, start, at = _with_bad_byte(key, seed, size, tmp_path / key / seed.name)
    got = _parse(key, path, plain)
    assert got.records_read == before.records_read == got.events.height + got.rejects.height
    new = got.rejects.filter(pl.col("reason").str.contains("that is not UTF-8 text", literal=True))
    assert new.height == 1 and got.rejects.height == before.rejects.height + 1
    ref = new.get_column("source_ref").item()
    reason = new.get_column("reason").item()
    assert reason.startswith(f"{ref} of {seed.name}: ")
    assert (f"holds a string of {size:,} bytes (at byte offset {start:,}) that is not UTF-8 text: byte 0xFF at byte "
            f"offset {at:,} is no part of a character; not read (no character is guessed for it); the record is kept "
            "unchanged in the source file") in reason
    assert new.get_column("excerpt").item() == "QQQ"  # (the string's text before the byte: nothing guessed)
    # every other record read as before: the same places, and no replacement character anywhere
    assert set(before.events["source_ref"].cast(pl.String)) - {ref} == set(got.events["source_ref"].cast(pl.String))
    for name, dtype in got.events.schema.items():
        if dtype == pl.String:
            assert got.events.filter(pl.col(name).str.contains("\ufffd", literal=True)).height == 0, name
    assert all(C._MARK not in r for r in got.rejects["reason"].to_list() + got.rejects["excerpt"].fill_null("").to_list())


@pytest.mark.parametrize("key", ["telegram-json", "google-records-json", "google-timeline-json"])
def test_a_byte_that_is_not_utf8_outside_the_strings_or_a_file_cut_inside_a_character_is_still_the_files_error(
        key: str, seeds: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    seed = seeds[key]
    data = seed.read_bytes()
    at = data.index(b"\n", len(data) // 2)  # (white space between values: no string)
    outside = tmp_path / "outside" / seed.name
    outside.parent.mkdir()
    outside.write_bytes(data[:at] + b"\xff" + data[at + 1:])
    with pytest.raises(FormatError) as exc:
        _parse(key, outside)
    assert str(outside) in str(exc.value)  # (the file and the place, as before)
    cut = tmp_path / "cut" / seed.name
    cut.parent.mkdir()
    cut.write_bytes(data.rstrip() + b"\xe2\x82")
    with pytest.raises(FormatError):
        _parse(key, cut)


def test_only_strings_holding_such_bytes_are_found_each_with_its_first_bad_byte() -> None:
    doc = b'["ok", "a\xffb\xfe", "\xc3\xa9", "\xe2\x82", "x\\"\xc0\\\\", 5, "\xf0\x9f\x98\x80"]'
    found = C.not_utf8_strings(doc)
    assert [(doc[s:e], doc[b]) for s, e, _x, b in found] == [
        (b'"a\xffb\xfe"', 0xFF), (b'"\xe2\x82"', 0xE2), (b'"x\\"\xc0\\\\"', 0xC0)]
    assert C.not_utf8_strings(b'["\xc3\xa9"]') == [] and C.bad_bytes("é😀".encode()) == []


@pytest.mark.parametrize("seed", range(300))
def test_the_streamed_look_finds_what_cut_not_utf8_finds_in_the_whole_bytes(seed: int) -> None:
    """The streamed error path (Records.json) and the whole bytes' rule (:func:`parsers._json_cut.cut_not_utf8`):
    the same strings, the same first bad byte, on random documents (bytes 0xFF and 0x01 in strings, escapes,
    strings over the bound, one that never ends), whatever the piece size."""
    rnd = random.Random(seed)
    bound = rnd.choice((8, 16, 33))
    doc = _random_doc(rnd, bound)
    if rnd.random() < 0.5:  # (a character split at random places by the pieces, and broken ones)
        doc = doc.replace(b"A", rnd.choice(("é".encode(), "😀".encode(), b"\xe2\x82", b"A")), rnd.randrange(40))
    spans = {s: (s, e, x, b) for s, e, x, b in C.not_utf8_strings(doc)}
    for s, e, x in C.every_long_string(doc, bound):
        spans.setdefault(s, (s, e, x, -1))
    whole = [spans[k] for k in sorted(spans)]
    for piece in (1, 2, 3, 7, bound, 64, 1 << 20):
        got = C.streamed_not_utf8_strings(io.BytesIO(doc).read, bound, piece)
        assert [(s, e, x, b) for s, e, x, _h, _f, b in got] == whole, piece


def test_a_record_holding_such_a_string_and_one_over_the_bound_elsewhere_each_name_their_own_offset(
        tmp_path: Path) -> None:
    """The file is read again for the error path: the offsets are the file's, not the bytes' already cut."""
    path = tmp_path / "data" / "direct-messages.js"
    path.parent.mkdir()
    from tests.test_json_cut_stream import _dm_file

    _dm_file(path, [("1000000001", "2000000002"), ("3000000003", "1000000001"), ("1000000001", "4000000004")])
    data = path.read_bytes()
    data = data.replace(b"hello 0", b"A" * (B + 5), 1).replace(b"hello 2", b"he\xffo 2", 1)
    path.write_bytes(data)
    bad = data.index(b"\xff")
    from parsers import x_archive
    from parsers.base import ParseContext

    for parse in (x_archive.parse, x_archive.parse_plain):
        got = parse(path, ParseContext(source_id="s1", path=path))
        reasons = sorted(got.rejects["reason"].to_list())
        assert len(reasons) == 2 and got.events.height == 1
        assert f"a value of {B + 5:,} bytes (at byte offset {data.index(b'AAAA') - 1:,})" in reasons[0]
        assert f"byte 0xFF at byte offset {bad:,}" in reasons[1]


def test_a_key_holding_such_bytes_is_not_cut_and_stays_the_files_error(tmp_path: Path) -> None:
    """A key's marker would be a key no parser reads: the value under it would be silently left out of its
    record (found in session 18: a message whose key "text" held 0xFF was read with no text). So a key is
    never cut for such bytes, and the file's own error stands, as before."""
    assert C.not_utf8_strings(b'{"a\xff" : "b\xff", "c\xfe":1}') == [(8, 12, False, 10)]
    from parsers import x_archive
    from parsers.base import ParseContext
    from tests.test_json_cut_stream import _dm_file

    path = tmp_path / "data" / "direct-messages.js"
    path.parent.mkdir()
    _dm_file(path, [("1000000001", "2000000002"), ("3000000003", "1000000001")])
    path.write_bytes(path.read_bytes().replace(b'"text": "hello 1"', b'"te\xffxt": "hello 1"'))
    for parse in (x_archive.parse, x_archive.parse_plain):
        with pytest.raises(FormatError, match="not UTF-8 text"):
            parse(path, ParseContext(source_id="s1", path=path))


def test_records_json_a_key_holding_such_bytes_stays_the_files_error(seeds: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    seed = seeds["google-records-json"]
    data = seed.read_bytes()
    at = data.index(b'"accuracy"', len(data) // 3)
    path = tmp_path / seed.name
    path.write_bytes(data[:at + 3] + b"\xff" + data[at + 4:])
    for plain in (False, True):
        with pytest.raises(FormatError, match="JSON error after"):
            _parse("google-records-json", path, plain)
