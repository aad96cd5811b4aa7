"""Conversations: one thread per pair of people across channels and identities (his
second number and his Instagram alias are one thread with her once the links are
confirmed), busiest first; Enter opens the records of a message."""

from __future__ import annotations

from typing import ClassVar

import polars as pl
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Header, Static
from textual_fastdatatable import DataTable

from atlas.tui import views
from atlas.tui.base import AtlasFooter, ReviewScreen, guarded
from atlas.tui.widgets import FrameTable, RecordsView


class ConversationScreen(ReviewScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open thread / records"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = pl.DataFrame()
        self.pairs = pl.DataFrame()

    @property
    def thread(self) -> pl.DataFrame:
        """The contacts of the open thread (built on demand)."""
        tables = list(self.query("#thread").results(FrameTable))
        return tables[0].frame if tables else pl.DataFrame()

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.headline_widget()
        yield Static(id="pairs-caption", classes="caption")
        yield Vertical(id="pairs-box")
        yield Static(id="thread-caption", classes="caption")
        yield Vertical(id="thread-box")
        yield AtlasFooter()

    async def load(self) -> None:
        self.sub_title = "Conversations (one thread per pair of people, all channels and identities)"
        self.view = views.contacts_view(self.review)
        self.pairs = views.conversations(self.view, views.party_names(self.review))
        await self.query_one("#thread-box", Vertical).remove_children()
        box = self.query_one("#pairs-box", Vertical)
        await box.remove_children()
        table = FrameTable(self.pairs, id="pairs")
        await box.mount(table)
        self.query_one("#pairs-caption", Static).update(
            f"{self.pairs.height} pair(s); group messages are not in any pair. Enter opens a thread.")
        table.focus()
        if self.pairs.height:
            await self.open_pair(str(self.pairs.get_column("_pair")[0]))

    async def open_pair(self, pair: str) -> None:
        existing = list(self.query("#thread").results(FrameTable))
        if existing:
            table = existing[0]
        else:
            table = FrameTable(self.view.select(views.THREAD_COLUMNS), id="thread", zebra=True,
                               widths={"channel": views.CHANNEL_WIDTH})
            await self.query_one("#thread-box", Vertical).mount(table)
        table.show_rows(views.thread_rows(self.view, pair))
        between = self.pairs.filter(pl.col("_pair") == pair).get_column("between")
        self.query_one("#thread-caption", Static).update(
            f"Thread: {between[0] if between.len() else pair}: {table.shown_count} contact(s)")

    @on(DataTable.RowSelected, "#pairs")
    @guarded
    async def _pair_selected(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < self.pairs.height:
            await self.open_pair(str(self.pairs.get_column("_pair")[event.cursor_row]))
            self.query_one("#thread", FrameTable).focus()

    @on(DataTable.RowSelected, "#thread")
    @guarded
    async def _message_selected(self, event: DataTable.RowSelected) -> None:
        row = self.query_one("#thread", FrameTable).row_at(event.cursor_row)
        if row is not None:
            self.app.push_screen(RecordsView(f"Records of the contact at {row['when (UK)']}",
                                             views.records_frame(self.review, list(row["_event_ids"])),
                                             self.atlas.record_text))

    @guarded
    async def action_open(self) -> None:
        focused = self.focused
        if isinstance(focused, FrameTable):
            focused.action_select_cursor()
