"""The people view: parties, their identifiers with how we know, and what awaits review.

One function, :func:`people_view`, gives the CLI (``atlas people``), the TUI and the
reports the same data: for every party the identifiers it is taken to use, each with
status (attributed / confirmed / proposed), basis, strength and the ledger links behind
it; then the proposals awaiting a decision, identifiers contested between parties, and
groups of linked identifiers no party reaches yet (an unknown person).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from atlas.identity.bases import describe
from atlas.identity.ledger import PARTY_PREFIX, Link, read_links
from atlas.identity.resolve import resolve
from atlas.store import Case


def identifier_counts(case: Case) -> dict[str, int]:
    """How many events name each identifier (as sender or recipient)."""
    ev = case.events()
    counts = (
        pl.concat([
            ev.select(pl.col("sender").alias("u")),
            ev.select(pl.col("recipients").explode().alias("u")),
        ])
        .drop_nulls()
        .group_by("u")
        .len()
        .collect()
    )
    return dict(zip(counts.get_column("u").to_list(), counts.get_column("len").to_list(), strict=True))


def people_view(case: Case) -> dict[str, Any]:
    """Everything ``atlas people`` shows, as plain data (stable order, JSON-ready)."""
    links = read_links(case)
    confirmed = resolve(case, include_proposed=False, links=links)
    proposed = resolve(case, include_proposed=True, links=links)
    counts = identifier_counts(case)
    from atlas.exhibits import cited_ref, identifier_label, source_refs

    refs = source_refs(case)
    parties = []
    for p in case.manifest.parties:
        claims = proposed.claims.get(p.id, {})
        rows = []
        for uri, claim in sorted(claims.items(), key=lambda kv: (kv[1].status != "attributed", kv[1].status, kv[0])):
            n = counts.get(uri, 0)
            if claim.status == "attributed" and uri.startswith("name:") and n == 0:
                continue  # a display name expanded to a source that never shows it
            rows.append({
                "uri": uri, "shown_as": identifier_label(refs, uri), "status": claim.status, "basis": claim.basis, "strength": claim.strength,
                "link_ids": list(claim.link_ids), "events": n,
                "in_confirmed_results": uri in confirmed.claims.get(p.id, {}),
            })
        parties.append({"id": p.id, "role": p.role, "name": p.name, "identifiers": rows})
    def with_exhibits(link: Link) -> dict[str, Any]:
        """The link's supporting records by exhibit (``JA/7, sms rowid 477``) beside their ids, and
        its reason as a person reads it (its records by exhibit: :meth:`Link.reason_shown`)."""
        return link.as_dict() | {"support_exhibits": [cited_ref(refs, str(s)) for s in link.support],
                                 "reason_shown": link.reason_shown(refs)}

    pending = [with_exhibits(lk) | {"basis_meaning": describe(lk.basis)} for lk in links
               if lk.status == "proposed"]
    for item in pending:
        for end in ("a", "b"):
            uri = str(item[end])
            item[f"{end}_party"] = uri[len(PARTY_PREFIX):] if uri.startswith(PARTY_PREFIX) else (
                confirmed.owner.get(uri) or None)
            item[f"{end}_events"] = counts.get(uri, 0)
    groups: dict[str, list[str]] = {}
    for uri, g in proposed.groups.items():
        groups.setdefault(g, []).append(uri)
    return {
        "case": case.manifest.reference,
        "parties": parties,
        "proposals": pending,
        "contested": [{"uri": u, "shown_as": identifier_label(refs, u), "parties": list(ps), "events": counts.get(u, 0)}
                      for u, ps in sorted(proposed.contested.items())],
        "unresolved_groups": [{"name": g, "shown_as": identifier_label(refs, g), "identifiers": sorted(ms),
                               "identifiers_shown": [identifier_label(refs, m) for m in sorted(ms)]}
                              for g, ms in sorted(groups.items())],
        "links": [with_exhibits(lk) for lk in links],
        "decided": {"confirmed": sum(lk.status == "confirmed" for lk in links),
                    "rejected": sum(lk.status == "rejected" for lk in links),
                    "proposed": len(pending)},
    }
