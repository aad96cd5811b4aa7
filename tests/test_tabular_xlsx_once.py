"""A workbook is read once per ingest: detection's whole read is kept for the parse that
follows, and only while the file is unchanged. (The date sniffer's head-first shortcut is
tested in tests/test_normalise_times.py.)"""

from __future__ import annotations

import os
from pathlib import Path

import fastexcel
import pytest

from fixtures.writers.tool_export import cellebrite_workbook
from parsers import _tabular, tool_export
from parsers.base import ParseContext, Probe


def _rows(n: int, body: str) -> list[tuple[str, list[str]]]:
    return [("SMS Messages", [str(i + 1), f"From: 07700 900{i:03d} Ann", "Inbox", "Read", "02/03/2026",
                              f"10:{i % 60:02d}:00(UTC+0)", f"{body} {i}", "Native Messages", ""]) for i in range(n)]


def _parse(path: Path) -> list[tuple[object, ...]]:
    result = tool_export.parse(path, ParseContext(source_id="t", path=path, owner="tel:+447700900001"))
    return result.events.rows()


def test_detection_then_parse_opens_the_workbook_once_and_reads_what_a_parse_alone_reads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "export.xlsx"
    cellebrite_workbook(path, "T/1", _rows(150, "hello"))
    alone = _parse(path)
    opened: list[Path] = []
    real = fastexcel.read_excel

    def counting(source: Path) -> fastexcel.ExcelReader:
        opened.append(source)
        return real(source)

    monkeypatch.setattr(fastexcel, "read_excel", counting)
    heads = _tabular.probe_sheets(Probe(path))
    assert [s.name for s in heads] == ["Summary", "SMS Messages", "Calls"]
    assert len(heads[1].rows) == _tabular.HEAD_ROWS  # detection still sees only the head
    assert _parse(path) == alone
    assert opened == [path]
    assert _parse(path) == alone  # the kept read was used once: the next parse reads the file
    assert len(opened) == 2


def test_a_workbook_changed_after_detection_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    cellebrite_workbook(path, "T/1", _rows(20, "before"))
    _tabular.probe_sheets(Probe(path))
    cellebrite_workbook(path, "T/1", _rows(30, "after"))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    events = _parse(path)
    assert len(events) == 30
    assert all("after" in str(row) for row in events)
