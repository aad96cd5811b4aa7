"""Breaches of orders: list the breaches and the possible breaches, and confirm or dismiss each possible one.

A possible breach of an exclusion zone rests on a position of the suspect's device with no stated
accuracy inside the zone, or on an accuracy circle straddling its boundary: the data alone cannot
count it. An officer who has checked it against other evidence (the victim's account, CCTV, an ANPR
read) confirms it with a note: it then counts as a breach of that order (kind "exclusion-zone
(confirmed)") and, where the order type's breach is an incident of the course of conduct, as an
incident (it can move the last incident and the s2A deadline), always shown as "confirmed by
<officer> on <date>: <note>" beside its data basis, never as a measured fact. A dismissed one never
counts; an open one stays listed, not counted. Each decision is a row of the append-only decisions
ledger with the officer and the note, audited; `--reopen` undoes one. `atlas confirm --all-proven`
never confirms these. Decision support, not legal advice.
"""

from __future__ import annotations

import argparse

from atlas.cli.output import as_of_date, console, print_json, print_table
from atlas.cli.review_args import add_review_arguments

NAME = "breaches"
HELP = "breaches of orders, and possible breaches (no stated accuracy): list, confirm or dismiss (audited)"
ORDER = 42


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_review_arguments(p, "possible breach", state_help="list only the possible breaches in this state")


def run(args: argparse.Namespace) -> int:
    from atlas.cli.reviewed_items import decide_requested, print_decided, print_effect, print_how_to_decide
    from atlas.conduct.possible_breaches import REVIEW_KIND
    from atlas.decisions.breaches import decide_breach, find_breach
    from atlas.decisions.naming import HANDLE_HEADER, breach_name, handle_said, headed
    from atlas.review import Review
    from atlas.store import Case

    case = Case.open(args.case_dir)
    review = Review(case, as_of=as_of_date(args.as_of))
    result = review.conduct()
    items = result.breach_reviews
    if decide_requested(args, review, items, find_breach, decide_breach, json_key="possible_breach",
                        changed=("breaches", "incidents", "last_incident", "deadline"),
                        said=lambda item: headed(breach_name(item.order, item.place, review.uk(item.start)))
                        + f" {handle_said(item.id)}"):
        return 0
    shown = [b for b in items if args.state is None or b.state == args.state]
    effect = result.breach_effect
    measured = [b for b in result.breaches if not b.kind.endswith("(confirmed)")]
    if args.json:
        print_json({"case": case.manifest.reference, "breaches": [b.to_json() | {"when_uk": review.uk(b.ts)}
                                                                  for b in result.breaches],
                    "measured": len(measured), "confirmed_possible": len(result.confirmed_breaches),
                    "possible_breaches": [b.to_json() | {"from_uk": review.uk(b.start),
                                                         "to_uk": review.uk(b.possible.end)} for b in shown],
                    "if_open_confirmed": effect.to_json() if effect else None,
                    "orders": [o.to_json() for o in result.orders]})
        return 0
    if args.show:
        b = find_breach(items, args.show)
        out = console(markup=False)  # an order's reference, a zone's name, exhibit records: the case's words
        out.print(f"Possible breach of order {b.order}, {review.uk(b.start)} to {review.uk(b.possible.end)}, "
                  f"{b.place}, closest {b.possible.min_distance_m:.0f} m from its centre {handle_said(b.id)}")
        out.print(f"basis: {b.basis}")
        out.print(f"why possible only: {b.possible.certainty}")
        out.print(f"state: {b.status}")
        out.print("suspect's device records:\n  " + "\n  ".join(b.possible.exhibits))
        out.print(f"confirming it: a breach of order {b.order}; {b.effect}")
        return 0
    print_table(f"Breaches ({len(result.breaches)}: {len(measured)} from the data, "
                f"{len(result.confirmed_breaches)} possible ones confirmed by an officer)",
                ["when (UK)", "order", "kind", "where / channel", "records"],
                [[review.uk(b.ts), b.order, b.kind, b.place or b.channel or "-", len(b.event_ids)]
                 for b in result.breaches[-50:]],
                caption="latest 50 shown; --json for all" if len(result.breaches) > 50 else None)
    print_table(f"Possible breaches: {len(shown)} (listed, not counted unless an officer confirms one)",
                ["from (UK)", "order", "zone", "closest", "records", "state", HANDLE_HEADER],
                [[review.uk(b.start), b.order, b.place, f"{b.possible.min_distance_m:.0f} m",
                  b.records_by_exhibit(), b.state + (" (new day)" if b.state == "open" and b.new_day else ""), b.id]
                 for b in shown])
    print_decided(shown, lambda b: breach_name(b.order, b.place, review.uk(b.start)))
    for basis in sorted({b.possible.certainty for b in shown}):
        console(markup=False).print(f"why possible only: {basis}")
    print_effect(effect)
    if items:
        print_how_to_decide(REVIEW_KIND)
    return 0
