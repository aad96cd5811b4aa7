"""report.html and statement.html opened in a real headless Chromium.

Driven over the DevTools protocol on a pipe (``_chromium.py`` says why): the page must
load with no JavaScript error, render every Bokeh plot it declares, make no network
request of any kind (every http(s) request would also be refused), and page its
tables in the browser. A full-page screenshot is kept under ``test-artifacts/``.

Chromium comes from Debian (``scripts/test-tools.sh`` installs it); without it these
tests skip and say so.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _chromium import Chromium, PageReport, chromium_path, file_url
from _report_cases import Reported, artifacts_dir, rejected_ex_reported

pytestmark = pytest.mark.browser

BOKEH_READY = "!!(window.Bokeh && Bokeh.documents && Bokeh.documents.length && Object.keys(Bokeh.index).length)"

RENDERED_PLOTS = """(() => {
  let n = 0;
  const walk = (v) => {
    if (v.model && (v.model.type === "Figure" || v.model.type === "Plot") && v.canvas_view) {
      const r = v.el.getBoundingClientRect();
      const c = v.canvas_view.el.querySelector ? v.canvas_view.el : null;
      if (r.width > 0 && r.height > 0 && c) n += 1;
    }
    for (const c of (v.child_views || [])) walk(c);
  };
  for (const v of Object.values(Bokeh.index)) walk(v);
  return n;
})()"""

TABLE_PAGE = """(() => {
  const doc = Bokeh.documents[0];
  const buttons = [...doc.all_models].filter(m => m.type === "Button" && m.label.startsWith("Next"));
  const labels = [...doc.all_models].filter(m => m.type === "Div" && String(m.text).includes("page 1 of"));
  return {buttons: buttons.length, pages: labels.map(l => l.text)};
})()"""

NEXT_PAGE = """(async () => {
  const doc = Bokeh.documents[0];
  const ev = Bokeh.require("core/bokeh_events");
  const button = [...doc.all_models].find(m => m.type === "Button" && m.label.startsWith("Next")
     && [...doc.all_models].some(d => d.type === "Div" && String(d.text).match(/page 1 of [2-9]/)));
  if (!button) { return null; }
  button.trigger_event(new ev.ButtonClick());
  await new Promise(r => setTimeout(r, 700));  // CustomJS callbacks run asynchronously
  return [...doc.all_models].filter(m => m.type === "Div" && String(m.text).includes("page 2 of")).length;
})()"""


CUT_TIMES = r"""(() => {
  const cut = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      if (el.classList && el.classList.contains('slick-cell')
          && /^\s*\d\d\/\d\d\/\d{4} \d\d:\d\d(:\d\d)? (GMT|BST)\s*$/.test(el.textContent)
          && el.scrollWidth > el.clientWidth) cut.push(el.textContent);
    }
  };
  walk(document);
  return cut;
})()"""
"""Table cells holding one UK time whose text is wider than the cell (the zone cut off)."""


SELECT_LAST_INCIDENT = """(async () => {
  const doc = Bokeh.documents[0];
  const view = [...doc.all_models].find(m => m.type === "ColumnDataSource" && m.data["_ids"] && m.data["_ids"].length
                                          && m.data["uk_date"]);
  view.selected.indices = [view.data["_ids"].length - 1];
  await new Promise(r => setTimeout(r, 700));
  const out = [...doc.all_models].find(m => m.type === "ColumnDataSource" && m.data["text"] && m.data["exhibit"]
                                         && !m.data["_ids"]);
  return Array.from(out.data["text"]);
})()"""


@pytest.fixture(scope="module")
def browser() -> Chromium:
    binary = chromium_path()
    if binary is None:
        pytest.skip("headless Chromium not installed (Debian package 'chromium'; scripts/test-tools.sh installs it)")
    with Chromium(binary) as c:
        yield c  # type: ignore[misc]


@pytest.fixture(scope="module")
def reported() -> Reported:
    return rejected_ex_reported()


@pytest.fixture(scope="module")
def report_page(browser: Chromium, reported: Reported) -> PageReport:
    page = browser.open(file_url(reported.out / "report.html"), ready=BOKEH_READY, probes={
        "plots": RENDERED_PLOTS, "roots": "Bokeh.documents[0].roots().length", "tables": TABLE_PAGE,
        "cut_times": CUT_TIMES, "next": NEXT_PAGE,
    })
    (artifacts_dir() / "report-rejected-ex.png").write_bytes(page.screenshot)
    return page


def test_report_opens_with_no_javascript_error(report_page: PageReport) -> None:
    assert report_page.exceptions == []
    assert report_page.console_errors == []


def test_every_uk_time_in_a_table_is_shown_whole(report_page: PageReport) -> None:
    """The candidates table's 'when (UK)' column cut '04/04/2026 20:19 BST' to '04/04/2026 20:19 B' (covert
    seed 45019), and GMT times lost a few pixels in the chronology's: the zone must be seen."""
    assert report_page.values["cut_times"] == []


def test_report_makes_no_network_request(report_page: PageReport) -> None:
    assert report_page.network_requests == []
    assert all(u.startswith(("file:", "data:", "about:", "blob:")) for u in report_page.requests)


def test_every_plot_in_the_report_is_rendered(report_page: PageReport, reported: Reported) -> None:
    html = (reported.out / "report.html").read_text(encoding="utf-8")
    declared = int(re.search(r'<meta name="atlas-plots" content="(\d+)">', html).group(1))  # type: ignore[union-attr]
    assert declared == 5  # contacts per day, heat map, weekly rate, contact graph, places
    assert report_page.values["plots"] == declared
    assert report_page.values["roots"] == 1  # one Bokeh document, one root


def test_tables_are_paged_in_the_browser(report_page: PageReport) -> None:
    tables = report_page.values["tables"]
    assert tables["buttons"] == 7  # chronology, incidents, candidates, impact log, breaches, co-locations, exhibits
    assert report_page.values["next"] == 1  # the incidents table turned to page 2


def test_screenshot_is_kept_as_an_artefact(report_page: PageReport) -> None:
    shot = artifacts_dir() / "report-rejected-ex.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


def test_statement_html_opens_offline(browser: Chromium, reported: Reported) -> None:
    page = browser.open(file_url(reported.out / "statement.html"), ready="document.readyState === 'complete'", probes={
        "images": "[...document.images].map(i => i.naturalWidth)",
        "sections": "document.querySelectorAll('h2').length",
    })
    (artifacts_dir() / "statement-rejected-ex.png").write_bytes(page.screenshot)
    assert page.exceptions == [] and page.network_requests == []
    assert page.values["images"] == []  # charts are separate exhibits, referred to by number
    assert page.values["sections"] == 9


def test_hostile_text_in_a_message_neither_runs_nor_fetches(browser: Chromium, tmp_path: Path) -> None:
    """A message is data: markup in it must not break the page, run, or reach the network."""
    from atlas.cli import main

    case = tmp_path / "case"
    assert main(["init", str(case)]) == 0
    chat = tmp_path / "WhatsApp Chat with Dan.txt"
    lines = [f"0{d}/03/2026, 21:0{d} - Dan: Answer me" for d in range(1, 6)]
    lines.append("06/03/2026, 21:06 - Dan: </script><script>document.title='pwned'</script>"
                 "<img src=\"http://example.invalid/x.png\" onerror=\"document.title='pwned'\">")
    chat.write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest = (case / "case.toml").read_text(encoding="utf-8").replace('# display_names = ["Dan"]',
                                                                         'display_names = ["Dan"]')
    (case / "case.toml").write_text(manifest, encoding="utf-8")
    assert main(["ingest", str(case), str(chat), "--owner", "victim"]) == 0
    assert main(["report", str(case), "--out", str(tmp_path / "out"), "--as-of", "2026-04-01"]) == 0
    page = browser.open(file_url(tmp_path / "out" / "report.html"), ready=BOKEH_READY, probes={
        "select": SELECT_LAST_INCIDENT, "title": "document.title", "plots": RENDERED_PLOTS,
    })
    assert any("</script>" in t for t in page.values["select"])  # shown as text in the records table
    assert page.values["title"] != "pwned"
    assert page.exceptions == [] and page.network_requests == []
    assert page.values["plots"] == 5
