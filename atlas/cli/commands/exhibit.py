"""Tag an event or a finding as an exhibit (numbered with the case's prefix), untag it, or
list what is tagged. Numbers come from the same schedule as the sources and the report's
products: assigned on first tagging, never reused. Every tag names the officer and is
audited; untagging is a further decision (the ledger is append-only).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from atlas.cli.output import console, print_json, print_table

NAME = "exhibit"
HELP = "tag, untag or list exhibits (events or findings; audited)"
ORDER = 42


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("tag", "untag", "list"))
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("target", nargs="?", metavar="ITEM", help="an event id (as `atlas timeline` shows) or finding:<id>")
    p.add_argument("--note", default="", help="why it is exhibited (kept with the decision)")
    p.add_argument("--description", default="", help="how the exhibit is described in the schedule")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from atlas.decisions.exhibits import tag, tagged, untag
    from atlas.errors import AtlasError
    from atlas.review import Review
    from atlas.store import Case

    case = Case.open(args.case_dir)
    if args.action != "list" and not args.target:
        raise AtlasError(f"atlas exhibit {args.action} needs an ITEM (an event id or finding:<id>)")
    if args.action == "tag":
        ex = tag(case, args.target, note=args.note, description=args.description)
        print_json(ex.as_dict()) if args.json else console().print(f"{ex.reference}: {ex.target} tagged by {ex.tagged_by}")
        return 0
    if args.action == "untag":
        d = untag(case, args.target, note=args.note)
        print_json(d.as_dict()) if args.json else console().print(
            f"{d.detail.get('reference')}: {d.key} untagged by {d.officer} (the number stays reserved)")
        return 0
    items = tagged(case)
    if args.json:
        print_json({"case": case.manifest.reference, "exhibits": [e.as_dict() for e in items]})
        return 0
    review = Review(case)
    print_table(f"Tagged exhibits: {len(items)}", ["exhibit", "item", "description", "note", "tagged by", "at"],
                [[e.reference, review.record_ref(e.item) if e.kind == "event" else e.target, e.description, e.note,
                  e.tagged_by, e.tagged_at] for e in items])
    return 0
