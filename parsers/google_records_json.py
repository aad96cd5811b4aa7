"""Google Location History ``Records.json`` (Takeout), and the same records in police returns.

The raw location history of a Google account: every position a signed-in device
reported. It can be several gigabytes, so it is **streamed** with ``ijson`` (its C
backend), record by record, and compacted into Polars chunks as it goes: memory
grows with the events kept, never with the JSON document.

Layout (from the public JSON Schema of the file, ``Records.schema.json`` in
CarlosBergillos/LocationHistoryFormat, and RLEAPP's ``gooReturnsrec`` artifact)::

    {"locations": [{"latitudeE7": 515074000, "longitudeE7": -1278000, "accuracy": 16,
                    "source": "WIFI", "deviceTag": 1234567890, "platformType": "ANDROID",
                    "timestamp": "2026-03-01T10:00:00.123Z"}, …]}

* Coordinates are degrees × 10⁷ (``latitudeE7``/``longitudeE7``). Some older files
  wrote negative values as unsigned 32-bit integers (e.g. 4 294 967 296 − 1 278 000):
  a latitude above 90° or longitude above 180° is read as that overflow (2³² is
  subtracted), counted, and recorded as an assumption.
* Time: ``timestamp`` (ISO 8601 with ``Z``: basis ``utc``; since about January
  2022) or the older ``timestampMs`` (epoch milliseconds as a string: basis ``utc``).
  Both occur in police returns, which also hold the older ``timestampMs`` records as a
  bare JSON list of records; that layout is read too.
* ``accuracy`` (metres, radius) → ``accuracy_m``; ``source`` (GPS, WIFI, CELL),
  ``deviceTag`` and ``platformType`` are kept in ``text`` ("source WIFI, deviceTag
  1234567890, platform ANDROID") so positions from different devices can be told apart.
* Nested ``activity`` and ``inferredLocation`` are not read (no position of their own).
* Each record is a ``location`` event on channel ``google-location``;
  ``source_ref`` is ``locations[N]`` (``[N]`` for a bare list). A record without
  coordinates or a readable time is a reject with the reason.

A location shows where a device signed in to the account was, with the stated
accuracy, not who carried it (see DOMAIN.md).

Measured (``bench/bench_google_records.py``, 2-core shared machine): a 1 GB file of
4.2 million records parsed in 41.5 CPU-seconds (24.7 MB per CPU-second) with a peak
of 850 MB resident, about 200 bytes per event kept; ``json.load`` needs about 4.2
times the file's size before the first record can be read.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import ijson
import polars as pl

from atlas.errors import FormatError
from atlas.model import KINDS, TS_BASES, Channel, EvidenceCategory
from parsers._exports import epoch_ms_utc, excerpt, has_array, iso_basis, with_iso_instant, without_cycle_collection
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe, SampleCount

INFO: Final = ParserInfo(
    name="google-records-json",
    version="1.0.0",
    description="Google Location History Records.json (Takeout or police return), streamed",
    detects="JSON with a 'locations' array of records with latitudeE7/longitudeE7 (or a bare list of such records)",
    notes=__doc__ or "",
    category=EvidenceCategory.LOCATION_HISTORY,
    channels=frozenset({Channel.GOOGLE_LOCATION}),
    sample_counts=(
        SampleCount("kgeo-google-location/records.json", 12, 12, 0, "locations[0]", "2015-10-10T18:47:02.597000+00:00",
                    note="hossain-khan/kgeo-timeline Records.json: 12 fixes, E7 coordinates"),
    ),
)

CHUNK: Final = 5_000
"""Records turned into a frame at a time. Small enough that a batch's decoded records stay
in the processor's caches and the allocator reuses their memory (25,000 at a time cost
~10 % more CPU on a 100 MB file), big enough that the per-frame cost is small; the
frames are the same rows whatever the size (tests/test_google_location.py parses with 7)."""
_E7_WRAP: Final = 2**32
_SCHEMA: Final = pl.Schema({
    "i": pl.Int64, "timestamp": pl.String, "timestampMs": pl.String, "latitudeE7": pl.Float64,
    "longitudeE7": pl.Float64, "accuracy": pl.Float64, "source": pl.String, "deviceTag": pl.String,
    "platformType": pl.String,
})
"""The record fields read; ``from_dicts`` ignores every other key (activity, wifi scans…)."""


def detect(probe: Probe) -> int:
    text = probe.text.lstrip()
    head = text[:65536]
    if "latitudeE7" not in head or "timelineObjects" in head or "placeVisit" in head:
        return 0
    if text.startswith("{") and has_array(head, "locations"):
        return 92
    if re.match(r"\[\s*\{", text) and ("timestampMs" in head or '"timestamp"' in head):
        return 88
    return 0


_UTF16_BOMS: Final = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


class _ReadOnly:
    """Only ``read``: the recoder passes other attributes (``readinto``) to the raw file,
    which would hand the streamer UTF-16 bytes."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        return bytes(self._stream.read(size))


def _records(path: Path, prefix: str) -> Iterator[Any]:
    """The records under ``prefix``, streamed; a UTF-8 byte-order mark is skipped and UTF-16
    with its mark (a file re-saved as "Unicode") is recoded to UTF-8 on the fly (the JSON
    streamer reads UTF-8 only)."""
    with path.open("rb") as fh:
        head = fh.read(3)
        stream: Any = fh
        if head[:2] in _UTF16_BOMS:
            fh.seek(2)
            stream = _ReadOnly(codecs.EncodedFile(fh, "utf-8", _UTF16_BOMS[head[:2]]))
        else:
            fh.seek(3 if head == b"\xef\xbb\xbf" else 0)
        yield from ijson.items(stream, prefix, use_float=True, buf_size=1 << 20)


def _first_char(path: Path) -> bytes:
    """The first character that is not white space (UTF-8, or UTF-16 with its mark), as bytes."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head[:2] in _UTF16_BOMS:
        head = head[2:len(head) - len(head) % 2].decode(_UTF16_BOMS[head[:2]], errors="ignore").encode("utf-8")
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]


def _chunk(batch: list[dict[str, Any]]) -> pl.DataFrame:
    raw = with_iso_instant(pl.from_dicts(batch, schema=_SCHEMA, strict=False), "timestamp", "iso")
    lat_e7, lon_e7 = pl.col("latitudeE7"), pl.col("longitudeE7")
    ts_text = pl.col("timestamp")
    return raw.select(
        pl.col("i"),
        pl.when(lat_e7 > 900_000_000).then(lat_e7 - _E7_WRAP).otherwise(lat_e7).truediv(1e7).alias("lat"),
        pl.when(lon_e7 > 1_800_000_000).then(lon_e7 - _E7_WRAP).otherwise(lon_e7).truediv(1e7).alias("lon"),
        ((lat_e7 > 900_000_000) | (lon_e7 > 1_800_000_000)).alias("wrapped"),
        pl.col("accuracy").alias("accuracy_m"),
        pl.when(ts_text.is_not_null()).then(pl.col("iso")).otherwise(epoch_ms_utc(pl.col("timestampMs"))).alias("ts_utc"),
        pl.when(ts_text.is_not_null()).then(iso_basis(ts_text)).otherwise(pl.lit("utc")).alias("ts_basis"),
        pl.coalesce(ts_text, pl.col("timestampMs")).alias("ts_raw"),
        pl.concat_str(
            [pl.lit("source ") + pl.col("source"), pl.lit("deviceTag ") + pl.col("deviceTag"),
             pl.lit("platform ") + pl.col("platformType")],
            separator=", ", ignore_nulls=True,
        ).alias("text"),
    )


@without_cycle_collection
def parse(path: Path, ctx: ParseContext) -> ParseResult:
    first = _first_char(path)
    if first not in (b"{", b"["):
        raise FormatError(f"{path}: not JSON (it must start with '{{' or '[')")
    prefix, base = ("locations.item", "locations") if first == b"{" else ("item", "")
    chunks: list[pl.DataFrame] = []
    bad: list[tuple[int, str, str]] = []
    batch: list[dict[str, Any]] = []
    n = 0
    try:
        for n, rec in enumerate(_records(path, prefix), start=1):
            if not isinstance(rec, dict):
                bad.append((n - 1, "not a location record", excerpt(rec)))
                continue
            rec["i"] = n - 1
            batch.append(rec)
            if len(batch) >= CHUNK:
                chunks.append(_chunk(batch))
                batch = []
    except ijson.JSONError as exc:  # IncompleteJSONError is a subclass
        raise FormatError(
            f"{path}: JSON error after {n} location record(s) (the next would be {base}[{n}]): "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}; "
            "the file may be truncated or corrupt"
        ) from exc
    chunks.append(_chunk(batch))
    frame = pl.concat(chunks, rechunk=False)
    if n == 0:
        raise FormatError(f"{path}: no location records (expected a 'locations' array of records with latitudeE7/longitudeE7)")
    ok = pl.col("lat").is_between(-90, 90) & pl.col("lon").is_between(-180, 180)
    no_time = pl.col("ts_utc").is_null()
    reason = (
        pl.when(pl.col("lat").is_null() | pl.col("lon").is_null()).then(pl.lit("no latitudeE7/longitudeE7"))
        .when(~ok).then(pl.lit("coordinates out of range"))
        .when(no_time & pl.col("ts_raw").is_null()).then(pl.lit("no timestamp or timestampMs"))
        .when(no_time).then(pl.lit("timestamp not readable (expected ISO 8601 with Z/offset, or epoch ms)"))
    )
    frame = frame.with_columns(reason.alias("reason"))
    ref = pl.format(f"{base}[{{}}]", pl.col("i"))
    rejected = frame.filter(pl.col("reason").is_not_null()).select(
        pl.lit(ctx.source_id).alias("source_id"), ref.alias("source_ref"), "reason",
        pl.concat_str([pl.col("ts_raw"), pl.col("lat").cast(pl.String), pl.col("lon").cast(pl.String)],
                      separator=" ", ignore_nulls=True).alias("excerpt"),
    )
    wrapped = int(frame.get_column("wrapped").sum())
    # kind and ts_basis as their schema enums (4 bytes a row, not a string each): millions of rows.
    events = frame.filter(pl.col("reason").is_null()).select(
        ref.alias("source_ref"), pl.lit("location", pl.Enum(KINDS)).alias("kind"), pl.lit("google-location").alias("channel"),
        "ts_utc", pl.col("ts_basis").cast(pl.Enum(TS_BASES)), "ts_raw", "lat", "lon", "accuracy_m", "text",
    )
    if bad:
        extra = pl.DataFrame({
            "source_id": [ctx.source_id] * len(bad), "source_ref": [f"{base}[{i}]" for i, _, _ in bad],
            "reason": [r for _, r, _ in bad], "excerpt": [e for _, _, e in bad],
        })
        rejected = pl.concat([rejected, extra])
    assumptions = ["Google Records.json: timestamps are UTC instants (timestamp 'Z' or timestampMs)"]
    if wrapped:
        assumptions.append(f"{wrapped} record(s) with latitudeE7/longitudeE7 above range read as 32-bit overflow (2^32 subtracted)")
    return ParseResult(events=events, rejects=rejected, records_read=n, assumptions=assumptions)
