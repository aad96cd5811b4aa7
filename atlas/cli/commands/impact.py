"""The victim's account of impact (s4A(1)(b)(ii)): list it beside the incidents, or add to it.

    atlas impact CASE_DIR [--json]
    atlas impact add CASE_DIR --date 2026-03-12 --what "..." --category routine --source "victim statement 12/03/2026"

Each entry is what the victim says changed in her day-to-day life (routine, work, home
security, sleep, health, moving home, changing number...), as recorded by an officer in
case.toml. Atlas lists each with the incidents on the days before it (the window is
case.toml's impact_window_days, or --window-days); the link is by date only. Entries
are her account, never something the data shows.
"""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path
from typing import Any

from atlas.cli.output import console, print_json
from atlas.errors import AtlasError

NAME = "impact"
HELP = "the victim's account of impact (s4A): list with linked incidents, or `impact add`"
ORDER = 42


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("words", nargs="+", metavar="[add] CASE_DIR",
                   help="the case folder; `add CASE_DIR` records a new entry")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--window-days", type=int, help="link incidents on this many days before each entry (default: case.toml "
                   "impact_window_days, else 14)")
    p.add_argument("--date", help="add: the date of the change, YYYY-MM-DD")
    p.add_argument("--what", help="add: what changed, in the victim's words as recorded")
    p.add_argument("--category", default="other", help="add: routine, work, home-security, sleep, health, moved-home, "
                   "changed-number, social, online, finances, children or other (default other)")
    p.add_argument("--source", help="add: where the account is recorded, e.g. 'victim statement 12/03/2026'")
    p.add_argument("--recorded-by", dest="recorded_by",
                   help="add: the officer recording it (default: --officer, else the officer in case.toml)")
    p.add_argument("--party", help="add: the party whose account it is (default: the victim)")
    p.add_argument("--notes", default="", help="add: anything else the officer wants kept with it")


def run(args: argparse.Namespace) -> int:
    words = list(args.words)
    if words[0] == "add" and len(words) == 2:
        return _add(Path(words[1]), args)
    if len(words) != 1:
        raise AtlasError("usage: atlas impact CASE_DIR [--json] | atlas impact add CASE_DIR --date ... --what ... --source ...")
    return _list(Path(words[0]), args)


def _add(case_dir: Path, args: argparse.Namespace) -> int:
    from atlas.store import Case
    from atlas.store.case import MANIFEST_NAME
    from atlas.store.manifest import Impact, with_impact

    missing = [f"--{k}" for k in ("date", "what", "source") if not getattr(args, k)]
    if missing:
        raise AtlasError(f"atlas impact add needs {', '.join(missing)}")
    try:
        when = date.fromisoformat(args.date)
    except ValueError as exc:
        raise AtlasError(f"--date {args.date!r} is not a date (YYYY-MM-DD, e.g. 2026-03-12)") from exc
    case = Case.open(case_dir)
    entry = Impact(date=when, what=args.what.strip(), category=args.category, source=args.source.strip(),
                   recorded_by=(args.recorded_by or case.officer().label).strip(), party=args.party,
                   notes=args.notes.strip())
    path = case.root / MANIFEST_NAME
    text, manifest = with_impact(path.read_text(encoding="utf-8"), path, entry)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    case.audit("impact-add", {"date": when.isoformat(), "what": entry.what, "category": entry.category,
                              "source": entry.source, "recorded_by": entry.recorded_by})
    if args.json:
        print_json({"added": {"date": when.isoformat(), "what": entry.what, "category": entry.category,
                              "source": entry.source, "recorded_by": entry.recorded_by},
                    "entries": len(manifest.impacts)})
    else:
        console(markup=False).print(f"added to {path}: {when:%d/%m/%Y} {entry.category}: {entry.what} ({entry.source}; recorded by "
                        f"{entry.recorded_by}). {len(manifest.impacts)} impact entr{'y' if len(manifest.impacts) == 1 else 'ies'}.")
    return 0


def _list(case_dir: Path, args: argparse.Namespace) -> int:
    from atlas.conduct import analyse
    from atlas.conduct.impact import link_impacts
    from atlas.store import Case

    case = Case.open(case_dir)
    window = args.window_days if args.window_days is not None else case.manifest.impact_window_days
    if window < 0:
        raise AtlasError("--window-days must not be negative")
    result = analyse(case)
    account = link_impacts(case.manifest.impacts, [i.to_json() for i in result.incidents], window)
    data: dict[str, Any] = account.to_json()
    if args.json:
        from atlas.exhibits import beside_ids, source_refs

        print_json(beside_ids(source_refs(case), data))  # each record's exhibit beside its id
        return 0
    from rich.markup import escape

    out = console()
    out.print(f"[bold]The victim's account of impact: {escape(case.manifest.reference)}[/bold]")
    out.print(account.label, markup=False)
    if not account.links:
        out.print("no [[impact]] entries in case.toml: add them with `atlas impact add` from the victim's statement")
        return 0
    out.print(f"{len(account.links)} entr{'y' if len(account.links) == 1 else 'ies'}; {data['window_rule']}\n")
    for lk in account.links:
        e = lk.entry
        threats = sum(i.threat_candidate for i in lk.incidents)
        out.print(f"[bold]{e.date:%d/%m/%Y}[/bold]  {escape(e.category)}  ({escape(e.source)}; recorded by "
                  f"{escape(e.recorded_by)})", highlight=False)
        out.print(f"  the victim's account: {e.what}", markup=False, highlight=False)
        out.print(f"  {lk.basis}: "
                  + (", ".join(f"{i.date:%d/%m}" for i in lk.incidents) or "none")
                  + (f" ({threats} with a threat candidate)" if threats else ""), markup=False, highlight=False)
        out.print("")
    return 0
