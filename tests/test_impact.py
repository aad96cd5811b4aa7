"""The victim's account of impact: [[impact]] entries in case.toml, `atlas impact add` and
`atlas impact`, each entry linked by date to the incidents before it, and always
labelled as her account, never as something the data shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from _conduct_cases import SUSPECT, VICTIM, make_case, msg

from atlas.conduct import analyse
from atlas.conduct.impact import link_impacts
from atlas.errors import ManifestError
from atlas.store import Case
from atlas.store.manifest import TEMPLATE, Impact, parse_manifest, with_impact

ENTRY = '''
[[impact]]
date = 2026-03-10
what = "Stopped walking home alone"
category = "routine"
source = "victim statement 12/03/2026"
recorded_by = "DC 0002 Test Officer"
'''


def test_impact_entries_are_read_strictly_from_case_toml() -> None:
    m = parse_manifest(TEMPLATE.replace("reference = \"OP-ATLAS-0001\"", "reference = \"X\"\nimpact_window_days = 7")
                       + ENTRY, Path("case.toml"))
    assert m.impact_window_days == 7
    assert m.impacts == (Impact(date(2026, 3, 10), "Stopped walking home alone", "routine", "victim statement 12/03/2026",
                                "DC 0002 Test Officer"),)
    assert parse_manifest(TEMPLATE, Path("case.toml")).impacts == ()   # the template's example is commented out
    for bad, message in [
        (ENTRY.replace('category = "routine"', 'category = "vibes"'), "category: must be one of routine"),
        (ENTRY.replace('recorded_by = "DC 0002 Test Officer"\n', ""), "missing required key 'recorded_by'"),
        (ENTRY + 'mood = "low"\n', "unknown key"),
        (ENTRY.replace("date = 2026-03-10", 'date = "10/03/2026"'), "date: expected date"),
    ]:
        with pytest.raises(ManifestError, match=message):
            parse_manifest(TEMPLATE + bad, Path("case.toml"))


def test_an_entry_is_linked_to_the_incidents_in_the_window_before_it_by_date_only() -> None:
    incidents = [{"date": d, "contacts": 2, "threat": d == "2026-03-05", "breach": False, "channels": ["sms"],
                  "event_ids": [f"s/{d}"]} for d in ("2026-02-20", "2026-02-24", "2026-03-05", "2026-03-10", "2026-03-11")]
    entry = Impact(date(2026, 3, 10), "Changed her number", "changed-number", "victim statement", "DC 1")
    account = link_impacts([entry], incidents, 14)
    link = account.links[0]
    assert link.window_start == date(2026, 2, 24)
    assert [i.date.isoformat() for i in link.incidents] == ["2026-02-24", "2026-03-05", "2026-03-10"]
    assert [i.threat_candidate for i in link.incidents] == [False, True, False]
    data = account.to_json()
    assert data["entries"][0]["account"] == "victim" and "not derived from the data" in data["label"]
    assert "does not show that they caused" in data["label"]
    assert [len(lk.incidents) for lk in link_impacts([entry], incidents, 0).links] == [1]


def test_atlas_impact_add_records_an_entry_audits_it_and_lists_it_with_its_incidents(
        tmp_path: Path, atlas: Callable[..., Any]) -> None:
    case = make_case(tmp_path / "c", {SUSPECT: [
        msg("2026-03-01 20:00", SUSPECT, VICTIM, "answer me"),
        msg("2026-03-08 21:00", SUSPECT, VICTIM, "you'll end up in A&E"),
        msg("2026-04-20 21:00", SUSPECT, VICTIM, "answer me"),
    ]})
    run = atlas("impact", "add", case.root, "--date", "2026-03-10", "--what", "Moved to her mother's", "--category",
                "moved-home", "--source", "victim statement 12/03/2026")
    assert run.code == 0, run.err
    reopened = Case.open(case.root)
    assert [(i.category, i.recorded_by) for i in reopened.manifest.impacts] == [("moved-home", "DC 0002 Test Officer")]
    assert reopened.audit_log()[-1]["action"] == "impact-add"
    listed = json.loads(atlas("impact", case.root, "--json").out)
    entry = listed["entries"][0]
    assert entry["what"] == "Moved to her mother's" and entry["source"] == "victim statement 12/03/2026"
    assert [i["date"] for i in entry["incidents"]] == ["2026-03-01", "2026-03-08"]
    assert [i["threat_candidate"] for i in entry["incidents"]] == [False, True]
    wider = json.loads(atlas("impact", case.root, "--json", "--window-days", "3").out)
    assert [i["date"] for i in wider["entries"][0]["incidents"]] == ["2026-03-08"]
    conduct = analyse(reopened, as_of=date(2026, 9, 1)).to_json()
    assert conduct["impact"]["entries"][0]["linked_incidents"] == 2
    assert conduct["s4a"]["victim_account_of_impact"]["entries"] == 1
    text = atlas("impact", case.root)
    flat = " ".join(text.out.split())
    assert "Moved" in flat and "moved-home" in flat and "not derived from the data" in flat


def test_a_bad_entry_is_refused_and_case_toml_is_left_as_it_was(tmp_path: Path, atlas: Callable[..., Any]) -> None:
    case = make_case(tmp_path / "c", {SUSPECT: [msg("2026-03-01 20:00", SUSPECT, VICTIM, "answer me")]})
    before = (case.root / "case.toml").read_bytes()
    for args in (["--date", "10/03/2026", "--what", "x", "--source", "s"],
                 ["--date", "2026-03-10", "--what", "x", "--source", "s", "--category", "vibes"],
                 ["--date", "2026-03-10", "--source", "s"],
                 ["--date", "2026-03-10", "--what", "x", "--source", "s", "--party", "nobody"]):
        run = atlas("impact", "add", case.root, *args)
        assert run.code != 0 and "Traceback" not in run.err
    assert (case.root / "case.toml").read_bytes() == before


def test_with_impact_escapes_quotes_and_newlines() -> None:
    text, m = with_impact(TEMPLATE, Path("case.toml"), Impact(
        date(2026, 3, 10), 'She said "I can\'t sleep"\nat all', "sleep", "999 call", "DC 1"))
    assert m.impacts[0].what == 'She said "I can\'t sleep"\nat all'
    assert text.startswith(TEMPLATE)
