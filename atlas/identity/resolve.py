"""From the manifest and the ledger to people: who uses which identifier, on what basis.

Resolution is recomputed on every read (it is small: parties × links), so a decision in
the ledger takes effect everywhere at once and a rejected link leaves no trace in any
analysis.

How it works: a graph whose nodes are ``party:<id>`` and identifier URIs. Edges are the
manifest attribution (party → its identifiers and display names) and the ledger links
(confirmed ones; proposed ones too with ``include_proposed``; rejected ones never). From
each party a cheapest-path search assigns identifiers, preferring, in order, paths with
fewer *proposed* links, then fewer *inferred* links, then fewer links. A path never runs
through another party or through an identifier case.toml attributes to another party:
that would merge two people the officer has said are different.

If the best paths from two parties reach an identifier equally well, the identifier is
*contested*: it is given to neither and listed for review (a link joins two people).
Identifiers no party reaches are *unresolved*; those linked to each other form groups
(one unknown person with several identifiers), named after their smallest URI.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from atlas.identity.bases import Strength
from atlas.identity.ledger import PARTY_PREFIX, Link, read_links
from atlas.store import Case
from atlas.store.manifest import attributed_uris

ClaimStatus = Literal["attributed", "confirmed", "proposed"]


@dataclass(frozen=True)
class IdentifierClaim:
    """One identifier a party is taken to use, and on what basis."""

    uri: str
    status: ClaimStatus
    """``attributed`` (in case.toml), ``confirmed`` (every link on the path confirmed) or
    ``proposed`` (at least one link awaiting a decision)."""
    basis: str
    """``attributed``, or the basis of the weakest link on the path (an inferred one if any,
    else the link that reached this identifier)."""
    strength: Strength
    """``proven`` if every link on the path is documentary, else ``inferred``."""
    link_ids: tuple[str, ...] = ()
    """Ledger links from an attributed identifier to this one, in path order."""


@dataclass(frozen=True)
class Resolution:
    """Everything the manifest + ledger imply, at one moment, for one policy."""

    include_proposed: bool
    claims: dict[str, dict[str, IdentifierClaim]]
    """party id → identifier URI → claim."""
    owner: dict[str, str]
    """identifier URI → party id (contested identifiers left out)."""
    contested: dict[str, tuple[str, ...]]
    """identifier URI → the parties whose links reach it equally well."""
    groups: dict[str, str]
    """unresolved identifier URI → its group's name (the smallest URI in the group)."""
    links: tuple[Link, ...] = field(default=())
    """The ledger links this resolution followed."""

    def node_of(self, uri: str) -> str:
        """The person node an identifier belongs to: ``party:<id>``, a group name, or itself."""
        pid = self.owner.get(uri)
        if pid is not None:
            return PARTY_PREFIX + pid
        return self.groups.get(uri, uri)


_RANK: dict[str, int] = {"attributed": 0, "confirmed": 1, "proposed": 2}


def _attributed(case: Case) -> dict[str, set[str]]:
    sids = case.source_ids()
    return {p.id: attributed_uris(p, sids) for p in case.manifest.parties}


def resolve(case: Case, *, include_proposed: bool = False, links: list[Link] | None = None) -> Resolution:
    """Resolve identifiers to parties from case.toml and the ledger, as of now."""
    attributed = _attributed(case)
    all_links = read_links(case) if links is None else links
    wanted = {"confirmed", "proposed"} if include_proposed else {"confirmed"}
    used = [lk for lk in all_links if lk.status in wanted]
    return resolve_from(attributed, used, include_proposed=include_proposed)


def resolve_from(attributed: dict[str, set[str]], links: list[Link], *, include_proposed: bool) -> Resolution:
    """The pure part of :func:`resolve` (tests and discovery call it with their own links)."""
    attributed_to: dict[str, set[str]] = defaultdict(set)
    for pid, uris in attributed.items():
        for u in uris:
            attributed_to[u].add(pid)
    adjacency: dict[str, list[Link]] = defaultdict(list)
    for lk in sorted(links, key=lambda x: x.link_id):
        adjacency[lk.a].append(lk)
        adjacency[lk.b].append(lk)

    # Best path per (party, identifier). Cost: (proposed links, inferred links, links, ids) —
    # the id tuple only makes ties deterministic.
    best: dict[str, dict[str, tuple[tuple[int, int, int], tuple[str, ...]]]] = {}
    for pid in sorted(attributed):
        own = attributed[pid]
        foreign = {u for u, owners in attributed_to.items() if pid not in owners}
        dist: dict[str, tuple[tuple[int, int, int], tuple[str, ...]]] = {}
        heap: list[tuple[tuple[int, int, int], tuple[str, ...], str]] = []
        start = PARTY_PREFIX + pid
        for u in sorted(own):
            dist[u] = ((0, 0, 0), ())
            heapq.heappush(heap, ((0, 0, 0), (), u))
        heapq.heappush(heap, ((0, 0, 0), (), start))
        dist[start] = ((0, 0, 0), ())
        while heap:
            cost, path, node = heapq.heappop(heap)
            if dist.get(node, (cost, path)) < (cost, path):
                continue
            for lk in adjacency.get(node, ()):
                nxt = lk.other(node)
                if nxt.startswith(PARTY_PREFIX) or nxt in foreign:
                    continue
                step = (cost[0] + (lk.status == "proposed"), cost[1] + (lk.strength == "inferred"), cost[2] + 1)
                cand = (step, (*path, lk.link_id))
                if nxt not in dist or cand < dist[nxt]:
                    dist[nxt] = cand
                    heapq.heappush(heap, (step, cand[1], nxt))
        dist.pop(start, None)
        best[pid] = dist

    by_id = {lk.link_id: lk for lk in links}
    reached: dict[str, list[tuple[tuple[int, int, int], str]]] = defaultdict(list)
    for pid, dist in best.items():
        for uri, (cost, path) in dist.items():
            status_rank = 0 if not path else (2 if cost[0] else 1)
            reached[uri].append(((status_rank, 0, 0), pid))
    owner: dict[str, str] = {}
    contested: dict[str, tuple[str, ...]] = {}
    for uri, options in sorted(reached.items()):
        top = min(rank for rank, _ in options)
        winners = sorted({pid for rank, pid in options if rank == top})
        if len(winners) == 1:
            owner[uri] = winners[0]
        else:
            contested[uri] = tuple(winners)

    claims: dict[str, dict[str, IdentifierClaim]] = {pid: {} for pid in sorted(attributed)}
    for uri, pid in owner.items():
        cost, path = best[pid][uri]
        if not path:
            claims[pid][uri] = IdentifierClaim(uri, "attributed", "attributed", "proven")
            continue
        chain = [by_id[i] for i in path]
        inferred = [lk for lk in chain if lk.strength == "inferred"]
        weakest = inferred[-1] if inferred else chain[-1]
        claims[pid][uri] = IdentifierClaim(
            uri, "proposed" if cost[0] else "confirmed", weakest.basis, "inferred" if inferred else "proven", tuple(path),
        )
    claims = {pid: dict(sorted(c.items())) for pid, c in claims.items()}

    # Unresolved identifiers linked to each other: one unknown person each.
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for lk in links:
        a, b = lk.a, lk.b
        if a.startswith(PARTY_PREFIX) or b.startswith(PARTY_PREFIX) or a in owner or b in owner:
            continue
        if a in contested or b in contested:
            continue
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[str]] = defaultdict(list)
    for x in list(parent):
        members[find(x)].append(x)
    groups = {u: min(ms) for ms in members.values() if len(ms) > 1 for u in ms}
    return Resolution(include_proposed, claims, dict(sorted(owner.items())), contested, dict(sorted(groups.items())),
                      tuple(sorted(links, key=lambda x: x.link_id)))
