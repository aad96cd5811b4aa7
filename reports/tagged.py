"""Exhibits an officer tagged in the workbench (``atlas exhibit tag``), produced by the report.

A tagged record or finding already has its exhibit number (``JA/40``, given when it was
tagged and never reused: :mod:`atlas.decisions.exhibits`). The report produces it as a
separate document, a one-row CSV under ``tagged/`` describing the record (UK time,
channel, who from and to by party name, the full text, its exhibit record), hashed and
listed in the MG11's "Exhibits I produce" and in the exhibit schedule like every other
produced exhibit. A tagged event is a record the statement relies on (it is cited in
``events.csv``, so the MG6C does not list it as unused).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from atlas import __version__
from atlas.decisions.exhibits import TaggedExhibit, tagged
from atlas.spreadsheet_safety import neutralise
from atlas.store import Case

from .chronology import channel_name, record_ref
from .exhibits import Exhibit
from .style import uk_time


@dataclass(frozen=True)
class TaggedProduct:
    exhibit: Exhibit
    event_ids: tuple[str, ...]
    tag: TaggedExhibit


def _name(uri: str, owners: Mapping[str, str], names: Mapping[str, str]) -> str:
    pid = owners.get(uri)
    return names.get(pid, pid) if pid else (uri.split(":", 2)[2] if uri.startswith("name:") else uri)


def write(case: Case, out_dir: Path, refs: Mapping[str, str], owners: Mapping[str, str],
          names: Mapping[str, str]) -> list[TaggedProduct]:
    """Write one file per tagged item; return them as exhibits (not yet hashed)."""
    items = tagged(case)
    if not items:
        return []
    (out_dir / "tagged").mkdir(exist_ok=True)
    prefix = case.manifest.exhibit_prefix
    ids = [t.item for t in items if t.kind == "event"]
    events = {r["event_id"]: r for r in case.events().filter(pl.col("event_id").is_in(ids)).select(
        "event_id", "source_id", "source_ref", "ts_utc", "kind", "channel", "sender", "recipients", "text",
        "duration_s").collect().iter_rows(named=True)} if ids else {}
    out = []
    for t in items:
        filename = f"tagged/{prefix}-{t.number}.csv"
        r = events.get(t.item) if t.kind == "event" else None
        if r is not None:
            ref = record_ref(refs.get(str(r["source_id"]), "an exhibit"), str(r["source_ref"]))
            to = ", ".join(_name(u, owners, names) for u in r["recipients"] or []) or "no recipient recorded"
            what = (f"{channel_name(str(r['channel']))} {r['kind']} from {_name(str(r['sender'] or ''), owners, names)} "
                    f"to {to}, {uk_time(r['ts_utc'])} ({ref})")
            row = {"exhibit": t.reference, "record": ref, "uk_time": uk_time(r["ts_utc"]), "kind": str(r["kind"]),
                   "channel": channel_name(str(r["channel"])), "from": _name(str(r["sender"] or ""), owners, names),
                   "to": to, "text": str(r["text"] or ""),
                   "duration_s": "" if r["duration_s"] is None else str(r["duration_s"])}
            description = f"Extract of one record: {what}"
            event_ids: tuple[str, ...] = (t.item,)
        else:
            description = f"Finding: {t.description or t.item}"
            row = {"exhibit": t.reference, "record": "", "uk_time": "", "kind": "finding", "channel": "", "from": "",
                   "to": "", "text": t.description, "duration_s": ""}
            event_ids = ()
        neutralise(pl.DataFrame([row], schema={k: pl.String for k in row})).write_csv(out_dir / filename)
        out.append(TaggedProduct(Exhibit(key=f"tagged:{t.target}", reference=t.reference, number=t.number,
                                         kind="tagged", description=description, filename=filename,
                                         produced_by=f"atlas {__version__} (atlas report; tagged by {t.tagged_by})"),
                                 event_ids, t))
    return out
