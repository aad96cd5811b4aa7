"""Possible breaches of an order's exclusion zone as items an officer reviews: confirm (it
counts), dismiss (it never counts) or leave open (listed, not counted).

Why: :mod:`.breaches` lists presence inside an exclusion zone resting on a position with no
stated accuracy, or on an accuracy circle that straddles the zone's boundary, as *possible*
only: "listed, never counted", with no decision anybody could record. The data cannot settle
one; an officer who has checked it against other evidence (the victim's account, CCTV, an ANPR
read) can. The design is the possible co-locations' (:mod:`.possible_colocations`):

* its **key** is the records it rests on (the order, the zone, his records), so the same records
  give the same key on every run, and new or re-grouped records make a new item that needs its
  own decision (a decision is never carried over to different evidence);
* its **id** (``P`` and eight hex digits of the key's hash: ``T``/``B`` are candidates, ``C``
  co-locations, ``L`` identity links) is short enough to type;
* the decision is a row of the append-only decisions ledger (subject ``breach``), read back by
  the analysis: a **confirmed** one is a breach of that order (kind ``exclusion-zone
  (confirmed)``) and, where the order type's breach is an incident of the course of conduct
  (``breach_is_incident``), an incident (item ``confirmed-breach``), shown everywhere as
  *confirmed by <officer> on <date>: <note>* beside its data basis, never as a measured fact; a
  **dismissed** one never counts.

The life cycle (key, id, states, who decided) is every reviewed item's (:mod:`.reviewed`); this
module keeps what is a breach's own. It is pure (no ledger access): :func:`reviews` joins the
analysis's possible breaches to the decisions it was given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Final

from .records import PossibleBreach
from .reviewed import Decided, Reviewed, ReviewKind, ReviewState, agreed, item_key, per_exhibit, short_id
from .reviewed import state_of as _state_of

REVIEW_KIND: Final = ReviewKind(subject="breach", prefix="P", noun="possible breach", plural="possible breaches",
                                 command="breaches", decision="breach", audit="breach")
"""This kind of reviewed item (:data:`KIND` is the kind of breach a confirmed one becomes)."""
SUBJECT: Final = REVIEW_KIND.subject
"""The decisions ledger's subject for a possible breach."""
ITEM: Final = "confirmed-breach"
"""The course-of-conduct item a confirmed possible breach becomes."""
KIND: Final = "exclusion-zone (confirmed)"
"""The breach kind of a confirmed possible breach (a measured one is ``exclusion-zone``)."""
CONFIRMED_WORDS: Final = ("counted only because it was checked against other material and confirmed by an officer; "
                          "that decision is recorded in the case's decisions ledger")
"""What a served output (MG11, exhibit table) says of a confirmed possible breach: no officer, note or id."""


def breach_key(order: str, place: str, event_ids: Sequence[str]) -> str:
    """The ledger key of a possible breach: a hash of the order, the zone and the records it rests on."""
    return item_key("exclusion-zone", order, place, *sorted(event_ids))


def breach_id(key: str) -> str:
    """The short id people type (``P3f9a0c21``), derived from the key."""
    return short_id(REVIEW_KIND.prefix, key)


def key_of(b: PossibleBreach | Mapping[str, Any]) -> str:
    """:func:`breach_key` of a typed possible breach or of the analysis's row for one."""
    if isinstance(b, PossibleBreach):
        return breach_key(b.order, b.place, b.event_ids)
    return breach_key(str(b["order"]), str(b["place"]), list(b["event_ids"]))


def state_of(key: str, decisions: Mapping[tuple[str, str], str]) -> ReviewState:
    """The current state of a possible breach under ``decisions`` (``(subject, key)`` → state)."""
    return _state_of(SUBJECT, key, decisions)


@dataclass(frozen=True)
class BreachReview(Reviewed):
    """One possible breach with its current decision: the one typed result every output (CLI,
    JSON, TUI, HTML report, reviewer's note, MG11, MG6C) renders. Its id, whether it counts (only a
    confirmed one is a breach) and its status are every reviewed item's (:class:`.reviewed.Reviewed`)."""

    REVIEW_KIND: ClassVar[ReviewKind] = REVIEW_KIND
    possible: PossibleBreach
    key: str
    day: date
    """Its UK local date."""
    state: ReviewState = "open"
    decided: Decided | None = None
    new_day: bool = False
    """Its UK date has no incident counted from other records: confirming it adds an occasion
    (for an open one; for a confirmed one, the occasion it made)."""
    is_incident: bool = True
    """The order type's breach is an incident of the course of conduct (rules file ``breach_is_incident``)."""

    @property
    def start(self) -> datetime:
        return self.possible.ts

    @property
    def order(self) -> str:
        return self.possible.order

    @property
    def place(self) -> str:
        return self.possible.place

    @property
    def basis(self) -> str:
        """What the data shows and why it is possible only (never changed by a decision)."""
        return self.possible.basis

    @property
    def effect(self) -> str:
        """What confirming it adds, in words (for an open one; for a decided one, what it did)."""
        if not self.is_incident:
            return "a breach of the order; not an incident (the order type's breach is not one)"
        return f"adds an incident on {self.day:%d/%m/%Y}" if self.new_day else "adds no new incident day"

    def records_by_exhibit(self) -> str:
        """``JA/11 ×4; JA/5, row 9``: his records per exhibit (every record: :attr:`PossibleBreach.exhibits`)."""
        return per_exhibit(self.possible.records)

    def breach_row(self) -> dict[str, Any]:
        """The breach row a confirmed one becomes (:class:`atlas.conduct.records.Breach`, kind :data:`KIND`):
        its certainty says it is counted on an officer's decision (never whose: the row reaches exhibit
        tables), beside its data basis."""
        p = self.possible
        return {
            "order": p.order, "order_type": "", "kind": KIND, "ts": p.ts.isoformat(), "end": p.end.isoformat(),
            "date": self.day.isoformat(), "place": p.place, "event_ids": list(p.event_ids), "points": len(p.event_ids),
            "min_distance_m": p.min_distance_m,
            "certainty": f"{CONFIRMED_WORDS}; the data alone: {p.certainty}", "precision": p.precision,
            "identifier_status": None, "breach_rule": "",
        }

    def to_json(self) -> dict[str, Any]:
        return self.possible.to_json() | {
            "id": self.id, "key": self.key, "date": self.day.isoformat(), "state": self.state, "status": self.status,
            "counts": self.counts, "adds_a_day": self.new_day, "breach_is_incident": self.is_incident,
        } | self.decided_json()

    def ledger_detail(self) -> dict[str, Any]:
        """Its order, zone, times, basis and records, written with a decision on it."""
        p = self.possible
        return {"order": p.order, "place": p.place, "start": p.ts.isoformat(), "end": p.end.isoformat(),
                "basis": self.basis, "event_ids": list(p.event_ids), "exhibits": list(p.exhibits)}


def reviews(possible: Sequence[PossibleBreach], days: Sequence[date], decisions: Mapping[tuple[str, str], str],
            details: Mapping[str, Decided], incident_days: set[date],
            is_incident: Mapping[str, bool]) -> tuple[BreachReview, ...]:
    """Each possible breach with its decision. ``days``: each one's UK date; ``details`` (key → ledger
    row) gives who and why, used only where it agrees with the state the analysis counted;
    ``incident_days``: UK dates with an incident from other records; ``is_incident``: order → whether
    its breach is an incident."""
    out = []
    for p, day in zip(possible, days, strict=True):
        key = key_of(p)
        state = state_of(key, decisions)
        out.append(BreachReview(p, key, day, state, agreed(details, key, state), new_day=day not in incident_days,
                                is_incident=is_incident.get(p.order, True)))
    return tuple(out)


__all__ = ["CONFIRMED_WORDS", "ITEM", "KIND", "REVIEW_KIND", "SUBJECT", "BreachReview", "breach_id", "breach_key",
           "key_of", "reviews", "state_of"]
