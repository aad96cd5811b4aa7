"""A control character in what a person in the case wrote (a parser keeps it as data) reaches the DOCX
documents: python-docx refused it ("All strings must be XML compatible") and the whole statement, note
and annex failed. Each is now written as ``\\xNN``, the rule of every XML export (session 18)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from _conduct_cases import SUSPECT, VICTIM, make_case, msg

from reports import statement_docx
from reports.document import Bullets, Document, Para, Section, Table
from reports.statement import CONTROL_CHARACTERS_SAID


def _all_text(path: Path) -> str:
    from docx import Document as read_docx

    doc = read_docx(str(path))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_every_part_of_a_document_holding_control_characters_is_written_with_escapes(tmp_path: Path) -> None:
    st = Document("Title \x02", "URN\x03", [Section("Heading \x04", [
        Para("said \x01 there"), Bullets(["item \x05"]), Table(["col \x06"], [["cell \x07 \ufffe"]], caption="cap \x08"),
    ])], datetime(2026, 12, 1, tzinfo=UTC), "DC 1 A\x0b", "OFFICIAL", "banner \x0c", closing="end \x0e")
    out = statement_docx.render(st, tmp_path / "d.docx")  # raised ValueError before
    text = _all_text(out)
    for escaped in ("Title \\x02", "Heading \\x04", "said \\x01 there", "item \\x05", "col \\x06",
                    "cell \\x07 \\ufffe", "cap \\x08", "end \\x0e"):
        assert escaped in text, escaped
    assert st.sections[0].blocks[0] == Para("said \x01 there")  # the document itself is not changed


def test_a_relied_on_message_holding_a_control_character_is_served_with_it_escaped(tmp_path: Path) -> None:
    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg(f"2026-05-0{d} 12:00", SUSPECT, VICTIM, f"day {d} \x01 watching you")
                                               for d in range(1, 6)]})
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))  # failed before
    text = _all_text(case.root / "out" / "statement.docx")
    assert text.count("\\x01 watching you") == 5 and "\x01" not in text  # the chronology, each escaped
    assert CONTROL_CHARACTERS_SAID in text  # and the statement says what \x01 means
    html_text = (case.root / "out" / "statement.html").read_text(encoding="utf-8")
    assert html_text.count("\\x01 watching you") == 5 and "\x01" not in html_text  # the HTML form alike


def test_a_chronology_without_such_characters_says_nothing_of_them(tmp_path: Path) -> None:
    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg(f"2026-05-0{d} 12:00", SUSPECT, VICTIM, f"day {d}") for d in range(1, 6)]})
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    assert CONTROL_CHARACTERS_SAID not in _all_text(case.root / "out" / "statement.docx")
