"""List the source formats Atlas can read, with each parser's name and version."""

from __future__ import annotations

import argparse

import parsers
from atlas.cli.output import print_json, print_table

NAME = "formats"
HELP = "list the formats Atlas reads"
ORDER = 5


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    rows = [
        {"name": p.INFO.name, "version": p.INFO.version, "description": p.INFO.description, "detects": p.INFO.detects,
         "category": str(p.INFO.category), "channels": sorted(str(c) for c in p.INFO.channels),
         "samples": [s.sample for s in p.INFO.sample_counts]}
        for p in parsers.all_parsers()
    ]
    if args.json:
        print_json(rows)
    else:
        print_table("Formats (use the name with --format to force one)",
                    ["name", "version", "format", "evidence", "detected by"],
                    [[r["name"], r["version"], r["description"], r["category"], r["detects"]] for r in rows])
    return 0
