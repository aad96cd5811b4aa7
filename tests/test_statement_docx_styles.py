"""Paragraph styles looked up once per document (``statement_docx._Styles``) write exactly
what python-docx's ``style`` setter writes (the plain rule, ``PLAIN_STYLES``): the same
DOCX bytes for a document with a title, headings of several levels, bullets, numbered
and plain paragraphs and a table, with and without the MG11 front page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from reports import statement_docx
from reports.document import Bullets, Document, MG11Front, Para, Section, Table


def _document(front: bool) -> Document:
    sections = [Section("Statement", [Para("First."), Para("Second, emphasised.", emphasis=True)], level=0),
                Section("Findings", [Bullets(["one", "two"]), Para("Not numbered.", numbered=False)], level=1),
                Section("Detail", [Table(["a", "b"], [["1", "2"]], caption="A table"), Bullets(["three"])], level=2),
                Section("Annex", [Para("Last.")], level=3)]
    return Document(title="T", reference="REF/1", sections=sections, created=datetime(2026, 12, 6, 10, 0),
                    author="PC 1 Test", marking="DRAFT \u2013 NOT SIGNED", banner="banner",
                    front=MG11Front(header=[("URN", "REF/1")], declaration="I declare.", authority="PC",
                                    signature_date="") if front else None)


@pytest.mark.parametrize("front", [False, True])
def test_styles_looked_up_once_write_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    front: bool) -> None:
    fast = statement_docx.render(_document(front), tmp_path / "fast.docx").read_bytes()
    monkeypatch.setattr(statement_docx, "PLAIN_STYLES", True)
    plain = statement_docx.render(_document(front), tmp_path / "plain.docx").read_bytes()
    assert fast == plain
    assert b"ListBullet" in __import__("zipfile").ZipFile(tmp_path / "fast.docx").read("word/document.xml")
