"""Whom or what a flagged threat's words name as the one to be harmed.

Why this matters: s4A(1)(b)(i) of the Protection from Harassment Act 1997 needs the
victim to fear, on at least two occasions, that violence will be used **against her**.
The threat rules deliberately flag threats against the person written to, someone
close to them, their pet or their property alike (all are threats a person must
read). Counting them all as s4A(1)(b)(i) occasions would overstate what the words
show: a threat to burn a car, or to hurt a sister, may or may not have made the victim
fear violence against herself, and only her account can say. So each flagged threat
carries what its matched words *name* (read from the rules file's own word classes,
``YOU``, ``YOUR`` + ``REL`` / ``PET`` / ``PROPERTY`` / ``BODY``), and the reviewer's
note counts the occasions whose confirmed words name the victim herself apart from
the rest, with that basis shown.

This is a reading of the words, not of meaning: "him" in "I'm coming for him" names a
third person, and who that is is for the reader; "petrol through the letterbox" names
property, though a reader may well take it as a threat to the people inside. Nothing
here changes what is flagged, counted as a candidate or confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from .message_text import tokens
from .token_rules import HARMED_LABELS, RuleSet

ADDRESSEE, CLOSE, PET, PROPERTY, THIRD = HARMED_LABELS
ORDER: Final = HARMED_LABELS
"""Every label, in the order they are shown."""

WORDS: Final = {ADDRESSEE: "the person written to", CLOSE: "someone close to the person written to",
                PET: "a pet", PROPERTY: "property", THIRD: "a third person (him, her, them)"}
"""What each label means, for people."""

_OWNED: Final = (("REL", CLOSE), ("PET", PET), ("PROPERTY", PROPERTY), ("BODY", ADDRESSEE))
_THIRD_WORDS: Final = frozenset({"him", "her", "them", "he", "she", "they"})
_THIRD_POSSESSIVE: Final = frozenset({"his", "her", "their"})
_DETERMINERS: Final = frozenset({"the", "that"})
_GAP: Final = 1
"""Words allowed between a possessive and what it owns ("your precious car")."""


def _phrase_at(norms: Sequence[str], i: int, phrases: Iterable[tuple[str, ...]]) -> int:
    """The length of the longest phrase of a class starting at ``i`` (0: none)."""
    best = 0
    for p in phrases:
        if len(p) > best and tuple(norms[i:i + len(p)]) == p:
            best = len(p)
    return best


def _owned(norms: Sequence[str], i: int, rules: RuleSet, classes: Sequence[tuple[str, str]]) -> tuple[str, int] | None:
    """What a possessive or determiner at ``i - 1`` owns: (label, index after it), following
    "your sister's car" to the car."""
    for j in range(i, min(i + _GAP + 1, len(norms))):
        for cls, label in classes:
            n = _phrase_at(norms, j, rules.classes.get(cls, ()))
            if n:
                end = j + n
                if end + 1 < len(norms) and norms[end] == "'s":
                    further = _owned(norms, end + 1, rules, _OWNED)
                    if further is not None:
                        return further
                return label, end
    return None


def threatened(words: str, rules: RuleSet) -> tuple[str, ...]:
    """The labels (:data:`ORDER`) the matched ``words`` name as the one to be harmed; empty
    when they name no one ("Petrol" alone, "I'll finish what I started")."""
    norms = [t.norm for t in tokens(words, rules.vocabulary)]
    you = {p[0] for p in rules.classes.get("YOU", ()) if len(p) == 1} | {"you", "yourself"}
    your = {p[0] for p in rules.classes.get("YOUR", ()) if len(p) == 1} | {"your", "ur", "yer"}
    found: set[str] = set()
    i = 0
    while i < len(norms):
        w = norms[i]
        if w in your or w in _THIRD_POSSESSIVE or w in _DETERMINERS:
            classes = _OWNED if w in your else ((("PET", PET), ("PROPERTY", PROPERTY)) if w in _DETERMINERS else _OWNED)
            owned = _owned(norms, i + 1, rules, classes)
            if owned is not None:
                label, end = owned
                if w in _THIRD_POSSESSIVE and label == ADDRESSEE:
                    label = THIRD  # "her face": a third person's body
                found.add(label)
                i = end
                continue
            if w in _THIRD_POSSESSIVE and w in _THIRD_WORDS:
                found.add(THIRD)  # "her" on its own
        elif w in you:
            found.add(ADDRESSEE)
        elif w in _THIRD_WORDS:
            found.add(THIRD)
        else:
            for cls, label in _OWNED[:2]:  # "mum's gonna get it", "dog's gonna get poisoned"
                n = _phrase_at(norms, i, rules.classes.get(cls, ()))
                if n:
                    found.add(label)
                    i += n
                    break
            else:
                i += 1
            continue
        i += 1
    return tuple(label for label in ORDER if label in found)


def threatened_by(rule_id: str, words: str, rules: RuleSet) -> tuple[str, ...]:
    """What one rule's match names: its words, or, when they name no one, the rule's own
    ``harms`` ("only thing slashed" under the property rule is property)."""
    named = threatened(words, rules)
    if named:
        return named
    rule = next((r for r in rules.rules if r.id == rule_id), None)
    return tuple(label for label in ORDER if rule is not None and label in rule.harms)


def threatened_all(matches: Iterable[tuple[str, str]], rules: RuleSet) -> tuple[str, ...]:
    """The labels named by any of several ``(rule id, matched words)`` (one candidate's rules)."""
    found = {label for rule_id, words in matches for label in threatened_by(rule_id, words, rules)}
    return tuple(label for label in ORDER if label in found)


def describe(labels: Sequence[str]) -> str:
    """``property; a pet`` for people; ``no one named`` when empty."""
    return "; ".join(WORDS.get(x, x) for x in labels) or "no one named"
