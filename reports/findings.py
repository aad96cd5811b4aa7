"""The findings every output shows, computed once from :class:`ReportInputs`.

The HTML report, the PNG figures, the statement and the schedules all read one
:class:`Findings`, so a number cannot differ between them. Course-of-conduct results
are the analysis's typed records (:mod:`atlas.conduct.records`), the same objects
``atlas conduct --json`` renders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl

from atlas.conduct import ConductResult
from atlas.conduct.assumptions import served
from atlas.conduct.parties import AUTHORITY_PREFIX
from atlas.conduct.possible_breaches import BreachReview
from atlas.conduct.possible_colocations import ColocationMark, PossibleColocation, colocation_marks
from atlas.conduct.records import Breach, Colocation, Gap, Incident, ThreatOccasion
from atlas.conduct.time_limit import S2AVerdict

from . import aggregate
from .inputs import ReportInputs


@dataclass(frozen=True)
class Period:
    """A shaded span on the time charts (an order in force, the s2A window)."""

    label: str
    start: date
    end: date | None
    """Inclusive last local day; None = open-ended (shown to the chart's end)."""
    name: str = ""
    """What the span is, alone (``s2A time limit``), for a chart's legend that words the rest its own
    way (never cut out of :attr:`label`)."""


@dataclass(frozen=True)
class AuthorityCalls:
    """Calls from the suspect to a police number (``authority_identifiers``, e.g. 101) that the
    analysis counts in its incidents (possible vexatious reports): not contact with the victim's
    side, so a day count that includes them must say so."""

    calls: int
    numbers: tuple[str, ...]
    """As dialled (``101``), in the order first called."""
    days: tuple[date, ...]
    """Incident days with such a call."""
    only_days: tuple[date, ...]
    """Incident days that rest on such a call alone."""


@dataclass(frozen=True)
class TwoWayWeeks:
    """Contacts from the suspect not counted as incidents because they fall in two-way weeks
    (:mod:`atlas.conduct.reciprocity`): the day count leaves them out, so it must say so."""

    contacts_not_counted: int
    weeks: int
    min_started: int
    share: float


@dataclass(frozen=True)
class Findings:
    """What the charts and documents show, from :class:`ReportInputs`: aggregates of the
    contacts, and the conduct analysis's own typed records (never copies of them)."""

    channels: list[str]
    daily: pl.DataFrame
    heat: pl.DataFrame
    weeks: pl.DataFrame
    counts: dict[str, int]
    per_channel: pl.DataFrame
    orders: list[Period]
    s2a_window: Period | None
    conduct: ConductResult | None
    """The analysis (``inputs.conduct``): dated on ``--as-of``, else undated."""
    contact_event_ids: list[str] = field(default_factory=list)
    """Every source record behind the contact charts (from the suspect)."""
    channel_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Each of :attr:`channels` (a joined group key) → its channel keys as data (:func:`aggregate.channel_keys`)."""

    def channel_name(self, channel: str) -> str:
        """One of :attr:`channels` as people read it, named from its keys as data (never split back)."""
        from atlas.wording import channel_name

        return channel_name(self.channel_keys.get(channel, (channel,)))

    @property
    def incidents(self) -> tuple[Incident, ...]:
        return self.conduct.incidents if self.conduct is not None else ()

    @property
    def threats(self) -> tuple[ThreatOccasion, ...]:
        return self.conduct.threat_occasions if self.conduct is not None else ()

    @property
    def breaches(self) -> tuple[Breach, ...]:
        return self.conduct.breaches if self.conduct is not None else ()

    @property
    def colocations(self) -> tuple[Colocation, ...]:
        return self.conduct.colocations if self.conduct is not None else ()

    @property
    def confirmed_colocations(self) -> tuple[PossibleColocation, ...]:
        """Possible co-locations an officer confirmed: counted, always shown as confirmed with their basis."""
        return self.conduct.confirmed_colocations if self.conduct is not None else ()

    def colocation_marks(self, states: tuple[str, ...] = ("measured", "confirmed", "open", "dismissed")
                         ) -> list[ColocationMark]:
        """Measured co-locations and possible ones in ``states``, each with its state, as maps and
        charts draw them (what is served draws :data:`SERVED_STATES` only)."""
        reviews = self.conduct.colocation_reviews if self.conduct is not None else ()
        return colocation_marks(self.colocations, reviews, states)

    @property
    def confirmed_breaches(self) -> tuple[BreachReview, ...]:
        """Possible breaches an officer confirmed: counted, always shown as confirmed with their basis."""
        return self.conduct.confirmed_breaches if self.conduct is not None else ()

    @property
    def authority_calls(self) -> AuthorityCalls | None:
        """The incidents' calls to police numbers (None when there are none)."""
        if self.conduct is None:
            return None
        calls = int(self.conduct.course_of_conduct.get("authority_contacts") or 0)
        days = [i for i in self.incidents if "authority" in i.kinds]
        if not calls or not days:
            return None
        numbers = dict.fromkeys(t.removeprefix(AUTHORITY_PREFIX).rpartition(":")[2]
                                for i in days for t in i.targets if t.startswith(AUTHORITY_PREFIX))
        return AuthorityCalls(calls=calls, numbers=tuple(numbers), days=tuple(i.date for i in days),
                              only_days=tuple(i.date for i in days if set(i.kinds) == {"authority"}))

    @property
    def two_way(self) -> TwoWayWeeks | None:
        """Contacts left out of the incidents as two-way (None when none is left out)."""
        if self.conduct is None:
            return None
        n = int(self.conduct.course_of_conduct.get("mutual_contacts_not_counted") or 0)
        if not n:
            return None
        opts = self.conduct.options
        return TwoWayWeeks(contacts_not_counted=n, weeks=len(self.conduct.mutual_periods.get("weeks") or ()),
                           min_started=int(opts.get("mutual_min_replies", 2)), share=float(opts.get("mutual_share", 0.3)))

    @property
    def gaps(self) -> tuple[Gap, ...]:
        return self.conduct.gaps if self.conduct is not None else ()

    @property
    def assumptions(self) -> list[str]:
        """Every assumption as the analysis recorded it (method and advice): not for a served output."""
        return list(self.conduct.assumptions) if self.conduct is not None else []

    @property
    def method_assumptions(self) -> list[str]:
        """The assumptions an exhibit served on the defence may give: the method only, chosen by each
        assumption's declared audience (:mod:`atlas.conduct.assumptions`), never by its words."""
        return self.conduct.method_assumptions if self.conduct is not None else []

    def method_assumptions_except(self, stated_elsewhere: Iterable[str]) -> list[str]:
        """:attr:`method_assumptions` less the sentences (by key, :mod:`atlas.conduct.assumptions`) an output
        states in a section of its own, so that it says each thing once."""
        return served(self.conduct.assumption_records, stated_elsewhere) if self.conduct is not None else []

    @property
    def advice_assumptions(self) -> list[str]:
        """The advice clauses (the time limit, the warning threshold, the as-of date, inferences): the
        reviewer's note only."""
        return self.conduct.advice_assumptions if self.conduct is not None else []

    @property
    def s2a(self) -> S2AVerdict | None:
        """The s2A verdict (:attr:`ReportInputs.s2a`): rendered, never recomputed."""
        return self.conduct.s2a if self.conduct is not None else None


def _local_day(ts: datetime, zone: str) -> date:
    from zoneinfo import ZoneInfo

    return ts.astimezone(ZoneInfo(zone)).date()


def _order_periods(inputs: ReportInputs) -> list[Period]:
    out = []
    zone = inputs.zone
    for o in inputs.manifest.orders:
        end = None
        if o.end is not None:
            # the end instant is exclusive: the last local day in force is the day before midnight
            from datetime import timedelta

            end = _local_day(o.end - timedelta(microseconds=1), zone)
        out.append(Period(label=f"{o.label} in force", start=_local_day(o.start, zone), end=end))
    return out


def build(inputs: ReportInputs) -> Findings:
    contacts, zone = inputs.contacts, inputs.zone
    channels = aggregate.channel_order(contacts)
    s2a = inputs.s2a
    window = (Period(f"{s2a.short}: last incident to last day to lay the information", s2a.last_incident.day, s2a.deadline,
                     name=s2a.short)
              if s2a is not None and s2a.last_incident is not None and s2a.deadline is not None else None)
    fs = aggregate.from_suspect(contacts)
    ids = fs.get_column("event_ids").explode().drop_nulls().unique().sort().to_list() if fs.height else []
    return Findings(
        channels=channels, daily=aggregate.daily_wide(contacts, zone, channels), heat=aggregate.hour_weekday(contacts, zone),
        weeks=aggregate.weekly(contacts, zone), counts=aggregate.summary(contacts, zone),
        per_channel=aggregate.by_channel(contacts), orders=_order_periods(inputs), s2a_window=window,
        conduct=inputs.conduct, contact_event_ids=ids, channel_keys=aggregate.channel_keys(contacts),
    )
