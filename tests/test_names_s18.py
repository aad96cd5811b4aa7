"""Session 18: what people see names a party by its name and role, never by its key (``party:suspect``);
a link's sides read the same in the CLI, the workbench and decision messages (one rule:
:func:`atlas.exhibits.side_label`)."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from _conduct_cases import SUSPECT, VICTIM, make_case, msg

from atlas.cli import main
from atlas.exhibits import PartyInfo, side_label
from atlas.store import Case

OTHER = "snapchat:id:7f3e1c2a-0002"


def _run(*argv: str) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(list(argv)) == 0
    return buf.getvalue()


@pytest.fixture()
def linked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Case, str]:
    """A case whose officer linked an identifier to the suspect party (the ledger's side ``party:suspect``)."""
    monkeypatch.setenv("COLUMNS", "400")
    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-02-01 12:00", SUSPECT, VICTIM, "hi")]})
    out = _run("link", str(case.root), OTHER, "suspect", "--basis", "account-profile", "--note", "return names him",
               "--officer", "DS 5678 B. Reviewer")
    return case, out


def test_side_label_names_a_party_by_name_and_role() -> None:
    parties = {"suspect": PartyInfo("suspect", "suspect", "Simon Suspect")}
    assert side_label({}, parties, "party:suspect") == "Simon Suspect (suspect)"
    assert side_label({"s1": "JA/3"}, parties, "name:s1:Dan") == "Dan (name in JA/3)"
    assert side_label({}, parties, "tel:+447700900102") == "tel:+447700900102"


def test_the_link_line_names_the_party_side(linked: tuple[Case, str]) -> None:
    _, out = linked
    assert "Simon Suspect (suspect)" in out and "party:suspect" not in out, out


def test_a_note_on_a_link_names_the_party_side(linked: tuple[Case, str]) -> None:
    case, _ = linked
    link_id = json.loads(_run("people", str(case.root), "--json"))["links"][0]["link_id"]
    out = _run("note", str(case.root), "checked the return", "--about", f"link:{link_id}", "--officer", "DS 1 A. B")
    assert "Simon Suspect (suspect)" in out and "party:suspect" not in out, out


def test_the_workbench_link_rows_name_the_party_side(linked: tuple[Case, str]) -> None:
    from atlas.exhibits import case_parties, source_refs
    from atlas.identity.people import people_view
    from atlas.tui.screens.people import link_rows

    case, _ = linked
    rows = link_rows(people_view(case), source_refs(case), case_parties(case))
    sides = set(rows["a"].to_list()) | set(rows["b"].to_list())
    assert "Simon Suspect (suspect)" in sides and not any("party" in s for s in sides), sides
    assert set(rows["_a"].to_list()) | set(rows["_b"].to_list()) == {"party:suspect", OTHER}


def test_the_finding_index_names_every_finding_as_the_plain_rule(rejected_ex_case: Path) -> None:
    """finding_name looks a tagged finding up in one index built per analysis; it names every finding (and a
    key the analysis no longer holds, and a warning) exactly as the plain linear search does."""
    from atlas.decisions.naming import finding_name, finding_name_plain
    from atlas.review import Review

    review = Review(Case.open(rejected_ex_case))
    keys = sorted(review.finding_names())
    kinds = {k.partition(":")[0] for k in keys}
    assert {"candidate", "incident", "breach"} <= kinds, kinds
    keys += ["candidate:Tffffffff", "colocation:2020-01-01T00:00:00+00:00", "warning:3", "gap:x", "nonsense", ""]
    assert [finding_name(review, k) for k in keys] == [finding_name_plain(review, k) for k in keys]
    assert review.finding_names() is review.finding_names()  # built once per ledger generation


def test_the_export_line_names_the_links_followed_by_their_sides(linked: tuple[Case, str], tmp_path: Path) -> None:
    """`atlas export` printed the links it followed by their ledger ids (L3b26…)."""
    case, said = linked
    link_id = said.rsplit("command handle ", 1)[1].split(")")[0]
    out = _run("export", str(case.root), str(tmp_path / "x.kml"), "--to", "kml")
    line = next(ln for ln in out.splitlines() if ln.startswith("Identity links followed"))
    assert "Simon Suspect (suspect) = snapchat:id:7f3e1c2a-0002" in line and link_id not in line, line
    assert json.loads(_run("export", str(case.root), str(tmp_path / "y.kml"), "--to", "kml", "--json"))[
        "identity"].count(link_id) == 1  # --json (machine use) keeps the id


@pytest.fixture(scope="module")
def graph_out(rejected_ex_case: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    import os

    csv = tmp_path_factory.mktemp("graph") / "g.csv"
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "1000"
    try:
        return _run("graph", str(rejected_ex_case), "--out", str(csv), "--top", "40"), csv
    finally:
        if old is None:
            os.environ.pop("COLUMNS")
        else:
            os.environ["COLUMNS"] = old


def test_atlas_graph_names_display_names_by_exhibit_and_channels_in_words(graph_out: tuple[str, Path],
                                                                          rejected_ex_case: Path) -> None:
    """The console table and communities showed a display name alone ('D', no exhibit) and channel keys
    ('voice', 'instagram')."""
    from atlas.graph import build_graph

    out, _ = graph_out
    cg = build_graph(Case.open(rejected_ex_case))
    names = [n for n, d in cg.graph.nodes(data=True) if n.startswith("name:") and d.get("kind") == "identifier"]
    assert names, "the case has a display-name node"
    labels = {str(cg.graph.nodes[n]["label"]) for n in names}
    assert all(" (name in " in lb for lb in labels), labels
    assert any(lb in out for lb in labels), out
    table = [ln for ln in out.split("Who contacts whom", 1)[1].split("Communities", 1)[0].splitlines() if ln.startswith("│")]
    channels = {c.strip() for ln in table for c in ln.split("│")[8].split(",")}
    assert "Phone call" in channels and not channels & {"voice", "sms", "whatsapp", "instagram"}, channels


def test_the_graph_csv_names_identifiers_and_channels_in_words_beside_the_ids(graph_out: tuple[str, Path]) -> None:
    import polars as pl

    from atlas.wording import channel_name

    _, csv = graph_out
    rows = pl.read_csv(csv, infer_schema=False)
    assert rows.columns.index("from_identifier_labels") == rows.columns.index("from_identifiers") + 1
    raw = rows.filter(pl.col("from_identifiers").str.contains("name:"))
    assert raw.height, "an edge from a display name"
    assert not rows.get_column("from_identifier_labels").str.contains("name:").any()
    assert not rows.get_column("to_identifier_labels").str.contains("name:").any()
    assert raw.get_column("from_identifier_labels").str.contains(r" \(name in [A-Z]+/\d+\)").all()
    assert rows.get_column("channel_label").to_list() == [channel_name(c) for c in rows.get_column("channel").to_list()]


def test_a_channel_given_as_data_is_never_split() -> None:
    """A tool's app label holding a '/' (Cellebrite Source 'TextNow/2ndLine' is kept as the key
    'textnow/2ndline') is one channel: split on '/', it read 'textnow or 2ndline (the records differ)'."""
    from atlas.wording import channel_name

    assert channel_name(["textnow/2ndline"]) == "textnow/2ndline"
    assert channel_name(("mms", "sms")) == "MMS or SMS (the records differ)"
    assert channel_name(["voice"]) == channel_name("voice") == "Phone call"
    assert channel_name([]) == "unknown"


def test_the_chronology_names_a_contacts_channel_from_its_keys(tmp_path: Path) -> None:
    """The report's chronology named each contact's channel by splitting the '/'-joined key back."""
    from atlas.exhibits import source_refs
    from reports.chronology import build
    from reports.inputs import contacts_between

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-02-01 12:00", SUSPECT, VICTIM, "hi", channel="textnow/2ndline"),
                                                msg("2026-02-01 13:00", SUSPECT, VICTIM, "hello")]})
    contacts, _, _ = contacts_between(case, {SUSPECT: "suspect", VICTIM: "victim"}, "suspect", ["victim"])
    rows = build(case, contacts, {"suspect": "Simon Suspect", "victim": "Vera Victim"}, source_refs(case))
    assert [r.channel for r in rows] == ["textnow/2ndline", "SMS"], rows


def test_the_limitations_name_a_pending_links_party_side(linked: tuple[Case, str]) -> None:
    """The reviewer's list of pending links read 'Proposed link party:suspect ↔ …'."""
    from dataclasses import replace

    from atlas.exhibits import source_refs
    from atlas.identity import read_links
    from reports import limitations

    case, _ = linked
    [link] = read_links(case)
    limits = limitations.build(case, case.sources(), source_refs(case), {}, [replace(link, status="proposed")])
    [line] = limits.identity_pending
    assert "Simon Suspect (suspect)" in line and "party:" not in line, line


def test_a_records_own_channel_key_is_named_whole_in_the_graph_exports(tmp_path: Path) -> None:
    """A graph edge's channel is one key (or a channel group), never a joined list: a key holding '/' is
    one channel in the CSV's channel_label and the edge label, not 'x or y (the records differ)'."""
    import polars as pl

    from atlas.exhibits import source_refs
    from atlas.graph import build_graph
    from atlas.graph.export import write_csv

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-02-01 12:00", SUSPECT, VICTIM, "hi", channel="textnow/2ndline")]})
    out = write_csv(build_graph(case), tmp_path / "g.csv", source_refs(case))
    rows = pl.read_csv(out, infer_schema=False)
    assert rows.select("channel", "channel_label").rows() == [("textnow/2ndline", "textnow/2ndline")]


def test_the_reports_channel_groups_are_named_and_coloured_from_their_keys(tmp_path: Path) -> None:
    """The statement's 'Contacts by channel', the charts' legends and colours read each channel from its keys as
    data (aggregate.channel_keys), never the '/'-joined group key split back."""
    from reports import aggregate
    from reports.inputs import contacts_between
    from reports.style import CHANNEL_COLOURS, channel_colours

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-02-01 12:00", SUSPECT, VICTIM, "hi", channel="textnow/2ndline"),
                                                msg("2026-02-01 13:00", SUSPECT, VICTIM, "hello")]})
    contacts, _, _ = contacts_between(case, {SUSPECT: "suspect", VICTIM: "victim"}, "suspect", ["victim"])
    keys = aggregate.channel_keys(contacts)
    assert keys == {"textnow/2ndline": ("textnow/2ndline",), "sms": ("sms",)}
    from reports.findings import Findings

    f = Findings(channels=aggregate.channel_order(contacts), daily=contacts, heat=contacts, weeks=contacts, counts={},
                 per_channel=contacts, orders=[], s2a_window=None, conduct=None, channel_keys=keys)
    assert [f.channel_name(c) for c in sorted(keys)] == ["SMS", "textnow/2ndline"]
    assert f.channel_name("mms/sms") == "mms/sms"  # a key the contacts do not hold is one key, not split
    colours = channel_colours(["mms/sms", "sms"], {"mms/sms": ("mms", "sms"), "sms": ("sms",)})
    assert colours == {"mms/sms": CHANNEL_COLOURS["mms"], "sms": CHANNEL_COLOURS["sms"]}


def test_the_graphs_channel_group_is_named_in_words(tmp_path: Path) -> None:
    """rejected-ex 71101: a handset's MMS that the call data record shows as SMS is one contact, which the
    graph files under the channel group ``cellular``; the demo's top pairs read 'on cellular, SMS, …' and the
    edge label 'cellular'."""
    from atlas.contacts import CHANNEL_GROUPS
    from atlas.wording import CHANNEL_NAMES, channel_name, channels_said

    assert set(CHANNEL_GROUPS.values()) <= set(CHANNEL_NAMES)  # every group the graph can file a contact under
    assert channel_name(["cellular"]) == "mobile network (the records differ on the channel)"
    assert "cellular" not in channels_said(["cellular", "sms"])
