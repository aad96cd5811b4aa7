"""The JSON-returns bench runs at a tiny scale: every format's file is written by its
fixture writer, read whole by both sides, and each figure comes beside its same-run
reference (timings are not checked here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.common import SCALE_ENV, STAGE_KEYS

FORMATS = ("google_records_json", "google_timeline_json", "google_semantic_json", "google_semantic_json_real_shape",
           "meta_dyi_json", "telegram_json", "snapchat", "x_archive")


def test_the_json_bench_runs_at_a_tiny_scale_and_reads_every_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SCALE_ENV, "0.001")
    monkeypatch.setenv("ATLAS_BENCH_RECORDS_MB", "1")
    from bench.bench_json_returns import bare_read, bare_read_paused, run, write_files

    numbers = run(tmp_path / "run")
    for name in FORMATS:
        part = numbers[name]
        assert isinstance(part, dict), name
        assert isinstance(part["events"], int) and part["events"] > 0 and part["rejects"] == 0, name
        assert part["bare_read_cpu_s"] is not None and part["parse_normalise_cpu_s"] is not None
    measured = [name for name in numbers if name.startswith(("google_", "meta_", "telegram_", "snapchat", "x_"))]
    # the real Semantic month is measured where ../shared/samples is beside the repository
    assert set(measured) - set(FORMATS) <= {"google_semantic_json_real_sample"}
    stages = numbers["stages"]
    # two rows a file: against the bare read as Python runs it (no target), and against the same read with
    # the cyclic collector paused, as the parsers run (the stricter reference, which carries the target)
    assert isinstance(stages, list) and len(stages) == 2 * len(measured)
    for loose, strict in zip(stages[::2], stages[1::2], strict=True):
        for stage in (loose, strict):
            assert set(stage) == STAGE_KEYS
            assert stage["seconds"] > 0
        # (a file of a few records read with the collector paused can round to 0.0000 s at this scale)
        assert loose["reference_seconds"] > 0 and strict["reference_seconds"] >= 0
        assert loose["target_ratio"] is None and strict["target_ratio"] == 1.5
        assert strict["stage"] == loose["stage"] + " (collector paused in both)"
        assert "garbage collector paused" in strict["reference"]
    for name in FORMATS:
        part = numbers[name]
        assert isinstance(part, dict)
        assert part["bare_read_paused_cpu_s"] is not None and part["cpu_ratio_paused"] is not None
    # the reference reads every record: the Records.json stream yields as many as the parser reads
    files = write_files(tmp_path / "again")
    path, _ = files["google_records_json"]
    records = numbers["google_records_json"]
    assert isinstance(records, dict)
    assert bare_read("google_records_json", path) == records["events"]
    # the paused read reads the same records, and leaves the collector as it found it
    import gc

    assert bare_read_paused("google_records_json", path) == records["events"] and gc.isenabled()


def test_the_real_shape_semantic_month_carries_what_google_writes_and_reads_the_same_events(tmp_path: Path) -> None:
    """The bench's real-shape month adds only fields the parser does not turn into events (and
    timed raw paths, which it does): every visit and activity of the thin month it came from is
    still there, and the file is about as dense as Google's (thousands of bytes an object, not
    hundreds)."""
    import json

    from bench.bench_json_returns import real_shape_month
    from fixtures.scenarios import build
    from fixtures.writers import google_location
    from parsers import google_semantic_json
    from parsers.base import ParseContext

    months = google_location._semantic(build("rejected-ex", 3, 0.2), "suspect", tmp_path / "thin", "Location History")
    thin = max((tmp_path / "thin" / m.path for m in months), key=lambda f: f.stat().st_size)
    objects = json.loads(thin.read_text(encoding="utf-8"))["timelineObjects"]
    fat = real_shape_month(thin, tmp_path / "fat.json", len(objects))
    assert fat.stat().st_size / len(objects) > 4 * thin.stat().st_size / len(objects)
    thin_events = google_semantic_json.parse(thin, ParseContext(source_id="t", path=thin)).events
    fat_events = google_semantic_json.parse(fat, ParseContext(source_id="t", path=fat)).events
    kept = fat_events.filter(~fat_events["source_ref"].str.contains("simplifiedRawPath|childVisits"))
    assert kept.select("source_ref", "ts_utc", "lat", "lon").equals(thin_events.select("source_ref", "ts_utc", "lat", "lon"))
    added = json.loads(fat.read_text(encoding="utf-8"))["timelineObjects"]
    points = sum(len(o[k].get("simplifiedRawPath", {}).get("points", [])) for o in added for k in o)
    children = sum(len(o[k].get("childVisits", [])) for o in added for k in o)
    assert points and fat_events.height == thin_events.height + points + children  # timed raw paths are events
    assert real_shape_month(thin, tmp_path / "again.json", len(objects)).read_bytes() == fat.read_bytes()


def test_a_file_read_in_milliseconds_is_timed_more_often(tmp_path: Path) -> None:
    from bench.bench_json_returns import REPEATS, SMALL_FILE_MAX_RUNS, runs_for

    small = tmp_path / "small.json"
    small.write_text('{"messages": []}', encoding="utf-8")
    assert runs_for("meta_dyi_json", small, REPEATS) == SMALL_FILE_MAX_RUNS  # read in microseconds
    assert runs_for("meta_dyi_json", small, 2) == 2  # a check-only scale keeps its runs


def test_a_file_read_in_milliseconds_gets_its_runs_when_the_machine_is_busy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read that waited for a core on a busy machine (180 ms of wall for 5 ms of CPU) no longer cuts a small
    file's runs (it gave the real Semantic month 11 a side): the count is set by the least CPU time of three reads."""
    import bench.bench_json_returns as b

    small = tmp_path / "small.json"
    small.write_text('{"messages": []}', encoding="utf-8")
    times = iter([(0.180, 0.006), (0.150, 0.005), (0.120, 0.007)])
    monkeypatch.setattr(b, "_timed", lambda fn: (*next(times), fn()))
    assert b.runs_for("meta_dyi_json", small, b.REPEATS) == b.SMALL_FILE_MAX_RUNS
    times = iter([(0.9, 0.8), (0.8, 0.7), (0.75, 0.7)])  # (a file read in most of a second keeps its few runs)
    assert b.runs_for("meta_dyi_json", small, b.REPEATS) == b.REPEATS
