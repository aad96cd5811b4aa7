"""The spreadsheet bench runs at a tiny scale, reads every row of both files on both sides
and reports each figure beside its calamine reference (timings are not checked here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.common import SCALE_ENV, STAGE_KEYS


def test_the_spreadsheet_bench_runs_at_a_tiny_scale_and_both_sides_read_every_row(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SCALE_ENV, "0.001")
    from bench.bench_tool_export import run

    numbers = run(tmp_path)
    for name, extra_rows in (("tool_export_xlsx", 4), ("cdr_xlsx", 3)):
        part = numbers[name]
        assert isinstance(part, dict)
        # every data row is an event, none rejected; calamine sees the same rows plus titles/summary/cover
        assert part["events"] == 300 and part["rejects"] == 0
        assert part["rows"] == 300 + extra_rows
    stages = numbers["stages"]
    assert isinstance(stages, list) and len(stages) == 4
    for stage in stages:
        assert set(stage) == STAGE_KEYS
        assert stage["reference_seconds"] > 0 and stage["seconds"] > 0
    # the parse has issue 18's target; detection + parse is reported beside it
    assert [s["target_ratio"] for s in stages] == [1.5, None, 1.5, None]
