"""Cell sites: where a CDR's cell was, joined at read time.

A call data record names the serving cell, not a place; a provider's cell-site list
gives each cell's mast position, azimuth and beam width. The two arrive as separate
sources in either order, so nothing is joined at ingest: :func:`cdr_events_with_cells`
joins them whenever it is asked, and a CDR cell that no list contains is reported by
:func:`unknown_cells`, never dropped.

A cell's position is the mast, not the handset: a serving cell shows the handset was
somewhere in that cell's coverage (hundreds of metres in a city, kilometres in the
country), which is what outputs must say. Ordnance Survey National Grid eastings and
northings (OSGB36, EPSG:27700) are converted to WGS84 with PROJ (pyproj) offline; the
transformation used and its stated accuracy are recorded with each converted list.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Final

import polars as pl

if TYPE_CHECKING:
    from atlas.store import Case

OS_CRS: Final = "EPSG:27700"
WGS84: Final = "EPSG:4326"

CELLS_SCHEMA: Final = pl.Schema(
    {
        "source_id": pl.String(), "source_ref": pl.String(), "cell_id": pl.String(), "cell_part": pl.String(),
        "site_id": pl.String(), "address": pl.String(), "postcode": pl.String(), "lat": pl.Float64(),
        "lon": pl.Float64(), "easting": pl.Float64(), "northing": pl.Float64(), "azimuth": pl.Float64(),
        "beamwidth": pl.Float64(), "technology": pl.String(), "mcc_mnc": pl.String(), "coord_basis": pl.String(),
    }
)
"""The ``cells`` reference table a cell-site list adds to the store (one row per cell)."""


@cache
def _transformer() -> object:
    """The most accurate OSGB36 → WGS84 operation available offline.

    PROJ's best operation (OSTN15, ~0.1 m) needs a grid file fetched from the network,
    which Atlas never does; the best one shipped with pyproj is the OSGB36 → WGS 84
    Helmert transformation (PROJ's "OSGB36 to WGS 84 (6)", stated accuracy 2 m), ample
    for a mast position.
    """
    import warnings

    from pyproj.transformer import TransformerGroup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "best transformation not available": said in the basis
        group = TransformerGroup(OS_CRS, WGS84, always_xy=True)
    if not group.transformers:  # pragma: no cover - pyproj always ships a Helmert fallback
        raise RuntimeError("no OSGB36 to WGS84 transformation available in this pyproj installation")
    return group.transformers[0]


def os_transform_description() -> str:
    """The PROJ operation used for OS grid → WGS84, as it should be quoted."""
    t = _transformer()
    return f"{t.description} (stated accuracy {t.accuracy} m), pyproj offline"  # type: ignore[attr-defined]


def os_to_wgs84(easting: pl.Series, northing: pl.Series) -> tuple[pl.Series, pl.Series]:
    """OS National Grid eastings/northings (metres) → WGS84 latitude, longitude."""
    t = _transformer()
    e = easting.cast(pl.Float64).to_numpy()
    n = northing.cast(pl.Float64).to_numpy()
    lon, lat = t.transform(e, n)  # type: ignore[attr-defined]
    lat_s = pl.Series("lat", lat, dtype=pl.Float64).fill_nan(None)
    lon_s = pl.Series("lon", lon, dtype=pl.Float64).fill_nan(None)
    return lat_s, lon_s


_GRID_LETTERS: Final = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # no I
_GRID_REF: Final = re.compile(r"^\s*([A-HJ-Z]{2})\s*(\d+)\s*(\d+)?\s*$", re.IGNORECASE)


def grid_ref_to_en(ref: str) -> tuple[float, float] | None:
    """An OS grid reference such as ``TQ 30080 80071`` → (easting, northing) in metres.

    The two letters name a 100 km square (the standard OS lettering); the digits are
    split evenly between easting and northing and give the square's south-west corner
    at their precision.
    """
    m = _GRID_REF.match(ref)
    if not m:
        return None
    letters, a, b = m.group(1).upper(), m.group(2), m.group(3)
    digits = a + (b or "")
    if b is None and len(a) % 2:
        return None
    if b is not None and len(a) != len(b):
        return None
    half = len(digits) // 2
    if half == 0 or half > 5:
        return None
    i1, i2 = _GRID_LETTERS.index(letters[0]), _GRID_LETTERS.index(letters[1])
    e100 = ((i1 - 2) % 5) * 5 + (i2 % 5)
    n100 = (19 - (i1 // 5) * 5) - (i2 // 5)
    scale = 10 ** (5 - half)
    return e100 * 100_000 + int(digits[:half]) * scale, n100 * 100_000 + int(digits[half:]) * scale


def cell_key_part(cell_id: pl.Expr) -> pl.Expr:
    """The cell part of a ``LAC-CI`` key (the CI/ECI), for lists that give no LAC."""
    return cell_id.str.split("-").list.last()


def cell_table(case: Case) -> pl.DataFrame:
    """Every cell of every cell-site list in the case; the first list (by source id)
    wins where two lists give the same cell."""
    cells = case.extra("cells")
    if cells is None or cells.height == 0:
        return pl.DataFrame(schema=CELLS_SCHEMA)
    cells = cells.select([pl.col(c) if c in cells.columns else pl.lit(None, d).alias(c) for c, d in CELLS_SCHEMA.items()])
    return cells.sort("source_id", "source_ref").unique("cell_id", keep="first", maintain_order=True)


def _cdr_detail(case: Case) -> pl.DataFrame | None:
    detail = case.extra("cdr")
    if detail is None or detail.height == 0:
        return None
    return detail.with_columns((pl.col("source_id") + "/" + pl.col("source_ref")).alias("event_id"))


def _locate(frame: pl.DataFrame, key: str, cells: pl.DataFrame, prefix: str) -> pl.DataFrame:
    """Join ``frame[key]`` to cells: exactly, else by the cell part alone where that is unique."""
    cols = ["lat", "lon", "azimuth", "beamwidth", "technology", "address", "site_id"]
    exact = cells.select(pl.col("cell_id").alias(key), *[pl.col(c).alias(prefix + c) for c in cols])
    unique_part = cells.with_columns(cell_key_part(pl.col("cell_id")).alias("_part")).filter(
        pl.col("_part").is_unique())
    by_part = unique_part.select(pl.col("_part"), *[pl.col(c).alias(prefix + c + "_p") for c in cols])
    out = frame.join(exact, on=key, how="left").with_columns(cell_key_part(pl.col(key)).alias("_part"))
    out = out.join(by_part, on="_part", how="left")
    matched_exact = pl.col(prefix + "lat").is_not_null() | pl.col(prefix + "site_id").is_not_null()
    matched_part = pl.col(prefix + "lat_p").is_not_null() | pl.col(prefix + "site_id_p").is_not_null()
    out = out.with_columns(
        *[pl.when(matched_exact).then(pl.col(prefix + c)).otherwise(pl.col(prefix + c + "_p")).alias(prefix + c)
          for c in cols],
        pl.when(pl.col(key).is_null()).then(pl.lit("no cell in record"))
        .when(matched_exact).then(pl.lit("exact"))
        .when(matched_part).then(pl.lit("cell id only (no LAC/TAC match)"))
        .otherwise(pl.lit("not in any cell-site list")).alias(prefix + "match"),
    )
    return out.drop("_part", *[prefix + c + "_p" for c in cols])


def cdr_events_with_cells(case: Case) -> pl.DataFrame:
    """CDR events with their first (and last) cell's location, azimuth and technology.

    Adds ``cell_lat``/``cell_lon``/``cell_azimuth``/``cell_beamwidth``/``cell_technology``
    /``cell_address``, ``cell_known`` and ``cell_match`` (how it matched), and the same
    for the last cell (``last_cell_*``). Events are never dropped: an unknown cell keeps
    the event with ``cell_known = false``.
    """
    detail = _cdr_detail(case)
    if detail is None:
        return case.events().filter(pl.lit(False)).collect()
    ids = detail.get_column("event_id")
    events = case.events().filter(pl.col("event_id").is_in(ids.implode())).collect()
    events = events.join(detail.select("event_id", "last_cell", "imei", "imsi", "mcc_mnc", "roaming"),
                         on="event_id", how="left")
    cells = cell_table(case)
    out = _locate(events, "cell_id", cells, "cell_")
    out = _locate(out, "last_cell", cells, "last_cell_")
    known = pl.col("cell_match").is_in(["exact", "cell id only (no LAC/TAC match)"])
    return out.with_columns(known.alias("cell_known")).sort("ts_utc", "event_id")


UNKNOWN_SCHEMA: Final = pl.Schema({"cell_id": pl.String(), "records": pl.UInt32(),
                                   "first_seen": pl.Datetime("us", "UTC"), "last_seen": pl.Datetime("us", "UTC"),
                                   "sources": pl.List(pl.String)})


def _missing_cells(events: pl.DataFrame, detail: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
    """One row per (event, cell not in any list): ``cell_id``, ``source_id``, ``ts_utc``."""
    last = detail.select("event_id", "source_id", pl.col("last_cell").alias("cell_id"))
    first = events.join(detail.select("event_id", "source_id"), on="event_id").select("event_id", "source_id", "cell_id")
    used = pl.concat([first, last]).drop_nulls("cell_id").unique(["event_id", "cell_id"]).join(
        events.select("event_id", "ts_utc"), on="event_id", how="left")
    located = _locate(used, "cell_id", cells, "c_")
    return located.filter(pl.col("c_match") == "not in any cell-site list")


def unknown_cells(case: Case) -> pl.DataFrame:
    """CDR cells (first or last) that no cell-site list in the case contains. Within
    :func:`atlas.stream.streaming` (a case bigger than memory) one source at a time
    (:func:`unknown_cells_by_source`, the same frame)."""
    from atlas.stream import bounded

    if bounded():
        return unknown_cells_by_source(case)
    detail = _cdr_detail(case)
    if detail is None:
        return pl.DataFrame(schema=UNKNOWN_SCHEMA)
    events = case.events().select("event_id", "ts_utc", "cell_id").filter(
        pl.col("event_id").is_in(detail.get_column("event_id").implode())).collect()
    missing = _missing_cells(events, detail, cell_table(case))
    return missing.group_by("cell_id").agg(
        pl.len().alias("records"), pl.col("ts_utc").min().alias("first_seen"), pl.col("ts_utc").max().alias("last_seen"),
        pl.col("source_id").unique().sort().alias("sources"),
    ).sort("cell_id").cast(UNKNOWN_SCHEMA)


def unknown_cells_by_source(case: Case) -> pl.DataFrame:
    """:func:`unknown_cells` read one source's call data records at a time (memory: one
    source's records and the distinct cells), the counts then added up per cell."""
    cells = cell_table(case)
    per_source: list[pl.DataFrame] = []
    for sid in case.source_ids():
        path = case.store / "extra" / "cdr" / f"{sid}.parquet"
        if not path.exists():
            continue
        detail = pl.read_parquet(path).with_columns((pl.col("source_id") + "/" + pl.col("source_ref")).alias("event_id"))
        if detail.height == 0:
            continue
        events = case.events(sid).select("event_id", "ts_utc", "cell_id").filter(
            pl.col("event_id").is_in(detail.get_column("event_id").implode())).collect(engine="streaming")
        per_source.append(_missing_cells(events, detail, cells).group_by("cell_id").agg(
            pl.len().cast(pl.Int64).alias("records"), pl.col("ts_utc").min().alias("first_seen"),
            pl.col("ts_utc").max().alias("last_seen"), pl.col("source_id").unique().alias("sources")))
        del detail, events
    if not per_source:
        return pl.DataFrame(schema=UNKNOWN_SCHEMA)
    return pl.concat(per_source).group_by("cell_id").agg(
        pl.col("records").sum(), pl.col("first_seen").min(), pl.col("last_seen").max(),
        pl.col("sources").explode(keep_nulls=False, empty_as_null=False).unique().sort(),
    ).sort("cell_id").cast(UNKNOWN_SCHEMA)
