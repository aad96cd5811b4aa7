"""The identity ledger: links, decisions, audit, and resolution derived at read time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from identity_helpers import make_case, msg

from atlas.errors import AtlasError
from atlas.graph import build_graph
from atlas.identity import decide, identifier_owner_map, officer_link, party_identifiers, read_links, resolve
from atlas.identity.ledger import ensure_schema, link_id_for, propose
from atlas.store import Case


@pytest.fixture
def case(tmp_path: Path) -> Case:
    # decisions are attributed to the officer of case.toml ("DC 1 Test"), never the login
    events = [msg("tel:+447700900002", "tel:+447700900001", i) for i in range(3)]
    events += [msg("tel:+447700900013", "tel:+447700900001", 100 + i) for i in range(4)]
    events += [msg("tel:+447700900001", "tel:+447700900003", 200)]
    return make_case(tmp_path / "case", events)


def _propose(case: Case, a: str, b: str, basis: str, score: float = 1.0) -> str:
    with case.db() as con:
        ensure_schema(con)
        lid, _ = propose(case, con, a, b, basis, reason="test", support=["src0000000000001/row 4"], score=score,
                         origin="discovery:test")
    return lid


def test_a_proposed_link_counts_only_when_proposed_links_are_asked_for(case: Case) -> None:
    lid = _propose(case, "tel:+447700900002", "tel:+447700900013", "same-imei")
    assert "tel:+447700900013" not in party_identifiers(case, "suspect")
    claim = party_identifiers(case, "suspect", include_proposed=True)["tel:+447700900013"]
    assert (claim.status, claim.basis, claim.strength, claim.link_ids) == ("proposed", "same-imei", "proven", (lid,))
    assert identifier_owner_map(case).get("tel:+447700900013") is None
    assert identifier_owner_map(case, include_proposed=True)["tel:+447700900013"] == "suspect"


def test_confirming_makes_the_link_count_in_confirmed_results_and_is_audited(case: Case) -> None:
    lid = _propose(case, "tel:+447700900002", "tel:+447700900013", "same-imei")
    decide(case, lid, "confirmed", note="IMEI in both CDRs")
    claim = party_identifiers(case, "suspect")["tel:+447700900013"]
    assert (claim.status, claim.strength) == ("confirmed", "proven")
    link = read_links(case)[0]
    assert (link.status, link.decided_by, link.note) == ("confirmed", "DC 1 Test", "IMEI in both CDRs")
    actions = [(e["action"], e["actor"], e["detail"].get("link_id")) for e in case.audit_log()]
    assert ("identity.propose", "DC 1 Test", lid) in actions
    assert ("identity.confirm", "DC 1 Test", lid) in actions


def test_rejecting_removes_the_link_everywhere_and_keeps_the_decision_in_the_audit_log(case: Case) -> None:
    lid = _propose(case, "tel:+447700900002", "tel:+447700900013", "temporal-succession", 0.8)
    decide(case, lid, "confirmed", note="test decision")
    assert build_graph(case).graph.has_edge("party:suspect", "party:victim")
    before = build_graph(case).graph.edges["party:suspect", "party:victim", "sms"]["contacts"]
    assert before == 7
    decide(case, lid, "rejected", note="different handset")
    for proposed in (False, True):
        assert "tel:+447700900013" not in party_identifiers(case, "suspect", include_proposed=proposed)
        assert "tel:+447700900013" not in identifier_owner_map(case, include_proposed=proposed)
        g = build_graph(case, include_proposed=proposed).graph
        assert g.edges["party:suspect", "party:victim", "sms"]["contacts"] == 3
        assert g.edges["tel:+447700900013", "party:victim", "sms"]["contacts"] == 4
    log = [(e["action"], e["detail"].get("previous"), e["detail"].get("status")) for e in case.audit_log()
           if e["detail"].get("link_id") == lid]
    assert log == [("identity.propose", None, None), ("identity.confirm", "proposed", "confirmed"),
                   ("identity.reject", "confirmed", "rejected")]


def test_a_rejected_link_is_never_resurrected_by_a_new_proposal(case: Case) -> None:
    lid = _propose(case, "tel:+447700900002", "tel:+447700900013", "same-imei")
    decide(case, lid, "rejected", note="test decision")
    assert _propose(case, "tel:+447700900013", "tel:+447700900002", "same-imei") == lid
    assert [lk.status for lk in read_links(case)] == ["rejected"]


def test_an_officer_link_is_confirmed_with_their_name_and_a_party_can_be_an_endpoint(case: Case) -> None:
    link = officer_link(case, "07700 900013", "suspect", "officer-decision", note="admitted in interview")
    assert (link.a, link.b) == ("party:suspect", "tel:+447700900013")
    assert (link.status, link.strength, link.decided_by, link.origin) == ("confirmed", "proven", "DC 1 Test", "officer")
    claim = party_identifiers(case, "suspect")["tel:+447700900013"]
    assert (claim.status, claim.basis, claim.link_ids) == ("confirmed", "officer-decision", (link.link_id,))


def test_an_inferred_basis_stays_inferred_after_confirmation(case: Case) -> None:
    link = officer_link(case, "tel:+447700900013", "tel:+447700900002", "temporal-succession", note="test decision")
    assert party_identifiers(case, "suspect")["tel:+447700900013"].strength == "inferred"
    assert link.strength == "inferred"


def test_links_never_merge_two_parties(case: Case) -> None:
    with pytest.raises(AtlasError, match="different people"):
        officer_link(case, "victim", "suspect", "officer-decision", note="test decision")
    # a chain through an identifier attributed to another party does not carry over
    officer_link(case, "tel:+447700900013", "tel:+447700900002", "same-imei", note="test decision")
    officer_link(case, "tel:+447700900013", "tel:+447700900001", "officer-decision", note="test decision")
    res = resolve(case)
    assert res.owner["tel:+447700900001"] == "victim"
    assert res.owner["tel:+447700900002"] == "suspect"
    assert res.contested == {"tel:+447700900013": ("suspect", "victim")}
    assert "tel:+447700900013" not in identifier_owner_map(case)


def test_a_confirmed_path_beats_a_proposed_one_from_another_party(case: Case) -> None:
    officer_link(case, "tel:+447700900013", "tel:+447700900002", "same-imei", note="test decision")
    _propose(case, "tel:+447700900013", "tel:+447700900003", "display-name", 0.8)
    assert identifier_owner_map(case, include_proposed=True)["tel:+447700900013"] == "suspect"


def test_unresolved_identifiers_linked_together_form_one_group(case: Case) -> None:
    _propose(case, "tel:+447700900013", "instagram:d4n.watching", "account-profile")
    res = resolve(case, include_proposed=True)
    assert res.groups == {"instagram:d4n.watching": "instagram:d4n.watching", "tel:+447700900013": "instagram:d4n.watching"}
    assert resolve(case).groups == {}


def test_link_ids_come_from_content_and_prefixes_resolve(case: Case) -> None:
    lid = _propose(case, "tel:+447700900013", "tel:+447700900002", "same-imei")
    assert lid == link_id_for("tel:+447700900002", "tel:+447700900013", "same-imei")
    assert decide(case, lid[:6], "confirmed", note="test decision").link_id == lid
    with pytest.raises(AtlasError, match="no identity link"):
        decide(case, "Lnothere", "confirmed", note="test decision")


def test_unknown_basis_and_attributed_basis_are_refused(case: Case) -> None:
    with pytest.raises(AtlasError, match="unknown basis"):
        officer_link(case, "tel:+447700900013", "suspect", "gut-feeling", note="test decision")
    with pytest.raises(AtlasError, match=r"case\.toml"):
        officer_link(case, "tel:+447700900013", "suspect", "attributed", note="test decision")


def test_reading_the_ledger_of_a_case_without_decisions_creates_nothing(tmp_path: Path) -> None:
    root = tmp_path / "c"
    make_case(root, [msg("tel:+447700900002", "tel:+447700900001", 0)])
    (root / "store" / "atlas.sqlite").unlink(missing_ok=True)
    assert read_links(Case.open(root)) == []
    assert not (root / "store" / "atlas.sqlite").exists()


def test_cli_link_confirm_reject_and_people(case: Case, atlas: Callable[..., Any]) -> None:
    root = case.root
    r = atlas("link", root, "tel:+447700900013", "suspect", "--basis", "same-imei", "--note", "CDR AB/3",
              "--support", "exhibit AB/3 row 12")
    assert r.code == 0, r.err
    lid = read_links(case)[0].link_id
    assert read_links(case)[0].support == ("exhibit AB/3 row 12",)
    assert lid in r.out
    r = atlas("people", root, "--json")
    import json

    view = json.loads(r.out)
    suspect = next(p for p in view["parties"] if p["id"] == "suspect")
    row = next(i for i in suspect["identifiers"] if i["uri"] == "tel:+447700900013")
    assert (row["status"], row["basis"], row["strength"], row["link_ids"], row["events"]) == (
        "confirmed", "same-imei", "proven", [lid], 4)
    assert atlas("reject", root, lid, "--note", "wrong").code == 0
    view = json.loads(atlas("people", root, "--json").out)
    suspect = next(p for p in view["parties"] if p["id"] == "suspect")
    assert "tel:+447700900013" not in {i["uri"] for i in suspect["identifiers"]}
    assert view["decided"] == {"confirmed": 0, "rejected": 1, "proposed": 0}
    r = atlas("confirm", root, "Lnope")
    assert r.code == 2 and "no identity link" in r.err
    r = atlas("people", root)
    assert r.code == 0 and "Daniel Sample" in r.out


def test_confirm_all_proven_confirms_documentary_proposals_only_each_logged(case: Case, atlas: Callable[..., Any]) -> None:
    proven = _propose(case, "tel:+447700900002", "tel:+447700900013", "same-imei")
    inferred = _propose(case, "tel:+447700900013", "instagram:d4n.watching", "temporal-succession", 0.8)
    r = atlas("confirm", case.root, "--all-proven", "--note", "reviewed the CDR exhibit")
    assert r.code == 0, r.err
    status = {lk.link_id: lk.status for lk in read_links(case)}
    assert status == {proven: "confirmed", inferred: "proposed"}
    confirms = [e for e in case.audit_log() if e["action"] == "identity.confirm"]
    assert [(e["detail"]["link_id"], e["detail"]["note"]) for e in confirms] == [(proven, "reviewed the CDR exhibit")]


def test_a_decision_is_printed_as_people_read_it_no_source_hex_id_and_uk_time(case: Case,
                                                                            atlas: Callable[..., Any]) -> None:
    """A display name found in one exhibit is named by that exhibit (`Dan (name in JA/1)`), not by
    the source's internal id, and the decision's time is UK style, as in the reports."""
    import re

    source_id = case.sources().get_column("source_id")[0]
    lid = _propose(case, f"name:{source_id}:Dan", "tel:+447700900013", "account-profile")
    r = atlas("confirm", case.root, lid, "--note", "the handset's own account list")
    assert r.code == 0, r.err
    line = " ".join(r.out.split())
    prefix = case.manifest.exhibit_prefix
    assert re.search(rf"Dan \(name in {re.escape(prefix)}/\d+\) ↔ tel:\+447700900013", line), line
    assert source_id not in line and not re.search(r"\b[0-9a-f]{16}\b", line), line
    assert re.search(r"confirmed by DC 1 Test at \d\d/\d\d/20\d\d \d\d:\d\d (GMT|BST)", line), line
