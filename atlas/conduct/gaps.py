"""Long gaps between incidents, and new channels or identities after a block or a gap.

A long quiet spell may break a course of conduct (Lau v DPP [2000] 1 FLR 799): Atlas
never decides that; it lists each gap longer than the configured number of days, with
its length, for a person to judge. Switching to a new number, account or channel after
the victim blocks one, after a gap, or after an order is made is a classic stalking
pattern; it is listed with what it followed. Identifiers nobody is attributed that
contact the victim are listed as leads for identity resolution, never counted as the
suspect's conduct.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Final

import polars as pl

from atlas.store.manifest import Order
from atlas.wording import plural

ONE_WAY_SHARE: Final = 0.1
"""An unattributed identifier is 'one-way' when the victim started at most this share of the contact with it."""
SUCCESSION: Final = timedelta(days=30)
"""A new identifier first used within this time after another stopped for good is listed as taking over."""


def long_gaps(dates: list[date], gap_days: int) -> list[dict[str, Any]]:
    """Quiet spells between consecutive incident dates longer than ``gap_days``: ``days`` is from one
    incident day to the next (the threshold's measure), so the days with no incident are one fewer."""
    ordered = sorted(set(dates))
    return [
        {"from": a.isoformat(), "to": b.isoformat(), "days": (b - a).days,
         "note": f"{plural((b - a).days, 'day')} from one incident to the next, with no incident on the "
                 f"{plural((b - a).days - 1, 'day')} between: a person must judge whether the incidents either side "
                 "form one course of conduct"}
        for a, b in itertools.pairwise(ordered) if (b - a).days > gap_days
    ]


def _after(first: datetime, *, blocks: list[tuple[datetime, str]], gaps: list[dict[str, Any]], orders: list[Order],
           first_date: date, quiet: list[tuple[str, datetime]]) -> list[str]:
    """What a new identifier or channel followed: a block, a gap, an order, another going quiet."""
    reasons = []
    earlier_blocks = [(t, who) for t, who in blocks if t <= first]
    if earlier_blocks:
        t, who = earlier_blocks[-1]
        reasons.append(f"after a blocked contact from {who} on {t:%d/%m/%Y} ({plural((first - t).days, 'day')} before)")
    for g in gaps:
        if g["to"] == first_date.isoformat():
            reasons.append(f"first contact after a gap of {plural(g['days'], 'day')}")
    for o in orders:
        if o.start <= first and (o.end is None or first < o.end):
            reasons.append(f"while {o.reference or o.type} was in force (made {o.start:%d/%m/%Y})")
    for other, last in quiet:
        if timedelta(0) <= first - last <= SUCCESSION:
            reasons.append(f"{plural((first - last).days, 'day')} after {other} was last used ({last:%d/%m/%Y}), which is not used again")
    return reasons


def identity_changes(contacts: pl.DataFrame, gaps: list[dict[str, Any]], orders: list[Order],
                     status_of: Callable[[str], str | None]) -> dict[str, Any]:
    """The suspect's identifiers and channels over time, what each new one followed, and leads."""
    conduct = contacts.filter(pl.col("role") == "conduct")
    if conduct.height == 0:
        return {"identifiers": [], "channels": [], "blocked_records": [], "unattributed_to_victim": []}
    first_incident: datetime = conduct.get_column("ts_utc").min()  # type: ignore[assignment]
    blocked = contacts.filter((pl.col("status") == "blocked") & pl.col("role").is_in(["conduct", "unattributed"]))
    blocks = [(r["ts_utc"], ", ".join(r["identifiers"]) or "?") for r in blocked.sort("ts_utc").iter_rows(named=True)]
    per_id = conduct.explode("identifiers").filter(pl.col("identifiers").is_not_null()).group_by("identifiers").agg(
        pl.col("ts_utc").min().alias("first"), pl.col("ts_utc").max().alias("last"), pl.len().alias("contacts"),
        pl.col("channel").unique().sort().alias("channels"), pl.col("local_date").min().alias("first_date"),
    ).sort("first", "identifiers")
    rows = [r for r in per_id.iter_rows(named=True) if not str(r["identifiers"]).startswith("name:")]
    ids = []
    for r in rows:
        quiet = [(o["identifiers"], o["last"]) for o in rows if o["identifiers"] != r["identifiers"] and o["last"] < r["first"]]
        after = _after(r["first"], blocks=blocks, gaps=gaps, orders=orders, first_date=r["first_date"], quiet=quiet) \
            if r["first"] > first_incident else []
        ids.append({
            "identifier": r["identifiers"], "status": status_of(r["identifiers"]), "first_seen": r["first"].isoformat(),
            "last_seen": r["last"].isoformat(), "contacts": r["contacts"], "channels": r["channels"],
            "new": bool(after), "after": after,
        })
    per_channel = conduct.group_by("channel").agg(
        pl.col("ts_utc").min().alias("first"), pl.col("ts_utc").max().alias("last"), pl.len().alias("contacts"),
        pl.col("local_date").min().alias("first_date"),
    ).sort("first", "channel")
    channels = []
    for r in per_channel.iter_rows(named=True):
        after = _after(r["first"], blocks=blocks, gaps=gaps, orders=orders, first_date=r["first_date"], quiet=[]) \
            if r["first"] > first_incident else []
        channels.append({"channel": r["channel"], "first_seen": r["first"].isoformat(), "last_seen": r["last"].isoformat(),
                         "contacts": r["contacts"], "new": bool(after), "after": after})
    answered = contacts.filter(pl.col("role") == "to-unattributed").with_columns(
        pl.col("party_to").list.first().alias("party_from")).group_by("party_from").agg(pl.len().alias("from_victim"))
    leads = contacts.filter(pl.col("role") == "unattributed").group_by("party_from").agg(
        pl.col("ts_utc").min().alias("first"), pl.col("ts_utc").max().alias("last"), pl.len().alias("contacts"),
        pl.col("channel").unique().sort().alias("channels"), pl.col("local_date").n_unique().alias("days"),
        pl.col("event_ids").list.explode(keep_nulls=False, empty_as_null=False).head(20).alias("example_event_ids"),
    ).join(answered, on="party_from", how="left").with_columns(pl.col("from_victim").fill_null(0)) \
        .sort(["contacts", "party_from"], descending=[True, False])
    unattributed = []
    for r in leads.iter_rows(named=True):
        one_way = r["from_victim"] <= ONE_WAY_SHARE * (r["contacts"] + r["from_victim"])
        after_block = any(t <= r["first"] for t, _ in blocks)
        unattributed.append({
            "identifier": r["party_from"], "first_seen": r["first"].isoformat(), "last_seen": r["last"].isoformat(),
            "contacts": r["contacts"], "from_victim": r["from_victim"], "days": r["days"], "channels": r["channels"],
            "example_event_ids": r["example_event_ids"], "after_block": after_block,
            "after_conduct_started": r["first"] > first_incident,
            "one_way": one_way,
            "like_the_suspect": bool(one_way and r["contacts"] >= 2 and r["first"] > first_incident),
            "note": "not attributed to anyone in this view: not counted as the suspect's conduct; a lead for `atlas identity`",
        })
    return {
        "identifiers": ids, "channels": channels,
        "blocked_records": [{"ts": t.isoformat(), "by": who} for t, who in blocks],
        "unattributed_to_victim": unattributed,
    }
