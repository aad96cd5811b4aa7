"""Ingest in bounded memory: one source staged and committed at a time.

``atlas ingest`` stages every file of a call before one all-or-nothing commit, so its
memory grows with the call (all the staged events are held until the commit). For a case
of 100 M events, given as tens of CDR files of a few million rows each, this commits each
file on its own: each commit is the store's ordinary atomic commit (partitions, audit row
and exhibit number together; :meth:`atlas.store.Case.commit`), so a failure leaves every
earlier file committed and the failing one not, named; memory holds one file's records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from atlas.ingest import IngestOptions, SourceOutcome, commit_staged, skipped_entry, stage_one
from atlas.source_walk import walk
from atlas.store import Case


def ingest_bounded(case: Case, paths: Iterable[Path], opts: IngestOptions, *, debug: bool = False,
                   on_file: Callable[[Path, SourceOutcome], None] | None = None) -> list[SourceOutcome]:
    """Ingest ``paths`` (folders walked as ``atlas ingest`` walks them), committing each
    file as soon as it is parsed, so no more than one file's events are held at a time.
    ``on_file`` is called after each file's commit with its outcome."""
    outcomes: list[SourceOutcome] = []
    for entry in walk(paths):
        if entry.skip:
            outcomes += commit_staged(case, [skipped_entry(entry.path, entry.skip, entry.notable)])
            continue
        staged = stage_one(case, entry.path, entry.explicit, opts, debug=debug)
        done = commit_staged(case, [staged], replace=opts.replace)
        del staged  # the file's frames: released before the next file is read
        outcomes += done
        if on_file:
            on_file(entry.path, done[0])
    return outcomes


__all__ = ["ingest_bounded"]
