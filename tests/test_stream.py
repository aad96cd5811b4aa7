"""The bigger-than-memory path (:mod:`atlas.stream`) against the in-memory plain rule.

On the generated rejected-ex case (handsets, CDRs, chats: records of one contact in
several sources, clock offsets, long SMS) and on a small generated huge-CDR case:

* the conduct analysis and every report output run under the streaming engine are
  byte-identical to the in-memory run (the store is the same; documents compared member
  by member, as their zip timestamps are the writer's);
* the streaming pair counts (the graph's edge weights, de-duplicated) equal the
  aggregate of the in-memory :func:`atlas.graph.contacts_frame`;
* committing one file at a time stores exactly what one all-or-nothing ingest stores.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from atlas.conduct import analyse
from atlas.graph import contacts_frame, node_map
from atlas.identity import resolve
from atlas.ingest import IngestOptions, ingest
from atlas.store import Case
from atlas.stream import streaming
from atlas.stream.graph import build_pair_graph
from atlas.stream.scan import accounting, pair_counts, pairs_from_contacts
from fixtures.huge_cdr import Plan, write_case

AS_OF = date(2026, 6, 1)



def _members(path: Path) -> bytes:
    if path.suffix in (".docx", ".xlsx"):
        with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
            return b"\n".join(n.encode() + b"\n" + zf.read(n) for n in sorted(zf.namelist()))
    return path.read_bytes()


def _outputs(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): _members(p) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("which", ["small_demo_case", "small_cdr_case"])
def test_streaming_conduct_and_reports_are_byte_identical_to_in_memory(which: str, request: pytest.FixtureRequest,
                                                                        tmp_path: Path) -> None:
    from reports.build import build_reports

    root: Path = request.getfixturevalue(which)
    case = Case.open(root)
    plain = json.dumps(analyse(case, as_of=AS_OF, include_proposed=True).to_json(), sort_keys=True, default=str)
    build_reports(case, tmp_path / "memory", as_of=AS_OF)
    with streaming():
        fast = json.dumps(analyse(case, as_of=AS_OF, include_proposed=True).to_json(), sort_keys=True, default=str)
        build_reports(case, tmp_path / "streamed", as_of=AS_OF)
    assert fast == plain
    assert json.loads(plain)["course_of_conduct"], "the case has a course of conduct to compare"
    memory, streamed = _outputs(tmp_path / "memory"), _outputs(tmp_path / "streamed")
    assert sorted(memory) == sorted(streamed) and "report.html" in memory
    assert [k for k in memory if memory[k] != streamed[k]] == []


@pytest.mark.parametrize("which", ["small_demo_case", "small_cdr_case"])
def test_streaming_pair_counts_equal_the_in_memory_graph_rows(which: str, request: pytest.FixtureRequest) -> None:
    case = Case.open(request.getfixturevalue(which))
    mapping = node_map(resolve(case, include_proposed=False))
    plain_offsets: dict[str, tuple[float, int]] = {}
    fast_offsets: dict[str, tuple[float, int]] = {}
    rows, counting = contacts_frame(case, mapping, clock_offsets=plain_offsets)
    plain = pairs_from_contacts(rows)
    fast = pair_counts(case, mapping, clock_offsets=fast_offsets)
    assert counting.deduplicated and counting.text.startswith("de-duplicated")
    assert fast.equals(plain)
    assert fast_offsets == plain_offsets and len(plain_offsets) >= 3
    # the case has contacts that several sources hold: de-duplication changed the count
    assert int(plain.get_column("events").sum()) > int(plain.get_column("contacts").sum())


def test_the_huge_cdr_case_is_deterministic_and_every_record_is_accounted_for(small_cdr_case: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    write_case(again, 6_000, file_rows=1_500)
    files = sorted((small_cdr_case / "sources").iterdir())
    assert [p.name for p in files] == sorted(p.name for p in (again / "sources").iterdir())
    assert all(p.read_bytes() == (again / "sources" / p.name).read_bytes() for p in files)
    plan = Plan(6_000, 1_500)
    assert len(files) == len(plan.files()) >= 5
    acct = accounting(Case.open(small_cdr_case))
    assert acct.height == len(files) and acct.get_column("agrees").all()
    assert int(acct.get_column("records_read").sum()) == 6_000
    assert int(acct.get_column("events_stored").sum()) == 6_000


def test_committing_one_file_at_a_time_stores_what_one_ingest_stores(small_cdr_case: Path, tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    write_case(whole, 6_000, file_rows=1_500)
    outcomes = ingest(Case.open(whole), [whole / "sources"], IngestOptions())
    assert all(o.status == "ingested" for o in outcomes)
    a, b = Case.open(small_cdr_case), Case.open(whole)
    assert a.source_ids() == b.source_ids()
    for table in ("events", "rejects", "evidence"):
        for sid in a.source_ids():
            left = pl.read_parquet(a.store / table / f"{sid}.parquet")
            right = pl.read_parquet(b.store / table / f"{sid}.parquet")
            assert left.equals(right), (table, sid)
    keep = ["source_id", "sha256", "parser", "owner", "records_read", "events", "rejects"]
    assert a.sources().select(keep).equals(b.sources().select(keep))
    # each file was its own commit, with its own ingest audit row
    assert sum(1 for e in a.audit_log() if e["action"] == "ingest") == len(a.source_ids())


def test_the_demo_case_has_a_handset_clock_the_streaming_offsets_correct(small_demo_case: Path) -> None:
    case = Case.open(small_demo_case)
    offsets: dict[str, tuple[float, int]] = {}
    pair_counts(case, node_map(resolve(case, include_proposed=False)), clock_offsets=offsets)
    assert any(seconds != 0.0 and pairs > 0 for seconds, pairs in offsets.values()), offsets


def test_atlas_ingest_commit_each_commits_file_by_file_and_a_failure_keeps_the_earlier_ones(
        tmp_path: Path, atlas: Callable[..., Any]) -> None:
    root = tmp_path / "case"
    write_case(root, 3_000, file_rows=1_000)
    files = sorted((root / "sources").iterdir())
    got = atlas("ingest", root, *files, "--commit-each", "--json")
    assert got.code == 0, got.err
    outcomes = json.loads(got.out)
    assert [o["status"] for o in outcomes] == ["ingested"] * len(files)
    case = Case.open(root)
    assert sum(1 for e in case.audit_log() if e["action"] == "ingest") == len(files)
    # a file no parser reads, named after a good one: the good one stays committed, the error names the bad one
    bad = tmp_path / "notes.bin"
    bad.write_bytes(b"\x00\x01 not evidence")
    more = tmp_path / "more"
    write_case(more, 500, file_rows=1_000, seed=9)
    fresh = sorted((more / "sources").iterdir())[0]
    failed = atlas("ingest", root, fresh, bad, "--commit-each")
    assert failed.code == 2 and "notes.bin" in failed.err
    assert len(Case.open(root).source_ids()) == len(files) + 1


@pytest.mark.parametrize("which", ["small_demo_case", "small_cdr_case"])
@pytest.mark.parametrize("limits", [None, (6, 3)])
def test_the_reports_graph_from_streaming_pair_counts_equals_the_in_memory_graphs(
        which: str, limits: tuple[int, int] | None, request: pytest.FixtureRequest,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The report's graph view (nodes drawn, their weights and places, edges with their first
    event ids, how many were left out), counting and clock offsets: the same from the bounded
    :class:`PairGraph` as from :func:`atlas.graph.build_graph` (the plain rule), also with
    small caps so that nodes are dropped and edges' ids cut."""
    from atlas.graph import build_graph
    from reports import graph_view
    from reports.inputs import _party_claims

    if limits:
        monkeypatch.setattr(graph_view, "MAX_NODES", limits[0])
        monkeypatch.setattr(graph_view, "MAX_EDGE_IDS", limits[1])
    case = Case.open(request.getfixturevalue(which))
    suspect, victim = case.manifest.parties_with_role("suspect")[0], case.manifest.parties_with_role("victim")[0]
    claims = _party_claims(case, suspect, True)
    plain, fast = build_graph(case), build_pair_graph(case)
    assert fast.counting == plain.counting and fast.clock_offsets == plain.clock_offsets
    a = graph_view.view(case, plain, suspect.id, victim.id, claims)
    b = graph_view.view(case, fast, suspect.id, victim.id, claims)
    assert a.nodes.equals(b.nodes) and a.edges.equals(b.edges) and a.dropped_nodes == b.dropped_nodes
    drawn = a.edges.filter(pl.col("style") == "contact")
    assert drawn.height >= 2 and drawn.get_column("event_ids").list.len().min() >= 1  # type: ignore[operator]
    if limits:
        assert a.dropped_nodes > 0 and drawn.get_column("event_ids").list.len().max() == limits[1]


@pytest.mark.parametrize("which", ["small_demo_case", "small_cdr_case"])
def test_the_unused_material_tally_one_source_at_a_time_equals_the_whole_case_tally(
        which: str, request: pytest.FixtureRequest) -> None:
    from atlas.identity import identifier_owner_map
    from reports import unused

    case = Case.open(request.getfixturevalue(which))
    owners = dict(identifier_owner_map(case, include_proposed=False))
    relied = set(case.events().select("event_id").head(50).collect().get_column("event_id").to_list())
    plain = unused.tally_plain(case, case.sources(), relied, owners)
    fast = unused.tally(case, case.sources(), relied, owners)
    keys = ["source_id", "category", "counterpart", "other_party"]
    assert fast.groups.sort(keys, nulls_last=True).equals(plain.groups.sort(keys, nulls_last=True))
    assert fast.rejects.sort("source_id", "reason").equals(plain.rejects.sort("source_id", "reason"))
    assert fast.third_party.equals(plain.third_party) and fast.third_party.height >= 1
    assert (fast.relied_per, fast.src_owner, fast.owner_party) == (plain.relied_per, plain.src_owner, plain.owner_party)
    assert sum(fast.relied_per.values()) == 50


def test_an_exhibit_with_more_counterparts_than_the_schedule_lists_is_one_block_with_each_in_the_companion_csv(
        small_cdr_case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above MAX_COUNTERPART_ROWS third-party counterparts, an exhibit's rows for them become one
    block row (records summed, counterparts counted, first and last, the block's place in the
    exhibit) and the rows it replaces go to unused-material-counterparts.csv, numbered under
    the block's item and otherwise exactly as the schedule listed them; below it nothing changes."""
    from reports import unused
    from reports.build import build_reports

    case = Case.open(small_cdr_case)
    build_reports(case, tmp_path / "listed", as_of=AS_OF)
    listed = pl.read_csv(tmp_path / "listed" / "unused-material.csv", infer_schema=False)
    assert not (tmp_path / "listed" / unused.COUNTERPARTS_FILE).exists()
    per_exhibit = listed.filter(pl.col("category") == unused.THIRD_PARTY).group_by("exhibit").len()
    cap = 1_000
    assert per_exhibit.get_column("len").max() > cap >= per_exhibit.get_column("len").min()  # type: ignore[operator]
    monkeypatch.setattr(unused, "MAX_COUNTERPART_ROWS", cap)
    with streaming():
        build_reports(case, tmp_path / "blocked", as_of=AS_OF)
    blocked = pl.read_csv(tmp_path / "blocked" / "unused-material.csv", infer_schema=False)
    companion = pl.read_csv(tmp_path / "blocked" / unused.COUNTERPARTS_FILE, infer_schema=False)
    big = sorted(per_exhibit.filter(pl.col("len") > cap).get_column("exhibit").to_list())
    blocks = blocked.filter(pl.col("category") == unused.THIRD_PARTY_BLOCK).sort("exhibit")
    assert blocks.get_column("exhibit").to_list() == big
    # the rows the blocks replace: the same, numbered under their block's item
    moved = listed.filter((pl.col("category") == unused.THIRD_PARTY) & pl.col("exhibit").is_in(big))
    assert companion.drop("item").equals(moved.drop("item").sort("exhibit", maintain_order=True))
    for b in blocks.iter_rows(named=True):
        mine = moved.filter(pl.col("exhibit") == b["exhibit"])
        items = companion.filter(pl.col("exhibit") == b["exhibit"]).get_column("item").to_list()
        assert items == [f"{b['item']}.{k}" for k in range(1, mine.height + 1)]
        assert int(b["records"]) == mine.get_column("records").cast(pl.Int64).sum()
        assert f"{mine.height:,} people who are not parties in the case" in b["description"]
        assert (f"listed in {unused.COUNTERPARTS_FILE} as item {b['item']}.1, {b['item']}.2 and so on "
                f"({mine.height:,} rows, one a person)") in b["description"]
        assert b["first_uk"] == min(mine.get_column("first_uk").to_list(), key=_uk_key)
        assert b["third_party_personal_data"] == "Y" and b["relative_location"].startswith(f"within {b['exhibit']}: ")
    # every other row as it was, in the same order
    rest = blocked.filter(pl.col("category") != unused.THIRD_PARTY_BLOCK).drop("item")
    assert rest.equals(listed.filter(~((pl.col("category") == unused.THIRD_PARTY) & pl.col("exhibit").is_in(big)))
                       .drop("item"))
    assert "numbered under that item" in (tmp_path / "blocked" / "unused-material.html").read_text(encoding="utf-8")


def _uk_key(text: str) -> tuple[str, ...]:
    day, clock, _zone = text.split(" ")
    d, m, y = day.split("/")
    return (y, m, d, clock)


@pytest.mark.parametrize("which", ["small_demo_case", "small_cdr_case"])
def test_alias_discovery_reads_only_the_parties_records_and_the_names_and_finds_what_the_plain_rule_finds(
        which: str, request: pytest.FixtureRequest) -> None:
    """``atlas discover``'s two whole-case reads, bounded: the succession rule's behaviours from
    the records naming a party's identifier only, and the display names picked out while the
    store is scanned; both equal to the plain rule (every contact record, every sender and
    recipient collected), also under the streaming engine."""
    from atlas.identity.candidates import behaviours, shown_names

    case = Case.open(request.getfixturevalue(which))
    owner = dict(resolve(case, include_proposed=True).owner)
    evidence = case.evidence().collect()
    plain_beh, plain_names = behaviours(case, owner, plain=True), sorted(shown_names(case, evidence, plain=True))
    with streaming():
        fast_beh, fast_names = behaviours(case, owner), sorted(shown_names(case, evidence))
    assert fast_beh == plain_beh and fast_names == plain_names
    assert plain_beh, "the case has contacts to the victim's network to compare"
    if which == "small_demo_case":
        assert plain_names, "the case has display names to compare"


@pytest.mark.parametrize("which", ["small_demo_case", "small_cdr_case"])
def test_the_reports_per_source_facts_and_cited_records_equal_the_whole_case_queries(
        which: str, request: pytest.FixtureRequest) -> None:
    """Two whole-case reads of the report that the streaming engine cannot bound as written (a
    median; a semi join): per source, and as a filter, they give what the one query gives."""
    from reports import citations
    from reports.limitations import source_facts, source_facts_plain

    case = Case.open(request.getfixturevalue(which))
    plain = source_facts_plain(case)
    with streaming():
        fast = source_facts(case)
    assert fast.equals(plain) and plain.height == len(case.source_ids())
    cites = citations.Citations()
    ids = case.events().select("event_id").gather_every(7).collect().get_column("event_id").to_list()
    cites.add("some", ids[::2])
    cites.add("more", ids[1::3])
    refs = {sid: f"JA/{i}" for i, sid in enumerate(case.source_ids(), start=1)}
    with streaming():
        got = citations.cited_events(case, cites, refs)
    by_join = case.events().join(cites.frame().lazy().select("event_id"), on="event_id", how="semi").collect()
    assert sorted(got.get_column("event_id").unique().to_list()) == sorted(by_join.get_column("event_id").to_list())
    assert got.height >= by_join.height > 10


def test_atlas_report_and_discover_stream_write_what_they_write_without_it(
        small_cdr_case: Path, tmp_path: Path, atlas: Callable[..., Any]) -> None:
    """``--stream`` (a case bigger than memory) changes how the store is read, not what is written."""
    for flags, out in (((), "plain"), (("--stream",), "streamed")):
        got = atlas("report", small_cdr_case, "--out", tmp_path / out, "--as-of", "2026-06-01", *flags)
        assert got.code == 0, got.err
    plain, streamed = _outputs(tmp_path / "plain"), _outputs(tmp_path / "streamed")
    assert sorted(plain) == sorted(streamed) and "statement.docx" in plain
    assert [k for k in plain if plain[k] != streamed[k]] == []
    found = {}
    for flags, copy in (((), "a"), (("--stream",), "b")):  # copies: discovery writes proposals into the case
        shutil.copytree(small_cdr_case, tmp_path / copy)
        got = atlas("discover", tmp_path / copy, *flags, "--json")
        assert got.code == 0, got.err
        found[copy] = json.loads(got.out)
    assert found["a"] == found["b"] and found["a"]["new"], "the case has links to propose"


def test_the_companion_csv_of_a_redacted_report_names_third_parties_by_their_pseudonyms(
        small_cdr_case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reports import unused
    from reports.build import build_reports
    from reports.redaction import NOTE

    monkeypatch.setattr(unused, "MAX_COUNTERPART_ROWS", 1_000)
    build_reports(Case.open(small_cdr_case), tmp_path / "redacted", as_of=AS_OF, redact_third_parties=True)
    companion = pl.read_csv(tmp_path / "redacted" / unused.COUNTERPARTS_FILE, infer_schema=False)
    text = "\n".join(companion.get_column("description").to_list())
    # the counterparts by pseudonym (the exhibit's owner, whose return it is, stays named, as in the schedule)
    assert companion.height > 1_000 and "and Third party " in text and "and tel:" not in text
    assert set(companion.get_column("redaction").to_list()) == {NOTE}


def test_a_redacted_report_is_the_same_under_the_streaming_engine(small_cdr_case: Path, tmp_path: Path) -> None:
    """The bounded paths read the case as the report does (its redacted view when third parties
    are redacted), so the streamed outputs are the in-memory ones, pseudonyms and all."""
    from reports.build import build_reports

    case = Case.open(small_cdr_case)
    build_reports(case, tmp_path / "memory", as_of=AS_OF, redact_third_parties=True)
    with streaming():
        build_reports(case, tmp_path / "streamed", as_of=AS_OF, redact_third_parties=True)
    memory, streamed = _outputs(tmp_path / "memory"), _outputs(tmp_path / "streamed")
    assert sorted(memory) == sorted(streamed) and b"Third party " in memory["report.html"]
    assert [k for k in memory if memory[k] != streamed[k]] == []


def test_a_case_above_the_threshold_is_streamed_without_being_asked_and_says_so(
        small_cdr_case: Path, tmp_path: Path, atlas: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither --stream nor --no-stream: the store's event count decides (a user with a
    100 M-event case should not need to know the flag to avoid running out of memory), the
    choice is said on stderr, and what is written is what --no-stream writes."""
    import atlas.stream as stream_module

    entered: list[bool] = []
    real = stream_module.streaming

    @contextlib.contextmanager
    def watched() -> Iterator[None]:
        entered.append(True)
        with real():
            yield

    monkeypatch.setattr(stream_module, "streaming", watched)
    small = atlas("report", small_cdr_case, "--out", tmp_path / "small", "--as-of", "2026-06-01")
    assert small.code == 0 and "streaming engine" not in small.err and entered == []
    monkeypatch.setattr(stream_module, "STREAM_ABOVE_EVENTS", 100)
    auto = atlas("report", small_cdr_case, "--out", tmp_path / "auto", "--as-of", "2026-06-01")
    assert auto.code == 0, auto.err
    assert "(more than 100): read with the streaming engine" in auto.err and entered == [True]
    forced = atlas("report", small_cdr_case, "--out", tmp_path / "memory", "--as-of", "2026-06-01", "--no-stream")
    assert forced.code == 0 and "streaming engine" not in forced.err and entered == [True]
    a, b = _outputs(tmp_path / "auto"), _outputs(tmp_path / "memory")
    assert sorted(a) == sorted(b) and [k for k in a if a[k] != b[k]] == []
    shutil.copytree(small_cdr_case, tmp_path / "copy")
    found = atlas("discover", tmp_path / "copy", "--json")
    assert found.code == 0 and "streaming engine" in found.err and entered == [True, True]
    with pytest.raises(SystemExit) as refused:  # one or the other, as argparse says
        atlas("report", small_cdr_case, "--stream", "--no-stream")
    assert refused.value.code == 2
