"""The contact graph as the reports draw it, for a case bigger than memory.

:func:`atlas.graph.build_graph` de-duplicates every contact of the case and keeps every
edge's event ids; the report draws at most :data:`reports.graph_view.MAX_NODES` nodes, each
edge with its first few event ids. So here the graph is the whole-case streaming pair counts
(:func:`atlas.stream.scan.pair_counts_detail`: the same de-duplicated contacts per pair and
the same clock offsets), and the event ids are fetched afterwards for the edges drawn only
(:func:`atlas.stream.scan.edge_event_ids`). ``tests/test_stream.py`` checks that the report's
graph view from this equals the one from :func:`atlas.graph.build_graph` on the fixtures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Final

import polars as pl

from atlas.graph import EVENTS_COUNTING, ContactGraph, Counting, contact_graph, deduplicated_counting, group_label, node_map
from atlas.graph.frames import deduped_edge_rows
from atlas.identity.ledger import PARTY_PREFIX
from atlas.identity.resolve import resolve
from atlas.store import Case
from atlas.stream.scan import ENGINE, PairDetail, edge_event_ids, pair_counts_detail


@dataclass
class PairGraph:
    """What the reports read of the contact graph, from whole-case aggregates."""

    case: Case
    detail: PairDetail
    edges: pl.DataFrame
    """One row per (src, dst, channel) as :attr:`atlas.graph.ContactGraph.edges` has it (a
    missing channel named ``unknown``, contacts of a node with itself left out): ``src``,
    ``dst``, ``channel``, ``contacts``, ``events``."""
    node_keys: dict[str, str]
    """Node → the key the report draws it by: a party's node by the party id."""
    labels: dict[str, str]
    """Node → label for party and linked-identifier nodes (a lone identifier is shown as itself)."""
    include_proposed: bool
    counting: str
    clock_offsets: dict[str, tuple[float, int]] = field(default_factory=dict)
    deduplicated: bool = True
    """Always: the pair counts are of de-duplicated contacts (:attr:`atlas.graph.ContactGraph.deduplicated`)."""

    def event_ids(self, edges: Iterable[tuple[str, str, str]], limit: int) -> dict[tuple[str, str, str], list[str]]:
        """The first ``limit`` event ids (sorted) behind each (src, dst, channel) edge."""
        return edge_event_ids(self.case, self.detail, edges, limit)


def build_pair_graph(case: Case, *, include_proposed: bool = False) -> PairGraph:
    """:func:`atlas.graph.build_graph`'s edge weights, labels, counting and clock offsets,
    from streaming scans (memory: one source, the distinct pairs, the shared keys' records)."""
    resolution = resolve(case, include_proposed=include_proposed)
    offsets: dict[str, tuple[float, int]] = {}
    detail = pair_counts_detail(case, node_map(resolution), clock_offsets=offsets)
    edges = (
        detail.pairs.filter(pl.col("src") != pl.col("dst"))
        .group_by("src", "dst", pl.col("channel").fill_null("unknown"))
        .agg(pl.col("contacts").sum(), pl.col("events").sum())
        .sort("src", "dst", "channel")
    )
    detail = replace(detail, pairs=detail.pairs.clear())  # the edges are all the report reads of them: memory back
    keys = {PARTY_PREFIX + p.id: p.id for p in case.manifest.parties}
    labels = {PARTY_PREFIX + p.id: p.name or p.id for p in case.manifest.parties}
    groups: dict[str, list[str]] = {}
    for uri, g in resolution.groups.items():
        groups.setdefault(g, []).append(uri)
    from atlas.exhibits import identifier_label, source_refs

    refs = source_refs(case)  # a group by its smallest identifier as people read it, as atlas.graph._nodes labels it
    labels.update({g: group_label(g, members, identifier_label(refs, g)) for g, members in groups.items()})
    counting = deduplicated_counting()
    return PairGraph(case, detail, edges, keys, labels, include_proposed, counting.text, offsets,
                     deduplicated=counting.deduplicated)




ROWS_PER_BUCKET: Final = 4_000_000
"""Contact rows (one per contact and recipient) :func:`build_bounded_graph` aims to hold at
once: the rows are spread over buckets of unordered pairs by hash, written to a temporary
folder one source at a time, and each bucket's rows aggregated on their own."""


def _contact_rows(contacts: pl.LazyFrame) -> pl.LazyFrame:
    """:func:`atlas.graph.contacts_frame`'s rows of de-duplicated contacts, with their place in
    its order (the contacts' ``ts_utc`` and ``contact_id``; a contact's recipients stay in turn)."""
    return deduped_edge_rows(contacts, pl.col("ts_utc").dt.epoch("us").alias("_o1"), pl.col("contact_id").alias("_o2"))


def _event_rows(events: pl.LazyFrame, mapping: dict[str, str], part: int) -> pl.LazyFrame:
    """:func:`atlas.graph.contacts_frame`'s rows of source records (``dedupe=False``) of one
    source, with their place in its order (the source's place, then the record's row; a
    record's recipients stay in turn)."""
    from atlas.graph import _map
    from atlas.graph.frames import contact_rows

    rows = contact_rows(events.with_row_index("_o2"), keep=("_o2",))
    return rows.select(
        _map(pl.col("sender"), mapping).alias("src"), _map(pl.col("recipient"), mapping).alias("dst"),
        "channel", "kind", "ts_utc", "answered_call", pl.lit(1, pl.UInt32).alias("n_events"),
        pl.concat_list("event_id").alias("event_ids"),
        pl.lit(part, pl.Int64).alias("_o1"), pl.col("_o2").cast(pl.Int64),
    )


def bounded_edges(case: Case, mapping: dict[str, str], *, dedupe: bool = True,
                  clock_offsets: dict[str, tuple[float, int]] | None = None,
                  rows_per_bucket: int = ROWS_PER_BUCKET) -> tuple[pl.DataFrame, Counting]:
    """:func:`atlas.graph.aggregate`'s edges (:data:`atlas.graph.EDGE_SCHEMA`) of the whole
    case and how contacts were counted, as :func:`atlas.graph.build_graph` makes them, in
    memory bounded by one source's rows and one bucket of pairs.

    An edge's counts, and whether each of its contacts was answered (an answered call, or any
    contact back within 24 h), depend only on the contacts between its two ends. So the
    contact rows (de-duplicated as :mod:`atlas.stream.contacts` does, or one per source record)
    are spread over buckets by a hash of the unordered pair, written to a temporary folder one
    source at a time, and each bucket is read back, put in the whole case's row order, and
    aggregated by :func:`atlas.graph.aggregate`; only the edges are kept (not their event ids)."""
    import shutil
    import tempfile
    from pathlib import Path

    from atlas.graph import EDGE_SCHEMA, aggregate

    total = int(case.events().select(pl.len()).collect(engine=ENGINE).item())
    buckets = max(1, -(-total // max(rows_per_bucket, 1)))
    if dedupe:
        from atlas.stream.contacts import bounded_contacts

        contacts = bounded_contacts(case, same_person=mapping, clock_offsets=clock_offsets)
        queries = [_contact_rows(q) for q in contacts.parts()]
        counting = deduplicated_counting()
    else:
        queries = [_event_rows(case.events(sid), mapping, i) for i, sid in enumerate(case.source_ids())]
        counting = EVENTS_COUNTING
    bucket = ((pl.col("src").hash() ^ pl.col("dst").hash()) % buckets).alias("_bucket")
    tmp = Path(tempfile.mkdtemp(prefix="atlas-graph-"))
    try:
        for i, q in enumerate(queries):
            rows = q.with_columns(bucket).collect(engine=ENGINE)
            for (b,), part in rows.partition_by("_bucket", as_dict=True, include_key=False).items():
                folder = tmp / str(b)
                folder.mkdir(exist_ok=True)
                part.write_parquet(folder / f"{i}.parquet", compression="lz4", statistics=False)
            del rows
        edges: list[pl.DataFrame] = []
        zone = case.manifest.timezone
        for folder in sorted(tmp.iterdir(), key=lambda p: int(p.name)):
            # stable: rows of one contact (or record) are its recipients, in turn, in one file
            rows = pl.read_parquet(sorted(folder.iterdir())).rechunk().sort("_o1", "_o2", maintain_order=True)
            found, _ = aggregate(rows.drop("_o1", "_o2"), zone=zone)
            edges.append(found)
            del rows
            shutil.rmtree(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not edges:
        return pl.DataFrame(schema=EDGE_SCHEMA), counting
    out = pl.concat(edges).sort("src", "dst", "channel").with_columns(
        (pl.col("events").cum_sum() - pl.col("events")).cast(pl.UInt64).alias("offset"))
    return out.select(EDGE_SCHEMA.names()).cast(dict(EDGE_SCHEMA)), counting  # type: ignore[arg-type]


def build_bounded_graph(case: Case, *, include_proposed: bool = False, dedupe: bool = True) -> ContactGraph:
    """:func:`atlas.graph.build_graph` for a case bigger than memory: the same edges (counts,
    unanswered, night, first and last contact), nodes, victim's network and communities, from
    :func:`bounded_edges`; the NetworkX graph holds the nodes only (a drawing or a file of every
    edge with its event ids is what it leaves out: ``flat_ids`` is empty)."""
    resolution = resolve(case, include_proposed=include_proposed)
    offsets: dict[str, tuple[float, int]] = {}
    edges, counting = bounded_edges(case, node_map(resolution), dedupe=dedupe, clock_offsets=offsets)
    return contact_graph(case, resolution, edges, pl.Series("event_id", [], pl.String),
                         include_proposed=include_proposed, counting=counting, offsets=offsets, draw_edges=False)


__all__ = ["ROWS_PER_BUCKET", "PairGraph", "bounded_edges", "build_bounded_graph", "build_pair_graph"]
