"""Write a note on the case, an event, a link or a finding (kept in the decisions ledger
with the officer's name; audited), list notes, or withdraw one (a further decision)."""

from __future__ import annotations

import argparse
from pathlib import Path

from atlas.cli.output import console, print_json, print_table

NAME = "note"
HELP = "add, list or withdraw notes (audited)"
ORDER = 43


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("text", nargs="?", help="the note (omit to list notes)")
    p.add_argument("--about", default="case",
                   help="what it is about: case (default), event:<event id>, link:<link id>, finding:<id>")
    p.add_argument("--withdraw", type=int, metavar="N", help="withdraw note number N (with TEXT as the reason)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from atlas.decisions.notes import add_note, notes, withdraw_note
    from atlas.store import Case

    case = Case.open(args.case_dir)
    if args.withdraw is not None:
        d = withdraw_note(case, args.withdraw, reason=args.text or "")
        print_json(d.as_dict()) if args.json else console(markup=False).print(f"note #{args.withdraw} withdrawn by {d.officer}")
        return 0
    if args.text:
        n = add_note(case, args.about, args.text)
        if args.json:
            print_json(n.as_dict())
        else:
            from atlas.decisions.naming import note_about_name
            from atlas.review import Review

            console(markup=False).print(f"note #{n.seq} on {note_about_name(Review(case), n.about)} by {n.by}")
        return 0
    items = notes(case)
    if args.json:
        print_json({"case": case.manifest.reference, "notes": [n.as_dict() for n in items]})
        return 0
    from atlas.cli.output import uk_time
    from atlas.decisions.naming import note_about_name
    from atlas.review import Review

    review = Review(case)  # what each note is about named as people read it (a record by exhibit), the time in UK time
    names = review.finding_names() if any(n.about.startswith("finding:") for n in items) else None
    print_table(f"Notes: {len(items)}", ["#", "about", "note", "by", "at (UK)"],
                [[n.seq, note_about_name(review, n.about, names), n.text, n.by, uk_time(n.at)] for n in items])
    return 0
