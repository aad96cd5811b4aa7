"""Google ``Records.json`` of about 1 GB, streamed: peak memory and throughput.

Issue target: a 1 GB ``Records.json`` parses in bounded memory. The file is written
here (realistic records: ISO timestamps, accuracy, source, device tag, every fifth
record with an ``activity`` block, indented as Takeout writes it), then parsed in a
**separate process** so its peak resident memory can be read from
``resource.getrusage(RUSAGE_CHILDREN)`` without the generator's memory in it.

CPU seconds of the parsing process are reported beside wall-clock seconds: on a
shared two-core machine the wall clock mostly measures the neighbours.

Measured in the same run, as ratios rather than absolute timings (the machine is
shared): the streaming parser's peak memory on the full file and on a 100 MB slice
(memory should grow with the events kept, ~100-200 bytes each, not with the JSON),
against ``json.load`` of the same 100 MB slice (the whole document as Python
objects), which is what "never json.load of the whole file" avoids.

Size: ``ATLAS_BENCH_RECORDS_MB`` (default 1024).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from bench.common import Stage, scale

DEFAULT_MB = 1024
SLICE_MB = 100

_CHILD_PARSE = """
import json, sys, time
from pathlib import Path
from parsers import google_records_json
from parsers.base import ParseContext
path = Path(sys.argv[1])
t = time.perf_counter()
result = google_records_json.parse(path, ParseContext(source_id="bench", path=path))
print(json.dumps({"seconds": time.perf_counter() - t, "records": result.records_read, "events": result.events.height,
                  "rejects": result.rejects.height, "frame_mb": result.events.estimated_size() / 2**20}))
"""

_CHILD_JSON_LOAD = """
import json, sys, time
t = time.perf_counter()
with open(sys.argv[1], encoding="utf-8") as fh:
    doc = json.load(fh)
print(json.dumps({"seconds": time.perf_counter() - t, "records": len(doc["locations"])}))
"""

_CHILD_IMPORT = """
import json
import parsers.google_records_json
print(json.dumps({"seconds": 0.0}))
"""

_MEASURE = """
import json, resource, subprocess, sys
proc = subprocess.run([sys.executable, "-c", sys.argv[1], sys.argv[2]], capture_output=True, text=True)
if proc.returncode:
    sys.stderr.write(proc.stderr)
    sys.exit(proc.returncode)
out = json.loads(proc.stdout)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
out["peak_rss_mb"] = usage.ru_maxrss / 1024
out["cpu_s"] = usage.ru_utime + usage.ru_stime
print(json.dumps(out))
"""


def write_records(path: Path, megabytes: int, seed: int = 11) -> int:
    """A Takeout-style Records.json of about ``megabytes`` MB; returns the record count."""
    rng = random.Random(seed)
    target = megabytes * 1024 * 1024
    start = date(2024, 1, 1)
    day_text = start.isoformat()
    day_index = 0
    written = 0
    n = 0
    parts: list[str] = []
    sources = ("GPS", "WIFI", "WIFI", "CELL")
    tags = (1234567890, -987654321)
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{\n  "locations": [')
        while written < target:
            seconds = n * 37
            d, rest = divmod(seconds, 86400)
            if d != day_index:
                day_index = d
                day_text = (start + timedelta(days=d)).isoformat()
            hh, rest = divmod(rest, 3600)
            mm, ss = divmod(rest, 60)
            ts = f"{day_text}T{hh:02d}:{mm:02d}:{ss:02d}.{n % 1000:03d}Z"
            rec = (
                f'{{\n    "latitudeE7": {515074000 + rng.randrange(-200000, 200000)},\n'
                f'    "longitudeE7": {-1278000 + rng.randrange(-300000, 300000)},\n'
                f'    "accuracy": {rng.choice((5, 10, 16, 30, 65))},\n'
                f'    "source": "{sources[n % 4]}",\n    "deviceTag": {tags[n % 7 == 0]},\n'
                f'    "platformType": "ANDROID",\n    "timestamp": "{ts}"'
            )
            if n % 5 == 0:
                rec += (
                    ',\n    "activity": [{\n      "activity": [{\n        "type": "STILL",\n        "confidence": 90\n'
                    '      }, {\n        "type": "ON_FOOT",\n        "confidence": 10\n      }],\n'
                    f'      "timestamp": "{ts}"\n    }}]'
                )
            rec += "\n  }"
            piece = ("\n  " if n == 0 else ",\n  ") + rec
            parts.append(piece)
            written += len(piece)
            n += 1
            if len(parts) >= 20000:
                fh.write("".join(parts))
                parts = []
        fh.write("".join(parts))
        fh.write("\n  ]\n}\n")
    return n


def _measure(child: str, path: Path) -> dict[str, float]:
    repo = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(repo) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", _MEASURE, child, str(path)], capture_output=True, text=True,
                          env=env, cwd=repo, check=False)
    if proc.returncode:
        raise RuntimeError(f"child failed: {proc.stderr.strip()[-800:]}")
    out: dict[str, float] = json.loads(proc.stdout)
    return out


def run(work: Path) -> dict[str, object]:
    megabytes = max(1, int(float(os.environ.get("ATLAS_BENCH_RECORDS_MB", DEFAULT_MB * scale()))))
    full, part = work / "Records.json", work / "Records-slice.json"
    t = time.perf_counter()
    n_full = write_records(full, megabytes)
    generate_s = time.perf_counter() - t
    size_mb = full.stat().st_size / 2**20
    stream = _measure(_CHILD_PARSE, full)
    baseline = _measure(_CHILD_IMPORT, full)["peak_rss_mb"]
    events_mb = stream["peak_rss_mb"] - baseline
    out: dict[str, object] = {
        "file_mb": round(size_mb, 1), "records": n_full, "generate_s": round(generate_s, 1),
        "stream_s": round(stream["seconds"], 1), "stream_mb_per_s": round(size_mb / stream["seconds"], 1),
        "stream_cpu_s": round(stream["cpu_s"], 1), "stream_mb_per_cpu_s": round(size_mb / stream["cpu_s"], 1),
        "stream_events": int(stream["events"]), "stream_rejects": int(stream["rejects"]),
        "stream_peak_rss_mb": round(stream["peak_rss_mb"]), "events_frame_mb": round(stream["frame_mb"]),
        "import_baseline_rss_mb": round(baseline),
        "peak_rss_per_file_mb": round(stream["peak_rss_mb"] / size_mb, 2),
        "peak_bytes_per_event_above_baseline": round(events_mb * 2**20 / max(1, stream["events"])),
    }
    full.unlink()
    stages = [Stage("Google Records.json streamed parse", stream["seconds"], "none timed on the same file (json.load "
                    "of a 100 MB slice is measured for memory only)", 0.0, records=int(stream["events"]),
                    peak_rss_mb=stream["peak_rss_mb"], reference_peak_rss_mb=baseline,
                    note=f"CPU {stream['cpu_s']:.1f} s; reference memory: importing the parser")]
    out["stages"] = [st.as_dict() for st in stages]
    if megabytes > SLICE_MB:
        write_records(part, SLICE_MB)
        slice_mb = part.stat().st_size / 2**20
        small = _measure(_CHILD_PARSE, part)
        loaded = _measure(_CHILD_JSON_LOAD, part)
        out |= {
            "slice_mb": round(slice_mb, 1),
            "slice_stream_peak_rss_mb": round(small["peak_rss_mb"]),
            "slice_json_load_peak_rss_mb": round(loaded["peak_rss_mb"]),
            "json_load_over_stream_memory": round(loaded["peak_rss_mb"] / small["peak_rss_mb"], 1),
            "json_load_peak_per_file_mb": round(loaded["peak_rss_mb"] / slice_mb, 1),
        }
        part.unlink()
    return out


if __name__ == "__main__":  # python -m bench.bench_google_records  (ATLAS_BENCH_RECORDS_MB=200 for a quick run)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="atlas-bench-records-") as tmp:
        print(json.dumps(run(Path(tmp)), indent=1))
