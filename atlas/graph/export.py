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

An analyst reads these files in Gephi, yEd or i2, so what they show is in people's words
beside the machine ids, never instead of them: a node's ``label`` names a display name by the
exhibit that shows it (``Chloe (name in JA/17)``, not ``name:d6968e1b1e75f004:Chloe``) and
``identifier_labels`` (``proposed_identifier_labels``) lists its identifiers so; an edge's
``label`` names its channel as the reports do (``Phone call``, not ``voice``) and ``exhibits``
lists its records as ``JA/7, sms rowid 477``. The ids stay as they were (the node
id, ``identifiers``, ``event_ids``), so a consumer of format ``atlas-contact-graph/1`` and a
second import that merges on them read what they always read; the new fields are additions.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, Final

import networkx as nx
import polars as pl

from atlas.exhibits import LIST_SEPARATOR as EXHIBIT_SEPARATOR
from atlas.exhibits import event_ref_expr, identifier_label, join_list, list_item_expr
from atlas.export.text import xml_safe
from atlas.graph import ContactGraph, EventIds, group_label
from atlas.normalise.times import uk_display
from atlas.spreadsheet_safety import neutralise
from atlas.wording import channel_name

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


class Shown(tuple[str, ...]):
    """Items in people's words (exhibit references, labels): a GraphML or CSV cell joins them by the
    served list rule (:func:`atlas.exhibits.join_list`: an item holding ``;`` is quoted), not the
    plain join of id lists, so the cell splits back into exactly these items."""

    __slots__ = ()


def _node_words(refs: Mapping[str, str], node: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A node's shown words: its ``label`` (a display-name node names the exhibit showing the name,
    a linked group too) and its identifiers as people read them."""
    words: dict[str, Any] = {}
    kind = data.get("kind")
    if kind == "identifier":
        words["label"] = identifier_label(refs, node)
    elif kind == "group":
        words["label"] = group_label(node, list(data.get("identifiers") or [node]), identifier_label(refs, node))
    if "identifiers" in data:
        words["identifier_labels"] = Shown(identifier_label(refs, u) for u in data["identifiers"] or [])
    if "proposed_identifiers" in data:
        words["proposed_identifier_labels"] = Shown(identifier_label(refs, u) for u in data["proposed_identifiers"] or [])
    return words


class ExhibitRefs(EventIds):
    """An edge's records as ``JA/7, sms rowid 477``: a view into one column of every edge's references,
    as :class:`atlas.graph.EventIds` is into the ids (no Python string per record until a file is
    written). :meth:`cell` joins them by the served list rule (:func:`atlas.exhibits.join_list`) from
    the same references quoted once for the whole column in Polars."""

    __slots__ = ("_quoted",)

    def __init__(self, flat: pl.Series, quoted: pl.Series, start: int, n: int) -> None:
        super().__init__(flat, start, n)
        self._quoted = quoted

    def cell(self) -> str:
        return EXHIBIT_SEPARATOR.join(self._quoted.slice(self._start, self._n).to_list())


def _edge_exhibits(cg: ContactGraph, refs: Mapping[str, str]) -> dict[tuple[str, str, str], ExhibitRefs]:
    """Each edge's records as ``JA/7, sms rowid 477``, in the order of its ``event_ids``: one Polars
    pass over every edge's ids (a case's millions), then a view per edge."""
    if cg.flat_ids.len() == 0:
        return {}
    flat = pl.DataFrame({"e": cg.flat_ids}).select(event_ref_expr(refs, pl.col("e")).alias("r")).get_column("r")
    missing = flat.null_count()
    if missing:
        raise ValueError(f"{missing} record(s) of the contact graph come from no source of the case's exhibit list")
    quoted = flat.to_frame("r").select(list_item_expr(pl.col("r"))).to_series()
    return {(u, v, k): ExhibitRefs(flat, quoted, o, n)
            for u, v, k, o, n in cg.edges.select("src", "dst", "channel", "offset", "events").iter_rows()}


_NO_RECORDS: Final = Shown()


def _graph_words(cg: ContactGraph, refs: Mapping[str, str]) -> tuple[dict[str, dict[str, Any]],
                                                                     dict[tuple[str, str, str], ExhibitRefs]]:
    """Every node's shown words and every edge's records by exhibit: the plain rule :func:`graph_words`
    works out once per report (until session 18 each file written worked them out again)."""
    nodes = {n: _node_words(refs, n, d) for n, d in cg.graph.nodes(data=True)}
    return nodes, _edge_exhibits(cg, refs)


EdgeKey = tuple[str, str, str]
"""An edge of the contact graph: (src, dst, channel)."""


@dataclass(frozen=True)
class EdgeCells:
    """One edge's two long lists as GraphML or CSV cells: its event ids joined as :func:`_scalar`
    joins them, and its records by exhibit joined by the served list rule (:meth:`ExhibitRefs.cell`),
    for the ids ``flat_ids[start : start + n]``. A cell is used only for an edge whose ``event_ids``
    is that very span (:meth:`atlas.graph.EventIds.is_span`); any other edge is joined as written."""

    start: int
    n: int
    ids: str
    exhibits: str


@dataclass(frozen=True, eq=False)
class GraphWords:
    """People's words for one contact graph, worked out once for every file written from it: the
    report writes GraphML and JSON from the same graph, and each file used to work them out again
    (one Polars pass over every edge's records each). ``vectorised`` (:func:`graph_words`) joins every
    edge's cells in one Polars pass and writes the JSON's long lists with the C string encoder;
    without it (:func:`plain_words`) each cell and list is made per edge as written, the plain rule
    the fast one is held equal to (tests/test_graph_export_fast.py)."""

    cg: ContactGraph
    nodes: Mapping[str, dict[str, Any]]
    """Node → its shown words (:func:`_node_words`)."""
    exhibits: Mapping[EdgeKey, ExhibitRefs]
    """Edge → its records by exhibit (:func:`_edge_exhibits`)."""
    vectorised: bool = True
    _quoted: pl.Series | None = field(default=None, repr=False, compare=False)

    @cached_property
    def cells(self) -> Mapping[EdgeKey, EdgeCells]:
        """Every edge's cells (empty for the plain rule): made on first use, so a report writing only
        the JSON never joins them."""
        if not self.vectorised or self._quoted is None:
            return {}
        return _edge_cells(self.cg, self._quoted)

    def edge_cells(self, key: EdgeKey, event_ids: object) -> EdgeCells | None:
        """The edge's precomputed cells, if ``event_ids`` (the edge's attribute) is the span they were made from."""
        cells = self.cells.get(key)
        if cells is None or not isinstance(event_ids, EventIds):
            return None
        return cells if event_ids.is_span(self.cg.flat_ids, cells.start, cells.n) else None


def graph_words(cg: ContactGraph, refs: Mapping[str, str]) -> GraphWords:
    """:class:`GraphWords` for ``cg`` (``refs``: source id → exhibit), once for every file a report
    or ``atlas graph --out`` writes from it."""
    nodes, exhibits = _graph_words(cg, refs)
    quoted = next(iter(exhibits.values()))._quoted if exhibits else None
    return GraphWords(cg, nodes, exhibits, True, quoted)


def plain_words(cg: ContactGraph, refs: Mapping[str, str]) -> GraphWords:
    """The plain rule: each edge's cells and JSON lists are made per edge as they are written."""
    nodes, exhibits = _graph_words(cg, refs)
    return GraphWords(cg, nodes, exhibits, False)


def _edge_cells(cg: ContactGraph, quoted: pl.Series) -> dict[EdgeKey, EdgeCells]:
    """Every edge's id cell and exhibit cell in one Polars pass: each edge's span of ``flat_ids`` (and of
    its quoted references) gathered and joined per edge, where the plain rule makes a Python string of
    every record and joins them edge by edge. An edge with no records gets empty cells, as the plain
    join of no items does."""
    spans = cg.edges.select("src", "dst", "channel", "offset", "events").with_row_index("edge")
    at = (spans.select("edge", pl.int_ranges(pl.col("offset"), pl.col("offset") + pl.col("events"),
                                             dtype=pl.Int64).alias("i"))
          .explode("i").drop_nulls("i"))
    index = at.get_column("i")
    joined = (at.select("edge", cg.flat_ids.gather(index).alias("ids"), quoted.gather(index).alias("ex"))
              .group_by("edge", maintain_order=True)
              .agg(pl.col("ids").str.join(LIST_SEPARATOR), pl.col("ex").str.join(EXHIBIT_SEPARATOR)))
    full = (spans.join(joined, on="edge", how="left").sort("edge")
            .with_columns(pl.col("ids").fill_null(""), pl.col("ex").fill_null("")))
    return {(u, v, k): EdgeCells(o, n, ids, ex) for u, v, k, o, n, ids, ex in
            full.select("src", "dst", "channel", "offset", "events", "ids", "ex").iter_rows()}


def _edge_words(channel: str, exhibits: ExhibitRefs | Shown) -> dict[str, Any]:
    """An edge's shown words: its ``label`` (the channel as the reports name it: Gephi and yEd show an
    edge's label) and its records by exhibit."""
    return {"label": channel_name([channel]), "exhibits": exhibits}  # one key (or a group): never split


def _shown_scalar(value: Any) -> Any:
    if isinstance(value, ExhibitRefs):
        return value.cell()
    return join_list(value) if isinstance(value, Shown) else _scalar(value)


def _edge_scalars(words: GraphWords, key: EdgeKey, data: Mapping[str, Any]) -> dict[str, Any]:
    """An edge's GraphML attributes, sorted: its two long lists from :attr:`GraphWords.cells` where
    they were made for its very span, otherwise each joined as written (the plain rule)."""
    attrs = dict(data) | _edge_words(key[2], words.exhibits.get(key, _NO_RECORDS))
    cells = words.edge_cells(key, attrs.get("event_ids"))
    given = {} if cells is None else {"event_ids": cells.ids, "exhibits": cells.exhibits}
    return {a: given[a] if a in given else _shown_scalar(x) for a, x in sorted(attrs.items())}


def flat_graph(cg: ContactGraph, refs: Mapping[str, str], words: GraphWords | None = None) -> nx.MultiDiGraph:
    """A copy with GraphML-safe (scalar) attributes and people's words beside the ids
    (``refs``: source id → exhibit, :func:`atlas.exhibits.source_refs`; ``words``: worked out once
    for every file, :func:`graph_words`). Every text, ids included, as XML 1.0 can hold it
    (:func:`_xml`): a record's place or a name chosen by a person in the case may hold a control
    character, which lxml refuses, failing the whole export."""
    words = words if words is not None else graph_words(cg, refs)
    g = nx.MultiDiGraph()
    g.graph.update({k: _xml(_scalar(v)) for k, v in cg.graph.graph.items()})
    for n in sorted(cg.graph.nodes):
        data = dict(cg.graph.nodes[n]) | words.nodes[n]
        g.add_node(_xml(n), **{k: _xml(_shown_scalar(v)) for k, v in sorted(data.items())})
    for u, v, k, data in sorted(cg.graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        g.add_edge(_xml(u), _xml(v), key=_xml(k), **{a: _xml(x) for a, x in _edge_scalars(words, (u, v, k), data).items()})
    return g


def _xml(value: Any) -> Any:
    """``value`` with each character XML 1.0 cannot hold written as ``\\xNN`` (the rule of every XML
    export, :func:`atlas.export.text.xml_safe`); other values as they are."""
    return xml_safe(value) if isinstance(value, str) else value


def write_graphml(cg: ContactGraph, path: Path, refs: Mapping[str, str], words: GraphWords | None = None) -> Path:
    nx.write_graphml(flat_graph(cg, refs, words), path, encoding="utf-8", prettyprint=True)
    return path


def _graph_doc(cg: ContactGraph, words: GraphWords, jsonable: Callable[[Any], Any]) -> dict[str, Any]:
    nodes = [{"id": n, **{k: jsonable(v) for k, v in sorted((dict(cg.graph.nodes[n]) | words.nodes[n]).items())}}
             for n in sorted(cg.graph.nodes)]
    edges = [
        {"source": u, "target": v, "key": k,
         **{a: jsonable(x) for a, x in
            sorted((dict(d) | _edge_words(k, words.exhibits.get((u, v, k), _NO_RECORDS))).items())}}
        for u, v, k, d in sorted(cg.graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2]))
    ]
    return {
        "format": "atlas-contact-graph/1",
        "directed": True,
        "multigraph": True,
        "graph": {k: jsonable(v) for k, v in sorted(cg.graph.graph.items())},
        "nodes": nodes,
        "edges": edges,
    }


def graph_json(cg: ContactGraph, refs: Mapping[str, str], words: GraphWords | None = None) -> dict[str, Any]:
    """NetworkX's node-link form (format ``atlas-contact-graph/1``) with people's words beside the ids."""
    return _graph_doc(cg, words if words is not None else graph_words(cg, refs), _jsonable)


def _dumps(doc: object) -> str:
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


_LIST_MARK: Final = re.compile(r'"(@@atlas-graph-list-[0-9a-f]{32}-)([0-9]+)"')
_SPACES: Final = re.compile(" *")


def _json_text(cg: ContactGraph, words: GraphWords) -> str:
    """The JSON file's text with every edge's id and exhibit lists written by the C string encoder
    (``json.dumps`` with an indent encodes each of a case's millions of list items in Python): each
    list stands in the document as a mark made for this call, the document is dumped as the plain
    rule dumps it, and each mark is replaced by its list laid out as ``json.dumps`` lays it out one
    level deeper than the mark's line. A mark the text does not hold exactly once per list (a value
    of the case that happened to spell one) falls back to the plain dump."""
    mark = f"@@atlas-graph-list-{os.urandom(16).hex()}-"
    lists: list[EventIds] = []

    def jsonable(value: Any) -> Any:
        if isinstance(value, EventIds):
            lists.append(value)
            return f"{mark}{len(lists) - 1}"
        return _jsonable(value)

    text = _dumps(_graph_doc(cg, words, jsonable))
    found = [int(m.group(2)) for m in _LIST_MARK.finditer(text) if m.group(1) == mark]
    if sorted(found) != list(range(len(lists))):
        return _dumps(_graph_doc(cg, words, _jsonable))

    def laid_out(m: re.Match[str]) -> str:
        if m.group(1) != mark:
            return m.group(0)
        items = lists[int(m.group(2))].to_list()
        if not items:
            return "[]"
        line = text.rfind("\n", 0, m.start()) + 1
        pad = " " * (_SPACES.match(text, line).end() - line)  # type: ignore[union-attr]
        return "[\n" + pad + " " + (",\n" + pad + " ").join(map(encode_basestring, items)) + "\n" + pad + "]"

    return _LIST_MARK.sub(laid_out, text)


def write_json(cg: ContactGraph, path: Path, refs: Mapping[str, str], words: GraphWords | None = None) -> Path:
    words = words if words is not None else graph_words(cg, refs)
    text = _json_text(cg, words) if words.vectorised else _dumps(_graph_doc(cg, words, _jsonable))
    path.write_text(text, encoding="utf-8")
    return path


def write_csv(cg: ContactGraph, path: Path, refs: Mapping[str, str], words: GraphWords | None = None) -> Path:
    """One row per edge, for tabular imports (i2 Analyst's Notebook, spreadsheets): both ends' labels
    and identifiers (``from_identifier_labels``: ``Dan (name in JA/21)``) in people's words beside their ids
    (``from_identifiers`` holds ``name:<source id>:Dan``, a store key), the channel named as the reports
    name it (``channel_label``: ``Phone call``) beside its key (``channel``: ``voice``), and the edge's
    records by exhibit (``exhibits``, last). The id columns are kept as they were; the words are additions."""
    nodes = cg.graph.nodes
    words = words if words is not None else graph_words(cg, refs)
    node_words = words.nodes

    def label(n: str) -> str:
        return str(node_words[n].get("label", nodes[n].get("label", n)))

    def identifiers_shown(n: str) -> Any:
        # beside the ids (``name:<source id>:Dan``, what a second import merges on): as people read them
        return _shown_scalar(node_words[n].get("identifier_labels") or Shown((identifier_label(refs, n),)))

    rows = []
    for u, v, k, d in sorted(cg.graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        cells = words.edge_cells((u, v, k), d["event_ids"])
        rows.append({
            "from_id": u, "from_label": label(u), "from_identifiers": _scalar(nodes[u].get("identifiers", [u])),
            "from_identifier_labels": identifiers_shown(u),
            "to_id": v, "to_label": label(v), "to_identifiers": _scalar(nodes[v].get("identifiers", [v])),
            "to_identifier_labels": identifiers_shown(v),
            "channel": k, "channel_label": channel_name([k]), "contacts": d["contacts"], "records": d["events"], "calls": d["calls"], "messages": d["messages"],
            "unanswered": d["unanswered"], "night": d["night"], "first_utc": _scalar(d["first"]),
            "last_utc": _scalar(d["last"]), "first_uk": uk_display(d["first"]), "last_uk": uk_display(d["last"]),
            "event_ids": cells.ids if cells else _scalar(d["event_ids"]),
            "exhibits": cells.exhibits if cells else _shown_scalar(words.exhibits.get((u, v, k), _NO_RECORDS)),
        })
    neutralise(pl.DataFrame(rows, schema=_CSV_SCHEMA)).write_csv(path)
    return path


_CSV_SCHEMA = {c: pl.String for c in ("from_id", "from_label", "from_identifiers", "from_identifier_labels", "to_id",
                                       "to_label", "to_identifiers", "to_identifier_labels", "channel",
                                       "channel_label")} | {
    c: pl.Int64 for c in ("contacts", "records", "calls", "messages", "unanswered", "night")} | {
    c: pl.String for c in ("first_utc", "last_utc", "first_uk", "last_uk", "event_ids", "exhibits")}


def write(cg: ContactGraph, path: Path, refs: Mapping[str, str], words: GraphWords | None = None) -> Path:
    """By suffix: ``.graphml`` (or ``.xml``), ``.json`` or ``.csv``. ``refs`` (source id → exhibit,
    :func:`atlas.exhibits.source_refs`) names the records and display names for people; ``words``
    (:func:`graph_words` of the same graph and refs) is passed by a caller writing several files, so
    they are worked out once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return write_json(cg, path, refs, words)
    if suffix == ".csv":
        return write_csv(cg, path, refs, words)
    return write_graphml(cg, path, refs, words)
