"""Threat and behaviour candidates: messages a person must read and confirm or dismiss.

Nothing the rules find is a fact. A message whose threat score reaches the occasion
threshold is a **candidate threat occasion**; one that reaches only the review
threshold goes on the **review list**, ranked by score, so that a person who reads
everything surfaced misses almost nothing. Messages matched by an s2A(3) behaviour
rule (watching, monitoring, following, publishing) are **behaviour candidates**.

Each candidate is keyed ``(kind, event_id)`` (kind = ``threat`` or
``behaviour:<type>``), the key the decisions ledger uses: a person's confirm or
dismiss decision is recorded against it, and :func:`count_occasions` counts
*confirmed* threat occasions from confirmed keys, separately from candidate ones.
A contact seen in several sources has several event ids; its candidate is keyed by
the first (sorted), and a decision recorded against any of them applies to it.

Speed: :func:`screen` marks, with a few vectorised Polars passes, the messages a rule
that can surface them would be tried on (:mod:`.threat_screen`); only those distinct
texts are tokenised and matched. :func:`assess_all` is the plain rule (every message
assessed), and the tests check that both give the same result.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal

import polars as pl

from .threat_screen import could_surface, surfacing_texts
from .threat_target import ADDRESSEE, threatened_all
from .token_rules import Assessment, Hit, RuleSet

Tier = Literal["occasion", "review", "behaviour"]
Decision = Literal["confirmed", "dismissed"]
THREAT: Final = "threat"
TO_CONFIRM: Final = "a candidate: a person must read the whole message in context and confirm or dismiss it"


@dataclass(frozen=True)
class MatchedRule:
    """Which rule matched which words (as typed), its weight, and what lowered it."""

    rule_id: str
    family: str
    weight: float
    effective: float
    words: str
    start: int
    end: int
    lowered_by: tuple[str, ...] = ()

    @classmethod
    def of(cls, hit: Hit) -> MatchedRule:
        return cls(hit.rule_id, hit.family, hit.weight, hit.effective, hit.words, hit.start, hit.end, hit.lowered_by)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule_id, "family": self.family, "weight": self.weight, "effective": self.effective,
                "words": self.words, "start": self.start, "end": self.end, "lowered_by": list(self.lowered_by)}


def _explained(hits: Iterable[Hit]) -> tuple[MatchedRule, ...]:
    """The hits that explain a candidate, strongest first: a hit inside the span of a
    stronger one adds nothing ("kill you" inside "I'm going to kill you") and is left out."""
    ordered = sorted(hits, key=lambda h: (-h.effective, h.start, h.rule_id))
    kept: list[Hit] = []
    for h in ordered:
        if not any(k.start <= h.start and h.end <= k.end and k.effective > h.effective for k in kept):
            kept.append(h)
    return tuple(MatchedRule.of(h) for h in kept)


@dataclass(frozen=True)
class Candidate:
    """One message surfaced for a person's decision."""

    kind: str
    event_id: str
    tier: Tier
    score: float
    rules: tuple[MatchedRule, ...]
    text: str
    marked: str
    event_ids: tuple[str, ...] = ()
    contact_id: str = ""
    ts_utc: datetime | None = None
    local_date: date | None = None
    channel: str = ""
    target: str = ""
    threatened: tuple[str, ...] = ()
    """For a threat: whom or what its matched words name as the one to be harmed
    (:mod:`.threat_target`: ``addressee``, ``someone-close``, ``pet``, ``property``,
    ``third-person``); a reading of the words for s4A(1)(b)(i), never a finding."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.event_id)

    @property
    def names_addressee(self) -> bool:
        """Whether the words name the person the message was sent to as the one to be harmed."""
        return ADDRESSEE in self.threatened

    @property
    def keys(self) -> tuple[tuple[str, str], ...]:
        return tuple((self.kind, e) for e in (self.event_ids or (self.event_id,)))

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.words for r in self.rules))

    def decision(self, decisions: Mapping[tuple[str, str], str]) -> str | None:
        """The person's decision on this candidate: any of its keys; a contradiction is no decision."""
        found = {decisions[k] for k in self.keys if k in decisions}
        return found.pop() if len(found) == 1 else None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "event_id": self.event_id, "key": list(self.key), "tier": self.tier, "score": self.score,
            "rules": [r.to_json() for r in self.rules], "words": list(self.words), "text": self.text,
            "marked": self.marked, "event_ids": list(self.event_ids), "contact_id": self.contact_id,
            "ts": self.ts_utc.isoformat() if self.ts_utc else None,
            "date": self.local_date.isoformat() if self.local_date else None, "channel": self.channel,
            "target": self.target, "threatened": list(self.threatened), "status": TO_CONFIRM,
        }


def screen(texts: pl.Series, rules: RuleSet) -> pl.Series:
    """For each text, whether the speed path tries it (:func:`.threat_screen.could_surface`)."""
    return could_surface(texts, rules)


def assess_distinct(texts: Iterable[str | None], rules: RuleSet) -> dict[str, Assessment]:
    """Each distinct non-empty text assessed once."""
    return {t: rules.assess(t) for t in sorted({t for t in texts if t})}


def assess_all(texts: pl.Series, rules: RuleSet) -> dict[str, Assessment]:
    """The plain rule: every distinct text assessed (no screen), those with a candidate kept.
    For tests and benchmarks."""
    return {t: a for t, a in assess_distinct(texts.to_list(), rules).items() if surfaces(a)}


def assess_screened(texts: pl.Series, rules: RuleSet) -> dict[str, Assessment]:
    """The speed path: only texts that pass :func:`screen` are assessed; equal to :func:`assess_all`."""
    return {t: a for t, a in assess_distinct(surfacing_texts(texts, rules), rules).items() if surfaces(a)}


def surfaces(a: Assessment) -> bool:
    """Whether an assessment makes a candidate: a threat tier, or a behaviour."""
    return a.tier != "none" or bool(a.behaviours)


def _first(ids: list[str] | None, fallback: str) -> str:
    return sorted(ids)[0] if ids else fallback


def candidates(contacts: pl.DataFrame, rules: RuleSet, *, plain: bool = False) -> list[Candidate]:
    """Threat (occasion and review tiers) and behaviour candidates among ``contacts``.

    ``contacts`` needs ``text``; ``contact_id``, ``event_ids``, ``ts_utc``,
    ``local_date``, ``channel`` and ``target`` are carried when present. ``plain``
    assesses every message without the speed path (for the tests that prove them equal).
    """
    if contacts.height == 0 or "text" not in contacts.columns:
        return []
    found = (assess_all if plain else assess_screened)(contacts.get_column("text"), rules)
    if not found:
        return []
    cols = [c for c in ("contact_id", "event_ids", "ts_utc", "local_date", "channel", "target", "text") if c in contacts.columns]
    out: list[Candidate] = []
    rows = contacts.filter(pl.col("text").is_in(list(found))).select(cols)
    for r in rows.iter_rows(named=True):
        a = found[r["text"]]
        ids = sorted(r.get("event_ids") or [])
        base = {"text": r["text"], "marked": a.marked(), "event_ids": tuple(ids), "contact_id": r.get("contact_id") or "",
                "ts_utc": r.get("ts_utc"), "local_date": r.get("local_date"), "channel": r.get("channel") or "",
                "target": r.get("target") or ""}
        event_id = _first(ids, r.get("contact_id") or r["text"])
        if a.tier in ("occasion", "review"):
            rules_hit = _explained(a.threat_hits)
            out.append(Candidate(kind=THREAT, event_id=event_id, tier=a.tier, score=a.score, rules=rules_hit,
                                 threatened=threatened_all(((h.rule_id, h.words) for h in rules_hit), rules), **base))
        for behaviour, score in a.behaviours:
            hits = _explained(h for h in a.behaviour_hits(behaviour) if not h.lowered_by)
            out.append(Candidate(kind=f"behaviour:{behaviour}", event_id=event_id, tier="behaviour", score=score,
                                 rules=hits, **base))
    out.sort(key=lambda c: (c.kind, -c.score, c.ts_utc or datetime.min, c.event_id))
    return out


def ledger_decisions(case: Any) -> dict[tuple[str, str], str]:
    """The latest decision on every threat and behaviour candidate in the case's decisions
    ledger (``atlas.decisions.ledger``, issue 14), keyed ``(kind, event_id)``, and on every
    possible co-location (``("colocation", key)``, :mod:`.possible_colocations`) and possible
    breach (``("breach", key)``, :mod:`.possible_breaches`); empty while
    that ledger is not installed or holds none. ``open`` is no decision."""
    try:
        from atlas.decisions.ledger import current, read_decisions  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return {}
    return {(subject, key): d.state for (subject, key), d in current(read_decisions(case)).items()
            if (subject in (THREAT, "colocation", "breach") or subject.startswith("behaviour:"))
            and d.state in ("confirmed", "dismissed")}


@dataclass(frozen=True)
class OccasionCount:
    """Threat occasions counted two ways, never merged: candidates (awaiting a person)
    and confirmed (a person confirmed at least one threat message that day)."""

    candidate_dates: tuple[date, ...]
    confirmed_dates: tuple[date, ...]
    dismissed: int
    awaiting: int
    pending_dates: tuple[date, ...] = ()
    """Occasions with no confirmed threat message but an occasion-tier candidate still
    awaiting a decision: what confirming the open candidates could add."""
    threshold: int = 2
    """Occasions the law needs (the rules file's s4A ``threat_occasions``)."""
    review_dates: tuple[date, ...] = ()
    """Further occasions with only a review-list message awaiting a decision (weaker flags: a
    person reading everything surfaced may still confirm one)."""
    named_dates: tuple[date, ...] = ()
    """Confirmed occasions on which a confirmed message was sent to the victim and its words
    name her (the person written to) as the one to be harmed (:mod:`.threat_target`). The
    other confirmed occasions rest on threats whose words name only someone close to her, a
    pet, property or a third person: s4A(1)(b)(i) needs her fear of violence against
    herself, which only her account can show for those."""
    pending_named_dates: tuple[date, ...] = ()
    """Of the pending occasions, those with an open likely-threat message to the victim whose
    words name her."""

    @property
    def candidates(self) -> int:
        return len(self.candidate_dates)

    @property
    def confirmed(self) -> int:
        return len(self.confirmed_dates)

    @property
    def pending(self) -> int:
        return len(self.pending_dates)

    @property
    def named(self) -> int:
        return len(self.named_dates)

    @property
    def not_named_dates(self) -> tuple[date, ...]:
        """Confirmed occasions whose confirmed words name neither the victim nor, so, her fear for herself."""
        named = set(self.named_dates)
        return tuple(d for d in self.confirmed_dates if d not in named)

    @property
    def if_all_confirmed(self) -> int:
        """Confirmed occasions if every open occasion-tier candidate were confirmed."""
        return self.confirmed + self.pending

    @property
    def met(self) -> bool:
        return self.confirmed >= self.threshold

    @property
    def met_if_confirmed(self) -> bool:
        return self.if_all_confirmed >= self.threshold

    def to_json(self) -> dict[str, Any]:
        return {"candidate_occasions": self.candidates, "confirmed_occasions": self.confirmed,
                "pending_occasions": self.pending, "occasions_if_all_confirmed": self.if_all_confirmed,
                "threshold": self.threshold, "met": self.met, "met_if_all_confirmed": self.met_if_confirmed,
                "candidate_dates": [d.isoformat() for d in self.candidate_dates],
                "confirmed_dates": [d.isoformat() for d in self.confirmed_dates],
                "pending_dates": [d.isoformat() for d in self.pending_dates],
                "review_only_dates": [d.isoformat() for d in self.review_dates],
                "confirmed_naming_victim_dates": [d.isoformat() for d in self.named_dates],
                "pending_naming_victim_dates": [d.isoformat() for d in self.pending_named_dates],
                "candidates_dismissed": self.dismissed, "candidates_awaiting_decision": self.awaiting,
                "note": "candidate occasions are days with a message the rules rank as a likely threat; only "
                        "confirmed occasions (a person confirmed a threat message that day) may be counted as threats"}


def count_occasions(threats: Iterable[Candidate], decisions: Mapping[tuple[str, str], str],
                    occasion_of: Mapping[str, tuple[int, date]] | None = None, threshold: int = 2,
                    victims: Collection[str] = ()) -> OccasionCount:
    """Candidate and confirmed threat occasions. ``occasion_of`` maps a contact id to its
    occasion (number and date, under the conduct analysis's occasion rule); otherwise an
    occasion is the message's local date. A dismissed occasion-tier message is not a
    candidate; a confirmed review-tier message makes a confirmed occasion. ``victims``
    (party ids) decides which occasions rest on words naming the victim herself."""
    cands: dict[object, date] = {}
    confirmed: dict[object, date] = {}
    named: dict[object, date] = {}
    open_named: dict[object, date] = {}
    open_: dict[object, date] = {}
    review: dict[object, date] = {}
    dismissed = awaiting = 0
    for c in threats:
        if c.kind != THREAT:
            continue
        key: object
        if occasion_of and c.contact_id in occasion_of:
            key, day = occasion_of[c.contact_id]
        elif c.local_date is not None:
            key, day = c.local_date, c.local_date
        else:
            continue
        d = c.decision(decisions)
        to_her = c.names_addressee and c.target in victims
        if d == "confirmed":
            confirmed[key] = day
            if to_her:
                named[key] = day
        elif d == "dismissed":
            dismissed += 1
        elif c.tier == "occasion":
            awaiting += 1
            open_[key] = day
            if to_her:
                open_named[key] = day
        else:
            review[key] = day
        if c.tier == "occasion" and d != "dismissed":
            cands[key] = day
    pending = {k: v for k, v in open_.items() if k not in confirmed}
    review_only = {k: v for k, v in review.items() if k not in confirmed and k not in pending}
    return OccasionCount(tuple(sorted(cands.values())), tuple(sorted(confirmed.values())), dismissed, awaiting,
                         tuple(sorted(pending.values())), threshold, tuple(sorted(review_only.values())),
                         tuple(sorted(named.values())),
                         tuple(sorted(v for k, v in open_named.items() if k in pending)))
