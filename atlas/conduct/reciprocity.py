"""Two-way periods and requests to stop: is the contact shown to be unwanted?

Harassment is unwanted conduct; the records cannot show what anyone wanted, but they
can show two things that bear on it:

* **two-way periods**: weeks in which the victim or her network started a large share
  of the contact with the suspect (at least ``mutual_min_replies`` contacts and
  ``mutual_share`` of the total). Contact from him in such a week is listed under
  ``mutual_periods`` for a person to judge instead of being counted as an incident;
  threats and contact in breach of an order are always counted.
* **requests to stop** ("please stop contacting me", "leave me alone"): evidence he was
  told the contact was unwanted (PHA 1997 s1(2)); such a reply never makes a week look
  two-way.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from .options import ConductOptions


def week_of(day: pl.Expr) -> pl.Expr:
    """The Monday starting the week of a local date column."""
    return day - pl.duration(days=day.dt.weekday() - 1)


def mutual_weeks(contacts: pl.DataFrame, options: ConductOptions) -> pl.DataFrame:
    """Per week with contact both ways: his contacts, theirs (requests to stop excluded), and
    whether the week counts as two-way."""
    both = contacts.filter(pl.col("role").is_in(["conduct", "reply"])).with_columns(week_of(pl.col("local_date")).alias("week"))
    weeks = both.group_by("week").agg(
        (pl.col("role") == "conduct").sum().alias("from_suspect"),
        ((pl.col("role") == "reply") & pl.col("stop_request").is_null()).sum().alias("to_suspect"),
        ((pl.col("role") == "reply") & pl.col("stop_request").is_not_null()).sum().alias("requests_to_stop"),
    ).with_columns(
        (pl.col("to_suspect") / (pl.col("to_suspect") + pl.col("from_suspect"))).fill_nan(0.0).alias("share"),
    ).with_columns(
        ((pl.col("to_suspect") >= options.mutual_min_replies) & (pl.col("share") >= options.mutual_share)).alias("mutual"),
    ).sort("week")
    return weeks


def mark_mutual(contacts: pl.DataFrame, weeks: pl.DataFrame, keep: set[str]) -> pl.DataFrame:
    """Add ``mutual``: a conduct contact in a two-way week that is not in ``keep`` (threats, breaches)."""
    flagged = weeks.filter(pl.col("mutual")).get_column("week").to_list()
    return contacts.with_columns(
        ((pl.col("role") == "conduct") & week_of(pl.col("local_date")).is_in(flagged)
         & ~pl.col("contact_id").is_in(sorted(keep))).alias("mutual")
    )


def mutual_periods(weeks: pl.DataFrame, options: ConductOptions, marked: int) -> dict[str, Any]:
    """The two-way weeks, and ``marked``: the contacts :func:`mark_mutual` leaves out (a week's
    ``from_suspect`` also holds its threats and contact in breach, which are always counted)."""
    mutual = weeks.filter(pl.col("mutual"))
    return {
        "weeks": [{"week_start": r["week"].isoformat(), "from_suspect": r["from_suspect"], "to_suspect": r["to_suspect"],
                   "share_started_by_them": round(r["share"], 3)} for r in mutual.iter_rows(named=True)],
        "contacts_not_counted": marked,
        "counted": options.count_mutual,
        "rule": (f"a week is two-way when the victim or the victim's network started at least {options.mutual_min_replies} "
                 f"contacts with the suspect and at least {options.mutual_share:.0%} of the contact between them "
                 "(requests to stop excluded)"),
    }


def requests_to_stop(contacts: pl.DataFrame) -> list[dict[str, Any]]:
    rows = contacts.filter((pl.col("role") == "reply") & pl.col("stop_request").is_not_null()).sort("ts_utc")
    return [{"ts": r["ts_utc"].isoformat(), "date": r["local_date"].isoformat(), "from": r["party_from"],
             "channel": r["channel"], "matched": r["stop_request"], "text": r["text"], "event_ids": r["event_ids"]}
            for r in rows.iter_rows(named=True)]
