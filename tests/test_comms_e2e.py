"""End to end: generated cases with CDRs, handset downloads and exports → de-duplicated
contacts equal the truth, every source record kept and grouped correctly."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from atlas.cell_site import cdr_events_with_cells, unknown_cells
from atlas.contacts import case_contacts, contact_records, dedupe_contacts
from atlas.ingest import IngestOptions, ingest
from atlas.store import Case
from fixtures.generate import generate
from fixtures.writers.cdr import PLANS
from parsers.cdr import builtin_templates

SCENARIOS = ("rejected-ex", "time-limit", "third-parties")
"""Between them these use all four CDR templates, CSV and XLSX (covert and clean repeat them)."""


MINE = ("cdr", "cell-sites", "subscriber")


def _ingested(root: Path, scenario: str) -> tuple[Case, dict[str, Any]]:
    """Generate and ingest a case. A source another parser fails on is left out of the
    truth (with a warning) so this test judges de-duplication, not that parser; the
    communications returns themselves must all ingest."""
    case_dir = root / scenario
    truth: dict[str, Any] = generate(scenario, 1, 0.2, case_dir)
    case = Case.open(case_dir)
    failed: set[str] = set()
    for s in truth["sources"]:
        out = ingest(case, [case_dir / s["path"]],
                     IngestOptions(owner=s["owner"], options=dict(s["options"] or {}), keep_going=True))
        if out[0].status == "failed":
            assert s["parser"] not in MINE, out[0].message
            warnings.warn(f"{scenario}: {s['path']} not ingested ({out[0].message[:200]})", stacklevel=1)
            failed.add(s["source_id"])
    if failed:
        truth = dict(truth)
        truth["sources"] = [s for s in truth["sources"] if s["source_id"] not in failed]
        kept = []
        for c in truth["contacts"]:
            refs = [a for a in c["sources"] if a["source_id"] not in failed]
            if refs:
                kept.append({**c, "sources": refs})
        truth["contacts"] = kept
    return case, truth


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Case, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("comms")
    return {s: _ingested(root, s) for s in SCENARIOS}


def test_the_generator_writes_cdrs_in_every_shipped_template() -> None:
    used = {tpl for s in SCENARIOS for _, tpl, _ in PLANS[s]}
    assert used == {t.name for t in builtin_templates()}
    assert {kind for s in SCENARIOS for _, _, kind in PLANS[s]} == {"csv", "xlsx"}


def _check_grouping(contacts: pl.DataFrame, truth: dict[str, Any], *, allow_split: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    truth_of = {a["event_id"]: c["cid"] for c in truth["contacts"] for a in c["sources"]}
    group_of = {e: row["contact_id"] for row in contacts.iter_rows(named=True) for e in row["event_ids"]}
    # recall: every record of a true contact is found, and all its records are in one contact
    for c in truth["contacts"]:
        groups = {group_of.get(a["event_id"]) for a in c["sources"]}
        assert None not in groups, (c["cid"], groups)
        assert len(groups) == 1 or c["cid"] in allow_split, (c["cid"], c["ts"], c["channel"], groups)
    # precision: no contact mixes records of two true contacts, and none is made of nothing real
    for row in contacts.iter_rows(named=True):
        cids = {truth_of.get(e) for e in row["event_ids"]}
        assert len(cids) == 1 and None not in cids, (row["contact_id"], row["event_ids"], cids)


def _resolved(truth: dict[str, Any]) -> dict[str, str]:
    """Identity resolution done perfectly: every identifier the truth knows → its person
    (the parties' identifiers and the identifiers each true contact was made with)."""
    out = {i: pid for pid, p in truth["parties"].items() for i in p["identifiers"]}
    for c in truth["contacts"]:
        out.setdefault(c["from_id"], c["from"])
        out.setdefault(c["to_id"], c["to"])
    return out


def _self_addressed(case: Case, truth: dict[str, Any]) -> set[str]:
    """Truth contacts with a record whose parser named its sender among its recipients
    (a one-sided WhatsApp text export gives the owner as recipient of her own messages):
    such a record cannot meet the other records of its contact by parties. Warned, so
    the parser can be fixed; a correct parser has none."""
    resolved = _resolved(truth)
    events = contact_records(case.events(), same_person=resolved).filter(
        pl.col("party_to").list.contains(pl.col("party_from")))
    ids = set(events.get_column("event_id").to_list())
    cids = {c["cid"] for c in truth["contacts"] if any(a["event_id"] in ids for a in c["sources"])}
    if cids:
        warnings.warn(f"{len(ids)} record(s) name their sender as a recipient, e.g. {sorted(ids)[:2]}", stacklevel=1)
    return cids


def _network(case: Case) -> list[str]:
    return case.sources().filter(pl.col("parser") == "cdr").get_column("source_id").to_list()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_deduplicated_contacts_equal_the_truth(cases: dict[str, tuple[Case, dict[str, Any]]], scenario: str) -> None:
    """With identity fully resolved (every true identifier → its person), the contacts are
    exactly the truth's: each with all its source records, none mixed."""
    case, truth = cases[scenario]
    sources = case.sources()
    assert sources.filter(pl.col("parser") == "cdr").height == len(PLANS[scenario])
    assert sources.height == len(truth["sources"])
    resolved = _resolved(truth)
    owners = sources.filter(pl.col("owner").is_not_null())
    contacts = dedupe_contacts(case.events(), same_person=resolved, reference_sources=_network(case),
                               source_owners=dict(zip(owners["source_id"], owners["owner"], strict=True)))
    bad = _self_addressed(case, truth)
    _check_grouping(contacts, truth, allow_split=bad)
    assert contacts.height == len(truth["contacts"]) + len(bad)
    corroborated = contacts.filter(pl.col("source_ids").list.eval(pl.element().is_in(_network(case))).list.any()
                                   & (pl.col("n_sources") >= 2))
    assert corroborated.height > 0  # CDR records meet the handset records of the same contacts


def test_the_suspect_handset_clock_is_measured_against_network_time(
        cases: dict[str, tuple[Case, dict[str, Any]]]) -> None:
    from fixtures.writers.cellebrite_xml import DEVICE_CLOCK_SKEW

    case, _ = cases["rejected-ex"]
    offsets: dict[str, tuple[float, int]] = {}
    case_contacts(case, clock_offsets=offsets)
    handset = case.sources().filter(pl.col("parser") == "cellebrite-xml").get_column("source_id").to_list()
    assert handset and offsets[handset[0]][0] == DEVICE_CLOCK_SKEW.total_seconds()
    assert all(offsets[s] == (0.0, 0) for s in _network(case)[:1])  # the reference clock


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_before_identity_resolution_contacts_are_never_mixed_and_only_unattributed_aliases_split(
        cases: dict[str, tuple[Case, dict[str, Any]]], scenario: str) -> None:
    """With only the officer's attribution, a record naming an alias the case does not yet
    attribute (a display name 'D' in an export) cannot meet its other records: it stays a
    contact of its own. Nothing is ever merged wrongly."""
    case, truth = cases[scenario]
    contacts = case_contacts(case)
    attributed = {i for p in truth["parties"].values() for i in p["attributed"]}
    involves_alias = {c["cid"] for c in truth["contacts"]
                      if c["from_id"] not in attributed or c["to_id"] not in attributed}
    _check_grouping(contacts, truth, allow_split=involves_alias | _self_addressed(case, truth))
    assert attributed
    assert contacts.height >= len(truth["contacts"])


def test_the_two_numbers_of_the_rejected_ex_share_an_imei_in_cdrs_and_subscriber_data(
        cases: dict[str, tuple[Case, dict[str, Any]]]) -> None:
    case, truth = cases["rejected-ex"]
    evidence = case.evidence().filter(pl.col("basis") == "same-imei").collect()
    numbers = {p for p in truth["parties"]["suspect"]["identifiers"] if p.startswith("tel:")}
    by_imei = evidence.group_by("related").agg(pl.col("identifier").unique().sort())
    shared = [r for r in by_imei.iter_rows(named=True) if len(r["identifier"]) == 2]
    assert len(shared) == 1 and set(shared[0]["identifier"]) == numbers
    parsers_seen = set(case.sources().filter(
        pl.col("source_id").is_in(evidence.get_column("source_id").unique().to_list())).get_column("parser"))
    assert {"cdr", "subscriber"} <= parsers_seen
    names = case.evidence().filter(pl.col("basis") == "subscriber-record").collect()
    named = names.filter(pl.col("related").str.starts_with("name:"))
    assert named.get_column("related").str.ends_with(":Daniel Sample").all()
    assert named.get_column("identifier").to_list() == ["tel:+447700900002"]  # the new PAYG SIM names nobody


def test_cdr_events_are_located_and_a_cell_missing_from_the_list_is_reported_not_dropped(
        cases: dict[str, tuple[Case, dict[str, Any]]]) -> None:
    case, _ = cases["rejected-ex"]
    joined = cdr_events_with_cells(case)
    cdr_events = case.events().filter(pl.col("source_id").is_in(
        case.sources().filter(pl.col("parser") == "cdr").get_column("source_id").implode())).collect()
    assert joined.height == cdr_events.height
    missing = unknown_cells(case)
    unknown = joined.filter(~pl.col("cell_known"))
    assert missing.height >= 1 and unknown.height >= 1
    assert set(unknown.get_column("cell_id").to_list()) <= set(missing.get_column("cell_id").to_list())
    located = joined.filter(pl.col("cell_known"))
    assert located.height > 0.9 * joined.height
    # the serving cell's mast is within a grid step (~1.5 km) of London, never elsewhere
    assert located.get_column("cell_lat").is_between(51.40, 51.65).all()


def test_atlas_contacts_prints_the_rule_and_every_corroborating_record(
        cases: dict[str, tuple[Case, dict[str, Any]]], atlas: Callable[..., Any]) -> None:
    case, truth = cases["rejected-ex"]
    res = atlas("contacts", case.root, "--party", "suspect", "--json")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert "120 s" in data["rule"] and data["tolerance_s"] == 120
    # --party follows the officer's attribution (case.toml) and confirmed links only: the new
    # number and the alias accounts are not the suspect's until identity resolution says so.
    attributed = set(truth["parties"]["suspect"]["attributed"])
    expected = sorted(
        sorted(a["event_id"] for a in c["sources"]) for c in truth["contacts"]
        if (c["from"] == "suspect" and c["from_id"] in attributed) or (c["to"] == "suspect" and c["to_id"] in attributed)
    )
    got = sorted(sorted(c["event_ids"]) for c in data["contacts"])
    assert got == expected and len(got) < sum(1 for c in truth["contacts"] if "suspect" in (c["from"], c["to"]))
    assert data["cdr_cells_not_in_any_list"]
    text = atlas("contacts", case.root, "--limit", "3")
    assert text.code == 0 and "Matching rule:" in text.out and f"from {sum(len(c['sources']) for c in truth['contacts'])} source records" in text.out
