"""Reading a large Cellebrite ``report.xml`` on several cores, with the sequential result.

Why: lxml builds every element of a report, and the Python that reads each model's
fields costs about as much again; one process reads ~30-60 MB/s, and real reports are
several gigabytes. The work per top-level ``<model>`` is independent, so:

* this process scans the byte stream (a regular expression over the start and end
  tags of ``modelType``/``model``, ``taggedFiles``/``file`` and ``extraInfos``/``extraInfo``,
  no XML parsing) and cuts each of those containers at the boundaries of the elements
  it holds into pieces of about ``CHUNK_BYTES`` (the files and extra infos are only
  released, never read, but in a real report they are often most of its bytes);
* each piece goes, wrapped in the report's own root and the container's start tag, to
  a worker process, which reads it with the sequential reader's own code
  (:class:`parsers.cellebrite_xml._Consumer`); when every worker already has work
  queued, this process reads the piece itself (so two cores need one worker);
* everything else (the prolog, metadata, and any model bigger than ``MAX_MODEL_BYTES``)
  is the *skeleton*: this process reads it with the same code, where each piece was cut
  out a marker element stands, so the pieces' rows are put back in document order.

The scan is only a guess (a ``<model`` inside a CDATA section would fool it); the XML
parsers check it. A piece that is not well-formed content, a marker not directly in the
container the worker read the piece in, with the namespaces it saw, a model without an ``id`` (its
reference is its ordinal in the whole stream), a document type declaration, or any
error at all: the report is read again sequentially, which gives the sequential
answer, including its error messages. So the result is always the sequential one;
``tests/test_cellebrite_parallel.py`` checks it on every fixture.

Security is unchanged: every parse uses :data:`parsers.cellebrite_xml.PARSER_OPTIONS`
(no entities, no network, huge trees), and a report with a DTD is never split.
Memory is bounded: at most ``2 x workers + 1`` pieces are waiting at once, and the
rows come back as compact Polars frames, as the sequential reader keeps them.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import IO, Any, Final

import polars as pl
from lxml import etree

from parsers.base import ParseContext
from parsers.cellebrite_xml import (
    NS,
    PARSER_OPTIONS,
    STREAM_TAGS,
    _Consumer,
    _open_report,
    _read_whole,
    _release,
    _Report,
)

CHUNK_BYTES: Final = 8 * 1024 * 1024
"""A piece for a worker: big enough that starting its parse is noise, small enough to balance two cores."""
MAX_MODEL_BYTES: Final = 64 * 1024 * 1024
"""A single model bigger than this (a chat of tens of thousands of messages) is read here, streamed."""
BLOCK_BYTES: Final = 4 * 1024 * 1024
WORKERS_ENV: Final = "ATLAS_PARSE_WORKERS"
"""Worker processes for one report besides the reading one (default: the CPUs it may use less one, at most 3; 0 = sequential)."""

_TOKEN: Final = re.compile(rb"<(/?)(model|modelType|file|taggedFiles|extraInfo|extraInfos)\b([^>]*)>")
_UNITS: Final = {b"modelType": b"model", b"taggedFiles": b"file", b"extraInfos": b"extraInfo"}
"""The containers cut into pieces, and the element each holds one after another: a modelType's
models (read), taggedFiles' files and extraInfos' extraInfo elements (only released, but in a
real report often most of its bytes, so parsed by the workers too)."""
_CONTAINER_TAGS: Final = frozenset(f"{{{NS}}}{name.decode()}" for name in _UNITS)
_ROOT: Final = re.compile(rb"<project\b[^>]*>")
_DECL: Final = re.compile(rb"^(?:\xef\xbb\xbf)?(<\?xml[^>]*\?>)")
_MARK_NS: Final = "urn:x-atlas:cellebrite-piece"
_MARK: Final = f"{{{_MARK_NS}}}piece"


class _Mismatch(Exception):
    """The stream is not as the scan assumed: read it sequentially instead."""


def workers() -> int:
    """Worker processes to start for one report, besides this one (0: read sequentially).

    This process reads pieces too whenever every worker has work queued, so on two cores
    one worker is started: two processes for two cores, and one fewer Polars import.
    """
    configured = os.environ.get(WORKERS_ENV)
    if configured is not None:
        try:
            return max(0, int(configured))
        except ValueError:
            return 0
    if multiprocessing.current_process().daemon:  # e.g. inside a Dask worker: no child processes allowed
        return 0
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return min(3, cpus - 1)


def worth_it(path: Path, min_bytes: int) -> bool:
    """Whether to read this report in parallel at all (see :func:`workers_for`)."""
    return workers_for(path, min_bytes) > 0


def workers_for(path: Path, min_bytes: int) -> int:
    """Worker processes to read this report with now: 0 (read it sequentially) unless it is big,
    a worker is allowed, and cores are actually idle.

    Measured on the shared 2-core machine (load average 11-13): the parallel read of a
    1 GB report took 272 s and 63 CPU-s against 202 s and 48 CPU-s sequentially, and its
    peak memory was higher (this process 945 MB + a worker 125 MB, against 693 MB): with
    no idle core, cutting and handing over pieces only adds work. So unless
    ``ATLAS_PARSE_WORKERS`` asks for it, the report is read sequentially unless the machine
    has not been oversubscribed (one-minute load average at most the CPUs: the ingest's own
    process counts in it, about one, so "the CPUs less one" kept a quiet 2-core machine
    reading sequentially: the end-to-end bench's 1 GB report on two idle cores took 28.6 s
    sequentially against 17.7 s in parallel) *and* is quiet now:
    over :data:`IDLE_SAMPLE_S`, at least :data:`IDLE_CORES_NEEDED` cores' worth of CPU time
    went unused (this process, sleeping meanwhile, is one of them; its worker needs the other).
    No more workers are started than there are idle cores besides this process's own.
    """
    try:
        allowed = workers()
        if path.stat().st_size < min_bytes or allowed < 1:
            return 0
    except OSError:
        return 0
    if os.environ.get(WORKERS_ENV) is not None:
        return allowed
    try:
        cpus = len(os.sched_getaffinity(0))
        if os.getloadavg()[0] > cpus:
            return 0
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return 0
    idle = idle_cores(IDLE_SAMPLE_S)
    if idle < IDLE_CORES_NEEDED:
        return 0
    return max(1, min(allowed, round(idle) - 1))


IDLE_SAMPLE_S: Final = 0.25
IDLE_CORES_NEEDED: Final = 1.6
"""Cores' worth of idle CPU time needed to start a worker: this process's own core and most of another."""


def _cpu_times() -> tuple[int, int]:
    """(idle, total) jiffies of all CPUs since boot, from ``/proc/stat``."""
    with open("/proc/stat", encoding="ascii") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    return fields[3] + fields[4], sum(fields[:8])  # idle + iowait; user .. steal (guest time is inside user)


def idle_cores(seconds: float) -> float:
    """How many cores' worth of CPU time went unused over the next ``seconds`` (0 when unknown)."""
    try:
        idle0, total0 = _cpu_times()
        time.sleep(seconds)
        idle1, total1 = _cpu_times()
        cpus = os.cpu_count() or 1
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return 0.0
    if total1 <= total0:
        return 0.0
    return cpus * (idle1 - idle0) / (total1 - total0)


def read(path: Path, ctx: ParseContext, *, n_workers: int | None = None, chunk_bytes: int = CHUNK_BYTES,
         max_model_bytes: int = MAX_MODEL_BYTES, block_bytes: int = BLOCK_BYTES,
         stats: dict[str, Any] | None = None, pool: Executor | None = None) -> tuple[_Report, pl.DataFrame]:
    """The report's state and raw rows, as :func:`parsers.cellebrite_xml._stream` would leave them.

    ``stats`` (for the benchmark and tests) receives ``pieces``, ``workers``,
    ``workers_peak_kb`` (each worker's own high-water mark, summed), ``workers_cpu_s`` (each
    worker's CPU seconds by its last piece, start-up included) and ``fallback``
    (why the report was read sequentially, if it was). ``pool``: worker processes to use
    instead of starting ``n_workers`` new ones (tests share one pool).
    """
    n = n_workers if n_workers is not None else workers()
    stats = {} if stats is None else stats
    stats.update(pieces=0, workers=n, workers_peak_kb=0, fallback=None)
    if n >= 1:
        try:
            with _open_report(path) as (stream, where):
                if pool is not None:
                    return _read_split(stream, where, ctx, pool, n, chunk_bytes, max_model_bytes, block_bytes, stats)
                context = multiprocessing.get_context("spawn")  # never fork a process holding Polars' threads
                with ProcessPoolExecutor(max_workers=n, mp_context=context) as own:
                    return _read_split(stream, where, ctx, own, n, chunk_bytes, max_model_bytes, block_bytes, stats)
        except Exception as exc:  # anything unexpected: the sequential read decides (and names any error)
            stats["fallback"] = f"{type(exc).__name__}: {exc}"
    report = _Report(ctx)
    with _open_report(path) as (stream, where):
        _read_whole(report, stream, where)
    return report, report.rows.raw()


# --- the worker's side -------------------------------------------------------------------

@dataclass
class _Piece:
    """What a worker read from one piece: the parts of a :class:`_Report` that add up."""

    raw: pl.DataFrame
    n: int
    reject_refs: list[str]
    reject_reasons: list[str]
    reject_excerpts: list[str]
    types: dict[str, int]
    unknown_labels: dict[str, int]
    deleted_unknown: int
    owner_ids: dict[str, int]
    accounts: list[tuple[str, str, str, list[str]]]
    evidence: list[dict[str, str]]
    attachments: list[tuple[str, str, str | None, str | None]]
    cells: list[dict[str, Any]]
    numbered: bool
    nsmap: dict[str | None, str] = field(default_factory=dict)
    peak_kb: int = 0
    pid: int = 0
    cpu_s: float = 0.0
    """The reading process's CPU seconds so far (a worker's grow piece by piece)."""
    container_tag: str = ""
    """The tag the piece was read inside, as the parser named it."""


def _own_peak_kb() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:  # pragma: no cover - not Linux
        pass
    return 0


def _work(head: bytes, type_tag: bytes, body: bytes) -> _Piece:
    """Read one piece (complete top-level elements of a container) inside the report's root and
    the container's start tag (a modelType, taggedFiles or extraInfos)."""
    container = type_tag[1:].split(None, 1)[0].rstrip(b">/")
    doc = head + type_tag + body + b"</" + container + b"></project>"
    report = _Report(ParseContext(source_id="", path=Path("report.xml")))
    consumer = _Consumer(report, "piece")
    nsmap: dict[str | None, str] | None = None
    container_tag = ""
    try:
        for _event, elem in etree.iterparse(BytesIO(doc), events=("end",), tag=STREAM_TAGS, **PARSER_OPTIONS):
            if nsmap is None:
                holder = elem.getroottree().getroot()[0]
                nsmap, container_tag = dict(holder.nsmap), holder.tag
            consumer.end(elem)
    except Exception as exc:  # lxml's errors do not pickle: say what it was, the sequential read says where
        raise _Mismatch(f"a piece did not read: {type(exc).__name__}: {exc}") from None
    return _Piece(report.rows.raw(), report.rows.n, report.reject_refs, report.reject_reasons, report.reject_excerpts,
                  dict(report.types), dict(report.unknown_labels), report.deleted_unknown, dict(report.owner_ids),
                  report.accounts, report.evidence, report.attachments, report.cells, report.numbered, nsmap or {},
                  _own_peak_kb(), os.getpid(), time.process_time(), container_tag)


# --- this process's side -----------------------------------------------------------------

@dataclass
class _Cut:
    """Where a piece was cut out of the skeleton, and what the skeleton had read by then."""

    parent_ok: bool
    parent_tag: str
    nsmap: dict[str | None, str]
    counts: tuple[int, int, int, int, int, int]


def _counts(report: _Report) -> tuple[int, int, int, int, int, int]:
    return (report.rows.n, len(report.reject_refs), len(report.accounts), len(report.evidence),
            len(report.attachments), len(report.cells))


class _Skeleton:
    """The report with its pieces cut out, read here as it streams by (sequential code)."""

    def __init__(self, ctx: ParseContext, where: str) -> None:
        self.report = _Report(ctx)
        self.consumer = _Consumer(self.report, where)
        self.parser = etree.XMLPullParser(events=("end",), tag=(*STREAM_TAGS, _MARK), **PARSER_OPTIONS)
        self.cuts: list[_Cut] = []

    def feed(self, data: bytes) -> None:
        if data:
            self.parser.feed(data)
            self._drain()

    def close(self) -> None:
        self.parser.close()
        self._drain()
        self.consumer.finish()

    def _drain(self) -> None:
        for _event, elem in self.parser.read_events():
            if elem.tag == _MARK:
                parent = elem.getparent()
                ok = parent is not None and parent.tag in _CONTAINER_TAGS and elem.get("n") == str(len(self.cuts))
                self.cuts.append(_Cut(ok, parent.tag if ok else "", dict(parent.nsmap) if parent is not None else {},
                                      _counts(self.report)))
                _release(elem)
            else:
                self.consumer.end(elem)


def _marker(index: int) -> bytes:
    return f'<piece xmlns="{_MARK_NS}" n="{index}"/>'.encode()


class _Splitter:
    """Cuts the byte stream into skeleton bytes and pieces of whole top-level models."""

    OUTSIDE, TYPE, MODEL, BIG, OFF = range(5)

    def __init__(self, skeleton: _Skeleton, submit: Callable[[bytes, bytes], None], chunk_bytes: int,
                 max_model_bytes: int) -> None:
        self.skeleton = skeleton
        self.submit = submit
        self.chunk_bytes = chunk_bytes
        self.max_model_bytes = max_model_bytes
        self.state = self.OUTSIDE
        self.head = b""  # XML declaration + the root's start tag, for the workers' documents
        self.type_tag = b""
        self.container = b""  # the open container's name, and the name of the elements it holds
        self.unit = b""
        self.parts: list[bytes] = []  # the open piece
        self.part_bytes = 0
        self.depth = 0
        self.pieces = 0
        self.buf = b""
        self.mark = 0  # buf[:mark] has been handed on
        self.scan = 0  # buf[:scan] has been scanned
        self.model_start = 0

    # where bytes go
    def _skeleton(self, end: int) -> None:
        if end > self.mark:
            self.skeleton.feed(self.buf[self.mark:end])
            self.mark = end

    def _chunk(self, end: int) -> None:
        if end > self.mark:
            self.parts.append(self.buf[self.mark:end])
            self.part_bytes += end - self.mark
            self.mark = end

    def _close_piece(self) -> None:
        body = b"".join(self.parts)
        self.parts, self.part_bytes = [], 0
        if _TOKEN.search(body) is None:  # whitespace between models only: nothing for a worker
            self.skeleton.feed(body)
            return
        self.skeleton.feed(_marker(self.pieces))
        self.pieces += 1
        self.submit(self.type_tag, body)

    def _off(self, at: int) -> None:
        """Stop cutting: everything from ``at`` on is skeleton (read here, sequentially)."""
        if self.state in (self.TYPE, self.MODEL):
            self._chunk(at)
            self._close_piece()
        self.state = self.OFF

    # the scan
    def feed(self, block: bytes, final: bool = False) -> None:
        self.buf = self.buf[self.mark:] + block
        self.model_start -= self.mark
        self.scan -= self.mark
        self.mark = 0
        if not self.head and self.state != self.OFF and not self._find_root(final):
            return
        if self.state == self.OFF:
            self._skeleton(len(self.buf))
            return
        # a tag never holds a '<': every tag before the last '<' is whole
        last = self.buf.rfind(b"<", self.scan)
        limit = len(self.buf) if final or last < 0 else last
        for m in _TOKEN.finditer(self.buf, self.scan, limit):
            closing, name, attrs = m.groups()
            if name == self.unit:  # an element the open container holds (the commonest tag by far)
                state = self.state
                if state == self.TYPE:
                    if closing:
                        self._off(m.start())
                        break
                    if not attrs.endswith(b"/"):
                        self.depth = 1
                        self.model_start = m.start()
                        self.state = self.MODEL
                elif closing:  # MODEL or BIG
                    self.depth -= 1
                    if self.depth == 0:
                        if state == self.BIG:
                            self._skeleton(m.end())
                        elif self.part_bytes + m.end() - self.mark >= self.chunk_bytes:
                            self._chunk(m.end())
                            self._close_piece()
                        self.state = self.TYPE
                elif not attrs.endswith(b"/"):
                    self.depth += 1
            elif name in _UNITS:
                state = self.state
                if state == self.OUTSIDE:
                    if not closing and not attrs.endswith(b"/"):
                        self._skeleton(m.end())
                        self.type_tag = m.group(0)
                        self.container, self.unit = name, _UNITS[name]
                        self.state = self.TYPE
                elif state == self.TYPE and closing and name == self.container:
                    self._chunk(m.start())
                    self._close_piece()
                    self.container = self.unit = b""
                    self.state = self.OUTSIDE
                else:  # a container inside an element it holds, or nested: not the layout assumed
                    self._off(self.model_start if state == self.MODEL else m.start())
                    break
            # anything else (another container's kind of element, or one outside any) is not counted
        self.scan = limit
        # hand on what is settled, keep the rest
        if self.state == self.OFF:
            self._skeleton(len(self.buf))
        elif self.state in (self.OUTSIDE, self.BIG):
            self._skeleton(limit)
        elif self.state == self.TYPE:
            self._chunk(limit)
        elif self.state == self.MODEL:
            self._chunk(self.model_start)
            if limit - self.model_start > self.max_model_bytes:  # one huge model: read it here
                if self.parts:
                    self._close_piece()
                self.state = self.BIG
                self._skeleton(limit)
        if final:
            if self.state in (self.TYPE, self.MODEL):  # an unterminated report: the skeleton parser reports it
                self._off(self.mark)
            self._skeleton(len(self.buf))

    def _find_root(self, final: bool) -> bool:
        root = _ROOT.search(self.buf)
        if root is None:
            if final or len(self.buf) > 1024 * 1024:
                self.state = self.OFF
                self._skeleton(len(self.buf))
            return False
        prolog = self.buf[:root.start()]
        if b"<!DOCTYPE" in prolog or b"<!doctype" in prolog:  # entities could be declared: never split
            self.state = self.OFF
            return True
        decl = _DECL.match(self.buf)
        self.head = (decl.group(1) if decl else b"") + root.group(0)
        self._skeleton(root.end())
        return True


def _read_split(stream: IO[bytes], where: str, ctx: ParseContext, pool: Executor, n_workers: int, chunk_bytes: int,
                max_model_bytes: int, block_bytes: int, stats: dict[str, Any]) -> tuple[_Report, pl.DataFrame]:
    skeleton = _Skeleton(ctx, where)
    pending: deque[Future[_Piece]] = deque()
    pieces: list[_Piece] = []
    splitter: _Splitter

    def submit(type_tag: bytes, body: bytes) -> None:
        while pending and pending[0].done():
            pieces.append(pending.popleft().result())
        if sum(not f.done() for f in pending) < 2 * n_workers:  # bounded: at most 2 x workers pieces queued
            pending.append(pool.submit(_work, splitter.head, type_tag, body))
        else:  # every worker has work waiting: read this piece here
            here: Future[_Piece] = Future()
            here.set_result(_work(splitter.head, type_tag, body))
            pending.append(here)

    try:
        splitter = _Splitter(skeleton, submit, chunk_bytes, max_model_bytes)
        while True:
            block = stream.read(block_bytes)
            if not block:
                splitter.feed(b"", final=True)
                break
            splitter.feed(block)
        skeleton.close()
        while pending:
            pieces.append(pending.popleft().result())
    finally:
        for future in pending:
            future.cancel()
    peaks: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for piece in pieces:
        if piece.pid != os.getpid():  # the workers' own high-water marks (this process's is its own VmHWM)
            peaks[piece.pid] = max(peaks.get(piece.pid, 0), piece.peak_kb)
            cpu[piece.pid] = max(cpu.get(piece.pid, 0.0), piece.cpu_s)
    stats.update(pieces=len(pieces), workers_peak_kb=sum(peaks.values()),
                 pieces_here=sum(p.pid == os.getpid() for p in pieces),
                 workers_cpu_s=sorted(cpu.values(), reverse=True))
    return _merge(skeleton, pieces, ctx)


def _merge(skeleton: _Skeleton, pieces: list[_Piece], ctx: ParseContext) -> tuple[_Report, pl.DataFrame]:
    """The pieces and the skeleton's segments between them, in document order, as one report."""
    cuts = skeleton.cuts
    if len(cuts) != len(pieces):
        raise _Mismatch(f"{len(cuts)} markers read for {len(pieces)} pieces")
    for cut, piece in zip(cuts, pieces, strict=True):
        if not cut.parent_ok or cut.parent_tag != piece.container_tag or cut.nsmap != piece.nsmap:
            raise _Mismatch("a piece was not cut directly from the container it was read in, with the same namespaces")
    if pieces and (skeleton.report.numbered or any(p.numbered for p in pieces)):
        raise _Mismatch("a model without an id is named by its ordinal in the whole stream")
    ske = skeleton.report
    ske_raw = ske.rows.raw()
    end = _counts(ske)
    segments: list[_Piece] = []
    before = (0, 0, 0, 0, 0, 0)
    for cut, piece in zip(cuts, pieces, strict=True):
        segments += [_segment(ske, ske_raw, before, cut.counts, first=not segments), piece]
        before = cut.counts
    segments.append(_segment(ske, ske_raw, before, end, first=not segments))
    merged = _Report(ctx)
    merged.metadata, merged.meta_rows = ske.metadata, ske.meta_rows
    for part in segments:
        merged.rows.n += part.n
        merged.reject_refs += part.reject_refs
        merged.reject_reasons += part.reject_reasons
        merged.reject_excerpts += part.reject_excerpts
        merged.types.update(part.types)
        merged.unknown_labels.update(part.unknown_labels)
        merged.deleted_unknown += part.deleted_unknown
        merged.owner_ids.update(part.owner_ids)
        merged.accounts += part.accounts
        merged.evidence += part.evidence
        merged.attachments += part.attachments
        merged.cells += part.cells
    frames = [part.raw for part in segments if part.raw.height]
    raw = pl.concat(frames, rechunk=False) if frames else ske_raw.clear()  # no second copy of every row at once
    return merged, raw


def _segment(report: _Report, raw: pl.DataFrame, a: tuple[int, ...], b: tuple[int, ...], *, first: bool) -> _Piece:
    """The skeleton's rows and lists between two cuts (its counters go with the first segment)."""
    return _Piece(
        raw.slice(a[0], b[0] - a[0]), b[0] - a[0], report.reject_refs[a[1]:b[1]], report.reject_reasons[a[1]:b[1]],
        report.reject_excerpts[a[1]:b[1]], dict(report.types) if first else {},
        dict(report.unknown_labels) if first else {}, report.deleted_unknown if first else 0,
        dict(report.owner_ids) if first else {}, report.accounts[a[2]:b[2]], report.evidence[a[3]:b[3]],
        report.attachments[a[4]:b[4]], report.cells[a[5]:b[5]], False,
    )


__all__ = ["CHUNK_BYTES", "MAX_MODEL_BYTES", "WORKERS_ENV", "read", "workers", "workers_for", "worth_it"]
