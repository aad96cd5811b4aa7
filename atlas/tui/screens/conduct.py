"""The reviewer's view: the s2A clock, incidents, threat and behaviour candidates in
context (``c`` confirm, ``x`` dismiss, ``o`` re-open: each asks first, with a note),
breaches and possible breaches, co-locations (counted and possible; ``c``/``x``/``o`` decide a
possible co-location or a possible breach the same way) and gaps; Enter on any row opens its source records
(with the row whole above them: the table cuts long cells), ``t`` tags
the finding as an exhibit. Everything is recomputed from the ledger after a decision."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import polars as pl
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, Static, TabbedContent, TabPane
from textual_fastdatatable import DataTable

from atlas.decisions.naming import HANDLE_HEADER, breach_name, candidate_name, colocation_name, headed
from atlas.review import Review
from atlas.tui import views
from atlas.tui.base import AtlasFooter, ReviewScreen, guarded
from atlas.tui.clock import clock_text as clock_text  # the verdict panel, also imported from here
from atlas.tui.clock import sub_title
from atlas.tui.tabs import tab_strip
from atlas.tui.widgets import DecisionPrompt, FrameTable, RecordsView, ask

VERB: dict[str, str] = {"confirmed": "Confirm", "dismissed": "Dismiss", "open": "Re-open"}
"""The prompt's title word for each decision (threats, co-locations, breaches)."""

TABS: dict[str, tuple[str, Callable[[Review], pl.DataFrame]]] = {
    "incidents": ("Incidents", views.incidents_frame),
    "candidates": ("Threats & behaviours", views.candidates_frame),
    "breaches": ("Breaches", views.breaches_frame),
    "possible-breaches": ("Possible breaches", views.possible_breaches_frame),
    "colocations": ("Co-location", views.colocations_frame),
    "gaps": ("Gaps", views.gaps_frame),
    "warnings": ("Warnings", views.warnings_frame),
}
WIDTH: dict[str, int] = {"warnings": 150}
"""A tab's widest column where 60 characters would hide most of it (Enter on a warning shows it whole)."""


TAB_KEYS = Binding.Group("tabs", compact=True)
SHORT_HEIGHT = 30
"""Below this many rows the clock's box is three lines high (it scrolls)."""


class ConductScreen(ReviewScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_records", "Records"),
        Binding("c", "decide('confirmed')", "Confirm…"),
        Binding("x", "decide('dismissed')", "Dismiss…"),
        Binding("o", "decide('open')", "Re-open…"),
        Binding("t", "tag", "Tag finding…"),
        Binding("t", "tag_short", "Tag…"),  # the same, its label short below NARROW_WIDTH (check_action)
        # the tabs by key (they were reached only by the mouse or by tabbing onto the tab strip): one footer group
        Binding("left_square_bracket", "next_tab(-1)", "Previous tab", group=TAB_KEYS),
        Binding("right_square_bracket", "next_tab(1)", "Next tab", group=TAB_KEYS),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.frames: dict[str, pl.DataFrame] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.headline_widget()
        yield Static("Analysing the course of conduct…", id="clock")
        s4a = Static("", id="s4a")  # outside the clock's scrolling box: always in view
        s4a.display = False  # until the analysis has counted the occasions
        yield s4a
        with TabbedContent(id="tabs"):
            for key, (label, _) in TABS.items():
                with TabPane(label, id=f"tab-{key}"):
                    yield FrameTable(pl.DataFrame({"": []}, schema={"": pl.String}), id=key, max_width=WIDTH.get(key, 60))
        yield AtlasFooter()

    async def load(self) -> None:
        self.sub_title = "Course of conduct, time limit, candidates, breaches (decision support, not legal advice)"
        self.run_worker(self._compute, thread=True, group="conduct", exclusive=True, exit_on_error=False)

    def _compute(self) -> None:
        result = self.review.conduct()
        frames = {key: build(self.review) for key, (_, build) in TABS.items()}
        count = result.occasion_count  # the one count every output renders
        clock = clock_text(result, warnings=False)
        s4a = "" if count is None else (
            f"[b]s4A[/b] threat occasions: {count.confirmed} confirmed by an officer"
            + (f" ({count.named} whose words name the victim)" if count.confirmed else "") + f", {count.pending} more "
            f"awaiting a decision (≥ {count.threshold} matters; "
            f"{'met' if count.met else 'met if confirmed' if count.met_if_confirmed else 'not met'})")
        title = sub_title(result)
        # exit_on_error False: a failure is a message (on_worker_state_changed), never the workbench stopping; a show
        # still mounting tables when the officer quits (the screen torn down under it) raised NoMatches and stopped the app
        self.app.call_from_thread(lambda: self.run_worker(self._show(frames, clock, s4a, title), group="show",
                                                          exclusive=True, exit_on_error=False))

    async def _show(self, frames: dict[str, pl.DataFrame], clock: str, s4a: str, title: str) -> None:
        self.frames = frames
        self.sub_title = title
        self.query_one("#clock", Static).update(clock)
        line = self.query_one("#s4a", Static)
        line.update(s4a)
        line.display = bool(s4a)
        for key, frame in frames.items():
            # the pane's table whatever state a cancelled show left it in: a newer show (exclusive) cancels this one
            # at an await, and one cancelled between removing a table and mounting its new one left the pane empty,
            # so the next show's query for it raised NoMatches (a decision made while the last one's tables mounted)
            pane = self.query_one(f"#tab-{key}", TabPane)
            row = -1
            for old in list(pane.query(FrameTable)):
                row = max(row, old.cursor_row)
                await old.remove()
            new = FrameTable(frame, id=key, max_width=WIDTH.get(key, 60))
            await pane.mount(new)
            if 0 <= row < frame.height:
                new.put_cursor(row)
            if not self.is_attached:  # the app is closing: nothing to show
                return
        self.fit_tabs()

    def fit_tabs(self) -> None:
        """Every tab's label fitted to the terminal (:func:`atlas.tui.tabs.tab_strip`): all seven in sight, with
        their counts, where the full labels ran off an 80- or 100-column screen."""
        for tabs in self.query("#tabs").results(TabbedContent):
            counts = {key: frame.height for key, frame in self.frames.items()} if self.frames else None
            active = (tabs.active or "tab-incidents").removeprefix("tab-")
            strip = tab_strip(counts, self.size.width or self.app.size.width, active)
            tabs.set_class(strip.tight, "-tight")
            for key, label in strip.labels.items():
                tab = tabs.get_tab(f"tab-{key}")
                if str(tab.label) != label:
                    tab.label = label

    def fit_footer(self) -> None:
        """On a short terminal (under :data:`SHORT_HEIGHT` rows) the clock's box scrolls at three lines: at 80x24 its
        eleven left the tables one row. Its first line is the verdict; the headline above has the dates."""
        super().fit_footer()
        self.fit_tabs()
        for clock in self.query("#clock").results(Static):
            clock.styles.max_height = 11 if self.app.size.height >= SHORT_HEIGHT else 5

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``t`` is bound twice, its label long (wide) or short (narrow): one is live, so q Quit stays in the footer."""
        if action in ("tag", "tag_short"):
            return (action == "tag_short") == self.narrow()
        return True

    async def action_tag_short(self) -> None:
        await self.action_tag()

    def action_next_tab(self, step: int) -> None:
        """Show the next (``step`` 1) or previous (-1) tab, around the ends, with its table focused."""
        tabs = self.query_one("#tabs", TabbedContent)
        keys = list(TABS)
        key = (tabs.active or "tab-incidents").removeprefix("tab-")
        new = keys[(keys.index(key) + step) % len(keys)]
        tabs.active = f"tab-{new}"
        self.query_one(f"#{new}", FrameTable).focus()

    @on(TabbedContent.TabActivated)
    def _tab_in_view(self, event: TabbedContent.TabActivated) -> None:
        """The active tab's label whole in the strip: at 80 columns the strip is wider than the screen, and Textual
        scrolled it by the labels' widths before their counts were added, so "Warnings (5)" showed as "W"."""
        tab = event.tab
        self.fit_tabs()  # where the strip overflows, the active tab says its place ("3/7")
        self.call_after_refresh(lambda: tab.scroll_visible(animate=False, immediate=True))

    def _active(self) -> tuple[str, FrameTable]:
        pane = self.query_one("#tabs", TabbedContent).active or "tab-incidents"
        key = pane.removeprefix("tab-")
        return key, self.query_one(f"#{key}", FrameTable)

    @on(DataTable.RowSelected)
    async def _selected(self) -> None:
        await self.action_open_records()

    @guarded
    async def action_open_records(self) -> None:
        key, table = self._active()
        row = table.current()
        if row is None:
            self.notify("No row selected", severity="warning")
            return
        if key == "warnings":  # read whole: a warning is longer than its column
            self.notify(str(row.get("warning") or ""), title=f"Warning {row.get('#')}", timeout=30)
            return
        ids = [str(e) for e in row.get("_event_ids") or []]
        if not ids:
            self.notify("This row has no records of its own (a gap between incidents, or a warning)")
            return
        whole = "  ·  ".join(f"{k}: {v}" for k, v in row.items() if not k.startswith("_"))  # cut in the table
        self.app.push_screen(RecordsView(f"{TABS[key][0]}: the records of this row",
                                         views.records_frame(self.review, ids), self.atlas.record_text, about=whole))

    @guarded
    async def action_decide(self, state: str) -> None:
        key, table = self._active()
        if key == "colocations":
            await self._decide_colocation(table, state)
            return
        if key == "possible-breaches":
            await self._decide_breach(table, state)
            return
        if key != "candidates":
            self.notify("Confirm / dismiss applies to threat and behaviour candidates, possible co-locations and "
                        "possible breaches (their tabs)", severity="warning")
            return
        row = table.current()
        if row is None:
            self.notify("No candidate selected", severity="warning")
            return
        from atlas.decisions.candidates import candidates_from, decide_candidate, find_candidate

        cid = str(row["_id"])
        # named by what it is (its record and UK time); the handle only after, for the officer's commands
        name = candidate_name(str(row["kind"]), str(row["record"]), str(row["when (UK)"]))
        current = find_candidate(candidates_from(self.review.conduct(), self.review.case), cid)
        if self.nothing_to_reopen(headed(name), current.state, state):
            return
        verb = VERB[state]
        subject = (f"{row['kind']} (tier {row['tier']})  {row['when (UK)']}  {row['record']}\n"
                   f"in context: {row['in context']}\nnow: {row['state']}\nhandle (atlas threats): {cid}")

        def record(note: str) -> object:
            cand = find_candidate(candidates_from(self.review.conduct(), self.review.case), cid)
            return decide_candidate(self.review.case, cand, state, note=note)  # type: ignore[arg-type]

        keys = [(current.kind, current.event_id)] + [(current.kind, e) for e in current.event_ids
                                                     if e != current.event_id]
        prompt = DecisionPrompt(f"{verb} {name}", subject, note_required=state != "open",
                                impact=lambda: self.review.decision_impact(keys, state, f"{verb.lower()} {name}").text(),
                                officer=self.review.case.officer().label)
        await ask(self.app, prompt, lambda note: self.atlas.record(lambda: record(note), f"{name}: {state}"))

    async def _decide_colocation(self, table: FrameTable, state: str) -> None:
        """Confirm, dismiss or re-open the possible co-location under the cursor: the prompt names it,
        shows its basis and what confirming it changes, and asks for the note (required to confirm or
        dismiss); the officer is the case's or ``--officer``."""
        row = table.current()
        if row is None:
            self.notify("No co-location selected", severity="warning")
            return
        cid = str(row.get("_id") or "")
        if not cid:
            self.notify("This co-location is measured (counted on the data): there is nothing to decide",
                        severity="warning")
            return
        from atlas.decisions.colocations import colocation_impact, decide_colocation, find_colocation
        from atlas.review import uk_date

        verb = VERB[state]
        result = self.review.conduct()
        item = find_colocation(result.colocation_reviews, cid)
        name = colocation_name(item.colocation.place, item.colocation.kind, str(row["start (UK)"]))
        if self.nothing_to_reopen(headed(name), item.state, state):
            return
        effect = (f"confirming it adds an incident on {uk_date(item.day)} (it is a day with no other incident)"
                  if item.new_day else "confirming it adds no new incident day")
        subject = (f"possible co-location  {row['start (UK)']}  {item.where}  closest {row['closest']}  (handle {cid})\n"
                   f"now: {item.status}\n{effect}; a confirmed one is always shown as confirmed by you, never as "
                   f"measured\naccuracy (his / hers): {' / '.join(item.accuracy)}\nbasis: {item.basis}\n"
                   f"records (his / hers): {item.records_by_exhibit()} (Enter on the row lists every record)")

        await self._ask_reviewed(f"{verb} {name}", name, state, subject,
                                 lambda: find_colocation(self.review.conduct().colocation_reviews, cid),
                                 decide_colocation,
                                 impact=lambda: colocation_impact(self.review, item, state).text())  # type: ignore[arg-type]

    async def _ask_reviewed(self, title: str, iid: str, state: str, subject: str, fresh: Callable[[], Any],
                            decide: Callable[..., object], impact: Callable[[], str] | None = None) -> None:
        """The decision prompt of a reviewed possible item (:mod:`atlas.conduct.reviewed`): the note is
        required to confirm or dismiss; the item is found again when the officer commits (the analysis
        may have run since), then decided."""
        def record(note: str) -> object:
            return decide(self.review.case, fresh(), state, note=note)

        prompt = DecisionPrompt(title, subject, note_required=state != "open", impact=impact,
                                officer=self.review.case.officer().label)
        await ask(self.app, prompt, lambda note: self.atlas.record(lambda: record(note), f"{iid}: {state}"))

    async def _decide_breach(self, table: FrameTable, state: str) -> None:
        """Confirm, dismiss or re-open the possible breach under the cursor: the prompt names it, shows
        its basis and what confirming it changes, and asks for the note (required to confirm or dismiss)."""
        row = table.current()
        if row is None:
            self.notify("No possible breach selected", severity="warning")
            return
        bid = str(row.get("_id") or "")
        from atlas.decisions.breaches import decide_breach, find_breach

        verb = VERB[state]
        item = find_breach(self.review.conduct().breach_reviews, bid)
        name = breach_name(item.order, item.place, str(row["from (UK)"]))
        if self.nothing_to_reopen(headed(name), item.state, state):
            return
        subject = (f"possible breach of order {item.order}  {row['from (UK)']}  {item.place}  closest "
                   f"{row['closest']} from its centre  (handle {bid})\nnow: {item.status}\nconfirming it: a breach of the order; "
                   f"{item.effect}; a confirmed one is always shown as confirmed by you, never as measured\n"
                   f"why possible only: {item.possible.certainty}\nbasis: {item.basis}\n"
                   f"records: {item.records_by_exhibit()} (Enter on the row lists every record)")

        keys = [(item.REVIEW_KIND.subject, item.key)]
        await self._ask_reviewed(f"{verb} {name}", name, state, subject,
                                 lambda: find_breach(self.review.conduct().breach_reviews, bid), decide_breach,
                                 impact=lambda: self.review.decision_impact(keys, state, f"{verb.lower()} {name}").text())

    @guarded
    async def action_tag(self) -> None:
        _key, table = self._active()
        row = table.current()
        if row is None:
            self.notify("No row selected", severity="warning")
            return
        from atlas.decisions.exhibits import tag

        finding = str(row.get("_finding") or f"candidate:{row.get('_id')}")
        text = "  ".join(f"{k}: {v}" for k, v in row.items() if not k.startswith("_"))
        # the description people read in the exhibit lists: the row's words without its command handle
        described = "  ".join(f"{k}: {v}" for k, v in row.items() if not k.startswith("_") and k != HANDLE_HEADER)
        prompt = DecisionPrompt("Tag this finding as an exhibit", text, note_required=True,
                                officer=self.review.case.officer().label)
        await ask(self.app, prompt, lambda note: self.atlas.record(
            lambda: tag(self.review.case, f"finding:{finding}", note=note, description=described[:120]), "tagged as exhibit"))
