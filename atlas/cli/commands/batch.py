"""Process many cases from a batch manifest (TOML): ingest each source, analyse each case,
write its reports; in this process (--engine local) or on Dask distributed (--engine dask:
a local cluster of worker processes, or an existing scheduler with --address).

The manifest format is in the README ("Batches") and atlas/batch/manifest.py. A case
that fails says why; the others go on. Exit status: 1 if a case failed, or a file of a case
with ``keep_going`` failed (a file the operating system would not let Atlas read among
them); 3 if every case completed but an entry of a folder was not read for a reason to
look at (a hidden file, an unknown format: as ``atlas ingest`` gives); else 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from atlas.cli.output import print_json, print_table

if TYPE_CHECKING:
    from atlas.batch import CaseResult

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
            [r.dir, _status(r), ", ".join(f"{n} {k}" for k, n in sorted(r.counts().items())),
             len(r.outputs), r.error if not r.ok else "; ".join(r.lines)] for r in results])
        for line in _details(results):
            print(line)
    statuses = {r.exit_status() for r in results}
    return 1 if 1 in statuses else 3 if 3 in statuses else 0


def _status(result: CaseResult) -> str:
    if not result.ok:
        return "FAILED"
    if result.failed_files():
        return "done, file(s) failed"
    return "done, to look at" if result.to_look_at() else "done"


def _details(results: list[CaseResult]) -> list[str]:
    """Below the table, one whole line per failure and per entry to look at, naming the case
    and the file: a table cell wraps a long path and an OS error where nobody can read them."""
    from atlas.wording import plural

    out: list[str] = []
    for r in results:
        if not r.ok:
            out.append(f"  {r.dir}: FAILED: {r.error}")
        for s in r.failed_files():
            out.append(f"  {r.dir}: failed: {s['message'] or s['path']}")
        for s in r.to_look_at():
            out.append(f"  {r.dir}: not read, to look at: {s['path']}: {s['message']}")
    failed = [r for r in results if r.exit_status() == 1]
    look = [r for r in results if r.exit_status() == 3]
    if failed:
        out.append(f"  {plural(len(failed), 'case')} with a failure (listed above): exit status 1")
    elif look:
        out.append(f"  {plural(len(look), 'case')} completed with entries not read and to look at (listed above): "
                   "exit status 3")
    return out
