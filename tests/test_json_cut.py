"""A JSON string over the bound is cut out of the file's bytes before the document is read (parsers/_json_cut.py).

Before (session 15): the per-value bound ran on the parser's tables, after ``json.loads`` or Polars had
built the whole document; a 50 MB message took a Telegram ingest to 0.75 GB, a Meta one whose sender was
50 MB to 1.4 GB. Here:

* which strings are cut, and which are left (escapes, bytes that are not UTF-8, raw control characters);
* a file with nothing to cut is handed on as the very same bytes (the fast path is the plain read);
* the marker cannot be a real value: its token is drawn after the file is read, and drawn again if the
  file holds it; a real value that looks like a marker is read as any other;
* in every JSON parser that reads a whole document, the record holding a cut string is one reject
  naming the file, the record, the field, the string's size and byte offset; every other record is
  read as before; ``parse`` equals ``parse_plain``; a long key is cut and read as before (never stored).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from parsers import _json_cut as C
from parsers._bounds import JSON_VALUE_BYTES
from tests import _hostile as H
from tests.test_json_value_bound import MODULES, TEXT_PARSERS, _a_stored_text, _parse, _replaced, seeds  # noqa: F401

B = JSON_VALUE_BYTES


def _doc(value: str, key: str = "text") -> bytes:
    return json.dumps({"a": [{"n": 1, key: "short"}, {"n": 2, key: value}, {"n": 3, key: "x"}]},
                      ensure_ascii=False).encode("utf-8")


def test_a_string_over_the_bound_is_found_exactly_and_one_at_the_bound_is_not() -> None:
    over = _doc("A" * (B + 1))
    start = over.index(b'"' + b"A" * 10)
    assert C.long_strings(over, B) == [(start, start + B + 3, False)]
    assert C.long_strings(_doc("A" * B), B) == []
    assert C.long_strings(_doc("é" * (B // 2 + 1)), B) != []  # bytes, not characters: 2 a character


def test_nothing_to_cut_hands_on_the_same_bytes_and_outside_a_parse_nothing_is_cut() -> None:
    normal = _doc("hello " * 50_000) * 8  # (3 MB, strings under the bound: not even looked at precisely)
    assert not C.suspect(normal, len(normal), B)
    with C.collecting() as cuts:
        assert C.cut(normal, "f.json") is normal
    assert cuts.found == []
    over = _doc("A" * (B + 1))
    assert C.cut(over, "f.json") is over  # no parse collecting cuts


def test_escapes_raw_control_characters_and_bytes_that_are_not_utf8_decide_what_is_cut() -> None:
    escaped = _doc("\n" * (B // 2 + 1))  # each written as 2 bytes: over the bound as written, under it as text
    assert C.long_strings(escaped, B) == []
    many = json.dumps({"t": '"' * (3 * B + 1)}).encode()  # 6 MiB+ of \" (no quote that ends a string in a window)
    [(start, end, esc)] = C.long_strings(many, B)
    assert esc and end - start - 2 == 2 * (3 * B + 1) and many[start] == 0x22
    control = b'{"t": "' + b"A" * B + b'\x01A"}'  # json.loads refuses the file, naming the place: left so
    assert C.long_strings(control, B) == []
    broken = b'{"t": "' + b"A" * B + b'\xffA"}'  # not UTF-8: the read's own error names the offset
    assert C.long_strings(broken, B) == []
    utf16 = '{"t": "{}"}'.replace("{}", "A" * B).encode("utf-16")  # not looked at: the tables' check
    assert C.long_strings(utf16, B) == []


def test_the_cut_document_is_valid_json_with_a_marker_in_the_strings_place() -> None:
    data = _doc("A" * (3 * B))
    with C.collecting() as cuts:
        got = C.cut(data, "dir/f.json")
    doc = json.loads(got)
    assert doc["a"][0]["text"] == "short" and doc["a"][2]["text"] == "x"
    assert doc["a"][1]["text"] == f"ATLAS-CUT-{cuts.token}-0"
    [c] = cuts.found
    assert (c.file, c.offset, c.size, c.escaped, c.excerpt) == ("f.json", data.index(b'"AAA'), 3 * B, False, "A" * 80)


def test_the_marker_token_is_drawn_again_if_the_file_holds_it(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = iter(["0" * 32, "1" * 32])
    monkeypatch.setattr(C.secrets, "token_hex", lambda n: next(tokens))
    data = json.dumps({"a": [{"text": "ATLAS-CUT-" + "0" * 32 + "-0"}, {"text": "A" * (B + 1)}]}).encode()
    with C.collecting() as cuts:
        got = json.loads(C.cut(data, "f.json"))
    assert cuts.token == "1" * 32
    assert got["a"] == [{"text": "ATLAS-CUT-" + "0" * 32 + "-0"}, {"text": f"ATLAS-CUT-{'1' * 32}-0"}]


def _meta(tmp_path: Path, messages: list[dict[str, Any]]) -> Path:
    path = tmp_path / "inbox" / "x_1" / "message_1.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"participants": [{"name": "Daniel Sample"}, {"name": "Margaret Example"}],
                                "messages": messages, "title": "Daniel Sample", "thread_path": "inbox/x_1"}),
                    encoding="utf-8")
    return path


def _msg(i: int, text: str, **more: Any) -> dict[str, Any]:
    return {"sender_name": "Daniel Sample", "timestamp_ms": 1_767_225_600_000 + i * 60_000, "content": text, **more}


@pytest.mark.parametrize("plain", [False, True])
def test_a_real_value_that_looks_like_a_marker_is_read_as_written_beside_a_cut_one(tmp_path: Path, plain: bool) -> None:
    lookalike = "ATLAS-CUT-" + "ab" * 16 + "-0"
    path = _meta(tmp_path, [_msg(0, lookalike), _msg(1, "A" * (B + 1)), _msg(2, "after")])
    got = _parse("meta-dyi-json", path, plain=plain)
    assert got.records_read == 3
    assert sorted(got.events.get_column("text").to_list()) == sorted([lookalike, "after"])
    [reason] = got.rejects.get_column("reason").to_list()
    offset = path.read_bytes().index(b'"' + b"A" * 80)
    assert reason.startswith(f"messages[1] of message_1.json: its text holds a value of {B + 1:,} bytes (at byte "
                             f"offset {offset:,}), over the {B:,}-byte bound on one value of a Messenger or Instagram "
                             "message: not stored"), reason


@pytest.mark.parametrize("plain", [False, True])
def test_a_reaction_over_the_bound_makes_its_message_one_reject_and_a_long_key_is_read_as_before(
        tmp_path: Path, plain: bool) -> None:
    long_key = {"K" * (B + 1): 1}
    path = _meta(tmp_path, [_msg(0, "first", **long_key),
                            _msg(1, "liked", reactions=[{"reaction": "R" * (B + 5), "actor": "Margaret Example"}]),
                            _msg(2, "after", reactions=[{"reaction": "+1", "actor": "Margaret Example"}])])
    got = _parse("meta-dyi-json", path, plain=plain)
    assert got.records_read == 3
    assert got.events.get_column("text").to_list() == ["first", "after"] or \
        sorted(got.events.get_column("text").to_list()) == ["after", "first"]
    [reason] = got.rejects.get_column("reason").to_list()
    assert reason.startswith(f"messages[1] of message_1.json: its reactions row's reaction holds a value of "
                             f"{B + 5:,} bytes (at byte offset "), reason
    for frame in got.extra.values():
        if "source_ref" in frame.columns:
            assert "messages[1]" not in frame.get_column("source_ref").cast(pl.String).to_list()


@pytest.mark.parametrize("key", TEXT_PARSERS)
def test_every_whole_document_parser_cuts_a_text_over_the_bound_and_parse_equals_parse_plain(
        key: str, seeds: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    seed = seeds[key]
    ref, text, _extra = _a_stored_text(key, seed)
    before = _parse(key, seed)
    path = _replaced(seed, text, "A" * (2 * B), tmp_path / seed.name)
    with C.collecting() as cuts:
        C.cut(path.read_bytes(), path)
    assert len(cuts.found) == 1
    got, plain = _parse(key, path), _parse(key, path, plain=True)
    assert got.records_read == before.records_read == got.events.height + got.rejects.height
    new = got.rejects.filter(pl.col("source_ref").cast(pl.String) == ref)
    assert new.height == 1
    assert f"holds a value of {2 * B:,} bytes (at byte offset {cuts.found[0].offset:,})" in new["reason"].item()
    assert got.events.equals(before.events.filter(pl.col("source_ref").cast(pl.String) != ref))
    assert plain.events.equals(got.events)
    assert plain.rejects.sort("source_ref").equals(got.rejects.sort("source_ref"))


def test_the_timeline_file_cuts_the_sweeps_big_string(seeds: dict[str, Path], tmp_path: Path,  # noqa: F811
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(H, "BIG_STRING", 2 * B)
    path = tmp_path / seeds["google-timeline-json"].name
    path.write_bytes(H._json_variant(seeds["google-timeline-json"], "big-string"))
    seed_read = _parse("google-timeline-json", seeds["google-timeline-json"]).records_read
    for plain in (False, True):
        got = _parse("google-timeline-json", path, plain=plain)
        assert got.records_read == seed_read
        assert got.rejects.filter(pl.col("reason").str.contains(f"holds a value of {2 * B:,} bytes (at byte offset ",
                                                                literal=True)).height == 1
