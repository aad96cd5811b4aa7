"""People and aliases: who uses which identifier, with basis, score and source records;
the links awaiting review. ``c`` confirm, ``x`` reject, ``o`` re-open: each opens a
prompt that names the link under the cursor, shows what the decision changes (incidents,
contacts, threat occasions, breaches, last incident, s2A deadline: before → after) and
asks for the note. Nothing is decided on a single key press."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import polars as pl
from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Header, Static
from textual_fastdatatable import DataTable

from atlas.decisions.naming import HANDLE_HEADER, handle_said, headed, link_name
from atlas.exhibits import PartyInfo, case_parties, side_label
from atlas.tui.base import AtlasFooter, ReviewScreen, guarded
from atlas.tui.frames import short_uri
from atlas.tui.widgets import DecisionPrompt, FrameTable, ask


def identifier_rows(view: dict[str, object], source_names: dict[str, str] | None = None) -> pl.DataFrame:
    rows = [
        {"party": p["id"], "role": p["role"], "identifier": short_uri(i["uri"], source_names), "status": i["status"],
         "basis": i["basis"] or "", "strength": i["strength"] or "", "events": i["events"],
         "in confirmed results": "yes" if i["in_confirmed_results"] else "no (proposed only)"}
        for p in view["parties"] for i in p["identifiers"]  # type: ignore[attr-defined]
    ]
    schema = {"party": pl.String, "role": pl.String, "identifier": pl.String, "status": pl.String, "basis": pl.String,
              "strength": pl.String, "events": pl.Int64, "in confirmed results": pl.String}
    return pl.DataFrame(rows, schema=schema)


def link_rows(view: dict[str, object], source_names: Mapping[str, str] | None = None,
              parties: Mapping[str, PartyInfo] | None = None) -> pl.DataFrame:
    """The links, each side as :func:`atlas.exhibits.side_label` shows it (a party by its name and role, never
    ``party:suspect``); the ledger's sides kept hidden (``_a``, ``_b``) to name the link in a decision."""
    order = {"proposed": 0, "confirmed": 1, "rejected": 2}
    links = sorted(view["links"], key=lambda lk: (order.get(lk["status"], 3), -(lk["score"] or 0), lk["link_id"]))  # type: ignore[call-overload]
    refs, named = source_names or {}, parties or {}
    rows = [
        {"a": side_label(refs, named, lk["a"]), "b": side_label(refs, named, lk["b"]), "_a": lk["a"], "_b": lk["b"],
         "status": lk["status"], "strength": lk["strength"], "basis": lk["basis"],
         "score": "" if lk["score"] is None else f"{lk['score']:.2f}", "why": lk["reason_shown"],
         "records": len(lk["support"]),
         "decided": f"{lk['decided_by'] or ''} {lk['note'] or ''}".strip(), HANDLE_HEADER: lk["link_id"],
         "_support": list(lk["support"])}
        for lk in links
    ]
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        **{k: pl.String for k in ("a", "b", "_a", "_b", "status", "strength", "basis", "score", "why")},
        "records": pl.Int64, "decided": pl.String, HANDLE_HEADER: pl.String, "_support": pl.List(pl.String)}
    return pl.DataFrame(rows, schema=schema)


_VERB = {"confirmed": "Confirm", "rejected": "Reject", "proposed": "Re-open"}


class PeopleScreen(ReviewScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "decide('confirmed')", "Confirm link…"),
        Binding("x", "decide('rejected')", "Reject link…"),
        Binding("o", "decide('proposed')", "Re-open link…"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.links = pl.DataFrame()

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.headline_widget()
        yield Static(id="people-caption", classes="caption")
        yield Vertical(id="identifiers-box")
        yield Static("Links (proposed first). c confirm, x reject, o re-open: each asks first, with its impact.",
                     classes="caption")
        yield Vertical(id="links-box")
        with VerticalScroll(id="link-detail"):
            yield Static(id="link-detail-text")
        yield AtlasFooter()

    async def load(self) -> None:
        self.sub_title = "People and aliases (inferred links are never merged silently)"
        view = self.review.people()
        names = self.review.source_refs()  # a name is shown with its exhibit (Dan (name in JA/7)), as everywhere
        idents = identifier_rows(view, names)
        self.links = link_rows(view, names, case_parties(self.review.case))
        decided = view["decided"]
        self.query_one("#people-caption", Static).update(
            f"{len(view['parties'])} parties; links: {decided['proposed']} awaiting review, {decided['confirmed']} "
            f"confirmed, {decided['rejected']} rejected. Findings use attributed + confirmed identifiers only.")
        keep = self._cursor()
        for name, frame in (("identifiers", idents), ("links", self.links)):
            box = self.query_one(f"#{name}-box", Vertical)
            await box.remove_children()
            await box.mount(FrameTable(frame, id=name))
        table = self.query_one("#links", FrameTable)
        if keep is not None:
            ids = self.links.get_column(HANDLE_HEADER).to_list()
            if keep in ids:
                table.put_cursor(ids.index(keep))
        table.focus()

    def fit_footer(self) -> None:
        """Under 30 rows the link detail keeps five lines (it scrolls): at 80x24 eight left each table two rows."""
        super().fit_footer()
        for box in self.query("#link-detail"):
            box.styles.max_height = 8 if self.app.size.height >= 30 else 5

    def _cursor(self) -> str | None:
        for t in self.query("#links").results(FrameTable):
            row = t.current()
            return None if row is None else str(row[HANDLE_HEADER])
        return None

    @on(DataTable.RowHighlighted, "#links")
    def _show(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < self.links.height:
            r = self.links.row(event.cursor_row, named=True)
            records = "; ".join(self.review.record_ref(e) for e in r["_support"][:6])
            more = f" and {len(r['_support']) - 6} more" if len(r["_support"]) > 6 else ""
            # the records before the reason: the reason is long, and at 100x30 it pushed "source records:" out of
            # the box; the link's handle (what ``atlas confirm`` takes) after its two sides, never alone
            self.query_one("#link-detail-text", Static).update(escape(
                f"{r['a']} ↔ {r['b']}  {handle_said(str(r[HANDLE_HEADER]))}\nsource records: {records}{more}\n"
                f"basis {r['basis']} ({r['strength']}), status {r['status']}"
                f"{', score ' + r['score'] if r['score'] else ''}; {r['why']}"))

    @guarded
    async def action_decide(self, status: str) -> None:
        table = self.query_one("#links", FrameTable)
        row = table.current()
        if row is None:
            self.notify("No link selected", severity="warning")
            return
        from atlas.identity.ledger import decide

        lid = str(row[HANDLE_HEADER])
        # by its two sides; the handle (atlas confirm) after them
        name = link_name(self.review.source_refs(), case_parties(self.review.case), str(row["_a"]), str(row["_b"]))
        if self.nothing_to_reopen(headed(name), str(row["status"]), status, undecided="proposed"):
            return
        subject = (f"{row['a']} ↔ {row['b']}  {handle_said(lid)}\nbasis {row['basis']} ({row['strength']}), now {row['status']}"
                   f"{', score ' + str(row['score']) if row['score'] else ''}: {row['why']}")
        prompt = DecisionPrompt(f"{_VERB[status]} {name}", subject, note_required=status != "proposed",
                                impact=lambda: self.review.impact(lid, status).text(),  # type: ignore[arg-type]
                                officer=self.review.case.officer().label)
        await ask(self.app, prompt, lambda note: self.atlas.record(
            lambda: decide(self.review.case, lid, status, note=note), f"{name}: {status}"))  # type: ignore[arg-type]
