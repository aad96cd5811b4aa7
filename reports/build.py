"""``atlas report``: every output for people, from one case, in one pass.

Order matters and is fixed: gather the inputs and findings; declare what will be
produced and give every source and product its exhibit number (kept in the case,
never renumbered); write the figures, tables and ``events.csv`` and hash them; write
``report.html``; then the statement, which quotes those hashes and references; and
last the exhibit schedule, which lists them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Final, TypeVar

import polars as pl

from atlas import __version__
from atlas.conduct.parties import target_names
from atlas.contacts import network_sources
from atlas.exhibits import (
    RecordRef,
    event_records,
    event_ref,
    event_ref_expr,
    event_refs_expr,
    identifier_label,
    join_list,
    join_list_expr,
    sorted_refs,
)
from atlas.spreadsheet_safety import neutralise
from atlas.store import Case
from atlas.store import continuity as continuity_store

from . import (
    annex,
    chronology,
    decided,
    figures,
    graph_view,
    html_report,
    limitations,
    review_view,
    reviewer_note,
    statement,
    statement_docx,
    statement_html,
    unused,
)
from . import citations as cite
from . import findings as find
from . import tagged as tagged_exhibits
from .document import Document
from .exhibits import (
    Exhibit,
    Product,
    assign_numbers,
    hashed,
    product_exhibits,
    source_exhibits,
    source_order,
    write_schedule,
    write_xlsx,
)
from .inputs import ReportInputs, gather
from .redaction import RedactedCase, redaction_note
from .style import uk_date, uk_time

T = TypeVar("T")

FIRST_COLUMNS: Final = ("date", "uk_date", "order", "kind", "ts", "uk_time", "place", "start", "uk_start", "end", "uk_end",
                        "channels", "matched")


@dataclass
class ReportResult:
    out_dir: Path
    paths: dict[str, Path]
    exhibits: list[Exhibit]
    statement: Document
    reviewer_note: Document
    accounts: list[unused.SourceAccount]
    inputs: ReportInputs
    findings: find.Findings
    notes: list[str] = field(default_factory=list)


STORE_ID_KEYS: Final = frozenset({"event_ids", "victim_event_ids", "event_id"})
"""Keys of a finding that hold store ids: never written into a served table, where each record is named
by its exhibit reference (the ``exhibits`` and ``victim_exhibits`` columns, joined to ``events.csv`` by
its ``exhibit`` column)."""


def contact_ref(refs: Mapping[str, str], contact_id: str) -> str:
    """A contact as a person reads it: the exhibit record it is keyed on (``contact/<event id>`` →
    ``JA/1, row 61``), unique per contact because each record belongs to one contact."""
    return event_ref(refs, contact_id.removeprefix("contact/"))


def _readable(refs: Mapping[str, str], k: str, v: Any, item: Mapping[str, Any]) -> Any:
    """A finding's value with every store id put as its exhibit record (contacts) or name (identifiers).
    A finding's records (``exhibits``, ``victim_exhibits``) are listed in :func:`record_key` order, each
    read as data from its event id in ``item`` (``event_ids``, ``victim_event_ids``: the same records,
    in the same order), never cut out of its formatted reference."""
    if k == "contact_id" and isinstance(v, str):
        return contact_ref(refs, v)
    if k == "contact_ids" and isinstance(v, list | tuple):
        return [contact_ref(refs, str(c)) for c in v]
    if k == "identifiers" and isinstance(v, list | tuple):
        return [identifier_label(refs, str(u)) for u in v]
    if k in ("exhibits", "victim_exhibits") and isinstance(v, list | tuple):
        ids = item.get(k.removesuffix("exhibits") + "event_ids")
        if isinstance(ids, list | tuple) and len(ids) == len(v):
            return [str(r) for r in sorted_refs(event_records(refs, map(str, ids)))]
        return v  # no ids beside them: as the finding lists them (never parsed)
    return v


def csv_cell(value: Any) -> str:
    """A value as every served CSV writes it: empty for none; a boolean as ``true`` / ``false``, as
    events.csv (Polars) writes it and as most CSV readers take it (Polars, pandas, R, JSON's spelling),
    never Python's ``True`` / ``False``; anything else as its text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flat_rows(items: Sequence[dict[str, Any]], refs: Mapping[str, str], *,
               keys_if_none: Sequence[str] = ()) -> pl.DataFrame:
    """A list of finding dicts as a CSV-ready frame: lists joined with '; ', each record named by its
    exhibit reference (never a store id), ``records`` last (how many source records the row rests on).
    ``keys_if_none``: the keys a row would have, so that a table with no row still has its header (an
    exhibit of no incidents was a file holding one line break)."""
    keys: list[str] = []
    shape = items or [dict.fromkeys(keys_if_none)]
    for item in shape:
        for k in item:
            if k not in keys and not k.startswith("_") and k not in STORE_ID_KEYS:
                keys.append(k)
    order = [k for k in FIRST_COLUMNS if k in keys] + sorted(k for k in keys if k not in FIRST_COLUMNS)
    data: dict[str, list[str]] = {k: [] for k in order}
    for item in items:
        for k in order:
            v = _readable(refs, k, item.get(k), item)
            if isinstance(v, list | tuple):
                v = join_list(v)  # an item holding "; " is quoted: the cell splits back exactly
            elif isinstance(v, dict):
                v = "; ".join(f"{a}={csv_cell(b)}" for a, b in sorted(v.items()))
            data[k].append(csv_cell(v))
    if any("event_ids" in item for item in shape):
        # both sides of a co-location: colocations.csv (covert 62017) said 10 records beside 10 of his and 3 of hers
        data["records"] = [str(len(item.get("event_ids") or []) + len(item.get("victim_event_ids") or []))
                           for item in items]
    return pl.DataFrame(data, schema={k: pl.String for k in data})


def _incident_keys() -> list[str]:
    """The keys of an incident's JSON rendering (:meth:`Incident.to_json`), for the header of a table of none."""
    from dataclasses import fields

    from atlas.conduct.records import Incident

    return [Incident.JSON_NAMES.get(f.name, f.name) for f in fields(Incident)]


ADVICE_KEYS: Final = frozenset({"threat", "breach_rule", "order_citation", "certainty_rule", "citation"})
"""Keys of a finding that are advice or unconfirmed candidates (a word list's threat flag, a
rule's legal wording): left out of the tables exhibited with the statement."""


def _uk_beside(item: dict[str, Any]) -> dict[str, Any]:
    """A finding with its date, start and end also as a person reads them (``22/11/2026``, ``22/11/2026 14:05 GMT``)
    beside the machine's ISO values: colocations.csv gave its times in UTC only."""
    uk = {"uk_date": uk_date(item["date"])} if item.get("date") else {}
    uk |= {f"uk_{k}": uk_time(item[k]) for k in ("start", "end") if item.get(k)}
    return item | uk


def _facts_only(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ADVICE_KEYS}


def _marked(frame: pl.DataFrame, integrity_notice: str | None) -> pl.DataFrame:
    """A table written although the case did not verify carries the notice on every row."""
    return frame.with_columns(pl.lit(integrity_notice).alias("store_verification")) if integrity_notice else frame


def _contacts_frame(inputs: ReportInputs) -> pl.DataFrame:
    c = inputs.contacts
    names = inputs.manifest.party_names()
    keys, vals = list(names), list(names.values())
    return c.select(
        event_ref_expr(inputs.exhibit_refs, pl.col("contact_id").str.strip_prefix("contact/")).alias("contact_id"),
        pl.col("ts_utc").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").alias("ts_utc"),
        pl.col("ts_utc").dt.convert_time_zone("Europe/London").dt.strftime("%d/%m/%Y %H:%M:%S %Z").alias("uk_time"),
        "kind", "channel", "way",
        pl.col("sender").replace(keys, vals).alias("from"), pl.col("recipient").replace(keys, vals).alias("to"),
        "status", pl.col("event_ids").list.len().alias("records"),
        join_list_expr(event_refs_expr(inputs.exhibit_refs)).alias("exhibits"),
    )


def _products(inputs: ReportInputs, fnd: find.Findings) -> list[Product]:
    out = [Product(f"figure:{n}", f"figures/{figures.FIGURES[n][0]}", figures.description(n, fnd))
           for n in figures.planned(inputs, fnd)]
    out.append(Product("table:contacts", "contacts.csv",
                       "Table: contacts between the suspect and the victim's side, each with the records that show it",
                       kind="table"))
    if fnd.conduct is not None:
        out.append(Product("table:incidents", "incidents.csv",
                           "Table: days with contact from the suspect or a recorded presence (one row per UK day)",
                           kind="table"))
        if fnd.breaches:
            out.append(Product("table:breaches", "breaches.csv",
                               "Table: contacts and presences while an order was in force", kind="table"))
        if fnd.colocations or fnd.confirmed_colocations:
            out.append(Product("table:colocations", "colocations.csv",
                               "Table: occasions the suspect's device was recorded near a place named in the case, "
                               "with distance and accuracy", kind="table"))
    out.append(Product("events", "events.csv", "Schedule of every source record cited in the statement and charts",
                       kind="table"))
    # Not exhibits: report.html (the reviewer's working view: s2A clock, candidates, pending
    # decisions) and the threat candidates (a word list's matches, until an officer confirms them).
    out.append(Product("table:chronology", "chronology.csv",
                       "Table: chronology of every contact relied on, with the full text of each message and its "
                       "exhibit record", kind="table"))
    out.append(Product("annex", "technical-annex.docx",
                       "Technical annex: software and library versions, rules file hash, contact-matching rule, "
                       "clock corrections and time conversion of each exhibit", kind="annex"))
    return out


def _note(redacted: bool) -> str:
    from .redaction import NOTE

    return NOTE if redacted else ""


def _said(frame: pl.DataFrame, redacted: bool) -> pl.DataFrame:
    """A table written while third parties are redacted says so on every row."""
    from .redaction import NOTE

    return frame.with_columns(pl.lit(NOTE).alias("redaction")) if redacted else frame


def _beside(fn: Callable[..., T], *args: Any) -> Future[T]:
    """``fn(*args)`` in a thread of its own, started now; its result (or exception) when asked.
    Only for functions that read the case: nothing here waits on a write from the other thread."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="atlas-report")
    try:
        return pool.submit(fn, *args)
    finally:
        pool.shutdown(wait=False)  # the thread ends when fn returns


def build_reports(case: Case, out_dir: Path, *, as_of: date | None = None, include_proposed: bool = False,
                  redact_third_parties: bool = False, integrity_notice: str | None = None,
                  with_analysis_files: bool = False) -> ReportResult:
    """Write every output. ``integrity_notice`` (set by ``atlas report --unverified`` when the case
    did not verify) is carried into every output: the documents' pages, the HTML report, the
    figures' footers and a column of every CSV/XLSX table. ``redact_third_parties`` writes
    every output from the redacted view of the case (:mod:`reports.redaction`). The analysis files
    (:mod:`reports.analysis_files`) the folder holds are refreshed; ``with_analysis_files`` writes them all."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "figures").mkdir(exist_ok=True)
    if redact_third_parties:
        from .redaction import redact

        case = redact(case)  # every output below reads the redacted view: nothing to scrub afterwards
    inputs = gather(case, as_of=as_of, include_proposed=include_proposed)
    fnd = find.build(inputs)
    suspect_id = inputs.suspect.id if inputs.suspect else None
    victim_id = inputs.victim.id if inputs.victim else None
    gv = graph_view.view(case, inputs.graph, suspect_id, victim_id, inputs.suspect_ids, include_proposed)

    products = _products(inputs, fnd)
    order = source_order(inputs.sources, inputs.audit)
    sha = dict(inputs.sources.select("source_id", "sha256").iter_rows())
    keys = [(f"source:{sha[s]}", "source") for s in order] + [(f"product:{p.name}", p.kind) for p in products]
    numbers = assign_numbers(case, keys)
    names = {uri: (inputs.manifest.party(pid).name or pid) for uri, pid in inputs.owners.items()}
    received = continuity_store.read_all(case)
    sources = source_exhibits(case, inputs.sources, inputs.audit, names, numbers, received)
    made = {e.key.removeprefix("product:"): e for e in product_exhibits(case, products, numbers, __version__)}
    src_refs = {e.source_id: e.reference for e in sources}
    ref_span = f"{sources[0].reference}\u2013{sources[-1].reference}" if len(sources) > 1 else (
        sources[0].reference if sources else "none")

    citations = cite.Citations()
    paths: dict[str, Path] = {}
    fig_exhibits: list[tuple[str, Exhibit]] = []
    for p in products:
        if not p.name.startswith("figure:"):
            continue
        e = made[p.name]
        name = p.name.removeprefix("figure:")
        footer = (f"Exhibit {e.reference} \u2013 {inputs.manifest.reference} \u2013 drawn by atlas {__version__} from "
                  f"exhibits {ref_span}; the records behind it are listed in events.csv ({made['events'].reference})")
        if integrity_notice:  # a footer has room for one word: the statement and report say the rest
            footer = f"UNVERIFIED \u2013 {footer}"
        path = figures.render(name, inputs, fnd, out_dir / p.filename, footer)
        ids = fnd.contact_event_ids
        if name == "weekly-rate":
            ids = inputs.contacts.get_column("event_ids").explode().drop_nulls().unique().sort().to_list()
        if name == "locations":
            ids = sorted({i for c in fnd.colocations for i in c.event_ids})
        citations.add(f"{e.reference} {name}", ids)
        made[p.name] = hashed(e, path, len(ids))
        fig_exhibits.append((name, made[p.name]))
        paths[p.name] = path

    party_names = inputs.manifest.party_names()
    network = frozenset(network_sources(case))  # the parsers that declare call data records
    chron = chronology.build(case, inputs.contacts, party_names, src_refs, network)
    tables: dict[str, tuple[pl.DataFrame, list[tuple[str, list[str]]]]] = {
        "table:contacts": (_contacts_frame(inputs), []),
        "table:chronology": (chronology.frame(chron), [("chronology", list(r.event_ids)) for r in chron]),
    }
    refs = inputs.exhibit_refs
    if fnd.conduct is not None:
        # each table is the records' JSON rendering with the UK date or time beside it, less what is
        # advice or an unconfirmed candidate (exhibited with the statement, served on the defence)
        tables["table:incidents"] = (
            # target_names beside targets (party keys, a machine's join key): each as a person reads it elsewhere;
            # channel_names beside channels (the store's keys): 'Phone call' for voice, as the chronology says
            # and uk_first / uk_last beside first_ts / last_ts: the day's first and last contact were in UTC only
            _flat_rows([_facts_only({**i.to_json(), "uk_date": uk_date(i.date), "uk_first": uk_time(i.first_ts),
                                     "uk_last": uk_time(i.last_ts), "target_names": target_names(i.targets, party_names),
                                     "channel_names": tuple(chronology.channel_name(c) for c in i.channels)})
                        for i in fnd.incidents], refs,
                       keys_if_none=[*_facts_only(dict.fromkeys(_incident_keys())), "uk_date", "uk_first", "uk_last",
                                     "target_names", "channel_names"]),
            [(f"incident {uk_date(i.date)}", list(i.event_ids)) for i in fnd.incidents])
        tables["table:breaches"] = (
            # a possible breach an officer confirmed says so (its certainty gives the data basis; who, when and why
            # are in the reviewer's note and the decisions ledger)
            _flat_rows([_facts_only({**_uk_beside(b.to_json()), "uk_time": uk_time(b.ts),
                                     "counted_as": "confirmed by an officer (decision in the case's decisions ledger)"
                                     if b.kind.endswith("(confirmed)") else "measured"}) for b in fnd.breaches], refs),
            [(f"breach {b.order} {uk_time(b.ts)}", list(b.event_ids)) for b in fnd.breaches])
        # measured ones, then those an officer confirmed (each row says which and the basis; who, when and why are
        # in the reviewer's note and the decisions ledger, as for threats: see reports/decided.py)
        tables["table:colocations"] = (
            _flat_rows([_uk_beside(c.to_json()) | {"counted_as": "measured"} for c in fnd.colocations]
                       + [_uk_beside({k: v for k, v in p.to_json().items()
                                      if k not in ("id", "key", "counts", "adds_a_day", "status", "decided_by",
                                                   "decided_at", "note")})
                          | {"counted_as": "confirmed by an officer (decision in the case's decisions ledger)",
                             "basis": p.basis}
                          for p in fnd.confirmed_colocations], refs),
            [(f"co-location {c.place or ''} {uk_time(c.start)}".strip(), list(c.event_ids)) for c in fnd.colocations]
            + [(f"confirmed co-location {p.colocation.place or ''} {uk_time(p.start)}".replace("  ", " "),
                [*p.colocation.event_ids, *p.colocation.victim_event_ids]) for p in fnd.confirmed_colocations])
    for name, (frame, cites) in tables.items():
        if name not in made:
            continue
        e = made[name]
        path = out_dir / e.filename
        neutralise(_said(_marked(frame, integrity_notice), redact_third_parties)).write_csv(path)
        if name == "table:contacts":
            all_ids = inputs.contacts.get_column("event_ids").explode().drop_nulls()
            citations.add(f"{e.reference} contacts", all_ids)
            n = all_ids.n_unique()
        else:  # each finding named with its table's exhibit: events.csv said "chronology", "incident 15/01/2026"
            citations.add_many((f"{e.reference} {label}", idl) for label, idl in cites)
            n = len({i for _, idl in cites for i in idl})
        made[name] = hashed(e, path, n)
        paths[name] = path

    party_ids = {uri: pid for uri, pid in inputs.owners.items()}
    subject = inputs.suspect.name if inputs.suspect and inputs.suspect.name else "the suspect"
    victims = tuple(p.id for p in case.manifest.parties_with_role("victim"))
    # the candidates' decisions, joined once for every output (no chronology needed to name a tagged finding)
    early = decided.build(case, fnd.conduct, chron, {}, party_names, subject, victims)
    for tp in tagged_exhibits.write(case, out_dir, src_refs, party_ids, party_names, fnd.conduct, early, subject):
        name = tp.exhibit.key
        if tp.event_ids:
            citations.add(f"{tp.exhibit.reference} tagged", list(tp.event_ids))
        made[name] = hashed(tp.exhibit, out_dir / tp.exhibit.filename, len(tp.event_ids))
        paths[name] = out_dir / tp.exhibit.filename
    tagged_names = [k for k in made if k.startswith("tagged:")]

    cited = cite.cited_events(case, citations, src_refs)
    relied = set(cited.get_column("event_id").to_list())
    # the unused-material count is a Polars pass over every event: it runs beside the documents
    # (Python, holding the GIL) and is waited for where the schedule is written
    tallied = _beside(unused.tally, case, inputs.sources, relied, inputs.owners)
    per_source = dict(cited.group_by("source_exhibit").len().iter_rows())
    sources = [replace(e, events_cited=int(per_source.get(e.reference, 0))) for e in sources]
    events_path = cite.write_events_csv(cite.served_events(_said(_marked(cited, integrity_notice), redact_third_parties),
                                                           inputs.exhibit_refs),
                                        out_dir / made["events"].filename)
    made["events"] = hashed(made["events"], events_path, cited.height)
    paths["events"] = events_path

    offsets: dict[str, tuple[float, int]] = {}
    if inputs.dedupe_rule and inputs.graph.deduplicated:
        # the graph de-duplicated every contact of the case, with the same identities, owners
        # and reference clock as atlas.contacts.case_contacts: its offsets are those
        # (tests/test_scale_report.py checks they are equal); de-duplicating again cost
        # ~14 % of the report at 240 k events
        offsets = dict(inputs.graph.clock_offsets)
    elif inputs.dedupe_rule:
        from atlas.contacts import case_contacts

        case_contacts(case, clock_offsets=offsets)
    limits = limitations.build(case, inputs.sources, src_refs, inputs.suspect_ids, inputs.identity_links,
                               inputs.dedupe_rule, inputs.suspect.name if inputs.suspect else "the suspect",
                               possible_sms_parts=inputs.possible_sms_parts, owner_parties=inputs.owners,
                               clock_offsets=offsets)
    annex_doc = replace(annex.build(inputs, fnd, limits, sources, offsets, made["annex"]),
                        integrity_notice=integrity_notice)
    annex_path = statement_docx.render(annex_doc, out_dir / made["annex"].filename)
    made["annex"] = hashed(made["annex"], annex_path, 0)
    paths["annex"] = annex_path

    located = {str(r["event_id"]): RecordRef(str(r["source_exhibit"]), str(r["source_ref"]))
               for r in cited.select("event_id", "source_exhibit", "source_ref").iter_rows(named=True)}
    records = {e: str(r) for e, r in located.items()}
    _day, why = statement.statement_date(inputs, received)
    date_warning = [] if _day else [f"Statement date: {why}."]
    dec = decided.build(case, fnd.conduct, chron, located, party_names, subject, victims)
    view = replace(review_view.build(inputs, fnd, case, src_refs, chron, records, date_warning), decided=dec)
    exhibits_so_far = sorted(sources + [made[p.name] for p in products] + [made[n] for n in tagged_names],
                             key=lambda e: e.number)
    paths["report"] = html_report.write(inputs, fnd, gv, exhibits_so_far, cite.for_display(cited),
                                        out_dir / "report.html", integrity_notice=integrity_notice, review=view)
    produced = statement.Produced(by_name={k: v for k, v in made.items()})
    parts = statement.StatementParts(sources=sources, produced=produced, figures=fig_exhibits, chronology=chron,
                                     continuity=received, records=records, decided=dec)
    st = replace(statement.build(inputs, fnd, limits, parts), integrity_notice=integrity_notice)
    paths["statement.docx"] = statement_docx.render(st, out_dir / "statement.docx")
    paths["statement.html"] = statement_html.render(st, out_dir / "statement.html")

    created = statement.created_at(inputs)
    missing = [e.reference for e in sources if not (received.get(e.sha256) and received[e.sha256].complete)]
    note = replace(reviewer_note.build(inputs, fnd, case, src_refs, warnings=date_warning, missing_continuity=missing,
                                       decided=dec),
                   integrity_notice=integrity_notice)
    paths["reviewer-note.docx"] = statement_docx.render(note, out_dir / "reviewer-note.docx")
    paths["reviewer-note.html"] = statement_html.render(note, out_dir / "reviewer-note.html")

    shown = case.redaction.label if isinstance(case, RedactedCase) else (lambda u: u)

    def label(uri: str) -> str:  # a display name says which exhibit shows it, never its source's hex id
        return identifier_label(src_refs, shown(uri))
    schedule, accounts = unused.build(case, inputs.sources, src_refs, relied, inputs.owners, party_names, label,
                                      decided=dec, tallied=tallied.result(),
                                      colocations=fnd.conduct.colocation_reviews if fnd.conduct is not None else (),
                                      breaches=fnd.conduct.breach_reviews if fnd.conduct is not None else ())
    maker = inputs.manifest.analyst or inputs.manifest.officer
    mg6c = replace(unused.document(schedule, inputs.manifest.reference, created, maker,
                                   "MG6C \u2013 RESTRICTED (when complete)",
                                   "Draft schedule for the disclosure officer to review, complete and sign."
                                   + (" " + redaction_note(case) if redaction_note(case) else "")),
                   integrity_notice=integrity_notice)
    statement_html.render(mg6c, out_dir / "unused-material.html")
    if schedule.filter(pl.col("category") == unused.THIRD_PARTY_BLOCK).height:
        # exhibits with too many counterparts to list one by one: each counterpart's row here, one exhibit at a time
        with (out_dir / unused.COUNTERPARTS_FILE).open("wb") as fh:
            for k, chunk in enumerate(unused.counterpart_rows(schedule, tallied.result(), src_refs, party_names, label)):
                neutralise(_said(_marked(chunk, integrity_notice), redact_third_parties)).write_csv(
                    fh, include_header=k == 0)
        paths[unused.COUNTERPARTS_FILE] = out_dir / unused.COUNTERPARTS_FILE
    schedule = neutralise(_said(_marked(schedule, integrity_notice), redact_third_parties))
    schedule.write_csv(out_dir / "unused-material.csv")
    write_xlsx(schedule, out_dir / "unused-material.xlsx", sheet="MG6C", created=created,
               title=f"Schedule of unused material {inputs.manifest.reference}")
    for name in ("unused-material.csv", "unused-material.xlsx", "unused-material.html"):
        paths[name] = out_dir / name

    exhibits = sorted(sources + [made[p.name] for p in products] + [made[n] for n in tagged_names],
                      key=lambda e: e.number)
    write_schedule(exhibits, out_dir / "exhibits.csv", out_dir / "exhibits.xlsx",
                   title=f"Exhibit schedule {inputs.manifest.reference}", created=created,
                   integrity_notice=integrity_notice, note=_note(redact_third_parties))
    paths["exhibits.csv"] = out_dir / "exhibits.csv"
    paths["exhibits.xlsx"] = out_dir / "exhibits.xlsx"
    # conduct.json, triage.json, contacts.json, online.json and the contact graph, refreshed from this report's own
    # results where the folder holds them: `atlas demo` wrote them here and `atlas report` left them, stale beside
    # the documents, after decisions
    from atlas.stream import bounded

    from . import analysis_files

    written, notes = analysis_files.write(case, out_dir, inputs, every=with_analysis_files, bounded=bounded())
    paths.update(written)
    return ReportResult(out_dir=out_dir, paths=paths, exhibits=exhibits, statement=st, reviewer_note=note,
                        accounts=accounts, inputs=inputs, findings=fnd, notes=notes)


__all__ = ["ReportResult", "build_reports", "uk_date"]
