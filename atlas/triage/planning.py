"""The planning rule: when must a request go out for its data to be analysed and charged in time?

One pure function, :func:`plan`, over typed inputs and no clock: the last day to lay
the information (from the s2A verdict, never recomputed here), the day asked about,
the kind's timing, and how far the request has got. Everything is in calendar days.

    lead time  = turnaround + Atlas's processing + review allowance + charging allowance
    request by = last day − lead time (rounded up to whole days)
    ready by   = the day the data arrives + processing + review + charging

Atlas's processing is the expected records divided by its measured throughput (seconds,
usually: what takes time is the turnaround and the person reading what Atlas lists).
A request not yet made is assumed made on the as-of day; a request whose expected date
has passed is assumed to arrive no earlier than the as-of day. An item whose data cannot
be ready by the last day is flagged: it cannot support a s2A charge in time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

DAY_S = 86_400.0


class Progress(StrEnum):
    """How far a request has got (the request log)."""

    NOT_REQUESTED = "not-requested"
    REQUESTED = "requested"
    OVERDUE = "overdue"
    """Requested; the expected date has passed and nothing has been received."""
    RECEIVED = "received"


@dataclass(frozen=True)
class Timing:
    """A kind's figures (:mod:`atlas.triage.kinds`) as the rule uses them."""

    turnaround_days: int
    records_expected: float
    ingest_rate: float
    """Records per second Atlas reads this kind at (measured)."""
    analysis_rate: float
    """Records per second of Atlas's analysis and report (measured)."""
    review_days: float
    charge_days: float

    @property
    def processing_seconds(self) -> float:
        """Atlas's own time on the expected records: read, then analyse and report."""
        return self.records_expected / self.ingest_rate + self.records_expected / self.analysis_rate

    @property
    def after_receipt_days(self) -> int:
        """Processing, review and charging, rounded up to whole days."""
        return math.ceil(self.processing_seconds / DAY_S + self.review_days + self.charge_days - 1e-9)

    @property
    def lead_days(self) -> int:
        """From the request to the information laid: turnaround plus :attr:`after_receipt_days`."""
        return self.turnaround_days + self.after_receipt_days


@dataclass(frozen=True)
class RequestState:
    """What the request log says about one item (all None: not requested)."""

    requested: date | None = None
    expected: date | None = None
    received: date | None = None


@dataclass(frozen=True)
class Plan:
    """The answer for one item on one day."""

    progress: Progress
    request_by: date | None
    """The last day to make the request (None: no deadline to plan against)."""
    arrives: date | None
    """When the data came, is expected, or would come if requested on the as-of day."""
    arrives_basis: str
    ready_by: date | None
    """When the information could be laid with this data analysed."""
    in_time: bool | None
    """Ready on or before the last day (None: no deadline, or not asked about a day)."""
    spare_days: int | None
    """Last day − ready by (negative: late by that many days)."""
    overdue_days: int | None = None

    @property
    def flagged(self) -> bool:
        return self.in_time is False

    def to_json(self) -> dict[str, Any]:
        return {"progress": self.progress.value, "request_by": _iso(self.request_by), "arrives": _iso(self.arrives),
                "arrives_basis": self.arrives_basis, "ready_by": _iso(self.ready_by), "in_time": self.in_time,
                "spare_days": self.spare_days, "overdue_days": self.overdue_days, "flagged": self.flagged}


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def request_by(last_day: date, timing: Timing) -> date:
    """The last day a request can go out and its data still be analysed and charged by ``last_day``."""
    return last_day - timedelta(days=timing.lead_days)


def ready_by(arrives: date, timing: Timing) -> date:
    """The first day an information could be laid with data that arrives on ``arrives``."""
    return arrives + timedelta(days=timing.after_receipt_days)


def plan(last_day: date | None, as_of: date | None, timing: Timing, state: RequestState = RequestState()) -> Plan:
    """The plan for one item: its request-by date, when its data arrives, and whether it is in time.

    ``last_day`` is the last day to lay the information (the s2A verdict's last working
    day on or before its deadline), or None when no time limit runs.
    """
    by = request_by(last_day, timing) if last_day is not None else None
    overdue: int | None = None
    if state.received is not None:
        progress, arrives, basis = Progress.RECEIVED, state.received, "received"
    elif state.requested is not None:
        progress = Progress.REQUESTED
        if state.expected is not None:
            arrives, basis = state.expected, "expected date in the request log"
        else:
            arrives, basis = state.requested + timedelta(days=timing.turnaround_days), "requested date + turnaround"
        if as_of is not None and as_of > arrives:
            progress, overdue = Progress.OVERDUE, (as_of - arrives).days
            arrives, basis = as_of, f"overdue by {overdue} days: assumed to arrive no earlier than the as-of date"
    elif as_of is not None:
        progress = Progress.NOT_REQUESTED
        arrives, basis = as_of + timedelta(days=timing.turnaround_days), "if requested on the as-of date"
    else:
        return Plan(Progress.NOT_REQUESTED, by, None, "not requested (no as-of date)", None, None, None)
    ready = ready_by(arrives, timing)
    if last_day is None:
        return Plan(progress, None, arrives, basis, ready, None, None, overdue)
    return Plan(progress, by, arrives, basis, ready, ready <= last_day, (last_day - ready).days, overdue)


__all__ = ["Plan", "Progress", "RequestState", "Timing", "plan", "ready_by", "request_by"]
