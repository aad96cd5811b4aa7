"""Time: one converter per epoch kind, and wall-clock times to UTC with a stated basis.

As in plaso, a number of seconds since 1970 and a number of seconds since 2001 are
different kinds of time; each has exactly one converter here, tested once, and
parsers say which kind their column holds rather than doing arithmetic themselves.

Wall-clock times (a WhatsApp export, a CDR in "UK local time") are converted with a
named zone. The autumn repeated hour is read as its *earliest* instant and flagged
``ambiguous``; a time in the spring-forward gap is read as if the clock had not yet
changed and flagged ``nonexistent``. Neither is shifted silently.

Date strings are parsed in bulk with an explicit ``strptime`` format. A format is
chosen by trying candidates on the whole column (cheap: Polars is vectorised), and
day/month order is decided by the data where it can be (a day > 12 anywhere). Where
the data cannot decide, the caller's choice, or the GB default, is recorded as an
assumption; ``dateutil``'s ``dayfirst`` guessing is never used to parse in bulk
because it silently reads ``04/13/2024`` as 13 April and ISO dates as day-first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
import polars as pl

from atlas.errors import AtlasError
from atlas.model import TS_BASES, TS_TYPE, UTC

EpochKind = Literal[
    "unix_s", "unix_ms", "unix_us", "unix_ns", "apple_s", "apple_ns", "apple_auto",
    "webkit_us", "filetime",
]

_UNIX_TO_APPLE_S: Final = 978_307_200
_UNIX_TO_WEBKIT_S: Final = 11_644_473_600
APPLE_NS_THRESHOLD: Final = 100_000_000_000
"""Apple ``date`` columns hold seconds before iOS 11 and nanoseconds after: any value
above 1e11 (year 5170 in seconds) must be nanoseconds."""


def from_epoch(value: pl.Expr, kind: EpochKind) -> pl.Expr:
    """A numeric epoch column → UTC datetime (µs). Nulls and zeros stay null.

    Zero is null because phone databases write 0 for "never" (e.g. ``date_read``).
    Seconds and milliseconds are read as floats (they may carry fractions, and stay
    below 2**53 µs); micro-, nano- and 100-nanosecond counts are read as integers,
    because a WebKit or FILETIME value is above 2**53 and a float would lose the last
    microsecond. Values out of range become null (and so a reject), never an error.
    """
    v = value.cast(pl.Float64, strict=False)
    i = value.cast(pl.Int64, strict=False)

    def ns_to_us(ns: pl.Expr) -> pl.Expr:
        return (ns + 500) // 1000

    us: pl.Expr
    if kind == "unix_s":
        us = (v * 1e6).round(0).cast(pl.Int64, strict=False)
    elif kind == "unix_ms":
        us = (v * 1e3).round(0).cast(pl.Int64, strict=False)
    elif kind == "unix_us":
        us = i
    elif kind == "unix_ns":
        us = ns_to_us(i)
    elif kind == "apple_s":
        us = ((v + _UNIX_TO_APPLE_S) * 1e6).round(0).cast(pl.Int64, strict=False)
    elif kind == "apple_ns":
        us = ns_to_us(i) + _UNIX_TO_APPLE_S * 1_000_000
    elif kind == "apple_auto":
        us = (
            pl.when(v.abs() > APPLE_NS_THRESHOLD)
            .then(ns_to_us(i) + _UNIX_TO_APPLE_S * 1_000_000)
            .otherwise(((v + _UNIX_TO_APPLE_S) * 1e6).round(0).cast(pl.Int64, strict=False))
        )
    elif kind == "webkit_us":
        us = i - _UNIX_TO_WEBKIT_S * 1_000_000
    elif kind == "filetime":
        us = (i + 5) // 10 - _UNIX_TO_WEBKIT_S * 1_000_000
    else:  # pragma: no cover - Literal guards this
        raise ValueError(f"unknown epoch kind {kind!r}")
    return (
        pl.when(v.is_null() | (v == 0))
        .then(None)
        .otherwise(us)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone(UTC)
    )


def check_zone(name: str) -> str:
    """Validate an IANA zone name, returning it; a clear error otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise AtlasError(f"unknown time zone {name!r} (use an IANA name such as Europe/London)") from exc
    return name


_GAP_PROBE: Final = timedelta(hours=3)


def wall_clock_to_utc(naive: pl.Expr, zone: str) -> tuple[pl.Expr, pl.Expr]:
    """A naive wall-clock column in ``zone`` → (UTC datetime, ``ts_basis``).

    Basis is ``local`` normally, ``ambiguous`` in the repeated autumn hour (earliest
    instant chosen) and ``nonexistent`` in the spring gap (pre-change offset used).
    """
    earliest = naive.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
    latest = naive.dt.replace_time_zone(zone, ambiguous="latest", non_existent="null")
    # In the gap, the offset in force three hours earlier is the one "before the change".
    before_change = (
        (naive - _GAP_PROBE)
        .dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone(UTC)
        + _GAP_PROBE
    )
    utc = (
        pl.when(earliest.is_not_null())
        .then(earliest.dt.convert_time_zone(UTC))
        .otherwise(before_change)
        .cast(TS_TYPE)
    )
    basis = (
        pl.when(naive.is_null())
        .then(pl.lit(None, pl.String))
        .when(earliest.is_null())
        .then(pl.lit("nonexistent"))
        .when(earliest != latest)
        .then(pl.lit("ambiguous"))
        .otherwise(pl.lit("local"))
    )
    return utc, basis


_PROBE_STEP: Final = timedelta(hours=6)
_QUARTER: Final = timedelta(minutes=15)


def _zone_table(points: pl.Series, zone: str) -> pl.DataFrame:
    """For each naive quarter-hour ``points`` value: the offset to subtract to reach UTC,
    and the basis, by :func:`wall_clock_to_utc` itself (the one statement of the rule)."""
    b = pl.col("b")
    utc, basis = wall_clock_to_utc(b, zone)
    return pl.DataFrame({"b": points}).select(
        "b", (b - utc.dt.replace_time_zone(None)).alias("offset"), basis.alias("ts_basis"))


@dataclass(frozen=True)
class _Segments:
    """Segment starts (naive local times, ascending) with the offset to subtract and the
    basis in force from each start until the next."""

    starts: npt.NDArray[np.datetime64]
    offsets: npt.NDArray[np.timedelta64]
    basis: pl.Series


def _compress(table: pl.DataFrame) -> _Segments:
    """Only where the offset or basis changes does a segment start."""
    changes = (pl.col("offset") != pl.col("offset").shift(1)) | (pl.col("ts_basis") != pl.col("ts_basis").shift(1))
    runs = table.filter(changes.fill_null(True))
    starts, offsets = runs.get_column("b").to_numpy(), runs.get_column("offset").to_numpy()
    starts.flags.writeable = offsets.flags.writeable = False  # shared through the cache below
    return _Segments(starts, offsets, runs.get_column("ts_basis").cast(pl.Enum(TS_BASES)))


@lru_cache(maxsize=64)
def _zone_segments(zone: str, first_year: int, last_year: int) -> _Segments:
    """The segments of ``zone`` over whole calendar years: a property of the zone's rules,
    not of the data, so worked out once per process for each span of years (as ``re``
    keeps compiled patterns), however many sources share it.

    Offsets change only at transitions, and every zone's transitions fall on a quarter hour
    of local time (Chatham moves at 02:45), so within one quarter hour the offset, and
    whether the time is ambiguous or in a gap, is the same for every value. The zone is
    probed every six hours; only a six-hour stretch whose two ends disagree (or that starts
    off the plain ``local`` basis) is resolved to quarter hours: about 1,500 zone look-ups
    a year. Two transitions less than six hours apart would hide from the probe; no zone
    has had them (tested against the per-row form in zones that change at midnight, at
    02:45, by 30 minutes and four times a year).
    """
    start, stop = datetime(first_year, 1, 1), datetime(last_year + 1, 1, 1)
    probes = pl.Series(np.arange(np.datetime64(start, "us"), np.datetime64(stop + _PROBE_STEP, "us"),
                                 np.timedelta64(_PROBE_STEP)))
    table = _zone_table(probes, zone)
    unsettled = table.filter(
        (pl.col("offset") != pl.col("offset").shift(-1)).fill_null(False)
        | (pl.col("ts_basis") != pl.col("ts_basis").shift(-1)).fill_null(False)
        | (pl.col("ts_basis") != "local")
    ).get_column("b")
    if unsettled.len():
        quarters = pl.select(pl.datetime_ranges(unsettled, unsettled + _PROBE_STEP, _QUARTER, closed="left")
                             .explode()).to_series()
        table = _zone_table(pl.concat([probes, quarters]).unique().sort(), zone)
    return _compress(table)


_CACHED_YEARS: Final = (1900, 2200)
"""Years whose zone segments are cached (digital evidence lives well inside them)."""


def _offset_segments(naive: pl.Series, zone: str) -> _Segments:
    """Segments enough to read every value of ``naive`` (see :func:`_zone_segments`).

    A sparse column spread over centuries (bad data, a reset clock) would need more probes
    than it has values, so there the distinct quarter hours of the data are converted
    instead (exact too, and not cached)."""
    lo, hi = naive.min(), naive.max()
    assert isinstance(lo, datetime) and isinstance(hi, datetime)
    years = hi.year - lo.year + 1
    if lo.year >= _CACHED_YEARS[0] and hi.year <= _CACHED_YEARS[1] and years * 1500 <= max(naive.len(), 20_000):
        return _zone_segments(zone, lo.year, hi.year)
    return _compress(_zone_table(naive.drop_nulls().dt.truncate("15m").unique().sort(), zone))


def localise(naive: pl.Series, zone: str) -> tuple[pl.Series, pl.Series]:
    """:func:`wall_clock_to_utc` for a whole column, with the zone arithmetic done once per
    segment of constant offset (see :func:`_zone_segments`) rather than once per row.

    Same results as the expression form (tested in many zones), several times faster on
    big sources: each row costs one binary search over a handful of segment starts and one
    subtraction (in NumPy, whose ``searchsorted`` is several times faster than Polars' here).
    """
    n = naive.len()
    if naive.null_count() == n:
        return (pl.repeat(None, n, dtype=TS_TYPE, eager=True).alias(naive.name),
                pl.repeat(None, n, dtype=pl.Enum(TS_BASES), eager=True).alias("ts_basis"))
    naive = naive.cast(pl.Datetime("us"))
    segments = _offset_segments(naive, zone)
    values = naive.to_numpy()  # nulls become NaT, which sorts last
    at = np.searchsorted(segments.starts, values, side="right") - 1
    utc = pl.Series(naive.name, values - segments.offsets[at]).dt.replace_time_zone(UTC).cast(TS_TYPE)
    basis = segments.basis.gather(pl.Series(at, dtype=pl.UInt32))
    if naive.null_count():
        basis = pl.select(pl.when(naive.is_not_null()).then(basis)).to_series()
    return utc, basis.alias("ts_basis")


# --- date strings -----------------------------------------------------------------

_TIME_PARTS: Final = ("%H:%M:%S%.f", "%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p")
_DAY_FIRST_DATES: Final = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d-%b-%Y", "%d %b %Y", "%d/%b/%Y")
_MONTH_FIRST_DATES: Final = ("%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%b %d %Y", "%b %d, %Y")
_ISO_DATES: Final = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d")
_OFFSET_FORMATS: Final = (
    "%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%:z", "%Y-%m-%d %H:%M:%S%.f%:z",
    "%Y-%m-%d %H:%M:%S%:z", "%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%.fZ", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S UTC",
    "%Y-%m-%d %H:%M:%S%.f UTC", "%d/%m/%Y %H:%M:%S %z", "%d/%m/%Y %H:%M:%S%:z",
)


def _joined(dates: tuple[str, ...], separators: tuple[str, ...] = (" ", "T", ", ")) -> list[str]:
    out = []
    for d in dates:
        for sep in separators:
            if sep == "T" and not d.startswith("%Y"):
                continue
            for t in _TIME_PARTS:
                out.append(f"{d}{sep}{t}")
    return out


@dataclass(frozen=True)
class DateFormat:
    """The format chosen for a column of date strings and why."""

    fmt: str
    has_offset: bool
    assumption: str | None = None

    @property
    def basis(self) -> str:
        return "offset" if self.has_offset else "local"


PLAUSIBLE_YEARS: Final = (1900, 2200)
"""``%Y`` accepts any number of digits, so ``01/02/24`` "parses" as ``%Y/%m/%d`` (year 1)
and ``%d/%m/%Y`` (year 24): a format only counts as reading a value if the year it
gives is plausible for digital evidence."""


def without_fraction(fmt: str) -> str | None:
    """``fmt`` without its optional fractional seconds (``%.f``), or ``None`` if it has none.

    ``%.f`` reads nothing where no ``.`` follows the seconds, so a value the format without
    it reads, the format with it reads to the same time; the rest (values with a fraction,
    or none that either reads) need the format itself. Polars reads a fixed format like
    ``%d/%m/%Y %H:%M:%S`` about three times faster than one with ``%.f``, the first form
    the sniffer tries for times with seconds (``tests/test_normalise_times.py`` checks the
    rule on every sniffed format that has ``%.f``)."""
    return fmt.replace("%.f", "") if "%.f" in fmt else None


def to_datetimes(values: pl.Series, fmt: str, *, aware: bool) -> pl.Series:
    """``values.str.to_datetime(fmt, strict=False, time_unit="us")`` (UTC-aware when
    ``aware``), the same values read faster where ``fmt`` has an optional fraction
    (:func:`without_fraction`): the values the shorter format misses are read with ``fmt``."""
    def parse(v: pl.Series, f: str) -> pl.Series:
        if aware:
            return v.str.to_datetime(f, strict=False, time_unit="us", time_zone=UTC)
        return v.str.to_datetime(f, strict=False, time_unit="us")

    quick_fmt = without_fraction(fmt)
    if quick_fmt is None:
        return parse(values, fmt)
    quick = parse(values, quick_fmt)
    missed = quick.is_null() & values.is_not_null()
    if not missed.any():
        return quick
    return quick.scatter(missed.arg_true(), parse(values.filter(missed), fmt))


class Readings:
    """The readings a sniff made of its distinct values in full, per (format, offset-aware),
    for a caller about to read the same values with the format chosen (:meth:`of`): the
    sniff's last check of a format parses every distinct value, and a column of distinct
    times (most exports) is those values, so the caller need not parse them again."""

    def __init__(self) -> None:
        self.values: pl.Series | None = None
        self.read: dict[tuple[str, bool], pl.Series] = {}

    def of(self, values: pl.Series, fmt: DateFormat) -> pl.Series:
        """``to_datetimes(values, fmt.fmt, aware=fmt.has_offset)``: the sniff's own reading
        where it read exactly ``values`` (same values, same order, no null) with that format,
        else read now (tested equal in ``tests/test_normalise_times.py``)."""
        got = self.read.get((fmt.fmt, fmt.has_offset))
        if (got is not None and self.values is not None and self.values.dtype == values.dtype
                and self.values.len() == values.len() and not values.null_count()
                and self.values.equals(values, check_names=False)):
            return got.alias(values.name)
        return to_datetimes(values, fmt.fmt, aware=fmt.has_offset)


def _parse_share(values: pl.Series, fmt: str, *, aware: bool,
                 kept: dict[tuple[str, bool], pl.Series] | None = None) -> float:
    parsed = to_datetimes(values, fmt, aware=aware)
    if kept is not None:
        kept[(fmt, aware)] = parsed
    n = values.len() - values.null_count()
    low, high = PLAUSIBLE_YEARS
    read = int(parsed.dt.year().is_between(low, high).sum())
    return 1.0 if n == 0 else read / n


SNIFF_HEAD_VALUES: Final = 256
"""Distinct values a format is first tried on: one that misreads any of them cannot read
the whole column, so it is passed over without parsing every value (the sniff tries up to
~130 formats; on a 46,000-row export that was most of the parse)."""


SNIFF_FIRST_VALUES: Final = 32
"""Values of the head every format is tried on first (the survivors then meet the whole head)."""


def _spread_head(sample: pl.Series) -> pl.Series | None:
    """The values formats are tried on first (``None`` when the sample is no bigger): the first
    half of :data:`SNIFF_HEAD_VALUES` distinct values and the other half spread evenly over
    the rest, so a day > 12 late in a column (an export starting on the 1st of a month)
    rules a format out before it is parsed on every value. Any subset of the sample gives
    :func:`_first_reading_all` the same answer; this one only makes it cheaper more often."""
    n = sample.len()
    if n <= SNIFF_HEAD_VALUES:
        return None
    first = SNIFF_HEAD_VALUES // 2
    rest = sample.slice(first)
    return pl.concat([sample.head(first), rest.gather_every(max(1, rest.len() // (SNIFF_HEAD_VALUES - first)))
                      .head(SNIFF_HEAD_VALUES - first)])


_SEPARATORS: Final = frozenset("/-.,:")
"""Characters a format may hold as literals that every value it reads must then contain (a
literal is matched exactly, never skipped or read by a directive; whitespace, which may be
matched leniently, and letters are not among them)."""


@lru_cache(maxsize=1024)
def _literals_of(fmt: str) -> frozenset[str]:
    """The :data:`_SEPARATORS` ``fmt`` holds as literal characters (outside its ``%`` directives:
    ``%.f``, ``%:z`` and the like hold a ``.`` or ``:`` that is not a literal)."""
    found: set[str] = set()
    i = 0
    while i < len(fmt):
        if fmt[i] == "%":
            i += 1
            while i < len(fmt) and fmt[i] in ".:-_#0123456789":
                i += 1
            i += 1  # the directive's letter (or a second %)
            continue
        if fmt[i] in _SEPARATORS:
            found.add(fmt[i])
        i += 1
    return frozenset(found)


def _separators_in_all(values: pl.Series) -> frozenset[str]:
    """The :data:`_SEPARATORS` every one of ``values`` contains."""
    present = set(_SEPARATORS)
    for value in values.to_list():
        present.intersection_update(value)
        if not present:
            break
    return frozenset(present)


def _first_reading_all(sample: pl.Series, formats: list[str], *, aware: bool, head: pl.Series | None,
                       fast: bool = True, kept: dict[tuple[str, bool], pl.Series] | None = None) -> str | None:
    """The first of ``formats`` that reads every value of ``sample`` (as :func:`_parse_share`
    counts), or ``None``. The same answer as trying each on the whole sample in turn:
    ``head`` is a subset of ``sample``, and a format that misses a value of it misses one of
    ``sample``; only formats that read all of ``head`` are tried on everything. The head is
    itself tried in two steps (every format on :data:`SNIFF_FIRST_VALUES` of it spread
    evenly, then the few that read those on all of it): a subset again, so the same answer.

    ``fast`` (the default) first passes over, without parsing, every format holding a literal
    separator (``/``, ``-``, ``.``, ``,``, ``:``) that some value of the head lacks: it cannot
    read that value (tested equal to ``fast=False``, the plain rule, in
    ``tests/test_normalise_times.py``)."""
    on_head = [True] * len(formats)
    if fast:  # formats needing a separator some value lacks cannot read it: not parsed at all
        present = _separators_in_all(head if head is not None else sample)
        on_head = [_literals_of(fmt) <= present for fmt in formats]
    if head is not None:
        step = max(1, head.len() // SNIFF_FIRST_VALUES)
        for values in (head.gather_every(step), head) if step > 1 else (head,):
            alive = [i for i, ok in enumerate(on_head) if ok]
            for i, ok in zip(alive, _reads_all(values, [formats[i] for i in alive], aware=aware), strict=True):
                on_head[i] = ok
    for fmt, possible in zip(formats, on_head, strict=True):
        if possible and _parse_share(sample, fmt, aware=aware, kept=kept) == 1.0:
            return fmt
    return None


@lru_cache(maxsize=256)
def _reads_all_exprs(formats: tuple[str, ...], aware: bool) -> list[pl.Expr]:
    """:func:`_reads_all`'s query, built once per format list (building ~130 expressions
    in Python cost more than running them on a head of values)."""
    low, high = PLAUSIBLE_YEARS
    col = pl.col("v")
    return [(col.str.to_datetime(fmt, strict=False, time_unit="us", time_zone=UTC) if aware
             else col.str.to_datetime(fmt, strict=False, time_unit="us")).dt.year().is_between(low, high).sum()
            .alias(str(i)) for i, fmt in enumerate(formats)]


def _reads_all(values: pl.Series, formats: list[str], *, aware: bool) -> list[bool]:
    """For each of ``formats``: does it read every value (as :func:`_parse_share` counts)?
    All formats in one query, so a hundred formats cost one pass, not a hundred."""
    if not formats:
        return []
    counts = pl.DataFrame({"v": values}).select(_reads_all_exprs(tuple(formats), aware)).row(0)
    n = values.len() - values.null_count()
    return [n == 0 or int(c) == n for c in counts]


DAMAGE_MIN_VALUES: Final = 20
"""Distinct values a column needs before one unreadable value among them is taken for damage
(a reject) rather than a sign that the format is not the one the others share."""


def sniff_datetime_format(
    values: pl.Series,
    *,
    dayfirst: bool | None = None,
    what: str = "timestamps",
    date_only: bool = False,
    readings: Readings | None = None,
) -> DateFormat:
    """Choose the strptime format that reads every value in ``values``.

    Day-first and month-first formats are both tried; if both read everything, the
    order is not decidable from the data: ``dayfirst`` decides, defaulting to
    day-first (GB) with the assumption recorded. Raises if no format reads ≥ 99 %.

    ``readings``: filled with the distinct values and what each format tried on all of them
    read, for :meth:`Readings.of` (the choice is the same with or without it).
    """
    sample = values.drop_nulls().str.strip_chars()
    sample = sample.filter(sample != "").unique(maintain_order=True)
    if sample.len() == 0:
        return DateFormat("%Y-%m-%d %H:%M:%S", has_offset=False)
    kept = None
    if readings is not None:
        readings.values, kept = sample, readings.read
    if date_only:
        groups = {"iso": list(_ISO_DATES), "dmy": list(_DAY_FIRST_DATES), "mdy": list(_MONTH_FIRST_DATES)}
        offset_formats: list[str] = []
    else:
        groups = {
            "iso": _joined(_ISO_DATES),
            "dmy": _joined(_DAY_FIRST_DATES),
            "mdy": _joined(_MONTH_FIRST_DATES),
        }
        offset_formats = list(_OFFSET_FORMATS)
    head = _spread_head(sample)
    found = _first_reading_all(sample, offset_formats, aware=True, head=head, kept=kept)
    if found is not None:
        return DateFormat(found, has_offset=True)
    # A group's best format counts below only as "reads everything" (share 1.0) unless no
    # group has one; only then is every format's share needed (the damage rule below).
    best: dict[str, tuple[float, str]] = {}
    for group, formats in groups.items():
        found = _first_reading_all(sample, formats, aware=False, head=head, kept=kept)
        if found is not None:
            best[group] = (1.0, found)
    partial = not best
    for group, formats in groups.items():
        if not partial:
            best.setdefault(group, (0.0, ""))
            continue
        for fmt in formats:
            share = _parse_share(sample, fmt, aware=False)
            if share > best.get(group, (-1.0, ""))[0]:
                best[group] = (share, fmt)
            if share == 1.0:
                break
    if best["iso"][0] == 1.0:
        return DateFormat(best["iso"][1], has_offset=False)
    dmy_ok, mdy_ok = best["dmy"][0] == 1.0, best["mdy"][0] == 1.0
    if dmy_ok and mdy_ok:
        chosen_dayfirst = True if dayfirst is None else dayfirst
        why = "assumed day-first (UK default)" if dayfirst is None else (
            "day-first as instructed" if dayfirst else "month-first as instructed")
        fmt = best["dmy" if chosen_dayfirst else "mdy"][1]
        return DateFormat(fmt, has_offset=False,
                          assumption=f"day/month order of {what} not decidable from the data (no day > 12); {why}: {fmt}")
    if dmy_ok or mdy_ok:
        group = "dmy" if dmy_ok else "mdy"
        if dayfirst is not None and dayfirst != dmy_ok:
            raise AtlasError(
                f"{what}: the data is {'day' if dmy_ok else 'month'}-first (a value > 12 fixes it), "
                f"contradicting --{'monthfirst' if dayfirst is False else 'dayfirst'}"
            )
        return DateFormat(best[group][1], has_offset=False)
    share, fmt = max(best.values())
    # Damage is not a format: in a column of at least DAMAGE_MIN_VALUES distinct values, one
    # value no format reads (a control character, a cut cell) leaves the format the others
    # share; that value is the parser's reject, with its reason, not the whole file's refusal.
    unread = round((1 - share) * sample.len())
    if share >= 0.99 or (sample.len() >= DAMAGE_MIN_VALUES and unread <= 1):
        if best["dmy"][0] == best["mdy"][0] == share and best["dmy"][1] != best["mdy"][1]:
            chosen_dayfirst = True if dayfirst is None else dayfirst
            fmt = best["dmy" if chosen_dayfirst else "mdy"][1]
            why = "assumed day-first (UK default)" if dayfirst is None else (
                "day-first as instructed" if dayfirst else "month-first as instructed")
            return DateFormat(fmt, has_offset=False, assumption=f"day/month order of {what} not decidable from the "
                              f"data (no day > 12); {why}: {fmt}")
        return DateFormat(fmt, has_offset=False)
    examples = ", ".join(repr(v) for v in sample.head(3).to_list())
    raise AtlasError(f"cannot recognise the date format of {what} (e.g. {examples})")


def parse_datetimes(values: pl.Expr, fmt: DateFormat) -> pl.Expr:
    """Parse with a sniffed format: aware UTC for offset formats, naive otherwise."""
    stripped = values.str.strip_chars()
    if fmt.has_offset:
        return stripped.str.to_datetime(fmt.fmt, strict=False, time_unit="us", time_zone=UTC)
    return stripped.str.to_datetime(fmt.fmt, strict=False, time_unit="us")


def uk_display(ts: object) -> str:
    """A UTC datetime as people read it in England and Wales: ``22/11/2026 14:05 GMT``."""
    if not isinstance(ts, datetime):
        return ""
    local = ts.astimezone(ZoneInfo("Europe/London"))
    return local.strftime("%d/%m/%Y %H:%M ") + (local.tzname() or "")


def isoformat_utc(ts: pl.Expr) -> pl.Expr:
    """A time column as ``datetime.isoformat`` writes a UTC datetime (``+00:00``, microseconds
    only when there are any): for JSON built column-wise to read exactly as the per-row
    Python it replaced."""
    ts = ts.dt.convert_time_zone(UTC)
    return (pl.when(ts.dt.microsecond() == 0).then(ts.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"))
            .otherwise(ts.dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00")))
