"""The parser registry: every module in this package that declares ``INFO``.

Detection is by content: each parser scores a :class:`~parsers.base.Probe` of the
file (0 = not mine, 100 = certain). The highest score wins; a tie between two
parsers is an error that asks for ``--format``, never a silent guess.

The registry is loaded lazily (issue 18, start-up): importing this package imports
no parser and not Polars. :func:`catalogue` lists the parsers from the generated
``catalogue.json`` (see :mod:`parsers._catalogue`); :func:`by_name` imports the one
parser named; only :func:`detect` and :func:`all_parsers` import them all, because
detection asks each of them about the file's content.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from atlas.errors import FormatError, NotASourceError, SourceReadError, describe_failure, os_error_words

OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
"""An OLE2 compound file: a password-protected .xlsx, or a legacy .xls/.doc (named when nothing reads it)."""
SQLITE_MAGIC = b"SQLite format 3\x00"
WAL_MAGICS = (bytes.fromhex("377f0682"), bytes.fromhex("377f0683"))
"""A SQLite write-ahead log's first bytes (``parsers._sqlite.WAL_MAGICS``, not imported: start-up)."""

if TYPE_CHECKING:
    from parsers._catalogue import FormatEntry
    from parsers.base import ParseContext, ParseResult, ParserInfo, ParserModule, Probe

__all__ = ["FormatEntry", "ParseContext", "ParseResult", "ParserInfo", "Probe", "all_parsers", "by_name",
           "catalogue", "detect", "scores"]

MIN_CONFIDENCE = 30
_FROM_BASE = frozenset({"ParseContext", "ParseResult", "ParserInfo", "ParserModule", "Probe"})


def __getattr__(name: str) -> Any:
    """``from parsers import ParseContext`` still works, importing :mod:`parsers.base` only then."""
    if name in _FROM_BASE:
        from parsers import base

        return getattr(base, name)
    if name == "FormatEntry":
        from parsers import _catalogue

        return _catalogue.FormatEntry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def catalogue() -> tuple[FormatEntry, ...]:
    """Every parser's name, version and description, sorted by name, without importing them."""
    from parsers import _catalogue

    return _catalogue.load()


@cache
def all_parsers() -> tuple[ParserModule, ...]:
    """All parser modules, imported, sorted by name (deterministic detection order)."""
    found: list[ParserModule] = []
    for mod in pkgutil.iter_modules(__path__):
        if mod.name.startswith("_") or mod.name in ("base",):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        if hasattr(module, "INFO") and hasattr(module, "detect") and hasattr(module, "parse"):
            found.append(cast("ParserModule", module))
    return tuple(sorted(found, key=lambda m: m.INFO.name))


def by_name(name: str) -> ParserModule:
    """The parser called ``name`` (its ``INFO.name``), importing only that one."""
    for entry in catalogue():
        if entry.name == name:
            module = cast("ParserModule", importlib.import_module(f"{__name__}.{entry.module}"))
            if module.INFO.name == name:
                return module
    for parser in all_parsers():  # a catalogue out of step with the code: ask the modules themselves
        if parser.INFO.name == name:
            return parser
    names = ", ".join(p.INFO.name for p in all_parsers())
    raise FormatError(f"no parser named {name!r} (known: {names}; see `atlas formats`)")


def scores(probe: Probe) -> tuple[list[tuple[int, str, ParserModule]], list[str]]:
    """Every parser's score for ``probe``, best first, and the detectors that failed.

    The error boundary around detection: a detector that raises (a corrupt zip inside a
    ``.ufdr``, a line longer than a CSV sniffer allows, a bug) scores 0 for that file and
    its failure is kept, as one line naming the parser and the place, so that the file is
    reported, never a traceback and never the end of a folder walk.
    """
    scored: list[tuple[int, str, ParserModule]] = []
    failures: list[str] = []
    for p in all_parsers():
        try:
            score = int(p.detect(probe))
        except Exception as exc:  # the boundary: any detector failure becomes a reported score of 0
            failures.append(f"{p.INFO.name} detector failed: {describe_failure(exc)}")
            score = 0
        scored.append((score, p.INFO.name, p))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return scored, failures


def detect(path: Path) -> ParserModule:
    """The parser for ``path`` by content, or a clear error saying why none fits."""
    from parsers.base import Probe

    probe = Probe(path)
    try:
        size = probe.size
        probe.head  # noqa: B018  (read once here so an unreadable file is named, not a detector failure)
    except OSError as exc:  # evidence handed over and not read: a failure of this source, never a skip
        raise SourceReadError(str(path), f"cannot be read ({os_error_words(exc)})") from exc
    if size == 0:
        raise NotASourceError(f"{path}: the file is empty", reason="empty file")
    ranked, failures = scores(probe)
    best_score, best_name, best = ranked[0]
    if best_score < MIN_CONFIDENCE:
        what = f"{'binary' if not probe.text else 'text'} file, {size} bytes"
        evidence_unread = False  # evidence Atlas cannot read as it stands: a folder walk gives the whole reason too
        if probe.zip_damage:  # a .ufdr or .xlsx whose zip directory cannot be read: say so
            what = f"a zip file of {size} bytes whose directory cannot be read, damaged or truncated: {probe.zip_damage}"
        elif probe.is_zip:
            from parsers._tabular import workbook_damage

            if damage := workbook_damage(probe):  # the directory reads, a sheet inside does not
                what = f"an Excel workbook of {size} bytes that cannot be read, damaged or truncated: {damage}"
            else:  # a download as it arrived (X archive, Google Takeout, Meta): Atlas reads the files in it
                files = [n for n in probe.zip_names if not n.endswith("/")]
                what = (f"a zip archive of {size} bytes holding {len(files)} file(s), such as "
                        f"{', '.join(repr(n[:80]) for n in files[:3]) or 'none'}: Atlas reads the files inside a download, "
                        "not its archive; extract it (the archive stays the original, with its hash) and ingest the folder")
        elif probe.head.startswith(OLE2_MAGIC):  # what Excel writes for a workbook saved with a password
            evidence_unread = True
            what = (f"an OLE2 compound file of {size} bytes: an Excel workbook saved with a password (encrypted) or "
                    "an old binary Office file such as .xls, which Atlas does not read; open it in Excel, remove the "
                    "password or save it as .xlsx, and ingest that copy as its own exhibit, stating the method")
        elif probe.head.startswith(SQLITE_MAGIC):
            from parsers._sqlite import wal_refusal

            if wal_why := wal_refusal(path):  # a database whose tables are all in a -wal cut short
                evidence_unread = True
                what = f"a SQLite database of {size} bytes with no tables SQLite can read; {wal_why}"
        elif probe.head[:4] in WAL_MAGICS and path.name.endswith("-wal"):  # its database is not beside it
            evidence_unread = True
            what = (f"a SQLite write-ahead log of {size} bytes without its database {path.name.removesuffix('-wal')!r} "
                    "beside it: the rows in a -wal cannot be read without the database; acquire the database file "
                    "and keep the two together")
        failed = f"; {'; '.join(failures)}" if failures else ""
        why = f"format not recognised ({what}){failed}; see `atlas formats`, or force one with --format NAME"
        # no parser takes it: a folder walk skips it, saying only "format not recognised" unless a detector failed
        raise NotASourceError(f"{path}: {why}", reason=why if failures or evidence_unread else "format not recognised")
    if len(ranked) > 1 and ranked[1][0] == best_score:
        raise FormatError(
            f"{path}: could be {best_name} or {ranked[1][1]} (equal confidence); choose with --format"
        )
    return best
