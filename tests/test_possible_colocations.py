"""Possible co-locations as reviewable items: an officer confirms one (it counts, shown as
confirmed by them) or dismisses it (it never counts); every output renders the one result.

Found on the covert scenario: 16 true incidents, 3 counted, 14 possible co-locations listed
that nobody could act on (invisible in the workbench, no decision to record).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from _conduct_cases import SUSPECT, VICTIM, make_case, msg, pos

from atlas.conduct import analyse
from atlas.conduct.possible_colocations import SUBJECT, colocation_key
from atlas.decisions.colocations import decide_colocation, decided, find_colocation
from atlas.decisions.ledger import read_decisions
from atlas.errors import AtlasError
from atlas.store import Case

AS_OF = date(2026, 9, 1)
SPOT = (51.5230, -0.1010)
NOTE = "Victim's account of 02/05/2026 and CCTV exhibit TO/9 place him outside the cafe"


def _case(root: Path) -> Case:
    """One message on 01/04; her positions with no stated accuracy near his (±12 m) on 10/04 and 20/04:
    two possible co-locations, each on a day with no other incident."""
    return make_case(root, {
        VICTIM: [msg("2026-04-01 10:00", SUSPECT, VICTIM, "hi"),
                 pos("2026-04-10 18:00", *SPOT, None), pos("2026-04-20 18:00", *SPOT, None)],
        SUSPECT: [pos("2026-04-10 18:05", SPOT[0] + 0.0004, SPOT[1], 12.0),
                  pos("2026-04-20 18:05", SPOT[0] + 0.0004, SPOT[1], 12.0)],
    })


def _cli(*args: str) -> tuple[int, str]:
    from atlas.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(list(args))
    return rc, buf.getvalue()


def test_the_ledger_round_trip_confirm_dismiss_reopen(tmp_path: Path) -> None:
    case = _case(tmp_path / "c")
    items = analyse(case, as_of=AS_OF).colocation_reviews
    assert [c.state for c in items] == ["open", "open"]
    first = items[0]
    assert re.fullmatch(r"C[0-9a-f]{8}", first.id)
    assert find_colocation(items, first.id[:5]) is first
    with pytest.raises(AtlasError, match="note is required"):
        decide_colocation(case, first, "confirmed", note="  ")
    decide_colocation(case, first, "confirmed", note=NOTE)
    rows = read_decisions(case, subjects=[SUBJECT])
    assert [(d.subject, d.key, d.state, d.note) for d in rows] == [(SUBJECT, first.key, "confirmed", NOTE)]
    assert rows[0].officer == "DC 0002 Test Officer"
    assert rows[0].detail["event_ids"] == list(first.colocation.event_ids)
    assert rows[0].detail["victim_event_ids"] == list(first.colocation.victim_event_ids)
    assert decided(case)[first.key].state == "confirmed"
    decide_colocation(case, first, "dismissed", note="her phone was left at home that evening")
    decide_colocation(case, first, "open", note="")
    assert [d.state for d in read_decisions(case, subjects=[SUBJECT])] == ["confirmed", "dismissed", "open"]
    assert analyse(case, as_of=AS_OF).colocation_reviews[0].state == "open"
    # append-only: the ledger refuses to rewrite a decision
    with sqlite3.connect(case.store / "atlas.sqlite") as con, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE decisions SET state = 'confirmed' WHERE subject = ?", (SUBJECT,))
    actions = [str(a.get("action")) for a in case.audit_log()]
    decided_actions = [a for a in actions if a.startswith("colocation.")]
    assert decided_actions == ["colocation.confirm", "colocation.dismiss", "colocation.reopen"]


def test_the_id_is_the_records_it_rests_on(tmp_path: Path) -> None:
    case = _case(tmp_path / "c")
    once = [c.id for c in analyse(case, as_of=AS_OF).colocation_reviews]
    assert once == [c.id for c in analyse(case, as_of=AS_OF).colocation_reviews]  # stable across runs
    c = analyse(case, as_of=AS_OF).colocation_reviews[0].colocation
    assert colocation_key(c.kind, c.place, c.event_ids, c.victim_event_ids) == \
        colocation_key(c.kind, c.place, tuple(reversed(c.event_ids)), c.victim_event_ids)
    assert colocation_key(c.kind, c.place, c.event_ids, ()) != colocation_key(c.kind, c.place, c.event_ids,
                                                                              c.victim_event_ids)


def test_confirming_counts_it_and_moves_the_last_incident_dismissing_does_not(tmp_path: Path) -> None:
    case = _case(tmp_path / "c")
    before = analyse(case, as_of=AS_OF)
    assert [i.date.isoformat() for i in before.incidents] == ["2026-04-01"]
    assert before.s2a.last_incident is not None and before.s2a.last_incident.day == date(2026, 4, 1)
    assert before.s2a.deadline == date(2026, 10, 1)
    effect = before.colocation_effect
    assert effect is not None and (effect.incidents_now, effect.incidents_if_confirmed) == (1, 3)
    assert (effect.last_incident_if_confirmed, effect.deadline_if_confirmed) == (date(2026, 4, 20), date(2026, 10, 20))
    early, late = before.colocation_reviews
    decide_colocation(case, early, "dismissed", note="she was abroad: passport stamps, exhibit TO/8")
    dismissed = analyse(case, as_of=AS_OF)
    assert len(dismissed.incidents) == 1 and dismissed.s2a.deadline == date(2026, 10, 1)
    decide_colocation(case, late, "confirmed", note=NOTE)
    after = analyse(case, as_of=AS_OF)
    assert [i.date.isoformat() for i in after.incidents] == ["2026-04-01", "2026-04-20"]
    assert "confirmed-colocation" in after.incidents[-1].kinds  # never a measured presence
    assert after.s2a.last_incident is not None and after.s2a.last_incident.day == date(2026, 4, 20)
    assert after.s2a.deadline == date(2026, 10, 20)
    assert after.colocations == ()  # the measured list is unchanged: a confirmed one is not measured
    [confirmed] = after.confirmed_colocations
    assert confirmed.status.startswith("confirmed by DC 0002 Test Officer on ") and confirmed.status.endswith(NOTE)
    assert any("counted only because an officer confirmed it" in w and "would be 01/04/2026" in w
               for w in after.s2a.warnings)
    proximity = next(d for d in after.s4a["distress_indicators"] if d["indicator"] == "proximity")
    assert proximity["value"] == 1 and "confirmed by an officer" in proximity["detail"]
    following = next(b for b in after.behaviours if b["id"] == "following")
    assert following["shown"] and following["count"] == 1 and "counted because an officer confirmed" in following["basis"]
    assert not next(b for b in before.behaviours if b["id"] == "following")["shown"]
    data = after.to_json()
    states = {c["id"]: c["state"] for c in data["possible_colocations"]}
    assert states == {early.id: "dismissed", late.id: "confirmed"}
    assert data["possible_colocation_effect"] is None  # nothing open


def test_the_note_says_who_confirmed_and_the_served_documents_only_that_an_officer_did(tmp_path: Path) -> None:
    from docx import Document

    root = tmp_path / "c"
    case = _case(root)
    early, late = analyse(case, as_of=AS_OF).colocation_reviews
    decide_colocation(Case.open(root, officer="DS 5678 B. Reviewer"), late, "confirmed", note=NOTE)
    out = tmp_path / "out"
    rc, _ = _cli("report", str(root), "--out", str(out), "--as-of", "2026-09-01")
    assert rc == 0

    def text(name: str) -> str:
        doc = Document(str(out / name))
        return "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])

    mg11 = text("statement.docx")
    # as for threats, the MG11 says the occasion is counted on an officer's decision, never whose, when or why
    # (another officer's decision is not the maker's evidence; its reason may rest on the victim's account)
    assert "confirmed by an officer; that decision is recorded in the case's decisions ledger" in mg11
    assert NOTE not in mg11 and "DS 5678" not in mg11
    assert "states no accuracy" in mg11 and "TO/" in mg11
    assert "rests only on a possible co-location confirmed by an officer (20/04/2026)" in mg11
    # the exhibit that lists every record of each (the MG11's table names two and "and N more"): covert 62017
    # produced it as JA/30 and referred to it nowhere
    with open(out / "exhibits.csv", encoding="utf-8") as f:
        ref = next(r["reference"] for r in csv.DictReader(f) if r["filename"] == "colocations.csv")
    assert f"They are listed, with every exhibit record of each, in exhibit {ref}:" in mg11
    assert early.id not in mg11 and late.id not in mg11  # the open one is not a fact; ids are for the workbench
    facts_only = mg11.lower()
    for advice in ("should", "recommend", "deadline", "time limit", "if confirmed", "awaiting", "lay an information",
                   "s2a", "charge", "consider"):
        assert advice not in facts_only, advice
    note = text("reviewer-note.docx")
    assert late.id in note and early.id in note and NOTE in note
    assert "listed, not counted" in note
    assert "If the 1 open one were confirmed: incidents 2 \u2192 3" in note
    html = (out / "report.html").read_text(encoding="utf-8")
    assert late.id in html and "yes (confirmed)" in html and "no: listed" in html
    assert "confirmed by DS 5678 B. Reviewer" in html  # the interactive report is for the team, not served
    with open(out / "colocations.csv", encoding="utf-8") as f:
        table = f.read()
    assert "confirmed by an officer" in table and NOTE not in table and "DS 5678" not in table  # an exhibit
    assert late.id not in table


def test_cli_lists_confirms_and_all_proven_leaves_them_alone(tmp_path: Path) -> None:
    root = tmp_path / "c"
    _case(root)
    rc, raw = _cli("colocations", str(root), "--json", "--as-of", "2026-09-01")
    assert rc == 0
    data: dict[str, Any] = json.loads(raw)
    items = data["possible_colocations"]
    assert [c["state"] for c in items] == ["open", "open"]
    first = items[0]
    assert first["from_uk"] == "10/04/2026 19:05 BST" and first["victim_accuracy"] == "accuracy not stated"
    assert first["suspect_accuracy"] == "±12 m"
    assert all(re.fullmatch(r"TO/\d+, row \d+", r) for r in first["exhibits"] + first["victim_exhibits"])
    assert "possible co-location only" in first["certainty"]
    assert data["if_open_confirmed"]["incidents"] == {"now": 1, "if_confirmed": 3}
    # --all-proven confirms documentary alias links only, never a possible co-location
    _cli("confirm", str(root), "--all-proven", "--note", "documents")
    assert all(c["state"] == "open" for c in json.loads(_cli("colocations", str(root), "--json")[1])["possible_colocations"])
    rc, raw = _cli("colocations", str(root), "--confirm", first["id"], "--note", NOTE, "--json",
                   "--officer", "DS 5678 B. Reviewer")
    assert rc == 0
    done = json.loads(raw)
    assert done["state"] == "confirmed" and done["officer"] == "DS 5678 B. Reviewer"
    assert done["incidents"] == {"before": 1, "after": 2}
    rc, raw = _cli("colocations", str(root), "--json", "--state", "confirmed")
    [shown] = json.loads(raw)["possible_colocations"]
    assert shown["id"] == first["id"] and shown["status"].startswith("confirmed by DS 5678 B. Reviewer on ")
    assert _cli("colocations", str(root), "--dismiss", first["id"])[0] == 2  # a note is required


def test_the_workbench_co_location_tab_shows_possible_ones_and_confirms_with_a_note(tmp_path: Path) -> None:
    """Pilot: the Conduct screen's Co-location tab lists the possible ones (they were invisible there),
    ``c`` opens a prompt naming the row and refusing an empty note, and the decision reaches the count."""
    import asyncio

    from pilot_wait import settled, until
    from test_tui import text

    from atlas.tui.app import AtlasApp
    from atlas.tui.widgets import DecisionPrompt, FrameTable

    root = tmp_path / "c"
    _case(root)

    async def drive() -> tuple[str, str]:
        app = AtlasApp(root, as_of=AS_OF)
        async with app.run_test(size=(180, 50)) as pilot:
            await until(pilot, lambda: "incidents" in text(app, "#headline"))
            await pilot.press("5")
            await until(pilot, lambda: app.screen.query_one("#colocations", FrameTable).frame.height == 2)
            await settled(pilot, "the Conduct screen's tables mounted")
            app.screen.query_one("#tabs").active = "tab-colocations"  # type: ignore[attr-defined]
            await until(pilot, lambda: app.screen.query_one("#colocations", FrameTable).region.height > 0, "the tab shown")
            table = app.screen.query_one("#colocations", FrameTable)
            table.focus()
            frame = table.frame
            assert frame.get_column("counts").to_list() == ["no: listed", "no: listed"]
            assert all("possible co-location only" in b for b in frame.get_column("decision / basis").to_list())
            table.move_cursor(row=1)
            row = frame.row(1, named=True)
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
            assert row["command handle"] in text(app, "#subject") and "adds an incident on 20/04/2026" in text(app, "#subject")
            await pilot.press("enter")  # no note: refused, nothing recorded
            await until(pilot, lambda: "note is required" in text(app, "#error"), "the prompt's 'note is required'")
            assert "note is required" in text(app, "#error") and read_decisions(app.case) == []
            await pilot.press(*"CCTV TO/9 shows him there", "enter")
            await until(pilot, lambda: app.screen.query_one("#colocations", FrameTable).frame
                        .get_column("counts").to_list() == ["no: listed", "yes (confirmed)"])
            shown = app.screen.query_one("#colocations", FrameTable).frame.row(1, named=True)["decision / basis"]
            return str(row["command handle"]), str(shown)

    cid, shown = asyncio.run(drive())
    assert shown.startswith("confirmed by DC 0002 Test Officer on ") and "CCTV TO/9 shows him there" in shown
    result = analyse(Case.open(root), as_of=AS_OF)
    assert [c.id for c in result.confirmed_colocations] == [cid] and len(result.incidents) == 2


def test_a_decision_on_records_that_no_longer_make_the_item_is_not_applied_and_is_said(tmp_path: Path) -> None:
    from atlas.decisions.ledger import decide

    case = _case(tmp_path / "c")
    decide(case, SUBJECT, "0" * 32, "confirmed", note="made on records since re-grouped")
    result = analyse(case, as_of=AS_OF)
    assert all(c.state == "open" for c in result.colocation_reviews) and len(result.incidents) == 1
    assert any("1 co-location decision in the ledger no longer matches a possible" in w.text for w in result.warnings)


def test_the_mg6c_schedules_dismissed_and_open_ones_not_confirmed_ones(tmp_path: Path) -> None:
    """A reasoned dismissal (she was elsewhere) may assist the defence, and an open one is records
    not relied on: the disclosure officer sees both; a confirmed one is relied on, so it is not there."""
    import csv

    from reports.build import build_reports

    root = tmp_path / "c"
    case = _case(root)
    early, late = analyse(case, as_of=AS_OF).colocation_reviews
    decide_colocation(Case.open(root, officer="DS 5678 B. Reviewer"), early, "dismissed",
                      note="she was at work across town (rota JA/30)")
    result = build_reports(Case.open(root), tmp_path / "out", as_of=AS_OF)
    with (result.out_dir / "unused-material.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if "co-location" in r["category"]]
    assert [r["category"] for r in rows] == ["possible co-location dismissed by an officer",
                                             "possible co-location not counted (awaiting an officer's decision)"]
    dismissed, still_open = rows
    assert "dismissed by DS 5678 B. Reviewer" in dismissed["description"]
    assert "she was at work across town (rota JA/30)" in dismissed["description"]
    assert dismissed["first_uk"].startswith("10/04/2026") and still_open["first_uk"].startswith("20/04/2026")
    assert "no officer has yet confirmed or dismissed it" in still_open["description"]
    assert re.match(r"TO/\d+$", dismissed["exhibit"]) and dismissed["source_file"]
    assert early.id not in dismissed["description"]  # ids are for the workbench, never the schedule

    decide_colocation(case, late, "confirmed", note=NOTE)
    result = build_reports(Case.open(root), tmp_path / "out2", as_of=AS_OF)
    with (result.out_dir / "unused-material.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if "co-location" in r["category"]]
    assert [r["first_uk"][:10] for r in rows] == ["10/04/2026"]  # the confirmed one is relied on
