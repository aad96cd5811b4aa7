"""Documents state only what an officer confirmed (issues 13, 14, 16).

A small built case with three likely threats on three days, a review-list message, a
monitoring message and two impact entries. Without decisions the MG11 states no threat
and the reviewer's note lists every candidate as awaiting a decision with what confirming
them would change; after confirming two, dismissing one, tagging a record and writing a
note, the MG11 quotes exactly the two (by exhibit record, two occasions, no officer's
name), the note says the s4A threat indicator is met, the dismissed message is stated
nowhere as a finding and is on the MG6C, and the tagged record is produced.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
from pathlib import Path

import pytest

from atlas.conduct import analyse
from atlas.decisions.candidates import candidates_from, decide_candidate
from atlas.decisions.exhibits import tag
from atlas.decisions.notes import add_note
from atlas.exhibits import event_ref, source_refs
from atlas.review import headline_of
from atlas.store import Case
from reports.build import ReportResult, build_reports
from tests._conduct_cases import MOTHER, SUSPECT, VICTIM, make_case, msg

AS_OF = "2026-09-01"
WAITING = "I know where you live and I'll be waiting"
DEAD = "if u go 2 the police ur dead"
TYRES = "ur tyres wont be the only thing slashed"
COME_ROUND = "Don't make me come round"
READING = "I know you're reading these"
IMPACT = """
[[impact]]
date = 2026-03-06
what = "Stopped walking home from work alone"
category = "routine"
source = "victim statement 11/03/2026"
recorded_by = "DC 0002 Test Officer"

[[impact]]
date = 2026-08-01
what = "Changed her mobile number"
category = "changed-number"
source = "victim statement 02/08/2026"
recorded_by = "DC 0002 Test Officer"
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("confirmed") / "case"
    make_case(root, {SUSPECT: [
        msg("2026-03-01 20:00", SUSPECT, VICTIM, "hello"),
        msg("2026-03-02 21:00", SUSPECT, VICTIM, WAITING),
        msg("2026-03-03 21:00", SUSPECT, VICTIM, DEAD),
        msg("2026-03-04 21:00", SUSPECT, VICTIM, TYRES),
        msg("2026-03-05 21:00", SUSPECT, VICTIM, COME_ROUND),
        msg("2026-03-05 22:00", SUSPECT, VICTIM, READING),
        msg("2026-03-07 10:00", SUSPECT, MOTHER, "tell her to call me"),
    ]})
    toml = root / "case.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + IMPACT, encoding="utf-8")
    return root


def _copy(built: Path, tmp_path: Path) -> Case:
    out = tmp_path / "case"
    shutil.copytree(built, out)
    return Case.open(out)


def _text(path: Path) -> str:
    raw = re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))
    return " ".join(html.unescape(raw).split())


def _report(case: Case, out: Path) -> ReportResult:
    from datetime import date

    return build_reports(case, out, as_of=date.fromisoformat(AS_OF))


def _candidate(case: Case, text: str, kind: str = "threat"):  # type: ignore[no-untyped-def]
    found = [c for c in candidates_from(analyse(case), case) if c.kind == kind and text in c.context.replace("«", "")
             .replace("»", "")]
    assert len(found) == 1, (text, found)
    return found[0]


def _section(text: str, head: str, nxt: str) -> str:
    start = text.index(head)
    return text[start:text.index(nxt, start)]


def test_with_no_decision_the_mg11_states_no_threat_and_the_note_lists_every_candidate(built: Path,
                                                                                       tmp_path: Path) -> None:
    case = _copy(built, tmp_path)
    result = _report(case, tmp_path / "out")
    count = result.findings.conduct.occasion_count if result.findings.conduct else None
    assert count is not None and (count.confirmed, count.pending) == (0, 3)
    statement = _text(result.paths["statement.html"])
    assert "Messages containing threats of violence" not in statement
    assert "Messages about watching" not in statement
    assert result.statement.facts["confirmed_threat_occasions"] == 0
    assert WAITING in statement  # the message is still a contact in the chronology, stated as sent, not as a threat
    for words in ("Stopped walking home", "Changed her mobile number", "threat of violence"):
        assert words not in statement
    note = _text(result.paths["reviewer-note.html"])
    nf = result.reviewer_note.facts
    assert (nf["threat_candidates_open"], nf["threat_occasions_confirmed"], nf["threat_occasions_pending"]) == (4, 0, 3)
    assert "Confirming the open likely-threat candidates on 3 further occasions would make 3: it would then be met" \
        in note
    for text in (WAITING, DEAD, TYRES, COME_ROUND, READING):
        assert text in _section(note, "indicators, for a person to confirm", "The victim's account of impact")
    assert note.count("awaiting a decision") >= 5
    impact = _section(note, "The victim's account of impact", "Breaches per order")
    assert "06/03/2026" in impact and "Stopped walking home from work alone (routine)" in impact
    assert "5 incidents, 01/03/2026 to 05/03/2026; threat candidates (awaiting a decision) on 02/03/2026, 03/03/2026, 04/03/2026" in impact
    assert "not derived from the data" in impact
    page = _text(result.paths["report"])
    assert "Stopped walking home from work alone" in html.unescape(result.paths["report"].read_text(encoding="utf-8"))
    assert "0 confirmed by an officer, 3 more awaiting a decision" in page


def test_confirmed_dismissed_tagged_and_noted_reach_exactly_the_right_documents(built: Path, tmp_path: Path) -> None:
    case = _copy(built, tmp_path)
    for text in (WAITING, DEAD):
        decide_candidate(case, _candidate(case, text), "confirmed", note="read in full: a threat")
    decide_candidate(Case.open(case.root, officer="DS 5678 B. Reviewer"), _candidate(case, TYRES), "dismissed",
                     note="property only, reviewed with CPS")
    decide_candidate(case, _candidate(case, READING, "behaviour:monitoring"), "confirmed", note="she uses that phone")
    come_round = _candidate(case, COME_ROUND)
    tagged = tag(case, come_round.event_id, note="first implied menace", description="come round")
    add_note(case, f"event:{come_round.event_id}", "Ask her whether he came round that night")

    conduct = analyse(case)
    assert conduct.occasion_count is not None and conduct.occasion_count.confirmed == 2
    assert headline_of(conduct).confirmed_threat_occasions == 2  # the workbench reads the same count

    result = _report(case, tmp_path / "out")
    statement = _text(result.paths["statement.html"])
    threats = _section(statement, "Messages containing threats of violence", "Messages about watching")
    assert "sent on 2 occasions (02/03/2026 and 03/03/2026), counting each UK calendar day once" in threats
    assert WAITING in threats and DEAD in threats and TYRES not in threats and COME_ROUND not in threats
    assert re.search(r"02/03/2026 21:00 GMT, SMS from Simon Suspect to Vera Victim \(TO/1, row 2\): .I know where",
                     threats), threats
    assert "I read each of the following in full" in threats  # the maker decided; never a name or a time in the MG11
    behaviour = _section(statement, "Messages about watching", "Places and orders")
    assert READING in behaviour and "1 message" not in behaviour and "the following message in full" in behaviour
    assert "DS 5678" not in statement and "property only" not in statement and "read in full: a threat" not in statement
    assert "Ask her whether" not in statement
    assert result.statement.facts["confirmed_threat_occasions"] == 2
    assert re.search(rf"{re.escape(tagged.reference)} Extract of one record: SMS message from Simon Suspect to "
                     r"Vera Victim, 05/03/2026 21:00 GMT \(TO/1, row 5\) tagged/TO-\d+\.csv", statement), statement
    schedule = (result.out_dir / "exhibits.csv").read_text(encoding="utf-8")
    assert tagged.reference in schedule and (result.out_dir / f"tagged/TO-{tagged.number}.csv").is_file()
    assert event_ref(source_refs(case), come_round.event_id) in {r["exhibit"] for r in csv.DictReader(
        (result.out_dir / "events.csv").open(encoding="utf-8"))}  # relied on, so not unused material

    note = _text(result.paths["reviewer-note.html"])
    s4a = _section(note, "indicators, for a person to confirm", "The victim's account of impact")
    assert "On confirmed messages the threat indicator is met: 2 occasions, at least 2 needed" in s4a
    assert "dismissed by DS 5678 B. Reviewer" in s4a and "property only, reviewed with CPS" in s4a
    assert result.reviewer_note.facts["threat_occasions_confirmed"] == 2
    assert result.reviewer_note.facts["threat_candidates_dismissed"] == 1
    impact = _section(note, "The victim's account of impact", "Breaches per order")
    assert "threats confirmed on 02/03/2026, 03/03/2026" in impact and "04/03/2026" not in impact.split("threats")[1]
    decisions = _section(note, "Officers' notes and tagged exhibits", "Points to review")
    assert "Ask her whether he came round that night" in decisions and "TO/1, row 5" in decisions
    assert tagged.reference in decisions

    rows = list(csv.DictReader((result.out_dir / "unused-material.csv").open(encoding="utf-8")))
    dismissed = [r for r in rows if r["category"] == "flagged message dismissed by an officer"]
    assert len(dismissed) == 1 and TYRES in dismissed[0]["description"]
    assert "DS 5678 B. Reviewer" in dismissed[0]["description"] and dismissed[0]["relative_location"] == "TO/1, row 4"
    undecided = [r for r in rows if r["category"] == "flagged message awaiting an officer's decision"]
    assert [COME_ROUND in r["description"] for r in undecided] == [True]
    assert not any(WAITING in r["description"] or READING in r["description"] for r in dismissed + undecided)
    page = html.unescape(result.paths["report"].read_text(encoding="utf-8"))
    assert "2 confirmed by an officer, 0 more awaiting a decision" in " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_one_confirmed_occasion_reads_in_the_singular_and_a_reopened_one_leaves_the_statement(built: Path,
                                                                                              tmp_path: Path) -> None:
    case = _copy(built, tmp_path)
    decide_candidate(case, _candidate(case, WAITING), "confirmed", note="read in full")
    decide_candidate(case, _candidate(case, DEAD), "confirmed", note="read in full")
    decide_candidate(case, _candidate(case, DEAD), "open", note="second look")
    result = _report(case, tmp_path / "out")
    threats = _section(_text(result.paths["statement.html"]), "Messages containing threats of violence",
                       "Places and orders")
    assert "sent on 1 occasion (02/03/2026)" in threats and "1 occasions" not in threats and DEAD not in threats


def test_tagging_on_the_command_line_names_the_record_by_its_exhibit(built: Path, tmp_path: Path, atlas) -> None:  # type: ignore[no-untyped-def]
    case = _copy(built, tmp_path)
    event = _candidate(case, COME_ROUND).event_id
    run = atlas("exhibit", "tag", case.root, event, "--note", "first implied menace")
    assert run.code == 0, run.err
    assert "TO/1, row 5 tagged by DC 0002 Test Officer" in " ".join(run.out.split())
    assert event.split("/", 1)[0] not in run.out  # never the source's hex id


def test_a_finding_tagged_in_the_workbench_is_produced_in_neutral_words(built: Path, tmp_path: Path) -> None:
    """The workbench tags a row with its screen text (id, score, state): the MG11 describes the finding
    from the analysis's own records instead, and cites the records behind it."""
    case = _copy(built, tmp_path)
    cand = _candidate(case, TYRES)
    row_text = f"id: {cand.id}  kind: threat  tier: occasion  score: 0.93  state: open"
    on_candidate = tag(case, f"finding:candidate:{cand.id}", note="property threat", description=row_text)
    on_day = tag(case, "finding:incident:2026-03-02", note="the first threat day", description="date: 02/03/2026 ...")
    result = _report(case, tmp_path / "out")
    statement = _text(result.paths["statement.html"])
    produced = _section(statement, "Exhibits I produce", "End of statement")
    assert (f"{on_candidate.reference} Finding: SMS message from Simon Suspect to Vera Victim, 04/03/2026 21:00 GMT "
            "(TO/1, row 4)") in produced
    assert f"{on_day.reference} Finding: Contacts and presences on 02/03/2026: 1 contact from Simon Suspect (1 record)" \
        in produced
    assert cand.id not in statement and "score" not in produced and "state: open" not in statement
    rows = list(csv.DictReader((result.out_dir / f"tagged/TO-{on_candidate.number}.csv").open(encoding="utf-8")))
    assert [r["text"] for r in rows] == [TYRES] and rows[0]["record"] == "TO/1, row 4"
