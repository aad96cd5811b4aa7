"""Which files an ingest reads: folders walked without surprises, and every odd entry listed.

Evidence folders come from extraction tools and other people's machines. A walk must
not block, abort or quietly leave things out:

* special files (FIFO, socket, device) are never opened: reading a FIFO blocks forever
  and a device can be endless. They are listed as skipped, and refused when named;
* symbolic links inside a walked folder are not followed (a link can lead out of the
  evidence, or round in a loop); each is listed with its target, and says whether the
  target is missing (dangling) or loops. A link named explicitly is read, as named;
* file names that are not valid UTF-8 are kept as the bytes they are (so the file can
  be opened and re-hashed) and shown with the odd bytes escaped (``\\xff``);
* hidden entries (a name beginning with ``.``) are listed as not read, never dropped
  silently; SQLite ``-wal``/``-shm``/``-journal`` companions are handled by the ingest.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from atlas.errors import AtlasError, FormatError, NotASourceError, SourceReadError, os_error_words


def shown(value: Path | str) -> str:
    """A path (or text holding one) for people and for UTF-8 stores: bytes that are not
    UTF-8 (held by Python as lone surrogates) are written as ``\\xNN``."""
    text = os.fspath(value)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def path_bytes(path: Path) -> bytes:
    """The path exactly as the file system names it (what re-opening the file needs)."""
    return os.fsencode(path)


def _special_kind(mode: int) -> str | None:
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    for test, name in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def check_regular(path: Path) -> os.stat_result:
    """``path``'s status if it is a regular file (following a link), else a one-line refusal.

    Nothing is opened: a FIFO named on the command line is refused, not read.
    """
    try:
        st = path.stat()
    except OSError as exc:  # evidence handed over and not read: a failure of this source, never a skip
        raise SourceReadError(shown(path), f"cannot be read ({os_error_words(exc)})") from exc
    kind = _special_kind(st.st_mode)
    if kind is not None:
        why = f"{kind}, not a regular file: refused without opening"
        raise NotASourceError(f"{shown(path)}: {why}", reason=why)
    if stat.S_ISDIR(st.st_mode):
        # A walk hands over a folder only when it could not list it (:func:`_walk_folder`): its
        # files are unknown, so it fails, with the error listing it gives now.
        try:
            with os.scandir(path):
                pass
        except OSError as exc:
            raise SourceReadError(shown(path), f"folder cannot be listed ({os_error_words(exc)})", "folder") from exc
        raise FormatError(f"{shown(path)}: is a folder (it could not be listed when the folder holding it was walked)")
    return st


@dataclass(frozen=True)
class Entry:
    """One thing a walk found: a file to read, or an entry listed with why it is not read."""

    path: Path
    explicit: bool
    """Named on the command line (a failure is an error) rather than found in a folder."""
    skip: str = ""
    """Why this entry is not read (empty: read it)."""
    notable: bool = True
    """A skip the person must look at (changes the exit status); hidden files are not."""


def _link_note(path: Path) -> str:
    target = os.readlink(path)
    try:
        resolved = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"symbolic link to {shown(target)} that loops: not followed"
        return f"dangling symbolic link to {shown(target)} (the target does not exist): not followed"
    what = "a folder" if stat.S_ISDIR(resolved.st_mode) else "a file"
    return f"symbolic link to {what} {shown(target)}: not followed in a folder walk (name it to read it)"


def _walk_folder(root: Path, folder: Path) -> Iterator[Entry]:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: os.fsencode(e.name))
    except OSError:
        yield Entry(folder, False)  # to read: the ingest fails it, naming the error (:func:`check_regular`)
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith("."):
            yield Entry(path, False, "hidden (the name begins with '.'): not read", notable=False)
            continue
        try:
            if entry.is_symlink():
                yield Entry(path, False, _link_note(path))
                continue
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError:
            yield Entry(path, False)  # to read: the ingest fails it, naming the error (:func:`check_regular`)
            continue
        if stat.S_ISDIR(mode):
            yield from _walk_folder(root, path)
        elif stat.S_ISREG(mode):
            yield Entry(path, False)
        else:
            yield Entry(path, False, f"{_special_kind(mode)}: not opened")


def walk(paths: Iterable[Path]) -> list[Entry]:
    """Files to ingest (folders walked, in name order), with every entry that is not read.

    A named path that does not exist is an error (nothing was read yet); a named special
    file is listed as explicit and refused by the ingest without being opened.
    """
    out: list[Entry] = []
    for p in paths:
        try:
            st = p.stat()
        except FileNotFoundError:
            if p.is_symlink():
                raise AtlasError(f"{shown(p)}: {_link_note(p)}") from None
            raise AtlasError(f"{shown(p)}: no such file or folder") from None
        except OSError as exc:
            raise AtlasError(f"{shown(p)}: {exc.strerror or exc}") from exc
        if stat.S_ISDIR(st.st_mode):
            out.extend(_walk_folder(p, p))
        else:
            out.append(Entry(p, True))
    return out
