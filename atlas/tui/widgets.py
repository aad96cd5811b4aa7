"""Widgets every screen shares: the virtual table, the decision prompt, the records view.

* :class:`FrameTable`: the Arrow-backed virtual table (textual-fastdatatable: a million
  rows in about a second, where Textual's own DataTable took 33 s for 100 k), without
  the library's Tab binding: there Tab moves the cursor to the next row, so tabbing into
  a table and pressing a decision key acted on the wrong row. Here Tab only moves focus.
* :class:`DecisionPrompt`: the only way a decision is made in the workbench. It shows
  the exact row being decided, what the decision changes (before → after, when known),
  and asks for the note; nothing is recorded until the officer presses *Record* (or Enter
  in the note) with a note where one is required. Escape cancels.
* :class:`RecordsView`: the source records behind a row, named by exhibit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Final

import polars as pl
from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual_fastdatatable import ArrowBackend, DataTable

_NO_TAB: Final = ("tab", "shift+tab")


class RowsBackend(ArrowBackend):
    """An Arrow backend showing some rows of a table, by row number.

    The whole frame is converted to Arrow (and its column widths measured) once; a filter
    change then only hands over the row numbers it keeps, so showing 800 k of a million
    rows costs a Polars filter, not a copy of the rows."""

    def __init__(self, data: object, rows: object | None = None) -> None:
        import pyarrow as pa

        super().__init__(data)
        self.rows: pa.Array | None = None if rows is None else pa.array(rows, type=pa.int64())

    def with_rows(self, rows: object | None) -> RowsBackend:
        import copy

        import pyarrow as pa

        other = copy.copy(self)
        other.rows = None if rows is None else pa.array(rows, type=pa.int64())
        return other

    def _row(self, index: int) -> int:
        return index if self.rows is None else int(self.rows[index].as_py())

    @property
    def row_count(self) -> int:
        return self.data.num_rows if self.rows is None else len(self.rows)

    @property
    def source_row_count(self) -> int:
        return self.row_count

    def get_row_at(self, index: int) -> list[object]:
        return list(super().get_row_at(self._row(index)))

    def get_cell_at(self, row_index: int, column_index: int) -> object:
        return super().get_cell_at(self._row(row_index), column_index)

    def get_column_at(self, column_index: int) -> list[object]:
        values = super().get_column_at(column_index)
        return values if self.rows is None else [values[i] for i in self.rows.to_pylist()]


class FrameTable(DataTable, inherit_bindings=False):
    """A virtual table over a Polars frame; columns starting ``_`` are hidden. It can show
    a subset of the frame's rows (:meth:`show_rows`) without rebuilding anything else."""

    BINDINGS: ClassVar[list[BindingType]] = [
        b for b in DataTable.BINDINGS if not (isinstance(b, Binding) and b.key in _NO_TAB)
    ]

    def __init__(self, frame: pl.DataFrame, *, id: str | None = None, max_width: int = 60,
                 zebra: bool = False, widths: dict[str, int] | None = None) -> None:
        self._full = self._backend(frame)
        self.widths = dict(widths or {})
        """At most this many characters for a named column (the rest: up to ``max_width``); a longer cell ends "…"."""
        super().__init__(backend=self._full, id=id, cursor_type="row", column_widths=self._column_caps(frame),
                         max_column_content_width=max_width, zebra_stripes=zebra, render_markup=False)
        self.all_rows = frame
        self.rows: pl.Series | None = None

    def _column_caps(self, frame: pl.DataFrame) -> list[int | None] | None:
        """Each visible column's fixed width where :attr:`widths` caps it and its cells (or header) are wider, else
        None (the table measures it): a column no wider than its cap keeps its own width."""
        if not self.widths:
            return None
        caps: list[int | None] = []
        for name in (c for c in frame.columns if not c.startswith("_")):
            cap = self.widths.get(name)
            longest = frame.get_column(name).cast(pl.String).str.len_chars().max()
            widest = max(len(name), longest if isinstance(longest, int) else 0)
            caps.append(cap if cap is not None and widest > cap else None)
        return caps

    @staticmethod
    def _backend(frame: pl.DataFrame) -> RowsBackend:
        shown = frame.select([c for c in frame.columns if not c.startswith("_")])
        backend = RowsBackend(shown.to_arrow())
        backend.render_markup = False
        return backend

    @property
    def frame(self) -> pl.DataFrame:
        """The rows shown, with hidden columns (built on demand: tests and exports)."""
        return self.all_rows if self.rows is None else self.all_rows[self.rows]

    @property
    def shown_count(self) -> int:
        return self.all_rows.height if self.rows is None else self.rows.len()

    def row_at(self, index: int) -> dict[str, Any] | None:
        if not 0 <= index < self.shown_count:
            return None
        return self.all_rows.row(index if self.rows is None else int(self.rows[index]), named=True)

    def current(self) -> dict[str, Any] | None:
        """The row under the cursor (with hidden columns), or None for an empty table."""
        return self.row_at(self.cursor_row)

    def put_cursor(self, row: int) -> None:
        """Move the cursor to ``row`` and keep it in sight. A table just mounted has no size yet, so
        ``move_cursor`` alone left the cursor out of sight (People: a decided link moves to the
        confirmed rows at the bottom, and the cursor followed it off screen)."""
        self.move_cursor(row=row, animate=False)
        self.call_after_refresh(self._scroll_cursor_into_view, animate=False)

    def show_rows(self, rows: pl.Series | None) -> None:
        """Show only these row numbers of the frame (None: all) in place: the widget, its
        focus and the key map stay, so a filter change rebuilds nothing but the row map."""
        self.rows = rows
        self.backend = self._full.with_rows(None if rows is None else rows.to_arrow())
        self._clear_caches()
        self._require_update_dimensions = True
        self._update_count += 1
        self.cursor_coordinate = Coordinate(0, 0)
        self.scroll_home(animate=False)
        self.refresh()
        self.check_idle()
        if self.shown_count:
            self.post_message(DataTable.RowHighlighted(self, 0))

    def set_frame(self, frame: pl.DataFrame) -> None:
        """Show another frame with the same visible columns, in place."""
        if [c for c in frame.columns if not c.startswith("_")] != \
                [c for c in self.all_rows.columns if not c.startswith("_")]:
            raise ValueError("set_frame needs the same visible columns; mount a new table instead")
        self._full = self._backend(frame)
        self.all_rows = frame
        self._column_widths = self._column_caps(frame)
        self._ordered_columns = None
        self.show_rows(None)


class DecisionPrompt(ModalScreen[str | None]):
    """Ask before deciding: the row, the impact, the note. Returns the note, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel"),
                                             Binding("pageup", "scroll_body(-1)", "Scroll up", show=False),
                                             Binding("pagedown", "scroll_body(1)", "Scroll down", show=False)]
    SHORT_HEIGHT = 30
    """Below this many rows the prompt is compact (no padding, the note and the buttons one line each, the whole
    terminal high): at 80x24 the subject and "What this changes" needed 21 rows and the body had 9, so what the
    decision changes was below the fold with nothing saying so."""
    DEFAULT_CSS = """
    DecisionPrompt { align: center middle; }
    DecisionPrompt > #prompt { width: 110; max-width: 100%; height: auto; max-height: 90%; border: thick $warning;
                               background: $surface; padding: 1 2; }
    DecisionPrompt.-short > #prompt { max-height: 100%; padding: 0 1; }
    DecisionPrompt #prompt-body { height: auto; }
    DecisionPrompt #note { margin-top: 1; }
    DecisionPrompt.-short #note { margin-top: 0; }
    DecisionPrompt #subject { height: auto; }
    DecisionPrompt #title { height: auto; }
    DecisionPrompt #impact { height: auto; border: round $primary; padding: 0 1; }
    DecisionPrompt #more { height: 1; color: $warning; text-style: bold; }
    DecisionPrompt #error { color: $error; height: auto; }
    DecisionPrompt Horizontal { height: 3; }
    DecisionPrompt.-short Horizontal { height: 1; }
    DecisionPrompt.-short Button { margin-right: 2; }
    """

    def __init__(self, title: str, subject: str, *, note_required: bool,
                 impact: Callable[[], str] | None = None, officer: str = "", ask_note: bool = True,
                 button: str = "Record decision") -> None:
        super().__init__()
        self.ask_note = ask_note or note_required
        """False where nothing would keep a note (writing the reports): a note typed there was dropped."""
        self.button = button
        self.title_text = title
        self.subject = subject
        self.note_required = note_required
        self.impact = impact
        self.officer = officer

    def compose(self) -> ComposeResult:
        # what the decision is about scrolls, nothing in it is cut (the subject had at most 8 lines, so a possible
        # breach's last line, its records, was hidden with no way to reach it); the note and the buttons stay under it,
        # always in view: at 80x24 a link's subject and impact filled the box and the note, focused, was below the fold
        with Vertical(id="prompt"):
            with VerticalScroll(id="prompt-body"):
                # a Static (it wraps): a title naming the item by its record and time is longer than a line
                yield Static(f"[b]{escape(self.title_text)}[/b]  (recorded in the name of {escape(self.officer)})",
                             id="title")
                yield Static(escape(self.subject), id="subject")
                if self.impact is not None:
                    yield Static("What this changes: computing…", id="impact")
            # what the body holds out of sight, and the key that shows it (one line, always there: showing it only
            # when needed would change the body's height, and so whether it is needed)
            yield Static("", id="more")
            if self.ask_note:
                yield Input(placeholder=("note: why (required)" if self.note_required else "note (optional)")
                            + "   (PgUp / PgDn: read the text above)", id="note")
            error = Static("", id="error")
            error.display = False  # until there is an error to show (an empty line cost the body a row at 80x24)
            yield error
            with Horizontal():
                yield Button(self.button, variant="warning", id="record")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._fit_body()
        self.query_one("#note" if self.ask_note else "#record").focus()
        body = self.query_one("#prompt-body", VerticalScroll)
        self.watch(body, "scroll_y", self._say_more, init=False)
        self.watch(body, "virtual_size", self._say_more, init=False)
        if self.impact is not None:
            self._compute_impact()

    def on_resize(self) -> None:
        self._fit_body()

    def under_body(self) -> int:
        """Rows of the prompt's box that are not its scrolling body: the thick border and the padding, the line
        saying what is out of sight, the error (when shown), the buttons and the note (where one is asked for)."""
        short = self.has_class("-short")
        error = 1 if self.query_one("#error", Static).display else 0
        rows = 2 + (0 if short else 2) + 1 + error + (1 if short else 3)
        return rows + ((1 if short else 4) if self.ask_note else 0)

    def _fit_body(self) -> None:
        """Compact below :data:`SHORT_HEIGHT` rows; the body's height at most what the box leaves beside the note and
        the buttons, so those stay in view however long the subject and the impact are (the body scrolls: PgUp /
        PgDn, and the line under it says what is out of sight)."""
        short = self.app.size.height < self.SHORT_HEIGHT
        self.set_class(short, "-short")
        for widget in self.query(Input).results():
            widget.compact = short
        for button in self.query(Button).results():
            button.compact = short
        box = self.app.size.height if short else int(self.app.size.height * 0.9)
        self.query_one("#prompt-body").styles.max_height = max(3, box - self.under_body())
        self.call_after_refresh(self._say_more)

    def more_text(self) -> str:
        """What the body holds out of sight: "What this changes" by name where it is (part) below, else that there
        is more below or above, with the key; "" when the body is whole in view."""
        body = self.query_one("#prompt-body", VerticalScroll)
        if body.max_scroll_y <= 0:
            return ""
        said = []
        if body.scroll_y < body.max_scroll_y:
            impact = [w.virtual_region for w in self.query("#impact").results(Static)]
            seen_to = body.scroll_y + body.scrollable_content_region.height
            said.append("▼ PgDn: more below" if not impact or impact[0].bottom <= seen_to
                        else "▼ PgDn: What this changes, below" if impact[0].y >= seen_to
                        else "▼ PgDn: the rest of What this changes")
        if body.scroll_y > 0:
            said.append("▲ PgUp: more above")
        return "   ".join(said)

    def action_scroll_body(self, direction: int) -> None:
        body = self.query_one("#prompt-body", VerticalScroll)
        (body.scroll_page_down if direction > 0 else body.scroll_page_up)()

    def _say_more(self) -> None:
        if self.is_attached:
            self.query_one("#more", Static).update(self.more_text())

    @work(thread=True, exclusive=True)
    def _compute_impact(self) -> None:
        assert self.impact is not None
        try:
            text = "What this changes (before → after):\n" + escape(self.impact())
        except Exception as exc:  # shown, never a crash
            text = f"What this changes: could not be computed ({escape(str(exc))})"
        self.app.call_from_thread(self._show_impact, text)

    def _show_impact(self, text: str) -> None:
        if self.is_attached:
            self.query_one("#impact", Static).update(text)
            self.call_after_refresh(self._say_more)

    def _submit(self) -> None:
        note = self.query_one("#note", Input).value.strip() if self.ask_note else ""
        if self.note_required and not note:
            error = self.query_one("#error", Static)
            error.update("A note is required: say why.")
            error.display = True
            self._fit_body()  # the error line now takes a row: the body gives it up, the buttons stay in view
            return
        self.dismiss(note)

    @on(Input.Submitted, "#note")
    def _enter(self) -> None:
        self._submit()

    @on(Button.Pressed, "#record")
    def _record(self) -> None:
        self._submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_button(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RecordsView(ModalScreen[None]):
    """The records behind a row: each named by exhibit, with its text."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close"), Binding("q", "close", "Close")]
    DEFAULT_CSS = """
    RecordsView { align: center middle; }
    RecordsView > Vertical { width: 95%; height: 85%; border: thick $primary; background: $surface; padding: 0 1; }
    RecordsView FrameTable { height: 1fr; }
    RecordsView #record-detail { height: 12; border: round $primary; }
    RecordsView #about { height: auto; max-height: 8; overflow-y: auto; padding: 0 0 1 0; }
    """

    def __init__(self, title: str, records: pl.DataFrame, detail: Callable[[str], str], about: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.records = records
        self.detail = detail
        self.about = about
        """The row the records are behind, every column whole (a table cuts its long cells)."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"[b]{escape(self.title_text)}[/b]  ({self.records.height} record(s); Esc closes)")
            if self.about:
                yield Static(escape(self.about), id="about")
            yield FrameTable(self.records, id="records")
            with VerticalScroll(id="record-detail"):
                yield Static("", id="record-text")

    def on_mount(self) -> None:
        self.query_one("#records", FrameTable).focus()
        self._show(0)

    @on(DataTable.RowHighlighted, "#records")
    def _highlight(self, event: DataTable.RowHighlighted) -> None:
        self._show(event.cursor_row)

    def _show(self, row: int) -> None:
        if 0 <= row < self.records.height and "_event_id" in self.records.columns:
            event_id = str(self.records.get_column("_event_id")[row])
            self.query_one("#record-text", Static).update(escape(self.detail(event_id)))

    def action_close(self) -> None:
        self.dismiss(None)


class RowView(ModalScreen[None]):
    """One table row read whole, a column a line: a table cuts long cells (a reject's reason, a source's
    assumptions and its 64-digit sha256 at 50 or 60 characters), and nothing else showed them."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close"), Binding("q", "close", "Close")]
    DEFAULT_CSS = """
    RowView { align: center middle; }
    RowView > VerticalScroll { width: 95%; height: auto; max-height: 85%; border: thick $primary;
                               background: $surface; padding: 0 1; }
    RowView #row-text { height: auto; }
    """

    def __init__(self, title: str, row: dict[str, Any]) -> None:
        super().__init__()
        self.title_text = title
        self.row = {k: v for k, v in row.items() if not k.startswith("_")}

    def text(self) -> str:
        width = max((len(k) for k in self.row), default=0)
        return "\n".join(f"{k:<{width}}  {'' if v is None else v}" for k, v in self.row.items())

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="row-view"):
            yield Label(f"[b]{escape(self.title_text)}[/b]  (Esc closes)")
            yield Static(escape(self.text()), id="row-text")

    def on_mount(self) -> None:
        self.query_one("#row-view").focus()

    def action_close(self) -> None:
        self.dismiss(None)


async def ask(screen_app: object, prompt: DecisionPrompt, then: Callable[[str], Awaitable[None] | None]) -> None:
    """Push ``prompt``; call ``then(note)`` only if the officer recorded the decision."""
    from textual.app import App

    assert isinstance(screen_app, App)

    async def done(note: str | None) -> None:
        if note is None:
            screen_app.notify("Cancelled: nothing was recorded")
            return
        result = then(note)
        if result is not None:
            await result

    screen_app.push_screen(prompt, done)
