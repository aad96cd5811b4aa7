"""The normalised event schema: the one place that says what an event is.

Every parser's rows end up in :data:`EVENT_SCHEMA`; every analysis reads it. The
columns follow ``shared/DESIGN.md`` ("The normalised event"). Other modules import
the names from here rather than spelling column names or enum values themselves.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

import polars as pl

UTC: Final = "UTC"
TS_TYPE: Final = pl.Datetime("us", UTC)
NAIVE_TS_TYPE: Final = pl.Datetime("us")

KINDS: Final = ("call", "message", "location", "cell", "contact", "account", "media", "note")
"""What an event records. ``cell``, ``contact`` and ``account`` rows may lack a time."""

TIMED_KINDS: Final = ("call", "message", "location", "media", "note")
"""Kinds that mean nothing without a time: a row of these without one is a reject."""

CONTACT_KINDS: Final = ("call", "message")
"""Kinds that are contact between people (course of conduct, graph, de-duplication)."""

TS_BASES: Final = ("offset", "utc", "local", "ambiguous", "nonexistent")
"""How ``ts_utc`` was obtained from ``ts_raw``; see DESIGN.md."""

DIRECTIONS: Final = ("out", "in", "unknown")

NOT_CONTACT_STATUSES: Final = ("draft", "unsent", "failed", "queued", "outbox")
"""Message states that never reached anyone: kept as evidence, never counted as contact."""

class EvidenceCategory(StrEnum):
    """What kind of evidence a source is, as its parser declares it (``ParserInfo.category``).

    The statement's "what this data can and cannot show" is chosen from this, never from
    words in a parser's description."""

    HANDSET_DOWNLOAD = "handset-download"
    """Records as stored on a seized or examined device (its databases, a tool's report of it)."""
    CHAT_EXPORT = "chat-export"
    """A conversation exported by the app on a handset (WhatsApp 'Export chat', Signal text)."""
    COMMUNICATIONS_DATA = "communications-data"
    """A communications provider's return: call data records, cell-site lists, subscriber data."""
    SOCIAL_MEDIA_RETURN = "social-media-return"
    """A platform's return or its 'download your information' export."""
    LOCATION_HISTORY = "location-history"
    """Positions recorded by a device or a service (Google location history)."""
    TOOL_EXPORT = "tool-export"
    """Tables a phone-analysis tool exported (CSV/XLSX from Cellebrite, XRY, AXIOM)."""


class Channel(StrEnum):
    """The ``channel`` values parsers write (``ParserInfo.channels`` declares each parser's)."""

    SMS = "sms"
    MMS = "mms"
    IMESSAGE = "imessage"
    RCS = "rcs"
    VOICE = "voice"
    VIDEO = "video"
    FACETIME = "facetime"
    DATA = "data"
    WHATSAPP = "whatsapp"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    SNAPCHAT = "snapchat"
    TELEGRAM = "telegram"
    SIGNAL = "signal"
    X = "x"
    TIKTOK = "tiktok"
    SKYPE = "skype"
    VIBER = "viber"
    WECHAT = "wechat"
    LINE = "line"
    KIK = "kik"
    DISCORD = "discord"
    GOOGLE_MEET = "google-meet"
    EMAIL = "email"
    CHAT = "chat"
    """A chat app the tool did not name."""
    GOOGLE_LOCATION = "google-location"
    GPS = "gps"
    CELL = "cell"
    SUBSCRIBER = "subscriber"
    ADDRESS_BOOK = "address-book"
    PHONEBOOK = "phonebook"
    ACCOUNT = "account"
    OTHER_APP = "other-app"
    """Declared by a parser that also writes an app's name as the source gives it
    (``line-lite``, ``threema``): its events may carry channels not listed here."""


EVENT_SCHEMA: Final = pl.Schema(
    {  # type: ignore[arg-type]  # mixed dtype classes and instances
        "event_id": pl.String,
        "source_id": pl.String,
        "source_ref": pl.String,
        "kind": pl.Enum(KINDS),
        "channel": pl.String,
        "ts_utc": TS_TYPE,
        "ts_end_utc": TS_TYPE,
        "ts_basis": pl.Enum(TS_BASES),
        "ts_raw": pl.String,
        "direction": pl.Enum(DIRECTIONS),
        "sender": pl.String,
        "recipients": pl.List(pl.String),
        "status": pl.String,
        "duration_s": pl.Int64,
        "text": pl.String,
        "attachments": pl.List(pl.String),
        "lat": pl.Float64,
        "lon": pl.Float64,
        "accuracy_m": pl.Float64,
        "cell_id": pl.String,
        "deleted": pl.Boolean,
    }
)

RAW_EXTRA_COLUMNS: Final = pl.Schema(
    {
        "ts_local": NAIVE_TS_TYPE,
        "ts_end_local": NAIVE_TS_TYPE,
    }
)
"""Columns a parser may give instead of ``ts_utc`` / ``ts_end_utc``: a wall-clock time
that :mod:`atlas.normalise` converts with the source's zone and flags."""

RAW_EVENT_SCHEMA: Final = pl.Schema(
    {name: dtype for name, dtype in EVENT_SCHEMA.items() if name not in ("event_id", "source_id")}
    | dict(RAW_EXTRA_COLUMNS)
)
"""What a parser yields. Identifiers are *raw*: ``phone:<as written>`` for numbers and
``name:<display name>`` for names; normalisation turns them into URIs. (A parser whose
identifiers are a few distinct values may convert them itself with the same function and
say so: ``ParseResult.identifiers_are_uris``.)"""

REJECT_SCHEMA: Final = pl.Schema(
    {
        "source_id": pl.String,
        "source_ref": pl.String,
        "reason": pl.String,
        "excerpt": pl.String,
    }
)

SOURCE_SCHEMA: Final = pl.Schema(
    {  # type: ignore[arg-type]  # mixed dtype classes and instances
        "source_id": pl.String,
        "path": pl.String,
        "name": pl.String,
        "size": pl.Int64,
        "sha256": pl.String,
        "format": pl.String,
        "parser": pl.String,
        "parser_version": pl.String,
        "owner": pl.String,
        "region": pl.String,
        "timezone": pl.String,
        "assumptions": pl.List(pl.String),
        "records_read": pl.Int64,
        "events": pl.Int64,
        "rejects": pl.Int64,
        "path_bytes": pl.Binary,
        "companions": pl.List(pl.Struct({"name": pl.String, "role": pl.String, "size": pl.Int64, "sha256": pl.String})),
        "owner_assumption": pl.Struct({"basis": pl.String, "party": pl.String, "identifier": pl.String,
                                       "recorded": pl.String}),
    }
)
"""One row per source. ``path`` is for people (bytes that are not UTF-8 shown as ``\\xNN``);
``path_bytes`` is the path exactly as the file system names it, to open the file again
(null in stores written before it was kept: ``path`` is then used). ``companions``: files
read with it as one source (a SQLite database's ``-wal`` and hot ``-journal``), each with
its size and SHA-256, checked unchanged before and after reading exactly as the main file is.
``owner_assumption``: whose device the ingest took the source to be, typed (:class:`atlas.ingest.OwnerAssumption`:
``instructed`` by ``--owner`` or ``source`` stated in it; the case.toml party, when one holds the identifier; the
identifier; the line ``assumptions`` records for it), so that an output names the party as case.toml names it
(null in stores written before it was kept, and when no owner was given or stated)."""

EVIDENCE_BASES: Final = (
    "contact-card",
    "subscriber-record",
    "same-imei",
    "account-profile",
    "device-owner",
)
"""Documentary identity evidence a parser can find in a source (see atlas.identity)."""

IDENTITY_EVIDENCE_SCHEMA: Final = pl.Schema(
    {
        "source_id": pl.String,
        "source_ref": pl.String,
        "basis": pl.String,
        "identifier": pl.String,
        "related": pl.String,
        "detail": pl.String,
    }
)
"""A documented attribute two identifiers share: e.g. one contact card listing a number
and a WhatsApp name, or a subscriber record naming a person for a number. Raw
identifiers on the way in, URIs once stored."""


def empty_events() -> pl.DataFrame:
    return pl.DataFrame(schema=EVENT_SCHEMA)


def empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema=REJECT_SCHEMA)


def empty_evidence() -> pl.DataFrame:
    return pl.DataFrame(schema=IDENTITY_EVIDENCE_SCHEMA)


def conform(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """Return ``frame`` with exactly ``schema``'s columns, in order, missing ones null.

    Parsers only produce the columns their format has; this fills the rest so every
    frame that reaches the store has the same shape.
    """
    unknown = set(frame.columns) - set(schema.names())
    if unknown:
        raise ValueError(f"columns not in schema: {sorted(unknown)}")
    have = frame.schema
    if have == schema:
        return frame
    exprs = []
    for name, dtype in schema.items():
        if name in have:
            exprs.append(pl.col(name) if have[name] == dtype else pl.col(name).cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(exprs)
