"""The document model every written output shares: paragraphs, lists, tables, sections.

The MG11 statement, the reviewer's note, the technical annex and the schedule of unused
material are each built as one :class:`Document` (all sentences written once, in the
module that owns that document) and laid out by :mod:`reports.statement_docx` (DOCX)
and :mod:`reports.statement_html` (HTML). What differs between them is data: the
marking in the page header, the banner under the title, and whether the page carries
the MG11 front (URN, maker, age, occupation, the s9 declaration with the page count).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass
class Para:
    text: str
    numbered: bool = True
    emphasis: bool = False


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    widths: list[float] | None = None
    """Relative column widths."""
    mono: tuple[int, ...] = ()
    """Columns shown in a fixed-width font (hashes)."""
    small: bool = False
    """A dense table (the chronology, schedules): smaller type."""


@dataclass
class Figure:
    reference: str
    path: Path
    caption: str


Block = Para | Bullets | Table | Figure


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 1


@dataclass
class MG11Front:
    """What form MG11 puts above the statement: the heading block and the s9 declaration."""

    header: list[tuple[str, str]]
    declaration: str
    """With ``{pages}`` where the page count goes (a Word field in the DOCX)."""
    authority: str
    signature_date: str


@dataclass
class Document:
    title: str
    reference: str
    sections: list[Section]
    created: datetime
    author: str
    marking: str
    """Page-header marking: ``DRAFT – NOT SIGNED`` or ``NOT EVIDENCE – NOT FOR SERVICE``."""
    banner: str
    """The notice under the title (draft status, or not-evidence)."""
    front: MG11Front | None = None
    subject: str = ""
    """Document property: what the document is."""
    closing: str = ""
    """The last line (``End of statement. Signature: ...``), if any."""
    facts: dict[str, Any] = field(default_factory=dict)
    """The numbers the document states (tests compare them with the analyses)."""
    landscape: bool = False
    integrity_notice: str | None = None
    """Set when the report was written although the case did not verify (``--unverified``):
    every page says so (the DOCX header, the HTML banner)."""
