"""Messages shown to people that name records, with the records as data.

A warning such as "5 identifiers attributed to nobody contacted the victim (tel:+44…,
name:<source id>:D)" names records of the case. The store keeps ids (machines and the audit
need them); a person reads exhibit references (``JA/7, sms rowid 477``), never a hex id. So a
message is made of its words and the records it names (:class:`Named`), and one function,
:meth:`Message.shown`, puts each named record as its exhibit: every output (``atlas conduct``,
the workbench's Warnings tab, the reviewer's note, the HTML report, conduct.json's
``warning_records``) goes through :func:`shown_messages`. Nothing is found by reading the
words: a display name with a comma or a bracket, or words that look like an id, stay as
written.

This module imports nothing heavy: the analysis makes messages, the outputs render them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

NamedKind = Literal["source", "event", "identifier"]


@dataclass(frozen=True)
class Named:
    """A record a message names: a source (its id), an event (``<source id>/<place>``) or an
    identifier (a URI; a display name ``name:<source id>:<name>`` is the name as one source shows it)."""

    kind: NamedKind
    id: str

    def exhibit(self, refs: Mapping[str, str]) -> str | None:
        """The exhibit (``JA/7``) or record (``JA/7, sms rowid 477``) this names; None for an
        identifier that is not a display name, or a source not in ``refs``."""
        from atlas.exhibits import record_ref

        if self.kind == "source":
            return refs.get(self.id)
        if self.kind == "event":
            source_id, _, place = self.id.partition("/")
            return record_ref(refs[source_id], place) if source_id in refs else None
        if self.id.startswith("name:"):
            return refs.get(self.id.split(":", 2)[1])
        return None

    def shown(self, refs: Mapping[str, str]) -> str:
        """As a person reads it: a source or event by its exhibit; a display name as the name and
        the exhibit that shows it (``'D' in JA/16``); any other identifier as it is (``tel:+44…``).
        A record whose source has no exhibit in ``refs`` is "an exhibit", never its id."""
        if self.kind == "identifier":
            if not self.id.startswith("name:"):
                return self.id
            return f"'{self.id.split(':', 2)[2]}' in {self.exhibit(refs) or 'an exhibit'}"
        return self.exhibit(refs) or "an exhibit"

    def to_json(self, refs: Mapping[str, str]) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "exhibit": self.exhibit(refs), "shown": self.shown(refs)}


Part = str | Named


@dataclass(frozen=True)
class Message:
    """Words and the records they name, in order. :attr:`text` is the stored sentence (ids, as
    machines and the audit read it); :meth:`shown` the sentence a person reads."""

    parts: tuple[Part, ...]

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.id for p in self.parts)

    @property
    def names(self) -> tuple[Named, ...]:
        return tuple(p for p in self.parts if isinstance(p, Named))

    def shown(self, refs: Mapping[str, str]) -> str:
        return "".join(p if isinstance(p, str) else p.shown(refs) for p in self.parts)

    def to_json(self, refs: Mapping[str, str]) -> dict[str, Any]:
        return {"text": self.shown(refs), "stored": self.text, "names": [n.to_json(refs) for n in self.names]}

    def __str__(self) -> str:
        return self.text

    def to_parts(self) -> list[str | dict[str, str]]:
        """The message as stored data (JSON): its words as strings, each named record as
        ``{"kind": ..., "id": ...}`` (:meth:`from_parts` gives it back)."""
        return [p if isinstance(p, str) else {"kind": p.kind, "id": p.id} for p in self.parts]

    @classmethod
    def from_parts(cls, parts: Iterable[Any]) -> Message:
        """A message from :meth:`to_parts`'s data."""
        return cls(tuple(p if isinstance(p, str) else Named(p["kind"], str(p["id"])) for p in parts))


def message(*parts: Part) -> Message:
    """A message from its words and named records (adjacent words joined; empty words dropped)."""
    out: list[Part] = []
    for p in parts:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] += p
        elif p != "":
            out.append(p)
    return Message(tuple(out))


def joined(named: Iterable[Named], sep: str = ", ") -> tuple[Part, ...]:
    """``named`` as message parts separated by ``sep`` (a list of records inside a sentence)."""
    out: list[Part] = []
    for i, n in enumerate(named):
        if i:
            out.append(sep)
        out.append(n)
    return tuple(out)


def as_message(value: Message | str) -> Message:
    """A message; a plain string (words that name no record: the s2A verdict's, a report's own) as
    one with no named record. Its words are never searched for ids."""
    return value if isinstance(value, Message) else Message((value,) if value else ())


def shown_messages(refs: Mapping[str, str], *groups: Iterable[Message | str]) -> list[str]:
    """The messages a person reads, in one list for every output: each group in order, a message
    already said (the same stored sentence) left out, each as :meth:`Message.shown`."""
    said: list[Message] = []
    seen: set[str] = set()
    for group in groups:
        for m in map(as_message, group):
            if m.text not in seen:
                seen.add(m.text)
                said.append(m)
    return [m.shown(refs) for m in said]


__all__ = ["Message", "Named", "NamedKind", "Part", "as_message", "joined", "message", "shown_messages"]
