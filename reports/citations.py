"""Which source records each figure and finding rests on: ``events.csv``.

Every number in the statement traces to event ids. A citation is a pair (event id,
what cites it: an exhibit reference or a finding such as ``incident 18/01/2026``);
the pairs are exploded and grouped in Polars, so a figure drawn from a million
contacts cites a million records without a Python loop. The cited records are then
read from the store with their source's exhibit reference, so ``events.csv`` lets a
reader go from any bar or row back to the exact record in the exhibit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from atlas.exhibits import join_list_expr, list_item_expr, record_ref_expr
from atlas.spreadsheet_safety import neutralise
from atlas.store import Case

EVENTS_COLUMNS = (
    "event_id", "exhibit", "source_exhibit", "source_file", "source_ref", "ts_utc", "uk_time", "ts_basis", "ts_raw", "kind",
    "channel", "direction", "sender", "recipients", "status", "duration_s", "deleted", "lat", "lon", "accuracy_m",
    "cell_id", "text", "cited_by",
)


@dataclass
class Citations:
    """(event id, citing label) pairs, collected as the findings are written."""

    parts: list[pl.DataFrame] = field(default_factory=list)

    def add(self, label: str, event_ids: Iterable[str] | pl.Series) -> None:
        ids = event_ids if isinstance(event_ids, pl.Series) else pl.Series(list(event_ids), dtype=pl.String)
        if ids.len():
            frame = pl.DataFrame({"event_id": ids.cast(pl.String)})
            self.parts.append(frame.with_columns(pl.lit(label, pl.String).alias("cited_by")))

    def add_many(self, items: Iterable[tuple[str, Iterable[str]]]) -> None:
        """Many (label, event ids) at once: one frame, not one per finding. The pairs are
        made flat here (two string columns build ~10x faster than a column of lists, which
        cost 5 s for 150,000 findings); :meth:`add_many_plain` is the rule it equals."""
        ids: list[str] = []
        labels: list[str] = []
        for label, idlist in items:
            mine = [str(i) for i in idlist]
            ids += mine
            labels += [label] * len(mine)
        if ids:
            self.parts.append(pl.DataFrame({"event_id": ids, "cited_by": labels},
                                           schema={"event_id": pl.String, "cited_by": pl.String}))

    def add_many_plain(self, items: Iterable[tuple[str, Iterable[str]]]) -> None:
        """:meth:`add_many` by the plain rule: a list column of each finding's ids, exploded."""
        labels, ids = [], []
        for label, idlist in items:
            labels.append(label)
            ids.append([str(i) for i in idlist])
        if labels:
            frame = pl.DataFrame({"cited_by": labels, "event_id": ids},
                                 schema={"cited_by": pl.String, "event_id": pl.List(pl.String)})
            self.parts.append(frame.explode("event_id").drop_nulls("event_id").select("event_id", "cited_by"))

    def frame(self) -> pl.DataFrame:
        """event_id → every label citing it (``; ``-joined by :func:`atlas.exhibits.join_list`, in
        first-cited order: a label holding ``;`` (a place's name) is quoted)."""
        if not self.parts:
            return pl.DataFrame(schema={"event_id": pl.String, "cited_by": pl.String})
        allp = pl.concat(self.parts).with_row_index("order")
        return (
            allp.unique(["event_id", "cited_by"], keep="first")
            .with_columns(list_item_expr(pl.col("cited_by")))
            .sort("order")
            .group_by("event_id", maintain_order=True)
            .agg(pl.col("cited_by").str.join("; "))
            .sort("event_id")
        )


def cited_events(case: Case, citations: Citations, source_refs: Mapping[str, str]) -> pl.DataFrame:
    """The cited records from the store, with exhibit references and UK times (sorted by time)."""
    from .style import UK

    cites = citations.frame()
    names = case.sources().select("source_id", pl.col("name").alias("source_file"))
    refs = pl.DataFrame({"source_id": list(source_refs), "source_exhibit": list(source_refs.values())},
                        schema={"source_id": pl.String, "source_exhibit": pl.String})
    frame = (
        case.events()
        # a filter, not a semi join: under the streaming engine it holds the cited records only
        .filter(pl.col("event_id").is_in(cites.get_column("event_id").unique().implode()))
        .collect()
        .join(cites, on="event_id", how="left")
        .join(names, on="source_id", how="left")
        .join(refs, on="source_id", how="left")
        .with_columns(
            pl.col("ts_utc").dt.convert_time_zone(str(UK)).dt.strftime("%d/%m/%Y %H:%M:%S %Z").alias("uk_time"),
            pl.col("kind").cast(pl.String), pl.col("ts_basis").cast(pl.String), pl.col("direction").cast(pl.String),
            join_list_expr(pl.col("recipients")),
            record_ref_expr(source_refs).alias("exhibit"),
        )
        .sort("ts_utc", "event_id", nulls_last=True)
    )
    return frame.select(list(EVENTS_COLUMNS))


def for_display(cited: pl.DataFrame) -> pl.DataFrame:
    """The columns the HTML report's record table shows."""
    # name:<source>:Dan → Dan, as atlas.normalise.identifiers.display does (a quoted item keeps its quote)
    shown = r'(^|; )("?)name:[^:;"]*:'
    return cited.select(
        "event_id", "exhibit", "uk_time", "channel", "direction",
        pl.col("sender").str.replace_all(shown, "$1$2").alias("from"),
        pl.col("recipients").str.replace_all(shown, "$1$2").alias("to"), "status", pl.col("text").str.slice(0, 300),
    )


SERVED_EVENTS_COLUMNS = tuple(c for c in EVENTS_COLUMNS if c != "event_id")
"""``events.csv`` as served: each record named by its ``exhibit`` reference (``JA/7, sms rowid 477``),
unique per record across the case (a source's exhibit number is unique, and a parser's
``source_ref`` is unique within its source: :mod:`atlas.normalise` refuses duplicates), and the
key every exhibit table's ``exhibits`` column joins on. The store's event id is not written."""


def readable_identifiers(refs: Mapping[str, str], column: str) -> pl.Expr:
    """A column of identifier URIs (joined by :func:`atlas.exhibits.join_list`) as a person reads them:
    a display name says which exhibit shows it (``name:<source id>:Dan`` → ``Dan (name in JA/21)``, as
    :func:`atlas.exhibits.identifier_label`); any other URI as it is. A quoted item (a name holding
    ``;`` or a quote) stays quoted, its label inside the quotes."""
    out = pl.col(column)
    for source_id, exhibit in refs.items():
        out = (out.str.replace_all(f'"name:{source_id}:((?:[^"]|"")*)"(; |$)', f'"${{1}} (name in {exhibit})"${{2}}')
               .str.replace_all(f"name:{source_id}:([^;]*)", f"${{1}} (name in {exhibit})"))
    return out.alias(column)


def served_events(cited: pl.DataFrame, refs: Mapping[str, str]) -> pl.DataFrame:
    """The cited records as ``events.csv`` serves them: no store ids (see :data:`SERVED_EVENTS_COLUMNS`).

    The ``exhibit`` column is the key every exhibit table joins on, so two records with one reference
    (or one with none) would make the join ambiguous: refused, never written."""
    dup = cited.filter(pl.col("exhibit").is_null() | pl.col("exhibit").is_duplicated())
    if dup.height:
        from atlas.errors import AtlasError

        raise AtlasError(f"{dup.height} cited records have no exhibit reference of their own (e.g. "
                         f"{dup.get_column('exhibit').head(2).to_list()}): events.csv could not name each record once")
    have = [c for c in SERVED_EVENTS_COLUMNS if c in cited.columns] + [
        c for c in cited.columns if c not in EVENTS_COLUMNS]  # a notice column (unverified, redacted)
    return cited.with_columns(readable_identifiers(refs, "sender"), readable_identifiers(refs, "recipients")).select(have)


def write_events_csv(cited: pl.DataFrame, path: Path) -> Path:
    """``events.csv``: UTC (ISO) and UK time side by side; lists by :func:`atlas.exhibits.join_list`."""
    neutralise(cited.with_columns(pl.col("ts_utc").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"))).write_csv(path)
    return path
