"""The technical annex and the outputs folder, as a defence expert read them on unseen seeds (session 15,
s15-annex): each thing said once, in its own section; people named as case.toml names them; lists in words;
the folder one consistent state after an officer's decisions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from _conduct_cases import SUSPECT, VICTIM, make_case, msg


def _paragraphs(path: Path) -> str:
    from docx import Document

    doc = Document(str(path))
    return "\n".join([p.text for p in doc.paragraphs]
                     + [c.text for t in doc.tables for row in t.rows for c in row.cells])


def test_the_annex_says_the_matching_rule_and_what_is_never_a_contact_once(tmp_path: Path) -> None:
    """Seed 31415 (third-parties): the matching rule was set out in its own section and again in the list of
    assumptions, there as "...counted once: Records are..." (a capital mid-sentence); "drafts and unsent
    messages are never contacts" closed the rule and the next bullet said "drafts, unsent, failed, queued and
    outbox messages are never contacts"; the occasion rule was the settings' "Days:" line and a bullet."""
    from atlas.conduct import analyse
    from atlas.contacts import NOT_CONTACTS, match_clause
    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg(f"2026-05-{d:02d} 12:00", SUSPECT, VICTIM) for d in (1, 2, 3)]})
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    annex = " ".join(_paragraphs(case.root / "out" / "technical-annex.docx").split())
    rule = match_clause()
    assert annex.count(rule[1:]) == 1 and annex.count("never contacts") == 1 and NOT_CONTACTS in annex
    assert ": Records are" not in annex and "counted once: records are" not in annex
    assert annex.count("midnight to midnight") == 1
    # conduct.json's recorded sentences say it once too, in lower case after the colon
    said = analyse(case, as_of=date(2026, 12, 1)).assumptions
    assert sum("never contacts" in a for a in said) == 1
    assert f"each real-world contact is counted once: {rule}" in said


def test_names_and_headers_in_what_a_parser_assumed_read_as_words_not_python() -> None:
    """Seed 31415: the annex printed "tables not matching any template, not read: 'Summary' (headers seen:
    ['Case', 'OP-ATLAS-...'])", a Python list; a name with an apostrophe came out in double quotes (repr)."""
    from atlas.wording import quoted, quoted_list
    from parsers.whatsapp_text import parse  # noqa: F401  (a producer that quotes names)

    assert quoted_list(["Case", "OP-1"]) == "'Case' and 'OP-1'"
    assert quoted_list(["a", "b", "c"], "or") == "'a', 'b' or 'c'"
    assert quoted("O'Brien") == "'O'Brien'" and quoted("two\nlines") == "'two lines'"


def test_served_csvs_write_booleans_one_way_and_incidents_name_channels_as_people_do(tmp_path: Path) -> None:
    """Seed 31415: incidents.csv wrote breach and night as Python's False while events.csv wrote false; its
    channels column gave the store's 'voice' where the chronology says 'Phone call'. Booleans are true/false in
    every served CSV (reports.build.csv_cell); channel_names sits beside channels, which is unchanged."""
    import csv

    from _conduct_cases import call

    from reports.build import build_reports, csv_cell

    assert (csv_cell(True), csv_cell(False), csv_cell(None), csv_cell(0)) == ("true", "false", "", "0")
    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-05-01 12:00", SUSPECT, VICTIM),
                                               call("2026-05-02 23:30", SUSPECT, VICTIM)]})
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    for name in ("incidents.csv", "events.csv"):
        text = (case.root / "out" / name).read_text(encoding="utf-8")
        assert "False" not in text and "True" not in text, name
    rows = list(csv.DictReader((case.root / "out" / "incidents.csv").open(encoding="utf-8")))
    assert [(r["channels"], r["channel_names"], r["night"]) for r in rows] == [
        ("sms", "SMS", "false"), ("voice", "Phone call", "true")]  # 00:30 BST is night-time


def test_search_cases_groups_every_count_in_thousands() -> None:
    """`atlas search-cases` printed "4,456 records (2350 from, 2106 to)": the total grouped, the counts not."""
    from atlas.cli.commands.search_cases import identifier_line

    line = identifier_line({"label": "tel:+447700900002", "records": 4456, "as_sender": 2350, "as_recipient": 2106,
                            "party": "suspect", "party_name": "Dan Example", "party_role": "suspect",
                            "party_basis": "case.toml", "how": "searched", "own_sources": 0})
    assert line == "  tel:+447700900002: 4,456 records (2,350 from, 2,106 to); Dan Example (suspect, case.toml)"


def test_atlas_report_refreshes_every_analysis_file_the_demo_wrote(tmp_path: Path) -> None:
    """Seed 31415: after `atlas confirm --all-proven` and `atlas report --as-of 2026-12-01`, the outputs folder held
    the new documents beside the demo's conduct.json, triage.json, contacts.json and contact-graph.* (as of the
    demo's day, before the decisions). The report now writes them from its own results: decide, re-report, and
    the JSONs agree with the documents."""
    import csv
    import json

    from atlas.cli import main

    case = tmp_path / "demo"
    assert main(["demo", str(case), "--scale", "0.02"]) == 0
    out = case / "outputs"
    written = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()}
    assert {"conduct.json", "triage.json", "contacts.json", "online.json", "contact-graph.graphml",
            "contact-graph.json"} <= set(written)
    assert main(["confirm", str(case), "--all-proven", "--note", "x", "--officer", "DS 5678 B. Reviewer"]) == 0
    assert main(["report", str(case), "--as-of", "2026-12-01"]) == 0
    # every file the demo wrote there was written again by the report: one state
    stale = [n for n, t in written.items() if (out / n).stat().st_mtime_ns == t]
    assert not stale, stale
    conduct = json.loads((out / "conduct.json").read_text(encoding="utf-8"))
    triage = json.loads((out / "triage.json").read_text(encoding="utf-8"))
    assert conduct["as_of"] == triage["as_of"] == "2026-12-01"
    incidents = list(csv.DictReader((out / "incidents.csv").open(encoding="utf-8")))
    assert [i["date"] for i in conduct["incidents"]] == [r["date"] for r in incidents]
    graph = json.loads((out / "contact-graph.json").read_text(encoding="utf-8"))
    assert graph["graph"]["include_proposed"] is False  # the report's graph: confirmed identities, as its documents


def test_the_annex_names_the_suspect_whose_conduct_was_analysed(tmp_path: Path) -> None:
    """Seed 27182 (covert): the annex's assumptions read "the conduct analysed is from suspect to the victim(s)...":
    the party's key, where case.toml names him."""
    from atlas.conduct import analyse

    case = make_case(tmp_path / "c", {VICTIM: [msg(f"2026-05-{d:02d} 12:00", SUSPECT, VICTIM) for d in (1, 2)]})
    name = "Simon Suspect"  # case.toml's name of the party keyed 'suspect'
    said = analyse(case, as_of=date(2026, 12, 1)).method_assumptions
    assert any(a.startswith(f"the conduct analysed is from {name} to ") for a in said), said


def test_a_report_refreshes_the_analysis_files_its_folder_holds_and_writes_none_it_does_not(tmp_path: Path) -> None:
    """The rule behind the demo's case: what the folder holds is refreshed from the report's results (here a
    conduct.json from an earlier run, with a stale as-of date); a folder that holds none gets none (contacts.json
    de-duplicates the whole case again, a cost an ordinary report does not pay)."""
    import json

    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg(f"2026-05-{d:02d} 12:00", SUSPECT, VICTIM) for d in (1, 2, 3)]})
    plain = build_reports(case, case.root / "plain", as_of=date(2026, 12, 1))
    assert not [n for n in ("conduct.json", "triage.json", "contacts.json", "online.json", "contact-graph.json")
                if (plain.out_dir / n).exists() or n in plain.paths]
    held = case.root / "held"
    held.mkdir()
    (held / "conduct.json").write_text('{"as_of": "2026-06-01", "incidents": []}\n', encoding="utf-8")
    result = build_reports(case, held, as_of=date(2026, 12, 1))
    conduct = json.loads((held / "conduct.json").read_text(encoding="utf-8"))
    assert conduct["as_of"] == "2026-12-01" and len(conduct["incidents"]) == len(result.findings.incidents) == 3
    assert result.paths["conduct.json"] == held / "conduct.json" and not (held / "triage.json").exists()


def test_an_owner_known_through_a_confirmed_link_is_named_with_its_basis() -> None:
    """Seed 57575: the statement's exhibit list said "relating to tel:+447700900018 (Daniel Sample)" (an identity
    link an officer confirmed) while the annex said only "device owner tel:+447700900018 as stated in the source".
    Both now name him; the annex says on what basis. An owner no confirmed link names stays its identifier."""
    from atlas.ingest import OwnerAssumption
    from reports.limitations import _assumptions

    recorded = "device owner tel:+447700900018 as stated in the source"
    owner = OwnerAssumption("source", None, "tel:+447700900018", recorded)
    row = {"owner_assumption": owner.to_row(), "assumptions": ["layout 'x'", recorded]}
    names = {"suspect": "Daniel Sample"}
    linked = _assumptions(row, names, {"tel:+447700900018": "suspect"})
    assert linked == ["layout 'x'", "device owner tel:+447700900018 as stated in the source (Daniel Sample: an "
                      "identity link confirmed by an officer; recorded in the case's decisions ledger)"]
    assert _assumptions(row, names, {}) == ["layout 'x'", recorded]
    assert _assumptions(row, names, {"tel:+447700900099": "suspect"}) == ["layout 'x'", recorded]
    named = OwnerAssumption("source", "suspect", "tel:+447700900002", "device owner suspect (tel:+447700900002) …")
    row2 = {"owner_assumption": named.to_row(), "assumptions": [named.recorded]}
    assert _assumptions(row2, names, {"tel:+447700900002": "suspect"}) == [
        "device owner tel:+447700900002 as stated in the source (attributed to Daniel Sample by the officer in the "
        "case manifest)"]  # case.toml's name: no link said; the name is the attribution, not the source's word
