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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

from atlas.store import Case

from .decided import Decided
from .document import Document, Para, Section, Table
from .style import UK

COLUMNS: Final = ("item", "exhibit", "source_file", "category", "records", "first_uk", "last_uk", "description",
                  "relative_location", "third_party_personal_data", "cps_comment")

THIRD_PARTY: Final = "communications with a person who is not a party in the case"
BETWEEN_PARTIES: Final = "communications between people named in the case, not relied on"
ACCOUNTING: Final = "accounting for the exhibit"
DECISIONS: Final = "flagged message dismissed by an officer"
UNDECIDED: Final = "flagged message awaiting an officer's decision"


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


def tally(case: Case, sources: pl.DataFrame, relied: set[str], owners: Mapping[str, str]) -> Tally:
    """Count what :func:`build` lists: reads the case only (safe beside other readers)."""
    keys = pl.Series(list(owners), dtype=pl.String)
    vals = pl.Series(list(owners.values()), dtype=pl.String)
    ev = (
        case.events()
        .select("event_id", "source_id", "source_ref", "kind", "channel", "ts_utc", "sender", "recipients", "direction")
        .collect()
        .filter(~pl.col("event_id").is_in(sorted(relied)))
        .sort("ts_utc", "event_id", nulls_last=True)  # each group's first and last record in time order
    )
    src_owner = dict(sources.select("source_id", "owner").iter_rows())
    owner_party = {sid: owners.get(o or "", "") for sid, o in src_owner.items()}
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
    ev = ev.with_columns(
        pl.when(comm & pl.col("other").is_not_null() & pl.col("other_party").is_null()).then(pl.lit(THIRD_PARTY))
        .when(comm).then(pl.lit(BETWEEN_PARTIES))
        .when(pl.col("kind").is_in(["location", "cell"])).then(pl.lit("location and cell records not relied on"))
        .when(pl.col("kind").is_in(["contact", "account"])).then(pl.lit("address-book and account records"))
        .otherwise(pl.lit("other records (media, notes)")).alias("category"),
    ).with_columns(
        pl.when(pl.col("category") == THIRD_PARTY).then(pl.col("other")).otherwise(pl.lit("")).alias("counterpart"),
    )
    groups = (
        ev.group_by("source_id", "category", "counterpart", "other_party")
        .agg(pl.len().alias("records"), pl.col("ts_utc").min().alias("first"), pl.col("ts_utc").max().alias("last"),
             pl.col("kind").unique().sort().str.join("/").alias("kinds"),
             pl.col("channel").unique().sort().str.join("/").alias("channels"),
             pl.col("source_ref").first().alias("ref_first"), pl.col("source_ref").last().alias("ref_last"))
        .with_columns(_fmt("first").alias("first_uk"), _fmt("last").alias("last_uk"))
    )
    rejects = (
        case.rejects().select("source_id", "source_ref", "reason").collect()
        .group_by("source_id", "reason")
        .agg(pl.len().alias("records"), pl.col("source_ref").first().alias("ref_first"),
             pl.col("source_ref").last().alias("ref_last"))
    )
    relied_per = dict(case.events().filter(pl.col("event_id").is_in(sorted(relied))).group_by("source_id").len()
                      .collect().iter_rows())
    return Tally(groups, rejects, relied_per, src_owner, owner_party)


def build(case: Case, sources: pl.DataFrame, refs: Mapping[str, str], relied: set[str], owners: Mapping[str, str],
          names: Mapping[str, str], label: Callable[[str], str], decided: Decided | None = None,
          tallied: Tally | None = None) -> tuple[pl.DataFrame, list[SourceAccount]]:
    """The schedule rows and the per-source accounting.

    ``relied``: event ids the statement relies on (events.csv); ``owners``: identifier →
    party id; ``names``: party id → name; ``label``: how a non-party identifier is shown
    (its own text, or a pseudonym when third parties are redacted). ``tallied`` is
    :func:`tally` of the same case, sources, ``relied`` and ``owners`` when the caller
    counted them already (``atlas report`` counts them while it writes the documents).
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
        for g in mine.iter_rows(named=True):
            cat = str(g["category"])
            whose = f"{owner_name}'s " if owner_name else ""
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
        for r in rejects.filter(pl.col("source_id") == sid).sort("reason").iter_rows(named=True):
            rows.append(_row(ref, fname, "records that could not be read", int(r["records"]), "", "",
                             f"{r['records']} record(s) set aside when the exhibit was read: {r['reason']}.",
                             f"within {ref}: {r['ref_first']}" + (f" \u2026 {r['ref_last']}" if r["records"] > 1 else ""),
                             "N"))
    files = {r["exhibit"]: r["source_file"] for r in rows if r["category"] == ACCOUNTING}
    rows += [r | {"source_file": files.get(r["exhibit"], "")} for r in decision_rows(decided)]
    for i, r in enumerate(rows, start=1):
        r["item"] = str(i)
    return pl.DataFrame(rows, schema={c: pl.String for c in COLUMNS}, orient="row").select(COLUMNS), accounts


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
        rows.append(_row(m.exhibit.split(",", 1)[0], "", DECISIONS if m.state == "dismissed" else UNDECIDED, 1,
                         m.uk_time, m.uk_time,
                         f"{m.channel} message from {m.from_name} to {m.to_name}: \u201c{m.text}\u201d. Flagged by "
                         f"Atlas's rules as possibly {what} ({m.flagged}); {decision}. Not stated as a finding in "
                         "the statement; the message appears there only as a contact in the chronology.",
                         m.exhibit, "N"))
    return rows


def _row(ref: str, fname: str, cat: str, records: int, first: str, last: str, desc: str, where: str,
         third: str) -> dict[str, str]:
    return {"item": "", "exhibit": ref, "source_file": fname, "category": cat, "records": str(records),
            "first_uk": first, "last_uk": last, "description": desc, "relative_location": where,
            "third_party_personal_data": third, "cps_comment": ""}


def _ref_key(reference: str) -> tuple[str, int]:
    prefix, _, number = reference.partition("/")
    return prefix, int(number) if number.isdigit() else 1 << 30


def document(frame: pl.DataFrame, reference: str, created: object, author: str, marking: str, banner: str) -> Document:
    """The schedule as a document (the HTML rendering)."""
    sec = Section("Schedule of non-sensitive unused material (MG6C)")
    sec.blocks.append(Para(
        "Each exhibit is listed first with its accounting (records read = relied on + not relied on + could not be "
        "read), then the groups of records the statement does not rely on. 'Third-party personal data' marks groups "
        "holding other people's personal data; the CPS comment column is for the prosecutor.", numbered=False))
    shown = ["item", "exhibit", "category", "records", "first_uk", "last_uk", "description", "relative_location",
             "third_party_personal_data", "cps_comment"]
    sec.blocks.append(Table(["Item", "Exhibit", "Category", "Records", "First (UK)", "Last (UK)", "Description",
                             "Relative location", "Third-party data", "CPS comment"],
                            [[str(v) for v in r] for r in frame.select(shown).iter_rows()],
                            widths=[0.4, 0.6, 1.5, 0.6, 1.1, 1.1, 4.2, 1.8, 0.8, 1.2], small=True))
    return Document(title="SCHEDULE OF UNUSED MATERIAL (MG6C)", reference=reference, sections=[sec],
                    created=created, author=author, marking=marking, banner=banner,  # type: ignore[arg-type]
                    subject="MG6C schedule of unused material produced by Atlas", landscape=True)
