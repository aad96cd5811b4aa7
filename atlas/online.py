"""Online accounts and location histories in a case: what the social, messaging and
location sources hold, in the terms an officer asks about them.

"Which accounts messaged her, on which platform, under which name, from when to
when, and in which exhibit?" and "Whose location history do we have, covering what
period, and how precise is it?" Both are read from the normalised events; nothing
here infers who is behind an account (that is :mod:`atlas.identity`'s job, with its
basis shown).
"""

from __future__ import annotations

from typing import Any, Final

import polars as pl

from atlas.normalise.identifiers import display
from atlas.normalise.times import uk_display
from atlas.store import Case

ONLINE_CHANNELS: Final = ("facebook", "instagram", "snapchat", "telegram", "signal", "x")
LOCATION_CHANNELS: Final = ("google-location",)


def online_summary(case: Case) -> dict[str, Any]:
    """Accounts seen sending on social/messaging platforms, and location histories, per source.

    Both tables are aggregated by streaming queries over the store (memory: the accounts and
    the sources, never the events, on any size of case); :func:`online_summary_plain`, the
    events collected and then aggregated, is the rule they are tested equal to."""
    sources = _sources(case)
    events = _events(case)
    return _summary(_senders(events.filter(_is_contact()), sources.lazy()).collect(engine="streaming"),
                    _histories(events.filter(_is_location()), sources.lazy()).collect(engine="streaming"))


def _sources(case: Case) -> pl.DataFrame:
    return case.sources().select(
        "source_id", "parser", "owner",
        # The file name alone is often "message_1.json": keep its folder too.
        pl.col("path").str.replace_all("\\\\", "/").str.split("/").list.slice(-2, 2).list.join("/").alias("name"),
    )


def _events(case: Case) -> pl.LazyFrame:
    return case.events().filter(
        pl.col("channel").is_in(ONLINE_CHANNELS + LOCATION_CHANNELS)
    ).select("source_id", "kind", "channel", "ts_utc", "ts_end_utc", "direction", "sender", "recipients", "accuracy_m")


def _is_contact() -> pl.Expr:
    return pl.col("kind").cast(pl.String).is_in(["message", "call"]) & pl.col("sender").is_not_null()


def _is_location() -> pl.Expr:
    return pl.col("kind").cast(pl.String) == "location"


def _senders(contacts: pl.LazyFrame, sources: pl.LazyFrame) -> pl.LazyFrame:
    return (
        contacts.join(sources, on="source_id", how="left")
        .group_by("channel", "sender")
        .agg(
            pl.len().alias("contacts"),
            (pl.col("direction").cast(pl.String) == "in").sum().alias("to_owner"),
            pl.col("ts_utc").min().alias("first"), pl.col("ts_utc").max().alias("last"),
            pl.col("name").unique().sort().alias("sources"),
        )
        .sort("channel", "contacts", "sender", descending=[False, True, False])
    )


def _histories(locations: pl.LazyFrame, sources: pl.LazyFrame) -> pl.LazyFrame:
    return (
        locations.join(sources, on="source_id", how="left")
        .group_by("source_id", "name", "parser", "owner")
        .agg(pl.len().alias("records"), pl.col("ts_utc").min().alias("first"), pl.col("ts_utc").max().alias("last"),
             pl.col("ts_end_utc").is_not_null().sum().alias("stays"), pl.col("accuracy_m").median().alias("median_accuracy_m"))
        .sort(["records", "name", "source_id"], descending=[True, False, False], nulls_last=True)
    )


def _summary(senders: pl.DataFrame, histories: pl.DataFrame) -> dict[str, Any]:
    accounts = [
        {"channel": r["channel"], "identifier": r["sender"], "shown_as": display(r["sender"]), "contacts": r["contacts"],
         "to_source_owner": r["to_owner"], "first": uk_display(r["first"]), "last": uk_display(r["last"]),
         "sources": r["sources"]}
        for r in senders.iter_rows(named=True)
    ]
    return {
        "accounts": accounts,
        "location_histories": [
            {"source": r["name"], "parser": r["parser"], "owner": r["owner"], "records": r["records"],
             "stays": r["stays"], "first": uk_display(r["first"]), "last": uk_display(r["last"]),
             "median_accuracy_m": r["median_accuracy_m"]}
            for r in histories.iter_rows(named=True)
        ],
        "note": "An account is shown as the source names it; who operated it is not shown by these records alone.",
    }


def online_summary_plain(case: Case) -> dict[str, Any]:
    """:func:`online_summary` by the plain rule: the online and location events collected, then
    aggregated in memory (what the streaming aggregates are tested equal to)."""
    sources = _sources(case).lazy()
    events = _events(case).collect().lazy()
    return _summary(_senders(events.filter(_is_contact()), sources).collect(engine="in-memory"),
                    _histories(events.filter(_is_location()), sources).collect(engine="in-memory"))
