"""The identity interface other analyses build on: party_identifiers / identifier_owner_map."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atlas.demo import ingest_generated
from atlas.identity import IdentifierClaim, identifier_owner_map, party_identifiers
from atlas.store import Case
from fixtures.generate import generate


@pytest.fixture(scope="module")
def rejected_ex(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("idiface") / "case"
    generate("rejected-ex", 1, 0.2, root)
    ingest_generated(root)
    return root


def test_manifest_attribution_is_returned_as_attributed_proven_claims(rejected_ex: Path) -> None:
    case = Case.open(rejected_ex)
    claims = party_identifiers(case, "suspect")
    truth = json.loads((rejected_ex / "truth.json").read_text())
    assert set(claims) >= set(truth["parties"]["suspect"]["attributed"]) - {
        u for u in truth["parties"]["suspect"]["attributed"] if u.startswith("name:")
    }
    sid = case.source_ids()[0]
    assert claims[f"name:{sid}:Dan"] == IdentifierClaim(f"name:{sid}:Dan", "attributed", "attributed", "proven", ())
    assert claims["tel:+447700900002"].status == "attributed"
    assert all(c.strength == "proven" and c.link_ids == () for c in claims.values())


def test_owner_map_sends_each_attributed_identifier_to_its_party(rejected_ex: Path) -> None:
    case = Case.open(rejected_ex)
    owners = identifier_owner_map(case)
    assert owners["tel:+447700900001"] == "victim"
    assert owners["tel:+447700900002"] == "suspect"
    sid = case.source_ids()[0]
    assert owners[f"name:{sid}:Mum"] == "mother"
    # the suspect's new number is not attributed in case.toml: nobody owns it by default
    assert "tel:+447700900013" not in owners


def test_an_identifier_attributed_to_two_parties_is_owned_by_neither(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    (root / "case.toml").write_text(
        '[case]\nreference="R"\nofficer="O"\nexhibit_prefix="X"\n'
        '[[party]]\nid="a"\nrole="victim"\nidentifiers=["tel:+447700900001"]\n'
        '[[party]]\nid="b"\nrole="suspect"\nidentifiers=["tel:+447700900001","tel:+447700900002"]\n'
    )
    owners = identifier_owner_map(Case.open(root))
    assert owners == {"tel:+447700900002": "b"}
