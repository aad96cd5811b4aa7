"""Whole-case aggregates computed from the store's Parquet partitions with Polars'
streaming engine: never more than a morsel of events and the aggregate in memory.

* :func:`accounting`: per source, the records its partitions hold against what its
  commit recorded (``sources.parquet``): the store's accounting on any size of case.
* :func:`pair_counts`: the contact graph's edge weights, contacts counted once under the
  de-duplication rule (:data:`atlas.contacts.MATCH_RULE`), from a streaming group-by.

Why the streaming group-by counts contacts exactly as :func:`atlas.contacts.dedupe_contacts`
does over the whole case: records are only ever matched with records of the same *key*
(kind, channel group, sender and recipients after identity resolution) held by another
source; a record whose key only one source holds is a contact on its own (the long-SMS
rule joins a call data record's parts only where another source corroborates them). So
the records of single-source keys are counted one contact each by the group-by, and only
the records of keys that several sources hold (the suspect's and the victim's returns
seeing the same texts) are collected and de-duplicated, in the whole case's source order
(:func:`atlas.contacts.source_stats`, also a streaming aggregate), so they match exactly
as they would within the whole case. ``tests/test_stream.py`` checks both against the
in-memory path on fixtures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

from atlas.contacts import (
    contact_records_lazy,
    dedupe_contacts,
    network_sources,
    order_from_stats,
    source_stats,
)
from atlas.store import Case

ENGINE: Final = "streaming"

PAIR_SCHEMA: Final = pl.Schema({
    "src": pl.String(), "dst": pl.String(), "channel": pl.String(), "kind": pl.String(),
    "contacts": pl.Int64(), "events": pl.Int64(), "answered_calls": pl.Int64(),
    "first": pl.Datetime("us", "UTC"), "last": pl.Datetime("us", "UTC"),
})
"""One row per (src, dst, channel, kind): contacts counted once, the source records
behind them, answered calls, first and last contact."""

SHARED_SCHEMA: Final = pl.Schema({
    "party_from": pl.String(), "party_to": pl.List(pl.String()), "channel": pl.String(),
    "event_ids": pl.List(pl.String()),
})


def accounting(case: Case) -> pl.DataFrame:
    """Per committed source: events and rejects in its partitions (counted by streaming
    scans) beside the counts its commit recorded, and whether they agree."""
    sources = case.sources().select("source_id", "records_read", pl.col("events").alias("events_recorded"),
                                    pl.col("rejects").alias("rejects_recorded"))
    counted = [
        lf.group_by("source_id").agg(pl.len().cast(pl.Int64).alias(name))
        for lf, name in ((case.events().select("source_id"), "events_stored"),
                         (case.rejects().select("source_id"), "rejects_stored"))
    ]
    events, rejects = pl.collect_all(counted, engine=ENGINE)
    out = sources.join(events, on="source_id", how="left").join(rejects, on="source_id", how="left").with_columns(
        pl.col("events_stored").fill_null(0), pl.col("rejects_stored").fill_null(0),
    )
    return out.with_columns(
        ((pl.col("events_stored") == pl.col("events_recorded")) & (pl.col("rejects_stored") == pl.col("rejects_recorded"))
         & (pl.col("events_recorded") + pl.col("rejects_recorded") == pl.col("records_read"))).alias("agrees"),
    ).sort("source_id")


def _owners(case: Case) -> dict[str, str]:
    with_owner = case.sources().filter(pl.col("owner").is_not_null())
    return dict(zip(with_owner.get_column("source_id").to_list(), with_owner.get_column("owner").to_list(), strict=True))


def _channel(channels: pl.Expr, group: pl.Expr) -> pl.Expr:
    """As :func:`atlas.graph.contacts_frame` names an edge's channel: the one channel, or the group."""
    return pl.when(channels.list.len() == 1).then(channels.list.first()).otherwise(group)


def _answered(kind: pl.Expr, status: pl.Expr, duration: pl.Expr) -> pl.Expr:
    return (kind == "call") & ((status == "answered") | (status.is_null() & (duration.fill_null(0) > 0)))


def _per_pair(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Contacts (one row each, ``party_to`` a list) → one row per (src, dst, channel, kind)."""
    return (
        rows.explode("party_to")
        .filter(pl.col("party_from").is_not_null() & pl.col("party_to").is_not_null())
        .group_by(pl.col("party_from").alias("src"), pl.col("party_to").alias("dst"), "channel", "kind")
        .agg(pl.len().cast(pl.Int64).alias("contacts"), pl.col("n_events").sum().cast(pl.Int64).alias("events"),
             pl.col("answered").sum().cast(pl.Int64).alias("answered_calls"),
             pl.col("ts_utc").min().alias("first"), pl.col("ts_utc").max().alias("last"))
    )


def _partitions(case: Case) -> list[pl.LazyFrame]:
    """Each committed source's event partition, scanned on its own (a missing one is an
    error, as :meth:`atlas.store.Case.events` makes it)."""
    return [case.events(sid) for sid in case.source_ids()]  # as the case reads them (a redacted view redacted)


@dataclass(frozen=True)
class PairDetail:
    """:func:`pair_counts` with what it found on the way, so the event ids behind a few
    edges can be fetched later without de-duplicating the case again
    (:func:`edge_event_ids`)."""

    pairs: pl.DataFrame
    """:data:`PAIR_SCHEMA`."""
    mapping: dict[str, str]
    owners: dict[str, str]
    shared: pl.Series
    """Hashes of the keys several sources hold (their records were de-duplicated together)."""
    shared_contacts: pl.DataFrame
    """Those records as contacts (``party_from``, ``party_to``, ``channel``, ``event_ids``)."""


def shared_keys(parts: list[pl.LazyFrame]) -> tuple[pl.DataFrame, pl.Series]:
    """Over every source's contact records (:func:`atlas.contacts.contact_records_lazy`, one
    query a source): each source's place in the matching order (:func:`atlas.contacts.source_stats`)
    and the 64-bit hashes of the keys more than one source holds, one source read at a time."""
    hashed: list[pl.DataFrame] = []
    stats: list[pl.DataFrame] = []
    for recs in parts:
        stats_q = source_stats(recs)
        assert isinstance(stats_q, pl.LazyFrame)
        keys_q = recs.select("source_id", pl.col("key").hash().alias("h")).unique()
        got_stats, got_keys = pl.collect_all([stats_q, keys_q], engine=ENGINE)
        stats.append(got_stats)
        hashed.append(got_keys)
    all_stats = pl.concat(stats) if stats else pl.DataFrame(schema={"source_id": pl.String, "n": pl.UInt32,
                                                                    "minute_only": pl.Boolean})
    shared = pl.concat(hashed).group_by("h").len().filter(pl.col("len") > 1).get_column("h") if hashed else pl.Series(
        "h", [], pl.UInt64)
    return all_stats, shared


def pair_counts(case: Case, mapping: Mapping[str, str],
                clock_offsets: dict[str, tuple[float, int]] | None = None) -> pl.DataFrame:
    """Contacts per (src, dst, channel, kind) over the whole case: :func:`pair_counts_detail`'s ``pairs``."""
    return pair_counts_detail(case, mapping, clock_offsets).pairs


def pair_counts_detail(case: Case, mapping: Mapping[str, str],
                       clock_offsets: dict[str, tuple[float, int]] | None = None) -> PairDetail:
    """Contacts per (src, dst, channel, kind) over the whole case (:data:`PAIR_SCHEMA`),
    counted once as :func:`atlas.graph.contacts_frame` counts them with ``mapping``
    (identifier → node), in memory bounded by one source's records, the case's distinct
    keys (as 64-bit hashes) and the pairs (see the module's docstring). ``clock_offsets``,
    if given, is filled as the whole-case de-duplication fills it: a source none of whose
    keys another source holds has no pair to estimate from, so its offset is (0.0, 0) there too.

    One source at a time: its keys' hashes and its place in the matching order first; then
    the keys more than one source holds (a hash collision only sends a few more records to
    the exact de-duplication below, which compares the keys themselves); then, per source,
    the pair counts of its other records, and the records of shared keys, de-duplicated
    together in the whole case's source order."""
    owners = _owners(case)
    parts = [contact_records_lazy(lf, same_person=dict(mapping), source_owners=owners) for lf in _partitions(case)]
    all_stats, shared = shared_keys(parts)
    shared_list = shared.implode()
    is_shared = pl.col("key").hash().is_in(shared_list)
    counted: list[pl.DataFrame] = []
    subset: list[pl.DataFrame] = []
    for lf, recs in zip(_partitions(case), parts, strict=True):
        single = recs.filter(~is_shared).select(
            "party_from", "party_to", pl.col("channel").cast(pl.String).alias("channel"), "kind", "ts_utc",
            pl.lit(1, pl.Int64).alias("n_events"),
            _answered(pl.col("kind"), pl.col("status").cast(pl.String), pl.col("duration_s")).alias("answered"),
        )
        queries = [_per_pair(single)]
        if shared.len():
            queries.append(lf.join(recs.filter(is_shared).select("event_id"), on="event_id", how="semi"))
        got = pl.collect_all(queries, engine=ENGINE)
        counted.append(got[0].cast(dict(PAIR_SCHEMA)))  # type: ignore[arg-type]
        if len(got) > 1 and got[1].height:
            subset.append(got[1])
    shared_contacts = pl.DataFrame(schema=SHARED_SCHEMA)
    if subset:
        network = network_sources(case)
        contacts = dedupe_contacts(pl.concat(subset), same_person=dict(mapping), source_owners=owners,
                                   reference_sources=network, source_order=order_from_stats(all_stats, network),
                                   clock_offsets=clock_offsets)
        del subset
        counted.append(_per_pair(contacts.lazy().select(
            "party_from", "party_to", _channel(pl.col("channels"), pl.col("channel_group")).alias("channel"), "kind",
            "ts_utc", pl.col("event_ids").list.len().cast(pl.Int64).alias("n_events"),
            _answered(pl.col("kind"), pl.col("status"), pl.col("duration_s")).alias("answered"),
        )).collect().cast(dict(PAIR_SCHEMA)))  # type: ignore[arg-type]
        shared_contacts = contacts.select(
            "party_from", "party_to", _channel(pl.col("channels"), pl.col("channel_group")).alias("channel"),
            "event_ids").cast(dict(SHARED_SCHEMA))  # type: ignore[arg-type]
    if clock_offsets is not None:
        for sid in all_stats.get_column("source_id").to_list():
            clock_offsets.setdefault(sid, (0.0, 0))
    if not counted:
        pairs = pl.DataFrame(schema=PAIR_SCHEMA)
    else:
        out = pl.concat(counted).group_by("src", "dst", "channel", "kind").agg(
            pl.col("contacts").sum(), pl.col("events").sum(), pl.col("answered_calls").sum(),
            pl.col("first").min(), pl.col("last").max(),
        )
        pairs = out.select(PAIR_SCHEMA.names()).cast(dict(PAIR_SCHEMA)).sort(  # type: ignore[arg-type]
            "src", "dst", "channel", "kind")
    return PairDetail(pairs, dict(mapping), owners, shared, shared_contacts)


def edge_event_ids(case: Case, detail: PairDetail, edges: Iterable[tuple[str, str, str]],
                   limit: int) -> dict[tuple[str, str, str], list[str]]:
    """The first ``limit`` event ids (sorted, each once) behind each of ``edges``
    ((src, dst, channel) of :attr:`PairDetail.pairs`, a missing channel as ``"unknown"``, as
    :func:`atlas.graph.aggregate` names it): every record of every contact on the edge, as
    :class:`atlas.graph.ContactGraph` keeps them. A streaming scan of each source filtered to
    the edges' senders, recipients and channels (records of keys one source holds are one
    contact each), and the de-duplicated contacts of shared keys kept by :func:`pair_counts_detail`;
    memory holds the edges' records, not the case's."""
    wanted = pl.DataFrame(sorted(set(edges)), schema={"src": pl.String, "dst": pl.String, "channel": pl.String},
                          orient="row")
    if wanted.height == 0:
        return {}
    ids = pl.col("event_id")
    per_edge = [pl.col("party_from").alias("src"), pl.col("party_to").alias("dst"),
                pl.col("channel").fill_null("unknown")]
    is_shared = pl.col("key").hash().is_in(detail.shared.implode())
    srcs = wanted.get_column("src").unique().implode()
    queries = [
        contact_records_lazy(lf, same_person=detail.mapping, source_owners=detail.owners)
        .filter(pl.col("party_from").is_in(srcs) & ~is_shared)
        .select(ids, pl.col("party_from"), "party_to", pl.col("channel").cast(pl.String))
        .explode("party_to").select(ids, *per_edge)
        .join(wanted.lazy(), on=["src", "dst", "channel"], how="semi")
        .group_by("src", "dst", "channel").agg(ids.unique().sort().head(limit))
        for lf in _partitions(case)
    ]
    found = [q.collect(engine=ENGINE) for q in queries]  # one source at a time (collect_all would read them together)
    shared = (detail.shared_contacts.lazy().explode("party_to").select(pl.col("event_ids").alias("event_id"), *per_edge)
              .join(wanted.lazy(), on=["src", "dst", "channel"], how="semi").explode("event_id")
              .group_by("src", "dst", "channel").agg(ids.unique().sort().head(limit)).collect())
    got = (pl.concat([*found, shared]).explode("event_id").group_by("src", "dst", "channel")
           .agg(ids.unique().sort().head(limit)))
    return {(s, d, c): list(i) for s, d, c, i in got.iter_rows()}


def pairs_from_contacts(rows: pl.DataFrame) -> pl.DataFrame:
    """The same aggregate from :func:`atlas.graph.contacts_frame`'s rows (the in-memory
    plain rule the streaming :func:`pair_counts` is tested equal to)."""
    out = rows.group_by("src", "dst", "channel", "kind").agg(
        pl.len().cast(pl.Int64).alias("contacts"), pl.col("n_events").sum().cast(pl.Int64).alias("events"),
        pl.col("answered_call").sum().cast(pl.Int64).alias("answered_calls"),
        pl.col("ts_utc").min().alias("first"), pl.col("ts_utc").max().alias("last"),
    )
    return out.select(PAIR_SCHEMA.names()).cast(dict(PAIR_SCHEMA)).sort("src", "dst", "channel", "kind")  # type: ignore[arg-type]


__all__ = ["ENGINE", "PAIR_SCHEMA", "PairDetail", "accounting", "edge_event_ids", "pair_counts", "pair_counts_detail",
           "pairs_from_contacts", "shared_keys"]
