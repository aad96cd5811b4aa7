"""Possible co-locations: list them with what they rest on, and confirm or dismiss each.

A co-location resting on a position with no stated accuracy (his or hers, e.g. her phone's
own Google Timeline) is *possible* only: the data cannot count it. An officer who has
checked it against other evidence (the victim's account, CCTV, another exhibit) confirms it
with a note: it then counts as an incident of the course of conduct (and can move the last
incident and the s2A deadline), always shown as "confirmed by <officer> on <date>: <note>"
beside its data basis, never as a measured fact. A dismissed one never counts; an open one
stays listed, not counted. Each decision is a row of the append-only decisions ledger with
the officer and the note, audited; `--reopen` undoes one. `atlas confirm --all-proven` never
confirms these. Decision support, not legal advice.
"""

from __future__ import annotations

import argparse

from atlas.cli.output import as_of_date, console, print_json, print_table
from atlas.cli.review_args import add_review_arguments

NAME = "colocations"
HELP = "possible co-locations (no stated accuracy): list, confirm or dismiss (audited)"
ORDER = 41


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_review_arguments(p, "possible co-location", state_help="list only those in this state")


def run(args: argparse.Namespace) -> int:
    from atlas.cli.reviewed_items import decide_requested, print_decided, print_effect, print_how_to_decide
    from atlas.conduct.possible_colocations import REVIEW_KIND
    from atlas.decisions.colocations import decide_colocation, find_colocation
    from atlas.decisions.naming import HANDLE_HEADER, colocation_name, handle_said, headed
    from atlas.review import Review, uk_date
    from atlas.store import Case

    case = Case.open(args.case_dir)
    review = Review(case, as_of=as_of_date(args.as_of))
    result = review.conduct()
    items = result.colocation_reviews
    if decide_requested(args, review, items, find_colocation, decide_colocation, json_key="colocation",
                        changed=("incidents", "last_incident"),
                        said=lambda item: headed(colocation_name(item.colocation.place, item.colocation.kind, review.uk(item.start)))
                        + f" {handle_said(item.id)}"):
        return 0
    shown = [c for c in items if args.state is None or c.state == args.state]
    effect = result.colocation_effect
    if args.json:
        print_json({"case": case.manifest.reference, "counted": len(result.colocations),
                    "possible_colocations": [c.to_json() | {"from_uk": review.uk(c.start), "to_uk": review.uk(c.colocation.end),
                                                            "suspect_accuracy": c.accuracy[0], "victim_accuracy": c.accuracy[1]}
                                             for c in shown],
                    "if_open_confirmed": effect.to_json() if effect else None,
                    "rule": result.location_standard.text if result.location_standard else ""})
        return 0
    if args.show:
        c = find_colocation(items, args.show)
        out = console(markup=False)  # a place's name, exhibit records: the case's words
        out.print(f"Possible co-location, {review.uk(c.start)} to {review.uk(c.colocation.end)}, "
                  f"{c.colocation.place or 'near the victim'}, closest {c.colocation.min_distance_m:.0f} m "
                  f"{handle_said(c.id)}")
        out.print(f"suspect's accuracy: {c.accuracy[0]}; victim's: {c.accuracy[1]}")
        out.print(f"basis: {c.basis}")
        out.print(f"state: {c.status}")
        out.print("suspect's device records:\n  " + "\n  ".join(c.colocation.exhibits))
        if c.colocation.victim_exhibits:
            out.print("victim's device records:\n  " + "\n  ".join(c.colocation.victim_exhibits))
        out.print(f"confirming it {'adds an incident on ' + uk_date(c.day) if c.new_day else 'adds no new incident day'}")
        return 0
    print_table(f"Possible co-locations: {len(shown)} (listed, not counted unless an officer confirms one; "
                f"{len(result.colocations)} measured co-locations counted)",
                ["from (UK)", "where", "closest", "accuracy: his / hers", "records", "state", HANDLE_HEADER],
                [[review.uk(c.start), c.where, f"{c.colocation.min_distance_m:.0f} m", c.short_accuracy,
                  c.records_by_exhibit(),
                  c.state + (" (new day)" if c.state == "open" and c.new_day else ""), c.id] for c in shown])
    print_decided(shown, lambda c: colocation_name(c.colocation.place, c.colocation.kind, review.uk(c.start)))
    for b in sorted({c.basis for c in shown}):
        console(markup=False).print(f"basis: {b}")
    print_effect(effect)
    print_how_to_decide(REVIEW_KIND)
    return 0
