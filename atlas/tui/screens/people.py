"""People and aliases: who uses which identifier, on what evidence, and the review queue.

Proposals are decided here with single keys (``c`` confirm, ``x`` reject, ``o`` re-open);
each decision goes through :func:`atlas.identity.decide`, so it is audited exactly as
``atlas confirm`` / ``atlas reject`` would be, and every analysis reads it next time.
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual_fastdatatable import ArrowBackend, DataTable

from atlas.identity import decide
from atlas.identity.people import people_view
from atlas.store import Case
from atlas.tui.frames import short_uri


def identifier_rows(view: dict[str, Any], source_names: dict[str, str] | None = None) -> pl.DataFrame:
    rows = [
        {"party": p["id"], "role": p["role"], "identifier": short_uri(i["uri"], source_names), "status": i["status"],
         "basis": i["basis"] or "", "strength": i["strength"] or "", "events": i["events"],
         "in confirmed results": "yes" if i["in_confirmed_results"] else "no (proposed only)"}
        for p in view["parties"] for i in p["identifiers"]
    ]
    schema = {"party": pl.String, "role": pl.String, "identifier": pl.String, "status": pl.String, "basis": pl.String,
              "strength": pl.String, "events": pl.Int64, "in confirmed results": pl.String}
    return pl.DataFrame(rows, schema=schema)


def link_rows(view: dict[str, Any], source_names: dict[str, str] | None = None) -> pl.DataFrame:
    order = {"proposed": 0, "confirmed": 1, "rejected": 2}
    links = sorted(view["links"], key=lambda lk: (order.get(lk["status"], 3), -(lk["score"] or 0), lk["link_id"]))
    rows = [
        {"link": lk["link_id"], "status": lk["status"], "strength": lk["strength"], "basis": lk["basis"],
         "a": short_uri(lk["a"], source_names), "b": short_uri(lk["b"], source_names),
         "score": "" if lk["score"] is None else f"{lk['score']:.2f}", "why": lk["reason"],
         "decided": f"{lk['decided_by'] or ''} {lk['decided_at'] or ''}".strip()}
        for lk in links
    ]
    schema = {k: pl.String for k in ("link", "status", "strength", "basis", "a", "b", "score", "why", "decided")}
    return pl.DataFrame(rows, schema=schema)


class PeopleScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "decide('confirmed')", "Confirm link"),
        Binding("x", "decide('rejected')", "Reject link"),
        Binding("o", "decide('proposed')", "Re-open link"),
    ]

    def __init__(self, case: Case) -> None:
        super().__init__()
        self.case = case
        self.links = pl.DataFrame()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="people-caption", classes="caption")
        yield Vertical(id="identifiers-box")
        yield Static("Links (proposed first). Select one and press c to confirm, x to reject, o to re-open.",
                     classes="caption")
        yield Vertical(id="links-box")
        yield Static(id="link-detail")
        yield Footer()

    async def on_mount(self) -> None:
        self.sub_title = "People and aliases (inferred links are never merged silently)"
        await self.refresh_view()

    async def refresh_view(self) -> None:
        view = people_view(self.case)
        names = dict(self.case.sources().select("source_id", "name").iter_rows())
        idents = identifier_rows(view, names)
        self.links = link_rows(view, names)
        decided = view["decided"]
        self.query_one("#people-caption", Static).update(
            f"{len(view['parties'])} parties; links: {decided['proposed']} awaiting review, {decided['confirmed']} confirmed, "
            f"{decided['rejected']} rejected. Findings use attributed + confirmed identifiers; proposed ones are shown separately."
        )
        for name, frame in (("identifiers", idents), ("links", self.links)):
            box = self.query_one(f"#{name}-box", Vertical)
            await box.remove_children()
            await box.mount(DataTable(backend=ArrowBackend(frame.to_arrow()), id=name, cursor_type="row",
                                      max_column_content_width=60))
        self.query_one("#links", DataTable).focus()

    def _current_link(self) -> str | None:
        table = self.query_one("#links", DataTable)
        row = table.cursor_row
        if self.links.height == 0 or not 0 <= row < self.links.height:
            return None
        return str(self.links.get_column("link")[row])

    @on(DataTable.RowHighlighted, "#links")
    def _show(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < self.links.height:
            r = self.links.row(event.cursor_row, named=True)
            self.query_one("#link-detail", Static).update(
                f"{r['link']}: {r['a']} ↔ {r['b']}\nbasis {r['basis']} ({r['strength']}), status {r['status']}"
                f"{', score ' + r['score'] if r['score'] else ''}\n{r['why']}"
            )

    async def action_decide(self, status: str) -> None:
        link_id = self._current_link()
        if link_id is None:
            self.notify("No link selected", severity="warning")
            return
        link = decide(self.case, link_id, status, note="decided in the Atlas TUI")  # type: ignore[arg-type]
        self.notify(f"{link.link_id}: {link.status} (audited)")
        await self.refresh_view()
