"""Structural threat rules: text-speak is read, threats in any framing are found with
their explanation, idioms, negation, reported speech and jokes are kept out of the
occasion tier, the rules file refuses an edit that breaks its own examples, and the
screened speed path equals matching every message."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from atlas.conduct.candidates import assess_all, assess_screened, candidates, screen
from atlas.conduct.message_text import tokens
from atlas.conduct.token_rules import DEFAULT_RULES, RulesError, inflections, load_rules, parse_rules
from fixtures.scenarios import BENIGN, PURSUIT, THREATS

EVAL = Path(__file__).resolve().parents[1] / "fixtures" / "threat_eval" / "messages.csv"


def norm(text: str) -> str:
    return " ".join(t.norm for t in tokens(text, load_rules().vocabulary))


@pytest.mark.parametrize(("typed", "read"), [
    ("ill fkn kill u", "i will kill you"),
    ("I’ll kiiiill you!!", "i will kill you ."),
    ("ur gettin it wen i see u", "ur getting it when i see you"),
    ("gna brk ur legz", "gonna break ur legs"),
    ("im going to batter you", "i am gonna batter you"),
    ("you won't see me coming", "you will not see me coming"),
    ("U go 2 da police", "you go to the police"),
    ("she's been ill all week", "she is been ill all week"),
    ("knock 'em dead", "knock them dead"),
])
def test_text_speak_contractions_and_stretched_letters_are_normalised(typed: str, read: str) -> None:
    assert norm(typed) == read


def test_every_token_points_back_at_the_words_typed() -> None:
    text = "ok ill proper hurt u"
    toks = tokens(text, load_rules().vocabulary)
    assert [(t.norm, text[t.start:t.end]) for t in toks] == [
        ("ok", "ok"), ("i", "ill"), ("will", "ill"), ("hurt", "hurt"), ("you", "u")]


def test_inflections_cover_regular_and_irregular_forms() -> None:
    assert {"stab", "stabs", "stabbed", "stabbing"} <= inflections("stab")
    assert {"break", "broke", "broken", "breaking"} <= inflections("break")
    assert {"bury", "buried", "buries"} <= inflections("bury")


@pytest.mark.parametrize(("text", "rule", "words"), [
    ("You'll get hurt if you go to the police", "harm-passive-target", "You'll get hurt"),
    ("your tyres won't be the only thing slashed", "act-violence-to-property", "only thing slashed"),
    ("ur mum wont recognise u when im done", "harm-outcome-never", "wont recognise u"),
    ("keep lookin over ur shoulder", "menace-look-over-shoulder", "lookin over ur shoulder"),
    ("I'll do you in", "act-do-you-in", "do you in"),
])
def test_threats_in_any_framing_are_occasions_with_the_rule_and_words_shown(text: str, rule: str, words: str) -> None:
    a = load_rules().assess(text)
    assert a.tier == "occasion", [h.explain() for h in a.hits]
    hit = next(h for h in a.hits if h.rule_id == rule)
    assert hit.words == words and not hit.lowered_by
    assert f"«{words}»" in a.marked() and a.marked().replace("«", "").replace("»", "") == text


def test_a_conditional_frame_raises_a_weak_threat_to_an_occasion() -> None:
    rules = load_rules()
    alone, framed = rules.assess("you'll be sorry"), rules.assess("If you take me to court you'll be sorry")
    assert alone.tier == "review" and framed.tier == "occasion" and framed.score > alone.score
    assert any(h.kind == "frame" for h in framed.hits)


@pytest.mark.parametrize(("text", "why"), [
    ("I would never hurt you", "negated"),
    ("Nobody is going to hurt you", "negated"),
    ("He said he'd kill me if I left, and that he'd hurt you", "reported speech"),
    ("my mum always says 'I'll kill you' when we're late", "reported speech"),
    ("eat my last rolo and you're dead lol", "marked as a joke"),
])
def test_negation_reported_speech_and_jokes_lower_a_hit_to_the_review_list(text: str, why: str) -> None:
    a = load_rules().assess(text)
    assert a.tier != "occasion"
    assert any(why in h.lowered_by for h in a.threat_hits)


@pytest.mark.parametrize("text", [
    "these shoes are killing me", "knock 'em dead", "mum's going to murder me", "I could kill for a coffee",
    "i'll beat u at FIFA any day", "I'll hit you back in 5", "dead jealous of your holiday",
    "If you leave me I'll kill myself",
])
def test_everyday_idioms_and_self_harm_are_never_threat_occasions(text: str) -> None:
    assert load_rules().assess(text).tier == "none"


def test_the_scenario_texts_keep_their_meaning() -> None:
    rules = load_rules()
    assert all(rules.assess(t).tier == "occasion" for t in THREATS)
    assert not any(rules.assess(t).tier == "occasion" for t in (*BENIGN, *PURSUIT))
    assert dict(rules.assess("I saw you today in the blue coat").behaviours) == {"watching": 0.7}
    assert [b for b, _ in rules.assess("I know you're reading these").behaviours] == ["monitoring"]


def _eval(split: str) -> list[dict[str, str]]:
    with EVAL.open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["split"] == split]


def test_the_held_out_evaluation_meets_the_targets() -> None:
    """Targets from issue 16, on messages nobody tuned the rules on: occasions recall >= 90 %
    with <= 5 % of benign messages counted, review-list recall >= 98 %."""
    rows = _eval("heldout")
    rules = load_rules()
    tiers = {r["id"]: rules.assess(r["text"]).tier for r in rows}
    threats = [r["id"] for r in rows if r["label"] == "threat"]
    benign = [r["id"] for r in rows if r["label"] == "benign"]
    assert len(threats) >= 100 and len(benign) >= 100
    occasion_recall = sum(tiers[i] == "occasion" for i in threats) / len(threats)
    false_alarms = sum(tiers[i] == "occasion" for i in benign) / len(benign)
    review_recall = sum(tiers[i] != "none" for i in threats) / len(threats)
    assert occasion_recall >= 0.90, occasion_recall
    assert false_alarms <= 0.05, false_alarms
    assert review_recall >= 0.98, review_recall


def test_the_evaluation_set_is_labelled_and_split_in_halves() -> None:
    with EVAL.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 400 and len({r["text"] for r in rows}) == len(rows)
    assert {r["label"] for r in rows} == {"threat", "benign"} and {r["split"] for r in rows} == {"dev", "heldout"}
    dev = sum(r["split"] == "dev" for r in rows)
    assert abs(dev - (len(rows) - dev)) <= 20


def test_screening_gives_the_same_result_as_matching_every_message() -> None:
    rules = load_rules()
    with EVAL.open(encoding="utf-8", newline="") as f:
        texts = [r["text"] for r in csv.DictReader(f)]
    texts += [*BENIGN, *PURSUIT, *THREATS, "kiiiiiill u", "do u in", "", "See you at 6"]
    texts += [t.upper() for t in texts[:50]] + [t.replace(" ", "  ") for t in texts[50:100]]
    series = pl.Series(texts)
    assert assess_screened(series, rules) == assess_all(series, rules)
    passed = screen(series, rules)
    assert 0 < passed.sum() < len(texts)


# --- the rules file refuses broken edits -------------------------------------------------

def _edit(old: str, new: str) -> str:
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def test_an_edit_that_stops_a_rule_matching_its_own_example_is_refused() -> None:
    broken = _edit('HARM = ["kill+", ', 'HARM = [')
    with pytest.raises(RulesError, match="does not match its own example"):
        parse_rules(broken, Path("edited.toml"))


def test_an_edit_that_makes_a_rule_match_its_counter_example_is_refused() -> None:
    broken = _edit('counter_examples = ["Watch your step, the path\'s icy"]', 'counter_examples = ["watch your back mate"]')
    with pytest.raises(RulesError, match="matches its counter-example 'watch your back mate'"):
        parse_rules(broken, Path("edited.toml"))


def test_removing_an_idiom_that_keeps_a_phrase_out_of_the_threats_is_refused() -> None:
    # someone widens "you" to "me" and drops the idiom for "mum's going to murder me"
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    start = text.index('[[rule]]\nid = "idiom-harm-to-me"')
    end = text.index("[[rule]]", start + 1)
    broken = (text[:start] + text[end:]).replace('YOU = ["you", "yourself"]', 'YOU = ["you", "yourself", "me"]', 1)
    with pytest.raises(RulesError, match="matches its counter-example \"mum's going to murder me\""):
        parse_rules(broken, Path("edited.toml"))


@pytest.mark.parametrize(("old", "new", "message"), [
    ('pattern = "accidents (can', 'pattern = "NOSUCH accidents (can', "unknown class NOSUCH"),
    ('id = "menace-accident"', 'id = "menace-shame-if"', "duplicate rule id"),
    ('pattern = "HARM (YOU|YOUR OWNED)"', 'pattern = "SELF ~2 YOU"', "content word"),
    ('weight = 0.25\npattern = "WEAPON', 'weight = 1.5\npattern = "WEAPON', "weight"),
    ('pattern = "accidents (can', 'pattern = "accidents ~12 (can', "a gap is"),
    ('counter_examples = ["I\'m on your side", "I\'m on you about the rent"]\n', "", "at least one counter-example"),
    ('counter_examples = ["I\'ll murder you"]\n', "", "a real threat it must not mask"),
])
def test_malformed_rules_are_refused_with_a_clear_error(old: str, new: str, message: str) -> None:
    with pytest.raises(RulesError, match=message):
        parse_rules(_edit(old, new), Path("edited.toml"))


def test_screening_stays_exact_on_mangled_messages() -> None:
    """Typing noise (capitals, curly apostrophes, stretched letters, stray punctuation,
    text-speak) never lets the screen drop a message the rules would match."""
    import random

    rng = random.Random(16)
    with EVAL.open(encoding="utf-8", newline="") as f:
        texts = [r["text"] for r in csv.DictReader(f)]

    def mangle(text: str) -> str:
        words = text.split()
        out = []
        for w in words:
            r = rng.random()
            if r < 0.1:
                w = w.upper()
            elif r < 0.2:
                w = w.replace("'", "’")
            elif r < 0.3 and len(w) > 2:
                i = rng.randrange(len(w))
                w = w[:i] + w[i] * rng.randrange(3, 6) + w[i + 1:]
            elif r < 0.4:
                w = {"you": "u", "your": "ur", "to": "2", "for": "4", "going": "goin", "with": "wiv"}.get(w.lower(), w)
            elif r < 0.45:
                w += rng.choice(["!!", "...", ",", " 😂", "*", "?!"])
            out.append(w)
        return rng.choice([" ", "  ", "\n"]).join(out)

    series = pl.Series([mangle(t) for t in texts for _ in range(2)])
    rules = load_rules()
    assert assess_screened(series, rules) == assess_all(series, rules)


def test_an_idiom_widened_until_it_masks_a_real_threat_is_refused() -> None:
    broken = _edit('pattern = "(kill+|smash+|nail+|boss+) it"', 'pattern = "(kill+|smash+|nail+|boss+) (it|you)"')
    with pytest.raises(RulesError, match=r"counter-example \"I('ll|'m going to) kill you\""):
        parse_rules(broken, Path("edited.toml"))


# --- the speed path equals the plain rule ------------------------------------------------

EDGE_CASES = [
    "do\x1cyou in", "do you\u2003in tonight", "I\u2019m on you", "ill be on u",  # phrase rules, odd spaces
    "knock 'em's dead", "get 'em", "\u212aILL u", "\u0130'll kill you",  # 'em, case folding to ASCII
    "I'll hurt you ;)", "you'll see \U0001F609", "gonna get u \U0001F602", "going to kill u", "goin 2 kill u",
    "ill kill u", "she's been ill", "u go 2 da police", "kiiiiilll u", "I\u2019LL K I L L YOU", "",
    "\u201cI'll kill you\u201d he said", "i know where u live", "i know where u live.", "wait outside ur house",
]


def _plain_vs_fast(texts: list[str]) -> None:
    rules = load_rules()
    series = pl.Series("text", texts)
    assert assess_screened(series, rules) == assess_all(series, rules)
    frame = pl.DataFrame({"text": texts, "contact_id": [f"c{i}" for i in range(len(texts))],
                          "event_ids": [[f"e{i}"] for i in range(len(texts))]})
    fast, plain = candidates(frame, rules), candidates(frame, rules, plain=True)
    assert [c.to_json() for c in fast] == [c.to_json() for c in plain]  # same candidates, tiers, explanations


def test_the_speed_path_equals_the_plain_rule_on_the_evaluation_set_and_edge_cases() -> None:
    with EVAL.open(encoding="utf-8", newline="") as f:
        texts = [r["text"] for r in csv.DictReader(f)]
    texts += [*EDGE_CASES, *BENIGN, *PURSUIT, *THREATS]
    _plain_vs_fast(texts)
    passed = screen(pl.Series(texts), load_rules())
    assert 0 < passed.sum() < len(texts)


def test_the_speed_path_equals_the_plain_rule_on_a_generated_case_and_skips_most_everyday_messages() -> None:
    from bench.bench_threats import generated_messages

    texts = generated_messages(3000, seed=18)
    _plain_vs_fast(texts)
    everyday = pl.Series([t for t in texts if not assess_all(pl.Series([t]), load_rules())][:1000])
    assert screen(everyday, load_rules()).mean() < 0.25  # the screen does screen (0.07 measured)
