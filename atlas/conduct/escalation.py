"""The shape of the contact: volume, direction, night-time, bursts, and whether it is rising.

These are *indicators* (of fixation, of serious alarm or distress, of rising risk), not
proof of anything: each comes with the numbers it rests on, so a reader can check it.
The weekly trend is given two ways, both shown with their figures: an ordinary
least-squares slope (contacts per week, per week) and a Poisson log-linear fit (the
weekly rate ratio). Bursts make counts over-dispersed, so the Poisson standard error
is optimistic: the trend is a description, not a statistical test.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any, Final

import polars as pl

from atlas.normalise.times import isoformat_utc

from .options import ConductOptions

UNANSWERED: Final = ("missed", "rejected", "voicemail", "blocked", "no-answer", "busy", "cancelled", "declined")


def weekly_counts(conduct: pl.DataFrame) -> list[tuple[date, int]]:
    """Contacts per week (weeks starting Monday, local dates), zero-filled from first to last."""
    if conduct.height == 0:
        return []
    weeks = conduct.with_columns(
        (pl.col("local_date") - pl.duration(days=pl.col("local_date").dt.weekday() - 1)).alias("week")
    ).group_by("week").agg(pl.len().alias("n")).sort("week")
    have = dict(zip(weeks.get_column("week").to_list(), weeks.get_column("n").to_list(), strict=True))
    first, last = min(have), max(have)
    out = []
    w = first
    while w <= last:
        out.append((w, int(have.get(w, 0))))
        w += timedelta(days=7)
    return out


def _ols(y: list[float]) -> tuple[float, float]:
    n = len(y)
    xs = list(range(n))
    mx, my = sum(xs) / n, sum(y) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (v - my) for x, v in zip(xs, y, strict=True)) / sxx if sxx else 0.0
    return slope, my - slope * mx


def _poisson(y: list[int]) -> tuple[float, float, float] | None:
    """Poisson log-linear fit log(rate) = a + b*week by Newton-Raphson: (a, b, se(b))."""
    n = len(y)
    if n < 3 or sum(y) == 0:
        return None
    a, b = math.log(max(sum(y) / n, 1e-9)), 0.0
    xs = [i - (n - 1) / 2 for i in range(n)]  # centred: better conditioned
    for _ in range(50):
        mu = [math.exp(min(a + b * x, 50.0)) for x in xs]
        g0 = sum(v - m for v, m in zip(y, mu, strict=True))
        g1 = sum((v - m) * x for v, m, x in zip(y, mu, xs, strict=True))
        h00 = sum(mu)
        h01 = sum(m * x for m, x in zip(mu, xs, strict=True))
        h11 = sum(m * x * x for m, x in zip(mu, xs, strict=True))
        det = h00 * h11 - h01 * h01
        if det <= 0:
            return None
        da = (h11 * g0 - h01 * g1) / det
        db = (h00 * g1 - h01 * g0) / det
        a, b = a + da, b + db
        if abs(da) < 1e-10 and abs(db) < 1e-10:
            break
    mu = [math.exp(min(a + b * x, 50.0)) for x in xs]
    h00, h01, h11 = sum(mu), sum(m * x for m, x in zip(mu, xs, strict=True)), sum(m * x * x for m, x in zip(mu, xs, strict=True))
    det = h00 * h11 - h01 * h01
    se = math.sqrt(h00 / det) if det > 0 else float("nan")
    return a, b, se


def trend(conduct: pl.DataFrame) -> dict[str, Any]:
    """Weekly counts, and their trend with the figures it rests on."""
    counts = weekly_counts(conduct)
    weeks = [{"week_start": w.isoformat(), "contacts": n} for w, n in counts]
    if len(counts) < 3:
        return {"weeks": weeks, "label": "too few weeks to describe a trend", "method": ""}
    y = [n for _, n in counts]
    slope, intercept = _ols([float(v) for v in y])
    half = len(y) // 2
    first_half, second_half = sum(y[:half]) / half, sum(y[half:]) / (len(y) - half)
    out: dict[str, Any] = {
        "weeks": weeks, "n_weeks": len(y), "total": sum(y), "mean_per_week": round(sum(y) / len(y), 2),
        "peak_week": max(counts, key=lambda c: (c[1], c[0]))[0].isoformat(), "peak_contacts": max(y),
        "first_half_mean": round(first_half, 2), "second_half_mean": round(second_half, 2),
        "linear_slope_per_week": round(slope, 3), "linear_intercept": round(intercept, 3),
    }
    fit = _poisson(y)
    if fit is not None:
        _, b, se = fit
        z = b / se if se and not math.isnan(se) else float("nan")
        out |= {"poisson_log_slope": round(b, 4), "poisson_se": round(se, 4), "poisson_z": round(z, 2),
                "weekly_rate_ratio": round(math.exp(b), 3)}
        label = "rising" if z > 2 else "falling" if z < -2 else "no clear trend"
    else:
        label = "no clear trend"
    out["label"] = label
    out["method"] = ("weekly counts of contacts from the suspect (weeks from Monday, UK local dates, zero-filled); "
                     "OLS slope in contacts/week per week; Poisson log-linear fit, rising/falling when |z| > 2 "
                     "(over-dispersion from bursts makes z optimistic: a description, not a test)")
    return out


def bursts(conduct: pl.DataFrame, options: ConductOptions) -> list[dict[str, Any]]:
    """Runs of at least ``burst_min_contacts`` contacts within ``burst_window_minutes``."""
    k, window = options.burst_min_contacts, options.burst_window_minutes * 60_000_000
    if conduct.height < max(k, 1) or k < 2:
        return []
    frame = conduct.sort(["ts_utc", "contact_id"]).with_columns(pl.col("ts_utc").dt.epoch("us").alias("t"))
    t = frame.get_column("t")
    reach = t.search_sorted(t + window, side="left")  # first contact at or beyond t_i + window
    frame = frame.with_columns(reach.cast(pl.Int64).alias("reach")).with_row_index("i").with_columns(pl.col("i").cast(pl.Int64))
    starts = frame.filter(pl.col("reach") - pl.col("i") >= k).select("i", (pl.col("reach") - 1).alias("j"))
    if starts.height == 0:
        return []
    # merge overlapping index intervals [i, j]
    starts = starts.with_columns(pl.col("j").cum_max().shift(1).alias("prev_end")).with_columns(
        (pl.col("prev_end").is_null() | (pl.col("i") > pl.col("prev_end"))).cast(pl.Int64).cum_sum().alias("burst"))
    spans = starts.group_by("burst", maintain_order=True).agg(pl.col("i").min(), pl.col("j").max())
    # Each contact's burst by its row (bursts are disjoint runs of rows), then one grouping.
    member = spans.select("burst", pl.int_ranges("i", pl.col("j") + 1, dtype=pl.Int64).alias("i")).explode("i")
    # bursts are numbered 1, 2, ... in time order by the cumulative sum above
    return frame.join(member, on="i", how="inner").sort("i").group_by("burst", maintain_order=True).agg(
        isoformat_utc(pl.col("ts_utc").first()).alias("start"), isoformat_utc(pl.col("ts_utc").last()).alias("end"),
        pl.len().cast(pl.Int64).alias("contacts"), pl.col("channel").unique().sort().alias("channels"),
        pl.col("night").any().alias("night"), pl.col("local_date").first().cast(pl.String).alias("local_date"),
        pl.col("contact_id").alias("contact_ids"),
        pl.col("event_ids").list.explode(keep_nulls=False, empty_as_null=False).unique().sort().alias("event_ids"),
    ).to_dicts()



def profile(contacts: pl.DataFrame, options: ConductOptions) -> dict[str, Any]:
    """Counts by channel and direction, unanswered calls, unreplied messages, night, reciprocity.

    Counts of the suspect's contact leave out contact in two-way weeks unless counted
    (column ``mutual``, see :mod:`.reciprocity`); channel/direction counts and
    reciprocity describe all the contact between them.
    """
    every = contacts.filter(pl.col("role") == "conduct")
    conduct = every.filter(~pl.col("mutual")) if "mutual" in every.columns and not options.count_mutual else every
    replies = contacts.filter((pl.col("role") == "reply") & pl.col("stop_request").is_null())
    both = contacts.filter(pl.col("role").is_in(["conduct", "reply"]))  # counts include requests to stop
    by = both.with_columns(
        pl.when(pl.col("role") == "conduct").then(pl.lit("suspect → targets")).otherwise(pl.lit("targets → suspect"))
        .alias("direction")
    ).group_by("channel", "kind", "direction").agg(pl.len().alias("contacts")).sort("channel", "kind", "direction")
    calls = conduct.filter(pl.col("kind") == "call")
    unanswered = calls.filter(pl.col("status").is_in(list(UNANSWERED)) | (
        pl.col("status").is_null() & (pl.col("duration_s").fill_null(-1) == 0)))
    answered = calls.filter((pl.col("status") == "answered") | (pl.col("duration_s").fill_null(0) > 0))
    msgs = conduct.filter(pl.col("kind") == "message")
    unreplied = msgs.height
    any_reply = contacts.filter(pl.col("role") == "reply")
    if msgs.height and any_reply.height:
        r = any_reply.select(pl.col("ts_utc").alias("reply_ts"), pl.col("target"), pl.col("ts_utc")).sort("ts_utc")
        j = msgs.sort("ts_utc").join_asof(r, on="ts_utc", by="target", strategy="forward", check_sortedness=False,
                                          tolerance=f"{int(options.reply_window_hours * 3600)}s")
        unreplied = j.filter(pl.col("reply_ts").is_null()).height
    n_known = answered.height + unanswered.height
    night = conduct.filter(pl.col("night")).height
    started_by_targets = replies.height
    total_two_way = every.height + replies.height
    share = started_by_targets / total_two_way if total_two_way else 0.0
    return {
        "by_channel_direction": by.to_dicts(),
        "conduct_contacts": conduct.height,
        "conduct_contacts_in_two_way_weeks": every.height - conduct.height,
        "records": int(conduct.get_column("event_ids").list.len().sum() or 0),
        "corroborated_by_several_sources": conduct.filter(pl.col("n_sources") > 1).height,
        "calls": {"total": calls.height, "answered": answered.height, "unanswered": unanswered.height,
                  "unknown": calls.height - n_known,
                  "unanswered_rate": round(unanswered.height / n_known, 3) if n_known else None,
                  "rule": f"unanswered = status {', '.join(UNANSWERED)}, or no status and 0 s duration"},
        "messages": {"total": msgs.height, "unreplied": unreplied,
                     "unreplied_rate": round(unreplied / msgs.height, 3) if msgs.height else None,
                     "rule": f"unreplied = nothing from that person to the suspect within {options.reply_window_hours:g} h"},
        "night": {"hours": options.night_label, "contacts": night,
                  "share": round(night / conduct.height, 3) if conduct.height else None},
        "reciprocity": {"suspect_to_targets": every.height, "targets_to_suspect": replies.height,
                        "requests_to_stop": contacts.filter(pl.col("stop_request").is_not_null()).height,
                        "targets_share": round(share, 3),
                        "two_way": bool(total_two_way and share >= options.mutual_share)},
        "per_day_max": int(conduct.group_by("local_date").len().get_column("len").max() or 0)  # type: ignore[arg-type]
        if conduct.height else 0,
    }
