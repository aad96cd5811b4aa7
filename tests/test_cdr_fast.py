"""The CDR parser's speed paths give exactly what their plain rules give: the region's
distinct numbers (:func:`atlas.normalise.region.numbers_in` against ``numbers_in_plain``),
the distinct SIMs (``_distinct_imsis`` against ``_distinct_imsis_plain``), each row's
status looked up by type and answer (``_status_lookup``) against the when/then rule, and the
``same-imei`` evidence (one target or one handset not grouped by, against grouping by
target and IMEI always), and each row's index as its position where no row is dropped
(``_record_rows`` against ``_record_rows_plain``, which always numbers the rows), and each row's
``source_ref`` written as Arrow string views (``_source_refs`` against ``_source_refs_plain``'s
``format``). Same events, rejects, evidence (schema, values and order), assumptions, records read
and region.

Checked on every input the CDR tests parse (each test taking only ``tmp_path`` is run
again with every parse done fast and plain and compared), on the generator's CDR returns,
on the benchmark's return at a small scale and on seeded random returns with odd values. No public CDR sample exists (none under
../shared/samples), so there is no real sample for this parser to read.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from atlas.normalise import region as region_module
from atlas.normalise import to_events
from atlas.normalise.identifiers import identifier_uri
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
        m.setattr(cdr, "_imsis_written", lambda detail: detail.get_column("imsi"))  # every row, as written
        m.setattr(cdr, "_imei_evidence", functools.partial(cdr._imei_evidence, plain=True))
        m.setattr(cdr, "_status_lookup", lambda etypes, codes: {})
        m.setattr(cdr, "_record_rows", cdr._record_rows_plain)
        m.setattr(cdr, "_last_cells_repeat", cdr._last_cells_repeat_plain)
        m.setattr(cdr, "_type_codes", cdr._type_codes_plain)
        m.setattr(cdr, "_joined", cdr._joined_plain)
        m.setattr(cdr, "_distinct_values", cdr._distinct_values_plain)
        m.setattr(cdr, "_few_values", cdr._few_values_plain)
        m.setattr(cdr, "_source_refs", cdr._source_refs_plain)
        m.setattr(cdr, "_null_count", cdr._null_count_plain)
        return real(path, ctx)


def normalised(result: ParseResult, ctx: ParseContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(events, rejects) as the ingest normalises a parse result (its region, its owner)."""
    region = result.region.upper() if result.region else ctx.region
    owner = identifier_uri(result.owner, source_id=ctx.source_id, region=region) if result.owner else None
    out = to_events(result.events, source_id=ctx.source_id, timezone="Europe/London", region=region,
                    owner_uris=[owner] if owner else [], identifiers_are_uris=result.identifiers_are_uris,
                    refs_unique=result.refs_unique)
    return out.events, out.rejects


def assert_same_normalised(uris: ParseResult, plain: ParseResult, ctx: ParseContext) -> None:
    """A parse that made its own URIs (``convert_identifiers``) normalises to exactly what the
    plain rule's texts normalise to, and says, holds and rejects everything else alike."""
    (ev_u, rj_u), (ev_p, rj_p) = normalised(uris, ctx), normalised(plain, ctx)
    assert ev_u.schema == ev_p.schema
    assert ev_u.equals(ev_p, null_equal=True)
    assert rj_u.equals(rj_p, null_equal=True)
    plain_as_uris = replace(plain, events=uris.events, identifiers_are_uris=uris.identifiers_are_uris)
    assert_identical(uris, plain_as_uris)  # rejects, evidence, extra tables, assumptions, region, owner


def both(path: Path, ctx: ParseContext, monkeypatch: pytest.MonkeyPatch,
         real: Callable[[Path, ParseContext], ParseResult] = cdr.parse) -> ParseResult:
    fast = real(path, ctx)
    plain = parse_plain(path, ctx, monkeypatch, real)
    assert_identical(fast, plain)
    # the ingest's way: identifiers made URIs by the parser from its table of parties
    assert_same_normalised(real(path, replace(ctx, convert_identifiers=True)), plain, ctx)
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
    ctx = ParseContext(source_id="b", path=path)
    result = both(path, ctx, monkeypatch)
    assert result.events.height == 3_000
    assert cdr.parse(path, replace(ctx, convert_identifiers=True)).identifiers_are_uris  # the ingest's way was compared


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
        plain = cdr._imei_evidence(frame, ctx, plain=True)
        for fast in (cdr._imei_evidence(frame, ctx), cdr._imei_evidence(frame, ctx, imsis=cdr._imsis_written(frame))):
            assert (fast is None) == (plain is None)
            if fast is not None and plain is not None:
                assert fast.equals(plain, null_equal=True)
        assert cdr._distinct_imsis(frame.get_column("imsi")) == cdr._distinct_imsis_plain(frame.get_column("imsi"))
        assert cdr._distinct_imsis(cdr._imsis_written(frame)) == cdr._distinct_imsis_plain(frame.get_column("imsi"))
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


ODD_HEADER = ("Calling Number,Called Number,Start Date Time,Duration (s),Call Type,Direction,First LAC,First Cell ID,"
              "Last LAC,Last Cell ID,IMEI,IMSI,Roaming")


def _odd_return(path: Path, *, bom: bool = False, crlf: bool = False, encoding: str = "utf-8", cover: bool = True,
                extra_rows: tuple[str, ...] = ()) -> None:
    lines = (["Communications data return", "Target Number,07700900002", ""] if cover else []) + [ODD_HEADER]
    for i in range(120):
        other = ("07700 900123", "+447700900124", "447700900125", "unknown", "", "07700900002", "999")[i % 7]
        kind = ("Voice", "SMS", "Data", "Voicemail")[i % 4]
        a, b = ("07700900002", other) if i % 3 else (other, "07700900002")
        lines.append(f"{a},{b},01/03/2026 12:{i % 60:02d}:00,{i % 5},{kind},{'MO' if i % 3 else 'MT'},1001,20451,,,"
                     "356938035643809,234100000000001,N")
    lines += list(extra_rows)
    text = ("\r\n" if crlf else "\n").join(lines) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))


@pytest.mark.parametrize("shape", ["plain", "bom-crlf", "cp1252", "no-cover", "odd-rows"])
def test_party_uris_made_by_the_parser_normalise_as_the_texts_do(
        shape: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ingest's path (``convert_identifiers``: the parser makes each distinct party a URI
    once) against the plain rule's ``phone:`` texts normalised by the ingest: national,
    spaced, international and short numbers, ``unknown`` written as a party, empty parties,
    the target calling itself, data sessions; a BOM and CRLF, Windows-1252, no cover (the
    target inferred: the texts are kept), and blank rows, a bad date, a quoted party with a
    line break, a footer line (rejects)."""
    path = tmp_path / f"{shape}.csv"
    odd = ('07700900002,"07700\n900126",01/03/2026 13:00:00,5,Voice,MO,1001,20451,,,1,2,N',
           "", "07700900002,07700900127,31/02/2026 13:00:00,5,Voice,MO,1001,20451,,,1,2,N",
           ",,,,,,,,,,,,", "07700900002,07700900128,01/03/2026 13:01:00,7,Fax,MO,1001,20451,,,1,2,N",
           "End of return")
    _odd_return(path, bom=shape == "bom-crlf", crlf=shape == "bom-crlf", encoding="cp1252" if shape == "cp1252" else "utf-8",
                cover=shape != "no-cover", extra_rows=odd if shape == "odd-rows" else ("07700900002,Zoë,01/03/2026 13:00:00,"
                                                                                         "1,SMS,MO,1,2,,,1,2,N",))
    ctx = ParseContext(source_id="s", path=path)
    both(path, ctx, monkeypatch)
    made = cdr.parse(path, replace(ctx, convert_identifiers=True))
    assert made.identifiers_are_uris == (shape != "no-cover")
    if made.identifiers_are_uris:
        assert set(made.events.get_column("sender").to_list()) >= {"tel:+447700900002"}
    if shape == "odd-rows":
        assert made.rejects.height >= 2


def test_a_workbook_of_several_sheets_makes_one_party_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of one return (a workbook's Voice/SMS/Data sheets) share one party table: each
    sheet's positions are carried into it, so the same number is the same URI in every sheet."""
    from bench.bench_tool_export import write_cdr_xlsx

    path = tmp_path / "cdr.xlsx"
    write_cdr_xlsx(path, 900)
    ctx = ParseContext(source_id="x", path=path)
    both(path, ctx, monkeypatch)
    assert cdr.parse(path, replace(ctx, convert_identifiers=True)).identifiers_are_uris


def test_rows_are_numbered_by_position_only_where_none_is_dropped() -> None:
    """The index column is left out exactly when no row is blank throughout, and the rows,
    the text columns and each row's index (its ``source_ref`` number) are the plain rule's."""
    full = pl.DataFrame({"c0": ["1", "2", "3"], "c1": ["a", None, None]})
    holed = pl.DataFrame({"c0": ["1", None, "3"], "c1": ["a", None, None]})
    cols = {"a_party": "c0", "b_party": "c1"}
    assert "_i" not in cdr._record_rows(full, cols).columns
    assert cdr._record_rows(holed, cols).equals(cdr._record_rows_plain(holed, cols))
    assert cdr._record_rows_plain(holed, cols).get_column("_i").to_list() == [0, 2]
    fast = cdr._record_rows(full, cols)
    plain = cdr._record_rows_plain(full, cols)
    assert fast.equals(plain.drop("_i"))
    assert fast.select(cdr._row_index(fast)).to_series().to_list() == plain.get_column("_i").to_list()


LAST_CELL_VALUES = {
    "none differs": lambda i: None,
    "a few differ": lambda i: ("1001", "20002") if i % 7 == 0 else None,
    "most differ": lambda i: ("1002", str(30000 + i)) if i % 5 else None,
    "irregular": lambda i: [(" 1003", "2 0003"), ("1004", "234-10-1004-20004"), (None, "20005"), ("1006", None),
                            ("1007", "-")][i % 5] if i % 3 == 0 else None,
}


@pytest.mark.parametrize("shape", sorted(LAST_CELL_VALUES))
def test_last_cells_taken_from_the_first_are_the_plain_rules(
        shape: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The last cell's text, taken from the first's where its parts repeat the first's (and
    made for the other rows, or for every row where most differ), is the plain rule's, with
    whitespace, whole CGIs, missing LACs and cells on either side."""
    from bench.bench_cdr import write_cdr

    path = tmp_path / "cdr.csv"
    write_cdr(path, 600)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[3].split(",")
    lac, cell = header.index("Last LAC"), header.index("Last Cell ID")
    for i in range(4, len(lines)):
        change = LAST_CELL_VALUES[shape](i)
        if change is not None:
            fields = lines[i].split(",")
            fields[lac], fields[cell] = (v or "" for v in change)
            lines[i] = ",".join(fields)
    if shape == "irregular":  # and on the first side too, in a few rows
        fields = lines[10].split(",")
        fields[header.index("First Cell ID")] = " 20010"
        lines[10] = ",".join(fields)
    if shape == "a few differ":  # irregular values only in rows whose last cell repeats the first
        for i in range(5, len(lines), 11):
            fields = lines[i].split(",")
            fields[header.index("First Cell ID")] = fields[cell] = "2 0011"
            fields[header.index("First LAC")] = fields[lac]
            lines[i] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = both(path, ParseContext(source_id="c", path=path), monkeypatch)
    last = result.extra["cdr"].get_column("last_cell")
    assert last.n_unique() > 1 and last.len() == 600


ONE_VALUE_SHAPES: dict[str, list[str | None]] = {
    "one value": ["N"] * 2500,
    "one value, a null": ["N"] * 1200 + [None] + ["N"] * 1299,
    "changes after the head": ["N"] * 1500 + ["Y"] + ["N"] * 999,
    "changes in the head": ["N", "Y"] * 1250,
    "every value null": [None] * 2500,
    "padded and not": ["N"] * 2000 + [" N"] + ["N"] * 499,
    "empty text": [""] * 2500,
    "no rows": [],
    "one row": ["234100000000001"],
}


@pytest.mark.parametrize("shape", sorted(ONE_VALUE_SHAPES))
def test_columns_of_one_value_give_the_plain_rules_distinct_values(shape: str) -> None:
    """A column holding one value throughout (found by comparing rows with the first) gives the
    plain rule's distinct values, and the IMSIs as written the plain rule's SIMs, whatever it
    holds: a null, a change after or within the first rows compared, padding, empty text."""
    values = ONE_VALUE_SHAPES[shape]
    t = pl.DataFrame({"roaming": values, "event_type": [f"t{i % 3}" for i in range(len(values))]},
                     schema={"roaming": pl.String, "event_type": pl.String})
    keys = ["roaming", "event_type"]
    assert cdr._distinct_values(t, keys) == cdr._distinct_values_plain(t, keys)
    detail = t.rename({"roaming": "imsi"})
    assert cdr._imsis_written(detail).sort().to_list() == \
        detail.get_column("imsi").drop_nulls().cast(pl.String).unique().sort().to_list()
    assert cdr._distinct_imsis(cdr._imsis_written(detail)) == cdr._distinct_imsis_plain(detail.get_column("imsi"))


def test_cell_texts_joined_by_format_are_the_plain_rules() -> None:
    """``LAC-CI`` written by ``format`` is ``concat_str``'s text, null where either part is."""
    frame = pl.DataFrame({"lac": ["1000", None, "03E8", "", "1", None],
                          "cell": ["20001", "20002", None, "5", "", None]})
    fast = frame.select(cdr._joined(pl.col("lac"), pl.col("cell")).alias("x")).to_series()
    plain = frame.select(cdr._joined_plain(pl.col("lac"), pl.col("cell")).alias("x")).to_series()
    assert fast.equals(plain, null_equal=True)


FEW_VALUE_SHAPES: dict[str, Callable[[int], tuple[str, str, str] | None]] = {
    # (Call Type, Direction, Roaming) written at line i of the return (None: as generated)
    "a type, a direction, a flag first seen late": lambda i: ("MMS", "MO ", "Y") if i in (1600, 2900) else None,
    "a word no template names, late": lambda i: ("Fax", "Up", "maybe") if i == 2500 else None,
    "blank cells in the first rows": lambda i: ("", "", "") if i < 700 else None,
    "blank throughout the first rows, then values": lambda i: ("", "", "") if i < 1100 else None,
    "many words in the first rows": lambda i: ([f"Type{j}" for j in range(12)][i % 12], "MT", str(i % 10))
    if i < 50 else None,
    "every type": lambda i: (["Voice", "SMS", "Data", "MMS", "Voicemail", "Call Forward"][i % 6], ["MO", "MT"][i % 2],
                             ["Y", "N"][i % 3 == 0]),
}


@pytest.mark.parametrize("shape", sorted(FEW_VALUE_SHAPES))
def test_types_and_directions_read_from_the_first_rows_are_the_plain_rules(
        shape: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The event types, directions and roaming flags found from the first rows and checked on
    every row (:func:`parsers.cdr._few_values`) give the plain rule's distinct values, codes,
    events, rejects and words said, with values first seen late, unknown words, blanks and many
    words."""
    from bench.bench_cdr import write_cdr

    path = tmp_path / "cdr.csv"
    write_cdr(path, 3_000)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[3].split(",")
    kind, way, roaming = header.index("Call Type"), header.index("Direction"), header.index("Roaming")
    for i in range(4, len(lines)):
        change = FEW_VALUE_SHAPES[shape](i)
        if change is not None:
            fields = lines[i].split(",")
            fields[kind], fields[way], fields[roaming] = change
            lines[i] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    both(path, ParseContext(source_id="f", path=path), monkeypatch)
    frame = pl.read_csv(path, skip_rows=3, infer_schema=False).rename(
        {"Call Type": "event_type", "Direction": "direction", "Roaming": "roaming"})
    t, known = cdr._few_values(frame.select("event_type", "direction", "roaming"))
    plain = cdr._distinct_values_plain(frame, ["event_type", "direction", "roaming"])
    for key, values in known.items():
        assert values == plain[key]
        if f"_code_{key}" not in t.columns:  # one value throughout: no codes made
            assert len(values) == 1 and frame.get_column(key).null_count() == 0
            continue
        assert t.get_column(f"_code_{key}").equals(
            frame.select(cdr._codes(key, plain[key]).alias(f"_code_{key}")).to_series())
    if shape == "many words in the first rows":  # (the flag as generated after the first rows)
        assert "roaming" not in known
    if shape == "every type":
        assert set(known) == {"event_type", "direction", "roaming"}
    t, known = cdr._few_values(pl.DataFrame({"roaming": ["N"] * 1500}))
    assert known == {"roaming": ["N"]} and t.columns == ["roaming"]


def _refs_plain(prefix: str, first: int, n: int) -> pl.Series:
    return pl.select(pl.format("{}{}", pl.lit(prefix), pl.int_range(n, dtype=pl.UInt32) + first)).to_series()


REF_RUNS = [(0, 1), (1, 1), (0, 10), (9, 1), (9, 2), (99, 3), (995, 20), (1, 12_345), (5, 2_000_000), (7, 999_994),
            (999_999, 1), (123_456, 8_765_432), (10, 90), (100, 900), (1_000, 9_001), (4, 996), (41, 959)]


@pytest.mark.parametrize("prefix", ["row ", "", "x row ", "sheet A row "])
def test_source_refs_written_as_views_are_the_plain_rules_texts(prefix: str) -> None:
    """``<label>row N`` written as Arrow string views (:func:`parsers.cdr._ref_views`) is
    ``format``'s text for every row: runs that start on, just before and just after a power of
    ten, cross one or several, a single row, two million rows, and seeded random runs; a text
    too long for a view, or no row, gives no views (the plain rule writes them)."""
    import random

    rng = random.Random(18)
    runs = REF_RUNS + [(rng.randrange(0, 10 ** rng.randrange(1, 8)), rng.randrange(1, 40_000)) for _ in range(150)]
    made = 0
    for first, n in runs:
        views = cdr._ref_views(prefix, first, n)
        if len(prefix) + len(str(first + n - 1)) > 12:
            assert views is None
            continue
        assert views is not None and views.dtype == pl.String
        assert views.equals(_refs_plain(prefix, first, n)), (prefix, first, n)
        made += 1
    assert made >= 20 or prefix == "sheet A row "
    assert cdr._ref_views(prefix, 5, 0) is None and cdr._ref_views(prefix, -1, 3) is None


def _random_return(path: Path, seed: int) -> int:
    """A calling-called return of seeded random rows with odd values: padded, quoted, spaced and
    international numbers, blank cells and (for some seeds) blank rows, unknown types, bad and
    padded times, hh:mm:ss and negative durations, whole CGIs, cover blocks of varying length
    (so the first record's row number varies). Returns the number of data lines."""
    import random

    rng = random.Random(seed)
    cover = ["Communications data return", f"Target Number,{TARGET}"] + ["Note,x"] * rng.randrange(0, 30) + [""]
    lines = [*cover, ODD_HEADER]
    n = rng.choice([1, 7, 95, 1_003, 2_500])
    blank_rows = seed % 3 == 0
    for _ in range(n):
        if blank_rows and rng.random() < 0.01:
            lines.append(rng.choice(["", ",,,,,,,,,,,,"]))
            continue
        other = rng.choice(["07700900123", "07700 900124", "+447700900125", '"07700900126"', "", "unknown",
                            f"0770090{rng.randrange(10_000):04d}", "999", " 07700900127 "])
        kind = rng.choice(["Voice", "SMS", "Data", "Voicemail", "Call Forward", "MMS", "Fax", "", " voice"])
        when = rng.choice([f"{rng.randrange(1, 29):02d}/0{rng.randrange(1, 10)}/2026 {rng.randrange(24):02d}:"
                           f"{rng.randrange(60):02d}:{rng.randrange(60):02d}"] * 8 + ["31/02/2026 12:00:00",
                                                                                       " 01/03/2026 12:00:00", ""])
        secs = rng.choice([str(rng.randrange(900))] * 6 + ["", "x", "-1", "007", "1.5"])
        lac, cid = rng.choice([("1001", "20451"), ("1002", str(rng.randrange(20_000, 20_100))), ("", "20452"),
                               (" 1003", "2 0003"), ("1004", "234-10-1004-20004"), ("", "")])
        way = rng.choice(["MO", "MT", "", "mo"])
        a, b = (TARGET, other) if way != "MT" else (other, TARGET)
        lines.append(f"{a},{b},{when},{secs},{kind},{way},{lac},{cid},{lac},{cid},356938035643809,"
                     f"{rng.choice(['234100000000001', '234100000000002', ''])},{rng.choice(['N', 'Y', ''])}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return n


TARGET = "07700900002"


@pytest.mark.parametrize("seed", range(12))
def test_seeded_random_returns_read_the_same_fast_and_plain(
        seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every speed path (the source refs as views among them) against the plain rules on seeded
    random returns with odd values (:func:`_random_return`): events, rejects, evidence, the
    ``cdr`` table, what is said, and the ingest's way (URIs made by the parser)."""
    path = tmp_path / f"random{seed}.csv"
    n = _random_return(path, seed)
    result = both(path, ParseContext(source_id="r", path=path), monkeypatch)
    assert result.records_read <= n and result.events.height + result.rejects.height == result.records_read


def test_missing_values_counted_by_a_query_are_the_plain_rules_count() -> None:
    """``_null_count`` (a query: a column of one repeated value is not written out for it)
    against ``_null_count_plain`` (the column taken out and counted): columns of one value
    (a literal, as the derive query makes the stated target), with gaps, all missing, empty."""
    frames = [
        pl.DataFrame({"i": range(5000)}).with_columns(pl.lit("07700900002").alias("target")),
        pl.DataFrame({"i": range(5000)}).with_columns(pl.lit(None, pl.String).alias("target")),
        pl.DataFrame({"target": ["07700900002", None, "", None]}),
        pl.DataFrame({"i": range(3)}).lazy().select(pl.lit("x").alias("target"), "i").collect(),
        pl.DataFrame({"target": pl.Series([], dtype=pl.String)}),
    ]
    counts = [cdr._null_count(frame, "target") for frame in frames]
    assert counts == [cdr._null_count_plain(frame, "target") for frame in frames] == [0, 5000, 2, 0, 0]
