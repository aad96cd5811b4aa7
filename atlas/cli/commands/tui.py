"""The review workbench in the terminal: overview, timeline of contacts, conversations,
people and aliases, conduct (with threat/behaviour candidates), exhibits, sources.
Every decision asks for confirmation and a note, in the name of the officer of case.toml
(or --officer), and every screen follows it."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "tui"
HELP = "open the review workbench in the terminal"
ORDER = 40


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("--as-of", metavar="YYYY-MM-DD",
                   help="the day the s2A verdict is given for (default: today, stated on the screen)")


def run(args: argparse.Namespace) -> int:
    from atlas.cli.output import as_of_date
    from atlas.tui.app import AtlasApp

    AtlasApp(args.case_dir, as_of=as_of_date(args.as_of)).run()
    return 0
