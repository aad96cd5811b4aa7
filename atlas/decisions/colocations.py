"""The officer's decision on a possible co-location: confirm, dismiss, re-open (audited).

A possible co-location (:mod:`atlas.conduct.possible_colocations`) rests on a position with
no stated accuracy, so the data alone never counts it. An officer who has checked it against
other evidence confirms it (it then counts as an incident, always shown as *confirmed by …*)
or dismisses it (it never counts). Each decision is a row of the append-only decisions
ledger (subject ``colocation``, key: the hash of the records it rests on), with the officer,
the required note, and an audit entry; a decision is undone by a further one (re-open).
The life cycle is every reviewed item's (:mod:`atlas.decisions.reviewed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from atlas.conduct.possible_colocations import REVIEW_KIND, SUBJECT, Decided, PossibleColocation, ReviewState
from atlas.conduct.reviewed import ACTIONS
from atlas.decisions import reviewed
from atlas.decisions.ledger import Decision
from atlas.store import Case

if TYPE_CHECKING:
    from atlas.conduct import ConductResult
    from atlas.review import Impact, Review


def decided(case: Case) -> dict[str, Decided]:
    """The latest decision on every possible co-location (key → who, when, why)."""
    return reviewed.decided(case, REVIEW_KIND)


def possible_colocations(result: ConductResult) -> tuple[PossibleColocation, ...]:
    """The analysis's possible co-locations, each with the decision it was counted with."""
    return result.colocation_reviews


def find_colocation(items: Sequence[PossibleColocation], handle: str) -> PossibleColocation:
    """A possible co-location by its id (``C3f9a0c21``) or a unique prefix of it (at least 3 characters)."""
    return reviewed.find(items, handle, REVIEW_KIND)


def colocation_impact(review: Review, item: PossibleColocation, state: ReviewState) -> Impact:
    """The headline now and as it would be with ``item`` decided ``state`` (incidents, last incident,
    s2A last day, ...), computed with that decision in place of the ledger's, nothing written: what
    the workbench shows before the officer commits, and what ``atlas colocations --confirm`` then prints."""
    from atlas.conduct import analyse
    from atlas.review import Impact, headline_of

    reviewed.check_state(state, REVIEW_KIND)
    now = review.conduct()
    decisions = {k: v for k, v in now.decisions.items() if k != (SUBJECT, item.key)}
    if state != "open":
        decisions[(SUBJECT, item.key)] = state
    after = analyse(review.case, as_of=review.as_of, options=review.options, memo=review.memo(), decisions=decisions)
    return Impact(f"{ACTIONS[state]} {item.id}", headline_of(now), headline_of(after))


def decide_colocation(case: Case, item: PossibleColocation, state: ReviewState, *, note: str) -> Decision:
    """Confirm, dismiss or re-open a possible co-location (a note is required to confirm or
    dismiss; the officer is the case's or ``--officer``); the records it rests on and its basis
    are written with the decision, so the ledger alone says what was decided."""
    return reviewed.decide_item(case, item, state, note=note)


__all__ = ["colocation_impact", "decide_colocation", "decided", "find_colocation", "possible_colocations"]
