"""Parties and the identifiers each is taken to use, with how we know: status
(attributed in case.toml / confirmed / proposed), basis (subscriber record, same IMEI,
contact card, display-name similarity, temporal succession ...), strength (proven for
documentary bases, inferred for statistical ones) and the ledger links behind each;
then the proposals awaiting a decision (`atlas confirm` / `atlas reject`).

Confirmed-only results are what analyses present as findings; proposed links are shown
separately and never merged silently.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from atlas.cli.output import console, print_json, print_table
from atlas.wording import plural

if TYPE_CHECKING:
    from atlas.exhibits import PartyInfo

NAME = "people"
HELP = "parties, their identifiers and alias links (status, basis, strength), and proposals to review"
ORDER = 30


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    p.add_argument("--party", metavar="ID", help="only this party (id from case.toml)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from atlas.decisions.naming import HANDLE_HEADER
    from atlas.identity.people import people_view
    from atlas.store import Case

    case = Case.open(args.case_dir)
    if args.party:
        case.manifest.party(args.party)  # a clear error for an unknown id
    view = people_view(case)
    if args.party:
        view["parties"] = [p for p in view["parties"] if p["id"] == args.party]
        view["proposals"] = [x for x in view["proposals"] if args.party in (x["a_party"], x["b_party"])]
    if args.json:
        print_json(view)
        return 0
    for party in view["parties"]:
        print_table(
            f"{party['id']} ({party['role']}) {party['name']}".rstrip(),
            ["identifier", "status", "basis", "strength", "events", f"links' {HANDLE_HEADER}s"],
            [[r["shown_as"], r["status"] + ("" if r["in_confirmed_results"] else " (not in confirmed results)"),
              r["basis"], r["strength"], r["events"], " ".join(r["link_ids"])] for r in party["identifiers"]],
        )
    if view["proposals"]:
        from atlas.exhibits import case_parties, source_refs

        refs, parties = source_refs(case), case_parties(case)
        print_table(
            "Proposed links awaiting a decision, each by its two sides (atlas confirm / atlas reject CASE_DIR "
            f"LINK_ID, the link's {HANDLE_HEADER} in the last column)",
            ["a", "b", "basis", "strength", "score", "why", "support", HANDLE_HEADER],
            [[_end(x, "a", refs, parties), _end(x, "b", refs, parties), x["basis"], x["strength"],
              "" if x["score"] is None else f"{x['score']:.2f}", x["reason_shown"],
              plural(len(x["support"]), "record") + (f", e.g. {x['support_exhibits'][0]}" if x["support"] else ""),
              x["link_id"]]
             for x in view["proposals"]],
        )
    if view["contested"]:
        print_table("Contested: links reach these from more than one party (decide which is wrong)",
                    ["identifier", "parties", "events"],
                    [[c["shown_as"], ", ".join(c["parties"]), c["events"]] for c in view["contested"]])
    if view["unresolved_groups"]:
        print_table("Linked identifiers no party reaches (one unknown person each)", ["group", "identifiers"],
                    [[g["shown_as"], ", ".join(g["identifiers_shown"])] for g in view["unresolved_groups"]])
    d = view["decided"]
    console().print(f"{d['confirmed']} confirmed, {d['rejected']} rejected, {d['proposed']} awaiting a decision. "
                    "Proven = documentary basis; inferred = statistical, never a fact on its own.")
    return 0


def _end(item: dict[str, object], end: str, refs: Mapping[str, str], parties: Mapping[str, PartyInfo]) -> str:
    """One side of a proposed link as :func:`atlas.exhibits.side_label` shows it (a display name with the
    exhibit that shows it, a party by its name and role), and the party it already belongs to."""
    from atlas.exhibits import side_label

    uri = str(item[end])
    party = item.get(f"{end}_party")
    shown = side_label(refs, parties, uri)
    return f"{shown} [{party}]" if party and not uri.startswith("party:") else shown
