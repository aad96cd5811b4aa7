"""Ingest: source files → parsed → normalised → accounted for → committed.

Every source is opened read-only and its SHA-256 recorded in one of two ways, said in its
ingest audit row (``hash_basis``): the file hashed before parsing and again after the
parser's last read, the two equal (:data:`HASH_BASIS_FILE`); or, for a parser that reads
whole files (``reads_whole``) and a file below :func:`whole_read_limit`, the file read
once into memory, those bytes hashed and those same bytes parsed, and the file's identity
(device, inode, size, modification and change times) checked unchanged after the parse
(:data:`HASH_BASIS_BYTES`, :func:`read_whole`). Either way a file changed while it was
being read is refused with nothing stored. Every record read becomes an event or a reject,
and the count is checked before anything is committed. By default one ``atlas ingest`` is all or nothing:
if any file fails, the store is left exactly as it was and the error names the file.

Calling this module from your own program (not ``atlas``): start the process with
``RUST_BACKTRACE`` unset or ``0``. With a backtrace asked for, a Polars worker whose allocation
fails can hang the process for ever instead of ending it (see :func:`atlas.cli.main`, which sets
``RUST_BACKTRACE=0`` as it starts). This module does not set it for you: changing the
environment (``setenv``) while other threads of the host program or Polars' pool may read it is
not thread-safe in C, and Rust reads the setting once, at the process's first panic, so a change
made later may not count.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

import parsers
from atlas.errors import AtlasError, FormatError, NotASourceError, SourceReadError, StoreError, os_error_words
from atlas.model import IDENTITY_EVIDENCE_SCHEMA, REJECT_SCHEMA, conform, empty_evidence
from atlas.normalise import to_events
from atlas.normalise.identifiers import identifier_map, identifier_uri
from atlas.normalise.region import RegionChoice, RegionEvidence, choose_region
from atlas.normalise.times import check_zone
from atlas.provenance import installed_versions
from atlas.source_walk import check_regular, path_bytes, shown, walk
from atlas.store import Case, StagedSource
from atlas.store.case import Encoded, encoded
from atlas.store.hashing import (
    HASH_BASIS_BYTES,
    HASH_BASIS_FILE,
    FileIdentity,
    read_hashed,
    sha256_file,
    source_id_for,
)
from atlas.store.manifest import Manifest
from parsers._sqlite import SQLITE_MAGIC, companions
from parsers.base import ParseContext, ParseResult, ParserModule, Probe, reads_whole
from parsers.conformance import boundary_message, guarded_parse

_step_times: dict[str, dict[str, Any]] | None = None


@contextmanager
def step_times() -> Iterator[dict[str, dict[str, Any]]]:
    """Record where the ingests run inside spend their time, per source file and step (for the
    benchmarks: ``bench/bench_end_to_end.py`` splits the ingest stage with it).

    Yields ``{path: {"parser": name, "steps": {step: [wall_s, cpu_s]}}}`` filled as files are
    ingested; steps are ``hash`` (for a source read whole, :func:`read_whole`, the read and its
    hash), ``detect``, ``parse``, ``normalise``, ``hash after`` (waiting for the second hash,
    which runs beside the parser's work in memory and normalisation; ``check after`` instead for
    a source read whole: its identity checked unchanged) and
    ``store write`` (waiting for the tables encoded beside the parse and staging, the extra
    tables and the events, and the commit; a commit of several files is counted under the
    first). CPU seconds are the whole process's (Polars' and hashlib's threads included). Not
    for concurrent ingests in one process.
    """
    global _step_times
    outer, _step_times = _step_times, {}
    try:
        yield _step_times
    finally:
        _step_times = outer


@contextmanager
def _timed(path: Path | str, step: str) -> Iterator[None]:
    """Add the time spent inside to ``step`` of the source (named as its source row names it)."""
    if _step_times is None:
        yield
        return
    key = shown(path.resolve()) if isinstance(path, Path) else path
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        steps = _step_times.setdefault(key, {"parser": "", "steps": {}})["steps"]
        spent = steps.setdefault(step, [0.0, 0.0])
        spent[0] += time.perf_counter() - wall
        spent[1] += time.process_time() - cpu


def _record_parser(path: Path, name: str) -> None:
    if _step_times is not None:
        _step_times.setdefault(shown(path.resolve()), {"parser": "", "steps": {}})["parser"] = name


@dataclass
class IngestOptions:
    format: str | None = None
    owner: str | None = None
    timezone: str | None = None
    region: str | None = None
    dayfirst: bool | None = None
    replace: bool = False
    keep_going: bool = False
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class SourceOutcome:
    path: str
    status: str  # ingested | already | skipped | failed
    source_id: str = ""
    sha256: str = ""
    sha256_after: str = ""
    """The hash again after parsing: equal to ``sha256`` or the ingest fails ("" when the
    source was hashed as the bytes parsed, read once: ``hash_basis``)."""
    hash_basis: str = ""
    """How ``sha256`` was taken: :data:`HASH_BASIS_FILE` or :data:`HASH_BASIS_BYTES`."""
    format: str = ""
    parser: str = ""
    parser_version: str = ""
    records_read: int = 0
    events: int = 0
    rejects: int = 0
    owner: str | None = None
    assumptions: list[str] = field(default_factory=list)
    message: str = ""
    companions: list[dict[str, object]] = field(default_factory=list)
    """Files read with this one as one source (a SQLite ``-wal`` / hot ``-journal``):
    name, role, size and SHA-256, each checked unchanged before and after reading."""
    notable: bool = True
    """For ``skipped``: a skip a person must look at (an expected one, such as a SQLite
    ``-wal`` beside its database or a hidden file, is not)."""


def needs_attention(outcomes: Iterable[SourceOutcome]) -> bool:
    """True when a file failed or was skipped for a reason a person must look at."""
    return any(o.status == "failed" or (o.status == "skipped" and o.notable) for o in outcomes)


def expand_paths(paths: Iterable[Path]) -> list[tuple[Path, bool]]:
    """Files to ingest, with whether each was named explicitly (folders are walked).

    Only the files to read; :func:`atlas.source_walk.walk` also lists what is not read.
    """
    return [(e.path, e.explicit) for e in walk(paths) if not e.skip]


SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def sqlite_companion_of(path: Path) -> Path | None:
    """The database a ``-wal`` / ``-shm`` / ``-journal`` file belongs to, if it lies beside it."""
    for suffix in SQLITE_COMPANIONS:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            base = path.with_name(path.name[: -len(suffix)])
            if base.is_file():
                return base
    return None


NATIONAL_SCAN = 100_000
"""Rows whose numbers are sampled for the national forms when the ingest decides a region."""


def region_from_events(result: ParseResult, ctx: ParseContext) -> RegionChoice | None:
    """The region for a parser that chose none, from the numbers its events and identity
    evidence hold (None: no numbers).

    Parsers that know more (a SIM's IMSI, a recorded country) choose with the same
    helper themselves; this is the common floor, so no source reads national numbers
    with the case's region without saying so."""
    if result.identifiers_are_uris:
        return None  # the parser converted its identifiers itself, with ctx.region
    columns = [result.events.get_column(c) for c in ("sender",) if c in result.events.columns]
    if "recipients" in result.events.columns:
        columns.append(result.events.get_column("recipients").explode())
    if result.evidence is not None:  # an account's own number in a profile, a card's numbers
        columns += [result.evidence.get_column(c) for c in ("identifier", "related") if c in result.evidence.columns]
    # Every internationally written number counts (a cheap prefix test over all rows); the
    # national ones are sampled (they are only tried against a candidate country).
    found: list[pl.Series] = []
    for col in columns:
        col = col.cast(pl.String)
        found.append(col.filter(col.str.starts_with("phone:+") | col.str.starts_with("phone:00")))
        head = col.head(NATIONAL_SCAN)
        found.append(head.filter(head.str.starts_with("phone:")))
    if not found:
        return None
    phones = pl.concat(found).unique().str.slice(6).to_list()
    if not phones:
        return None
    return choose_region(RegionEvidence(numbers=tuple(sorted(phones))), default=ctx.region,
                         instructed=ctx.region_instructed)


@dataclass(frozen=True)
class OwnerAssumption:
    """Whose device an ingest took a source to be, typed: ``basis`` is ``instructed`` (``--owner``) or
    ``source`` (stated in the source); ``party`` the case.toml party whose identifiers hold it (or the party
    ``--owner`` named), else None; ``identifier`` the identifier given or stated ("" when ``--owner`` named a
    party); ``recorded`` the line the store's ``assumptions`` keeps for it, in the ingest's own terms (the
    party key the officer typed). Outputs word it with :meth:`words`, naming the party as case.toml does."""

    basis: str
    party: str | None
    identifier: str
    recorded: str

    def to_row(self) -> dict[str, str | None]:
        return {"basis": self.basis, "party": self.party, "identifier": self.identifier, "recorded": self.recorded}

    @classmethod
    def from_row(cls, row: Mapping[str, str | None] | None) -> OwnerAssumption | None:
        if not row or not row.get("basis") or row.get("recorded") is None:
            return None
        return cls(str(row["basis"]), row.get("party"), str(row.get("identifier") or ""), str(row["recorded"]))

    def words(self, names: Mapping[str, str]) -> str:
        """The assumption for people: the party by the name case.toml gives (its key where it gives none),
        with the identifier beside it when one was given or stated. An owner the source states is the
        identifier it states; the party holding that identifier in case.toml is said as the officer's
        attribution, never as the source's word."""
        who = names.get(self.party, self.party) if self.party else ""
        if self.basis == "source" and self.identifier:
            # the source states the identifier; the person is the case file's attribution of it, not the source's
            # word: the annex said "device owner Daniel Sample (tel:+447700900002) as stated in the source" of a
            # call data record that names only the number (seed 61023)
            return f"device owner {self.identifier} as stated in the source" + (
                f" (attributed to {who} by the officer in the case manifest)" if who else "")
        if self.identifier:
            who = f"{who} ({self.identifier})" if who else self.identifier
        if self.basis == "source":
            return f"device owner {who} as stated in the source"
        return f"owner {who} as instructed (--owner)"


def owner_identity(manifest: Manifest, owner: str | None) -> tuple[str | None, list[str], list[str]]:
    """``--owner`` as (identifier URI, owner URIs for direction, display names).

    A party id stands for every identifier and display name the manifest gives it.
    """
    if not owner:
        return None, [], []
    for party in manifest.parties:
        if party.id == owner:
            first = party.identifiers[0] if party.identifiers else f"party:{party.id}"
            return first, list(party.identifiers), list(party.display_names)
    if ":" not in owner:
        ids = ", ".join(p.id for p in manifest.parties)
        raise AtlasError(f"--owner {owner!r} is neither a party id ({ids}) nor an identifier URI like tel:+447700900123")
    uri = identifier_uri(owner, source_id="", region=manifest.region) if owner.startswith("phone:") else owner
    for party in manifest.parties:
        if uri in party.identifiers:
            return uri, list(party.identifiers), list(party.display_names)
    return uri, [uri], []


def _normalise_evidence(frame: pl.DataFrame | None, source_id: str, region: str) -> pl.DataFrame:
    if frame is None or frame.height == 0:
        return empty_evidence()
    frame = frame.with_columns(pl.lit(source_id).alias("source_id"))
    raw = pl.concat([frame.get_column("identifier"), frame.get_column("related")]).rename("raw")
    mapping = identifier_map(raw, source_id=source_id, region=region)
    keys, vals = mapping.get_column("raw"), mapping.get_column("uri")
    frame = frame.with_columns(
        pl.col("identifier").replace_strict(keys, vals, default=None),
        pl.col("related").replace_strict(keys, vals, default=None),
    )
    return conform(frame, IDENTITY_EVIDENCE_SCHEMA)


def sqlite_companions(path: Path) -> list[dict[str, object]]:
    """The ``-wal`` / hot ``-journal`` a SQLite database is read with, hashed (empty for other files)."""
    with path.open("rb") as fh:
        if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            return []
    return [{"name": c.path.name, "role": c.role, "size": c.size, "sha256": sha256_file(c.path)} for c in companions(path)]


def _check_companions_unchanged(path: Path, before: list[dict[str, object]]) -> None:
    for side in before:
        side_path = path.with_name(str(side["name"]))
        now = sha256_file(side_path) if side_path.is_file() else "(missing)"
        if now != side["sha256"]:
            raise StoreError(f"{side_path}: the {side['role']} file read with {path.name} changed while it was being read "
                             f"(SHA-256 before {side['sha256']}, after {now})")


WHOLE_READ_MAX = 2 << 30
"""The largest file read whole into memory (:func:`read_whole`), whatever memory is free."""
RECENT_S = 3.0
"""A file read whole that was modified (or its status changed) less than this many seconds
before it was opened, or has a time ahead of the clock, is also hashed again from the file
after the parser's read, and that hash must equal the hash of the bytes parsed: a file system
keeps times to a tick (FAT to 2 s), so a write within the tick of the one before would leave
the times :func:`read_whole` compares unchanged. (The route, and what is recorded, do not
depend on it: only this extra check does.)"""


def whole_read_limit() -> int:
    """The size up to which a source is read whole: the smaller of :data:`WHOLE_READ_MAX` and a
    quarter of the memory the kernel says is available (0 where it does not say)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return min(WHOLE_READ_MAX, int(line.split()[1]) * 1024 // 4)
    except (OSError, ValueError, IndexError):  # no /proc (not Linux) or a line it cannot read: nothing read whole
        return 0
    return 0


@dataclass
class WholeRead:
    """A source read once into memory, hashed as read (:func:`read_whole`)."""

    parser: ParserModule
    data: bytes
    sha256: str
    identity: FileIdentity
    """The opened handle's identity before the read; the path must still show it after the parse."""
    recent: bool = False
    """Changed within :data:`RECENT_S` of opening: hashed again from the file after the read too."""


def _whole_reader(path: Path, opts: IngestOptions) -> tuple[ParserModule | None, bool]:
    """(the file's parser, whether it reads this file whole); (None, False) for a file that goes
    the usual way, detected after its hash as always. By content, the whole detection runs
    (before the file is hashed) only when a parser that reads whole files would take the file
    (its ``reads_whole`` and a score above 0 from its own detector, on the head): a workbook,
    a database, a chat are not detected twice for this."""
    probe = Probe(path)
    if opts.format:
        parser = parsers.by_name(opts.format)
        return parser, reads_whole(parser, probe)

    def takes(module: ParserModule) -> bool:
        try:
            return reads_whole(module, probe) and int(module.detect(probe)) > 0
        except Exception:  # a detector that fails here fails (and is reported) in the usual detection
            return False

    if not any(takes(m) for m in parsers.all_parsers()):
        return None, False
    parser = parsers.detect(path)
    if not reads_whole(parser, probe):
        return None, False  # detected again after the hash, as always: the hash covers what chose the parser
    return parser, True


def read_whole(path: Path, opts: IngestOptions) -> tuple[ParserModule | None, WholeRead | None]:
    """(the file's parser, if it was found here; the file read once through a read-only handle
    and hashed, when that parser reads whole files and it is a regular file of 1 byte to
    :func:`whole_read_limit`). Without the
    read, the file is hashed before and after as always (a file detection cannot place, or
    that cannot be opened, goes that way too, so the messages are the usual ones). The
    handle's identity is taken before detection reads the file's head; a read that does not
    give exactly the size it showed is a file changing while it is read, refused
    (:class:`StoreError`)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None, None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size == 0 or st.st_size > whole_read_limit():
            return None, None
        recent = time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < RECENT_S * 1e9
        try:
            with _timed(path, "detect"):
                parser, whole = _whole_reader(path, opts)
        except (AtlasError, OSError):
            return None, None  # said by the usual route, in its order
        if parser is None or not whole:
            return parser, None
        with _timed(path, "hash"):
            # (the read and its hash side by side: :func:`read_hashed`, held equal to the plain
            # rule, :func:`read_exactly` then :func:`sha256_bytes`)
            try:
                read = read_hashed(fd, st.st_size)
            except OSError as exc:  # opened, then the read failed (a damaged disk, a pulled drive)
                raise SourceReadError(shown(path), f"cannot be read ({os_error_words(exc)})") from exc
            if read is None:
                raise StoreError(f"{shown(path)}: the file changed while it was being read (it no longer holds the "
                                 f"{st.st_size} bytes it held when opened)")
            return parser, WholeRead(parser, read[0], read[1], FileIdentity.of(st), recent)
    finally:
        os.close(fd)


def _check_identity(path: Path, before: FileIdentity) -> None:
    """The file at ``path`` is still the one read whole (:func:`read_whole`), unchanged."""
    try:
        now = FileIdentity.of(os.stat(path))
    except OSError as exc:
        raise StoreError(f"{shown(path)}: the file changed while it was being read (it cannot be found again: "
                         f"{exc.strerror or exc})") from exc
    if differences := before.differences(now):
        raise StoreError(f"{shown(path)}: the file changed while it was being read ({'; '.join(differences)})")


def ingest_file(case: Case, path: Path, opts: IngestOptions, debug: bool = False) -> tuple[SourceOutcome, StagedSource | None]:
    """Parse and normalise one file; nothing is written to the store here.

    Everything the parser does, and the check and normalisation of what it returns, runs
    inside one error boundary (:mod:`parsers.conformance`): a failure is a
    :class:`FormatError` of one line naming the file, the parser and the place.
    """
    manifest = case.manifest
    check_regular(path)  # a FIFO or device is refused here, before anything opens it
    found, whole = read_whole(path, opts)
    try:
        if whole is not None:
            sha_before = whole.sha256
            sides = sqlite_companions(path) if whole.data.startswith(SQLITE_MAGIC) else []
        else:
            with _timed(path, "hash"):
                sha_before = sha256_file(path)
                sides = sqlite_companions(path)
    except OSError as exc:  # evidence handed over and not read: a failure of this source, never a skip
        raise SourceReadError(shown(path), f"cannot be read ({os_error_words(exc)})") from exc
    source_id = source_id_for(sha_before)
    identity = whole.identity if whole is not None else None
    recent = whole is not None and whole.recent
    outcome = SourceOutcome(path=shown(path), status="ingested", source_id=source_id, sha256=sha_before, companions=sides,
                            hash_basis=HASH_BASIS_FILE if whole is None else HASH_BASIS_BYTES)
    if source_id in set(case.source_ids()) and not opts.replace:
        outcome.status = "already"
        row = case.sources().filter(pl.col("source_id") == source_id).row(0, named=True)
        outcome.format, outcome.parser, outcome.parser_version = row["format"], row["parser"], row["parser_version"]
        outcome.records_read, outcome.events, outcome.rejects = row["records_read"], row["events"], row["rejects"]
        outcome.message = f"already in the case as {row['path']}"
        return outcome, None
    if found is not None:  # (found before the read: not looked for again)
        parser: ParserModule = found
    else:
        with _timed(path, "detect"):
            parser = parsers.by_name(opts.format) if opts.format else parsers.detect(path)
    _record_parser(path, parser.INFO.name)
    zone = check_zone(opts.timezone or manifest.timezone)
    region = (opts.region or manifest.region).upper()
    owner_uri, owner_uris, owner_names = owner_identity(manifest, opts.owner)
    # Hashed before and after (no whole read): the second hash starts once the parser has
    # finished reading the file: when it says so
    # (``ctx.finished_reading``; the CDR parser does, once its table is read, and works on in
    # memory from then on), else when it returns. Either way it begins after the parser's
    # last read of the file and ends before anything is committed, so an unchanged hash
    # proves the bytes the parser read are the bytes hashed before it began. It runs beside
    # the parser's remaining work and normalisation (hashlib and Polars release the GIL).
    # Read whole (``whole``): the parser parses the bytes hashed (``ctx.data``) and never
    # reads the file; the file's identity is checked unchanged at the end instead.
    # An extra table the parser says is final (``ctx.table_ready``; the CDR parser's ``cdr``
    # table) is encoded for the store on the second worker, beside the rest of the parse and
    # normalisation; so are the events, as soon as they are normalised, beside the rest of the
    # staging (and the extra table's encoding, if it is still running). The commit then writes
    # their bytes (:func:`_encoded_tables`).
    with ThreadPoolExecutor(max_workers=2) as pool:
        started: list[Future[str]] = []
        tables: dict[str, tuple[pl.DataFrame, Future[Encoded]]] = {}

        def finished_reading() -> None:
            if not started and (identity is None or recent):
                started.append(pool.submit(sha256_file, path))

        def table_ready(name: str, frame: pl.DataFrame) -> None:
            tables[f"extra/{name}"] = (frame, pool.submit(encoded, frame))

        def events_ready(frame: pl.DataFrame) -> None:
            tables["events"] = (frame, pool.submit(encoded, frame))

        ctx = ParseContext(
            source_id=source_id, path=path, timezone=zone, region=region, region_instructed=bool(opts.region),
            owner=owner_uri, dayfirst=opts.dayfirst, options=dict(opts.options), convert_identifiers=True,
            finished_reading=finished_reading, table_ready=table_ready,
            data=whole.data if whole is not None else None,
        )
        del whole  # (the bytes live as long as the parser keeps them, no longer)
        with _timed(path, "parse"):
            result = guarded_parse(parser, path, ctx, debug=debug)
        ctx.data = None  # (freed here, not when the parser has read its table: freed earlier, the
        # bench process's peak memory rose by ~500 MB, 2.87 against 2.41 GB, measured)
        finished_reading()
        after: Future[str] | FileIdentity = started[0] if identity is None else identity
        try:
            outcome, staged = _finish(case, path, opts, parser, result, outcome, ctx, owner_uri, owner_uris,
                                      owner_names, sha_before, after, started[0] if recent else None,
                                      events_ready=events_ready)
            if staged is not None:
                with _timed(path, "store write"):
                    staged.encoded = _encoded_tables(staged, tables)
            return outcome, staged
        except AtlasError:
            raise
        except (Exception, pl.exceptions.PanicException) as exc:  # still the boundary: duplicate refs, values the schema refuses
            if debug:
                raise
            raise FormatError(boundary_message(path, parser, "in its output (normalisation)", exc)) from exc


def _encoded_tables(staged: StagedSource,
                    tables: dict[str, tuple[pl.DataFrame, Future[Encoded]]]) -> dict[str, Encoded]:
    """The tables encoded while the parse and staging went on, by folder (``events``,
    ``extra/<name>``): only those ``staged`` holds as the very frame that was encoded (anything
    else is encoded at the commit)."""
    def holds(table: str) -> pl.DataFrame | None:
        return staged.events if table == "events" else staged.extra.get(table.removeprefix("extra/"))

    return {table: encoding.result() for table, (frame, encoding) in tables.items() if holds(table) is frame}


def _finish(
    case: Case, path: Path, opts: IngestOptions, parser: ParserModule, result: ParseResult, outcome: SourceOutcome,
    ctx: ParseContext, owner_uri: str | None, owner_uris: list[str], owner_names: list[str], sha_before: str,
    after: Future[str] | FileIdentity, rehash: Future[str] | None = None,
    events_ready: Callable[[pl.DataFrame], None] | None = None,
) -> tuple[SourceOutcome, StagedSource | None]:
    manifest, source_id, zone = case.manifest, ctx.source_id, ctx.timezone
    assumptions = [shown(a) for a in result.assumptions]
    if result.region:
        region = result.region.upper()
    else:
        choice = region_from_events(result, ctx)
        region = choice.region if choice else ctx.region
        if choice:
            assumptions.append(choice.assumption)
    owner_assumed: OwnerAssumption | None = None
    if result.owner and not owner_uri:
        owner_uri = identifier_uri(result.owner, source_id=source_id, region=region)
        owner_uris = [owner_uri]
        holder = None
        for party in manifest.parties:
            if owner_uri in party.identifiers:
                owner_uris, owner_names, holder = list(party.identifiers), list(party.display_names), party.id
        owner_assumed = OwnerAssumption("source", holder, owner_uri, f"device owner {owner_uri} as stated in the source")
    elif opts.owner:
        holder = next((p.id for p in manifest.parties if p.id == opts.owner or (owner_uri and owner_uri in p.identifiers)), None)
        owner_assumed = OwnerAssumption("instructed", holder, "" if opts.owner == holder else owner_uri or opts.owner,
                                        f"owner {opts.owner} as instructed (--owner)")
    if owner_assumed is not None:
        assumptions.append(owner_assumed.recorded)
    owner_uris = owner_uris + [f"name:{source_id}:{n}" for n in owner_names]
    with _timed(path, "normalise"):
        normalised = to_events(result.events, source_id=source_id, timezone=zone, region=region,
                               owner_uris=owner_uris, identifiers_are_uris=result.identifiers_are_uris,
                               refs_unique=result.refs_unique)
    if events_ready is not None:  # final: encoded for the store beside what follows
        events_ready(normalised.events)
    basis = normalised.events.get_column("ts_basis")  # an Enum: compared without casting 2 M values to text
    if basis.is_in(pl.Series(["local", "ambiguous", "nonexistent"], dtype=basis.dtype).implode()).any():
        assumptions.append(f"wall-clock times read as {zone}")
    rejects = pl.concat([
        conform(result.rejects.with_columns(pl.lit(source_id).alias("source_id")), REJECT_SCHEMA),
        normalised.rejects,
    ])
    n_events, n_rejects = normalised.events.height, rejects.height
    if result.records_read != n_events + n_rejects:
        raise AtlasError(
            f"{shown(path)}: accounting failed: {result.records_read} records read but {n_events} events + "
            f"{n_rejects} rejects (parser {parser.INFO.name} {parser.INFO.version} bug; nothing was stored)"
        )
    if isinstance(after, FileIdentity):  # read whole: the bytes hashed were the bytes parsed
        with _timed(path, "check after"):
            _check_identity(path, after)
            again = rehash.result() if rehash is not None else sha_before  # (a file changed just before it was opened)
        if again != sha_before:
            raise StoreError(f"{shown(path)}: the file changed while it was being read (SHA-256 of the bytes read "
                             f"{sha_before}, of the file after {again})")
        sha_after = ""
    else:
        with _timed(path, "hash after"):
            sha_after = after.result()
        if sha_after != sha_before:
            raise StoreError(f"{shown(path)}: the file changed while it was being read (SHA-256 before {sha_before}, "
                             f"after {sha_after})")
    _check_companions_unchanged(path, outcome.companions)
    outcome.sha256_after = sha_after
    outcome.format = parser.INFO.description
    outcome.parser, outcome.parser_version = parser.INFO.name, parser.INFO.version
    outcome.records_read, outcome.events, outcome.rejects = result.records_read, n_events, n_rejects
    outcome.owner, outcome.assumptions = owner_uri, assumptions
    source_row: dict[str, object] = {
        "source_id": source_id, "path": shown(path.resolve()), "path_bytes": path_bytes(path.resolve()),
        "name": shown(path.name), "size": path.stat().st_size,
        "sha256": sha_before, "format": parser.INFO.description, "parser": parser.INFO.name,
        "parser_version": parser.INFO.version, "owner": owner_uri, "region": region, "timezone": zone,
        "assumptions": assumptions, "records_read": result.records_read, "events": n_events, "rejects": n_rejects,
        "companions": outcome.companions,
        "owner_assumption": owner_assumed.to_row() if owner_assumed is not None else None,
    }
    with _timed(path, "normalise"):
        evidence = _normalise_evidence(result.evidence, source_id, region)
    staged = StagedSource(
        source=source_row, events=normalised.events, rejects=rejects,
        evidence=evidence, extra=dict(result.extra),
        audit={
            "path": outcome.path, "sha256": sha_before, **({"sha256_after": sha_after} if sha_after else {}),
            "hash_basis": outcome.hash_basis, "source_id": source_id,
            "parser": parser.INFO.name, "parser_version": parser.INFO.version, "records_read": result.records_read,
            "events": n_events, "rejects": n_rejects, "software": installed_versions(),
        } | ({"replace": True} if opts.replace else {}) | ({"companions": outcome.companions} if outcome.companions else {}),
    )
    return outcome, staged


def stage_one(case: Case, path: Path, explicit: bool, opts: IngestOptions,
              debug: bool = False) -> tuple[SourceOutcome, StagedSource | None]:
    """One file of an ingest, parsed and normalised, not committed: what ``atlas ingest``
    does per file, and what ``atlas batch`` runs as one task per source (:mod:`atlas.batch`).

    A file found in a folder (``explicit`` False) that no parser takes (a
    :class:`~atlas.errors.NotASourceError`: not recognised, empty or special)
    or that is an SQLite companion, is skipped with the reason; any other failure (a
    parser took the file and could not read it) raises, or with ``keep_going`` is an
    outcome ``failed``.
    """
    companion = sqlite_companion_of(path)
    if companion is not None and not explicit:
        return SourceOutcome(path=shown(path), status="skipped", notable=False, message=(
            f"SQLite {path.name.rsplit('-', 1)[1]} file of {shown(companion.name)}: not a source on its own "
            "(a -wal or hot -journal is read and hashed with the database; a -shm is only the WAL's index)")), None
    try:
        return ingest_file(case, path, opts, debug=debug)
    except FormatError as exc:
        text = shown(str(exc))
        if not explicit and isinstance(exc, NotASourceError):  # typed where raised: no parser takes the file
            return SourceOutcome(path=shown(path), status="skipped", message=shown(exc.reason)), None
        if not opts.keep_going:
            raise
        return SourceOutcome(path=shown(path), status="failed", message=text), None
    except AtlasError as exc:
        if not opts.keep_going:
            raise
        return SourceOutcome(path=shown(path), status="failed", message=shown(str(exc))), None


def commit_staged(case: Case, staged_files: Iterable[tuple[SourceOutcome, StagedSource | None]],
                  replace: bool = False) -> list[SourceOutcome]:
    """Commit the staged files of one ingest together, in the order given (with each
    source's ingest audit row and its exhibit number, atomically)."""
    outcomes: list[SourceOutcome] = []
    staged: list[StagedSource] = []
    seen: set[str] = set()
    for outcome, stage in staged_files:
        if stage is not None and stage.source_id in seen:
            outcome.status, outcome.message = "already", "same content as another file in this ingest"
            stage = None
        if stage is not None:
            seen.add(stage.source_id)
            staged.append(stage)
        outcomes.append(outcome)
    with _timed(str(staged[0].source["path"]) if staged else "(nothing staged)", "store write"):
        case.commit(staged, replace=replace)  # with each source's ingest audit row and exhibit number, atomically
    return outcomes


def skipped_entry(path: Path, reason: str, notable: bool) -> tuple[SourceOutcome, None]:
    """A walked entry that is not read (a special file, a symbolic link ...), as an outcome."""
    return SourceOutcome(path=shown(path), status="skipped", message=reason, notable=notable), None


def ingest(
    case: Case,
    paths: Iterable[Path],
    opts: IngestOptions,
    *,
    debug: bool = False,
    on_file: Callable[[Path], None] | None = None,
) -> list[SourceOutcome]:
    """Ingest files (folders are walked); commit all of them, or none on error.

    Every entry of a walked folder that is not read is listed as ``skipped`` with the
    reason (a special file, a symbolic link, an unknown format, an empty file, a detector
    that failed); a file or folder the operating system would not let Atlas read is a
    failure (:class:`~atlas.errors.SourceReadError`), never a skip; :func:`needs_attention` says whether
    any of them is one a person must look at.
    """
    staged: list[tuple[SourceOutcome, StagedSource | None]] = []
    for entry in walk(paths):
        if entry.skip:
            staged.append(skipped_entry(entry.path, entry.skip, entry.notable))
            continue
        if on_file:
            on_file(entry.path)
        staged.append(stage_one(case, entry.path, entry.explicit, opts, debug=debug))
    return commit_staged(case, staged, replace=opts.replace)
