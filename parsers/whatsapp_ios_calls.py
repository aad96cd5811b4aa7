"""WhatsApp for iOS: the call database ``CallHistory.sqlite`` (Core Data).

Not Apple's ``CallHistory.storedata`` (see :mod:`parsers.ios_callhistory`): WhatsApp
keeps its own, in its app group container.

Format notes, and where they come from (iLEAPP ``whatsAppCallHistory.py``; the
schema and rows of the public iLEAPP test database from Josh Hickman's iOS 15 image):

* ``ZWACDCALLEVENT``: one row per call: ``ZDATE`` **seconds** since 2001-01-01 UTC
  (Apple epoch), ``ZDURATION`` seconds (float), ``ZOUTCOME``,
  ``ZGROUPCALLCREATORUSERJIDSTRING`` (who started the call), ``ZGROUPJIDSTRING`` (a
  group call's group), ``Z1CALLEVENTS`` → ``ZWAAGGREGATECALLEVENT``.
* ``ZWAAGGREGATECALLEVENT``: ``ZINCOMING`` (1 = the other party called), ``ZMISSED``,
  ``ZVIDEO`` (1 = video call).
* ``ZWACDCALLEVENTPARTICIPANT``: ``Z1PARTICIPANTS`` → the call, ``ZJIDSTRING`` the
  other party.
* ``ZWAJOINABLECALLEVENT``: joinable group calls (``ZDATE``, ``ZDURATION``,
  ``ZVIDEO``, ``ZFROMJIDSTRING``, ``ZGROUPJIDSTRING``), read the same way.
* Status: missed if ``ZMISSED``; otherwise answered when it lasted, else missed.
* The owner: ``--owner``, else the creator of the outgoing calls (stated).

Public sample: iLEAPP ``CallHistory.sqlite`` (josh_ios15): 4 calls with
``+19198887386``, all answered: outgoing voice 95 s, incoming voice 101 s, outgoing
video 105 s, incoming video 104 s (2023-05-02 16:12:10–16:24:21 UTC).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from atlas.model import TS_TYPE, Channel, EvidenceCategory
from atlas.normalise.times import from_epoch
from parsers._phone_db import (
    empty_rejects,
    has_columns,
    jid_expr,
    jid_raw,
    open_evidence,
    owner_list,
    read_frame,
    require,
    select_sql,
    table_columns,
)
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe, SampleCount

INFO: Final = ParserInfo(
    name="whatsapp-ios-calls",
    version="1.1.0",
    description="WhatsApp iOS call database (CallHistory.sqlite)",
    detects="SQLite with ZWACDCALLEVENT (ZDATE, ZDURATION) and ZWAAGGREGATECALLEVENT tables",
    notes=__doc__ or "",
    category=EvidenceCategory.HANDSET_DOWNLOAD,
    channels=frozenset({Channel.WHATSAPP}),
    sample_counts=(
        SampleCount("ileapp-josh-ios15-whatsapp/CallHistory.sqlite", 4, 4, 0, "ZWACDCALLEVENT 1", "2023-05-02T16:12:10.067211+00:00",
                    note="iLEAPP josh_ios15 CallHistory.sqlite: 4 calls (2 voice, 2 video)"),
    ),
)

MAX_DURATION_S: Final = 30 * 86_400
"""A call duration beyond this (30 days) is damage, not a call."""
SCHEMA: Final = {"pk": pl.Int64, "date": pl.Float64, "duration": pl.Float64, "creator": pl.String, "group_jid": pl.String,
                 "incoming": pl.Int64, "missed": pl.Int64, "video": pl.Int64, "other": pl.String}


def detect(probe: Probe) -> int:
    tables = probe.sqlite_tables
    if has_columns(tables, "ZWACDCALLEVENT", "ZDATE", "ZDURATION") and "ZWAAGGREGATECALLEVENT" in tables:
        return 95
    return 0


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    with open_evidence(path) as (con, notes):
        tables = table_columns(con, path)
        require(tables, path, "ZWACDCALLEVENT", "Z_PK", "ZDATE", "ZDURATION")
        c = select_sql(tables, "ZWACDCALLEVENT", {"pk": "Z_PK", "date": "ZDATE", "duration": "ZDURATION",
                                                  "creator": "ZGROUPCALLCREATORUSERJIDSTRING", "group_jid": "ZGROUPJIDSTRING"},
                       alias="c")
        a = select_sql(tables, "ZWAAGGREGATECALLEVENT", {"incoming": "ZINCOMING", "missed": "ZMISSED", "video": "ZVIDEO"},
                       alias="a")
        agg_join = "LEFT JOIN ZWAAGGREGATECALLEVENT a ON a.Z_PK = c.Z1CALLEVENTS" if "Z1CALLEVENTS" in tables["ZWACDCALLEVENT"] \
            else "LEFT JOIN ZWAAGGREGATECALLEVENT a ON 0"
        other = "NULL"
        if has_columns(tables, "ZWACDCALLEVENTPARTICIPANT", "Z1PARTICIPANTS", "ZJIDSTRING"):
            other = ("(SELECT p.ZJIDSTRING FROM ZWACDCALLEVENTPARTICIPANT p WHERE p.Z1PARTICIPANTS = c.Z_PK "
                     "ORDER BY p.Z_PK LIMIT 1)")
        calls = read_frame(con, path, f"SELECT {c}, {a}, {other} AS other FROM ZWACDCALLEVENT c {agg_join} ORDER BY c.Z_PK",
                           SCHEMA).with_columns(pl.lit("ZWACDCALLEVENT").alias("table"))
        joinable = pl.DataFrame()
        if has_columns(tables, "ZWAJOINABLECALLEVENT", "Z_PK", "ZDATE"):
            j = select_sql(tables, "ZWAJOINABLECALLEVENT", {
                "pk": "Z_PK", "date": "ZDATE", "duration": "ZDURATION", "creator": "ZCALLCREATORJIDSTRING",
                "group_jid": "ZGROUPJIDSTRING", "video": "ZVIDEO", "other": "ZFROMJIDSTRING"})
            joinable = read_frame(con, path, f"SELECT {j}, NULL AS incoming, NULL AS missed FROM ZWAJOINABLECALLEVENT ORDER BY Z_PK",
                                  SCHEMA).with_columns(pl.lit("ZWAJOINABLECALLEVENT").alias("table"))
    frame = pl.concat([calls, joinable.select(calls.columns)]) if joinable.height else calls
    owner = ctx.owner
    inferred = None
    if owner is None:
        creators = frame.filter(pl.col("incoming") == 0).get_column("creator").drop_nulls().unique()
        if creators.len() == 1:
            inferred = jid_raw(str(creators.item()))
            notes.append(f"owner taken as {creators.item()}: the creator of the outgoing calls")
        else:
            notes.append("the owner's WhatsApp number could not be determined: outgoing calls have no caller (give --owner)")
    me = owner or inferred
    incoming = pl.coalesce(pl.col("incoming") == 1,
                           pl.when(pl.col("creator").is_not_null() & pl.lit(me is not None))
                           .then(jid_expr(pl.col("creator")) != pl.lit(me or "", pl.String)))
    incoming = incoming.fill_null(True)
    party = jid_expr(pl.coalesce(pl.col("other"), pl.when(pl.col("incoming") == 1).then(pl.col("creator"))))
    group = jid_expr(pl.col("group_jid").replace("", None))
    # A duration that is not a number of seconds (NaN, infinite, absurdly large: a damaged
    # value) is unknown for that call, said in the notes, not the end of the whole file.
    readable = pl.col("duration").is_finite() & (pl.col("duration").abs() <= MAX_DURATION_S)
    unreadable = frame.filter(pl.col("duration").is_not_null() & ~readable.fill_null(False)).height
    if unreadable:
        notes.append(f"{unreadable} call duration(s) (ZDURATION) are not a number of seconds (NaN, infinite or over "
                     f"{MAX_DURATION_S // 86_400} days): left unknown for those calls")
        frame = frame.with_columns(pl.when(readable).then(pl.col("duration")).otherwise(None).alias("duration"))
    start = from_epoch(pl.col("date"), "apple_s").cast(TS_TYPE)
    seconds = pl.col("duration").fill_null(0).round(0).cast(pl.Int64)
    status = pl.when(pl.col("missed") == 1).then(pl.lit("missed")).when(seconds > 0).then(pl.lit("answered")).otherwise(pl.lit("missed"))
    events = frame.select(
        pl.format("{} {}", pl.col("table"), pl.col("pk")).alias("source_ref"),
        pl.lit("call").alias("kind"),
        pl.lit("whatsapp").alias("channel"),
        start.alias("ts_utc"),
        pl.when(seconds > 0).then(start + pl.duration(milliseconds=(pl.col("duration") * 1000).round(0).cast(pl.Int64)))
        .otherwise(None).cast(TS_TYPE).alias("ts_end_utc"),
        pl.lit("utc").alias("ts_basis"),
        pl.col("date").cast(pl.String).alias("ts_raw"),
        pl.when(incoming).then(pl.lit("in")).otherwise(pl.lit("out")).alias("direction"),
        pl.when(incoming).then(party).otherwise(pl.lit(me, pl.String)).alias("sender"),
        pl.when(incoming).then(pl.concat_list(owner_list(me), group).list.drop_nulls())
        .otherwise(pl.concat_list(pl.coalesce(group, party)).list.drop_nulls()).alias("recipients"),
        status.alias("status"),
        seconds.alias("duration_s"),
        pl.format("WhatsApp {} call{}", pl.when(pl.col("video") == 1).then(pl.lit("video")).otherwise(pl.lit("voice")),
                  pl.when(group.is_not_null()).then(pl.lit(" (group)")).otherwise(pl.lit(""))).alias("text"),
    )
    return ParseResult(events=events, rejects=empty_rejects(), records_read=events.height, owner=inferred, assumptions=notes)
