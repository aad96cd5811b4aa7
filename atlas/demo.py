"""The built-in demo: generate a synthetic case, ingest it, analyse it, report it.

``make demo`` runs this on the ``rejected-ex`` scenario. Every capability Atlas gains
joins the demo, so it is also the quickest end-to-end check a person can run.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from atlas.errors import AtlasError
from atlas.ingest import IngestOptions, SourceOutcome, ingest
from atlas.store import Case
from atlas.wording import channels_said, plural


@dataclass
class DemoResult:
    case_dir: Path
    outcomes: list[SourceOutcome]
    lines: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def ingest_generated(case_dir: Path) -> list[SourceOutcome]:
    """Ingest a generated case's sources the way an analyst would: one call per owner."""
    truth = json.loads((case_dir / "truth.json").read_text(encoding="utf-8"))
    case = Case.open(case_dir)
    outcomes: list[SourceOutcome] = []
    for src in truth["sources"]:
        opts = IngestOptions(owner=src["owner"], timezone=src["options"].get("tz"),
                             region=src["options"].get("region"), options=dict(src["options"]))
        outcomes += ingest(case, [case_dir / src["path"]], opts)
    return outcomes


Step = Callable[[Case, Path, DemoResult], None]


def _conduct_step(case: Case, out_dir: Path, result: DemoResult) -> None:
    """Course of conduct, s2A clock, s4A indicators, breaches (confirmed and with proposed links)."""
    from atlas.conduct import analyse

    conduct = analyse(case, as_of=None, include_proposed=True)
    data = conduct.to_json()  # conduct.json is the report's (reports/analysis_files.py), as after `atlas report`
    wp = data["with_proposed"]
    result.lines.append(
        f"conduct: {plural(len(data['incidents']), 'incident')}, {plural(len(data['threat_occasions']), 'candidate threat occasion')} (to confirm), "
        f"{plural(len(data['breaches']), 'breach')}, {plural(len(data['colocations']), 'co-location')} (confirmed "
        f"identities); with proposed links: {plural(len(wp['incidents']), 'incident')}, "
        f"{plural(len(wp['breaches']), 'breach')}")
    result.lines.append(
        f"s2A: {conduct.s2a.headline} (as of {conduct.as_of:%d/%m/%Y}: {conduct.as_of_basis}); "
        f"{plural(len(data['warnings']), 'warning')}; decision support, not legal advice")


def _triage_step(case: Case, out_dir: Path, result: DemoResult) -> None:
    """Triage against the s2A clock: where the clock runs from, the data strategy and its flags."""
    from atlas.conduct.analysis import resolve_as_of
    from atlas.triage.assess import assess

    day, basis = resolve_as_of(None, case.manifest.timezone)
    triage = assess(case, as_of=day, as_of_basis=basis)
    received = sum(1 for i in triage.strategy if i.sources)
    result.lines.append(
        f"triage: clock from the {triage.clock_basis}; {plural(len(triage.strategy), 'strategy item')} "
        f"({received} already received, {len(triage.flagged)} flagged as unable to arrive in time)"
        + ("; s4A indicators: review the classification" if triage.s4a.present else ""))


def _identity_step(case: Case, out_dir: Path, result: DemoResult) -> None:
    """Alias discovery (proposals only), then the suspect's identifiers with how we know."""
    from atlas.identity import party_identifiers
    from atlas.identity.candidates import discover

    report = discover(case)
    result.lines.append(f"identity: {plural(len(report.new), 'alias link')} proposed for review (none confirmed by Atlas)")
    for party in case.manifest.parties_with_role("suspect"):
        confirmed = party_identifiers(case, party.id)
        claims = party_identifiers(case, party.id, include_proposed=True)
        shown = [c for u, c in claims.items() if not (u.startswith("name:") and c.status == "attributed")]
        result.lines.append(f"  {party.id}: {sum(1 for c in shown if c.uri in confirmed)} identifier(s) attributed or "
                            f"confirmed (plus display names), {len(claims) - len(confirmed)} more proposed "
                            f"(review: atlas people {case.root})")
        for c in sorted(shown, key=lambda c: (c.status != "attributed", c.uri)):
            links = f" via {', '.join(c.link_ids)}" if c.link_ids else ""
            result.lines.append(f"    {c.uri}: {c.status}, basis {c.basis}, {c.strength}{links}")


def _graph_step(case: Case, out_dir: Path, result: DemoResult) -> None:
    """The contact graph with proposed links followed (labelled so), exported for i2/Gephi."""
    from atlas.graph import build_graph, pairs
    from atlas.normalise.identifiers import display

    cg = build_graph(case, include_proposed=True)  # the files are the report's (confirmed identities)
    result.lines.append(f"graph: {cg.graph.number_of_nodes()} nodes, {cg.graph.number_of_edges()} edges "
                        f"({cg.graph.graph['identity']}); top pairs:")
    label = {n: str(d.get("label") or display(n)) for n, d in cg.graph.nodes(data=True)}
    for r in pairs(cg).head(5).iter_rows(named=True):
        result.lines.append(f"    {label[r['src']]} -> {label[r['dst']]}: {plural(r['contacts'], 'contact')} "
                            f"({r['contacts_back']} back, {r['unanswered_rate']:.0%} unanswered) on "
                            f"{channels_said(r['channels'])}")


def _contacts_step(case: Case, out_dir: Path, result: DemoResult) -> None:
    """Contacts de-duplicated across handsets, exports and call data records, with each
    source's estimated clock offset and the CDR cells no cell-site list locates
    (outputs/contacts.json)."""
    from atlas.cell_site import unknown_cells
    from atlas.contacts import case_contacts

    offsets: dict[str, tuple[float, int]] = {}
    contacts = case_contacts(case, clock_offsets=offsets)
    records = int(contacts.get_column("event_ids").list.len().sum()) if contacts.height else 0
    missing = unknown_cells(case)
    multi = contacts.filter(pl.col("n_sources") >= 2).height
    skewed = {k: v for k, v in offsets.items() if v[0]}
    result.lines.append(f"contacts: {contacts.height} real contacts from {records} source records "
                        f"({multi} corroborated by 2+ sources); {missing.height} CDR cell(s) in no cell-site list")
    names = dict(case.sources().select("source_id", "name").iter_rows())
    for sid, (off, n) in sorted(skewed.items(), key=lambda kv: names.get(kv[0], kv[0])):
        result.lines.append(f"    {names.get(sid, sid)}: clock {off:+.0f} s against network time "
                            f"({n} unambiguous matches; corrected before matching)")


def _online_step(case: Case, out_dir: Path, result: DemoResult) -> None:
    """Accounts seen on social/messaging platforms and the location histories held (outputs/online.json)."""
    from atlas.online import online_summary

    data = online_summary(case)
    accounts = data["accounts"]
    result.lines.append(f"online: {len(accounts)} account(s) sending on "
                        f"{', '.join(sorted({a['channel'] for a in accounts})) or 'no platform'}; "
                        f"{len(data['location_histories'])} location source(s)")
    for a in accounts[:6]:
        result.lines.append(f"    {a['channel']} {a['shown_as']!r}: {a['contacts']} contact(s) ({a['to_source_owner']} to the "
                            f"source's owner), {a['first']} to {a['last']}")
    for h in data["location_histories"][:3]:
        result.lines.append(f"    {h['parser']} {h['source']}: {h['records']} record(s), {h['first']} to {h['last']}, "
                            f"median accuracy {h['median_accuracy_m']} m")


def _report_step(case: Case, out_dir: Path, result: DemoResult) -> None:
    """The reports for people: report.html, the MG11 statement draft (DOCX/HTML), the exhibit schedule."""
    from reports import analysis_files
    from reports.build import build_reports

    # the folder `atlas report` writes to: the demo wrote outputs/report/, so after an officer's decisions and
    # `atlas report` a stale statement and report.html, with the counts before the decisions, sat in the case
    # beside the new ones, and the demo's closing lines pointed at the stale copy
    built = build_reports(case, out_dir, with_analysis_files=True)
    for key in ("report", "statement.docx", "statement.html", "reviewer-note.docx", "unused-material.xlsx",
                "exhibits.xlsx", "events"):
        result.outputs.append(built.paths[key])
    # the analysis files, written by the report from its results (reports/analysis_files.py): `atlas report` after
    # an officer's decisions refreshes them, so the folder never holds the demo's figures beside the report's
    result.outputs += [built.paths[name] for name in analysis_files.FILES if name in built.paths]
    refs = [e.reference for e in built.exhibits]
    facts = built.statement.facts
    result.lines.append(f"report: {len(refs)} exhibits ({refs[0]} to {refs[-1]}); statement draft states "
                        f"{facts.get('contacts_from_suspect', 0)} contacts from the suspect, "
                        f"{facts.get('incidents', 'no')} incidents, {facts.get('breaches', 'no')} breaches "
                        "(a DRAFT for the officer to review and sign)")


def _steps() -> list[tuple[str, Step]]:
    """Analysis and report steps, in order. Each adds lines and outputs to the result."""
    steps: list[tuple[str, Step]] = []
    steps.append(("identity", _identity_step))  # before conduct: it reads the proposals
    steps.append(("contacts", _contacts_step))
    steps.append(("graph", _graph_step))
    steps.append(("conduct", _conduct_step))
    steps.append(("triage", _triage_step))
    steps.append(("online", _online_step))
    steps.append(("report", _report_step))  # last: it exhibits what the analyses found
    return steps


def run_demo(case_dir: Path, *, scenario: str = "rejected-ex", seed: int = 1, scale: float = 1.0,
             fresh: bool = True) -> DemoResult:
    from fixtures.generate import generate

    if case_dir.exists() and fresh:
        if not (case_dir / "truth.json").exists() and any(case_dir.iterdir()):
            raise AtlasError(f"{case_dir}: exists and is not a demo case; choose another folder")
        shutil.rmtree(case_dir)
    t0 = time.perf_counter()
    generate(scenario, seed, scale, case_dir)
    t1 = time.perf_counter()
    outcomes = ingest_generated(case_dir)
    t2 = time.perf_counter()
    result = DemoResult(case_dir, outcomes, seconds={"generate": t1 - t0, "ingest": t2 - t1})
    case = Case.open(case_dir)
    out_dir = case.outputs
    out_dir.mkdir(exist_ok=True)
    for name, step in _steps():
        t = time.perf_counter()
        step(case, out_dir, result)
        result.seconds[name] = time.perf_counter() - t
    return result
