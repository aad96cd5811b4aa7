"""Android call log: ``calllog.db`` (Android 7+) ``calls`` table.

The same ``calls`` table lived in ``contacts2.db`` before Android 7; a contacts2.db
is claimed by :mod:`parsers.android_contacts`, which reads its calls with this
module's :func:`read_calls` so that one file stays one source. Detection here only
claims a ``calls`` table *without* the contacts tables (``raw_contacts``, ``data``,
``mimetypes``), so exactly one parser wins for each file.

Format notes, and where they come from (AOSP ``android.provider.CallLog.Calls``):

* ``date``: call start, **milliseconds** since 1970 UTC, the handset's clock;
  ``duration``: seconds of conversation (0 for a call never answered).
* ``type``: 1 incoming, 2 outgoing, 3 missed, 4 voicemail, 5 rejected, 6 blocked,
  7 answered externally (on another device). Outgoing calls with duration 0 were
  not answered (status ``missed``: nobody picked up).
* ``presentation`` (API 14+): 1 allowed, 2 restricted (the caller withheld the
  number), 3 unknown, 4 payphone: the number column is then empty or ``-1``/``-2``
  and the caller is recorded as ``Withheld`` / ``Unknown`` / ``Payphone``.
* ``features`` bit 0 (``FEATURES_VIDEO``) marks a video call; a call placed through a
  VoIP app's connection service names it in ``subscription_component_name``
  (e.g. ``com.whatsapp``), and the channel follows it.
* ``countryiso`` is the network country of each call (``US`` in the plaso sample):
  the most common value is the handset's region for national numbers.
* ``name`` is the name the address book had for the number when the call was
  logged: kept as identity evidence (``contact-card``, a cached contact name).
* ``deleted`` (API 24+, voicemails pending deletion) is kept as the deleted flag.

Public sample: plaso ``test_data/android/contacts2.db`` holds a (pre-Android 7)
``calls`` table with 3 calls (one missed, one outgoing 126 s, one incoming 639 s)
from ``5404561685`` (``Barney``), country ``US``: read by ``android-contacts``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Final

import polars as pl

from atlas.model import TS_TYPE, Channel, EvidenceCategory
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
    tidy_evidence,
)
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe

INFO: Final = ParserInfo(
    name="android-calllog",
    version="1.1.0",
    description="Android call log database (calllog.db)",
    detects="SQLite with a 'calls' table (number, date, duration, type) and no contacts tables",
    notes=__doc__ or "",
    category=EvidenceCategory.HANDSET_DOWNLOAD,
    channels=frozenset({Channel.VOICE, Channel.VIDEO, Channel.WHATSAPP, Channel.SKYPE, Channel.TELEGRAM, Channel.SIGNAL, Channel.FACEBOOK, Channel.VIBER, Channel.GOOGLE_MEET}),
    no_public_sample="no public calllog.db in ../shared/samples (plaso's contacts2.db keeps its calls in the contacts database and is read by android-contacts); tested on the generator's calllog.db",
)

CALL_TYPES: Final = {1: "incoming", 2: "outgoing", 3: "missed", 4: "voicemail", 5: "rejected", 6: "blocked",
                     7: "answered externally"}
PRESENTATION: Final = {2: "Withheld", 3: "Unknown", 4: "Payphone"}
CONTACT_TABLES: Final = ("raw_contacts", "data", "mimetypes")
VOIP_APPS: Final = {"whatsapp": "whatsapp", "skype": "skype", "telegram": "telegram", "signal": "signal",
                    "facebook.orca": "facebook", "viber": "viber", "tachyon": "google-meet"}


def is_call_log(tables: dict[str, set[str]]) -> bool:
    return has_columns(tables, "calls", "number", "date", "duration", "type")


def detect(probe: Probe) -> int:
    tables = probe.sqlite_tables
    if is_call_log(tables) and not any(t in tables for t in CONTACT_TABLES):
        return 90
    return 0


def read_calls(con: sqlite3.Connection, path: Path, tables: dict[str, set[str]], owner: str | None,
               source_id: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """The ``calls`` table → (raw events, identity evidence, the ``countryiso`` column)."""
    cols = select_sql(tables, "calls", {
        "rowid": "_id", "number": "number", "date": "date", "duration": "duration", "type": "type",
        "presentation": "presentation", "features": "features", "name": "name", "countryiso": "countryiso",
        "component": "subscription_component_name", "deleted": "deleted",
    })
    frame = read_frame(con, path, f"SELECT {cols} FROM calls ORDER BY _id", {
        "rowid": pl.Int64, "number": pl.String, "date": pl.Int64, "duration": pl.Int64, "type": pl.Int64,
        "presentation": pl.Int64, "features": pl.Int64, "name": pl.String, "countryiso": pl.String,
        "component": pl.String, "deleted": pl.Int64,
    })
    number = pl.col("number").str.strip_chars()
    hidden = pl.col("presentation").replace_strict(list(PRESENTATION), list(PRESENTATION.values()), default=None,
                                                   return_dtype=pl.String)
    other = (
        pl.when(hidden.is_not_null() & (number.is_null() | (number == "") | number.str.starts_with("-")))
        .then(pl.lit("phone:") + hidden)
        .when(number.is_null() | (number == "")).then(pl.lit("phone:Unknown"))
        .otherwise(pl.lit("phone:") + number)
    )
    outgoing = pl.col("type") == 2
    status = (
        pl.when(pl.col("type").is_in([1, 7])).then(pl.lit("answered"))
        .when(outgoing).then(pl.when(pl.col("duration").fill_null(0) > 0).then(pl.lit("answered")).otherwise(pl.lit("missed")))
        .when(pl.col("type") == 3).then(pl.lit("missed"))
        .when(pl.col("type") == 4).then(pl.lit("voicemail"))
        .when(pl.col("type") == 5).then(pl.lit("rejected"))
        .when(pl.col("type") == 6).then(pl.lit("blocked"))
        .otherwise(None)
    )
    component = pl.col("component").str.to_lowercase().fill_null("")
    channel = pl.when((pl.col("features").fill_null(0) & 1) == 1).then(pl.lit("video")).otherwise(pl.lit("voice"))
    for needle, app in VOIP_APPS.items():
        channel = pl.when(component.str.contains(needle, literal=True)).then(pl.lit(app)).otherwise(channel)
    start = from_epoch(pl.col("date"), "unix_ms").cast(TS_TYPE)
    events = frame.select(
        pl.format("call rowid {}", pl.col("rowid")).alias("source_ref"),
        pl.lit("call").alias("kind"),
        channel.alias("channel"),
        start.alias("ts_utc"),
        pl.when(pl.col("duration").fill_null(0) > 0).then(start + pl.duration(seconds=pl.col("duration"))).otherwise(None)
        .cast(TS_TYPE).alias("ts_end_utc"),
        pl.lit("utc").alias("ts_basis"),
        pl.col("date").cast(pl.String).alias("ts_raw"),
        pl.when(outgoing).then(pl.lit("out")).otherwise(pl.lit("in")).alias("direction"),
        pl.when(outgoing).then(pl.lit(owner, pl.String)).otherwise(other).alias("sender"),
        pl.when(outgoing).then(pl.concat_list(other)).otherwise(owner_list(owner)).alias("recipients"),
        status.alias("status"),
        pl.col("duration").alias("duration_s"),
        pl.when(pl.col("type") == 7).then(pl.lit("answered on another device")).otherwise(None).alias("text"),
        (pl.col("deleted").fill_null(0) != 0).alias("deleted"),
    )
    named = frame.filter(pl.col("name").is_not_null() & (pl.col("name").str.strip_chars() != "")
                         & number.is_not_null() & (number != "") & ~number.str.starts_with("-"))
    evidence = named.group_by("number", "name", maintain_order=True).agg(pl.col("rowid").first()).select(
        pl.lit(source_id).alias("source_id"),
        pl.format("call rowid {}", pl.col("rowid")).alias("source_ref"),
        pl.lit("contact-card").alias("basis"),
        (pl.lit("name:") + pl.col("name").str.strip_chars()).alias("identifier"),
        (pl.lit("phone:") + pl.col("number").str.strip_chars()).alias("related"),
        pl.format("the call log recorded the address-book name '{}' for {} (call rowid {})",
                  pl.col("name"), pl.col("number"), pl.col("rowid")).alias("detail"),
    )
    return events, evidence, frame.get_column("countryiso")


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    with open_evidence(path) as (con, notes):
        tables = table_columns(con, path)
        require(tables, path, "calls", "number", "date", "duration", "type")
        events, evidence, countries = read_calls(con, path, tables, ctx.owner, ctx.source_id)
    region = decide_region(ctx, notes, events, evidence, countries=countries, countries_from="calls.countryiso")
    if ctx.owner is None:
        notes.append("the owner's own number is not recorded in the call log: give --owner to name the handset's owner")
    return ParseResult(events=events, rejects=empty_rejects(), records_read=events.height, region=region,
                       assumptions=notes, evidence=tidy_evidence(evidence, region))
