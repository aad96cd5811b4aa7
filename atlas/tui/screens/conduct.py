"""The reviewer's view: the s2A clock, s4A indicators, breaches and incidents.

The analysis runs in a worker thread so the screen appears at once; every number
shown carries the rule it applies and the notice that this is decision support.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl
from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from atlas.normalise.times import uk_display
from atlas.store import Case


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


def clock_text(result: dict[str, Any]) -> str:
    s2a = result.get("s2a", {})
    lines = [
        f"[b]s2A time limit[/b]  ({s2a.get('offence', 'Protection from Harassment Act 1997 s2A')})",
        f"  last incident       {uk_date(s2a.get('last_incident'))}",
        f"  last day to lay     [b]{uk_date(s2a.get('deadline'))}[/b]",
        f"  days left           {s2a.get('days_left', '-')} (as of {uk_date(s2a.get('as_of'))})",
    ]
    if s2a.get("charge_date"):
        lines.append(f"  at charge date      {uk_date(s2a['charge_date'])}: "
                     f"{'IN TIME' if s2a.get('in_time_at_charge_date') else 'OUT OF TIME'} "
                     f"({s2a.get('days_left_at_charge_date', '-')} days to spare)")
    lines.append(f"  rule                {escape(str(s2a.get('rule', '')))}")
    for w in result.get("warnings", []):
        lines.append(f"  [yellow]WARNING[/yellow]             {escape(str(w if isinstance(w, str) else w.get('text', w)))}")
    lines.append("")
    lines.append(f"[i]{escape(result.get('notice', 'Decision support, not legal advice.'))}[/i]")
    return "\n".join(lines)


def table_text(title: str, rows: list[dict[str, Any]], columns: list[str], limit: int = 200) -> str:
    if not rows:
        return f"{title}: none"
    frame = pl.DataFrame([{c: _cell(c, r.get(c)) for c in columns} for r in rows[:limit]], schema={c: pl.String for c in columns})
    with pl.Config(tbl_rows=limit, tbl_cols=len(columns), fmt_str_lengths=70, tbl_hide_dataframe_shape=True,
                   tbl_formatting="ASCII_MARKDOWN", tbl_hide_column_data_types=True):
        body = str(frame)
    more = f"\n… {len(rows) - limit} more (atlas conduct --json)" if len(rows) > limit else ""
    return f"\n[b]{escape(title)}: {len(rows)}[/b]\n{escape(body)}{more}"


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column == "date":
        return uk_date(value)
    if column == "ts":
        return uk_ts(value)
    if isinstance(value, list):
        return f"{len(value)} record(s)" if value and isinstance(value[0], str) and "/" in value[0] else ", ".join(map(str, value))
    return str(value)


class ConductScreen(Screen[None]):
    def __init__(self, case: Case) -> None:
        super().__init__()
        self.case = case

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static("Analysing the course of conduct…", id="clock")
            yield Static(id="threats")
            yield Static(id="breaches")
            yield Static(id="incidents")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Course of conduct, s2A clock, s4A indicators, breaches"
        self.run_worker(self._analyse, thread=True, exclusive=True)

    def _analyse(self) -> None:
        from atlas.conduct import analyse

        result = analyse(self.case, as_of=None, include_proposed=False).to_json()
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, result)

    def _show(self, result: dict[str, Any]) -> None:
        self.query_one("#clock", Static).update(clock_text(result))
        self.query_one("#threats", Static).update(
            table_text("s4A: occasions with threats of violence (each for a person to confirm)",
                       result.get("threat_occasions", []), ["date", "matched", "event_ids"]))
        self.query_one("#breaches", Static).update(
            table_text("Breaches of orders", result.get("breaches", []), ["order", "kind", "ts", "event_ids"]))
        self.query_one("#incidents", Static).update(
            table_text("Incidents (occasions)", result.get("incidents", []), ["date", "channels", "event_ids"]))
