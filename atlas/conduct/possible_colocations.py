"""Possible co-locations as items an officer reviews: confirm (it counts), dismiss (it never
counts) or leave open (listed, not counted).

Why: the location standard (:mod:`.location_standard`) grades a co-location that rests on a
position with no stated accuracy (a victim's own Google Timeline points, a derived visit) as
*possible* only. In a covert case that can be most of them: the truth had 16 incidents, Atlas
counted 3 and listed 14 that nobody could act on. The data cannot settle them; an officer who
has checked the records against other evidence (her account, CCTV, another exhibit) can. So a
possible co-location is a reviewable item, as a threat candidate is:

* its **key** is the records it rests on (kind, place, his records, her records), so the same
  records give the same key on every run, and new or re-grouped records make a new item that
  needs its own decision (a decision is never carried over to different evidence);
* its **id** (``C`` and eight hex digits of the key's hash) is short enough to type;
* the decision is a row of the append-only decisions ledger (subject ``colocation``), read
  back by the analysis: a **confirmed** one is an incident of the course of conduct (item
  ``confirmed-colocation``), shown everywhere as *confirmed by <officer> on <date>: <note>*
  beside its data basis, never as a measured fact; a **dismissed** one never counts.

The life cycle (key, id, states, who decided) is every reviewed item's (:mod:`.reviewed`); this
module keeps what is a co-location's own. It is pure (no ledger access): :func:`reviews` joins the
analysis's possible co-locations to the decisions it was given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

from .records import Colocation
from .reviewed import (
    STATES,
    Decided,
    Reviewed,
    ReviewKind,
    ReviewState,
    agreed,
    decision_status,
    item_key,
    per_exhibit,
    short_id,
)
from .reviewed import state_of as _state_of

if TYPE_CHECKING:
    from atlas.exhibits import RecordRef

REVIEW_KIND: Final = ReviewKind(subject="colocation", prefix="C", noun="possible co-location", plural="possible co-locations",
                         command="colocations", decision="co-location", audit="colocation")
SUBJECT: Final = REVIEW_KIND.subject
"""The decisions ledger's subject for a possible co-location."""
ITEM: Final = "confirmed-colocation"
"""The course-of-conduct item a confirmed possible co-location becomes."""


def colocation_key(kind: str, place: str | None, event_ids: Sequence[str], victim_event_ids: Sequence[str] = ()) -> str:
    """The ledger key of a possible co-location: a hash of the records it rests on.

    The event ids are long (``<sha256 prefix>/<source ref>``, dozens of them for one visit), so
    the ledger keeps their SHA-256 (the records themselves are written in the decision's detail)."""
    return item_key(kind, place or "", *sorted(event_ids), "--", *sorted(victim_event_ids))


def colocation_id(key: str) -> str:
    """The short id people type (``C3f9a0c21``), derived from the key."""
    return short_id(REVIEW_KIND.prefix, key)


def key_of(c: Colocation | Mapping[str, Any]) -> str:
    """:func:`colocation_key` of a typed co-location or of the analysis's row for one."""
    if isinstance(c, Colocation):
        return colocation_key(c.kind, c.place, c.event_ids, c.victim_event_ids)
    return colocation_key(str(c["kind"]), c.get("place"), list(c["event_ids"]), list(c.get("victim_event_ids") or ()))


def records_by_exhibit(c: Colocation) -> str:
    """``JA/11 ×4; JA/5, row 9 / JA/14 ×4``: his records per exhibit, then hers."""
    return per_exhibit(c.records) + (f" / {per_exhibit(c.victim_records)}" if c.victim_records else "")


@dataclass(frozen=True)
class PossibleColocation(Reviewed):
    """One possible co-location with its current decision: the one typed result every output
    (CLI, JSON, TUI, HTML report, reviewer's note, MG11) renders. Its id, whether it counts (only a
    confirmed one is an incident) and its status are every reviewed item's (:class:`.reviewed.Reviewed`)."""

    REVIEW_KIND: ClassVar[ReviewKind] = REVIEW_KIND
    colocation: Colocation
    key: str
    state: ReviewState = "open"
    decided: Decided | None = None
    new_day: bool = False
    """Its UK date has no incident counted from other records: confirming it adds an occasion
    (for an open one; for a confirmed one, the occasion it made)."""

    @property
    def start(self) -> datetime:
        return self.colocation.start

    @property
    def day(self) -> date:
        """Its UK local date."""
        return self.colocation.date

    @property
    def basis(self) -> str:
        """What the data shows and why it is possible only (never changed by a decision)."""
        return self.colocation.certainty

    @property
    def accuracy(self) -> tuple[str, str]:
        """(his positions' stated accuracy, hers) in words; at a place, hers is the place's radius."""
        c = self.colocation
        if c.kind == "victim-location":
            return c.suspect_accuracy or "-", c.victim_accuracy or "-"
        from .geo import ACCURACY_UNKNOWN

        unstated = ACCURACY_UNKNOWN in c.statuses  # the status as data, not a search of its words
        his = (f"±{c.max_accuracy_m:.0f} m at most" if c.max_accuracy_m is not None else "accuracy not stated") + (
            "; some positions state no accuracy" if unstated and c.max_accuracy_m is not None else "")
        return his, f"place radius {c.radius_m:.0f} m" if c.radius_m is not None else "-"

    @property
    def short_accuracy(self) -> str:
        """``his / hers`` accuracy for a narrow table cell (the full words are :attr:`accuracy`)."""
        return " / ".join(short_accuracy(a) for a in self.accuracy)

    @property
    def where(self) -> str:
        """The place named in the case, else what it was compared with."""
        return self.colocation.place or ("near the victim" if self.colocation.kind == "victim-location"
                                         else self.colocation.kind)

    def records_by_exhibit(self) -> str:
        """``JA/11 ×4; JA/5, row 9 / JA/14 ×4``: his records per exhibit, then hers (every record: :meth:`records`)."""
        return records_by_exhibit(self.colocation)

    def records(self) -> tuple[str, ...]:
        """Both sides' records by exhibit (``JA/7, … rowid …``): his, then hers."""
        return (*self.colocation.exhibits, *self.colocation.victim_exhibits)

    def record_refs(self) -> tuple[RecordRef, ...]:
        """:meth:`records` as data (exhibit and place apart): his, then hers."""
        return (*self.colocation.records, *self.colocation.victim_records)

    def to_json(self) -> dict[str, Any]:
        return self.colocation.to_json() | {
            "id": self.id, "key": self.key, "state": self.state, "status": self.status, "counts": self.counts,
            "adds_a_day": self.new_day,
        } | self.decided_json()

    def ledger_detail(self) -> dict[str, Any]:
        """Its kind, place, times, basis and both sides' records, written with a decision on it."""
        c = self.colocation
        return {"kind": c.kind, "place": c.place, "start": c.start.isoformat(), "end": c.end.isoformat(),
                "basis": self.basis, "event_ids": list(c.event_ids), "victim_event_ids": list(c.victim_event_ids),
                "exhibits": list(self.records())}


@dataclass(frozen=True)
class ColocationEffect:
    """What confirming every open possible co-location would change (computed, nothing written)."""

    open: int
    incidents_now: int
    incidents_if_confirmed: int
    last_incident_now: date | None
    last_incident_if_confirmed: date | None
    deadline_now: date | None
    deadline_if_confirmed: date | None
    added_dates: tuple[date, ...] = field(default_factory=tuple)

    @property
    def changes(self) -> bool:
        return (self.incidents_now != self.incidents_if_confirmed
                or self.last_incident_now != self.last_incident_if_confirmed)

    def to_json(self) -> dict[str, Any]:
        def iso(d: date | None) -> str | None:
            return d.isoformat() if d else None
        return {"open": self.open, "incidents": {"now": self.incidents_now, "if_confirmed": self.incidents_if_confirmed},
                "last_incident": {"now": iso(self.last_incident_now), "if_confirmed": iso(self.last_incident_if_confirmed)},
                "deadline": {"now": iso(self.deadline_now), "if_confirmed": iso(self.deadline_if_confirmed)},
                "added_dates": [d.isoformat() for d in self.added_dates]}


MarkState = Literal["measured", "confirmed", "open", "dismissed"]
SHOWN_AS: Final[dict[str, str]] = {
    "measured": "co-location (measured)",
    "confirmed": "possible co-location, confirmed by an officer",
    "open": "possible co-location, not counted (awaiting an officer's decision)",
    "dismissed": "possible co-location, dismissed by an officer (not counted)",
}
"""What a map or chart calls each kind of co-location (legend and label): a confirmed one is
never drawn as measured, an open one never as counted."""
SERVED_STATES: Final = ("measured", "confirmed")
"""The co-locations drawn in what is served with the statement (its figures): the ones it relies
on. Open ones are records not relied on and dismissed ones an officer's decision, both
scheduled as unused material (:mod:`reports.unused`), never drawn as evidence."""


@dataclass(frozen=True)
class ColocationMark:
    """One co-location as a map or chart draws it: measured, or possible with its decision."""

    state: MarkState
    colocation: Colocation
    review: PossibleColocation | None = None

    @property
    def counts(self) -> bool:
        return self.state in ("measured", "confirmed")

    @property
    def shown_as(self) -> str:
        return SHOWN_AS[self.state]

    @property
    def where(self) -> str:
        c = self.colocation
        return c.place or ("near the victim" if c.kind == "victim-location" else c.kind)

    @property
    def basis(self) -> str:
        """What the data shows (a measured one: its certainty; a possible one: why it is possible only)."""
        return self.colocation.certainty

    def records(self) -> tuple[str, ...]:
        """Both sides' records by exhibit (``JA/7, … rowid …``): his, then hers."""
        return (*self.colocation.exhibits, *self.colocation.victim_exhibits)

    def record_refs(self) -> tuple[RecordRef, ...]:
        """:meth:`records` as data (exhibit and place apart): his, then hers."""
        return (*self.colocation.records, *self.colocation.victim_records)

    def records_by_exhibit(self) -> str:
        """``JA/11 ×4; JA/5, row 9 / JA/14 ×4`` (his / hers)."""
        return records_by_exhibit(self.colocation)


def colocation_marks(measured: Sequence[Colocation], reviews: Sequence[PossibleColocation],
                     states: Sequence[str] = ("measured", "confirmed", "open", "dismissed")) -> list[ColocationMark]:
    """Every co-location a map or chart draws, in time order: the measured ones and the possible
    ones in ``states`` (what is served draws :data:`SERVED_STATES` only)."""
    out = [ColocationMark("measured", c) for c in measured] if "measured" in states else []
    out += [ColocationMark(p.state, p.colocation, p) for p in reviews if p.state in states]
    return sorted(out, key=lambda m: (m.colocation.start, ("measured", "confirmed", "open", "dismissed").index(m.state),
                                      m.colocation.event_ids))


def short_accuracy(words: str) -> str:
    """One side's accuracy words, shortened for a table cell."""
    return (words.replace(" at most where stated; some positions state no accuracy", " at most; some not stated")
            .replace("accuracy not stated", "not stated"))


def state_of(key: str, decisions: Mapping[tuple[str, str], str]) -> ReviewState:
    """The current state of a possible co-location under ``decisions`` (``(subject, key)`` → state)."""
    return _state_of(SUBJECT, key, decisions)


def reviews(possible: Sequence[Colocation], decisions: Mapping[tuple[str, str], str],
            details: Mapping[str, Decided], incident_days: set[date]) -> tuple[PossibleColocation, ...]:
    """Each possible co-location with its decision. ``details`` (key → ledger row) gives who and
    why; it is used only where it agrees with the state the analysis counted (a hypothetical
    decision has none). ``incident_days``: UK dates with an incident from other records."""
    out = []
    for c in possible:
        key = key_of(c)
        state = state_of(key, decisions)
        out.append(PossibleColocation(c, key, state, agreed(details, key, state), new_day=c.date not in incident_days))
    return tuple(out)


__all__ = ["ITEM", "REVIEW_KIND", "SERVED_STATES", "SHOWN_AS", "STATES", "SUBJECT", "ColocationEffect", "ColocationMark",
           "Decided", "MarkState", "PossibleColocation", "ReviewState", "colocation_id", "colocation_key",
           "colocation_marks", "decision_status", "key_of", "per_exhibit", "records_by_exhibit", "reviews",
           "short_accuracy", "state_of"]
