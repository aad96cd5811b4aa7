"""A 2,000,000-row CDR in a layout no template names: ingested with its columns mapped by
meaning, against the same file ingested with a template (the one ``atlas map`` writes for
it, passed as ``--map``), same run.

Issue target: mapping by meaning costs no more than reading the header and a sample of
rows, so the two ingests are within 10 % of each other. Both sides run ``REPEATS`` times,
interleaved (template, meaning, template, meaning ...) so a busy shared machine slows them
alike; the ratio is of the best times. Parse-only times are reported beside them.
"""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl

from atlas.ingest import IngestOptions, ingest
from atlas.store import Case
from atlas.store.case import init_case
from atlas.store.manifest import TEMPLATE
from bench.common import Stage, scaled
from bench.common import repeats as scaled_repeats
from parsers import cdr
from parsers._cdr_meaning import propose_for_file
from parsers.base import ParseContext

REPEATS = 3
N = 2_000_000
TARGET = "07700900002"
HEADER = ("Target Number", "Other Party", "Call Type", "Direction", "Start Date (UTC)", "Start Time (UTC)",
          "Duration (hh:mm:ss)", "Start Cell", "End Cell", "IMEI", "IMSI")


def write_unseen_cdr(path: Path, n: int = N, seed: int = 11) -> None:
    """The issue's unseen layout: target + other party, direction column, separate UTC date and
    time, hh:mm:ss durations, LAC-CI cells; written with Polars so generation is not timed."""
    i = pl.int_range(0, n, eager=True).alias("i")
    frame = pl.DataFrame(i).with_columns(((pl.col("i") * 2_654_435_761 + seed) % 1_000_003).alias("h")).with_columns(
        (pl.lit("07700") + (900000 + pl.col("h") % 5000).cast(pl.String)).alias("other"),
        (pl.col("h") % 3 == 0).alias("incoming"),
        (pl.datetime(2026, 1, 1) + pl.duration(seconds=pl.col("i") * 15 + pl.col("h") % 11)).alias("ts"),
        (pl.col("h") % 7).alias("kind"),
        (pl.col("h") % 900).alias("dur"),
        ((1000 + pl.col("h") % 40).cast(pl.String) + "-" + (20000 + pl.col("h") % 3000).cast(pl.String)).alias("cell"),
    )
    voice = pl.col("kind") < 3
    out = frame.select(
        pl.lit(TARGET).alias(HEADER[0]),
        pl.when(pl.col("kind") < 6).then(pl.col("other")).otherwise(pl.lit("")).alias(HEADER[1]),
        pl.when(voice).then(pl.lit("Voice")).when(pl.col("kind") < 6).then(pl.lit("SMS")).otherwise(pl.lit("Data"))
        .alias(HEADER[2]),
        pl.when(pl.col("incoming")).then(pl.lit("Incoming")).otherwise(pl.lit("Outgoing")).alias(HEADER[3]),
        pl.col("ts").dt.strftime("%d/%m/%Y").alias(HEADER[4]),
        pl.col("ts").dt.strftime("%H:%M:%S").alias(HEADER[5]),
        pl.when(voice).then(pl.format("{}:{}:{}", (pl.col("dur") // 3600).cast(pl.String).str.zfill(2),
                                      (pl.col("dur") // 60 % 60).cast(pl.String).str.zfill(2),
                                      (pl.col("dur") % 60).cast(pl.String).str.zfill(2))).otherwise(pl.lit(""))
        .alias(HEADER[6]),
        pl.col("cell").alias(HEADER[7]), pl.col("cell").alias(HEADER[8]),
        pl.lit("356938035643809").alias(HEADER[9]), pl.lit("234100000000001").alias(HEADER[10]),
    )
    out.write_csv(path)


def run(work: Path, n: int | None = None, repeats: int | None = None) -> dict[str, object]:
    n = n if n is not None else scaled(N, 1000)
    runs = repeats if repeats is not None else scaled_repeats(REPEATS)
    path = work / "unseen_cdr.csv"
    write_unseen_cdr(path, n)
    proposal = propose_for_file(path).proposal
    assert proposal is not None and proposal.ok, proposal
    template = work / "unseen.map.toml"
    template.write_text(proposal.toml(path.name), encoding="utf-8")
    sides = {"meaning": IngestOptions(), "template": IngestOptions(options={"map": str(template)})}
    times: dict[str, list[float]] = {k: [] for k in sides}
    counts: dict[str, set[tuple[int, int]]] = {k: set() for k in sides}
    for r in range(runs):
        for name, opts in (("template", sides["template"]), ("meaning", sides["meaning"])):
            root = work / f"case-{name}-{r}"
            init_case(root, TEMPLATE)
            case = Case.open(root)
            t = time.perf_counter()
            outcome = ingest(case, [path], opts)[0]
            times[name].append(time.perf_counter() - t)
            counts[name].add((outcome.events, outcome.rejects))
    parse_s = {}
    for name, opts in sides.items():
        t = time.perf_counter()
        cdr.parse(path, ParseContext(source_id="bench", path=path, options=dict(opts.options)))
        parse_s[name] = round(time.perf_counter() - t, 3)
    best = {k: min(v) for k, v in times.items()}
    return {
        "rows": n, "file_mb": round(path.stat().st_size / 1e6, 1),
        "what": f"whole ingest, best of {runs} interleaved runs each side",
        "ingest_with_template_s": round(best["template"], 3), "ingest_mapped_by_meaning_s": round(best["meaning"], 3),
        "ratio": round(best["meaning"] / best["template"], 3), "target_ratio": 1.10,
        "parse_with_template_s": parse_s["template"], "parse_mapped_by_meaning_s": parse_s["meaning"],
        "same_counts": counts["meaning"] == counts["template"] and len(counts["meaning"]) == 1,
        "events_rejects": sorted(counts["meaning"]),
        "stages": [Stage("CDR in an unseen layout, mapped by meaning", best["meaning"],
                         "the same file with its template (--map)", best["template"], records=n, target_ratio=1.10).as_dict()],
    }


if __name__ == "__main__":
    import json
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        print(json.dumps(run(Path(d)), indent=1))
        sys.exit(0)
