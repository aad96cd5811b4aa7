"""Polars frames shaped for the workbench's tables: contacts, conversations, conduct
findings, candidates, exhibits. Pure functions of the review's typed results, kept apart
from the widgets so they are testable (and timed) without a terminal.

People never see a hex id: records are named by exhibit (``JA/7, sms rowid 477``, or
the file name until the sources are numbered), identifiers by party name where case.toml
or a confirmed link attributes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from atlas.decisions.naming import HANDLE_HEADER
from atlas.review import Review

if TYPE_CHECKING:
    from atlas.conduct.records import Breach

UK = "Europe/London"


def uk_time(col: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone(UK).dt.strftime("%d/%m/%Y %H:%M:%S %Z")


def who_expr(col: str, names: dict[str, str]) -> pl.Expr:
    """A party id → ``Daniel Sample (suspect)``; a URI → as people read it (``name:…:Dan`` → ``Dan``)."""
    shown = pl.col(col).str.replace(r"^name:[^:]*:", "")
    if not names:
        return shown
    return pl.col(col).replace_strict(list(names), list(names.values()), default=shown, return_dtype=pl.String)


def party_names(review: Review) -> dict[str, str]:
    return {p.id: f"{p.name or p.id} ({p.id})" for p in review.case.manifest.parties}


def source_number(review: Review, col: str = "source_id") -> pl.Expr:
    """Each row's source as its exhibit number (``JA/7`` is 7; an unnumbered one 0): lists in exhibit order
    sort by this, the number as data, never by reading it back out of the reference shown."""
    numbers = review.source_numbers()
    return pl.col(col).replace_strict(list(numbers), list(numbers.values()), default=0, return_dtype=pl.Int64)


def contacts_view(review: Review) -> pl.DataFrame:
    """One row per de-duplicated contact, in time order, with the pair it belongs to."""
    contacts = review.contacts()
    names = party_names(review)
    first_to = pl.col("party_to").list.first()
    pair = pl.concat_str([pl.min_horizontal(pl.col("party_from"), first_to),
                          pl.max_horizontal(pl.col("party_from"), first_to)], separator=" ↔ ")
    return contacts.sort("ts_utc", "contact_id").with_columns(
        pl.col("event_ids").list.first().alias("_first_event"),
    ).select(
        uk_time("ts_utc").fill_null("").alias("when (UK)"),
        pl.col("kind"),
        # the store's keys for now, named below (named_channels); the table holds the column at CHANNEL_WIDTH
        pl.col("channels").list.join("/").alias("channel"),
        who_expr("party_from", names).fill_null("").alias("from"),
        pl.col("party_to").list.eval(who_expr("", names)).list.join("; ").alias("to"),
        pl.col("status").fill_null(""),
        pl.col("n_sources").alias("sources"),
        review.record_ref_expr("_first_event").alias("record"),
        pl.col("text").fill_null("").str.replace_all("\n", " ").str.slice(0, 120).alias("text"),
        pl.col("contact_id").alias("_contact_id"),
        pl.col("event_ids").alias("_event_ids"),
        pl.col("party_from").alias("_from"),
        pl.col("party_to").alias("_to"),
        pl.col("sender").alias("_sender"),
        pl.col("recipients").alias("_recipients"),
        pl.col("channels").alias("_channels"),
        pl.when(pl.col("party_to").list.len() == 1).then(pair).otherwise(None).alias("_pair"),
        # the pair's two sides as data: the conversations name each side from these, never by cutting "_pair"
        pl.when(pl.col("party_to").list.len() == 1).then(pl.min_horizontal(pl.col("party_from"), first_to))
        .otherwise(None).alias("_side_a"),
        pl.when(pl.col("party_to").list.len() == 1).then(pl.max_horizontal(pl.col("party_from"), first_to))
        .otherwise(None).alias("_side_b"),
        pl.col("_first_event"),
    ).with_columns(_haystack()).pipe(named_channels)


CHANNEL_WIDTH = 14
"""The channel column's width in the timeline's and a thread's table: the widest everyday name ("WhatsApp call", 13)
whole. A contact whose records name different channels reads "MMS or SMS (the records differ)" (31): at its own width
it pushed "from" and "to" off an 80-column screen, so the table cuts it ("MMS or SMS (t…") and the detail pane under
the table, and a record's own view, say it whole."""


def named_channels(view: pl.DataFrame) -> pl.DataFrame:
    """A view's ``channel`` column (the store's keys: ``voice``, ``mms/sms``) as people name the channel
    (:func:`atlas.wording.channel_name`: ``Phone call``, ``MMS or SMS (the records differ)``). The filter keeps
    using the keys (``_channels``); only what is shown changes."""
    if not view.height:
        return view
    keys = view.get_column("channel").filter(view.get_column("channel") != "")  # no channel (a position) stays blank
    return view.with_columns(_named(pl.col("channel"), keys).alias("channel"))


def _named(column: pl.Expr, keys: pl.Series) -> pl.Expr:
    """Channel keys in a string column (``voice``, ``mms/sms``) as people name them
    (:func:`atlas.wording.channel_name`), each distinct key named once."""
    return column.replace_strict(*_name_pairs(keys), default=column, return_dtype=pl.String)


def _name_pairs(keys: pl.Series) -> tuple[list[str], list[str]]:
    from atlas.wording import channel_name

    distinct = keys.drop_nulls().unique().sort().to_list()
    return distinct, [channel_name(k) for k in distinct]


def _haystack() -> pl.Expr:
    """What the search box searches, lower-cased once so a filter change is one scan."""
    return pl.concat_str(["from", "to", "text", "record"], separator=" ").str.to_lowercase().alias("_haystack")


def contact_filter(*, text: str = "", party: str | None = None, identifiers: frozenset[str] | None = None,
                   channel: str | None = None) -> pl.Expr | None:
    """The timeline's filters as one predicate (None: no filter)."""
    parts = []
    if party is not None or identifiers is not None:
        ids = pl.Series(sorted(identifiers or ()), dtype=pl.String).implode()
        hit = pl.col("_sender").is_in(ids) | pl.col("_recipients").list.eval(pl.element().is_in(ids)).list.any()
        if party is not None:
            hit = hit | (pl.col("_from") == party) | pl.col("_to").list.contains(party)
        parts.append(hit)
    if channel:
        parts.append(pl.col("_channels").list.contains(channel))
    if text:
        parts.append(pl.col("_haystack").str.contains(text.lower(), literal=True))
    return pl.all_horizontal(parts) if parts else None


def filter_rows(view: pl.DataFrame, **filters: object) -> pl.Series | None:
    """Row numbers of ``view`` the filters keep (None: all of them)."""
    predicate = contact_filter(**filters)  # type: ignore[arg-type]
    if predicate is None:
        return None
    return view.select(pl.arg_where(predicate)).to_series().cast(pl.Int64)


def filter_contacts(view: pl.DataFrame, **filters: object) -> pl.DataFrame:
    rows = filter_rows(view, **filters)
    return view if rows is None else view[rows]


def conversations(view: pl.DataFrame, names: dict[str, str]) -> pl.DataFrame:
    """One row per pair of people (parties, or identifiers no one is linked to), across
    channels and identities, busiest first; group messages are left out (no pair)."""
    pairs = view.filter(pl.col("_pair").is_not_null())
    return (
        pairs.group_by("_pair")
        .agg(pl.len().alias("contacts"), pl.col("when (UK)").first().alias("first (UK)"),
             pl.col("when (UK)").last().alias("last (UK)"), pl.col("_side_a").first(), pl.col("_side_b").first(),
             pl.col("_channels").list.explode(keep_nulls=False, empty_as_null=False).unique().sort().alias("_ch"))
        .with_columns(pl.col("_ch").list.eval(_named(pl.element(), _channel_keys(pairs))).list.join(", ").alias("channels"),
                      pl.concat_str([who_expr("_side_a", names), who_expr("_side_b", names)], separator=" ↔ ")
                      .alias("between"))
        .sort(["contacts", "_pair"], descending=[True, False])
        .select("between", "contacts", "channels", "first (UK)", "last (UK)", "_pair")
    )


def channel_options(view: pl.DataFrame) -> list[tuple[str, str]]:
    """The timeline's channel filter: (what the list shows, the key the filter takes), the channel as people
    name it (``Phone call``), not the key (``voice``)."""
    from atlas.wording import channel_name

    return [(channel_name(c), c) for c in _channel_keys(view).unique().sort().to_list()]


def _channel_keys(view: pl.DataFrame) -> pl.Series:
    return view.get_column("_channels").explode().drop_nulls() if view.height else pl.Series([], dtype=pl.String)


THREAD_COLUMNS = ("when (UK)", "from", "channel", "kind", "status", "sources", "record", "text",
                  "_event_ids", "_contact_id", "_first_event")


def thread(view: pl.DataFrame, pair: str) -> pl.DataFrame:
    return view.filter(pl.col("_pair") == pair).select(THREAD_COLUMNS)


def thread_rows(view: pl.DataFrame, pair: str) -> pl.Series:
    """Row numbers of ``view`` in the conversation of ``pair`` (in time order)."""
    return view.select(pl.arg_where(pl.col("_pair") == pair)).to_series().cast(pl.Int64)


def records_frame(review: Review, event_ids: list[str]) -> pl.DataFrame:
    """The source records behind a finding, each named by exhibit, with its text."""
    if not event_ids:
        return pl.DataFrame(schema={"record": pl.String, "when (UK)": pl.String, "channel": pl.String,
                                    "text": pl.String, "_event_id": pl.String})
    ev = review.case.events().filter(pl.col("event_id").is_in(sorted(set(event_ids)))).collect()
    return ev.sort("ts_utc", "event_id").select(
        review.record_ref_expr("event_id").alias("record"),
        uk_time("ts_utc").fill_null("").alias("when (UK)"),
        pl.col("channel").fill_null(""),
        pl.col("kind").cast(pl.String),
        pl.col("direction").cast(pl.String).alias("dir"),
        pl.col("text").fill_null("").str.replace_all("\n", " ").str.slice(0, 120).alias("text"),
        pl.col("event_id").alias("_event_id"),
    ).pipe(named_channels)


def _rows(rows: list[dict[str, Any]], schema: dict[str, type[pl.DataType] | pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)


def _presence_flags(presences: Any) -> str:
    """Measured presences by place; a possible co-location an officer confirmed said as such (never as measured)."""
    measured = sorted({str(p.place) for p in presences if p.kind != "confirmed-colocation"})
    confirmed = sorted({str(p.place) for p in presences if p.kind == "confirmed-colocation"})
    return ((" presence: " + ", ".join(measured) if measured else "")
            + (" co-location confirmed by an officer: " + ", ".join(confirmed) if confirmed else ""))


def _threat_flag(confirmed: bool) -> str:
    """A day's threat flag: THREAT only where an officer confirmed a threat message that day. The flag
    was set by a likely-threat message awaiting a decision too, and the workbench said "THREAT" for it,
    an inference shown as a fact beside "threat occasions 3 (0 confirmed)"; ``atlas conduct`` says
    "THREAT?" for the same day."""
    return "THREAT (confirmed by an officer)" if confirmed else "THREAT? (awaiting a decision)"


def incidents_frame(review: Review) -> pl.DataFrame:
    from atlas.conduct.parties import target_names
    from atlas.review import uk_date
    from atlas.wording import channel_name

    result = review.conduct()
    confirmed = set(result.occasion_count.confirmed_dates) if result.occasion_count else set()
    names = review.case.manifest.party_names()
    # the flags (threat, breach, night, presence) before the channels: at 80 columns the channels column pushed them
    # off the screen's right edge, and a day's THREAT? or BREACH was never seen without scrolling sideways
    rows = [{"date": uk_date(i.date), "contacts": i.contacts,
             # THREAT? as the CLI: a word list's candidate until a person confirms it, never a finding
             "flags": (" ".join(f for f, on in ((_threat_flag(i.date in confirmed), i.threat), ("BREACH", i.breach),
                                                 ("night", i.night)) if on)
                       + _presence_flags(i.presences)
                       + (" breach confirmed by an officer" if "confirmed-breach" in i.kinds else "")).strip(),
             "to": ", ".join(target_names(i.targets, names)), "channels": ", ".join(channel_name(c) for c in i.channels),
             "records": len(i.event_ids), "_event_ids": list(i.event_ids),
             "_finding": f"incident:{i.date.isoformat()}"} for i in result.incidents]
    return _rows(rows, {"date": pl.String, "contacts": pl.Int64, "flags": pl.String, "to": pl.String, "channels": pl.String,
                        "records": pl.Int64, "_event_ids": pl.List(pl.String), "_finding": pl.String})


def candidates_frame(review: Review) -> pl.DataFrame:
    from atlas.conduct.threat_target import describe
    from atlas.decisions.candidates import candidates_from

    # a candidate is named by its record and time; its handle (what ``atlas threats --confirm`` takes) comes last
    rows = [{"kind": c.kind, "tier": c.tier, "score": round(c.score or 0.0, 2), "when (UK)": review.uk(c.ts), "record": review.record_ref(c.event_id),
             "in context": c.context.replace("\n", " "),
             "words name": describe(c.threatened) if c.kind == "threat" else "", "state": c.state,
             "decided": f"{c.decided_by or ''} {c.note}".strip(), HANDLE_HEADER: c.id, "_event_ids": list(c.event_ids), "_id": c.id}
            for c in candidates_from(review.conduct(), review.case)]
    return _rows(rows, {"kind": pl.String, "tier": pl.String, "score": pl.Float64, "when (UK)": pl.String, "record": pl.String,
                        "in context": pl.String, "words name": pl.String, "state": pl.String, "decided": pl.String,
                        HANDLE_HEADER: pl.String, "_event_ids": pl.List(pl.String), "_id": pl.String})


BREACH_TABLE: dict[str, type[pl.DataType] | pl.DataType] = {
    "when (UK)": pl.String, "order": pl.String, "kind": pl.String, "how": pl.String, "identifier used": pl.String,
    "records": pl.Int64, "first record": pl.String, "_event_ids": pl.List(pl.String), "_finding": pl.String}


def _breach_row(review: Review, b: Breach) -> dict[str, Any]:
    """The plain rule: one breach as the table's row (the channel in people's words: ``SMS``, not ``sms``)."""
    from atlas.normalise.identifiers import display
    from atlas.wording import channel_name

    return {"when (UK)": review.uk(b.ts), "order": b.order, "kind": b.kind,
            "how": channel_name(b.channel) if b.channel else f"{b.place}: {b.certainty}",
            "identifier used": ", ".join(display(u) for u in b.identifiers)
            + (f" ({b.identifier_status})" if b.identifier_status else ""),
            "records": len(b.event_ids), "first record": review.record_ref(b.event_ids[0]) if b.event_ids else "",
            "_event_ids": list(b.event_ids), "_finding": f"breach:{b.order}:{b.ts.isoformat()}"}


def breaches_frame_plain(review: Review) -> pl.DataFrame:
    """The plain rule: a row per typed :class:`Breach` record (made for the purpose)."""
    return _rows([_breach_row(review, b) for b in review.conduct().breaches], BREACH_TABLE)


def breaches_frame(review: Review) -> pl.DataFrame:
    """:func:`breaches_frame_plain`, column-wise from the analysis's breach rows: opening the
    Conduct screen made a typed record and a Python row per breach (166,000 at a million
    events). The few exclusion-zone rows take the plain rule's row function; every contact
    breach is built over columns, and the rows sorted as the plain rule sorts its rows
    (time as its text, kind, order, then the order they were found in). Tested equal to the
    plain rule (tests/test_tui_breaches_table.py)."""
    from atlas.conduct.records import Breach
    from atlas.exhibits import event_ref_expr
    from atlas.normalise.identifiers import display
    from atlas.wording import channel_name

    result = review.conduct()
    rows = result.breach_rows
    if rows is None:  # a result made without its rows
        return breaches_frame_plain(review)
    contacts = rows.contact_rows()
    shown = contacts.get_column("identifiers").explode().drop_nulls().unique()
    names = pl.Series([display(u) for u in shown.to_list()], dtype=pl.String)
    shown_as = (pl.col("identifiers").list.eval(pl.element().replace_strict(shown, names, return_dtype=pl.String))
                if shown.len() else pl.col("identifiers"))
    status = pl.col("identifier_status")
    first = pl.col("event_ids").list.first()
    keys = contacts.get_column("channel").drop_nulls().unique().sort()
    channel = (pl.col("channel").replace_strict(keys, [channel_name(k) for k in keys.to_list()], return_dtype=pl.String)
               if keys.len() else pl.col("channel"))
    table = contacts.select(
        "ts", "kind", "order", "seq",
        pl.col("ts_utc").dt.convert_time_zone(UK).dt.strftime("%d/%m/%Y %H:%M %Z").alias("when (UK)"),
        pl.when(pl.col("channel").is_null() | (pl.col("channel") == "")).then(pl.lit("None: None"))
        .otherwise(channel).alias("how"),
        (shown_as.list.join(", ").fill_null("")
         + pl.when(status.is_null() | (status == "")).then(pl.lit("")).otherwise(" (" + status + ")"))
        .alias("identifier used"),
        pl.col("event_ids").list.len().fill_null(0).cast(pl.Int64).alias("records"),
        pl.when(pl.col("event_ids").list.len().fill_null(0) > 0)
        .then(event_ref_expr(review.source_refs(), first)).otherwise(pl.lit("")).alias("first record"),
        pl.col("event_ids").alias("_event_ids"),
        pl.concat_str(pl.lit("breach:"), pl.col("order"), pl.lit(":"), pl.col("ts")).alias("_finding"),
    )
    zone = rows.zone_rows()
    if zone:
        made = pl.DataFrame([{"ts": d["ts"], "kind": d["kind"], "order": d["order"], "seq": seq,
                              **_breach_row(review, Breach.of(d, ()))} for seq, d in zone],
                            schema={"ts": pl.String, "kind": pl.String, "order": pl.String, "seq": pl.Int64,
                                    **BREACH_TABLE})
        table = pl.concat([table, made.select(table.columns)])
    return table.sort("ts", "kind", "order", "seq").select(list(BREACH_TABLE)).cast(BREACH_TABLE)  # type: ignore[arg-type]


COLOCATION_TABLE: dict[str, type[pl.DataType] | pl.DataType] = {
    "counts": pl.String, "start (UK)": pl.String, "kind": pl.String, "place": pl.String,
    "closest": pl.String, "accuracy (his / hers)": pl.String, "decision / basis": pl.String, "records": pl.Int64,
    HANDLE_HEADER: pl.String, "_event_ids": pl.List(pl.String), "_finding": pl.String, "_id": pl.String, "_state": pl.String}


def colocations_frame(review: Review) -> pl.DataFrame:
    """Counted co-locations (measured) and every possible one (confirmed: counted, shown as confirmed by
    whom; open: listed, not counted; dismissed), in time order: a covert case's possible ones were
    invisible here, so nobody could act on them (``c``/``x``/``o`` decide the row under the cursor)."""
    result = review.conduct()
    rows = [{HANDLE_HEADER: "", "counts": "yes (measured)", "start (UK)": review.uk(c.start), "kind": c.kind,
             "place": c.place or "-", "closest": f"{c.min_distance_m:.0f} m", "accuracy (his / hers)": c.precision,
             "decision / basis": c.certainty, "records": len(c.event_ids) + len(c.victim_event_ids),
             "_event_ids": [*c.event_ids, *c.victim_event_ids], "_finding": f"colocation:{c.start.isoformat()}",
             "_id": "", "_state": "measured", "_ts": c.start} for c in result.colocations]
    label = {"confirmed": "yes (confirmed)", "open": "no: listed", "dismissed": "no: dismissed"}
    rows += [{HANDLE_HEADER: p.id, "counts": label[p.state], "start (UK)": review.uk(p.start), "kind": p.colocation.kind,
              "place": p.where, "closest": f"{p.colocation.min_distance_m:.0f} m",
              "accuracy (his / hers)": p.short_accuracy, "decision / basis": f"{p.status}. Basis: {p.basis}",
              "records": len(p.colocation.event_ids) + len(p.colocation.victim_event_ids),
              "_event_ids": [*p.colocation.event_ids, *p.colocation.victim_event_ids],
              "_finding": f"colocation:{p.id}", "_id": p.id, "_state": p.state, "_ts": p.start}
             for p in result.colocation_reviews]
    rows.sort(key=lambda r: (r.pop("_ts"), r["_id"]))
    return _rows(rows, COLOCATION_TABLE)


POSSIBLE_BREACH_TABLE: dict[str, type[pl.DataType] | pl.DataType] = {
    "counts": pl.String, "from (UK)": pl.String, "order": pl.String, "zone": pl.String,
    "closest": pl.String, "decision / basis": pl.String, "records": pl.Int64,
    HANDLE_HEADER: pl.String, "_event_ids": pl.List(pl.String), "_finding": pl.String, "_id": pl.String, "_state": pl.String}


def possible_breaches_frame(review: Review) -> pl.DataFrame:
    """Every possible breach of an exclusion zone (a position with no stated accuracy inside it, or an
    accuracy circle straddling its boundary) with its decision: confirmed (counted as a breach, shown as
    confirmed by whom), open (listed, not counted), dismissed; ``c``/``x``/``o`` decide the row under the
    cursor. The breaches counted are on the Breaches tab (a confirmed one as ``exclusion-zone (confirmed)``)."""
    label = {"confirmed": "yes (confirmed)", "open": "no: listed", "dismissed": "no: dismissed"}
    rows = [{HANDLE_HEADER: b.id, "counts": label[b.state], "from (UK)": review.uk(b.start), "order": b.order, "zone": b.place,
             "closest": f"{b.possible.min_distance_m:.0f} m",
             "decision / basis": f"{b.status}. Basis: {b.basis}", "records": len(b.possible.event_ids),
             "_event_ids": list(b.possible.event_ids), "_finding": f"possible-breach:{b.id}", "_id": b.id,
             "_state": b.state} for b in review.conduct().breach_reviews]
    return _rows(rows, POSSIBLE_BREACH_TABLE)


def gaps_frame(review: Review) -> pl.DataFrame:
    from atlas.review import uk_date

    rows = [{"from": uk_date(g.start), "to": uk_date(g.end), "days": g.days, "note": g.note,
             "_event_ids": [], "_finding": f"gap:{g.start.isoformat()}:{g.end.isoformat()}"}
            for g in review.conduct().gaps]
    return _rows(rows, {"from": pl.String, "to": pl.String, "days": pl.Int64, "note": pl.String,
                        "_event_ids": pl.List(pl.String), "_finding": pl.String})


def warnings_frame(review: Review) -> pl.DataFrame:
    """The analysis's warnings, one a row: what the counts leave out or assume (two-way weeks not
    counted, calls to police numbers counted, identifiers attributed to nobody ...). The reports and
    ``atlas conduct`` print them; the workbench showed none, so a reviewer saw "incidents 0" on a case
    whose 700 contacts were all in two-way weeks, with nothing to say why. The same list and wording as
    the reports (:func:`reports.review_view.warnings`): a display name is named by its exhibit, never by
    its store id (``'D' in JA/16``, not ``name:70e1e243…:D``)."""
    from atlas.exhibits import readable_warnings

    result = review.conduct()
    said = readable_warnings(review.source_refs(), result.warnings, result.s2a.warnings)  # as the reports list them
    rows = [{"#": n, "warning": w, "_event_ids": [], "_finding": f"warning:{n}"} for n, w in enumerate(said, start=1)]
    return _rows(rows, {"#": pl.Int64, "warning": pl.String, "_event_ids": pl.List(pl.String), "_finding": pl.String})


def raw_view(review: Review) -> pl.DataFrame:
    """Every source record (duplicates across sources included), shaped like
    :func:`contacts_view` so the same filters and detail pane apply."""
    ev = review.case.events()
    return ev.sort("ts_utc", "event_id", nulls_last=True).select(
        uk_time("ts_utc").fill_null("").alias("when (UK)"),
        pl.col("kind").cast(pl.String),
        pl.col("channel").fill_null(""),
        pl.col("sender").fill_null("").str.replace(r"^name:[^:]*:", "").alias("from"),
        pl.col("recipients").list.eval(pl.element().str.replace(r"^name:[^:]*:", "")).list.join("; ").alias("to"),
        pl.col("status").fill_null(""),
        pl.col("text").fill_null("").str.replace_all("\n", " ").str.slice(0, 120).alias("text"),
        pl.lit(1, pl.Int64).alias("sources"),
        pl.col("event_id").alias("_event_id"),
        pl.col("sender").alias("_sender"),
        pl.col("recipients").alias("_recipients"),
    ).collect().with_columns(
        review.record_ref_expr("_event_id").alias("record"),
        pl.concat_list("_event_id").alias("_event_ids"),
        pl.col("_sender").alias("_from"),
        pl.col("_recipients").alias("_to"),
        pl.concat_list(pl.col("channel")).alias("_channels"),
        pl.lit(None, pl.String).alias("_pair"),
        pl.lit(None, pl.String).alias("_side_a"),
        pl.lit(None, pl.String).alias("_side_b"),
        pl.col("_event_id").alias("_first_event"),
        pl.lit(None, pl.String).alias("_contact_id"),
    ).select("when (UK)", "kind", "channel", "from", "to", "status", "sources", "record", "text", "_contact_id",
             "_event_ids", "_from", "_to", "_sender", "_recipients", "_channels", "_pair", "_side_a", "_side_b",
             "_first_event").with_columns(
        _haystack()).pipe(named_channels)
