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
from typing import Any

import polars as pl

from atlas import __version__
from atlas.conduct import ConductResult
from atlas.decisions.exhibits import TaggedExhibit, tagged
from atlas.spreadsheet_safety import neutralise
from atlas.store import Case
from atlas.wording import plural

from .chronology import channel_name, record_ref
from .decided import Decided
from .exhibits import Exhibit
from .style import uk_date, uk_time


@dataclass(frozen=True)
class TaggedProduct:
    exhibit: Exhibit
    event_ids: tuple[str, ...]
    tag: TaggedExhibit


def _name(uri: str, owners: Mapping[str, str], names: Mapping[str, str]) -> str:
    pid = owners.get(uri)
    return names.get(pid, pid) if pid else (uri.split(":", 2)[2] if uri.startswith("name:") else uri)


def describe_finding(item: str, conduct: ConductResult | None, decided: Decided | None,
                     refs: Mapping[str, str], subject: str) -> tuple[str, tuple[str, ...]]:
    """A tagged finding in neutral words, from the analysis's typed records (never the workbench row's
    text, which holds scores, ids and decisions): the description and the records behind it."""
    from datetime import date

    from atlas.exhibits import event_refs

    kind, _, rest = item.partition(":")
    if conduct is not None:
        if kind == "incident":
            for i in conduct.incidents:
                if i.date.isoformat() == rest:
                    return (f"Contacts and presences on {uk_date(i.date)}: {plural(i.contacts, 'contact')} from "
                            f"{subject}" + (f" and {plural(len(i.presences), 'presence')}" if i.presences else "")
                            + f" ({plural(len(i.event_ids), 'record')})", tuple(i.event_ids))
        if kind == "breach":
            for b in conduct.breaches:
                if f"{b.order}:{b.ts.isoformat()}" == rest:
                    what = ("presence inside an area the order excluded" if b.kind == "exclusion-zone" else
                            "possible presence inside an area the order excluded, counted only because it was "
                            "confirmed by an officer" if b.kind.endswith("(confirmed)") else
                            f"{channel_name(b.channel or '')} contact")
                    return (f"{what[:1].upper() + what[1:]} at {uk_time(b.ts)}, while order {b.order} was in force "
                            f"({'; '.join(event_refs(refs, list(b.event_ids))[:3])})", tuple(b.event_ids))
        if kind == "colocation":
            for c in conduct.colocations:
                if c.start.isoformat() == rest:
                    near = c.place or "the victim's recorded position"
                    return (f"Device used by {subject} recorded near {near} from "
                            f"{uk_time(c.start)} (closest {c.min_distance_m:.0f} m)", tuple(c.event_ids))
            for p in conduct.colocation_reviews:  # a possible one: tagged by its id, described with its decision
                if p.id == rest:
                    near = p.colocation.place or "the victim's recorded position"
                    return (f"Possible co-location: device used by {subject} recorded near {near} from "
                            f"{uk_time(p.start)} (closest {p.colocation.min_distance_m:.0f} m); {p.basis}; {p.status}",
                            tuple(p.colocation.event_ids))
        if kind == "possible-breach":  # tagged by its id, described by what the data shows and whether it counts
            for pb in conduct.breach_reviews:
                if pb.id == rest:
                    counted = {"confirmed": "counted only because it was confirmed by an officer (decision in the "
                                            "case's decisions ledger)",
                               "dismissed": "not counted (dismissed by an officer)",
                               "open": "not counted (awaiting an officer's decision)"}[pb.state]
                    return (f"Possible presence of the device used by {subject} in {pb.place}, an area excluded by "
                            f"order {pb.order}, at {uk_time(pb.start)} ({pb.basis}); {counted}",
                            tuple(pb.possible.event_ids))
        if kind == "gap":
            first, _, last = rest.partition(":")
            try:
                return (f"No contact or presence recorded from {uk_date(date.fromisoformat(first))} to "
                        f"{uk_date(date.fromisoformat(last))}", ())
            except ValueError:
                pass
    if kind == "candidate" and decided is not None:
        for m in (*decided.threats, *decided.behaviours):
            if m.handle == rest:
                return f"{m.channel} message from {m.from_name} to {m.to_name}, {m.uk_time} ({m.exhibit})", m.event_ids
    return "Finding selected by an officer (described in the reviewer's note)", ()


def write(case: Case, out_dir: Path, refs: Mapping[str, str], owners: Mapping[str, str],
          names: Mapping[str, str], conduct: ConductResult | None = None, decided: Decided | None = None,
          subject: str = "the suspect") -> list[TaggedProduct]:
    """Write one file per tagged item; return them as exhibits (not yet hashed)."""
    items = tagged(case)
    if not items:
        return []
    (out_dir / "tagged").mkdir(exist_ok=True)
    prefix = case.manifest.exhibit_prefix
    found = {t.target: describe_finding(t.item, conduct, decided, refs, subject) for t in items if t.kind != "event"}
    ids = sorted({t.item for t in items if t.kind == "event"} | {e for _, evs in found.values() for e in evs})
    events = {r["event_id"]: r for r in case.events().filter(pl.col("event_id").is_in(ids)).select(
        "event_id", "source_id", "source_ref", "ts_utc", "kind", "channel", "sender", "recipients", "text",
        "duration_s").collect().iter_rows(named=True)} if ids else {}

    def row(exhibit: str, r: dict[str, Any]) -> dict[str, str]:
        to = ", ".join(_name(u, owners, names) for u in r["recipients"] or []) or "no recipient recorded"
        return {"exhibit": exhibit, "record": record_ref(refs.get(str(r["source_id"]), "an exhibit"), str(r["source_ref"])),
                "uk_time": uk_time(r["ts_utc"]), "kind": str(r["kind"]), "channel": channel_name([str(r["channel"])]),
                "from": _name(str(r["sender"] or ""), owners, names), "to": to, "text": str(r["text"] or ""),
                "duration_s": "" if r["duration_s"] is None else str(r["duration_s"])}

    out = []
    for t in items:
        filename = f"tagged/{prefix}-{t.number}.csv"
        if t.kind == "event" and t.item in events:
            one = row(t.reference, events[t.item])
            description = (f"Extract of one record: {one['channel']} {one['kind']} from {one['from']} to {one['to']}, "
                           f"{one['uk_time']} ({one['record']})")
            event_ids: tuple[str, ...] = (t.item,)
            rows = [one]
        else:
            description, event_ids = found.get(t.target, ("Finding selected by an officer", ()))
            description = f"Finding: {description}"
            rows = [row(t.reference, events[e]) for e in event_ids if e in events] or [
                {"exhibit": t.reference, "record": "", "uk_time": "", "kind": "finding", "channel": "", "from": "",
                 "to": "", "text": description, "duration_s": ""}]
        neutralise(pl.DataFrame(rows, schema={k: pl.String for k in rows[0]})).write_csv(out_dir / filename)
        out.append(TaggedProduct(Exhibit(key=f"tagged:{t.target}", reference=t.reference, number=t.number,
                                         kind="tagged", description=description, filename=filename,
                                         produced_by=f"atlas {__version__} (atlas report; tagged by {t.tagged_by})"),
                                 event_ids, t))
    return out
