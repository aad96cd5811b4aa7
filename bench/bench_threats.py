"""Threat detection: how well (the evaluation set) and how fast (a large generated case),
the structural rules beside the old phrase lexicon, measured in the same run.

Quality: recall and false-alarm rate for threat occasions and for the review list on
both halves of ``fixtures/threat_eval/messages.csv`` (dev: the rules were tuned while
reading it; held-out: never tuned on).

Speed: a generated column of messages (everyday texts in UK registers, with a small
share of threats, idioms and pleading mixed in, most of them distinct) screened and
matched by the rules' speed path (:mod:`atlas.conduct.threat_screen`), by the previous
speed path (a raw-text regex screen on every typed form of the rules' anchor words,
rebuilt here as it was before 06/12/2026, as a same-run "before"), by the plain rule
(every message tokenised and matched) on a slice, and by the old lexicon's vectorised
scan, in messages per second.
"""

from __future__ import annotations

import csv
import random
import re
import time
from pathlib import Path
from typing import Any

import polars as pl

from atlas.conduct.candidates import assess_all, assess_distinct, assess_screened, screen, surfaces
from atlas.conduct.message_text import raw_forms
from atlas.conduct.threats import load_lexicon, scan_texts
from atlas.conduct.token_rules import RuleSet, load_rules
from fixtures.scenarios import BENIGN, LONG_PLEA, PURSUIT

EVAL = Path(__file__).resolve().parents[1] / "fixtures" / "threat_eval" / "messages.csv"

OPENERS = ("", "", "ok ", "yeah ", "lol ", "omg ", "hiya ", "babe ", "mate ", "sorry ", "right ", "so ")
SUBJECTS = ("I'm", "we're", "mum's", "the kids are", "Dave's", "the train's", "my phone's", "work's", "Sophie's",
            "the car's", "your nan's", "the shop's", "Tesco's", "the boss is", "the bus is", "Jess is")
STATES = ("running late", "on the way", "home now", "at the gym", "stuck in traffic", "knackered", "in a meeting",
          "off sick today", "going to the match", "having tea at 6", "at Nan's", "out for a drink", "picking up chips",
          "doing the school run", "back at 7", "dead busy", "waiting at the station", "in town", "closed till 9")
ASKS = ("can you grab milk", "what time's dinner", "are you coming Saturday", "did you see the match",
        "have you got the keys", "can you ring me later", "fancy a brew", "is the heating on", "where's the charger",
        "shall we get a takeaway", "did the parcel come", "can you feed the cat", "who's picking up Alfie",
        "what's the wifi password", "are we still on for Friday", "can I borrow your drill")
CLOSERS = ("", "", " x", " xx", " :)", " lol", " ta", " cheers", "!!", "?", " 👍", " 😂", " love you")


def _everyday(rng: random.Random) -> str:
    if rng.random() < 0.5:
        text = f"{rng.choice(OPENERS)}{rng.choice(SUBJECTS)} {rng.choice(STATES)}"
    else:
        text = f"{rng.choice(OPENERS)}{rng.choice(ASKS)}"
    if rng.random() < 0.3:
        text += f", {rng.choice(ASKS)}"
    return text + rng.choice(CLOSERS)


def _eval_rows() -> list[dict[str, str]]:
    with EVAL.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def generated_messages(n: int, seed: int = 16) -> list[str]:
    """``n`` messages: ~90 % everyday, ~5 % scenario pleading/pursuit/idioms, ~5 % the
    evaluation set's messages (threats and benign), a counter keeps most of them distinct."""
    rng = random.Random(seed)
    labelled = [r["text"] for r in _eval_rows()]
    fixed = [*BENIGN, *PURSUIT, LONG_PLEA]
    out = []
    for i in range(n):
        r = rng.random()
        text = rng.choice(labelled) if r < 0.05 else rng.choice(fixed) if r < 0.10 else _everyday(rng)
        out.append(f"{text} ({i % 9973})" if rng.random() < 0.6 else text)
    return out


def quality() -> dict[str, Any]:
    rules, lexicon = load_rules(), load_lexicon()
    out: dict[str, Any] = {}
    for split in ("dev", "heldout"):
        rows = [r for r in _eval_rows() if r["split"] == split]
        threats = [r["text"] for r in rows if r["label"] == "threat"]
        benign = [r["text"] for r in rows if r["label"] == "benign"]
        tiers = {t: rules.assess(t).tier for t in threats + benign}
        old_strong = {t: lexicon.is_threat(t) for t in threats + benign}
        old_any = {t: any(h.kind == "threat" for h in lexicon.find(t)) for t in threats + benign}

        occasion = {t: tier == "occasion" for t, tier in tiers.items()}
        listed = {t: tier != "none" for t, tier in tiers.items()}

        def rate(texts: list[str], hit: dict[str, bool]) -> float:
            return round(sum(hit[t] for t in texts) / len(texts), 4)

        out[split] = {
            "threats": len(threats), "benign": len(benign),
            "occasion_recall": rate(threats, occasion),
            "occasion_false_alarm": rate(benign, occasion),
            "review_recall": rate(threats, listed),
            "review_false_alarm": rate(benign, listed),
            "old_lexicon_occasion_recall": rate(threats, old_strong),
            "old_lexicon_occasion_false_alarm": rate(benign, old_strong),
            "old_lexicon_review_recall": rate(threats, old_any),
            "by_kind": {kind: {"messages": len(ts), "occasions": sum(occasion[t] for t in ts),
                               "review": sum(listed[t] for t in ts)}
                        for kind in sorted({r["kind"] for r in rows})
                        for ts in [[r["text"] for r in rows if r["kind"] == kind]]},
        }
    rows = _eval_rows()
    shown = {r["id"]: {b for b, _ in rules.assess(r["text"]).behaviours} for r in rows}
    labelled = [r for r in rows if r["behaviour"]]
    out["behaviours"] = {
        "messages_with_a_behaviour": len(labelled),
        "recall": round(sum(r["behaviour"] in shown[r["id"]] for r in labelled) / len(labelled), 4),
        "other_messages_flagged": round(sum(bool(shown[r["id"]]) for r in rows if not r["behaviour"])
                                        / sum(1 for r in rows if not r["behaviour"]), 4),
        "note": "both halves together (21 messages, too few to split); the behaviour rules were written with these "
                "messages as examples, so this is a check, not an independent measure",
    }
    out["targets"] = "held-out: occasion recall >= 0.90 with false alarms <= 0.05; review recall >= 0.98"
    return out


def previous_screen(texts: pl.Series, rules: RuleSet) -> pl.Series:
    """The screen the speed path used before (a same-run "before"): any typed form of any
    surfacing rule's anchor word at a word start, stretched letters, or a screen phrase."""
    typed = sorted({f for r in rules.surfacing_rules() for a in r.anchors for f in raw_forms(a)},
                   key=lambda w: (-len(w), w))
    low = pl.col("text").str.to_lowercase().str.replace_all("[’‘ʼ`´]", "'")
    runs = "(?:" + "|".join(f"{c}{{3}}" for c in "abcdefghijklmnopqrstuvwxyz") + ")"
    hit = low.str.contains(f"(?:^|[^a-z0-9&])(?:{'|'.join(re.escape(w) for w in typed)})") | low.str.contains(runs)
    phrases = sorted({p for r in rules.surfacing_rules() for p in r.screen})
    hit = hit | low.str.replace_all(r"\s+", " ").str.contains_any(phrases)
    return pl.DataFrame({"text": texts}).select(hit.fill_null(False)).to_series()


def speed(n: int) -> dict[str, Any]:
    rules, lexicon = load_rules(), load_lexicon()
    texts = pl.Series("text", generated_messages(n))
    t = time.perf_counter()
    passed = int(screen(texts, rules).sum())
    t_screen = time.perf_counter() - t
    t = time.perf_counter()
    found = assess_screened(texts, rules)
    t_new = time.perf_counter() - t
    t = time.perf_counter()
    before = pl.DataFrame({"text": texts}).filter(previous_screen(texts, rules)).get_column("text").unique()
    found_before = {t: a for t, a in assess_distinct(before.to_list(), rules).items() if surfaces(a)}
    t_before = time.perf_counter() - t
    t = time.perf_counter()
    old = scan_texts(texts, lexicon)
    t_old = time.perf_counter() - t
    k = min(n, 20_000)
    head = texts.head(k)
    t = time.perf_counter()
    plain = assess_all(head, rules)
    t_plain = time.perf_counter() - t
    return {
        "messages": n, "distinct": texts.n_unique(), "screen_pass_rate": round(passed / n, 4),
        "screen_s": round(t_screen, 3),
        "rules_messages_per_s": round(n / t_new), "rules_texts_with_hits": len(found),
        "old_lexicon_messages_per_s": round(n / t_old), "old_lexicon_hits": old.height,
        "rules_vs_old_lexicon_time": round(t_new / t_old, 1),
        "previous_speed_path_messages_per_s": round(n / t_before),
        "previous_screen_pass_rate": round(int(previous_screen(texts, rules).sum()) / n, 4),
        "previous_vs_old_lexicon_time": round(t_before / t_old, 1),
        "previous_speed_path_found_the_same": found_before == found,
        "plain_rule_messages_per_s": round(k / t_plain), "plain_slice": k,
        "speed_path_equals_plain_rule_on_slice": plain == assess_screened(head, rules),
    }


def run(work: Path, n: int | None = None) -> dict[str, Any]:
    from bench.common import Stage, scaled

    messages = n if n is not None else scaled(1_000_000, 2_000)
    fast = speed(messages)
    rules_s = messages / fast["rules_messages_per_s"]
    old_s = messages / fast["old_lexicon_messages_per_s"]
    stages = [Stage("threat rules over messages (speed path)", rules_s, "the old lexicon scan of the same messages",
                    old_s, records=messages),
              Stage("threat rules over messages (previous speed path)", messages / fast["previous_speed_path_messages_per_s"],
                    "the old lexicon scan of the same messages", old_s, records=messages)]
    return {"quality": quality(), "speed": fast, "stages": [s.as_dict() for s in stages]}
