"""Triage and the data strategy: the s2A clock, the request-by date of each item, flags, the request log.

The same :class:`~atlas.triage.assess.TriageResult` ``atlas triage`` prints, made in a
worker thread so the screen appears at once. Rows are shaped by plain functions
(:func:`strategy_rows`, :func:`request_rows`) so they are tested without a terminal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

import polars as pl
from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.widgets import Header, Static
from textual.worker import get_current_worker

from atlas.conduct.time_limit import uk_day
from atlas.normalise.identifiers import display
from atlas.store import Case
from atlas.tui.base import AtlasFooter, ReviewScreen
from atlas.tui.clock import SEVERITY_STYLE

if TYPE_CHECKING:
    from atlas.triage.assess import TriageResult
    from atlas.triage.planning import Plan

STATUS = {"not-requested": "to request", "requested": "requested", "overdue": "OVERDUE", "received": "received"}


def table_text(title: str, rows: Sequence[Mapping[str, str]], columns: list[str], limit: int = 200) -> str:
    """A titled plain-text table (the screen scrolls; a row is never folded)."""
    if not rows:
        return f"{title}: none"
    frame = pl.DataFrame([{c: r.get(c, "") for c in columns} for r in rows[:limit]], schema={c: pl.String for c in columns})
    with pl.Config(tbl_rows=limit, tbl_cols=len(columns), fmt_str_lengths=90, tbl_hide_dataframe_shape=True,
                   tbl_formatting="ASCII_MARKDOWN", tbl_hide_column_data_types=True):
        body = str(frame)
    more = f"\n… {len(rows) - limit} more (atlas triage --json)" if len(rows) > limit else ""
    return f"\n[b]{escape(title)}: {len(rows)}[/b]\n{escape(body)}{more}"


def _d(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else "-"


def _status(p: Plan) -> str:
    text = STATUS[p.progress.value]
    if p.progress.value == "overdue" and p.overdue_days:
        text += f" {p.overdue_days} d"
    return text + (" · FLAG" if p.flagged else "")


def strategy_rows(t: TriageResult) -> list[dict[str, str]]:
    """One row per strategy item: who, which identifier, what data, from whom, request by, status."""
    return [{"party": i.party, "identifier": display(i.identifier), "data": i.kind.title,
             "provider": i.provider.name or "? (subscriber check)", "request by": _d(i.plan.request_by),
             "status": _status(i.plan), "lead days": str(i.timing.lead_days),
             "received / requests": ", ".join(s.exhibit for s in i.sources[:3]) or ", ".join(i.request_ids) or "-"}
            for i in t.strategy]


def request_rows(t: TriageResult) -> list[dict[str, str]]:
    """One row per logged request, with its effect on the clock."""
    return [{"id": r.request.request_id, "data": r.kind_title, "identifier": display(r.request.identifier),
             "requested": _d(r.request.requested), "reference": r.request.reference or "-",
             "expected": _d(r.request.expected or (r.plan.arrives if r.received is None else None)),
             "received": _d(r.received), "status": _status(r.plan), "effect on the clock": r.effect}
            for r in t.requests]


def head_text(t: TriageResult) -> str:
    """The clock (where it runs from), the s4A indicators, the triage record and the outstanding requests."""
    v = t.s2a
    style = SEVERITY_STYLE.get(v.severity)
    headline = f"[{style}]{escape(v.headline)}[/{style}]" if style else escape(v.headline)
    lines = [f"[b]{escape(v.short)} time limit[/b]  clock runs {escape(t.clock_basis_text)}",
             f"  {headline}",
             f"  planned against     [b]{uk_day(t.last_day) if t.last_day else '-'}[/b]  ({escape(t.last_day_basis)})"]
    if t.s4a.present:
        lines.append("  [yellow]s4A indicators[/yellow]      " + escape("; ".join(t.s4a.indicators)))
        lines.append(f"                      {escape(t.s4a.route)}")
    else:
        lines.append("  s4A indicators      none so far")
    in_force = [o.label for o in t.orders if o.in_force]
    lines.append(f"  orders in force     {escape(', '.join(in_force)) if in_force else 'none'}")
    rec = t.record
    lines.append("  triage record       " + (escape(f"{'suitable' if rec.suitable else 'NOT suitable'} ({rec.officer}); "
                                                  f"{rec.status}") if rec else "none"))
    lines.append(f"  requests            {escape(t.clock_effect)}")
    for i in t.flagged:
        lines.append(f"  [red]FLAG[/red] {escape(i.kind.title)} ({escape(display(i.identifier))}): {escape(i.flag)}")
    for r in t.requests:
        if r.flag:
            lines.append(f"  [red]FLAG[/red] {r.request.request_id}: {escape(r.flag)}")
    lines.append("")
    lines.append(f"[i]{escape(t.notice)}[/i]")
    return "\n".join(lines)


class TriageScreen(ReviewScreen):
    """Screen 8 of the workbench: the case and the as-of date are the workbench's own; the headline is every
    other screen's (it had none, so the one screen about the time limit did not show the counts behind it)."""

    @property
    def case(self) -> Case:
        from atlas.tui.app import AtlasApp

        assert isinstance(self.app, AtlasApp)
        return self.app.case

    @property
    def as_of(self) -> date | None:
        from atlas.tui.app import AtlasApp

        assert isinstance(self.app, AtlasApp)
        return self.app.review.as_of

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.headline_widget()
        with ScrollableContainer(id="triage-scroll"):
            yield Static("Assessing the case against the s2A clock…", id="triage-head")
            yield Static(id="strategy")
            yield Static(id="requests")
        yield AtlasFooter()

    async def load(self) -> None:
        self.sub_title = "Triage, data strategy and requests"
        self.run_worker(self._assess, thread=True, exclusive=True, group="triage")

    def _assess(self) -> None:
        from atlas.conduct.analysis import resolve_as_of
        from atlas.triage.assess import assess

        day, basis = resolve_as_of(self.as_of, self.case.manifest.timezone)
        result = assess(self.case, as_of=day, as_of_basis=basis)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, result)

    def _show(self, t: TriageResult) -> None:
        v = t.s2a
        self.sub_title = (f"{v.short}: {v.label.upper()}" + (f" · plan against {uk_day(t.last_day)}" if t.last_day else "")
                          + f" · {len(t.flagged)} flagged · {len(t.outstanding)} outstanding")
        self.query_one("#triage-head", Static).update(head_text(t))
        with pl.Config(tbl_width_chars=400):  # the screen scrolls: a row is never folded to the terminal's width
            self.query_one("#strategy", Static).update(table_text(
                "Digital investigation strategy (request by = last day − lead days)", strategy_rows(t),
                ["party", "identifier", "data", "provider", "request by", "status", "lead days", "received / requests"]))
            self.query_one("#requests", Static).update(table_text(
                "Data requests", request_rows(t),
                ["id", "data", "identifier", "requested", "reference", "expected", "received", "status",
                 "effect on the clock"]))
