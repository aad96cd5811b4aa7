"""The review workbench, driven with Textual's Pilot: on the generated rejected-ex case and
on a small case whose s2A deadline depends on one alias link."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from identity_helpers import make_case, msg
from pilot_wait import settled, until
from textual.pilot import Pilot

from atlas.decisions.exhibits import tagged
from atlas.decisions.ledger import read_decisions
from atlas.exhibits import source_refs
from atlas.identity import read_links
from atlas.identity.ledger import ensure_schema, propose
from atlas.store import Case
from atlas.tui.app import AtlasApp
from atlas.tui.frames import search, timeline_view, visible
from atlas.tui.widgets import DecisionPrompt, FrameTable, RecordsView

AS_OF = date(2026, 11, 22)
SCREEN_KEYS = ("1", "2", "3", "4", "5", "6", "7")
SIZE = (180, 50)


@pytest.fixture(scope="module")
def small_case(rejected_ex_case: Path) -> Path:
    return rejected_ex_case


@pytest.fixture
def case_copy(small_case: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(small_case, out)
    return out


def run(case_dir: Path, script: Callable[[AtlasApp, Pilot[None]], Any], **kw: Any) -> Any:
    kw.setdefault("as_of", AS_OF)

    async def drive() -> Any:
        app = AtlasApp(case_dir, **kw)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: "incidents" in text(app, "#headline"))
            return await script(app, pilot)

    return asyncio.run(drive())


def text(app: AtlasApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def show(app: AtlasApp, pilot: Pilot[None], key: str) -> None:
    """Press a screen's key and wait until that screen is the one shown, with its headline (the screen before it
    has a headline too: waiting on the headline alone let a slow switch, under load, take the next key)."""
    from atlas.tui.app import SCREENS_BY_KEY

    wanted = SCREENS_BY_KEY[key][2]
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, wanted) and "incidents" in text(app, "#headline"),
                f"screen {wanted.__name__} (key {key}) shown with its headline")


async def conduct_tab(app: AtlasApp, pilot: Pilot[None], tab: str) -> FrameTable:
    """Show Conduct, wait for its analysis's tables to be mounted (the clock is drawn before them: a table taken
    then is the placeholder, about to be replaced), switch to ``tab`` and focus its table."""
    await show(app, pilot, "5")
    await until(pilot, lambda: "last incident" in text(app, "#clock"), "the Conduct screen's s2A clock")
    await settled(pilot, "the Conduct screen's tables to be mounted")
    screen: Any = app.screen
    screen.query_one("#tabs").active = f"tab-{tab}"
    table = screen.query_one(f"#{tab}", FrameTable)
    await until(pilot, lambda: table.region.height > 0, f"the {tab} tab shown")
    table.focus()
    await until(pilot, lambda: app.focused is table, f"focus on the {tab} table")
    return table


def _proposed(case_dir: Path, a: str, b: str) -> str:
    return next(lk.link_id for lk in read_links(Case.open(case_dir)) if {lk.a, lk.b} == {a, b})


# --- frames (no terminal) -----------------------------------------------------------------

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


# --- the timeline -----------------------------------------------------------------------

def test_the_timeline_shows_contacts_filters_them_and_opens_a_record(small_case: Path) -> None:
    async def script(app: AtlasApp, pilot: Pilot[None]) -> None:
        await show(app, pilot, "2")
        await until(pilot, lambda: "contacts" in text(app, "#count"))
        total = app.screen.view.height  # type: ignore[attr-defined]
        events = Case.open(small_case).events().select(pl.len()).collect().item()
        assert 0 < total < events  # de-duplicated: fewer contacts than records
        assert f"{total:,} of {total:,} contacts" in text(app, "#count")
        table = app.screen.query_one("#events", FrameTable)
        names = set(table.frame.get_column("from").to_list())
        assert "Daniel Sample (suspect)" in names and not any(n.startswith("party:") for n in names)
        await pilot.press("slash", *"block", "enter")
        await until(pilot, lambda: f"of {total:,} contacts" in text(app, "#count")
                    and not text(app, "#count").startswith(f"{total:,}"))
        shown = app.screen.shown  # type: ignore[attr-defined]
        assert 0 < shown.height < total and shown.get_column("text").str.to_lowercase().str.contains("block").all()
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, RecordsView))
        detail = text(app, "#record-text")
        assert "record " in detail and "basis" in detail
        source_id = app.screen.records.get_column("_event_id")[0].split("/")[0]  # type: ignore[attr-defined]
        assert source_id not in detail.split("\n")[0]  # the record is named by its file/exhibit, not a hex id
        await pilot.press("escape")
        await pilot.press("r")
        await until(pilot, lambda: "records" in text(app, "#count"))
        assert f"of {events:,} records" in text(app, "#count")

    run(small_case, script)


def test_a_person_filter_accepts_an_identifier_and_a_bad_one_is_a_message(small_case: Path) -> None:
    async def script(app: AtlasApp, pilot: Pilot[None]) -> None:
        await show(app, pilot, "2")
        app.screen.query_one("#who").focus()
        await pilot.press(*"07700900013", "enter")
        await until(pilot, lambda: "Person:" in text(app, "#count"))
        assert "attributed to no party" in text(app, "#count")
        app.screen.query_one("#who").focus()
        await pilot.press("ctrl+a", *"zzz", "enter")  # not a party, a name or an identifier
        await until(pilot, lambda: any("zzz" in n.message for n in app._notifications), "a message naming 'zzz'")
        assert app.is_running

    run(small_case, script)


# --- decisions: never on one key, always the row under the cursor, with a note ------------

def test_no_decision_happens_on_a_single_key_press(case_copy: Path) -> None:
    async def script(app: AtlasApp, pilot: Pilot[None]) -> None:
        # (`o` on a link no one decided opens no prompt at all: test_tui_review's re-open test)
        for key, decide, note_required in (("4", "c", True), ("4", "x", True), ("5", "c", True),
                                           ("5", "x", True), ("2", "t", True), ("2", "b", False), ("6", "w", False)):
            if key == "5":
                table = await conduct_tab(app, pilot, "candidates")
                await until(pilot, lambda table=table: table.frame.height > 0, "threat candidates listed")
            else:
                await show(app, pilot, key)
            await pilot.press(decide)
            await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
            assert read_decisions(app.case) == []
            if note_required:
                await pilot.press("enter")  # an empty note where one is required: refused, still nothing
                await until(pilot, lambda: "note is required" in text(app, "#error"), "the prompt's 'note is required'")
                assert isinstance(app.screen, DecisionPrompt)
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, DecisionPrompt))
            assert read_decisions(app.case) == []

    run(case_copy, script)


def test_tab_into_a_table_keeps_the_row_and_the_prompt_names_it(case_copy: Path) -> None:
    async def script(app: AtlasApp, pilot: Pilot[None]) -> None:
        await show(app, pilot, "4")
        links = app.screen.query_one("#links", FrameTable)
        await pilot.press("down", "down")
        assert links.cursor_row == 2
        await pilot.press("tab")
        assert app.focused is not links and links.cursor_row == 2  # Tab moves focus, never the cursor
        await pilot.press("shift+tab")
        assert app.focused is links and links.cursor_row == 2
        wanted = str(links.frame.get_column("command handle")[2])
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
        assert wanted in text(app, "#subject")
        await pilot.press("escape")

    run(case_copy, script)


def test_confirming_a_link_updates_every_screen_and_rejecting_restores_them(case_copy: Path) -> None:
    lid = _proposed(case_copy, "tel:+447700900002", "tel:+447700900013")  # same handset: the new number

    async def headlines(app: AtlasApp, pilot: Pilot[None]) -> dict[str, str]:
        out = {}
        for key in SCREEN_KEYS:
            await show(app, pilot, key)
            out[key] = text(app, "#headline")
        return out

    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[dict[str, str], ...]:
        before = await headlines(app, pilot)
        await show(app, pilot, "4")
        links = app.screen.query_one("#links", FrameTable)
        links.move_cursor(row=links.frame.get_column("command handle").to_list().index(lid))
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
        await until(pilot, lambda: "→" in text(app, "#impact"), timeout=60)
        impact = text(app, "#impact")
        await pilot.press(*"same IMEI in both CDRs", "enter")
        await until(pilot, lambda: not isinstance(app.screen, DecisionPrompt))
        await until(pilot, lambda: text(app, "#headline") != before["4"])
        after = await headlines(app, pilot)
        await show(app, pilot, "5")
        await until(pilot, lambda: "incidents" in text(app, "#headline"))
        await show(app, pilot, "4")
        links = app.screen.query_one("#links", FrameTable)
        links.move_cursor(row=links.frame.get_column("command handle").to_list().index(lid))
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
        await pilot.press(*"second look", "enter")
        await until(pilot, lambda: text(app, "#headline") == before["4"])
        restored = await headlines(app, pilot)
        return before, after, restored, {"impact": impact}

    before, after, restored, extra = run(case_copy, script)
    b_inc = int(before["1"].split("incidents (occasions) ")[1].split()[0])
    a_inc = int(after["1"].split("incidents (occasions) ")[1].split()[0])
    assert a_inc > b_inc
    assert len(set(before.values())) == 1 and len(set(after.values())) == 1  # every screen agrees
    assert restored == before
    assert f"{b_inc}  →  {a_inc}" in extra["impact"]  # the prompt said what it would change
    assert "14/02/2027" in after["1"]  # the truth's deadline (the last incident is a presence, not the alias)
    case = Case.open(case_copy)
    rows = [(d.key, d.state, d.note, d.officer) for d in read_decisions(case)]
    assert rows == [(lid, "confirmed", "same IMEI in both CDRs", "DC 0000 Jo Analyst"),
                    (lid, "rejected", "second look", "DC 0000 Jo Analyst")]
    assert [(e["action"], e["actor"]) for e in case.audit_log()][-2:] == [
        ("identity.confirm", "DC 0000 Jo Analyst"), ("identity.reject", "DC 0000 Jo Analyst")]


def test_confirming_a_threat_candidate_reaches_the_conduct_result(case_copy: Path) -> None:
    async def script(app: AtlasApp, pilot: Pilot[None]) -> str:
        table = await conduct_tab(app, pilot, "candidates")
        await until(pilot, lambda: table.frame.height > 0, "threat candidates listed")
        frame = table.frame
        row = frame.with_row_index().filter((pl.col("kind") == "threat") & (pl.col("tier") == "review")).row(0, named=True)
        table.move_cursor(row=row["index"])
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
        assert row["command handle"] in text(app, "#subject") and row["record"] in text(app, "#subject")
        await pilot.press(*"read in context: a threat to come round", "enter")
        await until(pilot, lambda: "1 confirmed" in text(app, "#headline"))
        return str(row["command handle"])

    cid = run(case_copy, script)
    from atlas.conduct import analyse  # what the statement and reports read

    result = analyse(Case.open(case_copy), as_of=AS_OF)
    confirmed = [t for t in result.threat_occasions if t.status == "confirmed"]
    assert len(confirmed) == 1 and result.s4a["confirmed_threat_occasions"] == 1
    hit = next(h for h in result.threat_hits_for_review if h.decision == "confirmed")
    assert cid.startswith("T") and hit.key[0] == "threat"
    assert any(t["status"] == "confirmed" for t in result.to_json()["threat_occasions"])  # in the JSON every output reads


def test_tagging_an_exhibit_numbers_it_and_the_exhibits_screen_lists_it(case_copy: Path) -> None:
    async def script(app: AtlasApp, pilot: Pilot[None]) -> str:
        await show(app, pilot, "2")
        await until(pilot, lambda: "contacts" in text(app, "#count"))
        await pilot.press("down", "t")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
        await pilot.press(*"first contact after the block", "enter")
        await until(pilot, lambda: not isinstance(app.screen, DecisionPrompt))
        await show(app, pilot, "6")
        await until(pilot, lambda: app.screen.query_one("#exhibits", FrameTable).frame.height == 1)
        return str(app.screen.query_one("#exhibits", FrameTable).frame.get_column("exhibit")[0])

    reference = run(case_copy, script, officer="DS 5678 B. Reviewer")
    items = tagged(Case.open(case_copy))
    assert [t.reference for t in items] == [reference] and reference.startswith("JA/")
    assert items[0].tagged_by == "DS 5678 B. Reviewer"
    audit = Case.open(case_copy).audit_log()
    assert audit[-1]["action"] == "exhibit.tag" and audit[-1]["actor"] == "DS 5678 B. Reviewer"


def test_conversations_put_the_busiest_pair_first_and_open_its_thread(small_case: Path) -> None:
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[pl.DataFrame, pl.DataFrame]:
        await show(app, pilot, "3")
        await until(pilot, lambda: app.screen.query_one("#thread", FrameTable).frame.height > 0)
        return app.screen.pairs, app.screen.thread  # type: ignore[attr-defined]

    pairs, thread = run(small_case, script)
    counts = pairs.get_column("contacts").to_list()
    assert counts == sorted(counts, reverse=True) and thread.height == counts[0]
    assert "Daniel Sample (suspect)" in pairs.get_column("between")[0]


# --- the s2A clock: the analysis's own verdict ------------------------------------------------

def _clock(case_dir: Path, as_of: date) -> tuple[str, str]:
    """The conduct screen's s2A panel and its header sub-title, once the analysis is shown."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[str, str]:
        await show(app, pilot, "5")
        await until(pilot, lambda: "last incident" in text(app, "#clock"))
        return text(app, "#clock"), app.screen.sub_title

    return run(case_dir, script, as_of=as_of)  # type: ignore[no-any-return]


def test_conduct_screen_shows_the_s2a_clock_with_its_rule(small_case: Path) -> None:
    text_, sub_title = _clock(small_case, AS_OF)
    truth = json.loads((small_case / "truth.json").read_text())
    deadline = date.fromisoformat(truth["s2a"]["deadline"])
    assert f"last day to lay     {deadline.strftime('%A %d/%m/%Y')}" in text_
    assert "s127" in text_ and "not legal advice" in text_
    assert sub_title.startswith("s2A: ") and f"last day {deadline.strftime('%A %d/%m/%Y')}" in sub_title


def test_after_the_deadline_the_tui_header_and_clock_say_expired(small_case: Path) -> None:
    truth = json.loads((small_case / "truth.json").read_text())
    deadline = date.fromisoformat(truth["s2a"]["deadline"])
    text_, sub_title = _clock(small_case, deadline + timedelta(days=1))
    assert sub_title.startswith("s2A: EXPIRED")
    assert f"expired on {deadline + timedelta(days=1):%d/%m/%Y}" in text_ and "in time" not in text_.split("rule")[0]


def test_the_s4a_occasion_count_is_in_view_without_scrolling(small_case: Path) -> None:
    """The s4A line sits under the s2A box (which scrolls past its 11 lines), never inside it."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[str, str, Any, Any]:
        await show(app, pilot, "5")
        await until(pilot, lambda: "s4A" in text(app, "#s4a") and "last incident" in text(app, "#clock"))
        await settled(pilot)  # laid out with the s4A line shown (its region)
        line, clock = app.screen.query_one("#s4a"), app.screen.query_one("#clock")
        return text(app, "#s4a"), text(app, "#clock"), line.region, clock.region

    s4a, clock, line, box = run(small_case, script)
    assert s4a.startswith("s4A threat occasions: ") and "confirmed by an officer" in s4a and "s4A" not in clock
    assert line.height >= 1 and line.y >= box.bottom and line.bottom <= SIZE[1]  # drawn, below the box, on screen


# --- a case whose deadline turns on one link ------------------------------------------------

def test_the_deadline_moves_on_every_screen_when_the_alias_is_confirmed(tmp_path: Path) -> None:
    events = [msg("tel:+447700900002", "tel:+447700900001", 60 * 24 * d, "answer me") for d in range(3)]
    events += [msg("tel:+447700900013", "tel:+447700900001", 60 * 24 * (60 + d), "new number, answer me") for d in range(3)]
    case = make_case(tmp_path / "case", events)
    with case.db() as con:
        ensure_schema(con)
        _lid, _ = propose(case, con, "tel:+447700900002", "tel:+447700900013", "same-imei", reason="same IMEI in the CDRs",
                         support=["src0000000000001/row 4"], score=None, origin="discovery:test")

    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[dict[str, str], dict[str, str]]:
        before = {}
        for key in SCREEN_KEYS:
            await show(app, pilot, key)
            before[key] = text(app, "#headline")
        await show(app, pilot, "4")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
        await until(pilot, lambda: "→" in text(app, "#impact"))
        impact = text(app, "#impact")
        assert "03/09/2026  →  02/11/2026   *" in impact  # s2A: last day to lay, before → after
        assert "EXPIRED" in impact.split("verdict")[1].split("→")[0] and "in time" in impact.split("→")[-1]
        await pilot.press(*"same IMEI", "enter")
        await until(pilot, lambda: "02/11/2026" in text(app, "#headline"))
        after = {}
        for key in SCREEN_KEYS:
            await show(app, pilot, key)
            after[key] = text(app, "#headline")
        return before, after

    before, after = run(tmp_path / "case", script, as_of=date(2026, 10, 1))
    assert all("last day to lay 03/09/2026" in h and "EXPIRED" in h for h in before.values())
    assert all("last day to lay 02/11/2026" in h and "in time" in h for h in after.values())


def test_the_workbench_bench_runs_at_a_tiny_scale(tmp_path: Path) -> None:
    from bench.bench_workbench import run as bench

    numbers = bench(tmp_path, 3000)
    assert numbers["events"] == 3000 and 0 < numbers["filter_rows"] < numbers["contacts"]  # type: ignore[operator]
    assert numbers["headline_after"] != numbers["headline_before"]  # the decision changed the findings
    assert numbers["previewed_headline_matches"] is True  # the preview said what the decision then did
    for key in ("first_screen_s", "filter_change_s", "busiest_pair_open_s", "recompute_after_decision_s",
                "recompute_after_note_s", "impact_preview_s", "recompute_after_previewed_link_s",
                "reference_conduct_analysis_cpu_s",
                "filtered_timeline_arrow_table_s", "filtered_timeline_textual_datatable_s",
                "conduct_screen_open_s", "conduct_screen_open_plain_rule_s", "conduct_screen_breaches_table_cpu_s",
                "conduct_screen_breaches_table_plain_rule_cpu_s"):
        assert isinstance(numbers[key], float) and numbers[key] >= 0


def test_the_sources_screen_lists_exhibits_in_exhibit_order(small_case: Path) -> None:
    """JA/1, JA/2 … JA/10, as the statement lists them (the store's order by source id reads as
    random), and the rejects grouped by exhibit in the same order."""
    from atlas.exhibits import exhibit_key

    async def script(app: AtlasApp, pilot: Pilot[None]) -> None:
        await show(app, pilot, "7")
        await until(pilot, lambda: app.screen.query_one("#sources", FrameTable).frame.height > 0)
        listed = app.screen.query_one("#sources", FrameTable).frame.get_column("exhibit").to_list()
        assert len(listed) >= 10 and listed == sorted(listed, key=exhibit_key) and listed[0].endswith("/1")
        rejected = app.screen.query_one("#rejects", FrameTable).frame.get_column("exhibit").to_list()
        assert rejected == sorted(rejected, key=exhibit_key)

    run(small_case, script)


def test_the_conduct_screen_lists_every_warning_of_the_analysis(small_case: Path) -> None:
    """The workbench showed none of the warnings the reports print (what the counts leave out or
    assume), so a reviewer could read "incidents 0" with nothing to say why. Enter shows one whole."""
    async def script(app: AtlasApp, pilot: Pilot[None]) -> tuple[list[str], str, list[str], list[str]]:
        await show(app, pilot, "5")
        await until(pilot, lambda: "last incident" in text(app, "#clock"))
        screen: Any = app.screen
        result = screen.review.conduct()
        refs = screen.review.source_refs()
        stored = [w.text for w in result.warnings]  # each warning names its records as data: shown by exhibit
        warnings = [w.shown(refs) for w in result.warnings] + [w for w in result.s2a.warnings if w not in stored]
        screen.query_one("#tabs").active = "tab-warnings"
        await until(pilot, lambda: screen.query_one("#warnings", FrameTable).frame.height == len(warnings))
        table = screen.query_one("#warnings", FrameTable)
        label = str(screen.query_one("#tabs").get_tab("tab-warnings").label)
        table.focus()
        await pilot.press("enter")
        await until(pilot, lambda: any(warnings[0] == str(n.message) for n in app._notifications),
                    "the first warning shown whole in a message")
        shown = [str(n.message) for n in app._notifications]
        return warnings, label, table.frame.get_column("warning").to_list(), shown

    warnings, label, rows, shown = run(small_case, script)
    assert warnings, "the rejected-ex case has warnings (the test needs one)"
    assert rows == warnings and label == f"Warnings ({len(warnings)})"
    assert warnings[0] in shown  # the first row read whole
    assert not [w for w in rows if re.search(r"name:[0-9a-f]{16}", w)]  # display names by exhibit, not store id
