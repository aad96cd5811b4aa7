"""Snapshots of the workbench's main screens on the generated rejected-ex case.

pytest-textual-snapshot 1.1.0 pins a syrupy that needs pytest < 9 (this project runs
pytest 9), so the snapshots use Textual's own ``export_screenshot()``: the SVG is kept
beside the test for a person to look at, and what is compared is the screen's text,
line by line, recovered from the SVG (layout and content; colours are not compared, so
a theme change does not break the test, a moved column or a wrong count does).
Regenerate after an intended change with ``ATLAS_UPDATE_SNAPSHOTS=1 pytest tests/test_tui_snapshots.py``
and look at the SVGs before committing them.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from pilot_wait import settled, until

from atlas.tui.app import AtlasApp
from atlas.tui.widgets import FrameTable

SNAPSHOTS = Path(__file__).parent / "snapshots" / "tui"
SCREENS = {"1": "overview", "2": "timeline", "3": "conversations", "4": "people", "5": "conduct", "6": "exhibits"}
_TEXT = re.compile(r'<text[^>]*?x="([\d.]+)"[^>]*?clip-path="url\(#[\w-]+-line-(\d+)\)"[^>]*>(.*?)</text>', re.S)


CELL_WIDTH = 12.2
"""Width of one terminal cell in Textual's SVG export (text runs are placed by x; runs of
blanks are not written as text, so the column comes from x)."""


def screen_text(svg: str) -> str:
    """The characters of an exported screen, one line per terminal row."""
    rows: dict[int, dict[int, str]] = defaultdict(dict)
    for x, line, content in _TEXT.findall(svg):
        col = round(float(x) / CELL_WIDTH)
        for i, ch in enumerate(html.unescape(content).replace("\xa0", " ").replace("\n", "")):
            rows[int(line)][col + i] = ch
    out = []
    for i in range(max(rows, default=-1) + 1):
        cells = rows[i]
        out.append("".join(cells.get(c, " ") for c in range(max(cells, default=-1) + 1)).rstrip())
    return "\n".join(out)


def test_screen_text_reads_an_export_back() -> None:
    svg = ('<text class="a" x="0" y="20" textLength="36.6" clip-path="url(#terminal-1-line-0)">ab&#160;c</text>'
           '<text class="a" x="61" y="20" textLength="12.2" clip-path="url(#terminal-1-line-0)">d</text>'
           '<text class="a" x="0" y="44" textLength="12.2" clip-path="url(#terminal-1-line-1)">&amp;</text>')
    assert screen_text(svg) == "ab c d\n&"


@pytest.fixture(scope="module")
def case_dir(rejected_ex_case: Path) -> Path:
    return rejected_ex_case


def _shots(case_dir: Path) -> dict[str, str]:
    async def drive() -> dict[str, str]:
        app = AtlasApp(case_dir, as_of=date(2026, 11, 22))
        out = {}
        async with app.run_test(size=(160, 45)) as pilot:
            for key, name in SCREENS.items():
                await pilot.press(key)

                def ready(name: str = name) -> bool:
                    head = str(app.screen.query_one("#headline").render())
                    if name == "conduct":
                        return "incidents" in head and app.screen.query_one("#incidents", FrameTable).frame.height > 1
                    return "incidents" in head and app.current_mode == name

                await until(pilot, ready, f"the {name} screen with its headline")
                await settled(pilot, f"the {name} screen's workers to finish")
                # taken once: a headline cut to one line (the height race, atlas.tui.base.HeadlineText) is a failure
                out[name] = app.export_screenshot(title=name)
        return out

    return asyncio.run(drive())


def test_the_main_screens_match_their_snapshots(case_dir: Path) -> None:
    shots = _shots(case_dir)
    update = os.environ.get("ATLAS_UPDATE_SNAPSHOTS") == "1"
    missing, changed = [], []
    for name, svg in shots.items():
        want_txt, want_svg = SNAPSHOTS / f"{name}.txt", SNAPSHOTS / f"{name}.svg"
        got = screen_text(svg)
        assert "incidents" in got.splitlines()[1], f"{name}: the headline was not drawn"
        if update or not want_txt.exists():
            SNAPSHOTS.mkdir(parents=True, exist_ok=True)
            want_txt.write_text(got + "\n", encoding="utf-8")
            want_svg.write_text(svg, encoding="utf-8")
            missing.append(name)
            continue
        if want_txt.read_text(encoding="utf-8") != got + "\n":
            (SNAPSHOTS / f"{name}.actual.svg").write_text(svg, encoding="utf-8")
            changed.append(name)
    assert not changed, f"screens differ from their snapshots: {changed} (see tests/snapshots/tui/*.actual.svg)"
    if missing and not update:
        pytest.skip(f"snapshots written for {missing}: look at them and commit them")
