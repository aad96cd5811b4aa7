"""Defects seen in served documents in session 18 (covert 71046, rejected-ex 71044, as of 01/12/2026, through
LibreOffice and pdftotext), each held here."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from _report_cases import office_to_pdf

from reports.document import Document, Para, Section, Table
from reports.line_breaks import NO_BREAK_HYPHEN, WORD_JOINER, keep_whole

UUID_REF = "JA/13, report.xml model 11d7d559-ad98-4945-b91d-94b1ad6ff693"
ITEM = "Handset download: suspect-handset.ufdr, relating to tel:+447700900002 (Daniel Sample)"
COMMAND = ("Atlas's threat rules flagged these messages: atlas threats CASE lists each message with the handle to type "
           "to confirm or dismiss it (--confirm HANDLE --note \"why\"), and the link basis reads same-messages.")


def test_keep_whole_joins_only_inside_tokens_read_whole() -> None:
    assert keep_whole("relating to tel:+447700900002") == f"relating to tel:{WORD_JOINER}+447700900002"
    assert keep_whole("suspect-handset.ufdr") == f"suspect{NO_BREAK_HYPHEN}handset.ufdr"
    assert keep_whole("(--confirm HANDLE") == f"({NO_BREAK_HYPHEN * 2}confirm HANDLE"
    assert keep_whole("RO-2026-0042") == f"RO{NO_BREAK_HYPHEN}2026{NO_BREAK_HYPHEN}0042"
    # an officer's free text keeps its own characters (the redaction tests find a note's words in the DOCX XML)
    assert keep_whole("Spoke to her on 07700 900010 about it") == "Spoke to her on 07700 900010 about it"
    # a record UUID is longer than an identifier column holds: its hyphens stay break points
    assert keep_whole(UUID_REF) == UUID_REF
    # LibreOffice does not break after '/': a path longer than a column holds keeps its hyphens as break points
    assert keep_whole("figures/figure-weekly-rate.png") == "figures/figure-weekly-rate.png"
    # a token longer than its column holds keeps its break points, or it would be cut anywhere
    assert keep_whole("google-semantic-json 1.2.0", 9) == "google-semantic-json 1.2.0"
    assert keep_whole("tel:+447700900002", 9) == "tel:+447700900002"
    for plain in ("14:20 GMT", "Rule: Protection from Harassment Act 1997 s2A", "3 \u2192 17", "\u00b166 m", "- x"):
        assert keep_whole(plain) == plain


def _document(tmp_path: Path) -> Path:
    from reports.statement_docx import render

    doc = Document(title="Reviewer's note", reference="OP-TEST", created=datetime(2026, 12, 1, tzinfo=UTC),
                   author="DC 0000 Jo Analyst", marking="NOT EVIDENCE – NOT FOR SERVICE", banner="Not evidence.",
                   sections=[Section("Exhibits", [
                       Table(["Exhibit", "Item", "Continuity"], [["JA/11", ITEM, "[Officer to complete]"]],
                             widths=[1.4, 5.2, 10.4]),
                       Para(COMMAND),
                       Table(["Exhibit", "Parser", "Records", "Time zone"],  # the annex's parser column
                             [["JA/6", "google-semantic-json 1.2.0", "3", "Europe/London"]], widths=[0.9, 2.0, 6, 6])])])
    return render(doc, tmp_path / "note.docx")


def test_the_docx_marks_no_break_points_that_every_reader_reads_back_as_the_plain_text(tmp_path: Path) -> None:
    """The mark is Word's own ``w:noBreakHyphen`` and an invisible word joiner: python-docx (and so every test
    reading a DOCX) reads the words unchanged apart from those two invisible characters."""
    from docx import Document as Docx

    path = _document(tmp_path)
    docx = Docx(str(path))
    cell = docx.tables[0].rows[1].cells[1].text
    assert cell.replace(WORD_JOINER, "") == ITEM and WORD_JOINER in cell
    assert any(p.text == f"1.\t{COMMAND}" for p in docx.paragraphs)
    xml = docx.element.xml
    assert xml.count("<w:noBreakHyphen/>") == 1 + 2 + 2 + 1  # suspect-handset, --confirm, --note, same-messages


def _lines(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.office
def test_an_identifier_a_file_name_and_a_command_print_whole_on_one_line(tmp_path: Path) -> None:
    """covert 71046's MG11 printed 'suspect-' / 'handset.ufdr, relating to tel:' / '+447700900002' in its exhibits
    table; its reviewer's note '(--' / 'confirm HANDLE' and rejected-ex
    71044's a link basis 'same-' / 'messages'. The same words at the same widths, through LibreOffice."""
    path = _document(tmp_path)
    run = office_to_pdf([path], tmp_path, timeout=240)
    assert run.returncode == 0, run.stderr
    text = _lines(tmp_path / "note.pdf")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    for token in ("suspect-handset.ufdr,", "tel:+447700900002", "(--confirm", "--note", "same-messages."):
        assert any(token in line for line in lines), (token, text)
    # in a column narrower than the token, it breaks at a hyphen, not inside a word
    whole = "google-semantic-json"
    pieces = {w for line in lines for w in line.split() if len(w) > 2 and w in whole}
    assert pieces and pieces <= {"google-", "semantic-", "json", "google-semantic-", "semantic-json", whole}, text


def test_the_note_says_unchanged_where_confirming_would_not_move_a_date(tmp_path: Path) -> None:
    """covert 71046's note: 'last incident 11/07/2026 → 11/07/2026; last day … 11/01/2027 → 11/01/2027', an
    arrow for a change that is not one. Confirming the earlier of two possible co-locations (the later one
    confirmed) adds an incident and moves neither date."""
    from _conduct_cases import SUSPECT, VICTIM, make_case, msg, pos
    from docx import Document as Docx

    from atlas.conduct import analyse
    from atlas.decisions.colocations import decide_colocation
    from atlas.store import Case
    from reports.build import build_reports

    spot = (51.5230, -0.1010)
    root = tmp_path / "c"
    case = make_case(root, {
        VICTIM: [msg("2026-04-01 10:00", SUSPECT, VICTIM, "hi"),
                 pos("2026-04-10 18:00", *spot, None), pos("2026-04-20 18:00", *spot, None)],
        SUSPECT: [pos("2026-04-10 18:05", spot[0] + 0.0004, spot[1], 12.0),
                  pos("2026-04-20 18:05", spot[0] + 0.0004, spot[1], 12.0)],
    })
    _early, late = analyse(case, as_of=date(2026, 9, 1)).colocation_reviews
    decide_colocation(Case.open(root, officer="DS 5678 B. Reviewer"), late, "confirmed", note="CCTV TO/9")
    build_reports(Case.open(root), root / "out", as_of=date(2026, 9, 1))
    docx = Docx(str(root / "out" / "reviewer-note.docx"))
    [effect] = [p.text for p in docx.paragraphs if "open one were confirmed" in p.text]
    assert "incidents 2 \u2192 3; last incident 20/04/2026 (unchanged); last day to lay an information under" in effect
    assert re.search(r"under \S+ \d\d/\d\d/\d{4} \(unchanged\)", effect), effect
    assert not re.search(r"(\d\d/\d\d/\d{4}) \u2192 \1", effect), effect
    # report.html's and the workbench's 'listed, not counted' line said '… → 20/04/2026' the same way
    from reports.review_view import listed_not_counted

    lines = listed_not_counted(analyse(Case.open(root), as_of=date(2026, 9, 1)))
    assert "Confirming them all would make the incidents 2 \u2192 3 and the last incident 20/04/2026 (unchanged)." \
        in lines, lines


def test_report_htmls_heat_map_colour_bar_counts_in_whole_contacts() -> None:
    """covert 71046's report.html: at most 2 contacts in an hour, and the colour bar read '2, 2, 1, 1, 0' (ticks
    at 1.5 and 0.5 printed as whole numbers). Contacts are counted whole: ticks at least 1 apart."""
    from types import SimpleNamespace

    import polars as pl
    from bokeh.models import ColorBar

    from reports.html_report import heat_chart

    heat = pl.DataFrame({"hour": [19, 21], "day_name": ["Sat", "Sat"], "n": [2, 1]})
    fig = heat_chart(SimpleNamespace(heat=heat), "Daniel Sample")  # type: ignore[arg-type]
    [bar] = [r for r in fig.right if isinstance(r, ColorBar)]
    assert bar.ticker.min_interval >= 1


def test_the_mg11s_example_numbers_cannot_split_at_a_line_end(tmp_path: Path) -> None:
    """covert 71046's MG11, paragraph 6: 'for example +44 7700' / '900123 for 07700 900123' (one number read as
    two). The example's spaces are no-break spaces; the words are the same."""
    from _conduct_cases import SUSPECT, VICTIM, make_case, msg
    from docx import Document as Docx

    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-04-01 10:00", SUSPECT, VICTIM, "hi")]})
    build_reports(case, case.root / "out", as_of=date(2026, 9, 1))
    text = "\n".join(p.text for p in Docx(str(case.root / "out" / "statement.docx")).paragraphs)
    assert "(for example +44\u00a07700\u00a0900123 for 07700\u00a0900123)" in text
