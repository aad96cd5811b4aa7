"""What every workbench screen shares: the headline that follows every decision, reloading
when the decisions ledger moved on, and errors shown as messages instead of crashes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from rich.markup import escape
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey
from textual.worker import Worker, WorkerState

from atlas.review import Headline, Review

if TYPE_CHECKING:
    from atlas.tui.app import AtlasApp

F = TypeVar("F", bound=Callable[..., Any])

NARROW_WIDTH = 120
"""Below this many columns the footer is compact (one space between keys, not two) and a screen may show shorter
key labels (:meth:`ReviewScreen.narrow`): at 100 columns Conduct's keys needed 103 and cut "q Quit"."""
TIGHT_WIDTH = 100
"""Below this many columns (80: a remote desktop's default) the footer's labels are short (:data:`TIGHT_LABELS`)
and the screen keys read ``1-8 screens``: at 80 columns Conduct's compact footer needed 95 and cut "q Quit"."""
TIGHT_LABELS: dict[str, str] = {
    "Confirm…": "Confirm", "Dismiss…": "Dismiss", "Re-open…": "Re-open", "Tag…": "Tag", "Tag finding…": "Tag",
    "Confirm link…": "Confirm", "Reject link…": "Reject", "Re-open link…": "Re-open", "Tag exhibit": "Tag",
    "Contacts/raw": "Raw", "Open thread / records": "Open", "Write reports…": "Reports", "Untag…": "Untag",
    "Records": "Open", "palette": "menu",
}
"""A key's label in a footer below :data:`TIGHT_WIDTH` columns (the key is the same; its prompt still says it all)."""


class AtlasFooter(Footer):
    """The footer, its labels short below :data:`TIGHT_WIDTH` columns (every key stays in view)."""

    def compose(self) -> ComposeResult:
        tight = self.app.size.width < TIGHT_WIDTH
        for widget in super().compose():
            if tight and isinstance(widget, FooterKey):
                widget.description = TIGHT_LABELS.get(widget.description, widget.description)
            yield widget


def guarded(fn: F) -> F:
    """Run an action; any error becomes a notification (never a crash of the workbench)."""
    if _is_async(fn):
        @functools.wraps(fn)
        async def run_async(self: Screen[Any], *args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(self, *args, **kwargs)
            except Exception as exc:
                self.app.notify(f"{type(exc).__name__}: {exc}", severity="error", timeout=10)
                return None
        return cast(F, run_async)

    @functools.wraps(fn)
    def run(self: Screen[Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except Exception as exc:
            self.app.notify(f"{type(exc).__name__}: {exc}", severity="error", timeout=10)
            return None
    return cast(F, run)


def _is_async(fn: Callable[..., Any]) -> bool:
    import inspect

    return inspect.iscoroutinefunction(fn)


def headline_text(h: Headline) -> str:
    last = h.last_incident.strftime("%d/%m/%Y") if h.last_incident else "-"
    deadline = h.deadline.strftime("%d/%m/%Y") if h.deadline else "-"
    # each number says what it counts, in the reports' words: incidents are occasions (days), and the contacts are those
    # the incidents count (two-way weeks' contacts are not), not the reports' every contact from the suspect
    return (f"incidents (occasions) {h.incidents} · contacts counted in incidents {h.contacts_counted} · "
            f"threat occasions {h.threats} · breaches of orders {h.breaches} · "
            f"last incident {last} · s2A last day to lay [b]{deadline}[/b] · [b]{escape(h.verdict)}[/b]")


class HeadlineText(Static):
    """The headline: its height is its text's (``height: auto``), laid out again whenever the text changes.

    Why this is needed (the session-15 "headline-height race", found in session 16): Textual caches a widget's
    box model under its ``_layout_updates`` count, and ``refresh(layout=True)`` only adds to that count when no
    layout is already pending for the widget. A newly shown screen lays itself out while the headline's own
    layout request (from its mount; then its ``virtual_size``'s) is still pending, so the one-line box model of
    "computing…" is cached under the count that stays. Text arriving before the headline handled that request
    (the Timeline: its headline is the Overview's, already computed, so the worker returns at once) added nothing
    to the count, the cached one-line box model was used again, and the headline stayed one line high, cut.
    Laying the screen out again (session 15's mend) used the same cache. The footer's fitting plays no part."""

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        super().update(content, layout=layout)
        if not new_box_model_key(self):  # a Textual without the private count: lay out again once drawn (racy)
            self.call_after_refresh(self.refresh, layout=True)


LAYOUT_COUNT = "_layout_updates"
"""Textual's private count that keys a widget's cached box model (``Widget._get_box_model``, Textual 8.2.8).
tests/test_tui_workbench4.py fails, naming it, when a Textual upgrade removes it or stops keying the cache on it."""


def new_box_model_key(widget: object) -> bool:
    """Move ``widget``'s box-model cache key, so its next layout measures its text again; False (and nothing done)
    where the Textual in use has no such count: the caller then falls back, and the workbench never crashes on it."""
    count = getattr(widget, LAYOUT_COUNT, None)
    if not isinstance(count, int):
        return False
    setattr(widget, LAYOUT_COUNT, count + 1)
    return True


class ReviewScreen(Screen[None]):
    """A screen of the workbench. Subclasses implement :meth:`load` (called on mount and
    whenever the ledger's generation changed since the last load)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: tuple[int, int] | None = None

    @property
    def atlas(self) -> AtlasApp:
        from atlas.tui.app import AtlasApp

        assert isinstance(self.app, AtlasApp)
        return self.app

    @property
    def review(self) -> Review:
        return self.atlas.review

    def nothing_to_reopen(self, what: str, current: str, state: str, *, undecided: str = "open") -> bool:
        """Say so, and open no prompt, when the officer asks to re-open what no decision closed: the ledger
        refuses it (:func:`atlas.decisions.ledger.refuse_unchanged`), and a prompt there asked for a note for nothing."""
        if state == undecided and current == undecided:
            self.app.notify(f"{what} is {undecided}: there is no decision on it to undo, so nothing to re-open "
                            "(nothing recorded)", severity="warning", timeout=8)
            return True
        return False

    def headline_widget(self) -> Static:
        return HeadlineText("computing the course of conduct…", id="headline", classes="headline")

    def narrow(self) -> bool:
        """Whether the terminal is narrower than :data:`NARROW_WIDTH` (compact footer, short key labels)."""
        return self.app.size.width < NARROW_WIDTH

    def fit_footer(self) -> None:
        for footer in self.query(Footer):
            footer.compact = self.narrow()
        self.refresh_bindings()

    def on_resize(self, event: events.Resize) -> None:
        self.fit_footer()

    async def on_mount(self) -> None:
        self.fit_footer()
        await self.reload()

    async def on_screen_resume(self) -> None:
        self.fit_footer()
        self.atlas.fit_header()  # a screen hidden while the terminal was resized: its header was fitted to the old size
        if self.seen is not None and self.seen != self.review.generation():
            await self.reload()

    @guarded
    async def reload(self) -> None:
        self.seen = self.review.generation()
        self.run_worker(self._headline, thread=True, group="headline", exclusive=True, exit_on_error=False)
        await self.load()

    async def load(self) -> None:
        """Fill the screen from :attr:`review` (override)."""

    def _headline(self) -> None:
        h = self.review.headline()
        self.app.call_from_thread(self._show_headline, h)

    def _show_headline(self, h: Headline) -> None:
        for w in self.query("#headline").results(Static):
            w.update(headline_text(h))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            err = event.worker.error
            self.app.notify(f"{type(err).__name__}: {err}", severity="error", timeout=10)
