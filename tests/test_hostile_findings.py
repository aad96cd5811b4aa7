"""What the out-of-process hostile sweep (tests/test_hostile_structure.py) found, held in process:
each a small input and the behaviour now required of it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from atlas.errors import FormatError
from parsers import google_records_json, meta_dyi_html, snapchat, telegram_json
from parsers._nesting import json_nesting
from parsers._phone_db import typedstream_text
from parsers.base import ParseContext
from tests._hostile import meta_html_page


def test_nesting_is_found_with_its_place_and_strings_are_not_counted() -> None:
    data = b'{"a": "[[[[[[",\n "b": ' + b"[" * 600 + b"]" * 600 + b"}"
    assert json_nesting(data) == (601, 2, 506)  # the 501st level (the 500th '[') opens at line 2, column 506
    assert json_nesting(b'{"a": "' + b"[" * 900 + b'"}') is None
    assert json_nesting(b'["\\"' + b"[" * 900 + b'"]') is None  # an escaped quote does not end the string


def test_json_nested_past_pythons_limit_is_one_line_naming_file_and_place(tmp_path: Path) -> None:
    """Before: the catch-all boundary's "parser failed ... RecursionError (at parsers/_exports.py)"."""
    path = tmp_path / "result.json"
    path.write_text('{"name": "x", "messages": [{"id": 1, "zz": ' + "[" * 3000 + "]" * 3000 + "}]}", encoding="utf-8")
    with pytest.raises(FormatError) as err:
        telegram_json.parse_plain(path, ParseContext(source_id="s", path=path))  # the route reads round it
    text = str(err.value)
    assert text.startswith(f"{path}: ") and "nested 3,003 levels deep" in text and "line 1, column" in text
    assert "RecursionError" not in text and "parser failed" not in text


def test_meta_html_nested_past_libxml2s_depth_is_refused_not_silently_cut(tmp_path: Path) -> None:
    """Before: libxml2 stopped the tree at 256 levels and only logged it: 2 of 3 messages, exit 0."""
    path = tmp_path / "message_1.html"
    path.write_text(meta_html_page(in_box="<div>" * 300 + "x" + "</div>" * 300), encoding="utf-8")
    assert meta_dyi_html.parse(path, ParseContext(source_id="s", path=path)).records_read == 3  # huge_tree: read whole
    path.write_text(meta_html_page(in_box="<div>" * 3000 + "x" + "</div>" * 3000), encoding="utf-8")
    with pytest.raises(FormatError, match=r"nested deeper than libxml2 reads .*line 1, column \d+"):
        meta_dyi_html.parse(path, ParseContext(source_id="s", path=path))


def test_snapchat_record_with_many_keys_goes_to_the_walk_and_keeps_every_record(tmp_path: Path) -> None:
    """Before: the inferred route checked its proof once per key: 200,000 keys ran past five minutes."""
    records = [{"From": "a", "Media Type": "TEXT", "Created": f"2026-01-0{i + 1} 10:00:00 UTC", "Content": f"m{i}",
                "Conversation Title": None, "IsSender": i == 0, "Created(microseconds)": 1_767_261_600_000_000}
               for i in range(3)]
    records[1] |= {f"k{i}": i for i in range(5_000)}
    path = tmp_path / "chat_history.json"
    path.write_text(json.dumps({"b": records}), encoding="utf-8")
    ctx = ParseContext(source_id="s", path=path)
    fast, plain = snapchat.parse(path, ctx), snapchat.parse_plain(path, ctx)
    assert fast.records_read == plain.records_read == 3
    assert fast.events.equals(plain.events)


def test_an_attributed_body_holding_text_is_not_a_type_error() -> None:
    """Before: a text in the BLOB column ``attributedBody`` raised TypeError (the catch-all caught it)."""
    assert typedstream_text("A" * 100) is None
    archive = b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject" \
              b"\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+\x05hello\x86"
    assert typedstream_text(archive) == typedstream_text(archive.decode("latin-1").encode("latin-1"))


def test_a_rust_panic_inside_a_parser_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """Before: Polars' PanicException (a BaseException) passed the boundary's ``except Exception`` and the
    CLI's, and ``atlas ingest`` printed a traceback (found: a Meta JSON record with 200,000 keys whose
    layout Polars could not allocate under the runner's 3 GB limit)."""
    from types import SimpleNamespace

    from polars.exceptions import PanicException

    from parsers.conformance import guarded_parse

    def parse(path: Path, ctx: ParseContext) -> None:
        raise PanicException("called `Result::unwrap()` on an `Err` value")

    info = SimpleNamespace(name="boom", version="1.0.0")
    path = tmp_path / "x.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(FormatError, match=r"x\.json: boom 1\.0\.0 parser failed while reading the file: PanicException"):
        guarded_parse(SimpleNamespace(INFO=info, parse=parse), path, ParseContext(source_id="s", path=path))  # type: ignore[arg-type]


def _records_file(n: int) -> list[dict[str, object]]:
    return [
        {"latitudeE7": 515074000 + i, "longitudeE7": -1278000, "accuracy": 16, "source": "WIFI",
         "timestamp": f"2026-03-01T10:00:{i % 60:02d}.123Z"} for i in range(n)]


def _write_records(path: Path, recs: list[dict[str, object]], holes: dict[str, str], *, top: str = "",
                   encoding: str = "utf-8") -> None:
    text = json.dumps({"locations": recs})
    if top:
        text = text[:-1] + f', "zz": {top}}}'
    for key, raw in holes.items():
        text = text.replace(json.dumps(key), raw)
    path.write_text(text, encoding=encoding)


@pytest.mark.parametrize(("where", "depth"), [
    ("timestamp", 3_000), ("latitudeE7", 30_000), ("zzUnread", 200_000), ("top", 200_000), ("document", 200_000),
    ("utf-16", 3_000)])
def test_records_json_nested_deep_is_refused_naming_file_and_place(tmp_path: Path, where: str, depth: int) -> None:
    """Before: 3,000 levels in a field read ran for minutes in Polars' from_dicts, 30,000 segfaulted,
    200,000 anywhere took ijson past 3 GB. Now refused before ijson descends, by both routes."""
    path = tmp_path / "Records.json"
    deep = "[" * depth + "]" * depth
    recs = _records_file(12_000)
    if where == "document":
        path.write_text(deep, encoding="utf-8")
    elif where == "top":
        _write_records(path, recs, {}, top='{"a":' * depth + "1" + "}" * depth)
    else:
        recs[6_000]["zzUnread" if where == "zzUnread" else "timestamp" if where == "utf-16" else where] = "@@DEEP@@"
        _write_records(path, recs, {"@@DEEP@@": deep}, encoding="utf-16" if where == "utf-16" else "utf-8")
    ctx = ParseContext(source_id="s", path=path)
    for route in (google_records_json.parse, google_records_json.parse_plain):
        with pytest.raises(FormatError) as err:
            route(path, ctx)
        text = str(err.value)
        assert text.startswith(f"{path}: a value nested {depth + (0 if where == 'document' else 1 if where == 'top' else 3):,}"
                               " levels deep (deeper than 500 from line 1, column "), text
        assert "nothing from this file was stored" in text


def test_records_json_brackets_in_strings_are_not_nesting(tmp_path: Path) -> None:
    """The cheap bound counts brackets in strings too: the exact scan then reads the file as usual."""
    path = tmp_path / "Records.json"
    recs = _records_file(3)
    recs[1]["source"] = "[" * 900
    recs[2]["note"] = "{" * 900
    _write_records(path, recs, {})
    ctx = ParseContext(source_id="s", path=path)
    fast, plain = google_records_json.parse(path, ctx), google_records_json.parse_plain(path, ctx)
    assert fast.records_read == plain.records_read == 3 and fast.events.height == 3
    assert fast.events.equals(plain.events)
    assert fast.events.get_column("text").to_list()[1] == "source " + "[" * 900


def test_records_json_lists_nested_just_short_of_the_limit_in_read_fields_are_prompt_rejects(tmp_path: Path) -> None:
    """Before: Polars took 6.4 s to refuse one list 499 deep, once for the batch and again for each
    record's field: minutes for a few records. Now each is a reject naming the field, at once."""
    path = tmp_path / "Records.json"
    recs = _records_file(12_000)
    for k in range(0, 12_000, 1_000):
        recs[k]["latitudeE7" if k % 2000 else "timestamp"] = "@@DEEP@@"
    _write_records(path, recs, {"@@DEEP@@": "[" * 497 + "]" * 497})
    ctx = ParseContext(source_id="s", path=path)
    started = time.monotonic()
    fast, plain = google_records_json.parse(path, ctx), google_records_json.parse_plain(path, ctx)
    assert time.monotonic() - started < 20  # before: 12 lists x 2 routes x 6.4 s and more
    for got in (fast, plain):
        assert got.records_read == 12_000 and got.events.height == 12_000 - 12
        reasons = dict(zip(got.rejects.get_column("source_ref"), got.rejects.get_column("reason"), strict=True))
        assert sorted(reasons) == sorted(f"locations[{k}]" for k in range(0, 12_000, 1_000))
        assert reasons["locations[1000]"].startswith("latitudeE7 not readable as a number: [[[")
        assert reasons["locations[2000]"].startswith("timestamp not readable as a text: [[[")
    assert fast.events.equals(plain.events)


def test_many_different_keys_go_to_the_walk_before_polars_infers_a_layout(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: 1,000,000 keys in one record made Polars' inference abort the process under 3 GB (a Rust
    abort: no ``except`` catches it). Many records with the same few keys still take the inferred route."""
    from parsers import _json_tally as tally
    from parsers import meta_dyi_json
    from parsers._bounds import INFERRED_KEYS

    tally.few_keys(json.dumps({"b": [{"a": i, "c": "x\":"} for i in range(5 * INFERRED_KEYS)]}).encode())
    tally.few_keys(json.dumps({f"k{i}": i for i in range(INFERRED_KEYS)}).encode())
    with pytest.raises(tally.NotFast, match="different keys"):
        tally.few_keys(json.dumps({f"k{i}": i for i in range(INFERRED_KEYS + 1)}).encode())
    with pytest.raises(tally.NotFast, match="different keys"):  # spaced, escaped: still names
        tally.few_keys(json.dumps({f"k\\\"{i}": i for i in range(INFERRED_KEYS + 1)}, indent=1).encode())
    with pytest.raises(tally.NotFast, match="different keys"):  # a space before the colon
        tally.few_keys(json.dumps({f"k{i}": i for i in range(INFERRED_KEYS + 1)}, separators=(",", " : ")).encode())
    # Messenger: a message with many keys is read by the plain rule, every message kept
    doc = {"participants": [{"name": "A"}, {"name": "B"}], "title": "A", "thread_path": "inbox/a_1",
           "messages": [{"sender_name": "A", "timestamp_ms": 1_767_261_600_000 + i, "content": f"m{i}"} for i in range(3)]}
    doc["messages"][1] |= {f"k{i}": i for i in range(INFERRED_KEYS + 1)}  # type: ignore[operator]
    path = tmp_path / "message_1.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    refused: list[int] = []
    few = tally.few_keys

    def spy(data: bytes) -> None:
        try:
            few(data)
        except tally.NotFast:
            refused.append(len(data))
            raise

    monkeypatch.setattr(meta_dyi_json, "few_keys", spy)
    ctx = ParseContext(source_id="s", path=path)
    assert meta_dyi_json._fast_thread(path, ctx) is None
    assert refused == [path.stat().st_size]  # refused before Polars inferred anything
    assert meta_dyi_json.parse(path, ctx).records_read == 3
    # Snapchat: the same, on its inferred route (a record with keys the declared layout lacks)
    records = [{"From": "a", "Media Type": "TEXT", "Created": f"2026-01-0{i + 1} 10:00:00 UTC", "Content": f"m{i}",
                "Conversation Title": None, "IsSender": i == 0, "Created(microseconds)": 1_767_261_600_000_000}
               for i in range(3)]
    records[2] |= {f"k{i}": i for i in range(INFERRED_KEYS + 1)}
    path = tmp_path / "chat_history.json"
    path.write_text(json.dumps({"b": records}), encoding="utf-8")
    refused.clear()
    monkeypatch.setattr(tally, "few_keys", spy)
    ctx = ParseContext(source_id="s", path=path)
    assert snapchat.parse(path, ctx).records_read == 3
    assert refused == [path.stat().st_size]
