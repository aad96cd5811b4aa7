"""The shared reader loads each workbook sheet eagerly as one Arrow batch
(:func:`parsers._tabular._sheet_frame`); that frame is the plain rule's
(:func:`parsers._tabular._sheet_frame_plain`, fastexcel's lazy sheet object) exactly:
schema, column names and every value, whole sheets and the detection head, on every
kind of cell a workbook holds and on the workbooks the generator and the benchmark write."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import fastexcel
import pytest
import xlsxwriter

from fixtures.generate import generate
from parsers._tabular import HEAD_ROWS, _sheet_frame, _sheet_frame_plain


def assert_same_sheets(path: Path) -> int:
    reader = fastexcel.read_excel(path)
    compared = 0
    for name in reader.sheet_names:
        for n_rows in (None, HEAD_ROWS, 1):
            eager, plain = _sheet_frame(reader, name, n_rows), _sheet_frame_plain(reader, name, n_rows)
            assert eager.schema == plain.schema, (path.name, name, n_rows)
            assert eager.equals(plain, null_equal=True), (path.name, name, n_rows)
            compared += eager.height
    return compared


def test_every_kind_of_cell_loads_the_same_eagerly(tmp_path: Path) -> None:
    path = tmp_path / "cells.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Mixed")
    stamp = wb.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"})
    cells: list[Any] = ["text", 7700900002, 0.5, 46085.25, True, False, "", None, "07700 900123", "=1+1", "ünï ☎",
                        "line\nbreak", -3, 1e20]
    for r in range(150):
        for c, v in enumerate(cells):
            if v is None or (r + c) % 11 == 0:
                continue
            ws.write(r + 3, c + 2, v) if not isinstance(v, str) or not v.startswith("=") else ws.write_formula(
                r + 3, c + 2, v, None, 2)
        ws.write_datetime(r + 3, len(cells) + 2, datetime(2026, 3, 4, 10, r % 60), stamp)
        ws.write_datetime(r + 3, len(cells) + 3, datetime.combine(date(2026, 1, 1), time(r % 24, 5)),
                          wb.add_format({"num_format": "hh:mm"}))
    wb.add_worksheet("Empty")
    wb.add_worksheet("One cell").write(0, 0, "only")
    wb.close()
    assert assert_same_sheets(path) > 150


@pytest.mark.parametrize("scenario", ["rejected-ex", "third-parties"])
def test_the_generators_workbooks_load_the_same_eagerly(scenario: str, tmp_path: Path) -> None:
    generate(scenario, 1, 0.2, tmp_path / scenario)
    books = sorted((tmp_path / scenario).rglob("*.xlsx"))
    assert books
    assert sum(assert_same_sheets(book) for book in books) > 0


def test_the_benchmarks_workbooks_load_the_same_eagerly(tmp_path: Path) -> None:
    from bench.bench_tool_export import write_cdr_xlsx, write_tool_export

    write_tool_export(tmp_path / "t.xlsx", 600)
    write_cdr_xlsx(tmp_path / "c.xlsx", 600)
    assert assert_same_sheets(tmp_path / "t.xlsx") >= 600 and assert_same_sheets(tmp_path / "c.xlsx") >= 600


@pytest.mark.parametrize("pad", [0, 100, 16 * 1024 - 40, 16 * 1024 - 20, 16 * 1024 - 9, 16 * 1024 - 3, 16 * 1024, 20_000,
                                 300_000])
@pytest.mark.parametrize("cell", ['<c r="B7" t="s"><v>3</v></c>', '<c r="C12" t="inlineStr"><is><t>x</t></is></c>',
                                  '<c r="A3"><f>SUM(A1:A2)</f><v>4</v></c>', '<c r="D9" s="2"><f t="shared" si="0"/><v>1</v></c>',
                                  '<c r="E5" s="1"/>'])
@pytest.mark.parametrize("filler", ["empty cells", "multibyte"])
def test_the_first_value_cell_read_from_a_peek_is_the_one_the_whole_head_gives(pad: int, cell: str, filler: str) -> None:
    """:func:`parsers._tabular._first_value_cell` (the first 16 KB of a sheet's XML, the head only
    where no match ends well inside them) against the plain rule (the pattern over the first
    256 KB): the first value cell before, at and across the peek's end (a character cut in two
    there), constants, inline strings, formulas, an empty cell, and none within the head."""
    import io
    import re

    from parsers import _tabular

    unit = '<c r="A1" s="1"/>' if filler == "empty cells" else "é"
    before = (unit * (pad // len(unit.encode()) + 1))[: max(0, pad // len(unit.encode()))]
    xml = ('<worksheet><sheetData><row r="1">' + before + cell + '<c r="Z99" t="s"><v>9</v></c></row>'
           + "</sheetData></worksheet>").encode()
    plain = _tabular._FIRST_VALUE_CELL.search(xml[: 256 * 1024].decode("utf-8", errors="replace"))
    quick = _tabular._first_value_cell(io.BytesIO(xml))
    assert (quick is None) == (plain is None)
    if plain is not None and quick is not None:
        assert quick.group(1) == plain.group(1) and quick.start() == plain.start()
    assert isinstance(_tabular._FIRST_VALUE_CELL, re.Pattern)
