"""The case's audit log: every change to the case, in order, with who made it.

Each row names the officer (``atlas.store.officer``: case.toml, or ``--officer`` for the run
that wrote it), never the computer's login, so the log can be read as a continuity record.
The rows are the hash chain ``atlas verify`` walks; this command only reads them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from atlas.cli.output import print_json, print_table

NAME = "audit"
HELP = "list the audit log: who did what to the case, and when"
ORDER = 21


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("--action", metavar="ACTION", help="only rows of this action (ingest, exhibit-number, identity.confirm ...)")
    p.add_argument("--json", action="store_true")


def summary(action: str, detail: object) -> str:
    """One line for a row's detail: what an officer reading the log needs to see."""
    if not isinstance(detail, dict):
        return str(detail)
    if action == "ingest":
        name = str(detail.get("path", "")).rsplit("/", 1)[-1]
        return f"{name} (SHA-256 {str(detail.get('sha256', ''))[:16]}…, {detail.get('parser', '')})"
    if action == "exhibit-number":
        kind, _, key = str(detail.get("key", "")).partition(":")
        return f"{detail.get('prefix', '')}/{detail.get('number', '')}: {kind} {key[:16]}{'…' if len(key) > 16 else ''}"
    if action == "exhibit-prefix":
        refs = (f"{detail.get('references_before')} are now {detail.get('references_after')}"
                if detail.get("exhibits") else "no exhibit numbered yet")
        served = (f"served: {detail.get('served')}" if detail.get("served")
                  else "stated nothing served" if detail.get("nothing_served") else "")
        return "; ".join(p for p in (f"{detail.get('from', '')} → {detail.get('to', '')} ({refs})",
                                     f"why: {detail.get('reason', '')}", served) if p)
    text = json.dumps(detail, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:119] + "…"


def when(at: str) -> str:
    """``2026-12-06T05:00:50+00:00`` as people read it, in UTC as recorded: ``06/12/2026 05:00:50 UTC``."""
    from datetime import UTC, datetime

    try:
        return datetime.fromisoformat(at).astimezone(UTC).strftime("%d/%m/%Y %H:%M:%S UTC")
    except ValueError:
        return at


def run(args: argparse.Namespace) -> int:
    from atlas.store import Case

    rows = Case.open(args.case_dir).audit_log()
    if args.action:
        rows = [r for r in rows if r["action"] == args.action]
    if args.json:
        print_json(rows)
        return 0
    print_table("Audit log", ["seq", "when", "officer", "action", "detail"],
                [[r["seq"], when(str(r["at"])), r["actor"], r["action"], summary(str(r["action"]), r["detail"])]
                 for r in rows])
    return 0
