"""Message text as normalised tokens that still point at the words the sender typed.

Threat and behaviour rules (:mod:`atlas.conduct.token_rules`) are written over plain
English words; real messages are not. This module turns "ill proper hurt u wen i c u"
or "I’ll kiiiill you!!" into the tokens ``i will hurt you when i see you`` and keeps,
for every token, the character span of the original word, so an explanation can show
exactly which words a rule matched in the message as sent.

What it does, in order (each step is a table below, so a reader can check it):

1. lower-case; typographic apostrophes and quotes become ASCII;
2. split into words, sentence ends (``.``, ``?``), commas, quote marks and emoji;
3. stretched letters are squeezed ("kiiiill" → "kill", "sooo" → "so") using the
   rules' own vocabulary to choose between one and two letters;
4. contractions are expanded, with or without the apostrophe ("won't"/"wont" → "will
   not", "you'll"/"youll" → "you will", "ill" → "i will" unless it reads as the
   adjective);
5. text-speak becomes English ("u" → "you", "gna" → "gonna", "wiv" → "with", "2" →
   "to" between words), and "going to" → "gonna", so rules need one future form;
6. "-in" endings are restored ("gettin" → "getting") when the rules know the word;
7. swearing and intensifiers that only colour a sentence are dropped ("fkn", "proper",
   "really"), so "I'll fkn kill u" reads as "i will kill you".

Nothing here decides what a message means; it only makes the rules' job smaller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final, NamedTuple

SENTENCE_END: Final = "."
QUESTION: Final = "?"
QUOTE: Final = "\""
LAUGH: Final = "lol"
WINK: Final = "wink"

APOSTROPHES: Final = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"'})

WORD: Final = r"[a-z0-9]+(?:&[a-z0-9]+)*(?:'[a-z]+)*"
"""A typed word (ASCII only, after lower-casing): the threat screen extracts words with it too."""

_WINK: Final = ";-?\\)|\U0001F609|\U0001F608|\U0001F52A"
_LAUGH_EMOJI: Final = "[\U0001F602\U0001F923\U0001F606\U0001F605\U0001F639]+"
# (emoji as characters, not escapes: Polars' regex engine reads these patterns too)

# words, numbers-with-letters ("b4", "a&e", "2moro"), contractions, punctuation and emoji
_TOKEN: Final = re.compile(
    rf"(?P<word>{WORD})"
    r"|(?P<em>'em\b)"
    rf"|(?P<wink>{_WINK})"
    r"|(?P<smile>:-?[)D(P]|\(:)"
    r"|(?P<end>[.!;:\n]+|\?+[!?]*)"
    r"|(?P<comma>[,\-–—]+)"
    r"|(?P<quote>[\"']+)"
    rf"|(?P<laugh>{_LAUGH_EMOJI})"
)

CONTRACTIONS: Final[dict[str, str]] = {
    # with the apostrophe
    "won't": "will not", "can't": "can not", "shan't": "shall not", "ain't": "is not", "i'm": "i am",
    "let's": "let us", "'em": "them", "y'all": "you all", "gonna": "gonna",
    # without it (as typed on phones)
    "wont": "will not", "cant": "can not", "dont": "do not", "dnt": "do not", "didnt": "did not",
    "doesnt": "does not", "isnt": "is not", "arent": "are not", "wasnt": "was not", "werent": "were not",
    "wouldnt": "would not", "couldnt": "could not", "shouldnt": "should not", "havent": "have not",
    "hasnt": "has not", "aint": "is not", "im": "i am", "ive": "i have", "youll": "you will", "youl": "you will",
    "ull": "you will", "youre": "you are", "ure": "you are", "youve": "you have", "youd": "you would",
    "hes": "he is", "shes": "she is", "theyll": "they will", "theyre": "they are", "itll": "it will",
    "thats": "that is", "whats": "what is", "wheres": "where is", "theres": "there is", "il": "i will",
    "hell": "hell", "shell": "shell", "wed": "wed", "well": "well", "id": "i would",
}
"""Contractions and their spelled-out forms. ``ill`` is decided in context (see :func:`tokens`)."""

SUFFIXES: Final[dict[str, str]] = {"n't": "not", "'ll": "will", "'re": "are", "'ve": "have", "'d": "would", "'m": "am"}

TEXT_SPEAK: Final[dict[str, str]] = {
    "u": "you", "ya": "you", "yu": "you", "yer": "your", "r": "are", "urself": "yourself", "ur": "ur",
    "gna": "gonna", "gona": "gonna", "gunna": "gonna", "ganna": "gonna", "gon": "gonna", "finna": "gonna",
    "ima": "i am gonna", "imma": "i am gonna", "ama": "i am gonna", "wanna": "want to", "gotta": "got to",
    "wiv": "with", "wivout": "without", "wiv out": "without", "wen": "when", "wat": "what", "wot": "what",
    "n": "and", "b4": "before", "b": "be", "c": "see", "cya": "see you", "coz": "because", "cos": "because",
    "cuz": "because", "bc": "because", "til": "until", "till": "until", "untill": "until", "ova": "over",
    "fink": "think", "dat": "that", "dis": "this", "da": "the", "ma": "my", "kil": "kill", "brk": "break",
    "legz": "legs", "sum1": "someone", "some1": "someone", "every1": "everyone", "any1": "anyone",
    "no1": "no one", "noone": "no one", "ppl": "people", "tmrw": "tomorrow", "tmoro": "tomorrow",
    "2moro": "tomorrow", "2morrow": "tomorrow", "tmoz": "tomorrow", "2nite": "tonight", "2night": "tonight",
    "tonite": "tonight", "l8r": "later", "l8": "late", "wud": "would", "wld": "would", "cud": "could",
    "cld": "could", "shud": "should", "bout": "about", "abt": "about", "thru": "through", "pls": "please",
    "plz": "please", "jus": "just", "bf": "boyfriend", "gf": "girlfriend", "nuffin": "nothing",
    "sumthin": "something", "summat": "something", "anythin": "anything", "nd": "and", "an": "an",
    "evry": "every", "gud": "good", "luv": "love", "m8": "mate", "m8s": "mates", "bruv": "mate",
    "fone": "phone", "phn": "phone", "msg": "message", "txt": "text", "wiyu": "with you", "oi": "oi",
    "dead": "dead", "4eva": "forever", "4ever": "forever", "nite": "night", "ded": "dead", "skool": "school",
    "hospit": "hospital", "hosp": "hospital", "kno": "know", "knw": "know", "wk": "week", "wrk": "work",
    "hse": "house", "em": "them", "sis": "sister", "bro": "brother", "mam": "mum", "mom": "mum", "mummy": "mum",
    "lolz": LAUGH, "lool": LAUGH, "haha": LAUGH, "hahaha": LAUGH, "hehe": LAUGH, "lmao": LAUGH, "lmfao": LAUGH,
    "rofl": LAUGH, "jk": LAUGH, "jks": LAUGH, "xd": LAUGH, "lol": LAUGH, "ha": LAUGH,
}
"""Text-speak and dialect spellings seen in UK messages, and what they stand for."""

NUMBER_WORDS: Final[dict[str, str]] = {"2": "to", "4": "for"}
"""Digits that stand for words when they sit between words ("u go 2 da police")."""

FILLERS: Final = frozenset({
    "fkn", "fking", "fckn", "fcking", "fucking", "fuckin", "effing", "bloody", "proper", "really", "actually",
    "literally", "totally", "seriously", "absolutely", "definitely", "personally", "just", "frigging", "flipping",
    "well", "defo", "honestly", "swear", "down",
})
"""Words that colour a sentence without changing who does what to whom: dropped.
("swear" and "down" go too: "I swear down I'll end you" is "i will end you".)"""

ILL_ADJECTIVE_BEFORE: Final = frozenset({"be", "been", "is", "was", "am", "feel", "felt", "so", "very", "really", "are",
                                        "were", "looks", "look", "get", "got", "getting", "fallen", "fell", "too"})
"""After these, "ill" is the adjective ("she's been ill"), not "I'll"."""


class Token(NamedTuple):
    """One normalised token and the span of the original word(s) it came from."""

    norm: str
    start: int
    end: int


_RUN3: Final = re.compile(r"([a-z])\1{2,}")
_DOUBLE: Final = re.compile(r"([a-z])\1")


def squeeze(word: str, vocabulary: frozenset[str] | set[str]) -> str:
    """Stretched letters ("kiiiill", "sorryyyy") squeezed to the form the vocabulary knows:
    runs of three or more become two, then one, whichever is a known word first."""
    if not _RUN3.search(word):
        return word
    two = _RUN3.sub(r"\1\1", word)
    if two in vocabulary:
        return two
    one = _RUN3.sub(r"\1", word)
    if one in vocabulary:
        return one
    single = _DOUBLE.sub(r"\1", two)
    if single in vocabulary:
        return single
    return two


def _expand(word: str, prev: str | None, nxt: str | None) -> list[str]:
    """Spelled-out words for one typed word (contractions, text-speak)."""
    if word == "ill":
        return ["ill"] if (prev in ILL_ADJECTIVE_BEFORE or nxt is None) else ["i", "will"]
    if word in CONTRACTIONS:
        return CONTRACTIONS[word].split()
    if word in TEXT_SPEAK:
        return TEXT_SPEAK[word].split()
    if word in NUMBER_WORDS and prev is not None and nxt is not None:
        return [NUMBER_WORDS[word]]
    if "'" in word:
        for suffix, full in SUFFIXES.items():
            if word.endswith(suffix) and len(word) > len(suffix):
                stem = word[: -len(suffix)]
                if suffix == "n't":
                    stem = {"wo": "will", "ca": "can", "sha": "shall"}.get(stem, stem)
                return [*_expand(stem, prev, nxt), full]
        if word.endswith("'s"):
            stem = word[:-2]
            if stem in ("he", "she", "it", "that", "there", "what", "who", "where", "here", "how", "this"):
                return [stem, "is"]
            return [*_expand(stem, prev, nxt), "'s"]
        return [word.replace("'", "")]
    return [word]


_PUNCT: Final = {"comma": ",", "quote": QUOTE, "laugh": LAUGH, "wink": WINK, "em": "them"}
_CONTEXTUAL: Final = frozenset({"ill", *NUMBER_WORDS})


@lru_cache(maxsize=200_000)
def _parts(word: str, vocabulary: frozenset[str]) -> tuple[str, ...]:
    """The normalised words for one typed word that needs no context (cached: messages
    reuse a small vocabulary, so most words are looked up, not worked out)."""
    word = squeeze(word, vocabulary)
    if word.endswith("in") and len(word) > 4 and word + "g" in vocabulary and word not in vocabulary:
        word += "g"
    return tuple(p for p in _expand(word, None, None) if p not in FILLERS)


def tokens(text: str, vocabulary: frozenset[str] = frozenset()) -> list[Token]:
    """The normalised tokens of ``text`` (see the module docstring).

    ``vocabulary`` is the set of words the rules use (with their inflections): it
    decides how stretched letters are squeezed and which "-in" endings are restored.
    """
    low = text.translate(APOSTROPHES).lower()
    raw = [(m.lastgroup or "word", m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(low)]
    out: list[Token] = []
    last = len(raw) - 1
    for i, (kind, word, start, end) in enumerate(raw):
        if kind == "word":
            if word in _CONTEXTUAL:
                prev = raw[i - 1][1] if i and raw[i - 1][0] == "word" else None
                nxt = raw[i + 1][1] if i < last and raw[i + 1][0] == "word" else None
                parts: tuple[str, ...] = tuple(_expand(word, prev, nxt))
            else:
                parts = _parts(word, vocabulary)
            for part in parts:
                out.append(Token(part, start, end))
        elif kind == "end":
            out.append(Token(QUESTION if "?" in word else SENTENCE_END, start, end))
        elif kind != "smile":
            out.append(Token(_PUNCT[kind], start, end))
    return _join_going_to(out) if "to" in {t.norm for t in out} else out


def _join_going_to(toks: list[Token]) -> list[Token]:
    """"going to" / "goin to" + a word → "gonna" (one future form for the rules)."""
    out: list[Token] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.norm in ("going", "goin") and i + 1 < len(toks) and toks[i + 1].norm == "to":
            out.append(Token("gonna", t.start, toks[i + 1].end))
            i += 2
            continue
        out.append(t)
        i += 1
    return out


NON_WORD_SOURCES: Final[dict[str, str]] = {
    SENTENCE_END: "[.!;:\n]", QUESTION: "\\?", ",": "[,\\-–—]", QUOTE: "[\"']", LAUGH: _LAUGH_EMOJI, WINK: _WINK,
    "them": "'em",
}
"""Normalised tokens that can come from something other than a typed word, each with a
pattern (valid in Python's ``re`` and in Polars) found in every text that can yield it:
a screen that looks at typed words adds these where the pattern is found."""


def word_norms(word: str, vocabulary: frozenset[str]) -> frozenset[str]:
    """Every normalised token a typed ``word`` (a :data:`WORD` match, lower-cased) can
    become in any message, whatever its neighbours: what :func:`tokens` gives for it in
    context is always a subset ("ill" gives ill, i and will; "going" also gonna)."""
    if word in _CONTEXTUAL:
        found = {p for prev, nxt in ((None, None), ("x", "x"), ("be", "x")) for p in _expand(word, prev, nxt)}
    else:
        found = set(_parts(word, vocabulary))
    if found & {"going", "goin"}:
        found.add("gonna")
    return frozenset(found)


def token_string(toks: Iterable[Token]) -> str:
    """Tokens joined for matching: each token followed by one space."""
    return "".join(t.norm + " " for t in toks)


@lru_cache(maxsize=20_000)
def raw_forms(word: str) -> frozenset[str]:
    """Every typed form that normalises to ``word`` (cached: loading the rules asks for the
    same words thousands of times)."""
    forms = {word}
    for table in (CONTRACTIONS, TEXT_SPEAK, NUMBER_WORDS):
        for typed, full in table.items():
            if word in full.split():
                forms.add(typed)
    if word.endswith("ing"):
        forms.add(word[:-1])
    if word == "gonna":
        forms.add("going")
        forms.add("goin")
    return frozenset(forms)
