"""The s2A verdict: from the last incident, the planned charge date and a day, one answer.

Reviewers ask "is a s2A charge still in time?" The answer depends on three dates (the
last incident, the planned charge date, the day it is asked) and one rule, and it must
be the same wherever it is shown: the CLI and its JSON, the HTML report, the reviewer's
note and the TUI all render one :class:`S2AVerdict`, made by one pure function,
:func:`s2a_verdict`. Its :class:`S2AState` is what a person reads:

* **in time** (days left), when no charge date is planned;
* **in time on the planned date**, the planned date being on or before the
  last day and not yet passed;
* **planned date passed, still in time**: the planned date has gone, the last day has not;
* **planned date after the deadline**: still in time today, but not on the planned date;
* **expired**, with the day it expired (the day after the last day);
* **no incident**: the clock has not started.

What makes the answer wrong in practice, each handled in one place here:

* the last incident's date is its **local** date in England and Wales, not its UTC date
  (00:30 BST on 1 July is 23:30 UTC on 30 June): :func:`local_date`;
* six months are **calendar** months, ending on the corresponding date, or on the month's
  last day where there is none (31 August + 6 months = 28 February, 29 in a leap year):
  :func:`deadline_for`, using ``dateutil.relativedelta``, which clamps;
* a planned date that has passed is no longer a plan: the verdict on the day asked wins;
* a last day on a weekend or a bank holiday is **not** extended (nothing in the law does
  so): the verdict says so and names the last working day before it
  (:mod:`atlas.working_days`);
* the number of months, where time runs from, the note on the last day and the citations
  come from the rules file (:mod:`atlas.rules`), not from this code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from atlas.rules import Rules, TimeLimit
from atlas.wording import plural
from atlas.working_days import last_working_day_on_or_before, not_a_working_day, weekday


def local_date(ts: datetime, zone: str = "Europe/London") -> date:
    """The calendar date of an aware instant in ``zone`` (a naive value is refused)."""
    if ts.tzinfo is None:
        raise ValueError("local_date needs an aware datetime (UTC in the event store)")
    return ts.astimezone(ZoneInfo(zone)).date()


def add_calendar_months(day: date, months: int) -> date:
    """``day`` + ``months`` calendar months: the corresponding date, clamped to month end."""
    return day + relativedelta(months=months)


def deadline_for(last_incident: date, limit: TimeLimit) -> date | None:
    """The last day on which an information can be laid, or ``None`` if no limit applies."""
    if limit.months is None:
        return None
    return add_calendar_months(last_incident, limit.months)


def uk_day(day: date) -> str:
    """``Sunday 28/02/2027``: a deadline is read with its weekday."""
    return f"{weekday(day)} {day:%d/%m/%Y}"


class S2AState(StrEnum):
    """What the verdict says, one value per situation a reviewer can be in."""

    IN_TIME = "in-time"
    IN_TIME_IF_LAID_BY_PLANNED_DATE = "in-time-if-laid-by-planned-date"
    PLANNED_DATE_PASSED = "planned-date-passed"
    PLANNED_DATE_AFTER_DEADLINE = "planned-date-after-deadline"
    EXPIRED = "expired"
    NO_INCIDENT = "no-incident"
    NO_TIME_LIMIT = "no-time-limit"
    NOT_ASSESSED = "not-assessed"
    """No day to measure from and no planned date (a report made without ``--as-of``)."""


LABELS: dict[S2AState, str] = {
    S2AState.IN_TIME: "in time",
    S2AState.IN_TIME_IF_LAID_BY_PLANNED_DATE: "in time on the planned date",
    S2AState.PLANNED_DATE_PASSED: "planned date passed, still in time",
    S2AState.PLANNED_DATE_AFTER_DEADLINE: "planned date after the deadline",
    S2AState.EXPIRED: "expired",
    S2AState.NO_INCIDENT: "no incident",
    S2AState.NO_TIME_LIMIT: "no time limit",
    S2AState.NOT_ASSESSED: "not assessed (no as-of date)",
}

SEVERITY: dict[S2AState, str] = {
    S2AState.IN_TIME: "ok", S2AState.IN_TIME_IF_LAID_BY_PLANNED_DATE: "ok",
    S2AState.PLANNED_DATE_PASSED: "warn", S2AState.PLANNED_DATE_AFTER_DEADLINE: "bad", S2AState.EXPIRED: "bad",
    S2AState.NO_INCIDENT: "none", S2AState.NO_TIME_LIMIT: "none", S2AState.NOT_ASSESSED: "none",
}
"""How a renderer colours the state: ``ok`` green, ``warn`` amber, ``bad`` red, ``none`` plain."""


@dataclass(frozen=True)
class LastIncident:
    """The incident the clock runs from: its UK local date, instant and source records."""

    day: date
    ts: datetime | None = None
    event_ids: tuple[str, ...] = ()
    exhibits: tuple[str, ...] = ()
    """Its records by exhibit (``JA/7, sms rowid 477``), in the order of ``event_ids``."""


@dataclass(frozen=True)
class S2AVerdict:
    """The s2A time limit of a case on one day: every output renders this, nothing recomputes it."""

    state: S2AState
    offence: str
    short: str
    """The offence's short name from the rules file (``s2A``), for headings."""
    rule: str
    """The full citation of the time limit applied (rules file)."""
    limit: str
    """The time limit in words, from the rules file (``an information must be laid within six calendar months …``)."""
    notice: str
    last_incident: LastIncident | None
    deadline: date | None
    """The last day on which an information can be laid."""
    deadline_not_a_working_day: str | None
    """Why the last day is not a working day (``a Sunday``, ``a bank holiday … (Christmas Day)``), else None."""
    last_working_day: date | None
    """The last working day on or before the deadline (the deadline itself when it is one)."""
    last_day_note: str
    """What the rules file says about a last day on which the court office is shut (no extension)."""
    as_of: date | None
    as_of_basis: str
    days_left: int | None
    """Days from ``as_of`` to the deadline (0 on the day itself, negative after it)."""
    charge_date: date | None
    days_left_at_charge_date: int | None
    warn_days: int
    warnings: tuple[str, ...]
    law: tuple[str, ...] = ()
    """What the rules file says about whether this limit has changed (each with its citation)."""
    last_day_note_warned: bool = False
    """Whether one of :attr:`warnings` (the last day is not a working day) quotes :attr:`last_day_note`:
    an output that gives the note itself leaves it out then (said once), without reading the warnings."""

    # --- what the state means, for renderers ---------------------------------------------

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def severity(self) -> str:
        """:data:`SEVERITY` of the state; but a planned date after the last working day before the deadline (a
        weekend or bank holiday the court office is closed) is ``warn``, not ``ok``: in time only if proceedings
        can be started that day."""
        if self.state is S2AState.IN_TIME_IF_LAID_BY_PLANNED_DATE and self.charge_after_last_working_day:
            return "warn"
        return SEVERITY[self.state]

    @property
    def charge_after_last_working_day(self) -> bool:
        """The planned charge date falls after the last working day on or before the deadline (so on a
        weekend or bank holiday at the deadline's end)."""
        return (self.charge_date is not None and self.last_working_day is not None
                and self.charge_date > self.last_working_day)

    @property
    def days_left_to_last_working_day(self) -> int | None:
        """Days from ``as_of`` to the last working day on or before the deadline, when that day is earlier than
        the deadline (a deadline on a weekend or bank holiday); else None."""
        if (self.as_of is None or self.last_working_day is None or self.deadline is None
                or self.last_working_day >= self.deadline):
            return None
        return (self.last_working_day - self.as_of).days

    @property
    def days_left_text(self) -> str:
        """What "days left" counts to, in words: ``53 to the last day, Friday 29/01/2027`` (and ``; 51 to the last
        working day before it, Friday 26/02/2027`` when the last day is not a working day)."""
        if self.days_left is None or self.deadline is None:
            return "not stated (no as-of date)"
        if self.days_left < 0:
            return f"none: the last day, {uk_day(self.deadline)}, passed {plural(-self.days_left, 'day')} before the as-of date"
        out = f"{self.days_left} to the last day, {uk_day(self.deadline)}"
        early = self.days_left_to_last_working_day
        if early is not None and self.last_working_day is not None:
            out += (f"; {early} to the last working day before it, {uk_day(self.last_working_day)}" if early >= 0 else
                    f"; the last working day before it, {uk_day(self.last_working_day)}, has passed")
        return out

    @property
    def in_time(self) -> bool | None:
        """In time on ``as_of`` (None when there is no day, no incident or no limit)."""
        if self.deadline is None or self.as_of is None:
            return None
        return self.as_of <= self.deadline

    @property
    def in_time_at_charge_date(self) -> bool | None:
        """Would an information laid on the planned charge date be in time?"""
        if self.deadline is None or self.charge_date is None:
            return None
        return self.charge_date <= self.deadline

    @property
    def charge_date_passed(self) -> bool | None:
        if self.charge_date is None or self.as_of is None:
            return None
        return self.charge_date < self.as_of

    @property
    def expired_on(self) -> date | None:
        """The first day out of time (the day after the last day), once that day has come."""
        if self.state is not S2AState.EXPIRED or self.deadline is None:
            return None
        return self.deadline + timedelta(days=1)

    @property
    def deadline_weekday(self) -> str | None:
        return weekday(self.deadline) if self.deadline else None

    @property
    def headline(self) -> str:
        """The verdict in one sentence, as every output prints it: it begins with its label, or (planned date
        passed / after the deadline) with the label with the planned date put in."""
        d, s = self.deadline, self.state
        left = ("" if self.days_left is None else "today is the last day" if self.days_left == 0
                else plural(self.days_left, "day") + " left")
        planned = f"{self.charge_date:%d/%m/%Y}" if self.charge_date else ""
        if s is S2AState.NO_INCIDENT:
            return f"no incident: the {self.short} clock has not started"
        if s is S2AState.NO_TIME_LIMIT:
            return f"no time limit applies to {self.offence} under the rules file ({self.rule})"
        assert d is not None
        last = f"last day {uk_day(d)}{self._closed_clause()}"
        if s is S2AState.EXPIRED:
            assert self.days_left is not None and self.expired_on is not None and self.as_of is not None
            return (f"expired on {self.expired_on:%d/%m/%Y}: the last day to lay an information was {uk_day(d)} "
                    f"({plural(-self.days_left, 'day')} before the as-of date {self.as_of:%d/%m/%Y})")
        if s is S2AState.NOT_ASSESSED:
            return f"not assessed (no as-of date): {last}"
        if s is S2AState.IN_TIME:
            return f"in time: {left} ({last})"
        if s is S2AState.IN_TIME_IF_LAID_BY_PLANNED_DATE:
            spare = plural(self.days_left_at_charge_date or 0, "day")
            return (f"in time on the planned date {planned}, {spare} before the deadline{self._closed_charge_clause()} "
                    f"({last})" + (f"; {left}" if left else ""))
        if s is S2AState.PLANNED_DATE_PASSED:
            return f"planned date {planned} passed, still in time: {left} ({last})"
        late = plural(-(self.days_left_at_charge_date or 0), "day")
        return (f"planned date {planned} after the deadline, by {late} ({last})"
                + (f"; {left} to lay the information" if left else ""))

    def _closed_charge_clause(self) -> str:
        """``, only if an information can be laid that day: it is a Saturday[, after the last working day …]``
        when the planned charge date is a day the court office is closed (an information is laid when received)."""
        closed = not_a_working_day(self.charge_date) if self.charge_date else None
        if not closed:
            return ""
        return (f", only if an information can be laid that day: it is {closed}"
                + (f", after the last working day before the deadline, {uk_day(self.last_working_day)}"
                   if self.charge_after_last_working_day and self.last_working_day else ""))

    def _closed_clause(self) -> str:
        """``, a Sunday: lay it by Friday 26/02/2027`` when the last day is not a working day."""
        if not self.deadline_not_a_working_day or self.last_working_day is None:
            return ""
        if self.as_of is not None and self.as_of > self.last_working_day:
            return (f", {self.deadline_not_a_working_day}; the last working day before it, "
                    f"{uk_day(self.last_working_day)}, has passed")
        return f", {self.deadline_not_a_working_day}: lay it by {uk_day(self.last_working_day)}"

    def to_json(self) -> dict[str, Any]:
        li = self.last_incident
        return {
            "state": self.state.value,
            "label": self.label,
            "headline": self.headline,
            "offence": self.offence,
            "short": self.short,
            "rule": self.rule,
            "limit": self.limit,
            "notice": self.notice,
            "last_incident": li.day.isoformat() if li else None,
            "last_incident_ts": li.ts.isoformat() if li and li.ts else None,
            "last_incident_event_ids": list(li.event_ids) if li else [],
            "last_incident_exhibits": list(li.exhibits) if li else [],
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "deadline_weekday": self.deadline_weekday,
            "deadline_not_a_working_day": self.deadline_not_a_working_day,
            "last_working_day": self.last_working_day.isoformat() if self.last_working_day else None,
            "last_day_note": self.last_day_note,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "as_of_basis": self.as_of_basis,
            "days_left": self.days_left,
            "in_time": self.in_time,
            "expired_on": self.expired_on.isoformat() if self.expired_on else None,
            "charge_date": self.charge_date.isoformat() if self.charge_date else None,
            "charge_date_passed": self.charge_date_passed,
            "days_left_at_charge_date": self.days_left_at_charge_date,
            "in_time_at_charge_date": self.in_time_at_charge_date,
            "warn_days": self.warn_days,
            "warnings": list(self.warnings),
            "law": list(self.law),
        }

    def with_warnings(self, *more: str) -> S2AVerdict:
        """The same verdict with more warnings (about how the last incident's date was read)."""
        return replace(self, warnings=(*self.warnings, *more))


def _state(deadline: date, as_of: date | None, charge: date | None) -> S2AState:
    if as_of is not None and as_of > deadline:
        return S2AState.EXPIRED
    if charge is None:
        return S2AState.IN_TIME if as_of is not None else S2AState.NOT_ASSESSED
    if charge > deadline:
        return S2AState.PLANNED_DATE_AFTER_DEADLINE
    if as_of is not None and charge < as_of:
        return S2AState.PLANNED_DATE_PASSED
    return S2AState.IN_TIME_IF_LAID_BY_PLANNED_DATE


def _naming(naming_victim: int | None, occasions: int) -> str:
    """The caveat when some confirmed occasions' words name someone or something other than the victim."""
    if naming_victim is None or naming_victim >= occasions:
        return ""
    return (f"; the words of {naming_victim} of the {occasions} name the victim as the one to be harmed, and the others "
            "(threats against someone close to the victim, a pet, property or a third person) count under s4A(1)(b)(i) "
            "only if the victim's account shows they caused fear of violence against the victim")


def s2a_verdict(
    rules: Rules,
    *,
    last_incident: LastIncident | None,
    charge_date: date | None,
    as_of: date | None,
    as_of_basis: str = "",
    warn_days: int = 28,
    threat_occasions: int = 0,
    candidate_threat_occasions: int = 0,
    naming_victim: int | None = None,
) -> S2AVerdict:
    """The s2A verdict on ``as_of`` (None: no day, e.g. a report that must not change daily).

    Pure: the same dates and rules give the same verdict. Nothing is extended for a
    weekend or a bank holiday; the verdict says when the last day is one.
    ``threat_occasions`` are occasions a person confirmed as threats of violence;
    ``candidate_threat_occasions`` are the occasions there would be if every open likely-threat
    candidate were confirmed (:attr:`~atlas.conduct.candidates.OccasionCount.if_all_confirmed`).
    """
    limit = rules.time_limit_for("pha-s2a")
    offence = rules.offence("pha-s2a").section
    deadline = deadline_for(last_incident.day, limit) if last_incident is not None else None
    warnings: list[str] = []
    note_warned = False
    if last_incident is None:
        state = S2AState.NO_INCIDENT
        warnings.append("no incident in the data: the s2A clock cannot be computed")
    elif deadline is None:  # a rules file without a limit for s2A (the law changed)
        state = S2AState.NO_TIME_LIMIT
        warnings.append(f"no time limit applies to {offence} under the rules file ({limit.citation})")
    else:
        state = _state(deadline, as_of, charge_date)
        said, note_warned = _warnings(limit, offence, last_incident.day, deadline, as_of, charge_date, state, warn_days)
        warnings += said
    s4a = rules.offence("pha-s4a")
    s4a_limit = rules.time_limit(s4a.time_limit)
    threshold = s4a.threat_occasions or 2
    if deadline is not None and threat_occasions >= threshold and not s4a_limit.limited:
        warnings.append(
            f"threats of violence confirmed on {plural(threat_occasions, 'occasion')}: consider {s4a.section} "
            f"({s4a.threat_occasions_citation}), which is {s4a.mode_of_trial} and has no such time limit "
            f"({s4a_limit.citation})" + _naming(naming_victim, threat_occasions))
    elif deadline is not None and candidate_threat_occasions >= threshold and not s4a_limit.limited:
        waiting = max(candidate_threat_occasions - threat_occasions, 0)
        warnings.append(
            f"{plural(waiting, 'candidate threat occasion')} {'awaits' if waiting == 1 else 'await'} a person's "
            f"confirmation ({threat_occasions} confirmed): if at least {threshold} are confirmed, consider {s4a.section} "
            f"({s4a.threat_occasions_citation}), which is {s4a.mode_of_trial} and has no such time limit "
            f"({s4a_limit.citation})")
    return S2AVerdict(
        state=state, offence=offence, short=rules.offence("pha-s2a").short, rule=limit.full_citation,
        limit=limit.plain, notice=rules.notice, last_incident=last_incident,
        deadline=deadline, deadline_not_a_working_day=not_a_working_day(deadline) if deadline else None,
        last_working_day=last_working_day_on_or_before(deadline) if deadline else None,
        last_day_note=limit.last_day_note, as_of=as_of, as_of_basis=as_of_basis,
        days_left=(deadline - as_of).days if deadline and as_of else None, charge_date=charge_date,
        days_left_at_charge_date=(deadline - charge_date).days if deadline and charge_date else None,
        warn_days=warn_days, warnings=tuple(warnings), law=tuple(rules.provision(p).summary for p in limit.provisions),
        last_day_note_warned=note_warned,
    )


def _warnings(limit: TimeLimit, offence: str, last: date, deadline: date, as_of: date | None, charge: date | None,
              state: S2AState, warn_days: int) -> tuple[list[str], bool]:
    """What a reviewer must not miss about these dates, in words; and whether they quote the
    rules file's ``last_day_note`` (:attr:`S2AVerdict.last_day_note_warned`)."""
    out: list[str] = []
    note_warned = False
    if as_of is not None and as_of < last:
        out.append(f"the as-of date {as_of:%d/%m/%Y} is before the last incident ({last:%d/%m/%Y}): "
                   "the analysis still counts incidents after it")
    days_left = (deadline - as_of).days if as_of is not None else None
    if days_left is not None and days_left < 0:
        out.append(f"out of time as of {as_of:%d/%m/%Y}: the last day to lay an information for {offence} was "
                   f"{uk_day(deadline)} ({plural(-days_left, 'day')} before)")
        return out, note_warned
    if days_left is not None and days_left <= warn_days:
        out.append(f"deadline near: {plural(days_left, 'day')} left as of {as_of:%d/%m/%Y} (last day "
                   f"{uk_day(deadline)}; warning threshold {plural(warn_days, 'day')})")
    closed = not_a_working_day(deadline)
    if closed:
        out.append(f"the last day, {uk_day(deadline)}, is {closed}: the last working day before it is "
                   f"{uk_day(last_working_day_on_or_before(deadline))}. {limit.last_day_note}")
        note_warned = bool(limit.last_day_note)
    if charge is not None:
        spare = (deadline - charge).days
        if spare < 0:
            out.append(f"the planned charge date {charge:%d/%m/%Y} is after the deadline {uk_day(deadline)}")
        elif state is S2AState.PLANNED_DATE_PASSED:
            out.append(f"the planned charge date {charge:%d/%m/%Y} has passed; the last day is {uk_day(deadline)}")
        elif spare <= warn_days:
            out.append(f"the planned charge date {charge:%d/%m/%Y} is only {plural(spare, 'day')} before the "
                       f"deadline {uk_day(deadline)}")
        charge_closed = not_a_working_day(charge) if spare >= 0 and state is not S2AState.PLANNED_DATE_PASSED else None
        if charge_closed:
            # the conservative advice with its basis (laying at the court office) and its limit (other ways of
            # starting proceedings, for the CPS), both from the rules file
            by = last_working_day_on_or_before(deadline)
            basis = limit.court_office_note or "if the information is to be laid at the court office, it is laid when received"
            out.append(f"the planned charge date {charge:%d/%m/%Y} is {charge_closed}"
                       + (f", after {uk_day(by)}, the last working day before the deadline" if charge > by else "")
                       + f": {basis}, so lay it "
                       + (f"no later than {uk_day(by)}" if charge > by else "on a working day")
                       + (f"; {limit.other_ways_note}" if limit.other_ways_note else ""))
    return out, note_warned


__all__ = [
    "LABELS", "LastIncident", "S2AState", "S2AVerdict", "add_calendar_months", "deadline_for", "local_date",
    "s2a_verdict", "uk_day",
]
