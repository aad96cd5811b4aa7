"""The officer's decision on any reviewed possible item (:mod:`atlas.conduct.reviewed`): find it by
its id, confirm, dismiss or re-open it (audited), and read the latest decision on each back.

Each decision is a row of the append-only decisions ledger under the item's kind (subject), keyed
by the hash of the records it rests on, with the officer, the required note, what the item rests
on (its kind's :meth:`~atlas.conduct.reviewed.Reviewed.ledger_detail`, so the ledger alone says
what was decided) and an audit entry (``<kind>.confirm``, ``.dismiss``, ``.reopen``); a decision is
undone by a further one. ``atlas confirm --all-proven`` never touches them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from atlas.conduct.reviewed import ACTIONS, Decided, Reviewed, ReviewKind, ReviewState
from atlas.decisions.ledger import Decision, current, decide, latest_state, read_decisions, refuse_unchanged
from atlas.errors import AtlasError
from atlas.store import Case

Item = TypeVar("Item", bound=Reviewed)


def decided(case: Case, kind: ReviewKind) -> dict[str, Decided]:
    """The latest decision on every item of ``kind`` (key → who, when, why)."""
    return {key: Decided(d.state, d.officer, d.at, d.note)
            for (subject, key), d in current(read_decisions(case, subjects=[kind.subject])).items()
            if subject == kind.subject}


def find(items: Sequence[Item], handle: str, kind: ReviewKind) -> Item:
    """An item by its id (``C3f9a0c21``) or a unique prefix of it (at least 3 characters)."""
    handle = handle.strip()
    found = [c for c in items if c.id.lower().startswith(handle.lower())] if len(handle) >= 3 else []
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise AtlasError(f"{handle!r} matches {len(found)} {kind.plural} "
                         f"({', '.join(c.id for c in found[:5])}): give more of it")
    raise AtlasError(f"no {kind.noun} {handle!r} (see `atlas {kind.command} CASE_DIR` for the ids)")


def check_state(state: str, kind: ReviewKind) -> None:
    """Refuse a state no decision sets."""
    if state not in ACTIONS:
        raise AtlasError(f"{state!r} is not a {kind.decision} decision (confirmed, dismissed, open)")


def decide_item(case: Case, item: Reviewed, state: ReviewState, *, note: str) -> Decision:
    """Confirm, dismiss or re-open ``item`` (a note is required to confirm or dismiss; the officer is
    the case's or ``--officer``), writing what it rests on with the decision."""
    kind = item.REVIEW_KIND
    check_state(state, kind)
    refuse_unchanged(f"{kind.noun} {item.id}", latest_state(case, kind.subject, item.key), state)
    return decide(case, kind.subject, item.key, state, note=note,
                  detail={kind.id_field: item.id, "previous": item.state} | item.ledger_detail(),
                  audit_action=f"{kind.audit}.{ACTIONS[state]}",
                  audit_detail={kind.id_field: item.id, "key": item.key, "previous": item.state})


__all__ = ["check_state", "decide_item", "decided", "find"]
