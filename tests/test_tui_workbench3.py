"""The workbench's known defects left by session 15 (session 16): every screen's keys at 80x24, search as the
user types, Triage's headline, People's link detail at 100x30, the identity map while the analysis runs, the
headline-height race and decision handles named by their records. Each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_wait import kept_messages, settled, until
from test_tui import text
from test_tui_review import case_copy, run
from textual.pilot import Pilot

from atlas.tui.app import SCREENS_BY_KEY, AtlasApp

SCREENS = [name for name, _, _ in SCREENS_BY_KEY.values()]

__all__ = ["case_copy"]


def test_the_headline_takes_its_texts_height_even_when_a_layout_was_pending(rejected_ex_case: Path) -> None:
    """The session-15 race, made to happen every time: the screen's first layout caches the headline's box model
    ("computing…", one line) while the headline's own layout request (its virtual size) is still pending; text that
    arrived then did not change the box model's cache key, so the headline stayed one line high (the Timeline's,
    whose headline is computed before the screen is shown). It now takes the height of its text."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[int, int]:
        screen = app.screen
        h = screen.query_one("#headline")
        head = app.review.headline()
        h.update("computing the course of conduct…")
        await until(pilot, lambda: h.size.height == 1)
        h.refresh(layout=True)  # a layout pending for the headline, as the virtual size's reactive leaves it
        screen._clear_arrangement_cache()  # the screen's first layout when it is shown: nothing arranged yet
        screen._refresh_layout()  # ... so the one-line box model is cached, the headline's request still pending
        screen._show_headline(head)  # type: ignore[attr-defined]
        await settled(pilot, "the headline laid out again with its text")
        lines = h.render().wrap(h.content_size.width)  # the text as wrapped at this width
        return h.size.height, len(lines)

    height, lines = run(rejected_ex_case, script, size=(80, 24))
    assert lines >= 3 and height == lines, (height, lines)


def test_every_screens_keys_fit_an_80_column_terminal(rejected_ex_case: Path) -> None:
    """Seed 781 (third-parties) at 80x24: Conduct's compact footer needed 95 columns and cut "q Quit" (and the
    palette key); its clock took eleven of 24 rows and left the incidents table one row. Below 100 columns the
    labels are short and the screen keys read "1-8 screens": every screen's footer ends with the palette key,
    q Quit shown, and Conduct's table shows rows."""
    from test_tui_review import _screen_text

    from atlas.tui.widgets import FrameTable

    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[list[tuple[str, str, str]], int, str]:
        footers = []
        for key in "12345678":
            await pilot.press(key)
            await until(pilot, lambda key=key: app.current_mode == list(SCREENS)[int(key) - 1])
            await settled(pilot, f"screen {key} drawn")
            footers.append((key, app.current_mode, _screen_text(app).splitlines()[-1]))
        await pilot.press("5")
        await until(pilot, lambda: "last incident" in text(app, "#clock"))
        await settled(pilot, "the Conduct screen's tables mounted")
        table = app.screen.query_one("#incidents", FrameTable)  # the analysis's table (the first was its placeholder)
        await until(pilot, lambda: table.frame.height > 10 and table.size.height > 0)
        await settled(pilot)
        return footers, table.size.height - 1, _screen_text(app)

    footers, rows, conduct = run(rejected_ex_case, script, size=(80, 24))
    for key, mode, footer in footers:
        assert mode == list(SCREENS)[int(key) - 1], (key, mode)
        assert "q Quit" in footer and "1-8 screens" in footer and footer.rstrip().endswith("^p menu"), (key, footer)
    conduct_footer = footers[4][2]
    assert all(k in conduct_footer for k in ("⏎ Open", "c Confirm", "x Dismiss", "o Re-open", "t Tag", "[] tabs")), \
        conduct_footer
    assert rows >= 5, conduct


def test_triage_has_the_headline_every_other_screen_has(rejected_ex_case: Path) -> None:
    """Seed 781: the Triage screen (8) had no headline; the other seven show the counts, the last incident and the
    s2A deadline on top. It now shows the same headline, the same words, above its clock."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[str, str, list[str]]:
        overview = text(app, "#headline")
        await pilot.press("8")
        await until(pilot, lambda: app.current_mode == "triage" and "incidents" in text(app, "#headline"))
        await until(pilot, lambda: "time limit" in text(app, "#triage-head"))
        from test_tui_review import _screen_text

        return overview, text(app, "#headline"), _screen_text(app).splitlines()

    overview, triage, lines = run(rejected_ex_case, script, size=(120, 40))
    assert triage == overview and "s2A last day to lay" in triage, triage
    assert lines[1].lstrip().startswith("incidents (occasions)"), lines[:3]


def test_peoples_link_detail_shows_its_source_records_at_100x30(rejected_ex_case: Path) -> None:
    """Seed 781 at 100x30, People: the link detail's box (five lines) was filled by the link's id, its basis and a
    long reason, and its last line, "source records: …", was cut. The records now come second, under the link's two
    sides (its handle after them, for ``atlas confirm``), and the box grows to its text up to eight lines."""
    from test_tui_review import _screen_text

    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[str, str]:
        await pilot.press("4")
        await until(pilot, lambda: app.current_mode == "people" and "source records" in text(app, "#link-detail-text"))
        await settled(pilot, "People drawn")
        return text(app, "#link-detail-text"), _screen_text(app)

    detail, screen = run(rejected_ex_case, script, size=(100, 30))
    shown = next(line for line in screen.splitlines() if "source records:" in line)  # StopIteration: cut
    assert "JA/" in shown, shown
    first = detail.splitlines()[0]
    assert "↔" in first and not first.startswith("L"), first


def test_the_timeline_filters_as_the_officer_types(rejected_ex_case: Path) -> None:
    """Seed 781: the Timeline's search applied only on Enter, so typing a name showed every contact until then. It now
    filters once the keys pause (no Enter), the cursor stays in the search box, and Escape shows every row again."""
    from atlas.tui.widgets import FrameTable

    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[int, int, int, bool]:
        await pilot.press("2")
        await until(pilot, lambda: app.current_mode == "timeline" and bool(app.screen.query("#events")))
        table = app.screen.query_one("#events", FrameTable)
        everything = table.shown_count
        await pilot.press("slash", *"daniel")
        await until(pilot, lambda: 0 < table.shown_count < everything)
        typed = table.shown_count
        focused = app.focused is not None and app.focused.id == "search"
        await pilot.press("backspace", *"xq")  # "danixq": nothing matches
        await until(pilot, lambda: table.shown_count == 0)
        await pilot.press("escape")
        await until(pilot, lambda: table.shown_count == everything)
        return everything, typed, table.shown_count, focused

    everything, typed, after_escape, focused = run(rejected_ex_case, script)
    assert 0 < typed < everything and after_escape == everything and focused


def test_a_records_detail_does_not_wait_for_the_analysis(rejected_ex_case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Session 15's note: the identity map (a record's detail names its parties with it) was built under the lock the
    conduct analysis holds, so straight after a decision, while the analysis ran again in a worker, Enter on a row
    froze the workbench until the analysis ended. Here the analysis is held for 15 s: the detail is
    shown in under 6 (about 2 s at load 10; it took the whole 15 before)."""
    import threading
    import time

    import atlas.conduct
    from atlas.tui.widgets import RecordsView

    real = atlas.conduct.analyse
    started, gate = threading.Event(), threading.Event()

    def slow(*args: object, **kw: object) -> object:
        started.set()
        gate.wait(15)
        return real(*args, **kw)  # type: ignore[arg-type]

    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[float, str]:
        await pilot.press("2")
        await until(pilot, lambda: app.current_mode == "timeline" and bool(app.screen.query("#events")))
        monkeypatch.setattr(atlas.conduct, "analyse", slow)
        app.review._cache.clear()  # as a decision leaves it: every view to build again
        threading.Thread(target=app.review.conduct, daemon=True).start()  # the analysis a decision sets off
        assert started.wait(10)
        t = time.perf_counter()
        app.screen.query_one("#events").focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RecordsView) and "from" in text(app, "#record-text"))
        took = time.perf_counter() - t
        gate.set()
        return took, text(app, "#record-text")

    took, detail = run(rejected_ex_case, script)
    assert took < 6, (took, detail)
    assert "record      JA/" in detail, detail


def test_a_decision_names_its_item_by_its_record_and_time_not_its_handle(case_copy: Path) -> None:
    """Seed 781, Conduct: the prompt read "Confirm candidate T1edf1d4d", its subject began with the handle, the
    table's first column was the handle, and the message after recording read "T1edf1d4d: confirmed"; People read
    "Confirm link L0f2d79e8aa". Each is now named by what it is (its record and UK time; a link by its two sides);
    the handle, which ``atlas threats`` / ``atlas confirm`` take, is shown after the name, never alone."""
    import re

    import polars as pl

    from atlas.tui.widgets import DecisionPrompt, FrameTable

    handle = re.compile(r"\b[TBPCL][0-9a-f]{8,}\b")

    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[dict[str, object], str, str, list[str], str]:
        from test_tui_review import _conduct_tab

        said = kept_messages(app)
        table = await _conduct_tab(app, pilot, "candidates")
        await until(pilot, lambda: table.frame.height > 0)
        row = table.frame.with_row_index().filter(pl.col("kind") == "threat").row(0, named=True)
        table.move_cursor(row=row["index"])
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
        prompt = app.screen
        assert isinstance(prompt, DecisionPrompt)
        title, subject = prompt.title_text, prompt.subject
        await pilot.press(*"read in context", "enter")
        await until(pilot, lambda: "1 confirmed" in text(app, "#headline"))
        await pilot.press("4")
        await until(pilot, lambda: app.current_mode == "people" and bool(app.screen.query("#links")))
        links = app.screen.query_one("#links", FrameTable)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
        link_title = app.screen.title_text  # type: ignore[attr-defined]
        await pilot.press("escape")
        return row, title, subject, said, f"{link_title}|{links.frame.columns[0]}"

    row, title, subject, said, people = run(case_copy, script)
    assert not handle.search(title) and str(row["record"]) in title and str(row["when (UK)"]) in title, title
    assert not handle.match(subject) and str(row["command handle"]) in subject, subject  # the handle after, for commands
    recorded = next(m for m in said if "confirmed" in m and "recorded in the ledger" in m)
    assert not handle.search(recorded) and str(row["record"]) in recorded, recorded
    link_title, first_column = people.split("|")
    assert not handle.search(link_title) and "↔" in link_title and first_column != "command handle", people
