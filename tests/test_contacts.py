"""De-duplication of contacts across sources (atlas.contacts)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from atlas.contacts import MATCH_RULE, dedupe_contacts, match_rule
from atlas.model import EVENT_SCHEMA, conform

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
SUSPECT, VICTIM = "tel:+447700900002", "tel:+447700900001"


def ev(sid: str, ref: str, secs: float, *, kind: str = "message", channel: str = "sms", sender: str = SUSPECT,
       to: str = VICTIM, text: str | None = None, status: str | None = None, direction: str = "out",
       duration: int | None = None) -> dict[str, Any]:
    return {
        "event_id": f"{sid}/{ref}", "source_id": sid, "source_ref": ref, "kind": kind, "channel": channel,
        "ts_utc": T0 + timedelta(seconds=secs), "sender": sender, "recipients": [to], "direction": direction,
        "text": text, "status": status, "duration_s": duration,
    }


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return conform(
        pl.DataFrame(rows, schema_overrides={"kind": EVENT_SCHEMA["kind"], "direction": EVENT_SCHEMA["direction"],
                                             "ts_utc": EVENT_SCHEMA["ts_utc"]}),
        EVENT_SCHEMA,
    )


def groups(out: pl.DataFrame) -> list[list[str]]:
    return sorted(out.get_column("event_ids").to_list())


def test_one_sms_in_three_sources_is_one_contact_with_all_three_records() -> None:
    out = dedupe_contacts(frame([
        ev("cdr", "row 2", 0, text=None),                          # network time
        ev("susp", "sms 7", 38, text="Answer me", status="sent"),  # handset clock 38 s fast
        ev("vict", "sms 9", -41, text="Answer me", status="read", direction="in"),
    ]))
    assert out.height == 1
    row = out.row(0, named=True)
    assert row["event_ids"] == ["cdr/row 2", "susp/sms 7", "vict/sms 9"]
    assert row["n_sources"] == 3 and row["source_ids"] == ["cdr", "susp", "vict"]
    assert row["status"] == "read" and row["text"] == "Answer me"
    assert row["ts_utc"] == T0 - timedelta(seconds=41)
    assert row["contact_id"] == "contact/vict/sms 9"


def test_a_burst_of_texts_seconds_apart_in_one_source_is_never_collapsed() -> None:
    rows = [ev("susp", f"sms {i}", 10 * i, text=f"msg {i}") for i in range(5)]
    rows += [ev("vict", f"sms {i}", 10 * i + 35, text=f"msg {i}", direction="in") for i in range(5)]
    out = dedupe_contacts(frame(rows))
    assert out.height == 5
    assert groups(out) == [[f"susp/sms {i}", f"vict/sms {i}"] for i in range(5)]


def test_texts_break_ties_against_a_nearer_record_with_different_text() -> None:
    out = dedupe_contacts(frame([
        ev("a", "1", 0, text="hi"), ev("a", "2", 30, text="again"), ev("b", "1", 40, text="Hi!", direction="in"),
    ]))
    assert groups(out) == [["a/1", "b/1"], ["a/2"]]


def test_a_draft_or_unsent_message_is_never_a_contact() -> None:
    out = dedupe_contacts(frame([
        ev("a", "1", 0, status="draft", text="x"), ev("a", "2", 5, status="failed"), ev("a", "3", 9, status="outbox"),
        ev("a", "4", 20, kind="location", channel="gps"),
    ]))
    assert out.height == 0


def test_records_outside_the_tolerance_stay_separate_and_the_rule_states_it() -> None:
    rows = [ev("a", "1", 0), ev("b", "1", 121, direction="in")]
    assert dedupe_contacts(frame(rows)).height == 2
    assert dedupe_contacts(frame(rows), tolerance_s=130).height == 1
    assert "120 s" in MATCH_RULE and "130 s" in match_rule(130)


def test_calls_and_messages_and_other_platforms_never_merge() -> None:
    out = dedupe_contacts(frame([
        ev("a", "1", 0), ev("b", "1", 1, kind="call", channel="voice"), ev("c", "1", 2, channel="whatsapp"),
        ev("d", "1", 3, channel="instagram"),
    ]))
    assert out.height == 4


def test_imessage_on_one_phone_and_sms_in_the_cdr_are_one_contact() -> None:
    out = dedupe_contacts(frame([ev("a", "1", 0, channel="imessage"), ev("cdr", "r1", 3, channel="sms")]))
    assert out.height == 1 and out.row(0, named=True)["channels"] == ["imessage", "sms"]


def test_aliases_meet_only_through_same_person() -> None:
    rows = [
        ev("cdr", "r1", 0, kind="call", channel="voice", status="answered", duration=62),
        ev("vict", "wa", 20, kind="call", channel="voice", sender="name:vict:Dan", status="missed", direction="in"),
    ]
    assert dedupe_contacts(frame(rows)).height == 2
    out = dedupe_contacts(frame(rows), same_person={SUSPECT: "suspect", "name:vict:Dan": "suspect", VICTIM: "victim"})
    assert out.height == 1
    row = out.row(0, named=True)
    assert row["status"] == "answered" and row["duration_s"] == 62
    assert row["party_from"] == "suspect" and row["party_to"] == ["victim"]


def test_minute_resolution_export_meets_a_skewed_handset() -> None:
    # True time 12:00:50; the WhatsApp text export shows 12:00; the other phone is 40 s slow.
    rows = [ev("export", "line 5", 0, channel="whatsapp", text="On my way"),
            ev("export", "line 6", 60, channel="whatsapp", text="Here"),
            ev("export", "line 7", 120, channel="whatsapp", text="x"),
            ev("db", "msg 1", 50 - 40, channel="whatsapp", text="On my way")]
    out = dedupe_contacts(frame(rows))
    assert groups(out) == [["db/msg 1", "export/line 5"], ["export/line 6"], ["export/line 7"]]


def test_a_missing_recipient_is_filled_from_the_source_owner() -> None:
    rows = [ev("cdr", "r1", 0), {**ev("vict", "s1", 5, direction="in"), "recipients": []}]
    assert dedupe_contacts(frame(rows)).height == 2
    assert dedupe_contacts(frame(rows), source_owners={"vict": VICTIM}).height == 1


def test_half_a_million_records_deduplicate_in_seconds() -> None:
    n = 250_000
    base = pl.DataFrame({"i": pl.int_range(0, n, eager=True)}).with_columns(
        (pl.col("i") * 37).alias("secs"), (pl.col("i") % 50).alias("peer"))
    def side(sid: str, skew: int) -> pl.DataFrame:
        return base.select(
            (pl.lit(sid + "/") + pl.col("i").cast(pl.String)).alias("event_id"),
            pl.lit(sid).alias("source_id"), pl.col("i").cast(pl.String).alias("source_ref"),
            pl.lit("message").alias("kind"), pl.lit("sms").alias("channel"),
            (pl.lit(T0) + pl.duration(seconds=pl.col("secs") + skew)).alias("ts_utc"),
            pl.lit(SUSPECT).alias("sender"),
            pl.concat_list(pl.lit("tel:+4477009005") + pl.col("peer").cast(pl.String).str.zfill(2)).alias("recipients"),
        )
    events = pl.concat([side("a", 0), side("b", 40)])
    started = time.perf_counter()
    out = dedupe_contacts(conform(events, EVENT_SCHEMA).lazy())
    elapsed = time.perf_counter() - started
    assert out.height == n and out.get_column("n_sources").min() == 2
    assert elapsed < 30, elapsed


LONG = "I just want to talk " * 12  # 240 characters: two SMS parts on the network


def test_the_parts_of_a_long_sms_in_a_cdr_are_one_contact_with_the_handset_message() -> None:
    """The network lists each part a second apart; each handset shows one message, and
    the two handsets may match different parts. One contact, every record kept."""
    out = dedupe_contacts(frame([
        ev("cdr", "row 1", 0), ev("cdr", "row 2", 1),
        ev("susp", "sms 7", 0, text=LONG, status="sent"),
        ev("vict", "sms 9", 1.4, text=LONG, direction="in"),
    ]), reference_sources=["cdr"])
    assert groups(out) == [["cdr/row 1", "cdr/row 2", "susp/sms 7", "vict/sms 9"]]
    assert out.get_column("n_sources").to_list() == [3]


def test_two_texts_seconds_apart_that_a_handset_shows_as_two_stay_two_contacts() -> None:
    out = dedupe_contacts(frame([
        ev("cdr", "row 1", 0), ev("cdr", "row 2", 4), ev("cdr", "row 3", 5),
        ev("susp", "sms 7", 0, text="Answer me"), ev("susp", "sms 8", 4, text="Now"),
    ]), reference_sources=["cdr"])
    # sms 7 and sms 8 are two messages; row 3 (uncorroborated, 1 s after row 2) is a part of the second
    assert groups(out) == [["cdr/row 1", "susp/sms 7"], ["cdr/row 2", "cdr/row 3", "susp/sms 8"]]


def test_cdr_records_seconds_apart_that_nothing_corroborates_are_each_counted_and_the_rule_says_so() -> None:
    out = dedupe_contacts(frame([ev("cdr", "row 1", 0), ev("cdr", "row 2", 1), ev("cdr", "row 3", 30)]),
                          reference_sources=["cdr"])
    assert groups(out) == [["cdr/row 1"], ["cdr/row 2"], ["cdr/row 3"]]
    assert "cannot tell the parts of a long message from texts sent seconds apart" in MATCH_RULE
    # and without a network reference nothing is treated as parts
    out = dedupe_contacts(frame([ev("cdr", "row 1", 0), ev("cdr", "row 2", 1), ev("susp", "sms 7", 0, text=LONG)]))
    assert out.height == 2


def test_candidate_pairs_are_exactly_the_pairs_within_the_tolerance() -> None:
    """The bucketed join (which lists only contacts of the source's keys and time span) gives
    every (record, contact) pair with the same key within the tolerance, and no other."""
    import random

    from atlas.contacts import _candidates

    rng = random.Random(7)
    tol = 120_000_000
    pending = pl.DataFrame({"row": list(range(300)), "key": [rng.choice("abcd") for _ in range(300)],
                            "t_us": [rng.randrange(0, 10**10) for _ in range(300)],
                            "ntext": [rng.choice([None, "x", "y"]) for _ in range(300)]})
    anchors = pl.DataFrame({"cluster": list(range(1000, 1800)), "key": [rng.choice("abcdef") for _ in range(800)],
                            "anchor_us": [rng.randrange(-10**9, 2 * 10**10) for _ in range(800)],
                            "ntext": [rng.choice([None, "x", "y"]) for _ in range(800)]})
    got = _candidates(pending, anchors, tol).sort("row", "cluster")
    brute = (pending.join(anchors, on="key", suffix="_c").filter((pl.col("t_us") - pl.col("anchor_us")).abs() <= tol)
             .select("row", "cluster").sort("row", "cluster"))
    assert brute.height > 20 and got.select("row", "cluster").equals(brute)
    assert _candidates(pending.head(0), anchors, tol).height == 0
