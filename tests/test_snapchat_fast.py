"""Snapchat chat_history.json: the fast path (Polars' JSON reader, the columns built natively)
gives exactly what the plain rule (every record walked in Python, :func:`parse_plain`) gives:
events, rejects, records read, assumptions, owner; the same error where the plain rule names
one. On the generator's download, the bench's file, and odd shapes: missing keys, nulls,
wrong types, repeated keys, escapes, empty strings, other layouts. Shapes the fast path cannot
read exactly must go by the plain rule, never differ; clean shapes must take the fast path."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from parsers import snapchat as sc
from parsers._json_tally import NotFast
from parsers.base import ParseContext, ParseResult
from tests._fast_plain import assert_fast_is_plain, bench_json_file, spoiled_texts

T = "2026-03-01 10:00:00 UTC"


def _item(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"From": "sam.partner26", "Media Type": "TEXT", "Created": T, "Content": "hello",
                            "Conversation Title": None, "IsSender": False, "Created(microseconds)": 1772359200000}
    base.update(fields)
    return {k: v for k, v in base.items() if v != "-"}


def _mine(**fields: Any) -> dict[str, Any]:
    return _item(**{"From": "alice.ex", "IsSender": True, **fields})


def _doc(*items: dict[str, Any], key: str = "sam.partner26") -> dict[str, Any]:
    return {key: list(items) or [_item(), _mine()]}


GROUP = [_item(**{"Conversation Title": "Friends"}), _mine(**{"Conversation Title": "Friends"})]

CLEAN: dict[str, Any] = {
    "basic": _doc(),
    "two conversations and an empty one": {"sam.partner26": [_item(), _mine()], "nobody": [],
                                           "bob": [_item(From="bob"), _mine(Content="hi bob")]},
    "media types": _doc(*[_item(**{"Media Type": m, "Content": c}) for m in ("MEDIA", "SNAP", "NOTE", "STICKER", "media",
                                                                            "STATUSSAVETOCAMERAROLL", "status", "WEIRD",
                                                                            "", "TEXT", "ÉCLAIR")
                          for c in ("", "words", "-")]),
    "media type missing": _doc(_item(**{"Media Type": "-"}), _mine()),
    "no IsSender": _doc(_item(IsSender="-"), _item(IsSender="-", From=""), _mine()),
    "no From": _doc(_item(From="-"), _mine(From="-"), _mine()),
    "empty From": _doc(_item(From=""), _mine(From=""), _mine()),
    "no owner marked": _doc(_item(), _item(From="x")),
    "two owners marked": _doc(_mine(), _mine(From="other.me")),
    "content empty or missing": _doc(_item(Content=""), _item(Content="-"), _mine()),
    "content null everywhere": _doc(_item(Content=None), _mine(Content=None)),
    "created forms": _doc(_item(Created="Sun Mar 01 10:00:00 UTC 2026"), _item(Created="2026-03-01T10:00:00Z"),
                          _item(Created=" 2026-03-01 10:00:00.250 UTC "), _item(Created="2026-03-01 10:00:00"),
                          _item(Created="not a time"), _item(Created=""), _item(Created="-"), _mine()),
    "micro forms": _doc(_item(Created="-", **{"Created(microseconds)": 1772359200}),
                        _item(Created="-", **{"Created(microseconds)": 1772359200000000}),
                        _item(Created="-", **{"Created(microseconds)": "-"}), _mine()),
    "micro as text": _doc(_item(**{"Created(microseconds)": "1772359200000"}), _item(**{"Created(microseconds)": ""}),
                          _mine(**{"Created(microseconds)": "-"})),
    "group chats": {"grp-1": GROUP, "sam.partner26": [_item(), _mine()]},
    "group chats, braces and quotes in texts": {"grp-1": GROUP, "bob": [_item(Content='{"x": 1} }'), _mine(Content="{")]},
    "escapes in texts": _doc(_item(Content='say "hi"\nnow \\ there'), _item(Content="café ☕ 😀 {braces}: [x]"),
                             _mine(Content="null: null")),
    "unknown keys": _doc(_item(Extra={"a": [1, 2]}, Saved=True), _mine(Other="x")),
    "user called null": _doc(_item(From="null"), _mine(Content="null"), key="null"),
    # Polars orders many columns its own way: the conversations must come out in the text's order
    "many conversations": {f"user.{(k * 37) % 41:02d}": [_item(From=f"user.{(k * 37) % 41:02d}"), _mine(Content=str(k))]
                           for k in range(41)} | {"grp-z": GROUP, "a.first": [_item(From="a.first")], "empty": []},
    "list-like texts": _doc(_item(Content='x": ["y'), _item(Content="[1, 2]"), _mine(Content=": [")),
}

ODD: dict[str, Any] = {
    # keys a trimmed reference would merge (" sam.partner26[0]" and "sam.partner26[0]"): both paths quote them
    "keys at their edges": {"sam.partner26": [_item()], " sam.partner26": [_item(From="x")], "'q'": [_mine()],
                            "bob ": [_item(From="bob")]},
    "older layout": {"Received Saved Chat History": [{"From": "bob", "Media Type": "TEXT", "Created": T, "Text": "hi"}],
                     "Sent Saved Chat History": [{"To": "bob", "Media Type": "MEDIA", "Created": T, "Text": ""}]},
    "older and newer": {"Received Saved Chat History": [{"From": "bob", "Media Type": "TEXT", "Created": T}],
                        "bob": [_item()]},
    "Text key": _doc(_item(Text="hi"), _mine()),
    "Text null beside Content": _doc(_item(Text=None), _mine()),
    "record not an object": {"bob": ["x", _item()]},
    "record null": {"bob": [None, _item()]},
    "top-level text": {"bob": [_item()], "note": "x"},
    "top-level object": {"bob": [_item()], "meta": {"a": 1}},
    "top-level null": {"bob": [_item()], "gone": None},
    "top-level key a record key": {"From": [_item()]},
    "title mixed null": {"grp-1": GROUP, "bob": [_item(), _mine()]},
    "title mixed null, records not flat": {"grp-1": GROUP, "bob": [_item(Extra=[1]), _mine()]},
    "title mixed in one conversation, records not flat": {"bob": [_item(Extra=[1]), _mine(**{"Conversation Title": "g"})]},
    "content mixed null": _doc(_item(Content=None), _mine()),
    "from null": _doc(_item(From=None), _mine()),
    "from a number": _doc(_item(From=5), _mine()),
    "from zero": _doc(_item(From=0), _mine()),
    "IsSender text": _doc(_item(IsSender="yes"), _mine()),
    "IsSender one": _doc(_item(IsSender=1), _mine()),
    "IsSender null": _doc(_item(IsSender=None), _mine()),
    "created a number": _doc(_item(Created=5), _mine()),
    "micro a float": _doc(_item(**{"Created(microseconds)": 1.5}), _mine()),
    "micro huge": _doc(_item(**{"Created(microseconds)": 2**70}), _mine()),
    "micro true": _doc(_item(**{"Created(microseconds)": True}), _mine()),
    "content a number": _doc(_item(Content=5), _mine()),
    "content true": _doc(_item(Content=True), _mine()),
    "content a float": _doc(_item(Content=1e-07), _mine()),
    "content zero": _doc(_item(Content=0), _mine()),
    "content an object": _doc(_item(Content={"a": 1}), _mine()),
    "media type a number": _doc(_item(**{"Media Type": 3}), _mine()),
    "title a number": _doc(_item(**{"Conversation Title": 0}), _mine()),
    "empty object": {"bob": [{}, _item()]},
    "only empty objects": {"bob": [{}]},
    "no records": {"bob": []},
    "empty document": {},
    "a list": [_item()],
    "lone surrogate": _doc(_item(Content="\ud800x"), _mine()),
}

RAW_TEXT: dict[str, bytes] = {
    "repeated key": b'{"bob": [{"From": "bob", "From": "eve", "Media Type": "TEXT", "Created": "' + T.encode() + b'"}]}',
    "repeated key then null": b'{"bob": [{"From": "bob", "Conversation Title": "g", "Conversation Title": null, '
                              b'"Created": "' + T.encode() + b'"}, {"From": "x", "Created": "' + T.encode() + b'"}]}',
    "repeated key then null, a brace between": b'{"bob": [{"From": "bob", "Conversation Title": "g", "Content": "} {", '
                                               b'"Conversation Title": null, "Created": "' + T.encode() + b'"}, '
                                               b'{"From": "x", "Created": "' + T.encode() + b'"}]}',
    "repeated key then null, an escaped quote between": b'{"bob": [{"From": "bob", "Conversation Title": "g", '
                                                        b'"Content": "\\"}\\"", "Conversation Title": null, '
                                                        b'"Created": "' + T.encode() + b'"}, {"From": "x", "Created": "'
                                                        + T.encode() + b'"}]}',
    "null then repeated key": b'{"bob": [{"From": "bob", "Conversation Title": null, "Conversation Title": "g", '
                              b'"Created": "' + T.encode() + b'"}]}',
    "repeated conversation": b'{"bob": [{"From": "bob", "Created": "' + T.encode() + b'"}], "bob": []}',
    "repeated conversation null": b'{"bob": [{"From": "bob", "Created": "' + T.encode() + b'"}], "bob": null}',
    "space before colon": b'{"bob" : [{"From" : "bob", "Conversation Title" : null, "Created" : "' + T.encode() + b'"}]}',
    "escaped colon": b'{"bob": [{"From": "bob", "Content": "a\\u003ab", "Created": "' + T.encode() + b'"}]}',
    "escaped quote": b'{"bob": [{"From": "bob", "Content": "a\\u0022b", "Created": "' + T.encode() + b'"}]}',
    "escaped key": b'{"bob": [{"Fr\\u006fm": "bob", "Content": "\\u006eull", "Created": "' + T.encode() + b'"}]}',
    "surrogate pair": b'{"bob": [{"From": "bob", "Content": "\\ud83d\\ude00", "Created": "' + T.encode() + b'"}]}',
    "control character": b'{"bob": [{"From": "bob", "Content": "a\tb", "Created": "' + T.encode() + b'"}]}',
    "NaN": b'{"bob": [{"From": "bob", "Created(microseconds)": NaN, "Created": "' + T.encode() + b'"}]}',
    **spoiled_texts(_doc()),
    "null without space": b'{"bob": [{"From": "bob", "Conversation Title":null, "Created": "' + T.encode() + b'"}]}',
}


def _fields(result: ParseResult) -> dict[str, Any]:
    return {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}


def assert_same(a: ParseResult, b: ParseResult) -> None:
    """Every field of the two results equal: frames with their schemas, nulls equal."""
    x, y = _fields(a), _fields(b)
    assert x.keys() == y.keys()
    for name in x:
        if name in ("events", "rejects", "evidence"):
            assert (x[name] is None) == (y[name] is None), name
            if x[name] is not None:
                assert x[name].schema == y[name].schema, name
                assert x[name].equals(y[name], null_equal=True), name
        elif name == "extra":
            assert x[name].keys() == y[name].keys()
            assert all(x[name][k].equals(y[name][k], null_equal=True) for k in x[name])
        else:
            assert x[name] == y[name], name


def _same(path: Path, owner: str | None = None) -> None:
    assert_fast_is_plain(sc.parse, sc.parse_plain, path, ParseContext(source_id="s", path=path, owner=owner), assert_same)


def _write(tmp_path: Path, name: str, doc: Any, ascii_only: bool = False) -> Path:
    path = tmp_path / (name.replace(" ", "-") + ".json")
    path.write_bytes(doc if isinstance(doc, bytes) else json.dumps(doc, indent=2, ensure_ascii=ascii_only).encode(
        "utf-8", "surrogatepass"))
    return path


def _fast(path: Path) -> ParseResult | None:
    return sc._fast_json(path.read_bytes(), ParseContext(source_id="s", path=path))


@pytest.mark.parametrize("ascii_only", [False, True])
@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_shapes_take_the_fast_path_and_read_the_same(tmp_path: Path, name: str, ascii_only: bool) -> None:
    path = _write(tmp_path, name, CLEAN[name], ascii_only)
    assert _fast(path) is not None
    _same(path)
    _same(path, owner="snapchat:officer.given")


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_shapes_read_the_same(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, ODD[name])
    _same(path)
    _same(path, owner="snapchat:officer.given")


@pytest.mark.parametrize("name", sorted(RAW_TEXT))
def test_odd_texts_read_the_same(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, RAW_TEXT[name])
    if name.startswith(("repeated", "null then", "escaped colon", "escaped quote", "NaN", "bom", "utf-16", "control")):
        assert _fast(path) is None
    _same(path)


def test_the_fast_path_refuses_what_could_differ(tmp_path: Path) -> None:
    """The shapes where Polars and Python read a value differently are refused, not read."""
    for name in ("title mixed in one conversation, records not flat", "from a number", "content true", "content a float", "micro a float", "Text key",
                 "older layout", "record null", "top-level null", "top-level key a record key", "lone surrogate"):
        assert _fast(_write(tmp_path, name, ODD[name])) is None, name


def test_the_generators_download_and_the_bench_file_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fixtures.generate import generate

    generate("clean", 3, 0.1, tmp_path / "case")
    downloads = sorted((tmp_path / "case").rglob("chat_history.json"))
    bench = bench_json_file(tmp_path, monkeypatch, "snapchat", "snapchat", 2_000)
    assert downloads
    for path in [*downloads, bench]:
        assert _fast(path) is not None, path
        _same(path)
    text = bench.read_text(encoding="utf-8")
    for i, (old, new, fast) in enumerate([
            ('"Content": "', '"Content": "\\ud800', False), ('"From": "', '"From": 5, "x": "', False),
            ('"Conversation Title": null', '"Conversation Title": "g", "Conversation Title": null', False),
            ('"IsSender": true', '"IsSender": true, "IsSender": null', False),
            ('"Conversation Title": null', '"Conversation Title": "g"', True),  # a group among one-to-one chats
            ('"Content": "', '"Content": "{', True)]):
        odd = tmp_path / f"odd{i}.json"
        odd.write_text(text.replace(old, new, 3), encoding="utf-8")
        assert (_fast(odd) is not None) == fast, (old, new)
        _same(odd)


def test_a_heavy_users_download_takes_the_fast_path_and_reads_the_same(tmp_path: Path) -> None:
    """Shaped like a real download: 60 conversations (6 group chats with a title, so the title is
    null in some records and set in others), texts with quotes, newlines, braces, accents and
    emoji (escaped as Python's writer escapes them), media and status items with no text."""
    import random
    from datetime import UTC, datetime, timedelta

    r = random.Random(7)
    texts = ["on my way", 'she said "no"', "line one\nline two", "{not json}", "café ☕", "😀", "", 'x": ["y']
    types = ["TEXT"] * 6 + ["MEDIA", "SNAP", "STATUSSAVETOCAMERAROLL"]
    doc: dict[str, Any] = {}
    for c in range(60):
        name = f"user.{(c * 7) % 60:02d}" if c >= 6 else f"grp-{c}"
        doc[name] = [{"From": "me.user" if (mine := r.random() < 0.5) else (name if c >= 6 else f"friend.{r.randrange(5)}"),
                      "Media Type": (mt := r.choice(types)),
                      "Created": (ts := datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=r.randrange(10**8)))
                      .strftime("%Y-%m-%d %H:%M:%S UTC"), "Content": r.choice(texts) if mt == "TEXT" else "",
                      "Conversation Title": None if c >= 6 else f"Group {c}", "IsSender": mine,
                      "Created(microseconds)": int(ts.timestamp() * 1000)} for _ in range(50)]
    for ascii_only in (True, False):
        path = _write(tmp_path, f"heavy-{ascii_only}", doc, ascii_only)
        assert _fast(path) is not None
        _same(path)


def test_lone_surrogates_are_found_as_the_plain_rules_expression_finds_them() -> None:
    """The NumPy count of surrogate halves says what ``_LONE_SURROGATE_ESCAPE`` says, on every
    mix of halves, pairs, escaped backslashes and other escapes."""
    import random

    from parsers._exports import _LONE_SURROGATE_ESCAPE
    from parsers._json_tally import _ESCAPED_COUNTED, _escapes

    r = random.Random(1)
    pieces = [b"\\ud83d", b"\\ude00", b"\\uD800", b"\\uDC00", b"x", b"\\\\", b"\\u00e9", b"\\udbff", b"\\udfff",
              b"\\ud8", b"\\uDBFF\\uDFFF", b"\\uDz00", b"\\u0022", b"\\u003a", b"\\u003A", b"\\u003b", b"\\u002"]
    for _ in range(5000):
        text = b"".join(r.choice(pieces) for _ in range(r.randrange(1, 7))) + b'"}'
        lone, counted = _escapes(text)
        assert lone == bool(_LONE_SURROGATE_ESCAPE.search(text.decode())), text
        assert counted == bool(_ESCAPED_COUNTED.search(text)), text


# --- the declared route (Polars given the record's layout; parsers._json_tally.declared_counts) ---

DECLARED_REFUSED: dict[str, bytes] = {
    # an integer column given what Polars reads as an integer but Python does not
    "micro a float": b"1.5", "micro a whole float": b"1.0", "micro an exponent": b"1e3", "micro an Exponent": b"1E3",
    "micro true": b"true", "micro false": b"false", "micro huge": str(2**70).encode(), "micro negative float": b"-2.5e-3",
}


def _with_micro(raw: bytes) -> bytes:
    item = json.dumps(_item(**{"Created(microseconds)": 7})).encode().replace(b": 7}", b": " + raw + b"}")
    return b'{"bob": [' + item + b", " + json.dumps(_mine()).encode() + b"]}"


@pytest.mark.parametrize("name", sorted(DECLARED_REFUSED))
def test_the_declared_route_refuses_a_number_polars_reads_otherwise(tmp_path: Path, name: str) -> None:
    """Given the layout, Polars reads 1.5, 1e3 and true into the integer column as 1, 1000 and 1 (and
    2**70 as null): the count of dots and letters e/E refuses each, and the result is the plain rule's."""
    from parsers._json_tally import NotFast

    data = _with_micro(DECLARED_REFUSED[name])
    with pytest.raises(NotFast):
        sc._declared(data)
    _same(_write(tmp_path, name, data))


DECLARED_TAKEN: dict[str, bytes] = {
    "micro negative zero": _with_micro(b"-0"),
    "micro negative": _with_micro(b"-17"),
    "an accent escaped (hex e)": json.dumps(_doc(_item(Content="caf\u00e9 \u00c9t\u00e9"), _mine()), ensure_ascii=True).encode(),
    "emoji escaped": json.dumps(_doc(_item(Content="\U0001f600 \u2615"), _mine()), ensure_ascii=True).encode(),
    "an escaped backslash before u": b'{"bob": [{"From": "bob", "Content": "a\\\\ud800 \\\\u0065", "Created": "' + T.encode()
                                     + b'", "IsSender": false}]}',
    "escaped quotes and colons": json.dumps(_doc(_item(Content='a "b": c. e E'), _mine(Content="1.5e3"))).encode(),
    "no nulls at all": json.dumps({"bob": [{k: v for k, v in _item().items() if v is not None}]}).encode(),
}


@pytest.mark.parametrize("name", sorted(DECLARED_TAKEN))
def test_the_declared_route_reads_what_it_can_prove(tmp_path: Path, name: str) -> None:
    sc._declared(DECLARED_TAKEN[name])
    _same(_write(tmp_path, name, DECLARED_TAKEN[name]))


DECLARED_ESCAPES_REFUSED: dict[str, bytes] = {
    "an e escaped in a text": b"caf\\u0065", "an E escaped": b"\\u0045", "a dot escaped": b"1\\u002e5",
    "a colon escaped": b"a\\u003ab", "a quote escaped": b"a\\u0022b", "a lone high surrogate": b"\\ud83d x",
    "a lone low surrogate": b"x \\ude00", "two highs": b"\\ud83d\\ud83d\\ude00",
}


@pytest.mark.parametrize("name", sorted(DECLARED_ESCAPES_REFUSED))
def test_the_declared_route_refuses_escapes_it_cannot_count(tmp_path: Path, name: str) -> None:
    from parsers._json_tally import NotFast

    data = (b'{"bob": [{"From": "bob", "Content": "' + DECLARED_ESCAPES_REFUSED[name] + b'", "Created": "' + T.encode()
            + b'", "IsSender": false}]}')
    with pytest.raises(NotFast):
        sc._declared(data)
    _same(_write(tmp_path, name, data))


def test_clean_downloads_take_the_declared_route(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench's file and the clean shapes that hold only the download's own keys are read with the
    layout given (the route the bench measures), not inferred."""
    bench = bench_json_file(tmp_path, monkeypatch, "snapchat", "snapchat", 2_000)
    sc._declared(bench.read_bytes())
    for name in ("basic", "two conversations and an empty one", "group chats", "escapes in texts", "many conversations",
                 "list-like texts", "micro as text", "content null everywhere", "no IsSender", "user called null"):
        for ascii_only in (False, True):
            path = _write(tmp_path, f"{name}-{ascii_only}", CLEAN[name], ascii_only)
            if name == "micro as text":  # a text where the layout has an integer: Polars refuses, inferred instead
                from parsers._json_tally import NotFast

                with pytest.raises(NotFast):
                    sc._declared(path.read_bytes())
            else:
                sc._declared(path.read_bytes())


def _escape_letters_by_hand(data: bytes) -> int | None:
    """The reference for escape_letters: the escapes walked one by one (None: refused)."""
    codes: list[tuple[int, int]] = []  # (offset, code)
    i = 0
    while i < len(data):
        if data[i] == 0x5C:
            if i + 1 >= len(data):
                return None
            if data[i + 1] == ord("u"):
                digits = data[i + 2:i + 6]
                if len(digits) < 4 or any(chr(c) not in "0123456789abcdefABCDEF" for c in digits):
                    return None
                codes.append((i, int(digits, 16)))
                i += 6
            else:
                i += 2
        else:
            i += 1
    at = dict(codes)
    letters = 0
    for offset, code in codes:
        if code in set(b':".eE'):
            return None
        if 0xD800 <= code < 0xDC00 and not 0xDC00 <= at.get(offset + 6, 0) < 0xE000:
            return None
        if 0xDC00 <= code < 0xE000 and not 0xD800 <= at.get(offset - 6, 0) < 0xDC00:
            return None
        letters += sum(c in b"eE" for c in data[offset + 2:offset + 6])
    return letters


def test_escape_letters_are_counted_as_json_reads_the_escapes() -> None:
    import random

    from parsers._json_tally import NotFast, escape_letters

    r = random.Random(3)
    pieces = [b"\\ud83d", b"\\ude00", b"\\uD800", b"\\uDC00", b"x", b"\\\\", b"\\u00e9", b"\\u00E9", b"\\udbff",
              b"\\udfff", b"\\uDBFF\\uDFFF", b"\\u0065", b"\\u0045", b"\\u002e", b"\\u003a", b"\\u0022", b"\\n",
              b"\\\"", b"\\u00ee", b"\\ueeee", b"e", b"\\u2615", b"\\u0041"]
    for _ in range(5000):
        text = b'"' + b"".join(r.choice(pieces) for _ in range(r.randrange(1, 7))) + b'"}'
        expected = _escape_letters_by_hand(text)
        if expected is None:
            with pytest.raises(NotFast):
                escape_letters(text)
        else:
            assert escape_letters(text) == expected, text


def _random_value(r: Any) -> bytes:
    """A JSON value of any type, written as a download or a hand could write it."""
    return r.choice([b"null", b"true", b"false", b"0", b"-0", b"7", b"-12", b"45844838413000", b"1.5", b"1.0", b"1e3",
                     b"2E-2", b"123456789012345678901234", b'""', b'"x"', b'"2026-03-01 10:00:00 UTC"', b'"TEXT"',
                     b'"MEDIA"', b'"STATUS"', b'"a.e:E \\"q\\""', b'"caf\\u00e9"', b'"\\ud83d\\ude00"', b'"\\u0065"',
                     b'"\\\\u0065"', b'"1772359200000"', b'{"a": 1}', b"[1, 2]", b"[]", b'"alice.ex"', b'"sam.e"'])


def _random_download(r: Any, odd: float) -> bytes:
    """A download of the newer layout with random values, keys left out, repeated or unknown, spacing varied."""
    fields = ["From", "Media Type", "Created", "Content", "Conversation Title", "IsSender", "Created(microseconds)"]
    sep = r.choice([b": ", b":", b" : "])
    conversations = []
    for c in range(r.randrange(1, 4)):
        records = []
        for _ in range(r.randrange(0, 5)):
            pairs = []
            for f in fields:
                if r.random() < 0.15:
                    continue
                clean = {"From": b'"sam.e"', "Media Type": b'"TEXT"', "Created": b'"2026-03-01 10:00:00 UTC"',
                         "Content": b'"hi"', "Conversation Title": b"null", "IsSender": b"false",
                         "Created(microseconds)": b"1772359200000"}[f]
                value = _random_value(r) if r.random() < odd else clean
                pairs.append(b'"' + f.encode() + b'"' + sep + value)
                if r.random() < odd / 4:
                    pairs.append(b'"' + f.encode() + b'"' + sep + _random_value(r))
            if r.random() < odd / 4:
                pairs.append(b'"Extra"' + sep + _random_value(r))
            r.shuffle(pairs)
            records.append(b"{" + b", ".join(pairs) + b"}")
        conversations.append(b'"user.' + str(c).encode() + b'"' + sep + b"[" + b",\n ".join(records) + b"]")
    return b"{" + b", ".join(conversations) + b"}"


def test_random_downloads_read_the_same(tmp_path: Path) -> None:
    """300 downloads with random values where the layout has texts, booleans and integers (floats,
    exponents, huge numbers, booleans, texts, objects, escapes), keys missing, repeated or unknown:
    the fast path (either route) gives the plain rule's result, and clean ones take the declared route."""
    import random

    r = random.Random(18)
    declared = refused = 0
    for i in range(300):
        data = _random_download(r, 0.2 if i % 2 else 0.02)  # many odd values, or one here and there
        path = _write(tmp_path, f"random-{i}", data)
        try:
            sc._declared(data)
            declared += 1
        except NotFast:  # refused: the parser reads it another way (checked by _same below)
            refused += 1
        _same(path)
        _same(path, owner="snapchat:officer.given")
    assert declared >= 50 and refused >= 50  # the clean ones, and the odd ones refused (nothing else raised)


def test_many_conversations_are_proved_together(tmp_path: Path) -> None:
    """The declared route handles every conversation at once: a key null in some records and set in
    others (in several conversations) is read; the same key given twice (a value, then null) in one
    record of the 38th conversation of 50 is refused (it is only searched for where a conversation has
    both), and both read as the plain rule reads them."""
    from parsers._json_tally import NotFast

    def download(twice: bool) -> bytes:
        parts = []
        for c in range(50):
            records = [json.dumps(_item(From=f"u{c}", Content=None if (c + j) % 3 == 0 else f"m{j}",
                                        **{"Conversation Title": "G" if c % 7 == 0 else None}))
                       for j in range(4)]
            if twice and c == 37:
                records[1] = records[1].replace('"Content": "m1"', '"Content": "m1", "Content": null')
            parts.append(f'"u{c}": [' + ", ".join(records) + "]")
        return ("{" + ", ".join(parts) + "}").encode()

    clean = download(False)
    assert sc._declared(clean)[0].height == 200
    _same(_write(tmp_path, "many", clean))
    odd = download(True)
    assert b'"Content": "m1", "Content": null' in odd
    with pytest.raises(NotFast):
        sc._declared(odd)
    _same(_write(tmp_path, "many-twice", odd))


def test_nulls_counted_with_the_bytes_are_the_searchs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``"key": null`` counted block by block in the count's pass (:func:`parsers._json_tally._blocked_counts`)
    are, part by part, what a search of each part finds (``bytes.count``), blocks of every size cutting
    needles and parts anywhere; and where they account for every null, ``declared_counts`` hands back
    exactly what :func:`parsers._json_tally.null_values_by_part` gives."""
    import random

    import numpy as np

    from parsers import _json_tally as tally

    r = random.Random(7)
    for _ in range(200):
        pieces = [r.choice([b'"a": null', b'"a":null', b'"bb": null', b'x', b'"a": nul', b'  ', b'"', b'null'])
                  for _ in range(r.randint(0, 60))]
        data = b"".join(pieces)
        cuts = sorted({0, len(data), *(r.randint(0, len(data)) for _ in range(r.randint(0, 4)))})
        monkeypatch.setattr(tally, "_BLOCK", r.randint(1, 40))
        needles = [b'"a": null', b'"bb": null']
        totals, found = tally._blocked_counts([np.frombuffer(data, np.uint8)], b':"', data, needles, cuts)
        assert totals == [data.count(b":"), data.count(b'"')]
        assert found == [[data.count(n, a, b) for a, b in itertools.pairwise(cuts)] for n in needles]
    monkeypatch.undo()
    doc = {f"u{c}": [_item(From=f"u{c}", **{"Conversation Title": None if j % 2 else "G"}) for j in range(5)]
           for c in range(4)}
    data = json.dumps(doc, indent=2).encode()
    order = tally.list_keys(data)
    keys = [k for k, _ in order]
    frame = tally.read(data, pl.Schema({k: pl.List(sc._RECORD) for k in keys}))
    records = pl.concat([frame.get_column(k) for k in keys]).explode().struct.unnest()
    bounds = [0, *(at for _, at in order), len(data)]
    counted = tally.declared_counts(data, keys, records, ["Conversation Title"], bounds)
    assert counted.found is not None and sum(map(sum, counted.found.values())) == counted.nulls == 8
    assert counted.found == tally.null_values_by_part(data, ["Conversation Title"], bounds, counted.nulls)
    compact = json.dumps(doc, separators=(",", ":")).encode()  # "key":null: not counted in the pass, searched
    order = tally.list_keys(compact)
    counted = tally.declared_counts(compact, keys, records, ["Conversation Title"], [0, *(at for _, at in order), len(compact)])
    assert counted.found is None


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_identifiers_stated_as_uris_normalise_the_same(tmp_path: Path, name: str) -> None:
    """Where a download's result says its identifiers are URIs already (and its refs distinct), the
    normaliser given those facts makes exactly the events it makes when asked to convert and check
    everything (the plain rule of the normaliser, told nothing)."""
    from atlas.normalise import to_events, to_events_plain

    path = _write(tmp_path, name, CLEAN[name])
    for owner in (None, "snapchat:officer.given", "Officer.Given", "phone:07700900123"):
        result = sc.parse(path, ParseContext(source_id="s", path=path, owner=owner))
        assert result.refs_unique
        args = {"source_id": "s", "timezone": "Europe/London", "region": "GB", "owner_uris": ["snapchat:alice.ex"]}
        told = to_events(result.events, identifiers_are_uris=result.identifiers_are_uris, refs_unique=True, **args)
        plain = to_events_plain(result.events, **args)
        assert told.events.equals(plain.events, null_equal=True) and told.events.schema == plain.events.schema
        assert told.rejects.equals(plain.rejects, null_equal=True)
        if result.owner is None and owner is not None and (owner[0].isupper() or owner.startswith("phone:")):
            assert not result.identifiers_are_uris  # the owner given is a value the normaliser changes: left to it


def test_an_identifier_not_yet_a_uri_is_left_to_the_normaliser(tmp_path: Path) -> None:
    for doc in (_doc(_item(From="Sam.Partner26"), _mine()), _doc(_item(), _mine(), key="Sam.Partner26"),
                _doc(_item(From="@sam"), _mine()), _doc(_item(From=" sam "), _mine())):
        path = _write(tmp_path, "upper", doc)
        result = sc.parse(path, ParseContext(source_id="s", path=path))
        assert not result.identifiers_are_uris
        _same(path)
    path = _write(tmp_path, "clean", _doc())
    assert sc.parse(path, ParseContext(source_id="s", path=path)).identifiers_are_uris


@pytest.mark.parametrize("odd", ["@sam\\ud800x", " sam\\ud800x", "sam\\ud800x", "Sam\\udc00", "@sam", " sam ", "SAM",
                                 "sam\u00e9", "SAM\u00c9", "\u0130stanbul", "sam\\ud83d\\ude00", "sam:x", "phone:07700900123",
                                 "name:x", "", "sam\\u0040"])
def test_odd_identifiers_normalise_the_same(tmp_path: Path, odd: str) -> None:
    """Whatever a From or a conversation's key holds (case, ``@``, spaces, a lone surrogate whose mark hides
    a leading ``@`` or space until the parse is done, accents, a colon), the result's facts give the
    normaliser's plain rule's events (told nothing), by either path."""
    from atlas.normalise import to_events, to_events_plain

    args = {"source_id": "s", "timezone": "Europe/London", "region": "GB", "owner_uris": ["snapchat:alice.ex"]}
    for where in ("From", "key"):
        doc = {"KEY": [_item(From="FROM"), _mine()]}
        text = json.dumps(doc, indent=2).replace('"FROM"' if where == "From" else '"KEY"', '"' + odd + '"')
        path = _write(tmp_path, f"odd-{where}", text.replace('"KEY"', '"sam.partner26"').replace('"FROM"', '"bob"').encode())
        _same(path)
        result = sc.parse(path, ParseContext(source_id="s", path=path))
        told = to_events(result.events, identifiers_are_uris=result.identifiers_are_uris, refs_unique=result.refs_unique, **args)
        plain = to_events_plain(result.events, **args)
        assert told.events.equals(plain.events, null_equal=True), (where, odd)


# --- the text read a piece at a time (parsers.snapchat._read_in_pieces) ---------------------------

def _rec(**fields: Any) -> bytes:
    return json.dumps(_item(**fields)).encode()


CUT_TEXTS: dict[str, bytes] = {
    "cut-like texts": b'{"bob": [' + b", ".join([_rec(Content="}, {"), _rec(Content='},{"From": "z"}'), _rec(Content="}\n ,\n {"),
                                                 _rec(Content='"}, {"'), _rec()]) + b"]}",
    "records of objects in a list": b'{"bob": [' + b",\n".join([_rec(Extra=[{"a": 1}, {"b": 2}]), _rec(), _rec()]) + b"]}",
    "a list's key in the records": b'{"bob": [' + b", ".join([_rec(), _rec(Extra=[{"From": "q"}, {"From": "r"}]), _rec()])
                                   + b'], "amy": [' + _rec() + b", " + _rec() + b"]}",
    "a list of texts in a record": b'{"bob": [' + b", ".join([_rec(), _rec(), _rec(Extra=["x", "y"]), _rec()]) + b"]}",
    "a list whose key is escaped": b'{"A": [' + _rec() + b", " + _rec() + b'], "B\\u0041": [' + _rec() + b", " + _rec()
                                   + b'], "C": [' + _rec() + b", " + _rec() + b"]}",
    "text after the end": b'{"bob": [' + _rec() + b", " + _rec() + b", " + _rec() + b"]} x",
    "cut short": b'{"bob": [' + _rec() + b", " + _rec() + b", " + _rec()[:30],
    "list not closed": b'{"bob": [' + _rec() + b", " + _rec() + b", " + _rec() + b"}",
    "a conversation given again as null": b'{"bob": [' + _rec() + b", " + _rec() + b", " + _rec() + b'], "bob": null}',
    "a null between records": b'{"bob": [' + _rec() + b", null, " + _rec() + b", " + _rec() + b"]}",
    "an object after the lists": b'{"bob": [' + _rec() + b", " + _rec() + b'], "m": [{"x": 1}, {"y": 2}]}',
    "an empty conversation between": b'{"bob": [' + _rec() + b", " + _rec() + b'], "nobody": [], "amy": ['
                                     + _rec(From="amy") + b",\n\t" + _rec(From="amy") + b"]}",
    "compact": json.dumps(CLEAN["many conversations"], separators=(",", ":")).encode(),
    "records cut after a comma": b'{"bob": [' + _rec() + b",\r\n" + _rec() + b" ,  " + _rec() + b"]}",
}


def _whole_read(data: bytes) -> pl.DataFrame:
    """Every record as Polars reads the whole document with the layout given (the read before pieces)."""
    from parsers import _json_tally as tally

    keys = [k for k, _ in tally.list_keys(data)]
    doc = tally.read(data, pl.Schema({k: pl.List(sc._RECORD) for k in keys}))
    if doc.height != 1 or any(doc.null_count().row(0)):
        raise NotFast("a list's key inside a record, or not one document")
    return pl.concat([doc.get_column(k) for k in keys]).explode(empty_as_null=False, keep_nulls=False).struct.unnest()


@pytest.mark.parametrize("piece", [1, 60, 400])
def test_a_text_read_in_pieces_reads_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int) -> None:
    """Cut into pieces of every size (1 byte: a cut between every two records that can be cut), each
    clean shape is read as the whole document is (the same records, in order) and the parse gives
    the plain rule's result; every odd shape, odd text and text cut where a cut could go wrong
    (cut-like texts, lists of objects inside records, a list's key inside a record, a list whose key
    is escaped, text after the end) gives the plain rule's result too."""
    from parsers import _json_tally as tally

    monkeypatch.setattr(sc, "_PIECE", piece)
    cut = 0
    for name, doc in CLEAN.items():
        for ascii_only in (False, True):
            path = _write(tmp_path, f"{name}-{ascii_only}", doc, ascii_only)
            data = path.read_bytes()
            order = tally.list_keys(data)
            cut += len(sc._cuts(data, order[0][1])) if order else 0
            try:
                whole = _whole_read(data)
            except Exception:  # not read whole with the layout given (a text micro, a nested list): nor in pieces
                with pytest.raises(NotFast):
                    sc._read_in_pieces(data, order)
            else:
                lists, of_key = sc._read_in_pieces(data, order)
                assert lists.explode(empty_as_null=False, keep_nulls=False).struct.unnest().equals(whole)
                assert of_key.tolist() == sorted(of_key.tolist())
            assert _fast(path) is not None, name
            _same(path)
    assert cut >= (100 if piece < 100 else 20)
    for name, doc in ODD.items():
        _same(_write(tmp_path, name, doc))
    for name, text in {**RAW_TEXT, **CUT_TEXTS}.items():
        _same(_write(tmp_path, name, text))
        _same(_write(tmp_path, name + " pretty", text.replace(b", ", b",\n  ")))
    for name in ("cut-like texts", "records cut after a comma", "an empty conversation between", "compact"):
        sc._declared(CUT_TEXTS[name])  # (a cut inside a text: the piece runs on to the next cut)
    for name in ("text after the end", "cut short", "list not closed", "a conversation given again as null",
                 "a list whose key is escaped", "a list's key in the records", "a list of texts in a record"):
        with pytest.raises(NotFast):  # (read otherwise, or refused: as the plain rule, above)
            sc._declared(CUT_TEXTS[name])
    # a list's key inside a record, in a piece after the first: not taken for a conversation
    data = CUT_TEXTS["a list of texts in a record"]
    assert len(sc._cuts(data, 8)) >= (2 if piece < 100 else 1)
    with pytest.raises(NotFast, match="a list's key inside a record"):
        sc._read_in_pieces(data, tally.list_keys(data))
    import random

    r = random.Random(piece)
    for i in range(60):
        path = _write(tmp_path, f"random-{i}", _random_download(r, 0.2 if i % 2 else 0.02))
        _same(path)


def test_the_bench_file_is_read_in_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench's download (at a test's size, pieces of 256 bytes) is cut many times and read as the whole
    document is; with a cut's record spoiled (a key given twice, a text where the integer goes),
    the parse still gives the plain rule's result."""
    from parsers import _json_tally as tally

    bench = bench_json_file(tmp_path, monkeypatch, "snapchat", "snapchat", 2_000)
    monkeypatch.setattr(sc, "_PIECE", 256)
    data = bench.read_bytes()
    order = tally.list_keys(data)
    assert len(sc._cuts(data, order[0][1])) >= 20
    lists, _ = sc._read_in_pieces(data, order)
    assert lists.explode().struct.unnest().equals(_whole_read(data))
    _same(bench)
    text = data.decode()
    at = text.index("},", len(text) // 2)
    for i, spoiled in enumerate([text[:at] + ', "From": "eve"' + text[at:],
                                 text[:at] + ', "Created(microseconds)": "1"' + text[at:],
                                 text[:at + 2] + " null," + text[at + 2:]]):
        path = tmp_path / f"spoiled-{i}.json"
        path.write_text(spoiled, encoding="utf-8")
        assert _fast(path) is None or i == 1  # (a text micro: inferred, read exactly)
        _same(path)
