"""The legal rules file: what it says, that every rule cites its source, and that a bad
edit is refused rather than silently changing an answer about the law."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from atlas.rules import DEFAULT_RULES, RulesError, load_rules, parse_rules
from atlas.store.manifest import ORDER_TYPES


def test_the_packaged_rules_state_the_offences_modes_and_limits() -> None:
    rules = load_rules()
    assert rules.version and rules.meta.jurisdiction == "England and Wales"
    assert "not legal advice" in rules.notice
    s2a, s4a = rules.offence("pha-s2a"), rules.offence("pha-s4a")
    assert s2a.mode_of_trial == "summary-only" and s4a.mode_of_trial == "either-way"
    limit = rules.time_limit_for("pha-s2a")
    assert (limit.months, limit.unit, limit.runs_from, limit.month_end) == (6, "calendar-month", "last-incident", "clamp")
    assert "Magistrates' Courts Act 1980 s127" in limit.citation
    assert "DPP v Baker [2004] EWHC 2782 (Admin)" in limit.runs_from_citation
    assert not rules.time_limit_for("pha-s4a").limited
    assert rules.course_of_conduct.min_occasions == 2 and "s7(3)" in rules.course_of_conduct.citation
    assert s4a.threat_occasions == 2


def test_every_order_type_case_toml_accepts_has_a_breach_rule_with_citation() -> None:
    rules = load_rules()
    for t in ORDER_TYPES:
        ot = rules.order_type(t)
        assert ot.citation and ot.breach_citation
    assert rules.order_type("spo").breach == "offence" and "Stalking Protection Act 2019 s8" in rules.order_type("spo").breach_citation
    assert "Family Law Act 1996 s42A" in rules.order_type("non-molestation-order").breach_citation
    assert "Sentencing Act 2020 s363" in rules.order_type("restraining-order").breach_citation
    assert rules.order_type("dvpo").breach == "contempt" and "Crime and Security Act 2010" in rules.order_type("dvpo").breach_citation
    assert rules.order_type("bail").breach == "not-an-offence"


def test_every_rule_in_the_file_carries_a_citation() -> None:
    data = load_rules().to_dict()
    for table in ("modes", "time_limits", "offences", "behaviours", "order_types"):
        for entry in data[table]:
            assert entry["citation"].strip(), (table, entry)


def _edited(old: str, new: str) -> str:
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(("old", "new", "message"), [
    ('citation = "Stalking Protection Act 2019 s1"\n', "", "missing required key 'citation'"),
    ("months = 6\n", "months = 6\nmonth = 6\n", "unknown key 'month'"),
    ('type = "dvpo"', 'type = "dvpo-x"', "no rule for order types case.toml accepts: dvpo"),
    ('mode_of_trial = "either-way"\ntime_limit = "none-either-way"', 'mode_of_trial = "either-way"\ntime_limit = "mca-1980-s127"',
     "is for summary-only offences"),
    ("Decision support, not legal advice.", "Decision support.", "not legal advice"),
    ('unit = "calendar-month"', 'unit = "lunar-month"', "calendar-month"),
    ('breach = "contempt"', 'breach = "maybe"', "breach must be one of"),
])
def test_a_bad_edit_of_the_rules_is_refused_with_a_clear_error(old: str, new: str, message: str) -> None:
    with pytest.raises(RulesError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_rules(_edited(old, new), Path("edited.toml"))


def test_another_rules_file_can_be_used_after_a_change_in_the_law(tmp_path: Path) -> None:
    changed = tmp_path / "rules.toml"
    changed.write_text(_edited('version = "', 'version = "test-').replace("months = 6", "months = 12"), encoding="utf-8")
    rules = load_rules(changed)
    assert rules.version.startswith("test-") and rules.time_limit_for("pha-s2a").months == 12
    assert rules.sha256 != load_rules().sha256


def test_atlas_rules_prints_each_rule_with_its_citation(atlas: Callable[..., object], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # one table row per line, so a citation is not wrapped across rows
    result = atlas("rules")
    assert result.code == 0  # type: ignore[attr-defined]
    out = " ".join(result.out.split())  # type: ignore[attr-defined]
    for text in ("not legal advice", "DPP v Baker", "s127", "Stalking Protection Act 2019 s8", "Family Law Act 1996 s42A",
                 "either-way", "summary-only", "s7(3)"):
        assert text in out, text
    as_json = json.loads(atlas("rules", "--json").out)  # type: ignore[attr-defined]
    assert as_json["meta"]["version"] == load_rules().version
    assert {o["id"] for o in as_json["offences"]} >= {"pha-s2", "pha-s2a", "pha-s4", "pha-s4a"}
