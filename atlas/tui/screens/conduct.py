"""The reviewer's view: the s2A clock, s4A indicators, breaches and incidents.

The analysis runs in a worker thread so the screen appears at once; every number
shown carries the rule it applies and the notice that this is decision support.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

import polars as pl
from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from atlas.conduct.time_limit import uk_day
from atlas.exhibits import event_ref
from atlas.normalise.identifiers import display
from atlas.normalise.times import uk_display
from atlas.store import Case

if TYPE_CHECKING:
    from atlas.conduct.analysis import ConductResult


def uk_date(value: object) -> str:
    """``2026-08-14`` → ``14/08/2026``; anything else unchanged."""
    text = str(value or "-")
    try:
        return date.fromisoformat(text).strftime("%d/%m/%Y")
    except ValueError:
        return text


def uk_ts(value: object) -> str:
    """An ISO timestamp → ``23/05/2026 21:20 BST``."""
    try:
        return uk_display(datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value or "")


SEVERITY_STYLE = {"ok": "green", "warn": "yellow", "bad": "bold red"}


def clock_text(result: ConductResult) -> str:
    """The s2A verdict at the head of the screen: the same verdict ``atlas conduct`` prints."""
    v = result.s2a
    style = SEVERITY_STYLE.get(v.severity)
    headline = escape(v.headline)
    li = v.last_incident
    deadline = uk_day(v.deadline) if v.deadline else "-"
    if v.deadline_not_a_working_day:
        deadline += f" ({escape(v.deadline_not_a_working_day)})"
    lines = [
        f"[b]{escape(v.short)} time limit[/b]  ({escape(v.offence)})",
        f"  [{style}]{headline}[/{style}]" if style else f"  {headline}",
        f"  last incident       {li.day:%d/%m/%Y}" if li else "  last incident       -",
        f"  last day to lay     [b]{deadline}[/b]",
        f"  days left           {'-' if v.days_left is None else v.days_left} (as of "
        f"{v.as_of:%d/%m/%Y})" if v.as_of else "  days left           -",
    ]
    if v.charge_date:
        lines.append(f"  planned charge date {v.charge_date:%d/%m/%Y}")
    lines.append(f"  rule                {escape(v.rule)}")
    for w in result.warnings:
        lines.append(f"  [yellow]WARNING[/yellow]             {escape(w)}")
    lines.append("")
    lines.append(f"[i]{escape(v.notice)}[/i]")
    return "\n".join(lines)


def records_cell(refs: Mapping[str, str], event_ids: Sequence[str], shown: int = 3) -> str:
    """The first records of a finding by exhibit (``JA/7, sms rowid 477``), never by hex id."""
    first = "; ".join(event_ref(refs, e) for e in event_ids[:shown])
    return first + (f" (+{len(event_ids) - shown} more)" if len(event_ids) > shown else "")


def table_text(title: str, rows: Sequence[Mapping[str, str]], columns: list[str], limit: int = 200) -> str:
    if not rows:
        return f"{title}: none"
    frame = pl.DataFrame([{c: r.get(c, "") for c in columns} for r in rows[:limit]], schema={c: pl.String for c in columns})
    with pl.Config(tbl_rows=limit, tbl_cols=len(columns), fmt_str_lengths=90, tbl_hide_dataframe_shape=True,
                   tbl_formatting="ASCII_MARKDOWN", tbl_hide_column_data_types=True):
        body = str(frame)
    more = f"\n… {len(rows) - limit} more (atlas conduct --json)" if len(rows) > limit else ""
    return f"\n[b]{escape(title)}: {len(rows)}[/b]\n{escape(body)}{more}"


def finding_rows(result: ConductResult, refs: Mapping[str, str]) -> dict[str, list[dict[str, str]]]:
    """The screen's tables from the analysis's typed records, each record named by its exhibit."""
    return {
        "threats": [{"date": uk_date(t.date), "matched": "; ".join(t.matched), "records": records_cell(refs, t.event_ids)}
                    for t in result.threat_occasions],
        "breaches": [{"order": b.order, "kind": b.kind, "when (UK)": uk_display(b.ts),
                      "identifier used / where": ", ".join(display(u) for u in b.identifiers) if b.kind == "contact"
                      else f"{b.place}: {b.certainty}", "records": records_cell(refs, b.event_ids)}
                     for b in result.breaches],
        "incidents": [{"date": uk_date(i.date), "channels": ", ".join(i.channels),
                       "records": records_cell(refs, i.event_ids)} for i in result.incidents],
    }


class ConductScreen(Screen[None]):
    def __init__(self, case: Case, as_of: date | None = None) -> None:
        super().__init__()
        self.case = case
        self.as_of = as_of
        """The day the s2A verdict is given for (None: today, as ``atlas conduct`` does)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static("Analysing the course of conduct…", id="clock")
            yield Static(id="threats")
            yield Static(id="breaches")
            yield Static(id="incidents")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Course of conduct, time limit, indicators, breaches"
        self.run_worker(self._analyse, thread=True, exclusive=True)

    def _analyse(self) -> None:
        from atlas.conduct import analyse
        from atlas.exhibits import source_refs

        result = analyse(self.case, as_of=self.as_of, include_proposed=False)
        refs = source_refs(self.case)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, result, refs)

    def _show(self, result: ConductResult, refs: dict[str, str]) -> None:
        v = result.s2a
        self.sub_title = f"{v.short}: {v.label.upper()}" + (f" · last day {uk_day(v.deadline)}" if v.deadline else "")
        self.query_one("#clock", Static).update(clock_text(result))
        rows = finding_rows(result, refs)
        self.query_one("#threats", Static).update(
            table_text(f"{result.s4a['short']}: occasions with threats of violence (each for a person to confirm)",
                       rows["threats"], ["date", "matched", "records"]))
        self.query_one("#breaches", Static).update(
            table_text("Breaches of orders", rows["breaches"],
                       ["order", "kind", "when (UK)", "identifier used / where", "records"]))
        self.query_one("#incidents", Static).update(
            table_text("Incidents (occasions)", rows["incidents"], ["date", "channels", "records"]))
