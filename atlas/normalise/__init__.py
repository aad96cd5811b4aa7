"""Raw parser rows → normalised events: the one shared normalisation step.

Parsers hand over what the source says; this module decides, the same way for every
format: identifiers to URIs (once per distinct value), wall-clock times to UTC with
their basis, direction relative to the source's owner, stable event ids, and rows
that cannot be events (no time where a time is essential) to rejects.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import polars as pl

from atlas.model import (
    EVENT_SCHEMA,
    RAW_EVENT_SCHEMA,
    REJECT_SCHEMA,
    TIMED_KINDS,
    TS_TYPE,
    conform,
    empty_rejects,
)
from atlas.normalise.identifiers import _FAST_PATH_MIN, identifier_map, identifier_uri
from atlas.normalise.times import localise


@dataclass(frozen=True)
class Normalised:
    events: pl.DataFrame
    rejects: pl.DataFrame


def event_ids_plain(source_id: str, refs: pl.Expr) -> pl.Expr:
    """``<source_id>/<source_ref>``: stable across re-ingests, and readable in court (the
    plain rule, used by :func:`to_events_plain`).

    DESIGN.md asked for a hash of (source hash, source_ref); the composite carries the
    same information, is equally stable, and tells a reader where the record is.
    """
    return pl.lit(source_id + "/") + refs


def event_ids(source_id: str, refs: pl.Expr) -> pl.Expr:
    """:func:`event_ids_plain`'s texts by ``format``, which writes both parts straight into each
    result (null where the ref is, as ``+``): ~0.009 CPU-s less a 2 M-row source. The same
    texts: ``tests/test_normalise_fast.py`` holds :func:`to_events` equal to the plain rule."""
    return pl.format("{}{}", pl.lit(source_id + "/"), refs)


def _first_pass(frame: pl.LazyFrame, height: int, *, identifiers: bool, refs: bool) -> tuple[pl.Series, int]:
    """(distinct raw identifiers of the sender and recipient columns, number of distinct
    ``source_ref`` hashes), in one parallel pass over the rows. Either part can be skipped:
    then no identifiers, or ``height`` hashes (refs already proved distinct)."""
    # Distinct values of each column first: hashing two columns separately is cheaper than
    # concatenating millions of strings and hashing the copy. (``is_first_distinct`` is
    # exact and, on long strings, about twice as fast as ``unique``.)
    sender, recipient = pl.col("sender"), pl.col("recipients").explode()
    exprs = []
    if identifiers:
        exprs += [sender.filter(sender.is_first_distinct()).implode(), recipient.filter(recipient.is_first_distinct()).implode()]
    if refs:
        exprs.append(pl.col("source_ref").hash().n_unique().alias("ref_hashes"))
    none = pl.Series("raw", [], dtype=pl.String)
    if not exprs:
        return none, height
    out = frame.select(exprs).collect(engine="in-memory")
    raw = pl.concat([out.get_column("sender").explode(), out.get_column("recipients").explode()]).rename("raw") if identifiers else none
    return raw, int(out.get_column("ref_hashes")[0]) if refs else height


def _identifier_exprs(raw: pl.Series, *, source_id: str, region: str) -> list[pl.Expr]:
    """Sender and recipients as URIs (each distinct raw value converted once, then looked up)."""
    mapping = identifier_map(raw, source_id=source_id, region=region)
    if mapping.height == 0:
        return []
    keys, values = mapping.get_column("raw"), mapping.get_column("uri")
    return [
        pl.col("sender").replace_strict(keys, values, default=None),
        pl.col("recipients").list.eval(pl.element().replace_strict(keys, values, default=None)),
    ]


def _collect(lf: pl.LazyFrame) -> pl.DataFrame:
    """Polars' in-memory engine: expressions run in parallel and each column comes out in
    one chunk (the streaming engine leaves columns unaligned, and every later select of
    unaligned columns copies them)."""
    return lf.collect(engine="in-memory")


_SMALL_ROWS: Final = 100_000
"""Up to this many rows the fast path's query runs without Polars' plan optimisations: on a small
source planning costs more than it saves (0.1 of 0.45-0.8 ms on a month of Semantic Location
History or a Meta thread of 10,000 messages). The same expressions give the same values."""


def _collect_small(lf: pl.LazyFrame, height: int) -> pl.DataFrame:
    """:func:`_collect`, without the plan optimisations for a small frame (:data:`_SMALL_ROWS`)."""
    if height <= _SMALL_ROWS:
        return lf.collect(engine="in-memory", optimizations=pl.QueryOptFlags.none())
    return _collect(lf)


_RAW_TIME_CHARS: Final = 160
"""Of a raw time that is no time, the characters a reject's excerpt keeps (as :func:`parsers._exports.excerpt`):
a Timeline.json whose start time was a 50 MB string stored all of it in the excerpt, and reading the
store back ran out of memory. A real raw time is under 40 characters."""


def _split_untimed(frame: pl.DataFrame, source_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the rows that can be events, the rejects): a record of a timed kind with no usable time
    is set aside with the reason and an excerpt (its raw time, else its text)."""
    missing_time = pl.col("ts_utc").is_null() & pl.col("kind").cast(pl.String).is_in(TIMED_KINDS)
    rejects = frame.filter(missing_time).select(
        pl.lit(source_id).alias("source_id"),
        "source_ref",
        pl.lit("no usable timestamp").alias("reason"),
        pl.coalesce(pl.col("ts_raw").str.slice(0, _RAW_TIME_CHARS), pl.col("text").str.slice(0, 80),
                    pl.lit("")).alias("excerpt"),
    )
    return frame.filter(~missing_time), conform(rejects, REJECT_SCHEMA)


_MAX_SPLICES: Final = 5000


def _put(column: pl.Series, rows: pl.Series, values: pl.Series) -> pl.Series:
    """``column`` with ``values`` at the (ascending) positions ``rows``.

    Polars cannot scatter into a list column and gathers one slowly (0.4 s for 2 M
    lists), so a few rows are spliced in between zero-copy slices, copied once; many
    rows go through a join on the row number."""
    if rows.len() <= _MAX_SPLICES:
        parts, start = [], 0
        for i, row in enumerate(rows.to_list()):
            parts += [column.slice(start, row - start), values.slice(i, 1)]
            start = row + 1
        parts.append(column.slice(start))
        return pl.concat(parts, rechunk=True)
    fixed = pl.DataFrame({"_row": rows, "_fixed": values})
    return (
        column.to_frame().with_row_index("_row").join(fixed, on="_row", how="left", maintain_order="left")
        .select(pl.coalesce("_fixed", column.name).alias(column.name)).to_series()
    )


def to_events_plain(
    raw: pl.DataFrame,
    *,
    source_id: str,
    timezone: str,
    region: str,
    owner_uris: Collection[str] = (),
    identifiers_are_uris: bool = False,
    refs_unique: bool = False,
) -> Normalised:
    """The plain rule of :func:`to_events` (each step its own Polars query, as first written;
    ``tests/test_normalise_fast.py`` holds :func:`to_events` equal to it).
    Normalise one source's raw rows. Row order is kept (it is the source's order).

    Big sources (a 2-million-row call record) go through a few lazy Polars queries, so
    the work runs on every core and each column is built once; facts that decide what
    work is needed (are there wall-clock times, missing times, rows without direction)
    come from null counts, which cost nothing. ``identifiers_are_uris`` and
    ``refs_unique`` pass on what a parser has already done or proved
    (see :class:`parsers.base.ParseResult`).
    """
    frame = conform(raw, RAW_EVENT_SCHEMA)
    empty_list = pl.lit([], pl.List(pl.String))
    fills = [pl.col(c).fill_null(empty_list) for c in ("recipients", "attachments") if frame.get_column(c).null_count()]
    if frame.get_column("deleted").null_count():
        fills.append(pl.col("deleted").fill_null(False))
    if fills:
        frame = frame.with_columns(fills)
    raw_identifiers, ref_hashes = _first_pass(frame.lazy(), frame.height, identifiers=not identifiers_are_uris,
                                              refs=not refs_unique)
    # Equal strings hash equal, so distinct 64-bit hashes prove the refs distinct (one cheap
    # pass); only if some hashes coincide is the exact (slower) test run.
    if ref_hashes != frame.height:
        dup = frame.filter(pl.col("source_ref").is_duplicated()).get_column("source_ref").head(3).to_list()
        if dup:
            raise ValueError(f"parser produced duplicate source_ref values, e.g. {dup}")
    owners = pl.Series(sorted(owner_uris), dtype=pl.String).implode()
    lf = frame.lazy().with_columns(
        *([] if identifiers_are_uris else _identifier_exprs(raw_identifiers, source_id=source_id, region=region)),
        *_time_exprs(_Raw(frame), timezone),
        event_ids_plain(source_id, pl.col("source_ref")).alias("event_id"),
        pl.lit(source_id).alias("source_id"),
    ).with_columns(_direction(_Raw(frame), owner_uris).alias("direction"))
    if owner_uris:
        # The owner never contacts themself: a recipient list that names the owner on a
        # message the owner sent (one-sided chat exports) keeps only the other parties.
        # Found with native list.contains (cheap on millions of rows); the per-list filter
        # runs only on the rows that need it.
        lf = lf.with_columns((pl.col("sender").is_in(owners) & pl.any_horizontal(
            [pl.col("recipients").list.contains(pl.lit(o, pl.String)) for o in sorted(owner_uris)])).alias("_self"))
    frame = _collect(lf)
    if owner_uris:
        self_addressed = frame.get_column("_self")
        frame = frame.drop("_self")
        if self_addressed.any():
            rows = self_addressed.arg_true().cast(pl.UInt32)
            recipients = frame.get_column("recipients")
            fixed = recipients.gather(rows).list.eval(pl.element().filter(~pl.element().is_in(owners)))
            frame = frame.with_columns(_put(recipients, rows, fixed))
    frame = frame.drop("ts_local", "ts_end_local")
    if frame.get_column("ts_utc").null_count() == 0:  # the usual case: every row is timed
        return Normalised(events=conform(frame, EVENT_SCHEMA), rejects=empty_rejects())
    events, rejects = _split_untimed(frame, source_id)
    return Normalised(events=conform(events, EVENT_SCHEMA), rejects=rejects)


def _conformed(name: str, have: pl.Schema) -> pl.Expr:
    """The column ``name`` as :func:`atlas.model.conform` gives it to :data:`RAW_EVENT_SCHEMA`."""
    dtype = RAW_EVENT_SCHEMA[name]
    if name in have:
        return pl.col(name) if have[name] == dtype else pl.col(name).cast(dtype)
    return pl.lit(None, dtype=dtype).alias(name)


@lru_cache(maxsize=256)
def _conform_exprs(have: tuple[tuple[str, pl.DataType], ...], fills: tuple[str, ...]) -> tuple[pl.Expr, ...]:
    """:func:`atlas.model.conform` to :data:`RAW_EVENT_SCHEMA` of a frame with the columns
    ``have``, with :func:`to_events_plain`'s fills of the columns ``fills`` (empty lists, false),
    as expressions made once per parser's layout (making them cost more than running them on a
    small file; an expression is immutable, so one can serve every query)."""
    schema = pl.Schema(dict(have))
    empty = {"recipients": pl.lit([], pl.List(pl.String)), "attachments": pl.lit([], pl.List(pl.String)),
             "deleted": pl.lit(False)}
    # (a column the frame lacks is all null, so filled it is all the fill: that value itself, a constant
    # like the null it replaces, of the same dtype; 10-15 µs a query cheaper than the null filled)
    return tuple((_conformed(name, schema).fill_null(empty[name]) if name in schema else empty[name].alias(name))
                 if name in fills else _conformed(name, schema) for name in RAW_EVENT_SCHEMA.names())


@lru_cache(maxsize=1)
def _event_columns() -> tuple[pl.Expr, ...]:
    """The columns of :data:`EVENT_SCHEMA`, in order, as :func:`atlas.model.conform` makes them
    (a column already of its type is left as it is by its cast)."""
    return tuple(pl.col(name).cast(dtype) for name, dtype in EVENT_SCHEMA.items())


class _Raw:
    """What the one query needs to know of a parser's frame before it runs: null counts (free:
    Arrow keeps them) and conformed time columns, read from the frame as given (a column it
    lacks is all null, as :func:`atlas.model.conform` would make it)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame, self.height = frame, frame.height
        self.schema: Mapping[str, pl.DataType] = frame.schema

    def nulls(self, name: str) -> int:
        return self.frame.get_column(name).null_count() if name in self.schema else self.height

    def series(self, name: str) -> pl.Series:
        dtype = RAW_EVENT_SCHEMA[name]
        if name not in self.schema:
            return pl.repeat(None, self.height, dtype=dtype, eager=True).alias(name)
        column = self.frame.get_column(name)
        return column if column.dtype == dtype else column.cast(dtype)


class _RawCounted(_Raw):
    """:class:`_Raw` with every column's null count read at once (``DataFrame.null_count``, one call), for
    the fast path. Why: a column a parser made from a constant (``pl.lit("utc")``) is held as one value
    until some step asks for it whole; reading its null count as :class:`_Raw` does (``get_column``) makes
    it whole, and every later step on it then works on each row (the normaliser's cast of ``ts_basis``
    to its Enum: 21 against 11 µs on a month of Semantic Location History). The same counts
    (tests/test_normalise_fast.py)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        # (the names and dtypes as a dict: ``frame.schema`` makes a ``pl.Schema`` of them, 4 µs more)
        self.frame, self.height = frame, frame.height
        names = frame.columns
        self.schema = dict(zip(names, frame.dtypes, strict=True))
        self.counts: dict[str, int] = dict(zip(names, frame.null_count().row(0), strict=True))

    def nulls(self, name: str) -> int:
        return self.counts.get(name, self.height)


def _time_exprs(raw: _Raw, zone: str, col: Callable[[str], pl.Expr] = pl.col) -> list[pl.Expr]:
    """``ts_utc``/``ts_basis``/``ts_end_utc``: wall-clock times converted with ``zone`` where the
    parser gave no UTC time; ``utc`` basis where it gave one but named none. What is needed is
    read from null counts (free) of the frame as given (:class:`_Raw`): the plain rule hands it
    its conformed frame, the fast path the parser's own. ``col`` gives a conformed column (the
    column of that name, or for the small sources' one select its expression on the parser's
    frame: :func:`_conformed_columns`)."""
    n = raw.height
    if raw.nulls("ts_local") == n and raw.nulls("ts_end_local") == n:
        if raw.nulls("ts_basis") == 0 and raw.nulls("ts_utc") == 0:
            return []
        basis = col("ts_basis").fill_null(pl.lit("utc", EVENT_SCHEMA["ts_basis"]))
        if raw.nulls("ts_utc"):
            basis = pl.when(col("ts_utc").is_not_null()).then(basis)
        return [basis.alias("ts_basis")]
    local_utc, local_basis = localise(raw.series("ts_local"), zone)
    end_utc, _ = localise(raw.series("ts_end_local"), zone)
    basis_type = EVENT_SCHEMA["ts_basis"]
    if raw.nulls("ts_utc") == n:
        start = [pl.lit(local_utc).alias("ts_utc"), pl.lit(local_basis).cast(basis_type).alias("ts_basis")]
    else:
        given = col("ts_utc").is_not_null()
        start = [
            pl.when(given).then(col("ts_utc")).otherwise(pl.lit(local_utc)).cast(TS_TYPE).alias("ts_utc"),
            pl.when(given).then(col("ts_basis").cast(basis_type).fill_null(pl.lit("utc", basis_type)))
            .otherwise(pl.lit(local_basis).cast(basis_type)).alias("ts_basis"),
        ]
    if raw.nulls("ts_end_utc") == n:
        end = pl.lit(end_utc)
    else:
        end = pl.when(col("ts_end_utc").is_not_null()).then(col("ts_end_utc")).otherwise(pl.lit(end_utc))
    return [*start, end.cast(TS_TYPE).alias("ts_end_utc")]


_EXACT_REFS_MAX: Final = 250_000
"""Up to this many rows the refs are counted exactly (``n_unique`` of the text is quicker there
than of 64-bit hashes; above it, hashing first is, as in :func:`_first_pass`)."""


def _first_pass_fast(frame: pl.LazyFrame, height: int, *, identifiers: bool, refs: bool) -> tuple[pl.Series, bool]:
    """:func:`_first_pass`: (distinct raw identifiers, whether the refs are proved distinct)."""
    sender, recipient = pl.col("sender"), pl.col("recipients").explode()
    exprs = []
    if identifiers:
        exprs += [sender.filter(sender.is_first_distinct()).implode(), recipient.filter(recipient.is_first_distinct()).implode()]
    if refs:
        ref = pl.col("source_ref")
        exprs.append((ref.n_unique() if height <= _EXACT_REFS_MAX else ref.hash().n_unique()).alias("ref_hashes"))
    none = pl.Series("raw", [], dtype=pl.String)
    if not exprs:
        return none, True
    out = frame.select(exprs).collect(engine="in-memory")
    raw = pl.concat([out.get_column("sender").explode(), out.get_column("recipients").explode()]).rename("raw") if identifiers else none
    return raw, not refs or int(out.get_column("ref_hashes")[0]) == height


def _identifier_exprs_fast(raw: pl.Series, *, source_id: str, region: str) -> list[pl.Expr]:
    """:func:`_identifier_exprs`, with no replacement where every identifier is already its URI
    (``snapchat:alice.ex``: the look-up would give every value back). A few distinct values
    (fewer than :func:`identifier_map` sends down its column path) are mapped in Python: the
    same values sorted the same way (code point order is UTF-8 byte order), each converted by
    :func:`identifier_uri` as there."""
    if raw.len() <= _FAST_PATH_MIN:
        distinct = sorted({v for v in raw.to_list() if v is not None})
        uris = [identifier_uri(v, source_id=source_id, region=region) for v in distinct]
        if uris == distinct:
            return []
        keys, values = pl.Series("raw", distinct, dtype=pl.String), pl.Series("uri", uris, dtype=pl.String)
    else:
        mapping = identifier_map(raw, source_id=source_id, region=region)
        keys, values = mapping.get_column("raw"), mapping.get_column("uri")
        if keys.equals(values):
            return []
    return [
        pl.col("sender").replace_strict(keys, values, default=None),
        pl.col("recipients").list.eval(pl.element().replace_strict(keys, values, default=None)),
    ]


def _direction(raw: _Raw, owner_uris: Collection[str], col: Callable[[str], pl.Expr] = pl.col) -> pl.Expr:
    """The direction relative to the owner where a row does not state it. Whether every row
    states it is read from the frame as given (:class:`_Raw`; a text equals ``unknown`` exactly
    where its Enum value does). ``col``: as :func:`_time_exprs`'."""
    direction = EVENT_SCHEMA["direction"]
    given = col("direction").cast(direction)
    if not owner_uris:
        return given.fill_null(pl.lit("unknown", direction))
    if _direction_stated(raw):
        return given
    owners = pl.Series(sorted(owner_uris), dtype=pl.String)
    by_owner = (
        pl.when(col("sender").is_in(owners.implode()))
        .then(pl.lit("out", direction))
        .when(col("recipients").list.eval(pl.element().is_in(owners.implode())).list.any())
        .then(pl.lit("in", direction))
        .otherwise(pl.lit("unknown", direction))
    )
    return pl.when(given.is_null() | (given == "unknown")).then(by_owner).otherwise(given)


def _direction_stated(raw: _Raw) -> bool:
    """Whether every row of the frame as given states its direction (none null, none ``unknown``)."""
    return raw.nulls("direction") == 0 and (
        "direction" not in raw.schema or not (raw.frame.get_column("direction") == "unknown").any())


def _self_addressed(owner_uris: Collection[str], col: Callable[[str], pl.Expr]) -> pl.Expr:
    """``_self``: the rows the owner sent whose recipients name the owner (see :func:`to_events_plain`)."""
    owners = pl.Series(sorted(owner_uris), dtype=pl.String).implode()
    return (col("sender").is_in(owners) & pl.any_horizontal(
        [col("recipients").list.contains(pl.lit(o, pl.String)) for o in sorted(owner_uris)])).alias("_self")


_NO_REJECTS: Final = empty_rejects()
"""No rejects: cloned for each result (a clone of an empty frame costs a tenth of a microsecond, making
one 20 µs; each result gets its own frame, as before)."""


def _one_select(frame: pl.DataFrame, layout: tuple[object, ...], col: Callable[[str], pl.Expr],
                columns: dict[str, pl.Expr], facts: _Raw, *, source_id: str, timezone: str,
                owner_uris: Collection[str]) -> pl.DataFrame:
    """The fast path's query for a small source whose identifiers stay as they are, as one select of
    ``frame``: each column of :data:`EVENT_SCHEMA` (and ``_self`` where there are owners) as one
    expression, instead of a conformed frame, two ``with_columns`` and a ``select``. ``col(name)``
    is the conformed column ``name`` (on the parser's own frame: its expression; on a frame
    already conformed: the column), ``columns`` the same for every column the chain does not make
    (each already of its :data:`EVENT_SCHEMA` dtype: a conformed column is of its
    :data:`RAW_EVENT_SCHEMA` dtype, the same; made once per parser's layout). Every column the
    chain reads after its ``with_columns`` is either made there (times, ids, source, direction;
    from the conformed columns, as there) or a conformed column the ``with_columns`` left as it
    was (sender and recipients: no identifier is mapped). The same values, in the same dtypes,
    with a fraction of the expressions to make (making one costs more than running it on a month
    of Semantic Location History)."""
    exprs = _one_select_exprs_cached(layout, col, columns, facts, source_id=source_id, timezone=timezone,
                                     owner_uris=owner_uris)
    if frame.height <= _SEQUENTIAL_ROWS:
        return frame.lazy().select_seq(exprs).collect(engine="in-memory", optimizations=pl.QueryOptFlags.none())
    return frame.lazy().select(exprs).collect(engine="in-memory", optimizations=pl.QueryOptFlags.none())


_SEQUENTIAL_ROWS: Final = 10_000
"""Up to this many rows :func:`_one_select` runs its expressions one after another on the calling thread
(``select_seq``), not on Polars' worker threads: for a source this small, waking those threads costs more than
their work. A thin Semantic month (1,500 rows) after its parse: 0.2 ms of CPU less of 2.7 ms at load 15; the
same query in a loop (the threads still awake) 0.088 against 0.078 ms; at 30,000 and 100,000 rows the sequential
query was still no dearer (0.38 / 0.34 and 1.09 / 1.03 CPU-ms, load 15), but a bigger source may gain wall time
from the threads on an idle machine, so the bound stays low. The same expressions give the same values."""


def _id_exprs(source_id: str, col: Callable[[str], pl.Expr]) -> tuple[pl.Expr, pl.Expr]:
    """``event_id`` and ``source_id`` as :func:`_one_select` selects them (the first two columns of
    :data:`EVENT_SCHEMA`)."""
    # (both are texts, the dtype EVENT_SCHEMA gives them: no cast, 4-5 µs of Python a source less)
    return (event_ids(source_id, col("source_ref")).alias("event_id"), pl.lit(source_id).alias("source_id"))


def _one_select_exprs(col: Callable[[str], pl.Expr], columns: dict[str, pl.Expr], facts: _Raw, *, source_id: str,
                      timezone: str, owner_uris: Collection[str]) -> list[pl.Expr]:
    """:func:`_one_select`'s expressions, made afresh (the plain rule of :func:`_one_select_exprs_cached`)."""
    made = {e.meta.output_name(): e for e in _time_exprs(facts, timezone, col)}
    if not owner_uris and columns["direction"].meta.is_literal(allow_aliasing=True):
        # (no direction column: every row's is null, and :func:`_direction` without owners makes each
        # null ``unknown``: that value as a constant, 10 µs a query cheaper than the null filled)
        made["direction"] = pl.lit("unknown", EVENT_SCHEMA["direction"])
    else:
        made["direction"] = _direction(facts, owner_uris, col)
    exprs = [*_id_exprs(source_id, col)]
    exprs += [made[name].cast(dtype).alias(name) if name in made else columns[name]
              for name, dtype in list(EVENT_SCHEMA.items())[2:]]
    if owner_uris:
        exprs.append(_self_addressed(owner_uris, col))
    return exprs


_TEMPLATES: dict[tuple[object, ...], tuple[pl.Expr, ...]] = {}
_TEMPLATES_MAX: Final = 256


def _one_select_exprs_cached(layout: tuple[object, ...], col: Callable[[str], pl.Expr], columns: dict[str, pl.Expr],
                             facts: _Raw, *, source_id: str, timezone: str,
                             owner_uris: Collection[str]) -> list[pl.Expr]:
    """:func:`_one_select_exprs`, the expressions after the two ids made once per process for each
    ``layout`` (what ``col`` and ``columns`` are made from: the parser's layout and fills, or the
    conformed frame's) and each answer to what :func:`_time_exprs` and :func:`_direction` read from
    the frame (making the expressions cost about as much as running them on a month of Semantic
    Location History; an expression is immutable, so one serves every query). Where there are
    wall-clock times their instants are data, and the expressions are made afresh. Held equal to
    :func:`_one_select_exprs` by tests/test_normalise_fast.py."""
    n = facts.height
    if facts.nulls("ts_local") != n or facts.nulls("ts_end_local") != n:
        return _one_select_exprs(col, columns, facts, source_id=source_id, timezone=timezone, owner_uris=owner_uris)
    # everything _time_exprs (without wall-clock times) and _direction read from the frame
    owners = tuple(sorted(owner_uris))
    key = (layout, timezone, owners, facts.nulls("ts_basis") == 0, facts.nulls("ts_utc") == 0,
           bool(owners) and _direction_stated(facts))
    template = _TEMPLATES.get(key)
    if template is None:
        template = tuple(_one_select_exprs(col, columns, facts, source_id="", timezone=timezone, owner_uris=owner_uris))
        if len(_TEMPLATES) >= _TEMPLATES_MAX:
            _TEMPLATES.clear()
        _TEMPLATES[key] = template
    return [*_id_exprs(source_id, col), *template[2:]]


def _full_height(have: Mapping[str, pl.DataType], owner_uris: Collection[str]) -> bool:
    """Whether :func:`_one_select` of a parser's own frame with the columns ``have`` gives every row:
    a column it lacks is a constant there (a full column in the chain's conformed frame), and a
    constant is spread over the rows only where some column of the select is not one (the refs),
    and not by every expression (the owner's test of sender and recipients, ``_self``, is one row
    when both are constants: tests/test_normalise_fast.py found it)."""
    return "source_ref" in have and (not owner_uris or ("sender" in have and "recipients" in have))


@lru_cache(maxsize=256)
def _conformed_columns(have: tuple[tuple[str, pl.DataType], ...], fills: tuple[str, ...]) -> dict[str, pl.Expr]:
    """:func:`_conform_exprs` by name (for :func:`_one_select`; the dict is only read)."""
    return dict(zip(RAW_EVENT_SCHEMA.names(), _conform_exprs(have, fills), strict=True))


@lru_cache(maxsize=1)
def _plain_columns() -> dict[str, pl.Expr]:
    """The columns of a conformed frame by name (for :func:`_one_select`)."""
    return {name: pl.col(name) for name in RAW_EVENT_SCHEMA.names()}


_RAW_NAMES: Final = frozenset(RAW_EVENT_SCHEMA.names())


def _to_events_fast(
    raw: pl.DataFrame, *, source_id: str, timezone: str, region: str, owner_uris: Collection[str],
    identifiers_are_uris: bool, refs_unique: bool,
) -> Normalised | None:
    """:func:`to_events_plain`'s steps as one lazy query (two where identifiers or refs must
    be read first), or ``None`` where the plain rule must decide (unknown columns, refs whose
    hashes coincide)."""
    facts = _RawCounted(raw)
    have, n = facts.schema, facts.height
    if not _RAW_NAMES.issuperset(have):
        return None
    fills = tuple(c for c in ("recipients", "attachments", "deleted") if facts.nulls(c))
    layout = tuple(have.items())
    conformed = _conform_exprs(layout, fills)  # columns as they are, cast or filled where needed
    # Identifiers to read only where some row has one (a location history has none).
    identifiers = not identifiers_are_uris and (facts.nulls("sender") < n or facts.nulls("recipients") < n)
    # With a first pass to run, the conformed frame is made once for both queries; without, it
    # is the start of the one query.
    first_pass = identifiers or not refs_unique
    conformed_frame = raw.select(conformed) if first_pass else None
    mapped: list[pl.Expr] = []
    if conformed_frame is not None:
        raw_identifiers, refs_distinct = _first_pass_fast(conformed_frame.lazy(), n, identifiers=identifiers,
                                                          refs=not refs_unique)
        if not refs_distinct:
            return None  # duplicates (or coinciding hashes): the plain rule's exact test names them
        if identifiers:
            mapped = _identifier_exprs_fast(raw_identifiers, source_id=source_id, region=region)
    if n <= _SMALL_ROWS and not mapped and (conformed_frame is not None or _full_height(have, owner_uris)):
        # A small source whose identifiers stay as they are: one select (see _one_select).
        if conformed_frame is not None:
            frame = _one_select(conformed_frame, ("conformed",), pl.col, _plain_columns(), facts,
                                source_id=source_id, timezone=timezone, owner_uris=owner_uris)
        else:
            by_name = _conformed_columns(layout, fills)
            frame = _one_select(raw, ("raw", layout, fills), by_name.__getitem__, by_name, facts,
                                source_id=source_id, timezone=timezone, owner_uris=owner_uris)
    else:
        # (the start of the query, made only here: a small source's one select does not need it)
        base = conformed_frame.lazy() if conformed_frame is not None else raw.lazy().select(conformed)
        lf = base.with_columns(
            *mapped,
            *_time_exprs(facts, timezone),
            event_ids(source_id, pl.col("source_ref")).alias("event_id"),
            pl.lit(source_id).alias("source_id"),
        ).with_columns(_direction(facts, owner_uris).alias("direction"))
        columns = list(_event_columns())
        if owner_uris:
            lf = lf.with_columns(_self_addressed(owner_uris, pl.col))
            columns.append(pl.col("_self"))
        frame = _collect_small(lf.select(columns), n)
    if owner_uris:
        owners = pl.Series(sorted(owner_uris), dtype=pl.String).implode()
        self_addressed = frame.get_column("_self")
        frame = frame.drop("_self")  # (get_columns would make each constant column a full one)
        if self_addressed.any():
            rows = self_addressed.arg_true().cast(pl.UInt32)
            recipients = frame.get_column("recipients")
            fixed = recipients.gather(rows).list.eval(pl.element().filter(~pl.element().is_in(owners)))
            frame = frame.with_columns(_put(recipients, rows, fixed))
    if frame.get_column("ts_utc").null_count() == 0:
        return Normalised(events=frame, rejects=_NO_REJECTS.clone())
    events, rejects = _split_untimed(frame, source_id)
    return Normalised(events=events, rejects=rejects)


def to_events(
    raw: pl.DataFrame,
    *,
    source_id: str,
    timezone: str,
    region: str,
    owner_uris: Collection[str] = (),
    identifiers_are_uris: bool = False,
    refs_unique: bool = False,
) -> Normalised:
    """Normalise one source's raw rows. Row order is kept (it is the source's order).

    The result of :func:`to_events_plain` (which says what is decided and how), computed with
    fewer Polars queries: the conformed frame, identifiers, times, ids, direction and the
    owner's self-addressed rows in one lazy query, what decides the work needed (wall-clock
    times, missing times, rows without direction, whether any row names anyone) from the null
    counts of the parser's own frame; the identifiers' and refs' first pass runs only where
    needed. A small source costs a few Polars calls instead of about fifteen. Anything the one
    query cannot settle (unknown columns, duplicate refs, any error) goes to the plain rule,
    which decides and words every refusal (tests/test_normalise_fast.py).
    """
    try:
        fast = _to_events_fast(raw, source_id=source_id, timezone=timezone, region=region, owner_uris=owner_uris,
                               identifiers_are_uris=identifiers_are_uris, refs_unique=refs_unique)
    except Exception:  # the plain rule decides, and words the error
        fast = None
    if fast is not None:
        return fast
    return to_events_plain(raw, source_id=source_id, timezone=timezone, region=region, owner_uris=owner_uris,
                           identifiers_are_uris=identifiers_are_uris, refs_unique=refs_unique)
