"""Google Semantic Location History: :func:`parse` (times read by ``_instant``: the export's own
presentation first, the others and epoch milliseconds only where a time is left unread) gives
exactly what :func:`parse_plain` (every presentation tried on every time) gives: events, rejects,
records read, assumptions; the same error where the plain rule names one. On the real sample in
``../shared/samples``, the bench's month, the generator's months, and odd shapes of times and
records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import polars as pl
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


_BEYOND_FLOAT: Final = {"1e400": "Infinity", "-1e400": "-Infinity", "1" + "0" * 400: "10000000000000000000… (401 digits)",
                         "-" + "9" * 309: "-99999999999999999999… (309 digits)", "NaN": "NaN", "Infinity": "Infinity"}
"""Numbers Python's JSON reader reads and no float holds as written (JSON text → the reject's excerpt)."""


def _with_number(where: str, general: bool) -> tuple[list[Any], str, str]:
    """A month of 14 objects in Google's shape (the quick route's; with ``general``, one visit timed in
    epoch milliseconds too, so the general walk reads it) with ``__N__`` at ``where`` in object 12:
    (objects, the record's ref, what the reason names)."""
    objects: list[Any] = [_g_activity(k) if k % 2 else _g_visit(k) for k in range(14)]
    ref, what = "timelineObjects[12].placeVisit", "accuracy"
    visit = objects[12]["placeVisit"]
    if where == "visit accuracy":
        visit["location"]["accuracyMetres"] = "__N__"
    elif where == "visit latitude":
        visit["location"]["latitudeE7"], what = "__N__", "latitude"
    elif where == "visit centre":
        del visit["location"]["longitudeE7"]
        visit["centerLngE7"], what = "__N__", "longitude"
    elif where == "child visit longitude":
        visit["childVisits"] = [_g_visit(1, loc={"longitudeE7": "__N__"})["placeVisit"]]
        ref, what = "timelineObjects[12].placeVisit.childVisits[0]", "longitude"
    elif where == "activity end accuracy":
        objects[12] = _g_activity(12, seg={"endLocation": {"latitudeE7": 1, "longitudeE7": 2, "accuracyMetres": "__N__"}})
        ref = "timelineObjects[12].activitySegment.end"
    elif where == "raw path point latitude":
        visit["simplifiedRawPath"] = {"points": [{"latE7": "__N__", "lngE7": 2, "timestamp": "2026-07-04T20:30:00.000Z"}]}
        ref, what = "timelineObjects[12].placeVisit.simplifiedRawPath.points[0]", "latitude"
    elif where == "no coordinates beside it":
        visit["location"] = {"accuracyMetres": "__N__"}
    if general:
        objects.append(_visit(startTimestampMs="1783196580000"))
    return objects, ref, what


@pytest.mark.parametrize("general", [False, True], ids=["quick route", "general walk"])
@pytest.mark.parametrize("where", ["visit accuracy", "visit latitude", "visit centre", "child visit longitude",
                                   "activity end accuracy", "raw path point latitude", "no coordinates beside it"])
@pytest.mark.parametrize("number", sorted(_BEYOND_FLOAT))
def test_a_number_no_float_holds_is_one_reject_and_the_rest_are_read(tmp_path: Path, number: str, where: str,
                                                                    general: bool) -> None:
    """``"accuracyMetres": 1e400`` (Python reads infinity), an integer of 400 digits (``float`` of it
    raises), ``NaN``: that record is one reject naming it and the field, with the value; every
    other record is read (the whole file used to be refused, or the infinity stored); both rules alike."""
    objects, ref, what = _with_number(where, general)
    path = tmp_path / "2026_JULY.json"
    path.write_text(json.dumps({"timelineObjects": objects}, indent=1).replace('"__N__"', number), encoding="utf-8")
    ctx = ParseContext(source_id="s", path=path)
    _same(path)
    result = sem.parse(path, ctx)
    assert result.rejects.select("source_ref", "reason", "excerpt").rows() == [
        (ref, f"the {what} is not a finite number (beyond the range of a float, or NaN/Infinity)", _BEYOND_FLOAT[number])]
    without = json.loads(path.read_text(encoding="utf-8").replace(number, "7"))
    path.write_text(json.dumps(without), encoding="utf-8")
    clean = sem.parse_plain(path, ctx)
    assert result.records_read == clean.records_read == result.events.height + 1
    assert result.events.equals(clean.events.filter(pl.col("source_ref") != ref))


def test_a_number_no_float_holds_goes_to_the_plain_rule_from_either_route(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick route leaves such a month to the general walk, which hands it to the plain rule (the
    reject in its place among the others), rather than reading it itself."""
    calls: list[int] = []
    records_of = sem._records_of
    def recorded(objects: list[Any]) -> Any:
        calls.append(len(objects))
        return records_of(objects)

    monkeypatch.setattr(sem, "_records_of", recorded)
    objects, _, _ = _with_number("visit accuracy", False)
    path = tmp_path / "2026_JULY.json"
    path.write_text(json.dumps({"timelineObjects": objects}).replace('"__N__"', "1e400"), encoding="utf-8")
    assert sem._quick(sem._objects(path), ParseContext(source_id="s", path=path)) is None
    sem.parse(path, ParseContext(source_id="s", path=path))
    assert calls == [14]
    path.write_text(json.dumps({"timelineObjects": objects}).replace('"__N__"', "1e300"), encoding="utf-8")
    sem.parse(path, ParseContext(source_id="s", path=path))
    assert calls == [14]  # (a finite number: not the plain rule)


def test_the_quick_route_is_what_reads_the_real_sample_and_the_bench_months(
        samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick route (:func:`sem._quick`) reads the real month, the bench's thin month and its month
    in Google's shape (not the general walk every time)."""
    from bench.bench_json_returns import real_shape_month

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("the general walk ran")

    bench = bench_json_file(tmp_path, monkeypatch, "google_semantic_json", "semantic", 300)
    shaped = real_shape_month(bench, tmp_path / "shaped.json", 60)
    monkeypatch.setattr(sem, "_records_fast", refuse)
    for path in (samples / SAMPLE, bench, shaped):
        assert sem.parse(path, ParseContext(source_id="s", path=path)).events.height > 0



def test_the_quick_routes_query_runs_on_the_calling_thread(
        samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick route makes its events by a sequential select (``LazyFrame.select_seq``), not a parallel
    one: handing a month's few thousand rows to Polars' worker threads cost more CPU than the work
    (0.26-0.37 ms of the thin month's ~3.2 ms at load 13). The values are the plain rule's (the other
    tests here); this holds the route to the sequential query, on the real month and the bench's."""
    from bench.bench_json_returns import real_shape_month

    sequential: list[int] = []
    select_seq = pl.LazyFrame.select_seq

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("a parallel select ran")

    def counted(self: pl.LazyFrame, *exprs: Any, **named: Any) -> pl.LazyFrame:
        sequential.append(1)
        return select_seq(self, *exprs, **named)

    bench = bench_json_file(tmp_path, monkeypatch, "google_semantic_json", "semantic", 300)
    shaped = real_shape_month(bench, tmp_path / "shaped.json", 60)
    want = [sem.parse_plain(path, ParseContext(source_id="s", path=path)) for path in (samples / SAMPLE, bench, shaped)]
    monkeypatch.setattr(pl.LazyFrame, "select", refuse)
    monkeypatch.setattr(pl.LazyFrame, "select_seq", counted)
    got = [sem.parse(path, ParseContext(source_id="s", path=path)) for path in (samples / SAMPLE, bench, shaped)]
    monkeypatch.undo()
    assert len(sequential) >= 3  # (a query a month; a second where its first time reader leaves a time unread)
    for a, b in zip(got, want, strict=True):
        assert_same(a, b)

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
    """:func:`sem._own_fast` (Polars' fixed-width reader), that reader straight and the quick route's
    reader of times with or without decimals (:data:`sem._QUICK_READS_EITHER`) give, wherever they
    read a time, the instant the export's own format (``ISO_INSTANT_FORMATS[0]``, by chrono) reads
    from it, and the basis of every time they read is ``utc``; where it leaves one
    the format reads, the fast path reads it the other way (the null counts show it). Before this test,
    1,200,000 times mutated this way (seeds 1-6) and 600,000 of the two usual presentations with
    characters replaced at random found no difference; Polars' two readers are pinned by this test."""
    import polars as pl

    from atlas.model import TS_TYPE, UTC
    from parsers._exports import ISO_INSTANT_FORMATS, iso_basis

    values = pl.Series("t", _mutated_times(seed, 100_000), dtype=pl.String)
    frame = pl.DataFrame({"t": values}).select(
        "t", pl.col("t").str.strip_chars().str.to_datetime(ISO_INSTANT_FORMATS[0], strict=False, time_unit="us",
                                                          time_zone=UTC).cast(TS_TYPE).alias("format"),
        sem._own_fast(pl.col("t")).alias("quick"),
        pl.col("t").str.to_datetime(sem._OWN_MS, strict=False, time_unit="us", time_zone=UTC).cast(TS_TYPE).alias("straight"),
        iso_basis(pl.col("t")).alias("basis"))
    frame = frame.with_columns(pl.col("t").alias("start")).with_columns(sem._QUICK_READS_EITHER[0].alias("either"))
    for reader, least in (("quick", 5_000), ("straight", 1_000), ("either", 5_000)):
        read = frame.filter(pl.col(reader).is_not_null())
        assert read.height > least  # (it reads the usual presentations)
        differs = read.filter(pl.col("format").is_null() | (pl.col("format") != pl.col(reader)))
        assert differs.height == 0, differs.head(5)
        assert (read.get_column("basis") == "utc").all()  # (the quick route's basis: every time it reads ends in Z)


def test_the_quick_time_reader_is_what_reads_the_real_sample_and_the_bench_month(
        samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both presentations of the real month (with and without decimals) and the bench month's are read
    by the fixed-width reader in the quick route's one query (the format by chrono never runs): the
    bench month's (three decimals throughout) straight, the real month's with and without decimals
    (:data:`sem._QUICK_READS_EITHER`)."""
    import polars as pl

    bench = bench_json_file(tmp_path, monkeypatch, "google_semantic_json", "semantic", 300)
    called = []
    real_select = pl.LazyFrame.select_seq

    def select(self: pl.LazyFrame, *exprs: Any, **named: Any) -> pl.LazyFrame:
        called.append(exprs)
        return real_select(self, *exprs, **named)

    monkeypatch.setattr(pl.LazyFrame, "select_seq", select)  # (the query runs lazily: LazyFrame.select_seq)
    for path, reads in ((samples / SAMPLE, sem._QUICK_READS_EITHER), (bench, sem._QUICK_READS)):
        called.clear()
        assert sem.parse(path, ParseContext(source_id="s", path=path)).events.height > 0
        assert len(called) == 1 and all(any(e is r for e in called[0]) for r in reads)


# --- the quick route (_quick): months in the shape Google writes ------------------------------

def _g_visit(k: int = 0, *, loc: dict[str, Any] | None = None, place: dict[str, Any] | None = None,
             start: Any = "2026-07-04T20:23:00.000Z", end: Any = "2026-07-04T20:48:00.000Z") -> dict[str, Any]:
    """A place visit as Google writes it (every key the quick route reads there)."""
    location = {"latitudeE7": 515076711 + k, "longitudeE7": -1281270, "placeId": "ChIJ", "address": "Example Road",
                "name": "Home", "semanticType": "TYPE_HOME", "accuracyMetres": 111, "sourceInfo": {"deviceTag": 1}}
    body = {"location": {**location, **(loc or {})}, "duration": {"startTimestamp": start, "endTimestamp": end},
            "placeConfidence": "HIGH_CONFIDENCE", "visitConfidence": 80, "centerLatE7": 1, "centerLngE7": 2,
            "otherCandidateLocations": [{"latitudeE7": 1, "longitudeE7": 2}], "editConfirmationStatus": "NOT_CONFIRMED"}
    return {"placeVisit": {**body, **(place or {})}}


def _g_activity(k: int = 0, *, seg: dict[str, Any] | None = None, start: Any = "2026-07-04T19:58:00.000Z",
                end: Any = "2026-07-04T20:23:00.000Z") -> dict[str, Any]:
    body = {"startLocation": {"latitudeE7": 515560000 + k, "longitudeE7": -2050000, "sourceInfo": {"deviceTag": 1}},
            "endLocation": {"latitudeE7": 515076711, "longitudeE7": -1281270, "accuracyMetres": 20},
            "duration": {"startTimestamp": start, "endTimestamp": end}, "distance": 7560,
            "activityType": "IN_PASSENGER_VEHICLE", "confidence": "HIGH", "activities": [{"activityType": "WALKING"}],
            "waypointPath": {"waypoints": [{"latE7": 1, "lngE7": 2}]}, "parkingEvent": {"timestamp": start}}
    return {"activitySegment": {**body, **(seg or {})}}


def _points(*times: Any, accuracy: bool = True) -> dict[str, Any]:
    return {"points": [{"latE7": 515500000 + k, "lngE7": -2000000, "timestamp": t, **({"accuracyMeters": k} if accuracy else {})}
                       for k, t in enumerate(times)]}


QUICK_SHAPES: dict[str, list[Any]] = {
    "Google's shape": [_g_activity(), _g_visit(), _g_activity(1), _g_visit(1)],
    "without decimals, and mixed": [_g_visit(start="2021-08-01T00:22:28Z", end="2021-08-01T01:22:24Z"),
                                    _g_activity(start="2021-08-01T01:22:24Z", end="2021-08-01T01:40:00.123Z")],
    "null and absent times": [_g_visit(start=None, end=None), _g_activity(start=None, end=None),
                              _g_visit(place={"simplifiedRawPath": _points(None, "2026-07-04T20:30:00.000Z")}),
                              _g_activity(seg={"simplifiedRawPath": {"points": [{"latE7": 1, "lngE7": 2}]}})],
    "place texts": [_g_visit(k, loc=loc, place=place) for k, (loc, place) in enumerate([
        ({"name": None, "address": None, "placeId": None, "semanticType": None}, {"placeConfidence": None, "visitConfidence": None}),
        ({"name": "", "address": "", "placeId": "", "semanticType": ""}, {"placeConfidence": "", "visitConfidence": 0}),
        ({"name": "N"}, {"visitConfidence": 0}), ({"address": "A", "name": ""}, {}),
        ({"name": 7, "address": 0}, {"visitConfidence": 7}), ({"name": "7"}, {"visitConfidence": "80"}),
        ({"placeId": "ChIJ"}, {"placeConfidence": "LOW", "visitConfidence": -1}),
    ])],
    "equal keys of other types (80, 80.0, True; 0, -0.0, False)": [
        _g_visit(k, loc={"name": "N"}, place={"visitConfidence": v}) for k, v in enumerate([80, 80.0, 80, 1, True, 1.0, 0, -0.0, False, 0.0, 0])] + [
        _g_visit(k, loc={"name": n}) for k, n in enumerate([1, True, 1.0, 1, 0, False, -0.0, 0.0, "1"])] + [
        _g_activity(k, seg={"distance": d}) for k, d in enumerate([7560, 7560.0, 7560, 1, True, 1.0, 0, -0.0, False, 0.0, None, 0])] + [
        _g_activity(k, seg={"activityType": t}) for k, t in enumerate(["", None, 0, False, "UNKNOWN_ACTIVITY_TYPE", 1, True, "WALKING"])],
    "unhashable and odd text values": [_g_visit(loc={"name": {"a": 1}}), _g_visit(place={"placeConfidence": [1]}),
                                       _g_activity(seg={"activityType": ["x"]}), _g_activity(seg={"distance": {"m": 1}})],
    "children and raw paths": [
        _g_visit(place={"childVisits": [_g_visit(1)["placeVisit"],
                                        _g_visit(2, place={"childVisits": [_g_visit(3)["placeVisit"]],
                                                           "simplifiedRawPath": _points("2026-07-04T20:31:00.000Z")})["placeVisit"]],
                        "simplifiedRawPath": _points("2026-07-04T20:30:00Z", "2026-07-04T20:31:00.000Z", accuracy=False)}),
        _g_activity(seg={"simplifiedRawPath": {**_points("2026-07-04T20:00:00.000Z", "2026-07-04T20:01:00Z"), "source": "INFERRED"}}),
        _g_visit(place={"childVisits": [], "simplifiedRawPath": {"points": []}}), _g_activity(seg={"simplifiedRawPath": {"points": None}}),
        _g_visit(place={"childVisits": None, "simplifiedRawPath": None})],
    "numbers of every kind": [_g_visit(k, loc={"latitudeE7": lat, "accuracyMetres": acc}) for k, (lat, acc) in enumerate(
        [(1.5, None), (-0.0, 0), (2**53 + 1, 2**63), (-(2**63) - 1, 10**20), (10**308, 1.5e300), (0, -0.0)])] + [
        _g_activity(seg={"startLocation": {"latitudeE7": 2**64 + 1, "longitudeE7": 0.1, "accuracyMetres": 3.25}})],
    # and what the quick route leaves to the general walk (the same results all the same)
    "a truth value or a text for a number": [_g_visit(loc={"latitudeE7": True}), _g_visit(loc={"accuracyMetres": False}),
                                             _g_activity(seg={"endLocation": {"latitudeE7": "515", "longitudeE7": 1}})],
    "a null coordinate": [_g_visit(loc={"longitudeE7": None}), _g_visit()],
    "a number beyond a float": [_g_visit(loc={"accuracyMetres": 10**400})],
    "epoch milliseconds": [_g_visit(), _visit(startTimestampMs="1783196580000"), _g_activity()],
    "a point with epoch milliseconds": [_g_activity(seg={"simplifiedRawPath": {"points": [{"latE7": 1, "lngE7": 2, "timestampMs": "1"}]}})],
    "a time that is not text": [_g_visit(start=5), _g_activity(end=["x"])],
    "a time in another presentation": [_g_visit(), _g_visit(start="2026-07-04T21:23:00+01:00"), _g_visit(end=" 2026-07-04T20:48:00Z")],
    "a visit by its centre": [_g_visit(), {"placeVisit": {**_g_visit()["placeVisit"], "location": {"placeId": "x"}}}],
    "an activity with one end": [_g_activity(), {"activitySegment": {k: v for k, v in _g_activity()["activitySegment"].items()
                                                                    if k != "endLocation"}}],
    "odd objects": [_g_visit(), {"placeVisit": None, "activitySegment": _g_activity()["activitySegment"]},
                    {"placeVisit": [], "activitySegment": _g_activity()["activitySegment"]}, {"other": 1}, 5, None],
    "odd children and points": [_g_visit(place={"childVisits": {"a": 1}}), _g_visit(place={"childVisits": [3, "x"]}),
                                _g_visit(place={"simplifiedRawPath": {"points": [7, "ab", ["timestampMs"]]}}),
                                _g_visit(place={"simplifiedRawPath": "x"}), _g_visit(place={"simplifiedRawPath": {"points": "ab"}}),
                                _g_visit(place={"simplifiedRawPath": {}})],
    "a duration with more": [_g_visit(), {"placeVisit": {**_g_visit()["placeVisit"],
                                                         "duration": {"startTimestamp": "2026-07-04T20:23:00.000Z",
                                                                      "endTimestamp": "2026-07-04T20:48:00.000Z", "x": 1}}}],
    "a surrogate in a text": [_g_visit(loc={"name": "\ud800"}), _g_visit(), _g_visit(loc={"name": "\ud800"})],
}
QUICK: Final = {"Google's shape", "without decimals, and mixed", "null and absent times", "place texts",
                "equal keys of other types (80, 80.0, True; 0, -0.0, False)", "children and raw paths", "numbers of every kind", "a surrogate in a text"}
"""The shapes the quick route reads; it leaves the others to the general walk."""


@pytest.mark.parametrize("name", sorted(QUICK_SHAPES))
def test_months_in_googles_shape_read_the_same_by_the_quick_route(tmp_path: Path, name: str) -> None:
    path = tmp_path / "2026_JULY.json"
    text = json.dumps({"timelineObjects": QUICK_SHAPES[name]}, indent=2)
    path.write_text(text.replace("\\\\ud800", "\\ud800"), encoding="utf-8")
    taken = sem._quick(sem._objects(path), ParseContext(source_id="s", path=path)) is not None
    assert taken == (name in QUICK), name
    _same(path)


_ODD_VALUES: Final = (None, True, False, 0, 1, -0.0, 1.0, 80.0, 2**64, "", "x", "2026-07-04T20:23:00Z", [], [1], {}, {"a": 1})


def _structural_mutant(doc: Any, rng: Any) -> Any:
    """``doc`` with one to three of its objects changed: a key taken out, a value replaced by an odd
    one (null, truth values, numbers of each type, texts, lists, objects) or by another part of the
    document, or two keys swapped."""
    import copy

    def objects(node: Any) -> list[dict[str, Any]]:
        if isinstance(node, dict):
            return ([node] if node else []) + [o for v in node.values() for o in objects(v)]
        return [o for v in node for o in objects(v)] if isinstance(node, list) else []

    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        found = objects(doc["timelineObjects"])
        node = rng.choice(found)
        key = rng.choice(sorted(node))
        op = rng.random()
        if op < 0.25:
            del node[key]
        elif op < 0.75:
            node[key] = rng.choice(_ODD_VALUES)
        elif op < 0.9:
            node[key] = copy.deepcopy(rng.choice(found))
        else:
            other = rng.choice(sorted(node))
            node[key], node[other] = node[other], node[key]
    return doc


@pytest.mark.parametrize("which", ["sample", "bench"])
def test_structural_mutants_read_the_same(samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          which: str) -> None:
    """Seeded mutants of the real month and of the bench month (Google's shape), each with one to
    three objects changed: both routes give the same (or fail alike), and the quick route reads some
    of them and leaves others to the general walk."""
    import random

    from bench.bench_json_returns import real_shape_month

    if which == "sample":
        seed = samples / SAMPLE
    else:
        seed = real_shape_month(bench_json_file(tmp_path, monkeypatch, "google_semantic_json", "semantic", 60),
                                tmp_path / "shaped.json", 40)
    doc = json.loads(seed.read_text(encoding="utf-8"))
    rng = random.Random(f"semantic:{which}")
    path = tmp_path / "2021_AUGUST.json"
    quick = 0
    for _ in range(150):
        path.write_text(json.dumps(_structural_mutant(doc, rng), indent=1), encoding="utf-8")
        ctx = ParseContext(source_id="s", path=path)
        try:
            plain = sem.parse_plain(path, ctx)
        except Exception as exc:  # (a number beyond a float: both fail alike)
            with pytest.raises(type(exc)):
                sem.parse(path, ctx)
            continue
        assert_same(sem.parse(path, ctx), plain)
        quick += sem._quick(sem._objects(path), ctx) is not None
    assert 20 < quick < 150


_FRAME_COLUMNS: Final = {
    "whole numbers": [(0, 1), (".placeVisit", ".activitySegment.start"), (515076711, -1), (-1281270, 0), (111, None),
                      ("2026-07-04T20:23:00.000Z", None), (None, "x"), ("visit", "activity")],
    "floats": [(0, 1), ("a", "b"), (1.5, 2), (3, 4.25), (None, 7), ("t", None), (None, None), ("x", "y")],
    "a truth value": [(0, 1), ("a", "b"), (True, 2), (3, 4), (None, 7), ("t", None), (None, None), ("x", "y")],
    "beyond 64 bits": [(0, 1), ("a", "b"), (2**64, 2), (3, 4), (None, 7), ("t", None), (None, None), ("x", "y")],
    "beyond a float": [(0, 1), ("a", "b"), (10**400, 2), (3, 4), (None, 7), ("t", None), (None, None), ("x", "y")],
    "a time that is a number": [(0, 1), ("a", "b"), (1, 2), (3, 4), (None, 7), (5, None), (None, None), ("x", "y")],
    "a text for a number": [(0, 1), ("a", "b"), ("1", 2), (3, 4), (None, 7), ("t", None), (None, None), ("x", "y")],
}


@pytest.mark.parametrize("name", sorted(_FRAME_COLUMNS))
@pytest.mark.parametrize("whole", [True, False])
def test_the_quick_routes_frame_is_the_dict_constructors(name: str, whole: bool) -> None:
    """:func:`sem._frame` (the frame made from its Series) gives what ``pl.DataFrame`` of the dict gives
    with the same schema, strict: the same frame, or a failure where it fails."""
    columns = _FRAME_COLUMNS[name]
    schema = sem._QUICK_SCHEMA_WHOLE if whole else sem._QUICK_SCHEMA
    try:
        plain = pl.DataFrame(dict(zip(schema, columns, strict=True)), schema=schema, strict=True)
    except Exception as exc:
        with pytest.raises(type(exc)):
            sem._frame(columns, schema)
        return
    fast = sem._frame(columns, schema)
    assert fast.schema == plain.schema
    assert fast.equals(plain, null_equal=True)
