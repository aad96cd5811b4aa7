"""The technical annex: the software detail behind the statement, as an exhibit of its own.

A witness statement should say in plain words what was done and point to where the
detail is; the detail itself (the software and library versions, the rules and lexicon
files with their hashes, the contact-matching rule, each exhibit's clock correction and
how its times were read, the analysis settings) is for an expert who wants to check or
repeat the work. It is produced as a numbered exhibit (``technical-annex.docx``) that the
statement refers to by number, and it names records by exhibit, never by internal id.
"""

from __future__ import annotations

import importlib.metadata as metadata
import platform
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from atlas import __version__
from atlas.conduct.assumptions import LEGAL_RULES, LEXICON, MATCHING, NOT_CONTACTS_KEY, OCCASION
from atlas.exhibits import LIST_RULE, exhibit_key

from .document import Bullets, Document, Para, Section, Table
from .exhibits import Exhibit, by_hash_basis, refs_text
from .findings import Findings
from .inputs import ReportInputs
from .limitations import Limitations
from .redaction import redaction_note

DISTRIBUTION = "atlas-stalking"

TARGETS_RULE = (
    "In incidents.csv, the targets column gives the person or number each day's contact was aimed at by the key the "
    "analysis uses: the party's key in the case file (for example victim or friend), and for a police number "
    "authority: and the number as dialled (for example authority:tel-short:101). The target_names column beside it "
    "names each as the other outputs do: the party's name in the case file, and a police number as, for example, "
    "police non-emergency 101.")
"""How incidents.csv names its targets (shown when the analysis ran, so that the table is produced)."""
STATUS_RULE = (
    "In incidents.csv (identifier_statuses) and breaches.csv (identifier_status), the status of the suspect's "
    "identifier behind each contact is attributed (the officer attributed it to the suspect in the case file) or "
    "confirmed (an identity link confirmed by an officer; recorded in the case's decisions ledger makes it the "
    "suspect's; the statement's 'Identifiers relied on' gives each link and its basis); it is blank for a presence "
    "of the suspect's device, which is not a contact.")
"""What the served tables' identifier status words mean (an officer's decision, never a fact of the data)."""


def dependency_versions() -> list[tuple[str, str]]:
    """(library, installed version) for every runtime dependency Atlas declares."""
    try:
        required = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return []
    out = []
    for req in required:
        if "extra ==" in req:
            continue
        name = re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0]
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            out.append((name, "not installed"))
    return sorted(out)


SETTING_WORDS: Final[dict[str, tuple[str, Callable[[Any], str]]]] = {
    "gap_days": ("A gap between incidents is listed for a person to judge when longer than", lambda v: f"{v} days"),
    "burst_min_contacts": ("A burst is at least", lambda v: f"{v} contacts"),
    "burst_window_minutes": ("… within", lambda v: f"{v} minutes"),
    "night_start_hour": ("Night-time starts at", lambda v: f"{int(v):02d}:00 UK local time"),
    "night_end_hour": ("Night-time ends at", lambda v: f"{int(v):02d}:00 UK local time"),
    "near_m": ("Near the victim: the two reported positions within", lambda v: f"{v:g} m"),
    "colocation_window_minutes": ("… and at most", lambda v: f"{v} minutes apart"),
    "max_accuracy_m": ("A position is not used when its stated accuracy is worse than", lambda v: f"{v:g} m"),
    "cell_serving_radius_m": ("A cell's assumed reach where the data gives none", lambda v: f"{v:,.0f} m"),
    "reply_window_hours": ("A message is unreplied when nothing comes back within", lambda v: f"{v:g} hours"),
    "dedupe_tolerance_s": ("Records are one contact when their times are within", lambda v: f"{v} s"),
    "occasion": ("One occasion is", lambda v: "one UK local calendar day" if v == "calendar-day" else str(v)),
}
"""Each setting as a sentence a reader can check, with its unit, and the option's name to reproduce it: the
annex (served) listed "near m 100.0", "max accuracy m 250.0", "dedupe tolerance s 120" (rejected-ex 61023)."""


def _settings(options: Mapping[str, Any]) -> list[list[str]]:
    rows = [[what, said(options[k]), k] for k, (what, said) in SETTING_WORDS.items() if k in options]
    if options.get("occasion") == "session" and "session_gap_hours" in options:
        rows = [[w, f"one session: contacts less than {options['session_gap_hours']:g} hours apart", k]
                if k == "occasion" else [w, v, k] for w, v, k in rows]
    return rows


def _hashing(sources: Sequence[Exhibit]) -> str:
    """How Atlas took each exhibit's SHA-256, as its ingest recorded (:attr:`Exhibit.hash_basis`)."""
    twice, once = by_hash_basis(sources)
    if not once:
        return "it opened every exhibit read-only and hashed it (SHA-256) before and after reading."
    read_once = ("read once through a read-only handle into memory, hashed (SHA-256) as read and parsed from those same "
                 "bytes; after the parse Atlas checked that the file's device, inode, size, modification time and "
                 "status-change time were those it had when it was opened")
    if not twice:
        return f"every exhibit was {read_once}."
    return (f"it opened every exhibit read-only. {refs_text(twice)} {'was' if len(twice) == 1 else 'were'} hashed "
            f"(SHA-256) before and after reading; {refs_text(once)} {'was' if len(once) == 1 else 'were'} {read_once}.")


def build(inputs: ReportInputs, findings: Findings, limits: Limitations, sources: Sequence[Exhibit],
          clock_offsets: Mapping[str, tuple[float, int]], exhibit: Exhibit | None) -> Document:
    m = inputs.manifest
    ref = exhibit.reference if exhibit else "(not produced)"
    sections: list[Section] = []

    sw = Section("Software")
    if redaction_note(inputs.case):
        sw.blocks.append(Para(redaction_note(inputs.case), numbered=False, emphasis=True))
    sw.blocks.append(Para(f"Atlas version {__version__}, run with Python {platform.python_version()}. Atlas works "
                          "offline; " + _hashing(sources)))
    sw.blocks.append(Table(["Library", "Installed version"], [list(r) for r in dependency_versions()],
                           caption="Libraries Atlas uses, as installed when the report was made", widths=[2, 1.5]))
    files = []
    prov = inputs.rules.provenance()
    files.append(["Legal rules", prov["rules_file"], prov["rules_version"], prov["rules_sha256"]])
    # the conduct analysis's provenance holds two files: the threat and behaviour rules that screen messages
    # (rules_*), and the lexicon it now reads only for requests to stop (lexicon_*). The annex named the lexicon
    # "Threat word list" and left out the rules file that actually flags threats.
    lex = findings.conduct.lexicon if findings.conduct is not None else {}
    if lex.get("rules_file"):
        files.append(["Threat and behaviour rules (they flag messages for a person to read; a flag is never a finding)",
                      str(lex["rules_file"]), str(lex.get("rules_version")), str(lex.get("rules_sha256"))])
    if lex.get("lexicon_file"):
        files.append(["Words recognised as a request to stop contact",
                      str(lex["lexicon_file"]), str(lex.get("lexicon_version")), str(lex.get("lexicon_sha256"))])
    if files:
        sw.blocks.append(Table(["File", "Name", "Version", "SHA-256"], files, caption="Data files the analysis read",
                               widths=[2.2, 1.6, 0.9, 3.2], mono=(3,), small=True))
    sections.append(sw)

    per = Section("Each exhibit: parser, record counts and times")
    by_id = {r["source_id"]: r for r in inputs.sources.iter_rows(named=True)}
    timing = {s.reference: s.timing for s in limits.sources}
    rows = []
    for e in sources:
        r = by_id.get(e.source_id, {})
        offset = clock_offsets.get(e.source_id)
        clock = (f"{offset[0]:+.0f} s ({offset[1]} matches)" if offset and offset[0] else
                 "none" if offset else "not estimated")
        rows.append([e.reference, e.parser, str(r.get("records_read", "")), str(r.get("events", "")),
                     str(r.get("rejects", "")), str(r.get("timezone") or m.timezone), timing.get(e.reference, ""), clock])
    per.blocks.append(Table(["Exhibit", "Parser (version)", "Read", "Events", "Set aside", "Zone", "How times were read",
                             "Clock correction"], rows, widths=[0.95, 1.45, 0.7, 0.9, 0.75, 1.0, 2.35, 1.3], small=True))
    per.blocks.append(Para(
        "Records read = events + records set aside, for every exhibit. The clock correction is the median difference "
        "between the exhibit's times and network time (call data records) over contacts matched without ambiguity; it "
        "is removed before matching and never changes a stored time.", numbered=False, emphasis=True))
    assumed = sorted((_by_number(s.reference), f"{s.reference}: {a}.") for s in limits.sources for a in s.assumptions)
    if assumed:
        per.blocks.append(Para("Assumptions recorded when each exhibit was read:", numbered=False, emphasis=True))
        per.blocks.append(Bullets([line for _, line in assumed]))
    sections.append(per)

    match = Section("Matching the same contact across exhibits")
    match.blocks.append(Para(inputs.dedupe_rule, numbered=False))
    if inputs.possible_sms_parts:
        match.blocks.append(Para(f"{inputs.possible_sms_parts} contacts counted are call data record SMS within seconds "
                                 "of another between the same people that no handset corroborates: some may be parts "
                                 "of one long message.", numbered=False))
    sections.append(match)

    lists = Section("How the tables list records")
    lists.blocks.append(Para(
        "Each source record is named by its exhibit and its place in it (for example JA/7, sms rowid 477): the "
        "exhibit column of events.csv, one row per record, each named once. " + LIST_RULE, numbered=False))
    if findings.conduct is not None:
        lists.blocks.append(Para(TARGETS_RULE, numbered=False))
        lists.blocks.append(Para(STATUS_RULE, numbered=False))
    sections.append(lists)

    conduct = findings.conduct
    if conduct is not None:
        st = Section("Analysis settings")
        cc = conduct.course_of_conduct
        if cc.get("occasion_rule"):
            st.blocks.append(Para(f"Days: {cc['occasion_rule']}.", numbered=False))
        st.blocks.append(Table(["Setting", "Value", "Option"], _settings(conduct.options), widths=[3.0, 1.6, 2.0]))  # an option name on one line
        # by declared audience (the time limit and inferences are advice), less what this annex sets out in a
        # section of its own: the matching rule and which records are never contacts (Matching), the occasion
        # (Days, above), the legal rules and lexicon files with their versions and hashes (Data files)
        stated = [MATCHING, NOT_CONTACTS_KEY, LEGAL_RULES]
        if cc.get("occasion_rule"):
            stated.append(OCCASION)
        if lex.get("lexicon_file"):
            stated.append(LEXICON)
        method = findings.method_assumptions_except(stated)
        if method:
            st.blocks.append(Para("Assumptions the analysis recorded:", numbered=False, emphasis=True))
            st.blocks.append(Bullets(method))
        sections.append(st)

    return Document(
        title=f"TECHNICAL ANNEX \u2013 EXHIBIT {ref}", reference=m.reference, sections=sections,
        created=_created(inputs), author=m.analyst or m.officer, marking=f"EXHIBIT {ref}",
        banner=f"Exhibit {ref} to the statement of {m.analyst or m.officer}: the software detail behind it.",
        subject="Technical annex produced by Atlas",
    )


def _by_number(reference: str) -> int:
    """An exhibit's place in a list of them: by its number (``JA/7`` before ``JA/10``), read from
    the reference itself (:func:`atlas.exhibits.exhibit_key`) rather than cut from a formatted line;
    an unnumbered one last."""
    return exhibit_key(reference)[1] or 1 << 30  # exhibit numbers start at 1


def _created(inputs: ReportInputs) -> Any:
    from .statement import created_at

    return created_at(inputs)
