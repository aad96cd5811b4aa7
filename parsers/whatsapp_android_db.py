"""WhatsApp for Android: the decrypted message database ``msgstore.db``.

Two layouts are in circulation and both are read, from whichever tables hold the data:

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

Mixed generations, and how they are read (the choice is stated in the notes):

* **mid-migration**: WhatsApp 2.22 moved messages from ``messages`` to ``message`` in
  batches. A database caught part-way has both tables; the new one may hold only
  WhatsApp's placeholder row (``key_id`` '-1', no chat). Both are read: every real row
  of ``message``, and every row of ``messages`` that ``message`` does not also hold (the
  same ``key_id``, chat and direction: a migrated copy is one message, never counted
  twice). Which table each message came from is its ``source_ref``.
* **dropped or renamed columns** (2024-2025 versions): every column is selected by
  name and qualified by its table (2.24.25 has ``media_caption`` in more than one joined
  table: an unqualified name is ambiguous); one this version lacks is read as empty, and
  the notes list the columns absent that this parser would have used. Views are never
  read (2.24.19 dropped ``raw_string_jid`` from ``chat_view``: the ``chat`` and ``jid``
  tables are read instead), and the receipt columns 2.24.25 removed from ``message``
  (``received_timestamp``, ``receipt_server_timestamp``) are not needed. Sources: IPED
  issue 2326 (2024-10), whatsapp-viewer issue 183 (2025-01).
* **LID accounts**: newer versions address people by ``…@lid`` ids that hide the
  number. ``jid_map`` (``lid_row_id`` → ``jid_row_id``, both ``jid`` rows) maps a LID to
  the phone-number account WhatsApp knows it as: each mapping becomes identity evidence
  (``account-profile``, documentary) so alias resolution links the two; a LID with no
  mapping stays its own identifier (``whatsapp-lid:<id>``), counted in the notes.

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
every layout (current, legacy, mid-migration, WAL-only, LIDs with and without
``jid_map``). The ``jid_map`` table and its ``lid_row_id`` column are named in
WhatsApp's own SQL (decompiled Android builds).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

import polars as pl

from atlas.model import TS_TYPE, Channel, EvidenceCategory
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
    version="1.1.0",
    description="WhatsApp Android message database (msgstore.db, legacy or current layout)",
    detects="SQLite with 'messages' (key_remote_jid, key_from_me) or 'message' (chat_row_id, from_me, key_id) + 'jid'",
    notes=__doc__ or "",
    category=EvidenceCategory.HANDSET_DOWNLOAD,
    channels=frozenset({Channel.WHATSAPP}),
    no_public_sample="no public msgstore.db exists (real ones are encrypted backups or private phones); tested on the generator's files in every layout",
)

SYSTEM_TYPES: Final = (7,)
REVOKED_TYPE: Final = 15
MEDIA_KINDS: Final = {1: "image", 2: "audio", 3: "video", 4: "contact card", 5: "location", 9: "document", 13: "GIF",
                      16: "live location", 20: "sticker"}
CALL_RESULTS: Final = {2: "missed", 3: "missed", 4: "rejected", 5: "answered", 6: "answered", 7: "missed"}

MSG_SCHEMA: Final = {
    "rowid": pl.Int64, "key_id": pl.String, "chat_jid": pl.String, "from_me": pl.Int64, "sender_jid": pl.String, "status": pl.Int64,
    "timestamp": pl.Int64, "mtype": pl.Int64, "text": pl.String, "media_name": pl.String, "file_path": pl.String,
    "caption": pl.String, "mime": pl.String, "lat": pl.Float64, "lon": pl.Float64, "revoked": pl.Int64, "subject": pl.String,
}


CURRENT_MESSAGE: Final = {"rowid": "_id", "key_id": "key_id", "from_me": "from_me", "status": "status",
                           "timestamp": "timestamp", "mtype": "message_type", "text": "text_data"}
LEGACY_MESSAGES: Final = {
    "rowid": "_id", "key_id": "key_id", "chat_jid": "key_remote_jid", "from_me": "key_from_me",
    "sender_jid": "remote_resource", "status": "status", "timestamp": "timestamp", "mtype": "media_wa_type", "text": "data",
    "media_name": "media_name", "file_path": "media_url", "caption": "media_caption", "mime": "media_mime_type",
    "lat": "latitude", "lon": "longitude",
}
EXPECTED_COLUMNS: Final = {
    "message": (*CURRENT_MESSAGE.values(), "chat_row_id", "sender_jid_row_id"),
    "message_media": ("message_row_id", "media_name", "file_path", "media_caption", "mime_type"),
    "chat": ("jid_row_id", "subject"),
    "jid": ("user", "server", "raw_string"),
}
"""Columns of the current layout this parser reads: those a version lacks are named in the notes."""


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
    m = select_sql(tables, "message", CURRENT_MESSAGE, alias="m")
    joins = ["LEFT JOIN chat c ON c._id = m.chat_row_id", "LEFT JOIN jid cj ON cj._id = c.jid_row_id"]
    sender = "NULL"
    if "sender_jid_row_id" in tables["message"]:
        joins.append("LEFT JOIN jid sj ON sj._id = m.sender_jid_row_id")
        sender = f"CASE WHEN m.sender_jid_row_id > 0 THEN {_jid_sql('sj', tables)} END"
    media = "NULL AS media_name, NULL AS file_path, NULL AS caption, NULL AS mime"
    if has_columns(tables, "message_media", "message_row_id"):
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
    query = (f"SELECT {m}, {_jid_sql('cj', tables)} AS chat_jid, {sender} AS sender_jid, "
             f"{media}, {loc}, {revoked}, {subject} AS subject FROM message m {' '.join(joins)} ORDER BY m._id")
    return read_frame(con, path, query, MSG_SCHEMA)


def _legacy(con: sqlite3.Connection, path: Path, tables: dict[str, set[str]]) -> pl.DataFrame:
    cols = select_sql(tables, "messages", LEGACY_MESSAGES, alias="m")
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


def _placeholder(frame: pl.DataFrame, ref: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(real rows, WhatsApp's placeholder rows): a row with key_id / key_remote_jid '-1', or
    (new layout) no chat, written when the table was created."""
    mark = (pl.col("key_id") == "-1") | (pl.col("chat_jid") == "-1")
    if ref == "message":
        mark = mark | pl.col("chat_jid").is_null() & (pl.col("timestamp").fill_null(0) <= 0)
    mark = mark.fill_null(False)
    return frame.filter(~mark), frame.filter(mark)


def _choose(tables: dict[str, set[str]], new: pl.DataFrame | None, old: pl.DataFrame | None,
            notes: list[str]) -> list[tuple[pl.DataFrame, str, bool]]:
    """Which rows of which table become messages: (rows, ref, legacy) parts, and why (in ``notes``)."""
    if new is None and old is not None:
        notes.append("WhatsApp legacy (messages table) layout")
        return [(old, "messages", True)]
    if old is None and new is not None:
        notes.append("WhatsApp current (message table) layout")
        return [(new, "message", False)]
    assert new is not None and old is not None
    key = ["key_id", "from_me", "chat_jid"]
    duplicate = old.join(new.select(key).unique(), on=key, how="semi", nulls_equal=False)
    only_old = old.join(duplicate.select("rowid"), on="rowid", how="anti")
    if new.height == 0:
        notes.append(f"both WhatsApp layouts present, mid-migration: the new 'message' table holds no message (only "
                     f"WhatsApp's placeholder row, if any), so the {old.height} message(s) were read from the legacy "
                     "'messages' table, which holds them because the database had not finished migrating")
    else:
        notes.append(f"both WhatsApp layouts present, mid-migration: {new.height} message(s) read from the new 'message' "
                     f"table and {only_old.height} from the legacy 'messages' table that the new one does not hold; "
                     f"{duplicate.height} legacy row(s) are migrated copies of rows in 'message' (same key_id, chat and "
                     "direction) and were not counted again")
    return [(new, "message", False), (only_old, "messages", True)]


def _lid_evidence(con: sqlite3.Connection, path: Path, tables: dict[str, set[str]], source_id: str) -> pl.DataFrame | None:
    """``jid_map``: LID account → phone-number account, as ``account-profile`` evidence."""
    if not (has_columns(tables, "jid_map", "lid_row_id", "jid_row_id") and "jid" in tables):
        return None
    pairs = read_frame(con, path, f"SELECT m.lid_row_id, {_jid_sql('l', tables)} AS lid, {_jid_sql('p', tables)} AS phone "
                                  "FROM jid_map m JOIN jid l ON l._id = m.lid_row_id JOIN jid p ON p._id = m.jid_row_id "
                                  "ORDER BY m.lid_row_id", {"lid_row_id": pl.Int64, "lid": pl.String, "phone": pl.String})
    pairs = pairs.with_columns(jid_expr(pl.col("lid")).alias("a"), jid_expr(pl.col("phone")).alias("b")).filter(
        pl.col("a").str.starts_with("whatsapp-lid:") & pl.col("b").str.starts_with("phone:"))
    return pairs.select(
        pl.lit(source_id).alias("source_id"),
        pl.format("jid_map lid_row_id {}", pl.col("lid_row_id")).alias("source_ref"),
        pl.lit("account-profile").alias("basis"),
        pl.col("a").alias("identifier"),
        pl.col("b").alias("related"),
        pl.format("WhatsApp's jid_map maps the hidden-number (LID) account {} to the phone-number account {}",
                  pl.col("lid"), pl.col("phone")).alias("detail"),
    )


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    with open_evidence(path) as (con, notes):
        tables = table_columns(con, path)
        if not (is_current(tables) or is_legacy(tables)):
            from atlas.errors import FormatError
            raise FormatError(f"{path}: neither the current (message/chat/jid) nor the legacy (messages) WhatsApp layout")
        placeholders: list[tuple[pl.DataFrame, str]] = []
        ids: dict[str, pl.Series] = {}
        new = old = None
        if is_current(tables):
            raw = _current(con, path, tables)
            ids["message"] = raw.get_column("rowid")
            new, held = _placeholder(raw, "message")
            placeholders.append((held, "message"))
            absent = [f"{t}.{c}" for t, cols in EXPECTED_COLUMNS.items() if t in tables for c in cols if c not in tables[t]]
            if absent:
                notes.append(f"columns this WhatsApp version does not have, read as empty: {', '.join(absent)}")
        if is_legacy(tables):
            raw = _legacy(con, path, tables)
            ids["messages"] = raw.get_column("rowid")
            old, held = _placeholder(raw, "messages")
            placeholders.append((held, "messages"))
        calls = pl.DataFrame()
        if has_columns(tables, "call_log", "_id", "jid_row_id", "from_me", "timestamp") and "jid" in tables:
            calls = _calls(con, path, tables, ctx.owner)
        evidence = _lid_evidence(con, path, tables, ctx.source_id)
    parts = _choose(tables, new, old, notes)
    for rows, ref, _ in parts:
        gap = id_gap_note(ids[ref], f"{ref} table") if rows.height else None
        if gap:
            notes.append(gap)
    if ctx.owner is None:
        notes.append("msgstore.db does not record the owner's own number: sent messages have no sender (give --owner)")
    bad = pl.concat([rejects(ctx.source_id, held.select(
        pl.format("{} rowid {}", pl.lit(ref), pl.col("rowid")).alias("source_ref"),
        pl.format("key_id {}, timestamp {}", pl.col("key_id").fill_null("(none)"), pl.col("timestamp")).alias("excerpt")),
        f"WhatsApp's placeholder row ({'key_remote_jid' if ref == 'messages' else 'key_id'} '-1'), written when the "
        "database was created: not a message") for held, ref in placeholders])
    events = pl.concat([_messages(rows, ctx.owner, ref, legacy) for rows, ref, legacy in parts], how="diagonal_relaxed")
    if calls.height:
        events = pl.concat([events, calls], how="diagonal_relaxed")
    shown = events.select(pl.concat_list("sender", "recipients")).to_series().explode().drop_nulls()
    lids = set(shown.filter(shown.str.starts_with("whatsapp-lid:")).to_list())
    mapped = set(evidence.get_column("identifier")) if evidence is not None else set()
    if mapped:
        notes.append(f"{len(mapped)} hidden-number (LID) account(s) mapped to phone numbers by jid_map: recorded as "
                     "identity evidence (account-profile), so each is linked to its number; the records keep the LID "
                     "as the source wrote it")
    if lids - mapped:
        notes.append(f"{len(lids - mapped)} hidden-number (LID) account(s) with no mapping in the database "
                     f"({', '.join(sorted(lids - mapped)[:5])}): kept as their own identifiers (whatsapp-lid:…); "
                     "the number behind each is unknown from this source")
    return ParseResult(events=events, rejects=bad, records_read=events.height + bad.height, assumptions=notes,
                       evidence=evidence)
