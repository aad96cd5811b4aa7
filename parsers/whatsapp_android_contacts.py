"""WhatsApp for Android: the contacts database ``wa.db`` (table ``wa_contacts``).

Format notes, and where they come from (frozenspider/chat-history-manager's wa.db
test schema; ALEAPP ``whatsApp.py``):

* ``wa_contacts``: one row per JID WhatsApp knows: ``jid`` (``<international
  number>@s.whatsapp.net``, ``…@g.us`` for a group), ``number`` (as the phone's
  address book has it, often national), ``display_name`` (the name the phone's owner
  saved, from the address book), ``wa_name`` (the name the person set on their own
  WhatsApp profile), ``given_name``/``family_name``, ``status`` (their "about" text),
  ``is_whatsapp_user``.
* Each row becomes a ``contact`` event and identity evidence: ``contact-card`` for
  the owner's saved name ↔ the number, ``account-profile`` for the person's own
  profile name ↔ the number. Groups are kept as events with no evidence.
* A JID is the international number, and ``number`` the same number as saved: where
  they differ by a prefix, that prefix is the country calling code, and so the
  region of the national numbers (stated as an assumption).
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
    table_columns,
    tidy_evidence,
)
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe

INFO: Final = ParserInfo(
    name="whatsapp-android-contacts",
    version="1.1.0",
    description="WhatsApp Android contacts database (wa.db)",
    detects="SQLite with a wa_contacts table (jid, display_name / wa_name)",
    notes=__doc__ or "",
    category=EvidenceCategory.HANDSET_DOWNLOAD,
    channels=frozenset({Channel.WHATSAPP}),
    no_public_sample="no public wa.db in ../shared/samples; tested on the generator's databases",
)


def detect(probe: Probe) -> int:
    return 95 if has_columns(probe.sqlite_tables, "wa_contacts", "jid") else 0


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    with open_evidence(path) as (con, notes):
        tables = table_columns(con, path)
        require(tables, path, "wa_contacts", "_id", "jid")
        cols = select_sql(tables, "wa_contacts", {
            "rowid": "_id", "jid": "jid", "number": "number", "display_name": "display_name", "wa_name": "wa_name",
            "given": "given_name", "family": "family_name", "about": "status", "is_user": "is_whatsapp_user",
        })
        frame = read_frame(con, path, f"SELECT {cols} FROM wa_contacts ORDER BY _id", {
            "rowid": pl.Int64, "jid": pl.String, "number": pl.String, "display_name": pl.String, "wa_name": pl.String,
            "given": pl.String, "family": pl.String, "about": pl.String, "is_user": pl.Int64,
        })
    ident = jid_expr(pl.col("jid"))
    saved = pl.col("display_name").str.strip_chars()
    own = pl.col("wa_name").str.strip_chars()
    frame = frame.with_columns(
        ident.alias("ident"),
        pl.when(saved == "").then(None).otherwise(saved).alias("saved"),
        pl.when(own == "").then(None).otherwise(own).alias("own"),
        pl.format("wa_contacts rowid {}", pl.col("rowid")).alias("source_ref"),
    )
    typed = pl.when(pl.col("number").is_not_null() & (pl.col("number").str.strip_chars() != "")).then(
        pl.lit("phone:") + pl.col("number").str.strip_chars()).otherwise(None)
    ids = pl.concat_list(pl.col("ident"), typed).list.drop_nulls().list.unique(maintain_order=True)
    parts = pl.concat_str([
        pl.format("WhatsApp contact '{}'", pl.coalesce(pl.col("saved"), pl.col("own"), pl.col("jid"))),
        pl.when(pl.col("own").is_not_null()).then(pl.format("profile name '{}'", pl.col("own"))),
        pl.when(pl.col("number").is_not_null()).then(pl.format("number {}", pl.col("number"))),
        pl.format("JID {}", pl.col("jid")),
        pl.when(pl.col("about").is_not_null()).then(pl.format("about '{}'", pl.col("about"))),
    ], separator="; ", ignore_nulls=True)
    events = frame.select(
        pl.col("source_ref"),
        pl.lit("contact").alias("kind"),
        pl.lit("whatsapp").alias("channel"),
        pl.coalesce(pl.lit("name:") + pl.col("saved"), pl.lit("name:") + pl.col("own"), pl.col("ident")).alias("sender"),
        ids.alias("recipients"),
        parts.alias("text"),
    )
    person = ~pl.col("jid").str.ends_with("@g.us") & ~pl.col("jid").str.ends_with("@broadcast")
    people = frame.filter(person & pl.col("ident").is_not_null())
    saved_rows = people.filter(pl.col("saved").is_not_null()).select(
        "source_ref", pl.lit("contact-card").alias("basis"), (pl.lit("name:") + pl.col("saved")).alias("identifier"),
        pl.col("ident").alias("related"),
        pl.format("WhatsApp lists {} under the name the owner saved, '{}'", pl.col("jid"), pl.col("saved")).alias("detail"))
    number_rows = people.filter(pl.col("number").is_not_null() & (pl.col("number").str.strip_chars() != "")).select(
        "source_ref", pl.lit("contact-card").alias("basis"), pl.col("ident").alias("identifier"),
        (pl.lit("phone:") + pl.col("number").str.strip_chars()).alias("related"),
        pl.format("WhatsApp matched {} to the address-book number {}", pl.col("jid"), pl.col("number")).alias("detail"))
    own_rows = people.filter(pl.col("own").is_not_null()).select(
        "source_ref", pl.lit("account-profile").alias("basis"), (pl.lit("name:") + pl.col("own")).alias("identifier"),
        pl.col("ident").alias("related"),
        pl.format("the WhatsApp profile of {} names itself '{}'", pl.col("jid"), pl.col("own")).alias("detail"))
    evidence = pl.concat([saved_rows, number_rows, own_rows]).with_columns(pl.lit(ctx.source_id).alias("source_id")).select(
        "source_id", "source_ref", "basis", "identifier", "related", "detail")
    evidence = evidence.filter(pl.col("identifier") != pl.col("related"))
    region = region_from_numbers(people.filter(pl.col("number").is_not_null() & pl.col("jid").str.ends_with("@s.whatsapp.net"))
                                 .select(pl.col("number").alias("written"),
                                         pl.col("jid").str.split("@").list.first().alias("e164_digits")))
    region = decide_region(ctx, notes, events, evidence, same_numbers=region, same_numbers_from="the JIDs (international numbers) beside the saved numbers")
    return ParseResult(events=events, rejects=empty_rejects(), records_read=events.height, region=region,
                       assumptions=notes, evidence=tidy_evidence(evidence, region))
