"""One location standard, by accuracy, the same for the suspect's and the victim's positions,
stated in the outputs; possible breaches say exactly what they rest on."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from _conduct_cases import HOME, SUSPECT, VICTIM, make_case, pos

from atlas.conduct import ConductOptions, analyse
from atlas.conduct.location_standard import DEFINITE, NOT_USED, POSSIBLE, LocationStandard

AS_OF = date(2026, 11, 22)
ORDER = {"type": "restraining-order", "start": "2026-05-01", "reference": "RO-1"}


def north_of_home(metres: float) -> tuple[float, float]:
    return HOME[0] + metres / 111_320, HOME[1]


@pytest.mark.parametrize(("accuracy", "grade"), [(None, POSSIBLE), (0.0, DEFINITE), (10.0, DEFINITE), (250.0, DEFINITE),
                                                  (250.1, NOT_USED), (5000.0, NOT_USED)])
def test_a_position_is_graded_by_its_stated_accuracy_and_the_column_form_agrees(accuracy: float | None,
                                                                               grade: str) -> None:
    standard = LocationStandard.of(ConductOptions())
    assert standard.grade(accuracy) == grade
    col = pl.DataFrame({"a": [accuracy]}, schema={"a": pl.Float64}).select(standard.grade_expr(pl.col("a"))).item()
    assert col == grade


@pytest.mark.parametrize(("his", "hers", "definite"), [(12.0, 10.0, True), (12.0, None, False), (None, 10.0, False),
                                                        (None, None, False)])
def test_near_the_victim_is_definite_only_when_both_positions_state_an_accuracy(
        tmp_path: Path, his: float | None, hers: float | None, definite: bool) -> None:
    spot = (51.5230, -0.1010)
    case = make_case(tmp_path / "c", {VICTIM: [pos("2026-04-10 18:00", *spot, hers)],
                                      SUSPECT: [pos("2026-04-10 18:05", spot[0] + 0.0004, spot[1], his)]})
    r = analyse(case, as_of=AS_OF).to_json()
    found = [c for c in r["colocations"] if c["kind"] == "victim-location"]
    possible = [c for c in r["possible_colocations"] if c["kind"] == "victim-location"]
    assert (len(found), len(possible)) == ((1, 0) if definite else (0, 1))
    if not definite:
        assert possible[0]["certainty"].endswith("no stated accuracy: possible co-location only")
        assert [i["date"] for i in r["incidents"]] == []   # a possible co-location is never an incident


def test_an_episode_mixing_stated_and_unstated_accuracy_says_so_on_each_side(tmp_path: Path) -> None:
    """Seen on an unseen-seed covert case: "suspect: … (±52 m)" beside "positions of both have no stated
    accuracy" read as a contradiction; each side now says the widest stated and that some state none."""
    spot = (51.5230, -0.1010)
    case = make_case(tmp_path / "c", {
        VICTIM: [pos("2026-04-10 18:00", *spot, None), pos("2026-04-10 18:04", *spot, None)],
        SUSPECT: [pos("2026-04-10 18:02", spot[0] + 0.0004, spot[1], 52.0),
                  pos("2026-04-10 18:06", spot[0] + 0.0004, spot[1], None)]})
    r = analyse(case, as_of=AS_OF).to_json()
    [possible] = [c for c in r["possible_colocations"] if c["kind"] == "victim-location"]
    assert "(±52 m at most where stated; some positions state no accuracy)" in possible["precision"]
    assert "victim: " in possible["precision"] and possible["precision"].endswith("(accuracy not stated)")
    assert possible["certainty"].endswith(
        "but positions of both devices include some with no stated accuracy: possible co-location only")
    assert r["colocations"] == [] or all(c["kind"] != "victim-location" for c in r["colocations"])


def test_the_standard_is_stated_in_the_json_and_the_text(tmp_path: Path, atlas: object,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    case = make_case(tmp_path / "c", {SUSPECT: [pos("2026-05-09 20:00", *north_of_home(50), 10.0)]}, orders=[ORDER])
    r = analyse(case, as_of=AS_OF).to_json()
    standard = r["location_standard"]
    assert (standard["max_accuracy_m"], standard["near_m"], standard["window_minutes"]) == (250.0, 100.0, 15)
    assert "the suspect's and the victim's" in standard["rule"] and any(
        a == f"location standard: {standard['rule']}" for a in r["assumptions"])
    monkeypatch.setenv("COLUMNS", "1000")
    out = " ".join(atlas("conduct", case.root, "--as-of", "2026-11-22").out.split())  # type: ignore[attr-defined]
    assert standard["rule"] in out


def test_possible_breaches_say_exactly_what_they_rest_on_and_are_not_a_counted_visit_again(tmp_path: Path) -> None:
    inside = north_of_home(40)
    case = make_case(tmp_path / "c", {SUSPECT: [
        # one visit seen twice: a fix with a stated accuracy (a breach) and a derived point with none
        pos("2026-05-09 20:00", *inside, 10.0), pos("2026-05-09 20:05", *inside, None, channel="google-location"),
        # another evening: only a derived point with no stated accuracy
        pos("2026-05-16 20:00", *north_of_home(150), None, channel="google-location"),
    ]}, orders=[ORDER])
    r = analyse(case, as_of=AS_OF).to_json()
    assert [b["date"] for b in r["breaches"] if b["kind"] == "exclusion-zone"] == ["2026-05-09"]
    [possible] = r["possible_breaches"]
    assert possible["ts"].startswith("2026-05-16")
    assert possible["basis"] == ("1 position from Google location history reported inside the radius but with no stated accuracy, "
                                 "closest 150 m from the centre of victim home (radius 200 m): not a cell site, not a "
                                 "proposed link")
    assert r["orders"][0]["possible_within_breaches"] == 1


def test_what_is_listed_but_not_counted_is_said_in_the_reports_review_section(tmp_path: Path) -> None:
    """Seen on an unseen-seed covert case: 14 possible co-locations, 3 incidents in the HTML report's
    headline and nothing there saying that the rest were listed for a person to judge."""
    from reports.html_report import review_html
    from reports.review_view import ReviewView, listed_not_counted

    spot = (51.5230, -0.1010)
    case = make_case(tmp_path / "c", {VICTIM: [pos("2026-04-10 18:00", *spot, None)],
                                      SUSPECT: [pos("2026-04-10 18:05", spot[0] + 0.0004, spot[1], 12.0)]})
    result = analyse(case, as_of=AS_OF)
    lines = listed_not_counted(result)
    assert lines[0].startswith("1 possible co-location of the suspect's device with the victim's own recorded positions")
    assert "not counted" in lines[0] and lines[-1].startswith("Each is listed in the reviewer's note")
    html = review_html(ReviewView(listed=lines))
    assert "Possible only: listed, not counted" in html and "1 possible co-location of the suspect" in html
    # nothing listed: nothing said
    quiet = make_case(tmp_path / "q", {VICTIM: [pos("2026-04-10 18:00", *spot, 10.0)],
                                       SUSPECT: [pos("2026-04-10 18:05", spot[0] + 0.0004, spot[1], 12.0)]})
    assert listed_not_counted(analyse(quiet, as_of=AS_OF)) == ()
    assert "Possible only: listed, not counted" not in review_html(ReviewView())
