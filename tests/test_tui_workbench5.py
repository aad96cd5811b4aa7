"""The workbench at small terminals (session 18): the Timeline's channels in people's words at 80 columns, the
header's officer whole at 80, Conduct's seven tabs all in sight below 120 columns, and the decision prompt's
"What this changes" reachable at 80x24. Each test failed before its fix."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from pilot_wait import settled, until
from test_tui import show, text
from test_tui_review import _screen_text, case_copy, run
from textual.pilot import Pilot

from atlas.tui.app import AtlasApp
from atlas.tui.tabs import TAB_NAMES, tab_strip
from atlas.tui.widgets import FrameTable
from atlas.wording import channel_name

__all__ = ["case_copy"]


def test_the_timeline_names_channels_for_people_and_keeps_from_in_view_at_80_columns(rejected_ex_case: Path) -> None:
    """At 80x24 the Timeline's channel column read the store's keys (``voice``, ``mms/sms``). It now reads
    ``Phone call``, ``SMS``; a contact whose records differ ("MMS or SMS (the records differ)", 31 characters) is cut
    in the table at views.CHANNEL_WIDTH, so "from" stays on an 80-column screen, and the detail pane says it whole."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[str, pl.DataFrame, str]:
        await show(app, pilot, "2")
        table = app.screen.query_one("#events", FrameTable)
        await until(pilot, lambda: table.shown_count > 0, "the timeline's rows")
        await settled(pilot)
        screen = _screen_text(app)
        mixed = table.frame.with_row_index("_n").filter(pl.col("_channels").list.len() > 1)
        detail = ""
        if mixed.height:  # the detail pane of a contact whose records name different channels
            table.put_cursor(int(mixed.get_column("_n")[0]))
            await until(pilot, lambda: "records differ" in text(app, "#detail-text"), "the mixed contact's detail")
            detail = text(app, "#detail-text")
        return screen, table.frame, detail

    screen, frame, detail = run(rejected_ex_case, script, size=(80, 24))
    keys = frame.get_column("_channels").list.join("/").to_list()
    assert frame.get_column("channel").to_list() == [channel_name(k) for k in keys]
    assert "Phone call" in screen and " voice " not in screen and "mms/sms" not in screen, screen
    header = next(line for line in screen.splitlines() if line.lstrip().startswith("when (UK)"))
    assert "channel" in header and "from" in header, header
    assert detail, "the test case has no contact whose records name different channels"
    assert "MMS or SMS (the records differ)" in " ".join(detail.split()), detail


def test_a_capped_column_is_cut_only_where_a_cell_is_wider(rejected_ex_case: Path) -> None:
    """FrameTable's per-column cap fixes a column's width only where a cell (or the header) is wider than the cap;
    a column within it keeps the width the table measures."""
    wide = pl.DataFrame({"channel": ["SMS", "MMS or SMS (the records differ)"], "from": ["a", "b"]})
    narrow = pl.DataFrame({"channel": ["SMS", "Phone call"], "from": ["a", "b"]})
    assert FrameTable(wide, widths={"channel": 14})._column_caps(wide) == [14, None]
    assert FrameTable(narrow, widths={"channel": 14})._column_caps(narrow) == [None, None]
    assert FrameTable(narrow)._column_caps(narrow) is None


def test_the_header_names_the_officer_deciding_whole_at_80_columns(rejected_ex_case: Path) -> None:
    """At 80 columns the header read "Atlas: OP-ATLAS-REJECTED-EX-71033  ·  deciding: DC 0000 Jo An…": the officer in
    whose name every decision is recorded was cut. It now gives way elsewhere (the case reference, cut, is whole on
    the Overview), and fits again after a resize."""
    officer = "DS 123456 Alexandra Worthington-Smythe"

    async def drive() -> tuple[str, str, str]:
        app = AtlasApp(rejected_ex_case, as_of=date(2026, 11, 22), officer=officer)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: "incidents" in text(app, "#headline"))
            await show(app, pilot, "5")
            await settled(pilot)
            narrow = _screen_text(app).splitlines()[0]
            await pilot.resize_terminal(160, 40)
            await until(pilot, lambda: " — " in _screen_text(app).splitlines()[0], "the header fitted to 160 columns")
            wide = _screen_text(app).splitlines()[0]
            await pilot.resize_terminal(80, 24)
            await until(pilot, lambda: _screen_text(app).splitlines()[0] == narrow, "the header fitted to 80 again")
            return narrow, wide, app.case.manifest.reference

    narrow, wide, reference = asyncio.run(drive())
    assert f"… · deciding: {officer}" in narrow and reference[:8] in narrow, narrow
    assert f"Atlas: {reference}  ·  deciding: {officer} — " in wide, wide


def test_the_header_gives_way_before_the_officer() -> None:
    """The order the header gives way in: the sub-title, then "Atlas: ", then the case reference; the officer never."""
    from atlas.tui.header import HEADER_SIDES, header_words

    ref, officer = "OP-ATLAS-REJECTED-EX-71033", "DC 0000 Jo Analyst"
    wide = header_words(ref, officer, "Case overview", 200)
    assert (wide.title, wide.sub_title) == (f"Atlas: {ref}  ·  deciding: {officer}", "Case overview")
    at_80 = header_words(ref, officer, "Case overview · s2A: IN TIME", 80)
    assert (at_80.title, at_80.sub_title) == (f"{ref} · deciding: {officer}", "")
    long_officer = "DC 123456 Alexandra Worthington-Smythe"
    cut = header_words(ref, long_officer, "Timeline", 80)
    assert cut.title.endswith(f"… · deciding: {long_officer}") and len(cut.title) <= 80 - HEADER_SIDES, cut
    assert cut.title.startswith("OP-ATLAS-"), cut
    tiny = header_words(ref, long_officer, "", 50)
    assert tiny.title == f"deciding: {long_officer}"
    for width in range(40, 200):  # whatever the width, the officer is whole and the title fits where it can
        words = header_words(ref, officer, "Conduct", width)
        assert f"deciding: {officer}" in words.title
        assert len(words.title) <= max(width - HEADER_SIDES, len(f"deciding: {officer}")), (width, words)


def test_conducts_seven_tabs_are_all_in_sight_at_80_and_100_columns(rejected_ex_case: Path) -> None:
    """At 80 columns Conduct's tab strip showed four of its seven tabs and at 100 six (the full labels need 121):
    the officer saw neither what else there was nor, after ``]``, where they were. Every tab is now in sight, with
    its count, at both widths, whichever is active, and the strip fits again after a resize."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> dict[str, list[tuple[str, str, dict[str, str]]]]:
        await show(app, pilot, "5")
        await until(pilot, lambda: "last incident" in text(app, "#clock"), "the Conduct screen's s2A clock")
        await settled(pilot, "the Conduct screen's tables to be mounted")
        tabs: Any = app.screen.query_one("#tabs")
        seen: dict[str, list[tuple[str, str, dict[str, str]]]] = {}
        for i, (width, height) in enumerate(((80, 24), (100, 30), (160, 45), (80, 24))):
            await pilot.resize_terminal(width, height)
            await until(pilot, lambda w=width: app.screen.size.width == w, f"the screen at {width} columns")
            rounds = []
            for _ in range(7 if i < 3 else 1):  # back at 80 columns: the strip refitted (one look is enough)
                await settled(pilot)
                labels = {key: str(tabs.get_tab(f"tab-{key}").label) for key in TAB_NAMES}
                strip = next(line for line in _screen_text(app).splitlines() if labels["incidents"] in line)
                rounds.append((str(tabs.active), strip, labels))
                active = tabs.active
                await pilot.press("right_square_bracket")
                await until(pilot, lambda a=active: tabs.active != a, "the next tab")
            seen[f"{i}: {width}x{height}"] = rounds
        return seen

    seen = run(rejected_ex_case, script, size=(160, 45))
    for size, rounds in seen.items():
        if len(rounds) == 7:
            assert sorted(active for active, _, _ in rounds) == sorted(f"tab-{k}" for k in TAB_NAMES), size
        for active, strip, labels in rounds:
            assert all(label in strip for label in labels.values()), (size, active, strip)
            assert all(any(ch.isdigit() for ch in label) for label in labels.values()), labels
    assert "Threats & behaviours (" in seen["2: 160x45"][0][1]
    assert seen["3: 80x24"][0][2] == seen["0: 80x24"][0][2]  # the same tight labels after 160 columns


def test_the_tab_labels_shorten_in_steps_and_say_the_place_when_nothing_fits() -> None:
    """Full labels where they fit, then short, then tight; wider still (counts in the thousands at 80 columns) the
    strip scrolls and the active tab says its place."""
    counts = {"incidents": 38, "candidates": 27, "breaches": 5, "possible-breaches": 1, "colocations": 7, "gaps": 1,
              "warnings": 5}
    full = tab_strip(counts, 160)
    assert (full.labels["candidates"], full.tight, full.fits) == ("Threats & behaviours (27)", False, True)
    short = tab_strip(counts, 100)
    assert (short.labels["candidates"], short.labels["possible-breaches"], short.tight) == (
        "Threats 27", "Possible breaches 1", False)
    tight = tab_strip(counts, 80)
    assert (tight.labels["possible-breaches"], tight.tight, tight.fits) == ("Poss. breaches 1", True, True)
    assert sum(len(label) + 1 for label in tight.labels.values()) <= 80
    many = tab_strip({k: 12_345 for k in counts}, 80, active="breaches")
    assert not many.fits and many.labels["breaches"] == "3/7 Breaches 12,345", many
    assert tab_strip(None, 80).labels["incidents"] == "Incidents"  # not yet counted: names alone


def test_what_a_decision_changes_is_in_view_or_said_to_be_below_at_80x24(case_copy: Path) -> None:
    """At 80x24, c on a threat candidate: the subject filled the prompt's body (9 rows) and "What this changes" was
    below the fold with nothing saying so. The prompt is now compact on a short terminal (its first lines show), and
    a line over the note says what is out of sight and the key (PgDn / PgUp); the note and the buttons stay in view,
    also with the "note required" error shown."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[str, str, str, str, bool]:
        from test_tui import conduct_tab

        from atlas.tui.widgets import DecisionPrompt

        await conduct_tab(app, pilot, "candidates")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt) and "→" in text(app, "#impact"),
                    "the prompt with its impact computed")
        await until(pilot, lambda: "PgDn" in text(app, "#more"), "the line saying what is below")
        await settled(pilot, "the prompt laid out")
        before, more = _screen_text(app), text(app, "#more")
        body: Any = app.screen.query_one("#prompt-body")
        for _ in range(5):
            await pilot.press("pagedown")
            await until(pilot, lambda: not body.is_scrolling, "the page scrolled")
        await until(pilot, lambda: "PgUp" in text(app, "#more") and "PgDn" not in text(app, "#more"), "the end")
        await settled(pilot)
        after = _screen_text(app)
        await pilot.press("enter")  # no note: the error takes a line, the buttons stay
        await until(pilot, lambda: "required" in text(app, "#error"), "the note-required error")
        await settled(pilot)
        errored = _screen_text(app)
        record = app.screen.query_one("#record")
        in_view = record.region.bottom <= 24 and app.screen.query_one("#note").region.bottom <= 24
        await pilot.press("escape")
        return before, more, after, errored, in_view

    before, more, after, errored, in_view = run(case_copy, script, size=(80, 24))
    assert "What this changes (before → after)" in before and "Record decision" in before, before
    assert "note: why (required)" in before and "PgDn" in more, (more, before)
    assert "s2A: last day to lay" in after and "PgUp: more above" in after and "Record decision" in after, after
    assert "A note is required" in errored and "Record decision" in errored and in_view, errored
