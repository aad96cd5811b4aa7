"""Tagging exhibits: an event (one source record) or a finding the officer will produce.

A tagged item gets an exhibit number with the case prefix (``JA/12``) from the same
table as the sources and the report's charts (``report_exhibits``): a number is assigned
the first time the item is tagged and never reused, so untagging and tagging again gives
the same reference, and a reference once written in a statement keeps its meaning. Tags
are decisions (ledger subject ``exhibit``, key ``event:<event id>`` or
``finding:<id>``); the current set is derived from the latest decision per item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from atlas.decisions.ledger import Decision, current, decide, read_decisions
from atlas.errors import AtlasError
from atlas.store import Case

TARGET_KINDS: Final = ("event", "finding")


@dataclass(frozen=True)
class TaggedExhibit:
    """An item the officer tagged as an exhibit."""

    target: str
    """``event:<event id>`` or ``finding:<id>``."""
    reference: str
    """``JA/12``."""
    number: int
    description: str
    note: str
    tagged_by: str
    tagged_at: str

    @property
    def kind(self) -> str:
        return self.target.split(":", 1)[0]

    @property
    def item(self) -> str:
        return self.target.split(":", 1)[1]

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "kind": self.kind, "item": self.item, "reference": self.reference,
                "number": self.number, "description": self.description, "note": self.note,
                "tagged_by": self.tagged_by, "tagged_at": self.tagged_at}


def target_of(case: Case, value: str) -> str:
    """``event:<id>`` / ``finding:<id>`` checked; a bare event id becomes ``event:<id>``."""
    value = value.strip()
    kind, _, item = value.partition(":")
    if kind not in TARGET_KINDS or not item:
        kind, item = "event", value
    if kind == "event":
        found = case.events().filter(pl.col("event_id") == item).select(pl.len()).collect().item()
        if not found:
            raise AtlasError(f"no event {item!r} in the case (an exhibit is an event id or finding:<id>)")
    return f"{kind}:{item}"


def _number(case: Case, target: str) -> int:
    from atlas.exhibits import assign_numbers  # the one numbering of exhibits (sources, products, tags)

    return assign_numbers(case, [(target, "tagged-" + target.split(":", 1)[0])])[target]


def tag(case: Case, target: str, *, note: str, description: str = "") -> TaggedExhibit:
    """Tag ``target`` as an exhibit (numbered on first tagging); audited."""
    target = target_of(case, target)
    case.officer().require_collar()  # before a number is spent
    number = _number(case, target)
    reference = f"{case.manifest.exhibit_prefix}/{number}"
    d = decide(case, "exhibit", target, "tagged", note=note,
               detail={"number": number, "reference": reference, "description": description.strip()},
               audit_action="exhibit.tag", audit_detail={"target": target, "reference": reference})
    return _tagged(d)


def untag(case: Case, target: str, *, note: str) -> Decision:
    """Untag (the number stays reserved for the item, never reused); audited."""
    target = target_of(case, target)
    state = current(read_decisions(case, subjects=["exhibit"])).get(("exhibit", target))
    if state is None or state.state != "tagged":
        raise AtlasError(f"{target} is not tagged as an exhibit")
    return decide(case, "exhibit", target, "untagged", note=note, detail=dict(state.detail),
                  audit_action="exhibit.untag", audit_detail={"target": target, "reference": state.detail.get("reference")})


def _tagged(d: Decision) -> TaggedExhibit:
    return TaggedExhibit(target=d.key, reference=str(d.detail.get("reference", "")), number=int(d.detail.get("number", 0)),
                         description=str(d.detail.get("description", "")), note=d.note, tagged_by=d.officer,
                         tagged_at=d.at)


def tagged(case: Case) -> list[TaggedExhibit]:
    """Items currently tagged, in exhibit-number order."""
    latest = current(read_decisions(case, subjects=["exhibit"]))
    return sorted((_tagged(d) for d in latest.values() if d.state == "tagged"), key=lambda t: t.number)
