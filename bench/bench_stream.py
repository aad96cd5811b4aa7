"""Bigger than memory: generated CDR cases of 1 M and 10 M events (100 M on request)
ingested, accounted for, de-duplicated and analysed through :mod:`atlas.stream`.

Each stage runs in its own fresh process, so its peak memory (``VmHWM``) is its own and
its CPU seconds (``process_time``: every thread) are beside its wall seconds. References,
same run, same files: a bare streaming read of every field of the CDR CSVs
(``pl.scan_csv``, all text) for the ingest, and a bare streaming ``pl.scan_parquet`` of
the store's event partitions decoding every text column and the time, for the stages that
scan the store (the row counts alone, ``pl.scan_parquet(...).select(pl.len())``, are
recorded as ``count_s``: they read only metadata); each reference is taken before and
after its stages and the faster kept. The reports (MG11, reviewer's note, HTML report,
MG6C; :func:`reports.build.build_reports` within :func:`atlas.stream.streaming`) and alias
discovery (``atlas discover``) run at every size, discovery after the reports (its proposals
would otherwise add the with-proposed-links view to the report being measured). Load
averages are recorded at the start and end of each size, and beside each stage.

``ATLAS_BENCH_STREAM_SIZES`` (comma-separated event counts, e.g. ``1e6,1e7,1e8``) overrides
the sizes; ``ATLAS_BENCH_SCALE`` scales the published ones (1 M, 10 M) and the file size.
``python -m bench.bench_stream --case DIR [--stages scan,report,discover,scan]`` measures
stages on a case already generated and ingested (e.g. a 100 M-event one made once).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.common import Stage, run_child, scale, scaled

SIZES = (1_000_000, 10_000_000)
FILE_ROWS = 2_000_000
AS_OF = date(2026, 6, 1)
SIZES_ENV = "ATLAS_BENCH_STREAM_SIZES"

CHILD = """
import json, sys, time
from bench.bench_stream import run_stage
out = run_stage(sys.argv[1], sys.argv[2])
out["peak_mb"] = own_peak_mb()
print(json.dumps(out))
"""


def sizes() -> list[int]:
    given = os.environ.get(SIZES_ENV, "").strip()
    if given:
        return [int(float(s)) for s in given.split(",") if s.strip()]
    return [scaled(n, 1000) for n in SIZES]


def _event_files(root: Path) -> list[Path]:
    return sorted((root / "store" / "events").glob("*.parquet"))


def run_stage(name: str, root_text: str) -> dict[str, Any]:
    """One stage on the case at ``root_text``, timed in this process (wall and CPU)."""
    import polars as pl

    from atlas.ingest import IngestOptions
    from atlas.store import Case
    from atlas.stream import streaming
    from atlas.stream.ingest import ingest_bounded
    from atlas.stream.scan import accounting, pair_counts

    root = Path(root_text)
    out: dict[str, Any] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    if name == "read_csv":  # every field of every row read (as text, as the CDR parser reads it)
        files = sorted((root / "sources").glob("*.csv"))
        csv = pl.scan_csv(files, skip_rows=3, infer_schema=False)
        out["records"] = csv.select(pl.len()).collect(engine="streaming").item()
        out["count_s"] = time.perf_counter() - wall  # the row count alone
        out["bytes_read"] = int(csv.select(pl.all().str.len_bytes().sum()).collect(engine="streaming").sum_horizontal()
                                .item())
    elif name == "scan":  # every text column and the time of every event decoded
        files = _event_files(root)
        out["records"] = pl.scan_parquet(files).select(pl.len()).collect(engine="streaming").item()
        out["count_s"] = time.perf_counter() - wall  # pl.scan_parquet(...).select(pl.len()) alone
        pl.scan_parquet(files).select(pl.col(pl.String).str.len_bytes().sum(), pl.col("ts_utc").max()).collect(
            engine="streaming")
    elif name == "ingest":
        outcomes = ingest_bounded(Case.open(root), [root / "sources"], IngestOptions())
        out["records"] = sum(o.events + o.rejects for o in outcomes)
        out["failed"] = [o.path for o in outcomes if o.status != "ingested"]
    elif name == "accounting":
        acct = accounting(Case.open(root))
        out["records"] = int(acct.get_column("events_stored").sum())
        out["agrees"] = bool(acct.get_column("agrees").all())
    elif name == "pairs":
        from atlas.graph import node_map
        from atlas.identity import resolve

        case = Case.open(root)
        pairs = pair_counts(case, node_map(resolve(case, include_proposed=False)))
        out["pairs"], out["contacts"] = pairs.height, int(pairs.get_column("contacts").sum())
        out["records"] = int(pairs.get_column("events").sum())
    elif name == "conduct":
        from atlas.conduct import analyse

        with streaming():
            result = analyse(Case.open(root), as_of=AS_OF).to_json()
        out["incidents"], out["breaches"] = len(result["incidents"]), len(result["breaches"])
    elif name == "report":
        from reports.build import build_reports

        with streaming():
            build_reports(Case.open(root), root / "reports", as_of=AS_OF)
        out["report_html_mb"] = round((root / "reports" / "report.html").stat().st_size / 1e6, 2)
        out["outputs_mb"] = round(sum(p.stat().st_size for p in (root / "reports").rglob("*") if p.is_file()) / 1e6, 2)
    elif name == "discover":
        from atlas.identity.candidates import discover

        with streaming():
            found = discover(Case.open(root))
        out["proposed"] = len(found.new)
    else:  # pragma: no cover - a typo in this module
        raise ValueError(name)
    out["stage_s"], out["cpu_s"] = time.perf_counter() - wall, time.process_time() - cpu
    return out


def _child(name: str, root: Path) -> dict[str, Any]:
    load_start = os.getloadavg()
    got = run_child(CHILD, name, str(root), timeout=6 * 3600)
    got["load_start"], got["load"] = [round(x, 2) for x in load_start], [round(x, 2) for x in os.getloadavg()]
    got["process_wall_s"] = got.pop("wall_s")  # run_child's own: includes start-up and imports
    got["wall_s"] = got["stage_s"]
    # each stage's figures as soon as it ends: a long run that fails later keeps them
    with (root.parent / "progress.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"case": root.name, "stage": name, **got}) + "\n")
    return got


def one_size(events: int, work: Path) -> dict[str, Any]:
    """Generate, ingest and analyse one case of ``events`` events under ``work``."""
    from fixtures.huge_cdr import write_case

    root = work / f"case-{events}"
    shutil.rmtree(root, ignore_errors=True)
    load_start = os.getloadavg()
    t = time.perf_counter()
    info = write_case(root, events, file_rows=max(500, round(FILE_ROWS * min(1.0, scale()))))
    generate_s = time.perf_counter() - t
    csv_a = _child("read_csv", root)
    ingest = _child("ingest", root)
    csv_b = _child("read_csv", root)
    scan_a = _child("scan", root)
    stages = {name: _child(name, root) for name in ("accounting", "pairs", "conduct", "report", "discover")}
    scan_b = _child("scan", root)
    csv = min(csv_a, csv_b, key=lambda r: r["wall_s"])
    scan = min(scan_a, scan_b, key=lambda r: r["wall_s"])
    store_mb = sum(f.stat().st_size for f in (root / "store").rglob("*.parquet")) / 1e6
    rows = [Stage(f"{events:,} events: ingest, one file a commit", ingest["wall_s"],
                  "bare streaming read of every field of the same CSVs (pl.scan_csv, all text)", csv["wall_s"], records=events,
                  peak_rss_mb=ingest["peak_mb"], reference_peak_rss_mb=csv["peak_mb"],
                  note=f"CPU {ingest['cpu_s']:.1f} s (reference {csv['cpu_s']:.1f} s)").as_dict()]
    names = {"accounting": "per-source accounting (streaming group-by)",
             "pairs": "graph pair counts, de-duplicated (streaming group-by)",
             "conduct": "conduct analysis (selection pushed down, streaming engine)",
             "report": "reports (MG11, reviewer note, HTML, MG6C; streaming engine)",
             "discover": "alias discovery (streaming engine)"}
    rows += _store_rows(events, stages, scan, names)
    result = {
        "events": events, "files": len(info["files"]), "csv_mb": round(int(str(info["bytes"])) / 1e6, 1),  # type: ignore[arg-type]
        "store_mb": round(store_mb, 1), "generate_s": round(generate_s, 2),
        "ingested": ingest["records"], "ingest_failed": ingest["failed"],
        "accounting_agrees": stages["accounting"]["agrees"], "pairs": stages["pairs"]["pairs"],
        "contacts": stages["pairs"]["contacts"], "incidents": stages["conduct"]["incidents"],
        "breaches": stages["conduct"]["breaches"],
        "peak_mb_max": max(g["peak_mb"] for g in [ingest, *stages.values()]),
        "load_start": [round(x, 2) for x in load_start], "load_end": [round(x, 2) for x in os.getloadavg()],
        "raw": {"ingest": ingest, "read_csv": [csv_a, csv_b], "scan": [scan_a, scan_b], **stages},
        "stages": rows,
    }
    if os.environ.get("ATLAS_BENCH_STREAM_KEEP") != "1":
        shutil.rmtree(root, ignore_errors=True)
    return result


def _store_rows(events: int, stages: dict[str, dict[str, Any]], scan: dict[str, Any],
                names: dict[str, str]) -> list[dict[str, Any]]:
    """Each stage that reads the store beside the bare streaming scan of it."""
    return [Stage(f"{events:,} events: {names.get(name, name)}", got["wall_s"],
                  "bare streaming scan of the same store (pl.scan_parquet: every text column and the time decoded)",
                  scan["wall_s"], records=events, peak_rss_mb=got["peak_mb"], reference_peak_rss_mb=scan["peak_mb"],
                  note=f"CPU {got['cpu_s']:.1f} s (reference {scan['cpu_s']:.1f} s); load {got['load'][0]:.1f}").as_dict()
            for name, got in stages.items()]


def on_case(root: Path, stages: list[str]) -> dict[str, Any]:
    """Stages measured on a case already generated and ingested, each in its own process,
    with the bare scan before and after them (e.g. ``--stages scan,report,discover,scan``)."""
    done: dict[str, dict[str, Any]] = {}
    scans = []
    for name in stages:
        got = _child(name, root)
        if name == "scan":
            scans.append(got)
        else:
            done[name] = got
    events = scans[0]["records"] if scans else 0
    best = min(scans, key=lambda r: r["wall_s"]) if scans else {"wall_s": 0.0, "peak_mb": 0.0, "cpu_s": 0.0}
    return {"case": str(root), "events": events, "raw": {**done, "scan": scans},
            "stages": _store_rows(events, done, best, {"report": "reports (streaming engine)",
                                                       "discover": "alias discovery (streaming engine)"})}


def run(work: Path) -> dict[str, Any]:
    per_size = [one_size(n, work) for n in sizes()]
    return {"sizes": [r["events"] for r in per_size], "per_size": per_size,
            "stages": [s for r in per_size for s in r["stages"]],
            "what": "each stage in its own process (own VmHWM, CPU = process_time of all threads); references "
                    "best of two runs taken before and after"}


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--case":
        chosen = sys.argv[4].split(",") if len(sys.argv) > 4 and sys.argv[3] == "--stages" else [
            "scan", "report", "discover", "scan"]
        print(json.dumps(on_case(Path(sys.argv[2]), chosen), indent=1, default=str))
        sys.exit(0)
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/stream-bench")
    target.mkdir(parents=True, exist_ok=True)
    print(json.dumps(run(target), indent=1, default=str))
