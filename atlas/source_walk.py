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
from dataclasses import dataclass, field
from pathlib import Path

from atlas.errors import AtlasError, FormatError, NotASourceError, SourceReadError, os_error_words
from atlas.system_files import system_file


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
            os.scandir(path).close()  # listing it again only to name the OS error it gives
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
    """A skip the person must look at (changes the exit status); known system files are not."""
    ident: tuple[int, int] | None = field(default=None, compare=False, repr=False)
    """(device, inode) of a file to read or a folder walked; of a link's target, for a link
    (how a link is known to lead to something the walk reads anyway)."""
    walked: bool = field(default=False, compare=False, repr=False)
    """A folder the walk listed (kept only to settle links; never handed to the ingest)."""


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


def _link_entry(root: Path, path: Path) -> Entry:
    """A symbolic link found in a walk, never followed: listed with where it leads. One that
    leads outside the folder named is said to (its target is not part of the evidence
    handed over, and is never read silently); the walk later marks one whose target it reads
    anyway (:func:`_settle_links`)."""
    note = _link_note(path)
    try:
        st = path.stat()
    except OSError:
        return Entry(path, False, note)  # dangling or a loop: the note says which
    target = os.readlink(path)
    what = "a folder" if stat.S_ISDIR(st.st_mode) else "a file"
    if not path.resolve().is_relative_to(root.resolve()):
        return Entry(path, False, f"symbolic link to {what} outside the folder walked ({shown(target)}, which is "
                                  f"{shown(path.resolve())}): not followed, as its target is not in the folder "
                                  "handed over (name the target to read it)", ident=(st.st_dev, st.st_ino))
    return Entry(path, False, note, ident=(st.st_dev, st.st_ino))


def _settle_links(entries: list[Entry]) -> list[Entry]:
    """A link inside the folder whose target this walk reads (a file) or walks (a folder) is
    listed as not read twice, and not as one to look at: nothing is left out by not
    following it. Any other link stays one to look at."""
    read = {e.ident for e in entries if (e.walked or not e.skip) and e.ident is not None}
    out: list[Entry] = []
    for e in entries:
        if e.skip and e.ident is not None and e.ident in read and os.path.islink(e.path):
            target = shown(os.readlink(e.path))
            how = "a folder inside the folder walked ({}), which is walked as itself" if e.path.is_dir() else \
                "a file inside the folder walked ({}), which is read as itself"
            e = Entry(e.path, False, f"symbolic link to {how.format(target)}: not followed, so not read twice",
                      notable=False)
        out.append(e)
    return out


def _read_or_list(root: Path, path: Path, name: str) -> tuple[Entry | None, bool]:
    """(the entry for ``path``, or None for a folder to walk; whether it is a folder to walk)."""
    try:
        if os.path.islink(path):
            return _link_entry(root, path), False
        st = os.lstat(path)
    except OSError:
        return Entry(path, False), False  # to read: the ingest fails it, naming the error (:func:`check_regular`)
    folder = stat.S_ISDIR(st.st_mode)
    if (system := system_file(name, folder)) is not None:
        return Entry(path, False, f"{system}, an operating system's file: not read", notable=False), False
    if name.startswith("."):
        what = "hidden folder (the name begins with '.'): not walked" if folder else \
            "hidden file (the name begins with '.'): not read"
        return Entry(path, False, f"{what} (name it to read it)"), False
    if folder:
        return None, True
    if stat.S_ISREG(st.st_mode):
        return Entry(path, False, ident=(st.st_dev, st.st_ino)), False
    return Entry(path, False, f"{_special_kind(st.st_mode)}: not opened"), False


def _walk_folder(root: Path) -> Iterator[Entry]:
    """Depth first in name order (by the name's bytes), with a stack of its own, not
    recursion: a tree thousands of folders deep is walked as far as the system lets it be
    listed (a path too long to list fails, named, like any folder that cannot be listed)."""
    stack: list[Iterator[Path]] = [iter([root])]
    while stack:
        path = next(stack[-1], None)
        if path is None:
            stack.pop()
            continue
        if path is not root:
            entry, walk_it = _read_or_list(root, path, path.name)
            if entry is not None:
                yield entry
            if not walk_it:
                continue
        try:
            with os.scandir(path) as it:
                names = sorted((e.name for e in it), key=os.fsencode)
            ident = os.stat(path)
        except OSError:
            yield Entry(path, False)  # to read: the ingest fails it, naming the error (:func:`check_regular`)
            continue
        yield Entry(path, False, ident=(ident.st_dev, ident.st_ino), walked=True)
        stack.append(iter([path / n for n in names]))


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
        except OSError as exc:  # named, but the system will not let Atlas look at it: evidence not read
            raise SourceReadError(shown(p), f"cannot be read ({os_error_words(exc)})", "file or folder") from exc
        if stat.S_ISDIR(st.st_mode):
            found = _settle_links(list(_walk_folder(p)))
            out.extend(e for e in found if not e.walked)
        else:
            out.append(Entry(p, True))
    return out
