"""Android contacts: ``contacts2.db`` (the contacts provider), with its call log if it has one.

One file is one source, so this parser reads *everything* of evidential value in a
contacts2.db: the address book (``raw_contacts`` / ``data`` / ``mimetypes``) and,
before Android 7, the ``calls`` table (read with :func:`parsers.android_calllog.read_calls`).
``android-calllog`` declines any file that has the contacts tables, so exactly one
parser claims each file.

Format notes, and where they come from (AOSP ``ContactsContract``; ALEAPP
``contacts.py``):

* ``raw_contacts``: one row per contact *per account* (phone, Google, WhatsApp …);
  ``display_name``, ``deleted`` (1 = deleted on the phone, awaiting sync: kept and
  marked deleted), ``contact_id`` (the aggregate in ``contacts``, whose
  ``contact_last_updated_timestamp`` is milliseconds since 1970).
* ``data``: one row per detail, typed by ``mimetype_id`` → ``mimetypes.mimetype``:
  ``vnd.android.cursor.item/name`` (``data1`` display name), ``…/phone_v2``
  (``data1`` the number as typed, ``data2`` type: 1 home, 2 mobile, 3 work, 7 other,
  12 main, 0 custom with the label in ``data3``), ``…/email_v2`` (``data1``),
  ``…/nickname``, and apps' own rows such as WhatsApp's
  ``…/vnd.com.whatsapp.profile`` (``data1`` the JID, i.e. the number on WhatsApp).
* Each raw contact becomes a ``contact`` event (sender = the name, recipients = its
  numbers, e-mails and app identities; time = the aggregate's last update, if
  recorded) and identity evidence with basis ``contact-card``: the name linked to
  each identifier on the card (how the phone's owner saved that person).
* A card with no name, number, e-mail or app identity is a reject (nothing to show).

Public sample: plaso ``test_data/android/contacts2.db`` has no ``raw_contacts`` table
and an empty ``data`` table (plaso kept only what its plugin needs), and a ``calls``
table with 3 calls (region ``US`` from ``countryiso``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

import polars as pl

from atlas.model import IDENTITY_EVIDENCE_SCHEMA, TS_TYPE, Channel, EvidenceCategory
from atlas.normalise.times import from_epoch
from parsers._phone_db import (
    decide_region,
    empty_rejects,
    has_columns,
    jid_expr,
    open_evidence,
    read_frame,
    rejects,
    select_sql,
    star_evidence,
    table_columns,
    tidy_evidence,
)
from parsers.android_calllog import is_call_log, read_calls
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe, SampleCount

INFO: Final = ParserInfo(
    name="android-contacts",
    version="1.1.0",
    description="Android contacts database (contacts2.db), with its call log before Android 7",
    detects="SQLite with the contacts provider's tables (raw_contacts / data / mimetypes); its 'calls' table too",
    notes=__doc__ or "",
    category=EvidenceCategory.HANDSET_DOWNLOAD,
    channels=frozenset({Channel.ADDRESS_BOOK, Channel.VOICE, Channel.VIDEO, Channel.WHATSAPP, Channel.SKYPE, Channel.TELEGRAM, Channel.SIGNAL, Channel.FACEBOOK, Channel.VIBER, Channel.GOOGLE_MEET}),
    sample_counts=(
        SampleCount("plaso/contacts2.db", 3, 3, 0, "call rowid 714", "2013-11-06T21:17:16.690000+00:00",
                    note="plaso test_data/android/contacts2.db: 3 calls (1 missed, 1 outgoing, 1 incoming), no cards"),
    ),
)

MIME: Final = "vnd.android.cursor.item/"
PHONE_TYPES: Final = {1: "home", 2: "mobile", 3: "work", 4: "work fax", 5: "home fax", 6: "pager", 7: "other",
                      9: "car", 10: "company main", 12: "main", 17: "work mobile"}
EMAIL_TYPES: Final = {1: "home", 2: "work", 3: "other", 4: "mobile"}


def detect(probe: Probe) -> int:
    tables = probe.sqlite_tables
    if has_columns(tables, "data", "raw_contact_id", "mimetype_id", "data1") and (
            "mimetypes" in tables or "raw_contacts" in tables):
        return 92
    if has_columns(tables, "raw_contacts", "display_name") and "mimetypes" in tables:
        return 92
    return 0


def _label(kind: pl.Expr, types: dict[int, str]) -> pl.Expr:
    code = pl.col("data2").cast(pl.Int64, strict=False)
    named = code.replace_strict(list(types), list(types.values()), default=None, return_dtype=pl.String)
    return pl.when(code == 0).then(pl.coalesce(pl.col("data3"), kind)).otherwise(pl.coalesce(named, kind))


def read_contacts(con: sqlite3.Connection, path: Path, tables: dict[str, set[str]],
                  source_id: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, int]:
    """Address-book cards → (events, rejects, evidence, cards read)."""
    if not has_columns(tables, "data", "raw_contact_id", "mimetype_id", "data1"):
        empty = pl.DataFrame(schema=IDENTITY_EVIDENCE_SCHEMA)
        return pl.DataFrame(), empty_rejects(), empty, 0
    mime_join = "LEFT JOIN mimetypes m ON m._id = d.mimetype_id" if "mimetypes" in tables else ""
    mime_col = "m.mimetype" if "mimetypes" in tables else "NULL"
    data_cols = select_sql(tables, "data", {"raw_contact_id": "raw_contact_id", "data1": "data1", "data2": "data2",
                                            "data3": "data3", "data_id": "_id"}, alias="d")
    data = read_frame(con, path, f"SELECT {data_cols}, {mime_col} AS mimetype FROM data d {mime_join} ORDER BY d._id", {
        "raw_contact_id": pl.Int64, "data1": pl.String, "data2": pl.String, "data3": pl.String, "data_id": pl.Int64,
        "mimetype": pl.String,
    })
    if "raw_contacts" in tables:
        rc_cols = select_sql(tables, "raw_contacts", {"raw_id": "_id", "display_name": "display_name",
                                                       "deleted": "deleted", "contact_id": "contact_id",
                                                       "account_id": "account_id", "account_type": "account_type"}, alias="r")
        updated = "NULL"
        joins = ""
        if has_columns(tables, "contacts", "_id", "contact_last_updated_timestamp"):
            updated, joins = "c.contact_last_updated_timestamp", "LEFT JOIN contacts c ON c._id = r.contact_id"
        acct = "NULL"
        if has_columns(tables, "accounts", "_id", "account_type") and "account_id" in tables["raw_contacts"]:
            acct, joins = "a.account_type", joins + " LEFT JOIN accounts a ON a._id = r.account_id"
        raw = read_frame(con, path, f"SELECT {rc_cols}, {updated} AS updated, {acct} AS acct_type "
                                    f"FROM raw_contacts r {joins} ORDER BY r._id", {
            "raw_id": pl.Int64, "display_name": pl.String, "deleted": pl.Int64, "contact_id": pl.Int64,
            "account_id": pl.Int64, "account_type": pl.String, "updated": pl.Int64, "acct_type": pl.String,
        }).with_columns(pl.coalesce(pl.col("account_type"), pl.col("acct_type")).alias("account"))
    else:
        raw = pl.DataFrame(schema={"raw_id": pl.Int64, "display_name": pl.String, "deleted": pl.Int64,
                                   "updated": pl.Int64, "account": pl.String})
    mime = pl.col("mimetype").str.strip_prefix(MIME)
    value = pl.col("data1").str.strip_chars()
    data = data.filter(value.is_not_null() & (value != "")).with_columns(
        pl.when(mime == "phone_v2").then(pl.lit("phone:") + value)
        .when(mime == "email_v2").then(pl.lit("email:") + value)
        .when(mime.str.contains("whatsapp") & value.str.contains("@")).then(jid_expr(value))
        .otherwise(None).alias("ident"),
        pl.when(mime == "phone_v2").then(pl.format("{} {}", _label(pl.lit("phone"), PHONE_TYPES), value))
        .when(mime == "email_v2").then(pl.format("{} {}", _label(pl.lit("email"), EMAIL_TYPES), value))
        .when(mime == "nickname").then(pl.format("nickname {}", value))
        .when(mime == "organization").then(pl.format("organisation {}", value))
        .when(mime.str.contains("whatsapp") & value.str.contains("@")).then(pl.format("WhatsApp {}", value))
        .otherwise(None).alias("line"),
    )
    # A data row whose raw_contact_id is not a card id (NULL, text) belongs to no card: a reject
    # named by its own row id, never a card without a reference.
    orphans = data.filter(pl.col("raw_contact_id").is_null())
    data = data.filter(pl.col("raw_contact_id").is_not_null())
    orphan_bad = rejects(source_id, orphans.with_columns(
        pl.format("data {}", pl.col("data_id")).alias("source_ref"),
        pl.concat_str([pl.col("mimetype").fill_null("?"), pl.col("data1")], separator=" ", ignore_nulls=True)
        .alias("excerpt")), "data row whose raw_contact_id is not a contact card id (belongs to no card)")
    per_card = data.group_by("raw_contact_id", maintain_order=True).agg(
        pl.col("data1").filter(mime == "name").first().alias("data_name"),
        pl.col("ident").drop_nulls().unique(maintain_order=True).alias("ids"),
        pl.col("line").drop_nulls().alias("lines"),
    ).rename({"raw_contact_id": "raw_id"})
    cards = (
        raw.join(per_card, on="raw_id", how="full", coalesce=True)
        .sort("raw_id")
        .with_columns(
            pl.coalesce(pl.col("display_name"), pl.col("data_name")).str.strip_chars().alias("name"),
            pl.col("ids").fill_null(pl.lit([], pl.List(pl.String))),
            pl.col("lines").fill_null(pl.lit([], pl.List(pl.String))),
            pl.format("raw_contact {}", pl.col("raw_id")).alias("source_ref"),
        )
        .with_columns(pl.when(pl.col("name") == "").then(None).otherwise(pl.col("name")).alias("name"))
    )
    empty_card = pl.col("name").is_null() & (pl.col("ids").list.len() == 0)
    bad = rejects(source_id, cards.filter(empty_card).with_columns(
        pl.format("raw_contact {} (account {})", pl.col("raw_id"), pl.col("account").fill_null("phone")).alias("excerpt")),
        "contact card with no name, number, e-mail or app identity")
    cards = cards.filter(~empty_card)
    name_id = pl.when(pl.col("name").is_not_null()).then(pl.lit("name:") + pl.col("name")).otherwise(None)
    account = pl.when(pl.col("account").is_not_null()).then(pl.format(" [account {}]", pl.col("account"))).otherwise(pl.lit(""))
    events = cards.select(
        pl.col("source_ref"),
        pl.lit("contact").alias("kind"),
        pl.lit("address-book").alias("channel"),
        from_epoch(pl.col("updated"), "unix_ms").cast(TS_TYPE).alias("ts_utc"),
        pl.when(pl.col("updated").fill_null(0) != 0).then(pl.lit("utc")).otherwise(None).alias("ts_basis"),
        pl.when(pl.col("updated").fill_null(0) != 0).then(pl.col("updated").cast(pl.String)).otherwise(None).alias("ts_raw"),
        pl.coalesce(name_id, pl.col("ids").list.first()).alias("sender"),
        pl.col("ids").alias("recipients"),
        pl.format("address-book entry '{}'{}: {}", pl.col("name").fill_null("(no name)"), account,
                  pl.col("lines").list.join("; ")).alias("text"),
        (pl.col("deleted").fill_null(0) != 0).alias("deleted"),
    )
    evidence = star_evidence(
        cards.with_columns(pl.coalesce(name_id, pl.col("ids").list.first()).alias("hub"),
                           pl.format("'{}' ({})", pl.col("name").fill_null("(no name)"), pl.col("source_ref")).alias("label")),
        source_id, "the phone's address book links these in the entry")
    bad = pl.concat([bad, orphan_bad])
    return events, bad, evidence, cards.height + bad.height


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    with open_evidence(path) as (con, notes):
        tables = table_columns(con, path)
        if not (has_columns(tables, "data", "raw_contact_id", "mimetype_id", "data1") or "raw_contacts" in tables
                or is_call_log(tables)):
            from atlas.errors import FormatError
            raise FormatError(f"{path}: no contacts tables (raw_contacts/data) and no calls table; not a contacts2.db")
        contacts, bad, evidence, _cards = read_contacts(con, path, tables, ctx.source_id)
        countries = None
        frames = [contacts] if contacts.height else []
        if is_call_log(tables):
            calls, call_evidence, countries = read_calls(con, path, tables, ctx.owner, ctx.source_id)
            frames.append(calls)
            evidence = pl.concat([evidence, call_evidence], how="vertical_relaxed")
            notes.append(f"this contacts2.db also holds the call log (pre-Android 7 layout): {calls.height} calls read")
    if "raw_contacts" not in tables:
        notes.append("no raw_contacts table: address-book cards (if any) are grouped by data.raw_contact_id only")
    events = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame({"source_ref": pl.Series([], dtype=pl.String)})
    region = decide_region(ctx, notes, events, evidence, countries=countries, countries_from="calls.countryiso")
    return ParseResult(events=events, rejects=bad, records_read=events.height + bad.height, region=region,
                       assumptions=notes, evidence=tidy_evidence(evidence, region))
