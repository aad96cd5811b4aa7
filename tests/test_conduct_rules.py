"""The legal rules file: what it says, that every rule cites its source, and that a bad
edit is refused rather than silently changing an answer about the law."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
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


# --- the rules file is the only source of legal wording ---------------------------------

CHANGES = (  # (old, new) in a copy of the packaged rules file
    ('short = "s2A"', 'short = "s2A-TEST"'),
    ("months = 6\n", "months = 9\n"),
    ('plain = "an information must be laid within six calendar months;', 'plain = "an information must be laid within nine calendar months (TEST);'),
    ('plain = "triable summarily only"', 'plain = "triable only before magistrates (TEST)"'),
    ('title = "Stalking protection order"', 'title = "Stalking protection order (TEST)"'),
    ("not to harassment or stalking.", "not to harassment or stalking. TEST-UNCHANGED."),
    ("are decisions for the investigator, the CPS and the court.", "are decisions for the investigator, the CPS and the court. TEST-NOTICE."),
)
MARKS = ("s2A-TEST", "nine calendar months (TEST)", "triable only before magistrates (TEST)", "Stalking protection order (TEST)",
         "TEST-UNCHANGED", "TEST-NOTICE")


def test_changing_a_rule_in_a_copy_of_the_rules_file_changes_every_output_that_uses_it(
        tmp_path: Path, atlas: Callable[..., object], monkeypatch: pytest.MonkeyPatch) -> None:
    from _conduct_cases import SUSPECT, VICTIM, make_case, msg

    from atlas.conduct import analyse
    from atlas.store import Case
    from atlas.tui.screens.conduct import clock_text

    text = DEFAULT_RULES.read_text(encoding="utf-8")
    for old, new in CHANGES:
        assert old in text, old
        text = text.replace(old, new)
    changed = tmp_path / "rules.toml"
    changed.write_text(text, encoding="utf-8")
    make_case(tmp_path / "c", {VICTIM: [msg("2026-08-30 20:00", SUSPECT, VICTIM), msg("2026-08-31 12:00", SUSPECT, VICTIM)]},
              orders=[{"type": "spo", "start": "2026-08-01", "reference": "SPO-1"}], charge_date="2027-02-26")
    case_dir = tmp_path / "c"
    monkeypatch.setenv("COLUMNS", "1000")

    def outputs(out: str) -> dict[str, str]:
        got = {"rules": " ".join(atlas("rules").out.split()),  # type: ignore[attr-defined]
               "conduct json": atlas("conduct", case_dir, "--as-of", "2026-11-22", "--json").out,  # type: ignore[attr-defined]
               "conduct text": " ".join(atlas("conduct", case_dir, "--as-of", "2026-11-22").out.split())}  # type: ignore[attr-defined]
        # the synthetic case has no source files on disk, so it cannot verify: --unverified
        assert atlas("report", case_dir, "--out", tmp_path / out, "--as-of", "2026-11-22", "--unverified").code == 0  # type: ignore[attr-defined]
        got["report.html"] = (tmp_path / out / "report.html").read_text(encoding="utf-8")
        got["reviewer-note.html"] = (tmp_path / out / "reviewer-note.html").read_text(encoding="utf-8")
        got["statement.html"] = (tmp_path / out / "statement.html").read_text(encoding="utf-8")
        got["tui"] = clock_text(analyse(Case.open(case_dir), as_of=__import__("datetime").date(2026, 11, 22)))
        return got

    before = outputs("before")
    monkeypatch.setenv("ATLAS_RULES", str(changed))
    after = outputs("after")
    uses = {  # which changed rules each output prints
        "rules": MARKS[1:],
        "conduct json": MARKS,
        "conduct text": (*MARKS[:2], "Stalking protection order (TEST)", "TEST-UNCHANGED", "TEST-NOTICE"),
        "report.html": ("s2A-TEST", "TEST-NOTICE"),
        "reviewer-note.html": MARKS,
        "tui": ("s2A-TEST", "TEST-NOTICE"),
    }
    for name, marks in uses.items():
        for mark in marks:
            assert mark in after[name], (name, mark)
            assert mark not in before[name], (name, mark)
    # nine calendar months from 31/08/2026: the deadline itself follows the rule
    data = json.loads(after["conduct json"])
    assert data["s2a"]["deadline"] == "2027-05-31" and json.loads(before["conduct json"])["s2a"]["deadline"] == "2027-02-28"
    assert ("six calendar months" not in after["reviewer-note.html"]
            and "six calendar months" in before["reviewer-note.html"])
    for mark in MARKS:  # the statement is evidence: no legal wording, before or after
        assert mark not in after["statement.html"], mark
    assert "six calendar months" not in before["statement.html"]


def test_da_protection_notices_and_orders_and_the_2026_spo_provisions_are_in_the_rules() -> None:
    rules = load_rules()
    dapo, dapn = rules.order_type("dapo"), rules.order_type("dapn")
    assert dapo.breach == "offence" and "Domestic Abuse Act 2021 s39" in dapo.breach_citation and "5 years" in dapo.breach_max_penalty
    assert dapn.breach == "not-an-offence" and "Domestic Abuse Act 2021 s26" in dapn.breach_citation
    pilot = rules.provision(dapo.depends_on)
    assert (pilot.status, pilot.in_force_from) == ("piloted", date(2024, 11, 27))
    assert pilot.in_force_on(date(2024, 11, 26)) is False and pilot.in_force_on(date(2024, 11, 27)) is True
    spo = rules.provision("cpa-2026-spo-on-conviction-or-acquittal")
    assert spo.id in rules.order_type("spo").provisions
    assert (spo.act, spo.royal_assent, spo.in_force_from, spo.status) == (
        "Crime and Policing Act 2026", date(2026, 4, 29), date(2026, 6, 29), "commenced-in-stages")
    unchanged = rules.provision("s2a-time-limit-unchanged")
    assert unchanged.status == "unchanged" and unchanged.id in rules.time_limit_for("pha-s2a").provisions
    assert "Magistrates' Courts Act 1980 s127" in unchanged.citation and "Criminal Justice Act 1988 s39A" in unchanged.citation
    assert "domestic abuse only" in unchanged.note
    assert rules.provision("single-stalking-offence").in_force_on(date(2026, 12, 1)) is False


def test_atlas_rules_prints_which_provisions_are_in_force_from_when(atlas: Callable[..., object],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "1000")
    out = " ".join(atlas("rules").out.split())  # type: ignore[attr-defined]
    for text in ("Domestic abuse protection order (dapo)", "Domestic Abuse Act 2021 s39", "piloted", "27/11/2024",
                 "commenced-in-stages", "29/06/2026", "Royal Assent 29/04/2026", "unchanged", "Criminal Justice Act 1988 s39A",
                 "not-enacted"):
        assert text in out, text
    data = json.loads(atlas("rules", "--json").out)  # type: ignore[attr-defined]
    assert {p["id"]: p["in_force_from"] for p in data["provisions"]}["daa-2021-dapn-dapo"] == "2024-11-27"


def test_a_dapo_dated_before_the_pilot_began_is_flagged_and_its_breach_is_an_offence(tmp_path: Path) -> None:
    from _conduct_cases import SUSPECT, VICTIM, make_case, msg

    from atlas.conduct import analyse

    case = make_case(tmp_path / "c", {VICTIM: [msg("2024-11-20 20:00", SUSPECT, VICTIM), msg("2024-11-21 12:00", SUSPECT, VICTIM)]},
                     orders=[{"type": "dapo", "start": "2024-11-01", "reference": "DAPO-1"}], charge_date="2025-01-10")
    data = analyse(case, as_of=date(2024, 12, 1)).to_json()
    order = data["orders"][0]
    assert order["title"] == "Domestic abuse protection order" and "a criminal offence" in order["breach_rule"]
    assert "before Domestic abuse protection notices and orders applied anywhere" in order["law_warning"]
    assert order["law_warning"] in data["warnings"] and len(data["breaches"]) == 2
