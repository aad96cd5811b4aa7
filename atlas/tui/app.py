"""The Atlas workbench: review a case, decide, and see every view follow the decision.

One :class:`~atlas.review.Review` serves every screen (the same recomputation path as
the command line): after any decision each screen reloads when it is next shown (it
compares the ledger's generation), the current one at once. Screens are Textual modes,
switched with the number keys or the command palette (ctrl+p); the footer shows the keys
of the screen in front. Decisions are only ever made through the prompt
(:class:`~atlas.tui.widgets.DecisionPrompt`), in the name of the officer of case.toml or
``--officer``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header
from textual.widgets._header import HeaderTitle

from atlas.review import Review
from atlas.store import Case
from atlas.store.officer import SESSION_OFFICER
from atlas.tui.base import TIGHT_WIDTH
from atlas.tui.frames import short_uri
from atlas.tui.header import SEPARATOR, header_words
from atlas.tui.screens.conduct import ConductScreen
from atlas.tui.screens.conversations import ConversationScreen
from atlas.tui.screens.exhibits import ExhibitsScreen
from atlas.tui.screens.overview import OverviewScreen
from atlas.tui.screens.people import PeopleScreen
from atlas.tui.screens.sources import SourcesScreen
from atlas.tui.screens.timeline import TimelineScreen
from atlas.tui.screens.triage import TriageScreen

SCREENS_BY_KEY: dict[str, tuple[str, str, type[Screen[Any]]]] = {
    "1": ("overview", "Overview", OverviewScreen),
    "2": ("timeline", "Timeline", TimelineScreen),
    "3": ("conversations", "Conversations", ConversationScreen),
    "4": ("people", "People", PeopleScreen),
    "5": ("conduct", "Conduct", ConductScreen),
    "6": ("exhibits", "Exhibits", ExhibitsScreen),
    "7": ("sources", "Sources", SourcesScreen),
    "8": ("triage", "Triage", TriageScreen),
}


SCREEN_KEYS = Binding.Group("screens", compact=True)
"""The screen keys as one footer group; the palette that lists them by name is at the footer's right (^p palette):
saying "(ctrl+p lists them)" too cost 20 columns, and q Quit was cut at 100 (People) and 120 (Conduct)."""
NAMED_KEYS_WIDTH = 200
"""Below this many columns the footer shows the screen keys as one group (``12345678 screens``):
with each screen named, a laptop's 120 columns cut the footer at "4 P" and hid 5-8 and q Quit."""


class AtlasApp(App[None]):
    CSS_PATH = "atlas.tcss"
    TITLE = "Atlas"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        name: cls for name, _, cls in SCREENS_BY_KEY.values()
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(key, f"show('{name}')", label) for key, (name, label, _) in SCREENS_BY_KEY.items()),
        *(Binding(key, f"go('{name}')", label, group=SCREEN_KEYS) for key, (name, label, _) in SCREENS_BY_KEY.items()),
        # below TIGHT_WIDTH one key reads "1-8 screens" (the group's "12345678 screens" cut q Quit at 80 columns)
        *(Binding(key, f"jump('{name}')", "screens", key_display="1-8", show=key == "1")
          for key, (name, _, _) in SCREENS_BY_KEY.items()),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, case_dir: Path, *, as_of: date | None = None, officer: str | None = None) -> None:
        super().__init__()
        case = Case.open(case_dir, officer=officer if officer is not None else SESSION_OFFICER.get())
        case.officer()  # a malformed --officer fails before the screen opens
        self.review = Review(case, as_of=as_of)
        self.case = case

    def on_mount(self) -> None:
        self.title = f"Atlas: {self.case.manifest.reference}  ·  deciding: {self.case.officer().label}"
        self.switch_mode("overview")

    def format_title(self, title: str, sub_title: str) -> Content:
        """The header fitted to the terminal (:func:`atlas.tui.header.header_words`): the officer deciding is never
        cut (at 80 columns the header read "deciding: DC 0000 Jo An…"). Made from the case and the officer, not by
        cutting ``title`` (our own sentence)."""
        words = header_words(self.case.manifest.reference, self.case.officer().label, sub_title, self.size.width)
        if not words.sub_title:
            return Content(words.title)
        return Content.assemble(Content(words.title), (SEPARATOR, "dim"), Content(words.sub_title).stylize("dim"))

    def action_show(self, name: str) -> None:
        if self.current_mode != name:
            self.switch_mode(name)

    def action_go(self, name: str) -> None:
        """The same as :meth:`action_show`: the screen keys as the narrow footer groups them."""
        self.action_show(name)

    def action_jump(self, name: str) -> None:
        """The same as :meth:`action_show`: the screen keys as the tight footer (80 columns) shows them."""
        self.action_show(name)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Each screen key is bound three times, named (wide terminal), grouped (narrow) and as one "1-8" (tight):
        one is live."""
        width = self.size.width
        if action in ("show", "go", "jump"):
            live = "show" if width >= NAMED_KEYS_WIDTH else "go" if width >= TIGHT_WIDTH else "jump"
            return action == live
        return True

    def on_resize(self) -> None:
        self.refresh_bindings()
        # the header fitted again (Textual redoes it only on a new title), once the app has its new size: here it still
        # had the old one, and a header fitted at 120 columns stayed cut at 80
        self.call_after_refresh(self.fit_header)

    def fit_header(self) -> None:
        """The header of the screen in front fitted to the terminal (:meth:`format_title`)."""
        for header in self.screen.query(Header):
            for title in header.query(HeaderTitle):
                title.update(header.format_title())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key, (name, label, _) in SCREENS_BY_KEY.items():
            yield SystemCommand(f"Go to {label}", f"Show the {label.lower()} screen (key {key})",
                                lambda n=name: self.action_show(n))
        yield SystemCommand("Write the reports", "Statement draft, exhibit schedule and HTML report (Exhibits screen, w)",
                            self._write_reports)

    def _write_reports(self) -> None:
        self.action_show("exhibits")
        self.call_later(lambda: self.screen.run_action("write_reports"))

    async def record(self, decide: Callable[[], object], message: str) -> None:
        """Record a decision the officer confirmed in a prompt, then bring every view up to date."""
        try:
            decide()
        except Exception as exc:  # a refused decision is a message, never a crash
            self.notify(f"Not recorded: {exc}", severity="error", timeout=10)
            return
        self.review.refresh()
        self.notify(f"{message} (recorded in the ledger and the audit log as {self.case.officer().label})")
        screen = self.screen
        reload = getattr(screen, "reload", None)
        if reload is not None:
            await reload()

    def party_text(self, uri: str) -> str:
        """An identifier as the Timeline names it: ``Daniel Sample (suspect)  tel:+447700900002`` (the party's
        name and id, the identifier beside it); the identifier alone (``short_uri``) when no party uses it."""
        shown = short_uri(uri, self.review.source_refs())
        pid = self.review.identity_map().get(uri)
        if pid is None:
            return shown
        return f"{self.case.manifest.party_names().get(pid, pid)} ({pid})  {shown}"

    def record_text(self, event_id: str) -> str:
        """Everything the store knows about one record, named by its exhibit."""
        row = self.case.events().filter(pl.col("event_id") == event_id).collect()
        ref = self.review.record_ref(event_id)
        if row.height == 0:
            return f"{ref}: not in the store"
        r = row.row(0, named=True)
        src = self.case.sources().filter(pl.col("source_id") == r["source_id"])
        s = src.row(0, named=True) if src.height else {}
        lines = [
            f"record      {ref}",
            f"source      {s.get('name', '?')}  ({s.get('parser', '?')} {s.get('parser_version', '')}; "
            f"sha256 {str(s.get('sha256', '?'))[:16]}…)",
            f"time        {self.review.uk_seconds(r['ts_utc'])}  (UTC {r['ts_utc']}; basis {r['ts_basis']}; as written {r['ts_raw']!r})",
            f"kind        {r['kind']} / {r['channel']} / {r['direction']}   status: {r['status'] or '-'}   deleted: {r['deleted']}",
            # the party as the Timeline names it, the identifier beside it; a display name by exhibit
            # ('Dan (name in JA/7)'), never its store key
            f"from        {self.party_text(r['sender']) if r['sender'] else '-'}",
            f"to          {'; '.join(self.party_text(u) for u in r['recipients'] or []) or '-'}",
        ]
        if r["duration_s"] is not None:
            lines.append(f"duration    {r['duration_s']} s")
        if r["lat"] is not None:
            lines.append(f"position    {r['lat']:.6f}, {r['lon']:.6f}  ± {r['accuracy_m'] or '?'} m")
        if r["cell_id"]:
            lines.append(f"cell        {r['cell_id']}")
        if r["attachments"]:
            lines.append(f"attachments {'; '.join(r['attachments'])}")
        if r["text"]:
            lines.append(f"text        {r['text']}")
        return "\n".join(lines)
