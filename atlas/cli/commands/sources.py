"""The case's sources: hash, format, parser, owner, zone, counts and assumptions."""

from __future__ import annotations

import argparse
from pathlib import Path

from atlas.cli.output import print_json, print_table

NAME = "sources"
HELP = "list the case's sources with their hashes and counts"
ORDER = 11


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    from atlas.exhibits import exhibit_key, source_refs
    from atlas.store import Case

    case = Case.open(args.case_dir)
    refs = source_refs(case)
    order = sorted(case.sources().to_dicts(), key=lambda r: exhibit_key(refs.get(r["source_id"], "")))
    if args.json:
        print_json([{**r, "exhibit": refs.get(r["source_id"])} for r in order])
        return 0
    print_table(
        "Sources",
        ["exhibit", "file", "sha256", "parser", "owner", "zone", "read", "events", "rejects", "assumptions"],
        [[refs.get(r["source_id"], ""), r["name"], r["sha256"], f"{r['parser']} {r['parser_version']}", r["owner"], r["timezone"],
          r["records_read"], r["events"], r["rejects"], "; ".join(r["assumptions"] or [])]
         for r in order],  # in exhibit order, as the statement lists them
    )
    return 0
