"""WhatsApp "Export chat" text files (Android and iOS, with or without media).

Layouts seen in real exports (the header of each message)::

    Android  01/01/19, 11:25 - John Doe: text        (also 1.1.19, 2019-01-01, 12/31/20, 9:05 PM)
    iOS      [01/01/2019, 11:25:03] John Doe: text   (also [1/1/19, 11:25:03 AM])

Format notes, and where they come from:

* The date order follows the exporting phone's locale; the file never says which.
  A day > 12 anywhere in the file decides it; otherwise ``--dayfirst`` /
  ``--monthfirst`` decide, and day-first is assumed only for a GB case, with the
  assumption recorded on the source. (chat-miner's public test exports exercise
  dd/mm/yy, mm/dd/yy, mm/dd/yyyy 12-hour, [mm/dd/yy] and yyyy/mm/dd layouts.)
* Times are the phone's wall clock with no zone: the case's (or ``--tz``) zone
  converts them, with clock-change hours flagged by the shared normaliser.
* Real exports carry invisible characters: U+200E (left-to-right mark) at the start
  of iOS lines and before iOS attachments and system texts, U+202A/U+202C around
  phone-number authors, U+202F / U+00A0 before AM/PM, ``a. m.`` / ``p. m.`` in
  Spanish locales. The header and the author are read through them; the message
  text is kept exactly as written (only the leading iOS U+200E marker is dropped),
  and ``ts_raw`` is the header's date and time exactly as written.
* Lines without a header continue the previous message (multi-line messages, kept
  with their line breaks; trailing blank lines dropped).
  Lines with a header but no ``Name: `` are system lines ("created group", "You
  were added", the encryption notice) and are kept as ``note`` events, as are
  iOS group system lines (``Group: <U+200E>Dan created group …``). A message whose
  text merely *mentions* "created group" stays a message.
* ``<Media omitted>`` (export without media), iOS ``image omitted``, and
  ``<attached: NAME>`` / ``NAME (file attached)`` (with media) become attachments;
  "Missed voice call" lines are call attempts; "This message was deleted" stays a
  message with that status.
* A file whose last character is cut in half (an incomplete UTF-8 sequence at the
  end) is a truncated copy: a clear error, not a silent partial ingest.
* The export does not say who the phone's owner is: ``--owner`` (and the owner's
  ``display_names`` in case.toml) say so; otherwise direction is ``unknown``.
* Group chats: the system lines saying who joined and left ("Dan added Ann", "Ann left",
  "Dan removed Ann", "Ann joined using this group's invite link", Android and iOS
  phrasings, :mod:`parsers._group_membership`) make each message's recipients the members
  at that moment, not everyone ever seen; the history stays as notes, in the
  ``group_membership`` reference table and in the source's assumptions.
* Every line ending is a line break: CRLF, and a lone CR (CR-only or mixed files) too,
  said in the assumptions.

Public samples: chat-miner ``test/whatsapp/*.txt``: 9 header blocks each, of which
6 messages (chat-miner's targets), 2 system notes and 1 "Name:." line kept as a
note (it has no ``": "`` separator).
"""

# How this module reads a file: the first headers are sniffed for one layout (``_sniff``);
# when they agree, ``_fast_blocks`` finds every header with byte-level operations from
# ``parsers/_text_columns.py`` (the format-independent engine: spans, string views, fixed-
# width stamps); otherwise, or for lines the fast path doubts, the full ``HEADER`` regex
# decides (``_blocks``, ``_local_times``). ``parse`` then classifies the header blocks
# (notes, calls, attachments) and assembles the events.

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from atlas.errors import FormatError
from atlas.model import RAW_EVENT_SCHEMA, REJECT_SCHEMA, Channel, EvidenceCategory
from atlas.normalise.identifiers import identifier_map
from atlas.normalise.phones import looks_like_phone
from atlas.normalise.region import RegionEvidence, choose_region
from atlas.wording import quoted
from parsers._bounds import CHAT_LINE_BYTES, reject_long_blocks
from parsers._group_membership import SYSTEM_PHRASES, Change, changes, history, members_over_time
from parsers._text_columns import (
    ASCII_SPACE,
    BOOL,
    I64,
    UNICODE_SPACE_CODES,
    FixedFormat,
    FixedStamps,
    TextBytes,
    background,
    chunked,
    datetimes,
    line_refs,
    utf8_codes,
)
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe, SampleCount

INFO: Final = ParserInfo(
    name="whatsapp-text",
    version="1.5.0",
    description="WhatsApp 'Export chat' text file (Android or iOS)",
    detects="text whose lines start with a WhatsApp date/time header, e.g. '01/01/19, 11:25 - Name: ' or '[01/01/2019, 11:25:03] Name: '",
    notes=__doc__ or "",
    category=EvidenceCategory.CHAT_EXPORT,
    channels=frozenset({Channel.WHATSAPP}),
    sample_counts=(
        SampleCount("chat-miner/whatsapp/test_ddmmyy_24hrs.txt", 9, 9, 0, "line 1", "2019-01-01T11:25:00+00:00",
                    note="joweich/chat-miner WhatsApp export (test_ddmmyy_24hrs.txt): 6 messages, 3 notes"),
        SampleCount("chat-miner/whatsapp/test_mmddyy_24hrs.txt", 9, 9, 0, "line 1", "2019-01-01T11:25:00+00:00",
                    note="joweich/chat-miner WhatsApp export (test_mmddyy_24hrs.txt): 6 messages, 3 notes"),
        SampleCount("chat-miner/whatsapp/test_mmddyyyy_12hrs.txt", 9, 9, 0, "line 1", "2019-01-01T11:25:00+00:00",
                    note="joweich/chat-miner WhatsApp export (test_mmddyyyy_12hrs.txt): 6 messages, 3 notes"),
        SampleCount("chat-miner/whatsapp/test_[mmddyy]_24hrs.txt", 9, 9, 0, "line 1", "2019-01-01T11:25:00+00:00",
                    note="joweich/chat-miner WhatsApp export (test_[mmddyy]_24hrs.txt): 6 messages, 3 notes"),
        SampleCount("chat-miner/whatsapp/test_yyyymmdd_24hrs.txt", 9, 9, 0, "line 1", "2019-01-01T11:25:00+00:00",
                    note="joweich/chat-miner WhatsApp export (test_yyyymmdd_24hrs.txt): 6 messages, 3 notes"),
    ),
)

# --- The format: headers, invisible marks, system lines, special messages -----------------

_INVISIBLE_CHARS: Final = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_INVISIBLE: Final = f"[{_INVISIBLE_CHARS}]"
"""Any one of ``_INVISIBLE_CHARS``, as a regex."""
_LEAD_MARKS: Final = "\u200e\u200f\ufeff"
"""Marks that may come before a header (iOS's U+200E, a byte-order mark)."""
_LEAD_MARK_CODES: Final = utf8_codes(_LEAD_MARKS)
# ``\s`` is Unicode-aware in both Python's ``re`` and Polars' Rust regex, so it also
# matches U+00A0, U+2007 and U+202F (the narrow no-break space iOS puts before AM/PM).
HEADER: Final = (
    rf"^[{_LEAD_MARKS}]*\[?"
    r"(?P<stamp>(?P<d>\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}),?\s+"
    r"(?P<t>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)"
    r"(?:\s*(?P<ap>[aApP]\.?\s?[mM]\.?))?)"
    r"(?:\]\s*|\s+[-\u2013]\s+)(?P<rest>.*)$"
)
_HEADER_RE: Final = re.compile(HEADER)
_DATE_START: Final = r"^\[?\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}"
"""A line that starts like a header; those the fast path cannot read go to ``HEADER``."""
_SYSTEM: Final = (
    r"^(?:Messages and calls are end-to-end encrypted"
    r"|Messages to this group are now secured"
    r"|Your security code with "
    r"|You were added$"
    r"|[^:]{1,100}? (?:created group|changed the subject|changed this group's icon|changed the group description"
    r"|changed their phone number|changed to |joined using this group's invite link)"
    rf"|{SYSTEM_PHRASES})"
)
"""System texts. The actor before the phrase may not contain ':', so "Dan: I created
group chats" (a message) is never taken for a system line."""
_MISSED_CALL: Final = r"^(?:Missed (?:voice|video|group voice|group video) call)\b"
_DELETED: Final = r"^(?:This message was deleted|You deleted this message)\.?$"
_MEDIA_OMITTED: Final = r"^<(?:Media omitted|Médias omis|Medien ausgeschlossen|Multimedia omitido|Media weggelaten)>$"
_IOS_OMITTED: Final = r"^(image|video|audio|sticker|GIF|document|Contact card) omitted$"
_ATTACHED: Final = "\u200e?<attached: ([^>]+)>"
_FILE_ATTACHED: Final = r"^(.+?\.\w{2,5}) \(file attached\)"
_CHAT_NAME: Final = re.compile(r"^WhatsApp Chat (?:with|mit|avec|con|met) (.+)\.txt$", re.IGNORECASE)

_SPECIAL_WORDS: Final = (
    "end-to-end encrypted", "are now secured", "Your security code with", "You were added", "created group",
    "changed the subject", "changed this group's icon", "changed the group description", "changed their phone number",
    "changed to ", "joined using this group's invite link", "<attached:", "(file attached)", " omitted",
    "Missed ", "This message was deleted", "You deleted this message", "<Media", "<Médias", "<Medien",
    "<Multimedia", *_INVISIBLE_CHARS,
)
"""Literal markers of everything the regex rules above look for: a message containing none
of them is plain text, and is classified without running a single regex."""
_SPECIAL_RE: Final = "|".join(re.escape(w) for w in _SPECIAL_WORDS)
"""One alternation of literals: the regex engine's SIMD literal search beats Aho-Corasick here."""
_SPECIAL_TEXT_RE: Final = "|".join(re.escape(w) for w in _SPECIAL_WORDS if w not in _INVISIBLE_CHARS)
"""The markers without the invisible characters, for files that cannot contain any."""

_MICROS_2000: Final = 946_684_800_000_000  # 2000-01-01 00:00 as microseconds since 1970


_MAX_LEAD_LINES: Final = 3


def detect(probe: Probe) -> int:
    lines = [ln for ln in probe.lines if ln.strip()][:30]
    if not lines:
        return 0
    matches = [_HEADER_RE.match(ln) for ln in lines]
    # A few lines before the first header (a title a tool or a person added, a note
    # pasted at the top) are allowed: the parse keeps them as rejects. Such a file scores
    # lower, and must show three headers with authors to count at all.
    lead = next((i for i, m in enumerate(matches) if m), None)
    if lead is None or lead > _MAX_LEAD_LINES:
        return 0
    hits = sum(1 for m in matches if m)
    with_author = sum(1 for m in matches if m and ": " in m.group("rest"))
    if lead and (hits < 3 or not with_author):
        return 0
    score = (80 if hits >= min(3, len(lines)) and with_author else 60) - (15 if lead else 0)
    first = matches[lead]
    assert first is not None
    if lines[lead].lstrip("\u200e\u200f").startswith("[") and first.group("t").count(":") + first.group("t").count(".") == 1:
        # iOS writes seconds; a bracketed header without them ("[2019-12-24, 12:23] Jane: ")
        # is also how Signal's text export looks: leave room for a parser that knows it.
        score -= 10
    return score


# --- Day/month order and the header layout ------------------------------------------------


def _date_order(parts: pl.DataFrame, ctx: ParseContext, path: Path) -> tuple[str, str | None]:
    """'ymd', 'dmy' or 'mdy' for the whole file, and the assumption if one was made."""
    if parts.height == 0:
        return "dmy", None
    if (parts["a"].str.len_chars() == 4).all():
        return "ymd", None
    a_big = int((parts["a"].cast(pl.Int32) > 12).sum())
    b_big = int((parts["b"].cast(pl.Int32) > 12).sum())
    return _order_from_counts(a_big, b_big, ctx, path)


def _order_from_counts(a_big: int, b_big: int, ctx: ParseContext, path: Path) -> tuple[str, str | None]:
    """Day/month order from how many dates have a first (a_big) or second (b_big) number > 12."""
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


@dataclass(frozen=True)
class _Layout:
    """One file's header layout, sniffed from its first headers, so the whole file can be
    read with a few vectorised byte operations and an explicit date format."""

    bracket: bool
    sep: str
    fmt_dmy: str
    fmt_mdy: str | None
    ampm: bool
    guess: str = "dmy"
    """The day/month order the sampled headers suggest (``ymd`` when the year comes first):
    the whole file is read in this order first, and in the other only if the file says so."""


def _sniff(lines: list[str]) -> _Layout | None:
    """The layout if the first headers agree on one; None sends the file down the slow path."""
    feats: set[tuple[bool, str, str, str, str, bool, int, bool, bool]] = set()
    seen = 0
    first_big = second_big = False
    for line in lines[:2000]:
        m = _HEADER_RE.match(line)
        if not m:
            continue
        seen += 1
        if seen > 100:
            break
        bracket = line.lstrip(_LEAD_MARKS).startswith("[")
        between = line[m.end("stamp"):m.start("rest")]
        if bracket:
            if not between.startswith("]"):
                return None
            sep = "]"
        elif between in (" - ", " \u2013 "):
            sep = between
        else:
            return None
        d, t, stamp = m.group("d"), m.group("t"), m.group("stamp")
        joiner = stamp[len(d):stamp.index(t, len(d))]
        if joiner not in (", ", " ", ","):
            return None
        dsep = re.search(r"\D", d)
        tsep = re.search(r"\D", t)
        if not dsep or not tsep:
            return None
        fields = re.split(r"[./\-]", d)
        ymd = len(fields[0]) == 4
        ywidth = 4 if ymd else len(fields[2])
        if ywidth not in (2, 4) or len(set(re.findall(r"\D", d))) != 1:
            return None
        first_big |= int(fields[0]) > 12
        second_big |= int(fields[1]) > 12
        secs = len(re.split(r"[:.]", t)) == 3
        feats.add((bracket, sep, joiner, dsep.group(0), tsep.group(0), ymd, ywidth, secs, m.group("ap") is not None))
        if len(feats) > 1:
            return None
    if len(feats) != 1:
        return None
    bracket, sep, joiner, dsep_c, tsep_c, ymd_, ywidth, secs, ampm = feats.pop()
    year = "%Y" if ywidth == 4 else "%y"
    clock = ("%I" if ampm else "%H") + f"{tsep_c}%M" + (f"{tsep_c}%S" if secs else "") + (" %p" if ampm else "")
    if ymd_:
        return _Layout(bracket, sep, f"%Y{dsep_c}%m{dsep_c}%d{joiner}{clock}", None, ampm, "ymd")
    return _Layout(bracket, sep, f"%d{dsep_c}%m{dsep_c}{year}{joiner}{clock}",
                   f"%m{dsep_c}%d{dsep_c}{year}{joiner}{clock}", ampm,
                   "mdy" if second_big and not first_big else "dmy")


# --- Header blocks: the regex path (any layout) ---------------------------------------------


def _blocks(text: str) -> pl.DataFrame:
    """One row per header line (block), with its continuation lines; block 0 is text before any header."""
    frame = (
        pl.DataFrame({"line": pl.Series(text.split("\n"), dtype=pl.String)})
        .with_row_index("lineno", offset=1)
        .with_columns(pl.col("line").str.strip_chars_end("\r"))
    )
    frame = frame.with_columns(pl.col("line").str.extract_groups(HEADER).alias("h")).unnest("h")
    frame = frame.with_columns(pl.col("d").is_not_null().cum_sum().alias("block"))
    return frame.group_by("block", maintain_order=True).agg(
        pl.col("lineno").first(),
        pl.col("stamp").first(),
        pl.col("d").first(),
        pl.col("t").first(),
        pl.col("ap").first(),
        pl.col("rest").first(),
        pl.col("line").slice(1).alias("more"),
        pl.col("line").first().alias("first_line"),
    )


def _local_times(msgs: pl.DataFrame, ctx: ParseContext, path: Path, assumptions: list[str],
                 order: str | None = None) -> pl.DataFrame:
    """``ts_local`` from the regex groups ``d``, ``t`` and ``ap``, in ``order`` (decided
    from these rows when not given)."""
    msgs = msgs.with_columns(
        pl.col("d").str.extract_groups(r"^(?P<a>\d+)[./\-](?P<b>\d+)[./\-](?P<c>\d+)$").alias("dp"),
        pl.col("t").str.extract_groups(r"^(?P<hh>\d+)[:.](?P<mi>\d+)(?:[:.](?P<ss>\d+))?$").alias("tp"),
        pl.col("ap").str.to_lowercase().str.replace_all(r"[.\s]", "").alias("ampm"),
    ).unnest("dp", "tp")
    if order is None:
        order, assumption = _date_order(msgs.select("a", "b"), ctx, path)
        if assumption:
            assumptions.append(assumption)
    y, m, d = {"ymd": ("a", "b", "c"), "dmy": ("c", "b", "a"), "mdy": ("c", "a", "b")}[order]
    year = pl.col(y).cast(pl.Int32)
    hh = pl.col("hh").cast(pl.Int32)
    hour = (
        pl.when(pl.col("ampm").is_not_null() & (hh > 12)).then(None)  # "13:05 PM" is not a time
        .when(pl.col("ampm") == "am").then(hh % 12)
        .when(pl.col("ampm") == "pm").then(hh % 12 + 12)
        .otherwise(hh)
    )

    def two(e: pl.Expr) -> pl.Expr:
        return e.cast(pl.Int32).cast(pl.String).str.zfill(2)

    return msgs.with_columns(
        pl.format(
            "{}-{}-{} {}:{}:{}",
            pl.when(year < 100).then(year + 2000).otherwise(year),
            two(pl.col(m)), two(pl.col(d)), two(hour), two(pl.col("mi")), two(pl.col("ss").fill_null("0")),
        )
        .str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
        .alias("ts_local")
    )


# --- Header blocks: the byte-level path (one sniffed layout) --------------------------------

_BLOCK_COLUMNS: Final = ("lineno", "stamp", "author", "body_first", "first_line", "ts_local", "tail", "_marker")
"""A header block: its line number, stamp as written, ``Name`` and text after ``": "`` (null
when the line has none), the line as written where it may be needed for a reject excerpt,
the local time (null: not a real date), continuation lines, and whether a marker of a
special message occurs anywhere in it (see ``_SPECIAL_WORDS``)."""


def _split_rest(frame: pl.DataFrame) -> pl.DataFrame:
    """``Name: text`` → author and body (null when there is no ``": "``: a system line)."""
    return (frame.with_columns(pl.col("rest").str.splitn(": ", 2).alias("_ab")).unnest("_ab")
            .rename({"field_0": "author", "field_1": "body_first"}))


def _general_split(frame: pl.DataFrame, layout: _Layout) -> pl.DataFrame:
    """Stamp and rest of lines the byte path leaves alone (a leading mark, odd spacing after
    ``]``), by string operations: leading marks dropped, split at the layout's separator."""
    lead = pl.col("line").str.strip_chars_start(_LEAD_MARKS)
    if layout.bracket:
        parts = pl.when(lead.str.starts_with("[")).then(lead.str.slice(1)).otherwise(None).str.splitn("]", 2)
    else:
        parts = lead.str.splitn(layout.sep, 2)
    frame = frame.with_columns(parts.alias("_parts")).unnest("_parts").rename({"field_0": "stamp", "field_1": "rest"})
    if layout.bracket:
        frame = frame.with_columns(pl.col("rest").str.strip_chars_start())
    return frame


def _fast_blocks(raw: TextBytes, ascii_only: bool, layout: _Layout, ctx: ParseContext, path: Path,
                 assumptions: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Header lines found at the byte level and vectorised over the whole file: a zero-padded
    stamp checked and read at its fixed offsets, the separator after it, the first ``": "``
    for the author. Lines of another shape are split at the layout's separator and their
    stamps read by strptime; lines that look like a header but do not parse go to the
    full regex, so nothing is lost.

    Returns the text before the first header (0 or 1 row) and the headers with their
    continuation lines, as ``_BLOCK_COLUMNS``."""
    starts, ends = raw.lines()
    line = raw.strings(starts, ends - starts)
    n = starts.size
    lengths = ends - starts
    frame = pl.DataFrame([line.alias("line")]).with_row_index("lineno", offset=1)
    # An ASCII file cannot hold any of the invisible marks.
    special = _SPECIAL_TEXT_RE if ascii_only else _SPECIAL_RE
    # Where each line's first ": " is, and whether it holds a marker of a special message:
    # two passes of Polars over every line, run in the background while the stamps are
    # read here (both release the GIL: on two cores they overlap).
    found = background().submit(frame.select,
        pl.col("line").str.find(": ", literal=True).fill_null(-1).cast(pl.Int64).alias("c"),
        pl.col("line").str.contains(special).alias("marker"),
    )
    sep = "]" if layout.bracket else layout.sep
    offset = 1 if layout.bracket else 0  # where the stamp starts in the line

    # The first separator of each line: at the fixed width after a stamp of the fixed shape,
    # found by search in the other lines.
    p = np.full(n, -1, dtype=np.int64)
    fixed = None if layout.ampm else FixedFormat.of(layout.fmt_dmy)
    stamps_fixed = None
    shaped = np.zeros(n, dtype=np.bool_)
    if fixed is not None:
        sep_bytes = sep.encode()
        stamps_fixed = FixedStamps(raw.a[offset:], starts, fixed, fixed.width + len(sep_bytes))
        shaped = stamps_fixed.shape.copy()
        if layout.bracket:
            shaped &= raw.a[starts] == ord("[")
        for k, byte in enumerate(sep_bytes):
            shaped &= stamps_fixed.grid[:, fixed.width + k] == byte
        p[shaped] = offset + fixed.width
    others = np.flatnonzero(~shaped)
    if others.size:
        p[others] = (frame[others].select(pl.col("line").str.find(sep, literal=True).fill_null(-1).cast(pl.Int64))
                     .to_series().to_numpy())

    # A leading U+200E/U+200F/BOM: those few lines are split by string operations instead
    # (an ASCII file has none).
    marked = np.zeros(n, dtype=np.bool_) if ascii_only else (lengths >= 3) & np.isin(raw.code3(starts), _LEAD_MARK_CODES)
    if layout.bracket:
        split = (lengths > 0) & (raw.a[starts] == ord("[")) & (p >= 0)
        rest_at = starts + p + 1
        # Polars strips the whitespace after "]" (Unicode-aware): ASCII runs are skipped here,
        # and a line whose rest starts with a Unicode space goes the string way.
        while True:
            space = split & (rest_at < ends) & np.isin(raw.a[rest_at], ASCII_SPACE)
            if not space.any():
                break
            rest_at = rest_at + space
        odd = split & (rest_at < ends) & (raw.a[rest_at] >= 0x80) & (
            np.isin(raw.code3(rest_at), UNICODE_SPACE_CODES)
            | np.isin(raw.code3(rest_at) & np.uint32(0xFFFF), UNICODE_SPACE_CODES))
    else:
        split = p >= 0
        rest_at = starts + p + len(sep.encode())
        odd = np.zeros(n, dtype=np.bool_)
    stamp_at, stamp_len = starts + offset, p - offset
    # The first ": " of the line must be in the rest. It always is after a stamp of the
    # fixed shape (whose bytes hold no ": "); the other lines are looked at here.
    loose = np.flatnonzero(split & ~shaped)
    if loose.size:
        loose_c = frame[loose].select(pl.col("line").str.find(": ", literal=True).fill_null(-1).cast(pl.Int64)).to_series().to_numpy()
        odd[loose] |= (loose_c >= 0) & (starts[loose] + loose_c < rest_at[loose])
    general = (marked & (p >= 0)) | odd
    fast = split & ~general
    shaped &= fast
    # Stamp, author and text of lines split the string way (and of regex headers, below),
    # by line number; the byte-split ones are spans.
    parts: list[pl.DataFrame] = []
    generals = np.flatnonzero(general)
    if generals.size:
        strings = _split_rest(_general_split(frame[generals], layout).filter(pl.col("rest").is_not_null()))
        split[strings.get_column("lineno").to_numpy().astype(np.int64) - 1] = True
        parts.append(strings.select("lineno", "stamp", "author", "body_first", pl.lit(None, pl.String).alias("first_line")))

    norm = pl.col("stamp")
    if layout.ampm:
        # "9:05\u202fp. m." → "9:05 pm". Without AM/PM a stamp with odd spaces simply does not
        # parse here and goes to the full regex below.
        norm = norm.str.replace_all(r"\s+", " ").str.replace(r"(?i)\s*([ap])\.?\s?m\.?$", " ${1}m")
    stamps: list[pl.DataFrame] = []

    def stamp_strings() -> pl.DataFrame:
        """Every line's stamp as a string, made the first time strptime needs any."""
        if not stamps:
            stamp = raw.strings(stamp_at, stamp_len, fast)
            if parts:
                stamp = stamp.scatter(parts[0].get_column("lineno").to_numpy().astype(np.int64) - 1,
                                      parts[0].get_column("stamp"))
            stamps.append(pl.DataFrame([stamp.alias("stamp")]))
        return stamps[0]

    def read(order: str, rows: BOOL) -> tuple[BOOL, I64, int]:
        """The stamps of ``rows`` read in one day/month order: which are real dates, their
        times, and how many have a day > 12. Fixed-shape stamps by their bytes, the others
        by strptime with the layout's format."""
        ok = np.zeros(n, dtype=np.bool_)
        micros = np.zeros(n, dtype=np.int64)
        big_days = 0
        if stamps_fixed is not None and (rows & shaped).any():
            ok, micros, days = stamps_fixed.read(order)
            ok &= rows & shaped
            big_days += int((days[ok] > 12).sum())
        left = np.flatnonzero(rows & ~ok)
        if left.size:
            fmt = layout.fmt_mdy if order == "mdy" and layout.fmt_mdy else layout.fmt_dmy
            times = stamp_strings()[left].select(norm.str.to_datetime(fmt, strict=False, time_unit="us", cache=False)).to_series()
            parsed = times.is_not_null().to_numpy()
            ok[left[parsed]] = True
            micros[left[parsed]] = times.to_physical().to_numpy()[parsed]
            big_days += int((times.dt.day() > 12).sum())
        return ok, micros, big_days

    # Read once, in the order the first headers suggest. The day/month counts the order
    # rule needs follow without a second full reading: a date read day-first fails month-first
    # exactly when its day is > 12 (the month, <= 12, is always a valid day), and the same
    # holds the other way round; dates that fail the first reading are few (continuation
    # lines cannot parse), and only they are tried in the other order.
    ok, micros, big_days = read(layout.guess, split)
    order = layout.guess
    if layout.fmt_mdy is not None:
        other = "mdy" if layout.guess == "dmy" else "dmy"
        only_other = int(read(other, split & ~ok)[0].sum())
        a_big, b_big = (big_days, only_other) if layout.guess == "dmy" else (only_other, big_days)
        order, assumption = _order_from_counts(a_big, b_big, ctx, path)
        if assumption:
            assumptions.append(assumption)
        if order != layout.guess:
            ok, micros, _ = read(order, split)
    if "%y" in layout.fmt_dmy and (ok & (micros < _MICROS_2000)).any():
        micros = _in_this_century(micros, ok)

    header = ok.copy()
    # Lines that start like a header but did not parse: the full regex decides (another
    # layout, or a header whose date is not a real date: a reject, never a lost line).
    unread = np.flatnonzero(~ok)
    doubtful = frame[unread].filter(pl.col("line").str.strip_chars_start(_LEAD_MARKS).str.contains(_DATE_START))
    slow = (
        doubtful.select("lineno", "line", pl.col("line").str.extract_groups(HEADER).alias("h")).unnest("h")
        .filter(pl.col("d").is_not_null())
    )
    if slow.height:
        slow = _split_rest(_local_times(slow, ctx, path, assumptions, order=order))
        at = slow.get_column("lineno").to_numpy().astype(np.int64) - 1
        header[at] = True
        slow_ts = slow.get_column("ts_local")
        ok[at] = slow_ts.is_not_null().to_numpy()
        micros[at] = slow_ts.to_physical().fill_null(0).to_numpy()
        parts.append(slow.select("lineno", "stamp", "author", "body_first", pl.col("line").alias("first_line")))

    block = np.cumsum(header)
    heads = np.flatnonzero(header)
    # Stamp, author ("Name") and text of the byte-split headers as spans; the others
    # scattered in.
    head_fast = fast[heads]
    finished = found.result()
    c = finished.get_column("c").to_numpy()
    colon_at = starts + c
    named = head_fast & (c[heads] >= 0)
    head_rest, head_colon, head_end = rest_at[heads], colon_at[heads], ends[heads]
    stamp = raw.strings(stamp_at[heads], stamp_len[heads], head_fast)
    author = raw.strings(head_rest, np.where(named, head_colon, head_end) - head_rest, head_fast)
    body = raw.strings(head_colon + 2, head_end - head_colon - 2, named)
    first_line = pl.repeat(None, heads.size, dtype=pl.String, eager=True)
    if parts:
        # Regex headers override string-split lines (concatenated last); lines that are no
        # header after all are left out.
        other_rows = pl.concat(parts).unique("lineno", keep="last", maintain_order=True)
        rows = other_rows.get_column("lineno").to_numpy().astype(np.int64) - 1
        other_rows, rows = other_rows.filter(header[rows]), rows[header[rows]]
        where = np.searchsorted(heads, rows)
        stamp = stamp.scatter(where, other_rows.get_column("stamp"))
        author = author.scatter(where, other_rows.get_column("author"))
        body = body.scatter(where, other_rows.get_column("body_first"))
        first_line = first_line.scatter(where, other_rows.get_column("first_line"))
    ts = datetimes(micros[heads], ok[heads]).alias("ts_local")
    rest = np.flatnonzero(~header)
    # A marker anywhere in a message (its header line or a continuation line) makes it a
    # candidate for the full rules.
    marker = finished.get_column("marker").to_numpy()
    in_block = np.zeros(heads.size + 1, dtype=np.bool_)
    in_block[block[rest[marker[rest]]]] = True
    msgs = pl.DataFrame([
        (heads + 1).astype(np.uint32), stamp, author, body, first_line, ts,
        marker[heads] | in_block[1:],
    ], schema=["lineno", "stamp", "author", "body_first", "first_line", "ts_local", "_marker"])
    cont = pl.DataFrame([
        block[rest].astype(np.uint32), (rest + 1).astype(np.uint32), frame.get_column("line").gather(rest),
    ], schema=["block", "lineno", "line"])
    if raw.crlf:
        return _orphan(_grouped(cont)), _with_tails(msgs, _grouped(cont))
    msgs = msgs.with_columns(_tails_as_spans(raw, cont, heads, ends).alias("tail"))
    return _orphan(_grouped(cont.filter(pl.col("block") == 0))), msgs


def _in_this_century(micros: I64, ok: BOOL) -> I64:
    """Times before 2000 moved on 100 years: strptime's %y puts 69-99 in the 1900s;
    WhatsApp (2009-) means 20yy, as the regex path does."""
    fixed_ts = datetimes(micros, ok).alias("ts_local").to_frame().select(
        pl.when(pl.col("ts_local").dt.year() < 2000).then(pl.col("ts_local").dt.offset_by("100y"))
        .otherwise(pl.col("ts_local")).alias("ts_local")
    ).to_series()
    return fixed_ts.to_physical().fill_null(0).to_numpy().copy()


def _tails_as_spans(raw: TextBytes, cont: pl.DataFrame, heads: I64, ends: I64) -> pl.Series:
    """Each header's continuation lines as one span of the file, from its header's line
    break to the end of its last non-blank line (trailing blank lines dropped, as ``_tail``
    does); null for a message without any. Only valid when no line ends in "\\r\\n": the
    lines then run on from their header in the file itself.

    ``cont`` holds the non-header lines (1-based ``lineno``) in file order, with the block
    each belongs to; block k is opened by header ``heads[k - 1]``."""
    owner_block = cont.get_column("block").to_numpy().astype(np.int64)
    in_message = owner_block > 0
    owner = owner_block[in_message]
    rows = cont.get_column("lineno").to_numpy()[in_message].astype(np.int64) - 1
    tail_at = np.zeros(heads.size, dtype=np.int64)
    tail_len = np.zeros(heads.size, dtype=np.int64)
    has_tail = np.zeros(heads.size, dtype=np.bool_)
    if rows.size:
        blank = cont.filter(pl.col("block") > 0).select(pl.col("line").str.strip_chars() == "").to_series().to_numpy()
        first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        message = owner[first] - 1
        last = np.maximum.reduceat(np.where(blank, -1, rows), first)
        tail_at[message] = ends[heads[message]]
        tail_len[message] = np.where(last >= 0, ends[np.maximum(last, 0)] - tail_at[message], 0)
        has_tail[message] = True
    return raw.strings(tail_at, tail_len, has_tail)


def _grouped(cont: pl.DataFrame) -> pl.DataFrame:
    """Continuation lines (block, lineno, line) as one row per block."""
    return cont.group_by("block", maintain_order=True).agg(
        pl.col("lineno").first().alias("_first_no"), pl.col("line").alias("_lines"),
    )


def _orphan(cont: pl.DataFrame) -> pl.DataFrame:
    """Lines before the first header (block 0), as one block row without a header."""
    return cont.filter(pl.col("block") == 0).select(
        pl.col("_first_no").alias("lineno"), pl.lit(None, pl.String).alias("stamp"),
        pl.lit(None, pl.String).alias("author"), pl.lit(None, pl.String).alias("body_first"),
        pl.col("_lines").list.first().alias("first_line"),
        pl.lit(None, pl.Datetime("us")).alias("ts_local"), _tail(pl.col("_lines").list.slice(1)).alias("tail"),
    )


def _with_tails(heads: pl.DataFrame, cont: pl.DataFrame) -> pl.DataFrame:
    """Each header's continuation lines as its ``tail``. Header k (1-based) opens block k, so
    the few tails are scattered into place by position: no join over every message."""
    more = cont.filter(pl.col("block") > 0).select((pl.col("block") - 1).alias("at"), _tail(pl.col("_lines")).alias("tail"))
    tail = pl.repeat(None, heads.height, dtype=pl.String, eager=True).alias("tail")
    if more.height:
        tail = tail.scatter(more.get_column("at"), more.get_column("tail"))
    return heads.with_columns(tail)


def _tail(lines: pl.Expr) -> pl.Expr:
    """Continuation lines as the text they add to a message ("\\n" + lines), with trailing
    blank lines dropped; null when there are none."""
    return (
        pl.when(lines.list.len() > 0)
        .then(pl.concat_str(pl.lit("\n"), lines.list.join("\n")).str.replace(r"\n\s*$", ""))
        .otherwise(None)
    )


def _messages(raw: TextBytes, text: str | None, ctx: ParseContext, path: Path,
              assumptions: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The text before any header (0 or 1 row) and every header block with its local time;
    the byte path when the first headers agree on a layout, the regex path otherwise."""
    # The first 200,000 characters (at most 4 bytes each) are enough to sniff the layout.
    head = (raw.text(800_000) if text is None else text)[:200_000]
    lines = head.split("\n")[:-1]
    if not lines:
        text = raw.text() if text is None else text
        lines = [text]
    layout = _sniff(lines)
    if layout is not None:
        return _fast_blocks(raw, text is None, layout, ctx, path, assumptions)
    blocks = _blocks(raw.text() if text is None else text)
    msgs = blocks.filter(pl.col("block") > 0)
    if msgs.height:
        msgs = _local_times(msgs, ctx, path, assumptions)
    else:
        msgs = msgs.with_columns(pl.lit(None, pl.Datetime("us")).alias("ts_local"))
    orphan = blocks.filter(pl.col("block") == 0).with_columns(pl.lit(None, pl.Datetime("us")).alias("ts_local"))
    marker = pl.col("first_line").str.contains(_SPECIAL_RE) | pl.col("tail").str.contains(_SPECIAL_RE).fill_null(False)
    return tuple(  # type: ignore[return-value]
        _split_rest(f.with_columns(_tail(pl.col("more")).alias("tail"))).with_columns(marker.alias("_marker"))
        .select(_BLOCK_COLUMNS) for f in (orphan, msgs)
    )


# --- What each block is: note, call, message, attachment ----------------------------------


def _classify(msgs: pl.DataFrame) -> pl.DataFrame:
    """Notes, missed calls, deleted messages and attachments, by the full rules."""
    body = pl.col("body")
    clean_body = body.str.replace_all(_INVISIBLE, "")
    ios_marked = pl.col("body_first").str.starts_with("\u200e")
    is_note = (
        body.is_null()
        | pl.col("whole").str.replace_all(_INVISIBLE, "").str.contains(_SYSTEM)
        | (ios_marked & clean_body.str.contains(_SYSTEM))
    )
    attached = body.str.extract_all(_ATTACHED).list.eval(pl.element().str.extract(_ATTACHED, 1))
    file_attached = body.str.extract(_FILE_ATTACHED, 1)
    ios_omitted = clean_body.str.extract(_IOS_OMITTED, 1)
    omitted = clean_body.str.contains(_MEDIA_OMITTED)
    missed = clean_body.str.contains(_MISSED_CALL)
    deleted = clean_body.str.contains(_DELETED)
    remaining = (
        pl.when(file_attached.is_not_null())
        .then(body.str.replace(_FILE_ATTACHED + r"[^\n]*\n?", ""))
        .otherwise(body.str.replace_all(_ATTACHED, ""))
    )
    # An iOS attachment marker is the whole line: what is left is only whitespace. An
    # Android caption follows the "(file attached)" line and is kept as written.
    remaining_text = pl.when(file_attached.is_null() & (attached.list.len() > 0)).then(remaining.str.strip_chars()).otherwise(remaining)
    note = pl.col("is_note")
    return msgs.with_columns(
        is_note.alias("is_note"), pl.col("author").str.replace_all(_INVISIBLE, "").str.strip_chars().alias("author"),
    ).with_columns(
        pl.when(note).then(pl.lit("note")).when(missed).then(pl.lit("call")).otherwise(pl.lit("message")).alias("kind"),
        pl.when(note).then(None).when(missed).then(pl.lit("missed")).when(deleted).then(pl.lit("deleted-by-sender"))
        .otherwise(None).alias("status"),
        pl.when(note).then(pl.col("whole"))
        .when(omitted | ios_omitted.is_not_null()).then(None)
        .otherwise(pl.when(remaining_text == "").then(None).otherwise(remaining_text)).alias("text"),
        pl.when(note).then(pl.lit([], pl.List(pl.String)))
        .when(omitted).then(pl.lit(["<Media omitted>"], pl.List(pl.String)))
        .when(ios_omitted.is_not_null()).then(pl.concat_list(pl.format("<{} omitted>", ios_omitted)))
        .when(file_attached.is_not_null()).then(pl.concat_list(file_attached))
        .otherwise(attached).alias("attachments"),
    )


def _plain(msgs: pl.DataFrame) -> pl.DataFrame:
    """Messages with no marker at all: text as written, nothing attached."""
    return msgs.with_columns(
        pl.col("author").str.strip_chars(),
        pl.lit(False).alias("is_note"), pl.lit("message").alias("kind"), pl.lit(None, pl.String).alias("status"),
        pl.when(pl.col("body") == "").then(None).otherwise(pl.col("body")).alias("text"),
        pl.lit([], pl.List(pl.String)).alias("attachments"),
    )


def _verbatim(first: pl.Expr) -> pl.Expr:
    """The header remainder plus continuation lines (``tail``), verbatim; only a leading iOS
    mark is dropped (trailing blank lines were already dropped from the tail)."""
    joined = pl.when(pl.col("tail").is_null()).then(first).otherwise(pl.concat_str(first, pl.col("tail")))
    return joined.str.strip_chars_start("\u200e\u200f")


def _resolve_marked(maybe: pl.DataFrame) -> pl.DataFrame:
    """Rows that may carry a marker, by the exact rule (a marker in the verbatim text, or no
    ``Name: ``): the full rules for those that do, plain text for the rest."""
    # The header remainder as written: "Name: text", or the whole system line.
    rest = pl.when(pl.col("body_first").is_null()).then(pl.col("author")).otherwise(
        pl.concat_str(pl.col("author"), pl.lit(": "), pl.col("body_first")))
    maybe = maybe.with_columns(
        _verbatim(rest).alias("whole"),
        pl.when(pl.col("body_first").is_null()).then(None).otherwise(_verbatim(pl.col("body_first"))).alias("body"),
    )
    special = pl.col("body").is_null() | pl.col("whole").str.contains(_SPECIAL_RE)
    return pl.concat([_classify(maybe.filter(special)), _plain(maybe.filter(~special))], how="vertical").sort("lineno")


class _Classified(NamedTuple):
    """One column per message (``msgs`` order) for the event frame."""

    text: pl.Series
    kind: pl.Series
    status: pl.Series
    author: pl.Series
    """As written for plain messages (stripped later, once per distinct author)."""
    is_note: npt.NDArray[np.bool_]
    attachments: pl.Series | pl.Expr
    """A column, or an empty list for every row when no message is special."""


def _classified(msgs: pl.DataFrame) -> _Classified:
    """Kind, status, text, author and attachments of every message. Rows that may be special
    (``_maybe``) go through the rules; all others are plain messages, handled column-wise."""
    maybe_rows = msgs.filter(pl.col("_maybe"))
    marked = _resolve_marked(maybe_rows) if maybe_rows.height else maybe_rows
    # Everything else is a plain message: the text as written, nothing attached. The few
    # texts that continue on further lines are joined there and scattered into place.
    n = msgs.height
    texts = msgs.select(pl.when(pl.col("body_first") != "").then(pl.col("body_first"))).to_series()
    continued = msgs.select(pl.arg_where(pl.col("tail").is_not_null())).to_series()
    if continued.len():
        joined = msgs.select(pl.concat_str(pl.col("body_first").gather(continued), pl.col("tail").gather(continued),
                                           ignore_nulls=True).alias("t"))
        texts = texts.scatter(continued, joined.select(pl.when(pl.col("t") != "").then(pl.col("t"))).to_series())
    # Made in the event schema's own type: casting 100,000 strings to it later costs more
    # than this whole column.
    kind = pl.repeat("message", n, dtype=RAW_EVENT_SCHEMA["kind"], eager=True)
    status = pl.repeat(None, n, dtype=pl.String, eager=True)
    author = msgs.get_column("author")
    is_note = np.zeros(n, dtype=np.bool_)
    attachments: pl.Series | pl.Expr = pl.lit([], pl.List(pl.String))
    if marked.height:
        # Row k of ``marked`` is the k-th row that may be special: scattered into place by
        # position, so the 100,000 plain rows are neither re-sorted nor joined.
        rows = pl.Series(np.flatnonzero(msgs.get_column("_maybe").to_numpy()))
        texts = texts.scatter(rows, marked.get_column("text"))
        kind = kind.scatter(rows, marked.get_column("kind").cast(kind.dtype))
        status = status.scatter(rows, marked.get_column("status"))
        author = author.scatter(rows, marked.get_column("author"))
        is_note[rows.to_numpy()] = marked.get_column("is_note").to_numpy()
        at = pl.when(pl.col("_maybe")).then(pl.col("_maybe").cast(pl.Int64).cum_sum() - 1)
        attachments = msgs.select(
            pl.when(pl.col("_maybe")).then(pl.lit(marked.get_column("attachments")).gather(at)).otherwise(attachments)
        ).to_series()
    return _Classified(texts, kind, status, author, is_note, attachments)


# --- Who wrote to whom, and the events ----------------------------------------------------


def _author_codes(author: pl.Series) -> tuple[pl.Series, I64]:
    """The distinct authors, and each row's position among them (-1 where null)."""
    names = author.drop_nulls().unique(maintain_order=True)
    codes = author.cast(pl.Enum(names.to_list())).to_physical().cast(pl.Int64).fill_null(-1).to_numpy()
    return names, codes


def _identifier(name: str) -> str:
    """A raw identifier for a name as the export writes it: a phone number or a display name."""
    return f"phone:{name}" if looks_like_phone(name) else f"name:{name}"


def _region(names: pl.Series, group: list[Change], chat_name: re.Match[str] | None, ctx: ParseContext,
            assumptions: list[str]) -> str | None:
    """The country of the chat's national numbers, from the numbers it shows (authors, group
    members, the partner in the file name) by the shared rule
    (:func:`atlas.normalise.region.choose_region`), stated; None when the chat names no
    number (then nothing needs a region). An export holds no SIM or country, so unless
    ``--region`` is given this rests on the numbers written internationally."""
    candidates = {*names.str.strip_chars().to_list(), *(c.member for c in group), *(c.by for c in group if c.by)}
    if chat_name:
        candidates.add(chat_name.group(1).strip())
    numbers = tuple(sorted(c for c in candidates if c and looks_like_phone(c)))
    if not numbers:
        return None
    choice = choose_region(RegionEvidence(numbers=numbers), default=ctx.region, instructed=ctx.region_instructed)
    assumptions.append(choice.assumption)
    return choice.region


def _senders_and_recipients(names: pl.Series, index: I64, chat_name: re.Match[str] | None,
                            assumptions: list[str], ctx: ParseContext) -> tuple[list[str], pl.Series]:
    """Per distinct author (``names``): the sender, and the recipients (everyone else who
    writes in the chat, or the partner the file name gives when only one does), as URIs.
    ``index`` is each message's position in ``names`` (-1: a note, which has no sender).

    A chat has a handful of authors over thousands of messages, so their identifiers are
    converted here, once each, by the shared :func:`identifier_map`, and the messages
    gather the answers; the shared normaliser is told, and skips its per-row pass."""
    used = np.bincount(index[index >= 0], minlength=names.len()) > 0
    stripped = names.str.strip_chars()
    authors = sorted(set(stripped.filter(pl.Series(used)).to_list()))
    ident = {a: _identifier(a) for a in stripped.to_list()}
    participants = sorted({ident[a] for a in authors})
    if chat_name and len(authors) < 2:
        # One voice in the chat: the file name says who the other end was ("WhatsApp Chat
        # with Dan.txt"), so the owner's own messages still have a recipient.
        partner = chat_name.group(1)
        partner_id = _identifier(partner)
        if partner_id not in participants:
            participants = sorted([*participants, partner_id])
            assumptions.append(f"only one author writes in this chat; the other participant taken from the file name: {quoted(partner)}")
    senders = [ident[a] for a in stripped.to_list()]
    mapping = identifier_map(pl.Series([*senders, *participants], dtype=pl.String), source_id=ctx.source_id,
                             region=ctx.region)
    uri = dict(zip(mapping.get_column("raw").to_list(), mapping.get_column("uri").to_list(), strict=True))
    recipients_of = pl.Series([[uri[r] for r in sorted(set(participants) - {v})] for v in senders],
                              dtype=pl.List(pl.String))
    return [uri[v] for v in senders], recipients_of


def _rejects(blocks: pl.DataFrame, ctx: ParseContext, reason: str) -> pl.DataFrame:
    """Reject rows for header blocks, pointing at their first line."""
    return blocks.select(
        pl.lit(ctx.source_id).alias("source_id"),
        pl.format("line {}", pl.col("lineno")).alias("source_ref"),
        pl.lit(reason).alias("reason"),
        pl.col("first_line").str.slice(0, 120).alias("excerpt"),
    )


def _membership(msgs: pl.DataFrame, classified: _Classified, lineno: npt.NDArray[np.int64]) -> list[Change]:
    """Joins and leaves read from the system lines (notes), in file order; [] for a chat
    without any (a one-to-one chat, or a group export that never recorded one)."""
    notes = np.flatnonzero(classified.is_note)
    if not notes.size:
        return []
    texts = classified.text.gather(pl.Series(notes)).fill_null("").to_list()
    lines = lineno[notes].astype(np.int64).tolist()
    return changes(lines, texts, [f"line {x}" for x in lines])


def _group_senders_and_recipients(names: pl.Series, index: I64, lineno: npt.NDArray[np.int64], group: list[Change],
                                  assumptions: list[str], ctx: ParseContext) -> tuple[list[str], pl.Series, I64]:
    """For a group whose system lines say who joined and left: the sender per distinct author,
    the recipients per (membership period, author) (the members at that time but the author),
    and each message's period. The periods are few (one per system line at most), so the
    work is per period and author, gathered per message by the caller."""
    used = np.bincount(index[index >= 0], minlength=names.len()) > 0
    stripped = names.str.strip_chars().to_list()
    writers = {a for a, u in zip(stripped, used.tolist(), strict=True) if u}
    starts, members = members_over_time(group, writers)
    everyone = sorted(writers | {m for period in members for m in period})
    ident = {a: _identifier(a) for a in {*stripped, *everyone}}
    raw = [ident[a] for a in stripped] + [ident[m] for m in everyone]
    mapping = identifier_map(pl.Series(raw, dtype=pl.String), source_id=ctx.source_id, region=ctx.region)
    uri = dict(zip(mapping.get_column("raw").to_list(), mapping.get_column("uri").to_list(), strict=True))
    senders = [uri[ident[a]] for a in stripped]
    recipients = [sorted({uri[ident[m]] for m in period} - {uri[ident[a]]}) for period in members for a in stripped]
    segment = (np.searchsorted(np.asarray(starts, dtype=np.int64), lineno.astype(np.int64), side="right") - 1)
    always = sorted(p for p in writers if not any(c.member == p for c in group))
    assumptions.append(
        f"group membership over time from {len({c.line for c in group})} system line(s): each message's recipients are "
        f"the members at that time (not everyone ever seen). History: {history(group)}"
        + (f". No join or leave line for {', '.join(always)}: taken as members throughout" if always else ""))
    return senders, pl.Series(recipients, dtype=pl.List(pl.String)), segment.astype(np.int64)


def _membership_table(group: list[Change], ctx: ParseContext) -> pl.DataFrame:
    """The membership history as a reference table (one row per person per change)."""
    return pl.DataFrame(
        {"source_id": [ctx.source_id] * len(group), "source_ref": [c.source_ref for c in group],
         "action": [c.action for c in group], "member": [c.member for c in group], "by": [c.by for c in group]},
        schema={"source_id": pl.String, "source_ref": pl.String, "action": pl.String, "member": pl.String,
                "by": pl.String},
    )


def _is_header(line: bytes) -> bool:
    """Whether one line (bytes, no line break) is a message header: :data:`HEADER`, as the parser reads it."""
    return _HEADER_RE.match(line.decode("utf-8", errors="replace")) is not None


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    # a message over the bound is read as its header's first bytes alone, one line (then a reject);
    # the line numbers found are the file's again here, before anything uses them
    raw, text, assumptions = TextBytes.read(path, "WhatsApp", CHAT_LINE_BYTES, _is_header, keep_breaks=False)
    orphan, msgs = _messages(raw, text, ctx, path, assumptions)
    if raw.long:
        orphan, msgs = (f.with_columns(pl.Series("lineno", raw.file_lines(f.get_column("lineno").to_numpy()),
                                                 dtype=f.schema["lineno"])) for f in (orphan, msgs))
    starts = msgs.get_column("lineno").to_list() if raw.long else []
    orphan_rejects = _rejects(orphan.filter(
        (pl.col("first_line").str.strip_chars() != "") | (pl.col("tail").fill_null("").str.strip_chars() != "")
    ), ctx, "text before the first message header")
    if msgs.height == 0:
        raise FormatError(f"{path}: no WhatsApp message header found (expected lines like '01/01/2024, 11:25 - Name: text')")
    bad_time = _rejects(msgs.filter(pl.col("ts_local").is_null()), ctx, "header date/time is not a real date")
    if bad_time.height:
        msgs = msgs.filter(pl.col("ts_local").is_not_null())

    # Rows that may be special: no "Name: ", or a marker in the header line or the tail. A
    # marker cannot straddle the two (the tail starts with a line break, no marker has one),
    # so this is a superset of the exact rule, which runs on these few rows only.
    maybe = pl.col("body_first").is_null() | pl.col("_marker")
    msgs = msgs.with_columns(maybe.alias("_maybe"))
    classified = _classified(msgs)
    n = msgs.height

    # Authors as written (plain rows keep their spacing until here): stripped and turned
    # into identifiers once per distinct value; each message finds its author's by index
    # (worked out in the background while the line references are made here).
    coded = background().submit(_author_codes, classified.author)
    lineno = msgs.get_column("lineno").to_numpy()
    refs = line_refs(lineno).alias("source_ref")
    refs_unique = bool((np.diff(lineno.astype(np.int64)) > 0).all())  # rising line numbers: distinct refs
    names, codes = coded.result()
    index = np.where(classified.is_note, -1, codes)
    chat_name = _CHAT_NAME.match(path.name)
    group = _membership(msgs, classified, lineno)
    region = _region(names, group, chat_name, ctx, assumptions)
    if region is not None:
        ctx = replace(ctx, region=region)
    if group:
        senders, recipients_of, segment = _group_senders_and_recipients(names, index, lineno, group, assumptions, ctx)
        at = np.where(index >= 0, segment * names.len() + index, -1)
    else:
        senders, recipients_of = _senders_and_recipients(names, index, chat_name, assumptions, ctx)
        at = index
    # Sender and recipients: worked out once per author (and membership period) above,
    # gathered per message here.
    def positions(ix: I64) -> pl.Series:
        return chunked(n, lambda lo, hi: pa.Array.from_buffers(pa.uint32(), hi - lo, [
            pa.py_buffer(np.packbits(ix[lo:hi] >= 0, bitorder="little")),
            pa.py_buffer(np.maximum(ix[lo:hi], 0).astype(np.uint32)),
        ]))

    who = positions(index)
    whom = positions(at) if group else who
    events = pl.DataFrame([
        refs,
        classified.kind.alias("kind"),
        msgs.get_column("ts_local"),
        msgs.get_column("stamp").alias("ts_raw"),
        pl.Series(senders, dtype=pl.String).gather(who).alias("sender"),
        recipients_of.gather(whom).alias("recipients"),
        classified.status.alias("status"),
        classified.text.alias("text"),
    ]).with_columns(
        pl.col("recipients").fill_null(pl.lit([], pl.List(pl.String))),
        pl.lit("whatsapp").alias("channel"),
        classified.attachments.alias("attachments"),
    ).select("source_ref", "kind", "channel", "ts_local", "ts_raw", "sender", "recipients", "status", "text",
             "attachments")
    if ctx.owner:
        # A one-sided chat with no partner named in the file name: the owner was the recipient
        # (the shared normaliser drops the owner from a message the owner sent).
        events = events.with_columns(
            pl.when((pl.col("kind") != "note") & (pl.col("recipients").list.len() == 0))
            .then(pl.lit(pl.Series([[ctx.owner]], dtype=pl.List(pl.String))))
            .otherwise(pl.col("recipients")).alias("recipients")
        )
    if chat_name:
        assumptions.append(f"chat name taken from the file name: {quoted(chat_name.group(1))}")
    rejects = pl.concat([orphan_rejects, bad_time]).cast(REJECT_SCHEMA)
    if raw.long:  # messages over the bound (cut to their header's first bytes before Polars): rejects
        events, rejects = reject_long_blocks(events, rejects, starts, raw.long, CHAT_LINE_BYTES,
                                             "a WhatsApp text export (a message is at most 65,536 characters)",
                                             ctx.source_id, path.name)
    return ParseResult(
        events=events,
        rejects=rejects,
        records_read=msgs.height + bad_time.height + orphan_rejects.height,
        assumptions=assumptions,
        region=region,
        identifiers_are_uris=True,
        refs_unique=refs_unique,
        extra={"group_membership": _membership_table(group, ctx)} if group else {},
    )
