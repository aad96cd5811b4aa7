"""WhatsApp "Export chat" text files (Android and iOS, with or without media).

Layouts seen in real exports (the header of each message)::

    Android  01/01/19, 11:25 - John Doe: text        (also 1.1.19, 2019-01-01, 12/31/20, 9:05 PM)
    iOS      [01/01/2019, 11:25:03] John Doe: text   (also [1/1/19 11:25:03 AM])

Format notes, and where they come from:

* The date order follows the exporting phone's locale; the file never says which.
  A day > 12 anywhere in the file decides it; otherwise ``--dayfirst`` /
  ``--monthfirst`` decide, and day-first is assumed only for a GB case, with the
  assumption recorded on the source. (chat-miner's public test exports exercise
  dd/mm/yy, mm/dd/yy, mm/dd/yyyy 12-hour, [mm/dd/yy] and yyyy/mm/dd layouts.)
* Times are the phone's wall clock with no zone: the case's (or ``--tz``) zone
  converts them, with clock-change hours flagged by the shared normaliser.
* Real exports carry invisible characters: U+200E (left-to-right mark) before
  iOS attachments and system lines, U+202F / U+00A0 before AM/PM, ``a. m.`` /
  ``p. m.`` in Spanish locales. They are removed or read as spaces.
* Lines without a header continue the previous message (multi-line messages).
  Lines with a header but no ``Name: `` are system lines ("created group", "You
  were added", the encryption notice) and are kept as ``note`` events.
* ``<Media omitted>`` (export without media) and ``<attached: NAME>`` / ``NAME
  (file attached)`` (with media) become attachments; "Missed voice call" lines are
  call attempts; "This message was deleted" stays a message with that status.
* The export does not say who the phone's owner is: ``--owner`` (and the owner's
  ``display_names`` in case.toml) say so; otherwise direction is ``unknown``.

Public samples: chat-miner ``test/whatsapp/*.txt``: 9 header blocks each, of which
6 messages (chat-miner's targets), 2 system notes and 1 "Name:." line kept as a
note (it has no ``": "`` separator).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import polars as pl

from atlas.errors import FormatError
from atlas.model import REJECT_SCHEMA
from atlas.normalise.phones import looks_like_phone
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe

INFO: Final = ParserInfo(
    name="whatsapp-text",
    version="1.0.0",
    description="WhatsApp 'Export chat' text file (Android or iOS)",
    detects="text whose lines start with a WhatsApp date/time header, e.g. '01/01/19, 11:25 - Name: ' or '[01/01/2019, 11:25:03] Name: '",
    notes=__doc__ or "",
    sample_counts={"chat-miner test_ddmmyy_24hrs.txt": "9 records: 6 messages, 3 notes, 0 rejects"},
)

_INVISIBLE: Final = "[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
_SPACES: Final = "[\u202f\u00a0\u2007]"
HEADER: Final = (
    r"^\[?(?P<d>\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}),?\s+"
    r"(?P<t>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)"
    r"(?:\s*(?P<ap>[aApP]\.?\s?[mM]\.?))?"
    r"(?:\]\s*|\s+[-\u2013]\s+)(?P<rest>.*)$"
)
_HEADER_RE: Final = re.compile(HEADER)
_SYSTEM_BODIES: Final = (
    "Messages and calls are end-to-end encrypted",
    "Messages to this group are now secured",
    "Your security code with",
    "changed their phone number",
    "created group",
    "changed the subject",
    "changed this group's icon",
    "changed the group description",
    "You were added",
    "joined using this group's invite link",
)
_MISSED_CALL: Final = r"^(?:Missed (?:voice|video|group voice|group video) call)\b"
_DELETED: Final = r"^(?:This message was deleted|You deleted this message)\.?$"
_MEDIA_OMITTED: Final = r"^<(?:Media omitted|Médias omis|Medien ausgeschlossen|Multimedia omitido|Media weggelaten)>$"
_ATTACHED: Final = r"<attached: ([^>]+)>"
_FILE_ATTACHED: Final = r"^(\S+\.\w{2,5}) \(file attached\)"
_CHAT_NAME: Final = re.compile(r"^WhatsApp Chat (?:with|mit|avec|con|met) (.+)\.txt$", re.IGNORECASE)


def detect(probe: Probe) -> int:
    lines = [ln for ln in re.sub(_INVISIBLE, "", probe.text).splitlines() if ln.strip()][:30]
    if not lines:
        return 0
    cleaned = [re.sub(_SPACES, " ", ln) for ln in lines]
    hits = sum(1 for ln in cleaned if _HEADER_RE.match(ln))
    if not _HEADER_RE.match(cleaned[0]):
        return 0
    with_author = sum(1 for ln in cleaned if (m := _HEADER_RE.match(ln)) and ": " in m.group("rest"))
    return 80 if hits >= min(3, len(lines)) and with_author else 60


def _read_text(path: Path) -> tuple[str, list[str]]:
    data = path.read_bytes()
    if not data.strip():
        raise FormatError(f"{path}: the file is empty")
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise FormatError(f"{path}: binary content (NUL byte at offset {offset}): not a WhatsApp text export")
    notes: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        if bad > max(16, len(data) // 100):
            raise FormatError(f"{path}: not UTF-8 text (invalid byte at offset {exc.start}); not a WhatsApp export") from exc
        notes.append(f"{bad} invalid UTF-8 byte sequence(s) replaced with U+FFFD, first at byte offset {exc.start}")
    return text, notes


def _date_order(parts: pl.DataFrame, ctx: ParseContext, path: Path) -> tuple[str, str | None]:
    """'ymd', 'dmy' or 'mdy' for the whole file, and the assumption if one was made."""
    if parts.height == 0:
        return "dmy", None
    if (parts["a"].str.len_chars() == 4).all():
        return "ymd", None
    a_big = int((parts["a"].cast(pl.Int32) > 12).sum())
    b_big = int((parts["b"].cast(pl.Int32) > 12).sum())
    if a_big and b_big:
        raise FormatError(
            f"{path}: dates are inconsistent ({a_big} with a first number > 12 and {b_big} with a second number > 12); "
            "the file may mix locales"
        )
    if a_big:
        if ctx.dayfirst is False:
            raise FormatError(f"{path}: --monthfirst given, but the file has a day > 12 in first position")
        return "dmy", None
    if b_big:
        if ctx.dayfirst is True:
            raise FormatError(f"{path}: --dayfirst given, but the file has a day > 12 in second position")
        return "mdy", None
    if ctx.dayfirst is not None:
        order = "dmy" if ctx.dayfirst else "mdy"
        return order, f"day/month order not decidable from the file (no day > 12); {'day' if ctx.dayfirst else 'month'}-first as instructed"
    if ctx.region.upper() == "GB":
        return "dmy", "day/month order not decidable from the file (no day > 12); day-first assumed for a GB case (override with --monthfirst)"
    raise FormatError(
        f"{path}: day/month order cannot be decided from the file (no day > 12) and the region is "
        f"{ctx.region}; say which with --dayfirst or --monthfirst"
    )


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    text, assumptions = _read_text(path)
    lines = pl.Series("line", text.split("\n"), dtype=pl.String)
    frame = (
        pl.DataFrame({"line": lines})
        .with_row_index("lineno", offset=1)
        .with_columns(
            pl.col("line")
            .str.strip_chars_end("\r")
            .str.replace_all(_INVISIBLE, "")
            .str.replace_all(_SPACES, " ")
            .alias("clean"),
        )
    )
    frame = frame.with_columns(pl.col("clean").str.extract_groups(HEADER).alias("h")).unnest("h")
    frame = frame.with_columns(pl.col("d").is_not_null().cum_sum().alias("block"))

    blocks = (
        frame.group_by("block", maintain_order=True)
        .agg(
            pl.col("lineno").first(),
            pl.col("d").first(),
            pl.col("t").first(),
            pl.col("ap").first(),
            pl.col("rest").first(),
            pl.col("clean").slice(1).alias("more"),
            pl.col("clean").first().alias("first_line"),
        )
    )
    orphan = blocks.filter(pl.col("block") == 0)
    orphan_rejects = orphan.filter(
        pl.concat_list(pl.col("first_line"), pl.col("more")).list.eval(pl.element().str.strip_chars() != "").list.any()
    ).select(
        pl.lit(ctx.source_id).alias("source_id"),
        pl.format("line {}", pl.col("lineno")).alias("source_ref"),
        pl.lit("text before the first message header").alias("reason"),
        pl.col("first_line").str.slice(0, 120).alias("excerpt"),
    )
    msgs = blocks.filter(pl.col("block") > 0)
    if msgs.height == 0:
        raise FormatError(f"{path}: no WhatsApp message header found (expected lines like '01/01/2024, 11:25 - Name: text')")

    # Body: header remainder plus continuation lines; trailing empty lines dropped.
    msgs = msgs.with_columns(
        pl.concat_list(pl.col("rest"), pl.col("more")).list.join("\n").str.strip_chars_end("\n ").alias("body_all")
    )
    msgs = msgs.with_columns(
        pl.col("d").str.extract_groups(r"^(?P<a>\d+)[./\-](?P<b>\d+)[./\-](?P<c>\d+)$").alias("dp"),
        pl.col("t").str.extract_groups(r"^(?P<hh>\d+)[:.](?P<mi>\d+)(?:[:.](?P<ss>\d+))?$").alias("tp"),
        pl.col("ap").str.to_lowercase().str.replace_all(r"[.\s]", "").alias("ampm"),
    ).unnest("dp", "tp")
    order, assumption = _date_order(msgs.select("a", "b"), ctx, path)
    if assumption:
        assumptions.append(assumption)
    y, m, d = {"ymd": ("a", "b", "c"), "dmy": ("c", "b", "a"), "mdy": ("c", "a", "b")}[order]
    year = pl.col(y).cast(pl.Int32)
    hh = pl.col("hh").cast(pl.Int32)
    hour = (
        pl.when(pl.col("ampm") == "am").then(hh % 12)
        .when(pl.col("ampm") == "pm").then(hh % 12 + 12)
        .otherwise(hh)
    )

    def two(e: pl.Expr) -> pl.Expr:
        return e.cast(pl.Int32).cast(pl.String).str.zfill(2)

    msgs = msgs.with_columns(
        pl.format(
            "{}-{}-{} {}:{}:{}",
            pl.when(year < 100).then(year + 2000).otherwise(year),
            two(pl.col(m)), two(pl.col(d)), two(hour), two(pl.col("mi")), two(pl.col("ss").fill_null("0")),
        )
        .str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
        .alias("ts_local")
    )

    bad_time = msgs.filter(pl.col("ts_local").is_null()).select(
        pl.lit(ctx.source_id).alias("source_id"),
        pl.format("line {}", pl.col("lineno")).alias("source_ref"),
        pl.lit("header date/time is not a real date").alias("reason"),
        pl.col("first_line").str.slice(0, 120).alias("excerpt"),
    )
    msgs = msgs.filter(pl.col("ts_local").is_not_null())

    split = pl.col("body_all").str.splitn(": ", 2)
    msgs = msgs.with_columns(
        split.struct.field("field_0").alias("author"),
        split.struct.field("field_1").alias("body"),
    )
    system_body = pl.col("body").str.contains("|".join(re.escape(s) for s in _SYSTEM_BODIES))
    is_note = pl.col("body").is_null() | pl.col("author").str.contains('"') | system_body
    msgs = msgs.with_columns(is_note.alias("is_note"))
    authors = msgs.filter(~pl.col("is_note")).get_column("author").unique().sort().to_list()
    ident = {a: (f"phone:{a}" if looks_like_phone(a) else f"name:{a}") for a in authors}
    participants = sorted(ident.values())
    keys = pl.Series(list(ident.keys()), dtype=pl.String)
    vals = pl.Series(list(ident.values()), dtype=pl.String)

    body = pl.col("body")
    attached = body.str.extract_all(_ATTACHED).list.eval(pl.element().str.extract(_ATTACHED, 1))
    file_attached = body.str.extract(_FILE_ATTACHED, 1)
    omitted = body.str.contains(_MEDIA_OMITTED)
    missed = body.str.contains(_MISSED_CALL)
    deleted = body.str.contains(_DELETED)
    sender = pl.when(pl.col("is_note")).then(None).otherwise(pl.col("author").replace_strict(keys, vals, default=None))
    owner_raw = [ctx.owner] if ctx.owner else []
    recipients = (
        pl.when(pl.col("is_note"))
        .then(pl.lit([], pl.List(pl.String)))
        .otherwise(pl.lit(pl.Series([participants], dtype=pl.List(pl.String))).list.set_difference(pl.concat_list(sender)))
    )
    events = msgs.select(
        pl.format("line {}", pl.col("lineno")).alias("source_ref"),
        pl.when(pl.col("is_note")).then(pl.lit("note")).when(missed).then(pl.lit("call")).otherwise(pl.lit("message")).alias("kind"),
        pl.lit("whatsapp").alias("channel"),
        pl.col("ts_local"),
        pl.concat_str(pl.col("d"), pl.lit(", "), pl.col("t"), pl.when(pl.col("ap").is_not_null()).then(pl.lit(" ") + pl.col("ap")).otherwise(pl.lit(""))).alias("ts_raw"),
        sender.alias("sender"),
        recipients.alias("recipients"),
        pl.when(missed).then(pl.lit("missed")).when(deleted).then(pl.lit("deleted-by-sender")).otherwise(None).alias("status"),
        pl.when(pl.col("is_note")).then(pl.col("body_all"))
        .when(omitted).then(None)
        .otherwise(body.str.replace_all(_ATTACHED, "").str.strip_chars()).alias("text"),
        pl.when(pl.col("is_note")).then(pl.lit([], pl.List(pl.String)))
        .when(omitted).then(pl.lit(["<Media omitted>"], pl.List(pl.String)))
        .when(file_attached.is_not_null()).then(pl.concat_list(file_attached))
        .otherwise(attached).alias("attachments"),
    )
    if owner_raw:
        # A one-sided chat (the other party never replied) still had the owner as recipient.
        events = events.with_columns(
            pl.when((pl.col("kind") != "note") & (pl.col("recipients").list.len() == 0))
            .then(pl.lit(pl.Series([owner_raw], dtype=pl.List(pl.String))))
            .otherwise(pl.col("recipients")).alias("recipients")
        )
    match = _CHAT_NAME.match(path.name)
    if match:
        assumptions.append(f"chat name taken from the file name: {match.group(1)!r}")
    rejects = pl.concat([orphan_rejects, bad_time]).cast(REJECT_SCHEMA)  # type: ignore[arg-type]
    return ParseResult(
        events=events,
        rejects=rejects,
        records_read=msgs.height + bad_time.height + orphan_rejects.height,
        assumptions=assumptions,
    )
