"""The s2A clock: the last incident's UK date, the deadline, and the days left.

Reviewers ask "is a s2A charge still in time?" Three things make the answer wrong in
practice, and each is handled here in one place:

* the date of the last incident is its **local** date in England and Wales, not its
  UTC date (00:30 BST on 1 July is 23:30 UTC on 30 June): :func:`local_date`;
* six months are **calendar** months, ending on the corresponding date, or on the
  month's last day where there is none (31 August + 6 months = 28 February, 29 in a
  leap year): :func:`deadline_for`, using ``dateutil.relativedelta`` which clamps;
* the number of months, where time runs from, and the citations come from the rules
  file (:mod:`atlas.rules`), not from this code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from atlas.rules import Rules, TimeLimit


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


@dataclass
class S2AClock:
    """The s2A time limit for a case, as data for JSON and reports."""

    offence: str
    rule: str
    notice: str
    last_incident: date | None = None
    last_incident_ts: datetime | None = None
    last_incident_event_ids: list[str] = field(default_factory=list)
    deadline: date | None = None
    as_of: date | None = None
    as_of_basis: str = ""
    days_left: int | None = None
    in_time_as_of: bool | None = None
    charge_date: date | None = None
    days_left_at_charge_date: int | None = None
    in_time_at_charge_date: bool | None = None
    warn_days: int = 28
    warnings: list[str] = field(default_factory=list)

    @property
    def in_time(self) -> bool | None:
        """In time on the planned charge date if the case has one, else on ``as_of``."""
        if self.in_time_at_charge_date is not None:
            return self.in_time_at_charge_date
        return self.in_time_as_of

    @property
    def in_time_basis(self) -> str:
        if self.in_time_at_charge_date is not None:
            return "planned charge date in case.toml"
        if self.in_time_as_of is not None:
            return f"as of {self.as_of.isoformat() if self.as_of else '?'} ({self.as_of_basis})"
        return "no incident"

    def to_json(self) -> dict[str, object]:
        return {
            "offence": self.offence,
            "rule": self.rule,
            "notice": self.notice,
            "last_incident": self.last_incident.isoformat() if self.last_incident else None,
            "last_incident_ts": self.last_incident_ts.isoformat() if self.last_incident_ts else None,
            "last_incident_event_ids": self.last_incident_event_ids,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "as_of_basis": self.as_of_basis,
            "days_left": self.days_left,
            "in_time_as_of": self.in_time_as_of,
            "charge_date": self.charge_date.isoformat() if self.charge_date else None,
            "days_left_at_charge_date": self.days_left_at_charge_date,
            "in_time_at_charge_date": self.in_time_at_charge_date,
            "in_time": self.in_time,
            "in_time_basis": self.in_time_basis,
            "warn_days": self.warn_days,
            "warnings": self.warnings,
        }


def s2a_clock(
    rules: Rules,
    *,
    last_incident: date | None,
    last_incident_ts: datetime | None = None,
    last_incident_event_ids: list[str] | None = None,
    as_of: date,
    as_of_basis: str,
    charge_date: date | None,
    warn_days: int,
    threat_occasions: int = 0,
    candidate_threat_occasions: int = 0,
) -> S2AClock:
    """Apply the s2A time limit of ``rules`` to a last incident, as of a day and a charge date."""
    limit = rules.time_limit_for("pha-s2a")
    s4a = rules.offence("pha-s4a")
    s4a_limit = rules.time_limit(s4a.time_limit)
    clock = S2AClock(
        offence=rules.offence("pha-s2a").section, rule=limit.full_citation, notice=rules.notice,
        last_incident=last_incident, last_incident_ts=last_incident_ts,
        last_incident_event_ids=sorted(last_incident_event_ids or []), as_of=as_of, as_of_basis=as_of_basis,
        charge_date=charge_date, warn_days=warn_days,
    )
    if last_incident is None:
        clock.warnings.append("no incident in the data: the s2A clock cannot be computed")
        return clock
    deadline = deadline_for(last_incident, limit)
    clock.deadline = deadline
    if deadline is None:  # a rules file without a limit for s2A (the law changed)
        clock.warnings.append(f"no time limit applies to {clock.offence} under the rules file ({limit.citation})")
        return clock
    clock.days_left = (deadline - as_of).days
    clock.in_time_as_of = as_of <= deadline
    if charge_date is not None:
        clock.days_left_at_charge_date = (deadline - charge_date).days
        clock.in_time_at_charge_date = charge_date <= deadline
    if not clock.in_time_as_of:
        clock.warnings.append(
            f"out of time as of {as_of:%d/%m/%Y}: the last day to lay an information for {clock.offence} "
            f"was {deadline:%d/%m/%Y} ({-clock.days_left} days ago)")
    elif clock.days_left <= warn_days:
        clock.warnings.append(
            f"deadline near: {clock.days_left} days left as of {as_of:%d/%m/%Y} (last day {deadline:%d/%m/%Y}; "
            f"warning threshold {warn_days} days)")
    if clock.in_time_at_charge_date is False:
        clock.warnings.append(
            f"the planned charge date {charge_date:%d/%m/%Y} is after the deadline {deadline:%d/%m/%Y}")
    elif clock.days_left_at_charge_date is not None and clock.days_left_at_charge_date <= warn_days:
        clock.warnings.append(
            f"the planned charge date {charge_date:%d/%m/%Y} is only {clock.days_left_at_charge_date} days "
            f"before the deadline {deadline:%d/%m/%Y}")
    threshold = s4a.threat_occasions or 2
    if threat_occasions >= threshold and not s4a_limit.limited:
        clock.warnings.append(
            f"threats of violence confirmed on {threat_occasions} occasions: consider {s4a.section} "
            f"({s4a.threat_occasions_citation}), which is {s4a.mode_of_trial} and has no such time limit "
            f"({s4a_limit.citation})")
    elif candidate_threat_occasions >= threshold and not s4a_limit.limited:
        clock.warnings.append(
            f"{candidate_threat_occasions} candidate threat occasions await a person's confirmation "
            f"({threat_occasions} confirmed): if at least {threshold} are confirmed, consider {s4a.section} "
            f"({s4a.threat_occasions_citation}), which is {s4a.mode_of_trial} and has no such time limit "
            f"({s4a_limit.citation})")
    return clock
