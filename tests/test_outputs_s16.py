"""Defects a person saw in the served outputs of unseen cases (session 16's read of seeds 99991, 12121,
34343, 56565, 78787, 10101 and 20202), each held here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from _conduct_cases import SUSPECT, VICTIM, make_case, msg, possible_items_case


def test_the_mg11_none_near_sentence_covers_the_victims_own_positions_too(tmp_path: Path) -> None:
    """covert 78787: with no definite co-location the MG11 said only "No position ... was recorded near a
    place named in the case", while the same paragraph with co-locations counts both places and the victim's
    own recorded positions: a reader could not tell whether the victim's positions were compared at all."""
    from docx import Document

    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg(f"2026-05-{d:02d} 12:00", SUSPECT, VICTIM) for d in (1, 2, 3)]})
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    victim = next(p.name for p in case.manifest.parties if p.role == "victim")
    paras = [p.text for p in Document(str(case.root / "out" / "statement.docx")).paragraphs]
    none = next(p for p in paras if "No position of a device" in p)
    assert f"near a place named in the case or near {victim}'s own recorded positions" in none, none
    method = next(p for p in paras if "I then selected the contacts" in p)  # the method says what was compared
    assert f"near the places named in the case or near {victim}'s own recorded positions." in method, method


def test_case_uco_names_a_display_name_identifier_by_its_exhibit() -> None:
    """rejected-ex 99991, `atlas export --to case`: each confirmed identity link's action read
    "a: name:17dc1230bd93b131:Background Person 00; b: tel:+447700900010; …": a display name by the
    store's source id, which no reader can find. It now reads "Background Person 00 (name in JA/13)"."""
    from types import SimpleNamespace

    from atlas.export.case_uco import _facts

    ctx = SimpleNamespace(refs={"17dc1230bd93b131": "JA/13"})
    said = _facts(ctx, {"a": "name:17dc1230bd93b131:Background Person 00", "b": "tel:+447700900010",  # type: ignore[arg-type]
                        "basis": "contact-card"})
    assert said == "a: Background Person 00 (name in JA/13); b: tel:+447700900010; basis: contact-card", said
    assert "17dc1230bd93b131" not in said


def test_report_html_describes_only_the_shading_its_chart_draws(tmp_path: Path) -> None:
    """time-limit 34343 (no order in case.toml): report.html's 'Contact over time' said "Shaded red: an order
    in force" above a chart with no order band (the MG11's chart description was mended for this in session 15)."""
    import re

    from reports.build import build_reports

    no_order = make_case(tmp_path / "a", {VICTIM: [msg(f"2026-05-{d:02d} 12:00", SUSPECT, VICTIM) for d in (1, 2, 3)]})
    order = make_case(tmp_path / "b", {VICTIM: [msg(f"2026-05-{d:02d} 12:00", SUSPECT, VICTIM) for d in (1, 2, 3)]},
                      orders=[{"type": "restraining-order", "start": "2026-05-02T10:00:00Z", "reference": "RO-1"}])
    notes = []
    for case in (no_order, order):
        build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
        html = (case.root / "out" / "report.html").read_text(encoding="utf-8")
        section = html.split("Contact over time", 1)[1][:600]
        notes.append(re.sub(r"<[^>]+>", " ", section))
    assert "an order in force" not in notes[0] and "Hatched blue" in notes[0], notes[0]
    assert "Shaded red: an order in force." in notes[1] and "Hatched blue" in notes[1], notes[1]


def test_a_planned_charge_date_the_court_office_is_closed_is_not_called_in_time() -> None:
    """time-limit 34343 (last incident 31/08/2026, last day Sunday 28/02/2027): a planned charge date of
    Saturday 27/02/2027 was "in time on the planned date 27/02/2027, 1 day before the deadline", though an
    information is laid when the court office receives it and the last working day was Friday 26/02/2027.
    An officer acting on the verdict would lose the case. The verdict and a warning now say so."""
    from atlas.conduct.time_limit import LastIncident, s2a_verdict
    from atlas.rules import load_rules

    def verdict(charge: date):  # type: ignore[no-untyped-def]
        return s2a_verdict(load_rules(), last_incident=LastIncident(date(2026, 8, 31)), charge_date=charge,
                           as_of=date(2026, 12, 1), as_of_basis="test")

    saturday = verdict(date(2027, 2, 27))
    assert saturday.headline.startswith("in time on the planned date 27/02/2027, 1 day before the deadline, only if an "
                                        "information can be laid that day: it is a Saturday, after the last working "
                                        "day before the deadline, Friday 26/02/2027 (last day"), saturday.headline
    # the advice says its basis (an information laid at the court office) and its limit (a written charge or a
    # charge at a police station: for the CPS), not "an information is laid when the court office receives it"
    # as if laying an information at the court office were the only way to start proceedings
    hill = "R v Manchester Stipendiary Magistrate, ex p Hill [1983] 1 AC 328"
    other = ("; proceedings may instead be started by a written charge issued by a relevant prosecutor (Criminal Justice "
             "Act 2003 s29) or by a charge at a police station, which may not depend on the court office being open: "
             "whether either is possible and in time that day is for the CPS to confirm")
    assert (f"the planned charge date 27/02/2027 is a Saturday, after Friday 26/02/2027, the last working day before the "
            f"deadline: if the information is to be laid at the court office, it is laid when the court office receives "
            f"it ({hill}), so lay it no later than Friday 26/02/2027{other}") in saturday.warnings, saturday.warnings
    assert saturday.severity == "warn"  # not the 'in time' colour
    assert saturday.days_left_text == ("89 to the last day, Sunday 28/02/2027; 87 to the last working day before it, "
                                       "Friday 26/02/2027"), saturday.days_left_text
    earlier = verdict(date(2027, 2, 20))  # a Saturday too, but a working day before the deadline follows it
    assert "only if an information can be laid that day: it is a Saturday (last day" in earlier.headline, earlier.headline
    assert (f"the planned charge date 20/02/2027 is a Saturday: if the information is to be laid at the court office, it "
            f"is laid when the court office receives it ({hill}), so lay it on a working day{other}") in earlier.warnings, \
        earlier.warnings
    assert earlier.severity == "ok"
    friday = verdict(date(2027, 2, 26))  # the last working day: as before
    assert friday.headline.startswith("in time on the planned date 26/02/2027, 2 days before the deadline"), friday.headline
    assert not any("court office receives it" in w for w in friday.warnings)
    assert friday.severity == "ok"
    # the warning that the last day itself is a Sunday gives the same limit: the court office's rule is one way
    [last_day] = [w for w in friday.warnings if w.startswith("the last day, Sunday 28/02/2027, is a Sunday")]
    assert last_day.endswith("an information laid at the court office should be laid before that day. A written charge "
                             "issued by a relevant prosecutor (Criminal Justice Act 2003 s29) or a charge at a police "
                             "station may not depend on the court office being open: whether either is possible and in "
                             "time on the last day is for the CPS to confirm."), last_day


def test_the_reviewers_note_says_no_gap_is_to_judge_with_fewer_than_two_incidents(tmp_path: Path) -> None:
    """clean 10101 (0 incidents): the note's course-of-conduct section read "0 incidents …" then "No gap between
    incidents is longer than 28 days", as if incidents had been compared."""
    from docx import Document

    from reports.build import build_reports

    for n, name in ((0, "none"), (1, "one")):
        msgs = [msg("2026-02-01 12:00", VICTIM, SUSPECT)] + [msg("2026-02-02 12:00", SUSPECT, VICTIM)] * n
        case = make_case(tmp_path / name, {VICTIM: msgs})
        build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
        text = "\n".join(p.text for p in Document(str(case.root / "out" / "reviewer-note.docx")).paragraphs)
        assert "No gap between incidents is longer than" not in text, text
        assert "With fewer than two incidents there is no gap between incidents to judge." in text


def test_the_annex_says_what_a_served_tables_identifier_status_means(tmp_path: Path) -> None:
    """rejected-ex 99991: breaches.csv (exhibit JA/34) gives identifier_status 'confirmed' for 39 contacts, and
    incidents.csv (JA/33) identifier_statuses, but nothing served said that 'confirmed' means an identity link an
    officer confirmed (not a fact in the data), nor what 'attributed' means."""
    from docx import Document

    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg(f"2026-05-{d:02d} 12:00", SUSPECT, VICTIM) for d in (1, 2, 3)]})
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    text = " ".join(p.text for p in Document(str(case.root / "out" / "technical-annex.docx")).paragraphs)
    assert ("In incidents.csv (identifier_statuses) and breaches.csv (identifier_status), the status of the "
            "suspect's identifier behind each contact is attributed (the officer attributed it to the suspect in the "
            "case file) or confirmed (an identity link confirmed by an officer; recorded in the case's decisions "
            "ledger makes it the suspect's; the statement's 'Identifiers relied on' gives each link and its "
            "basis); it is blank for a presence of the suspect's device, which is not a contact.") in text, text[-1500:]


def test_items_awaiting_a_decision_are_named_by_time_and_records_not_by_handle(tmp_path: Path) -> None:
    """covert 82828 / rejected-ex 82829 (report --as-of 2026-12-01): the reviewer's note's possible co-locations
    and breaches tables began with an "Id" column ("Cc3c3c839", "Pfe8bfa62"), and report.html's threat,
    breach and co-location tables with "id": a hex handle read as the item's name. Each row now begins with its
    UK time, names its records by exhibit, and keeps the handle last, headed as what to type into the command."""
    import re

    from docx import Document

    from reports.build import build_reports

    case = possible_items_case(tmp_path / "c")
    result = build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    conduct = result.findings.conduct
    assert conduct is not None and conduct.colocation_reviews and conduct.breach_reviews
    handles = {i.id for i in (*conduct.colocation_reviews, *conduct.breach_reviews)}
    doc = Document(str(case.root / "out" / "reviewer-note.docx"))
    tables = [t for t in doc.tables if any(c.text in handles for r in list(t.rows)[1:] for c in r.cells)]
    assert len(tables) == 2
    for table in tables:
        header = [c.text for c in table.rows[0].cells]
        assert header[0] in ("From (UK)", "When (UK)") and header[-1] == "Command handle", header
        for row in list(table.rows)[1:]:
            cells = [c.text for c in row.cells]
            assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d (GMT|BST)", cells[0]) and cells[-1] in handles, cells
            assert not any(h in c for c in cells[:-1] for h in handles), cells
    said = " ".join(p.text for p in doc.paragraphs)
    assert "--confirm HANDLE" in said and "--confirm ID" not in said
    html = (case.root / "out" / "report.html").read_text(encoding="utf-8")
    assert html.count('"title":"command handle"') >= 3  # threats, breaches, co-locations: the CLI's words
    assert '"title":"id"' not in html and "<th>id</th>" not in html


def test_a_contact_whose_records_differ_in_channel_is_not_a_channel_of_its_own(tmp_path: Path) -> None:
    """clean 10101: the MG11's "Contacts by channel" had a row "MMS / SMS | 0 | 1" beside "SMS" (one message the
    handset's database records as MMS and the call data record and a tool export as SMS), read as a channel of
    its own. It now reads "MMS or SMS (the records differ)", in the chronology too; which it was is not chosen."""
    from reports.chronology import channel_name

    assert channel_name("mms/sms") == "MMS or SMS (the records differ)"
    assert channel_name("sms") == "SMS" and channel_name("sms/sms") == "SMS" and channel_name("") == "unknown"
    assert " / " not in channel_name("imessage/sms")
