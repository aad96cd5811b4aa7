"""The graph exports' fast path held to its plain rule: people's words worked out once and shared
(:func:`atlas.graph.export.graph_words`), every edge's cells joined in one Polars pass and the JSON's
long lists written by the C string encoder, against :func:`atlas.graph.export.plain_words` (each file
working them out per edge as written, as every file did before session 18). Files byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from identity_helpers import make_case, msg

from atlas.exhibits import source_refs
from atlas.graph import ContactGraph, build_graph
from atlas.graph import export as ge
from atlas.store import Case

V, S, M = "tel:+447700900001", "tel:+447700900002", "tel:+447700900003"
SUFFIXES = (".graphml", ".json", ".csv")


def _files(cg: ContactGraph, refs: dict[str, str], words: ge.GraphWords, out: Path) -> dict[str, bytes]:
    out.mkdir(parents=True, exist_ok=True)
    return {s: ge.write(cg, out / f"g{s}", refs, words).read_bytes() for s in SUFFIXES}


def _assert_fast_is_plain(cg: ContactGraph, refs: dict[str, str], tmp: Path) -> dict[str, bytes]:
    plain = _files(cg, refs, ge.plain_words(cg, refs), tmp / "plain")
    fast = _files(cg, refs, ge.graph_words(cg, refs), tmp / "fast")
    for s in SUFFIXES:
        assert fast[s] == plain[s], s
    unshared = {s: ge.write(cg, tmp / f"own{s}", refs).read_bytes() for s in SUFFIXES}  # words made per file
    assert unshared == plain
    return plain


@pytest.mark.parametrize(("proposed", "dedupe"), [(False, True), (True, False)])
def test_fast_files_equal_the_plain_rule_on_a_generated_case(small_demo_case: Path, tmp_path: Path, proposed: bool,
                                                             dedupe: bool) -> None:
    case = Case.open(small_demo_case)
    refs = source_refs(case)
    cg = build_graph(case, include_proposed=proposed, dedupe=dedupe)
    assert cg.edges.height > 10 and cg.flat_ids.len() > 1000  # a real case's graph, not a token one
    files = _assert_fast_is_plain(cg, refs, tmp_path)
    assert b"rowid" in files[".json"] or b"row " in files[".json"] or b"line " in files[".json"]


def _hostile_case(root: Path) -> Case:
    """Records whose references need the served list rule's quotes (``;``, ``"``) and JSON's escapes
    (a tab, a backslash, a line separator, non-ASCII). (A control character GraphML cannot hold is
    refused by lxml on the plain rule too: not this module's question.)"""
    refs = ['row "7"; x', "line\t3", "rowid 5\\6", "Zoë \u2028 €", "messages[2]", "plain 9"]
    events = [msg(S, V, 10 * i, "hi", source_ref=r) for i, r in enumerate(refs)]
    events += [msg(V, S, 500, "back", source_ref="reply; 1"), msg(S, M, 600, "x", source_ref='m "q"')]
    events += [msg("name:src0000000000001:Chloe; \"C\"", V, 700, "named", source_ref="named 1")]
    return make_case(root, events)


def test_fast_files_equal_the_plain_rule_on_references_that_need_quotes_and_escapes(tmp_path: Path) -> None:
    case = _hostile_case(tmp_path / "case")
    refs = source_refs(case)
    cg = build_graph(case, dedupe=False)
    files = _assert_fast_is_plain(cg, refs, tmp_path)
    assert b'row \\"7\\"; x"' in files[".json"] and b"line\\t3" in files[".json"]


def test_an_edge_whose_ids_are_not_the_span_its_cells_were_made_from_is_joined_as_written(tmp_path: Path) -> None:
    """A caller may change an edge's ``event_ids`` after the graph is built (a list, a shorter view):
    the cells made from the edges frame are then not that edge's, and the file says what the edge holds."""
    case = _hostile_case(tmp_path / "case")
    refs = source_refs(case)
    cg = build_graph(case, dedupe=False)
    u, v, k = next((u, v, k) for u, v, k, d in cg.graph.edges(keys=True, data=True) if len(d["event_ids"]) > 2)
    words = ge.graph_words(cg, refs)
    assert words.edge_cells((u, v, k), cg.graph.edges[u, v, k]["event_ids"]) is not None
    cg.graph.edges[u, v, k]["event_ids"] = list(cg.graph.edges[u, v, k]["event_ids"])[:1]
    assert words.edge_cells((u, v, k), cg.graph.edges[u, v, k]["event_ids"]) is None
    files = _assert_fast_is_plain(cg, refs, tmp_path / "changed")
    kept = cg.graph.edges[u, v, k]["event_ids"][0]
    edge = next(e for e in json.loads(files[".json"])["edges"] if (e["source"], e["target"], e["key"]) == (u, v, k))
    assert edge["event_ids"] == [kept] and len(edge["exhibits"]) > 2  # the exhibits were not changed


def test_a_value_spelling_the_json_mark_falls_back_to_the_plain_dump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _hostile_case(tmp_path / "case")
    refs = source_refs(case)
    cg = build_graph(case, dedupe=False)
    monkeypatch.setattr(ge.os, "urandom", lambda n: b"\x00" * n)
    cg.graph.graph["note"] = f"@@atlas-graph-list-{'00' * 16}-0"  # the mark this call will make for its first list
    plain = ge.write_json(cg, tmp_path / "plain.json", refs, ge.plain_words(cg, refs)).read_bytes()
    fast = ge.write_json(cg, tmp_path / "fast.json", refs, ge.graph_words(cg, refs)).read_bytes()
    assert fast == plain and plain.count(b"@@atlas-graph-list-") == 1


def test_an_empty_graph_writes_the_same_files(tmp_path: Path) -> None:
    case = make_case(tmp_path / "empty", [])
    _assert_fast_is_plain(build_graph(case), source_refs(case), tmp_path)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = ge._graph_words

    def counted(cg: ContactGraph, refs: Any) -> Any:
        calls.append(1)
        return real(cg, refs)

    monkeypatch.setattr(ge, "_graph_words", counted)
    return calls


def test_the_reports_graph_files_work_out_peoples_words_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Until session 18 each of the report's graph files (GraphML, JSON) made its own pass over every
    edge's records to name them by exhibit."""
    from reports import analysis_files

    case = _hostile_case(tmp_path / "case")
    refs = source_refs(case)
    cg = build_graph(case, dedupe=False)
    out = tmp_path / "outputs"
    out.mkdir()
    for name in ("contact-graph.graphml", "contact-graph.json"):
        (out / name).write_text("stale", encoding="utf-8")  # the folder holds them: the report refreshes them
    calls = _counting(monkeypatch)
    inputs = SimpleNamespace(graph=cg, exhibit_refs=refs, conduct=None, triage=None)
    paths, _ = analysis_files.write(case, out, inputs)  # type: ignore[arg-type]
    assert sorted(paths) == ["contact-graph.graphml", "contact-graph.json"] and len(calls) == 1
    assert paths["contact-graph.json"].read_bytes() == ge.write_json(cg, tmp_path / "p.json", refs,
                                                                    ge.plain_words(cg, refs)).read_bytes()


def test_atlas_graph_with_several_outs_works_out_peoples_words_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    atlas: Any) -> None:
    case = _hostile_case(tmp_path / "case")
    calls = _counting(monkeypatch)
    r = atlas("graph", case.root, "--no-dedupe", *(a for s in SUFFIXES for a in ("--out", tmp_path / f"g{s}")))
    assert r.code == 0, r.err
    assert len(calls) == 1 and all((tmp_path / f"g{s}").stat().st_size > 0 for s in SUFFIXES)


def test_graphml_writes_characters_xml_cannot_hold_as_escapes_and_the_other_files_keep_them(tmp_path: Path) -> None:
    """A record's place or a display name chosen by a person in the case may hold a control character
    that XML 1.0 forbids: GraphML writes it as ``\\x01`` (the rule of every XML export,
    :func:`atlas.export.text.xml_safe`) instead of failing the whole export with lxml's error; JSON and
    CSV hold it as it is. Failed before: "ValueError: All strings must be XML compatible"."""
    from lxml import etree

    events = [msg(S, V, 10, "hi", source_ref="row\x01 7"), msg(V, S, 20, "x", source_ref="plain 2"),
              msg("name:src0000000000002:Dan\x02", V, 30, "named", source_ref="named\x1f 3")]
    case = make_case(tmp_path / "case", events)
    refs = source_refs(case)
    cg = build_graph(case, dedupe=False)
    files = _assert_fast_is_plain(cg, refs, tmp_path)
    root = etree.fromstring(files[".graphml"])
    text = " ".join(t for t in root.itertext())
    assert "row\\x01 7" in text and "named\\x1f 3" in text and "Dan\\x02" in text
    assert "\x01" not in files[".graphml"].decode() and "\x02" not in files[".graphml"].decode()
    assert json.loads(files[".json"]) and "row\\u0001 7" in files[".json"].decode()
