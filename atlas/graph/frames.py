"""Contact rows in Polars: the shape both the contact graph and alias discovery work on.

One row per (event, recipient): a message to three people is three contacts. Only calls
and messages that reached someone count (a draft, an unsent or failed message is kept
as evidence but is never a contact: :data:`atlas.model.NOT_CONTACT_STATUSES`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from atlas.model import CONTACT_KINDS, NOT_CONTACT_STATUSES

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
