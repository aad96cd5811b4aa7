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
from contextlib import contextmanager
from contextvars import ContextVar

import polars as pl

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


__all__ = ["bounded", "streaming"]
