"""The analysis's assumptions are typed by audience where they are made (method: a served exhibit may give
it; advice: the reviewer's note only), and every output chooses by that field, never by the wording.

Before: findings.assumptions were plain strings and the technical annex (served on the defence) kept the
method by regular expressions over their words, so a reworded advice assumption (the time limit, the
warning threshold, the as-of date, "possible vexatious reports") would have been served, and the police
numbers' wording was cut out of a sentence."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from _conduct_cases import SUSPECT, VICTIM, make_case, msg
from _report_cases import AS_OF, rejected_ex_reported

from atlas.conduct import analyse
from atlas.conduct.assumptions import (
    ADVICE,
    AUDIENCES,
    LEGAL_RULES,
    LEXICON,
    MATCHING,
    METHOD,
    NOT_CONTACTS_KEY,
    OCCASION,
    Assumption,
    sentences,
)
from atlas.conduct.assumptions import AS_OF as AS_OF_KEY
from atlas.conduct.options import ConductOptions
from atlas.contacts import NOT_CONTACTS, match_clause


def _paragraphs(path: Path) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def _case(tmp_path: Path) -> Any:
    return make_case(tmp_path / "c", {VICTIM: [msg(f"2026-05-{d:02d} 12:00", SUSPECT, VICTIM) for d in (1, 2, 3)]})


def test_every_assumption_the_analysis_makes_declares_its_audience(tmp_path: Path) -> None:
    result = analyse(_case(tmp_path), as_of=date(2026, 12, 1))
    records = result.assumption_records
    assert records and all(isinstance(a, Assumption) and a.audience in AUDIENCES for a in records)
    # the advice, by its declaration: the as-of date, the s2A clock's offences, the warning threshold, the inference
    advice = {a.text for a in records if a.audience == ADVICE}
    assert advice == {"as-of date 2026-12-01: given by the user (--as-of)",
                      next(a.text for a in records if a.sentence == "s2a clock"),
                      "the s2A warning threshold is 28 days",
                      "calls to police numbers are listed as possible vexatious reports"}
    assert next(a for a in records if a.sentence == "s2a clock").audience == ADVICE
    # conduct.json keeps its key and its sentences (clauses of one sentence joined), and carries the types beside
    data = result.to_json()
    assert data["assumptions"] == sentences(records) == result.assumptions
    assert "gaps longer than 28 days are listed for a person to judge; the s2A warning threshold is 28 days" in data["assumptions"]
    assert [(r["sentence"], r["audience"], r["text"]) for r in data["assumption_records"]] == [
        (a.sentence, a.audience, a.text) for a in records]
    # a report made without --as-of leaves the as-of sentence out by its key
    assert not any(a.sentence == AS_OF_KEY for a in result.undated().assumption_records)
    assert any(a.sentence == AS_OF_KEY for a in records)
    with pytest.raises(ValueError, match="audience"):
        Assumption("x", "served", "anything")  # type: ignore[arg-type]


def test_the_police_numbers_wording_comes_from_the_list_of_police_numbers(tmp_path: Path) -> None:
    case = _case(tmp_path)
    two = analyse(case, as_of=date(2026, 12, 1),
                  options=ConductOptions(authority_identifiers=("tel-short:101", "tel:+441632960000")))
    assert ("calls to police non-emergency 101, police number +441632960000 are counted as incidents and named as such"
            in " ".join(two.method_assumptions))
    none = analyse(case, as_of=date(2026, 12, 1), options=ConductOptions(authority_identifiers=()))
    assert not any("calls to" in a for a in none.method_assumptions)
    assert "calls to no police numbers are listed as possible vexatious reports" in none.advice_assumptions
    assert any(a.endswith("calls to no police numbers are listed as possible vexatious reports") for a in none.assumptions)


def test_an_advice_assumption_in_new_words_never_reaches_the_annex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reword every advice clause where the analysis makes it: the served annex still gives none of
    them (the old regular expressions matched the old words only), the reviewer's note gives them."""
    import atlas.conduct.analysis as analysis
    from reports.build import build_reports

    def reworded(sentence: str, text: str) -> Assumption:
        return Assumption(sentence, ADVICE, f"ADVISED {sentence}: {text.replace('s2A', 'section 2A')}")

    monkeypatch.setattr(analysis, "advice", reworded)
    case = _case(tmp_path)
    result = build_reports(case, case.root / "out", as_of=date(2026, 12, 1))
    assert result.findings.advice_assumptions and all(a.startswith("ADVISED ") for a in result.findings.advice_assumptions)
    annex = _paragraphs(case.root / "out" / "technical-annex.docx")
    assert "ADVISED" not in annex and "section 2A" not in annex and "vexatious" not in annex
    for method in result.findings.method_assumptions_except((MATCHING, NOT_CONTACTS_KEY, OCCASION, LEGAL_RULES, LEXICON)):
        assert method in annex, method
    note = _paragraphs(case.root / "out" / "reviewer-note.docx")
    assert "ADVISED gaps: the section 2A warning threshold is 28 days" in note
    assert "ADVISED conduct: calls to police numbers are listed as possible vexatious reports" in note
    assert "ADVISED as-of" not in note  # stated once, in the note's own As of lines


def test_the_annex_carries_every_method_assumption_of_a_scenario_case() -> None:
    """rejected-ex: every method clause the analysis declared is in the served annex, word for word, and
    no advice clause is; the reviewer's note gives the advice (the as-of date in its own lines)."""
    from atlas.store import Case

    reported = rejected_ex_reported()
    result = analyse(Case.open(reported.case_dir), as_of=date.fromisoformat(AS_OF))
    method = [a for a in result.assumption_records if a.audience == METHOD]
    assert len(method) >= 15
    annex = " ".join(_paragraphs(reported.out / "technical-annex.docx").split())
    # the annex sets out the matching rule, what is never a contact, the occasion and the rules files in sections
    # of their own and leaves them out of its list by key (said once: tests/test_annex_s15.py)
    own = {MATCHING: match_clause()[1:], NOT_CONTACTS_KEY: NOT_CONTACTS}
    for a in method:
        if a.sentence in own:
            assert own[a.sentence] in annex, a.sentence
        elif a.sentence not in (OCCASION, LEGAL_RULES, LEXICON):
            assert " ".join(a.text.split()) in annex, a.text
    note = " ".join(_paragraphs(reported.out / "reviewer-note.docx").split())
    for a in result.assumption_records:
        if a.audience == ADVICE:
            assert a.text not in annex, a.text
            assert (a.text in note) == (a.sentence != AS_OF_KEY), a.text


def test_the_statement_names_the_other_exhibits_of_a_quoted_message_from_their_field() -> None:
    """The MG11 quoted a message's other exhibits by cutting them out of the table cell; a message with no
    chronology row (its cell the records joined with '; ') read 'also recorded in ; JA/2, sms rowid 5'."""
    from reports.decided import DecidedMessage
    from reports.statement import _quoted

    m = DecidedMessage("T1", "threat", "occasion", "confirmed", None, None, "01/05/2026 12:00 BST", "SMS", "Dan",
                       "Alice", "words", "JA/1, sms rowid 3", "JA/1, sms rowid 3; JA/2, sms rowid 5", "—",
                       also=("JA/2",))
    assert _quoted(m).text == "01/05/2026 12:00 BST, SMS from Dan to Alice (JA/1, sms rowid 3; also recorded in JA/2): \u201cwords\u201d"


def test_the_mg11_words_why_a_confirmed_possible_breach_was_only_possible_from_the_statuses() -> None:
    """The MG11's confirmed-possible-breach table chose its words by searching the analysis's certainty
    sentence for "no stated accuracy" / "accuracy circles reach inside": reworded, the served cell became
    the analysis's whole sentence. It reads the positions' statuses now."""
    from datetime import UTC, datetime

    from atlas.conduct.geo import ACCURACY_UNKNOWN, OUTSIDE_STRADDLES
    from atlas.conduct.records import PossibleBreach
    from reports.statement import _possible_only

    def possible(statuses: tuple[str, ...]) -> PossibleBreach:
        t = datetime(2026, 5, 1, 12, tzinfo=UTC)
        return PossibleBreach("RO-1", "exclusion-zone (possible)", t, t, "home", ("e1",), ("JA/1, row 4",), 80.0,
                              "positions of uncertain reach (reworded): possible presence only", "gps", "basis", statuses)

    assert _possible_only(possible((ACCURACY_UNKNOWN,))) == "reported inside; accuracy not stated"
    assert _possible_only(possible((OUTSIDE_STRADDLES,))) == "reported outside; accuracy reaches inside"
    assert _possible_only(possible((ACCURACY_UNKNOWN, OUTSIDE_STRADDLES))) == (
        "reported inside; accuracy not stated; reported outside; accuracy reaches inside")
    assert "statuses" not in possible((ACCURACY_UNKNOWN,)).to_json()  # conduct.json unchanged
