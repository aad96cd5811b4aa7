"""The contact timeline of the case, filtered; printed, or written as CSV/Parquet/JSONL."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from atlas.cli.output import add_stream_options, print_table

if TYPE_CHECKING:
    import polars as pl

    from atlas.store import Case

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
    p.add_argument("--offset", type=int, default=0, help="rows to skip before those printed (default 0): a later page")
    add_stream_options(p, "--out .parquet for a case bigger than memory: written one time window at a time (the same "
                          "rows; row groups cut differently). Chosen by itself above 5,000,000 events; .csv and "
                          ".jsonl are always written so, and the printed page always read so",
                          no_stream_help="--out .parquet: collect the whole timeline in memory whatever its size")


def _to(recipients: list[str]) -> str:
    from atlas.normalise.identifiers import display

    if not recipients:
        return ""
    more = f" +{len(recipients) - 1}" if len(recipients) > 1 else ""
    return display(recipients[0]) + more


def run(args: argparse.Namespace) -> int:
    from functools import partial

    from atlas.errors import AtlasError
    from atlas.store import Case
    from atlas.timeline import day_bound, filter_events, matching, page, write_bounded, write_frame

    if args.limit < 0 or args.offset < 0:
        raise AtlasError("--limit and --offset must be 0 or more")
    case = Case.open(args.case_dir)
    zone = case.manifest.timezone
    identifiers = None
    selection = None
    if args.party:
        from atlas.identity.select import select_party

        selection = select_party(case, args.party)
        identifiers = selection.identifiers
    sorted_, unsorted = (partial(
        f, case.events(),
        start=day_bound(args.start, zone, end=False) if args.start else None,
        end=day_bound(args.end, zone, end=True) if args.end else None,
        identifiers=identifiers, channels=args.channel, kinds=args.kind,
    ) for f in (filter_events, matching))
    from atlas.exhibits import source_refs, with_exhibit

    if args.out:
        if args.out.suffix.lower() in (".csv", ".jsonl", ".ndjson"):  # one time window at a time: any size of case
            written = write_bounded(sorted_(), source_refs(case), args.out)
        elif args.out.suffix.lower() == ".parquet" and _streamed(case, args.stream):
            from atlas.timeline import write_parquet_bounded

            written = write_parquet_bounded(sorted_(), source_refs(case), args.out)
        else:
            frame = with_exhibit(sorted_().collect(), source_refs(case))  # JA/7, sms rowid 477 beside source_id
            write_frame(frame, args.out)
            written = frame.height
        print(f"wrote {written} events to {args.out} (times in UTC; ts_basis says how each was obtained)")
    else:
        # printed: the count and one page, each from a streaming scan (bounded on any size of case)
        total, shown = page(sorted_(), unsorted(), args.offset, args.limit)
        _print(with_exhibit(shown, source_refs(case)), total, args)
    if selection is not None:
        print(f"--party {args.party}: {selection.basis}")
    return 0


def _streamed(case: Case, asked: bool | None) -> bool:
    """Whether the streaming engine was asked for or chosen (said on stderr when chosen)."""
    import sys

    from atlas.stream import bounded, engine_for

    engine, chosen = engine_for(case, asked)
    if chosen:
        print(f"atlas: {chosen}", file=sys.stderr)
    with engine:
        return bounded()


def _print(shown: pl.DataFrame, total: int, args: argparse.Namespace) -> None:
    from atlas.normalise.identifiers import display
    from atlas.normalise.times import uk_display

    rows = [
        [uk_display(r["ts_utc"]), r["ts_basis"], r["kind"], r["channel"], r["direction"], display(r["sender"] or ""),
         _to(r["recipients"] or []), (r["text"] or "")[:60], r["exhibit"]]
        for r in shown.iter_rows(named=True)
    ]
    caption: str | None
    if args.offset:
        caption = (f"showing {args.offset + 1:,}–{args.offset + shown.height:,} of {total:,}: "
                   "use --offset, --limit or --out FILE" if shown.height else f"none after the first {total:,}")
    else:
        caption = None if total <= args.limit else f"{total - args.limit} more: use --out FILE or --limit"
    print_table(
        f"Timeline: {total} events (UK local time shown; stored in UTC)",
        ["when (UK)", "basis", "kind", "channel", "dir", "from", "to", "text", "exhibit record"], rows,
        caption=caption,
    )
