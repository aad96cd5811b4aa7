"""The reviewer's note: what the sergeant and the CPS lawyer need that is not evidence.

Everything the MG11 must not say lives here (``shared/DOMAIN.md``, "Disclosure and the
CPS file"): the s2A clock, the s4A indicators with every candidate message quoted in full
for a person to confirm, breaches per order with the rule that makes them an offence,
gaps that may break the course of conduct, identity links awaiting a decision and what
confirming them would change, warnings, and points to review. It is marked NOT EVIDENCE
and not for service on every page. Each legal statement cites its rule as the rules file
gives it (:mod:`atlas.rules`); nothing legal is written here in words of its own.

Numbers come from the same analysis the statement used (the confirmed view), and the
"after" of a pending link from the same analysis run with proposed links
(``inputs.conduct_proposed``): the note never recomputes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, Final

import polars as pl

from atlas.conduct import ConductResult
from atlas.conduct.assumptions import ADVICE, AS_OF
from atlas.conduct.candidates import OccasionCount
from atlas.conduct.impact import ImpactLink
from atlas.conduct.threat_target import ADDRESSEE, describe
from atlas.conduct.time_limit import uk_day
from atlas.decisions.naming import HANDLE_HEADER as NAMING_HANDLE_HEADER
from atlas.exhibits import PartyInfo, case_parties, identifier_label, join_list
from atlas.identity.bases import describe as describe_basis
from atlas.store import Case
from atlas.wording import plural

from . import data_requests
from .chronology import record_ref
from .decided import Decided, DecidedMessage
from .document import IDENTIFIER_CHARS, Bullets, Document, Para, Section, Table, unbroken_widths
from .findings import Findings
from .inputs import ReportInputs
from .redaction import free_text, redaction_note
from .review_view import change, pending_effect, place_label
from .review_view import warnings as review_warnings
from .style import uk_date, uk_time
from .tagged import describe_finding

MARKING: Final = "NOT EVIDENCE \u2013 NOT FOR SERVICE"
BANNER: Final = ("For the reviewing officer and the CPS (with the MG3), not for service on the defence. Not evidence: "
                 "the statement (MG11) holds the evidence.")
MAX_CANDIDATES: Final = 400
"""Candidate messages quoted one by one; beyond this the note says how many more there are."""
HANDLE_HEADER: Final = NAMING_HANDLE_HEADER.capitalize()
"""The last column of a table of items awaiting a decision: the item is named by its time and records, and
its hex handle is only what the officer types into ``atlas … --confirm`` (never the item's name)."""


def weekday_date(value: Any) -> str:
    """``Sunday 14/02/2027`` (:func:`atlas.conduct.time_limit.uk_day`) from a date or an ISO string."""
    if not value:
        return "not known"
    return uk_day(value if isinstance(value, date) else date.fromisoformat(str(value)[:10]))


def _records(case: Case, ids: Sequence[str], refs: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """The named records (text, time, channel, sender) with their exhibit record reference."""
    if not ids:
        return {}
    frame = (case.events().filter(pl.col("event_id").is_in(sorted(set(ids))))
             .select("event_id", "source_id", "source_ref", "ts_utc", "channel", "sender", "text").collect())
    return {r["event_id"]: {**r, "ref": record_ref(refs.get(r["source_id"], r["source_id"]), r["source_ref"])}
            for r in frame.iter_rows(named=True)}


def _display(uri: str, refs: Mapping[str, str]) -> str:
    """A display name with the exhibit that shows it (two sources may both hold 'Gordon (work)')."""
    return identifier_label(refs, uri)


def build(inputs: ReportInputs, findings: Findings, case: Case, refs: Mapping[str, str],
          warnings: Sequence[str] = (), missing_continuity: Sequence[str] = (), decided: Decided | None = None) -> Document:
    """The note for ``inputs`` (``refs``: source id → exhibit reference)."""
    m = inputs.manifest
    rules = inputs.rules
    conduct = findings.conduct  # without --as-of, the analysis without sentences quoting today (findings)
    subject = inputs.suspect.name if inputs.suspect and inputs.suspect.name else "the suspect"
    facts: dict[str, Any] = {}
    sections: list[Section] = []
    prov = rules.provenance()
    notice = rules.notice

    intro = Section("About this note")
    intro.blocks.append(Para(
        f"{notice} Rules are applied from {prov.get('rules_file', 'the rules file')} version "
        f"{prov.get('rules_version', '?')} (SHA-256 {prov.get('rules_sha256', '?')}); each point below cites its rule.",
        numbered=False))
    if redaction_note(case):
        intro.blocks.append(Para(redaction_note(case), numbered=False, emphasis=True))
    intro.blocks.append(Para(
        f"As of: {uk_date(inputs.as_of) if inputs.as_of else 'not given (run atlas report with --as-of DATE): days left are not stated'}.",
        numbered=False))
    sections.append(intro)

    if conduct is None:
        none = Section("Course of conduct")
        none.blocks.append(Para("The course of conduct was not analysed (case.toml names no suspect or no victim): no "
                                "time limit, indicator or breach is assessed."))
        sections.append(none)
    else:
        dec = decided or Decided()
        sections += [_s2a(inputs, findings, case, refs, facts), _gaps(conduct, facts),
                     _s4a(inputs, conduct, dec, facts), _impact(inputs, conduct, facts),
                     _orders(inputs, conduct, refs, facts, case), _possible_colocations(inputs, conduct, case, facts)]
    sections.append(data_requests.note_section(inputs.triage, facts))
    sections.append(_pending(inputs, findings, conduct, facts, refs))
    warn = Section("Warnings")
    items = review_warnings(inputs, findings, warnings, refs)
    if items:
        warn.blocks.append(Bullets(items))
    else:
        warn.blocks.append(Para("No warning.", numbered=False))
    facts["warnings"] = len(items)
    sections.append(warn)
    sections.append(_decisions(case, refs, facts, conduct, decided, subject))
    sections.append(_points(inputs, conduct, case, refs, subject, missing_continuity))
    if conduct is not None:
        sections.append(_assumed(conduct, facts))

    from .statement import created_at

    return Document(title="REVIEWER'S NOTE", reference=m.reference, sections=sections, created=created_at(inputs),
                    author=m.analyst or m.officer, marking=MARKING, banner=BANNER,
                    subject="Reviewer's note produced by Atlas (not evidence)", facts=facts)


def _s2a(inputs: ReportInputs, findings: Findings, case: Case, refs: Mapping[str, str],
         facts: dict[str, Any]) -> Section:
    """The s2A clock as the verdict object gives it (:class:`atlas.conduct.time_limit.S2AVerdict`)."""
    v = findings.s2a
    sec = Section(f"The {v.short if v else 's2A'} time limit")
    if v is None or v.last_incident is None or v.deadline is None:
        sec.blocks.append(Para(v.headline[:1].upper() + v.headline[1:] + "." if v else
                               "The time limit was not assessed (no course-of-conduct analysis)."))
        facts["s2a_state"] = v.state.value if v else None
        return sec
    li = v.last_incident
    facts.update({"s2a_last_incident": li.day.isoformat(), "s2a_deadline": v.deadline.isoformat(),
                  "s2a_state": v.state.value, "s2a_in_time_at_charge_date": v.in_time_at_charge_date})
    recs = _records(case, list(li.event_ids), refs)
    shown = join_list(sorted(r["ref"] for r in recs.values())) or "not recorded"
    rows = [["Verdict", v.headline[:1].upper() + v.headline[1:]],
            ["Last incident", f"{uk_time(li.ts) if li.ts else uk_date(li.day)} ({shown})"],
            ["Last day to lay the information", uk_day(v.deadline) + (
                f" ({v.deadline_not_a_working_day}; last working day {uk_day(v.last_working_day)})"
                if v.deadline_not_a_working_day and v.last_working_day else "")]]
    if v.as_of is not None and v.days_left is not None:
        facts["s2a_days_left"] = v.days_left
        rows.append(["As of", f"{uk_day(v.as_of)} ({v.as_of_basis})"])
        rows.append(["Days left", v.days_left_text])
    rows.append(["Planned charge date (case.toml)", uk_day(v.charge_date) if v.charge_date else "not set"])
    sec.blocks.append(Table(["The clock", f"As the rules file gives it for {v.offence}"], rows, widths=[1.5, 4]))
    s2a_offence = inputs.rules.offence("pha-s2a")
    sec.blocks.append(Para(f"Rule: an offence under {s2a_offence.section} is "
                           f"{inputs.rules.mode(s2a_offence.mode_of_trial).plain}, and {v.limit} ({v.rule}).",
                           numbered=False, emphasis=True))
    if v.deadline_not_a_working_day and v.last_day_note and not v.last_day_note_warned:
        sec.blocks.append(Para(v.last_day_note, numbered=False))  # said once: the weekend warning quotes it
    for w in v.warnings:
        sec.blocks.append(Para(f"Warning: {w.rstrip('.')}.", numbered=False))
    for text in v.law:
        sec.blocks.append(Para(text, numbered=False))
    s4a = inputs.rules.offence("pha-s4a")
    limit = inputs.rules.time_limit(s4a.time_limit)
    sec.blocks.append(Para(f"An offence under {s4a.section} is {inputs.rules.mode(s4a.mode_of_trial).plain} and has "
                           f"{limit.plain} ({limit.citation}).", numbered=False))
    return sec


def _assumed(conduct: ConductResult, facts: dict[str, Any]) -> Section:
    """The analysis's advice assumptions (declared by audience where the analysis makes them): the
    technical annex, served on the defence, gives the method ones only. The as-of date is left out
    (by its key): the note states it, with its basis, in About this note and the s2A table."""
    sec = Section("What this note's advice assumes")
    advice = [a.text for a in conduct.assumption_records if a.audience == ADVICE and a.sentence != AS_OF]
    facts["advice_assumptions"] = len(advice)
    sec.blocks.append(Para("The analysis recorded these assumptions behind the time limit and the inferences in this "
                           "note. They are advice, not in the technical annex, which gives the method's assumptions "
                           "and is served with the statement.", numbered=False))
    sec.blocks.append(Bullets(advice) if advice else Para("None.", numbered=False))
    return sec


def _gaps(conduct: ConductResult, facts: dict[str, Any]) -> Section:
    sec = Section("Course of conduct and gaps that may break it")
    cc = conduct.course_of_conduct
    inc = conduct.incidents
    facts["incidents"] = len(inc)
    span = (f" from {uk_date(cc.get('first_incident'))} to {uk_date(cc.get('last_incident'))}"
            if cc.get("first_incident") else "")
    sec.blocks.append(Para(
        f"{plural(len(inc), 'incident')} (occasions: {cc.get('occasion_rule', 'one UK calendar day each')})"
        f"{span}. Rule: {cc.get('citation', '')}."))
    gaps = conduct.gaps
    facts["gaps"] = len(gaps)
    if gaps:
        sec.blocks.append(Table(["From", "To", "Days from one incident to the next"],
                                [[uk_date(g.start), uk_date(g.end), str(g.days)] for g in gaps],
                                widths=[1, 1, 1.5]))
        sec.blocks.append(Para(str(cc.get("gap_note") or ""), numbered=False, emphasis=True))
    elif len(inc) < 2:
        sec.blocks.append(Para("With fewer than two incidents there is no gap between incidents to judge."))
    else:
        sec.blocks.append(Para(f"No gap between incidents is longer than "
                               f"{conduct.options.get('gap_days', 28)} days."))
    if cc.get("occasion_note"):
        sec.blocks.append(Para(str(cc["occasion_note"]), numbered=False, emphasis=True))
    return sec


def _dates(days: Sequence[date]) -> str:
    return ", ".join(uk_date(d) for d in days) if days else "none"


def _candidate_rows(msgs: Sequence[DecidedMessage]) -> list[list[str]]:
    return [[m.uk_time, f"{m.from_name} \u2192 {m.to_name}", m.text, m.exhibit, m.flagged,
             f"{m.rank}; {m.state_text}"] for m in msgs[:MAX_CANDIDATES]]


CANDIDATE_HEAD: Final = ["When (UK)", "From \u2192 to", "Message (in full)", "Exhibit record", "Flagged (rule)",
                         "Rank; decision"]
CANDIDATE_WIDTHS: Final = [1.2, 1.1, 2.5, 1.15, 1.25, 1.6]


def _whom_named(inputs: ReportInputs, count: OccasionCount, confirmed: Sequence[DecidedMessage]) -> str:
    """Which confirmed occasions rest only on words naming someone or something other than the
    victim, and why that matters for s4A(1)(b)(i): her fear of violence against herself."""
    others = count.not_named_dates
    if not others:
        return ""
    her = inputs.her
    named: dict[str, list[str]] = {}
    messages = sum(1 for m in confirmed if m.occasion in others)
    one = messages == 1
    for m in confirmed:
        if m.occasion in others:
            words = [f"the person written to, not {her.object}" if x == ADDRESSEE else describe((x,))
                     for x in m.threatened] or ["no one named"]
            shown = named.setdefault(uk_date(m.occasion), [])
            shown += [w for w in words if w not in shown]
    days = "; ".join(f"{d} ({', '.join(n)})" for d, n in named.items())
    whose, this, it = ("message's", "this message", "it is") if one else ("messages'", "these messages", "they are")
    return (f"On {plural(len(others), 'confirmed occasion')} the confirmed {whose} words do not name {her.object} "
            f"as the one to be harmed: {days}. The threat rules flag threats against the person written to, someone "
            "close to them, a pet or property alike, because each is a threat a person must read; but s4A(1)(b)(i) "
            f"needs {her.object} to fear that violence will be used against {her.object}. Whether {this} caused "
            f"{her.object} that fear (a threat to {her.possessive} home or family may do so) is for {her.possessive} "
            f"account, not the data; otherwise {it} evidence for s4A(1)(b)(ii) (serious alarm or distress) and of "
            "the course of conduct. The reading of whom the words name is Atlas's (atlas/conduct/threat_target.py, "
            "from the rules file's word classes), not a finding.")


def _s4a(inputs: ReportInputs, conduct: ConductResult, decided: Decided, facts: dict[str, Any]) -> Section:
    """The s4A threat indicator from the one count (:class:`~atlas.conduct.candidates.OccasionCount`),
    every candidate with its decision, and what confirming the open ones would change."""
    s4a = conduct.s4a
    off = inputs.rules.offence("pha-s4a")
    sec = Section(f"{off.short} indicators, for a person to confirm")
    count = decided.count or conduct.occasion_count
    threshold = count.threshold if count is not None else int(s4a.get("threshold", 2))
    threats = list(decided.threats)
    open_, confirmed, dismissed = (decided.threats_in(None), decided.threats_in("confirmed"),
                                   decided.threats_in("dismissed"))
    facts.update({"threat_candidates": len(threats), "threat_candidates_open": len(open_),
                  "threat_candidates_confirmed": len(confirmed), "threat_candidates_dismissed": len(dismissed),
                  "threat_occasions_confirmed": count.confirmed if count else 0,
                  "threat_occasions_pending": count.pending if count else 0,
                  "threat_occasions_if_all_confirmed": count.if_all_confirmed if count else 0,
                  "threat_occasions": count.if_all_confirmed if count else 0})
    likely = sum(1 for m in threats if m.tier == "occasion")
    flagged = (
        f"Atlas's threat rules flagged {plural(len(threats), 'message')} as possible threats of violence "
        f"({likely} ranked as likely threats, {len(threats) - likely} on the wider review list): "
        f"{len(confirmed)} confirmed by an officer, {len(dismissed)} dismissed, {len(open_)} awaiting a decision. "
        if threats else
        "Atlas's threat rules flagged no message as a possible threat of violence, so none awaits a decision. That is "
        "not a finding that no message threatened: the rules read only the written words of messages, and a threat in "
        "other words, in a picture or a voice note, or in a message not in the downloads is not flagged. ")
    sec.blocks.append(Para(
        flagged +
        "A flag is not a threat and not proof of fear. Only confirmed messages are quoted in the statement; a "
        "dismissed one is stated nowhere as a finding and is listed on the MG6C (an officer's reasoned view that a "
        "flagged message is not a threat may assist the defence). atlas threats CASE lists each message with "
        "the handle to type to confirm or dismiss it (--confirm HANDLE --note \"why\")."))
    if count is not None:
        rows = [["Confirmed by an officer", f"{count.confirmed} ({_dates(count.confirmed_dates)})"],
                ["Awaiting a decision (an open likely-threat message, none confirmed that day)",
                 f"{count.pending} ({_dates(count.pending_dates)})"],
                ["If every open likely-threat candidate were confirmed", str(count.if_all_confirmed)],
                ["Further days with only a review-list message awaiting a decision",
                 f"{len(count.review_dates)} ({_dates(count.review_dates)})"],
                ["Needed", f"at least {threshold} ({s4a.get('citation', off.threat_occasions_citation)})"],
                [f"Of the confirmed: a confirmed message sent to {inputs.her.object} whose words name "
                 f"{inputs.her.object} as the one to be harmed", f"{count.named} ({_dates(count.named_dates)})"],
                ["Of the pending: the same, in an open likely-threat message",
                 f"{len(count.pending_named_dates)} ({_dates(count.pending_named_dates)})"]]
        sec.blocks.append(Table(["Threat occasions", "Count (UK dates)"], rows, widths=[3, 3.5]))
        facts.update({"threat_occasions_confirmed_naming_victim": count.named,
                      "threat_occasions_pending_naming_victim": len(count.pending_named_dates)})
        limit = inputs.rules.time_limit(off.time_limit)
        if count.met:
            verdict = (f"On confirmed messages the threat indicator is met: {plural(count.confirmed, 'occasion')}, at "
                       f"least {threshold} needed. {off.section} is {inputs.rules.mode(off.mode_of_trial).plain} and has "
                       f"{limit.plain} ({limit.citation}): review the classification.")
            if count.named < threshold:
                some = ("no occasion names" if count.named == 0 else
                        f"{plural(count.named, 'occasion')} {'names' if count.named == 1 else 'name'}")
                verdict += f" On the words alone, {some} {inputs.her.object} as the one to be harmed: see the next paragraph."
        elif count.met_if_confirmed:
            verdict = (f"On confirmed messages the threat indicator is not met ({plural(count.confirmed, 'occasion')}, "
                       f"at least {threshold} needed). Confirming the open likely-threat candidates on "
                       f"{plural(count.pending, 'further occasion')} would make {count.if_all_confirmed}: it would "
                       f"then be met, and {off.section} ({inputs.rules.mode(off.mode_of_trial).plain}, {limit.plain}) "
                       "would need to be considered. Read each open message below first.")
        else:
            verdict = (f"The threat indicator is not met ({plural(count.confirmed, 'confirmed occasion')}, at least "
                       f"{threshold} needed), and would not be met even if every open candidate were confirmed "
                       f"({count.if_all_confirmed}).")
        sec.blocks.append(Para(verdict, numbered=False, emphasis=True))
        whom = _whom_named(inputs, count, confirmed)
        if whom:
            sec.blocks.append(Para(whom))
    if threats:
        sec.blocks.append(Table(CANDIDATE_HEAD, _candidate_rows(threats), caption="Every threat candidate",
                                widths=CANDIDATE_WIDTHS, small=True))
        if len(threats) > MAX_CANDIDATES:
            sec.blocks.append(Para(f"{len(threats) - MAX_CANDIDATES} further candidates are in the interactive report "
                                   "and atlas threats.", numbered=False))
    behaviours = list(decided.behaviours)
    if behaviours:
        b_open = decided.behaviours_in(None)
        facts["behaviour_candidates"] = len(behaviours)
        facts["behaviour_candidates_open"] = len(b_open)
        sec.blocks.append(Para(
            f"{plural(len(behaviours), 'message')} flagged as referring to acts the Act lists as associated with "
            f"stalking ({inputs.rules.offence('pha-s2a').examples_citation}): "
            f"{len(decided.behaviours_in('confirmed'))} confirmed, {len(decided.behaviours_in('dismissed'))} dismissed, "
            f"{len(b_open)} awaiting a decision. Only confirmed ones are quoted in the statement."))
        sec.blocks.append(Table(CANDIDATE_HEAD, _candidate_rows(behaviours), caption="Every behaviour candidate",
                                widths=CANDIDATE_WIDTHS, small=True))
    indicators = [f"{d.get('indicator')}: {d.get('detail')}" for d in s4a.get("distress_indicators") or []
                  if isinstance(d, dict)]
    if indicators:
        sec.blocks.append(Para(f"Indicators that may be relevant to serious alarm or distress "
                               f"({s4a.get('distress_citation', '')}):", numbered=False))
        sec.blocks.append(Bullets(indicators))
    shown = [b for b in conduct.behaviours if b.get("shown")]
    if shown:
        sec.blocks.append(Para("Behaviours of the kinds the Act lists that the data shows "
                               f"({inputs.rules.offence('pha-s2a').examples_citation}):", numbered=False))
        sec.blocks.append(Bullets([f"{b.get('title')} ({b.get('citation')}): {b.get('basis')}" for b in shown]))
    return sec


def _impact(inputs: ReportInputs, conduct: ConductResult, facts: dict[str, Any]) -> Section:
    """The victim's account of impact beside the incidents before each entry: her account, not data."""
    sec = Section("The victim's account of impact")
    acc = conduct.impact
    s4a = inputs.rules.offence("pha-s4a")
    facts["impact_entries"] = len(acc.links) if acc else 0
    if acc is None or not acc.links:
        sec.blocks.append(Para("No impact entry is recorded (case.toml [[impact]], atlas impact add). The victim's "
                               f"account of the effect on {inputs.her.possessive} day-to-day life is the key evidence for {s4a.short} "
                               f"({s4a.distress_citation})."))
        return sec
    sec.blocks.append(Para(
        f"{plural(len(acc.links), 'entry', 'entries')}: {acc.label}. Each is shown beside the incidents on the "
        f"{acc.window_days} days before it and on its date. Rule: {s4a.distress_citation}. The statement does not "
        f"state {inputs.her.possessive} account (it belongs in {inputs.her.possessive} own statement, which each entry "
        "names as its source)."))
    confirmed = set(conduct.occasion_count.confirmed_dates) if conduct.occasion_count else set()
    rows = [[uk_date(lk.entry.date), f"{lk.entry.what} ({lk.entry.category})",
             f"{lk.entry.source}; recorded by {lk.entry.recorded_by}", linked_incidents(lk, confirmed)]
            for lk in acc.links]
    sec.blocks.append(Table(["Date", f"What {inputs.her.subject} {inputs.her.verb('describes', 'describe')}", "Source", f"Incidents in the {acc.window_days} days before"],
                            rows, widths=[1.0, 2.3, 1.8, 2.6], small=True))
    return sec


def linked_incidents(link: ImpactLink, confirmed: set[date]) -> str:
    """``11 incidents, 10/02/2026 to 23/02/2026; threats confirmed on …; threat candidates on …; breaches on …``."""
    inc = link.incidents
    span = "" if not inc else (f", {uk_date(inc[0].date)}" if len(inc) == 1 else
                               f", {uk_date(inc[0].date)} to {uk_date(inc[-1].date)}")
    sure = [uk_date(i.date) for i in inc if i.date in confirmed]
    maybe = [uk_date(i.date) for i in inc if i.threat_candidate and i.date not in confirmed]
    breaches = [uk_date(i.date) for i in inc if i.breach]
    return (plural(len(inc), "incident") + span + (f"; threats confirmed on {', '.join(sure)}" if sure else "")
            + (f"; threat candidates (awaiting a decision) on {', '.join(maybe)}" if maybe else "")
            + (f"; breaches on {', '.join(breaches)}" if breaches else ""))


def _about(about: str, refs: Mapping[str, str], links: Mapping[str, tuple[str, str]] | None = None,
           finding: Callable[[str], str] | None = None, parties: Mapping[str, PartyInfo] | None = None) -> str:
    """What a note is about, for people (a record by its exhibit, a link by its two sides, a finding by what
    it is: never an id). ``links`` (link id → its two identifiers) and ``finding`` name the keys Atlas wrote
    for them (``link:L…``, ``finding:<kind>:<key>``); without them, or for one the case no longer holds, the
    key is shown as written."""
    from atlas.decisions.naming import link_name
    from atlas.exhibits import cited_ref

    kind, _, item = about.partition(":")
    if about == "case":
        return "the case"
    if kind == "event":
        return cited_ref(refs, item)
    if kind == "link" and links is not None and item in links:
        a, b = links[item]
        return link_name(refs, parties or {}, a, b)
    if kind == "finding" and finding is not None:
        return finding(item)
    if "@" in about:
        k, _, event = about.partition("@")
        return f"{k} candidate, {cited_ref(refs, event)}"
    return about


def _decisions(case: Case, refs: Mapping[str, str], facts: dict[str, Any], conduct: ConductResult | None = None,
               decided: Decided | None = None, subject: str = "the suspect") -> Section:
    """Officers' notes and the exhibits they tagged (who and when): for the reviewer, not evidence."""
    from atlas.decisions.exhibits import tagged
    from atlas.decisions.notes import notes

    sec = Section("Officers' notes and tagged exhibits")
    ns, tags = notes(case), tagged(case)
    facts["notes"], facts["tagged_exhibits"] = len(ns), len(tags)
    if tags:
        sec.blocks.append(Para(f"{plural(len(tags), 'item')} tagged as "
                               f"{'an exhibit, produced' if len(tags) == 1 else 'exhibits, each produced'} in the "
                               "statement:"))
        sec.blocks.append(Table(["Exhibit", "Item", "Tagged by", "Reason"],
                                [[t.reference, (_about(t.target, refs)
                                                + (f": {free_text(case, t.description)}" if t.description else "")
                                                if t.kind == "event" else
                                                describe_finding(t.item, conduct, decided, refs, subject)[0]),
                                  f"{t.tagged_by}, {uk_time(t.tagged_at)}", free_text(case, t.note)] for t in tags],
                                widths=[0.7, 3.2, 1.6, 2.0], small=True))
    if ns:
        from atlas.identity import read_links

        links = {lk.link_id: (lk.a, lk.b) for lk in read_links(case)}

        def finding(item: str) -> str:
            return describe_finding(item, conduct, decided, refs, subject)[0]

        sec.blocks.append(Para(f"{plural(len(ns), 'note')} by officers (not evidence; not in the statement):"))
        parties = case_parties(case)
        sec.blocks.append(Table(["About", "Note", "By"], [[_about(n.about, refs, links, finding, parties), free_text(case, n.text),
                                                           f"{n.by}, {uk_time(n.at)}"]
                                                          for n in ns], widths=[2.0, 3.5, 2.0], small=True))
    if not tags and not ns:
        sec.blocks.append(Para("No note and no tagged exhibit."))
    return sec


def _orders(inputs: ReportInputs, conduct: ConductResult, refs: Mapping[str, str], facts: dict[str, Any],
            case: Case | None = None) -> Section:
    sec = Section("Breaches per order")
    orders = conduct.orders
    breaches = conduct.breaches
    facts["breaches"] = len(breaches)
    if not orders:
        sec.blocks.append(Para("No order is recorded in case.toml."))
    for o in orders:
        mine = [b for b in breaches if b.order == o.order]
        status = o.by_identifier_status or {}
        sec.blocks.append(Para(
            f"{o.title} {o.order} ({o.order_citation}): "
            f"{plural(o.contact_breaches, 'contact')} and "
            f"{plural(o.zone_breaches, 'presence')} in an exclusion zone while in force"
            + (f", and {plural(o.confirmed_possible_breaches, 'possible breach', 'possible breaches')} of its exclusion "
               "zone confirmed by an officer" if o.confirmed_possible_breaches else "")
            + f" ({len(mine)} in all"
            + ("; contacts by the status of the identifier used: "
               + ", ".join(f"{k} {v}" for k, v in sorted(status.items())) if status else "")
            + f"). {o.breach_rule}."))
        for text in o.law:
            sec.blocks.append(Para(text, numbered=False))
        if o.law_warning:
            sec.blocks.append(Para(f"Warning: {o.law_warning}", numbered=False))
        if o.indirect_contacts:
            sec.blocks.append(Para(f"{plural(o.indirect_contacts, 'contact')} with others in {inputs.her.possessive} network: "
                                   f"{o.indirect_note}.", numbered=False))
    within = sum(o.possible_within_breaches for o in orders)
    if within:
        sec.blocks.append(Para(f"{plural(within, 'further location record')} with no stated accuracy fell within visits "
                               "already counted as breaches from positions that state one; not counted again.",
                               numbered=False))
    sec.blocks += _possible_breaches(inputs, conduct, case, facts)
    return sec


def _possible_breaches(inputs: ReportInputs, conduct: ConductResult, case: Case | None,
                       facts: dict[str, Any]) -> list[Para | Table]:
    """Every possible breach of an exclusion zone with its decision, and what confirming the open ones
    would change (incidents, last incident, the s2A deadline): advice for the reviewer, never in the statement."""
    items = conduct.breach_reviews or ()
    facts["possible_breaches"] = len(conduct.possible_breaches)
    facts["possible_breaches_confirmed"] = len(conduct.confirmed_breaches)
    facts["possible_breaches_open"] = len(conduct.open_breaches)
    if not items:
        return []
    dismissed = sum(1 for b in items if b.state == "dismissed")
    # orders whose type's breach the rules file does not count as an incident: confirming adds a breach only
    not_incident = sorted({b.order for b in items if not b.is_incident})
    out: list[Para | Table] = [Para(
        f"{plural(len(items), 'possible breach', 'possible breaches')} of an exclusion zone "
        f"{'rests' if len(items) == 1 else 'rest'} on a position with no "
        "stated accuracy inside the zone, or an accuracy circle straddling its boundary: "
        f"{len(conduct.confirmed_breaches)} confirmed by an officer (counted as breaches, and as incidents where the "
        f"order's breach is one, always shown as confirmed), {dismissed} dismissed (never counted), "
        f"{len(conduct.open_breaches)} awaiting a decision (listed, not counted). Check each against other evidence "
        "(the victim's account, CCTV, another exhibit), then atlas breaches CASE --confirm HANDLE --note \"...\" "
        "(or --dismiss), HANDLE being the item's command handle (the table's last column)."
        + (f" Under the rules file a breach of {', '.join(not_incident)} (its order type) is not itself an incident "
           "of the course of conduct: confirming a possible breach of it counts a breach of the order, never an "
           "incident day, and cannot move the last incident or the s2A deadline." if not_incident else ""))]

    def decision(b: Any) -> str:
        if b.decided is None:
            return b.status + (" (a day with no other incident)" if b.state == "open" and b.new_day else "")
        note = free_text(case, b.decided.note) if case is not None else b.decided.note
        return f"{b.state} by {b.decided.officer}, {b.decided.day}: {note}"
    # the records by exhibit, so that the reviewer can check each against its exhibits (as the CLI lists them)
    # each named by its time and records; its handle last, labelled as what the officer types into the command
    out.append(Table(["When (UK)", "Order", "Zone", "Closest", "Records", "Why only possible", "Decision",
                      HANDLE_HEADER],
                     [[uk_time(b.start), b.order, place_label(inputs, b.place, None),
                       f"{b.possible.min_distance_m:.0f} m", b.records_by_exhibit(), b.basis, decision(b), b.id]
                      for b in items],
                     # records named whole ('JA/9, row 12') need room; a date and 'Closest' (bold) on one line
                     widths=unbroken_widths([1.2, 1.0, 1.0, 0.95, 1.8, 1.3, 1.4, 1.3],
                                            {0: len("06/06/2026"), 3: len("Closest") + 1}, small=True), small=True))
    effect = conduct.breach_effect
    if effect is not None:
        facts["possible_breaches_if_confirmed"] = effect.to_json()

        out.append(Para(
            f"If the {plural(effect.open, 'open one')} were confirmed: breaches "
            f"{change(len(conduct.breaches), len(conduct.breaches) + effect.open)}; incidents "
            f"{change(effect.incidents_now, effect.incidents_if_confirmed)}; last incident "
            f"{change(_day(effect.last_incident_now), _day(effect.last_incident_if_confirmed))}; last day to lay an "
            f"information under {inputs.rules.offence('pha-s2a').short} "
            f"{change(_day(effect.deadline_now), _day(effect.deadline_if_confirmed))}"
            + (f" (new incident days: {', '.join(uk_date(d) for d in effect.added_dates)})" if effect.added_dates else "")
            + ". Until an officer confirms them, the verdict above runs from the last incident without them."))
    return out


def _day(d: date | None) -> str:
    return uk_date(d) if d else "none"


def _possible_colocations(inputs: ReportInputs, conduct: ConductResult, case: Case, facts: dict[str, Any]) -> Section:
    """Every possible co-location with its decision, and what confirming the open ones would change
    (incidents, last incident, the s2A deadline): advice for the reviewer, never in the statement."""
    sec = Section("Possible co-locations: for an officer to confirm or dismiss")
    items = conduct.colocation_reviews
    facts["possible_colocations"] = len(items)
    facts["possible_colocations_confirmed"] = len(conduct.confirmed_colocations)
    facts["possible_colocations_open"] = len(conduct.open_colocations)
    if not items:
        sec.blocks.append(Para("No possible co-location: every co-location found rests on positions with a stated "
                               "accuracy."))
        return sec
    dismissed = sum(1 for c in items if c.state == "dismissed")
    sec.blocks.append(Para(
        f"{plural(len(items), 'possible co-location')} of {inputs.suspect.name if inputs.suspect else 'the suspect'}'s "
        f"device with the victim's own recorded positions or a place named in the case {'rests' if len(items) == 1 else 'rest'} "
        "on a position with no "
        f"stated accuracy: {len(conduct.confirmed_colocations)} confirmed by an officer (counted as incidents, always "
        f"shown as confirmed), {dismissed} dismissed (never counted), {len(conduct.open_colocations)} awaiting a decision "
        "(listed, not counted). Check each against other evidence (the victim's account, CCTV, another exhibit), then "
        "atlas colocations CASE --confirm HANDLE --note \"...\" (or --dismiss), HANDLE being the item's command "
        "handle (the table's last column)."))
    def decision(c: Any) -> str:
        if c.decided is None:
            return c.status
        return f"{c.state} by {c.decided.officer}, {c.decided.day}: {free_text(case, c.decided.note)}"
    bases = sorted({c.basis for c in items})
    one_basis = len(bases) == 1
    if one_basis:
        sec.blocks.append(Para(f"Each rests on the same kind of data: {bases[0]}.", numbered=False))
    sec.blocks.append(Table(
        ["From (UK)", "Place", "Closest", "Accuracy (his / hers)", "Records (his / hers)",
         *([] if one_basis else ["Why only possible"]), "Decision", HANDLE_HEADER],
        [[uk_time(c.start), place_label(inputs, c.colocation.place, c.colocation.kind),
          f"{c.colocation.min_distance_m:.0f} m", c.short_accuracy, c.records_by_exhibit(),
          *([] if one_basis else [c.basis]),
          decision(c) + (" (a day with no other incident)" if c.state == "open" and c.new_day else ""), c.id]
         for c in items],
        widths=unbroken_widths([1.2, 1.15, 0.95, 1.15, 1.8, *([] if one_basis else [1.3]), 1.4, 1.3],
                               {0: len("06/06/2026"), 2: len("Closest") + 1}, small=True), small=True))
    effect = conduct.colocation_effect
    if effect is not None:
        facts["possible_colocations_if_confirmed"] = effect.to_json()
        sec.blocks.append(Para(
            f"If the {plural(effect.open, 'open one')} were confirmed: incidents "
            f"{change(effect.incidents_now, effect.incidents_if_confirmed)}; last incident "
            f"{change(_day(effect.last_incident_now), _day(effect.last_incident_if_confirmed))}; last day to lay an "
            f"information under {inputs.rules.offence('pha-s2a').short} "
            f"{change(_day(effect.deadline_now), _day(effect.deadline_if_confirmed))}"
            + (f" (new incident days: {', '.join(uk_date(d) for d in effect.added_dates)})" if effect.added_dates else "")
            + ". Until an officer confirms them, the verdict above runs from the last incident without them."))
    return sec


def _pending(inputs: ReportInputs, findings: Findings, conduct: ConductResult | None,
             facts: dict[str, Any], refs: Mapping[str, str]) -> Section:
    sec = Section("Identity links awaiting a decision")
    links = [link for link in inputs.identity_links if link.status == "proposed"]
    facts["pending_links"] = len(links)
    if not links:
        sec.blocks.append(Para("No identity link is awaiting a decision."))
        return sec
    # each side in its own column, each holding an identifier unbroken (one 'A ↔ B' cell broke 'tel:|+447700900016'):
    # the rule of every identifier column, widened for a longer identifier than it allows
    pairs = [[_display(link.a, refs), _display(link.b, refs), link.basis, link.strength,
              "" if link.score is None else f"{link.score:.2f}"] for link in links]
    head = ["Identifier", "Linked to", "Basis", "Strength", "Score"]
    longest = {i: max([*(len(w) + 1 for w in head[i].split()),  # a heading is bold: a character wider
                       *(len(w) for r in pairs for w in r[i].split())]) for i in (0, 1, 3, 4)}
    longest |= {i: max(longest[i], IDENTIFIER_CHARS) for i in (0, 1)}  # the basis column takes what is left
    sec.blocks.append(Table(head, pairs, widths=unbroken_widths([3, 3, 1.7, 1.2, 0.7], longest, small=False)))
    rows, counts = pending_effect(inputs)
    if not rows:
        sec.blocks.append(Para("What confirming them would change was not computed (the analysis with proposed links "
                               "is not available)."))
        return sec
    facts["if_confirmed"] = counts
    sec.blocks.append(Table(["", "Now (confirmed links only)", "If all links above were confirmed"], [list(r) for r in rows],
                            widths=[1.5, 1.5, 2]))
    sec.blocks.append(Para("Only confirmed links are used in the statement. Confirm or reject each link "
                           "(atlas link / atlas confirm) before relying on the figures on the right.", numbered=False))
    return sec


def _points(inputs: ReportInputs, conduct: ConductResult | None, case: Case, refs: Mapping[str, str],
            subject: str, missing_continuity: Sequence[str]) -> Section:
    sec = Section("Points to review")
    items: list[str] = []
    stops = list(conduct.requests_to_stop) if conduct is not None else []
    recs = _records(case, [i for s in stops for i in s.get("event_ids") or []], refs)
    for s in stops:
        ref = join_list(sorted(recs[i]["ref"] for i in s.get("event_ids") or [] if i in recs)[:2])
        items.append(f"Request to stop, {uk_time(s.get('ts'))}: \u201c{s.get('text')}\u201d ({ref}): it may show {inputs.his.subject} "
                     "knew the contact was unwanted; confirm it was received.")
    changes = conduct.identity_changes if conduct is not None else {}
    his_ids = {uri for uri, c in inputs.suspect_ids.items() if c.status in ("attributed", "confirmed")}
    for u in changes.get("unattributed_to_victim") or []:
        if isinstance(u, dict) and u.get("like_the_suspect"):
            uri = str(u.get("identifier"))
            joins = sorted({(lk.other(uri), lk.basis) for lk in inputs.identity_links
                            if lk.status == "proposed" and uri in (lk.a, lk.b) and lk.other(uri) in his_ids})
            # the links once, then what to read once (rejected-ex 61023 before any decision: tel:+447700900018's
            # point said "'Identity links awaiting a decision' above shows what confirming it would change" three
            # times, one a link)
            taken = f"already taken to be {subject}'s"
            if len(joins) == 1:
                [(other, basis)] = joins
                pending = (f"; a link awaiting a decision joins it to {_display(other, refs)}, {taken} "
                           f"({describe_basis(basis)}): 'Identity links awaiting a decision' above shows what "
                           "confirming it would change")
            elif joins:
                linked = [f"{_display(other, refs)} ({describe_basis(basis)})" for other, basis in joins]
                pending = (f"; links awaiting a decision join it to {', '.join(linked[:-1])} and {linked[-1]}, each "
                           f"{taken}: 'Identity links awaiting a decision' above shows what confirming them would change")
            else:
                pending = ""
            # the facts behind "like his": it said "behaves like Daniel Sample's identifiers", an inference without
            # its basis, and "not attributed to anyone" twice in one sentence
            back = int(u.get("from_victim") or 0)
            items.append(f"{_display(uri, refs)}: {u.get('contacts')} contacts with {inputs.her.object} between "
                         f"{uk_time(u.get('first_seen'))} and {uk_time(u.get('last_seen'))}, the first after the conduct "
                         f"began, one-way ({back} back from {inputs.her.object}); attributed to no one, so not counted "
                         f"as {inputs.his.possessive} conduct: a lead for `atlas identity`{pending}.")
    if inputs.possible_sms_parts:
        items.append(f"{inputs.possible_sms_parts} contacts counted are lone call-data-record SMS seconds apart: some may "
                     "be parts of one long message.")
    if conduct is not None:
        waiting = [c for c in conduct.candidates if conduct.decision_of(c) is None]
        threats = sum(1 for c in waiting if c.kind == "threat")
        if waiting:
            items.append(f"{plural(threats, 'threat candidate')} and {plural(len(waiting) - threats, 'behaviour candidate')} "
                         "await an officer's decision (atlas threats): the statement states none of them until "
                         "confirmed, and the MG6C lists them as flagged but undecided.")
    if missing_continuity:
        items.append("Exhibit continuity (who supplied it, date received, seal) is not complete for "
                     f"{', '.join(missing_continuity)}: record it with atlas exhibit continuity before the statement "
                     "is signed.")
    sec.blocks.append(Bullets(items))
    return sec
