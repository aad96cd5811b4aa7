"""The workbench's known defects left by session 16 (session 17): the decision prompt's note below the fold at 80x24,
Conduct at 80 columns, a cancelled table refresh, and the headline-height fix's reliance on a private Textual count.
Each test failed before its fix (the Textual-count ones guard an upgrade)."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pilot_wait import settled, until
from test_tui import conduct_tab, show, text
from test_tui_review import _screen_text, case_copy, run
from textual.pilot import Pilot

from atlas.tui.app import AtlasApp
from atlas.tui.widgets import DecisionPrompt, FrameTable

__all__ = ["case_copy"]


def test_a_wait_that_times_out_says_what_it_waited_for(rejected_ex_case: Path) -> None:
    """The shared wait fails on the clock, naming the condition and what the app showed (the old helper said only
    "condition not reached in time", and counted polls, not seconds: under load it waited far longer)."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> str:
        t = time.monotonic()
        with pytest.raises(AssertionError) as caught:
            await until(pilot, lambda: False, "the moon to rise", timeout=0.5)
        assert time.monotonic() - t < 5
        with pytest.raises(AssertionError) as unnamed:
            await until(pilot, lambda: app.screen.query_one("#no-such-widget") is None, timeout=0.3)
        return f"{caught.value}|{unnamed.value}"

    named, unnamed = run(rejected_ex_case, script, size=(80, 24)).split("|")
    assert "the moon to rise" in named and "OverviewScreen" in named and "focused" in named, named
    assert "#no-such-widget" in unnamed and "NoMatches" in unnamed, unnamed  # the lambda's source and its last error


def test_the_decision_prompts_note_is_in_view_and_focused_at_80x24(case_copy: Path) -> None:
    """Seed 61717 at 80x24, People, c on a link: the subject and the impact filled the prompt, and the note (focused,
    required) and the buttons were below the fold, so an officer typed into a box they could not see. The note and
    the buttons now stay under the scrolling text; PgUp / PgDn scroll it."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[str, str, bool, Any, Any, str]:
        await show(app, pilot, "4")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt) and "→" in text(app, "#impact"),
                    "the prompt with its impact computed")
        await settled(pilot, "the prompt laid out")
        prompt = app.screen
        note = prompt.query_one("#note")
        box, note_region = prompt.query_one("#prompt").region, note.region
        before = _screen_text(app)
        focused = app.focused is note
        body = (prompt.query("#prompt-body") or prompt.query("#prompt")).first()  # (before: the whole prompt scrolled)
        for _ in range(5):  # to the end of the text
            before_y = body.scroll_y
            await pilot.press("pagedown")
            await until(pilot, lambda before_y=before_y: body.scroll_y > before_y or body.scroll_y == body.max_scroll_y,
                        "PgDn to scroll the prompt's text")
        assert body.scroll_y == body.max_scroll_y > 0
        await settled(pilot)
        after = _screen_text(app)
        await pilot.press("escape")
        return before, after, focused, note_region, box, str(note.placeholder)

    before, after, focused, note, box, placeholder = run(case_copy, script, size=(80, 24))
    assert focused
    assert box.contains_region(note) and note.bottom <= 24, (note, box)
    assert placeholder[:20] in before and "Record decision" in before, before
    assert "s2A: last day to lay" in after and placeholder[:20] in after, after  # the impact read, the note kept


def test_conduct_at_80_columns_shows_the_flags_and_the_active_tab_whole(rejected_ex_case: Path) -> None:
    """Seed 61717 at 80x24, Conduct: the incidents' flags (THREAT?, BREACH, night, presence) were the fifth column,
    off the right edge ("f"), and the Warnings tab, active, read "W": the strip was scrolled by the labels' widths
    before their counts were added. The flags now come before the channels, and the active tab is scrolled whole into
    view."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[str, str, str]:
        await conduct_tab(app, pilot, "incidents")
        await settled(pilot)
        incidents = _screen_text(app)
        label = str(app.screen.query_one("#tabs").get_tab("tab-warnings").label)  # type: ignore[attr-defined]
        await pilot.press("left_square_bracket")  # around the end: the last tab, Warnings
        await until(pilot, lambda: app.screen.query_one("#tabs").active == "tab-warnings")  # type: ignore[attr-defined]
        await settled(pilot)
        return incidents, _screen_text(app), label

    incidents, warnings, label = run(rejected_ex_case, script, size=(80, 24))
    header = next(line for line in incidents.splitlines() if line.lstrip().startswith("date"))
    assert "flags" in header and header.index("flags") + len("THREAT? (awaiting a decision)") < 80, header
    # the label as the strip fits it at 80 columns (atlas.tui.tabs: "Warn. 5"; "Warnings (5)" where it fits)
    assert label.startswith("Warn") and any(ch.isdigit() for ch in label) and label in warnings, (label, warnings)


def test_a_refresh_of_conducts_tables_after_a_cancelled_one_mounts_every_table(rejected_ex_case: Path) -> None:
    """Under load (two pytest workers and three busy processes): a decision's refresh of Conduct's tables cancelled
    the one still mounting, between removing the Breaches table and mounting its new one; the next refresh's query for
    it raised NoMatches and the workbench stopped. A refresh now takes each tab as it finds it."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[int, list[str]]:
        await conduct_tab(app, pilot, "incidents")
        screen: Any = app.screen
        frames = dict(screen.frames)
        await screen.query_one("#breaches", FrameTable).remove()  # as a show cancelled at that await leaves it
        screen.run_worker(screen._show(frames, "clock", "", "title"), group="show", exclusive=True)
        await until(pilot, lambda: bool(screen.query("#breaches")), "the Breaches table mounted again")
        await settled(pilot)
        return screen.query_one("#breaches", FrameTable).frame.height, [str(n.message) for n in app._notifications]

    rows, said = run(rejected_ex_case, script, size=(120, 40))
    assert rows > 0 and not [m for m in said if "NoMatches" in m], said


def test_textual_still_keys_the_box_model_on_the_layout_count() -> None:
    """The headline-height fix (atlas.tui.base.HeadlineText.update) moves Textual's private ``_layout_updates``, which
    Textual 8.2.8 puts in a widget's box-model cache key. If a Textual upgrade renames it or stops keying the cache
    on it, this fails saying so (the headline would then be cut to one line again, as in session 15)."""
    import inspect

    from textual.widget import Widget

    from atlas.tui.base import LAYOUT_COUNT

    assert isinstance(getattr(Widget(), LAYOUT_COUNT, None), int), (
        f"Textual's Widget has no int {LAYOUT_COUNT}: HeadlineText.update's fix falls back to a relayout (racy)")
    assert f"self.{LAYOUT_COUNT}" in inspect.getsource(Widget._get_box_model), (
        f"Textual's box-model cache key no longer holds {LAYOUT_COUNT}: HeadlineText.update no longer moves it")


def test_without_the_layout_count_the_headline_still_updates(rejected_ex_case: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A Textual without the private count degrades to a relayout, never a crash: the headline takes its text."""
    import atlas.tui.base as base

    assert base.new_box_model_key(SimpleNamespace()) is False  # nothing to move: says so, raises nothing
    monkeypatch.setattr(base, "LAYOUT_COUNT", "_no_such_count_in_this_textual")

    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[str, bool]:
        screen: Any = app.screen
        screen._show_headline(app.review.headline())
        await settled(pilot)
        return text(app, "#headline"), app.is_running

    words, running = run(rejected_ex_case, script, size=(120, 40))
    assert running and "incidents (occasions)" in words, words
