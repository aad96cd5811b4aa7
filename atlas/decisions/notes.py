"""Notes and bookmarks: the officer's own words on the case, an event, a link or a finding,
and the events they want to come back to. Both are decisions in the ledger (append-only:
a note is withdrawn, a bookmark removed, by a further row)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from atlas.decisions.ledger import Decision, current, decide, read_decisions
from atlas.errors import AtlasError
from atlas.store import Case


@dataclass(frozen=True)
class Note:
    seq: int
    about: str
    """``case``, ``event:<id>``, ``link:<id>``, ``finding:<id>``, ``threat@<event id>`` ..."""
    text: str
    by: str
    at: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "about": self.about, "text": self.text, "by": self.by, "at": self.at}


def add_note(case: Case, about: str, text: str) -> Note:
    """Write a note (required text); audited."""
    if not text.strip():
        raise AtlasError("a note needs text")
    about = about.strip() or "case"
    d = decide(case, "note", about, "noted", note=text, audit_action="note.add", audit_detail={"about": about})
    return Note(d.seq, about, d.note, d.officer, d.at)


def withdraw_note(case: Case, seq: int, *, reason: str = "") -> Decision:
    """Withdraw note ``seq`` (it stays in the ledger and the audit log, marked withdrawn)."""
    notes_by_seq = {n.seq: n for n in notes(case)}
    if seq not in notes_by_seq:
        raise AtlasError(f"no current note #{seq}")
    n = notes_by_seq[seq]
    return decide(case, "note", f"withdraw:{seq}", "withdrawn", note=reason, detail={"note_seq": seq, "about": n.about},
                  audit_action="note.withdraw", audit_detail={"note_seq": seq})


def notes(case: Case, about: str | None = None) -> list[Note]:
    """Current notes (withdrawn ones left out), oldest first."""
    rows = read_decisions(case, subjects=["note"])
    withdrawn = {int(d.detail["note_seq"]) for d in rows if d.state == "withdrawn"}
    return [Note(d.seq, d.key, d.note, d.officer, d.at) for d in rows
            if d.state == "noted" and d.seq not in withdrawn and (about is None or d.key == about)]


def set_bookmark(case: Case, event_id: str, on: bool = True, *, note: str = "") -> Decision:
    from atlas.decisions.exhibits import target_of

    event = target_of(case, event_id).split(":", 1)[1]
    return decide(case, "bookmark", event, "bookmarked" if on else "unbookmarked", note=note,
                  audit_action="bookmark.add" if on else "bookmark.remove", audit_detail={"event_id": event})


def bookmarks(case: Case) -> list[str]:
    """Event ids currently bookmarked, in the order they were bookmarked."""
    latest = current(read_decisions(case, subjects=["bookmark"]))
    return [d.key for d in sorted(latest.values(), key=lambda d: d.seq) if d.state == "bookmarked"]
