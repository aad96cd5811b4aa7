"""WhatsApp for Android: the decrypted message database ``msgstore.db``.

Two layouts are in circulation and both are read (the newer wins where a migrated
database still carries the old table; the old table's size is then stated):

* **legacy** (to 2022): ``messages``: ``key_remote_jid`` (the chat), ``key_from_me``,
  ``key_id``, ``status``, ``data`` (text), ``timestamp`` (**ms** since 1970 UTC),
  ``media_wa_type``, ``media_name``, ``media_caption``, ``media_mime_type``,
  ``latitude``/``longitude``, ``remote_resource`` (the sender inside a group);
* **current**: ``message`` (``chat_row_id``, ``from_me``, ``key_id``,
  ``sender_jid_row_id``, ``status``, ``timestamp`` ms, ``message_type``,
  ``text_data``) with ``chat`` → ``jid`` (``user``/``server``/``raw_string``),
  ``message_media`` (``file_path``, ``media_name``, ``media_caption``, ``mime_type``),
  ``message_location``, ``message_revoked`` (deleted for everyone) and
  ``message_system``.

Both have ``call_log`` (``jid_row_id`` → ``jid``, ``from_me``, ``timestamp`` ms,
``video_call``, ``duration`` s, ``call_result``: 2 unanswered, 3 unavailable,
4 rejected, 5 answered, 6 answered on another device, 7 busy;
``group_jid_row_id`` ≠ 0 for a group call).

Format notes, and where they come from (frozenspider/chat-history-manager's msgstore
test schemas; thebinaryhick.blog "New msgstore, who dis?" (2022); ALEAPP/IPED
WhatsApp extractors):

* JIDs: ``<international number>@s.whatsapp.net`` is a person (a phone number
  without '+'), ``…@g.us`` a group, ``…@lid`` a hidden number, ``status@broadcast``
  the Status feed (kept as notes, not contact).
* ``message_type`` / ``media_wa_type``: 0 text, 1 image, 2 audio, 3 video, 4 contact
  card, 5 location, 7 system (group events, security notices: notes), 9 document,
  13 GIF, 15 deleted for everyone (``deleted-by-sender``), 16 live location,
  20 sticker. System rows of the legacy table are ``status`` 6.
* Outgoing ``status``: 4 sent (on the server), 5 delivered, 13 read, 8 played.
* Attachments are named by ``media_name`` (what the message calls the file) or else
  the file name of ``file_path``, listed as ``<name> [stored: <file_path>]``.
* The database does not record the owner's own number: ``--owner`` supplies it
  (direction comes from ``from_me`` either way).

No public msgstore.db is in the shared samples (real ones are encrypted ``.crypt14``
backups or extractions of private phones); the tests use the generator's files in
both layouts.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

import polars as pl

from atlas.model import TS_TYPE
from atlas.normalise.times import from_epoch
from parsers._phone_db import (
    has_columns,
    id_gap_note,
    jid_expr,
    open_evidence,
    owner_list,
    read_frame,
    rejects,
    select_sql,
    table_columns,
)
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe

INFO: Final = ParserInfo(
    name="whatsapp-android-db",
    version="1.0.0",
    description="WhatsApp Android message database (msgstore.db, legacy or current layout)",
    detects="SQLite with 'messages' (key_remote_jid, key_from_me) or 'message' (chat_row_id, from_me, key_id) + 'jid'",
    notes=__doc__ or "",
    sample_counts={},
)

SYSTEM_TYPES: Final = (7,)
REVOKED_TYPE: Final = 15
MEDIA_KINDS: Final = {1: "image", 2: "audio", 3: "video", 4: "contact card", 5: "location", 9: "document", 13: "GIF",
                      16: "live location", 20: "sticker"}
CALL_RESULTS: Final = {2: "missed", 3: "missed", 4: "rejected", 5: "answered", 6: "answered", 7: "missed"}

MSG_SCHEMA: Final = {
    "rowid": pl.Int64, "chat_jid": pl.String, "from_me": pl.Int64, "sender_jid": pl.String, "status": pl.Int64,
    "timestamp": pl.Int64, "mtype": pl.Int64, "text": pl.String, "media_name": pl.String, "file_path": pl.String,
    "caption": pl.String, "mime": pl.String, "lat": pl.Float64, "lon": pl.Float64, "revoked": pl.Int64, "subject": pl.String,
}


def is_current(tables: dict[str, set[str]]) -> bool:
    return has_columns(tables, "message", "chat_row_id", "from_me", "key_id", "timestamp") and "jid" in tables


def is_legacy(tables: dict[str, set[str]]) -> bool:
    return has_columns(tables, "messages", "key_remote_jid", "key_from_me", "timestamp")


def detect(probe: Probe) -> int:
    tables = probe.sqlite_tables
    return 95 if is_current(tables) or is_legacy(tables) else 0


def _jid_sql(alias: str, tables: dict[str, set[str]]) -> str:
    if "raw_string" in tables.get("jid", set()):
        return f"COALESCE({alias}.raw_string, {alias}.user || '@' || {alias}.server)"
    return f"({alias}.user || '@' || {alias}.server)"


def _current(con: sqlite3.Connection, path: Path, tables: dict[str, set[str]]) -> pl.DataFrame:
    m = select_sql(tables, "message", {"rowid": "_id", "from_me": "from_me", "status": "status", "timestamp": "timestamp",
                                       "mtype": "message_type", "text": "text_data"}, alias="m")
    joins = ["LEFT JOIN chat c ON c._id = m.chat_row_id", "LEFT JOIN jid cj ON cj._id = c.jid_row_id",
             "LEFT JOIN jid sj ON sj._id = m.sender_jid_row_id"]
    media = "NULL AS media_name, NULL AS file_path, NULL AS caption, NULL AS mime"
    if "message_media" in tables:
        media = select_sql(tables, "message_media", {"media_name": "media_name", "file_path": "file_path",
                                                     "caption": "media_caption", "mime": "mime_type"}, alias="mm")
        joins.append("LEFT JOIN message_media mm ON mm.message_row_id = m._id")
    loc = "NULL AS lat, NULL AS lon"
    if has_columns(tables, "message_location", "message_row_id", "latitude", "longitude"):
        loc = "ml.latitude AS lat, ml.longitude AS lon"
        joins.append("LEFT JOIN message_location ml ON ml.message_row_id = m._id")
    revoked = "0 AS revoked"
    if has_columns(tables, "message_revoked", "message_row_id"):
        revoked = "(mr.message_row_id IS NOT NULL) AS revoked"
        joins.append("LEFT JOIN message_revoked mr ON mr.message_row_id = m._id")
    subject = "c.subject" if "subject" in tables.get("chat", set()) else "NULL"
    query = (f"SELECT {m}, {_jid_sql('cj', tables)} AS chat_jid, "
             f"CASE WHEN m.sender_jid_row_id > 0 THEN {_jid_sql('sj', tables)} END AS sender_jid, "
             f"{media}, {loc}, {revoked}, {subject} AS subject FROM message m {' '.join(joins)} ORDER BY m._id")
    return read_frame(con, path, query, MSG_SCHEMA)


def _legacy(con: sqlite3.Connection, path: Path, tables: dict[str, set[str]]) -> pl.DataFrame:
    cols = select_sql(tables, "messages", {
        "rowid": "_id", "chat_jid": "key_remote_jid", "from_me": "key_from_me", "sender_jid": "remote_resource",
        "status": "status", "timestamp": "timestamp", "mtype": "media_wa_type", "text": "data", "media_name": "media_name",
        "file_path": "media_url", "caption": "media_caption", "mime": "media_mime_type", "lat": "latitude", "lon": "longitude",
    }, alias="m")
    subject_join, subject = "", "NULL"
    if has_columns(tables, "chat_list", "key_remote_jid", "subject"):
        subject_join, subject = "LEFT JOIN chat_list cl ON cl.key_remote_jid = m.key_remote_jid", "cl.subject"
    # media_wa_type is declared TEXT in the legacy table: read it as a number.
    cols = cols.replace('m."media_wa_type" AS "mtype"', 'CAST(m."media_wa_type" AS INTEGER) AS "mtype"')
    frame = read_frame(con, path, f"SELECT {cols}, 0 AS revoked, {subject} AS subject FROM messages m {subject_join} "
                                  "ORDER BY m._id", MSG_SCHEMA)
    # The legacy media_url is a download URL, not a stored path: drop it as a path.
    return frame.with_columns(pl.lit(None, pl.String).alias("file_path"))


def _messages(frame: pl.DataFrame, owner: str | None, ref: str, legacy: bool) -> pl.DataFrame:
    chat = pl.col("chat_jid")
    is_group = chat.str.ends_with("@g.us")
    is_status = chat.str.ends_with("@broadcast") & chat.str.starts_with("status")
    from_me = pl.col("from_me").fill_null(0) == 1
    mtype = pl.col("mtype").fill_null(0)
    is_system = mtype.is_in(SYSTEM_TYPES) | chat.is_null() | (
        pl.lit(legacy) & (pl.col("status") == 6) & (mtype == 0) & pl.col("text").is_null())
    is_note = is_system | is_status
    revoked = (mtype == REVOKED_TYPE) | (pl.col("revoked").fill_null(0) == 1)
    chat_id = jid_expr(chat)
    member = jid_expr(pl.col("sender_jid"))
    sender = pl.when(is_note).then(None).when(from_me).then(pl.lit(owner, pl.String)).when(is_group).then(member).otherwise(chat_id)
    recipients = (
        pl.when(is_note).then(pl.lit([], pl.List(pl.String)))
        .when(from_me).then(pl.concat_list(chat_id).list.drop_nulls())
        .when(is_group).then(pl.concat_list(chat_id, owner_list(owner)).list.drop_nulls())
        .otherwise(owner_list(owner))
    )
    status = (
        pl.when(revoked).then(pl.lit("deleted-by-sender"))
        .when(from_me & ~is_note).then(pl.col("status").replace_strict([4, 5, 13, 8], ["sent", "delivered", "read", "read"],
                                                                       default=None, return_dtype=pl.String))
        .otherwise(None)
    )
    kind_label = mtype.replace_strict(list(MEDIA_KINDS), list(MEDIA_KINDS.values()), default=None, return_dtype=pl.String)
    placeholder = pl.when(mtype.is_in([5, 16]) | kind_label.is_null()).then(None).otherwise(pl.format("<{}>", kind_label))
    name = pl.coalesce(pl.col("media_name"), pl.col("file_path").str.split("/").list.last(), placeholder)
    attachment = (
        pl.when(name.is_null()).then(None)
        .when(pl.col("file_path").is_not_null() & (pl.col("file_path") != name))
        .then(pl.format("{} [stored: {}]", name, pl.col("file_path"))).otherwise(name)
    )
    has_fix = pl.col("lat").is_not_null() & pl.col("lon").is_not_null() & ((pl.col("lat") != 0) | (pl.col("lon") != 0))
    body = pl.coalesce(pl.col("text"), pl.col("caption"))
    text = (
        pl.when(is_status).then(pl.format("Status update: {}", pl.coalesce(body, kind_label, pl.lit("(media)"))))
        .when(is_system).then(pl.coalesce(body, pl.format("WhatsApp system message (type {}) in {}", mtype,
                                                             pl.coalesce(pl.col("subject"), chat, pl.lit("?")))))
        .when(revoked).then(pl.coalesce(body, pl.lit("This message was deleted")))
        .when(body.is_null() & has_fix).then(pl.format("Location: {}, {}", pl.col("lat").round(6), pl.col("lon").round(6)))
        .otherwise(body)
    )
    return frame.select(
        pl.format("{} rowid {}", pl.lit(ref), pl.col("rowid")).alias("source_ref"),
        pl.when(is_note).then(pl.lit("note")).otherwise(pl.lit("message")).alias("kind"),
        pl.lit("whatsapp").alias("channel"),
        from_epoch(pl.col("timestamp"), "unix_ms").cast(TS_TYPE).alias("ts_utc"),
        pl.lit("utc").alias("ts_basis"),
        pl.col("timestamp").cast(pl.String).alias("ts_raw"),
        pl.when(is_note).then(None).when(from_me).then(pl.lit("out")).otherwise(pl.lit("in")).alias("direction"),
        sender.alias("sender"),
        recipients.alias("recipients"),
        status.alias("status"),
        text.alias("text"),
        pl.when(is_note).then(pl.lit([], pl.List(pl.String))).otherwise(pl.concat_list(attachment).list.drop_nulls()).alias("attachments"),
        pl.when(has_fix).then(pl.col("lat")).otherwise(None).alias("lat"),
        pl.when(has_fix).then(pl.col("lon")).otherwise(None).alias("lon"),
    )


def _calls(con: sqlite3.Connection, path: Path, tables: dict[str, set[str]], owner: str | None) -> pl.DataFrame:
    cols = select_sql(tables, "call_log", {"rowid": "_id", "from_me": "from_me", "timestamp": "timestamp",
                                           "video": "video_call", "duration": "duration", "result": "call_result"}, alias="cl")
    group_sql = "NULL"
    joins = "LEFT JOIN jid j ON j._id = cl.jid_row_id"
    if "group_jid_row_id" in tables["call_log"]:
        group_sql = f"CASE WHEN cl.group_jid_row_id > 0 THEN {_jid_sql('g', tables)} END"
        joins += " LEFT JOIN jid g ON g._id = cl.group_jid_row_id"
    frame = read_frame(con, path, f"SELECT {cols}, {_jid_sql('j', tables)} AS jid, {group_sql} AS group_jid "
                                  f"FROM call_log cl {joins} ORDER BY cl._id", {
        "rowid": pl.Int64, "from_me": pl.Int64, "timestamp": pl.Int64, "video": pl.Int64, "duration": pl.Int64,
        "result": pl.Int64, "jid": pl.String, "group_jid": pl.String,
    })
    from_me = pl.col("from_me").fill_null(0) == 1
    other = jid_expr(pl.col("jid"))
    group = jid_expr(pl.col("group_jid"))
    status = pl.coalesce(
        pl.col("result").replace_strict(list(CALL_RESULTS), list(CALL_RESULTS.values()), default=None, return_dtype=pl.String),
        pl.when(pl.col("duration").fill_null(0) > 0).then(pl.lit("answered")).otherwise(pl.lit("missed")),
    )
    start = from_epoch(pl.col("timestamp"), "unix_ms").cast(TS_TYPE)
    return frame.select(
        pl.format("call_log rowid {}", pl.col("rowid")).alias("source_ref"),
        pl.lit("call").alias("kind"),
        pl.lit("whatsapp").alias("channel"),
        start.alias("ts_utc"),
        pl.when(pl.col("duration").fill_null(0) > 0).then(start + pl.duration(seconds=pl.col("duration"))).otherwise(None)
        .cast(TS_TYPE).alias("ts_end_utc"),
        pl.lit("utc").alias("ts_basis"),
        pl.col("timestamp").cast(pl.String).alias("ts_raw"),
        pl.when(from_me).then(pl.lit("out")).otherwise(pl.lit("in")).alias("direction"),
        pl.when(from_me).then(pl.lit(owner, pl.String)).otherwise(other).alias("sender"),
        pl.when(from_me).then(pl.concat_list(pl.coalesce(group, other)).list.drop_nulls())
        .otherwise(pl.concat_list(owner_list(owner), group).list.drop_nulls()).alias("recipients"),
        status.alias("status"),
        pl.col("duration").alias("duration_s"),
        pl.format("WhatsApp {} call{}", pl.when(pl.col("video").fill_null(0) == 1).then(pl.lit("video")).otherwise(pl.lit("voice")),
                  pl.when(group.is_not_null()).then(pl.lit(" (group)")).otherwise(pl.lit(""))).alias("text"),
    )


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    with open_evidence(path) as (con, notes):
        tables = table_columns(con, path)
        if not (is_current(tables) or is_legacy(tables)):
            from atlas.errors import FormatError
            raise FormatError(f"{path}: neither the current (message/chat/jid) nor the legacy (messages) WhatsApp layout")
        if is_current(tables):
            raw = _current(con, path, tables)
            ref, legacy = "message", False
            if is_legacy(tables):
                n_old = int(con.execute("SELECT count(*) FROM messages").fetchone()[0])
                notes.append(f"current layout read (message/chat/jid); the legacy 'messages' table also present "
                             f"({n_old} rows, the pre-migration copy) was not read")
        else:
            raw = _legacy(con, path, tables)
            ref, legacy = "messages", True
        calls = pl.DataFrame()
        if has_columns(tables, "call_log", "_id", "jid_row_id", "from_me", "timestamp") and "jid" in tables:
            calls = _calls(con, path, tables, ctx.owner)
    notes.append(f"WhatsApp {'legacy (messages table)' if legacy else 'current (message table)'} layout")
    gap = id_gap_note(raw.get_column("rowid"), f"{ref} table")
    if gap:
        notes.append(gap)
    if ctx.owner is None:
        notes.append("msgstore.db does not record the owner's own number: sent messages have no sender (give --owner)")
    placeholder = pl.col("chat_jid") == "-1"
    bad = rejects(ctx.source_id, raw.filter(placeholder).select(
        pl.format("{} rowid {}", pl.lit(ref), pl.col("rowid")).alias("source_ref"),
        pl.format("key_remote_jid -1, timestamp {}", pl.col("timestamp")).alias("excerpt")),
        "WhatsApp's placeholder row (key_remote_jid '-1'), written when the database was created: not a message")
    events = _messages(raw.filter(~placeholder | placeholder.is_null()), ctx.owner, ref, legacy)
    if calls.height:
        events = pl.concat([events, calls], how="diagonal_relaxed")
    return ParseResult(events=events, rejects=bad, records_read=events.height + bad.height, assumptions=notes)
