"""Timesketch: one JSON line per event, as Timesketch's importer reads a ``.jsonl`` file.

The importer's rules (Timesketch's ``read_and_validate_jsonl`` and the import client's
``ImportStreamer``, read for this module):

* every line needs ``message``, ``datetime`` (ISO 8601) and ``timestamp_desc``; a line
  without ``timestamp`` gets one from ``datetime`` (microseconds since the epoch), so we
  write both and they agree: ``datetime`` is UTC with its offset (``+00:00``) and
  microseconds, ``timestamp`` the same instant in microseconds;
* fields starting with ``_`` are dropped by the import client and ``_id``, ``_type``,
  ``_index``, ``_source``, ``__ts_timeline_id`` by the server; ``tag`` is read as a list
  of labels and ``source``/``source_short``/``source_long`` are plaso's: none of these is
  used for Atlas's own fields (the source file is ``source_file``, the place in it
  ``source_ref``);
* ``data_type`` names the kind of record, plaso style (``atlas:event:message``).

Events without a time (address-book entries, accounts, cell-site rows) cannot go on a
timeline: they are not written, and :class:`TimesketchExport` counts them by kind so the
command says so (never a silently smaller export).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from atlas.exhibits import record_ref_expr

from .inputs import ExportContext

RESERVED: Final = frozenset({"_id", "_type", "_index", "_source", "__ts_timeline_id", "tag", "label", "source",
                             "source_short", "source_long"})
"""Field names Timesketch (or plaso, whose output it also reads) gives a meaning of its own."""

REQUIRED: Final = ("message", "datetime", "timestamp", "timestamp_desc")

_DESC: Final = {
    ("call", "out"): "Call made", ("call", "in"): "Call received", ("call", "unknown"): "Call start",
    ("message", "out"): "Message sent", ("message", "in"): "Message received", ("message", "unknown"): "Message time",
    ("location", None): "Position recorded", ("cell", None): "Cell record time", ("media", None): "Media time",
    ("note", None): "Note time", ("contact", None): "Record time", ("account", None): "Record time",
}
_KIND_WORD: Final = {"call": "Call", "message": "Message", "location": "Position", "cell": "Cell record",
                     "media": "Media", "note": "Note", "contact": "Address-book entry", "account": "Account record"}


def timestamp_desc(kind: str, direction: str | None) -> str:
    """What the time of a record means, in Timesketch's ``timestamp_desc`` sense."""
    return _DESC.get((kind, direction or "unknown")) or _DESC.get((kind, None)) or "Record time"


@dataclass(frozen=True)
class TimesketchExport:
    text: str
    """The JSONL document (UTF-8 text, one event per line, ``\\n`` after each)."""
    lines: int
    untimed: dict[str, int]
    """Kind → events not written because they have no time."""


def _message(row: dict[str, Any], ctx: ExportContext) -> str:
    kind, channel = row["kind"], row["channel"] or ""
    head = f"{_KIND_WORD.get(kind, kind)} ({channel})" if channel else _KIND_WORD.get(kind, kind)
    parts = [head]
    if kind in ("call", "message") or row["sender"] or row["recipients"]:
        to = ", ".join(ctx.who(r) for r in row["recipients"] or []) or "unknown"
        parts.append(f"{ctx.who(row['sender'])} → {to}")
    if kind == "call" and row["duration_s"] is not None:
        parts.append(f"{row['duration_s']} s")
    if row["status"]:
        parts.append(str(row["status"]))
    if row["lat"] is not None and row["lon"] is not None:
        acc = f" ±{row['accuracy_m']:g} m" if row["accuracy_m"] is not None else ""
        parts.append(f"{row['lat']:.6f}, {row['lon']:.6f}{acc}")
    if row["text"]:
        parts.append(f"“{row['text']}”")
    return ": ".join(parts[:2]) + ("; " + "; ".join(parts[2:]) if len(parts) > 2 else "") + f" [{row['record']}]"


def _party(uri: str | None, ctx: ExportContext) -> tuple[str | None, str | None]:
    owner = ctx.owners.get(uri or "")
    return (owner.party, owner.status) if owner else (None, None)


def build(events: pl.DataFrame, sources: pl.DataFrame, ctx: ExportContext) -> TimesketchExport:
    """The JSONL document for ``events`` (the event schema), in time order (then event id)."""
    untimed_frame = events.filter(pl.col("ts_utc").is_null()).group_by("kind").len()
    untimed = {str(k): int(n) for k, n in sorted(untimed_frame.iter_rows(), key=lambda r: str(r[0]))}
    meta = sources.select("source_id", pl.col("name").alias("source_file"), pl.col("sha256").alias("source_sha256"))
    timed = (
        events.filter(pl.col("ts_utc").is_not_null())
        .sort("ts_utc", "event_id")
        .join(meta, on="source_id", how="left", maintain_order="left")
        .with_columns(
            record_ref_expr(ctx.refs).alias("record"),
            pl.col("source_id").replace_strict(list(ctx.refs), list(ctx.refs.values()), default=None,
                                               return_dtype=pl.String).alias("exhibit"),
            pl.col("ts_utc").dt.epoch("us").alias("timestamp"),
            pl.col("ts_utc").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00").alias("datetime"),
            pl.col("ts_end_utc").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00").alias("end_datetime"),
            pl.col("kind").cast(pl.String), pl.col("direction").cast(pl.String), pl.col("ts_basis").cast(pl.String),
        )
    )
    out: list[str] = []
    for row in timed.iter_rows(named=True):
        sender_party, sender_status = _party(row["sender"], ctx)
        rec_owners = [_party(r, ctx) for r in row["recipients"] or []]
        line: dict[str, Any] = {
            "message": _message(row, ctx),
            "datetime": row["datetime"],
            "timestamp": row["timestamp"],
            "timestamp_desc": timestamp_desc(row["kind"], row["direction"]),
            "data_type": f"atlas:event:{row['kind']}",
            "case_reference": ctx.case_reference,
            "kind": row["kind"], "channel": row["channel"], "direction": row["direction"], "status": row["status"],
            "sender": row["sender"], "recipients": list(row["recipients"] or []),
            "sender_party": sender_party, "sender_party_status": sender_status,
            "recipient_parties": [p for p, _ in rec_owners if p],
            "recipient_party_status": [s for p, s in rec_owners if p],
            "identity_links": ctx.policy.name,
            "exhibit": row["exhibit"], "record": row["record"], "source_ref": row["source_ref"],
            "source_file": row["source_file"], "source_sha256": row["source_sha256"],
            "event_id": row["event_id"],
            "time_basis": row["ts_basis"], "time_as_written": row["ts_raw"], "end_datetime": row["end_datetime"],
            "duration_s": row["duration_s"], "text": row["text"], "attachments": list(row["attachments"] or []) or None,
            "latitude": row["lat"], "longitude": row["lon"], "accuracy_m": row["accuracy_m"], "cell_id": row["cell_id"],
            "deleted": row["deleted"], "integrity_notice": ctx.integrity,
        }
        clean = {k: v for k, v in line.items() if v is not None and v != []}
        out.append(json.dumps(clean, sort_keys=True, ensure_ascii=False, separators=(",", ":")))
    return TimesketchExport("".join(f"{line}\n" for line in out), len(out), untimed)


__all__ = ["REQUIRED", "RESERVED", "TimesketchExport", "build", "timestamp_desc"]
