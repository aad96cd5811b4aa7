"""Cross-case search over 100 small cases (issue 20: "in seconds for a hundred cases").

Each case is a real case folder (``case.toml``, a sealed store with one source of 2,000
message events, an audit log); the suspect's number appears in one case in ten. Timed:
``atlas.search.cases.search`` (local engine: per case, read case.toml, open the store,
check the sealed hashes of the files it reads, resolve identities, one lazy scan, one
audit row), beside the bare reference of one ``pl.scan_parquet`` over the same 100 events
files with the same filter and count (no case logic, no audit). The ratio is the cost of
doing it as evidence.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from atlas.model import EVENT_SCHEMA, conform, empty_evidence, empty_rejects
from atlas.search.cases import Query, search
from atlas.store import Case, StagedSource, init_case
from bench.common import Stage, repeats, scaled

N_CASES = 100
N_EVENTS = 2_000
SUSPECT = "tel:+447700900102"

MANIFEST = """
[case]
reference = "OP-BENCH-{n:03d}"
officer = "DC 0002 Bench Officer"
exhibit_prefix = "BO"
timezone = "Europe/London"

[[party]]
id = "victim"
role = "victim"
identifiers = ["tel:+447700{n:06d}"]

[[party]]
id = "suspect"
role = "suspect"
identifiers = ["{suspect}"]
"""


def build(root: Path, n: int, events: int) -> Path:
    """One case: a victim's phone whose messages come from many numbers (the suspect's in one case in ten)."""
    folder = root / f"case-{n:03d}"
    victim = f"tel:+447700{n:06d}"
    init_case(folder, MANIFEST.format(n=n, suspect=SUSPECT))
    case = Case.open(folder)
    start = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
    sid = hashlib.sha256(f"bench-{n}".encode()).hexdigest()[:16]
    i = pl.int_range(0, events, eager=True)
    sender = pl.lit("tel:+4477009") + ((pl.col("i") * 7919 + n) % 90_000 + 10_000).cast(pl.String)
    if n % 10 == 0:
        sender = pl.when(pl.col("i") % 50 == 0).then(pl.lit(SUSPECT)).otherwise(sender)
    frame = pl.DataFrame({"i": i}).select(
        (pl.lit(sid + "/row ") + pl.col("i").cast(pl.String)).alias("event_id"), pl.lit(sid).alias("source_id"),
        (pl.lit("row ") + pl.col("i").cast(pl.String)).alias("source_ref"), pl.lit("message").alias("kind"),
        pl.lit("sms").alias("channel"),
        (pl.lit(start) + pl.col("i") * 60_000_000).cast(pl.Datetime("us", "UTC")).alias("ts_utc"),
        pl.lit("utc").alias("ts_basis"), pl.lit("in").alias("direction"), sender.alias("sender"),
        pl.concat_list(pl.lit(victim)).alias("recipients"), pl.lit("hello").alias("text"),
        pl.lit([], pl.List(pl.String)).alias("attachments"), pl.lit(False).alias("deleted"))
    frame = conform(frame, EVENT_SCHEMA)
    evidence = folder / "evidence" / f"{sid}.jsonl"
    evidence.parent.mkdir(exist_ok=True)
    evidence.write_bytes(frame.head(5).write_ndjson().encode())
    source = {"source_id": sid, "path": str(evidence), "name": evidence.name, "size": evidence.stat().st_size,
              "sha256": hashlib.sha256(evidence.read_bytes()).hexdigest(), "format": "bench", "parser": "bench",
              "parser_version": "1", "owner": victim, "region": "GB", "timezone": "Europe/London", "assumptions": [],
              "records_read": frame.height, "events": frame.height, "rejects": 0}
    case.commit([StagedSource(source, frame, empty_rejects(), empty_evidence())])
    return folder


def run(work: Path) -> dict[str, object]:
    n_cases, n_events = scaled(N_CASES, 3), scaled(N_EVENTS, 50)
    t0 = time.perf_counter()
    root = work / "cases"
    for n in range(n_cases):
        build(root, n, n_events)
    built_s = time.perf_counter() - t0
    files = sorted(root.glob("*/store/events/*.parquet"))
    query = Query(SUSPECT, linked=True)
    times, refs = [], []
    found = ref_records = records = 0
    for _ in range(repeats(3)):
        t = time.perf_counter()
        report = search(root, query)
        times.append(time.perf_counter() - t)
        t = time.perf_counter()
        ref = (pl.scan_parquet(files).filter(pl.col("sender").is_in([SUSPECT])
                                             | pl.col("recipients").list.contains(SUSPECT))
               .select(pl.len()).collect().item())
        refs.append(time.perf_counter() - t)
        found = sum(1 for r in report.results if r.found)
        records, ref_records = sum(r.records for r in report.results), int(ref)
    seconds, reference = min(times), min(refs)
    return {
        "cases": n_cases, "events_per_case": n_events, "events": n_cases * n_events, "build_s": round(built_s, 2),
        "cases_found": found, "records_found": records, "reference_records": ref_records,
        "same_records": records == ref_records, "search_s": round(seconds, 3), "per_case_ms": round(1000 * seconds / n_cases, 1),
        "stages": [Stage(f"search-cases over {n_cases} cases (local engine, --linked)", seconds,
                         "one bare pl.scan_parquet over the same events files, same filter, count only", reference,
                         records=n_cases * n_events,
                         note="per case: case.toml, store open, sealed-hash check, identity resolution, lazy scan, "
                              "audit row").as_dict()],
    }


if __name__ == "__main__":
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(run(Path(tmp)), indent=1))
