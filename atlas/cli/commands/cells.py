"""Cell sites of the case: how many CDR records each list locates, and every CDR cell that
no cell-site list contains (those records are kept, without a location).

A cell's position is its mast: a serving cell shows the handset was within that cell's
coverage, not at the mast.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from atlas.cli.output import print_json, print_table

NAME = "cells"
HELP = "cell-site coverage of the CDRs: located records and cells not in any list"
ORDER = 13


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    import polars as pl

    from atlas.cell_site import cdr_events_with_cells, cell_table, unknown_cells
    from atlas.exhibits import source_refs
    from atlas.normalise.times import uk_display
    from atlas.store import Case

    case = Case.open(args.case_dir)
    cells = cell_table(case)
    events = cdr_events_with_cells(case)
    missing = unknown_cells(case)
    with_cell = events.filter(pl.col("cell_id").is_not_null()) if events.height else events
    located = int(with_cell.get_column("cell_known").sum()) if with_cell.height else 0
    summary = {
        "cells_listed": cells.height,
        "cdr_records": events.height,
        "cdr_records_with_a_cell": with_cell.height,
        "cdr_records_located": located,
        "cells_not_in_any_list": missing.height,
    }
    if args.json:
        print_json({"summary": summary, "unknown_cells": missing.to_dicts(),
                    "note": "a cell's position is its mast; the handset was somewhere in its coverage"})
        return 0
    print(f"{cells.height} cells listed; {located} of {with_cell.height} CDR records with a cell are located "
          f"({events.height} CDR records in all).")
    if missing.height:
        refs = source_refs(case)
        print_table(
            f"CDR cells not in any cell-site list: {missing.height} (records kept, no location)",
            ["cell (LAC-CI / TAC-ECI)", "records", "first seen (UK)", "last seen (UK)", "exhibits"],
            [[r["cell_id"], r["records"], uk_display(r["first_seen"]), uk_display(r["last_seen"]),
              ", ".join(refs.get(s, s) for s in r["sources"])] for r in missing.iter_rows(named=True)],
        )
    else:
        print("Every CDR cell is in a cell-site list.")
    print("A cell's position is its mast: the handset was somewhere within that cell's coverage.")
    return 0
