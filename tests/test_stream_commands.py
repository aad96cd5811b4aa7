"""``atlas contacts``, ``atlas graph`` and the exports on the streaming engine (a case bigger
than memory) against their in-memory plain rules, on the small generated rejected-ex case,
the small generated huge-CDR case and the rejected-ex case with its proposed links:

* the contacts built per source (:mod:`atlas.stream.contacts`) are the whole case's
  de-duplicated contacts: counted, paged, in time windows of any size, with the same clock
  offsets, with and without proposed links;
* the graph's edges built one bucket of pairs at a time (:func:`atlas.stream.graph.bounded_edges`)
  are :func:`atlas.graph.build_graph`'s, for any number of buckets, de-duplicated or not; the
  nodes, victim's network, communities, pairs and third parties too;
* each command prints (and writes as JSON) the same bytes with ``--stream`` as with
  ``--no-stream``, and chooses streaming by itself above the threshold;
* the reply rule of the graph (a contact with nothing back after it counts as unanswered,
  wherever it falls in the sort).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from atlas.store import Case

CASES = ["small_demo_case", "small_cdr_case", "rejected_ex_case"]


@pytest.mark.parametrize("which", CASES)
@pytest.mark.parametrize("proposed", [False, True])
def test_the_contacts_built_per_source_are_the_whole_cases(which: str, proposed: bool,
                                                           request: pytest.FixtureRequest) -> None:
    from atlas.contacts import case_contacts
    from atlas.stream.contacts import bounded_contacts

    case = Case.open(request.getfixturevalue(which))
    plain_offsets: dict[str, tuple[float, int]] = {}
    offsets: dict[str, tuple[float, int]] = {}
    whole = case_contacts(case, include_proposed=proposed, clock_offsets=plain_offsets)
    parts = bounded_contacts(case, include_proposed=proposed, clock_offsets=offsets)
    assert whole.height > 400 and parts.shared.height > 0
    assert offsets == plain_offsets
    assert parts.count() == (whole.height, whole.get_column("event_ids").list.len().sum())
    for n in (0, 1, 37, whole.height + 5):
        assert_frame_equal(parts.head(n), whole.head(n))
    for batch in (97, 10**9):  # (one window a time per source and the shared: a small batch is many scans)
        assert_frame_equal(pl.concat(list(parts.windows(batch=batch))), whole)
    hit = pl.col("party_from") == "suspect"
    assert_frame_equal(pl.concat(list(parts.filter(hit).windows(batch=50))), whole.filter(hit))


def test_a_tolerance_reaches_the_corroborated_contacts(small_demo_case: Path) -> None:
    from atlas.contacts import case_contacts
    from atlas.stream.contacts import bounded_contacts

    case = Case.open(small_demo_case)
    for tolerance in (0, 5, 600):
        whole = case_contacts(case, tolerance_s=tolerance)
        assert_frame_equal(pl.concat(list(bounded_contacts(case, tolerance_s=tolerance).windows())), whole)


@pytest.mark.parametrize("which", CASES)
def test_unknown_cells_one_source_at_a_time_are_the_whole_cases(which: str, request: pytest.FixtureRequest) -> None:
    from atlas.cell_site import unknown_cells, unknown_cells_by_source

    case = Case.open(request.getfixturevalue(which))
    assert_frame_equal(unknown_cells_by_source(case), unknown_cells(case))


CONTACT_ARGS = [[], ["--json"], ["--party", "suspect"], ["--party", "suspect", "--json"], ["--proposed", "--limit", "7"],
                ["--tolerance", "30", "--json"], ["--party", "tel:+441111111111", "--json"]]


@pytest.mark.parametrize("which", CASES)
def test_atlas_contacts_prints_the_same_on_either_engine(which: str, request: pytest.FixtureRequest,
                                                         atlas: Callable[..., Any]) -> None:
    case_dir = request.getfixturevalue(which)
    for args in CONTACT_ARGS:
        memory = atlas("contacts", case_dir, *args, "--no-stream")
        streamed = atlas("contacts", case_dir, *args, "--stream")
        assert memory.code == streamed.code == 0, streamed.err
        assert streamed.out == memory.out, args
    assert '"contacts": [],' in atlas("contacts", case_dir, "--party", "tel:+441111111111", "--json", "--stream").out


@pytest.mark.parametrize("which", CASES)
@pytest.mark.parametrize("dedupe", [True, False])
def test_the_graph_edges_one_bucket_of_pairs_at_a_time_are_the_whole_cases(which: str, dedupe: bool,
                                                                           request: pytest.FixtureRequest) -> None:
    from atlas.graph import build_graph, node_map
    from atlas.stream.graph import bounded_edges

    case = Case.open(request.getfixturevalue(which))
    for proposed in (False, True):
        whole = build_graph(case, include_proposed=proposed, dedupe=dedupe)
        assert whole.resolution is not None and whole.edges.height > 40
        for per_bucket in (10**9, 300):
            offsets: dict[str, tuple[float, int]] = {}
            edges, counting = bounded_edges(case, node_map(whole.resolution), dedupe=dedupe, clock_offsets=offsets,
                                            rows_per_bucket=per_bucket)
            assert_frame_equal(edges, whole.edges)
            assert counting.text == whole.counting and counting.deduplicated == whole.deduplicated == dedupe
            assert not dedupe or offsets == whole.clock_offsets


@pytest.mark.parametrize("which", CASES)
def test_the_bounded_graph_has_the_whole_graphs_nodes_network_communities_and_pairs(
        which: str, request: pytest.FixtureRequest) -> None:
    from atlas.graph import build_graph, communities, pairs, third_party_contacts
    from atlas.stream.graph import build_bounded_graph

    case = Case.open(request.getfixturevalue(which))
    for proposed in (False, True):
        whole = build_graph(case, include_proposed=proposed)
        bounded = build_bounded_graph(case, include_proposed=proposed)
        assert_frame_equal(bounded.edges, whole.edges)
        assert_frame_equal(bounded.nodes, whole.nodes)
        assert bounded.network == whole.network and bounded.counting == whole.counting
        assert bounded.clock_offsets == whole.clock_offsets
        assert dict(bounded.graph.nodes(data=True)) == dict(whole.graph.nodes(data=True))
        assert bounded.graph.graph == whole.graph.graph
        assert communities(bounded) == communities(whole)
        assert_frame_equal(pairs(bounded), pairs(whole))
        assert_frame_equal(third_party_contacts(bounded), third_party_contacts(whole))


GRAPH_ARGS = [[], ["--json"], ["--party", "suspect"], ["--with-proposed", "--json"], ["--no-dedupe", "--top", "40"],
              ["--party", "victim", "--json", "--top", "5"]]


@pytest.mark.parametrize("which", CASES)
def test_atlas_graph_prints_the_same_on_either_engine(which: str, request: pytest.FixtureRequest,
                                                      atlas: Callable[..., Any]) -> None:
    case_dir = request.getfixturevalue(which)
    for args in GRAPH_ARGS:
        memory = atlas("graph", case_dir, *args, "--no-stream")
        streamed = atlas("graph", case_dir, *args, "--stream")
        assert memory.code == streamed.code == 0, streamed.err
        assert streamed.out == memory.out, args


def test_atlas_graph_does_not_write_every_edge_from_the_streaming_engine_and_says_what_to_do(
        small_cdr_case: Path, tmp_path: Path, atlas: Callable[..., Any]) -> None:
    out = tmp_path / "g.graphml"
    refused = atlas("graph", small_cdr_case, "--stream", "--out", out)
    assert refused.code != 0 and not out.exists()
    assert "the store holds 6,000 events, read with the streaming engine" in refused.err
    assert "--no-stream" in refused.err and "--party WHO" in refused.err
    written = atlas("graph", small_cdr_case, "--no-stream", "--out", out)
    assert written.code == 0 and out.exists()


def test_contacts_and_graph_stream_above_the_threshold_without_being_asked(
        small_cdr_case: Path, atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import atlas.stream as stream_module

    for command in ("contacts", "graph"):
        small = atlas(command, small_cdr_case)
        assert small.code == 0 and "streaming engine" not in small.err
    monkeypatch.setattr(stream_module, "STREAM_ABOVE_EVENTS", 100)
    for command in ("contacts", "graph"):
        auto = atlas(command, small_cdr_case, "--json")
        memory = atlas(command, small_cdr_case, "--json", "--no-stream")
        assert auto.code == 0 and "(more than 100): read with the streaming engine" in auto.err
        assert "streaming engine" not in memory.err and auto.out == memory.out


def _rows(contacts: list[tuple[str, str, int]]) -> pl.DataFrame:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    return pl.DataFrame(
        {"src": [c[0] for c in contacts], "dst": [c[1] for c in contacts], "channel": ["sms"] * len(contacts),
         "kind": ["message"] * len(contacts), "ts_utc": [t0 + timedelta(hours=c[2]) for c in contacts],
         "answered_call": [False] * len(contacts), "n_events": [1] * len(contacts),
         "event_ids": [[f"e{i}"] for i in range(len(contacts))]},
        schema_overrides={"ts_utc": pl.Datetime("us", "UTC"), "n_events": pl.UInt32})


def test_a_contact_with_nothing_back_after_it_is_unanswered_wherever_it_falls_in_the_sort() -> None:
    """The reply test looks for the next contact the other way in a (pair, time) sort: a
    contact with none after it anywhere (the end of the sort) was counted as answered."""
    from atlas.graph import aggregate

    one_way, _ = aggregate(_rows([("a", "b", 0), ("a", "b", 1), ("a", "b", 2)]))
    assert one_way.get_column("unanswered").to_list() == [3]
    replied, _ = aggregate(_rows([("a", "b", 0), ("b", "a", 1), ("a", "b", 30), ("c", "d", 2)]))
    assert replied.select("src", "dst", "unanswered").rows() == [("a", "b", 1), ("b", "a", 1), ("c", "d", 1)]
    # an edge's counts do not depend on the other pairs in the frame
    alone, _ = aggregate(_rows([("c", "d", 2)]))
    assert alone.get_column("unanswered").to_list() == [1]


@pytest.mark.parametrize("which", ["small_demo_case", "small_cdr_case"])
def test_every_export_writes_the_same_file_on_either_engine(which: str, request: pytest.FixtureRequest,
                                                           tmp_path: Path, atlas: Callable[..., Any]) -> None:
    import json

    case_dir = request.getfixturevalue(which)
    for target, extra in (("i2", []), ("i2", ["--party", "suspect"]), ("geojson", []), ("kml", []),
                          ("timesketch", []), ("case", [])):
        got = []
        for engine in ("--no-stream", "--stream"):
            run = atlas("export", case_dir, "--to", target, tmp_path / f"{target}{engine}", *extra, engine, "--json",
                        "--unverified")
            assert run.code == 0, run.err
            got.append(json.loads(run.out))
        assert got[0]["sha256"] == got[1]["sha256"] and got[0]["counts"] == got[1]["counts"], (target, extra)
        assert not extra or "only the contacts involving suspect (--party)" in got[0]["notes"]


def test_exports_too_big_to_open_are_refused_with_the_size_and_what_to_do(
        small_demo_case: Path, tmp_path: Path, atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import atlas.export.run as run_module
    from atlas.contacts import case_contacts

    contacts = case_contacts(Case.open(small_demo_case)).height
    monkeypatch.setattr(run_module, "I2_MAX_CONTACTS", 100)
    for engine in ("--no-stream", "--stream"):
        refused = atlas("export", small_demo_case, "--to", "i2", tmp_path / "c.anx", engine, "--unverified")
        assert refused.code != 0 and not (tmp_path / "c.anx").exists()
        assert f"the case has {contacts:,} de-duplicated contacts: an i2 chart" in refused.err
        assert "more than 100 links" in refused.err and "--party WHO" in refused.err
    positions = Case.open(small_demo_case).events().filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null()
                                                          ).collect().height
    assert positions > 10
    monkeypatch.setattr(run_module, "GEO_MAX_POSITIONS", {"geojson": 10, "kml": 10})
    for target in ("kml", "geojson"):
        refused = atlas("export", small_demo_case, "--to", target, tmp_path / "m", "--unverified")
        assert refused.code != 0 and not (tmp_path / "m").exists()
        assert f"the case has {positions:,} positions" in refused.err and "atlas timeline" in refused.err
    wrong = atlas("export", small_demo_case, "--to", "kml", tmp_path / "m", "--party", "suspect", "--unverified")
    assert wrong.code != 0 and "--party applies to --to i2 only" in wrong.err


@pytest.mark.parametrize("which", ["small_demo_case", "small_cdr_case"])
def test_the_timeline_parquet_one_time_window_at_a_time_has_the_whole_timelines_rows(
        which: str, request: pytest.FixtureRequest, tmp_path: Path, atlas: Callable[..., Any]) -> None:
    from atlas.exhibits import source_refs, with_exhibit
    from atlas.timeline import filter_events, write_frame, write_parquet_bounded

    case = Case.open(request.getfixturevalue(which))
    ids = {i for p in case.manifest.parties for i in p.identifiers}
    for criteria in ({}, {"identifiers": ids}, {"kinds": ["location"]}, {"channels": ["no-such-channel"]}):
        whole = with_exhibit(filter_events(case.events(), **criteria).collect(), source_refs(case))
        write_frame(whole, tmp_path / "plain.parquet")
        for batch in (333, 10**9):
            n = write_parquet_bounded(filter_events(case.events(), **criteria), source_refs(case),
                                      tmp_path / "bounded.parquet", batch=batch)
            assert n == whole.height
            assert_frame_equal(pl.read_parquet(tmp_path / "bounded.parquet"), pl.read_parquet(tmp_path / "plain.parquet"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bounded.parquet", "plain.parquet"]  # nothing left behind
    memory = atlas("timeline", case.root, "--out", tmp_path / "m.parquet", "--no-stream")
    streamed = atlas("timeline", case.root, "--out", tmp_path / "s.parquet", "--stream")
    assert memory.out.replace("m.parquet", "") == streamed.out.replace("s.parquet", "")
    assert_frame_equal(pl.read_parquet(tmp_path / "s.parquet"), pl.read_parquet(tmp_path / "m.parquet"))
