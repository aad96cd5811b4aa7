"""Helpers for the identity and graph tests: a case built directly from rows (no parser)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from atlas.model import EVENT_SCHEMA, IDENTITY_EVIDENCE_SCHEMA, conform, empty_rejects
from atlas.store import Case, StagedSource

MANIFEST = """
[case]
reference = "OP-LEDGER"
officer = "DC 1 Test"
exhibit_prefix = "DT"

[[party]]
id = "victim"
role = "victim"
name = "Alice Example"
identifiers = ["tel:+447700900001"]

[[party]]
id = "suspect"
role = "suspect"
name = "Daniel Sample"
identifiers = ["tel:+447700900002"]
display_names = ["Dan"]

[[party]]
id = "mother"
role = "witness"
name = "Margaret Example"
identifiers = ["tel:+447700900003"]
"""

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def make_case(root: Path, events: list[dict[str, Any]], evidence: list[dict[str, Any]] = (), *,  # type: ignore[assignment]
              source_id: str = "src0000000000001", owner: str | None = None, manifest: str = MANIFEST) -> Case:
    """A case with one committed source built directly from rows (no parser involved)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "case.toml").write_text(manifest, encoding="utf-8")
    rows = []
    for i, e in enumerate(events):
        ref = e.get("source_ref", f"row {i + 1}")
        rows.append({"event_id": f"{source_id}/{ref}", "source_id": source_id, "source_ref": ref, "kind": "message",
                     "channel": "sms", "ts_basis": "utc", "direction": "unknown", "deleted": False,
                     "recipients": [], "attachments": [], **{k: v for k, v in e.items() if k != "source_ref"}})
    frame = conform(pl.DataFrame(rows, infer_schema_length=None), EVENT_SCHEMA) if rows else pl.DataFrame(schema=EVENT_SCHEMA)
    ev = [{"source_id": source_id, **r} for r in evidence]
    evf = conform(pl.DataFrame(ev, infer_schema_length=None), IDENTITY_EVIDENCE_SCHEMA) if ev else \
        pl.DataFrame(schema=IDENTITY_EVIDENCE_SCHEMA)
    evidence = root / "x"  # a real file stands for the source, so the case verifies
    evidence.write_text(f"{source_id}: {frame.height} rows\n", encoding="utf-8")
    source = {"source_id": source_id, "path": str(evidence), "name": "x", "size": evidence.stat().st_size,
              "sha256": hashlib.sha256(evidence.read_bytes()).hexdigest(),
              "format": "test rows", "parser": "test", "parser_version": "0", "owner": owner, "region": "GB",
              "timezone": "Europe/London", "assumptions": [], "records_read": frame.height, "events": frame.height,
              "rejects": 0}
    case = Case.open(root)
    case.commit([StagedSource(source, frame, empty_rejects(), evf)])
    return Case.open(root)


def msg(sender: str, recipient: str, minutes: int, text: str = "hello", **kw: Any) -> dict[str, Any]:
    return {"sender": sender, "recipients": [recipient], "ts_utc": T0 + timedelta(minutes=minutes), "text": text, **kw}
