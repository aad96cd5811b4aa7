"""Identifiers → people, as a reviewable ledger (issue 7).

This is the interface the rest of Atlas uses (conduct, reports, graph, de-duplication):

* :func:`party_identifiers` — which identifiers belong to a party, each with *how we know*
  (:class:`IdentifierClaim`: status, basis, strength, ledger link ids);
* :func:`identifier_owner_map` — identifier URI → party id, for joining events to people.

Both are derived at read time from the case manifest (``case.toml``: the officer's
attribution) and the identity ledger (confirmed links; proposed ones only when asked).
Nothing is cached: rejecting a link removes its effect everywhere on the next read.

Statuses of a claim, strongest first:

``attributed``
    The officer attributes it in ``case.toml`` (a party's ``identifiers``, or a
    ``name:<source_id>:<display name>`` for one of its ``display_names``).
``confirmed``
    Reached from an attributed identifier through ledger links that are all confirmed.
``proposed``
    Reached only through at least one link still awaiting a decision (returned only with
    ``include_proposed=True``; never merged silently).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from atlas.store import Case
from atlas.store.manifest import attributed_uris

ClaimStatus = Literal["attributed", "confirmed", "proposed"]
Strength = Literal["proven", "inferred"]

BASES: Final[dict[str, tuple[Strength, str]]] = {
    "attributed": ("proven", "attributed to the party by the officer in case.toml"),
    "subscriber-record": ("proven", "a network's subscriber record names the same person for both"),
    "same-imei": ("proven", "both identifiers were used in the same handset (IMEI) per call data / subscriber records"),
    "account-profile": ("proven", "account or profile data (return, download) names the number or email"),
    "contact-card": ("proven", "the same contact-card entry in a seized phone lists both"),
    "device-owner": ("proven", "the owner of a download and the accounts logged in on that device"),
    "display-name": ("inferred", "display names are similar across sources/platforms (fuzzy match)"),
    "temporal-succession": ("inferred", "a new identifier starts contacting the victim right after another was blocked or went quiet"),
    "officer-decision": ("proven", "an officer linked them on their own knowledge (see the note)"),
}
"""The documented bases of an identity link: name → (strength, meaning).

``proven`` bases are documentary (a record says so); ``inferred`` ones are statistical and
always start as proposals. ``officer-decision`` is an officer's attribution, recorded with
their note, and counts as proven in the same way as ``case.toml``.
"""


@dataclass(frozen=True)
class IdentifierClaim:
    """One identifier a party is taken to use, and on what basis."""

    uri: str
    status: ClaimStatus
    basis: str
    """The weakest basis on the path from an attributed identifier (``attributed`` for the manifest)."""
    strength: Strength
    link_ids: tuple[str, ...] = ()
    """Ledger links on the path from an attributed identifier (empty for ``attributed``)."""

    @property
    def description(self) -> str:
        return BASES.get(self.basis, ("inferred", self.basis))[1]


def _manifest_claims(case: Case, party_id: str) -> dict[str, IdentifierClaim]:
    party = case.manifest.party(party_id)
    uris = attributed_uris(party, case.source_ids())
    return {u: IdentifierClaim(u, "attributed", "attributed", "proven") for u in sorted(uris)}


def party_identifiers(case: Case, party_id: str, *, include_proposed: bool = False) -> dict[str, IdentifierClaim]:
    """Every identifier taken to belong to ``party_id``, keyed by URI.

    With ``include_proposed=False`` (the default, for anything shown as a finding) only the
    manifest attribution and confirmed links count; with ``True`` proposed links are
    followed too, and claims reached through them say ``status="proposed"``.
    """
    return _manifest_claims(case, party_id)


def identifier_owner_map(case: Case, *, include_proposed: bool = False) -> dict[str, str]:
    """Identifier URI → party id, for every identifier some party is taken to use.

    An identifier the manifest attributes to two parties is left out (ambiguous: an
    officer must fix case.toml); it stays an unresolved identifier of its own.
    """
    owner: dict[str, str] = {}
    clash: set[str] = set()
    for party in case.manifest.parties:
        for uri in party_identifiers(case, party.id, include_proposed=include_proposed):
            if uri in owner and owner[uri] != party.id:
                clash.add(uri)
            owner.setdefault(uri, party.id)
    return {u: p for u, p in sorted(owner.items()) if u not in clash}


__all__ = ["BASES", "IdentifierClaim", "identifier_owner_map", "party_identifiers"]
