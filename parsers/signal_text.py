"""Signal chats exported as plain text: ``[YYYY-MM-DD, HH:MM] Name: text``.

The layout written by Signal backup/export readers that produce text transcripts
(as in chat-miner's public ``test/signal/test_export.txt``)::

    [2019-12-24, 12:23] Jane Doe: Hello John!
    [2020-01-17, 21:49] John Doe: Hello
    Jane!

Format notes:

* A header is an ISO date and a 24-hour time *to the minute*, in square brackets,
  then ``Name: text``. Lines that do not start with a header continue the message
  above (kept verbatim, with their line breaks; chat-miner joins them with a space).
* Times are the phone's wall clock with no zone: ``ts_local``, converted with the
  case's (or ``--tz``) zone by the shared normaliser (clock-change hours flagged).
* A header with no ``Name: `` is a note (e.g. a safety-number change).
* Authors are display names (``name:``) or, where the author is a number,
  ``phone:``; recipients are the chat's other authors (``--owner`` if none).

Detection is decisive, because WhatsApp's iOS header (``[dd/mm/yyyy, HH:MM:SS]``)
looks similar: Signal's is bracketed, year-first with dashes, and has no seconds.
WhatsApp never writes that combination (its iOS headers always carry seconds; its
year-first Android layout has no brackets and a `` - `` separator), so a file whose
headers all have Signal's shape scores above the WhatsApp parser.

Public sample: chat-miner ``test/signal/test_export.txt``: 2 messages.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import polars as pl

from atlas.errors import FormatError
from atlas.model import Channel, EvidenceCategory
from atlas.normalise.phones import looks_like_phone
from parsers._bounds import (
    CHAT_LINE_BYTES,
    KEPT_BYTES,
    chat_long_blocks,
    chat_long_blocks_in,
    counted_decoding,
    file_lines,
    is_utf16,
    read_without,
    read_without_bytes,
    reject_long_blocks,
    utf16_file_as_utf8,
)
from parsers._exports import read_bytes_text, read_bytes_text_plain, rejects
from parsers._tabular import utf16_losses
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe, SampleCount

INFO: Final = ParserInfo(
    name="signal-text",
    version="1.4.0",
    description="Signal chat exported as plain text ('[YYYY-MM-DD, HH:MM] Name: text')",
    detects="text whose message headers are all '[YYYY-MM-DD, HH:MM] ' (bracketed ISO date, minutes, no seconds)",
    notes=__doc__ or "",
    category=EvidenceCategory.CHAT_EXPORT,
    channels=frozenset({Channel.SIGNAL}),
    sample_counts=(
        SampleCount("chat-miner/signal/test_export.txt", 2, 2, 0, "line 1", "2019-12-24T12:23:00+00:00",
                    note="joweich/chat-miner Signal text export: 2 messages"),
    ),
)

HEADER: Final = r"^\ufeff?\[(?P<d>\d{4}-\d{2}-\d{2}), (?P<t>\d{2}:\d{2})\] (?P<rest>.*)$"
_HEADER_RE: Final = re.compile(HEADER)
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")
_ANY_BRACKET_STAMP: Final = re.compile(r"^\ufeff?[\u200e\u200f]*\[\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4},?\s+\d{1,2}[:.]\d{2}")


def _is_header(line: bytes) -> bool:
    """Whether one line (bytes, no line break) is a message header: :data:`HEADER`, as the parser reads it."""
    return _HEADER_RE.match(line.decode("utf-8", errors="replace")) is not None


def detect(probe: Probe) -> int:
    lines = [ln for ln in probe.lines if ln.strip()][:200]
    if not lines or not _HEADER_RE.match(lines[0]):
        return 0
    stamped = [ln for ln in lines if _ANY_BRACKET_STAMP.match(ln)]
    signal = [ln for ln in stamped if _HEADER_RE.match(ln)]
    if len(signal) != len(stamped):
        return 0  # some bracketed header is not Signal's shape (seconds, slashes): not this format
    with_author = sum(1 for ln in signal if ": " in ln)
    return 90 if with_author else 70


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    # A message over the bound (its continuation lines included) is read as its header's first bytes
    # alone, one line, before Polars sees it (not one empty line per continuation line: 1.3 M rows for
    # a 100 MB message of 80-byte lines); the lines after it get the file's numbers back; it is a
    # reject (below).
    # UTF-16 (Windows Notepad's "Unicode") is read as its UTF-8 text, bounded per message in it.
    invalid: list[str] = []  # a few damaged bytes: replaced and stated (parsers._exports.replaced_invalid_utf8)
    if is_utf16(path):
        with counted_decoding() as tally:  # what is not UTF-16 (a half surrogate pair, an odd last byte): stated
            utf8 = utf16_file_as_utf8(path)
        invalid += [r.note() for r in utf16_losses(path, None, tally.places > 0, 0)]
        long = chat_long_blocks_in(utf8, CHAT_LINE_BYTES, _is_header)
        text = read_bytes_text_plain(path, "Signal text export", read_without_bytes(utf8, long, KEPT_BYTES, breaks=False))
        del utf8
    else:
        long = chat_long_blocks(path, CHAT_LINE_BYTES, _is_header)
        text = (read_bytes_text_plain(path, "Signal text export", read_without(path, long, KEPT_BYTES, breaks=False),
                                      invalid_notes=invalid)
                if long else read_bytes_text(path, "Signal text export", invalid))
    frame = (
        pl.DataFrame({"line": pl.Series(_LINE_BREAK.split(text), dtype=pl.String)})  # every line ending
        .with_row_index("lineno", offset=1)
    )
    if long:  # a message over the bound was read as one line (its header's first bytes): the file's line numbers
        frame = frame.with_columns(pl.Series("lineno", file_lines(long, frame.get_column("lineno").to_numpy()),
                                             dtype=pl.UInt32))
    frame = (
        frame
        .with_columns(pl.col("line").str.extract_groups(HEADER).alias("h"))
        .unnest("h")
        .with_columns(pl.col("d").is_not_null().cum_sum().alias("block"))
    )
    blocks = frame.group_by("block", maintain_order=True).agg(
        pl.col("lineno").first(), pl.col("d").first(), pl.col("t").first(), pl.col("rest").first(),
        pl.col("line").first().alias("first_line"), pl.col("line").slice(1).alias("more"),
    )
    orphan = blocks.filter((pl.col("block") == 0) & pl.concat_list("first_line", "more").list.eval(
        pl.element().str.strip_chars() != "").list.any())
    msgs = blocks.filter(pl.col("block") > 0)
    if msgs.height == 0:
        raise FormatError(f"{path}: no Signal message header found (expected lines like '[2024-01-31, 21:05] Name: text')")
    split = pl.col("rest").str.splitn(": ", 2)
    msgs = msgs.with_columns(
        pl.format("{} {}", "d", "t").str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us").alias("ts_local"),
        split.struct.field("field_0").str.strip_chars().alias("author"),
        split.struct.field("field_1").alias("body_first"),
    )
    body = pl.concat_list(pl.col("body_first"), pl.col("more")).list.join("\n").str.replace(r"\n\s*$", "")
    whole = pl.concat_list(pl.col("rest"), pl.col("more")).list.join("\n").str.replace(r"\n\s*$", "")
    msgs = msgs.with_columns(
        pl.col("body_first").is_null().alias("is_note"),
        pl.when(pl.col("body_first").is_null()).then(whole).otherwise(body).alias("body"),
    )
    authors = msgs.filter(~pl.col("is_note")).get_column("author").unique().sort().to_list()
    ident = {a: (f"phone:{a}" if looks_like_phone(a) else f"name:{a}") for a in authors}
    everyone = sorted(ident.values())
    keys = pl.Series(list(ident), dtype=pl.String)
    vals = pl.Series(list(ident.values()), dtype=pl.String)
    sender = pl.when(pl.col("is_note")).then(None).otherwise(pl.col("author").replace_strict(keys, vals, default=None))
    recipients = (
        pl.when(pl.col("is_note")).then(pl.lit([], pl.List(pl.String)))
        .otherwise(pl.lit(pl.Series([everyone], dtype=pl.List(pl.String))).list.set_difference(pl.concat_list(sender)).list.sort())
    )
    events = msgs.select(
        pl.format("line {}", "lineno").alias("source_ref"),
        pl.when(pl.col("is_note")).then(pl.lit("note")).otherwise(pl.lit("message")).alias("kind"),
        pl.lit("signal").alias("channel"),
        "ts_local",
        pl.format("{}, {}", "d", "t").alias("ts_raw"),
        sender.alias("sender"),
        recipients.alias("recipients"),
        pl.col("body").alias("text"),
    )
    if ctx.owner:
        events = events.with_columns(
            pl.when((pl.col("kind") == "message") & (pl.col("recipients").list.len() == 0) & (pl.col("sender") != ctx.owner))
            .then(pl.lit(pl.Series([[ctx.owner]], dtype=pl.List(pl.String)))).otherwise(pl.col("recipients")).alias("recipients")
        )
    bad = [(f"line {r['lineno']}", "text before the first message header", r["first_line"]) for r in orphan.iter_rows(named=True)]
    lone_cr = text.count("\r") - text.count("\r\n")
    notes = [f"{lone_cr} line break(s) written as a lone CR (CR-only or mixed line endings) read as line breaks"] if lone_cr else []
    notes += invalid
    refused = rejects(ctx.source_id, bad)
    if long:
        events, refused = reject_long_blocks(events, refused, msgs.get_column("lineno").to_list(), long, CHAT_LINE_BYTES,
                                             "a Signal text export", ctx.source_id, path.name)
    return ParseResult(events=events, rejects=refused, records_read=msgs.height + len(bad), assumptions=notes)
