"""The document model every written output shares: paragraphs, lists, tables, sections.

The MG11 statement, the reviewer's note, the technical annex and the schedule of unused
material are each built as one :class:`Document` (all sentences written once, in the
module that owns that document) and laid out by :mod:`reports.statement_docx` (DOCX)
and :mod:`reports.statement_html` (HTML). What differs between them is data: the
marking in the page header, the banner under the title, and whether the page carries
the MG11 front (URN, maker, age, occupation, the s9 declaration with the page count).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

CONTENT_WIDTH_CM: Final = 17.0
"""The width a table is laid out across (A4 less the margins)."""
CELL_PT: Final = {False: 8.5, True: 8.0}
"""A table cell's type size in points: plain, and a dense (``small``) table's."""
IDENTIFIER_CHARS: Final = 26
"""What a column of identifiers holds on one line: the reviewer's note's strategy table broke
'facebook:daniel.sampl|e.9' and 'instagram:alice.examp|le' (rejected-ex 61023), its links table
'tel:|+447700900016' (s17). One rule for every such column: :func:`unbroken_widths`."""


def unbroken_cm(chars: int, *, small: bool) -> float:
    """The width in cm a column needs to hold ``chars`` characters on one line: 0.6 em a character at
    the cell's type size (:data:`CELL_PT`), plus the cell's padding (0.2 cm either side in LibreOffice),
    rounded up to the next mm (the grid is written in whole twentieths of a point)."""
    return math.ceil((chars * CELL_PT[small] * 0.6 / 72 * 2.54 + 0.4) * 10) / 10


def unbroken_chars(width_cm: float, *, small: bool, em: float = 0.75) -> int:
    """How many characters a column ``width_cm`` wide surely holds on one line: :func:`unbroken_cm` turned
    round, at a wider ``em`` a character (0.6 em fits digits and most words in Arial; where Arial is
    missing LibreOffice lays out in DejaVu Sans, whose 'm' is 0.97 em: 'same-messages' did not fit
    the 13 characters 0.6 em promised). A token that may not break and does not fit is cut at an
    arbitrary character, so this errs short."""
    return max(0, math.floor((width_cm - 0.4) / (CELL_PT[small] * em / 72 * 2.54)))


COLUMN_FLOOR_CHARS: Final = 3
"""What any other column keeps when identifier columns widen, unless it was given less: three characters
a line, about as narrow as a column can be and still be read. Identifiers whole come first (session 17's
links table gives its basis column 1.2 cm so that 'email:daniel.sample.alias@example.org' holds on one
line), but not at any price: clean 71048 (session 18) asked for two 48-character Snapchat ids, which left
the other columns nothing, and the whole report stopped with an internal error."""


def unbroken_widths(widths: list[float], columns: dict[int, int], *, small: bool) -> list[float]:
    """Relative column ``widths`` with each of ``columns`` (index → characters, at least
    :data:`IDENTIFIER_CHARS` for identifiers) wide enough to hold that many characters unbroken
    (:func:`unbroken_cm`), the other columns narrowed in proportion so the table still fits the page,
    none below :data:`COLUMN_FLOOR_CHARS` (or its own share, if less). Always a layout: where the page
    cannot hold every such column unbroken, they share what the other columns leave: each that fits an
    even share keeps what it needs, the widest share the rest evenly, and their longest tokens break as
    the cell wraps them (data chose their length; the document must still be written)."""
    total = sum(widths)
    page = [w / total * CONTENT_WIDTH_CM for w in widths]
    need = {i: max(page[i], unbroken_cm(n, small=small)) for i, n in columns.items()}
    others = [i for i in range(len(page)) if i not in need]
    floor = {i: min(page[i], unbroken_cm(COLUMN_FLOOR_CHARS, small=small)) for i in others}
    room, wanted = CONTENT_WIDTH_CM - sum(floor.values()), sum(need.values())
    if wanted > room:
        need = _shared(need, room)
    elif not others:  # the page is theirs
        need = {i: n * room / wanted for i, n in need.items()}
    out: dict[int, float] = dict(need)
    left = CONTENT_WIDTH_CM - sum(need.values())
    while others:  # each other column its share of what is left, a column below its floor held there
        share = sum(page[i] for i in others)
        short = [i for i in others if page[i] * left / share < floor[i]]
        if not short:
            out |= {i: page[i] * left / share for i in others}
            break
        for i in short:
            out[i] = floor[i]
            left -= floor[i]
            others.remove(i)
    return [out[i] for i in range(len(page))]


def _shared(need: dict[int, float], room: float) -> dict[int, float]:
    """``room`` shared among columns that together need more: from the narrowest need up, each its need
    or an even share of what is left, whichever is less."""
    out: dict[int, float] = {}
    order = sorted(need, key=lambda i: (need[i], i))
    for k, i in enumerate(order):
        out[i] = min(need[i], room / (len(order) - k))
        room -= out[i]
    return out


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
