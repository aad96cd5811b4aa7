"""The arguments of the commands that list possible items an officer confirms or dismisses
(`atlas colocations`, `atlas breaches`): one block, so the two commands take the same flags.

Light on purpose: imported when the command line is built (argparse only)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_review_arguments(p: argparse.ArgumentParser, noun: str, *, state_help: str) -> None:
    """CASE_DIR, --confirm/--dismiss/--reopen/--show ID (one of them), --note, --state, --as-of, --json.
    ``noun``: one item in words (``possible breach``)."""
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    act = p.add_mutually_exclusive_group()
    act.add_argument("--confirm", metavar="ID", help=f"confirm this {noun} (id as listed): it counts")
    act.add_argument("--dismiss", metavar="ID", help=f"dismiss this {noun}: it never counts")
    act.add_argument("--reopen", metavar="ID", help="undo a decision: listed, not counted, again")
    p.add_argument("--note", default="", help="why, e.g. what other evidence was checked (required to confirm or dismiss)")
    act.add_argument("--show", metavar="ID", help=f"one {noun} in full: every record, its basis, its decision")
    p.add_argument("--state", choices=("open", "confirmed", "dismissed"), help=state_help)
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="the day the s2A deadline is judged on (default: today)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def requested_decision(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """(the id given, the state it is to take) for --confirm / --dismiss / --reopen, or (None, None)."""
    return next(((h, s) for h, s in ((args.confirm, "confirmed"), (args.dismiss, "dismissed"), (args.reopen, "open"))
                 if h), (None, None))
