"""The reports' building blocks on small hand-built cases: UK days, limits of the data,
exhibit numbering, de-duplicated counting, and what the statement says when an
analysis is missing."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from _conduct_cases import SUSPECT, VICTIM, make_case, msg
from docx import Document

from atlas.contacts import dedupe_contacts, possible_sms_parts
from atlas.model import EVENT_SCHEMA, conform, empty_evidence, empty_rejects
from atlas.store import Case, StagedSource
from reports import aggregate, exhibits, limitations
from reports.citations import Citations
from reports.inputs import gather


def test_a_contact_at_0030_bst_counts_on_the_uk_day_not_the_utc_day(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {VICTIM: [
        msg("2026-06-30 23:30", SUSPECT, VICTIM),   # 00:30 BST on Wednesday 1 July
        msg("2026-07-01 12:00", SUSPECT, VICTIM),
        msg("2026-07-20 12:00", VICTIM, SUSPECT),   # the other way, three weeks on
    ]})
    contacts = gather(case).contacts
    daily = aggregate.daily_by_channel(contacts, "Europe/London")
    assert daily.to_dicts() == [{"day": datetime(2026, 7, 1).date(), "channel": "sms", "n": 2}]
    heat = aggregate.hour_weekday(contacts, "Europe/London")
    assert heat.height == 168 and heat.get_column("n").sum() == 2
    assert heat.filter(pl.col("n") > 0).select("day_name", "hour", "n").to_dicts() == [
        {"day_name": "Wed", "hour": 0, "n": 1}, {"day_name": "Wed", "hour": 13, "n": 1}]
    weeks = aggregate.weekly(contacts, "Europe/London")
    assert weeks.to_dicts() == [  # every week in the span, empty ones as zero
        {"week": datetime(2026, 6, 29).date(), "from_suspect": 2, "to_suspect": 0},
        {"week": datetime(2026, 7, 6).date(), "from_suspect": 0, "to_suspect": 0},
        {"week": datetime(2026, 7, 13).date(), "from_suspect": 0, "to_suspect": 0},
        {"week": datetime(2026, 7, 20).date(), "from_suspect": 0, "to_suspect": 1},
    ]


def test_a_contact_in_two_handsets_is_counted_once_with_both_records(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {
        VICTIM: [msg("2026-03-01 21:00:05", SUSPECT, VICTIM, "Answer me")],
        SUSPECT: [msg("2026-03-01 21:00:00", SUSPECT, VICTIM, "Answer me"), msg("2026-03-01 21:00:30", SUSPECT, VICTIM, "x")],
    })
    inputs = gather(case)
    assert inputs.contacts.height == 2
    assert sorted(inputs.contacts.get_column("event_ids").list.len().to_list()) == [1, 2]
    assert inputs.dedupe_rule and "120 s" in inputs.dedupe_rule


def test_a_draft_is_never_counted_as_a_contact(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {SUSPECT: [
        msg("2026-03-01 21:00", SUSPECT, VICTIM, "never sent", status="draft"),
        msg("2026-03-02 21:00", SUSPECT, VICTIM, "sent"),
    ]})
    assert gather(case).contacts.height == 1


@pytest.mark.parametrize(("parser", "kind"), [
    ("cdr", "cdr"),
    ("cell-sites", "cell-sites"),
    ("whatsapp-text", "chat-export"),
    ("signal-text", "chat-export"),
    ("google-records-json", "location"),
    ("google-returns-csv", "location"),
    ("meta-dyi-json", "social"),
    ("cellebrite-xml", "handset"),
    ("subscriber", "subscriber"),
    # Its description says "call database", which the old word match read as "call data":
    # a WhatsApp call history on a phone is a handset download, not a call data record.
    ("whatsapp-ios-calls", "handset"),
    # A tool's export was "other" (no word matched); it is declared as what it is.
    ("tool-export", "tool-export"),
    ("no-such-parser", "other"),
])
def test_each_source_is_described_by_the_kind_its_parser_declares(parser: str, kind: str) -> None:
    assert limitations.classify(parser).id == kind


def _store_with(tmp_path: Path, rows: list[dict[str, Any]], *, parser: str, fmt: str) -> Case:
    case = make_case(tmp_path / "c", {})
    sid = "ab" * 8
    frame = pl.DataFrame(rows, schema_overrides={"ts_utc": pl.Datetime("us", "UTC")}, infer_schema_length=None)
    frame = frame.with_columns(
        pl.concat_str(pl.lit(sid + "/row "), pl.int_range(pl.len()).cast(pl.String)).alias("event_id"),
        pl.concat_str(pl.lit("row "), pl.int_range(pl.len()).cast(pl.String)).alias("source_ref"),
        pl.lit(sid).alias("source_id"), pl.lit([], pl.List(pl.String)).alias("attachments"),
    )
    frame = conform(frame, EVENT_SCHEMA)
    source = {"source_id": sid, "path": "/e/phone.xml", "name": "phone.xml", "size": 1, "sha256": sid * 4,
              "format": fmt, "parser": parser, "parser_version": "2.0", "owner": SUSPECT, "region": "GB",
              "timezone": "Europe/London", "assumptions": ["day/month order taken as day first (GB)"],
              "records_read": frame.height + 1, "events": frame.height, "rejects": 1}
    case.commit([StagedSource(source, frame, empty_rejects(), empty_evidence())])
    return Case.open(case.root)


def test_limits_state_deleted_records_clock_changes_cells_and_rejects_counted_from_the_store(tmp_path: Path) -> None:
    base = {"kind": "message", "channel": "sms", "sender": SUSPECT, "recipients": [VICTIM], "direction": "out"}
    rows = [
        {**base, "ts_utc": datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "ts_basis": "ambiguous", "deleted": True},
        {**base, "ts_utc": datetime(2026, 10, 26, 9, 0, 5, tzinfo=UTC), "ts_basis": "local", "deleted": False,
         "cell_id": "234-10-1-1"},
    ]
    case = _store_with(tmp_path, rows, parser="cellebrite-xml", fmt="Cellebrite report")
    limits = limitations.build(case, case.sources(), {"abababababababab": "TO/1"}, {}, dedupe_rule=None)
    (src,) = limits.sources
    assert src.reference == "TO/1" and src.kind.id == "handset"
    assert "1 read as wall-clock times in Europe/London" in src.timing
    assert "1 in the repeated hour when clocks went back in Europe/London" in src.timing
    notes = " ".join(src.notes)
    assert "1 record was recovered as deleted: its content may be incomplete" in notes
    assert "1 time fell in a clock-change hour (1 repeated, 0 skipped)" in notes
    assert "1 record carries a cell identifier" in notes and "not the phone's position" in notes
    assert "1 record could not be read and was set aside" in notes
    assert src.assumptions == ["day/month order taken as day first (GB)"]  # its own field: the annex gives them
    assert "day/month order" not in notes  # the statement's points to note (served) are facts about the records
    assert any("Handset download: can show messages and calls as stored" in g for g in limits.general)
    assert not any("Call data record" in g for g in limits.general)  # no CDR in this case, so no CDR paragraph
    assert any("counted per source record" in g for g in limits.general)


def test_exhibit_numbers_are_decisions_kept_in_the_case_and_never_renumbered(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {})
    first = exhibits.assign_numbers(case, [("source:aa", "source"), ("product:chart", "chart")])
    assert first == {"source:aa": 1, "product:chart": 2}
    later = exhibits.assign_numbers(case, [("source:aa", "source"), ("source:bb", "source"), ("product:chart", "chart")])
    assert later == {"source:aa": 1, "source:bb": 3, "product:chart": 2}
    assigned = [r["detail"] for r in case.audit_log() if r["action"] == "exhibit-number"]
    assert [(d["key"], d["number"]) for d in assigned] == [("source:aa", 1), ("product:chart", 2), ("source:bb", 3)]


def test_a_source_added_after_a_report_gets_the_next_reference(tmp_path: Path, atlas: Callable[..., Any],
                                                               whatsapp_samples: Path) -> None:
    case = tmp_path / "case"
    assert atlas("init", case).code == 0
    assert atlas("ingest", case, whatsapp_samples / "test_ddmmyy_24hrs.txt", "--owner", "victim").code == 0
    assert atlas("report", case, "--out", tmp_path / "one").code == 0
    one = {r["filename"]: r["reference"] for r in csv.DictReader((tmp_path / "one" / "exhibits.csv").open())}
    assert one["test_ddmmyy_24hrs.txt"] == "AO/1"
    assert atlas("ingest", case, whatsapp_samples / "test_yyyymmdd_24hrs.txt", "--owner", "victim").code == 0
    assert atlas("report", case, "--out", tmp_path / "two").code == 0
    two = {r["filename"]: r["reference"] for r in csv.DictReader((tmp_path / "two" / "exhibits.csv").open())}
    assert {k: two[k] for k in one} == one  # nothing already exhibited changes its reference
    assert two["test_yyyymmdd_24hrs.txt"] == f"AO/{len(one) + 1}"


def test_report_inputs_are_the_analyses_typed_results_with_no_fallback(tmp_path: Path) -> None:
    """One door, typed fields: the conduct result, the graph, the ledger's links, the rules and
    the exhibit numbers, as their own types; no 'unavailable' analyses, no import circle."""
    import ast

    from atlas.conduct import ConductResult
    from atlas.conduct.records import Incident
    from atlas.graph import ContactGraph
    from atlas.rules import Rules

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-03-01 21:00", SUSPECT, VICTIM),
                                               msg("2026-03-02 21:00", SUSPECT, VICTIM)]})
    inputs = gather(case)
    assert isinstance(inputs.conduct, ConductResult) and isinstance(inputs.graph, ContactGraph)
    assert isinstance(inputs.rules, Rules) and all(isinstance(i, Incident) for i in inputs.conduct.incidents)
    assert inputs.s2a is inputs.conduct.s2a and inputs.s2a.as_of is None  # no --as-of: the undated verdict
    assert set(inputs.exhibit_refs) == set(case.source_ids())
    assert not hasattr(inputs, "unavailable")
    reports = Path(__file__).resolve().parents[1] / "reports"
    for name in ("inputs.py", "findings.py", "graph_view.py"):
        tree = ast.parse((reports / name).read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert "importlib" not in {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}, name
        if name == "inputs.py":
            assert "graph_view" not in imported, "reports/inputs.py must not import reports/graph_view.py"
    assert "fallback_graph" not in (reports / "graph_view.py").read_text(encoding="utf-8")

def test_citations_keep_every_label_once_in_first_cited_order() -> None:
    c = Citations()
    c.add("TO/4 contacts-per-day", ["s/2", "s/1"])
    c.add_many([("incident 01/03/2026", ["s/1"]), ("incident 01/03/2026", ["s/1"]), ("breach RO-1", ["s/2"])])
    assert c.frame().to_dicts() == [{"event_id": "s/1", "cited_by": "TO/4 contacts-per-day; incident 01/03/2026"},
                                    {"event_id": "s/2", "cited_by": "TO/4 contacts-per-day; breach RO-1"}]


def test_docx_zip_entries_carry_a_fixed_time(tmp_path: Path) -> None:
    from reports.statement_docx import ZIP_TIME, stable_zip

    doc = Document()
    doc.add_paragraph("x")
    doc.save(str(tmp_path / "a.docx"))
    fixed = stable_zip((tmp_path / "a.docx").read_bytes())
    (tmp_path / "b.docx").write_bytes(fixed)
    with zipfile.ZipFile(tmp_path / "b.docx") as z:
        assert {i.date_time for i in z.infolist()} == {ZIP_TIME}
        assert z.testzip() is None
    assert stable_zip(fixed) == fixed
    Document(str(tmp_path / "b.docx"))  # still a document python-docx (and Word) can open


def test_without_as_of_no_output_quotes_the_current_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The s2A "days left" is measured from --as-of only; otherwise the outputs would change daily."""
    from datetime import date, timedelta

    from dateutil.relativedelta import relativedelta

    import atlas.store.case as store_case
    from atlas.conduct import analyse
    from reports.build import build_reports

    today = date.today()
    last = today - relativedelta(months=6) + timedelta(days=10)  # the deadline is 10 days away: a warning today
    # The sources were received (their ingest audit rows written) on an earlier day: the exhibit
    # schedule states that date, which is a recorded fact, not the current date.
    monkeypatch.setattr(store_case, "_now", lambda: f"{last + timedelta(days=1)}T09:00:00+00:00")
    case = make_case(tmp_path / "c", {VICTIM: [msg(f"{last - timedelta(days=3)} 20:00", SUSPECT, VICTIM),
                                               msg(f"{last} 12:00", SUSPECT, VICTIM)]})
    assert any(today.strftime("%d/%m/%Y") in w for w in analyse(case).to_json()["warnings"])  # the trap is armed
    result = build_reports(case, tmp_path / "out")
    marks = (today.strftime("%d/%m/%Y"), today.isoformat())
    texts = ["\n".join(p.text for p in Document(str(tmp_path / "out" / "statement.docx")).paragraphs)]
    texts += [(tmp_path / "out" / n).read_text(encoding="utf-8")
              for n in ("statement.html", "report.html", "reviewer-note.html", "unused-material.html")]
    texts += [p.read_text(encoding="utf-8") for p in (tmp_path / "out").glob("*.csv")]
    assert not [m for t in texts for m in marks if m in t]
    assert "s2a_days_left" not in result.statement.facts and "s2a_days_left" not in result.reviewer_note.facts
    assert result.reviewer_note.facts["s2a_deadline"] == (last + relativedelta(months=6)).isoformat()


def test_after_the_deadline_the_reviewers_note_says_expired_and_the_statement_says_nothing(tmp_path: Path) -> None:
    from datetime import date

    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-08-01 20:00", SUSPECT, VICTIM),
                                               msg("2026-08-31 12:00", SUSPECT, VICTIM)]})
    result = build_reports(case, tmp_path / "out", as_of=date(2027, 3, 1))
    note = "\n".join(c.text for t in Document(str(tmp_path / "out" / "reviewer-note.docx")).tables
                     for r in t.rows for c in r.cells)
    assert "Sunday 28/02/2027" in note  # 31 August + six calendar months, with its weekday
    assert result.reviewer_note.facts["s2a_state"] == "expired" and "Expired on 01/03/2027" in note
    assert "none: the last day, Sunday 28/02/2027, passed 1 day before the as-of date" in note
    statement = "\n".join(p.text for p in Document(str(tmp_path / "out" / "statement.docx")).paragraphs)
    assert "expired" not in statement and "28/02/2027" not in statement


def test_a_weekend_last_day_is_explained_once_in_the_reviewers_note(tmp_path: Path) -> None:
    """The last day (Sunday 28/02/2027) is not a working day: the note on when an information is
    laid is said once, inside the warning, not again as a paragraph of its own."""
    from datetime import date

    from atlas.rules import load_rules
    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-08-01 20:00", SUSPECT, VICTIM),
                                               msg("2026-08-31 12:00", SUSPECT, VICTIM)]})
    build_reports(case, tmp_path / "out", as_of=date(2027, 1, 20))
    paragraphs = [p.text for p in Document(str(tmp_path / "out" / "reviewer-note.docx")).paragraphs]
    note = load_rules().time_limit_for("pha-s2a").last_day_note
    warning = [t for t in paragraphs if t.startswith("Warning: the last day, Sunday 28/02/2027, is a Sunday")]
    assert len(warning) == 1 and note.rstrip(".") in warning[0]
    assert not [t for t in paragraphs if t.startswith(note[:60])]  # not again on its own


def test_lone_cdr_sms_seconds_apart_are_counted_and_the_limits_say_they_may_be_parts(tmp_path: Path) -> None:
    """Two CDR SMS a second apart and a third an hour later, no handset: three contacts
    (a CDR cannot tell parts from quick texts), and the limits say two may be parts."""
    base = {"kind": "message", "channel": "sms", "sender": SUSPECT, "recipients": [VICTIM], "direction": "out",
            "ts_basis": "utc", "deleted": False}
    rows = [{**base, "ts_utc": datetime(2026, 3, 1, 21, 0, s, tzinfo=UTC)} for s in (0, 1)]
    rows.append({**base, "ts_utc": datetime(2026, 3, 1, 22, 0, 0, tzinfo=UTC)})
    case = _store_with(tmp_path, rows, parser="cdr", fmt="Call data records")
    inputs = gather(case)
    assert inputs.contacts.height == 3
    n = inputs.possible_sms_parts
    assert n == 2
    deduped = dedupe_contacts(case.events(), reference_sources=case.source_ids())
    assert possible_sms_parts(deduped, []) == 0  # no call data records: nothing to say
    limits = limitations.build(case, case.sources(), {}, {}, dedupe_rule=inputs.dedupe_rule, possible_sms_parts=n)
    assert any(g.startswith("2 of the contacts counted are call data record SMS that no handset corroborates")
               for g in limits.general)
    assert not any("no handset corroborates" in g
                   for g in limitations.build(case, case.sources(), {}, {}, dedupe_rule=inputs.dedupe_rule).general)
    # with de-duplication available the limits never say it was not, whatever the count
    for count in (0, n):
        general = limitations.build(case, case.sources(), {}, {}, dedupe_rule=inputs.dedupe_rule,
                                    possible_sms_parts=count).general
        assert not any("de-duplication across sources was not available" in g for g in general)


@pytest.mark.parametrize(("night", "expected"), [
    (0, "None of the contacts from Daniel Sample was made between 23:00 and 05:59 UK time."),
    (1, "One of the contacts from Daniel Sample was made between 23:00 and 05:59 UK time."),
    (1234, "1,234 of the contacts from Daniel Sample were made between 23:00 and 05:59 UK time."),
])
def test_the_night_time_sentence_agrees_with_its_number(night: int, expected: str) -> None:
    """Seen on an unseen-seed case: "1 of the contacts ... were made" in a statement to be served."""
    from reports.statement import _night_clause

    assert _night_clause(night, "Daniel Sample") == expected
