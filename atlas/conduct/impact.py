"""The victim's account of impact (s4A(1)(b)(ii)), beside the incidents that preceded it.

s4A can be made out by serious alarm or distress with a substantial adverse effect on
the victim's usual day-to-day activities. Only she can say what changed (she stopped
walking home alone, changed her number, moved, cannot sleep); the officer records it
in case.toml as ``[[impact]]`` entries (``atlas impact add``). This module links each
entry to the incidents on the days before it, within a stated window, so a reviewer
sees her account next to what the data shows happened first. The link is a matter of
dates only: it never says the incidents caused the change, and no entry is ever
presented as something the data shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from atlas.store.manifest import Impact

LABEL: Final = ("the victim's account, as recorded by an officer: not derived from the data. Incidents are linked by "
                "date only (those in the window before each entry); the link does not show that they caused the change")


@dataclass(frozen=True)
class LinkedIncident:
    """An incident (occasion) that falls in an impact entry's window."""

    date: date
    contacts: int
    threat_candidate: bool
    breach: bool
    channels: tuple[str, ...]
    event_ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "contacts": self.contacts, "threat_candidate": self.threat_candidate,
                "breach": self.breach, "channels": list(self.channels), "event_ids": list(self.event_ids)}


@dataclass(frozen=True)
class ImpactLink:
    """One impact entry and the incidents in the window before it."""

    entry: Impact
    window_start: date
    incidents: tuple[LinkedIncident, ...]

    @property
    def basis(self) -> str:
        return (f"incidents from {self.window_start:%d/%m/%Y} to {self.entry.date:%d/%m/%Y} "
                f"({(self.entry.date - self.window_start).days + 1} days up to and including the entry's date)")

    def to_json(self) -> dict[str, Any]:
        e = self.entry
        return {"date": e.date.isoformat(), "what": e.what, "category": e.category, "source": e.source,
                "recorded_by": e.recorded_by, "party": e.party, "notes": e.notes,
                "window_start": self.window_start.isoformat(), "basis": self.basis,
                "incidents": [i.to_json() for i in self.incidents], "linked_incidents": len(self.incidents),
                "account": "victim"}


@dataclass(frozen=True)
class ImpactAccount:
    """Every impact entry of the case with its linked incidents (typed, for every output)."""

    window_days: int
    links: tuple[ImpactLink, ...]
    label: str = LABEL

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(sorted({lk.entry.category for lk in self.links}))

    def to_json(self) -> dict[str, Any]:
        return {"window_days": self.window_days, "label": self.label, "entries": [lk.to_json() for lk in self.links],
                "categories": list(self.categories),
                "window_rule": f"each entry is linked to the incidents on the {self.window_days} day(s) before its date "
                               "and on the date itself (setting: impact_window_days in case.toml, or --window-days)"}


def link_impacts(entries: tuple[Impact, ...] | list[Impact], incidents: list[dict[str, Any]], window_days: int
                 ) -> ImpactAccount:
    """Link each entry to the incidents dated from ``window_days`` before it up to its own date.

    ``incidents`` are the conduct analysis's incident dicts (``date``, ``contacts``,
    ``threat``, ``breach``, ``channels``, ``event_ids``)."""
    parsed = sorted(
        (LinkedIncident(date.fromisoformat(i["date"]), int(i.get("contacts", 0)), bool(i.get("threat")),
                        bool(i.get("breach")), tuple(i.get("channels") or ()), tuple(i.get("event_ids") or ()))
         for i in incidents), key=lambda x: x.date)
    links = []
    for e in sorted(entries, key=lambda e: (e.date, e.category, e.what)):
        start = e.date - timedelta(days=window_days)
        links.append(ImpactLink(e, start, tuple(i for i in parsed if start <= i.date <= e.date)))
    return ImpactAccount(window_days, tuple(links))
