"""The contact timeline: filtering the case's events, and writing them out.

Filters are Polars expressions over the lazy event scan, so a timeline of a few
rows from a case of millions reads only what it needs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from atlas.errors import AtlasError
from atlas.spreadsheet_safety import neutralise


def day_bound(value: str, zone: str, *, end: bool) -> datetime:
    """``2026-03-01`` (a whole local day) or an ISO date-time → aware UTC bound."""
    try:
        if "T" in value or " " in value.strip():
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=ZoneInfo(zone))
        else:
            day = date.fromisoformat(value)
            if end:
                day = date.fromordinal(day.toordinal() + 1)
            moment = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
    except ValueError as exc:
        raise AtlasError(f"{value!r} is not a date (YYYY-MM-DD) or ISO date-time") from exc
    return moment.astimezone(ZoneInfo("UTC"))


def filter_events(
    events: pl.LazyFrame,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    identifiers: Collection[str] | None = None,
    channels: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
) -> pl.LazyFrame:
    """Events in [start, end) touching any of ``identifiers`` (as sender or recipient), in time order."""
    return matching(events, start=start, end=end, identifiers=identifiers, channels=channels, kinds=kinds).sort(
        "ts_utc", "event_id", nulls_last=True)


def matching(
    events: pl.LazyFrame,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    identifiers: Collection[str] | None = None,
    channels: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
) -> pl.LazyFrame:
    """:func:`filter_events` before its sort (for counting)."""
    out = events
    if start is not None:
        out = out.filter(pl.col("ts_utc") >= start)
    if end is not None:
        out = out.filter(pl.col("ts_utc") < end)
    if identifiers is not None:
        ids = pl.Series(sorted(identifiers), dtype=pl.String)
        out = out.filter(
            pl.col("sender").is_in(ids.implode()) | pl.col("recipients").list.eval(pl.element().is_in(ids.implode())).list.any()
        )
    if channels:
        out = out.filter(pl.col("channel").is_in(sorted(channels)))
    if kinds:
        out = out.filter(pl.col("kind").cast(pl.String).is_in(sorted(kinds)))
    return out


def page(timeline: pl.LazyFrame, counted: pl.LazyFrame, offset: int, limit: int, *,
         plain: bool = False) -> tuple[int, pl.DataFrame]:
    """The number of events of ``counted`` (the filtered, unsorted timeline) and rows
    ``offset`` .. ``offset + limit`` of ``timeline`` (the same, sorted), each from a
    streaming scan of the partitions: memory holds the filter's morsels, the count and
    the ``offset + limit`` earliest rows (a top-k), never every matching event.
    Equal to ``timeline.collect()``'s height and ``.slice(offset, limit)``
    (``tests/test_commands_stream.py``); ``plain=True`` is that plain rule (every matching
    event collected, then sliced)."""
    if plain:
        every = timeline.collect()
        return every.height, every.slice(offset, limit)
    total = counted.select(pl.len()).collect(engine="streaming").item()
    rows = timeline.slice(offset, limit).collect(engine="streaming")
    return int(total), rows


def flat(frame: pl.DataFrame) -> pl.DataFrame:
    """Lists joined with '; ' and enums as text: for CSV and people."""
    return frame.with_columns(
        [pl.col(c).list.join("; ") for c, t in frame.schema.items() if isinstance(t, pl.List)]
        + [pl.col(c).cast(pl.String) for c, t in frame.schema.items() if isinstance(t, pl.Enum)]
    )


BATCH_EVENTS = 500_000
"""Events :func:`write_bounded` holds at once (one time window's)."""


def windows(timeline: pl.LazyFrame, *, batch: int = BATCH_EVENTS) -> Iterator[pl.DataFrame]:
    """``timeline`` (a :func:`filter_events` frame, sorted by time then event id, events
    without a time last) collected one time window at a time, in order: the times are read
    by a streaming scan and cut into windows of about ``batch`` events at distinct times (so
    the events of one time are in one window), each read by a filtered streaming scan and
    sorted; the events without a time last, by event id. The frames concatenated are
    ``timeline.collect()``."""
    t = pl.col("ts_utc").dt.epoch("us")
    times = timeline.select(t).drop_nulls().collect(engine="streaming").to_series().sort()
    cuts = sorted(set(times.gather_every(max(batch, 1)).to_list()[1:]))
    bounds = list(zip([None, *cuts], [*cuts, None], strict=True)) if times.len() else []
    del times
    for lo, hi in bounds:
        window = timeline.filter(pl.col("ts_utc").is_not_null())
        if lo is not None:
            window = window.filter(t >= lo)
        if hi is not None:
            window = window.filter(t < hi)
        yield window.collect(engine="streaming")
    yield timeline.filter(pl.col("ts_utc").is_null()).collect(engine="streaming")


def write_bounded(timeline: pl.LazyFrame, refs: Mapping[str, str], out: Path, *, batch: int = BATCH_EVENTS) -> int:
    """:func:`write_frame` of ``with_exhibit(timeline.collect(), refs)`` for ``.csv`` and
    ``.jsonl``, one time window at a time (:func:`windows`): the same bytes, in memory
    bounded by ``batch`` events. Returns the number of events written."""
    from atlas.exhibits import with_exhibit

    suffix = out.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise AtlasError(f"{out}: only .csv and .jsonl are written one window at a time")
    tmp = out.with_name(f".{out.name}.tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with tmp.open("wb") as fh:
        for i, frame in enumerate(windows(timeline, batch=batch)):
            if i and frame.height == 0:
                continue
            frame = with_exhibit(frame, refs)
            if suffix == ".csv":
                neutralise(flat(frame)).write_csv(fh, include_header=i == 0)
            else:
                _enums_as_text(frame).write_ndjson(fh)
            n += frame.height
    tmp.replace(out)
    return n


def write_parquet_bounded(timeline: pl.LazyFrame, refs: Mapping[str, str], out: Path, *,
                          batch: int = BATCH_EVENTS) -> int:
    """:func:`write_frame` of ``with_exhibit(timeline.collect(), refs)`` for ``.parquet``, one
    time window at a time (:func:`windows`): each window written to a temporary Parquet file,
    then those files streamed into one by Polars' streaming sink (a scan and a sink, nothing
    sorted or held): the same rows, columns and types, in memory bounded by a window (the file's
    row groups may be cut differently). Returns the number of events written."""
    import shutil
    import tempfile

    from atlas.exhibits import with_exhibit

    if out.suffix.lower() != ".parquet":
        raise AtlasError(f"{out}: only .parquet is written this way")
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    tmp = out.with_name(f".{out.name}.tmp")
    n = 0
    try:
        files = []
        for i, frame in enumerate(windows(timeline, batch=batch)):
            if i and frame.height == 0:
                continue
            frame = with_exhibit(frame, refs)
            files.append(parts / f"{i:06d}.parquet")
            frame.write_parquet(files[-1], compression="lz4", statistics=False)
            n += frame.height
            del frame
        pl.scan_parquet(files).sink_parquet(tmp, compression="zstd", engine="streaming")
        tmp.replace(out)
    finally:
        shutil.rmtree(parts, ignore_errors=True)
        tmp.unlink(missing_ok=True)
    return n


def _enums_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns([pl.col(c).cast(pl.String) for c, t in frame.schema.items() if isinstance(t, pl.Enum)])


def write_frame(frame: pl.DataFrame, out: Path) -> None:
    """Write by extension: .csv, .parquet, .jsonl (atomically, via a temporary file)."""
    suffix = out.suffix.lower()
    tmp = out.with_name(f".{out.name}.tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        neutralise(flat(frame)).write_csv(tmp)
    elif suffix == ".parquet":
        frame.write_parquet(tmp, compression="zstd")
    elif suffix in (".jsonl", ".ndjson"):
        _enums_as_text(frame).write_ndjson(tmp)
    else:
        raise AtlasError(f"{out}: unknown output type {suffix!r} (use .csv, .parquet or .jsonl)")
    tmp.replace(out)
