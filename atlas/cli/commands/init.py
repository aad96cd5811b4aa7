"""Create a case folder with a commented case.toml to fill in."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "init"
HELP = "create a case folder with a case.toml template"
ORDER = 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")


def run(args: argparse.Namespace) -> int:
    from atlas.store import init_case
    from atlas.store.manifest import TEMPLATE

    manifest = init_case(args.case_dir, TEMPLATE)
    print(f"created {manifest}: fill in the case, parties, places and orders, then `atlas ingest {args.case_dir} FILES...`")
    return 0
