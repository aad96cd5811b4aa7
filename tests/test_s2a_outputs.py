"""One s2A verdict, every output: the CLI text, its JSON, the HTML report and the reviewer's
note all say "expired" after the deadline, and all say the same thing before it; the statement
(evidence) never states it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from _conduct_cases import SUSPECT, VICTIM, make_case, msg

from atlas.store import Case
from reports.inputs import gather

# the last incident on 31/08/2026: the last day to lay an information is Sunday 28/02/2027
EVENTS = {VICTIM: [msg("2026-08-30 20:00", SUSPECT, VICTIM), msg("2026-08-31 12:00", SUSPECT, VICTIM)]}


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    make_case(tmp_path / "c", EVENTS, charge_date="2027-02-26")
    return tmp_path / "c"


@pytest.mark.parametrize(("as_of", "state", "says"), [
    ("2027-03-01", "expired", "expired on 01/03/2027: the last day to lay an information was Sunday 28/02/2027"),
    ("2027-02-27", "planned-date-passed", "planned date 26/02/2027 passed, still in time: 1 day left"),
    ("2026-11-22", "in-time-if-laid-by-planned-date", "in time on the planned date 26/02/2027"),
])
def test_every_output_renders_the_same_verdict(case_dir: Path, tmp_path: Path, atlas: Callable[..., object],
                                               monkeypatch: pytest.MonkeyPatch, as_of: str, state: str,
                                               says: str) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one table row per line, so the sentence is not wrapped
    data = json.loads(atlas("conduct", case_dir, "--as-of", as_of, "--json").out)  # type: ignore[attr-defined]
    assert data["s2a"]["state"] == state and data["s2a"]["headline"].startswith(says)
    assert data["s2a"]["in_time"] is (state != "expired")
    text = atlas("conduct", case_dir, "--as-of", as_of).out  # type: ignore[attr-defined]
    assert says in text
    assert ("in time" in text.split("s2A time limit")[1].split("last incident")[0]) is (state != "expired")
    run = atlas("report", case_dir, "--out", tmp_path / "out", "--as-of", as_of, "--unverified")  # synthetic case: no source files on disk
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert says in page
    note = (tmp_path / "out" / "reviewer-note.html").read_text(encoding="utf-8")
    assert says[1:] in note
    statement = (tmp_path / "out" / "statement.html").read_text(encoding="utf-8")
    assert says[1:] not in statement and "expired" not in statement  # the time limit is advice, not evidence


def test_a_report_without_as_of_gives_the_undated_verdict_and_no_days_left(case_dir: Path) -> None:
    inputs = gather(Case.open(case_dir))
    assert inputs.s2a is not None and inputs.s2a.as_of is None and inputs.s2a.days_left is None
    assert inputs.s2a.state.value == "in-time-if-laid-by-planned-date"
