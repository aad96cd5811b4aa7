"""What a person sees of possible co-locations once an officer has decided some: the GIS exports,
the served figures, the team's HTML report and the workbench prompt.

Found on the covert scenario (session 10): after two were confirmed and one dismissed, the map
export, the locations figure, the contact-over-time charts and the report's map showed none of
them; the report's table cut the officer's note; the workbench asked for a decision without
saying what it would change.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from _conduct_cases import SUSPECT, VICTIM, make_case, msg, pos

from atlas.conduct import analyse
from atlas.decisions.colocations import decide_colocation
from atlas.store import Case

AS_OF = date(2026, 9, 1)
SPOT = (51.5230, -0.1010)
OFFICER = "DS 5678 B. Reviewer"
NOTE = ("Victim's account of 10/04/2026 (MG11 of the victim) and CCTV exhibit TO/9 place him outside the cafe at "
        "18:05 while she was inside; the cafe's till receipt TO/10 puts her there from 17:50 to 18:40, which is the "
        "whole of the time both phones report positions within a few metres of each other")
DISMISSED = "She was abroad that week: passport stamps and boarding cards, exhibit TO/8"
HEX_SOURCE = re.compile(r"\b[0-9a-f]{16}\b")
"""A source's hex id (the first part of an event id): never shown to a person."""


def _decided_case(root: Path) -> tuple[Case, dict[str, Any]]:
    """One message on 01/04; her positions with no stated accuracy near his (±12 m) on 10/04, 20/04
    and 25/04: three possible co-locations. The first is confirmed, the second dismissed, the last
    left open."""
    case = make_case(root, {
        VICTIM: [msg("2026-04-01 10:00", SUSPECT, VICTIM, "hi")]
        + [pos(f"2026-04-{d} 18:00", *SPOT, None) for d in (10, 20, 25)],
        SUSPECT: [pos(f"2026-04-{d} 18:05", SPOT[0] + 0.0004, SPOT[1], 12.0) for d in (10, 20, 25)],
    })
    first, second, third = analyse(case, as_of=AS_OF).colocation_reviews
    officer = Case.open(root, officer=OFFICER)
    decide_colocation(officer, first, "confirmed", note=NOTE)
    decide_colocation(officer, second, "dismissed", note=DISMISSED)
    case = Case.open(root)
    now = {c.state: c for c in analyse(case, as_of=AS_OF).colocation_reviews}
    assert [now[s].key for s in ("confirmed", "dismissed", "open")] == [first.key, second.key, third.key]
    return case, now


@pytest.fixture(scope="module")
def decided(tmp_path_factory: pytest.TempPathFactory) -> tuple[Case, dict[str, Any]]:
    return _decided_case(tmp_path_factory.mktemp("coloc") / "c")


def _no_hex(text: str) -> None:
    assert not HEX_SOURCE.search(text), HEX_SOURCE.search(text)


# --- the GIS exports --------------------------------------------------------------------------

def test_geojson_draws_confirmed_and_open_apart_from_measured_with_state_and_basis(
        decided: tuple[Case, dict[str, Any]], tmp_path: Path) -> None:
    from atlas.export.run import export

    case, items = decided
    outcome = export(case, "geojson", tmp_path / "map.geojson")
    doc = json.loads((tmp_path / "map.geojson").read_text(encoding="utf-8"))
    assert outcome.counts["possible_co_locations_confirmed"] == 1
    assert outcome.counts["possible_co_locations_open"] == 1 and outcome.counts["possible_co_locations_dismissed"] == 1
    possible = [f["properties"] for f in doc["features"] if f["properties"]["feature"] == "possible-co-location"]
    assert not [f for f in doc["features"] if f["properties"]["feature"] == "co-location"]  # none is measured
    by_state = {p["state"]: p for p in possible}
    assert sorted(by_state) == ["confirmed", "open"]  # the dismissed one is not drawn ...
    assert "1 possible co-location(s) dismissed by an officer" in doc["atlas"]["not_drawn"]  # ... but counted
    confirmed, still_open = by_state["confirmed"], by_state["open"]
    assert confirmed["counted"] is True and still_open["counted"] is False
    assert confirmed["name"].startswith("Possible co-location, confirmed by an officer: near the victim, 10/04/2026")
    assert still_open["name"].startswith("Possible co-location, not counted (awaiting an officer's decision)")
    assert "25/04/2026" in still_open["name"]
    assert confirmed["decision"] == "confirmed by an officer; recorded in the case's decisions ledger"
    assert all("possible co-location only" in p["basis"] for p in possible)
    assert confirmed["victim_accuracy"] == "accuracy not stated" and confirmed["suspect_accuracy"] == "±12 m"
    # served like the exhibit tables: no review id (the team's outputs and the ledger have it)
    assert all(items[s].id not in json.dumps(doc) for s in ("confirmed", "open"))
    assert all(re.fullmatch(r"TO/\d+, row \d+", r) for r in confirmed["exhibits"] + confirmed["victim_exhibits"])
    assert re.search(r"\(TO/\d+ / TO/\d+\)$", confirmed["name"])
    # both devices' positions are the geometry
    [feature] = [f for f in doc["features"] if f["properties"].get("state") == "confirmed"]
    assert feature["geometry"]["type"] == "MultiPoint" and len(feature["geometry"]["coordinates"]) == 2
    text = json.dumps(possible, ensure_ascii=False)
    assert NOTE not in text and OFFICER not in text and DISMISSED not in text  # who and why: the ledger
    _no_hex(text)


def test_kml_has_a_styled_folder_of_possible_co_locations_with_their_state(
        decided: tuple[Case, dict[str, Any]], tmp_path: Path) -> None:
    from lxml import etree

    from atlas.export.run import export

    case, _ = decided
    export(case, "kml", tmp_path / "map.kml")
    root = etree.parse(str(tmp_path / "map.kml")).getroot()
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    [folder] = [f for f in root.iterfind(".//k:Folder", ns)
                if f.findtext("k:name", namespaces=ns, default="").startswith("Possible co-locations")]
    marks = folder.findall("k:Placemark", ns)
    data = [{d.get("name"): d.findtext("k:value", namespaces=ns) for d in m.iterfind(".//k:Data", ns)} for m in marks]
    assert sorted(d["state"] for d in data) == ["confirmed", "open"]
    assert sorted(m.findtext("k:styleUrl", namespaces=ns) for m in marks) == ["#possible-confirmed", "#possible-open"]
    assert {s.get("id") for s in root.iterfind(".//k:Style", ns)} == {"possible-confirmed", "possible-open"}
    assert all("possible co-location only" in d["basis"] for d in data)
    assert {d["counted"] for d in data} == {"true", "false"}  # as the CSVs and GeoJSON write it (was Python's True)
    names = [m.findtext("k:name", namespaces=ns) or "" for m in marks]
    assert any(n.startswith("Possible co-location, confirmed by an officer") for n in names)
    _no_hex(" ".join(names) + json.dumps(data))
    # the measured folder holds none of them
    [measured] = [f for f in root.iterfind(".//k:Folder", ns) if f.findtext("k:name", namespaces=ns) == "Co-locations"]
    assert measured.findall("k:Placemark", ns) == []


# --- the served figures and the team's report ----------------------------------------------------

def _inputs_findings(case: Case) -> tuple[Any, Any]:
    from reports import findings, inputs

    ins = inputs.gather(case, as_of=AS_OF)
    return ins, findings.build(ins)


def _drawn(monkeypatch: pytest.MonkeyPatch, draw: Any, *args: Any) -> Any:
    """The matplotlib figure a figure function draws (instead of saving it)."""
    import reports.figures as figures

    kept: list[Any] = []
    monkeypatch.setattr(figures, "_save", lambda fig, path, footer: kept.append(fig) or path)
    draw(*args)
    return kept[0]


def test_served_figures_draw_the_confirmed_one_as_confirmed_never_the_open_or_dismissed(
        decided: tuple[Case, dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import matplotlib.dates as mdates

    import reports.figures as figures

    case, items = decided
    ins, fnd = _inputs_findings(case)
    assert "locations" in figures.planned(ins, fnd)
    from dataclasses import replace

    served = replace(fnd, s2a_window=None)
    fig = _drawn(monkeypatch, figures.locations, ins, served, tmp_path / "l.png", "", "Sam")
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "possible co-locations (no stated accuracy), confirmed by an officer" in legend
    assert not any("found by the analysis" in t for t in legend)  # none measured: never drawn as measured
    labels = [t.get_text() for t in ax.texts]
    [label] = [t for t in labels if "confirmed by an officer" in t]
    assert re.fullmatch(r"10/04/2026 confirmed by an officer \(TO/\d+ / TO/\d+\)", label)
    text = " ".join(legend + labels)
    assert "20/04/2026" not in text and "25/04/2026" not in text and "not counted" not in text
    assert "dismissed" not in text
    _no_hex(text)
    # the confirmed one is drawn where it was (his position beside hers), once
    confirmed = [c for c in ax.collections if c.get_label().endswith("confirmed by an officer")]
    [(x, y)] = confirmed[0].get_offsets().tolist()
    assert (round(y, 3), round(x, 3)) == (round(SPOT[0], 3), round(SPOT[1], 3))

    fig = _drawn(monkeypatch, figures.contacts_per_day, served, tmp_path / "d.png", "", "Sam")
    ax = fig.axes[0]
    handles = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "day of a possible co-location, confirmed by an officer" in handles
    assert not any("measured" in h for h in handles)
    marks = [c for c in ax.collections if c.get_offsets().shape[0] and c.get_offsets()[0][1] > 0.9]
    days = sorted(round(float(x) - 0.45) for c in marks for x, _ in c.get_offsets().tolist())
    assert days == [round(mdates.date2num(items["confirmed"].day))]  # 10/04 only: not 20/04, not 25/04
    lo, hi = ax.get_xlim()
    assert lo < days[0] < hi


def test_the_team_report_draws_every_state_and_gives_each_decision_in_full(
        decided: tuple[Case, dict[str, Any]]) -> None:
    from bokeh.models import ColumnDataSource, HoverTool

    from reports import html_report
    from reports.review_view import place_label

    case, items = decided
    ins, fnd = _inputs_findings(case)
    for chart in (html_report.location_chart(ins, fnd, "Sam"), html_report.daily_chart(fnd, ins.zone, "Sam")):
        sources = [m for m in chart.references() if isinstance(m, ColumnDataSource) and "what" in m.data]
        shown = {w: (src.data["decision"][i], src.data["records"][i], src.data["basis"][i])
                 for src in sources for i, w in enumerate(src.data["what"])}
        assert sorted(shown) == sorted(html_report.COLOCATION_LEGEND[s] for s in ("confirmed", "open", "dismissed"))
        decision, records, basis = shown[html_report.COLOCATION_LEGEND["confirmed"]]
        assert decision == f"confirmed by {OFFICER} on {items['confirmed'].decided.day}: {NOTE}"  # in full
        assert re.fullmatch(r"TO/\d+ / TO/\d+", records) and "possible co-location only" in basis
        assert shown[html_report.COLOCATION_LEGEND["dismissed"]][0].endswith(DISMISSED)
        assert shown[html_report.COLOCATION_LEGEND["open"]][0].startswith("listed, not counted")
        _no_hex(json.dumps(shown, ensure_ascii=False))
        assert any(isinstance(t, HoverTool) and ("decision", "@decision") in t.tooltips for t in chart.tools)
        legend = {str(getattr(i.label, "value", i.label)) for lg in chart.legend for i in lg.items}
        assert {html_report.COLOCATION_LEGEND[s] for s in ("confirmed", "open", "dismissed")} <= legend

    import html as html_lib

    html = html_lib.unescape(html_report.decisions_html(ins, analyse(case, as_of=AS_OF).colocation_reviews))
    assert NOTE in html and DISMISSED in html  # the whole note, never cut
    assert "<tr class='confirmed'>" in html and "<tr class='dismissed'>" in html
    assert "<tr class='open'>" not in html and "1 open one" in html  # open ones: their basis, once
    assert place_label(ins, None, "victim-location") in html
    _no_hex(html)
    cell = html_report._decision_cell(items["confirmed"])
    assert NOTE not in cell and "note in full below" in cell and OFFICER in cell


# --- the workbench: before -> after before the officer commits --------------------------------------

def test_the_preview_is_what_the_decision_then_does(tmp_path: Path) -> None:
    from atlas.decisions.colocations import colocation_impact
    from atlas.review import Review

    root = tmp_path / "c"
    make_case(root, {
        VICTIM: [msg("2026-04-01 10:00", SUSPECT, VICTIM, "hi"), pos("2026-04-20 18:00", *SPOT, None)],
        SUSPECT: [pos("2026-04-20 18:05", SPOT[0] + 0.0004, SPOT[1], 12.0)],
    })
    review = Review(Case.open(root), as_of=AS_OF)
    [item] = review.conduct().colocation_reviews
    preview = colocation_impact(review, item, "confirmed")
    assert (preview.before.incidents, preview.after.incidents) == (1, 2)
    assert (preview.before.last_incident, preview.after.last_incident) == (date(2026, 4, 1), date(2026, 4, 20))
    assert (preview.before.deadline, preview.after.deadline) == (date(2026, 10, 1), date(2026, 10, 20))
    assert colocation_impact(review, item, "dismissed").after == preview.before  # dismissing changes nothing
    assert review.headline() == preview.before  # nothing was written
    decide_colocation(review.case, item, "confirmed", note=NOTE)
    assert review.headline() == preview.after
    [decided_item] = review.conduct().colocation_reviews
    back = colocation_impact(review, decided_item, "open")  # re-opening: back to where it was
    assert back.after == preview.before and back.before == preview.after


def test_the_workbench_prompt_shows_before_and_after_before_the_officer_commits(tmp_path: Path) -> None:
    import asyncio

    from pilot_wait import settled, until
    from test_tui import text

    from atlas.decisions.ledger import read_decisions
    from atlas.tui.app import AtlasApp
    from atlas.tui.widgets import DecisionPrompt, FrameTable

    root = tmp_path / "c"
    make_case(root, {
        VICTIM: [msg("2026-04-01 10:00", SUSPECT, VICTIM, "hi"), pos("2026-04-20 18:00", *SPOT, None)],
        SUSPECT: [pos("2026-04-20 18:05", SPOT[0] + 0.0004, SPOT[1], 12.0)],
    })

    async def drive() -> str:
        app = AtlasApp(root, as_of=AS_OF)
        async with app.run_test(size=(180, 50)) as pilot:
            await until(pilot, lambda: "incidents" in text(app, "#headline"))
            await pilot.press("5")
            await until(pilot, lambda: app.screen.query_one("#colocations", FrameTable).frame.height == 1)
            await settled(pilot, "the Conduct screen's tables mounted")
            app.screen.query_one("#tabs").active = "tab-colocations"  # type: ignore[attr-defined]
            await until(pilot, lambda: app.screen.query_one("#colocations", FrameTable).region.height > 0, "the tab shown")
            app.screen.query_one("#colocations", FrameTable).focus()
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, DecisionPrompt))
            await until(pilot, lambda: "before → after" in text(app, "#impact"))
            shown = text(app, "#impact")
            assert read_decisions(app.case) == []  # shown before anything is recorded
            await pilot.press("escape")
            return shown

    shown = asyncio.run(drive())
    lines = {line.split("  ")[0]: line for line in shown.splitlines()}
    assert re.search(r"1\s+→\s+2\s+\*", lines["incidents (occasions)"])
    assert re.search(r"01/04/2026\s+→\s+20/04/2026\s+\*", lines["last incident"])
    assert re.search(r"01/10/2026\s+→\s+20/10/2026\s+\*", lines["s2A: last day to lay"])
    assert read_decisions(Case.open(root)) == []  # cancelled: nothing recorded


def test_the_s2a_window_s_legend_names_the_limit_as_data(decided: tuple[Case, dict[str, Any]],
                                                        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The legend cut the window's label at its first colon: a limit's name holding a colon lost its end."""
    from dataclasses import replace

    import reports.figures as figures
    from reports.findings import Period

    case, _ = decided
    _, fnd = _inputs_findings(case)
    window = Period("s2A: summary only: last incident to last day to lay the information", date(2026, 4, 10),
                    date(2026, 10, 10), name="s2A: summary only")
    fig = _drawn(monkeypatch, figures.contacts_per_day, replace(fnd, s2a_window=window), tmp_path / "c.png", "", "Sam")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "s2A: summary only window (last incident to deadline)" in legend
