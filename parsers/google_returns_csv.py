"""Location history in Google's returns to police: the CSV of a location-history production.

Google produces an account's location history to law enforcement as a CSV with
one row per stored position (header names as they appear in such returns and in
RLEAPP's Google-return artifacts)::

    Timestamp (UTC),Latitude,Longitude,Display Radius (Meters),Source,Device Tag,Platform
    2026-03-01 10:00:00 UTC,51.5074000,-0.1278000,16,WIFI,-1234567890,ANDROID

Format notes:

* Columns are found by *name* (case, spacing and punctuation ignored), never by
  position; a preamble before the header row (account, date range) is skipped.
  ``Latitude``/``Longitude`` are decimal degrees; ``Display Radius (Meters)`` is the
  accuracy radius (``accuracy_m``); ``Source``, ``Device Tag``, ``Platform`` go to
  ``text`` so positions from different devices can be told apart.
* ``Timestamp (UTC)``: the header states UTC, so every time is basis ``utc``.
  Seen as ``2026-03-01 10:00:00 UTC``, ``2026-03-01 10:00:00`` (UTC by the header),
  ``2026-03-01T10:00:00Z`` / ``.123Z``, and epoch milliseconds.
* The same returns also hold the older JSON records (``timestampMs``/``latitudeE7``):
  those files are read by the ``google-records-json`` parser (streamed).
* ``source_ref`` is ``row N`` (data rows, 1-based, after the header). A row whose
  time or coordinates do not read is a reject with the reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import polars as pl

from atlas.errors import FormatError
from atlas.model import TS_TYPE, UTC, Channel, EvidenceCategory
from parsers._exports import epoch_auto_utc, iso_instant, rejects
from parsers._tabular import long_line_notes, long_line_rejects, probe_sheets, read_sheets, with_header, without_blank_rows
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe

INFO: Final = ParserInfo(
    name="google-returns-csv",
    version="1.4.0",
    description="Google location-history return to police (CSV: Timestamp (UTC), Latitude, Longitude, Display Radius …)",
    detects="CSV whose header (after any preamble) has 'Timestamp (UTC)' (or Timestamp), Latitude and Longitude, "
    "and a Display Radius / Device Tag column",
    notes=__doc__ or "",
    category=EvidenceCategory.LOCATION_HISTORY,
    channels=frozenset({Channel.GOOGLE_LOCATION}),
    no_public_sample="no public Google location return exists; tested on the generator's return",
)

ROLES: Final = {
    "ts": ("timestamp_utc", "timestamp", "time_utc", "utc_timestamp"),
    "lat": ("latitude", "lat"),
    "lon": ("longitude", "lon", "lng"),
    "radius": ("display_radius_meters", "display_radius", "accuracy", "radius_meters", "maps_display_radius_meters"),
    "source": ("source",),
    "device": ("device_tag", "devicetag"),
    "platform": ("platform", "platform_type"),
}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def _header_index(rows: list[list[str]]) -> int | None:
    for i, row in enumerate(rows[:50]):
        cols = {_norm(c) for c in row}
        if cols & set(ROLES["ts"]) and cols & set(ROLES["lat"]) and cols & set(ROLES["lon"]) and (
            cols & set(ROLES["radius"]) or cols & set(ROLES["device"])
        ):
            return i
    return None


def detect(probe: Probe) -> int:
    text = probe.text
    if not text or text.lstrip().startswith(("{", "[")):
        return 0
    return 92 if any(_header_index(sheet.rows) is not None for sheet in probe_sheets(probe) if sheet.csv) else 0


def _utc(values: pl.Expr) -> pl.Expr:
    s = values.str.strip_chars()
    return pl.coalesce(
        s.str.to_datetime("%Y-%m-%d %H:%M:%S%.f UTC", strict=False, time_unit="us", time_zone=UTC),
        s.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us", time_zone=UTC),
        iso_instant(s),
        s.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us", time_zone=UTC),
        pl.when(s.str.contains(r"^\d{10,16}$")).then(epoch_auto_utc(s)),
    ).cast(TS_TYPE)


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    sheet = read_sheets(path)[0]
    start = _header_index(sheet.rows) if sheet.csv else None
    if start is None:
        raise FormatError(f"{path}: no header with Timestamp (UTC), Latitude, Longitude in the first 50 lines")
    table = with_header(sheet.frame(start))
    names = {_norm(c): c for c in table.columns}
    found = {role: next((names[a] for a in aliases if a in names), None) for role, aliases in ROLES.items()}
    # A blank line between rows is no record (rows keep their numbers as counted in the file).
    table = without_blank_rows(table.with_row_index("row", offset=1), table.columns)
    t = table.select(
        "row", *(pl.col(c).alias(f"_{r}") if c else pl.lit(None, pl.String).alias(f"_{r}") for r, c in found.items())
    )
    t = t.with_columns(
        _utc(pl.col("_ts")).alias("ts_utc"),
        pl.col("_lat").str.strip_chars().cast(pl.Float64, strict=False).alias("lat"),
        pl.col("_lon").str.strip_chars().cast(pl.Float64, strict=False).alias("lon"),
        pl.col("_radius").str.strip_chars().cast(pl.Float64, strict=False).alias("accuracy_m"),
    )
    reason = (
        pl.when(pl.col("lat").is_null() | pl.col("lon").is_null()).then(pl.lit("latitude/longitude not numbers"))
        .when(~pl.col("lat").is_between(-90, 90) | ~pl.col("lon").is_between(-180, 180)).then(pl.lit("coordinates out of range"))
        .when(pl.col("ts_utc").is_null()).then(pl.lit("Timestamp (UTC) not readable"))
    )
    t = t.with_columns(reason.alias("reason"))
    bad = [(f"row {r}", why, f"{ts},{la},{lo}") for r, why, ts, la, lo in
           t.filter(pl.col("reason").is_not_null()).select("row", "reason", "_ts", "_lat", "_lon").iter_rows()]
    events = t.filter(pl.col("reason").is_null()).select(
        pl.format("row {}", "row").alias("source_ref"), pl.lit("location").alias("kind"),
        pl.lit("google-location").alias("channel"), "ts_utc", pl.lit("utc").alias("ts_basis"),
        pl.col("_ts").alias("ts_raw"), "lat", "lon", "accuracy_m",
        pl.concat_str([pl.lit("source ") + pl.col("_source"), pl.lit("deviceTag ") + pl.col("_device"),
                       pl.lit("platform ") + pl.col("_platform")], separator=", ", ignore_nulls=True).alias("text"),
    )
    mapped = ", ".join(f"{r}={c}" for r, c in found.items() if c)
    too_long, n_long = long_line_rejects([sheet], ctx.source_id)  # lines over the bound, read as blank
    return ParseResult(
        events=events, rejects=pl.concat([rejects(ctx.source_id, bad), too_long]), records_read=t.height + n_long,
        assumptions=[*sheet.notes(), *long_line_notes([sheet]), f"Google return CSV: header on line {start + 1}; columns mapped by name: {mapped}; times UTC per the header"],
    )
