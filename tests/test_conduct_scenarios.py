"""Every synthetic scenario, end to end: generated, ingested, analysed, compared with truth.json.

The identity decisions an officer would make are simulated by confirming the true
aliases of each case.toml party (truth.json ``aliases``): the conduct analysis is then
expected to find what the truth says is visible in the sources, no more and no less.
Sources are added to the generator by others over time, so the expectations are
derived from truth.json each run, never hard-coded; only what no source can show (a
co-location with the victim when none of her own positions is in the case) is left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from atlas.conduct import ConductOptions, ConductResult, analyse
from atlas.demo import ingest_generated
from atlas.identity.ledger import officer_link
from atlas.store import Case
from atlas.store.manifest import attributed_uris
from fixtures.generate import generate
from fixtures.scenarios import SCENARIOS, VARIED_THREATS

AS_OF = date(2026, 11, 22)
SCALE = 0.15


class Scenario:
    def __init__(self, root: Path, *, before_links: bool = False) -> None:
        self.root = root
        self.truth: dict[str, Any] = json.loads((root / "truth.json").read_text(encoding="utf-8"))
        self.case = Case.open(root)
        self.before_links: ConductResult | None = analyse(self.case, as_of=AS_OF) if before_links else None
        for pid, party in self.truth["parties"].items():
            if pid in {p.id for p in self.case.manifest.parties}:
                for alias in party["aliases"]:
                    officer_link(self.case, f"party:{pid}", alias, "officer-decision", note="test: the true alias")
        self.result = analyse(self.case, as_of=AS_OF, include_proposed=True)
        self.json = self.result.to_json()

    def victim_positions_visible(self) -> bool:
        victim = self.case.manifest.party("victim")
        owners = attributed_uris(victim, self.case.source_ids())
        sids = self.case.sources().filter(pl.col("owner").is_in(sorted(owners))).get_column("source_id").to_list()
        return self.case.events().filter(
            pl.col("source_id").is_in(sids) & (pl.col("kind").cast(pl.String) == "location")).collect().height > 0

    def her_stated_times(self) -> list[datetime]:
        """When her own positions state an accuracy precise enough to compare with his."""
        victim = self.case.manifest.party("victim")
        owners = attributed_uris(victim, self.case.source_ids())
        sids = self.case.sources().filter(pl.col("owner").is_in(sorted(owners))).get_column("source_id").to_list()
        opts = ConductOptions()
        return self.case.events().filter(
            pl.col("source_id").is_in(sids) & (pl.col("kind").cast(pl.String) == "location")
            & pl.col("accuracy_m").is_not_null() & (pl.col("accuracy_m") <= opts.near_m)).collect().get_column(
            "ts_utc").to_list()

    def detectable_visits(self, *, definite: bool = True) -> set[str]:
        """Visits some source can show, graded by the one location standard: at a case.toml place
        (definite); near her when her positions are in the case, definite only where one of hers
        states an accuracy within the comparison window (else possible: the same rule as for his)."""
        places = {p.name for p in self.case.manifest.places}
        near_her = self.victim_positions_visible()
        window = timedelta(minutes=ConductOptions().colocation_window_minutes)
        stated = self.her_stated_times()
        out = set()
        for v in self.truth["colocations"]:
            if v["place"] in places:
                if definite:
                    out.add(v["vid"])
            elif near_her:
                start = datetime.fromisoformat(v["start"].replace("Z", "+00:00")) - window
                end = datetime.fromisoformat(v["end"].replace("Z", "+00:00")) + window
                if any(start <= t <= end for t in stated) == definite:
                    out.add(v["vid"])
        return out


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scenario]:
    out = {}
    for name in SCENARIOS:
        root = tmp_path_factory.mktemp("conduct") / name
        generate(name, 1, SCALE, root)
        ingest_generated(root)
        out[name] = Scenario(root, before_links=name == "rejected-ex")
    return out


def precision_recall(found: set[Any], expected: set[Any]) -> tuple[float, float]:
    precision = len(found & expected) / len(found) if found else 1.0
    recall = len(found & expected) / len(expected) if expected else 1.0
    return precision, recall


def overlap_match(found: list[dict[str, Any]], expected: list[dict[str, Any]]) -> tuple[float, float]:
    """Precision/recall where two items match when they share a source record."""
    f_sets = [set(x["event_ids"]) for x in found]
    e_sets = [set(x["event_ids"]) for x in expected]
    tp_found = sum(1 for f in f_sets if any(f & e for e in e_sets))
    tp_expected = sum(1 for e in e_sets if any(e & f for f in f_sets))
    return (tp_found / len(f_sets) if f_sets else 1.0, tp_expected / len(e_sets) if e_sets else 1.0)


def expected_incidents(s: Scenario) -> list[dict[str, Any]]:
    seen = s.detectable_visits()
    visits = {v["vid"]: v for v in s.truth["visits"]}
    cids = {c["cid"]: c for c in s.truth["contacts"]}
    out = []
    for inc in s.truth["incidents"]:
        events = {e["event_id"] for cid in inc["cids"] for e in cids[cid]["sources"]}
        events |= {e for vid in inc["visits"] if vid in seen for e in visits[vid]["event_ids"]}
        if events:
            out.append({"date": inc["date"], "event_ids": sorted(events)})
    return out


NAMES = sorted(SCENARIOS)


def unexplained_extras(s: Scenario, extra: set[str]) -> list[str]:
    """Records Atlas puts in incidents that truth does not list, other than positions inside a true
    visit's time window (a writer registers one record per position; a location history may also
    hold derived points, such as the end of an activity segment, at the same place and time)."""
    if not extra:
        return []
    rows = s.case.events().filter(pl.col("event_id").is_in(sorted(extra))).select(
        "event_id", pl.col("kind").cast(pl.String), "ts_utc").collect()
    windows = [(v["start"], v["end"]) for v in s.truth["visits"] if v["inside"]]
    out = []
    for r in rows.iter_rows(named=True):
        ts = r["ts_utc"].strftime("%Y-%m-%dT%H:%M:%SZ")
        if r["kind"] == "location" and any(a <= ts <= b for a, b in windows):
            continue
        out.append(r["event_id"])
    return out


@pytest.mark.parametrize("name", NAMES)
def test_incidents_match_the_truth(scenarios: dict[str, Scenario], name: str) -> None:
    s = scenarios[name]
    expected = expected_incidents(s)
    found = s.json["incidents"]
    dates = precision_recall({i["date"] for i in found}, {i["date"] for i in expected})
    assert dates == (1.0, 1.0), (name, sorted({i["date"] for i in found} ^ {i["date"] for i in expected})[:10])
    mine = {e for i in found for e in i["event_ids"]}
    truth = {e for i in expected for e in i["event_ids"]}
    _, recall = precision_recall(mine, truth)
    assert recall >= 0.98, (name, recall)
    unexplained = unexplained_extras(s, mine - truth)
    assert len(unexplained) <= 0.02 * len(mine), (name, unexplained[:5])
    truth_gaps = [(g["from"], g["to"], g["days"]) for g in s.truth["gaps"]]
    if len(expected) == len(s.truth["incidents"]):
        assert [(g["from"], g["to"], g["days"]) for g in s.json["gaps"]] == truth_gaps


@pytest.mark.parametrize("name", NAMES)
def test_the_s2a_deadline_is_exact(scenarios: dict[str, Scenario], name: str) -> None:
    s = scenarios[name]
    expected = expected_incidents(s)
    s2a = s.json["s2a"]
    if not expected:
        assert s2a["last_incident"] is None and s2a["deadline"] is None
        return
    if expected[-1]["date"] == s.truth["s2a"]["last_incident"]:
        assert s2a["last_incident"] == s.truth["s2a"]["last_incident"]
        assert s2a["deadline"] == s.truth["s2a"]["deadline"]
        assert s2a["in_time_at_charge_date"] == s.truth["s2a"]["in_time_at_charge_date"]
        assert s2a["charge_date"] == s.truth["s2a"]["charge_date"]
    assert s2a["last_incident"] == expected[-1]["date"]
    assert "DPP v Baker" in s2a["rule"] and "not legal advice" in s2a["notice"]


def test_the_known_deadlines_of_the_stories(scenarios: dict[str, Scenario]) -> None:
    assert scenarios["time-limit"].json["s2a"]["deadline"] == "2027-02-28"        # 31 Aug + 6 months
    assert scenarios["time-limit"].json["s2a"]["days_left_at_charge_date"] == 2
    third = scenarios["third-parties"].json["s2a"]
    assert (third["last_incident"], third["deadline"]) == ("2026-07-01", "2027-01-01")   # 00:30 BST, not 30 June
    last = datetime.fromisoformat(third["last_incident_ts"])   # 23:30 UTC, give or take a handset's clock
    assert abs((last - datetime(2026, 6, 30, 23, 30, tzinfo=UTC)).total_seconds()) < 120
    assert scenarios["rejected-ex"].json["s2a"]["deadline"] == "2027-02-14"


@pytest.mark.parametrize("name", NAMES)
def test_threat_occasions_match_the_truth_and_traps_never_count(scenarios: dict[str, Scenario], name: str) -> None:
    s = scenarios[name]
    found, expected = s.json["threat_occasions"], s.truth["threat_occasions"]
    assert [t["date"] for t in found] == [t["date"] for t in expected]
    for f, e in zip(found, expected, strict=True):
        assert set(e["event_ids"]) <= set(f["event_ids"])
        assert all("«" in c for c in f["contexts"])
    traps = set(s.truth["threat_free_traps"])
    counted = {h["context"] for h in s.json["threat_hits_for_review"] if h["counts_as_threat"]}
    assert not any(t in c.replace("«", "").replace("»", "") for t in traps for c in counted)


def test_threats_in_varied_phrasing_are_candidate_occasions(scenarios: dict[str, Scenario]) -> None:
    sent = [(name, c) for name, s in scenarios.items() for c in s.truth["contacts"] if c["threat"] and c["text"] in VARIED_THREATS]
    assert len({c["text"] for _, c in sent}) == len(VARIED_THREATS)
    found = [any(c["text"] in t["texts"] and c["uk_date"] == t["date"] for t in scenarios[name].json["threat_occasions"])
             for name, c in sent]
    assert sum(found) / len(found) >= 0.9, [c["text"] for (_, c), f in zip(sent, found, strict=True) if not f]
    for s in scenarios.values():
        for t in s.json["threat_occasions"]:
            assert t["status"] == "candidate" and "confirm" in t["to_confirm"]
        assert s.json["s4a"]["confirmed_threat_occasions"] == 0


@pytest.mark.parametrize("name", NAMES)
def test_impact_entries_are_linked_to_the_incidents_before_them_and_reported(scenarios: dict[str, Scenario], name: str) -> None:
    s = scenarios[name]
    truth, found = s.truth["impact"], s.json["impact"]["entries"]
    assert [(e["date"], e["what"], e["category"], e["source"]) for e in found] == [
        (t["date"], t["what"], t["category"], t["source"]) for t in truth]
    expected_dates = [i["date"] for i in expected_incidents(s)]
    for e, t in zip(found, truth, strict=True):
        start = date.fromisoformat(t["date"]) - timedelta(days=t["window_days"])
        assert [i["date"] for i in e["incidents"]] == [
            d for d in expected_dates if start <= date.fromisoformat(d) <= date.fromisoformat(t["date"])]
        assert e["account"] == "victim"
    assert s.json["s4a"]["victim_account_of_impact"]["entries"] == len(truth)
    if name == "rejected-ex":
        assert len(truth) == 4 and all(t["linked_incident_dates"] for t in truth)


@pytest.mark.parametrize("name", NAMES)
def test_breaches_match_the_truth(scenarios: dict[str, Scenario], name: str) -> None:
    s = scenarios[name]
    seen = s.detectable_visits()
    expected = [b for b in s.truth["breaches"] if b["kind"] == "contact" or b.get("vid") in seen]
    found = s.json["breaches"]
    for kind in ("contact", "exclusion-zone"):
        p, r = overlap_match([b for b in found if b["kind"] == kind], [b for b in expected if b["kind"] == kind])
        assert p >= 0.98 and r >= 0.98, (name, kind, p, r)
    assert all(b["order"] in {o["reference"] for o in s.truth["orders"]} for b in found)
    assert all(b["identifier_status"] in ("attributed", "confirmed") for b in found if b["kind"] == "contact")


@pytest.mark.parametrize("name", NAMES)
def test_colocations_match_the_truth(scenarios: dict[str, Scenario], name: str) -> None:
    s = scenarios[name]
    seen = s.detectable_visits()
    expected = [v for v in s.truth["colocations"] if v["vid"] in seen]
    found = s.json["colocations"]
    assert overlap_match(found, expected) == (1.0, 1.0), name
    for c in found:
        assert c["precision"] and ("±" in c["precision"] or "not stated" in c["precision"])
    # near her where her positions state no accuracy: found, but possible only (the same standard as his)
    possible = [v for v in s.truth["colocations"] if v["vid"] in s.detectable_visits(definite=False)]
    found_possible = [c for c in s.json["possible_colocations"] if c["kind"] == "victim-location"]
    assert overlap_match(found_possible, possible) == (1.0, 1.0), name
    assert all("no stated accuracy: possible co-location only" in c["certainty"] for c in found_possible)
    assert "no stated accuracy supports a possible finding only" in s.json["location_standard"]["rule"]


def test_clean_has_no_breaches_threats_or_incidents_and_says_the_contact_is_two_way(scenarios: dict[str, Scenario]) -> None:
    r = scenarios["clean"].json
    assert r["breaches"] == [] and r["threat_occasions"] == [] and r["incidents"] == []
    assert r["contact_profile"]["reciprocity"]["two_way"] is True
    assert r["mutual_periods"]["contacts_not_counted"] > 100
    assert any("largely two-way" in w for w in r["warnings"])


def test_without_identity_decisions_alias_contacts_are_leads_not_conduct(scenarios: dict[str, Scenario]) -> None:
    s = scenarios["rejected-ex"]
    assert s.before_links is not None
    before = s.before_links.to_json()
    after = s.json
    assert len(before["incidents"]) < len(after["incidents"])
    assert len(before["breaches"]) < len(after["breaches"])
    leads = {u["identifier"] for u in before["identity_changes"]["unattributed_to_victim"] if u["like_the_suspect"]}
    assert set(s.truth["parties"]["suspect"]["aliases"]) & leads
    changes = {i["identifier"]: i for i in after["identity_changes"]["identifiers"]}
    new_number = next(a for a in s.truth["parties"]["suspect"]["aliases"] if a.startswith("tel:"))
    assert changes[new_number]["status"] == "confirmed" and changes[new_number]["new"] is True


def test_conduct_json_from_the_cli_has_the_agreed_shape(scenarios: dict[str, Scenario], atlas: Callable[..., Any]) -> None:
    s = scenarios["rejected-ex"]
    run = atlas("conduct", s.root, "--json", "--as-of", "2026-11-22", "--with-proposed")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    for key in ("s2a", "incidents", "threat_occasions", "breaches", "colocations", "gaps", "assumptions", "with_proposed"):
        assert key in data
    assert {"last_incident", "deadline", "in_time", "rule"} <= set(data["s2a"])
    assert {"date", "channels", "event_ids"} <= set(data["incidents"][0])
    assert {"date", "event_ids", "matched"} <= set(data["threat_occasions"][0])
    assert {"order", "kind", "ts", "event_ids"} <= set(data["breaches"][0])
    assert {b["kind"] for b in data["breaches"]} == {"contact", "exclusion-zone"}
    assert data["with_proposed"]["included"] is True and data["with_proposed"]["view"] == "with-proposed"
    assert all(isinstance(a, str) for a in data["assumptions"])
    assert data == json.loads(atlas("conduct", s.root, "--json", "--as-of", "2026-11-22", "--with-proposed").out)


def test_conduct_prints_the_clock_rules_and_warnings(scenarios: dict[str, Scenario], atlas: Callable[..., Any],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "1000")
    run = atlas("conduct", scenarios["time-limit"].root, "--as-of", "2027-02-10")
    assert run.code == 0, run.err
    for text in ("28/02/2027", "DPP v Baker", "not legal advice", "deadline near: 18 days left", "Gaps for a person to judge"):
        assert text in run.out, text
    bad = atlas("conduct", scenarios["time-limit"].root, "--as-of", "31/08/2026")
    assert bad.code == 2 and "not a date" in bad.err


def test_confirming_every_possible_colocation_gives_the_true_course_of_conduct(scenarios: dict[str, Scenario]) -> None:
    """The covert case's possible co-locations (her own Timeline states no accuracy) are listed, not counted;
    an officer confirming them all (a hypothetical ledger: nothing written to the shared case) gives the true
    incidents and last incident, exactly as the analysis's own 'if confirmed' said it would."""
    from atlas.conduct.possible_colocations import SUBJECT

    s = scenarios["covert"]
    r = s.result
    assert r.colocation_reviews and all(c.state == "open" for c in r.colocation_reviews)
    every = dict(r.decisions) | {(SUBJECT, c.key): "confirmed" for c in r.colocation_reviews}
    after = analyse(s.case, as_of=AS_OF, decisions=every)
    seen = s.detectable_visits() | s.detectable_visits(definite=False)
    expected = {inc["date"] for inc in s.truth["incidents"] if inc["cids"] or any(v in seen for v in inc["visits"])}
    assert {i.date.isoformat() for i in after.incidents} == expected
    assert after.s2a.last_incident is not None and after.s2a.last_incident.day.isoformat() == max(expected)
    effect = r.colocation_effect
    assert effect is not None and effect.incidents_if_confirmed == len(after.incidents)
    assert effect.last_incident_if_confirmed == after.s2a.last_incident.day
    assert effect.deadline_if_confirmed == after.s2a.deadline
    assert after.colocations == r.colocations  # the measured ones are unchanged: confirmed is not measured
    assert all(c.state == "confirmed" for c in after.colocation_reviews)
