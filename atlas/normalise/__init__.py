"""Raw parser rows → normalised events: the one shared normalisation step.

Parsers hand over what the source says; this module decides, the same way for every
format: identifiers to URIs (once per distinct value), wall-clock times to UTC with
their basis, direction relative to the source's owner, stable event ids, and rows
that cannot be events (no time where a time is essential) to rejects.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import polars as pl

from atlas.model import (
    EVENT_SCHEMA,
    RAW_EVENT_SCHEMA,
    REJECT_SCHEMA,
    TIMED_KINDS,
    TS_TYPE,
    conform,
)
from atlas.normalise.identifiers import identifier_map
from atlas.normalise.times import localise


@dataclass(frozen=True)
class Normalised:
    events: pl.DataFrame
    rejects: pl.DataFrame


def event_ids(source_id: str, refs: pl.Expr) -> pl.Expr:
    """``<source_id>/<source_ref>``: stable across re-ingests, and readable in court.

    DESIGN.md asked for a hash of (source hash, source_ref); the composite carries the
    same information, is equally stable, and tells a reader where the record is.
    """
    return pl.lit(source_id + "/") + refs


def _map_identifiers(frame: pl.DataFrame, *, source_id: str, region: str) -> pl.DataFrame:
    # Distinct values of each column first: hashing two columns separately is cheaper than
    # concatenating millions of strings and hashing the copy.
    raw = pl.concat(
        [frame.get_column("sender").unique(), frame.get_column("recipients").explode().unique()], how="vertical"
    ).rename("raw")
    mapping = identifier_map(raw, source_id=source_id, region=region)
    lookup = dict(zip(mapping["raw"].to_list(), mapping["uri"].to_list(), strict=True))
    if not lookup:
        return frame
    keys = pl.Series(list(lookup.keys()), dtype=pl.String)
    values = pl.Series(list(lookup.values()), dtype=pl.String)
    return frame.with_columns(
        pl.col("sender").replace_strict(keys, values, default=None),
        pl.col("recipients").list.eval(pl.element().replace_strict(keys, values, default=None)),
    )


def _times(frame: pl.DataFrame, zone: str) -> pl.DataFrame:
    local_utc, local_basis = localise(frame.get_column("ts_local"), zone)
    end_utc, _ = localise(frame.get_column("ts_end_local"), zone)
    return frame.with_columns(
        pl.when(pl.col("ts_utc").is_not_null()).then(pl.col("ts_utc")).otherwise(pl.lit(local_utc)).cast(TS_TYPE).alias("ts_utc"),
        pl.when(pl.col("ts_utc").is_not_null())
        .then(pl.col("ts_basis").cast(pl.String).fill_null("utc"))
        .otherwise(pl.lit(local_basis))
        .alias("ts_basis"),
        pl.when(pl.col("ts_end_utc").is_not_null()).then(pl.col("ts_end_utc")).otherwise(pl.lit(end_utc)).cast(TS_TYPE).alias("ts_end_utc"),
    )


def _direction(frame: pl.DataFrame, owner_uris: Collection[str]) -> pl.Expr:
    owners = pl.Series(sorted(owner_uris), dtype=pl.String)
    given = pl.col("direction").cast(pl.String)
    by_owner = (
        pl.when(pl.col("sender").is_in(owners.implode()))
        .then(pl.lit("out"))
        .when(pl.col("recipients").list.eval(pl.element().is_in(owners.implode())).list.any())
        .then(pl.lit("in"))
        .otherwise(pl.lit("unknown"))
    )
    if not owner_uris:
        return given.fill_null("unknown")
    column = frame.get_column("direction").cast(pl.String)
    if not (column.is_null().any() or (column == "unknown").any()):
        return given  # every row says its direction: skip the per-row owner test
    return pl.when(given.is_null() | (given == "unknown")).then(by_owner).otherwise(given)


def to_events(
    raw: pl.DataFrame,
    *,
    source_id: str,
    timezone: str,
    region: str,
    owner_uris: Collection[str] = (),
) -> Normalised:
    """Normalise one source's raw rows. Row order is kept (it is the source's order)."""
    frame = conform(raw, RAW_EVENT_SCHEMA).with_columns(
        pl.col("recipients").fill_null(pl.lit([], pl.List(pl.String))),
        pl.col("attachments").fill_null(pl.lit([], pl.List(pl.String))),
        pl.col("deleted").fill_null(False),
    )
    refs = frame.get_column("source_ref")
    # Equal strings hash equal, so distinct 64-bit hashes prove the refs distinct (one cheap
    # pass); only if some hashes coincide is the exact (slower) test run.
    if refs.hash().n_unique() != refs.len():
        dup = frame.filter(pl.col("source_ref").is_duplicated()).get_column("source_ref").head(3).to_list()
        if dup:
            raise ValueError(f"parser produced duplicate source_ref values, e.g. {dup}")
    frame = _map_identifiers(frame, source_id=source_id, region=region)
    frame = _times(frame, timezone)
    if owner_uris:
        # The owner never contacts themself: a recipient list that names the owner on a
        # message the owner sent (one-sided chat exports) keeps only the other parties.
        owners = pl.Series(sorted(owner_uris), dtype=pl.String).implode()
        # Found with native list.contains first (cheap on millions of rows); the per-list
        # filter runs only when some row needs it.
        self_addressed = pl.col("sender").is_in(owners) & pl.any_horizontal(
            [pl.col("recipients").list.contains(pl.lit(o, pl.String)) for o in sorted(owner_uris)])
        rows = frame.select(pl.arg_where(self_addressed).alias("_row")).to_series()
        if rows.len():
            fixed = frame[rows].select(
                rows.cast(pl.UInt32).alias("_row"),
                pl.col("recipients").list.eval(pl.element().filter(~pl.element().is_in(owners))).alias("_fixed"),
            )
            frame = (
                frame.with_row_index("_row").join(fixed, on="_row", how="left", maintain_order="left")
                .with_columns(pl.coalesce("_fixed", "recipients").alias("recipients")).drop("_row", "_fixed")
            )
    frame = frame.with_columns(
        _direction(frame, owner_uris).alias("direction"),
        event_ids(source_id, pl.col("source_ref")).alias("event_id"),
        pl.lit(source_id).alias("source_id"),
    )
    missing_time = pl.col("ts_utc").is_null() & pl.col("kind").cast(pl.String).is_in(TIMED_KINDS)
    if not frame.select(missing_time.any()).item():  # the usual case: no copy of the frame
        events = conform(frame.drop("ts_local", "ts_end_local"), EVENT_SCHEMA)
        return Normalised(events=events, rejects=conform(frame.clear().select("source_ref").with_columns(
            pl.lit(source_id).alias("source_id"), pl.lit("").alias("reason"), pl.lit("").alias("excerpt")), REJECT_SCHEMA))
    rejects = frame.filter(missing_time).select(
        pl.lit(source_id).alias("source_id"),
        "source_ref",
        pl.lit("no usable timestamp").alias("reason"),
        pl.coalesce(pl.col("ts_raw"), pl.col("text").str.slice(0, 80), pl.lit("")).alias("excerpt"),
    )
    events = conform(frame.filter(~missing_time).drop("ts_local", "ts_end_local"), EVENT_SCHEMA)
    return Normalised(events=events, rejects=conform(rejects, REJECT_SCHEMA))
