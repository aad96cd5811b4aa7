"""The de-duplication's speed paths and the report's concurrent gathering give what the
plain rule gives: the same contacts, row for row, on generated cases (calls, SMS, CDRs,
WhatsApp, handsets with skewed clocks, multi-part SMS) and on hand-made recipient lists."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from atlas.contacts import (
    canonical_recipients,
    canonical_recipients_plain,
    case_identity_map,
    dedupe_contacts,
    dedupe_contacts_plain,
    network_sources,
)
from atlas.graph import build_graph, node_map
from atlas.identity.resolve import resolve
from atlas.ingest import IngestOptions, ingest
from atlas.store import Case
from fixtures.generate import generate

SCENARIOS = ("rejected-ex", "third-parties")


def _ingested(root: Path, scenario: str) -> Case:
    case_dir = root / scenario
    truth: dict[str, Any] = generate(scenario, 3, 0.3, case_dir)
    case = Case.open(case_dir)
    for s in truth["sources"]:
        ingest(case, [case_dir / s["path"]],
               IngestOptions(owner=s["owner"], options=dict(s["options"] or {}), keep_going=True))
    return case


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    root = tmp_path_factory.mktemp("dedupe-speed")
    return {s: _ingested(root, s) for s in SCENARIOS}


@pytest.mark.parametrize("mapping", [None, {}, {"tel:+1": "p", "tel:+2": "p", "tel:+3": "q"}])
def test_canonical_recipients_equal_the_plain_rule(mapping: dict[str, str] | None) -> None:
    mixed = pl.Series("recipients", [["tel:+2"], [], [None], ["tel:+3", "tel:+1", "tel:+2"], ["x"], ["tel:+1"],
                                     ["tel:+1", "tel:+1"], ["b", "a"], None], dtype=pl.List(pl.String))
    for series in (mixed, mixed.gather([0, 4, 5]), mixed.gather([1, 3, 7]), mixed.gather([3, 0]), mixed.gather([8, 0])):
        fast, plain = canonical_recipients(series, mapping), canonical_recipients_plain(series, mapping)
        assert fast.name == plain.name == "party_to"
        assert fast.to_list() == plain.to_list()
    assert canonical_recipients(mixed, mapping).len() == mixed.len()


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("proposed", [False, True])
def test_dedupe_equals_the_plain_rule(cases: dict[str, Case], scenario: str, proposed: bool) -> None:
    """Every identity map the outputs use: identifier → party (conduct, report) and → graph node."""
    case = cases[scenario]
    sources = case.sources().filter(pl.col("owner").is_not_null())
    owners = dict(zip(sources.get_column("source_id").to_list(), sources.get_column("owner").to_list(), strict=True))
    network = network_sources(case)
    for mapping in (case_identity_map(case, include_proposed=proposed),
                    node_map(resolve(case, include_proposed=proposed))):
        got_offsets: dict[str, tuple[float, int]] = {}
        want_offsets: dict[str, tuple[float, int]] = {}
        got = dedupe_contacts(case.events(), same_person=mapping, source_owners=owners, reference_sources=network,
                              clock_offsets=got_offsets)
        want = dedupe_contacts_plain(case.events(), same_person=mapping, source_owners=owners,
                                     reference_sources=network, clock_offsets=want_offsets)
        assert want.height > 100 and (want.get_column("n_sources") > 1).any()
        assert got.equals(want)
        assert got_offsets == want_offsets


def test_gather_builds_the_graph_it_would_build_alone(cases: dict[str, Case]) -> None:
    """The graph made in gather's second thread is the graph :func:`build_graph` makes."""
    from reports.inputs import gather

    case = cases["rejected-ex"]
    inputs = gather(case)
    alone = build_graph(case, include_proposed=False)
    assert inputs.graph.edges.equals(alone.edges)
    assert inputs.graph.flat_ids.equals(alone.flat_ids)
    assert inputs.graph.nodes.equals(alone.nodes)
    assert inputs.graph.clock_offsets == alone.clock_offsets
    assert sorted(inputs.graph.graph.nodes(data="community")) == sorted(alone.graph.nodes(data="community"))


def test_sms_part_runs_in_one_pass_equal_the_plain_rule() -> None:
    """Runs as :func:`_runs_plain` walks them (group by source, key and run in order of first
    appearance; each contact once, first seen first), including a run whose rows are not
    contiguous and contacts seen twice in a run."""
    from atlas.contacts import _runs, _runs_plain

    parts = pl.DataFrame({
        "source_id": ["cdr1", "cdr1", "cdr1", "cdr2", "cdr1", "cdr1", "cdr2", "cdr1"],
        "key": ["k1", "k1", "k1", "k1", "k2", "k1", "k1", "k1"],
        "run": [1, 1, 1, 2, 3, 4, 2, 1],
        "cluster": [10, 11, 10, 12, 13, 14, 12, 15],
        "seen_by": [["h1"], None, ["h1"], ["h2"], [], ["h1", "h2"], ["h2"], None],
    }, schema={"source_id": pl.String, "key": pl.String, "run": pl.Int64, "cluster": pl.Int64,
               "seen_by": pl.List(pl.String)})
    fast, plain = list(_runs(parts)), list(_runs_plain(parts))
    assert fast == plain
    assert fast[0] == [(10, ["h1"]), (11, None), (15, None)]


def test_citations_add_many_equals_the_plain_rule() -> None:
    """Findings with several ids, none, repeated ids and non-string ids cite the same pairs in
    the same order, and the events.csv citation column comes out the same."""
    from reports.citations import Citations

    def items() -> list[tuple[str, Iterable[Any]]]:  # numbers are cited as text, as the plain rule does
        return [("incident 01/01/2026", ["a/1", "b/2"]), ("incident 02/01/2026", []),
                ("breach x", ("a/1", "c/3", "a/1")), ("co-location y", iter(["d/4"])), ("numbers", [7, 8])]

    fast, plain = Citations(), Citations()
    fast.add("JA/9 figure", ["z/1", "a/1"])
    plain.add("JA/9 figure", ["z/1", "a/1"])
    fast.add_many(items())
    plain.add_many_plain(items())
    assert [p.equals(q) for p, q in zip(fast.parts, plain.parts, strict=True)] == [True, True]
    assert fast.frame().equals(plain.frame())
    empty = Citations()
    empty.add_many([("nothing", [])])
    assert empty.parts == []


def test_candidate_pairs_and_texts_equal_the_plain_rule() -> None:
    """The de-duplication's candidate pairs with each bucket's anchors listed in one piece
    (``plain=False``) are the plain rule's pairs (anchors' bucket lists exploded), and texts
    normalised in a lazy query are the eager rule's; over keys, times around bucket edges,
    matching, differing and missing texts."""
    import random

    from atlas.contacts import _candidates, _with_ntext

    rng = random.Random(18)
    tol = 60_000_000
    texts = [None, "", "Hi!", "hi", "hi there", "HI THERE!!", "ça va?", "_", "ok ok", "see you at 8"]

    def frame(n: int, names: tuple[str, ...]) -> pl.DataFrame:
        return pl.DataFrame({names[0]: list(range(n)), "key": [rng.randrange(4) for _ in range(n)],
                             names[1]: [rng.randrange(0, 40 * tol) for _ in range(n)],
                             "ntext": [rng.choice(texts[2:]) if rng.random() < 0.7 else None for _ in range(n)]},
                            schema={names[0]: pl.Int64, "key": pl.UInt32, names[1]: pl.Int64, "ntext": pl.String})

    for _ in range(5):
        pending, anchors = frame(400, ("row", "t_us")), frame(300, ("cluster", "anchor_us"))
        fast = _candidates(pending, anchors, tol, plain=False).sort("row", "cluster")
        plain = _candidates(pending, anchors, tol, plain=True).sort("row", "cluster")
        assert plain.height > 0 and fast.equals(plain)
    recs = pl.DataFrame({"source_id": [rng.choice("ab") for _ in range(300)], "key": [rng.randrange(5) for _ in range(300)],
                         "text": [rng.choice(texts) for _ in range(300)]})
    for subset in (recs, recs.filter(pl.col("source_id") == "a"), recs.head(40)):
        assert _with_ntext(subset, plain=False).equals(_with_ntext(subset, plain=True))
