"""The review TUI, driven with Textual's Pilot on a generated case."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from atlas.demo import ingest_generated
from atlas.exhibits import source_refs
from atlas.store import Case
from atlas.tui.app import AtlasApp
from atlas.tui.frames import search, timeline_view, visible
from fixtures.generate import generate


@pytest.fixture(scope="module")
def small_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    case_dir = tmp_path_factory.mktemp("tui") / "case"
    generate("rejected-ex", 3, 0.2, case_dir)
    ingest_generated(case_dir)
    return case_dir


def test_timeline_view_has_one_row_per_event_in_time_order(small_case: Path) -> None:
    case = Case.open(small_case)
    refs = source_refs(case)
    view = timeline_view(case.events(), case.sources(), refs)
    assert view.height == case.events().select(pl.len()).collect().item()
    shown = visible(view)  # what a person reads: records by exhibit, no 16-hex source id
    assert shown.get_column("exhibit").str.contains(rf"^{case.manifest.exhibit_prefix}/\d+(, .+)?$").all()
    assert not shown.select(pl.concat_str(pl.all(), separator=" ").str.contains(r"\b[0-9a-f]{16}\b").any()).item()
    times = case.events().sort("ts_utc", "event_id", nulls_last=True).collect().get_column("event_id").to_list()
    assert view.get_column("_event_id").to_list() == times
    dated = view.filter(pl.col("when (UK)") != "")
    assert dated.height > 0.5 * view.height
    assert dated.get_column("when (UK)").str.contains(r"^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d (GMT|BST)$").all()


def test_search_matches_text_and_party(small_case: Path) -> None:
    case = Case.open(small_case)
    view = timeline_view(case.events(), case.sources())
    word = view.filter(pl.col("text").str.len_chars() > 8).get_column("text")[0].split()[-1]
    hits = search(view, text=word.upper())
    assert hits.height > 0
    assert hits.select(pl.concat_str(["from", "to", "text", "exhibit", "_event_id"], separator=" ").str.to_lowercase()
                       .str.contains(word.lower(), literal=True).all()).item()
    suspect_ids = {"tel:+447700900002"} | {f"name:{s}:Dan" for s in case.source_ids()}
    mine = search(view, identifiers=suspect_ids)
    assert 0 < mine.height < view.height


def test_app_filters_shows_detail_and_switches_screens(small_case: Path) -> None:
    async def drive() -> None:
        app = AtlasApp(small_case)
        async with app.run_test(size=(160, 45)) as pilot:
            await pilot.pause()
            total = Case.open(small_case).events().select(pl.len()).collect().item()
            assert f"{total:,} of {total:,} events" in str(app.screen.query_one("#count").render())
            await pilot.press("/")
            for ch in "dan":
                await pilot.press(ch)
            await pilot.press("enter")
            await pilot.pause()
            count = str(app.screen.query_one("#count").render())
            assert count.startswith(tuple(str(n) for n in range(1, 10))) and f"of {total:,}" in count
            await pilot.press("down")
            await pilot.pause()
            detail = str(app.screen.query_one("#detail").render())
            assert "source " in detail and "where " in detail and "basis:" in detail
            await pilot.press("4")
            await pilot.pause()
            assert type(app.screen).__name__ == "SourcesScreen"
            await pilot.press("1")
            await pilot.pause()
            assert type(app.screen).__name__ == "TimelineScreen"

    asyncio.run(drive())


def test_people_screen_confirms_a_proposal_and_audits_it(small_case: Path, tmp_path: Path) -> None:
    import shutil

    from atlas.identity import read_links
    from atlas.identity.candidates import discover

    case_dir = tmp_path / "copy"
    shutil.copytree(small_case, case_dir)
    case = Case.open(case_dir)
    discover(case)
    pending = [lk for lk in read_links(case) if lk.status == "proposed"]
    assert pending, "discovery should propose links on the rejected-ex case"

    async def drive() -> str:
        app = AtlasApp(case_dir)
        async with app.run_test(size=(180, 50)) as pilot:
            await pilot.pause()
            await pilot.press("2")
            await pilot.pause()
            caption = str(app.screen.query_one("#people-caption").render())
            assert f"{len(pending)} awaiting review" in caption
            first = str(app.screen.links.get_column("link")[0])  # type: ignore[attr-defined]
            await pilot.press("c")
            await pilot.pause()
            return first

    decided = asyncio.run(drive())
    links = {lk.link_id: lk for lk in read_links(case)}
    assert links[decided].status == "confirmed"
    audit = [e for e in case.audit_log() if e["action"] == "identity.confirm"]
    assert audit and audit[-1]["detail"]["link_id"] == decided


def _clock(case_dir: Path, as_of: date | None = None) -> tuple[str, str]:
    """The conduct screen's s2A panel and its header sub-title, once the analysis is shown."""
    async def drive() -> tuple[str, str]:
        app = AtlasApp(case_dir, as_of=as_of)
        async with app.run_test(size=(180, 50)) as pilot:
            await pilot.pause()
            await pilot.press("3")
            text = ""
            for _ in range(100):
                await pilot.pause(0.1)
                text = str(app.screen.query_one("#clock").render())
                if "last incident" in text:
                    break
            return text, app.screen.sub_title

    return asyncio.run(drive())


def test_conduct_screen_shows_the_s2a_clock_with_its_rule(small_case: Path) -> None:
    text, sub_title = _clock(small_case)
    truth = json.loads((small_case / "truth.json").read_text())
    deadline = date.fromisoformat(truth["s2a"]["deadline"])
    assert f"last day to lay     {deadline.strftime('%A %d/%m/%Y')}" in text
    assert "s127" in text and "not legal advice" in text
    assert sub_title.startswith("s2A: ") and f"last day {deadline.strftime('%A %d/%m/%Y')}" in sub_title


def test_after_the_deadline_the_tui_header_and_clock_say_expired(small_case: Path) -> None:
    truth = json.loads((small_case / "truth.json").read_text())
    deadline = date.fromisoformat(truth["s2a"]["deadline"])
    text, sub_title = _clock(small_case, as_of=deadline + timedelta(days=1))
    assert sub_title.startswith("s2A: EXPIRED")
    assert f"expired on {deadline + timedelta(days=1):%d/%m/%Y}" in text and "in time" not in text.split("rule")[0]
