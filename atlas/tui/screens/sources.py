"""Sources and rejects: what was read, its hash, and what could not be used and why."""

from __future__ import annotations

import polars as pl
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual_fastdatatable import ArrowBackend, DataTable

from atlas.store import Case


class SourcesScreen(Screen[None]):
    def __init__(self, case: Case) -> None:
        super().__init__()
        self.case = case

    def compose(self) -> ComposeResult:
        yield Header()
        sources = self.case.sources().select(
            "source_id", "name", "parser", "parser_version", "owner", "timezone", "records_read", "events", "rejects",
            pl.col("assumptions").list.join("; "), "sha256",
        )
        yield Static(f"{sources.height} source(s). Records read = events + rejects for every source.", classes="caption")
        yield DataTable(backend=ArrowBackend(sources.to_arrow()), cursor_type="row", id="sources", max_column_content_width=50)
        rejects = self.case.rejects().sort("source_id", "source_ref").collect()
        yield Static(f"{rejects.height} reject(s), each kept with its reason.", classes="caption")
        yield DataTable(backend=ArrowBackend(rejects.to_arrow()), cursor_type="row", id="rejects", max_column_content_width=60)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Sources and rejects"
