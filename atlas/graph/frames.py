"""Contact rows in Polars: the shape both the contact graph and alias discovery work on.

One row per (event, recipient): a message to three people is three contacts. Only calls
and messages that reached someone count (a draft, an unsent or failed message is kept
as evidence but is never a contact: :data:`atlas.model.NOT_CONTACT_STATUSES`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, TypeVar

import polars as pl

from atlas.model import CONTACT_KINDS, NOT_CONTACT_STATUSES

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

RESPONSE_WINDOW: Final = "24h"
"""A contact counts as answered if the other side replied (any call or message back on any
channel) within this time, or if it was a call that was answered."""

UNANSWERED_CALL_STATUSES: Final = ("missed", "rejected", "voicemail", "blocked", "cancelled", "no-answer")

NIGHT_HOURS: Final = (23, 0, 1, 2, 3, 4)
"""UK local hours counted as night-time (23:00 to 04:59)."""

CONTACT_COLUMNS: Final = ("event_id", "source_id", "kind", "channel", "ts_utc", "status", "duration_s", "sender",
                          "recipients", "text", "deleted")


def contact_rows(events: pl.LazyFrame, keep: Sequence[str] = ()) -> pl.LazyFrame:
    """Events → one row per contact: ``event_id``, ``ts_utc``, ``kind``, ``channel``,
    ``status``, ``duration_s``, ``text``, ``sender``, ``recipient``, ``answered_call`` (and
    the columns named in ``keep``)."""
    return (
        events.select(*CONTACT_COLUMNS, *keep)
        .filter(
            pl.col("kind").cast(pl.String).is_in(list(CONTACT_KINDS))
            & (pl.col("status").is_null() | ~pl.col("status").is_in(list(NOT_CONTACT_STATUSES)))
            & pl.col("sender").is_not_null()
            & pl.col("ts_utc").is_not_null()
        )
        .explode("recipients")
        .rename({"recipients": "recipient"})
        .filter(pl.col("recipient").is_not_null())
        .with_columns(
            pl.col("kind").cast(pl.String),
            (
                (pl.col("kind").cast(pl.String) == "call")
                & (
                    (pl.col("status") == "answered")
                    | (pl.col("status").is_null() & (pl.col("duration_s").fill_null(0) > 0))
                )
            ).alias("answered_call"),
        )
    )


def deduped_edge_rows(contacts: FrameT, *extra: pl.Expr) -> FrameT:
    """De-duplicated contacts (:func:`atlas.contacts.dedupe_contacts`) → the graph's rows: one per
    (contact, recipient), ``src``, ``dst``, ``channel`` (the one channel, else the channel group),
    ``kind``, ``ts_utc``, ``answered_call``, ``n_events``, ``event_ids`` and ``extra``. One
    definition for the in-memory graph and the streaming engine's buckets, so they cannot drift."""
    return (
        contacts.explode("party_to")
        .filter(pl.col("party_from").is_not_null() & pl.col("party_to").is_not_null())
        .select(
            pl.col("party_from").alias("src"), pl.col("party_to").alias("dst"),
            pl.when(pl.col("channels").list.len() == 1).then(pl.col("channels").list.first())
            .otherwise(pl.col("channel_group")).alias("channel"),
            "kind", "ts_utc",
            ((pl.col("kind") == "call") & ((pl.col("status") == "answered")
             | (pl.col("status").is_null() & (pl.col("duration_s").fill_null(0) > 0)))).alias("answered_call"),
            pl.col("event_ids").list.len().alias("n_events"), "event_ids", *extra,
        )
    )


def with_response(rows: pl.DataFrame, *, src: str, dst: str, window: str = RESPONSE_WINDOW) -> pl.DataFrame:
    """Add ``responded``: the contact was an answered call, or ``dst`` contacted ``src``
    within ``window`` afterwards (on any channel). Vectorised with an as-of join per pair."""
    if rows.height == 0:
        return rows.with_columns(pl.lit(False).alias("responded"))
    left = rows.with_row_index("_row").sort("ts_utc")
    back = (
        rows.select(pl.col(dst).alias("_a"), pl.col(src).alias("_b"), pl.col("ts_utc").alias("_back_ts"))
        .unique()
        .sort("_back_ts")
    )
    joined = left.join_asof(
        back, left_on="ts_utc", right_on="_back_ts", by_left=[src, dst], by_right=["_a", "_b"],
        strategy="forward", tolerance=window, check_sortedness=False,
    )
    return (
        joined.with_columns((pl.col("answered_call") | pl.col("_back_ts").is_not_null()).alias("responded"))
        .sort("_row")
        .drop("_row", "_back_ts", "_a", "_b", strict=False)
    )


def uk_night(ts: pl.Expr, zone: str = "Europe/London") -> pl.Expr:
    return ts.dt.convert_time_zone(zone).dt.hour().is_in(list(NIGHT_HOURS))
