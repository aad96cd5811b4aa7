"""Cell-site lists from communications providers (CSV or XLSX).

A cell-site list gives, per cell: the cell id (with its LAC/TAC, or a whole CGI), the
site id and address, the mast position as WGS84 latitude/longitude **or** Ordnance
Survey National Grid eastings/northings (or a lettered grid reference such as
``TQ 30080 80071``), the antenna azimuth and beam width, and the technology
(2G/3G/4G/5G). Columns are found by header name (synonyms below); every column is
read as text so cell ids keep their digits.

Format notes, and where they come from:

* Providers supply cell lists with CDR returns in their own layouts; analysts'
  guides describe exactly these fields (cell id / LAC, site address, grid reference or
  lat/long, azimuth, beam width). No public sample exists; tests use the generator's
  lists (one with OS eastings/northings, one with lat/lon).
* OS eastings/northings (OSGB36, EPSG:27700) are converted to WGS84 offline with
  pyproj (:mod:`atlas.cell_site`); the operation and its stated accuracy are recorded
  as an assumption of the source and in each row's ``coord_basis``. A position outside
  Great Britain's grid (or missing) keeps the cell, without coordinates.
* Cells are stored twice: as events of kind ``cell`` (no time; ``cell_id``, lat/lon,
  a readable description in ``text``) so they appear in the timeline and exports, and
  as the reference table ``cells`` that :func:`atlas.cell_site.cdr_events_with_cells`
  joins to CDR events at read time, whichever was ingested first.
* The cell key is ``LAC-CI`` (or ``TAC-ECI``) exactly as the CDR parser builds it; a
  whole CGI ``MCC-MNC-LAC-CI`` is cut to its last two parts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import polars as pl

from atlas.cell_site import CELLS_SCHEMA, grid_ref_to_en, os_to_wgs84, os_transform_description
from atlas.errors import FormatError
from atlas.model import REJECT_SCHEMA, Channel, EvidenceCategory
from parsers._tabular import (
    RETURNS_VOCABULARY,
    Sheet,
    header_qualifiers,
    load_vocabulary,
    long_line_notes,
    long_line_rejects,
    probe_sheets,
    read_sheets,
    resolve_headers,
)
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe
from parsers.cdr import HEADER_SCAN_ROWS, cell_key, hex_to_decimal

INFO: Final = ParserInfo(
    name="cell-sites",
    version="1.4.0",
    description="Cell-site list from a communications provider (CSV or XLSX; lat/lon or OS grid)",
    detects="a CSV or XLSX with a cell id column, a position (latitude/longitude, easting/northing or grid "
            "reference) and antenna columns (azimuth or beam width)",
    notes=__doc__ or "",
    category=EvidenceCategory.COMMUNICATIONS_DATA,
    channels=frozenset({Channel.CELL}),
    no_public_sample="no public cell-site list exists; tested on the synthetic generator's two lists",
)

SYNONYMS: Final[dict[str, tuple[str, ...]]] = load_vocabulary(RETURNS_VOCABULARY, "cell_sites")
"""Header names per column, from ``parsers/templates/returns_vocabulary.toml``."""


def _resolve(headers: list[str]) -> dict[str, int]:
    return resolve_headers(headers, SYNONYMS)


def _fits(headers: list[str]) -> bool:
    found = _resolve(headers)
    has_pos = ("lat" in found and "lon" in found) or ("easting" in found and "northing" in found) or "grid_ref" in found
    return "cell" in found and has_pos and ("azimuth" in found or "beamwidth" in found)


def _header(rows: list[list[str]]) -> int | None:
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        if _fits(row):
            return i
    return None


def detect(probe: Probe) -> int:
    return 85 if any(_header(b.rows) is not None for b in probe_sheets(probe)) else 0


def _blocks(path: Path) -> list[tuple[Sheet, pl.DataFrame, int]]:
    return [(b, b.frame(idx), idx) for b in read_sheets(path) if (idx := _header(b.rows)) is not None]


def _num(col: pl.Expr) -> pl.Expr:
    return col.str.replace_all(r"[^0-9.\-]", "").cast(pl.Float64, strict=False)


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    blocks = _blocks(path)
    if not blocks:
        raise FormatError(f"{path}: no cell-site header row (cell id, a position and azimuth/beam width) "
                          f"in the first {HEADER_SCAN_ROWS} rows")
    tables: list[pl.DataFrame] = []
    rejects: list[pl.DataFrame] = []
    assumptions: list[str] = [n for block, _, _ in blocks for n in block.notes()]
    records = 0
    for block, frame, idx in blocks:
        headers = block.rows[idx]
        found = _resolve(headers)
        names = [f"c{i}" for i in range(frame.width)]
        frame = frame.rename(dict(zip(frame.columns, names, strict=True))).slice(1)
        first = block.first_row + idx + 1
        frame = frame.with_row_index("_i").with_columns(
            (pl.lit(f"{block.label}row ") + (pl.col("_i") + first).cast(pl.String)).alias("source_ref"))
        blank = pl.all_horizontal(pl.col(n).is_null() | (pl.col(n).str.strip_chars() == "") for n in names)
        frame = frame.filter(~blank)
        records += frame.height

        def col(key: str, names: list[str] = names, found: dict[str, int] = found) -> pl.Expr:
            if key not in found or found[key] >= len(names):
                return pl.lit(None, pl.String)
            c = pl.col(names[found[key]]).str.strip_chars()
            return pl.when(c == "").then(None).otherwise(c)

        # Hexadecimal cell ids / LACs (the header says so, or a value has hex letters) are
        # keyed in decimal, as the CDRs key them.
        id_keys = [k for k in ("cell", "lac") if k in found and found[k] < len(names)]
        said = [headers[found[k]] for k in id_keys if {"hex", "hexadecimal"} & set(header_qualifiers(headers[found[k]]))]
        seen = [headers[found[k]] for k in id_keys if frame.select(
            col(k).str.contains(r"(?i)0x|[a-f]").any()).item()]
        hexed = bool(said or seen)
        if hexed:
            assumptions.append(f"{block.label}cell ids written in hexadecimal ("
                               + (f"the header {', '.join(repr(h) for h in said)} says so" if said else
                                  f"{', '.join(repr(h) for h in seen)} hold hexadecimal digits")
                               + "): read as decimal, as CDRs key their cells".strip())

        def cell_part(key: str, hexed: bool = hexed) -> pl.Expr:
            return hex_to_decimal(col(key)) if hexed else col(key)

        t = frame.select(
            "source_ref",
            cell_key(cell_part("lac"), cell_part("cell")).alias("cell_id"),
            pl.coalesce(col("site"), col("site_name")).alias("site_id"),
            pl.concat_str([col("site_name"), col("address")], separator=", ", ignore_nulls=True).alias("address"),
            col("postcode").alias("postcode"),
            _num(col("lat")).alias("lat"), _num(col("lon")).alias("lon"),
            _num(col("easting")).alias("easting"), _num(col("northing")).alias("northing"),
            col("grid_ref").alias("grid_ref"),
            _num(col("azimuth")).alias("azimuth"), _num(col("beamwidth")).alias("beamwidth"),
            col("technology").alias("technology"), col("mcc_mnc").alias("mcc_mnc"),
        )
        bad = t.filter(pl.col("cell_id").is_null())
        if bad.height:
            rejects.append(bad.select(pl.lit(ctx.source_id).alias("source_id"), "source_ref",
                                      pl.lit("no cell id").alias("reason"),
                                      pl.coalesce("address", "site_id", pl.lit("")).str.slice(0, 80).alias("excerpt")))
        t = t.filter(pl.col("cell_id").is_not_null())
        if "grid_ref" in found and t.height:
            refs = t.get_column("grid_ref").unique().drop_nulls().to_list()
            en = {r: grid_ref_to_en(r) for r in refs}  # per distinct reference
            e_map = {r: v[0] for r, v in en.items() if v}
            n_map = {r: v[1] for r, v in en.items() if v}
            t = t.with_columns(
                pl.coalesce("easting", pl.col("grid_ref").replace_strict(e_map, default=None, return_dtype=pl.Float64)),
                pl.coalesce("northing", pl.col("grid_ref").replace_strict(n_map, default=None, return_dtype=pl.Float64)),
            )
        t = t.with_columns(pl.col("lat").is_not_null().alias("_given"))
        has_en = t.filter(pl.col("lat").is_null() & pl.col("easting").is_not_null() & pl.col("northing").is_not_null())
        basis: Any = pl.when(pl.col("_given")).then(pl.lit("WGS84 latitude/longitude as given"))
        if has_en.height:
            lat, lon = os_to_wgs84(t.get_column("easting").fill_null(float("nan")),
                                   t.get_column("northing").fill_null(float("nan")))
            conv = os_transform_description()
            t = t.with_columns(
                pl.when(pl.col("lat").is_null()).then(lat).otherwise(pl.col("lat")).alias("lat"),
                pl.when(pl.col("lon").is_null()).then(lon).otherwise(pl.col("lon")).alias("lon"),
            )
            basis = basis.when(pl.col("easting").is_not_null() & pl.col("lat").is_not_null()).then(
                pl.lit(f"OS National Grid (OSGB36) converted to WGS84: {conv}"))
            assumptions.append(f"{block.label}OS eastings/northings converted to WGS84 with {conv}".strip())
        out_of_range = ~pl.col("lat").is_between(-90, 90) | ~pl.col("lon").is_between(-180, 180)
        t = t.with_columns(
            pl.when(out_of_range).then(None).otherwise(pl.col("lat")).alias("lat"),
            pl.when(out_of_range).then(None).otherwise(pl.col("lon")).alias("lon"),
        ).with_columns(basis.otherwise(pl.lit("no usable position given")).alias("coord_basis")).drop("_given")
        tables.append(t)
    cells = pl.concat(tables, how="diagonal_relaxed") if tables else pl.DataFrame()
    dup = cells.filter(pl.col("cell_id").is_duplicated()).get_column("cell_id").unique().sort()
    if dup.len():
        assumptions.append(f"{dup.len()} cell id(s) listed more than once (e.g. {dup[0]}); the first row is used for joins")
    description = pl.concat_str([
        pl.lit("cell ") + pl.col("cell_id"),
        pl.lit("site ") + pl.col("site_id"),
        pl.col("address"),
        pl.lit("azimuth ") + pl.col("azimuth").round(0).cast(pl.Int64).cast(pl.String) + pl.lit("°"),
        pl.lit("beam ") + pl.col("beamwidth").round(0).cast(pl.Int64).cast(pl.String) + pl.lit("°"),
        pl.col("technology"),
    ], separator="; ", ignore_nulls=True)
    events = cells.select(
        "source_ref", pl.lit("cell").alias("kind"), pl.lit("cell").alias("channel"), "cell_id", "lat", "lon",
        description.alias("text"),
    )
    table = cells.with_columns(
        pl.lit(ctx.source_id).alias("source_id"),
        pl.col("cell_id").str.split("-").list.last().alias("cell_part"),
    ).select(list(CELLS_SCHEMA.names())).cast(dict(CELLS_SCHEMA))  # type: ignore[arg-type]
    too_long, n_long = long_line_rejects([block for block, _, _ in blocks], ctx.source_id)  # read as blank lines
    assumptions += long_line_notes([block for block, _, _ in blocks])
    if n_long:
        rejects.append(too_long)
    return ParseResult(
        events=events, rejects=pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECT_SCHEMA),
        records_read=records + n_long, assumptions=assumptions, extra={"cells": table},
    )
