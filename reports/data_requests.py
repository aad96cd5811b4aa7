"""The data requests in the two documents: facts in the statement, the clock in the reviewer's note.

Both render the one :class:`atlas.triage.assess.TriageResult` the report inputs carry
(``inputs.triage``), made with the same course-of-conduct analysis and so the same s2A
verdict the note shows. The statement (MG11, served) says what was requested, from whom,
when, under which reference, and what was received and exhibited: facts, no advice. The
reviewer's note says what is outstanding, whether it can arrive in time, the request-by
date of each item of the strategy not yet requested, the flags, and the s4A route where
indicators exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from atlas.conduct.time_limit import uk_day
from atlas.triage.assess import TriageResult
from atlas.triage.planning import Progress
from atlas.wording import plural

from .document import Block, Bullets, Para, Section, Table
from .style import uk_date


def method_blocks(triage: TriageResult | None, label: Callable[[str], str], facts: dict[str, Any]) -> list[Block]:
    """The statement's account of the data requested and received (facts only)."""
    requests = triage.requests if triage is not None else ()
    facts["data_requests"] = len(requests)
    facts["data_requests_received"] = sum(1 for r in requests if r.received is not None)
    if not requests:
        return []
    rows = []
    for r in requests:
        q = r.request
        if q.received is not None:
            received = uk_date(q.received)
        elif r.received is not None:
            received = f"not recorded; exhibit received into the case {uk_date(r.received)}"
        else:
            received = "not received"
        rows.append([q.request_id, r.kind_title, label(q.identifier), q.provider or "not recorded",
                     uk_date(q.requested) if q.requested else "not recorded", q.reference or "none",
                     received, ", ".join(s.exhibit for s in r.sources) or "none"])
    return [
        Para(f"The following {plural(len(requests), 'request')} for data were made in this investigation. For each I "
             "give what was asked for and about which identifier, to whom it was sent, when, its reference, when the "
             "data was received and the exhibit that holds it."),
        Table(["Request", "Data", "Identifier", "Sent to", "Requested", "Reference", "Received", "Exhibit"], rows,
              caption="Data requested", widths=[0.85, 1.5, 1.6, 1.0, 1.1, 1.0, 1.3, 0.8], small=True),
    ]


def note_section(triage: TriageResult | None, facts: dict[str, Any]) -> Section:
    """The reviewer's note: outstanding requests, the strategy's request-by dates and flags, against the clock."""
    sec = Section("Data requests and the time limit")
    if triage is None:
        sec.blocks.append(Para("The data requests were not assessed."))
        return sec
    v = triage.s2a
    facts["outstanding_requests"] = len(triage.outstanding)
    facts["overdue_requests"] = len(triage.overdue)
    facts["strategy_flags"] = len(triage.flagged)
    if triage.last_day is None:
        sec.blocks.append(Para(f"No {v.short} deadline to plan against ({v.headline}); the data requests are listed "
                               "without request-by dates."))
    else:
        sec.blocks.append(Para(
            f"Planned against {uk_day(triage.last_day)}: {triage.last_day_basis}. Each request must leave time to "
            f"receive the data (the turnaround), for Atlas to process it, for a person to review it "
            f"({triage.planning.review.value:g} days: {triage.planning.review.source}) and to charge "
            f"({triage.planning.charge.value:g} days: {triage.planning.charge.source}). Turnaround figures: "
            f"{triage.planning.path.name} version {triage.planning.version}"
            + (f", overridden for this case by {triage.planning.override.name}" if triage.planning.override else "")
            + "; where a figure has no source it says 'local estimate'."))
    if triage.requests:
        rows = []
        for r in triage.requests:
            q = r.request
            state = {Progress.RECEIVED: f"received {uk_date(r.received)}" if r.received else "received",
                     Progress.OVERDUE: f"OVERDUE by {plural(r.plan.overdue_days or 0, 'day')}",
                     Progress.REQUESTED: "outstanding", Progress.NOT_REQUESTED: "not sent"}[r.plan.progress]
            expected = uk_date(q.expected) if q.expected else (
                f"{uk_date(r.plan.arrives)} (turnaround)" if r.plan.arrives and r.received is None else "")
            rows.append([q.request_id, f"{r.kind_title}: {q.identifier}", q.provider or "not recorded", state,
                         expected or "-",
                         ("FLAG: " if r.plan.flagged else "") + r.effect])
        sec.blocks.append(Table(["Request", "Data", "Sent to", "Status", "Expected", "Effect on the clock"], rows,
                                caption="The request log", widths=[0.7, 2.0, 1.0, 1.0, 1.2, 2.4], small=True))
        sec.blocks.append(Para(triage.clock_effect[:1].upper() + triage.clock_effect[1:] + ".", numbered=False,
                               emphasis=bool(triage.outstanding)))
    else:
        sec.blocks.append(Para("No data request is recorded in the request log (atlas request add)."))
    todo = [i for i in triage.strategy if i.plan.progress is Progress.NOT_REQUESTED]

    def flag(text: str) -> str:  # the route is set out once, below the table
        text = text.replace(triage.s4a.route, "the s4A route below") if triage.s4a.route else text
        return text[:1].upper() + text[1:]

    if todo:
        sec.blocks.append(Table(
            ["Data", "Identifier", "Provider", "Request by", "Can it arrive in time?"],
            [[i.kind.title, f"{i.party}: {i.identifier}", i.provider.name or "not known (subscriber check)",
              uk_date(i.plan.request_by) if i.plan.request_by else "-",
              flag(i.flag) if i.flag else (
                  "yes, if requested by that date" if i.plan.request_by else "no deadline")] for i in todo],
            caption="Strategy items not yet requested",
            # an identifier on one line (26 characters: "facebook:daniel.sampl|e.9" broke at 1.8)
            widths=[1.5, 2.5, 1.0, 1.1, 2.3], small=True))
    if triage.s4a.present:
        sec.blocks.append(Para("s4A indicators exist:", numbered=False, emphasis=True))
        sec.blocks.append(Bullets([*triage.s4a.indicators, triage.s4a.route]))
    rec = triage.record
    if rec is not None:
        sec.blocks.append(Para(
            f"Triage record: {'suitable' if rec.suitable else 'not suitable'} (recorded by {rec.officer}, audit row "
            f"{rec.seq}; {rec.status}). Reasons: {'; '.join(rec.reasons)}.", numbered=False))
    return sec


__all__ = ["method_blocks", "note_section"]
