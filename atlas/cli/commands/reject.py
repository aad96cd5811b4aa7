"""Reject identity links: their effect disappears from every analysis (everything is
derived from the ledger when it is read), discovery never proposes them again, and the
decision is kept with who and when in the audit log.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from atlas.cli.commands.confirm import apply

NAME = "reject"
HELP = "reject alias links (audited; never re-proposed)"
ORDER = 34


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("link_ids", nargs="+", metavar="LINK_ID")
    p.add_argument("--note", default="", help="why; kept with the decision and in the audit log")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    return apply(args, "rejected")
