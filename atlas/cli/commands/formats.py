"""List the source formats Atlas can read, with each parser's name and version."""

from __future__ import annotations

import argparse

from atlas.cli.output import print_json, print_table

NAME = "formats"
HELP = "list the formats Atlas reads"
ORDER = 5


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    import parsers  # the catalogue only: no parser is imported (parsers._catalogue)

    rows = [
        {"name": p.name, "version": p.version, "description": p.description, "detects": p.detects,
         "category": p.category, "channels": p.channels, "samples": p.samples}
        for p in parsers.catalogue()
    ]
    if args.json:
        print_json(rows)
    else:
        print_table("Formats (use the name with --format to force one)",
                    ["name", "version", "format", "evidence", "detected by"],
                    [[r["name"], r["version"], r["description"], r["category"], r["detects"]] for r in rows])
    return 0
