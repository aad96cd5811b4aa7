"""Conduct analysis at scale: how ``atlas.conduct.analyse`` grows with the case, and the
vectorised co-location join against a plain Python loop over the same points.

Cases are written straight into the store (Polars expressions, no parser), so this
measures the analysis only: one source of SMS and calls between the suspect, the
victim and background numbers, one location history per device.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from atlas.conduct import ConductOptions, analyse
from atlas.conduct.colocation import _near_pairs
from atlas.conduct.geo import distance_m
from atlas.model import EVENT_SCHEMA, conform, empty_evidence, empty_rejects
from atlas.store import Case, StagedSource, init_case
from bench.common import Stage, scaled

MANIFEST = """
[case]
reference = "OP-BENCH-CONDUCT"
officer = "DC 0003 Bench"
exhibit_prefix = "BC"
charge_date = 2026-12-01

[[party]]
id = "victim"
role = "victim"
name = "Vera Victim"
identifiers = ["tel:+447700900101"]

[[party]]
id = "suspect"
role = "suspect"
name = "Simon Suspect"
identifiers = ["tel:+447700900102"]

[[place]]
name = "victim home"
party = "victim"
lat = 51.5074
lon = -0.1278
radius_m = 200

[[order]]
type = "restraining-order"
against = "suspect"
protects = "victim"
start = 2026-03-01T09:00:00Z
exclusion_zones = ["victim home"]
reference = "RO-BENCH"
"""
VICTIM, SUSPECT = "tel:+447700900101", "tel:+447700900102"
START = datetime(2025, 6, 1, tzinfo=UTC)


def _source(sid: str, owner: str, frame: pl.DataFrame) -> StagedSource:
    frame = conform(frame.with_columns(
        (pl.lit(sid + "/row ") + pl.col("i").cast(pl.String)).alias("event_id"),
        ("row " + pl.col("i").cast(pl.String)).alias("source_ref"), pl.lit(sid).alias("source_id"),
        pl.lit("utc").alias("ts_basis"), pl.lit(False).alias("deleted"),
        pl.lit([], pl.List(pl.String)).alias("attachments"),
    ).drop("i"), EVENT_SCHEMA)
    source = {"source_id": sid, "path": sid, "name": sid, "size": 1, "sha256": sid * 4, "format": "bench",
              "parser": "bench", "parser_version": "1", "owner": owner, "region": "GB", "timezone": "Europe/London",
              "assumptions": [], "records_read": frame.height, "events": frame.height, "rejects": 0}
    return StagedSource(source, frame, empty_rejects(), empty_evidence())


def build(root: Path, n_contacts: int, n_points: int) -> Case:
    init_case(root, MANIFEST)
    span_s = 400 * 86400
    i = pl.int_range(0, n_contacts, eager=True)
    who = (i * 7919) % 10
    contacts = pl.DataFrame({"i": i}).with_columns(
        (pl.lit(START) + pl.duration(seconds=(pl.col("i") * 104729) % span_s)).alias("ts_utc"),
        pl.when(who < 3).then(pl.lit(SUSPECT)).when(who < 4).then(pl.lit(VICTIM))
        .otherwise(pl.format("tel:+44770090{}", (pl.col("i") % 800 + 200).cast(pl.String))).alias("sender"),
        pl.when(who < 3).then(pl.lit(VICTIM)).when(who < 4).then(pl.lit(SUSPECT)).otherwise(pl.lit(VICTIM)).alias("r"),
        pl.when(pl.col("i") % 3 == 0).then(pl.lit("call")).otherwise(pl.lit("message")).alias("kind"),
        pl.when(pl.col("i") % 3 == 0).then(pl.lit("voice")).otherwise(pl.lit("sms")).alias("channel"),
        pl.when(pl.col("i") % 3 == 0).then(pl.lit("missed")).otherwise(None).alias("status"),
        pl.when(pl.col("i") % 3 == 0).then(None).otherwise(pl.lit("Why are you ignoring me?")).alias("text"),
    ).with_columns(pl.concat_list("r").alias("recipients"), pl.lit("in").alias("direction")).drop("r")
    j = pl.int_range(0, n_points, eager=True)
    def track(offset: int, lat0: float, lon0: float) -> pl.DataFrame:
        return pl.DataFrame({"i": j}).with_columns(
            (pl.lit(START) + pl.duration(seconds=(pl.col("i") * span_s) // n_points + offset)).alias("ts_utc"),
            (lat0 + ((pl.col("i") * 37) % 1000 - 500) * 2e-5).alias("lat"),
            (lon0 + ((pl.col("i") * 53) % 1000 - 500) * 3e-5).alias("lon"),
            pl.lit(15.0).alias("accuracy_m"), pl.lit("location").alias("kind"), pl.lit("gps").alias("channel"),
            pl.lit([], pl.List(pl.String)).alias("recipients"),
        )
    case = Case.open(root)
    case.commit([
        _source("b000000000000001", VICTIM, contacts),
        _source("b000000000000002", SUSPECT, track(0, 51.5074, -0.1278)),
        _source("b000000000000003", VICTIM, track(120, 51.5074, -0.1278)),
    ])
    return Case.open(root)


def _python_near(suspect: pl.DataFrame, victim: pl.DataFrame, window_s: float, near_m: float) -> int:
    """The obvious per-point loop: for each of his points, scan hers for one close in time and space."""
    her = list(zip(victim["ts_utc"].to_list(), victim["lat"].to_list(), victim["lon"].to_list(), strict=True))
    hits = 0
    for t, lat, lon in zip(suspect["ts_utc"].to_list(), suspect["lat"].to_list(), suspect["lon"].to_list(), strict=True):
        for vt, vlat, vlon in her:
            if abs((t - vt).total_seconds()) <= window_s and distance_m((lat, lon), (vlat, vlon)) - 30 <= near_m:
                hits += 1
                break
    return hits


def run(work: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    times = {}
    small, big = scaled(20_000, 200), scaled(200_000, 2_000)
    for n in (small, big):
        case = build(work / f"case-{n}", n, n // 4)
        t = time.perf_counter()
        result = analyse(case, as_of=date(2026, 11, 22))
        times[n] = time.perf_counter() - t
        out[f"events_{n + 2 * (n // 4)}"] = {
            "analyse_s": round(times[n], 2), "incidents": len(result.incidents), "breaches": len(result.breaches),
            "conduct_contacts": result.course_of_conduct["conduct_contacts"],
        }
    out["growth_ratio_10x_events"] = round(times[big] / times[small], 2)
    points = scaled(3000, 50)
    s = pl.read_parquet(work / f"case-{small}" / "store" / "events" / "b000000000000002.parquet").head(points)
    v = pl.read_parquet(work / f"case-{small}" / "store" / "events" / "b000000000000003.parquet").head(points)
    options = ConductOptions()
    t = time.perf_counter()
    fast = _near_pairs(s, v, options).height
    t_fast = time.perf_counter() - t
    t = time.perf_counter()
    slow = _python_near(s, v, options.colocation_window_minutes * 60, options.near_m)
    t_slow = time.perf_counter() - t
    out["colocation"] = {"points_each": points, "vectorised_s": round(t_fast, 4), "python_loop_s": round(t_slow, 3),
                         "speedup": round(t_slow / t_fast, 1) if t_fast else None,
                         "near_points": fast, "near_points_python": slow}
    events_big = big + 2 * (big // 4)
    out["stages"] = [
        Stage(f"conduct analysis, {events_big} events", times[big], f"the same analysis of a case 10x smaller ({small + 2 * (small // 4)} events)",
              times[small], records=events_big, target_ratio=10.0, note="linear growth: at most 10x for 10x the events").as_dict(),
        Stage(f"co-location join, {points}x{points} points", t_fast, "the plain per-point Python loop (same points)",
              t_slow, records=2 * points, note=f"{fast} near points each way" if fast == slow else "COUNTS DIFFER").as_dict(),
    ]
    return out
