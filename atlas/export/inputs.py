"""What every exporter is given: typed, read once from the case at the edge.

:func:`gather` is the only function here that reads the case; the exporters take an
:class:`ExportContext` and frames, never a :class:`~atlas.store.Case`, so each is a pure
function tested on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from atlas.exhibits import PartyInfo, identifier_label, side_label

if TYPE_CHECKING:
    from atlas.store import Case


@dataclass(frozen=True)
class FollowedLink:
    """An identity link (ledger row) the export followed."""

    link_id: str
    a: str
    b: str
    basis: str
    strength: str
    status: str

    def to_json(self) -> dict[str, str]:
        return {"link_id": self.link_id, "a": self.a, "b": self.b, "basis": self.basis, "strength": self.strength,
                "status": self.status}


@dataclass(frozen=True)
class IdentityPolicy:
    """Which identity links an export followed: it is stated in every document."""

    include_proposed: bool
    links: tuple[FollowedLink, ...] = ()

    @property
    def name(self) -> str:
        return "confirmed-and-proposed" if self.include_proposed else "confirmed"

    def describe(self, refs: Mapping[str, str] | None = None, parties: Mapping[str, PartyInfo] | None = None) -> str:
        """Which links were followed. With ``refs`` (an output served on the defence) no ledger id is
        listed: each link is named by what it joins (see :meth:`to_json`), a party side by its name and
        role from ``parties`` (``Simon Suspect (suspect)``, not ``party:suspect``)."""
        def named(lk: FollowedLink) -> str:
            if refs is None:
                return lk.link_id
            return f"{side_label(refs, parties or {}, lk.a)} = {side_label(refs, parties or {}, lk.b)}"
        confirmed = [named(lk) for lk in self.links if lk.status == "confirmed"]
        proposed = [named(lk) for lk in self.links if lk.status == "proposed"]
        text = "case.toml attributions"
        text += f" and {len(confirmed)} confirmed link(s)" + (f" ({', '.join(confirmed)})" if confirmed else "")
        if self.include_proposed:
            text += (f" and {len(proposed)} proposed link(s) awaiting a decision" + (f" ({', '.join(proposed)})" if proposed else "")
                     + "; identifiers reached through a proposed link are marked proposed and are not findings")
        else:
            text += "; proposed links awaiting a decision were not followed"
        return text

    def to_json(self, refs: Mapping[str, str] | None = None,
                parties: Mapping[str, PartyInfo] | None = None) -> dict[str, Any]:
        """The policy and its links; with ``refs`` (served: the GIS exports) each link without its ledger id,
        its sides as a person reads them (``Dan (name in JA/21)``, ``Simon Suspect (suspect)``)."""
        if refs is None:
            links = [lk.to_json() for lk in self.links]
        else:
            links = [{k: (side_label(refs, parties or {}, v) if k in ("a", "b") else v) for k, v in lk.to_json().items()
                      if k != "link_id"} for lk in self.links]
        return {"policy": self.name, "description": self.describe(refs, parties), "links": links}


@dataclass(frozen=True)
class Owner:
    """The party an identifier is taken to belong to, and how we know."""

    party: str
    status: str
    """``attributed`` (case.toml), ``confirmed`` or ``proposed`` (see :mod:`atlas.identity`)."""
    basis: str


@dataclass(frozen=True)
class ExportContext:
    """The case facts every exporter renders."""

    case_reference: str
    exhibit_prefix: str
    timezone: str
    refs: Mapping[str, str]
    """Source id → its exhibit (``JA/7``)."""
    owners: Mapping[str, Owner]
    """Identifier URI → its owner under :attr:`policy` (contested identifiers are left out)."""
    parties: Mapping[str, PartyInfo]
    policy: IdentityPolicy
    atlas_version: str
    integrity: str | None = None
    """None when the case verified before the export; else the ``UNVERIFIED`` notice the document carries."""

    def who(self, uri: str | None) -> str:
        """An identifier as a person reads it, with its party: ``tel:+44… (suspect)``;
        ``(suspect, proposed link)`` when only a proposed link makes it his."""
        if not uri:
            return "unknown"
        label = identifier_label(self.refs, uri)
        owner = self.owners.get(uri)
        if owner is None:
            return label
        return f"{label} ({owner.party}{', proposed link' if owner.status == 'proposed' else ''})"


def gather(case: Case, *, include_proposed: bool) -> ExportContext:
    """Read the case facts once (numbers any source without an exhibit number, as analyses do)."""
    from atlas import __version__
    from atlas.exhibits import case_parties, source_refs
    from atlas.identity import resolve

    refs = source_refs(case)
    resolution = resolve(case, include_proposed=include_proposed)
    owners = {uri: Owner(pid, claim.status, claim.basis)
              for pid, claims in sorted(resolution.claims.items()) for uri, claim in sorted(claims.items())}
    links = tuple(FollowedLink(lk.link_id, lk.a, lk.b, lk.basis, lk.strength, lk.status)
                  for lk in sorted(resolution.links, key=lambda x: x.link_id))
    parties = case_parties(case)
    return ExportContext(
        case_reference=case.manifest.reference, exhibit_prefix=case.manifest.exhibit_prefix,
        timezone=case.manifest.timezone, refs=dict(refs), owners=dict(sorted(owners.items())), parties=parties,
        policy=IdentityPolicy(include_proposed, links), atlas_version=__version__,
    )


__all__ = ["ExportContext", "FollowedLink", "IdentityPolicy", "Owner", "PartyInfo", "gather", "side_label"]
