"""Write the case for another tool: Timesketch (JSONL timeline), CASE/UCO (JSON-LD
provenance), i2 Analyst's Notebook (ANX chart), GeoJSON or KML (maps).

Each file says which identity links it followed: case.toml attributions and confirmed
links only, unless `--with-proposed` (then everything a proposed link adds is marked
proposed). Every record is named by its exhibit (`JA/7, sms rowid 477`); the same case
and decisions give the same bytes; the export is recorded in the case's audit log.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from atlas.cli.output import add_stream_options, console, print_json

NAME = "export"
HELP = "export for Timesketch, CASE/UCO, i2 Analyst's Notebook, GeoJSON or KML"
ORDER = 37
TARGETS = ("timesketch", "case", "i2", "geojson", "kml")  # atlas.export.TARGETS (not imported: start-up stays light)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("--to", required=True, choices=TARGETS,
                   help="timesketch (.jsonl), case (CASE/UCO JSON-LD), i2 (.anx), geojson, kml")
    p.add_argument("out", type=Path, metavar="OUT", help="the file to write")
    p.add_argument("--with-proposed", action="store_true",
                   help="also follow identity links awaiting a decision (marked proposed; never a finding)")
    p.add_argument("--unverified", action="store_true",
                   help="export even though a source or the case store no longer verifies (see `atlas verify`); the "
                        "document then says so")
    p.add_argument("--party", metavar="WHO", help="i2 only: only the contacts to or from this person (a party id or "
                   "name from case.toml, or any identifier); needed on a case of more than 250,000 contacts")
    p.add_argument("--json", action="store_true", help="machine-readable summary on stdout")
    add_stream_options(p, "for a case bigger than memory: read the store in morsels (Polars streaming; contacts "
                          "one source at a time); the same file, in bounded memory (atlas.stream). Chosen by "
                          "itself above 5,000,000 events")


def run(args: argparse.Namespace) -> int:
    import sys

    from atlas.export.run import export
    from atlas.store import Case
    from atlas.stream import engine_for

    case = Case.open(args.case_dir)
    engine, chosen = engine_for(case, args.stream)
    if chosen:
        print(f"atlas: {chosen}", file=sys.stderr)
    with engine:
        outcome = export(case, args.to, args.out, include_proposed=args.with_proposed,
                         unverified=args.unverified, party=args.party)
    if args.json:
        print_json(outcome.to_json())
        return 0
    out = console(markup=False)  # a path, an identity basis, a note: the case's words
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in outcome.counts.items())
    out.print(f"wrote {outcome.path} ({args.to}; {counts})")
    out.print(f"SHA-256 {outcome.sha256}")
    out.print(f"Identity links followed: {outcome.identity_shown or outcome.identity}.")  # by their sides, not ids
    for note in outcome.notes:
        out.print(f"Note: {note}.")
    return 0
