"""Meta DYI JSON threads: the fast path (Polars' JSON reader, the columns built natively) gives
exactly what the plain rule (every message walked in Python, :func:`parse_plain`) gives: events,
rejects, records read, assumptions, the reactions table; the same error where the plain rule names
one. On the public sample, the generator's threads, the bench's file, many generated threads
(reactions, photos, shares, calls, stickers, unsent, group notes, missing or empty content, Meta's
mojibake, group threads, participants who never write) and odd shapes (repeated or null keys,
floats or booleans where numbers or texts are read, escapes, literal backslashes, raw non-ASCII
text, other layouts). Shapes the fast path cannot read exactly must go by the plain rule, never
differ; the clean ones must take the fast path (so these tests test it)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Final

import pytest

from parsers import meta_dyi_json as meta
from parsers.base import ParseContext, ParseResult
from tests._fast_plain import assert_fast_is_plain, bench_json_file
from tests.test_json_cycle_collection import assert_identical

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
T = 1_700_000_000_000


def _moji(text: str) -> str:
    return text.encode("utf-8").decode("latin-1")


def _msg(sender: Any = "Dan Sample", ts: Any = T, content: Any = "hello", **extra: Any) -> dict[str, Any]:
    out = {k: v for k, v in (("sender_name", sender), ("timestamp_ms", ts), ("content", content)) if v != "-"}
    out.update({"is_geoblocked_for_viewer": False, "is_unsent_image_by_messenger_kid_parent": False})
    out.update(extra)
    return out


def _thread(*messages: Any, participants: Any = ("Dan Sample", "Alice Example"), **top: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if participants != "-":
        doc["participants"] = [{"name": p} for p in participants] if isinstance(participants, tuple) else participants
    doc["messages"] = list(messages) if messages else [_msg(), _msg("Alice Example", T - 1000, "hi")]
    doc.update({"title": "Dan Sample", "is_still_participant": True, "thread_path": "inbox/dan_1", "magic_words": []})
    doc.update(top)
    return doc


PHOTO = {"uri": "your_instagram_activity/messages/inbox/dan_1/photos/1.jpg", "creation_timestamp": 1_700_000_000}
SHARE = {"link": "https://www.instagram.com/p/abc/", "share_text": "look", "original_content_owner": "dan.s"}

CLEAN: dict[str, Any] = {
    "plain": _thread(),
    "no participants": _thread(participants="-"),
    "empty participants": _thread(participants=[]),
    "participants absent from messages": _thread(participants=("Dan Sample", "Alice Example", "Carol", "Eve")),
    "group thread": _thread(_msg("A"), _msg("B", T + 1), _msg("C", T + 2), _msg("A", T + 3), participants=("A", "B", "C", "D")),
    "missing content": _thread(_msg(content="-"), _msg("Alice Example")),
    "empty content": _thread(_msg(content=""), _msg("Alice Example")),
    "missing sender": _thread(_msg(sender="-"), _msg("Alice Example")),
    "empty sender": _thread(_msg(sender=""), _msg("Alice Example")),
    "no sender named anywhere": _thread(_msg(sender=""), _msg(sender="-"), _msg(sender="")),  # senders named by distinct value
    "missing time": _thread(_msg(ts="-"), _msg()),
    "time as text": _thread(_msg(ts="1700000000000"), _msg(ts=" 1700000000001 "), _msg(ts="x")),
    "photos": _thread(_msg(photos=[PHOTO, {"uri": "b.jpg"}]), _msg(content="-", videos=[{"uri": "v.mp4"}])),
    "media of every kind": _thread(_msg(photos=[PHOTO], videos=[{"uri": "v.mp4", "creation_timestamp": 1}],
                                        audio_files=[{"uri": "a.mp4"}], files=[{"uri": "f.pdf"}], gifs=[{"uri": "g.gif"}],
                                        sticker={"uri": "s.png"}, share=SHARE), _msg()),
    "media without uri": _thread(_msg(photos=[{"creation_timestamp": 1}, {"uri": ""}, {"uri": "x.jpg"}]), _msg()),
    "empty media lists": _thread(_msg(photos=[]), _msg(videos=[])),
    "sticker and share": _thread(_msg(sticker={"uri": "s.png"}), _msg(share={"link": "https://fb.me/x"}), _msg(share={"share_text": "t"})),
    "share empty link": _thread(_msg(share={"link": ""}), _msg()),
    "reactions": _thread(_msg(reactions=[{"reaction": "\u00e2\u009d\u00a4", "actor": "Alice Example"}, {"reaction": "x"}]),
                         _msg(reactions=[]), _msg(reactions=[{"actor": "Dan Sample"}])),
    "calls": _thread(_msg(type="Call", call_duration=0, content="Call ended"), _msg(type="Call", call_duration=65),
                     _msg(call_duration=12, missed=True), _msg(type="Call"), _msg(type="Call", missed=False, call_duration=3)),
    "group notes": _thread(_msg(type="Subscribe", content="A added B"), _msg(type="Unsubscribe"), _msg(type="Generic")),
    "unsent": _thread(_msg(is_unsent=True, content="-"), _msg(is_unsent=False), _msg(type="Call", call_duration=5, is_unsent=True)),
    "mojibake": _thread(_msg(_moji("Zoë"), content=_moji("café ❤️ “quoted”")), _msg("Alice Example", content=_moji("naïve")),
                        participants=(_moji("Zoë"), "Alice Example")),
    "mojibake in reactions only": _thread(_msg(reactions=[{"reaction": _moji("😢"), "actor": _moji("Zoë")}]), _msg()),
    "latin-1 that does not repair": _thread(_msg(content="caf\u00e9"), _msg()),
    "escapes": _thread(_msg(content='line one\nline two\t"quoted" / \r\b\f'), _msg()),
    "instagram markers": _thread(_msg(share={"link": "https://instagram.com/p/x", "original_content_owner": "d"}), _msg()),
    "facebook markers": _thread(_msg(photos=[{"uri": "your_facebook_activity/messages/p.jpg"}]), _msg(),
                                joinable_mode={"mode": 1, "link": ""}, image={"uri": "i.jpg", "creation_timestamp": 1}),
    "unknown keys": _thread(_msg(ip="1.2.3.4", x_number=5, x_list=[1, 2], x_obj={"a": "b"}), _msg(), thread_type="Regular"),
    "texts that look like numbers": _thread(_msg(content="12"), _msg(content="true"), _msg(content="1.5e3"), participants=("1", "2")),
    "keys with e and dots": _thread(_msg(**{"e.e:E": "x"}), _msg()),
    "one message": _thread(_msg()),
}

ODD: dict[str, Any] = {
    "camel case": {"participants": ["Dan", "Alice"], "threadName": "x",
                   "messages": [{"senderName": "Dan", "timestamp": T, "text": "hi", "isUnsent": False, "media": [{"uri": "m.jpg"}]}]},
    "mixed camel": _thread(_msg(), {"senderName": "Dan", "timestamp": T, "text": "hi"}),
    "message not an object": _thread(_msg(), "x", 5, None),
    "message null": _thread(None, _msg()),
    "no messages": _thread(participants=("A",), messages=[]),
    "messages an object": {"messages": {"sender_name": "x"}},
    "participants strings": _thread(participants=["Dan Sample", "Alice Example"]),
    "participants mixed": _thread(participants=[{"name": "A"}, "B", 5, None, {"x": 1}, {"name": ""}]),
    "participant name a number": _thread(participants=[{"name": 5}, {"name": "A"}]),
    "participants an object": _thread(participants={"name": "A"}),
    "participants null": _thread(participants=None),
    "sender a number": _thread(_msg(sender=5), _msg()),
    "sender true": _thread(_msg(sender=True), _msg()),
    "sender null": _thread(_msg(sender=None), _msg()),
    "sender an object": _thread(_msg(sender={"name": "x"}), _msg()),
    "content a number": _thread(_msg(content=12), _msg()),
    "content a float": _thread(_msg(content=1.5), _msg()),
    "content false": _thread(_msg(content=False), _msg()),
    "content null": _thread(_msg(content=None), _msg()),
    "content a list": _thread(_msg(content=["a"]), _msg()),
    "time a float": _thread(_msg(ts=1.7e12), _msg()),
    "time a whole float": _thread(_msg(ts=1700000000000.0), _msg()),
    "time a fraction": _thread(_msg(ts=1700000000000.5), _msg()),
    "time true": _thread(_msg(ts=True), _msg()),
    "time null": _thread(_msg(ts=None), _msg()),
    "time huge": _thread(_msg(ts=2**70), _msg()),
    "time negative zero": _thread(_msg(ts=-0), _msg()),
    "call duration a float": _thread(_msg(type="Call", call_duration=12.7), _msg()),
    "call duration true": _thread(_msg(type="Call", call_duration=True), _msg()),
    "call duration text": _thread(_msg(type="Call", call_duration="12"), _msg()),
    "call duration null": _thread(_msg(call_duration=None), _msg()),
    "missed a number": _thread(_msg(type="Call", missed=1), _msg()),
    "unsent a number": _thread(_msg(is_unsent=1), _msg()),
    "unsent text": _thread(_msg(is_unsent="true"), _msg()),
    "type a number": _thread(_msg(type=5), _msg()),
    "photos an object": _thread(_msg(photos={"uri": "x"}), _msg()),
    "photos strings": _thread(_msg(photos=["x.jpg"]), _msg()),
    "photo null": _thread(_msg(photos=[None, {"uri": "x"}]), _msg()),
    "photo uri a number": _thread(_msg(photos=[{"uri": 5}]), _msg()),
    "sticker a string": _thread(_msg(sticker="s.png"), _msg()),
    "share a list": _thread(_msg(share=[SHARE]), _msg()),
    "share link a number": _thread(_msg(share={"link": 5}), _msg()),
    "reactions an object": _thread(_msg(reactions={"reaction": "x", "actor": "y"}), _msg()),
    "reactions a string": _thread(_msg(reactions="xy"), _msg()),
    "reaction null": _thread(_msg(reactions=[None, {"reaction": "x", "actor": "y"}]), _msg()),
    "reaction empty object": _thread(_msg(reactions=[{}, {"reaction": "x", "actor": "y"}]), _msg()),
    "reaction actor a number": _thread(_msg(reactions=[{"reaction": "x", "actor": 5}]), _msg()),
    "unknown float": _thread(_msg(x=1.5), _msg()),
    "unknown null": _thread(_msg(x=None), _msg()),
    "top-level null": _thread(title=None),
    "real unicode": _thread(_msg(content="Zoë ❤️"), _msg()),
    "real unicode beside mojibake": _thread(_msg(content="Zoë"), _msg(content=_moji("Zoë"))),
    "emoji above U+FFFF": _thread(_msg(content="😢"), _msg()),
    "comments layout": {"comments_v2": [{"data": [{"comment": {"comment": "x", "author": "A", "timestamp": 1}}]}]},
    "profile layout": {"profile_user": [{"string_map_data": {"Username": {"value": "alice"}, "Name": {"value": "Alice"}}}]},
    "messages beside comments": {"comments_v2": [], **_thread()},
    "messages after 32 KB": {"participants": [{"name": f"P{i:06d}"} for i in range(5000)], "messages": [_msg(), _msg("P000001")]},
    "a list": [_msg()],
}

RAW_TEXT: dict[str, bytes] = {
    "repeated key": b'{"participants": [{"name": "A"}], "messages": [{"sender_name": "A", "sender_name": "B", '
                    b'"timestamp_ms": 1700000000000, "content": "x"}]}',
    "repeated top key": b'{"messages": [{"sender_name": "A", "timestamp_ms": 1, "content": "x"}], '
                        b'"messages": [{"sender_name": "B", "timestamp_ms": 2, "content": "y"}]}',
    "exponent time": b'{"messages": [{"sender_name": "A", "timestamp_ms": 17e11, "content": "x"}]}',
    "exponent time E": b'{"messages": [{"sender_name": "A", "timestamp_ms": 17E11, "content": "x"}]}',
    "exponent duration": b'{"messages": [{"sender_name": "A", "timestamp_ms": 1, "type": "Call", "call_duration": 1e1}]}',
    "space before colon": b'{"messages" : [{"sender_name" : "A", "timestamp_ms" : 1700000000000, "content" : "a: b"}]}',
    "compact": json.dumps(_thread(), separators=(",", ":")).encode(),
    "literal backslash": b'{"messages": [{"sender_name": "A", "timestamp_ms": 1, "content": "a\\\\b \\\\u00e9"}]}',
    "literal backslash before a quote": b'{"messages": [{"sender_name": "A\\\\", "timestamp_ms": 1, '
                                        b'"content": "\\\\\\"q\\\\\\" \\\\\\\\\\""}]}',
    "literal backslash before u00e9": b'{"messages": [{"sender_name": "A", "timestamp_ms": 1, "content": "\\\\u00e9 \\\\\\u00e9 e"}]}',
    "literal backslash before ud800": b'{"messages": [{"sender_name": "A", "timestamp_ms": 1, "content": "\\\\ud800"}]}',
    "shrug": json.dumps(_thread(_msg(content=_moji("¯\\_(ツ)_/¯")), _msg(content="C:\\path\\")), ensure_ascii=True).encode(),
    "backslash key": b'{"messages": [{"a\\\\b": "x", "sender_name": "A", "timestamp_ms": 1}]}',
    "escaped ascii": b'{"messages": [{"sender_name": "A", "timestamp_ms": 1, "content": "a\\u003a\\u0022\\u0065"}]}',
    "escaped key": b'{"messages": [{"sender\\u005fname": "A", "timestamp_ms": 1, "content": "x"}]}',
    "escaped quote in key": b'{"messages": [{"a\\"b": "A", "sender_name": "A", "timestamp_ms": 1}]}',
    "escape above U+00FF": b'{"messages": [{"sender_name": "A", "timestamp_ms": 1, "content": "\\u20ac"}]}',
    "surrogate pair": b'{"messages": [{"sender_name": "A", "timestamp_ms": 1, "content": "\\ud83d\\ude22"}]}',
    "lone surrogate": b'{"messages": [{"sender_name": "A", "timestamp_ms": 1, "content": "\\ud800x"}, '
                      b'{"sender_name": "B", "timestamp_ms": 2, "content": "ok"}]}',
    "lone surrogate in a name": b'{"participants": [{"name": "\\udc00A"}, {"name": "B"}], "messages": '
                                b'[{"sender_name": "B", "timestamp_ms": 2, "content": "ok"}]}',
    "raw utf-8": json.dumps(_thread(_msg(content="café")), ensure_ascii=False).encode(),
    "raw utf-8 mojibake": json.dumps(_thread(_msg(content=_moji("café"))), ensure_ascii=False).encode(),
    "NaN": b'{"messages": [{"sender_name": "A", "timestamp_ms": NaN}]}',
    "truncated": json.dumps(_thread()).encode()[:-20],
    "empty": b"",
    "whitespace": b"  \n ",
    "not utf-8": json.dumps(_thread()).encode()[:40] + b"\xff\xfe" + json.dumps(_thread()).encode()[40:],
    "bom": b"\xef\xbb\xbf" + json.dumps(_thread()).encode(),
    "bom and mojibake": b"\xef\xbb\xbf" + json.dumps(_thread(_msg(content=_moji("café")))).encode(),
    "utf-16": b"\xff\xfe" + json.dumps(_thread(), ensure_ascii=False).encode("utf-16-le"),
    "trailing text": json.dumps(_thread()).encode() + b" x",
    "leading whitespace": b"\n\n   " + json.dumps(_thread()).encode(),
    "ends in an escape": b'{"messages": [{"sender_name": "A", "timestamp_ms": 1, "content": "x\\n"}]}',
}


def identical(a: ParseResult, b: ParseResult) -> None:
    """Every output the same: events, rejects, evidence, assumptions, counts, owner, and the reactions table."""
    assert_identical(a, b)
    assert a.extra.keys() == b.extra.keys()
    for k in a.extra:
        assert a.extra[k].schema == b.extra[k].schema and a.extra[k].equals(b.extra[k], null_equal=True), k
    assert (a.refs_unique, a.identifiers_are_uris) == (b.refs_unique, b.identifiers_are_uris)


def _ctx(path: Path, **kw: Any) -> ParseContext:
    return ParseContext(source_id="s", path=path, **kw)


def _same(path: Path, **kw: Any) -> None:
    assert_fast_is_plain(meta.parse, meta.parse_plain, path, _ctx(path, **kw), identical)


def _fast(path: Path, **kw: Any) -> bool:
    return meta._fast_thread(path, _ctx(path, **kw)) is not None


def _write(tmp_path: Path, name: str, doc: Any, *, indent: int | None = 2) -> Path:
    path = tmp_path / "inbox" / (name.replace(" ", "-") + ".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(doc if isinstance(doc, bytes) else json.dumps(doc, indent=indent, ensure_ascii=True).encode())
    return path


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_shapes_take_the_fast_path_and_read_the_same(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, CLEAN[name])
    assert _fast(path)
    _same(path)
    _same(path, owner="name:Alice Example")
    _same(path, owner="name:Someone Else", options={"platform": "instagram"})


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_shapes_read_the_same(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, ODD[name])
    _same(path)
    _same(path, owner="name:Alice Example")


@pytest.mark.parametrize("name", sorted(RAW_TEXT))
def test_odd_texts_read_the_same(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, RAW_TEXT[name])
    if name in ("repeated key", "repeated top key", "exponent time", "exponent time E", "escaped ascii", "backslash key",
                "escaped key", "escape above U+00FF", "surrogate pair", "lone surrogate", "raw utf-8", "NaN", "utf-16"):
        assert not _fast(path), name
    if name in ("space before colon", "compact", "bom", "bom and mojibake", "leading whitespace", "ends in an escape",
                "literal backslash", "literal backslash before a quote", "literal backslash before u00e9",
                "literal backslash before ud800", "shrug"):
        assert _fast(path), name
    _same(path)


def test_what_must_fall_back_does(tmp_path: Path) -> None:
    """The shapes whose plain reading the fast path could get wrong are refused by it, not read."""
    for name in ("time a float", "time a whole float", "time true", "time null", "time huge", "content a number",
                 "content false", "sender a number", "sender true", "unknown null", "top-level null", "camel case",
                 "message not an object", "message null", "no messages", "participants strings", "participant name a number",
                 "photo null", "reaction null", "unknown float", "real unicode", "call duration null", "call duration text"):
        assert not _fast(_write(tmp_path, name, ODD[name])), name


def test_the_public_sample_and_every_json_sample_read_the_same() -> None:
    sample = SAMPLES / "chat-miner" / "instagram" / "test_export.json"
    assert _fast(sample)
    _same(sample)
    others = sorted(SAMPLES.rglob("*.json"))
    assert len(others) > 5
    for path in others:  # other formats: the same error (or the same result) either way
        _same(path)


def test_the_generators_threads_read_the_same(tmp_path: Path) -> None:
    from fixtures.scenarios import build
    from fixtures.writers import meta_dyi

    world = build("rejected-ex", 3, 0.2)
    fast = 0
    for channel, root in (("instagram", "your_instagram_activity"), ("facebook", "your_activity_across_facebook")):
        for owner in ("victim", "suspect", "mother"):
            for other, msgs in meta_dyi._threads(world, owner, channel).items():
                w = meta_dyi._json_thread(world, owner, other, msgs, tmp_path, root, channel)
                if w is None:
                    continue
                path = tmp_path / w.path
                fast += _fast(path)
                _same(path)
    assert fast >= 2


def test_the_bench_file_and_its_variants_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = bench_json_file(tmp_path, monkeypatch, "meta_dyi_json", "meta", 600_000)  # 600 messages (past 32 KB)
    assert _fast(path)
    _same(path)
    text = path.read_text(encoding="utf-8")
    variants = [  # (old, new, fast?)
        ('"content": "', '"content": "\\u00c3\\u00a9 ', True),
        ('"content": "', '"content": "\\ud800', False),
        ('"content": "', '"content": 5, "x": "', False),
        ('"content": "', '"content": null, "y": "', False),
        ('"timestamp_ms": 1', '"timestamp_ms": 1.0, "z": 1', False),
        ('"timestamp_ms": ', '"photos": [{"uri": "p.jpg"}], "timestamp_ms": ', True),
        ('"timestamp_ms": ', '"reactions": [{"reaction": "\\u00e2\\u009d\\u00a4", "actor": "D"}], "timestamp_ms": ', True),
        ('"timestamp_ms": ', '"is_unsent": true, "timestamp_ms": ', True),
    ]
    for i, (old, new, fast) in enumerate(variants):
        odd = tmp_path / f"odd{i}.json"
        odd.write_text(text.replace(old, new, 3), encoding="utf-8")
        assert _fast(odd) == fast, (old, new)
        _same(odd)
        # the same change in the last message only (past the first 32 KB, which choose the layout given)
        cut = text.rindex(old)
        last = tmp_path / f"last{i}.json"
        last.write_text(text[:cut] + new + text[cut + len(old):], encoding="utf-8")
        assert len(text[:cut].encode()) > 32768
        assert _fast(last) == fast, (old, new)
        _same(last)


def _random_message(rng: random.Random, people: list[str], i: int) -> dict[str, Any]:
    words = ["hi", "where are you", "answer me", "café", "❤️", "“quoted”", "a\nb", 'say "no"', "12", "true", "",
             "http://x.y/z", "Zoë", "😢", "tab\there", "back/slash", "e.E:.", "ünïcödé", "¯\\_(ツ)_/¯", "C:\\x\\"]
    m: dict[str, Any] = {"sender_name": _moji(rng.choice(people)), "timestamp_ms": T - i * 60_000}
    if rng.random() < 0.85:
        m["content"] = _moji(" ".join(rng.choice(words) for _ in range(rng.randint(0, 4))))
    for key in meta.MEDIA_KEYS:
        if rng.random() < 0.08:
            m[key] = [{"uri": f"inbox/t/{key}/{j}", "creation_timestamp": 1_700_000_000} for j in range(rng.randint(0, 3))]
    if rng.random() < 0.05:
        m["sticker"] = {"uri": "inbox/stickers/s.png"}
    if rng.random() < 0.08:
        m["share"] = rng.choice([SHARE, {"link": "https://www.facebook.com/x"}, {"share_text": "t"}, {"link": ""}])
    if rng.random() < 0.1:
        m["reactions"] = [{"reaction": _moji(rng.choice(["❤️", "😢", "👍"])), "actor": _moji(rng.choice(people))}
                          for _ in range(rng.randint(0, 3))]
    r = rng.random()
    if r < 0.05:
        m.update(type="Call", call_duration=rng.choice([0, 5, 3600]))
        if rng.random() < 0.5:
            m["missed"] = rng.random() < 0.5
    elif r < 0.08:
        m["type"] = rng.choice(["Subscribe", "Unsubscribe", "Generic", "Share"])
    if rng.random() < 0.04:
        m["is_unsent"] = rng.random() < 0.7
    m["is_geoblocked_for_viewer"] = False
    return m


def test_generated_threads_read_the_same(tmp_path: Path) -> None:
    """Seeded random threads: one-to-one and group, every optional key, Meta's mojibake, participants
    who never write; compact and indented. Most must take the fast path."""
    rng = random.Random(18)
    fast = 0
    n = 60
    for k in range(n):
        everyone = ["Dan Sample", "Alice Example", "Zoë Ünder", "Bob", "Carol ❤️"][: rng.randint(2, 5)]
        writers = everyone[: rng.randint(1, len(everyone))]
        doc: dict[str, Any] = {"messages": [_random_message(rng, writers, i) for i in range(rng.randint(1, 40))]}
        if rng.random() < 0.9:
            doc = {"participants": [{"name": _moji(p)} for p in everyone], **doc, "title": _moji(everyone[0]),
                   "is_still_participant": True, "thread_path": f"inbox/t_{k}", "magic_words": []}
        if rng.random() < 0.2:
            doc["joinable_mode"] = {"mode": 1, "link": ""}
        path = _write(tmp_path, f"gen{k}", doc, indent=rng.choice([None, 2]))
        fast += _fast(path)
        _same(path, owner=rng.choice([None, "name:Alice Example"]))
    assert fast >= n * 0.9


def _tallied(data: bytes, monkeypatch: pytest.MonkeyPatch, *, by_query: bool) -> Any:
    """What the accounting finds of ``data`` (its counts, or the refusal's words), the messages' plain keys
    tallied from their columns, or (``by_query``) each by the query as every other key."""
    import polars as pl

    meta._plan.cache_clear()  # (the plans are made once per layout: made again under the setting asked)
    with monkeypatch.context() as m:
        if by_query:
            m.setattr(meta, "_FLAT", ())
            m.setattr(meta, "_plan", meta._plan.__wrapped__)  # and not kept
        try:
            doc = pl.read_json(data, schema=meta._layout(meta._head_keys(data)))
        except Exception:
            try:
                doc = pl.read_json(data, infer_schema_length=None)
            except Exception:
                return "Polars does not read it"
        try:
            tally = meta._check(data, doc)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return tally.a, tally.quotes, tally.counts


def test_the_messages_keys_tallied_from_their_columns_count_as_the_query(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The messages' text, integer and boolean keys are tallied from their columns (a count is the length
    less the nulls; a text column's bytes are counted in place): the same counts, refusals and words as
    the query every other key is tallied by, on the clean, odd and raw shapes and seeded random threads."""
    docs = [json.dumps(d, indent=2).encode() for d in (*CLEAN.values(), *ODD.values())] + list(RAW_TEXT.values())
    rng = random.Random(7)
    for _ in range(40):
        people = ["Dan Sample", "Alice Example", "Zoë Ünder", "Bob"][: rng.randint(1, 4)]
        docs.append(json.dumps({"participants": [{"name": _moji(p)} for p in people],
                                "messages": [_random_message(rng, people, i) for i in range(rng.randint(1, 30))]},
                               indent=rng.choice([None, 2])).encode())
    read = 0
    for data in docs:
        by_columns = _tallied(data, monkeypatch, by_query=False)
        assert by_columns == _tallied(data, monkeypatch, by_query=True)
        read += isinstance(by_columns, tuple)
    assert read >= len(docs) // 2


def test_a_difference_would_be_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison is not vacuous: a fast path that got the participants wrong fails it."""
    path = _write(tmp_path, "plain", CLEAN["reactions"])
    real = meta._participants
    monkeypatch.setattr(meta, "_participants", lambda tally: [*real(tally), "name:Mallory"])
    assert _fast(path)
    with pytest.raises(AssertionError):
        identical(meta.parse(path, _ctx(path)), meta.parse_plain(path, _ctx(path)))


# --- identifiers as URIs (ParseContext.convert_identifiers, as the ingest asks) ------------------

def _normalised(result: ParseResult, ctx: ParseContext, owners: list[str], *, plain: bool) -> tuple[Any, str]:
    """(what the ingest would store of ``result``: the normalised events and rejects, the region it chose)."""
    from atlas.ingest import region_from_events
    from atlas.normalise import to_events, to_events_plain

    choice = region_from_events(result, ctx)
    region = choice.region if choice else ctx.region
    normalise = to_events_plain if plain else to_events
    return normalise(result.events, source_id=ctx.source_id, timezone=ctx.timezone, region=region, owner_uris=owners,
                     identifiers_are_uris=result.identifiers_are_uris, refs_unique=result.refs_unique), region


def _same_as_uris(path: Path, owner: str | None = None, **kw: Any) -> bool:
    """The parse asked for URIs (``parse``), normalised, is what the plain rule's parse as written
    (``parse_plain``) gives through the normaliser's plain rule: events, rejects, the region the ingest
    chooses, and every other output. True if the identifiers came as URIs."""
    from atlas.errors import FormatError
    from atlas.normalise.identifiers import identifier_uri

    asked, written = _ctx(path, owner=owner, convert_identifiers=True, **kw), _ctx(path, owner=owner, **kw)
    try:
        plain = meta.parse_plain(path, written)
    except FormatError as exc:
        with pytest.raises(FormatError) as got_error:
            meta.parse(path, asked)
        assert str(got_error.value) == str(exc)
        return False
    got = meta.parse(path, asked)
    assert not plain.identifiers_are_uris
    owners = [] if owner is None else sorted({owner, identifier_uri(owner, source_id="s", region="GB")})
    (a, region_a), (b, region_b) = _normalised(got, asked, owners, plain=False), _normalised(plain, written, owners, plain=True)
    assert region_a == region_b
    for x, y in ((a.events, b.events), (a.rejects, b.rejects), (got.rejects, plain.rejects)):
        assert x.schema == y.schema and x.equals(y, null_equal=True)
    assert (got.records_read, got.assumptions, got.owner, got.region, got.refs_unique) == \
        (plain.records_read, plain.assumptions, plain.owner, plain.region, plain.refs_unique)
    assert got.extra.keys() == plain.extra.keys()
    assert all(got.extra[k].equals(plain.extra[k], null_equal=True) for k in got.extra)
    return got.identifiers_are_uris


OWNERS: Final = (None, "name:Alice Example", "name:Dan Sample", "tel:+447700900123", "phone:07700 900123",
                 "Phone:07700900123", "name:s:Dan", "instagram:@Dan", " name: Alice Example ")

ODD_NAMES: Final = ("", " ", "Dan", " Dan ", "Dan ", "dan", "DAN", "@Dan", "@dan", "s:Dan", "name:Dan", "phone:07700900123",
                    "+447700900123", "07700 900123", "dan@example.org", "Dan@Example.ORG", "tel:+447700900123",
                    "email:x@y.z", "Zoë", _moji("Zoë"), "Carol ❤️", ":", "a:b:c", "\t", "Ünder")


def _odd_names_thread(rng: random.Random, k: int) -> dict[str, Any]:
    everyone = rng.sample(ODD_NAMES, rng.randint(1, 6))
    writers = everyone[: rng.randint(1, len(everyone))]
    msgs = [_msg(rng.choice([*writers, "-"] if rng.random() < 0.1 else writers), T - i * 1000,
                 rng.choice(["hi", "", "-"]), **({"type": "Subscribe"} if rng.random() < 0.1 else {}))
            for i in range(rng.randint(1, 12))]
    participants: Any = tuple(everyone) if rng.random() < 0.85 else "-"
    return _thread(*msgs, participants=participants)


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_shapes_as_uris_store_the_same(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, CLEAN[name])
    converted = [_same_as_uris(path, owner) for owner in OWNERS]
    # the flag is set exactly where it may be: never with a phone: owner or Meta's mojibake, else always
    mojibake = any("mojibake" in a for a in meta.parse_plain(path, _ctx(path)).assumptions)
    assert converted == [not mojibake and not (o or "").strip().lower().startswith("phone") for o in OWNERS]


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_shapes_as_uris_store_the_same(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, ODD[name])
    for owner in (None, "name:Alice Example", "phone:07700900123"):
        _same_as_uris(path, owner)


@pytest.mark.parametrize("name", sorted(RAW_TEXT))
def test_odd_texts_as_uris_store_the_same(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, RAW_TEXT[name])
    for owner in (None, "name:A"):
        _same_as_uris(path, owner)


def test_odd_names_as_uris_store_the_same(tmp_path: Path) -> None:
    """Names that strip, fold or look like numbers, e-mail addresses, URIs or this source's scope;
    Meta's mojibake; owners of every kind: random threads of them, each owner, each layout."""
    rng = random.Random(7)
    converted = 0
    for k in range(80):
        path = _write(tmp_path, f"names{k}", _odd_names_thread(rng, k), indent=rng.choice([None, 2]))
        for owner in rng.sample(OWNERS, 3):
            converted += _same_as_uris(path, owner)
    assert converted > 80  # most took the URIs path (so this tests it)


def test_lone_surrogate_names_as_uris_store_the_same(tmp_path: Path) -> None:
    """A name with a lone surrogate (marked during the parse, the mark taken out after it): the plain rule
    reads it (the fast path refuses it), and the identifiers stay as written."""
    for i, name in enumerate(("\\udc00A", "\\ud800 A ", " \\udfff", "@\\ud800x")):
        doc = ('{"participants": [{"name": "NAME"}, {"name": "B"}], "messages": [{"sender_name": "NAME", '
               '"timestamp_ms": 2, "content": "ok"}, {"sender_name": "B", "timestamp_ms": 3, "content": "x"}]}').replace("NAME", name)
        path = _write(tmp_path, f"surrogate{i}", doc.encode())
        for owner in (None, "name:B"):
            assert not _same_as_uris(path, owner)


def test_the_public_sample_generators_and_bench_threads_as_uris_store_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fixtures.scenarios import build
    from fixtures.writers import meta_dyi

    sample = SAMPLES / "chat-miner" / "instagram" / "test_export.json"
    assert _same_as_uris(sample) and _same_as_uris(sample, "name:Dan Sample")
    bench = bench_json_file(tmp_path, monkeypatch, "meta_dyi_json", "meta", 600_000)
    assert _same_as_uris(bench) and not _same_as_uris(bench, "phone:07700900123")
    world = build("rejected-ex", 3, 0.2)
    converted = 0
    for channel, root in (("instagram", "your_instagram_activity"), ("facebook", "your_activity_across_facebook")):
        for owner in ("victim", "suspect"):
            for other, msgs in meta_dyi._threads(world, owner, channel).items():
                w = meta_dyi._json_thread(world, owner, other, msgs, tmp_path, root, channel)
                if w is not None:
                    converted += _same_as_uris(tmp_path / w.path, "tel:+447700900001")
    assert converted >= 2


def test_generated_threads_as_uris_store_the_same(tmp_path: Path) -> None:
    rng = random.Random(19)
    for k in range(40):
        everyone = ["Dan Sample", "Alice Example", "Zoë Ünder", "Bob", "Carol ❤️"][: rng.randint(2, 5)]
        writers = everyone[: rng.randint(1, len(everyone))]
        doc: dict[str, Any] = {"messages": [_random_message(rng, writers, i) for i in range(rng.randint(1, 40))]}
        if rng.random() < 0.9:
            doc = {"participants": [{"name": _moji(p)} for p in everyone], **doc}
        path = _write(tmp_path, f"gen{k}", doc, indent=rng.choice([None, 2]))
        _same_as_uris(path, rng.choice(OWNERS))


def test_a_wrong_flag_would_be_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not vacuous: identifiers flagged as URIs but left as written, or converted with another source's
    scope, fail the comparison."""
    path = _write(tmp_path, "group", CLEAN["group thread"])
    assert _same_as_uris(path)
    monkeypatch.setattr(meta, "_identifier_uris", lambda values, ctx: {v: v for v in values if v is not None})
    with pytest.raises(AssertionError):
        _same_as_uris(path)
    real = meta._identifier_uris
    monkeypatch.setattr(meta, "_identifier_uris", lambda values, ctx: real(values, _ctx(path)) and {
        v: f"name:other:{v[5:]}" for v in values if v is not None})
    with pytest.raises(AssertionError):
        _same_as_uris(path)
