"""The header line's words at any width: the officer deciding is always whole.

Every decision the workbench records is in the name of the officer the header names, so a header cut to
"deciding: DC 0000 Jo An…" (80 columns: Textual's header leaves the title 62) hid whose name the decisions
carry. The line gives way in order: the screen's sub-title first (it is cut, then dropped), then the word
"Atlas: ", then the case reference (cut, with "…"; the Overview shows it whole), never the officer."""

from __future__ import annotations

from dataclasses import dataclass

HEADER_SIDES = 8 + 10
"""Columns of Textual's header that are not the title: the icon (HeaderIcon, width 8) and the clock's space
(HeaderClockSpace, width 10; Textual 8.2.8)."""
SEPARATOR = " — "
"""Between the title and the screen's sub-title (as Textual's own App.format_title)."""
MIN_SUB_TITLE = 12
"""Fewer columns than this left for the sub-title and it is left out (a stub such as "s2A: I…" says nothing)."""


@dataclass(frozen=True)
class HeaderWords:
    """What the header says: the title (case and officer) and the screen's sub-title, fitted to a width."""

    title: str
    sub_title: str


def header_words(reference: str, officer: str, sub_title: str, width: int) -> HeaderWords:
    """The header's title and sub-title for a terminal ``width`` columns wide (see the module's docstring)."""
    room = max(0, width - HEADER_SIDES)
    deciding = f"deciding: {officer}"
    for title in (f"Atlas: {reference}  ·  {deciding}", f"{reference} · {deciding}"):
        if len(title) <= room:
            break
    else:
        keep = room - len(f" · {deciding}") - 1  # the reference cut, with "…"
        title = f"{reference[:keep]}… · {deciding}" if keep >= 6 else deciding
    left = room - len(title) - len(SEPARATOR)
    if not sub_title or (len(sub_title) > left and left < MIN_SUB_TITLE):
        return HeaderWords(title, "")
    return HeaderWords(title, sub_title)  # Textual cuts a longer sub-title with "…"


__all__ = ["HEADER_SIDES", "SEPARATOR", "HeaderWords", "header_words"]
