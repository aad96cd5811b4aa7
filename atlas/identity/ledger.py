"""The identity ledger: links between identifiers (or an identifier and a party), kept in
the case's ``atlas.sqlite`` next to the audit log.

A link is never an edit of the data: it is a claim, with a basis from
:data:`atlas.identity.bases.BASES`, the source records that support it, a strength and a
status. The ``identity_links`` row holds the claim as proposed; every decision on it
(confirm, reject, re-open) is a row of the append-only decisions ledger
(:mod:`atlas.decisions.ledger`, subject ``link``) naming the officer and their note, and
the link's status is the latest of them. Analyses never cache what the ledger implies:
they derive it at read time, so a rejection removes a link's effect everywhere on the
next read. :func:`hypothetical` lets a view ask "what if this link were confirmed?"
without writing anything.

Link ids are derived from the link's content (``L`` + 10 hex digits of the SHA-256 of
its two endpoints and basis), so re-running discovery on the same case finds the same
ids, and the same pair with the same basis is one link however often it is proposed.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final, Literal

from atlas.decisions import ledger as decisions
from atlas.errors import AtlasError
from atlas.identity.bases import BASES, Strength, strength_of
from atlas.messages import Message
from atlas.store import Case

LinkStatus = Literal["proposed", "confirmed", "rejected"]
LINK_STATUSES: Final = ("proposed", "confirmed", "rejected")

PARTY_PREFIX: Final = "party:"
"""An endpoint naming a case.toml party rather than an identifier: ``party:suspect``."""

_URI = re.compile(r"^[a-z][a-z0-9\-]*:.+")

LEDGER_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS identity_links (
    link_id     TEXT PRIMARY KEY,
    a           TEXT NOT NULL,
    b           TEXT NOT NULL,
    basis       TEXT NOT NULL,
    strength    TEXT NOT NULL CHECK (strength IN ('proven', 'inferred')),
    status      TEXT NOT NULL CHECK (status IN ('proposed', 'confirmed', 'rejected')),
    score       REAL,
    reason      TEXT NOT NULL,
    support     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    decided_at  TEXT,
    decided_by  TEXT,
    note        TEXT NOT NULL DEFAULT '',
    reason_parts TEXT,
    UNIQUE (a, b, basis)
);
CREATE INDEX IF NOT EXISTS identity_links_status ON identity_links (status);
"""


@dataclass(frozen=True)
class Link:
    """One row of the ledger."""

    link_id: str
    a: str
    b: str
    basis: str
    strength: Strength
    status: LinkStatus
    score: float | None
    reason: str
    support: tuple[str, ...]
    """Source records behind the link: event ids (``<source_id>/<source_ref>``) or evidence
    records (``<source_id>/<source_ref>`` of the evidence row)."""
    origin: str
    """``discovery:<rule>`` or ``officer``."""
    created_at: str
    created_by: str
    decided_at: str | None = None
    decided_by: str | None = None
    note: str = ""
    reason_message: Message | None = None
    """:attr:`reason` with the records it names as data (:class:`atlas.messages.Message`), for a
    reason Atlas's discovery wrote; None for a reason that is only text (an officer's words, or a
    row written before reasons were stored with their records: column ``reason_parts`` NULL)."""

    def reason_shown(self, refs: Mapping[str, str]) -> str:
        """The reason as a person reads it: each record it names by its exhibit. A reason Atlas
        wrote is rendered from its records (:meth:`atlas.messages.Message.shown`; its words are
        never searched); a reason that is only text is read by :func:`atlas.exhibits.readable_text`
        (an officer's words, and rows an older Atlas wrote, show the same words as before)."""
        if self.reason_message is not None:
            return self.reason_message.shown(refs)
        from atlas.exhibits import readable_text

        return readable_text(refs, self.reason)

    @property
    def detail(self) -> str:
        """The reason, under the name some readers use."""
        return self.reason

    def other(self, end: str) -> str:
        return self.b if end == self.a else self.a

    def as_dict(self) -> dict[str, object]:
        return {
            "link_id": self.link_id, "a": self.a, "b": self.b, "basis": self.basis, "strength": self.strength,
            "status": self.status, "score": self.score, "reason": self.reason, "support": list(self.support),
            "origin": self.origin, "created_at": self.created_at, "created_by": self.created_by,
            "decided_at": self.decided_at, "decided_by": self.decided_by, "note": self.note,
        }


_HYPOTHESIS: ContextVar[Mapping[str, LinkStatus] | None] = ContextVar("atlas_link_hypothesis", default=None)


@contextmanager
def hypothetical(statuses: Mapping[str, LinkStatus]) -> Iterator[None]:
    """Within the block, :func:`read_links` reads these links with these statuses: the
    impact of a decision is computed by the same analysis, and nothing is written."""
    token = _HYPOTHESIS.set(dict(statuses))
    try:
        yield
    finally:
        _HYPOTHESIS.reset(token)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def link_id_for(a: str, b: str, basis: str) -> str:
    a, b = sorted((a, b))
    return "L" + hashlib.sha256(f"{a}\n{b}\n{basis}".encode()).hexdigest()[:10]


def ensure_schema(con: sqlite3.Connection) -> None:
    """The ledger's table; a ledger an older Atlas made gains the ``reason_parts`` column (NULL in
    its rows: their reasons are read as text, as before)."""
    con.executescript(LEDGER_SCHEMA)
    if "reason_parts" not in {str(r[1]) for r in con.execute("PRAGMA table_info(identity_links)")}:
        con.execute("ALTER TABLE identity_links ADD COLUMN reason_parts TEXT")


def _parts_json(reason: str | Message) -> str | None:
    """The stored form of a reason's records (None for a reason given as text only)."""
    return None if isinstance(reason, str) else json.dumps(reason.to_parts(), ensure_ascii=False)


def _row_to_link(row: Sequence[object]) -> Link:
    (link_id, a, b, basis, strength, status, score, reason, support, origin, created_at, created_by,
     decided_at, decided_by, note, reason_parts) = row
    message = None if reason_parts is None else Message.from_parts(json.loads(str(reason_parts)))
    return Link(
        link_id=str(link_id), a=str(a), b=str(b), basis=str(basis), strength=strength,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        score=None if score is None else float(score),  # type: ignore[arg-type]
        reason=str(reason), support=tuple(json.loads(str(support))), origin=str(origin),
        created_at=str(created_at), created_by=str(created_by),
        decided_at=None if decided_at is None else str(decided_at),
        decided_by=None if decided_by is None else str(decided_by), note=str(note or ""),
        reason_message=message if message is not None and message.text == str(reason) else None,
    )


_COLUMNS: Final = ("link_id, a, b, basis, strength, status, score, reason, support, origin, created_at, created_by, "
                   "decided_at, decided_by, note, reason_parts")


def read_links(case: Case, *, statuses: Iterable[str] | None = None) -> list[Link]:
    """Ledger rows, ordered by link id (stable: ids come from content)."""
    if not (case.store / "atlas.sqlite").exists():
        return []  # reading never creates the decision database
    with case.db() as con:
        ensure_schema(con)
        rows = con.execute(f"SELECT {_COLUMNS} FROM identity_links ORDER BY link_id").fetchall()
    links = _with_decisions(case, [_row_to_link(r) for r in rows])
    what_if = _HYPOTHESIS.get()
    if what_if:
        links = [replace(lk, status=what_if[lk.link_id]) if lk.link_id in what_if else lk for lk in links]
    if statuses is not None:
        wanted = set(statuses)
        links = [lk for lk in links if lk.status in wanted]
    return links


def _with_decisions(case: Case, links: list[Link], con: sqlite3.Connection | None = None) -> list[Link]:
    """Each link with the status its latest ledger decision gives it (a row decided before
    the ledger existed keeps the status its row recorded)."""
    latest = decisions.current(decisions.read_decisions(case, subjects=["link"], con=con))
    out = []
    for lk in links:
        d = latest.get(("link", lk.link_id))
        out.append(lk if d is None else replace(lk, status=d.state, decided_at=d.at,  # type: ignore[arg-type]
                                                 decided_by=d.officer, note=d.note))
    return out


def get_link(case: Case, link_id: str) -> Link:
    with case.db() as con:
        ensure_schema(con)
        row = con.execute(f"SELECT {_COLUMNS} FROM identity_links WHERE link_id = ?", (link_id,)).fetchone()
        if row is None:
            close = [r[0] for r in con.execute("SELECT link_id FROM identity_links WHERE link_id LIKE ? ORDER BY link_id",
                                               (link_id + "%",)).fetchall()]
    if row is not None:
        return _with_decisions(case, [_row_to_link(row)])[0]
    if len(close) == 1:
        return get_link(case, close[0])
    hint = f" (did you mean {', '.join(close[:5])}?)" if close else " (see `atlas people CASE_DIR`)"
    raise AtlasError(f"no identity link {link_id!r}{hint}")


def endpoint(case: Case, value: str) -> str:
    """A command-line endpoint → ledger form: a party id becomes ``party:<id>``; a URI stays.

    Raw phone numbers (``07700 900123`` or ``phone:07700900123``) are normalised the way
    ingest normalises them, so an officer can type a number as they see it.
    """
    from atlas.normalise.identifiers import identifier_uri

    value = value.strip()
    party_ids = {p.id for p in case.manifest.parties}
    if value.startswith(PARTY_PREFIX):
        pid = value[len(PARTY_PREFIX):]
        if pid not in party_ids:
            raise AtlasError(f"no party {pid!r} in case.toml (parties: {', '.join(sorted(party_ids))})")
        return value
    if value in party_ids:
        return PARTY_PREFIX + value
    if re.fullmatch(r"\+?[\d ()\-]{5,}", value):
        value = "phone:" + value
    if value.startswith("phone:"):
        return identifier_uri(value, source_id="", region=case.manifest.region)
    if not _URI.match(value):
        raise AtlasError(
            f"{value!r} is neither a party id ({', '.join(sorted(party_ids))}) nor an identifier URI "
            "such as tel:+447700900123 or instagram:handle"
        )
    return value


def _check_pair(a: str, b: str, basis: str) -> None:
    if basis not in BASES:
        raise AtlasError(f"unknown basis {basis!r} (documented bases: {', '.join(BASES)})")
    if basis == "attributed":
        raise AtlasError("'attributed' links come from case.toml; edit the manifest, or use --basis officer-decision")
    if a == b:
        raise AtlasError(f"cannot link {a} to itself")
    if a.startswith(PARTY_PREFIX) and b.startswith(PARTY_PREFIX):
        raise AtlasError(f"{a} and {b} are two parties in case.toml: they are different people by definition; "
                         "if they are one person, merge them in case.toml")


def propose(
    case: Case,
    con: sqlite3.Connection,
    a: str,
    b: str,
    basis: str,
    *,
    reason: str | Message,
    support: Sequence[str],
    score: float | None,
    origin: str,
) -> tuple[str, str]:
    """Record a proposal; returns (link id, what happened: ``new``, ``updated``, ``unchanged``).

    Idempotent: a link that exists keeps its status (a rejected link is never
    resurrected, a confirmed one never demoted); a still-proposed one takes the latest
    evidence and score, and the change is audited.
    """
    _check_pair(a, b, basis)
    a, b = sorted((a, b))
    lid = link_id_for(a, b, basis)
    support_json = json.dumps(sorted(set(support)))
    parts_json = _parts_json(reason)
    reason = str(reason)  # the stored sentence (ids): what the audit and machines read
    row = con.execute("SELECT status, support, score, reason FROM identity_links WHERE link_id = ?", (lid,)).fetchone()
    if row is None:
        con.execute(
            f"INSERT INTO identity_links ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, 'proposed', ?, ?, ?, ?, ?, ?, NULL, NULL, '', ?)",
            (lid, a, b, basis, strength_of(basis), score, reason, support_json, origin, _now(), case.officer().label,
             parts_json),
        )
        case.audit("identity.propose", {"link_id": lid, "a": a, "b": b, "basis": basis, "strength": strength_of(basis),
                                        "score": score, "reason": reason, "support": sorted(set(support)),
                                        "origin": origin}, con)
        return lid, "new"
    _, old_support, old_score, old_reason = row
    status = _with_decisions(case, [get_link_row(con, lid)], con)[0].status
    if status != "proposed" or (old_support == support_json and old_score == score and old_reason == reason):
        return lid, "unchanged"
    con.execute("UPDATE identity_links SET support = ?, score = ?, reason = ?, reason_parts = ? WHERE link_id = ?",
                (support_json, score, reason, parts_json, lid))
    case.audit("identity.update", {"link_id": lid, "score": score, "reason": reason, "support": sorted(set(support))}, con)
    return lid, "updated"


def get_link_row(con: sqlite3.Connection, link_id: str) -> Link:
    """The ``identity_links`` row as proposed (no decisions applied)."""
    return _row_to_link(con.execute(f"SELECT {_COLUMNS} FROM identity_links WHERE link_id = ?", (link_id,)).fetchone())


def officer_link(case: Case, a: str, b: str, basis: str, *, note: str, support: Sequence[str] = ()) -> Link:
    """An officer asserts a link: recorded as confirmed, by them, now, with their note.

    If discovery had already proposed (or someone rejected) the same pair on the same
    basis, that link is confirmed rather than duplicated; the ledger and the audit log keep
    every step.
    """
    a, b = sorted((endpoint(case, a), endpoint(case, b)))
    _check_pair(a, b, basis)
    lid = link_id_for(a, b, basis)
    officer = case.officer().require_collar()
    if not note.strip():
        raise AtlasError(f"{lid}: a note is required to confirm a link (say why: --note \"...\")")
    with case.db() as con:
        ensure_schema(con)
        exists = con.execute("SELECT status FROM identity_links WHERE link_id = ?", (lid,)).fetchone()
        previous = None
        if exists is None:
            con.execute(
                f"INSERT INTO identity_links ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, 'proposed', NULL, ?, ?, 'officer', ?, ?, NULL, NULL, '', NULL)",
                (lid, a, b, basis, strength_of(basis), note or BASES[basis][1], json.dumps(sorted(set(support))), _now(),
                 officer.label),
            )
        else:
            previous = _with_decisions(case, [get_link_row(con, lid)], con)[0].status
        decisions.record(case, con, "link", lid, "confirmed", note=note, officer=officer,
                         detail={"a": a, "b": b, "basis": basis, "previous": previous, "origin": "officer"},
                         audit_action="identity.link",
                         audit_detail={"link_id": lid, "a": a, "b": b, "basis": basis, "strength": strength_of(basis),
                                       "status": "confirmed", "previous": previous})
    return get_link(case, lid)


_ACTIONS: Final = {"confirmed": "identity.confirm", "rejected": "identity.reject", "proposed": "identity.reopen"}


def decide(case: Case, link_id: str, status: Literal["confirmed", "rejected", "proposed"], *, note: str = "") -> Link:
    """Confirm or reject a link (or re-open it as proposed): a new row of the decisions
    ledger, with the officer and their note (required to confirm or reject), audited.

    Decisions can be changed (an officer may learn more) by a further decision; nothing
    earlier is rewritten.
    """
    if status not in _ACTIONS:
        raise AtlasError(f"{link_id}: {status!r} is not a link decision (confirmed, rejected, proposed)")
    current = get_link(case, link_id)
    decisions.refuse_unchanged(f"link {current.link_id}", current.status, status, undecided="proposed")
    with case.db() as con:
        ensure_schema(con)
        decisions.record(case, con, "link", current.link_id, status, note=note,
                         detail={"a": current.a, "b": current.b, "basis": current.basis, "previous": current.status},
                         audit_action=_ACTIONS[status],
                         audit_detail={"link_id": current.link_id, "a": current.a, "b": current.b,
                                       "basis": current.basis, "previous": current.status, "status": status})
    return get_link(case, current.link_id)
