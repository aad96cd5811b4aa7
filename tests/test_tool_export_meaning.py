"""Tool exports in a layout no template names: messages, calls and contacts tables mapped by
the meaning of their headers (tool_export_vocabulary.toml), zones and date orders written in
brackets honoured, and an uncertain table a clear error with the best partial mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import parsers
from atlas.errors import FormatError
from parsers import tool_export
from parsers.base import ParseContext, ParseResult


def write(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def parse(path: Path) -> ParseResult:
    return tool_export.parse(path, ParseContext(source_id="s", path=path))


def test_a_messages_table_in_a_new_layout_is_read_by_meaning(tmp_path: Path) -> None:
    path = write(tmp_path / "Messages.csv", [
        ["Case OP-1 export"],
        ["Row", "Sent (UTC+1)", "Sender", "Recipient", "Message Text", "Type", "Application"],
        ["1", "01/03/2026 14:05:00", "07700 900123", "Alice", "where are you", "Incoming", "SMS"],
        ["2", "01/03/2026 14:06:00", "Alice", "07700 900123", "leave me alone", "Outgoing", "WhatsApp"]])
    assert parsers.detect(path).INFO.name == "tool-export"
    result = parse(path)
    assert result.records_read == 2 and result.rejects.height == 0
    ev = result.events.sort("source_ref")
    assert ev.get_column("source_ref").to_list() == ["row 3", "row 4"]
    assert ev.get_column("kind").to_list() == ["message", "message"]
    assert ev.get_column("direction").to_list() == ["in", "out"]
    assert ev.get_column("channel").to_list() == ["sms", "whatsapp"]
    assert ev.get_column("ts_utc").to_list() == [datetime(2026, 3, 1, 13, 5, tzinfo=UTC),
                                                 datetime(2026, 3, 1, 13, 6, tzinfo=UTC)]  # UTC+1 in the header
    assert ev.get_column("sender").to_list() == ["phone:07700 900123", "name:Alice"]
    said = next(a for a in result.assumptions if "mapped by meaning" in a)
    assert "read as messages" in said and "'Message Text' → text" in said and "'Type' → direction" in said


def test_a_calls_table_in_a_new_layout_is_read_by_meaning(tmp_path: Path) -> None:
    path = write(tmp_path / "Calls.csv", [
        ["Date (UTC)", "Time (UTC)", "Number", "Call Type", "Duration"],
        ["2026-03-01", "22:10:00", "07700900123", "Missed", "0"],
        ["2026-03-01", "22:15:00", "07700900123", "Incoming", "00:02:05"]])
    result = parse(path)
    ev = result.events.sort("source_ref")
    assert ev.get_column("kind").to_list() == ["call", "call"]
    assert ev.get_column("status").to_list() == ["missed", "answered"]
    assert ev.get_column("duration_s").to_list() == [0, 125]
    assert ev.get_column("ts_utc").to_list()[0] == datetime(2026, 3, 1, 22, 10, tzinfo=UTC)


def test_an_uncertain_table_is_an_error_with_the_best_partial_mapping(tmp_path: Path) -> None:
    path = write(tmp_path / "odd.csv", [
        ["When", "Sender", "Recipient", "Message Text"],
        ["01/03/2026 14:05", "07700 900123", "Alice", "hi"]])
    with pytest.raises(FormatError) as err:
        parse(path)
    text = str(err.value)
    assert "by meaning not certain: kind" in text and "'Sender' → from" in text


def test_shipped_templates_still_win(tmp_path: Path) -> None:
    path = write(tmp_path / "Calls.csv", [  # XRY's calls layout
        ["Number", "Name", "Time", "Call Type", "Duration"],
        ["07700900123", "Dan", "01/03/2026 14:05:00", "Received", "00:00:10"]])
    result = parse(path)
    assert not any("mapped by meaning" in a for a in result.assumptions)
    assert any("xry calls" in a for a in result.assumptions)


def test_atlas_map_writes_a_tool_export_template_that_reads_the_same(tmp_path: Path, atlas: object) -> None:
    path = write(tmp_path / "Messages.csv", [
        ["Sent (UTC+1)", "Sender", "Recipient", "Message Text", "Type"],
        ["01/03/2026 14:05:00", "07700 900123", "Alice", "where are you", "Incoming"]])
    out = tmp_path / "m.toml"
    res = atlas("map", path, "--out", out)  # type: ignore[operator]
    assert res.code == 0, res.err
    assert "'Message Text'" in res.out and "-> text" in res.out
    mapped = tool_export.parse(path, ParseContext(source_id="s", path=path, options={"map": str(out)}))
    auto = parse(path)
    assert mapped.events.equals(auto.events)
