"""Sources and rejects: what was read, its hash, and what could not be used and why."""

from __future__ import annotations

import polars as pl
from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from atlas.exhibits import exhibit_sort_keys
from atlas.tui.base import ReviewScreen
from atlas.tui.widgets import FrameTable


class SourcesScreen(ReviewScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield self.headline_widget()
        refs = self.review.source_refs()
        sources = self.review.case.sources().select(
            pl.col("source_id").replace_strict(list(refs), list(refs.values()), default="").alias("exhibit"),
            "name", "parser", "parser_version", "owner", "timezone", "records_read", "events", "rejects",
            pl.col("assumptions").list.join("; "), "sha256",
        ).sort(exhibit_sort_keys(), maintain_order=True)  # in exhibit order, as the statement lists them
        yield Static(f"{sources.height} source(s). Records read = events + rejects for every source.", classes="caption")
        yield FrameTable(sources, id="sources", max_width=50)
        rejects = self.review.case.rejects().collect().with_columns(
            pl.col("source_id").replace_strict(list(refs), list(refs.values()), default="").alias("source_id")
        ).rename({"source_id": "exhibit"}).sort([*exhibit_sort_keys(), pl.col("source_ref")])
        yield Static(f"{rejects.height} reject(s), each kept with its reason.", classes="caption")
        yield FrameTable(rejects, id="rejects")
        yield Footer()

    async def load(self) -> None:
        self.sub_title = "Sources and rejects"
