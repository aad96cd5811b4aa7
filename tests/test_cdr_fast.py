"""The CDR parser's speed paths give exactly what their plain rules give: the region's
distinct numbers (:func:`atlas.normalise.region.numbers_in` against ``numbers_in_plain``),
the distinct SIMs (``_distinct_imsis`` against ``_distinct_imsis_plain``), each row's
status looked up by type and answer (``_status_lookup``) against the when/then rule, and the
``same-imei`` evidence (one target or one handset not grouped by, against grouping by
target and IMEI always). Same events, rejects, evidence (schema, values and order),
assumptions, records read and region.

Checked on every input the CDR tests parse (each test taking only ``tmp_path`` is run
again with every parse done fast and plain and compared), on the generator's CDR returns
and on the benchmark's return at a small scale. No public CDR sample exists (none under
../shared/samples), so there is no real sample for this parser to read.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from atlas.normalise import region as region_module
from fixtures.generate import generate
from parsers import cdr
from parsers.base import ParseContext, ParseResult
from tests._fast_plain import assert_identical, load_test_module

HERE = Path(__file__).resolve().parent






def parse_plain(path: Path, ctx: ParseContext, monkeypatch: pytest.MonkeyPatch,
                real: Callable[[Path, ParseContext], ParseResult] = cdr.parse) -> ParseResult:
    with monkeypatch.context() as m:
        m.setattr(cdr, "numbers_in", region_module.numbers_in_plain)
        m.setattr(cdr, "_distinct_imsis", cdr._distinct_imsis_plain)
        m.setattr(cdr, "_imei_evidence", functools.partial(cdr._imei_evidence, plain=True))
        m.setattr(cdr, "_status_lookup", lambda etypes, codes: {})
        return real(path, ctx)


def both(path: Path, ctx: ParseContext, monkeypatch: pytest.MonkeyPatch,
         real: Callable[[Path, ParseContext], ParseResult] = cdr.parse) -> ParseResult:
    fast = real(path, ctx)
    assert_identical(fast, parse_plain(path, ctx, monkeypatch, real))
    return fast


TEST_MODULES = ("test_cdr", "test_cdr_meaning")
NOT_PARSED = {"test_a_broken_map_file_is_a_clear_error", "test_detection_is_by_content_not_name",
              "test_detection_is_confident_only_when_the_meaning_maps_without_doubt"}
CASES = [(module, name) for module in TEST_MODULES for name, func in vars(load_test_module(module)).items()
         if name.startswith("test_") and callable(func) and list(inspect.signature(func).parameters) == ["tmp_path"]]


@pytest.mark.parametrize(("module", "name"), CASES)
def test_every_cdr_test_input_reads_the_same_fast_and_plain(
        module: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = cdr.parse
    compared: list[Path] = []

    def checked(path: Path, ctx: ParseContext) -> ParseResult:
        compared.append(path)  # (a test of an error compares the errors: both raise the same)
        return both(path, ctx, monkeypatch, real)

    monkeypatch.setattr(cdr, "parse", checked)
    test_module = load_test_module(module)
    if getattr(test_module, "parse", None) is real:
        monkeypatch.setattr(test_module, "parse", checked)
    getattr(test_module, name)(tmp_path)
    assert compared or name in NOT_PARSED, "the test parsed no return: nothing was compared"


def test_the_cases_cover_the_cdr_tests() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize("scenario", ["rejected-ex", "time-limit"])
def test_the_generators_cdr_returns_read_the_same_fast_and_plain(
        scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / scenario
    truth: dict[str, Any] = generate(scenario, 2, 0.2, out)
    mine = [s for s in truth["sources"] if s["parser"] == "cdr"]
    assert mine
    for src in mine:
        path = out / src["path"]
        result = both(path, ParseContext(source_id="g", path=path), monkeypatch)
        assert result.events.height > 0


def test_the_benchmarks_return_reads_the_same_fast_and_plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.bench_cdr import write_cdr

    path = tmp_path / "cdr.csv"
    write_cdr(path, 3_000)
    result = both(path, ParseContext(source_id="b", path=path), monkeypatch)
    assert result.events.height == 3_000


def test_several_handsets_targets_and_missing_imeis_give_the_same_evidence() -> None:
    """Where not grouping could go wrong: a second IMEI, a missing IMEI, a second target,
    IMSIs missing or padded."""
    ts = pl.datetime_range(pl.datetime(2026, 1, 1), pl.datetime(2026, 1, 1, 0, 9), "1m", eager=True,
                           time_zone="UTC")
    base = pl.DataFrame({
        "source_ref": [f"row {i}" for i in range(10)], "imei": ["111"] * 10, "target": ["0770"] * 10,
        "imsi": [" 234", "234", None, "235 ", "234", None, "234", "234", "236", "234"], "ts_utc": ts,
    })
    variants = [
        base, base.with_columns(imei=pl.Series(["111"] * 9 + ["222"])),
        base.with_columns(imei=pl.Series(["111"] * 9 + [None], dtype=pl.String)),
        base.with_columns(target=pl.Series(["0770"] * 9 + ["0771"])), base.with_columns(imsi=pl.lit(None, pl.String)),
        base.head(0),
    ]
    ctx = ParseContext(source_id="s", path=Path("x.csv"))
    for frame in variants:
        fast, plain = cdr._imei_evidence(frame, ctx), cdr._imei_evidence(frame, ctx, plain=True)
        assert (fast is None) == (plain is None)
        if fast is not None and plain is not None:
            assert fast.equals(plain, null_equal=True)
        assert cdr._distinct_imsis(frame.get_column("imsi")) == cdr._distinct_imsis_plain(frame.get_column("imsi"))
    events = pl.DataFrame({"sender": ["phone:1", None, "phone:2", "email:x"],
                           "recipients": [["phone:3"], [], None, ["phone:1", "phone:4"]]})
    assert region_module.numbers_in(events, None, base) == region_module.numbers_in_plain(events, None, base)


def test_every_status_rule_reads_the_same_fast_and_plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Voice answered, unanswered (0), with no or unreadable duration; voicemail, call
    forward, SMS, data; a type the layout does not know and a missing type: the looked-up
    status equals the when/then rule's on every row (rejects included)."""
    header = ("Calling Number,Called Number,Start Date Time,Duration (s),Call Type,Direction,First LAC,First Cell ID,"
              "Last LAC,Last Cell ID,IMEI,IMSI,Roaming")
    kinds = [("Voice", "62"), ("Voice", "0"), ("Voice", ""), ("Voice", "x"), ("Voicemail", "20"), ("Call Forward", "5"),
             ("SMS", "0"), ("Data", "600"), ("Fax", "3"), ("", "4"), ("voice", "9"), ("Voice", "-1")]
    lines = ["Communications data return", "Target Number,07700900002", "", header]
    for i in range(240):
        kind, secs = kinds[i % len(kinds)]
        lines.append(f"07700900002,07700900{i % 7:03d},01/03/2026 12:{i % 60:02d}:00,{secs},{kind},MO,1001,20451,,,"
                     "356938035643809,234100000000001,N")
    path = tmp_path / "statuses.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = both(path, ParseContext(source_id="s", path=path), monkeypatch)
    statuses = set(result.events.get_column("status").to_list())
    assert {"answered", "missed", "voicemail", "forwarded", None} <= statuses
