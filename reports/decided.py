"""What an officer decided about the threat and behaviour candidates, as the documents show it.

The conduct analysis flags messages (:mod:`atlas.conduct.candidates`); an officer confirms
or dismisses each in the decisions ledger (:mod:`atlas.decisions`). This module joins the
two once per report, so every document shows the same thing:

* the MG11 states only **confirmed** messages, quoted in full with their exhibit record,
  and the number of occasions from the analysis's one count
  (:class:`atlas.conduct.candidates.OccasionCount`);
* the reviewer's note lists every candidate with its state, who decided and when, and
  what confirming the open ones would change;
* the MG6C schedules the **dismissed** ones (an officer's reasoned decision that a
  message the software flagged is not a threat is relevant unused material: it may
  assist the defence) and nothing is ever stated as a finding from them.

Who confirmed a message and when is not written in the MG11: the statement is its
maker's own evidence, and another officer's decision is not a fact the maker can give;
the decision (officer, collar number, time, reason) is in the reviewer's note, the audit
log and, for disclosure, the MG6C entry of the decisions ledger.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from atlas.conduct import ConductResult
from atlas.conduct.candidates import THREAT, Candidate, OccasionCount
from atlas.conduct.threat_target import ADDRESSEE, describe
from atlas.decisions.candidates import candidate_id
from atlas.exhibits import RecordRef, join_list
from atlas.store import Case
from atlas.wording import Pronouns

from .chronology import ChronologyRow, channel_name, exhibit_numbers
from .redaction import free_text
from .style import uk_date, uk_time

BEHAVIOUR_WORDS: Final = {
    "watching": "watching {obj}", "following": "following {obj}", "monitoring": "monitoring {pos} communications or "
    "online activity", "publishing": "publishing material about {obj}", "loitering": "loitering where {subj} {is_}",
    "interfering": "interfering with {pos} property", "contacting": "contacting {obj}",
}
"""What a confirmed behaviour message refers to, with the victim's pronouns filled in (:func:`behaviour_words`)."""


def behaviour_words(kind: str, victim: Pronouns) -> str:
    """``watching`` → ``watching her`` (or ``him``, ``them``: as case.toml states the victim's pronouns)."""
    words = BEHAVIOUR_WORDS.get(kind, kind)
    return words.format(obj=victim.object, pos=victim.possessive, subj=victim.subject, is_=victim.verb("is", "are"))
STATE_WORDS: Final = {"confirmed": "confirmed", "dismissed": "dismissed", None: "awaiting a decision"}


TIER_WORDS: Final = {"occasion": "likely threat", "review": "review list", "behaviour": "behaviour"}
"""The threat rules' tiers in people's words (every output: the note, report.html)."""


@dataclass(frozen=True)
class DecidedMessage:
    """One candidate message with its decision, ready for people (never a hex id)."""

    handle: str
    """The id an officer types (``T3f9a0c21``) in ``atlas threats --confirm``."""
    kind: str
    tier: str
    state: str | None
    """``confirmed``, ``dismissed`` or None (awaiting a decision)."""
    occasion: date | None
    ts: datetime | None
    uk_time: str
    channel: str
    from_name: str
    to_name: str
    text: str
    exhibit: str
    """The record quoted: ``JA/25, sms rowid 56``."""
    exhibit_cell: str
    """The record quoted and the other exhibits recording the same contact."""
    flagged: str
    """Which rule matched which words (the candidate's explanation)."""
    decided_by: str = ""
    decided_at: str = ""
    """UK date and time of the decision."""
    reason: str = ""
    event_ids: tuple[str, ...] = ()
    threatened: tuple[str, ...] = ()
    """Whom or what the matched words name as the one to be harmed (:mod:`atlas.conduct.threat_target`)."""
    to_victim: bool = False
    """Whether the message was sent to the victim (so "you" in it names her)."""
    also: tuple[str, ...] = ()
    """The other exhibits recording the same contact, by number (``JA/9``): for a sentence that says
    "also recorded in", never cut out of :attr:`exhibit_cell`."""
    record: RecordRef | None = None
    """:attr:`exhibit` as data (exhibit and place apart; None when not cited): for an output that wants
    the exhibit alone, never cut out of ``JA/25, sms rowid 56``."""

    @property
    def rank(self) -> str:
        """The candidate's tier as people read it (``likely threat``, ``review list``): report.html said the
        rules' key ``occasion; awaiting a decision`` where the reviewer's note said ``likely threat; …``."""
        return TIER_WORDS.get(self.tier, self.tier)

    @property
    def names_victim(self) -> bool:
        """The words name the person written to, and that is the victim."""
        return self.to_victim and ADDRESSEE in self.threatened

    @property
    def behaviour(self) -> str:
        return self.kind.split(":", 1)[1] if self.kind.startswith("behaviour:") else ""

    @property
    def state_text(self) -> str:
        words = STATE_WORDS.get(self.state, str(self.state))
        if self.state and self.decided_by:
            words += f" by {self.decided_by} on {self.decided_at}" + (f": {self.reason}" if self.reason else "")
        return words


@dataclass(frozen=True)
class Decided:
    """Every candidate of a report with its decision, and the one count of threat occasions."""

    threats: tuple[DecidedMessage, ...] = ()
    behaviours: tuple[DecidedMessage, ...] = ()
    count: OccasionCount | None = None
    occasion_rule: str = ""

    def threats_in(self, state: str | None) -> list[DecidedMessage]:
        return [m for m in self.threats if m.state == state]

    def behaviours_in(self, state: str | None) -> list[DecidedMessage]:
        return [m for m in self.behaviours if m.state == state]

    @property
    def confirmed_occasions(self) -> list[tuple[date, list[DecidedMessage]]]:
        """Each confirmed occasion (the count's dates) with its confirmed messages, in order."""
        if self.count is None:
            return []
        out = []
        for day in self.count.confirmed_dates:
            msgs = [m for m in self.threats_in("confirmed") if m.occasion == day]
            out.append((day, msgs))
        return out

    @property
    def dismissed(self) -> list[DecidedMessage]:
        return [m for m in (*self.threats, *self.behaviours) if m.state == "dismissed"]


def _ledger(case: Case) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(kind, event id) → (officer, UK time, reason) of the latest candidate decision."""
    from atlas.decisions.ledger import current, read_decisions

    out = {}
    for (subject, key), d in current(read_decisions(case)).items():
        if subject == THREAT or subject.startswith("behaviour:"):
            out[(subject, key)] = (d.officer, uk_time(d.at), free_text(case, d.note))  # officer's words
    return out


def build(case: Case, conduct: ConductResult | None, chronology: Sequence[ChronologyRow],
          records: Mapping[str, RecordRef], names: Mapping[str, str], subject: str = "the suspect",
          victims: Collection[str] = ()) -> Decided:
    """Join ``conduct``'s candidates to their decisions and to the chronology row of their contact.

    ``records`` (event id → exhibit record) names a candidate whose contact is not in the
    chronology (a call to a police number); ``names`` maps party ids to names; ``victims``
    (party ids) says which messages were sent to the victim."""
    if conduct is None:
        return Decided()
    by_event = {e: r for r in chronology for e in r.event_ids}
    ledger = _ledger(case)
    occasion_of = {tuple(k): t.date for t in conduct.threat_occasions for k in t.candidate_keys}

    def one(c: Candidate) -> DecidedMessage:
        state = conduct.decision_of(c)
        who = next((ledger[k] for k in c.keys if k in ledger), ("", "", "")) if state else ("", "", "")
        row = next((by_event[e] for e in c.event_ids if e in by_event), None)
        flagged = "; ".join(f"{r.words} ({r.family})" for r in c.rules) or "—"
        if c.kind == THREAT:
            flagged += f". Words name as the one to be harmed: {describe(c.threatened)}"
        ids, to_victim = tuple(c.event_ids), c.target in victims
        occasion = next((occasion_of[k] for k in c.keys if k in occasion_of), None)
        if row is not None:
            return DecidedMessage(candidate_id(c.kind, c.event_id), c.kind, str(c.tier), state, occasion, c.ts_utc,
                                  row.uk_time, row.channel, row.from_name, row.to_name, row.content or c.text,
                                  row.exhibit, row.exhibit_cell, flagged, *who, event_ids=ids,
                                  threatened=c.threatened, to_victim=to_victim, also=row.also_exhibits,
                                  record=row.record)
        located = [records[e] for e in c.event_ids if e in records]
        refs = [str(r) for r in located]
        return DecidedMessage(candidate_id(c.kind, c.event_id), c.kind, str(c.tier), state, occasion, c.ts_utc,
                              uk_time(c.ts_utc), channel_name(c.channel), subject,
                              names.get(c.target, c.target), c.text, refs[0] if refs else "not cited",
                              join_list(refs) or "not cited", flagged, *who, event_ids=ids,
                              threatened=c.threatened, to_victim=to_victim, also=exhibit_numbers(located[1:]),
                              record=located[0] if located else None)

    threats = tuple(one(c) for c in sorted(conduct.candidates, key=_order) if c.kind == THREAT)
    behaviours = tuple(one(c) for c in sorted(conduct.candidates, key=_order) if c.kind != THREAT)
    return Decided(threats, behaviours, conduct.occasion_count,
                   str(conduct.course_of_conduct.get("occasion_rule") or ""))


def _order(c: Candidate) -> tuple[str, str, str]:
    return (c.ts_utc.isoformat() if c.ts_utc else "", c.kind, c.event_id)


def occasions_sentence(count: OccasionCount | None, rule: str = "") -> str:
    """``on 2 occasions (20/02/2026 and 27/02/2026)``: the confirmed occasions, from the one count."""
    from atlas.wording import plural

    if count is None or not count.confirmed:
        return "on no occasion"
    days = [uk_date(d) for d in count.confirmed_dates]
    listed = days[0] if len(days) == 1 else ", ".join(days[:-1]) + " and " + days[-1]
    return f"on {plural(count.confirmed, 'occasion')} ({listed})"
