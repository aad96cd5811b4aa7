"""Messages, calls and contacts exported by phone-analysis tools to CSV or XLSX.

Analysts export tables from Cellebrite Physical Analyzer / Reader ("Export to
Excel"), MSAB XRY / XAMN and Magnet AXIOM. Each tool names its columns differently,
writes dates differently (one column or two, with the zone in the value, in the
header, or nowhere), durations as seconds or ``hh:mm:ss``, and directions in its own
words. ``parsers/templates/tool_exports.toml`` names those layouts; columns are
mapped **by header name, never by position** (ALEAPP's trackers are full of
breakages from positional access), and ``--map FILE`` gives a template for a new
layout in the same shape.

Format notes, and where they come from:

* The templates follow the exports as examiners know them; vendors change headers
  between versions, so a table that fits no template is mapped **by meaning**
  (:mod:`parsers._tool_meaning`, vocabulary ``parsers/templates/tool_export_vocabulary.toml``)
  when its kind, time and parties are certain (printed and recorded on the source; zones
  and date orders in brackets honoured); otherwise a clear error lists the headers seen,
  the nearest template and the best partial mapping, and ``atlas map FILE`` writes a
  template to complete and pass with ``--map``.
* Files are read by the shared tabular reader (:mod:`parsers._tabular`: BOM, encoding,
  delimiter, every line-ending convention). Every cell is read as text (XLSX through
  calamine, every sheet; CSV with ``infer_schema=False``) so ``07700 900123`` keeps its zero. Where an Excel number
  cell has already lost it (``7700900123``), a GB case repairs ten-digit values
  starting 1, 2 or 7 by prefixing ``0``: the stated rule, counted in the assumptions.
  Excel date cells (serial day numbers) are converted as the wall clock shown.
* The header row is found by content within the first 15 rows (exports often put a
  title or case details above it). Sheets that match no template (e.g. a summary
  sheet) are named in the source's assumptions, not silently skipped.
* Times: the zone suffixes tools write (``(UTC+1)``, ``UTC+01:00``, ``Z``) are read
  as offsets; a zone stated in the header (AXIOM) applies to the whole column; else
  the times are the device's wall clock (``ts_local``, converted with the case zone).
  The format is sniffed per column with ``atlas.normalise.times``, which records the
  day/month assumption when the data cannot decide; a date order stated in the header
  (``dd/MM/yyyy``) decides it.
* A row whose time cannot be read is a reject with the reason. ``source_ref`` is
  ``<sheet> row <n>`` (XLSX) or ``row <n>`` (CSV): the spreadsheet row a person sees (a sheet whose
  name begins or ends with a blank or a quote in single quotes, as Excel writes it: ``' Calls' row 5``).
* The export does not say whose phone it was: ``--owner`` does, and fills the owner's
  side of each row; otherwise direction comes from the row's own words only.
"""

from __future__ import annotations

import os
import re
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl

from atlas.errors import AtlasError, FormatError
from atlas.model import IDENTITY_EVIDENCE_SCHEMA, REJECT_SCHEMA, Channel, EvidenceCategory
from atlas.normalise.identifiers import identifier_map
from atlas.normalise.region import RegionEvidence, choose_region
from atlas.normalise.times import DateFormat, Readings, parse_datetimes, sniff_datetime_format
from atlas.wording import quoted, quoted_list
from parsers._tabular import Sheet, long_line_notes, long_line_rejects, probe_sheets, read_notes, read_sheets
from parsers._tool_meaning import VOCABULARY_PATH as MEANING_VOCABULARY
from parsers._tool_meaning import propose
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe, quoted_name
from parsers.cellebrite_xml import channel_of

INFO: Final = ParserInfo(
    name="tool-export",
    version="1.4.0",
    description="Phone-analysis tool export (CSV/XLSX messages, calls, contacts)",
    detects="CSV or XLSX whose header row (within the first 15 rows) matches a template in "
            "parsers/templates/tool_exports.toml (Cellebrite Excel, XRY, AXIOM CSV), or --map FILE",
    notes=__doc__ or "",
    category=EvidenceCategory.TOOL_EXPORT,
    channels=frozenset({Channel.SMS, Channel.MMS, Channel.VOICE, Channel.VIDEO, Channel.EMAIL, Channel.PHONEBOOK, Channel.ACCOUNT, Channel.WHATSAPP, Channel.INSTAGRAM, Channel.FACEBOOK, Channel.SNAPCHAT, Channel.TELEGRAM, Channel.SIGNAL, Channel.IMESSAGE, Channel.FACETIME, Channel.X, Channel.TIKTOK, Channel.SKYPE, Channel.VIBER, Channel.WECHAT, Channel.LINE, Channel.KIK, Channel.DISCORD, Channel.OTHER_APP}),
    no_public_sample="no public tool export in ../shared/samples; tested on the generator's exports (tests/test_tool_export.py)",
)

TEMPLATES_FILE: Final = Path(__file__).with_name("templates") / "tool_exports.toml"
HEADER_SCAN_ROWS: Final = 15
FIELDS: Final = frozenset({
    "timestamp", "date", "time", "direction", "call_type", "folder", "status", "party", "party_name", "from", "to",
    "parties", "text", "subject", "attachments", "duration", "app", "deleted", "name", "phone", "email", "account",
    "record", "ignore",
})
KINDS: Final = {"messages": "message", "calls": "call", "contacts": "contact"}
_TRUE: Final = frozenset({"yes", "true", "deleted", "1", "y", "recovered"})
_PHONE_IN_TEXT: Final = re.compile(r"\+?\d[\d\s().\-/]{5,}\d")
_ZONE_SUFFIX: Final = re.compile(r"(?i)\s*\(?\s*(?:UTC|GMT)\s*([+-])(\d{1,2})(?::?(\d{2}))?\s*\)?\s*$")
_UTC_SUFFIX: Final = re.compile(r"(?i)\s*\(?\s*(?:UTC|GMT|Z)\s*\)?\s*$")
"""Any case, in Python and in Polars alike: the flag is inside the pattern because Polars is handed
``.pattern`` alone (with ``re.IGNORECASE`` a lowercase ``(utc+1)`` was no zone to Polars)."""
_BARE_OFFSET: Final = r"(?P<t>\d\d:\d\d(?::\d\d)?(?:\.\d+)?)\s*(?P<bs>[+-])(?P<bh>\d\d):?(?P<bm>\d\d)$"
_LOOKS_LIKE_DATE: Final = r"\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}|\d{1,2}[ \-][A-Za-z]{3,9}[ \-]\d{2,4}|[A-Za-z]{3,9} \d{1,2},? \d{4}"
_EXCEL_SERIAL: Final = re.compile(r"^\d{5}(?:\.\d+)?$")


def _norm(header: str) -> str:
    return " ".join(str(header).replace("\ufeff", "").split()).strip().rstrip(":").casefold()


# --- templates ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    key: str
    target: str
    regex: re.Pattern[str] | None = None

    def matches(self, header: str) -> re.Match[str] | bool:
        if self.regex is not None:
            return self.regex.search(header) or False
        return header == self.key


@dataclass(frozen=True)
class Table:
    template: str
    kind: str
    channel: str
    required: tuple[Column, ...]
    columns: tuple[Column, ...]
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.template} {self.kind}"


def _column(key: str, target: str = "") -> Column:
    if key.startswith("re:"):
        return Column(key, target, re.compile(key[3:], re.IGNORECASE))
    return Column(_norm(key), target)


def load_templates(path: Path) -> list[Table]:
    """Templates from a TOML file of the tool_exports.toml shape; clear errors for a bad file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AtlasError(f"{path}: cannot read the template file ({exc})") from exc
    shared = data.get("values", {})
    if path.resolve() != TEMPLATES_FILE.resolve():
        # a --map file inherits the shipped value vocabularies; its own [values] add to them
        builtin = tomllib.loads(TEMPLATES_FILE.read_text(encoding="utf-8")).get("values", {})
        shared = {k: {**builtin.get(k, {}), **shared.get(k, {})} for k in {*builtin, *shared}}
    tables: list[Table] = []
    for name, spec in data.items():
        if name == "values" or not isinstance(spec, dict):
            continue
        values = {k: {**{str(w).casefold(): v for w, v in shared.get(k, {}).items()},
                      **{str(w).casefold(): v for w, v in spec.get("values", {}).get(k, {}).items()}}
                  for k in ("direction", "call_type", "folder", "status")}
        for kind in KINDS:
            t = spec.get(kind)
            if not isinstance(t, dict):
                continue
            cols = t.get("columns", {})
            bad = sorted({str(v) for v in cols.values()} - FIELDS)
            if bad:
                raise AtlasError(f"{path}: [{name}.{kind}.columns] maps to unknown field(s) {bad}; known: {sorted(FIELDS)}")
            required = tuple(_column(k) for k in t.get("required", list(cols)))
            if not required:
                raise AtlasError(f"{path}: [{name}.{kind}] has no required headers and no columns")
            tables.append(Table(name, kind, str(t.get("channel", {"messages": "sms", "calls": "voice"}.get(kind, "phonebook"))),
                                required, tuple(_column(k, str(v)) for k, v in cols.items()), values))
    if not tables:
        raise AtlasError(f"{path}: no templates found (expected [name.messages|calls|contacts] tables)")
    return tables


@cache
def builtin_templates() -> tuple[Table, ...]:
    return tuple(load_templates(TEMPLATES_FILE))


@cache
def shared_values() -> dict[str, dict[str, Any]]:
    """The value vocabularies every template shares (``[values]`` of tool_exports.toml)."""
    shared = tomllib.loads(TEMPLATES_FILE.read_text(encoding="utf-8")).get("values", {})
    return {k: {str(w).casefold(): v for w, v in shared.get(k, {}).items()}
            for k in ("direction", "call_type", "folder", "status")}


def _templates(ctx: ParseContext | None) -> list[Table]:
    if ctx is not None and ctx.options.get("map"):
        return load_templates(Path(ctx.options["map"]))
    return list(builtin_templates())


def _score(table: Table, headers: list[str]) -> tuple[int, int]:
    """(required headers present, mapped headers present)."""
    req = sum(1 for c in table.required if any(c.matches(h) for h in headers))
    mapped = sum(1 for h in headers if any(c.matches(h) for c in table.columns))
    return req, mapped


def _best(tables: list[Table], rows: list[list[str]]) -> tuple[Table, int] | None:
    """The template table whose required headers are all in one of the first rows, and that row."""
    best: tuple[tuple[int, int], Table, int] | None = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        headers = [_norm(h) for h in row if h is not None and str(h).strip()]
        if not headers:
            continue
        for t in tables:
            # every required header first: the mapped count is only looked at for a table that has them all
            if not all(any(c.matches(h) for h in headers) for c in t.required):
                continue
            req, mapped = _score(t, headers)
            if req == len(t.required) and (best is None or (mapped, -i) > (best[0][1], -best[2])):
                best = ((req, mapped), t, i)
    return (best[1], best[2]) if best else None


def _nearest(tables: list[Table], rows: list[list[str]]) -> str:
    scored = []
    for row in rows[:HEADER_SCAN_ROWS]:
        headers = [_norm(h) for h in row if h is not None and str(h).strip()]
        for t in tables:
            req, mapped = _score(t, headers)
            missing = [c.key for c in t.required if not any(c.matches(h) for h in headers)]
            scored.append((req / len(t.required), mapped, t.label, missing))
    if not scored:
        return "no template (the table is empty)"
    share, _, label, missing = max(scored, key=lambda s: (s[0], s[1]))
    return f"{label} ({share:.0%} of its required headers; missing {missing})"


# --- reading -------------------------------------------------------------------------------

def detect(probe: Probe) -> int:
    tables = list(builtin_templates())
    sheets = probe_sheets(probe)
    if any(_best(tables, sheet.rows[:HEADER_SCAN_ROWS]) for sheet in sheets):
        return 85
    # A layout no template names whose meaning maps without doubt: low, so that any parser
    # that knows the file (a CDR that only looks like call data scores 40) wins.
    return 35 if any((p := propose(sheet.rows, shared_values())) is not None and p.ok for sheet in sheets) else 0


# --- one table → raw rows ----------------------------------------------------------------------

@lru_cache(maxsize=65_536)
def _ident_of(cell: str) -> tuple[str | None, str | None]:
    """A party cell → (raw identifier, display name). Cached: the region's numbers and each
    table's parties read the same distinct cells, and a pure function of the text gives the
    same answer from the cache."""
    t = cell.strip()
    if not t:
        return None, None
    if re.fullmatch(r"\d{3,6}", t):
        return f"phone:{t}", None
    m = _PHONE_IN_TEXT.search(t)
    if m and len(re.sub(r"\D", "", m.group(0))) >= 7:
        name = (t[: m.start()] + t[m.end():]).strip(" ()<>[]-,:\t")
        return f"phone:{m.group(0).strip()}", name or None
    email = re.search(r"[\w.+\-]+@[\w\-]+\.[\w.\-]+", t)
    if email:
        name = t.replace(email.group(0), "").strip(" ()<>[]-,:\t")
        return f"email:{email.group(0)}", name or None
    if t.lower() in ("withheld", "private", "unknown", "private number", "no caller id"):
        return f"phone:{t}", None
    return f"name:{t}", t


def _lost_zero(values: pl.Expr, region: str) -> pl.Expr:
    """The stated repair rule for numbers Excel stored as numbers (see the module notes)."""
    cleaned = values.str.replace(r"^(\d+)\.0+$", "${1}")
    if region.upper() != "GB":
        return cleaned
    return pl.when(cleaned.str.contains(r"^[127]\d{9}$")).then(pl.lit("0") + cleaned).otherwise(cleaned)


_TIME_FRACTION: Final = r"^0?\.\d+$"
"""An Excel time cell read as text: a day fraction (``0.5`` is noon)."""


def _time_strings(frame: pl.DataFrame, cols: dict[str, list[tuple[str, re.Match[str] | bool]]],
                  assumptions: list[str], where: str, *, fast: bool = False,
                  seen: dict[str, pl.Series] | None = None) -> tuple[pl.Expr | None, str | None, bool | None]:
    """(timestamp text expression, offset stated by a header, day-first stated by a header).

    ``fast``: the Excel-serial and day-fraction conversions (a when/then whose other branch
    formats a date for every row, ~30 % of a table's time) are left out of the expression
    for a column where no value has that form: the when/then would keep every value as it
    is, so the text is the same (tested in ``tests/test_tool_export_fast.py``). A table with a
    date and a time column (fast) has its distinct dates read once: for the serial count, and
    to see whether the date's text steps (stripping, the serial conversion, a midnight suffix)
    change any of them; if none, the column is used as it is (each row's value is one of them,
    or null, which the steps keep null). Those distinct date texts go to ``seen["dates"]``."""
    offset: str | None = None
    dayfirst: bool | None = None
    date_cols = [c for k in ("timestamp", "date") for c, _ in cols.get(k, [])]
    # (fast: whether the time column holds a day fraction, in the same query)
    time_col = cols["time"][0][0] if fast and "time" in cols and "date" in cols and "timestamp" not in cols else None
    dates = frame.get_column(date_cols[0]).drop_nulls().unique() if time_col is not None else None
    facts = _time_facts(frame, date_cols, time_col, dates) if fast else _time_facts_plain(frame, date_cols, time_col)
    serial_counts = facts[:len(date_cols)]
    has_serial = dict(zip(date_cols, (n > 0 for n in serial_counts), strict=True))

    def from_header(match: re.Match[str] | bool) -> None:
        nonlocal offset, dayfirst
        if isinstance(match, re.Match):
            gd = match.groupdict()
            if gd.get("offset"):
                sign, rest = gd["offset"][0], gd["offset"][1:]
                hh, _, mm = rest.partition(":")
                offset = f"{sign}{int(hh):02d}:{mm or '00'}"
            elif gd.get("utc"):  # a header stating UTC/GMT with no offset
                offset = "+00:00"
            order = (gd.get("order") or "").lower()
            if order:
                dayfirst = order.index("d") < order.index("m") if "d" in order and "m" in order else None

    def serial(e: pl.Expr, column: str) -> pl.Expr:
        if fast and not has_serial[column]:
            return e
        days = e.cast(pl.Float64, strict=False)
        as_dt = (pl.lit(datetime(1899, 12, 30)) + pl.duration(milliseconds=(days * 86_400_000).round(0))).dt.strftime(
            "%Y-%m-%d %H:%M:%S")
        return pl.when(e.str.contains(_EXCEL_SERIAL.pattern)).then(as_dt).otherwise(e)

    if "timestamp" in cols:
        col, match = cols["timestamp"][0]
        from_header(match)
        expr = serial(pl.col(col).str.strip_chars(), col)
    elif "date" in cols:
        dcol, dmatch = cols["date"][0]
        from_header(dmatch)
        date = serial(pl.col(dcol).str.strip_chars(), dcol)
        # a midnight time part taken off (fast: as a suffix, the same text without a regular expression)
        date = date.str.strip_suffix(" 00:00:00") if fast else date.str.replace(r" 00:00:00$", "")
        if dates is not None:  # (fast, a date and a time column) the steps on the distinct dates alone
            texts = pl.DataFrame({dcol: dates}).select(date.alias(dcol)).to_series()
            if seen is not None:
                seen["dates"] = texts
            if texts.equals(dates, null_equal=True):
                date = pl.col(dcol)
        if "time" in cols:
            tcol, _ = cols["time"][0]
            time = pl.col(tcol).str.strip_chars()
            # An Excel time cell is a day fraction.
            frac = time.cast(pl.Float64, strict=False)
            if not fast or facts[-1]:
                time = pl.when(time.str.contains(_TIME_FRACTION)).then(
                    (pl.lit(datetime(2000, 1, 1)) + pl.duration(milliseconds=(frac * 86_400_000).round(0)))
                    .dt.strftime("%H:%M:%S")
                ).otherwise(time)
            expr = pl.concat_str([date, time], separator=" ")
        else:
            expr = date
    else:
        return None, None, None
    n_serial = sum(serial_counts)
    if n_serial:
        assumptions.append(f"{where}: {n_serial} dates were Excel date cells (serial numbers): read as the wall clock shown")
    return expr, offset, dayfirst


def _time_facts_plain(frame: pl.DataFrame, date_cols: list[str], time_col: str | None) -> tuple[Any, ...]:
    """(how many values of each date column are Excel serials, then, with ``time_col``, whether
    that column holds a day fraction), row by row (the plain rule)."""
    if not date_cols and not time_col:
        return ()
    return frame.select(
        *[pl.col(c).str.strip_chars().str.contains(_EXCEL_SERIAL.pattern).fill_null(False).sum().alias(str(i))
          for i, c in enumerate(date_cols)],
        *([pl.col(time_col).str.strip_chars().str.contains(_TIME_FRACTION).any().alias("frac")] if time_col else []),
    ).row(0)


def _time_facts(frame: pl.DataFrame, date_cols: list[str], time_col: str | None,
                distinct: pl.Series | None = None) -> tuple[Any, ...]:
    """:func:`_time_facts_plain`'s answer, cheaper: a date column is first tested on its
    distinct values (a few hundred days; rows are counted only if one is a serial), and a
    time column whose every value holds a ``:`` holds no day fraction (which is digits and
    one ``.``), so the regular expression runs only where some value lacks one. ``distinct``: the
    first date column's distinct values, where the caller has them already."""
    if not date_cols and not time_col:
        return ()

    def values(i: int, c: str) -> pl.Expr:
        return pl.lit(distinct) if i == 0 and distinct is not None else pl.col(c).drop_nulls().unique()

    first = frame.select(
        *[values(i, c).str.strip_chars().str.contains(_EXCEL_SERIAL.pattern).any().alias(str(i))
          for i, c in enumerate(date_cols)],
        *([pl.col(time_col).str.contains(":", literal=True).all().alias("colon")] if time_col else []),
    ).row(0)
    if any(first[:len(date_cols)]) or (time_col and not first[-1]):
        return _time_facts_plain(frame, date_cols, time_col)
    return (*(0 for _ in date_cols), *((False,) if time_col else ()))


def _zone_groups(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The named (``(UTC+1)``) and bare (``+01:00``) offset suffixes' groups, as structs."""
    return expr.str.extract_groups(_ZONE_SUFFIX.pattern), expr.str.extract_groups(_BARE_OFFSET)


def _zone_split(expr: pl.Expr, groups: tuple[pl.Expr, pl.Expr] | None = None) -> tuple[pl.Expr, pl.Expr]:
    """'10:00:00(UTC+1)', '10:00:00 +01:00', '10:00:00Z' → (the wall-clock text, offset minutes or null).

    The offset is taken off before the format is sniffed, so the date order is decided
    on the wall-clock text alone (the shared offset formats are day-first or ISO only).
    ``groups``: :func:`_zone_groups` of ``expr`` already in columns (the fast path: an
    eager query works an expression out again for each struct field it reads).
    """
    named, bare = groups if groups is not None else _zone_groups(expr)
    sign = pl.coalesce(named.struct.field("1"), bare.struct.field("bs"))
    hh = pl.coalesce(named.struct.field("2"), bare.struct.field("bh")).cast(pl.Int32)
    mm = pl.coalesce(named.struct.field("3"), bare.struct.field("bm")).cast(pl.Int32).fill_null(0)
    is_utc = expr.str.contains(_UTC_SUFFIX.pattern)
    minutes = (
        pl.when(sign.is_not_null()).then(pl.when(sign == "-").then(-1).otherwise(1) * (hh * 60 + mm))
        .when(is_utc).then(pl.lit(0, pl.Int32))
        .otherwise(None)
    )
    text = expr.str.replace(_ZONE_SUFFIX.pattern, "").str.replace(_BARE_OFFSET, "${t}").str.replace(_UTC_SUFFIX.pattern, "")
    return text.str.strip_chars(), minutes


_NOT_AFTER_A_NAMED_ZONE: Final = ["+", "-", "T", "t", "Z", "z"]
"""Characters without which, once a named zone (``(UTC+1)``) is taken off, neither of
:func:`_zone_split`'s later replacements can match: a bare offset needs a sign, a UTC
suffix ``UTC``/``GMT``/``Z`` (any case) a ``t`` or ``z``."""


def _zone_split_named(body: pl.DataFrame, *, paren: bool = True) -> pl.DataFrame | None:
    """:func:`_zone_split` of ``_ts_raw`` into ``_ts_txt`` and ``_off`` for a table whose every
    time ends in a named zone (``10:00:00(UTC+1)``, as Cellebrite writes them), with one
    regular-expression pass over the rows instead of six; None (the caller splits the plain
    way) for any other table. Why it is the same:

    * the named zone is a suffix (its pattern ends at ``$``), so the text with it taken off
      and the suffix make up the value; the suffix read alone gives the same groups (the
      match starts where the suffix does), so the offset is worked out once per distinct
      suffix (a handful) and looked up;
    * a value a named zone ends cannot also end in a bare offset (both would need the same
      last sign, after ``UTC``/``GMT`` and after a digit at once), so the offset is the named
      zone's; a value with no named zone has an empty suffix, which sends the table the plain way;
    * once the named zone is off, the bare-offset and UTC replacements change nothing where no
      value holds :data:`_NOT_AFTER_A_NAMED_ZONE` (checked), so the wall clock is what is left,
      stripped."""
    raw = body.get_column("_ts_raw")
    at_paren = _zone_split_at_paren(body, raw) if paren else None  # (paren=False: the caller tried it)
    if at_paren is not None:
        return at_paren
    text = raw.str.replace(_ZONE_SUFFIX.pattern, "")
    if text.str.contains_any(_NOT_AFTER_A_NAMED_ZONE).any():
        return None
    suffix = pl.select(pl.lit(raw).str.strip_prefix(pl.lit(text))).to_series()  # raw is text + suffix
    distinct = suffix.drop_nulls().unique().sort()
    if not distinct.str.contains(_ZONE_SUFFIX.pattern).all():  # a value with no named zone (its suffix is empty)
        return None
    minutes = _offsets_of(suffix, distinct, distinct)
    return body.with_columns(text.str.strip_chars().alias("_ts_txt"), minutes.alias("_off"))


_FEW_SUFFIXES: Final = 8
"""Up to this many distinct zone suffixes, each row's offset is found by comparing its suffix
with each (an export has one or two: GMT and BST)."""


def _offsets_of(suffix: pl.Series, distinct: pl.Series, zones: pl.Series) -> pl.Series:
    """Each row's offset in minutes: ``suffix`` looked up among the ``distinct`` suffixes, whose
    named zones (``zones``, the written suffixes: ``(UTC+1)``) give the offsets."""
    named = pl.DataFrame({"s": zones}).select(pl.col("s").str.extract_groups(_ZONE_SUFFIX.pattern).alias("n"))
    sign = pl.col("n").struct.field("1")
    hh, mm = pl.col("n").struct.field("2").cast(pl.Int32), pl.col("n").struct.field("3").cast(pl.Int32).fill_null(0)
    per_suffix = named.select(
        pl.when(sign.is_not_null()).then(pl.when(sign == "-").then(-1).otherwise(1) * (hh * 60 + mm)).otherwise(None)
    ).to_series()
    if 0 < distinct.len() <= _FEW_SUFFIXES:  # a few equality tests, not a hash of every row
        lookup: Any = pl
        for value, off in zip(distinct.to_list(), per_suffix.to_list(), strict=True):
            lookup = lookup.when(pl.col("s") == value).then(pl.lit(off, per_suffix.dtype))
        return pl.DataFrame({"s": suffix}).select(lookup.otherwise(pl.lit(None, per_suffix.dtype))).to_series()
    return suffix.replace_strict(distinct, per_suffix, default=None, return_dtype=per_suffix.dtype)


def _zone_split_at_paren(body: pl.DataFrame, raw: pl.Series) -> pl.DataFrame | None:
    r""":func:`_zone_split_named`'s answer without a regular expression over the rows, for a table
    whose every time holds a ``(`` from which on it is a named zone (``10:00:00(UTC+1)``); None
    (the two-pass split decides) for any other. Each value is cut once at its first ``(``; the
    distinct parts after it (a handful) are checked to be whole named zones. Why it is the same:

    * the zone pattern can take a ``(`` only at its optional ``\(?`` just before ``UTC``/``GMT``,
      so no match starts before the first ``(`` but over the whitespace right before it: the
      pattern's match is that whitespace and the rest of the value, when the rest from the ``(``
      is a whole match (the distinct rests are checked: the pattern takes all of each);
    * the text left is then the part before the ``(`` without trailing whitespace, so stripped it
      is the part before the ``(`` stripped (the pattern's ``\s`` and stripping are both Unicode
      White_Space), and it holds :data:`_NOT_AFTER_A_NAMED_ZONE` exactly where the part does;
    * the offset is read from the zone alone, as from the suffix with its whitespace (the
      pattern's leading ``\s*`` takes it)."""
    parts = raw.str.splitn("(", 2)  # (the rest kept whole: split_exact would cut it at a second "(")
    head, rest = parts.struct.field("field_0"), parts.struct.field("field_1")
    if rest.null_count() != raw.null_count():  # some value holds no "("
        return None
    distinct = rest.drop_nulls().unique().sort()
    zones = pl.select(pl.lit("(") + pl.lit(distinct)).to_series()
    if not (zones.str.replace(_ZONE_SUFFIX.pattern, "") == "").all():  # some rest is not a whole named zone
        return None
    if head.str.contains_any(_NOT_AFTER_A_NAMED_ZONE).any():
        return None
    return body.with_columns(head.str.strip_chars().alias("_ts_txt"), _offsets_of(rest, distinct, zones).alias("_off"))


def _vocab(expr: pl.Expr, vocab: dict[str, Any], part: int | None) -> pl.Expr:
    keys = list(vocab)
    vals = [(v[part] if isinstance(v, list) else v) if part is not None else v for v in vocab.values()]
    vals = [v or None for v in vals]
    return expr.str.strip_chars().str.to_lowercase().replace_strict(keys, vals, default=None, return_dtype=pl.String)


def _columns(frame: pl.DataFrame, table: Table) -> dict[str, list[tuple[str, re.Match[str] | bool]]]:
    """Target → the frame's columns the template maps to it (``frame`` starts at its header row)."""
    headers = [("" if v is None else str(v)) for v in frame.row(0)]
    cols: dict[str, list[tuple[str, re.Match[str] | bool]]] = {}
    for name, header in zip(frame.columns, headers, strict=True):
        h = _norm(header)
        for c in table.columns:
            match = c.matches(h)
            if match:
                cols.setdefault(c.target, []).append((name, match))
                break
    return cols


PHONE_TARGETS: Final = ("party", "from", "to", "parties", "phone")
"""Template targets whose cells hold phone numbers (a party of a call or message, a card's numbers)."""


def _phone_numbers(frame: pl.DataFrame, table: Table) -> set[str]:
    """The distinct phone numbers a table's party and number columns write, as written (no
    repair): what the region is decided from, before any rule that depends on it."""
    cols = _columns(frame, table)
    found: set[str] = set()
    for target in PHONE_TARGETS:
        for name, _ in cols.get(target, []):
            for cell in frame.get_column(name).slice(1).drop_nulls().unique().to_list():
                for part in re.split(r"[\n;]", str(cell)):
                    part = re.sub(r"(?i)^[\w ]{1,20}:\s*", "", part.strip()) if ":" in part and "@" not in part else part.strip()
                    ident = _ident_of(re.sub(r"^(\d+)\.0+$", r"\1", part))[0] if part else None
                    if ident and ident.startswith("phone:"):
                        found.add(ident[6:])
    return found


def _region(tables: list[tuple[pl.DataFrame, Table]], ctx: ParseContext, assumptions: list[str]) -> str | None:
    """The country of the export's national numbers, from the numbers it holds (the shared
    rule, :func:`atlas.normalise.region.choose_region`), stated; None when it holds none.

    Decided before anything reads the numbers: the lost-zero repair (a GB rule) must not
    turn a foreign handset's numbers into British ones, and the numbers it would repair
    are read as written here."""
    numbers: set[str] = set()
    for frame, table in tables:
        numbers |= _phone_numbers(frame, table)
    if not numbers:
        return None
    choice = choose_region(RegionEvidence(numbers=tuple(sorted(numbers))), default=ctx.region,
                           instructed=ctx.region_instructed)
    assumptions.append(choice.assumption)
    return choice.region


def _offset_and_format(body: pl.DataFrame, offset: str | None, dayfirst_header: bool | None, where: str,
                       ctx: ParseContext, assumptions: list[str], readings: Readings | None = None,
                       dated: bool = False) -> tuple[pl.DataFrame, DateFormat]:
    """The header's stated UTC offset filled into ``_off`` where the text gave none, and the
    date format sniffed from ``_ts_txt`` (the header's day/month order winning), each with
    its assumption: the one step the plain rule and the fast path share. ``dated``: the caller has
    proved that every wall-clock text holds a date (:func:`_every_text_dated`), so none is filtered
    out (the sniff drops the nulls itself)."""
    if offset:
        sign = -1 if offset.startswith("-") else 1
        hh, _, mm = offset[1:].partition(":")
        body = body.with_columns(pl.col("_off").fill_null(sign * (int(hh) * 60 + int(mm or 0))))
        assumptions.append(f"{where}: times are at UTC{offset}, as the column header states")
    dayfirst = dayfirst_header if dayfirst_header is not None else ctx.dayfirst
    txt = body.get_column("_ts_txt")
    candidates = txt if dated else txt.filter(txt.str.contains(_LOOKS_LIKE_DATE).fill_null(False))
    try:
        fmt = sniff_datetime_format(candidates, dayfirst=dayfirst, what=f"{where} timestamps", readings=readings)
    except AtlasError as exc:
        raise FormatError(f"{ctx.path}: {exc}") from exc
    if fmt.assumption and dayfirst_header is not None:
        assumptions.append(f"{where}: dates read {'day' if dayfirst_header else 'month'}-first, as the column header states")
    elif fmt.assumption:
        assumptions.append(fmt.assumption)
    return body, fmt


def _row_refs(sheet: str | None, first_excel_row: int) -> pl.Expr:
    """Each body row's ``source_ref``: ``[SHEET ]row N``, the sheet's name by :func:`quoted_name` (so
    sheets named ``Calls`` and `` Calls`` never give one exhibit reference), N the row as the
    spreadsheet shows it. The name is a literal, never a format string (a sheet may be named ``{}``)."""
    prefix = f"{quoted_name(sheet)} row " if sheet else "row "
    return pl.concat_str([pl.lit(prefix), (pl.col("_i") + first_excel_row).cast(pl.String)])


def _table_events_plain(frame: pl.DataFrame, first_row: int, table: Table, sheet: str | None, ctx: ParseContext,
                  assumptions: list[str]) -> tuple[pl.DataFrame, pl.DataFrame, int, pl.DataFrame]:
    """Events of one table; ``frame`` starts at its header row, which is spreadsheet row ``first_row``.

    The plain rule: every step on every row. The parser runs :func:`_table_events_fast`,
    tested equal to this on every tool-export fixture and sample (tests/test_tool_export_fast.py)."""
    header_row = 0
    cols = _columns(frame, table)
    first_excel_row = first_row + 1  # the row after the header, as the spreadsheet shows it
    body = frame.slice(header_row + 1).with_row_index("_i")
    used = [n for targets in cols.values() for n, _ in targets]
    body = body.filter(pl.any_horizontal(pl.col(c).str.strip_chars().fill_null("") != "" for c in used)) if used else body
    where = f"sheet {sheet!r}" if sheet else "file"
    ref = _row_refs(sheet, first_excel_row)
    n = body.height
    assumptions.append(f"{where}: read as the {table.label} template ({n} rows, header on row {first_row})")

    def text_of(target: str) -> pl.Expr:
        if target not in cols:
            return pl.lit(None, pl.String)
        return pl.col(cols[target][0][0]).str.strip_chars()

    def all_of(target: str) -> list[pl.Expr]:
        return [pl.col(c) for c, _ in cols.get(target, [])]

    if table.kind == "contacts":
        return _contacts(body, ref, table, all_of, text_of, ctx, assumptions, where)

    ts_text, offset, dayfirst_header = _time_strings(body, cols, assumptions, where)
    if ts_text is None:
        raise FormatError(f"{ctx.path}: {where}: the {table.label} template maps no date/time column")
    # the raw text is built once, then split (built inside each use, it was worked out again for each)
    body = body.with_columns(ts_text.alias("_ts_raw"))
    wall, minutes = _zone_split(pl.col("_ts_raw"))
    body = body.with_columns(wall.alias("_ts_txt"), minutes.alias("_off"))
    body, fmt = _offset_and_format(body, offset, dayfirst_header, where, ctx, assumptions)
    if fmt.has_offset:  # an offset the zone split did not recognise: the sniffer read it
        parsed_utc = parse_datetimes(pl.col("_ts_txt"), fmt)
        body = body.with_columns(parsed_utc.alias("ts_utc"), pl.lit(None, pl.Datetime("us")).alias("ts_local"))
    else:
        naive = parse_datetimes(pl.col("_ts_txt"), fmt)
        body = body.with_columns(
            pl.when(pl.col("_off").is_not_null())
            .then((naive - pl.duration(minutes=pl.col("_off"))).dt.replace_time_zone("UTC"))
            .otherwise(None).alias("ts_utc"),
            pl.when(pl.col("_off").is_null()).then(naive).otherwise(None).alias("ts_local"),
        )
    bad = body.filter(pl.col("ts_utc").is_null() & pl.col("ts_local").is_null())
    rejects = bad.select(pl.lit(ctx.source_id).alias("source_id"), ref.alias("source_ref"),
                         pl.lit(f"timestamp not readable as {fmt.fmt}").alias("reason"),
                         pl.col("_ts_raw").fill_null("").str.slice(0, 120).alias("excerpt"))
    body = body.filter(pl.col("ts_utc").is_not_null() | pl.col("ts_local").is_not_null())

    # what each row means (direction, status, parties, the owner's side, duration, channel): the
    # one rule, :func:`_row_meaning`, applied here row by row; the fast path applies it once per
    # distinct combination of the same cells and joins it back
    keys = _key_columns(cols)
    derived, fixed = _row_meaning(body.select(*keys, pl.repeat(1, body.height, dtype=pl.UInt32).alias("_n")), cols,
                                  table, ctx, assumptions, where, text_of)
    if fixed:
        assumptions.append(f"{where}: {fixed} numbers had lost their leading 0 (stored as Excel numbers): "
                           "restored by the stated rule")
    body = body.with_columns(derived.drop(keys).get_columns())
    return _final_events(body, ref, table, cols, text_of, rejects, n)


def _table_events_fast(frame: pl.DataFrame, first_row: int, table: Table, sheet: str | None, ctx: ParseContext,
                  assumptions: list[str]) -> tuple[pl.DataFrame, pl.DataFrame, int, pl.DataFrame]:
    """:func:`_table_events_plain`'s events, rejects and assumptions, computed faster.

    Everything after the times (direction, status, parties, the owner's side, duration,
    channel) is a row-wise function of a few low-cardinality cells (the party, folder,
    status, type, duration and app columns): it is worked out once per distinct
    combination of those cells, by the plain rule's own expressions, and joined back onto
    the rows. The counts the assumptions state (numbers repaired) are weighted by how many
    rows share each combination, so they are the plain rule's counts."""
    cols = _columns(frame, table)
    keys = _key_columns(cols)
    if table.kind == "contacts" or not keys:  # contact cards are read per row; nothing to share
        return _table_events_plain(frame, first_row, table, sheet, ctx, assumptions)
    header_row = 0
    first_excel_row = first_row + 1  # the row after the header, as the spreadsheet shows it
    body = frame.slice(header_row + 1).with_row_index("_i")
    used = [n for targets in cols.values() for n, _ in targets]
    # the plain rule's blank-row filter, skipped when the first mapped column alone shows no row is blank
    if used and not body.select((pl.col(used[0]).str.strip_chars().fill_null("") != "").all()).item():
        body = body.filter(pl.any_horizontal(pl.col(c).str.strip_chars().fill_null("") != "" for c in used))
    where = f"sheet {sheet!r}" if sheet else "file"
    ref = _row_refs(sheet, first_excel_row)
    n = body.height
    assumptions.append(f"{where}: read as the {table.label} template ({n} rows, header on row {first_row})")

    def text_of(target: str) -> pl.Expr:
        if target not in cols:
            return pl.lit(None, pl.String)
        return pl.col(cols[target][0][0]).str.strip_chars()

    seen: dict[str, pl.Series] = {}
    ts_text, offset, dayfirst_header = _time_strings(body, cols, assumptions, where, fast=True, seen=seen)
    if ts_text is None:
        raise FormatError(f"{ctx.path}: {where}: the {table.label} template maps no date/time column")
    # the raw text is built once, then split (built inside each use, it was worked out again for each)
    body = body.with_columns(ts_text.alias("_ts_raw"))
    split = _zone_split_at_paren(body, body.get_column("_ts_raw"))
    dated = split is not None and "dates" in seen and _every_text_dated(seen["dates"])
    split = split if split is not None else _zone_split_named(body, paren=False)
    if split is not None:
        body = split
    else:
        named, bare = _zone_groups(pl.col("_ts_raw"))
        body = body.with_columns(named.alias("_zone_named"), bare.alias("_zone_bare"))
        wall, minutes = _zone_split(pl.col("_ts_raw"), (pl.col("_zone_named"), pl.col("_zone_bare")))
        body = body.with_columns(wall.alias("_ts_txt"), minutes.alias("_off")).drop("_zone_named", "_zone_bare")
    readings = Readings()
    body, fmt = _offset_and_format(body, offset, dayfirst_header, where, ctx, assumptions, readings, dated)
    # parse_datetimes(_ts_txt, fmt), read by to_datetimes (the same values, faster for a format with %.f)
    # (``_ts_txt`` is stripped by either zone split: stripping it again would change nothing), or
    # the sniff's own reading where it read exactly these values with that format (Readings.of)
    parsed = readings.of(body.get_column("_ts_txt"), fmt)
    if fmt.has_offset:  # an offset the zone split did not recognise: the sniffer read it
        body = body.with_columns(parsed.alias("ts_utc"), pl.lit(None, pl.Datetime("us")).alias("ts_local"))
    else:  # the wall clock parsed once into a column (each of the two uses below parsed it again)
        body = body.with_columns(parsed.alias("_naive"))
        naive = pl.col("_naive")
        body = body.with_columns(
            pl.when(pl.col("_off").is_not_null())
            .then((naive - pl.duration(minutes=pl.col("_off"))).dt.replace_time_zone("UTC"))
            .otherwise(None).alias("ts_utc"),
            pl.when(pl.col("_off").is_null()).then(naive).otherwise(None).alias("ts_local"),
        ).drop("_naive")
    bad = body.filter(pl.col("ts_utc").is_null() & pl.col("ts_local").is_null())
    rejects = bad.select(pl.lit(ctx.source_id).alias("source_id"), ref.alias("source_ref"),
                         pl.lit(f"timestamp not readable as {fmt.fmt}").alias("reason"),
                         pl.col("_ts_raw").fill_null("").str.slice(0, 120).alias("excerpt"))
    if bad.height:  # a filter that keeps every row is the frame itself
        body = body.filter(pl.col("ts_utc").is_not_null() | pl.col("ts_local").is_not_null())
    # each distinct combination with the rows that have it, in order of first appearance
    grouped = body.select(keys).with_row_index("_row").group_by(keys, maintain_order=True).agg(
        pl.col("_row"), pl.len().alias("_n"))
    derived, fixed = _row_meaning(grouped.select(*keys, "_n"), cols, table, ctx, assumptions, where, text_of)
    if fixed:
        assumptions.append(f"{where}: {fixed} numbers had lost their leading 0 (stored as Excel numbers): "
                           "restored by the stated rule")
    # each row's combination, put back by position (what a join on the key cells, nulls equal, gives)
    group_of = np.empty(body.height, dtype=np.uint32)
    group_of[grouped.get_column("_row").explode().to_numpy()] = np.repeat(
        np.arange(grouped.height, dtype=np.uint32), grouped.get_column("_n").to_numpy())
    body = body.hstack(derived.drop(keys)[pl.Series(group_of)].get_columns())
    return _final_events(body, ref, table, cols, text_of, rejects, n)


def _every_text_dated(dates: pl.Series) -> bool:
    """Whether every wall-clock text of a table holds a date (:data:`_LOOKS_LIKE_DATE`), proved from
    its distinct date texts (``dates``, a date and a time column) for a table whose times were
    cut at their first ``(`` (:func:`_zone_split_at_paren`): each row's text is its date text, a
    space and its time text, cut at the first ``(`` and stripped. When no date text holds a ``(``,
    the cut falls in the time's part, and stripping takes off whitespace only, so the text holds
    its date text whole, and with it the date's match, which begins and ends with a letter or
    digit. A row with no date or no time has no text (null), which the sniff drops."""
    return bool(dates.len()) and not dates.str.contains("(", literal=True).any() and bool(
        dates.str.contains(_LOOKS_LIKE_DATE).all())


def _key_columns(cols: dict[str, list[tuple[str, re.Match[str] | bool]]]) -> list[str]:
    """The columns everything after the times is a row-wise function of (see :func:`_table_events_fast`)."""
    keys: list[str] = []
    for target in ("call_type", "folder", "direction", "status", "party", "party_name", "from", "to", "parties",
                   "duration", "app"):
        for name, _ in cols.get(target, []):
            if name not in keys:
                keys.append(name)
    return keys


def _row_meaning(body: pl.DataFrame, cols: dict[str, list[tuple[str, re.Match[str] | bool]]], table: Table,
                 ctx: ParseContext, assumptions: list[str], where: str, text_of: Any) -> tuple[pl.DataFrame, int]:
    """The plain rule's direction, status, sender, recipients, duration and channel of each
    distinct combination of key cells (``body``: those cells and ``_n``, the rows sharing
    them), and how many rows' numbers the lost-zero rule repaired."""
    original = body.select(pl.exclude("_n"))
    fixed = 0
    # direction and status, from whichever words the layout has
    v = table.values
    dir_exprs, status_exprs = [], []
    unknown: list[str] = []
    for target, vocab, part_dir, part_status in (("call_type", "call_type", 0, 1), ("folder", "folder", 0, 1),
                                                 ("direction", "direction", None, None), ("status", "status", None, None)):
        if target not in cols:
            continue
        words = text_of(target)
        if target == "direction":
            dir_exprs.append(_vocab(words, v["direction"], None))
        elif target == "status":
            status_exprs.append(_vocab(words, v["status"], None))
        else:
            dir_exprs.append(_vocab(words, v[vocab], part_dir))
            status_exprs.append(_vocab(words, v[vocab], part_status))
        seen = body.select(words.alias("w")).get_column("w").drop_nulls().unique().to_list()
        unknown += [f"{target} {w!r}" for w in sorted(seen) if w and w.lower() not in v[vocab]]
    if unknown:
        assumptions.append(f"{where}: words not recognised (direction/status left open): {', '.join(unknown)}")
    direction = pl.coalesce(dir_exprs) if dir_exprs else pl.lit(None, pl.String)
    # A not-a-contact folder (draft, outbox …) wins over a plain status word.
    status_list = status_exprs[::-1] if len(status_exprs) > 1 else status_exprs
    status = pl.coalesce(status_list) if status_list else pl.lit(None, pl.String)
    if len(status_exprs) > 1:
        folder_status = status_exprs[0]
        status = pl.when(folder_status.is_in(["draft", "outbox", "failed", "queued", "unsent"])).then(folder_status).otherwise(status)
    body = body.with_columns(direction.alias("direction"), status.alias("status"))

    # parties: identifiers parsed once per distinct cell, joined back
    party_cols = [c for t in ("party", "from", "to", "parties") for c, _ in cols.get(t, [])]
    repair = lambda e: _lost_zero(e, ctx.region)  # noqa: E731
    before = body.select([pl.col(c).alias(c) for c in party_cols]) if party_cols else None
    body = body.with_columns([repair(pl.col(c).str.strip_chars()).alias(c) for c in party_cols])
    if before is not None:
        fixed = sum(int(((before.get_column(c).str.strip_chars().fill_null("") != body.get_column(c).fill_null(""))
                         * body.get_column("_n")).sum()) for c in party_cols)
    distinct: set[str] = set()
    for col_name in party_cols if "parties" not in cols else ():  # a parties layout reads its lines below instead
        distinct |= set(body.get_column(col_name).drop_nulls().to_list())
    parsed_ids = {cell: _ident_of(cell) for cell in distinct}
    keys = pl.Series(list(parsed_ids), dtype=pl.String)

    def ident(expr: pl.Expr) -> pl.Expr:
        return expr.replace_strict(keys, pl.Series([p[0] for p in parsed_ids.values()], dtype=pl.String), default=None)

    def ident_list(expr: pl.Expr) -> pl.Expr:
        return expr.str.split(";").list.eval(pl.element().str.strip_chars()).list.eval(
            pl.element().replace_strict(
                pl.Series([k for k in parsed_ids], dtype=pl.String),
                pl.Series([p[0] for p in parsed_ids.values()], dtype=pl.String), default=None)).list.drop_nulls()

    if "parties" in cols:  # "From: +44… Dan\nTo: +44… Ali": split the lines, then parse each one
        pc = cols["parties"][0][0]
        lines = pl.col(pc).str.split("\n").list.eval(pl.element().str.strip_chars()).list.filter(pl.element() != "")
        role = r"(?i)^(from|to|cc|bcc)\s*:\s*"
        line_vals = body.select(lines.alias("l")).get_column("l").explode().drop_nulls().unique().to_list()
        stripped = {ln: re.sub(role, "", ln) for ln in line_vals}
        line_ids = {ln: _ident_of(s)[0] for ln, s in stripped.items()}
        lk = pl.Series(list(line_ids), dtype=pl.String)
        lv = pl.Series(list(line_ids.values()), dtype=pl.String)
        froms = lines.list.filter(pl.element().str.contains(r"(?i)^from\s*:")).list.eval(
            pl.element().replace_strict(lk, lv, default=None))
        tos = lines.list.filter(pl.element().str.contains(r"(?i)^(to|cc|bcc)\s*:")).list.eval(
            pl.element().replace_strict(lk, lv, default=None))
        body = body.with_columns(froms.list.first().alias("sender"), tos.list.drop_nulls().alias("recipients"))
    else:
        sender = ident(text_of("from")) if "from" in cols else pl.lit(None, pl.String)
        recips = ident_list(text_of("to")) if "to" in cols else pl.lit([], pl.List(pl.String))
        if "party" in cols:
            party = ident(text_of("party"))
            if "party_name" in cols:  # a name only where there is no number
                party = pl.coalesce(party, pl.concat_str([pl.lit("name:"), text_of("party_name")]))
            sender = pl.when(pl.col("direction") == "in").then(party).otherwise(sender)
            recips = pl.when(pl.col("direction") == "out").then(pl.concat_list(party).list.drop_nulls()).otherwise(recips)
        body = body.with_columns(sender.alias("sender"), recips.alias("recipients"))
    if ctx.owner:
        body = body.with_columns(
            pl.when((pl.col("direction") == "out") & pl.col("sender").is_null()).then(pl.lit(ctx.owner))
            .otherwise(pl.col("sender")).alias("sender"),
            pl.when((pl.col("direction") == "in") & (pl.col("recipients").list.len() == 0))
            .then(pl.concat_list(pl.lit(ctx.owner))).otherwise(pl.col("recipients")).alias("recipients"),
        )

    dur = text_of("duration")
    hms = dur.str.extract_groups(r"^(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,]\d+)?$")
    duration = pl.when(dur.str.contains(r"^\d+(?:[.,]0+)?$")).then(dur.str.replace(r"[.,]0+$", "").cast(pl.Int64, strict=False)).otherwise(
        hms.struct.field("1").cast(pl.Int64).fill_null(0) * 3600 + hms.struct.field("2").cast(pl.Int64) * 60
        + hms.struct.field("3").cast(pl.Int64))
    kind = KINDS[table.kind]
    app = text_of("app")
    app_values = body.select(app.alias("a")).get_column("a").drop_nulls().unique().to_list()
    app_map = {a: channel_of(a, table.channel) for a in app_values}
    channel = app.replace_strict(pl.Series(list(app_map), dtype=pl.String),
                                 pl.Series(list(app_map.values()), dtype=pl.String), default=table.channel) if app_map \
        else pl.lit(table.channel)
    if kind == "call":
        channel = pl.when(channel == "sms").then(pl.lit("voice")).otherwise(channel)
    body = body.with_columns(duration.alias("duration_s"), channel.alias("channel"))
    return original.hstack(_as_uris(body.select("direction", "status", "sender", "recipients", "duration_s", "channel"),
                                    ctx)), fixed


def _as_uris(frame: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
    """``frame``'s ``sender`` and ``recipients`` as identifier URIs when the caller asked for them
    (``ctx.convert_identifiers``, which :func:`parse` leaves set only once the region is decided):
    each distinct value converted once by the shared :func:`identifier_map`, with the region the
    ingest then normalises with (the parser's, upper case), as the normaliser would convert it,
    row for row (:attr:`ParseResult.identifiers_are_uris`; tested in ``tests/test_tool_export_fast.py``).
    The fast path converts its few hundred distinct combinations of cells, not every row."""
    if not ctx.convert_identifiers or frame.height == 0:
        return frame
    raw = pl.concat([frame.get_column("sender"), frame.get_column("recipients").explode()]).rename("raw")
    mapping = identifier_map(raw, source_id=ctx.source_id, region=ctx.region.upper())
    if mapping.height == 0:
        return frame
    keys, values = mapping.get_column("raw"), mapping.get_column("uri")
    return frame.with_columns(
        pl.col("sender").replace_strict(keys, values, default=None),
        pl.col("recipients").list.eval(pl.element().replace_strict(keys, values, default=None)),
    )


def _final_events(body: pl.DataFrame, ref: pl.Expr, table: Table, cols: dict[str, list[tuple[str, re.Match[str] | bool]]],
                  text_of: Any, rejects: pl.DataFrame, n: int) -> tuple[pl.DataFrame, pl.DataFrame, int, pl.DataFrame]:
    """The event columns of the plain rule's last step, from ``body`` carrying the derived columns."""
    kind = KINDS[table.kind]
    channel = pl.col("channel")
    text = text_of("text")
    if "subject" in cols:
        text = pl.when(text_of("subject").is_not_null()).then(pl.concat_str([text_of("subject"), text], separator="\n",
                                                                             ignore_nulls=True)).otherwise(text)
    attachments = (text_of("attachments").str.split(r";").list.eval(pl.element().str.strip_chars())
                   .list.filter(pl.element() != "") if "attachments" in cols else pl.lit([], pl.List(pl.String)))
    deleted = text_of("deleted").str.to_lowercase().is_in(list(_TRUE)).fill_null(False)
    end = pl.duration(seconds=pl.col("duration_s"))
    events = body.select(
        ref.alias("source_ref"),
        pl.lit(kind).alias("kind"),
        channel.alias("channel"),
        "ts_utc", "ts_local",
        pl.when(pl.col("duration_s") > 0).then(pl.col("ts_utc") + end).otherwise(None).alias("ts_end_utc"),
        pl.when(pl.col("duration_s") > 0).then(pl.col("ts_local") + end).otherwise(None).alias("ts_end_local"),
        pl.when(pl.col("ts_utc").is_not_null()).then(pl.lit("offset")).otherwise(None).alias("ts_basis"),
        pl.col("_ts_raw").alias("ts_raw"),
        "direction", "sender", "recipients",
        (pl.when((pl.lit(kind) == "call") & pl.col("status").is_null() & (pl.col("duration_s") > 0))
         .then(pl.lit("answered")).otherwise(pl.col("status")) if kind == "call" else pl.col("status")).alias("status"),
        (pl.col("duration_s") if kind == "call" else pl.lit(None, pl.Int64)).alias("duration_s"),
        text.alias("text"),
        attachments.alias("attachments"),
        deleted.alias("deleted"),
    )
    return events, rejects, n, pl.DataFrame(schema=IDENTITY_EVIDENCE_SCHEMA)


def _contacts(body: pl.DataFrame, ref: pl.Expr, table: Table, all_of: Any, text_of: Any, ctx: ParseContext,
              assumptions: list[str], where: str) -> tuple[pl.DataFrame, pl.DataFrame, int, pl.DataFrame]:
    """Contact rows → ``contact`` events and contact-card identity evidence (small tables: per row)."""
    refs = body.select(ref.alias("r")).get_column("r").to_list()
    names = body.select(text_of("name").alias("n")).get_column("n").to_list()
    cells: dict[str, list[list[str | None]]] = {}
    for target in ("phone", "email", "account"):
        cells[target] = [body.select(e.alias("x")).get_column("x").to_list() for e in all_of(target)]
    rows, evidence = [], []
    for i, r in enumerate(refs):
        ids: list[str] = []
        for target, columns in cells.items():
            for col in columns:
                for part in re.split(r"[\n;]", col[i] or ""):
                    part = re.sub(r"(?i)^[\w ]{1,20}:\s*", "", part.strip()) if ":" in part and "@" not in part else part.strip()
                    if not part:
                        continue
                    if target == "phone":
                        part = re.sub(r"^(\d+)\.0+$", r"\1", part)
                        if ctx.region.upper() == "GB" and re.fullmatch(r"[127]\d{9}", part):
                            part = "0" + part
                    ident = (_ident_of(part)[0] if target == "phone" else f"email:{part}" if target == "email"
                             else f"account:{table.channel}:{part}")
                    if ident and ident not in ids and not ident.startswith("name:"):
                        ids.append(ident)
        name = names[i]
        rows.append({"source_ref": r, "kind": "contact", "channel": table.channel, "sender": f"name:{name}" if name else None,
                     "recipients": ids, "text": name})
        card = ([f"name:{name}"] if name else []) + ids
        for other in card[1:]:
            evidence.append({"source_id": ctx.source_id, "source_ref": r, "basis": "contact-card", "identifier": card[0],
                             "related": other, "detail": f"contact card {name!r} in the exported contacts lists both"})
    events = _as_uris(pl.DataFrame(rows, schema={"source_ref": pl.String, "kind": pl.String, "channel": pl.String,
                                                 "sender": pl.String, "recipients": pl.List(pl.String),
                                                 "text": pl.String}), ctx)
    ev = pl.DataFrame(evidence, schema=IDENTITY_EVIDENCE_SCHEMA) if evidence else pl.DataFrame(schema=IDENTITY_EVIDENCE_SCHEMA)
    return events, pl.DataFrame(schema=REJECT_SCHEMA), len(rows), ev


PARALLEL_MIN_ROWS: Final = 200_000
"""Rows (all tables together) from which the tables of one workbook are read in threads.
Below it they are read in turn: two threads' Polars work contends for Polars' own thread
pool, which costs CPU (69,000 rows: 0.344 CPU-s in threads against 0.332 in turn, best of 13
interleaved, load 10) and on a busy machine wall time too (0.57 against 0.43 s); only with a
second core idle do they save wall time (not measured idle at this size this session)."""

TableEvents = tuple[pl.DataFrame, pl.DataFrame, int, pl.DataFrame]


def _every_table(matched: list[tuple[Sheet, Table, int, pl.DataFrame]],
                 ctx: ParseContext) -> list[tuple[TableEvents, list[str]]]:
    """Each matched table's events and its own assumptions, in the tables' order.

    A workbook's tables (SMS, calls …) are independent, and Polars does its work outside
    Python's lock, so a big workbook's tables are read in threads (one a core): less wall
    time, the same CPU time and the same results, put together in the same order (the
    first table's error, if any, is the one raised, as when they are read in turn)."""
    def one(item: tuple[Sheet, Table, int, pl.DataFrame]) -> tuple[TableEvents, list[str]]:
        sheet, table, header_row, frame = item
        notes: list[str] = []
        return _table_events_fast(frame, sheet.first_row + header_row, table,
                                  sheet.name if sheet.csv is None else None, ctx, notes), notes

    workers = min(len(matched), os.cpu_count() or 1)
    if workers < 2 or sum(frame.height for *_, frame in matched) < PARALLEL_MIN_ROWS:
        return [one(item) for item in matched]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(one, item) for item in matched]
        return [future.result() for future in futures]


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    templates = _templates(ctx)
    sheets = read_sheets(path)
    assumptions: list[str] = [n for sheet in sheets for n in sheet.notes()]
    events, rejects, evidence = [], [], []
    read = 0
    unmatched: list[str] = []
    nearest: list[str] = []
    matched: list[tuple[Sheet, Table, int, pl.DataFrame]] = []
    for sheet in sheets:
        head = sheet.rows[:HEADER_SCAN_ROWS]
        found = _best(templates, head)
        proposal = None if found is not None or ctx.options.get("map") else propose(sheet.rows, shared_values())
        if proposal is not None and proposal.ok:
            found = (proposal.table(shared_values()), proposal.header_row)
            where = f"sheet {sheet.name!r}" if sheet.csv is None else "file"
            assumptions.append(
                f"{where}: no template fits: columns mapped by meaning ({MEANING_VOCABULARY.name}), read as "
                f"{proposal.kind}: {proposal.describe()}"
                + (f"; not read: {quoted_list(proposal.unread)}" if proposal.unread else ""))
        if found is None:
            seen = next((r for r in head if any(c.strip() for c in r)), [])
            unmatched.append(f"{quoted(sheet.name)} (headers seen: {quoted_list(c for c in seen if c.strip())})")
            nearest.append(_nearest(templates, head) + (
                f"; by meaning not certain: {'; '.join(proposal.problems)} (best partial mapping: "
                f"{proposal.describe() or 'none'})" if proposal is not None else ""))
            continue
        table, header_row = found
        matched.append((sheet, table, header_row, sheet.frame(header_row)))
    region = _region([(frame, table) for _, table, _, frame in matched], ctx, assumptions)
    # identifiers as URIs (ctx.convert_identifiers) only with the region the ingest will use: the parser's
    ctx = replace(ctx, region=region) if region is not None else replace(ctx, convert_identifiers=False)
    for (ev, rj, n, evd), notes in _every_table(matched, ctx):
        assumptions += notes
        events.append(ev)
        rejects.append(rj)
        evidence.append(evd)
        read += n
    if not events:
        source = "--map file" if ctx.options.get("map") else "built-in templates (parsers/templates/tool_exports.toml)"
        raise FormatError(
            f"{path}: no table matches a tool-export template ({source}). Tables: {'; '.join(unmatched)}. "
            f"Nearest: {'; '.join(nearest)}. Write a --map file of the same shape for this layout."
        )
    too_long, n_long = long_line_rejects([sheet for sheet, *_ in matched], ctx.source_id)  # read as blank lines
    assumptions += long_line_notes([sheet for sheet, *_ in matched])
    assumptions += read_notes([sheet for sheet, *_ in matched])  # (the heads' notes came first, above)
    if n_long:
        rejects.append(too_long)
        read += n_long
    if unmatched:
        assumptions.append(f"tables not matching any template, not read: {'; '.join(unmatched)}")
    # one chunk a column: the tables' columns come out of the concatenation unaligned (a
    # column missing from a table is one chunk, the others one a table), and the
    # normaliser's first query would copy them all (the same values either way)
    out = pl.concat(events, how="diagonal_relaxed").rechunk()
    return ParseResult(
        events=out, rejects=pl.concat(rejects).cast(REJECT_SCHEMA), records_read=read,
        assumptions=assumptions, evidence=pl.concat(evidence), region=region,
        # ``[SHEET ]row N``: one table a sheet, N its distinct rows, and a ref splits back
        # into its sheet and row at its last " row " (N is digits), so distinct sheets give
        # distinct refs (quoted_name keeps them distinct once trimmed too; the normaliser's
        # duplicate check is then skipped)
        refs_unique=len({sheet.name for sheet, *_ in matched}) == len(matched),
        identifiers_are_uris=ctx.convert_identifiers,
    )
