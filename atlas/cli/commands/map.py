"""Propose a column mapping for a CDR or tool export in a layout no template names.

Reads the header and the first rows of FILE (nothing else), maps its columns by meaning
(``parsers/templates/cdr_vocabulary.toml`` for call data records: header names, units and
zones in the headers, checks of the values; ``tool_export_vocabulary.toml`` for messages,
calls and contacts exported by phone-analysis tools) and writes the proposal as a template
file an officer reviews and passes to ``atlas ingest --map``. Where the meaning is not
certain the file is still written, with ``TO DO`` lines naming what to decide, and the exit
status is 1.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from atlas.errors import AtlasError

NAME = "map"
HELP = "propose a --map template for a CDR or tool export in an unseen layout"
ORDER = 3


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, metavar="FILE", help="the CDR return (CSV or XLSX)")
    p.add_argument("--out", type=Path, help="where to write the template (default: ./<FILE stem>.map.toml)")
    p.add_argument("--tz", default="Europe/London",
                   help="zone assumed when the return states none (default: Europe/London)")
    order = p.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", dest="dayfirst", action="store_const", const=True, default=None)
    order.add_argument("--monthfirst", dest="dayfirst", action="store_const", const=False)
    p.add_argument("--force", action="store_true", help="overwrite an existing template file")


def run(args: argparse.Namespace) -> int:
    from parsers._cdr_meaning import propose_for_file
    from parsers.cdr import load_templates

    path: Path = args.file
    if not path.is_file():
        raise AtlasError(f"{path}: no such file")
    found = propose_for_file(path, default_zone=args.tz, dayfirst=args.dayfirst)
    if found.fits:
        print(f"{path.name}: already fits the shipped CDR template {found.fits!r} (header {found.where}); "
              "no mapping needed")
        return 0
    if found.proposal is None:
        return _tool_export(path, args)
    out: Path = args.out or Path.cwd() / f"{path.stem}.map.toml"
    if out.exists() and not args.force:
        raise AtlasError(f"{out}: exists; choose another --out or add --force")
    proposal = found.proposal
    out.write_text(proposal.toml(path.name), encoding="utf-8")
    print(f"{path.name}: header at {found.where}; proposed mapping written to {out}")
    for key, header in proposal.mapping.items():
        print(f"  {header!r:32} -> {key}")
    for note in proposal.notes:
        print(f"  how: {note}")
    if not proposal.ok:
        for problem in proposal.problems:
            print(f"  TO DO: {problem}")
        print(f"Complete the TO DO lines in {out}, then: atlas ingest CASE {path.name} --map {out}")
        return 1
    load_templates(out)  # what was written reads back as a template
    print(f"Review it, then: atlas ingest CASE {path.name} --map {out}")
    return 0


def _tool_export(path: Path, args: argparse.Namespace) -> int:
    """The same for a tool export (no CDR header found)."""
    from parsers._tabular import read_sheets
    from parsers._tool_meaning import propose
    from parsers.tool_export import _best, builtin_templates, load_templates, shared_values

    best = None
    for sheet in read_sheets(path):
        fits = _best(list(builtin_templates()), sheet.rows[:15])
        if fits is not None:
            print(f"{path.name}: {sheet.name!r} already fits the shipped tool-export template {fits[0].label!r}; "
                  "no mapping needed")
            return 0
        prop = propose(sheet.rows, shared_values())
        if prop is not None and (best is None or (prop.ok, len(prop.mapping)) > (best.ok, len(best.mapping))):
            best = prop
    if best is None:
        raise AtlasError(f"{path}: no row in the first 40 of any table looks like a CDR header or a tool-export "
                         "header (three columns whose names the vocabularies know)")
    out: Path = args.out or Path.cwd() / f"{path.stem}.map.toml"
    if out.exists() and not args.force:
        raise AtlasError(f"{out}: exists; choose another --out or add --force")
    out.write_text(best.toml(path.name), encoding="utf-8")
    print(f"{path.name}: a tool-export {best.kind or 'table'} (header row {best.header_row + 1}); "
          f"proposed mapping written to {out}")
    for header, key in best.mapping.items():
        print(f"  {header!r:32} -> {key}")
    if not best.ok:
        for problem in best.problems:
            print(f"  TO DO: {problem}")
        print(f"Complete the TO DO lines in {out}, then: atlas ingest CASE {path.name} --map {out}")
        return 1
    load_templates(out)  # what was written reads back as a template
    print(f"Review it, then: atlas ingest CASE {path.name} --map {out}")
    return 0
