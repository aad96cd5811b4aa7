"""What `atlas colocations` and `atlas breaches` print alike about officer-reviewed possible items
(:mod:`atlas.conduct.reviewed`): a decision taken from the command line with the headline before
and after it, the decided items' status lines, what confirming every open one would change, and how
to decide. Each command keeps what is its kind's own (its tables, its JSON, its --show).

Imported inside the commands' ``run()`` (the start-up test keeps the command line light)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from atlas.cli.output import console, print_json, uk_time
from atlas.cli.review_args import requested_decision
from atlas.errors import AtlasError

if TYPE_CHECKING:
    from atlas.conduct.possible_colocations import ColocationEffect
    from atlas.conduct.reviewed import Reviewed, ReviewKind, ReviewState
    from atlas.decisions.ledger import Decision
    from atlas.review import Headline, Review

Item = TypeVar("Item", bound="Reviewed")


def decide_from_args(review: Review, items: Sequence[Item], handle: str, state: str, note: str,
                     find: Callable[[Sequence[Item], str], Item],
                     decide: Callable[..., Decision]) -> tuple[Item, Decision, Headline, Headline]:
    """The item ``handle`` names decided ``state`` with ``note``: (the item as it was, the decision,
    the headline before, the headline after: the ledger changed, so the analysis is run again)."""
    item = find(items, handle)
    before = review.headline()
    decision = decide(review.case, item, _state(state), note=note)
    return item, decision, before, review.headline()


def decide_requested(args: argparse.Namespace, review: Review, items: Sequence[Item],
                     find: Callable[[Sequence[Item], str], Item], decide: Callable[..., Decision], *,
                     json_key: str, changed: Sequence[str], said: Callable[[Item], str]) -> bool:
    """Take the decision ``--confirm`` / ``--dismiss`` / ``--reopen`` asks for and print it with what it
    changed (``--json``: the decision, the item under ``json_key`` and the ``changed`` headline numbers;
    else ``said(item)``, the decision and the change in words, breaches first where ``"breaches"`` is
    among ``changed``). False when no decision was asked for, after refusing a ``--note`` with none.

    The item's words and the officer's are the case's own, so they are printed as written, never as markup."""
    handle, state = requested_decision(args)
    if handle is None or state is None:
        refuse_stray_note(args)
        return False
    item, decision, before, after = decide_from_args(review, items, handle, state, args.note, find, decide)
    if args.json:
        print_json(decision.as_dict() | {json_key: item.to_json()} | changes(before, after, *changed))
        return True
    console(markup=False).print(f"{said(item)}: {state} by {decision.officer} at {uk_time(decision.at)}")
    console().print(change_line(before, after, breaches="breaches" in changed))
    return True


def changes(before: Headline, after: Headline, *names: str) -> dict[str, dict[str, object]]:
    """``{name: {"before": …, "after": …}}`` for each headline number named (a date as ``dd/mm/yyyy``):
    what a decision changed, for ``--json``."""
    from atlas.review import uk_date

    def shown(h: Headline, name: str) -> object:
        value = getattr(h, name)
        return uk_date(value) if name in ("last_incident", "deadline") else value

    return {name: {"before": shown(before, name), "after": shown(after, name)} for name in names}


def change_line(before: Headline, after: Headline, *, breaches: bool = False) -> str:
    """What a decision changed, in words (breaches first where the kind is a breach)."""
    from atlas.review import uk_date

    return ((f"breaches {before.breaches} → {after.breaches}; " if breaches else "")
            + f"incidents {before.incidents} → {after.incidents}; last incident {uk_date(before.last_incident)} → "
              f"{uk_date(after.last_incident)}; s2A last day to lay {uk_date(before.deadline)} → "
              f"{uk_date(after.deadline)}")


def _state(state: str) -> ReviewState:
    return state  # type: ignore[return-value]  # one of requested_decision's three


def refuse_stray_note(args: argparse.Namespace) -> None:
    if args.note:
        raise AtlasError("--note goes with --confirm, --dismiss or --reopen")


def print_decided(items: Sequence[Item], name: Callable[[Item], str]) -> None:
    """``<name> (command handle <id>): <status>`` for each decided item (who, when and why): named by
    ``name`` (:mod:`atlas.decisions.naming`), its handle after."""
    from atlas.decisions.naming import handle_said, headed

    for item in items:
        if item.state != "open":
            console(markup=False).print(f"{headed(name(item))} {handle_said(item.id)}: {item.status}")


def print_effect(effect: ColocationEffect | None) -> None:
    """What confirming every open item would change (nothing written), when any is open."""
    from atlas.review import uk_date

    if effect is not None:
        console().print(f"If the {effect.open} open ones were confirmed: incidents {effect.incidents_now} → "
                        f"{effect.incidents_if_confirmed}; last incident {uk_date(effect.last_incident_now)} → "
                        f"{uk_date(effect.last_incident_if_confirmed)}; s2A last day to lay "
                        f"{uk_date(effect.deadline_now)} → {uk_date(effect.deadline_if_confirmed)}.")


def print_how_to_decide(kind: ReviewKind) -> None:
    from atlas.decisions.naming import HANDLE_HEADER

    console().print(f"Decide with: atlas {kind.command} CASE_DIR --confirm HANDLE --note \"what you checked\" (or "
                    f"--dismiss, --reopen), HANDLE being the item's {HANDLE_HEADER} (the last column). A confirmed one "
                    "counts and is always shown as confirmed by you, never as measured.")


__all__ = ["change_line", "changes", "decide_from_args", "print_decided", "print_effect", "print_how_to_decide", "refuse_stray_note"]
