"""Android ``mmssms.db`` (the telephony provider's SMS and MMS store).

Format notes, and where they come from (the AOSP ``Telephony`` provider contract,
``android.provider.Telephony.Sms`` / ``Mms``, and plaso's ``android_sms`` plugin):

* ``sms``: one row per text. ``date`` is **milliseconds** since 1970 UTC, the
  handset's own clock when the message was received or sent; ``date_sent`` (API 19+)
  is the service centre's time for received messages (seconds precision, 0 for sent
  ones). ``type`` is the box: 1 inbox, 2 sent, 3 draft, 4 outbox, 5 failed, 6 queued;
  ``address`` is the other party as the network or the user wrote it; ``read`` 1
  once opened; ``status`` the delivery report (0 complete, 32 pending, 64 failed).
* ``pdu`` (MMS): ``date`` is **seconds** since 1970 (not milliseconds as in
  ``sms``); ``msg_box`` is the box (1 inbox, 2 sent, 3 draft, 4 outbox, 5 failed);
  ``m_type`` the PDU type (128 send-req = a sent MMS, 132 retrieve-conf = a received
  one, 130 notification-ind = received but not yet downloaded; 134 delivery-ind and
  136 read-orig-ind are reports about another MMS, kept as notes).
* ``addr``: the MMS parties, ``type`` 137 = FROM, 151 = TO, 130 = CC, 129 = BCC;
  the owner's own address is often the placeholder ``insert-address-token``.
* ``part``: the MMS body parts; ``text/plain`` parts hold the text, ``application/smil``
  is layout only, anything else is an attachment, named by the message itself in
  ``cl`` (content location), ``name`` or ``fn``; ``_data`` is where the phone stored
  it. Attachments are listed as ``<name> [stored: <_data>]`` so both survive.
* Drafts, outbox, failed and queued messages are kept with that box as ``status``
  (never counted as contact); the database has no "deleted" flag in AOSP, but an
  OEM ``deleted`` column is honoured where present.
* Addresses are national or international as written. The region for national ones is
  decided from the data (:mod:`atlas.normalise.region`) unless ``--region`` is given:
  the SIM IMSIs some OEM builds record per message (Samsung ``sim_imsi``: the mobile
  country code is the SIM's country), else the country codes of the numbers written
  internationally, else the case's region, and the choice is stated. The plaso sample
  is a US handset with no IMSI and no ``+`` number (``1 555-521-5554`` is
  ``+15555215554`` with ``--region US``; read as British it is kept as written).
* Direction is the box (inbox = in, sent/outbox/failed/queued/draft = out). The
  owner's number is not in this file: ``--owner`` supplies it.

Public sample: plaso ``test_data/android/mmssms.db``: 9 SMS (4 received, 5 sent),
no MMS; first ``2013-10-29T16:56:28.038Z`` ("Yo Fred this is my new number."),
last ``2013-10-29T17:16:17.250Z``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

import polars as pl

from atlas.model import TS_TYPE, Channel, EvidenceCategory
from atlas.normalise.phones import phone_uri
from atlas.normalise.times import from_epoch
from parsers._phone_db import (
    decide_region,
    empty_rejects,
    has_columns,
    open_evidence,
    owner_list,
    read_frame,
    require,
    select_sql,
    table_columns,
)
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe, SampleCount

INFO: Final = ParserInfo(
    name="android-mmssms",
    version="1.1.0",
    description="Android SMS/MMS database (mmssms.db)",
    detects="SQLite with an 'sms' table (address, date, type, body); MMS from pdu/addr/part when present",
    notes=__doc__ or "",
    category=EvidenceCategory.HANDSET_DOWNLOAD,
    channels=frozenset({Channel.SMS, Channel.MMS}),
    sample_counts=(
        SampleCount("plaso/mmssms.db", 9, 9, 0, "sms rowid 1", "2013-10-29T16:56:28.038000+00:00",
                    note="plaso test_data/android/mmssms.db: 9 SMS (4 in, 5 out), no MMS"),
    ),
)

SMS_BOX: Final = {1: "inbox", 2: "sent", 3: "draft", 4: "outbox", 5: "failed", 6: "queued"}
MMS_BOX: Final = {1: "inbox", 2: "sent", 3: "draft", 4: "outbox", 5: "failed"}
ADDR_FROM: Final = 137
ADDR_TO: Final = (151, 130, 129)
OWN_ADDRESS: Final = "insert-address-token"
MMS_REPORT_TYPES: Final = {134: "MMS delivery report", 136: "MMS read report", 135: "MMS read receipt"}


def detect(probe: Probe) -> int:
    tables = probe.sqlite_tables
    if has_columns(tables, "sms", "address", "date", "type", "body"):
        return 90
    return 0


def _box_status(box: pl.Expr, boxes: dict[int, str], read: pl.Expr, delivered: pl.Expr) -> pl.Expr:
    name = box.replace_strict(list(boxes), list(boxes.values()), default=None, return_dtype=pl.String)
    return (
        pl.when(name == "inbox").then(pl.when(read == 1).then(pl.lit("read")).otherwise(None))
        .when(name == "sent").then(pl.when(delivered).then(pl.lit("delivered")).otherwise(pl.lit("sent")))
        .otherwise(name)
    )


def _sms(con: sqlite3.Connection, path: Path, tables: dict[str, set[str]], owner: str | None) -> pl.DataFrame:
    cols = select_sql(tables, "sms", {
        "rowid": "_id", "address": "address", "date": "date", "date_sent": "date_sent", "type": "type",
        "body": "body", "read": "read", "status": "status", "deleted": "deleted", "subject": "subject",
    })
    frame = read_frame(con, path, f"SELECT {cols} FROM sms ORDER BY _id", {
        "rowid": pl.Int64, "address": pl.String, "date": pl.Int64, "date_sent": pl.Int64, "type": pl.Int64,
        "body": pl.String, "read": pl.Int64, "status": pl.Int64, "deleted": pl.Int64, "subject": pl.String,
    })
    outgoing = pl.col("type") != 1
    other = pl.when(pl.col("address").is_null() | (pl.col("address").str.strip_chars() == "")).then(None).otherwise(
        pl.lit("phone:") + pl.col("address"))
    return frame.select(
        pl.format("sms rowid {}", pl.col("rowid")).alias("source_ref"),
        pl.lit("message").alias("kind"),
        pl.lit("sms").alias("channel"),
        from_epoch(pl.col("date"), "unix_ms").cast(TS_TYPE).alias("ts_utc"),
        pl.lit("utc").alias("ts_basis"),
        pl.col("date").cast(pl.String).alias("ts_raw"),
        pl.when(outgoing).then(pl.lit("out")).otherwise(pl.lit("in")).alias("direction"),
        pl.when(outgoing).then(pl.lit(owner, pl.String)).otherwise(other).alias("sender"),
        pl.when(outgoing).then(pl.concat_list(other).list.drop_nulls()).otherwise(owner_list(owner)).alias("recipients"),
        _box_status(pl.col("type"), SMS_BOX, pl.col("read"), pl.col("status") == 0).alias("status"),
        pl.col("body").alias("text"),
        (pl.col("deleted").fill_null(0) != 0).alias("deleted"),
    )


def _mms(con: sqlite3.Connection, path: Path, tables: dict[str, set[str]], owner: str | None, region: str) -> pl.DataFrame:
    pdu_cols = select_sql(tables, "pdu", {
        "rowid": "_id", "date": "date", "msg_box": "msg_box", "m_type": "m_type", "sub": "sub", "read": "read",
        "deleted": "deleted", "m_id": "m_id", "st": "st",
    })
    pdu = read_frame(con, path, f"SELECT {pdu_cols} FROM pdu ORDER BY _id", {
        "rowid": pl.Int64, "date": pl.Int64, "msg_box": pl.Int64, "m_type": pl.Int64, "sub": pl.String,
        "read": pl.Int64, "deleted": pl.Int64, "m_id": pl.String, "st": pl.Int64,
    })
    if pdu.height == 0:
        return pl.DataFrame()
    if has_columns(tables, "addr", "msg_id", "address", "type"):
        addr = read_frame(con, path, "SELECT msg_id, address, type FROM addr ORDER BY _id",
                          {"msg_id": pl.Int64, "address": pl.String, "type": pl.Int64})
    else:
        addr = pl.DataFrame(schema={"msg_id": pl.Int64, "address": pl.String, "type": pl.Int64})
    addr = addr.with_columns(
        pl.when(pl.col("address").is_null() | (pl.col("address") == OWN_ADDRESS) | (pl.col("address").str.strip_chars() == ""))
        .then(None).otherwise(pl.lit("phone:") + pl.col("address")).alias("ident")
    )
    senders = addr.filter(pl.col("type") == ADDR_FROM).group_by("msg_id").agg(pl.col("ident").drop_nulls().first().alias("from_id"))
    if owner:
        # The owner's own number in an MMS's TO list is the owner: listed once, as the owner.
        own = {a for a in addr.get_column("address").drop_nulls().unique().to_list()
               if phone_uri(a, region) == owner}
        addr = addr.with_columns(pl.when(pl.col("address").is_in(sorted(own))).then(None).otherwise(pl.col("ident")).alias("ident"))
    to = addr.filter(pl.col("type").is_in(ADDR_TO)).group_by("msg_id").agg(pl.col("ident").drop_nulls().unique(maintain_order=True).alias("to_ids"))
    if has_columns(tables, "part", "mid", "ct"):
        part_cols = select_sql(tables, "part", {"mid": "mid", "seq": "seq", "ct": "ct", "name": "name", "fn": "fn",
                                                "cl": "cl", "data": "_data", "text": "text", "pid": "_id"})
        parts = read_frame(con, path, f"SELECT {part_cols} FROM part ORDER BY mid, seq, _id", {
            "mid": pl.Int64, "seq": pl.Int64, "ct": pl.String, "name": pl.String, "fn": pl.String, "cl": pl.String,
            "data": pl.String, "text": pl.String, "pid": pl.Int64,
        })
    else:
        parts = pl.DataFrame(schema={"mid": pl.Int64, "ct": pl.String, "name": pl.String, "fn": pl.String,
                                     "cl": pl.String, "data": pl.String, "text": pl.String})
    ct = pl.col("ct").str.to_lowercase()
    shown = pl.coalesce(pl.col("cl"), pl.col("name"), pl.col("fn"), pl.col("data").str.split("/").list.last())
    texts = parts.filter(ct == "text/plain").group_by("mid", maintain_order=True).agg(
        pl.col("text").drop_nulls().str.join("\n").alias("body"))
    files = parts.filter((ct != "text/plain") & (ct != "application/smil")).with_columns(
        pl.when(pl.col("data").is_not_null() & (pl.col("data") != shown))
        .then(pl.format("{} [stored: {}]", shown, pl.col("data")))
        .otherwise(shown).alias("att")
    ).group_by("mid", maintain_order=True).agg(pl.col("att").drop_nulls().alias("attachments"))
    frame = (
        pdu.join(senders, left_on="rowid", right_on="msg_id", how="left")
        .join(to, left_on="rowid", right_on="msg_id", how="left")
        .join(texts, left_on="rowid", right_on="mid", how="left")
        .join(files, left_on="rowid", right_on="mid", how="left")
        .sort("rowid")
    )
    is_report = pl.col("m_type").is_in(list(MMS_REPORT_TYPES))
    outgoing = pl.col("msg_box") != 1
    to_ids = pl.col("to_ids").fill_null(pl.lit([], pl.List(pl.String)))
    others_in = pl.concat_list(to_ids, owner_list(owner)).list.unique(maintain_order=True)
    report_text = pl.format("{} (m_id {})", pl.col("m_type").replace_strict(
        list(MMS_REPORT_TYPES), list(MMS_REPORT_TYPES.values()), default="MMS report", return_dtype=pl.String),
        pl.col("m_id").fill_null(""))
    body = pl.when(pl.col("sub").is_not_null() & (pl.col("sub") != "") & pl.col("body").is_not_null()).then(
        pl.format("{}\n{}", pl.col("sub"), pl.col("body"))).otherwise(pl.coalesce(pl.col("body"), pl.col("sub")))
    status = (
        pl.when(pl.col("m_type") == 130).then(pl.lit("not downloaded"))
        .otherwise(_box_status(pl.col("msg_box"), MMS_BOX, pl.col("read"), pl.lit(False)))
    )
    return frame.select(
        pl.format("mms rowid {}", pl.col("rowid")).alias("source_ref"),
        pl.when(is_report).then(pl.lit("note")).otherwise(pl.lit("message")).alias("kind"),
        pl.lit("mms").alias("channel"),
        from_epoch(pl.col("date"), "unix_s").cast(TS_TYPE).alias("ts_utc"),
        pl.lit("utc").alias("ts_basis"),
        pl.col("date").cast(pl.String).alias("ts_raw"),
        pl.when(is_report).then(None).when(outgoing).then(pl.lit("out")).otherwise(pl.lit("in")).alias("direction"),
        pl.when(is_report).then(None).when(outgoing).then(pl.lit(owner, pl.String)).otherwise(pl.col("from_id")).alias("sender"),
        pl.when(is_report).then(pl.lit([], pl.List(pl.String))).when(outgoing).then(to_ids).otherwise(others_in).alias("recipients"),
        pl.when(is_report).then(None).otherwise(status).alias("status"),
        pl.when(is_report).then(report_text).otherwise(body).alias("text"),
        pl.col("attachments").fill_null(pl.lit([], pl.List(pl.String))),
        (pl.col("deleted").fill_null(0) != 0).alias("deleted"),
    )


def _imsis(con: sqlite3.Connection, path: Path, tables: dict[str, set[str]]) -> list[str]:
    """The SIM IMSIs an OEM build records per message (Samsung: ``sms.sim_imsi``, ``pdu.sim_imsi``)."""
    found: list[str] = []
    for table in ("sms", "pdu"):
        for column in ("sim_imsi", "imsi"):
            if has_columns(tables, table, column):
                found += read_frame(con, path, f'SELECT "{column}" AS imsi FROM "{table}" WHERE "{column}" IS NOT NULL',
                                    {"imsi": pl.String}).get_column("imsi").str.strip_chars().to_list()
                break
    return [i for i in found if i and i.isdigit() and len(i) >= 5]


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    with open_evidence(path) as (con, notes):
        tables = table_columns(con, path)
        require(tables, path, "sms", "address", "date", "type", "body")
        owner = ctx.owner
        sms = _sms(con, path, tables, owner)
        addresses = pl.DataFrame(schema={"sender": pl.String})
        if has_columns(tables, "addr", "address"):
            addresses = read_frame(con, path, "SELECT DISTINCT 'phone:' || address AS sender FROM addr "
                                              f"WHERE address IS NOT NULL AND address != '{OWN_ADDRESS}'", {"sender": pl.String})
        region = decide_region(ctx, notes, sms, addresses, imsis=_imsis(con, path, tables))
        mms = _mms(con, path, tables, owner, region) if has_columns(tables, "pdu", "_id", "date", "msg_box") else pl.DataFrame()
    events = pl.concat([sms, mms], how="diagonal_relaxed") if mms.height else sms
    if owner is None:
        notes.append("the owner's own number is not recorded in mmssms.db: sent messages have no sender "
                     "(give --owner to name the handset's owner)")
    notes.append("SMS times are the handset's clock (sms.date, ms); MMS times are pdu.date (s)")
    return ParseResult(events=events, rejects=empty_rejects(), records_read=events.height, region=region,
                       assumptions=notes)
