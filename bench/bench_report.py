"""Reports at scale: ``atlas report`` on a case of 1,000,000 call/SMS events.

Issue 9: "a case with millions of events still gives a report that opens quickly in a
browser". The case (:func:`fixtures.report_scale.large_case`) has a third of its
records from the suspect to the victim over two years and a restraining order for the
second, so there are hundreds of incidents and many thousands of breaches. Reported:
the time to gather the inputs (de-duplication and the conduct analysis included),
the whole report, the size of ``report.html`` (bounded by the page's caps, whatever
the case size) and, as a same-run baseline, a bare Polars scan of the case's events;
``report_vs_scan`` is the ratio of the two.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.common import Stage, scaled
from fixtures.report_scale import large_case

N_EVENTS = 1_000_000


def run(work: Path) -> dict[str, object]:
    from reports.build import build_reports
    from reports.inputs import gather

    case = large_case(work / "case", scaled(N_EVENTS, 2_000))
    c0, t0 = time.process_time(), time.perf_counter()
    events = case.events().collect()
    c1, t1 = time.process_time(), time.perf_counter()
    inputs = gather(case)
    c2, t2 = time.process_time(), time.perf_counter()
    result = build_reports(case, work / "out")
    c3, t3 = time.process_time(), time.perf_counter()
    sizes = {name: path.stat().st_size for name, path in result.paths.items()}
    return {
        "events": events.height,
        "contacts_charted": inputs.contacts.height,
        "incidents": len(result.findings.incidents),
        "breaches": len(result.findings.breaches),
        "scan_s": round(t1 - t0, 2),
        "gather_s": round(t2 - t1, 2),
        "report_s": round(t3 - t2, 2),
        "report_vs_scan": round((t3 - t2) / max(t1 - t0, 1e-6), 1),
        "cpu_s": {"scan": round(c1 - c0, 2), "gather": round(c2 - c1, 2), "report": round(c3 - c2, 2)},
        "report_html_mb": round(sizes["report"] / 1e6, 2),
        "statement_docx_mb": round(sizes["statement.docx"] / 1e6, 2),
        "events_csv_mb": round(sizes["events"] / 1e6, 2),
        "columns": events.width,
        "stages": [Stage("report (gather + HTML, statement, exhibits)", t3 - t2, "a bare Polars scan of the case's events",
                         t1 - t0, records=events.height,
                         note=f"CPU {c3 - c2:.1f} s (reference CPU {c1 - c0:.1f} s)").as_dict()],
    }
