"""Time: epoch converters, wall-clock to UTC across clock changes, date-format sniffing."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from atlas.errors import AtlasError
from atlas.normalise import times, to_events
from atlas.normalise.times import (
    check_zone,
    from_epoch,
    parse_datetimes,
    sniff_datetime_format,
    uk_display,
    wall_clock_to_utc,
)

UTC = ZoneInfo("UTC")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --- one converter per epoch kind -------------------------------------------------------

EPOCHS = [
    # plaso's first SMS in mmssms.db: 2013-10-29T16:56:28.038+00:00, Android ms.
    ("unix_ms", 1_383_065_788_038, utc(2013, 10, 29, 16, 56, 28, 38_000)),
    ("unix_s", 1_700_000_000, utc(2023, 11, 14, 22, 13, 20)),
    ("unix_s", 1_700_000_000.25, utc(2023, 11, 14, 22, 13, 20, 250_000)),
    ("unix_us", 1_700_000_000_123_457, utc(2023, 11, 14, 22, 13, 20, 123_457)),
    ("unix_ns", 1_700_000_000_123_456_789, utc(2023, 11, 14, 22, 13, 20, 123_457)),
    # The iOS WhatsApp sample's first ZMESSAGEDATE (seconds since 2001-01-01).
    ("apple_s", 670_009_446, utc(2022, 3, 26, 17, 44, 6)),
    ("apple_s", 670_009_446.5, utc(2022, 3, 26, 17, 44, 6, 500_000)),
    ("apple_ns", 670_009_446_123_456_789, utc(2022, 3, 26, 17, 44, 6, 123_457)),
    ("apple_auto", 670_009_446, utc(2022, 3, 26, 17, 44, 6)),
    ("apple_auto", 670_009_446_123_456_789, utc(2022, 3, 26, 17, 44, 6, 123_457)),
    # WebKit/Chrome µs since 1601 are above 2**53: an odd last digit must survive.
    ("webkit_us", 13_318_000_000_123_457, utc(2023, 1, 12, 12, 26, 40, 123_457)),
    ("filetime", 133_180_000_001_234_567, utc(2023, 1, 12, 12, 26, 40, 123_457)),
]


@pytest.mark.parametrize(("kind", "value", "expected"), EPOCHS)
def test_each_epoch_kind_converts_to_the_known_instant(kind: str, value: float, expected: datetime) -> None:
    got = pl.select(from_epoch(pl.lit(value), kind).alias("t")).item()  # type: ignore[arg-type]
    assert got == expected


def test_apple_auto_reads_a_column_mixing_seconds_and_nanoseconds() -> None:
    frame = pl.DataFrame({"d": [670_009_446, 706_027_000_000_000_000, 0, None]}, schema={"d": pl.Int64})
    got = frame.select(from_epoch(pl.col("d"), "apple_auto")).to_series().to_list()
    assert got == [utc(2022, 3, 26, 17, 44, 6), utc(2023, 5, 17, 14, 36, 40), None, None]


@pytest.mark.parametrize("kind", ["unix_s", "unix_ms", "apple_s", "apple_auto", "webkit_us"])
def test_zero_null_and_out_of_range_epochs_are_null_not_errors(kind: str) -> None:
    frame = pl.DataFrame({"v": [0.0, None, 1e30]}, schema={"v": pl.Float64})
    assert frame.select(from_epoch(pl.col("v"), kind)).to_series().to_list() == [None, None, None]  # type: ignore[arg-type]


# --- wall clock to UTC across the clock changes (Europe/London) ------------------------

def _wall(values: list[datetime]) -> list[tuple[datetime, str]]:
    frame = pl.DataFrame({"t": values}, schema={"t": pl.Datetime("us")})
    ts, basis = wall_clock_to_utc(pl.col("t"), "Europe/London")
    return frame.select(ts.alias("ts"), basis.alias("basis")).rows()


def test_the_repeated_autumn_hour_is_read_as_its_earliest_instant_and_flagged() -> None:
    assert _wall([datetime(2026, 10, 25, 1, 30)]) == [(utc(2026, 10, 25, 0, 30), "ambiguous")]  # 01:30 BST


def test_a_time_in_the_spring_gap_is_read_before_the_change_and_flagged() -> None:
    assert _wall([datetime(2026, 3, 29, 1, 30)]) == [(utc(2026, 3, 29, 1, 30), "nonexistent")]  # 01:30 GMT


def test_ordinary_times_are_local_in_winter_and_summer() -> None:
    assert _wall([datetime(2026, 1, 15, 12, 0), datetime(2026, 7, 15, 12, 0), datetime(2026, 10, 25, 2, 30)]) == [
        (utc(2026, 1, 15, 12, 0), "local"),
        (utc(2026, 7, 15, 11, 0), "local"),
        (utc(2026, 10, 25, 2, 30), "local"),  # after the repeated hour: GMT, unambiguous
    ]


def test_normalised_events_carry_the_basis_and_keep_a_given_utc_time() -> None:
    raw = pl.DataFrame({
        "source_ref": ["row 1", "row 2", "row 3", "row 4"],
        "kind": ["message"] * 4,
        "ts_local": [datetime(2026, 10, 25, 1, 30), datetime(2026, 3, 29, 1, 30), datetime(2026, 6, 1, 9), None],
        "ts_utc": [None, None, None, utc(2026, 6, 1, 8)],
        "sender": ["phone:07700 900123"] * 4,
    })
    out = to_events(raw, source_id="s1", timezone="Europe/London", region="GB")
    assert out.events.select("event_id", "ts_utc", "ts_basis").rows() == [
        ("s1/row 1", utc(2026, 10, 25, 0, 30), "ambiguous"),
        ("s1/row 2", utc(2026, 3, 29, 1, 30), "nonexistent"),
        ("s1/row 3", utc(2026, 6, 1, 8), "local"),
        ("s1/row 4", utc(2026, 6, 1, 8), "utc"),
    ]
    assert out.events.get_column("sender").unique().to_list() == ["tel:+447700900123"]
    assert out.rejects.height == 0


def test_a_timed_event_without_a_time_is_a_reject_with_a_reason() -> None:
    raw = pl.DataFrame({"source_ref": ["row 1", "row 2"], "kind": ["message", "contact"], "ts_raw": ["??", None]})
    out = to_events(raw, source_id="s1", timezone="Europe/London", region="GB")
    assert out.rejects.rows() == [("s1", "row 1", "no usable timestamp", "??")]
    assert out.events.select("event_id", "kind").rows() == [("s1/row 2", "contact")]


def test_unknown_zone_is_a_clear_error() -> None:
    assert check_zone("Europe/London") == "Europe/London"
    with pytest.raises(AtlasError, match=r"unknown time zone 'Europe/Londn' \(use an IANA name"):
        check_zone("Europe/Londn")


def test_uk_display_shows_the_zone_abbreviation_in_force() -> None:
    assert uk_display(utc(2026, 10, 25, 0, 30)) == "25/10/2026 01:30 BST"
    assert uk_display(utc(2026, 10, 25, 1, 30)) == "25/10/2026 01:30 GMT"
    assert uk_display(None) == ""


# --- sniffing a date format -----------------------------------------------------------

def _sniff(values: list[str], **kw: object) -> tuple[str, str | None, list[object]]:
    series = pl.Series(values)
    fmt = sniff_datetime_format(series, **kw)  # type: ignore[arg-type]
    parsed = pl.DataFrame({"v": series}).select(parse_datetimes(pl.col("v"), fmt)).to_series().to_list()
    return fmt.fmt, fmt.assumption, parsed


def test_04_13_2024_is_month_first_not_silently_13_april_the_wrong_way() -> None:
    fmt, assumption, parsed = _sniff(["04/13/2024 10:00", "01/02/2024 09:00"])
    assert (fmt, assumption) == ("%m/%d/%Y %H:%M", None)
    assert parsed == [datetime(2024, 4, 13, 10), datetime(2024, 1, 2, 9)]


def test_iso_dates_stay_year_month_day() -> None:
    assert _sniff(["2024-03-04"], date_only=True) == ("%Y-%m-%d", None, [datetime(2024, 3, 4)])
    _fmt, assumption, parsed = _sniff(["2024-03-04 10:00:00"])
    assert assumption is None and parsed == [datetime(2024, 3, 4, 10)]


def test_a_day_over_12_decides_day_first() -> None:
    assert _sniff(["13/04/2024 10:00", "01/02/2024 09:00"])[2] == [datetime(2024, 4, 13, 10), datetime(2024, 2, 1, 9)]


def test_undecidable_order_is_day_first_with_the_assumption_stated() -> None:
    _fmt, assumption, parsed = _sniff(["03/04/2024 10:00"])
    assert parsed == [datetime(2024, 4, 3, 10)]
    assert assumption == (
        "day/month order of timestamps not decidable from the data (no day > 12); "
        "assumed day-first (UK default): %d/%m/%Y %H:%M"
    )
    assert _sniff(["03/04/2024 10:00"], dayfirst=False)[2] == [datetime(2024, 3, 4, 10)]


def test_two_digit_years_are_not_read_as_year_24_or_as_year_first() -> None:
    fmt, _, parsed = _sniff(["01/02/24 10:00", "05/02/24 11:00"])
    assert fmt == "%d/%m/%y %H:%M"
    assert parsed == [datetime(2024, 2, 1, 10), datetime(2024, 2, 5, 11)]


def test_offsets_are_kept_as_offsets() -> None:
    series = pl.Series(["2024-03-04T10:00:00+01:00"])
    fmt = sniff_datetime_format(series)
    assert fmt.basis == "offset"
    assert pl.DataFrame({"v": series}).select(parse_datetimes(pl.col("v"), fmt)).item() == utc(2024, 3, 4, 9)


def test_a_flag_the_data_contradicts_and_an_unknown_format_are_errors() -> None:
    with pytest.raises(AtlasError, match=r"the data is month-first \(a value > 12 fixes it\), contradicting --dayfirst"):
        sniff_datetime_format(pl.Series(["04/13/2024 10:00"]), dayfirst=True)
    with pytest.raises(AtlasError, match=r"cannot recognise the date format of call times \(e.g. 'hello'\)"):
        sniff_datetime_format(pl.Series(["hello"]), what="call times")


def test_date_only_columns() -> None:
    assert sniff_datetime_format(pl.Series(["04/13/2024"]), date_only=True).fmt == "%m/%d/%Y"
    assert _sniff(["13.04.2024"], date_only=True)[2] == [datetime(2024, 4, 13)]
    assert date(2024, 4, 13) == _sniff(["13.04.2024"], date_only=True)[2][0].date()  # type: ignore[union-attr]


def test_column_localise_gives_the_same_answers_as_the_expression_form() -> None:
    from datetime import datetime as dt

    import polars as pl

    from atlas.normalise.times import localise, wall_clock_to_utc

    naive = pl.Series("ts_local", [dt(2026, 10, 25, 1, 30), dt(2026, 3, 29, 1, 30), dt(2026, 6, 1, 12), None],
                      dtype=pl.Datetime("us"))
    for series in (naive, naive.filter(naive != dt(2026, 3, 29, 1, 30))):
        utc, basis = localise(series, "Europe/London")
        want_utc, want_basis = pl.DataFrame({"t": series}).select(*wall_clock_to_utc(pl.col("t"), "Europe/London")).get_columns()
        assert utc.to_list() == want_utc.to_list()
        assert basis.to_list() == want_basis.to_list()
    utc, basis = localise(pl.Series("ts_local", [None, None], dtype=pl.Datetime("us")), "Europe/London")
    assert utc.to_list() == [None, None] and basis.to_list() == [None, None]


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Australia/Lord_Howe", "America/St_Johns",
                                  "Asia/Kathmandu", "Pacific/Chatham"])
def test_bucketed_localise_matches_per_row_conversion_in_odd_zones(zone: str) -> None:
    """Quarter-hour buckets are exact even where clocks move by 30 minutes (Lord Howe), at
    02:45 (Chatham), or sit at odd offsets (Newfoundland, Nepal): every 7th minute over two years."""
    from datetime import datetime as dt

    import polars as pl

    from atlas.normalise.times import localise, wall_clock_to_utc

    minutes = pl.datetime_range(dt(2025, 1, 1), dt(2026, 12, 31, 23, 59), "7m", eager=True).cast(pl.Datetime("us"))
    utc, basis = localise(minutes.alias("ts_local"), zone)
    want_utc, want_basis = pl.DataFrame({"t": minutes}).select(*wall_clock_to_utc(pl.col("t"), zone)).get_columns()
    assert (utc == want_utc).all() and (basis == want_basis).all()
    if zone != "Asia/Kathmandu":  # no daylight saving there
        assert set(basis.unique().to_list()) >= {"local", "ambiguous", "nonexistent"}


@pytest.mark.parametrize("zone", ["America/Santiago", "Asia/Beirut", "America/Havana", "Africa/Casablanca",
                                  "America/Sao_Paulo"])
def test_segment_table_is_exact_where_clocks_move_at_midnight_or_twice_a_year_and_back(zone: str) -> None:
    """Chile and Lebanon change at midnight (the gap or repeat straddles the date line); Morocco
    suspends summer time for Ramadan (four changes a year); Brazil changed until 2019. Every
    13th minute, with seconds and microseconds, from 2017 to 2026, against the per-row form."""
    from atlas.normalise.times import localise

    minutes = (pl.datetime_range(datetime(2017, 1, 1), datetime(2026, 12, 31), "13m", eager=True)
               .cast(pl.Datetime("us")) + timedelta(seconds=7, microseconds=501))
    utc_col, basis = localise(minutes.alias("ts_local"), zone)
    want_utc, want_basis = pl.DataFrame({"t": minutes}).select(*wall_clock_to_utc(pl.col("t"), zone)).get_columns()
    assert (utc_col == want_utc).all() and (basis.cast(pl.String) == want_basis).all()
    assert {"nonexistent", "ambiguous"} <= set(basis.cast(pl.String).to_list())


def test_sparse_times_over_centuries_and_nulls_read_the_same_as_per_row() -> None:
    """A handful of values spread over 300 years (bad data, or a deliberately wrong clock)
    takes the distinct-quarter-hour route; nulls stay null with no basis."""
    from atlas.normalise.times import localise

    values = [datetime(1850, 6, 1, 12), None, datetime(1971, 10, 31, 2, 30), datetime(2026, 3, 29, 1, 30),
              datetime(2026, 10, 25, 1, 59, 59, 999_999), None, datetime(2150, 7, 4, 9, 15)]
    series = pl.Series("ts_local", values, dtype=pl.Datetime("us"))
    utc_col, basis = localise(series, "Europe/London")
    want_utc, want_basis = pl.DataFrame({"t": series}).select(*wall_clock_to_utc(pl.col("t"), "Europe/London")).get_columns()
    assert utc_col.to_list() == want_utc.to_list()
    assert basis.cast(pl.String).to_list() == want_basis.to_list()
    assert basis.cast(pl.String).to_list()[1] is None and basis.cast(pl.String).to_list()[3] == "nonexistent"


def _sniff_every_format(values: pl.Series) -> times.DateFormat:
    """The plain rule the sniffer's shortcut must agree with: every candidate format tried
    on the whole column, in order, each share worked out (the sniffer before it tried a
    format on the column's first distinct values first)."""
    sample = values.drop_nulls().str.strip_chars()
    sample = sample.filter(sample != "").unique(maintain_order=True)
    for fmt in times._OFFSET_FORMATS:
        if times._parse_share(sample, fmt, aware=True) == 1.0:
            return times.DateFormat(fmt, has_offset=True)
    # with no offset format reading everything, the sniffer's answer depends only on each
    # group's shares, which this loop computes over the whole column
    groups = {"iso": times._joined(times._ISO_DATES), "dmy": times._joined(times._DAY_FIRST_DATES),
              "mdy": times._joined(times._MONTH_FIRST_DATES)}
    best = {}
    for group, formats in groups.items():
        shares = [(times._parse_share(sample, f, aware=False), -i, f) for i, f in enumerate(formats)]
        share, _, fmt = max(shares)
        best[group] = (share, fmt)
    if best["iso"][0] == 1.0:
        return times.DateFormat(best["iso"][1], has_offset=False)
    dmy_ok, mdy_ok = best["dmy"][0] == 1.0, best["mdy"][0] == 1.0
    assert not (dmy_ok and mdy_ok), "undecidable columns are not compared here"
    if dmy_ok or mdy_ok:
        return times.DateFormat(best["dmy" if dmy_ok else "mdy"][1], has_offset=False)
    raise AssertionError("every column here has a format that reads it whole")


@pytest.mark.parametrize("late", ["25/12/2026 10:00:00", "12/25/2026 10:00:00", "2026-12-25 10:00:00+01:00"])
def test_a_value_past_the_sniffers_first_distinct_values_still_decides_the_format(late: str) -> None:
    """The sniffer tries each format on the first SNIFF_HEAD_VALUES distinct values before
    the whole column; a value after those (a day > 12, an offset) must still count."""
    head = [f"{d:02d}/{m:02d}/2026 {h:02d}:{mi:02d}:00" for d in range(1, 13) for m in range(1, 13)
            for h in (9, 21) for mi in (0, 30)]
    assert len(head) > times.SNIFF_HEAD_VALUES
    values = pl.Series([*head, late])
    got = sniff_datetime_format(values)
    if "+" in late:  # one offset among naive values: no offset format reads them all; the naive rule decides
        assert not got.has_offset
    else:
        assert got == _sniff_every_format(values)
        assert got.fmt.startswith("%d/%m" if late.startswith("25") else "%m/%d") and got.assumption is None


def test_the_values_formats_are_first_tried_on_are_a_subset_spread_over_the_column() -> None:
    """Any subset gives the sniffer the same answer (a format missing one of them misses one
    of the column); spread over the column, a late day > 12 rules month-first out early."""
    from atlas.normalise.times import _spread_head

    assert _spread_head(pl.Series([str(i) for i in range(times.SNIFF_HEAD_VALUES)])) is None
    sample = pl.Series([str(i) for i in range(10_000)])
    head = _spread_head(sample)
    assert head is not None and 0 < head.len() <= times.SNIFF_HEAD_VALUES
    assert set(head.to_list()) <= set(sample.to_list()) and head.n_unique() == head.len()
    assert int(head.cast(pl.Int64).max() or 0) > 9_000


def _fraction_formats() -> list[str]:
    from atlas.normalise.times import (
        _DAY_FIRST_DATES,
        _ISO_DATES,
        _MONTH_FIRST_DATES,
        _OFFSET_FORMATS,
        _joined,
    )

    every = [*_OFFSET_FORMATS, *(f for g in (_ISO_DATES, _DAY_FIRST_DATES, _MONTH_FIRST_DATES) for f in _joined(g))]
    return [f for f in every if "%.f" in f]


def _py(fmt: str, when: datetime) -> str:
    return when.strftime(fmt.replace("%:z", "+01:00").replace("%z", "+0100"))


@pytest.mark.parametrize("fmt", _fraction_formats())
def test_a_format_with_an_optional_fraction_reads_what_it_reads_without_one_the_same(fmt: str) -> None:
    """The rule :func:`atlas.normalise.times.to_datetimes` rests on: where the format
    without ``%.f`` reads a value, the format with it reads the same time; values with a
    fraction, unpadded fields, stray spaces and junk come out as the format itself reads them."""
    from atlas.normalise.times import to_datetimes, without_fraction

    pre, post = fmt.split("%.f")
    values: list[str | None] = [None, "", "junk", "2026"]
    for when in (datetime(2026, 1, 2, 3, 4, 5), datetime(2026, 12, 25, 23, 59, 59), datetime(1999, 7, 9, 0, 0, 0)):
        for frac in ("", ".5", ".123", ".123456", ".123456789", ".", ",5"):
            values.append(_py(pre, when) + frac + _py(post, when))
        plain = _py(pre, when) + _py(post, when)
        values += [plain + " ", " " + plain, plain + "x", plain.replace("0", "", 1)]
    series = pl.Series(values, dtype=pl.String)
    assert without_fraction(fmt) == fmt.replace("%.f", "")
    for aware in (False, True):
        if aware != ("%z" in fmt or "%:z" in fmt or fmt.endswith("Z") or "UTC" in fmt):
            continue
        direct = (series.str.to_datetime(fmt, strict=False, time_unit="us", time_zone="UTC") if aware
                  else series.str.to_datetime(fmt, strict=False, time_unit="us"))
        got = to_datetimes(series, fmt, aware=aware)
        assert got.dtype == direct.dtype and got.equals(direct, null_equal=True)
        assert got.drop_nulls().len() >= 3  # the values this format writes are read


def _every_format() -> list[tuple[str, bool]]:
    from atlas.normalise.times import _DAY_FIRST_DATES, _ISO_DATES, _MONTH_FIRST_DATES, _OFFSET_FORMATS, _joined

    return [*((f, True) for f in _OFFSET_FORMATS),
            *((f, False) for g in (_ISO_DATES, _DAY_FIRST_DATES, _MONTH_FIRST_DATES) for f in _joined(g))]


def _odd_values() -> list[str]:
    """Every sniffed format written out on a few days, and the same texts with their
    separators swapped, dropped, doubled or padded: shapes a format's literals may or may not fit."""
    out: set[str] = set()
    for fmt, _ in _every_format():
        for when in (datetime(2026, 3, 4, 5, 6, 7), datetime(2024, 12, 25, 23, 59, 1), datetime(2001, 10, 1, 0, 0, 0)):
            text = _py(fmt.replace("%.f", ".250"), when)
            out |= {text, text.replace("/", "-"), text.replace("-", "/"), text.replace("-", "."), text.replace(".", ","),
                    text.replace(":", ""), text.replace("/", ""), text.replace(",", ""), text.replace(" ", "  "),
                    text.replace(":", "."), f" {text} ", text.lower(), text.replace("T", " ")}
    return sorted(out)


def test_a_format_with_a_literal_separator_a_value_lacks_never_reads_it() -> None:
    """The premise of the sniffer's pass-over (``_first_reading_all(fast=True)``): a format
    holding ``/``, ``-``, ``.``, ``,`` or ``:`` as a literal reads no value without that
    character, checked by Polars itself on every format and hundreds of odd texts."""
    values = _odd_values()
    low, high = times.PLAUSIBLE_YEARS
    v = pl.col("v")
    reads = pl.DataFrame({"v": values}).select(
        (v.str.to_datetime(fmt, strict=False, time_unit="us", time_zone="UTC") if aware
         else v.str.to_datetime(fmt, strict=False, time_unit="us")).dt.year().is_between(low, high).fill_null(False)
        .alias(str(i)) for i, (fmt, aware) in enumerate(_every_format()))
    passed_over = 0
    for i, (fmt, _) in enumerate(_every_format()):
        for value, ok in zip(values, reads.get_column(str(i)).to_list(), strict=True):
            if not times._literals_of(fmt) <= set(value):
                passed_over += 1
                assert not ok, (fmt, value)
    assert passed_over > 10_000


def test_literals_of_a_format_leave_out_its_directives() -> None:
    assert times._literals_of("%Y-%m-%dT%H:%M:%S%.f%:z") == frozenset("-:")
    assert times._literals_of("%d/%m/%Y %H:%M:%S%.f") == frozenset("/:")
    assert times._literals_of("%b %d, %Y %I:%M %p") == frozenset(",:")
    assert times._literals_of("%Y%m%d %H%M") == frozenset()


@pytest.mark.parametrize("seed", range(40))
def test_the_sniffers_pass_over_gives_the_plain_rules_answer(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """``sniff_datetime_format`` with formats passed over by their literals (the default) gives
    exactly what trying every format gives (``fast=False``), or the same refusal, on random
    columns of odd texts (many formats, mixed shapes, more values than the head holds)."""
    import random

    rng = random.Random(seed)
    pool = _odd_values()
    formats = _every_format()
    base = rng.choice(formats)[0]
    when = [datetime(2020, 1, 1) + timedelta(minutes=rng.randrange(3_000_000)) for _ in range(rng.choice((3, 40, 400)))]
    values = [_py(base.replace("%.f", rng.choice(("", ".5", ".123456"))), w) for w in when]
    values += rng.sample(pool, rng.choice((0, 0, 1, 3)))
    rng.shuffle(values)
    series = pl.Series(values)

    def sniff() -> object:
        try:
            return sniff_datetime_format(series, dayfirst=rng.choice((None, True, False)) if seed % 3 == 0 else None)
        except AtlasError as exc:
            return str(exc)

    state = rng.getstate()
    fast = sniff()
    rng.setstate(state)
    with monkeypatch.context() as m:
        m.setattr(times, "_first_reading_all", functools.partial(times._first_reading_all, fast=False))
        plain = sniff()
    assert fast == plain


@pytest.mark.parametrize("shape", ["distinct", "repeated", "nulls", "padded", "some-not-dates", "offsets", "fractions",
                                   "undecidable", "one"])
def test_a_sniffs_reading_reused_is_the_reading_made_again(shape: str) -> None:
    """``Readings.of`` gives ``to_datetimes`` of the values with the chosen format, whether the
    sniff read exactly those values (reused) or not (read again): distinct times, repeated
    ones, nulls, padding, texts that are not dates, offsets, fractions of a second, a column
    whose day/month order is undecidable, and a single value."""
    start = datetime(2026, 1, 1, 0, 0, 0)
    times_ = [start + timedelta(seconds=397 * i) for i in range(700)]
    values: list[str | None] = [f"{t:%d/%m/%Y %H:%M:%S}" for t in times_]
    if shape == "repeated":
        values = values[:300] + values[:300]
    elif shape == "nulls":
        values[5] = None
    elif shape == "padded":
        values[7] = f" {values[7]} "
    elif shape == "some-not-dates":
        values[9] = "not a date"
    elif shape == "offsets":
        values = [f"{t:%Y-%m-%d %H:%M:%S}+01:00" for t in times_]
    elif shape == "fractions":
        values = [f"{t:%Y-%m-%dT%H:%M:%S}.{i % 1000:03d}" for i, t in enumerate(times_)]
    elif shape == "undecidable":
        values = [f"{t:%d/%m/%Y %H:%M}" for t in times_ if t.day <= 12][:50]
    elif shape == "one":
        values = values[:1]
    series = pl.Series("v", values, dtype=pl.String)
    candidates = series.filter(series.str.contains(r"\d").fill_null(False))
    readings = times.Readings()
    fmt = sniff_datetime_format(candidates, readings=readings)
    assert fmt == sniff_datetime_format(candidates)
    want = times.to_datetimes(series, fmt.fmt, aware=fmt.has_offset)
    reused = shape in ("distinct", "offsets", "fractions", "undecidable", "one")
    with pytest.MonkeyPatch.context() as m:
        if reused:  # the sniff's reading is given back: nothing is parsed again
            m.setattr(times, "to_datetimes", lambda *a, **k: pytest.fail("parsed again"))
        got = readings.of(series, fmt)
    assert got.name == want.name and got.dtype == want.dtype
    assert got.equals(want)
