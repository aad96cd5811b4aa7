"""iOS call history: ``CallHistory.storedata`` (Core Data store, table ``ZCALLRECORD``).

Format notes, and where they come from (iLEAPP ``callHistory.py``, published iOS 9–17
schemas of ``ZCALLRECORD``):

* ``ZDATE``: call start, **seconds** since 2001-01-01 UTC (Apple epoch), fractional;
  ``ZDURATION``: seconds (float).
* ``ZORIGINATED``: 1 = outgoing (the owner called), 0 = incoming;
  ``ZANSWERED``: 1 = answered. Unanswered calls either way are ``missed``.
* ``ZCALLTYPE``: 1 phone call, 8 FaceTime video, 16 FaceTime audio, 0 a third-party
  app using CallKit, named by ``ZSERVICE_PROVIDER`` (``com.apple.Telephony``,
  ``com.apple.FaceTime``, ``net.whatsapp.WhatsApp``, ``com.facebook.Messenger`` …):
  the channel follows the service (``voice``, ``facetime``, ``whatsapp`` …).
* ``ZADDRESS`` is the other party: a number, an Apple ID e-mail for FaceTime, or an
  app's own identifier; older iOS versions store it as a BLOB of UTF-8 (read as
  text). Group FaceTime calls list participants in ``ZHANDLE`` through a
  ``Z_<n>REMOTEPARTICIPANTHANDLES`` join table.
* ``ZNUMBER_AVAILABILITY`` ≠ 0 with no address: the number was not available
  (withheld or unknown): recorded as ``Unavailable``.
* ``ZISO_COUNTRY_CODE`` is the network country: the most common one is the region
  for national numbers.
* The owner's own number is not in this database: ``--owner`` supplies it.

No public sample of this file is in the shared samples (the WhatsApp iOS
``CallHistory.sqlite`` is a different database, read by ``whatsapp-ios-calls``);
the tests use the generator's iPhone, written with the iOS 15 schema.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

import polars as pl

from atlas.model import TS_TYPE, Channel, EvidenceCategory
from atlas.normalise.times import from_epoch
from parsers._phone_db import (
    decide_region,
    empty_rejects,
    has_columns,
    jid_expr,
    open_evidence,
    owner_list,
    read_frame,
    require,
    select_sql,
    table_columns,
    tidy_evidence,
)
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe

INFO: Final = ParserInfo(
    name="ios-callhistory",
    version="1.1.0",
    description="iOS call history (CallHistory.storedata): phone, FaceTime and app calls",
    detects="SQLite with a ZCALLRECORD table (ZDATE, ZDURATION, ZORIGINATED, ZADDRESS)",
    notes=__doc__ or "",
    category=EvidenceCategory.HANDSET_DOWNLOAD,
    channels=frozenset({Channel.VOICE, Channel.FACETIME, Channel.WHATSAPP, Channel.FACEBOOK, Channel.TELEGRAM, Channel.SIGNAL, Channel.SKYPE, Channel.VIBER, Channel.INSTAGRAM, Channel.SNAPCHAT, Channel.GOOGLE_MEET, Channel.OTHER_APP}),
    no_public_sample="no public CallHistory.storedata in ../shared/samples; tested on the generator's iPhones",
)

SERVICES: Final = {
    "com.apple.telephony": "voice", "com.apple.facetime": "facetime", "net.whatsapp.whatsapp": "whatsapp",
    "com.facebook.messenger": "facebook", "ph.telegra.telegraph": "telegram", "org.whispersystems.signal": "signal",
    "com.skype.skype": "skype", "com.viber": "viber", "com.burbn.instagram": "instagram",
    "com.toyopagroup.picaboo": "snapchat", "com.google.meet": "google-meet", "com.google.tachyon": "google-meet",
}
CALL_TYPES: Final = {1: "phone", 8: "FaceTime video", 16: "FaceTime audio", 0: "app call"}


def detect(probe: Probe) -> int:
    if has_columns(probe.sqlite_tables, "ZCALLRECORD", "ZDATE", "ZORIGINATED", "ZADDRESS"):
        return 95
    return 0


def _participants(con: sqlite3.Connection, path: Path, tables: dict[str, set[str]]) -> pl.DataFrame:
    """Group-call participants (``ZHANDLE`` via the ``Z_<n>REMOTEPARTICIPANTHANDLES`` join)."""
    empty = pl.DataFrame(schema={"call": pl.Int64, "members": pl.List(pl.String)})
    if not has_columns(tables, "ZHANDLE", "Z_PK", "ZVALUE"):
        return empty
    for name, cols in sorted(tables.items()):
        if name.startswith("Z_") and name.endswith("REMOTEPARTICIPANTHANDLES"):
            call_col = next((c for c in sorted(cols) if c.endswith("REMOTEPARTICIPANTCALLS")), None)
            handle_col = next((c for c in sorted(cols) if c.endswith("REMOTEPARTICIPANTHANDLES")), None)
            if call_col and handle_col:
                frame = read_frame(con, path, f'SELECT j."{call_col}" AS call, h.ZVALUE AS member FROM "{name}" j '
                                              f'JOIN ZHANDLE h ON h.Z_PK = j."{handle_col}" ORDER BY 1, h.Z_PK',
                                   {"call": pl.Int64, "member": pl.String})
                return frame.filter(pl.col("member").is_not_null()).group_by("call", maintain_order=True).agg(
                    pl.col("member").alias("members"))
    return empty


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    with open_evidence(path) as (con, notes):
        tables = table_columns(con, path)
        require(tables, path, "ZCALLRECORD", "Z_PK", "ZDATE", "ZORIGINATED", "ZADDRESS")
        cols = select_sql(tables, "ZCALLRECORD", {
            "pk": "Z_PK", "date": "ZDATE", "duration": "ZDURATION", "originated": "ZORIGINATED",
            "answered": "ZANSWERED", "calltype": "ZCALLTYPE", "name": "ZNAME", "provider": "ZSERVICE_PROVIDER",
            "availability": "ZNUMBER_AVAILABILITY", "iso": "ZISO_COUNTRY_CODE",
        })
        frame = read_frame(con, path, f"SELECT {cols}, CAST(ZADDRESS AS TEXT) AS address, typeof(ZADDRESS) AS address_type "
                                      "FROM ZCALLRECORD ORDER BY Z_PK", {
            "pk": pl.Int64, "date": pl.Float64, "duration": pl.Float64, "originated": pl.Int64, "answered": pl.Int64,
            "calltype": pl.Int64, "name": pl.String, "provider": pl.String, "availability": pl.Int64, "iso": pl.String,
            "address": pl.String, "address_type": pl.String,
        })
        groups = _participants(con, path, tables)
    frame = frame.join(groups, left_on="pk", right_on="call", how="left").sort("pk").with_columns(
        pl.col("address").str.strip_chars("\x00 ").alias("address"))
    if frame.filter(pl.col("address_type") == "blob").height:
        notes.append("ZADDRESS is stored as a BLOB in this iOS version: read as UTF-8 text")
    provider = pl.col("provider").str.to_lowercase()
    by_service = provider.replace_strict(list(SERVICES), list(SERVICES.values()), default=None, return_dtype=pl.String)
    channel = (
        pl.when(pl.col("calltype").is_in([8, 16])).then(pl.lit("facetime"))
        .when(pl.col("calltype") == 1).then(pl.lit("voice"))
        .otherwise(pl.coalesce(by_service, provider.str.split(".").list.last(), pl.lit("voice")))
    )
    addr = pl.col("address")
    phone_like = addr.str.contains(r"^\+?[\d\s\-().]{3,}$")
    other = (
        pl.when(addr.is_null() | (addr == "")).then(
            pl.when(pl.col("availability").fill_null(0) != 0).then(pl.lit("phone:Unavailable")).otherwise(None))
        .when(addr.str.contains("@s.whatsapp.net") | addr.str.ends_with("@g.us")).then(jid_expr(addr))
        .when(channel.is_in(["voice", "facetime"]) | phone_like).then(
            pl.when(addr.str.contains("@")).then(pl.lit("email:") + addr).otherwise(pl.lit("phone:") + addr))
        .when(addr.str.contains("@")).then(pl.lit("email:") + addr)
        .otherwise(pl.format("{}:{}", channel, addr))
    )
    members = pl.col("members").fill_null(pl.lit([], pl.List(pl.String))).list.eval(
        pl.when(pl.element().str.contains("@")).then(pl.lit("email:") + pl.element()).otherwise(pl.lit("phone:") + pl.element()))
    others = pl.when(members.list.len() > 0).then(members).otherwise(pl.concat_list(other).list.drop_nulls())
    outgoing = pl.col("originated") == 1
    answered = pl.col("answered").fill_null(0) == 1
    start = from_epoch(pl.col("date"), "apple_s").cast(TS_TYPE)
    seconds = pl.col("duration").fill_null(0).round(0).cast(pl.Int64)
    kind_text = pl.col("calltype").replace_strict(list(CALL_TYPES), list(CALL_TYPES.values()), default=None,
                                                  return_dtype=pl.String)
    text = (
        pl.when(pl.col("calltype").is_in([8, 16])).then(kind_text)
        .when(pl.col("calltype") == 0).then(pl.format("app call via {}", pl.col("provider").fill_null("unknown app")))
        .otherwise(None)
    )
    events = frame.select(
        pl.format("ZCALLRECORD {}", pl.col("pk")).alias("source_ref"),
        pl.lit("call").alias("kind"),
        channel.alias("channel"),
        start.alias("ts_utc"),
        pl.when(seconds > 0).then(start + pl.duration(milliseconds=(pl.col("duration") * 1000).round(0).cast(pl.Int64)))
        .otherwise(None).cast(TS_TYPE).alias("ts_end_utc"),
        pl.lit("utc").alias("ts_basis"),
        pl.col("date").cast(pl.String).alias("ts_raw"),
        pl.when(outgoing).then(pl.lit("out")).otherwise(pl.lit("in")).alias("direction"),
        pl.when(outgoing).then(pl.lit(ctx.owner, pl.String)).otherwise(others.list.first()).alias("sender"),
        pl.when(outgoing).then(others).otherwise(
            pl.concat_list(owner_list(ctx.owner), others.list.slice(1)).list.drop_nulls()).alias("recipients"),
        pl.when(answered).then(pl.lit("answered")).otherwise(pl.lit("missed")).alias("status"),
        seconds.alias("duration_s"),
        text.alias("text"),
    )
    if ctx.owner is None:
        notes.append("the owner's own number is not recorded in CallHistory.storedata: give --owner")
    named = frame.filter(pl.col("name").is_not_null() & (pl.col("name").str.strip_chars() != "") & pl.col("address").is_not_null()
                         & (pl.col("address") != ""))
    evidence = named.with_columns(other.alias("ident")).group_by("ident", "name", maintain_order=True).agg(
        pl.col("pk").first()).select(
        pl.lit(ctx.source_id).alias("source_id"),
        pl.format("ZCALLRECORD {}", pl.col("pk")).alias("source_ref"),
        pl.lit("contact-card").alias("basis"),
        (pl.lit("name:") + pl.col("name").str.strip_chars()).alias("identifier"),
        pl.col("ident").alias("related"),
        pl.format("the call history recorded the contact name '{}' (ZCALLRECORD {})", pl.col("name"), pl.col("pk")).alias("detail"),
    )
    region = decide_region(ctx, notes, events, evidence, countries=frame.get_column("iso"),
                           countries_from="ZCALLRECORD.ZISO_COUNTRY_CODE")
    return ParseResult(events=events, rejects=empty_rejects(), records_read=events.height, region=region,
                       assumptions=notes, evidence=tidy_evidence(evidence, region))
