"""The data-request log: what was requested from whom, when, under which reference, and what came back.

    atlas request add CASE_DIR --kind cdr --identifier tel:+447700900002 [--provider EE] [--requested DATE]
                      [--reference REF] [--expected DATE] [--notes ...]
    atlas request update CASE_DIR R2 [--received DATE] [--expected DATE] [--reference REF] ...
    atlas request list CASE_DIR [--as-of DATE] [--json]

Kinds are those of the planning file (atlas/triage/request_kinds.toml; `atlas request kinds`
lists them). Requests are kept in the case database and every change is written to the
audit log in the officer's name. A request is linked to the sources that answer it when
the log is read: a source read by a parser of its kind and about its identifier (its
owner, or for a subscriber return the number it is about). Overdue requests are
highlighted and each request's effect on the s2A clock is shown.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from atlas.errors import AtlasError

if TYPE_CHECKING:
    from atlas.store import Case
    from atlas.triage.assess import TriageResult

NAME = "request"
HELP = "the data-request log: add, update, list (linked to ingested sources; effect on the s2A clock)"
ORDER = 9
ACTIONS = ("add", "update", "list", "kinds")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("words", nargs="+", metavar="{add,update,list,kinds} CASE_DIR [REQUEST_ID]")
    p.add_argument("--kind", help="add: the kind of request (atlas request kinds CASE_DIR lists them)")
    p.add_argument("--identifier", help="add: the identifier it is about (tel:+447700900002, instagram:handle)")
    p.add_argument("--provider", help="who it was sent to (default for add: the kind's provider or the number's range holder)")
    p.add_argument("--requested", metavar="YYYY-MM-DD", help="the date it was sent (default for add: today)")
    p.add_argument("--reference", help="the request's reference (SPoC, portal or case number)")
    p.add_argument("--expected", metavar="YYYY-MM-DD", help="the date the provider said it would answer")
    p.add_argument("--received", metavar="YYYY-MM-DD", help="update: the date the data was received")
    p.add_argument("--notes", help="anything else to keep with it")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="list: the day to assess (default: today, stated)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    if "--officer" not in p._option_string_actions:  # the CLI may already give every command --officer (i14)
        p.add_argument("--officer", help="who is recording it, when not the officer of case.toml")


def run(args: argparse.Namespace) -> int:
    words = list(args.words)
    if words[0] not in ACTIONS or len(words) < 2:
        raise AtlasError("usage: atlas request {add,update,list,kinds} CASE_DIR [REQUEST_ID] ...")
    action, case_dir = words[0], Path(words[1])
    if action == "update" and len(words) != 3:
        raise AtlasError("usage: atlas request update CASE_DIR REQUEST_ID [--received DATE] ...")
    if action != "update" and len(words) != 2:
        raise AtlasError(f"usage: atlas request {action} CASE_DIR")
    from atlas.store import Case

    case = Case.open(case_dir)
    if action == "add":
        return _add(case, args)
    if action == "update":
        return _update(case, words[2], args)
    if action == "kinds":
        return _kinds(case, args)
    return _list(case, args)


def _today(case: Case) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(case.manifest.timezone)).date().isoformat()


def _add(case: Case, args: argparse.Namespace) -> int:
    from atlas.cli.output import print_json
    from atlas.triage.kinds import load_kinds
    from atlas.triage.providers import provider_for
    from atlas.triage.record import officer_label
    from atlas.triage.requests import DataRequest, add_request, parse_day

    missing = [f"--{k}" for k in ("kind", "identifier") if not getattr(args, k)]
    if missing:
        raise AtlasError(f"atlas request add needs {', '.join(missing)}")
    if args.received:
        raise AtlasError("--received goes with atlas request update (a request is added when it is sent)")
    kinds = load_kinds(case.root)
    kind = kinds.kind(args.kind)
    provider = args.provider if args.provider is not None else provider_for(kind.provider, args.identifier).name
    req = DataRequest(
        request_id="", kind=kind.id, identifier=args.identifier.strip(), provider=(provider or "").strip(),
        requested=parse_day(args.requested or _today(case), "--requested"), reference=(args.reference or "").strip(),
        expected=parse_day(args.expected, "--expected") if args.expected else None, notes=(args.notes or "").strip())
    new = add_request(case, req, kinds, officer_label(case, getattr(args, "officer", None)))
    if args.json:
        print_json(new.to_json())
    else:
        print(f"added {new.request_id}: {kind.title} for {new.identifier}"
              + (f" to {new.provider}" if new.provider else "")
              + (f", requested {new.requested:%d/%m/%Y}" if new.requested else "")
              + (f", reference {new.reference}" if new.reference else "") + f" (recorded by {new.recorded_by})")
    return 0


def _update(case: Case, request_id: str, args: argparse.Namespace) -> int:
    from atlas.cli.output import print_json
    from atlas.triage.kinds import load_kinds
    from atlas.triage.record import officer_label
    from atlas.triage.requests import update_request

    changes = {k: getattr(args, k) for k in ("kind", "identifier", "provider", "requested", "reference", "expected",
                                             "received", "notes") if getattr(args, k) is not None}
    if not changes:
        raise AtlasError("nothing to update: give --received, --expected, --reference ... (an empty value clears one)")
    new = update_request(case, request_id.upper(), changes, load_kinds(case.root),
                         officer_label(case, getattr(args, "officer", None)))
    if args.json:
        print_json(new.to_json())
    else:
        print(f"updated {new.request_id}: " + ", ".join(f"{k} {v or '(cleared)'}" for k, v in changes.items()))
    return 0


def _kinds(case: Case, args: argparse.Namespace) -> int:
    from atlas.cli.output import print_json, print_table
    from atlas.triage.kinds import load_kinds

    kinds = load_kinds(case.root)
    if args.json:
        print_json(kinds.provenance() | {"kinds": [k.to_json() for k in kinds.kinds]})
        return 0
    print_table(f"Request kinds ({kinds.path}{', overridden by ' + str(kinds.override) if kinds.override else ''})",
                ["kind", "title", "identifiers", "turnaround (days)", "source"],
                [[k.id, k.title, ", ".join(k.schemes), f"{k.turnaround.value:g}", k.turnaround.source]
                 for k in kinds.kinds], markup=True)
    return 0


def _list(case: Case, args: argparse.Namespace) -> int:
    from atlas.cli.output import as_of_date, print_json
    from atlas.conduct.analysis import resolve_as_of
    from atlas.triage.assess import assess

    day, basis = resolve_as_of(as_of_date(args.as_of), case.manifest.timezone)
    result = assess(case, as_of=day, as_of_basis=basis)
    if args.json:
        data = result.to_json()
        print_json({k: data[k] for k in ("case", "as_of", "as_of_basis", "clock_basis", "s2a", "last_day",
                                         "requests", "outstanding", "overdue", "clock_effect")})
        return 0
    _print_log(result)
    return 0


def _print_log(result: TriageResult) -> None:
    from rich.markup import escape

    from atlas.cli.output import console, print_table
    from atlas.conduct.time_limit import uk_day
    from atlas.normalise.identifiers import display
    out = console()
    v = result.s2a
    out.print(f"[bold]Data requests: {escape(result.case_reference)}[/bold] (as of "
              f"{result.as_of:%d/%m/%Y}: {escape(result.as_of_basis)})" if result.as_of else "")
    out.print(f"{escape(v.short)}: {escape(v.headline)} (clock {result.clock_basis}); planned against "
              + (uk_day(result.last_day) if result.last_day else "no deadline"))
    if not result.requests:
        out.print("no request logged: atlas request add CASE_DIR --kind ... --identifier ...")
        return
    rows = []
    for rq in result.requests:
        r = rq.request
        overdue = rq.plan.progress.value == "overdue"
        rows.append([
            f"[bold red]{escape(r.request_id)}[/bold red]" if overdue or rq.plan.flagged else escape(r.request_id),
            escape(rq.kind_title), escape(display(r.identifier)), escape(r.provider) or "-",
            f"{r.requested:%d/%m/%Y}" if r.requested else "-", escape(r.reference) or "-",
            (f"{r.expected:%d/%m/%Y}" if r.expected else f"({rq.plan.arrives:%d/%m/%Y})" if rq.plan.arrives
             and not rq.received else "-") + (f" [bold red]OVERDUE {rq.plan.overdue_days} d[/bold red]" if overdue else ""),
            f"{rq.received:%d/%m/%Y}" if rq.received else "-",
            escape(", ".join(s.exhibit for s in rq.sources)) or "-",
            f"[red]{escape(rq.effect)}[/red]" if rq.plan.flagged else escape(rq.effect)])
    print_table(f"{len(result.requests)} requests, {len(result.outstanding)} outstanding, {len(result.overdue)} overdue",
                ["id", "data", "identifier", "provider", "requested", "reference", "expected", "received",
                 "ingested as", "effect on the clock"], rows,
                caption="expected in brackets: requested date + the kind's turnaround; received: as recorded, else "
                        "the day the linked source was ingested", markup=True)
    for rq in result.requests:
        if rq.flag:
            out.print(f"[red]flag[/red] {escape(rq.request.request_id)}: {escape(rq.flag)}")
    out.print(escape(result.clock_effect))
