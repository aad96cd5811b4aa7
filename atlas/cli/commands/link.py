"""Record an officer's identity link between two identifiers, or an identifier and a
party (``atlas link CASE_DIR tel:+447700900013 suspect --basis same-imei --note ...``).

The link is recorded as confirmed, by you, now, with your note, and written to the audit
log. Its strength follows the basis: documentary bases are ``proven``; display-name and
temporal-succession are ``inferred`` even when an officer confirms them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from atlas.cli.output import console, link_line, print_json

NAME = "link"
HELP = "record an officer's alias link (A and B: identifier URIs or party ids)"
ORDER = 32


def add_arguments(p: argparse.ArgumentParser) -> None:
    from atlas.identity.bases import BASES

    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("a", metavar="A", help="identifier URI (tel:+44..., instagram:handle) or party id")
    p.add_argument("b", metavar="B", help="identifier URI or party id")
    choices = [b for b in BASES if b != "attributed"]
    p.add_argument("--basis", required=True, choices=choices,
                   help="the evidential basis: " + "; ".join(f"{b} = {BASES[b][1]}" for b in choices))
    p.add_argument("--note", default="", help="why (the record you relied on); kept in the ledger and audit log")
    p.add_argument("--support", action="append", default=[], metavar="REF",
                   help="a source record behind the link (event id, evidence ref or exhibit reference); repeatable")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from atlas.identity.ledger import officer_link
    from atlas.store import Case

    case = Case.open(args.case_dir)
    link = officer_link(case, args.a, args.b, args.basis, note=args.note, support=args.support)
    if args.json:
        print_json(link.as_dict())
        return 0
    console().print(link_line(case, link), markup=False)
    return 0
