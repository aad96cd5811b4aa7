"""When the suspect's device was near the victim or a place that protects her.

Three questions, each answered with the precision of its source stated:

* **presence at a place** (her home, her work, an exclusion zone): his device's
  positions within the place's radius, grouped into episodes; each says whether every
  accuracy circle lay inside the radius or some straddled its edge. A position with no
  stated accuracy, or one just outside whose circle reaches in, is *possible* presence
  only (listed, never a breach);
* **near the victim herself** at her *changing* places (the covert pattern): his
  positions matched to hers in time (``join_asof``, nearest within a window), then
  kept where the distance, allowing for both stated accuracies, is within ``near_m``;
  repeated presence at several distinct locations is flagged;
* **cell serving the area**: cell-site records whose serving cell could cover a place.
  This is never presented as presence: a cell serves an area, not an address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import polars as pl

from atlas.store.manifest import Place
from atlas.wording import location_sources

from .geo import (
    ACCURACY_UNKNOWN,
    INSIDE,
    INSIDE_STRADDLES,
    OUTSIDE_STRADDLES,
    boundary_status,
    distance_m,
    episodes,
    haversine_m,
)
from .location_standard import DEFINITE, LocationStandard
from .options import ConductOptions

PRESENT: Final = (INSIDE, INSIDE_STRADDLES)
"""Reported inside the radius with a stated accuracy: presence (a breach inside an exclusion zone)."""
POSSIBLE: Final = (OUTSIDE_STRADDLES, ACCURACY_UNKNOWN)
"""Possible presence only, never a breach: just outside with an accuracy circle reaching in, or
inside with no stated accuracy (a derived point, e.g. the end of a location-history activity)."""
SAME_LOCATION_M: Final = 250.0
"""Co-location episodes whose victim positions are closer than this are one 'location'."""


def _places_frame(places: list[Place]) -> pl.DataFrame:
    return pl.DataFrame(
        {"place": [p.name for p in places], "place_lat": [p.lat for p in places],
         "place_lon": [p.lon for p in places], "radius_m": [p.radius_m for p in places]},
        schema={"place": pl.String, "place_lat": pl.Float64, "place_lon": pl.Float64, "radius_m": pl.Float64},
    )


def usable(points: pl.DataFrame, options: ConductOptions) -> tuple[pl.DataFrame, int]:
    """Points precise enough to use, and how many were set aside for poor accuracy."""
    poor = pl.col("accuracy_m").is_not_null() & (pl.col("accuracy_m") > options.max_accuracy_m)
    return points.filter(~poor), points.filter(poor).height


def place_points(points: pl.DataFrame, places: list[Place]) -> pl.DataFrame:
    """Every (position, place) pair where the position is inside or its accuracy circle
    touches the place's circle, with the distance and :func:`~.geo.boundary_status`."""
    if points.height == 0 or not places:
        return points.head(0).with_columns(
            pl.lit(None, pl.String).alias("place"), pl.lit(None, pl.Float64).alias("radius_m"),
            pl.lit(None, pl.Float64).alias("distance_m"), pl.lit(None, pl.String).alias("status"))
    pairs = points.join(_places_frame(places), how="cross").with_columns(
        haversine_m(pl.col("lat"), pl.col("lon"), pl.col("place_lat"), pl.col("place_lon")).alias("distance_m"),
    ).with_columns(
        boundary_status(pl.col("distance_m"), pl.col("accuracy_m"), pl.col("radius_m")).alias("status"),
    )
    return pairs.filter(pl.col("status").is_in([*PRESENT, *POSSIBLE])).drop("place_lat", "place_lon")


def _certainty(statuses: list[str]) -> str:
    if all(s == INSIDE for s in statuses):
        return "every position's accuracy circle lies wholly inside the radius"
    return "positions inside the radius, but some accuracy circles straddle the boundary"


def _possible(statuses: list[str]) -> str:
    parts = []
    if OUTSIDE_STRADDLES in statuses:
        parts.append("reported positions outside the radius whose accuracy circles reach inside")
    if ACCURACY_UNKNOWN in statuses:
        parts.append("reported positions inside the radius with no stated accuracy")
    return "; ".join(parts) + ": possible presence only"


def place_episodes(pairs: pl.DataFrame, options: ConductOptions, *, present: bool = True) -> list[dict[str, Any]]:
    """Group place pairs into episodes (per place, split by gaps)."""
    wanted = PRESENT if present else POSSIBLE
    rows = pairs.filter(pl.col("status").is_in(list(wanted)))
    if rows.height == 0:
        return []
    rows = episodes(rows, by=["place"], gap_minutes=options.episode_gap_minutes)
    grouped = rows.group_by("episode", maintain_order=True).agg(
        pl.col("place").first(), pl.col("radius_m").first(),
        pl.col("ts_utc").min().alias("start"), pl.col("ts_utc").max().alias("end"),
        pl.col("event_id").sort().alias("event_ids"), pl.len().alias("points"),
        pl.col("distance_m").min().alias("min_distance_m"), pl.col("accuracy_m").max().alias("max_accuracy_m"),
        pl.col("status").alias("statuses"), pl.col("channel").drop_nulls().unique().sort().alias("channels"),
        pl.col("ts_utc").alias("times"),
    ).sort(["start", "place"])
    out = []
    for r in grouped.iter_rows(named=True):
        acc = r["max_accuracy_m"]
        out.append({
            "kind": "protected-place", "place": r["place"], "radius_m": r["radius_m"], "start": r["start"],
            "end": r["end"], "event_ids": r["event_ids"], "points": r["points"],
            "min_distance_m": round(r["min_distance_m"], 1), "max_accuracy_m": acc,
            "certainty": _certainty(r["statuses"]) if present else _possible(r["statuses"]),
            "statuses": sorted(set(r["statuses"])), "channels": r["channels"],
            "times": r["times"],
            "precision": f"positions from {location_sources(r['channels'])}, "
                         f"{f'stated accuracy up to ±{acc:.0f} m' if acc is not None else 'no stated accuracy'}; "
                         f"place radius {r['radius_m']:.0f} m",
        })
        if not present:
            out[-1]["basis"] = _possible_basis(r)
    return out


def _possible_basis(r: dict[str, Any]) -> str:
    """Exactly what a possible presence rests on: which records, and why they cannot show presence."""
    why = []
    if ACCURACY_UNKNOWN in r["statuses"]:
        why.append("reported inside the radius but with no stated accuracy")
    if OUTSIDE_STRADDLES in r["statuses"]:
        why.append("reported outside the radius, with an accuracy circle reaching inside")
    what = location_sources(r["channels"])
    n = len(r["event_ids"])
    return (f"{n} position{'s' if n != 1 else ''} from {what} {' or '.join(why)}, closest {r['min_distance_m']:.0f} m from "
            f"the centre of {r['place']} (radius {r['radius_m']:.0f} m): not a cell site, not a proposed link")


def _near_pairs(suspect: pl.DataFrame, victim: pl.DataFrame, options: ConductOptions) -> pl.DataFrame:
    """For each of his positions, the nearest of her positions at about the same time, if near.

    Records are time intervals (a visit has an end; a fix is an instant). Candidate pairs
    come from one equi-join on time buckets one window wide (his buckets over his
    interval; hers over her interval widened by one bucket each side), so every pair at
    most a window apart is compared and nothing hours apart is. Positions less precise
    than ``near_m`` are not used; one with no stated accuracy is taken at its reported
    point (and the episode says "accuracy not stated").
    """
    width = options.colocation_window_minutes * 60_000_000
    precise = pl.col("accuracy_m").is_null() | (pl.col("accuracy_m") <= options.near_m)
    s = suspect.filter(precise).with_columns(
        pl.col("ts_utc").dt.epoch("us").alias("s0"),
        pl.coalesce("ts_end_utc", "ts_utc").dt.epoch("us").alias("s1"),
    ).with_columns(pl.int_ranges(pl.col("s0") // width, pl.col("s1") // width + 1).alias("bucket")).explode("bucket")
    v = victim.filter(precise).select(
        pl.col("ts_utc").alias("v_ts"), pl.col("event_id").alias("v_event_id"), pl.col("lat").alias("v_lat"),
        pl.col("lon").alias("v_lon"), pl.col("accuracy_m").alias("v_acc"), pl.col("channel").alias("v_channel"),
        pl.col("ts_utc").dt.epoch("us").alias("v0"), pl.coalesce("ts_end_utc", "ts_utc").dt.epoch("us").alias("v1"),
    ).with_columns(pl.int_ranges(pl.col("v0") // width - 1, pl.col("v1") // width + 2).alias("bucket")).explode("bucket")
    pairs = s.join(v, on="bucket", how="inner").unique(["event_id", "v_event_id"], keep="first").with_columns(
        ((pl.max_horizontal("s0", "v0") - pl.min_horizontal("s1", "v1")).clip(lower_bound=0) / 1e6).alias("dt_s"),
    ).filter(pl.col("dt_s") <= options.colocation_window_minutes * 60)
    slack = pl.col("accuracy_m").fill_null(0.0) + pl.col("v_acc").fill_null(0.0)
    standard = LocationStandard.of(options)
    near = pairs.with_columns(
        haversine_m(pl.col("lat"), pl.col("lon"), pl.col("v_lat"), pl.col("v_lon")).alias("distance_m"),
        # the same grade for his position and hers: a pair is definite only when both are
        ((standard.grade_expr(pl.col("accuracy_m")) == DEFINITE)
         & (standard.grade_expr(pl.col("v_acc")) == DEFINITE)).alias("definite"),
    ).filter(pl.col("distance_m") - slack <= options.near_m)
    # for each of his positions, her nearest position that makes a definite pair, else her nearest
    return near.sort(["event_id", "definite", "distance_m", "v_event_id"], descending=[False, True, False, False]).unique(
        "event_id", keep="first").drop("bucket").sort(["ts_utc", "event_id"])


def victim_colocations(suspect: pl.DataFrame, victim: pl.DataFrame, places: list[Place],
                       options: ConductOptions) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Episodes when his reported positions were near hers at about the same time: (definite,
    possible), graded by :class:`~.location_standard.LocationStandard` (a pair resting on a
    position with no stated accuracy, his or hers, is possible only)."""
    if suspect.height == 0 or victim.height == 0:
        return [], []
    near = _near_pairs(suspect, victim, options)
    definite = _victim_episodes(near.filter(pl.col("definite")), places, options, definite=True)
    possible = _victim_episodes(near.filter(~pl.col("definite")), places, options, definite=False)
    return definite, possible


def _victim_episodes(near: pl.DataFrame, places: list[Place], options: ConductOptions, *,
                     definite: bool) -> list[dict[str, Any]]:
    if near.height == 0:
        return []
    near = episodes(near.with_columns(pl.lit("victim").alias("with")), by=["with"], gap_minutes=options.episode_gap_minutes)
    grouped = near.group_by("episode", maintain_order=True).agg(
        pl.col("ts_utc").min().alias("start"), pl.col("ts_utc").max().alias("end"),
        pl.col("event_id").unique().sort().alias("event_ids"), pl.col("v_event_id").unique().sort().alias("victim_event_ids"),
        pl.col("distance_m").min().alias("min_distance_m"), pl.col("dt_s").max().alias("max_dt_s"),
        pl.col("accuracy_m").max().alias("acc"), pl.col("v_acc").max().alias("v_acc"),
        pl.col("accuracy_m").is_null().any().alias("his_unstated"), pl.col("v_acc").is_null().any().alias("her_unstated"),
        pl.col("v_lat").mean().alias("lat"), pl.col("v_lon").mean().alias("lon"),
        pl.col("channel").drop_nulls().unique().sort().alias("channels"),
        pl.col("v_channel").drop_nulls().unique().sort().alias("v_channels"),
        pl.col("ts_utc").alias("times"),
    ).sort("start")
    out = []
    for r in grouped.iter_rows(named=True):
        at = next((p.name for p in places if distance_m((r["lat"], r["lon"]), (p.lat, p.lon)) <= p.radius_m), None)
        acc = _accuracy_words(r["acc"], r["his_unstated"])
        v_acc = _accuracy_words(r["v_acc"], r["her_unstated"])
        out.append({
            "kind": "victim-location", "place": at, "start": r["start"], "end": r["end"],
            "event_ids": r["event_ids"], "victim_event_ids": r["victim_event_ids"], "points": len(r["event_ids"]),
            "min_distance_m": round(r["min_distance_m"], 1), "max_time_apart_s": round(r["max_dt_s"]),
            "lat": round(r["lat"], 5), "lon": round(r["lon"], 5), "channels": r["channels"], "times": r["times"],
            "certainty": (f"reported positions within {options.near_m:.0f} m of each other allowing for their stated "
                          f"accuracy, at most {options.colocation_window_minutes} min apart") if definite else
                         (f"reported positions within {options.near_m:.0f} m of each other, at most "
                          f"{options.colocation_window_minutes} min apart, but "
                          + _unstated(r["his_unstated"], r["her_unstated"]) + ": possible co-location only"),
            "suspect_accuracy": acc, "victim_accuracy": v_acc,
            "precision": f"suspect: {location_sources(r['channels'])} ({acc}); victim: "
                         f"{location_sources(r['v_channels'])} ({v_acc})",
        })
    return out


def _accuracy_words(widest: float | None, some_unstated: bool) -> str:
    """One side's stated accuracy in an episode, in words: the widest stated, and whether some positions
    state none (an episode mixing both once read "±52 m" beside "positions of both have no stated
    accuracy", which looked like a contradiction)."""
    if widest is None:
        return "accuracy not stated"
    if some_unstated:
        return f"±{widest:.0f} m at most where stated; some positions state no accuracy"
    return f"±{widest:.0f} m"


def _unstated(his: bool, hers: bool) -> str:
    """Whose positions lack a stated accuracy, in words."""
    if his and hers:
        return "positions of both devices include some with no stated accuracy"
    return ("a position of the suspect's device has no stated accuracy" if his
            else "a position of the victim's device has no stated accuracy")


@dataclass
class CovertPattern:
    occasions: int
    locations: int
    flagged: bool
    detail: list[dict[str, Any]]
    rule: str

    def to_json(self) -> dict[str, Any]:
        return {"occasions": self.occasions, "distinct_locations": self.locations, "flagged": self.flagged,
                "locations": self.detail, "rule": self.rule}


def covert_pattern(colocations: list[dict[str, Any]], zone_of: Any, options: ConductOptions) -> CovertPattern:
    """Repeated presence near the victim at several of *her* changing locations."""
    clusters: list[dict[str, Any]] = []
    for c in colocations:
        home = next((k for k in clusters if distance_m((k["lat"], k["lon"]), (c["lat"], c["lon"])) <= SAME_LOCATION_M), None)
        if home is None:
            home = {"lat": c["lat"], "lon": c["lon"], "place": c["place"], "dates": set(), "episodes": 0}
            clusters.append(home)
        home["dates"].add(zone_of(c["start"]))
        home["episodes"] += 1
    occasions = len({zone_of(c["start"]) for c in colocations})
    flagged = occasions >= options.covert_min_occasions and len(clusters) >= options.covert_min_locations
    detail = [{"lat": k["lat"], "lon": k["lon"], "place": k["place"], "episodes": k["episodes"],
               "dates": sorted(d.isoformat() for d in k["dates"])} for k in clusters]
    rule = (f"flagged when the suspect's device is near the victim's own positions on at least "
            f"{options.covert_min_occasions} days at at least {options.covert_min_locations} distinct locations "
            f"(locations closer than {SAME_LOCATION_M:.0f} m are one)")
    return CovertPattern(occasions, len(clusters), flagged, detail, rule)


def cell_serving(cells: pl.DataFrame, places: list[Place], options: ConductOptions) -> list[dict[str, Any]]:
    """Cell-site records whose serving cell could cover a place: 'cell serving the area'."""
    if cells.height == 0 or not places:
        return []
    zones = _places_frame(places).rename({"radius_m": "place_radius_m"})
    pairs = cells.join(zones, how="cross").with_columns(
        haversine_m(pl.col("lat"), pl.col("lon"), pl.col("place_lat"), pl.col("place_lon")).alias("distance_m"),
    ).filter(pl.col("distance_m") <= pl.col("radius_m") + pl.col("place_radius_m"))
    if pairs.height == 0:
        return []
    pairs = episodes(pairs, by=["place"], gap_minutes=options.episode_gap_minutes)
    grouped = pairs.group_by("episode", maintain_order=True).agg(
        pl.col("place").first(), pl.col("ts_utc").min().alias("start"), pl.col("ts_utc").max().alias("end"),
        pl.col("event_id").sort().alias("event_ids"), pl.col("cell_id").unique().sort().alias("cells"),
        pl.col("distance_m").min().alias("min_site_distance_m"),
    ).sort(["start", "place"])
    return [{
        "kind": "cell-serving-area", "place": r["place"], "start": r["start"], "end": r["end"],
        "event_ids": r["event_ids"], "cells": r["cells"], "min_site_distance_m": round(r["min_site_distance_m"]),
        "note": "cell serving the area: the cell that served the phone could cover this place; this shows the phone "
                "was somewhere in the area the cell serves, not that it was at the place",
    } for r in grouped.iter_rows(named=True)]


def as_times(values: list[datetime]) -> list[str]:
    return [v.isoformat() for v in values]
