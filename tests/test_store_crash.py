"""Audit rows are atomic with the data: kill -9 anywhere, two writers at once, a locked
decision database; afterwards the case verifies and every committed source has its ingest row."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from atlas.store import Case
from atlas.store.verify import verify_store

SAMPLES = ("test_ddmmyy_24hrs.txt", "test_mmddyy_24hrs.txt")


def _atlas_process(*args: object, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "atlas", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def _assert_consistent(case_dir: Path) -> Case:
    case = Case.open(case_dir)  # the open finishes (or undoes) whatever the kill interrupted
    result = verify_store(case)
    assert result.ok, result.problems
    ingested = {json.loads(json.dumps(r["detail"]))["source_id"] for r in case.audit_log() if r["action"] == "ingest"}
    assert set(case.source_ids()) <= ingested  # no committed data without its audit row
    assert not list((case_dir / "store").glob(".staging-*"))
    return case


@pytest.mark.parametrize(("point", "committed"), [
    ("before-moves", False), ("mid-moves", False), ("after-swap", True), ("after-audit", True)])
def test_a_kill_at_each_step_of_a_commit_is_rolled_back_or_forward(
    point: str, committed: bool, case_dir: Path, whatsapp_samples: Path
) -> None:
    """The kill between the swap of sources.parquet and the audit database's commit is the one
    that used to leave data without its audit row."""
    proc = _atlas_process("ingest", case_dir, *(whatsapp_samples / s for s in SAMPLES),
                          env={"ATLAS_TEST_CRASH_AT": point})
    proc.communicate(timeout=120)
    assert proc.returncode == 137  # killed at that point
    assert list((case_dir / "store").glob(".staging-*"))  # the journal survived the kill
    case = _assert_consistent(case_dir)
    assert len(case.source_ids()) == (2 if committed else 0)
    # written once: by the commit's own transaction, or by the roll forward at the next open
    assert [r["action"] for r in case.audit_log() if r["action"] != "exhibit-number"] == (["ingest", "ingest"] if committed else [])


def test_kill_9_at_several_moments_always_leaves_a_store_that_verifies(case_dir: Path, whatsapp_samples: Path) -> None:
    outcomes = []
    for delay in (0.6, 1.2, 1.8, 2.4):
        proc = _atlas_process("ingest", case_dir, *(whatsapp_samples / s for s in SAMPLES), "--replace")
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        outcomes.append(proc.returncode)
        case = _assert_consistent(case_dir)
        assert len(case.source_ids()) in (0, 2)  # all or nothing
    print(f"kill -9 outcomes (exit status per delay): {outcomes}")


def test_two_writers_at_once_both_commit_and_the_chain_stays_whole(case_dir: Path, whatsapp_samples: Path) -> None:
    procs = [_atlas_process("ingest", case_dir, whatsapp_samples / s, "--json") for s in SAMPLES]
    results = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    case = _assert_consistent(case_dir)
    assert len(case.source_ids()) == 2
    assert [r["action"] for r in case.audit_log() if r["action"] != "exhibit-number"] == ["ingest", "ingest"]


def test_a_locked_decision_database_stops_the_commit_before_anything_is_visible(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATLAS_DB_TIMEOUT", "0.3")
    Case.open(case_dir).audit("note", {"x": 1})  # the database exists
    db = case_dir / "store" / "atlas.sqlite"
    with closing(sqlite3.connect(db, isolation_level=None)) as holder:
        holder.execute("BEGIN IMMEDIATE")  # another process mid-decision
        run = atlas("ingest", case_dir, whatsapp_samples / SAMPLES[0])
        assert run.code == 2
        assert run.err == (f"atlas: error: {db}: locked by another process (waited 0.3 s while starting the commit); "
                           "nothing was changed by this step: try again when the other atlas command has finished "
                           "(ATLAS_DB_TIMEOUT sets the wait)\n")
        assert Case.open(case_dir).source_ids() == []
        run = atlas("link", case_dir, "tel:+447700900013", "suspect", "--basis", "same-imei", "--note", "CDR exhibit")
        assert run.code == 2 and "locked by another process" in run.err
        holder.execute("ROLLBACK")
    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLES[0]).code == 0
    _assert_consistent(case_dir)


def test_audit_keeps_working_for_other_callers_inside_their_transaction(case_dir: Path, whatsapp_samples: Path,
                                                                        atlas: Callable[..., Any]) -> None:
    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLES[0]).code == 0
    case = Case.open(case_dir)
    with case.db() as con:
        con.execute("CREATE TABLE IF NOT EXISTS tags (x TEXT)")
        con.execute("INSERT INTO tags VALUES ('a')")
        case.audit("tag", {"x": "a"}, con)
    with pytest.raises(RuntimeError), case.db() as con:  # rolled back with the caller's transaction
        case.audit("tag", {"x": "b"}, con)
        raise RuntimeError("caller failed")
    case.audit("note", {"y": 2})
    assert [r["action"] for r in case.audit_log() if r["action"] != "exhibit-number"] == ["ingest", "tag", "note"]
    _assert_consistent(case_dir)
    shutil.rmtree(case_dir / "store" / "events")
    assert not verify_store(Case.open(case_dir)).ok


def test_a_kill_between_a_decision_and_the_head_update_is_caught_up_at_the_next_open(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., Any]
) -> None:
    from atlas.store.integrity import read_manifest

    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLES[0]).code == 0
    before = read_manifest(case_dir / "store").audit_seq  # type: ignore[union-attr]
    proc = _atlas_process("link", case_dir, "tel:+447700900013", "suspect", "--basis", "same-imei", "--note", "CDR exhibit",
                          env={"ATLAS_TEST_CRASH_AT": "before-head"})
    proc.communicate(timeout=120)
    assert proc.returncode == 137
    assert read_manifest(case_dir / "store").audit_seq == before  # type: ignore[union-attr]  # the head was not moved on
    case = _assert_consistent(case_dir)  # the open moves it on: the rows after it chain on from it
    log = case.audit_log()
    assert log[-1]["action"] == "identity.link"
    assert read_manifest(case_dir / "store").audit_seq == log[-1]["seq"] > before  # type: ignore[union-attr]


def _numbers(case_dir: Path) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """The exhibit numbers as stored, and the ``exhibit-number`` audit rows (read directly:
    nothing that would number a source on the way)."""
    with closing(sqlite3.connect(case_dir / "store" / "atlas.sqlite")) as con:
        has_table = con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'report_exhibits'").fetchone()[0]
        stored = dict(con.execute("SELECT key, number FROM report_exhibits").fetchall()) if has_table else {}
        logged = [(json.loads(d)["key"], json.loads(d)["number"])
                  for (d,) in con.execute("SELECT detail FROM audit WHERE action = 'exhibit-number' ORDER BY seq")]
    return stored, logged


@pytest.mark.parametrize(("point", "committed"), [
    ("before-moves", False), ("mid-moves", False), ("after-swap", True), ("after-audit", True)])
def test_exhibit_numbers_are_part_of_the_ingest_commit(point: str, committed: bool, case_dir: Path,
                                                      whatsapp_samples: Path) -> None:
    """A kill anywhere leaves every committed source numbered, with its audit row, and no
    number for a source that was not committed (numbering used to be a second transaction
    after the commit: a kill between the two left sources without numbers)."""
    proc = _atlas_process("ingest", case_dir, *(whatsapp_samples / s for s in SAMPLES), env={"ATLAS_TEST_CRASH_AT": point})
    proc.communicate(timeout=120)
    assert proc.returncode == 137
    case = _assert_consistent(case_dir)
    stored, logged = _numbers(case_dir)
    shas = [json.loads(json.dumps(r["detail"]))["sha256"] for r in case.audit_log() if r["action"] == "ingest"]
    expected = {f"source:{sha}": i for i, sha in enumerate(shas, start=1)}  # in the order received
    assert stored == (expected if committed else {})
    assert sorted(logged) == sorted(expected.items()) if committed else logged == []


def test_a_numbering_failure_undoes_the_whole_ingest(case_dir: Path, whatsapp_samples: Path,
                                                     atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("atlas.exhibits.number_sources_within", broken)
    run = atlas("ingest", case_dir, whatsapp_samples / SAMPLES[0])
    assert run.code == 2 and "disk I/O error" in run.err and "Traceback" not in run.err
    case = _assert_consistent(case_dir)
    assert case.source_ids() == [] and case.audit_log() == [] and _numbers(case_dir) == ({}, [])


def test_a_kill_between_the_databases_creation_and_its_schema_leaves_a_store_that_verifies(
    case_dir: Path, whatsapp_samples: Path
) -> None:
    """``sqlite3.connect`` makes an empty ``atlas.sqlite`` before the schema is written; a kill
    there (hit by the several-moments test above under load) left a store that ``atlas verify``
    called damaged ("no such table: audit"). It is the state before the first audit row."""
    proc = _atlas_process("ingest", case_dir, whatsapp_samples / SAMPLES[0], env={"ATLAS_TEST_CRASH_AT": "db-created"})
    proc.communicate(timeout=120)
    assert proc.returncode == 137
    db = case_dir / "store" / "atlas.sqlite"
    assert db.stat().st_size == 0  # the moment this test is about
    case = _assert_consistent(case_dir)
    assert case.source_ids() == [] and case.audit_log() == []
    proc = _atlas_process("ingest", case_dir, whatsapp_samples / SAMPLES[0])
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    case = _assert_consistent(case_dir)
    assert len(case.source_ids()) == 1
    assert [r["action"] for r in case.audit_log() if r["action"] != "exhibit-number"] == ["ingest"]


def test_an_emptied_database_is_refused_when_the_manifest_records_audit_rows(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., Any]
) -> None:
    """An empty database is new only when no audit row was ever recorded: emptied after
    decisions were made, it is reported and refused, never silently started again."""
    from atlas.errors import StoreError

    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLES[0]).code == 0
    db = case_dir / "store" / "atlas.sqlite"
    db.write_bytes(b"")
    result = verify_store(Case.open(case_dir))
    assert not result.ok
    assert any(p.startswith(f"{db}: holds no audit log: the manifest records an audit log of ") for p in result.problems)
    with pytest.raises(StoreError, match="holds no audit log, but the store's manifest records an audit log"):
        Case.open(case_dir).audit_log()
    assert db.stat().st_size == 0  # the refusal wrote nothing
    run = atlas("ingest", case_dir, whatsapp_samples / SAMPLES[1])
    assert run.code == 2 and "holds no audit log" in run.err
