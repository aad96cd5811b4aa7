"""The course-of-conduct analysis of a case: one pure function, :func:`analyse`.

It reads the case (events, manifest, identity ledger), the legal rules file, the
threat rules (:mod:`.token_rules`) and the decisions a person made on threat and
behaviour candidates, and returns a :class:`ConductResult`; it writes nothing (beyond giving an
exhibit number to a source an older store left unnumbered, :func:`atlas.exhibits.source_refs`)
and uses no clock unless ``as_of`` is left out (then "today" in the case's zone, said so in the
assumptions). The result is always computed with **confirmed** identities (case.toml
attributions and confirmed links); with ``include_proposed=True`` a second, separate
result with proposed links as well is attached as ``with_proposed``, and the two are
never merged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

import polars as pl

from atlas.contacts import NOT_CONTACTS, match_clause
from atlas.exhibits import RecordRef, event_records, event_refs, source_refs
from atlas.messages import Message, Named, as_message, joined, message
from atlas.rules import Rules, load_rules
from atlas.store import Case
from atlas.store.manifest import Place
from atlas.wording import plural

from .assumptions import (
    AS_OF,
    LEGAL_RULES,
    LEXICON,
    MATCHING,
    NOT_CONTACTS_KEY,
    OCCASION,
    Assumption,
    advice,
    advice_only,
    method,
    sentences,
    served,
)
from .behaviours import behaviours, publications
from .breaches import BreachRows, find_breaches
from .candidates import THREAT, TO_CONFIRM, Candidate, OccasionCount, candidates, count_occasions, ledger_decisions
from .colocation import cell_serving, covert_pattern, place_episodes, place_points, usable, victim_colocations
from .escalation import bursts, profile, trend
from .gaps import identity_changes, long_gaps
from .impact import ImpactAccount, link_impacts
from .incidents import ITEM_FRAME, assign_occasions, incidents, last_item, occasion_rule, per_target_occasions
from .location_standard import LocationStandard
from .locations import device_records
from .memo import Memo, cast_key, data_key, options_key
from .options import ConductOptions
from .parties import Cast, authority_name, build_cast
from .possible_breaches import ITEM as CONFIRMED_BREACH
from .possible_breaches import BreachReview
from .possible_breaches import key_of as breach_key_of
from .possible_breaches import reviews as breach_reviews
from .possible_breaches import state_of as breach_state_of
from .possible_colocations import ITEM as CONFIRMED_COLOCATION
from .possible_colocations import ColocationEffect, Decided, PossibleColocation, key_of, reviews, state_of
from .reciprocity import mark_mutual, mutual_periods, mutual_weeks, requests_to_stop
from .records import Breach, Colocation, Deferred, Gap, Incident, OrderSummary, PossibleBreach, ThreatHit, ThreatOccasion
from .reviewed import stale as stale_decisions
from .selection import contact_events, night_expr, select_contacts
from .threats import Lexicon, load_lexicon
from .time_limit import LastIncident, S2AVerdict, s2a_verdict
from .token_rules import RuleSet
from .token_rules import load_rules as load_threat_rules

FORMAT = "atlas-conduct/1"


@dataclass
class ConductResult:
    """Everything the analysis found for one identity view, ready for JSON and reports."""

    view: str
    case_reference: str
    as_of: date
    as_of_basis: str
    suspect: dict[str, Any]
    targets: list[dict[str, Any]]
    s2a: S2AVerdict
    """The s2A verdict on ``as_of``: what the CLI, the reports and the TUI show."""
    s4a: dict[str, Any]
    course_of_conduct: dict[str, Any]
    incidents: tuple[Incident, ...]
    threat_occasions: tuple[ThreatOccasion, ...]
    """Candidate threat occasions (days with a message the rules rank as a likely threat),
    each awaiting a person's confirmation; ``status`` says whether one was confirmed."""
    threat_hits_for_review: tuple[ThreatHit, ...]
    """The review list: every threat candidate (both tiers), strongest first."""
    breach_records: Deferred[Breach] = field(repr=False)
    """The breaches, counted at once and made as records when first read (:attr:`breaches`)."""
    possible_breaches: tuple[PossibleBreach, ...]
    orders: tuple[OrderSummary, ...]
    colocations: tuple[Colocation, ...]
    """Definite presence at a protected place or near the victim (:attr:`location_standard`)."""
    covert_pattern: dict[str, Any]
    cell_site: list[dict[str, Any]]
    gaps: tuple[Gap, ...]
    contact_profile: dict[str, Any]
    escalation: dict[str, Any]
    bursts: list[dict[str, Any]]
    identity_changes: dict[str, Any]
    behaviours: list[dict[str, Any]]
    mutual_periods: dict[str, Any]
    requests_to_stop: list[dict[str, Any]]
    warnings: list[Message]
    """What a reviewer must not miss (the s2A verdict's first), each with the records it names as data
    (:mod:`atlas.messages`): conduct.json's ``warnings`` are their stored texts, ``warning_records``
    the same as a person reads them; outputs render them with :func:`atlas.exhibits.readable_warnings`."""
    assumption_records: tuple[Assumption, ...]
    """Every assumption the analysis made, each with its audience (method or advice): served outputs
    take the method only (:func:`~atlas.conduct.assumptions.served`), never by reading the words."""
    rules: dict[str, str]
    lexicon: dict[str, str]
    options: dict[str, Any]
    contacts: pl.DataFrame = field(repr=False)
    """The de-duplicated contacts with their roles (not in the JSON; for reports)."""
    possible_colocations: tuple[Colocation, ...] = ()
    """Listed, never counted: resting on a position with no stated accuracy, or an accuracy
    circle that only reaches a place (the same standard for his and her positions)."""
    location_standard: LocationStandard | None = None
    """The one rule, with its thresholds, for definite versus possible presence and co-location."""
    colocation_reviews: tuple[PossibleColocation, ...] = ()
    """:attr:`possible_colocations`, each with its officer's decision (open, confirmed, dismissed):
    a confirmed one is an incident (item ``confirmed-colocation``), always shown as confirmed."""
    colocation_effect: ColocationEffect | None = None
    """What confirming every open possible co-location would change (incidents, last incident,
    s2A deadline); None when none is open."""
    breach_reviews: tuple[BreachReview, ...] = ()
    """:attr:`possible_breaches`, each with its officer's decision (open, confirmed, dismissed): a
    confirmed one is a breach of its order (kind ``exclusion-zone (confirmed)``) and, where the order
    type's breach is an incident, an incident (item ``confirmed-breach``), always shown as confirmed."""
    breach_effect: ColocationEffect | None = None
    """What confirming every open possible breach would change (incidents, last incident, s2A
    deadline); None when none is open."""
    s2a_undated: S2AVerdict | None = field(default=None, repr=False)
    """The same verdict with no as-of day (the planned date against the deadline only), for
    outputs that must not change from day to day (a report made without ``--as-of``)."""
    warnings_undated: list[Message] = field(default_factory=list, repr=False)
    """:attr:`warnings` with the undated verdict's instead of the dated one's."""
    candidates: list[Candidate] = field(default_factory=list)
    """Typed threat and behaviour candidates, keyed (kind, event_id) for the decisions ledger."""
    occasion_count: OccasionCount | None = None
    """Candidate and confirmed threat occasions, counted separately."""
    impact: ImpactAccount | None = None
    """The victim's account of impact (case.toml [[impact]]) with the incidents before each entry."""
    decisions: Mapping[tuple[str, str], str] = field(default_factory=dict, repr=False)
    """The candidate decisions this result was computed with (``(kind, event_id)`` →
    ``confirmed``/``dismissed``): every output asks :meth:`decision_of`, never the ledger again."""
    source_exhibits: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Source id → exhibit (``JA/7``) as the analysis named records by (the incidents' ``exhibits``):
    conduct.json's ``warning_records`` put each warning's named records by them."""
    with_proposed: ConductResult | None = None
    proposed_identifiers: list[dict[str, Any]] = field(default_factory=list)
    breach_rows: BreachRows | None = field(default=None, repr=False)
    """The rows :attr:`breach_records` are made from, for a table that needs no record per
    breach (the workbench's: :meth:`BreachRows.contact_rows`); None where the result was
    made without them (then read :attr:`breaches`)."""

    @property
    def assumptions(self) -> list[str]:
        """The recorded sentences (conduct.json's ``assumptions``): method and advice together."""
        return sentences(self.assumption_records)

    @property
    def method_assumptions(self) -> list[str]:
        """What an exhibit served on the defence may give: the method clauses only."""
        return served(self.assumption_records)

    @property
    def advice_assumptions(self) -> list[str]:
        """The advice clauses (time limit, warning threshold, as-of date, inferences): the reviewer's only."""
        return advice_only(self.assumption_records)

    @property
    def breaches(self) -> tuple[Breach, ...]:
        """Every breach as a typed record, in time order (made the first time it is read)."""
        return self.breach_records.get()

    @property
    def confirmed_colocations(self) -> tuple[PossibleColocation, ...]:
        """Possible co-locations an officer confirmed: counted, never presented as measured."""
        return tuple(c for c in self.colocation_reviews if c.state == "confirmed")

    @property
    def open_colocations(self) -> tuple[PossibleColocation, ...]:
        """Possible co-locations awaiting an officer's decision: listed, not counted."""
        return tuple(c for c in self.colocation_reviews if c.state == "open")

    @property
    def confirmed_breaches(self) -> tuple[BreachReview, ...]:
        """Possible breaches an officer confirmed: counted, never presented as measured."""
        return tuple(b for b in self.breach_reviews if b.state == "confirmed")

    @property
    def open_breaches(self) -> tuple[BreachReview, ...]:
        """Possible breaches awaiting an officer's decision: listed, not counted."""
        return tuple(b for b in self.breach_reviews if b.state == "open")

    @property
    def breach_count(self) -> int:
        """How many breaches (without making their records)."""
        return len(self.breach_records)

    def decision_of(self, candidate: Candidate) -> str | None:
        """``confirmed``, ``dismissed`` or None (awaiting a decision), as this result counted it."""
        return candidate.decision(self.decisions)

    def candidates_in(self, state: str | None, kind: str | None = None) -> list[Candidate]:
        """Candidates in a decision state (None = awaiting), optionally of one kind
        (``threat``, ``behaviour:watching``, or ``behaviour`` for every behaviour)."""
        def of_kind(c: Candidate) -> bool:
            return kind is None or c.kind == kind or (kind == "behaviour" and c.kind.startswith("behaviour:"))
        return sorted((c for c in self.candidates if of_kind(c) and self.decision_of(c) == state),
                      key=lambda c: (c.ts_utc or datetime.min.replace(tzinfo=UTC), c.kind, c.event_id))

    def undated(self) -> ConductResult:
        """This result as an output that must not change from day to day shows it (a report
        made without ``--as-of``): the undated s2A verdict and its warnings, and no sentence
        that quotes the analysis date."""
        return replace(self, s2a=self.s2a_undated or self.s2a, warnings=list(self.warnings_undated),
                       assumption_records=tuple(a for a in self.assumption_records if a.sentence != AS_OF),
                       with_proposed=self.with_proposed.undated() if self.with_proposed is not None else None)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": FORMAT,
            "view": self.view,
            "case": self.case_reference,
            "as_of": self.as_of.isoformat(),
            "as_of_basis": self.as_of_basis,
            "notice": self.rules.get("notice", ""),
            "rules": self.rules,
            "lexicon": self.lexicon,
            "options": self.options,
            "suspect": self.suspect,
            "targets": self.targets,
            "s2a": self.s2a.to_json(),
            "s4a": self.s4a,
            "course_of_conduct": self.course_of_conduct,
            "incidents": [i.to_json() for i in self.incidents],
            "threat_occasions": [t.to_json() for t in self.threat_occasions],
            "threat_hits_for_review": [h.to_json() for h in self.threat_hits_for_review],
            "threat_occasion_count": self.occasion_count.to_json() if self.occasion_count else None,
            "behaviour_candidates": [c.to_json() for c in self.candidates if c.kind != THREAT],
            "impact": self.impact.to_json() if self.impact else None,
            "breaches": [b.to_json() for b in self.breaches],
            "possible_breaches": [r.to_json() for r in self.breach_reviews]
            if len(self.breach_reviews) == len(self.possible_breaches)
            else [b.to_json() for b in self.possible_breaches],
            "possible_breach_effect": self.breach_effect.to_json() if self.breach_effect else None,
            "orders": [o.to_json() for o in self.orders],
            "colocations": [c.to_json() for c in self.colocations],
            "possible_colocations": [r.to_json() for r in self.colocation_reviews]
            if len(self.colocation_reviews) == len(self.possible_colocations)
            else [c.to_json() for c in self.possible_colocations],
            "possible_colocation_effect": self.colocation_effect.to_json() if self.colocation_effect else None,
            "location_standard": self.location_standard.to_json() if self.location_standard else None,
            "covert_pattern": self.covert_pattern,
            "cell_site": self.cell_site,
            "gaps": [g.to_json() for g in self.gaps],
            "contact_profile": self.contact_profile,
            "escalation": self.escalation,
            "bursts": self.bursts,
            "identity_changes": self.identity_changes,
            "behaviours": self.behaviours,
            "mutual_periods": self.mutual_periods,
            "requests_to_stop": self.requests_to_stop,
            "warnings": [w.text for w in self.warnings],
            "warning_records": [w.to_json(self.source_exhibits) for w in self.warnings],
            "assumptions": self.assumptions,
            "assumption_records": [a.to_json() for a in self.assumption_records],
        }
        if self.view == "confirmed":
            data["with_proposed"] = (
                self.with_proposed.to_json() | {"differences": differences(self, self.with_proposed)}
                if self.with_proposed is not None else
                {"included": False, "proposed_identifiers": self.proposed_identifiers,
                 "note": "not computed: run with --with-proposed (include_proposed=True) to see the analysis with "
                         "proposed identity links as a separate result"})
            if self.with_proposed is not None:
                data["with_proposed"]["included"] = True
        return data


def differences(confirmed: ConductResult, proposed: ConductResult) -> dict[str, Any]:
    """What the proposed links would add: never merged into the confirmed findings."""
    c_days = {i.date.isoformat() for i in confirmed.incidents}
    p_days = {i.date.isoformat() for i in proposed.incidents}
    c_breach = {(b.order, b.kind, b.ts) for b in confirmed.breaches}
    return {
        "extra_incident_dates": sorted(p_days - c_days),
        "extra_breaches": [b.to_json() for b in proposed.breaches if (b.order, b.kind, b.ts) not in c_breach],
        "extra_threat_dates": sorted({t.date.isoformat() for t in proposed.threat_occasions}
                                     - {t.date.isoformat() for t in confirmed.threat_occasions}),
        "last_incident": {"confirmed": _day(confirmed.s2a.last_incident), "with_proposed": _day(proposed.s2a.last_incident)},
        "deadline": {"confirmed": confirmed.s2a.deadline.isoformat() if confirmed.s2a.deadline else None,
                     "with_proposed": proposed.s2a.deadline.isoformat() if proposed.s2a.deadline else None},
        "note": "these differences rest on identity links still awaiting a decision: confirm or reject them "
                "(`atlas identity`) before relying on them",
    }


# --- helpers -------------------------------------------------------------------------

R = TypeVar("R")


def _records(of: Callable[[dict[str, Any], Sequence[RecordRef]], R], items: list[dict[str, Any]],
             refs: dict[str, str]) -> tuple[R, ...]:
    """Typed records from the analysis's rows, each with its records (exhibit and place apart)."""
    return tuple(of(i, event_records(refs, i["event_ids"])) for i in items)


def _with_victim_exhibits(items: list[dict[str, Any]], refs: dict[str, str]) -> list[dict[str, Any]]:
    """Rows near the victim with her records (exhibit and place apart) as ``victim_records``."""
    return [i | {"victim_records": event_records(refs, i["victim_event_ids"])} if "victim_event_ids" in i else i
            for i in items]


def _day(last: LastIncident | None) -> str | None:
    return last.day.isoformat() if last else None


def _iso(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, list):
        return [_iso(x) for x in v]
    if isinstance(v, dict):
        return {k: _iso(x) for k, x in v.items()}
    return v


def _protected_places(case: Case, cast: Cast) -> list[Place]:
    manifest = case.manifest
    protected = set(cast.victims) | {o.protects for o in manifest.orders}
    zones = {z for o in manifest.orders for z in o.exclusion_zones}
    return [p for p in manifest.places if p.party in protected or p.name in zones]


def _items(contacts: pl.DataFrame, presences: list[dict[str, Any]], near: list[dict[str, Any]], zone: str,
           threat_ids: set[str], breach_contacts: set[str], breach_events: set[str], victim: str,
           night: Any, confirmed: Sequence[dict[str, Any]] = (),
           confirmed_breaches: Sequence[dict[str, Any]] = ()) -> pl.DataFrame:
    conduct = contacts.filter(pl.col("role").is_in(["conduct", "authority"]))
    c_items = conduct.select(
        "ts_utc", "local_date",
        pl.when(pl.col("role") == "authority").then(pl.lit("authority")).otherwise(pl.lit("contact")).alias("item"),
        pl.col("contact_id").alias("ref"), "channel", "target", pl.lit(None, pl.String).alias("place"), "event_ids",
        pl.col("contact_id").is_in(sorted(threat_ids)).alias("threat"),
        pl.col("contact_id").is_in(sorted(breach_contacts)).alias("breach"),
        "night", "identifiers", "identifier_status",
    )
    rows: list[dict[str, Any]] = []
    tz = ZoneInfo(zone)
    rows.extend(_colocation_item(ep, CONFIRMED_COLOCATION, tz, victim, breach_events, night) for ep in confirmed)
    rows.extend(_breach_item(b, tz, victim, night) for b in confirmed_breaches)
    for kind, episodes in (("presence", presences), ("near-victim", near)):
        for ep in episodes:
            rows.append(_colocation_item(ep, kind, tz, victim, breach_events, night))
    p_items = pl.DataFrame(rows, schema=ITEM_FRAME) if rows else pl.DataFrame(schema=ITEM_FRAME)
    return pl.concat([c_items.cast(dict(ITEM_FRAME)), p_items], how="vertical")  # type: ignore[arg-type]


def _colocation_item(ep: dict[str, Any], kind: str, tz: ZoneInfo, victim: str, breach_events: set[str],
                     night: Any) -> dict[str, Any]:
    """One presence, near-victim or officer-confirmed possible co-location as a course-of-conduct item
    (a confirmed one keeps its own item kind, so no output can take it for a measured presence)."""
    local = ep["start"].astimezone(tz)
    near = kind == "near-victim" or (kind == CONFIRMED_COLOCATION and ep["kind"] == "victim-location")
    return {
        "ts_utc": ep["start"], "local_date": local.date(), "item": kind,
        "ref": f"{kind}:{ep.get('place') or 'victim'}:{ep['start'].isoformat()}",
        "channel": "/".join(ep.get("channels") or []) or "location", "target": victim,
        "place": ep.get("place") or ("near the victim" if near else None), "event_ids": ep["event_ids"], "threat": False,
        "breach": bool(set(ep["event_ids"]) & breach_events), "night": bool(night(local.hour)),
        "identifiers": [], "identifier_status": None,
    }


def _breach_item(b: dict[str, Any], tz: ZoneInfo, victim: str, night: Any) -> dict[str, Any]:
    """A possible breach an officer confirmed, as a course-of-conduct item of its own kind
    (``confirmed-breach``: no output can take it for a measured presence)."""
    start = datetime.fromisoformat(b["ts"])
    local = start.astimezone(tz)
    return {
        "ts_utc": start, "local_date": local.date(), "item": CONFIRMED_BREACH,
        "ref": f"{CONFIRMED_BREACH}:{b['order']}:{b['place']}:{start.isoformat()}", "channel": "location",
        "target": victim, "place": b["place"], "event_ids": list(b["event_ids"]), "threat": False, "breach": True,
        "night": bool(night(local.hour)), "identifiers": [], "identifier_status": None,
    }


def _confirmed_breach_row(b: dict[str, Any], summary: Mapping[str, Any], zone: str) -> dict[str, Any]:
    """The breach row (:class:`Breach`, kind ``exclusion-zone (confirmed)``) of a possible breach an
    officer confirmed: its certainty says it is counted on an officer's decision, beside what the data
    alone shows (never who decided: the row reaches exhibit tables)."""
    from .possible_breaches import CONFIRMED_WORDS, KIND

    start = datetime.fromisoformat(b["ts"])
    return {
        "order": b["order"], "order_type": summary.get("type", ""), "kind": KIND, "ts": b["ts"], "end": b["end"],
        "date": start.astimezone(ZoneInfo(zone)).date().isoformat(), "place": b["place"],
        "event_ids": list(b["event_ids"]), "points": len(b["event_ids"]), "min_distance_m": b["min_distance_m"],
        "certainty": f"{CONFIRMED_WORDS}; the data alone: {b['certainty']}", "precision": b["precision"],
        "identifier_status": None, "breach_rule": summary.get("breach_rule", ""),
    }


def _threat_occasions(cands: list[Candidate], items: pl.DataFrame, decisions: Mapping[tuple[str, str], str],
                      threshold: int = 2, victims: Sequence[str] = ()) -> tuple[list[dict[str, Any]], list[dict[str, Any]], OccasionCount]:
    """(candidate threat occasions, the review list ranked by score, the two counts).

    An occasion is a day (or session) with at least one occasion-tier candidate that a
    person has not dismissed; it is ``confirmed`` once a person confirmed one of its
    messages (a confirmed review-tier message also makes a confirmed occasion)."""
    threats = [c for c in cands if c.kind == THREAT]
    # only the candidates' own items are ever looked up: the rest of the items (every contact
    # of a large case) are not turned into Python rows
    asked = sorted({c.contact_id for c in threats})
    occ = {r["ref"]: (r["occasion"], r["occasion_date"]) for r in items.filter(pl.col("ref").is_in(asked))
           .select("ref", "occasion", "occasion_date").iter_rows(named=True)} if items.height and asked else {}
    count = count_occasions(threats, decisions, {k: (int(v[0]), v[1]) for k, v in occ.items()
                                                 if v[0] is not None and v[1] is not None}, threshold, victims)
    review = []
    for c in sorted(threats, key=lambda c: (-c.score, c.ts_utc or datetime.min, c.event_id)):
        top = c.rules[0] if c.rules else None
        day = occ.get(c.contact_id, (None, c.local_date))[1] or c.local_date
        review.append(c.to_json() | {
            "date": day.isoformat() if day else None, "pattern": top.rule_id if top else "", "kind": THREAT,
            "candidate_kind": c.kind, "category": top.family if top else "", "strength": c.tier,
            "matched": top.words if top else "", "context": c.marked, "counts_as_threat": c.tier == "occasion",
            "decision": c.decision(decisions)})
    groups: dict[int, list[Candidate]] = {}
    for c in threats:
        d = c.decision(decisions)
        if (c.tier == "occasion" and d != "dismissed") or d == "confirmed":
            number = occ.get(c.contact_id, (None, None))[0]
            if number is not None:
                groups.setdefault(int(number), []).append(c)
    occasions = []
    for number in sorted(groups):
        cs = sorted(groups[number], key=lambda c: (c.ts_utc or datetime.min, c.event_id))
        day = occ[cs[0].contact_id][1]
        confirmed = [c for c in cs if c.decision(decisions) == "confirmed"]
        occasions.append({
            "date": day.isoformat(), "first_ts": cs[0].ts_utc.isoformat() if cs[0].ts_utc else None,
            "event_ids": sorted({e for c in cs for e in c.event_ids}),
            "matched": list(dict.fromkeys(w for c in cs for w in c.words)),
            "patterns": list(dict.fromkeys(r.rule_id for c in cs for r in c.rules)),
            "contact_ids": list(dict.fromkeys(c.contact_id for c in cs)),
            "contexts": list(dict.fromkeys(c.marked for c in cs)),
            "texts": list(dict.fromkeys(c.text for c in cs)),
            "channels": list(dict.fromkeys(c.channel for c in cs)),
            "candidate_keys": [list(c.key) for c in cs], "score": max(c.score for c in cs),
            "status": "confirmed" if confirmed else "candidate",
            "confirmed_keys": [list(c.key) for c in confirmed],
            "to_confirm": TO_CONFIRM,
        })
    return occasions, review, count


def _clean_episode(ep: dict[str, Any], zone: str) -> dict[str, Any]:
    out = {k: v for k, v in ep.items() if k != "times"}
    out["date"] = ep["start"].astimezone(ZoneInfo(zone)).date().isoformat()
    return _iso(out)


# --- the analysis of one view ----------------------------------------------------------

def _analyse_view(case: Case, cast: Cast, rules: Rules, lexicon: Lexicon, threat_rules: RuleSet, options: ConductOptions,
                  as_of: date, as_of_basis: str, refs: dict[str, str], decisions: Mapping[tuple[str, str], str],
                  memo: Memo | None = None, coloc_details: Mapping[str, Decided] | None = None,
                  breach_details: Mapping[str, Decided] | None = None) -> ConductResult:
    manifest = case.manifest
    zone = manifest.timezone
    tz = ZoneInfo(zone)
    victim = cast.victims[0]
    # the parts a decision other than a link cannot change: kept by the caller's memo under
    # everything they are computed from (atlas.conduct.memo)
    data = data_key(case) if memo is not None else None
    inputs = (data, cast_key(cast), options_key(options), lexicon.sha256) if memo is not None else ()

    def kept(part: str, build: Callable[[], R], *more: Any) -> R:
        return memo.get((part, *inputs, *more), build) if memo is not None else build()

    def contacts_of() -> pl.DataFrame:
        if memo is None:
            return select_contacts(case, cast, options, zone, lexicon)
        # the case's calls and messages as read from the store: the same for every identity view
        read = memo.get(("contact events", data), lambda: contact_events(case).collect())
        return select_contacts(case, cast, options, zone, lexicon, events=read)

    contacts = kept("contacts", contacts_of)
    conduct_all = contacts.filter(pl.col("role").is_in(["conduct", "authority"]))

    # threat and behaviour candidates: every conduct text screened at once, plausible ones matched
    cands = list(kept("candidates", lambda: candidates(conduct_all, threat_rules), threat_rules.sha256))
    strong_ids = {c.contact_id for c in cands if c.kind == THREAT and
                  ((c.tier == "occasion" and c.decision(decisions) != "dismissed") or c.decision(decisions) == "confirmed")}

    # location: presence at protected places, near the victim, cell serving the area
    positions, cells = kept("device records", lambda: device_records(case, cast, {cast.suspect, *cast.victims},
                                                                      options.cell_serving_radius_m))
    s_points, s_poor = usable(positions.filter(pl.col("party") == cast.suspect), options)
    v_points, v_poor = usable(positions.filter(pl.col("party").is_in(list(cast.victims))), options)
    protected = _protected_places(case, cast)
    pairs = place_points(s_points, protected)
    presences = place_episodes(pairs, options)
    near, near_possible = victim_colocations(s_points, v_points, list(manifest.places), options)
    zone_names = {z for o in manifest.orders for z in o.exclusion_zones}
    # possible presence at a protected place (exclusion zones: see possible breaches)
    place_possible = [e for e in place_episodes(pairs, options, present=False) if e["place"] not in zone_names]
    serving = cell_serving(cells.filter(pl.col("party") == cast.suspect), protected, options)
    # possible co-locations an officer decided: a confirmed one is an incident, a dismissed one never counts
    possible_rows = sorted(place_possible + near_possible, key=lambda c: (c["start"], c["kind"]))
    confirmed_rows = [p for p in possible_rows if state_of(key_of(p), decisions) == "confirmed"]
    open_rows = [p for p in possible_rows if state_of(key_of(p), decisions) == "open"]

    breaches, possible, order_summaries = find_breaches(manifest, cast, rules, contacts, pairs, options)
    breach_contacts = breaches.contact_ids()
    breach_events = breaches.zone_event_ids()
    # possible breaches an officer decided: a confirmed one is a breach of its order (and an incident where
    # the order type's breach is one), a dismissed one never counts
    summary_of = {o["order"]: o for o in order_summaries}
    breach_is_incident = {name: bool(o.get("breach_counts_as_incident", True)) for name, o in summary_of.items()}
    confirmed_breach_rows = [b for b in possible if breach_state_of(breach_key_of(b), decisions) == "confirmed"]
    open_breach_rows = [b for b in possible if breach_state_of(breach_key_of(b), decisions) == "open"]
    for b in confirmed_breach_rows:
        breaches.order_sequence.append(("zone", len(breaches.zone_breaches)))
        breaches.zone_breaches.append(_confirmed_breach_row(b, summary_of.get(b["order"], {}), zone))
    for o in order_summaries:
        if "zone_breaches" in o:
            o["confirmed_possible_breaches"] = sum(1 for b in confirmed_breach_rows if b["order"] == o["order"])
    breach_items = [b for b in confirmed_breach_rows if breach_is_incident.get(b["order"], True)]

    weeks = mutual_weeks(contacts, options)
    contacts = mark_mutual(contacts, weeks, strong_ids | breach_contacts)
    mutual = mutual_periods(weeks, options, int(contacts.get_column("mutual").sum()) if contacts.height else 0)
    counted = contacts if options.count_mutual else contacts.filter(~pl.col("mutual"))
    night_hours = {h for h in range(24) if pl.select(night_expr(pl.lit(h), options)).item()}
    raw_items = _items(counted, presences, near, zone, strong_ids, breach_contacts, breach_events, victim,
                       night=lambda h: h in night_hours, confirmed=confirmed_rows, confirmed_breaches=breach_items)
    items = assign_occasions(raw_items, options)
    other_days = set(items.filter(pl.col("item") != CONFIRMED_COLOCATION).get_column("local_date").to_list())
    breach_other_days = set(items.filter(pl.col("item") != CONFIRMED_BREACH).get_column("local_date").to_list())
    incident_list = incidents(items)
    threat_occ, review, occasion_count = _threat_occasions(cands, items, decisions,
                                                           rules.offence("pha-s4a").threat_occasions or 2,
                                                           tuple(cast.victims))
    impact = link_impacts(manifest.impacts, incident_list, manifest.impact_window_days)

    coc_rule = rules.course_of_conduct
    dates = [date.fromisoformat(i["date"]) for i in incident_list]
    gaps = long_gaps(dates, options.gap_days)
    last_date, last_ts, last_events = last_item(items)
    last = (LastIncident(day=last_date, ts=last_ts, event_ids=tuple(sorted(last_events)),
                         exhibits=event_refs(refs, sorted(last_events))) if last_date else None)
    notes: list[str] = []
    if last_ts is not None:
        local = last_ts.astimezone(tz)
        if local.date() != last_ts.date():
            notes.append(
                f"the last incident is at {local:%H:%M} {local.tzname()} on {local:%d/%m/%Y}, which is "
                f"{last_ts:%d/%m/%Y} in UTC: the UK local date is used")
        bases = contacts.filter(pl.col("event_ids").list.set_intersection(pl.lit(last_events)).list.len() > 0) \
            .get_column("ts_bases").explode().drop_nulls().unique().to_list() if contacts.height else []
        # the date rests on an assumed zone only when no record of the contact states its zone: a record given with
        # a UTC offset or in UTC fixes the instant whatever zone a wall-clock record of the same contact was read in
        # (seed 26535: a CDR read as Europe/London beside a handset in UTC and a report with an offset was warned on)
        assumed = bool(bases) and set(bases) <= {"local", "ambiguous", "nonexistent"}
        if assumed and (local.hour == 0 or local.hour == 23):
            notes.append(
                "the last incident is within an hour of midnight and its time was converted from a wall-clock "
                "time with an assumed zone: check the source's time zone before relying on its date")
    if (confirmed_rows or breach_items) and items.height:
        last_row = items.sort(["ts_utc", "ref"]).tail(1).row(0, named=True)
        if last_row["item"] == CONFIRMED_BREACH:
            # the clock runs from an officer's decision, not from a measured record: say so wherever the verdict goes
            pb = next(b for b in breach_items if datetime.fromisoformat(b["ts"]) == last_row["ts_utc"])
            bd = (breach_details or {}).get(breach_key_of(pb))
            without, _, _ = last_item(items.filter(pl.col("item") != CONFIRMED_BREACH))
            notes.append(
                f"the last incident ({last_row['local_date']:%d/%m/%Y}) is a possible breach of order {pb['order']} "
                f"({pb['place']}: a position with no stated accuracy, or an accuracy circle straddling the zone's "
                "boundary) counted only because an officer confirmed it"
                + (f" ({bd.officer}, {bd.day}: {bd.note})" if bd is not None and bd.state == "confirmed" else "")
                + "; without that decision the last incident would be "
                + (f"{without:%d/%m/%Y}" if without else "none"))
        elif last_row["item"] == CONFIRMED_COLOCATION:
            # the clock runs from an officer's decision, not from a measured record: say so wherever the verdict goes
            ep = next(c for c in confirmed_rows if c["start"] == last_row["ts_utc"])
            d = (coloc_details or {}).get(key_of(ep))
            without, _, _ = last_item(items.filter(pl.col("item") != CONFIRMED_COLOCATION))
            notes.append(
                f"the last incident ({last_row['local_date']:%d/%m/%Y}) is a possible co-location (positions with no "
                "stated accuracy) counted only because an officer confirmed it"
                + (f" ({d.officer}, {d.day}: {d.note})" if d is not None and d.state == "confirmed" else "")
                + "; without that decision the last incident would be "
                + (f"{without:%d/%m/%Y}" if without else "none"))
    if gaps:
        notes.append(
            f"{plural(len(gaps), 'gap')} longer than {options.gap_days} days between incidents: if a court found the "
            "course of conduct broken, the earlier incidents would not be part of it (the deadline still runs from "
            "the last incident)")

    def verdict(day: date | None) -> S2AVerdict:
        return s2a_verdict(rules, last_incident=last, charge_date=manifest.charge_date, as_of=day,
                           as_of_basis=as_of_basis if day else "", warn_days=options.warn_days,
                           threat_occasions=occasion_count.confirmed,
                           candidate_threat_occasions=occasion_count.if_all_confirmed,
                           naming_victim=occasion_count.named).with_warnings(*notes)

    clock, undated = verdict(as_of), verdict(None)

    def what_if(n_open: int, extra: pl.DataFrame) -> ColocationEffect:
        """What counting ``extra`` items as well would change (the same rules, nothing written)."""
        more = assign_occasions(pl.concat([raw_items, extra], how="vertical"), options)
        day, ts, events = last_item(more)
        then = (s2a_verdict(rules, last_incident=LastIncident(day=day, ts=ts, event_ids=tuple(sorted(events)),
                                                              exhibits=event_refs(refs, sorted(events))),
                            charge_date=manifest.charge_date, as_of=None, as_of_basis="", warn_days=options.warn_days)
                if day is not None and ts is not None else None)
        now_days = {i["date"] for i in incident_list}
        added = sorted({d for d in more.get_column("occasion_date").to_list() if d is not None
                        and d.isoformat() not in now_days})
        return ColocationEffect(
            open=n_open, incidents_now=len(incident_list),
            incidents_if_confirmed=int(more.get_column("occasion").n_unique()) if more.height else 0,
            last_incident_now=last_date, last_incident_if_confirmed=day,
            deadline_now=undated.deadline, deadline_if_confirmed=then.deadline if then is not None else None,
            added_dates=tuple(added))

    def effect() -> ColocationEffect | None:
        """What confirming every open possible co-location would change."""
        if not open_rows:
            return None
        return what_if(len(open_rows), _items(counted.head(0), [], [], zone, set(), set(), breach_events, victim,
                                              night=lambda h: h in night_hours, confirmed=open_rows))

    def breach_effect() -> ColocationEffect | None:
        """What confirming every open possible breach would change (those whose order counts a breach as an incident)."""
        if not open_breach_rows:
            return None
        would = [b for b in open_breach_rows if breach_is_incident.get(b["order"], True)]
        return what_if(len(open_breach_rows), _items(counted.head(0), [], [], zone, set(), set(), breach_events, victim,
                                                     night=lambda h: h in night_hours, confirmed_breaches=would))

    prof = profile(contacts, options)
    per_target = per_target_occasions(items)
    occasions = len(incident_list)
    with_contact = sum(1 for i in incident_list if "contact" in i["kinds"])
    s4a = rules.offence("pha-s4a")
    threshold = s4a.threat_occasions or 2
    n_presence = len(presences) + len(near)
    n_confirmed = len(confirmed_rows)
    distress = [
        # the contacts the incidents count, said as such: beside a statement's every contact from the suspect (a
        # two-way case: 735 contacts, 113 at night) "0 contacts" read as a contradiction
        # ... on the occasions that have one: covert 62017 read "3 contacts counted in incidents on 17 occasions"
        # (14 were confirmed co-locations) and third-parties 62031 "86 ... on 86 occasions" (2 rest on a 101 call)
        {"indicator": "volume", "value": prof["conduct_contacts"],
         "detail": f"{plural(prof['conduct_contacts'], 'contact')} counted in incidents on "
                   + (plural(occasions, "occasion") if with_contact == occasions
                      else f"{with_contact} of the {plural(occasions, 'occasion')}") + "; "
                   f"at most {prof['per_day_max']} in one day"
                   + (f" ({plural(prof['conduct_contacts_in_two_way_weeks'], 'more contact')} from the suspect in two-way "
                      "weeks, not counted)" if prof.get("conduct_contacts_in_two_way_weeks") else "")},
        {"indicator": "night-time contact", "value": prof["night"]["contacts"],
         "detail": f"{plural(prof['night']['contacts'], 'contact')} counted in incidents during {options.night_label}"},
        {"indicator": "bursts", "value": 0, "detail": ""},
        {"indicator": "proximity", "value": n_presence + n_confirmed,
         "detail": f"{plural(len(presences), 'presence episode')} at protected places, {len(near)} near the victim's own positions"
                   + (f"; {plural(n_confirmed, 'possible co-location')} confirmed by an officer" if n_confirmed else "")},
        {"indicator": "breaches of orders", "value": len(breaches), "detail": f"{plural(len(breaches), 'breach')} listed"
         + (f" ({len(confirmed_breach_rows)} of them a possible breach confirmed by an officer)" if confirmed_breach_rows else "")},
    ]
    burst_list = bursts(counted.filter(pl.col("role") == "conduct"), options)
    distress[2] |= {"value": len(burst_list), "detail": f"{plural(len(burst_list), 'burst')} of at least "
                    f"{options.burst_min_contacts} contacts within {options.burst_window_minutes} min"}
    s4a_section = {
        "offence": s4a.section, "short": s4a.short, "mode_of_trial": s4a.mode_of_trial,
        "threat_occasions": occasion_count.if_all_confirmed, "threshold": threshold,
        "pending_threat_occasions": occasion_count.pending,
        "threat_occasions_status": "candidates awaiting a person's confirmation (confirmed ones are counted separately)",
        "candidate_threat_occasions": occasion_count.candidates,
        "confirmed_threat_occasions": occasion_count.confirmed,
        "threat_indicator_met": occasion_count.confirmed >= threshold,
        "threat_indicator_met_if_confirmed": occasion_count.met_if_confirmed,
        "citation": s4a.threat_occasions_citation,
        "distress_citation": s4a.distress_citation,
        "distress_indicators": distress,
        "victim_account_of_impact": {
            "entries": len(impact.links), "categories": list(impact.categories),
            "linked_incidents": sum(len(lk.incidents) for lk in impact.links), "label": impact.label},
        "label": "indicators, not proof: fear of violence and serious alarm or distress are proved by the victim's "
                 "evidence; the data can only show what was sent and where devices were",
        "notice": rules.notice,
    }
    coc = {
        "occasions": occasions, "min_occasions": coc_rule.min_occasions,
        "at_least_min_occasions": occasions >= coc_rule.min_occasions,
        "citation": coc_rule.citation, "several_persons_citation": coc_rule.several_persons_citation,
        "per_target_occasions": per_target, "occasion_rule": occasion_rule(options, zone),
        "occasion_note": coc_rule.occasion_note, "gap_note": coc_rule.gap_note,
        "mutual_note": coc_rule.mutual_note, "knowledge_citation": coc_rule.knowledge_citation,
        "requests_to_stop": int(contacts.get_column("stop_request").is_not_null().sum()) if contacts.height else 0,
        "mutual_contacts_not_counted": 0 if options.count_mutual else int(contacts.get_column("mutual").sum()),
        "first_incident": incident_list[0]["date"] if incident_list else None,
        "last_incident": incident_list[-1]["date"] if incident_list else None,
        "conduct_contacts": int((counted.get_column("role") == "conduct").sum()) if counted.height else 0,
        "authority_contacts": int((contacts.get_column("role") == "authority").sum()) if contacts.height else 0,
        "presence_episodes": n_presence,
        "confirmed_possible_colocations": n_confirmed,
        "confirmed_possible_breaches": len(breach_items),
        "notice": rules.notice,
    }

    warnings: list[Message | str] = []  # words, or a Message where the warning names records
    warnings += [o["law_warning"] for o in order_summaries if o.get("law_warning")]
    if prof["reciprocity"]["two_way"]:
        warnings.append(
            f"the contact is largely two-way: the victim or the victim's network started {prof['reciprocity']['targets_to_suspect']} "
            f"of {prof['reciprocity']['suspect_to_targets'] + prof['reciprocity']['targets_to_suspect']} contacts with "
            "the suspect; the data cannot show that the suspect's contact was unwanted")
    if mutual["weeks"]:
        warnings.append(
            f"{plural(len(mutual['weeks']), 'two-way week')}: {plural(mutual['contacts_not_counted'], 'contact')} from the suspect in "
            f"{'it' if len(mutual['weeks']) == 1 else 'them'} {'is' if mutual['contacts_not_counted'] == 1 else 'are'} "
            f"{'counted' if options.count_mutual else 'not counted'} as incidents ({mutual['rule']}; threats and contact "
            "in breach of an order are always counted); `atlas conduct --json` lists each week (mutual_periods)")
    if coc["authority_contacts"]:
        n_authority = int(contacts.get_column("role").eq("authority").sum()) if contacts.height else 0
        warnings.append(f"{plural(n_authority, 'call')} from the suspect to police numbers are counted as incidents "
                        "(possible vexatious reports): confirm with the police call records what each was about")
    ident = identity_changes(contacts, gaps, list(manifest.orders), cast.status_of)
    like = [u["identifier"] for u in ident["unattributed_to_victim"] if u["like_the_suspect"]]
    if like:
        warnings.append(message(
            f"{plural(len(like), 'identifier')} attributed to nobody contacted the victim one-way after the conduct began (",
            *joined(Named("identifier", u) for u in like[:5]),
            "): possible new identities of the suspect, not counted until linked (each is listed by `atlas conduct` "
            "and under the reviewer's note's Points to review)"))
    stale = stale_decisions(coloc_details or {}, {key_of(p) for p in possible_rows})
    if stale:
        # nothing lost silently: a decision on records that no longer make a possible co-location (new data
        # re-grouped the positions) is neither applied nor dropped without saying so
        one = len(stale) == 1
        warnings.append(f"{plural(len(stale), 'co-location decision')} in the ledger no longer "
                        f"{'matches' if one else 'match'} a possible co-location (the records "
                        f"{'it was' if one else 'they were'} made on are now grouped differently or are no longer "
                        "possible only): not applied; review the possible co-locations again (atlas colocations)")
    stale_breaches = stale_decisions(breach_details or {}, {breach_key_of(b) for b in possible})
    if stale_breaches:
        one = len(stale_breaches) == 1
        warnings.append(f"{plural(len(stale_breaches), 'breach decision')} in the ledger no longer "
                        f"{'matches' if one else 'match'} a possible breach (the records "
                        f"{'it was' if one else 'they were'} made on are now grouped differently, are no longer "
                        "possible only, or the order changed): not applied; review the possible breaches again "
                        "(atlas breaches)")
    if s_poor or v_poor:
        warnings.append(f"{plural(s_poor + v_poor, 'location point')} with stated accuracy worse than {options.max_accuracy_m:.0f} m "
                        "were not used for presence or co-location")

    texts_posts = publications(case, cast, [manifest.party(v).name for v in cast.victims]
                               + [u.split(":", 1)[1] for v in cast.victims for u in manifest.party(v).identifiers
                                  if u.split(":", 1)[0] in ("instagram", "x", "tiktok", "snapchat")])
    behaviour_list = behaviours(rules, contacts=counted, candidates=[c for c in cands if c.kind != THREAT],
                                presences=presences, near_victim=near, posts=texts_posts, decisions=decisions,
                                confirmed_near=[c for c in confirmed_rows if c["kind"] == "victim-location"])

    suspect_party = manifest.party(cast.suspect)
    used = {i["identifier"] for i in ident["identifiers"]}
    suspect = {
        "party": cast.suspect, "name": suspect_party.name,
        "identifiers": [{"uri": c.uri, "status": c.status, "basis": c.basis, "strength": c.strength,
                         "link_ids": list(c.link_ids), "seen_in_conduct": c.uri in used}
                        for c in sorted(cast.suspect_claims.values(), key=lambda c: (c.status, c.uri))],
    }
    targets = [{"party": t, "role": manifest.party(t).role, "name": manifest.party(t).name} for t in cast.targets]
    targets += [{"party": a, "role": "authority", "name": a.split(":", 1)[1]} for a in cast.authorities]

    colocations = [_clean_episode(p, zone) for p in presences] + [_clean_episode(c, zone) for c in near]
    colocations.sort(key=lambda c: (c["start"], c["kind"]))
    possible_colocations = [_clean_episode(p, zone) for p in possible_rows]
    # a possible co-location near her that an officer confirmed is part of the pattern, and the JSON says how many
    confirmed_near = [c for c in confirmed_rows if c["kind"] == "victim-location"]
    covert = covert_pattern(near + confirmed_near, lambda t: t.astimezone(tz).date(), options)

    s2a_rule = rules.offence("pha-s2a")
    police = options.authority_identifiers
    assumptions = [
        method("identity view", f"identity view: {cast.view} ({'case.toml attributions and confirmed links only' if cast.view == 'confirmed' else 'including links still only proposed: not findings until confirmed'})"),
        method("conduct", f"the conduct analysed is from {manifest.party_names().get(cast.suspect, cast.suspect)} to {cast.target_basis}"),
        *([method("conduct", f"calls to {', '.join(authority_name(n) for n in police)} are counted as incidents and named as such"),
           advice("conduct", "calls to police numbers are listed as possible vexatious reports")] if police else
          [advice("conduct", "calls to no police numbers are listed as possible vexatious reports")]),
        method(MATCHING, f"each real-world contact is counted once: {match_clause(options.dedupe_tolerance_s)}"),
        method(NOT_CONTACTS_KEY, NOT_CONTACTS),
        method(OCCASION, occasion_rule(options, zone)),
        method("dates", f"dates are UK local dates ({zone}); times are stored in UTC and converted with the zone rules in force (GMT/BST)"),
        method("night", f"night-time = {options.night_label}"),
        advice(AS_OF, f"as-of date {as_of.isoformat()}: {as_of_basis}"),
        advice("s2a clock", f"the {s2a_rule.short} clock applies to {s2a_rule.section}, {rules.mode(s2a_rule.mode_of_trial).plain}; " + "; ".join(
            f"{o.section} is {rules.mode(o.mode_of_trial).plain} with {rules.time_limit(o.time_limit).plain}"
            for o in rules.offences if not rules.time_limit(o.time_limit).limited and o.id != "pha-s4")),
        method(LEGAL_RULES, f"legal rules: {rules.meta.name} version {rules.version} ({rules.provenance()['rules_file']}, sha256 {rules.sha256[:16]}…)"),
        method("threat rules", f"threat rules version {threat_rules.version} (sha256 {threat_rules.sha256[:16]}…): structural rules over normalised words "
               f"(text-speak and spelling spelled out; idioms masked; negated, reported or joking words lowered); a message scoring at least "
               f"{threat_rules.occasion_threshold:g} is a candidate threat occasion, at least {threat_rules.review_threshold:g} goes on the review list; "
               "every candidate needs a person to confirm it, and only a message a person confirmed is stated as a threat"),
        method(LEXICON, f"requests to stop are recognised with lexicon version {lexicon.version} (sha256 {lexicon.sha256[:16]}…)"),
        method("location standard", f"location standard: {LocationStandard.of(options).text}"),
        method("cell-site", f"cell-site records are shown only as 'cell serving the area' (assumed reach {options.cell_serving_radius_m:.0f} m where the data gives none), never as presence"),
        method("gaps", f"gaps longer than {options.gap_days} days are listed for a person to judge"),
        advice("gaps", f"the s2A warning threshold is {options.warn_days} days"),
        method("indicators", "indicators (volume, night-time, bursts, proximity, text patterns) are not proof of fear, alarm or distress"),
    ]
    possible_records = _records(Colocation.of, _with_victim_exhibits(possible_colocations, refs), refs)
    possible_breach_records = _records(PossibleBreach.of, possible, refs)
    return ConductResult(
        view=cast.view, case_reference=manifest.reference, as_of=as_of, as_of_basis=as_of_basis, suspect=suspect,
        targets=targets, s2a=clock, s2a_undated=undated, s4a=s4a_section, course_of_conduct=coc,
        incidents=_records(Incident.of, incident_list, refs),
        threat_occasions=_records(ThreatOccasion.of, threat_occ, refs),
        threat_hits_for_review=_records(ThreatHit.of, review, refs),
        breach_records=Deferred(len(breaches), lambda: _records(Breach.of, breaches.dicts(), refs)),
        breach_rows=breaches,
        possible_breaches=possible_breach_records,
        breach_reviews=breach_reviews(possible_breach_records,
                                      [datetime.fromisoformat(b["ts"]).astimezone(tz).date() for b in possible],
                                      decisions, breach_details or {}, breach_other_days, breach_is_incident),
        breach_effect=breach_effect(),
        orders=tuple(OrderSummary.of(o) for o in order_summaries),
        colocations=_records(Colocation.of, _with_victim_exhibits(colocations, refs), refs),
        possible_colocations=possible_records,
        colocation_reviews=reviews(possible_records, decisions, coloc_details or {}, other_days),
        colocation_effect=effect(),
        location_standard=LocationStandard.of(options),
        covert_pattern=covert.to_json() | {"confirmed_possible_colocations": len(confirmed_near)}, cell_site=[_iso(c) for c in serving], gaps=tuple(Gap.of(g) for g in gaps), contact_profile=prof, escalation=trend(
            counted.filter(pl.col("role") == "conduct")),
        bursts=burst_list, identity_changes=ident, behaviours=behaviour_list, mutual_periods=mutual,
        requests_to_stop=requests_to_stop(contacts), warnings=[*map(as_message, (*clock.warnings, *warnings))],
        warnings_undated=[*map(as_message, (*undated.warnings, *warnings))],
        assumption_records=tuple(assumptions), rules=rules.provenance(), lexicon=lexicon.provenance() | threat_rules.provenance(),
        options=options.to_json(), contacts=contacts, candidates=cands, occasion_count=occasion_count, impact=impact,
        decisions=dict(decisions), source_exhibits=dict(refs),
    )


def resolve_as_of(as_of: date | None, zone: str) -> tuple[date, str]:
    if as_of is not None:
        return as_of, "given by the user (--as-of)"
    return datetime.now(ZoneInfo(zone)).date(), "today's date on this computer (no --as-of given): the result changes from day to day"


def analyse(case: Case, *, as_of: date | None = None, include_proposed: bool | Literal["if-any"] = False,
            options: ConductOptions | None = None,
            decisions: Mapping[tuple[str, str], str] | None = None, memo: Memo | None = None) -> ConductResult:
    """The course-of-conduct analysis of ``case`` (see the module docstring).

    ``include_proposed`` attaches the analysis with proposed links (``with_proposed``);
    ``"if-any"`` attaches it only when the suspect has proposed identifiers (what the
    report does, without analysing the confirmed view twice). ``decisions`` maps candidate keys ``(kind, event_id)`` to ``confirmed`` or
    ``dismissed``; left out, they are read from the case's decisions ledger (none yet:
    every candidate awaits a decision and no threat occasion is confirmed). ``memo`` keeps the
    parts a decision other than a link cannot change between calls (:mod:`.memo`): the result
    is the same with or without it."""
    options = options or ConductOptions()
    options.validate()
    rules = load_rules(options.rules)
    lexicon = load_lexicon(options.lexicon)
    threat_rules = load_threat_rules(options.threat_rules)
    decided = dict(decisions) if decisions is not None else ledger_decisions(case)
    from atlas.decisions.breaches import decided as breach_decided
    from atlas.decisions.colocations import decided as colocation_decided  # the ledger's side: who and why

    details = colocation_decided(case)
    b_details = breach_decided(case)
    day, basis = resolve_as_of(as_of, case.manifest.timezone)
    def cast(include: bool) -> Cast:
        return build_cast(case, suspect=options.suspect, targets=tuple(options.targets),
                          authority_identifiers=tuple(options.authority_identifiers), include_proposed=include)

    refs = source_refs(case)  # every record is named by its exhibit (numbers any source not yet numbered)
    confirmed = _analyse_view(case, cast(False), rules, lexicon, threat_rules, options, day, basis, refs, decided, memo,
                              details, b_details)
    proposed_cast = cast(True)
    confirmed.proposed_identifiers = [
        {"uri": c.uri, "basis": c.basis, "strength": c.strength, "link_ids": list(c.link_ids)}
        for c in sorted(proposed_cast.suspect_claims.values(), key=lambda c: c.uri) if c.status == "proposed"
    ]
    if include_proposed is True or (include_proposed == "if-any" and confirmed.proposed_identifiers):
        confirmed.with_proposed = _analyse_view(case, proposed_cast, rules, lexicon, threat_rules, options, day, basis,
                                                refs, decided, memo, details, b_details)
    return confirmed
