"""The case store: round trips, idempotent ingest, all-or-nothing commits, crashes, verify.

"Byte-for-byte unchanged" is checked by hashing every file under the case folder
before and after. Samples that a test alters are copied to tmp_path first.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import atlas.store.case as case_module
from atlas.exhibits import source_refs
from atlas.store import Case
from parsers import whatsapp_text

Digest = Callable[[Path], dict[str, str]]
SAMPLE = "test_ddmmyy_24hrs.txt"


def ingest_json(atlas: Callable[..., object], *args: object) -> list[dict[str, object]]:
    run = atlas("ingest", *args, "--json")
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    return json.loads(run.out)  # type: ignore[attr-defined,no-any-return]


def snapshot(case_dir: Path) -> dict[str, pl.DataFrame]:
    case = Case.open(case_dir)
    return {
        "sources": case.sources(),
        "events": case.events().collect(),
        "rejects": case.rejects().sort("source_id", "source_ref").collect(),
        "evidence": case.evidence().collect(),
    }


def assert_same_store(before: dict[str, pl.DataFrame], after: dict[str, pl.DataFrame]) -> None:
    for table in before:
        assert_frame_equal(after[table], before[table])


# --- round trip, ids, idempotence --------------------------------------------------------


def test_timeline_export_round_trips_the_store(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object], tmp_path: Path
) -> None:
    ingest_json(atlas, case_dir, whatsapp_samples / SAMPLE, whatsapp_samples / "test_mmddyyyy_12hrs.txt")
    out = tmp_path / "x.parquet"
    run = atlas("timeline", case_dir, "--out", out)
    assert run.code == 0  # type: ignore[attr-defined]
    assert run.out.startswith("wrote 18 events to ")  # type: ignore[attr-defined]
    exported = pl.read_parquet(out)
    stored = Case.open(case_dir).events().sort("ts_utc", "event_id").collect()
    assert stored.height == 18
    # the store's columns, plus each record's exhibit reference right after its source id
    assert exported.columns.index("exhibit") == exported.columns.index("source_id") + 1
    assert exported.get_column("exhibit").str.contains(r"^[A-Z]+/\d+, line \d+$").all()
    assert_frame_equal(exported.drop("exhibit"), stored)  # same rows, same order, same dtypes (enums included)


def test_event_ids_are_source_hash_and_record_place(case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object]) -> None:
    [outcome] = ingest_json(atlas, case_dir, whatsapp_samples / SAMPLE)
    sha = hashlib.sha256((whatsapp_samples / SAMPLE).read_bytes()).hexdigest()
    assert outcome["sha256"] == sha and outcome["source_id"] == sha[:16]
    ids = Case.open(case_dir).events().sort("source_ref").collect().get_column("event_id").to_list()
    assert ids[:3] == [f"{sha[:16]}/line 1", f"{sha[:16]}/line 10", f"{sha[:16]}/line 2"]


def test_re_ingesting_the_same_file_changes_nothing(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object], digest: Digest, tmp_path: Path
) -> None:
    [first] = ingest_json(atlas, case_dir, whatsapp_samples / SAMPLE)
    before = digest(case_dir)
    ids_before = Case.open(case_dir).events().collect().get_column("event_id").sort().to_list()
    # The same content under another name is the same source.
    renamed = tmp_path / "renamed.txt"
    renamed.write_bytes((whatsapp_samples / SAMPLE).read_bytes())
    outcomes = ingest_json(atlas, case_dir, whatsapp_samples / SAMPLE, renamed)
    assert [(o["status"], o["source_id"], o["events"]) for o in outcomes] == [
        ("already", first["source_id"], 9), ("already", first["source_id"], 9),
    ]
    assert digest(case_dir) == before
    events = Case.open(case_dir).events().collect()
    assert events.get_column("event_id").sort().to_list() == ids_before
    assert events.get_column("event_id").is_unique().all()


def test_replace_re_parses_with_the_current_parser(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object], monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_json(atlas, case_dir, whatsapp_samples / SAMPLE)
    before = snapshot(case_dir)
    monkeypatch.setattr(whatsapp_text, "INFO", dataclasses.replace(whatsapp_text.INFO, version="9.9.9"))
    [outcome] = ingest_json(atlas, case_dir, whatsapp_samples / SAMPLE, "--replace")
    assert (outcome["status"], outcome["parser_version"], outcome["events"]) == ("ingested", "9.9.9", 9)
    after = snapshot(case_dir)
    assert after["sources"].get_column("parser_version").to_list() == ["9.9.9"]
    assert_frame_equal(after["events"], before["events"])  # same file, same events, same ids
    assert [e["action"] for e in Case.open(case_dir).audit_log()] == ["ingest", "exhibit-number", "ingest"]  # numbered once, when first received


# --- bad files leave the store exactly as it was ----------------------------------------


def _bad_files(tmp_path: Path, samples: Path) -> dict[str, Path]:
    folder = tmp_path / "bad"
    folder.mkdir()
    files = {
        "empty": folder / "empty.txt",
        "binary": folder / "blob.bin",
        "unknown": folder / "notes.txt",
        "truncated-chat": folder / "chat.txt",
        "truncated-db": folder / "mmssms.db",
        "damaged-sheet": folder / "return.xlsx",
    }
    files["empty"].write_bytes(b"")
    files["binary"].write_bytes(bytes(range(256)) * 64)
    files["unknown"].write_text("Shopping list\nmilk\neggs\n", encoding="utf-8")
    files["truncated-chat"].write_bytes("20/01/24, 10:00 - Dan: see you 🤓".encode()[:-2])
    files["truncated-db"].write_bytes((samples / "plaso" / "mmssms.db").read_bytes()[:5000])
    files["damaged-sheet"].write_bytes(_workbook_with_a_damaged_sheet(folder / "sound.xlsx"))
    return files


def _workbook_with_a_damaged_sheet(path: Path) -> bytes:
    """A call-data workbook whose zip directory reads but whose sheet's deflate stream is broken."""
    import zipfile

    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Voice")
    for r, row in enumerate([["Calling Number", "Called Number", "Start Date Time", "Duration (s)", "Call Type"],
                             ["07700900002", "07700900001", "01/03/2026 12:00:00", "62", "Voice"]]):
        for c, v in enumerate(row):
            ws.write_string(r, c, v)
    wb.close()
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 10, start + 40):
        data[i] ^= 0xFF
    path.unlink()
    return bytes(data)


@pytest.mark.parametrize("kind", ["empty", "binary", "unknown", "truncated-chat", "truncated-db", "damaged-sheet"])
def test_a_bad_file_is_one_clear_line_exit_2_and_the_store_is_unchanged(
    kind: str, case_dir: Path, whatsapp_samples: Path, samples: Path, atlas: Callable[..., object],
    digest: Digest, tmp_path: Path,
) -> None:
    ingest_json(atlas, case_dir, whatsapp_samples / SAMPLE)
    bad = _bad_files(tmp_path, samples)[kind]
    before = digest(case_dir)
    run = atlas("ingest", case_dir, bad)
    assert run.code == 2  # type: ignore[attr-defined]
    assert run.out == ""  # type: ignore[attr-defined]
    assert run.err.startswith(f"atlas: error: {bad}: ")  # type: ignore[attr-defined]
    assert run.err.count("\n") == 1 and "Traceback" not in run.err  # type: ignore[attr-defined]
    expected = {
        "empty": "the file is empty",
        "binary": "format not recognised (binary file, 16384 bytes)",
        "unknown": "format not recognised (text file, 24 bytes)",
        "truncated-chat": "the file is truncated",
        "damaged-sheet": "format not recognised (an Excel workbook of ",
    }
    if kind in expected:
        assert expected[kind] in run.err  # type: ignore[attr-defined]
    if kind == "damaged-sheet":  # the sheet and the damage named, not "binary file"
        assert "damaged or truncated: sheet 'Voice' cannot be read" in run.err  # type: ignore[attr-defined]
    assert digest(case_dir) == before


def test_a_wrong_forced_format_is_a_clear_error(case_dir: Path, atlas: Callable[..., object], tmp_path: Path, samples: Path) -> None:
    bad = _bad_files(tmp_path, samples)["binary"]
    run = atlas("ingest", case_dir, bad, "--format", "whatsapp-text")
    assert (run.code, run.err) == (  # type: ignore[attr-defined]
        2, f"atlas: error: {bad}: binary content (NUL byte at offset 0): not a WhatsApp text export\n",
    )


def test_one_failing_file_commits_none_and_keep_going_commits_the_rest(
    case_dir: Path, whatsapp_samples: Path, samples: Path, atlas: Callable[..., object], digest: Digest, tmp_path: Path
) -> None:
    bad = _bad_files(tmp_path, samples)["truncated-chat"]
    good = [whatsapp_samples / SAMPLE, whatsapp_samples / "test_yyyymmdd_24hrs.txt"]
    before = digest(case_dir)
    run = atlas("ingest", case_dir, good[0], bad, good[1])
    assert run.code == 2 and "the file is truncated" in run.err  # type: ignore[attr-defined]
    assert digest(case_dir) == before
    assert Case.open(case_dir).sources().height == 0

    run = atlas("ingest", case_dir, good[0], bad, good[1], "--keep-going", "--json")
    assert run.code == 1  # type: ignore[attr-defined]
    outcomes = json.loads(run.out)  # type: ignore[attr-defined]
    assert [o["status"] for o in outcomes] == ["ingested", "failed", "ingested"]
    assert "the file is truncated" in outcomes[1]["message"]
    assert sorted(Case.open(case_dir).sources().get_column("name").to_list()) == [SAMPLE, "test_yyyymmdd_24hrs.txt"]


def test_a_folder_skips_what_it_cannot_read_but_a_named_file_must_be_read(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object], tmp_path: Path
) -> None:
    folder = tmp_path / "phone"
    folder.mkdir()
    (folder / "chat.txt").write_bytes((whatsapp_samples / SAMPLE).read_bytes())
    (folder / "notes.txt").write_text("Shopping list\n", encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / ".hidden").write_text("x", encoding="utf-8")
    run = atlas("ingest", case_dir, folder, "--json")
    assert run.code == 3, run.err  # type: ignore[attr-defined]  # committed, but files were not read: listed
    outcomes = json.loads(run.out)  # type: ignore[attr-defined]
    assert [(Path(str(o["path"])).name, o["status"], o["message"]) for o in outcomes] == [
        (".hidden", "skipped", "hidden file (the name begins with '.'): not read (name it to read it)"),
        ("chat.txt", "ingested", ""),
        ("empty.txt", "skipped", "empty file"),
        ("notes.txt", "skipped", "format not recognised"),
    ]


# --- crashes during commit ---------------------------------------------------------------


def _crash_after_first_move(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    moved: list[tuple[str, str]] = []
    real = os.replace

    def replace(src: os.PathLike[str] | str, dst: os.PathLike[str] | str) -> None:
        if moved:
            raise OSError("simulated crash")
        moved.append((str(src), str(dst)))
        real(src, dst)

    monkeypatch.setattr(case_module.os, "replace", replace)
    return moved


def test_a_crash_during_commit_leaves_the_store_reading_as_before_and_the_debris_is_swept(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object], monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_json(atlas, case_dir, whatsapp_samples / SAMPLE)
    before = snapshot(case_dir)
    with monkeypatch.context() as m:
        moved = _crash_after_first_move(m)
        run = atlas("ingest", case_dir, whatsapp_samples / "test_mmddyy_24hrs.txt")
        assert run.code == 2 and "simulated crash" in run.err  # type: ignore[attr-defined]
    [(_, debris)] = moved
    assert Path(debris).exists()  # a partition moved in, but no committed source owns it
    assert_same_store(before, snapshot(case_dir))
    ingest_json(atlas, case_dir, whatsapp_samples / "test_yyyymmdd_24hrs.txt")
    assert not Path(debris).exists()
    assert not list((case_dir / "store").glob(".staging-*"))
    store_files = {p.stem for p in (case_dir / "store" / "events").glob("*.parquet")}
    assert store_files == set(Case.open(case_dir).source_ids())


def test_a_crash_during_replace_rolls_back_the_superseded_partitions(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object], monkeypatch: pytest.MonkeyPatch,
    digest: Digest,
) -> None:
    ingest_json(atlas, case_dir, whatsapp_samples / SAMPLE)
    before, files_before = snapshot(case_dir), digest(case_dir)
    monkeypatch.setattr(whatsapp_text, "INFO", dataclasses.replace(whatsapp_text.INFO, version="9.9.9"))
    with monkeypatch.context() as m:
        _crash_after_first_move(m)  # even the in-process roll-back fails: only the journal is left
        run = atlas("ingest", case_dir, whatsapp_samples / SAMPLE, "--replace")
        assert run.code == 2  # type: ignore[attr-defined]
    assert list((case_dir / "store").glob(".staging-*/journal.json"))
    assert not (case_dir / "store" / "events" / f"{before['sources']['source_id'][0]}.parquet").exists()
    assert_same_store(before, snapshot(case_dir))  # opening the case rolled back
    assert not list((case_dir / "store").glob(".staging-*"))
    assert digest(case_dir) == files_before


def test_a_crash_after_the_swap_keeps_the_new_commit(case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object]) -> None:
    ingest_json(atlas, case_dir, whatsapp_samples / SAMPLE)
    staging = case_dir / "store" / ".staging-dead"
    (staging / "replaced" / "events").mkdir(parents=True)
    (staging / "replaced" / "events" / "0000.parquet").write_bytes(b"old")
    (staging / "journal.json").write_text(json.dumps({"sources_sha256": "not-the-current-one", "replaced": [
        ["replaced/events/0000.parquet", "events/0000.parquet"]]}), encoding="utf-8")
    Case.open(case_dir)
    assert not staging.exists() and not (case_dir / "store" / "events" / "0000.parquet").exists()


# --- verify ---------------------------------------------------------------------------------


def test_verify_passes_on_an_intact_case(case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object]) -> None:
    ingest_json(atlas, case_dir, whatsapp_samples / SAMPLE, whatsapp_samples / "test_mmddyy_24hrs.txt")
    run = atlas("verify", case_dir)
    assert run.code == 0  # type: ignore[attr-defined]
    first, head = run.out.splitlines()  # type: ignore[attr-defined]
    from atlas.store.integrity import read_manifest

    sealed = read_manifest(case_dir / "store")
    assert sealed is not None and sealed.audit_seq >= 2  # two ingests, then whatever else was recorded (exhibit numbers)
    assert first == (f"ok: 2 source(s) re-hashed, unchanged; {len(sealed.files)} store file(s) match the manifest; "
                     f"audit log of {sealed.audit_seq} row(s) intact; records read = events + rejects for each")
    assert re.fullmatch(r"audit head: [0-9a-f]{64} \(keep it: it proves later that nothing was rewritten\)", head)


def test_verify_names_a_source_changed_after_ingest(
    case_dir: Path, copy_sample: Callable[[str], Path], atlas: Callable[..., object]
) -> None:
    source = copy_sample(SAMPLE)
    [outcome] = ingest_json(atlas, case_dir, source)
    with source.open("ab") as fh:
        fh.write(b"\n20/01/19, 11:24 - John Doe: inserted later")
    run = atlas("verify", case_dir, "--json")
    assert run.code == 1  # type: ignore[attr-defined]
    report = json.loads(run.out)  # type: ignore[attr-defined]
    assert report["ok"] is False
    [problem] = report["problems"]
    assert problem.startswith(f"source {Case.open(case_dir).manifest.exhibit_prefix}/1 ({source}): SHA-256 changed "
                              f"(ingested {outcome['sha256']}, now ")


def test_verify_names_a_deleted_partition_and_reading_refuses_a_short_timeline(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object]
) -> None:
    [outcome] = ingest_json(atlas, case_dir, whatsapp_samples / SAMPLE)
    partition = case_dir / "store" / "events" / f"{outcome['source_id']}.parquet"
    partition.unlink()
    case = Case.open(case_dir)
    named = f"source {case.manifest.exhibit_prefix}/1 ({case.sources()['path'][0]})"  # the path as the store records it
    run = atlas("verify", case_dir)
    assert run.code == 1  # type: ignore[attr-defined]
    assert run.out == (f"CHANGED: {partition}: the events partition of {named} is missing\n"  # type: ignore[attr-defined]
                       f"CHANGED: {partition}: recorded in the manifest but missing\n")
    run = atlas("timeline", case_dir)
    assert run.code == 2  # type: ignore[attr-defined]
    assert run.err == (  # type: ignore[attr-defined]
        f"atlas: error: {partition}: the events partition of one of the case's sources is missing; "
        "the case store is damaged (run `atlas verify`)\n"
    )


def test_verify_notices_a_partition_that_disagrees_with_its_source_row(
    case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object]
) -> None:
    [outcome] = ingest_json(atlas, case_dir, whatsapp_samples / SAMPLE)
    partition = case_dir / "store" / "events" / f"{outcome['source_id']}.parquet"
    pl.read_parquet(partition).head(8).write_parquet(partition)
    run = atlas("verify", case_dir)
    assert run.code == 1  # type: ignore[attr-defined]
    assert f"{partition}: store holds 8 events, source row says 9" in run.out  # type: ignore[attr-defined]


def test_every_source_accounts_for_every_record(case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., object], tmp_path: Path) -> None:
    messy = tmp_path / "messy.txt"
    messy.write_text("exported by a tool\n31/02/24, 10:00 - Dan: no such day\n20/01/24, 10:00 - Dan: fine\n", encoding="utf-8")
    ingest_json(atlas, case_dir, *sorted(whatsapp_samples.glob("*.txt")))
    ingest_json(atlas, case_dir, messy, "--format", "whatsapp-text")  # detection wants a header first
    case = Case.open(case_dir)
    sources = case.sources()
    assert sources.height == 6
    events = case.events().group_by("source_id").len().collect()
    rejects = case.rejects().group_by("source_id").len().collect()
    for row in sources.iter_rows(named=True):
        n_events = events.filter(pl.col("source_id") == row["source_id"]).get_column("len").sum()
        n_rejects = rejects.filter(pl.col("source_id") == row["source_id"]).get_column("len").sum()
        assert row["records_read"] == row["events"] + row["rejects"] == n_events + n_rejects
        assert (row["events"], row["rejects"]) == ((1, 2) if row["name"] == "messy.txt" else (9, 0))
    run = atlas("rejects", case_dir, "--json")
    assert [(r["source_ref"], r["reason"]) for r in json.loads(run.out)] == [  # type: ignore[attr-defined]
        ("line 1", "text before the first message header"), ("line 2", "header date/time is not a real date"),
    ]
    # a person reads each reject by its exhibit record; machines keep the source id beside it
    refs = source_refs(Case.open(case_dir))
    assert [r["exhibit"] for r in json.loads(run.out)] == [  # type: ignore[attr-defined]
        f"{refs[r['source_id']]}, {r['source_ref']}" for r in json.loads(run.out)]  # type: ignore[attr-defined]
    text = atlas("rejects", case_dir).out  # type: ignore[attr-defined]
    assert not any(sid in text for sid in refs)
    assert all(refs[r["source_id"]] in text for r in json.loads(run.out))  # type: ignore[attr-defined]


# --- sources are evidence: read-only, hashed before and after ------------------------------


def test_a_read_only_source_ingests_and_its_hashes_are_recorded(
    case_dir: Path, copy_sample: Callable[[str], Path], atlas: Callable[..., object]
) -> None:
    source = copy_sample(SAMPLE)
    source.chmod(0o444)
    content = source.read_bytes()
    sha = hashlib.sha256(content).hexdigest()
    [outcome] = ingest_json(atlas, case_dir, source)
    assert (outcome["status"], outcome["sha256"], outcome["sha256_after"]) == ("ingested", sha, sha)
    assert stat.S_IMODE(source.stat().st_mode) == 0o444 and source.read_bytes() == content
    case = Case.open(case_dir)
    row = case.sources().row(0, named=True)
    assert (row["sha256"], row["size"], row["path"]) == (sha, len(content), str(source.resolve()))
    entry, numbered = case.audit_log()
    assert (entry["action"], numbered["action"]) == ("ingest", "exhibit-number")
    assert entry["detail"]["sha256"] == entry["detail"]["sha256_after"] == sha  # type: ignore[index]
