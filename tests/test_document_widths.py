"""Column widths are always a layout (reports.document.unbroken_widths): clean 71048 (session 18) proposed a
link between two 48-character Snapchat ids, the note's links table asked for two 48-character columns, and the
whole report stopped with "internal error: ValueError: columns [0, 1, 3, 4] cannot hold …"."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from _conduct_cases import SUSPECT, VICTIM, make_case, msg
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.document import COLUMN_FLOOR_CHARS, CONTENT_WIDTH_CM, unbroken_cm, unbroken_widths

SNAP_A = "snapchat:id:7f3e1c2a-0002-4a5b-9c8d-000000000002"  # 48 characters, as the generator's Snapchat ids
SNAP_B = "snapchat:id:7f3e1c2a-0009-4a5b-9c8d-000000000009"


def test_the_links_table_of_two_long_ids_is_written_and_its_short_columns_keep_their_words(tmp_path: Path) -> None:
    from docx import Document

    from atlas.identity.ledger import ensure_schema, propose
    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-05-01 12:00", SUSPECT, VICTIM)]})
    with case.db() as con:
        ensure_schema(con)
        propose(case, con, SNAP_A, SNAP_B, "account-profile", reason="test", support=[], score=1.0, origin="discovery:test")
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))  # raised ValueError before
    doc = Document(str(case.root / "out" / "reviewer-note.docx"))
    [table] = [t for t in doc.tables if [c.text for c in t.rows[0].cells][:2] == ["Identifier", "Linked to"]]
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    grid = [int(g.get(f"{ns}w")) / 567 for g in table._tbl.tblGrid.findall(f"{ns}gridCol")]
    assert abs(sum(grid) - CONTENT_WIDTH_CM) < 0.05, grid
    assert grid[3] >= unbroken_cm(len("Strength") + 1, small=False) - 0.05, grid  # 'Strength' (bold) whole
    assert grid[0] == grid[1] and grid[0] > grid[2], grid  # the ids share what is left, evenly


def test_the_failing_request_gets_a_layout_with_every_short_column_whole() -> None:
    widths = unbroken_widths([3, 3, 1.7, 1.2, 0.7], {0: 48, 1: 48, 3: 9, 4: 6}, small=False)
    assert abs(sum(widths) - CONTENT_WIDTH_CM) < 1e-9
    assert widths[3] >= unbroken_cm(9, small=False) and widths[4] >= unbroken_cm(6, small=False)
    assert widths[2] >= unbroken_cm(COLUMN_FLOOR_CHARS, small=False) - 1e-9


def _old_rule(widths: list[float], columns: dict[int, int], small: bool) -> list[float] | None:
    """The rule before session 18 where it gave a layout (None where it raised)."""
    page = [w / sum(widths) * CONTENT_WIDTH_CM for w in widths]
    need = {i: max(page[i], unbroken_cm(n, small=small)) for i, n in columns.items()}
    rest = sum(w for i, w in enumerate(page) if i not in need)
    left = CONTENT_WIDTH_CM - sum(need.values())
    if left <= 0 or rest <= 0:
        return None
    return [need[i] if i in need else w * left / rest for i, w in enumerate(page)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0.3, 5), min_size=1, max_size=9), st.data(), st.booleans())
def test_any_request_gives_a_layout_across_the_page(widths: list[float], data: st.DataObject, small: bool) -> None:
    columns = data.draw(st.dictionaries(st.integers(0, len(widths) - 1), st.integers(1, 80), max_size=len(widths)))
    out = unbroken_widths(widths, columns, small=small)
    assert len(out) == len(widths) and all(w > 0 for w in out)
    assert abs(sum(out) - CONTENT_WIDTH_CM) < 1e-6
    page = [w / sum(widths) * CONTENT_WIDTH_CM for w in widths]
    floor = unbroken_cm(COLUMN_FLOOR_CHARS, small=small)
    for i, w in enumerate(out):
        if i not in columns:
            assert w >= min(page[i], floor) - 1e-9
    old = _old_rule(widths, columns, small)
    if old is not None and len(columns) < len(widths) and all(
            old[i] >= min(page[i], floor) for i in range(len(widths)) if i not in columns):
        assert out == old or all(abs(a - b) < 1e-9 for a, b in zip(out, old, strict=True))  # unchanged where it held
