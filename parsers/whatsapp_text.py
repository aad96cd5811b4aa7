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

Public samples: chat-miner ``test/whatsapp/*.txt``: 9 header blocks each, of which
6 messages (chat-miner's targets), 2 system notes and 1 "Name:." line kept as a
note (it has no ``": "`` separator).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

import polars as pl

from atlas.errors import FormatError
from atlas.model import REJECT_SCHEMA
from atlas.normalise.phones import looks_like_phone
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe

INFO: Final = ParserInfo(
    name="whatsapp-text",
    version="1.1.0",
    description="WhatsApp 'Export chat' text file (Android or iOS)",
    detects="text whose lines start with a WhatsApp date/time header, e.g. '01/01/19, 11:25 - Name: ' or '[01/01/2019, 11:25:03] Name: '",
    notes=__doc__ or "",
    sample_counts={"chat-miner test_ddmmyy_24hrs.txt": "9 records: 6 messages, 3 notes, 0 rejects"},
)

_INVISIBLE: Final = "[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
_LEADING_MARK: Final = "^[\u200e\u200f]+"
# ``\s`` is Unicode-aware in both Python's ``re`` and Polars' Rust regex, so it also
# matches U+00A0, U+2007 and U+202F (the narrow no-break space iOS puts before AM/PM).
HEADER: Final = (
    r"^[\u200e\u200f\ufeff]*\[?"
    r"(?P<stamp>(?P<d>\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}),?\s+"
    r"(?P<t>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)"
    r"(?:\s*(?P<ap>[aApP]\.?\s?[mM]\.?))?)"
    r"(?:\]\s*|\s+[-\u2013]\s+)(?P<rest>.*)$"
)
_HEADER_RE: Final = re.compile(HEADER)
_SYSTEM: Final = (
    r"^(?:Messages and calls are end-to-end encrypted"
    r"|Messages to this group are now secured"
    r"|Your security code with "
    r"|You were added$"
    r"|[^:]{1,100}? (?:created group|changed the subject|changed this group's icon|changed the group description"
    r"|changed their phone number|changed to |joined using this group's invite link))"
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


def detect(probe: Probe) -> int:
    lines = [ln for ln in probe.text.splitlines() if ln.strip()][:30]
    if not lines:
        return 0
    matches = [_HEADER_RE.match(ln) for ln in lines]
    if not matches[0]:
        return 0
    hits = sum(1 for m in matches if m)
    with_author = sum(1 for m in matches if m and ": " in m.group("rest"))
    score = 80 if hits >= min(3, len(lines)) and with_author else 60
    first = matches[0]
    if lines[0].lstrip("\u200e\u200f").startswith("[") and first.group("t").count(":") + first.group("t").count(".") == 1:
        # iOS writes seconds; a bracketed header without them ("[2019-12-24, 12:23] Jane: ")
        # is also how Signal's text export looks: leave room for a parser that knows it.
        score -= 10
    return score


def _read_text(path: Path) -> tuple[str, bytes, list[str]]:
    """The text, and its UTF-8 bytes (BOM dropped) for Polars: the file's own bytes when they
    decode cleanly, so the 100,000-line case never re-encodes what it just decoded."""
    data = path.read_bytes()
    if not data or data.isspace():  # as ``not data.strip()``, without copying the file
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
        if exc.reason == "unexpected end of data" and exc.end >= len(data):
            raise FormatError(
                f"{path}: the file is truncated (it ends inside a character, at byte offset {exc.start}); "
                "acquire a complete copy"
            ) from exc
        text = data.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        if bad > max(16, len(data) // 100):
            raise FormatError(f"{path}: not UTF-8 text (invalid byte at offset {exc.start}); not a WhatsApp export") from exc
        notes.append(f"{bad} invalid UTF-8 byte sequence(s) replaced with U+FFFD, first at byte offset {exc.start}")
        data = text.encode("utf-8")
    return text, data, notes


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


@dataclass(frozen=True)
class _Layout:
    """One file's header layout, sniffed from its first headers, so the whole file can be
    read with two vectorised string operations and an explicit strptime format."""

    bracket: bool
    sep: str
    fmt_dmy: str
    fmt_mdy: str | None
    ampm: bool
    guess: str = "dmy"
    """The day/month order the sampled headers suggest (``ymd`` when the year comes first):
    the whole file is parsed in this order first, and in the other only if the file says so."""


_DATE_START: Final = r"^\[?\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}"
_LEAD_MARKS: Final = "\u200e\u200f\ufeff"


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
        bracket = line.lstrip("\u200e\u200f\ufeff").startswith("[")
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


def _lines(data: bytes) -> pl.DataFrame:
    """The file's lines, split by Polars' CSV reader with NUL as the (never present: binary
    files are refused) separator and no quoting: several times quicker than ``str.split``.
    Line endings ``\n`` and ``\r\n`` both end a line; a final newline adds no line."""
    return pl.read_csv(
        io.BytesIO(data), has_header=False, separator="\x00", quote_char=None,
        infer_schema=False, new_columns=["line"], encoding="utf8",
    ).with_columns(pl.col("line").fill_null(""))


_BLOCK_COLUMNS: Final = ("lineno", "stamp", "rest", "first_line", "ts_local", "tail")


def _fast_blocks(text: str, data: bytes, ctx: ParseContext, path: Path,
                 assumptions: list[str]) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """Header lines found by splitting at the layout's separator and parsing the stamp with
    one strptime format: the whole file in a handful of column operations. Lines that look
    like a header but do not parse fall back to the full regex, so nothing is lost.

    Returns the text before the first header (0 or 1 row) and the headers with their
    continuation lines, as ``_BLOCK_COLUMNS``."""
    layout = _sniff(text[:200_000].split("\n")[:-1] or [text])
    if layout is None:
        return None
    frame = _lines(data).with_row_index("lineno", offset=1)
    # Stripping leading marks costs a pass over every line: only when the file has any (all
    # three marks start with byte E2 or EF: one memchr each rules them out in most files).
    marked = any(mark.encode() in data for mark in _LEAD_MARKS) if b"\xe2" in data or b"\xef" in data else False
    lead = pl.col("line").str.strip_chars_start(_LEAD_MARKS) if marked else pl.col("line")
    if layout.bracket:
        parts = pl.when(lead.str.starts_with("[")).then(lead.str.slice(1)).otherwise(None).str.splitn("]", 2)
    else:
        parts = lead.str.splitn(layout.sep, 2)
    frame = frame.with_columns(parts.alias("_parts")).unnest("_parts").rename({"field_0": "stamp", "field_1": "rest"})
    if layout.bracket:
        frame = frame.with_columns(pl.col("rest").str.strip_chars_start())
    norm = pl.col("stamp")
    if layout.ampm:
        # "9:05\u202fp. m." → "9:05 pm". Without AM/PM a stamp with odd spaces simply does not
        # parse here and goes to the full regex below.
        norm = norm.str.replace_all(r"\s+", " ").str.replace(r"(?i)\s*([ap])\.?\s?m\.?$", " ${1}m")

    def stamp_time(order: str) -> pl.Expr:
        """The header's wall-clock time read in one day/month order; null on other lines."""
        fmt = layout.fmt_mdy if order == "mdy" and layout.fmt_mdy else layout.fmt_dmy
        return (pl.when(pl.col("rest").is_not_null())
                .then(norm.str.to_datetime(fmt, strict=False, time_unit="us", cache=False)).alias("ts_local"))

    # Parsed once, in the order the first headers suggest. The day/month counts the order
    # rule needs follow without a second full parse: a date read day-first fails month-first
    # exactly when its day is > 12 (the month, <= 12, is always a valid day), and the same
    # holds the other way round; dates that fail the first reading are few (continuation
    # lines cannot parse), and only they are tried in the other order.
    frame = frame.with_columns(stamp_time(layout.guess))
    order = layout.guess
    if layout.fmt_mdy is not None:
        other = "mdy" if layout.guess == "dmy" else "dmy"
        only_guess = int((frame.get_column("ts_local").dt.day() > 12).sum())
        only_other = int(frame.filter(pl.col("ts_local").is_null() & pl.col("rest").is_not_null())
                         .select(stamp_time(other).is_not_null().sum()).item())
        a_big, b_big = (only_guess, only_other) if layout.guess == "dmy" else (only_other, only_guess)
        order, assumption = _order_from_counts(a_big, b_big, ctx, path)
        if assumption:
            assumptions.append(assumption)
        if order != layout.guess:
            frame = frame.with_columns(stamp_time(order))
    if "%y" in layout.fmt_dmy:
        earliest = frame.get_column("ts_local").min()
        if earliest is not None and earliest < datetime(2000, 1, 1):  # type: ignore[operator]
            # strptime's %y puts 69-99 in the 1900s; WhatsApp (2009-) means 20yy, as the slow path does.
            frame = frame.with_columns(
                pl.when(pl.col("ts_local").dt.year() < 2000).then(pl.col("ts_local").dt.offset_by("100y"))
                .otherwise(pl.col("ts_local")).alias("ts_local")
            )
    # Lines that start like a header but did not parse: the full regex decides (another
    # layout, or a header whose date is not a real date: a reject, never a lost line).
    doubtful = frame.filter(pl.col("ts_local").is_null()).filter(lead.str.contains(_DATE_START))
    slow = (
        doubtful.select("lineno", pl.col("line").str.extract_groups(HEADER).alias("h")).unnest("h")
        .filter(pl.col("d").is_not_null())
    )
    if slow.height:
        slow = _local_times(slow, ctx, path, assumptions, order=order)
        frame = frame.join(
            slow.select("lineno", pl.col("stamp").alias("_s_stamp"), pl.col("rest").alias("_s_rest"),
                        pl.col("ts_local").alias("_s_ts"), pl.lit(True).alias("_slow")),
            on="lineno", how="left", maintain_order="left",
        ).with_columns(
            (pl.col("ts_local").is_not_null() | pl.col("_slow").fill_null(False)).alias("_header"),
            pl.coalesce("_s_stamp", "stamp").alias("stamp"),
            pl.when(pl.col("_slow")).then(pl.col("_s_rest")).otherwise(pl.col("rest")).alias("rest"),
            pl.when(pl.col("_slow")).then(pl.col("_s_ts")).otherwise(pl.col("ts_local")).alias("ts_local"),
        )
    else:
        frame = frame.with_columns(pl.col("ts_local").is_not_null().alias("_header"))
    frame = frame.with_columns(pl.col("_header").cum_sum().alias("block"))
    heads = frame.filter(pl.col("_header")).select(
        "lineno", "stamp", "rest", pl.col("line").alias("first_line"), "ts_local",
    )
    cont = frame.filter(~pl.col("_header")).group_by("block", maintain_order=True).agg(
        pl.col("lineno").first().alias("_first_no"), pl.col("line").alias("_lines"),
    )
    return _orphan(cont), _with_tails(heads, cont)


def _orphan(cont: pl.DataFrame) -> pl.DataFrame:
    """Lines before the first header (block 0), as one block row without a header."""
    return cont.filter(pl.col("block") == 0).select(
        pl.col("_first_no").alias("lineno"), pl.lit(None, pl.String).alias("stamp"),
        pl.lit(None, pl.String).alias("rest"), pl.col("_lines").list.first().alias("first_line"),
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


def _messages(text: str, data: bytes, ctx: ParseContext, path: Path,
              assumptions: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The text before any header (0 or 1 row) and every header block with its local time;
    fast path first."""
    fast = _fast_blocks(text, data, ctx, path, assumptions)
    if fast is not None:
        return fast
    blocks = _blocks(text)
    msgs = blocks.filter(pl.col("block") > 0)
    if msgs.height:
        msgs = _local_times(msgs, ctx, path, assumptions)
    else:
        msgs = msgs.with_columns(pl.lit(None, pl.Datetime("us")).alias("ts_local"))
    orphan = blocks.filter(pl.col("block") == 0).with_columns(pl.lit(None, pl.Datetime("us")).alias("ts_local"))
    return tuple(  # type: ignore[return-value]
        f.with_columns(_tail(pl.col("more")).alias("tail")).select(_BLOCK_COLUMNS) for f in (orphan, msgs)
    )


_SPECIAL_WORDS: Final = (
    "end-to-end encrypted", "are now secured", "Your security code with", "You were added", "created group",
    "changed the subject", "changed this group's icon", "changed the group description", "changed their phone number",
    "changed to ", "joined using this group's invite link", "<attached:", "(file attached)", " omitted",
    "Missed ", "This message was deleted", "You deleted this message", "<Media", "<Médias", "<Medien",
    "<Multimedia", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067",
    "\u2068", "\u2069", "\ufeff",
)
"""Literal markers of everything the regex rules below look for: a message containing none
of them is plain text, and is classified without running a single regex."""
_SPECIAL_RE: Final = "|".join(re.escape(w) for w in _SPECIAL_WORDS)
"""One alternation of literals: the regex engine's SIMD literal search beats Aho-Corasick here."""


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
    maybe = maybe.with_columns(
        _verbatim(pl.col("rest")).alias("whole"),
        pl.when(pl.col("body_first").is_null()).then(None).otherwise(_verbatim(pl.col("body_first"))).alias("body"),
    )
    special = pl.col("body").is_null() | pl.col("whole").str.contains(_SPECIAL_RE)
    return pl.concat([_classify(maybe.filter(special)), _plain(maybe.filter(~special))], how="vertical").sort("lineno")


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    text, data, assumptions = _read_text(path)
    orphan, msgs = _messages(text, data, ctx, path, assumptions)
    orphan_rejects = orphan.filter(
        (pl.col("first_line").str.strip_chars() != "") | (pl.col("tail").fill_null("").str.strip_chars() != "")
    ).select(
        pl.lit(ctx.source_id).alias("source_id"),
        pl.format("line {}", pl.col("lineno")).alias("source_ref"),
        pl.lit("text before the first message header").alias("reason"),
        pl.col("first_line").str.slice(0, 120).alias("excerpt"),
    )
    if msgs.height == 0:
        raise FormatError(f"{path}: no WhatsApp message header found (expected lines like '01/01/2024, 11:25 - Name: text')")
    bad_time = msgs.filter(pl.col("ts_local").is_null()).select(
        pl.lit(ctx.source_id).alias("source_id"),
        pl.format("line {}", pl.col("lineno")).alias("source_ref"),
        pl.lit("header date/time is not a real date").alias("reason"),
        pl.col("first_line").str.slice(0, 120).alias("excerpt"),
    )
    if bad_time.height:
        msgs = msgs.filter(pl.col("ts_local").is_not_null())

    msgs = (
        msgs.with_columns(pl.col("rest").str.splitn(": ", 2).alias("_split")).unnest("_split")
        .rename({"field_0": "author", "field_1": "body_first"})
    )
    # Rows that may be special: no "Name: ", or a marker in the header line or the tail. A
    # marker cannot straddle the two (the tail starts with a line break, no marker has one),
    # so this is a superset of the exact rule, which runs on these few rows only.
    maybe = (
        pl.col("body_first").is_null() | pl.col("rest").str.contains(_SPECIAL_RE)
        | pl.col("tail").str.contains(_SPECIAL_RE).fill_null(False)
    )
    msgs = msgs.with_columns(maybe.alias("_maybe"))
    marked = _resolve_marked(msgs.filter(pl.col("_maybe")))
    # Everything else is a plain message: the text as written, nothing attached.
    plain_text = pl.concat_str("body_first", "tail", ignore_nulls=True)
    if marked.height:
        # Row k of ``marked`` is the k-th row that may be special: gathered into place by
        # position, so the 100,000 plain rows are neither re-sorted nor joined.
        at = pl.when(pl.col("_maybe")).then(pl.col("_maybe").cast(pl.Int64).cum_sum() - 1)

        def take(name: str, plain: pl.Expr) -> pl.Expr:
            return pl.when(pl.col("_maybe")).then(pl.lit(marked.get_column(name)).gather(at)).otherwise(plain).alias(name)

        msgs = msgs.with_columns(plain_text.alias("_plain_text")).with_columns(
            take("author", pl.col("author")), take("is_note", pl.lit(False)), take("kind", pl.lit("message")),
            take("status", pl.lit(None, pl.String)),
            take("text", pl.when(pl.col("_plain_text") == "").then(None).otherwise(pl.col("_plain_text"))),
            take("attachments", pl.lit([], pl.List(pl.String))),
        )
    else:
        msgs = msgs.with_columns(plain_text.alias("text")).with_columns(
            pl.lit(False).alias("is_note"), pl.lit("message").alias("kind"), pl.lit(None, pl.String).alias("status"),
            pl.when(pl.col("text") == "").then(None).otherwise(pl.col("text")).alias("text"),
            pl.lit([], pl.List(pl.String)).alias("attachments"),
        )

    # Authors as written (plain rows keep their spacing until here): stripped and turned
    # into identifiers once per distinct value.
    raw_authors = msgs.select(pl.col("author").filter(~pl.col("is_note")).unique(maintain_order=True)).to_series()
    stripped = raw_authors.str.strip_chars()
    authors = stripped.unique().sort().to_list()
    ident = {a: (f"phone:{a}" if looks_like_phone(a) else f"name:{a}") for a in authors}
    participants = sorted(ident.values())
    chat_name = _CHAT_NAME.match(path.name)
    if chat_name and len(authors) < 2:
        # One voice in the chat: the file name says who the other end was ("WhatsApp Chat
        # with Dan.txt"), so the owner's own messages still have a recipient.
        partner = chat_name.group(1)
        partner_id = f"phone:{partner}" if looks_like_phone(partner) else f"name:{partner}"
        if partner_id not in participants:
            participants = sorted([*participants, partner_id])
            assumptions.append(f"only one author writes in this chat; the other participant taken from the file name: {partner!r}")
    # Sender and recipients (everyone else in the chat) by the author's index: worked out
    # once per author, gathered per message.
    senders = [ident[a] for a in stripped.to_list()]
    index = (pl.when(pl.col("is_note")).then(None)
             .otherwise(pl.col("author").replace_strict(raw_authors, pl.int_range(raw_authors.len(), dtype=pl.UInt32,
                                                                                  eager=True), default=None)))
    sender_of = pl.Series(senders, dtype=pl.String)
    recipients_of = pl.Series([sorted(set(participants) - {v}) for v in senders], dtype=pl.List(pl.String))
    events = msgs.select(
        pl.format("line {}", pl.col("lineno")).alias("source_ref"),
        pl.col("kind"),
        pl.lit("whatsapp").alias("channel"),
        pl.col("ts_local"),
        pl.col("stamp").alias("ts_raw"),
        pl.lit(sender_of).gather(index).alias("sender"),
        pl.lit(recipients_of).gather(index).fill_null(pl.lit([], pl.List(pl.String))).alias("recipients"),
        pl.col("status"),
        pl.col("text"),
        pl.col("attachments"),
    )
    if ctx.owner:
        # A one-sided chat with no partner named in the file name: the owner was the recipient
        # (the shared normaliser drops the owner from a message the owner sent).
        events = events.with_columns(
            pl.when((pl.col("kind") != "note") & (pl.col("recipients").list.len() == 0))
            .then(pl.lit(pl.Series([[ctx.owner]], dtype=pl.List(pl.String))))
            .otherwise(pl.col("recipients")).alias("recipients")
        )
    if chat_name:
        assumptions.append(f"chat name taken from the file name: {chat_name.group(1)!r}")
    rejects = pl.concat([orphan_rejects, bad_time]).cast(REJECT_SCHEMA)
    return ParseResult(
        events=events,
        rejects=rejects,
        records_read=msgs.height + bad_time.height + orphan_rejects.height,
        assumptions=assumptions,
    )
