"""The officer's decision on a possible breach of an exclusion zone: confirm, dismiss, re-open (audited).

A possible breach (:mod:`atlas.conduct.possible_breaches`) rests on a position with no stated
accuracy inside the zone, or an accuracy circle straddling its boundary, so the data alone never
counts it. An officer who has checked it against other evidence confirms it (it then counts as a
breach of the order, always shown as *confirmed by …*) or dismisses it (it never counts). Each
decision is a row of the append-only decisions ledger (subject ``breach``, key: the hash of the
order, zone and records it rests on), with the officer, the required note, and an audit entry; a
decision is undone by a further one (re-open). ``atlas confirm --all-proven`` never touches them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from atlas.conduct.possible_breaches import SUBJECT, BreachReview
from atlas.conduct.possible_colocations import Decided, ReviewState
from atlas.decisions.ledger import Decision, current, decide, read_decisions
from atlas.errors import AtlasError
from atlas.store import Case

_ACTION: Final = {"confirmed": "confirm", "dismissed": "dismiss", "open": "reopen"}


def decided(case: Case) -> dict[str, Decided]:
    """The latest decision on every possible breach (key → who, when, why)."""
    return {key: Decided(d.state, d.officer, d.at, d.note)
            for (subject, key), d in current(read_decisions(case, subjects=[SUBJECT])).items() if subject == SUBJECT}


def find_breach(items: Sequence[BreachReview], handle: str) -> BreachReview:
    """A possible breach by its id (``P3f9a0c21``) or a unique prefix of it (at least 3 characters)."""
    handle = handle.strip()
    found = [b for b in items if b.id.lower().startswith(handle.lower())] if len(handle) >= 3 else []
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise AtlasError(f"{handle!r} matches {len(found)} possible breaches "
                         f"({', '.join(b.id for b in found[:5])}): give more of it")
    raise AtlasError(f"no possible breach {handle!r} (see `atlas breaches CASE_DIR` for the ids)")


def decide_breach(case: Case, item: BreachReview, state: ReviewState, *, note: str) -> Decision:
    """Confirm, dismiss or re-open a possible breach (a note is required to confirm or dismiss; the
    officer is the case's or ``--officer``); the order, zone, records and basis are written with the
    decision, so the ledger alone says what was decided."""
    if state not in _ACTION:
        raise AtlasError(f"{state!r} is not a breach decision (confirmed, dismissed, open)")
    p = item.possible
    return decide(case, SUBJECT, item.key, state, note=note,
                  detail={"breach_id": item.id, "previous": item.state, "order": p.order, "place": p.place,
                          "start": p.ts.isoformat(), "end": p.end.isoformat(), "basis": item.basis,
                          "event_ids": list(p.event_ids), "exhibits": list(p.exhibits)},
                  audit_action=f"breach.{_ACTION[state]}",
                  audit_detail={"breach_id": item.id, "key": item.key, "previous": item.state})


__all__ = ["decide_breach", "decided", "find_breach"]
