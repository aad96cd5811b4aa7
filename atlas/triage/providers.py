"""Who to ask: the network of a number from its range, offline.

phonenumbers ships the carrier each number range was allocated to (the original range
holder), so this works with no network. It is not proof of the network today: the number
may have been ported to another provider, which only a subscriber check (or a
number-portability lookup) confirms. Every answer says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import phonenumbers
from phonenumbers import carrier


@dataclass(frozen=True)
class Provider:
    """The provider to ask about an identifier, and how sure that is."""

    name: str
    """Empty when the range holder is not known."""
    basis: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "basis": self.basis}


PORTED = "the number may have been ported since: a subscriber check confirms the provider"


def range_holder(uri: str) -> Provider:
    """The original range holder of a ``tel:`` number (phonenumbers' offline carrier data)."""
    number = uri.removeprefix("tel:")
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return Provider("", f"{number} is not an international number: the provider is not known from its range")
    name = carrier.name_for_number(parsed, "en")
    if name:
        return Provider(name, f"original range holder of {number} (phonenumbers' offline carrier data); {PORTED}")
    if not phonenumbers.is_valid_number(parsed):
        why = "a range not allocated to any network (such as Ofcom's drama numbers)"
    else:
        why = "a range with no mobile network recorded (a landline or a non-geographic number)"
    return Provider("", f"{number} is in {why}: a subscriber check names the provider")


def provider_for(kind_provider: str, uri: str) -> Provider:
    """The provider of a request: the kind's own (``Meta Platforms``), or the range holder of
    the number when the kind says ``from the number range``."""
    if kind_provider == "from the number range" and uri.startswith("tel:"):
        return range_holder(uri)
    return Provider(kind_provider, "the platform or unit that holds this kind of data")


__all__ = ["PORTED", "Provider", "provider_for", "range_holder"]
