"""The store proves it was not altered: each kind of tampering is named by `atlas verify`
and stops `atlas report` (unless --unverified, and then every output says so)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from atlas.store import Case
from atlas.store.verify import verify_store

SAMPLE = "test_ddmmyy_24hrs.txt"


@pytest.fixture
def ingested(case_dir: Path, tmp_path: Path, whatsapp_samples: Path, atlas: Callable[..., Any]) -> dict[str, Any]:
    source = tmp_path / "evidence" / SAMPLE
    source.parent.mkdir()
    shutil.copyfile(whatsapp_samples / SAMPLE, source)
    run = atlas("ingest", case_dir, source, "--json")
    assert run.code == 0, run.err
    [outcome] = json.loads(run.out)
    assert atlas("verify", case_dir).code == 0
    with closing(sqlite3.connect(case_dir / "store" / "atlas.sqlite")) as con:
        [number] = con.execute("SELECT number FROM report_exhibits WHERE key = ?", (f"source:{outcome['sha256']}",)).fetchone()
    exhibit = f"{Case.open(case_dir).manifest.exhibit_prefix}/{number}"
    return {"case": case_dir, "source": source, "sid": outcome["source_id"], "sha": outcome["sha256"], "exhibit": exhibit}


def _problems(atlas: Callable[..., Any], case_dir: Path) -> list[str]:
    run = atlas("verify", case_dir, "--json")
    data = json.loads(run.out)
    assert run.code == (1 if data["problems"] else 0)
    return list(data["problems"])


def _db(case_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(case_dir / "store" / "atlas.sqlite")


def test_an_event_text_edited_with_the_row_count_kept_is_named(ingested: dict[str, Any], atlas: Callable[..., Any]) -> None:
    case_dir, sid = ingested["case"], ingested["sid"]
    partition = case_dir / "store" / "events" / f"{sid}.parquet"
    frame = pl.read_parquet(partition)
    frame.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("I never said that")).otherwise(pl.col("text"))
                       .alias("text")).write_parquet(partition)
    problems = _problems(atlas, case_dir)
    assert len(problems) == 1
    assert problems[0].startswith(f"{partition}: changed since it was committed (SHA-256 recorded ")


def test_audit_rows_edited_or_deleted_are_named(ingested: dict[str, Any], atlas: Callable[..., Any]) -> None:
    case_dir = ingested["case"]
    case = Case.open(case_dir)
    for i in range(3):
        case.audit("note", {"n": i})
    assert _problems(atlas, case_dir) == []
    db = case_dir / "store" / "atlas.sqlite"
    with closing(_db(case_dir)) as con:  # the ingest wrote rows first (ingest, exhibit numbers): find the notes
        first, last = con.execute("SELECT MIN(seq), MAX(seq) FROM audit WHERE action = 'note'").fetchone()
    with closing(_db(case_dir)) as con, con:
        con.execute("UPDATE audit SET detail = '{\"n\": 7}' WHERE seq = ?", (first,))
    assert _problems(atlas, case_dir) == [
        f"{db}: audit log: row {first} (note, {_at(case_dir, first)}) was edited after it was written "
        "(its content no longer matches its hash)"]
    with closing(_db(case_dir)) as con, con:
        con.execute("DELETE FROM audit WHERE seq = ?", (first,))
    assert _problems(atlas, case_dir) == [f"{db}: audit log: row {first} deleted (seq {first - 1} is followed by seq {first + 1})"]
    with closing(_db(case_dir)) as con, con:
        con.execute("DELETE FROM audit WHERE seq >= ?", (first + 1,))
    problems = _problems(atlas, case_dir)
    assert f"{db}: audit log: ends at row {first - 1} but the manifest's head is row {last}: rows were deleted from the end" in problems


def _at(case_dir: Path, seq: int) -> str:
    with closing(_db(case_dir)) as con:
        return str(con.execute("SELECT at FROM audit WHERE seq = ?", (seq,)).fetchone()[0])


def test_a_source_and_its_hash_both_rewritten_are_caught(ingested: dict[str, Any], atlas: Callable[..., Any]) -> None:
    case_dir, source, sid = ingested["case"], ingested["source"], ingested["sid"]
    source.write_text(source.read_text(encoding="utf-8").replace("John", "Jon"), encoding="utf-8")
    from atlas.store.hashing import sha256_file

    forged = sha256_file(source)
    path = case_dir / "store" / "sources.parquet"
    pl.read_parquet(path).with_columns(pl.lit(forged).alias("sha256")).write_parquet(path)
    problems = _problems(atlas, case_dir)
    assert any(p.startswith(f"{path}: changed since it was committed") for p in problems)
    # the exhibit table numbers the source under its true hash, so the forged row is named by its store id
    assert f"source {source} (store id {sid}): sources.parquet records SHA-256 {forged} but its ingest row (audit row 1) " \
           f"recorded {ingested['sha']}: the source row was rewritten" in problems


def test_a_deleted_decision_database_is_named_and_never_silently_recreated(
    ingested: dict[str, Any], atlas: Callable[..., Any]
) -> None:
    case_dir = ingested["case"]
    db = case_dir / "store" / "atlas.sqlite"
    db.unlink()
    [problem] = _problems(atlas, case_dir)
    assert problem.startswith(f"{db}: missing: the manifest records an audit log of ")
    run = atlas("link", case_dir, "tel:+447700900013", "suspect", "--basis", "same-imei", "--note", "CDR exhibit")
    assert run.code == 2 and "atlas.sqlite: missing, but the store's manifest records an audit log" in run.err
    assert not db.exists()


def test_a_deleted_store_manifest_is_named_and_a_commit_refuses(
    ingested: dict[str, Any], atlas: Callable[..., Any], whatsapp_samples: Path
) -> None:
    case_dir = ingested["case"]
    (case_dir / "store" / "manifest.json").unlink()
    problems = _problems(atlas, case_dir)
    assert any("manifest.json: missing" in p for p in problems)
    run = atlas("ingest", case_dir, whatsapp_samples / "test_mmddyy_24hrs.txt")
    assert run.code == 2 and "missing (deleted?) although this store was sealed" in run.err


def test_report_refuses_naming_the_file_and_unverified_marks_every_output(
    ingested: dict[str, Any], atlas: Callable[..., Any], tmp_path: Path
) -> None:
    case_dir, source = ingested["case"], ingested["source"]
    source.write_bytes(source.read_bytes() + b"\n")
    out = tmp_path / "out"
    run = atlas("report", case_dir, "--out", out)
    assert run.code == 2
    assert run.err.startswith(f"atlas: error: the case does not verify: source {ingested['exhibit']} ({source}): SHA-256 changed")
    assert not out.exists()
    run = atlas("report", case_dir, "--out", out, "--unverified")
    assert run.code == 0, run.err
    assert "warning: UNVERIFIED: when this was produced the case did not verify" in run.out
    notice = "UNVERIFIED: when this was produced the case did not verify (1 problem(s); first: source"
    assert notice in (out / "statement.html").read_text(encoding="utf-8")
    assert notice in (out / "report.html").read_text(encoding="utf-8")
    for table in ("events.csv", "exhibits.csv", "contacts.csv"):
        frame = pl.read_csv(out / table, infer_schema=False)
        assert frame.get_column("store_verification").str.starts_with("UNVERIFIED").all(), table
    from docx import Document

    doc = Document(str(out / "statement.docx"))
    header_text = " ".join(p.text for p in doc.sections[0].header.paragraphs)
    assert notice in header_text  # the header is printed on every page


def test_a_store_from_before_manifests_is_sealed_once_at_open(ingested: dict[str, Any], atlas: Callable[..., Any]) -> None:
    case_dir = ingested["case"]
    store = case_dir / "store"
    (store / "manifest.json").unlink()
    pl.read_parquet(store / "sources.parquet").write_parquet(store / "sources.parquet")  # no seal marker: old store
    with closing(_db(case_dir)) as con, con:  # an audit table from before the chain
        con.execute("CREATE TABLE old AS SELECT seq, at, actor, action, detail FROM audit")
        con.execute("DROP TABLE audit")
        con.execute("CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, "
                    "action TEXT NOT NULL, detail TEXT NOT NULL)")
        con.execute("INSERT INTO audit SELECT * FROM old")
        con.execute("DROP TABLE old")
    case = Case.open(case_dir)
    assert [r["action"] for r in case.audit_log() if r["action"] != "exhibit-number"] == ["ingest", "store-sealed"]
    assert verify_store(case).ok


def test_an_interrupted_commit_not_yet_recovered_is_named(ingested: dict[str, Any]) -> None:
    import fcntl

    case_dir = ingested["case"]
    staging = case_dir / "store" / ".staging-0123"
    staging.mkdir()
    with (case_dir / "store" / ".lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # another atlas process is writing: the open leaves the staging folder alone
        problems = verify_store(Case.open(case_dir)).problems
        fcntl.flock(fh, fcntl.LOCK_UN)
    assert problems == [f"{staging}: a commit interrupted by a crash is not yet rolled back or forward "
                        "(it is, at the next open while no other atlas process is writing this case)"]
    assert verify_store(Case.open(case_dir)).ok and not staging.exists()  # recovered at the next open


def test_a_deleted_exhibit_number_is_named_and_report_refuses(
    ingested: dict[str, Any], atlas: Callable[..., Any], tmp_path: Path
) -> None:
    case_dir, source, sha = ingested["case"], ingested["source"], ingested["sha"]
    db, prefix = case_dir / "store" / "atlas.sqlite", Case.open(case_dir).manifest.exhibit_prefix
    with closing(_db(case_dir)) as con, con:
        [number] = con.execute("SELECT number FROM report_exhibits WHERE key = ?", (f"source:{sha}",)).fetchone()
        con.execute("DELETE FROM report_exhibits WHERE key = ?", (f"source:{sha}",))
    [problem] = _problems(atlas, case_dir)
    assert problem.startswith(f"source {source}: has no exhibit number in {db} although audit row ")
    assert problem.endswith(f"recorded {prefix}/{number} for it: the number was deleted")
    run = atlas("report", case_dir, "--out", tmp_path / "out")
    assert run.code == 2 and f"the case does not verify: source {source}: has no exhibit number" in run.err
    with closing(_db(case_dir)) as con, con:  # put back under another number: named as changed
        con.execute("INSERT INTO report_exhibits (key, number, kind, assigned_at) VALUES (?, ?, 'source', 'x')",
                    (f"source:{sha}", number + 5))
    [problem] = _problems(atlas, case_dir)
    assert problem.startswith(f"source {source}: exhibit number {prefix}/{number + 5} in {db} but audit row ")
    assert problem.endswith(f"recorded {prefix}/{number}: the number was changed")


def test_a_source_of_an_older_store_never_numbered_is_a_warning_not_a_refusal(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with monkeypatch.context() as m:  # as stores did before ingest numbered its sources
        m.setattr("atlas.exhibits.number_sources_within", lambda *_a, **_k: {})
        assert atlas("ingest", case_dir, whatsapp_samples / SAMPLE).code == 0
    run = atlas("verify", case_dir, "--json")
    data = json.loads(run.out)
    assert run.code == 0 and data["problems"] == []
    [warning] = data["warnings"]
    assert warning.endswith("has no exhibit number yet (a store made before ingest numbered its sources); "
                            "the next `atlas report` numbers it")
    assert atlas("report", case_dir, "--out", tmp_path / "out").code == 0  # numbers it, as it always did
    data = json.loads(atlas("verify", case_dir, "--json").out)
    assert data["problems"] == [] and data["warnings"] == []


def test_the_unverified_notice_shortens_hashes_but_quotes_a_path_holding_64_hex_digits_as_it_is(
    case_dir: Path, tmp_path: Path, whatsapp_samples: Path, atlas: Callable[..., Any]
) -> None:
    """The notice heading every page shortens the problem's hashes, which are typed fields of the
    problem; a folder named by a hash (as exhibit stores and tools often name them) is quoted whole."""
    import hashlib

    from atlas.store.verify import refusal_or_notice

    folder = hashlib.sha256(b"an exhibit folder named by its hash").hexdigest()
    source = tmp_path / folder / SAMPLE
    source.parent.mkdir()
    shutil.copyfile(whatsapp_samples / SAMPLE, source)
    run = atlas("ingest", case_dir, source, "--json")
    assert run.code == 0, run.err
    [outcome] = json.loads(run.out)
    was = outcome["sha256"]
    source.write_bytes(source.read_bytes() + b"\n")
    now = hashlib.sha256(source.read_bytes()).hexdigest()
    [problem] = _problems(atlas, case_dir)  # `atlas verify` lists it with both hashes in full
    # named by its exhibit, never by the store's hex id (the notice heads served pages)
    assert problem == f"source {Case.open(case_dir).manifest.exhibit_prefix}/1 ({source}): SHA-256 changed " \
                      f"(ingested {was}, now {now})"
    assert f"source {outcome['source_id']} " not in problem
    notice = refusal_or_notice(Case.open(case_dir), anyway=True, refused="", verb="produced")
    assert notice is not None
    assert f"first: source {Case.open(case_dir).manifest.exhibit_prefix}/1 ({source}): SHA-256 changed " \
           f"(ingested {was[:12]}…, now {now[:12]}…))" in notice, notice
    assert was not in notice and now not in notice
