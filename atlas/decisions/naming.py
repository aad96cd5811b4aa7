"""How a person is told which item a decision is about: by what it is, never by its handle.

An item awaiting (or given) an officer's decision has a handle (``T1a2b3c4d``, ``C3f9a0c21``,
``P7adfc0df``, ``L3e4fb9b9f8``, ``finding:candidate:T…``): a key for machines and for what the officer
types into ``atlas threats / colocations / breaches / confirm / exhibit``. People read the item by its
UK time and its records by exhibit (a link by its two sides); the handle comes last, headed as what to
type into the command (:data:`HANDLE_HEADER`). The workbench, the CLI's tables and messages, and the
Exhibits lists all name items here, so one item reads the same wherever a person meets it. conduct.json
and ``--json`` keep the handles as ids (machine use; their schemas are unchanged).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from atlas.decisions.exhibits import TaggedExhibit
    from atlas.exhibits import PartyInfo
    from atlas.review import Review

HANDLE_HEADER: Final = "command handle"
"""The last column of a list of items to decide: what the officer types into the command (never the name)."""


def candidate_name(kind: str, record: str, when: str) -> str:
    """``the threat candidate JA/6, messages[22], 18/03/2026 19:20 GMT``."""
    return f"the {kind} candidate {record}, {when}"


def colocation_name(place: str | None, kind: str, when: str, *, possible: bool = True) -> str:
    """``the possible co-location near the victim, 07/03/2026 11:20 GMT`` (``… at Gym, …`` for a place
    the case names): from the co-location's place and what it was compared with, as data."""
    where = f"at {place}" if place else ("near the victim" if kind == "victim-location" else f"at {kind}")
    return f"the {'possible ' if possible else ''}co-location {where}, {when}"


def breach_name(order: str, place: str, when: str) -> str:
    """``the possible breach of order NMO-1 at home, 07/03/2026 11:20 GMT``."""
    return f"the possible breach of order {order} at {place}, {when}"


def link_name(refs: Mapping[str, str], parties: Mapping[str, PartyInfo], a: str, b: str) -> str:
    """``the link Simon Suspect (suspect) ↔ Dan (name in JA/21)``: a link by its two sides (the ledger's
    ``a`` and ``b``), each as :func:`atlas.exhibits.side_label` shows it: a party by its name and role,
    never its key ``party:suspect``; a display name by the exhibit that shows it."""
    from atlas.exhibits import side_label

    return f"the link {side_label(refs, parties, a)} ↔ {side_label(refs, parties, b)}"


def headed(name: str) -> str:
    """A name opening a sentence or a title (``The link …``)."""
    return name[:1].upper() + name[1:]


def handle_said(handle: str) -> str:
    """The handle after an item's name in a message: ``(command handle T1a2b3c4d)``."""
    return f"({HANDLE_HEADER} {handle})"


def finding_name(review: Review, item: str, names: Mapping[str, str] | None = None) -> str:
    """A tagged finding (the ``<kind>:<key>`` after ``finding:`` in an exhibit tag, a key Atlas writes)
    named for a person: its UK time, its records by exhibit, the order or place; a finding the analysis no
    longer holds is named by its kind. Looked up in :meth:`atlas.review.Review.finding_names` (built once per
    analysis), so a list of many tagged findings does not search and rebuild the candidates for each; the
    same names as :func:`finding_name_plain`, the plain rule. A caller naming a list passes ``names`` (that
    index, fetched once): fetching it checks the ledger's generation, a database read per call."""
    found = (review.finding_names() if names is None else names).get(item)
    if found is not None:
        return found
    kind, _, key = item.partition(":")
    if kind == "warning" and key.isdigit():
        return f"warning {key} of the analysis"
    return f"a {kind or 'finding'} the analysis no longer shows"


def finding_index(review: Review) -> dict[str, str]:
    """Every finding the analysis holds, by its ``<kind>:<key>``, named as :func:`finding_name_plain` names
    it: the index :meth:`atlas.review.Review.finding_names` keeps. Where two findings share a key, the first
    in the plain rule's order keeps it (``setdefault``), as its search found the first."""
    from atlas.decisions.candidates import candidates_from
    from atlas.review import uk_date

    result = review.conduct()
    out: dict[str, str] = {}
    for c in candidates_from(result, review.case):
        out.setdefault(f"candidate:{c.id}", candidate_name(c.kind, review.record_ref(c.event_id), review.uk(c.ts)))
    for p in result.colocation_reviews:
        out.setdefault(f"colocation:{p.id}", colocation_name(p.colocation.place, p.colocation.kind, review.uk(p.start)))
    for m in result.colocations:
        out.setdefault(f"colocation:{m.start.isoformat()}", colocation_name(m.place, m.kind, review.uk(m.start),
                                                                            possible=False))
    for b in result.breach_reviews:
        out.setdefault(f"possible-breach:{b.id}", breach_name(b.order, b.place, review.uk(b.start)))
    for br in result.breaches:
        out.setdefault(f"breach:{br.order}:{br.ts.isoformat()}", f"the breach of order {br.order}, {review.uk(br.ts)}")
    for i in result.incidents:
        out.setdefault(f"incident:{i.date.isoformat()}", f"the incident day {uk_date(i.date)}")
    for g in result.gaps:
        out.setdefault(f"gap:{g.start.isoformat()}:{g.end.isoformat()}", f"the gap from {uk_date(g.start)} to {uk_date(g.end)}")
    return out


def finding_name_plain(review: Review, item: str) -> str:
    """The plain rule :func:`finding_name` keeps (and a test holds it equal to): a tagged finding (the
    ``<kind>:<key>`` after ``finding:`` in an exhibit tag, a key Atlas writes) named for a person from the
    analysis's typed results: its UK time, its records by exhibit, the order or place; a finding the analysis
    no longer holds is named by its kind. A linear search that rebuilds the candidates on every call."""
    from atlas.review import uk_date

    kind, _, key = item.partition(":")
    result = review.conduct()
    if kind == "candidate":
        from atlas.decisions.candidates import candidates_from

        for c in candidates_from(result, review.case):
            if c.id == key:
                return candidate_name(c.kind, review.record_ref(c.event_id), review.uk(c.ts))
    if kind == "colocation":
        for p in result.colocation_reviews:
            if p.id == key:
                return colocation_name(p.colocation.place, p.colocation.kind, review.uk(p.start))
        for m in result.colocations:
            if m.start.isoformat() == key:
                return colocation_name(m.place, m.kind, review.uk(m.start), possible=False)
    if kind == "possible-breach":
        for b in result.breach_reviews:
            if b.id == key:
                return breach_name(b.order, b.place, review.uk(b.start))
    if kind == "breach":
        for br in result.breaches:
            if f"{br.order}:{br.ts.isoformat()}" == key:
                return f"the breach of order {br.order}, {review.uk(br.ts)}"
    if kind == "incident":
        for i in result.incidents:
            if i.date.isoformat() == key:
                return f"the incident day {uk_date(i.date)}"
    if kind == "gap":
        for g in result.gaps:
            if f"{g.start.isoformat()}:{g.end.isoformat()}" == key:
                return f"the gap from {uk_date(g.start)} to {uk_date(g.end)}"
    if kind == "warning" and key.isdigit():
        return f"warning {key} of the analysis"
    return f"a {kind or 'finding'} the analysis no longer shows"


def tagged_item_name(review: Review, tag: TaggedExhibit, names: Mapping[str, str] | None = None) -> str:
    """What an officer tagged as an exhibit, as people read it: a record by its exhibit
    (``JA/7, sms rowid 477``), a finding by :func:`finding_name` (``names``: the finding index, fetched once
    for a list); never its ``finding:<kind>:<handle>`` key."""
    return review.record_ref(tag.item) if tag.kind == "event" else finding_name(review, tag.item, names)


def note_about_name(review: Review, about: str, names: Mapping[str, str] | None = None) -> str:
    """What an officer's note is about (``case``, ``event:<id>``, ``link:<id>``, ``finding:<kind>:<key>``,
    ``threat@<event id>``: keys Atlas writes), as people read it: a record by its exhibit, a link by its two
    sides, a finding by :func:`finding_name`. A key of another shape (an officer's own words) is shown as
    written; so is an id the case no longer holds."""
    from atlas.exhibits import case_parties, cited_ref

    if about == "case":
        return "the case"
    refs = review.source_refs()
    kind, sep, item = about.partition(":")
    if sep and kind == "event":
        return cited_ref(refs, item)
    if sep and kind == "finding":
        return finding_name(review, item, names)
    if sep and kind == "link":
        from atlas.identity import read_links

        for link in read_links(review.case):
            if link.link_id == item:
                return link_name(refs, case_parties(review.case), link.a, link.b)
        return about
    candidate, at, event = about.partition("@")
    if at and candidate and ":" not in candidate:
        return f"the {candidate} candidate {cited_ref(refs, event)}"
    return about


__all__ = ["HANDLE_HEADER", "breach_name", "candidate_name", "colocation_name", "finding_index", "finding_name", "finding_name_plain", "handle_said",
           "headed", "link_name", "note_about_name", "tagged_item_name"]
