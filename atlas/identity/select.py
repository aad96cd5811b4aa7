"""``--party``: a party id, a party's name, or any identifier, to the identifiers it stands for.

Every command that filters by a person (``timeline``, ``contacts``, ``conduct``,
``graph``) and the workbench use this one rule, so they agree on who someone is:

* a party id (``suspect``) or a party's name in case.toml (``Daniel Hart``, any case)
  selects that party: the identifiers case.toml attributes to it and every identifier
  confirmed links attach to it;
* an identifier (``tel:+447700900013``, ``07700 900013``, ``instagram:handle``) selects
  the party it belongs to through case.toml or confirmed links, if any (the person, not
  the one number); otherwise the identifier together with any identifiers confirmed links
  join it to (an unknown person), or the identifier alone.

Proposed links are followed only with ``include_proposed`` (and the selection says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from atlas.errors import AtlasError
from atlas.identity.ledger import PARTY_PREFIX, endpoint
from atlas.identity.resolve import resolve
from atlas.store import Case
from atlas.store.manifest import attributed_uris


@dataclass(frozen=True)
class PartySelection:
    """Who ``--party VALUE`` means."""

    asked: str
    party: str | None
    """The case.toml party id, when the value resolves to a party."""
    identifiers: frozenset[str]
    basis: str
    """How the value was resolved, for the output to state."""

    @property
    def label(self) -> str:
        return self.party or self.asked

    def matches(self, uri: str | None) -> bool:
        return uri is not None and uri in self.identifiers


def _party_by_name(case: Case, value: str) -> str | None:
    ids = {p.id for p in case.manifest.parties}
    if value in ids:
        return value
    if value.startswith(PARTY_PREFIX) and value[len(PARTY_PREFIX):] in ids:
        return value[len(PARTY_PREFIX):]
    named = [p.id for p in case.manifest.parties if p.name and p.name.casefold() == value.casefold()]
    if len(named) > 1:
        raise AtlasError(f"{value!r} is the name of several parties ({', '.join(named)}): use the party id")
    return named[0] if named else None


def select_party(case: Case, value: str, *, include_proposed: bool = False) -> PartySelection:
    """Resolve ``--party VALUE`` (see the module docstring)."""
    value = value.strip()
    if not value:
        raise AtlasError("--party needs a party id, a party's name or an identifier")
    res = resolve(case, include_proposed=include_proposed)
    links = "case.toml and confirmed links" + (" and proposed links" if include_proposed else "")
    pid = _party_by_name(case, value)
    if pid is None:
        try:
            uri = endpoint(case, value)
        except AtlasError as exc:
            raise AtlasError(f"--party {value!r}: not a party id or name in case.toml "
                             f"({', '.join(p.id for p in case.manifest.parties)}) nor an identifier URI such as "
                             "tel:+447700900123 or instagram:handle") from exc
        pid = res.owner.get(uri)
        if pid is None:
            group = res.groups.get(uri)
            members = {u for u, g in res.groups.items() if g == group} if group else set()
            ids = frozenset({uri} | members)
            basis = (f"{uri} is attributed to no party; {len(ids) - 1} identifier(s) joined to it by {links}"
                     if members else f"{uri} is attributed to no party and no link joins it to another identifier")
            return PartySelection(value, None, ids, basis)
        basis = f"{uri} belongs to party {pid} ({links}); all of {pid}'s identifiers are selected"
    else:
        basis = f"party {pid}: identifiers from {links}"
    party = case.manifest.party(pid)
    uris = set(attributed_uris(party, case.source_ids())) | set(res.claims.get(pid, {}))
    return PartySelection(value, pid, frozenset(uris), basis)
