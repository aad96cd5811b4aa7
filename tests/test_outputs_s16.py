"""Defects a person saw in the served outputs of unseen cases (session 16's read of seeds 99991, 12121,
34343, 56565, 78787, 10101 and 20202), each held here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from _conduct_cases import SUSPECT, VICTIM, make_case, msg


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
    assert any(w.startswith("the planned charge date 27/02/2027 is a Saturday: an information is laid when the court "
                            "office receives it; lay it no later than Friday 26/02/2027") for w in saturday.warnings), \
        saturday.warnings
    earlier = verdict(date(2027, 2, 20))  # a Saturday too, but a working day before the deadline follows it
    assert "only if an information can be laid that day: it is a Saturday (last day" in earlier.headline, earlier.headline
    assert any(w.startswith("the planned charge date 20/02/2027 is a Saturday: an information is laid when the court "
                            "office receives it; lay it on a working day") for w in earlier.warnings), earlier.warnings
    friday = verdict(date(2027, 2, 26))  # the last working day: as before
    assert friday.headline.startswith("in time on the planned date 26/02/2027, 2 days before the deadline"), friday.headline
    assert not any("court office receives it" in w for w in friday.warnings)


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
