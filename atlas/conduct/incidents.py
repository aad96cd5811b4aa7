"""Occasions: how contacts and presences are grouped into the incidents of a course of conduct.

The Act needs conduct "on at least two occasions" (PHA 1997 s7(3)) but does not say
what an occasion is. Atlas's documented default is one **UK local calendar day** (the
case's time zone): every contact from the suspect to the victim or her network, every
presence of his device at a protected place or near her, on one local day, is one
incident. The alternative ``session`` rule splits on quiet spells instead (contacts
less than N hours apart are one occasion), useful when conduct runs past midnight.
Either way the rule used is printed with the result, and the records of each incident
are listed so a person can regroup them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

import polars as pl

from .options import ConductOptions

ITEM_FRAME: Final = pl.Schema({
    "ts_utc": pl.Datetime("us", "UTC"), "local_date": pl.Date(), "item": pl.String(), "ref": pl.String(),
    "channel": pl.String(), "target": pl.String(), "place": pl.String(), "event_ids": pl.List(pl.String()),
    "threat": pl.Boolean(), "breach": pl.Boolean(), "night": pl.Boolean(),
    "identifiers": pl.List(pl.String()), "identifier_status": pl.String(),
})
"""One thing that happened: ``item`` is contact, authority (a report to police),
presence (his device at a protected place), near-victim (his device near hers) or
confirmed-colocation (a possible co-location an officer confirmed: :mod:`.possible_colocations`)."""


def occasion_rule(options: ConductOptions, zone: str) -> str:
    if options.occasion == "session":
        return (f"occasion = a run of contacts/presences with no quiet spell longer than {options.session_gap_hours:g} h; "
                f"dated by its first record's local date ({zone})")
    return f"occasion = one local calendar day in {zone} (midnight to midnight, GMT/BST as in force)"


def assign_occasions(items: pl.DataFrame, options: ConductOptions) -> pl.DataFrame:
    """Add ``occasion`` (an integer, in time order) and ``occasion_date`` to the items."""
    items = items.sort(["ts_utc", "ref"])
    if items.height == 0:
        return items.with_columns(pl.lit(None, pl.Int64).alias("occasion"), pl.lit(None, pl.Date).alias("occasion_date"))
    if options.occasion == "session":
        gap = pl.duration(seconds=int(options.session_gap_hours * 3600))
        new = pl.col("ts_utc").diff().is_null() | (pl.col("ts_utc").diff() > gap)
        items = items.with_columns(new.cast(pl.Int64).cum_sum().alias("occasion"))
        return items.with_columns(pl.col("local_date").first().over("occasion").alias("occasion_date"))
    return items.with_columns(
        pl.col("local_date").rank("dense").cast(pl.Int64).alias("occasion"),
        pl.col("local_date").alias("occasion_date"),
    )


def incidents(items: pl.DataFrame) -> list[dict[str, Any]]:
    """One dict per occasion, with every record behind it."""
    if items.height == 0:
        return []
    grouped = items.group_by("occasion", maintain_order=True).agg(
        pl.col("occasion_date").first().alias("date"),
        pl.col("ts_utc").min().alias("first_ts"), pl.col("ts_utc").max().alias("last_ts"),
        pl.col("channel").drop_nulls().unique().sort().alias("channels"),
        pl.col("event_ids").list.explode(keep_nulls=False, empty_as_null=False).unique().sort().alias("event_ids"),
        (pl.col("item").is_in(["contact", "authority"])).sum().alias("contacts"),
        pl.col("ref").filter(pl.col("item").is_in(["contact", "authority"])).alias("contact_ids"),
        pl.col("place").filter(pl.col("item").is_in(["presence", "near-victim", "confirmed-colocation"])).alias("places"),
        pl.col("item").filter(pl.col("item").is_in(["presence", "near-victim", "confirmed-colocation"])).alias("presence_kinds"),
        pl.col("target").drop_nulls().unique().sort().alias("targets"),
        pl.col("item").unique().sort().alias("kinds"),
        pl.col("threat").any(), pl.col("breach").any(), pl.col("night").any(),
        pl.col("identifiers").list.explode(keep_nulls=False, empty_as_null=False).unique().sort().alias("identifiers"),
        pl.col("identifier_status").drop_nulls().unique().sort().alias("identifier_statuses"),
    ).sort("occasion")
    out = []
    for r in grouped.iter_rows(named=True):
        out.append({
            "date": r["date"].isoformat(), "first_ts": r["first_ts"].isoformat(), "last_ts": r["last_ts"].isoformat(),
            "channels": r["channels"], "event_ids": r["event_ids"], "contacts": r["contacts"],
            "contact_ids": r["contact_ids"],
            "presences": [{"kind": k, "place": p} for k, p in zip(r["presence_kinds"], r["places"], strict=True)],
            "targets": r["targets"], "kinds": r["kinds"], "threat": r["threat"], "breach": r["breach"],
            "night": r["night"], "identifiers": r["identifiers"], "identifier_statuses": r["identifier_statuses"],
        })
    return out


def last_item(items: pl.DataFrame) -> tuple[date | None, datetime | None, list[str]]:
    """The last incident's local date, instant and records (the s2A clock starts there)."""
    if items.height == 0:
        return None, None, []
    last = items.sort(["ts_utc", "ref"]).tail(1).row(0, named=True)
    return last["local_date"], last["ts_utc"], list(last["event_ids"])


def per_target_occasions(items: pl.DataFrame) -> dict[str, int]:
    """Occasions on which each target was contacted (s7(3)(b): at least one each)."""
    if items.height == 0:
        return {}
    counts = items.filter(pl.col("target").is_not_null()).group_by("target").agg(pl.col("occasion").n_unique())
    return {t: int(n) for t, n in sorted(counts.iter_rows())}
