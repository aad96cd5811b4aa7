"""What the reviewer needs to see, gathered once for the reviewer's note and report.html.

Both show the warnings, the gaps that may break the course of conduct, the identity
links awaiting a decision with what confirming them would change, the threat
candidates quoted in full and the chronology; :func:`build` assembles them from the
inputs and findings (the analysis run with and without proposed links), so the two
outputs cannot disagree and neither recomputes anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from atlas.store import Case

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
    candidates: tuple[Any, ...] = ()
    """:class:`reports.reviewer_note.Candidate`: every flagged message, in full."""
    chronology: tuple[ChronologyRow, ...] = ()
    records: Mapping[str, str] = field(default_factory=dict)
    """Event id → exhibit record (``JA/25, sms rowid 8``) for every record a person sees."""


def _display(uri: str) -> str:
    return uri.split(":", 2)[2] if uri.startswith("name:") else uri


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


_NAME_URI = re.compile(r"name:([0-9a-f]{16}):([^,;)\]]+)")


def named(text: str, refs: Mapping[str, str]) -> str:
    """``name:<source id>:D`` in a sentence → ``'D' in JA/16``: a reader never sees a source id."""
    return _NAME_URI.sub(lambda m: f"'{m.group(2)}' in {refs.get(m.group(1), 'an exhibit')}", text)


def warnings(inputs: ReportInputs, findings: Findings, extra: Sequence[str] = (),
             refs: Mapping[str, str] | None = None) -> list[str]:
    """Every warning of the analysis and the verdict, with display names named by exhibit."""
    conduct = findings.conduct or {}
    out = [str(w) for w in conduct.get("warnings") or []]
    if findings.s2a is not None:
        out += [str(w) for w in findings.s2a.warnings if str(w) not in out]
    out += list(extra)
    out += [f"{k} not available: {v}" for k, v in sorted(inputs.unavailable.items())]
    return [named(w, refs or {}) for w in out]


def pending_effect(inputs: ReportInputs) -> tuple[list[tuple[str, str, str]], dict[str, dict[str, int]]]:
    """What confirming every pending link would change: rows for people, counts for tests and JSON."""
    conduct, prop = inputs.conduct, inputs.conduct_proposed
    if conduct is None or prop is None:
        return [], {}
    rows, counts = [], {}
    for key, label in (("incidents", "Incidents"), ("breaches", "Breaches"), ("threat_occasions", "Threat occasions"),
                       ("colocations", "Co-locations")):
        before, after = len(conduct.get(key) or []), len(prop.get(key) or [])
        counts[key] = {"before": before, "after": after}
        rows.append((label, str(before), str(after)))
    for key, label in (("last_incident", "Last incident"), ("deadline", "Last day to lay an information")):
        then, later = (conduct.get("s2a") or {}).get(key), (prop.get("s2a") or {}).get(key)
        rows.append((label, uk_date(then) if then else "none", uk_date(later) if later else "none"))
    return rows, counts


def build(inputs: ReportInputs, findings: Findings, case: Case, refs: Mapping[str, str],
          chronology: Sequence[ChronologyRow] = (), records: Mapping[str, str] | None = None,
          extra_warnings: Sequence[str] = ()) -> ReviewView:
    from .reviewer_note import candidates

    conduct = findings.conduct or {}
    cc = conduct.get("course_of_conduct") or {}
    names = {uri: (inputs.manifest.party(pid).name or pid) for uri, pid in inputs.owners.items()}
    links = [link for link in inputs.identity_links if str(link.get("status")) == "proposed"]
    effect, counts = pending_effect(inputs) if links else ([], {})
    return ReviewView(
        warnings=tuple(warnings(inputs, findings, extra_warnings, refs)),
        gaps=tuple((uk_date(g.get("from")), uk_date(g.get("to")), f"{g.get('days')} days") for g in findings.gaps),
        gap_note=str(cc.get("gap_note") or inputs.rules.course_of_conduct.gap_note),
        pending=tuple((f"{_display(str(link.get('a')))} \u2194 {_display(str(link.get('b')))}",
                       f"{link.get('basis')} ({link.get('strength')})") for link in links),
        effect=tuple(effect), effect_counts=counts,
        candidates=tuple(candidates(case, findings.conduct, refs, names)) if findings.conduct is not None else (),
        chronology=tuple(chronology), records=dict(records or {}),
    )
