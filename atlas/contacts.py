"""De-duplication: one real-world contact, however many sources record it.

The same SMS can be in the suspect's handset download (sent), the victim's (received)
and the suspect's call data records (an MO SMS); counting it three times would
triple a course of conduct. :func:`dedupe_contacts` groups the source records of a
contact and keeps every one of them (they are the evidence), so analyses count
contacts once and can still show which sources corroborate each.

The rule (also :data:`MATCH_RULE`, which every output that counts contacts prints):

* only ``call`` and ``message`` records; never a draft/unsent/failed/queued/outbox
  message (:data:`atlas.model.NOT_CONTACT_STATUSES`), which never reached anyone;
* same kind, and the same *channel group*: sms, mms, iMessage, RCS and voice calls
  are one "cellular" group because one message can be iMessage on the sender's phone
  and SMS on the receiver's (fallback) and the network shows SMS/MMS;
  WhatsApp (messages and calls) is its own group, as is each other platform;
* the same sender and the same set of recipients after identity resolution
  (``same_person`` maps each identifier to a canonical id, e.g. a party id, so that
  ``name:<source>:Dan`` in one export and ``tel:+44…`` in a CDR meet);
* times within the tolerance (default 120 s) of the contact's anchor record: this
  covers a handset clock tens of seconds off network time, and a WhatsApp text export
  that shows only the minute (up to 59 s early);
* each source's clock offset is estimated against the sources matched before it
  (call data records first: network time) as the median time difference over
  unambiguous pairs, and removed before matching: a handset 40 s fast is matched as
  if it were right, so two texts 50 s apart are not crossed over;
* a contact holds at most one record from each source: two records in one source
  are two contacts (a burst of texts seconds apart is not collapsed into one);
  where several records compete for one contact, the nearest in time wins and the
  others are tried against the next-nearest contact.

* where both records carry text and the texts differ (compared as letters and digits,
  case-folded), the pair scores as far apart: an agreeing text always wins, but text
  never vetoes a match on its own (exports present text differently).
* a long SMS travels as several network messages, and a call data record lists each
  part (a second or so apart); a handset shows one message, which may have matched any
  of the parts. SMS records of one reference source (CDR) with the same key, each within
  :data:`SMS_PART_GAP_S` of the last, form a run; in time order, the run's contacts are
  one message for as long as no other source shows two messages among them, and become
  one contact when some other source corroborates them. A run no other source
  corroborates stays as separate contacts (a call data record cannot tell the parts of a
  long message from texts sent seconds apart), and the rule says so.

Matching is vectorised: sources are processed one after another (most precise clock
first, then the larger); candidate pairs come from one equi-join on (key, time bucket)
and are fixed by mutual best score, a few Polars rounds per source; no Python runs
per record.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Final

import polars as pl

from atlas.model import CONTACT_KINDS, NOT_CONTACT_STATUSES, TS_TYPE, Channel, EvidenceCategory
from atlas.store.manifest import attributed_uris

if TYPE_CHECKING:
    from atlas.store import Case

DEFAULT_TOLERANCE_S: Final = 120

CHANNEL_GROUPS: Final[dict[str, str]] = {
    "sms": "cellular",
    "mms": "cellular",
    "imessage": "cellular",
    "rcs": "cellular",
    "voice": "cellular",
    "voicemail": "cellular",
    "call-forward": "cellular",
    "video": "cellular",
    "whatsapp": "whatsapp",
    "whatsapp-call": "whatsapp",
    "facetime": "facetime",
    "facebook": "facebook",
    "messenger": "facebook",
    "instagram": "instagram",
}
"""Channel → the group in which two records of one contact may differ. Channels not
listed are their own group."""

STATUS_RANK: Final[dict[str, int]] = {
    "answered": 0,
    "read": 1,
    "delivered": 2,
    "sent": 3,
    "received": 4,
    "voicemail": 5,
    "rejected": 6,
    "missed": 7,
    "blocked": 8,
    "deleted-by-sender": 9,
}
"""Which status a contact takes when its records disagree: the most complete outcome
any source saw (a CDR says answered with a duration, the handset may say missed)."""


SMS_PART_GAP_S: Final = 10
"""Seconds between consecutive records of one call data record within which an
uncorroborated SMS record may be a further part of a corroborated one."""


NOT_CONTACTS: Final = f"{', '.join(NOT_CONTACT_STATUSES[:-1])} and {NOT_CONTACT_STATUSES[-1]} messages are never contacts"
"""Which records are never contacts (:data:`atlas.model.NOT_CONTACT_STATUSES`), as a clause: said once,
by every output that states the matching rule, and by the analysis's assumptions."""


def match_clause(tolerance_s: int = DEFAULT_TOLERANCE_S) -> str:
    """The matching rule alone, as a clause (lower case, no full stop) for a sentence that leads into it
    ("each real-world contact is counted once: records are one contact when..."); it leaves out which
    records are never contacts (:data:`NOT_CONTACTS`), a clause of its own."""
    return (
        "records are one contact when they have the same kind (call/message), the same channel group "
        "(SMS, MMS, iMessage and voice calls as the network sees them; WhatsApp and each other platform "
        "separately), the same sender and recipients after identity resolution, and times within "
        f"{tolerance_s} s of each other (allowing for handset clock skew and minute-resolution exports); "
        "at most one record per source, the nearest in time (and agreeing text) winning, after removing each "
        "source's clock offset against network time (the median difference over unambiguous matches); "
        "call data record SMS records of the same sender and recipients, each within "
        f"{SMS_PART_GAP_S} s of the last, are the parts of one long message (the network lists each part, a "
        "handset shows one message) when another source corroborates them and no source shows two messages "
        "among them; where no other source corroborates them, each record is counted (a call data record "
        "cannot tell the parts of a long message from texts sent seconds apart)"
    )


def match_rule(tolerance_s: int = DEFAULT_TOLERANCE_S) -> str:
    """The matching rule as a sentence, for every output that counts contacts: :func:`match_clause`
    and :data:`NOT_CONTACTS`."""
    clause = match_clause(tolerance_s)
    return f"{clause[0].upper()}{clause[1:]}; {NOT_CONTACTS}."


MATCH_RULE: Final = match_rule()

OUTPUT_SCHEMA: Final = pl.Schema(
    {
        "contact_id": pl.String(),
        "ts_utc": TS_TYPE,
        "kind": pl.String(),
        "channel_group": pl.String(),
        "channels": pl.List(pl.String),
        "sender": pl.String(),
        "recipients": pl.List(pl.String),
        "party_from": pl.String(),
        "party_to": pl.List(pl.String),
        "direction_hint": pl.String(),
        "status": pl.String(),
        "duration_s": pl.Int64(),
        "text": pl.String(),
        "event_ids": pl.List(pl.String),
        "source_ids": pl.List(pl.String),
        "n_sources": pl.Int64(),
        "spread_s": pl.Float64(),
    }
)
"""One row per contact. ``sender``/``recipients`` are the identifiers of the anchor
record (the most precise source); ``party_from``/``party_to`` are the canonical ids
matching used; ``spread_s`` is how far apart the records' times are."""

_NEEDED: Final = (
    "event_id", "source_id", "kind", "channel", "ts_utc", "direction", "sender", "recipients",
    "status", "duration_s", "text",
)
CONTACT_RECORD_COLUMNS: Final = _NEEDED
"""The columns of a record :func:`dedupe_contacts` reads (a caller may read only these)."""


def channel_group(channel: pl.Expr) -> pl.Expr:
    """The channel group of a channel column (see :data:`CHANNEL_GROUPS`)."""
    keys = pl.Series(list(CHANNEL_GROUPS), dtype=pl.String)
    vals = pl.Series(list(CHANNEL_GROUPS.values()), dtype=pl.String)
    ch = channel.cast(pl.String).str.to_lowercase()
    return ch.replace_strict(keys, vals, default=ch)


def _canon(expr: pl.Expr, same_person: Mapping[str, str] | None) -> pl.Expr:
    if not same_person:
        return expr
    keys = pl.Series(list(same_person), dtype=pl.String)
    vals = pl.Series([same_person[k] for k in same_person], dtype=pl.String)
    return expr.replace(keys, vals)


def contact_records(
    events: pl.DataFrame | pl.LazyFrame,
    *,
    same_person: Mapping[str, str] | None = None,
    source_owners: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """The records that can be contacts, with their matching key (``key``) and time.

    ``source_owners`` (source id → owner URI) fills a missing side of a record whose
    direction is known but whose parser could not name the owner.
    """
    return _contact_records(events, same_person, source_owners, plain=False)


def contact_records_lazy(
    events: pl.DataFrame | pl.LazyFrame,
    *,
    same_person: Mapping[str, str] | None = None,
    source_owners: Mapping[str, str] | None = None,
) -> pl.LazyFrame:
    """:func:`contact_records` as a query not yet run (``party_to`` by the plain rule,
    :func:`canonical_recipients_plain`, as an expression): the streaming path
    (:mod:`atlas.stream.scan`) aggregates it over a case bigger than memory."""
    return _contact_query(events, same_person, source_owners).with_columns(
        pl.col("recipients").list.eval(_canon(pl.element(), same_person)).list.unique().list.sort().alias("party_to"),
    ).with_columns(_key())


def _key() -> pl.Expr:
    """The matching key: kind, channel group, sender and recipients after identity resolution."""
    return pl.concat_str(
        pl.col("kind"), pl.col("channel_group"), pl.col("party_from").fill_null("?"),
        pl.col("party_to").list.join(","), separator="|",
    ).alias("key")


def _contact_records(events: pl.DataFrame | pl.LazyFrame, same_person: Mapping[str, str] | None,
                     source_owners: Mapping[str, str] | None, *, plain: bool) -> pl.DataFrame:
    frame = _contact_query(events, same_person, source_owners).collect()
    party_to = (canonical_recipients_plain if plain else canonical_recipients)(frame.get_column("recipients"),
                                                                              same_person)
    return frame.with_columns(party_to).with_columns(_key())


def _contact_query(events: pl.DataFrame | pl.LazyFrame, same_person: Mapping[str, str] | None,
                   source_owners: Mapping[str, str] | None) -> pl.LazyFrame:
    """The contact records up to their recipients' canonical ids, as a query."""
    lf = events.lazy() if isinstance(events, pl.DataFrame) else events
    present = lf.collect_schema().names()
    lf = lf.select([c for c in _NEEDED if c in present])
    for name in _NEEDED:
        if name not in present:
            lf = lf.with_columns(pl.lit(None).alias(name))
    lf = lf.filter(
        pl.col("kind").cast(pl.String).is_in(list(CONTACT_KINDS))
        & pl.col("ts_utc").is_not_null()
        & (pl.col("status").is_null() | ~pl.col("status").cast(pl.String).is_in(list(NOT_CONTACT_STATUSES)))
    ).with_columns(
        pl.col("kind").cast(pl.String),
        pl.col("direction").cast(pl.String),
        pl.col("recipients").fill_null(pl.lit([], pl.List(pl.String))),
    )
    if source_owners:
        owner = pl.col("source_id").replace_strict(
            pl.Series(list(source_owners), dtype=pl.String),
            pl.Series([source_owners[k] for k in source_owners], dtype=pl.String),
            default=None,
        )
        lf = lf.with_columns(
            pl.when(pl.col("sender").is_null() & (pl.col("direction") == "out")).then(owner)
            .otherwise(pl.col("sender")).alias("sender"),
            pl.when((pl.col("recipients").list.len() == 0) & (pl.col("direction") == "in") & owner.is_not_null())
            .then(pl.concat_list(owner))
            .otherwise(pl.col("recipients")).alias("recipients"),
        )
    return lf.with_columns(
        channel_group(pl.col("channel")).fill_null("unknown").alias("channel_group"),
        _canon(pl.col("sender"), same_person).alias("party_from"),
        pl.col("ts_utc").dt.epoch("us").alias("t_us"),
    )


def source_stats(recs: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    """Per source, what its place in the matching order rests on: records (``n``) and
    whether every time is on a whole minute (``minute_only``)."""
    return recs.group_by("source_id").agg(
        pl.len().alias("n"),
        ((pl.col("t_us") % 60_000_000) == 0).all().alias("minute_only"),
    )


def canonical_recipients_plain(recipients: pl.Series, same_person: Mapping[str, str] | None) -> pl.Series:
    """The plain rule: each list of recipients as canonical ids, each once, sorted (``party_to``)."""
    return recipients.to_frame().select(
        pl.col(recipients.name).list.eval(_canon(pl.element(), same_person)).list.unique().list.sort().alias("party_to")
    ).to_series()


def canonical_recipients(recipients: pl.Series, same_person: Mapping[str, str] | None) -> pl.Series:
    """:func:`canonical_recipients_plain`, fast: a list of one recipient (nearly every call or
    message) is that recipient's canonical id alone, made column-wise; only longer or empty
    lists go through the per-list evaluation, which cost ~1 s a million records
    (tests/test_contacts_speed.py checks the two agree)."""
    one = (recipients.list.len() == 1).fill_null(False)  # a missing list goes the plain way
    if not one.any():
        return canonical_recipients_plain(recipients, same_person)
    fast = recipients.to_frame().select(
        pl.concat_list(_canon(pl.col(recipients.name).list.first(), same_person)).alias("party_to")).to_series()
    if one.all():
        return fast
    ones, others = one.arg_true(), (~one).arg_true()
    parts = pl.concat([fast.gather(ones), canonical_recipients_plain(recipients.gather(others), same_person)])
    return parts.gather(pl.concat([ones, others]).arg_sort()).alias("party_to")


def _source_order(recs: pl.DataFrame, first: Sequence[str] = ()) -> list[str]:
    """Sources in matching order: ``first`` (e.g. call data records: network time), then
    the most precise clocks (seconds before minute-only), then the larger."""
    stats = source_stats(recs)
    assert isinstance(stats, pl.DataFrame)
    return order_from_stats(stats, first)


def order_from_stats(stats: pl.DataFrame, first: Sequence[str] = ()) -> list[str]:
    """The matching order from :func:`source_stats` (see :func:`_source_order`)."""
    stats = stats.with_columns(
        (pl.col("minute_only") & (pl.col("n") >= 3)).alias("minute_only"),
        (~pl.col("source_id").is_in(list(first))).alias("not_first"),
    )
    return stats.sort(["not_first", "minute_only", "n", "source_id"], descending=[False, False, True, False]
                      ).get_column("source_id").to_list()


MIN_OFFSET_PAIRS: Final = 5
"""Unambiguous matches needed before a source's clock offset is estimated and removed."""


_TEXT_MISMATCH_S: Final = 1_000_000
"""Score penalty (seconds) when two records both carry text and the texts differ: a
differing text never wins over an agreeing one, but text alone never vetoes a match
(exports present text differently: media placeholders, deleted-message notices)."""


def _norm_text(text: pl.Expr) -> pl.Expr:
    """Text as compared across sources: letters and digits only, lower case, 200 chars."""
    t = text.str.to_lowercase().str.replace_all(r"[\W_]+", "").str.slice(0, 200)
    return pl.when(t == "").then(None).otherwise(t)


def _candidates(pending: pl.DataFrame, anchors: pl.DataFrame, tolerance_us: int, *, plain: bool = True) -> pl.DataFrame:
    """Every (record, contact) pair with the same key and times within the tolerance.

    An equi-join on (key, time bucket) with buckets one tolerance wide, each contact
    listed in its own and both neighbouring buckets: every pair within the tolerance
    is produced exactly once, and the join never compares records hours apart.
    """
    width = max(tolerance_us, 1)
    left = pending.with_columns((pl.col("t_us") // width).alias("bucket"))
    # only contacts that could pair (same key, within the source's time span) are listed
    # in buckets: the contacts found so far grow with every source, a source's keys and
    # span do not (same pairs; at 2.4 M records this was most of the de-duplication)
    span = pending.select(pl.col("t_us").min().alias("lo"), pl.col("t_us").max().alias("hi")).row(0)
    if span[0] is None:
        return pl.DataFrame(schema={"row": pl.Int64, "cluster": pl.Int64, "score": pl.Int64, "diff": pl.Int64})
    lo, hi = int(span[0]), int(span[1])
    anchors = anchors.filter(pl.col("anchor_us").is_between(lo - tolerance_us, hi + tolerance_us)).join(
        pending.select(pl.col("key").unique()), on="key", how="semi")
    if plain:
        right = anchors.with_columns(
            pl.concat_list((pl.col("anchor_us") // width) + d for d in (-1, 0, 1)).alias("bucket")
        ).explode("bucket")
    else:  # the same rows, each bucket's in one piece: building and exploding a list a row was most of the cost
        right = pl.concat([anchors.with_columns(((pl.col("anchor_us") // width) + d).alias("bucket"))
                           for d in (-1, 0, 1)])
    pairs = left.join(right, on=["key", "bucket"], how="inner", suffix="_c")
    mismatch = pl.col("ntext").is_not_null() & pl.col("ntext_c").is_not_null() & (pl.col("ntext") != pl.col("ntext_c"))
    return pairs.with_columns(
        (pl.col("t_us") - pl.col("anchor_us")).alias("diff"),
    ).filter(pl.col("diff").abs() <= tolerance_us).with_columns(
        (pl.col("diff").abs() + pl.when(mismatch).then(_TEXT_MISMATCH_S * 1_000_000).otherwise(0)).alias("score"),
    ).select("row", "cluster", "score", "diff")


def _clock_offset(cand: pl.DataFrame) -> tuple[int, int]:
    """(offset in µs, pairs used): the median time difference over unambiguous pairs
    (a record with one candidate contact that has no other candidate record)."""
    clear = cand.with_columns(pl.len().over("row").alias("nr"), pl.len().over("cluster").alias("nc")).filter(
        (pl.col("nr") == 1) & (pl.col("nc") == 1))
    if clear.height < MIN_OFFSET_PAIRS:
        return 0, clear.height
    median = clear.get_column("diff").median()
    return int(round(float(median) / 1e6) * 1e6) if median is not None else 0, clear.height  # type: ignore[arg-type]


def _assign(recs: pl.DataFrame, tolerance_us: int, first: Sequence[str] = (),
            order: Sequence[str] | None = None, *, plain: bool = True) -> tuple[pl.DataFrame, dict[str, tuple[float, int]]]:
    """``row`` → ``cluster`` (the row number of the cluster's anchor record), and each
    source's estimated clock offset (seconds, pairs it rests on).

    Per source, in :func:`_source_order`: the source's clock offset against the contacts
    found so far is estimated from unambiguous pairs and removed; then candidate pairs are
    matched by mutual best score (a record's best contact whose best record it is),
    round by round, so the globally nearest pairs are fixed first and each contact takes
    at most one record of the source; records left over start new contacts.
    """
    anchors = pl.DataFrame(schema={"cluster": pl.Int64, "key": recs.schema["key"], "anchor_us": pl.Int64, "ntext": pl.String})
    assigned: list[pl.DataFrame] = []
    offsets: dict[str, tuple[float, int]] = {}
    present = set(recs.get_column("source_id").unique().to_list()) if order is not None else set()
    for sid in _source_order(recs, first) if order is None else [s for s in order if s in present]:
        pending = recs.filter(pl.col("source_id") == sid).select("row", "key", "t_us", "ntext")
        matched: list[pl.DataFrame] = []
        offset, pairs = 0, 0
        if anchors.height:
            cand = _candidates(pending, anchors, tolerance_us, plain=plain)
            offset, pairs = _clock_offset(cand)
            if offset:
                pending = pending.with_columns(pl.col("t_us") - offset)
                cand = _candidates(pending, anchors, tolerance_us, plain=plain)
            while cand.height:
                best_rec = cand.sort(["score", "cluster"]).unique("row", keep="first")
                best_cl = cand.sort(["score", "row"]).unique("cluster", keep="first")
                mutual = best_rec.join(best_cl, on=["row", "cluster"], how="inner").select("row", "cluster")
                matched.append(mutual)
                cand = cand.join(mutual.select("row"), on="row", how="anti").join(
                    mutual.select("cluster"), on="cluster", how="anti")
        offsets[sid] = (offset / 1e6, pairs)
        done = pl.concat(matched) if matched else pl.DataFrame(schema={"row": pl.Int64, "cluster": pl.Int64})
        assigned.append(done)
        if done.height:
            gained = done.join(pending.select("row", "ntext"), on="row").filter(pl.col("ntext").is_not_null())
            anchors = anchors.join(gained.select("cluster", pl.col("ntext").alias("gained")), on="cluster", how="left")
            anchors = anchors.with_columns(pl.coalesce("ntext", "gained").alias("ntext")).drop("gained")
        new = pending.join(done, on="row", how="anti").select(
            pl.col("row").alias("cluster"), "key", pl.col("t_us").alias("anchor_us"), "ntext")
        assigned.append(new.select(pl.col("cluster").alias("row"), "cluster"))
        anchors = pl.concat([anchors, new])
    result = pl.concat(assigned) if assigned else pl.DataFrame(schema={"row": pl.Int64, "cluster": pl.Int64})
    return result, offsets


def _in_runs(frame: pl.DataFrame, t_us: pl.Expr, by: Sequence[str]) -> pl.DataFrame:
    """The rows of ``frame`` (sorted by ``by`` then time) that are in a run of two or more
    records, each within :data:`SMS_PART_GAP_S` of the last, with the run's number
    (``run``): the shape of a multi-part SMS in a call data record."""
    gap = SMS_PART_GAP_S * 1_000_000
    return frame.with_columns(((t_us.diff().over(*by).fill_null(gap + 1)) > gap).cum_sum().alias("run")).filter(
        pl.len().over(*by, "run") > 1)


def possible_sms_parts(contacts: pl.DataFrame, reference_sources: Sequence[str]) -> int:
    """How many of ``contacts`` (:data:`OUTPUT_SCHEMA`) are a lone call-data-record SMS in a
    run of such contacts between the same people: perhaps parts of one long message,
    counted separately because no other source corroborates them (see the module's rule).
    Outputs that count contacts give this number, so a reader knows how far the count of
    messages may overstate."""
    if contacts.height == 0 or not reference_sources:
        return 0
    reference = pl.Series(sorted(set(reference_sources)), dtype=pl.String).implode()
    lone = contacts.filter(
        (pl.col("kind") == "message") & (pl.col("n_sources") == 1) & (pl.col("event_ids").list.len() == 1)
        & pl.col("source_ids").list.first().is_in(reference)
        & (pl.col("channels").list.join("/").str.to_lowercase() == "sms")
    ).with_columns(pl.col("party_to").list.join("\x1f").alias("_to")).sort("party_from", "_to", "ts_utc")
    return _in_runs(lone, pl.col("ts_utc").dt.epoch("us"), ("party_from", "_to")).height


def _runs_plain(parts: pl.DataFrame) -> Iterator[list[tuple[int, list[str] | None]]]:
    """Each run of ``parts`` (by source, key and run number, in order of first appearance):
    its contacts (``cluster``, ``seen_by``), each once, in the order first seen."""
    for _, run in parts.group_by("source_id", "key", "run", maintain_order=True):
        yield list(run.unique("cluster", keep="first", maintain_order=True).select("cluster", "seen_by").iter_rows())


def _runs(parts: pl.DataFrame) -> Iterator[list[tuple[int, list[str] | None]]]:
    """:func:`_runs_plain` in one pass over the rows: a large case has thousands of runs, and
    three Polars calls per run cost ~1 s a million records (tests/test_contacts_speed.py)."""
    runs: dict[tuple[object, ...], list[tuple[int, list[str] | None]]] = {}
    seen: set[tuple[object, ...]] = set()
    for sid, key, run, cluster, seen_by in parts.select("source_id", "key", "run", "cluster", "seen_by").iter_rows():
        if (sid, key, run, cluster) in seen:
            continue
        seen.add((sid, key, run, cluster))
        runs.setdefault((sid, key, run), []).append((cluster, seen_by))
    yield from runs.values()


def _join_sms_parts(recs: pl.DataFrame, clusters: pl.DataFrame, reference_sources: Sequence[str], *,
                    plain: bool = False) -> pl.DataFrame:
    """``clusters`` with the parts of multi-part SMS joined (see the module's rule).

    Runs are found per reference source and key by the gaps between consecutive records
    (vectorised); only runs of two or more records, rare, are walked here: in time order
    their contacts are gathered while no other source shows two messages among them, and
    a gathering that some other source corroborates becomes one contact."""
    if not reference_sources:
        return clusters
    reference = pl.Series(list(reference_sources), dtype=pl.String).implode()
    sms = (pl.col("source_id").is_in(reference) & (pl.col("kind") == "message")
           & (pl.col("channel").cast(pl.String).str.to_lowercase() == "sms"))
    if plain:
        tagged = recs.join(clusters, on="row", how="inner")
        parts = _in_runs(tagged.filter(sms).sort("source_id", "key", "t_us", "row"), pl.col("t_us"), ("source_id", "key"))
        if parts.height == 0:
            return clusters
        seen_by = tagged.filter(~pl.col("source_id").is_in(reference)).group_by("cluster").agg(
            pl.col("source_id").unique().alias("seen_by"))
    else:
        # the same parts and, for their contacts only, the same other sources: the records are
        # narrowed before they are tagged with their contact (a few runs among every record)
        parts = _in_runs(recs.filter(sms).join(clusters, on="row", how="inner").sort("source_id", "key", "t_us", "row"),
                         pl.col("t_us"), ("source_id", "key"))
        if parts.height == 0:
            return clusters
        wanted = parts.select(pl.col("cluster").unique())
        seen_by = (recs.filter(~pl.col("source_id").is_in(reference)).select("row", "source_id")
                   .join(clusters.join(wanted, on="cluster", how="semi"), on="row", how="inner")
                   .group_by("cluster").agg(pl.col("source_id").unique().alias("seen_by")))
    parts = parts.join(seen_by, on="cluster", how="left")
    target: dict[int, int] = {}
    for run in (_runs_plain(parts) if plain else _runs(parts)):
        groups: list[tuple[list[int], set[str]]] = []
        for cluster, seen in run:
            others = set(seen or ())
            if groups and not (others & groups[-1][1]):
                groups[-1][0].append(cluster)
                groups[-1][1].update(others)
            else:
                groups.append(([cluster], others))
        for members, others in groups:
            if len(members) > 1 and others:
                for cluster in members[1:]:
                    target.setdefault(cluster, members[0])
    if not target:
        return clusters
    moved = pl.DataFrame({"cluster": list(target), "target": list(target.values())},
                         schema={"cluster": pl.Int64, "target": pl.Int64})
    return clusters.join(moved, on="cluster", how="left").select(
        "row", pl.coalesce("target", "cluster").alias("cluster"))


def dedupe_contacts(
    events: pl.DataFrame | pl.LazyFrame,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    same_person: Mapping[str, str] | None = None,
    source_owners: Mapping[str, str] | None = None,
    reference_sources: Sequence[str] = (),
    clock_offsets: dict[str, tuple[float, int]] | None = None,
    source_order: Sequence[str] | None = None,
) -> pl.DataFrame:
    """One row per real-world contact, with every source record that corroborates it.

    ``same_person`` maps identifier URIs to a canonical id (a party id from identity
    resolution); identifiers not in it stand for themselves. See :data:`MATCH_RULE`.
    ``reference_sources`` are matched first and so set the reference clock (call data
    records: network time). If ``clock_offsets`` is given it is filled with each
    source's estimated clock offset against that reference: source id → (seconds the
    source's clock runs ahead, unambiguous pairs the estimate rests on).
    The result is sorted by time, then ``contact_id``; ``contact_id`` is
    ``contact/<event id of the earliest record>``, stable for the same records.
    ``source_order`` (default: from these records) is the order sources are matched in: the
    streaming path (:mod:`atlas.stream.scan`) de-duplicates only the records whose key more
    than one source holds and passes the whole case's order, so they match exactly as
    within the whole case.
    """
    return _dedupe(events, tolerance_s, same_person, source_owners, reference_sources, clock_offsets, plain=False,
                   source_order=source_order)


def dedupe_contacts_plain(
    events: pl.DataFrame | pl.LazyFrame,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    same_person: Mapping[str, str] | None = None,
    source_owners: Mapping[str, str] | None = None,
    reference_sources: Sequence[str] = (),
    clock_offsets: dict[str, tuple[float, int]] | None = None,
) -> pl.DataFrame:
    """:func:`dedupe_contacts` by the plain rule, without its speed paths (each recipient
    list canonicalised one by one, contacts grouped and sorted by time and event id as
    strings): what tests/test_contacts_speed.py holds the fast one equal to."""
    return _dedupe(events, tolerance_s, same_person, source_owners, reference_sources, clock_offsets, plain=True)


def _dedupe(events: pl.DataFrame | pl.LazyFrame, tolerance_s: int, same_person: Mapping[str, str] | None,
            source_owners: Mapping[str, str] | None, reference_sources: Sequence[str],
            clock_offsets: dict[str, tuple[float, int]] | None, *, plain: bool,
            source_order: Sequence[str] | None = None) -> pl.DataFrame:
    if tolerance_s < 0:
        raise ValueError("tolerance_s must be >= 0")
    recs = _contact_records(events, same_person, source_owners, plain=plain)
    if recs.height == 0:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    recs = recs.sort(["t_us", "event_id"]).with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    recs = _with_ntext(recs, plain=plain)
    # matching compares keys only for equality: as integers (a categorical's codes) its joins are cheaper
    key = pl.col("key") if plain else pl.col("key").cast(pl.Categorical).to_physical()
    clusters, offsets = _assign(recs.select("row", "source_id", key, "t_us", "ntext"), tolerance_s * 1_000_000,
                                reference_sources, source_order, plain=plain)
    clusters = _join_sms_parts(recs.select("row", "source_id", "key", "t_us", "kind", "channel"), clusters,
                               reference_sources, plain=plain)
    if clock_offsets is not None:
        clock_offsets.update(offsets)
    # the matching's own columns are done with: the grouping below sorts and moves every column it carries
    recs = (recs if plain else recs.drop("key", "ntext")).join(clusters, on="row", how="left")
    rank = pl.col("status").replace_strict(
        pl.Series(list(STATUS_RANK), dtype=pl.String), pl.Series(list(STATUS_RANK.values()), dtype=pl.Int64),
        default=99,
    )
    recs = recs.with_columns(
        (pl.col("row") == pl.col("cluster")).alias("is_anchor"),
        rank.alias("status_rank"),
        (pl.len().over("cluster") > 1).alias("several"),
    )
    # Most contacts are one record (a source nothing else saw): those rows are contacts as
    # they stand, built column-wise; only contacts of several records are grouped. ``row``
    # numbers the records in (time, event id) order, so a contact's first row is its
    # earliest record (its time and its contact id) and the rows sort as the contacts do.
    single = recs.filter(~pl.col("several")).select(
        pl.col("event_id").alias("first_event"), "ts_utc", "kind", "channel_group",
        pl.concat_list(pl.col("channel").cast(pl.String)).alias("channels"),
        "sender", "recipients", "party_from", "party_to", pl.col("direction").alias("direction_hint"), "status",
        pl.col("duration_s").cast(pl.Int64), "text",
        pl.concat_list("event_id").alias("event_ids"), pl.concat_list("source_id").alias("source_ids"),
        pl.lit(0.0).alias("spread_s"), pl.col("row").alias("first_row"),
    )
    grouped = (
        recs.filter(pl.col("several")).sort(*(["cluster", "t_us", "event_id"] if plain else ["cluster", "row"]))
        .group_by("cluster", maintain_order=True)
        .agg(
            pl.col("event_id").first().alias("first_event"),
            pl.col("ts_utc").first().alias("ts_utc"),
            pl.col("kind").first(),
            pl.col("channel_group").first(),
            pl.col("channel").cast(pl.String).unique().sort().alias("channels"),
            pl.col("sender").filter(pl.col("is_anchor")).first().alias("sender"),
            pl.col("recipients").filter(pl.col("is_anchor")).first().alias("recipients"),
            pl.col("party_from").first(),
            pl.col("party_to").first(),
            pl.col("direction").filter(pl.col("is_anchor")).first().alias("direction_hint"),
            pl.col("status").sort_by("status_rank").first().alias("status"),
            pl.col("duration_s").max().cast(pl.Int64).alias("duration_s"),
            pl.col("text").sort_by(pl.col("is_anchor").not_()).drop_nulls().first().alias("text"),
            pl.col("event_id").sort().alias("event_ids"),
            pl.col("source_id").unique().sort().alias("source_ids"),
            ((pl.col("t_us").max() - pl.col("t_us").min()) / 1e6).alias("spread_s"),
            pl.col("row").first().alias("first_row"),
        )
        .drop("cluster")
    )
    out = pl.concat([single, grouped.select(single.columns).cast(single.schema)]).with_columns(
        ("contact/" + pl.col("first_event")).alias("contact_id"),
        pl.col("source_ids").list.len().cast(pl.Int64).alias("n_sources"),
    )
    # the plain rule sorts by time, then contact id (strings); the first rows sort the same way
    # (a contact's time is its first row's, and rows are numbered in time order: the first row alone sorts them so)
    out = out.sort(["ts_utc", "contact_id"]) if plain else out.sort("first_row")
    return out.select(list(OUTPUT_SCHEMA.names())).cast(dict(OUTPUT_SCHEMA))  # type: ignore[arg-type]


def _with_ntext(recs: pl.DataFrame, *, plain: bool = True) -> pl.DataFrame:
    """``ntext`` (:func:`_norm_text`) where it can matter: records whose key more than one
    source holds. A key only one source has never meets another record, and normalising
    a million texts by regular expression is most of the cost of a big single source.

    ``plain=False`` evaluates the same expression in a lazy query: the normalised text is
    used twice (the test for empty text, and the value), and only a query's common
    subexpression elimination computes it once (an eager ``select`` ran the lowercasing and
    the regular expression twice; tests/test_contacts_speed.py holds the two equal)."""
    def norm(frame: pl.DataFrame) -> pl.DataFrame:
        expr = _norm_text(pl.col("text")).alias("ntext")
        return frame.with_columns(expr) if plain else frame.lazy().with_columns(expr).collect()

    need = recs.select((pl.col("source_id").n_unique().over("key") > 1).alias("need")).to_series()
    if need.all():
        return norm(recs)
    if not need.any():
        return recs.with_columns(pl.lit(None, pl.String).alias("ntext"))
    rows = need.arg_true()
    texts = norm(recs.get_column("text").gather(rows).to_frame()).get_column("ntext")
    return recs.with_columns(pl.repeat(None, recs.height, dtype=pl.String, eager=True).scatter(rows, texts).alias("ntext"))


def case_identity_map(case: Case, *, include_proposed: bool = False) -> dict[str, str]:
    """Identifier URI → party id as identity resolution currently stands for ``case``
    (the manifest's attribution plus confirmed links; proposed ones only if asked)."""
    try:
        from atlas.identity import identifier_owner_map
    except ImportError:  # identity resolution not available: the manifest alone
        owner: dict[str, str] = {}
        for party in case.manifest.parties:
            for uri in attributed_uris(party, case.source_ids()):
                owner.setdefault(uri, party.id)
        return owner
    return identifier_owner_map(case, include_proposed=include_proposed)


def case_contacts(
    case: Case,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    include_proposed: bool = False,
    clock_offsets: dict[str, tuple[float, int]] | None = None,
) -> pl.DataFrame:
    """:func:`dedupe_contacts` over every source of a case, with its identity map, each
    source's owner, and call data records (network time) as the reference clock: what
    analyses should count instead of raw events."""
    sources = case.sources()
    with_owner = sources.filter(pl.col("owner").is_not_null())
    owners = dict(zip(with_owner.get_column("source_id").to_list(), with_owner.get_column("owner").to_list(),
                      strict=True))
    return dedupe_contacts(
        case.events(), tolerance_s=tolerance_s,
        same_person=case_identity_map(case, include_proposed=include_proposed), source_owners=owners,
        reference_sources=network_sources(case), clock_offsets=clock_offsets,
    )


def party_hit(party: str | None, identifiers: frozenset[str] | set[str] = frozenset()) -> pl.Expr:
    """Whether a contact's sender or a recipient is ``party`` (a party id) or one of
    ``identifiers`` (``atlas contacts --party``, ``atlas export --to i2 --party``)."""
    ids = pl.Series(sorted(identifiers), dtype=pl.String).implode()
    hit = pl.col("sender").is_in(ids) | pl.col("recipients").list.eval(pl.element().is_in(ids)).list.any()
    if party is not None:
        hit = hit | (pl.col("party_from") == party) | pl.col("party_to").list.contains(party)
    return hit


def network_sources(case: Case) -> list[str]:
    """The case's call data records: network time, the reference clock of de-duplication,
    and the sources whose SMS may list a long message part by part. Every analysis that
    counts contacts passes them, so all count alike."""
    sources = case.sources()
    # Call data records: what their parsers declare (communications data with calls or
    # texts), not a parser's name.
    import parsers

    cdr = [p.INFO.name for p in parsers.all_parsers() if p.INFO.category is EvidenceCategory.COMMUNICATIONS_DATA
           and p.INFO.channels & {Channel.VOICE, Channel.SMS}]
    return sources.filter(pl.col("parser").is_in(cdr)).get_column("source_id").sort().to_list()


__all__ = [
    "CHANNEL_GROUPS", "DEFAULT_TOLERANCE_S", "MATCH_RULE", "NOT_CONTACTS", "OUTPUT_SCHEMA", "STATUS_RANK",
    "canonical_recipients", "canonical_recipients_plain", "case_contacts", "case_identity_map", "channel_group",
    "contact_records", "contact_records_lazy", "dedupe_contacts", "dedupe_contacts_plain", "match_clause", "match_rule",
    "network_sources", "order_from_stats", "party_hit", "possible_sms_parts", "source_stats",
]
