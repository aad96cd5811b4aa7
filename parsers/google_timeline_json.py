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

import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import polars as pl

from atlas.errors import FormatError
from atlas.model import TS_TYPE, UTC, Channel, EvidenceCategory
from parsers._bounds import bounded_json_values
from parsers._exports import (
    BEYOND_FLOAT,
    ISO_INSTANT_FORMATS,
    arrow_floats,
    excerpt,
    has_array,
    head_keys,
    iso_basis,
    iso_instant,
    json_bytes,
    load_json,
    not_python_numbers,
    number_excerpt,
    rejects,
    rejects_lone_surrogates,
    storable_number,
    without_cycle_collection,
)
from parsers._json_cut import cuts_long_json_values
from parsers._nesting import bracket_depths
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe

INFO: Final = ParserInfo(
    name="google-timeline-json",
    version="1.2.0",
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
        if not storable_number(accuracy):  # (this record, not the file: ``float`` of it raised, or gave inf)
            self.bad.append((ref, BEYOND_FLOAT.format(what="accuracy"), number_excerpt(accuracy)))
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
    except (ValueError, TypeError, OverflowError):  # an offset that is not a number of minutes: no time
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
        if not storable_number(dist):  # (its two records, not the file: the distance written ``.0f`` raised, or read "inf")
            for which in ("start", "end"):
                out.read += 1
                out.bad.append((f"{ref}.activity.{which}", BEYOND_FLOAT.format(what="distance"), number_excerpt(dist)))
        else:
            distance = f", distance {dist:.0f} m" if isinstance(dist, int | float) else ""
            out.add(f"{ref}.activity.start", _latlng(activity.get("start")), start, None, f"activity {kind} start{distance}")
            out.add(f"{ref}.activity.end", _latlng(activity.get("end")), end, None, f"activity {kind} end{distance}")
    path = seg.get("timelinePath")
    if path is not None and not isinstance(path, list):  # a text's characters are not path points
        out.read += 1
        out.bad.append((f"{ref}.timelinePath", f"'timelinePath' is {type(path).__name__}, not a list", excerpt(path)))
        path = None
    for j, point in enumerate(path or []):
        if isinstance(point, dict):
            out.add(f"{ref}.timelinePath[{j}]", _latlng(point.get("point")), _point_time(point, start), None, "path point")
        else:
            out.read += 1
            out.bad.append((f"{ref}.timelinePath[{j}]", "not a path point", excerpt(point)))


# --- the fast path -----------------------------------------------------------------------
# The same records read by a native JSON reader instead of a Python walk of each one. First
# Arrow's (RapidJSON, :func:`_arrow_doc`), then Polars' (:func:`_declared`, then its inferred
# layout), each taken only where it provably reads what ``json.loads`` reads; any other shape (the
# iOS list, iOS path offsets), any error, and any input that would give a reject go by the plain
# rule, so rejects keep its reasons and places. tests/test_timeline_fast.py holds both equal.
#
# Both readers need a UTF-8 object with no backslash at all (so no escapes, no lone surrogates, and
# every string is plain text between two quotes), no whole-number float probability (Python writes
# an integer without ``.0``) and no float ``-0`` where a distance or accuracy is read (Python reads the
# integer ``-0`` as ``0``). Arrow's reader refuses by itself a repeated key, a value whose type differs
# from the field's other values or from the type the frame reads (text, number, object, array), and
# text after the document; :func:`_arrow_doc` adds the checks of what it does not do (the text's UTF-8
# as a whole), and :func:`_python_reads`, before either reader, what RapidJSON reads and Python does
# not (``-NaN``, ``Inf``; nesting past Python's limit). Polars' reader instead needs the text's colons
# counted against the frame's keys and texts (:func:`_check_keys`: no repeated key, since Python keeps
# the last and Polars the first; no null; none dropped) and no number or boolean where a text is read.
#
# Measured (session 9, the bench's 400,000 points, 99 MB, CPU, loaded machine, load 7-9), against the
# paused ``json.loads`` 0.50 s: Arrow's read 0.27-0.30 s with the UTF-8 check, the float and depth
# checks and the frame made Polars' (Polars' read with the layout given was 0.58-0.64 and its key count
# 0.13-0.15); the records' columns 0.13 (path points by one explode of the paths' column, visits'
# text by one join); the events 0.115; the normaliser 0.03. Parse + normalise 0.62-0.67 CPU-s,
# 1.23-1.26x the paused read (2.10-2.17x before).
# Session 8: a real export's other keys (activities, Wi-Fi scans, activity records, a profile) were
# added to :data:`ANDROID_SCHEMA` so Polars' route reads it once.
# Session 11: Arrow's route inferred every layout, and a hostile file nested 15,000 deep anywhere
# crashed the process (Arrow's inference recursed per level); now it is given only the fields read
# (:func:`_arrow_schema`, every other key skipped at any depth) and the text's nesting is counted by
# one pass (:func:`_python_reads`): 0.06 CPU-s of the bench's file, the read 0.02 more; parse +
# normalise about 1.2x the paused read under load 4-9 (0.9-1.0x before), tests/test_timeline_deep.py.

_NUMBER_OR_BOOL: Final = r"^(?:true|false|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)$"
"""What Polars writes for a number or a boolean it read into a text column."""
_USED_TEXT: Final = frozenset({"point", "time", "startTime", "endTime", "timestamp", "semanticType", "placeId", "source",
                               "latLng", "LatLng", "placeLocation", "type", "start", "end"})


class _NotFast(Exception):
    """The input is not one the fast path reads exactly: the plain rule reads it."""


def _walk(series: pl.Series, name: str, tally: list[int]) -> None:
    """Tally the keys under ``series`` (a column of the frame) and the colons in its texts."""
    dtype = series.dtype
    if not series.len():
        return
    if isinstance(dtype, pl.Struct):
        present = series.filter(series.is_not_null()) if series.null_count() else series
        for field in dtype.fields:
            sub = present.struct.field(field.name).drop_nulls()
            tally[0] += sub.len()
            _walk(sub, field.name, tally)
    elif isinstance(dtype, pl.List):
        inner = series.explode(empty_as_null=False, keep_nulls=False)  # the elements of the lists that are not null
        if inner.null_count():
            raise _NotFast("a null in an array")
        _walk(inner, name, tally)
    elif dtype == pl.String:
        tally[1] += int(series.str.count_matches(":", literal=True).sum() or 0)
        if name in _USED_TEXT and series.str.contains(_NUMBER_OR_BOOL).any():
            raise _NotFast(f"{name}: a number or boolean where text is read")
    elif dtype == pl.Float64:
        if name == "probability" and (series == series.floor()).any():
            raise _NotFast("a whole-number probability (Python writes an integer without '.0')")
    elif dtype not in (pl.Int64, pl.Boolean):
        raise _NotFast(f"{name}: {dtype}")


def _check_keys(data: bytes, frame: pl.DataFrame) -> None:
    """Every key of the text is a key of the frame with a value: no repeated key (Python keeps the
    last, Polars the first), no null value, none dropped. With no backslash in the text, its colons
    are exactly one per key and those inside its strings; the frame's non-null keys and the colons
    of its texts can only be fewer (a number or boolean read as text has none), and are fewer by at
    least one for each repeated, null or dropped key."""
    tally = [0, 0]
    _walk(frame.to_struct("doc"), "doc", tally)
    if data.count(b":") != tally[0] + tally[1]:
        raise _NotFast("keys differ")


def _nonempty(column: pl.Expr) -> pl.Expr:
    return pl.when(column != "").then(column)


def _coordinates(frame: pl.DataFrame, name: str) -> pl.Expr:
    """:func:`_latlng` of a column: a string, or an object's first non-empty ``latLng``/``LatLng``/``placeLocation``."""
    dtype = frame.schema[name]
    if dtype == pl.String:
        return pl.col(name)
    assert isinstance(dtype, pl.Struct)
    fields = {f.name: f.dtype for f in dtype.fields}
    keys = [k for k in ("latLng", "LatLng", "placeLocation") if k in fields]
    if any(fields[k] != pl.String for k in keys):
        raise _NotFast(f"{name}: coordinates not a string")
    if not keys:
        return pl.lit(None, pl.String)
    return pl.coalesce([_nonempty(pl.col(name).struct.field(k)) for k in keys])


def _field(frame: pl.DataFrame, name: str, *dtypes: Any) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit(None, pl.String)
    if frame.schema[name] not in dtypes and not any(isinstance(frame.schema[name], d) for d in dtypes
                                                      if isinstance(d, type)):
        raise _NotFast(f"{name}: {frame.schema[name]}")
    return pl.col(name)


def _python_str(frame: pl.DataFrame, column: str) -> pl.Expr:
    """``str()`` of each number, as Python writes it (Polars writes some floats otherwise)."""
    values = frame.get_column(column).drop_nulls().unique().to_list()
    return pl.col(column).replace_strict({v: str(v) for v in values}, default=None, return_dtype=pl.String)


_LATLNG_OBJECT: Final = pl.Struct({"latLng": pl.String})
ANDROID_SCHEMA: Final = pl.Schema({
    "semanticSegments": pl.List(pl.Struct({
        "startTime": pl.String, "endTime": pl.String, "startTimeTimezoneUtcOffsetMinutes": pl.Int64,
        "endTimeTimezoneUtcOffsetMinutes": pl.Int64,
        "visit": pl.Struct({"hierarchyLevel": pl.Int64, "probability": pl.Float64, "topCandidate": pl.Struct({
            "placeId": pl.String, "semanticType": pl.String, "probability": pl.Float64,
            "placeLocation": _LATLNG_OBJECT}), "isTimelessVisit": pl.Boolean}),
        "activity": pl.Struct({"start": _LATLNG_OBJECT, "end": _LATLNG_OBJECT, "distanceMeters": pl.Float64,
                               "probability": pl.Float64, "topCandidate": pl.Struct({"type": pl.String, "probability": pl.Float64})}),
        "timelinePath": pl.List(pl.Struct({"point": pl.String, "time": pl.String})),
        "timelineMemory": pl.Struct({"trip": pl.Struct({"distanceFromOriginKms": pl.Int64, "destinations": pl.List(pl.Struct({
            "identifier": pl.Struct({"placeId": pl.String})}))})})})),
    "rawSignals": pl.List(pl.Struct({
        "position": pl.Struct({"LatLng": pl.String, "accuracyMeters": pl.Float64, "altitudeMeters": pl.Float64,
                               "source": pl.String, "timestamp": pl.String, "speedMetersPerSecond": pl.Float64}),
        "wifiScan": pl.Struct({"deliveryTime": pl.String, "devicesRecords": pl.List(pl.Struct({"mac": pl.Int64, "rawRssi": pl.Int64}))}),
        "activityRecord": pl.Struct({"probableActivities": pl.List(pl.Struct({"type": pl.String, "confidence": pl.Float64})),
                                     "timestamp": pl.String})})),
    "userLocationProfile": pl.Struct({
        "frequentPlaces": pl.List(pl.Struct({"placeId": pl.String, "placeLocation": pl.String, "label": pl.String})),
        "frequentTrips": pl.List(pl.Struct({"waypointIds": pl.List(pl.String), "modeDistribution": pl.List(pl.Struct({
            "mode": pl.String, "rate": pl.Float64})), "startTimeMinutes": pl.Int64, "endTimeMinutes": pl.Int64,
            "durationMinutes": pl.Int64, "confidence": pl.Float64, "commuteDirection": pl.String})),
        "persona": pl.Struct({"travelModeAffinities": pl.List(pl.Struct({"mode": pl.String, "affinity": pl.Float64}))})}),
})
"""The on-device export's layout as Google writes it, given so the reader skips its inference pass:
what Polars infers from the generator's files, and what real Android exports hold beside it
(activities with their start, end, distance and top candidate; a trip's memory; Wi-Fi scans and
activity records among the raw signals; the profile's frequent trips and persona). A field a file
lacks is null (not counted); a key the layout lacks, or a value of another type, fails the key
check or the read, and then Polars infers the file's own layout (:func:`_fast_frame`)."""


def _declared(data: bytes) -> pl.DataFrame:
    """The document read with :data:`ANDROID_SCHEMA` given, and proved by :func:`_check_keys`."""
    doc = pl.read_json(io.BytesIO(data), schema=ANDROID_SCHEMA)
    _check_keys(data, doc)
    return doc


_MAX_DEPTH: Final = 64
"""The deepest nesting the fast path reads (``json.loads`` fails past Python's recursion limit, about
990 deep less the stack in use; Polars' reader past 1,024): deeper, the plain rule reads the file or
names the fault (:func:`_deepest`)."""
_KEPT: Final = b'"[]{}IN'
_NOT_KEPT: Final = bytes(b for b in range(256) if b not in _KEPT)
_N_AS_I: Final = bytes.maketrans(b"N", b"I")
_LETTERS_STRING: Final = re.compile(rb'"I*"')


def _outside_strings(data: bytes) -> bytes:
    """The bytes of ``data`` (JSON text with no backslash, so every quote opens or closes a string)
    outside its strings that are brackets or the capitals of ``NaN`` and ``Inf`` (each ``N`` made
    ``I``), in order. Only the quotes, brackets and those capitals are kept (one C pass); a string
    holding none of them is then ``""`` (cut), one holding only capitals ``"I…I"`` (cut: left to
    right, each cut starts at a string's opening quote, as long as no string before holds a bracket).
    A quote left means a string holds a bracket: then each byte's side of the quotes is counted
    instead, in the text before the second cut (after an even number of quotes: outside; the first
    cut took quotes two at a time and nothing between them, so it changed no byte's side)."""
    import numpy as np

    kept = data.translate(_N_AS_I, _NOT_KEPT).replace(b'""', b"")
    if b'"' not in kept:
        return kept
    cut = _LETTERS_STRING.sub(b"", kept)
    if b'"' not in cut:
        return cut
    marks = np.frombuffer(kept, dtype=np.uint8)  # (not ``cut``: a cut that did not start at a string took bytes outside)
    quote = marks == ord('"')
    return marks[~quote & (np.cumsum(quote, dtype=np.int64) % 2 == 0)].tobytes()


def _deepest(data: bytes) -> int:
    """The deepest nesting of lists and objects in ``data`` (JSON text with no backslash): +1 each
    ``[``/``{`` and -1 each ``]``/``}`` outside strings (:func:`_outside_strings`), the highest sum.
    Exact on any text; a text that is not JSON (unbalanced) only goes a slower way."""
    return _depth_of(_outside_strings(data))


def _depth_of(brackets: bytes) -> int:
    """The highest running sum of brackets outside the strings (:func:`parsers._nesting.bracket_depths`)."""
    return int(bracket_depths(brackets).max(initial=0))


def _python_reads(data: bytes) -> None:
    """Refuses (:class:`_NotFast`) a text that only the plain rule reads exactly (JSON text with no
    backslash): nested :data:`_MAX_DEPTH` deep or more (:func:`_deepest`), or a number RapidJSON reads
    and Python does not anywhere (``-NaN``, ``Inf``, ``-Inf``: :func:`not_python_numbers`, looked for
    only where an ``N`` or ``I`` is outside the strings: in ``NaN`` or ``Infinity``, or not JSON)."""
    outside = _outside_strings(data)
    if _depth_of(outside) >= _MAX_DEPTH:  # the plain rule reads it, or names the fault (past Python's limit)
        raise _NotFast("nested too deep")
    found = not_python_numbers(data) if b"I" in outside else None
    if found:
        raise _NotFast(found)


_POINTS: Final = {"/semanticSegments/[]/activity/start", "/semanticSegments/[]/activity/end",
                  "/semanticSegments/[]/visit/topCandidate/placeLocation", "/semanticSegments/[]/timelinePath/[]/point"}
"""The coordinate fields a file writes as a text (``"51.5°, -0.12°"``, ``"geo:51.5,-0.12"``) or as an
object (``{"latLng": …}``): each given as the one or the other (:func:`_arrow_schema`)."""
_OBJECT_POINTS: Final = frozenset(_POINTS - {"/semanticSegments/[]/timelinePath/[]/point"})
"""Which of them Android exports write as objects: the layout tried first."""
_FLIP: Final = re.compile(r"Column\((/[^)]*)\) changed from (?:object to string|string to object) in row")


def _arrow_schema(objects: frozenset[str]) -> Any:
    """The fields :func:`_segment` and the raw positions' walk read (and no other: Arrow's reader skips
    the rest, at any depth), their coordinate fields in ``objects`` as objects, the others as texts.
    Numbers read as floats: an integer is read exactly as ``float()`` reads it; a whole-number
    probability, where Python would write ``1``, is refused after the read."""
    import pyarrow as pa

    text, number = pa.string(), pa.float64()
    latlng = pa.struct([(k, text) for k in ("latLng", "LatLng", "placeLocation")])

    def point(where: str) -> Any:
        return latlng if "/semanticSegments/[]/" + where in objects else text

    segment = pa.struct([
        ("startTime", text), ("endTime", text),
        ("visit", pa.struct([("topCandidate", pa.struct([
            ("semanticType", text), ("placeId", text), ("probability", number),
            ("placeLocation", point("visit/topCandidate/placeLocation"))]))])),
        ("activity", pa.struct([("start", point("activity/start")), ("end", point("activity/end")),
                                ("distanceMeters", number), ("topCandidate", pa.struct([("type", text)]))])),
        ("timelinePath", pa.list_(pa.struct([("point", point("timelinePath/[]/point")), ("time", text),
                                             ("durationMinutesOffsetFromStartTime", text)]))),
    ])
    position = pa.struct([(k, text) for k in ("LatLng", "latLng", "placeLocation", "source", "timestamp")]
                         + [("accuracyMeters", number)])
    return pa.schema([("semanticSegments", pa.list_(segment)), ("rawSignals", pa.list_(pa.struct([("position", position)])))])


def _arrow_doc(data: bytes, *, checked: bool = False) -> pl.DataFrame:
    """The document read by Arrow's JSON reader (RapidJSON, about 0.55-0.6x ``json.loads``) with the
    fields read given (:func:`_arrow_schema`) and every other key skipped unread: a layout inferred
    instead recursed once per level of nesting anywhere in the file, and a hostile file nested
    15,000 deep crashed the process (a segmentation fault, session 10); the reader's skip of a key
    does not (tests/test_timeline_deep.py, 200,000 deep). A coordinate field written as the other
    kind (a text where an object is given, or the reverse) is given as that kind and the text read
    again, once per field: a file that writes both kinds in one field is refused.

    It reads exactly what ``json.loads`` reads, or refuses (then Polars' reader, then the plain rule):
    with no backslash in the text (checked by the caller) every string is its bytes; Arrow refuses a
    repeated key of a field read (Python keeps the last; one not read, neither reads), a value of
    another type than the one given (a number or object where text is, a string where a number is,
    any value where a list is), malformed JSON anywhere (RapidJSON parses what it skips too), and text
    after the document (a second document is a second row: refused). Checked here: the text is UTF-8
    as a whole (Arrow checks only what it keeps); by :func:`_python_reads` (the caller's, once for every
    reader, where ``checked``), what RapidJSON reads and Python does not anywhere (``-NaN``, ``Inf``,
    ``-Inf``) and nesting past Python's limit; a number read that is not finite (``NaN``, ``Infinity``).
    A null is read as the key missing: the plain rule reads both the same (``dict.get``) where it
    reads a field, and :func:`_fast_frame` refuses where it does not (a null segment or path point)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    text = pa.Array.from_buffers(pa.string(), 1, [None, pa.array([0, len(data)], pa.int32()).buffers()[1],
                                                  pa.py_buffer(data)]) if len(data) < 2**31 else None
    if text is None:
        raise _NotFast("too big for one Arrow string")
    text.validate(full=True)  # UTF-8 as a whole
    if not checked:
        _python_reads(data)
    objects = _OBJECT_POINTS
    flipped: set[str] = set()
    while True:
        try:
            table = pj.read_json(pa.BufferReader(data), read_options=pj.ReadOptions(use_threads=False, block_size=len(data) + 1),
                                 parse_options=pj.ParseOptions(newlines_in_values=True, explicit_schema=_arrow_schema(objects),
                                                               unexpected_field_behavior="ignore"))
            break
        except pa.ArrowInvalid as exc:
            flip = _FLIP.search(str(exc))
            where = flip.group(1) if flip else None
            if where not in _POINTS or where in flipped:
                raise _NotFast(str(exc)) from exc
            flipped.add(where)
            objects = objects ^ {where}
    if table.num_rows != 1:
        raise _NotFast("not one document")
    table = table.combine_chunks()
    for column in table.columns:
        for values in arrow_floats(column.chunk(0)):
            if pc.any(pc.invert(pc.is_finite(values))).as_py():
                raise _NotFast("a number that is not finite")
    doc = pl.from_arrow(table)
    assert isinstance(doc, pl.DataFrame)
    return doc


def _fast_frame(data: bytes) -> pl.DataFrame:
    if data.lstrip()[:1] != b"{" or b"\\" in data:
        raise _NotFast("not a plain object")
    _python_reads(data)
    try:  # Arrow's reader with the fields read given (:func:`_arrow_doc`)
        doc = _arrow_doc(data, checked=True)
    except Exception:
        # not UTF-8: Polars refuses it (it checks the whole text), and the plain rule names the fault
        try:  # the usual layout given (no inference pass); a key it lacks fails the key check
            doc = _declared(data)
        except Exception:  # any other layout: inferred by Polars, then checked the same way
            try:
                doc = pl.read_json(io.BytesIO(data), infer_schema_length=None)
            except Exception as exc:  # anything Polars does not read: the plain rule reads it or names the fault
                raise _NotFast("Polars does not read it") from exc
            _check_keys(data, doc)
    # no key with a null value (checked), so a null column is a key the object lacks
    present = {k for k in ("semanticSegments", "rawSignals") if k in doc.columns and doc.get_column(k)[0] is not None}
    if doc.height != 1 or not present:
        raise _NotFast("not an Android export")
    parts: list[pl.DataFrame] = []
    n_segments = 0
    if "semanticSegments" in present:
        segs = doc.get_column("semanticSegments")[0]
        n_segments = segs.len()
        if not isinstance(segs.dtype, pl.Struct) or segs.null_count():
            raise _NotFast("segments")  # (a null segment: the plain rule's reject)
        seg = segs.struct.unnest().with_row_index("i")
        start = _nonempty(_field(seg, "startTime", pl.String))
        end = _nonempty(_field(seg, "endTime", pl.String))
        if "activity" in seg.columns:
            parts += _activities(seg, start, end)
        if "visit" in seg.columns:
            _field(seg, "visit", pl.Struct)
            times = [k for k in ("startTime", "endTime") if k in seg.columns]
            visits = seg.select("i", *times, "visit").filter(pl.col("visit").is_not_null()).select(
                "i", start.alias("start"), end.alias("end"), pl.col("visit").struct.field("*"))
            top = visits.select("i", "start", "end", _field(visits, "topCandidate", pl.Struct).alias("top"))
            top = top.filter(pl.col("top").is_not_null()).unnest("top") if isinstance(top.schema["top"], pl.Struct) \
                else top.drop("top")
            if top.height != visits.height:
                raise _NotFast("a visit without a top candidate")
            detail = [(k, _field(top, k, pl.String)) for k in ("semanticType", "placeId")]
            if "probability" in top.columns:
                _field(top, "probability", pl.Int64, pl.Float64)
                values = top.get_column("probability")
                if values.dtype == pl.Float64 and (values == values.floor()).any():
                    raise _NotFast("a whole-number probability (Python writes an integer without '.0')")
                detail.append(("probability", _python_str(top, "probability")))
            if len(detail) == 3 and top.select(pl.all_horizontal(
                    [(v.is_not_null() & (v != "")) for _, v in detail]).all()).item():
                # every visit has all three (as Google writes them): one join, no test a part
                text = pl.concat_str([pl.lit("visit (semanticType "), detail[0][1], pl.lit("; placeId "), detail[1][1],
                                      pl.lit("; probability "), detail[2][1], pl.lit(")")])
            else:
                parts_ = [pl.when(_nonempty(v).is_not_null()).then(pl.lit(f"{k} ") + v) for k, v in detail]
                # the non-null parts joined by "; " ("" where none: then no brackets, as where all are null)
                joined = pl.concat_str(parts_, separator="; ", ignore_nulls=True)
                text = pl.lit("visit") + pl.when(joined != "").then(pl.lit(" (") + joined + pl.lit(")")).otherwise(pl.lit(""))
            place = (_coordinates(top, "placeLocation") if "placeLocation" in top.columns else pl.lit(None, pl.String))
            parts.append(top.select(
                "i", pl.lit(0, pl.Int64).alias("o"),
                pl.format("semanticSegments[{}].visit", "i").alias("source_ref"), place.alias("latlng"),
                pl.lit(None, pl.Float64).alias("accuracy_m"), "start", "end", text.alias("text")))
        if "timelinePath" in seg.columns and seg.schema["timelinePath"] == pl.List(pl.Null) \
                and not seg.get_column("timelinePath").list.len().sum():
            seg = seg.drop("timelinePath")  # only empty paths
        if "timelinePath" in seg.columns:
            dtype = seg.schema["timelinePath"]
            if not (isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct)):
                raise _NotFast("timelinePath")
            paths = seg.get_column("timelinePath")
            points = paths.explode(keep_nulls=False, empty_as_null=False)  # every point of every path, in order
            if points.null_count():
                raise _NotFast("a null path point")  # the plain rule's reject
            lengths = paths.list.len().fill_null(0).cast(pl.Int64)
            first = lengths.cum_sum() - lengths  # the row of each path's first point
            owner = pl.select(pl.int_range(paths.len(), dtype=pl.Int64).repeat_by(lengths).explode()).to_series()
            path = points.struct.unnest().with_columns(
                owner.alias("i"), (pl.int_range(pl.len(), dtype=pl.Int64) - first.gather(owner)).alias("j"))
            if "durationMinutesOffsetFromStartTime" in path.columns and \
                    path.get_column("durationMinutesOffsetFromStartTime").is_not_null().any():
                raise _NotFast("iOS path offsets")
            point = _coordinates(path, "point") if "point" in path.columns else pl.lit(None, pl.String)
            parts.append(path.select(
                "i", (pl.col("j") + 3).cast(pl.Int64).alias("o"),
                pl.format("semanticSegments[{}].timelinePath[{}]", "i", "j").alias("source_ref"), point.alias("latlng"),
                pl.lit(None, pl.Float64).alias("accuracy_m"),
                _nonempty(_field(path, "time", pl.String)).alias("start"), pl.lit(None, pl.String).alias("end"),
                pl.lit("path point").alias("text")))
    if "rawSignals" in present:
        signals = doc.get_column("rawSignals")[0]
        if not isinstance(signals.dtype, pl.Struct):
            raise _NotFast("raw signals")
        raw = signals.struct.unnest().with_row_index("k")
        if "position" in raw.columns:
            _field(raw, "position", pl.Struct)
            pos = raw.filter(pl.col("position").is_not_null()).select("k", pl.col("position").struct.field("*"))
            if "accuracyMeters" in pos.columns and pos.schema["accuracyMeters"] == pl.Float64:
                _no_negative_zero(pos.get_column("accuracyMeters"))
            source = _nonempty(_field(pos, "source", pl.String))
            parts.append(pos.select(
                (pl.col("k") + n_segments).alias("i"), pl.lit(0, pl.Int64).alias("o"),
                pl.format("rawSignals[{}].position", "k").alias("source_ref"), _coordinates_struct(pos).alias("latlng"),
                _field(pos, "accuracyMeters", pl.Int64, pl.Float64).cast(pl.Float64).alias("accuracy_m"),
                _nonempty(_field(pos, "timestamp", pl.String)).alias("start"), pl.lit(None, pl.String).alias("end"),
                (pl.lit("raw position") + pl.when(source.is_not_null()).then(pl.lit(", source ") + source)
                 .otherwise(pl.lit(""))).alias("text")))
    if not parts:
        return pl.DataFrame(schema=COLUMNS)
    # in the plain rule's order: by segment (then signal) and place in it, sorted as one key (i, o distinct
    # and both below 2**31: i counts records of the text, o its points in one segment)
    frame = pl.concat([p.select((pl.col("i").cast(pl.Int64) * (1 << 32) + pl.col("o")).alias("key"), *COLUMNS) for p in parts],
                      how="vertical_relaxed")
    return frame.sort("key", multithreaded=False).select([pl.col(k).cast(v) for k, v in COLUMNS.items()])


def _no_negative_zero(values: pl.Series) -> None:
    """A ``-0`` read as a float is ``-0.0``, but ``json.loads`` reads the integer ``-0`` as ``0``
    (``0.0``, ``0 m``): refused, whichever it was."""
    if values.dtype == pl.Float64 and ((values == 0) & ((1 / values) < 0)).any():
        raise _NotFast("a negative zero")


def _coordinates_struct(frame: pl.DataFrame) -> pl.Expr:
    """:func:`_latlng` of an unnested object: its first non-empty ``latLng``/``LatLng``/``placeLocation``."""
    keys = [k for k in ("latLng", "LatLng", "placeLocation") if k in frame.columns]
    if any(frame.schema[k] != pl.String for k in keys):
        raise _NotFast("coordinates not a string")
    return pl.coalesce([_nonempty(pl.col(k)) for k in keys]) if keys else pl.lit(None, pl.String)


def _activities(seg: pl.DataFrame, start: pl.Expr, end: pl.Expr) -> list[pl.DataFrame]:
    """An activity's start point at the segment's start and its end point at the segment's end
    (:func:`_segment`), with its type (``UNKNOWN`` if none) and distance in whole metres."""
    _field(seg, "activity", pl.Struct)
    times = [k for k in ("startTime", "endTime") if k in seg.columns]
    act = seg.select("i", *times, "activity").filter(pl.col("activity").is_not_null()).select(
        "i", start.alias("t0"), end.alias("t1"), pl.col("activity").struct.field("*").name.prefix("a_"))
    kind = pl.lit(None, pl.String)
    if "a_topCandidate" in act.columns:
        dtype = act.schema["a_topCandidate"]
        if not isinstance(dtype, pl.Struct):
            raise _NotFast("activity topCandidate")
        fields = {f.name: f.dtype for f in dtype.fields}
        if "type" in fields:
            if fields["type"] != pl.String:
                raise _NotFast("activity type")
            kind = pl.col("a_topCandidate").struct.field("type")
    kind = pl.coalesce(_nonempty(kind), pl.lit("UNKNOWN"))
    if "a_distanceMeters" in act.columns:
        _field(act, "a_distanceMeters", pl.Int64, pl.Float64)
        values = act.get_column("a_distanceMeters").drop_nulls().unique()
        if values.dtype == pl.Float64 and (values.abs() >= 2.0 ** 53).any():
            raise _NotFast("a distance beyond exact floats")  # an integer there: Python writes it exactly
        _no_negative_zero(values)
        distance = pl.coalesce(pl.lit(", distance ") + pl.col("a_distanceMeters").replace_strict(
            {v: f"{v:.0f}" for v in values.to_list()}, default=None, return_dtype=pl.String) + pl.lit(" m"), pl.lit(""))
    else:
        distance = pl.lit("")
    out = []
    for o, side, time in ((1, "start", "t0"), (2, "end", "t1")):
        column = f"a_{side}"
        point = _coordinates(act, column) if column in act.columns else pl.lit(None, pl.String)
        out.append(act.select(
            "i", pl.lit(o, pl.Int64).alias("o"), pl.format(f"semanticSegments[{{}}].activity.{side}", "i").alias("source_ref"),
            point.alias("latlng"), pl.lit(None, pl.Float64).alias("accuracy_m"), pl.col(time).alias("start"),
            pl.lit(None, pl.String).alias("end"),
            (pl.lit("activity ") + kind + pl.lit(f" {side}") + distance).alias("text")))
    return out


def _fast_records(path: Path) -> pl.DataFrame | None:
    """The records' columns by the fast path, or None where only the plain rule reads the file exactly."""
    try:
        return _fast_frame(json_bytes(path))
    except Exception:  # whatever the fast path cannot read, the plain rule reads or names
        return None


COLUMNS: Final = {
    "source_ref": pl.String, "latlng": pl.String, "accuracy_m": pl.Float64, "start": pl.String, "end": pl.String,
    "text": pl.String,
}


def _listed(doc: dict[str, Any], key: str, out: _Out) -> list[Any]:
    """``doc[key]`` when it is a list (missing or null: none). Anything else (``"rawSignals": true``,
    a text, an object) holds no record Atlas can read: it is one reject naming the key, never a
    crash, and never iterated as if it were a list (a text's characters, an object's keys)."""
    value = doc.get(key)
    if value is None or isinstance(value, list):
        return value or []
    out.read += 1
    out.bad.append((key, f"'{key}' is {type(value).__name__}, not a list", excerpt(value)))
    return []


def _records_plain(path: Path) -> tuple[pl.DataFrame, list[tuple[str, str, str]], int]:
    """The plain rule: every record walked in Python. Its columns, its rejects so far, records read."""
    doc = load_json(path, "Google Timeline export")
    out = _Out()
    signals: list[Any]
    if isinstance(doc, list):
        segments, base, signals = doc, "", []
    elif isinstance(doc, dict) and ("semanticSegments" in doc or "rawSignals" in doc):
        segments, base, signals = _listed(doc, "semanticSegments", out), "semanticSegments", _listed(doc, "rawSignals", out)
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
    return pl.DataFrame(out.cols, schema=COLUMNS), out.bad, out.read


def _degrees(latlng: pl.Expr) -> pl.Expr:
    """The two numbers of a coordinate string that :data:`LATLNG` matches (fields ``la``, ``lo``;
    null where it does not match): what ``extract_groups(LATLNG)`` captures, found by matching
    (no capture groups: three times faster) and then cutting at the comma and stripping the
    whitespace, ``geo:`` and degree signs the pattern allows around each number."""
    parts = latlng.str.replace("geo:", "", literal=True).str.split_exact(",", 1).struct.rename_fields(["la", "lo"])
    number = [parts.struct.field(k).str.strip_chars().str.strip_chars_end("°").str.strip_chars().alias(k)
              for k in ("la", "lo")]
    return pl.when(latlng.str.contains(LATLNG)).then(pl.struct(number))


_CANONICAL_LATLNG: Final = r"^-?\d+\.\d+°, -?\d+\.\d+°$"
"""The export's own coordinates (``51.5230123°, -0.1010456°``): :data:`LATLNG` matches each, and
:func:`_degrees` cuts the two numbers between the start, ``°, `` and the last ``°``."""
_EXPORT_INSTANT: Final = (r"^\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}"
                           r"(?:[+-](?:[01]\d|2[0-3]):[0-5]\d|Z)$")
"""The export's own times (``2026-03-02T19:05:00.000+01:00``, or ``…Z``), hours, minutes, seconds and
offset in range: Arrow's ISO 8601 cast reads each as the instant :func:`_instant` reads (the clock less
the offset; tests/test_timeline_fast.py compares them on 200,000 random times). A day that does not
exist (30 February) makes the cast fail, and then :func:`_instant` reads the column."""


def _degrees_fast(frame: pl.DataFrame) -> pl.DataFrame:
    """``lat`` and ``lon``: :func:`_degrees`' ``la`` and ``lo`` read as floats, cut without its pattern,
    replace and strips where every coordinate is in the export's own form (:data:`_CANONICAL_LATLNG`:
    the latitude before ``°, ``, the longitude after it less its last character, ``°``)."""
    latlng = pl.col("latlng")
    if frame.select((latlng.str.contains(_CANONICAL_LATLNG) | latlng.is_null()).all()).item():
        parts = latlng.str.split_exact("°, ", 1)
        return frame.with_columns(parts.struct.field("field_0").cast(pl.Float64).alias("lat"),
                                  parts.struct.field("field_1").str.head(-1).cast(pl.Float64).alias("lon"))
    return frame.with_columns(_degrees(latlng).alias("ll")).unnest("ll").with_columns(
        pl.col("la").cast(pl.Float64).alias("lat"), pl.col("lo").cast(pl.Float64).alias("lon"))


def _export_times(frame: pl.DataFrame, source: str) -> bool:
    """Every time in ``source`` is in the export's own form (:data:`_EXPORT_INSTANT`) or null."""
    values = pl.col(source)
    return bool(frame.height and frame.select((values.str.contains(_EXPORT_INSTANT) | values.is_null()).all()).item())


def _instant_fast(frame: pl.DataFrame, source: str, target: str, export_form: bool | None = None) -> pl.DataFrame:
    """:func:`_instant`, by Arrow's ISO 8601 cast (a third of the time) where every time is in the
    export's own form (:func:`_export_times`; ``export_form`` if the caller has looked)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if export_form if export_form is not None else _export_times(frame, source):
        try:
            instants = pc.cast(frame.get_column(source).to_arrow(), pa.timestamp("us", UTC))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a day that does not exist: Polars reads it
            return _instant(frame, source, target)
        column = pl.Series(target, instants).cast(TS_TYPE)
        return frame.with_columns(column)
    return _instant(frame, source, target)


def _instant(frame: pl.DataFrame, source: str, target: str) -> pl.DataFrame:
    """``target`` = :func:`iso_instant` of ``source``, trying first only the export's own presentation
    (``2026-03-02T19:05:00.000+00:00``) and all of them only if some time is left unread. The same
    values: every presentation that reads a text reads the same instant from it (the date, the clock
    and the offset are in the same places), so which one is tried first does not matter."""
    first = pl.col(source).str.strip_chars().str.to_datetime(ISO_INSTANT_FORMATS[1], strict=False, time_unit="us",
                                                             time_zone=UTC).cast(TS_TYPE)
    frame = frame.with_columns(first.alias(target))
    if frame.select((pl.col(target).is_null() & pl.col(source).is_not_null()).any()).item():
        frame = frame.with_columns(iso_instant(pl.col(source)).alias(target))
    return frame


def _events(frame: pl.DataFrame, bad: list[tuple[str, str, str]], *,
            fast: bool = False) -> tuple[pl.DataFrame, list[tuple[str, str, str]]]:
    """Coordinates read, unreadable ones made rejects, the event columns (``fast``: the coordinates
    and times in the export's own forms read by :func:`_degrees_fast` and :func:`_instant_fast`,
    the same values)."""
    if fast:
        frame = _degrees_fast(frame)
    else:
        frame = frame.with_columns(_degrees(pl.col("latlng")).alias("ll")).unnest("ll").with_columns(
            pl.col("la").cast(pl.Float64).alias("lat"), pl.col("lo").cast(pl.Float64).alias("lon"))
    unreadable = frame.filter(pl.col("lat").is_null() | pl.col("lon").is_null()
                              | ~pl.col("lat").is_between(-90, 90) | ~pl.col("lon").is_between(-180, 180))
    bad = bad + [(r, "coordinates not readable (expected '51.5°, -0.12°' or 'geo:51.5,-0.12')", v)
                 for r, v in unreadable.select("source_ref", "latlng").iter_rows()]
    if unreadable.height:
        frame = frame.join(unreadable.select("source_ref"), on="source_ref", how="anti")
    basis = iso_basis(pl.col("start"))
    if fast:
        export_form = _export_times(frame, "start")
        if export_form:  # no space around them: the basis without the strip
            basis = pl.when(pl.col("start").str.ends_with("Z")).then(pl.lit("utc")).otherwise(pl.lit("offset"))
        frame = _instant_fast(_instant_fast(frame, "start", "ts_utc", export_form), "end", "ts_end_utc")
    else:
        frame = _instant(_instant(frame, "start", "ts_utc"), "end", "ts_end_utc")
    events = frame.select(
        "source_ref", pl.lit("location").alias("kind"), pl.lit("google-location").alias("channel"),
        "ts_utc", "ts_end_utc", basis.alias("ts_basis"), pl.col("start").alias("ts_raw"),
        "lat", "lon", "accuracy_m", "text",
    )
    return events, bad


ASSUMPTIONS: Final = ["Timeline.json: times carry their UTC offset; visits and activities are Google's inferences"]


@bounded_json_values("a Timeline.json record")
@cuts_long_json_values("a Timeline.json record")
@rejects_lone_surrogates
@without_cycle_collection
def parse(path: Path, ctx: ParseContext) -> ParseResult:
    fast = _fast_records(path)
    if fast is not None:
        events, bad = _events(fast, [], fast=True)
        if not bad:
            return ParseResult(events=events, rejects=rejects(ctx.source_id, bad), records_read=fast.height,
                               assumptions=list(ASSUMPTIONS))
    return _parse_plain(path, ctx)


@bounded_json_values("a Timeline.json record")
@cuts_long_json_values("a Timeline.json record")
@rejects_lone_surrogates
@without_cycle_collection
def parse_plain(path: Path, ctx: ParseContext) -> ParseResult:
    """The plain rule (every record walked in Python); :func:`parse` gives the same result."""
    return _parse_plain(path, ctx)


def _parse_plain(path: Path, ctx: ParseContext) -> ParseResult:
    frame, bad, read = _records_plain(path)
    events, bad = _events(frame, bad)
    return ParseResult(events=events, rejects=rejects(ctx.source_id, bad), records_read=read,
                       assumptions=list(ASSUMPTIONS))
