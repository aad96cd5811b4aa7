"""Breaches of orders: contact inside an order's window, presence inside an exclusion zone.

For each order in case.toml made against the suspect:

* every de-duplicated contact from the suspect to the protected person between the
  order's start and end (by any identifier of the suspect in the view, each breach
  saying which and whether it is attributed, confirmed or proposed); drafts never count
  because they are never contacts;
* every episode of his device's positions inside an exclusion zone in the window,
  saying whether the accuracy circles lay wholly inside or straddled the boundary;
  positions reported just outside whose accuracy circle reaches inside, and positions
  with no stated accuracy, are listed as *possible* only, never as breaches; cell-site
  records are never presence.

What a breach *is* in law (offence, contempt, or not an offence) comes from the rules
file, with its citation. Contact with others in her network during the order is listed
separately: whether the order forbids indirect contact depends on its wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from atlas.normalise.times import isoformat_utc
from atlas.rules import Rules
from atlas.store.manifest import Manifest, Order

from .colocation import place_episodes
from .options import ConductOptions
from .parties import Cast


def order_name(order: Order) -> str:
    return order.reference or f"{order.type} from {order.start:%Y-%m-%d}"


def _window(ts: pl.Expr, order: Order) -> pl.Expr:
    cond = ts >= order.start
    if order.end is not None:
        cond = cond & (ts < order.end)
    return cond



def _contact_breaches(direct: pl.DataFrame, order: Order, rule: str, zone: str) -> list[dict[str, Any]]:
    """One breach per contact in ``direct``, built column-wise: a case can hold many
    thousands, and a Python function per row was most of the analysis time."""
    return direct.select(
        pl.lit(order_name(order)).alias("order"), pl.lit(order.type).alias("order_type"),
        pl.lit("contact").alias("kind"), isoformat_utc(pl.col("ts_utc")).alias("ts"),
        pl.col("ts_utc").dt.convert_time_zone(zone).dt.date().cast(pl.String).alias("date"),
        "event_ids", "contact_id", "channel", pl.col("kind").alias("contact_kind"), "identifiers",
        "identifier_status", pl.col("n_sources").alias("sources"), pl.lit(rule).alias("breach_rule"),
    ).to_dicts()


_SEQ_STRIDE = 1 << 32
"""Rows one order's contacts may hold in :meth:`BreachRows.contact_rows`' ``seq`` (far more than any case)."""

CONTACT_ROWS = pl.Schema({
    "order": pl.String(), "kind": pl.String(), "ts": pl.String(), "ts_utc": pl.Datetime("us", "UTC"),
    "channel": pl.String(), "identifiers": pl.List(pl.String()), "identifier_status": pl.String(),
    "event_ids": pl.List(pl.String()), "seq": pl.Int64(),
})


def _sort_key(b: dict[str, Any]) -> tuple[Any, ...]:
    return (b["ts"], b["kind"], b["order"])


@dataclass
class BreachRows:
    """The breaches :func:`find_breaches` found, as their rows are made only when asked for.

    What the analysis itself needs (how many, which contacts and zone records) is read
    from the contact frames column-wise; :meth:`dicts` makes the rows (one dictionary per
    breach, in time order) exactly as the plain rule always did, the first time an output
    asks for them: a case with 166,000 breaches spent over a second turning them into
    Python rows on every recomputation, though a headline only counts them."""

    contact_frames: list[tuple[pl.DataFrame, Order, str]] = field(default_factory=list)
    """Per order (in case.toml order) the contacts that breach it, its type and breach rule."""
    zone: str = "UTC"
    zone_breaches: list[dict[str, Any]] = field(default_factory=list)
    """Presence in exclusion zones (few: built as rows at once)."""
    order_sequence: list[tuple[str, int]] = field(default_factory=list)
    """``("contact", i)`` / ``("zone", j)``: the order the plain rule appended the rows in."""
    _rows: list[dict[str, Any]] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return sum(f.height for f, _, _ in self.contact_frames) + len(self.zone_breaches)

    def contact_ids(self) -> set[str]:
        """The contacts that breach an order."""
        return {c for f, _, _ in self.contact_frames for c in f.get_column("contact_id").to_list()}

    def zone_event_ids(self) -> set[str]:
        """The records of presence in an exclusion zone."""
        return {e for b in self.zone_breaches for e in b["event_ids"]}

    def contact_rows(self) -> pl.DataFrame:
        """The contact breaches of :meth:`dicts`, column-wise and unsorted: one frame of every
        order's contacts with the row's ``order``, ``kind``, ``ts`` (the row's text, which
        :meth:`dicts` sorts by), ``ts_utc``, ``channel``, ``identifiers``, ``identifier_status``,
        ``event_ids``, and ``seq``: the place the plain rule appended the row at (with
        :meth:`zone_rows`' ``seq``, what makes a sort by ``ts``, ``kind``, ``order``, ``seq``
        the plain rule's stable sort). For tables of many breaches (the workbench's), which
        need no Python row per breach."""
        parts = []
        for at, (kind, i) in enumerate(self.order_sequence):
            if kind != "contact":
                continue
            frame, order, _rule = self.contact_frames[i]
            parts.append(frame.select(
                pl.lit(order_name(order)).alias("order"), pl.lit("contact").alias("kind"),
                isoformat_utc(pl.col("ts_utc")).alias("ts"), pl.col("ts_utc").dt.convert_time_zone("UTC"),
                pl.col("channel").cast(pl.String), pl.col("identifiers").cast(pl.List(pl.String)),
                pl.col("identifier_status").cast(pl.String), pl.col("event_ids").cast(pl.List(pl.String)),
                ((pl.int_range(pl.len(), dtype=pl.Int64)) + at * _SEQ_STRIDE).alias("seq"),
            ))
        if not parts:
            return pl.DataFrame(schema=CONTACT_ROWS)
        return pl.concat(parts).cast(dict(CONTACT_ROWS))  # type: ignore[arg-type]

    def zone_rows(self) -> list[tuple[int, dict[str, Any]]]:
        """The exclusion-zone rows of :meth:`dicts` (few), each with its ``seq`` (see :meth:`contact_rows`)."""
        return [(at * _SEQ_STRIDE, self.zone_breaches[i]) for at, (kind, i) in enumerate(self.order_sequence)
                if kind != "contact"]

    def dicts(self) -> list[dict[str, Any]]:
        """Every breach as a row, in time order (then kind, order): the plain rule's rows."""
        if self._rows is None:
            rows: list[dict[str, Any]] = []
            for kind, i in self.order_sequence:
                if kind == "contact":
                    frame, order, rule = self.contact_frames[i]
                    rows.extend(_contact_breaches(frame, order, rule, self.zone))
                else:
                    rows.append(self.zone_breaches[i])
            rows.sort(key=_sort_key)
            self._rows = rows
        return self._rows


def find_breaches(
    manifest: Manifest, cast: Cast, rules: Rules, contacts: pl.DataFrame, zone_pairs: pl.DataFrame,
    options: ConductOptions,
) -> tuple[BreachRows, list[dict[str, Any]], list[dict[str, Any]]]:
    """(breaches, possible breaches, per-order summaries), in time order."""
    zone = manifest.timezone
    breaches = BreachRows(zone=zone)
    possible: list[dict[str, Any]] = []
    summaries: list[dict[str, Any]] = []
    conduct = contacts.filter(pl.col("role") == "conduct")
    for order in manifest.orders:
        ot = rules.order_type(order.type)
        rule = f"{ot.title}: {ot.breach_summary}"
        summary: dict[str, Any] = {
            "order": order_name(order), "type": order.type, "title": ot.title, "against": order.against,
            "protects": order.protects, "start": order.start.isoformat(),
            "end": order.end.isoformat() if order.end else None, "no_contact": order.no_contact,
            "exclusion_zones": list(order.exclusion_zones), "conditions": order.conditions,
            "breach_rule": rule, "order_citation": ot.citation, "breach_counts_as_incident": ot.breach_is_incident,
            "assumptions": list(order.assumptions),
            "law": [rules.provision(p).summary for p in ot.provisions],
        }
        if ot.depends_on:
            needed = rules.provision(ot.depends_on)
            if needed.in_force_on(order.start.astimezone(ZoneInfo(zone)).date()) is False:
                summary["law_warning"] = (
                    f"the order starts on {order.start.astimezone(ZoneInfo(zone)):%d/%m/%Y}, before {needed.title} "
                    f"applied anywhere ({needed.status} from {needed.in_force_from:%d/%m/%Y}; {needed.citation}): "
                    "check the order's type and date")
        if order.against != cast.suspect:
            summary["note"] = f"not analysed: the order is against {order.against}, the analysis is of {cast.suspect}"
            summaries.append(summary)
            continue
        in_window = conduct.filter(_window(pl.col("ts_utc"), order))
        to_protected = pl.col("party_to").list.contains(order.protects)
        direct = in_window.filter(to_protected) if order.no_contact else in_window.head(0)
        found: list[dict[str, Any]] = []  # presence in its exclusion zones (contacts stay a frame: BreachRows)
        indirect = in_window.filter(~to_protected)
        zones = list(order.exclusion_zones)
        pairs = zone_pairs.filter(pl.col("place").is_in(zones) & _window(pl.col("ts_utc"), order)) if zones else zone_pairs.head(0)
        for ep in place_episodes(pairs, options):
            found.append({
                "order": order_name(order), "order_type": order.type, "kind": "exclusion-zone",
                "ts": ep["start"].isoformat(), "end": ep["end"].isoformat(),
                "date": ep["start"].astimezone(ZoneInfo(zone)).date().isoformat(), "place": ep["place"],
                "event_ids": ep["event_ids"], "points": ep["points"], "min_distance_m": ep["min_distance_m"],
                "certainty": ep["certainty"], "precision": ep["precision"], "identifier_status": None,
                "breach_rule": rule,
            })
        # a possible point within one episode gap of a counted breach is the same visit, already counted
        gap = timedelta(minutes=options.episode_gap_minutes)
        counted = [(b["place"], datetime.fromisoformat(b["ts"]) - gap, datetime.fromisoformat(b["end"]) + gap)
                   for b in found if b["kind"] == "exclusion-zone"]
        within = 0
        for ep in place_episodes(pairs, options, present=False):
            start, end = ep["start"].isoformat(), ep["end"].isoformat()
            if any(p == ep["place"] and s <= ep["start"] and ep["end"] <= e for p, s, e in counted):
                within += 1
                continue
            possible.append({
                "order": order_name(order), "kind": "exclusion-zone (possible)", "ts": start, "end": end,
                "place": ep["place"], "event_ids": ep["event_ids"], "min_distance_m": ep["min_distance_m"],
                "certainty": ep["certainty"], "precision": ep["precision"], "basis": ep["basis"],
                "statuses": tuple(ep["statuses"]),
            })
        statuses = direct.get_column("identifier_status")
        summary |= {
            "contact_breaches": direct.height,
            "zone_breaches": len(found),
            "by_identifier_status": {s: int((statuses == s).sum()) for s in ("attributed", "confirmed", "proposed")},
            "indirect_contacts": indirect.height,
            "indirect_contact_targets": sorted(set(indirect.get_column("target").drop_nulls().to_list())),
            "indirect_note": "contact with others in the victim's network while the order was in force: whether this breaches "
                             "the order depends on its terms (e.g. 'directly or indirectly'); not counted as breaches",
            "possible_within_breaches": within,
        }
        if not order.no_contact:
            summary["note"] = "the order has no no-contact condition (no_contact = false): contacts are not breaches"
        summaries.append(summary)
        if direct.height:
            breaches.order_sequence.append(("contact", len(breaches.contact_frames)))
            breaches.contact_frames.append((direct, order, rule))
        for b in found:
            breaches.order_sequence.append(("zone", len(breaches.zone_breaches)))
            breaches.zone_breaches.append(b)
    possible.sort(key=lambda b: (b["ts"], b["order"]))
    return breaches, possible, summaries
