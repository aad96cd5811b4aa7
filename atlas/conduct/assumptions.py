"""The analysis's assumptions as typed records, each saying whom it is for.

An assumption is either **method** (how the analysis worked: an exhibit served on the defence,
the technical annex, may give it) or **advice** (the time limit, the warning threshold, the
as-of date that dates a verdict, an inference about what the suspect's calls to police were:
for the reviewing officer and the CPS only, never served). The producer declares the audience
where it makes the assumption; outputs choose by that field and never by the wording.

One recorded sentence (a line of ``assumptions`` in conduct.json and ``atlas conduct``) may join
a method clause with an advice clause ("gaps longer than 28 days are listed for a person to
judge; the s2A warning threshold is 28 days"): each clause is its own record, and records of
the same ``sentence`` are joined with "; " in the order made (:func:`sentences`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Audience = Literal["method", "advice"]
METHOD: Audience = "method"
ADVICE: Audience = "advice"
AUDIENCES: tuple[Audience, ...] = (METHOD, ADVICE)

AS_OF = "as-of"
"""The sentence of the as-of date that dates the s2A verdict (left out of an undated output)."""

MATCHING = "matching"
"""The sentence of the contact-matching rule (an output that sets the rule out in a section of its own
leaves it out of its list of assumptions by this key)."""
NOT_CONTACTS_KEY = "not contacts"
"""The sentence saying which records are never contacts (stated with the matching rule)."""
OCCASION = "occasion"
"""The sentence of what one occasion (day) is."""
LEGAL_RULES = "legal rules"
"""The sentence naming the legal rules file, its version and hash."""
LEXICON = "lexicon"
"""The sentence naming the request-to-stop lexicon, its version and hash."""


@dataclass(frozen=True)
class Assumption:
    """One clause the analysis assumed, with its audience.

    ``sentence`` names the recorded sentence the clause belongs to (``as-of``, ``gaps``...):
    a stable key, so an output can leave one out (:meth:`ConductResult.undated` drops ``as-of``)
    without reading its words."""

    sentence: str
    audience: Audience
    text: str

    def __post_init__(self) -> None:
        if self.audience not in AUDIENCES:
            raise ValueError(f"assumption {self.sentence!r}: audience must be one of {AUDIENCES}, not {self.audience!r}")
        if not self.sentence or not self.text:
            raise ValueError("an assumption needs a sentence key and a text")

    def to_json(self) -> dict[str, str]:
        return {"sentence": self.sentence, "audience": self.audience, "text": self.text}


def method(sentence: str, text: str) -> Assumption:
    """A method assumption: an exhibit served on the defence may give it."""
    return Assumption(sentence, METHOD, text)


def advice(sentence: str, text: str) -> Assumption:
    """Advice for the reviewing officer and the CPS: never in a served output."""
    return Assumption(sentence, ADVICE, text)


def sentences(records: Iterable[Assumption], audiences: Sequence[Audience] = AUDIENCES) -> list[str]:
    """The recorded sentences, each the "; "-joined clauses of one ``sentence`` key whose audience is in
    ``audiences``, in the order first made; a sentence with no such clause is left out."""
    order: list[str] = []
    clauses: dict[str, list[str]] = {}
    for a in records:
        if a.sentence not in clauses:
            order.append(a.sentence)
            clauses[a.sentence] = []
        if a.audience in audiences:
            clauses[a.sentence].append(a.text)
    return ["; ".join(clauses[s]) for s in order if clauses[s]]


def served(records: Iterable[Assumption], stated_elsewhere: Iterable[str] = ()) -> list[str]:
    """What an exhibit served on the defence may give: the method clauses only, sentence by sentence;
    ``stated_elsewhere`` names (by key) the sentences the output already states in a section of its own,
    so that it says each thing once."""
    skip = set(stated_elsewhere)
    return sentences((a for a in records if a.sentence not in skip), (METHOD,))


def advice_only(records: Iterable[Assumption]) -> list[str]:
    """The advice clauses, one line each (the reviewer's note)."""
    return [a.text for a in records if a.audience == ADVICE]
