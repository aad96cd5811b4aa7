"""The threat lexicon: real threats are found and shown in context, idioms never count,
and an edit that breaks the lexicon's own examples is refused."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from atlas.conduct.threats import DEFAULT_LEXICON, LexiconError, load_lexicon, parse_lexicon, scan_texts, stop_requests
from fixtures.scenarios import BENIGN, PURSUIT, THREATS


def test_every_scenario_threat_counts_and_shows_the_words_in_context() -> None:
    lex = load_lexicon()
    for text in THREATS:
        strong = [h for h in lex.find(text) if h.kind == "threat" and h.strength == "strong"]
        assert strong, text
        assert "«" + strong[0].matched + "»" in strong[0].context
    hits = lex.find("You'll regret this. I'm going to kill you")
    assert [(h.pattern_id, h.matched) for h in hits if h.strength == "strong"] == [("harm-you", "kill you")]


@pytest.mark.parametrize("text", [
    "This traffic is killing me", "I could murder a pizza right now", "That film was a knockout",
    "The boss will kill me if I'm late again", "my feet are killing me", "killer heels", "lol you kill me",
    "I'll cut you off if you keep on about football", "do you want pizza", "dying to see you",
])
def test_everyday_idioms_are_never_threats(text: str) -> None:
    assert not load_lexicon().is_threat(text)


def test_pursuit_and_benign_texts_are_not_threats_but_watching_is_an_indicator() -> None:
    lex = load_lexicon()
    assert not any(lex.is_threat(t) for t in (*BENIGN, *PURSUIT))
    behaviours = {h.behaviour for h in lex.find("I saw you today in the blue coat") if h.kind == "indicator"}
    assert behaviours == {"watching"}
    assert {h.behaviour for h in lex.find("I know you're reading these")} == {"monitoring"}


def test_an_idiom_does_not_hide_a_threat_in_the_same_message() -> None:
    hits = load_lexicon().find("This traffic is killing me. When I get there I'll kill you")
    assert [h.matched for h in hits if h.strength == "strong"] == ["kill you"]


def test_weak_patterns_are_for_review_only() -> None:
    lex = load_lexicon()
    hits = lex.find("bring the bread knife")
    assert [(h.pattern_id, h.strength) for h in hits] == [("weapon-word", "weak")]
    assert not lex.is_threat("bring the bread knife")


def test_screening_a_column_finds_the_same_hits_as_one_text_at_a_time() -> None:
    lex = load_lexicon()
    texts = pl.Series([*BENIGN, *PURSUIT, *THREATS, None, ""])
    hits = scan_texts(texts, lex)
    rows = sorted(set(hits.filter((pl.col("kind") == "threat") & (pl.col("strength") == "strong")).get_column("row").to_list()))
    expected = [i for i, t in enumerate(texts.to_list()) if t and lex.is_threat(t)]
    assert rows == expected == list(range(len(BENIGN) + len(PURSUIT), len(BENIGN) + len(PURSUIT) + len(THREATS)))


def test_requests_to_stop_are_recognised() -> None:
    found = stop_requests(pl.Series(["Please stop contacting me. It's over.", "see you at the bus stop", None]), load_lexicon())
    assert found.to_list() == ["stop contacting me", None, None]


def _edit(old: str, new: str) -> str:
    text = DEFAULT_LEXICON.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def test_an_edit_that_stops_a_pattern_matching_its_own_example_is_refused() -> None:
    broken = _edit("\\\\b(kill|murder|stab", "\\\\b(murder|stab")
    with pytest.raises(LexiconError, match="does not match its own example \"I'm going to kill you\""):
        parse_lexicon(broken, Path("edited.toml"))


def test_an_edit_that_would_let_an_idiom_count_as_a_threat_is_refused() -> None:
    # someone widens "kill you" to "kill me" and drops the idiom for "the boss will kill me"
    text = DEFAULT_LEXICON.read_text(encoding="utf-8")
    start = text.index('[[idiom]]\nid = "kill-me-third-party"')
    end = text.index("[[idiom]]", start + 1)
    broken = (text[:start] + text[end:]).replace("(you|ya|u|yer|your", "(me|you|ya|u|yer|your", 1)
    with pytest.raises(LexiconError, match="harm-you' matches its counter-example 'The boss will kill me'"):
        parse_lexicon(broken, Path("edited.toml"))


def test_a_pattern_only_python_understands_is_refused() -> None:
    broken = _edit('pattern = "\\\\bknock-?outs?\\\\b"', 'pattern = "(?<!a )knock-?outs?"')
    with pytest.raises(LexiconError, match="not a valid regular expression for both engines"):
        parse_lexicon(broken, Path("edited.toml"))
