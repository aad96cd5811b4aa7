"""Synthetic case stores for the report tests, written straight into the store.

A large case (hundreds of thousands of events over two years) is built with Polars
expressions, not through a parser, so the scale test measures the reports, not the
ingest. The manifest is a real ``case.toml`` read by the real loader.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from atlas.model import EVENT_SCHEMA, conform, empty_evidence, empty_rejects
from atlas.store import Case, StagedSource, init_case

MANIFEST = """
[case]
reference = "OP-SCALE-1"
officer = "DC 0001 Sam Scale"
exhibit_prefix = "SS"
timezone = "Europe/London"
occupation = "Digital investigator"
charge_date = 2026-06-01

[[party]]
id = "victim"
role = "victim"
name = "Vera Victim"
identifiers = ["tel:+447700900101"]

[[party]]
id = "suspect"
role = "suspect"
name = "Simon Suspect"
identifiers = ["tel:+447700900102"]

[[place]]
name = "victim home"
party = "victim"
lat = 51.5074
lon = -0.1278
radius_m = 200

[[order]]
type = "restraining-order"
against = "suspect"
protects = "victim"
start = 2025-06-01T09:00:00Z
no_contact = true
exclusion_zones = ["victim home"]
reference = "RO-SCALE-1"
"""

VICTIM, SUSPECT = "tel:+447700900101", "tel:+447700900102"


def large_case(root: Path, n: int, *, seed: int = 7) -> Case:
    """A case with one CDR-like source of ``n`` SMS/calls between suspect, victim and
    others over two years (about a third from the suspect to the victim)."""
    init_case(root, MANIFEST)
    start = int(datetime(2024, 6, 1, tzinfo=UTC).timestamp())
    span = 730 * 86_400
    idx = pl.int_range(0, n, eager=True).alias("i")
    frame = pl.DataFrame(idx).with_columns(
        ((pl.col("i") * 7919 + seed) % span + start).alias("t"),
        (pl.col("i") % 3).alias("who"),
        (pl.col("i") % 5 == 0).alias("is_call"),
    ).sort("t")
    sid = "feedfacecafebeef"
    other = pl.concat_str(pl.lit("tel:+4477009"), (pl.col("i") % 900 + 10000).cast(pl.String).str.slice(1, 5))
    events = frame.select(
        pl.concat_str(pl.lit(f"{sid}/row "), pl.col("i").cast(pl.String)).alias("event_id"),
        pl.lit(sid).alias("source_id"),
        pl.concat_str(pl.lit("row "), pl.col("i").cast(pl.String)).alias("source_ref"),
        pl.when(pl.col("is_call")).then(pl.lit("call")).otherwise(pl.lit("message")).alias("kind"),
        pl.when(pl.col("is_call")).then(pl.lit("voice")).otherwise(pl.lit("sms")).alias("channel"),
        (pl.col("t").cast(pl.Int64) * 1_000_000).cast(pl.Datetime("us")).dt.replace_time_zone("UTC").alias("ts_utc"),
        pl.lit("utc").alias("ts_basis"),
        pl.col("t").cast(pl.String).alias("ts_raw"),
        pl.when(pl.col("who") == 2).then(pl.lit("in")).otherwise(pl.lit("out")).alias("direction"),
        pl.when(pl.col("who") == 0).then(pl.lit(SUSPECT)).when(pl.col("who") == 1).then(pl.lit(SUSPECT))
        .otherwise(other).alias("sender"),
        pl.when(pl.col("who") == 0).then(pl.concat_list(pl.lit(VICTIM))).otherwise(pl.concat_list(other))
        .alias("recipients"),
        pl.when(pl.col("is_call")).then(pl.lit("missed")).otherwise(pl.lit(None, pl.String)).alias("status"),
        pl.when(pl.col("is_call")).then(pl.lit(None, pl.String)).otherwise(pl.lit("Pick up the phone")).alias("text"),
        pl.lit(False).alias("deleted"),
    )
    events = conform(events, EVENT_SCHEMA)
    case = Case.open(root)
    source = {
        "source_id": sid, "path": str(root / "cdr.csv"), "name": "cdr.csv", "size": n * 60,
        "sha256": sid + "0" * 48, "format": "Call data records (synthetic)", "parser": "cdr-synthetic",
        "parser_version": "0.0.1", "owner": SUSPECT, "region": "GB", "timezone": "UTC", "assumptions": [],
        "records_read": n, "events": n, "rejects": 0,
    }
    case.commit([StagedSource(source=source, events=events, rejects=empty_rejects(), evidence=empty_evidence())])
    return case


# --- the rejected-ex scenario, generated once per test session -----------------------------

AS_OF = "2026-11-22"
SCENARIO_SCALE = 0.12
"""Background volumes only: the course of conduct (and so truth.json's counts) is the same at any scale."""


@dataclass(frozen=True)
class Reported:
    case_dir: Path
    out: Path
    truth: dict[str, Any]
    report_json: dict[str, Any]
    """What ``atlas report --json`` printed (outputs, exhibits, the statement's facts)."""


@functools.cache
def rejected_ex_reported() -> Reported:
    """The ``rejected-ex`` case generated, ingested, its true aliases confirmed by an officer
    (as an OIC would after review), and ``atlas report --as-of`` run on it. Built once."""
    from atlas.cli import main
    from atlas.demo import ingest_generated
    from atlas.identity.ledger import officer_link
    from fixtures.generate import generate

    root = Path(tempfile.mkdtemp(prefix="atlas-report-test-"))
    atexit.register(shutil.rmtree, root, True)
    case_dir = root / "case"
    generate("rejected-ex", 1, SCENARIO_SCALE, case_dir)
    ingest_generated(case_dir)
    truth = json.loads((case_dir / "truth.json").read_text(encoding="utf-8"))
    case = Case.open(case_dir)
    parties = {p.id for p in case.manifest.parties}
    for pid, party in sorted(truth["parties"].items()):
        if pid in parties:
            for alias in party["aliases"]:
                officer_link(case, f"party:{pid}", alias, "officer-decision", note="test: confirmed after review")
    out = root / "out"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["report", str(case_dir), "--out", str(out), "--as-of", AS_OF, "--json"])
    assert code == 0
    return Reported(case_dir, out, truth, json.loads(buf.getvalue()))


def artifacts_dir() -> Path:
    """``test-artifacts/`` at the repository root (gitignored): screenshots and PDFs kept for a person to look at."""
    path = Path(__file__).resolve().parents[1] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
