"""Cell-site lists, OS grid conversion, and the read-time join of CDR cells."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import xlsxwriter

import parsers
from atlas.cell_site import cdr_events_with_cells, grid_ref_to_en, os_to_wgs84, unknown_cells
from atlas.ingest import IngestOptions, ingest
from atlas.store import Case
from parsers.base import ParseContext
from parsers.cell_sites import parse

CDR = """Target Number,07700900002
Calling Number,Called Number,Start Date Time,Duration (s),Call Type,Direction,First LAC,First Cell ID,Last LAC,Last Cell ID
07700900002,07700900001,01/03/2026 12:00:00,62,Voice,MO,1001,20451,1001,20452
07700900002,07700900001,01/03/2026 12:10:00,0,SMS,MO,1001,20999,,
07700900002,,01/03/2026 13:00:00,60,Data,MO,,20460,,
"""
CELLS = """Site ID,Address,LAC,Cell ID,Easting,Northing,Azimuth,Beamwidth,Technology
S1,Water Tower,1001,20451,651409.903,313177.270,0,65,3G
S1,Water Tower,1001,20452,651409.903,313177.270,120,65,3G
S2,Nelson's Column,1001,20460,530050,180300,240,65,3G
S3,No cell,,,530000,180000,0,65,2G
"""


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = (a[0] - b[0]) * 111_320
    dlon = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dlat, dlon)


def test_os_grid_projection_matches_the_ordnance_survey_worked_example() -> None:
    # OS "A guide to coordinate systems in Great Britain", transverse Mercator example:
    # E 651409.903, N 313177.270 is OSGB36 52°39'27.2531"N 1°43'4.5177"E (Caister water tower).
    from pyproj import Transformer

    lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4277", always_xy=True).transform(651409.903, 313177.270)
    assert lat == pytest.approx(52 + 39 / 60 + 27.2531 / 3600, abs=1e-8)
    assert lon == pytest.approx(1 + 43 / 60 + 4.5177 / 3600, abs=1e-8)
    # WGS84 differs from OSGB36 there by the datum shift (about 120 m west, 45 m north): it was applied.
    wlat, wlon = os_to_wgs84(pl.Series([651409.903]), pl.Series([313177.270]))
    assert 100 < metres((wlat[0], wlon[0]), (lat, lon)) < 160
    assert wlon[0] < lon and wlat[0] > lat


def test_lettered_grid_references_are_read() -> None:
    assert grid_ref_to_en("TQ 30080 80071") == (530080, 180071)
    assert grid_ref_to_en("TQ3080") == (530000, 180000)
    assert grid_ref_to_en("NN 166 712") == (216600, 771200)
    assert grid_ref_to_en("XX 1 2 3") is None


def test_a_cell_list_with_eastings_northings_is_converted_and_stored_as_events_and_a_table(tmp_path: Path) -> None:
    path = tmp_path / "cells.csv"
    path.write_text(CELLS, encoding="utf-8")
    assert parsers.detect(path).INFO.name == "cell-sites"
    res = parse(path, ParseContext(source_id="s1", path=path))
    cells = res.extra["cells"].sort("source_ref")
    assert cells.get_column("cell_id").to_list() == ["1001-20451", "1001-20452", "1001-20460"]
    row = cells.row(0, named=True)
    assert row["lat"] == pytest.approx(52.657979, abs=1e-6) and row["lon"] == pytest.approx(1.716052, abs=1e-6)
    assert row["azimuth"] == 0 and row["beamwidth"] == 65 and row["technology"] == "3G"
    assert row["coord_basis"].startswith("OS National Grid (OSGB36) converted to WGS84")
    assert res.events.get_column("kind").unique().to_list() == ["cell"]
    assert "azimuth 120°" in res.events.sort("source_ref").get_column("text")[1]
    assert res.rejects.get_column("reason").to_list() == ["no cell id"]
    assert res.records_read == 4


def _xlsx(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Cells")
    rows = [["Site Ref", "Site Address", "TAC", "ECI", "Latitude", "Longitude", "Azimuth (deg)", "Beam Width", "Tech"],
            ["B1", "1 Mast Street", "5021", "25625857", "51.5074", "-0.1278", "0", "65", "4G"]]
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            ws.write_string(r, c, v)
    wb.close()
    return path


def test_a_cell_list_with_latitude_longitude_in_xlsx_is_read_as_given(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "cells.xlsx")
    res = parse(path, ParseContext(source_id="s1", path=path))
    row = res.extra["cells"].row(0, named=True)
    assert (row["cell_id"], row["lat"], row["lon"]) == ("5021-25625857", 51.5074, -0.1278)
    assert row["coord_basis"] == "WGS84 latitude/longitude as given"
    assert res.events.row(0, named=True)["source_ref"] == "sheet Cells row 2"


@pytest.mark.parametrize("cells_first", [True, False])
def test_cdr_cells_join_whichever_was_ingested_first_and_unknown_cells_are_reported(
        tmp_path: Path, case_dir: Path, cells_first: bool) -> None:
    cdr, cells = tmp_path / "cdr.csv", tmp_path / "cells.csv"
    cdr.write_text(CDR, encoding="utf-8")
    cells.write_text(CELLS, encoding="utf-8")
    case = Case.open(case_dir)
    for p in ([cells, cdr] if cells_first else [cdr, cells]):
        ingest(case, [p], IngestOptions())
    joined = cdr_events_with_cells(case).sort("ts_utc")
    assert joined.height == 3  # nothing dropped
    assert joined.get_column("cell_known").to_list() == [True, False, True]
    assert joined.get_column("cell_match").to_list() == ["exact", "not in any cell-site list",
                                                          "cell id only (no LAC/TAC match)"]
    assert joined.get_column("cell_lat")[0] == pytest.approx(52.657979, abs=1e-6)
    assert joined.get_column("last_cell_azimuth")[0] == 120
    missing = unknown_cells(case)
    assert missing.get_column("cell_id").to_list() == ["1001-20999"] and missing.get_column("records").to_list() == [1]


def test_atlas_cells_lists_unknown_cells(tmp_path: Path, case_dir: Path, atlas: Callable[..., Any]) -> None:
    cdr, cells = tmp_path / "cdr.csv", tmp_path / "cells.csv"
    cdr.write_text(CDR, encoding="utf-8")
    cells.write_text(CELLS, encoding="utf-8")
    assert atlas("ingest", case_dir, cdr, cells).code == 0
    res = atlas("cells", case_dir)
    assert res.code == 0 and "2 of 3 CDR records with a cell are located" in res.out and "1001-20999" in res.out
