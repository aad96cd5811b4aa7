"""One case under review: every view the workbench and the CLI show, computed from the
store and the decisions ledger by one path, and recomputed when a decision changes it.

:class:`Review` caches the conduct analysis and the de-duplicated contacts against the
ledger's *generation* (the last decision and audit sequence numbers): after any
decision (here, in another window, or by ``atlas confirm``) the next read sees a new
generation and recomputes, so no screen can show a count the ledger no longer implies.
:meth:`Review.impact` answers "what would this decision change?" with the same analysis
run under a hypothetical ledger (nothing written): incidents, contacts, threat
occasions, breaches, last incident and the s2A deadline, before → after.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final, Literal

import polars as pl

from atlas.decisions.ledger import generation
from atlas.store import Case

if TYPE_CHECKING:
    from atlas.conduct import ConductOptions, ConductResult
    from atlas.conduct.memo import Memo
    from atlas.conduct.time_limit import S2AVerdict

UK: Final = "Europe/London"


def uk_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "-"


@dataclass(frozen=True)
class Headline:
    """The numbers an officer watches change as they decide."""

    incidents: int
    contacts: int
    """Contacts to the victim or her network counted in the incidents (``conduct_contacts``): two-way weeks' contacts
    and calls to police numbers are not among them (the reports' "contacts from the suspect" are every contact)."""
    threat_occasions: int
    """Occasions if every open candidate were confirmed (confirmed + awaiting a decision)."""
    confirmed_threat_occasions: int
    breaches: int
    last_incident: date | None
    deadline: date | None
    in_time: bool | None
    verdict: str
    """``in time``, ``OUT OF TIME`` or ``no incident``."""
    verdict_basis: str = ""
    """The verdict in one sentence (``S2AVerdict.headline``), which says the label itself: ``verdict`` is the label alone."""
    verdict_bad: bool = False
    """The verdict is out of time, or the planned date is after the deadline (``S2AVerdict.severity`` bad): the
    verdict row says its first clause in capitals (``EXPIRED ON 04/09/2026: the last day ...``)."""
    police_calls: int = 0
    """Calls from the suspect to police numbers the incidents count (``authority_contacts``), beside ``contacts``."""

    @property
    def verdict_sentence(self) -> str:
        """The verdict in one sentence, saying its label once; a bad verdict's first clause in capitals."""
        if not self.verdict_basis:
            return self.verdict
        if not self.verdict_bad:
            return self.verdict_basis
        cut = min((i for i in (self.verdict_basis.find(":"), self.verdict_basis.find(" (")) if i > 0),
                  default=len(self.verdict_basis))
        return self.verdict_basis[:cut].upper() + self.verdict_basis[cut:]

    @property
    def contacts_counted(self) -> str:
        """The contacts the incidents count, as the headline and the impact listing say it."""
        police = f" (and {self.police_calls} to police)" if self.police_calls else ""
        return f"{self.contacts}{police}"

    @property
    def threats(self) -> str:
        """The threat occasions as the reports say them: confirmed first, then those awaiting a decision.
        "2 (0 confirmed)" read as two threat occasions found, a count of candidates shown as a finding."""
        pending = self.threat_occasions - self.confirmed_threat_occasions
        more = f", {pending} more awaiting a decision" if pending else ""
        return f"{self.confirmed_threat_occasions} confirmed by an officer{more}"

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("incidents (occasions)", str(self.incidents)),
            ("contacts counted in incidents", self.contacts_counted),
            ("threat occasions", self.threats),
            ("breaches of orders", str(self.breaches)),
            ("last incident", uk_date(self.last_incident)),
            ("s2A: last day to lay", uk_date(self.deadline)),
            ("s2A verdict", self.verdict_sentence),
        ]


def headline_of(result: ConductResult) -> Headline:
    """The headline of a conduct result; the verdict is the analysis's own (never recomputed)."""
    s2a = result.s2a
    return Headline(
        incidents=len(result.incidents),
        contacts=int(result.course_of_conduct.get("conduct_contacts", 0)),
        police_calls=int(result.course_of_conduct.get("authority_contacts", 0) or 0),
        # the one count of threat occasions (atlas.conduct.candidates.OccasionCount), never recounted here
        threat_occasions=result.occasion_count.if_all_confirmed if result.occasion_count else 0,
        confirmed_threat_occasions=result.occasion_count.confirmed if result.occasion_count else 0,
        breaches=result.breach_count,  # counted without making 166,000 records (ConductResult.breach_records)
        last_incident=s2a.last_incident.day if s2a.last_incident else None, deadline=s2a.deadline,
        in_time=s2a.in_time, verdict=verdict_label(s2a), verdict_basis=s2a.headline, verdict_bad=s2a.severity == "bad",
    )


def verdict_label(s2a: S2AVerdict) -> str:
    """The verdict's label as the workbench shows it: in capitals when it is bad (``EXPIRED``)."""
    return s2a.label.upper() if s2a.severity == "bad" else s2a.label


@dataclass(frozen=True)
class Impact:
    """What a decision changes, before → after (computed, not written)."""

    decision: str
    before: Headline
    after: Headline

    def changes(self) -> list[tuple[str, str, str]]:
        return [(label, b, a) for (label, b), (_, a) in zip(self.before.rows(), self.after.rows(), strict=True)]

    @property
    def changed(self) -> bool:
        return any(b != a for _, b, a in self.changes())

    def text(self) -> str:
        width = max(len(label) for label, _, _ in self.changes())
        lines = [f"{label:<{width}}  {b}  →  {a}{'' if a == b else '   *'}" for label, b, a in self.changes()]
        return "\n".join(lines)


class Review:
    """A case under review (see the module docstring)."""

    def __init__(self, case: Case, *, as_of: date | None = None, options: ConductOptions | None = None) -> None:
        self.case = case
        self.as_of = as_of
        self.options = options
        self._generation: tuple[int, int] | None = None
        self._cache: dict[str, Any] = {}
        self._source_refs: dict[str, str] | None = None
        self._source_numbers: dict[str, int] | None = None
        self._memo: Memo | None = None  # parts of the analysis a decision cannot change (atlas.conduct.memo)
        self._lock = threading.RLock()  # screens compute in worker threads: guards the cache (see _cached)
        self._view_locks: dict[str, threading.RLock] = {}  # one build per view at a time

    # --- freshness -----------------------------------------------------------------------

    def generation(self) -> tuple[int, int]:
        return generation(self.case)

    def refresh(self) -> bool:
        """Drop cached views if the ledger changed since they were computed; True if it did."""
        with self._lock:
            now = self.generation()
            if now != self._generation:
                self._cache.clear()
                self._generation = now
                return True
            return False

    def _cached(self, name: str, build: Callable[[], Any]) -> Any:
        """A view, built once per ledger generation. Each view is built under its own lock: the shared lock is
        held only to read and write the cache, so a quick view (the identity map a record's detail and the
        Overview need) never waits for a slow one (the conduct analysis a decision set off in a worker)."""
        with self._lock:
            self.refresh()
            if name in self._cache:
                return self._cache[name]
            view_lock = self._view_locks.setdefault(name, threading.RLock())
        with view_lock:  # one build of a view at a time; a second caller waits for it, then reads the cache
            with self._lock:
                self.refresh()
                if name in self._cache:
                    return self._cache[name]
                built_for = self._generation
            value = build()
            with self._lock:
                if self._generation == built_for and self.generation() == built_for:
                    self._cache[name] = value  # never keep a view of a ledger that moved on while it was built
            return value

    # --- the views -----------------------------------------------------------------------

    def memo(self) -> Memo:
        """The parts of the conduct analysis kept across decisions, each under everything it
        is computed from (never under the ledger's generation: see :mod:`atlas.conduct.memo`)."""
        if self._memo is None:
            from atlas.conduct.memo import Memo

            with self._lock:
                if self._memo is None:
                    self._memo = Memo()
        return self._memo

    def conduct(self) -> ConductResult:
        """The course-of-conduct analysis with confirmed identities and the current decisions."""
        from atlas.conduct import analyse

        return self._cached("conduct", lambda: analyse(self.case, as_of=self.as_of, options=self.options,
                                                       memo=self.memo()))

    def contacts(self) -> pl.DataFrame:
        """De-duplicated contacts of the whole case (confirmed identities)."""
        from atlas.contacts import case_contacts

        return self._cached("contacts", lambda: case_contacts(self.case))

    def identity_map(self) -> dict[str, str]:
        """Identifier URI → party id as identity resolution stands (confirmed links), what the contacts use."""
        from atlas.contacts import case_identity_map

        return self._cached("identity_map", lambda: case_identity_map(self.case))

    @staticmethod
    def uk_seconds(ts: object) -> str:
        """A UTC time as the tables show it, to the second: ``22/11/2026 14:05:09 GMT``."""
        from zoneinfo import ZoneInfo

        if isinstance(ts, str):
            try:
                return Review.uk_seconds(datetime.fromisoformat(ts))
            except ValueError:
                return ts
        if not isinstance(ts, datetime):
            return ""
        local = ts.astimezone(ZoneInfo(UK))
        return local.strftime("%d/%m/%Y %H:%M:%S ") + (local.tzname() or "")

    def finding_names(self) -> dict[str, str]:
        """Every finding of :meth:`conduct` by its ``<kind>:<key>`` (an exhibit tag's key), named for a person
        (:func:`atlas.decisions.naming.finding_index`): built once per ledger generation, not per tag."""
        from atlas.decisions.naming import finding_index

        return self._cached("finding_names", lambda: finding_index(self))

    def people(self) -> dict[str, Any]:
        from atlas.identity.people import people_view

        return self._cached("people", lambda: people_view(self.case))

    def headline(self) -> Headline:
        return headline_of(self.conduct())

    def impact(self, link_id: str, status: Literal["confirmed", "rejected", "proposed"] = "confirmed") -> Impact:
        """The headline now and as it would be with ``link_id`` decided ``status``."""
        from atlas.conduct import analyse
        from atlas.identity.ledger import get_link, hypothetical

        link = get_link(self.case, link_id)
        before = self.headline()
        with hypothetical({link.link_id: status}):
            after = headline_of(analyse(self.case, as_of=self.as_of, options=self.options, memo=self.memo()))
        verb = {"confirmed": "confirm", "rejected": "reject", "proposed": "re-open"}[status]
        return Impact(f"{verb} {link.link_id}", before, after)

    def decision_impact(self, keys: list[tuple[str, str]], state: str, decision: str) -> Impact:
        """The headline now and as it would be with the decisions ledger's ``keys`` (``(subject, key)``:
        a threat or behaviour candidate's ``(kind, event_id)`` for each of its records, a possible breach's
        or co-location's ``(subject, key)``) decided ``state`` (``open``: no decision), nothing written.
        The first key takes the decision; any other is dropped (a candidate's other records)."""
        from atlas.conduct import analyse

        now = self.conduct()
        decisions = {k: v for k, v in now.decisions.items() if k not in set(keys)}
        if state != "open" and keys:
            decisions[keys[0]] = state
        after = analyse(self.case, as_of=self.as_of, options=self.options, memo=self.memo(), decisions=decisions)
        return Impact(decision, headline_of(now), headline_of(after))

    # --- naming records for people -----------------------------------------------------

    def source_refs(self) -> dict[str, str]:
        """source id → its exhibit reference (``JA/3``): every source is numbered (once, for
        good) the first time the case is reviewed, as the reports number them."""
        if self._source_refs is None:
            from atlas.exhibits import source_refs

            numbers = self.source_numbers()
            with self._lock:
                self._source_refs = source_refs(self.case, numbers)
        return self._source_refs

    def source_numbers(self) -> dict[str, int]:
        """source id → its exhibit number (``JA/3`` is 3), as data: a list in exhibit order sorts by it."""
        if self._source_numbers is None:
            from atlas.exhibits import source_numbers

            with self._lock:
                self._source_numbers = source_numbers(self.case)
        return self._source_numbers

    def record_ref(self, event_id: str) -> str:
        """``JA/7, sms rowid 477`` for an event id (``<source_id>/<source_ref>``)."""
        from atlas.exhibits import event_ref

        return event_ref(self.source_refs(), event_id)

    def record_ref_expr(self, col: str) -> pl.Expr:
        """:meth:`record_ref` over a column of event ids, vectorised."""
        from atlas.exhibits import record_ref_expr

        return record_ref_expr(self.source_refs(), pl.col(col).str.extract(r"^([^/]*)/", 1),
                               pl.col(col).str.replace(r"^[^/]*/", ""))

    @staticmethod
    def uk(ts: object) -> str:
        from atlas.normalise.times import uk_display

        if isinstance(ts, str):
            try:
                return uk_display(datetime.fromisoformat(ts))
            except ValueError:
                return ts
        return uk_display(ts)
