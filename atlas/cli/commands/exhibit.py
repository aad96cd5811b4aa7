"""Exhibits: tag an event or a finding as an exhibit (numbered with the case's prefix),
untag it, list what is tagged; and record or list exhibit continuity (who supplied each
source, when it was received, its seal or bag number).

``atlas exhibit prefix CASE_DIR JA --reason "..." [--served "..." | --nothing-served]`` changes the
case's prefix on purpose (:mod:`atlas.store.prefix_change`): case.toml and an audit row together.
``atlas exhibit tag CASE_DIR EVENT_ID --note "..."`` numbers the item from the same
schedule as the sources and the report's products (assigned on first tagging, never
reused); every tag names the officer and is audited, and untagging is a further decision
(the ledger is append-only). ``atlas exhibit continuity CASE_DIR JA/3 --from "DC 4321 Lee"
--received 2026-11-20 --seal MPS123456`` records (or corrects) the continuity the statement
gives for that exhibit; without an exhibit it lists every source with what is recorded and
what is missing. Every change is written to the audit log with the values before and after.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from atlas.cli.output import print_json, print_table

NAME = "exhibit"
HELP = "tag, untag or list exhibits (events or findings; audited); record or list exhibit continuity"
ORDER = 41


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="exhibit_action", metavar="ACTION", required=True)
    c = sub.add_parser("continuity", help="record or list who supplied each exhibit, when, and its seal number")
    c.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    c.add_argument("exhibit", nargs="?", metavar="EXHIBIT",
                   help="exhibit reference (JA/3), source id or file name; omit to list every source")
    c.add_argument("--from", dest="supplied_by", metavar="NAME", help="who supplied the exhibit")
    c.add_argument("--received", metavar="DATE", help="date received (YYYY-MM-DD)")
    c.add_argument("--seal", metavar="REF", help="seal or bag number")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    r = sub.add_parser("prefix", help="change the case's exhibit prefix on purpose, recorded in the audit log "
                                      "(who, when, why, what was served); the numbers stay")
    r.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    r.add_argument("new_prefix", metavar="NEW", help="the new prefix: the officer's initials (JA), letters A-Z and digits")
    r.add_argument("--reason", required=True, help="why it changes (kept in the audit log)")
    served = r.add_mutually_exclusive_group()
    served.add_argument("--served", default="", metavar="TEXT",
                        help="what was already served carrying the old references, and when (required, or "
                             "--nothing-served, once exhibits are numbered)")
    served.add_argument("--nothing-served", dest="nothing_served", action="store_true",
                        help="no document carrying the old references was served")
    r.add_argument("--officer", default=argparse.SUPPRESS, metavar='"RANK COLLAR NAME"',
                   help="who changes it, when not the officer of case.toml (recorded in the audit log)")
    r.add_argument("--json", action="store_true", help="machine-readable output")
    for action, helptext in (("tag", "tag an event or a finding as an exhibit (numbered; note required)"),
                             ("untag", "untag an exhibit (its number stays reserved; note required)"),
                             ("list", "list the tagged exhibits")):
        t = sub.add_parser(action, help=helptext)
        t.add_argument("case_dir", type=Path, metavar="CASE_DIR")
        if action != "list":
            t.add_argument("target", metavar="ITEM", help="an event id (as `atlas timeline` shows) or finding:<id>")
            t.add_argument("--note", default="", help="why (kept with the decision and in the audit log)")
        if action == "tag":
            t.add_argument("--description", default="", help="how the exhibit is described in the schedule")
        t.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    if args.exhibit_action in ("tag", "untag", "list"):
        return _tags(args)
    if args.exhibit_action == "prefix":
        return _prefix(args)
    from atlas.errors import AtlasError
    from atlas.store import Case, continuity

    case = Case.open(args.case_dir)
    if args.exhibit is None:
        if args.supplied_by is not None or args.received is not None or args.seal is not None:
            raise AtlasError("name the exhibit to change (e.g. JA/3)")
        known = continuity.read_all(case)
        rows = []
        for r in case.sources().sort("name").iter_rows(named=True):
            c = known.get(r["sha256"]) or continuity.Continuity(r["sha256"])
            rows.append({"source_id": r["source_id"], "file": r["name"], "supplied_by": c.supplied_by,
                         "received": c.received.isoformat() if c.received else "", "seal": c.seal,
                         "complete": c.complete})
        if args.json:
            print_json(rows)
        else:
            print_table(f"Exhibit continuity ({case.manifest.reference})",
                        ["file", "supplied by", "received", "seal"],
                        [[r["file"], r["supplied_by"] or "(not recorded)", r["received"] or "(not recorded)",
                          r["seal"] or "(not recorded)"] for r in rows])
        return 0
    sha = continuity.resolve_source(case, args.exhibit)
    received = continuity.parse_received(args.received) if args.received else None
    rec = continuity.record(case, sha, supplied_by=args.supplied_by, received=received, seal=args.seal)
    out = {"sha256": rec.sha256, "supplied_by": rec.supplied_by,
           "received": rec.received.isoformat() if rec.received else "", "seal": rec.seal}
    if args.json:
        print_json(out)
    else:
        print(f"{args.exhibit}: supplied by {rec.supplied_by or '(not recorded)'}; received "
              f"{rec.received.strftime('%d/%m/%Y') if rec.received else '(not recorded)'}; seal {rec.seal or '(not recorded)'}")
    return 0


def _tags(args: argparse.Namespace) -> int:
    from atlas.cli.output import console
    from atlas.decisions.exhibits import tag, tagged, untag
    from atlas.decisions.naming import HANDLE_HEADER, tagged_item_name
    from atlas.review import Review
    from atlas.store import Case

    case = Case.open(args.case_dir)
    if args.exhibit_action == "tag":
        ex = tag(case, args.target, note=args.note, description=args.description)
        if args.json:
            print_json(ex.as_dict())
        else:
            what = tagged_item_name(Review(case), ex)  # a record by its exhibit, a finding by its time and records
            console(markup=False).print(f"{ex.reference}: {what} tagged by {ex.tagged_by}; produced by the next atlas report")
        return 0
    if args.exhibit_action == "untag":
        tagged_before = tagged(case)
        d = untag(case, args.target, note=args.note)
        if args.json:
            print_json(d.as_dict())
        else:
            gone = next((t for t in tagged_before if t.target == d.key), None)
            what = tagged_item_name(Review(case), gone) if gone is not None else str(d.detail.get("reference"))
            console(markup=False).print(f"{d.detail.get('reference')}: {what} untagged by {d.officer} (the number stays reserved)")
        return 0
    items = tagged(case)
    if args.json:
        print_json({"case": case.manifest.reference, "exhibits": [e.as_dict() for e in items]})
        return 0
    review = Review(case)
    # the findings' names, built once for the list (never the analysis when only records are tagged)
    names = review.finding_names() if any(e.kind != "event" for e in items) else None
    # each item named as people read it; last, the ITEM `atlas exhibit untag` takes for a finding (a record's
    # is its store event id, left out here: the record is named by its exhibit)
    print_table(f"Tagged exhibits: {len(items)}",
                ["exhibit", "item", "description", "note", "tagged by", "at", HANDLE_HEADER],
                [[e.reference, tagged_item_name(review, e, names), e.description, e.note, e.tagged_by, review.uk(e.tagged_at),
                  "" if e.kind == "event" else e.target] for e in items])
    return 0


def _prefix(args: argparse.Namespace) -> int:
    """``atlas exhibit prefix``: :func:`atlas.store.prefix_change.record_change`, then what it did."""
    from atlas.store.prefix_change import record_change

    change = record_change(args.case_dir, args.new_prefix, args.reason, served=args.served,
                           nothing_served=args.nothing_served)
    if args.json:
        print_json(change.detail())
        return 0
    if change.exhibits:
        print(f"Exhibit prefix changed from {change.before} to {change.after}, recorded in the audit log with the "
              f"reason. The {change.exhibits} exhibit(s) numbered keep their numbers: {change.references(change.before)} "
              f"are now {change.references(change.after)} in every output made from now on.")
        print(f"Served under the old references: {change.served}" if change.served
              else "Stated: no document carrying the old references was served.")
    else:
        print(f"Exhibit prefix changed from {change.before} to {change.after}, recorded in the audit log with the "
              "reason. No exhibit was numbered yet, so no reference already given changes.")
    return 0
