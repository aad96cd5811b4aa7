"""Polars frames shaped for people: the TUI's tables, built vectorised.

Kept apart from the widgets so the shaping is testable without a terminal and the
screens stay thin.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from atlas.exhibits import record_ref_expr

UK = "Europe/London"


def uk_time(col: str) -> pl.Expr:
    """UTC datetime column → ``22/11/2026 14:05 GMT`` (UK local, zone named)."""
    return pl.col(col).dt.convert_time_zone(UK).dt.strftime("%d/%m/%Y %H:%M:%S %Z")


def short_id(col: str) -> pl.Expr:
    """Identifier URIs as people read them: ``name:<source>:Dan`` → ``Dan``."""
    return (
        pl.when(pl.col(col).str.starts_with("name:"))
        .then(pl.col(col).str.replace(r"^name:[^:]*:", ""))
        .otherwise(pl.col(col))
    )


def short_uri(uri: str, source_names: dict[str, str] | None = None) -> str:
    """One identifier as people read it: ``name:<source>:Dan`` → ``Dan (name in JA/7)`` with
    ``source_names`` the exhibit of each source (:func:`atlas.exhibits.source_refs`)."""
    if uri.startswith("name:"):
        _, source_id, shown = uri.split(":", 2)
        where = (source_names or {}).get(source_id, source_id)
        return f"{shown} (name in {where})"
    if uri.startswith("party:"):
        return "party " + uri[len("party:"):]
    return uri


def timeline_view(events: pl.LazyFrame, sources: pl.DataFrame, refs: Mapping[str, str] | None = None) -> pl.DataFrame:
    """One display row per event, in time order, with the columns the timeline shows.

    Each record is named by its exhibit (``JA/7, sms rowid 477``, from ``refs``: source id →
    exhibit reference); the event id is kept hidden, for the detail pane.
    """
    names = sources.select("source_id", pl.col("name").alias("source_file"))
    refs = refs or {}
    return (
        events.join(names.lazy(), on="source_id", how="left")
        .sort("ts_utc", "event_id", nulls_last=True)
        .select(
            uk_time("ts_utc").fill_null("").alias("when (UK)"),
            pl.col("kind").cast(pl.String).alias("kind"),
            pl.col("channel"),
            pl.col("direction").cast(pl.String).alias("dir"),
            short_id("sender").fill_null("").alias("from"),
            pl.col("recipients").list.eval(pl.element().str.replace(r"^name:[^:]*:", "")).list.join("; ").alias("to"),
            pl.col("status").fill_null(""),
            pl.col("text").fill_null("").str.replace_all("\n", " ").str.slice(0, 120).alias("text"),
            pl.col("source_file").fill_null(""),
            record_ref_expr(refs).fill_null("").alias("exhibit"),
            # Hidden columns for filters and the detail pane.
            pl.col("event_id").alias("_event_id"),
            pl.col("sender").alias("_sender"),
            pl.col("recipients").alias("_recipients"),
        )
        .collect()
    )


def search(view: pl.DataFrame, *, text: str = "", identifiers: set[str] | None = None,
           channel: str | None = None) -> pl.DataFrame:
    out = view
    if identifiers is not None:
        ids = pl.Series(sorted(identifiers), dtype=pl.String)
        out = out.filter(pl.col("_sender").is_in(ids.implode()) | pl.col("_recipients").list.eval(pl.element().is_in(ids.implode())).list.any())
    if channel:
        out = out.filter(pl.col("channel") == channel)
    if text:
        needle = text.lower()
        out = out.filter(
            pl.concat_str(["from", "to", "text", "exhibit", "_event_id"], separator=" ").str.to_lowercase().str.contains(needle, literal=True)
        )
    return out


def visible(view: pl.DataFrame) -> pl.DataFrame:
    return view.select([c for c in view.columns if not c.startswith("_")])
