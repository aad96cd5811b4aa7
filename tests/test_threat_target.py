"""Whom a flagged threat's words name, and what that does to the s4A(1)(b)(i) reading.

s4A(1)(b)(i) needs the victim to fear violence against herself on at least two
occasions. The rules flag threats against her, someone close to her, a pet or property
alike; the reviewer's note must then say which confirmed occasions rest on words naming
her, and never let a threat to a car or a sister pass silently as one of them.
"""

from __future__ import annotations

import html
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from atlas.conduct import analyse
from atlas.conduct.candidates import Candidate, MatchedRule, count_occasions
from atlas.conduct.threat_target import ADDRESSEE, CLOSE, PET, PROPERTY, THIRD, describe, threatened, threatened_all
from atlas.conduct.token_rules import DEFAULT_RULES, RulesError, load_rules, parse_rules
from atlas.decisions.candidates import candidates_from, decide_candidate
from atlas.store import Case
from reports.build import build_reports
from tests._conduct_cases import MOTHER, SUSPECT, VICTIM, make_case, msg

RULES = load_rules()


@pytest.mark.parametrize(("words", "expected"), [
    ("gna stab u", (ADDRESSEE,)),
    ("I'll smash ur face", (ADDRESSEE,)),  # her body is her
    ("I'm going to kick the shit out of you", (ADDRESSEE,)),
    ("I'll hurt your mum", (CLOSE,)),
    ("I'll put your new fella in hospital", (CLOSE,)),
    ("ur dog's gonna get poisoned", (PET,)),
    ("I'll kill the dog", (PET,)),
    ("I'll burn ur house", (PROPERTY,)),
    ("Your sister's car would look good on fire", (PROPERTY,)),  # the sister's car, not the sister
    ("Petrol through the letterbox", (PROPERTY,)),
    ("I'll smash her", (THIRD,)),
    ("I'll smash her face", (THIRD,)),  # a third person's body is a third person
    ("I'm coming for him", (THIRD,)),
    ("done your tyres", (PROPERTY,)),
    ("Next is you", (ADDRESSEE,)),
    ("I'll finish what I started", ()),
    ("accidents happen", ()),
])
def test_the_words_name_whom_or_what(words: str, expected: tuple[str, ...]) -> None:
    assert threatened(words, RULES) == expected


def test_a_message_naming_several_gives_each_once_in_order() -> None:
    assert threatened_all([("r", "done your tyres"), ("r", "Next is you"), ("r", "I'll hurt your mum")],
                          RULES) == (ADDRESSEE, CLOSE, PROPERTY)


def test_a_rule_may_say_what_its_matches_threaten_when_the_words_name_no_one() -> None:
    assert threatened("only thing slashed", RULES) == ()
    assert threatened_all([("act-violence-to-property", "only thing slashed")], RULES) == (PROPERTY,)
    assert threatened_all([("menace-look-over-shoulder", "looking over ur shoulder")], RULES) == (ADDRESSEE,)
    assert threatened_all([("menace-look-over-shoulder", "ur kids wont be safe")], RULES) == (CLOSE,)  # words first
    assert threatened_all([("act-finish-started", "I'll finish what I started")], RULES) == ()
    assert threatened_all([("menace-accident", "Accidents happen")], RULES) == ()  # whose accident: for the reader
    text = DEFAULT_RULES.read_text(encoding="utf-8").replace('harms = ["property"]', 'harms = ["car"]', 1)
    with pytest.raises(RulesError, match="harms must be a list of addressee"):
        parse_rules(text, DEFAULT_RULES)
    assert describe((ADDRESSEE, PROPERTY)) == "the person written to; property"
    assert describe(()) == "no one named"


def test_the_reading_follows_the_rules_files_word_classes() -> None:
    """An investigator who adds a word to PROPERTY in the rules file changes the reading: it
    is the file's classes, not a list in the code."""
    assert threatened("I'll sink your boat", RULES) == ()
    text = DEFAULT_RULES.read_text(encoding="utf-8").replace('PROPERTY = ["house",', 'PROPERTY = ["boat", "house",', 1)
    edited = parse_rules(text, DEFAULT_RULES)
    assert threatened("I'll sink your boat", edited) == (PROPERTY,)


def _threat(day: str, target: str, named: tuple[str, ...], tier: str = "occasion") -> Candidate:
    return Candidate(kind="threat", event_id=f"e-{day}-{target}", tier=tier,  # type: ignore[arg-type]
                     score=0.9, rules=(MatchedRule("r", "f", 0.9, 0.9, "w", 0, 1),), text="t", marked="t",
                     event_ids=(f"e-{day}-{target}",), contact_id=f"c-{day}-{target}", local_date=date.fromisoformat(day),
                     target=target, threatened=named)


def test_occasions_naming_the_victim_are_counted_apart() -> None:
    cands = [_threat("2026-03-01", "victim", (ADDRESSEE,)), _threat("2026-03-02", "victim", (PROPERTY,)),
             _threat("2026-03-03", "mother", (ADDRESSEE,)),  # "you" in a message to her mother is the mother
             _threat("2026-03-04", "victim", (ADDRESSEE, PET)), _threat("2026-03-05", "victim", (CLOSE,))]
    confirmed = {c.key: "confirmed" for c in cands[:3]}
    count = count_occasions(cands, confirmed, victims=("victim",))
    assert count.confirmed_dates == (date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3))
    assert count.named_dates == (date(2026, 3, 1),)
    assert count.not_named_dates == (date(2026, 3, 2), date(2026, 3, 3))
    assert count.pending_named_dates == (date(2026, 3, 4),)  # open, to her, names her; 05/03 names her family only
    assert count.to_json()["confirmed_naming_victim_dates"] == ["2026-03-01"]
    # the count itself is unchanged by the reading: every confirmed occasion is still confirmed
    assert count.confirmed == 3 and count.met
    # without knowing the victim, nothing is said to name her
    assert count_occasions(cands, confirmed).named == 0


DEAD = "if u go 2 the police ur dead"
TYRES = "ur tyres wont be the only thing slashed"
MUM = "tell ur daughter I'll stab u both"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("named") / "case"
    make_case(root, {SUSPECT: [
        msg("2026-03-01 20:00", SUSPECT, VICTIM, "hello"),
        msg("2026-03-03 21:00", SUSPECT, VICTIM, DEAD),
        msg("2026-03-04 21:00", SUSPECT, VICTIM, TYRES),
        msg("2026-03-05 21:00", SUSPECT, MOTHER, MUM),
    ]})
    return root


def _text(path: Path) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))).split())


def _confirm(case: Case, text: str) -> None:
    found = [c for c in candidates_from(analyse(case), case)
             if c.kind == "threat" and text in c.context.replace("«", "").replace("»", "")]
    assert len(found) == 1, (text, found)
    decide_candidate(case, found[0], "confirmed", note="read in full")


def test_the_note_says_which_confirmed_occasions_name_her(built: Path, tmp_path: Path) -> None:
    shutil.copytree(built, tmp_path / "case")
    case = Case.open(tmp_path / "case")
    listed = {c.context.replace("«", "").replace("»", ""): c for c in candidates_from(analyse(case), case)
              if c.kind == "threat"}
    assert listed[DEAD].threatened == (ADDRESSEE,) and listed[TYRES].threatened == (PROPERTY,)
    assert "words name as the one to be harmed: property" in listed[TYRES].explanation
    for text in (DEAD, TYRES, MUM):
        _confirm(case, text)
    conduct = analyse(case)
    count = conduct.occasion_count
    assert count is not None and count.confirmed == 3
    assert count.named_dates == (date(2026, 3, 3),)  # the mother's "u" is the mother; the tyres are property
    assert any("the words of 1 of the 3 name the victim" in w for w in conduct.s2a.warnings)

    result = build_reports(case, tmp_path / "out", as_of=date(2026, 9, 1))
    note = _text(result.paths["reviewer-note.html"])
    s4a = note[note.index("indicators, for a person to confirm"):note.index("The victim's account of impact")]
    assert "On confirmed messages the threat indicator is met: 3 occasions" in s4a
    assert "On the words alone, 1 occasion names them as the one to be harmed" in s4a
    # the test case states no pronouns for the victim: "them", never a guessed "her"
    assert ("On 2 confirmed occasions the confirmed messages' words do not name them as the one to be harmed: "
            "04/03/2026 (property); 05/03/2026 (the person written to, not them)") in s4a
    assert "needs them to fear that violence will be used against them" in s4a
    assert result.reviewer_note.facts["threat_occasions_confirmed_naming_victim"] == 1
    assert "Words name as the one to be harmed: property" in s4a  # each candidate row says it
    statement = _text(result.paths["statement.html"])
    for advice in ("one to be harmed", "s4A(1)(b)(i)", "their account"):
        assert advice not in statement  # a reading for the reviewer, never in the MG11

    page = _text(result.paths["report"])
    assert ("3 confirmed by an officer (on 1 of them a confirmed message sent to the victim names the victim as the "
            "one to be harmed") in page
    assert "Words name as the one to be harmed: property" in page  # the candidates table, as in the note

    # the workbench's candidates table shows the same reading beside each threat
    from atlas.review import Review
    from atlas.tui import views

    frame = views.candidates_frame(Review(case, as_of=date(2026, 9, 1)))
    shown = dict(zip(frame.get_column("in context").str.replace_all("[«»]", ""), frame.get_column("words name"),
                     strict=True))
    assert shown[TYRES] == "property" and shown[DEAD] == "the person written to"
