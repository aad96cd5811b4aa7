"""Telegram Desktop ``result.json``: :func:`parsers.telegram_json.parse` (the per-message walk with
each look-up once, identifiers handed over as URIs where provably already so, references stated
distinct) gives what :func:`parsers.telegram_json.parse_plain` gives, and the normalised events are
the same with and without what it hands over, on the Telegram tests' fixtures, the real samples,
the bench's file, the generator's export, odd shapes and seeded mutants."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest

from atlas.errors import FormatError
from parsers import telegram_json
from parsers.base import ParseContext, ParseResult
from tests._fast_plain import (
    assert_fast_is_plain,
    assert_hand_over_is_plain,
    assert_identical,
    generated_and_bench_files,
    load_test_module,
    mutant_is_plain,
    spoiled_texts,
)

U = "1782862200"


def _m(i: int = 1, uid: Any = "user5550002", name: Any = "Dan", text: Any = "hi", **more: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": i, "type": "message", "date": "2026-07-01T00:30:00", "date_unixtime": U,
                            "from": name, "from_id": uid, "text": text}
    body.update(more)
    return {k: v for k, v in body.items() if v is not ...}


def _svc(action: Any = "phone_call", actor_id: Any = "user5550002", actor: Any = "Dan", **more: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": 9, "type": "service", "date": "2026-07-01T00:32:00", "date_unixtime": U,
                            "actor": actor, "actor_id": actor_id, "action": action, "text": ""}
    body.update(more)
    return {k: v for k, v in body.items() if v is not ...}


def _chat(*messages: Any, kind: str = "personal_chat", cid: Any = 5550002, name: str = "Dan") -> dict[str, Any]:
    return {"name": name, "type": kind, "id": cid, "messages": list(messages)}


ME = {"user_id": 5550001, "first_name": "Alice", "last_name": "Example", "phone_number": "+44 7700 900001",
      "username": "@alice_example"}
ME_QUIET = {"user_id": 5550001, "first_name": "Alice"}
OUT = _m(2, "user5550001", "Alice Example", "yo")

SHAPES: dict[str, Any] = {
    "single chat": _chat(_m(), OUT),
    "one message": _chat(_m()),
    "group": _chat(_m(), OUT, _m(3, "user5550003", "Eve", "x"), kind="private_group", cid=77, name="G"),
    "service messages": _chat(_m(), _svc(), _svc(duration_seconds=42), _svc(discard_reason="busy"),
                              _svc("group_call", duration_seconds=3.5), _svc(duration_seconds=True),
                              _svc("create_group", title="T", members=["Dan", 5]), _svc("pin_message", text=["a", {"text": "b"}]),
                              _svc(None, actor_id=..., actor=...), _svc("", new_title="N", game_title="g",
                                                                         reason_domain="d", discard_reason="x")),
    "edited, forwarded, replies": _chat(_m(edited="2026-07-01T01:00:00", edited_unixtime="1782864000"),
                                        _m(2, forwarded_from="Bob", reply_to_message_id=1), OUT),
    "text as entities": _chat(_m(text=["I'm ", {"type": "bold", "text": "outside"}, " now", 5, None, {"type": "x"}]),
                              _m(text={"text": "d"}), _m(text=7), _m(text=None), _m(text=...)),
    "missing from_id": _chat(_m(uid=...), _m(uid=None, name=None), _m(uid="", name=""), _m(uid=..., name=...),
                             _m(uid=..., name=5), _svc(actor_id=None)),
    "numbers as text and numbers": _chat(_m(uid=5550002, date_unixtime=1782862200), _m(uid="5550002"),
                                         _m(date_unixtime="", date=""), _m(date_unixtime=None, date=None),
                                         _m(date_unixtime=0, date=0), _m(date_unixtime=" 1782862200 "),
                                         _m(date_unixtime=1.7e9), _m(date_unixtime="x", date="2026-07-01 00:30"),
                                         _m(uid=0), _m(uid=False), _m(uid=1.5), cid="5550002"),
    "local times only": _chat(_m(date_unixtime=...), _m(2, date_unixtime=..., date="2026-13-01T00:00:00")),
    "media": _chat(_m(text="", photo="photos/p.jpg"), _m(text="", file="(File not included)", sticker_emoji="🙂"),
                   _m(text="", sticker_emoji="🙂"), _m(text=None, media_type="sticker", sticker_emoji=5),
                   _m(photo=0, file=["a"]), _m(text="", location_information={"latitude": 51.5, "longitude": -0.1}),
                   _m(location_information={"latitude": "x"}), _m(location_information=[1, 2])),
    "non-ASCII": _chat(_m(text="Grüße 👋 — 你好", name="Dän"), _m(2, "user5550001", "Алиса", "ça va?")),
    "lone surrogates": _chat(_m(text="bad \ud800 half"), _m(uid="user55\udc0002")),
    "upper-case and spaced ids": _chat(_m(uid="User5550002"), _m(uid=" user1 "), _m(uid="channel 3")),
    "rejects": _chat(_m(), "not a message", 5, None, [], _m(2)),
    "bot and channel": _chat(_m(), kind="bot_chat", cid="user99"),
    "personal chat without id": _chat(_m(), OUT, cid=None),
    "self chat": _chat(OUT, OUT, cid=5550001),
    "full export": {"personal_information": ME,
                    "contacts": {"list": [{"user_id": 5550002, "first_name": "Dan", "phone_number": "07700900002",
                                           "date_unixtime": "1767607200"}, {"first_name": "No"}, "x",
                                          {"user_id": 0, "phone_number": "+1 555", "last_name": "Z"}]},
                    "chats": {"list": [_chat(_m(), OUT, _svc()), "not a chat", {"name": "empty"},
                                       _chat(_m(3, "user5550003", "Eve"), kind="private_supergroup", cid=8)]},
                    "left_chats": {"list": [_chat(_m(1, "user5550004", "Old"), kind="private_group", cid=9)]}},
    "full export, own number, no contacts": {"personal_information": ME, "chats": {"list": [_chat(_m(), OUT)]}},
    "full export, no contacts": {"personal_information": ME_QUIET,
                                 "chats": {"list": [_chat(_m(), OUT), _chat(OUT, kind="private_group", cid=3)]}},
    "several chats": {"chats": {"list": [_chat(_m(), OUT), _chat(_m(1, "user5550003", "Eve"), cid=5550003),
                                         _chat(kind="private_group", cid=4)]}},
    "no chats": {"chats": {"list": []}},
    "notes and calls in several chats": {
        "personal_information": ME_QUIET,
        "chats": {"list": [_chat(_m(), _svc("pin_message"), OUT, _svc(), _svc("pin_message", actor_id="user5550001")),
                           _chat(_svc("create_group", title="T"), _m(3, "user5550003", "Eve"), _svc(duration_seconds=5),
                                 _svc("invite_members", members=["Eve"]), OUT, kind="private_group", cid=8),
                           _chat(_svc("pin_message"), kind="private_group", cid=10),
                           _chat(_m(4, "user5550004", "Old"), _svc("phone_call", actor_id="user5550004"), cid=5550004)]}},
    "one id, several names; one name, several ids": _chat(
        _m(uid="user5550002", name="Dan"), _m(uid="user5550002", name="Daniel"), _m(uid="5550002", name="Dan"),
        _m(uid=5550002, name="Dan"), _m(uid="user5550002", name="Dan"), _m(uid="user5550009", name="Dan"),
        _m(uid="", name="Dan"), _m(uid=None, name="Dan"), _m(uid="user5550002", name=""), _m(uid="5550002", name=None),
        OUT, _m(uid=True, name="Dan"), _m(uid=1, name="Dan"), _m(uid="1", name="Dan"), kind="private_group", cid=3),
}


def _write(root: Path, name: str, doc: Any, *, ascii_only: bool = True) -> Path:
    folder = root / name.replace(" ", "_").replace(",", "")
    folder.mkdir(parents=True)
    path = folder / "result.json"
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=ascii_only), encoding="utf-8", errors="surrogatepass")
    return path


def _same(path: Path, **ctx: Any) -> ParseResult:
    context = ParseContext(source_id="s", path=path, convert_identifiers=True, **ctx)
    fast, plain = telegram_json.parse(path, context), telegram_json.parse_plain(path, context)
    assert_identical(fast, plain)
    assert fast.refs_unique
    assert_hand_over_is_plain(fast, plain, context, lambda r: [r.owner] if r.owner else [])
    return fast


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_odd_shapes_read_the_same(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, SHAPES[name])
    _same(path)
    _same(path, owner="telegram:user5550001")
    _same(path, owner="phone:+447700900123")
    _same(path, owner="Sam Smith")


@pytest.mark.parametrize("name", ["non-ASCII", "full export"])
def test_unescaped_text_reads_the_same(tmp_path: Path, name: str) -> None:
    _same(_write(tmp_path, name, SHAPES[name], ascii_only=False))


def test_spoiled_files_read_or_are_refused_the_same(tmp_path: Path) -> None:
    for what, data in spoiled_texts(SHAPES["full export"]).items():
        path = tmp_path / what.replace(" ", "_") / "result.json"
        path.parent.mkdir()
        path.write_bytes(data)
        assert_fast_is_plain(telegram_json.parse, telegram_json.parse_plain, path,
                             ParseContext(source_id="s", path=path, convert_identifiers=True))


def test_what_is_handed_over_and_what_is_not(tmp_path: Path) -> None:
    for name in ("single chat", "group", "full export, no contacts", "service messages"):
        assert _same(_write(tmp_path, name, SHAPES[name])).identifiers_are_uris, name
    for name in ("full export", "missing from_id", "upper-case and spaced ids", "lone surrogates",
                 "full export, own number, no contacts"):  # the account's number: the ingest's region choice reads it
        assert not _same(_write(tmp_path, name, SHAPES[name])).identifiers_are_uris, name
    path = _write(tmp_path / "owner", "single chat", SHAPES["single chat"])
    assert not _same(path, owner="phone:+447700900123").identifiers_are_uris
    assert _same(path, owner="telegram:user5550001").identifiers_are_uris
    context = ParseContext(source_id="s", path=path)  # not asked: identifiers stay as written
    assert not telegram_json.parse(path, context).identifiers_are_uris


def test_the_real_samples_read_the_same(samples: Path) -> None:
    folder = samples / "chat-miner" / "telegram"
    declared = [folder.parent.parent / s.sample for s in telegram_json.INFO.sample_counts]
    assert declared and all(p.is_file() for p in declared)
    for path in declared:  # read in place
        _same(path)
        _same(path, owner="telegram:user5550001")


def test_the_generators_export_and_the_bench_file_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for path in generated_and_bench_files(tmp_path, monkeypatch, "result.json", "telegram_json", "telegram"):
        _same(path)
        _same(path, owner="telegram:user5550001")


@pytest.mark.parametrize("module", ["test_messaging_exports"])
def test_the_telegram_tests_pass_with_the_plain_rule(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, module: str) -> None:
    """The Telegram tests that need only a folder, run again with the plain rule as ``parse``."""
    tests = load_test_module(module)
    monkeypatch.setattr(telegram_json, "parse", telegram_json.parse_plain)
    ran = 0
    for name in dir(tests):
        fn = getattr(tests, name)
        if name.startswith("test_telegram") and list(inspect.signature(fn).parameters) == ["tmp_path"]:
            (tmp_path / name).mkdir()
            fn(tmp_path / name)
            ran += 1
    assert ran


def test_the_telegram_tests_fixture_reads_the_same(tmp_path: Path) -> None:
    tests = load_test_module("test_messaging_exports")
    for unixtime in (True, False):
        (tmp_path / str(unixtime)).mkdir()
        path = tests._full_export(tmp_path / str(unixtime), unixtime=unixtime)
        _same(path)
        _same(path, owner="telegram:user5550001")


def test_mutants_read_the_same_by_both_rules(tmp_path: Path) -> None:
    """Seeded mutants of a small export (bytes deleted, inserted, replaced, copied:
    tests/test_fast_routes_mutated.py's mutations): both rules read each the same once normalised,
    or refuse it in the same words."""
    import random

    mutated = load_test_module("test_fast_routes_mutated")
    text = _write(tmp_path / "seed", "seed", SHAPES["full export"], ascii_only=False).read_bytes()
    single = _write(tmp_path / "seed", "single", SHAPES["service messages"], ascii_only=False).read_bytes()
    path = tmp_path / "mutant" / "result.json"
    path.parent.mkdir()
    rng = random.Random("mutants:telegram_json")
    read = 0
    for trial in range(120):
        path.write_bytes(mutated._mutant(text if trial % 3 else single, rng))
        ctx = ParseContext(source_id="s", path=path, convert_identifiers=trial % 2 == 0)
        both = mutant_is_plain(mutated, telegram_json.parse, telegram_json.parse_plain, path, ctx, trial)
        if both is None:
            continue
        read += 1
        assert_identical(*both)
    assert read >= 20, read


def _big_chat(n: int, cid: int, *, spoiled_at: int | None = None, group: bool = False) -> dict[str, Any]:
    """A chat of ``n`` messages from three senders, with notes, calls, photos, stickers, places, list
    texts; a non-object at ``spoiled_at``."""
    messages: list[Any] = []
    for i in range(n):
        who = [("user5550001", "Alice Example"), (f"user{cid}", "Dan"), ("user5550003", "Eve")][i % 3 if group else i % 2]
        if i % 97 == 5:
            messages.append(_svc("phone_call", actor_id=who[0], actor=who[1], duration_seconds=i % 7))
        elif i % 89 == 7:
            messages.append(_svc("pin_message", actor_id=who[0], actor=who[1], text=["p", {"type": "bold", "text": str(i)}]))
        elif i % 53 == 3:
            messages.append(_m(i, *who, text="", photo=f"photos/{i}.jpg", sticker_emoji="🙂" if i % 2 else ...))
        elif i % 61 == 9:
            messages.append(_m(i, *who, text=["run ", {"type": "link", "text": f"https://t.me/{i}"}],
                               location_information={"latitude": 51.5 + i / 1e4, "longitude": -0.1}))
        else:
            messages.append(_m(i, *who, text=f"message {i}", date_unixtime=str(1782862200 + 60 * i)))
    if spoiled_at is not None:
        messages[spoiled_at] = "not a message"
    return _chat(*messages, kind="private_group" if group else "personal_chat", cid=cid)


def test_big_and_small_chats_read_the_same(tmp_path: Path) -> None:
    """Chats big enough for their references to be made by Polars, beside small ones made by Python,
    one big one with a message that is no object (its references then the messages' own numbers),
    notes and calls in several chats."""
    assert telegram_json._REFS_BY_POLARS <= 2_500
    doc = {"personal_information": ME, "chats": {"list": [
        _big_chat(2_500, 5550002), _chat(_m(), OUT), _big_chat(2_600, 5550005, spoiled_at=1_234, group=True),
        _chat(_m(1, "user5550003", "Eve"), _svc(), cid=5550003), _big_chat(3_000, 5550006, group=True),
    ]}, "left_chats": {"list": [_big_chat(2_100, 5550007)]}}
    path = _write(tmp_path, "big", doc, ascii_only=False)
    fast = _same(path)
    assert fast.events.height > 10_000 and fast.rejects.height == 1
    _same(path, owner="telegram:user5550001")


# --- the Arrow route (parsers.telegram_json._parse_arrow) --------------------------------------

CONTACTS = {"list": [{"user_id": 5550002, "first_name": "Dan", "phone_number": "07700900002", "date_unixtime": "1767607200"},
                     {"user_id": 0, "phone_number": "+1 555", "last_name": "Z"}, {"phone_number": "+44 7700 900003"}]}
ARROW_SHAPES: dict[str, Any] = {
    "calls and notes": {
        "personal_information": ME, "contacts": CONTACTS,
        "chats": {"list": [
            _chat(_m(), OUT, _svc(), _svc(duration_seconds=42), _svc(discard_reason="busy"), _svc(duration_seconds=7.9),
                  _svc(discard_reason="missed", duration_seconds=3), _svc("group_call", duration_seconds=0.5),
                  _svc("phone_call", actor_id="user5550001", actor="Alice Example", duration_seconds=1e3, text="call")),
            _chat(_svc("create_group", title="T", members=["Dan", "Eve"]), _m(3, "user5550003", "Eve"),
                  _svc("pin_message", text="pinned"), _svc(None, actor_id=..., actor=...),
                  _svc("", new_title="N", game_title="g", reason_domain="d", discard_reason="x", members=[]),
                  _svc("invite_members", members=["Eve", None]), OUT, kind="private_group", cid=8),
            {"name": "no messages", "type": "personal_chat", "id": 5}, _chat(kind="private_group", cid=4)]},
        "left_chats": {"list": [_chat(_m(1, "user5550004", "Old"), kind="private_group", cid=9)]}},
    "media and places": _chat(
        _m(text="", photo="photos/p.jpg"), _m(text="", file="(File not included)", sticker_emoji="🙂"),
        _m(text="", sticker_emoji="🙂"), _m(text=None, media_type="sticker", sticker_emoji="x"), _m(photo="", file=""),
        _m(text="", location_information={"latitude": 51.5, "longitude": -0.1}), _m(location_information={}),
        _m(location_information={"latitude": 51, "longitude": -1}), _m(location_information=None), OUT,
        _svc("pin_message", photo="p.jpg", sticker_emoji="s"), _svc(file="f", sticker_emoji="s")),
    "escapes": _chat(_m(text='say "hi" \\ back\nslash\ttab \x00 \u2028 😀 Grüße'), _m(2, name='Dä "n"', text="/")),
    "awkward numbers": _chat(_m(location_information={"latitude": 51.50000000000000001, "longitude": 1e-320}),
                             _m(location_information={"latitude": -0.5, "longitude": 2.5e-8}),
                             _svc(duration_seconds=2**52), cid=2**62),
    "dates": _chat(_m(date_unixtime=...), _m(date_unixtime=""), _m(date=""), _m(date_unixtime="", date=""),
                   _m(date_unixtime=" 1782862200 "), _m(date_unixtime="x", date="2026-07-01 00:30")),
    "senders": _chat(_m(uid="5550002"), _m(uid="user5550002", name="Daniel"), _m(uid="", name="Dan"), _m(uid=..., name="Dan"),
                     _m(uid="", name=""), _m(uid=None, name=None), _m(uid="²", name="sq"), _m(uid="User5550002"),
                     _svc("pin_message", actor_id="", actor="Pin"), _svc("pin_message", actor="Eve"), OUT,
                     kind="private_supergroup", cid=3),
    "empty": {"chats": {"list": []}, "left_chats": {"list": [_chat(cid=1)]}},
    "text as runs": {"personal_information": ME_QUIET, "chats": {"list": [
        _chat(_m(text=["I'm ", {"type": "bold", "text": "outside"}, " now", 5, None, {"type": "x"}]), _m(text=["plain"]),
              _m(text=[]), _m(text=[{"type": "link", "text": 'q"uote\\ \n'}, ["nested", ["twice"]], {"text": float("nan")}]),
              _m(text=["", ""], sticker_emoji="🙂"), _svc("pin_message", text=["a", {"text": "b"}]),
              _svc(duration_seconds=4, text=[{"type": "bold", "text": "call"}]), OUT),
        _chat(_m(text="plain text"), _m(text=[{"type": "mention", "text": "@eve", "user_id": 5}, " 😀"]), cid=5550003)]}},
}


def _arrow_reads(path: Path) -> bool:
    try:
        telegram_json._parse_arrow(path, ParseContext(source_id="s", path=path, convert_identifiers=True))
    except telegram_json._NotFast:
        return False
    return True


@pytest.mark.parametrize("name", sorted(ARROW_SHAPES))
def test_the_arrow_route_reads_these_and_reads_them_the_same(tmp_path: Path, name: str) -> None:
    for ascii_only in (True, False):
        path = _write(tmp_path / str(ascii_only), name, ARROW_SHAPES[name], ascii_only=ascii_only)
        assert _arrow_reads(path), name
        _same(path)
        _same(path, owner="telegram:user5550001")
        _same(path, owner="phone:+447700900123")


def test_the_arrow_route_reads_the_generators_export_and_the_bench_file(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for path in generated_and_bench_files(tmp_path, monkeypatch, "result.json", "telegram_json", "telegram"):
        assert _arrow_reads(path), path


def _one(extra: str = "", text: str = '"hi"', head: str = "", loc: str = "", tail: str = "") -> bytes:
    message = (f'{{"id": 1, "type": "message", "date": "2026-07-01T00:30:00", "date_unixtime": "1782862200", '
               f'"from": "Dan", "from_id": "user5550002", "text": {text}{loc}{extra}}}')
    return f'{head}{{"name": "Dan", "type": "personal_chat", "id": 5550002, "messages": [{message}, {{"id": 2}}]}}{tail}'\
        .encode("utf-8", "surrogatepass")


REFUSED: dict[str, bytes] = {
    "Inf (Python refuses it)": _one(', "x": Inf'),
    "-Inf": _one(', "x": [-Inf]'),
    "-NaN": _one(', "x": {"y": -NaN}'),
    "Infinity where a number is read": _one(loc=', "location_information": {"latitude": Infinity, "longitude": 1}'),
    "a repeated key": _one(', "text": "again"'),
    "-0 as a coordinate": _one(loc=', "location_information": {"latitude": -0, "longitude": 5}'),
    "0 as a coordinate": _one(loc=', "location_information": {"latitude": 0.0, "longitude": 5}'),
    "a coordinate past a float's integers": _one(loc=', "location_information": {"latitude": 9007199254740993, '
                                                 '"longitude": 5}'),
    "a number too big for a float": _one(', "x": 1e400'),
    "an id past 64 bits": _one().replace(b"5550002,", b"99999999999999999999,"),
    "text as runs, written tight": _one(text='["a", {"type": "bold", "text": "b"}]').replace(b'"text": [', b'"text":['),
    "text as a number": _one(text="5"),
    "a lone surrogate": _one(text='"a \\ud800 b"'),
    "a byte-order mark": _one(head="\ufeff"),
    "a second document": _one(tail=' {"messages": []}'),
    "text after the document": _one(tail=" x"),
    "a null message": _one().replace(b'{"id": 2}', b"null"),
    "a message that is a list": _one().replace(b'{"id": 2}', b"[]"),
    "a contact without a number": json.dumps({"contacts": {"list": [{"first_name": "A"}]},
                                              "chats": {"list": [_chat(_m())]}}).encode(),
    "a null chat": json.dumps({"chats": {"list": [None, _chat(_m())]}}).encode(),
    "no chats": json.dumps({"chats": {"about": "x"}}).encode(),
    "not UTF-8": _one(text='"caf\\u00e9"').replace(b"caf\\u00e9", b"caf\xe9"),
    "runs with a lone surrogate": _one(text='["a \\ud800 b"]'),
    "runs nested deep": _one(text="[" * 20 + "]" * 20),
    "runs that are not JSON": _one(text='["a", }'),
    "runs beside the text": _one(', "text": ["x"]'),
    "a marker of runs written in the file": _one(', "text_runs_at": 0'),
    "runs and a marker written in the file": _one(text='["a"]', extra=', "text_runs_at": 0'),
    "a duration past a float's integers": _one().replace(b'"type": "message"', b'"type": "service", "action": '
                                                         b'"phone_call", "duration_seconds": 9007199254740993'),
    "runs in a message and in a chat": _one(', "x": 1}], "text": ["x"], "y": [{"a": 2', text='["a"]'),
}
"""Documents the Arrow route leaves to the walk."""

UNREAD: dict[str, bytes] = {
    "NaN in a field not read (Python reads it)": _one(', "x": NaN, "y": [Infinity, -Infinity]'),
    "nested deep in a field not read": _one(', "x": ' + "[" * 80 + "]" * 80),
    "a repeated key not read": _one(', "x": 1, "x": 2'),
    "runs after a key ending in an escaped quote": _one(', "a\\"text": ["x"]'),
    "runs where no message is": _one(head='{"text": ["x"], "messages": [{"text": "a"}], "x": ').replace(b"}]}", b"}]}}"),
    "runs in a chat": _one(', "x": 1}], "text": ["x"], "y": [{"a": 2'),
    "Inf in texts": _one(text='"Info: Inf, and [Inf"', extra=', "y": "Inf"'),
}
"""Documents with what the Arrow route leaves unread out of the ordinary: it reads them."""


@pytest.mark.parametrize("name", sorted(UNREAD))
def test_what_the_arrow_route_leaves_unread_it_reads_the_same(tmp_path: Path, name: str) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(UNREAD[name])
    assert _arrow_reads(path) == (name != "Inf in texts"), name  # ', Inf' in a text: refused, read by the walk
    _same(path)


@pytest.mark.parametrize("depth", [3_000, 200_000])
def test_nesting_past_pythons_limit_where_nothing_is_read_is_read(tmp_path: Path, depth: int) -> None:
    """The one difference (parsers.telegram_json._arrow_doc): ``json.loads``, so the plain rule, fails
    on nesting past Python's recursion limit (now a FormatError naming the depth and place); the Arrow
    route, not reading the field, reads the
    messages (and its reader, leaving the field's layout unread, does not overflow)."""
    deep = tmp_path / "deep" / "result.json"
    deep.parent.mkdir()
    deep.write_bytes(_one(', "x": ' + "[" * depth + "]" * depth))
    context = ParseContext(source_id="s", path=deep, convert_identifiers=True)
    with pytest.raises(FormatError, match=r"result\.json: the Telegram Desktop export is nested [\d,]+ levels deep"):
        telegram_json.parse_plain(deep, context)  # the plain rule's RecursionError, as one line naming the place
    flat = tmp_path / "flat" / "result.json"
    flat.parent.mkdir()
    flat.write_bytes(_one(', "x": []'))
    assert_identical(telegram_json.parse(deep, context),
                     telegram_json.parse_plain(flat, ParseContext(source_id="s", path=flat, convert_identifiers=True)))


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_the_arrow_route_leaves_these_to_the_walk_and_they_read_the_same(tmp_path: Path, name: str) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(REFUSED[name])
    assert not _arrow_reads(path), name
    context = ParseContext(source_id="s", path=path, convert_identifiers=True)
    try:
        plain = telegram_json.parse_plain(path, context)
    except (FormatError, RecursionError) as exc:
        with pytest.raises(type(exc)) as got:
            telegram_json.parse(path, context)
        assert str(got.value) == str(exc)
        return
    assert_identical(telegram_json.parse(path, context), plain)


def test_mutants_of_what_the_arrow_route_reads_read_the_same(tmp_path: Path) -> None:
    """As :func:`test_mutants_read_the_same_by_both_rules`, seeded with documents the Arrow route reads."""
    import random

    mutated = load_test_module("test_fast_routes_mutated")
    seeds = [_write(tmp_path / "seed", name, ARROW_SHAPES[name], ascii_only=False).read_bytes()
             for name in ("calls and notes", "media and places", "escapes")]
    path = tmp_path / "mutant" / "result.json"
    path.parent.mkdir()
    rng = random.Random("mutants:telegram_json:arrow")
    read = by_arrow = 0
    for trial in range(150):
        path.write_bytes(mutated._mutant(seeds[trial % 3], rng))
        by_arrow += _arrow_reads(path)
        ctx = ParseContext(source_id="s", path=path, convert_identifiers=trial % 2 == 0)
        both = mutant_is_plain(mutated, telegram_json.parse, telegram_json.parse_plain, path, ctx, trial)
        if both is None:
            continue
        read += 1
        assert_identical(*both)
    assert read >= 20 and by_arrow >= 10, (read, by_arrow)
