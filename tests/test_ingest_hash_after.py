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


def test_an_extra_table_encoded_beside_the_parse_is_the_bytes_the_commit_would_write(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``cdr`` table the parser hands over early (``ctx.table_ready``) is encoded on the
    ingest's second worker and the commit writes those bytes: the bytes ``_write_parquet``
    writes for the frame the result holds."""
    from atlas.store import case as case_module

    path = _cdr(tmp_path)
    staged_seen: list[dict[str, bytes]] = []
    finish = ingest_module._encoded_tables

    def seen(*args: object) -> dict[str, bytes]:
        out = finish(*args)  # type: ignore[arg-type]
        staged_seen.append(out)
        return out

    monkeypatch.setattr(ingest_module, "_encoded_tables", seen)
    [outcome] = ingest(Case.open(case_dir), [path], IngestOptions())
    assert outcome.status == "ingested" and set(staged_seen[0]) == {"cdr"}
    stored = case_dir / "store" / "extra" / "cdr" / f"{outcome.source_id}.parquet"
    again = tmp_path / "again.parquet"
    case_module._write_parquet(pl.read_parquet(stored), again)
    assert stored.read_bytes() == again.read_bytes() == staged_seen[0]["cdr"]


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

    from parsers.base import ParseResult

    handed, other = pl.DataFrame({"a": [1]}), pl.DataFrame({"a": [1]})
    done: Future[bytes] = Future()
    done.set_result(b"encoded")
    result = ParseResult(events=pl.DataFrame(), rejects=pl.DataFrame(), records_read=0, extra={"cdr": other, "x": handed})
    assert ingest_module._encoded_tables(result, {"cdr": (handed, done), "x": (handed, done)}) == {"x": b"encoded"}
