"""Identifiers → people, as a reviewable ledger (issue 7).

This is the interface the rest of Atlas uses (conduct, reports, graph, de-duplication):

* :func:`party_identifiers` — which identifiers belong to a party, each with *how we know*
  (:class:`IdentifierClaim`: status, basis, strength, ledger link ids);
* :func:`identifier_owner_map` — identifier URI → party id, for joining events to people;
* :func:`resolve` — the whole picture at once (claims, owners, contested identifiers,
  groups of linked unresolved identifiers), for the graph and the people view.

Everything is derived at read time from the case manifest (``case.toml``: the officer's
attribution) and the identity ledger (:mod:`atlas.identity.ledger`): confirmed links
always, proposed ones only when asked (``include_proposed=True``), rejected ones never.
Nothing is cached, so rejecting a link removes its effect everywhere on the next read.

Statuses of a claim, strongest first:

``attributed``
    The officer attributes it in ``case.toml`` (a party's ``identifiers``, or a
    ``name:<source_id>:<display name>`` for one of its ``display_names``).
``confirmed``
    Reached from an attributed identifier through ledger links that are all confirmed.
``proposed``
    Reached only through at least one link still awaiting a decision (returned only with
    ``include_proposed=True``; never merged silently).

Documentary links (``strength="proven"``: same IMEI, subscriber record, contact card,
account profile, device owner) found by discovery also start as *proposed*: they are
shown as proven, but an officer confirms them (``atlas confirm``) before they count in
the confirmed-only results. See the README section "People and aliases".
"""

from __future__ import annotations

from atlas.identity.bases import BASES, DOCUMENTARY, INFERRED, Strength, describe, strength_of
from atlas.identity.ledger import Link, decide, officer_link, read_links
from atlas.identity.resolve import ClaimStatus, IdentifierClaim, Resolution, resolve
from atlas.store import Case

list_links = read_links
"""The ledger's links (every status), ordered by link id: same as :func:`read_links`."""


def party_identifiers(case: Case, party_id: str, *, include_proposed: bool = False) -> dict[str, IdentifierClaim]:
    """Every identifier taken to belong to ``party_id``, keyed by URI.

    With ``include_proposed=False`` (the default, for anything shown as a finding) only the
    manifest attribution and confirmed links count; with ``True`` proposed links are
    followed too, and claims reached through them say ``status="proposed"``. An identifier
    whose links reach two parties equally well is returned for neither (see
    :attr:`Resolution.contested`).
    """
    case.manifest.party(party_id)  # a clear error for an unknown party id
    return resolve(case, include_proposed=include_proposed).claims.get(party_id, {})


def identifier_owner_map(case: Case, *, include_proposed: bool = False) -> dict[str, str]:
    """Identifier URI → party id, for every identifier some party is taken to use.

    Contested identifiers (attributed to two parties in case.toml, or reached equally well
    from two parties through links) are left out: they stay unresolved until an officer
    decides.
    """
    return resolve(case, include_proposed=include_proposed).owner


__all__ = [
    "BASES", "DOCUMENTARY", "INFERRED", "ClaimStatus", "IdentifierClaim", "Link", "Resolution", "Strength", "decide",
    "describe", "identifier_owner_map", "list_links", "officer_link", "party_identifiers", "read_links", "resolve", "strength_of",
]
