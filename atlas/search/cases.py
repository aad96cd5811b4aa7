"""``atlas search-cases``: where else does this identifier appear?

For each case folder under a root (or each case of a batch manifest):

* a case whose ``case.toml`` says ``cross_case_search = false`` (a protected witness, an
  officer as victim) is counted as "excluded itself" and never opened: only its
  ``case.toml`` is read, to learn that; its folder and reference are not reported;
* otherwise the files the search reads (``sources.parquet`` and each source's events
  partition) are checked against the SHA-256 the store manifest sealed them with: a case
  whose files no longer match is searched but reported ``unverified`` with the first
  problem (the originals are not re-hashed here: that is ``atlas verify``);
* the identifier, and with ``--linked`` every identifier confirmed-linked to it *in that
  case* (the same party by case.toml attribution or confirmed links, or an unresolved
  person joined by confirmed links), is looked for as sender or recipient with a lazy
  Polars scan over the events partitions (filter and aggregate pushed into the scan: the
  events are never loaded whole); proposed links are never followed;
* each identifier found gets its record count, first and last time (UTC, and UK time
  for people), the party it belongs to there (and how we know), the sources that are
  its own device or account, and the orders against that party with whether each is in
  force on the search date and how many of the records found are dated within its period
  (a count, never "breaches": that depends on the order's terms);
* the search is written to the audit log of every case it looked inside (found or not);
* a case that cannot be read is reported with the reason and the search goes on.

:func:`search_case` is one plain function per case: :func:`search` runs it in this
process or on Dask distributed (the batch executors), with the same results.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

import polars as pl

from atlas.errors import AtlasError

Status = Literal["found", "not-found", "unverified", "unreadable", "excluded"]

CASE_FILE: Final = "case.toml"
_URI: Final = re.compile(r"^[a-z][a-z0-9\-]*:.+")
_PHONE: Final = re.compile(r"\+?[\d ()\-]{5,}")


def identifier_of(value: str, *, region: str = "GB") -> str:
    """The identifier as the stores hold it: a URI (``tel:+447700900102``,
    ``instagram:handle``); a number typed as seen (``07700 900102``) is normalised as
    ingest normalises it, with ``region`` for national numbers."""
    from atlas.normalise.identifiers import identifier_uri

    value = value.strip()
    if _PHONE.fullmatch(value):
        value = "phone:" + value
    if value.startswith("phone:"):
        return identifier_uri(value, source_id="", region=region)
    if not _URI.match(value):
        raise AtlasError(f"--identifier {value!r}: not an identifier URI (such as tel:+447700900123 or "
                         "instagram:handle) nor a phone number")
    return value


@dataclass(frozen=True)
class Query:
    identifier: str
    linked: bool = False
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC))
    """The search date: which orders are in force is said as of it."""
    officer: str | None = None
    """``--officer``: who searched, for each case's audit log (default: each case's officer)."""


@dataclass(frozen=True)
class OrderInfo:
    label: str
    against: str
    protects: str
    start: datetime
    end: datetime | None
    in_force: bool
    """In force on the search date (started, not ended)."""
    records_in_period: int = 0
    """Records of the search (the identifiers searched, in this case) dated within the order's
    period, start included, end excluded. Said as a count, never as breaches: whether a
    contact breached the order depends on its terms, which the case's own analysis reads."""

    def to_json(self) -> dict[str, Any]:
        from atlas.normalise.times import uk_display

        return {"order": self.label, "against": self.against, "protects": self.protects,
                "start_utc": self.start.isoformat(), "start_uk": uk_display(self.start),
                "end_utc": self.end.isoformat() if self.end else None, "end_uk": uk_display(self.end) if self.end else None,
                "in_force_on_search_date": self.in_force, "records_in_order_period": self.records_in_period}


@dataclass(frozen=True)
class IdentifierHit:
    """One identifier of the search as one case holds it."""

    uri: str
    how: str
    """``searched``, or why it is part of the search here (``attributed to suspect in case.toml``,
    ``confirmed link l-…``)."""
    records: int
    as_sender: int
    as_recipient: int
    first: datetime | None
    last: datetime | None
    party: str | None
    party_role: str | None
    party_name: str | None
    party_basis: str | None
    """``attributed`` (case.toml) or ``confirmed`` (links, see ``how``)."""
    own_sources: int
    """Sources of the case that are this identifier's own device or account."""
    label: str = ""
    """The identifier as a person reads it (a display name names its exhibit: ``Dan (name in JA/7)``)."""

    def to_json(self) -> dict[str, Any]:
        from atlas.normalise.times import uk_display

        return {"identifier": self.uri, "label": self.label or self.uri, "how": self.how, "records": self.records, "as_sender": self.as_sender,
                "as_recipient": self.as_recipient,
                "first_utc": self.first.isoformat() if self.first else None, "first_uk": uk_display(self.first) or None,
                "last_utc": self.last.isoformat() if self.last else None, "last_uk": uk_display(self.last) or None,
                "party": self.party, "party_role": self.party_role, "party_name": self.party_name,
                "party_basis": self.party_basis, "own_sources": self.own_sources}


@dataclass(frozen=True)
class CaseResult:
    dir: str
    status: Status
    reference: str = ""
    reason: str = ""
    searched: tuple[str, ...] = ()
    """Every identifier looked for in this case (the query, and with --linked what it is linked to)."""
    hits: tuple[IdentifierHit, ...] = ()
    records: int = 0
    """Records holding any of :attr:`searched` (one record between two of them counts once)."""
    first: datetime | None = None
    last: datetime | None = None
    orders: tuple[OrderInfo, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.records or any(h.own_sources for h in self.hits))

    def to_json(self) -> dict[str, Any]:
        from atlas.normalise.times import uk_display

        return {"dir": self.dir, "reference": self.reference, "status": self.status, "reason": self.reason or None,
                "searched": list(self.searched), "records": self.records,
                "first_utc": self.first.isoformat() if self.first else None, "first_uk": uk_display(self.first) or None,
                "last_utc": self.last.isoformat() if self.last else None, "last_uk": uk_display(self.last) or None,
                "identifiers": [h.to_json() for h in self.hits], "orders": [o.to_json() for o in self.orders]}


@dataclass(frozen=True)
class SearchReport:
    query: Query
    root: str
    results: tuple[CaseResult, ...]
    engine: str = "local"
    skipped: tuple[tuple[str, str], ...] = ()
    """What the walk of the root could not look into (path, why)."""

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def excluded(self) -> int:
        return self.count("excluded")

    def to_json(self) -> dict[str, Any]:
        shown = [r for r in self.results if r.status != "excluded"]
        return {
            "identifier": self.query.identifier, "linked": self.query.linked,
            "links_followed": "case.toml attributions and confirmed links in each case" if self.query.linked
            else "none (the identifier only; its party in each case is still named)",
            "search_date_utc": self.query.as_of.isoformat(), "root": self.root, "engine": self.engine,
            "cases": len(self.results), "found": sum(1 for r in shown if r.status in ("found", "unverified") and r.found),
            "not_found": sum(1 for r in shown if not r.found and r.status in ("not-found", "unverified")),
            "unverified": self.count("unverified"), "unreadable": self.count("unreadable"),
            "excluded_themselves": self.excluded,
            "not_searched": [{"path": p, "why": why} for p, why in self.skipped],
            "results": [r.to_json() for r in shown],
        }


# --- finding the cases -------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """The case folders a root holds, and what the walk could not look into (never silently)."""

    dirs: tuple[Path, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    """(path, why): folders that could not be listed, symbolic links not followed."""


def case_dirs(root: Path) -> Found:
    """Every case folder (one holding ``case.toml``) under ``root``, not looking inside a
    case folder; or, when ``root`` is a file, the cases of that batch manifest."""
    if root.is_file():
        from atlas.batch.manifest import parse_batch

        try:
            text = root.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AtlasError(f"{root}: cannot be read as a batch manifest ({exc})") from exc
        return Found(tuple(spec.dir for spec in parse_batch(text, root).cases))
    if not root.is_dir():
        raise AtlasError(f"{root}: no such folder or batch manifest")
    found: list[Path] = []
    skipped: list[tuple[str, str]] = []

    def unreadable(exc: OSError) -> None:
        skipped.append((str(exc.filename), f"cannot be listed ({exc.strerror or exc})"))

    for here, dirs, files in os.walk(root, followlinks=False, onerror=unreadable):
        if CASE_FILE in files:
            found.append(Path(here))
            dirs[:] = []   # a case's own folders (store, evidence, outputs) hold no cases
            continue
        for d in dirs:
            if os.path.islink(os.path.join(here, d)):
                skipped.append((os.path.join(here, d), "symbolic link, not followed (search its target instead)"))
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(here, d)))
    return Found(tuple(sorted(found)), tuple(sorted(skipped)))


# --- one case ----------------------------------------------------------------------


def _sealed_problem(store: Path, source_ids: Sequence[str]) -> str | None:
    """The first file the search reads that no longer matches the store manifest, if any."""
    from atlas.store.hashing import sha256_file
    from atlas.store.integrity import MANIFEST_FILE, read_manifest

    sealed = read_manifest(store)
    if sealed is None:
        return f"{store / MANIFEST_FILE}: missing, so the store's files cannot be checked"
    for rel in ["sources.parquet", *(f"events/{sid}.parquet" for sid in source_ids)]:
        want = sealed.files.get(rel)
        path = store / rel
        if want is None:
            return f"{path}: not recorded in the store manifest"
        if not path.exists():
            return f"{path}: recorded in the store manifest but missing"
        if sha256_file(path) != want:
            return f"{path}: changed since it was committed (SHA-256 no longer the sealed one)"
    return None


def _scan(files: Sequence[Path], ids: Sequence[str], periods: Sequence[tuple[datetime, datetime | None]] = ()
          ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(per identifier: records, as sender, as recipient, first, last; all: records, first, last,
    and ``period_<i>``: the records dated within each of ``periods`` (start included, end not))."""
    lf = pl.scan_parquet(list(files)).select("sender", "recipients", "ts_utc")
    hit = pl.col("sender").is_in(ids) | pl.col("recipients").list.eval(pl.element().is_in(ids)).list.any()
    rows = lf.filter(hit)
    per = (rows.with_columns(pl.concat_list(pl.col("sender"), pl.col("recipients")).list.unique().alias("who"))
           .explode("who").filter(pl.col("who").is_in(ids))
           .group_by("who")
           .agg(pl.len().alias("records"), (pl.col("sender") == pl.col("who")).sum().alias("as_sender"),
                pl.col("recipients").list.contains(pl.col("who")).sum().alias("as_recipient"),
                pl.col("ts_utc").min().alias("first"), pl.col("ts_utc").max().alias("last"))
           .sort("who"))
    within = [((pl.col("ts_utc") >= start) & (pl.col("ts_utc") < end) if end is not None
               else pl.col("ts_utc") >= start).sum().alias(f"period_{i}") for i, (start, end) in enumerate(periods)]
    total = rows.select(pl.len().alias("records"), pl.col("ts_utc").min().alias("first"),
                        pl.col("ts_utc").max().alias("last"), *within)
    a, b = pl.collect_all([per, total])
    return a, b


def _in_force(start: datetime, end: datetime | None, at: datetime) -> bool:
    return start <= at and (end is None or at < end)


def search_case(case_dir: Path, query: Query) -> CaseResult:
    """Search one case; never raises for a case that cannot be read (it says why)."""
    try:
        return _search_case(case_dir, query)
    except (AtlasError, OSError, sqlite3.Error, pl.exceptions.PolarsError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return CaseResult(str(case_dir), "unreadable", reason=f"{type(exc).__name__}: {reason}"[:500])
    except Exception as exc:  # one odd case never stops a search of a hundred: it is named, the rest go on
        return CaseResult(str(case_dir), "unreadable",
                          reason=f"unexpected {type(exc).__name__} (a bug: please report it): {exc}"[:500])


def _search_case(case_dir: Path, query: Query) -> CaseResult:
    from atlas.identity import resolve
    from atlas.store import Case
    from atlas.store.manifest import load_manifest

    manifest = load_manifest(case_dir / CASE_FILE)   # only case.toml: enough to learn the case excluded itself
    if not manifest.cross_case_search:
        return CaseResult(str(case_dir), "excluded")
    case = Case.open(case_dir, officer=query.officer)
    sources = case.sources()
    sids = sources.get_column("source_id").to_list()
    problem = _sealed_problem(case.store, sids) if sids else None
    resolution = resolve(case, include_proposed=False)
    uri = query.identifier
    party = resolution.owner.get(uri)
    reasons: dict[str, str] = {uri: "searched"}
    if query.linked:
        if party is not None:
            for other, claim in resolution.claims.get(party, {}).items():
                if other != uri:
                    reasons[other] = (f"attributed to {party} in case.toml" if claim.status == "attributed"
                                      else f"confirmed link{'s' if len(claim.link_ids) > 1 else ''} "
                                           f"{', '.join(claim.link_ids)} ({claim.basis}) to {party}")
        elif uri in resolution.groups:
            group = resolution.groups[uri]
            for other, g in resolution.groups.items():
                if g == group and other != uri:
                    reasons[other] = "confirmed link(s) to the searched identifier (a person not in case.toml)"
    ids = sorted(reasons)
    files = [case.store / "events" / f"{sid}.parquet" for sid in sids]
    periods = [(o.start, o.end) for o in case.manifest.orders]
    if files:
        per, total = _scan(files, ids, periods)
    else:
        per, total = pl.DataFrame(), pl.DataFrame({"records": [0], "first": [None], "last": [None],
                                                   **{f"period_{i}": [0] for i in range(len(periods))}})
    counts = {r["who"]: r for r in per.iter_rows(named=True)}
    owned = {o: n for o, n in sources.group_by("owner").len().iter_rows() if o in reasons}
    parties = {p.id: p for p in case.manifest.parties}
    from atlas.exhibits import identifier_label, source_refs

    refs = source_refs(case)
    hits = []
    for u in ids:
        c = counts.get(u)
        owner = resolution.owner.get(u)
        if c is None and not owned.get(u):
            continue
        held = resolution.claims.get(owner, {}).get(u) if owner else None
        p = parties.get(owner) if owner else None
        hits.append(IdentifierHit(
            u, reasons[u], int(c["records"]) if c else 0, int(c["as_sender"]) if c else 0,
            int(c["as_recipient"]) if c else 0, c["first"] if c else None, c["last"] if c else None,
            owner, p.role if p else None, (p.name or None) if p else None, held.status if held else None,
            int(owned.get(u, 0)), identifier_label(refs, u)))
    found_parties = {h.party for h in hits if h.party}
    orders = tuple(sorted(
        (OrderInfo(o.label, o.against, o.protects, o.start, o.end, _in_force(o.start, o.end, query.as_of),
                   int(total.get_column(f"period_{i}")[0] or 0))
         for i, o in enumerate(case.manifest.orders) if o.against in found_parties),
        key=lambda o: (o.start, o.label)))
    records = int(total.get_column("records")[0])
    result = CaseResult(
        str(case_dir), "unverified" if problem else ("found" if records or hits else "not-found"),
        reference=case.manifest.reference, reason=f"UNVERIFIED: {problem}" if problem else "",
        searched=tuple(ids), hits=tuple(hits), records=records,
        first=total.get_column("first")[0], last=total.get_column("last")[0], orders=orders)
    case.audit("search-cases", {"identifier": uri, "linked": query.linked, "searched": list(ids),
                                "records": records, "found": result.found, "verified": problem is None,
                                "search_date": query.as_of.isoformat()})
    return result


# --- many cases --------------------------------------------------------------------


def search(root: Path, query: Query, *, engine: str = "local", address: str | None = None,
           workers: int | None = None, dirs: Iterable[Path] | None = None) -> SearchReport:
    """Search every case under ``root`` (or of the batch manifest ``root``), one task per case."""
    from atlas.batch.executors import make_executor

    found = Found(tuple(sorted(dirs))) if dirs is not None else case_dirs(root)
    targets = list(found.dirs)
    executor = make_executor(engine, address, workers)
    try:
        handles = [executor.submit(f"search-{i}", search_case, d, query) for i, d in enumerate(targets)]
        where = {id(h): d for h, d in zip(handles, targets, strict=True)}
        results = []
        for h in executor.as_completed(handles):
            ok, value = executor.outcome(h)
            results.append(value if ok else CaseResult(str(where[id(h)]), "unreadable",
                                                       reason=f"{type(value).__name__}: {value}"[:500]))
    finally:
        executor.close()
    return SearchReport(query, str(root), tuple(sorted(results, key=lambda r: r.dir)), executor.name, found.skipped)


__all__ = ["CaseResult", "Found", "IdentifierHit", "OrderInfo", "Query", "SearchReport", "case_dirs", "identifier_of",
           "search", "search_case"]
