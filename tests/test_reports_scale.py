"""A large case still gives a report that opens quickly: bounded size, capped tables.

Tens of thousands of contacts, hundreds of incident days and thousands of breaches: the
charts are drawn from aggregates, the tables carry at most ``MAX_TABLE_ROWS`` rows and
the page at most ``MAX_RECORDS`` cited records, the statement at most ``MAX_CHRONOLOGY_ROWS`` chronology rows and
``MAX_ROWS`` rows per other table; everything else is in the CSV exhibits. (Timings at millions of events are
in ``bench/bench_report.py``, not here.)
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from _report_cases import large_case
from docx import Document

from reports import html_report, statement
from reports.build import ReportResult, build_reports

pytestmark = pytest.mark.slow

N_EVENTS = 40_000


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> ReportResult:
    root = tmp_path_factory.mktemp("scale")
    case = large_case(root / "case", N_EVENTS)
    return build_reports(case, root / "out")


def test_report_html_stays_small_for_a_large_case(big: ReportResult) -> None:
    size = (big.out_dir / "report.html").stat().st_size
    assert size < 10 * 1024 * 1024
    contacts = sum(1 for _ in csv.DictReader((big.out_dir / "contacts.csv").open(encoding="utf-8")))
    assert contacts == len(range(0, N_EVENTS, 3))  # every third record is suspect → victim (see large_case)


def test_long_tables_are_capped_in_the_page_and_complete_in_their_csv(big: ReportResult) -> None:
    breaches = len(big.findings.breaches)
    assert breaches > html_report.MAX_TABLE_ROWS
    html = (big.out_dir / "report.html").read_text(encoding="utf-8")
    assert f"The first {html_report.MAX_TABLE_ROWS:,} of {breaches:,} rows are in this page" in html
    assert f"page 1 of {html_report.MAX_TABLE_ROWS // html_report.PAGE_SIZE + 1} ({breaches:,} rows)" in html
    with (big.out_dir / "breaches.csv").open(encoding="utf-8") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == breaches
    embedded = re.search(r"(\d+) of the (\d+) cited records are embedded in this page \(up to (\d+) for each row\)", html)
    assert embedded, "the page must say how many cited records it carries"
    assert int(embedded.group(1)) <= html_report.MAX_RECORDS < int(embedded.group(2))


def test_statement_tables_are_capped_with_a_pointer_to_the_exhibit(big: ReportResult) -> None:
    doc = Document(str(big.out_dir / "statement.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    n = big.statement.facts["chronology_rows"]
    assert n == big.findings.counts["contacts"] > statement.MAX_CHRONOLOGY_ROWS
    ref = next(e.reference for e in big.exhibits if e.filename == "chronology.csv")
    assert (f"The first {statement.MAX_CHRONOLOGY_ROWS:,} of {n:,} contacts are printed here; all of them are in exhibit "
            f"{ref}.") in text
    chron = next(t for t in doc.tables if t.rows[0].cells[0].text == "Date and time")
    assert len(chron.rows) == 1 + statement.MAX_CHRONOLOGY_ROWS
    with (big.out_dir / "chronology.csv").open(encoding="utf-8") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == n
    during = next(t for t in doc.tables if t.rows[0].cells[0].text == "When (UK)")
    assert len(during.rows) == 1 + statement.MAX_ROWS < len(big.findings.breaches)


def test_facts_match_the_aggregates(big: ReportResult) -> None:
    facts = json.loads(json.dumps(big.statement.facts))
    assert facts["contacts_from_suspect"] == big.findings.counts["from_suspect"]
    assert facts["incidents"] == len(big.findings.incidents)
    assert sum(big.findings.daily.drop("day").sum().row(0)) == facts["contacts_from_suspect"]
    assert Path(big.out_dir / "figures" / "figure-contacts-per-day.png").stat().st_size > 10_000


def test_the_large_report_opens_in_a_browser_without_errors(big: ReportResult) -> None:
    import time

    from _chromium import Chromium, chromium_path, file_url
    from test_reports_browser import BOKEH_READY, RENDERED_PLOTS

    binary = chromium_path()
    if binary is None:
        pytest.skip("headless Chromium not installed (Debian package 'chromium')")
    with Chromium(binary) as browser:
        t = time.perf_counter()
        page = browser.open(file_url(big.out_dir / "report.html"), ready=BOKEH_READY, settle=0.5,
                            probes={"plots": RENDERED_PLOTS})
        seconds = time.perf_counter() - t
    assert page.exceptions == [] and page.console_errors == [] and page.network_requests == []
    assert page.values["plots"] == 5
    assert seconds < 45  # generous for a shared 2-core machine; typically a few seconds


def test_the_graphs_clock_offsets_are_those_of_the_case_wide_de_duplication() -> None:
    """The report's annex takes each source's clock offset from the graph's de-duplication
    instead of de-duplicating the whole case a second time: they must be the same figures."""
    from _report_cases import rejected_ex_reported

    from atlas.contacts import case_contacts
    from atlas.graph import build_graph
    from atlas.store import Case

    case = Case.open(rejected_ex_reported().case_dir)
    offsets: dict[str, tuple[float, int]] = {}
    case_contacts(case, clock_offsets=offsets)
    graph = build_graph(case, include_proposed=False)
    assert graph.clock_offsets == offsets
    assert any(off != 0 and n > 0 for off, n in offsets.values())  # the scenario's skewed handset clocks


def test_the_report_analyses_each_identity_view_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """With links awaiting a decision the report attaches the analysis with them; it used to
    analyse the confirmed view twice to get there (a third of the analysis at 2.4 M records)."""
    from datetime import date

    from _report_cases import AS_OF, rejected_ex_reported

    from atlas.conduct import analysis
    from atlas.store import Case

    case = Case.open(rejected_ex_reported().case_dir)
    day = date.fromisoformat(AS_OF)
    both = analysis.analyse(case, as_of=day, include_proposed=True)
    views = []
    plain_view = analysis._analyse_view

    def counted(*args: object, **kwargs: object) -> object:
        views.append(1)
        return plain_view(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(analysis, "_analyse_view", counted)
    once = analysis.analyse(case, as_of=day, include_proposed="if-any")
    assert once.proposed_identifiers and once.with_proposed is not None and len(views) == 2
    assert once.to_json() == both.to_json()
