"""Google Timeline.json: the fast path (Polars' JSON reader, the columns built natively) gives
exactly what the plain rule (every record walked in Python, :func:`parse_plain`) gives: events,
rejects, records read, assumptions; the same error where the plain rule names one. On the
bench's generated file (and the generator's own), a version of it with a lone surrogate, and
odd shapes: missing keys, nulls, wrong types, repeated keys, escapes, empty strings, other
layouts. Shapes the fast path cannot read exactly must go by the plain rule, never differ."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from polars.exceptions import ComputeError

from atlas.errors import FormatError
from parsers import google_timeline_json as tl
from parsers.base import ParseContext
from tests._fast_plain import assert_fast_is_plain, bench_json_file, spoiled_texts

T0 = "2026-06-02T19:05:00.000+01:00"
T1 = "2026-06-02T20:05:00.000+01:00"


def _visit(**top: Any) -> dict[str, Any]:
    base = {"placeId": "ChIJx", "semanticType": "UNKNOWN", "probability": 0.8,
            "placeLocation": {"latLng": "51.5230123°, -0.1010456°"}}
    base.update(top)
    return {"startTime": T0, "endTime": T1,
            "visit": {"hierarchyLevel": 0, "probability": 0.9, "topCandidate": {k: v for k, v in base.items() if v != "-"}}}


def _path(*points: Any) -> dict[str, Any]:
    return {"startTime": T0, "endTime": T1, "timelinePath": list(points)}


def _pt(point: Any = "51.5007000°, -0.1246000°", time: Any = "2026-01-02T09:07:00.000+00:00") -> dict[str, Any]:
    return {k: v for k, v in (("point", point), ("time", time)) if v != "-"}


def _raw(**pos: Any) -> dict[str, Any]:
    base = {"LatLng": "51.5°, -0.12°", "accuracyMeters": 12, "source": "WIFI", "timestamp": "2026-06-02T18:07:00.000Z"}
    base.update(pos)
    return {"position": {k: v for k, v in base.items() if v != "-"}}


def _doc(segments: Any = None, signals: Any = None) -> dict[str, Any]:
    return {"semanticSegments": [_visit(), _path(_pt(), _pt(time="2026-01-02T09:08:00.000+00:00"))] if segments is None
            else segments, "rawSignals": [_raw(), {"wifiScan": {"devicesRecords": []}}] if signals is None else signals}


def _act(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"start": {"latLng": "51.5°, -0.12°"}, "end": {"latLng": "51.523°, -0.101°"},
                            "distanceMeters": 2811.5, "topCandidate": {"type": "IN_PASSENGER_VEHICLE", "probability": 0.9}}
    base.update(fields)
    return {"startTime": T0, "endTime": T1, "activity": {k: v for k, v in base.items() if v != "-"}}


CLEAN: dict[str, Any] = {
    "activity": _doc([_visit(), _act(), _path(_pt()), {**_act(), **_path(_pt())}]),
    "activity points as strings": _doc([_act(start="geo:51.5,-0.12", end="51.4, 0.1")]),
    "activity variants": _doc([_act(distanceMeters=12), _act(distanceMeters="-"), _act(topCandidate={"probability": 0.5}),
                               _act(distanceMeters=0.5),
                               _act(distanceMeters=1.5), _act(distanceMeters=2.5000001)]),
    "android": _doc(),
    "no raw signals": {"semanticSegments": [_visit(), _path(_pt())]},
    "raw signals only": {"rawSignals": [_raw(), _raw(source="-", accuracyMeters=7.5), _raw(LatLng="-", latLng="51.4°, 0.1°")]},
    "visit missing detail": _doc([_visit(semanticType="-", placeId="-", probability="-")]),
    "visit empty detail": _doc([_visit(semanticType="", placeId="")]),
    "probability floats": _doc([_visit(probability=1e-05), _visit(probability=0.3333333333333333)]),
    "empty and missing times": _doc([{"visit": _visit()["visit"]}, _path(_pt(time=""), _pt(time="-"))]),
    "empty path": _doc([_path(), _visit()]),
    "unknown keys": {**_doc(), "userLocationProfile": {"frequentPlaces": [{"placeId": "p", "placeLocation": "51.5°, 0°"}]},
                     "extra": {"a": [1, 2, 3]}},
    "points in geo form": _doc([_path(_pt("geo:51.5,-0.12"), _pt("51.5, -0.12"))]),
    "times with Z and offsets": _doc([_path(_pt(time="2026-01-02T09:07:00.000Z"), _pt(time="2026-01-02T09:07:00.000-05:30"))]),
    "a day that does not exist": _doc([_path(_pt(time="2026-02-30T09:07:00.000+00:00"), _pt())]),
    "times in other forms": _doc([_path(_pt(time="2026-01-02T09:07:00+00:00"), _pt(time=" 2026-01-02T09:07:00.000Z"),
                                        _pt(time="2026-01-02T09:07:00.123456+01:00"), _pt(time="2026-01-02 09:07:00.000+01:00"),
                                        _pt(time="2026-01-02T24:00:00.000+00:00"), _pt(time="2026-01-02T09:07:60.000+00:00"),
                                        _pt(time="2026-01-02T09:07:00.000+24:00"), _pt(time="2026-01-02T09:07:00.000+0100"))]),
    "coordinates in mixed forms": _doc([_path(_pt("51.5°, -0.12°"), _pt("51.5°,-0.12°"), _pt("-51.5°, 0.12"), _pt("1°, 2°"),
                                              _pt("51.5000000°, -0.1200000°"))]),
}

def real_shape(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with what a real Android export holds beside the fields read (public descriptions of
    the 2024- on-device export): an activity segment after every visit (start, end, distance,
    probability, top candidate), a trip's memory, ``isTimelessVisit``; a Wi-Fi scan and an activity
    record after every raw position; the profile's frequent trips and persona."""
    segments: list[Any] = []
    for i, seg in enumerate(doc.get("semanticSegments") or []):
        segments.append(seg)
        if isinstance(seg, dict) and isinstance(seg.get("visit"), dict):
            seg["visit"]["isTimelessVisit"] = False
            segments.append({"startTime": seg.get("startTime"), "endTime": seg.get("endTime"),
                             "startTimeTimezoneUtcOffsetMinutes": 60, "endTimeTimezoneUtcOffsetMinutes": 60,
                             "activity": {"start": {"latLng": "51.5230123°, -0.1010456°"}, "end": {"latLng": "51.5°, -0.12°"},
                                          "distanceMeters": 812.25 + i, "probability": 0.97,
                                          "topCandidate": {"type": "IN_PASSENGER_VEHICLE", "probability": 0.91}}})
            if i % 5 == 0:
                segments.append({"startTime": seg.get("startTime"), "endTime": seg.get("endTime"),
                                 "timelineMemory": {"trip": {"distanceFromOriginKms": 120, "destinations": [
                                     {"identifier": {"placeId": "ChIJd8BlQ2BZwokRAFUEcm_qrcA"}}]}}})
    signals: list[Any] = []
    for k, signal in enumerate(doc.get("rawSignals") or []):
        signals.append(signal)
        signals.append({"wifiScan": {"deliveryTime": "2026-06-02T18:07:00.000Z", "devicesRecords": [
            {"mac": 176685580046849 + j, "rawRssi": -60 - j} for j in range(4)]}})
        signals.append({"activityRecord": {"probableActivities": [{"type": "STILL", "confidence": 0.84 + k % 10 / 100},
                                                                  {"type": "WALKING", "confidence": 0.1}],
                                           "timestamp": "2026-06-02T18:07:00.000Z"}})
    profile = {"frequentPlaces": [{"placeId": "ChIJx", "placeLocation": "51.5°, -0.12°", "label": "HOME"}],
               "frequentTrips": [{"waypointIds": ["ChIJx", "ChIJy"], "modeDistribution": [{"mode": "WALKING", "rate": 0.75}],
                                  "startTimeMinutes": 480, "endTimeMinutes": 510, "durationMinutes": 30, "confidence": 0.5,
                                  "commuteDirection": "HOME_TO_WORK"}],
               "persona": {"travelModeAffinities": [{"mode": "WALKING", "affinity": 0.6}]}}
    return {"semanticSegments": segments, "rawSignals": signals, "userLocationProfile": profile}


ODD: dict[str, Any] = {
    "activity no top candidate": _doc([_act(topCandidate="-"), _act()]),
    "activity type empty": _doc([_act(topCandidate={"type": ""}), _act()]),
    "activity type a number": _doc([_act(topCandidate={"type": 5}), _act()]),
    "activity distance true": _doc([_act(distanceMeters=True), _act()]),
    "activity distance text": _doc([_act(distanceMeters="12"), _act()]),
    "activity distance huge": _doc([_act(distanceMeters=2**60 + 1), _act(distanceMeters=0.5)]),
    "activity start missing": _doc([_act(start="-"), _act()]),
    "activity end null": _doc([_act(end=None), _act()]),
    "activity empty": _doc([{"startTime": T0, "activity": {}}, _act()]),
    "activity a string": _doc([{"startTime": T0, "activity": "x"}, _act()]),
    "activity points mixed": _doc([_act(start="geo:51.5,-0.12"), _act()]),
    "unreadable point": _doc([_path(_pt("somewhere"))]),
    "point a number": _doc([_path(_pt(51.5), _pt())]),
    "point missing": _doc([_path(_pt("-"))]),
    "point null": _doc([_path(_pt(None), _pt())]),
    "time a number": _doc([_path(_pt(time=5), _pt())]),
    "time true": _doc([_path(_pt(time=True), _pt())]),
    "time false": _doc([_path(_pt(time=False), _pt())]),
    "start true": _doc([{**_visit(), "startTime": True}, _visit()]),
    "visit null": _doc([{**_visit(), "visit": None}, _visit()]),
    "visit empty": _doc([{**_visit(), "visit": {}}, _visit()]),
    "top candidate missing": _doc([{"startTime": T0, "visit": {"probability": 0.5}}, _visit()]),
    "place missing": _doc([_visit(placeLocation="-"), _visit()]),
    "place a string": _doc([_visit(placeLocation="geo:51.5,-0.1"), _visit()]),
    "place LatLng": _doc([_visit(placeLocation={"LatLng": "51.5°, -0.12°"})]),
    "place empty latLng": _doc([_visit(placeLocation={"latLng": "", "LatLng": "51.5°, -0.12°"})]),
    "probability whole": _doc([_visit(probability=1), _visit()]),
    "probability 1.0": _doc([_visit(probability=1.0), _visit()]),
    "probability text": _doc([_visit(probability="0.8"), _visit()]),
    "probability mixed": _doc([_visit(probability=1), _visit(probability=0.5)]),
    "semantic type a number": _doc([_visit(semanticType=7), _visit()]),
    "place id true": _doc([_visit(placeId=True), _visit()]),
    "accuracy text": _doc(signals=[_raw(accuracyMeters="12"), _raw()]),
    "accuracy true": _doc(signals=[_raw(accuracyMeters=True), _raw()]),
    "accuracy huge": _doc(signals=[_raw(accuracyMeters=2**70), _raw()]),
    "source empty": _doc(signals=[_raw(source=""), _raw()]),
    "position null": _doc(signals=[{"position": None}, _raw()]),
    "position empty": _doc(signals=[{"position": {}}, _raw()]),
    "signal not an object": _doc(signals=["x", _raw()]),
    "segment not an object": _doc(["x", _visit()]),
    "segment null": _doc([None, _visit()]),
    "path point not an object": _doc([_path("x", _pt())]),
    "path point null": _doc([_path(None, _pt())]),
    "path null": _doc([{**_path(), "timelinePath": None}]),
    "segments null": {"semanticSegments": None, "rawSignals": [_raw()]},
    "segments empty": {"semanticSegments": [], "rawSignals": [_raw()]},
    "ios offsets": _doc([_path({"point": "geo:51.5,-0.12", "durationMinutesOffsetFromStartTime": "30"})]),
    "ios list": [_visit(placeLocation="geo:51.523012,-0.101046"), _path(_pt())],
    "neither key": {"other": []},
    "escaped text": _doc([_visit(placeId="caf\u00e9 \"q\"")]),
    "non-ascii text": _doc([_visit(placeId="café")]),
    "lat out of range": _doc([_path(_pt("91.0°, 0°"), _pt())]),
    # (session 9: the Arrow route reads a null as the key missing, and infers the layout)
    "probability all whole": _doc([_visit(probability=1), _visit(probability=0)]),
    "probability negative zero": _doc([_visit(probability=-0.0), _visit()]),
    "accuracy negative zero float": _doc(signals=[_raw(accuracyMeters=-0.0), _raw()]),
    "distance negative zero float": _doc([_act(distanceMeters=-0.0), _act()]),
    "times all null": _doc([_path(_pt(time=None), _pt(time=None))]),
    "start and end null": _doc([{**_visit(), "startTime": None, "endTime": None}, _visit()]),
    "semantic type null": _doc([_visit(semanticType=None, placeId=None, probability=None), _visit()]),
    "activity top candidate null": _doc([_act(topCandidate=None, distanceMeters=None), _act()]),
    "source null": _doc(signals=[_raw(source=None, accuracyMeters=None, timestamp=None), _raw()]),
    "signal null": _doc(signals=[None, _raw()]),
    "raw signals null": {"semanticSegments": [_visit()], "rawSignals": None},
    "place a string and an object": _doc([_visit(placeLocation="51.5°, -0.12°"), _visit()]),
    "point an object": _doc([_path({"point": {"latLng": "51.5°, -0.12°"}, "time": T0}, _pt())]),
    "path point offset null": _doc([_path({**_pt(), "durationMinutesOffsetFromStartTime": None}, _pt())]),
    "unread field of two types": {**_doc(), "x": [{"a": 1}, {"a": "b"}]},
    "unread deep nesting": {**_doc(), "x": json.loads("[" * 200 + "]" * 200)},
    "unread NaN": {**_doc(), "x": [float("nan"), float("inf"), float("-inf")]},
    "unread big integer": {**_doc(), "x": 2**80},
    "segments only, null signals list items": {"semanticSegments": [_visit()], "rawSignals": [None, None]},
}

RAW_TEXT: dict[str, bytes] = {
    "repeated key": ('{"semanticSegments": [{"startTime": "2026-01-01T00:00:00.000+00:00", '
                     '"startTime": "2026-06-02T19:05:00.000+01:00", "timelinePath": '
                     '[{"point": "51.5°, -0.12°", "point": "52.5°, -0.12°", "time": "2026-01-02T09:07:00.000+00:00"}]}]}'
                     ).encode(),
    "space before colon": ('{"semanticSegments" : [{"startTime" : "2026-06-02T19:05:00.000+01:00", "timelinePath" :'
                           ' [{"point" : "51.5°, -0.12°", "time" : "2026-01-02T09:07:00.000+00:00"}]}]}').encode(),
    "lone surrogate": b'{"semanticSegments": [{"startTime": "2026-06-02T19:05:00.000+01:00", "visit": {"topCandidate": '
                      b'{"semanticType": "\\ud800x", "placeLocation": {"latLng": "51.5, 0.1"}}}}]}',
    "NaN": b'{"semanticSegments": [{"startTime": "2026-06-02T19:05:00.000+01:00", "visit": {"topCandidate": '
           b'{"probability": NaN, "placeLocation": {"latLng": "51.5, 0.1"}}}}]}',
    # what RapidJSON (the Arrow route) reads and json.loads does not: refused, then the same error
    "unread -NaN": b'{"semanticSegments": [], "rawSignals": [], "x": -NaN}',
    "unread Inf": b'{"semanticSegments": [], "rawSignals": [], "x": [1, Inf]}',
    "unread -Inf": b'{"semanticSegments": [], "rawSignals": [], "x": {"y": -Inf}}',
    "read -Inf": b'{"rawSignals": [{"position": {"LatLng": "51.5, 0.1", "accuracyMeters": -Inf}}]}',
    "unread repeated key": b'{"semanticSegments": [], "rawSignals": [], "x": {"y": 1, "y": "2"}}',
    "negative zero integers": ('{"semanticSegments": [{"startTime": "2026-06-02T19:05:00.000+01:00", "activity": '
                               '{"start": {"latLng": "51.5°, -0.12°"}, "end": {"latLng": "51.5°, -0.12°"}, '
                               '"distanceMeters": -0}}, {"startTime": "2026-06-02T19:05:00.000+01:00", "activity": '
                               '{"start": {"latLng": "51.5°, -0.12°"}, "end": {"latLng": "51.5°, -0.12°"}, '
                               '"distanceMeters": 1.5}}], "rawSignals": [{"position": {"LatLng": "51.5°, 0.1°", '
                               '"accuracyMeters": -0}}, {"position": {"LatLng": "51.5°, 0.1°", "accuracyMeters": 2.5}}]}'
                               ).encode(),
    "two documents": b'{"rawSignals": []} {"rawSignals": []}',
    "control character in unread text": b'{"semanticSegments": [], "rawSignals": [], "x": "a\x01b"}',
    "not UTF-8 in unread text": b'{"semanticSegments": [], "rawSignals": [], "x": "a\xffb"}',
    "exponent numbers": ('{"semanticSegments": [{"startTime": "2026-06-02T19:05:00.000+01:00", "visit": {"topCandidate": '
                         '{"probability": 5E-1, "placeLocation": {"latLng": "51.5°, -0.12°"}}}}], "rawSignals": '
                         '[{"position": {"LatLng": "51.5°, 0.1°", "accuracyMeters": 1e1}}]}').encode(),
    **spoiled_texts(_doc()),
}


def _same(path: Path) -> None:
    assert_fast_is_plain(tl.parse, tl.parse_plain, path, ParseContext(source_id="s", path=path))


def _write(tmp_path: Path, name: str, doc: Any) -> Path:
    path = tmp_path / (name.replace(" ", "-") + ".json")
    path.write_bytes(doc if isinstance(doc, bytes) else json.dumps(doc, indent=2, ensure_ascii=False).encode())
    return path


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_shapes_take_the_fast_path_and_read_the_same(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, CLEAN[name])
    assert tl._fast_records(path) is not None
    _same(path)


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_shapes_read_the_same(tmp_path: Path, name: str) -> None:
    _same(_write(tmp_path, name, ODD[name]))


@pytest.mark.parametrize("name", sorted(RAW_TEXT))
def test_odd_texts_read_the_same(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, RAW_TEXT[name])
    if name in ("repeated key", "lone surrogate", "NaN", "bom", "utf-16"):
        assert tl._fast_records(path) is None
    _same(path)


def test_the_bench_file_and_its_surrogate_version_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = bench_json_file(tmp_path, monkeypatch, "google_timeline_json", "timeline", 2_000)
    assert tl._fast_records(path) is not None
    _same(path)
    text = path.read_text(encoding="utf-8")
    for i, (old, new) in enumerate([('"semanticType": "', '"semanticType": "\\ud800'), ('"point": "', '"point": 5, "x": "'),
                                    ('"placeId": "', '"placeId": null, "y": "')]):
        odd = tmp_path / f"odd{i}.json"
        odd.write_text(text.replace(old, new, 3), encoding="utf-8")
        # a null is read as the key missing, as the plain rule reads it (dict.get): the fast path reads it
        assert (tl._fast_records(odd) is None) == (i < 2)
        _same(odd)


def test_a_real_export_s_layout_is_read_with_the_layout_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real export's other keys (:func:`real_shape`) are in the layout given to Polars, so it is read
    without the inference pass, and proved; the same result as the plain rule. And a key or type the
    layout does not hold is still read exactly (by the inferred layout, or the plain rule)."""
    path = bench_json_file(tmp_path, monkeypatch, "google_timeline_json", "timeline", 2_000)
    doc = real_shape(json.loads(path.read_text(encoding="utf-8")))
    real = _write(tmp_path, "real-shape", doc)
    tl._declared(real.read_bytes())
    assert tl._fast_records(real) is not None
    _same(real)
    for i, odd in enumerate([{"x": 1}, {"mac": "ab:cd"}, {"mac": 2**70}, {"rawRssi": 1.5}]):
        other = json.loads(json.dumps(doc))
        other["rawSignals"][1]["wifiScan"]["devicesRecords"][0].update(odd)
        path = _write(tmp_path, f"other-{i}", other)
        if "rawRssi" not in odd:  # (a float in an integer field not read is cut to an integer: nothing read changes)
            with pytest.raises((tl._NotFast, ComputeError)):  # a key it lacks, a value it cannot hold
                tl._declared(path.read_bytes())
        _same(path)


def test_coordinates_are_cut_as_the_pattern_captures_them() -> None:
    import polars as pl

    values = ["51.5°, -0.12°", " geo: 51.5 ,\t-0.12 ° ", "geo:51.5,-0.12", "51.5,-0.12,3", "a,b", "51.5° -0.12",
              "-0.0, 180", "51.5°°, 1", "51.5\u00a0°,1", None, "", "1e5, 2", "+1, 2", "51.5 , geo:1", "geo:geo:1,2",
              "51.5°,\u2003-0.1°\u2003", "٥١,١"]
    frame = pl.DataFrame({"x": values})
    captured = frame.select(pl.col("x").str.extract_groups(tl.LATLNG).struct.rename_fields(["la", "lo"]).alias("ll"))
    cut = frame.select(tl._degrees(pl.col("x")).alias("ll"))
    assert captured.unnest("ll").equals(cut.unnest("ll"), null_equal=True)


def test_the_export_s_times_read_by_arrow_are_the_instants_polars_reads() -> None:
    """:func:`tl._instant_fast` (Arrow's ISO 8601 cast) against :func:`tl._instant` (Polars): 200,000
    random times in the export's form (offsets to ±23:59, ``Z``, years 0000-9999), and times in other
    forms and impossible days, which :func:`tl._instant` reads."""
    import random

    import polars as pl

    rng = random.Random(18)
    values: list[str | None] = [None, "0000-01-01T00:00:00.000+23:59", "9999-12-31T23:59:59.999-23:59", "2024-02-29T00:00:00.000Z"]
    for _ in range(200_000):
        zone = "Z" if rng.random() < 0.2 else f"{rng.choice('+-')}{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
        values.append(f"{rng.randint(0, 9999):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
                      f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}{zone}")
    frame = pl.DataFrame({"t": values})
    assert tl._instant_fast(frame, "t", "ts").equals(tl._instant(frame, "t", "ts"))
    for odd in (["2026-02-30T09:07:00.000+00:00", "2026-01-02T09:07:00.000Z"], ["2026-01-02T09:07:00+00:00"],
                ["2026-01-02T09:07:60.000+00:00"], [" 2026-01-02T09:07:00.000Z"], [None, None], []):
        frame = pl.DataFrame({"t": odd}, schema={"t": pl.String})
        assert tl._instant_fast(frame, "t", "ts").equals(tl._instant(frame, "t", "ts"))


def test_the_export_s_coordinates_are_cut_as_the_pattern_captures_them() -> None:
    import polars as pl

    for values in (["51.5230123°, -0.1010456°", None, "-0.5°, 179.9999999°", "0.0°, -0.0°"],
                   ["51.5°, -0.12°", "51.5°,-0.12°"], ["51.5°, -0.12", "geo:51.5,-0.12"], ["51.5°°, 1°", "a°, b°"]):
        frame = pl.DataFrame({"latlng": values}, schema={"latlng": pl.String})
        plain = frame.with_columns(tl._degrees(pl.col("latlng")).alias("ll")).unnest("ll")
        plain = plain.select("latlng", pl.col("la").cast(pl.Float64).alias("lat"), pl.col("lo").cast(pl.Float64).alias("lon"))
        assert tl._degrees_fast(frame).select("latlng", "lat", "lon").equals(plain)


ARROW_REFUSES = ("unread -NaN", "unread Inf", "unread -Inf", "read -Inf", "two documents", "not UTF-8 in unread text",
                 "repeated key", "control character in unread text", "truncated", "trailing text")


@pytest.mark.parametrize("name", ARROW_REFUSES)
def test_what_json_loads_does_not_read_as_arrow_does_is_refused_by_the_arrow_route(name: str) -> None:
    """RapidJSON reads ``-NaN``, ``Inf`` and ``-Inf`` (json.loads does not), and Arrow's reader keeps no
    check of text it does not keep: the Arrow route refuses each such text (the other routes or the
    plain rule then read it, or name the fault, as :func:`test_odd_texts_read_the_same` checks)."""
    from pyarrow import ArrowInvalid

    with pytest.raises((tl._NotFast, ArrowInvalid)):
        tl._arrow_doc(RAW_TEXT[name])


def test_nan_and_infinity_where_read_are_refused_by_the_arrow_route() -> None:
    for doc in (_doc(signals=[_raw(accuracyMeters=float("nan"))]), _doc([_act(distanceMeters=float("inf"))]),
                _doc([_visit(probability=float("-inf"))])):
        with pytest.raises(tl._NotFast):
            tl._arrow_doc(json.dumps(doc).encode())


@pytest.mark.parametrize("name", ["unread NaN", "unread field of two types", "unread big integer"])
def test_what_the_arrow_route_does_not_read_it_leaves_unread(tmp_path: Path, name: str) -> None:
    """A key the walk does not read is skipped by Arrow's reader too (session 11: the layout is given,
    not inferred): ``NaN``, ``Infinity``, values of two types, an integer past 64 bits there, as
    ``json.loads`` reads them, change nothing read; the route reads the file, the same."""
    path = _write(tmp_path, name, ODD[name])
    tl._arrow_doc(path.read_bytes())
    assert tl._fast_records(path) is not None
    _same(path)


def test_a_repeated_key_not_read_is_read_as_the_plain_rule_reads_it(tmp_path: Path) -> None:
    """Python keeps the last of a repeated key, Arrow refuses one it reads (:data:`ARROW_REFUSES`'
    ``repeated key``); one neither reads changes nothing: the route reads the file, the same."""
    path = _write(tmp_path, "unread repeated key", RAW_TEXT["unread repeated key"])
    tl._arrow_doc(path.read_bytes())
    _same(path)


def test_nesting_deeper_than_the_bound_is_refused_by_the_fast_path(tmp_path: Path) -> None:
    """The whole text's nesting, its outer object too (:func:`tl._deepest`): from :data:`tl._MAX_DEPTH`
    only the plain rule reads it (Python's reader stops past about 990; Polars' past 1,024)."""
    for depth, fast in ((tl._MAX_DEPTH - 1, False), (tl._MAX_DEPTH - 2, True), (8, True)):
        path = _write(tmp_path, f"deep-{depth}", {**_doc(), "x": json.loads("[" * depth + "]" * depth)})
        assert tl._deepest(path.read_bytes()) == depth + 1
        assert (tl._fast_records(path) is not None) == fast
        _same(path)


def test_nesting_past_python_s_limit_fails_as_the_plain_rule_fails(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(_doc())[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}", encoding="utf-8")
    deep = r"deep\.json: the Google Timeline export is nested 5,001 levels deep \(deeper than 500 from line 1, column \d+\)"
    with pytest.raises(FormatError, match=deep):  # Python's RecursionError, as one line naming the place
        tl.parse_plain(path, ParseContext(source_id="s", path=path))
    with pytest.raises(FormatError, match=deep):
        tl.parse(path, ParseContext(source_id="s", path=path))


def test_the_bench_file_and_a_real_export_s_layout_take_the_arrow_route(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench's file and a real Android export's layout (activities, trip memory, Wi-Fi scans,
    activity records, the profile) are read by Arrow's reader, not by a slower route."""
    path = bench_json_file(tmp_path, monkeypatch, "google_timeline_json", "timeline", 2_000)
    tl._arrow_doc(path.read_bytes())
    real = _write(tmp_path, "real-shape", real_shape(json.loads(path.read_text(encoding="utf-8"))))
    tl._arrow_doc(real.read_bytes())
    assert tl._fast_records(real) is not None
    _same(real)
    for name in CLEAN:
        tl._arrow_doc(json.dumps(CLEAN[name], ensure_ascii=False).encode())


_VALUES: list[Any] = [None, 0, -0.0, 1, 1.5, 2**60, True, False, "", "x", "51.5°, -0.12°", "geo:51.5,-0.12", T0,
                      "2026-02-30T09:07:00.000+00:00", [], [None], ["x"], {}, {"latLng": "51.5°, -0.12°"},
                      {"zz": [1, {"q": None}]}, float("nan")]


def _nodes(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in ``doc`` (a key of an object, an index of an array)."""
    out = [path]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _nodes(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _nodes(v, (*path, i))
    return out


def _tree_mutant(doc: Any, rng: Any) -> Any:
    """``doc`` with one to three places changed: a value replaced by one of another type or form, a key
    dropped, or an unknown key added beside it."""
    doc = json.loads(json.dumps(doc))
    for _ in range(rng.randrange(1, 4)):
        where = rng.choice(_nodes(doc)[1:])
        parent = doc
        for step in where[:-1]:
            parent = parent[step]
        op = rng.random()
        if op < 0.6:
            parent[where[-1]] = json.loads(json.dumps(rng.choice(_VALUES)))
        elif op < 0.8 and isinstance(parent, dict):
            del parent[where[-1]]
        elif isinstance(parent, dict):
            parent[f"unknown{rng.randrange(3)}"] = json.loads(json.dumps(rng.choice(_VALUES)))
    return doc


def test_tree_mutants_of_a_real_export_s_layout_read_the_same(tmp_path: Path) -> None:
    """300 seeded mutants of a small real-shape export (:func:`real_shape` of the Android case): each
    read the same by both routes (or refused in the same words), and many still by the Arrow route."""
    import random

    rng = random.Random("timeline tree mutants")
    seed = real_shape(json.loads(json.dumps(_doc([_visit(), _act(), _path(_pt(), _pt(time=T1)), _visit(probability=0.25)],
                                                 [_raw(), _raw(accuracyMeters=3.5)]))))
    arrow = 0
    for trial in range(300):
        path = _write(tmp_path, f"mutant-{trial}", _tree_mutant(seed, rng))
        # never a crash: a list or key of another type is a reject naming it (or the file is refused)
        with contextlib.suppress(FormatError):
            tl.parse_plain(path, ParseContext(source_id="s", path=path))
        _same(path)
        # refused (the route gives up on any error: _NotFast, Arrow's or Polars' own): the other routes read it,
        # as _same checked
        with contextlib.suppress(Exception):
            tl._arrow_doc(path.read_bytes())
            arrow += tl._fast_records(path) is not None
    assert arrow > 50


def test_byte_mutants_of_a_real_export_s_layout_read_the_same(tmp_path: Path) -> None:
    """200 seeded byte mutants (JSON's own characters deleted, inserted or replaced, pieces copied) of a
    small real-shape export, indented as Google writes it: each read the same by both routes, or
    refused in the same words; the plain rule never crashes."""
    import random

    from tests._fast_plain import load_test_module

    mutated = load_test_module("test_fast_routes_mutated")
    rng = random.Random("timeline byte mutants")
    seed = json.dumps(real_shape(json.loads(json.dumps(_doc([_visit(), _act(), _path(_pt(), _pt(time=T1))],
                                                            [_raw(), _raw(accuracyMeters=3.5)])))),
                      indent=2, ensure_ascii=False).encode()
    read = 0
    for trial in range(200):
        path = tmp_path / f"mutant-{trial}.json"
        path.write_bytes(mutated._mutant(seed, rng))
        with contextlib.suppress(FormatError):  # never a crash: read, or refused by name
            tl.parse_plain(path, ParseContext(source_id="s", path=path))
            read += 1
        _same(path)
    assert read > 20


@pytest.mark.parametrize(("doc", "where", "why"), [
    ({"semanticSegments": [_visit()], "rawSignals": True}, "rawSignals", "'rawSignals' is bool, not a list"),
    ({"semanticSegments": "abc", "rawSignals": [_raw()]}, "semanticSegments", "'semanticSegments' is str, not a list"),
    ({"semanticSegments": {"a": 1}}, "semanticSegments", "'semanticSegments' is dict, not a list"),
    ({"semanticSegments": [{"startTime": "2026-01-02T09:00:00.000+00:00", "timelinePath": 5}]},
     "semanticSegments[0].timelinePath", "'timelinePath' is int, not a list"),
])
def test_a_list_of_another_type_is_one_reject_naming_it_never_a_crash(tmp_path: Path, doc: dict[str, Any], where: str,
                                                                       why: str) -> None:
    """Found by the mutants: ``"rawSignals": true`` crashed the plain rule (TypeError), and a text
    where a list belongs was walked character by character. Now one reject names the key, the rest of
    the file is read, and the fast path (which refuses the shape) gives the same."""
    path = _write(tmp_path, "odd", doc)
    result = tl.parse_plain(path, ParseContext(source_id="s", path=path))
    rejects = result.rejects.to_dicts()
    assert [(r["source_ref"], r["reason"]) for r in rejects] == [(where, why)]
    assert result.records_read == result.events.height + 1
    _same(path)


def test_an_ios_offset_that_is_not_a_number_gives_no_time_not_a_crash(tmp_path: Path) -> None:
    seg = {"startTime": "2026-01-02T09:00:00.000+00:00",
           "timelinePath": [{"point": "geo:51.5,-0.12", "durationMinutesOffsetFromStartTime": [1]}]}
    path = _write(tmp_path, "ios", [seg])
    tl.parse_plain(path, ParseContext(source_id="s", path=path))
    _same(path)


_NO_FLOAT = {"1e400": "Infinity", "-1e400": "-Infinity", "1" + "0" * 400: "10000000000000000000… (401 digits)",
             "NaN": "NaN", "Infinity": "Infinity"}
"""Numbers Python's JSON reader reads and no float holds as written (JSON text → the reject's excerpt)."""


@pytest.mark.parametrize("where", ["accuracy", "distance"])
@pytest.mark.parametrize("number", sorted(_NO_FLOAT))
def test_a_number_no_float_holds_rejects_its_records_not_the_file(tmp_path: Path, number: str, where: str) -> None:
    """A raw position's ``accuracyMeters`` or an activity's ``distanceMeters`` of ``1e400`` (read as
    infinity: it was stored), an integer of 400 digits (``float`` of it stopped the whole file) or
    ``NaN``: the position, or the activity's two ends, are rejects naming them and the field, with the
    value; every other record is read; the fast route gives the same (it leaves the file to the plain rule)."""
    doc = _doc([_act(distanceMeters="__N__" if where == "distance" else 2811.5), _act(), _visit()],
               [_raw(), _raw(accuracyMeters="__N__" if where == "accuracy" else 5), _raw(accuracyMeters=7)])
    path = tmp_path / "Timeline.json"
    path.write_text(json.dumps(doc, indent=2).replace('"__N__"', number), encoding="utf-8")
    _same(path)
    result = tl.parse(path, ParseContext(source_id="s", path=path))
    refs = ["rawSignals[1].position"] if where == "accuracy" else \
        ["semanticSegments[0].activity.start", "semanticSegments[0].activity.end"]
    reason = f"the {where} is not a finite number (beyond the range of a float, or NaN/Infinity)"
    assert result.rejects.select("source_ref", "reason", "excerpt").rows() == [(ref, reason, _NO_FLOAT[number]) for ref in refs]
    assert result.records_read == 8 == result.events.height + len(refs)
    assert set(result.events.get_column("source_ref")).isdisjoint(refs)
