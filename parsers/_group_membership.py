"""Who was in a group chat when: membership read from a chat export's system lines.

A WhatsApp group export says who joined and left, as lines without an author (Android:
``12/03/2024, 10:00 - Dan added Ann``) or, on iOS, as lines the group itself "writes"
with a left-to-right mark before the text (``[12/03/2024, 10:00:00] Family: \\u200eDan
added Ann``). The English phrasings read here, Android and iOS alike (from the exports
public parsers and their test chats handle):

* joins: ``X added Y`` / ``X added Y, Z and W`` / ``X added you`` / ``You added Y``,
  ``Y was added``, ``You were added``, ``Y joined using this group's invite link``,
  ``Y joined using a group link``, ``Y joined from the community``, ``X created group "N"``
  (the creator is in the group from then);
* leaves: ``Y left``, ``You left``, ``X removed Y`` / ``X removed you`` / ``You removed Y``,
  ``Y was removed``;
* a number change ``X changed to Y`` is the member leaving as X and staying as Y.

The recipients of a group message are the members at that moment, not everyone ever seen:
a person's first line decides whether they were there before it (a first "left" or
"removed" means they were; a first "added" or "joined" means they were not). A person with
no line at all (who only writes) is taken as a member throughout, and that is said.
"You" is the export's owner, who is kept out of this (the owner is named by ``--owner``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_INVISIBLE: Final = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_IOS_GROUP_PREFIX: Final = re.compile(r"^[^:\n]{1,120}: (?=\u200e)")
_NAME: Final = r"[^:\n]{1,120}?"
_RULES: Final = (
    ("created", re.compile(rf"^(?P<by>{_NAME}) created group [\"\u201c](?P<name>.*)[\"\u201d]\.?$")),
    ("added", re.compile(rf"^(?P<by>{_NAME}) added (?P<who>[^:\n]{{1,600}}?)\.?$")),
    ("removed", re.compile(rf"^(?P<by>{_NAME}) removed (?P<who>[^:\n]{{1,600}}?)\.?$")),
    ("added", re.compile(rf"^(?P<who>{_NAME}) (?:was|were) added\.?$")),
    ("removed", re.compile(rf"^(?P<who>{_NAME}) (?:was|were) removed\.?$")),
    ("joined", re.compile(rf"^(?P<who>{_NAME}) joined (?:using this group's invite link|using a group link"
                          r"|using this community's invite link|from the community|via invite link)\.?$")),
    ("left", re.compile(rf"^(?P<who>{_NAME}) left\.?$")),
    ("changed", re.compile(rf"^(?P<who>{_NAME}) changed to (?P<new>{_NAME})\.?$")),
)
JOINS: Final = frozenset({"created", "added", "joined"})
LEAVES: Final = frozenset({"removed", "left"})
OWNER: Final = "You"

SYSTEM_PHRASES: Final = (
    r"[^:]{1,120}? (?:added|removed) [^:\n]{1,600}$"
    r"|[^:]{1,120}? (?:was|were) (?:added|removed)\.?$"
    r"|[^:]{1,120}? left\.?$"
    r"|[^:]{1,120}? joined (?:using|from|via) "
)
"""Membership phrasings as a regex, for telling system lines from messages (on a line
without ``Name: `` or after iOS's mark; anchored by the caller)."""


@dataclass(frozen=True)
class Change:
    """One person joining or leaving, from one system line."""

    line: int
    """The line (position in the file) of the system line: changes apply from there on."""
    action: str
    """created / added / joined (in) or removed / left (out)."""
    member: str
    """The name as the export writes it (invisible marks removed); ``You`` is the owner."""
    by: str | None
    source_ref: str


def _names(text: str) -> list[str]:
    """``Ann, Bob and Carl`` → the three names; ``you`` is the owner."""
    parts = re.split(r",\s*|\s+and\s+", text.strip())
    return [OWNER if p.strip().lower() == "you" else p.strip() for p in parts if p.strip()]


def system_text(line: str) -> str:
    """A system line's text as its phrasing reads: the iOS group prefix (``Family: \\u200e``)
    and invisible marks dropped."""
    return _INVISIBLE.sub("", _IOS_GROUP_PREFIX.sub("", line)).strip()


def changes(lines: list[int], texts: list[str], refs: list[str]) -> list[Change]:
    """The membership changes among system lines (``texts`` at ``lines``), in file order."""
    out: list[Change] = []
    for line, raw, ref in zip(lines, texts, refs, strict=True):
        text = system_text(raw)
        for action, rule in _RULES:
            m = rule.match(text)
            if not m:
                continue
            groups = m.groupdict()
            by = groups.get("by")
            by = OWNER if by is not None and by.lower() == "you" else by
            if action == "created":
                out.append(Change(line, "created", by or "", None, ref))
            elif action == "changed":
                out.append(Change(line, "left", groups["who"].strip(), None, ref))
                out.append(Change(line, "joined", groups["new"].strip(), None, ref))
            else:
                who = groups["who"]
                names = _names(who) if action in ("added", "removed") and by is not None else [
                    OWNER if who.strip().lower() == "you" else who.strip()]
                out.extend(Change(line, action, name, by, ref) for name in names)
            break
    return out


def members_over_time(changes_: list[Change], writers: set[str]) -> tuple[list[int], list[frozenset[str]]]:
    """The group's members between changes: ``(starts, members)`` where ``members[k]`` holds
    from line ``starts[k]`` (``starts[0] == 0``) until the next start. Everyone named in a
    change or in ``writers`` is placed: a first line that is a leave means a member from the
    start; a first join, not before it; no line at all, a member throughout."""
    first: dict[str, str] = {}
    for c in changes_:
        first.setdefault(c.member, c.action)
    current = {p for p in writers | set(first) if first.get(p) not in JOINS and p != OWNER}
    starts, members = [0], [frozenset(current)]
    for line in sorted({c.line for c in changes_}):
        for c in (c for c in changes_ if c.line == line):
            if c.member == OWNER:
                continue
            if c.action in JOINS:
                current.add(c.member)
            elif c.action in LEAVES:
                current.discard(c.member)
        if line == starts[-1]:
            members[-1] = frozenset(current)
        else:
            starts.append(line)
            members.append(frozenset(current))
    return starts, members


def history(changes_: list[Change]) -> str:
    """The membership history as one readable line (for the source's assumptions)."""
    words = {"created": "created the group", "added": "added", "joined": "joined", "left": "left", "removed": "removed"}
    parts = []
    for c in changes_:
        what = words[c.action]
        if c.action == "created":
            parts.append(f"{c.member} {what} ({c.source_ref})")
        elif c.by and c.action in ("added", "removed"):
            parts.append(f"{c.by} {what} {c.member} ({c.source_ref})")
        elif c.action in ("added", "removed"):
            parts.append(f"{c.member} {'were' if c.member == OWNER else 'was'} {what} ({c.source_ref})")
        else:
            parts.append(f"{c.member} {what} ({c.source_ref})")
    return "; ".join(parts)
