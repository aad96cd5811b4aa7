"""Read source files (or folders of them) into the case: hash, parse, normalise, store.

All files of one call are committed together or not at all (``--keep-going``
commits the good ones and lists the failures; ``--commit-each`` commits each file on its
own as soon as it is read, so memory holds one file, not the call: :mod:`atlas.stream`). Every entry of a folder that is not
read is listed with the reason. Exit status: 0 every file was read (or is a SQLite
companion, an operating system's file such as .DS_Store, or a link to a file the walk reads
anyway, listed); 1 a file failed (``--keep-going``), including one the operating system would
not let Atlas read (permission denied, an I/O error) and a folder it could not list; 3 the
ingest was committed but an entry in a folder was skipped for a reason to look at (an unknown
format, an empty or special file, a hidden file, a symbolic link leading out of the folder,
looping or dangling, a detector failure).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from atlas.cli.output import print_json, print_table

if TYPE_CHECKING:
    from atlas.ingest import SourceOutcome

NAME = "ingest"
HELP = "ingest source files into a case"
ORDER = 2


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    p.add_argument("--format", help="force a parser by name (see `atlas formats`)")
    p.add_argument("--owner", help="the device/account owner: a party id from case.toml or an identifier URI")
    p.add_argument("--tz", help="IANA zone of wall-clock times in these sources (default: the case's)")
    p.add_argument("--region", help="country for national phone numbers, e.g. GB, US (default: the case's)")
    order = p.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", dest="dayfirst", action="store_const", const=True, default=None,
                       help="dates the file cannot decide are day/month")
    order.add_argument("--monthfirst", dest="dayfirst", action="store_const", const=False,
                       help="dates the file cannot decide are month/day")
    p.add_argument("--map", help="column mapping file for a new CSV/XLSX layout")
    p.add_argument("--replace", action="store_true", help="re-parse sources already in the case")
    p.add_argument("--keep-going", action="store_true", help="commit the files that parse; list the ones that fail")
    p.add_argument("--commit-each", action="store_true",
                   help="commit each file as soon as it is read (memory for one file, not the whole call: for "
                        "cases bigger than memory); a failure leaves the files before it committed")
    p.add_argument("--exhibit-from", dest="exhibit_from", metavar="NAME",
                   help="continuity: who supplied these exhibits (person, unit or provider), for the statement")
    p.add_argument("--received", metavar="DATE", help="continuity: the date the exhibits were received (YYYY-MM-DD)")
    p.add_argument("--seal", metavar="REF", help="continuity: the seal or bag number on the exhibit label")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from atlas.ingest import IngestOptions, ingest, needs_attention
    from atlas.store import Case, continuity

    case = Case.open(args.case_dir)
    received = continuity.parse_received(args.received) if args.received else None  # checked before any work
    opts = IngestOptions(
        format=args.format, owner=args.owner, timezone=args.tz, region=args.region, dayfirst=args.dayfirst,
        replace=args.replace, keep_going=args.keep_going, options={"map": args.map} if args.map else {},
    )
    show_progress = sys.stderr.isatty() and not args.json
    if args.commit_each:  # atlas.stream.ingest: one atomic commit per file
        from atlas.stream.ingest import ingest_bounded

        outcomes = ingest_bounded(case, args.paths, opts, debug=args.debug)
    elif show_progress:
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True) as bar:
            task = bar.add_task("ingesting", total=None)
            outcomes = ingest(case, args.paths, opts, debug=args.debug,
                              on_file=lambda p: bar.update(task, description=f"reading {p.name}"))
    else:
        outcomes = ingest(case, args.paths, opts, debug=args.debug)
    if args.exhibit_from is not None or received is not None or args.seal is not None:
        for o in outcomes:
            if o.status == "ingested" and o.sha256:
                continuity.record(case, o.sha256, supplied_by=args.exhibit_from, received=received, seal=args.seal)
    if args.json:
        print_json([o.__dict__ for o in outcomes])
    else:
        print_table(
            f"Ingest into {case.manifest.reference}",
            ["file", "status", "source", "parser", "read", "events", "rejects"],
            [[Path(o.path).name, status_shown(o), o.source_id, f"{o.parser} {o.parser_version}".strip(),
              o.records_read, o.events, o.rejects] for o in outcomes],
            caption="records read = events + rejects for every source; `atlas rejects` lists the rejects",
        )
        for o in outcomes:
            for a in o.assumptions:
                print(f"  {Path(o.path).name}: assumed: {a}")
            if o.message and o.status != "ingested":
                print(f"  {Path(o.path).name}: {o.message}")
    if any(o.status == "failed" for o in outcomes):
        return 1
    if needs_attention(outcomes):
        if not args.json:
            print(to_look_at_line(args.case_dir, [o for o in outcomes if o.status == "skipped" and o.notable]))
        return 3
    return 0


def status_shown(outcome: SourceOutcome) -> str:
    """The status column for people. ``skipped`` is two things: an entry a person must look
    at (a hidden file, a format Atlas does not read, an empty file, a link out of the folder),
    which makes the exit status 3, and an expected one (an operating system's file such as
    .DS_Store, a SQLite -wal read with its database, a link to a file read anyway). The
    column says which; ``--json`` keeps ``status`` and ``notable`` as they were."""
    if outcome.status != "skipped":
        return outcome.status
    return "skipped: look at it" if outcome.notable else "skipped: expected"


def to_look_at_line(case_dir: Path, look: list[SourceOutcome]) -> str:
    """The last line when entries were skipped for a reason to look at: what exit status 3
    means, and what to do: name a file to read it; nothing, if it is not evidence."""
    names = ", ".join(Path(o.path).name for o in look)
    first = next((o.path for o in look if Path(o.path).name.startswith(".")), look[0].path)
    return (f"  {len(look)} not read and to look at (listed above: {names}): exit status 3. Everything else listed "
            f"was committed. To read one, name it: atlas ingest {shlex.quote(str(case_dir))} {shlex.quote(first)} "
            "(with --format NAME if its format is not recognised). If it is not evidence, nothing more is needed: "
            "it stays listed as not read, and each later ingest of this folder says so again")
