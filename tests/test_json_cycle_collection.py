"""The JSON parsers run with Python's cyclic garbage collector paused
(:func:`parsers._exports.without_cycle_collection`): the same results as the parse with the
collector left running (the plain rule: ``gc.disable`` made a no-op), on the real samples under
../shared/samples and the bench's generated files; the collector is running again
afterwards, also when the parse fails."""

from __future__ import annotations

import gc
import importlib
from pathlib import Path
from typing import Any

import pytest

from atlas.errors import FormatError
from parsers.base import ParseContext
from tests._fast_plain import assert_identical

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
JSON_PARSERS = ("google_records_json", "google_semantic_json", "google_timeline_json", "meta_dyi_json", "telegram_json",
                "snapchat", "x_archive")


def _inputs(tmp_path: Path) -> list[tuple[str, Path]]:
    import json

    out: list[tuple[str, Path]] = []
    catalogue = json.loads((Path(__file__).resolve().parents[1] / "parsers" / "catalogue.json").read_text())
    for module in JSON_PARSERS:
        entry = catalogue["modules"].get(module, {})
        for sample in entry.get("samples", []):
            if (SAMPLES / sample).is_file():
                out.append((module, SAMPLES / sample))
    from bench.bench_json_returns import write_files

    with pytest.MonkeyPatch.context() as m:
        m.setenv("ATLAS_BENCH_SCALE", "0.001")
        m.setenv("ATLAS_BENCH_RECORDS_MB", "1")
        out += [(module, path) for path, module in write_files(tmp_path / "bench").values()]
    return out


def test_json_parsers_read_the_same_with_the_collector_paused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = _inputs(tmp_path)
    assert {m for m, _ in inputs} == set(JSON_PARSERS)
    assert sum(1 for _, p in inputs if SAMPLES in p.parents) >= 4, "the real samples were not found"
    for module_name, path in inputs:
        module: Any = importlib.import_module(f"parsers.{module_name}")
        ctx = ParseContext(source_id="s", path=path)
        paused = module.parse(path, ctx)
        assert gc.isenabled()
        with monkeypatch.context() as m:
            m.setattr(gc, "disable", lambda: None)  # the collector runs throughout
            plain = module.parse(path, ctx)
        assert_identical(paused, plain)


def test_the_collector_is_paused_during_the_parse_and_runs_again_after_a_failed_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from parsers import telegram_json

    seen: list[bool] = []
    real = telegram_json.load_json

    def load(path: Path, what: str) -> Any:
        seen.append(gc.isenabled())
        return real(path, what)

    monkeypatch.setattr(telegram_json, "load_json", load)
    bad = tmp_path / "result.json"
    bad.write_text('{"chats": {"list": [', encoding="utf-8")
    with pytest.raises(FormatError):
        telegram_json.parse(bad, ParseContext(source_id="s", path=bad))
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:  # a collector someone else paused stays paused
        with pytest.raises(FormatError):
            telegram_json.parse(bad, ParseContext(source_id="s", path=bad))
        assert not gc.isenabled()
    finally:
        gc.enable()
