"""The reviewer's note, the schedule of unused material (MG6C), and one set of numbers
across the CLI JSON, the statement, the note, report.html and the exported tables.

All on the rejected-ex case reported once per session (``_report_cases``): its true
aliases confirmed except one (:data:`PENDING_ALIAS`), which awaits a decision.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from _report_cases import AS_OF, PENDING_ALIAS, Reported, rejected_ex_reported
from docx import Document

from atlas.store import Case
from reports import unused as mg6c
from reports.reviewer_note import weekday_date
from reports.style import uk_date


@pytest.fixture(scope="module")
def reported() -> Reported:
    return rejected_ex_reported()


def _docx(path: Path) -> str:
    """The text as a person reads it: without the invisible word joiner that keeps 'tel:+44…' on one line
    (reports/line_breaks.py)."""
    doc = Document(str(path))
    text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    return text.replace("\u2060", "")


@pytest.fixture(scope="module")
def note(reported: Reported) -> str:
    return _docx(reported.out / "reviewer-note.docx")


def _cli_json(*args: str) -> dict[str, Any]:
    from atlas.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(list(args)) == 0
    return dict(json.loads(buf.getvalue()))


@pytest.fixture(scope="module")
def conduct(reported: Reported) -> dict[str, Any]:
    return _cli_json("conduct", str(reported.case_dir), "--json", "--as-of", AS_OF)


@pytest.fixture(scope="module")
def with_proposed(reported: Reported) -> dict[str, Any]:
    return _cli_json("conduct", str(reported.case_dir), "--json", "--as-of", AS_OF, "--with-proposed")


def test_the_note_is_marked_not_evidence_on_every_page_and_cites_the_rules_file(reported: Reported, note: str) -> None:
    doc = Document(str(reported.out / "reviewer-note.docx"))
    header = "".join(p.text for p in doc.sections[0].header.paragraphs)
    assert "NOT EVIDENCE \u2013 NOT FOR SERVICE" in header
    html = (reported.out / "reviewer-note.html").read_text(encoding="utf-8")
    assert "NOT EVIDENCE \u2013 NOT FOR SERVICE" in html and "not for service on the defence" in note
    from atlas.rules import load_rules

    prov = load_rules().provenance()
    assert f"{prov['rules_file']} version {prov['rules_version']} (SHA-256 {prov['rules_sha256']})" in note


def test_the_s2a_clock_in_the_note_is_the_analysis_clock(note: str, conduct: dict[str, Any]) -> None:
    s2a = conduct["s2a"]
    assert f"Last day to lay the information\n{weekday_date(s2a['deadline'])}" in note
    assert f"Days left\n{s2a['days_left']}" in note
    assert f"As of\n{weekday_date(AS_OF)}" in note
    assert uk_date(s2a["last_incident"]) in note and s2a["rule"] in note
    assert re.search(r"Last incident\n\d{2}/\d{2}/\d{4} \d{2}:\d{2} (GMT|BST) \(JA/\d+, ", note)


def test_every_threat_candidate_is_quoted_in_full_for_a_person_to_confirm(reported: Reported, note: str,
                                                                       conduct: dict[str, Any]) -> None:
    events = {r["event_id"]: r for r in Case.open(reported.case_dir).events().collect().iter_rows(named=True)}
    for occasion in conduct["threat_occasions"]:
        for text in occasion["texts"]:
            assert text in note
    for hit in conduct["threat_hits_for_review"]:
        full = max((events[i]["text"] or "" for i in hit["event_ids"]), key=len)
        assert full in note, full
    assert reported.report_json["reviewer_note"]["threat_occasions"] == len(conduct["threat_occasions"])


def test_the_pending_alias_and_what_confirming_it_would_change(reported: Reported, note: str,
                                                              conduct: dict[str, Any],
                                                              with_proposed: dict[str, Any]) -> None:
    assert PENDING_ALIAS in note
    after = with_proposed["with_proposed"]
    effect = reported.report_json["reviewer_note"]["if_confirmed"]
    for key in ("incidents", "breaches", "threat_occasions"):
        assert effect[key] == {"before": len(conduct[key]), "after": len(after[key])}, key
    # confirming the true alias gives the generator's truth
    truth = reported.truth
    assert effect["incidents"]["after"] == len(truth["incidents"]) > effect["incidents"]["before"]
    assert effect["breaches"]["after"] == len(truth["breaches"])
    assert effect["threat_occasions"]["after"] == len(truth["threat_occasions"])


def test_gaps_breaches_and_warnings_are_in_the_note(note: str, conduct: dict[str, Any]) -> None:
    for g in conduct["gaps"]:
        assert f"{uk_date(g['from'])}\n{uk_date(g['to'])}\n{g['days']}" in note
    order = conduct["orders"][0]
    assert order["breach_rule"] in note and order["order_citation"] in note
    for w in conduct["warnings"]:
        assert w in note


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_unused_material_schedule_accounts_for_every_record_of_every_source(reported: Reported) -> None:
    rows = _rows(reported.out / "unused-material.csv")
    case = Case.open(reported.case_dir)
    exhibits = {r["reference"]: r for r in _rows(reported.out / "exhibits.csv") if r["kind"] == "source"}
    relied = {r["exhibit"] for r in _rows(reported.out / "events.csv")}  # one row per record, named by exhibit
    sources = {r["sha256"]: r for r in case.sources().iter_rows(named=True)}
    assert {r["exhibit"] for r in rows} == set(exhibits)
    for ref, ex in exhibits.items():
        src = sources[ex["sha256"]]
        mine = [r for r in rows if r["exhibit"] == ref]
        account = [r for r in mine if r["category"] == "accounting for the exhibit"]
        assert len(account) == 1 and int(account[0]["records"]) == src["records_read"]
        unused = sum(int(r["records"]) for r in mine if r["category"] not in ("accounting for the exhibit",
                                                                              "records that could not be read",
                                                                              "flagged message dismissed by an officer",
                                                                              "flagged message awaiting an officer's decision",
                                                                              # decisions on records already counted above
                                                                              mg6c.BREACH_DISMISSED, mg6c.BREACH_OPEN,
                                                                              mg6c.COLOCATION_DISMISSED,
                                                                              mg6c.COLOCATION_OPEN))
        rejects = sum(int(r["records"]) for r in mine if r["category"] == "records that could not be read")
        relied_here = sum(1 for e in relied if e == ref or e.startswith(ref + ", "))
        assert relied_here + unused + rejects == src["records_read"], ref
        assert rejects == src["rejects"]
        assert (f"{src['records_read']} records read from {src['name']}: {relied_here} relied on in the statement, "
                f"{unused} not relied on") in account[0]["description"]
    third = [r for r in rows if r["category"] == "communications with a person who is not a party in the case"]
    assert third and all(r["third_party_personal_data"] == "Y" for r in third)
    wb = openpyxl.load_workbook(reported.out / "unused-material.xlsx")
    xrows = [[("" if c is None else str(c)) for c in row] for row in wb["MG6C"].iter_rows(values_only=True)]
    assert xrows[1:] == [list(r.values()) for r in rows]
    html = (reported.out / "unused-material.html").read_text(encoding="utf-8")
    assert html.count("<tr>") == len(rows) + 1
    assert reported.report_json["unused_material"][0]["read"] == int(rows[0]["records"])


def test_numbers_agree_across_cli_json_statement_note_html_and_exports(reported: Reported, note: str,
                                                                        conduct: dict[str, Any]) -> None:
    facts, nfacts = reported.report_json["facts"], reported.report_json["reviewer_note"]
    n_inc, n_br = len(conduct["incidents"]), len(conduct["breaches"])
    statement = _docx(reported.out / "statement.docx")
    html = unescape((reported.out / "report.html").read_text(encoding="utf-8"))  # Bokeh embeds Div text escaped
    # incidents
    assert facts["incidents"] == nfacts["incidents"] == n_inc == len(_rows(reported.out / "incidents.csv"))
    assert f"there are {n_inc} such days" in statement and f"{n_inc} incidents (occasions" in note
    assert f"<tr><td><b>Incidents (occasions)</b></td><td>{n_inc}</td></tr>" in html
    # breaches
    assert facts["breaches"] == nfacts["breaches"] == n_br == len(_rows(reported.out / "breaches.csv"))
    assert f"<tr><td><b>Breaches of orders</b></td><td>{n_br}</td></tr>" in html
    # threat occasions: in the note and the page (for review), never in the statement
    n_thr = len(conduct["threat_occasions"])
    assert nfacts["threat_occasions"] == n_thr and "threat_occasions" not in facts
    count = conduct["threat_occasion_count"]
    assert count["occasions_if_all_confirmed"] == n_thr
    assert nfacts["threat_occasions_confirmed"] == count["confirmed_occasions"]
    assert (f"<tr><td><b>Threat occasions</b></td><td>{count['confirmed_occasions']} confirmed by an officer; "
            f"{count['pending_occasions']} more awaiting a decision</td></tr>") in html
    # contacts
    contacts = _rows(reported.out / "contacts.csv")
    assert facts["chronology_rows"] == len(contacts) == len(_rows(reported.out / "chronology.csv"))
    assert facts["contacts_from_suspect"] == sum(1 for c in contacts if c["way"] == "from-suspect")
    assert f"The exhibits record {facts['contacts_from_suspect']} contacts" in statement
    # s2A
    assert nfacts["s2a_deadline"] == conduct["s2a"]["deadline"] and nfacts["s2a_days_left"] == conduct["s2a"]["days_left"]
    assert uk_date(conduct["s2a"]["deadline"]) in html


def test_report_html_shows_warnings_gaps_pending_decisions_and_messages(reported: Reported, conduct: dict[str, Any],
                                                                       with_proposed: dict[str, Any]) -> None:
    page = unescape(unescape((reported.out / "report.html").read_text(encoding="utf-8")))  # Bokeh escapes Div text twice
    assert "For review: warnings, gaps and decisions awaiting an officer" in page
    for w in conduct["warnings"]:
        if "name:" not in w:
            assert w in page, w
    assert not re.search(r"name:[0-9a-f]{16}:", page.split("Contact over time")[0])  # named by exhibit instead
    for g in conduct["gaps"]:
        assert f"{uk_date(g['from'])} to {uk_date(g['to'])}" in page
    assert PENDING_ALIAS in page and "now (confirmed links only)" in page and "if all links above were confirmed" in page
    after = with_proposed["with_proposed"]
    assert (f"<tr><td>Incidents</td><td>{len(conduct['incidents'])}</td><td>{len(after['incidents'])}</td></tr>"
            in page)
    # the threat row counts candidate occasions (confirmed or awaiting a decision), and says so: under a
    # "confirmed links only" column a bare "Threat occasions" read as confirmed threats
    assert conduct["threat_occasion_count"]["confirmed_occasions"] < len(conduct["threat_occasions"])
    assert (f"<tr><td>Candidate threat occasions (confirmed or awaiting a decision)</td>"
            f"<td>{len(conduct['threat_occasions'])}</td><td>{len(after['threat_occasions'])}</td></tr>" in page)
    assert "<tr><td>Threat occasions</td>" not in page
    first = _rows(reported.out / "chronology.csv")[0]
    assert first["content"] in page and first["exhibit"] in page  # message text and its exhibit record
    assert "event ids" not in page and "record (event id)" not in page
    for c in conduct["colocations"]:
        assert f"{c['place']} (Alice Example)" in page and f"{float(c['min_distance_m']):.0f} m" in page
    assert " 1 rows)" not in page and " 1 days" not in page
