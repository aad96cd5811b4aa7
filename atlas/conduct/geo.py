"""Distances, positions and what a stated accuracy allows us to say.

A location record is a position *with an uncertainty*: a GPS fix says "within about
``accuracy_m`` of here"; a cell-site record only says which cell served the phone,
an area that can be kilometres wide. Everything here keeps that difference: a
position counts as inside a place only if its reported point is inside, and the
output says whether its accuracy circle lies wholly inside or straddles the edge.
"""

from __future__ import annotations

import math
from typing import Final

import polars as pl

EARTH_RADIUS_M: Final = 6_371_008.8

INSIDE: Final = "inside"
"""The reported point and its whole accuracy circle are within the radius."""
INSIDE_STRADDLES: Final = "inside (accuracy circle straddles the boundary)"
OUTSIDE_STRADDLES: Final = "outside (accuracy circle straddles the boundary)"
OUTSIDE: Final = "outside"
ACCURACY_UNKNOWN: Final = "inside (accuracy not stated)"
"""Reported inside, but the source states no accuracy: possible presence only."""


def haversine_m(lat1: pl.Expr, lon1: pl.Expr, lat2: pl.Expr | float, lon2: pl.Expr | float) -> pl.Expr:
    """Great-circle distance in metres between two columns (or a column and a point)."""
    la1, lo1 = lat1.radians(), lon1.radians()
    la2 = lat2.radians() if isinstance(lat2, pl.Expr) else pl.lit(math.radians(lat2))
    lo2 = lon2.radians() if isinstance(lon2, pl.Expr) else pl.lit(math.radians(lon2))
    h = ((la2 - la1) / 2).sin() ** 2 + la1.cos() * la2.cos() * ((lo2 - lo1) / 2).sin() ** 2
    return 2 * EARTH_RADIUS_M * h.sqrt().clip(upper_bound=1.0).arcsin()


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def boundary_status(distance: pl.Expr, accuracy: pl.Expr, radius: pl.Expr | float) -> pl.Expr:
    """Where a position lies relative to a circle, honest about its accuracy."""
    r = radius if isinstance(radius, pl.Expr) else pl.lit(radius)
    return (
        pl.when(accuracy.is_null() & (distance <= r)).then(pl.lit(ACCURACY_UNKNOWN))
        .when(accuracy.is_null()).then(pl.lit(OUTSIDE))
        .when(distance + accuracy <= r).then(pl.lit(INSIDE))
        .when(distance <= r).then(pl.lit(INSIDE_STRADDLES))
        .when(distance - accuracy <= r).then(pl.lit(OUTSIDE_STRADDLES))
        .otherwise(pl.lit(OUTSIDE))
    )


def precision_text(channel: str | None, accuracy_m: float | None) -> str:
    """How precise a position source is, in words for a statement."""
    src = channel or "location record"
    if accuracy_m is None:
        return f"{src}: position with no stated accuracy"
    return f"{src}: position with stated accuracy ±{accuracy_m:.0f} m"


def episodes(points: pl.DataFrame, *, by: list[str], gap_minutes: int) -> pl.DataFrame:
    """Number runs of points (per ``by`` group) with no gap longer than ``gap_minutes``.

    Adds ``episode`` (an integer unique across groups); ``points`` needs ``ts_utc``.
    """
    if points.height == 0:
        return points.with_columns(pl.lit(None, pl.Int64).alias("episode"))
    gap = pl.duration(minutes=gap_minutes)
    ordered = points.sort([*by, "ts_utc"])
    new = (pl.col("ts_utc").diff().over(by).is_null()) | (pl.col("ts_utc").diff().over(by) > gap)
    return ordered.with_columns(new.cast(pl.Int64).cum_sum().alias("episode"))
