"""The findings of the conduct analysis as typed records: what reports and the TUI read.

Each list in :class:`~atlas.conduct.analysis.ConductResult` that an output renders is a
tuple of one of these frozen records, not of dictionaries read with ``.get``: a renderer
that asks for a field the analysis does not give fails in the type checker, not in front
of a reader. ``to_json()`` gives exactly what ``atlas conduct --json`` has always
printed for the record (the same keys for the same kind of record), so the JSON is a
rendering of the record, and :func:`from_json`-style constructors (``of``) read the
analysis's column-wise output once.

Times stay as the aware UTC datetimes the analysis computed; dates are UK local dates.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, TypeVar

if TYPE_CHECKING:
    from atlas.exhibits import RecordRef


_DATA_ONLY: Final = frozenset({"records", "victim_records"})
"""Fields that hold a record list as data (:class:`atlas.exhibits.RecordRef`) beside the ``exhibits``
text the JSON gives: never in the JSON themselves."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "to_json"):
        return value.to_json()
    return value


def _day(value: Any) -> date:
    return value if isinstance(value, date) and not isinstance(value, datetime) else date.fromisoformat(str(value))


def _instant(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _opt_instant(value: Any) -> datetime | None:
    return None if value is None else _instant(value)


def _strs(value: Iterable[Any] | None) -> tuple[str, ...]:
    """A list of text as a tuple (the analysis's lists hold text already: no per-item work)."""
    return tuple(value) if value else ()


R = TypeVar("R")


class Deferred(Generic[R]):
    """Typed records counted at once and made on first use (once, then kept).

    The analysis knows how many breaches there are column-wise; turning 166,000 of them
    into :class:`Breach` records took over two seconds of every recomputation after a
    decision, though the workbench's headline only counts them. ``make`` is the plain
    rule (the same function that made them eagerly), so an output that reads the records
    gets exactly what it always did."""

    def __init__(self, count: int, make: Callable[[], tuple[R, ...]]) -> None:
        self._count = count
        self._make: Callable[[], tuple[R, ...]] | None = make
        self._value: tuple[R, ...] | None = None
        self._lock = threading.Lock()  # screens read a result from worker threads: make them once

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"Deferred({self._count} records, {'made' if self._value is not None else 'not made yet'})"

    @property
    def made(self) -> bool:
        return self._value is not None

    def get(self) -> tuple[R, ...]:
        """The records (made now if no one asked before)."""
        if self._value is None:
            with self._lock:
                if self._value is None:
                    assert self._make is not None
                    value = self._make()
                    if len(value) != self._count:
                        raise AssertionError(f"{len(value)} records made where {self._count} were counted")
                    self._value, self._make = value, None
        return self._value

    @classmethod
    def of(cls, records: Sequence[R]) -> Deferred[R]:
        """Records already made."""
        value = tuple(records)
        return cls(len(value), lambda: value)


class _Record:
    """``to_json`` from the dataclass fields named in ``KEYS`` (per kind where kinds differ)."""

    KEYS: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    JSON_NAMES: ClassVar[Mapping[str, str]] = {}

    def _keys(self) -> tuple[str, ...]:
        kind = str(getattr(self, "kind", ""))
        return self.KEYS.get(kind) or self.KEYS.get("*") or tuple(
            f.name for f in fields(self) if f.name not in _DATA_ONLY)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        return {self.JSON_NAMES.get(k, k): _plain(getattr(self, k)) for k in self._keys()}


@dataclass(frozen=True)
class PresenceRef:
    kind: str
    place: str | None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "place": self.place}


@dataclass(frozen=True)
class Incident(_Record):
    """One occasion of the course of conduct (a UK local day, or a session)."""

    date: date
    first_ts: datetime
    last_ts: datetime
    channels: tuple[str, ...]
    event_ids: tuple[str, ...]
    exhibits: tuple[str, ...]
    """The records by exhibit (``JA/7, sms rowid 477``), in the order of ``event_ids``."""
    contacts: int
    contact_ids: tuple[str, ...]
    presences: tuple[PresenceRef, ...]
    targets: tuple[str, ...]
    kinds: tuple[str, ...]
    threat: bool
    breach: bool
    night: bool
    identifiers: tuple[str, ...]
    identifier_statuses: tuple[str, ...]

    @classmethod
    def of(cls, d: Mapping[str, Any], records: Sequence[RecordRef]) -> Incident:
        return cls(date=_day(d["date"]), first_ts=_instant(d["first_ts"]), last_ts=_instant(d["last_ts"]),
                   channels=_strs(d["channels"]), event_ids=_strs(d["event_ids"]),
                   exhibits=tuple(map(str, records)), contacts=int(d["contacts"]),
                   contact_ids=_strs(d["contact_ids"]),
                   presences=tuple(PresenceRef(p["kind"], p["place"]) for p in d["presences"]),
                   targets=_strs(d["targets"]), kinds=_strs(d["kinds"]), threat=bool(d["threat"]),
                   breach=bool(d["breach"]), night=bool(d["night"]), identifiers=_strs(d["identifiers"]),
                   identifier_statuses=_strs(d["identifier_statuses"]))


@dataclass(frozen=True)
class ThreatOccasion(_Record):
    """A candidate threat occasion (a day with a message the threat rules rank as a likely
    threat): for a person to confirm. ``status`` is ``candidate`` until a person confirms
    one of its messages (``confirmed``); ``contexts`` are the whole messages with the
    matched words in «guillemets»; ``candidate_keys`` are the decisions ledger's keys."""

    date: date
    first_ts: datetime
    event_ids: tuple[str, ...]
    exhibits: tuple[str, ...]
    matched: tuple[str, ...]
    patterns: tuple[str, ...]
    contact_ids: tuple[str, ...]
    contexts: tuple[str, ...]
    texts: tuple[str, ...]
    channels: tuple[str, ...]
    to_confirm: str
    score: float = 0.0
    status: str = "candidate"
    candidate_keys: tuple[tuple[str, str], ...] = ()
    confirmed_keys: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, d: Mapping[str, Any], records: Sequence[RecordRef]) -> ThreatOccasion:
        return cls(date=_day(d["date"]), first_ts=_instant(d["first_ts"]), event_ids=_strs(d["event_ids"]),
                   exhibits=tuple(map(str, records)), matched=_strs(d["matched"]), patterns=_strs(d["patterns"]), contact_ids=_strs(d["contact_ids"]),
                   contexts=_strs(d["contexts"]), texts=_strs(d["texts"]), channels=_strs(d["channels"]),
                   to_confirm=str(d["to_confirm"]), score=float(d.get("score", 0.0)),
                   status=str(d.get("status", "candidate")),
                   candidate_keys=tuple((str(k), str(e)) for k, e in d.get("candidate_keys", ())),
                   confirmed_keys=tuple((str(k), str(e)) for k, e in d.get("confirmed_keys", ())))


@dataclass(frozen=True)
class ThreatHit(_Record):
    """One threat candidate on the review list (either tier), for a person to read: the
    strongest rule (``pattern``, ``category``, ``matched``), every rule that matched
    (``rules``), the whole message (``text``, and ``marked`` / ``context`` with the matched
    words in «guillemets»), its ``score`` and ``tier`` (``occasion`` or ``review``; only
    the occasion tier ``counts_as_threat`` as a candidate), and the ledger ``key``."""

    date: date
    ts: datetime
    contact_id: str
    event_ids: tuple[str, ...]
    exhibits: tuple[str, ...]
    pattern: str
    kind: str
    category: str | None
    strength: str
    matched: str
    context: str
    counts_as_threat: bool
    event_id: str = ""
    tier: str = ""
    score: float = 0.0
    rules: tuple[Mapping[str, Any], ...] = ()
    text: str = ""
    marked: str = ""
    decision: str | None = None

    KEYS: ClassVar[Mapping[str, tuple[str, ...]]] = {"*": ("date", "ts", "contact_id", "event_ids", "exhibits", "pattern", "kind", "category", "strength", "matched",
                         "context", "counts_as_threat", "event_id", "key", "tier", "score", "rules", "text", "marked",
                         "decision")}

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.event_id)

    @classmethod
    def of(cls, d: Mapping[str, Any], records: Sequence[RecordRef]) -> ThreatHit:
        return cls(date=_day(d["date"]), ts=_instant(d["ts"]), contact_id=str(d["contact_id"]),
                   event_ids=_strs(d["event_ids"]), exhibits=tuple(map(str, records)), pattern=str(d["pattern"]), kind=str(d["kind"]),
                   category=d["category"], strength=str(d["strength"]), matched=str(d["matched"]),
                   context=str(d["context"]), counts_as_threat=bool(d["counts_as_threat"]),
                   event_id=str(d.get("event_id", "")), tier=str(d.get("tier", "")), score=float(d.get("score", 0.0)),
                   rules=tuple(d.get("rules", ())), text=str(d.get("text", "")), marked=str(d.get("marked", "")),
                   decision=d.get("decision"))


@dataclass(frozen=True)
class Gap(_Record):
    """A quiet spell between incidents longer than the threshold: a person judges it."""

    start: date
    end: date
    days: int
    note: str

    KEYS: ClassVar[Mapping[str, tuple[str, ...]]] = {"*": ("start", "end", "days", "note")}
    JSON_NAMES: ClassVar[Mapping[str, str]] = {"start": "from", "end": "to"}

    @property
    def quiet(self) -> tuple[date, date, int]:
        """The days with no incident: the first, the last and how many (``days`` counts from one
        incident day to the next, one more)."""
        return self.start + timedelta(days=1), self.end - timedelta(days=1), self.days - 1

    @classmethod
    def of(cls, d: Mapping[str, Any]) -> Gap:
        return cls(start=_day(d["from"]), end=_day(d["to"]), days=int(d["days"]), note=str(d["note"]))


_BREACH_COMMON: Final = ("order", "order_type", "kind", "ts", "date", "event_ids", "exhibits", "identifier_status",
                          "breach_rule")


@dataclass(frozen=True)
class Breach(_Record):
    """A contact inside an order's window, or presence inside one of its exclusion zones."""

    order: str
    order_type: str
    kind: str
    """``contact``, ``exclusion-zone``, or ``exclusion-zone (confirmed)`` (a possible breach an officer
    confirmed: :mod:`.possible_breaches`; never a measured presence)."""
    ts: datetime
    date: date
    event_ids: tuple[str, ...]
    exhibits: tuple[str, ...]
    identifier_status: str | None
    breach_rule: str
    # a contact
    contact_id: str | None = None
    channel: str | None = None
    contact_kind: str | None = None
    identifiers: tuple[str, ...] = ()
    """The suspect's identifiers the contact used (a contact breach)."""
    sources: int | None = None
    # presence in an exclusion zone
    end: datetime | None = None
    place: str | None = None
    points: int | None = None
    min_distance_m: float | None = None
    certainty: str | None = None
    precision: str | None = None

    KEYS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "contact": (*_BREACH_COMMON, "contact_id", "channel", "contact_kind", "identifiers", "sources"),
        "exclusion-zone": (*_BREACH_COMMON, "end", "place", "points", "min_distance_m", "certainty", "precision"),
        # a possible breach an officer confirmed (atlas.conduct.possible_breaches): its certainty says so
        "exclusion-zone (confirmed)": (*_BREACH_COMMON, "end", "place", "points", "min_distance_m", "certainty",
                                       "precision"),
    }

    @classmethod
    def of(cls, d: Mapping[str, Any], records: Sequence[RecordRef]) -> Breach:
        return cls(order=str(d["order"]), order_type=str(d["order_type"]), kind=str(d["kind"]), ts=_instant(d["ts"]),
                   date=_day(d["date"]), event_ids=_strs(d["event_ids"]), exhibits=tuple(map(str, records)),
                   identifier_status=d.get("identifier_status"),
                   breach_rule=str(d["breach_rule"]), contact_id=d.get("contact_id"), channel=d.get("channel"),
                   contact_kind=d.get("contact_kind"), identifiers=_strs(d.get("identifiers")), sources=d.get("sources"),
                   end=_opt_instant(d.get("end")), place=d.get("place"), points=d.get("points"),
                   min_distance_m=d.get("min_distance_m"), certainty=d.get("certainty"), precision=d.get("precision"))


@dataclass(frozen=True)
class PossibleBreach(_Record):
    """Evidence near an exclusion zone that cannot show presence: listed, never counted."""

    order: str
    kind: str
    ts: datetime
    end: datetime
    place: str
    event_ids: tuple[str, ...]
    exhibits: tuple[str, ...]
    min_distance_m: float
    certainty: str
    precision: str
    basis: str
    """Exactly what it rests on (which records, and why they cannot show presence)."""
    statuses: tuple[str, ...] = ()
    """Why each position is only possible (:data:`~atlas.conduct.geo.ACCURACY_UNKNOWN`,
    :data:`~atlas.conduct.geo.OUTSIDE_STRADDLES`): what :attr:`certainty` says in words, for an output
    that words it its own way (never by reading :attr:`certainty`). Not in the JSON."""
    records: tuple[RecordRef, ...] = ()
    """:attr:`exhibits` as data (exhibit and place apart), for an output that wants the exhibit
    alone (never cut out of ``JA/7, row 4``). Not in the JSON."""

    KEYS: ClassVar[Mapping[str, tuple[str, ...]]] = {"*": ("order", "kind", "ts", "end", "place", "event_ids", "exhibits",
                                                           "min_distance_m", "certainty", "precision", "basis")}

    @classmethod
    def of(cls, d: Mapping[str, Any], records: Sequence[RecordRef]) -> PossibleBreach:
        return cls(order=str(d["order"]), kind=str(d["kind"]), ts=_instant(d["ts"]), end=_instant(d["end"]),
                   place=str(d["place"]), event_ids=_strs(d["event_ids"]), exhibits=tuple(map(str, records)),
                   min_distance_m=float(d["min_distance_m"]),
                   certainty=str(d["certainty"]), precision=str(d["precision"]), basis=str(d["basis"]),
                   statuses=_strs(d.get("statuses") or ()), records=tuple(records))


_COLOC_COMMON: Final = ("kind", "place", "start", "end", "date", "event_ids", "exhibits", "points", "min_distance_m", "certainty",
                        "precision", "channels")


@dataclass(frozen=True)
class Colocation(_Record):
    """The suspect's device at a protected place, or near the victim's own position."""

    kind: str
    """``protected-place`` or ``victim-location``."""
    place: str | None
    start: datetime
    end: datetime
    date: date
    event_ids: tuple[str, ...]
    exhibits: tuple[str, ...]
    points: int
    min_distance_m: float
    certainty: str
    precision: str
    channels: tuple[str, ...]
    # at a place
    radius_m: float | None = None
    max_accuracy_m: float | None = None
    statuses: tuple[str, ...] = ()
    # near the victim
    lat: float | None = None
    lon: float | None = None
    max_time_apart_s: int | None = None
    victim_event_ids: tuple[str, ...] = ()
    victim_exhibits: tuple[str, ...] = ()
    suspect_accuracy: str = ""
    """His positions' stated accuracy in words (``±12 m``, ``accuracy not stated``)."""
    victim_accuracy: str = ""
    """Hers, near the victim (empty at a place)."""
    records: tuple[RecordRef, ...] = ()
    """:attr:`exhibits` as data (exhibit and place apart; not in the JSON)."""
    victim_records: tuple[RecordRef, ...] = ()
    """:attr:`victim_exhibits` as data (not in the JSON)."""

    KEYS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "protected-place": (*_COLOC_COMMON, "radius_m", "max_accuracy_m", "statuses"),
        "victim-location": (*_COLOC_COMMON, "lat", "lon", "max_time_apart_s", "victim_event_ids", "victim_exhibits",
                            "suspect_accuracy", "victim_accuracy"),
    }

    @classmethod
    def of(cls, d: Mapping[str, Any], records: Sequence[RecordRef]) -> Colocation:
        return cls(kind=str(d["kind"]), place=d.get("place"), start=_instant(d["start"]), end=_instant(d["end"]),
                   date=_day(d["date"]), event_ids=_strs(d["event_ids"]), exhibits=tuple(map(str, records)),
                   points=int(d["points"]),
                   min_distance_m=float(d["min_distance_m"]), certainty=str(d["certainty"]),
                   precision=str(d["precision"]), channels=_strs(d.get("channels")), radius_m=d.get("radius_m"),
                   max_accuracy_m=d.get("max_accuracy_m"), statuses=_strs(d.get("statuses")), lat=d.get("lat"),
                   lon=d.get("lon"), max_time_apart_s=d.get("max_time_apart_s"),
                   victim_event_ids=_strs(d.get("victim_event_ids")),
                   victim_exhibits=tuple(map(str, d.get("victim_records") or ())),
                   suspect_accuracy=str(d.get("suspect_accuracy") or ""), victim_accuracy=str(d.get("victim_accuracy") or ""),
                   records=tuple(records), victim_records=tuple(d.get("victim_records") or ()))


@dataclass(frozen=True)
class OrderSummary(_Record):
    """An order in case.toml, what a breach of it is (rules file), and what the analysis found."""

    order: str
    type: str
    title: str
    against: str
    protects: str
    start: datetime
    end: datetime | None
    no_contact: bool
    exclusion_zones: tuple[str, ...]
    conditions: str
    breach_rule: str
    order_citation: str
    breach_counts_as_incident: bool
    assumptions: tuple[str, ...]
    law: tuple[str, ...]
    analysed: bool
    """False when the order is against someone other than the suspect analysed."""
    contact_breaches: int = 0
    zone_breaches: int = 0
    by_identifier_status: Mapping[str, int] | None = None
    indirect_contacts: int = 0
    indirect_contact_targets: tuple[str, ...] = ()
    indirect_note: str = ""
    possible_within_breaches: int = 0
    """Possible-presence records (no stated accuracy) of visits already counted as breaches."""
    confirmed_possible_breaches: int = 0
    """Possible breaches of this order's exclusion zones an officer confirmed (counted among its breaches)."""
    note: str | None = None
    law_warning: str | None = None

    def to_json(self) -> dict[str, Any]:
        keys = ["order", "type", "title", "against", "protects", "start", "end", "no_contact", "exclusion_zones",
                "conditions", "breach_rule", "order_citation", "breach_counts_as_incident", "assumptions", "law"]
        if self.law_warning is not None:
            keys.append("law_warning")
        if self.analysed:
            keys += ["contact_breaches", "zone_breaches", "by_identifier_status", "indirect_contacts",
                     "indirect_contact_targets", "indirect_note", "possible_within_breaches",
                     "confirmed_possible_breaches"]
        if self.note is not None:
            keys.append("note")
        out = {k: _plain(getattr(self, k)) for k in keys}
        if self.by_identifier_status is not None and "by_identifier_status" in out:
            out["by_identifier_status"] = dict(self.by_identifier_status)
        return out

    @classmethod
    def of(cls, d: Mapping[str, Any]) -> OrderSummary:
        analysed = "contact_breaches" in d
        return cls(order=str(d["order"]), type=str(d["type"]), title=str(d["title"]), against=str(d["against"]),
                   protects=str(d["protects"]), start=_instant(d["start"]), end=_opt_instant(d.get("end")),
                   no_contact=bool(d["no_contact"]), exclusion_zones=_strs(d["exclusion_zones"]),
                   conditions=str(d["conditions"]), breach_rule=str(d["breach_rule"]),
                   order_citation=str(d["order_citation"]), breach_counts_as_incident=bool(d["breach_counts_as_incident"]),
                   assumptions=_strs(d["assumptions"]), law=_strs(d.get("law")), analysed=analysed,
                   contact_breaches=int(d.get("contact_breaches", 0)), zone_breaches=int(d.get("zone_breaches", 0)),
                   by_identifier_status=d.get("by_identifier_status"), indirect_contacts=int(d.get("indirect_contacts", 0)),
                   indirect_contact_targets=_strs(d.get("indirect_contact_targets")),
                   indirect_note=str(d.get("indirect_note", "")),
                   possible_within_breaches=int(d.get("possible_within_breaches", 0)),
                   confirmed_possible_breaches=int(d.get("confirmed_possible_breaches", 0)), note=d.get("note"),
                   law_warning=d.get("law_warning"))


__all__ = [
    "Breach", "Colocation", "Deferred", "Gap", "Incident", "OrderSummary", "PossibleBreach", "PresenceRef", "ThreatHit",
    "ThreatOccasion",
]
