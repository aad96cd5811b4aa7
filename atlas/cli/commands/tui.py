"""The review workbench in the terminal: overview, timeline of contacts, conversations,
people and aliases, conduct (with threat/behaviour candidates), exhibits, sources.
Every decision asks for confirmation and a note, in the name of the officer of case.toml
(or --officer), and every screen follows it."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from atlas.errors import AtlasError

NAME = "tui"
HELP = "open the review workbench in the terminal"
ORDER = 40


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD", help="the day the s2A clock counts from (default today)")


def run(args: argparse.Namespace) -> int:
    from atlas.tui.app import AtlasApp

    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError as exc:
        raise AtlasError(f"--as-of {args.as_of!r} is not a date (YYYY-MM-DD)") from exc
    AtlasApp(args.case_dir, as_of=as_of).run()
    return 0
