"""Call data records (CDRs) returned by UK communications providers, CSV or XLSX.

A CDR return lists the network events of one *target* number (the subject MSISDN of
the request): voice calls, SMS, MMS, data sessions, voicemail deposits and call
forwards, each with the other party, a network time, duration, the serving cells
and the handset (IMEI) and SIM (IMSI) in use.

Format notes, and where they come from:

* Layouts differ between providers and change over time (column names such as
  "Calling/Called Number", "A Party/B Party", "Originating/Terminating", "MSISDN/Other
  Party"; one "Start Date Time" column or separate date and time; dd/mm/yyyy, ISO or
  dd-MMM-yy; UTC or UK local time; duration as seconds or hh:mm:ss). Columns are
  therefore mapped **by header name** through templates in the readable data file
  ``parsers/templates/cdr_templates.toml`` (see its header), and ``--map FILE`` adds a
  template of the same shape for a new layout. Headers that fit no template are mapped
  **by meaning** (:mod:`parsers._cdr_meaning`, vocabulary in
  ``parsers/templates/cdr_vocabulary.toml``: header names, units and zones written in the
  headers, checks of a sample of values); an unambiguous mapping is read exactly as a
  template would be, printed and recorded on the source, and ``atlas map FILE`` writes it
  as a template to review. An ambiguous one is a clear error listing the headers seen,
  the nearest template and the best partial mapping.
* Cell ids written in hexadecimal (``cell_ids = "hex"``, or a header saying "hex", or hex
  letters in the values when mapped by meaning) are read as decimal, as cell-site lists
  give them. A call-forwarding target (``forwarded_to``, the C party) is kept in the
  ``cdr`` table and said in the event's text. (Layouts follow the
  fields UK practitioners' guides to communications data describe, e.g. the Home
  Office Communications Data Code of Practice categories "traffic data" and "entity
  data", and what analysts report receiving; no real return is shipped.)
* Every column is read as **text** (``infer_schema=False`` for CSV, ``dtypes="string"``
  for XLSX through Polars' calamine engine) so ``07…`` numbers, 15-digit IMEIs/IMSIs
  and cell ids survive. An Excel *number* cell has already lost a leading zero; the
  shared phone normaliser reads a 10-digit ``7…`` as a GB mobile (rule stated in
  :mod:`atlas.normalise.phones`).
* Returns often carry a cover block or sheet (request reference, target number, date
  range) above or before the data, and one sheet per service (voice, SMS, data) each
  with its own header row. The header row is found by content in the first 40 rows of
  each sheet; sheets without call records are noted, not read as records. Files are read
  by the shared tabular reader (:mod:`parsers._tabular`: BOM, encoding, delimiter, every
  line-ending convention).
* The **target** (owner) is, in order: ``--owner``; a "Target Number"/"MSISDN" column;
  a "Target ..." line in the cover block; else the number that is a party to the most
  records (an assumption, recorded). Direction is taken from the direction column or
  the event type (MOC/MTC), else from the target.
* Times are network times, in the zone the template states; UK-local returns are
  converted by the shared wall-clock rules (the repeated autumn hour flagged).
* The first cell is the event's ``cell_id`` as ``LAC-CI`` / ``TAC-ECI`` (a whole CGI
  is cut to its last two parts); what the event schema has no column for (last cell,
  IMEI, IMSI, MCC-MNC, roaming flag, the event type as written) is kept per record in
  the extra table ``cdr``, joined at read time by :mod:`atlas.cell_site`. Each (target number, IMEI) pair is identity evidence
  (basis ``same-imei``): two numbers used in one handset share an IMEI.
* Data sessions become ``location`` events on channel ``data`` (they show where the
  handset was, through the cell), not contacts. Voice calls with a duration are
  ``answered``, with none ``missed``; voicemail deposits ``voicemail``; call forwards
  ``forwarded``.
* ``source_ref`` is ``row N`` (the spreadsheet row number as Excel shows it) or
  ``sheet NAME row N`` in a workbook.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import polars as pl

from atlas.errors import FormatError
from atlas.model import EVENT_SCHEMA, IDENTITY_EVIDENCE_SCHEMA, REJECT_SCHEMA, TS_TYPE, Channel, EvidenceCategory
from atlas.normalise.identifiers import identifier_map
from atlas.normalise.region import RegionEvidence, choose_region, numbers_in
from atlas.normalise.times import check_zone, localise
from atlas.wording import quoted_list
from parsers._cdr_meaning import VOCABULARY_PATH, Proposal, propose, vocabulary
from parsers._tabular import (
    Sheet,
    long_line_notes,
    long_line_rejects,
    norm_header,
    probe_sheets,
    read_notes,
    read_sheets,
    reads_whole_csv,
)
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe

TEMPLATES_PATH: Final = Path(__file__).resolve().parent / "templates" / "cdr_templates.toml"
HEADER_SCAN_ROWS: Final = 40
KIND: Final = EVENT_SCHEMA["kind"]
DIRECTION: Final = EVENT_SCHEMA["direction"]

INFO: Final = ParserInfo(
    name="cdr",
    version="1.5.0",
    description="Call data records from a communications provider (CSV or XLSX, mapped by header templates)",
    detects="a CSV or XLSX whose header row fits a CDR template (cdr_templates.toml or --map), or whose "
            "columns map by meaning without doubt (cdr_vocabulary.toml), or looks like call data "
            "(calling/called parties, duration, cell, IMEI columns)",
    notes=__doc__ or "",
    category=EvidenceCategory.COMMUNICATIONS_DATA,
    channels=frozenset({Channel.VOICE, Channel.SMS, Channel.MMS, Channel.DATA}),
    no_public_sample="no public CDR sample exists; tested on the synthetic generator's returns in all shipped templates",
)

EVENT_TYPES: Final = ("voice", "sms", "mms", "data", "voicemail", "call-forward")
ETYPE: Final = pl.Enum(EVENT_TYPES)
COLUMN_KEYS: Final = (
    "target", "a_party", "b_party", "subject", "other", "start", "date", "time", "end", "duration", "event_type",
    "direction", "first_cell", "last_cell", "lac", "tac", "first_lac", "last_lac", "first_tac", "last_tac", "eci",
    "mcc_mnc", "imei", "imsi", "roaming", "forwarded_to",
)
_CDR_WORDS: Final = (
    "calling", "called", "a party", "b party", "a-party", "b-party", "originating", "terminating", "msisdn",
    "other party", "imei", "imsi", "cell", "lac", "tac", "eci", "duration", "call type", "event type", "roaming",
    "dialled", "cgi",
)
_PARTY_WORDS: Final = ("calling", "called", "party", "originating", "terminating", "dialled", "other party")
_TARGET_LINE: Final = re.compile(r"(?i)\b(target|subject|msisdn|requested number)\b[^0-9+]{0,30}(\+?\d[\d ]{6,18}\d)")


_norm = norm_header


@dataclass(frozen=True)
class Template:
    name: str
    description: str
    timezone: str
    parties: str
    duration_format: str
    required: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]
    event_types: dict[str, str]
    directions: dict[str, str] = field(default_factory=dict)
    roaming: dict[str, bool] = field(default_factory=dict)
    datetime_format: str | None = None
    date_format: str | None = None
    time_format: str | None = None
    origin: str = ""
    hex_cells: bool = False
    """LAC/TAC and cell ids are written in hexadecimal (``cell_ids = "hex"``): read as decimal,
    the form cell-site lists use."""

    def resolve(self, headers: list[str]) -> dict[str, str]:
        """Template key → the header as written in the file, for the keys present."""
        by_norm: dict[str, str] = {}
        for h in headers:
            by_norm.setdefault(_norm(h), h)
        out: dict[str, str] = {}
        for key, names in self.columns.items():
            for name in names:
                if _norm(name) in by_norm:
                    out[key] = by_norm[_norm(name)]
                    break
        return out

    def fits(self, headers: list[str]) -> bool:
        found = self.resolve(headers)
        return all(k in found for k in self.required)

    def overlap(self, headers: list[str]) -> tuple[int, int, list[str]]:
        """(columns found, columns in the template, required columns missing as header names)."""
        found = self.resolve(headers)
        missing = [self.columns[k][0] for k in self.required if k not in found]
        return len(found), len(self.columns), missing


def _template(raw: dict[str, Any], origin: str) -> Template:
    where = f"{origin}: template {raw.get('name', '?')!r}"
    try:
        name = str(raw["name"])
        parties = str(raw.get("parties", "a-b"))
        if parties not in ("a-b", "subject-other"):
            raise FormatError(f"{where}: parties must be 'a-b' or 'subject-other', not {parties!r}")
        columns = {}
        for key, value in dict(raw["columns"]).items():
            if key not in COLUMN_KEYS:
                raise FormatError(f"{where}: unknown column key {key!r} (known: {', '.join(COLUMN_KEYS)})")
            columns[key] = (value,) if isinstance(value, str) else tuple(str(v) for v in value)
        event_types = {}
        for value, meaning in dict(raw.get("event_types", {})).items():
            etype = str(meaning).split(":")[0]
            if etype not in EVENT_TYPES or str(meaning).count(":") > 1 or (
                    ":" in str(meaning) and str(meaning).split(":")[1] not in ("out", "in")):
                raise FormatError(f"{where}: event type {value!r} maps to {meaning!r}; use one of "
                                  f"{', '.join(EVENT_TYPES)}, optionally with ':out' or ':in'")
            event_types[_norm(value)] = str(meaning)
        directions = {}
        for value, meaning in dict(raw.get("directions", {})).items():
            if meaning not in ("out", "in"):
                raise FormatError(f"{where}: direction {value!r} must map to 'out' or 'in'")
            directions[_norm(value)] = str(meaning)
        tpl = Template(
            name=name, description=str(raw.get("description", "")), timezone=check_zone(str(raw.get("timezone", "UTC"))),
            parties=parties, duration_format=str(raw.get("duration_format", "seconds")),
            required=tuple(raw.get("required", ())), columns=columns, event_types=event_types, directions=directions,
            roaming={_norm(k): bool(v) for k, v in dict(raw.get("roaming", {})).items()},
            datetime_format=raw.get("datetime_format"), date_format=raw.get("date_format"),
            time_format=raw.get("time_format"), origin=origin, hex_cells=_cell_ids(raw, where),
        )
    except KeyError as exc:
        raise FormatError(f"{where}: missing key {exc}") from exc
    if tpl.duration_format not in ("seconds", "hms"):
        raise FormatError(f"{where}: duration_format must be 'seconds' or 'hms'")
    if not tpl.required:
        raise FormatError(f"{where}: 'required' must list the column keys the layout cannot do without")
    unknown = [k for k in tpl.required if k not in tpl.columns]
    if unknown:
        raise FormatError(f"{where}: required keys {unknown} have no column names")
    has_start = "start" in tpl.columns and tpl.datetime_format
    has_split = "date" in tpl.columns and "time" in tpl.columns and tpl.date_format and tpl.time_format
    if not (has_start or has_split):
        raise FormatError(f"{where}: give a 'start' column with datetime_format, or 'date' + 'time' columns "
                          "with date_format and time_format")
    need = ("a_party", "b_party") if parties == "a-b" else ("subject", "other")
    if any(k not in tpl.columns for k in need):
        raise FormatError(f"{where}: parties = {parties!r} needs columns {need[0]} and {need[1]}")
    if "event_type" in tpl.columns and not tpl.event_types:
        raise FormatError(f"{where}: an event_type column needs an [template.event_types] table")
    return tpl


def _cell_ids(raw: dict[str, Any], where: str) -> bool:
    value = str(raw.get("cell_ids", "decimal"))
    if value not in ("decimal", "hex"):
        raise FormatError(f"{where}: cell_ids must be 'decimal' or 'hex', not {value!r}")
    return value == "hex"


def load_templates(path: Path) -> list[Template]:
    """Templates from a TOML file: ``[[template]]`` tables, or one template at top level."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FormatError(f"{path}: mapping file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(f"{path}: not valid TOML: {exc}") from exc
    raws = data.get("template", [data] if "columns" in data else [])
    if isinstance(raws, dict):
        raws = [raws]
    if not raws:
        raise FormatError(f"{path}: no [[template]] (see parsers/templates/cdr_templates.toml for the shape)")
    return [_template(r, str(path)) for r in raws]


_BUILTIN: list[Template] | None = None


def builtin_templates() -> list[Template]:
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = load_templates(TEMPLATES_PATH)
    return _BUILTIN


# --- reading rows ---------------------------------------------------------------------
# Files are read by the shared tabular reader (:mod:`parsers._tabular`): encoding, line
# endings, delimiter, the first rows of each table, and the table from its header row on.


def _looks_like_cdr(headers: list[str]) -> bool:
    text = " | ".join(_norm(h) for h in headers)
    hits = sum(1 for w in _CDR_WORDS if w in text)
    return hits >= 3 and any(w in text for w in (*_PARTY_WORDS, "duration"))


def _find_header(rows: list[list[str]], templates: list[Template]) -> tuple[int, Template] | None:
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cells = [c for c in row if c and c.strip()]
        if len(cells) < 3:
            continue
        for tpl in templates:
            if tpl.fits(row):
                return i, tpl
    return None


def detect(probe: Probe) -> int:
    templates = builtin_templates()
    sheets = probe_sheets(probe)
    if any(_find_header(b.rows, templates) for b in sheets):
        return 90
    if not any(_looks_like_cdr(r) for b in sheets for r in b.rows[:HEADER_SCAN_ROWS]):
        return 0
    # call data in a layout no template names: certain when its meaning maps without doubt
    return 80 if any((p := propose(b.rows)) is not None and p.ok for b in sheets) else 40


def _no_template_error(path: Path, blocks: list[Sheet], templates: list[Template],
                       partial: list[tuple[Sheet, Proposal]] | None = None) -> FormatError:
    candidates = []
    for b in blocks:
        for i, row in enumerate(b.rows[:HEADER_SCAN_ROWS]):
            if len([c for c in row if c.strip()]) >= 3:
                score = max(t.overlap(row)[0] for t in templates)
                candidates.append((score, -i, b, i, row))
    if not candidates:
        return FormatError(f"{path}: no header row found in the first {HEADER_SCAN_ROWS} rows (is this a call data return?)")
    score, _, block, i, row = max(candidates, key=lambda c: (c[0], c[1]))
    ranked = sorted(templates, key=lambda t: (-t.overlap(row)[0], t.name))
    best = ranked[0]
    found, total, missing = best.overlap(row)
    seen = ", ".join(repr(c) for c in row if c.strip())
    where = f"{block.label}row {block.first_row + i}".strip()
    meaning = ""
    if partial:
        _, prop = max(partial, key=lambda bp: len(bp[1].mapping))
        meaning = (f"Mapping them by meaning is not certain: {'; '.join(prop.problems)}. "
                   f"Best partial mapping: {prop.describe() or 'none'}. "
                   f"`atlas map {path.name}` writes it as a template to complete. ")
    return FormatError(
        f"{path}: the headers fit no CDR template. Headers seen ({where}): {seen}. "
        f"Nearest template: {best.name!r} ({best.description}; {found} of {total} columns found, "
        f"missing required: {', '.join(missing) or 'none'}). {meaning}Write a mapping file of the same shape as "
        f"parsers/templates/cdr_templates.toml and ingest with --map FILE."
    )


# --- turning a table into events ------------------------------------------------------

# Big returns (millions of rows) are turned into events by one lazy Polars query per
# block: Polars runs its expressions on both cores and materialises each column once
# (an eager ``select`` runs its expressions one after another). Work is done once per
# *distinct* value where a column has few of them (event types, directions, durations,
# roaming flags; whether a cell column holds whole CGIs): those facts are gathered in
# one parallel pass first. Times are parsed as written; only if some row then fails a
# check is the block done again the careful way (padded times retried stripped, failing
# rows turned into rejects), so a clean return pays for one pass and the output is the
# same either way.

_DISTINCT_KEYS: Final[tuple[str, ...]] = ("event_type", "direction", "duration", "roaming")
_CELL_KEYS: Final[tuple[str, ...]] = ("first_cell", "last_cell")
_LAC_KEYS: Final[tuple[str, ...]] = ("first_lac", "last_lac", "first_tac", "last_tac", "lac", "tac")
_IRREGULAR: Final[dict[str, str]] = {**dict.fromkeys(_CELL_KEYS, r"[\s-]"), **dict.fromkeys(_LAC_KEYS, r"\s")}
"""What a plain ``LAC-CI`` concatenation would get wrong, per column (see :func:`_cells`):
whitespace (which :func:`cell_key` removes, by this regex) anywhere, or a ``-`` in a cell
value (a whole CGI, which :func:`cell_key` cuts)."""


def hex_to_decimal(value: pl.Expr) -> pl.Expr:
    """A hexadecimal LAC, CI or ``LAC-CI`` (``03E8-4E21``, ``0x3e8``) in decimal (``1000-20001``),
    part by part; a value with a part that is not hexadecimal is kept as written."""
    parts = value.str.replace_all(r"\s", "").str.split("-")
    decimal = parts.list.eval(
        pl.element().str.strip_prefix("0x").str.strip_prefix("0X").str.to_integer(base=16, strict=False).cast(pl.String))
    return pl.when(value.is_null()).then(None).when(decimal.list.eval(pl.element().is_null()).list.any()).then(value) \
        .otherwise(decimal.list.join("-"))


def _text_columns(frame: pl.DataFrame, cols: dict[str, str]) -> pl.DataFrame:
    """The mapped columns under their template keys, as read (no per-row clean-up: the
    readers give empty cells as null, distinct-value maps strip what they read, and
    times and numbers are retried stripped only where a value failed to parse)."""
    return frame.select([pl.col(name).cast(pl.String).alias(key) for key, name in cols.items()])


def _record_rows_plain(frame: pl.DataFrame, cols: dict[str, str]) -> pl.DataFrame:
    """The mapped text columns (:func:`_text_columns`) of the rows that are records, with each
    row's index in the block (``_i``): a row blank in every column is not a record (the plain
    rule)."""
    rows = frame.with_row_index("_i")
    # If some column has no blank cell, no row can be blank throughout (null counts are free).
    if all(frame.get_column(n).null_count() for n in frame.columns):
        rows = rows.filter(~pl.all_horizontal([pl.col(n).is_null() for n in frame.columns]))
    return _text_columns(rows, cols).with_columns(rows.get_column("_i"))


def _record_rows(frame: pl.DataFrame, cols: dict[str, str]) -> pl.DataFrame:
    """:func:`_record_rows_plain`'s rows, without the ``_i`` column where no row is dropped (each
    row's index is then its position: :func:`_row_index`). The reader gives every column in the
    same many chunks; a column of one chunk beside them made every later query on the table
    copy all of it (~0.09 CPU-s a query on a 2 M-row return). Tested equal in
    ``tests/test_cdr_fast.py``."""
    if all(frame.get_column(n).null_count() for n in frame.columns):
        return _record_rows_plain(frame, cols)
    return _text_columns(frame, cols)


def _retry_stripped(t: pl.DataFrame, parsed: pl.Series, raw: pl.Expr, parse: Any) -> pl.Series:
    """``parsed`` with values that failed re-parsed from the stripped text (computed only
    when some value failed, so clean returns pay nothing)."""
    raw_s = t.select(raw).to_series()
    if parsed.null_count() == raw_s.null_count():  # a parse is null wherever the text is
        return parsed
    again = t.select(parse(raw.str.strip_chars())).to_series()
    return parsed.fill_null(again)


def _col(t: pl.DataFrame, key: str) -> pl.Expr:
    return pl.col(key) if key in t.columns else pl.lit(None, pl.String)


_PARTY_KEYS: Final[tuple[str, ...]] = ("a_party", "b_party", "subject", "other", "target")
"""The columns a record's parties are read from (see :class:`_Parties`)."""


def _column_facts(t: pl.DataFrame, *, parties: bool = False,
                  skip: tuple[str, ...] = ()) -> tuple[dict[str, list[str]], dict[str, bool]]:
    """(distinct values of the low-cardinality columns, whether each cell and LAC/TAC
    column has a value its :data:`_IRREGULAR` pattern matches), from one parallel pass of
    distinct values; with ``parties``, the distinct values of the party columns too; none
    for the columns ``skip`` names."""
    keys: list[str] = [k for k in (*_DISTINCT_KEYS, *_IRREGULAR, *(_PARTY_KEYS if parties else ()))
                       if k in t.columns and k not in skip]
    if not keys:
        return {}, {}
    found = _distinct_values(t, keys)
    distinct = {k: v for k, v in found.items() if k in _DISTINCT_KEYS or k in _PARTY_KEYS}
    irregular = {k: any(re.search(_IRREGULAR[k], c) for c in v) for k, v in found.items() if k in _IRREGULAR}
    return distinct, irregular


def _distinct_values_plain(t: pl.DataFrame, keys: list[str]) -> dict[str, list[str]]:
    """The distinct values (nulls left out) of each of the columns ``keys``, sorted, from one
    parallel pass: the plain rule."""
    row = t.lazy().select([pl.col(k).drop_nulls().unique().implode() for k in keys]).collect(engine="in-memory").row(0)
    # sorted: ``unique`` gives its values in no fixed order, and what is said about them
    # (words read by the vocabulary) must read the same at every ingest of the file
    return {k: sorted(v) for k, v in zip(keys, row, strict=True)}


def _distinct_values(t: pl.DataFrame, keys: list[str]) -> dict[str, list[str]]:
    """:func:`_distinct_values_plain`, a column holding one value throughout (a roaming flag, a
    network code) found by :func:`_one_value` instead of hashing every row (~0.013 CPU-s such
    a column of a 2 M-row return). The same values: tested equal in ``tests/test_cdr_fast.py``."""
    found: dict[str, list[str]] = {}
    for k in keys:
        one = _one_value(t.get_column(k))
        if one is not None:
            found[k] = one.to_list()
    rest = [k for k in keys if k not in found]
    if rest:
        found |= _distinct_values_plain(t, rest)
    return {k: found[k] for k in keys}


_FEW_VALUES: Final = 8
"""Up to this many distinct values, a row's value is found by comparing it with each (a
few vectorised equality tests); above, by a categorical lookup (one hash per row)."""
_HEAD: Final = 1000
"""The first rows read alone: by :func:`_one_value` (a column that changes there is not compared
further) and :func:`_few_values` (the values it expects throughout)."""


def _codes(key: str, values: list[str]) -> pl.Expr:
    """Each row's position in ``values`` (the column's distinct values; null stays null)."""
    if len(values) <= _FEW_VALUES:
        code: Any = pl
        for i, v in enumerate(values):
            code = code.when(pl.col(key) == v).then(pl.lit(i, pl.UInt32))
        return code
    return pl.col(key).cast(pl.Enum(values)).to_physical().cast(pl.UInt32)


def _per_value(values: list[Any], dtype: pl.DataType, codes: pl.Expr) -> pl.Expr:
    """``values[code]`` for each row: a gather from a small table, no hashing."""
    return pl.lit(pl.Series(values, dtype=dtype)).gather(codes)


def _map_distinct(t: pl.DataFrame, key: str, fn: Any, dtype: pl.DataType,
                  distinct: dict[str, list[str]], vectorised: pl.Expr | None = None) -> pl.Expr:
    """``fn`` applied to each distinct value of column ``key`` (Python, once per value),
    then looked up per row. ``distinct`` holds the column's distinct values (from
    :func:`_column_facts`). ``vectorised`` is a column expression used instead when it
    gives exactly ``fn``'s answer for every distinct value (checked here, so it gives the
    same answer for every row)."""
    if key not in t.columns:
        return pl.lit(None, dtype)
    values = distinct[key]
    mapped = [fn(v) for v in values]
    if all(m is None for m in mapped):
        return pl.lit(None, dtype)
    if len(values) == 1:  # one value throughout (a roaming flag, say): no lookup per row
        return pl.when(pl.col(key).is_not_null()).then(pl.lit(mapped[0], dtype))
    if vectorised is not None:
        check = pl.DataFrame({key: values}, schema={key: pl.String}).select(vectorised).to_series()
        if check.dtype == dtype and check.to_list() == mapped:
            return vectorised
    return _per_value(mapped, dtype, _code_of(t, key, values))


def _code_of(t: pl.DataFrame, key: str, values: list[str]) -> pl.Expr:
    """Each row's position in ``values``: the column :func:`_few_values` made of it, where it
    made one (of these same values), else :func:`_codes`."""
    made = f"_code_{key}"
    return pl.col(made) if made in t.columns else _codes(key, values)


_FEW_KEYS: Final = ("event_type", "direction", "roaming")
"""The columns whose distinct values :func:`_few_values` reads from the first rows."""


def _few_values_plain(t: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, list[str]]]:
    """(``t``, nothing known): the plain rule, every column's distinct values found by
    :func:`_column_facts` and its codes made where they are looked up."""
    return t, {}


def _few_values(t: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, list[str]]]:
    """The distinct values of the event-type, direction and roaming columns, found without
    hashing every row: the values of the first :data:`_HEAD` rows (a few words: ``MO``, ``MT``,
    ``Voice``, ``SMS``, ``Y``, ``N`` ...), then each row's code among them (:func:`_codes`, which the
    lookups need anyway) made once, as column ``_code_<key>`` of the returned ``t``. A row
    whose value is not among them has no code; then that column is left to
    :func:`_column_facts` (which hashes every row), as is one with more than
    :data:`_FEW_VALUES` values in its first rows. Where every row has a code, the values are
    exactly the column's distinct values: each was seen, and no row holds another. A column of
    one value throughout (no null) is found by :func:`_one_value`, with no codes. (~0.03 CPU-s
    a 2 M-row return; tested equal in ``tests/test_cdr_fast.py``.)"""
    known: dict[str, list[str]] = {}
    made: list[pl.Series] = []
    for key in _FEW_KEYS:
        if key not in t.columns:
            continue
        column = t.get_column(key)
        head = sorted(column.head(_HEAD).drop_nulls().unique().to_list())
        if not head or len(head) > _FEW_VALUES:
            continue
        if len(head) == 1 and _one_value(column) is not None:  # one value throughout: no code needed
            known[key] = head
            continue
        codes = t.select(_codes(key, head).alias(f"_code_{key}")).to_series()
        if codes.null_count() != column.null_count():
            continue
        known[key] = head
        made.append(codes)
    return (t.with_columns(made) if made else t), known


def hms_seconds(value: str) -> int | None:
    """``hh:mm:ss`` / ``mm:ss`` / seconds → seconds (``None`` if unreadable)."""
    parts = value.strip().split(":")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        return None
    if len(nums) > 3 or any(n < 0 for n in nums):
        return None
    total = 0.0
    for n in nums:
        total = total * 60 + n
    return round(total)


def cell_key(lac: pl.Expr, cell: pl.Expr) -> pl.Expr:
    """``LAC-CI`` / ``TAC-ECI`` from the parts; a whole CGI/ECGI (``MCC-MNC-LAC-CI``) is
    cut to its last two parts. Whitespace is removed; digits are kept as written. An
    expression, used for the CDR cell columns and for cell-site lists."""
    cgi = cell.str.replace_all(r"\s", "").str.split("-")
    from_cgi = pl.when(cgi.list.len() >= 4).then(cgi.list.slice(-2, 2).list.join("-"))
    cleaned = cell.str.replace_all(r"\s", "")
    return (
        pl.when(cell.is_null()).then(None)
        .when(cell.str.count_matches("-") >= 3).then(from_cgi.otherwise(None))
        .when(lac.is_not_null()).then(lac.str.replace_all(r"\s", "") + "-" + cleaned)
        .otherwise(cleaned)
    )


def _cells(t: pl.DataFrame, lac_keys: tuple[str, ...], cell_key_name: str, irregular: dict[str, bool]) -> pl.Expr:
    """The cell key column: a plain ``LAC-CI`` concatenation when no value of the cell
    column or of its LAC/TAC columns is irregular (``irregular``, checked once by
    :func:`_column_facts`), else :func:`cell_key`."""
    if cell_key_name not in t.columns:
        return pl.lit(None, pl.String)
    lacs = [k for k in lac_keys if k in t.columns]
    lac = pl.coalesce([pl.col(k) for k in lacs]) if lacs else pl.lit(None, pl.String)
    if not any(irregular.get(k, True) for k in (cell_key_name, *lacs)):
        return pl.when(lac.is_not_null()).then(_joined(lac, pl.col(cell_key_name))).otherwise(pl.col(cell_key_name))
    return cell_key(lac, pl.col(cell_key_name))


def _joined_plain(lac: pl.Expr, cell: pl.Expr) -> pl.Expr:
    """``LAC-CI`` from regular parts (null where either is): the plain rule."""
    return pl.concat_str([lac, pl.lit("-"), cell])


def _joined(lac: pl.Expr, cell: pl.Expr) -> pl.Expr:
    """:func:`_joined_plain`'s text by ``format``, which writes each part straight into the
    result (null where either part is, as ``concat_str``): ~0.01 CPU-s less a 2 M-row return.
    Tested equal in ``tests/test_cdr_fast.py``."""
    return pl.format("{}-{}", lac, cell)


_FIRST_LACS: Final = ("first_lac", "first_tac", "lac", "tac")
_LAST_LACS: Final = ("last_lac", "last_tac", "lac", "tac")


def _cell_columns_plain(t: pl.DataFrame, irregular: dict[str, bool]) -> tuple[pl.DataFrame, dict[str, pl.Expr]]:
    """(``t``, the first and last cell key expressions, :func:`_cells`): the plain rule, each
    made for every row."""
    return t, {"first_cell": _cells(t, _FIRST_LACS, "first_cell", irregular),
               "last_cell": _cells(t, _LAST_LACS, "last_cell", irregular)}


def _lac(t: pl.DataFrame, keys: tuple[str, ...]) -> pl.Expr:
    lacs = [k for k in keys if k in t.columns]
    return pl.coalesce([pl.col(k) for k in lacs]) if lacs else pl.lit(None, pl.String)


_LAST_ONLY: Final = ("last_cell", "last_lac", "last_tac")
"""The columns only the last cell is made from."""


def _last_cells_repeat_plain(t: pl.DataFrame) -> pl.Series | None:
    """The plain rule: no row's last cell is taken from its first (None)."""
    return None


def _last_cells_repeat(t: pl.DataFrame) -> pl.Series | None:
    """Whether each row's last LAC and cell repeat its first's (a record that stayed in one
    cell: an SMS, a data session, most calls), when at least half the rows do; else None.
    :func:`_cell_columns` then takes those rows' last cell text from the first's, and makes
    it, and reads what :func:`_column_facts` reads of the last cell's columns, only for the
    other rows (~0.07 CPU-s saved a 2 M-row return whose records all stay in their cell)."""
    if "first_cell" not in t.columns or "last_cell" not in t.columns:
        return None
    same = _lac(t, _FIRST_LACS).eq_missing(_lac(t, _LAST_LACS)) & pl.col("first_cell").eq_missing(pl.col("last_cell"))
    repeat = t.select(same).to_series()
    return repeat if repeat.sum() * 2 >= t.height else None


def _cell_columns(t: pl.DataFrame, irregular: dict[str, bool],
                  repeat: pl.Series | None) -> tuple[pl.DataFrame, dict[str, pl.Expr]]:
    """:func:`_cell_columns_plain`'s columns; where the last cell repeats the first in the rows
    ``repeat`` marks (:func:`_last_cells_repeat`), the last cell's text is the first's there and
    is made for the other rows alone, with what they hold read from them alone (``irregular``
    then says nothing of the last cell's own columns). The same texts: equal parts give equal
    keys; and a column read as regular (:func:`_cells`' plain concatenation) gives what
    :func:`cell_key` would, because that is so of each regular value, so reading fewer rows
    for it changes no text. ``t`` comes back with the texts as the columns ``_first_cell`` /
    ``_last_cell`` the expressions name. Tested equal in ``tests/test_cdr_fast.py``."""
    t, plain = _cell_columns_plain(t, irregular)
    if repeat is None:
        return t, plain
    first = t.select(plain["first_cell"].alias("_first_cell")).to_series()
    last = first.clone()
    rows = (~repeat).arg_true()
    if rows.len():
        apart = t[rows]
        _, own = _column_facts(apart)
        last.scatter(rows, apart.select(_cells(apart, _LAST_LACS, "last_cell", own)).to_series())
    return t.with_columns(first, last.alias("_last_cell")), {"first_cell": pl.col("_first_cell"),
                                                             "last_cell": pl.col("_last_cell")}


@dataclass
class _Parties:
    """The raw party numbers of a return, each once (the speed path of :func:`parse` when the
    ingest asks for URIs, ``ctx.convert_identifiers``): each record's sender and recipient are
    positions in this table, and each distinct number is made a URI once, by the shared
    :func:`~atlas.normalise.identifiers.identifier_map`, after the region is decided."""

    values: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def positions(self, values: list[str]) -> pl.Series:
        """The table positions of ``values`` (added where new)."""
        out = []
        for v in values:
            if v not in self.index:
                self.index[v] = len(self.values)
                self.values.append(v)
            out.append(self.index[v])
        return pl.Series(out, dtype=pl.UInt32)


@dataclass
class _Parsed:
    parties: _Parties | None = None
    """Set when senders and recipients are kept as positions in a party table (``_snd``,
    ``_rcp``), not as ``phone:`` texts."""
    events: list[pl.DataFrame] = field(default_factory=list)
    rejects: list[pl.DataFrame] = field(default_factory=list)
    detail: list[pl.DataFrame] = field(default_factory=list)
    records: int = 0
    assumptions: list[str] = field(default_factory=list)


def _time_exprs(tpl: Template, t: pl.DataFrame) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(naive start, raw text, naive end) as expressions on the values as written."""
    if tpl.datetime_format and "start" in t.columns:
        start = pl.col("start").str.to_datetime(tpl.datetime_format, strict=False, time_unit="us", cache=False)
        raw = pl.col("start")
    else:
        dfmt, tfmt = tpl.date_format or "%Y-%m-%d", tpl.time_format or "%H:%M:%S"
        d, tm = _col(t, "date"), _col(t, "time")
        raw = pl.concat_str([d, tm], separator=" ")
        start = d.str.to_date(dfmt, strict=False, cache=True).dt.combine(
            tm.str.to_time(tfmt, strict=False, cache=True), time_unit="us")
    end: pl.Expr = pl.lit(None, pl.Datetime("us"))
    if "end" in t.columns and tpl.datetime_format:
        end = pl.col("end").str.to_datetime(tpl.datetime_format, strict=False, time_unit="us", cache=False)
    return start, raw, end


def _timestamps(tpl: Template, t: pl.DataFrame) -> tuple[pl.Series, pl.Expr, pl.Series]:
    """(naive start, raw text expression, naive end), padded values retried stripped."""
    null_ts = pl.repeat(None, t.height, dtype=pl.Datetime("us"), eager=True)
    if tpl.datetime_format and "start" in t.columns:
        fmt = tpl.datetime_format

        def parse(e: pl.Expr) -> pl.Expr:
            return e.str.to_datetime(fmt, strict=False, time_unit="us", cache=False)

        raw = pl.col("start")
        start = _retry_stripped(t, t.select(parse(raw)).to_series(), raw, parse)
    else:
        dfmt, tfmt = tpl.date_format or "%Y-%m-%d", tpl.time_format or "%H:%M:%S"

        def parse_split(e: pl.Expr) -> pl.Expr:
            parts = e.str.split_exact(" ", 1)
            day = parts.struct.field("field_0").str.to_date(dfmt, strict=False, cache=True)
            tod = parts.struct.field("field_1").str.to_time(tfmt, strict=False, cache=True)
            return day.dt.combine(tod, time_unit="us")

        d, tm = _col(t, "date"), _col(t, "time")
        raw = pl.concat_str([d, tm], separator=" ")
        day = d.str.to_date(dfmt, strict=False, cache=True)
        tod = tm.str.to_time(tfmt, strict=False, cache=True)
        start = t.select(day.dt.combine(tod, time_unit="us")).to_series()
        if (start.is_null() & t.select(raw.is_not_null()).to_series()).any():
            stripped = pl.concat_str([d.str.strip_chars(), tm.str.strip_chars()], separator=" ")
            start = start.fill_null(t.select(parse_split(stripped)).to_series())
    end = null_ts
    if "end" in t.columns and tpl.datetime_format:
        efmt = tpl.datetime_format

        def parse_end(e: pl.Expr) -> pl.Expr:
            return e.str.to_datetime(efmt, strict=False, time_unit="us", cache=False)

        end = _retry_stripped(t, t.select(parse_end(pl.col("end"))).to_series(), pl.col("end"), parse_end)
    return start.alias("_start"), raw, end.alias("_end")


def _seconds(v: str) -> int | None:
    try:
        return round(float(v.strip()))
    except ValueError:
        return None


_EVENT_COLUMNS: Final = ("source_ref", "kind", "channel", "ts_utc", "ts_end_utc", "ts_basis", "ts_raw", "direction",
                         "sender", "recipients", "status", "duration_s", "cell_id")


def _row_index(t: pl.DataFrame) -> pl.Expr:
    """Each row's index in its block: ``_i`` where rows were dropped, else its position."""
    return pl.col("_i") if "_i" in t.columns else pl.int_range(pl.len(), dtype=pl.UInt32)


def _source_refs_plain(t: pl.DataFrame, label: str, first: int) -> pl.Expr:
    """Each row's ``source_ref``, ``<label>row N`` (N: the row number as the sheet shows it):
    the plain rule. (``format`` writes each number straight after the prefix: no column of
    number texts made first and copied again, ~0.015 CPU-s a 2 M-row return; the same texts.)"""
    return pl.format("{}{}", pl.lit(f"{label}row "), _row_index(t) + first)


_INLINE: Final = 12
"""The longest text an Arrow string view holds in itself (no data buffer)."""


def _source_refs(t: pl.DataFrame, label: str, first: int) -> pl.Expr:
    """:func:`_source_refs_plain`'s texts, where no row was dropped (each row's number is then
    ``first`` + its position) and every text fits in a string view (``row 1999999`` does):
    written as the views themselves (:func:`_ref_views`), a few strided byte writes per digit
    instead of formatting each number (~0.045 CPU-s less a 2 M-row return). The same texts:
    tested equal in ``tests/test_cdr_fast.py``."""
    views = None if "_i" in t.columns else _ref_views(f"{label}row ", first, t.height)
    return _source_refs_plain(t, label, first) if views is None else pl.lit(views)


def _ref_views(prefix: str, first: int, n: int) -> pl.Series | None:
    """``prefix`` + the numbers ``first`` .. ``first + n - 1`` as a String column of ``n`` Arrow
    string views (16 bytes each: the length, then the text, zero-padded), or None when a text
    would not fit in a view, or there are no rows. Digit ``k`` from the right of consecutive
    numbers repeats with period ``10**(k+1)``, holding each value ``10**k`` rows: each digit
    column is one repeated pattern (or, above the rows' count, a few runs)."""
    import numpy as np
    import pyarrow as pa

    head = prefix.encode()
    p = len(head)
    if n <= 0 or first < 0 or p + len(str(first + n - 1)) > _INLINE:
        return None
    views = np.zeros((n, 16), dtype=np.uint8)
    views[:, 4:4 + p] = np.frombuffer(head, dtype=np.uint8)
    lengths = views[:, :4].view("<u4").reshape(n)
    pos, digits = 0, len(str(first))
    while pos < n:  # the rows whose numbers have ``digits`` digits
        stop = min(n, 10 ** digits - first)
        m, value = stop - pos, first + pos
        lengths[pos:stop] = p + digits
        for k in range(digits):
            period, hold = 10 ** (k + 1), 10 ** k
            column = views[pos:stop, 4 + p + digits - 1 - k]
            if period <= m:
                pattern = np.roll(np.repeat(np.arange(48, 58, dtype=np.uint8), hold), -(value % period))
                whole = m - m % period
                column[:whole].reshape(-1, period)[:] = pattern
                column[whole:] = pattern[: m - whole]
            else:
                lo, hi = value // hold, (value + m - 1) // hold
                runs = np.full(hi - lo + 1, hold, dtype=np.int64)
                runs[0] = hold - value % hold
                runs[-1] -= (hi + 1) * hold - (value + m)
                if hi == lo:
                    runs[0] = m
                column[:] = np.repeat((np.arange(lo, hi + 1) % 10 + 48).astype(np.uint8), runs)
        pos, digits = stop, digits + 1
    return pl.Series(pa.Array.from_buffers(pa.string_view(), n, [None, pa.py_buffer(views)]))


def _derive(t: pl.DataFrame, tpl: Template, label: str, first: int, target: str | None,
            columns: dict[str, pl.Expr], start: pl.Expr, ts_raw: pl.Expr, end: pl.Expr,
            *, careful: bool, has_end: bool, party_table: list[str] | None = None) -> pl.LazyFrame:
    """Every output column of a block (event columns, ``cdr`` detail columns), as one lazy
    query over the text columns; ``careful`` adds per row ``ok`` and what a reject reason
    needs, else one ``all_ok`` flag (so a clean block builds no helper columns), false
    also where an end time is given but did not read.

    ``party_table`` (the block's distinct party values, ``unknown`` and the target among
    them): the sender and recipient are given as positions in it (``_snd``, ``_rcp``: the
    same party the ``sender``/``recipients`` texts name, or none for a data session's
    recipient) instead of as ``phone:`` texts."""
    party_codes: list[pl.Expr] = []
    if party_table is not None:
        enum = pl.Enum(party_table)

        def code(key: str) -> pl.Expr:
            return pl.col(key).cast(enum).to_physical() if key in t.columns else pl.lit(None, pl.UInt32)

        party_codes = [code(k).alias(f"_c_{k}") for k in ("a_party", "b_party", "other")]
        party_codes.append((code("subject") if "subject" in t.columns else code("target")).alias("_c_subject"))
    # an end time given but not read; ``end`` is the parse of the end text, or on the
    # local-time path the column _localised parsed it into (not parsed again here)
    end_read = (_col(t, "end").is_null() | end.is_not_null()) if has_end and not careful else pl.lit(True)
    lf = t.lazy().select(
        _source_refs(t, label, first).alias("source_ref"),
        _col(t, "event_type").alias("etype_raw"),
        *[columns[k].alias(k) for k in ("etype", "type_dir", "given_dir", "is_data", "kind", "channel",
                                         "type_status", "is_voice")],
        start.alias("start"), end.alias("end_given"), ts_raw.alias("ts_raw"),
        columns["duration"].alias("duration_s"), _col(t, "duration").alias("duration_raw"),
        columns["roaming"].alias("roaming"), columns["first_cell"].alias("first_cell"),
        columns["last_cell"].alias("last_cell"),
        _col(t, "mcc_mnc").alias("mcc_mnc"), _col(t, "imei").alias("imei"), _col(t, "imsi").alias("imsi"),
        _col(t, "forwarded_to").alias("forwarded_to"),
        (_col(t, "subject") if "subject" in t.columns else _col(t, "target")).alias("subject"),
        _col(t, "a_party").alias("a_party"), _col(t, "b_party").alias("b_party"), _col(t, "other").alias("other"),
        end_read.alias("end_read"),
        *([columns["status_row"].alias("status_row")] if "status_table" in columns else []),
        *[pl.col(c) for c in ("_ts_utc", "_ts_basis", "_end_utc") if c in t.columns],  # see _localised
        *party_codes,
    ).with_columns(pl.coalesce("given_dir", "type_dir").alias("direction"))
    if tpl.parties == "a-b":
        lf = lf.with_columns(pl.col("a_party").alias("a"), pl.col("b_party").alias("b"))
        if party_table is not None:
            lf = lf.with_columns(pl.col("_c_a_party").alias("_c_a"), pl.col("_c_b_party").alias("_c_b"))
    else:
        inbound = pl.col("direction") == "in"
        lf = lf.with_columns(
            pl.when(inbound).then(pl.col("other")).otherwise(pl.col("subject")).alias("a"),
            pl.when(inbound).then(pl.col("subject")).otherwise(pl.col("other")).alias("b"),
        )
        if party_table is not None:
            lf = lf.with_columns(
                pl.when(inbound).then(pl.col("_c_other")).otherwise(pl.col("_c_subject")).alias("_c_a"),
                pl.when(inbound).then(pl.col("_c_subject")).otherwise(pl.col("_c_other")).alias("_c_b"),
            )
    ok = (
        pl.col("etype").is_not_null() & pl.col("start").is_not_null()
        & (pl.col("duration_raw").is_null() | pl.col("duration_s").is_not_null())
        & (pl.col("a").is_not_null() | pl.col("b").is_not_null() | pl.col("is_data"))
    )
    if tpl.timezone == "UTC":
        ts_utc = pl.col("start").dt.replace_time_zone("UTC")
        end_utc = pl.col("end_given").dt.replace_time_zone("UTC")
        basis: pl.Expr = pl.lit("utc")
    else:  # converted by _localised before this query (once per segment of constant offset)
        ts_utc, basis, end_utc = pl.col("_ts_utc"), pl.col("_ts_basis"), pl.col("_end_utc")
    is_data = pl.col("is_data")
    # the target: from the row where the layout has a target/subject column
    owner = (pl.coalesce(pl.col("subject"), pl.lit(target, pl.String)) if {"subject", "target"} & set(t.columns)
             else pl.lit(target, pl.String))
    status = (
        pl.when(pl.col("is_voice"))
        .then(pl.when(pl.col("duration_s") > 0).then(pl.lit("answered")).otherwise(pl.lit("missed")))
        .otherwise(pl.col("type_status"))
    )
    if "status_table" in columns:  # the same values, looked up (see _status_lookup)
        answered = (pl.col("duration_s") > 0).fill_null(False).cast(pl.UInt32)
        status = columns["status_table"].gather(pl.col("status_row") + answered)
    from_duration = pl.when(pl.col("duration_s").is_not_null() & ~is_data).then(
        pl.col("ts_utc") + pl.duration(seconds=pl.col("duration_s")))
    lf = lf.with_columns(ok.alias("ok"), ts_utc.cast(TS_TYPE).alias("ts_utc"))
    if party_table is None:
        parties = [
            (pl.lit("phone:") + pl.when(is_data).then(owner).otherwise(pl.col("a").fill_null("unknown"))).alias("sender"),
            pl.when(is_data).then(pl.lit([], pl.List(pl.String)))
            .otherwise(pl.concat_list(pl.lit("phone:") + pl.col("b").fill_null("unknown"))).alias("recipients"),
        ]
    else:  # the same parties, as positions in the table (``target`` is in it: the caller checks)
        unknown = pl.lit(party_table.index("unknown"), pl.UInt32)
        own = pl.lit(party_table.index(target or ""), pl.UInt32)
        owner_code = pl.coalesce(pl.col("_c_subject"), own) if {"subject", "target"} & set(t.columns) else own
        parties = [
            pl.when(is_data).then(owner_code).otherwise(pl.col("_c_a").fill_null(unknown)).alias("_snd"),
            pl.when(is_data).then(pl.lit(None, pl.UInt32)).otherwise(pl.col("_c_b").fill_null(unknown)).alias("_rcp"),
        ]
    return lf.select(
        "source_ref", "kind", "channel", "ts_utc",
        (pl.coalesce(end_utc.cast(TS_TYPE), from_duration) if has_end else from_duration).alias("ts_end_utc"),
        basis.cast(EVENT_SCHEMA["ts_basis"]).alias("ts_basis"),
        "ts_raw",
        "direction",
        *parties,
        status.alias("status"),
        pl.when(is_data).then(None).otherwise(pl.col("duration_s")).alias("duration_s"),
        pl.col("first_cell").alias("cell_id"),
        # the cdr detail table
        "etype_raw", "last_cell", "mcc_mnc", "imei", "imsi", "roaming", owner.alias("target"), "forwarded_to",
        # per row, what a reject's reason and excerpt need; else one flag: every row is fine
        *(["etype", "start", "duration_raw", pl.col("duration_s").alias("duration_read"), "a", "b", "ok"] if careful
          else [(pl.col("ok") & pl.col("end_read")).all().alias("all_ok")]),
    )


def _localised(t: pl.DataFrame, tpl: Template, start: pl.Expr, end: pl.Expr) -> tuple[pl.DataFrame, pl.Expr, pl.Expr]:
    """For a return in wall-clock time: ``t`` with the start and end read (``_start_naive``,
    ``_end_naive``) and converted to UTC (``_ts_utc``, ``_ts_basis``, ``_end_utc``) by the
    shared :func:`localise` (the zone arithmetic once per segment of constant offset, not
    three zone look-ups per row), and the start and end as column expressions over them.
    A UTC return is returned as it is."""
    if tpl.timezone == "UTC":
        return t, start, end
    naive = t.select(start.alias("_start_naive"), end.cast(pl.Datetime("us")).alias("_end_naive"))
    ts_utc, ts_basis = localise(naive.get_column("_start_naive"), tpl.timezone)
    end_utc, _ = localise(naive.get_column("_end_naive"), tpl.timezone)
    t = t.with_columns(*naive.get_columns(), ts_utc.alias("_ts_utc"), ts_basis.alias("_ts_basis"),
                       end_utc.alias("_end_utc"))
    return t, pl.col("_start_naive"), pl.col("_end_naive")


def _collect(lf: pl.LazyFrame, *, shared: bool = True) -> pl.DataFrame:
    """The in-memory engine: its columns come out in one chunk each (the streaming engine
    leaves them unaligned, and every later select of unaligned columns copies them).
    ``shared`` False: without Polars' search for common subexpressions, for a query that
    looks types up from codes already made (:func:`_type_codes`): Polars 2.1 takes two
    lookups of equal values from tables of different types (``voice`` as an event type and
    as a channel text) for one subexpression and gives both the first one's type."""
    if shared:
        return lf.collect(engine="in-memory")
    return lf.collect(engine="in-memory", optimizations=pl.QueryOptFlags(comm_subexpr_elim=False))


def _type_codes_plain(t: pl.DataFrame, distinct: dict[str, list[str]]) -> tuple[pl.DataFrame, pl.Expr | None]:
    """(``t``, None): the plain rule, each row's event-type code (:func:`_codes`) written into
    every expression that looks a type's meaning up (:func:`_type_columns`)."""
    return t, None


def _type_codes(t: pl.DataFrame, distinct: dict[str, list[str]]) -> tuple[pl.DataFrame, pl.Expr | None]:
    """(``t`` with each row's event-type code made once, as column ``_etype_code``, and that
    column), for :func:`_type_columns`' lookups. Polars does not share a ``when``/``then`` chain
    between the expressions that hold it, so each lookup made the codes again (seven lookups:
    ~0.03 CPU-s a 2 M-row return). The same codes, so the same values: tested equal in
    ``tests/test_cdr_fast.py``."""
    if "event_type" not in t.columns or not distinct.get("event_type"):
        return t, None
    if "_code_event_type" in t.columns:  # made with the distinct values (:func:`_few_values`)
        return t, pl.col("_code_event_type")
    codes = t.select(_codes("event_type", distinct["event_type"]).alias("_etype_code")).to_series()
    return t.with_columns(codes), pl.col("_etype_code")


def _type_columns(t: pl.DataFrame, tpl: Template, distinct: dict[str, list[str]],
                  made: pl.Expr | None = None) -> dict[str, pl.Expr]:
    """What the event type says, per row: ``etype``, ``type_dir`` (MOC/MTC-style types),
    ``is_data``, ``kind``, ``channel``, ``type_status`` (the status a type fixes) and
    ``is_voice``. Worked out once per distinct type as written, then looked up by code (the
    codes ``made`` once where given, :func:`_type_codes`)."""
    if "event_type" not in t.columns:  # a layout without a type column: voice calls
        return {"etype": pl.lit("voice", ETYPE), "type_dir": pl.lit(None, DIRECTION), "is_data": pl.lit(False),
                "kind": pl.lit("call", KIND), "channel": pl.lit("voice"), "type_status": pl.lit(None, pl.String),
                "is_voice": pl.lit(True)}
    values = distinct["event_type"]
    meanings = [tpl.event_types.get(_norm(v)) for v in values]
    etypes = [m.split(":")[0] if m else None for m in meanings]
    if not any(etypes):
        return {"etype": pl.lit(None, ETYPE), "type_dir": pl.lit(None, DIRECTION), "is_data": pl.lit(None, pl.Boolean),
                "kind": pl.lit(None, KIND), "channel": pl.lit(None, pl.String), "type_status": pl.lit(None, pl.String),
                "is_voice": pl.lit(None, pl.Boolean)}
    codes = _codes("event_type", values) if made is None else made
    dirs = [m.split(":")[1] if m and ":" in m else None for m in meanings]

    def per_type(rule: Any, dtype: pl.DataType) -> pl.Expr:
        return _per_value([None if e is None else rule(e) for e in etypes], dtype, codes)

    return {
        "etype": _per_value(etypes, ETYPE, codes),
        "type_dir": _per_value(dirs, DIRECTION, codes) if any(dirs) else pl.lit(None, DIRECTION),
        "is_data": per_type(lambda e: e == "data", pl.Boolean()),
        "kind": per_type(lambda e: "location" if e == "data" else "message" if e in ("sms", "mms") else "call", KIND),
        "channel": per_type(lambda e: e if e in ("data", "sms", "mms") else "voice", pl.String()),
        "type_status": per_type(lambda e: STATUS_OF_TYPE.get(e), pl.String()),
        "is_voice": per_type(lambda e: e == "voice", pl.Boolean()),
        **_status_lookup(etypes, codes),
    }


STATUS_OF_TYPE: Final = {"voicemail": "voicemail", "call-forward": "forwarded"}


def _status_lookup(etypes: list[str | None], codes: pl.Expr) -> dict[str, pl.Expr]:
    """The plain rule's status (voice: ``answered`` with a duration over 0, else ``missed``;
    otherwise the status the type fixes) as a small table of (type, answered) → status and
    each row's position in it, ``status_row``: :func:`_derive` gathers from ``status_table``
    at ``status_row`` + 1 where the duration is over 0 (a gather from a few strings, not a
    when/then building 2 M strings; the same values, tested in ``tests/test_cdr_fast.py``)."""
    table: list[str | None] = []
    for e in etypes:
        fixed = None if e is None else STATUS_OF_TYPE.get(e)
        table += ["missed", "answered"] if e == "voice" else [fixed, fixed]
    return {"status_row": codes * 2, "status_table": pl.lit(pl.Series(table, dtype=pl.String))}


def _block_events(block: Sheet, frame: pl.DataFrame, header_idx: int, tpl: Template, target: str | None,
                  ctx: ParseContext, out: _Parsed) -> None:
    headers = [str(c) for c in block.rows[header_idx]]
    frame = frame.slice(1)  # the frame starts at the header row
    names = [f"c{i}" for i in range(frame.width)]
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    # Header names as written → positional column names (headers may repeat or be blank).
    cols_by_header = tpl.resolve(headers)
    index_of = {h: i for i, h in reversed(list(enumerate(headers)))}
    cols = {k: names[index_of[h]] for k, h in cols_by_header.items() if index_of.get(h, 10**9) < len(names)}
    first = block.first_row + header_idx + 1
    t = _record_rows(frame, cols)
    if t.height == 0:
        return
    out.records += t.height
    if tpl.hex_cells:
        t = t.with_columns(hex_to_decimal(pl.col(k)).alias(k) for k in (*_CELL_KEYS, *_LAC_KEYS) if k in t.columns)
    repeat = _last_cells_repeat(t)
    t, known = _few_values(t)
    distinct, irregular = _column_facts(t, parties=out.parties is not None,
                                        skip=(*(_LAST_ONLY if repeat is not None else ()), *known))
    distinct |= known
    tpl = _with_vocabulary_words(tpl, distinct, block.label, out.assumptions)
    party_table = None
    if out.parties is not None:
        party_table = sorted({v for k in _PARTY_KEYS for v in distinct.get(k, ())} | {"unknown", target or ""})

    t, made = _type_codes(t, distinct)
    columns = _type_columns(t, tpl, distinct, made) | {
        "given_dir": (_map_distinct(t, "direction", lambda v: tpl.directions.get(_norm(v)), DIRECTION, distinct)
                      if tpl.directions else pl.lit(None, DIRECTION)),
        "duration": (_map_distinct(t, "duration", _seconds, pl.Int64(), distinct,
                                   vectorised=pl.col("duration").cast(pl.Int64, strict=False))
                     if tpl.duration_format == "seconds" else
                     _map_distinct(t, "duration", hms_seconds, pl.Int64(), distinct)),
        "roaming": (_map_distinct(t, "roaming", lambda v: tpl.roaming.get(_norm(v)), pl.Boolean(), distinct)
                    if tpl.roaming else pl.lit(None, pl.Boolean)),
    }
    t, cells = _cell_columns(t, irregular, repeat)
    columns |= cells
    start, ts_raw, end = _time_exprs(tpl, t)
    has_end = "end" in t.columns and bool(tpl.datetime_format)
    local_t, local_start, local_end = _localised(t, tpl, start, end)
    derived = _collect(_derive(local_t, tpl, block.label, first, target, columns, local_start, ts_raw, local_end,
                               careful=False, has_end=has_end, party_table=party_table), shared=made is None and not known)
    if not derived.get_column("all_ok")[0]:
        # The careful way: times retried without padding, then failing rows are rejects.
        start_s, ts_raw, end_s = _timestamps(tpl, t)
        t, local_start, local_end = _localised(t.with_columns(start_s, end_s), tpl, pl.col("_start"), pl.col("_end"))
        derived = _collect(_derive(t, tpl, block.label, first, target, columns, local_start, ts_raw,
                                   local_end, careful=True, has_end=has_end, party_table=party_table),
                           shared=made is None and not known)
        bad = derived.filter(~pl.col("ok"))
        if bad.height:
            out.rejects.append(_rejects(bad, tpl, ctx))
            derived = derived.filter(pl.col("ok"))
    if derived.height == 0:
        return
    # A call-forwarding target (the C party) is kept in the ``cdr`` table and said in the
    # event's text; only layouts that have the column get either (others are unchanged).
    forwarded = ["forwarded_to"] if "forwarded_to" in t.columns else []
    text = [pl.when(pl.col("forwarded_to").is_not_null()).then(pl.lit("call forwarded to ") + pl.col("forwarded_to"))
            .alias("text")] if forwarded else []
    if out.parties is not None and party_table is not None:  # block positions → the return's party table
        positions = out.parties.positions(party_table)
        if not positions.equals(pl.int_range(0, positions.len(), dtype=pl.UInt32, eager=True)):  # (the first block's are)
            where = pl.lit(positions)
            derived = derived.with_columns(where.gather(pl.col("_snd")).alias("_snd"),
                                           where.gather(pl.col("_rcp")).alias("_rcp"))
        out.events.append(derived.select(*[{"sender": "_snd", "recipients": "_rcp"}.get(c, c) for c in _EVENT_COLUMNS],
                                         *text))
    else:
        out.events.append(derived.select(*_EVENT_COLUMNS, *text))
    out.detail.append(derived.select(
        pl.lit(ctx.source_id).alias("source_id"), "source_ref", pl.lit(tpl.name).alias("template"),
        pl.col("etype_raw").alias("event_type"), "last_cell", "mcc_mnc", "imei", "imsi", "roaming", "target",
        *forwarded, "ts_utc",
    ))


def _with_vocabulary_words(tpl: Template, distinct: dict[str, list[str]], label: str,
                           assumptions: list[str]) -> Template:
    """``tpl`` with the event-type and direction words it does not name, but the CDR
    vocabulary does (``Voice`` in a layout whose template lists only ``MOC``/``MTC``), read
    by the vocabulary and said; a word neither knows still makes its rows rejects."""
    vocab = vocabulary()
    added: dict[str, dict[str, str]] = {"event_types": {}, "directions": {}}
    for key, mine, theirs, field_ in (("event_type", tpl.event_types, vocab.event_types, "event_types"),
                                      ("direction", tpl.directions, vocab.directions, "directions")):
        if key not in distinct or (key == "direction" and not tpl.directions):
            continue
        for value in distinct[key]:
            word = _norm(value)
            if word not in mine and word in theirs:
                added[field_][word] = theirs[word]
    if not any(added.values()):
        return tpl
    said = ", ".join(f"{w!r} → {m}" for table in added.values() for w, m in table.items())
    assumptions.append(f"{label}words the layout '{tpl.name}' does not name, read by the CDR vocabulary "
                       f"({VOCABULARY_PATH.name}): {said}".strip())
    return replace(tpl, event_types={**added["event_types"], **tpl.event_types},
                   directions={**added["directions"], **tpl.directions})


def _rejects(bad: pl.DataFrame, tpl: Template, ctx: ParseContext) -> pl.DataFrame:
    reason = (
        pl.when(pl.col("etype_raw").is_null() & pl.col("ts_raw").is_null())
        .then(pl.lit("not a call record (footer or note line)"))
        .when(pl.col("etype").is_null())
        .then(pl.lit(f"unknown event type for template {tpl.name} (known: {', '.join(sorted(tpl.event_types))}): ")
              + pl.col("etype_raw").fill_null("(empty)"))
        .when(pl.col("ts_raw").is_null()).then(pl.lit("no start time"))
        .when(pl.col("start").is_null())
        .then(pl.lit("cannot read the time with "
                     + (tpl.datetime_format or (tpl.date_format or "") + " " + (tpl.time_format or ""))
                     + ": ") + pl.col("ts_raw"))
        .when(pl.col("duration_raw").is_not_null() & pl.col("duration_read").is_null())
        .then(pl.lit("cannot read the duration: ") + pl.col("duration_raw"))
        .otherwise(pl.lit("no party numbers"))
    )
    excerpt = pl.concat_str(
        [pl.col(c).fill_null("") for c in ("etype_raw", "ts_raw", "a", "b", "duration_raw")], separator=" | ")
    return bad.select(
        pl.lit(ctx.source_id).alias("source_id"), "source_ref", reason.alias("reason"),
        excerpt.str.slice(0, 120).alias("excerpt"))


def _cover_targets(rows: list[list[str]]) -> list[str]:
    found = []
    for row in rows:
        line = " ".join(c for c in row if c and c.strip())
        m = _TARGET_LINE.search(line)
        if m:
            found.append(m.group(2).replace(" ", ""))
    return found


def _digits_key(expr: pl.Expr) -> pl.Expr:
    """The last nine digits: enough to tell numbers apart whatever prefix (0, 44, +44) they carry."""
    return expr.str.replace_all(r"\D", "").str.slice(-9)


def reads_whole(probe: Probe) -> bool:
    """A CSV return is read whole into one table: the ingest may hand over its bytes, read
    once and hashed (:attr:`ParseContext.data`), and the parse reads those alone. A workbook is
    read by calamine from the file, as before."""
    return reads_whole_csv(probe)


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    templates = builtin_templates()
    user_map = ctx.options.get("map")
    if user_map:
        templates = load_templates(Path(user_map))
    blocks = read_sheets(path, ctx.data)
    xlsx = not (len(blocks) == 1 and blocks[0].csv is not None)
    out = _Parsed()
    out.assumptions += [n for block in blocks for n in block.notes()]
    found: list[tuple[Sheet, int, Template]] = []
    cover_targets: list[str] = []
    partial: list[tuple[Sheet, Proposal]] = []
    for block in blocks:
        head = block.rows[:HEADER_SCAN_ROWS]  # header, cover block and target values: the first rows
        hit = _find_header(head, templates)
        if hit is None and not user_map:
            # No template names this layout: map it by meaning (header + the head's rows).
            proposal = propose(block.rows, default_zone=ctx.timezone, dayfirst=ctx.dayfirst)
            if proposal is not None and proposal.ok:
                hit = (proposal.header_row, proposal.template(VOCABULARY_PATH.name))
                out.assumptions.append(f"{block.label}no template fits: columns mapped by meaning "
                                       f"({VOCABULARY_PATH.name}): {proposal.describe()}; "
                                       + "; ".join(proposal.notes) + "; `atlas map` writes this as a template")
            elif proposal is not None:
                partial.append((block, proposal))
        if hit is None:
            cover_targets += _cover_targets(head)
            if xlsx and head:
                out.assumptions.append(f"{block.label.strip()} holds no call records (read for the target number only)")
            continue
        cover_targets += _cover_targets(head[: hit[0]])
        found.append((block, hit[0], hit[1]))
    if not found:
        if user_map:
            tpl = templates[0]
            row = max((r for b in blocks for r in b.rows[:HEADER_SCAN_ROWS]), key=lambda r: tpl.overlap(r)[0], default=[])
            raise FormatError(
                f"{path}: the mapping {user_map} does not fit: required columns missing: "
                f"{', '.join(tpl.overlap(row)[2])}; headers seen: {quoted_list(c for c in row if c.strip())}")
        raise _no_template_error(path, blocks, templates, partial)

    target = _owner_digits(ctx.owner)
    target_basis = "--owner" if target else ""
    if not target:
        for block, idx, tpl in found:
            cols = tpl.resolve(block.rows[idx])
            key = "target" if "target" in cols else ("subject" if "subject" in cols else None)
            if key:
                values = [r[block.rows[idx].index(cols[key])] for r in block.rows[idx + 1:HEADER_SCAN_ROWS]
                          if len(r) > block.rows[idx].index(cols[key]) and r[block.rows[idx].index(cols[key])].strip()]
                if values:
                    target, target_basis = max(set(values), key=values.count), f"the '{cols[key]}' column"
                    break
    if not target and cover_targets:
        target, target_basis = cover_targets[0], "the return's cover information"
    if ctx.convert_identifiers and target:  # (an unknown target is inferred from the parties' texts below)
        out.parties = _Parties()
    # Every table is read before any is worked on: the source is then read no more, and the
    # ingest's second hash of it runs beside the work (``ctx.finished_reading``).
    frames = [block.frame(idx) for block, idx, _ in found]
    if ctx.finished_reading is not None:
        ctx.finished_reading()
    frames.reverse()
    for block, idx, tpl in found:
        # (popped: each table's text is freed once its events are made, and the memory is
        # used again for what follows instead of fresh pages the kernel must map)
        _block_events(block, frames.pop(), idx, tpl, target, ctx, out)
        zone = "UTC" if tpl.timezone == "UTC" else f"{tpl.timezone} wall-clock time (clock-change hours flagged)"
        out.assumptions.append(f"{block.label}layout '{tpl.name}' ({tpl.origin.rsplit('/', 1)[-1]}): times read as {zone}".strip())
    events = pl.concat(out.events, how="diagonal_relaxed") if out.events else pl.DataFrame()
    detail = pl.concat(out.detail, how="diagonal_relaxed") if out.detail else None
    if not target and events.height:
        target = _infer_target(events)
        if target:
            target_basis = "inference: the number that is a party to the most records (no target stated in the return)"
    if target:
        out.assumptions.append(f"target number {target} from {target_basis}")
        if detail is not None and _null_count(detail, "target"):
            detail = detail.with_columns(pl.col("target").fill_null(target))
        if events.height and "sender" in events.columns and events.get_column("sender").null_count():
            # data sessions are the target's own: name it where the layout did not
            events = events.with_columns(pl.col("sender").fill_null(f"phone:{target}"))
    # The ``cdr`` table as stored (the event has the time; the table keeps what the event
    # cannot) is final here: the ingest may encode it beside the work that follows.
    table = detail.drop("ts_utc") if detail is not None else None
    if table is not None and ctx.table_ready is not None:
        ctx.table_ready("cdr", table)
    too_long, n_long = long_line_rejects([block for block, _, _ in found], ctx.source_id)  # read as blank lines
    out.assumptions += long_line_notes([block for block, _, _ in found])
    out.assumptions += read_notes([block for block, _, _ in found])  # (the head's notes came first, above)
    if n_long:
        out.rejects.append(too_long)
        out.records += n_long
    rejects = pl.concat(out.rejects) if out.rejects else pl.DataFrame(schema=REJECT_SCHEMA)
    written = _imsis_written(detail) if detail is not None else None
    evidence = _imei_evidence(detail, ctx, imsis=written) if detail is not None and events.height else None
    coded = out.parties is not None and "_snd" in events.columns
    used = _used(events, out.parties) if coded and out.parties is not None else None
    numbers = _party_numbers(used, out.parties) if used is not None and out.parties is not None else events
    region = _region(target, detail, ctx, numbers if events.height else None, evidence, out.assumptions, written)
    if used is not None and out.parties is not None:
        events = _party_identifiers(events, out.parties, used, region, ctx)
    if events.height == 0:
        events = pl.DataFrame(schema={"source_ref": pl.String})
    return ParseResult(
        events=events, rejects=rejects, records_read=out.records, region=region,
        owner=None if ctx.owner or not target else f"phone:{target}", assumptions=out.assumptions,
        evidence=evidence, extra={"cdr": table} if table is not None else {},
        # ``<sheet label>row N``: row numbers within a block, and one block per label.
        refs_unique=len({block.label for block, _, _ in found}) == len(found),
        identifiers_are_uris=coded and region is not None,
    )


def _party_numbers(used: pl.Series, parties: _Parties) -> pl.DataFrame:
    """The distinct ``phone:`` texts the events' senders and recipients name (``used``: their
    positions, :func:`_used`), as a ``sender`` column: what
    :func:`atlas.normalise.region.numbers_in` finds in the events' texts."""
    return pl.DataFrame({"sender": _phone_texts(parties).gather(used)})


def _used(events: pl.DataFrame, parties: _Parties) -> pl.Series:
    """The party-table positions some sender or recipient names, ascending (counted over
    the table's positions: the positions are small whole numbers, so no hashing)."""
    import numpy as np

    n = len(parties.values)
    seen = np.zeros(n, dtype=bool)
    for name in ("_snd", "_rcp"):
        codes = events.get_column(name).drop_nulls().to_numpy()
        seen |= np.bincount(codes, minlength=n)[:n] > 0
    return pl.Series(np.flatnonzero(seen), dtype=pl.UInt32)


def _phone_texts(parties: _Parties) -> pl.Series:
    return pl.select(pl.lit("phone:") + pl.lit(pl.Series(parties.values, dtype=pl.String))).to_series()


def _party_identifiers(events: pl.DataFrame, parties: _Parties, used: pl.Series, region: str | None,
                       ctx: ParseContext) -> pl.DataFrame:
    """``events`` with the sender and recipient positions (``_snd``, ``_rcp``) made the
    ``sender`` and ``recipients`` columns: URIs by the shared
    :func:`~atlas.normalise.identifiers.identifier_map` of the distinct ``phone:`` texts they
    name (what the normaliser would map: the same values, the same region), or, with no
    region (nothing to map with), the ``phone:`` texts themselves. A recipient list is empty
    for a data session, else the one party; built from one flat array and its offsets."""
    import pyarrow as pa

    texts = _phone_texts(parties)
    if region is not None:
        mapping = identifier_map(texts.gather(used), source_id=ctx.source_id, region=region.upper())
        uris = pl.DataFrame({"raw": texts.gather(used)}).join(mapping, on="raw", how="left", maintain_order="left")
        texts = pl.Series(texts.len() * [None], dtype=pl.String).scatter(used, uris.get_column("uri"))
    import numpy as np

    snd, rcp = events.get_column("_snd"), events.get_column("_rcp")
    # (the offsets summed into one array: not a column of counts, its sum and a copy behind a 0)
    offsets = np.zeros(rcp.len() + 1, dtype=np.int64)
    np.cumsum(rcp.is_not_null().to_numpy(), out=offsets[1:])
    flat = texts.gather(rcp.drop_nulls())
    # (the texts handed over as Arrow string views, Polars' own layout: no copy either way)
    recipients = pl.Series("recipients", pa.LargeListArray.from_arrays(
        pa.array(offsets), flat.to_arrow(compat_level=pl.CompatLevel.newest())))
    return events.with_columns(texts.gather(snd).alias("_snd"), recipients.alias("_rcp")).rename(
        {"_snd": "sender", "_rcp": "recipients"})


def _region(target: str | None, detail: pl.DataFrame | None, ctx: ParseContext, events: pl.DataFrame | None,
            evidence: pl.DataFrame | None, assumptions: list[str], written: pl.Series | None = None) -> str | None:
    """The country of the return's national numbers, from the target's SIM (the IMSI column:
    its MCC), the target number when written internationally, then the numbers it holds
    (:func:`atlas.normalise.region.choose_region`), stated. None when the return holds no
    phone number at all (nothing needs a region)."""
    imsis: tuple[str, ...] = ()
    if detail is not None and "imsi" in detail.columns:
        # distinct SIMs (a 2 M-row return has a handful): "3 IMSIs, all CH"
        imsis = _distinct_imsis(detail.get_column("imsi") if written is None else written)
    numbers = numbers_in(events, evidence)
    if not numbers and not imsis and not target:
        return None
    msisdn = target if target and target.strip().startswith(("+", "00")) else None
    choice = choose_region(RegionEvidence(msisdns=(msisdn,) if msisdn else (), imsis=imsis, numbers=numbers),
                           default=ctx.region, instructed=ctx.region_instructed)
    assumptions.append(choice.assumption)
    return choice.region


def _imsis_written(detail: pl.DataFrame) -> pl.Series:
    """The distinct IMSIs of a return as written (nulls left out), found once for the region
    (:func:`_distinct_imsis`, whose answer is the same from these as from every row) and the
    ``same-imei`` evidence (:func:`_imei_evidence`). One SIM throughout (the usual return) is
    found by comparing every row with the first (:func:`_one_value`), a third of hashing them."""
    imsi = detail.get_column("imsi")
    one = _one_value(imsi)
    if one is not None:
        return one.cast(pl.String)
    return imsi.drop_nulls().cast(pl.String).unique()


def _one_value(column: pl.Series) -> pl.Series | None:
    """The column's one value (a Series of it) when every row holds that same value (no null),
    else None: what ``unique`` gives of such a column, found by comparing each row with the
    first (its first :data:`_HEAD` rows first, so a column that changes there costs nothing)."""
    if column.len() == 0 or column.null_count():
        return None
    first = column.head(1)
    if not (column.head(_HEAD) == first[0]).all() or not (column == first[0]).all():
        return None
    return first


def _distinct_imsis_plain(imsi: pl.Series) -> tuple[str, ...]:
    """The distinct SIMs of a return, stripped and sorted (the plain rule)."""
    return tuple(imsi.drop_nulls().cast(pl.String).str.strip_chars().unique().sort().to_list())


def _distinct_imsis(imsi: pl.Series) -> tuple[str, ...]:
    """:func:`_distinct_imsis_plain`, the values made distinct as written first (a 2 M-row
    return has a handful: stripping every row costs 3x more)."""
    return _distinct_imsis_plain(imsi.drop_nulls().cast(pl.String).unique())


def _owner_digits(owner: str | None) -> str | None:
    if owner and owner.startswith("tel:"):
        return owner[4:]
    return None


def _null_count_plain(frame: pl.DataFrame, name: str) -> int:
    """How many of ``name``'s values are missing: the plain rule."""
    return frame.get_column(name).null_count()


def _null_count(frame: pl.DataFrame, name: str) -> int:
    """:func:`_null_count_plain`, counted by a query: a column that is one value repeated (the
    ``target`` of a return that states it: a literal in the derive query) is not written out as
    2 M texts for it, ~0.015-0.02 s on the parse's thread (the store's encoding of the table,
    beside the work, writes them out instead). Tested equal in ``tests/test_cdr_fast.py``."""
    return int(frame.select(pl.col(name).null_count()).item())


def _infer_target(events: pl.DataFrame) -> str | None:
    contacts = events.filter(pl.col("kind") != "location")
    parties = pl.concat([
        contacts.get_column("sender"), contacts.get_column("recipients").explode()
    ]).drop_nulls().str.strip_prefix("phone:")
    if parties.len() == 0:
        return None
    frame = pl.DataFrame({"raw": parties}).with_columns(_digits_key(pl.col("raw")).alias("k"))
    counts = frame.group_by("k").agg(pl.len().alias("n"), pl.col("raw").mode().sort().first().alias("raw"))
    best = counts.sort(["n", "k"], descending=[True, False]).row(0, named=True)
    return str(best["raw"]) if best["n"] * 2 > contacts.height else None


def _imei_evidence(detail: pl.DataFrame, ctx: ParseContext, *, plain: bool = False,
                   imsis: pl.Series | None = None) -> pl.DataFrame | None:
    """One ``same-imei`` evidence row per (target, IMEI). ``plain`` groups by both columns
    whatever the data (the plain rule); otherwise a single target or a single handset is
    not grouped by (the same rows, tested equal in ``tests/test_cdr_fast.py``), and then
    ``imsis``, the distinct IMSIs of every row as written (:func:`_imsis_written`, which the
    region reads too), gives the handset's SIMs without a second pass over 2 M rows."""
    rows = detail.lazy()
    target = detail.get_column("target")
    if detail.get_column("imei").null_count() or target.null_count():
        rows = rows.filter(pl.col("imei").is_not_null() & pl.col("target").is_not_null())
    agg = (
        pl.col("source_ref").first().alias("source_ref"), pl.len().alias("n"),
        pl.col("ts_utc").min().alias("first"), pl.col("ts_utc").max().alias("last"),
        pl.col("imsi").drop_nulls().unique().sort().alias("imsis"),
    )
    imei = detail.get_column("imei")
    if plain:
        by_pair = rows.group_by("target", "imei").agg(*agg)
    elif detail.height and not target.null_count() and (target == target[0]).all():
        # one target throughout (the usual return): grouping by the IMEI alone is half the work,
        # and one handset throughout (no IMEI missing) needs no grouping at all
        one = pl.lit(target[0], pl.String).alias("target")
        if not imei.null_count() and (imei == imei[0]).all():
            sims = agg[-1].implode() if imsis is None else pl.lit(imsis.sort().implode()).alias("imsis")
            by_pair = rows.select(pl.col("imei").first(), *agg[:-1], sims).with_columns(one)
        else:
            by_pair = rows.group_by("imei").agg(*agg).with_columns(one)
    else:
        by_pair = rows.group_by("target", "imei").agg(*agg)
    grouped = by_pair.sort("target", "imei").collect(engine="in-memory")
    if grouped.height == 0:
        return None
    return grouped.select(
        pl.lit(ctx.source_id).alias("source_id"), "source_ref", pl.lit("same-imei").alias("basis"),
        (pl.lit("phone:") + pl.col("target")).alias("identifier"), (pl.lit("imei:") + pl.col("imei")).alias("related"),
        pl.format("handset IMEI {} used with this number in {} call data records, {} to {} UTC (IMSI {})",
                  pl.col("imei"), pl.col("n"), pl.col("first").dt.strftime("%Y-%m-%d %H:%M"),
                  pl.col("last").dt.strftime("%Y-%m-%d %H:%M"),
                  pl.col("imsis").list.join(", ")).alias("detail"),
    ).select(list(IDENTITY_EVIDENCE_SCHEMA.names()))
