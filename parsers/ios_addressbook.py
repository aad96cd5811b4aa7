"""iOS contacts: ``AddressBook.sqlitedb`` (``ABPerson`` / ``ABMultiValue``).

Format notes, and where they come from (iLEAPP ``addressBook.py``; the AddressBook
framework's property ids):

* ``ABPerson``: one row per card: ``First``, ``Middle``, ``Last``, ``Organization``,
  ``Nickname``; ``CreationDate`` / ``ModificationDate`` are **seconds** since
  2001-01-01 UTC (Apple epoch). The card's time here is its last modification.
* ``ABMultiValue``: the card's values, ``record_id`` → ``ABPerson.ROWID``;
  ``property`` 3 = phone number, 4 = e-mail (others: 5 address, 22 URL, 23 related
  name, 46 social profile, kept out of the identifiers); ``label`` →
  ``ABMultiValueLabel.ROWID`` whose ``value`` is e.g. ``_$!<Mobile>!$_``.
* Each card becomes a ``contact`` event and ``contact-card`` identity evidence: the
  name the owner saved linked to each number and e-mail on the card.
* A card with no name, number or e-mail is a reject.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from atlas.model import REJECT_SCHEMA, TS_TYPE, Channel, EvidenceCategory
from atlas.normalise.times import from_epoch
from parsers._bounds import CONTACT_FIELD_BYTES
from parsers._phone_db import (
    decide_region,
    has_columns,
    open_evidence,
    read_frame,
    rejects,
    require,
    select_sql,
    star_evidence,
    table_columns,
    tidy_evidence,
)
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe, SampleCount

INFO: Final = ParserInfo(
    name="ios-addressbook",
    version="1.1.0",
    description="iOS contacts database (AddressBook.sqlitedb)",
    detects="SQLite with ABPerson and ABMultiValue (record_id, property, value) tables",
    notes=__doc__ or "",
    category=EvidenceCategory.HANDSET_DOWNLOAD,
    channels=frozenset({Channel.ADDRESS_BOOK}),
    sample_counts=(
        SampleCount("ileapp-josh-ios15-addressbook/AddressBook.sqlitedb", 9, 9, 0, "ABPerson 1", "2023-04-24T17:59:55+00:00",
                    note="iLEAPP josh_ios15 AddressBook.sqlitedb read with its -wal: 9 cards, as iLEAPP finds"),
    ),
)

PHONE: Final = 3
EMAIL: Final = 4


def detect(probe: Probe) -> int:
    tables = probe.sqlite_tables
    if "ABPerson" in tables and has_columns(tables, "ABMultiValue", "record_id", "property", "value"):
        return 95
    return 0


_NAME_FIELDS: Final = ("first", "middle", "last", "org", "nickname")


def _without_long_fields(people: pl.DataFrame, values: pl.DataFrame,
                         source_id: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
    """(people, values, rejects): a card with a value over :data:`parsers._bounds.CONTACT_FIELD_BYTES`
    taken out of both and made a reject naming it, the field and its size (None: no such card, the
    frames as they were). One vectorised length test a column: no cost a card."""
    bound = CONTACT_FIELD_BYTES
    fields = [f for f in _NAME_FIELDS if f in people.columns]
    longest = people.select(pl.max_horizontal(*(pl.col(f).str.len_bytes().max() for f in fields))).item() \
        if fields and people.height else None
    over_people = (longest or 0) > bound
    over_values = bool(values.height) and (values.select(pl.col("value").str.len_bytes().max()).item() or 0) > bound
    if not over_people and not over_values:
        return people, values, None
    size = pl.col("value").str.len_bytes()
    long_values = values.filter(size > bound).group_by("record_id", maintain_order=True).agg(
        pl.format("{} of {} bytes", pl.when(pl.col("property") == PHONE).then(pl.lit("ABMultiValue phone number"))
                  .otherwise(pl.lit("ABMultiValue e-mail address")), size).first().alias("what"))
    named = [pl.when(pl.col(f).str.len_bytes() > bound).then(pl.format(f"ABPerson.{f} of {{}} bytes",
                                                                          pl.col(f).str.len_bytes()))
             for f in fields]
    found = people.select("rowid", pl.coalesce(*named).alias("what")).filter(pl.col("what").is_not_null()) \
        if fields else pl.DataFrame(schema={"rowid": pl.Int64, "what": pl.String})
    found = pl.concat([found, long_values.rename({"record_id": "rowid"}).filter(
        pl.col("rowid").is_in(people.get_column("rowid").implode()) & ~pl.col("rowid").is_in(found.get_column("rowid").implode()))])
    gone = found.get_column("rowid").implode()
    bad = found.sort("rowid").select(
        pl.lit(source_id).alias("source_id"),
        pl.format("ABPerson {}", pl.col("rowid")).alias("source_ref"),
        pl.format(f"contact card with an {{}}, over the {bound:,}-byte bound on one contact field (no real name, "
                  "number or e-mail address is that long): not read; the row is kept unchanged in the source database",
                  pl.col("what")).alias("reason"),
        pl.format("ABPerson {}", pl.col("rowid")).alias("excerpt"),
    ).cast(REJECT_SCHEMA)
    return (people.filter(~pl.col("rowid").is_in(gone)),
            values.filter(~pl.col("record_id").is_in(gone) & (size <= bound)), bad)


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    with open_evidence(path) as (con, notes):
        tables = table_columns(con, path)
        require(tables, path, "ABPerson", "ROWID")
        require(tables, path, "ABMultiValue", "record_id", "property", "value")
        cols = select_sql(tables, "ABPerson", {
            "rowid": "ROWID", "first": "First", "middle": "Middle", "last": "Last", "org": "Organization",
            "nickname": "Nickname", "created": "CreationDate", "modified": "ModificationDate",
        })
        people = read_frame(con, path, f"SELECT {cols} FROM ABPerson ORDER BY ROWID", {
            "rowid": pl.Int64, "first": pl.String, "middle": pl.String, "last": pl.String, "org": pl.String,
            "nickname": pl.String, "created": pl.Float64, "modified": pl.Float64,
        })
        label_join, label_col = "", "NULL"
        if has_columns(tables, "ABMultiValueLabel", "value"):
            label_join, label_col = "LEFT JOIN ABMultiValueLabel l ON l.ROWID = v.label", "l.value"
        values = read_frame(con, path, f"SELECT v.record_id, v.property, v.value, {label_col} AS label FROM ABMultiValue v "
                                       f"{label_join} WHERE v.property IN ({PHONE}, {EMAIL}) ORDER BY v.record_id, v.UID", {
            "record_id": pl.Int64, "property": pl.Int64, "value": pl.String, "label": pl.String,
        })
    people, values, too_long = _without_long_fields(people, values, ctx.source_id)
    value = pl.col("value").str.strip_chars()
    label = pl.col("label").str.replace(r"^_\$!<(.*)>!\$_$", "$1").str.to_lowercase()
    values = values.filter(value.is_not_null() & (value != "")).with_columns(
        pl.when(pl.col("property") == PHONE).then(pl.lit("phone:") + value).otherwise(pl.lit("email:") + value).alias("ident"),
        pl.format("{} {}", pl.coalesce(label, pl.when(pl.col("property") == PHONE).then(pl.lit("phone")).otherwise(pl.lit("email"))),
                  value).alias("line"),
    )
    per_card = values.group_by("record_id", maintain_order=True).agg(
        pl.col("ident").unique(maintain_order=True).alias("ids"), pl.col("line").alias("lines"))
    name = pl.concat_str([pl.col("first"), pl.col("middle"), pl.col("last")], separator=" ", ignore_nulls=True).str.strip_chars()
    cards = (
        people.join(per_card, left_on="rowid", right_on="record_id", how="left")
        .sort("rowid")
        .with_columns(
            pl.when(name != "").then(name).otherwise(pl.coalesce(pl.col("org"), pl.col("nickname"))).alias("name"),
            pl.col("ids").fill_null(pl.lit([], pl.List(pl.String))),
            pl.col("lines").fill_null(pl.lit([], pl.List(pl.String))),
            pl.format("ABPerson {}", pl.col("rowid")).alias("source_ref"),
        )
    )
    empty_card = pl.col("name").is_null() & (pl.col("ids").list.len() == 0)
    bad = rejects(ctx.source_id, cards.filter(empty_card).with_columns(
        pl.format("ABPerson {}", pl.col("rowid")).alias("excerpt")), "contact card with no name, number or e-mail")
    cards = cards.filter(~empty_card)
    if too_long is not None:
        bad = pl.concat([bad, too_long]).sort(pl.col("source_ref").str.extract(r"(\d+)$").cast(pl.Int64))
    name_id = pl.when(pl.col("name").is_not_null()).then(pl.lit("name:") + pl.col("name")).otherwise(None)
    when = pl.coalesce(pl.col("modified"), pl.col("created"))
    extra = pl.when(pl.col("nickname").is_not_null() & (pl.col("nickname") != pl.col("name"))).then(
        pl.format(" (nickname {})", pl.col("nickname"))).otherwise(pl.lit(""))
    events = cards.select(
        pl.col("source_ref"),
        pl.lit("contact").alias("kind"),
        pl.lit("address-book").alias("channel"),
        from_epoch(when, "apple_s").cast(TS_TYPE).alias("ts_utc"),
        pl.when(when.fill_null(0) != 0).then(pl.lit("utc")).otherwise(None).alias("ts_basis"),
        pl.when(when.fill_null(0) != 0).then(when.cast(pl.String)).otherwise(None).alias("ts_raw"),
        pl.coalesce(name_id, pl.col("ids").list.first()).alias("sender"),
        pl.col("ids").alias("recipients"),
        pl.format("address-book entry '{}'{}: {}", pl.col("name").fill_null("(no name)"), extra,
                  pl.when(pl.col("lines").list.len() > 0).then(pl.col("lines").list.join("; "))
                  .otherwise(pl.lit("no number or e-mail"))).alias("text"),
    )
    evidence = star_evidence(
        cards.with_columns(pl.coalesce(name_id, pl.col("ids").list.first()).alias("hub"),
                           pl.format("'{}' ({})", pl.col("name").fill_null("(no name)"), pl.col("source_ref")).alias("label")),
        ctx.source_id, "the iPhone's address book links these in the entry")
    notes.append("a contact card's time is its last modification (ABPerson.ModificationDate), not a contact")
    region = decide_region(ctx, notes, events)
    return ParseResult(events=events, rejects=bad, records_read=events.height + bad.height, assumptions=notes,
                       region=region, evidence=tidy_evidence(evidence, region))
