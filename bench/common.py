"""What every benchmark reports, and the scale it runs at.

A benchmark measures *stages* (a parse, an ingest, a report, start-up), each beside a
reference measured in the same run on the same input (a bare ``iterparse``, a bare
``read_csv``, ``python -c "import polars"``), because the machine is shared and only
ratios taken side by side mean anything. :class:`Stage` is that figure: seconds,
records per second and peak memory for both sides, their ratio and the target.

``ATLAS_BENCH_SCALE`` (``python -m bench.run --scale``) multiplies every benchmark's
input size: 1 is the published size; the test of the runner uses a tiny one.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SCALE_ENV = "ATLAS_BENCH_SCALE"


def scale() -> float:
    """The input-size multiplier for this run (1.0 unless ``ATLAS_BENCH_SCALE`` says otherwise)."""
    try:
        value = float(os.environ.get(SCALE_ENV, "1"))
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


def scaled(n: int, minimum: int = 1) -> int:
    """``n`` at this run's scale, never below ``minimum``."""
    return max(minimum, round(n * scale()))


def repeats(n: int) -> int:
    """How many times to repeat a timing: fewer at a small scale (those runs only check the bench works)."""
    return n if scale() >= 0.1 else min(n, 2)


@dataclass(frozen=True)
class Stage:
    """One measured stage beside its same-run reference. ``ratio`` = seconds / reference."""

    name: str
    seconds: float
    reference: str
    reference_seconds: float
    records: int | None = None
    peak_rss_mb: float | None = None
    reference_peak_rss_mb: float | None = None
    target_ratio: float | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        ratio = self.seconds / self.reference_seconds if self.reference_seconds > 0 else None
        return {
            "stage": self.name, "seconds": round(self.seconds, 4), "records": self.records,
            "records_per_s": round(self.records / self.seconds) if self.records and self.seconds > 0 else None,
            "peak_rss_mb": None if self.peak_rss_mb is None else round(self.peak_rss_mb, 1),
            "reference": self.reference, "reference_seconds": round(self.reference_seconds, 4),
            "reference_peak_rss_mb": None if self.reference_peak_rss_mb is None else round(self.reference_peak_rss_mb, 1),
            "ratio": None if ratio is None else round(ratio, 2), "target_ratio": self.target_ratio,
            "meets_target": None if self.target_ratio is None or ratio is None else ratio <= self.target_ratio,
            "note": self.note,
        }


STAGE_KEYS = frozenset(Stage("x", 1, "y", 1).as_dict())

CHILD_PEAK = """
import json, sys
from pathlib import Path
def own_peak_mb():
    # this process's own high-water mark: ru_maxrss after exec can carry the parent's
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""
"""Prepended to a child's code: ``own_peak_mb()`` reads the child's own ``VmHWM``."""


def run_child(code: str, *args: str, timeout: float = 3600) -> dict[str, Any]:
    """Run ``code`` (which prints one JSON object last) in a fresh interpreter at the
    repository root; returns that object with ``wall_s`` added."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD_PEAK + code, *args], capture_output=True, text=True,
                          cwd=REPO, check=False, timeout=timeout)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed: {proc.stderr.strip()[-1500:]}")
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = wall
    return out


def whole_process_seconds(commands: Sequence[Sequence[str]], runs: int) -> list[list[float]]:
    """Wall-clock seconds of each command as a whole process, ``runs`` times, interleaved
    (a, b, c, a, b, c ...) so that every command sees the same load."""
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for i, argv in enumerate(commands):
            t = time.perf_counter()
            subprocess.run(list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=REPO)
            times[i].append(time.perf_counter() - t)
    return times


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def dump(numbers: dict[str, Any]) -> str:
    return json.dumps(numbers, indent=1, sort_keys=True)
