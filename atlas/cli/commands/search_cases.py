"""Find every case under a folder (or in a batch manifest) where an identifier appears: its
records, first and last time, the party it belongs to there and the orders against that
party; with --linked, also every identifier confirmed-linked to it in each case (case.toml
attributions and confirmed links; proposed links are never followed).

Each case's events are scanned lazily, never loaded whole. A case whose case.toml says
`cross_case_search = false` is only counted ("excluded itself"), never opened. Every case
searched records the search in its audit log. A case that cannot be read, or whose store
files no longer match their seal, is reported as such and the search goes on; the exit
status is then 1 (also when a folder under ROOT could not be looked into).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from atlas.cli.output import console, print_json
from atlas.wording import plural

NAME = "search-cases"
HELP = "find an identifier (and, with --linked, what it is confirmed-linked to) across many cases"
ORDER = 38


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("root", type=Path, metavar="ROOT", help="a folder holding case folders, or a batch manifest (TOML)")
    p.add_argument("--identifier", required=True, metavar="URI",
                   help="tel:+447700900123, instagram:handle, ... (a number as seen is normalised; --region)")
    p.add_argument("--linked", action="store_true",
                   help="also search, in each case, the identifiers confirmed-linked to it there")
    p.add_argument("--region", default="GB", help="country of a national number given as --identifier (default GB)")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: one case after another here; dask: Dask distributed (as `atlas batch`)")
    p.add_argument("--address", metavar="tcp://HOST:8786", help="an existing Dask scheduler (--engine dask)")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes of a local Dask cluster")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def identifier_line(h: dict[str, Any]) -> str:
    """One identifier's line under a case: every count grouped in thousands, as :func:`plural` writes the
    total beside it ("4,456 records (2,350 from, 2,106 to)"; the counts in brackets read "2350")."""
    party = (f"{h['party_name'] or h['party']} ({h['party_role']}, {h['party_basis']})" if h["party"]
             else "no party in that case")
    line = f"  {h['label']}: {plural(h['records'], 'record')} ({h['as_sender']:,} from, {h['as_recipient']:,} to); {party}"
    if h["how"] != "searched":
        line += f"; searched because: {h['how']}"
    if h["own_sources"]:
        line += (f"; {plural(h['own_sources'], 'source')} {'is' if h['own_sources'] == 1 else 'are'} "
                 "its own device or account")
    return line


def run(args: argparse.Namespace) -> int:
    from atlas.search.cases import Query, identifier_of, search

    query = Query(identifier_of(args.identifier, region=args.region.upper()), linked=args.linked,
                  officer=getattr(args, "officer", None))
    report = search(args.root, query, engine=args.engine, address=args.address, workers=args.workers)
    data = report.to_json()
    incomplete = 1 if data["unreadable"] or data["not_searched"] else 0
    if args.json:
        print_json(data)
        return incomplete
    out = console()
    out.print(f"{query.identifier}{' and identifiers confirmed-linked to it' if query.linked else ''}: "
              f"{data['cases']:,} case(s) under {args.root}; found in {data['found']:,}, not found in {data['not_found']:,}, "
              f"unreadable {data['unreadable']:,}, excluded themselves {data['excluded_themselves']:,}.", markup=False)
    out.print(f"Links followed: {data['links_followed']}. Orders: in force on {query.as_of:%d/%m/%Y} (search date).")
    for skipped in data["not_searched"]:
        out.print(f"Not searched: {skipped['path']}: {skipped['why']}.", markup=False, highlight=False)
    for r in data["results"]:
        if r["status"] == "unreadable":
            out.print(f"{r['dir']}: unreadable: {r['reason']}", markup=False, highlight=False)
            continue
        if not r["records"] and not r["identifiers"] and not r["reason"]:
            continue
        head = f"{r['dir']} ({r['reference']}): {plural(r['records'], 'record')}"
        if r["records"]:
            head += f", {r['first_uk']} to {r['last_uk']}"
        out.print(head + (f". {r['reason']}" if r["reason"] else ""), markup=False, highlight=False)
        for h in r["identifiers"]:
            out.print(identifier_line(h), markup=False, highlight=False)
        for o in r["orders"]:
            state = "in force" if o["in_force_on_search_date"] else "not in force"
            within = o["records_in_order_period"]
            out.print(f"  order against {o['against']}: {o['order']} from {o['start_uk']}"
                      f"{' to ' + o['end_uk'] if o['end_uk'] else ''} ({state} on the search date); "
                      f"{plural(within, 'record')} found dated within its period (whether any breached it "
                      "depends on its terms: see that case's analysis)",
                      markup=False, highlight=False)
    return incomplete
