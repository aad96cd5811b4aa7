"""An officer-reviewed possible item: what possible co-locations and possible breaches share.

A rule finds something the data alone cannot count (a position with no stated accuracy, an
accuracy circle straddling a boundary) and lists it as *possible*, with its basis. It stays
**open** (listed, not counted) until an officer who has checked it against other evidence
**confirms** it (it then counts, always shown as confirmed by an officer beside its basis, never
as measured) or **dismisses** it (it never counts), with a note; a further decision re-opens it.

* Its **key** is a hash of the records it rests on (:func:`item_key`), so the same records give
  the same key on every run and new or re-grouped records make a new item needing its own
  decision (a decision is never carried over to different evidence).
* Its **id** is a letter of its kind (:class:`ReviewKind`) and the key's first eight hex digits,
  short enough to type.
* Each decision is a row of the append-only decisions ledger under the kind's subject
  (:mod:`atlas.decisions.reviewed` writes and reads them); the analysis is given the states
  (``(subject, key)`` → state) and :func:`state_of` reads them back.

Each kind keeps only what is its own: how its key is made from its records, what it shows
(:mod:`.possible_colocations`, :mod:`.possible_breaches`). This module is pure (no ledger access).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

if TYPE_CHECKING:
    from atlas.exhibits import RecordRef

ReviewState = Literal["open", "confirmed", "dismissed"]
STATES: Final = ("confirmed", "dismissed", "open")
ACTIONS: Final[dict[str, str]] = {"confirmed": "confirm", "dismissed": "dismiss", "open": "reopen"}
"""Each state a decision can set, and the verb its audit entry is named by (``breach.confirm``)."""


@dataclass(frozen=True)
class ReviewKind:
    """One kind of reviewed item: its ledger subject, its id letter and how it is named."""

    subject: str
    """The decisions ledger's subject (``colocation``, ``breach``)."""
    prefix: str
    """The id's letter (``C``, ``P``; ``T``/``B`` are threat candidates, ``L`` identity links)."""
    noun: str
    """One item in words (``possible co-location``)."""
    plural: str
    command: str
    """The command that lists and decides them (``atlas colocations``)."""
    decision: str
    """What a decision is called in an error (``co-location``: "not a co-location decision")."""
    audit: str
    """The audit action's stem (``colocation`` → ``colocation.confirm``)."""

    @property
    def id_field(self) -> str:
        """The decision detail's and audit entry's name for the item's id (``colocation_id``)."""
        return f"{self.audit}_id"


def item_key(*parts: str) -> str:
    """The ledger key of a possible item: the first 32 hex digits of the SHA-256 of ``parts`` (its
    kind, place and records), one a line. Event ids are long and many, so the ledger keeps their
    hash; the records themselves are written in the decision's detail."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def short_id(prefix: str, key: str) -> str:
    """The id people type (``C3f9a0c21``): the kind's letter and the key's first eight hex digits."""
    return prefix + key[:8]


@dataclass(frozen=True)
class Decided:
    """Who decided a possible item, when, and why (the ledger row, as outputs need it)."""

    state: str
    officer: str
    at: str
    note: str

    @property
    def day(self) -> str:
        """The UK date of the decision (``dd/mm/yyyy``)."""
        try:
            return datetime.fromisoformat(self.at).astimezone(_uk()).strftime("%d/%m/%Y")
        except ValueError:
            return self.at[:10]


def _uk() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/London")


def decision_status(state: str, decided: Decided | None) -> str:
    """A reviewed possible item's state in words, with who decided and why: what every team output
    prints beside its basis."""
    if state in ("confirmed", "dismissed"):
        return (f"{state} by {decided.officer} on {decided.day}: {decided.note}" if decided is not None
                else f"{state} (decision not in the ledger)")
    return "listed, not counted (awaiting an officer's decision)"


def state_of(subject: str, key: str, decisions: Mapping[tuple[str, str], str]) -> ReviewState:
    """The current state of the item ``key`` of ``subject`` under ``decisions`` (``(subject, key)`` → state)."""
    s = decisions.get((subject, key))
    return s if s in ("confirmed", "dismissed") else "open"  # type: ignore[return-value]


def agreed(details: Mapping[str, Decided], key: str, state: str) -> Decided | None:
    """The ledger row of ``key`` where it agrees with the state the analysis counted (a hypothetical
    decision, or a row the analysis was not given, has no who and why)."""
    d = details.get(key)
    return d if d is not None and d.state == state else None


def stale(details: Mapping[str, Decided], current: set[str]) -> list[str]:
    """Keys of decisions (other than re-opening) whose item the records no longer make: neither applied
    nor dropped without a warning."""
    return sorted(k for k, d in details.items() if d.state != "open" and k not in current)


def per_exhibit(records: Sequence[RecordRef]) -> str:
    """``JA/11 ×4; JA/9, row 12``: how many of ``records`` each exhibit holds, in first-seen order, and
    an exhibit's one record by its full reference (a bare ``JA/9`` named no place in the exhibit to find
    it by). Each record's exhibit is read as data (never cut out of ``JA/11, row 7``), and the groups are
    one served list: :func:`atlas.exhibits.join_list`, since a full reference holds a comma."""
    from atlas.exhibits import join_list  # lazily: this module stays free of the store and polars

    seen: dict[str, list[RecordRef]] = {}
    for r in records:
        seen.setdefault(r.exhibit, []).append(r)
    return join_list(f"{ex} ×{len(rs)}" if len(rs) > 1 else str(rs[0]) for ex, rs in seen.items()) or "-"


class Reviewed(ABC):
    """What every reviewed item is, beside what its kind holds: a frozen dataclass of a kind declares
    ``key``, ``state``, ``decided`` and ``new_day`` and its :data:`REVIEW_KIND`, and gets its id, whether it
    counts, its status in words and the decision's part of its JSON from here."""

    REVIEW_KIND: ClassVar[ReviewKind]
    key: str
    state: ReviewState
    decided: Decided | None
    new_day: bool
    """Its UK date has no incident counted from other records: confirming it adds an occasion
    (for an open one; for a confirmed one, the occasion it made)."""

    @property
    def id(self) -> str:
        return short_id(self.REVIEW_KIND.prefix, self.key)

    @property
    def counts(self) -> bool:
        """Only a confirmed possible item counts."""
        return self.state == "confirmed"

    @property
    def status(self) -> str:
        """The state in words, with who decided and why: what every team output prints beside the basis."""
        return decision_status(self.state, self.decided)

    def decided_json(self) -> dict[str, Any]:
        """Who decided, when and why, as the item's JSON ends."""
        d = self.decided
        return {"decided_by": d.officer if d else None, "decided_at": d.at if d else None, "note": d.note if d else ""}

    @abstractmethod
    def ledger_detail(self) -> dict[str, Any]:
        """What a decision on it writes beside the state (its kind's records and basis), so that the
        ledger alone says what was decided. Each kind says its own (abstract: a kind without it
        cannot be made)."""

    @abstractmethod
    def to_json(self) -> dict[str, Any]:
        """The item as the command line's ``--json`` and the decision's reply give it (each kind its own)."""


__all__ = ["ACTIONS", "STATES", "Decided", "ReviewKind", "ReviewState", "Reviewed", "agreed", "decision_status",
           "item_key", "per_exhibit", "short_id", "stale", "state_of"]
