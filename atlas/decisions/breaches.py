"""The officer's decision on a possible breach of an exclusion zone: confirm, dismiss, re-open (audited).

A possible breach (:mod:`atlas.conduct.possible_breaches`) rests on a position with no stated
accuracy inside the zone, or an accuracy circle straddling its boundary, so the data alone never
counts it. An officer who has checked it against other evidence confirms it (it then counts as a
breach of the order, always shown as *confirmed by …*) or dismisses it (it never counts). Each
decision is a row of the append-only decisions ledger (subject ``breach``, key: the hash of the
order, zone and records it rests on), with the officer, the required note, and an audit entry; a
decision is undone by a further one (re-open). ``atlas confirm --all-proven`` never touches them.
The life cycle is every reviewed item's (:mod:`atlas.decisions.reviewed`).
"""

from __future__ import annotations

from collections.abc import Sequence

from atlas.conduct.possible_breaches import REVIEW_KIND, BreachReview
from atlas.conduct.reviewed import Decided, ReviewState
from atlas.decisions import reviewed
from atlas.decisions.ledger import Decision
from atlas.store import Case


def decided(case: Case) -> dict[str, Decided]:
    """The latest decision on every possible breach (key → who, when, why)."""
    return reviewed.decided(case, REVIEW_KIND)


def find_breach(items: Sequence[BreachReview], handle: str) -> BreachReview:
    """A possible breach by its id (``P3f9a0c21``) or a unique prefix of it (at least 3 characters)."""
    return reviewed.find(items, handle, REVIEW_KIND)


def decide_breach(case: Case, item: BreachReview, state: ReviewState, *, note: str) -> Decision:
    """Confirm, dismiss or re-open a possible breach (a note is required to confirm or dismiss; the
    officer is the case's or ``--officer``); the order, zone, records and basis are written with the
    decision, so the ledger alone says what was decided."""
    return reviewed.decide_item(case, item, state, note=note)


__all__ = ["decide_breach", "decided", "find_breach"]
