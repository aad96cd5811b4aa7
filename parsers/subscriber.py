"""Subscriber (entity) data returned by a communications provider, CSV or XLSX.

Per number: the registered subscriber (name, address, date of birth, e-mail, other
contact number), the account (number, type: contract / pay-as-you-go, activation and
deactivation), and the history of SIMs (IMSI) and handsets (IMEI) seen with it, one row
per period. Columns are found by header name (synonyms below), all read as text.

Format notes, and where they come from:

* Subscriber checks are the "entity data" of the Investigatory Powers Act 2016 and its
  Communications Data Code of Practice; analysts' guides list these fields. Pay-as-you-go
  SIMs are often unregistered: the name is blank or "unregistered"/"not registered", and
  Atlas then records no name link, only the account.
* Each row becomes an ``account`` event (no time: the dates are in its text, since a
  date alone is not a moment) and identity evidence for :mod:`atlas.identity`:
  ``subscriber-record`` (number ↔ the registered name, e-mail or other contact number;
  number ↔ IMSI) and ``same-imei`` (number ↔ handset IMEI, with the period seen). Two
  numbers that share an IMEI were used in one handset.
* ``source_ref`` is ``row N`` (the spreadsheet row as Excel shows it) or
  ``sheet NAME row N``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import polars as pl

from atlas.errors import FormatError
from atlas.model import IDENTITY_EVIDENCE_SCHEMA, Channel, EvidenceCategory
from atlas.normalise.region import RegionEvidence, choose_region, numbers_in
from parsers._tabular import (
    RETURNS_VOCABULARY,
    Sheet,
    load_vocabulary,
    long_line_notes,
    long_line_rejects,
    probe_sheets,
    read_sheets,
    resolve_headers,
)
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe
from parsers.cdr import HEADER_SCAN_ROWS

INFO: Final = ParserInfo(
    name="subscriber",
    version="1.4.0",
    description="Subscriber (entity) data return: registered name, address, account, IMSI/IMEI history",
    detects="a CSV or XLSX with a number column (MSISDN) and subscriber columns (name, address or account) "
            "and handset/SIM columns (IMEI or IMSI)",
    notes=__doc__ or "",
    category=EvidenceCategory.COMMUNICATIONS_DATA,
    channels=frozenset({Channel.SUBSCRIBER}),
    no_public_sample="no public subscriber return exists; tested on the synthetic generator's return",
)

SYNONYMS: Final[dict[str, tuple[str, ...]]] = load_vocabulary(RETURNS_VOCABULARY, "subscriber")
"""Header names per column, from ``parsers/templates/returns_vocabulary.toml``."""
UNREGISTERED: Final = re.compile(r"(?i)^\s*(unregistered|not registered|unknown|n/?a|none|payg unregistered|-)?\s*$")


def _resolve(headers: list[str]) -> dict[str, int]:
    return resolve_headers(headers, SYNONYMS)


def _fits(headers: list[str]) -> bool:
    f = _resolve(headers)
    return "msisdn" in f and ("name" in f or "address" in f or "account" in f) and ("imei" in f or "imsi" in f)


def _header(rows: list[list[str]]) -> int | None:
    return next((i for i, r in enumerate(rows[:HEADER_SCAN_ROWS]) if _fits(r)), None)


def detect(probe: Probe) -> int:
    return 85 if any(_header(b.rows) is not None for b in probe_sheets(probe)) else 0


def _tables(path: Path) -> list[tuple[Sheet, pl.DataFrame, int]]:
    return [(b, b.frame(i), i) for b in read_sheets(path) if (i := _header(b.rows)) is not None]


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    tables = _tables(path)
    if not tables:
        raise FormatError(f"{path}: no subscriber header row (MSISDN, name/address/account, IMEI/IMSI) "
                          f"in the first {HEADER_SCAN_ROWS} rows")
    frames = []
    records = 0
    for block, frame, idx in tables:
        found = _resolve(block.rows[idx])
        names = [f"c{i}" for i in range(frame.width)]
        frame = frame.rename(dict(zip(frame.columns, names, strict=True))).slice(1)
        first = block.first_row + idx + 1
        frame = frame.with_row_index("_i").with_columns(
            (pl.lit(f"{block.label}row ") + (pl.col("_i") + first).cast(pl.String)).alias("source_ref"))
        frame = frame.filter(~pl.all_horizontal(pl.col(n).is_null() | (pl.col(n).str.strip_chars() == "") for n in names))
        records += frame.height

        def col(key: str, names: list[str] = names, found: dict[str, int] = found) -> pl.Expr:
            if key not in found or found[key] >= len(names):
                return pl.lit(None, pl.String).alias(key)
            c = pl.col(names[found[key]]).str.strip_chars()
            return pl.when(c == "").then(None).otherwise(c).alias(key)

        frames.append(frame.select("source_ref", *[col(k) for k in SYNONYMS]))
    rows = pl.concat(frames)
    no_number = rows.filter(pl.col("msisdn").is_null())
    # A number holds a digit: a MSISDN cell with none ('ÿ', 'hello': a damaged or stray line below the
    # table read as a one-cell row) is a reject, never a subscriber record for a number that is not one.
    not_number = rows.filter(pl.col("msisdn").is_not_null() & ~pl.col("msisdn").str.contains(r"[0-9]"))
    rows = rows.filter(pl.col("msisdn").str.contains(r"[0-9]"))
    registered = pl.col("name").is_not_null() & ~pl.col("name").str.contains(UNREGISTERED.pattern)
    text = pl.concat_str([
        pl.lit("subscriber record for ") + pl.col("msisdn"),
        pl.when(registered).then(pl.lit("registered to ") + pl.col("name")).otherwise(pl.lit("no registered subscriber")),
        pl.col("address"), pl.col("postcode"),
        pl.lit("account ") + pl.col("account"), pl.col("account_type"),
        pl.lit("activated ") + pl.col("activated"), pl.lit("deactivated ") + pl.col("deactivated"),
        pl.lit("IMSI ") + pl.col("imsi"),
        pl.lit("IMEI ") + pl.col("imei") + pl.lit(" seen ") + pl.col("imei_first").fill_null("?") + pl.lit(" to ")
        + pl.col("imei_last").fill_null("?"),
    ], separator="; ", ignore_nulls=True)
    events = rows.select(
        "source_ref", pl.lit("account").alias("kind"), pl.lit("subscriber").alias("channel"),
        (pl.lit("phone:") + pl.col("msisdn")).alias("sender"), text.alias("text"),
    )
    phone = pl.lit("phone:") + pl.col("msisdn")
    details = pl.concat_str([pl.col("name"), pl.col("address"), pl.col("postcode"),
                             pl.lit("account ") + pl.col("account"), pl.col("account_type")],
                            separator=", ", ignore_nulls=True)
    evidence = pl.concat([
        rows.filter(registered).select("source_ref", pl.lit("subscriber-record").alias("basis"), phone.alias("identifier"),
                                       (pl.lit("name:") + pl.col("name")).alias("related"),
                                       (pl.lit("registered subscriber: ") + details).alias("detail")),
        rows.filter(pl.col("email").is_not_null()).select(
            "source_ref", pl.lit("subscriber-record").alias("basis"), phone.alias("identifier"),
            (pl.lit("email:") + pl.col("email")).alias("related"),
            (pl.lit("e-mail address on the subscriber record: ") + details).alias("detail")),
        rows.filter(pl.col("alt_number").is_not_null()).select(
            "source_ref", pl.lit("subscriber-record").alias("basis"), phone.alias("identifier"),
            (pl.lit("phone:") + pl.col("alt_number")).alias("related"),
            (pl.lit("other contact number on the subscriber record: ") + details).alias("detail")),
        rows.filter(pl.col("imsi").is_not_null()).select(
            "source_ref", pl.lit("subscriber-record").alias("basis"), phone.alias("identifier"),
            (pl.lit("imsi:") + pl.col("imsi")).alias("related"),
            (pl.lit("SIM (IMSI) on the account; ") + details).alias("detail")),
        rows.filter(pl.col("imei").is_not_null()).select(
            "source_ref", pl.lit("same-imei").alias("basis"), phone.alias("identifier"),
            (pl.lit("imei:") + pl.col("imei")).alias("related"),
            pl.concat_str([pl.lit("handset IMEI "), pl.col("imei"), pl.lit(" seen with this number from "),
                           pl.col("imei_first").fill_null("?"), pl.lit(" to "), pl.col("imei_last").fill_null("?"),
                           pl.lit(" (subscriber return)")]).alias("detail")),
    ]).unique(["basis", "identifier", "related"], keep="first", maintain_order=True).with_columns(
        pl.lit(ctx.source_id).alias("source_id")).select(list(IDENTITY_EVIDENCE_SCHEMA.names()))
    rejects = pl.concat([
        no_number.select(pl.lit(ctx.source_id).alias("source_id"), "source_ref",
                         pl.lit("no number (MSISDN) in the row").alias("reason"),
                         pl.coalesce("name", "account", pl.lit("")).str.slice(0, 80).alias("excerpt")),
        not_number.select(pl.lit(ctx.source_id).alias("source_id"), "source_ref",
                          pl.lit("the number (MSISDN) holds no digit").alias("reason"),
                          pl.col("msisdn").str.slice(0, 80).alias("excerpt")),
    ])
    too_long, n_long = long_line_rejects([block for block, _, _ in tables], ctx.source_id)  # read as blank lines
    if n_long:
        rejects = pl.concat([rejects, too_long])
        records += n_long
    unregistered = rows.filter(~registered).get_column("msisdn").unique().sort().to_list()
    assumptions = [n for block, _, _ in tables for n in block.notes()]
    assumptions += long_line_notes([block for block, _, _ in tables])
    if unregistered:
        assumptions.append(f"no registered subscriber for {', '.join(unregistered)} (blank or 'unregistered' name)")
    # The country of national numbers: the SIMs' IMSIs (their MCC), then the numbers written
    # internationally; decided once for the return and stated.
    imsis = tuple(rows.get_column("imsi").drop_nulls().unique().sort().to_list())
    choice = choose_region(RegionEvidence(imsis=imsis, numbers=numbers_in(events, evidence)), default=ctx.region,
                           instructed=ctx.region_instructed)
    assumptions.append(choice.assumption)
    return ParseResult(events=events, rejects=rejects, records_read=records, evidence=evidence, assumptions=assumptions,
                       region=choice.region)
