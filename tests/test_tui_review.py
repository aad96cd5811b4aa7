"""The workbench as a reviewer uses it (session 14's fresh-eyes check on unseen seeds): what a
person reads on each screen says no more than the analysis knows, and stays readable.
Each test failed before its fix."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from pilot_wait import kept_messages, settled, until
from test_tui import AS_OF, SIZE, conduct_tab, show, text
from test_tui_snapshots import screen_text
from textual.pilot import Pilot

from atlas.tui.app import AtlasApp
from atlas.tui.widgets import DecisionPrompt, FrameTable


@pytest.fixture
def case_copy(rejected_ex_case: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(rejected_ex_case, out)
    return out


def run(case_dir: Path, script: Callable[[AtlasApp, Pilot[None]], Any], size: tuple[int, int] = SIZE) -> Any:
    """test_tui.run at a given terminal size (120x40: a laptop)."""
    async def drive() -> Any:
        app = AtlasApp(case_dir, as_of=AS_OF)
        async with app.run_test(size=size) as pilot:
            await until(pilot, lambda: "incidents" in text(app, "#headline"))
            return await script(app, pilot)

    return asyncio.run(drive())


_conduct_tab = conduct_tab  # the name the workbench tests import


def test_an_unconfirmed_threat_day_is_not_flagged_as_a_threat(case_copy: Path) -> None:
    """Seed 17171 (rejected-ex): the Incidents tab flagged 20/02/2026 "THREAT" beside "threat occasions
    3 (0 confirmed)" (the headline's old words): a likely-threat message awaiting a decision shown as a fact. It now says
    "THREAT?" until an officer confirms one of that day's messages."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[list[str], str, list[str]]:
        table = await _conduct_tab(app, pilot, "candidates")
        await until(pilot, lambda: table.frame.height > 0)
        row = table.frame.with_row_index().filter((pl.col("kind") == "threat") & (pl.col("tier") == "occasion")).row(
            0, named=True)
        day = str(row["when (UK)"])[:10]
        before = app.screen.query_one("#incidents", FrameTable).frame.get_column("flags").to_list()
        table.move_cursor(row=row["index"])
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
        await pilot.press(*"read in context: a threat", "enter")
        await until(pilot, lambda: "threat occasions 1 confirmed by an officer" in text(app, "#headline"))
        await until(pilot, lambda: any("confirmed by an officer" in f for f in
                                       app.screen.query_one("#incidents", FrameTable).frame.get_column("flags").to_list()))
        after = app.screen.query_one("#incidents", FrameTable).frame
        return before, day, after.filter(pl.col("date") == day).get_column("flags").to_list()

    before, day, after = run(case_copy, script)
    threat_days = [f for f in before if "THREAT" in f]
    assert threat_days, "the case has likely-threat days (the test needs one)"
    assert all("THREAT?" in f and "confirmed" not in f for f in threat_days)  # nothing confirmed yet
    assert len(after) == 1 and "THREAT (confirmed by an officer)" in after[0] and "THREAT?" not in after[0], (day, after)


def _screen_text(app: AtlasApp) -> str:
    """What the terminal shows, line by line."""
    return screen_text(app.export_screenshot())


def test_the_decision_prompt_shows_its_whole_subject_on_a_laptop(case_copy: Path) -> None:
    """Seed 17171, a possible breach at 120x40: the prompt's subject was cut at 8 lines, so its last
    line, the records it rests on, was never shown and could not be scrolled to."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[str, str, int, int]:
        table = await _conduct_tab(app, pilot, "possible-breaches")
        await until(pilot, lambda: table.frame.height > 0)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
        await settled(pilot, "the prompt's impact to be computed and the prompt laid out")
        subject = app.screen.query_one("#subject")
        needed = subject.get_content_height(subject.container_size, subject.container_size, subject.size.width)
        said, shown, height = str(subject.render()), _screen_text(app), subject.size.height
        await pilot.press("escape")
        return said, shown, height, needed

    subject, shown, height, needed = run(case_copy, script, size=(120, 40))
    last = subject.strip().splitlines()[-1]
    assert last.startswith("records: ") and height == needed
    assert last[:40] in shown


def test_the_row_under_the_cursor_stays_in_sight(rejected_ex_case: Path) -> None:
    """Seed 17171: every table mounted in a box (timeline, conversations, people) was as tall as the
    terminal and clipped by its box, so the cursor went down out of sight and the table never scrolled:
    at 120x40 the timeline's rows 23 to 38 were hidden under the detail pane as the cursor passed them.
    Run at 120x40 only (the smaller box; 200x50 showed the same fault and the same fix): 13 s a size."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> list[tuple[str, str, bool, bool]]:
        out = []
        for key, tid in (("2", "events"), ("3", "pairs"), ("4", "identifiers"), ("4", "links")):
            await show(app, pilot, key)
            await until(pilot, lambda tid=tid: app.screen.query_one(f"#{tid}", FrameTable).shown_count > 0)
            table = app.screen.query_one(f"#{tid}", FrameTable)
            table.focus()
            await pilot.press(*["down"] * min(30, table.shown_count - 1))
            await settled(pilot, "the table scrolled to its cursor")
            box = table.parent
            assert box is not None
            inside = box.region.contains_region(table.region)
            row = table.current() or {}
            first = str(next(v for k, v in row.items() if not k.startswith("_")))
            shown = _screen_text(app)
            out.append((tid, first, inside, first[:20] in shown))
        return out

    for tid, first, inside, seen in run(rejected_ex_case, script, size=(120, 40)):
        assert inside, f"{tid}: the table is taller than its box"
        assert seen, f"{tid}: the row under the cursor ({first!r}) is not on screen"


def test_after_a_decision_the_decided_link_is_in_sight(case_copy: Path) -> None:
    """Seed 17171, People: confirming the first proposed link moves it to the confirmed rows at the
    bottom, and the cursor followed it out of sight: the list showed only proposed links, none
    highlighted, and the next key acted on a row the officer could not see."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[str, str, str, str, str]:
        await show(app, pilot, "4")
        table = app.screen.query_one("#links", FrameTable)
        lid = str(table.frame.get_column("command handle")[0])
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
        await pilot.press(*"checked the download", "enter")
        await until(pilot, lambda: not isinstance(app.screen, DecisionPrompt))
        await until(pilot, lambda: (app.screen.query_one("#links", FrameTable).current() or {}).get("status")
                    == "confirmed")
        await settled(pilot, "People's tables redrawn after the decision")
        row = app.screen.query_one("#links", FrameTable).current() or {}
        return lid, str(row.get("command handle")), str(row.get("status")), str(row.get("a")), _screen_text(app)

    lid, current, status, side, shown = run(case_copy, script)
    assert current == lid and status == "confirmed"
    # the row is named by its sides first (the link's handle is its last column)
    assert any(line.lstrip().startswith(side) and " confirmed " in line for line in shown.splitlines()), shown


def test_enter_on_a_finding_shows_its_cut_cells_whole(case_copy: Path) -> None:
    """Seed 17171, Possible breaches: "decision / basis" was cut at 60 characters ("listed, not counted
    (awaiting an officer's decision). Basis…") and nothing showed it whole short of starting a
    decision. Enter (the row's records) now shows the row whole above them."""
    from atlas.tui.widgets import RecordsView

    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[str, str]:
        table = await _conduct_tab(app, pilot, "possible-breaches")
        await until(pilot, lambda: table.frame.height > 0)
        basis = str(table.frame.get_column("decision / basis")[0])
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RecordsView) and bool(text(app, "#about").strip()),
                    "the records view with the row whole above them")
        await settled(pilot)
        about = str(app.screen.query_one("#about").render())
        await pilot.press("escape")
        return basis, about

    basis, about = run(case_copy, script)
    assert len(basis) > 60, "the test needs a cell longer than the column"
    assert basis in " ".join(about.split()), about


@pytest.mark.parametrize("size", [(120, 40), (200, 50)])
def test_every_key_the_footer_needs_is_shown_and_works(rejected_ex_case: Path, size: tuple[int, int]) -> None:
    """Seed 60606 (covert) at 120x40: the footer was cut at "4 P", so 5 Conduct to 8 Triage and q Quit
    were never shown. Narrow, the screen keys are now one group; wide, each is named; both switch."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> list[tuple[str, str, str]]:
        out = []
        for key, mode in (("5", "conduct"), ("8", "triage"), ("4", "people")):
            await pilot.press(key)
            await until(pilot, lambda mode=mode: app.current_mode == mode)
            await settled(pilot, f"the {mode} screen drawn")
            out.append((mode, app.current_mode, _screen_text(app).splitlines()[-1]))
        return out

    for mode, now, footer in run(rejected_ex_case, script, size=size):
        assert now == mode
        assert "q Quit" in footer and "palette" in footer, footer
        if size[0] < 200:
            assert "12345678 screens" in footer, footer
        else:
            assert "8 Triage" in footer and "1 Overview" in footer, footer
        if mode == "conduct":
            assert all(k in footer for k in ("c Confirm…", "x Dismiss…", "o Re-open…")), footer


def test_a_records_detail_names_a_display_name_by_its_exhibit(rejected_ex_case: Path) -> None:
    """Seed 28282 (third-parties), Conduct, Enter on an incident: the record's detail read
    "from  name:6c95d5a62beb0c4d:Daniel Sample", the store's key. It now reads
    "Daniel Sample (name in JA/6)", as the tables do."""
    import re

    from atlas.tui.widgets import RecordsView

    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[str, str]:
        events = app.case.events().filter(pl.col("sender").str.starts_with("name:")).select("event_id").head(1).collect()
        event_id = str(events.item())
        app.push_screen(RecordsView("records", pl.DataFrame({"record": ["r"], "_event_id": [event_id]}), app.record_text))
        await until(pilot, lambda: isinstance(app.screen, RecordsView) and "from" in text(app, "#record-text"),
                    "the record's detail")
        await settled(pilot)
        return str(app.screen.query_one("#record-text").render()), _screen_text(app)

    detail, shown = run(rejected_ex_case, script)
    sender = next(line for line in detail.splitlines() if line.startswith("from"))
    assert "(name in JA/" in sender and not re.search(r"name:[0-9a-f]{16}", detail), sender
    assert not re.search(r"name:[0-9a-f]{16}", shown)


def test_writing_the_reports_asks_for_no_note_it_would_drop(rejected_ex_case: Path) -> None:
    """Seed 17171, Exhibits, w: the prompt asked for a note and a "Record decision", and the note typed
    there went nowhere (not the ledger, not the audit log, not the reports). It now asks only to
    write the reports."""
    from textual.widgets import Button, Input

    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[int, str, bool]:
        await show(app, pilot, "6")
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
        inputs = len(app.screen.query(Input))
        label = str(app.screen.query_one("#record", Button).label)
        focused = app.focused is app.screen.query_one("#record")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, DecisionPrompt))
        return inputs, label, focused

    inputs, label, focused = run(rejected_ex_case, script)
    assert inputs == 0 and label == "Write the reports" and focused


def test_the_headline_is_read_whole_on_a_laptop_screen(case_copy: Path) -> None:
    """At 120x40 the headline needs three lines with its words saying what each number counts, but its box was
    two lines high: on third-parties 28282 it ended "in time only if laid by the planned", the verdict cut."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[int, int, str]:
        widget: Any = app.screen.query_one("#headline")
        await settled(pilot, "the headline laid out")
        words = text(app, "#headline")
        from rich.console import Console
        from rich.text import Text

        needed = len(Text(words).wrap(Console(width=200), widget.content_region.width))
        return widget.content_region.height, needed, words

    for size in ((120, 40), (100, 30), (80, 24)):
        height, needed, words = run(case_copy, script, size=size)
        assert needed >= 2 and height >= needed, (size, height, needed, words)


def test_re_open_on_an_undecided_row_opens_no_prompt_and_records_nothing(case_copy: Path) -> None:
    """Seed 61616 (rejected-ex), People and Conduct: `o` on a proposed link or an open possible breach opened
    a prompt ("now: listed, not counted", impact 3 → 3) and Enter wrote a ledger row that undid nothing. Now no
    prompt opens, a message says there is nothing to re-open, and the ledger is as it was."""
    from atlas.decisions.ledger import read_decisions

    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[list[bool], list[str]]:
        said = kept_messages(app)

        def reopen_messages() -> int:
            return sum("nothing to re-open" in m for m in said)

        prompted = []
        await show(app, pilot, "4")
        await until(pilot, lambda: getattr(app.focused, "id", None) == "links")  # the People screen's links, loaded
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt) or reopen_messages() == 1,
                    "a prompt or the 'nothing to re-open' message (People)")
        prompted.append(isinstance(app.screen, DecisionPrompt))
        if isinstance(app.screen, DecisionPrompt):
            await pilot.press("enter")
        table = await _conduct_tab(app, pilot, "possible-breaches")
        await until(pilot, lambda: table.frame.height > 0)
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt) or reopen_messages() == 2,
                    "a prompt or the 'nothing to re-open' message (Conduct)")
        prompted.append(isinstance(app.screen, DecisionPrompt))
        if isinstance(app.screen, DecisionPrompt):
            await pilot.press("enter")
            await until(pilot, lambda: not isinstance(app.screen, DecisionPrompt))
        return prompted, said

    prompted, said = run(case_copy, script)
    assert prompted == [False, False]
    assert sum("nothing to re-open" in m for m in said) == 2, said
    assert read_decisions(AtlasApp(case_copy).case) == []


def test_the_decision_prompt_and_the_sources_fit_a_100_column_terminal(case_copy: Path) -> None:
    """Seed 61616 at 100x30: the decision prompt was 110 columns wide, so its right edge (border, the ends of
    the impact's lines) was off screen; and the Overview's sources table had no rows at all, squeezed out by
    the fixed heights of the case box, the s2A clock and the parties."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[int, int, int]:
        sources = app.screen.query_one("#sources", FrameTable)
        await settled(pilot, "the Overview laid out")
        shown_rows = sources.size.height
        await show(app, pilot, "4")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
        await settled(pilot, "the prompt's impact computed and the prompt laid out")
        box = app.screen.query_one("#prompt").region
        await pilot.press("escape")
        return shown_rows, box.x, box.right

    shown_rows, left, right = run(case_copy, script, size=(100, 30))
    assert shown_rows >= 4  # the header and at least three sources
    assert left >= 0 and right <= 100


@pytest.mark.parametrize("size", [(120, 40)])
def test_the_conduct_tabs_are_reached_by_keys_the_footer_shows(rejected_ex_case: Path, size: tuple[int, int]) -> None:
    """Seed 61616 at 120x40: Conduct's seven tabs (threats, breaches, co-locations...) were reached only by the
    mouse or by tabbing focus onto the tab strip (how many shift+tabs depended on what could take focus) and
    arrows; the footer showed no key for them. `]` and `[` now move to the next and previous tab, with the
    tab's table focused, and the footer shows them beside q Quit."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[list[str], str, str]:
        await show(app, pilot, "5")
        await until(pilot, lambda: "last incident" in text(app, "#clock"))
        seen = []
        for key in ("right_square_bracket", "right_square_bracket", "left_square_bracket", "left_square_bracket",
                    "left_square_bracket"):
            before = str(app.screen.query_one("#tabs").active)
            await pilot.press(key)
            await until(pilot, lambda before=before: str(app.screen.query_one("#tabs").active) != before,
                        f"{key} to move to another tab (from {before})")
            seen.append(str(app.screen.query_one("#tabs").active))
        focused = app.focused.id if app.focused is not None else ""
        return seen, str(focused), _screen_text(app).splitlines()[-1]

    seen, focused, footer = run(rejected_ex_case, script, size=size)
    assert seen == ["tab-candidates", "tab-breaches", "tab-candidates", "tab-incidents", "tab-warnings"]
    assert focused == "warnings"
    assert "[] tabs" in footer and "q Quit" in footer and "c Confirm…" in footer, footer


def test_an_empty_case_says_nothing_was_ingested_and_what_to_run(tmp_path: Path) -> None:
    """A case just made by `atlas init` opened on "0 source(s); 0 events" and empty tables on every screen,
    with no word of why. The Overview now says no source has been ingested and what to run."""
    from atlas.cli import main

    main(["init", str(tmp_path / "empty")])

    async def script(app: AtlasApp, pilot: Pilot[None]) -> str:
        await until(pilot, lambda: bool(text(app, "#sources-caption").strip()), "the sources' caption")
        return text(app, "#sources-caption")

    said = run(tmp_path / "empty", script, size=(120, 40))
    assert "No source has been ingested" in said and "atlas ingest" in said, said


def test_a_source_and_a_reject_are_read_whole(rejected_ex_case: Path) -> None:
    """Third-parties 83838, Sources: a reject's reason ("WhatsApp's placeholder row (key_id '-1'), written
    when…") and a source's sha256 (64 digits) were cut at 60 and 50 characters, with no way to read them.
    Enter now shows the row under the cursor whole."""
    from atlas.tui.widgets import RowView

    async def script(app: AtlasApp, pilot: Pilot[None]) -> list[tuple[dict[str, Any], str]]:
        await show(app, pilot, "7")
        out = []
        for name in ("sources", "rejects"):
            table = app.screen.query_one(f"#{name}", FrameTable)
            table.focus()
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, RowView))
            out.append((table.current() or {}, text(app, "#row-text")))
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, RowView))
        return out

    (source, shown_source), (reject, shown_reject) = run(rejected_ex_case, script)
    assert len(source["sha256"]) == 64 and source["sha256"] in shown_source
    assert len(reject["reason"]) > 60 and reject["reason"] in shown_reject, (reject, shown_reject)
