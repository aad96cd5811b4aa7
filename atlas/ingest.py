"""Ingest: source files → parsed → normalised → accounted for → committed.

Every source is hashed before and after parsing (and opened read-only by its
parser); every record read becomes an event or a reject, and the count is checked
before anything is committed. By default one ``atlas ingest`` is all or nothing:
if any file fails, the store is left exactly as it was and the error names the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

import parsers
from atlas.errors import AtlasError, FormatError, StoreError
from atlas.model import IDENTITY_EVIDENCE_SCHEMA, REJECT_SCHEMA, conform, empty_evidence
from atlas.normalise import to_events
from atlas.normalise.identifiers import identifier_map, identifier_uri
from atlas.normalise.times import check_zone
from atlas.provenance import installed_versions
from atlas.source_walk import check_regular, path_bytes, shown, walk
from atlas.store import Case, StagedSource
from atlas.store.hashing import sha256_file, source_id_for
from atlas.store.manifest import Manifest
from parsers.base import ParseContext, ParseResult, ParserModule
from parsers.conformance import boundary_message, guarded_parse


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
    """The hash again after parsing: equal to ``sha256`` or the ingest fails."""
    format: str = ""
    parser: str = ""
    parser_version: str = ""
    records_read: int = 0
    events: int = 0
    rejects: int = 0
    owner: str | None = None
    assumptions: list[str] = field(default_factory=list)
    message: str = ""
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


def ingest_file(case: Case, path: Path, opts: IngestOptions, debug: bool = False) -> tuple[SourceOutcome, StagedSource | None]:
    """Parse and normalise one file; nothing is written to the store here.

    Everything the parser does, and the check and normalisation of what it returns, runs
    inside one error boundary (:mod:`parsers.conformance`): a failure is a
    :class:`FormatError` of one line naming the file, the parser and the place.
    """
    manifest = case.manifest
    check_regular(path)  # a FIFO or device is refused here, before anything opens it
    try:
        sha_before = sha256_file(path)
    except OSError as exc:
        raise FormatError(f"{shown(path)}: cannot be read ({exc.strerror or exc})") from exc
    source_id = source_id_for(sha_before)
    outcome = SourceOutcome(path=shown(path), status="ingested", source_id=source_id, sha256=sha_before)
    if source_id in set(case.source_ids()) and not opts.replace:
        outcome.status = "already"
        row = case.sources().filter(pl.col("source_id") == source_id).row(0, named=True)
        outcome.format, outcome.parser, outcome.parser_version = row["format"], row["parser"], row["parser_version"]
        outcome.records_read, outcome.events, outcome.rejects = row["records_read"], row["events"], row["rejects"]
        outcome.message = f"already in the case as {row['path']}"
        return outcome, None
    parser: ParserModule = parsers.by_name(opts.format) if opts.format else parsers.detect(path)
    zone = check_zone(opts.timezone or manifest.timezone)
    region = (opts.region or manifest.region).upper()
    owner_uri, owner_uris, owner_names = owner_identity(manifest, opts.owner)
    ctx = ParseContext(
        source_id=source_id, path=path, timezone=zone, region=region, owner=owner_uri,
        dayfirst=opts.dayfirst, options=dict(opts.options),
    )
    result = guarded_parse(parser, path, ctx, debug=debug)
    # The parser has finished reading: hash the file again while normalising (hashlib and
    # Polars both release the GIL, so on a big source the two overlap).
    with ThreadPoolExecutor(max_workers=1) as pool:
        after = pool.submit(sha256_file, path)
        try:
            return _finish(case, path, opts, parser, result, outcome, ctx, owner_uri, owner_uris, owner_names,
                           sha_before, after)
        except AtlasError:
            raise
        except Exception as exc:  # still the boundary: duplicate refs, values the schema refuses
            if debug:
                raise
            raise FormatError(boundary_message(path, parser, "in its output (normalisation)", exc)) from exc


def _finish(
    case: Case, path: Path, opts: IngestOptions, parser: ParserModule, result: ParseResult, outcome: SourceOutcome,
    ctx: ParseContext, owner_uri: str | None, owner_uris: list[str], owner_names: list[str], sha_before: str,
    after: Future[str],
) -> tuple[SourceOutcome, StagedSource | None]:
    manifest, source_id, zone = case.manifest, ctx.source_id, ctx.timezone
    region = ctx.region
    region = (result.region or region).upper()
    assumptions = [shown(a) for a in result.assumptions]
    if result.owner and not owner_uri:
        owner_uri = identifier_uri(result.owner, source_id=source_id, region=region)
        owner_uris = [owner_uri]
        for party in manifest.parties:
            if owner_uri in party.identifiers:
                owner_uris, owner_names = list(party.identifiers), list(party.display_names)
        assumptions.append(f"device owner {owner_uri} as stated in the source")
    elif opts.owner:
        assumptions.append(f"owner {opts.owner} as instructed (--owner)")
    owner_uris = owner_uris + [f"name:{source_id}:{n}" for n in owner_names]
    normalised = to_events(result.events, source_id=source_id, timezone=zone, region=region, owner_uris=owner_uris,
                           identifiers_are_uris=result.identifiers_are_uris, refs_unique=result.refs_unique)
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
    sha_after = after.result()
    if sha_after != sha_before:
        raise StoreError(f"{shown(path)}: the file changed while it was being read (SHA-256 before {sha_before}, after {sha_after})")
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
    }
    staged = StagedSource(
        source=source_row, events=normalised.events, rejects=rejects,
        evidence=_normalise_evidence(result.evidence, source_id, region), extra=dict(result.extra),
        audit={
            "path": outcome.path, "sha256": sha_before, "sha256_after": sha_after, "source_id": source_id,
            "parser": parser.INFO.name, "parser_version": parser.INFO.version, "records_read": result.records_read,
            "events": n_events, "rejects": n_rejects, "software": installed_versions(),
        } | ({"replace": True} if opts.replace else {}),
    )
    return outcome, staged


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
    reason (a special file, a symbolic link, a name that cannot be read, an unknown
    format, an empty file, a detector that failed); :func:`needs_attention` says whether
    any of them is one a person must look at.
    """
    outcomes: list[SourceOutcome] = []
    staged: list[StagedSource] = []
    seen: set[str] = set()
    for entry in walk(paths):
        path, explicit = entry.path, entry.explicit
        if entry.skip:
            outcomes.append(SourceOutcome(path=shown(path), status="skipped", message=entry.skip, notable=entry.notable))
            continue
        if on_file:
            on_file(path)
        companion = sqlite_companion_of(path)
        if companion is not None and not explicit:
            outcomes.append(SourceOutcome(path=shown(path), status="skipped", notable=False, message=(
                f"SQLite {path.name.rsplit('-', 1)[1]} file of {shown(companion.name)}: not a source on its own "
                "(the database's parser says whether it was present and that it was not replayed)")))
            continue
        try:
            outcome, stage = ingest_file(case, path, opts, debug=debug)
        except FormatError as exc:
            text = shown(str(exc))
            if not explicit and ("format not recognised" in text or "the file is empty" in text
                                 or "not a regular file" in text or "cannot be read" in text):
                reason = "empty file" if "the file is empty" in text else text.removeprefix(f"{shown(path)}: ")
                if "format not recognised" in text and "detector failed" not in text:
                    reason = "format not recognised"
                outcomes.append(SourceOutcome(path=shown(path), status="skipped", message=reason))
                continue
            if not opts.keep_going:
                raise
            outcomes.append(SourceOutcome(path=shown(path), status="failed", message=text))
            continue
        except AtlasError as exc:
            if not opts.keep_going:
                raise
            outcomes.append(SourceOutcome(path=shown(path), status="failed", message=shown(str(exc))))
            continue
        if stage is not None and stage.source_id in seen:
            outcome.status, outcome.message = "already", "same content as another file in this ingest"
            stage = None
        if stage is not None:
            seen.add(stage.source_id)
            staged.append(stage)
        outcomes.append(outcome)
    case.commit(staged, replace=opts.replace)  # with each source's ingest audit row, atomically
    if staged:
        from atlas.exhibits import source_refs

        source_refs(case)  # number the new sources as exhibits, in the order received
    return outcomes
