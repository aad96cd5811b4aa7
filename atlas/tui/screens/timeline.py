"""The timeline of contacts (each real-world call or message once, however many sources
hold it), with party names, exhibit references and the corroborating records in the
detail pane; ``r`` switches to the raw records. Filters: text, person (party, name or any
identifier, following confirmed links), channel. Enter opens the records of a row."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import polars as pl
from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Header, Input, Select, Static
from textual_fastdatatable import DataTable

from atlas.tui import views
from atlas.tui.base import AtlasFooter, ReviewScreen, guarded
from atlas.tui.widgets import DecisionPrompt, FrameTable, RecordsView, ask

if TYPE_CHECKING:
    from textual.timer import Timer

    from atlas.identity.select import PartySelection


TYPING_PAUSE = 0.15
"""Seconds of no typing in the search box before the timeline is filtered (the filter itself takes under 2 ms on
the 20,675 contacts of a scale-20 case; the pause keeps the table from redrawing on every letter)."""


class TimelineScreen(ReviewScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search"),
        Binding("r", "toggle_raw", "Contacts/raw"),
        Binding("enter", "open_records", "Records"),
        Binding("t", "tag", "Tag exhibit"),
        Binding("b", "bookmark", "Bookmark"),
        Binding("n", "note", "Note"),
        Binding("escape", "clear_search", "Clear", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.raw = False
        self.view = pl.DataFrame()
        self._typing: Timer | None = None
        self._person: tuple[str, PartySelection] | None = None

    @property
    def shown(self) -> pl.DataFrame:
        """The rows the filters keep (built on demand)."""
        tables = list(self.query("#events").results(FrameTable))
        return tables[0].frame if tables else self.view

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.headline_widget()
        parties = [(f"{p.name or p.id} ({p.id})", p.id) for p in self.review.case.manifest.parties]
        with Horizontal(id="filters"):
            yield Input(placeholder="search text, names, numbers, exhibits  ( / )", id="search")
            yield Input(placeholder="person: party, name or identifier", id="who")
            yield Select(parties, prompt="any party", id="party")
            yield Select([], prompt="any channel", id="channel")
        yield Static(id="count", classes="caption")
        yield Vertical(id="table-box")
        with VerticalScroll(id="detail"):
            yield Static("Select a row to see its records.", id="detail-text")
        yield AtlasFooter()

    async def load(self) -> None:
        self.sub_title = "Timeline of contacts (de-duplicated; r: raw records)"
        self.view = views.raw_view(self.review) if self.raw else views.contacts_view(self.review)
        self.query_one("#channel", Select).set_options(views.channel_options(self.view))
        existing = list(self.query("#events").results(FrameTable))
        if existing:
            existing[0].set_frame(self.view)
        else:
            table = FrameTable(self.view, id="events", zebra=True, widths={"channel": views.CHANNEL_WIDTH})
            await self.query_one("#table-box", Vertical).mount(table)
            table.focus()
        await self.refilter()

    async def refilter(self) -> None:
        """Apply the filters: only the row numbers change (see FrameTable.show_rows)."""
        text = self.query_one("#search", Input).value.strip()
        who = self.query_one("#who", Input).value.strip()
        party = self.query_one("#party", Select).value
        channel = self.query_one("#channel", Select).value
        selection = None
        chosen = who or (party if isinstance(party, str) else "")
        if chosen:
            from atlas.identity.select import select_party

            # the person as last resolved while the search text changes (as you type: once, not per key)
            if self._person is None or self._person[0] != chosen or self.seen != self.review.generation():
                self._person = (chosen, select_party(self.review.case, chosen))
            selection = self._person[1]
        rows = views.filter_rows(
            self.view, text=text, party=selection.party if selection else None,
            identifiers=selection.identifiers if selection else None,
            channel=channel if isinstance(channel, str) else None)
        table = self.query_one("#events", FrameTable)
        table.show_rows(rows)
        what = "records" if self.raw else "contacts"
        basis = f"  Person: {selection.basis}." if selection else ""
        self.query_one("#count", Static).update(
            f"{table.shown_count:,} of {self.view.height:,} {what}. Times UK local (GMT/BST); stored in UTC.{escape(basis)}")

    @on(Input.Submitted, "#search")
    @on(Input.Submitted, "#who")
    @on(Select.Changed)
    @guarded
    async def _filters(self) -> None:
        self._cancel_typing()
        await self.refilter()
        self.query_one("#events", FrameTable).focus()

    @on(Input.Changed, "#search")
    def _typed(self) -> None:
        """Filter as the officer types (it filtered only on Enter): once the keys pause for :data:`TYPING_PAUSE`
        seconds, so a word typed fast is one filter, not one per letter. The cursor stays in the search box."""
        self._cancel_typing()
        self._typing = self.set_timer(TYPING_PAUSE, self._search_now)

    def _cancel_typing(self) -> None:
        if self._typing is not None:
            self._typing.stop()
            self._typing = None

    @guarded
    async def _search_now(self) -> None:
        self._typing = None
        await self.refilter()

    @on(DataTable.RowHighlighted, "#events")
    def _highlight(self, event: DataTable.RowHighlighted) -> None:
        row = self.query_one("#events", FrameTable).row_at(event.cursor_row)
        if row is not None:
            refs = [self.review.record_ref(str(e)) for e in row["_event_ids"]]
            head = (f"[b]{escape(row['when (UK)'])}[/b] {escape(row['from'])} → {escape(row['to'])} "
                    f"({escape(row['channel'])}, {escape(row['status'])})\n")
            body = f"{escape(row['text'])}\n" if row["text"] else ""
            self.query_one("#detail-text", Static).update(
                head + body + f"[b]{len(refs)} corroborating record(s)[/b]: " + escape("; ".join(refs)))

    @on(DataTable.RowSelected, "#events")
    async def _selected(self) -> None:
        await self.action_open_records()

    def _row(self) -> dict[str, object] | None:
        table = self.query("#events").results(FrameTable)
        for t in table:
            return t.current()
        return None

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    @guarded
    async def action_clear_search(self) -> None:
        self._cancel_typing()
        self.query_one("#search", Input).value = ""
        self.query_one("#who", Input).value = ""
        await self.refilter()

    @guarded
    async def action_toggle_raw(self) -> None:
        self.raw = not self.raw
        await self.load()

    @guarded
    async def action_open_records(self) -> None:
        row = self._row()
        if row is None:
            self.notify("No row selected", severity="warning")
            return
        ids = [str(e) for e in row["_event_ids"]]  # type: ignore[attr-defined]
        self.app.push_screen(RecordsView(f"Records of the {'record' if self.raw else 'contact'} at {row['when (UK)']}",
                                         views.records_frame(self.review, ids), self.atlas.record_text))

    def _subject(self, row: dict[str, object]) -> str:
        return f"{row['when (UK)']}  {row['from']} → {row['to']}  {row['channel']}  {row['record']}\n{row['text']}"

    @guarded
    async def action_tag(self) -> None:
        row = self._row()
        if row is None:
            self.notify("No row selected", severity="warning")
            return
        from atlas.decisions.exhibits import tag

        event = str(row["_first_event"])
        prompt = DecisionPrompt("Tag this record as an exhibit", self._subject(row), note_required=True,
                                officer=self.review.case.officer().label)
        await ask(self.app, prompt, lambda note: self.atlas.record(
            lambda: tag(self.review.case, event, note=note, description=str(row["text"])[:80]), "tagged as exhibit"))

    @guarded
    async def action_bookmark(self) -> None:
        row = self._row()
        if row is None:
            self.notify("No row selected", severity="warning")
            return
        from atlas.decisions.notes import set_bookmark

        event = str(row["_first_event"])
        prompt = DecisionPrompt("Bookmark this record", self._subject(row), note_required=False,
                                officer=self.review.case.officer().label)
        await ask(self.app, prompt, lambda note: self.atlas.record(
            lambda: set_bookmark(self.review.case, event, note=note), "bookmarked"))

    @guarded
    async def action_note(self) -> None:
        row = self._row()
        if row is None:
            self.notify("No row selected", severity="warning")
            return
        from atlas.decisions.notes import add_note

        event = str(row["_first_event"])
        prompt = DecisionPrompt("Write a note on this record", self._subject(row), note_required=True,
                                officer=self.review.case.officer().label)
        await ask(self.app, prompt, lambda note: self.atlas.record(
            lambda: add_note(self.review.case, f"event:{event}", note), "note kept"))
