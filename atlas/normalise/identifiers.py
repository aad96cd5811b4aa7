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


def identifier_map(raw_values: pl.Series, *, source_id: str, region: str) -> pl.DataFrame:
    """Distinct raw identifiers → URIs, as a ``raw``/``uri`` frame to join back."""
    distinct = raw_values.drop_nulls().unique().sort().to_list()
    return pl.DataFrame(
        {"raw": distinct, "uri": [identifier_uri(v, source_id=source_id, region=region) for v in distinct]},
        schema={"raw": pl.String, "uri": pl.String},
    )


def scheme_of(uri: pl.Expr) -> pl.Expr:
    """The scheme of an identifier URI column (``tel``, ``name``, ``instagram`` ...)."""
    return uri.str.extract(r"^([a-z0-9\-]+):", 1)


def display(uri: str) -> str:
    """A URI as a person reads it: ``name:abc123:Dan`` → ``Dan``; ``tel:+44…`` unchanged."""
    if uri.startswith("name:"):
        return uri.split(":", 2)[-1]
    return uri
