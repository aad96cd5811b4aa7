"""Process many cases from a batch manifest (TOML): ingest each source, analyse each case,
write its reports; in this process (--engine local) or on Dask distributed (--engine dask:
a local cluster of worker processes, or an existing scheduler with --address).

The manifest format is in the README ("Batches") and atlas/batch/manifest.py. A case
that fails says why; the others go on (exit status 1 if any failed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from atlas.cli.output import print_json, print_table

NAME = "batch"
HELP = "process a list of cases (TOML manifest) in this process or on Dask distributed"
ORDER = 3


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("manifest", type=Path, metavar="MANIFEST", help="batch manifest (TOML: [[case]] with [[case.source]])")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: one task after another in this process; dask: Dask distributed (pip install "
                        "'atlas-stalking[cluster]')")
    p.add_argument("--address", metavar="tcp://HOST:8786",
                   help="an existing Dask scheduler (`dask scheduler`); default: start a local cluster")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes of the local cluster (default: the CPUs)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from atlas.batch import STAGES, run_batch, stage_totals
    from atlas.batch.executors import make_executor
    from atlas.batch.manifest import load_batch
    from atlas.cli.output import console

    manifest = load_batch(args.manifest)
    executor = make_executor(args.engine, args.address, args.workers)
    err = console(stderr=True)
    try:
        if executor.dashboard:
            err.print(f"Dask dashboard: {executor.dashboard}")
        totals = stage_totals(manifest)
        if sys.stderr.isatty() and not args.json:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=err) as bar:
                bars = {stage: bar.add_task(stage, total=totals[stage]) for stage in STAGES}
                results = run_batch(manifest, executor, on_done=lambda stage, _case: bar.advance(bars[stage]))
        else:
            results = run_batch(manifest, executor)
    finally:
        executor.close()
    if args.json:
        print_json({"engine": args.engine, "dashboard": executor.dashboard,
                    "cases": [r.__dict__ for r in results]})
    else:
        print_table(f"Batch {args.manifest} ({args.engine})", ["case", "status", "sources", "outputs", "detail"], [
            [r.dir, "done" if r.ok else "FAILED", ", ".join(f"{n} {k}" for k, n in sorted(r.counts().items())),
             len(r.outputs), r.error if not r.ok else "; ".join(r.lines)] for r in results])
    return 0 if all(r.ok for r in results) else 1
