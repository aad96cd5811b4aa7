"""Items awaiting an officer's decision are named for people everywhere a person reads them (session 17):
by UK time and records by exhibit (a link by its two sides), the handle last, headed as what to type into
the command. Session 16 did this in the reviewer's note, report.html and the workbench's decision screens;
these tests hold the CLI's human output and the Exhibits lists to it. Each fails on the code before.
--json and conduct.json keep the handles as ids (unchanged)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from _conduct_cases import SUSPECT, VICTIM, make_case, msg, pos
from pilot_wait import until

from atlas.decisions.naming import HANDLE_HEADER
from atlas.store import Case

UK_TIME = re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d (GMT|BST)$")
HANDLE = re.compile(r"^[TBCPL][0-9a-f]{8,10}$")
SPOT = (51.5230, -0.1010)


def _cli(*args: str) -> tuple[int, str]:
    from atlas.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(list(args))
    return rc, buf.getvalue()


def _rows(out: str) -> list[list[str]]:
    """The body rows of the first Rich table in ``out``, as cells (a wrapped cell's first line)."""
    return [[c.strip() for c in line.strip().strip("│").split("│")] for line in out.splitlines()
            if line.startswith("│") and line.count("│") > 2]


def _header(out: str) -> list[str]:
    line = next(ln for ln in out.splitlines() if ln.startswith("┃"))
    return [c.strip() for c in line.strip().strip("┃").split("┃")]


@pytest.fixture(scope="module")
def possible_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Her positions with no stated accuracy near his on 10/04 and 20/04: two possible co-locations."""
    root = tmp_path_factory.mktemp("names") / "c"
    make_case(root, {
        VICTIM: [msg("2026-04-01 10:00", SUSPECT, VICTIM, "I know where you live and I will come for you"),
                 pos("2026-04-10 18:00", *SPOT, None), pos("2026-04-20 18:00", *SPOT, None)],
        SUSPECT: [pos("2026-04-10 18:05", SPOT[0] + 0.0004, SPOT[1], 12.0),
                  pos("2026-04-20 18:05", SPOT[0] + 0.0004, SPOT[1], 12.0)],
    })
    return root


def test_atlas_colocations_names_each_by_time_and_puts_its_handle_last(possible_case: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    rc, out = _cli("colocations", str(possible_case), "--as-of", "2026-09-01")
    assert rc == 0
    assert _header(out)[0] == "from (UK)" and _header(out)[-1] == HANDLE_HEADER
    rows = _rows(out)
    assert len(rows) == 2 and all(UK_TIME.match(r[0]) and HANDLE.match(r[-1]) for r in rows), rows
    assert "--confirm HANDLE" in out and "--confirm ID" not in out


def test_a_decision_from_the_cli_is_said_by_its_name_then_its_handle(possible_case: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    case = tmp_path / "c"
    shutil.copytree(possible_case, case)
    items = json.loads(_cli("colocations", str(case), "--as-of", "2026-09-01", "--json")[1])["possible_colocations"]
    handle = items[0]["id"]
    rc, said = _cli("colocations", str(case), "--as-of", "2026-09-01", "--confirm", handle, "--note", "CCTV JA/9",
                    "--officer", "DS 5678 B. Reviewer")
    assert rc == 0
    first = said.splitlines()[0]
    assert first.startswith("The possible co-location near the victim, 10/04/2026 19:0"), first
    assert f"(command handle {handle}): confirmed by DS 5678 B. Reviewer" in first
    rc, listed = _cli("colocations", str(case), "--as-of", "2026-09-01")
    decided = [ln for ln in listed.splitlines() if "confirmed by DS 5678" in ln and not ln.startswith("│")]
    assert decided and decided[0].startswith("The possible co-location near the victim, 10/04/2026"), decided
    # the machines' output keeps the handle as the id
    assert json.loads(_cli("colocations", str(case), "--as-of", "2026-09-01", "--json")[1])[
        "possible_colocations"][0]["id"] == handle


def test_atlas_threats_names_each_candidate_by_time_and_record_handle_last(possible_case: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    rc, out = _cli("threats", str(possible_case))
    assert rc == 0
    assert _header(out)[0] == "when (UK)" and _header(out)[-1] == HANDLE_HEADER
    rows = _rows(out)
    assert rows and all(UK_TIME.match(r[0]) and HANDLE.match(r[-1]) for r in rows), rows
    assert not any(HANDLE.match(c) for r in rows for c in r[:-1])


def test_atlas_conduct_lists_possible_items_with_the_handle_last(possible_case: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    rc, out = _cli("conduct", str(possible_case), "--as-of", "2026-09-01")
    assert rc == 0
    block = out[out.index("Possible co-locations"):]
    assert _header(block)[0] == "start (UK)" and _header(block)[-1] == HANDLE_HEADER
    assert all(HANDLE.match(r[-1]) for r in _rows(block)[:2])


def test_a_tagged_finding_is_named_by_what_it_is_in_atlas_exhibit_list(possible_case: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`atlas exhibit list` (and tag) showed a tagged finding as its key, 'finding:colocation:C…'."""
    monkeypatch.setenv("COLUMNS", "300")
    case = tmp_path / "c"
    shutil.copytree(possible_case, case)
    handle = json.loads(_cli("colocations", str(case), "--as-of", "2026-09-01", "--json")[1])[
        "possible_colocations"][0]["id"]
    rc, said = _cli("exhibit", "tag", str(case), f"finding:colocation:{handle}", "--note", "for the file")
    assert rc == 0 and "the possible co-location near the victim, 10/04/2026" in said and handle not in said, said
    rc, out = _cli("exhibit", "list", str(case))
    assert _header(out)[-1] == HANDLE_HEADER
    [row] = _rows(out)
    assert row[1].startswith("the possible co-location near the victim"), row
    assert row[-1].startswith("finding:colocation:")  # what `atlas exhibit untag` takes


def test_the_workbench_exhibits_screen_names_a_tagged_finding(possible_case: Path, tmp_path: Path) -> None:
    """The Exhibits screen's item column read 'colocation:C…' (or 'candidate:T…') beside the description."""
    from atlas.conduct import analyse
    from atlas.decisions.exhibits import tag
    from atlas.tui.app import AtlasApp
    from atlas.tui.screens.exhibits import ExhibitsScreen
    from atlas.tui.widgets import FrameTable

    case_dir = tmp_path / "c"
    shutil.copytree(possible_case, case_dir)
    case = Case.open(case_dir)
    handle = analyse(case, as_of=date(2026, 9, 1)).colocation_reviews[0].id
    tag(case, f"finding:colocation:{handle}", note="for the file")

    async def drive() -> dict[str, object]:
        app = AtlasApp(case_dir, as_of=date(2026, 9, 1))
        async with app.run_test(size=(180, 50)) as pilot:
            await until(pilot, lambda: "incidents" in str(app.screen.query_one("#headline").render()))
            await pilot.press("6")
            await until(pilot, lambda: isinstance(app.screen, ExhibitsScreen)
                         and app.screen.query_one("#exhibits", FrameTable).frame.height == 1)
            return app.screen.query_one("#exhibits", FrameTable).frame.row(0, named=True)

    row = asyncio.run(drive())
    assert str(row["item"]).startswith("the possible co-location near the victim, 10/04/2026"), row
    assert row[HANDLE_HEADER] == f"finding:colocation:{handle}"
    assert list(row)[-2] == HANDLE_HEADER  # the last column shown (the target behind it is hidden)



def _with_proposed_link(possible_case: Path, tmp_path: Path) -> tuple[Path, Case, str]:
    """A copy of the possible-items case with one link proposed (tel:…002 = tel:…013, same IMEI):
    its folder, the opened case and the link's handle."""
    from atlas.identity.ledger import ensure_schema, propose

    case_dir = tmp_path / "c"
    shutil.copytree(possible_case, case_dir)
    case = Case.open(case_dir)
    with case.db() as con:
        ensure_schema(con)
        lid, _ = propose(case, con, "tel:+447700900002", "tel:+447700900013", "same-imei", reason="same IMEI",
                         support=[], score=None, origin="discovery:test")
    return case_dir, case, lid

def test_atlas_people_lists_a_proposed_link_by_its_two_sides_handle_last(possible_case: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    case_dir, _, lid = _with_proposed_link(possible_case, tmp_path)
    rc, out = _cli("people", str(case_dir))
    assert rc == 0
    block = out[out.index("Proposed links awaiting a decision"):]
    assert _header(block)[0] == "a" and _header(block)[-1] == HANDLE_HEADER
    [row] = _rows(block)[:1]
    assert row[-1] == lid and lid not in row[:-1]
    rc, said = _cli("confirm", str(case_dir), lid, "--note", "same IMEI in the CDRs JA/1")
    assert rc == 0 and said.startswith("The link ") and said.rstrip().endswith(f"(command handle {lid})"), said


def test_atlas_note_names_what_a_note_is_about(possible_case: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`atlas note CASE` listed 'about' as the key (event:<16-hex source id>/row 3, link:L…) and the time in ISO."""
    monkeypatch.setenv("COLUMNS", "300")
    case_dir, case, lid = _with_proposed_link(possible_case, tmp_path)
    event = case.events().select("event_id").head(1).collect().item()
    rc, said = _cli("note", str(case_dir), "asked the network", "--about", f"event:{event}")
    prefix = case.manifest.exhibit_prefix
    assert rc == 0 and event not in said and f"on {prefix}/" in said, said
    assert _cli("note", str(case_dir), "checked the IMEI", "--about", f"link:{lid}")[0] == 0
    rc, out = _cli("note", str(case_dir))
    rows = _rows(out)
    assert rows[0][1].startswith(f"{prefix}/") and rows[1][1].startswith("the link ") and lid not in out, rows
    assert all(UK_TIME.match(r[-1]) for r in rows), rows
    assert not any(source in out for source in case.source_ids())


def test_the_reviewers_note_names_what_a_note_is_about(possible_case: Path, tmp_path: Path) -> None:
    """The reviewer's note listed a note about a link or a tagged finding by its key ('link:L…',
    'finding:colocation:C…'); it names the link by its two sides and the finding by what it is."""
    from atlas.conduct import analyse
    from atlas.decisions.notes import add_note
    from atlas.exhibits import source_refs
    from reports.document import Table
    from reports.reviewer_note import _decisions

    _, case, lid = _with_proposed_link(possible_case, tmp_path)
    conduct = analyse(case, as_of=date(2026, 9, 1))
    handle = conduct.colocation_reviews[0].id
    add_note(case, f"link:{lid}", "asked the network for the IMEI history")
    add_note(case, f"finding:colocation:{handle}", "CCTV requested")
    sec = _decisions(case, source_refs(case), {}, conduct, None, "Daniel Sample")
    [table] = [b for b in sec.blocks if isinstance(b, Table)]
    about = [r[0] for r in table.rows]
    assert about[0] == "the link tel:+447700900002 ↔ tel:+447700900013", about
    assert about[1].startswith("Possible co-location: device used by Daniel Sample"), about
    assert not any(lid in a or handle in a for a in about)
