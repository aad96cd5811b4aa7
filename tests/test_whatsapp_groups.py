"""WhatsApp group exports: the recipients of a group message are the members at that time,
read from the join/leave system lines in Android's and iOS's phrasings; the history is kept
(notes, a reference table, the source's assumptions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers import whatsapp_text
from parsers._group_membership import changes, members_over_time
from parsers.base import ParseContext, ParseResult


def parse_text(text: str, tmp: Path, name: str = "WhatsApp Chat with Family.txt") -> ParseResult:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return whatsapp_text.parse(path, ParseContext(source_id="src", path=path))


def n(*names: str) -> list[str]:
    return sorted(f"name:src:{x}" for x in names)


ANDROID = """12/03/2024, 09:00 - Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.
12/03/2024, 09:00 - Dan created group "Family"
12/03/2024, 09:00 - Dan added Ann and Bob
12/03/2024, 09:01 - Dan: hello all
12/03/2024, 09:02 - Ann: hi
14/03/2024, 10:00 - Carl joined using this group's invite link
14/03/2024, 10:01 - Dan: welcome Carl
15/03/2024, 11:00 - Bob left
15/03/2024, 11:05 - Ann: I left my keys at yours
16/03/2024, 12:00 - Dan removed Carl
16/03/2024, 12:01 - Dan: just us
16/03/2024, 12:02 - You added Eve
16/03/2024, 12:03 - Eve: thanks for adding me
"""

IOS = """[12/03/2024, 09:00:00] Family: \u200eMessages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.
[12/03/2024, 09:00:00] Family: \u200eDan created group \u201cFamily\u201d
[12/03/2024, 09:00:01] Family: \u200eDan added Ann, Bob and you
[12/03/2024, 09:01:00] Dan: hello all
[14/03/2024, 10:00:00] Family: \u200eCarl joined using this group\u2019s invite link
[14/03/2024, 10:00:30] Family: \u200eCarl joined using this group's invite link
[14/03/2024, 10:01:00] Ann: hi Carl
[15/03/2024, 11:00:00] Family: \u200eBob left
[15/03/2024, 11:05:00] Ann: bye
[16/03/2024, 12:00:00] Family: \u200eDan removed Carl
[16/03/2024, 12:01:00] Dan: Ann, just us now
"""


def test_android_group_recipients_are_the_members_at_the_time(tmp_path: Path) -> None:
    result = parse_text(ANDROID, tmp_path)
    rows = {r[0]: r[1:] for r in result.events.select("source_ref", "kind", "sender", "recipients").rows()}
    assert rows["line 4"] == ("message", "name:src:Dan", n("Ann", "Bob"))  # Carl and Eve not yet there
    assert rows["line 5"] == ("message", "name:src:Ann", n("Bob", "Dan"))
    assert rows["line 7"] == ("message", "name:src:Dan", n("Ann", "Bob", "Carl"))
    assert rows["line 9"] == ("message", "name:src:Ann", n("Carl", "Dan"))  # Bob has left; a message saying "left" stays one
    assert rows["line 11"] == ("message", "name:src:Dan", n("Ann"))
    assert rows["line 13"] == ("message", "name:src:Eve", n("Ann", "Dan"))
    for ref in ("line 2", "line 3", "line 6", "line 8", "line 10", "line 12"):
        assert rows[ref][0] == "note" and rows[ref][2] == []  # the history is kept as notes
    table = result.extra["group_membership"]
    assert table.select("source_ref", "action", "member", "by").rows() == [
        ("line 2", "created", "Dan", None), ("line 3", "added", "Ann", "Dan"), ("line 3", "added", "Bob", "Dan"),
        ("line 6", "joined", "Carl", None), ("line 8", "left", "Bob", None), ("line 10", "removed", "Carl", "Dan"),
        ("line 12", "added", "Eve", "You")]
    said = next(a for a in result.assumptions if a.startswith("group membership over time"))
    assert "Bob left (line 8)" in said and "Dan removed Carl (line 10)" in said


def test_ios_group_lines_written_by_the_group_are_membership_notes(tmp_path: Path) -> None:
    result = parse_text(IOS, tmp_path, name="_chat.txt")
    rows = {r[0]: r[1:] for r in result.events.select("source_ref", "kind", "sender", "recipients").rows()}
    assert [rows[f"line {i}"][0] for i in (1, 2, 3, 5, 6, 8, 10)] == ["note"] * 7
    assert "name:src:Family" not in {s for s, _ in ((v[1], v) for v in rows.values()) if s}
    assert rows["line 4"] == ("message", "name:src:Dan", n("Ann", "Bob"))
    assert rows["line 7"] == ("message", "name:src:Ann", n("Bob", "Carl", "Dan"))
    assert rows["line 9"] == ("message", "name:src:Ann", n("Carl", "Dan"))
    assert rows["line 11"] == ("message", "name:src:Dan", n("Ann"))
    assert ("line 3", "added", "You", "Dan") in result.extra["group_membership"].select(
        "source_ref", "action", "member", "by").rows()


def test_a_member_whose_first_line_is_leaving_was_there_from_the_start(tmp_path: Path) -> None:
    text = ("01/02/2024, 10:00 - Ann: morning\n"
            "01/02/2024, 10:01 - Bob: hi\n"
            "01/02/2024, 10:02 - Zoe left\n"
            "01/02/2024, 10:03 - Ann: Zoe went\n")
    result = parse_text(text, tmp_path)
    rows = {r[0]: r[1] for r in result.events.select("source_ref", "recipients").rows()}
    assert rows["line 1"] == n("Bob", "Zoe")  # Zoe never wrote, but was a member until she left
    assert rows["line 4"] == n("Bob")
    assert any("taken as members throughout" in a and "Ann" in a for a in result.assumptions)


def test_a_one_to_one_chat_is_unchanged(tmp_path: Path) -> None:
    text = "01/02/2024, 10:00 - Ann: hi\n01/02/2024, 10:01 - Bob: hello\n"
    result = parse_text(text, tmp_path, name="chat.txt")
    assert result.events.get_column("recipients").to_list() == [n("Bob"), n("Ann")]
    assert "group_membership" not in result.extra


@pytest.mark.parametrize(("line", "expected"), [
    ("Dan added Ann", [("added", "Ann", "Dan")]),
    ("Dan added Ann, Bob and Carl", [("added", "Ann", "Dan"), ("added", "Bob", "Dan"), ("added", "Carl", "Dan")]),
    ("Dan added you", [("added", "You", "Dan")]),
    ("You were added", [("added", "You", None)]),
    ("\u202a+44 7700 900123\u202c joined using this group's invite link", [("joined", "+44 7700 900123", None)]),
    ("Ann joined using a group link", [("joined", "Ann", None)]),
    ("Ann joined from the community", [("joined", "Ann", None)]),
    ("Ann left", [("left", "Ann", None)]),
    ("You left", [("left", "You", None)]),
    ("Dan removed you", [("removed", "You", "Dan")]),
    ("Ann was removed", [("removed", "Ann", None)]),
    ("+44 7700 900123 changed to +44 7700 900456", [("left", "+44 7700 900123", None), ("joined", "+44 7700 900456", None)]),
    ('Dan changed the subject from "a" to "b"', []),
    ("Family: \u200eDan added Ann", [("added", "Ann", "Dan")]),
])
def test_membership_phrasings(line: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert [(c.action, c.member, c.by) for c in changes([1], [line], ["line 1"])] == expected


def test_members_over_time_places_everyone_by_their_first_line() -> None:
    found = changes([3, 5, 7], ["Dan added Ann", "Bob left", "Ann left"], ["line 3", "line 5", "line 7"])
    starts, members = members_over_time(found, {"Dan", "Ann", "Carl"})
    assert starts == [0, 3, 5, 7]
    assert members == [frozenset({"Dan", "Carl", "Bob"}), frozenset({"Dan", "Carl", "Bob", "Ann"}),
                       frozenset({"Dan", "Carl", "Ann"}), frozenset({"Dan", "Carl"})]
