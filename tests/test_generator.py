"""The synthetic case generator: determinism, fiction, and the stories its scenarios tell."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import date
from pathlib import Path

import pytest

from atlas.store.manifest import load_manifest
from fixtures.generate import generate, main
from fixtures.scenarios import SCENARIOS, build
from fixtures.truth import six_months_after
from fixtures.world import LONDON


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_same_arguments_give_identical_bytes(tmp_path: Path, scenario: str) -> None:
    generate(scenario, 5, 0.2, tmp_path / "a")
    generate(scenario, 5, 0.2, tmp_path / "b")
    a, b = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert a == b
    assert "truth.json" in a and "case.toml" in a and len(a) >= 3


def test_different_seeds_give_different_cases(tmp_path: Path) -> None:
    generate("rejected-ex", 1, 0.2, tmp_path / "a")
    generate("rejected-ex", 2, 0.2, tmp_path / "b")
    assert _digest(tmp_path / "a")["truth.json"] != _digest(tmp_path / "b")["truth.json"]


def test_scale_multiplies_background_not_conduct() -> None:
    small, big = build("rejected-ex", 1, 0.5), build("rejected-ex", 1, 3.0)
    assert len(big.contacts) > 2 * len(small.contacts)
    assert len(big.positions) > 2 * len(small.positions)
    conduct = [sum(c.conduct for c in w.contacts) for w in (small, big)]
    assert abs(conduct[0] - conduct[1]) < 0.2 * conduct[0]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_number_is_reserved_for_drama(scenario: str) -> None:
    world = build(scenario, 1, 1.0)
    for person in world.people.values():
        for n in person.numbers:
            assert n.e164.startswith(("+447700900", "+442079460")) or n.e164 == "+44101", n.e164


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_generated_manifest_is_valid_and_attributes_only_known_identifiers(tmp_path: Path, scenario: str) -> None:
    generate(scenario, 1, 0.2, tmp_path / "c")
    manifest = load_manifest(tmp_path / "c" / "case.toml")
    suspect = manifest.party("suspect")
    truth = json.loads((tmp_path / "c" / "truth.json").read_text())
    for alias in truth["parties"]["suspect"]["aliases"]:
        assert alias not in suspect.identifiers
    assert manifest.charge_date is not None


def test_time_limit_last_incident_is_31_august_and_deadline_28_february() -> None:
    world = build("time-limit", 1, 0.2)
    last = max(c.ts for c in world.contacts if c.conduct)
    assert last.astimezone(LONDON).date() == date(2026, 8, 31)
    assert six_months_after(date(2026, 8, 31)) == date(2027, 2, 28)
    assert world.charge_date == date(2027, 2, 26)
    conduct_days = sorted({c.ts.astimezone(LONDON).date() for c in world.contacts if c.conduct})
    longest = max((b - a).days for a, b in itertools.pairwise(conduct_days))
    assert longest > 90


def test_third_parties_last_incident_is_1_july_in_uk_but_30_june_in_utc() -> None:
    world = build("third-parties", 1, 0.2)
    last = max(c.ts for c in world.contacts if c.conduct)
    assert last.date() == date(2026, 6, 30)
    assert last.astimezone(LONDON).date() == date(2026, 7, 1)
    targets = {c.recipient for c in world.contacts if c.conduct}
    assert {"mother", "sister", "friend", "manager", "police101"} <= targets


def test_rejected_ex_has_threats_on_seven_days_a_block_and_a_new_number_in_the_same_handset() -> None:
    world = build("rejected-ex", 1, 0.2)
    threat_days = {c.ts.astimezone(LONDON).date() for c in world.contacts if c.threat}
    assert len(threat_days) == 7   # three plainly worded, four as real cases phrase them (VARIED_THREATS)
    assert [i.category for i in world.impacts] == ["routine", "changed-number", "sleep", "home-security"]
    suspect = world.person("suspect")
    assert len(suspect.numbers) == 2 and suspect.numbers[0].imei == suspect.numbers[1].imei
    assert world.blocks and [a.handle for a in suspect.accounts if a.alias] == ["d4n.watching", "not.dan.2026"]
    order = world.orders[0]
    after = [c for c in world.contacts if c.conduct and c.recipient == "victim" and c.ts >= order.start]
    assert len(after) > 5
    assert any(v.inside and v.start >= order.start for v in world.visits)
    assert any(not v.inside for v in world.visits)


def test_clean_has_no_threats_no_orders_and_two_way_contact() -> None:
    world = build("clean", 1, 0.2)
    assert not world.orders and not any(c.threat for c in world.contacts)
    pair = [c for c in world.contacts if {c.sender, c.recipient} == {"victim", "suspect"}]
    share = sum(c.sender == "suspect" for c in pair) / len(pair)
    assert 0.4 < share < 0.6


def test_covert_suspect_is_near_her_changing_places_on_14_occasions() -> None:
    world = build("covert", 1, 0.2)
    assert len(world.visits) == 14
    assert {v.place for v in world.visits} - {"victim home", "victim work"} == {v.place for v in world.visits}
    assert sum(c.conduct for c in world.contacts) == 3


def test_generate_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("evidence")
    assert main(["--scenario", "clean", "--out", str(tmp_path / "x")]) == 2
    assert (tmp_path / "x" / "keep.txt").read_text() == "evidence"
