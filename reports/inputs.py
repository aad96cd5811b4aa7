"""Everything the reports need from a case, gathered once, through one door.

The reports read the store and the analyses other packages provide (course of
conduct, identity, graph, de-duplicated contacts, legal rules). Every call into
those packages is made here and nowhere else, so the renderers (HTML, DOCX, charts)
work from one plain :class:`ReportInputs` and never from the analyses' internals.
When an analysis is not installed in this version, the inputs say so in
``unavailable`` and the statement states it, instead of inventing a result.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import polars as pl

from atlas.conduct.time_limit import S2AVerdict
from atlas.model import CONTACT_KINDS, NOT_CONTACT_STATUSES
from atlas.rules import Rules, load_rules
from atlas.store import Case
from atlas.store.manifest import Manifest, Party, attributed_uris

CONTACT_COLUMNS: Final = pl.Schema(
    {  # type: ignore[arg-type]
        "contact_id": pl.String,
        "ts_utc": pl.Datetime("us", "UTC"),
        "kind": pl.String,
        "channel": pl.String,
        "way": pl.String,
        "sender": pl.String,
        "recipient": pl.String,
        "status": pl.String,
        "event_ids": pl.List(pl.String),
    }
)
"""One row per contact between the suspect and the victim's side (``way``:
``from-suspect`` or ``to-suspect``), with every source record that shows it."""


@dataclass(frozen=True)
class IdentifierClaim:
    """Why an identifier is taken to be a party's: the basis and how sure it is."""

    uri: str
    status: str
    """``attributed`` (case.toml), ``confirmed`` or ``proposed`` (identity ledger)."""
    basis: str
    strength: str
    """``officer`` (the officer's attribution), ``proven`` (documentary) or ``inferred``."""
    detail: str = ""


@dataclass
class ReportInputs:
    """A case as the reports see it. Built by :func:`gather`; plain data only."""

    case: Case
    as_of: date | None
    include_proposed: bool
    sources: pl.DataFrame
    audit: list[dict[str, Any]]
    suspect: Party | None
    victim: Party | None
    suspect_ids: dict[str, IdentifierClaim]
    victim_side_ids: dict[str, str]
    owners: dict[str, str]
    """Identifier → party id (identity resolution, or the manifest alone)."""
    """Identifier → the party id it belongs to, for the victim and her network."""
    contacts: pl.DataFrame
    dedupe_rule: str | None
    possible_sms_parts: int
    """Contacts counted that may be parts of one long SMS (:func:`atlas.contacts.possible_sms_parts`)."""
    positions: pl.DataFrame
    """The suspect's device positions, aggregated to a grid (lat, lon, n, first, last)."""
    conduct: dict[str, Any] | None
    conduct_proposed: dict[str, Any] | None
    rules: Rules
    """The legal rules applied (each with its citation): every legal phrase a report prints comes from here."""
    graph: Any | None
    s2a: S2AVerdict | None = None
    """The s2A verdict the conduct analysis gave: on ``as_of`` when given, else the undated
    verdict (the planned date against the deadline), so that the report does not change
    from day to day. Every output of the report renders this one object."""
    identity_links: list[dict[str, Any]] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)
    """Analysis name → why it is missing from this report."""

    @property
    def manifest(self) -> Manifest:
        return self.case.manifest

    @property
    def zone(self) -> str:
        return self.case.manifest.timezone


# --- optional analyses ---------------------------------------------------------------

def _optional(module: str, attribute: str, unavailable: dict[str, str], label: str) -> Any | None:
    """``module.attribute`` when that analysis exists in this installation, else None."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        unavailable[label] = f"{module} is not installed in this version ({exc})"
        return None
    found = getattr(mod, attribute, None)
    if found is None:
        unavailable[label] = f"{module}.{attribute} is not available in this version"
    return found


def _field(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _to_json(result: Any) -> dict[str, Any]:
    if isinstance(result, Mapping):
        return dict(result)
    to_json = getattr(result, "to_json", None)
    if to_json is None:
        raise TypeError(f"conduct result {type(result).__name__} has no to_json()")
    data = to_json()
    if isinstance(data, str):
        import json

        data = json.loads(data)
    return dict(data)


def _party_claims(case: Case, party: Party, include_proposed: bool, unavailable: dict[str, str]) -> dict[str, IdentifierClaim]:
    """The party's identifiers: the officer's attribution, plus ledger links if present."""
    claims = {
        uri: IdentifierClaim(uri, "attributed", "attributed in the case manifest (case.toml)", "officer")
        for uri in sorted(attributed_uris(party, case.source_ids()))
    }
    party_identifiers = _optional("atlas.identity", "party_identifiers", unavailable, "identity")
    if party_identifiers is None:
        return claims
    found = party_identifiers(case, party.id, include_proposed=include_proposed)
    items: Iterable[tuple[str, Any]] = found.items() if isinstance(found, Mapping) else ((_field(c, "uri"), c) for c in found)
    for uri, claim in sorted(items, key=lambda kv: str(kv[0])):
        status = str(_field(claim, "status", "confirmed") or "confirmed")
        if uri in claims or status == "rejected" or (status == "proposed" and not include_proposed):
            continue
        links = _field(claim, "link_ids", ()) or ()
        detail = str(_field(claim, "description", "") or "")
        if links:
            detail = f"{detail} (ledger links {', '.join(map(str, links))})".strip()
        claims[str(uri)] = IdentifierClaim(
            uri=str(uri), status=status, basis=str(_field(claim, "basis", "") or ""),
            strength=str(_field(claim, "strength", "") or ""), detail=detail,
        )
    return claims


def owner_map(case: Case, include_proposed: bool, unavailable: dict[str, str]) -> dict[str, str]:
    """Identifier → party id: identity resolution when installed, else the manifest alone."""
    mapper = _optional("atlas.identity", "identifier_owner_map", unavailable, "identity")
    if mapper is not None:
        return dict(mapper(case, include_proposed=include_proposed))
    out: dict[str, str] = {}
    for party in case.manifest.parties:
        for uri in sorted(attributed_uris(party, case.source_ids())):
            out.setdefault(uri, party.id)
    return out


def _identity_links(case: Case, unavailable: dict[str, str]) -> list[dict[str, Any]]:
    """Alias links of the ledger as plain rows (for the graph and the limits section)."""
    try:
        mod = importlib.import_module("atlas.identity")
    except ImportError:
        return []
    lister = getattr(mod, "list_links", None) or getattr(mod, "links", None)
    if lister is None or not callable(lister):
        return []
    rows = []
    for link in lister(case):
        rows.append({k: _field(link, k) for k in ("link_id", "a", "b", "basis", "strength", "status", "score", "detail")})
    return rows


# --- contacts -----------------------------------------------------------------------

def _contact_events(case: Case, touching: Iterable[str]) -> pl.LazyFrame:
    """Call and message records that reached (or tried to reach) someone, touching ``touching``.

    Drafts and unsent messages are excluded (they never reached anyone).
    """
    ids = sorted(set(touching))
    return case.events().filter(
        pl.col("kind").cast(pl.String).is_in(list(CONTACT_KINDS))
        & (pl.col("status").is_null() | ~pl.col("status").is_in(list(NOT_CONTACT_STATUSES)))
        & pl.col("ts_utc").is_not_null()
        & (pl.col("sender").is_in(ids) | pl.col("recipients").list.eval(pl.element().is_in(ids)).list.any())
    )


def _scope(frame: pl.DataFrame, suspect: str, victim_side: Iterable[str]) -> pl.DataFrame:
    """Keep contacts between the suspect and the victim's side, saying which way each went."""
    side = sorted(set(victim_side))
    to_side = pl.col("party_to").list.eval(pl.element().is_in(side))
    from_s = (pl.col("party_from") == suspect) & to_side.list.any()
    to_s = pl.col("party_from").is_in(side) & pl.col("party_to").list.contains(suspect)
    first_side = pl.col("party_to").list.eval(pl.element().filter(pl.element().is_in(side))).list.first()
    return frame.filter(from_s | to_s).select(
        "contact_id", "ts_utc", pl.col("kind").cast(pl.String), "channel",
        pl.when(from_s).then(pl.lit("from-suspect")).otherwise(pl.lit("to-suspect")).alias("way"),
        pl.col("party_from").alias("sender"),
        pl.when(from_s).then(first_side).otherwise(pl.lit(suspect)).alias("recipient"),
        "status", "event_ids",
    )


def contacts_between(
    case: Case, owner_map: Mapping[str, str], suspect: str, victim_side: Iterable[str],
    unavailable: dict[str, str],
) -> tuple[pl.DataFrame, str | None, int]:
    """Contacts between the suspect and the victim's side, counted once across sources,
    the matching rule, and how many may be parts of one long SMS.

    ``owner_map`` is identifier → party id (identity resolution); ``sender`` and
    ``recipient`` of the result are party ids. With :mod:`atlas.contacts` the records
    of one real contact (handset, other handset, CDR) are one row whose ``event_ids``
    list them all; without it each record is its own row, and the report says so.
    """
    suspect_uris = [u for u, p in owner_map.items() if p == suspect]
    events = _contact_events(case, suspect_uris)
    keys = pl.Series(list(owner_map), dtype=pl.String)
    vals = pl.Series(list(owner_map.values()), dtype=pl.String)
    dedupe = _optional("atlas.contacts", "dedupe_contacts", unavailable, "contact de-duplication")
    if dedupe is not None:
        owners = {r["source_id"]: r["owner"] for r in case.sources().select("source_id", "owner").iter_rows(named=True)
                  if r["owner"]}
        contacts_module = importlib.import_module("atlas.contacts")  # loaded: dedupe_contacts is in it
        network = contacts_module.network_sources(case)
        grouped = dedupe(events, same_person=dict(owner_map), source_owners=owners, reference_sources=network)
        rule = contacts_module.MATCH_RULE
        frame = grouped.with_columns(
            pl.col("party_from").replace_strict(keys, vals, default=pl.col("party_from")),
            pl.col("party_to").list.eval(pl.element().replace_strict(keys, vals, default=pl.element())),
            pl.col("channels").list.join("/").alias("channel"),
        )
    else:
        rule = None
        frame = events.with_columns(
            pl.col("event_id").alias("contact_id"),
            pl.col("sender").replace_strict(keys, vals, default=pl.col("sender")).alias("party_from"),
            pl.col("recipients").list.eval(pl.element().replace_strict(keys, vals, default=pl.element())).alias("party_to"),
            pl.concat_list(pl.col("event_id")).alias("event_ids"),
        ).collect()
    out = _scope(frame, suspect, victim_side)
    parts = 0
    if dedupe is not None:  # lone CDR SMS in runs among the contacts the report counts
        counted = grouped.filter(pl.col("contact_id").is_in(out.get_column("contact_id").implode()))
        parts = contacts_module.possible_sms_parts(counted, network)
    return out.select(CONTACT_COLUMNS.names()).cast(CONTACT_COLUMNS).sort("ts_utc", "contact_id"), rule, parts


def _positions(case: Case, suspect_ids: Iterable[str]) -> pl.DataFrame:
    """The suspect's device positions on a ~100 m grid: a footprint, never millions of points."""
    owners = sorted(set(suspect_ids))
    srcs = case.sources().filter(pl.col("owner").is_in(owners)).get_column("source_id").to_list()
    frame = (
        case.events()
        .filter(pl.col("source_id").is_in(srcs) & pl.col("lat").is_not_null() & pl.col("lon").is_not_null()
                & pl.col("ts_utc").is_not_null())
        .group_by(pl.col("lat").round(3).alias("lat"), pl.col("lon").round(3).alias("lon"))
        .agg(pl.len().alias("n"), pl.col("ts_utc").min().alias("first"), pl.col("ts_utc").max().alias("last"),
             pl.col("accuracy_m").median().alias("accuracy_m"))
        .sort("lat", "lon")
        .collect()
    )
    return frame


# --- the one entry point -------------------------------------------------------------

def gather(case: Case, *, as_of: date | None = None, include_proposed: bool = False) -> ReportInputs:
    """Read the store and run the available analyses for the reports."""
    unavailable: dict[str, str] = {}
    manifest = case.manifest
    suspects = manifest.parties_with_role("suspect")
    victims = manifest.parties_with_role("victim")
    suspect = suspects[0] if suspects else None
    victim = victims[0] if victims else None

    # Identifiers are listed with proposed links marked as such; counts use confirmed links only.
    suspect_ids = _party_claims(case, suspect, True, unavailable) if suspect else {}
    owners = owner_map(case, False, unavailable)
    side_parties = sorted(p.id for p in manifest.parties if p.role in ("victim", "witness"))
    victim_side = {uri: pid for uri, pid in owners.items() if pid in side_parties}
    if suspect is not None:
        contacts, rule, sms_parts = contacts_between(case, owners, suspect.id, side_parties, unavailable)
    else:
        unavailable["contacts"] = "no party with role 'suspect' in case.toml"
        contacts, rule, sms_parts = pl.DataFrame(schema=CONTACT_COLUMNS), None, 0

    conduct = conduct_proposed = None
    s2a = None
    analyse = _optional("atlas.conduct", "analyse", unavailable, "course of conduct")
    if analyse is not None:
        result = analyse(case, as_of=as_of, include_proposed=False)
        if include_proposed or getattr(result, "proposed_identifiers", None):
            # links awaiting a decision exist: the analysis with them is attached, never merged
            result = analyse(case, as_of=as_of, include_proposed=True)
        conduct = _to_json(result)
        s2a = result.s2a if as_of is not None else result.s2a_undated
        proposed = conduct.get("with_proposed")
        if isinstance(proposed, dict) and proposed.get("included"):
            conduct_proposed = proposed

    rules = load_rules()

    build_graph = _optional("atlas.graph", "build_graph", unavailable, "contact graph")
    if build_graph is not None:
        graph = build_graph(case, include_proposed=False)
    else:
        from .graph_view import fallback_graph

        graph = fallback_graph(case, owners)
        unavailable["contact graph"] += "; the report drew the graph from the contact records itself"

    return ReportInputs(
        case=case, as_of=as_of, include_proposed=include_proposed, sources=case.sources(), audit=case.audit_log(),
        suspect=suspect, victim=victim, suspect_ids=suspect_ids, victim_side_ids=victim_side, owners=owners,
        contacts=contacts, dedupe_rule=rule, possible_sms_parts=sms_parts, positions=_positions(case, suspect_ids), conduct=conduct,
        conduct_proposed=conduct_proposed, rules=rules, graph=graph, s2a=s2a,
        identity_links=_identity_links(case, unavailable), unavailable=unavailable,
    )
