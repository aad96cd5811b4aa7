"""The threat rules' speed path: which messages could any rule surface, for a whole column at once.

The plain rule is :meth:`RuleSet.assess <atlas.conduct.token_rules.RuleSet.assess>` on
one message. It tries a rule only when the message's normalised words hold one of the
rule's ``anchors`` (and one of its ``also`` words, if it has any), or, for a rule with
``screen`` phrases, when the typed text holds one of them (``RuleSet._rules_for``). A
message for which no rule that can surface it is tried can only come out with no
candidate, so it can be skipped without tokenising it.

This module applies exactly that test, in a few vectorised Polars passes, to a
superset of each message's normalised words: the message's typed words are extracted
with the tokeniser's own word pattern (:data:`~.message_text.WORD`), and every
*distinct* typed word is normalised once, to every form it can take in any context
(:func:`~.message_text.word_norms`: "ill" is ill, i and will). A token that does not come
from a typed word (a wink, a laughing emoji, a full stop) is assumed present wherever its
pattern is found (:data:`~.message_text.NON_WORD_SOURCES`). So the screen can only pass too much, never skip a message the plain rule would surface;
``tests/test_threat_rules.py`` checks the screened result equals assessing every message
on the evaluation set and on generated, mangled messages.

Why per typed word: a case's millions of messages reuse tens of thousands of words, so
the Python work (normalising a word) is done tens of thousands of times, and the
per-message work (extracting words, joining them to the rules they anchor) runs in
Polars. Measured by ``bench/bench_threats.py`` beside the old lexicon scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from .message_text import NON_WORD_SOURCES, WORD, word_norms
from .token_rules import SPACES, RuleSet

_APOSTROPHES = "[’‘ʼ`´]"
_QUOTES = "[“”„]"
_VIRTUAL = "\x00"
"""Prefix of a virtual typed word standing for a token that is not a typed word ("\\x00wink")."""


@dataclass(frozen=True)
class _Screened:
    """A surfacing rule as the screen sees it: the word sets every match holds one word of each."""

    anchors: frozenset[str]
    also: frozenset[str]
    alternatives: tuple[tuple[frozenset[str], ...], ...]

    def may_match(self, present: frozenset[str]) -> bool:
        """Whether a message whose normalised words are among ``present`` could match."""
        if self.anchors.isdisjoint(present) or (self.also and self.also.isdisjoint(present)):
            return False
        return any(all(not s.isdisjoint(present) for s in sets) for sets in self.alternatives)


@dataclass(frozen=True)
class _Index:
    """The surfacing rules' word requirements, and every normalised word any of them names."""

    rules: tuple[_Screened, ...]
    by_anchor: dict[str, tuple[int, ...]]
    relevant: frozenset[str]
    phrases: tuple[str, ...]
    everywhere: bool
    """A surfacing rule has no anchors (never, for a rules file that loads): every message passes."""

    def may_surface(self, present: frozenset[str]) -> bool:
        tried = {i for w in present for i in self.by_anchor.get(w, ())}
        return any(self.rules[i].may_match(present) for i in tried)


@lru_cache(maxsize=8)
def _index(rules: RuleSet) -> _Index:
    screened: list[_Screened] = []
    phrases: set[str] = set()
    everywhere = False
    for r in rules.surfacing_rules():
        if r.screen:
            phrases.update(r.screen)
        elif not r.anchors:
            everywhere = True
        else:
            screened.append(_Screened(r.anchors, r.also, r.needs or ((),)))
    by_anchor: dict[str, list[int]] = {}
    for i, sr in enumerate(screened):
        for w in sr.anchors:
            by_anchor.setdefault(w, []).append(i)
    relevant = frozenset().union(*(sr.anchors | sr.also | frozenset().union(*(x for a in sr.alternatives for x in a))
                                   for sr in screened))
    return _Index(tuple(screened), {w: tuple(v) for w, v in by_anchor.items()}, relevant, tuple(sorted(phrases)),
                  everywhere)


def _norms(word: str, rules: RuleSet) -> frozenset[str]:
    return frozenset({word[1:]}) if word.startswith(_VIRTUAL) else word_norms(word, rules.vocabulary)


def could_surface(texts: pl.Series, rules: RuleSet) -> pl.Series:
    """For each text, whether any rule that can surface a message could match it (False for
    null and empty texts). A superset of the texts with a candidate.

    Each text holding an anchor word is reduced to its *relevant* typed words (those that
    normalise to a word some rule needs), and each distinct set of relevant words is judged
    once in Python: messages repeat the same few relevant words far more than whole texts."""
    index = _index(rules)
    frame = pl.DataFrame({"text": texts.cast(pl.String)})
    if index.everywhere:
        return frame.select(pl.col("text").fill_null("").str.len_chars() > 0).to_series().alias("screened")
    distinct = frame.select(pl.col("text").unique()).filter(pl.col("text").is_not_null() & (pl.col("text") != ""))
    distinct = distinct.with_row_index("i").with_columns(
        low=pl.col("text").str.to_lowercase().str.replace_all(_APOSTROPHES, "'").str.replace_all(_QUOTES, '"'))
    words = distinct.select("i", pl.col("low").str.extract_all(WORD).alias("w")).explode("w").drop_nulls()
    virtual = [distinct.filter(pl.col("low").str.contains(pattern)).select("i", pl.lit(_VIRTUAL + norm).alias("w"))
               for norm, pattern in NON_WORD_SOURCES.items() if norm in index.relevant]
    words = pl.concat([words, *virtual])
    typed = words.get_column("w").unique().to_list()
    norms = {w: _norms(w, rules) for w in typed}
    relevant = [w for w in typed if not norms[w].isdisjoint(index.relevant)]
    anchoring = pl.Series("w", [w for w in relevant if any(n in index.by_anchor for n in norms[w])], dtype=pl.String)
    ids = pl.DataFrame({"w": relevant, "id": range(len(relevant))}, schema={"w": pl.String, "id": pl.UInt32})
    # only texts holding an anchor word can have a rule tried; each is keyed by the sorted
    # ids of its relevant words, and each distinct key is judged once
    anchored = words.filter(pl.col("w").is_in(anchoring.implode())).select(pl.col("i").unique())
    keyed = (words.join(anchored, on="i", how="semi").join(ids, on="w").group_by("i")
             .agg(pl.col("id").unique().sort().alias("key")))
    keys = keyed.get_column("key").unique()
    passing = pl.Series("key", [k for k in keys.to_list()
                                if index.may_surface(frozenset().union(*(norms[relevant[j]] for j in k)))],
                        dtype=keys.dtype)
    # matched by hash: a collision could only let an extra text through, never drop one
    passed = keyed.filter(pl.col("key").hash().is_in(passing.hash().implode())).get_column("i")
    # "'em" is read as one token ("them") by the tokeniser, which can leave a letter the
    # word pattern reads differently ("'em's"): such messages are simply tried.
    flagged = pl.col("i").is_in(passed.implode()) | pl.col("low").str.contains("'em", literal=True)
    if index.phrases:
        flagged = flagged | pl.col("low").str.replace_all(SPACES, " ").str.contains_any(list(index.phrases))
    keep = distinct.filter(flagged).get_column("text")
    return frame.select(pl.col("text").is_in(keep.implode()).fill_null(False)).to_series().alias("screened")


def surfacing_texts(texts: pl.Series, rules: RuleSet) -> list[str]:
    """The distinct texts that pass :func:`could_surface`, sorted."""
    frame = pl.DataFrame({"text": texts.cast(pl.String)})
    return sorted(frame.filter(could_surface(frame.get_column("text"), rules)).get_column("text").unique().to_list())
