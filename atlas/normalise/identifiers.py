"""Raw identifiers from parsers → identifier URIs that one graph can hold.

Parsers write what the source says: ``phone:07700 900123``, ``name:Dan``,
``instagram:Dan.Example``, ``email:Dan@Example.org``. Here, once per distinct value,
numbers become E.164 (:mod:`atlas.normalise.phones`), a display name is scoped to its
source (``name:<source_id>:Dan``: the same name in two phones is not the same person
until someone links it), and case-insensitive handles are lower-cased.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from atlas.normalise.phones import phone_uri

CASE_INSENSITIVE_SCHEMES: Final = frozenset(
    {"email", "instagram", "snapchat", "telegram", "x", "tiktok", "skype"}
)
KNOWN_SCHEMES: Final = frozenset(
    {"tel", "tel-raw", "tel-short", "phone", "name", "email", "facebook", "instagram",
     "snapchat", "telegram", "signal", "x", "tiktok", "skype", "imei", "imsi", "whatsapp-group",
     "group", "device", "account"}
)


def identifier_uri(raw: str, *, source_id: str, region: str) -> str:
    """One raw identifier → its URI. Unknown schemes are kept as written."""
    scheme, sep, value = raw.partition(":")
    if not sep:
        return f"name:{source_id}:{raw.strip()}"
    scheme = scheme.strip().lower()
    value = value.strip()
    if scheme == "phone":
        return phone_uri(value, region)
    if scheme == "name":
        if value.startswith(f"{source_id}:"):
            return f"name:{value}"
        return f"name:{source_id}:{value}"
    if scheme in CASE_INSENSITIVE_SCHEMES:
        value = value.lstrip("@").lower()
    return f"{scheme}:{value}"


GB_FAST_PATTERN: Final = r"^phone:(?:0|\+?44|0044)([1237]\d{9})$"
"""Clean UK numbers as providers' returns write them, 11 digits from 01/02/03/07 (or
their +44/44/0044 forms): E.164 is +44 and the ten national digits, which is exactly what
``phonenumbers`` gives for them (property-tested). Everything else goes to ``phonenumbers``."""


GB_FAST_SPACED_PATTERN: Final = r"^phone:(?:0|\+?44 ?|0044 ?)([1237](?: ?\d){9})$"
"""The same numbers written in groups with single spaces between digits (``07700 900123``,
``+44 7700 900123``, as handsets and tool exports show them): ``phonenumbers`` reads only
the digits of such a number, so the URI is the one of the same digits unspaced
(property-tested against ``phonenumbers``)."""


def _gb_fast(values: pl.Series) -> pl.Series:
    """URIs for the values the patterns above fit; null for the rest."""
    spaced = values.str.extract(GB_FAST_SPACED_PATTERN, 1).str.replace_all(" ", "", literal=True)
    return pl.select(pl.lit("tel:+44") + pl.coalesce(values.str.extract(GB_FAST_PATTERN, 1), spaced)).to_series()


_FAST_PATH_MIN: Final = 64


def identifier_map(raw_values: pl.Series, *, source_id: str, region: str) -> pl.DataFrame:
    """Distinct raw identifiers → URIs, as a ``raw``/``uri`` frame to join back.

    In a GB case, clean UK numbers are converted with column expressions; only the other
    distinct values pay for ``phonenumbers`` (about 33 k values a second)."""
    distinct = raw_values.drop_nulls().unique().sort()
    # The column expressions cost a few milliseconds however few the values: a handful
    # (the parties to one chat) is quicker through phonenumbers directly.
    use_fast = region.upper() == "GB" and distinct.len() > _FAST_PATH_MIN
    fast = _gb_fast(distinct) if use_fast else pl.repeat(None, distinct.len(), dtype=pl.String, eager=True)
    slow = distinct.filter(fast.is_null()).to_list()
    slow_uris = {v: identifier_uri(v, source_id=source_id, region=region) for v in slow}
    uris = fast.to_list()
    if slow_uris:
        uris = [u if u is not None else slow_uris[v] for u, v in zip(uris, distinct.to_list(), strict=True)]
    return pl.DataFrame({"raw": distinct, "uri": uris}, schema={"raw": pl.String, "uri": pl.String})


def scheme_of(uri: pl.Expr) -> pl.Expr:
    """The scheme of an identifier URI column (``tel``, ``name``, ``instagram`` ...)."""
    return uri.str.extract(r"^([a-z0-9\-]+):", 1)


def display(uri: str) -> str:
    """A URI as a person reads it: ``name:abc123:Dan`` → ``Dan``; ``tel:+44…`` unchanged."""
    if uri.startswith("name:"):
        return uri.split(":", 2)[-1]
    return uri
