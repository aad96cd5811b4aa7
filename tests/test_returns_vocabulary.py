"""Cell-site lists and subscriber returns: header names kept as data
(parsers/templates/returns_vocabulary.toml), matched with or without their bracketed
units, and hexadecimal cell ids keyed in decimal like the CDRs'."""

from __future__ import annotations

from pathlib import Path

import parsers
from parsers.base import ParseContext
from parsers.cdr import parse as parse_cdr


def write(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_a_cell_site_list_with_units_in_brackets_and_hex_ids_joins_the_cdrs_cells(tmp_path: Path) -> None:
    sites = write(tmp_path / "sites.csv", [
        ["LAC (hex)", "Cell ID (hex)", "Site Name", "Latitude (WGS 84)", "Longitude (WGS 84)", "Azimuth (°)"],
        ["03E9", "4FE3", "Mast A", "51.5010", "-0.1410", "120"],
        ["0x3E9", "0x4FE4", "Mast A", "51.5010", "-0.1410", "240"]])
    parser = parsers.detect(sites)
    assert parser.INFO.name == "cell-sites"
    result = parser.parse(sites, ParseContext(source_id="s", path=sites))
    assert result.events.get_column("cell_id").to_list() == ["1001-20451", "1001-20452"]
    assert result.events.get_column("lat").to_list() == [51.501, 51.501]
    assert any("hexadecimal" in a and "'LAC (hex)'" in a for a in result.assumptions)
    cdr = write(tmp_path / "cdr.csv", [
        ["Calling Number", "Called Number", "Start Date Time", "Duration (s)", "Call Type", "First LAC", "First Cell ID"],
        ["07700900002", "07700900001", "01/03/2026 12:00:00", "62", "Voice", "1001", "20451"]])
    calls = parse_cdr(cdr, ParseContext(source_id="c", path=cdr))
    assert set(calls.events.get_column("cell_id")) <= set(result.events.get_column("cell_id"))


def test_decimal_cell_ids_are_never_read_as_hex(tmp_path: Path) -> None:
    sites = write(tmp_path / "sites.csv", [
        ["Cell ID", "LAC", "Latitude", "Longitude", "Azimuth"], ["20451", "1001", "51.5", "-0.14", "0"]])
    result = parsers.detect(sites).parse(sites, ParseContext(source_id="s", path=sites))
    assert result.events.get_column("cell_id").to_list() == ["1001-20451"]
    assert not any("hexadecimal" in a for a in result.assumptions)


def test_a_subscriber_return_with_bracketed_units_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "subs.csv", [
        ["MSISDN (E.164)", "Subscriber Name", "Address", "IMSI", "IMEI (15 digits)"],
        ["447700900002", "Dan Sample", "1 High St", "234100000000001", "356938035643809"]])
    parser = parsers.detect(path)
    assert parser.INFO.name == "subscriber"
    result = parser.parse(path, ParseContext(source_id="s", path=path))
    assert result.events.get_column("sender").to_list() == ["phone:447700900002"]
    assert result.evidence is not None
    assert "imei:356938035643809" in result.evidence.get_column("related").to_list()
