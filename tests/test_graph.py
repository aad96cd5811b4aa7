"""The contact graph on hand-made rows: exact counts, reciprocity, event ids, exports, CLI."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import polars as pl
import pytest
from identity_helpers import make_case, msg

from atlas.exhibits import source_refs
from atlas.graph import build_from_rows, build_graph, communities, pairs, third_party_contacts
from atlas.graph.export import write
from atlas.identity import officer_link
from atlas.store import Case

V, S, M, NEW = "tel:+447700900001", "tel:+447700900002", "tel:+447700900003", "tel:+447700900013"


@pytest.fixture
def case(tmp_path: Path) -> Case:
    events = [msg(S, V, 60 * i, "Answer me") for i in range(5)]                       # 5 unanswered texts
    events += [msg(S, V, 400, None, kind="call", channel="voice", status="missed")]
    events += [msg(S, V, 410, None, kind="call", channel="voice", status="answered", duration_s=30)]
    events += [msg(V, S, 2000, "Please stop")]                                         # a reply, > 24 h after the texts
    events += [msg(NEW, V, 3000 + i, "Why did you block me?") for i in range(3)]
    events += [msg(V, M, 100, "Call me"), msg(M, V, 110, "Calling now")]              # her network, answered
    events += [msg(S, M, 500, "Tell her to answer"), msg(S, M, 520, "Tell her")]
    events += [msg(S, V, 600, "draft", status="draft")]                                # never a contact
    return make_case(tmp_path / "case", events)


def test_edges_count_contacts_per_channel_and_keep_their_event_ids(case: Case) -> None:
    cg = build_graph(case, dedupe=False)
    g = cg.graph
    sms = g.edges["party:suspect", "party:victim", "sms"]
    assert (sms["contacts"], sms["messages"], sms["calls"], sms["unanswered"]) == (5, 5, 0, 5)
    assert list(sms["event_ids"]) == [f"src0000000000001/row {i}" for i in range(1, 6)]
    voice = g.edges["party:suspect", "party:victim", "voice"]
    assert (voice["contacts"], voice["calls"], voice["unanswered"]) == (2, 2, 1)  # the answered call is answered
    assert g.edges["party:victim", "party:mother", "sms"]["unanswered"] == 0  # mother rang back within 24 h
    assert not any(e.endswith("row 16") for _, _, d in g.edges(data=True) for e in d["event_ids"])  # the draft
    events = set(case.events().select("event_id").collect().get_column("event_id").to_list())
    assert {e for _, _, d in g.edges(data=True) for e in d["event_ids"]} <= events


def test_pairs_give_reciprocity_first_and_last_contact(case: Case) -> None:
    top = pairs(build_graph(case, dedupe=False))
    row = top.filter((pl.col("src") == "party:suspect") & (pl.col("dst") == "party:victim")).row(0, named=True)
    assert (row["contacts"], row["contacts_back"], row["channels"]) == (7, 1, ["sms", "voice"])
    assert row["unanswered_rate"] == pytest.approx(6 / 7)
    assert row["reciprocity"] == pytest.approx(1 / 8)
    assert row["first"].isoformat() == "2026-03-01T12:00:00+00:00"
    assert row["last"].isoformat() == "2026-03-01T18:50:00+00:00"


def test_third_party_contacts_are_the_suspects_contacts_with_her_network(case: Case) -> None:
    third = third_party_contacts(build_graph(case, dedupe=False))
    assert third.select("src", "dst", "contacts").rows() == [("party:suspect", "party:mother", 2)]


def test_a_confirmed_alias_moves_its_contacts_onto_the_persons_node(case: Case) -> None:
    before = build_graph(case, dedupe=False).graph
    assert before.edges[NEW, "party:victim", "sms"]["contacts"] == 3
    officer_link(case, NEW, "suspect", "same-imei", note="test decision")
    after = build_graph(case, dedupe=False).graph
    assert not after.has_node(NEW)
    assert after.edges["party:suspect", "party:victim", "sms"]["contacts"] == 8
    assert NEW in after.nodes["party:suspect"]["identifiers"]


def _propose(case: Case, a: str, b: str, basis: str) -> None:
    from atlas.identity.ledger import ensure_schema, propose

    with case.db() as con:
        ensure_schema(con)
        propose(case, con, a, b, basis, reason="test", support=[], score=1.0, origin="discovery:test")


def test_exports_carry_the_same_graph_and_say_which_links_were_followed(case: Case, tmp_path: Path) -> None:
    _propose(case, NEW, S, "same-imei")
    cg = build_graph(case, include_proposed=True, dedupe=False)
    assert cg.graph.nodes["party:suspect"]["proposed_identifiers"] == [NEW]
    assert build_graph(case, dedupe=False).graph.nodes["party:suspect"]["proposed_identifiers"] == []
    g = nx.read_graphml(write(cg, tmp_path / "g.graphml", source_refs(case)), force_multigraph=True)
    assert g.graph["identity"] == "case.toml + confirmed and proposed links"
    assert g.nodes["party:suspect"]["proposed_identifiers"] == NEW
    assert sorted((u, v, k) for u, v, k in g.edges(keys=True)) == sorted(cg.graph.edges(keys=True))
    expected = [f"src0000000000001/row {i}" for i in (1, 2, 3, 4, 5, 9, 10, 11)]  # time order
    assert g.edges["party:suspect", "party:victim", "sms"]["event_ids"].split("; ") == expected
    data = json.loads(write(cg, tmp_path / "g.json", source_refs(case)).read_text())
    edge = next(e for e in data["edges"] if (e["source"], e["target"], e["key"]) == ("party:suspect", "party:victim", "sms"))
    assert edge["event_ids"] == expected and edge["first"] == "2026-03-01T12:00:00Z"
    with write(cg, tmp_path / "e.csv", source_refs(case)).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    row = next(r for r in rows if (r["from_id"], r["to_id"], r["channel"]) == ("party:suspect", "party:victim", "sms"))
    assert (row["from_label"], row["contacts"], row["first_uk"]) == ("Daniel Sample", "8", "01/03/2026 12:00 GMT")
    assert row["event_ids"].split("; ") == expected


def test_communities_do_not_depend_on_insertion_order() -> None:
    rows = []
    for a, b in [("a", "b"), ("b", "c"), ("c", "a"), ("x", "y"), ("y", "z"), ("z", "x"), ("c", "x")]:
        for i in range(3):
            rows.append({"src": a, "dst": b, "channel": "sms", "kind": "message", "ts_utc": i, "answered_call": False,
                         "event_ids": [f"s/{a}{b}{i}"]})
    frame = pl.DataFrame(rows).with_columns(pl.from_epoch("ts_utc", "s").dt.replace_time_zone("UTC"))
    first = communities(build_from_rows(frame))
    again = communities(build_from_rows(frame.reverse()))
    assert first == again == [["a", "b", "c"], ["x", "y", "z"]]


def test_an_empty_case_gives_an_empty_graph(tmp_path: Path) -> None:
    cg = build_graph(make_case(tmp_path / "empty", []))
    assert cg.graph.number_of_edges() == 0 and set(cg.graph.nodes) >= {"party:victim", "party:suspect"}
    assert pairs(cg).height == 0


def test_cli_graph_writes_files_and_summarises(case: Case, tmp_path: Path, atlas: Callable[..., Any]) -> None:
    out = tmp_path / "g.graphml"
    r = atlas("graph", case.root, "--out", out, "--out", tmp_path / "g.json", "--json", "--no-dedupe")
    assert r.code == 0, r.err
    summary = json.loads(r.out)
    assert summary["identity"] == "case.toml + confirmed links only"
    assert summary["pairs"][0]["src"] == "party:suspect" and summary["pairs"][0]["contacts"] == 7
    assert out.exists() and (tmp_path / "g.json").exists()
    r = atlas("graph", case.root)
    assert r.code == 0 and "Who contacts whom" in r.out and "--with-proposed" in r.out


def test_exports_name_people_and_records_for_a_person_beside_the_ids(tmp_path: Path) -> None:
    """rejected-ex 63511: contact-graph.graphml listed a node's identifiers as 'name:6b88ae0962e2bd5c:not dan'
    and its edges' records as '6b88ae0962e2bd5c/messages[6]', which is what an analyst opening it in Gephi
    or yEd read. The shown words now name the exhibit (``Chloe (name in JA/1)``, ``JA/1, row 17``); the ids
    stay where a consumer or a second import reads them (node id, identifiers, event_ids)."""
    from lxml import etree

    chloe = "name:src0000000000001:Chloe"
    events = [msg(chloe, V, 900 + i, "hi") for i in range(2)] + [msg(S, V, 60 * i, "Answer me") for i in range(2)]
    named = make_case(tmp_path / "named", events)
    refs = source_refs(named)
    exhibit = refs["src0000000000001"]
    cg = build_graph(named, dedupe=False)
    g = nx.read_graphml(write(cg, tmp_path / "g.graphml", refs), force_multigraph=True)
    node = g.nodes[chloe]
    assert node["label"] == f"Chloe (name in {exhibit})"
    assert node["identifier_labels"] == f"Chloe (name in {exhibit})" and node["identifiers"] == chloe
    edge = g.edges[chloe, "party:victim", "sms"]
    ids = edge["event_ids"].split("; ")
    assert edge["exhibits"].split("; ") == [f"{exhibit}, {i.partition('/')[2]}" for i in ids]
    assert all(not i.startswith(exhibit) for i in ids)  # the machine ids are kept as they were
    suspect = g.nodes["party:suspect"]
    assert suspect["label"] == "Daniel Sample" and "identifier_labels" in suspect
    # GraphML structure: every data element names a key declared for its element
    root = etree.parse(str(tmp_path / "g.graphml")).getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    keys = {k.get("id"): k.get("for") for k in root.findall("g:key", ns)}
    elements = list(root.iter(f"{{{ns['g']}}}node", f"{{{ns['g']}}}edge"))
    assert len(elements) == g.number_of_nodes() + g.number_of_edges()
    for el in elements:
        for d in el.findall("g:data", ns):
            assert keys[d.get("key")] == etree.QName(el).localname
    data = json.loads(write(cg, tmp_path / "g.json", refs).read_text(encoding="utf-8"))
    assert data["format"] == "atlas-contact-graph/1"  # fields added, none removed: the same format
    jnode = next(n for n in data["nodes"] if n["id"] == chloe)
    assert (jnode["label"], jnode["identifiers"], jnode["identifier_labels"]) == (
        f"Chloe (name in {exhibit})", [chloe], [f"Chloe (name in {exhibit})"])
    jedge = next(e for e in data["edges"] if (e["source"], e["target"], e["key"]) == (chloe, "party:victim", "sms"))
    assert jedge["event_ids"] == ids and jedge["exhibits"] == edge["exhibits"].split("; ")
    assert (edge["label"], edge["channel"], jedge["label"]) == ("SMS", "sms", "SMS")  # the key stays beside the name
    with write(cg, tmp_path / "e.csv", refs).open(newline="", encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["from_id"] == chloe)
    assert row["from_label"] == f"Chloe (name in {exhibit})" and row["exhibits"] == edge["exhibits"]
