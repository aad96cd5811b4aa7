"""Triage a case against the s2A clock, before or after any data: the deadline, s4A indicators,
orders in force, the digital investigation strategy with request-by dates, and the request log.

    atlas triage CASE_DIR [--as-of DATE] [--json]
    atlas triage CASE_DIR --record --suitable yes|no --reason "..." [--reason ...] [--reviewer "PS 123 Name"]
    atlas triage CASE_DIR --sign-off [--comment "..."] --officer "PS 123 Name"

The clock runs from the last incident the data shows once there is one, else from the
latest incident the victim reported (case.toml [reported]); the output says which. The
strategy lists, for each identifier of the suspect and the victim, the data that could
evidence contact or presence, with the date by which each must be requested to be
received, analysed and charged in time (turnaround figures: atlas/triage/request_kinds.toml,
or request_kinds.toml in the case folder). The triage record and the reviewer's sign-off
are kept in the audit log in the officer's name. Decision support, not legal advice.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from atlas.errors import AtlasError

if TYPE_CHECKING:
    from atlas.triage.assess import TriageResult

NAME = "triage"
HELP = "triage: s2A deadline, s4A indicators, orders, data strategy with request-by dates, triage record"
ORDER = 8


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="the day to assess (default: today, stated in the output)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--record", action="store_true", help="record a triage decision in the audit log")
    p.add_argument("--suitable", choices=("yes", "no"), help="with --record: is the case suitable for Operation Atlas")
    p.add_argument("--reason", action="append", default=[], help="with --record: a reason (repeatable)")
    p.add_argument("--reviewer", help="with --record: the sergeant who will review it (\"PS 123 Name\")")
    p.add_argument("--sign-off", action="store_true", help="the reviewer signs off the latest triage record")
    p.add_argument("--comment", default="", help="with --sign-off: the reviewer's comment")
    p.add_argument("--limit", type=int, default=60, help="rows per table when printing (default 60)")
    if "--officer" not in p._option_string_actions:  # the CLI may already give every command --officer (i14)
        p.add_argument("--officer", help="who is acting, when not the officer of case.toml (\"PS 123 Name\")")


def run(args: argparse.Namespace) -> int:
    from atlas.cli.output import as_of_date, print_json
    from atlas.conduct.analysis import resolve_as_of
    from atlas.store import Case
    from atlas.triage.assess import assess
    from atlas.triage.record import officer_label, record_triage, sign_off

    if args.record and args.sign_off:
        raise AtlasError("--record and --sign-off are separate steps: the reviewer signs off after the record is made")
    if not args.record and (args.suitable or args.reason or args.reviewer):
        raise AtlasError("--suitable, --reason and --reviewer go with --record")
    case = Case.open(args.case_dir)
    officer = getattr(args, "officer", None)
    if args.sign_off:
        rec = sign_off(case, reviewer=officer_label(case, officer), comment=args.comment)
        if args.json:
            print_json(rec.to_json())
        else:
            print(f"triage record (audit row {rec.seq}) {rec.status}")
        return 0
    day, basis = resolve_as_of(as_of_date(args.as_of), case.manifest.timezone)
    result = assess(case, as_of=day, as_of_basis=basis)
    if args.record:
        if args.suitable is None:
            raise AtlasError("--record needs --suitable yes or --suitable no")
        rec = record_triage(case, suitable=args.suitable == "yes", reasons=args.reason, reviewer=args.reviewer,
                            officer=officer_label(case, officer), as_of=day, snapshot=result.snapshot())
        if args.json:
            print_json(rec.to_json())
        else:
            print(f"triage recorded (audit row {rec.seq}) by {rec.officer}: "
                  f"{'suitable' if rec.suitable else 'not suitable'}; {rec.status}")
        return 0
    if args.json:
        print_json(result.to_json())
    else:
        render(result, args.limit)
    return 0


def render(t: TriageResult, limit: int = 60) -> None:
    """The triage as text: the clock, indicators, orders, the strategy and the request log."""
    from rich.markup import escape

    from atlas.cli.commands.conduct import COLOURS, s2a_rows
    from atlas.cli.output import console, print_table
    from atlas.conduct.time_limit import uk_day
    from atlas.normalise.identifiers import display
    from atlas.normalise.times import uk_display

    out = console()
    v = t.s2a
    as_of = f"{t.as_of:%d/%m/%Y}" if t.as_of else "not given"
    out.print(f"[bold]Triage: {escape(t.case_reference)}[/bold] (as of {as_of}: {escape(t.as_of_basis)})")
    out.print(f"[bold]{escape(t.notice)}[/bold]")
    r = t.reported
    if t.report_date or r:
        parts = [f"reported to police {t.report_date:%d/%m/%Y}" if t.report_date else "date of report not in case.toml"]
        if r is not None:
            if r.first_incident or r.latest_incident:
                parts.append("incidents the victim reported: " + " to ".join(
                    f"{d:%d/%m/%Y}" for d in (r.first_incident, r.latest_incident) if d))
            if r.summary:
                parts.append(f"\u201c{r.summary}\u201d")
            if r.source:
                parts.append(f"({r.source})")
        out.print(escape("; ".join(parts)))
    rows = s2a_rows(v)
    if t.clock_basis == "reported" and v.last_incident is not None:  # her date: no time, no exhibit
        rows = [r if r[0] != "last incident (UK date)" else [r[0], f"{v.last_incident.day:%d/%m/%Y} (as the victim reported it)"]
                for r in rows]
    print_table(f"{v.short} time limit: clock {t.clock_basis}", ["", ""],
                [["clock runs", escape(t.clock_basis_text)], *rows,
                 ["planned against", f"{uk_day(t.last_day)}: {escape(t.last_day_basis)}" if t.last_day
                  else escape(t.last_day_basis)]], markup=True)
    s4a = t.s4a
    if s4a.present:
        out.print("[bold yellow]s4A indicators present: review the classification[/bold yellow]")
        for line in s4a.indicators:
            out.print(f" - {escape(line)}")
        out.print(f"   {escape(s4a.route)}")
    else:
        out.print(f"s4A indicators: none reported or shown by the data so far (threats of violence on at least "
                  f"{s4a.threshold} occasions, or the victim's account of impact, would be)")
    if t.orders:
        print_table("Orders", ["order", "title", "in force on the as-of date", "from", "to", "breach"], [
            [escape(o.label), escape(o.title), {True: "[green]yes[/green]", False: "no", None: "-"}[o.in_force],
             uk_display(o.start), uk_display(o.end) if o.end else "open", escape(o.breach)] for o in t.orders], markup=True)
    else:
        out.print("Orders: none in case.toml")

    def state(p: object) -> str:
        from atlas.triage.planning import Plan

        assert isinstance(p, Plan)
        text = {"not-requested": "to request", "requested": "requested", "overdue": "[bold red]OVERDUE[/bold red]",
                "received": "[green]received[/green]"}[p.progress.value]
        if p.flagged:
            text += " [bold red]CANNOT ARRIVE IN TIME[/bold red]" if p.progress.value != "received" else \
                " [bold red]LATE[/bold red]"
        return text

    rows = []
    for i in t.strategy:
        p = i.plan
        got = ", ".join(s.exhibit for s in i.sources[:3]) + (" …" if len(i.sources) > 3 else "")
        rows.append([escape(i.party), escape(display(i.identifier)), escape(i.kind.title),
                     escape(i.provider.name or "? (subscriber check)"),
                     f"{p.request_by:%d/%m/%Y}" if p.request_by else "-", state(p),
                     escape(got or ", ".join(i.request_ids) or "-"), f"{i.timing.lead_days}"])
    print_table(f"Digital investigation strategy ({len(t.strategy)} items, {len(t.flagged)} flagged)",
                ["party", "identifier", "data", "provider", "request by", "status", "received / requests",
                 "lead days"], rows[:limit],
                caption=(f"first {limit} shown; --json for all. " if len(rows) > limit else "")
                + "lead days = turnaround + Atlas's processing, review and charging allowances", markup=True)
    for i in t.strategy:
        if i.flag:
            flag = i.flag.replace(s4a.route, "the s4A route above") if s4a.route else i.flag
            out.print(f"[red]flag[/red] {escape(i.kind.title)} ({escape(display(i.identifier))}): {escape(flag)}")
    out.print("[bold]Why each source[/bold]")
    seen: set[tuple[str, str]] = set()
    for i in t.strategy:
        if (i.kind.id, i.role) in seen:
            continue
        seen.add((i.kind.id, i.role))
        extra = f" Extraction: {i.kind.extraction}." if i.kind.extraction else ""
        out.print(f" - {escape(i.kind.title)} ({i.role}): {escape(i.why)}{escape(extra)}")
    numbers = {i.identifier: i.provider for i in t.strategy if i.kind.provider == "from the number range"}
    for uri, prov in numbers.items():
        out.print(f" - provider of {escape(display(uri))}: {escape(prov.basis)}")
    out.print(f"Planning figures: {escape(str(t.planning.path))} (version {escape(t.planning.version)}"
              + (f"; overridden by {escape(str(t.planning.override))}: {escape(', '.join(t.planning.overridden))}"
                 if t.planning.override else "") + f"); review {t.planning.review.value:g} days "
              f"({escape(t.planning.review.source)}); charging {t.planning.charge.value:g} days "
              f"({escape(t.planning.charge.source)}); Atlas's analysis {t.planning.analysis_rate.value:,.0f} records/s "
              f"({escape(t.planning.analysis_rate.source)})")
    if t.requests:
        print_table(f"Data requests ({len(t.requests)}; {len(t.outstanding)} outstanding, {len(t.overdue)} overdue)",
                    ["id", "data", "identifier", "provider", "requested", "reference", "expected", "received",
                     "effect on the clock"], [
            [escape(rq.request.request_id), escape(rq.kind_title), escape(display(rq.request.identifier)),
             escape(rq.request.provider), f"{rq.request.requested:%d/%m/%Y}" if rq.request.requested else "-",
             escape(rq.request.reference) or "-",
             (f"{rq.request.expected:%d/%m/%Y}" if rq.request.expected else
              f"({rq.plan.arrives:%d/%m/%Y})" if rq.plan.arrives and not rq.received else "-")
             + (" [bold red]OVERDUE[/bold red]" if rq.plan.progress.value == "overdue" else ""),
             (f"{rq.received:%d/%m/%Y} ({escape(rq.received_basis)})" if rq.received else "-"),
             f"[{COLOURS['bad']}]{escape(rq.effect)}[/{COLOURS['bad']}]" if rq.plan.flagged else escape(rq.effect)]
            for rq in t.requests], markup=True)
        out.print(escape(t.clock_effect))
    else:
        out.print("Data requests: none logged (atlas request add CASE_DIR --kind ... --identifier ...)")
    rec = t.record
    if rec is None:
        out.print("Triage record: none (atlas triage CASE_DIR --record --suitable yes|no --reason ...)")
    else:
        out.print(f"Triage record (audit row {rec.seq}, {rec.at}): {'suitable' if rec.suitable else 'NOT suitable'}, "
                  f"by {escape(rec.officer)}; {escape(rec.status)}. Reasons: {escape('; '.join(rec.reasons))}")
    for w in t.warnings:
        out.print(f"[yellow]warning:[/yellow] {escape(w)}")
