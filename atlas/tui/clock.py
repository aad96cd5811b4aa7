"""The s2A verdict as the workbench shows it: the analysis's own verdict (the same the
CLI and the reports print), never recomputed here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape

from atlas.conduct.time_limit import uk_day

if TYPE_CHECKING:
    from atlas.conduct.analysis import ConductResult

SEVERITY_STYLE = {"ok": "green", "warn": "yellow", "bad": "bold red"}


def clock_text(result: ConductResult, *, warnings: bool = True, rule: bool = True) -> str:
    """The s2A verdict panel: headline, last incident, last day to lay, days left, rule."""
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
    if rule:
        lines.append(f"  rule                {escape(v.rule)}")
    if warnings:
        from atlas.exhibits import readable_warnings

        for w in readable_warnings(result.source_exhibits, result.warnings):  # records by exhibit, as everywhere
            lines.append(f"  [yellow]WARNING[/yellow]             {escape(w)}")
    lines.append("")
    lines.append(f"[i]{escape(v.notice)}[/i]")
    return "\n".join(lines)


def sub_title(result: ConductResult) -> str:
    """``s2A: IN TIME · last day Sunday 14/02/2027`` for the screen's header."""
    v = result.s2a
    return f"{v.short}: {v.label.upper()}" + (f" · last day {uk_day(v.deadline)}" if v.deadline else "")
