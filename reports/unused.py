"""The schedule of unused material, in the shape of the CPS's MG6C.

Under the CPIA 1996 the police record and retain relevant material and schedule what the
prosecution does not rely on, each item described well enough for the prosecutor to
decide whether it must be disclosed (``shared/DOMAIN.md``, "Disclosure and the CPS
file"). For digital exhibits that is: every source, and within each the records the
statement does not rely on, grouped so a disclosure officer can judge them:

* communications with people who are not parties in the case (third-party
  conversations: flagged as holding third parties' personal data);
* communications between people named in the case that the statement does not use;
* location and cell records not relied on; address-book, account and other records;
* records that could not be read (rejects), with the reason.

Every record is accounted for, per source: relied on + unused + set aside = records
read (the schedule's accounting row says so and the tests check it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

import polars as pl

from atlas.conduct.possible_breaches import BreachReview
from atlas.conduct.possible_colocations import PossibleColocation
from atlas.exhibits import exhibit_key, join_list
from atlas.store import Case
from atlas.wording import CHANNEL_NAMES, LOCATION_CHANNEL_NAMES

from .decided import Decided
from .document import Document, Para, Section, Table
from .style import UK, uk_time

COLUMNS: Final = ("item", "exhibit", "source_file", "category", "records", "first_uk", "last_uk", "description",
                  "relative_location", "third_party_personal_data", "cps_comment")

THIRD_PARTY: Final = "communications with a person who is not a party in the case"
BETWEEN_PARTIES: Final = "communications between people named in the case, not relied on"
ACCOUNTING: Final = "accounting for the exhibit"
DECISIONS: Final = "flagged message dismissed by an officer"
UNDECIDED: Final = "flagged message awaiting an officer's decision"
COLOCATION_DISMISSED: Final = "possible co-location dismissed by an officer"
COLOCATION_OPEN: Final = "possible co-location not counted (awaiting an officer's decision)"
BREACH_DISMISSED: Final = "possible breach of an order dismissed by an officer"
BREACH_OPEN: Final = "possible breach of an order not counted (awaiting an officer's decision)"


@dataclass(frozen=True)
class SourceAccount:
    exhibit: str
    source_file: str
    read: int
    relied: int
    unused: int
    rejects: int


def _fmt(col: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone(str(UK)).dt.strftime("%d/%m/%Y %H:%M %Z")


@dataclass(frozen=True)
class Tally:
    """The records the statement does not rely on, counted per source and group (the Polars
    part of :func:`build`: a pass over every event of the case)."""

    groups: pl.DataFrame
    rejects: pl.DataFrame
    relied_per: dict[str, int]
    src_owner: dict[str, str | None]
    owner_party: dict[str, str]
    third_party: pl.DataFrame
    """Per source, its communications with third parties taken together (records, counterparts,
    first and last, kinds, channels, first and last record): the block an exhibit with more
    than :data:`MAX_COUNTERPART_ROWS` counterparts is listed as."""


MAX_COUNTERPART_ROWS: Final = 5_000
"""Third-party counterparts an exhibit may have and still be listed one row each. Above it
(the returns of numbers around the suspect, tens of thousands of counterparts each) the
schedule lists the exhibit's third-party communications as one block, by quantity and
description, as the CPIA Code of Practice allows for many items of a similar or repetitive
nature, and the rows it would have listed go to :data:`COUNTERPARTS_FILE`, numbered under
the block's item: the schedule stays readable (and within a spreadsheet's 1,048,576 rows)
and nothing is lost."""

COUNTERPARTS_FILE: Final = "unused-material-counterparts.csv"
THIRD_PARTY_BLOCK: Final = "communications with people who are not parties in the case, listed in a block"

F = TypeVar("F", pl.DataFrame, pl.LazyFrame)

_TALLY_COLUMNS: Final = ("event_id", "source_id", "source_ref", "kind", "channel", "ts_utc", "sender", "recipients",
                         "direction")


_GROUP_COLUMNS: Final = ("event_id", "source_id", "source_ref", "kind", "channel", "ts_utc", "category", "counterpart",
                          "other_party")


def _categorised(ev: F, keys: pl.Series, vals: pl.Series, owner_party: Mapping[str, str]) -> F:
    """Events not relied on, in time order, with their category and third-party counterpart."""
    ev = ev.with_columns(
        pl.col("kind").cast(pl.String),
        # the other side of a communication, relative to the exhibit's owner
        pl.when(pl.col("direction").cast(pl.String) == "in").then(pl.col("sender"))
        .otherwise(pl.col("recipients").list.first()).alias("other"),
        pl.col("source_id").replace_strict(owner_party, default="").alias("owner_party"),
    ).with_columns(
        pl.col("other").replace_strict(keys, vals, default=None).alias("other_party"),
        pl.col("sender").replace_strict(keys, vals, default=None).alias("sender_party"),
    )
    comm = pl.col("kind").is_in(["call", "message"])
    return ev.with_columns(
        pl.when(comm & pl.col("other").is_not_null() & pl.col("other_party").is_null()).then(pl.lit(THIRD_PARTY))
        .when(comm).then(pl.lit(BETWEEN_PARTIES))
        .when(pl.col("kind").is_in(["location", "cell"])).then(pl.lit("location and cell records not relied on"))
        .when(pl.col("kind").is_in(["contact", "account"])).then(pl.lit("address-book and account records"))
        .otherwise(pl.lit("other records (media, notes)")).alias("category"),
    ).with_columns(
        pl.when(pl.col("category") == THIRD_PARTY).then(pl.col("other")).otherwise(pl.lit("")).alias("counterpart"),
    )


def _channel_names() -> pl.Expr:
    """A group's channels as people name them (``SMS, Phone call``): the schedule said ``(sms/voice)``,
    the store's keys joined by a slash that elsewhere means records that differ (seed 61023)."""
    names = {**LOCATION_CHANNEL_NAMES, **CHANNEL_NAMES}
    return pl.col("channel").cast(pl.String).replace(names).unique().sort().str.join(", ")


def _groups(ev: pl.DataFrame) -> pl.DataFrame:
    return (
        ev.group_by("source_id", "category", "counterpart", "other_party")
        .agg(pl.len().alias("records"), pl.col("ts_utc").min().alias("first"), pl.col("ts_utc").max().alias("last"),
             pl.col("kind").unique().sort().str.join("/").alias("kinds"),
             _channel_names().alias("channels"),
             pl.col("source_ref").first().alias("ref_first"), pl.col("source_ref").last().alias("ref_last"))
        .with_columns(_fmt("first").alias("first_uk"), _fmt("last").alias("last_uk"))
    )


def _third_party(ev: pl.DataFrame) -> pl.DataFrame:
    return (
        ev.filter(pl.col("category") == THIRD_PARTY).group_by("source_id")
        .agg(pl.len().alias("records"), pl.col("counterpart").n_unique().alias("counterparts"),
             pl.col("ts_utc").min().alias("first"), pl.col("ts_utc").max().alias("last"),
             pl.col("kind").unique().sort().str.join("/").alias("kinds"),
             _channel_names().alias("channels"),
             pl.col("source_ref").first().alias("ref_first"), pl.col("source_ref").last().alias("ref_last"))
        .with_columns(_fmt("first").alias("first_uk"), _fmt("last").alias("last_uk"))
        .sort("source_id")
    )


def _rejects(rejects: pl.LazyFrame) -> pl.DataFrame:
    return (
        rejects.select("source_id", "source_ref", "reason").collect()
        .group_by("source_id", "reason")
        .agg(pl.len().alias("records"), pl.col("source_ref").first().alias("ref_first"),
             pl.col("source_ref").last().alias("ref_last"))
    )


def _maps(sources: pl.DataFrame, owners: Mapping[str, str]) -> tuple[pl.Series, pl.Series, dict[str, str | None],
                                                                       dict[str, str]]:
    keys = pl.Series(list(owners), dtype=pl.String)
    vals = pl.Series(list(owners.values()), dtype=pl.String)
    src_owner = dict(sources.select("source_id", "owner").iter_rows())
    owner_party = {sid: owners.get(o or "", "") for sid, o in src_owner.items()}
    return keys, vals, src_owner, owner_party


def tally(case: Case, sources: pl.DataFrame, relied: set[str], owners: Mapping[str, str]) -> Tally:
    """Count what :func:`build` lists, one source at a time: memory holds one source's
    records, never the case's (:func:`tally_plain`, the whole case at once, is the plain
    rule it is tested equal to). Reads the case only (safe beside other readers)."""
    keys, vals, src_owner, owner_party = _maps(sources, owners)
    relied_ids = pl.Series(sorted(relied), dtype=pl.String).implode()
    groups: list[pl.DataFrame] = []
    third: list[pl.DataFrame] = []
    rejects: list[pl.DataFrame] = []
    relied_per: dict[str, int] = {}
    for sid in case.source_ids():
        mine = case.events(sid)
        # categorised while the source is read; only what the groups need is kept and sorted
        ev, n_relied = pl.collect_all([
            _categorised(mine.select(_TALLY_COLUMNS).filter(~pl.col("event_id").is_in(relied_ids)), keys, vals,
                         owner_party)
            .select(_GROUP_COLUMNS).sort("ts_utc", "event_id", nulls_last=True),
            mine.filter(pl.col("event_id").is_in(relied_ids)).select(pl.len()),
        ])
        groups.append(_groups(ev))
        third.append(_third_party(ev))
        del ev
        rejects.append(_rejects(case.rejects(sid)))
        if n_relied.item():
            relied_per[sid] = int(n_relied.item())
    return Tally(_concat(groups), _concat(rejects), relied_per, src_owner, owner_party, _concat(third))


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()


def tally_plain(case: Case, sources: pl.DataFrame, relied: set[str], owners: Mapping[str, str]) -> Tally:
    """:func:`tally` by the plain rule: every event of the case collected and counted at once."""
    keys, vals, src_owner, owner_party = _maps(sources, owners)
    ev = (
        case.events()
        .select(_TALLY_COLUMNS)
        .collect()
        .filter(~pl.col("event_id").is_in(sorted(relied)))
        .sort("ts_utc", "event_id", nulls_last=True)  # each group's first and last record in time order
    )
    ev = _categorised(ev, keys, vals, owner_party)
    groups = _groups(ev)
    rejects = _rejects(case.rejects())
    relied_per = dict(case.events().filter(pl.col("event_id").is_in(sorted(relied))).group_by("source_id").len()
                      .collect().iter_rows())
    return Tally(groups, rejects, relied_per, src_owner, owner_party, _third_party(ev))


def build(case: Case, sources: pl.DataFrame, refs: Mapping[str, str], relied: set[str], owners: Mapping[str, str],
          names: Mapping[str, str], label: Callable[[str], str], decided: Decided | None = None,
          tallied: Tally | None = None, colocations: Sequence[PossibleColocation] = (),
          breaches: Sequence[BreachReview] = ()) -> tuple[pl.DataFrame, list[SourceAccount]]:
    """The schedule rows and the per-source accounting.

    ``relied``: event ids the statement relies on (events.csv); ``owners``: identifier →
    party id; ``names``: party id → name; ``label``: how a non-party identifier is shown
    (its own text, or a pseudonym when third parties are redacted). ``tallied`` is
    :func:`tally` of the same case, sources, ``relied`` and ``owners`` when the caller
    counted them already (``atlas report`` counts them while it writes the documents).
    ``colocations``: the possible co-locations with their decisions (:func:`colocation_rows`);
    ``breaches``: the possible breaches with theirs (:func:`breach_rows`).
    """
    t = tallied if tallied is not None else tally(case, sources, relied, owners)
    groups, rejects, relied_per, src_owner, owner_party = (t.groups, t.rejects, t.relied_per, t.src_owner,
                                                           t.owner_party)
    rows: list[dict[str, str]] = []
    accounts: list[SourceAccount] = []
    order = sorted(sources.iter_rows(named=True), key=lambda r: _ref_key(refs.get(r["source_id"], "")))
    for src in order:
        sid, ref, fname = src["source_id"], refs.get(src["source_id"], ""), str(src["name"])
        owner_name = names.get(owner_party.get(sid, ""), "") or (f"the subject ({src_owner[sid]})" if src_owner.get(sid)
                                                                  else "")
        mine = groups.filter(pl.col("source_id") == sid).sort("category", "counterpart", "other_party", nulls_last=True)
        acct = SourceAccount(ref, fname, int(src["records_read"] or 0), int(relied_per.get(sid, 0)),
                             int(mine.get_column("records").sum() or 0), int(src["rejects"] or 0))
        accounts.append(acct)
        rows.append(_row(ref, fname, ACCOUNTING, acct.read, "", "", (
            f"{acct.read} records read from {fname}: {acct.relied} relied on in the statement, {acct.unused} not relied "
            f"on (listed below), {acct.rejects} could not be read (listed below)."), "the whole exhibit", "N"))
        whose = f"{owner_name}'s " if owner_name else ""
        block: dict[str, str] | None = None
        if mine.filter(pl.col("category") == THIRD_PARTY).height > MAX_COUNTERPART_ROWS:
            block = _block_row(ref, fname, whose, t.third_party.row(by_predicate=pl.col("source_id") == sid, named=True))
            mine = mine.filter(pl.col("category") != THIRD_PARTY)
            at = mine.filter(pl.col("category") < THIRD_PARTY).height  # where its counterparts' rows would stand
        for k, g in enumerate(mine.iter_rows(named=True)):
            if block is not None and k == at:
                rows.append(block)
            cat = str(g["category"])
            if cat == THIRD_PARTY:
                who = label(str(g["counterpart"]))
                desc = (f"{g['records']} {g['kinds']} record(s) ({g['channels']}) between {whose}device/account and "
                        f"{who}, who is not a party in the case.")
            elif cat == BETWEEN_PARTIES:
                other = names.get(str(g["other_party"] or ""), "") or "an identifier named in the case"
                desc = (f"{g['records']} {g['kinds']} record(s) ({g['channels']}) with {other} in {whose or 'this '}"
                        "exhibit, not relied on in the statement (not between the suspect and the victim's side).")
            else:
                desc = f"{g['records']} {g['kinds']} record(s) ({g['channels']}) in {whose or 'this '}exhibit, not relied on."
            rows.append(_row(ref, fname, cat, int(g["records"]), str(g["first_uk"] or ""), str(g["last_uk"] or ""), desc,
                             f"within {ref}: {g['ref_first']}" + (f" \u2026 {g['ref_last']}" if g["records"] > 1 else ""),
                             "Y" if cat == THIRD_PARTY else ("Y" if cat == BETWEEN_PARTIES else "N")))
        if block is not None and at == mine.height:
            rows.append(block)
        for r in rejects.filter(pl.col("source_id") == sid).sort("reason").iter_rows(named=True):
            rows.append(_row(ref, fname, "records that could not be read", int(r["records"]), "", "",
                             f"{r['records']} record(s) set aside when the exhibit was read: {r['reason']}.",
                             f"within {ref}: {r['ref_first']}" + (f" \u2026 {r['ref_last']}" if r["records"] > 1 else ""),
                             "N"))
    files = {r["exhibit"]: r["source_file"] for r in rows if r["category"] == ACCOUNTING}
    rows += [r | {"source_file": files.get(r["exhibit"], "")} for r in decision_rows(decided)]
    rows += [r | {"source_file": files.get(r["exhibit"], "")} for r in colocation_rows(colocations)]
    rows += [r | {"source_file": files.get(r["exhibit"], "")} for r in breach_rows(breaches)]
    for i, r in enumerate(rows, start=1):
        r["item"] = str(i)
        if r["category"] == THIRD_PARTY_BLOCK:
            r["description"] = r["description"].replace("{item}", str(i))
    return pl.DataFrame(rows, schema={c: pl.String for c in COLUMNS}, orient="row").select(COLUMNS), accounts


def _block_row(ref: str, fname: str, whose: str, block: Mapping[str, object]) -> dict[str, str]:
    """An exhibit's third-party communications as one block (more than :data:`MAX_COUNTERPART_ROWS`
    counterparts); ``{item}`` is its item number, filled in when the rows are numbered."""
    n = int(block["records"])  # type: ignore[call-overload]
    people = int(block["counterparts"])  # type: ignore[call-overload]  # counts a person reads: 50,000, not 50000
    return _row(ref, fname, THIRD_PARTY_BLOCK, n, str(block["first_uk"] or ""), str(block["last_uk"] or ""), (
        f"{n:,} {block['kinds']} record(s) ({block['channels']}) between {whose}device/account and "
        f"{people:,} people who are not parties in the case. Listed as one block, as there are more "
        f"than {MAX_COUNTERPART_ROWS:,} of them; each person, with the records, the first and last times and their "
        f"place in the exhibit, is listed in {COUNTERPARTS_FILE} as item {{item}}.1, {{item}}.2 and so on "
        f"({people:,} rows, one a person)."),
        f"within {ref}: {block['ref_first']}" + (f" \u2026 {block['ref_last']}" if n > 1 else ""), "Y")


def counterpart_rows(schedule: pl.DataFrame, tallied: Tally, refs: Mapping[str, str], names: Mapping[str, str],
                     label: Callable[[str], str]) -> Iterator[pl.DataFrame]:
    """The rows an exhibit listed as a block (:data:`THIRD_PARTY_BLOCK`) would have had, one
    frame of :data:`COLUMNS` per such exhibit, numbered under the block's item (``7.1``,
    ``7.2``, ...), worded as :func:`build` words them: what :data:`COUNTERPARTS_FILE` holds."""
    by_ref = {r: sid for sid, r in refs.items()}
    blocks = schedule.filter(pl.col("category") == THIRD_PARTY_BLOCK)
    for item, ref, fname in blocks.select("item", "exhibit", "source_file").iter_rows():
        sid = by_ref[ref]
        owner_name = names.get(tallied.owner_party.get(sid, ""), "") or (
            f"the subject ({tallied.src_owner[sid]})" if tallied.src_owner.get(sid) else "")
        whose = f"{owner_name}'s " if owner_name else ""
        mine = tallied.groups.filter((pl.col("source_id") == sid) & (pl.col("category") == THIRD_PARTY)).sort(
            "category", "counterpart", "other_party", nulls_last=True)
        who = {c: label(c) for c in mine.get_column("counterpart").unique().to_list()}
        records = pl.col("records").cast(pl.String)
        yield mine.select(
            (pl.lit(f"{item}.") + pl.int_range(1, pl.len() + 1).cast(pl.String)).alias("item"),
            pl.lit(ref).alias("exhibit"), pl.lit(fname).alias("source_file"), pl.lit(THIRD_PARTY).alias("category"),
            records.alias("records"), pl.col("first_uk").fill_null(""), pl.col("last_uk").fill_null(""),
            pl.format("{} {} record(s) ({}) between {}device/account and {}, who is not a party in the case.",
                      records, pl.col("kinds").fill_null("None"), pl.col("channels").fill_null("None"), pl.lit(whose),
                      pl.col("counterpart").replace_strict(who, return_dtype=pl.String)).alias("description"),
            (pl.lit(f"within {ref}: ") + pl.col("ref_first").fill_null("None")
             + pl.when(pl.col("records") > 1).then(pl.lit(" \u2026 ") + pl.col("ref_last").fill_null("None"))
             .otherwise(pl.lit("")))
            .alias("relative_location"),
            pl.lit("Y").alias("third_party_personal_data"), pl.lit("").alias("cps_comment"),
        ).select(COLUMNS)


def decision_rows(decided: Decided | None) -> list[dict[str, str]]:
    """One row per flagged message an officer dismissed or has not decided: relevant unused material
    (an officer's reasoned view that a message the software flagged is not a threat, or does not show
    watching or monitoring, may assist the defence). The message itself is a contact the statement
    relies on (it is in the chronology); what is unused is the flag and the decision, so these rows
    are outside the per-exhibit accounting."""
    if decided is None:
        return []
    rows = []
    flagged = [*decided.threats, *decided.behaviours]
    for m in [m for m in flagged if m.state == "dismissed"] + [m for m in flagged if m.state is None]:
        what = "a threat of violence" if m.kind == "threat" else f"behaviour ({m.behaviour})"
        decision = (f"dismissed by {m.decided_by} on {m.decided_at}: {m.reason or 'no reason recorded'}"
                    if m.state == "dismissed" else "no officer has yet confirmed or dismissed it")
        rows.append(_row(m.record.exhibit if m.record is not None else "", "", DECISIONS if m.state == "dismissed" else UNDECIDED, 1,
                         m.uk_time, m.uk_time,
                         f"{m.channel} message from {m.from_name} to {m.to_name}: \u201c{m.text}\u201d. Flagged by "
                         f"Atlas's rules as possibly {what} ({m.flagged}); {decision}. Not stated as a finding in "
                         "the statement; the message appears there only as a contact in the chronology.",
                         m.exhibit, "N"))
    return rows


def colocation_rows(colocations: Sequence[PossibleColocation]) -> list[dict[str, str]]:
    """One row per possible co-location an officer dismissed or has not decided. The positions are
    records the statement may not rely on, and a reasoned dismissal (the victim was elsewhere, by her
    work rota) may assist the defence: the disclosure officer must see both. A confirmed one is
    relied on (the statement sets it out), so it is not here."""
    rows = []
    for p in [p for p in colocations if p.state == "dismissed"] + [p for p in colocations if p.state == "open"]:
        c = p.colocation
        refs = p.records()
        where = join_list([*c.exhibits[:1], *c.victim_exhibits[:1]]) + (f"; and {len(refs) - 2} more" if len(refs) > 2
                                                                          else "")
        decision = f"{p.status}" if p.state == "dismissed" else "no officer has yet confirmed or dismissed it"
        first = p.record_refs()[:1]
        rows.append(_row(first[0].exhibit if first else "", "",
                         COLOCATION_DISMISSED if p.state == "dismissed" else COLOCATION_OPEN, len(refs),
                         uk_time(c.start), uk_time(c.end),
                         f"Reported positions of the suspect's device and the victim's device, closest "
                         f"{c.min_distance_m:.0f} m apart ({p.basis}); records {p.records_by_exhibit()}; {decision}. "
                         "Not counted in the statement.", where, "N"))
    return rows


def breach_rows(breaches: Sequence[BreachReview]) -> list[dict[str, str]]:
    """One row per possible breach of an exclusion zone an officer dismissed or has not decided: the
    positions are records the statement does not rely on, and a reasoned dismissal (he was elsewhere,
    by an ANPR read) may assist the defence. A confirmed one is relied on (the statement sets it out)."""
    rows = []
    for b in [b for b in breaches if b.state == "dismissed"] + [b for b in breaches if b.state == "open"]:
        p = b.possible
        refs = p.exhibits
        where = join_list(refs[:2]) + (f"; and {len(refs) - 2} more" if len(refs) > 2 else "")
        decision = b.status if b.state == "dismissed" else "no officer has yet confirmed or dismissed it"
        rows.append(_row(p.records[0].exhibit if p.records else "", "",
                         BREACH_DISMISSED if b.state == "dismissed" else BREACH_OPEN, len(refs),
                         uk_time(p.ts), uk_time(p.end),
                         f"Reported position(s) of the suspect's device at {p.place}, an area named in order "
                         f"{p.order}, closest {p.min_distance_m:.0f} m from its centre ({b.basis}); records "
                         f"{b.records_by_exhibit()}; {decision}. Not counted in the statement.", where, "N"))
    return rows


def _row(ref: str, fname: str, cat: str, records: int, first: str, last: str, desc: str, where: str,
         third: str) -> dict[str, str]:
    return {"item": "", "exhibit": ref, "source_file": fname, "category": cat, "records": str(records),
            "first_uk": first, "last_uk": last, "description": desc, "relative_location": where,
            "third_party_personal_data": third, "cps_comment": ""}


def _ref_key(reference: str) -> tuple[str, int]:
    """:func:`atlas.exhibits.exhibit_key`, an unnumbered reference last."""
    prefix, number = exhibit_key(reference)
    return prefix, number or 1 << 30


def document(frame: pl.DataFrame, reference: str, created: object, author: str, marking: str, banner: str) -> Document:
    """The schedule as a document (the HTML rendering)."""
    sec = Section("Schedule of non-sensitive unused material (MG6C)")
    sec.blocks.append(Para(
        "Each exhibit is listed first with its accounting (records read = relied on + not relied on + could not be "
        "read), then the groups of records the statement does not rely on. 'Third-party personal data' marks groups "
        "holding other people's personal data; the CPS comment column is for the prosecutor.", numbered=False))
    if frame.filter(pl.col("category") == THIRD_PARTY_BLOCK).height:
        sec.blocks.append(Para(
            f"An exhibit with more than {MAX_COUNTERPART_ROWS:,} third-party counterparts has its communications with "
            "them listed as one block item, by quantity and description; each counterpart is listed, numbered under "
            f"that item, in {COUNTERPARTS_FILE}.", numbered=False))
    shown = ["item", "exhibit", "category", "records", "first_uk", "last_uk", "description", "relative_location",
             "third_party_personal_data", "cps_comment"]
    sec.blocks.append(Table(["Item", "Exhibit", "Category", "Records", "First (UK)", "Last (UK)", "Description",
                             "Relative location", "Third-party data", "CPS comment"],
                            [[str(v) for v in r] for r in frame.select(shown).iter_rows()],
                            widths=[0.4, 0.6, 1.5, 0.6, 1.1, 1.1, 4.2, 1.8, 0.8, 1.2], small=True))
    return Document(title="SCHEDULE OF UNUSED MATERIAL (MG6C)", reference=reference, sections=[sec],
                    created=created, author=author, marking=marking, banner=banner,  # type: ignore[arg-type]
                    subject="MG6C schedule of unused material produced by Atlas", landscape=True)
