"""The store proves it was not altered: a manifest of hashes and a hash-chained audit log.

Every commit writes ``store/manifest.json``: the SHA-256 of ``sources.parquet`` and of
every partition (events, rejects, evidence, extra tables), under a commit id. Its
*commit hash* (the SHA-256 of the commit id and that list) is what audit rows record.

The audit log in ``store/atlas.sqlite`` is a hash chain: each row carries the hash of
the row before it (``prev_hash``), the commit hash of the store it was written against
(``commit_hash``), and its own hash over all of that (``row_hash``). The seq and hash of
the last row (the *head*) are kept in the manifest, outside the database, so that an
edited row, a deleted row, a truncated log or a deleted database is each named by
:func:`verify_store`, which also re-hashes every source and cross-checks each source's
hash in ``sources.parquet`` against the hash its ingest row recorded.

What this cannot do: someone able to rewrite every file consistently (recomputing the
chain and the manifest) is not detected by these files alone; the head printed by
``atlas verify`` (and in the statement's annex) is the anchor to keep elsewhere. Rows
appended after the head with a valid chain are read as an interrupted write (the head
is written just after the database commits) and the head is moved on at the next open.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

MANIFEST_FILE: Final = "manifest.json"
MANIFEST_FORMAT: Final = 1


def canonical(value: object) -> bytes:
    """The one serialisation every hash here is taken over (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str).encode("ascii")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class StoreManifest:
    """What the last commit made the store: file → SHA-256, and the audit chain's head."""

    commit: str = ""
    files: dict[str, str] = field(default_factory=dict)
    """Path relative to ``store/`` (``sources.parquet``, ``events/<source_id>.parquet``, …) → SHA-256."""
    audit_seq: int = 0
    audit_head: str = ""

    def commit_hash(self) -> str:
        """The hash an audit row records: commit id and files (not the head, which moves on)."""
        return sha256_bytes(canonical({"commit": self.commit, "files": self.files})) if self.commit else ""

    def to_json(self) -> str:
        return json.dumps({"format": MANIFEST_FORMAT, "commit": self.commit, "commit_hash": self.commit_hash(),
                           "files": self.files, "audit": {"seq": self.audit_seq, "head": self.audit_head}},
                          sort_keys=True, indent=1) + "\n"


def read_manifest(store: Path) -> StoreManifest | None:
    path = store / MANIFEST_FILE
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return StoreManifest(commit=data["commit"], files=dict(data["files"]), audit_seq=int(data["audit"]["seq"]),
                         audit_head=str(data["audit"]["head"]))


@contextmanager
def manifest_lock(store: Path) -> Iterator[None]:
    """Serialises read-modify-write of the manifest (a commit and a decision's head update)."""
    store.mkdir(parents=True, exist_ok=True)
    with (store / ".manifest.lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def write_manifest(store: Path, manifest: StoreManifest) -> None:
    """Atomically (temporary file, fsync, rename): a crash leaves the old or the new one."""
    tmp = store / f".{MANIFEST_FILE}.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(manifest.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, store / MANIFEST_FILE)


# --- the audit chain ----------------------------------------------------------------------

AUDIT_COLUMNS: Final = ("commit_hash", "prev_hash", "row_hash")


def row_hash(seq: int, at: str, actor: str, action: str, detail: str, commit_hash: str, prev_hash: str) -> str:
    """A row's own hash: everything it says, the commit it records and the row before it."""
    return sha256_bytes(canonical([seq, at, actor, action, detail, commit_hash, prev_hash]))


def ensure_chain_columns(con: sqlite3.Connection) -> None:
    """Add the chain columns to an audit table from before the chain, and chain its rows as found."""
    have = {r[1] for r in con.execute("PRAGMA table_info(audit)")}
    missing = [c for c in AUDIT_COLUMNS if c not in have]
    if not missing:
        return
    for col in missing:
        con.execute(f"ALTER TABLE audit ADD COLUMN {col} TEXT NOT NULL DEFAULT ''")
    prev = ""
    for seq, at, actor, action, detail in con.execute(
            "SELECT seq, at, actor, action, detail FROM audit ORDER BY seq").fetchall():
        own = row_hash(seq, at, actor, action, detail, "", prev)
        con.execute("UPDATE audit SET prev_hash = ?, row_hash = ? WHERE seq = ?", (prev, own, seq))
        prev = own


def append_row(con: sqlite3.Connection, at: str, actor: str, action: str, detail: str, commit_hash: str) -> tuple[int, str]:
    """Append one chained row; returns (seq, row_hash).

    The row is inserted first, which takes SQLite's write lock for the transaction, and
    only then is the previous row read: two writers can never chain onto the same row.
    """
    cur = con.execute("INSERT INTO audit (at, actor, action, detail, commit_hash, prev_hash, row_hash) "
                      "VALUES (?, ?, ?, ?, ?, '', '')", (at, actor, action, detail, commit_hash))
    seq = int(cur.lastrowid or 0)
    prev = con.execute("SELECT row_hash FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT 1", (seq,)).fetchone()
    prev_hash = prev[0] if prev else ""
    own = row_hash(seq, at, actor, action, detail, commit_hash, prev_hash)
    con.execute("UPDATE audit SET prev_hash = ?, row_hash = ? WHERE seq = ?", (prev_hash, own, seq))
    return seq, own


def chain_end(con: sqlite3.Connection) -> tuple[int, str]:
    row = con.execute("SELECT seq, row_hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, "")


def chain_problems(rows: list[tuple[int, str, str, str, str, str, str, str]], head_seq: int, head_hash: str) -> list[str]:
    """What is wrong with the chain ``rows`` (seq, at, actor, action, detail, commit, prev, hash)
    against the head the manifest recorded; empty when intact."""
    problems: list[str] = []
    prev_hash, prev_seq = "", 0
    for seq, at, actor, action, detail, commit, prev, own in rows:
        if seq != prev_seq + 1:
            first, last = prev_seq + 1, seq - 1
            span = f"row {first}" if first == last else f"rows {first}\u2013{last}"
            problems.append(f"audit log: {span} deleted (seq {prev_seq} is followed by seq {seq})")
        elif prev != prev_hash:
            problems.append(f"audit log: row {seq} ({action}, {at}) does not follow row {prev_seq}: the row before "
                            "it was changed or replaced")
        if own != row_hash(seq, at, actor, action, detail, commit, prev):
            problems.append(f"audit log: row {seq} ({action}, {at}) was edited after it was written "
                            "(its content no longer matches its hash)")
        prev_hash, prev_seq = own, seq
    end_seq = rows[-1][0] if rows else 0
    if head_seq and not any(r[0] == head_seq for r in rows):
        problems.append(f"audit log: ends at row {end_seq} but the manifest's head is row {head_seq}: "
                        f"{'rows were deleted from the end' if end_seq < head_seq else 'the head row was deleted'}")
    elif head_seq and next(r[7] for r in rows if r[0] == head_seq) != head_hash:
        problems.append(f"audit log: row {head_seq} is not the head the manifest recorded (rewritten)")
    return problems


def with_head(manifest: StoreManifest, seq: int, head: str) -> StoreManifest:
    return replace(manifest, audit_seq=seq, audit_head=head)
