"""Aggregations behind every chart: Polars first, so a chart never sees raw events.

A case of millions of contacts becomes a few hundred rows per chart (days ×
channels, 7 × 24 hours, weeks) before anything is plotted, which keeps the HTML
report small and quick to open, and the same numbers feed the HTML report and the
statement's figures, so the two can never disagree. Days, hours and weeks are
local to the case's zone (UK local time for an England and Wales case): a message at
00:30 BST on 1 July belongs to 1 July, not to 30 June as its UTC date would say.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import polars as pl

WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NIGHT_HOURS: Final = frozenset({23, 0, 1, 2, 3, 4, 5})
"""Hours (local) counted as night-time contact in the summary table."""


def _local(zone: str) -> pl.Expr:
    return pl.col("ts_utc").dt.convert_time_zone(zone)


def from_suspect(contacts: pl.DataFrame) -> pl.DataFrame:
    return contacts.filter(pl.col("way") == "from-suspect")


def channel_order(contacts: pl.DataFrame) -> list[str]:
    """Channels, busiest first (ties by name): the same order in every chart and table."""
    if contacts.height == 0:
        return []
    counts = contacts.group_by("channel").len().sort(["len", "channel"], descending=[True, False])
    return [str(c) for c in counts.get_column("channel").to_list()]


def daily_by_channel(contacts: pl.DataFrame, zone: str) -> pl.DataFrame:
    """Contacts from the suspect per local day and channel (``day``, ``channel``, ``n``)."""
    return (
        from_suspect(contacts)
        .group_by(_local(zone).dt.date().alias("day"), "channel")
        .agg(pl.len().cast(pl.Int64).alias("n"))
        .sort("day", "channel")
    )


def daily_wide(contacts: pl.DataFrame, zone: str, channels: list[str]) -> pl.DataFrame:
    """``daily_by_channel`` with one column per channel (zeros filled): for stacked bars."""
    long = daily_by_channel(contacts, zone)
    if long.height == 0:
        return pl.DataFrame(schema={"day": pl.Date, **{c: pl.Int64 for c in channels}})
    wide = long.pivot(on="channel", index="day", values="n").fill_null(0)
    for c in channels:
        if c not in wide.columns:
            wide = wide.with_columns(pl.lit(0, pl.Int64).alias(c))
    return wide.select("day", *channels).sort("day")


def hour_weekday(contacts: pl.DataFrame, zone: str) -> pl.DataFrame:
    """Contacts from the suspect per local weekday × hour, all 168 cells (zeros kept)."""
    counts = (
        from_suspect(contacts)
        .group_by(
            (_local(zone).dt.weekday() - 1).cast(pl.Int8).alias("weekday"),
            _local(zone).dt.hour().cast(pl.Int8).alias("hour"),
        )
        .agg(pl.len().cast(pl.Int64).alias("n"))
    )
    grid = pl.DataFrame({"weekday": [d for d in range(7) for _ in range(24)],
                         "hour": [h for _ in range(7) for h in range(24)]},
                        schema={"weekday": pl.Int8, "hour": pl.Int8})
    return (
        grid.join(counts, on=["weekday", "hour"], how="left")
        .with_columns(pl.col("n").fill_null(0),
                      pl.col("weekday").replace_strict(list(range(7)), list(WEEKDAYS), return_dtype=pl.String)
                      .alias("day_name"))
        .sort("weekday", "hour")
    )


def weekly(contacts: pl.DataFrame, zone: str) -> pl.DataFrame:
    """Contacts per local week (starting Monday) each way, every week in the span shown."""
    if contacts.height == 0:
        return pl.DataFrame(schema={"week": pl.Date, "from_suspect": pl.Int64, "to_suspect": pl.Int64})
    wk = contacts.with_columns(_local(zone).dt.date().dt.truncate("1w").alias("week"))
    counts = (
        wk.group_by("week")
        .agg((pl.col("way") == "from-suspect").sum().cast(pl.Int64).alias("from_suspect"),
             (pl.col("way") == "to-suspect").sum().cast(pl.Int64).alias("to_suspect"))
    )
    lo, hi = counts.get_column("week").min(), counts.get_column("week").max()
    assert isinstance(lo, date) and isinstance(hi, date)
    span = pl.DataFrame({"week": pl.date_range(lo, hi, "1w", eager=True)})
    return span.join(counts, on="week", how="left").fill_null(0).sort("week")


def summary(contacts: pl.DataFrame, zone: str) -> dict[str, int]:
    """Headline counts for the statement: every figure here is a count of rows above."""
    fs = from_suspect(contacts)
    local_hour = _local(zone).dt.hour()
    return {
        "contacts": contacts.height,
        "from_suspect": fs.height,
        "to_suspect": contacts.height - fs.height,
        "from_suspect_calls": fs.filter(pl.col("kind") == "call").height,
        "from_suspect_messages": fs.filter(pl.col("kind") == "message").height,
        "from_suspect_unanswered_calls": fs.filter(
            (pl.col("kind") == "call") & pl.col("status").is_in(["missed", "rejected", "voicemail", "blocked"])).height,
        "from_suspect_night": fs.filter(local_hour.is_in(sorted(NIGHT_HOURS))).height,
        "days_with_contact": fs.select(_local(zone).dt.date().n_unique()).item() if fs.height else 0,
        "records": int(contacts.get_column("event_ids").list.len().sum()) if contacts.height else 0,
    }


def channel_keys(contacts: pl.DataFrame) -> dict[str, tuple[str, ...]]:
    """Each contact channel the tables and charts group by (the ``/``-joined key) → the channel keys as the
    contacts hold them (``channels``, data): what a channel's name and colour are made from, so nothing reads
    the joined key back. The first contact of a joined key gives its keys (contacts come in time order)."""
    out: dict[str, tuple[str, ...]] = {}
    if contacts.height:
        for channel, keys in contacts.select("channel", "channels").iter_rows():
            out.setdefault(str(channel), tuple(keys or ()))
    return out


def by_channel(contacts: pl.DataFrame) -> pl.DataFrame:
    """Contacts per channel and way (for the statement's table)."""
    if contacts.height == 0:
        return pl.DataFrame(schema={"channel": pl.String, "from_suspect": pl.Int64, "to_suspect": pl.Int64})
    order = channel_order(contacts)
    out = contacts.group_by("channel").agg(
        (pl.col("way") == "from-suspect").sum().cast(pl.Int64).alias("from_suspect"),
        (pl.col("way") == "to-suspect").sum().cast(pl.Int64).alias("to_suspect"),
    )
    return out.with_columns(pl.col("channel").replace_strict(order, list(range(len(order)))).alias("_o")).sort("_o").drop("_o")
