"""Folder walks and odd paths: FIFOs never opened, non-UTF-8 names kept, symbolic links
listed (loops broken, dangling ones named), ``#``/``?``/``%`` in paths; every file that is
not read is listed and the exit status says so."""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from atlas.source_walk import shown, walk
from atlas.store import Case

SAMPLE = "test_ddmmyy_24hrs.txt"


def _outcomes(run: Any) -> dict[str, dict[str, Any]]:
    return {Path(o["path"]).name: o for o in json.loads(run.out)}


@pytest.mark.timeout(30)
def test_a_fifo_named_explicitly_is_refused_without_opening(case_dir: Path, tmp_path: Path, atlas: Callable[..., Any]) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    run = atlas("ingest", case_dir, fifo)  # reading it would block this test forever
    assert run.code == 2
    assert run.err == f"atlas: error: {fifo}: a FIFO (named pipe), not a regular file: refused without opening\n"


@pytest.mark.timeout(30)
def test_special_files_in_a_folder_are_listed_not_opened_and_the_rest_is_read(
    case_dir: Path, tmp_path: Path, whatsapp_samples: Path, atlas: Callable[..., Any]
) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    shutil.copyfile(whatsapp_samples / SAMPLE, folder / "chat.txt")
    os.mkfifo(folder / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(folder / "sock"))
        run = atlas("ingest", case_dir, folder, "--json")
    finally:
        sock.close()
    assert run.code == 3
    out = _outcomes(run)
    assert out["chat.txt"]["status"] == "ingested"
    assert (out["pipe"]["status"], out["pipe"]["message"]) == ("skipped", "a FIFO (named pipe): not opened")
    assert (out["sock"]["status"], out["sock"]["message"]) == ("skipped", "a socket: not opened")
    device = walk([Path("/dev/null")])
    assert [e.explicit for e in device] == [True]
    assert atlas("ingest", case_dir, "/dev/null").err.endswith("a character device, not a regular file: refused without opening\n")


def test_a_non_utf8_file_name_is_read_kept_as_bytes_and_shown_escaped(
    case_dir: Path, tmp_path: Path, whatsapp_samples: Path, atlas: Callable[..., Any]
) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    raw = os.path.join(os.fsencode(folder), b"chat-\xff\xfe.txt")
    shutil.copyfile(whatsapp_samples / SAMPLE, raw)
    shutil.copyfile(whatsapp_samples / "test_mmddyy_24hrs.txt", folder / "other.txt")
    run = atlas("ingest", case_dir, folder, "--json")
    assert run.code == 0, run.err
    out = _outcomes(run)
    assert out["chat-\\xff\\xfe.txt"]["status"] == "ingested" and out["other.txt"]["status"] == "ingested"
    names = sorted(Case.open(case_dir).sources().get_column("name").to_list())
    assert names == ["chat-\\xff\\xfe.txt", "other.txt"]
    stored = Case.open(case_dir).sources().sort("name").get_column("path_bytes").to_list()[0]
    assert stored == raw  # the bytes, so the file can be opened and re-hashed
    verify = atlas("verify", case_dir)
    assert verify.code == 0, verify.out
    printed = atlas("sources", case_dir, "--json")
    assert printed.code == 0 and "chat-\\\\xff\\\\xfe.txt" in printed.out  # JSON escapes the backslash
    assert shown(os.fsdecode(raw)).endswith("chat-\\xff\\xfe.txt")


def test_symbolic_links_in_a_walk_are_listed_with_loops_and_dangling_ones_named(
    case_dir: Path, tmp_path: Path, whatsapp_samples: Path, atlas: Callable[..., Any]
) -> None:
    folder = tmp_path / "ev"
    (folder / "sub").mkdir(parents=True)
    shutil.copyfile(whatsapp_samples / SAMPLE, folder / "sub" / "chat.txt")
    (folder / "sub" / "up").symlink_to("..")  # a loop if followed
    (folder / "gone").symlink_to("nowhere.txt")
    (folder / "a").symlink_to("b")
    (folder / "b").symlink_to("a")
    (folder / "chat-link.txt").symlink_to(folder / "sub" / "chat.txt")
    run = atlas("ingest", case_dir, folder, "--json")
    assert run.code == 3
    out = _outcomes(run)
    assert out["chat.txt"]["status"] == "ingested"
    assert out["up"]["message"] == "symbolic link to a folder ..: not followed in a folder walk (name it to read it)"
    assert out["gone"]["message"] == "dangling symbolic link to nowhere.txt (the target does not exist): not followed"
    assert out["a"]["message"] == "symbolic link to b that loops: not followed"
    assert out["chat-link.txt"]["message"].startswith("symbolic link to a file ")
    assert {o["status"] for n, o in out.items() if n != "chat.txt"} == {"skipped"}
    # named explicitly, a link is read as named; a dangling one is a clear error
    assert atlas("ingest", case_dir, folder / "chat-link.txt", "--json").code == 0
    assert atlas("ingest", case_dir, folder / "gone").err == (
        f"atlas: error: {folder / 'gone'}: dangling symbolic link to nowhere.txt (the target does not exist): not followed\n")


def test_paths_with_hash_question_mark_and_percent_are_read_end_to_end(
    case_dir: Path, tmp_path: Path, whatsapp_samples: Path, samples: Path, atlas: Callable[..., Any]
) -> None:
    folder = tmp_path / "exhibit #1 ?x %20 done"
    folder.mkdir()
    shutil.copyfile(whatsapp_samples / SAMPLE, folder / "chat #2 %41?.txt")
    shutil.copyfile(samples / "plaso" / "mmssms.db", folder / "mmssms #3.db")
    run = atlas("ingest", case_dir, folder, "--json")
    out = _outcomes(run)
    assert out["chat #2 %41?.txt"]["status"] == "ingested"
    assert set(out) == {"chat #2 %41?.txt", "mmssms #3.db"}  # nothing left out of the list
    # the exit status is 0 only if every file was read; a skipped or failed one is never silent
    assert (run.code == 0) == all(o["status"] == "ingested" for o in out.values()), (run.code, out)
    assert atlas("verify", case_dir).code == 0
    assert atlas("timeline", case_dir, "--out", folder / "t #.csv").code == 0
