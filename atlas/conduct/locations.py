"""A party's device positions and cell-site records, kept apart.

Two kinds of location evidence answer different questions (DOMAIN.md, "What each kind
of data can and cannot show"):

* **positions** (GPS, Google location history, a handset's location cache): a point with
  a stated accuracy; it can show a device *was near* a place;
* **cell-site** records (``kind = cell``, or any record carrying a ``cell_id``): the
  location of the cell that served the phone; it can only show the phone was somewhere
  in the area that cell serves, never that it was at an address.

Whose device a record describes is the owner of its source (the handset downloaded, the
account returned, the number whose call data was requested), else the party its
sender identifier belongs to in the view.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from atlas.store import Case

from .parties import Cast

POSITION_FRAME: Final = pl.Schema({
    "event_id": pl.String(), "source_id": pl.String(), "ts_utc": pl.Datetime("us", "UTC"),
    "ts_end_utc": pl.Datetime("us", "UTC"), "channel": pl.String(),
    "lat": pl.Float64(), "lon": pl.Float64(), "accuracy_m": pl.Float64(), "party": pl.String(),
})
CELL_FRAME: Final = pl.Schema({
    "event_id": pl.String(), "source_id": pl.String(), "ts_utc": pl.Datetime("us", "UTC"), "channel": pl.String(),
    "cell_id": pl.String(), "lat": pl.Float64(), "lon": pl.Float64(), "radius_m": pl.Float64(), "party": pl.String(),
})
_CELL_LAT: Final = ("lat", "latitude", "site_lat")
_CELL_LON: Final = ("lon", "lng", "longitude", "site_lon")
_CELL_RADIUS: Final = ("radius_m", "range_m", "serving_radius_m", "accuracy_m")


def _party_expr(cast: Cast) -> pl.Expr:
    owners = cast.source_owner_party
    by_source = pl.col("source_id").replace_strict(
        pl.Series(list(owners), dtype=pl.String), pl.Series(list(owners.values()), dtype=pl.String), default=None,
    ) if owners else pl.lit(None, pl.String)
    by_sender = pl.col("sender").replace_strict(
        pl.Series(list(cast.owner_map), dtype=pl.String), pl.Series(list(cast.owner_map.values()), dtype=pl.String),
        default=None,
    ) if cast.owner_map else pl.lit(None, pl.String)
    return pl.coalesce(by_source, by_sender)


def _cell_table(case: Case) -> pl.DataFrame | None:
    """The case's cell reference table (from call-data sources), as cell_id/lat/lon/radius."""
    cells = case.extra("cells")
    if cells is None or "cell_id" not in cells.columns:
        return None
    lat = next((c for c in _CELL_LAT if c in cells.columns), None)
    lon = next((c for c in _CELL_LON if c in cells.columns), None)
    if lat is None or lon is None:
        return None
    radius = next((c for c in _CELL_RADIUS if c in cells.columns), None)
    return cells.select(
        pl.col("cell_id").cast(pl.String),
        pl.col(lat).cast(pl.Float64).alias("cell_lat"),
        pl.col(lon).cast(pl.Float64).alias("cell_lon"),
        (pl.col(radius).cast(pl.Float64) if radius else pl.lit(None, pl.Float64)).alias("cell_radius"),
    ).unique("cell_id", keep="first")


READ_COLUMNS: Final = ("event_id", "source_id", "kind", "channel", "ts_utc", "ts_end_utc", "sender", "lat", "lon",
                       "accuracy_m", "cell_id")
"""What :func:`device_records` reads of each record."""


def device_records(case: Case, cast: Cast, parties: set[str], default_cell_radius_m: float, *,
                   plain: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(positions, cell-site records) of the devices of ``parties``, in time order.

    ``plain=True`` reads every column of the store's records (the plain rule); otherwise
    only :data:`READ_COLUMNS`, all that is read here (the rest, text and lists among them,
    was decoded from every partition for nothing: tested equal)."""
    # Only rows whose source or sender belongs to one of ``parties`` can pass the party filter
    # below: said first, as a plain filter the scan applies, so a case bigger than memory is
    # never mapped row by row (atlas.stream; the same rows pass).
    sources = sorted(s for s, p in cast.source_owner_party.items() if p in parties)
    senders = sorted(u for u, p in cast.owner_map.items() if p in parties)
    scan = case.events()
    if not plain:
        scan = scan.select(READ_COLUMNS)
    events = scan.filter(
        pl.col("ts_utc").is_not_null()
        & ((pl.col("kind").cast(pl.String).is_in(["location", "cell"])) | pl.col("cell_id").is_not_null()
           | pl.col("lat").is_not_null())
        & (pl.col("source_id").is_in(sources) | pl.col("sender").is_in(senders))
    ).with_columns(_party_expr(cast).alias("party")).filter(
        pl.col("party").is_in(sorted(parties))
    ).collect()
    is_cell = (pl.col("kind").cast(pl.String) == "cell") | pl.col("cell_id").is_not_null()
    positions = events.filter(~is_cell & pl.col("lat").is_not_null() & pl.col("lon").is_not_null()).select(
        list(POSITION_FRAME.names())).cast(dict(POSITION_FRAME)).sort(["ts_utc", "event_id"])  # type: ignore[arg-type]
    cells = events.filter(is_cell)
    table = _cell_table(case)
    if table is not None and cells.height:
        cells = cells.join(table, on="cell_id", how="left").with_columns(
            pl.coalesce("lat", "cell_lat").alias("lat"), pl.coalesce("lon", "cell_lon").alias("lon"),
            pl.coalesce("accuracy_m", "cell_radius").alias("accuracy_m"),
        )
    cells = cells.filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null()).with_columns(
        pl.col("accuracy_m").fill_null(default_cell_radius_m).alias("radius_m"),
    ).select(list(CELL_FRAME.names())).cast(dict(CELL_FRAME)).sort(["ts_utc", "event_id"])  # type: ignore[arg-type]
    return positions, cells
