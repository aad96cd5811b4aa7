"""The data-request log: what was asked of whom, when, under which reference, and what came back.

Requests are kept in the case database (``store/atlas.sqlite``, table ``data_requests``)
through :meth:`atlas.store.Case.db`, and every change is an audit row with the values
before and after, so the hash-chained audit log covers them (case.toml is the officer's
own text, read strictly and never rewritten for a routine update; a request's dates
change several times while the case runs).

Whether a request has been answered is **derived when read**, never stored: a request is
linked to every source in the case that an Atlas parser of its kind read (the kind's
``parsers``) and that is about its identifier (the source's owner; for a source with no
owner, such as a subscriber return, the identifiers its records are about). Deriving it
means a source ingested later, replaced or taken out changes the link everywhere on the
next read, with nothing to keep in step, and ingest needs no hook. The date received is
the one the officer recorded, else the day the first linked source was ingested (the
audit log's ingest row), and the output says which.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Final

import polars as pl

from atlas.errors import AtlasError
from atlas.exhibits import exhibit_key
from atlas.store import Case

from .kinds import PlanningData, RequestKind

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS data_requests (
    request_id  TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    identifier  TEXT NOT NULL,
    provider    TEXT NOT NULL DEFAULT '',
    requested   TEXT NOT NULL DEFAULT '',
    reference   TEXT NOT NULL DEFAULT '',
    expected    TEXT NOT NULL DEFAULT '',
    received    TEXT NOT NULL DEFAULT '',
    notes       TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
"""
FIELDS: Final = ("kind", "identifier", "provider", "requested", "reference", "expected", "received", "notes")
DATE_FIELDS: Final = ("requested", "expected", "received")
_URI = re.compile(r"^[a-z][a-z0-9\-]*:.+")


@dataclass(frozen=True)
class DataRequest:
    """One row of the request log, as the officer recorded it."""

    request_id: str
    kind: str
    identifier: str
    provider: str = ""
    requested: date | None = None
    reference: str = ""
    expected: date | None = None
    received: date | None = None
    notes: str = ""
    recorded_by: str = ""

    def values(self) -> dict[str, str]:
        """The stored text of each field (dates ISO, empty when not set)."""
        out: dict[str, str] = {}
        for f in FIELDS:
            v = getattr(self, f)
            out[f] = v.isoformat() if isinstance(v, date) else (v or "")
        return out

    def to_json(self) -> dict[str, Any]:
        return {"request_id": self.request_id, **{k: (v or None) for k, v in self.values().items()},
                "recorded_by": self.recorded_by}


@dataclass(frozen=True)
class LinkedSource:
    """A source in the case that answers a request."""

    source_id: str
    exhibit: str
    name: str
    ingested: date | None

    def to_json(self) -> dict[str, Any]:
        return {"source_id": self.source_id, "exhibit": self.exhibit, "name": self.name,
                "ingested": self.ingested.isoformat() if self.ingested else None}


def parse_day(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise AtlasError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from exc


def _from_row(row: Sequence[Any]) -> DataRequest:
    rid, kind, ident, provider, requested, reference, expected, received, notes, by = row
    return DataRequest(request_id=rid, kind=kind, identifier=ident, provider=provider,
                       requested=date.fromisoformat(requested) if requested else None, reference=reference,
                       expected=date.fromisoformat(expected) if expected else None,
                       received=date.fromisoformat(received) if received else None, notes=notes, recorded_by=by)


_SELECT: Final = ("SELECT request_id, kind, identifier, provider, requested, reference, expected, received, notes, "
                  "recorded_by FROM data_requests")


def _number(request_id: str) -> int:
    return int(request_id[1:]) if request_id[1:].isdigit() else 0


def read_requests(case: Case) -> list[DataRequest]:
    """Every request in the log, in the order recorded (R1, R2 ...). Reading never creates the database."""
    if not (case.store / "atlas.sqlite").exists():
        return []
    with case.db() as con:
        con.executescript(SCHEMA)
        rows = con.execute(_SELECT).fetchall()
    return sorted((_from_row(r) for r in rows), key=lambda r: _number(r.request_id))


def _check(req: DataRequest, kinds: PlanningData) -> None:
    kinds.kind(req.kind)  # a clear error naming the known kinds
    if not _URI.match(req.identifier):
        raise AtlasError(f"{req.identifier!r} is not an identifier URI such as tel:+447700900123 or instagram:handle")
    if req.requested and req.received and req.received < req.requested:
        raise AtlasError(f"received {req.received:%d/%m/%Y} is before requested {req.requested:%d/%m/%Y}")
    if req.requested and req.expected and req.expected < req.requested:
        raise AtlasError(f"expected {req.expected:%d/%m/%Y} is before requested {req.requested:%d/%m/%Y}")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def add_request(case: Case, req: DataRequest, kinds: PlanningData, officer: str) -> DataRequest:
    """Record a new request (its id is the next ``R<n>``), with an audit row in ``officer``'s name."""
    _check(req, kinds)
    with case.db() as con:
        con.executescript(SCHEMA)
        con.execute("BEGIN IMMEDIATE")  # two officers adding at once get R<n> and R<n+1>, never the same id
        top = max((_number(r[0]) for r in con.execute("SELECT request_id FROM data_requests")), default=0)
        new = replace(req, request_id=f"R{top + 1}", recorded_by=officer)
        values = new.values()
        con.execute(f"INSERT INTO data_requests (request_id, {', '.join(FIELDS)}, recorded_by, recorded_at) "
                    f"VALUES (?, {', '.join('?' for _ in FIELDS)}, ?, ?)",
                    (new.request_id, *(values[f] for f in FIELDS), officer, _now()))
        case.audit("request-add", {"request_id": new.request_id, "officer": officer, "after": values}, con)
    return new


def update_request(case: Case, request_id: str, changes: Mapping[str, str], kinds: PlanningData,
                   officer: str) -> DataRequest:
    """Change the given fields of a request (``""`` clears one), with an audit row holding before and after."""
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise AtlasError(f"unknown request field(s) {', '.join(unknown)} (fields: {', '.join(FIELDS)})")
    with case.db() as con:
        con.executescript(SCHEMA)
        con.execute("BEGIN IMMEDIATE")  # read and write the row under one lock
        row = con.execute(_SELECT + " WHERE request_id = ?", (request_id,)).fetchone()
        if row is None:
            known = [r[0] for r in con.execute("SELECT request_id FROM data_requests")]
            raise AtlasError(f"no request {request_id!r} in the log (requests: {', '.join(known) or 'none'})")
        before = _from_row(row)
        values = before.values() | {k: v.strip() for k, v in changes.items()}
        for f in DATE_FIELDS:
            if values[f]:
                parse_day(values[f], f"--{f}")
        after = _from_row((request_id, *(values[f] for f in FIELDS), before.recorded_by))
        _check(after, kinds)
        if after.values() == before.values():
            return before
        con.execute(f"UPDATE data_requests SET {', '.join(f'{f} = ?' for f in FIELDS)} WHERE request_id = ?",
                    (*(values[f] for f in FIELDS), request_id))
        case.audit("request-update", {"request_id": request_id, "officer": officer, "before": before.values(),
                                      "after": after.values()}, con)
    return after


# --- links to received sources (derived when read) ----------------------------------------------

def source_subjects(sources: pl.DataFrame, evidence: pl.DataFrame) -> dict[str, frozenset[str]]:
    """Source id → the identifiers it is about: its owner; for a source with no owner, the
    identifiers its identity-evidence records are about (a subscriber return's numbers)."""
    about: dict[str, set[str]] = {}
    if evidence.height:
        for sid, ident in evidence.select("source_id", "identifier").unique().iter_rows():
            if ident:
                about.setdefault(sid, set()).add(ident)
    out: dict[str, frozenset[str]] = {}
    for sid, owner in sources.select("source_id", "owner").iter_rows():
        out[sid] = frozenset({owner}) if owner else frozenset(about.get(sid, set()))
    return out


@dataclass(frozen=True)
class SourceIndex:
    """The case's sources as the link rule needs them: parser, the identifiers each is about,
    its exhibit reference and the day it was ingested."""

    rows: tuple[tuple[str, str, str, frozenset[str]], ...] = ()
    """(source id, parser, file name, identifiers it is about)."""
    exhibits: Mapping[str, str] = field(default_factory=dict)
    ingested: Mapping[str, date] = field(default_factory=dict)

    @classmethod
    def of(cls, sources: pl.DataFrame, evidence: pl.DataFrame, exhibits: Mapping[str, str],
           ingested: Mapping[str, date]) -> SourceIndex:
        subjects = source_subjects(sources, evidence)
        rows = tuple((sid, parser, name, subjects.get(sid, frozenset()))
                     for sid, parser, name in sources.select("source_id", "parser", "name").iter_rows())
        return cls(rows, dict(exhibits), dict(ingested))

    def answering(self, kind: RequestKind, identifier: str) -> tuple[LinkedSource, ...]:
        """The sources that answer a request of ``kind`` about ``identifier``: read by one of the
        kind's parsers and about that identifier (the one link rule)."""
        parsers = set(kind.parsers)
        hits = [LinkedSource(sid, self.exhibits.get(sid, ""), name, self.ingested.get(sid))
                for sid, parser, name, about in self.rows if parser in parsers and identifier in about]
        return tuple(sorted(hits, key=lambda s: (s.ingested or date.max, exhibit_key(s.exhibit), s.source_id)))


def link_sources(requests: Iterable[DataRequest], index: SourceIndex,
                 kinds: PlanningData) -> dict[str, tuple[LinkedSource, ...]]:
    """Request id → the sources that answer it (:meth:`SourceIndex.answering`)."""
    return {r.request_id: index.answering(kinds.kind(r.kind), r.identifier) for r in requests}


def ingest_dates(sources: pl.DataFrame, audit: Iterable[dict[str, Any]]) -> dict[str, date]:
    """Source id → the UTC date of its first ingest audit row (when it was received into the case)."""
    from atlas.exhibits import ingest_records

    first = ingest_records(audit)
    out: dict[str, date] = {}
    for sid, sha in sources.select("source_id", "sha256").iter_rows():
        rec = first.get(sha)
        if rec is not None:
            out[sid] = datetime.fromisoformat(str(rec["at"])).date()
    return out


__all__ = [
    "FIELDS",
    "SCHEMA",
    "DataRequest",
    "LinkedSource",
    "SourceIndex",
    "add_request",
    "ingest_dates",
    "link_sources",
    "parse_day",
    "read_requests",
    "source_subjects",
    "update_request",
]
