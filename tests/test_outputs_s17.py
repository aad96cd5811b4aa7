"""Defects a person saw in what is handed out for unseen cases (session 17's read of rejected-ex 61023,
time-limit 61047 and clean 61089, before and after confirmation, as of 01/12/2026 and near the s2A last day),
each held here."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from _conduct_cases import SUSPECT, VICTIM, call, make_case, msg, pos

HOME = (51.5074, -0.1278)  # "victim home" in _conduct_cases' manifest
THIRD = "tel:+447700900555"


def _channels_case(root: Path):  # type: ignore[no-untyped-def]
    return make_case(root, {
        VICTIM: [msg("2026-05-01 12:00", SUSPECT, VICTIM), call("2026-05-02 12:00", SUSPECT, VICTIM),
                 msg("2026-05-03 12:00", SUSPECT, VICTIM, channel="whatsapp")],
        SUSPECT: [pos("2026-05-04 20:00", *HOME, channel="google-location"),
                  pos("2026-05-04 20:05", *HOME, channel="gps"),
                  msg("2026-05-05 09:00", SUSPECT, THIRD), call("2026-05-05 10:00", THIRD, SUSPECT)],
    })


def test_report_html_chart_legend_and_incident_channels_use_peoples_words(tmp_path: Path) -> None:
    """rejected-ex 61023: report.html's 'Contacts per day' legend and hover read the store's channel keys
    ("sms", "voice", "whatsapp"; clean 61089 "mms/sms", "x"), and its incidents table "sms, voice, whatsapp" and
    "google-location/gps", where the MG11 says "SMS", "Phone call", "WhatsApp"."""
    from reports.build import build_reports

    case = _channels_case(tmp_path / "c")
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    html = (case.root / "out" / "report.html").read_text(encoding="utf-8")
    labels = set(re.findall(r'"label":\{"type":"value","value":"([^"]*)"\}', html))
    assert {"SMS", "Phone call", "WhatsApp"} <= labels, labels
    assert not labels & {"sms", "voice", "whatsapp"}, labels
    assert "sms, voice" not in html and "google-location/gps" not in html
    assert "Google location history and GPS" in html  # the presence day's channels: two sources, not "differ"
    assert "google-location" not in html  # nor a selected row's records, nor the contact graph's hover


def test_the_served_chart_legend_uses_peoples_words(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The same legend in the served chart (JA/28 in rejected-ex 61023, a PNG): "sms", "voice", "mms/sms", "x"."""
    from reports import figures
    from reports.build import build_reports

    case = _channels_case(tmp_path / "c")
    result = build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    seen: list[str] = []

    def keep(fig, path, footer):  # type: ignore[no-untyped-def]
        seen.extend(t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts())
        return path

    monkeypatch.setattr(figures, "_save", keep)
    figures.contacts_per_day(result.findings, tmp_path / "chart.png", "footer", "Daniel Sample")
    assert {"SMS", "Phone call", "WhatsApp"} <= set(seen), seen
    assert not set(seen) & {"sms", "voice", "whatsapp"}, seen


def test_positions_are_named_by_their_source_not_the_stores_channel_key() -> None:
    """rejected-ex 61023: colocations.csv (JA/35), report.html and the note said "google-location/gps positions,
    stated accuracy up to ±92 m" and "1 google-location position reported inside the radius"; the incidents
    table's channel names said "google-location or gps (the records differ)" of a day's positions from two
    sources. Each source is now named, and two sources are two sources, not records that differ."""
    from atlas.wording import channel_name, location_sources

    assert channel_name("google-location/gps") == "Google location history and GPS"
    assert location_sources(["gps"]) == "GPS" and location_sources([]) == "location"
    assert channel_name("mms/sms") == "MMS or SMS (the records differ)"  # a contact's records still differ


def test_colocation_precision_names_the_sources(tmp_path: Path) -> None:
    from atlas.conduct import analyse

    case = _channels_case(tmp_path / "c")
    r = analyse(case, as_of=date(2026, 12, 1)).to_json()
    [col] = r["colocations"]
    assert col["precision"].startswith("positions from Google location history and GPS, stated accuracy"), col
    [day] = [i for i in r["incidents"] if i["date"] == "2026-05-04"]
    assert day["channels"] == ["google-location/gps"]  # data keeps the keys; outputs name them


def test_unused_material_names_channels_as_people_do(tmp_path: Path) -> None:
    """rejected-ex 61023, MG6C: "18 call/message record(s) (sms/voice) with Kevin Mockford": the store's keys,
    joined by the slash that elsewhere means a contact whose records differ."""
    import csv

    from reports.build import build_reports

    case = _channels_case(tmp_path / "c")
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    with (case.root / "out" / "unused-material.csv").open(encoding="utf-8") as f:
        rows = [r["description"] for r in csv.DictReader(f)]
    third = [d for d in rows if "not a party in the case" in d]
    assert third and all("(Phone call, SMS)" in d for d in third), third
    assert not any("sms/voice" in d or "(sms)" in d for d in rows), rows


def test_the_served_annex_gives_no_legal_use_of_a_confirmed_threat(tmp_path: Path) -> None:
    """rejected-ex 61023, technical annex (JA/38, served): "only confirmed occasions count towards s4A", a
    charging point in a served exhibit. It now says what the method does: only a message a person confirmed is
    stated as a threat. The reviewer's note keeps the s4A advice."""
    from docx import Document

    from reports.build import build_reports

    case = _channels_case(tmp_path / "c")
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    annex = "\n".join(p.text for p in Document(str(case.root / "out" / "technical-annex.docx")).paragraphs)
    assert "s4A" not in annex and "s2A" not in annex, [line for line in annex.splitlines() if "s4A" in line]
    assert "only a message a person confirmed is stated as a threat" in annex


def test_the_notes_strategy_table_prints_each_identifier_unbroken(tmp_path: Path) -> None:
    """rejected-ex 61023 and time-limit 61047, reviewer's note as PDF: the 'Strategy items not yet requested'
    table broke identifiers inside a word: "facebook:daniel.sampl|e.9", "instagram:d4n.watchin|g",
    "instagram:alice.examp|le" (21 characters fitted in its 3.7 cm column). The column now holds an identifier
    of 26 characters on one line (8 pt type at 0.6 em a character, less LibreOffice's cell padding)."""
    from docx import Document

    from reports.build import build_reports

    case = _channels_case(tmp_path / "c")
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    doc = Document(str(case.root / "out" / "reviewer-note.docx"))
    [table] = [t for t in doc.tables if [c.text for c in t.rows[0].cells][:2] == ["Data", "Identifier"]]
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    grid = [int(g.get(f"{ns}w")) for g in table._tbl.tblGrid.findall(f"{ns}gridCol")]
    column_cm = grid[1] / 567 - 0.4  # twentieths of a point → cm, less the padding either side
    per_char_cm = 8 * 0.6 / 72 * 2.54
    assert column_cm / per_char_cm >= len("instagram:alice.example.1") + 1, (grid, column_cm / per_char_cm)
    assert sum(grid) / 567 <= 17.05  # the table still fits the page


def test_events_csv_names_every_citing_table_by_its_exhibit(tmp_path: Path) -> None:
    """rejected-ex 61023, events.csv (JA/36) cited_by: "JA/28 contacts-per-day; …; JA/32 contacts; chronology;
    incident 07/03/2026": the charts and the contacts table by exhibit, the chronology (JA/37), the incidents
    (JA/33), breaches and co-locations tables by a bare word no reader can find in the exhibit list."""
    import csv

    from reports.build import build_reports

    case = _channels_case(tmp_path / "c")
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    out = case.root / "out"
    with (out / "exhibits.csv").open(encoding="utf-8") as f:
        refs = {r["filename"]: r["reference"] for r in csv.DictReader(f)}
    with (out / "events.csv").open(encoding="utf-8") as f:
        cited = [item for r in csv.DictReader(f) for item in r["cited_by"].split("; ") if item]
    assert cited and all(re.match(r"[A-Z]+/\d+ ", item) for item in cited), sorted(set(cited))
    assert any(item.startswith(f"{refs['chronology.csv']} chronology") for item in cited)
    assert any(item.startswith(f"{refs['incidents.csv']} incident ") for item in cited)
    assert any(item.startswith(f"{refs['colocations.csv']} co-location victim home") for item in cited)


def test_report_html_ranks_a_threat_candidate_in_the_notes_words(tmp_path: Path) -> None:
    """rejected-ex 61023: report.html's candidates table read "occasion; awaiting a decision" and "review;
    awaiting a decision" (the threat rules' tier keys, under "tier; decision") where the reviewer's note says
    "likely threat; awaiting a decision" and "review list; …" of the same messages."""
    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [
        msg("2026-05-01 12:00", SUSPECT, VICTIM, "if u go 2 the police ur dead"),
        msg("2026-05-02 12:00", SUSPECT, VICTIM, "Don't make me come round"),
        msg("2026-05-03 12:00", SUSPECT, VICTIM)]})
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    html = (case.root / "out" / "report.html").read_text(encoding="utf-8")
    assert "likely threat; awaiting a decision" in html and "review list; awaiting a decision" in html
    assert "occasion; awaiting" not in html and '"review; awaiting' not in html and "tier; decision" not in html


def test_the_annex_states_each_setting_with_its_unit(tmp_path: Path) -> None:
    """rejected-ex 61023, technical annex (JA/38, served), 'Analysis settings': "near m | 100.0", "max accuracy m |
    250.0", "dedupe tolerance s | 120", "occasion | calendar-day": option names with underscores taken out. Each is
    now a sentence with its unit ("Near the victim: the two reported positions within | 100 m"), the option's
    name beside it to reproduce the run."""
    from docx import Document

    from reports.build import build_reports

    case = _channels_case(tmp_path / "c")
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    doc = Document(str(case.root / "out" / "technical-annex.docx"))
    [table] = [t for t in doc.tables if t.rows[0].cells[0].text == "Setting"]
    rows = {r.cells[2].text: (r.cells[0].text, r.cells[1].text) for r in list(table.rows)[1:]}
    assert rows["near_m"] == ("Near the victim: the two reported positions within", "100 m"), rows
    assert rows["max_accuracy_m"][1] == "250 m" and rows["dedupe_tolerance_s"][1] == "120 s"
    assert rows["night_start_hour"][1] == "23:00 UK local time" and rows["occasion"][1] == "one UK local calendar day"
    assert rows["cell_serving_radius_m"][1] == "2,000 m" and rows["gap_days"][1] == "28 days"
    assert not any("_" in what or what.endswith((" m", " s")) for what, _ in rows.values()), rows
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    grid = [int(g.get(f"{ns}w")) for g in table._tbl.tblGrid.findall(f"{ns}gridCol")]
    option_cm = grid[2] / 567 - 0.4  # twentieths of a point → cm, less the cell padding
    assert option_cm / (8.5 * 0.6 / 72 * 2.54) >= len("colocation_window_minutes"), grid  # broke "…minut|es"


def test_a_lead_in_points_to_review_gives_its_basis_and_names_its_links_once(
        _small_cases_master: tuple[Path, Path], tmp_path: Path) -> None:
    """rejected-ex 61023 before any decision, reviewer's note, Points to review: "tel:+447700900018: 104 contacts
    with her …, not attributed to anyone; behaves like Daniel Sample's identifiers (not attributed to anyone in
    this view: …); a link awaiting a decision joins it to facebook:daniel.sample.9, …: 'Identity links awaiting a
    decision' above shows what confirming it would change; a link awaiting a decision joins it to
    instagram:dan.sample, …: '…' above shows what confirming it would change; a link …" (three times). "Behaves
    like" was an inference without its basis. The point now states the basis (first after the conduct began,
    one-way) and the links once."""
    import shutil

    from docx import Document

    from atlas.identity.candidates import discover
    from atlas.store import Case
    from reports.build import build_reports

    shutil.copytree(_small_cases_master[0], tmp_path / "demo")
    case = Case.open(tmp_path / "demo")
    discover(case)  # proposals only: nothing confirmed
    build_reports(case, tmp_path / "out", as_of=date(2026, 12, 1))
    text = "\n".join(p.text for p in Document(str(tmp_path / "out" / "reviewer-note.docx")).paragraphs)
    leads = [p for p in text.split("Points to review", 1)[1].splitlines() if "a lead for `atlas identity`" in p]
    assert leads and "behaves like" not in text
    for line in leads:
        assert "the first after the conduct began, one-way (" in line, line
        assert line.count("not attributed") + line.count("attributed to no one") == 1, line
        assert line.count("above shows what confirming") <= 1, line
    assert any("links awaiting a decision join it to " in line and ", each already taken to be " in line
               for line in leads), leads


def test_the_mg11_says_how_many_positions_state_no_accuracy(tmp_path: Path) -> None:
    """rejected-ex 61023, MG11 'Points to note' for JA/10 (a Semantic Location History month): "6 positions,
    median stated accuracy 380 m; 1 with a stated accuracy worse than 100 m". 4 of the 6 state no accuracy (an
    activity's start and end), and 380 m is the median of the other two (99 m and 661 m): the four went unsaid."""
    from docx import Document

    from reports.build import build_reports

    far = (51.60, -0.30)
    case = make_case(tmp_path / "c", {
        VICTIM: [msg("2026-05-01 12:00", SUSPECT, VICTIM)],
        SUSPECT: [pos("2026-05-02 10:00", *far, None), pos("2026-05-02 11:00", *far, None),
                  pos("2026-05-02 12:00", *far, 99.0), pos("2026-05-02 13:00", *far, 661.0)],
    })
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    paras = [p.text for p in Document(str(case.root / "out" / "statement.docx")).paragraphs]
    [note] = [p for p in paras if "4 positions" in p]
    # the same mend reached main from covert 62017 (reports.limitations.position_note); this holds JA/10's case
    assert "4 positions: 2 with no stated accuracy; of the 2 that state one, median 380 m, 1 worse than 100 m." in note
