"""The MG11 statement draft, the exhibit schedule and events.csv on the rejected-ex case.

The case is generated, ingested and reported once (``_report_cases.rejected_ex_reported``);
the numbers in the statement are checked against ``atlas conduct --json`` for the same
case and date, and against the generator's truth.json, never against constants.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from _report_cases import AS_OF, Reported, rejected_ex_reported
from docx import Document

from atlas import __version__
from atlas.store import Case
from reports.limitations import describe_identifier
from reports.style import uk_date

MG11_SECTIONS = (
    "Role and instructions", "Exhibits received", "Method and software",
    "Findings: contact between the suspect and the victim's side", "Course of conduct", "The s2A time limit",
    "Indicators relevant to s4A", "Orders and breaches", "Identifiers attributed to the suspect",
    "What this data can and cannot show", "Appendix: source records behind each figure",
)


@pytest.fixture(scope="module")
def reported() -> Reported:
    return rejected_ex_reported()


def docx_text(path: Path) -> tuple[str, list[str], list[list[list[str]]]]:
    """(all paragraph text, headings, tables as rows of cell text) of a DOCX."""
    doc = Document(str(path))
    paras = [p.text for p in doc.paragraphs]
    headings = [p.text for p in doc.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return "\n".join(paras), headings, tables


@pytest.fixture(scope="module")
def statement(reported: Reported) -> tuple[str, list[str], list[list[list[str]]]]:
    return docx_text(reported.out / "statement.docx")


@pytest.fixture(scope="module")
def conduct_json(reported: Reported, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``atlas conduct --json`` for the same case and date, as a reviewer would run it."""
    import contextlib
    import io

    from atlas.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["conduct", str(reported.case_dir), "--json", "--as-of", AS_OF]) == 0
    return dict(json.loads(buf.getvalue()))


def test_statement_docx_has_the_mg11_header_declaration_and_every_section(
        statement: tuple[str, list[str], list[list[list[str]]]], reported: Reported) -> None:
    text, headings, tables = statement
    assert "WITNESS STATEMENT" in text
    assert "Criminal Justice Act 1967, s. 9" in text and "Magistrates' Courts Act 1980, s. 5B" in text
    header = {row[0]: row[1] for row in tables[0]}
    manifest = Case.open(reported.case_dir).manifest
    assert header == {"URN": manifest.reference, "Statement of": manifest.officer, "Age if under 18": "Over 18",
                      "Occupation": manifest.occupation}
    assert "is true to the best of my knowledge and belief" in text
    assert "liable to prosecution if I have wilfully stated in it anything which I know to be false" in text
    assert "DRAFT produced by Atlas for the officer to review" in text
    assert f"Date: {uk_date(date.fromisoformat(AS_OF))}" in text
    for section in MG11_SECTIONS:
        assert section in headings, section
    assert [h for h in headings if h in MG11_SECTIONS] == list(MG11_SECTIONS)  # in the order an MG11 gives them
    assert "Decision support, not legal advice" in text


def test_pages_are_counted_by_word_fields_in_the_declaration_and_footer(reported: Reported) -> None:
    """'Page X of Y' and the declaration's page count are fields, right after the officer edits."""
    import zipfile

    with zipfile.ZipFile(reported.out / "statement.docx") as z:
        body = z.read("word/document.xml").decode()
        footers = [z.read(n).decode() for n in z.namelist() if n.startswith("word/footer")]
    assert "NUMPAGES" in body  # "consisting of N page(s)"
    assert any("PAGE" in f and "NUMPAGES" in f and "Page " in f for f in footers)


def test_every_source_is_exhibited_with_its_hash_how_received_and_parser(
        statement: tuple[str, list[str], list[list[list[str]]]], reported: Reported) -> None:
    _, _, tables = statement
    received = next(t for t in tables if t[0] == ["Exhibit", "Description", "SHA-256", "How and when received"])
    by_sha = {row[2]: row for row in received[1:]}
    case = Case.open(reported.case_dir)
    prefix = case.manifest.exhibit_prefix
    assert len(by_sha) == len(reported.truth["sources"])
    for src in reported.truth["sources"]:
        row = by_sha[src["sha256"]]
        assert re.fullmatch(rf"{prefix}/\d+", row[0])
        assert "ingested into the case store with atlas ingest" in row[3]
        assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2} (GMT|BST)", row[3])
    parsers = next(t for t in tables if t[0][:2] == ["Exhibit", "Parser (version)"])
    stored = {f"{r['parser']} {r['parser_version']}" for r in case.sources().iter_rows(named=True)}
    assert {row[1] for row in parsers[1:]} == stored
    assert f"Atlas version {__version__}" in statement[0]


def test_statement_numbers_equal_atlas_conduct_json(reported: Reported, conduct_json: dict[str, Any],
                                                    statement: tuple[str, list[str], list[list[list[str]]]]) -> None:
    text, _, tables = statement
    s2a = conduct_json["s2a"]
    n_inc, n_thr, n_br = len(conduct_json["incidents"]), len(conduct_json["threat_occasions"]), len(conduct_json["breaches"])
    assert f"the analysis found {n_inc} incident" in text
    assert f"The last incident found was on {uk_date(s2a['last_incident'])}" in text
    assert f"an information can be laid is therefore {s2a['deadline_weekday']} {uk_date(s2a['deadline'])}" in text
    assert s2a["headline"][1:] in text and s2a["state"] == "in-time-if-laid-by-planned-date"
    assert f"were found on {n_thr} occasion" in text
    order = conduct_json["orders"][0]
    assert f"The analysis found {order['contact_breaches']} contact" in text
    assert f"and {order['zone_breaches']} presence" in text
    assert order["contact_breaches"] + order["zone_breaches"] == n_br
    incidents = next(t for t in tables if t[0] == ["Date (UK)", "Channels", "Contacts", "Source records"])
    shown = min(n_inc, 60)
    assert [r[0] for r in incidents[1:]] == [uk_date(i["date"]) for i in conduct_json["incidents"][:shown]]
    assert [int(r[3]) for r in incidents[1:]] == [len(i["event_ids"]) for i in conduct_json["incidents"][:shown]]
    assert f"comprise {conduct_json['contact_profile']['conduct_contacts']} contacts" in text


def test_statement_counts_equal_truth_on_the_rejected_ex_scenario(reported: Reported) -> None:
    truth, facts = reported.truth, reported.report_json["facts"]
    assert facts["incidents"] == len(truth["incidents"])
    assert facts["s2a_last_incident"] == truth["s2a"]["last_incident"]
    assert facts["s2a_deadline"] == truth["s2a"]["deadline"]
    assert facts["s2a_in_time_at_charge_date"] == truth["s2a"]["in_time_at_charge_date"]
    assert facts["threat_occasions"] == len(truth["threat_occasions"])
    assert facts["breaches"] == len(truth["breaches"])
    assert facts["conduct_contacts"] == truth["conduct_contacts"]
    assert facts["contacts_from_suspect"] == truth["conduct_contacts"]


def test_every_figure_and_finding_traces_to_event_ids_in_events_csv(reported: Reported,
                                                                     conduct_json: dict[str, Any]) -> None:
    with (reported.out / "events.csv").open(encoding="utf-8") as fh:
        rows = {r["event_id"]: r for r in csv.DictReader(fh)}
    exhibits = _schedule(reported.out)
    source_refs = {e["reference"] for e in exhibits if e["kind"] == "source"}
    for key in ("incidents", "threat_occasions", "breaches", "colocations"):
        for item in conduct_json[key]:
            assert set(item["event_ids"]) <= set(rows), key
    for inc in conduct_json["incidents"]:
        label = f"incident {uk_date(inc['date'])}"
        assert all(label in rows[e]["cited_by"] for e in inc["event_ids"])
    figures = [e for e in exhibits if e["kind"] == "chart"]
    assert figures
    for fig in figures:
        assert int(fig["events_cited"]) == sum(fig["reference"] + " " in r["cited_by"] for r in rows.values())
    assert {r["source_exhibit"] for r in rows.values()} <= source_refs
    sample = next(iter(rows.values()))
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2} (GMT|BST)", sample["uk_time"])
    assert sample["ts_utc"].endswith("Z")


def _schedule(out: Path) -> list[dict[str, str]]:
    with (out / "exhibits.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_exhibit_schedule_csv_and_xlsx_agree_and_hash_every_file(reported: Reported) -> None:
    rows = _schedule(reported.out)
    prefix = Case.open(reported.case_dir).manifest.exhibit_prefix
    numbers = [int(r["reference"].split("/")[1]) for r in rows]
    assert numbers == list(range(1, len(rows) + 1)) and all(r["reference"].startswith(prefix + "/") for r in rows)
    truth_sha = {s["sha256"] for s in reported.truth["sources"]}
    assert {r["sha256"] for r in rows if r["kind"] == "source"} == truth_sha
    for r in rows:
        if r["kind"] != "source":
            data = (reported.out / r["filename"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == r["sha256"], r["filename"]
            assert int(r["size_bytes"]) == len(data)
    for name in ("statement.docx", "statement.html", "exhibits.csv", "exhibits.xlsx"):
        assert name not in {r["filename"] for r in rows}  # the statement is not its own exhibit
    wb = openpyxl.load_workbook(reported.out / "exhibits.xlsx")
    sheet = wb["Exhibits"]
    xrows = [[("" if c is None else str(c)) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert xrows[0] == list(rows[0].keys())
    assert xrows[1:] == [list(r.values()) for r in rows]


def test_statement_html_says_the_same_as_the_docx(reported: Reported,
                                                  statement: tuple[str, list[str], list[list[list[str]]]]) -> None:
    html = (reported.out / "statement.html").read_text(encoding="utf-8")
    text, headings, _ = statement
    for h in headings:
        assert f"<h2>{h.replace(chr(39), '&#x27;')}</h2>" in html
    assert html.count("<img ") == html.count('src="data:image/png;base64,')  # figures embedded, nothing fetched
    assert "http://" not in html and "https://" not in html
    n = len(re.findall(r'<span class="num">\d+\.</span>', html))
    assert n == len(re.findall(r"^\d+\.\t", text, flags=re.M))


def test_limits_are_written_from_the_sources_used(statement: tuple[str, list[str], list[list[list[str]]]],
                                                  reported: Reported) -> None:
    text, _, tables = statement
    limits = text.split("What this data can and cannot show", 1)[1]
    parsers = {s["parser"] for s in reported.truth["sources"]}
    assert ("Call data record (communications data): can show that a SIM/handset made or received a call" in limits) \
        == ("cdr" in parsers)
    assert "Location history: can show a position with a stated accuracy" in limits
    per_source = next(t for t in tables if t[0] == ["Exhibit", "Kind of data", "How its times were read", "Points to note"])
    kinds = {row[0]: row for row in per_source[1:]}
    refs = {e["source_id"]: e["reference"] for e in _sources_with_refs(reported)}
    assert len(kinds) == len(reported.truth["sources"])
    for src in reported.truth["sources"]:
        ref, parser = refs[src["source_id"]], src["parser"]
        row = kinds[ref]
        if parser == "cdr":
            assert row[1] == "Call data record (communications data)"
            assert "not the phone's position" in row[3]  # the CDRs here carry cell ids
        if parser == "cell-sites":
            assert row[2] == "none (reference data without times)." and "where a mast is, not where any phone was" in row[3]
        if parser.startswith("google"):
            assert row[1] == "Location history" and "median stated accuracy" in row[3]
    assert any("read as wall-clock times in Europe/London" in row[2] for row in per_source[1:])
    confirmed = [a for p in reported.truth["parties"].values() if p["role"] == "suspect" for a in p["aliases"]]
    for alias in confirmed:
        shown = describe_identifier(alias, refs)
        assert f"{shown}: linked to Daniel Sample on the basis 'officer-decision'" in limits
    assert "confirmed by an officer" in limits


def _sources_with_refs(reported: Reported) -> list[dict[str, str]]:
    by_sha = {r["sha256"]: r["reference"] for r in _schedule(reported.out) if r["kind"] == "source"}
    return [{"source_id": s["source_id"], "reference": by_sha[s["sha256"]]} for s in reported.truth["sources"]]


def test_docx_properties_are_fixed_by_as_of_not_the_clock(reported: Reported) -> None:
    core = Document(str(reported.out / "statement.docx")).core_properties
    assert core.created == datetime(2026, 11, 22, 12, 0, tzinfo=UTC) and core.modified == core.created
    assert core.revision == 1


def test_outputs_are_byte_identical_run_to_run(reported: Reported, tmp_path: Path,
                                               digest: Callable[[Path], dict[str, str]]) -> None:
    from atlas.cli import main

    assert main(["report", str(reported.case_dir), "--out", str(tmp_path / "again"), "--as-of", AS_OF]) == 0
    assert digest(tmp_path / "again") == digest(reported.out)
