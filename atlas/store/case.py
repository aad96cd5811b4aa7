"""The case store on disk, and the one way to change it atomically.

Layout of a case folder::

    case.toml                      what the officer knows (atlas.store.manifest)
    store/sources.parquet          one row per source file: the commit record
    store/events/<source_id>.parquet    one partition per source
    store/rejects/<source_id>.parquet
    store/evidence/<source_id>.parquet  identity evidence found in the source
    store/extra/<table>/<source_id>.parquet  reference tables (e.g. cell sites)
    store/atlas.sqlite             decisions (links, exhibits, tags) + audit log (a hash chain)
    store/manifest.json            SHA-256 of sources.parquet and every partition, and the
                                   audit chain's head (atlas.store.integrity)

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

The audit rows of a commit (one ``ingest`` row per source, and the ``exhibit-number`` row
of each new source with its number in ``report_exhibits``) are part of the commit: they
are written to the journal before anything becomes visible, inserted in a SQLite
transaction opened (with a timeout, before anything moves) ahead of the swap, and
committed right after it. If a crash falls between the swap and that SQLite commit,
the next open finds the journal, sees the swap happened, and writes the rows (roll
forward): committed data never lacks its audit row, and a locked database stops a
commit before it becomes visible, with a clear message, never after.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import sqlite3
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, cast

import polars as pl

from atlas.errors import StoreError
from atlas.model import (
    EVENT_SCHEMA,
    IDENTITY_EVIDENCE_SCHEMA,
    REJECT_SCHEMA,
    SOURCE_SCHEMA,
    conform,
)
from atlas.permissions import owner_only, restrict_folder
from atlas.store.hashing import sha256_bytes, sha256_file
from atlas.store.integrity import (
    MANIFEST_FILE,
    StoreManifest,
    append_row,
    chain_end,
    ensure_chain_columns,
    manifest_lock,
    read_manifest,
    with_head,
    write_manifest,
)
from atlas.store.manifest import Manifest, load_manifest
from atlas.store.officer import Officer, current_officer
from atlas.wording import plural

MANIFEST_NAME: Final = "case.toml"
STORE_DIR: Final = "store"
PARTITIONS: Final = {"events": EVENT_SCHEMA, "rejects": REJECT_SCHEMA, "evidence": IDENTITY_EVIDENCE_SCHEMA}

_SQLITE_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    commit_hash TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL DEFAULT '',
    row_hash TEXT NOT NULL DEFAULT ''
);
"""


ZSTD_LEVEL: Final = 1
"""zstd at its fastest level: a 2 M-row CDR return's events + ``cdr`` table are 33 MB
instead of 26 MB at Polars' default level 3, and the write takes ~20 % less time (the
store write is the largest single step of a big ingest). Readers are unaffected."""


SEALED_KEY: Final = "atlas.sealed"
"""Metadata in ``sources.parquet`` written by a store that keeps ``manifest.json``: without
it a missing manifest is a store from before sealing; with it, a deleted manifest."""


def db_timeout() -> float:
    """How long to wait for a locked ``atlas.sqlite`` (``ATLAS_DB_TIMEOUT`` seconds, default 30)."""
    try:
        return max(0.0, float(os.environ.get("ATLAS_DB_TIMEOUT", "30")))
    except ValueError:
        return 30.0


def lock_timeout() -> float:
    """How long a commit waits for another atlas process writing the same case (``ATLAS_LOCK_TIMEOUT``, default 60 s)."""
    try:
        return max(0.0, float(os.environ.get("ATLAS_LOCK_TIMEOUT", "60")))
    except ValueError:
        return 60.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _is_locked(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower()


def _write_parquet(frame: pl.DataFrame, path: Path, metadata: dict[str, str] | None = None) -> None:
    """zstd keeps a case small (1/7 of a CDR CSV); column statistics are left out because
    each source is its own partition and analyses read whole cases (saves ~30 % of the write).
    Same frame, same bytes: the writer is deterministic."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _encode(frame, path, metadata)


def _encode(frame: pl.DataFrame, target: Path | io.BytesIO, metadata: dict[str, str] | None) -> None:
    """The store's one Parquet encoding (:func:`_write_parquet`, :func:`parquet_bytes`)."""
    # One chunk per column first: a column in many chunks (as a CSV reader leaves it) writes
    # slower by more than the copy costs (2 M CDR events: 0.64 s as read, 0.56 s rechunked).
    frame.rechunk().write_parquet(target, compression="zstd", compression_level=ZSTD_LEVEL, statistics=False,
                                  metadata=metadata)


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    """The bytes :func:`_write_parquet` writes for ``frame`` (no metadata), made in memory: so
    that a table final before the commit can be encoded beside other work (the ingest does
    so for a parser's extra tables) and the commit only writes the bytes. The same encoding
    into a buffer instead of a file: the same bytes (tested in ``tests/test_ingest_hash_after.py``)."""
    buffer = io.BytesIO()
    _encode(frame, buffer, None)
    return buffer.getvalue()


@dataclass(frozen=True)
class Encoded:
    """A table's Parquet bytes made before the commit (:func:`encoded`), with their SHA-256."""

    data: bytes
    sha256: str


def encoded(frame: pl.DataFrame) -> Encoded:
    """:func:`parquet_bytes` of ``frame`` and their SHA-256, made together (off the commit's
    thread: the ingest encodes a table as soon as it is final, beside other work). The commit
    writes these bytes and records this hash, which is :func:`sha256_file` of what it wrote
    (the plain rule, used for a table not encoded before: the file written, then read back and
    hashed; the stores and manifests are the same, tested in ``tests/test_ingest_hash_after.py``)."""
    data = parquet_bytes(frame)
    return Encoded(data, sha256_bytes(data))


@dataclass
class StagedSource:
    """Everything one ingested source adds to the store, not yet visible."""

    source: dict[str, object]
    events: pl.DataFrame
    rejects: pl.DataFrame
    evidence: pl.DataFrame
    extra: dict[str, pl.DataFrame] = field(default_factory=dict)
    audit: dict[str, object] | None = None
    """The detail of this source's ``ingest`` audit row (default: from the source row)."""
    encoded: dict[str, Encoded] = field(default_factory=dict)
    """Tables already encoded, by their folder in the store (``events``, ``extra/<name>``):
    :func:`encoded` of the very frame ``events`` or ``extra`` holds. The commit writes these
    bytes, and records their hash, instead of encoding the frame and hashing the file."""

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
        self.allow_new_db = False
        """Let :meth:`db` create a new ``atlas.sqlite`` although the manifest records an audit
        log (set by ``atlas report --unverified``: the outputs then say the store did not verify)."""
        self._appended: set[int] = set()

    @classmethod
    def open(cls, root: Path | str, *, officer: str | None = None) -> Case:
        root = Path(root)
        owner_only()  # partitions, the database and its journals: owner-only whatever the umask
        if not root.is_dir():
            raise StoreError(f"{root}: no such case folder (create one with `atlas init {root}`)")
        case = cls(root, load_manifest(root / MANIFEST_NAME), officer)
        case.recover()
        _warn_prefix_once(case.manifest)
        return case

    @property
    def outputs(self) -> Path:
        """Where the reports for people are written unless told otherwise: ``atlas report``, the workbench
        and ``atlas demo`` all write here, so a later report replaces an earlier one rather than sitting
        beside it."""
        return self.root / "outputs"

    def officer(self) -> Officer:
        """The officer this case's decisions and audit records are attributed to."""
        return current_officer(self, self.officer_override)

    # --- reading -------------------------------------------------------------------

    def sources(self) -> pl.DataFrame:
        path = self.store / "sources.parquet"
        if not path.exists():
            return pl.DataFrame(schema=SOURCE_SCHEMA)
        return conform(pl.read_parquet(path), SOURCE_SCHEMA)  # a store from before a column was added reads as null

    def source_ids(self) -> list[str]:
        return self.sources().get_column("source_id").to_list()

    def _scan(self, table: str, schema: pl.Schema, source_id: str | None = None) -> pl.LazyFrame:
        files = [self.store / table / f"{sid}.parquet" for sid in
                 (self.source_ids() if source_id is None else [source_id])]
        missing = [f for f in files if not f.exists()]
        if missing:  # never a silently shorter timeline
            raise StoreError(
                f"{missing[0]}: the {table} partition of one of the case's sources is missing; "
                "the case store is damaged (run `atlas verify`)"
            )
        if not files:
            return pl.LazyFrame(schema=schema)
        return pl.scan_parquet(files)

    def events(self, source_id: str | None = None) -> pl.LazyFrame:
        """All events of all committed sources, lazily; with ``source_id``, that source's
        only (its own partition scanned: a filter on ``source_id`` over :meth:`events` reads
        every partition under the streaming engine, so work one source at a time grew with
        the square of the sources)."""
        return self._scan("events", EVENT_SCHEMA, source_id)

    def rejects(self, source_id: str | None = None) -> pl.LazyFrame:
        return self._scan("rejects", REJECT_SCHEMA, source_id)

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

    def _db_path(self) -> Path:
        return self.store / "atlas.sqlite"

    def _connect(self) -> sqlite3.Connection:
        """The decision database, its schema made if it has none.

        A database with no audit table is a new one: ``sqlite3.connect`` creates an empty
        file before the schema is written, so a kill between the two leaves a 0-byte
        ``atlas.sqlite`` (seen under load in ``test_store_crash``). That is the state
        before the first audit row, not damage, unless the manifest records audit rows:
        then it is refused as a missing database is, never silently started again."""
        path = self._db_path()
        existed = path.exists()
        if not existed:
            self._refuse_new_db(path, "missing")
        self.store.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, timeout=db_timeout())
        if not existed:
            _crash_point("db-created")  # the empty file exists, its schema not yet
        try:
            if existed and not has_audit_table(con):
                self._refuse_new_db(path, "holds no audit log")
            con.executescript(_SQLITE_SCHEMA)
            ensure_chain_columns(con)
            con.commit()
        except sqlite3.Error as exc:
            con.close()
            raise self._db_error(exc, "opening it") from exc
        except StoreError:
            con.close()
            raise
        return con

    def _refuse_new_db(self, path: Path, state: str) -> None:
        """A new audit log where the manifest records one would hide that it was lost."""
        if self.allow_new_db:
            return
        sealed = read_manifest(self.store)
        if sealed is not None and sealed.audit_seq > 0:
            raise StoreError(
                f"{path}: {state}, but the store's manifest records an audit log of {plural(sealed.audit_seq, 'row')} "
                "(every decision and the audit trail are gone); restore it from a backup, or run `atlas verify`"
            )

    def _db_error(self, exc: sqlite3.Error, doing: str) -> StoreError:
        if _is_locked(exc):
            return StoreError(f"{self._db_path()}: locked by another process (waited {db_timeout():g} s while {doing}); "
                              "nothing was changed by this step: try again when the other atlas command has finished "
                              "(ATLAS_DB_TIMEOUT sets the wait)")
        return StoreError(f"{self._db_path()}: {exc} (while {doing})")

    @contextmanager
    def db(self) -> Iterator[sqlite3.Connection]:
        """The case's decision database, committed on success, rolled back on error.

        A locked database is waited for (:func:`db_timeout`), then a :class:`StoreError`
        of one line. If audit rows were appended through this connection, the chain's
        head in the store manifest is moved on once the database has committed.
        """
        con = self._connect()
        try:
            yield con
            con.commit()
        except sqlite3.Error as exc:
            con.rollback()
            self._appended.discard(id(con))
            con.close()
            raise self._db_error(exc, "writing") from exc
        except BaseException:
            con.rollback()
            self._appended.discard(id(con))
            con.close()
            raise
        appended = id(con) in self._appended
        self._appended.discard(id(con))
        try:
            if appended:
                _crash_point("before-head")
                self._record_head(con)
        finally:
            con.close()

    def _record_head(self, con: sqlite3.Connection) -> None:
        """Write the audit chain's head into the store manifest (the database has committed)."""
        with manifest_lock(self.store):
            seq, head = chain_end(con)
            sealed = read_manifest(self.store) or StoreManifest()
            if seq >= sealed.audit_seq:
                write_manifest(self.store, with_head(sealed, seq, head))

    def _commit_hash(self) -> str:
        sealed = read_manifest(self.store)
        return sealed.commit_hash() if sealed else ""

    def audit(self, action: str, detail: dict[str, object], con: sqlite3.Connection | None = None) -> None:
        """Append to the audit log (never updated, never deleted): one row of the hash chain,
        recording the commit of the store it was written against, in the officer's name
        (atlas.store.officer: case.toml or --officer, never the computer's login)."""
        text = json.dumps(detail, sort_keys=True, default=str)
        if con is not None:
            append_row(con, _now(), self.officer().label, action, text, self._commit_hash())
            self._appended.add(id(con))
            return
        with self.db() as own:
            append_row(own, _now(), self.officer().label, action, text, self._commit_hash())
            self._appended.add(id(own))

    def audit_log(self) -> list[dict[str, object]]:
        if not self._db_path().exists():
            return []  # reading never creates the decision database
        with self.db() as con:
            rows = con.execute("SELECT seq, at, actor, action, detail FROM audit ORDER BY seq").fetchall()
        return [{"seq": s, "at": a, "actor": u, "action": act, "detail": json.loads(d)} for s, a, u, act, d in rows]

    # --- writing ---------------------------------------------------------------------

    @contextmanager
    def _lock(self, wait: float | None = None) -> Iterator[None]:
        """The case's writer lock: a second writer waits (up to :func:`lock_timeout`), then a clear error."""
        self.store.mkdir(parents=True, exist_ok=True)
        limit = lock_timeout() if wait is None else wait
        with (self.store / ".lock").open("a") as fh:
            deadline = time.monotonic() + limit
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError as exc:
                    if time.monotonic() >= deadline:
                        raise StoreError(f"{self.store}: another atlas process is writing this case "
                                         f"(waited {limit:g} s; ATLAS_LOCK_TIMEOUT sets the wait)") from exc
                    time.sleep(0.05)
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

    def _live_files(self) -> dict[str, str]:
        """Hashes of every file a commit covers, read from disk (sealing a store from before manifests)."""
        out: dict[str, str] = {}
        ids = set(self.source_ids())
        sources = self.store / "sources.parquet"
        if sources.exists():
            out["sources.parquet"] = sha256_file(sources)
        for folder in [self.store / t for t in PARTITIONS] + sorted((self.store / "extra").glob("*")):
            for f in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
                if f.stem in ids:
                    out[f.relative_to(self.store).as_posix()] = sha256_file(f)
        return out

    def _write_journal_rows(self, entry: dict[str, object], sealed: StoreManifest) -> None:
        """Roll forward: the audit rows of a commit whose swap happened, unless already written."""
        rows = cast(list[list[str]], entry.get("audit", []))
        with self.db() as con:
            present = con.execute("SELECT count(*) FROM audit WHERE commit_hash = ? AND action = 'ingest'",
                                  (sealed.commit_hash(),)).fetchone()[0]
            if present < len(rows):
                for at, actor, action, detail in rows[present:]:
                    append_row(con, at, actor, action, detail, sealed.commit_hash())
                self._number_sources(con, self.sources(), sealed.commit_hash(), rows[0][1] if rows else self.officer().label)
                self._appended.add(id(con))
        with manifest_lock(self.store), self.db() as con:
            seq, head = chain_end(con)
            write_manifest(self.store, with_head(sealed, seq, head))

    def _number_sources(self, con: sqlite3.Connection, sources: pl.DataFrame, commit_hash: str, actor: str) -> None:
        """Exhibit numbers for the sources not yet numbered, with their ``exhibit-number``
        audit rows, inside ``con``'s open transaction (the commit's own): a source is never
        committed without its number, nor a number written for data that was not committed."""
        from atlas.exhibits import number_sources_within

        def audit(detail: dict[str, object]) -> None:
            append_row(con, _now(), actor, "exhibit-number", json.dumps(detail, sort_keys=True, default=str), commit_hash)

        number_sources_within(con, sources, audit, self.manifest.exhibit_prefix)

    def _roll_back(self, staging: Path) -> None:
        """Finish an interrupted commit from its journal, then drop its staging folder.

        If ``sources.parquet`` is still the one the commit started from, the swap never
        happened: partitions it superseded are moved back (roll back). If it is the one the
        commit wrote, the swap happened: its audit rows and manifest are written if they
        are not yet (roll forward).
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
            elif entry.get("manifest") and now == entry.get("new_sources_sha256"):
                m = entry["manifest"]
                self._write_journal_rows(entry, StoreManifest(commit=m["commit"], files=dict(m["files"])))
        shutil.rmtree(staging, ignore_errors=True)

    def _sources_sealed(self) -> bool:
        path = self.store / "sources.parquet"
        return path.exists() and pl.read_parquet_metadata(path).get(SEALED_KEY) == MANIFEST_FILE

    def _seal_legacy(self) -> None:
        """A store from before manifests: record its files as found, once, with an audit row saying so."""
        sealed = StoreManifest(commit=f"sealed-{uuid.uuid4().hex}", files=self._live_files())
        with manifest_lock(self.store):
            write_manifest(self.store, sealed)
        self.audit("store-sealed", {"files": len(sealed.files), "note": "store written before manifests: "
                                    "sealed as found; changes made before this row are not covered"})

    def recover(self) -> None:
        """Finish any commit a crash interrupted, move the audit head on after an interrupted
        head write, and seal a store from before manifests (no-op when none applies, or when
        another process is writing)."""
        if not self.store.is_dir():
            return
        staged = any(self.store.glob(".staging-*"))
        legacy = (self.store / "sources.parquet").exists() and not (self.store / MANIFEST_FILE).exists() \
            and not self._sources_sealed()
        behind = False
        sealed = read_manifest(self.store)
        if sealed is not None and self._db_path().exists():
            with closing(sqlite3.connect(self._db_path(), timeout=db_timeout())) as con, suppress(sqlite3.Error):
                behind = chain_end(con)[0] > sealed.audit_seq
        if not (staged or legacy or behind):
            return
        try:
            with self._lock(wait=0):
                for staging in sorted(self.store.glob(".staging-*")):
                    self._roll_back(staging)
                if legacy:
                    self._seal_legacy()
                if behind:
                    self._advance_head_if_chained()
        except StoreError:
            return  # another process is writing: its staging folder is live

    def _advance_head_if_chained(self) -> None:
        """Rows after the recorded head that chain on from it: a head write a crash interrupted."""
        from atlas.store.integrity import chain_problems

        with manifest_lock(self.store), closing(sqlite3.connect(self._db_path(), timeout=db_timeout())) as con:
            sealed = read_manifest(self.store) or StoreManifest()
            rows = con.execute("SELECT seq, at, actor, action, detail, commit_hash, prev_hash, row_hash "
                               "FROM audit ORDER BY seq").fetchall()
            if rows and not chain_problems(rows, sealed.audit_seq, sealed.audit_head):
                write_manifest(self.store, with_head(sealed, rows[-1][0], rows[-1][7]))

    def commit(self, staged: list[StagedSource], *, replace: bool = False) -> None:
        """Make staged sources visible, all or nothing, with their ``ingest`` audit rows.

        The order (see the module's docstring): partitions and ``sources.parquet`` written
        to a staging folder with a journal holding the new manifest and the audit rows; the
        audit database's write lock taken (waiting up to :func:`db_timeout`; if it cannot be
        had, nothing becomes visible); the rows inserted; partitions moved and
        ``sources.parquet`` swapped (the commit point); the database committed; the
        manifest written. A crash after the swap is rolled forward at the next open.
        """
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
            previous = read_manifest(self.store)
            if previous is None and existing and self._sources_sealed():
                raise StoreError(f"{self.store / MANIFEST_FILE}: missing (deleted?) although this store was sealed; "
                                 "nothing was committed: run `atlas verify`")
            base_files = dict(previous.files) if previous is not None and previous.commit else self._live_files()
            staging = self.store / f".staging-{uuid.uuid4().hex}"
            committed = finished = False
            con: sqlite3.Connection | None = None
            try:
                moves: list[tuple[Path, Path]] = []
                replaced = {s.source_id for s in staged}
                files = {k: v for k, v in base_files.items() if Path(k).stem not in replaced and k != "sources.parquet"}
                for s in staged:
                    tables: dict[str, pl.DataFrame] = {
                        "events": s.events, "rejects": s.rejects, "evidence": s.evidence,
                    }
                    tables |= {f"extra/{k}": v for k, v in s.extra.items()}
                    for table, frame in tables.items():
                        tmp = staging / table / f"{s.source_id}.parquet"
                        ready = s.encoded.get(table)
                        if ready is None:
                            _write_parquet(frame, tmp)
                            digest = sha256_file(tmp)
                        else:
                            tmp.parent.mkdir(parents=True, exist_ok=True)
                            tmp.write_bytes(ready.data)
                            digest = ready.sha256
                        moves.append((tmp, self.store / table / f"{s.source_id}.parquet"))
                        files[f"{table}/{s.source_id}.parquet"] = digest
                new_rows = pl.DataFrame([s.source for s in staged], schema=SOURCE_SCHEMA, orient="row")
                sources = pl.concat([current.filter(~pl.col("source_id").is_in(sorted(replaced))), new_rows])
                sources = sources.sort("source_id")
                tmp_sources = staging / "sources.parquet"
                _write_parquet(sources, tmp_sources, metadata={SEALED_KEY: MANIFEST_FILE})
                files["sources.parquet"] = sha256_file(tmp_sources)
                sealed = StoreManifest(commit=uuid.uuid4().hex, files=dict(sorted(files.items())))
                at, actor = _now(), self.officer().label
                rows = [[at, actor, "ingest", json.dumps(_audit_detail(s, replace), sort_keys=True, default=str)]
                        for s in staged]
                # The roll-back journal: written before anything visible moves.
                superseded = [
                    (str(Path("replaced") / dst.relative_to(self.store)), str(dst.relative_to(self.store)))
                    for _, dst in moves if dst.exists()
                ]
                old_sources = self.store / "sources.parquet"
                self._journal_path(staging).write_text(json.dumps({
                    "sources_sha256": sha256_file(old_sources) if old_sources.exists() else None,
                    "new_sources_sha256": files["sources.parquet"],
                    "replaced": superseded,
                    "manifest": {"commit": sealed.commit, "files": sealed.files},
                    "audit": rows,
                }), encoding="utf-8")
                # The audit database's write lock, before anything is visible.
                con = self._connect()
                try:
                    con.execute("BEGIN IMMEDIATE")
                    for at, actor, action, detail in rows:
                        append_row(con, at, actor, action, detail, sealed.commit_hash())
                    # The new sources' exhibit numbers, in the same transaction as their ingest rows.
                    self._number_sources(con, sources, sealed.commit_hash(), actor)
                except sqlite3.Error as exc:
                    raise self._db_error(exc, "starting the commit") from exc
                _crash_point("before-moves")
                for backup_rel, dst_rel in superseded:
                    (staging / backup_rel).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(self.store / dst_rel, staging / backup_rel)
                for src, dst in moves:
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(src, dst)
                    _crash_point("mid-moves")
                os.replace(tmp_sources, old_sources)
                committed = True
                _crash_point("after-swap")
                try:
                    con.commit()
                except sqlite3.Error as exc:
                    raise StoreError(
                        f"{self._db_path()}: the data was committed but its audit rows could not be ({exc}); they are "
                        f"kept in {self._journal_path(staging)} and written at the next open of the case") from exc
                _crash_point("after-audit")
                with manifest_lock(self.store):
                    seq, head = chain_end(con)
                    write_manifest(self.store, with_head(sealed, seq, head))
                finished = True
            finally:
                if con is not None:
                    with suppress(sqlite3.Error):
                        con.rollback()
                    con.close()
                if not committed and staging.exists():
                    # If even the roll-back fails, the journal stays and the next open rolls back.
                    with suppress(Exception):
                        self._roll_back(staging)
                elif finished:
                    shutil.rmtree(staging, ignore_errors=True)
                # committed but not finished: the journal stays; the next open rolls forward
            self._sweep(set(sources.get_column("source_id").to_list()))



def _audit_detail(staged: StagedSource, replace: bool) -> dict[str, object]:
    if staged.audit is not None:
        return staged.audit
    s = staged.source
    keys = ("path", "sha256", "source_id", "parser", "parser_version", "records_read", "events", "rejects")
    return {k: s.get(k) for k in keys} | ({"replace": True} if replace else {})


def has_audit_table(con: sqlite3.Connection) -> bool:
    """Whether the database has its audit table (an empty file is a database without one)."""
    return con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit'").fetchone() is not None


def _crash_point(name: str) -> None:
    """Tests kill the process here (``ATLAS_TEST_CRASH_AT=<name>``) to prove recovery."""
    if os.environ.get("ATLAS_TEST_CRASH_AT") == name:
        os._exit(137)


def init_case(root: Path, template: str) -> Path:
    """Create a case folder with a commented manifest; never overwrite one."""
    owner_only()
    root.mkdir(parents=True, exist_ok=True)
    restrict_folder(root)  # also when the officer made the folder first
    manifest = root / MANIFEST_NAME
    if manifest.exists():
        raise StoreError(f"{manifest}: already exists; not overwritten")
    manifest.write_text(template, encoding="utf-8")
    (root / STORE_DIR).mkdir(exist_ok=True)
    return manifest


_prefix_warned: set[str] = set()


def _warn_prefix_once(manifest: Manifest) -> None:
    """A manifest's :attr:`~atlas.store.manifest.Manifest.prefix_warning`, on stderr once a
    process (a command opens its case more than once): every command says it, so a prefix
    kept or changed is never silent, and none repeats it."""
    if manifest.prefix_warning and manifest.prefix_warning not in _prefix_warned:
        _prefix_warned.add(manifest.prefix_warning)
        print(f"atlas: warning: {manifest.prefix_warning}", file=sys.stderr)
