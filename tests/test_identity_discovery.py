"""Candidate discovery: each rule on hand-made rows, and succession on every scenario's
world presented as one complete record of contacts (no parser involved), so the rules
are checked on the scenarios' real shapes whatever formats the generator writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from identity_helpers import T0, make_case, msg

from atlas.identity import decide, identifier_owner_map, read_links, resolve
from atlas.identity.candidates import (
    discover,
    display_name_proposals,
    evidence_proposals,
    name_match,
    style_similarity,
)
from atlas.model import EVENT_SCHEMA, conform, empty_evidence, empty_rejects
from atlas.store import Case, StagedSource
from fixtures.manifest import manifest_text
from fixtures.scenarios import SCENARIOS, build

# --- display names ---------------------------------------------------------------------------

@pytest.mark.parametrize(("x", "y"), [
    ("Dan", "Daniel Sample"), ("D", "Dan"), ("Dan", "Dan"), ("Mum", "Mum"), ("not dan", "Dan"),
    ("Alice Example", "Beth Example"), ("Background Person 00", "Background Person 01"),
    ("Gordon (work)", "Gordon Officeworth"), ("D Sample", "Daniel Sample"), ("Daniel Sample", "Daniel Simple"),
    ("Daniel Sample", "Daniel Sampel"),
])
def test_names_that_could_be_different_people_are_never_matched(x: str, y: str) -> None:
    assert name_match(x, y) is None


@pytest.mark.parametrize(("x", "y", "score"), [
    ("Daniel Sample", "daniel  SAMPLE", 1.0), ("Dániel Sample 🙂", "Daniel Sample", 1.0),
    ("Mr Daniel Sample", "Daniel Sample", 1.0), ("Dan Sample", "Daniel Sample", 0.85),
    ("Daniel James Sample", "Daniel Sample", 0.95), ("Jonathon Sample", "Jonathan Sample", 0.8),
])
def test_names_of_one_person_written_differently_match(x: str, y: str, score: float) -> None:
    assert name_match(x, y) == score


def test_display_names_match_across_sources_but_not_within_one() -> None:
    names = ["name:aaaa:Dan Sample", "name:bbbb:Daniel Sample", "name:aaaa:Daniel Sample", "name:cccc:Dan"]
    found = display_name_proposals(names, {"suspect": {"Daniel Sample", "Dan"}}, {})
    pairs = {(p.a, p.b) for p in found}
    assert ("name:aaaa:Dan Sample", "name:bbbb:Daniel Sample") in pairs
    assert ("name:aaaa:Dan Sample", "name:aaaa:Daniel Sample") not in pairs  # two entries in one phone
    assert all("name:cccc:Dan" not in (p.a, p.b) for p in found)
    to_party = {p.a for p in found if p.b == "party:suspect"}
    assert to_party == {"name:aaaa:Dan Sample", "name:aaaa:Daniel Sample", "name:bbbb:Daniel Sample"}
    assert all(p.basis == "display-name" and "score" in p.reason for p in found)


def test_style_similarity_needs_text_on_both_sides() -> None:
    assert style_similarity([], ["hello"]) is None
    same = style_similarity(["Why are you ignoring me?"], ["why are you ignoring me"])
    other = style_similarity(["Why are you ignoring me?"], ["Can you pick up milk?"])
    assert same is not None and other is not None and same > 0.99 > 0.5 > other


# --- documentary evidence ----------------------------------------------------------------------

def test_evidence_rows_become_one_proven_proposal_per_pair_and_basis() -> None:
    ev = pl.DataFrame([
        {"source_id": "s1", "source_ref": "contact 4", "basis": "contact-card", "identifier": "tel:+447700900013",
         "related": "name:s1:Dan 2", "detail": "contact 'Dan 2'"},
        {"source_id": "s2", "source_ref": "contact 9", "basis": "contact-card", "identifier": "name:s1:Dan 2",
         "related": "tel:+447700900013", "detail": None},
        {"source_id": "s1", "source_ref": "x", "basis": "horoscope", "identifier": "a:1", "related": "b:2", "detail": None},
        {"source_id": "s1", "source_ref": "y", "basis": "same-imei", "identifier": "tel:+447700900013", "related": None,
         "detail": None},
    ], schema=empty_evidence().schema)
    skipped: list[str] = []
    found = evidence_proposals(ev, skipped)
    assert len(found) == 1
    p = found[0]
    assert (p.a, p.b, p.basis, p.support) == ("name:s1:Dan 2", "tel:+447700900013", "contact-card",
                                              ("s1/contact 4", "s2/contact 9"))
    assert "2 record(s)" in p.reason and len(skipped) == 2


def test_discover_is_idempotent_and_never_resurrects_a_rejection(tmp_path: Path) -> None:
    events = [msg("tel:+447700900013", "tel:+447700900001", i) for i in range(3)]
    evidence = [{"source_ref": "imei 1", "basis": "same-imei", "identifier": "tel:+447700900002",
                 "related": "tel:+447700900013", "detail": "IMEI 356938035643809"}]
    case = make_case(tmp_path / "c", events, evidence)
    first = discover(case)
    assert len(first.new) == 1
    lid = first.new[0]
    again = discover(case)
    assert (again.new, again.unchanged) == ([], [lid])
    decide(case, lid, "rejected", note="test decision")
    third = discover(case)
    assert third.new == [] and [lk.status for lk in read_links(case)] == ["rejected"]
    assert "tel:+447700900013" not in identifier_owner_map(case, include_proposed=True)
    runs = [e for e in case.audit_log() if e["action"] == "identity.discover"]
    assert [r["detail"]["new"] for r in runs] == [1, 0, 0]


def test_accounts_that_sent_from_a_known_owners_download_are_proposed_as_device_owner(tmp_path: Path) -> None:
    events = [msg("instagram:d4n.watching", "instagram:alice.example", 0, direction="out", channel="instagram"),
              msg("instagram:alice.example", "instagram:d4n.watching", 5, direction="in", channel="instagram")]
    case = make_case(tmp_path / "c", events, owner="tel:+447700900002")
    discover(case)
    (link,) = read_links(case)
    assert (link.a, link.b, link.basis, link.strength, link.status) == (
        "instagram:d4n.watching", "tel:+447700900002", "device-owner", "proven", "proposed")
    assert link.support == ("src0000000000001/row 1",)


def test_a_one_off_unknown_caller_after_the_block_is_not_a_successor(tmp_path: Path) -> None:
    old = [msg("tel:+447700900002", "tel:+447700900001", 60 * i, "Why are you ignoring me?") for i in range(10)]
    cold = [msg("tel:+447700900099", "tel:+447700900001", 60 * 24 * 3 + i, "Your parcel is waiting") for i in range(2)]
    reciprocal = []
    for i in range(6):
        reciprocal.append(msg("tel:+447700900055", "tel:+447700900001", 60 * 24 * 4 + 60 * i, "Why are you ignoring me?"))
        reciprocal.append(msg("tel:+447700900001", "tel:+447700900055", 60 * 24 * 4 + 60 * i + 5, "Sorry, busy"))
    case = make_case(tmp_path / "c", old + cold + reciprocal)
    discover(case)
    assert read_links(case) == []


def test_a_new_number_taking_over_after_a_block_is_proposed_with_its_reasons(tmp_path: Path) -> None:
    texts = ["Why are you ignoring me?", "Pick up the phone", "I just want to talk", "Answer me"]
    old = [msg("tel:+447700900002", "tel:+447700900001", 60 * i, texts[i % 4]) for i in range(12)]
    old.append(msg("tel:+447700900002", "tel:+447700900001", 60 * 12, None, kind="call", channel="voice",
                   status="blocked"))
    new = [msg("tel:+447700900013", "tel:+447700900001", 60 * 24 * 2 + 60 * i, texts[(i + 1) % 4]) for i in range(8)]
    case = make_case(tmp_path / "c", old + new)
    discover(case)
    (link,) = read_links(case)
    assert (link.a, link.b, link.basis, link.strength, link.status) == (
        "tel:+447700900002", "tel:+447700900013", "temporal-succession", "inferred", "proposed")
    assert link.score is not None and link.score >= 0.9
    assert "was blocked" in link.reason and "100% one-sided" in link.reason and "style similarity" in link.reason
    assert set(link.support) >= {f"src0000000000001/row {i}" for i in range(14, 22)}
    claim = resolve(case, include_proposed=True).claims["suspect"]["tel:+447700900013"]
    assert (claim.status, claim.basis, claim.strength) == ("proposed", "temporal-succession", "inferred")
    assert T0 + timedelta(days=2) == datetime(2026, 3, 3, 12, tzinfo=UTC)
    assert "first contact 03/03/2026 12:00 GMT" in link.reason  # UK local time with its zone


# --- every scenario's world as one complete record ---------------------------------------------

def _world_case(scenario: str, root: Path) -> tuple[Case, Any]:
    """The scenario's contacts as one source that recorded them all (a perfect CDR-like
    record of every channel), no identity evidence: only behaviour can link aliases."""
    world = build(scenario, 1, 0.3)
    root.mkdir(parents=True)
    (root / "case.toml").write_text(manifest_text(world), encoding="utf-8")
    rows = [{
        "event_id": f"world/{c.cid}", "source_id": "world", "source_ref": c.cid, "kind": c.kind,
        "channel": "voice" if c.channel == "whatsapp-call" else c.channel, "ts_utc": c.ts, "ts_basis": "utc",
        "sender": c.sender_id.lower(), "recipients": [c.recipient_id.lower()], "text": c.text,
        "status": ("answered" if c.answered else "missed") if c.kind == "call" else None,
        "duration_s": c.duration_s, "direction": "unknown", "deleted": False, "attachments": [],
    } for c in world.contacts]
    events = conform(pl.DataFrame(rows, infer_schema_length=None).with_columns(pl.col("ts_utc").dt.cast_time_unit("us")),
                     EVENT_SCHEMA)
    source = {"source_id": "world", "path": "world", "name": "world", "size": 0, "sha256": "0" * 64, "format": "world",
              "parser": "test", "parser_version": "0", "owner": None, "region": "GB", "timezone": "Europe/London",
              "assumptions": [], "records_read": events.height, "events": events.height, "rejects": 0}
    Case.open(root).commit([StagedSource(source, events, empty_rejects(), empty_evidence())])
    return Case.open(root), world


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_succession_finds_every_suspect_alias_and_merges_no_one_else(scenario: str, tmp_path: Path) -> None:
    case, world = _world_case(scenario, tmp_path / scenario)
    discover(case)
    owner = identifier_owner_map(case, include_proposed=True)
    truth: dict[str, str] = {}
    for pid, person in world.people.items():
        truth.update({"tel:" + n.e164: pid for n in person.numbers})
        truth.update({f"{a.platform}:{a.handle.lower()}": pid for a in person.accounts})
    used = set(case.events().select("sender").collect().get_column("sender").to_list())
    wrong = {u: (p, truth[u]) for u, p in owner.items() if u in truth and truth[u] != p}
    assert wrong == {}
    suspect_aliases = {u for u, p in truth.items() if p == "suspect" and u in used}
    assert suspect_aliases <= {u for u, p in owner.items() if p == "suspect"}
    if scenario == "rejected-ex":
        assert {lk.basis for lk in read_links(case)} == {"temporal-succession"}
        assert len(suspect_aliases) == 5  # two numbers, the known Instagram and two aliases
    if scenario == "clean":
        assert read_links(case) == []


def test_people_json_lists_proposals_with_their_reasons(tmp_path: Path, atlas: Any) -> None:
    case, _ = _world_case("rejected-ex", tmp_path / "rx")
    assert atlas("discover", case.root).code == 0
    view = json.loads(atlas("people", case.root, "--json").out)
    assert {p["basis"] for p in view["proposals"]} == {"temporal-succession"}
    suspect = next(p for p in view["parties"] if p["id"] == "suspect")
    proposed = [i for i in suspect["identifiers"] if i["status"] == "proposed"]
    assert {i["uri"] for i in proposed} == {"tel:+447700900013", "instagram:d4n.watching", "instagram:not.dan.2026"}
    assert all(not i["in_confirmed_results"] and i["strength"] == "inferred" for i in proposed)
