"""The one life cycle of officer-reviewed possible items (atlas.conduct.reviewed): both kinds keep
the ledger keys and ids they had before they shared it (a changed key would orphan every decision
already recorded), and each kind names itself in its messages."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest

from atlas.conduct import possible_breaches as pb
from atlas.conduct import possible_colocations as pc
from atlas.conduct.reviewed import Decided, stale, state_of
from atlas.decisions import reviewed
from atlas.errors import AtlasError


def _old_key(*lines: str) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]


def test_keys_and_ids_are_the_ones_already_in_ledgers() -> None:
    ids, victim = ["s1/row 2", "s1/row 1"], ["s2/locations[3]"]
    assert pc.colocation_key("place", "home", ids, victim) == _old_key("place", "home", "s1/row 1", "s1/row 2", "--",
                                                                        "s2/locations[3]")
    assert pc.colocation_key("victim-location", None, ids) == _old_key("victim-location", "", "s1/row 1", "s1/row 2",
                                                                        "--")
    assert pb.breach_key("RO-1", "victim home", ids) == _old_key("exclusion-zone", "RO-1", "victim home", "s1/row 1",
                                                                 "s1/row 2")
    key = "3f9a0c21" + "0" * 24
    assert (pc.colocation_id(key), pb.breach_id(key)) == ("C3f9a0c21", "P3f9a0c21")


def test_states_and_stale_decisions() -> None:
    decisions = {("colocation", "k1"): "confirmed", ("breach", "k1"): "dismissed", ("colocation", "k2"): "odd"}
    assert [state_of("colocation", k, decisions) for k in ("k1", "k2", "k3")] == ["confirmed", "open", "open"]
    assert pb.state_of("k1", decisions) == "dismissed" and pc.state_of("k1", decisions) == "confirmed"
    d = {k: Decided(s, "DC 1", "2026-12-07T10:00:00+00:00", "n") for k, s in (("a", "confirmed"), ("b", "open"),
                                                                             ("c", "dismissed"))}
    assert stale(d, {"c"}) == ["a"]  # a re-opened one is not a decision to apply


def _breach(order: str) -> pb.BreachReview:
    from atlas.conduct.records import PossibleBreach

    t = datetime(2026, 6, 6, 12, tzinfo=UTC)
    p = PossibleBreach(order=order, kind="exclusion-zone", place="home", ts=t, end=t, event_ids=("s/row 1",), exhibits=("JA/1, row 1",),
                       min_distance_m=10.0, certainty="no stated accuracy", precision="", basis="inside")
    return pb.BreachReview(p, pb.key_of(p), date(2026, 6, 6))


def test_each_kind_names_itself_when_an_id_is_wrong() -> None:
    items = [_breach("RO-1"), _breach("RO-2")]
    assert reviewed.find(items, items[0].id, pb.REVIEW_KIND) is items[0]
    with pytest.raises(AtlasError, match=r"no possible breach 'Pzzz' \(see `atlas breaches CASE_DIR`"):
        reviewed.find(items, "Pzzz", pb.REVIEW_KIND)
    with pytest.raises(AtlasError, match="not a co-location decision"):
        reviewed.check_state("maybe", pc.REVIEW_KIND)
    assert items[0].to_json()["id"] == items[0].id and items[0].status.startswith("listed, not counted")
    assert pb.REVIEW_KIND.id_field == "breach_id" and pc.REVIEW_KIND.id_field == "colocation_id"
