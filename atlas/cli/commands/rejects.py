"""Records that did not become events, each with its source, place and reason."""

from __future__ import annotations

import argparse
from pathlib import Path

from atlas.cli.output import print_json, print_table

NAME = "rejects"
HELP = "list rejected records with their reasons"
ORDER = 12


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    from atlas.store import Case

    case = Case.open(args.case_dir)
    from atlas.exhibits import source_refs, with_exhibit

    frame = with_exhibit(case.rejects().sort("source_id", "source_ref").collect(), source_refs(case))
    if args.json:
        print_json(frame.to_dicts())
        return 0
    print_table(f"Rejects: {frame.height}", ["exhibit record", "reason", "excerpt"],
                [[r["exhibit"], r["reason"], r["excerpt"]] for r in frame.iter_rows(named=True)])
    return 0
