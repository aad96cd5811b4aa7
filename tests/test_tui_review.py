"""The workbench as a reviewer uses it (session 14's fresh-eyes check on unseen seeds): what a
person reads on each screen says no more than the analysis knows, and stays readable.
Each test failed before its fix."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from test_tui import run, show, text, until
from textual.pilot import Pilot

from atlas.tui.app import AtlasApp
from atlas.tui.widgets import DecisionPrompt, FrameTable


@pytest.fixture
def case_copy(rejected_ex_case: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(rejected_ex_case, out)
    return out


async def _conduct_tab(app: AtlasApp, pilot: Pilot[None], tab: str) -> FrameTable:
    await show(app, pilot, "5")
    await until(pilot, lambda: "last incident" in text(app, "#clock"))
    screen: Any = app.screen
    screen.query_one("#tabs").active = f"tab-{tab}"
    await pilot.pause(0.2)
    table = screen.query_one(f"#{tab}", FrameTable)
    table.focus()
    return table


def test_an_unconfirmed_threat_day_is_not_flagged_as_a_threat(case_copy: Path) -> None:
    """Seed 17171 (rejected-ex): the Incidents tab flagged 20/02/2026 "THREAT" beside "threat occasions
    3 (0 confirmed)": a likely-threat message awaiting a decision shown as a fact. It now says
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
        await until(pilot, lambda: "(1 confirmed)" in text(app, "#headline"))
        await until(pilot, lambda: any("confirmed by an officer" in f for f in
                                       app.screen.query_one("#incidents", FrameTable).frame.get_column("flags").to_list()))
        after = app.screen.query_one("#incidents", FrameTable).frame
        return before, day, after.filter(pl.col("date") == day).get_column("flags").to_list()

    before, day, after = run(case_copy, script)
    threat_days = [f for f in before if "THREAT" in f]
    assert threat_days, "the case has likely-threat days (the test needs one)"
    assert all("THREAT?" in f and "confirmed" not in f for f in threat_days)  # nothing confirmed yet
    assert len(after) == 1 and "THREAT (confirmed by an officer)" in after[0] and "THREAT?" not in after[0], (day, after)
