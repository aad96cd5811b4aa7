"""Confirm proposed identity links (one or more LINK_IDs, as `atlas people` shows them).

Confirmed links count in the confirmed-only results every analysis presents. Each
decision is recorded with who and when in the append-only audit log; a decision can be
changed later (`atlas reject`), and that is logged too.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from atlas.cli.output import console, link_line, print_json
from atlas.errors import AtlasError

NAME = "confirm"
HELP = "confirm proposed alias links (audited)"
ORDER = 33


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("link_ids", nargs="*", metavar="LINK_ID")
    p.add_argument("--all-proven", action="store_true",
                   help="confirm every proposed link with a documentary (proven) basis, each logged separately")
    p.add_argument("--note", default="", help="why; kept with the decision and in the audit log")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    return apply(args, "confirmed")


def apply(args: argparse.Namespace, status: str) -> int:
    from atlas.identity.ledger import decide, read_links
    from atlas.store import Case

    case = Case.open(args.case_dir)
    ids = list(args.link_ids)
    if getattr(args, "all_proven", False):
        ids += [lk.link_id for lk in read_links(case, statuses=["proposed"]) if lk.strength == "proven"]
    if not ids:
        raise AtlasError("no LINK_ID given (`atlas people CASE_DIR` lists each proposed link with its command handle, "
                         "the last column)")
    done = [decide(case, i, status, note=args.note) for i in dict.fromkeys(ids)]  # type: ignore[arg-type]
    if args.json:
        print_json([lk.as_dict() for lk in done])
        return 0
    for lk in done:
        console().print(link_line(case, lk), markup=False)
    return 0
