"""A small token-pattern engine: readable rules over normalised message words.

Rules are written as sequences of words and word classes (``SELF FUTURE ~2 HARM
TARGET``), kept in a TOML file a person can read and edit (see the header of
:file:`threat_rules.toml` for the syntax). Each pattern is compiled once into a
regular expression over the message's normalised tokens (:mod:`.message_text`), so
matching runs in the ``re`` engine's C code, and every match maps back to the
tokens, and so to the words the sender typed.

Why not spaCy's ``Matcher``: measured on this machine (3.8, blank English pipeline
with ``spacy-lookups-data`` lemmas), spaCy and its data add about 430 MB to the
environment and 0.7 s to start, and tokenised 40 k messages/s with a single rule
before any text-speak handling, which it does not do ("gettin", "kiiiill" and "ur"
come out unchanged). Text-speak has to be normalised first anyway, and the rules
only need the inflections of a few hundred verbs, which :func:`inflections`
generates; so the engine stays in the standard library.

Which rules are tried on a message is decided by its normalised words: each rule
names content words every match holds (``anchors``, and sometimes a second set,
``also``), or typed ``screen`` phrases (:meth:`RuleSet._rules_for`). The speed path
(:mod:`.threat_screen`) applies that same test to a whole column at once, word by
distinct typed word, so only messages some rule could match are tokenised;
``tests/test_threat_rules.py`` checks it equals assessing every message.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal

from atlas.errors import AtlasError

from .message_text import APOSTROPHES, LAUGH, QUESTION, QUOTE, SENTENCE_END, Token, raw_forms, token_string, tokens

RuleKind = Literal["threat", "frame", "idiom", "behaviour"]
BEHAVIOURS: Final = ("monitoring", "following", "watching", "publishing")
GAP_MAX: Final = 8
STAR_MAX: Final = 3

IRREGULAR: Final[dict[str, tuple[str, ...]]] = {
    "beat": ("beaten", "beats", "beating"), "break": ("broke", "broken"), "burn": ("burnt",),
    "shoot": ("shot",), "find": ("found",), "get": ("got", "gotten"), "die": ("died", "dying", "dies"),
    "go": ("went", "gone", "goes"), "know": ("knew", "known"), "see": ("saw", "seen"), "do": ("did", "done", "does"),
    "have": ("had", "has"), "make": ("made",), "throw": ("threw", "thrown"), "tear": ("tore", "torn"),
    "take": ("took", "taken"), "run": ("ran",), "come": ("came",), "keep": ("kept",), "leave": ("left",),
    "bring": ("brought",), "buy": ("bought",), "catch": ("caught",), "fight": ("fought",), "feel": ("felt",),
    "lose": ("lost",), "hold": ("held",), "sleep": ("slept",), "give": ("gave", "given"), "blow": ("blew", "blown"),
    "strike": ("struck",), "bite": ("bit", "bitten"), "wring": ("wrung",), "hang": ("hung",), "stick": ("stuck",),
    "bleed": ("bled",), "wake": ("woke", "woken"), "tell": ("told",), "say": ("said",), "think": ("thought",),
    "hear": ("heard",), "sell": ("sold",), "send": ("sent",), "follow": (), "drive": ("drove", "driven"),
    "ride": ("rode", "ridden"), "sit": ("sat",), "stand": ("stood",), "write": ("wrote", "written"),
    "fall": ("fell", "fallen"), "be": ("am", "is", "are", "was", "were", "been", "being", "'s"),
    "lie": ("lying", "lay"), "spread": (), "set": (), "cut": (), "hit": (), "hurt": (), "put": (), "shut": (),
    "slit": (), "let": (), "bury": ("buried", "buries"),
}


def inflections(base: str) -> set[str]:
    """The forms of an English verb or noun ``base`` (overgenerating is harmless: the
    extra forms never occur in messages)."""
    forms = {base, base + "s", base + "es", base + "ed", base + "ing", base + "d"}
    if base.endswith("e"):
        forms |= {base[:-1] + "ing", base + "d"}
    if base.endswith("y") and len(base) > 2 and base[-2] not in "aeiou":
        forms |= {base[:-1] + "ies", base[:-1] + "ied"}
    if len(base) >= 3 and base[-1] not in "aeiouwxy" and base[-2] in "aeiou" and base[-3] not in "aeiou":
        forms |= {base + base[-1] + "ed", base + base[-1] + "ing", base + base[-1] + "er"}
    forms |= set(IRREGULAR.get(base, ()))
    return forms


FUNCTION_WORDS: Final = frozenset(["i", "me", "my", "mine", "myself", "we", "us", "our", "you", "your", "ur", "yours", "yourself", "he", "him", "his", "she", "her", "hers", "they", "them", "their", "it", "its", "is", "are", "am", "was", "were", "be", "been", "being", "'s", "will", "would", "shall", "should", "can", "could", "may", "might", "must", "do", "does", "did", "have", "has", "had", "gonna", "not", "no", "and", "or", "but", "if", "then", "than", "the", "a", "an", "to", "of", "in", "on", "at", "for", "with", "by", "from", "up", "down", "out", "off", "over", "about", "that", "this", "these", "those", "there", "here", "what", "when", "where", "who", "whom", "which", "why", "how", "all", "any", "some", "so", "as", "go", "goes", "going", "gone", "see", "one", "know", "knew", "known", "make", "made", "let", "want", "one", "thing", "things", "time", "day", "back", "like", "just", "now", "again", "still", "even", "more", "much", "very", "too", "only", "ever", "lot", "way", "put"])
"""Words too common to screen messages on: a rule must also need a content word."""

COMMON_WORDS: Final = frozenset(["call", "calls", "called", "calling", "ring", "see", "saw", "seen", "time", "later", "tonight", "tomorrow", "today", "night", "week", "love", "send", "sent", "pick", "back", "home", "work", "house", "car", "door", "place", "family", "mum", "dad", "kids", "friend", "friends", "mate", "mates", "people", "thing", "things", "tell", "told", "leave", "left", "want", "need", "take", "find", "think", "said", "look", "looking", "good", "right", "well", "sorry", "thanks", "please", "get", "got", "getting", "come", "coming", "went", "answer", "meet", "move", "change", "phone", "message", "text", "school", "shop", "night", "anyone"])
"""Common message words: when a rule can be screened on rarer words, it is."""


_NOT_REPORTING_AFTER: Final = frozenset({"you", "if", "i", "we", "and", "ur", "just", ","})
"""A reporting verb after these is the sender's own ("if you tell…", "I told you…",
"say one more word…" at a sentence start), not someone else's words being reported."""


_CONDITIONS: Final = frozenset({"if", "unless", "until", "when", "once"})


class RulesError(AtlasError):
    """The rules file is malformed, or an edit broke one of its own examples."""


# --- patterns ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Node:
    """A parsed pattern element: a word set, a sequence, an alternation or a gap."""

    kind: Literal["words", "seq", "alt", "gap", "start", "end", "not"]
    words: frozenset[str] = frozenset()
    phrases: tuple[tuple[str, ...], ...] = ()
    children: tuple[_Node, ...] = ()
    quant: str = ""
    gap: int = 0


_PATTERN_TOKEN: Final = re.compile(r"\(|\)[?*]?|\||[^\s()|]+")
_NAME: Final = re.compile(r"^[A-Z][A-Z0-9_]*$")


class _Parser:
    def __init__(self, text: str, classes: dict[str, tuple[tuple[str, ...], ...]]) -> None:
        self.items = _PATTERN_TOKEN.findall(text)
        self.pos = 0
        self.classes = classes
        self.text = text

    def fail(self, why: str) -> RulesError:
        return RulesError(f"pattern {self.text!r}: {why}")

    def parse(self) -> _Node:
        node = self.alternation()
        if self.pos != len(self.items):
            raise self.fail(f"unexpected {self.items[self.pos]!r}")
        return node

    def alternation(self) -> _Node:
        branches = [self.sequence()]
        while self.pos < len(self.items) and self.items[self.pos] == "|":
            self.pos += 1
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else _Node("alt", children=tuple(branches))

    def sequence(self) -> _Node:
        parts: list[_Node] = []
        while self.pos < len(self.items) and self.items[self.pos] != "|" and not self.items[self.pos].startswith(")"):
            parts.append(self.element())
        if not parts:
            raise self.fail("empty sequence")
        return parts[0] if len(parts) == 1 else _Node("seq", children=tuple(parts))

    def element(self) -> _Node:
        item = self.items[self.pos]
        self.pos += 1
        if item in ("+", "?", "*"):
            raise self.fail(f"{item!r} must follow a word ('kill+') or a closing bracket ('(a|b)?'; '+' only after a word)")
        if item == "!":
            if self.pos >= len(self.items):
                raise self.fail("'!' needs a word, class or group after it")
            return _Node("not", children=(self.element(),))
        if item == "(":
            inner = self.alternation()
            if self.pos >= len(self.items) or not self.items[self.pos].startswith(")"):
                raise self.fail("unclosed '('")
            close = self.items[self.pos]
            self.pos += 1
            return _Node(inner.kind, inner.words, inner.phrases, inner.children, close[1:], inner.gap) if close[1:] \
                else inner
        quant = ""
        if len(item) > 1 and item[-1] in "?*" and item not in ("?",):
            item, quant = item[:-1], item[-1]
        if item.startswith("~"):
            if not item[1:].isdigit() or not 0 < int(item[1:]) <= GAP_MAX:
                raise self.fail(f"a gap is ~1 … ~{GAP_MAX}, not {item!r}")
            return _Node("gap", gap=int(item[1:]))
        if item == "^":
            return _Node("start")
        if item == "$":
            return _Node("end")
        if item.startswith("!") and len(item) > 1:
            self.items[self.pos - 1] = item[1:]
            self.pos -= 1
            return _Node("not", children=(self.element(),))
        if item == "QMARK":
            phrases: tuple[tuple[str, ...], ...] = ((QUESTION,),)
        elif item == "END":
            phrases = ((SENTENCE_END,), (QUESTION,))
        elif _NAME.match(item):
            if item not in self.classes:
                raise self.fail(f"unknown class {item}")
            phrases = self.classes[item]
        else:
            phrases = tuple((w,) for w in _word_forms(item))
        words = frozenset(p[0] for p in phrases if len(p) == 1)
        return _Node("words", words=words, phrases=phrases, quant=quant)


def _word_forms(word: str) -> list[str]:
    if word.endswith("+") and len(word) > 1:
        return sorted(inflections(word[:-1]))
    return [word]


def _trie_regex(strings: Iterable[str]) -> str:
    """One regular expression for a set of literal strings, factored by common prefixes
    ("kill ", "kills ", "killed " → ``kill(?:ed|s)? ``): Python's ``re`` tries the
    alternatives of a plain alternation one by one, which is slow for the hundreds of
    word forms a class expands to."""
    trie: dict[str, Any] = {}
    for text in strings:
        node = trie
        for ch in text:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if ends:
            return f"(?:{body})?" if len(alts) == 1 and len(alts[0]) > 1 else body + "?"
        return body

    return build(trie)


@lru_cache(maxsize=4096)
def _words_regex(phrases: tuple[tuple[str, ...], ...]) -> str:
    """The regular expression of one word class (cached: rules reuse the same classes)."""
    return "(?:" + _trie_regex(" ".join(p) + " " for p in phrases) + ")"


def _compile(node: _Node) -> str:
    if node.kind == "words":
        body = _words_regex(node.phrases)
    elif node.kind == "seq":
        body = "(?:" + "".join(_compile(c) for c in node.children) + ")"
    elif node.kind == "alt":
        body = "(?:" + "|".join(_compile(c) for c in node.children) + ")"
    elif node.kind == "gap":
        return rf"(?:(?![.?] )[^ ]+ ){{0,{node.gap}}}?"
    elif node.kind == "not":
        return "(?!" + _compile(node.children[0]) + ")"
    elif node.kind == "start":
        return r"(?:^|(?<=[.?] ))"
    else:
        return r"(?=[.?] |$)"
    if node.quant == "?":
        return body + "?"
    if node.quant == "*":
        return body + f"{{0,{STAR_MAX}}}"
    return body


def _eligible(word: str) -> bool:
    return word not in FUNCTION_WORDS and len(word) >= 3 and all(len(f) >= 3 for f in raw_forms(word))


def _anchors(node: _Node) -> frozenset[str] | None:
    """Content words of which every match of ``node`` contains one (None if there is no such set)."""
    if node.quant in ("?", "*") or node.kind in ("gap", "start", "end", "not"):
        return None
    if node.kind == "words":
        found: set[str] = set()
        for phrase in node.phrases:
            best = [w for w in phrase if _eligible(w)]
            if not best:
                return None
            found.add(max(best, key=len))
        return frozenset(found)
    if node.kind == "alt":
        sets = [_anchors(c) for c in node.children]
        if any(s is None for s in sets):
            return None
        return frozenset().union(*[s for s in sets if s is not None])
    candidates = [s for s in (_anchors(c) for c in node.children) if s is not None]
    if not candidates:
        return None
    return min(candidates, key=lambda s: (sum(w in COMMON_WORDS for w in s) / len(s), -min(len(w) for w in s), len(s)))


_NOT_WHOLE: Final = frozenset({"will", "would", "are", "have", "am", "not", "is", "i", "'s", "_", ",", ".", "?", QUOTE,
                                LAUGH, "wink", "gonna"})
"""Normalised words that can come from part of a typed word ("I'll" → will, "ill" → i will,
"mum's" → 's, "going to" → gonna): never used to screen raw text."""

VERY_COMMON: Final = frozenset(["you", "your", "ur", "i", "me", "my", "the", "a", "an", "to", "and", "it", "is", "of", "in", "on", "at", "for", "that", "this"])


def _whole(word: str) -> bool:
    """``word`` only ever comes from whole typed words listed by :func:`raw_forms`."""
    return word not in _NOT_WHOLE and not word.startswith("'") and bool(word)


def _loose(node: _Node) -> frozenset[str] | None:
    """Words (function words allowed) of which every match of a words node holds one."""
    if node.kind != "words" or node.quant in ("?", "*"):
        return None
    found: set[str] = set()
    for phrase in node.phrases:
        ok = [w for w in phrase if _whole(w)]
        if not ok:
            return None
        found.add(min(ok, key=lambda w: (w in VERY_COMMON, -len(w))))
    return frozenset(found)


def _commonness(s: frozenset[str]) -> tuple[float, int]:
    return (sum(w in VERY_COMMON or w in COMMON_WORDS for w in s) / len(s), len(s))


def _two_groups(node: _Node) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """Two word sets from two different required elements of ``node`` (the first of content
    words): every match holds a word of each. Either may be None."""
    if node.quant in ("?", "*") or node.kind in ("gap", "start", "end", "not"):
        return None, None
    if node.kind == "words":
        return _anchors(node), None
    if node.kind == "alt":
        pairs = [_two_groups(c) for c in node.children]
        g0s, g1s = [p[0] for p in pairs], [p[1] for p in pairs]
        return (frozenset().union(*g0s) if all(g is not None for g in g0s) else None,  # type: ignore[arg-type]
                frozenset().union(*g1s) if all(g is not None for g in g1s) else None)  # type: ignore[arg-type]
    elements: list[tuple[frozenset[str] | None, frozenset[str] | None]] = []
    for child in node.children:
        if child.kind == "words":
            elements.append((_anchors(child), _loose(child)))
        else:
            g0, g1 = _two_groups(child)
            elements += [(g0, g0), (None, g1)]
    contents = [(i, c) for i, (c, _) in enumerate(elements) if c]
    if not contents:
        return None, None
    k, first = min(contents, key=lambda ic: (sum(w in COMMON_WORDS for w in ic[1]) / len(ic[1]),
                                               -min(len(w) for w in ic[1]), len(ic[1])))
    others = [lo for i, (_, lo) in enumerate(elements) if i != k and lo]
    return first, (min(others, key=_commonness) if others else None)


SPACES: Final = r"[\s\x1c-\x1f]+"
"""Runs of white space, spelled so that Python's ``re`` and Polars' regex engine agree
(Python counts the separators \\x1c-\\x1f as space; Rust's ``\\s`` does not)."""


def _one_of(node: _Node) -> frozenset[str] | None:
    """Words of which every match of ``node`` holds one (one word per phrase, the rarest), or None."""
    if node.quant in ("?", "*"):
        return None
    if node.kind == "words":
        return frozenset(min(p, key=lambda w: (w in VERY_COMMON, w in FUNCTION_WORDS, -len(w))) for p in node.phrases)
    if node.kind == "alt":
        sets = [_needs(c) for c in node.children]
        if not all(sets):
            return None
        return frozenset().union(*[min(s, key=_commonness) for s in sets])
    return None


def _needs(node: _Node) -> list[frozenset[str]]:
    """Word sets of which every match of ``node`` holds one word each (one set per required element)."""
    if node.quant in ("?", "*") or node.kind in ("gap", "start", "end", "not"):
        return []
    if node.kind == "seq":
        return [s for c in node.children for s in _needs(c)]
    one = _one_of(node)
    return [one] if one else []


def branch_needs(node: _Node) -> tuple[tuple[frozenset[str], ...], ...]:
    """For each top-level alternative of a pattern, the word sets every match of it holds one
    word of each."""
    branches = node.children if node.kind == "alt" and not node.quant else (node,)
    return tuple(tuple(_needs(b)) for b in branches)


def screen_text(text: str) -> str:
    """What a rule's ``screen`` phrases are searched in: the text lower-cased with ASCII
    apostrophes and runs of space made one (:mod:`.threat_screen` does the same in Polars)."""
    return re.sub(SPACES, " ", text.translate(APOSTROPHES).lower())


# --- rules ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    id: str
    kind: RuleKind
    pattern: str
    family: str
    weight: float
    regex: re.Pattern[str] = field(repr=False, compare=False)
    anchors: frozenset[str] = frozenset()
    also: frozenset[str] = frozenset()
    """A second word set: every match also holds one of these (from another element)."""
    needs: tuple[tuple[frozenset[str], ...], ...] = field(default=(), compare=False, repr=False)
    """For each top-level alternative of the pattern, word sets of which every match of
    that alternative holds one word each (:func:`branch_needs`; used by the speed path)."""
    screen: tuple[str, ...] = ()
    behaviour: str = ""
    negatable: bool = True
    boost: float = 0.0
    note: str = ""
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    harms: tuple[str, ...] = ()
    """What every match of this rule threatens when its words name no one (``harms`` in the file)."""

    @property
    def candidate_kind(self) -> str:
        return f"behaviour:{self.behaviour}" if self.kind == "behaviour" else "threat"


@dataclass(frozen=True)
class Hit:
    """One rule matched in one message: which rule, which words (as typed), and whether
    the context lowered it (negated, reported speech, marked as a joke)."""

    rule_id: str
    kind: RuleKind
    family: str
    weight: float
    effective: float
    words: str
    start: int
    end: int
    behaviour: str = ""
    lowered_by: tuple[str, ...] = ()

    def explain(self) -> str:
        why = f"; lowered: {', '.join(self.lowered_by)}" if self.lowered_by else ""
        return f"{self.rule_id} ({self.family}) matched «{self.words}» weight {self.weight:.2f}{why}"


@dataclass(frozen=True)
class Assessment:
    """What the rules make of one message: every hit, the threat score and its tier."""

    text: str
    hits: tuple[Hit, ...]
    score: float
    tier: Literal["occasion", "review", "none"]
    behaviours: tuple[tuple[str, float], ...] = ()

    @property
    def threat_hits(self) -> tuple[Hit, ...]:
        return tuple(h for h in self.hits if h.kind in ("threat", "frame"))

    def behaviour_hits(self, behaviour: str) -> tuple[Hit, ...]:
        return tuple(h for h in self.hits if h.kind == "behaviour" and h.behaviour == behaviour)

    def marked(self) -> str:
        """The full message with every matched span in «guillemets»."""
        spans = sorted({(h.start, h.end) for h in self.hits if h.kind != "idiom"})
        merged: list[list[int]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        out, pos = [], 0
        for s, e in merged:
            out += [self.text[pos:s], "«", self.text[s:e], "»"]
            pos = e
        out.append(self.text[pos:])
        return "".join(out)


@dataclass(frozen=True)
class RuleSet:
    version: str
    description: str
    occasion_threshold: float
    review_threshold: float
    lowered_factor: float
    rules: tuple[Rule, ...]
    negators: frozenset[str]
    reporting: frozenset[str]
    vocabulary: frozenset[str]
    path: str
    sha256: str
    boosts: dict[str, float] = field(default_factory=dict, compare=False, repr=False)
    anchor_index: tuple[dict[str, tuple[int, ...]], tuple[int, ...]] = field(
        default=({}, ()), compare=False, repr=False)
    """anchor word → indices of the rules it may trigger; and the rules that always run."""
    classes: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict, compare=False, repr=False)
    """The file's word classes, expanded (``REL`` → its phrases): what
    :mod:`.threat_target` reads a match's words against."""

    # -- matching ------------------------------------------------------------------
    def assess(self, text: str) -> Assessment:
        """Every hit in ``text`` after idioms are masked, its score and tier.

        A rule runs only when the message holds one of its anchor words (every match of
        the rule contains one), which is what keeps a message cheap to assess."""
        toks = tokens(text, self.vocabulary)
        norms = [t.norm for t in toks]
        if not toks:
            return Assessment(text, (), 0.0, "none")
        present = set(norms)
        hits: list[Hit] = []
        masked = False
        string, starts = _token_string(norms)
        typed = screen_text(text) if self.phrase_rules else ""
        chosen = self._rules_for(present, typed)
        for rule in chosen:
            if rule.kind != "idiom":
                continue
            for a, b in _find(rule.regex, string, starts):
                hits.append(self._hit(rule, toks, a, b, text, ()))
                for k in range(a, b + 1):
                    norms[k] = "_"
                masked = True
        if masked:
            string, starts = _token_string(norms)
            present = set(norms)
            chosen = self._rules_for(present, typed)
        laugh = LAUGH in present
        for rule in chosen:
            if rule.kind == "idiom":
                continue
            for a, b in _find(rule.regex, string, starts):
                lowered = self._lowered(rule, norms, a, b, laugh)
                hits.append(self._hit(rule, toks, a, b, text, lowered))
        return self._score(text, hits)

    @property
    def phrase_rules(self) -> bool:
        return any(r.screen for r in self.rules)

    def _rules_for(self, present: set[str], typed: str) -> list[Rule]:
        """The rules tried on a message holding the normalised words ``present`` and, as
        typed, ``typed`` (:func:`screen_text`), in file order: a rule with anchors needs one
        of them (and one of its ``also`` words, if any); a rule with ``screen`` phrases
        needs one of those. This is part of the rule, not only a shortcut: the speed path
        (:mod:`.threat_screen`) applies the same test to whole columns at once."""
        by_anchor, always = self.anchor_index
        picked = set(always)
        for w in present:
            picked.update(by_anchor.get(w, ()))
        return [r for r in (self.rules[i] for i in sorted(picked))
                if (not r.also or not r.also.isdisjoint(present)) and (not r.screen or any(p in typed for p in r.screen))]

    def _hit(self, rule: Rule, toks: list[Token], a: int, b: int, text: str, lowered: tuple[str, ...]) -> Hit:
        start, end = toks[a].start, toks[b].end
        effective = rule.weight * (self.lowered_factor if lowered else 1.0)
        return Hit(rule.id, rule.kind, rule.family, rule.weight, round(effective, 4), text[start:end], start, end,
                   rule.behaviour, lowered)

    def _lowered(self, rule: Rule, norms: list[str], a: int, b: int, laugh: bool) -> tuple[str, ...]:
        out = []
        sent = a
        while sent > 0 and norms[sent - 1] not in (SENTENCE_END, QUESTION):
            sent -= 1
        if rule.negatable:
            before = norms[max(sent, a - 3): a]
            if any(w in _CONDITIONS for w in norms[sent:a]):
                before = []  # "if u dont pick up im gna…": the negation is the condition's, not the act's
            window = [*before, *norms[a: b + 1]]
            if any(w in self.negators for w in window) or any(
                    x == "no" and y in ("one", "body") for x, y in itertools.pairwise(window)):
                out.append("negated")
        reported = any(norms[k] in self.reporting and k > sent and norms[k - 1] not in _NOT_REPORTING_AFTER
                       for k in range(sent, a))
        if reported or norms[:a].count(QUOTE) % 2 == 1:
            out.append("reported speech")
        if laugh and rule.kind in ("threat", "frame"):
            out.append("marked as a joke")
        return tuple(out)

    def _score(self, text: str, hits: list[Hit]) -> Assessment:
        if not hits:
            return Assessment(text, (), 0.0, "none")
        threat = [h.effective for h in hits if h.kind == "threat"]
        frames = [h for h in hits if h.kind == "frame"]
        boost = max((self.boosts.get(h.rule_id, 0.0) for h in frames if not h.lowered_by), default=0.0)
        best = max(threat, default=0.0)
        top_lowered = bool(threat) and all(h.lowered_by for h in hits if h.kind == "threat" and h.effective == best)
        score = max(best + (boost if threat and not top_lowered else 0.0), max((h.effective for h in frames), default=0.0))
        score = round(min(score, 1.0), 4)
        tier: Literal["occasion", "review", "none"] = (
            "occasion" if score >= self.occasion_threshold else "review" if score >= self.review_threshold else "none")
        behaviours: dict[str, float] = {}
        for h in hits:
            if h.kind == "behaviour" and not h.lowered_by:
                behaviours[h.behaviour] = max(behaviours.get(h.behaviour, 0.0), h.effective)
        ordered = tuple(sorted(hits, key=lambda h: (h.start, h.rule_id)))
        return Assessment(text, ordered, score, tier, tuple(sorted(behaviours.items())))

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    # -- screening -----------------------------------------------------------------
    def surfacing_rules(self) -> list[Rule]:
        """Rules that can surface a message on their own (make it a threat or behaviour
        candidate): not idioms, and not frames weaker than the review threshold, which
        only ever raise a threat hit (alone they score below the review list)."""
        return [r for r in self.rules if r.kind != "idiom" and not (r.kind == "frame" and r.weight < self.review_threshold)]

    def provenance(self) -> dict[str, str]:
        return {"rules_version": self.version, "rules_file": Path(self.path).name, "rules_sha256": self.sha256}


def _token_string(norms: list[str]) -> tuple[str, list[int]]:
    starts: list[int] = []
    pos = 0
    for n in norms:
        starts.append(pos)
        pos += len(n) + 1
    return " ".join(norms) + " ", starts


def _find(regex: re.Pattern[str], string: str, starts: list[int]) -> Iterable[tuple[int, int]]:
    """Token ranges [a, b] where ``regex`` matches the token string."""
    for m in regex.finditer(string):
        if m.end() == m.start():
            continue
        a = bisect.bisect_right(starts, m.start()) - 1
        b = bisect.bisect_right(starts, m.end() - 1) - 1
        yield a, b


# --- loading -------------------------------------------------------------------------

_RULE_KEYS: Final = {"id", "kind", "pattern", "family", "weight", "behaviour", "negatable", "boost", "note", "examples",
                     "counter_examples", "screen", "harms"}
HARMED_LABELS: Final = ("addressee", "someone-close", "pet", "property", "third-person")
"""Whom or what a threat can name as the one to be harmed (:mod:`.threat_target`); a rule's
``harms`` key may give them for matches whose words name no one ("only thing slashed")."""


def _classes(path: Path, raw: Any) -> dict[str, tuple[tuple[str, ...], ...]]:
    if not isinstance(raw, dict):
        raise RulesError(f"{path}: [classes] must be a table of NAME = [words]")
    out: dict[str, tuple[tuple[str, ...], ...]] = {}

    def expand(name: str, seen: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
        if name in out:
            return out[name]
        if name in seen:
            raise RulesError(f"{path}: class {name} refers to itself ({' → '.join((*seen, name))})")
        entries = raw.get(name)
        if not isinstance(entries, list) or not all(isinstance(e, str) and e.strip() for e in entries):
            raise RulesError(f"{path}: class {name} must be a list of words or phrases")
        phrases: list[tuple[str, ...]] = []
        for entry in entries:
            parts = entry.split()
            if len(parts) == 1 and _NAME.match(parts[0]):
                if parts[0] not in raw:
                    raise RulesError(f"{path}: class {name} refers to unknown class {parts[0]}")
                phrases += expand(parts[0], (*seen, name))
                continue
            forms: list[tuple[tuple[str, ...], ...]] = []
            for p in parts:
                if _NAME.match(p):
                    if p not in raw:
                        raise RulesError(f"{path}: class {name} refers to unknown class {p}")
                    forms.append(expand(p, (*seen, name)))
                else:
                    forms.append(tuple((w,) for w in _word_forms(p)))
            combos: list[tuple[str, ...]] = [()]
            for f in forms:
                combos = [(*c, *w) for c in combos for w in f]
            phrases += combos
        out[name] = tuple(dict.fromkeys(phrases))
        return out[name]

    for name in raw:
        if not _NAME.match(name):
            raise RulesError(f"{path}: class names are UPPER_CASE ({name!r})")
        expand(name, ())
    return out


def parse_rules(text: str, path: Path) -> RuleSet:
    """Read a rules file, compile it and check every rule against its own examples."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML: {exc}") from exc
    unknown = set(data) - {"meta", "context", "classes", "rule"}
    if unknown:
        raise RulesError(f"{path}: unknown tables {sorted(unknown)} (known: meta, context, classes, rule)")
    meta = data.get("meta", {})
    if not isinstance(meta.get("version"), str):
        raise RulesError(f"{path}: [meta] version is required")
    context = data.get("context", {})
    classes = _classes(path, data.get("classes", {}))
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("rule", [])):
        rules.append(_rule(path, i, raw, classes, seen))
    if not any(r.kind == "threat" and r.weight >= float(meta.get("occasion_threshold", 0.6)) for r in rules):
        raise RulesError(f"{path}: no threat rule reaches the occasion threshold: nothing could ever be a threat occasion")
    vocabulary = {w for r in rules for w in _pattern_words(r.pattern, classes)}
    vocabulary |= {w for ph in classes.values() for p in ph for w in p}
    rs = RuleSet(
        version=meta["version"], description=str(meta.get("description", "")),
        occasion_threshold=float(meta.get("occasion_threshold", 0.6)),
        review_threshold=float(meta.get("review_threshold", 0.25)),
        lowered_factor=float(meta.get("lowered_factor", 0.5)), rules=tuple(rules),
        negators=frozenset(context.get("negators", ["not", "never", "nobody", "nothing"])),
        reporting=frozenset(context.get("reporting_verbs", [])), vocabulary=frozenset(vocabulary), path=str(path),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), boosts={r.id: r.boost for r in rules if r.boost},
        anchor_index=_anchor_index(rules), classes=classes,
    )
    _self_test(rs)
    return rs


def _anchor_index(rules: list[Rule]) -> tuple[dict[str, tuple[int, ...]], tuple[int, ...]]:
    by_anchor: dict[str, list[int]] = {}
    always: list[int] = []
    for i, r in enumerate(rules):
        if not r.anchors:
            always.append(i)
        for w in r.anchors:
            by_anchor.setdefault(w, []).append(i)
    return {w: tuple(ix) for w, ix in by_anchor.items()}, tuple(always)


def _pattern_words(pattern: str, classes: dict[str, tuple[tuple[str, ...], ...]]) -> set[str]:
    out: set[str] = set()
    for item in _PATTERN_TOKEN.findall(pattern):
        item = item.rstrip("?*")
        item = item.lstrip("!")
        if item in ("(", ")", "|", "^", "$", "QMARK", "END", "") or item.startswith("~") or item.startswith(")"):
            continue
        if _NAME.match(item):
            continue
        out |= set(_word_forms(item))
    return out


def _rule(path: Path, i: int, raw: Any, classes: dict[str, tuple[tuple[str, ...], ...]], seen: set[str]) -> Rule:
    where = f"{path}: [[rule]] #{i + 1}"
    if not isinstance(raw, dict):
        raise RulesError(f"{where}: expected a table")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise RulesError(f"{where}: unknown keys {sorted(unknown)} (known: {', '.join(sorted(_RULE_KEYS))})")
    for key in ("id", "kind", "pattern"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise RulesError(f"{where}: {key} is required (a non-empty string)")
    rid = raw["id"]
    where = f"{where} ({rid})"
    if rid in seen:
        raise RulesError(f"{where}: duplicate rule id")
    seen.add(rid)
    kind = raw["kind"]
    behaviour = ""
    if kind.startswith("behaviour:"):
        kind, behaviour = "behaviour", kind.split(":", 1)[1]
        if behaviour not in BEHAVIOURS:
            raise RulesError(f"{where}: behaviour must be one of {', '.join(BEHAVIOURS)}")
    if kind not in ("threat", "frame", "idiom", "behaviour"):
        raise RulesError(f"{where}: kind must be threat, frame, idiom or behaviour:<{'|'.join(BEHAVIOURS)}>")
    weight = raw.get("weight", 0.0 if kind == "idiom" else None)
    if not isinstance(weight, int | float) or isinstance(weight, bool) or not 0 <= weight <= 1:
        raise RulesError(f"{where}: weight is required, a number from 0 to 1")
    for key in ("examples", "counter_examples"):
        if key in raw and (not isinstance(raw[key], list) or not all(isinstance(x, str) for x in raw[key])):
            raise RulesError(f"{where}: {key} must be a list of strings")
    if not raw.get("examples"):
        raise RulesError(f"{where}: give at least one example the rule must match")
    if not raw.get("counter_examples"):
        raise RulesError(f"{where}: give at least one counter-example the rule must not match"
                         + (" (for an idiom: a real threat it must not mask)" if kind == "idiom" else ""))
    try:
        node = _Parser(raw["pattern"], classes).parse()
        regex = re.compile(r"(?<![^ ])" + _compile(node))
    except re.error as exc:
        raise RulesError(f"{where}: pattern does not compile: {exc}") from exc
    except RulesError as exc:
        raise RulesError(f"{where}: {exc}") from exc
    harms = raw.get("harms", [])
    if not isinstance(harms, list) or not all(h in HARMED_LABELS for h in harms):
        raise RulesError(f"{where}: harms must be a list of {', '.join(HARMED_LABELS)}")
    screen = raw.get("screen")
    if screen is not None:
        if not isinstance(screen, list) or not screen or not all(isinstance(x, str) and x.strip() for x in screen):
            raise RulesError(f"{where}: screen must be a list of typed phrases")
        screen_phrases = tuple(x.lower() for x in screen)
        for ex in raw.get("examples", []):
            if not any(x in screen_text(ex) for x in screen_phrases):
                raise RulesError(f"{where}: example {ex!r} contains none of the screen phrases {list(screen_phrases)}")
        anchors: frozenset[str] | None = frozenset()
        also: frozenset[str] | None = frozenset()
    else:
        screen_phrases = ()
        anchors, also = _two_groups(node)
        if kind != "idiom" and not anchors:
            raise RulesError(f"{where}: the pattern needs at least one content word in every match (not only "
                             "pronouns, modal verbs or gaps), so that messages can be screened quickly; or give "
                             "`screen`, the typed phrases a message must contain to be tried")
    return Rule(
        id=rid, kind=kind, pattern=raw["pattern"], family=str(raw.get("family", kind)), weight=float(weight),
        regex=regex, anchors=anchors or frozenset(), also=also or frozenset(), needs=branch_needs(node), screen=screen_phrases, behaviour=behaviour, negatable=bool(raw.get("negatable", True)),
        boost=float(raw.get("boost", 0.0)), note=str(raw.get("note", "")),
        examples=tuple(raw.get("examples", [])), counter_examples=tuple(raw.get("counter_examples", [])),
        harms=tuple(harms),
    )


def _self_test(rs: RuleSet) -> None:
    """Refuse a rules file whose rules contradict their own documented examples."""
    for r in rs.rules:
        for ex in r.examples:
            a = rs.assess(ex)
            if not any(h.rule_id == r.id and (r.kind == "idiom" or not h.lowered_by) for h in a.hits):
                raise RulesError(f"{rs.path}: {r.kind} rule {r.id!r} does not match its own example {ex!r} "
                                 f"(normalised: {token_string(tokens(ex, rs.vocabulary)).strip()!r})")
            if r.kind == "idiom" and a.tier == "occasion":
                raise RulesError(f"{rs.path}: idiom {r.id!r} example {ex!r} still counts as a threat occasion "
                                 f"({'; '.join(h.explain() for h in a.threat_hits)})")
        for ex in r.counter_examples:
            a = rs.assess(ex)
            if any(h.rule_id == r.id and not h.lowered_by for h in a.hits):
                raise RulesError(f"{rs.path}: {r.kind} rule {r.id!r} matches its counter-example {ex!r}")
            if r.kind == "idiom" and a.tier != "occasion":
                raise RulesError(f"{rs.path}: idiom {r.id!r}: its counter-example {ex!r} (a threat it must not mask) is "
                                 f"not a threat occasion")


DEFAULT_RULES: Final = Path(__file__).with_name("threat_rules.toml")


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int, size: int) -> RuleSet:
    p = Path(path)
    return parse_rules(p.read_text(encoding="utf-8"), p)


def load_rules(path: Path | str | None = None) -> RuleSet:
    chosen = Path(path) if path else DEFAULT_RULES
    if not chosen.is_file():
        raise RulesError(f"{chosen}: no threat rules file")
    st = chosen.stat()
    return _load_cached(str(chosen.resolve()), st.st_mtime_ns, st.st_size)
