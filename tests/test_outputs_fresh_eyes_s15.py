"""Defects a person saw in the outputs of unseen cases (session 15's fresh-eyes check), each held here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from _conduct_cases import SUSPECT, VICTIM, make_case, msg


def _docx_tables(path: Path) -> list[list[list[str]]]:
    from docx import Document

    return [[[c.text for c in row.cells] for row in t.rows] for t in Document(str(path)).tables]


def test_the_annex_names_the_threat_rules_file_that_flags_messages(tmp_path: Path) -> None:
    """Seed 26535 (third-parties): the annex's "Data files the analysis read" listed threat_lexicon.toml
    (2026.11.1) as the "Threat word list", while its own assumptions said the messages were screened with
    threat rules 2026.12.3; the file that flags threats (threat_rules.toml) and its SHA-256 were nowhere, and
    the lexicon is read only for requests to stop. A defence expert could not name the file to re-run."""
    from atlas.conduct.threats import load_lexicon
    from atlas.conduct.token_rules import load_rules
    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-02-01 12:00", SUSPECT, VICTIM),
                                               msg("2026-02-03 12:00", SUSPECT, VICTIM)]})
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    [files] = [t for t in _docx_tables(case.root / "out" / "technical-annex.docx") if t[0][:2] == ["File", "Name"]]
    by_name = {row[1]: row for row in files[1:]}
    rules, lexicon = load_rules(None), load_lexicon(None)
    assert by_name["threat_rules.toml"][2:] == [rules.version, rules.sha256]
    assert by_name["threat_rules.toml"][0].startswith("Threat and behaviour rules")
    assert by_name["threat_lexicon.toml"][2:] == [lexicon.version, lexicon.sha256]
    assert "request to stop" in by_name["threat_lexicon.toml"][0] and "Threat" not in by_name["threat_lexicon.toml"][0]


def test_the_midnight_warning_needs_every_record_of_the_last_contact_to_rest_on_an_assumed_zone(tmp_path: Path) -> None:
    """Seed 26535: the last incident, 00:29 BST on 01/07/2026, was recorded by a CDR read as Europe/London
    wall-clock time, by the sister's handset in UTC and by a download with a UTC offset. The reviewer's note,
    report.html and the TUI still warned "its time was converted from a wall-clock time with an assumed zone:
    check the source's time zone before relying on its date": two records that state their zone fix the date."""
    from atlas.conduct.analysis import analyse

    warning = "within an hour of midnight and its time was converted from a wall-clock time with an assumed zone"
    first = msg("2026-06-01 12:00", SUSPECT, VICTIM)
    last = msg("2026-06-30 23:29", SUSPECT, VICTIM, "late")  # 00:29 BST on 01/07
    wall_only = make_case(tmp_path / "wall", {VICTIM: [first, last | {"ts_basis": "local"}]})
    both = make_case(tmp_path / "both", {VICTIM: [first, last | {"ts_basis": "local"}], SUSPECT: [last]})
    for case, warned in ((wall_only, True), (both, False)):
        result = analyse(case, as_of=date(2026, 12, 1))
        assert result.s2a.last_incident is not None and result.s2a.last_incident.day == date(2026, 7, 1)
        assert any(warning in w for w in result.s2a.warnings) is warned, (case.root, result.s2a.warnings)


def test_the_demo_writes_its_reports_where_atlas_report_writes_them(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Seed 26535: `atlas demo` wrote its reports to outputs/report/ and `atlas report` to outputs/. After the
    officer's confirmations and `atlas report`, the case held two statements and two report.html, the demo's
    with 80 incidents beside the new one's 90, and the demo's closing lines told the officer to open the stale
    one. Now both write to the case's one outputs folder, and the later report replaces the earlier."""
    from atlas.cli import main

    case = tmp_path / "demo"
    assert main(["demo", str(case), "--scale", "0.02"]) == 0
    said = capsys.readouterr().out
    assert main(["report", str(case), "--as-of", "2026-12-01"]) == 0
    statements = sorted(p.relative_to(case).as_posix() for p in case.rglob("statement.docx"))
    reports = sorted(p.relative_to(case).as_posix() for p in case.rglob("report.html"))
    assert statements == ["outputs/statement.docx"] and reports == ["outputs/report.html"], (statements, reports)
    assert f"open {case / 'outputs' / 'report.html'} and statement.docx" in said


def test_the_triage_clock_line_says_how_many_records_it_leaves_out(tmp_path: Path) -> None:
    """Seed 14142 (rejected-ex): `atlas triage` said the clock runs from the last incident "(14/08/2026; JA/13, ...,
    JA/19, ..., JA/25, sms rowid 588)" while the row below it read "... JA/25, sms rowid 588 +1 more": the clock
    line cut the records at three and did not say so."""
    from atlas.conduct.analysis import analyse
    from atlas.store import Case
    from atlas.triage.assess import assess

    first = msg("2026-06-01 12:00", SUSPECT, VICTIM)
    last = msg("2026-06-20 12:00", SUSPECT, VICTIM, "the last one")
    owners = (VICTIM, SUSPECT, "tel:+447700900150", "tel:+447700900151")  # four exhibits record the last contact
    make_case(tmp_path / "c", {owner: [first, last] for owner in owners})
    case = Case.open(tmp_path / "c")
    conduct = analyse(case, as_of=date(2026, 12, 1))
    assert conduct.s2a.last_incident is not None and len(conduct.s2a.last_incident.exhibits) == 4
    text = assess(case, as_of=date(2026, 12, 1), conduct=conduct).clock_basis_text
    assert text.endswith(" +1 more)"), text
    assert all(e in text for e in conduct.s2a.last_incident.exhibits[:3])


def test_incidents_csv_gives_each_days_first_and_last_contact_in_uk_time(tmp_path: Path) -> None:
    """Seed 14142: incidents.csv (exhibit JA/33, served) gave first_ts and last_ts in UTC only, where the README
    says every table gives the UK time beside each ISO/UTC one: a spreadsheet user read 20:31 for a contact the
    statement puts at 21:31 BST. uk_first and uk_last now sit beside them."""
    import csv

    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-06-01 20:31", SUSPECT, VICTIM),
                                               msg("2026-06-01 23:10", SUSPECT, VICTIM)]})  # 00:10 BST on 02/06
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    with (case.root / "out" / "incidents.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["uk_date"], r["first_ts"][:16], r["uk_first"], r["uk_last"]) for r in rows] == [
        ("01/06/2026", "2026-06-01T20:31", "01/06/2026 21:31 BST", "01/06/2026 21:31 BST"),
        ("02/06/2026", "2026-06-01T23:10", "02/06/2026 00:10 BST", "02/06/2026 00:10 BST")]
    none = make_case(tmp_path / "none", {VICTIM: [msg("2026-06-01 20:31", VICTIM, SUSPECT)]})
    build_reports(none, none.root / "out", as_of=date(2026, 12, 1))
    header = (none.root / "out" / "incidents.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert {"uk_first", "uk_last", "first_ts", "last_ts"} <= set(header)


def test_report_html_says_what_a_gaps_days_count(tmp_path: Path) -> None:
    """Seed 16180 (time-limit): report.html gave the gap as "15/03/2026 to 04/07/2026: 111 days" beside the MG11's
    "The longest period with no such contact or presence was from 16/03/2026 to 03/07/2026 (110 days)": the same
    gap, counted two ways, with nothing to say which. The page now says it counts from one incident to the next
    and gives the days with none, the statement's number."""
    import html as html_lib

    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-03-15 12:00", SUSPECT, VICTIM),
                                               msg("2026-07-04 12:00", SUSPECT, VICTIM)]})
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    page = html_lib.unescape(html_lib.unescape((case.root / "out" / "report.html").read_text(encoding="utf-8")))
    assert "<td>15/03/2026 to 04/07/2026</td><td>111 days from one incident to the next (110 days with no incident " \
           "between)</td>" in page
    statement = (case.root / "out" / "statement.html").read_text(encoding="utf-8")
    assert "from 16/03/2026 to 03/07/2026 (110 days)" in statement


def test_the_daily_chart_is_described_as_shading_orders_only_where_there_is_one(tmp_path: Path) -> None:
    """Seeds 26535 (third-parties) and 23846 (clean): with no order in case.toml, the MG11 still produced
    "JA/21, chart: contacts per day from the suspect, by channel, with the periods orders were in force shaded":
    the statement described shading the chart does not have."""
    from reports.build import build_reports

    order = {"type": "restraining-order", "start": "2026-05-01T09:00:00Z", "reference": "RO-1"}
    words = "with the periods orders were in force shaded"
    for name, orders in (("none", None), ("one", [order])):
        case = make_case(tmp_path / name, {VICTIM: [msg("2026-05-06 12:00", SUSPECT, VICTIM),
                                                    msg("2026-05-08 12:00", SUSPECT, VICTIM)]}, orders=orders)
        result = build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
        [chart] = [e for e in result.exhibits if e.filename.endswith("figure-contacts-per-day.png")]
        statement = (case.root / "out" / "statement.html").read_text(encoding="utf-8")
        assert (words in chart.description) is bool(orders), (name, chart.description)
        assert (words in statement) is bool(orders), name
