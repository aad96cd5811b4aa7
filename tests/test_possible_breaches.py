"""Possible breaches of an exclusion zone as reviewable items: an officer confirms one (it is a breach
of the order and an incident, shown as confirmed by them) or dismisses it (it never counts); every
output renders the one result.

Found on the rejected-ex scenario (seed 60601): two positions of his phone with no stated accuracy
inside the exclusion zone of the restraining order, each on a day with no other incident, listed as
"possible breaches (listed, not counted)" with no decision anybody could record.
"""

from __future__ import annotations

import contextlib
import csv
import html as html_text
import io
import json
import re
import shutil
import sqlite3
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from _conduct_cases import HOME, SUSPECT, VICTIM, make_case, msg, pos
from _report_cases import office_to_pdf

from atlas.conduct import analyse
from atlas.conduct.possible_breaches import KIND, SUBJECT, breach_key
from atlas.decisions.breaches import decide_breach, decided, find_breach
from atlas.decisions.ledger import read_decisions
from atlas.errors import AtlasError
from atlas.store import Case

AS_OF = date(2026, 9, 1)
NOTE = "CCTV exhibit TO/9 shows him at her gate at 19:02"
WHY_NOT = "ANPR read TO/12 puts his car in Leeds at 18:55"
ORDER = {"type": "restraining-order", "start": "2026-03-01T00:00:00Z", "reference": "RO-TEST-1"}
INSIDE = (HOME[0] + 0.0010, HOME[1])  # about 111 m from the centre of the 200 m zone


def _case(root: Path) -> Case:
    """A restraining order from 01/03 with the victim's home as its exclusion zone; one message on 01/04
    (a contact breach and an incident); his positions with no stated accuracy inside the zone on 10/04
    and 20/04: two possible breaches, each on a day with no other incident."""
    return make_case(root, {
        VICTIM: [msg("2026-04-01 10:00", SUSPECT, VICTIM, "hi")],
        SUSPECT: [pos("2026-04-10 18:00", *INSIDE, None), pos("2026-04-20 18:00", *INSIDE, None)],
    }, orders=[ORDER])


def _case_with_later_message(root: Path) -> Case:
    """:func:`_case` with a message on 01/05 and both possible breaches confirmed."""
    case = make_case(root, {
        VICTIM: [msg("2026-04-01 10:00", SUSPECT, VICTIM, "hi"), msg("2026-05-01 10:00", SUSPECT, VICTIM, "hi")],
        SUSPECT: [pos("2026-04-10 18:00", *INSIDE, None), pos("2026-04-20 18:00", *INSIDE, None)],
    }, orders=[ORDER])
    for b in analyse(case, as_of=AS_OF).breach_reviews:
        decide_breach(case, b, "confirmed", note=NOTE)
    assert len(analyse(case, as_of=AS_OF).confirmed_breaches) == 2
    return case


def _cli(*args: str) -> tuple[int, str]:
    from atlas.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(list(args))
    return rc, buf.getvalue()


def test_the_ledger_round_trip_confirm_dismiss_reopen(tmp_path: Path) -> None:
    case = _case(tmp_path / "c")
    items = analyse(case, as_of=AS_OF).breach_reviews
    assert [b.state for b in items] == ["open", "open"]
    first = items[0]
    assert re.fullmatch(r"P[0-9a-f]{8}", first.id)
    assert find_breach(items, first.id[:5]) is first
    with pytest.raises(AtlasError, match="no possible breach"):
        find_breach(items, "Pzz")
    with pytest.raises(AtlasError, match="note is required"):
        decide_breach(case, first, "confirmed", note="  ")
    decide_breach(case, first, "confirmed", note=NOTE)
    rows = read_decisions(case, subjects=[SUBJECT])
    assert [(d.subject, d.key, d.state, d.note) for d in rows] == [(SUBJECT, first.key, "confirmed", NOTE)]
    assert rows[0].officer == "DC 0002 Test Officer"
    assert rows[0].detail["event_ids"] == list(first.possible.event_ids)
    assert rows[0].detail["order"] == "RO-TEST-1" and rows[0].detail["place"] == "victim home"
    assert decided(case)[first.key].state == "confirmed"
    decide_breach(case, first, "dismissed", note=WHY_NOT)
    decide_breach(case, first, "open", note="")
    assert [d.state for d in read_decisions(case, subjects=[SUBJECT])] == ["confirmed", "dismissed", "open"]
    assert analyse(case, as_of=AS_OF).breach_reviews[0].state == "open"
    # append-only: the ledger refuses to rewrite or delete a decision
    with sqlite3.connect(case.store / "atlas.sqlite") as con, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE decisions SET state = 'confirmed' WHERE subject = ?", (SUBJECT,))
    with sqlite3.connect(case.store / "atlas.sqlite") as con, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM decisions WHERE subject = ?", (SUBJECT,))
    actions = [str(a.get("action")) for a in case.audit_log() if str(a.get("action")).startswith("breach.")]
    assert actions == ["breach.confirm", "breach.dismiss", "breach.reopen"]


def test_the_id_is_the_order_the_zone_and_the_records(tmp_path: Path) -> None:
    case = _case(tmp_path / "c")
    once = [b.id for b in analyse(case, as_of=AS_OF).breach_reviews]
    assert once == [b.id for b in analyse(case, as_of=AS_OF).breach_reviews]  # stable across runs
    p = analyse(case, as_of=AS_OF).breach_reviews[0].possible
    assert breach_key(p.order, p.place, p.event_ids) == breach_key(p.order, p.place, tuple(reversed(p.event_ids)))
    assert breach_key(p.order, p.place, p.event_ids) != breach_key("RO-OTHER", p.place, p.event_ids)


def test_confirming_counts_a_breach_and_an_incident_and_moves_the_deadline_dismissing_does_not(tmp_path: Path) -> None:
    case = _case(tmp_path / "c")
    before = analyse(case, as_of=AS_OF)
    assert [i.date.isoformat() for i in before.incidents] == ["2026-04-01"]
    assert [b.kind for b in before.breaches] == ["contact"]
    assert before.s2a.deadline == date(2026, 10, 1)
    effect = before.breach_effect
    assert effect is not None and (effect.open, effect.incidents_now, effect.incidents_if_confirmed) == (2, 1, 3)
    assert (effect.last_incident_if_confirmed, effect.deadline_if_confirmed) == (date(2026, 4, 20), date(2026, 10, 20))
    early, late = before.breach_reviews
    assert early.new_day and early.effect == "adds an incident on 10/04/2026"
    decide_breach(case, early, "dismissed", note=WHY_NOT)
    dismissed = analyse(case, as_of=AS_OF)
    assert len(dismissed.incidents) == 1 and dismissed.breach_count == 1 and dismissed.s2a.deadline == date(2026, 10, 1)
    decide_breach(case, late, "confirmed", note=NOTE)
    after = analyse(case, as_of=AS_OF)
    assert [i.date.isoformat() for i in after.incidents] == ["2026-04-01", "2026-04-20"]
    assert "confirmed-breach" in after.incidents[-1].kinds and after.incidents[-1].breach
    assert after.incidents[-1].presences == ()  # never a measured presence
    assert [b.kind for b in after.breaches] == ["contact", KIND]
    confirmed_row = after.breaches[-1]
    assert confirmed_row.certainty is not None and confirmed_row.certainty.startswith(
        "counted only because it was checked against other material and confirmed by an officer")
    assert "no stated accuracy" in confirmed_row.certainty and "Test Officer" not in confirmed_row.certainty
    assert after.s2a.last_incident is not None and after.s2a.last_incident.day == date(2026, 4, 20)
    assert after.s2a.deadline == date(2026, 10, 20)
    [c] = after.confirmed_breaches
    assert c.status.startswith("confirmed by DC 0002 Test Officer on ") and c.status.endswith(NOTE)
    # the order's own summary counts it (conduct --json and the reviewer's note read it from there)
    assert [(o.zone_breaches, o.confirmed_possible_breaches) for o in before.orders if o.analysed] == [(0, 0)]
    assert [(o.zone_breaches, o.confirmed_possible_breaches) for o in after.orders if o.analysed] == [(0, 1)]
    assert [o.to_json()["confirmed_possible_breaches"] for o in after.orders if o.analysed] == [1]
    # the verdict says its clock runs from an officer's decision, and what it would be without it
    assert any("is a possible breach of order RO-TEST-1" in w and "counted only because an officer confirmed it" in w
               and "would be 01/04/2026" in w for w in after.s2a.warnings)
    assert after.course_of_conduct["confirmed_possible_breaches"] == 1
    data = after.to_json()
    assert {b["id"]: b["state"] for b in data["possible_breaches"]} == {early.id: "dismissed", late.id: "confirmed"}
    assert data["possible_breach_effect"] is None  # nothing open
    # the other one instead: the warning follows the decision that now sets the clock
    decide_breach(case, early, "confirmed", note=NOTE)
    decide_breach(case, late, "open", note="")
    again = analyse(case, as_of=AS_OF)
    assert again.s2a.deadline == date(2026, 10, 10)
    assert [w[:40] for w in again.s2a.warnings if "possible breach of order" in w] == [
        "the last incident (10/04/2026) is a poss"]
    # a message after it: the last incident is measured again, and no warning is left
    msg_after = analyse(_case_with_later_message(tmp_path / "later"), as_of=AS_OF)
    assert not any("possible breach of order" in w for w in msg_after.s2a.warnings)


def test_a_decision_on_records_that_no_longer_make_the_item_is_not_applied_and_is_said(tmp_path: Path) -> None:
    from atlas.decisions.ledger import decide

    case = _case(tmp_path / "c")
    decide(case, SUBJECT, "0" * 32, "confirmed", note="made on records since re-grouped")
    result = analyse(case, as_of=AS_OF)
    assert all(b.state == "open" for b in result.breach_reviews) and len(result.incidents) == 1
    assert result.breach_count == 1
    assert any("1 breach decision in the ledger no longer matches a possible breach" in w.text for w in result.warnings)


def test_cli_lists_confirms_with_before_and_after_and_all_proven_leaves_them_alone(tmp_path: Path) -> None:
    root = tmp_path / "c"
    _case(root)
    rc, raw = _cli("breaches", str(root), "--json", "--as-of", "2026-09-01")
    assert rc == 0
    data: dict[str, Any] = json.loads(raw)
    assert data["measured"] == 1 and data["confirmed_possible"] == 0
    items = data["possible_breaches"]
    assert [b["state"] for b in items] == ["open", "open"]
    first = items[0]
    assert first["from_uk"] == "10/04/2026 19:00 BST" and first["order"] == "RO-TEST-1"
    assert all(re.fullmatch(r"TO/\d+, row \d+", r) for r in first["exhibits"])
    assert data["if_open_confirmed"]["incidents"] == {"now": 1, "if_confirmed": 3}
    # --all-proven confirms documentary alias links only, never a possible breach
    _cli("confirm", str(root), "--all-proven", "--note", "documents")
    assert all(b["state"] == "open" for b in json.loads(_cli("breaches", str(root), "--json")[1])["possible_breaches"])
    assert read_decisions(Case.open(root), subjects=[SUBJECT]) == []
    rc, raw = _cli("breaches", str(root), "--confirm", items[1]["id"], "--note", NOTE, "--json",
                   "--officer", "DS 5678 B. Reviewer", "--as-of", "2026-09-01")
    assert rc == 0
    done = json.loads(raw)
    assert done["state"] == "confirmed" and done["officer"] == "DS 5678 B. Reviewer"
    assert done["breaches"] == {"before": 1, "after": 2} and done["incidents"] == {"before": 1, "after": 2}
    assert done["deadline"] == {"before": "01/10/2026", "after": "20/10/2026"}
    rc, human = _cli("breaches", str(root), "--dismiss", first["id"], "--note", WHY_NOT, "--as-of", "2026-09-01")
    assert rc == 0 and "dismissed by DC 0002 Test Officer" in human and "incidents 2 → 2" in human
    rc, raw = _cli("breaches", str(root), "--json", "--state", "confirmed")
    [shown] = json.loads(raw)["possible_breaches"]
    assert shown["id"] == items[1]["id"] and shown["status"].startswith("confirmed by DS 5678 B. Reviewer on ")
    assert _cli("breaches", str(root), "--reopen", first["id"])[0] == 0  # re-opening needs no note
    assert _cli("breaches", str(root), "--dismiss", first["id"])[0] == 2  # a note is required


# --- the generated case: the user's check, end to end --------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """rejected-ex, seed 60601 (scale 0.12: the course of conduct is the same at any scale): two
    possible breaches of the restraining order's exclusion zone, on 06/06 and 18/07/2026."""
    from atlas.demo import ingest_generated
    from fixtures.generate import generate

    root = tmp_path_factory.mktemp("possible-breaches") / "case"
    generate("rejected-ex", 60601, 0.12, root)
    ingest_generated(root)
    return root


def test_on_the_generated_case_confirm_one_dismiss_one_and_every_output_says_so(generated: Path,
                                                                                 tmp_path: Path) -> None:
    from docx import Document

    root = tmp_path / "case"
    shutil.copytree(generated, root)
    before = analyse(Case.open(root), as_of=date(2026, 12, 7))
    assert [b.day.isoformat() for b in before.breach_reviews] == ["2026-06-06", "2026-07-18"]
    assert all(b.new_day for b in before.breach_reviews)
    n_incidents, n_breaches, deadline = len(before.incidents), before.breach_count, before.s2a.deadline
    assert before.breach_effect is not None and before.breach_effect.incidents_if_confirmed == n_incidents + 2
    early, late = before.breach_reviews
    reviewer = Case.open(root, officer="DS 5678 B. Reviewer")
    decide_breach(reviewer, late, "confirmed", note=NOTE)
    decide_breach(reviewer, early, "dismissed", note=WHY_NOT)
    after = analyse(Case.open(root), as_of=date(2026, 12, 7))
    assert (len(after.incidents), after.breach_count) == (n_incidents + 1, n_breaches + 1)
    assert after.s2a.deadline == deadline  # 18/07 is before the last incident (14/08): the clock does not move
    assert date(2026, 7, 18) in {i.date for i in after.incidents}
    assert date(2026, 6, 6) not in {i.date for i in after.incidents}

    out = tmp_path / "out"
    rc, _ = _cli("report", str(root), "--out", str(out), "--as-of", "2026-12-07")
    assert rc == 0

    def text(name: str) -> str:
        doc = Document(str(out / name))
        return "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])

    mg11 = text("statement.docx")
    # counted on an officer's decision, never whose, when or why; no workbench id; no advice
    assert "checked against other material and confirmed by an officer; that decision is recorded in the case's " \
           "decisions ledger" in mg11
    assert "reported inside; accuracy not stated" in mg11
    assert "rests only on a possible presence, confirmed by an officer, in an area named in an order (18/07/2026)" in mg11
    assert late.possible.exhibits[0] in mg11
    assert NOTE not in mg11 and WHY_NOT not in mg11 and "DS 5678" not in mg11 and "Reviewer" not in mg11
    assert not re.search(r"\b[TCBLP][0-9a-f]{8}\b", mg11)
    assert "06/06/2026 13:12" not in mg11  # the dismissed one is not a fact in the statement
    note = text("reviewer-note.docx")
    assert late.id in note and early.id in note and NOTE in note and WHY_NOT in note
    assert "1 possible breach of its exclusion zone confirmed by an officer" in note
    html = (out / "report.html").read_text(encoding="utf-8")
    assert late.id in html and early.id in html and "confirmed by DS 5678 B. Reviewer" in html
    # the headline says what rests on the decision, as it does for a confirmed co-location
    page = html_text.unescape(html)  # the summary is a Bokeh Div: its HTML is held escaped
    assert f"<td>{n_breaches + 1} (1 of them a possible breach confirmed by an officer, not measured)</td>" in page
    assert f"<td>{n_incidents + 1} (1 day rests only on a possible breach confirmed by an officer)</td>" in page
    with (out / "breaches.csv").open(encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    confirmed_rows = [r for r in table if r["kind"] == KIND]
    assert len(confirmed_rows) == 1 and confirmed_rows[0]["uk_time"].startswith("18/07/2026")
    assert confirmed_rows[0]["counted_as"].startswith("confirmed by an officer")
    assert all(r["counted_as"] == "measured" for r in table if r["kind"] != KIND)
    flat = json.dumps(table)
    assert NOTE not in flat and "DS 5678" not in flat and late.id not in flat  # an exhibit: served
    with (out / "unused-material.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if "possible breach" in r["category"]]
    [dismissed] = rows  # the confirmed one is relied on; the dismissed one may assist the defence
    assert dismissed["category"] == "possible breach of an order dismissed by an officer"
    assert "dismissed by DS 5678 B. Reviewer" in dismissed["description"] and WHY_NOT in dismissed["description"]
    assert dismissed["first_uk"].startswith("06/06/2026") and early.id not in dismissed["description"]


def test_the_mg11_as_a_person_reads_it_holds_no_ids(generated: Path, tmp_path: Path) -> None:
    """The served statement through LibreOffice and pdftotext, as a reader sees it: no workbench id
    (``P…``, ``C…``, ``T…``), no officer's note; the confirmed breach stated with its basis."""
    if not shutil.which("soffice") or not shutil.which("pdftotext"):
        pytest.skip("libreoffice and poppler-utils are needed to read the statement as a person does")
    root = tmp_path / "case"
    shutil.copytree(generated, root)
    [_, late] = analyse(Case.open(root), as_of=date(2026, 12, 7)).breach_reviews
    decide_breach(Case.open(root, officer="DS 5678 B. Reviewer"), late, "confirmed", note=NOTE)
    out = tmp_path / "out"
    assert _cli("report", str(root), "--out", str(out), "--as-of", "2026-12-07")[0] == 0
    # the suite's own LibreOffice profile (one per test process): two soffice on one profile at once
    # (another test worker, or a person's LibreOffice on the default profile) may hand the file over and write no PDF
    converted = office_to_pdf([out / "statement.docx"], tmp_path / "pdf", timeout=240)
    assert converted.returncode == 0, converted.stderr
    txt = subprocess.run(["pdftotext", "-layout", str(tmp_path / "pdf" / "statement.pdf"), "-"], check=True,
                         capture_output=True, text=True).stdout
    flat = " ".join(txt.split())  # as read: the lines of a paragraph joined
    assert "confirmed by an officer; that decision is recorded in the case's decisions ledger" in flat
    assert not re.search(r"\b[TCBLP][0-9a-f]{8}\b", txt)
    assert NOTE not in txt and "DS 5678" not in txt


def test_the_workbench_possible_breaches_tab_confirms_with_a_note(tmp_path: Path) -> None:
    """Pilot: the Conduct screen's Possible breaches tab lists them, ``c`` opens a prompt naming the
    row and refusing an empty note, and the decision reaches the count."""
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
            await until(pilot, lambda: app.screen.query_one("#possible-breaches", FrameTable).frame.height == 2)
            await settled(pilot, "the Conduct screen's tables mounted")
            app.screen.query_one("#tabs").active = "tab-possible-breaches"  # type: ignore[attr-defined]
            await until(pilot, lambda: app.screen.query_one("#possible-breaches", FrameTable).region.height > 0, "the tab shown")
            table = app.screen.query_one("#possible-breaches", FrameTable)
            table.focus()
            frame = table.frame
            assert frame.get_column("counts").to_list() == ["no: listed", "no: listed"]
            table.move_cursor(row=1)
            row = frame.row(1, named=True)
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
            assert row["command handle"] in text(app, "#subject") and "adds an incident on 20/04/2026" in text(app, "#subject")
            await pilot.press("enter")  # no note: refused, nothing recorded
            await until(pilot, lambda: "note is required" in text(app, "#error"), "the prompt's 'note is required'")
            assert "note is required" in text(app, "#error") and read_decisions(app.case) == []
            await pilot.press(*"CCTV TO/9 shows him there", "enter")
            await until(pilot, lambda: app.screen.query_one("#possible-breaches", FrameTable).frame
                        .get_column("counts").to_list() == ["no: listed", "yes (confirmed)"])
            shown = app.screen.query_one("#possible-breaches", FrameTable).frame.row(1, named=True)["decision / basis"]
            breaches = app.screen.query_one("#breaches", FrameTable).frame.get_column("kind").to_list()
            assert breaches == ["contact", KIND]
            return str(row["command handle"]), str(shown)

    bid, shown = asyncio.run(drive())
    assert shown.startswith("confirmed by DC 0002 Test Officer on ") and "CCTV TO/9 shows him there" in shown
    result = analyse(Case.open(root), as_of=AS_OF)
    assert [b.id for b in result.confirmed_breaches] == [bid] and len(result.incidents) == 2


def test_gis_exports_draw_a_confirmed_possible_breach_apart_from_measured_ones(tmp_path: Path) -> None:
    """A confirmed possible breach is drawn in its own feature kind and KML folder, saying it counts on an
    officer's decision (never whose, nor the note), and is not counted as a contact breach with no place;
    the dismissed one is not drawn."""
    from atlas.export.run import export

    case = _case(tmp_path / "c")
    early, late = analyse(case, as_of=AS_OF).breach_reviews
    decide_breach(case, late, "confirmed", note=NOTE)
    decide_breach(case, early, "dismissed", note=WHY_NOT)
    outcome = export(case, "geojson", tmp_path / "map.geojson")
    assert (outcome.counts["zone_breaches"], outcome.counts["zone_breaches_confirmed_possible"]) == (0, 1)
    doc = json.loads((tmp_path / "map.geojson").read_text(encoding="utf-8"))
    zone = [f["properties"] for f in doc["features"] if f["properties"]["feature"].startswith("exclusion-zone-breach")]
    assert [(p["feature"], p["date"]) for p in zone] == [("exclusion-zone-breach-confirmed", "2026-04-20")]
    [p] = zone
    assert p["name"].endswith("(possible presence, confirmed by an officer)")
    assert p["counted"] == "confirmed by an officer; recorded in the case's decisions ledger"
    assert p["certainty"].startswith("counted only because it was checked against other material")
    assert doc["atlas"]["not_drawn"].startswith("1 contact breach(es)")  # the message of 01/04, not the zone
    text = json.dumps(doc, ensure_ascii=False)
    assert NOTE not in text and WHY_NOT not in text and late.id not in text and early.id not in text
    export(case, "kml", tmp_path / "map.kml")
    kml = (tmp_path / "map.kml").read_text(encoding="utf-8")
    assert kml.count("<name>Possible exclusion-zone breaches confirmed by an officer (no measured presence)</name>") == 1
    assert NOTE not in kml and late.id not in kml
