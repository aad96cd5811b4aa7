"""A :class:`~reports.document.Document` as DOCX (python-docx): the statement laid out
like form MG11, and the reviewer's note and annex in the same house style.

For the statement, page 1 carries the MG11 heading block (URN, statement of, age,
occupation), the declaration with the page count as a Word field (``NUMPAGES``, so it
is right after the officer edits the draft), and a signature line; every page has
"Page X of Y" and a signature box in the footer. Every document carries its marking
(DRAFT, or NOT EVIDENCE) in the page header.

Same statement, same bytes: the document's core properties are set from the
statement's date (never the clock), and the package is re-zipped with fixed entry
times in python-docx's own order, because :mod:`zipfile` otherwise stamps each part
with the time of writing.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Final

from docx import Document as new_docx
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from atlas.export.text import xml_safe

from .document import CELL_PT, CONTENT_WIDTH_CM, IDENTIFIER_CHARS, Bullets, Document, Figure, Para, Table, unbroken_chars
from .line_breaks import NO_BREAK_HYPHEN, keep_whole

FONT: Final = "Arial"
MONO: Final = "Courier New"
ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)


def _field(paragraph: Paragraph, instruction: str, placeholder: str = "1") -> None:
    """A Word field (PAGE, NUMPAGES): Word and LibreOffice fill it in when they lay out the page."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run._r.append(begin)
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    run = paragraph.add_run()
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run._r.append(sep)
    paragraph.add_run(placeholder)
    run = paragraph.add_run()
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(end)


def _xml_text(value: Any) -> Any:
    """``value`` (the document, or any part of it) with every text through
    :func:`atlas.export.text.xml_safe`: a message, a record's place or an officer's note may hold a
    control character (a parser keeps them as data), which XML 1.0 cannot hold and python-docx
    refuses, failing the whole statement; each is written as ``\\xNN``, as every XML export writes it.
    The facts dictionary (for JSON, never rendered) and paths are left as they are."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list):
        return [_xml_text(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _xml_text(getattr(value, f.name)) for f in fields(value)
                                 if f.init and f.name != "facts"})
    return value


def _shade(cell: _Cell, fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    props.append(shd)


def _repeat_header(row: object) -> None:
    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _text(paragraph: Paragraph, text: str, fits: int = IDENTIFIER_CHARS) -> list[Run]:
    """``text`` added as runs with no line break inside a token a person reads whole that fits
    ``fits`` characters (:func:`reports.line_breaks.keep_whole`): each non-breaking hyphen as Word's
    own ``w:noBreakHyphen``, which Word, LibreOffice and python-docx all read back as '-'."""
    parts = keep_whole(text, fits).split(NO_BREAK_HYPHEN)
    runs = [paragraph.add_run(parts[0])]
    for part in parts[1:]:
        run = paragraph.add_run()
        run._r.append(OxmlElement("w:noBreakHyphen"))
        runs.append(run)
        if part:
            runs.append(paragraph.add_run(part))
    return runs


def _cell_text(cell: _Cell, text: str, style: str, fits: int = IDENTIFIER_CHARS) -> None:
    """Text in a table cell with one of the table paragraph styles.

    The style id is written straight into the paragraph (python-docx's ``style = name``
    searches every style each time: seconds for a long table).
    """
    p = cell.paragraphs[0]
    p._p.style = style.replace(" ", "")
    _text(p, text, fits)


def _table_styles(doc: DocxDocument) -> None:
    for name, size, bold, font in (("Atlas Cell", CELL_PT[False], False, FONT), ("Atlas Cell Head", CELL_PT[False], True, FONT),
                                   ("Atlas Cell Mono", 7.5, False, MONO), ("Atlas Cell Small", CELL_PT[True], False, FONT), ("Atlas Cell Large", 10, False, FONT),
                                   ("Atlas Cell Large Head", 10, True, FONT)):
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles["Normal"]
        style.font.size = Pt(size)
        style.font.bold = bold
        style.font.name = font
        style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.space_before = Pt(0)


def _fixed_layout(table: object) -> None:
    """Word lays a fixed table out from its grid; per-cell widths are then unnecessary."""
    tbl_pr = table._tbl.tblPr  # type: ignore[attr-defined]
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)


def _setup(doc: DocxDocument, st: Document) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.2)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10.5)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    for name, size in (("Heading 1", 13), ("Heading 2", 11.5), ("Title", 18)):
        style = doc.styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
    header = section.header.paragraphs[0]
    header.text = ""
    left = header.add_run("RESTRICTED (when complete)    " if st.front else "OFFICIAL-SENSITIVE    ")
    left.font.size = Pt(8)
    red = header.add_run(st.marking)
    red.bold = True
    red.font.size = Pt(8)
    red.font.color.rgb = RGBColor(0xB2, 0x18, 0x2B)
    right = header.add_run(f"    {'MG 11    ' if st.front else ''}URN {st.reference}")
    right.font.size = Pt(8)
    if st.integrity_notice:  # the header is on every page
        warn = section.header.add_paragraph().add_run(st.integrity_notice)
        warn.bold = True
        warn.font.size = Pt(8)
        warn.font.color.rgb = RGBColor(0xB2, 0x18, 0x2B)
    footer = section.footer.paragraphs[0]
    footer.text = ""
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sig = footer.add_run("Signature: ...................................    Signature witnessed by: "
                         "...................................    Page " if st.front else "Page ")
    sig.font.size = Pt(8)
    _field(footer, "PAGE")
    footer.add_run(" of ").font.size = Pt(8)
    _field(footer, "NUMPAGES")
    for run in footer.runs:
        run.font.size = Pt(8)
    core = doc.core_properties
    core.author = st.author
    core.last_modified_by = st.author
    core.title = f"{st.title.capitalize()}, {st.reference}"
    core.subject = st.subject or st.title
    core.comments = st.banner
    core.keywords = f"{st.marking}; Atlas"
    core.revision = 1
    when = st.created.replace(tzinfo=None)
    core.created = when
    core.modified = when
    core.last_printed = when


def _banner(doc: DocxDocument, text: str) -> None:
    notice = doc.add_paragraph()
    n = notice.add_run(text)
    n.bold = True
    n.font.size = Pt(9)
    n.font.color.rgb = RGBColor(0xB2, 0x18, 0x2B)


def _front(doc: DocxDocument, st: Document) -> None:
    if st.integrity_notice:
        warn = doc.add_paragraph().add_run(st.integrity_notice)
        warn.bold = True
        warn.font.color.rgb = RGBColor(0xB2, 0x18, 0x2B)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    r = title.add_run(st.title)
    r.bold = True
    r.font.size = Pt(15)
    front = st.front
    if front is None:
        _banner(doc, st.banner)
        return
    auth = doc.add_paragraph()
    auth.alignment = WD_ALIGN_PARAGRAPH.CENTER
    a = auth.add_run(f"({front.authority})")
    a.font.size = Pt(8.5)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.columns[0].width, table.columns[1].width = Cm(4.5), Cm(12.5)
    _fixed_layout(table)
    for label, value in front.header:
        cells = table.add_row().cells
        _cell_text(cells[0], label, "Atlas Cell Large Head")
        _cell_text(cells[1], value, "Atlas Cell Large")
        _shade(cells[0], "E8EDF3")
    decl = doc.add_paragraph()
    decl.paragraph_format.space_before = Pt(8)
    pre, _, post = front.declaration.partition("{pages}")
    decl.add_run(pre)
    _field(decl, "NUMPAGES")
    decl.add_run(post)
    sig = doc.add_paragraph()
    sig.add_run("Signature: ..............................................................    Date: ")
    sig.add_run(front.signature_date or "....................")
    _banner(doc, st.banner)


def _table(doc: DocxDocument, t: Table) -> None:
    if t.caption:
        cap = doc.add_paragraph()
        cap.paragraph_format.space_after = Pt(2)
        c = cap.add_run(t.caption)
        c.bold = True
        c.font.size = Pt(9)
    table = doc.add_table(rows=1, cols=len(t.columns))
    table.style = "Table Grid"
    table.autofit = False
    _fixed_layout(table)
    weights = t.widths or [1.0] * len(t.columns)
    widths = [Cm(CONTENT_WIDTH_CM * w / sum(weights)) for w in weights]
    for i, w in enumerate(widths):
        table.columns[i].width = w  # the grid LibreOffice and Word lay out from
    head = table.rows[0]
    _repeat_header(head)
    # what each column holds on one line (a heading is bold: a character wider)
    fits = [unbroken_chars(w.cm, small=t.small) for w in widths]
    for i, name in enumerate(t.columns):
        _cell_text(head.cells[i], name, "Atlas Cell Head", fits[i] - 1)
        _shade(head.cells[i], "DDE4EE")
    if not t.rows:
        row = table.add_row()
        merged = row.cells[0].merge(row.cells[-1])
        _cell_text(merged, "none", "Atlas Cell")
    plain = "Atlas Cell Small" if t.small else "Atlas Cell"
    for values in t.rows:
        cells = table.add_row().cells
        for i, value in enumerate(values):
            _cell_text(cells[i], value, "Atlas Cell Mono" if i in t.mono else plain, fits[i])
    doc.add_paragraph().paragraph_format.space_after = Pt(2)


PLAIN_STYLES = False
"""True: paragraphs take their style through python-docx's ``style`` setter (the plain rule,
for tests/test_statement_docx_styles.py); otherwise :class:`_Styles`."""


class _Styles:
    """A paragraph style's id, looked up once per document (python-docx's ``style = name``
    searches every style of the document on each paragraph: a bullet or heading each).
    Writes exactly what the setter writes: the id it finds, or no style for the default."""

    def __init__(self, doc: DocxDocument) -> None:
        self.doc = doc
        self.ids: dict[str, str | None] = {}

    def paragraph(self, style: str, text: str = "") -> Paragraph:
        if PLAIN_STYLES:
            return self.doc.add_paragraph(text, style)
        if style not in self.ids:
            self.ids[style] = self.doc.part.get_style_id(style, WD_STYLE_TYPE.PARAGRAPH)
        p = self.doc.add_paragraph(text)
        p._p.style = self.ids[style]
        return p

    def heading(self, text: str, level: int) -> Paragraph:
        """``Document.add_heading``: ``Title`` at level 0, else ``Heading <level>``."""
        if PLAIN_STYLES:
            return self.doc.add_heading(text, level=level)
        if not 0 <= level <= 9:
            raise ValueError(f"level must be in range 0-9, got {level}")
        return self.paragraph("Title" if level == 0 else f"Heading {level}", text)


def render(st: Document, path: Path) -> Path:
    """Write the DOCX; the same statement gives the same bytes. Every text as XML can hold it
    (:func:`_xml_text`)."""
    st = _xml_text(st)
    doc = new_docx()
    styles = _Styles(doc)
    _setup(doc, st)
    _table_styles(doc)
    _front(doc, st)
    number = 0
    for section in st.sections:
        styles.heading(section.title, section.level)
        for block in section.blocks:
            if isinstance(block, Para):
                p = doc.add_paragraph()
                p.paragraph_format.space_after = Pt(5)
                if block.numbered:
                    number += 1
                    p.paragraph_format.left_indent = Cm(0.9)
                    p.paragraph_format.first_line_indent = Cm(-0.9)
                    p.add_run(f"{number}.\t")
                for run in _text(p, block.text):
                    run.italic = block.emphasis or None
            elif isinstance(block, Bullets):
                for item in block.items:
                    p = styles.paragraph("List Bullet")
                    p.paragraph_format.space_after = Pt(2)
                    for run in _text(p, item):
                        run.font.size = Pt(9.5)
            elif isinstance(block, Table):
                _table(doc, block)
            elif isinstance(block, Figure):
                doc.add_picture(str(block.path), width=Cm(CONTENT_WIDTH_CM))
                cap = doc.add_paragraph()
                c = cap.add_run(block.caption)
                c.italic = True
                c.font.size = Pt(9)
    if st.closing:
        end = doc.add_paragraph()
        end.paragraph_format.space_before = Pt(12)
        e = end.add_run(st.closing)
        e.bold = True
    buf = io.BytesIO()
    doc.save(buf)
    path.write_bytes(stable_zip(buf.getvalue()))
    return path


def stable_zip(data: bytes) -> bytes:
    """The same ZIP with every entry's time fixed (1980-01-01), order and compression kept."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
