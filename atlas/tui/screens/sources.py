"""Sources and rejects: what was read, its hash, and what could not be used and why."""

from __future__ import annotations

from typing import ClassVar

import polars as pl
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, Static
from textual_fastdatatable import DataTable

from atlas.tui.base import AtlasFooter, ReviewScreen, guarded
from atlas.tui.views import source_number
from atlas.tui.widgets import FrameTable, RowView


class SourcesScreen(ReviewScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "whole_row", "Whole row")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.headline_widget()
        refs = self.review.source_refs()
        # in exhibit order, as the statement lists them: by the exhibit numbers as data, not read out of "JA/7"
        number = source_number(self.review)
        sources = self.review.case.sources().sort(number, maintain_order=True).select(
            pl.col("source_id").replace_strict(list(refs), list(refs.values()), default="").alias("exhibit"),
            "name", "parser", "parser_version", "owner", "timezone", "records_read", "events", "rejects",
            pl.col("assumptions").list.join("; "), "sha256",
        )
        yield Static(f"{sources.height} source(s). Records read = events + rejects for every source.", classes="caption")
        yield FrameTable(sources, id="sources", max_width=50)
        rejects = self.review.case.rejects().collect().sort([number, pl.col("source_ref")]).with_columns(
            pl.col("source_id").replace_strict(list(refs), list(refs.values()), default="").alias("source_id")
        ).rename({"source_id": "exhibit"})
        yield Static(f"{rejects.height} reject(s), each kept with its reason.", classes="caption")
        yield FrameTable(rejects, id="rejects")
        yield AtlasFooter()

    async def load(self) -> None:
        self.sub_title = "Sources and rejects (Enter shows a row whole)"

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_whole_row()

    @guarded
    def action_whole_row(self) -> None:
        """The row under the cursor whole: a reject's reason and a source's sha256 were cut in the table."""
        table = self.focused if isinstance(self.focused, FrameTable) else self.query_one("#sources", FrameTable)
        row = table.current()
        if row is None:
            self.notify("No row selected", severity="warning")
            return
        what = "Reject" if table.id == "rejects" else "Source"
        self.app.push_screen(RowView(f"{what} {row.get('exhibit') or ''} {row.get('source_ref') or row.get('name') or ''}",
                                     row))
