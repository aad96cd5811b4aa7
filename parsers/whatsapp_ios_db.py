"""WhatsApp for iOS: the message database ``ChatStorage.sqlite`` (Core Data).

Format notes, and where they come from (iLEAPP ``whatsAppMessages.py``; IPED's
``ExtractorIOS``; the schema and rows of the public iLEAPP test database from Josh
Hickman's iOS 15.3.1 image):

* ``ZWAMESSAGE``: one row per message or system event. ``ZMESSAGEDATE`` is
  **seconds** since 2001-01-01 UTC (Apple epoch, fractional for sent messages);
  ``ZISFROMME`` the direction relative to the owner; ``ZFROMJID`` the sender (a
  group's JID for group messages, whose member is ``ZGROUPMEMBER`` →
  ``ZWAGROUPMEMBER.ZMEMBERJID``); ``ZTOJID`` the recipient of sent messages;
  ``ZTEXT`` the text; ``ZCHATSESSION`` → ``ZWACHATSESSION`` (``ZCONTACTJID``,
  ``ZPARTNERNAME``, ``ZSESSIONTYPE`` 0 one-to-one, 1 group, 2 broadcast, 3 status);
  ``ZMEDIAITEM`` → ``ZWAMEDIAITEM`` (``ZMEDIALOCALPATH``, ``ZTITLE`` caption or
  document name, ``ZLATITUDE``/``ZLONGITUDE`` for shared locations).
* ``ZMESSAGETYPE``: 0 text, 1 image, 2 video, 3 audio, 4 contact, 5 location,
  7 link, 8 document, 11 GIF, 14 deleted for everyone (``deleted-by-sender``),
  15 sticker; 6 group events and 10 system notices are notes, except type 10 with
  ``ZGROUPEVENTTYPE`` 1 (missed voice call) or 4 (missed video call): missed calls.
* Sent ``ZMESSAGESTATUS``: 1 sent, 6 delivered, 8 read/played, 9 not sent.
* JIDs are international numbers (``19198887386@s.whatsapp.net`` is ``+19198887386``),
  so no region is needed; ``…@g.us`` is a group, ``…@lid`` a hidden number.
* The owner: ``--owner``, else the one JID that received messages addressed to the
  phone (``ZTOJID`` of received rows), stated as an assumption.
* Gaps in ``Z_PK`` (``Z_PRIMARYKEY.Z_MAX`` is the highest ever issued) are rows
  deleted before acquisition: counted in the notes.

Public sample: iLEAPP ``ChatStorage.sqlite`` (josh_ios15): 32 rows in ZWAMESSAGE
(Apple seconds 670009446–706027000), 5 chat sessions (4 groups, 1 one-to-one): 21
messages (15 text, 2 images, 4 shared locations; 11 sent, 10 received) and 11 system
notes; Z_PK 28 is missing (Z_MAX 33): one message deleted before acquisition.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

import polars as pl

from atlas.model import TS_TYPE, Channel, EvidenceCategory
from atlas.normalise.times import from_epoch
from parsers._phone_db import (
    empty_rejects,
    has_columns,
    id_gap_note,
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
    name="whatsapp-ios-db",
    version="1.1.0",
    description="WhatsApp iOS message database (ChatStorage.sqlite)",
    detects="SQLite with ZWAMESSAGE (ZISFROMME, ZMESSAGEDATE) and ZWACHATSESSION tables",
    notes=__doc__ or "",
    category=EvidenceCategory.HANDSET_DOWNLOAD,
    channels=frozenset({Channel.WHATSAPP}),
    sample_counts=(
        SampleCount("ileapp-josh-ios15-whatsapp/ChatStorage.sqlite", 32, 32, 0, "ZWAMESSAGE 1", "2022-06-05T00:46:50+00:00",
                    note="iLEAPP josh_ios15 ChatStorage.sqlite: 21 messages and 11 notes in 5 chats"),
    ),
)

MEDIA_KINDS: Final = {1: "image", 2: "video", 3: "audio", 4: "contact card", 8: "document", 11: "GIF", 15: "sticker"}
SENT_STATUS: Final = {1: "sent", 6: "delivered", 8: "read", 9: "unsent"}


def detect(probe: Probe) -> int:
    tables = probe.sqlite_tables
    if has_columns(tables, "ZWAMESSAGE", "ZISFROMME", "ZMESSAGEDATE") and "ZWACHATSESSION" in tables:
        return 95
    return 0


def owner_from_rows(frame: pl.DataFrame, to_col: str, from_me_col: str) -> str | None:
    """The single person JID that received messages addressed to this phone, if unique."""
    tos = frame.filter((pl.col(from_me_col).fill_null(0) == 0) & pl.col(to_col).str.ends_with("@s.whatsapp.net")).get_column(
        to_col).unique()
    return str(tos.item()) if tos.len() == 1 else None


def _read(con: sqlite3.Connection, path: Path, tables: dict[str, set[str]]) -> pl.DataFrame:
    m = select_sql(tables, "ZWAMESSAGE", {
        "pk": "Z_PK", "from_me": "ZISFROMME", "date": "ZMESSAGEDATE", "mtype": "ZMESSAGETYPE", "gevent": "ZGROUPEVENTTYPE",
        "status": "ZMESSAGESTATUS", "text": "ZTEXT", "from_jid": "ZFROMJID", "to_jid": "ZTOJID",
    }, alias="m")
    s = select_sql(tables, "ZWACHATSESSION", {"chat_jid": "ZCONTACTJID", "partner": "ZPARTNERNAME",
                                              "session_type": "ZSESSIONTYPE"}, alias="s")
    joins = "LEFT JOIN ZWACHATSESSION s ON s.Z_PK = m.ZCHATSESSION"
    member = "NULL AS member_jid"
    if has_columns(tables, "ZWAGROUPMEMBER", "Z_PK", "ZMEMBERJID") and "ZGROUPMEMBER" in tables["ZWAMESSAGE"]:
        member, joins = "g.ZMEMBERJID AS member_jid", joins + " LEFT JOIN ZWAGROUPMEMBER g ON g.Z_PK = m.ZGROUPMEMBER"
    media = "NULL AS path, NULL AS title, NULL AS lat, NULL AS lon"
    if "ZWAMEDIAITEM" in tables and "ZMEDIAITEM" in tables["ZWAMESSAGE"]:
        media = select_sql(tables, "ZWAMEDIAITEM", {"path": "ZMEDIALOCALPATH", "title": "ZTITLE", "lat": "ZLATITUDE",
                                                   "lon": "ZLONGITUDE"}, alias="mi")
        joins += " LEFT JOIN ZWAMEDIAITEM mi ON mi.Z_PK = m.ZMEDIAITEM"
    return read_frame(con, path, f"SELECT {m}, {s}, {member}, {media} FROM ZWAMESSAGE m {joins} ORDER BY m.Z_PK", {
        "pk": pl.Int64, "from_me": pl.Int64, "date": pl.Float64, "mtype": pl.Int64, "gevent": pl.Int64, "status": pl.Int64,
        "text": pl.String, "from_jid": pl.String, "to_jid": pl.String, "chat_jid": pl.String, "partner": pl.String,
        "session_type": pl.Int64, "member_jid": pl.String, "path": pl.String, "title": pl.String, "lat": pl.Float64,
        "lon": pl.Float64,
    })


def _deleted_rows(pks: pl.Series, z_max: int | None) -> list[str]:
    """Core Data issues Z_PK 1, 2, 3 …; ``Z_PRIMARYKEY.Z_MAX`` is the highest ever issued."""
    if z_max is None:
        gap = id_gap_note(pks, "ZWAMESSAGE")
        return [gap] if gap else []
    missing = sorted(set(range(1, z_max + 1)) - set(pks.drop_nulls().to_list()))
    if not missing:
        return []
    shown = ", ".join(map(str, missing[:5])) + (" …" if len(missing) > 5 else "")
    return [f"ZWAMESSAGE: {len(missing)} Z_PK value(s) issued but absent (Z_MAX {z_max}; missing {shown}): messages "
            "deleted before acquisition; their content may survive in the database's free pages (not read here)"]


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    with open_evidence(path) as (con, notes):
        tables = table_columns(con, path)
        require(tables, path, "ZWAMESSAGE", "Z_PK", "ZISFROMME", "ZMESSAGEDATE")
        frame = _read(con, path, tables)
        z_max = None
        if has_columns(tables, "Z_PRIMARYKEY", "Z_NAME", "Z_MAX"):
            row = con.execute("SELECT Z_MAX FROM Z_PRIMARYKEY WHERE Z_NAME = 'WAMessage'").fetchone()
            z_max = int(row[0]) if row and row[0] is not None else None
    owner = ctx.owner
    inferred_jid = None if owner else owner_from_rows(frame, "to_jid", "from_me")
    inferred = jid_raw(inferred_jid)
    if inferred_jid:
        notes.append(f"owner taken as {inferred_jid}: the one JID that received messages addressed to this phone (ZTOJID)")
    me = owner or inferred
    notes.extend(_deleted_rows(frame.get_column("pk"), z_max))

    chat = pl.coalesce(pl.col("chat_jid"), pl.when(pl.col("from_me") == 1).then(pl.col("to_jid")).otherwise(pl.col("from_jid")))
    is_group = chat.str.ends_with("@g.us") | (pl.col("session_type") == 1)
    is_status = (pl.col("session_type") == 3) | chat.str.starts_with("status@")
    from_me = pl.col("from_me").fill_null(0) == 1
    mtype = pl.col("mtype").fill_null(0)
    gevent = pl.col("gevent").fill_null(0)
    missed_call = (mtype == 10) & gevent.is_in([1, 4])
    is_note = (mtype.is_in([6, 10]) & ~missed_call) | is_status
    revoked = mtype == 14
    chat_id = jid_expr(chat)
    sender_in = pl.when(is_group).then(jid_expr(pl.col("member_jid"))).otherwise(jid_expr(pl.coalesce(pl.col("from_jid"), chat)))
    sender = pl.when(is_note).then(None).when(from_me).then(pl.lit(me, pl.String)).otherwise(sender_in)
    recipients = (
        pl.when(is_note).then(pl.lit([], pl.List(pl.String)))
        .when(from_me).then(pl.concat_list(chat_id).list.drop_nulls())
        .when(is_group).then(pl.concat_list(chat_id, owner_list(me)).list.drop_nulls())
        .otherwise(owner_list(me))
    )
    kind_label = mtype.replace_strict(list(MEDIA_KINDS), list(MEDIA_KINDS.values()), default=None, return_dtype=pl.String)
    name = pl.when(mtype == 8).then(pl.coalesce(pl.col("title"), pl.col("path").str.split("/").list.last())).otherwise(
        pl.col("path").str.split("/").list.last())
    name = pl.coalesce(name, pl.when(kind_label.is_not_null()).then(pl.format("<{}>", kind_label)))
    attachment = pl.when(name.is_null()).then(None).when(pl.col("path").is_not_null() & (pl.col("path") != name)).then(
        pl.format("{} [stored: {}]", name, pl.col("path"))).otherwise(name)
    has_fix = (mtype == 5) & pl.col("lat").is_not_null() & ((pl.col("lat") != 0) | (pl.col("lon") != 0))
    caption = pl.when(mtype != 8).then(pl.col("title")).otherwise(None)
    body = pl.coalesce(pl.col("text"), caption)
    text = (
        pl.when(missed_call).then(pl.when(gevent == 4).then(pl.lit("Missed video call")).otherwise(pl.lit("Missed voice call")))
        .when(is_note).then(pl.coalesce(body, pl.format("WhatsApp system message (type {}, group event {}) in {}", mtype, gevent,
                                                            pl.coalesce(pl.col("partner"), chat, pl.lit("?")))))
        .when(revoked).then(pl.coalesce(body, pl.lit("This message was deleted")))
        .when(body.is_null() & has_fix).then(pl.format("Location: {}, {}", pl.col("lat").round(6), pl.col("lon").round(6)))
        .otherwise(body)
    )
    status = (
        pl.when(missed_call).then(pl.lit("missed"))
        .when(revoked).then(pl.lit("deleted-by-sender"))
        .when(from_me & ~is_note).then(pl.col("status").replace_strict(list(SENT_STATUS), list(SENT_STATUS.values()),
                                                                       default=None, return_dtype=pl.String))
        .otherwise(None)
    )
    events = frame.select(
        pl.format("ZWAMESSAGE {}", pl.col("pk")).alias("source_ref"),
        pl.when(missed_call).then(pl.lit("call")).when(is_note).then(pl.lit("note")).otherwise(pl.lit("message")).alias("kind"),
        pl.lit("whatsapp").alias("channel"),
        from_epoch(pl.col("date"), "apple_s").cast(TS_TYPE).alias("ts_utc"),
        pl.lit("utc").alias("ts_basis"),
        pl.col("date").cast(pl.String).alias("ts_raw"),
        pl.when(is_note).then(None).when(from_me).then(pl.lit("out")).otherwise(pl.lit("in")).alias("direction"),
        sender.alias("sender"),
        recipients.alias("recipients"),
        status.alias("status"),
        text.alias("text"),
        pl.when(is_note | missed_call).then(pl.lit([], pl.List(pl.String))).otherwise(
            pl.concat_list(attachment).list.drop_nulls()).alias("attachments"),
        pl.when(has_fix).then(pl.col("lat")).otherwise(None).alias("lat"),
        pl.when(has_fix).then(pl.col("lon")).otherwise(None).alias("lon"),
    )
    if me is None:
        notes.append("the owner's WhatsApp number could not be determined: sent messages have no sender (give --owner)")
    return ParseResult(events=events, rejects=empty_rejects(), records_read=events.height, owner=inferred,
                       assumptions=notes)
