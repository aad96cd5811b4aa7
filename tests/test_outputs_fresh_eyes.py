"""Defects a person saw in the outputs of unseen cases (session 14's fresh-eyes check), each held here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from _conduct_cases import SUSPECT, VICTIM, call, make_case, msg, pos, possible_items_case

from atlas.store import Case


def _two_places(root: Path) -> Case:
    """The victim's home and, east of every position, her work (as in the generated cases)."""
    make_case(root, {VICTIM: [msg("2026-02-01 12:00", SUSPECT, VICTIM)],
                     SUSPECT: [pos("2026-02-02 12:00", 51.55, -0.35), pos("2026-02-03 12:00", 51.54, -0.30)]})
    toml = root / "case.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '''
[[place]]
name = "victim work"
party = "victim"
lat = 51.515
lon = -0.095
radius_m = 150
''', encoding="utf-8")
    return Case.open(root)


def test_a_place_name_near_the_maps_east_edge_is_written_inwards(tmp_path: Path) -> None:
    """report.html's place map wrote every name rightwards from its place: the easternmost one ran off the
    plot ("victim work" read "victim wo", seeds 90210 third-parties and 71717 clean)."""
    from bokeh.models import ColumnDataSource, LabelSet

    from reports import findings, html_report, inputs

    ins = inputs.gather(_two_places(tmp_path / "c"), as_of=date(2026, 12, 1))
    chart = html_report.location_chart(ins, findings.build(ins), "Sam")
    [labels] = [m for m in chart.references() if isinstance(m, LabelSet)]
    src = labels.source
    assert isinstance(src, ColumnDataSource)
    where = {name: (align, dx) for name, align, dx in zip(src.data["name"], src.data["align"], src.data["dx"], strict=True)}
    assert where["victim work"] == ("right", -8)  # the easternmost: written leftwards, inside the plot
    assert where["victim home"] == ("right", -8)  # east of the plot's middle too
    assert labels.text_align == "align"  # the column above, as the contact graph names its labels


def test_an_incidents_table_of_no_incident_still_has_its_header(tmp_path: Path) -> None:
    """clean 71717: exhibit JA/31, incidents.csv, produced with the statement, was a file holding one line
    break: no column to say what it lists. It has the header a table of incidents has, and no row."""
    import csv

    from reports.build import build_reports

    none = make_case(tmp_path / "none", {VICTIM: [msg("2026-02-01 12:00", VICTIM, SUSPECT)]})
    some = make_case(tmp_path / "some", {VICTIM: [msg("2026-02-01 12:00", SUSPECT, VICTIM)]})
    headers = []
    for case in (none, some):
        result = build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
        assert result.findings.conduct is not None
        with (case.root / "out" / "incidents.csv").open(encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        headers.append(rows[0] if rows else [])
        assert len(rows) - 1 == len(result.findings.incidents)
    assert headers[0] == headers[1] and {"date", "uk_date", "target_names", "targets", "exhibits"} <= set(headers[0])


def test_the_reviewers_note_names_the_records_of_each_possible_item(tmp_path: Path) -> None:
    """covert 333221: the note listed 14 possible co-locations for the reviewer to check against other
    evidence by id, time, place and accuracy, but not which records they rest on (the CLI lists them)."""
    import re

    from docx import Document

    from reports.build import build_reports

    case = possible_items_case(tmp_path / "c")
    result = build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    conduct = result.findings.conduct
    assert conduct is not None and conduct.colocation_reviews and conduct.breach_reviews
    doc = Document(str(case.root / "out" / "reviewer-note.docx"))
    tables = {t.rows[0].cells[1].text: t for t in doc.tables if t.rows[0].cells[0].text in ("From (UK)", "When (UK)")}
    for first_place, column, items in (("Place", "Records (his / hers)", conduct.colocation_reviews),
                                       ("Order", "Records", conduct.breach_reviews)):
        table = tables[first_place]
        header = [c.text for c in table.rows[0].cells]
        shown = {r.cells[-1].text: r.cells[header.index(column)].text for r in list(table.rows)[1:]}
        assert shown == {i.id: i.records_by_exhibit() for i in items}
        assert all(re.match(r"TO/\d+", v) for v in shown.values()), shown


def test_the_mg11_says_none_in_words(tmp_path: Path) -> None:
    """time-limit 90210 (scale 0.3): paragraph 10 read "0 contacts went the other way"; a case of messages
    only read "(3 messages and 0 calls, 0 of the calls not answered)"."""
    from docx import Document

    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg(f"2026-05-{d:02d} 12:00", SUSPECT, VICTIM) for d in (1, 2, 3)]})
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    para = next(p.text for p in Document(str(case.root / "out" / "statement.docx")).paragraphs
                if "The exhibits record" in p.text)
    assert "(3 messages and no calls)" in para and "No contact went the other way." in para, para
    assert "0 calls" not in para and "0 contacts" not in para


def test_the_mg11_counts_of_messages_and_calls_read_as_their_numbers() -> None:
    from reports.statement import _kinds_clause, _other_way_clause

    assert _kinds_clause(234, 112, 103) == "234 messages and 112 calls, 103 of the calls not answered"  # as before
    assert _kinds_clause(1, 1, 1) == "1 message and 1 call, not answered"
    assert _kinds_clause(0, 2, 0) == "no messages and 2 calls, none of them recorded as not answered"
    assert [_other_way_clause(n) for n in (0, 1, 2)] == [
        "No contact went the other way.", "One contact went the other way.", "2 contacts went the other way."]


def test_the_technical_annex_gives_the_method_not_the_time_limit(tmp_path: Path) -> None:
    """Every seed: the annex (an exhibit produced with the statement, served) listed among the analysis's
    assumptions "as-of date 2026-12-01" (an ISO date dating the s2A verdict), which offences the s2A clock
    applies to and their time limits, the s2A warning threshold, and calls to 101 "listed as possible
    vexatious reports": advice and an inference, which belong in the reviewer's note."""
    from docx import Document

    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg(f"2026-05-{d:02d} 12:00", SUSPECT, VICTIM) for d in (1, 2, 3)]})
    result = build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    assert any(a.startswith("as-of date ") for a in result.findings.assumptions)  # the analysis still records them
    text = "\n".join(p.text for p in Document(str(case.root / "out" / "technical-annex.docx")).paragraphs)
    for advice in ("2026-12-01", "as-of date", "clock applies", "time limit", "warning threshold", "vexatious",
                   "calls to tel-short:"):  # the police number as a person reads it, not the store's spelling
        assert advice not in text, advice
    for method in ("night-time = 23:00-06:00", "gaps longer than 28 days are listed for a person to judge",
                   "calls to police non-emergency 101 are counted as incidents and named as such"):
        assert method in text, method


def test_colocations_csv_gives_uk_times_beside_the_utc_ones(tmp_path: Path) -> None:
    """rejected-ex 333221: colocations.csv (served) gave each co-location's date, start and end in ISO/UTC only
    (2026-02-14T20:06:00+00:00); breaches.csv and incidents.csv have the UK date or time beside theirs."""
    import csv

    from reports.build import build_reports
    from reports.style import uk_date, uk_time

    home = (51.5074, -0.1278)
    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-05-01 12:00", SUSPECT, VICTIM)],
                                      SUSPECT: [pos("2026-07-12 20:06", *home), pos("2026-07-12 20:20", *home)]},
                     orders=[{"type": "restraining-order", "start": "2026-05-05T10:00:00Z", "reference": "RO-1"}])
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    for name in ("colocations.csv", "breaches.csv"):
        with (case.root / "out" / name).open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert rows, name
        for r in rows:
            assert r["uk_date"] == uk_date(r["date"]) and "/" in r["uk_date"]
            for k in ("start", "end"):
                if r.get(k):
                    assert r[f"uk_{k}"] == uk_time(r[k]) and r[f"uk_{k}"].endswith(" BST"), (name, r)
    assert rows[0]["uk_end"] == "12/07/2026 21:20 BST" or rows[0]["uk_time"].startswith("12/07/2026 21:06")


def test_the_distress_indicators_say_they_count_the_incidents_contacts(tmp_path: Path) -> None:
    """clean 71717: the reviewer's note read "volume: 0 contacts" and "night-time contact: 0 contacts" while the
    statement read 735 contacts from the suspect, 113 of them at night: the indicators count the contacts the
    incidents count (two-way weeks' are not) and did not say so."""
    from atlas.conduct import analyse

    week = [msg(f"2026-03-0{d} 23:30", SUSPECT, VICTIM) for d in (2, 3, 4)]
    week += [msg(f"2026-03-0{d} 12:00", VICTIM, SUSPECT) for d in (2, 3, 4)]
    result = analyse(make_case(tmp_path / "c", {VICTIM: week}), as_of=date(2026, 12, 1))
    assert result.course_of_conduct["mutual_contacts_not_counted"] == 3
    said = {d["indicator"]: d["detail"] for d in result.s4a["distress_indicators"]}
    assert said["volume"].startswith("0 contacts counted in incidents on 0 occasions"), said
    assert "(3 more contacts from the suspect in two-way weeks, not counted)" in said["volume"]
    assert said["night-time contact"].startswith("0 contacts counted in incidents during 23:00"), said


def test_the_contact_graph_names_a_short_number_as_a_number() -> None:
    """The HTML report's contact graph labelled the police number's node ``tel-short:101``, the store's own
    spelling (seed 90210 third-parties); it reads ``101 (short number)``, what the data shows of it."""
    from reports.graph_view import identifier_label

    assert identifier_label("tel-short:101") == "101 (short number)"
    assert identifier_label("tel-raw:07700 9OO") == "07700 9OO (number as written)"
    assert identifier_label("name:4a25f162ef45d2a9:Dan") == "Dan"
    assert identifier_label("tel:+447700900123") == "tel:+447700900123"


def test_the_contact_graph_labels_a_101_call_readably(tmp_path: Path) -> None:
    from atlas.graph import build_graph
    from reports import graph_view

    case = make_case(tmp_path / "c", {VICTIM: [msg("2026-02-01 12:00", SUSPECT, VICTIM)],
                                      SUSPECT: [call("2026-02-05 12:00", SUSPECT, "tel-short:101", status="answered",
                                                     duration_s=60)]})
    gv = graph_view.view(case, build_graph(case), "suspect", "victim", {})
    labels = dict(gv.nodes.select("id", "label").iter_rows())
    assert labels["tel-short:101"] == "101 (short number)", labels
    assert not any(label.startswith(("tel-short:", "tel-raw:")) for label in labels.values()), labels


def test_the_reviewers_note_says_in_words_that_no_message_was_flagged(tmp_path: Path) -> None:
    """clean 71717: the note read "flagged 0 messages as possible threats of violence (0 ranked as likely threats,
    0 on the wider review list): 0 confirmed by an officer, 0 dismissed, 0 awaiting a decision", and nothing said
    that the rules' silence is not a finding."""
    from docx import Document

    from reports.build import build_reports

    case = make_case(tmp_path / "c", {VICTIM: [msg(f"2026-05-{d:02d} 12:00", SUSPECT, VICTIM, "are you in") for d in (1, 2, 3)]})
    build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    text = "\n".join(p.text for p in Document(str(case.root / "out" / "reviewer-note.docx")).paragraphs)
    assert "flagged no message as a possible threat of violence, so none awaits a decision" in text, text
    assert "not a finding that no message threatened" in text
    assert "flagged 0 messages" not in text and "0 ranked" not in text


def test_the_volume_indicator_counts_the_occasions_that_have_a_contact(tmp_path: Path) -> None:
    """third-parties 62031: "86 contacts counted in incidents on 86 occasions" where 2 of the 86 rest on a call to
    101 alone (covert 62017 with its co-locations confirmed: "3 contacts ... on 17 occasions", 14 without one)."""
    from atlas.conduct import analyse

    events = [msg("2026-03-02 12:00", SUSPECT, VICTIM), msg("2026-03-03 12:00", SUSPECT, VICTIM),
              call("2026-03-04 12:00", SUSPECT, "tel-short:101")]
    result = analyse(make_case(tmp_path / "c", {SUSPECT: events}), as_of=date(2026, 12, 1))
    assert len(result.incidents) == 3
    said = {d["indicator"]: d["detail"] for d in result.s4a["distress_indicators"]}
    assert said["volume"].startswith("2 contacts counted in incidents on 2 of the 3 occasions; at most 1 in one day"), said
