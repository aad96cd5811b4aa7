"""The JSON-returns bench runs at a tiny scale: every format's file is written by its
fixture writer, read whole by both sides, and each figure comes beside its same-run
reference (timings are not checked here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.common import SCALE_ENV, STAGE_KEYS

FORMATS = ("google_records_json", "google_timeline_json", "google_semantic_json", "meta_dyi_json", "telegram_json",
           "snapchat", "x_archive")


def test_the_json_bench_runs_at_a_tiny_scale_and_reads_every_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SCALE_ENV, "0.001")
    monkeypatch.setenv("ATLAS_BENCH_RECORDS_MB", "1")
    from bench.bench_json_returns import bare_read, run, write_files

    numbers = run(tmp_path / "run")
    for name in FORMATS:
        part = numbers[name]
        assert isinstance(part, dict), name
        assert isinstance(part["events"], int) and part["events"] > 0 and part["rejects"] == 0, name
        assert part["bare_read_cpu_s"] is not None and part["parse_normalise_cpu_s"] is not None
    stages = numbers["stages"]
    assert isinstance(stages, list) and len(stages) == len(FORMATS)
    for stage in stages:
        assert set(stage) == STAGE_KEYS
        assert stage["reference_seconds"] > 0 and stage["seconds"] > 0 and stage["target_ratio"] == 1.5
    # the reference reads every record: the Records.json stream yields as many as the parser reads
    files = write_files(tmp_path / "again")
    path, _ = files["google_records_json"]
    records = numbers["google_records_json"]
    assert isinstance(records, dict)
    assert bare_read("google_records_json", path) == records["events"]
