"""Folder walks and odd paths: FIFOs never opened, non-UTF-8 names kept, symbolic links
listed (loops broken, dangling ones named), ``#``/``?``/``%`` in paths; every file that is
not read is listed and the exit status says so."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
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
    """No link is followed. One whose target the walk reads anyway (inside the folder) is
    listed as not read twice and does not change the exit status; a loop, a dangling link
    and a link leading out of the folder are listed for a person to look at (exit 3)."""
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
    assert out["up"]["message"] == ("symbolic link to a folder inside the folder walked (..), which is walked as "
                                    "itself: not followed, so not read twice")
    assert out["gone"]["message"] == "dangling symbolic link to nowhere.txt (the target does not exist): not followed"
    assert out["a"]["message"] == "symbolic link to b that loops: not followed"
    assert out["chat-link.txt"]["message"] == (
        f"symbolic link to a file inside the folder walked ({folder / 'sub' / 'chat.txt'}), which is read as "
        "itself: not followed, so not read twice")
    assert {o["status"] for n, o in out.items() if n != "chat.txt"} == {"skipped"}
    assert {n for n, o in out.items() if o["status"] == "skipped" and o["notable"]} == {"gone", "a", "b"}
    assert Case.open(case_dir).sources().height == 1  # the chat once, not twice
    # named explicitly, a link is read as named; a dangling one is a clear error
    assert atlas("ingest", case_dir, folder / "chat-link.txt", "--json").code == 0
    assert atlas("ingest", case_dir, folder / "gone").err == (
        f"atlas: error: {folder / 'gone'}: dangling symbolic link to nowhere.txt (the target does not exist): not followed\n")


def test_only_links_inside_the_folder_leave_the_exit_status_clean(
    case_dir: Path, tmp_path: Path, whatsapp_samples: Path, atlas: Callable[..., Any]
) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    shutil.copyfile(whatsapp_samples / SAMPLE, folder / "chat.txt")
    (folder / "again.txt").symlink_to("chat.txt")
    run = atlas("ingest", case_dir, folder, "--json")
    assert run.code == 0, run.out
    assert _outcomes(run)["again.txt"]["notable"] is False


def test_a_link_leading_out_of_the_folder_is_never_followed_and_says_where_it_leads(
    case_dir: Path, tmp_path: Path, whatsapp_samples: Path, atlas: Callable[..., Any]
) -> None:
    """A file outside the evidence folder handed over is not evidence in it: not read
    silently, and listed (exit 3) with the path it leads to."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copyfile(whatsapp_samples / SAMPLE, outside / "other.txt")
    folder = tmp_path / "ev"
    folder.mkdir()
    shutil.copyfile(whatsapp_samples / "test_mmddyy_24hrs.txt", folder / "chat.txt")
    (folder / "out.txt").symlink_to("../elsewhere/other.txt")
    (folder / "outdir").symlink_to(outside)
    run = atlas("ingest", case_dir, folder, "--json")
    assert run.code == 3, run.out
    out = _outcomes(run)
    assert set(out) == {"chat.txt", "out.txt", "outdir"}
    assert out["out.txt"]["message"] == (
        f"symbolic link to a file outside the folder walked (../elsewhere/other.txt, which is {outside / 'other.txt'}): "
        "not followed, as its target is not in the folder handed over (name the target to read it)")
    assert out["outdir"]["message"].startswith(f"symbolic link to a folder outside the folder walked ({outside}, ")
    assert (out["out.txt"]["notable"], out["outdir"]["notable"]) == (True, True)
    assert Case.open(case_dir).sources().get_column("name").to_list() == ["chat.txt"]


def test_system_files_are_listed_quietly_and_other_hidden_files_for_a_person_to_look_at(
    case_dir: Path, tmp_path: Path, whatsapp_samples: Path, atlas: Callable[..., Any]
) -> None:
    """A download zipped on a Mac or copied from Windows carries .DS_Store, ._ files in
    __MACOSX/, Thumbs.db: listed as an operating system's files, exit 0. A hidden file that
    is not one of them may be evidence: listed for a person to look at (exit 3)."""
    folder = tmp_path / "download"
    (folder / "__MACOSX" / "chats").mkdir(parents=True)
    (folder / "chats").mkdir()
    shutil.copyfile(whatsapp_samples / SAMPLE, folder / "chats" / "chat.txt")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(64))
    (folder / "chats" / "Thumbs.db").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504))
    (folder / "__MACOSX" / "chats" / "._chat.txt").write_bytes(b"\x00\x05\x16\x07" + bytes(60))
    run = atlas("ingest", case_dir, folder, "--json")
    assert run.code == 0, run.out
    out = {Path(o["path"]).relative_to(folder).as_posix(): o for o in json.loads(run.out)}
    assert set(out) == {".DS_Store", "chats/chat.txt", "chats/Thumbs.db", "__MACOSX/chats/._chat.txt"}
    assert out["chats/chat.txt"]["status"] == "ingested"
    assert out["chats/Thumbs.db"]["message"] == (
        "Windows thumbnail cache (Thumbs.db; Atlas reads no images), an operating system's file: not read")
    assert out["__MACOSX/chats/._chat.txt"]["message"] == (
        "macOS AppleDouble file (._chat.txt: the resource fork and attributes of chat.txt), "
        "an operating system's file: not read")
    assert {o["notable"] for n, o in out.items() if n != "chats/chat.txt"} == {False}
    (folder / ".secret-chat.txt").write_bytes((whatsapp_samples / "test_mmddyy_24hrs.txt").read_bytes())
    (folder / ".hidden-folder").mkdir()
    run = atlas("ingest", case_dir, folder, "--json")
    assert run.code == 3, run.out
    out = _outcomes(run)
    assert out[".secret-chat.txt"]["message"] == "hidden file (the name begins with '.'): not read (name it to read it)"
    assert out[".hidden-folder"]["message"] == "hidden folder (the name begins with '.'): not walked (name it to read it)"
    assert out[".secret-chat.txt"]["notable"] and out[".hidden-folder"]["notable"]


def test_a_zero_byte_file_is_listed_for_a_person_to_look_at(
    case_dir: Path, tmp_path: Path, whatsapp_samples: Path, atlas: Callable[..., Any]
) -> None:
    """An empty file in a download is often a transfer that failed: nothing to read, but exit 3."""
    folder = tmp_path / "ev"
    folder.mkdir()
    shutil.copyfile(whatsapp_samples / SAMPLE, folder / "chat.txt")
    (folder / "calls.csv").write_bytes(b"")
    run = atlas("ingest", case_dir, folder, "--json")
    assert run.code == 3
    out = _outcomes(run)
    assert (out["calls.csv"]["status"], out["calls.csv"]["message"], out["calls.csv"]["notable"]) == (
        "skipped", "empty file", True)
    named = atlas("ingest", case_dir, folder / "calls.csv")
    assert named.code == 2 and named.err == f"atlas: error: {folder / 'calls.csv'}: the file is empty\n"


def _deep(root: Path, levels: int, name: str = "d") -> None:
    """``levels`` folders named ``name`` one inside another (made through folder handles, as
    the full path may be too long for one call), with a file ``x.txt`` at the bottom."""
    root.mkdir()
    here = os.open(root, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir(name, dir_fd=here)
            below = os.open(name, os.O_RDONLY, dir_fd=here)
            os.close(here)
            here = below
        fd = os.open("x.txt", os.O_WRONLY | os.O_CREAT, dir_fd=here)
        os.write(fd, b"")
        os.close(fd)
    finally:
        os.close(here)


def _remove_deep(root: Path, name: str) -> None:
    """Remove a :func:`_deep` chain from the bottom up through folder handles: pytest's own
    clean-up (``shutil.rmtree``) recurses once a level and would fail on it, in a later run."""
    fds = [os.open(root, os.O_RDONLY)]
    try:
        while name in os.listdir(fds[-1]):
            fds.append(os.open(name, os.O_RDONLY, dir_fd=fds[-1]))
        for leaf in os.listdir(fds[-1]):
            os.unlink(leaf, dir_fd=fds[-1])
        while len(fds) > 1:
            os.close(fds.pop())
            os.rmdir(name, dir_fd=fds[-1])
    finally:
        for fd in fds:
            os.close(fd)


@pytest.mark.timeout(60)
def test_a_very_deep_tree_is_walked_without_recursion_and_too_deep_to_list_is_a_named_failure(
    case: Case, tmp_path: Path, whatsapp_samples: Path
) -> None:
    """1,100 levels were a RecursionError before (one Python frame a folder). Past the
    system's path length (4,096 bytes) a folder cannot be listed: a failure naming it."""
    from atlas.errors import SourceReadError
    from atlas.ingest import IngestOptions, ingest

    long_name = "n" * 250
    # The 1,100-level chain lives outside pytest's base folder: if this run is killed before
    # the clean-up below, pytest's own clean-up of old base folders (``shutil.rmtree``, one
    # frame a level on 3.11) would otherwise fail on it in every later run on the machine.
    outside = Path(tempfile.mkdtemp(prefix="atlas-deep-tree-"))
    try:
        _deep(outside / "deep", 1100)
        found = walk([outside / "deep"])
        assert [(e.path.name, e.skip) for e in found] == [("x.txt", "")]
        assert len(found[0].path.parts) > 1100

        _deep(tmp_path / "long", 20, long_name)  # 20 x 251 bytes: past 4,096
        shutil.copyfile(whatsapp_samples / SAMPLE, tmp_path / "long" / "chat.txt")
        with pytest.raises(SourceReadError, match=r"cannot be read \(File name too long, ENAMETOOLONG\)"):
            ingest(case, [tmp_path / "long"], IngestOptions())
        outcomes = ingest(case, [tmp_path / "long"], IngestOptions(keep_going=True))
        assert [(Path(o.path).name, o.status) for o in outcomes] == [("chat.txt", "ingested"), (long_name, "failed")]
    finally:
        for root, name in ((outside / "deep", "d"), (tmp_path / "long", long_name)):
            if root.exists():
                (root / "chat.txt").unlink(missing_ok=True)
                _remove_deep(root, name)
        (outside / "deep").rmdir()
        outside.rmdir()


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


def test_a_file_in_a_folder_that_grows_while_it_is_read_fails_and_the_rest_is_read(
    case: Case, tmp_path: Path, whatsapp_samples: Path, seeds: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A download still being written to (a sync client, a copy not finished): the file that
    changed is a failure naming it (the rest is read with --keep-going), never stored as read."""
    from atlas.errors import StoreError
    from atlas.ingest import IngestOptions, ingest
    from parsers import _tabular

    folder = tmp_path / "ev"
    folder.mkdir()
    shutil.copyfile(whatsapp_samples / SAMPLE, folder / "chat.txt")
    shutil.copyfile(seeds["cdr"], folder / "calls.csv")
    read_csv = _tabular.read_csv

    def read_then_grow(*args: Any, **kwargs: Any) -> Any:
        frame = read_csv(*args, **kwargs)
        with (folder / "calls.csv").open("ab") as fh:  # written to while the parser read it
            fh.write(b"\n")
        return frame

    monkeypatch.setattr(_tabular, "read_csv", read_then_grow)
    with pytest.raises(StoreError, match=r"calls\.csv: the file changed while it was being read"):
        ingest(case, [folder], IngestOptions())
    assert Case.open(case.root).sources().height == 0
    outcomes = {Path(o.path).name: o for o in ingest(case, [folder], IngestOptions(keep_going=True))}
    assert outcomes["calls.csv"].status == "failed"
    assert "the file changed while it was being read" in outcomes["calls.csv"].message
    assert outcomes["chat.txt"].status == "ingested"


def test_the_ingest_table_names_the_entries_to_look_at(
    case_dir: Path, tmp_path: Path, whatsapp_samples: Path, atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every skip is listed with its reason; the last line names only those that set exit status 3."""
    monkeypatch.setenv("COLUMNS", "160")  # a cell of the table is read whole (at 80 columns it wraps)
    folder = tmp_path / "ev"
    folder.mkdir()
    shutil.copyfile(whatsapp_samples / SAMPLE, folder / "chat.txt")
    (folder / ".DS_Store").write_bytes(b"x")
    (folder / "calls.csv").write_bytes(b"")
    (folder / "gone").symlink_to("nowhere")
    run = atlas("ingest", case_dir, folder)
    assert run.code == 3
    assert "  .DS_Store: macOS folder view settings (.DS_Store), an operating system's file: not read\n" in run.out
    assert run.out.endswith(
        "  2 not read and to look at (listed above: calls.csv, gone): exit status 3. Everything else listed was "
        f"committed. To read one, name it: atlas ingest {case_dir} {folder / 'calls.csv'} (with --format NAME if its "
        "format is not recognised). If it is not evidence, nothing more is needed: it stays listed as not read, and "
        "each later ingest of this folder says so again\n")
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in run.out.splitlines() if line.startswith("│")}
    # the status column says which kind of skip: one to look at (exit 3) or an expected one (an OS's file)
    assert rows == {".DS_Store": "skipped: expected", "calls.csv": "skipped: look at it", "chat.txt": "ingested",
                    "gone": "skipped: look at it"}


@pytest.mark.parametrize("flags", [(), ("--keep-going",), ("--commit-each",), ("--keep-going", "--commit-each")])
def test_a_hidden_file_exits_3_with_every_ingest_flag_and_the_last_line_says_how_to_read_it(
    case_dir: Path, tmp_path: Path, whatsapp_samples: Path, atlas: Callable[..., Any], flags: tuple[str, ...]
) -> None:
    """README: a hidden file is 'listed, look', exit status 3 with the rest committed, whichever of
    --keep-going and --commit-each is given; a failure beside it makes the exit status 1 (with
    --keep-going) and, without it, refuses the ingest as any failure does. The last line names the
    command that reads the hidden file."""
    folder = tmp_path / "ev"
    folder.mkdir()
    shutil.copyfile(whatsapp_samples / SAMPLE, folder / "chat.txt")
    shutil.copyfile(whatsapp_samples / "test_mmddyy_24hrs.txt", folder / ".secret.txt")
    run = atlas("ingest", case_dir, folder, *flags)
    assert run.code == 3, (run.code, run.out, run.err)
    assert f"To read one, name it: atlas ingest {case_dir} {folder / '.secret.txt'} " in run.out
    assert Case.open(case_dir).sources().get_column("name").to_list() == ["chat.txt"]
    named = atlas("ingest", case_dir, folder / ".secret.txt")  # the way the line gives: read, exit 0
    assert named.code == 0, (named.out, named.err)
    assert sorted(Case.open(case_dir).sources().get_column("name").to_list()) == [".secret.txt", "chat.txt"]
    (folder / "broken.json").write_text('{"messages": [', encoding="utf-8")  # a parser takes it and fails
    failed = atlas("ingest", case_dir, folder, "--format", "whatsapp-text", *flags)
    assert failed.code == (1 if "--keep-going" in flags else 2), (failed.code, failed.out, failed.err)
