"""The error boundary around a parser: whatever it does, the ingest gets a result or one line.

A parser is code written against formats that drift and files that are damaged or
hostile. :func:`guarded_parse` runs one parser on one file and checks that what came
back is what the contract in :mod:`parsers.base` promises: a :class:`ParseResult`
whose rows fit :data:`atlas.model.RAW_EVENT_SCHEMA` (known columns, castable types,
``kind`` from the schema's list, a ``source_ref`` on every row), rejects in
:data:`atlas.model.REJECT_SCHEMA` and a non-negative count of records read. Any
exception, from the parser or from the check, becomes a :class:`FormatError` of one
line naming the file, the parser, the stage and the place in the code: never a
traceback, and never a store written from output that does not fit.

Duplicate ``source_ref`` values are found by the shared normaliser (cheaply, from
hashes); the ingest runs it inside the same boundary.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from polars.exceptions import PanicException

from atlas.errors import AtlasError, FormatError, describe_failure
from atlas.model import KINDS, RAW_EVENT_SCHEMA, REJECT_SCHEMA
from atlas.source_walk import shown
from parsers.base import ParseContext, ParseResult, ParserModule


class OutputError(ValueError):
    """A parser's output does not fit the schema (raised inside the boundary)."""


def _check_columns(frame: object, schema: pl.Schema, what: str, checked_apart: tuple[str, ...] = ()) -> pl.DataFrame:
    if not isinstance(frame, pl.DataFrame):
        raise OutputError(f"{what} is a {type(frame).__name__}, not a Polars DataFrame")
    unknown = sorted(set(frame.columns) - set(schema.names()))
    if unknown:
        raise OutputError(f"{what} has columns not in the schema: {unknown}")
    for name, dtype in frame.schema.items():
        want = schema[name]
        if dtype == want or name in checked_apart:
            continue
        try:
            frame.get_column(name).cast(want)
        except Exception as exc:
            raise OutputError(f"{what} column {name!r} is {dtype}, which does not convert to {want} ({type(exc).__name__})") from exc
    return frame


def check_output(result: object) -> ParseResult:
    """``result`` if it fits the parser contract, else :class:`OutputError` saying where it does not."""
    if not isinstance(result, ParseResult):
        raise OutputError(f"returned a {type(result).__name__}, not a ParseResult")
    events = _check_columns(result.events, RAW_EVENT_SCHEMA, "events", checked_apart=("kind",))
    _check_columns(result.rejects, REJECT_SCHEMA, "rejects")
    if isinstance(result.records_read, bool) or not isinstance(result.records_read, int) or result.records_read < 0:
        raise OutputError(f"records_read is {result.records_read!r}, not a count")
    if events.height:
        if "source_ref" not in events.columns or events.get_column("source_ref").null_count():
            raise OutputError("an event row has no source_ref (every event must say where in the source it is)")
        if "kind" not in events.columns:
            raise OutputError("events have no 'kind' column")
        kinds = events.get_column("kind")
        if kinds.dtype != RAW_EVENT_SCHEMA["kind"]:
            try:
                text = kinds.cast(pl.String)
            except Exception as exc:
                raise OutputError(f"events column 'kind' is {kinds.dtype}, not text ({type(exc).__name__})") from exc
            bad = ~text.is_in(KINDS) & text.is_not_null()
            if bad.any():
                first = events.filter(bad).row(0, named=True)
                raise OutputError(f"kind {first['kind']!r} at {first['source_ref']} is not one of {', '.join(KINDS)}")
        if kinds.null_count():
            first = events.filter(kinds.is_null()).row(0, named=True)
            raise OutputError(f"the event at {first['source_ref']} has no kind")
    return result


def guarded_parse(parser: ParserModule, path: Path, ctx: ParseContext, *, debug: bool = False) -> ParseResult:
    """Run ``parser`` on ``path`` inside the boundary and check its output.

    A parser's own :class:`AtlasError` (already one line naming the file) passes through;
    anything else becomes ``FormatError("<file>: <parser> parser failed while …: …")``.
    ``debug`` lets the original exception through, for a traceback.
    """
    stage = "while reading the file"
    try:
        result = parser.parse(path, ctx)
        stage = "in its output (schema check)"
        return check_output(result)
    except AtlasError:
        raise
    except RecursionError as exc:  # a structure nested deeper than a walk of it can go: a fact about the file
        if debug:
            raise
        raise _nested_too_deep(path, parser, exc) from exc
    except (Exception, PanicException) as exc:  # a Rust panic in Polars is a BaseException: caught here too
        if debug:
            raise
        raise FormatError(boundary_message(path, parser, stage, exc)) from exc


def _nested_too_deep(path: Path, parser: ParserModule, exc: RecursionError) -> FormatError:
    """A RecursionError as the file's nesting, with the place (JSON: scanned for it; else the
    boundary's line, which names the place in the code)."""
    from parsers._nesting import too_deep

    with path.open("rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"[", b"{") or head.startswith(b"window.YTD."):
        return too_deep(path, path.read_bytes(), f"{parser.INFO.name} file")
    return FormatError(boundary_message(path, parser, "while reading the file", exc))


def boundary_message(path: Path, parser: ParserModule, stage: str, exc: BaseException) -> str:
    """The one line the boundary gives for an unexpected failure."""
    detail = str(exc) if isinstance(exc, OutputError) else describe_failure(exc)
    return (f"{shown(path)}: {parser.INFO.name} {parser.INFO.version} parser failed {stage}: {detail}; "
            "nothing from this file was stored")
