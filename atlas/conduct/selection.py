"""The contacts the analysis is about, each counted once however many sources hold it.

From the case's events, the call and message records that touch the suspect or the
people the conduct is aimed at are de-duplicated across sources
(:func:`atlas.contacts.dedupe_contacts`, rule :data:`atlas.contacts.MATCH_RULE`) with
the view's identity map, then given a role:

``conduct``       suspect → a target (victim or her network): the course of conduct;
``authority``     suspect → a police number (possible vexatious report about her);
``reply``         a target → the suspect (reciprocity, replies);
``unattributed``  an identifier nobody is attributed → the victim (a lead for identity
                  resolution, never counted as conduct);
``to-unattributed`` the victim → such an identifier (does she answer it? a one-way
                  stream from a new identifier is what a switch of identity looks like).

Drafts and unsent messages never get this far (they are not contacts).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import polars as pl

from atlas.contacts import CONTACT_RECORD_COLUMNS, dedupe_contacts, network_sources
from atlas.model import CONTACT_KINDS
from atlas.store import Case

from .options import ConductOptions
from .parties import STATUS_RANK, Cast
from .threats import Lexicon, stop_requests

ROLES: Final = ("conduct", "authority", "reply", "unattributed", "to-unattributed")

CONTACT_FRAME: Final = pl.Schema({
    "contact_id": pl.String(), "ts_utc": pl.Datetime("us", "UTC"), "kind": pl.String(), "channel": pl.String(),
    "channels": pl.List(pl.String()), "role": pl.String(), "party_from": pl.String(), "party_to": pl.List(pl.String()),
    "target": pl.String(), "status": pl.String(), "duration_s": pl.Int64(), "text": pl.String(),
    "event_ids": pl.List(pl.String()), "source_ids": pl.List(pl.String()), "n_sources": pl.Int64(),
    "identifiers": pl.List(pl.String()), "identifier_status": pl.String(), "ts_bases": pl.List(pl.String()),
    "local_date": pl.Date(), "local_hour": pl.Int8(), "night": pl.Boolean(), "stop_request": pl.String(),
})


def any_in(column: str, values: Iterable[str]) -> pl.Expr:
    """A list column contains any of ``values``."""
    s = sorted(set(values))
    return pl.col(column).list.eval(pl.element().is_in(s)).list.any().fill_null(False)


def night_expr(hour: pl.Expr, options: ConductOptions) -> pl.Expr:
    start, end = options.night_start_hour, options.night_end_hour
    if start == end:
        return pl.lit(False)
    if start < end:
        return (hour >= start) & (hour < end)
    return (hour >= start) | (hour < end)


def _sender_rank(cast: Cast) -> pl.Expr:
    """The attribution rank (:data:`STATUS_RANK`) of each record's sender in this view."""
    claims = cast.suspect_claims
    return pl.col("sender").replace_strict(
        pl.Series(list(claims), dtype=pl.String),
        pl.Series([STATUS_RANK[c.status] for c in claims.values()], dtype=pl.Int64), default=None,
    ) if claims else pl.lit(None, pl.Int64)


def _status_of_rank(frame: pl.DataFrame) -> pl.DataFrame:
    status_names = pl.Series(list(STATUS_RANK), dtype=pl.String)
    return frame.with_columns(
        pl.col("rank").replace_strict(pl.Series(list(STATUS_RANK.values()), dtype=pl.Int64), status_names,
                                      default=None).alias("identifier_status")
    ).drop("rank")


def _records_of(contacts: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Each contact's records with their sender and time basis (one row per record)."""
    return (contacts.select("contact_id", "event_ids").explode("event_ids").rename({"event_ids": "event_id"})
            .join(events.select("event_id", "sender", pl.col("ts_basis").cast(pl.String)), on="event_id", how="left"))


def identifiers_by_contact_plain(contacts: pl.DataFrame, events: pl.DataFrame, cast: Cast) -> pl.DataFrame:
    """The rule: per contact, by which identifiers (every record's sender, sorted), the
    time bases of its records, and how it is attributed in this view (the best-ranked
    status among its senders): ``contact_id``, ``identifiers``, ``ts_bases``, ``identifier_status``."""
    return _status_of_rank(_records_of(contacts, events).with_columns(_sender_rank(cast).alias("rank"))
                           .group_by("contact_id").agg(
        pl.col("sender").drop_nulls().unique().sort().alias("identifiers"),
        pl.col("rank").min().alias("rank"),
        pl.col("ts_basis").drop_nulls().unique().sort().alias("ts_bases"),
    ))


def identifiers_by_contact(contacts: pl.DataFrame, events: pl.DataFrame, cast: Cast) -> pl.DataFrame:
    """:func:`identifiers_by_contact_plain`, grouping only the contacts of several records.

    A contact of one record (most of them) has that record's sender and time basis as
    they stand, so its row is built column-wise; grouping every contact of a million-event
    case took half a second of each recomputation. Tested equal to the plain rule."""
    one = pl.col("event_ids").list.len() == 1
    several = identifiers_by_contact_plain(contacts.filter(~one), events, cast)
    none = pl.lit([], pl.List(pl.String))
    single = _status_of_rank(
        contacts.filter(one).select("contact_id", pl.col("event_ids").list.first().alias("event_id"))
        .join(events.select("event_id", "sender", pl.col("ts_basis").cast(pl.String)), on="event_id", how="left")
        .select(
            "contact_id",
            pl.when(pl.col("sender").is_null()).then(none).otherwise(pl.concat_list("sender")).alias("identifiers"),
            _sender_rank(cast).alias("rank"),
            pl.when(pl.col("ts_basis").is_null()).then(none).otherwise(pl.concat_list("ts_basis")).alias("ts_bases"),
        ))
    return pl.concat([single, several.select(single.columns).cast(single.schema)])


def contact_events(case: Case) -> pl.LazyFrame:
    """Every record of the case of a kind that can be a contact (calls and messages), in
    store order: what :func:`select_contacts` narrows to the people of a view."""
    return case.events().filter(pl.col("kind").cast(pl.String).is_in(list(CONTACT_KINDS)))


READ_COLUMNS: Final = (*CONTACT_RECORD_COLUMNS, "ts_basis")
"""What :func:`select_contacts` reads of each record: the de-duplication's columns and the time basis."""


def select_contacts(case: Case, cast: Cast, options: ConductOptions, zone: str, lexicon: Lexicon, *,
                    events: pl.DataFrame | None = None, plain: bool = False) -> pl.DataFrame:
    """De-duplicated contacts with a role (see module docstring), in time order.

    ``events`` is :func:`contact_events` of ``case`` already read (a caller that keeps it
    across recomputations: the same rows in the same order, so the same result).
    ``plain=True`` reads every column of the records (the plain rule); otherwise only
    :data:`READ_COLUMNS`, all that the rest reads (the store's other columns, e.g. the raw
    time text and the source reference, were decoded for nothing: tested equal)."""
    parties = {cast.suspect, *cast.targets, *cast.authorities}
    relevant = sorted(u for u, p in cast.owner_map.items() if p in parties)
    owned = sorted(sid for sid, u in cast.source_owner_uri.items() if cast.owner_map.get(u) in parties)
    rel = relevant
    query = events.lazy() if events is not None else contact_events(case)
    if not plain:
        present = set(query.collect_schema().names())
        query = query.select([c for c in READ_COLUMNS if c in present])
    events = (
        query
        .filter(
            pl.col("sender").is_in(rel)
            | pl.col("recipients").list.eval(pl.element().is_in(rel)).list.any()
            | pl.col("source_id").is_in(owned)
        )
        .collect()
    )
    if events.height == 0:
        return pl.DataFrame(schema=CONTACT_FRAME)
    contacts = dedupe_contacts(events, tolerance_s=options.dedupe_tolerance_s, same_person=cast.owner_map,
                               source_owners=cast.source_owner_uri, reference_sources=network_sources(case))
    known = set(cast.owner_map.values())
    targets = list(cast.targets)
    role = (
        pl.when((pl.col("party_from") == cast.suspect) & any_in("party_to", cast.targets)).then(pl.lit("conduct"))
        .when((pl.col("party_from") == cast.suspect) & any_in("party_to", cast.authorities or ("-",))).then(pl.lit("authority"))
        .when(pl.col("party_from").is_in(targets) & any_in("party_to", [cast.suspect])).then(pl.lit("reply"))
        .when(pl.col("party_from").is_not_null() & ~pl.col("party_from").is_in(sorted(known))
              & any_in("party_to", cast.victims)).then(pl.lit("unattributed"))
        .when(pl.col("party_from").is_in(list(cast.victims))
              & (pl.col("party_to").list.len() == 1)
              & ~pl.col("party_to").list.first().is_in(sorted(known)))
        .then(pl.lit("to-unattributed"))
        .otherwise(None)
    )
    contacts = contacts.with_columns(role.alias("role")).filter(pl.col("role").is_not_null())
    if contacts.height == 0:
        return pl.DataFrame(schema=CONTACT_FRAME)

    by_contact = identifiers_by_contact(contacts, events, cast)
    local = pl.col("ts_utc").dt.convert_time_zone(zone)
    first_target = pl.col("party_to").list.eval(pl.element().filter(pl.element().is_in(targets))).list.first()
    out = contacts.join(by_contact, on="contact_id", how="left").with_columns(
        pl.col("channels").list.join("/").alias("channel"),
        pl.when(pl.col("role") == "conduct").then(first_target)
        .when(pl.col("role") == "authority").then(pl.col("party_to").list.first())
        .when(pl.col("role") == "reply").then(pl.col("party_from"))
        .otherwise(pl.col("party_to").list.eval(pl.element().filter(
            pl.element().is_in(list(cast.victims)))).list.first())
        .alias("target"),
        local.dt.date().alias("local_date"),
        local.dt.hour().cast(pl.Int8).alias("local_hour"),
    ).with_columns(
        night_expr(pl.col("local_hour"), options).alias("night"),
        pl.when(pl.col("role").is_in(["conduct", "authority"])).then(pl.col("identifier_status"))
        .otherwise(None).alias("identifier_status"),
    )
    is_reply = out.get_column("role") == "reply"
    asked = stop_requests(out.get_column("text").zip_with(is_reply, pl.Series([None] * out.height, dtype=pl.String)), lexicon)
    out = out.with_columns(asked.alias("stop_request"))
    return out.select(list(CONTACT_FRAME.names())).cast(dict(CONTACT_FRAME)).sort(["ts_utc", "contact_id"])  # type: ignore[arg-type]
