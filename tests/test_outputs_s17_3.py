"""Defects two reviewers saw in served documents in session 17 (rejected-ex 63011/63012, third-parties 63031, as
of 01/12/2026), left for s17-outputs3, each held here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from _conduct_cases import SUSPECT, VICTIM, call, make_case, msg

THIRD = "tel:+447700900016"


def _grid_cm(table) -> list[float]:  # type: ignore[no-untyped-def]
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    return [int(g.get(f"{ns}w")) / 567 for g in table._tbl.tblGrid.findall(f"{ns}gridCol")]  # twentieths of a point


def test_the_notes_links_table_prints_each_identifier_unbroken(tmp_path: Path) -> None:
    """rejected-ex 63012, reviewer's note as PDF: 'Identity links awaiting a decision' held both sides of a link in
    one 'A ↔ B' cell and broke 'tel:|+447700900016' across lines. Each side now has its own column, each holding
    an identifier of 26 characters (the strategy table's rule) or the longest one shown, whichever is longer, on
    one line: 8.5 pt type at 0.6 em a character, less LibreOffice's cell padding."""
    from docx import Document

    from atlas.identity.ledger import ensure_schema, propose
    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-05-01 12:00", SUSPECT, VICTIM),
                                               call("2026-05-02 12:00", THIRD, VICTIM)]})
    long_id = "email:daniel.sample.alias@example.org"  # 37 characters: wider than the rule
    with case.db() as con:
        ensure_schema(con)
        propose(case, con, SUSPECT, THIRD, "same-imei", reason="test", support=[], score=1.0, origin="discovery:test")
        propose(case, con, SUSPECT, long_id, "account-profile", reason="test", support=[], score=1.0,
                origin="discovery:test")
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    doc = Document(str(case.root / "out" / "reviewer-note.docx"))
    [table] = [t for t in doc.tables if [c.text for c in t.rows[0].cells][:2] == ["Identifier", "Linked to"]]
    # as a person reads it: the word joiner that keeps 'tel:+44…' on one line is invisible (reports/line_breaks.py)
    shown = [[c.text.replace("\u2060", "") for c in r.cells] for r in list(table.rows)[1:]]
    assert {(r[0], r[1]) for r in shown} == {(SUSPECT, THIRD), (SUSPECT, long_id)} or \
        {frozenset(r[:2]) for r in shown} == {frozenset((SUSPECT, THIRD)), frozenset((SUSPECT, long_id))}, shown
    grid = _grid_cm(table)
    per_char_cm = 8.5 * 0.6 / 72 * 2.54
    for column in (0, 1):
        longest = max(len(w) for r in shown for w in r[column].split())
        assert (grid[column] - 0.4) / per_char_cm >= max(26, longest), (column, grid, longest)
    assert sum(grid) <= 17.05  # the table still fits the page


def test_the_served_charts_legend_sits_below_the_two_line_date_labels(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """rejected-ex 63011, JA/28 (contacts per day, PNG): the legend, set a fixed 0.1 of the plot's height below
    it, overlapped the month-and-year tick labels ('Feb\\n2026'); JA/30 (contacts per week) likewise. Each
    legend is now measured under everything its x axis draws, and above the footer."""
    import matplotlib.pyplot as plt

    from reports import figures
    from reports.build import build_reports

    days = [f"2026-{m:02d}-{d:02d} 12:00" for m in (2, 3, 4, 5, 6, 7, 8) for d in (3, 11, 19)]
    case = make_case(tmp_path / "c", {VICTIM: [msg(t, SUSPECT, VICTIM) for t in days]
                                      + [call(t.replace("12:00", "13:00"), SUSPECT, VICTIM) for t in days[::2]]})
    result = build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    closed: list = []  # type: ignore[type-arg]
    monkeypatch.setattr(plt, "close", closed.append)
    figures.contacts_per_day(result.findings, tmp_path / "day.png", "Exhibit JA/28 footer", "Daniel Sample")
    figures.weekly_rate(result.findings, tmp_path / "week.png", "Exhibit JA/30 footer", "Daniel Sample")
    assert len(closed) == 2
    for fig in closed:
        renderer = fig.canvas.get_renderer()
        (ax,) = fig.axes
        labels = [t for t in ax.get_xticklabels() if t.get_text()]
        assert any("\n" in t.get_text() for t in labels), [t.get_text() for t in labels]  # the two-line labels
        legend = ax.get_legend().get_window_extent(renderer)
        lowest = min(t.get_window_extent(renderer).y0 for t in labels)
        (footer,) = [t for t in fig.texts if "footer" in t.get_text()]
        assert legend.y1 < lowest, (legend, lowest)  # below every tick label
        assert legend.y0 > footer.get_window_extent(renderer).y1  # above the footer
        assert legend.y0 >= 0 and ax.get_position().y0 > 0
