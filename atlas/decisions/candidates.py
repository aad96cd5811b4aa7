"""Threat and behaviour candidates as typed objects, and the officer's decision on each.

A candidate is something the analysis flags for a person to judge: key
``(kind, event_id)``, kind ``threat`` or ``behaviour:<type>``. Until the structural
detector lands, candidates come from the threat lexicon's hits in the conduct result
(tier 1 = a strong threat pattern, tier 2 = a weak one or a behaviour indicator); the
decisions (confirm, dismiss, re-open) are rows of the decisions ledger and flow back into
the conduct analysis (:mod:`atlas.conduct.decided`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

from atlas.decisions.ledger import Decision, decide
from atlas.errors import AtlasError
from atlas.store import Case

if TYPE_CHECKING:
    from atlas.conduct import ConductResult
    from atlas.conduct.records import ThreatHit

CandidateState = Literal["open", "confirmed", "dismissed"]
CANDIDATE_STATES: Final = ("confirmed", "dismissed", "open")


def candidate_id(kind: str, event_id: str) -> str:
    """A short, stable handle people can type (``T3f9a0c21`` / ``B…``), derived from the key."""
    digest = hashlib.sha256(f"{kind}\n{event_id}".encode()).hexdigest()[:8]
    return ("T" if kind == "threat" else "B") + digest


@dataclass(frozen=True)
class Candidate:
    """One flagged record for an officer to confirm or dismiss."""

    kind: str
    """``threat`` or ``behaviour:<type>``."""
    event_id: str
    """The candidate's record (the first of the contact's corroborating records)."""
    event_ids: tuple[str, ...]
    """Every source record of the same contact."""
    tier: int
    """1: strong (counts until dismissed); 2: weak or an indicator (shown, counts only when confirmed)."""
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
                "decided_at": self.decided_at, "note": self.note, "patterns": list(self.patterns)}


def candidates_from(result: ConductResult) -> list[Candidate]:
    """The candidates of a conduct result (one per key; several patterns on one record merge)."""
    merged: dict[tuple[str, str], list[ThreatHit]] = {}
    for hit in result.threat_hits_for_review:
        if hit.candidate is not None:
            merged.setdefault((hit.candidate.kind, hit.candidate.event_id), []).append(hit)
    out = []
    for (kind, event_id), hits in merged.items():
        first = hits[0]
        tier = 1 if any(h.kind == "threat" and h.strength == "strong" for h in hits) else 2
        explanation = "; ".join(dict.fromkeys(
            f"lexicon pattern {h.pattern} ({h.category}, {h.strength}) matched «{h.matched}»" for h in hits))
        out.append(Candidate(
            kind=kind, event_id=event_id, event_ids=tuple(first.event_ids), tier=tier, score=None,
            explanation=explanation, ts=first.ts.isoformat(), date=first.date.isoformat(), context=first.context,
            state=first.decision.state, decided_by=first.decision.by,  # type: ignore[arg-type]
            decided_at=first.decision.at, note=first.decision.note, patterns=tuple(dict.fromkeys(h.pattern for h in hits)),
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
    return decide(case, candidate.kind, candidate.event_id, state, note=note,
                  detail={"candidate_id": candidate.id, "previous": candidate.state, "tier": candidate.tier,
                          "explanation": candidate.explanation, "event_ids": list(candidate.event_ids)},
                  audit_action=f"candidate.{_ACTION[state]}",
                  audit_detail={"kind": candidate.kind, "event_id": candidate.event_id, "candidate_id": candidate.id,
                                "previous": candidate.state})


def by_state(candidates: Iterable[Candidate], state: str) -> list[Candidate]:
    return [c for c in candidates if c.state == state]
