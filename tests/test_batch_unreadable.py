"""``atlas batch`` with a file the operating system will not let Atlas read (permission denied)
in one case's folder: that case fails, naming the case, the file and the OS error; the other
cases still complete; the exit status is not 0. With the case's ``keep_going = true`` the
file is listed ``failed`` and the rest of that case is committed, and the exit status is
still 1, as ``atlas ingest --keep-going`` gives (before session 18 the batch said "done",
exit 0, for a case that had left evidence out).

Root in CI reads a ``chmod 000`` file, so the refusal is made in-process for one path, as in
``tests/test_unreadable_source.py``.
"""

from __future__ import annotations

import errno
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from atlas.store import Case
from tests.test_unreadable_source import _refuse_open

SAMPLE = "test_ddmmyy_24hrs.txt"


def _two_cases(root: Path, whatsapp_samples: Path, atlas: Callable[..., Any], *, keep_going: bool) -> tuple[Path, Path]:
    """Case ``locked`` (a folder with a readable chat and ``locked.txt``) and case ``fine`` (one chat)."""
    lines = ["[batch]", "as_of = 2026-11-22", ""]
    for name in ("locked", "fine"):
        assert atlas("init", root / name).code == 0
        folder = root / name / "download"
        folder.mkdir()
        shutil.copyfile(whatsapp_samples / SAMPLE, folder / "chat.txt")
        if name == "locked":
            shutil.copyfile(whatsapp_samples / "test_mmddyy_24hrs.txt", folder / "locked.txt")
        lines += ["[[case]]", f'dir = "{name}"', "reports = false", "conduct = false", "discover = false"]
        lines += ["keep_going = true"] if keep_going else []
        lines += ["", "[[case.source]]", f'path = "{name}/download"', ""]
    manifest = root / "batch.toml"
    manifest.write_text("\n".join(lines), encoding="utf-8")
    return manifest, root / "locked" / "download" / "locked.txt"


def _batch_with_a_locked_file(tmp_path: Path, whatsapp_samples: Path, monkeypatch: pytest.MonkeyPatch,
                              atlas: Callable[..., Any], *, keep_going: bool) -> tuple[Path, Path, dict[str, Any]]:
    """Two cases, one holding a file the OS will not let Atlas read, run as one batch (``--json``, exit 1):
    the manifest, the locked file and the cases reported, by folder name."""
    manifest, locked = _two_cases(tmp_path, whatsapp_samples, atlas, keep_going=keep_going)
    _refuse_open(monkeypatch, locked, errno.EACCES)
    run = atlas("batch", manifest, "--json")
    assert run.code == 1, (run.code, run.out, run.err)
    return manifest, locked, {Path(c["dir"]).name: c for c in json.loads(run.out)["cases"]}


def test_an_unreadable_file_fails_its_case_names_it_and_the_other_case_completes(
        tmp_path: Path, whatsapp_samples: Path, monkeypatch: pytest.MonkeyPatch, atlas: Callable[..., Any]) -> None:
    manifest, locked, cases = _batch_with_a_locked_file(tmp_path, whatsapp_samples, monkeypatch, atlas, keep_going=False)
    assert not cases["locked"]["ok"]
    assert cases["locked"]["error"] == (f"{locked}: cannot be read (Permission denied, EACCES): "
                                        "the file was not read, so its evidence is not in the case")
    assert Case.open(tmp_path / "locked").sources().height == 0  # nothing committed without it
    assert cases["fine"]["ok"] and cases["fine"]["sources"][0]["status"] == "ingested"
    assert Case.open(tmp_path / "fine").sources().get_column("name").to_list() == ["chat.txt"]
    table = atlas("batch", manifest)  # the table for people: the case, FAILED, the file and the OS error
    assert table.code == 1
    assert (f"  {tmp_path / 'locked'}: FAILED: {locked}: cannot be read (Permission denied, EACCES): the file was "
            "not read, so its evidence is not in the case") in table.out.splitlines()
    assert "1 case with a failure (listed above): exit status 1" in table.out


def test_with_keep_going_the_file_is_failed_the_rest_committed_and_the_exit_status_is_1(
        tmp_path: Path, whatsapp_samples: Path, monkeypatch: pytest.MonkeyPatch, atlas: Callable[..., Any]) -> None:
    manifest, locked, cases = _batch_with_a_locked_file(tmp_path, whatsapp_samples, monkeypatch, atlas, keep_going=True)
    by_name = {Path(s["path"]).name: s for s in cases["locked"]["sources"]}
    assert by_name["chat.txt"]["status"] == "ingested"
    assert by_name["locked.txt"]["status"] == "failed"
    assert "cannot be read (Permission denied, EACCES)" in by_name["locked.txt"]["message"]
    assert Case.open(tmp_path / "locked").sources().get_column("name").to_list() == ["chat.txt"]
    assert cases["fine"]["ok"]
    table = atlas("batch", manifest)
    assert table.code == 1
    assert f"  {tmp_path / 'locked'}: failed: {locked}: cannot be read (Permission denied, EACCES)" in table.out


def test_a_hidden_file_in_a_case_gives_exit_status_3_and_is_named_as_ingest_names_it(
        tmp_path: Path, whatsapp_samples: Path, atlas: Callable[..., Any]) -> None:
    manifest, locked = _two_cases(tmp_path, whatsapp_samples, atlas, keep_going=False)
    locked.rename(locked.with_name(".hidden.txt"))
    run = atlas("batch", manifest)
    assert run.code == 3, (run.code, run.out, run.err)
    assert f"{tmp_path / 'locked'}: not read, to look at: {locked.with_name('.hidden.txt')}: hidden file" in run.out
    assert "completed with entries not read and to look at (listed above): exit status 3" in run.out


def test_a_named_source_the_system_will_not_let_atlas_look_at_fails_its_case_only(
        tmp_path: Path, whatsapp_samples: Path, monkeypatch: pytest.MonkeyPatch, atlas: Callable[..., Any]) -> None:
    """A source folder named in the manifest that cannot even be looked at (stat: EACCES, e.g. a
    share whose permissions changed). Before session 18 the manifest check raised the bare
    PermissionError and the whole batch stopped, exit 2, no case run."""
    manifest, _locked = _two_cases(tmp_path, whatsapp_samples, atlas, keep_going=False)
    folder = tmp_path / "locked" / "download"
    real_stat = Path.stat

    def stat(self: Path, *a: Any, **k: Any) -> Any:
        if self == folder:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_stat(self, *a, **k)

    monkeypatch.setattr(Path, "stat", stat)
    run = atlas("batch", manifest, "--json")
    assert run.code == 1, (run.code, run.out, run.err)
    cases = {Path(c["dir"]).name: c for c in json.loads(run.out)["cases"]}
    assert not cases["locked"]["ok"]
    assert cases["locked"]["error"] == (f"{folder}: cannot be read (Permission denied, EACCES): the file or folder was "
                                        "not read, so its evidence is not in the case")
    assert cases["fine"]["ok"] and cases["fine"]["sources"][0]["status"] == "ingested"
