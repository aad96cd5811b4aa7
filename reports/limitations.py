""""What this data can and cannot show": written from the sources actually used.

The statement must tell a reader the limits of each kind of data it relies on
(``shared/DOMAIN.md``: a call record shows a SIM was used, not who used it; a cell
site shows the serving cell, not a position; a handset download shows what was
stored, with the device clock). Nothing here is boilerplate for its own sake: a
paragraph appears only when a source of that kind is in the case, and the facts
in it (how many records were recovered deleted, which zone wall-clock times were
read in, how many fell in a clock-change hour, the accuracy of positions, the basis
of each alias link) are counted from the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from atlas.exhibits import case_parties, side_label
from atlas.identity import Link
from atlas.identity.bases import describe as describe_basis
from atlas.model import Channel, EvidenceCategory
from atlas.store import Case
from atlas.wording import plural

from .inputs import IdentifierClaim


def _n(n: int, noun: str, one: str, many: str) -> str:
    """``1 record was`` / ``3 records were``: a count with its noun and verb agreeing."""
    return f"{plural(n, noun)} {one if n == 1 else many}"


@dataclass(frozen=True)
class DataKind:
    """A paragraph of limits, for the sources whose parser declares ``category`` (and, for
    communications data, ``channel``: a cell-site list or a subscriber return)."""

    id: str
    title: str
    category: EvidenceCategory | None
    can: str
    cannot: str
    channel: Channel | None = None


DATA_KINDS: Final[tuple[DataKind, ...]] = (
    DataKind("chat-export", "Chat export made on a handset", EvidenceCategory.CHAT_EXPORT,
             "the messages the exporting phone held for that chat when the export was made, with the times the "
             "phone displayed",
             "messages deleted before the export, or left out of it (exports can be limited in size and omit media); "
             "that the phone's clock was right; who typed a message: a display name is how the phone's owner saved "
             "the contact, not proof of identity"),
    DataKind("cdr", "Call data record (communications data)", EvidenceCategory.COMMUNICATIONS_DATA,
             "that a SIM/handset made or received a call or SMS at a time, to a number, for a duration",
             "who was holding the phone; what was said; for an SMS, its content"),
    DataKind("cell-sites", "Cell-site list", EvidenceCategory.COMMUNICATIONS_DATA,
             "where a network says its cells are, and which way they point",
             "where a phone was: a cell serves an area, which can be large (kilometres) in the countryside",
             Channel.CELL),
    DataKind("subscriber", "Subscriber record", EvidenceCategory.COMMUNICATIONS_DATA,
             "who the network recorded as the account holder of a number, and the handsets (IMEI) it was used in",
             "who used the number at a given time; registration details are often unchecked", Channel.SUBSCRIBER),
    DataKind("location", "Location history", EvidenceCategory.LOCATION_HISTORY,
             "a position with a stated accuracy, as the device or service recorded it",
             "who carried the device; where the device was when accuracy is poor, or between recorded points"),
    DataKind("social", "Social-media or messaging return / export",
             EvidenceCategory.SOCIAL_MEDIA_RETURN,
             "activity on an account as the platform recorded it",
             "who operated the account, unless other evidence links it to a person"),
    DataKind("handset", "Handset download", EvidenceCategory.HANDSET_DOWNLOAD,
             "messages and calls as stored on that device, with the device clock",
             "records deleted and not recovered; that the device clock was right; who used the device"),
    DataKind("tool-export", "Phone-analysis tool export", EvidenceCategory.TOOL_EXPORT,
             "the records a forensic tool extracted from a device, as the tool exported them, with the device clock",
             "records the tool did not extract or the export left out; that the device clock was right; who used "
             "the device"),
)

UNKNOWN_KIND: Final = DataKind("other", "Other source", None, "the records as the source presents them",
                               "anything the source does not itself record")


def classify(parser: str) -> DataKind:
    """The kind of data a source is, from what its parser declares (``ParserInfo.category``
    and ``channels``); a parser this version does not know is "other"."""
    import parsers
    from atlas.errors import FormatError

    try:
        info = parsers.by_name(parser).INFO
    except FormatError:
        return UNKNOWN_KIND
    kinds = [k for k in DATA_KINDS if k.category is info.category]
    special = [k for k in kinds if k.channel is not None and info.channels == {k.channel}]
    plain = [k for k in kinds if k.channel is None]
    return (special or plain or [UNKNOWN_KIND])[0]


def format_described(parser: str, recorded: str) -> str:
    """What a source's format is, as its parser describes it (``ParserInfo.description``), whole: the
    registry's description for a parser this version knows; else the description the ingest recorded
    from it (the sources' ``format`` column), else the parser's name. Never cut out of the text: a
    description may hold a ``:`` (``'[YYYY-MM-DD, HH:MM] Name: text'``)."""
    import parsers
    from atlas.errors import FormatError

    try:
        return parsers.by_name(parser).INFO.description
    except FormatError:
        return recorded.strip() or (f"read by parser {parser}" if parser else UNKNOWN_KIND.title)


@dataclass
class SourceLimits:
    reference: str
    filename: str
    kind: DataKind
    timing: str
    """How the exhibit's times were read (no lead word: each output labels it)."""
    notes: list[str] = field(default_factory=list)
    """Points to note about the exhibit (deleted records, clock changes, cells, records set aside)."""
    assumptions: list[str] = field(default_factory=list)
    """What the parser assumed when it read the exhibit (the store's ``assumptions``): method, kept apart
    from :attr:`notes` so that each output chooses them by field, never by a sentence's opening words."""


@dataclass
class Limitations:
    general: list[str]
    sources: list[SourceLimits]
    identity: list[str]
    """The identifiers the findings rest on: attributed in case.toml or linked and confirmed by an officer."""
    identity_pending: list[str] = field(default_factory=list)
    """Identifiers and links only proposed, awaiting an officer's decision (not used in the findings)."""


_BASIS_WORDS: Final = {
    "utc": "given by the source in UTC",
    "offset": "given by the source with a UTC offset",
    "local": "read as wall-clock times in {zone}",
    "ambiguous": "in the repeated hour when clocks went back in {zone} (the earlier instant was taken, and flagged)",
    "nonexistent": "in the skipped hour when clocks went forward in {zone} (read as if the clock had not yet changed, "
                   "and flagged)",
}


CONFIRMED_LINK: Final = "confirmed by an officer; recorded in the case's decisions ledger"
"""How a served document states an officer's confirmation of an identity link (rule 7)."""


def linked_to(uri: str, claim: IdentifierClaim, links: Sequence[Link], references: Mapping[str, str],
              party_names: Mapping[str, str]) -> str:
    """What a confirmed identifier was linked to and on what basis, along its chain of ledger
    links back to the attributed identifier or party: ``linked to tel:+447700900002 (used in the
    same handset …)``, or ``linked to X (…), which is linked to Y (…)``. Without the chain in
    ``links``: ``linked (<the claim's basis>)``."""
    by_id = {lk.link_id: lk for lk in links}
    cur, steps = uri, list[str]()
    for lid in reversed(claim.link_ids):
        lk = by_id.get(lid)
        if lk is None or cur not in (lk.a, lk.b):
            steps = []
            break
        cur = lk.other(cur)
        shown = (party_names.get(cur.split(":", 1)[1], cur.split(":", 1)[1]) if cur.startswith("party:")
                 else describe_identifier(cur, references))
        steps.append(f"{shown} ({describe_basis(lk.basis)})")
    if not steps:
        return f"linked ({describe_basis(claim.basis)})"
    return "linked to " + ", which is linked to ".join(steps)


CLOCK_REFERENCE: Final = "the reference clock (network time from call data records where the case has them)"
"""What an exhibit's clock difference is measured against, in the words both served documents use."""


def clock_note(seconds: float, matches: int, *, to_the_minute: bool = False) -> str:
    """An exhibit's measured clock difference as the statement gives it (the technical annex's
    'Measured clock difference', :func:`clock_cell`): the times shown from the exhibit are its own
    clock's, uncorrected. Times given to the minute only read early by up to 59 s whatever the clock:
    that is said, so a difference the minute explains is not put down to the clock."""
    whose = "Its times" if to_the_minute else "Its clock"
    minute = (" (times given to the minute only read up to 59 s early, so this difference may come from the minute "
              "alone, not the clock)" if to_the_minute else "")
    return (f"{whose} read {_ahead_or_behind(seconds)} {CLOCK_REFERENCE}, the median difference over "
            f"{plural(matches, 'contact')} matched with other exhibits{minute}; times from it are given as recorded (the "
            "difference is used only to match records).")


def clock_cell(offset: tuple[float, int] | None, min_pairs: int, *, network: bool = False) -> str:
    """The technical annex's cell for one exhibit's measured clock difference ``(seconds, contacts)``
    (None: the exhibit took no part in matching; ``network``: call data records, the reference clock
    itself). The same figure and basis as :func:`clock_note`, never a signed 'correction': times are
    given as recorded, so a '−42 s' read as one applied to them."""
    if network and (offset is None or not round(offset[0])):
        return "none: network time, the reference clock"
    if offset is None:
        return "not measured (no contacts to match)"
    seconds, matches = offset
    if matches < min_pairs:
        return (f"not measured ({plural(matches, 'contact') if matches else 'no contact'} matched without ambiguity; "
                f"{min_pairs} needed)")
    way = _ahead_or_behind(seconds) if round(seconds) else "0 s from"
    return f"{way} the reference clock, median over {plural(matches, 'matched contact')}"


def _ahead_or_behind(seconds: float) -> str:
    return f"{abs(round(seconds))} s {'ahead of' if seconds > 0 else 'behind'}"


def describe_identifier(uri: str, references: Mapping[str, str]) -> str:
    """An identifier as a reader can find it: ``name:<source>:Dan`` → ``display name 'Dan' in JA/3``."""
    if uri.startswith("name:"):
        _, sid, name = uri.split(":", 2)
        return f"display name '{name}' in {references.get(sid, sid)}"
    return uri


def identifier_rows(claims: Mapping[str, IdentifierClaim], references: Mapping[str, str]) -> list[tuple[str, str, str, str]]:
    """(identifier, status, basis, strength) per identifier, strongest status first.

    The officer's display names are attributed once per source (``name:<source>:Dan``
    in every source): they are shown once per name, with how many sources show it.
    """
    rows: list[tuple[str, str, str, str]] = []
    names: dict[str, list[str]] = {}
    for uri, c in sorted(claims.items()):
        if c.status == "attributed" and uri.startswith("name:"):
            names.setdefault(uri.split(":", 2)[2], []).append(uri)
            continue
        rows.append((describe_identifier(uri, references), c.status, c.basis, c.strength))
    for name, uris in sorted(names.items()):
        rows.append((f"display name '{name}' (in any of the {len(uris)} sources)", "attributed",
                     "a display name case.toml gives for the party", "officer"))
    order = {"attributed": 0, "confirmed": 1, "proposed": 2}
    return sorted(rows, key=lambda r: (order.get(r[1], 3), r[0]))


def source_facts(case: Case) -> pl.DataFrame:
    """Per source: counts the limits depend on, one source at a time: a median is not a
    streaming aggregate, so over the whole case at once it would hold every event's columns
    (:func:`source_facts_plain`, the one query, is the rule this is tested equal to)."""
    found = [_facts(case.events(sid)) for sid in case.source_ids()]
    return pl.concat(found, how="vertical_relaxed").sort("source_id") if found else _facts(case.events())


def source_facts_plain(case: Case) -> pl.DataFrame:
    """Per source: counts the limits depend on, in one pass over the events."""
    return _facts(case.events())


def _facts(ev: pl.LazyFrame) -> pl.DataFrame:
    return (
        ev.group_by("source_id")
        .agg(
            pl.len().alias("events"),
            pl.col("deleted").fill_null(False).sum().alias("deleted"),
            pl.col("cell_id").is_not_null().sum().alias("with_cell"),
            (pl.col("lat").is_not_null() & pl.col("lon").is_not_null()).sum().alias("with_position"),
            (pl.col("lat").is_not_null() & pl.col("lon").is_not_null() & pl.col("accuracy_m").is_not_null())
            .sum().alias("with_stated_accuracy"),
            pl.col("accuracy_m").median().alias("accuracy_median"),
            (pl.col("accuracy_m") > 100).sum().alias("accuracy_over_100"),
            (pl.col("ts_basis") == "utc").sum().alias("basis_utc"),
            (pl.col("ts_basis") == "offset").sum().alias("basis_offset"),
            (pl.col("ts_basis") == "local").sum().alias("basis_local"),
            (pl.col("ts_basis") == "ambiguous").sum().alias("basis_ambiguous"),
            (pl.col("ts_basis") == "nonexistent").sum().alias("basis_nonexistent"),
            pl.col("ts_utc").is_not_null().sum().alias("timed"),
            ((pl.col("ts_utc").dt.second() == 0) & (pl.col("ts_utc").dt.microsecond() == 0)).sum().alias("whole_minute"),
        )
        .sort("source_id")
        .collect()
    )


def position_note(positions: int, stated: int, median: float | None, over_100: int) -> str:
    """The served sentence on one exhibit's positions. It says how many state no accuracy: "1,003 positions,
    median stated accuracy 10 m" read as all 1,003 stating one when 990 stated none (covert 62017, JA/13, the
    victim's positions that every possible co-location rests on); the median is of those that state one."""
    tail = " A position shows where the device was recorded, within its accuracy; not who carried it."
    if stated <= 0 or median is None:
        return f"{plural(positions, 'position')}, none with a stated accuracy.{tail}"
    if stated >= positions:
        return (f"{plural(positions, 'position')}, median stated accuracy {median:.0f} m; {over_100} with a stated "
                f"accuracy worse than 100 m.{tail}")
    return (f"{plural(positions, 'position')}: {positions - stated:,} with no stated accuracy; of the {stated:,} "
            f"that state one, median {median:.0f} m, {over_100} worse than 100 m.{tail}")


def _assumptions(row: Mapping[str, object], names: Mapping[str, str],
                 linked: Mapping[str, str] | None = None) -> list[str]:
    """What the parser and the ingest assumed reading a source, for people: the owner line worded from the
    typed :class:`~atlas.ingest.OwnerAssumption` (the party by the name case.toml gives, its key only where it
    gives none) in place of the line the store recorded for it in the ingest's terms ("owner suspect as
    instructed (--owner)"); a store from before the owner was typed keeps its recorded line.

    ``linked`` (identifier → party, the identities an officer confirmed: the map the statement's exhibit list
    names owners by) names an owner case.toml does not give, with its basis: the statement said "relating to
    tel:+447700900018 (Daniel Sample)" while the annex said only "device owner tel:+447700900018" (seed 57575)."""
    from atlas.ingest import OwnerAssumption

    owner = OwnerAssumption.from_row(row.get("owner_assumption"))  # type: ignore[arg-type]
    recorded = [str(a) for a in row.get("assumptions") or []]  # type: ignore[attr-defined]
    if owner is None:
        return recorded
    said = owner.words(names)
    party = (linked or {}).get(owner.identifier) if owner.party is None and owner.identifier else None
    if party:
        said += (f" ({names.get(party, party)}: an identity link confirmed by an officer; recorded in the case's "
                 "decisions ledger)")
    return [said if a == owner.recorded else a for a in recorded]


def _timing(row: Mapping[str, object], zone: str) -> str:
    parts = []
    for basis in ("utc", "offset", "local", "ambiguous", "nonexistent"):
        n = int(row.get(f"basis_{basis}") or 0)  # type: ignore[call-overload]
        if n:
            parts.append(f"{n} {_BASIS_WORDS[basis].format(zone=zone)}")
    if not parts:
        return "no timed records"
    return "; ".join(parts)


def build(
    case: Case,
    sources: pl.DataFrame,
    references: Mapping[str, str],
    claims: Mapping[str, IdentifierClaim],
    links: Sequence[Link] = (),
    dedupe_rule: str | None = None,
    suspect_name: str = "the suspect",
    possible_sms_parts: int = 0,
    owner_parties: Mapping[str, str] | None = None,
    clock_offsets: Mapping[str, tuple[float, int]] | None = None,
) -> Limitations:
    """The limits of this case's data; ``references`` maps source id → exhibit reference."""
    facts = {r["source_id"]: r for r in source_facts(case).iter_rows(named=True)}
    names = case.manifest.party_names()
    per_source: list[SourceLimits] = []
    kinds_seen: dict[str, DataKind] = {}
    for r in sources.sort("source_id").iter_rows(named=True):
        sid = r["source_id"]
        kind = classify(str(r["parser"]))
        kinds_seen[kind.id] = kind
        f = facts.get(sid, {})
        zone = str(r["timezone"] or case.manifest.timezone)
        notes: list[str] = []
        deleted = int(f.get("deleted") or 0)
        if deleted:
            notes.append(f"{_n(deleted, 'record', 'was', 'were')} recovered as deleted: "
                         f"{'its' if deleted == 1 else 'their'} content may be incomplete, and records "
                         "deleted and not recovered cannot be shown.")
        amb, gap = int(f.get("basis_ambiguous") or 0), int(f.get("basis_nonexistent") or 0)
        if amb or gap:
            notes.append(f"{plural(amb + gap, 'time')} fell in a clock-change hour ({amb} repeated, {gap} skipped); each is "
                         "flagged in the schedule of events and its exact instant is uncertain by up to one hour.")
        timed, whole = int(f.get("timed") or 0), int(f.get("whole_minute") or 0)
        if timed and whole == timed:
            notes.append("Times are given to the minute only; the order of records within a minute is the source's.")
        cells = int(f.get("with_cell") or 0)
        positions = int(f.get("with_position") or 0)
        if kind.id == "cell-sites":
            if cells or positions:
                notes.append(f"{plural(max(cells, positions), 'cell')} listed with coordinates: where a mast is, not where any "
                             "phone was; a cell serves an area around it, often large outside towns.")
        else:
            if cells:
                notes.append(f"{_n(cells, 'record', 'carries', 'carry')} a cell identifier: this shows the cell that served the phone (an "
                             "area), not the phone's position, and not that its user was at an address.")
            if positions:
                med = f.get("accuracy_median")
                notes.append(position_note(positions, int(f.get("with_stated_accuracy") or 0),
                                           float(med) if isinstance(med, int | float) else None,
                                           int(f.get("accuracy_over_100") or 0)))
        offset = (clock_offsets or {}).get(sid)
        if offset and round(offset[0]):
            notes.append(clock_note(*offset, to_the_minute=bool(timed and whole == timed)))
        rejects = int(r["rejects"] or 0)
        if rejects:
            notes.append(f"{plural(rejects, 'record')} could not be read and "
                         f"{'was' if rejects == 1 else 'were'} set aside with the reason; "
                         f"{'it is' if rejects == 1 else 'they are'} not in any count and not relied on.")
        untimed = int(f.get("events") or 0) - int(f.get("timed") or 0)
        timing = (f"{_timing(f, zone)}; converted to UTC and shown in UK local time (GMT/BST)."
                  + (f" {_n(untimed, 'record', 'carries', 'carry')} no time." if untimed > 0 else "")
                  if int(f.get("timed") or 0) else "none (reference data without times).")
        per_source.append(SourceLimits(reference=references.get(sid, sid), filename=str(r["name"]), kind=kind,
                                       timing=timing, notes=notes, assumptions=_assumptions(r, names, owner_parties)))

    general = [
        "Times in this statement are UK local times (GMT in winter, BST in summer), stated with the zone; the case "
        "store keeps every time in UTC together with the time exactly as the source wrote it and how it was "
        "converted.",
        "A record shows that a device, SIM or account was used; it does not show who was using it. Attribution of "
        "each identifier to a person is set out below with its basis.",
    ]
    general += [f"{k.title}: can show {k.can}; cannot show on its own {k.cannot}." for k in kinds_seen.values()]
    if dedupe_rule:
        general.append("Each contact is counted once, however many exhibits record it; every exhibit record that "
                       "shows it is named. The matching rule is set out in the technical annex.")
        if possible_sms_parts:
            general.append(
                f"{possible_sms_parts} of the contacts counted are call data record SMS that no handset corroborates, "
                "each within seconds of another between the same people: some may be parts of one long message (the "
                "network lists each part), and where they are, the count of messages is overstated.")
    else:
        general.append("Contacts are counted per source record: the same contact seen in two sources would be counted "
                       "twice (de-duplication across sources was not available).")

    identity: list[str] = []
    pending: list[str] = []
    uris = {describe_identifier(u, references): u for u in claims}
    for row in identifier_rows(claims, references):
        label, status, basis, strength = row
        uri = uris.get(label, "")
        if status == "attributed":
            identity.append(f"{label}: attributed to {suspect_name} by the officer in the case manifest (not derived "
                            "from the data).")
        else:
            evidence = "documentary (proven)" if strength == "proven" else "statistical (inferred)"
            state = CONFIRMED_LINK if status == "confirmed" else "proposed, not yet confirmed"
            to = (linked_to(uri, claims[uri], links, references, names) if uri in claims
                  else f"linked to {suspect_name} ({describe_basis(basis)})")
            (identity if status == "confirmed" else pending).append(f"{label}: {to}; {evidence}; {state}.")
    parties = case_parties(case)

    def side(value: str) -> str:
        # a party by its name and role (side_label), never party:suspect; an identifier as this document names it
        return side_label(references, parties, value) if value.startswith("party:") else describe_identifier(value, references)

    for link in links:
        if link.status == "proposed":
            pending.append(f"Proposed link {side(link.a)} \u2194 {side(link.b)} (basis '{link.basis}', "
                            f"{link.strength}): not used in the findings unless stated; awaiting an officer's decision.")
    if not any(c.status == "confirmed" for c in claims.values()):
        identity.append("No alias link beyond the officer's attribution was used in the findings.")
    return Limitations(general=general, sources=per_source, identity=identity, identity_pending=pending)
