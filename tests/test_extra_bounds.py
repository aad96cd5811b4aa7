"""The extra tables a JSON parser hands over (reactions, X's conversations) are bounded per value as its
events are (:func:`parsers._bounds.bound_values`): a row with a value over
:data:`parsers._bounds.JSON_VALUE_BYTES` makes its record one reject naming the record, the table and the
field; no row of a rejected record is kept. Before session 15 such a value was stored whole in the extra
table (a 2 MB reaction in ``extra/reactions``) while the events beside it were bounded."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from parsers import meta_dyi_json, x_archive
from parsers._bounds import JSON_VALUE_BYTES
from parsers.base import ParseContext

BIG = JSON_VALUE_BYTES + 10


def _longest(frame: pl.DataFrame) -> int:
    sizes = [frame.get_column(c).str.len_bytes().max() for c, t in frame.schema.items() if t == pl.String]
    sizes += [frame.get_column(c).explode().str.len_bytes().max() for c, t in frame.schema.items() if t == pl.List(pl.String)]
    return max((int(s) for s in sizes if s is not None), default=0)  # type: ignore[call-overload]


@pytest.mark.parametrize("route", ["parse", "parse_plain"])
def test_a_reaction_over_the_bound_makes_its_message_one_reject(seeds: dict[str, Path], tmp_path: Path, route: str) -> None:
    doc = json.loads(seeds["meta-dyi-json"].read_text(encoding="utf-8"))
    doc["messages"][1]["reactions"] = [{"reaction": "x" * BIG, "actor": "Alice Example"}, {"reaction": "ok", "actor": "Dan"}]
    doc["messages"][2]["reactions"] = [{"reaction": "\u2764", "actor": "A" * BIG}]
    doc["messages"][3]["reactions"] = [{"reaction": "\u2764", "actor": "Alice Example"}]
    path = tmp_path / "message_1.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    parse = getattr(meta_dyi_json, route) if hasattr(meta_dyi_json, route) else meta_dyi_json.parse
    result = parse(path, ParseContext(source_id="s", path=path))
    assert result.records_read == len(doc["messages"]) == result.events.height + result.rejects.height
    assert result.rejects.get_column("source_ref").to_list() == ["messages[1]", "messages[2]"]
    reasons = result.rejects.get_column("reason").to_list()
    # (the strings are cut out of the file's bytes before the document is read, parsers/_json_cut.py: the reason gives
    # each string's size and byte offset in the file)
    assert reasons[0].startswith(f"messages[1] of message_1.json: its reactions row's reaction holds a value of {BIG:,} "
                                 "bytes (at byte offset "), reasons[0]
    assert f"), over the {JSON_VALUE_BYTES:,}-byte bound" in reasons[0]
    assert reasons[1].startswith(f"messages[2] of message_1.json: its reactions row's actor holds a value of {BIG:,} "
                                 "bytes"), reasons[1]
    reactions = result.extra["reactions"]
    assert reactions.get_column("source_ref").to_list() == ["messages[3]"]  # none of a rejected message's rows kept
    assert _longest(result.rejects) < 1000


def test_a_conversation_name_over_the_bound_is_a_reject_of_its_own(seeds: dict[str, Path], tmp_path: Path) -> None:
    """X's group conversation has a row of its own in dm_conversations (no event is that record): it is a
    reject, counted as a record read, and its messages are still read."""
    prefix, _, body = seeds["x-archive"].read_text(encoding="utf-8").partition("= ")
    doc = json.loads(body)
    doc.append({"dmConversation": {"conversationId": "group-77", "messages": [
        {"conversationNameUpdate": {"initiatingUserId": "1001001001", "name": "N" * BIG,
                                    "createdAt": "2026-05-31T13:00:00.000Z"}},
        {"messageCreate": {"recipientId": "group-77", "reactions": [], "urls": [], "text": "hi all", "mediaUrls": [],
                           "senderId": "1001001001", "id": "1700000000000009999",
                           "createdAt": "2026-05-31T13:07:21.000Z"}}]}})
    path = tmp_path / "direct-messages.js"
    path.write_text(prefix + "= " + json.dumps(doc), encoding="utf-8")
    plain = x_archive.parse(path, ParseContext(source_id="s", path=path))
    c = len(doc) - 1
    assert plain.records_read == plain.events.height + plain.rejects.height
    refs = plain.rejects.get_column("source_ref").to_list()
    assert f"[{c}].dmConversation" in refs, refs
    [why] = [r for r, ref in zip(plain.rejects["reason"], refs, strict=True) if ref == f"[{c}].dmConversation"]
    assert why.startswith(f"[{c}].dmConversation of direct-messages.js: its dm conversations row's name holds a value of "
                          f"{BIG:,} bytes (at byte offset "), why
    assert f"[{c}].dmConversation" not in plain.extra.get("dm_conversations", pl.DataFrame({"source_ref": []}))["source_ref"]
    assert "hi all" in plain.events.get_column("text").to_list()
    assert all(_longest(t) <= JSON_VALUE_BYTES for t in plain.extra.values())
