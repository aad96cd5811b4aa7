"""Threat and behaviour candidates: list them in context, and confirm or dismiss each.

A candidate is a record the analysis flags for a person to judge (key: kind and event
id; kind ``threat`` or ``behaviour:<type>``). Confirming or dismissing one needs a note,
names the officer and is audited; it is a row of the append-only decisions ledger, so a
decision is changed by a further decision (``--reopen``). The conduct analysis and every
output read the decisions: a dismissed candidate never counts, a confirmed threat counts
and says it was confirmed. Decision support, not legal advice.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from atlas.cli.output import console, print_json, print_table, uk_time
from atlas.errors import AtlasError

NAME = "threats"
HELP = "threat and behaviour candidates: list, confirm or dismiss (audited)"
ORDER = 41


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case_dir", type=Path, metavar="CASE_DIR")
    act = p.add_mutually_exclusive_group()
    act.add_argument("--confirm", metavar="KEY", help="confirm this candidate (id as listed, or KIND@EVENT_ID)")
    act.add_argument("--dismiss", metavar="KEY", help="dismiss this candidate: it never counts")
    act.add_argument("--reopen", metavar="KEY", help="undo a decision: the candidate is open again")
    p.add_argument("--note", default="", help="why (required to confirm or dismiss); kept with the decision")
    p.add_argument("--state", choices=("open", "confirmed", "dismissed"), help="list only candidates in this state")
    p.add_argument("--kind", help="list only this kind (threat, behaviour:following, ...)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from atlas.decisions.candidates import candidates_from, decide_candidate, find_candidate
    from atlas.decisions.naming import HANDLE_HEADER, candidate_name, handle_said, headed
    from atlas.review import Review
    from atlas.store import Case

    case = Case.open(args.case_dir)
    review = Review(case)
    cands = candidates_from(review.conduct(), review.case)
    handle, state = next(((h, s) for h, s in ((args.confirm, "confirmed"), (args.dismiss, "dismissed"),
                                                (args.reopen, "open")) if h), (None, None))
    if handle is not None and state is not None:
        cand = find_candidate(cands, handle)
        decision = decide_candidate(case, cand, state, note=args.note)  # type: ignore[arg-type]
        if args.json:
            print_json(decision.as_dict() | {"candidate": cand.as_dict()})
        else:
            name = candidate_name(cand.kind, review.record_ref(cand.event_id), review.uk(cand.ts))
            console(markup=False).print(f"{headed(name)} {handle_said(cand.id)}: {state} by "
                                        f"{decision.officer} at {uk_time(decision.at)}")
        return 0
    if args.note:
        raise AtlasError("--note goes with --confirm, --dismiss or --reopen")
    shown = [c for c in cands if (args.state is None or c.state == args.state) and (args.kind is None or c.kind == args.kind)]
    if args.json:
        from atlas.exhibits import beside_ids, source_refs

        refs = source_refs(case)
        print_json({"case": case.manifest.reference, "candidates": [
            beside_ids(refs, c.as_dict()) | {"record": review.record_ref(c.event_id)} for c in shown]})
        return 0
    # each candidate named by its time and record; its handle last, as what to type into the command
    print_table(f"Candidates: {len(shown)} (threats and behaviours for a person to judge in context)",
                ["when (UK)", "kind", "tier", "record", "in context", "state", "decided", HANDLE_HEADER],
                [[review.uk(c.ts), c.kind, c.tier, review.record_ref(c.event_id), c.context, c.state,
                  f"{c.decided_by or ''} {c.note}".strip(), c.id] for c in shown])
    console().print("Tier 1 counts as a threat occasion until dismissed; tier 2 counts only once confirmed. "
                    f"Decide with: atlas threats CASE_DIR --confirm HANDLE --note \"...\" (or --dismiss), HANDLE "
                    f"being the candidate's {HANDLE_HEADER} (the last column).")
    return 0
