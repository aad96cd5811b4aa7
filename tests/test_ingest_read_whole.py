"""A source whose parser reads whole files (``reads_whole``; the CDR CSV route) is read once
through the read-only handle: those bytes are hashed (the recorded SHA-256) and parsed, and
the file's identity (device, inode, size, modification and change times) is checked unchanged
after the parse instead of a second hash (:func:`atlas.ingest.read_whole`). The other route
(hashed before and after) stays for other parsers, larger files and files changed in the last
seconds. Both refuse a file changed while it was being read, with nothing stored, and give
byte-identical stores."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from atlas import ingest as ingest_module
from atlas.errors import StoreError
from atlas.ingest import IngestOptions, ingest
from atlas.store import Case, hashing
from atlas.store.case import init_case
from atlas.store.hashing import HASH_BASIS_BYTES, HASH_BASIS_FILE, read_exactly, read_hashed, sha256_bytes
from atlas.store.manifest import TEMPLATE
from bench.bench_cdr import write_cdr
from parsers import _tabular, cdr
from parsers._bounds import TABLE_LINE_BYTES
from parsers.base import ParseContext
from tests._fast_plain import load_test_module

ROW = "07700900123,07700900002,01/01/2026 00:00:00,5,Voice,MO,1000,20000,1000,20000,1,2,N\n"
DAY_NS = 86_400 * 10**9


def _aged(path: Path) -> Path:
    """The file's modification time set a day back (as a return received earlier would have it),
    so a write during the ingest changes it whatever the clock's tick."""
    old = path.stat().st_mtime_ns - DAY_NS
    os.utime(path, ns=(old, old))
    return path


def _cdr(tmp_path: Path, n: int = 500, seed: int = 11, name: str = "return.csv") -> Path:
    path = tmp_path / name
    write_cdr(path, n=n, seed=seed)
    return _aged(path)


@pytest.fixture
def no_recent_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files just written are read whole too (the route otherwise waits until a file's times
    are :data:`atlas.ingest.RECENT_S` seconds old)."""
    monkeypatch.setattr(ingest_module, "RECENT_S", 0.0)


def _audit_ingest(case_dir: Path) -> dict[str, object]:
    [row] = [e["detail"] for e in Case.open(case_dir).audit_log() if e["action"] == "ingest"]
    assert isinstance(row, dict)
    return row



def _refused_with_nothing_stored(case_dir: Path, path: Path, match: str) -> None:
    """The ingest of ``path`` refuses with ``match`` ("the file changed while it was being read ...")
    and the store holds no source."""
    with pytest.raises(StoreError, match=match):
        ingest(Case.open(case_dir), [path], IngestOptions())
    assert Case.open(case_dir).sources().height == 0

@pytest.mark.usefixtures("no_recent_wait")
def test_a_cdr_csv_is_hashed_as_the_bytes_parsed_and_the_basis_is_recorded(case_dir: Path, tmp_path: Path) -> None:
    path = _cdr(tmp_path)
    [outcome] = ingest(Case.open(case_dir), [path], IngestOptions())
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert (outcome.status, outcome.sha256, outcome.sha256_after, outcome.hash_basis) == (
        "ingested", sha, "", HASH_BASIS_BYTES)
    audit = _audit_ingest(case_dir)
    assert audit["sha256"] == sha and "sha256_after" not in audit and audit["hash_basis"] == HASH_BASIS_BYTES
    assert Case.open(case_dir).sources().get_column("sha256").to_list() == [sha]


def _logged_hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    log: list[str] = []
    hash_file = ingest_module.sha256_file

    def logged(path: Path) -> str:
        log.append(path.name)
        return hash_file(path)

    monkeypatch.setattr(ingest_module, "sha256_file", logged)
    return log


def test_a_file_changed_in_the_last_seconds_is_read_whole_and_also_hashed_again_after(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _logged_hashes(monkeypatch)
    path = tmp_path / "return.csv"
    write_cdr(path, n=200)  # just written: its change time is now
    [outcome] = ingest(Case.open(case_dir), [path], IngestOptions())
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert (outcome.sha256, outcome.sha256_after, outcome.hash_basis) == (sha, "", HASH_BASIS_BYTES)
    assert log == ["return.csv"]  # the extra hash of the file (the recorded basis is the same)
    assert _audit_ingest(case_dir)["hash_basis"] == HASH_BASIS_BYTES


def test_a_file_old_enough_is_not_hashed_again(case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_module, "RECENT_S", 0.0)
    log = _logged_hashes(monkeypatch)
    ingest(Case.open(case_dir), [_cdr(tmp_path)], IngestOptions())
    assert log == []


def test_a_recent_file_changed_where_its_times_do_not_show_it_is_refused_by_the_extra_hash(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "return.csv"
    write_cdr(path, n=300)
    size = path.stat().st_size
    monkeypatch.setattr(ingest_module, "_check_identity", lambda path, before: None)  # times within one tick

    def overwrite() -> None:
        with path.open("r+b") as fh:
            fh.seek(size - 40)
            byte = fh.read(1)
            fh.seek(size - 40)
            fh.write(b"9" if byte != b"9" else b"8")

    _changed_during_the_parse(monkeypatch, overwrite)
    _refused_with_nothing_stored(case_dir, path, r"the file changed while it was being read \(SHA-256 of the bytes read")


@pytest.mark.usefixtures("no_recent_wait")
def test_above_the_size_limit_and_for_other_parsers_the_file_is_hashed_before_and_after(
        tmp_path: Path, whatsapp_samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _cdr(tmp_path)
    monkeypatch.setattr(ingest_module, "WHOLE_READ_MAX", path.stat().st_size - 1)
    root = tmp_path / "big"
    init_case(root, TEMPLATE)
    [outcome] = ingest(Case.open(root), [path], IngestOptions())
    assert outcome.hash_basis == HASH_BASIS_FILE and outcome.sha256_after == outcome.sha256
    monkeypatch.setattr(ingest_module, "WHOLE_READ_MAX", 2 << 30)
    chat = whatsapp_samples / "test_ddmmyy_24hrs.txt"
    root = tmp_path / "chat"
    init_case(root, TEMPLATE)
    [outcome] = ingest(Case.open(root), [chat], IngestOptions(owner="suspect"))
    assert outcome.status == "ingested" and outcome.hash_basis == HASH_BASIS_FILE


def _changed_during_the_parse(monkeypatch: pytest.MonkeyPatch, change: object) -> None:
    """``change()`` runs once the parser has read its table (it works in memory from then on)."""
    read_csv = _tabular.read_csv

    def read_then_change(*args: object, **kwargs: object) -> pl.DataFrame:
        assert kwargs.get("data") is not None  # the parse reads the bytes handed over, not the file
        frame = read_csv(*args, **kwargs)  # type: ignore[arg-type]
        change()  # type: ignore[operator]
        return frame

    monkeypatch.setattr(_tabular, "read_csv", read_then_change)


@pytest.mark.usefixtures("no_recent_wait")
def test_content_changed_in_place_keeping_its_size_is_refused_and_nothing_is_stored(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _cdr(tmp_path)
    size = path.stat().st_size

    def overwrite() -> None:
        with path.open("r+b") as fh:  # one digit of the last row, the size unchanged
            fh.seek(size - 40)
            byte = fh.read(1)
            fh.seek(size - 40)
            fh.write(b"9" if byte != b"9" else b"8")

    _changed_during_the_parse(monkeypatch, overwrite)
    with pytest.raises(StoreError, match=r"the file changed while it was being read .*mtime_ns"):
        ingest(Case.open(case_dir), [path], IngestOptions())
    assert path.stat().st_size == size
    assert Case.open(case_dir).sources().height == 0
    assert not [e for e in Case.open(case_dir).audit_log() if e["action"] == "ingest"]


@pytest.mark.usefixtures("no_recent_wait")
def test_a_file_replaced_by_a_rename_even_with_the_same_bytes_is_refused(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _cdr(tmp_path)
    twin = tmp_path / "twin.csv"
    twin.write_bytes(path.read_bytes())
    st = path.stat()
    os.utime(twin, ns=(st.st_atime_ns, st.st_mtime_ns))  # same bytes, same size, same modification time

    _changed_during_the_parse(monkeypatch, lambda: os.replace(twin, path))
    _refused_with_nothing_stored(case_dir, path, r"the file changed while it was being read .*ino")


@pytest.mark.usefixtures("no_recent_wait")
def test_a_file_appended_to_is_refused(case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _cdr(tmp_path)

    def append() -> None:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(ROW)

    _changed_during_the_parse(monkeypatch, append)
    _refused_with_nothing_stored(case_dir, path, r"the file changed while it was being read .*size")


@pytest.mark.usefixtures("no_recent_wait")
def test_a_file_that_shrinks_or_grows_during_the_read_is_refused(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _cdr(tmp_path)
    original = ingest_module.read_hashed

    def read_after_a_cut(fd: int, size: int) -> tuple[bytes, str] | None:
        with path.open("r+b") as fh:  # cut between opening (fstat) and the read
            fh.truncate(size - 10)
        return original(fd, size)

    monkeypatch.setattr(ingest_module, "read_hashed", read_after_a_cut)
    _refused_with_nothing_stored(case_dir, path, "the file changed while it was being read")


def test_the_read_gives_exactly_the_files_bytes_or_none(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    for content in (b"x", os.urandom(5000), os.urandom(3 << 20) + b"\n"):
        path.write_bytes(content)
        for claimed in (len(content), len(content) - 1, len(content) + 1):
            fd = os.open(path, os.O_RDONLY)
            try:
                got = read_exactly(fd, claimed)
            finally:
                os.close(fd)
            assert (got == content) if claimed == len(content) else got is None
            if got is not None:
                assert hashlib.sha256(got).hexdigest() == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("piece", [1 << 20, 4096, 7])
def test_the_read_hashed_side_by_side_equals_the_plain_read_then_hash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int) -> None:
    """:func:`read_hashed` (the ingest's read: pieces hashed on a second thread while the next is
    read) gives what the plain rule gives, :func:`read_exactly` then :func:`sha256_bytes`: the
    same bytes (a real ``bytes``) and hash, or None for the same files; in pieces of every size."""
    monkeypatch.setattr(hashing, "READ_PIECE", piece)
    path = tmp_path / "f.bin"
    # many pieces and a ragged last one at every piece size (3 MiB in 7-byte pieces took 32 s of make test)
    big = os.urandom(3 << 20) + b"\n" if piece >= 4096 else os.urandom(piece * 997 + 3)
    for content in (b"x", b"ab\n", os.urandom(5000), big):
        path.write_bytes(content)
        for claimed in (len(content), len(content) - 1, len(content) + 1):
            answers = []
            for read in (_plain_read_hash, read_hashed):
                fd = os.open(path, os.O_RDONLY)
                try:
                    answers.append(read(fd, claimed))
                finally:
                    os.close(fd)
            plain, piped = answers
            assert piped == plain
            assert (plain is not None) == (claimed == len(content))
            if piped is not None:
                assert type(piped[0]) is bytes and piped == (content, hashlib.sha256(content).hexdigest())


def test_the_read_hashed_holds_the_file_once(tmp_path: Path) -> None:
    """The bytes handed over are the buffer read into, not a copy of it (every view of it
    released first): at most one file's size is allocated at a time."""
    import tracemalloc

    path = tmp_path / "f.bin"
    content = os.urandom(16 << 20)
    path.write_bytes(content)
    fd = os.open(path, os.O_RDONLY)
    try:
        tracemalloc.start()
        got = read_hashed(fd, len(content))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        os.close(fd)
    assert got is not None and got[0] == content
    assert len(content) <= peak < 1.25 * len(content)


def _plain_read_hash(fd: int, size: int) -> tuple[bytes, str] | None:
    data = read_exactly(fd, size)
    return None if data is None else (data, sha256_bytes(data))


def test_the_read_hashed_takes_short_reads_in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reads that return less than asked (a pipe written in small pieces) are read on from where
    they stopped, hashed in order; a source that ends early or runs on is None."""
    monkeypatch.setattr(hashing, "READ_PIECE", 1 << 16)
    content = os.urandom(300_001)
    for claimed in (len(content), len(content) + 1, len(content) - 1):
        r, w = os.pipe()

        def write(w: int = w) -> None:
            with os.fdopen(w, "wb", buffering=0) as fh:
                for at in range(0, len(content), 10_007):
                    fh.write(content[at:at + 10_007])

        writer = threading.Thread(target=write)
        writer.start()
        try:
            got = read_hashed(r, claimed)
        finally:
            writer.join()
            os.close(r)
        assert got == ((content, hashlib.sha256(content).hexdigest()) if claimed == len(content) else None)


def _stores(root: Path) -> dict[str, bytes]:
    store = root / "store"
    return {str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*.parquet"))}


def _both_routes(tmp_path: Path, path: Path, monkeypatch: pytest.MonkeyPatch, tag: str,
                 opts: IngestOptions | None = None) -> None:
    """The stores of one file ingested read whole and hashed before and after: byte-identical
    Parquet (the same path in both, so the path columns too)."""
    roots = {}
    for route, limit in (("whole", 2 << 30), ("twice", 0)):
        monkeypatch.setattr(ingest_module, "WHOLE_READ_MAX", limit)
        roots[route] = tmp_path / f"{tag}-{route}"
        init_case(roots[route], TEMPLATE)
        [outcome] = ingest(Case.open(roots[route]), [path], opts or IngestOptions())
        assert outcome.status == "ingested", outcome.message
        assert outcome.hash_basis == (HASH_BASIS_BYTES if route == "whole" else HASH_BASIS_FILE)
        assert outcome.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    whole, twice = _stores(roots["whole"]), _stores(roots["twice"])
    assert set(whole) == set(twice) and any(k.startswith("events/") for k in whole)
    for name in whole:
        assert whole[name] == twice[name], name


@pytest.mark.usefixtures("no_recent_wait")
@pytest.mark.parametrize("seed", [11, 29, 31337])
def test_generated_returns_give_byte_identical_stores_by_both_routes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    path = _cdr(tmp_path, n=3000, seed=seed)
    _both_routes(tmp_path, path, monkeypatch, f"s{seed}")


FAST = load_test_module("test_cdr_fast")


@pytest.mark.usefixtures("no_recent_wait")
@pytest.mark.parametrize("shape", ["bom-crlf", "cp1252", "utf-16", "no-cover", "odd-rows", "cr-only", "long-line"])
def test_odd_encodings_and_line_endings_give_byte_identical_stores_by_both_routes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str) -> None:
    path = tmp_path / f"{shape}.csv"
    kwargs: dict[str, Any] = {
        "bom-crlf": {"bom": True, "crlf": True}, "cp1252": {"encoding": "cp1252"}, "utf-16": {"encoding": "utf-16"},
        "no-cover": {"cover": False}, "odd-rows": {"extra_rows": ("Total,,,,,,,,,,,,", "end of return")},
        "cr-only": {}, "long-line": {"extra_rows": ("07700900123," + "9" * (TABLE_LINE_BYTES + 10), "after it")},
    }[shape]  # type: ignore[assignment]
    FAST._odd_return(path, **kwargs)
    if shape == "cr-only":
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r"))
    _aged(path)
    _both_routes(tmp_path, path, monkeypatch, shape)


@pytest.mark.usefixtures("no_recent_wait")
def test_the_generators_cdr_returns_give_byte_identical_stores_by_both_routes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fixtures.generate import generate

    out = tmp_path / "gen"
    truth: dict[str, Any] = generate("rejected-ex", 2, 0.2, out)
    mine = [out / s["path"] for s in truth["sources"] if s["parser"] == "cdr" and s["path"].endswith(".csv")]
    assert mine  # (its workbooks are read by calamine from the file, hashed before and after)
    for i, path in enumerate(mine):
        _aged(path)
        _both_routes(tmp_path, path, monkeypatch, f"g{i}", IngestOptions(format="cdr"))


def test_the_cdr_parser_given_the_bytes_never_opens_the_file(tmp_path: Path) -> None:
    path = _cdr(tmp_path)
    data = path.read_bytes()
    from_file = cdr.parse(path, ParseContext(source_id="t", path=path, convert_identifiers=True))
    gone = tmp_path / "not-there.csv"
    from_bytes = cdr.parse(gone, ParseContext(source_id="t", path=gone, convert_identifiers=True, data=data))
    assert from_bytes.events.equals(from_file.events) and from_bytes.records_read == from_file.records_read
    assert from_bytes.extra["cdr"].equals(from_file.extra["cdr"])


def _exhibit(ref: str, basis: str) -> Any:
    from reports.exhibits import Exhibit

    return Exhibit(key=f"source:{ref}", reference=ref, number=int(ref.split("/")[1]), kind="source", description="d",
                   filename="f", sha256="0" * 64, hash_basis=basis)


@pytest.mark.usefixtures("no_recent_wait")
def test_the_statement_annex_and_case_export_say_how_each_source_was_hashed(
        case_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from atlas.export.case_uco import _hashing
    from reports.annex import _hashing as annex_hashing
    from reports.exhibits import hash_bases
    from reports.statement import hashing_said

    path = _cdr(tmp_path)
    fresh = tmp_path / "larger.csv"
    write_cdr(fresh, n=1000, seed=5)  # above the size limit set below: hashed before and after
    monkeypatch.setattr(ingest_module, "WHOLE_READ_MAX", path.stat().st_size)
    ingest(Case.open(case_dir), [path, fresh], IngestOptions())
    audit = Case.open(case_dir).audit_log()
    bases = hash_bases(audit)
    assert bases == {hashlib.sha256(path.read_bytes()).hexdigest(): HASH_BASIS_BYTES,
                     hashlib.sha256(fresh.read_bytes()).hexdigest(): HASH_BASIS_FILE}
    assert hash_bases([{"action": "ingest", "detail": {"sha256": "ab", "sha256_after": "ab"}}]) == {"ab": HASH_BASIS_FILE}

    twice, once = _exhibit("JA/1", HASH_BASIS_FILE), _exhibit("JA/2", HASH_BASIS_BYTES)
    old = ("I computed that value before and after I examined each file; the values were the same each time, so my "
           "examination did not change any file.")
    assert hashing_said([twice]) == old  # a case hashed before and after reads as it always did
    mixed = hashing_said([twice, once])
    assert "For JA/1 I computed that value before and after" in mixed
    assert "For JA/2 I read the file once, computed that value from the bytes read and examined those same bytes" in mixed
    assert "before and after" not in hashing_said([once])
    # the smaller group is named, the larger is "every other exhibit"; every exhibit is covered once
    many = [_exhibit(f"JA/{n}", HASH_BASIS_FILE) for n in (1, 3, 4)] + [once]
    said = hashing_said(many)
    assert said.startswith("For JA/2 I read the file once") and "For every other exhibit I computed that value before" in said
    said = hashing_said([twice] + [_exhibit(f"JA/{n}", HASH_BASIS_BYTES) for n in (2, 3)])
    assert said.startswith("For JA/1 I computed that value before") and "For every other exhibit I read the file once" in said
    assert annex_hashing([twice]).endswith("hashed it (SHA-256) before and after reading.")
    assert "JA/2 was read once through a read-only handle" in annex_hashing([twice, once])
    assert "before and after" not in annex_hashing([once])

    by_basis: dict[str, Any] = {str(e["detail"]["hash_basis"]): e["detail"]  # type: ignore[index]
                                for e in audit if e["action"] == "ingest"}
    assert "of the bytes read once" in _hashing(by_basis[HASH_BASIS_BYTES]) and "after" in _hashing(by_basis[HASH_BASIS_FILE])
    assert "before" not in _hashing(by_basis[HASH_BASIS_BYTES])
    assert _hashing(by_basis[HASH_BASIS_FILE]).startswith("SHA-256 before ")


@pytest.mark.usefixtures("no_recent_wait")
def test_detection_runs_once_a_file_and_before_the_hash_only_for_a_file_a_whole_reader_takes(
        tmp_path: Path, whatsapp_samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import parsers

    log: list[str] = []
    detect, hash_file = parsers.detect, ingest_module.sha256_file

    def logged_detect(path: Path) -> object:
        log.append(f"detect {path.suffix}")
        return detect(path)

    def logged_hash(path: Path) -> str:
        log.append(f"hash {path.suffix}")
        return hash_file(path)

    monkeypatch.setattr(parsers, "detect", logged_detect)
    monkeypatch.setattr(ingest_module, "sha256_file", logged_hash)
    chat = tmp_path / "chat.txt"
    chat.write_bytes((whatsapp_samples / "test_ddmmyy_24hrs.txt").read_bytes())
    _aged(chat)
    for path, opts in ((_cdr(tmp_path), IngestOptions()), (chat, IngestOptions(owner="suspect"))):
        root = tmp_path / f"case-{path.stem}"
        init_case(root, TEMPLATE)
        ingest(Case.open(root), [path], opts)
    # the CDR CSV: detected, then read once (no hash of the file); the chat: hashed, detected, hashed again
    assert log == ["detect .csv", "hash .txt", "detect .txt", "hash .txt"]
