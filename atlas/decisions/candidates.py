"""Threat and behaviour candidates as typed objects, and the officer's decision on each.

A candidate is something the analysis flags for a person to judge: key
``(kind, event_id)``, kind ``threat`` or ``behaviour:<type>``. The conduct analysis makes
them (:mod:`atlas.conduct.candidates`: structural threat rules, two tiers, a score and the
rules that matched); here each is joined to its latest decision in the ledger (confirm,
dismiss, re-open are rows of the decisions ledger, and the analysis reads them back:
a dismissed candidate never counts, a confirmed one counts as confirmed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

from atlas.conduct.threat_target import describe
from atlas.decisions.ledger import Decision, decide, latest_state, refuse_unchanged
from atlas.errors import AtlasError
from atlas.store import Case

if TYPE_CHECKING:
    from atlas.conduct import ConductResult

CandidateState = Literal["open", "confirmed", "dismissed"]
CANDIDATE_STATES: Final = ("confirmed", "dismissed", "open")


def candidate_id(kind: str, event_id: str) -> str:
    """A short, stable handle people can type (``T3f9a0c21`` / ``B…``), derived from the key."""
    digest = hashlib.sha256(f"{kind}\n{event_id}".encode()).hexdigest()[:8]
    return ("T" if kind == "threat" else "B") + digest


@dataclass(frozen=True)
class Candidate:
    """One flagged record for an officer to confirm or dismiss, with its current decision."""

    kind: str
    """``threat`` or ``behaviour:<type>``."""
    event_id: str
    """The candidate's record (the ledger key's event id)."""
    event_ids: tuple[str, ...]
    """Every source record of the same contact."""
    tier: str
    """``occasion`` (counts as a candidate threat occasion until dismissed) or ``review``
    (shown; counts only once confirmed)."""
    score: float | None
    explanation: str
    ts: str
    date: str
    context: str
    state: CandidateState = "open"
    decided_by: str | None = None
    decided_at: str | None = None
    note: str = ""
    patterns: tuple[str, ...] = field(default_factory=tuple)
    threatened: tuple[str, ...] = field(default_factory=tuple)
    """For a threat: whom or what its words name as the one to be harmed
    (:mod:`atlas.conduct.threat_target`), a reading of the words to help the decision."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.event_id)

    @property
    def id(self) -> str:
        return candidate_id(self.kind, self.event_id)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "event_id": self.event_id, "event_ids": list(self.event_ids),
                "tier": self.tier, "score": self.score, "explanation": self.explanation, "ts": self.ts,
                "date": self.date, "context": self.context, "state": self.state, "decided_by": self.decided_by,
                "decided_at": self.decided_at, "note": self.note, "patterns": list(self.patterns),
                "threatened": list(self.threatened)}


def candidates_from(result: ConductResult, case: Case) -> list[Candidate]:
    """The analysis's candidates (threats and behaviours), each with its latest ledger decision."""
    from atlas.decisions.ledger import current, read_decisions

    latest = current(read_decisions(case))
    out = []
    for c in result.candidates:
        d = latest.get(c.key)
        rules = "; ".join(f"{r.rule_id} ({r.family})" for r in c.rules)
        if c.kind == "threat":
            rules += f"; words name as the one to be harmed: {describe(c.threatened)}"
        out.append(Candidate(
            kind=c.kind, event_id=c.event_id, event_ids=tuple(c.event_ids), tier=str(c.tier), score=c.score,
            explanation=f"score {c.score:.2f}; rules: {rules}" if rules else f"score {c.score:.2f}",
            ts=c.ts_utc.isoformat() if c.ts_utc else "", date=c.local_date.isoformat() if c.local_date else "",
            context=c.marked or c.text, state=d.state if d is not None else "open",  # type: ignore[arg-type]
            decided_by=d.officer if d is not None else None, decided_at=d.at if d is not None else None,
            note=d.note if d is not None else "", patterns=tuple(r.rule_id for r in c.rules),
            threatened=tuple(c.threatened),
        ))
    return sorted(out, key=lambda c: (c.ts, c.kind, c.event_id))


def find_candidate(candidates: Sequence[Candidate], handle: str) -> Candidate:
    """A candidate by its short id (or a unique prefix of it) or by ``KIND@EVENT_ID``."""
    handle = handle.strip()
    if "@" in handle:
        kind, event_id = handle.split("@", 1)
        for c in candidates:
            if c.kind == kind and (event_id == c.event_id or event_id in c.event_ids):
                return c
        raise AtlasError(f"no {kind} candidate on record {event_id!r} (see `atlas threats CASE_DIR`)")
    found = [c for c in candidates if c.id.lower().startswith(handle.lower())] if len(handle) >= 3 else []
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise AtlasError(f"{handle!r} matches {len(found)} candidates ({', '.join(c.id for c in found[:5])}): give more of it")
    raise AtlasError(f"no candidate {handle!r} (see `atlas threats CASE_DIR` for the ids)")


_ACTION: Final = {"confirmed": "confirm", "dismissed": "dismiss", "open": "reopen"}


def decide_candidate(case: Case, candidate: Candidate, state: CandidateState, *, note: str) -> Decision:
    """Confirm, dismiss or re-open a candidate (note required to confirm or dismiss); audited."""
    if state not in CANDIDATE_STATES:
        raise AtlasError(f"{state!r} is not a candidate decision ({', '.join(CANDIDATE_STATES)})")
    refuse_unchanged(f"candidate {candidate.id}", latest_state(case, candidate.kind, candidate.event_id), state)
    return decide(case, candidate.kind, candidate.event_id, state, note=note,
                  detail={"candidate_id": candidate.id, "previous": candidate.state, "tier": candidate.tier,
                          "explanation": candidate.explanation, "event_ids": list(candidate.event_ids)},
                  audit_action=f"candidate.{_ACTION[state]}",
                  audit_detail={"kind": candidate.kind, "event_id": candidate.event_id, "candidate_id": candidate.id,
                                "previous": candidate.state})


def by_state(candidates: Iterable[Candidate], state: str) -> list[Candidate]:
    return [c for c in candidates if c.state == state]
