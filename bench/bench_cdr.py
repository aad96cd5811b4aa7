"""A 2,000,000-row call data record CSV: a bare ``polars.read_csv`` against Atlas's whole
ingest of the same file (read once and hashed, parse those bytes, normalise numbers and
times, check the file unchanged, commit to the store: :func:`atlas.ingest.read_whole`), same run.

Issue 5's target (3x the bare read) is replaced by issue 18's: the ingest within 1.5x the
I/O floor below. The machine is shared, so every side is timed ``REPEATS`` times,
interleaved (read, floor, ingest, parses, read ...) so they see the same load, and the
ratios are of the best times; the first ingest of a process
also pays for importing every parser module (reported as ``atlas_ingest_first_s``).
Per-stage seconds come from a second, instrumented pass through the same functions the
ingest uses, with the store's own Parquet writer. The I/O floor (issue 18's reference: the
ingest within 1.5x of it) is what no ingest can skip, run as one timed unit interleaved
with the ingest and best of the same runs: hash the file, read every field as text, write
the normalised events and the ``cdr`` table with the store's writer. The parse alone is
timed in the same loop for the return as written (UTC) and for the same file read as a
UK-local-time return (``--map`` with the zone changed). CPU seconds (this process, all
threads) are given beside wall seconds.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from atlas.ingest import IngestOptions, ingest
from atlas.model import REJECT_SCHEMA, conform
from atlas.normalise import to_events
from atlas.normalise.identifiers import identifier_uri
from atlas.store import Case
from atlas.store.case import _write_parquet, init_case
from atlas.store.hashing import sha256_file
from atlas.store.manifest import TEMPLATE
from bench.common import Stage, repeats, scaled
from parsers import cdr
from parsers.base import ParseContext

REPEATS = 3
N = 2_000_000
TARGET = "07700900002"


def write_cdr(path: Path, n: int = N, seed: int = 11) -> None:
    """A calling-called layout return: ~5,000 other parties, a year of network time,
    ~3,000 cells, one handset; written with Polars so generation is not the benchmark."""
    i = pl.int_range(0, n, eager=True).alias("i")
    frame = pl.DataFrame(i).with_columns(
        ((pl.col("i") * 2_654_435_761 + seed) % 1_000_003).alias("h"),
    ).with_columns(
        (pl.lit("07700") + (900000 + pl.col("h") % 5000).cast(pl.String)).alias("other"),
        (pl.col("h") % 3 == 0).alias("incoming"),
        (pl.datetime(2026, 1, 1) + pl.duration(seconds=pl.col("i") * 15 + pl.col("h") % 11)).alias("ts"),
        (pl.col("h") % 7).alias("kind"),
        (pl.col("h") % 900).alias("dur"),
        (1000 + pl.col("h") % 40).cast(pl.String).alias("lac"),
        (20000 + pl.col("h") % 3000).cast(pl.String).alias("ci"),
    )
    out = frame.select(
        pl.when(pl.col("incoming")).then(pl.col("other")).otherwise(pl.lit(TARGET)).alias("Calling Number"),
        pl.when(pl.col("incoming")).then(pl.lit(TARGET)).otherwise(pl.col("other")).alias("Called Number"),
        pl.col("ts").dt.strftime("%d/%m/%Y %H:%M:%S").alias("Start Date Time"),
        pl.when(pl.col("kind") < 3).then(pl.col("dur")).otherwise(0).cast(pl.String).alias("Duration (s)"),
        pl.when(pl.col("kind") < 3).then(pl.lit("Voice")).when(pl.col("kind") < 6).then(pl.lit("SMS"))
        .otherwise(pl.lit("Data")).alias("Call Type"),
        pl.when(pl.col("incoming")).then(pl.lit("MT")).otherwise(pl.lit("MO")).alias("Direction"),
        pl.col("lac").alias("First LAC"), pl.col("ci").alias("First Cell ID"),
        pl.col("lac").alias("Last LAC"), pl.col("ci").alias("Last Cell ID"),
        pl.lit("356938035643809").alias("IMEI"), pl.lit("234100000000001").alias("IMSI"), pl.lit("N").alias("Roaming"),
    )
    with path.open("w", encoding="utf-8") as fh:
        fh.write(f"Communications data return\nTarget Number,{TARGET}\n\n")
    with path.open("a", encoding="utf-8") as fh:
        out.write_csv(fh)


def _stages(path: Path, work: Path) -> dict[str, float]:
    """The ingest's steps, timed one by one (the same functions ``ingest_file`` and
    ``Case.commit`` call; the real ingest reads the file once into memory, hashes and parses those bytes)."""
    out: dict[str, float] = {}
    t = time.perf_counter()
    sha256_file(path)
    out["hash_s"] = time.perf_counter() - t
    ctx = ParseContext(source_id="bench", path=path, convert_identifiers=True)  # as the ingest asks
    t = time.perf_counter()
    result = cdr.parse(path, ctx)
    out["parse_s"] = time.perf_counter() - t
    owner = identifier_uri(result.owner, source_id="bench", region="GB") if result.owner else None
    t = time.perf_counter()
    normalised = to_events(result.events, source_id="bench", timezone="Europe/London", region="GB",
                           owner_uris=[owner] if owner else [], identifiers_are_uris=result.identifiers_are_uris,
                           refs_unique=result.refs_unique)
    conform(result.rejects, REJECT_SCHEMA)
    out["normalise_s"] = time.perf_counter() - t
    t = time.perf_counter()
    _write_parquet(normalised.events, work / "stage" / "events.parquet")
    for name, frame in result.extra.items():
        _write_parquet(frame, work / "stage" / f"{name}.parquet")
    out["write_s"] = time.perf_counter() - t
    return {k: round(v, 3) for k, v in out.items()}


def _floor_frames(path: Path) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """The tables an ingest of ``path`` writes (the normalised events, the ``cdr`` table),
    made once: the floor writes these same frames."""
    result = cdr.parse(path, ParseContext(source_id="bench", path=path))
    owner = identifier_uri(result.owner, source_id="bench", region="GB") if result.owner else None
    normalised = to_events(result.events, source_id="bench", timezone="Europe/London", region="GB",
                           owner_uris=[owner] if owner else [], identifiers_are_uris=result.identifiers_are_uris,
                           refs_unique=result.refs_unique)
    return normalised.events, dict(result.extra)


def _floor(path: Path, events: pl.DataFrame, extra: dict[str, pl.DataFrame], out: Path) -> None:
    """What no ingest can avoid: hash the file, read every field as text (provider layouts
    vary, so types are decided per template, not inferred), write the events and the CDR
    detail table as the store writes them."""
    sha256_file(path)
    pl.read_csv(path, skip_rows=3, infer_schema=False)
    _write_parquet(events, out / "events.parquet")
    for name, frame in extra.items():
        _write_parquet(frame, out / f"{name}.parquet")


def _local_template(work: Path) -> Path:
    """The calling-called layout with its zone changed to UK local time (a ``--map`` file)."""
    local = work / "local_time_template.toml"
    blocks = re.split(r"(?m)^\[\[template\]\]$", cdr.TEMPLATES_PATH.read_text(encoding="utf-8"))
    local.write_text("[[template]]" + blocks[1].replace('timezone = "UTC"', 'timezone = "Europe/London"'),
                     encoding="utf-8")
    return local


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    t, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t, time.process_time() - c


def run(work: Path) -> dict[str, object]:
    path = work / "cdr.csv"
    write_cdr(path, scaled(N, 1000))
    runs = repeats(REPEATS)
    steps = _stages(path, work)
    events, extra = _floor_frames(path)
    local = _local_template(work)
    sides: dict[str, list[tuple[float, float]]] = {k: [] for k in ("read", "floor", "ingest", "parse_utc", "parse_local")}
    outcome = None
    baseline = pl.DataFrame()
    for i in range(runs):  # interleaved, so every side sees the same load
        t = time.perf_counter()
        c = time.process_time()
        baseline = pl.read_csv(path, skip_rows=3)
        sides["read"].append((time.perf_counter() - t, time.process_time() - c))
        floor_dir = work / f"floor{i}"
        floor_dir.mkdir()
        sides["floor"].append(_timed(functools.partial(_floor, path, events, extra, floor_dir)))
        init_case(work / f"case{i}", TEMPLATE)
        case = Case.open(work / f"case{i}")
        t, c = time.perf_counter(), time.process_time()
        outcome = ingest(case, [path], IngestOptions())[0]
        sides["ingest"].append((time.perf_counter() - t, time.process_time() - c))
        # the parse as the ingest asks it (identifiers as URIs where the parser makes them)
        sides["parse_utc"].append(_timed(lambda: cdr.parse(path, ParseContext(source_id="bench", path=path,
                                                                               convert_identifiers=True))))
        sides["parse_local"].append(_timed(lambda: cdr.parse(path, ParseContext(
            source_id="bench", path=path, options={"map": str(local)}, convert_identifiers=True))))
    assert outcome is not None
    best = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in sides.items()}
    read_s, floor_s, ingest_s = best["read"][0], best["floor"][0], best["ingest"][0]
    return {
        "rows": baseline.height, "file_mb": round(path.stat().st_size / 1e6, 1),
        "polars_read_csv_s": round(read_s, 3), "atlas_ingest_s": round(ingest_s, 3),
        "atlas_ingest_cpu_s": round(best["ingest"][1], 3),
        "atlas_ingest_first_s": round(sides["ingest"][0][0], 3),
        "ratio": round(ingest_s / read_s, 2), "target_ratio": 1.5,
        "io_floor_s": round(floor_s, 3), "io_floor_cpu_s": round(best["floor"][1], 3),
        "io_floor_ratio": round(floor_s / read_s, 2),
        "ingest_over_floor": round(ingest_s / floor_s, 2),
        "ingest_over_floor_cpu": round(best["ingest"][1] / best["floor"][1], 2) if best["floor"][1] > 0 else None,
        "parse_utc_s": round(best["parse_utc"][0], 3), "parse_utc_cpu_s": round(best["parse_utc"][1], 3),
        "parse_uk_local_time_s": round(best["parse_local"][0], 3),
        "parse_uk_local_time_cpu_s": round(best["parse_local"][1], 3),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "what": f"best of {runs} interleaved runs each side (bare read, floor, ingest, parse UTC, parse UK local)",
        "store_mb": round(sum(f.stat().st_size for f in (work / "case0" / "store").rglob("*.parquet")) / 1e6, 1),
        "events": outcome.events, "rejects": outcome.rejects, "steps": steps,
        "stages": [
            Stage("CDR CSV ingest (hash, parse, normalise, store)", ingest_s, "the I/O floor: hash + read every field as "
                  "text + write the tables (same file, interleaved)", floor_s, records=baseline.height, target_ratio=1.5,
                  note=f"CPU {best['ingest'][1]:.2f} s against {best['floor'][1]:.2f} s").as_dict(),
            Stage("CDR CSV ingest against a bare read", ingest_s, "bare polars.read_csv with inferred types (same file)",
                  read_s, records=baseline.height, note="issue 5's 3x target, replaced by the I/O floor").as_dict(),
        ],
    }


if __name__ == "__main__":
    import json
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        print(json.dumps(run(Path(d)), indent=1))
        sys.exit(0)
