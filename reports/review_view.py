"""What the reviewer needs to see, gathered once for the reviewer's note and report.html.

Both show the warnings, the gaps that may break the course of conduct, the identity
links awaiting a decision with what confirming them would change, the threat
candidates quoted in full and the chronology; :func:`build` assembles them from the
inputs and findings (the analysis run with and without proposed links), so the two
outputs cannot disagree and neither recomputes anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from atlas.conduct.records import Gap
from atlas.exhibits import case_parties, readable_warnings, side_label
from atlas.store import Case
from atlas.wording import plural

from .chronology import ChronologyRow
from .findings import Findings
from .inputs import ReportInputs
from .style import uk_date


@dataclass(frozen=True)
class ReviewView:
    warnings: tuple[str, ...] = ()
    gaps: tuple[tuple[str, str, str], ...] = ()
    """(from, to, days) of each long gap between incidents (UK dates)."""
    gap_note: str = ""
    pending: tuple[tuple[str, str], ...] = ()
    """(link, basis and strength) of each identity link awaiting a decision."""
    effect: tuple[tuple[str, str, str], ...] = ()
    """(what, now, if the pending links were confirmed)."""
    effect_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    chronology: tuple[ChronologyRow, ...] = ()
    records: Mapping[str, str] = field(default_factory=dict)
    """Event id → exhibit record (``JA/25, sms rowid 8``) for every record a person sees."""
    decided: Any = None
    """:class:`reports.decided.Decided`: every candidate with its decision, and the one occasion count."""
    listed: tuple[str, ...] = ()
    """What the analysis lists but does not count (possible co-locations, possible breaches), one line each."""


def place_label(inputs: ReportInputs, place: str | None, kind: str | None) -> str:
    """A place as a reader knows it: the case's place with whose it is, or what the analysis compared with."""
    if place:
        for p in inputs.manifest.places:
            if p.name == place and p.party:
                return f"{place} ({inputs.manifest.party(p.party).name or p.party})"
        return str(place)
    victim = inputs.victim.name if inputs.victim and inputs.victim.name else "the victim"
    if kind and "victim" in kind:
        return f"{victim}'s own recorded position"
    return str(kind or "")


def gap_days(gap: Gap) -> str:
    """What a gap's number counts, so that it reads beside the statement's quiet days: report.html's
    "15/03/2026 to 04/07/2026: 111 days" sat beside the MG11's "from 16/03/2026 to 03/07/2026 (110 days)"
    for the same gap (seed 16180, time-limit), one counting from incident to incident, the other the days
    with none."""
    _, _, quiet = gap.quiet
    return f"{gap.days} days from one incident to the next ({quiet} days with no incident between)"


def warnings(inputs: ReportInputs, findings: Findings, extra: Sequence[str] = (),
             refs: Mapping[str, str] | None = None) -> list[str]:
    """Every warning of the analysis and the verdict, with display names named by exhibit."""
    return readable_warnings(refs or {}, findings.conduct.warnings if findings.conduct is not None else (),
                             findings.s2a.warnings if findings.s2a is not None else (), extra)


def change(now: object, then: object) -> str:
    """What confirming would change, as 'now \u2192 then'; a value it leaves alone reads 'now (unchanged)',
    not '11/07/2026 \u2192 11/07/2026', which reads as a change that did not register (covert 71046)."""
    return f"{now} (unchanged)" if now == then else f"{now} \u2192 {then}"


def _if_all_confirmed(effect: Any) -> list[str]:
    """The line saying what confirming every open item of a kind would change, where it changes anything."""
    if effect is None or not effect.changes:
        return []
    return [f"Confirming them all would make the incidents {change(effect.incidents_now, effect.incidents_if_confirmed)} "
            "and the last incident "
            + change(uk_date(effect.last_incident_now) if effect.last_incident_now else "none",
                     uk_date(effect.last_incident_if_confirmed) if effect.last_incident_if_confirmed else "none")
            + "."]


def listed_not_counted(conduct: Any) -> tuple[str, ...]:
    """One line for each kind of finding the analysis lists but never counts, for a person to judge: a
    covert case's co-locations can all be possible (a phone's own Timeline states no accuracy), and the
    report's headline then shows a few incidents with nothing saying why the rest are not there."""
    if conduct is None:
        return ()
    out: list[str] = []
    reviews = getattr(conduct, "colocation_reviews", ())
    waiting = [c for c in reviews if c.state == "open"]
    near = sum(1 for c in waiting if c.colocation.kind == "victim-location")
    places = len(waiting) - near
    if near:
        out.append(f"{plural(near, 'possible co-location')} of the suspect's device with the victim's own recorded "
                   "positions: not counted as incidents, because a position of one side or both states no accuracy "
                   "(awaiting an officer's decision: atlas colocations CASE, or the workbench's Co-location tab).")
    if places:
        out.append(f"{plural(places, 'possible presence', 'possible presences')} of the suspect's device at a place "
                   "named in the case: not counted, because it rests on a position with no stated accuracy or one "
                   "whose accuracy circle only reaches into the place.")
    out += _if_all_confirmed(getattr(conduct, "colocation_effect", None))
    confirmed = [c for c in reviews if c.state == "confirmed"]
    dismissed = [c for c in reviews if c.state == "dismissed"]
    if confirmed:
        out.append(f"{plural(len(confirmed), 'possible co-location')} confirmed by an officer "
                   f"({'; '.join(f'{c.id}: {c.status}' for c in confirmed[:5])}{' …' if len(confirmed) > 5 else ''}): "
                   "counted as incidents, shown as confirmed, not as measured.")
    if dismissed:
        out.append(f"{plural(len(dismissed), 'possible co-location')} dismissed by an officer: never counted.")
    b_reviews = getattr(conduct, "breach_reviews", ())
    b_open = [b for b in b_reviews if b.state == "open"]
    if b_open or (conduct.possible_breaches and not b_reviews):
        n = len(b_open) if b_reviews else len(conduct.possible_breaches)
        out.append(f"{plural(n, 'possible breach', 'possible breaches')} of an exclusion zone: not counted, because "
                   "it rests on a position with no stated accuracy or an accuracy circle straddling the boundary "
                   "(awaiting an officer's decision: atlas breaches CASE, or the workbench's Breaches tab).")
    out += _if_all_confirmed(getattr(conduct, "breach_effect", None))
    b_confirmed = [b for b in b_reviews if b.state == "confirmed"]
    if b_confirmed:
        out.append(f"{plural(len(b_confirmed), 'possible breach', 'possible breaches')} confirmed by an officer "
                   f"({'; '.join(f'{b.id}: {b.status}' for b in b_confirmed[:5])}{' …' if len(b_confirmed) > 5 else ''}): "
                   "counted as breaches of the order, shown as confirmed, not as measured.")
    b_dismissed = sum(1 for b in b_reviews if b.state == "dismissed")
    if b_dismissed:
        out.append(f"{plural(b_dismissed, 'possible breach', 'possible breaches')} dismissed by an officer: never counted.")
    if out:
        out.append("Each is listed in the reviewer's note with its records; only an officer's reading of the "
                   "records and other evidence can decide what they show.")
    return tuple(out)


def pending_effect(inputs: ReportInputs) -> tuple[list[tuple[str, str, str]], dict[str, dict[str, int]]]:
    """What confirming every pending link would change: rows for people, counts for tests and JSON."""
    conduct, prop = inputs.conduct, inputs.conduct_proposed
    if conduct is None or prop is None:
        return [], {}
    rows, counts = [], {}
    for key, label, before, after in (
            ("incidents", "Incidents", conduct.incidents, prop.incidents),
            ("breaches", "Breaches", conduct.breaches, prop.breaches),
            ("threat_occasions", "Candidate threat occasions (confirmed or awaiting a decision)", conduct.threat_occasions,
             prop.threat_occasions),
            ("colocations", "Co-locations", conduct.colocations, prop.colocations)):
        counts[key] = {"before": len(before), "after": len(after)}
        rows.append((label, str(len(before)), str(len(after))))
    then, later = conduct.s2a, prop.s2a
    rows.append(("Last incident", uk_date(then.last_incident.day) if then and then.last_incident else "none",
                 uk_date(later.last_incident.day) if later and later.last_incident else "none"))
    rows.append(("Last day to lay an information", uk_date(then.deadline) if then and then.deadline else "none",
                 uk_date(later.deadline) if later and later.deadline else "none"))
    return rows, counts


def build(inputs: ReportInputs, findings: Findings, case: Case, refs: Mapping[str, str],
          chronology: Sequence[ChronologyRow] = (), records: Mapping[str, str] | None = None,
          extra_warnings: Sequence[str] = ()) -> ReviewView:
    cc = findings.conduct.course_of_conduct if findings.conduct is not None else {}
    links = [link for link in inputs.identity_links if link.status == "proposed"]
    parties = case_parties(case)
    effect, counts = pending_effect(inputs) if links else ([], {})
    return ReviewView(
        warnings=tuple(warnings(inputs, findings, extra_warnings, refs)),
        gaps=tuple((uk_date(g.start), uk_date(g.end), gap_days(g)) for g in findings.gaps),
        gap_note=str(cc.get("gap_note") or inputs.rules.course_of_conduct.gap_note),
        # each side as every output names it: a party by its name and role, never party:suspect
        pending=tuple((f"{side_label(refs, parties, link.a)} \u2194 {side_label(refs, parties, link.b)}", f"{link.basis} ({link.strength})")
                      for link in links),
        effect=tuple(effect), effect_counts=counts,
        chronology=tuple(chronology), records=dict(records or {}),
        listed=listed_not_counted(findings.conduct),
    )
