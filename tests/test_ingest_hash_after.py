"""The second hash of a source: it starts only after the parser's last read of the file
(early, while the parser still works in memory, when the parser says it has finished
reading: ``ParseContext.finished_reading``), and a file changed while it was being read is
refused with nothing committed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from atlas import ingest as ingest_module
from atlas.errors import StoreError
from atlas.ingest import IngestOptions, ingest
from atlas.store import Case
from bench.bench_cdr import write_cdr
from parsers import _tabular, cdr


@pytest.fixture(autouse=True)
def hashed_before_and_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are of the route that hashes the file before and after: a CDR CSV is now read
    whole (``tests/test_ingest_read_whole.py``) unless it is larger than the limit, set to 0 here."""
    monkeypatch.setattr(ingest_module, "WHOLE_READ_MAX", 0)


def _cdr(tmp_path: Path) -> Path:
    path = tmp_path / "return.csv"
    write_cdr(path, n=500)
    return path


def test_the_second_hash_starts_after_the_cdr_table_is_read_and_before_the_parse_ends(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _cdr(tmp_path)
    log: list[str] = []
    hash_file, read_csv, block_events = ingest_module.sha256_file, _tabular.read_csv, cdr._block_events

    def logged_hash(p: Path) -> str:
        log.append("hash begins")
        return hash_file(p)

    def logged_read(*args: object, **kwargs: object) -> pl.DataFrame:
        frame = read_csv(*args, **kwargs)  # type: ignore[arg-type]
        log.append("read ends")
        return frame

    def logged_work(*args: object, **kwargs: object) -> None:
        log.append("work in memory")
        block_events(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_module, "sha256_file", logged_hash)
    monkeypatch.setattr(_tabular, "read_csv", logged_read)
    monkeypatch.setattr(cdr, "_block_events", logged_work)
    [outcome] = ingest(Case.open(case_dir), [path], IngestOptions())
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert (outcome.status, outcome.sha256, outcome.sha256_after) == ("ingested", sha, sha)
    assert log[:2] == ["hash begins", "read ends"]
    assert log[2:].count("hash begins") == 1  # the second hash, after the read ...
    assert "work in memory" in log[log.index("hash begins", 1):]  # ... and begun before the work it runs beside


def test_a_return_changed_while_it_was_being_read_is_refused_and_nothing_is_stored(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _cdr(tmp_path)
    read_csv = _tabular.read_csv

    def read_then_change(*args: object, **kwargs: object) -> pl.DataFrame:
        frame = read_csv(*args, **kwargs)  # type: ignore[arg-type]
        with path.open("a", encoding="utf-8") as fh:  # written to while the parser read it
            fh.write("07700900123,07700900002,01/01/2026 00:00:00,5,Voice,MO,1000,20000,1000,20000,1,2,N\n")
        return frame

    monkeypatch.setattr(_tabular, "read_csv", read_then_change)
    case = Case.open(case_dir)
    with pytest.raises(StoreError, match="changed while it was being read"):
        ingest(case, [path], IngestOptions())
    assert Case.open(case_dir).sources().height == 0


def test_a_parser_that_never_says_it_finished_reading_is_hashed_again_after_it_returns(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _cdr(tmp_path)
    parse = cdr.parse

    def silent(p: Path, ctx: object) -> object:
        ctx.finished_reading = None  # type: ignore[attr-defined]
        result = parse(p, ctx)  # type: ignore[arg-type]
        with path.open("a", encoding="utf-8") as fh:  # changed before the parser returned
            fh.write("\n")
        return result

    monkeypatch.setattr(cdr, "parse", silent)
    with pytest.raises(StoreError, match="changed while it was being read"):
        ingest(Case.open(case_dir), [path], IngestOptions())


@pytest.mark.parametrize("whole", [False, True], ids=["hashed-before-and-after", "read-whole"])
def test_the_tables_encoded_beside_the_work_are_the_bytes_and_hashes_the_commit_would_write(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, whole: bool) -> None:
    """The ``cdr`` table the parser hands over early (``ctx.table_ready``) and the events once
    normalised are encoded on the ingest's workers, each with its SHA-256, and the commit writes
    those bytes and records that hash: the bytes ``_write_parquet`` writes for the frame the
    staged source holds, and the hash of the file written."""
    from atlas.store import case as case_module
    from atlas.store.case import Encoded
    from atlas.store.integrity import read_manifest

    if whole:
        monkeypatch.setattr(ingest_module, "WHOLE_READ_MAX", 2 << 30)
        monkeypatch.setattr(ingest_module, "RECENT_S", 0.0)
    path = _cdr(tmp_path)
    staged_seen: list[dict[str, Encoded]] = []
    finish = ingest_module._encoded_tables

    def seen(*args: object) -> dict[str, Encoded]:
        out = finish(*args)  # type: ignore[arg-type]
        staged_seen.append(out)
        return out

    monkeypatch.setattr(ingest_module, "_encoded_tables", seen)
    [outcome] = ingest(Case.open(case_dir), [path], IngestOptions())
    assert outcome.status == "ingested" and set(staged_seen[0]) == {"events", "extra/cdr"}
    manifest = read_manifest(case_dir / "store")
    assert manifest is not None
    for table in ("events", "extra/cdr"):
        stored = case_dir / "store" / table / f"{outcome.source_id}.parquet"
        again = tmp_path / "again.parquet"
        case_module._write_parquet(pl.read_parquet(stored), again)
        assert stored.read_bytes() == again.read_bytes() == staged_seen[0][table].data
        digest = hashlib.sha256(stored.read_bytes()).hexdigest()
        assert manifest.files[f"{table}/{outcome.source_id}.parquet"] == staged_seen[0][table].sha256 == digest


def test_a_store_committed_from_tables_encoded_beside_equals_the_plain_commits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plain rule (every table encoded at the commit, its file hashed after it is written)
    and the ingest's (tables encoded and hashed beside the parse and staging): byte-identical
    store Parquet and the same file hashes in the store's manifest, by both read routes."""
    from atlas.store.case import init_case
    from atlas.store.integrity import read_manifest
    from atlas.store.manifest import TEMPLATE

    path = _cdr(tmp_path)
    finish = ingest_module._encoded_tables
    for limit in (0, 2 << 30):
        monkeypatch.setattr(ingest_module, "WHOLE_READ_MAX", limit)
        monkeypatch.setattr(ingest_module, "RECENT_S", 0.0)
        stores, hashes = [], []
        for plain in (True, False):
            monkeypatch.setattr(ingest_module, "_encoded_tables", (lambda *_: {}) if plain else finish)
            root = tmp_path / f"case-{limit}-{plain}"
            init_case(root, TEMPLATE)
            [outcome] = ingest(Case.open(root), [path], IngestOptions())
            assert outcome.status == "ingested", outcome.message
            store = root / "store"
            stores.append({str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*.parquet"))})
            manifest = read_manifest(store)
            assert manifest is not None
            hashes.append(manifest.files)
        assert stores[0] == stores[1] and any(name.startswith("events/") for name in stores[0])
        assert hashes[0] == hashes[1] and len(hashes[0]) == len(stores[0])


def test_parquet_bytes_are_the_writers_bytes(tmp_path: Path) -> None:
    from atlas.store.case import _write_parquet, parquet_bytes

    frames = [
        pl.DataFrame({"a": ["x", None, "y" * 40], "b": [[], ["p", "q"], None], "c": [1, None, 3]}),
        pl.DataFrame({"e": pl.Series(["out", "in", None], dtype=pl.Enum(["out", "in"])), "t": [None, True, False]}),
        pl.DataFrame({"s": pl.Series([], dtype=pl.String)}),
        pl.concat([pl.DataFrame({"n": list(range(1000))})] * 3, rechunk=False),
    ]
    for i, frame in enumerate(frames):
        _write_parquet(frame, tmp_path / f"{i}.parquet")
        assert parquet_bytes(frame) == (tmp_path / f"{i}.parquet").read_bytes()


def test_an_encoding_is_used_only_for_the_very_frame_the_result_holds() -> None:
    from concurrent.futures import Future

    from atlas.store import StagedSource
    from atlas.store.case import Encoded

    handed, other = pl.DataFrame({"a": [1]}), pl.DataFrame({"a": [1]})
    done: Future[Encoded] = Future()
    done.set_result(Encoded(b"encoded", "hash"))
    staged = StagedSource(source={}, events=handed, rejects=pl.DataFrame(), evidence=pl.DataFrame(),
                          extra={"cdr": other, "x": handed})
    assert ingest_module._encoded_tables(staged, {"extra/cdr": (handed, done), "extra/x": (handed, done),
                                                  "events": (handed, done)}) == {"extra/x": done.result(),
                                                                                 "events": done.result()}
    staged.events = other
    assert set(ingest_module._encoded_tables(staged, {"events": (handed, done)})) == set()
