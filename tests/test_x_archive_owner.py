"""X archives as X writes them: the owner named in account.js gives every direct message its
direction; group conversations are groups (their id is not a person), with direction from the
owner and recipients who were members at the time."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

import parsers
from atlas.store import Case
from parsers import x_archive
from parsers.base import ParseContext, ParseResult

OWNER, SAM, ZOE, KIM = "1001001001", "2002002002", "3003003003", "4004004004"


def js(name: str, payload: object) -> str:
    """The way X writes a data file: a JavaScript assignment, JSON with spaces around colons."""
    return f"window.YTD.{name}.part0 = " + json.dumps(payload, indent=2, separators=(",", " : "))


def msg(sender: str, text: str, at: str, recipient: str | None = None, k: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = {"reactions": [], "urls": [], "text": text, "mediaUrls": [], "senderId": sender,
                            "id": str(1700000000000000000 + k), "createdAt": at}
    if recipient:
        body["recipientId"] = recipient
    return {"messageCreate": body}


def archive(root: Path, *, with_account: bool = True) -> Path:
    data = root / "data"
    data.mkdir(parents=True)
    one = [{"dmConversation": {"conversationId": f"{OWNER}-{SAM}", "messages": [  # newest first, as X lists them
        msg(OWNER, "stop messaging me", "2026-03-02T10:00:00.000Z", SAM, 1),
        msg(SAM, "why did you block me", "2026-03-01T10:00:00.000Z", OWNER, 2)]}}]
    (data / "direct-messages.js").write_text(js("direct_messages", one), encoding="utf-8")
    group = [{"dmConversation": {"conversationId": "1500000000000000001", "messages": [
        msg(SAM, "she can't hide", "2026-03-05T12:00:00.000Z", k=3),
        {"participantsLeave": {"userIds": [KIM], "createdAt": "2026-03-04T09:00:00.000Z"}},
        msg(OWNER, "leave me alone", "2026-03-03T12:00:00.000Z", k=4),
        msg(ZOE, "hi all", "2026-03-03T11:00:00.000Z", k=5),
        {"participantsJoin": {"initiatingUserId": SAM, "userIds": [ZOE], "createdAt": "2026-03-03T10:00:00.000Z"}},
        {"conversationNameUpdate": {"initiatingUserId": SAM, "name": "friends", "createdAt": "2026-03-02T09:30:00.000Z"}},
        msg(SAM, "welcome", "2026-03-02T09:05:00.000Z", k=6),
        {"joinConversation": {"initiatingUserId": SAM, "participantsSnapshot": [SAM, KIM],
                              "createdAt": "2026-03-02T09:00:00.000Z"}}]}}]
    (data / "direct-messages-group.js").write_text(js("direct_messages_group", group), encoding="utf-8")
    if with_account:
        (data / "account.js").write_text(js("account", [{"account": {
            "email": "alice@example.org", "createdVia": "web", "username": "alice_ex", "accountId": OWNER,
            "createdAt": "2019-05-01T09:00:00.000Z", "accountDisplayName": "Alice Example"}}]), encoding="utf-8")
    return data


def parse(path: Path, **ctx: Any) -> ParseResult:
    return x_archive.parse(path, ParseContext(source_id="s", path=path, **ctx))


def test_the_owner_named_in_account_js_gives_direct_messages_their_direction(
        tmp_path: Path, case_dir: Path, atlas: Callable[..., Any]) -> None:
    data = archive(tmp_path)
    result = parse(data / "direct-messages.js")
    assert result.owner == f"x:id:{OWNER}"
    assert any("from account.js beside this file (SHA-256" in a and "@alice_ex" in a for a in result.assumptions)
    run = atlas("ingest", case_dir, data, "--json")
    assert run.code == 0, run.err
    events = Case.open(case_dir).events().collect()
    messages = events.filter(pl.col("kind") == "message")
    assert messages.height == 6
    assert messages.get_column("direction").cast(pl.String).value_counts().sort("direction").rows() == [
        ("in", 4), ("out", 2)]


def test_group_dms_are_groups_with_direction_and_members_at_the_time(tmp_path: Path) -> None:
    data = archive(tmp_path)
    result = parse(data / "direct-messages-group.js")
    ev = {r["text"]: r for r in result.events.filter(pl.col("kind") == "message").iter_rows(named=True)}
    me, sam, zoe, kim = (f"x:id:{u}" for u in (OWNER, SAM, ZOE, KIM))
    assert ev["welcome"]["recipients"] == sorted([me, kim])  # Zoe not yet added
    assert ev["hi all"]["recipients"] == sorted([me, sam, kim])
    assert ev["leave me alone"]["recipients"] == sorted([sam, zoe, kim])
    assert ev["she can't hide"]["recipients"] == sorted([me, zoe])  # Kim has left
    every = {r for rs in result.events.get_column("recipients").to_list() for r in rs}
    assert "x:id:1500000000000000001" not in every  # the conversation is not a person
    conv = result.extra["dm_conversations"].row(0, named=True)
    assert (conv["conversation_id"], conv["type"], conv["name"]) == ("1500000000000000001", "group", "friends")
    assert conv["participants"] == sorted([me, sam, zoe, kim])
    from atlas.normalise import to_events

    directions = to_events(result.events, source_id="s", timezone="UTC", region="GB", owner_uris=[me]).events
    by_text = dict(zip(directions.get_column("text").to_list(), directions.get_column("direction").cast(pl.String).to_list(),
                       strict=True))
    assert (by_text["welcome"], by_text["leave me alone"], by_text["she can't hide"]) == ("in", "out", "in")


def test_without_account_js_the_owner_is_the_id_every_conversation_holds(tmp_path: Path) -> None:
    data = archive(tmp_path, with_account=False)
    path = data / "direct-messages.js"
    two = [{"dmConversation": {"conversationId": f"{OWNER}-{SAM}", "messages": [
        msg(SAM, "a", "2026-03-01T10:00:00.000Z", OWNER)]}},
           {"dmConversation": {"conversationId": f"{ZOE}-{OWNER}", "messages": [
               msg(OWNER, "b", "2026-03-01T11:00:00.000Z", ZOE)]}}]
    path.write_text(js("direct_messages", two), encoding="utf-8")
    result = parse(path)
    assert result.owner == f"x:id:{OWNER}"
    assert any("by inference: the only user id in all 2 one-to-one conversation ids" in a for a in result.assumptions)
    single = parse(data / "direct-messages-group.js")
    assert single.owner is None and any("owner is not known" in a for a in single.assumptions)


def test_owner_given_on_the_command_line_wins_and_tweets_take_the_account_owner(tmp_path: Path) -> None:
    data = archive(tmp_path)
    result = parse(data / "direct-messages.js", owner=f"x:id:{SAM}")
    assert result.owner is None and not any("account.js" in a for a in result.assumptions)
    (data / "tweets.js").write_text(js("tweets", [{"tweet": {"id_str": "7", "full_text": "hello",
                                                             "created_at": "Sun Mar 01 10:00:00 +0000 2026"}}]))
    assert parsers.detect(data / "tweets.js").INFO.name == "x-archive"
    tweets = parse(data / "tweets.js")
    assert tweets.events.get_column("sender").to_list() == [f"x:id:{OWNER}"]
