"""WhatsApp for iOS: the address-book mirror ``ContactsV2.sqlite`` (``ZWAADDRESSBOOKCONTACT``).

Format notes, and where they come from (iLEAPP ``whatsAppContacts.py``; the schema
and rows of the public iLEAPP test database from Josh Hickman's iOS 15 image):

* One row per address-book number: ``ZFULLNAME`` (the name the owner saved),
  ``ZGIVENNAME``/``ZHIGHLIGHTEDNAME``, ``ZPHONENUMBER`` (as saved, often national),
  ``ZPHONENUMBERLABEL`` (``_$!<Mobile>!$_`` or a custom label), ``ZWHATSAPPID`` (the
  JID, i.e. the international number, when the number is on WhatsApp),
  ``ZIDENTIFIER`` (the iOS contact's id: one person with two numbers has two rows
  sharing it), ``ZABOUTTEXT`` (the person's "about" line).
* Each row becomes a ``contact`` event and ``contact-card`` evidence linking the
  saved name with the number as saved and with the WhatsApp number.
* ``ZLID`` (newer versions): the contact's hidden-number account (``…@lid``), the id
  group messages in ``ChatStorage.sqlite`` name members by. WhatsApp itself pairs it
  with ``ZWHATSAPPID`` here: ``account-profile`` evidence (documentary), so alias
  resolution links the LID to the number.
* The JIDs beside the saved numbers reveal the country calling code of the national
  numbers: the region is taken from them (the public sample is ``US``: ``(919)
  802-7080`` is ``+19198027080``), stated as an assumption.

Public sample: iLEAPP ``ContactsV2.sqlite`` (josh_ios15): 9 rows, 6 with a number,
5 of them on WhatsApp; ``Josh Hickman`` has two numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from atlas.model import Channel, EvidenceCategory
from parsers._phone_db import (
    decide_region,
    empty_rejects,
    has_columns,
    jid_expr,
    open_evidence,
    read_frame,
    region_from_numbers,
    require,
    select_sql,
    star_evidence,
    table_columns,
    tidy_evidence,
)
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe, SampleCount

INFO: Final = ParserInfo(
    name="whatsapp-ios-contacts",
    version="1.1.0",
    description="WhatsApp iOS contacts database (ContactsV2.sqlite)",
    detects="SQLite with a ZWAADDRESSBOOKCONTACT table (ZFULLNAME, ZPHONENUMBER, ZWHATSAPPID)",
    notes=__doc__ or "",
    category=EvidenceCategory.HANDSET_DOWNLOAD,
    channels=frozenset({Channel.WHATSAPP}),
    sample_counts=(
        SampleCount("ileapp-josh-ios15-whatsapp/ContactsV2.sqlite", 9, 9, 0, "ZWAADDRESSBOOKCONTACT 1", None,
                    note="iLEAPP josh_ios15 ContactsV2.sqlite: 9 contact cards (6 with numbers)"),
    ),
)


def detect(probe: Probe) -> int:
    return 95 if has_columns(probe.sqlite_tables, "ZWAADDRESSBOOKCONTACT", "ZFULLNAME") else 0


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    with open_evidence(path) as (con, notes):
        tables = table_columns(con, path)
        require(tables, path, "ZWAADDRESSBOOKCONTACT", "Z_PK", "ZFULLNAME")
        cols = select_sql(tables, "ZWAADDRESSBOOKCONTACT", {
            "pk": "Z_PK", "full": "ZFULLNAME", "given": "ZGIVENNAME", "number": "ZPHONENUMBER",
            "label": "ZPHONENUMBERLABEL", "jid": "ZWHATSAPPID", "contact": "ZIDENTIFIER", "about": "ZABOUTTEXT",
            "lid": "ZLID",
        })
        frame = read_frame(con, path, f"SELECT {cols} FROM ZWAADDRESSBOOKCONTACT ORDER BY Z_PK", {
            "pk": pl.Int64, "full": pl.String, "given": pl.String, "number": pl.String, "label": pl.String,
            "jid": pl.String, "contact": pl.String, "about": pl.String, "lid": pl.String,
        })
    number = pl.col("number").str.strip_chars()
    typed = pl.when(number.is_null() | (number == "")).then(None).otherwise(pl.lit("phone:") + number)
    label = pl.col("label").str.replace(r"^_\$!<(.*)>!\$_$", "$1").str.to_lowercase()
    name = pl.coalesce(pl.col("full").str.strip_chars(), pl.col("given").str.strip_chars())
    frame = frame.with_columns(
        pl.when(name == "").then(None).otherwise(name).alias("name"),
        pl.concat_list(jid_expr(pl.col("jid")), typed).list.drop_nulls().list.unique(maintain_order=True).alias("ids"),
        pl.format("ZWAADDRESSBOOKCONTACT {}", pl.col("pk")).alias("source_ref"),
    )
    name_id = pl.when(pl.col("name").is_not_null()).then(pl.lit("name:") + pl.col("name")).otherwise(None)
    detail = pl.concat_str([
        pl.format("WhatsApp address-book entry '{}'", pl.col("name").fill_null("(no name)")),
        pl.when(number.is_not_null()).then(pl.format("{} {}", pl.coalesce(label, pl.lit("phone")), number)),
        pl.when(pl.col("jid").is_not_null()).then(pl.format("on WhatsApp as {}", pl.col("jid"))),
        pl.when(pl.col("about").is_not_null()).then(pl.format("about '{}'", pl.col("about"))),
    ], separator="; ", ignore_nulls=True)
    events = frame.select(
        pl.col("source_ref"),
        pl.lit("contact").alias("kind"),
        pl.lit("whatsapp").alias("channel"),
        pl.coalesce(name_id, pl.col("ids").list.first()).alias("sender"),
        pl.col("ids").alias("recipients"),
        detail.alias("text"),
    )
    evidence = star_evidence(
        frame.with_columns(pl.coalesce(name_id, pl.col("ids").list.first()).alias("hub"),
                           pl.format("'{}' ({})", pl.col("name").fill_null("(no name)"), pl.col("source_ref")).alias("label")),
        ctx.source_id, "WhatsApp's copy of the iPhone address book links these in the entry")
    lid = pl.when(pl.col("lid").str.contains("@")).then(pl.col("lid")).otherwise(pl.col("lid") + "@lid")
    lid_rows = frame.filter(pl.col("lid").is_not_null() & (pl.col("lid").str.strip_chars() != "")
                            & pl.col("jid").str.ends_with("@s.whatsapp.net")).select(
        pl.lit(ctx.source_id).alias("source_id"), "source_ref", pl.lit("account-profile").alias("basis"),
        jid_expr(lid).alias("identifier"), jid_expr(pl.col("jid")).alias("related"),
        pl.format("WhatsApp pairs the hidden-number (LID) account {} with {} (ZLID / ZWHATSAPPID)", lid, pl.col("jid"))
        .alias("detail"))
    if lid_rows.height:
        evidence = pl.concat([evidence, lid_rows])
        notes.append(f"{lid_rows.height} contact(s) carry their hidden-number (LID) account beside their WhatsApp number "
                     "(ZLID): recorded as identity evidence (account-profile)")
    region = region_from_numbers(frame.filter(number.is_not_null() & pl.col("jid").str.ends_with("@s.whatsapp.net")).select(
        pl.col("number").alias("written"), pl.col("jid").str.split("@").list.first().alias("e164_digits")))
    region = decide_region(ctx, notes, events, evidence, same_numbers=region, same_numbers_from="the WhatsApp IDs (international numbers) beside the saved numbers")
    return ParseResult(events=events, rejects=empty_rejects(), records_read=events.height, region=region,
                       assumptions=notes, evidence=tidy_evidence(evidence, region))
