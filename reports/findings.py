"""The findings every output shows, computed once from :class:`ReportInputs`.

The HTML report, the PNG figures, the statement and the schedules all read one
:class:`Findings`, so a number cannot differ between them. Course-of-conduct results
are taken as ``atlas conduct --json`` gives them (the same dictionary), read
tolerantly: a key the analysis does not provide is shown as not available, never
guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import polars as pl

from atlas.conduct.time_limit import S2AVerdict

from . import aggregate
from .inputs import ReportInputs
from .style import uk_date, uk_time


@dataclass(frozen=True)
class Period:
    """A shaded span on the time charts (an order in force, the s2A window)."""

    label: str
    start: date
    end: date | None
    """Inclusive last local day; None = open-ended (shown to the chart's end)."""


@dataclass
class Findings:
    channels: list[str]
    daily: pl.DataFrame
    heat: pl.DataFrame
    weeks: pl.DataFrame
    counts: dict[str, int]
    per_channel: pl.DataFrame
    orders: list[Period]
    s2a_window: Period | None
    conduct: dict[str, Any] | None
    incidents: list[dict[str, Any]] = field(default_factory=list)
    threats: list[dict[str, Any]] = field(default_factory=list)
    breaches: list[dict[str, Any]] = field(default_factory=list)
    colocations: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    contact_event_ids: list[str] = field(default_factory=list)
    """Every source record behind the contact charts (from the suspect)."""
    s2a: S2AVerdict | None = None
    """The s2A verdict (:attr:`ReportInputs.s2a`): rendered, never recomputed."""


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


def _ids(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def _rows(conduct: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
    items = (conduct or {}).get(key) or []
    return [dict(i) for i in items if isinstance(i, dict)]


def _without_clock(conduct: dict[str, Any] | None) -> dict[str, Any] | None:
    """The conduct result with every sentence that quotes the analysis date removed.

    Without ``--as-of`` the analysis measures "days left" from today; the outputs must
    not change from day to day, so statements relative to that date are left out (the
    s2A section then compares the deadline with the planned charge date only).
    """
    if conduct is None or not conduct.get("as_of"):
        return conduct
    day = str(conduct["as_of"])[:10]
    marks = (day, uk_date(day))
    out = dict(conduct)
    for key in ("warnings", "assumptions"):
        out[key] = [w for w in conduct.get(key) or [] if not any(m in str(w) for m in marks)]
    out.pop("s2a", None)  # the undated verdict is ReportInputs.s2a
    out.pop("as_of", None)
    out.pop("as_of_basis", None)
    return out


def build(inputs: ReportInputs) -> Findings:
    contacts, zone = inputs.contacts, inputs.zone
    channels = aggregate.channel_order(contacts)
    conduct = inputs.conduct if inputs.as_of is not None else _without_clock(inputs.conduct)
    s2a = inputs.s2a
    window = (Period(f"{s2a.short}: last incident to last day to lay the information", s2a.last_incident.day, s2a.deadline)
              if s2a is not None and s2a.last_incident is not None and s2a.deadline is not None else None)
    incidents = _rows(conduct, "incidents")
    for i in incidents:
        i["event_ids"] = _ids(i.get("event_ids"))
        i["uk_date"] = uk_date(i.get("date"))
    threats = _rows(conduct, "threat_occasions")
    for t in threats:
        t["event_ids"] = _ids(t.get("event_ids"))
        t["uk_date"] = uk_date(t.get("date"))
    breaches = _rows(conduct, "breaches")
    for b in breaches:
        b["event_ids"] = _ids(b.get("event_ids"))
        b["uk_time"] = uk_time(b.get("ts"))
    colocations = _rows(conduct, "colocations")
    for c in colocations:
        c["event_ids"] = _ids(c.get("event_ids"))
    fs = aggregate.from_suspect(contacts)
    ids = fs.get_column("event_ids").explode().drop_nulls().unique().sort().to_list() if fs.height else []
    return Findings(
        channels=channels, daily=aggregate.daily_wide(contacts, zone, channels), heat=aggregate.hour_weekday(contacts, zone),
        weeks=aggregate.weekly(contacts, zone), counts=aggregate.summary(contacts, zone),
        per_channel=aggregate.by_channel(contacts), orders=_order_periods(inputs), s2a_window=window, conduct=conduct,
        incidents=incidents, threats=threats, breaches=breaches, colocations=colocations,
        gaps=_rows(conduct, "gaps"), assumptions=[str(a) for a in (conduct or {}).get("assumptions") or []],
        contact_event_ids=ids, s2a=s2a,
    )
