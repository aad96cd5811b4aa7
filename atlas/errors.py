"""Errors a user can act on.

Every failure a user can cause (a bad file, a bad manifest key, an unknown format)
is raised as :class:`AtlasError` with a message that names the file and the place,
so the CLI can print one clear line instead of a traceback.
"""

from __future__ import annotations

import errno
import traceback
from pathlib import Path


class AtlasError(Exception):
    """A problem with the user's input or case that they can fix."""


class ManifestError(AtlasError):
    """``case.toml`` is missing, malformed, or has an unknown key or bad value."""


class FormatError(AtlasError):
    """A source file is not in the format its parser expects, or in none we know.

    Raised as itself, it means a parser took the file (detected, or forced with
    ``--format``) and could not read it: evidence Atlas reads that failed. Found in a
    folder walk, such a file is a *failed* outcome, never a skip. A file no parser takes
    at all is a :class:`NotASourceError`.
    """


class NotASourceError(FormatError):
    """No parser takes this file, or it holds nothing to read: its format is not
    recognised, it is empty (or only blank space), or it is a special file (a FIFO, a
    device) that is never opened. Found in a folder walk it is *skipped* with :attr:`reason`; named on
    the command line it is an error like any other :class:`FormatError`.

    The distinction is made where the error is raised, never inferred from its words.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # the short reason a skip shows: "empty file", "format not recognised", ...

    def __reduce__(self) -> tuple[type[NotASourceError], tuple[str, str]]:  # pickled whole (a batch worker's error)
        return type(self), (str(self), self.reason)


class SourceReadError(AtlasError):
    """The operating system would not let Atlas read a source file (permission denied, an I/O
    error) or list a folder of them, before or while any parser read it.

    Unlike a :class:`NotASourceError` (a file no parser takes), this is evidence that was
    handed over and not processed: in a folder walk it is a *failure* of that source, named
    with the operating system's error, so without ``--keep-going`` the ingest refuses and
    commits nothing, and with it the file is listed ``failed``.
    """

    def __init__(self, path: str, why: str, what: str = "file") -> None:
        super().__init__(f"{path}: {why}: the {what} was not read, so its evidence is not in the case")
        self.why = why

    def __reduce__(self) -> tuple[object, ...]:  # pickled whole (a batch worker's error)
        return _source_read_error, (str(self), self.why)


def _source_read_error(message: str, why: str) -> SourceReadError:
    err = SourceReadError.__new__(SourceReadError)
    AtlasError.__init__(err, message)
    err.why = why
    return err


def os_error_words(exc: OSError) -> str:
    """An operating system error as people and a maintainer both need it: its words and its
    symbol, ``Permission denied, EACCES`` (the symbol is the same in every language)."""
    name = errno.errorcode.get(exc.errno) if exc.errno is not None else None
    words = exc.strerror or str(exc)
    return f"{words}, {name}" if name else words


class StoreError(AtlasError):
    """The case store is missing, inconsistent, or its sources have changed."""


def failure_place(exc: BaseException) -> str:
    """Where an unexpected exception came from: ``parsers/cdr.py:412 in _sniff``.

    The innermost frame of Atlas's own code (atlas/, parsers/, reports/) the exception
    passed through, or the innermost frame at all: enough for a one-line error that a
    maintainer can act on without a traceback.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown place"
    root = Path(__file__).resolve().parents[1]
    own = [f for f in frames if _is_own(Path(f.filename).resolve(), root)]
    frame = (own or frames)[-1]
    where = Path(frame.filename).resolve()
    shown = where.relative_to(root).as_posix() if where.is_relative_to(root) else where.name
    return f"{shown}:{frame.lineno} in {frame.name}"


def _is_own(path: Path, root: Path) -> bool:
    """Atlas's own code: under the repository, but not an installed library (a venv inside it)."""
    return path.is_relative_to(root) and "site-packages" not in path.parts


def describe_failure(exc: BaseException) -> str:
    """An unexpected exception as one line: type, message and :func:`failure_place`."""
    message = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    if len(message) > 300:
        message = message[:300] + "…"
    return f"{type(exc).__name__}{': ' + message if message else ''} (at {failure_place(exc)})"
