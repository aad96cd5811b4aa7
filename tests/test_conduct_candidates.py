"""Threat and behaviour candidates in the conduct analysis: candidates are never counted
as fact; a person's confirm/dismiss decisions, keyed (kind, event_id), decide what is
counted, and the two counts are never merged."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from _conduct_cases import MOTHER, SUSPECT, VICTIM, make_case, msg

from atlas.conduct import analyse
from atlas.conduct.candidates import Candidate, count_occasions

AS_OF = date(2026, 9, 1)


def _case(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_case(tmp_path / "c", {SUSPECT: [
        msg("2026-03-01 20:00", SUSPECT, VICTIM, "ur gonna end up in A&E"),
        msg("2026-03-04 21:00", SUSPECT, VICTIM, "if u go 2 the police ur dead"),
        msg("2026-03-05 21:00", SUSPECT, MOTHER, "tell ur daughter accidents happen"),
        msg("2026-03-06 09:00", SUSPECT, VICTIM, "you'll be sorry"),
        msg("2026-03-07 09:00", SUSPECT, VICTIM, "I saw you at Tesco today"),
        msg("2026-03-08 09:00", SUSPECT, VICTIM, "These shoes are killing me"),
    ]})


def test_candidates_are_typed_keyed_and_explained_but_not_counted_until_confirmed(tmp_path: Path) -> None:
    result = analyse(_case(tmp_path), as_of=AS_OF)
    threats = [c for c in result.candidates if c.kind == "threat"]
    assert all(isinstance(c, Candidate) and c.key == ("threat", c.event_id) for c in threats)
    assert sorted((c.local_date.isoformat() if c.local_date else "", c.tier) for c in threats) == [
        ("2026-03-01", "occasion"), ("2026-03-04", "occasion"), ("2026-03-05", "occasion"), ("2026-03-06", "review")]
    outcome = next(c for c in threats if c.local_date == date(2026, 3, 1))
    assert outcome.text == "ur gonna end up in A&E" and outcome.marked == "«ur gonna end up in A&E»"
    assert outcome.rules[0].rule_id == "harm-outcome-future"
    data = result.to_json()
    assert data["s4a"]["candidate_threat_occasions"] == 3 and data["s4a"]["confirmed_threat_occasions"] == 0
    assert data["s4a"]["threat_indicator_met"] is False and data["s4a"]["threat_indicator_met_if_confirmed"] is True
    assert {t["status"] for t in data["threat_occasions"]} == {"candidate"}
    assert any("candidate threat occasions await" in w for w in data["warnings"])
    assert [h["score"] for h in data["threat_hits_for_review"]] == sorted(
        (h["score"] for h in data["threat_hits_for_review"]), reverse=True)
    assert not any("shoes" in h["text"] for h in data["threat_hits_for_review"])
    watching = [c for c in result.candidates if c.kind == "behaviour:watching"]
    assert [c.text for c in watching] == ["I saw you at Tesco today"]
    shown = {b["id"]: b for b in data["behaviours"]}["watching"]
    assert shown["count"] == 0 and shown["candidates_awaiting_decision"] == 1


def test_confirmed_and_dismissed_decisions_change_the_counts_separately(tmp_path: Path) -> None:
    case = _case(tmp_path)
    first = analyse(case, as_of=AS_OF)
    by_day = {c.local_date: c for c in first.candidates if c.kind == "threat"}
    watching = next(c for c in first.candidates if c.kind == "behaviour:watching")
    decisions = {
        by_day[date(2026, 3, 1)].key: "confirmed",
        by_day[date(2026, 3, 4)].key: "dismissed",
        by_day[date(2026, 3, 6)].key: "confirmed",   # a review-tier message a person confirmed
        watching.key: "confirmed",
    }
    data = analyse(case, as_of=AS_OF, decisions=decisions).to_json()
    s4a = data["s4a"]
    assert (s4a["candidate_threat_occasions"], s4a["confirmed_threat_occasions"]) == (2, 2)
    assert s4a["threat_indicator_met"] is True
    assert {t["date"]: t["status"] for t in data["threat_occasions"]} == {
        "2026-03-01": "confirmed", "2026-03-05": "candidate", "2026-03-06": "confirmed"}
    assert any("threats of violence confirmed on 2 occasions" in w for w in data["warnings"])
    shown = {b["id"]: b for b in data["behaviours"]}["watching"]
    assert shown["count"] == 1 and shown["shown"] is True and shown["candidates_awaiting_decision"] == 0


def test_a_decision_on_any_record_of_a_contact_applies_and_a_contradiction_is_no_decision() -> None:
    c = Candidate(kind="threat", event_id="a/1", tier="occasion", score=0.9, rules=(), text="x", marked="x",
                  event_ids=("a/1", "b/7"), contact_id="c1", local_date=date(2026, 1, 2))
    assert c.decision({("threat", "b/7"): "confirmed"}) == "confirmed"
    assert c.decision({("threat", "a/1"): "confirmed", ("threat", "b/7"): "dismissed"}) is None
    assert c.decision({("behaviour:watching", "a/1"): "confirmed"}) is None
    count = count_occasions([c], {("threat", "b/7"): "dismissed"})
    assert (count.candidates, count.confirmed, count.dismissed) == (0, 0, 1)


def test_atlas_conduct_prints_candidates_as_candidates_with_their_reasons(tmp_path: Path, atlas, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "250")
    case = make_case(tmp_path / "c", {SUSPECT: [
        msg("2026-03-01 20:00", SUSPECT, VICTIM, "ur gonna end up in A&E"),
        msg("2026-03-02 20:00", SUSPECT, VICTIM, "I would never hurt you"),
    ]})
    run = atlas("conduct", case.root, "--as-of", "2026-09-01")
    assert run.code == 0, run.err
    flat = " ".join(run.out.split())
    assert "threat occasions: 0 confirmed, 1 more awaiting a person's confirmation" in flat
    assert "only confirmed occasions count" in flat and "not findings" in flat
    assert "act-self-will-harm-target (lowered: negated)" in flat


def test_decisions_are_read_from_the_ledger_when_none_are_given(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The ledger of issue 14 (atlas.decisions.ledger: read_decisions, current -> {(subject, key): decision
    with .state}) feeds the counts; here a stand-in module with that shape holds the decisions."""
    import sys
    import types
    from dataclasses import dataclass

    case = _case(tmp_path)
    keys = {c.local_date: c.key for c in analyse(case, as_of=AS_OF).candidates if c.kind == "threat"}

    @dataclass
    class Decision:
        subject: str
        key: str
        state: str

    rows = [Decision(*keys[date(2026, 3, 1)], "confirmed"), Decision(*keys[date(2026, 3, 4)], "confirmed"),
            Decision(*keys[date(2026, 3, 5)], "open"), Decision("link", "L1", "confirmed")]
    ledger = types.ModuleType("atlas.decisions.ledger")
    ledger.read_decisions = lambda case: rows  # type: ignore[attr-defined]
    ledger.current = lambda ds: {(d.subject, d.key): d for d in ds}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "atlas.decisions", types.ModuleType("atlas.decisions"))
    monkeypatch.setitem(sys.modules, "atlas.decisions.ledger", ledger)
    s4a = analyse(case, as_of=AS_OF).to_json()["s4a"]
    assert (s4a["confirmed_threat_occasions"], s4a["candidate_threat_occasions"]) == (2, 3)
    assert s4a["threat_indicator_met"] is True
