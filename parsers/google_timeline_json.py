"""Google Maps Timeline exported from the phone (``Timeline.json``, 2024-).

Since Google moved Timeline onto the device, the history is exported from the
phone (Settings → Location → Timeline → Export), not from Takeout. The Android
export is one JSON object (layout from real exports; no public schema yet)::

    {"semanticSegments": [
       {"startTime": "2026-03-02T19:05:00.000+00:00", "endTime": "…",
        "startTimeTimezoneUtcOffsetMinutes": 0, "endTimeTimezoneUtcOffsetMinutes": 0,
        "visit": {"hierarchyLevel": 0, "probability": 0.9,
                  "topCandidate": {"placeId": "…", "semanticType": "HOME", "probability": 0.8,
                                   "placeLocation": {"latLng": "51.5230123°, -0.1010456°"}}}},
       {"startTime": …, "endTime": …,
        "activity": {"start": {"latLng": "…"}, "end": {"latLng": "…"}, "distanceMeters": 812.0,
                     "topCandidate": {"type": "WALKING", "probability": 0.9}}},
       {"startTime": …, "endTime": …,
        "timelinePath": [{"point": "51.5°, -0.12°", "time": "2026-03-02T19:07:00.000+00:00"}]}],
     "rawSignals": [{"position": {"LatLng": "51.5°, -0.12°", "accuracyMeters": 12, "altitudeMeters": 30.1,
                                  "source": "WIFI", "timestamp": "2026-03-02T19:07:00.000+00:00"}},
                    {"wifiScan": …}, {"activityRecord": …}],
     "userLocationProfile": {…}}

The iOS export is a JSON list of segments with ``"geo:51.523012,-0.101046"``
coordinates and ``visit``/``activity``/``timelinePath`` in the same roles; both
spellings of coordinates are read.

Records:

* ``visit`` → a ``location`` event at the top candidate's place, from ``startTime``
  to ``endTime`` (``ts_end_utc``); ``text`` "visit (semanticType …, placeId …,
  probability …)".
* ``activity`` → its start point at ``startTime`` and its end point at ``endTime``.
* ``timelinePath`` points → one event each, at the point's own ``time`` (iOS: the
  segment start plus ``durationMinutesOffsetFromStartTime``).
* ``rawSignals[].position`` → one event each, with ``accuracyMeters``; other raw
  signals (Wi-Fi scans, activity records) have no position and are not records.
* Times carry their offset (``+01:00``): basis ``offset`` (``Z`` → ``utc``).
* Coordinates are strings in degrees: ``"51.5007°, -0.1246°"`` (with or without
  the degree sign) or ``"geo:51.5007,-0.1246"``. A string that does not read is a
  reject with the reason.
* Channel ``google-location``; ``source_ref`` is the JSON path, e.g.
  ``semanticSegments[12].timelinePath[3]``, ``rawSignals[40].position``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import polars as pl

from atlas.errors import FormatError
from atlas.model import Channel, EvidenceCategory
from parsers._exports import (
    excerpt,
    has_array,
    head_keys,
    iso_basis,
    iso_instant,
    load_json,
    rejects,
    rejects_lone_surrogates,
    without_cycle_collection,
)
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe

INFO: Final = ParserInfo(
    name="google-timeline-json",
    version="1.0.0",
    description="Google Maps Timeline exported from the phone (Timeline.json: semanticSegments, rawSignals)",
    detects="JSON with 'semanticSegments' (and/or 'rawSignals'), or an iOS list of segments with 'geo:' coordinates",
    notes=__doc__ or "",
    category=EvidenceCategory.LOCATION_HISTORY,
    channels=frozenset({Channel.GOOGLE_LOCATION}),
    no_public_sample="no public on-device Timeline.json in ../shared/samples; tested on the generator's files (Android and iOS layouts)",
)

LATLNG: Final = r"^\s*(?:geo:)?\s*(-?\d+(?:\.\d+)?)\s*°?\s*,\s*(-?\d+(?:\.\d+)?)\s*°?\s*$"


def detect(probe: Probe) -> int:
    text = probe.text.lstrip()
    keys = head_keys(text[:65536])
    if text.startswith("{") and (has_array(text[:65536], "semanticSegments") or has_array(text[:65536], "rawSignals")):
        return 95
    if re.match(r"\[\s*\{", text) and {"startTime", "endTime"} <= keys and '"geo:' in text[:65536]:
        return 90
    return 0


class _Out:
    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {k: [] for k in ("source_ref", "latlng", "accuracy_m", "start", "end", "text")}
        self.bad: list[tuple[str, str, str]] = []
        self.read = 0

    def add(self, ref: str, latlng: Any, start: Any, end: Any, text: str, accuracy: Any = None) -> None:
        self.read += 1
        if not isinstance(latlng, str):
            self.bad.append((ref, "no coordinates", excerpt(latlng)))
            return
        c = self.cols
        c["source_ref"].append(ref)
        c["latlng"].append(latlng)
        c["accuracy_m"].append(float(accuracy) if isinstance(accuracy, int | float) else None)
        c["start"].append(str(start) if start else None)
        c["end"].append(str(end) if end else None)
        c["text"].append(text)


def _latlng(value: Any) -> Any:
    """A coordinate field: a string, or an object holding ``latLng``/``LatLng``."""
    if isinstance(value, dict):
        return value.get("latLng") or value.get("LatLng") or value.get("placeLocation")
    return value


def _point_time(point: dict[str, Any], start: Any) -> str | None:
    """A path point's time: its own ``time``, or (iOS) the segment start plus
    ``durationMinutesOffsetFromStartTime``, written back with the segment's offset."""
    if point.get("time"):
        return str(point["time"])
    minutes = point.get("durationMinutesOffsetFromStartTime")
    if not isinstance(start, str) or minutes in (None, ""):
        return None
    try:
        t0 = datetime.fromisoformat(start.replace("Z", "+00:00"))
        return (t0 + timedelta(minutes=float(minutes))).isoformat(timespec="milliseconds")
    except ValueError:
        return None


def _segment(out: _Out, ref: str, seg: dict[str, Any]) -> None:
    start, end = seg.get("startTime"), seg.get("endTime")
    visit = seg.get("visit")
    if isinstance(visit, dict):
        top = visit.get("topCandidate") if isinstance(visit.get("topCandidate"), dict) else {}
        assert isinstance(top, dict)
        detail = "; ".join(f"{k} {top[k]}" for k in ("semanticType", "placeId", "probability") if top.get(k) not in (None, ""))
        out.add(f"{ref}.visit", _latlng(_latlng(top.get("placeLocation"))), start, end,
                "visit" + (f" ({detail})" if detail else ""))
    activity = seg.get("activity")
    if isinstance(activity, dict):
        top = activity.get("topCandidate") if isinstance(activity.get("topCandidate"), dict) else {}
        assert isinstance(top, dict)
        kind = top.get("type") or "UNKNOWN"
        dist = activity.get("distanceMeters")
        distance = f", distance {dist:.0f} m" if isinstance(dist, int | float) else ""
        out.add(f"{ref}.activity.start", _latlng(activity.get("start")), start, None, f"activity {kind} start{distance}")
        out.add(f"{ref}.activity.end", _latlng(activity.get("end")), end, None, f"activity {kind} end{distance}")
    for j, point in enumerate(seg.get("timelinePath") or []):
        if isinstance(point, dict):
            out.add(f"{ref}.timelinePath[{j}]", _latlng(point.get("point")), _point_time(point, start), None, "path point")
        else:
            out.read += 1
            out.bad.append((f"{ref}.timelinePath[{j}]", "not a path point", excerpt(point)))


@rejects_lone_surrogates
@without_cycle_collection
def parse(path: Path, ctx: ParseContext) -> ParseResult:
    doc = load_json(path, "Google Timeline export")
    out = _Out()
    signals: list[Any]
    if isinstance(doc, list):
        segments, base, signals = doc, "", []
    elif isinstance(doc, dict) and ("semanticSegments" in doc or "rawSignals" in doc):
        segments, base, signals = doc.get("semanticSegments") or [], "semanticSegments", doc.get("rawSignals") or []
    else:
        raise FormatError(f"{path}: no 'semanticSegments' or 'rawSignals': not a Google Timeline export")
    for i, seg in enumerate(segments):
        if isinstance(seg, dict):
            _segment(out, f"{base}[{i}]", seg)
        else:
            out.read += 1
            out.bad.append((f"{base}[{i}]", "not a segment", excerpt(seg)))
    for k, signal in enumerate(signals):
        pos = signal.get("position") if isinstance(signal, dict) else None
        if isinstance(pos, dict):
            out.add(f"rawSignals[{k}].position", _latlng(pos), pos.get("timestamp"), None,
                    "raw position" + (f", source {pos['source']}" if pos.get("source") else ""), pos.get("accuracyMeters"))
    frame = pl.DataFrame(out.cols, schema={
        "source_ref": pl.String, "latlng": pl.String, "accuracy_m": pl.Float64, "start": pl.String, "end": pl.String,
        "text": pl.String,
    }).with_columns(pl.col("latlng").str.extract_groups(LATLNG).struct.rename_fields(["la", "lo"]).alias("ll")).unnest("ll")
    frame = frame.with_columns(pl.col("la").cast(pl.Float64).alias("lat"), pl.col("lo").cast(pl.Float64).alias("lon"))
    unreadable = frame.filter(pl.col("lat").is_null() | pl.col("lon").is_null()
                              | ~pl.col("lat").is_between(-90, 90) | ~pl.col("lon").is_between(-180, 180))
    bad = out.bad + [(r, "coordinates not readable (expected '51.5°, -0.12°' or 'geo:51.5,-0.12')", v)
                     for r, v in unreadable.select("source_ref", "latlng").iter_rows()]
    frame = frame.join(unreadable.select("source_ref"), on="source_ref", how="anti")
    events = frame.select(
        "source_ref", pl.lit("location").alias("kind"), pl.lit("google-location").alias("channel"),
        iso_instant(pl.col("start")).alias("ts_utc"), iso_instant(pl.col("end")).alias("ts_end_utc"),
        iso_basis(pl.col("start")).alias("ts_basis"), pl.col("start").alias("ts_raw"),
        "lat", "lon", "accuracy_m", "text",
    )
    return ParseResult(events=events, rejects=rejects(ctx.source_id, bad), records_read=out.read,
                       assumptions=["Timeline.json: times carry their UTC offset; visits and activities are Google's inferences"])
