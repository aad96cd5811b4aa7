"""The MG11-style witness statement, as one model rendered to DOCX and to HTML.

The statement is a draft for the officer to review, complete and sign: Atlas writes
what the data shows and how it was obtained, and marks plainly what the officer must
add (their experience) or decide. Its structure follows what an analyst's statement
gives (``shared/DOMAIN.md``, "The MG11 witness statement"): the s9 declaration, the
maker's role, the exhibits received with their hashes and how they were received, the
method and software versions, the findings with exhibited charts and tables, the s2A
time limit and s4A indicators with their rule citations, breaches of orders, what
the data can and cannot show, and an appendix tracing every figure to event ids.

The renderers (:mod:`reports.statement_docx`, :mod:`reports.statement_html`) only lay
the model out; every sentence is written here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from atlas import __version__
from atlas.conduct import ConductResult
from atlas.conduct.time_limit import uk_day
from atlas.wording import plural

from .exhibits import Exhibit
from .findings import Findings
from .inputs import ReportInputs
from .limitations import Limitations, identifier_rows
from .style import uk_date, uk_time

MAX_ROWS: Final = 60
"""Rows of a table printed in the statement; the full table is its CSV exhibit."""
MAX_IDS: Final = 8
"""Event ids printed per finding in the appendix; events.csv lists them all."""
MAX_APPENDIX_ROWS: Final = 150
"""Findings listed one by one in the appendix; the rest are summarised per kind (events.csv has them all)."""

DECLARATION: Final = (
    "This statement (consisting of {pages} page(s) each signed by me) is true to the best of my knowledge and "
    "belief and I make it knowing that, if it is tendered in evidence, I shall be liable to prosecution if I have "
    "wilfully stated in it anything which I know to be false, or do not believe to be true."
)
AUTHORITY: Final = "Criminal Procedure Rules 2020, r 16.2; Criminal Justice Act 1967, s. 9; Magistrates' Courts Act 1980, s. 5B"
DRAFT_NOTICE: Final = ("DRAFT produced by Atlas for the officer to review, correct, complete and sign. It is not a "
                       "statement until the maker has checked every paragraph and signed it.")


@dataclass
class Para:
    text: str
    numbered: bool = True
    emphasis: bool = False


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    widths: list[float] | None = None
    """Relative column widths."""
    mono: tuple[int, ...] = ()
    """Columns shown in a fixed-width font (hashes, event ids)."""


@dataclass
class Figure:
    reference: str
    path: Path
    caption: str


Block = Para | Bullets | Table | Figure


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 1


@dataclass
class Statement:
    title: str
    header: list[tuple[str, str]]
    declaration: str
    authority: str
    sections: list[Section]
    signature_date: str
    created: datetime
    author: str
    reference: str
    facts: dict[str, Any] = field(default_factory=dict)
    """The numbers the statement states (tests compare them with the analyses)."""
    integrity_notice: str | None = None
    """Set when the report was written although the case did not verify (``--unverified``):
    every page says so (the DOCX header, the HTML banner)."""


# --- helpers ------------------------------------------------------------------------------

def _stop_note(conduct: ConductResult) -> str:
    """Why the two findings paragraphs can differ in the reverse direction: requests to stop
    are contact from her, but never make the contact two-way."""
    stops = conduct.requests_to_stop
    if not stops:
        return ""
    n = len(stops)
    return (f" (not counting {n} message{'s' if n != 1 else ''} asking him to stop, which the analysis treats as "
            "requests to stop, not as two-way contact)")


def _plural(n: int, word: str, plural_form: str | None = None) -> str:
    """The one plural rule (:func:`atlas.wording.plural`): ``1 day``, ``73 matches``."""
    return plural(n, word, plural_form)


def _ref_list(refs: Sequence[str]) -> str:
    return ", ".join(refs) if refs else "none"


def _capped(rows: list[list[str]], what: str, exhibit: Exhibit | None) -> tuple[list[list[str]], str]:
    if len(rows) <= MAX_ROWS:
        return rows, ""
    where = f" (exhibit {exhibit.reference}, {exhibit.filename})" if exhibit else ""
    return rows[:MAX_ROWS], f"The first {MAX_ROWS} of {len(rows)} {what} are shown; all are listed in the table{where}."


def created_at(inputs: ReportInputs) -> datetime:
    """The statement's document date: ``--as-of`` if given, else the last ingest in the audit log.

    Never the current time, so the same case gives the same files.
    """
    if inputs.as_of is not None:
        return datetime.combine(inputs.as_of, time(12, 0), tzinfo=ZoneInfo("UTC"))
    ingests = [str(r["at"]) for r in inputs.audit if r.get("action") == "ingest"]
    if ingests:
        return datetime.fromisoformat(max(ingests)).astimezone(ZoneInfo("UTC")).replace(microsecond=0)
    return datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC"))


def _ref_key(reference: str) -> tuple[str, int]:
    prefix, _, number = reference.partition("/")
    return prefix, int(number) if number.isdigit() else 0


def _get(data: Any, *path: str, default: Any = None) -> Any:
    """``data[path[0]][path[1]]...`` or ``default``: the conduct JSON is read tolerantly."""
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return default if data is None else data


def _pct(value: Any) -> str:
    return f"{100 * float(value):.0f}%" if isinstance(value, int | float) else "not known"


# --- the statement --------------------------------------------------------------------------

@dataclass
class Produced:
    """Exhibits produced by this report, by name (``figure:contacts-per-day``, ``table:incidents``, ``events``)."""

    by_name: dict[str, Exhibit]

    def get(self, name: str) -> Exhibit | None:
        return self.by_name.get(name)

    def ref(self, name: str) -> str:
        e = self.by_name.get(name)
        return e.reference if e else "(not produced)"


def build(inputs: ReportInputs, findings: Findings, limits: Limitations, sources: Sequence[Exhibit],
          produced: Produced, figures: Sequence[tuple[str, Exhibit]]) -> Statement:
    m = inputs.manifest
    subject = inputs.suspect.name if inputs.suspect and inputs.suspect.name else "the suspect"
    victim = inputs.victim.name if inputs.victim and inputs.victim.name else "the victim"
    occupation = m.occupation or "Police officer"
    maker = m.analyst or m.officer
    facts: dict[str, Any] = {}
    sections: list[Section] = []

    # 1. role
    role = Section("Role and instructions")
    role.blocks.append(Para(
        f"I am {maker}, {occupation}{' with ' + m.force if m.force else ''}. I make this statement about the analysis "
        f"of digital evidence in investigation {m.reference}, concerning contact by {subject} with {victim}."))
    role.blocks.append(Para(
        "[Officer to complete: my training and experience in the analysis of communications data, handset downloads "
        "and social-media returns, and the instructions I received.]", emphasis=True))
    role.blocks.append(Para(
        f"I used the Atlas software (version {__version__}) to read the exhibits listed below, to put their records on "
        "one timeline, and to produce the charts and tables I exhibit. The software produced a draft of this statement; "
        "I have checked each paragraph against the exhibits."))
    sections.append(role)

    # 2. exhibits received
    ex = Section("Exhibits received")
    ex.blocks.append(Para(
        f"I received the following {_plural(len(sources), 'item')}. Each file was opened read-only and its SHA-256 hash "
        "was computed before and after it was read; the two values were the same for every file, so the file was not "
        "changed by the analysis."))
    ex.blocks.append(Table(
        ["Exhibit", "Description", "SHA-256", "How and when received"],
        [[e.reference, e.description, e.sha256, e.received] for e in sources],
        caption="Exhibits received (SHA-256 of each file as received)", widths=[0.9, 3.0, 2.6, 3.2], mono=(2,)))
    sections.append(ex)

    # 3. method
    meth = Section("Method and software")
    meth.blocks.append(Para(
        f"Atlas version {__version__} is open-source software for the analysis of digital evidence in stalking "
        "investigations. It works offline. Each exhibit was read by a parser for its format, named with its version "
        "below; every record read became either an event on the timeline or a listed reject with its reason, and the "
        "numbers were checked to add up (records read = events + rejects) before anything was stored."))
    meth.blocks.append(Table(
        ["Exhibit", "Parser (version)", "Records read", "Events", "Rejects", "Time zone used"],
        [[e.reference, e.parser, str(r["records_read"]), str(r["events"]), str(r["rejects"]), str(r["timezone"])]
         for e in sources for r in inputs.sources.filter(inputs.sources["source_id"] == e.source_id).iter_rows(named=True)],
        caption="Parsers and record counts", widths=[0.9, 2.2, 1.1, 1.0, 1.0, 1.6]))
    meth.blocks.append(Para(
        "Identifiers (telephone numbers, account names, e-mail addresses) were normalised (numbers to the international "
        "E.164 form) and attributed to people as set out under 'What this data can and cannot show'. Times were "
        "converted to UTC as described there and are given in this statement in UK local time (GMT/BST)."))
    if inputs.dedupe_rule:
        meth.blocks.append(Para("A contact recorded by more than one source is counted once. " + inputs.dedupe_rule))
    prov = inputs.rules.provenance()
    meth.blocks.append(Para(
        f"Legal rules were applied from the rules file {prov['rules_file']} version {prov['rules_version']} "
        f"(SHA-256 {prov['rules_sha256']}). {prov['notice']}"))
    sections.append(meth)

    # 4. findings
    counts = findings.counts
    facts["contacts_from_suspect"] = counts["from_suspect"]
    facts["contacts_to_suspect"] = counts["to_suspect"]
    facts["days_with_contact"] = counts["days_with_contact"]
    fnd = Section("Findings: contact between the suspect and the victim's side")
    first_last = ""
    fs = inputs.contacts.filter(inputs.contacts["way"] == "from-suspect")
    if fs.height:
        first, last = fs.get_column("ts_utc").min(), fs.get_column("ts_utc").max()
        assert isinstance(first, datetime) and isinstance(last, datetime)
        first_last = f", the first on {uk_time(first)} and the last on {uk_time(last)}"
    fnd.blocks.append(Para(
        f"The exhibits record {_plural(counts['from_suspect'], 'contact')} from identifiers attributed to {subject} to "
        f"{victim} or her family, friends or colleagues named in the case ({_plural(counts['from_suspect_messages'], 'message')} "
        f"and {_plural(counts['from_suspect_calls'], 'call')}, {counts['from_suspect_unanswered_calls']} of the calls "
        f"unanswered), on {_plural(counts['days_with_contact'], 'day')}{first_last}. "
        f"{_plural(counts['to_suspect'], 'contact')} went the other way. {counts['from_suspect_night']} of the contacts "
        "from the suspect were made at night (23:00 to 05:59 UK time). These counts, both ways, rest on "
        f"{_plural(counts['records'], 'source record')}."))
    rows = [[str(r["channel"]), str(r["from_suspect"]), str(r["to_suspect"])] for r in findings.per_channel.iter_rows(named=True)]
    fnd.blocks.append(Table(["Channel", f"From {subject}", f"To {subject}"], rows, caption="Contacts by channel",
                            widths=[2, 1, 1]))
    for _name, exhibit in figures:
        fnd.blocks.append(Figure(exhibit.reference, exhibit.path or Path(exhibit.filename),
                                 f"Exhibit {exhibit.reference}: {exhibit.description}"))
    fnd.blocks.append(Para(
        f"I produce these charts as exhibits {_ref_list([e.reference for _, e in figures])}. The contacts they show are "
        f"listed, each with every source record that shows it, in exhibit {produced.ref('table:contacts')}; the records "
        f"themselves in exhibit {produced.ref('events')}."))
    sections.append(fnd)

    # course of conduct
    if findings.conduct is None:
        coc = Section("Course of conduct")
        coc.blocks.append(Para(
            "The course of conduct (incidents, the time limit, indicators and breaches of orders) was not analysed: the "
            "case manifest does not name both a suspect and a victim. No finding on those matters is made in this "
            "statement.",
            emphasis=True))
        sections.append(coc)
    else:
        conduct_sections, conduct_facts = _conduct_sections(inputs, findings, produced, subject, victim)
        sections += conduct_sections
        facts.update(conduct_facts)

    # aliases
    refs = {e.source_id: e.reference for e in sources}
    ids = Section("Identifiers attributed to the suspect")
    ids.blocks.append(Para(
        f"The findings treat the following identifiers as used by {subject}. 'Attributed' identifiers are the officer's "
        "attribution in the case; 'confirmed' ones were linked by an officer on the basis shown; 'proposed' ones await a "
        "decision and are not used in the findings."))
    ids.blocks.append(Table(
        ["Identifier", "Status", "Basis", "Strength"], [list(r) for r in identifier_rows(inputs.suspect_ids, refs)],
        caption=f"Identifiers taken to be used by {subject}", widths=[3.0, 1.1, 2.8, 1.0], mono=(0,)))
    sections.append(ids)

    # limits
    lim = Section("What this data can and cannot show")
    lim.blocks.append(Bullets(list(limits.general)))
    lim.blocks.append(Table(
        ["Exhibit", "Kind of data", "How its times were read", "Points to note"],
        [[s.reference, s.kind.title, s.timing.removeprefix("Times: "), " ".join(s.notes) or "none"]
         for s in sorted(limits.sources, key=lambda s: _ref_key(s.reference))],
        caption="Each exhibit: its kind of data, its times, and what to bear in mind", widths=[1.0, 1.7, 2.8, 3.4]))
    lim.blocks.append(Para("Attribution of identifiers:", numbered=False, emphasis=True))
    lim.blocks.append(Bullets(list(limits.identity)))
    if findings.assumptions:
        lim.blocks.append(Para("Assumptions made by the course-of-conduct analysis:", numbered=False, emphasis=True))
        lim.blocks.append(Bullets(list(findings.assumptions)))
    sections.append(lim)

    # appendix
    app = Section("Appendix: source records behind each figure")
    app.blocks.append(Para(
        f"Every count above rests on the source records listed here by event id (source id / place in the source). "
        f"Exhibit {produced.ref('events')} (events.csv) lists every record cited, with its exhibit, its time in UTC and "
        "UK time, the time exactly as the source wrote it, and which findings cite it (column cited_by).", numbered=False))
    events_ref = produced.ref("events")
    groups: list[tuple[str, list[tuple[str, list[str]]]]] = [
        ("charts", [(f"Contacts from {subject} (charts " + _ref_list([e.reference for _, e in figures]) + ")",
                     findings.contact_event_ids)]),
        ("incidents", [(f"Incident {uk_date(i.date)}", list(i.event_ids)) for i in findings.incidents]),
        ("threat occasions", [(f"Threat occasion {uk_date(t.date)}", list(t.event_ids)) for t in findings.threats]),
        ("breaches", [(f"Breach {b.order} {uk_time(b.ts)}", list(b.event_ids)) for b in findings.breaches]),
    ]
    rows = []
    budget = MAX_APPENDIX_ROWS
    for what, trace in groups:
        shown, rest = trace[:max(budget, 0)], trace[max(budget, 0):]
        budget -= len(shown)
        for label, idlist in shown:
            more = f", and {len(idlist) - MAX_IDS} more in events.csv" if len(idlist) > MAX_IDS else ""
            rows.append([label, str(len(idlist)), ", ".join(idlist[:MAX_IDS]) + more])
        if rest:
            n = sum(len(i) for _, i in rest)
            rows.append([f"{len(rest)} further {what} ({rest[0][0]} to {rest[-1][0]})", str(n),
                         f"listed in events.csv (exhibit {events_ref}), column cited_by, and in the {what} table"])
    app.blocks.append(Table(["Figure or finding", "Records", "Event ids"], rows, widths=[2.0, 0.8, 5.0], mono=(2,)))
    sections.append(app)

    signature_date = uk_date(inputs.as_of) if inputs.as_of else ""
    header = [
        ("URN", m.reference), ("Statement of", maker), ("Age if under 18", "Over 18"), ("Occupation", occupation),
    ]
    return Statement(
        title="WITNESS STATEMENT", header=header, declaration=DECLARATION, authority=AUTHORITY, sections=sections,
        signature_date=signature_date, created=created_at(inputs), author=maker, reference=m.reference, facts=facts,
    )


def _conduct_sections(inputs: ReportInputs, findings: Findings, produced: Produced, subject: str,
                      victim: str) -> tuple[list[Section], dict[str, Any]]:
    """Course of conduct, s2A, s4A and orders, as ``atlas conduct --json`` found them."""
    m = inputs.manifest
    rules = inputs.rules
    conduct = findings.conduct
    assert conduct is not None
    facts: dict[str, Any] = {}
    out: list[Section] = []
    notice = rules.notice

    coc = Section("Course of conduct")
    inc = findings.incidents
    facts["incidents"] = len(inc)
    cc = conduct.course_of_conduct
    dates = [i.date for i in inc]
    span = f" between {uk_date(min(dates))} and {uk_date(max(dates))}" if dates else ""
    coc_cite = rules.course_of_conduct.citation
    rule = cc["occasion_rule"]
    coc.blocks.append(Para(
        f"Grouping the contacts and presences into occasions ({rule}), the analysis found "
        f"{_plural(len(inc), 'incident')}{span}. A course of conduct requires conduct on at least "
        f"{rules.course_of_conduct.min_occasions} occasions ({coc_cite}). Whether these occasions form one course of "
        "conduct, and whether it amounts to harassment or stalking, are matters for the investigator, the CPS and the "
        "court."))
    note = rules.course_of_conduct.occasion_note
    if note:
        coc.blocks.append(Para(note, numbered=False, emphasis=True))
    profile = conduct.contact_profile
    if profile:
        calls, msgs, night = _get(profile, "calls", default={}), _get(profile, "messages", default={}), \
            _get(profile, "night", default={})
        recip = _get(profile, "reciprocity", default={})
        facts["conduct_contacts"] = _get(profile, "conduct_contacts")
        coc.blocks.append(Para(
            f"Those incidents comprise {_plural(int(_get(profile, 'conduct_contacts', default=0)), 'contact')} from "
            f"{subject} to {victim} and her network, shown by {_plural(int(_get(profile, 'records', default=0)), 'source record')} "
            f"({_plural(int(_get(profile, 'corroborated_by_several_sources', default=0)), 'contact')} corroborated by more than one "
            f"source). Of {_plural(int(_get(calls, 'total', default=0)), 'call')}, {_get(calls, 'unanswered', default=0)} "
            f"were unanswered; of {_plural(int(_get(msgs, 'total', default=0)), 'message')}, {_get(msgs, 'unreplied', default=0)} "
            f"had no reply within the reply window. {_plural(int(_get(night, 'contacts', default=0)), 'contact')} at night "
            f"({_get(night, 'hours', default='23:00-06:00')}). {_plural(int(_get(recip, 'targets_to_suspect', default=0)), 'contact')} went "
            f"from them to {subject}{_stop_note(conduct)}."))
    esc = conduct.escalation
    if esc and _get(esc, "n_weeks"):
        coc.blocks.append(Para(
            f"Over {_get(esc, 'n_weeks')} weeks the rate averaged {_get(esc, 'mean_per_week')} contacts a week "
            f"({_get(esc, 'first_half_mean')} a week in the first half, {_get(esc, 'second_half_mean')} in the second); "
            f"the busiest week began {uk_date(_get(esc, 'peak_week'))} with {_get(esc, 'peak_contacts')} contacts. "
            f"Described trend: {_get(esc, 'label', default='not assessed')} (method: {_get(esc, 'method', default='weekly counts')}). "
            f"See exhibit {produced.ref('figure:weekly-rate')}."))
    shown = [b for b in conduct.behaviours if b["shown"]]
    if shown:
        coc.blocks.append(Para("Behaviours of the kind the Act lists that the data shows "
                               f"({rules.offence('pha-s2a').examples_citation}):"))
        coc.blocks.append(Bullets([f"{b.get('title')} ({b.get('citation')}): {b.get('basis')}" for b in shown]))
    inc_rows = [[uk_date(i.date), ", ".join(i.channels), str(i.contacts), str(len(i.event_ids))] for i in inc]
    inc_rows, cap_note = _capped(inc_rows, "incidents", produced.get("table:incidents"))
    coc.blocks.append(Table(["Date (UK)", "Channels", "Contacts", "Source records"], inc_rows,
                            caption=f"Incidents (exhibit {produced.ref('table:incidents')})", widths=[1.2, 3, 1, 1.2]))
    if cap_note:
        coc.blocks.append(Para(cap_note, numbered=False))
    gaps = findings.gaps
    facts["gaps"] = len(gaps)
    if gaps:
        gap_text = "; ".join(f"{uk_date(g.start)} to {uk_date(g.end)} ({_plural(g.days, 'day')})" for g in gaps)
        gap_note = rules.course_of_conduct.gap_note
        coc.blocks.append(Para(
            f"There {'is' if len(gaps) == 1 else 'are'} {_plural(len(gaps), 'long gap')} between incidents: {gap_text}. "
            f"{gap_note}"))
    else:
        coc.blocks.append(Para("No gap between incidents is longer than the analysis's threshold "
                               f"({_plural(int(conduct.options['gap_days']), 'day')})."))
    out.append(coc)

    # s2A
    s2a = findings.s2a
    s2a_offence, s4a_offence = rules.offence("pha-s2a"), rules.offence("pha-s4a")
    s2 = Section(f"The {s2a_offence.short} time limit")
    if s2a is not None and s2a.last_incident is not None and s2a.deadline is not None:
        li = s2a.last_incident
        facts.update({"s2a_last_incident": li.day.isoformat(), "s2a_deadline": s2a.deadline.isoformat(),
                      "s2a_state": s2a.state.value, "s2a_in_time_at_charge_date": s2a.in_time_at_charge_date})
        last_ts = uk_time(li.ts) if li.ts else uk_date(li.day)
        limit = rules.time_limit(s2a_offence.time_limit)
        s2.blocks.append(Para(
            f"The last incident found was on {uk_date(li.day)} (at {last_ts}). An offence under "
            f"{s2a_offence.section} is {rules.mode(s2a_offence.mode_of_trial).plain}, and {limit.plain}. The last day "
            f"on which an information can be laid is therefore {uk_day(s2a.deadline)}. The planned charge date in the "
            f"case is {uk_date(s2a.charge_date) if s2a.charge_date else 'not set'}."))
        verdict = s2a.headline[:1].upper() + s2a.headline[1:]
        if s2a.as_of is not None and s2a.days_left is not None:
            facts["s2a_days_left"] = s2a.days_left
            verdict = f"As of {uk_date(s2a.as_of)} ({s2a.as_of_basis}): {verdict}"
        s2.blocks.append(Para(f"{verdict}."))
        for w in s2a.warnings:
            s2.blocks.append(Para(f"Warning: {w}.", numbered=False, emphasis=True))
        s2.blocks.append(Para(f"Rule applied: {s2a.rule}. {notice}", numbered=False, emphasis=True))
        for text in s2a.law:
            s2.blocks.append(Para(text, numbered=False))
        s4a_limit = rules.time_limit(s4a_offence.time_limit)
        s2.blocks.append(Para(f"An offence under {s4a_offence.section} is {rules.mode(s4a_offence.mode_of_trial).plain} "
                              f"and has {s4a_limit.plain} ({s4a_limit.citation})."))
    else:
        s2.blocks.append(Para(f"No incident was found, so the {s2a_offence.short} time limit does not start.",
                              emphasis=True))
    out.append(s2)

    # s4A
    s4 = Section(f"Indicators relevant to {s4a_offence.short}")
    s4a = conduct.s4a
    thr = findings.threats
    facts["threat_occasions"] = len(thr)
    need, cite = s4a_offence.threat_occasions, s4a_offence.threat_occasions_citation
    s4.blocks.append(Para(
        f"Messages containing words or patterns associated with threats of violence were found on "
        f"{_plural(len(thr), 'occasion')} (UK calendar days). Fear of violence on at least {need} occasions is an "
        f"element of the offence under {s4a_offence.section} ({cite}). Each match is shown in context for a person to confirm: a matched word "
        "is an indicator, not proof of a threat or of the victim's fear."))
    t_rows = [[uk_date(t.date), "; ".join(t.matched), str(len(t.event_ids))] for t in thr]
    t_rows, cap_note = _capped(t_rows, "threat occasions", produced.get("table:threats"))
    if t_rows:
        s4.blocks.append(Table(["Date (UK)", "Matched", "Source records"], t_rows,
                               caption=f"Threat occasions (exhibit {produced.ref('table:threats')})", widths=[1.2, 3.5, 1.2]))
    if cap_note:
        s4.blocks.append(Para(cap_note, numbered=False))
    review = [h for h in conduct.threat_hits_for_review if not h.counts_as_threat]
    if review:
        s4.blocks.append(Para(
            f"A further {_plural(len(review), 'match')} of weaker indicators (for example watching or monitoring "
            "phrases) are listed for review and are not counted as threats."))
    distress = s4a_offence.distress_citation
    indicators = [f"{d.get('indicator')}: {d.get('detail')}" for d in _get(s4a, "distress_indicators", default=[])
                  if isinstance(d, dict)]
    s4.blocks.append(Para(
        f"Indicators that may be relevant to serious alarm or distress ({distress}) are listed below. "
        + str(_get(s4a, "label", default="They are indicators, not proof.")).capitalize() + f". {notice}"))
    if indicators:
        s4.blocks.append(Bullets(indicators))
    out.append(s4)

    # orders and breaches
    br = Section("Orders and breaches")
    facts["breaches"] = len(findings.breaches)
    orders = {o.order: o for o in conduct.orders}
    if not m.orders:
        br.blocks.append(Para("No order is recorded in the case."))
    for o in m.orders:
        info = orders.get(o.reference) or orders.get(o.label)
        end = uk_time(o.end) if o.end else "no end date"
        conds = (["no contact"] if o.no_contact else []) + (
            ["exclusion from " + ", ".join(o.exclusion_zones)] if o.exclusion_zones else [])
        ot = rules.order_type(o.type)
        rule_txt = f"{ot.title}: {ot.breach_summary}"
        order_law = [rules.provision(p).summary for p in ot.provisions]
        contact_n = info.contact_breaches if info else 0
        zone_n = info.zone_breaches if info else 0
        by_status = (info.by_identifier_status if info else None) or {}
        status_txt = (" By the status of the identifier used: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()))
                      + ".") if by_status and contact_n else ""
        br.blocks.append(Para(
            f"Order {o.label} (against {m.party(o.against).name or o.against}, protecting "
            f"{m.party(o.protects).name or o.protects}) was in force from {uk_time(o.start)} to {end}, with conditions: "
            f"{', '.join(conds) or 'as recorded'}. {rule_txt}. The analysis found {_plural(contact_n, 'contact')} and "
            f"{_plural(zone_n, 'presence')} in an exclusion zone while it was in force.{status_txt}"
            + (" Each breach is also counted as a further incident of the course of conduct." if ot.breach_is_incident
               else "")))
        for text in order_law:
            br.blocks.append(Para(text, numbered=False))
        if info and info.indirect_contacts:
            br.blocks.append(Para(f"{_plural(info.indirect_contacts, 'contact')} with others in her network while "
                                  f"the order was in force: {info.indirect_note}."))
        for a in list(o.assumptions) + list(info.assumptions if info else ()):
            br.blocks.append(Para(f"Assumption: {a}.", numbered=False, emphasis=True))
    b_rows = [[b.order, b.kind, uk_time(b.ts), str(len(b.event_ids))] for b in findings.breaches]
    b_rows, cap_note = _capped(b_rows, "breaches", produced.get("table:breaches"))
    if b_rows:
        br.blocks.append(Table(["Order", "Kind", "When (UK)", "Source records"], b_rows,
                               caption=f"Breaches (exhibit {produced.ref('table:breaches')})", widths=[1.6, 1.4, 1.8, 1.1]))
    if cap_note:
        br.blocks.append(Para(cap_note, numbered=False))
    possible = conduct.possible_breaches
    if possible:
        br.blocks.append(Para(
            f"A further {_plural(len(possible), 'possible breach', 'possible breaches')} "
            f"{'is' if len(possible) == 1 else 'are'} listed and not counted above, each for the reason given:"))
        br.blocks.append(Bullets([f"{uk_time(p.ts)}, {p.place} (order {p.order}): {p.basis}." for p in possible]))
    within = sum(o.possible_within_breaches for o in conduct.orders)
    if within:
        br.blocks.append(Para(
            f"{_plural(within, 'further location record')} with no stated accuracy fell within visits already counted "
            "as breaches from positions that state one; they are not counted again."))
    cl = findings.colocations
    facts["colocations"] = len(cl)
    br.blocks.append(Para(
        f"The analysis found {_plural(len(cl), 'occasion')} on which the suspect's device was recorded near the victim or "
        "a protected place" + (f" (exhibit {produced.ref('table:colocations')})" if cl else "") + ". The precision of "
        "each is stated. The same standard was applied to the suspect's and the victim's positions: "
        + (conduct.location_standard.text if conduct.location_standard else "") + "."
        + (f" A further {_plural(len(conduct.possible_colocations), 'possible co-location')} "
           "(resting on positions with no stated accuracy) are listed and not counted."
           if conduct.possible_colocations else "")))
    out.append(br)

    warnings = list(conduct.warnings)
    if warnings:
        rev = Section("Points for the reviewer")
        rev.blocks.append(Bullets(warnings))
        out.append(rev)

    prop = inputs.conduct_proposed
    if prop is not None:
        diffs = []
        for label, n_now, n_with in (("incidents", len(conduct.incidents), len(prop.incidents)),
                                     ("threat occasions", len(conduct.threat_occasions), len(prop.threat_occasions)),
                                     ("breaches", len(conduct.breaches), len(prop.breaches))):
            if n_now != n_with:
                diffs.append(f"{label} {n_with} instead of {n_now}")
        mine, theirs = conduct.s2a.last_incident, prop.s2a.last_incident
        if mine and theirs and mine.day != theirs.day:
            diffs.append(f"the last incident on {uk_date(theirs.day)} instead of {uk_date(mine.day)}")
        text = ("If the identity links that are proposed but not yet confirmed were accepted, the analysis would find "
                + "; ".join(diffs) + ". Those links are not relied on above; an officer must confirm or reject them."
                if diffs else "Identity links proposed but not yet confirmed would not change these findings.")
        prop_section = Section("Identity links awaiting a decision")
        prop_section.blocks.append(Para(text))
        out.append(prop_section)
    return out, facts
