"""Google Semantic Location History monthly files (Takeout: ``Semantic Location History/2026/2026_MARCH.json``).

Google's own interpretation of the raw history: where the account holder stayed
(``placeVisit``) and how they moved between places (``activitySegment``). Layout
from the public ``Semantic.schema.json`` (CarlosBergillos/LocationHistoryFormat)::

    {"timelineObjects": [
      {"placeVisit": {"location": {"latitudeE7", "longitudeE7", "placeId", "address", "name",
                                   "semanticType", "locationConfidence", "accuracyMetres"},
                      "duration": {"startTimestamp", "endTimestamp"},
                      "centerLatE7", "centerLngE7", "placeConfidence", "childVisits": [...],
                      "simplifiedRawPath": {"points": [{"latE7", "lngE7", "accuracyMeters", "timestamp"}]}}},
      {"activitySegment": {"startLocation": {…}, "endLocation": {…}, "duration": {…},
                           "distance", "activityType", "confidence", "waypointPath": {…},
                           "simplifiedRawPath": {…}}}]}

Records:

* A visit → one ``location`` event at the place's coordinates (``location``, else
  the visit's centre), ``ts_utc`` = start and ``ts_end_utc`` = end of the stay;
  ``text`` names the place: "visit: name, address (placeId …, semanticType …,
  placeConfidence …)". Child visits are read the same way.
* An activity segment → two events: its start location at the start time and its
  end location at the end time (an activity is movement, so neither has an end
  time); ``text`` gives the activity type and distance.
* ``simplifiedRawPath`` points carry their own time and become events; waypoints
  (no time) are not events.
* Times: ``startTimestamp``/``endTimestamp`` are ISO 8601 with ``Z`` (basis
  ``utc``), or an offset (``offset``); files before about 2022 have
  ``startTimestampMs``/``endTimestampMs`` (epoch ms, ``utc``).
* Channel ``google-location``. ``source_ref`` is the JSON path:
  ``timelineObjects[4].placeVisit``, ``timelineObjects[5].activitySegment.start``,
  ``timelineObjects[5].activitySegment.simplifiedRawPath.points[2]``.

A visit is Google's inference from raw positions, not an observation: the place
name in particular is a guess (``placeConfidence``), and the statement says so.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, Final

import polars as pl

from atlas.errors import FormatError
from atlas.model import TS_TYPE, UTC, Channel, EvidenceCategory
from parsers._bounds import bounded_json_values
from parsers._exports import (
    BEYOND_FLOAT,
    ISO_INSTANT_FORMATS,
    epoch_ms_utc,
    excerpt,
    has_array,
    head_keys,
    iso_basis,
    iso_instant,
    load_json,
    number_excerpt,
    rejects,
    rejects_lone_surrogates,
    storable_number,
    without_cycle_collection,
)
from parsers._json_cut import cuts_long_json_values
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe, SampleCount

INFO: Final = ParserInfo(
    name="google-semantic-json",
    version="1.2.0",
    description="Google Semantic Location History monthly file (placeVisit / activitySegment)",
    detects="JSON object with 'timelineObjects' holding placeVisit / activitySegment",
    notes=__doc__ or "",
    category=EvidenceCategory.LOCATION_HISTORY,
    channels=frozenset({Channel.GOOGLE_LOCATION}),
    sample_counts=(
        SampleCount("kgeo-google-location/semantic-2021-august.json", 315, 315, 0, "timelineObjects[0].activitySegment.start", "2021-08-01T00:22:28+00:00",
                    note="kgeo-timeline August 2021: 61 activity segments (start and end), 64 place visits and 9 child visits, 120 raw-path points"),
    ),
)

_COLS: Final = ("source_ref", "lat_e7", "lon_e7", "accuracy_m", "start", "start_ms", "end", "end_ms", "text")


def detect(probe: Probe) -> int:
    text = probe.text.lstrip()
    if not text.startswith("{"):
        return 0
    head = text[:65536]
    if not has_array(head, "timelineObjects"):
        return 0
    return 95 if head_keys(head) & {"placeVisit", "activitySegment"} else 70


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None




class _Out:
    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {k: [] for k in _COLS}
        self.bad: list[tuple[str, str, str]] = []
        self.read = 0

    def add(self, ref: str, lat: Any, lon: Any, acc: Any, dur: dict[str, Any], which: str, text: str) -> None:
        self.read += 1
        for what, value in (("latitude", lat), ("longitude", lon), ("accuracy", acc)):
            if not storable_number(value):  # (the record, not the file: the others are read)
                self.bad.append((ref, BEYOND_FLOAT.format(what=what), number_excerpt(value)))
                return
        c = self.cols
        c["source_ref"].append(ref)
        c["lat_e7"].append(_num(lat))
        c["lon_e7"].append(_num(lon))
        c["accuracy_m"].append(_num(acc))
        start = (dur.get("startTimestamp"), dur.get("startTimestampMs"))
        end = (dur.get("endTimestamp"), dur.get("endTimestampMs"))
        if which == "end":
            start, end = end, (None, None)
        elif which == "start":
            end = (None, None)
        c["start"].append(_as_text(start[0]))
        c["start_ms"].append(str(start[1]) if start[1] is not None else None)
        c["end"].append(_as_text(end[0]))
        c["end_ms"].append(str(end[1]) if end[1] is not None else None)
        c["text"].append(text)

    def points(self, base: str, path: Any, what: str) -> None:
        points = path.get("points") if isinstance(path, dict) else None
        for k, p in enumerate(points or []):
            if not isinstance(p, dict):
                self.read += 1
                self.bad.append((f"{base}.points[{k}]", "not a path point", excerpt(p)))
                continue
            stamp = {"startTimestamp": p.get("timestamp"), "startTimestampMs": p.get("timestampMs")}
            self.add(f"{base}.points[{k}]", p.get("latE7"), p.get("lngE7"), p.get("accuracyMeters"), stamp, "start",
                     f"raw path point of {what}")


def _as_text(value: Any) -> str | None:
    """A time as the file gives it, as text: a number or an object where the export writes an ISO
    text (``"startTimestamp": 5``) is kept as its JSON, so it is read, or rejected with the reason
    and the value, like any other unreadable time (it used to stop the ingest with a TypeError)."""
    return value if value is None or isinstance(value, str) else json.dumps(value)


def _place_text(visit: dict[str, Any], loc: dict[str, Any]) -> str:
    where = ", ".join(str(loc[k]) for k in ("name", "address") if loc.get(k))
    detail = "; ".join(f"{k} {v}" for k, v in (
        ("placeId", loc.get("placeId")), ("semanticType", loc.get("semanticType")),
        ("placeConfidence", visit.get("placeConfidence")), ("visitConfidence", visit.get("visitConfidence")),
    ) if v not in (None, ""))
    return "visit" + (f": {where}" if where else "") + (f" ({detail})" if detail else "")


def _visit(out: _Out, ref: str, visit: dict[str, Any]) -> None:
    loc = visit.get("location") if isinstance(visit.get("location"), dict) else {}
    assert isinstance(loc, dict)
    dur = visit.get("duration") if isinstance(visit.get("duration"), dict) else {}
    assert isinstance(dur, dict)
    lat = loc.get("latitudeE7", visit.get("centerLatE7"))
    lon = loc.get("longitudeE7", visit.get("centerLngE7"))
    out.add(ref, lat, lon, loc.get("accuracyMetres"), dur, "span", _place_text(visit, loc))
    for j, child in enumerate(visit.get("childVisits") or []):
        if isinstance(child, dict):
            _visit(out, f"{ref}.childVisits[{j}]", child)
        else:
            out.read += 1
            out.bad.append((f"{ref}.childVisits[{j}]", "not a place visit", excerpt(child)))
    out.points(f"{ref}.simplifiedRawPath", visit.get("simplifiedRawPath"), "a visit")


def _activity(out: _Out, ref: str, seg: dict[str, Any]) -> None:
    dur = seg.get("duration") if isinstance(seg.get("duration"), dict) else {}
    assert isinstance(dur, dict)
    kind = seg.get("activityType") or "UNKNOWN_ACTIVITY_TYPE"
    distance = f", distance {seg['distance']} m" if seg.get("distance") is not None else ""
    for which in ("start", "end"):
        loc = seg.get(f"{which}Location")
        if not isinstance(loc, dict):
            continue
        out.add(f"{ref}.{which}", loc.get("latitudeE7"), loc.get("longitudeE7"), loc.get("accuracyMetres"), dur, which,
                f"activity {kind} {which}{distance}")
    out.points(f"{ref}.simplifiedRawPath", seg.get("simplifiedRawPath"), f"activity {kind}")


def _records(path: Path) -> tuple[pl.DataFrame, list[tuple[str, str, str]], int]:
    """Every object walked in Python: the records' columns, the rejects so far, records read."""
    doc = load_json(path, "Google Semantic Location History file")
    objects = doc.get("timelineObjects") if isinstance(doc, dict) else None
    if not isinstance(objects, list):
        raise FormatError(f"{path}: no 'timelineObjects' list: not a Semantic Location History file")
    return _records_of(objects)


def _records_of(objects: list[Any]) -> tuple[pl.DataFrame, list[tuple[str, str, str]], int]:
    """:func:`_records` of the file's ``timelineObjects``."""
    out = _Out()
    for i, obj in enumerate(objects):
        ref = f"timelineObjects[{i}]"
        if isinstance(obj, dict) and isinstance(obj.get("placeVisit"), dict):
            _visit(out, f"{ref}.placeVisit", obj["placeVisit"])
        elif isinstance(obj, dict) and isinstance(obj.get("activitySegment"), dict):
            _activity(out, f"{ref}.activitySegment", obj["activitySegment"])
        else:
            out.read += 1
            out.bad.append((ref, "neither placeVisit nor activitySegment", excerpt(obj)))
    frame = pl.DataFrame(out.cols, schema={
        "source_ref": pl.String, "lat_e7": pl.Float64, "lon_e7": pl.Float64, "accuracy_m": pl.Float64,
        "start": pl.String, "start_ms": pl.String, "end": pl.String, "end_ms": pl.String, "text": pl.String,
    })
    return frame, out.bad, out.read


def _instant(frame: pl.DataFrame, text: str, ms: str) -> pl.Expr:
    """``coalesce(iso_instant(text), epoch_ms_utc(ms))`` of the frame, each part worked out only
    where it can change the answer: the export's own presentation (``2026-07-04T19:58:00.000Z``)
    first, every ISO presentation only if some time is left unread (each that reads a text reads
    the same instant from it), epoch milliseconds only where some time is still missing and a
    number is there. Four of every five strptime passes over a month are spared."""
    first = pl.col(text).str.strip_chars().str.to_datetime(ISO_INSTANT_FORMATS[0], strict=False, time_unit="us",
                                                           time_zone=UTC).cast(TS_TYPE)
    iso = iso_instant(pl.col(text)) if frame.select((first.is_null() & pl.col(text).is_not_null()).any()).item() \
        else first
    if frame.select((iso.is_null() & pl.col(ms).is_not_null()).any()).item():
        return pl.coalesce(iso, epoch_ms_utc(pl.col(ms)))
    return iso


@bounded_json_values("a Semantic Location History record")
@cuts_long_json_values("a Semantic Location History record")
@rejects_lone_surrogates
@without_cycle_collection
def parse(path: Path, ctx: ParseContext) -> ParseResult:
    """:func:`parse_plain`'s result (tests/test_semantic_fast.py). A month in the shape Google
    writes is read by :func:`_quick` (one lean walk, one query); any other by :func:`_records_fast`
    (the objects walked with every odd shape handled) and :func:`_events_fast` (the events made by
    one query where every time is in the export's own presentation, else their times read by
    :func:`_instant`)."""
    objects = _objects(path)
    quick = _quick(objects, ctx)
    if quick is not None:
        return quick
    try:
        frame, bad, read, no_coords = _records_fast(objects)
    except _Plain:  # (a number no float holds: the plain rule sets its record aside, in its place)
        return _events(*_records_of(objects), ctx, fast=False)
    return _events_fast(frame, bad, read, no_coords, ctx)


@bounded_json_values("a Semantic Location History record")
@cuts_long_json_values("a Semantic Location History record")
@rejects_lone_surrogates
@without_cycle_collection
def parse_plain(path: Path, ctx: ParseContext) -> ParseResult:
    """The plain rule: every object walked in Python, every time presentation tried on every time."""
    frame, bad, read = _records(path)
    return _events(frame, bad, read, ctx, fast=False)


def _events(frame: pl.DataFrame, out_bad: list[tuple[str, str, str]], read: int, ctx: ParseContext, *,
            fast: bool) -> ParseResult:
    no_coords = frame.filter(pl.col("lat_e7").is_null() | pl.col("lon_e7").is_null())
    bad = out_bad + [(r, "no coordinates (latitudeE7/longitudeE7)", t or "") for r, t in
                     no_coords.select("source_ref", "text").iter_rows()]
    frame = frame.filter(pl.col("lat_e7").is_not_null() & pl.col("lon_e7").is_not_null())
    if fast:
        start, end = _instant(frame, "start", "start_ms"), _instant(frame, "end", "end_ms")
    else:
        start = pl.coalesce(iso_instant(pl.col("start")), epoch_ms_utc(pl.col("start_ms")))
        end = pl.coalesce(iso_instant(pl.col("end")), epoch_ms_utc(pl.col("end_ms")))
    events = frame.select(
        "source_ref", pl.lit("location").alias("kind"), pl.lit("google-location").alias("channel"),
        start.alias("ts_utc"), end.alias("ts_end_utc"),
        pl.when(pl.col("start").is_not_null()).then(iso_basis(pl.col("start"))).otherwise(pl.lit("utc")).alias("ts_basis"),
        pl.coalesce("start", "start_ms").alias("ts_raw"),
        (pl.col("lat_e7") / 1e7).alias("lat"), (pl.col("lon_e7") / 1e7).alias("lon"), "accuracy_m", "text",
    )
    return _result(events, bad, read, ctx)


def _result(events: pl.DataFrame, bad: list[tuple[str, str, str]], read: int, ctx: ParseContext) -> ParseResult:
    # Each event's ref is the JSON path of its own record (``.start``/``.end`` for the two ends
    # of an activity): distinct by construction, so the normaliser need not count them.
    return ParseResult(events=events, rejects=rejects(ctx.source_id, bad), records_read=read,
                       assumptions=[_ASSUMPTION],
                       refs_unique=True)


# --- the fast path -------------------------------------------------------------------------

_NUMBERS: Final = frozenset((int, float))
_NUMBERS_OR_NONE: Final = frozenset((int, float, type(None)))
_NO_COORDS: Final = "no coordinates (latitudeE7/longitudeE7)"
_ENDS: Final = (("start", "startLocation", "startTimestamp", "startTimestampMs"),
                ("end", "endLocation", "endTimestamp", "endTimestampMs"))


_SCHEMA: Final = {"source_ref": pl.String, "lat_e7": pl.Float64, "lon_e7": pl.Float64, "accuracy_m": pl.Float64,
                  "start": pl.String, "start_ms": pl.String, "end": pl.String, "end_ms": pl.String, "text": pl.String}


def _objects(path: Path) -> list[Any]:
    """The file's ``timelineObjects`` list, or the plain rule's error."""
    doc = load_json(path, "Google Semantic Location History file")
    objects = doc.get("timelineObjects") if isinstance(doc, dict) else None
    if not isinstance(objects, list):
        raise FormatError(f"{path}: no 'timelineObjects' list: not a Semantic Location History file")
    return objects


class _Plain(Exception):
    """The month holds a number no float holds (:func:`parsers._exports.storable_number`): the plain rule reads it."""


def _finite_floats(columns: list[tuple[Any, ...]]) -> bool:
    """Whether every float among the coordinates and accuracies is finite (an integer beyond a float
    fails where it is made a float, instead). Only looked at where there is a float: Google writes
    whole numbers."""
    for column in columns:
        if float in set(map(type, column)) and not all(math.isfinite(v) for v in column if type(v) is float):
            return False
    return True


def _records_fast(objects: list[Any]) -> tuple[pl.DataFrame, list[tuple[str, str, str]], int, list[tuple[str, str, str]]]:
    """:func:`_records` (with :func:`_visit`, :func:`_activity` and :class:`_Out`), walking the
    same records in the same order with fewer Python steps: one tuple a record, the commonest
    steps written out in the loop (a visit's text, an activity's two ends, each number's
    test), records read counted at the end. Only the records that have coordinates are in
    the frame; the others are set aside, as the rejects the plain rule finds after (returned
    last, in the same order). The coordinates and accuracies are taken as the file gives them
    and made floats by Polars, column by column, where every one is a number (a float of
    each, as :func:`_num` makes it); otherwise by :func:`_num`, record by record
    (:func:`_numbers`)."""
    rows: list[tuple[Any, ...]] = []
    bad: list[tuple[str, str, str]] = []
    no_coords: list[tuple[str, str, str]] = []
    put = rows.append

    def add(ref: str, lat: Any, lon: Any, acc: Any, start: Any, start_ms: Any, end: Any, end_ms: Any, text: str) -> None:
        put((ref, lat, lon, acc,
             start if start is None or type(start) is str else _as_text(start),
             None if start_ms is None else str(start_ms),
             end if end is None or type(end) is str else _as_text(end),
             None if end_ms is None else str(end_ms),
             text))

    def points(base: str, path: Any, what: str) -> None:
        points = path.get("points") if isinstance(path, dict) else None
        if not points:
            return
        text = f"raw path point of {what}"
        for k, p in enumerate(points):
            if isinstance(p, dict):
                add(f"{base}.points[{k}]", p.get("latE7"), p.get("lngE7"), p.get("accuracyMeters"), p.get("timestamp"),
                    p.get("timestampMs"), None, None, text)
            else:
                bad.append((f"{base}.points[{k}]", "not a path point", excerpt(p)))

    def visit(ref: str, place: dict[str, Any]) -> None:
        loc = place.get("location")
        if type(loc) is not dict:
            loc = {}
        dur = place.get("duration")
        if type(dur) is not dict:
            dur = {}
        get = loc.get
        # _place_text, written out: the same text
        name, address = get("name"), get("address")
        if name:
            where = name if type(name) is str else str(name)
            if address:
                where = f"{where}, {address if type(address) is str else str(address)}"
        else:
            where = (address if type(address) is str else str(address)) if address else ""
        parts = []
        v = get("placeId")
        if v is not None and v != "":
            parts.append(f"placeId {v}")
        v = get("semanticType")
        if v is not None and v != "":
            parts.append(f"semanticType {v}")
        v = place.get("placeConfidence")
        if v is not None and v != "":
            parts.append(f"placeConfidence {v}")
        v = place.get("visitConfidence")
        if v is not None and v != "":
            parts.append(f"visitConfidence {v}")
        detail = "; ".join(parts)
        text = "visit" + (f": {where}" if where else "") + (f" ({detail})" if detail else "")
        start, start_ms, end, end_ms = (dur.get("startTimestamp"), dur.get("startTimestampMs"),
                                        dur.get("endTimestamp"), dur.get("endTimestampMs"))
        put((ref, get("latitudeE7", place.get("centerLatE7")), get("longitudeE7", place.get("centerLngE7")),
             get("accuracyMetres"),
             start if start is None or type(start) is str else _as_text(start),
             None if start_ms is None else str(start_ms),
             end if end is None or type(end) is str else _as_text(end),
             None if end_ms is None else str(end_ms),
             text))
        children = place.get("childVisits")
        if children:
            for j, child in enumerate(children):
                if isinstance(child, dict):
                    visit(f"{ref}.childVisits[{j}]", child)
                else:
                    bad.append((f"{ref}.childVisits[{j}]", "not a place visit", excerpt(child)))
        raw_path = place.get("simplifiedRawPath")
        if raw_path is not None:
            points(f"{ref}.simplifiedRawPath", raw_path, "a visit")

    def activity(ref: str, seg: dict[str, Any]) -> None:
        dur = seg.get("duration")
        if type(dur) is not dict:
            dur = {}
        kind = seg.get("activityType") or "UNKNOWN_ACTIVITY_TYPE"
        distance = seg.get("distance")
        distance = "" if distance is None else f", distance {distance} m"
        for which, key, stamp, stamp_ms in _ENDS:
            loc = seg.get(key)
            if type(loc) is not dict:
                continue
            start, start_ms = dur.get(stamp), dur.get(stamp_ms)
            put((f"{ref}.{which}", loc.get("latitudeE7"), loc.get("longitudeE7"), loc.get("accuracyMetres"),
                 start if start is None or type(start) is str else _as_text(start),
                 None if start_ms is None else str(start_ms), None, None, f"activity {kind} {which}{distance}"))
        raw_path = seg.get("simplifiedRawPath")
        if raw_path is not None:
            points(f"{ref}.simplifiedRawPath", raw_path, f"activity {kind}")

    for i, obj in enumerate(objects):
        if type(obj) is dict:
            place = obj.get("placeVisit")
            if type(place) is dict:
                visit(f"timelineObjects[{i}].placeVisit", place)
                continue
            seg = obj.get("activitySegment")
            if type(seg) is dict:
                activity(f"timelineObjects[{i}].activitySegment", seg)
                continue
        bad.append((f"timelineObjects[{i}]", "neither placeVisit nor activitySegment", excerpt(obj)))
    read = len(rows) + len(bad)
    columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [() for _ in _SCHEMA]
    if not _finite_floats(columns[1:4]):
        raise _Plain  # (the plain rule sets the record aside where the walk met it)
    frame = None
    if set(map(type, columns[1])) | set(map(type, columns[2])) <= _NUMBERS \
            and set(map(type, columns[3])) <= _NUMBERS_OR_NONE:  # (no record set aside: every one has both)
        try:
            frame = pl.DataFrame(dict(zip(_SCHEMA, columns, strict=True)), schema=_SCHEMA, strict=True)
        except Exception:  # (a number beyond a float's range: _num says how it fails)
            frame = None
    if frame is None:
        rows = _numbers(rows, no_coords)
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in _SCHEMA]
        frame = pl.DataFrame(dict(zip(_SCHEMA, columns, strict=True)), schema=_SCHEMA)
    return frame, bad, read, no_coords


def _numbers(rows: list[tuple[Any, ...]], no_coords: list[tuple[str, str, str]]) -> list[tuple[Any, ...]]:
    """The records with both coordinates, their coordinates and accuracy made floats by :func:`_num`
    (latitude, longitude, accuracy, record by record: the same first failure as the plain rule's);
    each other record set aside in ``no_coords``, in order."""
    kept = []
    for row in rows:
        try:
            lat, lon, acc = _num(row[1]), _num(row[2]), _num(row[3])
        except OverflowError as exc:  # (an integer beyond a float: the plain rule sets its record aside)
            raise _Plain from exc
        if lat is None or lon is None:
            no_coords.append((row[0], _NO_COORDS, row[8] or ""))
        else:
            kept.append((row[0], lat, lon, acc, *row[4:]))
    return kept


_OWN_MS: Final = "%Y-%m-%dT%H:%M:%S.%3fZ"
"""The export's own presentation with its usual three decimals, as a fixed-width format: Polars reads it
by its quick fixed-width reader (a quarter of the time of ``%.f``, which it reads by chrono)."""


def _own_fast(text: pl.Expr) -> pl.Expr:
    """The instant of the export's own presentation (``2026-07-04T19:58:00.000Z``, or with no decimals,
    ``2021-08-01T00:22:28Z``, written with ``.000`` first), read by :data:`_OWN_MS`; null for anything
    else. Where it reads a text, the instant is the one ``ISO_INSTANT_FORMATS[0]`` reads (shown on
    200,000 mutated times a run in tests/test_semantic_fast.py); where it does not, the caller reads it
    the plain way."""
    whole = pl.when((text.str.len_bytes() == 20) & text.str.ends_with("Z")).then(
        text.str.slice(0, 19) + pl.lit(".000Z")).otherwise(text)
    return whole.str.to_datetime(_OWN_MS, strict=False, time_unit="us", time_zone=UTC).cast(TS_TYPE)


def _events_fast(frame: pl.DataFrame, bad: list[tuple[str, str, str]], read: int, no_coords: list[tuple[str, str, str]],
                 ctx: ParseContext) -> ParseResult:
    """:func:`_events` in one query where it can be: no epoch milliseconds in the file and every
    time read by the export's own presentation (the first of :data:`ISO_INSTANT_FORMATS`, which
    :func:`iso_instant` tries first, so it gives the same instant): then a time is missing only
    where its text is, which the null counts show. The times are read first by the quick
    fixed-width reader (:func:`_own_fast`), then, if it leaves one unread, by that format
    itself. Otherwise :func:`_events` (``fast=True``)."""
    n = frame.height
    if frame.get_column("start_ms").null_count() == n and frame.get_column("end_ms").null_count() == n:
        def own(column: str) -> pl.Expr:
            return pl.col(column).str.strip_chars().str.to_datetime(
                ISO_INSTANT_FORMATS[0], strict=False, time_unit="us", time_zone=UTC).cast(TS_TYPE)

        for read_time in (lambda column: _own_fast(pl.col(column)), own):
            events = frame.select(
                "source_ref", pl.lit("location").alias("kind"), pl.lit("google-location").alias("channel"),
                read_time("start").alias("ts_utc"), read_time("end").alias("ts_end_utc"),
                pl.when(pl.col("start").is_not_null()).then(iso_basis(pl.col("start"))).otherwise(pl.lit("utc"))
                .alias("ts_basis"),
                pl.coalesce("start", "start_ms").alias("ts_raw"),
                (pl.col("lat_e7") / 1e7).alias("lat"), (pl.col("lon_e7") / 1e7).alias("lon"), "accuracy_m", "text",
            )
            if (events.get_column("ts_utc").null_count() == frame.get_column("start").null_count()
                    and events.get_column("ts_end_utc").null_count() == frame.get_column("end").null_count()):
                return _result(events, bad + no_coords, read, ctx)
    return _events(frame, bad + no_coords, read, ctx, fast=True)


# --- the quick route: a month in the shape Google writes ----------------------------------

class _Odd(Exception):
    """The month is not in the shape :func:`_quick_rows` reads: the general walk reads it."""


_QUICK_SCHEMA: Final = {"i": pl.Int64, "ref": pl.String, "lat_e7": pl.Float64, "lon_e7": pl.Float64, "accuracy_m": pl.Float64,
                        "start": pl.String, "end": pl.String, "text": pl.String}
_QUICK_NUMBERS: Final = frozenset((int, float, type(None)))
_TEXT_OR_NONE: Final = frozenset((str, type(None)))


def _activity_texts(kind: Any, distance: Any) -> tuple[str, str]:
    """An activity's two texts, as :func:`_activity` writes them (``distance`` as the file gives it)."""
    far = "" if distance is None else f", distance {distance} m"
    return f"activity {kind} start{far}", f"activity {kind} end{far}"


def _quick_rows(objects: list[Any]) -> list[tuple[Any, ...]]:
    """Every record of a month in the shape Google writes, as :func:`_records_fast` would keep it, in
    the same order: (the object's index, the rest of ``source_ref`` after ``timelineObjects[i]``,
    latitude, longitude, accuracy, start, end, text); :data:`_QUICK_REF` joins the two into the ref
    (``timelineObjects[4].placeVisit``: made by one Polars expression, not by a Python format a record).
    :class:`_Odd` (or the error a subscript raises) for anything else: an object that is not one
    place visit or one activity segment, a duration with other keys than ``startTimestamp`` and
    ``endTimestamp`` (both there), a location without ``latitudeE7``/``longitudeE7`` (a visit's
    ``location`` there: no fall back on its centre), activity ends not both there, a raw path
    without ``points`` or with a point without its two coordinates or with ``timestampMs``,
    child visits or points not a list. What it does not look at, its caller does (:func:`_quick`):
    the types of the coordinates, accuracies and times.

    The texts are :func:`_place_text`'s and :func:`_activity`'s, made once per distinct key (the
    values they are made from: a month visits the same places again and again) and looked up after.
    Equal keys give equal texts only where the values are of one type (``80 == 80.0 == True``,
    ``0.0 == -0.0``): a key is kept only if its values are texts or null and its number
    (``visitConfidence``, ``distance``) a whole number or null, and looked up only with such a
    number (a text equals only a text).

    A top-level visit's own record is :func:`_quick_visit`'s, written out in the loop (a call a visit
    costs a tenth of the walk of a thin month); its child visits and raw path are that function's."""
    rows: list[tuple[Any, ...]] = []
    put = rows.append
    places: dict[tuple[Any, ...], str] = {}
    activities: dict[tuple[Any, Any], tuple[str, str]] = {}
    for i, obj in enumerate(objects):
        place = obj.get("placeVisit")
        if place is not None:
            # (as _quick_visit(i, _VISIT, place, put, places))
            loc, dur = place["location"], place["duration"]
            start, end = dur["startTimestamp"], dur["endTimestamp"]
            if len(dur) != 2:
                raise _Odd
            get = loc.get
            number = place.get("visitConfidence")
            whole = number is None or type(number) is int
            key = (get("name"), get("address"), get("placeId"), get("semanticType"), place.get("placeConfidence"), number)
            text = places.get(key) if whole else None
            if text is None:
                text = _place_text(place, loc)
                if whole and set(map(type, key[:5])) <= _TEXT_OR_NONE:
                    places[key] = text
            put((i, _VISIT, loc["latitudeE7"], loc["longitudeE7"], get("accuracyMetres"), start, end, text))
            children, raw = place.get("childVisits"), place.get("simplifiedRawPath")
            if children or raw is not None:
                _quick_visit_parts(i, _VISIT, children, raw, put, places)
            continue
        seg = obj["activitySegment"]
        dur = seg["duration"]
        start, end = dur["startTimestamp"], dur["endTimestamp"]
        if len(dur) != 2:
            raise _Odd
        s, e = seg["startLocation"], seg["endLocation"]
        kind = seg.get("activityType") or "UNKNOWN_ACTIVITY_TYPE"
        distance = seg.get("distance")
        if distance is None or type(distance) is int:
            key2 = (kind, distance)
            texts = activities.get(key2)
            if texts is None:
                texts = _activity_texts(kind, distance)
                if type(kind) is str:
                    activities[key2] = texts
        else:
            texts = _activity_texts(kind, distance)
        put((i, _START, s["latitudeE7"], s["longitudeE7"], s.get("accuracyMetres"), start, None, texts[0]))
        put((i, _END, e["latitudeE7"], e["longitudeE7"], e.get("accuracyMetres"), end, None, texts[1]))
        raw = seg.get("simplifiedRawPath")
        if raw is not None:
            _quick_points(i, ".activitySegment.simplifiedRawPath.points[", raw, f"raw path point of activity {kind}", put)
    return rows


_VISIT: Final = ".placeVisit"
_START: Final = ".activitySegment.start"
_END: Final = ".activitySegment.end"


# (Module functions, not closures: a closure that calls itself is a reference cycle, which kept every
# record's tuple alive until the cyclic collector's next pass, and made that pass walk them.)

def _quick_visit(i: int, ref: str, place: dict[str, Any], put: Callable[[tuple[Any, ...]], None],
                 places: dict[tuple[Any, ...], str]) -> None:
    """A place visit's record, its child visits' and its raw path's, for :func:`_quick_rows` (``ref``:
    the visit's ref after ``timelineObjects[i]``)."""
    loc, dur = place["location"], place["duration"]
    start, end = dur["startTimestamp"], dur["endTimestamp"]
    if len(dur) != 2:
        raise _Odd
    get = loc.get
    number = place.get("visitConfidence")
    whole = number is None or type(number) is int
    key = (get("name"), get("address"), get("placeId"), get("semanticType"), place.get("placeConfidence"), number)
    text = places.get(key) if whole else None
    if text is None:
        text = _place_text(place, loc)
        if whole and set(map(type, key[:5])) <= _TEXT_OR_NONE:
            places[key] = text
    put((i, ref, loc["latitudeE7"], loc["longitudeE7"], get("accuracyMetres"), start, end, text))
    children, raw = place.get("childVisits"), place.get("simplifiedRawPath")
    if children or raw is not None:
        _quick_visit_parts(i, ref, children, raw, put, places)


def _quick_visit_parts(i: int, ref: str, children: Any, raw: Any, put: Callable[[tuple[Any, ...]], None],
                       places: dict[tuple[Any, ...], str]) -> None:
    """A visit's child visits (where ``children`` is not empty) and raw path (where ``raw`` is not null)."""
    if children:
        if type(children) is not list:
            raise _Odd
        for j, child in enumerate(children):
            _quick_visit(i, f"{ref}.childVisits[{j}]", child, put, places)
    if raw is not None:
        _quick_points(i, f"{ref}.simplifiedRawPath.points[", raw, "raw path point of a visit", put)


def _quick_points(i: int, base: str, raw: dict[str, Any], text: str, put: Callable[[tuple[Any, ...]], None]) -> None:
    """A raw path's points, for :func:`_quick_rows`."""
    points = raw["points"]
    if points:
        if type(points) is not list:
            raise _Odd
        for k, p in enumerate(points):
            if "timestampMs" in p:
                raise _Odd
            put((i, f"{base}{k}]", p["latE7"], p["lngE7"], p.get("accuracyMeters"), p.get("timestamp"), None, text))


_QUICK_REF: Final = pl.format("timelineObjects[{}]{}", pl.col("i"), pl.col("ref")).alias("source_ref")
"""``source_ref`` from :func:`_quick_rows`' index and rest of the ref (the text ``f"timelineObjects[{i}]{ref}"`` makes)."""


_QUICK_READS: Final = tuple(pl.col(c).str.to_datetime(_OWN_MS, strict=False, time_unit="us", time_zone=UTC, cache=False)
                             .cast(TS_TYPE).alias(to) for c, to in (("start", "ts_utc"), ("end", "ts_end_utc")))
"""Each time by :data:`_OWN_MS`. (``cache=False``: no table of the distinct texts first; a month's times are
nearly all distinct, and the table only saves reading one twice: the same instants, 15 of 95 µs cheaper on
the bench's thin month.)"""
_OWN_S: Final = "%Y-%m-%dT%H:%M:%SZ"
"""The export's own presentation without decimals (``2021-08-01T00:22:28Z``, most times of a real month), as
a fixed-width format of its own."""
_QUICK_READS_EITHER: Final = tuple(
    pl.coalesce(pl.col(c).str.to_datetime(_OWN_S, strict=False, time_unit="us", time_zone=UTC, cache=False),
                pl.col(c).str.to_datetime(_OWN_MS, strict=False, time_unit="us", time_zone=UTC, cache=False))
    .cast(TS_TYPE).alias(to)
    for c, to in (("start", "ts_utc"), ("end", "ts_end_utc")))
"""Each time by :data:`_OWN_S`, else by :data:`_OWN_MS`: cheaper than :func:`_own_fast`'s rewriting (where
either reads a time, it reads the instant ``ISO_INSTANT_FORMATS[0]`` reads: tests/test_semantic_fast.py)."""
_QUICK_EVENTS: Final = (_QUICK_REF, pl.lit("location").alias("kind"), pl.lit("google-location").alias("channel"))
_QUICK_REST: Final = (pl.lit("utc").alias("ts_basis"), pl.col("start").alias("ts_raw"), (pl.col("lat_e7") / 1e7).alias("lat"),
                      (pl.col("lon_e7") / 1e7).alias("lon"), pl.col("accuracy_m").cast(pl.Float64), pl.col("text"))
"""The other columns. Coordinates and accuracies read as whole numbers (:data:`_QUICK_SCHEMA_WHOLE`) are
made floats here, each the float :func:`_num` makes of it (a 64-bit integer to the nearest float, ties to
even, as Python's ``float``; then divided as there)."""
_QUICK_SCHEMA_WHOLE: Final = {**_QUICK_SCHEMA, "lat_e7": pl.Int64, "lon_e7": pl.Int64, "accuracy_m": pl.Int64}
_WHOLE: Final = frozenset((int, type(None)))
_NO_REJECTS: Final = rejects("", [])
"""No rejects (cloned for each result: making the empty frame costs 20 µs, a clone a tenth of one)."""
_ASSUMPTION: Final = "Semantic Location History: visits and activities are Google's inferences"


def _frame(columns: list[tuple[Any, ...]], schema: dict[str, Any]) -> pl.DataFrame:
    """``pl.DataFrame(dict(zip(schema, columns)), schema=schema, strict=True)``, made from its Series:
    each the Series that constructor makes (``pl.Series(name, column, dtype, strict=True)``, the same
    error where a value is not of its dtype), without its handling of a dict of every kind of value
    (15-20 µs of a thin month's 150). tests/test_semantic_fast.py holds them equal."""
    return pl.DataFrame([pl.Series(name, column, dtype=dtype, strict=True)
                         for (name, dtype), column in zip(schema.items(), columns, strict=True)])


def _quick(objects: list[Any], ctx: ParseContext) -> ParseResult | None:
    """:func:`_records_fast` and :func:`_events_fast` in fewer steps for a month in the shape Google
    writes (:func:`_quick_rows`) whose coordinates are all numbers, accuracies numbers or null,
    times texts or null, and every time read by the export's own presentation; ``None`` for any
    other month (the general walk reads it).

    Every record has its coordinates, so there is no reject; with no epoch milliseconds, ``ts_raw``
    is the start text; every time read by :data:`_OWN_MS` ends in ``Z``, so its basis is ``utc``
    (as is that of a record with no start)."""
    try:
        rows = _quick_rows(objects)
    except Exception:  # (an odd shape: the general walk reads it, or words its error)
        return None
    if not rows:
        return None
    columns = list(zip(*rows, strict=True))
    kinds = set(map(type, columns[2])) | set(map(type, columns[3])), set(map(type, columns[4]))
    if not kinds[0] | kinds[1] <= _QUICK_NUMBERS:
        return None  # (a text or a truth value: the plain rule takes it for no number)
    if float in kinds[0] | kinds[1] and not _finite_floats(columns[2:5]):
        return None  # (a number no float holds: a reject; an integer beyond one fails the frame below)
    if type(None) in kinds[0]:
        return None  # (a record without coordinates: a reject)
    frame = None
    if kinds[0] | kinds[1] <= _WHOLE:  # (whole numbers, as Google writes them: read as such, a third cheaper)
        with suppress(Exception):  # (one beyond 64 bits: as floats)
            frame = _frame(columns, _QUICK_SCHEMA_WHOLE)
    if frame is None:
        try:
            frame = _frame(columns, _QUICK_SCHEMA)
        except Exception:  # (a time that is not a text, a number beyond a float's range)
            return None
    # The times by the fixed-width reader: with three decimals (``2026-07-04T19:58:00.000Z``) where the
    # first time is as long as that, else with or without them (``2021-08-01T00:22:28Z``); the other way
    # if the first way leaves one unread.
    first = next((t for t in columns[5] if t is not None), None)
    readers = (_QUICK_READS, _QUICK_READS_EITHER) if first is not None and len(first) == 24 else (_QUICK_READS_EITHER,)
    starts, ends = frame.get_column("start").null_count(), frame.get_column("end").null_count()
    for read_start, read_end in readers:
        # (Polars' in-memory engine without plan optimisations: a third cheaper than an eager select
        # on a month, the same expressions giving the same values; ``select_seq``: the expressions
        # one after another on this thread. A parallel select hands them to Polars' worker threads,
        # which for a month's few thousand rows costs more than the work: 0.1 ms of those threads'
        # CPU a parse when idle, 0.26-0.37 ms of the thin month's ~3.2 ms at load 13, the main
        # thread waiting for workers the busy machine has not scheduled yet.)
        events = frame.lazy().select_seq(*_QUICK_EVENTS, read_start, read_end, *_QUICK_REST).collect(
            engine="in-memory", optimizations=pl.QueryOptFlags.none())
        if events.get_column("ts_utc").null_count() == starts and events.get_column("ts_end_utc").null_count() == ends:
            return ParseResult(events=events, rejects=_NO_REJECTS.clone(), records_read=len(rows),
                               assumptions=[_ASSUMPTION], refs_unique=True)  # (as _result makes it)
    return None
