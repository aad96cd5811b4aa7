"""The timeline: every event, filterable, with the full source record of the one selected.

The table is an Arrow-backed virtual table (textual-fastdatatable): Textual's own
DataTable took 33 s for 100 k rows on these machines; this shows a million in about
a second because only the visible rows are rendered.
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Select, Static
from textual_fastdatatable import ArrowBackend, DataTable

from atlas.store import Case
from atlas.store.manifest import attributed_uris
from atlas.tui.frames import event_detail, search, timeline_view, visible


class TimelineScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("/", "focus_search", "Search"),
        Binding("escape", "clear_search", "Clear", show=False),
        Binding("enter", "show_detail", "Detail", show=False),
    ]

    def __init__(self, case: Case) -> None:
        super().__init__()
        self.case = case
        from atlas.exhibits import source_refs

        self.view = timeline_view(case.events(), case.sources(), source_refs(case))
        self.shown = self.view

    def compose(self) -> ComposeResult:
        yield Header()
        parties = [(f"{p.id} ({p.role})", p.id) for p in self.case.manifest.parties]
        channels = sorted({c for c in self.view.get_column("channel").unique().to_list() if c})
        with Horizontal(id="filters"):
            yield Input(placeholder="search text, names, numbers, event ids  ( / )", id="search")
            yield Select(parties, prompt="any party", id="party")
            yield Select([(c, c) for c in channels], prompt="any channel", id="channel")
        yield Static(id="count")
        with Vertical(id="table-box"):
            yield self._table(self.shown)
        yield Static("Select an event to see its source record.", id="detail")
        yield Footer()

    def _table(self, frame: pl.DataFrame) -> DataTable:
        table = DataTable(backend=ArrowBackend(visible(frame).to_arrow()), cursor_type="row", id="events",
                          max_column_content_width=60, zebra_stripes=True)
        return table

    def on_mount(self) -> None:
        self.title = f"Atlas: {self.case.manifest.reference}"
        self.sub_title = "Timeline (UK local time shown; stored in UTC)"
        self._update_count()
        self.query_one("#events", DataTable).focus()

    def _update_count(self) -> None:
        self.query_one("#count", Static).update(
            f"{self.shown.height:,} of {self.view.height:,} events. Times: UK local (GMT/BST); each record keeps its UTC time and basis."
        )

    async def _refilter(self) -> None:
        text = self.query_one("#search", Input).value.strip()
        party = self.query_one("#party", Select).value
        channel = self.query_one("#channel", Select).value
        identifiers = None
        if isinstance(party, str):
            identifiers = attributed_uris(self.case.manifest.party(party), self.case.source_ids())
        self.shown = search(self.view, text=text, identifiers=identifiers,
                            channel=channel if isinstance(channel, str) else None)
        box = self.query_one("#table-box", Vertical)
        await box.remove_children()
        await box.mount(self._table(self.shown))
        self._update_count()

    @on(Input.Submitted, "#search")
    async def _search(self) -> None:
        await self._refilter()
        self.query_one("#events", DataTable).focus()

    @on(Select.Changed)
    async def _select(self) -> None:
        await self._refilter()

    @on(DataTable.RowHighlighted)
    def _highlight(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < self.shown.height:
            event_id = self.shown.get_column("_event_id")[event.cursor_row]
            self.query_one("#detail", Static).update(event_detail(self.case, event_id))

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    async def action_clear_search(self) -> None:
        self.query_one("#search", Input).value = ""
        await self._refilter()

    def action_show_detail(self) -> None:
        self.query_one("#events", DataTable).focus()
