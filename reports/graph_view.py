"""The contact graph as the report draws it: people, their aliases, who contacts whom.

The graph comes from :mod:`atlas.graph` (a NetworkX MultiDiGraph whose edges keep the
event ids that support them), so a line on the chart leads back to records.

Positions are computed, not random: the suspect on the left, the victim on the
right, the suspect's identifiers in an arc around him (the alias links, dashed,
labelled with their basis and status), the victim's network around her, everyone
else in an outer ring in a sorted order. The same case always gives the same
picture, and the picture puts the question (suspect → victim) in the middle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from atlas.exhibits import identifier_label as exhibit_identifier_label
from atlas.exhibits import source_refs
from atlas.graph import ContactGraph
from atlas.normalise.identifiers import display
from atlas.store import Case
from atlas.stream.graph import PairGraph
from atlas.wording import channel_name

from .inputs import IdentifierClaim

MAX_NODES: Final = 60
MAX_EDGE_IDS: Final = 50
"""Event ids kept per edge in the chart (all of them stay in the store and in events.csv)."""


@dataclass
class GraphView:
    nodes: pl.DataFrame
    """id, label, role, kind (party|identifier), x, y, contacts."""
    edges: pl.DataFrame
    """source, target, channel, contacts, event_ids (first MAX_EDGE_IDS), style (contact|alias), label."""
    dropped_nodes: int = 0


def identifier_label(uri: str, refs: Mapping[str, str] | None = None) -> str:
    """An identifier node as a person reads it on the chart: a short number as ``101 (short number)``,
    a number kept as written (``tel-raw:``) as ``<it> (number as written)``, any other as
    :func:`~atlas.normalise.identifiers.display` gives it. The chart showed ``tel-short:101``, the store's
    own spelling. It says what the number is, not whose: the analysis names a police number only where
    its options say so (``police non-emergency 101`` in the incidents' targets)."""
    for prefix, kind in (("tel-short:", "short number"), ("tel-raw:", "number as written")):
        if uri.startswith(prefix):
            return f"{uri.removeprefix(prefix)} ({kind})"
    if refs is not None:  # a display name by the exhibit that shows it, as the graph labels its nodes
        return exhibit_identifier_label(refs, uri)
    return display(uri)


def _node_keys(graph: ContactGraph) -> dict[str, str]:
    """A party node is keyed by its party id (``party:victim`` → ``victim``); others by their id."""
    return {n: (p or n) for n, p in graph.nodes.select("node", "party").iter_rows()} if graph.nodes.height else {}


def _labels(graph: ContactGraph) -> dict[str, str]:
    keys = _node_keys(graph)
    return {keys[n]: label for n, label in graph.nodes.select("node", "label").iter_rows() if label}


def _edge_rows(graph: ContactGraph) -> list[dict[str, Any]]:
    """(u, v, channel) → contacts and the first event ids, from the graph's edge frame."""
    keys = _node_keys(graph)
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    flat = graph.flat_ids
    for u0, v0, channel, contacts, n, offset in graph.edges.select(
            "src", "dst", "channel", "contacts", "events", "offset").iter_rows():
        row = rows.setdefault((keys.get(u0, u0), keys.get(v0, v0), str(channel)), {"contacts": 0, "event_ids": []})
        row["contacts"] += int(contacts)
        row["event_ids"].extend(flat.slice(offset, n).to_list())
    return [{"source": u, "target": v, "channel": c, "contacts": r["contacts"],
             "event_ids": sorted(set(r["event_ids"]))[:MAX_EDGE_IDS]} for (u, v, c), r in sorted(rows.items())]


def _arc(centre: tuple[float, float], radius: float, start: float, stop: float, n: int) -> list[tuple[float, float]]:
    if n == 0:
        return []
    angles = [(start + stop) / 2] if n == 1 else [start + (stop - start) * i / (n - 1) for i in range(n)]
    return [(round(centre[0] + radius * math.cos(a), 6), round(centre[1] + radius * math.sin(a), 6)) for a in angles]


def view(case: Case, graph: ContactGraph | PairGraph, suspect: str | None, victim: str | None,
         claims: Mapping[str, IdentifierClaim], include_proposed: bool = False) -> GraphView:
    """Nodes and edges with positions, the suspect's alias links drawn as dashed edges.

    From :class:`~atlas.graph.ContactGraph` (the plain rule: every edge with its event ids
    in memory) or, for a case bigger than memory, :class:`~atlas.stream.graph.PairGraph`
    (whole-case pair counts; the event ids fetched for the edges drawn only): the same view
    (``tests/test_stream.py``)."""
    if isinstance(graph, PairGraph):
        return _view_pairs(case, graph, suspect, victim, claims)
    manifest = case.manifest
    names = manifest.party_names()
    edges = _edge_rows(graph)
    weight: dict[str, int] = {}
    for e in edges:
        weight[e["source"]] = weight.get(e["source"], 0) + e["contacts"]
        weight[e["target"]] = weight.get(e["target"], 0) + e["contacts"]
    keep = {n for n in (suspect, victim) if n}
    keep |= {p for p in names if p in weight}
    others = sorted((n for n in weight if n not in keep), key=lambda n: (-weight[n], n))
    room = max(MAX_NODES - len(keep), 0)
    keep |= set(others[:room])
    dropped = max(len(others) - room, 0)
    edges = [e for e in edges if e["source"] in keep and e["target"] in keep]
    return _layout(case, edges, keep, weight, _labels(graph), dropped, suspect, victim, claims)


def _view_pairs(case: Case, graph: PairGraph, suspect: str | None, victim: str | None,
                claims: Mapping[str, IdentifierClaim]) -> GraphView:
    """:func:`view`'s choice of nodes and edges made in Polars over the whole-case pair counts
    (millions of pairs), then the event ids fetched for the edges drawn only."""
    names = case.manifest.party_names()
    keys = graph.node_keys
    key_of = {n: keys.get(n, n) for n in graph.node_keys}
    keyed = graph.edges.with_columns(
        pl.col("src").replace(key_of).alias("source"), pl.col("dst").replace(key_of).alias("target"))
    by_node = pl.concat([keyed.select(pl.col("source").alias("n"), "contacts"),
                         keyed.select(pl.col("target").alias("n"), "contacts")])
    weights = by_node.group_by("n").agg(pl.col("contacts").sum().cast(pl.Int64).alias("w"))
    keep = {n for n in (suspect, victim) if n}
    present = set(weights.filter(pl.col("n").is_in(list(names))).get_column("n").to_list())
    keep |= {p for p in names if p in present}
    others = weights.filter(~pl.col("n").is_in(sorted(keep))).sort(["w", "n"], descending=[True, False])
    room = max(MAX_NODES - len(keep), 0)
    keep |= set(others.get_column("n").head(room).to_list())
    dropped = max(others.height - room, 0)
    drawn = keyed.filter(pl.col("source").is_in(sorted(keep)) & pl.col("target").is_in(sorted(keep)))
    # the nodes drawn: those kept and the suspect's other identifiers (drawn on the alias arc)
    weight = {n: int(w) for n, w in weights.filter(pl.col("n").is_in(sorted(keep | set(claims)))).iter_rows()}
    ids = graph.event_ids(drawn.select("src", "dst", "channel").iter_rows(), MAX_EDGE_IDS)
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for u0, v0, u, v, c, contacts in drawn.select("src", "dst", "source", "target", "channel", "contacts").iter_rows():
        row = rows.setdefault((u, v, str(c)), {"contacts": 0, "event_ids": []})
        row["contacts"] += int(contacts)
        row["event_ids"].extend(ids.get((u0, v0, c), []))
    edges = [{"source": u, "target": v, "channel": c, "contacts": r["contacts"],
              "event_ids": sorted(set(r["event_ids"]))[:MAX_EDGE_IDS]} for (u, v, c), r in sorted(rows.items())]
    labels = {keys.get(n, n): label for n, label in graph.labels.items() if label}
    return _layout(case, edges, keep, weight, labels, dropped, suspect, victim, claims)


def _layout(case: Case, edges: list[dict[str, Any]], keep: set[str], weight: Mapping[str, int],
            labels: Mapping[str, str], dropped: int, suspect: str | None, victim: str | None,
            claims: Mapping[str, IdentifierClaim]) -> GraphView:
    """Positions for the nodes kept and the frames the chart draws."""
    manifest = case.manifest
    names = manifest.party_names()
    roles = {p.id: p.role for p in manifest.parties}
    refs = source_refs(case)  # a node the graph gave no label (streaming: a lone identifier) named as the graph names it

    alias_ids = [u for u, c in sorted(claims.items()) if c.status != "attributed" or not u.startswith("name:")]
    alias_ids = [u for u in alias_ids if u not in keep][:24]
    pos: dict[str, tuple[float, float]] = {}
    if suspect:
        pos[suspect] = (-1.0, 0.0)
    if victim:
        pos[victim] = (1.0, 0.0)
    side = sorted(n for n in keep if roles.get(n) in ("witness",) and n not in pos)
    for n, xy in zip(side, _arc((1.0, 0.0), 0.75, -math.pi / 2.2, math.pi / 2.2, len(side)), strict=True):
        pos[n] = xy
    for n, xy in zip(alias_ids, _arc((-1.0, 0.0), 0.9, math.pi * 0.62, math.pi * 1.38, len(alias_ids)), strict=True):
        pos[n] = xy
    rest = sorted(n for n in keep if n not in pos)
    # Everyone else above and below the suspect-victim axis, clear of both arcs; crowded
    # rows are staggered over two radii so that neighbouring labels do not collide.
    top, bottom = rest[0::2], rest[1::2]
    for group, centre, start, stop in ((top, (0.0, -0.6), 0.68, 0.32), (bottom, (0.0, 0.6), 1.32, 1.68)):
        points = _arc(centre, 2.3, math.pi * start, math.pi * stop, len(group))
        for k, (n, (x, y)) in enumerate(zip(group, points, strict=True)):
            shrink = 0.35 if (len(group) > 6 and k % 2) else 0.0
            pos[n] = (round(x * (1 - shrink / 2.3), 6), round(y - (shrink if y > 0 else -shrink), 6))

    node_rows = []
    for n in sorted(pos):
        is_party = n in names
        role = roles.get(n, "identifier" if n in alias_ids else "unresolved")
        if n in alias_ids:
            role = "alias"
        node_rows.append({"id": n, "label": names.get(n) or identifier_label(labels.get(n) or n, None if n in labels else refs),
                          "role": role,
                          "kind": "party" if is_party else "identifier", "x": pos[n][0], "y": pos[n][1],
                          "contacts": weight.get(n, 0)})
    # the channel named as the reports name it (Phone call: 12), never its key (voice: 12)
    edge_rows = [{**e, "style": "contact", "label": f"{channel_name([e['channel']])}: {e['contacts']}"} for e in edges]
    if suspect:
        for u in alias_ids:
            c = claims[u]
            edge_rows.append({"source": suspect, "target": u, "channel": "alias", "contacts": 0, "event_ids": [],
                              "style": "alias", "label": f"{c.basis} ({c.strength}, {c.status})"})
    nodes = pl.DataFrame(node_rows, schema={"id": pl.String, "label": pl.String, "role": pl.String, "kind": pl.String,
                                            "x": pl.Float64, "y": pl.Float64, "contacts": pl.Int64}, orient="row")
    edge_frame = pl.DataFrame(edge_rows, schema={"source": pl.String, "target": pl.String, "channel": pl.String,
                                                 "contacts": pl.Int64, "event_ids": pl.List(pl.String),
                                                 "style": pl.String, "label": pl.String}, orient="row")
    return GraphView(nodes=nodes, edges=edge_frame, dropped_nodes=dropped)
