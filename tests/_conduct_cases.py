"""Small hand-built cases for the conduct tests: a real case.toml and events committed
straight into the store, so each test controls exactly which records exist."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from atlas.model import EVENT_SCHEMA, conform, empty_evidence, empty_rejects
from atlas.store import Case, StagedSource, init_case

VICTIM = "tel:+447700900101"
SUSPECT = "tel:+447700900102"
NEW_NUMBER = "tel:+447700900199"
MOTHER = "tel:+447700900103"
HOME = (51.5074, -0.1278)

MANIFEST = """
[case]
reference = "OP-CONDUCT-TEST"
officer = "DC 0002 Test Officer"
exhibit_prefix = "TO"
timezone = "Europe/London"
charge_date = {charge_date}

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

[[party]]
id = "mother"
role = "witness"
name = "Mary Victim"
identifiers = ["tel:+447700900103"]

[[place]]
name = "victim home"
party = "victim"
lat = 51.5074
lon = -0.1278
radius_m = 200
{orders}
"""

ORDER = """
[[order]]
type = "{type}"
against = "suspect"
protects = "victim"
start = {start}
no_contact = true
exclusion_zones = ["victim home"]
reference = "{reference}"
"""


def ts(text: str) -> datetime:
    """``2026-05-06 21:00`` (UTC) → aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def msg(when: str, sender: str, recipient: str, text: str = "hello", *, channel: str = "sms",
        status: str | None = None) -> dict[str, Any]:
    return {"kind": "message", "channel": channel, "ts_utc": ts(when), "sender": sender, "recipients": [recipient],
            "text": text, "status": status}


def call(when: str, sender: str, recipient: str, *, status: str = "missed", duration_s: int = 0) -> dict[str, Any]:
    return {"kind": "call", "channel": "voice", "ts_utc": ts(when), "sender": sender, "recipients": [recipient],
            "status": status, "duration_s": duration_s}


def pos(when: str, lat: float, lon: float, accuracy_m: float | None = 10.0, *, channel: str = "gps") -> dict[str, Any]:
    return {"kind": "location", "channel": channel, "ts_utc": ts(when), "lat": lat, "lon": lon, "accuracy_m": accuracy_m}


def cell(when: str, lat: float, lon: float, cell_id: str = "234-10-1-1") -> dict[str, Any]:
    return {"kind": "cell", "channel": "cell", "ts_utc": ts(when), "lat": lat, "lon": lon, "cell_id": cell_id}


def make_case(root: Path, sources: dict[str, list[dict[str, Any]]], *, orders: list[dict[str, str]] | None = None,
              charge_date: str = "2026-12-01") -> Case:
    """A case folder with one source per ``owner URI → events``."""
    order_text = "".join(ORDER.format(**o) for o in orders or [])
    init_case(root, MANIFEST.format(charge_date=charge_date, orders=order_text))
    case = Case.open(root)
    staged = []
    for owner, events in sources.items():
        sid = hashlib.sha256(f"{owner}:{len(events)}:{root}".encode()).hexdigest()[:16]
        rows = [{"source_ref": f"row {i + 1}", **e} for i, e in enumerate(events)]
        basis = pl.col("ts_basis").fill_null("utc") if any("ts_basis" in e for e in events) else pl.lit("utc")
        frame = pl.DataFrame(
            rows, schema_overrides={"ts_utc": pl.Datetime("us", "UTC")}, infer_schema_length=None,
        ).with_columns(
            (pl.lit(sid + "/") + pl.col("source_ref")).alias("event_id"),
            pl.lit(sid).alias("source_id"),
            basis.alias("ts_basis"),  # "utc" unless an event gives its own
        )
        if "direction" not in frame.columns:
            frame = frame.with_columns(
                pl.when(pl.col("sender") == owner).then(pl.lit("out")).otherwise(pl.lit("in")).alias("direction")
                if "sender" in frame.columns else pl.lit("unknown").alias("direction"))
        for name in ("recipients", "attachments"):
            if name not in frame.columns:
                frame = frame.with_columns(pl.lit([], pl.List(pl.String)).alias(name))
            else:
                frame = frame.with_columns(pl.col(name).fill_null(pl.lit([], pl.List(pl.String))))
        frame = conform(frame.with_columns(pl.lit(False).alias("deleted")), EVENT_SCHEMA)
        # A real file stands for the source, so the case verifies (`atlas report` checks that first).
        evidence = root / "evidence" / f"{sid}.jsonl"
        evidence.parent.mkdir(exist_ok=True)
        evidence.write_bytes(frame.write_ndjson().encode() if frame.height else b"no rows\n")
        source = {
            "source_id": sid, "path": str(evidence), "name": evidence.name, "size": evidence.stat().st_size,
            "sha256": hashlib.sha256(evidence.read_bytes()).hexdigest(),
            "format": "test", "parser": "test", "parser_version": "1", "owner": owner, "region": "GB",
            "timezone": "Europe/London", "assumptions": [], "records_read": frame.height, "events": frame.height,
            "rejects": 0,
        }
        staged.append(StagedSource(source, frame, empty_rejects(), empty_evidence()))
    case.commit(staged)
    return Case.open(root)


def possible_items_case(root: Path) -> Case:
    """Three messages under a restraining order, and two of the suspect's positions at the victim's
    home with no stated accuracy: a possible co-location and a possible breach, each awaiting an
    officer (what the reviewer's note lists for a person to decide)."""
    her = [msg(f"2026-05-{d:02d} 12:00", SUSPECT, VICTIM) for d in range(1, 4)] + [pos("2026-05-20 21:00", *HOME)]
    his = [pos("2026-05-20 21:00", HOME[0] + 0.0001, HOME[1], None), pos("2026-05-22 21:00", *HOME, None)]
    return make_case(root, {VICTIM: her, SUSPECT: his},
                     orders=[{"type": "restraining-order", "start": "2026-05-05T10:00:00Z", "reference": "RO-1"}])
