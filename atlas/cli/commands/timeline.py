"""The contact timeline of the case, filtered; printed, or written as CSV/Parquet/JSONL."""

from __future__ import annotations

import argparse
from pathlib import Path

from atlas.cli.output import print_table

NAME = "timeline"
HELP = "show or export the timeline of events"
ORDER = 10


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("--from", dest="start", help="first day (YYYY-MM-DD, case time zone) or ISO date-time")
    p.add_argument("--to", dest="end", help="last day, inclusive, or ISO date-time (exclusive)")
    p.add_argument("--party", help="only events involving this person: a party id or name from case.toml, or any "
                   "identifier (its party's identifiers via case.toml and confirmed links)")
    p.add_argument("--channel", action="append", help="only this channel (repeatable)")
    p.add_argument("--kind", action="append", help="only this kind: call, message, location, ... (repeatable)")
    p.add_argument("--out", type=Path, help="write to FILE (.csv, .parquet, .jsonl) instead of printing")
    p.add_argument("--limit", type=int, default=100, help="rows to print (default 100)")


def _to(recipients: list[str]) -> str:
    from atlas.normalise.identifiers import display

    if not recipients:
        return ""
    more = f" +{len(recipients) - 1}" if len(recipients) > 1 else ""
    return display(recipients[0]) + more


def run(args: argparse.Namespace) -> int:
    from atlas.normalise.identifiers import display
    from atlas.normalise.times import uk_display
    from atlas.store import Case
    from atlas.timeline import day_bound, filter_events, write_frame

    case = Case.open(args.case_dir)
    zone = case.manifest.timezone
    identifiers = None
    selection = None
    if args.party:
        from atlas.identity.select import select_party

        selection = select_party(case, args.party)
        identifiers = selection.identifiers
    frame = filter_events(
        case.events(),
        start=day_bound(args.start, zone, end=False) if args.start else None,
        end=day_bound(args.end, zone, end=True) if args.end else None,
        identifiers=identifiers, channels=args.channel, kinds=args.kind,
    ).collect()
    from atlas.exhibits import source_refs, with_exhibit

    frame = with_exhibit(frame, source_refs(case))  # JA/7, sms rowid 477 beside source_id
    if args.out:
        write_frame(frame, args.out)
        print(f"wrote {frame.height} events to {args.out} (times in UTC; ts_basis says how each was obtained)")
        if selection is not None:
            print(f"--party {args.party}: {selection.basis}")
        return 0
    shown = frame.head(args.limit)
    rows = [
        [uk_display(r["ts_utc"]), r["ts_basis"], r["kind"], r["channel"], r["direction"], display(r["sender"] or ""),
         _to(r["recipients"] or []), (r["text"] or "")[:60], r["exhibit"]]
        for r in shown.iter_rows(named=True)
    ]
    print_table(
        f"Timeline: {frame.height} events (UK local time shown; stored in UTC)",
        ["when (UK)", "basis", "kind", "channel", "dir", "from", "to", "text", "exhibit record"], rows,
        caption=None if frame.height <= args.limit else f"{frame.height - args.limit} more: use --out FILE or --limit",
    )
    if selection is not None:
        print(f"--party {args.party}: {selection.basis}")
    return 0
