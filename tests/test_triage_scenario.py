"""Triage on the generator's time-limit scenario: before any data (case.toml only) and after ingest.

The scenario's last incident is at 22:15 BST on 31/08/2026; six calendar months give
Sunday 28/02/2027, so an information must be laid by Friday 26/02/2027. Before any data the
clock runs from the latest incident the victim reported (case.toml [reported]); after ingest,
from the data, with the very verdict the course-of-conduct analysis (and so the reviewer's
note) gives. Requests in the log are linked to the sources that answer them when read.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from atlas.conduct import analyse
from atlas.demo import ingest_generated
from atlas.rules import load_rules
from atlas.store import Case
from atlas.triage.assess import TriageResult, assess, s4a_route
from atlas.triage.kinds import load_kinds
from atlas.triage.planning import Progress
from fixtures.generate import generate

AS_OF = date(2027, 1, 10)
DEADLINE, LAST_DAY = date(2027, 2, 28), date(2027, 2, 26)
SUSPECT, VICTIM = "tel:+447700900002", "tel:+447700900001"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("triage") / "time-limit"
    generate("time-limit", 1, 0.15, root)
    return root


@pytest.fixture(scope="module")
def ingested(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("triage-ingested") / "case"
    shutil.copytree(generated, root)
    ingest_generated(root)
    return root


@pytest.fixture
def fresh(generated: Path, tmp_path: Path, atlas: Callable[..., Any]) -> Path:
    """A case made with ``atlas init`` with the scenario's case.toml and no data."""
    root = tmp_path / "fresh"
    assert atlas("init", root).code == 0
    shutil.copyfile(generated / "case.toml", root / "case.toml")
    return root


def item(t: TriageResult, kind: str, identifier: str) -> Any:
    return next(i for i in t.strategy if i.kind.id == kind and i.identifier == identifier)


def lead(kind: str) -> int:
    """The kind's lead time from the packaged figures: turnaround + (processing + review + charge) rounded up."""
    from atlas.triage.assess import timing_of

    planning = load_kinds()
    return timing_of(planning.kind(kind), planning).lead_days


def test_before_any_data_the_clock_runs_from_her_reported_latest_incident(fresh: Path, atlas: Callable[..., Any]) -> None:
    run = atlas("triage", fresh, "--as-of", AS_OF, "--json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["clock_basis"] == "reported" and "from the victim's report" in data["clock_basis_text"]
    assert (data["s2a"]["last_incident"], data["s2a"]["deadline"], data["last_day"]) == (
        "2026-08-31", DEADLINE.isoformat(), LAST_DAY.isoformat())
    assert data["s2a"]["days_left"] == (DEADLINE - AS_OF).days
    assert data["reported"]["latest_incident"] == "2026-08-31" and data["reported"]["source"] == "initial account 02/09/2026"
    assert data["s4a"]["present"] is False and data["orders"] == []
    t = assess(Case.open(fresh), as_of=AS_OF)
    cdr = item(t, "cdr", SUSPECT)
    assert cdr.plan.progress is Progress.NOT_REQUESTED and cdr.sources == ()
    assert cdr.plan.request_by == LAST_DAY - timedelta(days=lead("cdr")) == date(2027, 1, 30)
    # the suspect's handset (90 days' turnaround) can no longer be downloaded and analysed in time
    handset = item(t, "handset-suspect", SUSPECT)
    assert handset.plan.request_by == LAST_DAY - timedelta(days=lead("handset-suspect"))
    assert handset.plan.flagged and handset.flag.startswith("cannot arrive in time")
    assert "s4A" not in handset.flag  # no indicator: no s4A route to name
    assert {(i.kind.id, i.identifier) for i in t.strategy} >= {
        ("handset-victim", VICTIM), ("cdr", VICTIM), ("subscriber", SUSPECT), ("meta-return", "instagram:dan.sample"),
        ("account-download-victim", "instagram:alice.example")}
    assert not (fresh / "store" / "atlas.sqlite").exists()  # triage reads; it creates nothing
    text = atlas("triage", fresh, "--as-of", AS_OF)
    words = " ".join(text.out.split())  # the console wraps long lines
    assert text.code == 0 and "from the victim's report" in words
    assert "flag Download of the suspect's handset (tel:+447700900002): cannot arrive in time" in words


def test_after_ingest_the_clock_runs_from_the_data_with_the_analysis_verdict(ingested: Path) -> None:
    case = Case.open(ingested)
    conduct = analyse(case, as_of=AS_OF)
    t = assess(case, as_of=AS_OF, conduct=conduct)
    assert t.s2a is conduct.s2a and t.clock_basis == "data" and "from the data" in t.clock_basis_text
    assert (t.s2a.deadline, t.last_day) == (DEADLINE, LAST_DAY)
    assert assess(case, as_of=AS_OF).s2a == conduct.s2a  # made here, the same verdict
    # the data already answers some items: received, linked to the exhibit that holds it
    handset = item(t, "handset-suspect", SUSPECT)
    assert handset.plan.progress is Progress.RECEIVED and handset.sources
    assert {s.exhibit.split("/")[0] for s in handset.sources} == {"JA"}
    assert item(t, "cdr", SUSPECT).plan.progress is Progress.RECEIVED
    assert item(t, "subscriber", SUSPECT).plan.progress is Progress.RECEIVED  # no owner: linked by its records
    assert item(t, "cdr", VICTIM).plan.progress is Progress.NOT_REQUESTED
    assert not t.flagged or all(i.plan.progress is not Progress.RECEIVED for i in t.flagged)


def test_the_request_log_links_requests_to_ingested_sources_and_flags_late_ones(
        ingested: Path, tmp_path: Path, atlas: Callable[..., Any]) -> None:
    root = tmp_path / "case"
    shutil.copytree(ingested, root)
    add = atlas("request", "add", root, "--kind", "cdr", "--identifier", SUSPECT, "--requested", "2026-09-10",
                "--reference", "SPOC/2026/0142", "--json")
    assert add.code == 0, add.err
    assert json.loads(add.out)["request_id"] == "R1"
    late = atlas("request", "add", root, "--kind", "telegram-return", "--identifier", SUSPECT, "--requested",
                 "2027-01-05", "--reference", "TG-77")
    assert late.code == 0 and late.out.startswith("added R2: Telegram return")
    due = atlas("request", "add", root, "--kind", "cdr", "--identifier", VICTIM, "--requested", "2026-12-01",
                "--expected", "2027-01-02", "--reference", "SPOC/2026/0200")
    assert due.code == 0
    run = atlas("request", "list", root, "--as-of", AS_OF, "--json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    r1, r2, r3 = data["requests"]
    # R1 is answered by the CDR ingested for the suspect's number: linked automatically
    sources = Case.open(root).sources()
    cdr_ids = set(sources.filter(sources["parser"] == "cdr").get_column("source_id").to_list())
    assert [s["source_id"] for s in r1["linked_sources"]] and {s["source_id"] for s in r1["linked_sources"]} <= cdr_ids
    assert r1["received"] is None and r1["received_effective"] == datetime.now(UTC).date().isoformat()
    assert r1["received_basis"].startswith("ingested as JA/") and r1["plan"]["progress"] == "received"
    assert r1["outstanding"] is False and r1["flag"] is None
    # R2 (60 days' turnaround from 05/01/2027) cannot arrive and be analysed by 26/02/2027
    assert r2["plan"]["progress"] == "requested" and r2["plan"]["arrives"] == "2027-03-06"
    assert r2["plan"]["in_time"] is False and r2["flag"].startswith("cannot arrive in time")
    assert "AFTER the last working day Friday 26/02/2027" in r2["effect"]
    # R3 was expected on 02/01/2027: overdue on 10/01/2027, still in time if it comes now
    assert r3["plan"]["progress"] == "overdue" and r3["plan"]["overdue_days"] == 8 and r3["plan"]["in_time"] is True
    assert (data["outstanding"], data["overdue"]) == (2, 1)
    assert "AFTER the last working day" in data["clock_effect"] and "R2" in data["clock_effect"]
    text = " ".join(atlas("request", "list", root, "--as-of", AS_OF).out.split())
    assert "flag R2: cannot arrive in time" in text and "R3" in text
    # the strategy item shows the request, and the flag
    t = assess(Case.open(root), as_of=AS_OF)
    tg = item(t, "telegram-return", SUSPECT)
    assert tg.request_ids == ("R2",) and tg.flag
    # an update: received, audited with before and after in the officer's name
    upd = atlas("request", "update", root, "r3", "--received", "2027-01-09")
    assert upd.code == 0, upd.err
    log = [r for r in Case.open(root).audit_log() if r["action"].startswith("request-")]
    assert [r["action"] for r in log] == ["request-add"] * 3 + ["request-update"]
    assert log[-1]["detail"]["before"]["received"] == "" and log[-1]["detail"]["after"]["received"] == "2027-01-09"
    assert {r["detail"]["officer"] for r in log} == {"DC 0000 Jo Analyst"}
    bad = atlas("request", "update", root, "R9", "--received", "2027-01-09")
    assert bad.code == 2 and "no request 'R9'" in bad.err
    bad = atlas("request", "add", root, "--kind", "carrier-pigeon", "--identifier", SUSPECT)
    assert bad.code == 2 and "no request kind 'carrier-pigeon'" in bad.err


def test_s4a_indicators_she_reports_name_the_route_on_every_flag(generated: Path, tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    text = (generated / "case.toml").read_text(encoding="utf-8")
    (root / "case.toml").write_text(text.replace("threat_occasions = 0", "threat_occasions = 2"), encoding="utf-8")
    t = assess(Case.open(root), as_of=AS_OF)
    assert t.s4a.present and t.s4a.reported_threat_occasions == 2
    assert t.s4a.route == s4a_route(load_rules())
    assert t.flagged and all(i.flag.endswith(f"s4A indicators exist: {t.s4a.route}") for i in t.flagged)


def test_a_later_reported_incident_is_shown_beside_the_data_clock(ingested: Path, tmp_path: Path) -> None:
    root = tmp_path / "c"
    shutil.copytree(ingested, root)
    path = root / "case.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("latest_incident = 2026-08-31",
                                                             "latest_incident = 2026-09-01"), encoding="utf-8")
    t = assess(Case.open(root), as_of=AS_OF)
    assert t.clock_basis == "data" and t.s2a.deadline == DEADLINE
    assert t.reported_verdict is not None and t.reported_verdict.deadline == date(2027, 3, 1)
    assert any("later than the data shows" in w and "Monday 01/03/2027" in w for w in t.warnings)


def test_the_triage_record_and_the_reviewers_sign_off_are_audit_rows(fresh: Path, atlas: Callable[..., Any]) -> None:
    no = atlas("triage", fresh, "--sign-off", "--officer", "PS 123 Sam Sergeant")
    assert no.code == 2 and "no triage record to sign off" in no.err
    rec = atlas("triage", fresh, "--as-of", AS_OF, "--record", "--suitable", "yes", "--reason",
                "repeated contact from a known number after she ended the relationship", "--reason",
                "within the s2A time limit", "--reviewer", "PS 123 Sam Sergeant")
    assert rec.code == 0, rec.err
    assert "by DC 0000 Jo Analyst: suitable; awaiting sign-off by PS 123 Sam Sergeant" in rec.out
    same = atlas("triage", fresh, "--sign-off")  # the officer who recorded it cannot sign it off
    assert same.code == 2 and "must be by the reviewer, a different person" in same.err
    other = atlas("triage", fresh, "--sign-off", "--officer", "PS 456 Other Sergeant")
    assert other.code == 2 and "names PS 123 Sam Sergeant as reviewer" in other.err
    ok = atlas("triage", fresh, "--sign-off", "--officer", "PS 123 Sam Sergeant", "--comment", "agreed; CDRs first")
    assert ok.code == 0 and "signed off by PS 123 Sam Sergeant" in ok.out
    rows = [r for r in Case.open(fresh).audit_log() if r["action"].startswith("triage-")]
    assert [r["action"] for r in rows] == ["triage-record", "triage-sign-off"]
    snap = rows[0]["detail"]["snapshot"]
    assert rows[0]["detail"]["officer"] == "DC 0000 Jo Analyst" and rows[0]["detail"]["suitable"] is True
    assert (snap["clock_basis"], snap["deadline"], snap["last_day"]) == ("reported", "2027-02-28", "2027-02-26")
    assert rows[1]["detail"] == {"record_seq": rows[0]["seq"], "reviewer": "PS 123 Sam Sergeant",
                                 "comment": "agreed; CDRs first"}
    data = json.loads(atlas("triage", fresh, "--as-of", AS_OF, "--json").out)
    assert data["triage"]["status"] == "signed off by PS 123 Sam Sergeant" and data["triage"]["suitable"] is True
    again = atlas("triage", fresh, "--sign-off", "--officer", "PS 123 Sam Sergeant")
    assert again.code == 2 and "already signed off" in again.err
    missing = atlas("triage", fresh, "--record", "--suitable", "no")
    assert missing.code == 2 and "at least one --reason" in missing.err


def _text(doc: Any) -> str:
    """Every sentence and table cell of a document, one string."""
    from reports.document import Bullets, Para, Table

    parts: list[str] = []
    for sec in doc.sections:
        parts.append(sec.title)
        for b in sec.blocks:
            if isinstance(b, Para):
                parts.append(b.text)
            elif isinstance(b, Bullets):
                parts += b.items
            elif isinstance(b, Table):
                parts += [b.caption, *b.columns, *(cell for row in b.rows for cell in row)]
    return "\n".join(parts)


def test_the_statement_states_the_requests_and_the_note_what_is_outstanding(ingested: Path, tmp_path: Path) -> None:
    from reports.build import build_reports

    root = tmp_path / "case"
    shutil.copytree(ingested, root)
    case = Case.open(root)
    from atlas.triage.requests import DataRequest, add_request

    kinds = load_kinds()
    add_request(case, DataRequest("", "cdr", SUSPECT, "EE", date(2026, 9, 10), "SPOC/2026/0142",
                                  received=date(2026, 9, 24)), kinds, "DC 0000 Jo Analyst")
    add_request(case, DataRequest("", "telegram-return", SUSPECT, "Telegram", date(2027, 1, 5), "TG-77"), kinds,
                "DC 0000 Jo Analyst")
    result = build_reports(case, tmp_path / "out", as_of=AS_OF)
    st, note = result.statement, result.reviewer_note
    assert result.inputs.triage is not None and result.inputs.triage.s2a is result.inputs.conduct.s2a  # type: ignore[union-attr]
    assert (st.facts["data_requests"], st.facts["data_requests_received"]) == (2, 1)
    method = next(s for s in st.sections if s.title == "What I did")
    table = next(b for b in method.blocks if getattr(b, "caption", "") == "Data requested")
    cdr_exhibit = next(i for i in result.inputs.triage.requests if i.request.request_id == "R1").sources[0].exhibit  # type: ignore[union-attr]
    assert table.rows == [  # type: ignore[union-attr]
        ["R1", "Call data records with cell sites", SUSPECT, "EE", "10/09/2026", "SPOC/2026/0142", "24/09/2026",
         cdr_exhibit],
        ["R2", "Telegram return", SUSPECT, "Telegram", "05/01/2027", "TG-77", "not received", "none"]]
    statement = _text(st)
    for advice in ("request by", "in time", "deadline", "FLAG", "s4A", "overdue", "outstanding"):
        assert advice not in statement.split("Identifiers relied on")[0].split("What I did")[1], advice
    assert (note.facts["outstanding_requests"], note.facts["strategy_flags"]) == (1, len(result.inputs.triage.flagged))  # type: ignore[union-attr]
    text = _text(note)
    assert "Planned against Friday 26/02/2027" in text
    assert "FLAG: ready to charge by Friday 19/03/2027: 21 days AFTER the last working day Friday 26/02/2027" in text
    assert "Strategy items not yet requested" in text and "14/01/2027" in text  # the Meta return's request-by date


def test_the_tui_triage_screen_shows_request_by_dates_flags_and_the_log(ingested: Path, tmp_path: Path) -> None:
    import asyncio

    from atlas.triage.requests import DataRequest, add_request
    from atlas.tui.app import AtlasApp
    from atlas.tui.screens.triage import request_rows, strategy_rows

    root = tmp_path / "case"
    shutil.copytree(ingested, root)
    add_request(Case.open(root), DataRequest("", "telegram-return", SUSPECT, "Telegram", date(2027, 1, 5), "TG-77"),
                load_kinds(), "DC 0000 Jo Analyst")
    t = assess(Case.open(root), as_of=AS_OF)
    rows = strategy_rows(t)
    tg = next(r for r in rows if r["data"] == "Telegram return")
    assert tg["status"] == "requested · FLAG" and tg["received / requests"] == "R1"
    assert next(r for r in rows if r["data"] == "Call data records with cell sites" and r["party"] == "suspect")[
        "status"] == "received"
    assert request_rows(t)[0]["effect on the clock"].endswith("this data cannot support a s2A charge in time")

    from pilot_wait import until

    async def drive() -> tuple[str, str, str]:
        app = AtlasApp(root, as_of=AS_OF)
        async with app.run_test(size=(200, 60)) as pilot:
            await pilot.pause()
            await pilot.press("8")
            await until(pilot, lambda: "planned against" in str(app.screen.query_one("#triage-head").render()),
                        "Triage's head with the planned date")
            head = str(app.screen.query_one("#triage-head").render())
            return head, str(app.screen.query_one("#strategy").render()), app.screen.sub_title

    head, strategy, sub_title = asyncio.run(drive())
    assert "planned against     Friday 26/02/2027" in head and "FLAG R1: cannot arrive in time" in head
    assert "| Telegram return" in strategy and "30/01/2027" in strategy  # the suspect's CDR request-by date
    assert sub_title.startswith("s2A: ") and "1 flagged" in sub_title
