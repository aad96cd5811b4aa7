"""The workbench as a reviewer uses it (session 15's second fresh-eyes check): each decision prompt says
what the decision changes, records name their parties, the footer keeps q Quit, notes are counted 1, 2, 3.
Each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pilot_wait import settled, until
from test_tui import text
from test_tui_review import _conduct_tab, case_copy, run
from textual.pilot import Pilot

from atlas.tui.app import AtlasApp
from atlas.tui.widgets import DecisionPrompt

__all__ = ["case_copy"]


def _impact_line(impact: str, label: str) -> str:
    return next(line for line in impact.splitlines() if line.startswith(label))


def test_confirming_a_threat_or_a_possible_breach_shows_what_it_changes(case_copy: Path) -> None:
    """Seed 17171: confirming a co-location or a link showed 'What this changes (before → after)'; confirming a threat
    candidate or a possible breach showed no impact at all, though each changes a count (threat occasions, breaches)."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[str, str]:
        shown = []
        for tab in ("candidates", "possible-breaches"):
            table = await _conduct_tab(app, pilot, tab)
            await until(pilot, lambda table=table: table.frame.height > 0)
            if tab == "candidates":
                row = table.frame.with_row_index().filter(
                    (pl.col("kind") == "threat") & (pl.col("tier") == "occasion")).row(0, named=True)
                table.move_cursor(row=row["index"])
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
            await until(pilot, lambda: "→" in text(app, "#impact"), timeout=60)
            shown.append(text(app, "#impact"))
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, DecisionPrompt))
        return shown[0], shown[1]

    threat, breach = run(case_copy, script)
    line = _impact_line(threat.split("\n", 1)[1], "threat occasions")
    assert "0 confirmed by an officer" in line and "→  1 confirmed by an officer" in line and line.endswith("*"), threat
    line = _impact_line(breach.split("\n", 1)[1], "breaches of orders")
    before, after = (int(x.replace("*", "").split()[-1]) for x in line.split("→"))
    assert after == before + 1 and line.endswith("*"), breach


def test_a_records_detail_reads_the_time_to_the_second_and_names_the_party(rejected_ex_case: Path) -> None:
    """Seed 62626 (seen; tested on the fixture case), Enter on a record: the detail read "time 12/01/2026 14:07 GMT" where the table read 14:07:50, and
    "from tel:+447700900002" where the Timeline read "Daniel Sample (suspect)". It now reads the seconds and names
    the party, the identifier beside it."""
    from atlas.tui.frames import timeline_view

    app = AtlasApp(rejected_ex_case)
    suspect = next(p for p in app.case.manifest.parties if p.role == "suspect")
    tel = next(i for i in suspect.identifiers if i.startswith("tel:"))
    shown = timeline_view(app.case.events().filter(pl.col("sender") == tel), app.case.sources(),
                          app.review.source_refs()).row(0, named=True)
    detail = app.record_text(str(shown["_event_id"]))
    lines = {line[:12].strip(): line[12:] for line in detail.splitlines()}
    assert lines["time"].startswith(str(shown["when (UK)"])), (lines["time"], shown["when (UK)"])
    assert lines["from"] == f"{suspect.name} ({suspect.id})  {tel}", lines["from"]


def test_the_overview_names_each_sources_owner(rejected_ex_case: Path) -> None:
    """Seed 62626 at 120x40: the Overview's owner column read "tel:+447700900002" where every other screen names
    Daniel Sample. It now names the party, with the identifier in a column of its own (which handset or account);
    an identifier no party uses is shown as it is."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> pl.DataFrame:
        from atlas.tui.widgets import FrameTable

        return app.screen.query_one("#sources", FrameTable).frame

    frame = run(rejected_ex_case, script)
    app = AtlasApp(rejected_ex_case)
    suspect = next(p for p in app.case.manifest.parties if p.role == "suspect")
    owned = frame.filter(pl.col("owner's identifier").is_in(list(suspect.identifiers)))
    assert owned.height > 0, "the case has a source of the suspect's (the test needs one)"
    assert set(owned.get_column("owner").to_list()) == {suspect.name}, owned
    unknown = frame.filter(~pl.col("owner's identifier").is_in(list(app.review.identity_map())))
    assert (unknown.get_column("owner") == unknown.get_column("owner's identifier")).all(), unknown


def test_q_quit_stays_in_the_footer_at_100_columns(rejected_ex_case: Path) -> None:
    """Seed 62626 at 100x30: Conduct's footer keys needed about 103 columns and "q Quit" was cut ("12345678 screen▏").
    Below 120 columns the footer is compact and Conduct's t reads "Tag…" (not "Tag finding…"): q Quit is shown on
    every screen, and t still tags."""
    from test_tui_review import _screen_text

    from atlas.tui.app import SCREENS_BY_KEY

    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[list[tuple[str, str]], str]:
        footers = []
        for key in ("5", "6", "4", "2", "3", "7", "8", "1", "5"):
            await pilot.press(key)
            await until(pilot, lambda key=key: app.current_mode == SCREENS_BY_KEY[key][0], f"screen {key} shown")
            await settled(pilot, f"screen {key} drawn")
            footers.append((key, _screen_text(app).splitlines()[-1]))
        await until(pilot, lambda: "last incident" in text(app, "#clock"))
        app.screen.query_one("#incidents").focus()
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
        title = str(app.screen.query_one("#title").render()) if app.screen.query("#title") else _screen_text(app)
        await pilot.press("escape")
        return footers, title

    footers, title = run(rejected_ex_case, script, size=(100, 30))
    for key, footer in footers:
        assert "q Quit" in footer and "12345678 screens" in footer, (key, footer)
    conduct = footers[0][1]
    assert all(k in conduct for k in ("c Confirm…", "x Dismiss…", "o Re-open…", "t Tag…", "[] tabs")), conduct
    assert "Tag this finding as an exhibit" in title, title


def test_notes_are_counted_from_one_and_read_whole_at_120_columns(case_copy: Path) -> None:
    """Seed 62626 at 120x40, Exhibits: the first note was numbered "4" (its sequence in the decisions ledger) and the
    notes table's "by" column was cut at the right edge (after a 60-column note). Notes are now numbered 1, 2, 3 (the
    ledger sequence kept as data), and who wrote each and when (UK) come before the note's text."""
    from test_tui_review import _screen_text

    from atlas.decisions.candidates import candidates_from, decide_candidate
    from atlas.decisions.notes import add_note
    from atlas.tui.widgets import FrameTable

    case = AtlasApp(case_copy)
    first = candidates_from(case.review.conduct(), case.case)[0]
    decide_candidate(case.case, first, "dismissed", note="a quotation, not a threat")  # the ledger's first rows
    for text_ in ("Spoke to the victim about the messages of January; she recognised the number as his work phone",
                  "Second note"):
        add_note(case.case, "case", text_)

    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[pl.DataFrame, str]:
        await pilot.press("6")
        await until(pilot, lambda: app.current_mode == "exhibits")
        await until(pilot, lambda: bool(app.screen.query("#notes")) and
                    app.screen.query_one("#notes", FrameTable).frame.height > 0)
        await settled(pilot, "the Exhibits screen drawn")
        return app.screen.query_one("#notes", FrameTable).frame, _screen_text(app)

    frame, shown = run(case_copy, script, size=(120, 40))
    assert frame.get_column("#").to_list() == [1, 2], frame
    assert frame.get_column("_ledger_seq").to_list()[0] > 1, frame  # the ledger's number, kept
    officer = AtlasApp(case_copy).case.officer().label
    row = next(line for line in shown.splitlines() if "Spoke to the victim" in line)
    assert officer in row and (" GMT" in row or " BST" in row), row  # who and when (UK) in sight beside the note
    assert row.split()[0] == "1", row
