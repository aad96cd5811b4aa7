"""Shared pieces for the parsers of platform exports (JSON, JavaScript-wrapped JSON, CSV).

Social-media and messaging downloads are documents, not logs: a JSON tree read
whole (or streamed, for Google's multi-gigabyte ``Records.json``), whose records
are turned into columns once and then handled with Polars expressions. The helpers
here are the parts every such parser needs and must do the same way: reading a
document with an error that names the file and the place, the one converter per
time presentation (epoch milliseconds, ISO with an offset or ``Z``, zone-less wall
clock), raw identifiers, rejects, and Meta's Latin-1 mojibake.

The module name starts with ``_`` so the parser registry does not take it for a
parser.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

import polars as pl

from atlas.errors import FormatError, NotASourceError
from atlas.model import RAW_EVENT_SCHEMA, REJECT_SCHEMA, TS_TYPE, UTC
from atlas.normalise.times import from_epoch
from parsers._json_cut import _ACTIVE, cut, cut_not_utf8, suspect
from parsers._json_utf16 import utf16_json

if TYPE_CHECKING:
    from parsers.base import ParseContext, ParseResult

ISO_INSTANT_FORMATS: Final = (
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%S%.f%:z",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%:z",
    "%Y-%m-%d %H:%M:%S%.fZ",
)
"""ISO 8601 instants as platforms write them: ``2026-03-01T10:00:00.123Z``,
``2026-03-01T11:00:00.000+01:00``, ``+0100``. ``%.f`` also reads no fraction."""


def raise_if_truncated(path: Path, exc: UnicodeDecodeError, size: int) -> None:
    """Raise the "file is truncated" error if decoding ``size`` bytes failed only because
    they end inside a character (a copy cut short); otherwise return, for the caller's own
    error or repair."""
    if exc.reason == "unexpected end of data" and exc.end >= size:
        raise FormatError(
            f"{path}: the file is truncated (it ends inside a character, at byte offset {exc.start}); "
            "acquire a complete copy"
        ) from exc


def replaced_invalid_utf8(path: Path, data: bytes | memoryview, what: str, exc: UnicodeDecodeError) -> tuple[str, str]:
    """A chat export's text with its few invalid UTF-8 sequences replaced by U+FFFD, and the note saying how many
    and where the first is; a clear error when the file is cut inside a character, or when so much is invalid
    (over 16 sequences and over 1 % of the bytes) that it is not UTF-8 text at all.

    Why: one damaged byte in a message is that message's damage, not the whole chat's. WhatsApp's reader
    kept the chat with a note since session 11; Signal's refused the whole file for one byte (session 18),
    so both now follow this one rule."""
    raise_if_truncated(path, exc, len(data))
    text = str(data, "utf-8", errors="replace")
    bad = text.count("\ufffd")
    if bad > max(16, len(data) // 100):
        raise FormatError(f"{path}: not UTF-8 text (invalid byte at offset {exc.start}); not a {what}") from exc
    return text, f"{bad} invalid UTF-8 byte sequence(s) replaced with U+FFFD, first at byte offset {exc.start}"


_READ_BUFFER_MAX: Final = 16 << 20
"""Files up to this size are read by :func:`read_bytes_text` into a buffer kept for the next file."""
_READ_BUFFERS: list[bytearray] = []
"""Buffers free for :func:`read_bytes_text` (taken with ``pop`` and given back with ``append``, each atomic:
two threads never share one). At most one a thread reading at once, each at most
:data:`_READ_BUFFER_MAX` (+1) bytes, kept for the life of the process."""
_NOT_FIRST: Final = frozenset(b" \t\n\r\x0b\x0c\xff\xfe")
"""First bytes :func:`read_bytes_text` leaves to :func:`read_bytes_text_plain`: ASCII whitespace (``bytes.isspace``'s,
so an empty or blank file is refused there) and the first byte of either UTF-16 byte-order mark."""


def read_bytes_text(path: Path, what: str, invalid_notes: list[str] | None = None) -> str:
    """:func:`read_bytes_text_plain`'s text (or error), the file read into a buffer kept from one call
    to the next where it is at most :data:`_READ_BUFFER_MAX`.

    Why: read as a new ``bytes`` and decoded, a file of a few megabytes is two such blocks alive at
    once, and when both are freed glibc's allocator gives the top of its heap back to the system
    (they pass its trim threshold), so the next file's blocks are faulted in again page by page: about
    270 page faults and 0.4 ms of a 0.6 MB Semantic month's 2 ms read. With the bytes in a kept
    buffer only the text is new. The same text: the bytes are the file's, decoded the same way
    (``utf-8-sig``); a file that is empty or blank, starts with whitespace or a byte-order mark of
    UTF-16, is not UTF-8, or is bigger than the buffer is read by :func:`read_bytes_text_plain`
    itself (tests/test_exports_read.py)."""
    try:
        buffer = _READ_BUFFERS.pop()
    except IndexError:  # (none free: this thread's first, or another thread took the last)
        buffer = bytearray(0)
    try:
        with path.open("rb", buffering=0) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size >= _READ_BUFFER_MAX:
                return read_bytes_text_plain(path, what, invalid_notes=invalid_notes)
            if len(buffer) <= size:  # (one byte more than the file: its end is seen)
                buffer = bytearray(max(size + 1, min(2 * len(buffer), _READ_BUFFER_MAX + 1), 1 << 16))
            with memoryview(buffer) as view:
                n = 0
                while n < len(buffer):
                    with view[n:] as rest:
                        got = fh.readinto(rest)
                    if not got:
                        break
                    n += got
                if n == len(buffer) or not n or view[0] in _NOT_FIRST:  # (grown since, empty, odd start)
                    return read_bytes_text_plain(path, what, invalid_notes=invalid_notes)
                if (cuts := _ACTIVE.get()) is not None and suspect(buffer, n, cuts.bound):  # (maybe a string over the bound)
                    return read_bytes_text_plain(path, what, cut(bytes(view[:n]), path), invalid_notes=invalid_notes)
                with view[:n] as data:
                    try:
                        return str(data, "utf-8-sig")
                    except UnicodeDecodeError:  # (the plain rule words the error)
                        return read_bytes_text_plain(path, what, invalid_notes=invalid_notes)
    finally:
        _READ_BUFFERS.append(buffer)


def read_bytes_text_plain(path: Path, what: str, data: bytes | None = None, *,
                          invalid_notes: list[str] | None = None) -> str:
    """A UTF-8 document (BOM allowed) as text, or a clear error naming the file. UTF-16
    with its byte-order mark (a file re-saved by Windows Notepad as "Unicode") is the same
    text and is read too. (The plain rule of :func:`read_bytes_text`.) ``data``: the file's
    bytes as the caller read them (its long lines cut, :func:`parsers._bounds.read_without`),
    else the file is read here. ``invalid_notes`` (a chat export's reader): a few invalid UTF-8
    sequences are replaced and the note appended there (:func:`replaced_invalid_utf8`), not refused."""
    data = json_bytes(path) if data is None else data
    if not data or data.isspace():  # what ``not data.strip()`` asks, without a copy of the file (0.05 CPU-s a 107 MB one)
        raise NotASourceError(f"{path}: the file is empty", reason="empty file")  # blank: nothing to read
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        with memoryview(data) as view, view[2:len(data) - len(data) % 2] as body:  # (no copy of the file)
            return str(body, "utf-16-le" if data[:2] == b"\xff\xfe" else "utf-16-be", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if invalid_notes is not None:
            text, note = replaced_invalid_utf8(path, data[3:] if data.startswith(b"\xef\xbb\xbf") else data, what, exc)
            invalid_notes.append(note)
            return text
        raise_if_truncated(path, exc, len(data))
        if (cut := _read_not_utf8(path)) is not None:
            return cut
        raise FormatError(f"{path}: not UTF-8 text (invalid byte at offset {exc.start}); not a {what}") from exc


def _read_not_utf8(path: Path) -> str | None:
    """The text of the JSON file ``path`` that failed to decode, with each string holding bytes that are not
    UTF-8 cut out (:func:`parsers._json_cut.cut_not_utf8`: each its record's reject), where a JSON parse is
    collecting cuts and that leaves UTF-8 text; else None (the file's own error stands: a byte outside the
    strings). The file is read again (the error path): the bytes given may be cut already, with other offsets."""
    if _ACTIVE.get() is None:
        return None
    fixed = cut_not_utf8(path.read_bytes(), path)
    if fixed is None:
        return None
    try:
        return fixed.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def json_bytes(path: Path) -> bytes:
    """The file's bytes, and where a JSON parser's parse is collecting cuts (:mod:`parsers._json_cut`),
    with each string over the bound cut out (:func:`parsers._json_cut.cut`): what every route of a JSON
    parser reads a whole document through. A UTF-16 file (its byte-order mark first) is given as UTF-8, read
    piece by piece with its strings over the bound cut as it is read (:func:`parsers._json_utf16.utf16_json`):
    never held whole in UTF-16, nor a long string in either."""
    if (cuts := _ACTIVE.get()) is None:
        return path.read_bytes()
    with path.open("rb", buffering=0) as fh:  # (one open: its first two bytes, then the whole)
        if os.pread(fh.fileno(), 2, 0) not in (b"\xff\xfe", b"\xfe\xff"):
            return cut(fh.readall(), path)
    utf8 = utf16_json(path, cuts)
    assert utf8 is not None  # (a UTF-16 mark: never None)
    return utf8


_Parse = TypeVar("_Parse", bound=Callable[..., Any])


def without_cycle_collection(parse: _Parse) -> _Parse:
    """``parse`` with Python's cyclic garbage collector paused while it runs.

    A JSON parser holds a whole decoded document (or a batch of 25,000 streamed records)
    while it makes many more objects, and every full collection walks all of them: on a
    100 MB ``Records.json`` the collector took 0.9 of the parse's 2.4 CPU-s, on a Telegram
    ``result.json`` of 300,000 messages 1.9 of 7.6. Decoded JSON holds no reference cycles,
    so reference counting frees it all the same; the collector is resumed afterwards (if
    it was running) and collects whatever cycles were made meanwhile. Values are untouched:
    the same results with or without it."""
    @functools.wraps(parse)
    def paused(path: Path, ctx: Any) -> Any:
        with cycle_collection_paused():
            return parse(path, ctx)

    return cast(_Parse, paused)


def values_are_own_uris(values: Iterable[str], scheme: str, source_id: str, region: str) -> bool:
    """Whether every value is already the URI the shared normaliser would make of it, for a parser
    that hands its identifiers over (:attr:`parsers.base.ParseResult.identifiers_are_uris`): each of
    the one ``scheme`` (``x:``, ``telegram:``, ``snapchat:``: a URI that depends on neither the region
    nor the source, and never a number, so the ingest's choice of region, skipped then, would have
    found none), none holding a lone surrogate's mark (taken out after the parse, it could hide what
    the normaliser changes), and each given back unchanged by ``identifier_uri``."""
    from atlas.normalise.identifiers import identifier_uri

    return all(v.startswith(scheme) and SURROGATE_MARK not in v
               and identifier_uri(v, source_id=source_id, region=region) == v for v in values)


@contextlib.contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """The cyclic collector paused for the block, resumed after it (if it was running), also when the
    block fails: what :func:`without_cycle_collection` does around a parse, and the JSON bench around
    its stricter reference read."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_json_text(text: str, path: Path, what: str) -> Any:
    """Parse JSON text, naming the file, line and column if it is malformed or cut short.

    A string holding a lone UTF-16 surrogate (``"\\ud800"``: valid JSON, but not a
    character, so no UTF-8 table can store it) comes back marked (see
    :func:`rejects_lone_surrogates`), so the record that holds it becomes one reject
    instead of failing the whole file."""
    try:
        doc = json.loads(text)
    except RecursionError:
        from parsers._nesting import too_deep

        raise too_deep(path, text.encode("utf-8", "surrogatepass"), what) from None
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(text.rstrip()) - 1
        hint = "; the file looks truncated (it ends before the JSON is closed)" if cut else ""
        raise FormatError(
            f"{path}: not valid JSON for a {what} ({exc.msg} at line {exc.lineno}, column {exc.colno}){hint}"
        ) from exc
    if _may_hold_surrogate_escape(text) and _LONE_SURROGATE_ESCAPE.search(text):  # the walk only where needed
        doc = _mark_surrogates(doc)
    return doc


# --- lone surrogates -------------------------------------------------------------------

SURROGATE_MARK: Final = "\U000f0000"
"""Put at the start of a JSON string that held a lone surrogate (a private-use character no
export writes); the surrogate itself is replaced by its escape as text (``\\ud800``)."""
_LONE_SURROGATE_ESCAPE: Final = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
"""A ``\\uD800``-``\\uDFFF`` escape that is not half of a pair (a pair is one character)."""
_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


_SURROGATE_ESCAPE_START: Final = re.compile(r"\\u[dD]")
_BACKSLASHES_LOOKED_AT: Final = 64


def _may_hold_surrogate_escape(text: str) -> bool:
    """Whether ``text`` holds ``\\ud`` or ``\\uD``, which every match of
    :data:`_LONE_SURROGATE_ESCAPE` begins with: a quick test (0.15 CPU-s on a 107 MB Telegram
    export) rules out what the regular expression took 1.6 CPU-s to, so it runs only on a
    text that may match. Each such text starts at a backslash, and most exports hold few: the
    first backslashes are found (``find`` of one character, the quickest search there is) and
    looked at one by one; past :data:`_BACKSLASHES_LOOKED_AT` of them the rest of the text is
    searched with :data:`_SURROGATE_ESCAPE_START`. Both several times quicker than the two
    substring searches this replaces (``"\\ud" in text or "\\uD" in text``, 1.5 ms of a 1.1 MB
    Semantic month, 15 ms of a 13 MB Snapchat file), with the same answer
    (tests/test_raw_events_fast.py)."""
    at = text.find("\\")
    for _ in range(_BACKSLASHES_LOOKED_AT):
        if at < 0:
            return False
        if text.startswith(("\\ud", "\\uD"), at):
            return True
        at = text.find("\\", at + 1)
    return at >= 0 and _SURROGATE_ESCAPE_START.search(text, at) is not None


_MARKED: ContextVar[list[bool] | None] = ContextVar("lone_surrogates_marked", default=None)


def _mark_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        if not _LONE_SURROGATE.search(value):
            return value
        flag = _MARKED.get()
        if flag is not None:
            flag[0] = True
        return SURROGATE_MARK + _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    if isinstance(value, list):
        return [_mark_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_mark_surrogates(k): _mark_surrogates(v) for k, v in value.items()}
    return value


def _marked_rows(frame: pl.DataFrame) -> pl.Expr | None:
    """True for rows with a marked string in any text or list-of-text column."""
    tests = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            tests.append(pl.col(name).str.contains(SURROGATE_MARK, literal=True).fill_null(False))
        elif dtype == pl.List(pl.String):
            tests.append(pl.col(name).list.eval(pl.element().str.contains(SURROGATE_MARK, literal=True)).list.any()
                         .fill_null(False))
    return pl.any_horizontal(tests) if tests else None


def _without_marked(frame: pl.DataFrame | None) -> pl.DataFrame | None:
    if frame is None or frame.height == 0:
        return frame
    marked = _marked_rows(frame)
    return frame if marked is None else frame.filter(~marked)


def rejects_lone_surrogates(parse: Callable[[Path, ParseContext], ParseResult]) -> Callable[[Path, ParseContext], ParseResult]:
    """Wrap a JSON parser's ``parse``: every event made from a record that held a lone
    surrogate becomes a reject (the record, not the file, is what cannot be stored), and
    reference rows derived from it are left out. Costs nothing for a file without one."""

    @functools.wraps(parse)
    def wrapper(path: Path, ctx: ParseContext) -> ParseResult:
        token = _MARKED.set([False])
        try:
            result = parse(path, ctx)
            if not (_MARKED.get() or [False])[0]:
                return result
        finally:
            _MARKED.reset(token)
        events = result.events
        # An identifier (a participant's name in a thread's list, say) is on every row of
        # its conversation: it is kept, the surrogate written as its escape, and stated;
        # a record's own text, time or attachment with one makes that record a reject.
        ids = [c for c in ("sender", "recipients") if c in events.columns]
        named = _marked_rows(events.select(ids)) if ids else None
        if named is not None and events.select(named.any()).item():
            result.assumptions.append("an identifier held an unpaired UTF-16 surrogate (not a character): kept with "
                                      "it written as its escape (\\uXXXX)")
            events = events.with_columns(
                pl.col(c).str.replace_all(SURROGATE_MARK, "", literal=True) if events.schema[c] == pl.String
                else pl.col(c).list.eval(pl.element().str.replace_all(SURROGATE_MARK, "", literal=True)) for c in ids)
            result.events = events
        marked = _marked_rows(events)
        if marked is None:
            return result
        text_cols = [n for n, t in events.schema.items() if t == pl.String and n != "source_ref"]
        first_marked = pl.coalesce([
            pl.when(pl.col(n).str.contains(SURROGATE_MARK, literal=True)).then(pl.col(n)) for n in text_cols
        ]) if text_cols else pl.lit(None, pl.String)
        bad = events.filter(marked).select(
            pl.lit(ctx.source_id).alias("source_id"), pl.col("source_ref").cast(pl.String),
            pl.lit("a text holds an unpaired UTF-16 surrogate (a \\uD800-\\uDFFF escape that is not a character), "
                   "so the record cannot be stored as written").alias("reason"),
            first_marked.fill_null("").str.replace_all(SURROGATE_MARK, "", literal=True).str.slice(0, 160).alias("excerpt"),
        )
        result.events = events.filter(~marked)
        result.rejects = pl.concat([result.rejects.cast(REJECT_SCHEMA), bad.cast(REJECT_SCHEMA)]).with_columns(
            pl.col("excerpt").str.replace_all(SURROGATE_MARK, "", literal=True))
        if result.evidence is not None:  # identity facts: identifiers, kept like those of the events
            result.evidence = result.evidence.with_columns(
                pl.col(n).str.replace_all(SURROGATE_MARK, "", literal=True)
                for n, t in result.evidence.schema.items() if t == pl.String)
        result.extra = {k: v for k, v in ((k, _without_marked(v)) for k, v in result.extra.items()) if v is not None}
        result.assumptions = [a.replace(SURROGATE_MARK, "") for a in result.assumptions]
        if result.owner and SURROGATE_MARK in result.owner:
            result.owner = None
        return result

    return wrapper


def load_json(path: Path, what: str) -> Any:
    return load_json_text(read_bytes_text(path, what), path, what)


def head_has(text: str, *needles: str) -> bool:
    return all(n in text for n in needles)


_JSON_KEY = re.compile(r'"([^"\\]{1,60})"\s*:')


def head_keys(text: str) -> set[str]:
    """Every JSON object key seen in a probe's text (a cheap, structural look)."""
    return set(_JSON_KEY.findall(text))


def has_array(text: str, key: str) -> bool:
    """True if ``text`` has ``"key": [`` (a key holding a list), not just the word.

    Detection by *structure*: a JSON Schema or a README that mentions ``"locations"``
    describes the format but is not an instance of it.
    """
    return re.search(r'"' + re.escape(key) + r'"\s*:\s*\[', text) is not None


# --- time -------------------------------------------------------------------------

def iso_instant(values: pl.Expr) -> pl.Expr:
    """ISO 8601 strings that carry ``Z`` or an offset → aware UTC; anything else null."""
    stripped = values.str.strip_chars()
    return pl.coalesce(
        [stripped.str.to_datetime(f, strict=False, time_unit="us", time_zone=UTC) for f in ISO_INSTANT_FORMATS]
    ).cast(TS_TYPE)


def with_iso_instant(frame: pl.DataFrame, source: str, target: str) -> pl.DataFrame:
    """``frame`` with ``target`` = :func:`iso_instant` of ``source``, fast for big columns.

    The commonest presentation (``…Z``) is tried on the whole column; only the rows it
    cannot read are tried with the other formats (millions of Records.json rows).
    """
    fast = pl.col(source).str.to_datetime(ISO_INSTANT_FORMATS[0], strict=False, time_unit="us", time_zone=UTC)
    frame = frame.with_columns(fast.cast(TS_TYPE).alias(target))
    todo = pl.col(target).is_null() & pl.col(source).is_not_null()
    if not frame.select(todo.any()).item():
        return frame
    return frame.with_columns(pl.when(todo).then(iso_instant(pl.col(source))).otherwise(pl.col(target)).alias(target))


def iso_basis(values: pl.Expr) -> pl.Expr:
    """``utc`` for a ``Z`` (or ``+00:00`` written as UTC), ``offset`` for a numeric offset."""
    return pl.when(values.str.strip_chars().str.ends_with("Z")).then(pl.lit("utc")).otherwise(pl.lit("offset"))


def epoch_ms_utc(values: pl.Expr) -> pl.Expr:
    """Epoch milliseconds (a number or a string of digits) → aware UTC."""
    return from_epoch(values.cast(pl.String).str.strip_chars().cast(pl.Int64, strict=False), "unix_ms")


def epoch_s_utc(values: pl.Expr) -> pl.Expr:
    return from_epoch(values.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False), "unix_s")


def epoch_auto_utc(values: pl.Expr) -> pl.Expr:
    """An epoch whose unit the data must decide: seconds, milliseconds or microseconds.

    Used only where an export's own field is known to vary (e.g. Snapchat's
    ``Created(microseconds)`` holds milliseconds in real downloads). Magnitude decides:
    below 1e11 seconds (before year 5138), below 1e14 milliseconds, else microseconds.
    """
    n = values.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
    seconds = from_epoch(n, "unix_s")
    millis = from_epoch(n, "unix_ms")
    micros = from_epoch(n, "unix_us")
    return pl.when(n.abs() < 1e11).then(seconds).when(n.abs() < 1e14).then(millis).otherwise(micros)


# --- frames ------------------------------------------------------------------------

def raw_events_plain(columns: Mapping[str, Sequence[Any] | pl.Series]) -> pl.DataFrame:
    """Python columns → a frame typed as :data:`RAW_EVENT_SCHEMA` for the columns given (the plain rule)."""
    schema = {name: RAW_EVENT_SCHEMA[name] for name in columns}
    return pl.DataFrame(dict(columns), schema=schema, strict=False)


def _text_lists(values: Sequence[Any] | pl.Series) -> pl.Series | None:
    """A Python list of lists of text (or ``None``) as a ``List(String)`` column, built from
    one flat Arrow array and its offsets: Polars builds such a column one inner list at a
    time (~6 µs a row: 1.9 of a 300,000-message Telegram parse's CPU-s), Arrow in one pass.
    ``None`` when the values are anything else (the plain construction then decides)."""
    if not isinstance(values, list) or not values or not all(v is None or type(v) is list for v in values):
        return None
    import numpy as np
    import pyarrow as pa

    try:
        flat = pa.array(list(itertools.chain.from_iterable(v for v in values if v)), pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # an element that is not text: the plain rule casts it
        return None
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum([0 if v is None else len(v) for v in values], out=offsets[1:])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), flat, mask=pa.array([v is None for v in values], pa.bool_()))
    return cast(pl.Series, pl.from_arrow(lists))


def raw_events(columns: Mapping[str, Sequence[Any] | pl.Series]) -> pl.DataFrame:
    """:func:`raw_events_plain`'s frame, with its list-of-text columns (recipients,
    attachments) built by :func:`_text_lists` (the same frame: tests/test_raw_events_fast.py)."""
    built: dict[str, Sequence[Any] | pl.Series] = {}
    for name, values in columns.items():
        fast = _text_lists(values) if RAW_EVENT_SCHEMA[name] == pl.List(pl.String) else None
        built[name] = values if fast is None else fast.alias(name)
    return raw_events_plain(built)


def _others_expr(everyone: Sequence[str], sender: str) -> pl.Expr:
    every = pl.lit(pl.Series([list(everyone)], dtype=pl.List(pl.String)))
    return every.list.set_difference(pl.concat_list(pl.col(sender).fill_null(""))).list.sort().alias("recipients")


def others_plain(frame: pl.DataFrame, everyone: Sequence[str], sender: str = "sender") -> pl.Series:
    """Each row's recipients: everyone in the conversation except the row's sender, sorted
    (the plain rule: the set difference worked out row by row)."""
    if frame.height == 0:  # a list literal does not broadcast into an empty frame
        return pl.Series("recipients", [], dtype=pl.List(pl.String))
    return frame.select(_others_expr(everyone, sender)).to_series()


def others(frame: pl.DataFrame, everyone: Sequence[str], sender: str = "sender") -> pl.Series:
    """:func:`others_plain`'s column, with the same expression worked out once per distinct
    sender and joined back in row order: a row's recipients depend on its sender alone, and the
    per-row set difference was half of a Meta thread's parse (tests/test_raw_events_fast.py)."""
    if frame.height == 0:
        return others_plain(frame, everyone, sender)
    keys = frame.select(pl.col(sender).fill_null("").alias("_sender"))
    table = keys.unique(maintain_order=True).with_columns(_others_expr(everyone, "_sender"))
    return keys.join(table, on="_sender", how="left", maintain_order="left").get_column("recipients")


def rejects(source_id: str, rows: Iterable[tuple[str, str, str]]) -> pl.DataFrame:
    """``(source_ref, reason, excerpt)`` rows → a reject frame (excerpts cut to 160 characters)."""
    rows = list(rows)
    if not rows:  # the same empty frame, made without four empty columns first
        return pl.DataFrame(schema=REJECT_SCHEMA)
    return pl.DataFrame(
        {
            "source_id": [source_id] * len(rows),
            "source_ref": [r[0] for r in rows],
            "reason": [r[1] for r in rows],
            "excerpt": [r[2][:160] for r in rows],
        },
        schema=REJECT_SCHEMA,
    )


def storable_number(v: Any) -> bool:
    """Whether ``v`` is not a number, or a number ``float`` makes a finite float of. Python's JSON
    reader gives an integer of any length (``float`` of one beyond about 1.8e308 raises), and
    ``inf``, ``-inf`` or ``nan`` for ``1e400``, ``-1e400``, ``Infinity``, ``NaN``: no position or
    accuracy, and no value a float column can hold as the file wrote it."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return True
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def number_excerpt(v: Any) -> str:
    """A number :func:`storable_number` says no to, for a reject: an integer by its first digits and its
    length (``10000000000000000000… (401 digits)``), a float as JSON writes it (``Infinity``, ``NaN``:
    Python reads ``1e400`` as infinity)."""
    if isinstance(v, float):
        return excerpt(v)
    digits = str(abs(v))
    return f"{'-' if v < 0 else ''}{digits[:20]}… ({len(digits)} digits)"


BEYOND_FLOAT: Final = "the {what} is not a finite number (beyond the range of a float, or NaN/Infinity)"
"""The reason of a record with a number :func:`storable_number` says no to (the value is the excerpt)."""


def excerpt(value: Any) -> str:
    """A record as a short, readable JSON excerpt for a reject."""
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)[:160]
    except (TypeError, ValueError):
        return repr(value)[:160]


# --- Meta's mojibake -----------------------------------------------------------------

def _unmojibake(value: str) -> str:
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def repair_mojibake(frame: pl.DataFrame, text_columns: Sequence[str], list_columns: Sequence[str] = ()) -> tuple[pl.DataFrame, int]:
    """Undo Meta's double encoding, deciding once for the whole file.

    Meta's "Download your information" JSON writes each UTF-8 *byte* of a non-ASCII
    character as its own ``\\u00XX`` escape, so "café" arrives as "cafÃ©" and an emoji
    as four Latin-1 letters. The repair is ``value.encode("latin-1").decode("utf-8")``.
    It is applied only if no string in the file has a character above U+00FF (such a
    file was not written that way, e.g. Messenger's newer end-to-end-encrypted export,
    or a file already repaired), and only to values where the round trip succeeds, so
    genuine Latin-1 text ("café" written properly) is never altered. Work is done
    once per distinct value. Returns the frame and how many distinct values changed.
    """
    pieces = [frame.get_column(c) for c in text_columns if c in frame.columns]
    pieces += [frame.get_column(c).explode() for c in list_columns if c in frame.columns]
    if not pieces:
        return frame, 0
    values = pl.concat([p.cast(pl.String).rename("v") for p in pieces]).drop_nulls().unique()
    if values.str.replace_all(SURROGATE_MARK, "", literal=True).str.contains(r"[^\x00-\xff]").any():
        return frame, 0
    suspects = values.filter(values.str.contains(r"[\x80-\xff]")).to_list()
    mapping = {v: fixed for v in suspects if (fixed := _unmojibake(v)) != v}
    if not mapping:
        return frame, 0
    keys = pl.Series(list(mapping.keys()), dtype=pl.String)
    vals = pl.Series(list(mapping.values()), dtype=pl.String)
    exprs = [pl.col(c).replace(keys, vals) for c in text_columns if c in frame.columns]
    exprs += [pl.col(c).list.eval(pl.element().replace(keys, vals)) for c in list_columns if c in frame.columns]
    return frame.with_columns(exprs), len(mapping)


def repair_value(value: str | None, enabled: bool) -> str | None:
    """The same repair for a single value (profile fields, thread titles)."""
    if value is None or not enabled:
        return value
    return _unmojibake(value)


def is_mojibake_document(strings: Iterable[str]) -> bool:
    """True if no string has a character above U+00FF and at least one repairs to new text."""
    changed = False
    for s in strings:
        if re.search(r"[^\x00-\xff]", s.replace(SURROGATE_MARK, "")):
            return False
        if not changed and re.search(r"[\x80-\xff]", s) and _unmojibake(s) != s:
            changed = True
    return changed


def arrow_floats(array: Any) -> Any:
    """Every float array under an Arrow ``array`` (lists' values, structs' fields): what the Arrow
    routes of the JSON parsers check for numbers Python's ``json`` would not read (``-NaN``, ``Inf``)."""
    import pyarrow as pa

    dtype = array.type
    if pa.types.is_struct(dtype):
        for k in range(dtype.num_fields):
            yield from arrow_floats(array.field(k))
    elif pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        yield from arrow_floats(array.values)
    elif pa.types.is_floating(dtype):
        yield array


def not_python_numbers(data: bytes) -> str | None:
    """What RapidJSON (the Arrow routes of the JSON parsers) reads and Python's ``json`` does not
    (``Inf``, ``-Inf``, ``-NaN``), which Arrow reads without a word where a field is not read: the first
    found (``None``: none). Each ``Inf`` not followed by ``inity`` whose nearest byte before it (past
    spaces) may start or sign a value (a few texts too: refused the same, the walks read them); any
    ``-NaN``."""
    if b"-NaN" in data:
        return "-NaN"
    at = data.find(b"Inf")
    while at >= 0:
        if data[at + 3:at + 8] != b"inity":
            before = data[max(0, at - 64):at].rstrip(b" \t\r\n")
            if not before or before[-1:] in (b":", b",", b"[", b"-"):
                return "Inf"
        at = data.find(b"Inf", at + 3)
    return None
