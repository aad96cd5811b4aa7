"""Google Location History ``Records.json`` (Takeout), and the same records in police returns.

The raw location history of a Google account: every position a signed-in device
reported. It can be several gigabytes, so it is **streamed** with ``ijson`` (its C
backend), record by record, and compacted into Polars chunks as it goes: memory
grows with the events kept, never with the JSON document.

Layout (from the public JSON Schema of the file, ``Records.schema.json`` in
CarlosBergillos/LocationHistoryFormat, and RLEAPP's ``gooReturnsrec`` artifact)::

    {"locations": [{"latitudeE7": 515074000, "longitudeE7": -1278000, "accuracy": 16,
                    "source": "WIFI", "deviceTag": 1234567890, "platformType": "ANDROID",
                    "timestamp": "2026-03-01T10:00:00.123Z"}, …]}

* Coordinates are degrees × 10⁷ (``latitudeE7``/``longitudeE7``). Some older files
  wrote negative values as unsigned 32-bit integers (e.g. 4 294 967 296 − 1 278 000):
  a latitude above 90° or longitude above 180° is read as that overflow (2³² is
  subtracted), counted, and recorded as an assumption.
* Time: ``timestamp`` (ISO 8601 with ``Z``: basis ``utc``; since about January
  2022) or the older ``timestampMs`` (epoch milliseconds as a string: basis ``utc``).
  Both occur in police returns, which also hold the older ``timestampMs`` records as a
  bare JSON list of records; that layout is read too.
* ``accuracy`` (metres, radius) → ``accuracy_m``; ``source`` (GPS, WIFI, CELL),
  ``deviceTag`` and ``platformType`` are kept in ``text`` ("source WIFI, deviceTag
  1234567890, platform ANDROID") so positions from different devices can be told apart.
* Nested ``activity`` and ``inferredLocation`` are not read (no position of their own).
* Each record is a ``location`` event on channel ``google-location``;
  ``source_ref`` is ``locations[N]`` (``[N]`` for a bare list). A record without
  coordinates or a readable time, or with a field read holding another kind of value (a
  text that is not a number, an object or a list), is a reject with the reason naming the
  field and the value; the rest of the file is read as usual.
* A value nested deeper than 500 levels (no Records.json nests past about 7) refuses the file
  with its line and column, before the streamer descends into it (:class:`_DepthGuard`): ijson
  took more than 3 GB for 200,000 levels, and 30,000 in a field read crashed the process. The
  plain rule bounds every piece it reads by its brackets (about 0.35 ms a MB, some 3 % of its
  time); the fast route costs nothing more (Polars refuses deep nesting itself, and such a block
  goes to the plain rule's check).

A location shows where a device signed in to the account was, with the stated
accuracy, not who carried it (see DOMAIN.md).

Two routes give the same result. The **plain rule** (:func:`parse_plain`) streams the
records with ijson and turns 5,000 Python dicts at a time into a frame. The **fast route**
(:func:`parse`, see :func:`_fast_records`) cuts the file into blocks of about 1 MB of whole
records and reads each with Polars' JSON reader, the fields' types given, without a Python
object per record; it proves each block's reading equal to the plain rule's (a count of the
fields' names in the text against the values read) and hands the plain rule whatever it cannot
prove (a block, or the whole file: another layout, UTF-16, a fault to be named).
tests/test_google_records_fast.py holds the two equal.

Measured (2-core machine shared with other work, load average 3.5-6.6; same 1 GB file of 4.2
million records, ``bench/bench_json_returns.py``, best of 3 interleaved): parse and
normalisation 9.1 CPU-s (9.7 s wall) against 10.0 CPU-s (12.8 s) for the bare ijson stream of
the file, 0.91x CPU, 0.76x wall; the plain rule 14.9 CPU-s (20.3 s), 1.49x / 1.59x, in the same
run. ``bench/bench_google_records.py``: 8.9 CPU-s with a peak of 1,012 MB resident (the plain
rule: 16.4 CPU-s, 917 MB; about 230 bytes per event kept); on a 100 MB slice 206 MB (plain
194 MB), where ``json.load`` needs 417 MB (about 4.2 times the file's size).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import ijson
import polars as pl

from atlas.errors import FormatError
from atlas.model import KINDS, TS_BASES, Channel, EvidenceCategory
from parsers._bounds import bounded_json_values
from parsers._exports import (
    BEYOND_FLOAT,
    epoch_ms_utc,
    excerpt,
    has_array,
    iso_basis,
    number_excerpt,
    storable_number,
    with_iso_instant,
    without_cycle_collection,
)
from parsers._json_cut import Span, Spliced, cuts_long_json_values, file_spans
from parsers._nesting import DEEP, bracket_depths, json_nesting
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe, SampleCount

INFO: Final = ParserInfo(
    name="google-records-json",
    version="1.1.0",
    description="Google Location History Records.json (Takeout or police return), streamed",
    detects="JSON with a 'locations' array of records with latitudeE7/longitudeE7 (or a bare list of such records)",
    notes=__doc__ or "",
    category=EvidenceCategory.LOCATION_HISTORY,
    channels=frozenset({Channel.GOOGLE_LOCATION}),
    sample_counts=(
        SampleCount("kgeo-google-location/records.json", 12, 12, 0, "locations[0]", "2015-10-10T18:47:02.597000+00:00",
                    note="hossain-khan/kgeo-timeline Records.json: 12 fixes, E7 coordinates"),
    ),
)

CHUNK: Final = 5_000
"""Records turned into a frame at a time. Small enough that a batch's decoded records stay
in the processor's caches and the allocator reuses their memory (25,000 at a time cost
~10 % more CPU on a 100 MB file), big enough that the per-frame cost is small; the
frames are the same rows whatever the size (tests/test_google_location.py parses with 7)."""
_E7_WRAP: Final = 2**32
_SCHEMA: Final = pl.Schema({
    "i": pl.Int64, "timestamp": pl.String, "timestampMs": pl.String, "latitudeE7": pl.Float64,
    "longitudeE7": pl.Float64, "accuracy": pl.Float64, "source": pl.String, "deviceTag": pl.String,
    "platformType": pl.String,
})
"""The record fields read; ``from_dicts`` ignores every other key (activity, wifi scans…)."""


def detect(probe: Probe) -> int:
    text = probe.text.lstrip()
    head = text[:65536]
    if "latitudeE7" not in head or "timelineObjects" in head or "placeVisit" in head:
        return 0
    if text.startswith("{") and has_array(head, "locations"):
        return 92
    if re.match(r"\[\s*\{", text) and ("timestampMs" in head or '"timestamp"' in head):
        return 88
    return 0


_UTF16_BOMS: Final = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


class _ReadOnly:
    """Only ``read``: the recoder passes other attributes (``readinto``) to the raw file,
    which would hand the streamer UTF-16 bytes."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        return bytes(self._stream.read(size))


class _TooDeep(Exception):
    """A value nested deeper than :data:`DEEP` (found before the streamer descends into it)."""

    def __init__(self, deepest: int, line: int, column: int) -> None:
        super().__init__(deepest, line, column)
        self.deepest, self.line, self.column = deepest, line, column


_SHALLOW: Final = 16
"""Bracket depth (strings not skipped) that no Records.json reaches (a record's activities are 7
levels down): past it, each batch is looked at for a list or object in a field read before it is
framed (:func:`_guarded`), as Polars takes time growing faster than the cube of a list's depth to
refuse it (0.4 s at 200 levels, 6.4 s at 499)."""


class _Seen:
    """The deepest bracket depth (strings not skipped) the stream has shown so far."""

    __slots__ = ("depth",)

    def __init__(self, depth: int = 0) -> None:
        self.depth = depth

    @property
    def nested(self) -> bool:
        return self.depth > _SHALLOW


class _DepthGuard:
    """The stream the plain rule's streamer reads, refusing (:class:`_TooDeep`) a file nested
    deeper than :data:`DEEP` before the streamer reads it: ijson builds each event's path of keys,
    so a value 200,000 levels deep takes gigabytes; and Polars makes a frame of a deep list in a
    field read for minutes. Each piece read is bounded cheaply (:func:`parsers._nesting.bracket_depths`); only past
    the bound is the whole file scanned exactly (strings skipped), once."""

    def __init__(self, stream: Any, exact: Callable[[], bytes], seen: _Seen) -> None:
        self._stream, self._exact, self._depth, self._on, self._seen = stream, exact, 0, True, seen

    def read(self, size: int = -1) -> bytes:
        data = bytes(self._stream.read(size))
        if self._on and data:
            run = bracket_depths(data)
            if run.size:
                top = self._depth + int(run.max())
                self._seen.depth = max(self._seen.depth, top)
                if top > DEEP:
                    found = json_nesting(self._exact())
                    if found is not None:
                        raise _TooDeep(*found)
                    self._on = False  # brackets in strings only: nothing in the file is that deep
                self._depth += int(run[-1])
        return data


def _utf8_bytes(path: Path) -> bytes:
    """The whole file as the streamer reads it (UTF-8, a byte-order mark dropped): only for the
    exact depth scan, after the cheap bound found brackets nested past :data:`DEEP`."""
    data = path.read_bytes()
    if data[:2] in _UTF16_BOMS:
        return data[2:].decode(_UTF16_BOMS[data[:2]], errors="replace").encode("utf-8")
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def _records(path: Path, prefix: str, seen: _Seen, *, use_float: bool = True, spans: list[Span] | None = None
             ) -> Iterator[Any]:
    """The records under ``prefix``, streamed; a UTF-8 byte-order mark is skipped and UTF-16
    with its mark (a file re-saved as "Unicode") is recoded to UTF-8 on the fly (the JSON
    streamer reads UTF-8 only). :class:`_TooDeep` for a value nested deeper than :data:`DEEP`.
    ``spans``: strings over the bound (:func:`parsers._json_cut.file_spans`), read as their markers."""
    with path.open("rb") as fh:
        head = fh.read(3)
        stream: Any = fh
        if head[:2] in _UTF16_BOMS:
            fh.seek(2)
            stream = _ReadOnly(codecs.EncodedFile(fh, "utf-8", _UTF16_BOMS[head[:2]]))
        else:
            fh.seek(3 if head == b"\xef\xbb\xbf" else 0)
            if spans:
                stream = Spliced(fh, spans, fh.tell())
        guarded = _DepthGuard(stream, lambda: _utf8_bytes(path), seen)
        yield from ijson.items(guarded, prefix, use_float=use_float, buf_size=1 << 20)


def _first_char(path: Path) -> bytes:
    """The first character that is not white space (UTF-8, or UTF-16 with its mark), as bytes."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head[:2] in _UTF16_BOMS:
        head = head[2:len(head) - len(head) % 2].decode(_UTF16_BOMS[head[:2]], errors="ignore").encode("utf-8")
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]


def _chunk(batch: list[dict[str, Any]]) -> pl.DataFrame:
    return _columns(pl.from_dicts(batch, schema=_SCHEMA, strict=False))


def _columns(raw: pl.DataFrame, *, divide: bool = True) -> pl.DataFrame:
    """The events' columns from the record fields read (``_SCHEMA``), whichever route read them.

    ``divide``: degrees as ``E7 / 1e7``, as the plain rule has always written them. Polars divides
    a column of two or more values by multiplying by ``1 / 1e7`` (a last bit differs from the
    division for some values, e.g. 437790042), a single value by dividing: so the plain rule's
    degrees depend on its batches (only a last batch of one record is divided). The fast route's
    blocks are cut elsewhere, so it multiplies (``divide=False``: what every batch of two or more
    gives) and divides only the record the plain rule holds in a batch of its own."""
    raw = with_iso_instant(raw, "timestamp", "iso")
    lat_e7, lon_e7 = pl.col("latitudeE7"), pl.col("longitudeE7")

    def degrees(e7: pl.Expr) -> pl.Expr:
        return e7.truediv(1e7) if divide else e7 * (1 / 1e7)

    ts_text = pl.col("timestamp")
    return raw.select(
        pl.col("i"),
        pl.lit(None, pl.String).alias("bad"),
        degrees(pl.when(lat_e7 > 900_000_000).then(lat_e7 - _E7_WRAP).otherwise(lat_e7)).alias("lat"),
        degrees(pl.when(lon_e7 > 1_800_000_000).then(lon_e7 - _E7_WRAP).otherwise(lon_e7)).alias("lon"),
        ((lat_e7 > 900_000_000) | (lon_e7 > 1_800_000_000)).alias("wrapped"),
        pl.col("accuracy").alias("accuracy_m"),
        pl.when(ts_text.is_not_null()).then(pl.col("iso")).otherwise(epoch_ms_utc(pl.col("timestampMs"))).alias("ts_utc"),
        pl.when(ts_text.is_not_null()).then(iso_basis(ts_text)).otherwise(pl.lit("utc")).alias("ts_basis"),
        pl.coalesce(ts_text, pl.col("timestampMs")).alias("ts_raw"),
        pl.concat_str(
            [pl.lit("source ") + pl.col("source"), pl.lit("deviceTag ") + pl.col("deviceTag"),
             pl.lit("platform ") + pl.col("platformType")],
            separator=", ", ignore_nulls=True,
        ).alias("text"),
    )


# --- the fast route: blocks of whole records read by Polars, proved equal to the plain rule ---

BLOCK: Final = 1 << 20
"""Bytes of records the fast route reads at a time (cut at a record's end). Polars builds a whole
document of a block before its columns, several times the text's size: at 1 MB that stays in
the processor's caches. Measured on the bench's 200 MB file (one run, loaded machine): 16 MB
blocks 2.48 CPU-s and 535 MB peak, 8 MB 2.29 s, 2 MB 1.81-1.89 s, 1 MB 1.69 s and 291 MB
(the plain rule: 271 MB), 256 KB 2.61 s (each block's fixed cost)."""
_FIELDS: Final = tuple(name for name in _SCHEMA if name != "i")
_NESTED: Final = ("activity", "activitys", "locationMetadata", "inferredLocation")
"""Lists of objects inside a record whose objects may hold keys named as the fields read (an
activity's ``timestamp``, an inferred location's ``latitudeE7`` …): read only to count them."""
_READ: Final = pl.Schema({name: _SCHEMA[name] for name in _FIELDS}
                         | {name: pl.List(pl.Struct({k: pl.String for k in _FIELDS})) for name in _NESTED})
_KEYS: Final = "(?:" + "|".join(sorted(_FIELDS, key=len, reverse=True)) + ')"'
"""A field's name and the quote closing it: each ``"name"`` in the text is one match (a name ends
no other: the longest are tried first), and a text merely ending in one is another (the count
can only come out higher: the plain rule then reads the block). Without the opening quote the
search skips ahead on the names' letters: a fifth less time than with it."""
_WS: Final = rb"[ \t\r\n]*"
_OPEN: Final = {b"{": re.compile(_WS + rb'\{' + _WS + rb'"locations"' + _WS + rb":" + _WS + rb"\["),
                b"[": re.compile(_WS + rb"\[")}
_CLOSE: Final = {b"{": re.compile(rb"\]" + _WS + rb"\}" + _WS + rb"\Z"), b"[": re.compile(rb"\]" + _WS + rb"\Z")}
_SEPARATOR: Final = re.compile(rb"\}" + _WS + rb"," + _WS + rb"\{")
_LEARNED: Final = re.compile(rb"\}" + _WS + rb"," + _WS + rb"\{" + _WS + rb'"[A-Za-z0-9_]{1,64}"')
_LONG_NUMBER: Final = b"\x01" * 19
"""19 digits in a row: maybe an integer beyond 64 bits, which ijson refuses (the plain rule's
error) and Polars reads."""


class _Slow(Exception):
    """A block the fast route cannot prove: the plain rule reads it."""


class _WholeFile(Exception):
    """The plain rule reads the whole file (it names the fault, or reads what the fast route cannot)."""


def _first_record_end(data: bytes, start: int) -> int:
    """The offset of the ``}`` that closes the object starting at ``start`` (a short walk of one
    record, to learn how records are separated), or -1 if not within ``data``."""
    depth, in_text, escaped = 0, False, False
    for k in range(start, len(data)):
        c = data[k]
        if in_text:
            if escaped:
                escaped = False
            elif c == 0x5C:
                escaped = True
            elif c == 0x22:
                in_text = False
        elif c == 0x22:
            in_text = True
        elif c in b"{[":
            depth += 1
        elif c in b"}]":
            depth -= 1
            if depth == 0:
                return k
    return -1


def _fast_records(path: Path, spans: list[Span] | None = None
                  ) -> tuple[list[pl.DataFrame], list[tuple[int, str, str]], int, str] | None:
    """The plain rule's chunks, rejects and count, read block by block with Polars; None where the
    whole file must go by the plain rule (another layout, UTF-16, an empty list, a fault).

    Why it equals the plain rule (tests/test_google_records_fast.py holds it so):

    * **Cuts.** Blocks are cut at a ``}`` , ``{`` between records (the separator the first two
      records show, with the next record's first key) and each is read as ``[`` block ``]``. A
      cut anywhere else (inside a text or a nested object) leaves a block that is not JSON, which
      Polars refuses; so every block Polars reads holds whole records, and the blocks together
      are the file's list.
    * **Values.** Given the fields' types, Polars reads each as ``from_dicts(strict=False)`` reads
      ijson's value (numbers, booleans, nulls into a text or number column alike; a text in a
      number column or an object in either is an error: the block goes by the plain rule).
    * **Keys.** Polars keeps a repeated key's first value, Python its last. Each text in the block
      spelt as a field's name is counted (one regular expression): if there are as many as the
      frame holds values of those fields (record level and inside :data:`_NESTED`), no field is
      repeated, null, or found anywhere else. Otherwise the block goes by the plain rule.
    * **Left to the plain rule** (per block): a backslash (escapes, lone surrogates, keys written
      with escapes), 19 digits in a row (an integer beyond 64 bits: ijson's error), anything
      Polars refuses (then ijson reads the block; if ijson refuses it too, the whole file goes by
      the plain rule, which names the fault with the record count).
    """
    import mmap

    with path.open("rb") as fh:
        head = fh.read(1 << 16)
        if head[:2] in _UTF16_BOMS or not head:
            return None
        skip = 3 if head.startswith(b"\xef\xbb\xbf") else 0
        first = head[skip:].lstrip(b" \t\r\n")[:1]
        if first not in _OPEN:
            return None
        opened = _OPEN[first].match(head, skip)
        if opened is None:
            return None
        # A private copy-on-write mapping: each block is framed as a list in place (its ``[`` written
        # over the byte before it, its ``]`` over the byte after) and copied once, not twice.
        try:
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)
        except (OSError, ValueError):  # a file that cannot be mapped (a pipe, some network mounts)
            return None
        with mapped as data:
            tail_from = max(opened.end(), len(data) - 4096)
            closed = _CLOSE[first].search(data[tail_from:])
            if closed is None:
                return None
            end = tail_from + closed.start()
            try:
                return _blocks(data, opened.end(), end, "locations" if first == b"{" else "", spans or [])
            except _WholeFile:
                return None


def _blocks(data: Any, start: int, end: int, base: str, spans: list[Span]
            ) -> tuple[list[pl.DataFrame], list[tuple[int, str, str]], int, str]:
    import mmap

    import numpy as np

    while start < end and data[start] in b" \t\r\n":
        start += 1
    if start >= end or data[start] != ord("{"):
        raise _WholeFile  # an empty list, or a first record that is not an object
    learned = None
    stop = _first_record_end(data[start:min(end, start + (1 << 16))], 0)
    if stop >= 0:
        found = _LEARNED.match(data, start + stop)
        if found is not None:
            learned = found.group()
    chunks: list[pl.DataFrame] = []
    bad: list[tuple[int, str, str]] = []
    last: list[pl.DataFrame] = []  # the last record (an object) read, as one row of _SCHEMA
    n = released = 0
    scratch = np.empty(0, np.uint8)
    marks = bytearray()
    while start < end:
        cut, resume = end, end
        if end - start > BLOCK:
            cut, resume = _cut(data, _past(start + BLOCK, spans), end, learned)
        data[start - 1], data[cut] = ord("["), ord("]")  # separator bytes (or the list's own) of no other block
        block = _spliced(data, start - 1, cut + 1, spans)
        if scratch.size < len(block):
            scratch = np.empty(len(block), np.uint8)
            marks = bytearray(len(block))
        try:
            frame = _block(block, n, scratch, marks, last)
        except _Slow:
            n = _block_plain(block, n, chunks, bad, last)
        else:
            chunks.append(frame)
            n += frame.height
        start = resume
        # The mapping's pages read so far count as this process's memory until given back: without
        # this the whole file would be resident by the end (2.0 GB peak on a 1 GB file, not 0.9).
        done = (start - 1) // mmap.PAGESIZE * mmap.PAGESIZE
        if done > released and hasattr(mmap, "MADV_DONTNEED"):
            data.madvise(mmap.MADV_DONTNEED, released, done - released)
            released = done
    if (n - len(bad)) % CHUNK == 1:  # the plain rule's last batch holds one record: its degrees divided
        at = max(k for k, c in enumerate(chunks) if c.height)
        lone = _columns(last[0]).with_columns(chunks[at].get_column("bad").tail(1))  # its reject reason, if any (_guarded)
        chunks[at] = pl.concat([chunks[at].head(-1), lone])
    return chunks, bad, n, base


def _past(at: int, spans: list[Span]) -> int:
    """``at``, or the end of the string over the bound it falls in (a block's end is looked for after it)."""
    for span in spans:
        if span.start < at < span.end:
            return span.end
    return at


def _spliced(data: Any, lo: int, hi: int, spans: list[Span]) -> bytes:
    """``data[lo:hi]`` with each string over the bound wholly inside read as its marker (never copied)."""
    inside = [s for s in spans if lo <= s.start and s.end <= hi]
    if not inside:
        return data[lo:hi]
    pieces, pos = [], lo
    for span in inside:
        pieces += [data[pos:span.start], span.marker]
        pos = span.end
    pieces.append(data[pos:hi])
    return b"".join(pieces)


def _cut(data: Any, at: int, end: int, learned: bytes | None) -> tuple[int, int]:
    """Where the block ends (after a record's ``}``) and the next begins (its ``{``), looking from
    ``at``: the separator the first records showed (with the next record's first key, so not one
    between nested objects); failing that the rest is one block, unless it is more than a few
    blocks long (memory), when any ``}`` , ``{`` is tried (a wrong one is refused by the reader)."""
    stop = min(end, at + 4 * BLOCK + (1 << 20))  # the pages searched stay resident until the block is read
    if learned is not None:
        found = data.find(learned, at, stop)
        if found >= 0:
            return found + 1, found + learned.index(b"{")
    if end - at <= 8 * BLOCK:
        return end, end
    sep = _SEPARATOR.search(data, at, stop)
    if sep is None:
        return end, end
    return sep.start() + 1, sep.end() - 1


def _block(block: bytes, n: int, scratch: Any, marks: bytearray, last: list[pl.DataFrame]) -> pl.DataFrame:
    """One block of records read by Polars (:func:`_fast_records`), or :class:`_Slow`."""
    import numpy as np

    if b"\\" in block:
        raise _Slow("a backslash")
    a = np.frombuffer(block, np.uint8)
    digits = np.frombuffer(marks, np.bool_, a.size)
    np.less(np.subtract(a, 48, out=scratch[:a.size]), 10, out=digits)
    if marks.find(_LONG_NUMBER, 0, a.size) >= 0:
        raise _Slow("19 digits in a row")
    try:
        raw = pl.read_json(block, schema=_READ)
    except Exception as exc:  # anything Polars does not read: ijson reads it, or names the fault
        raise _Slow("Polars does not read it") from exc
    held = sum(raw.get_column(name).count() for name in _FIELDS)
    for name in _NESTED:
        inner = raw.get_column(name)
        if inner.count():
            nested = inner.explode().struct.unnest()
            held += sum(nested.get_column(k).count() for k in _FIELDS)
    if pl.Series([block], dtype=pl.Binary).cast(pl.String).str.count_matches(_KEYS).item() != held:
        raise _Slow("a field's name elsewhere, repeated or null")
    raw = raw.select(pl.int_range(n, n + raw.height, dtype=pl.Int64).alias("i"), *_FIELDS)
    if raw.height:
        last[:] = [raw.tail(1)]
    return _columns(raw, divide=False)


def _block_plain(block: bytes, n: int, chunks: list[pl.DataFrame], bad: list[tuple[int, str, str]],
                 last: list[pl.DataFrame]) -> int:
    """The plain rule over one block (records numbered from ``n``); :class:`_WholeFile` if it fails
    (the whole file's plain rule then names the fault as it always has)."""
    import io

    def chunk(batch: list[dict[str, Any]]) -> pl.DataFrame:
        raw = pl.from_dicts(batch, schema=_SCHEMA, strict=False)
        if raw.height:
            last[:] = [raw.tail(1)]
        return _columns(raw, divide=False)

    run = bracket_depths(block)
    if run.size and int(run.max()) >= DEEP:  # the block's ``[`` stands for the file's two levels above it
        raise _WholeFile("nested deep")  # the whole file's plain rule refuses it (_DepthGuard), or reads it
    seen = _Seen(int(run.max()) + 1 if run.size else 0)
    try:
        return _walk(ijson.items(io.BytesIO(block), "item", use_float=True, buf_size=1 << 20), n, chunks, bad, chunk,
                     seen)
    except Exception as exc:
        raise _WholeFile from exc


@bounded_json_values("a Records.json location record")
@cuts_long_json_values("a Records.json location record")
@without_cycle_collection
def parse(path: Path, ctx: ParseContext) -> ParseResult:
    """The fast route (:func:`_fast_records`) where it proves its reading equal to the plain rule's,
    else the plain rule (:func:`parse_plain`). A string over the bound (found without holding the file:
    :func:`parsers._json_cut.file_spans`) is read by either route as its marker, and its record is one
    reject naming the file and the string's byte offset."""
    spans = file_spans(path)
    read = _fast_records(path, spans)
    if read is None:
        return _parse_plain(path, ctx, spans)
    return _result(path, ctx, *read)


@bounded_json_values("a Records.json location record")
@cuts_long_json_values("a Records.json location record")
@without_cycle_collection
def parse_plain(path: Path, ctx: ParseContext) -> ParseResult:
    """The plain rule: every record decoded by ijson into a Python dict, 5,000 at a time into a
    frame. The fast route is tested equal to it (tests/test_google_records_fast.py)."""
    return _parse_plain(path, ctx, file_spans(path))


def _parse_plain(path: Path, ctx: ParseContext, spans: list[Span], not_utf8: bool = False) -> ParseResult:
    """The plain rule's parse with ``spans`` read as their markers. A file whose streamer met a string holding
    bytes that are not UTF-8 is read again with every such string cut (``not_utf8``:
    :func:`parsers._json_cut.file_spans`), so that its record is one reject naming the byte and every other
    record is read; a byte outside the strings (the structure) is the file's error, as before."""
    first = _first_char(path)
    if first not in (b"{", b"["):
        raise FormatError(f"{path}: not JSON (it must start with '{{' or '[')")
    prefix, base = ("locations.item", "locations") if first == b"{" else ("item", "")
    chunks: list[pl.DataFrame] = []
    bad: list[tuple[int, str, str]] = []
    seen = _Seen()
    try:
        try:
            n = _walk(_records(path, prefix, seen, spans=spans), 0, chunks, bad, seen=seen)
        except _JSONErrorAfter as stop:
            if "overflow" not in str(stop.__cause__):
                raise
            # A number the streamer cannot make a float or a 64-bit integer of (``1e400``, an integer
            # of 20 digits or more): read again with every number as written, so that only the
            # records holding one in a field read are rejects (:func:`_big_numbers_read`).
            chunks, bad = [], []
            n = _walk(_big_numbers_read(_records(path, prefix, seen, use_float=False, spans=spans)), 0, chunks, bad,
                      _chunk_numbers,
                      seen)
    except _TooDeep as deep:
        raise FormatError(
            f"{path}: a value nested {deep.deepest:,} levels deep (deeper than {DEEP} from line {deep.line}, "
            f"column {deep.column}); no Records.json nests so deep (a damaged or hostile file); nothing from this "
            "file was stored") from None
    except _JSONErrorAfter as stop:
        exc = stop.__cause__
        n = stop.n
        if not not_utf8 and (isinstance(exc, UnicodeDecodeError) or "UTF8" in str(exc)) \
                and (again := file_spans(path, not_utf8=True)) != spans:
            return _parse_plain(path, ctx, again, not_utf8=True)
        raise FormatError(
            f"{path}: JSON error after {n} location record(s) (the next would be {base}[{n}]): "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}; "
            "the file may be truncated or corrupt"
        ) from exc
    return _result(path, ctx, chunks, bad, n, base)


class _JSONErrorAfter(Exception):
    """ijson's error after ``n`` records (its cause)."""

    def __init__(self, n: int) -> None:
        super().__init__(n)
        self.n = n


def _walk(records: Iterator[Any], start: int, chunks: list[pl.DataFrame], bad: list[tuple[int, str, str]],
          chunk: Callable[[list[dict[str, Any]]], pl.DataFrame] | None = None, seen: _Seen | None = None) -> int:
    """The plain rule's loop: records numbered from ``start`` into ``chunks`` (``CHUNK`` at a time)
    and ``bad`` (not an object); returns the number after the last. :class:`_JSONErrorAfter` for
    ijson's error. ``seen``: how deep the stream has been (:data:`_SHALLOW`)."""
    chunk = chunk or _chunk
    seen = seen or _Seen()
    batch: list[dict[str, Any]] = []
    n = start
    try:
        for n, rec in enumerate(records, start=start + 1):
            if not isinstance(rec, dict):
                bad.append((n - 1, "not a location record", excerpt(rec)))
                continue
            rec["i"] = n - 1
            batch.append(rec)
            if len(batch) >= CHUNK:
                chunks.append(_guarded(chunk, batch, seen.nested))
                batch = []
    except ijson.JSONError as exc:  # IncompleteJSONError is a subclass
        raise _JSONErrorAfter(n) from exc
    chunks.append(_guarded(chunk, batch, seen.nested))
    return n


class _Beyond:
    """A number in a field read that no float holds (:func:`_big_numbers_read`): its record is a reject."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _BeyondFloat(Exception):
    """A batch holds a :class:`_Beyond` (:func:`_chunk_numbers`)."""


def _big_numbers_read(records: Iterator[Any]) -> Iterator[Any]:
    """Records streamed with every number as written (``use_float=False``: an integer of any length,
    other numbers as ``Decimal``), as the plain rule's stream gives them: each other number the float
    ijson makes of it (``float`` of the ``Decimal``, correctly rounded like the streamer's own), except
    a field read holding a number no float holds (an integer beyond about 1.8e308, ``1e400``), which
    is marked (:class:`_Beyond`). Only for a file the streamer refused for such a number."""
    for rec in records:
        if isinstance(rec, dict):
            for key, value in rec.items():
                if isinstance(value, Decimal):
                    value = rec[key] = float(value)
                if key in _NUMBER_FIELDS and not storable_number(value):
                    rec[key] = _Beyond(value)
        yield rec


def _chunk_numbers(batch: list[dict[str, Any]]) -> pl.DataFrame:
    """:func:`_chunk`, or :class:`_BeyondFloat` where a record holds a :class:`_Beyond` (then
    :func:`_guarded` sets its field aside, with the reason)."""
    if any(type(value) is _Beyond for rec in batch for value in rec.values()):
        raise _BeyondFloat
    return _chunk(batch)


_NUMBER_FIELDS: Final = frozenset(("latitudeE7", "longitudeE7", "accuracy"))


def _guarded(chunk: Callable[[list[dict[str, Any]]], pl.DataFrame], batch: list[dict[str, Any]],
             nested: bool = False) -> pl.DataFrame:
    """``chunk(batch)``; where a field holds a value it cannot read (a text that is not a number, an
    object or a list where a number or text is read), that record is kept in its place with the
    field left empty and the reason in ``bad`` (it becomes a reject naming the field and the value),
    so one bad value never refuses the rest of the file. The batch keeps its records, so the
    degrees of every other record are computed exactly as they would have been.

    ``nested`` (the file nests past :data:`_SHALLOW`): a batch holding a list or object in a field read
    goes straight to the records' own reasons, never to Polars (which the batch would fail anyway,
    after a time growing with the cube of the depth)."""
    failed: Exception | None = None
    try:
        if not (nested and any(type(rec.get(name)) in (list, dict) for rec in batch for name in _FIELDS)):
            return chunk(batch)
    except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError, _BeyondFloat) as exc:
        failed = exc
    reasons: list[str | None] = []
    readable: list[dict[str, Any]] = []
    for rec in batch:
        unread = [name for name in _FIELDS if not _reads(name, rec.get(name))]
        reasons.append("; ".join(_unread(name, rec.get(name)) for name in unread) or None)
        readable.append({k: v for k, v in rec.items() if k not in unread})
    if not any(reasons):
        assert failed is not None  # a list or object in a field read is a reason
        raise failed  # not a value of one record: the caller names the fault
    return chunk(readable).with_columns(pl.Series("bad", reasons, dtype=pl.String))


_WHAT: Final = {"latitudeE7": "a number", "longitudeE7": "a number", "accuracy": "a number"}


def _unread(name: str, value: Any) -> str:
    """The reason a field's value is not read (:func:`_guarded`)."""
    if type(value) is _Beyond:
        return f"{BEYOND_FLOAT.format(what=name)}: {number_excerpt(value.value)}"
    return f"{name} not readable as {_WHAT.get(name, 'a text')}: {excerpt(value)}"


def _reads(name: str, value: Any) -> bool:
    """Whether the plain rule's frame (``from_dicts``, not strict) can hold ``value`` as field ``name``
    (never a :class:`_Beyond`)."""
    if type(value) in (_Beyond, list, dict):  # Polars reads no list or object in a field (tested)
        return False
    try:
        pl.from_dicts([{name: value}], schema={name: _SCHEMA[name]}, strict=False)
    except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError):
        return False
    return True


def _result(path: Path, ctx: ParseContext, chunks: list[pl.DataFrame], bad: list[tuple[int, str, str]], n: int,
            base: str) -> ParseResult:
    frame = pl.concat(chunks, rechunk=False)
    if n == 0:
        raise FormatError(f"{path}: no location records (expected a 'locations' array of records with latitudeE7/longitudeE7)")
    ok = pl.col("lat").is_between(-90, 90) & pl.col("lon").is_between(-180, 180)
    no_time = pl.col("ts_utc").is_null()
    reason = (
        pl.when(pl.col("bad").is_not_null()).then(pl.col("bad"))
        .when(pl.col("lat").is_null() | pl.col("lon").is_null()).then(pl.lit("no latitudeE7/longitudeE7"))
        .when(~ok).then(pl.lit("coordinates out of range"))
        .when(no_time & pl.col("ts_raw").is_null()).then(pl.lit("no timestamp or timestampMs"))
        .when(no_time).then(pl.lit("timestamp not readable (expected ISO 8601 with Z/offset, or epoch ms)"))
    )
    frame = frame.with_columns(reason.alias("reason"))
    ref = pl.format(f"{base}[{{}}]", pl.col("i"))
    rejected = frame.filter(pl.col("reason").is_not_null()).select(
        pl.lit(ctx.source_id).alias("source_id"), ref.alias("source_ref"), "reason",
        pl.concat_str([pl.col("ts_raw"), pl.col("lat").cast(pl.String), pl.col("lon").cast(pl.String)],
                      separator=" ", ignore_nulls=True).alias("excerpt"),
    )
    wrapped = int(frame.get_column("wrapped").sum())
    # kind and ts_basis as their schema enums (4 bytes a row, not a string each): millions of rows.
    events = frame.filter(pl.col("reason").is_null()).select(
        ref.alias("source_ref"), pl.lit("location", pl.Enum(KINDS)).alias("kind"), pl.lit("google-location").alias("channel"),
        "ts_utc", pl.col("ts_basis").cast(pl.Enum(TS_BASES)), "ts_raw", "lat", "lon", "accuracy_m", "text",
    )
    if bad:
        extra = pl.DataFrame({
            "source_id": [ctx.source_id] * len(bad), "source_ref": [f"{base}[{i}]" for i, _, _ in bad],
            "reason": [r for _, r, _ in bad], "excerpt": [e for _, _, e in bad],
        })
        rejected = pl.concat([rejected, extra])
    assumptions = ["Google Records.json: timestamps are UTC instants (timestamp 'Z' or timestampMs)"]
    if wrapped:
        assumptions.append(f"{wrapped} record(s) with latitudeE7/longitudeE7 above range read as 32-bit overflow (2^32 subtracted)")
    return ParseResult(events=events, rejects=rejected, records_read=n, assumptions=assumptions)
