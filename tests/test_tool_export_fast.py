"""The tool-export parser's fast path (:func:`parsers.tool_export._table_events_fast`) gives
exactly what the plain rule (:func:`parsers.tool_export._table_events_plain`) gives: the
same events, rejects and identity evidence (schema and values, row order included), the
same assumptions in the same order, the same records read and region.

Checked on every input the tool-export tests parse (each of those tests is run again here
with every parse done twice, fast and plain, and compared), on the generator's tool
exports, and on the benchmark's Cellebrite export (GMT and BST, repeated parties) at a
small scale. No file under ../shared/samples is a tool export (none is CSV or XLSX), so
there is no real sample for this parser to read.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from atlas.errors import FormatError
from atlas.normalise import Normalised, to_events
from atlas.normalise.identifiers import identifier_uri
from fixtures.generate import generate
from parsers import tool_export
from parsers.base import ParseContext, ParseResult
from tests._fast_plain import assert_identical, load_test_module

HERE = Path(__file__).resolve().parent






def parse_plain(path: Path, ctx: ParseContext, monkeypatch: pytest.MonkeyPatch,
                real: Callable[[Path, ParseContext], ParseResult] = tool_export.parse) -> ParseResult:
    with monkeypatch.context() as m:
        m.setattr(tool_export, "_table_events_fast", tool_export._table_events_plain)
        return real(path, ctx)


def normalised(result: ParseResult, ctx: ParseContext) -> Normalised:
    """``result`` normalised as the ingest normalises it (its region, the flags it passes on)."""
    region = (result.region or ctx.region).upper()
    owners = [identifier_uri(ctx.owner, source_id=ctx.source_id, region=region)] if ctx.owner else []
    return to_events(result.events, source_id=ctx.source_id, timezone=ctx.timezone, region=region, owner_uris=owners,
                     identifiers_are_uris=result.identifiers_are_uris, refs_unique=result.refs_unique)


def both(path: Path, ctx: ParseContext, monkeypatch: pytest.MonkeyPatch,
         real: Callable[[Path, ParseContext], ParseResult] = tool_export.parse) -> ParseResult:
    fast = real(path, ctx)
    assert_identical(fast, parse_plain(path, ctx, monkeypatch, real))
    # refs said distinct (so the normaliser does not check) are distinct
    assert not fast.refs_unique or fast.events.get_column("source_ref").n_unique() == fast.events.height
    # asked for URIs (as the ingest asks), fast and plain alike, and normalised to the same events
    # as the identifiers as written (converted by the normaliser)
    ask = replace(ctx, convert_identifiers=True)
    uris = real(path, ask)
    assert_identical(uris, parse_plain(path, ask, monkeypatch, real))
    assert uris.identifiers_are_uris == (fast.region is not None) and not fast.identifiers_are_uris
    assert uris.region == fast.region and uris.assumptions == fast.assumptions
    a, b = normalised(uris, ask), normalised(fast, ctx)
    assert a.events.equals(b.events, null_equal=True) and a.rejects.equals(b.rejects, null_equal=True)
    return fast


TEST_MODULES = ("test_tool_export", "test_tool_export_meaning")
CASES = [(module, name) for module in TEST_MODULES for name, func in vars(load_test_module(module)).items()
         if name.startswith("test_") and callable(func) and list(inspect.signature(func).parameters) == ["tmp_path"]]


@pytest.mark.parametrize(("module", "name"), CASES)
def test_every_tool_export_test_input_reads_the_same_fast_and_plain(
        module: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[Path] = []
    real = tool_export.parse

    def checked(path: Path, ctx: ParseContext) -> ParseResult:
        result = both(path, ctx, monkeypatch, real)
        compared.append(path)
        return result

    monkeypatch.setattr(tool_export, "parse", checked)
    getattr(load_test_module(module), name)(tmp_path)
    errors_only = {"test_a_map_file_with_an_unknown_field_is_a_clear_error",
                   "test_an_uncertain_table_is_an_error_with_the_best_partial_mapping"}
    assert compared or name in errors_only, "the test parsed no export: nothing was compared"


def test_the_cases_cover_the_tool_export_tests() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize("scenario", ["rejected-ex", "time-limit", "covert"])
def test_the_generators_tool_exports_read_the_same_fast_and_plain(
        scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / scenario
    truth: dict[str, Any] = generate(scenario, 2, 0.2, out)
    mine = [s for s in truth["sources"] if s["parser"] == "tool-export"]
    assert mine
    for src in mine:
        path = out / src["path"]
        for owner in (src["owner"], None):
            result = both(path, ParseContext(source_id="g", path=path, owner=owner), monkeypatch)
            assert result.events.height > 0


def test_the_benchmarks_cellebrite_export_reads_the_same_fast_and_plain(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.bench_tool_export import OWNER, write_tool_export

    path = tmp_path / "bench.xlsx"
    write_tool_export(path, 1_500)  # spans no BST change, but GMT and its own zone suffixes, 300 parties
    for owner in (f"tel:{OWNER}", None):
        result = both(path, ParseContext(source_id="b", path=path, owner=owner), monkeypatch)
        assert result.events.height == 1_500


def test_repeated_cells_every_party_shape_and_damage_read_the_same_fast_and_plain(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where sharing work per distinct cell could go wrong: numbers that lost their zero
    repeated on many rows (the count the assumption states), from/to/party/name columns,
    folder + status words (one unknown), blank and missing cells, a subject, attachments,
    a reject, every duration shape, apps, and rows whose key cells are all empty."""
    import xlsxwriter

    path = tmp_path / "odd.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Messages")
    ws.write_row(0, 0, ["From", "To", "Number", "Name", "When", "Folder", "State", "Secs", "App", "Subject", "Body",
                        "Files", "Deleted"])
    durations = ["61", "00:01:01", "1:02:03", "12.0", "", "abc", "00:00:09.5"]
    folders = ["Inbox", "Sent", "Draft", "Weird", "", "outbox"]
    states = ["Read", "Unread", "", "Sent", "Bogus"]
    apps = ["WhatsApp", "Native Messages", "", "Signal", "Telegram"]
    for i in range(120):
        row, j = i + 1, i % 12  # key cells repeat every 12 rows, times and texts do not
        ws.write_string(row, 0, ["", "Dan <dan@example.com>", "+447700900002", "Withheld"][j % 4])
        ws.write_string(row, 1, ["", "07700 900003; 07700 900004", "Ali", "123"][j % 3])
        if j % 5 == 0:
            ws.write_number(row, 2, 7700900000 + j % 3)  # lost zeros, each repeated on many rows
        elif j % 5 == 1:
            ws.write_string(row, 2, "")
        else:
            ws.write_string(row, 2, f"07700 90{j % 7:04d}")
        ws.write_string(row, 3, ["", "Dan", "Ali"][j % 3])
        ws.write_string(row, 4, "not a time" if i == 17 else f"{1 + i % 28:02d}/03/2026 {i % 24:02d}:05:00")
        ws.write_string(row, 5, folders[j % len(folders)])
        ws.write_string(row, 6, states[j % len(states)])
        ws.write_string(row, 7, durations[j % len(durations)])
        ws.write_string(row, 8, apps[j % len(apps)])
        ws.write_string(row, 9, "" if i % 2 else f"subject {i % 3}")
        ws.write_string(row, 10, f"text {i}")
        ws.write_string(row, 11, "" if i % 3 else "a.jpg; b.mp4")
        ws.write_string(row, 12, ["Yes", "No", ""][j % 3])
    ws.write_row(121, 0, [""] * 4 + ["02/03/2026 10:00:00"])  # only a time: every key cell empty
    wb.close()
    mapping = tmp_path / "odd.toml"
    mapping.write_text(
        '[odd.messages]\nrequired = ["When", "Body"]\n[odd.messages.columns]\n'
        '"From" = "from"\n"To" = "to"\n"Number" = "party"\n"Name" = "party_name"\n"When" = "timestamp"\n'
        '"Folder" = "folder"\n"State" = "status"\n"Secs" = "duration"\n"App" = "app"\n"Subject" = "subject"\n'
        '"Body" = "text"\n"Files" = "attachments"\n"Deleted" = "deleted"\n'
        , encoding="utf-8")
    calls = tmp_path / "calls.toml"
    calls.write_text(
        '[odd.calls]\nrequired = ["When", "Secs", "Number"]\n[odd.calls.columns]\n'
        '"Number" = "party"\n"Name" = "party_name"\n"When" = "timestamp"\n"Folder" = "call_type"\n'
        '"State" = "status"\n"Secs" = "duration"\n"App" = "app"\n"Deleted" = "deleted"\n', encoding="utf-8")
    for options in ({"map": str(mapping)}, {"map": str(calls)}):
        for owner in ("tel:+447700900001", None):
            result = both(path, ParseContext(source_id="o", path=path, owner=owner, options=options), monkeypatch)
            assert result.rejects.height == 1 and result.events.height == 120
            assert any("numbers had lost their leading 0" in a for a in result.assumptions)
            assert any("words not recognised" in a for a in result.assumptions)


def test_tables_read_in_threads_give_what_the_plain_rule_gives_reading_them_in_turn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.bench_tool_export import OWNER, write_tool_export

    path = tmp_path / "bench.xlsx"
    write_tool_export(path, 900)
    ctx = ParseContext(source_id="b", path=path, owner=f"tel:{OWNER}")
    with monkeypatch.context() as m:
        m.setattr(tool_export, "PARALLEL_MIN_ROWS", 0)
        m.setattr(tool_export.os, "cpu_count", lambda: 2)
        threaded = tool_export.parse(path, ctx)
    with monkeypatch.context() as m:
        m.setattr(tool_export, "PARALLEL_MIN_ROWS", 10**12)
        plain = parse_plain(path, ctx, monkeypatch)
    assert_identical(threaded, plain)
    assert threaded.events.height == 900


def test_the_first_tables_error_is_the_one_raised_when_tables_are_read_in_threads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xlsxwriter

    from atlas.errors import FormatError

    path = tmp_path / "two.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for name, when in (("Calls", "03/04/2026 10:00:00"), ("More calls", "03/04/2026 10:00:00")):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, ["Index", "Call Type", "Time", "Duration", "Number", "Name"])
        ws.write_row(1, 0, ["1", "Dialled", when, "00:00:10", "07700900002", ""])
        ws.write_row(2, 0, ["2", "Dialled", "25/12/2026 10:00:00", "00:00:10", "07700900002", ""])
    wb.close()
    errors = []
    for rows in (0, 10**12):
        with monkeypatch.context() as m:
            m.setattr(tool_export, "PARALLEL_MIN_ROWS", rows)
            m.setattr(tool_export.os, "cpu_count", lambda: 2)
            with pytest.raises(FormatError) as err:
                tool_export.parse(path, ParseContext(source_id="t", path=path, dayfirst=False))
            errors.append(str(err.value))
    assert errors[0] == errors[1] and "'Calls'" in errors[0]


ZONED = ["01/01/2026 10:00:00(UTC+1)", "01/01/2026 10:00:00 (UTC+0)", "01/01/2026 10:00:00(UTC-05:30)",
         "01/01/2026 10:00:00 UTC+1", "01/01/2026 10:00:00GMT+0100", "2026/01/01 10:00(UTC+10)",
         "01/01/2026 10:00:00.250(UTC+1)", "01.01.2026 10:00:00(GMT-3)", "01/01/2026 10:00:00 (utc+1) ", None]
OTHERS = ["01/01/2026 10:00:00+01:00 (UTC+1)", "01/01/2026 10:00:00Z", "01/01/2026 10:00:00 UTC", "01-Jan-2026 10:00(UTC+0)",
          "2026-01-01T10:00:00(UTC+1)", "01/01/2026 10:00:00+0100", "01/01/2026 10:00:00", "", "01/01/2026 10:00 (UTC+1) Z"]
PARENS = ["01/01/2026 10:00:00\u00a0(UTC+1)", "01/01/2026 10:00:00\t (UTC+1)\u2003", "(UTC+1)", " (UTC+1)", "x(UTC+1)",
          "01/01/2026 (a) 10:00:00(UTC+1)", "01/01/2026 10:00:00 ((UTC+1)", "01/01/2026 10:00:00(UTC+1)(UTC+2)",
          "01/01/2026 10:00:00(UTC+1", "01/01/2026 10:00:00 UTC+1)", "01/01/2026 10:00:00(UTC +1)", "01/01/2026 10:00:00( gmt-0930 )",
          "01/01/2026 10:00:00\x1c(UTC+1)", "01/01/2026 10:00:00(UTC+1)\n", "01/01/2026 10:00:00(UTC+1)x"]
"""Values the cut at the first ``(`` must read as the pattern does, or leave to the two-pass split:
Unicode spaces before and after, a zone alone, a ``(`` before the zone or doubled, two zones, an
unclosed or unopened bracket, spacing inside, a separator that is not whitespace, text after."""


@pytest.mark.parametrize("base", ["every form", "in brackets"])
@pytest.mark.parametrize("at_paren", [True, False])
@pytest.mark.parametrize("few", [0, 100])
@pytest.mark.parametrize("extra", [None, *OTHERS, *PARENS])
def test_a_named_zone_split_in_two_passes_is_the_plain_split(extra: str | None, few: int, at_paren: bool, base: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """:func:`parsers.tool_export._zone_split_named` (a cut at the first ``(``, else two
    regular-expression passes) gives the plain :func:`_zone_split`'s wall-clock text and offset,
    or leaves the table to it: every named-zone form, and each value that must send the table
    the plain way (a bare offset left after the named zone, ``Z``/``UTC`` suffixes, month names
    and ISO ``T``/``-`` separators, no zone at all, an empty cell); offsets looked up by hash or
    by equality tests (``few``); with the cut at ``(`` and without it (``at_paren``)."""
    monkeypatch.setattr(tool_export, "_FEW_SUFFIXES", few)
    cut_at_paren = tool_export._zone_split_at_paren
    cut: list[bool] = []

    def spied(body: pl.DataFrame, raw: pl.Series) -> pl.DataFrame | None:
        out = cut_at_paren(body, raw) if at_paren else None
        cut.append(out is not None)
        return out

    monkeypatch.setattr(tool_export, "_zone_split_at_paren", spied)
    zoned = ZONED if base == "every form" else [v for v in ZONED if v is None or "(" in v]
    values = zoned + ([extra] if extra is not None else [])
    body = pl.DataFrame({"_ts_raw": values}, schema={"_ts_raw": pl.String})
    wall, minutes = tool_export._zone_split(pl.col("_ts_raw"))
    plain = body.with_columns(wall.alias("_ts_txt"), minutes.alias("_off"))
    quick = tool_export._zone_split_named(body)
    if extra is None or extra in OTHERS:  # each of OTHERS sends the table the plain way
        assert (quick is None) == (extra is not None)
    # the cut at "(" reads a table in brackets alone (with none of OTHERS, which it must leave)
    assert cut[0] == (at_paren and base == "in brackets" and extra is None) or extra in PARENS
    if quick is not None:
        assert quick.select("_ts_txt", "_off").equals(plain.select("_ts_txt", "_off"), null_equal=True)
        assert quick.columns == [*body.columns, "_ts_txt", "_off"]
    for value in values:  # and value by value, where the quick split takes it
        one = pl.DataFrame({"_ts_raw": [value]}, schema={"_ts_raw": pl.String})
        alone = tool_export._zone_split_named(one)
        if alone is not None:
            assert alone.select("_ts_txt", "_off").equals(
                one.with_columns(wall.alias("_ts_txt"), minutes.alias("_off")).select("_ts_txt", "_off"), null_equal=True)


def test_a_zone_is_read_in_any_case() -> None:
    """``(utc+1)`` and ``gmt-3`` are the zones ``(UTC+1)`` and ``GMT-3``; ``z`` is UTC (the
    patterns were compiled case-insensitive in Python but handed to Polars without the flag)."""
    body = pl.DataFrame({"_ts_raw": ["01/01/2026 10:00:00 (utc+1)", "01/01/2026 10:00:00gmt-3",
                                     "2026-01-01 10:00:00z", "01/01/2026 10:00:00 (UTC+1)"]})
    wall, minutes = tool_export._zone_split(pl.col("_ts_raw"))
    out = body.select(wall.alias("wall"), minutes.alias("off"))
    assert out.get_column("off").to_list() == [60, -180, 0, 60]
    assert out.get_column("wall").to_list() == ["01/01/2026 10:00:00", "01/01/2026 10:00:00", "2026-01-01 10:00:00",
                                                "01/01/2026 10:00:00"]


def test_a_midnight_suffix_taken_off_as_a_suffix_is_the_regular_expressions_text() -> None:
    """The fast path's ``strip_suffix(" 00:00:00")`` against the plain rule's ``replace(r" 00:00:00$", "")``:
    once only, only at the very end (not before a line break), nothing else touched."""
    values = pl.Series(["01/01/2026 00:00:00", "01/01/2026 00:00:00 00:00:00", "01/01/2026 00:00:00\n", "00:00:00",
                        " 00:00:00", "01/01/2026  00:00:00", "01/01/2026 10:00:00", "", None, "x 00:00:000"], dtype=pl.String)
    assert values.str.strip_suffix(" 00:00:00").equals(values.str.replace(r" 00:00:00$", ""), null_equal=True)


@pytest.mark.parametrize(("dates", "times"), [
    (["01/02/2026", "02/02/2026", None], ["10:00:00", None, "11:00"]),
    (["45292", " 45292.5 ", "01/02/2026"], ["10:00:00", "0.5", " .25 "]),
    (["01/02/2026", "45292"], ["1230", "10:00"]),
    ([None, None], [None, None]),
    ([], []),
    (["2026-01-01 00:00:00", "45292.75"], ["12:00:00(UTC+1)", "0"]),
])
def test_time_column_facts_are_the_plain_rules(dates: list[str | None], times: list[str | None]) -> None:
    """Excel serial counts and the day-fraction flag from distinct dates and a ``:`` test are
    those counted row by row: serials, fractions, padding, nulls, an empty table."""
    frame = pl.DataFrame({"d": dates, "t": times}, schema={"d": pl.String, "t": pl.String})
    for date_cols, time_col in ((["d"], "t"), (["d"], None), ([], "t"), (["d", "t"], None), ([], None)):
        assert (tool_export._time_facts(frame, date_cols, time_col)
                == tool_export._time_facts_plain(frame, date_cols, time_col))


DATE_SHAPES = {
    "clean": lambda i: f"{1 + i % 28:02d}/03/2026",
    "padded": lambda i: f"  {1 + i % 28:02d}/03/2026 " if i % 3 else f"{1 + i % 28:02d}/03/2026",
    "midnight suffix": lambda i: f"{1 + i % 28:02d}/03/2026 00:00:00",
    "excel serials": lambda i: str(46082 + i % 28) if i % 4 else f"{1 + i % 28:02d}/03/2026",
    "a bracket in a date": lambda i: f"{1 + i % 28:02d}/03/2026 (Mon)" if i % 5 == 0 else f"{1 + i % 28:02d}/03/2026",
    "no date in some": lambda i: "unknown" if i == 7 else f"{1 + i % 28:02d}/03/2026",
    "month names": lambda i: f"{1 + i % 28} Mar 2026",
    "blank and missing": lambda i: "" if i == 3 else (None if i == 4 else f"{1 + i % 28:02d}/03/2026"),
    "only time-like": lambda i: "1 UTC-10" if i == 2 else f"{1 + i % 28:02d}/03/2026",
}
TIME_SHAPES = {
    "zone in brackets": lambda i: f"{i % 24:02d}:{i % 60:02d}:07(UTC+{i % 2})",
    "spaced zone": lambda i: f"{i % 24:02d}:{i % 60:02d}:07 (UTC+{i % 2})",
    "zone alone in one": lambda i: "(UTC+1)" if i == 5 else f"{i % 24:02d}:{i % 60:02d}:07(UTC+0)",
    "no zone in one": lambda i: "10:00:00" if i == 9 else f"{i % 24:02d}:{i % 60:02d}:07(UTC+0)",
    "missing time": lambda i: None if i == 6 else f"{i % 24:02d}:{i % 60:02d}:07(UTC+1)",
}


@pytest.mark.parametrize("times", list(TIME_SHAPES))
@pytest.mark.parametrize("dates", list(DATE_SHAPES))
def test_date_and_time_columns_of_every_shape_read_the_same_fast_and_plain(
        dates: str, times: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Cellebrite messages sheet (date and time columns) whose dates are padded, end in a midnight
    time, are Excel serials, hold a bracket or no date at all, name months, are blank or missing,
    or look like a zone, with times zoned in brackets (spaced, alone, missing, or once with no
    zone): the fast path's shortcuts (the date column used as it is where its text steps change no
    distinct date; no date filter where every text is proved to hold a date) give the plain rule's
    events, rejects and assumptions, or its error."""
    import xlsxwriter

    from fixtures.writers.tool_export import SMS_HEAD

    path = tmp_path / "dates.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("SMS Messages")
    ws.write_row(0, 0, SMS_HEAD)
    for i in range(40):
        date, time = DATE_SHAPES[dates](i), TIME_SHAPES[times](i)
        row = [str(i + 1), f"From: 07700 9000{i % 7:02d} Dan", "Inbox", "Read", date, time, f"text {i}", "Native Messages", ""]
        for j, v in enumerate(row):
            if v is not None:
                if dates == "excel serials" and j == 4 and v.isdigit():
                    ws.write_number(i + 1, j, int(v))
                else:
                    ws.write_string(i + 1, j, v)
    wb.close()
    ctx = ParseContext(source_id="d", path=path, owner="tel:+447700900001")
    try:
        fast = tool_export.parse(path, ctx)
    except FormatError as exc:
        with pytest.raises(FormatError) as err:
            parse_plain(path, ctx, monkeypatch)
        assert str(err.value) == str(exc)
        return
    assert fast.events.height + fast.rejects.height == fast.records_read
    both(path, ctx, monkeypatch)
