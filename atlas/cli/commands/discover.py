"""Run candidate discovery: propose identity links from the data (identity evidence the
parsers found, accounts used on a known owner's device, similar display names, new
identifiers taking over after a block). Every proposal says why, with a score and the
source records behind it; nothing is confirmed here.

Re-running is safe: an existing proposal is not duplicated, a rejected one is never
resurrected and a confirmed one is never demoted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from atlas.cli.output import add_stream_options, console, print_json

NAME = "discover"
HELP = "propose alias links from the case's data (idempotent; nothing is confirmed)"
ORDER = 31


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("--window-days", type=float, default=42.0,
                   help="how soon after a block or a quiet spell a successor must start (default 42)")
    p.add_argument("--min-contacts", type=int, default=3, help="fewest contacts a successor candidate needs (default 3)")
    add_stream_options(p, "for a case bigger than memory: scan the store in morsels (Polars streaming); the same "
                          "proposals, in bounded memory (atlas.stream). Chosen by itself above 5,000,000 events")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from atlas.identity.candidates import discover
    from atlas.store import Case

    case = Case.open(args.case_dir)
    from atlas.stream import engine_for

    engine, chosen = engine_for(case, args.stream)
    if chosen:
        print(f"atlas: {chosen}", file=sys.stderr)
    with engine:
        report = discover(case, window_days=args.window_days, min_contacts=args.min_contacts)
    if args.json:
        print_json(report.as_dict())
        return 0
    out = console(markup=False)  # identifiers and display names: the case's words
    out.print(f"{len(report.new)} new proposal(s), {len(report.updated)} updated with new evidence, "
              f"{len(report.unchanged)} already in the ledger (decisions kept).")
    for line in report.skipped:
        out.print(f"  not linkable: {line}")
    out.print(f"Review them with `atlas people {args.case_dir}`, then `atlas confirm` or `atlas reject`.")
    return 0
