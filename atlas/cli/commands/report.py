"""Write the reports for people: the MG11 statement draft (DOCX and HTML: facts only), the
reviewer's note (DOCX and HTML: the s2A clock, s4A candidates, breaches, pending links and
what they would change; not evidence), the schedule of unused material (MG6C: CSV, XLSX,
HTML), the interactive HTML report, the exhibit schedule (CSV and XLSX), events.csv, the
technical annex, and the charts and tables exhibited with the statement.

Outputs are deterministic for the same case and decisions: no current time appears
in them unless set with --as-of (the statement's date and the s2A "days left").
Exhibit numbers are assigned once, kept in the case, and never renumbered.

The case is verified first (``atlas verify``): if a source or the store has changed, no
output is written and the error names what changed; ``--unverified`` writes anyway and
every output then carries that notice (the statement's pages, the HTML report, the
figures, a column of every table).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from atlas.cli.output import add_stream_options, print_json, print_table
from atlas.errors import AtlasError

if TYPE_CHECKING:
    from atlas.store import Case

NAME = "report"
HELP = ("write the MG11 statement draft, the reviewer's note, the unused-material schedule (MG6C), report.html "
        "and the exhibit schedule")
ORDER = 40


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("--out", type=Path, help="output folder (default CASE_DIR/outputs)")
    p.add_argument("--as-of", dest="as_of", help="the date the statement speaks as of (YYYY-MM-DD): its date and "
                                                 "the s2A days left; without it no current date appears in the outputs")
    p.add_argument("--include-proposed", action="store_true",
                   help="also run the analysis with identity links still awaiting a decision and state the difference "
                        "(done anyway when such links exist; the findings always use confirmed links only)")
    p.add_argument("--redact-third-parties", dest="redact", action="store_true",
                   help="replace the names, numbers and message texts of people who are not parties with stable "
                        "pseudonyms (Third party 1, 2, ...) in every output, and say so in each")
    p.add_argument("--unverified", action="store_true",
                   help="write even though a source or the case store no longer verifies (see `atlas verify`); every "
                        "output then says so")
    add_stream_options(p, "for a case bigger than memory: scan the store in morsels (Polars streaming) and build "
                          "the contact graph from streaming aggregates; the same outputs, in bounded memory "
                          "(atlas.stream). Chosen by itself above 5,000,000 events")
    p.add_argument("--json", action="store_true", help="print the outputs and exhibits as JSON")


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise AtlasError(f"--as-of {value!r} is not a date (YYYY-MM-DD)") from exc


def integrity_notice(case: Case, *, write_anyway: bool) -> str | None:
    """None when the case verifies; else a refusal naming what changed, or (``write_anyway``)
    the notice every output carries (:func:`atlas.store.verify.refusal_or_notice`)."""
    from atlas.store.verify import refusal_or_notice

    notice = refusal_or_notice(case, anyway=write_anyway, verb="produced",
                               refused="no report was written (--unverified writes anyway, and every output then says so)")
    if notice is not None:
        case.allow_new_db = True
    return notice


def run(args: argparse.Namespace) -> int:
    from atlas.store import Case
    from reports.build import build_reports
    from reports.redaction import NOTE

    case = Case.open(args.case_dir)
    notice = integrity_notice(case, write_anyway=args.unverified)
    out = args.out or case.outputs
    from atlas.stream import engine_for

    engine, chosen = engine_for(case, args.stream)
    if chosen:
        print(f"atlas: {chosen}", file=sys.stderr)
    with engine:
        result = build_reports(case, out, as_of=_as_of(args.as_of), include_proposed=args.include_proposed,
                               redact_third_parties=args.redact, integrity_notice=notice)
    if args.json:
        print_json({
            "out_dir": str(result.out_dir),
            "outputs": {k: str(v) for k, v in sorted(result.paths.items())},
            "exhibits": [e.row() for e in result.exhibits],
            "facts": result.statement.facts,
            "reviewer_note": result.reviewer_note.facts,
            "unused_material": [a.__dict__ for a in result.accounts],
            **({"redaction": NOTE} if args.redact else {}),
        })
        return 0
    print_table(
        f"Exhibits ({case.manifest.reference})", ["ref", "description", "file", "sha256"],
        [[e.reference, e.description, e.filename, e.sha256[:16] + "…"] for e in result.exhibits],
    )
    print(f"Wrote to {result.out_dir}:")
    for key in ("report", "statement.docx", "statement.html", "reviewer-note.docx", "reviewer-note.html",
                "unused-material.xlsx", "unused-material.csv", "unused-material.html",
                "unused-material-counterparts.csv", "exhibits.csv", "exhibits.xlsx",
                "events", "annex"):
        if key in result.paths:
            print(f"  {result.paths[key]}")
    for note in result.notes:
        print(f"note: {note}")
    print("The statement is a DRAFT for the officer to review and sign. Decision support, not legal advice.")
    if notice:
        print(f"warning: {notice}")
    return 0
