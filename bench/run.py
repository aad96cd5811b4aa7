"""Run every benchmark module in ``bench/`` and write their numbers to a JSON file.

A benchmark module is ``bench/bench_<topic>.py`` with ``run(work: Path) -> dict``; its
``stages`` (see :class:`bench.common.Stage`) are each measured beside a reference taken
in the same run (timings vary on shared machines, so the ratio is the figure). Each
module runs in a fresh process, which reports its own peak memory (``VmHWM``); a stage
that does not measure its own peak gets that process's, marked ``peak_scope``.

``--scale`` multiplies every input size (``ATLAS_BENCH_SCALE``; 1 = the published
sizes); ``tests/test_bench_runner.py`` runs everything at a tiny scale.
"""

from __future__ import annotations

import argparse
import json
import os
import pkgutil
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench
from bench.common import REPO, SCALE_ENV, STAGE_KEYS, scale


def modules(only: str | None = None) -> list[str]:
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    if only:
        wanted = [w.strip() for w in only.split(",") if w.strip()]
        names = [n for n in names if any(w in n for w in wanted)]
    return names


def run_module(name: str) -> dict[str, Any]:
    """In this (fresh) process: one benchmark module, in a scratch folder, with this process's peak memory."""
    import importlib

    module = importlib.import_module(f"bench.{name}")
    t = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"atlas-{name}-") as work:
        numbers: dict[str, Any] = module.run(Path(work))
    numbers["wall_s"] = round(time.perf_counter() - t, 2)
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
        numbers["process_peak_rss_mb"] = round(int(next(
            line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024, 1)
    except (OSError, StopIteration):  # pragma: no cover - not Linux
        numbers["process_peak_rss_mb"] = None
    return numbers


def _child(name: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        target = Path(out.name)
    try:
        proc = subprocess.run([sys.executable, "-m", "bench.run", "--module", name, "--module-out", str(target)],
                              cwd=REPO, capture_output=True, text=True, check=False)
        if proc.returncode != 0:  # a benchmark that fails is reported, not hidden
            return {"error": (proc.stderr or proc.stdout).strip()[-2000:]}
        numbers: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
        return numbers
    finally:
        target.unlink(missing_ok=True)


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every stage of every benchmark, each beside its reference, in one list."""
    rows: list[dict[str, Any]] = []
    for name, numbers in sorted(results.items()):
        if not isinstance(numbers, dict) or "stages" not in numbers:
            continue
        for stage in numbers["stages"]:
            row = {"benchmark": name, **stage}
            if row.get("peak_rss_mb") is None and numbers.get("process_peak_rss_mb") is not None:
                row["peak_rss_mb"], row["peak_scope"] = numbers["process_peak_rss_mb"], "benchmark process"
            rows.append(row)
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'stage':58} {'s':>9} {'ref s':>9} {'ratio':>6} {'target':>6} {'rec/s':>10} {'peak MB':>8}"]
    for r in rows:
        lines.append(f"{r['stage'][:58]:58} {r['seconds']:>9.3f} {r['reference_seconds']:>9.3f} "
                     f"{r['ratio'] if r['ratio'] is not None else '-':>6} {r['target_ratio'] or '-':>6} "
                     f"{r['records_per_s'] or '-':>10} {r['peak_rss_mb'] or '-':>8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run")
    p.add_argument("--out", type=Path, default=Path("bench-results.json"))
    p.add_argument("--only", help="run only benchmarks whose name contains one of these (comma-separated)")
    p.add_argument("--scale", type=float, help=f"multiply every input size (sets {SCALE_ENV}; default 1)")
    p.add_argument("--module", help=argparse.SUPPRESS)
    p.add_argument("--module-out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.scale is not None:
        os.environ[SCALE_ENV] = str(args.scale)  # children (and their children) read it
    if args.module:
        args.module_out.write_text(json.dumps(run_module(args.module)), encoding="utf-8")
        return 0
    results: dict[str, Any] = {"python": sys.version.split()[0], "machine": platform.machine(), "scale": scale(),
                               "cpus": os.cpu_count()}
    for name in modules(args.only):
        print(f"== {name}", flush=True)
        numbers = _child(name)
        results[name] = numbers
        print(json.dumps(numbers, indent=1), flush=True)
        results["summary"] = summary(results)
        args.out.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    results["summary"] = summary(results)
    args.out.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(_table(results["summary"]))
    print(f"wrote {args.out}")
    return 0


__all__ = ["STAGE_KEYS", "main", "modules", "run_module", "summary"]

if __name__ == "__main__":
    sys.exit(main())
