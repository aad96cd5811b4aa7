"""The decisions ledger: every decision an officer makes in a case, append-only.

One table, ``decisions`` in ``store/atlas.sqlite``, holds them all: confirming or
rejecting an alias link, confirming or dismissing a threat or behaviour candidate,
tagging or untagging an exhibit, a note, a bookmark. A row is never updated or deleted
(SQLite triggers refuse it); a decision is undone by a further decision, and the current
state of anything is derived from its latest row. Each row names the officer (name and
collar number, :mod:`atlas.store.officer`), carries the officer's note, and is written to
the audit log in the same transaction.

Subjects and their states:

============================  ==========================================  ===================
subject                       key                                         states
============================  ==========================================  ===================
``link``                      link id (``L3e4fb9b9f8``)                   confirmed, rejected, proposed
``threat``, ``behaviour:<t>`` event id of the candidate record            confirmed, dismissed, open
``colocation``                hash of the records a possible co-location  confirmed, dismissed, open
                              rests on (:mod:`atlas.conduct.possible_colocations`)
``breach``                    hash of the order, zone and records a       confirmed, dismissed, open
                              possible breach rests on
                              (:mod:`atlas.conduct.possible_breaches`)
``exhibit``                   ``event:<event id>`` / ``finding:<id>``     tagged, untagged
``bookmark``                  event id                                    bookmarked, unbookmarked
``note``                      what it is about (``case``, ``event:<id>``  noted, withdrawn
                              ``link:<id>``, ``finding:<id>``)
============================  ==========================================  ===================
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from atlas.errors import AtlasError
from atlas.store import Case
from atlas.store.officer import Officer

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS decisions (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT NOT NULL,
    officer        TEXT NOT NULL,
    officer_name   TEXT NOT NULL,
    collar_number  TEXT NOT NULL,
    subject        TEXT NOT NULL,
    key            TEXT NOT NULL,
    state          TEXT NOT NULL,
    note           TEXT NOT NULL,
    detail         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_subject_key ON decisions (subject, key, seq);
CREATE TRIGGER IF NOT EXISTS decisions_append_only_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'the decisions ledger is append-only: record a further decision instead'); END;
CREATE TRIGGER IF NOT EXISTS decisions_append_only_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'the decisions ledger is append-only: record a further decision instead'); END;
"""

STATES: Final[dict[str, tuple[str, ...]]] = {
    "link": ("confirmed", "rejected", "proposed"),
    "candidate": ("confirmed", "dismissed", "open"),
    "colocation": ("confirmed", "dismissed", "open"),
    "breach": ("confirmed", "dismissed", "open"),
    "exhibit": ("tagged", "untagged"),
    "bookmark": ("bookmarked", "unbookmarked"),
    "note": ("noted", "withdrawn"),
}
NOTE_REQUIRED: Final = frozenset({"confirmed", "rejected", "dismissed"})
"""States a decision may only reach with the officer's reason written down."""


def family(subject: str) -> str:
    """``behaviour:following`` → ``candidate``; ``link`` → ``link``."""
    if subject == "threat" or subject.startswith("behaviour:"):
        return "candidate"
    if subject in STATES:
        return subject
    raise AtlasError(f"unknown decision subject {subject!r} (link, threat, behaviour:<type>, colocation, breach, "
                     "exhibit, bookmark, note)")


@dataclass(frozen=True)
class Decision:
    """One row of the ledger."""

    seq: int
    at: str
    officer: str
    officer_name: str
    collar_number: str
    subject: str
    key: str
    state: str
    note: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at, "officer": self.officer, "officer_name": self.officer_name,
                "collar_number": self.collar_number, "subject": self.subject, "key": self.key, "state": self.state,
                "note": self.note, "detail": dict(self.detail)}


class NothingToRecord(AtlasError):
    """A decision that would change nothing: re-opening what no decision closed. Refused, so that the
    append-only ledger gets no row that records nothing (it read as if the item had been decided and undone)."""


def latest_state(case: Case, subject: str, key: str) -> str | None:
    """The state the latest decision on ``(subject, key)`` set, or None if none was ever recorded."""
    if not (case.store / "atlas.sqlite").exists():
        return None
    with case.db() as con:
        ensure_schema(con)
        row = con.execute("SELECT state FROM decisions WHERE subject = ? AND key = ? ORDER BY seq DESC LIMIT 1",
                          (subject, key)).fetchone()
    return None if row is None else str(row[0])


def refuse_unchanged(what: str, previous: str | None, state: str, *, undecided: str = "open") -> None:
    """Refuse re-opening ``what`` when it is already ``undecided`` (``previous`` None: never decided), there
    being nothing to undo: :class:`NothingToRecord`."""
    if state == undecided and (previous or undecided) == undecided:
        raise NothingToRecord(f"{what} is already {undecided} (no decision on it to undo): nothing recorded")


def ensure_schema(con: sqlite3.Connection) -> None:
    con.executescript(SCHEMA)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def record(case: Case, con: sqlite3.Connection, subject: str, key: str, state: str, *, note: str,
           detail: Mapping[str, Any] | None = None, officer: Officer | None = None, audit_action: str | None = None,
           audit_detail: Mapping[str, Any] | None = None) -> Decision:
    """Append one decision (inside the caller's transaction ``con``) and audit it.

    Refuses a state the subject does not have, a confirmation/rejection/dismissal without
    a note, and an officer without a collar number.
    """
    fam = family(subject)
    if state not in STATES[fam]:
        raise AtlasError(f"{state!r} is not a {subject} decision ({', '.join(STATES[fam])})")
    note = note.strip()
    if state in NOTE_REQUIRED and not note:
        raise AtlasError(f"a note is required to record a {subject} decision as {state} (say why: --note \"...\")")
    who = (officer or case.officer()).require_collar()
    ensure_schema(con)
    at = _now()
    body = json.dumps(dict(detail or {}), sort_keys=True, default=str)
    cur = con.execute(
        "INSERT INTO decisions (at, officer, officer_name, collar_number, subject, key, state, note, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at, who.label, who.name, who.collar_number or "", subject, key, state, note, body),
    )
    seq = int(cur.lastrowid or 0)
    case.audit(audit_action or f"decision.{subject}.{state}",
               dict(audit_detail or {}) | {"decision_seq": seq, "subject": subject, "key": key, "state": state,
                                           "note": note, "officer": who.as_dict()}, con)
    return Decision(seq, at, who.label, who.name, who.collar_number or "", subject, key, state, note, dict(detail or {}))


def decide(case: Case, subject: str, key: str, state: str, *, note: str, detail: Mapping[str, Any] | None = None,
           audit_action: str | None = None, audit_detail: Mapping[str, Any] | None = None) -> Decision:
    """Record one decision in its own transaction (see :func:`record`)."""
    with case.db() as con:
        return record(case, con, subject, key, state, note=note, detail=detail, audit_action=audit_action,
                      audit_detail=audit_detail)


def _row(r: tuple[Any, ...]) -> Decision:
    seq, at, officer, name, collar, subject, key, state, note, detail = r
    return Decision(int(seq), str(at), str(officer), str(name), str(collar), str(subject), str(key), str(state),
                    str(note), json.loads(str(detail)))


def read_decisions(case: Case, *, subjects: Iterable[str] | None = None,
                   con: sqlite3.Connection | None = None) -> list[Decision]:
    """Every decision in order (optionally of some subjects); reading never creates the
    database. Pass ``con`` to read inside a transaction already open on it."""
    if con is None:
        if not (case.store / "atlas.sqlite").exists():
            return []
        with case.db() as own:
            return read_decisions(case, subjects=subjects, con=own)
    ensure_schema(con)
    rows = con.execute("SELECT seq, at, officer, officer_name, collar_number, subject, key, state, note, detail "
                       "FROM decisions ORDER BY seq").fetchall()
    out = [_row(r) for r in rows]
    if subjects is not None:
        wanted = set(subjects)
        out = [d for d in out if d.subject in wanted or (d.subject.startswith("behaviour:") and "behaviour:*" in wanted)]
    return out


def current(decisions: Iterable[Decision]) -> dict[tuple[str, str], Decision]:
    """The latest decision per (subject, key): the current state of everything decided."""
    latest: dict[tuple[str, str], Decision] = {}
    for d in decisions:
        latest[(d.subject, d.key)] = d
    return latest


def generation(case: Case) -> tuple[int, int]:
    """A number that changes whenever a decision or a proposal is written: (last decision
    seq, last audit seq). Views compare it to know they are stale."""
    if not (case.store / "atlas.sqlite").exists():
        return (0, 0)
    with case.db() as con:
        ensure_schema(con)
        d = con.execute("SELECT COALESCE(MAX(seq), 0) FROM decisions").fetchone()[0]
        a = con.execute("SELECT COALESCE(MAX(seq), 0) FROM audit").fetchone()[0]
    return int(d), int(a)
