"""Conduct's tab strip at any width: all seven tabs in sight, each with its count, the one shown highlighted.

At 100 columns the strip of full labels ("Threats & behaviours (27)", 121 columns in all) ran off the right edge and
at 80 showed four of seven: an officer saw neither which tabs existed nor, after ``]``, where they were. The labels
now shorten, in steps, until the strip fits the terminal: full, short ("Threats 27"), tight (abbreviated, one space
between tabs). Where even the tight strip is wider (counts in the thousands at 80 columns) the strip scrolls with
the active tab kept in view, and that tab says where it is ("3/7"), so the officer knows there are more."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.cells import cell_len


@dataclass(frozen=True)
class TabNames:
    """One tab's names, longest first."""

    full: str
    short: str
    tight: str


TAB_NAMES: dict[str, TabNames] = {
    "incidents": TabNames("Incidents", "Incidents", "Incidents"),
    "candidates": TabNames("Threats & behaviours", "Threats", "Threats"),
    "breaches": TabNames("Breaches", "Breaches", "Breaches"),
    "possible-breaches": TabNames("Possible breaches", "Possible breaches", "Poss. breaches"),
    "colocations": TabNames("Co-location", "Co-location", "Co-loc."),
    "gaps": TabNames("Gaps", "Gaps", "Gaps"),
    "warnings": TabNames("Warnings", "Warnings", "Warn."),
}
"""Conduct's tabs in order, by key. A short name still says what the tab holds (the footer's ``[`` ``]`` and the
table's columns say the rest); "Possible breaches" keeps "breaches" at every width, so it is never read as a
possible co-location."""

PADDING = 2
"""Columns around a label in Textual's tab (``Tab { padding: 0 1 }``)."""
TIGHT_PADDING = 1
"""Columns around a label in the tight strip (``TabbedContent.-tight Tab { padding: 0 0 0 1 }``, atlas.tcss)."""


@dataclass(frozen=True)
class TabStrip:
    """The labels to show, by tab key, and whether the strip is tight (one space between tabs)."""

    labels: dict[str, str]
    tight: bool
    fits: bool
    """False where even the tight labels are wider than the terminal: the strip scrolls, the active tab says where
    it is."""


def _width(labels: Mapping[str, str], padding: int) -> int:
    return sum(cell_len(label) + padding for label in labels.values())


def tab_strip(counts: Mapping[str, int] | None, width: int, active: str = "incidents") -> TabStrip:
    """The labels of Conduct's tabs for a terminal ``width`` columns wide; ``counts`` by tab key (None: not yet
    counted, names alone); ``active``: the key of the tab shown (it carries its place where the strip overflows)."""
    def count(key: str, form: str) -> str:
        if counts is None:
            return ""
        return f" ({counts.get(key, 0):,})" if form == "full" else f" {counts.get(key, 0):,}"

    full = {k: n.full + count(k, "full") for k, n in TAB_NAMES.items()}
    if _width(full, PADDING) <= width:
        return TabStrip(full, tight=False, fits=True)
    short = {k: n.short + count(k, "short") for k, n in TAB_NAMES.items()}
    if _width(short, PADDING) <= width:
        return TabStrip(short, tight=False, fits=True)
    tight = {k: n.tight + count(k, "tight") for k, n in TAB_NAMES.items()}
    if _width(tight, TIGHT_PADDING) <= width:
        return TabStrip(tight, tight=True, fits=True)
    keys = list(TAB_NAMES)
    place = keys.index(active) + 1 if active in keys else 1
    tight[keys[place - 1]] = f"{place}/{len(keys)} {tight[keys[place - 1]]}"
    return TabStrip(tight, tight=True, fits=False)


__all__ = ["TAB_NAMES", "TabNames", "TabStrip", "tab_strip"]
