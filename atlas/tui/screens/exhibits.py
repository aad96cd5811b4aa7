"""Exhibits and notes: what the officer tagged (events and findings, numbered with the
case prefix), their notes and bookmarks; ``u`` untags (asks first), ``w`` writes the
reports (statement, schedule, HTML) from the workbench."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import polars as pl
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Header, Static

from atlas.decisions.naming import HANDLE_HEADER, note_about_name, tagged_item_name
from atlas.tui.base import AtlasFooter, ReviewScreen, guarded
from atlas.tui.widgets import DecisionPrompt, FrameTable, ask


class ExhibitsScreen(ReviewScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "untag", "Untag…"),
        Binding("w", "write_reports", "Write reports…"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.headline_widget()
        yield Static(id="exhibits-caption", classes="caption")
        yield Vertical(id="exhibits-box")
        yield Static(id="notes-caption", classes="caption")
        yield Vertical(id="notes-box")
        yield AtlasFooter()

    async def load(self) -> None:
        from atlas.decisions.exhibits import tagged
        from atlas.decisions.notes import bookmarks, notes

        self.sub_title = "Exhibits, notes and bookmarks"
        case = self.review.case
        items = tagged(case)
        ns = notes(case)
        # the findings' names, built once for every tag and note (no analysis when none is about a finding)
        names = (self.review.finding_names() if any(e.kind != "event" for e in items)
                 or any(n.about.startswith("finding:") for n in ns) else None)
        # an item named as people read it (a record by its exhibit, a finding by its time and records); the
        # handle `atlas exhibit untag` takes last (a record's is its store id: untag it here, with u)
        ex = pl.DataFrame(
            [{"exhibit": e.reference, "kind": e.kind, "item": tagged_item_name(self.review, e, names),
              "description": e.description, "note": e.note, "tagged by": e.tagged_by, "at": e.tagged_at,
              HANDLE_HEADER: "" if e.kind == "event" else e.target, "_target": e.target} for e in items],
            schema={"exhibit": pl.String, "kind": pl.String, "item": pl.String, "description": pl.String,
                    "note": pl.String, "tagged by": pl.String, "at": pl.String, HANDLE_HEADER: pl.String,
                    "_target": pl.String})
        marks = bookmarks(case)
        # notes counted 1, 2, 3 as a person counts them (the first read "4", its ledger sequence, kept as data);
        # who and when before the note, whose text is the long cell the table cuts (at 120 columns it cut "by")
        nf = pl.DataFrame(
            [{"#": i, "about": note_about_name(self.review, n.about, names),
              "by": n.by, "at (UK)": self.review.uk_seconds(n.at), "note": n.text, "_ledger_seq": n.seq}
             for i, n in enumerate(ns, start=1)]
            + [{"#": None, "about": self.review.record_ref(b), "by": "", "at (UK)": "", "note": "(bookmark)",
                "_ledger_seq": None} for b in marks],
            schema={"#": pl.Int64, "about": pl.String, "by": pl.String, "at (UK)": pl.String, "note": pl.String,
                    "_ledger_seq": pl.Int64})
        self.query_one("#exhibits-caption", Static).update(
            f"{len(items)} tagged exhibit(s), numbered with the prefix {case.manifest.exhibit_prefix} (never reused). "
            "u untags; w writes the reports.")
        self.query_one("#notes-caption", Static).update(f"{len(ns)} note(s), {len(marks)} bookmark(s)")
        for box_id, frame, tid in (("#exhibits-box", ex, "exhibits"), ("#notes-box", nf, "notes")):
            box = self.query_one(box_id, Vertical)
            await box.remove_children()
            # an item's name ends with its UK time (``…, 07/03/2026 11:20 GMT``): wide enough to keep it whole
            await box.mount(FrameTable(frame, id=tid, max_width=72))
        self.query_one("#exhibits", FrameTable).focus()

    @guarded
    async def action_untag(self) -> None:
        row = self.query_one("#exhibits", FrameTable).current()
        if row is None:
            self.notify("No exhibit selected", severity="warning")
            return
        from atlas.decisions.exhibits import untag

        target = str(row["_target"])
        prompt = DecisionPrompt(f"Untag exhibit {row['exhibit']}", f"{row['exhibit']}  {row['item']}  {row['description']}",
                                note_required=True, officer=self.review.case.officer().label)
        await ask(self.app, prompt, lambda note: self.atlas.record(
            lambda: untag(self.review.case, target, note=note), f"{row['exhibit']} untagged"))

    @guarded
    async def action_write_reports(self) -> None:
        out = self.review.case.outputs
        prompt = DecisionPrompt("Write the reports", f"statement draft, exhibit schedule and HTML report into {out}",
                                note_required=False, officer=self.review.case.officer().label, ask_note=False,
                                button="Write the reports")
        await ask(self.app, prompt, lambda _: self._write(out))

    def _write(self, out: Path) -> None:
        self.notify(f"Writing the reports to {out}…")
        self.run_worker(lambda: self._build(out), thread=True, group="reports", exclusive=True, exit_on_error=False)

    def _build(self, out: Path) -> None:
        from reports.build import build_reports

        result = build_reports(self.review.case, out, as_of=self.review.as_of)
        paths = ", ".join(str(p.name) for p in result.paths.values())
        self.app.call_from_thread(self.notify, f"Wrote {paths} to {out}", timeout=10)
