"""The MG11 statement draft, the exhibit schedule and events.csv on the rejected-ex case.

The case is generated, ingested and reported once (``_report_cases.rejected_ex_reported``);
the numbers in the statement are checked against ``atlas conduct --json`` for the same
case and date, and against the generator's truth.json, never against constants.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from _report_cases import AS_OF, CONTINUITY, PENDING_ALIAS, Reported, rejected_ex_reported
from docx import Document

from atlas.exhibits import event_records, event_ref, record_key
from atlas.identity.bases import describe as describe_basis
from atlas.store import Case
from reports.limitations import describe_identifier
from reports.style import uk_date

MG11_SECTIONS = (
    "Role and experience", "Exhibits received", "What I did", "Identifiers relied on", "Contact between them",
    "Places and orders", "What this data can and cannot show", "Chronology", "Exhibits I produce",
)
ADVICE = (
    "s2A", "s4A", "time limit", "charge", "information must be laid", "in time", "out of time", "deadline",
    "days remain", "consider", "reviewer", "proposed", "awaiting a decision", "threat occasion", "matched word",
    "course of conduct", "harassment", "offence", "criminal offence", "recommend", "should be charged", "lexicon",
)
"""Advice, charging, time-limit and unconfirmed-candidate wording: never in the MG11 (it goes to the reviewer's note)."""
HEX_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{16}(?![0-9a-f])")
"""A source id (16 hex characters): people see exhibit references instead."""


@pytest.fixture(scope="module")
def reported() -> Reported:
    return rejected_ex_reported()


def docx_text(path: Path) -> tuple[str, list[str], list[list[list[str]]]]:
    """(all paragraph text, headings, tables as rows of cell text) of a DOCX."""
    doc = Document(str(path))
    paras = [p.text for p in doc.paragraphs]
    headings = [p.text for p in doc.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return "\n".join(paras), headings, tables


@pytest.fixture(scope="module")
def statement(reported: Reported) -> tuple[str, list[str], list[list[list[str]]]]:
    return docx_text(reported.out / "statement.docx")


@pytest.fixture(scope="module")
def conduct_json(reported: Reported, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``atlas conduct --json`` for the same case and date, as a reviewer would run it."""
    import contextlib
    import io

    from atlas.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["conduct", str(reported.case_dir), "--json", "--as-of", AS_OF]) == 0
    return dict(json.loads(buf.getvalue()))


def test_statement_docx_has_the_mg11_header_declaration_and_every_section(
        statement: tuple[str, list[str], list[list[list[str]]]], reported: Reported) -> None:
    text, headings, tables = statement
    assert "WITNESS STATEMENT" in text
    assert "Criminal Justice Act 1967, s. 9" in text and "Magistrates' Courts Act 1980, s. 5B" in text
    header = {row[0]: row[1] for row in tables[0]}
    manifest = Case.open(reported.case_dir).manifest
    assert header == {"URN": manifest.reference, "Statement of": manifest.officer, "Age if under 18": "Over 18",
                      "Occupation": manifest.occupation}
    assert "is true to the best of my knowledge and belief" in text
    assert "liable to prosecution if I have wilfully stated in it anything which I know to be false" in text
    assert "DRAFT produced by Atlas for the officer to review" in text
    assert f"Date: {uk_date(date.fromisoformat(AS_OF))}" in text
    assert headings == list(MG11_SECTIONS)  # in the order an analyst's MG11 gives them, and nothing else
    body = _all_text(statement)
    assert body.count("not legal advice") == 1  # the decision-support notice, once


def test_pages_are_counted_by_word_fields_in_the_declaration_and_footer(reported: Reported) -> None:
    """'Page X of Y' and the declaration's page count are fields, right after the officer edits."""
    import zipfile

    with zipfile.ZipFile(reported.out / "statement.docx") as z:
        body = z.read("word/document.xml").decode()
        footers = [z.read(n).decode() for n in z.namelist() if n.startswith("word/footer")]
    assert "NUMPAGES" in body  # "consisting of N page(s)"
    assert any("PAGE" in f and "NUMPAGES" in f and "Page " in f for f in footers)


def _all_text(statement: tuple[str, list[str], list[list[list[str]]]]) -> str:
    text, _, tables = statement
    return text + "\n" + "\n".join(c for t in tables for row in t for c in row)


def test_the_mg11_holds_no_advice_no_candidates_and_no_internal_ids(
        statement: tuple[str, list[str], list[list[list[str]]]], reported: Reported) -> None:
    body = _all_text(statement)
    html = (reported.out / "statement.html").read_text(encoding="utf-8")
    for phrase in ADVICE:
        assert phrase.lower() not in body.lower(), phrase
        assert phrase.lower() not in html.lower(), phrase
    assert not HEX_ID.findall(body) and not HEX_ID.findall(html)
    # nothing from a proposed link: the pending (unconfirmed) aliases of the generated case never appear
    case = Case.open(reported.case_dir)
    from atlas.identity import party_identifiers

    pending = {u for u, c in party_identifiers(case, "suspect", include_proposed=True).items() if c.status == "proposed"}
    assert pending == {PENDING_ALIAS}
    _, _, tables = statement
    relied = next(t for t in tables if t[0] == ["Identifier", "Why it is taken to be used by him"])
    chron = next(t for t in tables if t[0][0] == "Date and time")
    for uri in pending:  # the number is named as what a return relates to, never as his
        assert not any(uri in c for row in relied + chron for c in row), uri
        assert f"{uri} (Daniel Sample)" not in body


def test_every_source_is_exhibited_with_its_hash_and_continuity(
        statement: tuple[str, list[str], list[list[list[str]]]], reported: Reported) -> None:
    _, _, tables = statement
    received = next(t for t in tables if t[0] == ["Exhibit", "Item", "Continuity", "SHA-256"])
    by_sha = {row[3]: row for row in received[1:]}
    case = Case.open(reported.case_dir)
    prefix = case.manifest.exhibit_prefix
    assert set(by_sha) == {s["sha256"] for s in reported.truth["sources"]}
    recorded = {s["sha256"]: s for s in reported.truth["sources"]}
    for sha, row in by_sha.items():
        assert re.fullmatch(rf"{prefix}/\d+", row[0])
        assert recorded[sha]["path"].rsplit("/", 1)[-1] in row[1]
        assert "ingested" not in row[2] and "root" not in row[2]  # never the machine's user
        if sha == CONTINUITY["sha256"]:
            assert row[2] == (f"Received from {CONTINUITY['from']}, on {uk_date(CONTINUITY['received'])}, "
                              f"seal/bag {CONTINUITY['seal']}")
        else:
            assert row[2] == "[Officer to complete: supplied by; date received; seal or bag number]"


def test_the_statement_is_never_dated_before_an_exhibit_was_received(reported: Reported, tmp_path: Path) -> None:
    from atlas.cli import main

    assert main(["report", str(reported.case_dir), "--out", str(tmp_path / "early"), "--as-of", "2026-01-01"]) == 0
    text, _, _ = docx_text(tmp_path / "early" / "statement.docx")
    assert "Date: ...................." in text and "Date: 01/01/2026" not in text


def test_the_chronology_has_one_row_per_relied_on_contact_with_its_exhibit_record_and_full_text(
        statement: tuple[str, list[str], list[list[list[str]]]], reported: Reported) -> None:
    _, _, tables = statement
    chron = next(t for t in tables if t[0] == ["Date and time", "Channel", "From \u2192 to", "Message or call",
                                                 "Exhibit record"])[1:]
    with (reported.out / "contacts.csv").open(encoding="utf-8") as fh:
        contacts = list(csv.DictReader(fh))
    assert len(chron) == len(contacts) == reported.report_json["facts"]["chronology_rows"]
    case = Case.open(reported.case_dir)
    refs = {r["source_id"]: r["reference"] for r in _sources_with_refs(reported)}
    events = {event_ref(refs, r["event_id"]): r for r in case.events().collect().iter_rows(named=True)}
    names = {p.id: p.name for p in case.manifest.parties}
    for row, contact in zip(chron, contacts, strict=True):
        assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2} (GMT|BST)", row[0])
        assert row[0] == contact["uk_time"][:16] + contact["uk_time"][19:]
        assert row[2] == f"{contact['from']} \u2192 {contact['to']}" and contact["from"] in names.values()
        quoted = re.match(rf"({case.manifest.exhibit_prefix}/\d+), ([^(]+?)(?: \(also .*\))?$", row[4])
        assert quoted, row[4]
        ids = contact["exhibits"].split("; ")  # each record by its exhibit reference, never a store id
        record = next(events[i] for i in ids if refs[events[i]["source_id"]] == quoted.group(1)
                      and events[i]["source_ref"] == quoted.group(2))
        if record["kind"] == "message" and any(events[i]["text"] for i in ids):
            assert row[3] == max((events[i]["text"] or "" for i in ids), key=len)  # verbatim, the fullest copy
            assert row[3] == record["text"]
        elif record["kind"] == "call":
            assert row[3].startswith("Call, ")


def test_every_exhibit_in_the_schedule_is_produced_in_the_statement(
        statement: tuple[str, list[str], list[list[list[str]]]], reported: Reported) -> None:
    body = _all_text(statement)
    for row in _schedule(reported.out):
        assert re.search(rf"{re.escape(row['reference'])}(?!\d)", body), row["reference"]
    assert "report.html" not in {r["filename"] for r in _schedule(reported.out)}  # the reviewer's view, not an exhibit


def test_statement_numbers_equal_atlas_conduct_json(reported: Reported, conduct_json: dict[str, Any],
                                                    statement: tuple[str, list[str], list[list[list[str]]]]) -> None:
    text = _all_text(statement)
    n_inc = len(conduct_json["incidents"])
    assert f"there are {n_inc} such days" in text
    order = conduct_json["orders"][0]
    assert (f"the exhibits record {order['contact_breaches']} contact" in text
            and f"and {order['zone_breaches']} occasion" in text)
    assert f"On {len(conduct_json['colocations'])} occasion" in text
    facts = reported.report_json["facts"]
    assert facts["incidents"] == n_inc and facts["breaches"] == len(conduct_json["breaches"])


def test_every_figure_and_finding_traces_to_exhibit_records_in_events_csv(reported: Reported,
                                                                           conduct_json: dict[str, Any]) -> None:
    """Each record a finding rests on is one row of events.csv, found by its exhibit reference
    (``JA/7, sms rowid 477``): the served tables' ``exhibits`` column joins to its ``exhibit`` column."""
    with (reported.out / "events.csv").open(encoding="utf-8") as fh:
        listed = list(csv.DictReader(fh))
    rows = {r["exhibit"]: r for r in listed}
    assert len(rows) == len(listed) and "event_id" not in listed[0]  # one row per record, no store id
    refs = {r["source_id"]: r["reference"] for r in _sources_with_refs(reported)}
    exhibits = _schedule(reported.out)
    source_refs = {e["reference"] for e in exhibits if e["kind"] == "source"}
    for key in ("incidents", "breaches", "colocations"):
        for item in conduct_json[key]:
            assert item["exhibits"] == [event_ref(refs, e) for e in item["event_ids"]], key
            assert set(item["exhibits"]) <= set(rows), key
    for inc in conduct_json["incidents"]:
        label = f"incident {uk_date(inc['date'])}"
        assert all(label in rows[e]["cited_by"] for e in inc["exhibits"])
    for name, key in (("incidents.csv", "incidents"), ("breaches.csv", "breaches"), ("colocations.csv", "colocations"),
                      ("contacts.csv", None)):
        with (reported.out / name).open(encoding="utf-8") as fh:
            table = list(csv.DictReader(fh))
        assert table and "event_ids" not in table[0], name
        for r in table:
            named = r["exhibits"].split("; ")
            assert set(named) <= set(rows) and int(r["records"]) == len(named), name
        if key is not None:  # the same records, row for row, as atlas conduct --json, in the order a person reads
            assert [r["exhibits"].split("; ") for r in table][:len(conduct_json[key])] == [
                [str(r) for r in sorted(event_records(refs, i["event_ids"]), key=record_key)]
                for i in conduct_json[key]], name
    figures = [e for e in exhibits if e["kind"] == "chart"]
    assert figures
    for fig in figures:
        assert int(fig["events_cited"]) == sum(fig["reference"] + " " in r["cited_by"] for r in rows.values())
    assert {r["source_exhibit"] for r in rows.values()} <= source_refs
    sample = next(iter(rows.values()))
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2} (GMT|BST)", sample["uk_time"])
    assert sample["ts_utc"].endswith("Z")


def _schedule(out: Path) -> list[dict[str, str]]:
    with (out / "exhibits.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_exhibit_schedule_csv_and_xlsx_agree_and_hash_every_file(reported: Reported) -> None:
    rows = _schedule(reported.out)
    prefix = Case.open(reported.case_dir).manifest.exhibit_prefix
    numbers = [int(r["reference"].split("/")[1]) for r in rows]
    assert numbers == list(range(1, len(rows) + 1)) and all(r["reference"].startswith(prefix + "/") for r in rows)
    truth_sha = {s["sha256"] for s in reported.truth["sources"]}
    assert {r["sha256"] for r in rows if r["kind"] == "source"} == truth_sha
    for r in rows:
        if r["kind"] != "source":
            data = (reported.out / r["filename"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == r["sha256"], r["filename"]
            assert int(r["size_bytes"]) == len(data)
    for name in ("statement.docx", "statement.html", "exhibits.csv", "exhibits.xlsx"):
        assert name not in {r["filename"] for r in rows}  # the statement is not its own exhibit
    wb = openpyxl.load_workbook(reported.out / "exhibits.xlsx")
    sheet = wb["Exhibits"]
    xrows = [[("" if c is None else str(c)) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert xrows[0] == list(rows[0].keys())
    assert xrows[1:] == [list(r.values()) for r in rows]


def test_statement_html_says_the_same_as_the_docx(reported: Reported,
                                                  statement: tuple[str, list[str], list[list[list[str]]]]) -> None:
    html = (reported.out / "statement.html").read_text(encoding="utf-8")
    text, headings, _ = statement
    for h in headings:
        assert f"<h2>{h.replace(chr(39), '&#x27;')}</h2>" in html
    assert html.count("<img ") == html.count('src="data:image/png;base64,')  # figures embedded, nothing fetched
    assert "http://" not in html and "https://" not in html
    n = len(re.findall(r'<span class="num">\d+\.</span>', html))
    assert n == len(re.findall(r"^\d+\.\t", text, flags=re.M))


def test_limits_are_written_from_the_sources_used(statement: tuple[str, list[str], list[list[list[str]]]],
                                                  reported: Reported) -> None:
    text, _, _ = statement
    limits = text.split("What this data can and cannot show", 1)[1].split("\nChronology\n", 1)[0]
    parsers = {s["parser"] for s in reported.truth["sources"]}
    assert ("Call data record (communications data): can show that a SIM/handset made or received a call" in limits) \
        == ("cdr" in parsers)
    assert "Location history: can show a position with a stated accuracy" in limits
    refs = {e["source_id"]: e["reference"] for e in _sources_with_refs(reported)}
    notes = {line.split(":", 1)[0]: line for line in limits.splitlines() if re.match(r"[A-Z]+/\d+: ", line)}
    for src in reported.truth["sources"]:
        ref, parser = refs[src["source_id"]], src["parser"]
        if parser == "cdr":
            assert "not the phone's position" in notes[ref]  # the CDRs here carry cell ids
        if parser == "cell-sites":
            assert "where a mast is, not where any phone was" in notes[ref]
        if parser == "google-records-json":
            assert "median stated accuracy" in notes[ref]
    assert "Assumption recorded at ingest" not in limits  # software detail: in the technical annex
    annex, _, annex_tables = docx_text(reported.out / "technical-annex.docx")
    per_source = next(t for t in annex_tables if t[0][:2] == ["Exhibit", "Parser (version)"])
    assert {row[0] for row in per_source[1:]} == set(refs.values())
    assert any("read as wall-clock times in Europe/London" in row[6] for row in per_source[1:])
    assert "Assumptions recorded when each exhibit was read" in annex
    confirmed = [a for p in reported.truth["parties"].values() if p["role"] == "suspect" for a in p["aliases"]
                 if a != PENDING_ALIAS]
    for alias in confirmed:
        shown = describe_identifier(alias, refs)
        # the link's other end and its basis in words, and the officer's decision in the one served wording
        assert (f"{shown}: linked to Daniel Sample ({describe_basis('officer-decision')}); documentary (proven); "
                f"{DECIDED}.") in " ".join(limits.split()), limits
    assert "'officer-decision'" not in limits and "on the basis '" not in limits  # no ledger key in a served document
    assert PENDING_ALIAS not in limits


DECIDED = "confirmed by an officer; recorded in the case's decisions ledger"


def test_identifiers_relied_on_name_each_links_other_end_and_the_decision(
        statement: tuple[str, list[str], list[list[list[str]]]], reported: Reported) -> None:
    """A defence reader of 'Identifiers relied on' must see what each confirmed identifier was linked
    to and that an officer confirmed it (the served wording), not only 'linked by an officer: <basis>'."""
    _, _, tables = statement
    relied = next(t for t in tables if t[0][0] == "Identifier")
    refs = {e["source_id"]: e["reference"] for e in _sources_with_refs(reported)}
    rows = {r[0]: " ".join(r[1].split()) for r in relied[1:]}
    confirmed = [a for p in reported.truth["parties"].values() if p["role"] == "suspect" for a in p["aliases"]
                 if a != PENDING_ALIAS and not a.startswith("name:")]
    assert confirmed
    for alias in confirmed:
        why = rows[describe_identifier(alias, refs)]
        assert why == f"linked to Daniel Sample ({describe_basis('officer-decision')}); {DECIDED}", why


def _sources_with_refs(reported: Reported) -> list[dict[str, str]]:
    by_sha = {r["sha256"]: r["reference"] for r in _schedule(reported.out) if r["kind"] == "source"}
    return [{"source_id": s["source_id"], "reference": by_sha[s["sha256"]]} for s in reported.truth["sources"]]


def test_docx_properties_are_fixed_by_as_of_not_the_clock(reported: Reported) -> None:
    core = Document(str(reported.out / "statement.docx")).core_properties
    assert core.created == datetime(2026, 11, 22, 12, 0, tzinfo=UTC) and core.modified == core.created
    assert core.revision == 1


def test_outputs_are_byte_identical_run_to_run(reported: Reported, tmp_path: Path,
                                               digest: Callable[[Path], dict[str, str]]) -> None:
    from atlas.cli import main

    assert main(["report", str(reported.case_dir), "--out", str(tmp_path / "again"), "--as-of", AS_OF]) == 0
    assert digest(tmp_path / "again") == digest(reported.out)


def test_the_mg11_says_which_exhibits_clocks_differ_from_network_time(
        statement: tuple[str, list[str], list[list[list[str]]]], reported: Reported) -> None:
    """rejected-ex 99991: the annex measured JA/13's clock 40 s ahead of network time (624 matches) and the
    MG11's breach and chronology times from JA/13 are as that clock recorded them, 40 s after the network's,
    but the MG11 said only that each exhibit 'records times by its own clock': a reader of the statement
    could not tell that its times were not corrected, nor by how much a clock differed."""
    text, _, _ = statement
    limits = " ".join(text.split("What this data can and cannot show", 1)[1].split("\nChronology\n", 1)[0].split())
    _, _, annex_tables = docx_text(reported.out / "technical-annex.docx")
    per_source = next(t for t in annex_tables if t[0][:2] == ["Exhibit", "Parser (version)"])
    # s17: the annex's column read "Clock correction" with "-42 s (13 matches)" for an exhibit whose times the MG11
    # gives as recorded: it gives the same difference with its basis and its use, and corrects nothing
    assert per_source[0][7] == "Measured clock difference (used only to match records)"
    annex_text = " ".join(docx_text(reported.out / "technical-annex.docx")[0].split())
    assert "It is used only to match records: times are given as recorded, and no time is corrected by it." in annex_text
    assert "correction" not in " ".join(" ".join(r) for r in per_source).lower()
    # call data records are the reference clock itself, not an exhibit whose difference went unmeasured
    assert {r[7] for r in per_source[1:] if r[1].startswith("cdr ")} == {"none: network time, the reference clock"}
    pattern = r"(\d+) s (ahead of|behind) the reference clock, median over (\d+) matched contacts$"
    shifted = [(row[0], row[7]) for row in per_source[1:] if re.match(pattern, row[7])]
    assert shifted, per_source
    for ref, clock in shifted:
        m = re.match(pattern, clock)
        assert m is not None
        way = m.group(2)
        note = next((n for n in re.split(r"(?= [A-Z]+/\d+: )", " " + limits) if n.strip().startswith(f"{ref}: ")), "")
        minute = "Times are given to the minute only" in note
        assert (f"{'Its times' if minute else 'Its clock'} read {m.group(1)} s {way} the reference clock (network time "
                f"from call data records where the case has them), the median difference over {m.group(3)} contacts "
                "matched with other exhibits") in note, (ref, note)
        assert ("this difference may come from the minute alone, not the clock" in note) == minute, note
        assert "times from it are given as recorded" in note, note
