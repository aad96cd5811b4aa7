"""Run every benchmark module in ``bench/`` and write their numbers to a JSON file.

A benchmark module is ``bench/bench_<topic>.py`` with ``run(work: Path) -> dict``.
Timings vary on shared machines, so each benchmark reports *ratios* measured in the
same run (Atlas against a baseline on the same file) alongside raw seconds.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import platform
import sys
import tempfile
import time
from pathlib import Path

import bench


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run")
    p.add_argument("--out", type=Path, default=Path("bench-results.json"))
    p.add_argument("--only", help="run only benchmarks whose name contains this")
    args = p.parse_args(argv)
    results: dict[str, object] = {"python": sys.version.split()[0], "machine": platform.machine()}
    for mod in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if not mod.name.startswith("bench_") or (args.only and args.only not in mod.name):
            continue
        module = importlib.import_module(f"bench.{mod.name}")
        print(f"== {mod.name}", flush=True)
        t = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"atlas-{mod.name}-") as work:
            try:
                numbers = module.run(Path(work))
            except Exception as exc:  # a benchmark that fails is reported, not hidden
                numbers = {"error": f"{type(exc).__name__}: {exc}"}
        numbers["wall_s"] = round(time.perf_counter() - t, 2)
        results[mod.name] = numbers
        print(json.dumps(numbers, indent=1), flush=True)
        args.out.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
