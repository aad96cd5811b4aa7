"""The workbench at small terminals (session 18): the Timeline's channels in people's words at 80 columns, the
header's officer whole at 80, Conduct's seven tabs all in sight below 120 columns, and the decision prompt's
"What this changes" reachable at 80x24. Each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from pilot_wait import settled, until
from test_tui import show, text
from test_tui_review import _screen_text, case_copy, run
from textual.pilot import Pilot

from atlas.tui.app import AtlasApp
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
