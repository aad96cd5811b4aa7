"""X archive direct messages: :func:`parsers.x_archive.parse` (the times read with the commonest
format first, identifiers handed over as URIs, references stated distinct) gives what
:func:`parsers.x_archive.parse_plain` gives, and the normalised events are the same with and
without what it hands over, on generated archives, the bench's file and odd shapes."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest

from parsers import x_archive
from parsers.base import ParseContext, ParseResult
from tests._fast_plain import (
    assert_fast_is_plain,
    assert_hand_over_is_plain,
    assert_identical,
    generated_and_bench_files,
    load_test_module,
    mutant_is_plain,
)

T = "2026-03-01T10:00:00.000Z"


def _m(sender: Any = "1001", text: Any = "hi", at: Any = T, recipient: Any = "2002", **more: Any) -> dict[str, Any]:
    body = {"recipientId": recipient, "text": text, "createdAt": at, "senderId": sender, "id": "1",
            "reactions": [], "urls": [], "mediaUrls": []}
    body.update(more)
    return {"messageCreate": {k: v for k, v in body.items() if v is not ...}}


def _conv(cid: str, *messages: Any) -> dict[str, Any]:
    return {"dmConversation": {"conversationId": cid, "messages": list(messages)}}


GROUP = _conv(
    "1600000000000",
    _m("2002", "later", "2026-03-02T10:00:00.000Z", recipient=...),
    {"participantsLeave": {"userIds": ["3003"], "createdAt": "2026-03-01T12:00:00.000Z"}},
    {"conversationNameUpdate": {"initiatingUserId": "1001", "name": "Plans ✓", "createdAt": "2026-03-01T11:00:00.000Z"}},
    _m("3003", "früh", "2026-03-01T10:30:00.000Z", recipient=...),
    {"participantsJoin": {"initiatingUserId": "1001", "userIds": ["4004"], "createdAt": "2026-03-01T10:10:00.000Z"}},
    {"joinConversation": {"initiatingUserId": "2002", "participantsSnapshot": ["1001", "2002", "3003"],
                          "createdAt": "2026-03-01T10:00:00.000Z"}},
)

SHAPES: dict[str, list[Any]] = {
    "one-to-one": [_conv("1001-2002", _m(), _m("2002", "yo", "2026-03-01T09:00:00.123Z", "1001"))],
    "one message": [_conv("1001-2002", _m())],
    "group": [GROUP],
    "one-to-one and group": [_conv("1001-2002", _m()), GROUP, _conv("1001-5005", _m(recipient="5005"))],
    "reactions, urls, media": [_conv("1001-2002", _m(
        reactions=[{"senderId": "2002", "reactionKey": "like", "createdAt": T}, {"senderId": 2002}, "x"],
        urls=[{"url": "https://t.co/a", "expanded": "https://example.org/ä"}, {"url": "https://t.co/b"}, 7],
        mediaUrls=["https://ton.twitter.com/1/a.jpg"]))],
    "missing fields": [_conv("1001-2002", _m(sender=..., text=..., at=..., recipient=...), _m(text=None, at=None),
                             _m(at=""), {"messageCreate": {}})],
    "non-ASCII": [_conv("1001-2002", _m(text="Grüße 👋 — 你好"), _m("2002", "ça va?", recipient="1001"))],
    "lone surrogates": [_conv("1001-2002", _m(text="bad \ud800 half"), _m(sender="10\udc0001"))],
    "numbers as numbers": [_conv("1001-2002", _m(sender=1001, recipient=2002, text=5, at=1700000000))],
    "times in other shapes": [_conv("1001-2002", *(_m(at=a) for a in (
        " 2026-03-01T10:00:00Z ", "2026-03-01T11:00:00.000+01:00", "2026-03-01T11:00:00+0100",
        "2026-03-01 10:00:00+00:00", "2026-03-01 10:00:00.5Z", "yesterday", "2026-03-01", "2026-03-01T10:00:00")))],
    "upper-case and spaced ids": [_conv("ABC-2002", _m(sender="ABC"), _m(sender=" 2002 ", recipient="ABC"))],
    "odd values": [_conv("1001-2002", _m(recipient=...), _m(sender=0, initiatingUserId="2002", recipient=0),
                         _m(mediaUrls="ab", urls={"url": 1}, reactions={"senderId": "2002"}, text=["a"]),
                         _m(sender=False, recipient=0.0, text=0, at=0), _m(sender=None, recipient=""),
                         {"participantsJoin": {"initiatingUserId": 0, "userIds": [5005, "6006"], "createdAt": T}},
                         {"conversationNameUpdate": {"senderId": "2002", "name": "", "userIds": []}},
                         {"reactionCreate": {"senderId": "2002", "createdAt": T}}, {}, None, [])],
    "rejects": [_conv("1001-2002", _m(), "not an event", {"a": {}, "b": {}}, {"messageCreate": "text"}),
                {"notAConversation": {}}, _conv("1001-2002")],
    "no conversations": [],
}


def _write(root: Path, name: str, doc: list[Any], *, account: bool, ascii_only: bool = True) -> Path:
    data = root / name.replace(" ", "_").replace(",", "") / "data"
    data.mkdir(parents=True)
    path = data / "direct-messages.js"
    path.write_text("window.YTD.direct_messages.part0 = " + json.dumps(doc, indent=2, ensure_ascii=ascii_only),
                    encoding="utf-8", errors="surrogatepass")
    if account:
        (data / "account.js").write_text("window.YTD.account.part0 = " + json.dumps(
            [{"account": {"accountId": "1001", "username": "sam", "accountDisplayName": "Sam"}}]), encoding="utf-8")
    return path


def _same(path: Path, **ctx: Any) -> ParseResult:
    context = ParseContext(source_id="s", path=path, convert_identifiers=True, **ctx)
    fast, plain = x_archive.parse(path, context), x_archive.parse_plain(path, context)
    assert_identical(fast, plain)
    assert_hand_over_is_plain(fast, plain, context, lambda r: ["x:id:1001"] if r.owner else [])
    return fast


@pytest.mark.parametrize("name", sorted(SHAPES))
@pytest.mark.parametrize("account", [True, False])
def test_odd_shapes_read_the_same(tmp_path: Path, name: str, account: bool) -> None:
    path = _write(tmp_path, name, SHAPES[name], account=account)
    _same(path)
    _same(path, owner="x:id:1001")
    _same(path, owner="phone:+447700900123")
    _same(path, owner="Sam Smith")


@pytest.mark.parametrize("name", ["non-ASCII", "one-to-one and group"])
def test_unescaped_text_reads_the_same(tmp_path: Path, name: str) -> None:
    _same(_write(tmp_path, name, SHAPES[name], account=True, ascii_only=False))


def test_what_is_handed_over_and_what_is_not(tmp_path: Path) -> None:
    clean = _same(_write(tmp_path, "one-to-one and group", SHAPES["one-to-one and group"], account=True))
    assert clean.identifiers_are_uris and clean.refs_unique
    for name in ("upper-case and spaced ids", "lone surrogates"):
        assert not _same(_write(tmp_path, name, SHAPES[name], account=True)).identifiers_are_uris, name
    path = _write(tmp_path / "owner", "one-to-one", SHAPES["one-to-one"], account=False)
    assert not _same(path, owner="phone:+447700900123").identifiers_are_uris
    context = ParseContext(source_id="s", path=path)  # not asked: identifiers stay as written
    assert not x_archive.parse(path, context).identifiers_are_uris


def heavy_archive(conversations: int, messages: int, seed: int = 7) -> list[Any]:
    """Shaped like a real archive: many one-to-one conversations and some groups (joins, leaves,
    renames), newest first, texts with quotes, newlines, accents and emoji, some media, links and
    reactions, ids as X writes them (digits as text)."""
    import random
    from datetime import UTC, datetime, timedelta

    rng = random.Random(seed)
    owner, start = "1001", datetime(2024, 1, 1, tzinfo=UTC)
    texts = ["ok", 'she said "no"', "line one\nline two", "café à 8h? 🙂", "{not json}", "https://t.co/x"]
    doc: list[Any] = []
    for c in range(conversations):
        group = c % 10 == 9
        others = [str(5000 + rng.randrange(300)) for _ in range(4 if group else 1)]
        entries: list[Any] = []
        for k in range(messages):
            at = f"{start + timedelta(minutes=rng.randrange(10**6)):%Y-%m-%dT%H:%M:%S}.{rng.randrange(1000):03d}Z"
            sender = rng.choice([owner, *others])
            more: dict[str, Any] = {}
            if rng.random() < 0.1:
                more["mediaUrls"] = [f"https://ton.twitter.com/dm/{c}/{k}.jpg"]
            if rng.random() < 0.1:
                more["urls"] = [{"url": "https://t.co/a", "expanded": "https://example.org/x", "display": "example.org"}]
            if rng.random() < 0.05:
                more["reactions"] = [{"senderId": owner, "reactionKey": "like", "eventId": "9", "createdAt": at}]
            recipient = ... if group else (others[0] if sender == owner else owner)
            entries.append(_m(sender, rng.choice(texts), at, recipient, **more))
        if group:
            entries += [{"conversationNameUpdate": {"initiatingUserId": others[0], "name": f"Group {c}",
                                                    "createdAt": "2024-01-01T00:01:00.000Z"}},
                        {"participantsLeave": {"userIds": [others[1]], "createdAt": "2024-06-01T00:00:00.000Z"}},
                        {"joinConversation": {"initiatingUserId": others[0], "participantsSnapshot": [owner, *others],
                                              "createdAt": "2024-01-01T00:00:00.000Z"}}]
        entries.sort(key=lambda e: str(next(iter(e.values())).get("createdAt")), reverse=True)
        doc.append(_conv("1600000000" + str(c) if group else "-".join(sorted([owner, others[0]])), *entries))
    return doc


def test_a_heavy_users_archive_reads_the_same(tmp_path: Path) -> None:
    path = _write(tmp_path, "heavy", heavy_archive(60, 40), account=True, ascii_only=False)
    assert _same(path).identifiers_are_uris
    _same(path, owner="x:id:1001")


def test_the_generators_archive_and_the_bench_file_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for path in generated_and_bench_files(tmp_path, monkeypatch, "direct-messages*.js", "x_archive", "x"):
        assert _same(path).identifiers_are_uris
        _same(path, owner="x:id:1001")


@pytest.mark.parametrize("module", ["test_x_archive_owner", "test_messaging_exports"])
def test_the_x_tests_pass_with_the_plain_rule(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, module: str) -> None:
    """The X archive tests, run again with the plain rule as ``parse``: both rules pass them."""
    tests = load_test_module(module)
    monkeypatch.setattr(x_archive, "parse", x_archive.parse_plain)
    ran = 0
    for name in dir(tests):
        fn = getattr(tests, name)
        wanted = name.startswith("test_x") or (module == "test_x_archive_owner" and name.startswith("test_"))
        if wanted and list(inspect.signature(fn).parameters) == ["tmp_path"]:  # (those that need no other fixture)
            (tmp_path / name).mkdir()
            fn(tmp_path / name)
            ran += 1
    assert ran


def test_mutants_read_the_same_by_both_rules(tmp_path: Path) -> None:
    """Seeded mutants of a small heavy-user archive (bytes deleted, inserted, replaced, copied:
    tests/test_fast_routes_mutated.py's mutations): both rules read each the same once normalised,
    or refuse it in the same words."""
    import random

    mutated = load_test_module("test_fast_routes_mutated")
    text = _write(tmp_path / "seed", "seed", heavy_archive(6, 8), account=False, ascii_only=False).read_bytes()
    path = tmp_path / "data" / "direct-messages.js"
    path.parent.mkdir()
    rng = random.Random("mutants:x_archive")
    read = 0
    for trial in range(60):
        path.write_bytes(mutated._mutant(text, rng))
        ctx = ParseContext(source_id="s", path=path, convert_identifiers=trial % 2 == 0)
        read += mutant_is_plain(mutated, x_archive.parse, x_archive.parse_plain, path, ctx, trial) is not None
    assert read >= 10, read


# --- the Polars route (parsers.x_archive._polars_dms) -----------------------------------------
# parse reads a one-to-one direct-message file by Polars where its counts prove the read; every
# test above runs through it (or through the walk where it refuses). These check which files it
# reads, that it refuses what it cannot prove, and that the walk alone still equals the plain rule.

CLEAN = {
    "one-to-one": SHAPES["one-to-one"],
    "one message": SHAPES["one message"],
    "non-ASCII": SHAPES["non-ASCII"],
    "times in other shapes": SHAPES["times in other shapes"],
    "reactions, urls, media (well formed)": [_conv("1001-2002", _m(
        reactions=[{"senderId": "2002", "reactionKey": "like", "eventId": "9", "createdAt": T},
                   {"senderId": "", "reactionKey": "", "createdAt": ""}, {}],
        urls=[{"url": "https://t.co/a", "expanded": "https://example.org/ä", "display": "example.org/ä"},
              {"url": "https://t.co/b"}, {"expanded": ""}, {"url": "", "expanded": ""}, {}],
        mediaUrls=["https://ton.twitter.com/1/a.jpg", ""]), _m("2002", "no extras", recipient="1001"),
        _m(mediaUrls=["https://ton.twitter.com/1/b.jpg"]), _m(reactions=[{"senderId": "1001", "reactionKey": "agree"}]))],
    "absent and empty fields": [_conv("1001-2002", _m(sender=..., text=..., at=..., recipient=...), _m(text="", at=""),
                                      _m(sender="", recipient=""), {"messageCreate": {}},
                                      _m(reactions=..., urls=..., mediaUrls=...), _m(recipient=""))],
    "many conversations": [_conv(f"1001-{2002 + i}", *(_m("1001" if j % 2 else str(2002 + i), f"m{i}.{j}",
                                                         f"2026-03-0{1 + j % 9}T10:00:0{j % 10}.{j:03d}Z",
                                                         str(2002 + i) if j % 2 else "1001") for j in range(i % 4)))
                           for i in range(12)],
    "text with counted characters": [_conv("1001-2002", _m(text='a: "b" [c] {d} \\ e: [] {} ::'),
                                           _m(text="[{\"x\": 1}]", recipient="1001", sender="2002"))],
    "no recipient at all": [_conv("1001-2002", _m(recipient=...), _m("2002", recipient=...)),
                            _conv("1001-3003", _m("3003", recipient=""))],
    "an empty conversation": [_conv("1001-2002"), _conv("1001-3003", _m(recipient="3003"))],
    "edit history": [_conv("1001-2002", _m(editHistory=[]), _m(editHistory=["1700000000000000001"]))],
}
"""Files the Polars route reads (and must read as the plain rule does)."""

REFUSED: dict[str, str] = {
    "null text": '[{"dmConversation": {"conversationId": "1001-2002", "messages": [{"messageCreate": '
                 '{"senderId": "1001", "recipientId": "2002", "text": null}}]}}]',
    "a number": '[{"dmConversation": {"conversationId": "1001-2002", "messages": [{"messageCreate": '
                '{"senderId": 1001, "recipientId": "2002", "text": "a"}}]}}]',
    "true": '[{"dmConversation": {"conversationId": "1001-2002", "messages": [{"messageCreate": '
            '{"senderId": "1001", "recipientId": "2002", "text": true}}]}}]',
    "a key given twice": '[{"dmConversation": {"conversationId": "1001-2002", "messages": [{"messageCreate": '
                         '{"senderId": "1001", "recipientId": "2002", "text": "a", "text": "b"}}]}}]',
    "a key not in the layout": '[{"dmConversation": {"conversationId": "1001-2002", "messages": [{"messageCreate": '
                               '{"senderId": "1001", "recipientId": "2002", "initiatingUserId": "2002"}}]}}]',
    "a text where a list is": '[{"dmConversation": {"conversationId": "1001-2002", "messages": [{"messageCreate": '
                              '{"senderId": "1001", "recipientId": "2002", "mediaUrls": "ab"}}]}}]',
    "a null in a list": '[{"dmConversation": {"conversationId": "1001-2002", "messages": [{"messageCreate": '
                        '{"senderId": "1001", "recipientId": "2002", "mediaUrls": [null]}}]}}]',
    "an escaped colon": '[{"dmConversation": {"conversationId": "1001-2002", "messages": [{"messageCreate": '
                        '{"senderId": "1001", "recipientId": "2002", "text": "a\\u003ab"}}]}}]',
    "an escaped bracket": '[{"dmConversation": {"conversationId": "1001-2002", "messages": [{"messageCreate": '
                          '{"senderId": "1001", "recipientId": "2002", "text": "a\\u005bb"}}]}}]',
    "an escaped quote": '[{"dmConversation": {"conversationId": "1001-2002", "messages": [{"messageCreate": '
                        '{"senderId": "1001", "recipientId": "2002", "text": "a\\u0022b"}}]}}]',
    "a lone surrogate": '[{"dmConversation": {"conversationId": "1001-2002", "messages": [{"messageCreate": '
                        '{"senderId": "1001", "recipientId": "2002", "text": "a\\ud800b"}}]}}]',
    "another event": '[{"dmConversation": {"conversationId": "1001-2002", "messages": [{"reactionCreate": '
                     '{"senderId": "1001", "createdAt": "2026-03-01T10:00:00.000Z"}}]}}]',
    "an empty entry": '[{"dmConversation": {"conversationId": "1001-2002", "messages": [{}]}}]',
    "no messages key": '[{"dmConversation": {"conversationId": "1001-2002"}}]',
    "a group": '[{"dmConversation": {"conversationId": "1600000000", "messages": [{"messageCreate": '
               '{"senderId": "1001", "text": "a"}}]}}]',
    "not digits": '[{"dmConversation": {"conversationId": "ABC-2002", "messages": [{"messageCreate": '
                  '{"senderId": "ABC", "recipientId": "2002", "text": "a"}}]}}]',
    "no conversations": "[]",
    "an edit history of objects": '[{"dmConversation": {"conversationId": "1001-2002", "messages": [{"messageCreate": '
                                  '{"senderId": "1001", "recipientId": "2002", "editHistory": [{"text": "a"}]}}]}}]',
    "text after the list": '[{"dmConversation": {"conversationId": "1001-2002", "messages": []}}] x',
    "a number as the document": "5",
}
"""Files the Polars route refuses (the walk reads them, or names the fault as the plain rule does)."""


def _context(path: Path, **ctx: Any) -> ParseContext:
    return ParseContext(source_id="s", path=path, convert_identifiers=True, **ctx)


@pytest.mark.parametrize("name", sorted(CLEAN))
@pytest.mark.parametrize("account", [True, False])
def test_the_polars_route_reads_well_formed_files_as_the_plain_rule(tmp_path: Path, name: str, account: bool) -> None:
    for ascii_only in (True, False):
        path = _write(tmp_path / str(ascii_only), name, CLEAN[name], account=account, ascii_only=ascii_only)
        for owner in (None, "x:id:1001", "phone:+447700900123"):
            ctx = _context(path, owner=owner)
            got = x_archive._polars_dms(path, ctx)
            assert got is not None, name
            assert_identical(got, x_archive.parse_plain(path, ctx))
            _same(path, owner=owner)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_the_polars_route_refuses_what_it_cannot_prove(tmp_path: Path, name: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    path = data / "direct-messages.js"
    path.write_text("window.YTD.direct_messages.part0 = " + REFUSED[name], encoding="utf-8")
    assert x_archive._polars_dms(path, _context(path)) is None
    assert_fast_is_plain(x_archive.parse, x_archive.parse_plain, path, _context(path))


def test_the_polars_route_reads_only_direct_messages(tmp_path: Path) -> None:
    path = tmp_path / "data" / "direct-messages.js"
    path.parent.mkdir()
    body = json.dumps(CLEAN["one-to-one"])
    for head, read in [("window.YTD.direct_messages.part0 = ", True), ("\ufeff  window.YTD.direct_messages_group.part1=", True),
                       ("window.YTD.tweets.part0 = ", False), ("window.YTD.direct_messages.part0 = \u00a0", False),
                       ("\u00a0window.YTD.direct_messages.part0 = ", False), ("window.YTD.direct_messages.part٣ = ", False)]:
        path.write_text(head + body + "\n", encoding="utf-8")
        assert (x_archive._polars_dms(path, _context(path)) is not None) is read, head
        assert_fast_is_plain(x_archive.parse, x_archive.parse_plain, path, _context(path))


def test_spoiled_files_read_or_refused_as_the_plain_rule(tmp_path: Path) -> None:
    from tests._fast_plain import spoiled_texts

    path = tmp_path / "data" / "direct-messages.js"
    path.parent.mkdir()
    for name, text in spoiled_texts(CLEAN["reactions, urls, media (well formed)"]).items():
        for head in (b"window.YTD.direct_messages.part0 = ", b"\xef\xbb\xbfwindow.YTD.direct_messages.part0 = "):
            path.write_bytes(text if name in ("bom", "utf-16") else head + text)
            assert_fast_is_plain(x_archive.parse, x_archive.parse_plain, path, _context(path))
    path.write_bytes(b"window.YTD.direct_messages.part0 = ")
    assert_fast_is_plain(x_archive.parse, x_archive.parse_plain, path, _context(path))


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_the_walk_alone_reads_as_the_plain_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """With the Polars route refusing everything, parse (the fast walk) still equals parse_plain."""
    monkeypatch.setattr(x_archive, "_polars_dms", lambda path, ctx: None)
    path = _write(tmp_path, name, SHAPES[name], account=True)
    _same(path)
    _same(path, owner="x:id:1001")
    for clean in ("reactions, urls, media (well formed)", "absent and empty fields"):
        _same(_write(tmp_path / "clean", clean, CLEAN[clean], account=False))


def test_a_heavy_users_one_to_one_archive_is_read_by_polars(tmp_path: Path) -> None:
    doc = [c for c in heavy_archive(200, 30, seed=11) if "-" in c["dmConversation"]["conversationId"]]
    path = _write(tmp_path, "heavy", doc, account=True, ascii_only=False)
    ctx = _context(path)
    got = x_archive._polars_dms(path, ctx)
    assert got is not None and got.events.height == 200 * 30 * 9 // 10 and "reactions" in got.extra
    assert got.identifiers_are_uris
    assert_identical(got, x_archive.parse_plain(path, ctx))
    _same(path, owner="x:id:1001")


def test_x_times_by_arrow_are_polars_times() -> None:
    """Arrow's ISO 8601 cast (:func:`parsers.x_archive._x_instants`) gives what Polars' reading
    (:func:`parsers.x_archive._with_instants`) gives, on random times in X's own form, days that do
    not exist, leap days, and the first and last years."""
    import random

    import polars as pl

    rng = random.Random(18)
    stamps: list[str | None] = [
        f"{rng.choice([rng.randrange(10000), 0, 1, 1969, 1970, 2000, 2024, 9999]):04d}-{rng.randrange(1, 13):02d}-"
        f"{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}."
        f"{rng.randrange(1000):03d}Z" for _ in range(200_000)]
    stamps += ["2024-02-29T23:59:59.999Z", "2023-02-29T00:00:00.000Z", "2026-04-31T10:00:00.000Z", None,
               "0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "1900-02-29T12:00:00.000Z", "2000-02-29T12:00:00.000Z"]
    for chunk in (stamps[:-8], stamps, stamps[-8:-4], stamps[-4:]):
        frame = pl.DataFrame({"stamp": chunk}, schema={"stamp": pl.String})
        assert frame.select((pl.col("stamp").str.contains(x_archive._X_INSTANT) | pl.col("stamp").is_null()).all()).item()
        assert x_archive._x_instants(frame).equals(x_archive._with_instants(frame), null_equal=True)


def test_mutants_of_a_one_to_one_archive_read_the_same_by_both_rules(tmp_path: Path) -> None:
    """As test_mutants_read_the_same_by_both_rules, on a one-to-one archive the Polars route reads
    (reactions, links, media): many mutants still parse, and the route reads some of them."""
    import random

    mutated = load_test_module("test_fast_routes_mutated")
    doc = [c for c in heavy_archive(8, 6, seed=3) if "-" in c["dmConversation"]["conversationId"]]
    doc += CLEAN["reactions, urls, media (well formed)"]
    text = _write(tmp_path / "seed", "seed", doc, account=False, ascii_only=False).read_bytes()
    path = tmp_path / "data" / "direct-messages.js"
    path.parent.mkdir()
    rng = random.Random("mutants:x_archive polars")
    read = by_polars = 0
    for trial in range(120):
        path.write_bytes(mutated._mutant(text, rng))
        ctx = ParseContext(source_id="s", path=path, convert_identifiers=trial % 2 == 0)
        by_polars += x_archive._polars_dms(path, ctx) is not None
        read += mutant_is_plain(mutated, x_archive.parse, x_archive.parse_plain, path, ctx, trial) is not None
    assert read >= 20 and by_polars >= 5, (read, by_polars)
