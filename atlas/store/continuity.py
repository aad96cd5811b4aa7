"""Continuity of each exhibit: who supplied it, when it was received, its seal or bag number.

These are facts the officer knows and the file cannot tell (the file's hash is the
software's; the exhibit bag is the officer's). They belong with the source, so they are
kept in the case database keyed by the file's SHA-256 (the same key the exhibit numbers
use), filled by ``atlas ingest --exhibit-from NAME --received DATE --seal REF`` and
corrected later with ``atlas exhibit continuity``. Every change is written to the audit
log with the values before and after; nothing is ever inferred from the machine (never
"ingested by root").
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

from atlas.errors import AtlasError
from atlas.store.case import Case

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS exhibit_continuity (
    sha256 TEXT PRIMARY KEY,
    supplied_by TEXT NOT NULL DEFAULT '',
    received TEXT NOT NULL DEFAULT '',
    seal TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Continuity:
    """How an exhibit came to the maker: every field optional until the officer records it."""

    sha256: str
    supplied_by: str = ""
    """Who handed it over (a person, a provider, a unit: 'DC 4321 Lee, DFU', 'EE Ltd (SPoC return)')."""
    received: date | None = None
    seal: str = ""
    """Seal or bag number as written on the exhibit label."""

    @property
    def complete(self) -> bool:
        return bool(self.supplied_by and self.received and self.seal)


def parse_received(value: str) -> date:
    """A received date as the officer types it (``2026-11-20``); a clear error otherwise."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise AtlasError(f"--received {value!r} is not a date (YYYY-MM-DD)") from exc


def _ensure(con: sqlite3.Connection) -> None:
    con.executescript(_SCHEMA)


def read_all(case: Case) -> dict[str, Continuity]:
    """SHA-256 → continuity, for every source that has any recorded."""
    with case.db() as con:
        _ensure(con)
        rows = con.execute("SELECT sha256, supplied_by, received, seal FROM exhibit_continuity").fetchall()
    return {sha: Continuity(sha, by, date.fromisoformat(rec) if rec else None, seal) for sha, by, rec, seal in rows}


def record(case: Case, sha256: str, *, supplied_by: str | None = None, received: date | None = None,
           seal: str | None = None) -> Continuity:
    """Set the given fields for the source with ``sha256`` (fields left ``None`` keep their value)."""
    if sha256 not in set(case.sources().get_column("sha256").to_list()):
        raise AtlasError(f"no source with SHA-256 {sha256} in the case")
    with case.db() as con:
        _ensure(con)
        row = con.execute("SELECT supplied_by, received, seal FROM exhibit_continuity WHERE sha256 = ?",
                          (sha256,)).fetchone()
        before = {"supplied_by": row[0], "received": row[1], "seal": row[2]} if row else {
            "supplied_by": "", "received": "", "seal": ""}
        after = dict(before)
        if supplied_by is not None:
            after["supplied_by"] = supplied_by.strip()
        if received is not None:
            after["received"] = received.isoformat()
        if seal is not None:
            after["seal"] = seal.strip()
        if after == before and row is not None:
            return _from(sha256, after)
        con.execute(
            "INSERT INTO exhibit_continuity (sha256, supplied_by, received, seal, recorded_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(sha256) DO UPDATE SET supplied_by = excluded.supplied_by, received = excluded.received, "
            "seal = excluded.seal, recorded_at = excluded.recorded_at",
            (sha256, after["supplied_by"], after["received"], after["seal"], datetime.now(UTC).isoformat(timespec="seconds")),
        )
        case.audit("exhibit-continuity", {"sha256": sha256, "before": before, "after": after}, con)
    return _from(sha256, after)


def _from(sha256: str, values: dict[str, str]) -> Continuity:
    rec = values["received"]
    return Continuity(sha256, values["supplied_by"], date.fromisoformat(rec) if rec else None, values["seal"])


def resolve_source(case: Case, what: str) -> str:
    """The SHA-256 of the source named by an exhibit reference (``JA/3``), a source id, a
    SHA-256 (or a unique prefix of either) or a file name."""
    sources = case.sources()
    rows = list(sources.select("source_id", "sha256", "name").iter_rows())
    if "/" in what and what.split("/", 1)[1].isdigit():
        prefix, number = what.split("/", 1)
        with case.db() as con:
            con.execute("CREATE TABLE IF NOT EXISTS report_exhibits (key TEXT PRIMARY KEY, number INTEGER NOT NULL "
                        "UNIQUE, kind TEXT NOT NULL, assigned_at TEXT NOT NULL)")
            hit = con.execute("SELECT key FROM report_exhibits WHERE number = ?", (int(number),)).fetchone()
        if prefix != case.manifest.exhibit_prefix:
            raise AtlasError(f"{what}: this case's exhibit prefix is {case.manifest.exhibit_prefix!r}")
        if hit is None or not str(hit[0]).startswith("source:"):
            raise AtlasError(f"{what} is not a source exhibit of this case (exhibit numbers are given by `atlas report`)")
        return str(hit[0]).removeprefix("source:")
    matches = {sha for sid, sha, name in rows if what in (sid, sha, name) or
               (len(what) >= 8 and (sid.startswith(what) or sha.startswith(what)))}
    if len(matches) == 1:
        return matches.pop()
    if not matches:
        raise AtlasError(f"no source {what!r} in the case (give an exhibit reference such as "
                         f"{case.manifest.exhibit_prefix}/3, a source id or a file name)")
    raise AtlasError(f"{what!r} names {len(matches)} sources; give the exhibit reference or the source id")
