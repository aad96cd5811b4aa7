"""The MG11 witness statement of the analyst or officer in the case: facts only.

The statement is evidence, served on the defence (``shared/DOMAIN.md``, "The MG11
witness statement", "Disclosure and the CPS file"). It says who the maker is, what they
received and from whom (continuity: supplier, date received, seal, SHA-256), what they
did in plain English, what the records show (counts, days, presences with distances, a
chronology of every relied-on contact with the full text of each message and its
exhibit record), and what the data can and cannot show. It never holds advice: no time
limit, no charging view, nothing from a proposed identity link, no lexicon candidate an
officer has not confirmed, no "points for the reviewer". Those go to the reviewer's note
(:mod:`reports.reviewer_note`). Software detail (de-duplication rule, clock offsets,
zone conversion, versions and hashes) is the technical annex, a separate exhibit
(:mod:`reports.annex`), referred to by number; charts likewise.

Every sentence is written here, once; :mod:`reports.statement_docx` and
:mod:`reports.statement_html` lay the :class:`~reports.document.Document` out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Final
from zoneinfo import ZoneInfo

from atlas import __version__
from atlas.conduct.geo import ACCURACY_UNKNOWN, OUTSIDE_STRADDLES
from atlas.conduct.possible_colocations import PossibleColocation
from atlas.conduct.records import PossibleBreach
from atlas.errors import AtlasError
from atlas.exhibits import exhibit_key, join_list
from atlas.export.text import needs_escape
from atlas.identity.bases import describe as describe_basis
from atlas.store.continuity import Continuity
from atlas.store.prefix_change import changes_seen
from atlas.wording import Pronouns, plural

from . import data_requests
from .chronology import ChronologyRow, channel_name
from .decided import Decided, DecidedMessage, behaviour_words, occasions_sentence
from .document import Bullets, Document, Figure, MG11Front, Para, Section, Table
from .exhibits import Exhibit, by_hash_basis, refs_text
from .findings import AuthorityCalls, Findings
from .inputs import ReportInputs
from .limitations import CONFIRMED_LINK, Limitations, classify, describe_identifier, format_described, linked_to
from .redaction import redaction_note
from .review_view import place_label
from .style import uk_date, uk_time

__all__ = ["Bullets", "Document", "Figure", "Para", "Produced", "Section", "Statement", "Table", "build", "created_at",
           "statement_date"]

Statement = Document

MAX_CHRONOLOGY_ROWS: Final = 2_000
"""Chronology rows printed in the statement; the chronology exhibit (CSV) holds every row."""
MAX_ROWS: Final = 60
"""Rows of the other tables printed in the statement; the full table is its CSV exhibit."""
MAX_REFS: Final = 2
"""Exhibit records named per presence; the table exhibit and events.csv list them all."""

DECLARATION: Final = (
    "This statement (consisting of {pages} page(s) each signed by me) is true to the best of my knowledge and "
    "belief and I make it knowing that, if it is tendered in evidence, I shall be liable to prosecution if I have "
    "wilfully stated in it anything which I know to be false, or do not believe to be true."
)
AUTHORITY: Final = "Criminal Procedure Rules 2020, r 16.2; Criminal Justice Act 1967, s. 9; Magistrates' Courts Act 1980, s. 5B"
DRAFT_NOTICE: Final = ("DRAFT produced by Atlas for the officer to review, correct, complete and sign. It is not a "
                       "statement until the maker has checked every paragraph and signed it.")
MARKING: Final = "DRAFT \u2013 NOT SIGNED"
TO_COMPLETE: Final = "[Officer to complete: {what}]"


@dataclass
class Produced:
    """Exhibits produced by this report, by name (``figure:contacts-per-day``, ``table:incidents``, ``events``)."""

    by_name: dict[str, Exhibit]

    def get(self, name: str) -> Exhibit | None:
        return self.by_name.get(name)

    def ref(self, name: str) -> str:
        e = self.by_name.get(name)
        return e.reference if e else "(not produced)"


# --- dates -----------------------------------------------------------------------------------

def statement_date(inputs: ReportInputs, received: Mapping[str, Continuity]) -> tuple[date | None, str]:
    """The date the statement is made, and why, or None with the reason it is left blank.

    ``statement_date`` in case.toml, else the date the report is made (``--as-of``). A
    statement cannot be made before its exhibits were received: a case.toml date before a
    recorded received date is an error; an ``--as-of`` date before one leaves the date for
    the officer (the reviewer's note says why).
    """
    latest = max((c.received for c in received.values() if c.received), default=None)
    chosen = inputs.manifest.statement_date
    if chosen is not None:
        if latest is not None and chosen < latest:
            raise AtlasError(f"case.toml statement_date {uk_date(chosen)} is before an exhibit was received "
                             f"({uk_date(latest)}); a statement cannot be made before its exhibits were received")
        return chosen, "statement_date in case.toml"
    if inputs.as_of is None:
        return None, "no --as-of date and no statement_date in case.toml: the officer dates the statement"
    if latest is not None and inputs.as_of < latest:
        return None, (f"the report's date {uk_date(inputs.as_of)} is before an exhibit was received "
                      f"({uk_date(latest)}): the officer dates the statement")
    return inputs.as_of, "the date the report was made (--as-of)"


def created_at(inputs: ReportInputs) -> datetime:
    """The documents' date property: ``statement_date`` or ``--as-of`` if given, else the last
    ingest in the audit log. Never the current time, so the same case gives the same files."""
    day = inputs.manifest.statement_date or inputs.as_of
    if day is not None:
        return datetime.combine(day, time(12, 0), tzinfo=ZoneInfo("UTC"))
    ingests = [str(r["at"]) for r in inputs.audit if r.get("action") == "ingest"]
    if ingests:
        return datetime.fromisoformat(max(ingests)).astimezone(ZoneInfo("UTC")).replace(microsecond=0)
    return datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC"))


# --- helpers ---------------------------------------------------------------------------------

_plural = plural


def _ref_list(refs: Sequence[str]) -> str:
    return ", ".join(refs) if refs else "none"


def _get(data: Any, *path: str, default: Any = None) -> Any:
    """``data[path[0]][path[1]]...`` or ``default`` (the conduct result is read as it is given)."""
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return default if data is None else data


def received_text(c: Continuity | None) -> str:
    """Continuity as the statement gives it; what is not recorded is left for the officer."""
    c = c or Continuity("")
    if not (c.supplied_by or c.received or c.seal):
        return TO_COMPLETE.format(what="supplied by; date received; seal or bag number")
    parts = [f"from {c.supplied_by}" if c.supplied_by else TO_COMPLETE.format(what="supplied by"),
             f"on {uk_date(c.received)}" if c.received else TO_COMPLETE.format(what="date received"),
             f"seal/bag {c.seal}" if c.seal else TO_COMPLETE.format(what="seal or bag number")]
    return "Received " + ", ".join(parts)


def source_description(e: Exhibit, parser: str, fmt: str, owner_label: str) -> str:
    """``Call data record (communications data): file.csv, for tel:+44... (Daniel Sample)``.

    A source of no kind this version knows (its parser is not in the registry) is described by the
    parser's own description, whole (:func:`reports.limitations.format_described`): cutting it at
    its first ``:`` left ``Signal chat exported as plain text ('[YYYY-MM-DD, HH`` for a description
    that holds a time pattern."""
    kind = classify(parser)
    what = kind.title if kind.id != "other" else format_described(parser, fmt)
    return f"{what}: {e.filename}" + (f", relating to {owner_label}" if owner_label else "")


def _refs(event_ids: Sequence[str], records: Mapping[str, str], limit: int = MAX_REFS) -> str:
    shown = [records.get(i, "") for i in event_ids[:limit]]
    shown = [s for s in shown if s]
    more = len(event_ids) - limit
    return join_list(shown) + (f"; and {more} more" if more > 0 else "")


_place_label = place_label


def _metres(value: Any) -> str:
    return f"{float(value):.0f} m" if isinstance(value, int | float) else "not stated"


# --- the statement ------------------------------------------------------------------------------

@dataclass
class StatementParts:
    """Everything the statement draws on besides the inputs and findings."""

    sources: Sequence[Exhibit]
    produced: Produced
    figures: Sequence[tuple[str, Exhibit]]
    chronology: Sequence[ChronologyRow]
    continuity: Mapping[str, Continuity]
    records: Mapping[str, str]
    """event id → ``JA/7, sms rowid 477`` for every record the statement names."""
    decided: Decided | None = None
    """The candidates with their decisions (:mod:`reports.decided`): only confirmed ones are stated."""


def _pronouns(inputs: ReportInputs) -> tuple[Pronouns, Pronouns]:
    """The suspect's and the victim's pronouns as case.toml states them (``they`` when it does not)."""
    return inputs.his, inputs.her


def hashing_said(sources: Sequence[Exhibit]) -> str:
    """How each exhibit's SHA-256 was taken and what shows the examination did not change it,
    as its ingest recorded (:attr:`Exhibit.hash_basis`): hashed before and after, or read once,
    those bytes hashed and examined, and the file found the same after."""
    twice, once = by_hash_basis(sources)
    if not once:
        return ("I computed that value before and after I examined each file; the values were the same each time, so my "
                "examination did not change any file.")
    read_once = ("read the file once, computed that value from the bytes read and examined those same bytes; after the "
                 "examination the file system showed the same file, with the same size and the same modification and "
                 "status-change times")
    if not twice:
        return f"For each file I {read_once}, so my examination did not change any file."
    # The smaller group is named and the larger is "every other exhibit": a list of 26 references to say
    # how one file was hashed buries the one that differs.
    before_after = "I computed that value before and after I examined the file; the values were the same each time"
    if len(once) <= len(twice):
        said = (f"For {refs_text(once)} I {read_once}. For {'every other exhibit' if len(twice) > 1 else refs_text(twice)} "
                f"{before_after}.")
    else:
        said = f"For {refs_text(twice)} {before_after}. For every other exhibit I {read_once}."
    return said + " So my examination did not change any file."


def build(inputs: ReportInputs, findings: Findings, limits: Limitations, parts: StatementParts) -> Document:
    m = inputs.manifest
    subject = inputs.suspect.name if inputs.suspect and inputs.suspect.name else "the suspect"
    victim = inputs.victim.name if inputs.victim and inputs.victim.name else "the victim"
    his, her = _pronouns(inputs)
    occupation = m.occupation or "Police officer"
    maker = m.analyst or m.officer
    produced = parts.produced
    facts: dict[str, Any] = {}
    sections: list[Section] = []
    day, _why = statement_date(inputs, parts.continuity)

    # 1. the maker
    role = Section("Role and experience")
    role.blocks.append(Para(
        f"I am {maker}, {occupation}{' with ' + m.force if m.force else ''}. I make this statement about my examination "
        f"of digital material in investigation {m.reference}, concerning contact by {subject} with {victim} and the "
        f"people close to {her.object}."))
    role.blocks.append(Para(m.experience or TO_COMPLETE.format(
        what="my role, my training and experience in the examination of communications data, handset downloads and "
             "online account records, and the instructions I received"), emphasis=not m.experience))
    sections.append(role)

    # 2. exhibits received
    ex = Section("Exhibits received")
    ex.blocks.append(Para(
        f"I received the {_plural(len(parts.sources), 'item')} listed below. For each I give who supplied it, the date I "
        "received it and the seal or bag number, and the SHA-256 value of the file (a digital fingerprint: any change "
        "to the file would change it). " + hashing_said(parts.sources)))
    by_id = {r["source_id"]: r for r in inputs.sources.iter_rows(named=True)}
    owner_names = {uri: (m.party(pid).name or pid) for uri, pid in inputs.owners.items()}
    rows = []
    for e in parts.sources:
        r = by_id.get(e.source_id, {})
        owner = str(r.get("owner") or "")
        label = f"{owner} ({owner_names[owner]})" if owner in owner_names else owner
        rows.append([e.reference, source_description(e, str(r.get("parser", "")), str(r.get("format", "")), label),
                     received_text(parts.continuity.get(e.sha256)), e.sha256])
    ex.blocks.append(Table(["Exhibit", "Item", "Continuity", "SHA-256"], rows, caption="Exhibits received",
                           widths=[0.85, 3.1, 2.2, 2.4], mono=(3,), small=True))
    facts["continuity_recorded"] = sum(1 for e in parts.sources if e.sha256 in parts.continuity)
    said = prefix_changes_said(inputs.audit, m.exhibit_prefix, ZoneInfo(m.timezone))
    if said:
        ex.blocks.append(Para(said))
    facts["exhibit_prefix_changes"] = len(changes_seen(inputs.audit))
    sections.append(ex)

    # 3. method
    sections.append(_method(inputs, parts, subject, facts))

    # 4. identifiers relied on
    refs = {e.source_id: e.reference for e in parts.sources}
    ids = Section("Identifiers relied on")
    ids.blocks.append(Para(
        f"In what follows I treat the identifiers below as used by {subject}. I rely on no other identifier: where the "
        "data suggested a further link that no officer has confirmed, I have not used it."))
    id_rows = []
    names_of = m.party_names()
    for uri, claim in sorted(inputs.suspect_ids.items(), key=lambda kv: (kv[1].status != "attributed", kv[0])):
        if claim.status not in ("attributed", "confirmed") or uri.startswith("name:"):
            continue
        basis = (f"attributed to {his.object} in the case by the officer in the case" if claim.status == "attributed"
                 else f"{linked_to(uri, claim, inputs.identity_links, refs, names_of)}; {CONFIRMED_LINK}")
        id_rows.append([describe_identifier(uri, refs), basis])
    names = sorted({u.split(":", 2)[2] for u, c in inputs.suspect_ids.items()
                    if u.startswith("name:") and c.status == "attributed"})
    if names:
        id_rows.append([", ".join(f"'{n}'" for n in names), f"names under which the exhibits show {his.object} (the case's "
                        "attribution, by display name)"])
    confirmed_names: dict[str, set[str]] = {}
    for u, c in inputs.suspect_ids.items():
        if u.startswith("name:") and c.status == "confirmed":
            confirmed_names.setdefault(describe_identifier(u, refs), set()).add(describe_basis(c.basis))
    for n, bases in sorted(confirmed_names.items()):
        id_rows.append([n, "linked (" + "; ".join(sorted(bases)) + f"); {CONFIRMED_LINK}"])
    ids.blocks.append(Table(["Identifier", f"Why it is taken to be used by {his.object}"], id_rows, widths=[3, 4]))
    sections.append(ids)

    # 5. findings
    sections += _findings(inputs, findings, parts, subject, victim, facts)

    # 6. limits
    lim = Section("What this data can and cannot show")
    lim.blocks.append(Bullets(list(limits.general)))
    notes = []
    for s in sorted(limits.sources, key=lambda s: _ref_key(s.reference)):
        if s.notes:  # the parser's assumptions (s.assumptions) are in the technical annex
            notes.append(f"{s.reference}: {' '.join(s.notes)}")
    if notes:
        lim.blocks.append(Para("Points to note about particular exhibits:", numbered=False, emphasis=True))
        lim.blocks.append(Bullets(notes))
    lim.blocks.append(Bullets(list(limits.identity)))  # never the proposed ones (limits.identity_pending)
    sections.append(lim)

    # 7. chronology
    sections.append(_chronology(parts, subject, facts))

    # 8. exhibits produced
    prod = Section("Exhibits I produce")
    prod.blocks.append(Para("I produce the following exhibits, made from the exhibits I received. Each is a separate "
                            "document; its SHA-256 value is given in the exhibit schedule."))
    made = sorted(produced.by_name.values(), key=lambda e: e.number)
    prod.blocks.append(Table(["Exhibit", "Description", "File"], [[e.reference, e.description, e.filename] for e in made],
                             widths=[0.8, 4.5, 2.0]))
    sections.append(prod)

    facts["statement_date"] = day.isoformat() if day else None
    header = [("URN", m.reference), ("Statement of", maker), ("Age if under 18", m.maker_age or "Over 18"),
              ("Occupation", occupation)]
    return Document(
        title="WITNESS STATEMENT", reference=m.reference, sections=sections, created=created_at(inputs), author=maker,
        marking=MARKING, banner=DRAFT_NOTICE, subject="MG11 witness statement draft produced by Atlas",
        front=MG11Front(header=header, declaration=DECLARATION, authority=AUTHORITY,
                        signature_date=uk_date(day) if day else ""),
        closing="End of statement. Signature: ..............................................", facts=facts,
    )


def _ref_key(reference: str) -> tuple[str, int]:
    return exhibit_key(reference)


def _method(inputs: ReportInputs, parts: StatementParts, subject: str, facts: dict[str, Any]) -> Section:
    meth = Section("What I did")
    annex = parts.produced.ref("annex")
    read = int(inputs.sources.get_column("records_read").sum() or 0) if inputs.sources.height else 0
    events = int(inputs.sources.get_column("events").sum() or 0) if inputs.sources.height else 0
    rejects = int(inputs.sources.get_column("rejects").sum() or 0) if inputs.sources.height else 0
    meth.blocks.append(Para(
        f"I examined the exhibits with Atlas, open-source software for the analysis of digital evidence (version "
        f"{__version__}). It works without any network connection and opens each file read-only. It is decision "
        "support, not legal advice: it sets out what the records show; what they prove is for the court."))
    meth.blocks.append(Para(
        f"The software read every record in each exhibit ({read:,} in all). Each record became an entry on a single "
        f"timeline ({events:,}) or, where it could not be read, was set aside with the reason ({rejects:,}); the two always "
        "add up to the records read. Records set aside are not relied on in this statement."))
    redacted = redaction_note(inputs.case)
    if redacted:
        meth.blocks.append(Para(redacted))
    # the example numbers with no-break spaces: split at a line end ('+44 7700' / '900123') one reads as two (s18)
    meth.blocks.append(Para(
        "Telephone numbers were written in one international form (for example +44\u00a07700\u00a0900123 for "
        "07700\u00a0900123), so that the same number is recognised in every exhibit. Each exhibit records times by its own clock and in its "
        "own way; every time was converted to Coordinated Universal Time (UTC) and is given in this statement in UK "
        "local time, with GMT or BST stated."))
    meth.blocks.append(Para(
        "The same message or call is often recorded by more than one exhibit: on the sender's phone, on the "
        "recipient's phone and in the network's call data records. I have counted each such contact once, and named "
        "every exhibit record that shows it. Records were matched as the same contact only where they have the same "
        "kind and channel, the same sender and recipients, and times within two minutes of each other; where texts "
        "differ they were not treated as the same message."))
    meth.blocks.append(Para(
        f"I then selected the contacts between identifiers attributed to {subject} and {inputs.victim.name if inputs.victim else 'the victim'}"
        " or the family, friends and colleagues named in the case, in either direction, and the positions recorded by "
        f"{subject}'s devices near the places named in the case or near {inputs.victim.name if inputs.victim else 'the victim'}'s "
        "own recorded positions. The charts and tables I produce were drawn from those "
        "records only. The detail of the software (its version, the versions of the libraries it uses, the matching "
        "rule, the measured clock difference of each exhibit and how each exhibit's times were read) is set out in the "
        f"technical annex, exhibit {annex}."))
    meth.blocks += data_requests.method_blocks(inputs.triage, _label(inputs), facts)
    return meth


def _label(inputs: ReportInputs) -> Callable[[str], str]:
    """How the statement names an identifier (a third party's pseudonym when redacted)."""
    from .redaction import RedactedCase

    case = inputs.case
    return case.redaction.label if isinstance(case, RedactedCase) else (lambda uri: uri)


def _night_clause(night: int, subject: str) -> str:
    """The night-time count as a sentence that agrees with its number ("1 of the contacts ... were made" read
    badly in a served statement)."""
    if night == 0:
        return f"None of the contacts from {subject} was made between 23:00 and 05:59 UK time."
    if night == 1:
        return f"One of the contacts from {subject} was made between 23:00 and 05:59 UK time."
    return f"{night:,} of the contacts from {subject} were made between 23:00 and 05:59 UK time."


def _kinds_clause(messages: int, calls: int, unanswered: int) -> str:
    """The contacts' messages and calls, each said as its number reads ("0 calls, 0 of the calls not answered" read
    badly in a served statement)."""
    said = [plural(messages, "message") if messages else "no messages"]
    if not calls:
        said.append("no calls")
    elif calls == 1:
        said.append("1 call" + (", not answered" if unanswered else ""))
    else:
        said.append(f"{calls:,} calls, " + (f"{unanswered:,} of the calls not answered" if unanswered
                                             else "none of them recorded as not answered"))
    return f"{said[0]} and {said[1]}"


def _other_way_clause(n: int) -> str:
    """The contacts the other way as a sentence that agrees with its number ("0 contacts went the other way")."""
    if n == 0:
        return "No contact went the other way."
    if n == 1:
        return "One contact went the other way."
    return f"{n:,} contacts went the other way."


def _findings(inputs: ReportInputs, findings: Findings, parts: StatementParts, subject: str, victim: str,
              facts: dict[str, Any]) -> list[Section]:
    his, her = _pronouns(inputs)
    produced = parts.produced
    counts = findings.counts
    facts["contacts_from_suspect"] = counts["from_suspect"]
    facts["contacts_to_suspect"] = counts["to_suspect"]
    facts["days_with_contact"] = counts["days_with_contact"]
    out: list[Section] = []
    fnd = Section("Contact between them")
    first_last = ""
    fs = inputs.contacts.filter(inputs.contacts["way"] == "from-suspect")
    if fs.height:
        first, last = fs.get_column("ts_utc").min(), fs.get_column("ts_utc").max()
        assert isinstance(first, datetime) and isinstance(last, datetime)
        first_last = f", the first on {uk_time(first)} and the last on {uk_time(last)}"
    fnd.blocks.append(Para(
        f"The exhibits record {_plural(counts['from_suspect'], 'contact')} from identifiers attributed to {subject} to "
        f"{victim} or the people close to {her.object} named in the case ("
        f"{_kinds_clause(counts['from_suspect_messages'], counts['from_suspect_calls'], counts['from_suspect_unanswered_calls'])}), "
        f"on {_plural(counts['days_with_contact'], 'day')}{first_last}. {_other_way_clause(counts['to_suspect'])} "
        f"{_night_clause(counts['from_suspect_night'], subject)} Every one of these contacts is "
        "listed in the chronology at the end of this statement."))
    rows = [[findings.channel_name(str(r["channel"])), str(r["from_suspect"]), str(r["to_suspect"])]
            for r in findings.per_channel.iter_rows(named=True)]
    fnd.blocks.append(Table(["Channel", f"From {subject}", f"To {subject}"], rows, caption="Contacts by channel",
                            widths=[2, 1, 1]))
    if parts.figures:
        fnd.blocks.append(Para("I produce these charts of the same contacts: " + "; ".join(
            f"{e.reference}, {e.description[0].lower() + e.description[1:]}" for _, e in parts.figures) + "."))
    fnd.blocks.append(Para(
        f"The contacts are listed, each with every exhibit record that shows it, in exhibit "
        f"{produced.ref('table:contacts')}; every record relied on, with its exhibit and its place in the exhibit, in "
        f"exhibit {produced.ref('events')}."))
    conduct = findings.conduct
    if conduct is not None:
        inc = findings.incidents
        facts["incidents"] = len(inc)
        dates = [i.date for i in inc]
        span = f", between {uk_date(min(dates))} and {uk_date(max(dates))}" if dates else ""
        listed = (f"{_plural(len(inc), 'such day')}{span}. They are listed in exhibit {produced.ref('table:incidents')}."
                  if inc else "no such days.")
        fnd.blocks.append(Para(
            f"Taking each UK calendar day on which there was a contact from {subject}{_police_call(findings, his)} or a "
            f"recorded presence of {his.possessive} device at a place named below{_leaving_out(findings)}, there are "
            f"{listed}" + _authority_days(findings, subject)
            + _two_way(findings, subject, victim, her.object) + _confirmed_days(findings)))
        gaps = findings.gaps
        if gaps:
            longest = max(gaps, key=lambda g: g.days)
            first_quiet, last_quiet, quiet_days = longest.quiet
            fnd.blocks.append(Para(
                f"The longest period with no such contact or presence was from {uk_date(first_quiet)} to "
                f"{uk_date(last_quiet)} ({quiet_days} days)."))
        bursts = conduct.bursts
        if bursts:
            opts = conduct.options
            fnd.blocks.append(Para(
                f"On {_plural(len(bursts), 'occasion')} {opts.get('burst_min_contacts', 5)} or more contacts were made "
                f"within {opts.get('burst_window_minutes', 60)} minutes; the largest was "
                f"{max(int(b.get('contacts') or 0) for b in bursts)} contacts on "
                f"{uk_date(max(bursts, key=lambda b: int(b.get('contacts') or 0)).get('local_date'))}."))
    out.append(fnd)
    out += _confirmed(inputs, parts.decided, victim, facts)
    if conduct is not None:
        out.append(_places_and_orders(inputs, findings, parts, subject, facts))
    return out


def _quoted(m: DecidedMessage) -> Para:
    where = m.exhibit + (f"; also recorded in {', '.join(m.also)}" if m.also else "")
    return Para(f"{m.uk_time}, {m.channel} from {m.from_name} to {m.to_name} ({where}): \u201c{m.text}\u201d",
                numbered=False)


def _by_whom(inputs: ReportInputs, msgs: Sequence[DecidedMessage]) -> str:
    """``I`` when the maker made every decision, else ``an officer in the case`` (never a name here:
    who decided and when is in the reviewer's note, the audit log and the MG6C)."""
    maker = inputs.manifest.analyst or inputs.manifest.officer
    return "I" if msgs and all(m.decided_by == maker for m in msgs) else "an officer in the case"


def _confirmed(inputs: ReportInputs, decided: Decided | None, victim: str, facts: dict[str, Any]) -> list[Section]:
    """Only messages an officer confirmed, quoted in full; the number of occasions from the one count."""
    _, her = _pronouns(inputs)
    facts["confirmed_threat_occasions"] = decided.count.confirmed if decided and decided.count else 0
    facts["confirmed_threat_messages"] = len(decided.threats_in("confirmed")) if decided else 0
    facts["confirmed_behaviour_messages"] = len(decided.behaviours_in("confirmed")) if decided else 0
    if decided is None:
        return []
    out: list[Section] = []
    occasions = decided.confirmed_occasions
    if occasions:
        msgs = [m for _, day_msgs in occasions for m in day_msgs]
        who = _by_whom(inputs, msgs)
        sec = Section("Messages containing threats of violence")
        sec.blocks.append(Para(
            f"Of the messages in the chronology, {who} read each of the following in full and confirmed that it "
            f"contains a threat of violence to {victim} or to people or things close to {her.object}. They were sent {occasions_sentence(decided.count)}"
            + (", counting each UK calendar day once" if "calendar day" in decided.occasion_rule else
               ", counting occasions as the technical annex sets out")
            + ". Each is quoted in full as the exhibit records it."))
        for _day, day_msgs in occasions:
            for m in day_msgs:
                sec.blocks.append(_quoted(m))
        out.append(sec)
    shown = decided.behaviours_in("confirmed")
    if shown:
        who = _by_whom(inputs, shown)
        sec = Section("Messages about watching, following or monitoring")
        for kind in dict.fromkeys(m.behaviour for m in shown):
            mine = [m for m in shown if m.behaviour == kind]
            sec.blocks.append(Para(
                f"{who[:1].upper() + who[1:]} read the following "
                f"{'message' if len(mine) == 1 else str(len(mine)) + ' messages'} in full and confirmed "
                f"{'it' if len(mine) == 1 else 'them'} as referring to {behaviour_words(kind, her)}:"))
            sec.blocks += [_quoted(m) for m in mine]
        out.append(sec)
    return out


def _police_numbers(a: AuthorityCalls) -> str:
    """``the police number 101``, or the numbers as dialled joined with 'and'."""
    named = [f"the police number {n}" if n.isdigit() and len(n) <= 3 else n for n in a.numbers]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def _police_call(findings: Findings, his: Pronouns) -> str:
    """The day count's definition names the calls to a police number it counts: it said 'a contact from
    him or a recorded presence', then that days rest on a call to 101 alone, which is neither."""
    a = findings.authority_calls
    return "" if a is None else f", a call from {his.object} to {_police_numbers(a)}"


def _authority_days(findings: Findings, subject: str) -> str:
    """The calls to a police number the day count includes (they are not contact with the people named
    in the case, so the count would not otherwise agree with the contacts above)."""
    a = findings.authority_calls
    if a is None:
        return ""
    numbers = _police_numbers(a)
    out = (f" These days include {_plural(a.calls, 'call')} from {subject} to {numbers} "
           f"({', '.join(uk_date(d) for d in a.days)}); such calls are not contacts with the people named in the case.")
    if a.only_days:
        out += (f" {_plural(len(a.only_days), 'of these days rests', 'of these days rest')} on such a call alone "
                f"({', '.join(uk_date(d) for d in a.only_days)}).")
    return out


def _leaving_out(findings: Findings) -> str:
    t = findings.two_way
    if t is None:
        return ""
    return (", leaving out the contact described next" if t.contacts_not_counted == 1 else
            f", leaving out the {t.contacts_not_counted:,} contacts described next")


def _two_way(findings: Findings, subject: str, victim: str, her_object: str) -> str:
    """The contacts the day count leaves out as two-way, with the rule, so that it agrees with the contacts above."""
    t = findings.two_way
    if t is None:
        return ""
    one = t.contacts_not_counted == 1
    return (f" {'The contact' if one else 'The ' + format(t.contacts_not_counted, ',') + ' contacts'} from {subject} left "
            f"out {'was' if one else 'were'} made in {_plural(t.weeks, 'week')} "
            f"(Monday to Sunday) in which {victim} or the people close to {her_object} started at least "
            f"{_plural(t.min_started, 'contact')} with {subject} and at least {t.share:.0%} of the contact between them "
            "(a request to stop is not counted as such a contact). In those weeks the records alone cannot show "
            f"whether the contact from {subject} was unwanted.")


def _confirmed_days(findings: Findings) -> str:
    """The days counted only because an officer confirmed a possible co-location or a possible breach,
    said as such."""
    days = sorted({p.day for p in findings.confirmed_colocations if p.new_day})
    b_days = sorted({b.day for b in findings.confirmed_breaches if b.new_day and b.is_incident})
    out = ""
    if days:
        out += (f" {_plural(len(days), 'of these days rests', 'of these days rest')} only on a possible co-location "
                f"confirmed by an officer ({', '.join(uk_date(d) for d in days)}), set out under Places and orders.")
    if b_days:
        out += (f" {_plural(len(b_days), 'of these days rests', 'of these days rest')} only on a possible presence, "
                f"confirmed by an officer, in an area named in an order ({', '.join(uk_date(d) for d in b_days)}), set "
                "out under Places and orders.")
    return out


def _both_sides(p: PossibleColocation) -> str:
    """The first record of each device (his, then hers) and how many more: both sides are named."""
    shown = [*p.colocation.exhibits[:1], *p.colocation.victim_exhibits[:1]]
    more = len(p.records()) - len(shown)
    return join_list(shown) + (f"; and {more} more" if more > 0 else "")


def _confirmed_colocations(inputs: ReportInputs, findings: Findings, subject: str,
                           facts: dict[str, Any], produced: Produced) -> list[Para | Table]:
    """Possible co-locations an officer confirmed, as facts: what the records show (positions, distance,
    each side's stated accuracy or its absence, the exhibit records), and that each is counted on a
    decision made after checking it, which these records alone cannot support. As for confirmed
    threats (:mod:`reports.decided`), who decided, when and why is not written here: another
    officer's decision is not a fact the maker can give, and its reason may rest on other evidence
    (the victim's account); it is in the reviewer's note, the audit log and the decisions ledger,
    which the MG6C schedules. Never stated as a measured presence; nothing about what it means."""
    confirmed = findings.confirmed_colocations
    facts["confirmed_possible_colocations"] = len(confirmed)
    if not confirmed:
        return []
    victim = inputs.victim.name if inputs.victim else "the victim"
    standard = findings.conduct.location_standard if findings.conduct is not None else None
    near = f"{standard.near_m:.0f} m" if standard is not None else "the stated distance"
    rows = [[uk_time(p.start), _place_label(inputs, p.colocation.place, p.colocation.kind),
             _metres(p.colocation.min_distance_m), f"{p.accuracy[0]} / {p.accuracy[1]}", _both_sides(p)]
            for p in confirmed[:MAX_ROWS]]
    return [
        Para(f"On {_plural(len(confirmed), 'further occasion')} the reported positions of a device used by {subject} and "
             f"of {victim}'s device were within {near} of each other, but at least one of the positions states no "
             "accuracy, so these records alone do not place the two devices that close. Each is counted as an "
             "occasion in this statement only because it was checked against other material and confirmed by an "
             "officer; that decision is recorded in the case's decisions ledger. "
             # the table names two records of each and "and 11 more": which 11 (covert 62017), and the exhibit
             # produced for them (JA/30) was referred to nowhere when no co-location was measured
             + (f"They are listed, with every exhibit record of each, in exhibit {produced.ref('table:colocations')}:"
                if produced.get("table:colocations") is not None else
                f"Every exhibit record of each is listed in exhibit {produced.ref('events')}:")),
        Table(["From (UK)", "Place", "Closest", "Accuracy (suspect / victim)", "Exhibit records"], rows,
              widths=[1.1, 1.4, 0.8, 1.6, 2.6], small=True),
    ]


def _places_and_orders(inputs: ReportInputs, findings: Findings, parts: StatementParts, subject: str,
                       facts: dict[str, Any]) -> Section:
    his, _ = _pronouns(inputs)
    m = inputs.manifest
    produced = parts.produced
    sec = Section("Places and orders")
    cl = findings.colocations
    facts["colocations"] = len(cl)
    standard = findings.conduct.location_standard if findings.conduct is not None else None
    if standard is not None:
        sec.blocks.append(Para("Presence is counted on one standard, applied in the same way to the positions of "
                               f"{subject}'s devices and to {inputs.victim.name if inputs.victim else 'the victim'}'s: "
                               f"{standard.rule}."))
    if cl:
        sec.blocks.append(Para(
            f"On {_plural(len(cl), 'occasion')} a device used by {subject} was recorded near a place named in the case "
            f"or near {inputs.victim.name if inputs.victim else 'the victim'}'s own recorded position, counting only "
            "positions whose stated accuracy places them within the distance shown (a cell site is never counted as "
            f"presence). They are listed in exhibit {produced.ref('table:colocations')}:"))
        rows = [[uk_time(c.start), _place_label(inputs, c.place, c.kind), _metres(c.min_distance_m),
                 _metres(c.max_accuracy_m), _refs(c.event_ids, parts.records)] for c in cl[:MAX_ROWS]]
        sec.blocks.append(Table(["From (UK)", "Place", "Closest", "Accuracy (up to)", "Exhibit records"], rows,
                                widths=[1.3, 1.8, 0.8, 1.0, 3.2], small=True))
    else:
        sec.blocks.append(Para(f"No position of a device used by {subject} was recorded near a place named in the case "
                               f"or near {inputs.victim.name if inputs.victim else 'the victim'}'s own recorded "
                               "positions within its stated accuracy."))
    sec.blocks += _confirmed_colocations(inputs, findings, subject, facts, produced)
    facts["breaches"] = len(findings.breaches)
    orders = {o.order: o for o in findings.conduct.orders} if findings.conduct is not None else {}
    for o in m.orders:
        info = orders.get(o.reference) or orders.get(o.label)
        title = info.title if info is not None else inputs.rules.order_type(o.type).title
        end = uk_time(o.end) if o.end else "with no end date recorded"
        conds = (["not to contact " + (m.party(o.protects).name or o.protects)] if o.no_contact else []) + (
            [f"not to enter {', '.join(_place_label(inputs, z, None) for z in o.exclusion_zones)}"]
            if o.exclusion_zones else [])
        mine = [b for b in findings.breaches if b.order in (o.reference, o.label) and not b.kind.endswith("(confirmed)")]
        contact_n = sum(1 for b in mine if b.kind == "contact")
        zone_n = sum(1 for b in mine if b.kind == "exclusion-zone")
        sec.blocks.append(Para(
            f"The case records a {title.lower()} {o.reference} against {m.party(o.against).name or o.against}, in force "
            f"from {uk_time(o.start)} {('to ' + end) if o.end else end}, with the conditions: "
            f"{'; '.join(conds) or 'as recorded in the order'}. While it was in force, the exhibits record "
            f"{_plural(contact_n, 'contact')} from identifiers attributed to {subject} to the protected person and "
            f"{_plural(zone_n, 'occasion')} on which {his.possessive} device was recorded inside an area {his.subject} "
            f"{his.verb('was', 'were')} not to enter."))
        rows = [[uk_time(b.ts), "inside the area" if b.kind == "exclusion-zone" else b.kind,
                 _place_label(inputs, b.place, None) if b.place else channel_name(b.channel or ""),
                 _metres(b.min_distance_m) if b.kind == "exclusion-zone" else "",
                 _refs(b.event_ids, parts.records)] for b in mine[:MAX_ROWS]]
        if rows:
            sec.blocks.append(Table(["When (UK)", "What", "Where / channel", "Closest", "Exhibit records"], rows,
                                    caption=f"While order {o.reference or o.type} was in force (exhibit "
                                            f"{produced.ref('table:breaches')})", widths=[1.4, 1.1, 1.8, 0.8, 3.0],
                                    small=True))
        sec.blocks += _confirmed_breaches(inputs, findings, o, subject, his.possessive, facts, produced)
    return sec


def _confirmed_breaches(inputs: ReportInputs, findings: Findings, o: Any, subject: str, his: str,
                        facts: dict[str, Any], produced: Produced) -> list[Para | Table]:
    """Possible breaches of ``o``'s exclusion zone an officer confirmed, as facts: what the records show
    (the position, its distance from the zone's centre, that it states no accuracy or that its accuracy
    circle straddles the boundary, the exhibit records), and that each is counted only on a decision made
    after checking it against other material. As for confirmed co-locations, who decided, when and why
    is not written here (another officer's decision is not the maker's evidence; it is in the reviewer's
    note, the audit log and the decisions ledger, which the MG6C schedules); never a measured presence."""
    confirmed = [b for b in findings.confirmed_breaches if b.order in (o.reference, o.label)]
    facts["confirmed_possible_breaches"] = facts.get("confirmed_possible_breaches", 0) + len(confirmed)
    if not confirmed:
        return []
    rows = [[uk_time(b.start), _place_label(inputs, b.place, None), _metres(b.possible.min_distance_m),
             _possible_only(b.possible), join_list(b.possible.exhibits[:MAX_REFS])
             + (f"; and {len(b.possible.exhibits) - MAX_REFS} more" if len(b.possible.exhibits) > MAX_REFS else "")]
            for b in confirmed[:MAX_ROWS]]
    return [
        Para(f"On {_plural(len(confirmed), 'further occasion')} while order {o.reference or o.type} was in force, a "
             f"reported position of {his} device was in or at the edge of an area {subject} was not to enter, but these "
             "records alone do not place the device inside it: each position was either reported inside with no "
             "stated accuracy, or reported outside with a stated accuracy reaching inside (shown for each below). "
             + ("Each is counted in this statement only because " if all(b.is_incident for b in confirmed) else
                # the order type's breach is not an incident (rules file): a breach of the order, never a day counted
                "Each is counted in this statement as an occasion while the order was in force, not among the days of "
                f"contact or presence listed in exhibit {produced.ref('table:incidents')}, and only because ")
             + "it was checked against other material and confirmed by an officer; that decision is recorded in the "
             "case's decisions ledger:"),
        Table(["When (UK)", "Area", "From its centre", "Accuracy", "Exhibit records"], rows,
              widths=[1.2, 1.5, 0.9, 1.6, 2.4], small=True),
    ]


def _possible_only(possible: PossibleBreach) -> str:
    """What makes a position only possible presence, in a served table's words (no finding, no advice),
    from the positions' statuses (never by reading the analysis's certainty sentence)."""
    parts = []
    if ACCURACY_UNKNOWN in possible.statuses:
        parts.append("reported inside; accuracy not stated")
    if OUTSIDE_STRADDLES in possible.statuses:
        parts.append("reported outside; accuracy reaches inside")
    return "; ".join(parts) or possible.certainty


CONTROL_CHARACTERS_SAID: Final = (
    "Where a message holds a character that cannot be printed (a control character), the table shows it as a "
    "backslash, x and its code in hexadecimal (for example \\x01 for the character numbered 1); the exhibit holds "
    "the character itself.")
"""Said above the chronology when a row's text holds such a character (:func:`atlas.export.text.needs_escape`):
the DOCX and HTML write it as ``\\xNN``, and a reader of the served statement must know what that means."""


def _chronology(parts: StatementParts, subject: str, facts: dict[str, Any]) -> Section:
    chron = parts.chronology
    facts["chronology_rows"] = len(chron)
    sec = Section("Chronology")
    sec.blocks.append(Para(
        f"The table below lists every contact between {subject} and the people named in the case that I rely on, in "
        "order of time: the UK date and time with the zone, the channel, who it was from and to, the full text of each "
        "message as the exhibit records it, or the duration and outcome of each call, and the exhibit record that "
        "shows it (with the other exhibits that record the same contact)."
        + (f" The first {MAX_CHRONOLOGY_ROWS:,} of {len(chron):,} contacts are printed here; all of them are in exhibit "
           f"{parts.produced.ref('table:chronology')}." if len(chron) > MAX_CHRONOLOGY_ROWS else
           f" The same table is exhibit {parts.produced.ref('table:chronology')}.")))
    rows = [[r.uk_time, r.channel, f"{r.from_name} \u2192 {r.to_name}", r.content, r.exhibit_cell]
            for r in chron[:MAX_CHRONOLOGY_ROWS]]
    if any(needs_escape(r[3]) for r in rows):
        sec.blocks.append(Para(CONTROL_CHARACTERS_SAID))
    sec.blocks.append(Table(["Date and time", "Channel", "From \u2192 to", "Message or call", "Exhibit record"], rows,
                            widths=[1.1, 1.0, 1.35, 3.45, 1.9], small=True))
    return sec


def prefix_changes_said(audit: Sequence[Mapping[str, Any]], prefix: str, zone: ZoneInfo) -> str:
    """The MG11's sentence when the exhibit prefix was changed after exhibits were numbered
    (``atlas exhibit prefix``): documents made before carry the old references, and a reader
    holding both must be able to match them. Facts only: the dates, the prefixes and that the
    numbers did not change; the reason and who changed it stay in the audit log."""
    seen = changes_seen(audit)
    if not seen:
        return ""
    parts = [f"on {uk_date(c.at.astimezone(zone).date())} the exhibit prefix changed from {c.before} to {c.after}, "
             f"so documents made before then refer to {c.references_before}" for c in seen]
    said = "; ".join(parts)
    return (f"{said[0].upper()}{said[1:]}. They are the same exhibits with the same numbers; "
            f"in this statement every exhibit is referred to with the prefix {prefix} (each change is recorded in the "
            "case's audit log).")
