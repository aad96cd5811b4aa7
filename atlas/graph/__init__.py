"""The contact graph: people as nodes, contacts as edges per channel (issue 7).

Nodes are people as identity resolution currently stands: ``party:<id>`` for a party in
case.toml (with every identifier the ledger attributes to it), a group of linked
identifiers no party reaches yet, or an unresolved identifier on its own. Edges are
directed (sender → recipient), one per channel (``G[u][v]["sms"]``), and, as in
Timesketch's graphs, every edge keeps the ids of the events that support it, so any line
on a chart leads back to source records.

Everything is aggregated in Polars (group by sender node, recipient node, channel)
before NetworkX sees anything: NetworkX holds one edge per (pair, channel), not one per
event, so a case of millions of events builds in seconds.

Counts on edges are de-duplicated contacts (:func:`atlas.contacts.dedupe_contacts`: the
same SMS in both handsets and the CDR is one contact) with *all* corroborating event ids
kept; ``events`` on the edge is the number of source records.

By default only the manifest attribution and confirmed alias links are followed; with
``include_proposed=True`` proposed links are followed too, and the graph says so
(``graph.graph["include_proposed"]``). Show the two side by side, never one as the other.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, overload

import networkx as nx
import polars as pl

from atlas.graph.frames import contact_rows, deduped_edge_rows, uk_night
from atlas.identity.ledger import PARTY_PREFIX
from atlas.identity.resolve import Resolution, resolve
from atlas.normalise.identifiers import display
from atlas.store import Case

LOUVAIN_SEED: Final = 42
"""Louvain is randomised: a fixed seed and sorted input make communities reproducible
(DESIGN.md "Known traps": insertion order matters even with a seed)."""

EDGE_SCHEMA: Final = pl.Schema({
    "src": pl.String(), "dst": pl.String(), "channel": pl.String(), "contacts": pl.UInt32(), "events": pl.UInt32(),
    "calls": pl.UInt32(), "messages": pl.UInt32(), "unanswered": pl.UInt32(), "night": pl.UInt32(),
    "first": pl.Datetime("us", "UTC"), "last": pl.Datetime("us", "UTC"), "offset": pl.UInt64(),
})
"""One row per edge. ``events`` ids of the edge are ``flat_ids[offset : offset + events]``
(:class:`EventIds` on the NetworkX edge), in time order."""


class EventIds(Sequence[str]):
    """The event ids behind one edge: a view into one shared column, so NetworkX holds a
    small object per edge instead of millions of Python strings. Behaves as a read-only
    list (``len``, iteration, indexing, ``==`` with a list); :meth:`to_list` copies."""

    __slots__ = ("_flat", "_n", "_start")

    def __init__(self, flat: pl.Series, start: int, n: int) -> None:
        self._flat, self._start, self._n = flat, start, n

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return self.to_list()[i]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        return str(self._flat[self._start + i])

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_list())

    def to_list(self) -> list[str]:
        return self._flat.slice(self._start, self._n).to_list()

    def is_span(self, flat: pl.Series, start: int, n: int) -> bool:
        """Whether this is the view of ``flat[start : start + n]`` (the very column, not an equal
        copy): then a cell worked out for that span of that column is this edge's."""
        return self._flat is flat and self._start == start and self._n == n

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EventIds | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        head = self._flat.slice(self._start, min(self._n, 3)).to_list()
        return f"EventIds({head}{' ...' if self._n > 3 else ''}, n={self._n})"


@dataclass
class ContactGraph:
    """The graph and the Polars frames it was built from (for tables and exports)."""

    graph: nx.MultiDiGraph
    edges: pl.DataFrame
    """One row per (src, dst, channel): see :data:`EDGE_SCHEMA`."""
    flat_ids: pl.Series
    """Every edge's event ids, edge after edge (see ``offset`` in :data:`EDGE_SCHEMA`)."""
    nodes: pl.DataFrame
    include_proposed: bool
    counting: str
    """How ``contacts`` on an edge were counted (the de-duplication rule, or "events"), in words."""
    resolution: Resolution | None = None
    network: set[str] = field(default_factory=set)
    """The victim and her network (node ids)."""
    clock_offsets: dict[str, tuple[float, int]] = field(default_factory=dict)
    """Each source's clock offset against network time, as the de-duplication estimated it
    (:func:`atlas.contacts.dedupe_contacts`; empty when contacts were not de-duplicated).
    The report's annex states them, so it need not de-duplicate the whole case again."""
    deduplicated: bool = False
    """Whether every contact of the case was de-duplicated (:attr:`Counting.deduplicated`): then
    :attr:`clock_offsets` are the de-duplication's, as :func:`atlas.contacts.case_contacts` gives them."""

    def event_ids(self, src: str, dst: str, channel: str) -> list[str]:
        return list(self.graph.edges[src, dst, channel]["event_ids"])

    def edges_with_ids(self) -> pl.DataFrame:
        """:attr:`edges` with an ``event_ids`` list column (for small cases and exports)."""
        ids = [self.flat_ids.slice(o, n).to_list() for o, n in
               zip(self.edges.get_column("offset").to_list(), self.edges.get_column("events").to_list(), strict=True)]
        return self.edges.with_columns(pl.Series("event_ids", ids, dtype=pl.List(pl.String)))


# --- building ----------------------------------------------------------------------------

def node_map(resolution: Resolution) -> dict[str, str]:
    """Identifier URI → node id for every identifier some person node holds."""
    out = {u: PARTY_PREFIX + p for u, p in resolution.owner.items()}
    out.update(resolution.groups)
    return out


def _map(expr: pl.Expr, mapping: dict[str, str]) -> pl.Expr:
    if not mapping:
        return expr
    keys = pl.Series(list(mapping), dtype=pl.String)
    vals = pl.Series(list(mapping.values()), dtype=pl.String)
    return expr.replace_strict(keys, vals, default=expr)


def _dedupe_available() -> bool:
    try:
        from atlas.contacts import dedupe_contacts  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class Counting:
    """How a graph's ``contacts`` were counted: ``deduplicated`` (every contact of the case
    de-duplicated by the rule in ``text``) or one per event, and that in words (``text``)."""

    deduplicated: bool
    text: str


def deduplicated_counting() -> Counting:
    from atlas.contacts import match_rule

    return Counting(True, "de-duplicated contacts: " + match_rule())


EVENTS_COUNTING: Final = Counting(False, "events (one per source record and recipient; not de-duplicated)")


def contacts_frame(case: Case, mapping: dict[str, str], *, dedupe: bool = True,
                   clock_offsets: dict[str, tuple[float, int]] | None = None) -> tuple[pl.DataFrame, Counting]:
    """One row per contact and recipient node: ``src``, ``dst``, ``channel``, ``kind``,
    ``ts_utc``, ``answered_call``, ``n_events``, ``event_ids`` (and how it was counted).
    ``clock_offsets``, if given, is filled as :func:`atlas.contacts.dedupe_contacts` fills it."""
    if dedupe and _dedupe_available():
        from atlas.contacts import dedupe_contacts, network_sources

        sources = case.sources().filter(pl.col("owner").is_not_null())
        owners = dict(zip(sources.get_column("source_id").to_list(), sources.get_column("owner").to_list(), strict=True))
        contacts = dedupe_contacts(case.events(), same_person=mapping, source_owners=owners,
                                   reference_sources=network_sources(case), clock_offsets=clock_offsets)
        rows = deduped_edge_rows(contacts)
        return rows, deduplicated_counting()
    rows = (
        contact_rows(case.events())
        .select(
            _map(pl.col("sender"), mapping).alias("src"), _map(pl.col("recipient"), mapping).alias("dst"),
            "channel", "kind", "ts_utc", "answered_call", pl.lit(1, pl.UInt32).alias("n_events"),
            pl.concat_list("event_id").alias("event_ids"),
        )
        .collect()
    )
    return rows, EVENTS_COUNTING


def _pair_time_key(coded: pl.DataFrame, n: int) -> pl.Expr | list[str]:
    """One unsigned 64-bit sort key (pair, then time): a single-key sort is several times
    faster than sorting by two columns. The pair takes the high bits; time fills the rest at
    the finest resolution that fits (microseconds to milliseconds for a case of a few years;
    ties keep input order). Falls back to a two-column sort if the pairs need > 48 bits."""
    pair_bits = max(1, (n * n - 1).bit_length()) if n else 1
    if coded.height == 0 or pair_bits > 48:
        return ["pair", "t"]
    t0 = int(coded.get_column("t").min())  # type: ignore[arg-type]
    span = int(coded.get_column("t").max()) - t0 + 1  # type: ignore[arg-type]
    time_bits = 64 - pair_bits
    step = max(1, -(-span // (1 << time_bits)))
    return pl.col("pair").cast(pl.UInt64) * (1 << time_bits) + ((pl.col("t") - t0) // step).cast(pl.UInt64)


def aggregate(rows: pl.DataFrame, *, zone: str = "Europe/London") -> tuple[pl.DataFrame, pl.Series]:
    """Contact rows → (one row per (src, dst, channel), the flat event ids).

    ``rows`` needs ``src``, ``dst``, ``channel``, ``kind``, ``ts_utc``, ``answered_call``,
    ``n_events`` and ``event_ids`` (a list). Contacts of a person with themselves (two of
    their own identifiers) are not edges. Work is done on integer codes of nodes and
    channels (sorting and grouping strings is what makes millions of rows slow); a contact
    counts as answered if it was an answered call or the other side made any contact back
    within :data:`atlas.graph.frames.RESPONSE_WINDOW`.
    """
    rows = rows.filter(pl.col("src") != pl.col("dst"))
    # One categorical cast codes every node (src and dst together) in a single hashing pass.
    both = pl.concat([rows.get_column("src"), rows.get_column("dst")]).cast(pl.Categorical).to_physical()
    codes = both.cast(pl.UInt64)
    n_rows = rows.height
    channel = rows.get_column("channel").cast(pl.String).fill_null("unknown")
    window_us = 24 * 3600 * 1_000_000
    coded = pl.DataFrame({
        "s": codes.slice(0, n_rows), "d": codes.slice(n_rows, n_rows),
        "c": channel.cast(pl.Categorical).to_physical().cast(pl.UInt32),
    }).hstack(rows.select(
        pl.col("ts_utc").dt.epoch("us").alias("t"),
        (pl.col("kind") == "call").alias("is_call"),
        pl.col("answered_call").fill_null(False),
        pl.col("event_ids").list.len().cast(pl.UInt32).alias("n_events"),
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("r"),
        uk_night(pl.col("ts_utc"), zone).alias("is_night"),
    ))
    n = codes.len() and int(codes.max()) + 1  # type: ignore[arg-type]
    # Replies: sort by unordered pair then time; the next contact the other way is a
    # backward fill of its time within the pair (no per-pair Python, no string keys).
    lo, hi = pl.min_horizontal("s", "d"), pl.max_horizontal("s", "d")
    coded = coded.with_columns((lo * n + hi).alias("pair"), (pl.col("s") < pl.col("d")).alias("fwd"))
    coded = coded.sort(_pair_time_key(coded, n), maintain_order=True)
    nxt = []
    for way in (True, False):
        nxt.append(
            pl.when(pl.col("fwd") == way).then(pl.struct(p="pair", t="t")).otherwise(None).backward_fill().alias(f"n{int(way)}")
        )
    coded = coded.with_columns(nxt).with_columns(
        pl.when(pl.col("fwd")).then(pl.col("n0")).otherwise(pl.col("n1")).alias("back")
    ).with_columns(
        # no contact the other way anywhere after it (the last rows of the sort): not answered
        (pl.col("answered_call") | ((pl.col("back").struct.field("p") == pl.col("pair"))
                                    & (pl.col("back").struct.field("t") - pl.col("t") <= window_us)).fill_null(False)
         ).alias("responded")
    ).drop("n0", "n1", "back", "pair", "fwd")
    # Rows are in (pair, time) order, so each edge's rows keep time order inside its group.
    edges = (
        coded.group_by("s", "d", "c")
        .agg(
            pl.len().cast(pl.UInt32).alias("contacts"),
            pl.col("n_events").sum().cast(pl.UInt32).alias("events"),
            pl.col("is_call").sum().cast(pl.UInt32).alias("calls"),
            (~pl.col("is_call")).sum().cast(pl.UInt32).alias("messages"),
            (~pl.col("responded")).sum().cast(pl.UInt32).alias("unanswered"),
            pl.col("is_night").sum().cast(pl.UInt32).alias("night"),
            pl.col("t").min().alias("first"),
            pl.col("t").max().alias("last"),
            pl.col("r").alias("rows"),
        )
        .with_columns(pl.col("rows").list.first().alias("r"))
    )
    first_rows = edges.get_column("r")
    edges = (
        edges.with_columns(
            rows.get_column("src").gather(first_rows).alias("src"),
            rows.get_column("dst").gather(first_rows).alias("dst"),
            channel.gather(first_rows).alias("channel"),
        )
        .sort("src", "dst", "channel")
        .with_columns(
            (pl.col("events").cum_sum() - pl.col("events")).cast(pl.UInt64).alias("offset"),
            pl.from_epoch("first", "us").dt.replace_time_zone("UTC"),
            pl.from_epoch("last", "us").dt.replace_time_zone("UTC"),
        )
    )
    order = edges.get_column("rows").explode()
    flat = rows.get_column("event_ids").gather(order).explode(keep_nulls=False, empty_as_null=False)
    edges = edges.select(EDGE_SCHEMA.names()).cast(dict(EDGE_SCHEMA))  # type: ignore[arg-type]
    return edges, flat.rename("event_id")


def graph_from_edges(edges: pl.DataFrame, flat_ids: pl.Series, nodes: pl.DataFrame | None = None) -> nx.MultiDiGraph:
    """NetworkX from the aggregated frame: nodes and edges added in sorted order."""
    g = nx.MultiDiGraph()
    if nodes is not None and nodes.height:
        for row in nodes.sort("node").iter_rows(named=True):
            node = row.pop("node")
            g.add_node(node, **row)
    names = set(edges.get_column("src").to_list()) | set(edges.get_column("dst").to_list())
    for n in sorted(names - set(g.nodes)):
        g.add_node(n, label=display(n), kind="identifier")
    # Column-wise to Python (fast); NetworkX gets one edge per (pair, channel), never an event.
    attrs = [c for c in edges.columns if c not in ("src", "dst", "channel", "offset")]
    columns = [edges.get_column(c).to_list() for c in attrs]
    srcs, dsts, chans, offsets, counts = (
        edges.get_column(c).to_list() for c in ("src", "dst", "channel", "offset", "events"))
    contacts = edges.get_column("contacts").to_list()
    add = g.add_edge  # one call per edge (add_edges_from re-reads each edge through views: 2x slower)
    for u, v, k, o, m, w, *vals in zip(srcs, dsts, chans, offsets, counts, contacts, *columns, strict=True):
        add(u, v, k, channel=k, weight=w, event_ids=EventIds(flat_ids, o, m), **dict(zip(attrs, vals, strict=True)))
    return g


def group_label(group: str, members: Sequence[str], shown: str | None = None) -> str:
    """How a node of linked identifiers no party reaches is labelled: its id (or ``shown``, the id as
    an export names it for a person) and how many more."""
    return (display(group) if shown is None else shown) + f" (+{len(members) - 1} linked)"


def _nodes(case: Case, resolution: Resolution, seen: set[str]) -> pl.DataFrame:
    """The graph's nodes. A node's ``label`` is what people read (the CLI's tables, the demo's top pairs,
    the report's chart): a party by its name, an identifier as :func:`atlas.exhibits.identifier_label`
    shows it (a display name with the exhibit that shows it: ``D (name in JA/16)``, never ``D`` alone),
    a linked group by its smallest identifier so and how many more, as the exports label them."""
    from atlas.exhibits import identifier_label, source_refs

    refs = source_refs(case)
    ev = case.events()
    used = set(pl.concat([ev.select(pl.col("sender").alias("u")), ev.select(pl.col("recipients").explode().alias("u"))])
               .drop_nulls().unique().collect().get_column("u").to_list())
    rows: list[dict[str, Any]] = []
    for p in case.manifest.parties:
        # display names are attributed in every source; list only those a source shows
        claims = resolution.claims.get(p.id, {})
        ids = sorted(u for u in claims if not u.startswith("name:") or u in used)
        rows.append({"node": PARTY_PREFIX + p.id, "label": p.name or p.id, "kind": "party", "role": p.role,
                     "party": p.id, "identifiers": ids, "n_identifiers": len(ids),
                     "proposed_identifiers": [u for u in ids if claims[u].status == "proposed"]})
    groups: dict[str, list[str]] = {}
    for uri, g in resolution.groups.items():
        groups.setdefault(g, []).append(uri)
    for g, members in sorted(groups.items()):
        rows.append({"node": g, "label": group_label(g, members, identifier_label(refs, g)), "kind": "group", "role": "",
                     "party": "", "identifiers": sorted(members), "n_identifiers": len(members),
                     "proposed_identifiers": sorted(members) if resolution.include_proposed else []})
    have = {r["node"] for r in rows}
    for n in sorted(seen - have):
        rows.append({"node": n, "label": identifier_label(refs, n), "kind": "identifier", "role": "", "party": "",
                     "identifiers": [n], "n_identifiers": 1, "proposed_identifiers": []})
    schema: dict[str, Any] = {"node": pl.String, "label": pl.String, "kind": pl.String, "role": pl.String, "party": pl.String,
              "identifiers": pl.List(pl.String), "n_identifiers": pl.Int64, "proposed_identifiers": pl.List(pl.String)}
    return pl.DataFrame(rows, schema=schema).sort("node")


def build_graph(case: Case, *, include_proposed: bool = False, dedupe: bool = True) -> ContactGraph:
    """The case's contact graph as identity resolution stands (confirmed links only,
    unless ``include_proposed``)."""
    resolution = resolve(case, include_proposed=include_proposed)
    mapping = node_map(resolution)
    offsets: dict[str, tuple[float, int]] = {}
    rows, counting = contacts_frame(case, mapping, dedupe=dedupe, clock_offsets=offsets)
    edges, flat = aggregate(rows, zone=case.manifest.timezone)
    return contact_graph(case, resolution, edges, flat, include_proposed=include_proposed, counting=counting,
                         offsets=offsets)


def contact_graph(case: Case, resolution: Resolution, edges: pl.DataFrame, flat: pl.Series, *, include_proposed: bool,
                  counting: Counting, offsets: dict[str, tuple[float, int]], draw_edges: bool = True) -> ContactGraph:
    """The :class:`ContactGraph` of aggregated ``edges``: their nodes, the victim's network and
    the communities. ``draw_edges`` false (the streaming engine, whose ``flat`` ids are empty):
    the NetworkX graph holds the nodes only; the edges stay in the frame."""
    seen = set(edges.get_column("src").to_list()) | set(edges.get_column("dst").to_list())
    nodes = _nodes(case, resolution, seen)
    network = victim_network_nodes(case, edges)
    nodes = nodes.with_columns(pl.col("node").is_in(sorted(network)).alias("victim_network"))
    g = graph_from_edges(edges if draw_edges else edges.clear(), flat, nodes)
    g.graph.update({"case": case.manifest.reference, "include_proposed": include_proposed, "counting": counting.text,
                    "identity": "case.toml + confirmed and proposed links" if include_proposed
                    else "case.toml + confirmed links only"})
    cg = ContactGraph(g, edges, flat, nodes, include_proposed, counting.text, resolution, network, offsets,
                      deduplicated=counting.deduplicated)
    communities(cg)
    return cg


def build_from_rows(rows: pl.DataFrame | pl.LazyFrame, *, zone: str = "Europe/London") -> ContactGraph:
    """A graph straight from contact rows (``src``, ``dst``, ``channel``, ``kind``,
    ``ts_utc``, ``answered_call``, ``n_events``, ``event_ids``): benchmarks and callers
    that resolved identities themselves."""
    frame = rows.collect() if isinstance(rows, pl.LazyFrame) else rows
    edges, flat = aggregate(frame, zone=zone)
    return ContactGraph(graph_from_edges(edges, flat), edges, flat, pl.DataFrame(), False, "rows as given")


# --- measures -------------------------------------------------------------------------------

def victim_network_nodes(case: Case, edges: pl.DataFrame) -> set[str]:
    """The victim, witnesses, and anyone else (a party or an unresolved identifier) in
    contact both ways with the victim, except the suspect."""
    parties = case.manifest.parties
    victims = {PARTY_PREFIX + p.id for p in parties if p.role == "victim"}
    suspects = {PARTY_PREFIX + p.id for p in parties if p.role == "suspect"}
    pairs = set(zip(edges.get_column("src").to_list(), edges.get_column("dst").to_list(), strict=True))
    both = {a for a, b in pairs if b in victims and (b, a) in pairs}
    return victims | {PARTY_PREFIX + p.id for p in parties if p.role == "witness"} | (both - suspects)


def pairs(cg: ContactGraph) -> pl.DataFrame:
    """Who contacts whom, all channels together: contacts each way, unanswered rate,
    first and last contact, channels, and the event ids behind them."""
    e = cg.edges
    fwd = e.group_by("src", "dst").agg(
        pl.col("contacts").sum(), pl.col("events").sum(), pl.col("calls").sum(), pl.col("messages").sum(),
        pl.col("unanswered").sum(), pl.col("night").sum(), pl.col("first").min(), pl.col("last").max(),
        pl.col("channel").sort().alias("channels"),
    )
    back = fwd.select(pl.col("src").alias("dst"), pl.col("dst").alias("src"), pl.col("contacts").alias("contacts_back"))
    return (
        fwd.join(back, on=["src", "dst"], how="left")
        .with_columns(
            pl.col("contacts_back").fill_null(0),
            (pl.col("unanswered") / pl.col("contacts")).alias("unanswered_rate"),
        )
        .with_columns((pl.col("contacts_back") / (pl.col("contacts") + pl.col("contacts_back"))).alias("reciprocity"))
        .sort(["contacts", "src", "dst"], descending=[True, False, False])
    )


def third_party_contacts(cg: ContactGraph, party: str = "suspect") -> pl.DataFrame:
    """Contact from ``party`` (a party id; default the suspect role) to the victim's
    network other than the victim: family, friends, employer."""
    suspects = {PARTY_PREFIX + party} if not party.startswith(PARTY_PREFIX) else {party}
    if cg.resolution is not None and party == "suspect":
        suspects = {PARTY_PREFIX + p for p in cg.resolution.claims} & set(cg.graph.nodes)
        suspects = {n for n in suspects if cg.graph.nodes[n].get("role") == "suspect"}
    victims = {n for n in cg.network if cg.graph.has_node(n) and cg.graph.nodes[n].get("role") == "victim"}
    others = sorted(cg.network - victims)
    return pairs(cg).filter(pl.col("src").is_in(sorted(suspects)) & pl.col("dst").is_in(others))


def communities(cg: ContactGraph, *, seed: int = LOUVAIN_SEED) -> list[list[str]]:
    """Louvain communities on the undirected, contact-weighted graph, reproducibly: nodes
    and edges are inserted in sorted order, the seed is fixed, and communities are
    numbered by size then first node. Sets ``community`` on every node."""
    simple = nx.Graph()
    simple.add_nodes_from(sorted(cg.graph.nodes))
    undirected = (
        cg.edges.select(pl.min_horizontal("src", "dst").alias("a"), pl.max_horizontal("src", "dst").alias("b"), "contacts")
        .group_by("a", "b").agg(pl.col("contacts").sum().alias("weight")).sort("a", "b")
    )
    simple.add_weighted_edges_from(undirected.iter_rows())
    if simple.number_of_edges() == 0:
        found = [[n] for n in sorted(simple.nodes)]
    else:
        found = [sorted(c) for c in nx.community.louvain_communities(simple, weight="weight", seed=seed)]
    found.sort(key=lambda c: (-len(c), c[0]))
    for i, members in enumerate(found):
        for n in members:
            cg.graph.nodes[n]["community"] = i
    return found
