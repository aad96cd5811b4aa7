"""The edge of the exports: read the case, call one exporter, write the file, audit it.

Files are written to a temporary file beside the target and moved into place, so a
failed export never leaves half a file; they are owner-only like everything Atlas writes
(the process umask, :mod:`atlas.permissions`). Each export is one ``export`` row in the
case's audit log: the target, the file, its SHA-256, the identity links followed and the
counts, so what left the case is on record.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from atlas.errors import AtlasError

from . import SUFFIXES, TARGETS
from .inputs import ExportContext, gather

if TYPE_CHECKING:
    from atlas.store import Case


@dataclass(frozen=True)
class ExportOutcome:
    target: str
    path: Path
    sha256: str
    identity: str
    """The links followed by their ledger ids (``--json``, machine use; unchanged)."""
    counts: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    identity_shown: str = ""
    """The same, each link by its two sides as people read them (``Simon Suspect (suspect) = tel:…``),
    never its ledger id: the terminal's line."""

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "path": str(self.path), "sha256": self.sha256, "identity": self.identity,
                "counts": self.counts, "notes": list(self.notes)}


def write_atomic(path: Path, data: bytes | Iterable[bytes]) -> str:
    """Write ``data`` (or its chunks, one after the other) to ``path`` all or nothing;
    returns its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in [data] if isinstance(data, bytes) else data:
                fh.write(chunk)
                digest.update(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def _timesketch(case: Case, ctx: ExportContext, *, plain: bool = False,
                ) -> tuple[bytes | Iterable[bytes], dict[str, int], tuple[str, ...]]:
    """The Timesketch JSONL; by default one time window of events at a time
    (:func:`.timesketch.build_bounded`, for a case of any size), the same bytes as
    ``plain=True``, the whole case collected and written at once (:func:`.timesketch.build`)."""
    from .timesketch import build, build_bounded

    if plain:
        doc = build(case.events().collect(), case.sources(), ctx)
        data: bytes | Iterable[bytes] = doc.text.encode("utf-8")
        lines, untimed = doc.lines, doc.untimed
    else:
        bounded = build_bounded(case.events(), case.sources(), ctx)
        data = (chunk.encode("utf-8") for chunk in bounded.chunks)
        lines, untimed = bounded.lines, bounded.untimed
    notes = tuple(f"{n} {kind} record(s) have no time and are not on the timeline" for kind, n in untimed.items())
    return data, {"events": lines, "untimed": sum(untimed.values())}, notes


def _case_uco(case: Case, ctx: ExportContext) -> tuple[bytes, dict[str, int], tuple[str, ...]]:
    from atlas.store.continuity import read_all
    from atlas.store.integrity import read_manifest

    from .case_uco import AuditEntry, ContinuityNote, SourceFile, build, dumps

    sources = []
    for r in case.sources().iter_rows(named=True):
        comps = tuple((str(c["name"]), str(c["role"]), int(c["size"]), str(c["sha256"])) for c in r["companions"] or [])
        sources.append(SourceFile(r["source_id"], r["name"], r["path"], int(r["size"]), r["sha256"], r["parser"],
                                  r["parser_version"], int(r["records_read"]), int(r["events"]), int(r["rejects"]), comps))
    audit = [AuditEntry(int(str(a["seq"])), str(a["at"]), str(a["action"]), dict(a["detail"]))
             for a in case.audit_log() if isinstance(a["detail"], dict)]
    sealed = read_manifest(case.store)
    files = {k: v for k, v in (sealed.files if sealed else {}).items() if k != "sources.parquet"}
    continuity = {sha: ContinuityNote(c.supplied_by, c.received.isoformat() if c.received else "", c.seal)
                  for sha, c in read_all(case).items()}
    doc = build(ctx, sources, audit, files, continuity)
    graph = doc["@graph"]
    counts = {"nodes": len(graph), "files": sum(1 for n in graph if n["@type"] == "uco-observable:File"),
              "actions": sum(1 for n in graph if n["@type"] == "case-investigation:InvestigativeAction")}
    return dumps(doc).encode("utf-8"), counts, ()


I2_MAX_CONTACTS: Final = 250_000
"""Contacts above which no i2 chart is written: each contact is one link, and a chart of
hundreds of thousands of links neither opens usefully in Analyst's Notebook nor is read by
anyone; the refusal names the size and ``--party`` (one person's contacts)."""

GEO_MAX_POSITIONS: Final = {"geojson": 1_000_000, "kml": 100_000}
"""Positions above which no map file is written (one feature or placemark each): Google
Earth struggles past about a hundred thousand placemarks, GIS tools past a few million
features; the refusal names the size and how to write the positions as a table instead."""


def _i2_contacts(case: Case, ctx: ExportContext, party: str | None) -> tuple[pl.DataFrame, str]:
    """The contacts the chart draws (one person's with ``party``), refused above
    :data:`I2_MAX_CONTACTS`; inside :func:`atlas.stream.streaming` counted per source first,
    collected only when the chart will be written."""
    from atlas.contacts import case_contacts, party_hit
    from atlas.stream import bounded

    hit = None
    about = ""
    if party is not None:
        from atlas.identity.select import select_party

        selection = select_party(case, party, include_proposed=ctx.policy.include_proposed)
        hit = party_hit(selection.party, selection.identifiers)
        about = f" involving {party}"
    if bounded():
        from atlas.stream.contacts import bounded_contacts

        parts = bounded_contacts(case, include_proposed=ctx.policy.include_proposed)
        if hit is not None:
            parts = parts.filter(hit)
        n = parts.count()[0]
        _refuse_i2(n, about)
        return pl.concat(list(parts.windows())), about
    contacts = case_contacts(case, include_proposed=ctx.policy.include_proposed)
    if hit is not None:
        contacts = contacts.filter(hit)
    _refuse_i2(contacts.height, about)
    return contacts, about


def _refuse_i2(n: int, about: str) -> None:
    if n > I2_MAX_CONTACTS:
        raise AtlasError(
            f"the case has {n:,} de-duplicated contacts{about}: an i2 chart draws one link per contact, and a chart of "
            f"more than {I2_MAX_CONTACTS:,} links does not open usefully in Analyst's Notebook, so none was written. "
            "Export one person's contacts with --party WHO (a party id or name from case.toml, or an identifier), "
            "or see who contacts whom with `atlas graph` (its summary is bounded on any size of case)")


def _i2(case: Case, ctx: ExportContext, party: str | None = None) -> tuple[bytes, dict[str, int], tuple[str, ...]]:
    from .i2 import build, to_bytes, validate

    contacts, about = _i2_contacts(case, ctx, party)
    ingests = [str(a["at"]) for a in case.audit_log() if a["action"] == "ingest"]
    created = max(ingests)[:19] if ingests else "2000-01-01T00:00:00"
    built = build(contacts, ctx, created=created)
    problems = validate(built.chart)
    if problems:
        raise AtlasError(f"the i2 chart did not pass the writer's validation: {problems[0]} ({len(problems)} problem(s))")
    notes = (f"only the contacts{about} (--party)",) if about else ()
    return to_bytes(built.chart), {"contacts": contacts.height, "entities": built.entities, "links": built.links}, notes


def geo_inputs(case: Case, ctx: ExportContext, limit: int | None = None) -> tuple[Any, int]:
    """The typed inputs of the GIS exports (and how many positions the case has); refused
    (:class:`AtlasError`) when the case has more than ``limit`` positions."""
    from atlas.conduct.analysis import analyse

    from .geo import GeoInputs, Position

    located = pl.col("lat").is_not_null() & pl.col("lon").is_not_null()
    if limit is not None:  # counted before anything is analysed or collected
        n = int(case.events().filter(located).select(pl.len()).collect(engine="streaming").item())
        if n > limit:
            raise AtlasError(
                f"the case has {n:,} positions: a map file draws each one, and more than {limit:,} do not open usefully "
                "in a map viewer, so none was written. Write the positions as a table one time window at a time with "
                "`atlas timeline CASE --kind location --party WHO --from DAY --to DAY --out FILE.csv` (latitude and "
                "longitude in columns, for a GIS import), narrowing by person or dates as needed")
    result = analyse(case, include_proposed=ctx.policy.include_proposed)
    view = result.with_proposed if ctx.policy.include_proposed and result.with_proposed is not None else result
    owners = dict(case.sources().select("source_id", "owner").iter_rows())
    from atlas.exhibits import record_ref_expr

    pos = (case.events().filter(located)
           .select("event_id", "source_id", "source_ref", pl.col("kind").cast(pl.String), "channel", "ts_utc", "lat", "lon",
                   "accuracy_m")
           .collect().with_columns(record_ref_expr(ctx.refs).alias("record")))
    positions = []
    for r in pos.iter_rows(named=True):
        owner = ctx.owners.get(owners.get(r["source_id"]) or "")
        positions.append(Position(r["event_id"], r["record"] or r["event_id"], r["kind"], r["channel"], r["ts_utc"],
                                  float(r["lat"]), float(r["lon"]), r["accuracy_m"],
                                  owner.party if owner else None, owner.status if owner else None))
    points = {r[0]: (float(r[1]), float(r[2])) for r in pos.select("event_id", "lat", "lon").iter_rows()}
    geo = GeoInputs(tuple(positions), case.manifest.places, case.manifest.orders, view.colocations, view.breaches, points,
                    view.colocation_reviews)
    return geo, len(positions)


def _geo(case: Case, ctx: ExportContext, kml: bool) -> tuple[bytes, dict[str, int], tuple[str, ...]]:
    from .geo import geojson_document, geojson_text, kml_document

    geo, n = geo_inputs(case, ctx, GEO_MAX_POSITIONS["kml" if kml else "geojson"])
    data = kml_document(geo, ctx) if kml else geojson_text(geojson_document(geo, ctx)).encode("utf-8")
    counts = {"positions": n, "places": len(geo.places), "co_locations": len(geo.colocations),
              "zone_breaches": sum(1 for b in geo.breaches if b.kind == "exclusion-zone")}
    confirmed_zone = sum(1 for b in geo.breaches if b.kind not in ("contact", "exclusion-zone"))
    if confirmed_zone:  # possible breaches an officer confirmed, drawn apart (atlas.export.geo)
        counts["zone_breaches_confirmed_possible"] = confirmed_zone
    for state in ("confirmed", "open", "dismissed"):  # possible co-locations, where the case has any
        n = sum(1 for p in geo.possible if p.state == state)
        if n:
            counts[f"possible_co_locations_{state}"] = n
    notes = (f"{counts['possible_co_locations_dismissed']} possible co-location(s) dismissed by an officer are not "
             "drawn (the header counts them)",) if "possible_co_locations_dismissed" in counts else ()
    return data, counts, notes


def integrity(case: Case, *, unverified: bool) -> str | None:
    """None when the case verifies; else a refusal naming the first problem, or (``unverified``)
    the notice every exported document carries: what leaves the case is evidence, as a report
    is, so the rule is the report's (:func:`atlas.store.verify.refusal_or_notice`)."""
    from atlas.store.verify import refusal_or_notice

    return refusal_or_notice(case, anyway=unverified, verb="exported",
                             refused="nothing was exported (--unverified exports anyway, and the document then says so)")


def export(case: Case, target: str, out: Path, *, include_proposed: bool = False,
           unverified: bool = False, plain: bool = False, party: str | None = None) -> ExportOutcome:
    """Write ``case`` as ``target`` to ``out`` and record it in the audit log (``plain``:
    the Timesketch file from every event collected at once, the rule its bounded writing
    is tested equal to)."""
    if target not in TARGETS:
        raise AtlasError(f"--to {target!r}: not a target (choose from {', '.join(TARGETS)})")
    if out.is_dir():
        raise AtlasError(f"{out}: is a folder; give the file to write")
    if party is not None and target != "i2":
        raise AtlasError(f"--party applies to --to i2 only (a {target} export holds the whole case)")
    notice = integrity(case, unverified=unverified)
    ctx = replace(gather(case, include_proposed=include_proposed), integrity=notice)
    if target == "timesketch":
        data, counts, notes = _timesketch(case, ctx, plain=plain)
    elif target == "case":
        data, counts, notes = _case_uco(case, ctx)
    elif target == "i2":
        data, counts, notes = _i2(case, ctx, party)
    else:
        data, counts, notes = _geo(case, ctx, kml=target == "kml")
    if out.suffix.lower() != SUFFIXES[target]:
        notes += (f"{SUFFIXES[target]} is the suffix {target} readers expect (the file was written as named)",)
    if notice:
        notes = (notice, *notes)
    sha = write_atomic(out, data)
    outcome = ExportOutcome(target, out, sha, ctx.policy.describe(), counts, notes,
                            identity_shown=ctx.policy.describe(ctx.refs, ctx.parties))
    case.audit("export", {"target": target, "path": str(out), "sha256": sha, "identity": ctx.policy.name,
                          "links_followed": [lk.link_id for lk in ctx.policy.links], "counts": counts,
                          "verified": notice is None})
    return outcome


__all__ = ["GEO_MAX_POSITIONS", "I2_MAX_CONTACTS", "ExportOutcome", "export", "geo_inputs", "integrity", "write_atomic"]
