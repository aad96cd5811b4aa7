"""Who is who for the analysis: the suspect, the people the conduct is aimed at, and
which identifiers stand for each, in one identity *view*.

A view is either ``confirmed`` (case.toml attributions and confirmed ledger links) or
``with-proposed`` (confirmed plus links still awaiting a decision). The two are never
mixed: the analysis runs once per view, and each finding says by which identifier it
was made and whether that identifier is attributed, confirmed or proposed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from atlas.errors import AtlasError
from atlas.identity import IdentifierClaim, identifier_owner_map, party_identifiers
from atlas.store import Case

View = Literal["confirmed", "with-proposed"]
AUTHORITY_PREFIX: Final = "authority:"
STATUS_RANK: Final = {"attributed": 0, "confirmed": 1, "proposed": 2}
POLICE_NUMBERS: Final = {"101": "police non-emergency 101", "999": "emergency 999", "112": "emergency 112"}
"""Short numbers as a person reads them; any other police number is "police number <number>"."""


def authority_name(target: str) -> str:
    """A police number the analysis counts (``authority:tel-short:101``, or the bare URI) as a person reads
    it: ``police non-emergency 101``."""
    number = target.removeprefix(AUTHORITY_PREFIX).rpartition(":")[2]
    return POLICE_NUMBERS.get(number, f"police number {number}")


def target_names(targets: Iterable[str], names: Mapping[str, str]) -> tuple[str, ...]:
    """Incident targets (manifest party keys, ``authority:<uri>`` for a police number) as a person reads them
    elsewhere in the outputs: the party's name from case.toml (``names``: party id → display name), a police
    number by :func:`authority_name`; a key case.toml does not name stays as it is."""
    return tuple(authority_name(t) if t.startswith(AUTHORITY_PREFIX) else names.get(t) or t for t in targets)


@dataclass(frozen=True)
class Cast:
    view: View
    suspect: str
    victims: tuple[str, ...]
    targets: tuple[str, ...]
    """Party ids the conduct is aimed at (victims first)."""
    owner_map: dict[str, str]
    """Identifier URI → party id (or ``authority:<uri>`` for police numbers)."""
    suspect_claims: dict[str, IdentifierClaim]
    source_owner_uri: dict[str, str] = field(default_factory=dict)
    source_owner_party: dict[str, str] = field(default_factory=dict)
    target_basis: str = ""

    @property
    def authorities(self) -> tuple[str, ...]:
        return tuple(sorted({p for p in self.owner_map.values() if p.startswith(AUTHORITY_PREFIX)}))

    def uris_of(self, party: str) -> list[str]:
        return sorted(u for u, p in self.owner_map.items() if p == party)

    def status_of(self, uri: str) -> str | None:
        claim = self.suspect_claims.get(uri)
        return claim.status if claim else None


def choose_suspect(case: Case, wanted: str | None) -> str:
    if wanted:
        party = case.manifest.party(wanted)
        return party.id
    suspects = case.manifest.parties_with_role("suspect")
    if not suspects:
        raise AtlasError(f"{case.root}: case.toml names no party with role 'suspect'; the conduct analysis needs one")
    if len(suspects) > 1:
        raise AtlasError(f"case.toml names several suspects ({', '.join(p.id for p in suspects)}): choose one with --suspect")
    return suspects[0].id


def build_cast(case: Case, *, suspect: str | None, targets: tuple[str, ...], authority_identifiers: tuple[str, ...],
               include_proposed: bool) -> Cast:
    """Resolve parties and identifiers for one identity view."""
    manifest = case.manifest
    suspect_id = choose_suspect(case, suspect)
    victims = tuple(p.id for p in manifest.parties_with_role("victim"))
    if not victims:
        raise AtlasError(f"{case.root}: case.toml names no party with role 'victim'; the conduct analysis needs one")
    if targets:
        for t in targets:
            manifest.party(t)
        chosen = tuple(dict.fromkeys((*victims, *targets)))
        names = manifest.party_names()  # as case.toml names them (the key only where it gives no name)
        basis = f"the victim(s) and the parties chosen for the analysis ({', '.join(names.get(t, t) for t in targets)})"
    else:
        witnesses = tuple(p.id for p in manifest.parties_with_role("witness"))
        chosen = (*victims, *witnesses)
        basis = ("the victim(s) and every party case.toml lists with role 'witness' (the victim's family, friends, employer); "
                 "parties with role 'other' are not counted unless chosen with --target")
    chosen = tuple(t for t in chosen if t != suspect_id)
    owner_map = dict(identifier_owner_map(case, include_proposed=include_proposed))
    for uri in authority_identifiers:
        owner_map.setdefault(uri, AUTHORITY_PREFIX + uri)
    claims = party_identifiers(case, suspect_id, include_proposed=include_proposed)
    if not include_proposed:
        claims = {u: c for u, c in claims.items() if c.status != "proposed"}
    for uri in claims:  # the suspect's claims decide his identifiers in this view
        owner_map[uri] = suspect_id
    sources = case.sources()
    owner_uri = {sid: own for sid, own in zip(sources.get_column("source_id").to_list(),
                                              sources.get_column("owner").to_list(), strict=True) if own}
    owner_party = {sid: owner_map[u] for sid, u in owner_uri.items() if u in owner_map}
    return Cast(
        view="with-proposed" if include_proposed else "confirmed", suspect=suspect_id, victims=victims,
        targets=chosen, owner_map=owner_map, suspect_claims=claims, source_owner_uri=owner_uri,
        source_owner_party=owner_party, target_basis=basis,
    )
