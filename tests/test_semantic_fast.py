"""Google Semantic Location History: :func:`parse` (times read by ``_instant``: the export's own
presentation first, the others and epoch milliseconds only where a time is left unread) gives
exactly what :func:`parse_plain` (every presentation tried on every time) gives: events, rejects,
records read, assumptions; the same error where the plain rule names one. On the real sample in
``../shared/samples``, the bench's month, the generator's months, and odd shapes of times and
records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from parsers import google_semantic_json as sem
from parsers.base import ParseContext
from tests._fast_plain import assert_fast_is_plain, bench_json_file
from tests.test_snapchat_fast import assert_same

SAMPLE = Path("kgeo-google-location") / "semantic-2021-august.json"
"""Within ``../shared/samples`` (the ``samples`` fixture, which says why a test skips when it is absent)."""


def _visit(start: Any = "2026-07-04T20:23:00.000Z", end: Any = "2026-07-04T20:48:00.000Z", **extra: Any) -> dict[str, Any]:
    duration = {k: v for k, v in (("startTimestamp", start), ("endTimestamp", end)) if v != "-"}
    duration.update({k: v for k, v in extra.items() if k.endswith("Ms")})
    return {"placeVisit": {"location": {"latitudeE7": 515076711, "longitudeE7": -1281270, "placeId": "ChIJ",
                                        "address": "Example Road", "accuracyMetres": 111},
                           "duration": duration, "placeConfidence": "MEDIUM_CONFIDENCE", "visitConfidence": 80}}


def _activity(start: Any = "2026-07-04T19:58:00.000Z", end: Any = "2026-07-04T20:23:00.000Z", **extra: Any) -> dict[str, Any]:
    duration = {k: v for k, v in (("startTimestamp", start), ("endTimestamp", end)) if v != "-"}
    duration.update(extra)
    return {"activitySegment": {"startLocation": {"latitudeE7": 515560000, "longitudeE7": -2050000},
                                "endLocation": {"latitudeE7": 515076711, "longitudeE7": -1281270},
                                "duration": duration, "distance": 7560, "activityType": "IN_PASSENGER_VEHICLE",
                                "simplifiedRawPath": {"points": [{"latE7": 515500000, "lngE7": -2000000,
                                                                  "timestamp": start, "accuracyMeters": 10}]}}}


SHAPES: dict[str, list[Any]] = {
    "own presentation": [_activity(), _visit()],
    "no fraction": [_visit("2026-07-04T20:23:00Z", "2026-07-04T20:48:00Z")],
    "offsets": [_visit("2026-07-04T21:23:00.000+01:00", "2026-07-04T21:48:00+0100"), _activity()],
    "mixed presentations": [_visit(), _visit("2026-07-04 20:23:00Z", "2026-07-04T20:48:00.5Z"), _activity()],
    "spaces around": [_visit(" 2026-07-04T20:23:00.000Z ", "2026-07-04T20:48:00.000Z\n")],
    "epoch milliseconds only": [_visit("-", "-", startTimestampMs="1783196580000", endTimestampMs="1783198080000"),
                                _activity("-", "-", startTimestampMs="1783195080000", endTimestampMs="1783196580000")],
    "epoch beside text": [_visit(startTimestampMs="1", endTimestampMs="2")],
    "text unreadable, epoch there": [_visit("yesterday", "soon", startTimestampMs="1783196580000", endTimestampMs="x")],
    "unreadable": [_visit("yesterday", ""), _activity("", "-")],
    "no times": [_visit("-", "-"), _activity("-", "-")],
    "times not text": [_visit(5, None)],
    "no coordinates": [{"placeVisit": {"location": {"name": "x"}, "duration": {"startTimestamp": "2026-07-04T20:23:00Z"}}},
                       _visit()],
    "neither": [{"other": 1}, "x", None, _visit()],
    "empty": [],
    # the fast walk (_records_fast) and the one query (_events_fast): each shortcut's edge
    "place texts": [{"placeVisit": {"location": {"latitudeE7": 1, "longitudeE7": 2, **loc}, "placeConfidence": pc,
                                    "visitConfidence": vc, "duration": {"startTimestamp": "2026-07-04T20:23:00Z"}}}
                    for loc, pc, vc in [({"name": "Home"}, None, ""), ({"address": "1 Road"}, "", 0),
                                        ({"name": "", "address": 5}, False, []), ({"name": 7, "address": {"a": 1}}, {}, 1.5),
                                        ({"name": "N", "address": "A", "placeId": "", "semanticType": "TYPE_HOME"}, "HIGH", None),
                                        ({"placeId": 0, "semanticType": None}, None, None)]],
    "centre only, odd children": [{"placeVisit": {"centerLatE7": 10, "centerLngE7": 20, "childVisits": {"a": 1},
                                                  "duration": {"startTimestamp": "2026-07-04T20:23:00Z"}}},
                                  {"placeVisit": {"location": "x", "centerLatE7": 10, "centerLngE7": 20, "childVisits": "ab",
                                                  "duration": "y"}},
                                  {"placeVisit": {"centerLatE7": 1, "centerLngE7": 2, "childVisits": [_visit()["placeVisit"], 3],
                                                  "simplifiedRawPath": {"points": [{"latE7": 1, "lngE7": 2, "timestamp": "2026-07-04T20:00:00Z"}, 7, {}]}}}],
    "numbers of every kind": [{"placeVisit": {"location": {"latitudeE7": lat, "longitudeE7": 2, "accuracyMetres": acc},
                                              "duration": {"startTimestamp": "2026-07-04T20:23:00Z"}}}
                              for lat, acc in [(True, 1), (1.5, "10"), ("515", None), (None, 10**30), (False, 2.5), (0, 0)]],
    "whole numbers beyond a float's 53 bits, made floats by Polars": [
        {"placeVisit": {"location": {"latitudeE7": lat, "longitudeE7": lon, "accuracyMetres": acc},
                        "duration": {"startTimestamp": "2026-07-04T20:23:00Z"}}}
        for lat, lon, acc in [(2**53 + 1, -(2**53) - 3, 2**63), (2**64 + 1, -(2**63) - 1, 10**20), (515076711, 1.5e300, None),
                              (-0.0, 0, 2**63 - 1), (10**308, -(10**308), 7)]],
    "no coordinates first, then many": [{"placeVisit": {"location": {"name": "x"}}}, _activity(), _visit(),
                                        {"activitySegment": {"startLocation": {"latitudeE7": 5}, "endLocation": "x",
                                                             "duration": {"endTimestamp": "2026-07-04T20:23:00Z"}}}],
    "one epoch among own presentations": [_visit(), _activity(), _visit(startTimestampMs="1783196580000")],
    "one other presentation among own": [_visit(), _activity(), _visit("2026-07-04T21:23:00+01:00")],
    "end unreadable only": [_visit(), _visit(end="later")],
    "activity without a type or distance": [{"activitySegment": {"startLocation": {"latitudeE7": 1, "longitudeE7": 2},
                                                                 "activityType": "", "distance": None,
                                                                 "simplifiedRawPath": {"points": []},
                                                                 "duration": {"startTimestamp": "2026-07-04T20:23:00Z"}}},
                                            {"activitySegment": {"endLocation": {"latitudeE7": 1, "longitudeE7": 2},
                                                                 "distance": 0, "simplifiedRawPath": "x", "duration": 5}}],
    "times the quick reader reads and leaves": [
        _visit(t, t) for t in ("2026-07-04T20:23:00Z", "2026-07-04T20:23:00.5Z", "+2026-7-04T20:23:00Z", "2026-02-29T20:23:00Z",
                               "2024-02-29T20:23:00.000Z", "2026-07-04T23:59:60.000Z", "2026-07-04T24:00:00Z",
                               "2026-07-04T20:23:00.000000Z", " 2026-07-04T20:23:00Z", "2026-07-04T20:23:0.000Z",
                               "2026-07-04T20:23:00,000Z", "2026-07-04T20:23:00 Z", "2026-07-04T20:23:00.+12Z")],
    "points with epoch and odd times": [{"activitySegment": {"simplifiedRawPath": {"points": [
        {"latE7": 1, "lngE7": 2, "timestampMs": 1783196580000}, {"latE7": 1, "lngE7": 2, "timestamp": ["x"]},
        {"latE7": 1, "lngE7": 2, "timestamp": "2026-07-04T20:23:00.123456Z", "accuracyMeters": 3}]}}}],
}


def _same(path: Path) -> None:
    assert_fast_is_plain(sem.parse, sem.parse_plain, path, ParseContext(source_id="s", path=path), assert_same)


def test_a_time_that_is_not_text_is_kept_as_written_not_a_traceback(tmp_path: Path) -> None:
    """``"startTimestamp": 5`` stopped the ingest with a TypeError; it is now an undated record
    with the value as written, like any other unreadable time."""
    path = tmp_path / "2026_JULY.json"
    path.write_text(json.dumps({"timelineObjects": [_visit(5, None), _visit(1783196580000, {"a": 1}), _visit()]}),
                    encoding="utf-8")
    result = sem.parse(path, ParseContext(source_id="s", path=path))
    assert result.records_read == result.events.height + result.rejects.height == 3
    raw = result.events.sort("source_ref").get_column("ts_raw").to_list()
    assert raw[:2] == ["5", "1783196580000"] and result.events.get_column("ts_utc").null_count() == 2


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_odd_shapes_read_the_same(tmp_path: Path, name: str) -> None:
    path = tmp_path / "2026_JULY.json"
    path.write_text(json.dumps({"timelineObjects": SHAPES[name]}, indent=2), encoding="utf-8")
    _same(path)


@pytest.mark.parametrize("text", [b"", b"[]", b'{"timelineObjects": 5}', b'{"timelineObjects": [{"placeVisit": '])
def test_errors_are_the_same(tmp_path: Path, text: bytes) -> None:
    path = tmp_path / "odd.json"
    path.write_bytes(text)
    _same(path)


def test_the_real_sample_reads_the_same(samples: Path) -> None:
    sample = samples / SAMPLE
    _same(sample)
    assert sem.parse(sample, ParseContext(source_id="s", path=sample)).events.height == 315


def test_the_generators_months_and_the_bench_month_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fixtures.generate import generate

    generate("rejected-ex", 3, 0.1, tmp_path / "case")
    months = sorted((tmp_path / "case").rglob("Semantic Location History/*/*.json"))
    bench = bench_json_file(tmp_path, monkeypatch, "google_semantic_json", "semantic", 300)
    assert months
    for path in [*months, bench]:
        _same(path)


def test_a_number_too_big_for_a_float_fails_alike(tmp_path: Path) -> None:
    """An accuracy beyond any float stops both rules the same way (the fast walk converts it
    before setting a record without coordinates aside, as the plain rule converts every field)."""
    path = tmp_path / "2026_JULY.json"
    path.write_text(json.dumps({"timelineObjects": [{"placeVisit": {"location": {"accuracyMetres": 10**400}}}]}),
                    encoding="utf-8")
    for parse in (sem.parse, sem.parse_plain):
        with pytest.raises(OverflowError):
            parse(path, ParseContext(source_id="s", path=path))


def test_the_one_query_is_what_the_fast_path_takes_on_the_real_sample_and_the_bench_month(
        samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shortcut is taken where it should be (not the fallback every time)."""
    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("the fallback ran")

    bench = bench_json_file(tmp_path, monkeypatch, "google_semantic_json", "semantic", 300)
    monkeypatch.setattr(sem, "_events", refuse)
    monkeypatch.setattr(sem, "_numbers", refuse)  # (every coordinate a number: Polars makes the floats)
    for path in (samples / SAMPLE, bench):
        assert sem.parse(path, ParseContext(source_id="s", path=path)).events.height > 0


def _mutated_times(seed: int, n: int) -> list[str]:
    """Times in the export's presentation (three decimals, none, others; fields out of range, leap
    seconds), each character replaced, inserted or deleted at random."""
    import random

    rng = random.Random(seed)
    alphabet = "0123456789 +-:TZz.t\u0663\t/"
    out = []
    for _ in range(n):
        frac = rng.choice(["", "", f".{rng.randint(0, 999):03d}", f".{rng.randint(0, 9)}", f".{rng.randint(0, 10**6 - 1):06d}", "."])
        t = (f"{rng.choice([rng.randint(0, 9999), 2024, 2026]):04d}-{rng.choice([rng.randint(0, 13), 2, 12]):02d}-"
             f"{rng.choice([rng.randint(0, 32), 29, 30, 31]):02d}T{rng.choice([rng.randint(0, 25), 23, 24]):02d}:"
             f"{rng.choice([rng.randint(0, 61), 59, 60]):02d}:{rng.choice([rng.randint(0, 61), 59, 60]):02d}{frac}Z")
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            k, op = rng.randrange(len(t) + 1), rng.random()
            if op < 0.5 and k < len(t):
                t = t[:k] + rng.choice(alphabet) + t[k + 1:]
            elif op < 0.75:
                t = t[:k] + rng.choice(alphabet) + t[k:]
            elif k < len(t):
                t = t[:k] + t[k + 1:]
        out.append(t)
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_the_quick_time_reader_reads_only_what_the_format_reads_and_the_same_instant(seed: int) -> None:
    """:func:`sem._own_fast` (Polars' fixed-width reader) gives, wherever it reads a time, the instant
    the export's own format (``ISO_INSTANT_FORMATS[0]``, by chrono) reads from it; where it leaves one
    the format reads, the fast path reads it the other way (the null counts show it). Before this test,
    1,200,000 times mutated this way (seeds 1-6) and 600,000 of the two usual presentations with
    characters replaced at random found no difference; Polars' two readers are pinned by this test."""
    import polars as pl

    from atlas.model import TS_TYPE, UTC
    from parsers._exports import ISO_INSTANT_FORMATS

    values = pl.Series("t", _mutated_times(seed, 100_000), dtype=pl.String)
    frame = pl.DataFrame({"t": values}).select(
        "t", pl.col("t").str.strip_chars().str.to_datetime(ISO_INSTANT_FORMATS[0], strict=False, time_unit="us",
                                                          time_zone=UTC).cast(TS_TYPE).alias("format"),
        sem._own_fast(pl.col("t")).alias("quick"))
    read = frame.filter(pl.col("quick").is_not_null())
    assert read.height > 5_000  # (it reads the usual presentations)
    differs = read.filter(pl.col("format").is_null() | (pl.col("format") != pl.col("quick")))
    assert differs.height == 0, differs.head(5)


def test_the_quick_time_reader_is_what_reads_the_real_sample_and_the_bench_month(
        samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both presentations of the real month (with and without decimals) and the bench month's are read
    by :func:`sem._own_fast` alone: the events' first query is the last (the format by chrono never runs)."""
    import polars as pl

    bench = bench_json_file(tmp_path, monkeypatch, "google_semantic_json", "semantic", 300)
    called = []
    real_select = pl.DataFrame.select

    def select(self: pl.DataFrame, *exprs: Any, **named: Any) -> pl.DataFrame:
        called.append(exprs)
        return real_select(self, *exprs, **named)

    quick = []
    own_fast = sem._own_fast

    def counted(text: pl.Expr) -> pl.Expr:
        quick.append(text)
        return own_fast(text)

    monkeypatch.setattr(pl.DataFrame, "select", select)
    monkeypatch.setattr(sem, "_own_fast", counted)
    for path in (samples / SAMPLE, bench):
        called.clear()
        quick.clear()
        assert sem.parse(path, ParseContext(source_id="s", path=path)).events.height > 0
        assert len(called) == 1 and len(quick) == 2  # one query, its start and end read by the quick reader
