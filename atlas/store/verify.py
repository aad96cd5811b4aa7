"""Does the case still verify? Every source re-hashed, every store file against the manifest,
the audit chain walked, each source's hash checked against its ingest row, and each
source's exhibit number against the audit row that assigned it.

Each problem is one sentence naming the file (or audit row) and what changed, so that
``atlas verify`` can list them and ``atlas report`` can refuse naming the first.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from atlas.store.case import PARTITIONS, Case, has_audit_table
from atlas.store.hashing import sha256_file
from atlas.store.integrity import MANIFEST_FILE, chain_problems, read_manifest
from atlas.wording import plural


@dataclass(frozen=True)
class Sha256:
    """A SHA-256 in a problem's sentence: written in full where the problem is listed
    (``atlas verify``), shortened where it heads every page (:func:`refusal_or_notice`)."""

    value: str

    def short(self) -> str:
        return f"{self.value[:12]}\u2026"


class Problem(str):
    """A problem whose sentence holds hashes, as typed parts: the text (``str``) is the
    sentence with each hash in full; :attr:`short` the same sentence with each hash
    shortened. Nothing else in it is ever rewritten: a path or name that happens to hold
    64 hex digits is quoted as it is."""

    short: str
    hashes: tuple[str, ...]

    def __new__(cls, *parts: str | Sha256) -> Problem:
        self = super().__new__(cls, "".join(p.value if isinstance(p, Sha256) else p for p in parts))
        self.short = "".join(p.short() if isinstance(p, Sha256) else p for p in parts)
        self.hashes = tuple(p.value for p in parts if isinstance(p, Sha256))
        return self


def shortened(problem: str) -> str:
    """A problem as it heads a page: its hashes (the typed ones, :class:`Problem`) shortened."""
    return problem.short if isinstance(problem, Problem) else problem


@dataclass(frozen=True)
class Verification:
    """What ``verify`` found: problems (empty when intact) and the anchors worth keeping."""

    problems: list[str]
    sources: int
    files: int
    audit_rows: int
    audit_head: str
    commit_hash: str
    warnings: list[str] = field(default_factory=list)
    """Gaps that are not tampering (see :func:`_exhibit_numbers`): listed, never a refusal."""

    @property
    def ok(self) -> bool:
        return not self.problems


def _source_path(row: dict[str, object]) -> Path:
    raw = row.get("path_bytes")
    return Path(os.fsdecode(raw)) if isinstance(raw, bytes) and raw else Path(str(row["path"]))


def _exhibit_names(case: Case, sources: pl.DataFrame) -> dict[str, str]:
    """Source id → its exhibit reference (``JA/3``) as the case database holds it, read once, read-only;
    empty when there is none (or it cannot be read: the audit check says why). People read a problem
    by the exhibit they know, never by the store's hex id."""
    db = case.store / "atlas.sqlite"
    if not db.exists() or not sources.height:
        return {}
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as con:
            held = {str(k): int(n) for k, n in con.execute("SELECT key, number FROM report_exhibits").fetchall()}
    except sqlite3.Error:
        return {}
    keys = {str(r["source_id"]): "source:" + str(r["sha256"]) for r in sources.iter_rows(named=True)}
    return {sid: f"{case.manifest.exhibit_prefix}/{held[key]}" for sid, key in keys.items() if key in held}


def _source_named(row: dict[str, object], names: dict[str, str], path: object = None) -> str:
    """``source JA/3 (path)``; a source the exhibit table does not number under its recorded
    hash (none yet, or the hash itself was rewritten) is named by its path and store id."""
    where = row["path"] if path is None else path
    sid = str(row["source_id"])
    return f"source {names[sid]} ({where})" if sid in names else f"source {where} (store id {sid})"


def _check_sources(case: Case, sources: pl.DataFrame, names: dict[str, str], problems: list[str]) -> None:
    for row in sources.iter_rows(named=True):
        sid, path = row["source_id"], _source_path(row)
        who = _source_named(row, names)
        if not path.exists():
            problems.append(f"{who}: the source file is missing")
        else:
            try:
                now = sha256_file(path)
            except OSError as exc:
                problems.append(f"{who}: cannot be read ({exc})")
            else:
                if now != row["sha256"]:
                    problems.append(Problem(f"{who}: SHA-256 changed (ingested ", Sha256(row["sha256"]),
                                            ", now ", Sha256(now), ")"))
        for side in row.get("companions") or []:  # a SQLite -wal / -journal read with the source
            side_path = path.with_name(side["name"])
            if not side_path.is_file():
                problems.append(f"{_source_named(row, names, side_path)}: the {side['role']} file read with the source is missing")
            elif (now := sha256_file(side_path)) != side["sha256"]:
                problems.append(Problem(f"{_source_named(row, names, side_path)}: SHA-256 of the {side['role']} file read with the "
                                        "source changed (ingested ", Sha256(side["sha256"]), ", now ", Sha256(now), ")"))
        if row["records_read"] != row["events"] + row["rejects"]:
            problems.append(f"{who}: records read {row['records_read']} != events {row['events']} "
                            f"+ rejects {row['rejects']}")
        for table in ("events", "rejects", "evidence"):
            partition = case.store / table / f"{sid}.parquet"
            if not partition.exists():
                problems.append(f"{partition}: the {table} partition of {who} is missing")
                continue
            if table == "evidence":
                continue
            try:
                held = pl.scan_parquet(partition).select(pl.len()).collect().item()
            except Exception as exc:  # a damaged Parquet file is a finding, not a crash
                problems.append(f"{partition}: cannot be read as Parquet ({type(exc).__name__})")
                continue
            if held != row[table]:
                problems.append(f"{partition}: store holds {held} {table}, source row says {row[table]}")


def _store_files(case: Case, problems: list[str]) -> int:
    sealed = read_manifest(case.store)
    has_data = (case.store / "sources.parquet").exists()
    if sealed is None:
        if has_data:
            problems.append(f"{case.store / MANIFEST_FILE}: missing: the hashes of the store's files cannot be checked "
                            "(deleted, or the store was copied without it)")
        return 0
    if has_data and not sealed.commit:
        problems.append(f"{case.store / MANIFEST_FILE}: records no commit although the store holds sources")
    for rel, want in sorted(sealed.files.items()):
        path = case.store / rel
        if not path.exists():
            problems.append(f"{path}: recorded in the manifest but missing")
            continue
        now = sha256_file(path)
        if now != want:
            problems.append(Problem(f"{path}: changed since it was committed (SHA-256 recorded ", Sha256(want),
                                    ", now ", Sha256(now), ")"))
    recorded = set(sealed.files)
    tables = [case.store / t for t in PARTITIONS] + sorted((case.store / "extra").glob("*"))
    for folder in tables:
        for f in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
            if f.relative_to(case.store).as_posix() not in recorded:
                problems.append(f"{f}: not recorded in the manifest (added after the last commit)")
    return len(sealed.files)


def _holds_audit_table(db: Path) -> bool:
    """False for a 0-byte or schema-less database: a kill between its creation and its schema
    (``Case._connect``) leaves one, and it is the state before any audit row was written."""
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as con:
            return has_audit_table(con)
    except sqlite3.Error:
        return True  # unreadable: the read below reports why


def _audit(case: Case, sources: pl.DataFrame, names: dict[str, str], problems: list[str],
           warnings: list[str]) -> tuple[int, str]:
    sealed = read_manifest(case.store)
    db = case.store / "atlas.sqlite"
    state = "missing" if not db.exists() else "" if _holds_audit_table(db) else "holds no audit log"
    if state:
        if sealed is not None and sealed.audit_seq:
            problems.append(Problem(f"{db}: {state}: the manifest records an audit log of "
                                    f"{plural(sealed.audit_seq, 'row')} (head ", Sha256(sealed.audit_head),
                                    "); every decision and the audit trail are gone"))
        elif sources.height:
            problems.append(f"{db}: {state}: the sources have no audit rows")
        return 0, ""
    with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as con:
        try:
            rows = con.execute("SELECT seq, at, actor, action, detail, commit_hash, prev_hash, row_hash "
                               "FROM audit ORDER BY seq").fetchall()
        except sqlite3.Error as exc:
            problems.append(f"{db}: the audit log cannot be read ({exc})")
            return 0, ""
        numbered = _numbers_held(con, db, problems)
    head_seq, head = (sealed.audit_seq, sealed.audit_head) if sealed is not None else (0, "")
    problems.extend(f"{db}: {p}" for p in chain_problems(rows, head_seq, head))
    ingested: dict[str, tuple[int, str]] = {}
    for seq, _at, _actor, action, detail, *_ in rows:
        if action == "ingest":
            with_detail = json.loads(detail)
            if isinstance(with_detail, dict) and with_detail.get("source_id"):
                ingested[str(with_detail["source_id"])] = (seq, str(with_detail.get("sha256", "")))
    for row in sources.iter_rows(named=True):
        sid = row["source_id"]
        if sid not in ingested:
            problems.append(f"{_source_named(row, names)}: no ingest row in the audit log")
        elif ingested[sid][1] != row["sha256"]:
            seq, logged = ingested[sid]
            problems.append(Problem(f"{_source_named(row, names)}: sources.parquet records SHA-256 ", Sha256(row["sha256"]),
                                    f" but its ingest row (audit row {seq}) recorded ", Sha256(logged),
                                    ": the source row was rewritten"))
    if numbered is not None:
        _exhibit_numbers(db, rows, sources, numbered, case.manifest.exhibit_prefix, problems, warnings)
    return len(rows), (rows[-1][7] if rows else "")


def _numbers_held(con: sqlite3.Connection, db: Path, problems: list[str]) -> dict[str, int] | None:
    """Exhibit key → number as the case database holds them (none when the table was never made)."""
    try:
        return {str(k): int(n) for k, n in con.execute("SELECT key, number FROM report_exhibits").fetchall()}
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return {}
        problems.append(f"{db}: the exhibit numbers cannot be read ({exc})")
        return None
    except sqlite3.Error as exc:
        problems.append(f"{db}: the exhibit numbers cannot be read ({exc})")
        return None


def _exhibit_numbers(db: Path, rows: list[tuple[object, ...]], sources: pl.DataFrame, numbered: dict[str, int],
                     prefix: str, problems: list[str], warnings: list[str]) -> None:
    """Every committed source has its exhibit number, and it is the one the audit log recorded.

    A number is a decision a statement may already cite (``JA/3``), and its assignment is
    an ``exhibit-number`` audit row written in the same transaction. So the audit log (whose
    chain is checked above) is the authority, as for every other check here:

    - the audit log records a number for the source but the database no longer holds it,
      or holds another: the store contradicts its own record, an **error** like every other
      problem (``atlas report`` refuses), because outputs would renumber or misname exhibits;
    - no number and no audit row ever recorded one: a store made before ingest numbered its
      sources (they were numbered lazily, by the first report), so nothing was altered: a
      **warning** only; the next ``atlas report`` numbers it in received order, as it always
      did. Refusing would leave such a store unable ever to report.
    """
    recorded: dict[str, tuple[int, int, str]] = {}  # key -> (audit seq, number, prefix), the last assignment recorded
    for seq, _at, _actor, action, detail, *_ in rows:
        if action != "exhibit-number":
            continue
        try:
            d = json.loads(str(detail))
        except ValueError:
            continue  # an unreadable row is the chain check's finding
        if isinstance(d, dict) and isinstance(d.get("key"), str) and isinstance(d.get("number"), int):
            recorded[d["key"]] = (int(str(seq)), d["number"], str(d.get("prefix") or prefix))
    for row in sources.iter_rows(named=True):
        key = f"source:{row['sha256']}"
        held = numbered.get(key)
        if key in recorded:
            seq, number, given = recorded[key]  # a row names the prefix it numbered under (a change is recorded apart)
            if held is None:
                problems.append(f"source {row['path']}: has no exhibit number in {db} although audit row {seq} "
                                f"recorded {given}/{number} for it: the number was deleted")
            elif held != number:
                problems.append(f"source {row['path']}: exhibit number {prefix}/{held} in {db} but audit row "
                                f"{seq} recorded {given}/{number}: the number was changed")
        elif held is None:
            warnings.append(f"source {row['path']}: has no exhibit number yet (a store made before ingest "
                            "numbered its sources); the next `atlas report` numbers it")


def verify_store(case: Case) -> Verification:
    """Re-hash and re-check everything; the problems name exactly what changed."""
    problems: list[str] = []
    warnings: list[str] = []
    for staging in sorted(case.store.glob(".staging-*")):  # left when another process held the lock at open
        problems.append(f"{staging}: a commit interrupted by a crash is not yet rolled back or forward "
                        "(it is, at the next open while no other atlas process is writing this case)")
    sources = case.sources()
    names = _exhibit_names(case, sources)
    _check_sources(case, sources, names, problems)
    files = _store_files(case, problems)
    n_rows, head = _audit(case, sources, names, problems, warnings)
    sealed = read_manifest(case.store)
    return Verification(problems=problems, sources=sources.height, files=files, audit_rows=n_rows, audit_head=head,
                        commit_hash=sealed.commit_hash() if sealed else "", warnings=warnings)


def refusal_or_notice(case: Case, *, anyway: bool, refused: str, verb: str) -> str | None:
    """What leaves an unverified case: ``None`` when the case verifies; else, unless ``anyway``
    (``--unverified``), a :class:`StoreError` naming the first problem and saying ``refused``
    (what was not written and how to write it anyway); with ``anyway``, the notice every output
    then carries (``UNVERIFIED: when this was <verb> …``). One rule for the report and every
    export, because what leaves the case is evidence either way."""
    from atlas.errors import StoreError

    problems = verify_store(case).problems
    if not problems:
        return None
    more = f" (and {len(problems) - 1} more problem(s): see `atlas verify`)" if len(problems) > 1 else ""
    if not anyway:
        raise StoreError(f"the case does not verify: {problems[0]}{more}; {refused}")
    first = shortened(problems[0])  # its hashes shortened (typed, never found by pattern): it heads every page
    return (f"UNVERIFIED: when this was {verb} the case did not verify ({len(problems)} problem(s); first: "
            f"{first}). See `atlas verify`.")
