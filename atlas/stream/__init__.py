"""Cases bigger than memory: ingest in bounded steps, scan the store's partitions lazily.

A stalking case of 100 M events is overwhelmingly background (the returns of numbers
around the suspect and the victim); the analysis needs only the records touching their
identities, and the accounting and the contact graph need whole-case aggregates. So:

* :func:`atlas.stream.ingest.ingest_bounded` commits one source at a time (each commit
  atomic, with its audit row and exhibit number), so memory holds one source file's
  records, never the case's;
* :func:`streaming` runs the existing analyses with Polars' streaming engine: every
  ``case.events()`` scan with a filter on the parties' identities (the conduct analysis's
  contact selection, device positions, the report's contact list) is collected morsel by
  morsel from the Parquet partitions, holding only the rows that pass;
* :mod:`atlas.stream.scan` computes the whole-case aggregates (per-source accounting,
  contact counts per pair for the graph) as streaming group-bys.

The in-memory path stays the plain rule: the streaming one is tested byte-identical to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import TYPE_CHECKING, Final

import polars as pl

if TYPE_CHECKING:
    from atlas.store import Case

STREAM_ABOVE_EVENTS: Final = 5_000_000
"""Events above which ``atlas report`` and ``atlas discover`` read the store with the streaming
engine unless told otherwise. The in-memory path's peak grows by about 1 GB per million events
(1.0-1.4 GB at 1 M, 2.4 GB for the 2.39 M-record end-to-end case), so past a few million it
outgrows an ordinary workstation; the streaming one stays bounded (2.0 GB at 10 M, 6.2 GB at
100 M) and writes the same outputs (tests/test_stream.py), so the choice changes memory and
time, never what is written. The end-to-end case stays on the in-memory path it is timed on."""

_BOUNDED: ContextVar[bool] = ContextVar("atlas_stream_bounded", default=False)


@contextmanager
def streaming() -> Iterator[None]:
    """Within this block every ``LazyFrame.collect()`` that does not name an engine uses
    Polars' streaming engine (scans read and filter the partitions in morsels): the hook
    by which the existing analyses run on a case bigger than memory unchanged."""
    token = _BOUNDED.set(True)
    try:
        with pl.Config(engine_affinity="streaming"):
            yield
    finally:
        _BOUNDED.reset(token)


def bounded() -> bool:
    """Whether this code runs inside :func:`streaming`: outputs that would otherwise hold
    every event (the report's contact graph, its unused-material tally) are then built from
    streaming aggregates instead (the same outputs, in memory bounded by one source)."""
    return _BOUNDED.get()


def engine_for(case: Case, asked: bool | None) -> tuple[AbstractContextManager[None], str]:
    """The engine a command reads ``case`` with, and what to tell the user (empty when
    nothing was chosen for them): ``asked`` is ``--stream`` (True), ``--no-stream`` (False) or
    neither (None: streaming above :data:`STREAM_ABOVE_EVENTS` events, counted from the
    Parquet footers without reading the rows)."""
    if asked is None:
        events = int(case.events().select(pl.len()).collect().item())
        if events <= STREAM_ABOVE_EVENTS:
            return nullcontext(), ""
        return streaming(), (f"the store holds {events:,} events (more than {STREAM_ABOVE_EVENTS:,}): read with the "
                             "streaming engine, in bounded memory, with the same outputs (--no-stream reads it in "
                             "memory)")
    return (streaming() if asked else nullcontext()), ""


__all__ = ["STREAM_ABOVE_EVENTS", "bounded", "engine_for", "streaming"]
