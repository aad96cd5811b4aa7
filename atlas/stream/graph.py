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

import polars as pl

from atlas.graph import group_label, node_map
from atlas.identity.ledger import PARTY_PREFIX
from atlas.identity.resolve import resolve
from atlas.store import Case
from atlas.stream.scan import PairDetail, edge_event_ids, pair_counts_detail


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

    def event_ids(self, edges: Iterable[tuple[str, str, str]], limit: int) -> dict[tuple[str, str, str], list[str]]:
        """The first ``limit`` event ids (sorted) behind each (src, dst, channel) edge."""
        return edge_event_ids(self.case, self.detail, edges, limit)


def build_pair_graph(case: Case, *, include_proposed: bool = False) -> PairGraph:
    """:func:`atlas.graph.build_graph`'s edge weights, labels, counting and clock offsets,
    from streaming scans (memory: one source, the distinct pairs, the shared keys' records)."""
    from atlas.contacts import match_rule

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
    labels.update({g: group_label(g, members) for g, members in groups.items()})
    return PairGraph(case, detail, edges, keys, labels, include_proposed, "de-duplicated contacts: " + match_rule(),
                     offsets)


__all__ = ["PairGraph", "build_pair_graph"]
