"""Review the case interactively: timeline, sources and rejects (and more as analyses land)."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "tui"
HELP = "open the review app in the terminal"
ORDER = 40


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")


def run(args: argparse.Namespace) -> int:
    from atlas.tui.app import AtlasApp

    AtlasApp(args.case_dir).run()
    return 0
