"""Polars frames shaped for people: the TUI's tables, built vectorised.

Kept apart from the widgets so the shaping is testable without a terminal and the
screens stay thin.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from atlas.exhibits import exhibit_ref, record_ref_expr
from atlas.store import Case

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
    """One identifier as people read it: ``name:<source>:Dan`` → ``Dan (name in mmssms.db)``."""
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


def event_detail(case: Case, event_id: str) -> str:
    """Everything the store knows about one event, as labelled lines."""
    row = case.events().filter(pl.col("event_id") == event_id).collect()
    if row.height == 0:
        return f"{event_id}: not in the store"
    r = row.row(0, named=True)
    src = case.sources().filter(pl.col("source_id") == r["source_id"])
    s = src.row(0, named=True) if src.height else {}
    lines = [
        f"exhibit     {exhibit_ref(case, r['source_id'], r['source_ref'])}",
        f"source      {s.get('name', '?')}  ({s.get('parser', '?')} {s.get('parser_version', '')}; sha256 {s.get('sha256', '?')[:16]}…)",
        f"where       {r['source_ref']}",
        f"time (UTC)  {r['ts_utc']}   basis: {r['ts_basis']}   as written: {r['ts_raw']!r}",
        f"kind        {r['kind']} / {r['channel']} / {r['direction']}   status: {r['status'] or '-'}   deleted: {r['deleted']}",
        f"from        {r['sender'] or '-'}",
        f"to          {'; '.join(r['recipients'] or []) or '-'}",
    ]
    if r["duration_s"] is not None:
        lines.append(f"duration    {r['duration_s']} s")
    if r["lat"] is not None:
        lines.append(f"position    {r['lat']:.6f}, {r['lon']:.6f}  ± {r['accuracy_m'] or '?'} m")
    if r["cell_id"]:
        lines.append(f"cell        {r['cell_id']}")
    if r["attachments"]:
        lines.append(f"attachments {'; '.join(r['attachments'])}")
    if r["text"]:
        lines.append(f"text        {r['text']}")
    return "\n".join(lines)
