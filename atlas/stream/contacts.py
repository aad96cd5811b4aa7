"""The case's de-duplicated contacts (:func:`atlas.contacts.case_contacts`) for a case bigger
than memory: counted, paged, filtered and written one source or one time window at a time.

As for the contact graph (:mod:`atlas.stream.scan`): a record whose matching key no other
source holds is a contact on its own, so those contacts are built column-wise from each
source's partition by a lazy query (:func:`single_contacts`, the rows
:func:`atlas.contacts.dedupe_contacts` makes of a contact of one record); only the records
of keys several sources hold are collected and de-duplicated together, in the whole case's
source order. The contacts of the case are then the union of the per-source queries and
that one frame, sorted by time then contact id as :func:`~atlas.contacts.dedupe_contacts`
sorts them. ``tests/test_stream_commands.py`` holds every output made from them equal to the
one from :func:`atlas.contacts.case_contacts`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

import polars as pl

from atlas.contacts import (
    DEFAULT_TOLERANCE_S,
    OUTPUT_SCHEMA,
    case_identity_map,
    contact_records_lazy,
    dedupe_contacts,
    network_sources,
    order_from_stats,
)
from atlas.store import Case
from atlas.stream.scan import ENGINE, _owners, shared_keys

ORDER = ("ts_utc", "contact_id")
"""How :func:`atlas.contacts.dedupe_contacts` sorts its contacts (time, then contact id)."""

BATCH_CONTACTS = 500_000
"""Contacts :meth:`BoundedContacts.windows` holds at once (one time window's)."""


def single_contacts(recs: pl.LazyFrame) -> pl.LazyFrame:
    """Contact records (:func:`atlas.contacts.contact_records_lazy`) each as a contact of its
    own, in :data:`atlas.contacts.OUTPUT_SCHEMA`: the row :func:`atlas.contacts.dedupe_contacts`
    makes of a contact no other record joined."""
    return recs.select(
        ("contact/" + pl.col("event_id")).alias("contact_id"), "ts_utc", "kind", "channel_group",
        pl.concat_list(pl.col("channel").cast(pl.String)).alias("channels"),
        "sender", "recipients", "party_from", "party_to", pl.col("direction").alias("direction_hint"), "status",
        pl.col("duration_s").cast(pl.Int64), "text",
        pl.concat_list("event_id").alias("event_ids"), pl.concat_list("source_id").alias("source_ids"),
        pl.lit(1, pl.Int64).alias("n_sources"), pl.lit(0.0).alias("spread_s"),
    ).cast(dict(OUTPUT_SCHEMA))  # type: ignore[arg-type]


@dataclass(frozen=True)
class BoundedContacts:
    """The case's contacts as queries: one per source (its contacts of one record) and the
    de-duplicated contacts of keys several sources hold (in memory: the corroborated few)."""

    singles: tuple[pl.LazyFrame, ...]
    shared: pl.DataFrame

    def parts(self) -> list[pl.LazyFrame]:
        return [*self.singles, self.shared.lazy()]

    def filter(self, predicate: pl.Expr) -> BoundedContacts:
        return replace(self, singles=tuple(q.filter(predicate) for q in self.singles),
                       shared=self.shared.filter(predicate))

    def count(self) -> tuple[int, int]:
        """(contacts, the source records behind them), each source counted by a streaming scan."""
        contacts = records = 0
        for q in self.parts():
            n, r = q.select(pl.len(), pl.col("event_ids").list.len().sum()).collect(engine=ENGINE).row(0)
            contacts += int(n)
            records += int(r or 0)
        return contacts, records

    def head(self, n: int) -> pl.DataFrame:
        """The first ``n`` contacts in time order (a top-k of each source, then of them all)."""
        tops = [q.sort(*ORDER).head(n).collect(engine=ENGINE) for q in self.parts()]
        return pl.concat(tops).sort(*ORDER).head(n)

    def windows(self, *, batch: int = BATCH_CONTACTS) -> Iterator[pl.DataFrame]:
        """Every contact in time order, one time window of about ``batch`` contacts at a time
        (contacts of one time are in one window); concatenated, the whole sorted frame."""
        t = pl.col("ts_utc").dt.epoch("us")
        times = pl.concat([q.select(t).collect(engine=ENGINE).to_series() for q in self.parts()]).sort()
        cuts = sorted(set(times.gather_every(max(batch, 1)).to_list()[1:]))
        bounds = list(zip([None, *cuts], [*cuts, None], strict=True)) if times.len() else [(None, None)]
        del times
        for lo, hi in bounds:
            keep = pl.lit(True)
            if lo is not None:
                keep = keep & (t >= lo)
            if hi is not None:
                keep = keep & (t < hi)
            yield pl.concat([q.filter(keep).collect(engine=ENGINE) for q in self.parts()]).sort(*ORDER)


def bounded_contacts(case: Case, *, tolerance_s: int = DEFAULT_TOLERANCE_S, include_proposed: bool = False,
                     clock_offsets: dict[str, tuple[float, int]] | None = None,
                     same_person: Mapping[str, str] | None = None) -> BoundedContacts:
    """:func:`atlas.contacts.case_contacts` as :class:`BoundedContacts` (memory: one source's
    keys at a time, the case's distinct keys as 64-bit hashes, and the records of keys several
    sources hold). ``clock_offsets`` is filled as the whole case's de-duplication fills it;
    ``same_person`` (default: the case's identity map) is the identifier → canonical id map
    (the contact graph's nodes, :func:`atlas.graph.node_map`)."""
    mapping = dict(same_person) if same_person is not None else case_identity_map(
        case, include_proposed=include_proposed)
    owners = _owners(case)
    sids = case.source_ids()
    parts = [contact_records_lazy(case.events(sid), same_person=mapping, source_owners=owners) for sid in sids]
    stats, shared = shared_keys(parts)
    is_shared = pl.col("key").hash().is_in(shared.implode())
    singles = tuple(single_contacts(recs.filter(~is_shared)) for recs in parts)
    together = pl.DataFrame(schema=OUTPUT_SCHEMA)
    if shared.len():
        subset = [case.events(sid).join(recs.filter(is_shared).select("event_id"), on="event_id", how="semi")
                  .collect(engine=ENGINE) for sid, recs in zip(sids, parts, strict=True)]
        network = network_sources(case)
        together = dedupe_contacts(pl.concat(subset), tolerance_s=tolerance_s, same_person=mapping,
                                   source_owners=owners, reference_sources=network,
                                   source_order=order_from_stats(stats, network), clock_offsets=clock_offsets)
    if clock_offsets is not None:
        for sid in stats.get_column("source_id").to_list():
            clock_offsets.setdefault(sid, (0.0, 0))
    return BoundedContacts(singles, together)


__all__ = ["BATCH_CONTACTS", "BoundedContacts", "bounded_contacts", "single_contacts"]
