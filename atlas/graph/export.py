"""Exports for Gephi, i2 Analyst's Notebook and other tools: GraphML, JSON and CSV.

GraphML opens in Gephi, yEd and Cytoscape. i2 Analyst's Notebook imports tables (an
import specification maps columns to entities and links), so the CSV is one row per
edge with both ends' labels and identifiers, the channel, counts, first/last contact
(UTC and UK local) and the event ids.

GraphML holds only scalar attributes, so lists (event ids, identifiers, channels) are
written as ``; ``-separated text and times as ISO 8601 UTC. The JSON is
NetworkX's node-link form with the same attributes as real lists, plus a header saying
which identity links were followed and how contacts were counted. Both are written in
sorted order, so the same case and decisions give byte-identical files.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import networkx as nx
import polars as pl

from atlas.graph import ContactGraph, EventIds
from atlas.normalise.times import uk_display
from atlas.spreadsheet_safety import neutralise

LIST_SEPARATOR = "; "
"""Lists in GraphML and CSV cells. Not a space: source references contain spaces
(``line 12``, ``sms rowid 57``)."""


def _scalar(value: Any) -> Any:
    if isinstance(value, EventIds):
        return LIST_SEPARATOR.join(value.to_list())
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else list(value)
        return LIST_SEPARATOR.join(str(v) for v in items)
    if value is None:
        return ""
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, EventIds):
        return value.to_list()
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, tuple | set | frozenset):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    return value


def flat_graph(cg: ContactGraph) -> nx.MultiDiGraph:
    """A copy with GraphML-safe (scalar) attributes."""
    g = nx.MultiDiGraph()
    g.graph.update({k: _scalar(v) for k, v in cg.graph.graph.items()})
    for n in sorted(cg.graph.nodes):
        g.add_node(n, **{k: _scalar(v) for k, v in sorted(cg.graph.nodes[n].items())})
    for u, v, k, data in sorted(cg.graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        g.add_edge(u, v, key=k, **{a: _scalar(x) for a, x in sorted(data.items())})
    return g


def write_graphml(cg: ContactGraph, path: Path) -> Path:
    nx.write_graphml(flat_graph(cg), path, encoding="utf-8", prettyprint=True)
    return path


def graph_json(cg: ContactGraph) -> dict[str, Any]:
    nodes = [{"id": n, **{k: _jsonable(v) for k, v in sorted(cg.graph.nodes[n].items())}} for n in sorted(cg.graph.nodes)]
    edges = [
        {"source": u, "target": v, "key": k, **{a: _jsonable(x) for a, x in sorted(d.items())}}
        for u, v, k, d in sorted(cg.graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2]))
    ]
    return {
        "format": "atlas-contact-graph/1",
        "directed": True,
        "multigraph": True,
        "graph": {k: _jsonable(v) for k, v in sorted(cg.graph.graph.items())},
        "nodes": nodes,
        "edges": edges,
    }


def write_json(cg: ContactGraph, path: Path) -> Path:
    path.write_text(json.dumps(graph_json(cg), indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_csv(cg: ContactGraph, path: Path) -> Path:
    """One row per edge, for tabular imports (i2 Analyst's Notebook, spreadsheets)."""
    nodes = cg.graph.nodes
    rows = []
    for u, v, k, d in sorted(cg.graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        rows.append({
            "from_id": u, "from_label": nodes[u].get("label", u), "from_identifiers": _scalar(nodes[u].get("identifiers", [u])),
            "to_id": v, "to_label": nodes[v].get("label", v), "to_identifiers": _scalar(nodes[v].get("identifiers", [v])),
            "channel": k, "contacts": d["contacts"], "records": d["events"], "calls": d["calls"], "messages": d["messages"],
            "unanswered": d["unanswered"], "night": d["night"], "first_utc": _scalar(d["first"]),
            "last_utc": _scalar(d["last"]), "first_uk": uk_display(d["first"]), "last_uk": uk_display(d["last"]),
            "event_ids": _scalar(d["event_ids"]),
        })
    neutralise(pl.DataFrame(rows, schema=_CSV_SCHEMA)).write_csv(path)
    return path


_CSV_SCHEMA = {c: pl.String for c in ("from_id", "from_label", "from_identifiers", "to_id", "to_label",
                                       "to_identifiers", "channel")} | {
    c: pl.Int64 for c in ("contacts", "records", "calls", "messages", "unanswered", "night")} | {
    c: pl.String for c in ("first_utc", "last_utc", "first_uk", "last_uk", "event_ids")}


def write(cg: ContactGraph, path: Path) -> Path:
    """By suffix: ``.graphml`` (or ``.xml``), ``.json`` or ``.csv``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return write_json(cg, path)
    if suffix == ".csv":
        return write_csv(cg, path)
    return write_graphml(cg, path)
