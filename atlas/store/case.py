"""The case store on disk, and the one way to change it atomically.

Layout of a case folder::

    case.toml                      what the officer knows (atlas.store.manifest)
    store/sources.parquet          one row per source file: the commit record
    store/events/<source_id>.parquet    one partition per source
    store/rejects/<source_id>.parquet
    store/evidence/<source_id>.parquet  identity evidence found in the source
    store/extra/<table>/<source_id>.parquet  reference tables (e.g. cell sites)
    store/atlas.sqlite             decisions (links, exhibits, tags) + audit log

A partition counts only once ``sources.parquet`` lists its source: new partitions
are written under a staging folder, moved into place, and only then is a new
``sources.parquet`` swapped in with ``os.replace``. A crash at any point leaves the
previous ``sources.parquet``, so readers see the store exactly as it was; stray
files are swept on the next write. A ``--replace`` moves the partitions it
supersedes into the staging folder first and lists them in a roll-back journal;
if the swap of ``sources.parquet`` never happened, the next open of the case puts
them back (as SQLite does with a hot journal), so even a replace interrupted by a
crash reads exactly as before. Each source is its own partition so a batch of
cases can be spread across workers by the same functions that run here.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import polars as pl

from atlas.errors import StoreError
from atlas.model import (
    EVENT_SCHEMA,
    IDENTITY_EVIDENCE_SCHEMA,
    REJECT_SCHEMA,
    SOURCE_SCHEMA,
)
from atlas.store.hashing import sha256_file
from atlas.store.manifest import Manifest, load_manifest
from atlas.store.officer import Officer, current_officer

MANIFEST_NAME: Final = "case.toml"
STORE_DIR: Final = "store"
PARTITIONS: Final = {"events": EVENT_SCHEMA, "rejects": REJECT_SCHEMA, "evidence": IDENTITY_EVIDENCE_SCHEMA}

_SQLITE_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""


ZSTD_LEVEL: Final = 1
"""zstd at its fastest level: a 2 M-row CDR return's events + ``cdr`` table are 33 MB
instead of 26 MB at Polars' default level 3, and the write takes ~20 % less time (the
store write is the largest single step of a big ingest). Readers are unaffected."""


def _write_parquet(frame: pl.DataFrame, path: Path) -> None:
    """zstd keeps a case small (1/7 of a CDR CSV); column statistics are left out because
    each source is its own partition and analyses read whole cases (saves ~30 % of the write).
    Same frame, same bytes: the writer is deterministic."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # One chunk per column first: a column in many chunks (as a CSV reader leaves it) writes
    # slower by more than the copy costs (2 M CDR events: 0.64 s as read, 0.56 s rechunked).
    frame.rechunk().write_parquet(path, compression="zstd", compression_level=ZSTD_LEVEL, statistics=False)


@dataclass
class StagedSource:
    """Everything one ingested source adds to the store, not yet visible."""

    source: dict[str, object]
    events: pl.DataFrame
    rejects: pl.DataFrame
    evidence: pl.DataFrame
    extra: dict[str, pl.DataFrame] = field(default_factory=dict)

    @property
    def source_id(self) -> str:
        return str(self.source["source_id"])


class Case:
    """An opened case folder: read frames, record decisions, commit ingests."""

    def __init__(self, root: Path, manifest: Manifest, officer: str | None = None) -> None:
        self.root = root
        self.manifest = manifest
        self.store = root / STORE_DIR
        self.officer_override = officer
        """``--officer``: who decides when it is not the officer of case.toml (atlas.store.officer)."""

    @classmethod
    def open(cls, root: Path | str, *, officer: str | None = None) -> Case:
        root = Path(root)
        if not root.is_dir():
            raise StoreError(f"{root}: no such case folder (create one with `atlas init {root}`)")
        case = cls(root, load_manifest(root / MANIFEST_NAME), officer)
        case.recover()
        return case

    def officer(self) -> Officer:
        """The officer this case's decisions and audit records are attributed to."""
        return current_officer(self, self.officer_override)

    # --- reading -------------------------------------------------------------------

    def sources(self) -> pl.DataFrame:
        path = self.store / "sources.parquet"
        if not path.exists():
            return pl.DataFrame(schema=SOURCE_SCHEMA)
        return pl.read_parquet(path)

    def source_ids(self) -> list[str]:
        return self.sources().get_column("source_id").to_list()

    def _scan(self, table: str, schema: pl.Schema) -> pl.LazyFrame:
        files = [self.store / table / f"{sid}.parquet" for sid in self.source_ids()]
        missing = [f for f in files if not f.exists()]
        if missing:  # never a silently shorter timeline
            raise StoreError(
                f"{missing[0]}: {table} partition of source {missing[0].stem} is missing; "
                "the case store is damaged (run `atlas verify`)"
            )
        if not files:
            return pl.LazyFrame(schema=schema)
        return pl.scan_parquet(files)

    def events(self) -> pl.LazyFrame:
        """All events of all committed sources, lazily."""
        return self._scan("events", EVENT_SCHEMA)

    def rejects(self) -> pl.LazyFrame:
        return self._scan("rejects", REJECT_SCHEMA)

    def evidence(self) -> pl.LazyFrame:
        return self._scan("evidence", IDENTITY_EVIDENCE_SCHEMA)

    def extra(self, table: str) -> pl.DataFrame | None:
        """A reference table (e.g. ``cells``) concatenated over the sources that have it."""
        folder = self.store / "extra" / table
        files = [folder / f"{sid}.parquet" for sid in self.source_ids()]
        files = [f for f in files if f.exists()]
        if not files:
            return None
        return pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")

    # --- decisions and audit ----------------------------------------------------------

    @contextmanager
    def db(self) -> Iterator[sqlite3.Connection]:
        """The case's decision database, committed on success, rolled back on error."""
        self.store.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.store / "atlas.sqlite")
        try:
            con.executescript(_SQLITE_SCHEMA)
            yield con
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finally:
            con.close()

    def audit(self, action: str, detail: dict[str, object], con: sqlite3.Connection | None = None) -> None:
        """Append to the audit log (never updated, never deleted), in the officer's name."""
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"),
            self.officer().label,
            action,
            json.dumps(detail, sort_keys=True, default=str),
        )
        if con is not None:
            con.execute("INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)", row)
            return
        with self.db() as own:
            own.execute("INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)", row)

    def audit_log(self) -> list[dict[str, object]]:
        with self.db() as con:
            rows = con.execute("SELECT seq, at, actor, action, detail FROM audit ORDER BY seq").fetchall()
        return [{"seq": s, "at": a, "actor": u, "action": act, "detail": json.loads(d)} for s, a, u, act, d in rows]

    # --- writing ---------------------------------------------------------------------

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.store.mkdir(parents=True, exist_ok=True)
        with (self.store / ".lock").open("w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise StoreError(f"{self.store}: another atlas process is writing this case") from exc
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _sweep(self, keep: set[str]) -> None:
        """Remove staging folders and partitions no committed source owns."""
        for stale in self.store.glob(".staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
        for folder in [self.store / t for t in PARTITIONS] + list((self.store / "extra").glob("*")):
            if folder.is_dir():
                for f in folder.glob("*.parquet"):
                    if f.stem not in keep:
                        f.unlink()
            if folder.is_dir():
                for f in folder.glob(".*.tmp"):
                    f.unlink()

    def _journal_path(self, staging: Path) -> Path:
        return staging / "journal.json"

    def _roll_back(self, staging: Path) -> None:
        """Undo an interrupted commit from its journal, then drop its staging folder.

        If ``sources.parquet`` is still the one the commit started from, the swap never
        happened: partitions it superseded are moved back. Otherwise the commit
        completed and only the staging folder is left to remove.
        """
        journal = self._journal_path(staging)
        if journal.exists():
            entry = json.loads(journal.read_text(encoding="utf-8"))
            sources = self.store / "sources.parquet"
            now = sha256_file(sources) if sources.exists() else None
            if now == entry["sources_sha256"]:
                for backup_rel, dst_rel in reversed(entry["replaced"]):
                    backup, dst = staging / backup_rel, self.store / dst_rel
                    if backup.exists():
                        os.replace(backup, dst)
        shutil.rmtree(staging, ignore_errors=True)

    def recover(self) -> None:
        """Roll back any commit a crash interrupted (no-op when none was, or one is running)."""
        if not self.store.is_dir() or not any(self.store.glob(".staging-*")):
            return
        try:
            with self._lock():
                for staging in sorted(self.store.glob(".staging-*")):
                    self._roll_back(staging)
        except StoreError:
            return  # another process is writing: its staging folder is live

    def commit(self, staged: list[StagedSource], *, replace: bool = False) -> None:
        """Make staged sources visible, all or nothing."""
        if not staged:
            return
        with self._lock():
            for stale in sorted(self.store.glob(".staging-*")):
                self._roll_back(stale)
            current = self.sources()
            existing = set(current.get_column("source_id").to_list())
            clash = [s.source_id for s in staged if s.source_id in existing and not replace]
            if clash:
                raise StoreError(f"sources already in the case: {', '.join(clash)} (use --replace to re-parse)")
            self._sweep(existing)
            staging = self.store / f".staging-{uuid.uuid4().hex}"
            committed = False
            try:
                moves: list[tuple[Path, Path]] = []
                for s in staged:
                    tables: dict[str, pl.DataFrame] = {
                        "events": s.events, "rejects": s.rejects, "evidence": s.evidence,
                    }
                    tables |= {f"extra/{k}": v for k, v in s.extra.items()}
                    for table, frame in tables.items():
                        tmp = staging / table / f"{s.source_id}.parquet"
                        _write_parquet(frame, tmp)
                        moves.append((tmp, self.store / table / f"{s.source_id}.parquet"))
                new_rows = pl.DataFrame([s.source for s in staged], schema=SOURCE_SCHEMA, orient="row")
                replaced = {s.source_id for s in staged}
                sources = pl.concat([current.filter(~pl.col("source_id").is_in(sorted(replaced))), new_rows])
                sources = sources.sort("source_id")
                tmp_sources = staging / "sources.parquet"
                _write_parquet(sources, tmp_sources)
                # The roll-back journal: written before anything visible moves.
                superseded = [
                    (str(Path("replaced") / dst.relative_to(self.store)), str(dst.relative_to(self.store)))
                    for _, dst in moves if dst.exists()
                ]
                old_sources = self.store / "sources.parquet"
                self._journal_path(staging).write_text(json.dumps({
                    "sources_sha256": sha256_file(old_sources) if old_sources.exists() else None,
                    "replaced": superseded,
                }), encoding="utf-8")
                for backup_rel, dst_rel in superseded:
                    (staging / backup_rel).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(self.store / dst_rel, staging / backup_rel)
                for src, dst in moves:
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(src, dst)
                os.replace(tmp_sources, old_sources)
                committed = True
            finally:
                if committed or not staging.exists():
                    shutil.rmtree(staging, ignore_errors=True)
                else:
                    # If even the roll-back fails, the journal stays and the next open rolls back.
                    with suppress(Exception):
                        self._roll_back(staging)
            self._sweep(set(sources.get_column("source_id").to_list()))


def init_case(root: Path, template: str) -> Path:
    """Create a case folder with a commented manifest; never overwrite one."""
    root.mkdir(parents=True, exist_ok=True)
    manifest = root / MANIFEST_NAME
    if manifest.exists():
        raise StoreError(f"{manifest}: already exists; not overwritten")
    manifest.write_text(template, encoding="utf-8")
    (root / STORE_DIR).mkdir(exist_ok=True)
    return manifest
