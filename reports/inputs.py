"""Everything the reports need from a case, gathered once, through one door.

The reports read the store and the analyses other packages provide (course of
conduct, identity, graph, de-duplicated contacts, legal rules). Every call into
those packages is made here and nowhere else, so the renderers (HTML, DOCX, charts)
work from one :class:`ReportInputs` whose fields are the analyses' own typed results
(:class:`~atlas.conduct.ConductResult`, :class:`~atlas.graph.ContactGraph`, the
ledger's :class:`~atlas.identity.Link`, :class:`~atlas.rules.Rules`, the s2A verdict).
Renderers render them: they never recompute a finding and never fall back to a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import polars as pl

from atlas.conduct import ConductResult, analyse
from atlas.conduct.time_limit import S2AVerdict
from atlas.contacts import MATCH_RULE, dedupe_contacts, network_sources, possible_sms_parts
from atlas.exhibits import source_refs
from atlas.graph import ContactGraph, build_graph
from atlas.identity import Link, identifier_owner_map, party_identifiers, read_links
from atlas.model import CONTACT_KINDS, NOT_CONTACT_STATUSES
from atlas.rules import Rules, load_rules
from atlas.store import Case
from atlas.store.manifest import Manifest, Party, attributed_uris
from atlas.stream import bounded
from atlas.stream.graph import PairGraph, build_pair_graph
from atlas.triage.assess import TriageResult, assess
from atlas.wording import UNSTATED, Pronouns

CONTACT_COLUMNS: Final = pl.Schema(
    {  # type: ignore[arg-type]
        "contact_id": pl.String,
        "ts_utc": pl.Datetime("us", "UTC"),
        "kind": pl.String,
        "channel": pl.String,
        "channels": pl.List(pl.String),
        "way": pl.String,
        "sender": pl.String,
        "recipient": pl.String,
        "status": pl.String,
        "event_ids": pl.List(pl.String),
    }
)
"""One row per contact between the suspect and the victim's side (``way``:
``from-suspect`` or ``to-suspect``), with every source record that shows it. ``channel`` is the
contact's channel keys joined with ``/`` (a group key for the tables and charts); ``channels`` the keys
as data, which a person's words are made from (:func:`atlas.wording.channel_name`), never the joined key."""


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
    link_ids: tuple[str, ...] = ()
    """Ledger links from an attributed identifier (or the party) to this one, in path order."""


@dataclass(frozen=True)
class ReportInputs:
    """A case as the reports see it, built once by :func:`gather`: the one door to the analyses."""

    case: Case
    as_of: date | None
    include_proposed: bool
    sources: pl.DataFrame
    audit: list[dict[str, Any]]
    suspect: Party | None
    victim: Party | None
    suspect_ids: dict[str, IdentifierClaim]
    victim_side_ids: dict[str, str]
    """Identifier → the party id it belongs to, for the victim and her network."""
    owners: dict[str, str]
    """Identifier → party id (identity resolution, confirmed links only)."""
    contacts: pl.DataFrame
    """:data:`CONTACT_COLUMNS`: contacts between the suspect and the victim's side, counted once."""
    dedupe_rule: str
    """How a contact recorded by several sources is counted once (:data:`atlas.contacts.MATCH_RULE`)."""
    possible_sms_parts: int
    """Contacts counted that may be parts of one long SMS (:func:`atlas.contacts.possible_sms_parts`)."""
    positions: pl.DataFrame
    """The suspect's device positions, aggregated to a grid (lat, lon, n, first, last)."""
    conduct: ConductResult | None
    """The course-of-conduct analysis (confirmed identities), with the proposed-links view
    attached as ``conduct.with_proposed`` when links await a decision. Dated on ``as_of``;
    without ``as_of`` it is :meth:`~atlas.conduct.ConductResult.undated`. None only when
    case.toml names no suspect or no victim (nothing to analyse)."""
    rules: Rules
    """The legal rules applied: every legal phrase a report prints comes from here."""
    graph: ContactGraph | PairGraph
    """The contact graph (:func:`atlas.graph.build_graph`, confirmed identities); within
    :func:`atlas.stream.streaming` its whole-case pair counts
    (:func:`atlas.stream.graph.build_pair_graph`: what the report reads of it, in bounded memory)."""
    identity_links: tuple[Link, ...]
    """Every alias link in the ledger, whatever its status (the limits section says which count)."""
    exhibit_refs: dict[str, str]
    """Source id → exhibit reference (``JA/7``) from :func:`atlas.exhibits.source_refs`."""
    triage: TriageResult | None = None
    """Triage, the data strategy and the request log (:func:`atlas.triage.assess.assess`), made
    with :attr:`conduct`, so its s2A verdict is the one the reviewer's note shows."""

    @property
    def manifest(self) -> Manifest:
        return self.case.manifest

    @property
    def zone(self) -> str:
        return self.case.manifest.timezone

    @property
    def his(self) -> Pronouns:
        """The suspect's pronouns as case.toml states them (``they`` when it does not: never guessed)."""
        return self.suspect.pro if self.suspect is not None else UNSTATED

    @property
    def her(self) -> Pronouns:
        """The victim's pronouns as case.toml states them (``they`` when it does not: never guessed)."""
        return self.victim.pro if self.victim is not None else UNSTATED

    @property
    def s2a(self) -> S2AVerdict | None:
        """The s2A verdict every output renders (dated on ``as_of``, else undated)."""
        return self.conduct.s2a if self.conduct is not None else None

    @property
    def conduct_proposed(self) -> ConductResult | None:
        """The analysis with proposed identity links too: shown beside, never merged."""
        return self.conduct.with_proposed if self.conduct is not None else None


# --- identity -------------------------------------------------------------------------

def _party_claims(case: Case, party: Party, include_proposed: bool) -> dict[str, IdentifierClaim]:
    """The party's identifiers: the officer's attribution, plus the ledger's links."""
    claims = {
        uri: IdentifierClaim(uri, "attributed", "attributed in the case manifest (case.toml)", "officer")
        for uri in sorted(attributed_uris(party, case.source_ids()))
    }
    found = party_identifiers(case, party.id, include_proposed=include_proposed)
    for uri, claim in sorted(found.items()):
        if uri in claims or (claim.status == "proposed" and not include_proposed):
            continue
        detail = f"(ledger links {', '.join(claim.link_ids)})" if claim.link_ids else ""
        claims[uri] = IdentifierClaim(uri=uri, status=claim.status, basis=claim.basis, strength=claim.strength,
                                      detail=detail, link_ids=tuple(claim.link_ids))
    return claims


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
        "contact_id", "ts_utc", pl.col("kind").cast(pl.String), "channel", "channels",
        pl.when(from_s).then(pl.lit("from-suspect")).otherwise(pl.lit("to-suspect")).alias("way"),
        pl.col("party_from").alias("sender"),
        pl.when(from_s).then(first_side).otherwise(pl.lit(suspect)).alias("recipient"),
        "status", "event_ids",
    )


def contacts_between(
    case: Case, owner_map: Mapping[str, str], suspect: str, victim_side: Iterable[str],
) -> tuple[pl.DataFrame, str, int]:
    """The de-duplicated contacts between the suspect and the victim's side (:data:`CONTACT_COLUMNS`),
    the matching rule, and how many may be parts of one long SMS.

    ``owner_map`` is identifier → party id (identity resolution); ``sender`` and
    ``recipient`` of the result are party ids. The records of one real contact (handset,
    other handset, CDR) are one row whose ``event_ids`` list them all.
    """
    suspect_uris = [u for u, p in owner_map.items() if p == suspect]
    events = _contact_events(case, suspect_uris)
    keys = pl.Series(list(owner_map), dtype=pl.String)
    vals = pl.Series(list(owner_map.values()), dtype=pl.String)
    owners = {r["source_id"]: r["owner"] for r in case.sources().select("source_id", "owner").iter_rows(named=True)
              if r["owner"]}
    network = network_sources(case)
    grouped = dedupe_contacts(events, same_person=dict(owner_map), source_owners=owners, reference_sources=network)
    frame = grouped.with_columns(
        pl.col("party_from").replace_strict(keys, vals, default=pl.col("party_from")),
        pl.col("party_to").list.eval(pl.element().replace_strict(keys, vals, default=pl.element())),
        pl.col("channels").list.join("/").alias("channel"),
    )
    out = _scope(frame, suspect, victim_side)
    # lone CDR SMS in runs among the contacts the report counts
    counted = grouped.filter(pl.col("contact_id").is_in(out.get_column("contact_id").implode()))
    parts = possible_sms_parts(counted, network)
    return out.select(CONTACT_COLUMNS.names()).cast(CONTACT_COLUMNS).sort("ts_utc", "contact_id"), MATCH_RULE, parts


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
    """Read the store and run the analyses for the reports, once.

    The contact graph, then the contacts between the suspect and the victim's side and the
    suspect's positions, are made in a second thread while the conduct analysis runs in
    this one: they read the case and share nothing, each is mostly Polars work (which
    releases the GIL), so on two cores the graph's whole-case de-duplication costs little
    wall time. The sources are numbered first (the one write either would make, through
    :func:`source_refs`), so neither thread writes the case; the result does not depend
    on the threads' timing (tests/test_contacts_speed.py).
    """
    exhibit_refs = source_refs(case)  # numbers any source not yet numbered, before the graph's thread starts
    network_sources(case)  # imports the parsers' declarations here, never from two threads at once
    # within atlas.stream.streaming() (a case bigger than memory) the graph is the streaming pair counts
    build: Callable[..., ContactGraph | PairGraph] = build_pair_graph if bounded() else build_graph
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="atlas-report-inputs") as pool:
        graph = pool.submit(build, case, include_proposed=False)
        return _gather(case, as_of, include_proposed, exhibit_refs, graph, pool)


def _gather(case: Case, as_of: date | None, include_proposed: bool, exhibit_refs: dict[str, str],
            graph: Future[ContactGraph | PairGraph], pool: ThreadPoolExecutor) -> ReportInputs:
    manifest = case.manifest
    suspects = manifest.parties_with_role("suspect")
    victims = manifest.parties_with_role("victim")
    suspect = suspects[0] if suspects else None
    victim = victims[0] if victims else None

    # Identifiers are listed with proposed links marked as such; counts use confirmed links only.
    suspect_ids = _party_claims(case, suspect, True) if suspect else {}
    owners = dict(identifier_owner_map(case, include_proposed=False))
    side_parties = sorted(p.id for p in manifest.parties if p.role in ("victim", "witness"))
    victim_side = {uri: pid for uri, pid in owners.items() if pid in side_parties}
    # the graph's thread takes these next (polars work, like the graph), while this one analyses
    between = pool.submit(contacts_between, case, owners, suspect.id, side_parties) if suspect is not None else None
    positions = pool.submit(_positions, case, suspect_ids)

    if bounded():
        # a case bigger than memory: the graph's whole-case pair counts first, then the analysis,
        # so that memory holds one of them at a time, not both
        graph.result()
    conduct: ConductResult | None = None
    if suspect is not None and victim is not None:
        # where links await a decision, the analysis with them is attached, never merged
        conduct = analyse(case, as_of=as_of, include_proposed=True if include_proposed else "if-any")
        if as_of is None:
            conduct = conduct.undated()  # the report must not change from day to day

    triage = assess(case, as_of=as_of, as_of_basis=conduct.as_of_basis if conduct is not None and as_of else "",
                    conduct=conduct)
    contacts, rule, sms_parts = between.result() if between is not None else (
        pl.DataFrame(schema=CONTACT_COLUMNS), MATCH_RULE, 0)
    return ReportInputs(
        case=case, as_of=as_of, include_proposed=include_proposed, sources=case.sources(), audit=case.audit_log(),
        suspect=suspect, victim=victim, suspect_ids=suspect_ids, victim_side_ids=victim_side, owners=owners,
        contacts=contacts, dedupe_rule=rule, possible_sms_parts=sms_parts, positions=positions.result(),
        conduct=conduct, rules=load_rules(), graph=graph.result(),
        identity_links=tuple(read_links(case)), exhibit_refs=exhibit_refs, triage=triage,
    )
