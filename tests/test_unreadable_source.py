"""A file in the download that cannot be read (permission denied, an I/O error) is evidence
not processed: a *failure* of that source, named with the operating system's error, never a
skip. Without ``--keep-going`` the ingest refuses and writes no store; with it the file is
listed ``failed`` (exit 1), like any other failure.

Before session 17 such a file was *skipped* (exit 3) and the rest of the folder committed:
the store was smaller and nothing said evidence had been left out.

The tests run as root in CI, where ``chmod 000`` does not stop a read, so the operating
system's refusal is made in-process: ``os.open``/``open`` (and, for an I/O error part way,
``os.readv``/``readinto``) are patched to raise the real ``OSError`` (EACCES, EIO) for one
path only. Every other file is read from disk as usual. A folder that cannot be listed is
made the same way, through ``os.scandir``.
"""

from __future__ import annotations

import builtins
import errno
import io
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from atlas.errors import AtlasError, NotASourceError
from atlas.ingest import IngestOptions, ingest
from atlas.store import Case

SAMPLE = "test_ddmmyy_24hrs.txt"


def _refuse_open(monkeypatch: pytest.MonkeyPatch, target: Path, code: int) -> None:
    """Every way Atlas opens a file raises ``OSError(code)`` for ``target`` (stat still works,
    as for a file the user may list but not read)."""
    want = os.fsencode(target)
    real_os_open, real_open, real_io_open = os.open, builtins.open, io.open

    def hit(path: object) -> bool:
        return isinstance(path, (str, bytes, os.PathLike)) and os.fsencode(path) == want

    def refuse() -> OSError:
        return OSError(code, os.strerror(code), str(target))

    def os_open(path: Any, *a: Any, **k: Any) -> int:
        if hit(path):
            raise refuse()
        return real_os_open(path, *a, **k)

    def any_open(real: Callable[..., Any]) -> Callable[..., Any]:
        def opened(path: Any, *a: Any, **k: Any) -> Any:
            if hit(path):
                raise refuse()
            return real(path, *a, **k)
        return opened

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", any_open(real_open))
    monkeypatch.setattr(io, "open", any_open(real_io_open))


def _folder(root: Path, whatsapp_samples: Path) -> Path:
    folder = root / "download"
    folder.mkdir()
    shutil.copyfile(whatsapp_samples / SAMPLE, folder / "chat.txt")
    shutil.copyfile(whatsapp_samples / "test_mmddyy_24hrs.txt", folder / "locked.txt")
    return folder


@pytest.mark.parametrize(("code", "words"), [(errno.EACCES, "Permission denied"), (errno.EIO, "Input/output error")])
def test_a_file_that_cannot_be_opened_fails_the_ingest_and_no_store_is_written(
        case: Case, tmp_path: Path, whatsapp_samples: Path, monkeypatch: pytest.MonkeyPatch,
        code: int, words: str) -> None:
    folder = _folder(tmp_path, whatsapp_samples)
    _refuse_open(monkeypatch, folder / "locked.txt", code)
    with pytest.raises(AtlasError) as exc:
        ingest(case, [folder], IngestOptions())
    assert not isinstance(exc.value, NotASourceError)
    text = str(exc.value)
    assert text.startswith(f"{folder / 'locked.txt'}: cannot be read ({words}, {errno.errorcode[code]})"), text
    assert Case.open(case.root).sources().height == 0  # the good file was not committed without it


def test_with_keep_going_it_is_failed_exit_1_named_with_the_os_error(
        case_dir: Path, tmp_path: Path, whatsapp_samples: Path, monkeypatch: pytest.MonkeyPatch,
        atlas: Callable[..., Any]) -> None:
    folder = _folder(tmp_path, whatsapp_samples)
    _refuse_open(monkeypatch, folder / "locked.txt", errno.EACCES)
    refused = atlas("ingest", case_dir, folder, "--json")
    assert refused.code == 2 and "locked.txt: cannot be read (Permission denied, EACCES)" in refused.err
    assert Case.open(case_dir).sources().height == 0
    run = atlas("ingest", case_dir, folder, "--json", "--keep-going")
    assert run.code == 1, (run.code, run.out, run.err)
    out = {Path(o["path"]).name: o for o in json.loads(run.out)}
    assert out["chat.txt"]["status"] == "ingested"
    assert out["locked.txt"]["status"] == "failed"
    assert out["locked.txt"]["message"] == (
        f"{folder / 'locked.txt'}: cannot be read (Permission denied, EACCES): "
        "the file was not read, so its evidence is not in the case")
    assert Case.open(case_dir).sources().get_column("name").to_list() == ["chat.txt"]


@pytest.mark.parametrize("route", ["read whole", "hashed before and after"])
def test_an_io_error_part_way_through_the_read_is_a_failure_not_a_traceback(
        case: Case, tmp_path: Path, whatsapp_samples: Path, seeds: dict[str, Path],
        monkeypatch: pytest.MonkeyPatch, route: str) -> None:
    """The file opens, then the device fails under the read (a damaged disk, a pulled USB stick).
    A CDR CSV is read once, whole (``os.readv``); a WhatsApp chat is hashed through a handle
    (``readinto``), before its parser reads it."""
    folder = _folder(tmp_path, whatsapp_samples)
    name = "calls.csv" if route == "read whole" else "locked.txt"
    if route == "read whole":
        shutil.copyfile(seeds["cdr"], folder / name)
    target = os.stat(folder / name)
    real_readv, real_fstat, real_fdopen = os.readv, os.fstat, os.fdopen
    fds: set[int] = set()

    def fstat(fd: int) -> os.stat_result:
        st = real_fstat(fd)
        if (st.st_dev, st.st_ino) == (target.st_dev, target.st_ino):
            fds.add(fd)
        return st

    def fails() -> OSError:
        return OSError(errno.EIO, os.strerror(errno.EIO))

    def readv(fd: int, buffers: Any) -> int:
        if fd in fds:
            raise fails()
        return real_readv(fd, buffers)

    class Failing(io.FileIO):
        def readinto(self, buffer: Any) -> int:
            if real_fstat(self.fileno())[1:3] == (target.st_ino, target.st_dev):
                raise fails()
            return super().readinto(buffer)

    def fdopen(fd: int, *a: Any, **k: Any) -> Any:
        if real_fstat(fd)[1:3] == (target.st_ino, target.st_dev) and a[:1] == ("rb",):
            return Failing(fd, "rb")
        return real_fdopen(fd, *a, **k)

    monkeypatch.setattr(os, "fstat", fstat)
    monkeypatch.setattr(os, "readv", readv)
    monkeypatch.setattr(os, "fdopen", fdopen)
    with pytest.raises(AtlasError, match=rf"{name}: cannot be read \(Input/output error, EIO\)") as exc:
        ingest(case, [folder], IngestOptions())
    assert not isinstance(exc.value, NotASourceError)
    assert Case.open(case.root).sources().height == 0
    outcomes = {Path(o.path).name: o for o in ingest(case, [folder], IngestOptions(keep_going=True))}
    assert outcomes[name].status == "failed" and "Input/output error" in outcomes[name].message
    assert outcomes["chat.txt"].status == "ingested"


def test_a_folder_in_the_download_that_cannot_be_listed_fails(
        case: Case, tmp_path: Path, whatsapp_samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its files are unknown, so none of them is in the case: a failure naming the folder."""
    folder = _folder(tmp_path, whatsapp_samples)
    (folder / "sub").mkdir()
    shutil.copyfile(whatsapp_samples / SAMPLE, folder / "sub" / "inner.txt")
    real_scandir = os.scandir
    blocked = os.fsencode(folder / "sub")

    def scandir(path: Any = ".") -> Any:
        if not isinstance(path, int) and os.fsencode(path) == blocked:
            raise OSError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(AtlasError, match=r"sub: folder cannot be listed \(Permission denied, EACCES\)"):
        ingest(case, [folder], IngestOptions())
    assert Case.open(case.root).sources().height == 0
    outcomes = {Path(o.path).name: o for o in ingest(case, [folder], IngestOptions(keep_going=True))}
    assert outcomes["sub"].status == "failed", outcomes["sub"]
    assert {outcomes["chat.txt"].status, outcomes["locked.txt"].status} == {"ingested"}


def test_the_failure_keeps_its_type_and_words_across_a_batch_workers_process_boundary() -> None:
    import pickle

    from atlas.errors import SourceReadError

    err = SourceReadError("/e/calls.csv", "cannot be read (Permission denied, EACCES)")
    back = pickle.loads(pickle.dumps(err))
    assert isinstance(back, SourceReadError) and not isinstance(back, NotASourceError)
    assert (str(back), back.why) == (str(err), err.why)
    assert str(back) == ("/e/calls.csv: cannot be read (Permission denied, EACCES): the file was not read, so its "
                         "evidence is not in the case")
