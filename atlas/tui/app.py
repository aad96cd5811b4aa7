"""The Atlas review app: one screen per view, switched with single keys.

Screens are built lazily the first time they are shown, so opening a large case
costs only the timeline.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from atlas.store import Case
from atlas.tui.screens.conduct import ConductScreen
from atlas.tui.screens.people import PeopleScreen
from atlas.tui.screens.sources import SourcesScreen
from atlas.tui.screens.timeline import TimelineScreen
from atlas.tui.screens.triage import TriageScreen


class AtlasApp(App[None]):
    CSS_PATH = "atlas.tcss"
    TITLE = "Atlas"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "show('timeline')", "Timeline"),
        Binding("2", "show('people')", "People"),
        Binding("3", "show('conduct')", "Clock & conduct"),
        Binding("4", "show('sources')", "Sources"),
        Binding("5", "show('triage')", "Triage & requests"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, case_dir: Path, as_of: date | None = None) -> None:
        super().__init__()
        self.case = Case.open(case_dir)
        self.as_of = as_of
        self._screens: dict[str, Screen[None]] = {}

    def _make(self, name: str) -> Screen[None]:
        if name == "timeline":
            return TimelineScreen(self.case)
        if name == "sources":
            return SourcesScreen(self.case)
        if name == "people":
            return PeopleScreen(self.case)
        if name == "conduct":
            return ConductScreen(self.case, self.as_of)
        if name == "triage":
            return TriageScreen(self.case, self.as_of)
        raise KeyError(name)

    def on_mount(self) -> None:
        self.action_show("timeline")

    def action_show(self, name: str) -> None:
        if name not in self._screens:
            self._screens[name] = self._make(name)
            self.install_screen(self._screens[name], name=name)
        self.switch_screen(name) if self.screen_stack and len(self.screen_stack) > 1 else self.push_screen(name)
