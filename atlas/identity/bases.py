"""The documented bases an identity link can rest on, and how strong each is.

``proven`` bases are documentary: a record (a subscriber record, a contact card, an
account profile, a handset's IMEI in call data, the accounts on a seized device) says the
two identifiers go together. ``inferred`` bases are statistical: similar display names,
or a new identifier taking over when another was blocked. DOMAIN.md: an alias link
"cannot show on its own that one person used both, where the basis is only inferred".

Whatever the basis, discovery only ever *proposes*; an officer confirms or rejects.
``attributed`` (case.toml) and ``officer-decision`` are the officer's own word.
"""

from __future__ import annotations

from typing import Final, Literal

Strength = Literal["proven", "inferred"]

BASES: Final[dict[str, tuple[Strength, str]]] = {
    "attributed": ("proven", "attributed to the party by the officer in case.toml"),
    "subscriber-record": ("proven", "a network's subscriber record names the same subscriber"),
    "same-imei": ("proven", "used in the same handset (same IMEI) according to call data or subscriber records"),
    "account-profile": ("proven", "account or profile data (a return or a download) names the number or email"),
    "contact-card": ("proven", "the same contact-card entry in a seized phone lists both"),
    "device-owner": ("proven", "the owner of a download and an account used on that device"),
    "same-messages": ("inferred", "the same messages (same words, minutes apart) are in two sources, sent under one "
                                  "identifier in each (e.g. a display name in a 'Download your information' export and "
                                  "the account in a phone download)"),
    "display-name": ("inferred", "display names are similar across sources or platforms (fuzzy match)"),
    "temporal-succession": ("inferred", "a new identifier starts contacting the victim (or the victim's network) right after "
                                        "another was blocked or went quiet, with similar behaviour"),
    "officer-decision": ("proven", "an officer linked them on their own knowledge (the reason is recorded with the decision)"),
}
"""Basis name → (strength, what it means). The names are the ones ``--basis`` accepts."""

DOCUMENTARY: Final = tuple(b for b, (s, _) in BASES.items() if s == "proven")
INFERRED: Final = tuple(b for b, (s, _) in BASES.items() if s == "inferred")


def strength_of(basis: str) -> Strength:
    """``proven`` for documentary bases, ``inferred`` for statistical (and unknown) ones."""
    return BASES[basis][0] if basis in BASES else "inferred"


def describe(basis: str) -> str:
    return BASES[basis][1] if basis in BASES else basis
