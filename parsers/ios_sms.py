"""iOS Messages ``sms.db`` (iMessage, SMS, MMS and RCS on an iPhone).

Format notes, and where they come from (plaso's ``imessage`` plugin, iLEAPP
``sms.py``, the schema of the public plaso sample, Apple's typedstream format):

* ``message``: one row per message. ``date`` counts from 2001-01-01 UTC (the Apple /
  Cocoa epoch) in **seconds** before iOS 11 and **nanoseconds** after; both are read
  by value (:func:`atlas.normalise.times.from_epoch` ``apple_auto``). ``date_read`` and
  ``date_delivered`` use the same clock; 0 means never.
* ``is_from_me`` is the direction relative to the phone's owner; ``handle_id`` →
  ``handle.id`` is the other party (E.164 number or e-mail), ``handle.country`` the
  region the phone filed it under. Group chats: ``chat_message_join`` →
  ``chat_handle_join`` → ``handle`` lists the participants.
* ``service`` is ``iMessage``, ``SMS`` (an SMS with attachments is an MMS) or ``RCS``.
* ``account`` (``e:<apple id>`` / ``p:<number>``) and, from iOS 11,
  ``destination_caller_id`` are the owner's own identities: the owner is taken from
  them when ``--owner`` is not given (stated as an assumption).
* ``text`` is NULL in many iOS 16+ rows: the text is then recovered from
  ``attributedBody`` (a typedstream archive; see :func:`parsers._phone_db.typedstream_text`).
  Where both are present and differ, ``text`` is used and the difference is stated
  (the public sample has two such rows: ``Open Office`` in ``text`` but ``Microsoft
  Office`` in the archive, a sign the text column was edited).
* Attachments: ``message_attachment_join`` → ``attachment``: ``transfer_name`` is the
  name the message gave the file, ``filename`` where the phone stored it: listed as
  ``<transfer_name> [stored: <filename>]``.
* Status: sent messages are ``read`` (a read receipt), ``delivered``, ``sent``,
  ``failed`` (``error`` ≠ 0) or ``queued`` (never left the phone); ``date_retracted``
  (iOS 16 "Undo Send") is ``deleted-by-sender``; received ones ``read`` once opened.
* Deleted: rows in ``chat_recoverable_message_join`` (iOS 16 "Recently Deleted") are
  kept and marked deleted. ``deleted_messages`` (older iOS) lists only the GUIDs of
  deleted messages, no content or time: counted in the notes, not events.
* ``item_type`` ≠ 0 rows are group events (renames, members joining/leaving): notes.
* The database is usually in WAL mode: a ``-wal`` beside it is read with it as one
  source, on a temporary copy (:mod:`parsers._sqlite`; the notes say which tables'
  rows came from it).
* National numbers: the region is decided from ``handle.country`` (the country the
  phone filed each handle under), else the numbers themselves
  (:mod:`atlas.normalise.region`), and stated.

Public sample: plaso ``test_data/sqlite/imessage_chat.db``: 10 messages (all
iMessage; 5 sent, 5 received), first ``2015-11-22T18:09:46Z``, last
``2015-12-02T19:24:53Z``; its ``-wal`` is empty (0 bytes: nothing to replay); 226
GUIDs in ``deleted_messages``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

import polars as pl

from atlas.model import TS_TYPE, Channel, EvidenceCategory
from atlas.normalise.times import from_epoch
from atlas.wording import quoted
from parsers._phone_db import (
    decide_region,
    empty_rejects,
    has_columns,
    open_evidence,
    phone_or_email,
    read_frame,
    require,
    select_sql,
    table_columns,
    typedstream_text,
)
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe, SampleCount

INFO: Final = ParserInfo(
    name="ios-sms",
    version="1.1.0",
    description="iOS Messages database (sms.db: iMessage, SMS, MMS, RCS)",
    detects="SQLite with message (is_from_me, date), handle and chat_message_join tables",
    notes=__doc__ or "",
    category=EvidenceCategory.HANDSET_DOWNLOAD,
    channels=frozenset({Channel.IMESSAGE, Channel.SMS, Channel.MMS, Channel.RCS, Channel.OTHER_APP}),
    sample_counts=(
        SampleCount("plaso/imessage_chat.db", 10, 10, 0, "message rowid 1", "2015-11-22T18:09:46+00:00",
                    note="plaso test_data/sqlite/imessage_chat.db: 10 iMessages (5 sent, 5 received)"),
    ),
)

MESSAGE_COLUMNS: Final = {
    "rowid": "ROWID", "text": "text", "body": "attributedBody", "handle_id": "handle_id", "service": "service",
    "account": "account", "caller_id": "destination_caller_id", "date": "date", "date_read": "date_read",
    "date_delivered": "date_delivered", "is_from_me": "is_from_me", "is_delivered": "is_delivered",
    "is_sent": "is_sent", "is_read": "is_read", "error": "error", "item_type": "item_type",
    "retracted": "date_retracted", "has_attachments": "cache_has_attachments", "subject": "subject",
    "group_title": "group_title",
}


def detect(probe: Probe) -> int:
    tables = probe.sqlite_tables
    if has_columns(tables, "message", "is_from_me", "date", "handle_id") and "handle" in tables and "chat_message_join" in tables:
        return 95
    return 0


def _messages(con: sqlite3.Connection, path: Path, tables: dict[str, set[str]]) -> pl.DataFrame:
    cols = select_sql(tables, "message", MESSAGE_COLUMNS, alias="m")
    rows = con.execute(f"SELECT {cols}, h.id AS handle, h.country AS country FROM message m "
                       "LEFT JOIN handle h ON h.ROWID = m.handle_id ORDER BY m.ROWID")
    names = [d[0] for d in rows.description]
    data = rows.fetchall()
    body_i = names.index("body")
    # Per message (not vectorisable: a binary archive per row), only where it is needed.
    archived = [typedstream_text(r[body_i]) if r[body_i] is not None else None for r in data]
    frame = pl.DataFrame(
        {n: [r[i] for r in data] for i, n in enumerate(names) if n != "body"} | {"archived": archived},
        schema={
            "rowid": pl.Int64, "text": pl.String, "handle_id": pl.Int64, "service": pl.String, "account": pl.String,
            "caller_id": pl.String, "date": pl.Int64, "date_read": pl.Int64, "date_delivered": pl.Int64,
            "is_from_me": pl.Int64, "is_delivered": pl.Int64, "is_sent": pl.Int64, "is_read": pl.Int64,
            "error": pl.Int64, "item_type": pl.Int64, "retracted": pl.Int64, "has_attachments": pl.Int64,
            "subject": pl.String, "group_title": pl.String, "handle": pl.String, "country": pl.String,
            "archived": pl.String,
        },
        strict=False,
    )
    return frame


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    with open_evidence(path) as (con, notes):
        tables = table_columns(con, path)
        require(tables, path, "message", "ROWID", "date", "is_from_me", "handle_id")
        require(tables, path, "handle", "ROWID", "id")
        try:
            msgs = _messages(con, path, tables)
        except sqlite3.DatabaseError as exc:
            from atlas.errors import FormatError
            raise FormatError(f"{path}: database error while reading messages ({exc}); the file may be truncated or corrupt") from exc
        joins = read_frame(con, path, "SELECT message_id, chat_id FROM chat_message_join ORDER BY message_id, chat_id",
                           {"message_id": pl.Int64, "chat_id": pl.Int64})
        recoverable = pl.DataFrame(schema={"message_id": pl.Int64, "chat_id": pl.Int64})
        if has_columns(tables, "chat_recoverable_message_join", "chat_id", "message_id"):
            recoverable = read_frame(con, path, "SELECT message_id, chat_id FROM chat_recoverable_message_join "
                                                "ORDER BY message_id, chat_id", {"message_id": pl.Int64, "chat_id": pl.Int64})
        chat_handles = pl.DataFrame(schema={"chat_id": pl.Int64, "member": pl.String})
        if has_columns(tables, "chat_handle_join", "chat_id", "handle_id"):
            chat_handles = read_frame(con, path, "SELECT j.chat_id, h.id AS member FROM chat_handle_join j "
                                                 "JOIN handle h ON h.ROWID = j.handle_id ORDER BY j.chat_id, h.ROWID",
                                      {"chat_id": pl.Int64, "member": pl.String})
        attachments = pl.DataFrame(schema={"message_id": pl.Int64, "att": pl.String})
        if has_columns(tables, "message_attachment_join", "message_id", "attachment_id") and "attachment" in tables:
            att_cols = select_sql(tables, "attachment", {"filename": "filename", "transfer_name": "transfer_name"}, alias="a")
            att = read_frame(con, path, f"SELECT j.message_id, {att_cols} FROM message_attachment_join j "
                                        "JOIN attachment a ON a.ROWID = j.attachment_id ORDER BY j.message_id, a.ROWID",
                             {"message_id": pl.Int64, "filename": pl.String, "transfer_name": pl.String})
            shown = pl.coalesce(pl.col("transfer_name"), pl.col("filename").str.split("/").list.last())
            attachments = att.select(
                "message_id",
                pl.when(pl.col("filename").is_not_null() & (pl.col("filename") != shown))
                .then(pl.format("{} [stored: {}]", shown, pl.col("filename"))).otherwise(shown).alias("att"),
            )
        deleted_guids = 0
        if "deleted_messages" in tables:
            deleted_guids = int(con.execute("SELECT count(*) FROM deleted_messages").fetchone()[0])

    chat_of = pl.concat([joins.with_columns(pl.lit(False).alias("recently_deleted")),
                         recoverable.with_columns(pl.lit(True).alias("recently_deleted"))])
    orphan_joins = joins.join(msgs.select(pl.col("rowid").alias("message_id")), on="message_id", how="anti").height
    member_lists = chat_handles.group_by("chat_id").agg(pl.col("member").alias("members"))
    per_msg = (
        chat_of.join(member_lists, on="chat_id", how="left")
        .group_by("message_id", maintain_order=True)
        .agg(pl.col("members").list.explode(keep_nulls=False, empty_as_null=False).drop_nulls().unique(maintain_order=True).alias("members"),
             pl.col("recently_deleted").any().alias("recently_deleted"))
    )
    atts = attachments.group_by("message_id", maintain_order=True).agg(pl.col("att").drop_nulls().alias("attachments"))
    frame = (
        msgs.join(per_msg, left_on="rowid", right_on="message_id", how="left")
        .join(atts, left_on="rowid", right_on="message_id", how="left")
        .sort("rowid")
    )

    owner = ctx.owner
    inferred = None
    if owner is None:
        ids = frame.select(pl.coalesce(
            pl.col("caller_id"),
            pl.col("account").str.replace(r"^[eEpP]:", ""),
        ).alias("me")).get_column("me").drop_nulls()
        ids = ids.filter(ids.str.strip_chars() != "")
        if ids.len():
            me = str(ids.mode().sort().first())
            inferred = pl.select(phone_or_email(pl.lit(me, pl.String))).item()
            notes.append(f"owner identity {quoted(me)} taken from the messages' own account / destination_caller_id")
    me_raw = owner or inferred

    differing = frame.filter(pl.col("text").is_not_null() & pl.col("archived").is_not_null()
                             & (pl.col("text") != pl.col("archived"))).get_column("rowid").to_list()
    if differing:
        notes.append(f"{len(differing)} message(s) whose text column differs from the text archived in attributedBody "
                     f"(rowid {', '.join(map(str, differing))}): the text column is used; the difference may mean the "
                     "database was edited")
    recovered = frame.filter(pl.col("text").is_null() & pl.col("archived").is_not_null()).height
    if recovered:
        notes.append(f"{recovered} message text(s) recovered from attributedBody (text column NULL)")
    if deleted_guids:
        notes.append(f"deleted_messages lists {deleted_guids} deleted message GUID(s) with no content or time: "
                     "not events; carve the database's free pages with a forensic tool to look for their content")
    if orphan_joins:
        notes.append(f"chat_message_join refers to {orphan_joins} message row(s) no longer in the message table")


    from_me = pl.col("is_from_me").fill_null(0) == 1
    service = pl.col("service").str.to_lowercase()
    channel = (
        pl.when(service == "imessage").then(pl.lit("imessage"))
        .when(service == "sms").then(pl.when(pl.col("has_attachments").fill_null(0) == 1).then(pl.lit("mms")).otherwise(pl.lit("sms")))
        .when(service == "rcs").then(pl.lit("rcs"))
        .otherwise(pl.coalesce(service, pl.lit("imessage")))
    )
    other = phone_or_email(pl.col("handle"))
    members = pl.col("members").fill_null(pl.lit([], pl.List(pl.String))).list.eval(
        pl.when(pl.element().str.contains("@")).then(pl.lit("email:") + pl.element()).otherwise(pl.lit("phone:") + pl.element()))
    me_list = pl.lit(pl.Series([[me_raw] if me_raw else []], dtype=pl.List(pl.String)))
    out_recipients = pl.when(members.list.len() > 0).then(members).otherwise(pl.concat_list(other).list.drop_nulls())
    in_recipients = pl.concat_list(me_list, members).list.set_difference(pl.concat_list(other).list.drop_nulls())
    status = (
        pl.when(pl.col("retracted").fill_null(0) != 0).then(pl.lit("deleted-by-sender"))
        .when(from_me).then(
            pl.when(pl.col("error").fill_null(0) != 0).then(pl.lit("failed"))
            .when((pl.col("is_read").fill_null(0) == 1) | (pl.col("date_read").fill_null(0) != 0)).then(pl.lit("read"))
            .when((pl.col("is_delivered").fill_null(0) == 1) | (pl.col("date_delivered").fill_null(0) != 0)).then(pl.lit("delivered"))
            .when(pl.col("is_sent").is_null() | (pl.col("is_sent") == 1)).then(pl.lit("sent"))
            .otherwise(pl.lit("queued")))
        .when(pl.col("is_read").fill_null(0) == 1).then(pl.lit("read"))
        .otherwise(None)
    )
    is_note = pl.col("item_type").fill_null(0) != 0
    text = pl.coalesce(pl.col("text"), pl.col("archived"))
    events = frame.select(
        pl.format("message rowid {}", pl.col("rowid")).alias("source_ref"),
        pl.when(is_note).then(pl.lit("note")).otherwise(pl.lit("message")).alias("kind"),
        channel.alias("channel"),
        from_epoch(pl.col("date"), "apple_auto").cast(TS_TYPE).alias("ts_utc"),
        pl.lit("utc").alias("ts_basis"),
        pl.col("date").cast(pl.String).alias("ts_raw"),
        pl.when(from_me).then(pl.lit("out")).otherwise(pl.lit("in")).alias("direction"),
        pl.when(from_me).then(pl.lit(me_raw, pl.String)).otherwise(other).alias("sender"),
        pl.when(from_me).then(out_recipients).otherwise(in_recipients).alias("recipients"),
        status.alias("status"),
        pl.when(is_note).then(pl.coalesce(text, pl.format("group event (item_type {}) {}", pl.col("item_type"),
                                                            pl.col("group_title").fill_null(""))))
        .otherwise(text).alias("text"),
        pl.col("attachments").fill_null(pl.lit([], pl.List(pl.String))),
        pl.col("recently_deleted").fill_null(False).alias("deleted"),
    )
    region = decide_region(ctx, notes, events, countries=frame.get_column("country"), countries_from="handle.country")
    return ParseResult(events=events, rejects=empty_rejects(), records_read=events.height, owner=inferred,
                       region=region, assumptions=notes)
