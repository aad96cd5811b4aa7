"""The case at a glance: sources with their exhibit numbers and accounting, parties,
orders, the s2A clock with its verdict, and the headline counts."""

from __future__ import annotations

import polars as pl
from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, Static

from atlas.review import uk_date
from atlas.tui.base import AtlasFooter, ReviewScreen
from atlas.tui.views import source_number
from atlas.tui.widgets import FrameTable


class OverviewScreen(ReviewScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield self.headline_widget()
        with Horizontal(id="overview-top"):
            yield Static(id="case-box")
            yield Static("s2A clock: computing…", id="clock")
        yield Static(id="sources-caption", classes="caption")
        yield FrameTable(self._sources(), id="sources")
        with VerticalScroll(id="parties-box"):
            yield Static(id="parties")
        yield AtlasFooter()

    def _sources(self) -> pl.DataFrame:
        refs = self.review.source_refs()
        s = self.case_sources()
        # the owner as people know them (the party's name, as the Timeline names a sender); its identifier
        # beside, after the accounting (which handset or account); an identifier no party uses is shown as it is
        owners = {uri: names.get(pid, pid) for uri, pid in self.review.identity_map().items()
                  for names in (self.review.case.manifest.party_names(),)}
        owner = pl.col("owner").replace_strict(list(owners), list(owners.values()), default=pl.col("owner"),
                                               return_dtype=pl.String)
        return s.sort(source_number(self.review)).select(  # the exhibit numbers as data, not read out of "JA/7"
            pl.col("source_id").replace_strict(list(refs), list(refs.values()), default="").alias("exhibit"),
            pl.col("name").alias("file"), pl.col("parser"), owner.fill_null("").alias("owner"),
            pl.col("records_read").alias("read"), pl.col("events"), pl.col("rejects"),
            pl.when(pl.col("records_read") == pl.col("events") + pl.col("rejects")).then(pl.lit("yes"))
            .otherwise(pl.lit("NO")).alias("read = events + rejects"),
            pl.col("owner").fill_null("").alias("owner's identifier"),
            pl.col("sha256").str.slice(0, 16).alias("sha256 (first 16)"),
        )

    def case_sources(self) -> pl.DataFrame:
        return self.review.case.sources()

    async def load(self) -> None:
        case = self.review.case
        m = case.manifest
        # no screen title of its own: the app's names the officer deciding (atlas.tui.header), as on every screen
        self.sub_title = "Case overview"
        self.query_one("#case-box", Static).update(
            f"[b]{escape(m.reference)}[/b]\nofficer in the case: {escape(m.officer)}\n"
            f"deciding now: {escape(case.officer().label)}\nexhibit prefix: {escape(m.exhibit_prefix)}\n"
            f"zone: {escape(m.timezone)}; as of: {uk_date(self.review.as_of) if self.review.as_of else 'today'}")
        s = self.case_sources()
        self.query_one("#sources-caption", Static).update(
            f"{s.height} source(s); {int(s.get_column('events').sum() or 0):,} events; "
            "each source is an exhibit, numbered in the order it was received" if s.height else
            # an empty case said only "0 source(s); 0 events" and every screen was empty, with no word of why
            "No source has been ingested, so every screen is empty: run `atlas ingest CASE_DIR FILES...` (q quits)")
        lines = ["[b]Parties[/b]"]
        for p in m.parties:
            lines.append(f"  {escape(p.id)} ({p.role}) {escape(p.name)}: {len(p.identifiers)} identifier(s) in case.toml")
        lines.append("[b]Orders[/b]" if m.orders else "[b]Orders[/b]: none in case.toml")
        for o in m.orders:
            lines.append(f"  {escape(o.label)}: against {o.against}, protects {o.protects}, from "
                         f"{self.review.uk(o.start)}{' to ' + self.review.uk(o.end) if o.end else ''}"
                         f"{'; no contact' if o.no_contact else ''}"
                         f"{'; exclusion: ' + ', '.join(o.exclusion_zones) if o.exclusion_zones else ''}")
        self.query_one("#parties", Static).update("\n".join(lines))
        self.run_worker(self._clock, thread=True, group="clock", exclusive=True, exit_on_error=False)

    def _clock(self) -> None:
        from atlas.tui.clock import clock_text, sub_title

        result = self.review.conduct()
        text, title = clock_text(result, warnings=False, rule=False), sub_title(result)

        def show() -> None:
            self.query_one("#clock", Static).update(text)
            self.sub_title = f"Case overview · {title}"

        self.app.call_from_thread(show)
