"""One error boundary around every detector and parser: a failure is one line naming the
file and the place, never a traceback, never a store written from output that does not fit."""

from __future__ import annotations

import json
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import parsers
from atlas.store import Case
from parsers import whatsapp_text
from parsers.base import ParseContext, ParseResult, rejects_frame

SAMPLE = "test_ddmmyy_24hrs.txt"


def _one_line_error(run: Any) -> str:
    assert run.code == 2, (run.out, run.err)
    assert run.err.startswith("atlas: error: ") and run.err.count("\n") == 1, run.err
    assert "Traceback" not in run.err
    return str(run.err)


def _unrecognised(tmp_path: Path) -> Path:
    path = tmp_path / "ev" / "blob.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x01\x02 not any known format \x03" * 10)
    return path


def test_a_detector_that_raises_scores_zero_and_is_named_when_nothing_claims_the_file(
    case_dir: Path, tmp_path: Path, atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def crashing(probe: object) -> int:
        raise zlib.error("Error -3 while decompressing data: invalid block type")

    monkeypatch.setattr(whatsapp_text, "detect", crashing)
    err = _one_line_error(atlas("ingest", case_dir, _unrecognised(tmp_path)))
    assert "format not recognised" in err
    assert "whatsapp-text detector failed: error: Error -3 while decompressing data: invalid block type (at tests/" in err
    # in a folder walk the file is listed as skipped with the same reason, and the exit status says so
    run = atlas("ingest", case_dir, tmp_path / "ev", "--json")
    assert run.code == 3
    [outcome] = json.loads(run.out)
    assert outcome["status"] == "skipped" and "whatsapp-text detector failed" in outcome["message"]


def test_a_detector_that_raises_does_not_stop_another_parser_claiming_the_file(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from parsers import signal_text

    def crashing(probe: object) -> int:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(signal_text, "detect", crashing)
    assert parsers.detect(whatsapp_samples / SAMPLE) is whatsapp_text
    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLE).code == 0


def _patched_parse(monkeypatch: pytest.MonkeyPatch, change: Callable[[ParseResult], object]) -> None:
    real = whatsapp_text.parse

    def parse(path: Path, ctx: ParseContext) -> object:
        return change(real(path, ctx))

    monkeypatch.setattr(whatsapp_text, "parse", parse)


def _bad_kind(r: ParseResult) -> ParseResult:
    events = r.events.with_columns(pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("telegram"))
                                   .otherwise(pl.col("kind").cast(pl.String)).alias("kind"))
    return ParseResult(events, r.rejects, r.records_read)


def _duplicate_refs(r: ParseResult) -> ParseResult:
    return ParseResult(r.events.with_columns(pl.lit("line 1").alias("source_ref")), r.rejects, r.records_read)


def _no_ref(r: ParseResult) -> ParseResult:
    return ParseResult(r.events.with_columns(pl.lit(None, pl.String).alias("source_ref")), r.rejects, r.records_read)


def _unknown_column(r: ParseResult) -> ParseResult:
    return ParseResult(r.events.with_columns(pl.lit(1).alias("mood")), r.rejects, r.records_read)


def _wrong_type(r: ParseResult) -> ParseResult:
    return ParseResult(r.events.with_columns(pl.lit("soon").alias("duration_s")), r.rejects, r.records_read)


def _bad_rejects(r: ParseResult) -> ParseResult:
    return ParseResult(r.events, rejects_frame("x", ["a"], ["b"], ["c"]).with_columns(pl.lit(1).alias("extra")),
                       r.records_read)


@pytest.mark.parametrize(("change", "expected"), [
    (_bad_kind, "in its output (schema check): kind 'telegram' at line "),
    (_duplicate_refs, "in its output (normalisation): ValueError: parser produced duplicate source_ref values, e.g. ['line 1'"),
    (_no_ref, "in its output (schema check): an event row has no source_ref"),
    (_unknown_column, "in its output (schema check): events has columns not in the schema: ['mood']"),
    (_wrong_type, "in its output (schema check): events column 'duration_s' is String, which does not convert to Int64"),
    (_bad_rejects, "in its output (schema check): rejects has columns not in the schema: ['extra']"),
    (lambda r: {"events": []}, "in its output (schema check): returned a dict, not a ParseResult"),
    (lambda r: ParseResult(r.events, r.rejects, -1), "records_read is -1, not a count"),
])
def test_output_that_does_not_fit_the_schema_is_one_line_and_nothing_is_stored(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch,
    change: Callable[[ParseResult], object], expected: str,
) -> None:
    _patched_parse(monkeypatch, change)
    source = whatsapp_samples / SAMPLE
    err = _one_line_error(atlas("ingest", case_dir, source))
    assert err.startswith(f"atlas: error: {source}: whatsapp-text {whatsapp_text.INFO.version} parser failed ")
    assert expected in err and err.endswith("nothing from this file was stored\n")
    assert Case.open(case_dir).sources().height == 0


def test_with_keep_going_a_crashing_parser_fails_its_file_only(
    case_dir: Path, whatsapp_samples: Path, tmp_path: Path, atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = whatsapp_text.parse
    bad = tmp_path / "bad.txt"
    shutil.copyfile(whatsapp_samples / "test_mmddyy_24hrs.txt", bad)

    def parse(path: Path, ctx: ParseContext) -> ParseResult:
        if path.name == "bad.txt":
            return {}["missing"]  # type: ignore[no-any-return]  # a KeyError, as a parser bug would raise
        return real(path, ctx)

    monkeypatch.setattr(whatsapp_text, "parse", parse)
    run = atlas("ingest", case_dir, whatsapp_samples / SAMPLE, bad, "--keep-going", "--json")
    assert run.code == 1
    outcomes = json.loads(run.out)
    assert [o["status"] for o in outcomes] == ["ingested", "failed"]
    assert "parser failed while reading the file: KeyError: 'missing' (at tests/test_error_boundary.py:" in outcomes[1]["message"]


def test_debug_lets_the_original_exception_through(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _patched_parse(monkeypatch, _bad_kind)
    with pytest.raises(ValueError, match="kind 'telegram'"):
        atlas("--debug", "ingest", case_dir, whatsapp_samples / SAMPLE)


def test_any_other_bug_in_a_command_is_one_line_with_its_place(
    case_dir: Path, atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from atlas.cli.commands import sources

    def broken(args: object) -> int:
        return 1 // 0

    monkeypatch.setattr(sources, "run", broken)
    run = atlas("sources", case_dir)
    assert run.code == 70
    assert run.err == ("atlas: internal error: ZeroDivisionError: integer division or modulo by zero "
                       f"(at tests/test_error_boundary.py:{broken.__code__.co_firstlineno + 1} in broken); "
                       "run with --debug for the traceback\n")
