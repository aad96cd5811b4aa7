"""``make bench``'s runner works and writes valid results (a tiny scale: numbers, not a timing).

The runner is run as ``make bench`` runs it (``python -m bench.run``), on a few of the
cheaper benchmarks at a tiny scale; each benchmark runs in its own process and every
stage it reports must carry its time, records per second, peak memory and a reference
measured in the same run. (``python -m bench.run --scale 0.001`` runs all of them in about a
minute on the shared development machine.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import STAGE_KEYS
from bench.run import modules

REPO = Path(__file__).resolve().parents[1]
CHEAP = ("bench_startup", "bench_cellebrite", "bench_whatsapp", "bench_graph", "bench_phone_db", "bench_stream")


def test_the_runner_writes_every_stage_beside_its_reference(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "bench.run", "--scale", "0.0005", "--only", ",".join(CHEAP),
                           "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["scale"] == 0.0005
    assert set(CHEAP) <= set(results) and set(CHEAP) <= set(modules())
    for name in CHEAP:
        numbers = results[name]
        assert "error" not in numbers, (name, numbers.get("error"))
        assert numbers["stages"] and numbers["process_peak_rss_mb"] > 0, name
        for stage in numbers["stages"]:
            assert set(stage) == STAGE_KEYS, (name, stage)
            assert stage["seconds"] > 0 and stage["reference"], (name, stage)
    summary = results["summary"]
    assert {r["benchmark"] for r in summary} == set(CHEAP)
    for row in summary:
        assert row["peak_rss_mb"] is not None and row["peak_rss_mb"] > 0, row
        if row["reference_seconds"] >= 0.01:  # figures are rounded when written: compare loosely
            assert row["ratio"] == pytest.approx(row["seconds"] / row["reference_seconds"], rel=0.02, abs=0.01), row
        if row["records"] and row["seconds"] >= 0.01:
            assert row["records_per_s"] == pytest.approx(row["records"] / row["seconds"], rel=0.02), row
    startup = {r["stage"]: r for r in summary if r["benchmark"] == "bench_startup"}
    assert set(startup) == {"startup: atlas --help", "startup: atlas formats"}
    assert all(r["target_ratio"] == 1.3 for r in startup.values())
    cellebrite = results["bench_cellebrite"]
    assert cellebrite["same_counts"] is True and cellebrite["parallel"]["fallback"] is None
    assert "startup: atlas --help" in proc.stdout  # the summary table is printed
    stream = results["bench_stream"]  # bigger than memory: every size ingested whole, analysed, accounted for
    assert [s["events"] for s in stream["per_size"]] == stream["sizes"] and len(stream["sizes"]) == 2
    assert all(s["ingested"] == s["events"] and s["accounting_agrees"] and s["incidents"] > 0
               for s in stream["per_size"])


def test_the_end_to_end_benchmark_measures_every_stage_at_a_tiny_scale(tmp_path: Path) -> None:
    """Raw files to MG11, reviewer note and HTML report, stage by stage, beside the floors."""
    from bench.bench_end_to_end import run

    numbers = run(tmp_path, records=4_000)
    names = [s["stage"] for s in numbers["stages"]]
    assert [n.split(": ")[1].split(" ")[0] for n in names] == ["ingest", "alias", "report", "conduct", "raw"]
    for stage in numbers["stages"]:
        assert set(stage) == STAGE_KEYS and stage["seconds"] > 0 and stage["reference_seconds"] > 0, stage
        assert stage["peak_rss_mb"] > 0, stage
        assert stage["note"].startswith("CPU "), stage  # CPU seconds beside wall seconds, every stage
    assert set(numbers["cpu_s"]) == {"ingest", "discover", "conduct", "report"}
    assert set(numbers["reference_cpu_s"]) == {"hash_floor", "events_scan"}
    total = numbers["stages"][-1]  # raw files to the documents: ingest, discover, report (which runs its own analysis)
    assert total["seconds"] == pytest.approx(sum(s["seconds"] for s in numbers["stages"][:3]), rel=0.01)
    assert numbers["with_separate_conduct_s"] == pytest.approx(total["seconds"] + numbers["stages"][3]["seconds"], abs=0.11)
    assert numbers["records_read"] == numbers["events"] + numbers["rejects"]
    assert 0 < numbers["report_html_mb"] < numbers["report_html_target_mb"]
    split = numbers["ingest_by_source"]  # the ingest stage by parser and step
    assert "cellebrite-xml" in split and {"hash", "detect", "parse", "normalise", "store write"} <= set(
        split["cellebrite-xml"]["steps"])
    assert sum(p["wall_s"] for p in split.values()) <= numbers["stages"][0]["seconds"] + 0.05
