"""De-duplicated contacts: one row per real-world call or message, with the event id of
every source record (handset downloads, call data records, exports) that corroborates it.

The matching rule and tolerance are printed with the list; parties are shown as the
case's party ids where case.toml or confirmed identity links attribute an identifier,
otherwise as the identifier itself.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from atlas.cli.output import add_stream_options, print_json, print_table

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    import polars as pl

    from atlas.store import Case

NAME = "contacts"
HELP = "list de-duplicated contacts with the source records that corroborate each"
ORDER = 12


def add_arguments(p: argparse.ArgumentParser) -> None:
    from atlas.contacts import DEFAULT_TOLERANCE_S

    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("--party", metavar="WHO", help="only contacts to or from this person: a party id or name from case.toml, "
                   "or any identifier (its party's identifiers via case.toml and confirmed links)")
    p.add_argument("--tolerance", type=int, default=DEFAULT_TOLERANCE_S, metavar="SECONDS",
                   help=f"time tolerance for matching records (default {DEFAULT_TOLERANCE_S})")
    p.add_argument("--proposed", action="store_true", help="also follow identity links still awaiting a decision")
    p.add_argument("--limit", type=int, default=200, help="rows to print (default 200)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_stream_options(p, "for a case bigger than memory: count, page and write the contacts one source or one "
                          "time window at a time (Polars streaming); the same output, in bounded memory "
                          "(atlas.stream). Chosen by itself above 5,000,000 events")


def _who(canonical: str | None, raw: str | None) -> str:
    from atlas.normalise.identifiers import display

    if canonical and raw and canonical != raw:
        return f"{canonical} ({display(raw)})"
    return display(canonical or raw or "?")


def filter_party(contacts: pl.DataFrame, party: str | None, identifiers: frozenset[str] | set[str] = frozenset()) -> pl.DataFrame:
    """Contacts whose sender or a recipient is ``party`` (a party id) or one of ``identifiers``."""
    from atlas.contacts import party_hit

    return contacts.filter(party_hit(party, identifiers))


CONTACTS_SLOT = "@@atlas-contacts@@"
"""Where the contacts go in the ``--json`` document written one window at a time."""


def write_json(data: dict[str, object], windows: Iterator[pl.DataFrame], refs: Mapping[str, str]) -> None:
    """``print_json(data | {"contacts": every contact with its exhibits})`` with the contacts
    written one time window at a time (the same bytes, in memory bounded by one window)."""
    import sys
    import textwrap

    from atlas.cli.output import dumps
    from atlas.exhibits import event_refs_expr

    head, tail = dumps({**data, "contacts": CONTACTS_SLOT}).split(f'"{CONTACTS_SLOT}"')
    out = sys.stdout
    out.write(head)
    first = True
    for frame in windows:
        for row in frame.with_columns(event_refs_expr(refs).alias("exhibits")).to_dicts():
            out.write(("[\n" if first else ",\n") + textwrap.indent(dumps(row), "    "))
            first = False
    out.write("[]" if first else "\n  ]")
    out.write(tail + "\n")


def run(args: argparse.Namespace) -> int:
    import sys

    from atlas.store import Case
    from atlas.stream import bounded, engine_for

    case = Case.open(args.case_dir)
    engine, chosen = engine_for(case, args.stream)
    if chosen:
        print(f"atlas: {chosen}", file=sys.stderr)
    with engine:
        return _run(args, case, streamed=bounded())


def _run(args: argparse.Namespace, case: Case, *, streamed: bool) -> int:
    from atlas.contacts import case_contacts, match_rule
    from atlas.normalise.times import uk_display

    selection = None
    if args.party:
        from atlas.identity.select import select_party

        selection = select_party(case, args.party, include_proposed=args.proposed)
    from atlas.exhibits import event_refs, event_refs_expr, source_refs

    refs = source_refs(case)
    offsets: dict[str, tuple[float, int]] = {}
    if streamed:  # a case bigger than memory: per-source queries, the corroborated contacts in memory
        from atlas.stream.contacts import bounded_contacts

        parts = bounded_contacts(case, tolerance_s=args.tolerance, include_proposed=args.proposed,
                                 clock_offsets=offsets)
        height, records = parts.count()
        if selection is not None:
            from atlas.contacts import party_hit

            parts = parts.filter(party_hit(selection.party, selection.identifiers))
            height = parts.count()[0]
    else:
        contacts = case_contacts(case, tolerance_s=args.tolerance, include_proposed=args.proposed,
                                 clock_offsets=offsets)
        records = int(contacts.get_column("event_ids").list.len().sum()) if contacts.height else 0
        if selection is not None:
            contacts = filter_party(contacts, selection.party, selection.identifiers)
        height = contacts.height
    rule = match_rule(args.tolerance)
    try:
        from atlas.cell_site import unknown_cells
        missing = unknown_cells(case)
    except ImportError:  # pragma: no cover - cell sites are optional
        missing = None
    if args.json:
        data = {
            "rule": rule, "tolerance_s": args.tolerance, "identity": "proposed links followed" if args.proposed
            else "case.toml attribution and confirmed links only",
            "clock_offsets": {sid: {"seconds_ahead": off, "pairs": n} for sid, (off, n) in sorted(offsets.items())},
            "party": None if selection is None else {"asked": selection.asked, "party": selection.party,
                                                      "identifiers": sorted(selection.identifiers), "basis": selection.basis},
            "cdr_cells_not_in_any_list": missing.to_dicts() if missing is not None else [],
        }
        if streamed:
            write_json(data, parts.windows(), refs)
        else:
            print_json({**data, "contacts": contacts.with_columns(event_refs_expr(refs).alias("exhibits")).to_dicts()})
        return 0
    shown = parts.head(args.limit) if streamed else contacts.head(args.limit)
    rows = [
        [uk_display(r["ts_utc"]), f"{r['kind']} {'/'.join(r['channels'])}", _who(r["party_from"], r["sender"]),
         ", ".join(_who(c, None) for c in r["party_to"]), r["status"] or "", r["n_sources"],
         "\n".join(event_refs(refs, r["event_ids"]))]
        for r in shown.iter_rows(named=True)
    ]
    title = f"Contacts: {height} de-duplicated" + (f" involving {args.party}" if args.party else "")
    if not args.party:
        title += f" from {records} source records"
    print_table(title, ["when (UK)", "channel", "from", "to", "status", "sources", "exhibit records"], rows,
                caption=None if height <= args.limit else f"{height - args.limit} more: use --json or --limit")
    print(f"Matching rule: {rule}")
    if selection is not None:
        print(f"--party {args.party}: {selection.basis}")
    for sid, (off, n) in sorted(offsets.items()):
        if off:
            print(f"Source {refs.get(sid, sid)}: clock estimated {off:+.0f} s against the reference (median of {n} unambiguous "
                  "matches); removed before matching, times shown as the source wrote them.")
    if missing is not None and missing.height:
        print(f"{missing.height} cell(s) in call data records are not in any cell-site list "
              f"(events kept, no location): see `atlas cells {args.case_dir}`")
    return 0
