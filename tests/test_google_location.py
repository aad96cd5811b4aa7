"""Google location parsers (Records.json streamed, Semantic, on-device Timeline, police-return CSV)
and the generator's Google files validated against the public JSON Schemas."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import polars as pl
import pytest

import parsers
from atlas.errors import FormatError
from fixtures.scenarios import build
from fixtures.writers import google_location
from parsers import google_records_json, google_returns_csv, google_semantic_json, google_timeline_json
from parsers.base import ParseContext, ParseResult

SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "samples" / "google-location-schemas"


def parse(module: object, path: Path) -> ParseResult:
    return module.parse(path, ParseContext(source_id="src", path=path))  # type: ignore[attr-defined]


def write_json(tmp: Path, name: str, doc: object) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


# --- Records.json --------------------------------------------------------------------------


def test_records_read_iso_and_legacy_milliseconds_with_accuracy_and_device(tmp_path: Path) -> None:
    path = write_json(tmp_path, "Records.json", {"locations": [
        {"latitudeE7": 515074000, "longitudeE7": -1278000, "accuracy": 16, "source": "WIFI", "deviceTag": -42,
         "platformType": "ANDROID", "timestamp": "2026-03-01T10:00:00.123Z",
         "activity": [{"activity": [{"type": "STILL", "confidence": 100}], "timestamp": "2026-03-01T10:00:01Z"}]},
        {"timestampMs": "1772359260000", "latitudeE7": 515075000, "longitudeE7": 4293689296, "accuracy": 5},
        {"latitudeE7": 515076000, "longitudeE7": -1278000, "timestamp": "2026-06-01T11:00:00+01:00"},
    ]})
    assert parsers.detect(path).INFO.name == "google-records-json"
    result = parse(google_records_json, path)
    assert (result.records_read, result.events.height, result.rejects.height) == (3, 3, 0)
    rows = result.events.select("source_ref", "ts_utc", "ts_basis", "ts_raw", "lat", "lon", "accuracy_m", "text").rows()
    assert rows[0] == ("locations[0]", datetime(2026, 3, 1, 10, 0, 0, 123000, tzinfo=UTC), "utc", "2026-03-01T10:00:00.123Z",
                       51.5074, -0.1278, 16.0, "source WIFI, deviceTag -42, platform ANDROID")
    # timestampMs is UTC; a longitude written as an unsigned 32-bit overflow is read as negative.
    assert rows[1][:6] == ("locations[1]", datetime(2026, 3, 1, 10, 1, tzinfo=UTC), "utc", "1772359260000", 51.5075, -0.1278)
    assert rows[2][1:3] == (datetime(2026, 6, 1, 10, 0, tzinfo=UTC), "offset")
    assert any("32-bit overflow" in a and a.startswith("1 record") for a in result.assumptions)
    assert set(result.events.get_column("channel")) == {"google-location"}


def test_records_without_coordinates_or_time_are_rejects_with_reasons(tmp_path: Path) -> None:
    path = write_json(tmp_path, "Records.json", {"locations": [
        {"latitudeE7": 515074000, "timestamp": "2026-03-01T10:00:00Z"},
        {"latitudeE7": 515074000, "longitudeE7": -1278000},
        {"latitudeE7": 515074000, "longitudeE7": -1278000, "timestamp": "yesterday"},
        {"latitudeE7": 915074000, "longitudeE7": -1278000, "timestamp": "2026-03-01T10:00:00Z"},
        "junk",
        {"latitudeE7": 515074000, "longitudeE7": -1278000, "timestamp": "2026-03-01T10:00:00Z"},
    ]})
    result = parse(google_records_json, path)
    assert (result.records_read, result.events.height) == (6, 1)
    assert sorted(result.rejects.select("source_ref", "reason").rows()) == [
        ("locations[0]", "no latitudeE7/longitudeE7"),
        ("locations[1]", "no timestamp or timestampMs"),
        ("locations[2]", "timestamp not readable (expected ISO 8601 with Z/offset, or epoch ms)"),
        ("locations[3]", "coordinates out of range"),
        ("locations[4]", "not a location record"),
    ]


def test_records_bare_list_from_a_return(tmp_path: Path) -> None:
    path = write_json(tmp_path, "Location History.json", [
        {"timestampMs": "1772359200000", "latitudeE7": 515074000, "longitudeE7": -1278000, "accuracy": 20}])
    assert parsers.detect(path).INFO.name == "google-records-json"
    assert parse(google_records_json, path).events.select("source_ref", "lat").rows() == [("[0]", 51.5074)]


def test_truncated_records_json_names_the_file_and_how_far_it_got(tmp_path: Path) -> None:
    path = tmp_path / "Records.json"
    good = {"latitudeE7": 515074000, "longitudeE7": -1278000, "timestamp": "2026-03-01T10:00:00Z"}
    path.write_text('{"locations": [' + ", ".join([json.dumps(good)] * 3) + ', {"latitudeE7": 5150')
    with pytest.raises(FormatError, match=r"Records.json: JSON error after 3 location record\(s\) \(the next would be "
                                          r"locations\[3\]\).*truncated"):
        parse(google_records_json, path)


def test_records_are_streamed_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(google_records_json, "CHUNK", 7)
    seen: list[int] = []
    original = google_records_json._chunk

    def spy(batch: list[dict[str, object]]) -> pl.DataFrame:
        seen.append(len(batch))
        return original(batch)

    monkeypatch.setattr(google_records_json, "_chunk", spy)
    recs = [{"latitudeE7": 515074000 + i, "longitudeE7": -1278000, "timestamp": f"2026-03-01T10:00:{i:02d}Z"} for i in range(20)]
    path = write_json(tmp_path, "Records.json", {"locations": recs})
    result = google_records_json.parse_plain(path, ParseContext(source_id="src", path=path))  # the plain rule streams
    assert seen == [7, 7, 6]  # never more than a chunk of records held as Python objects
    assert result.events.get_column("source_ref").to_list() == [f"locations[{i}]" for i in range(20)]


# --- Semantic ---------------------------------------------------------------------------------


def test_semantic_visits_have_start_and_end_and_activities_two_points(tmp_path: Path) -> None:
    path = write_json(tmp_path, "2026_MARCH.json", {"timelineObjects": [
        {"activitySegment": {"startLocation": {"latitudeE7": 515560000, "longitudeE7": -2050000},
                             "endLocation": {"latitudeE7": 515074000, "longitudeE7": -1278000},
                             "duration": {"startTimestamp": "2026-03-01T19:35:00.000Z", "endTimestamp": "2026-03-01T20:00:00Z"},
                             "distance": 6400, "activityType": "IN_PASSENGER_VEHICLE",
                             "simplifiedRawPath": {"points": [{"latE7": 515300000, "lngE7": -1600000, "accuracyMeters": 12,
                                                               "timestamp": "2026-03-01T19:45:00Z"}]}}},
        {"placeVisit": {"location": {"latitudeE7": 515074000, "longitudeE7": -1278000, "placeId": "ChIJabc",
                                     "address": "Example Road, London", "accuracyMetres": 30},
                        "duration": {"startTimestamp": "2026-03-01T20:00:00Z", "endTimestamp": "2026-03-01T20:30:00Z"},
                        "placeConfidence": "HIGH_CONFIDENCE",
                        "childVisits": [{"location": {"latitudeE7": 515075000, "longitudeE7": -1279000, "name": "Shop"},
                                         "duration": {"startTimestampMs": "1772395500000", "endTimestampMs": "1772396100000"}}]}},
        {"somethingElse": {}},
    ]})
    assert parsers.detect(path).INFO.name == "google-semantic-json"
    result = parse(google_semantic_json, path)
    rows = {r["source_ref"]: r for r in result.events.iter_rows(named=True)}
    visit = rows["timelineObjects[1].placeVisit"]
    assert (visit["ts_utc"], visit["ts_end_utc"], visit["lat"], visit["lon"], visit["accuracy_m"]) == (
        datetime(2026, 3, 1, 20, 0, tzinfo=UTC), datetime(2026, 3, 1, 20, 30, tzinfo=UTC), 51.5074, -0.1278, 30.0)
    assert visit["text"] == "visit: Example Road, London (placeId ChIJabc; placeConfidence HIGH_CONFIDENCE)"
    child = rows["timelineObjects[1].placeVisit.childVisits[0]"]
    assert (child["ts_utc"], child["ts_end_utc"], child["ts_basis"]) == (
        datetime(2026, 3, 1, 20, 5, tzinfo=UTC), datetime(2026, 3, 1, 20, 15, tzinfo=UTC), "utc")
    start, end = rows["timelineObjects[0].activitySegment.start"], rows["timelineObjects[0].activitySegment.end"]
    assert (start["ts_utc"], start["ts_end_utc"], start["lat"]) == (datetime(2026, 3, 1, 19, 35, tzinfo=UTC), None, 51.556)
    assert (end["ts_utc"], end["lat"], end["text"]) == (
        datetime(2026, 3, 1, 20, 0, tzinfo=UTC), 51.5074, "activity IN_PASSENGER_VEHICLE end, distance 6400 m")
    assert rows["timelineObjects[0].activitySegment.simplifiedRawPath.points[0]"]["accuracy_m"] == 12.0
    assert result.rejects.select("source_ref", "reason").rows() == [("timelineObjects[2]", "neither placeVisit nor activitySegment")]
    assert result.records_read == result.events.height + result.rejects.height == 6


# --- on-device Timeline.json ----------------------------------------------------------------


def test_timeline_android_visits_activities_paths_and_raw_signals(tmp_path: Path) -> None:
    path = write_json(tmp_path, "Timeline.json", {"semanticSegments": [
        {"startTime": "2026-06-02T19:05:00.000+01:00", "endTime": "2026-06-02T20:05:00.000+01:00",
         "visit": {"hierarchyLevel": 0, "probability": 0.9, "topCandidate": {
             "placeId": "ChIJx", "semanticType": "UNKNOWN", "probability": 0.8,
             "placeLocation": {"latLng": "51.5230123°, -0.1010456°"}}}},
        {"startTime": "2026-06-02T18:40:00.000+01:00", "endTime": "2026-06-02T19:05:00.000+01:00",
         "activity": {"start": {"latLng": "51.5°, -0.12°"}, "end": {"latLng": "51.523°, -0.101°"}, "distanceMeters": 2811.4,
                      "topCandidate": {"type": "IN_PASSENGER_VEHICLE", "probability": 0.9}}},
        {"startTime": "2026-01-02T09:00:00.000+00:00", "endTime": "2026-01-02T11:00:00.000+00:00",
         "timelinePath": [{"point": "51.5007000°, -0.1246000°", "time": "2026-01-02T09:07:00.000+00:00"},
                          {"point": "somewhere", "time": "2026-01-02T09:08:00.000+00:00"}]},
    ], "rawSignals": [
        {"position": {"LatLng": "51.5°, -0.12°", "accuracyMeters": 12, "source": "WIFI", "timestamp": "2026-06-02T18:07:00.000Z"}},
        {"wifiScan": {"deliveryTime": "2026-06-02T18:07:00.000Z", "devicesRecords": []}},
    ]})
    assert parsers.detect(path).INFO.name == "google-timeline-json"
    result = parse(google_timeline_json, path)
    rows = {r["source_ref"]: r for r in result.events.iter_rows(named=True)}
    visit = rows["semanticSegments[0].visit"]
    assert (visit["ts_utc"], visit["ts_end_utc"], visit["ts_basis"], visit["lat"], visit["lon"]) == (
        datetime(2026, 6, 2, 18, 5, tzinfo=UTC), datetime(2026, 6, 2, 19, 5, tzinfo=UTC), "offset", 51.5230123, -0.1010456)
    assert visit["ts_raw"] == "2026-06-02T19:05:00.000+01:00"
    assert rows["semanticSegments[1].activity.end"]["text"] == "activity IN_PASSENGER_VEHICLE end, distance 2811 m"
    point = rows["semanticSegments[2].timelinePath[0]"]
    assert (point["ts_utc"], point["lat"], point["lon"]) == (datetime(2026, 1, 2, 9, 7, tzinfo=UTC), 51.5007, -0.1246)
    raw = rows["rawSignals[0].position"]
    assert (raw["accuracy_m"], raw["ts_basis"], raw["text"]) == (12.0, "utc", "raw position, source WIFI")
    assert result.rejects.select("source_ref", "excerpt").rows() == [("semanticSegments[2].timelinePath[1]", "somewhere")]
    assert result.records_read == 6


def test_timeline_ios_list_with_geo_uris_and_minute_offsets(tmp_path: Path) -> None:
    path = write_json(tmp_path, "location-history.json", [
        {"startTime": "2026-03-02T19:05:00.000Z", "endTime": "2026-03-02T19:35:00.000Z",
         "visit": {"topCandidate": {"placeLocation": "geo:51.523012,-0.101046", "semanticType": "Unknown"}}},
        {"startTime": "2026-03-02T18:00:00.000Z", "endTime": "2026-03-02T19:00:00.000Z",
         "timelinePath": [{"point": "geo:51.500700,-0.124600", "durationMinutesOffsetFromStartTime": "30"}]},
    ])
    assert parsers.detect(path).INFO.name == "google-timeline-json"
    rows = parse(google_timeline_json, path).events.select("source_ref", "ts_utc", "lat", "lon").rows()
    assert rows == [("[0].visit", datetime(2026, 3, 2, 19, 5, tzinfo=UTC), 51.523012, -0.101046),
                    ("[1].timelinePath[0]", datetime(2026, 3, 2, 18, 30, tzinfo=UTC), 51.5007, -0.1246)]


# --- police return CSV --------------------------------------------------------------------------


def test_return_csv_with_preamble_and_every_timestamp_style(tmp_path: Path) -> None:
    path = tmp_path / "Location History.csv"
    path.write_text("Google LLC\nAccount: dan@example.com\n\n"
                    "Timestamp (UTC),Latitude,Longitude,Display Radius (Meters),Source,Device Tag,Platform\n"
                    "2026-03-01 10:00:00 UTC,51.5074000,-0.1278000,16,WIFI,-1234567890,ANDROID\n"
                    "2026-03-01T10:05:00.123Z,51.5075,-0.1279,8,GPS,-1234567890,ANDROID\n"
                    "2026-03-01 10:07:00,51.5075,-0.1279,8,GPS,-1234567890,ANDROID\n"
                    "1772359800000,51.5,-0.12,,CELL,,\n"
                    "bad,51.5,-0.12,1,GPS,1,ANDROID\n"
                    "2026-03-01 10:00:00 UTC,north,-0.12,1,GPS,1,ANDROID\n")
    assert parsers.detect(path).INFO.name == "google-returns-csv"
    result = parse(google_returns_csv, path)
    rows = result.events.select("source_ref", "ts_utc", "ts_basis", "lat", "lon", "accuracy_m", "text").rows()
    assert rows[0] == ("row 1", datetime(2026, 3, 1, 10, 0, tzinfo=UTC), "utc", 51.5074, -0.1278, 16.0,
                       "source WIFI, deviceTag -1234567890, platform ANDROID")
    assert [r[1] for r in rows[1:]] == [datetime(2026, 3, 1, 10, 5, 0, 123000, tzinfo=UTC),
                                        datetime(2026, 3, 1, 10, 7, tzinfo=UTC), datetime(2026, 3, 1, 10, 10, tzinfo=UTC)]
    assert rows[3][5:] == (None, "source CELL")
    assert result.rejects.select("source_ref", "reason").rows() == [
        ("row 5", "Timestamp (UTC) not readable"), ("row 6", "latitude/longitude not numbers")]
    assert result.records_read == 6
    assert "header on line 4" in result.assumptions[0]


# --- the generator's files against the public schemas ---------------------------------------------


def _validator(name: str) -> jsonschema.protocols.Validator:
    schema_path = SCHEMAS / f"{name}.schema.json"
    if not schema_path.exists():
        pytest.skip(f"schema not found at {schema_path}")
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    # The files declare draft 2020-12 (with a non-canonical $schema URL): use that draft explicitly.
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize("scenario", ["rejected-ex", "covert"])
def test_generated_records_and_semantic_files_match_the_public_schemas(tmp_path: Path, scenario: str) -> None:
    world = build(scenario, 2, 0.1)
    written = google_location.write(world, tmp_path, random.Random(f"{scenario}:2:{google_location.NAME}"))
    records = [w for w in written if w.parser == "google-records-json"]
    semantic = [w for w in written if w.parser == "google-semantic-json"]
    assert len(records) == 1 and len(semantic) >= 3
    records_schema, semantic_schema = _validator("Records"), _validator("Semantic")
    doc = json.loads((tmp_path / records[0].path).read_text(encoding="utf-8"))
    assert list(records_schema.iter_errors(doc)) == []
    assert len(doc["locations"]) == sum(1 for p in world.positions if p.pid == "suspect")
    for w in semantic:
        month = json.loads((tmp_path / w.path).read_text(encoding="utf-8"))
        assert list(semantic_schema.iter_errors(month)) == [], w.path
        assert {k for obj in month["timelineObjects"] for k in obj} == {"placeVisit", "activitySegment"}
    # The validators are really checking: a coordinate as a string, or an unknown activity, fails.
    doc["locations"][0]["latitudeE7"] = "515074000"
    assert [e.validator for e in records_schema.iter_errors(doc)] == ["type"]
    month["timelineObjects"][0]["activitySegment"]["activityType"] = "TELEPORTING"
    assert list(semantic_schema.iter_errors(month))


def test_a_schema_describing_the_format_is_not_taken_for_the_format() -> None:
    if not SCHEMAS.is_dir():
        pytest.skip("schemas not found")
    for name in ("Records.schema.json", "Semantic.schema.json"):
        path = SCHEMAS / name
        probe = parsers.Probe(path)
        assert '"locations"' in probe.text or '"timelineObjects"' in probe.text  # the words are there ...
        assert google_records_json.detect(probe) == google_semantic_json.detect(probe) == 0  # ... the structure is not
        with pytest.raises(FormatError, match="format not recognised"):
            parsers.detect(path)
