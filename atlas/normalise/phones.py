"""Phone numbers to identifier URIs, once per distinct value.

``phonenumbers`` parses about 33 k values a second on these machines, so a
two-million-row call record is never parsed row by row: :func:`phone_uri_map` takes
the distinct raw strings and the caller joins the answer back.

Rules (see DESIGN.md, "Known traps"):

* E.164 with the source's region as the default (GB unless told): a US handset's
  ``555-521-5554`` is ``+15555215554``, not a British number.
* Never gate on ``is_valid_number``: the Ofcom drama range 07700 900xxx is not
  "valid" but is exactly what synthetic cases use; ``is_possible_number`` decides.
* Withheld / private / unknown callers and anything unparseable keep their raw text
  as ``tel-raw:<text>``; short codes (999, 101, 5-digit SMS services) are
  ``tel-short:<digits>``. Both are counted, never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

import phonenumbers
import polars as pl

WITHHELD_WORDS: Final = frozenset(
    {"withheld", "private", "private number", "unknown", "no caller id", "anonymous",
     "restricted", "number withheld", "unavailable", "hidden", "blocked", "-1", "-2", "-3"}
)
_DIGITS = re.compile(r"\d")
_PHONE_CHARS = re.compile(r"^[+\d\s().\-/]+$")
MAX_SHORT_CODE_DIGITS: Final = 6


def phone_uri(raw: str, region: str = "GB") -> str:
    """One raw number as written in a source → ``tel:``, ``tel-short:`` or ``tel-raw:``."""
    text = raw.strip().replace("\u00a0", " ").replace("\u200e", "").replace("\u202a", "").replace("\u202c", "")
    if not text or text.lower() in WITHHELD_WORDS:
        return f"tel-raw:{text.lower() or 'empty'}"
    if not _PHONE_CHARS.match(text):
        return f"tel-raw:{text}"
    digits = "".join(_DIGITS.findall(text))
    dialled = "+" + text[2:].lstrip() if text.startswith("00") else text
    if not dialled.startswith("+") and len(digits) <= MAX_SHORT_CODE_DIGITS:
        return f"tel-short:{digits}"
    try:
        number = phonenumbers.parse(dialled, region)
    except phonenumbers.NumberParseException:
        return f"tel-raw:{text}"  # the text as written, not as rewritten for parsing
    if not phonenumbers.is_possible_number(number):
        return f"tel-raw:{text}"
    return "tel:" + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_uri_map(raw_values: Iterable[str | None], region: str = "GB") -> pl.DataFrame:
    """Map each *distinct* raw value to its URI: a two-column frame ``raw``, ``uri``."""
    distinct = sorted({v for v in raw_values if v is not None})
    return pl.DataFrame(
        {"raw": distinct, "uri": [phone_uri(v, region) for v in distinct]},
        schema={"raw": pl.String, "uri": pl.String},
    )


def looks_like_phone(text: str) -> bool:
    """Whether a display name is really a number (WhatsApp shows unsaved contacts so)."""
    t = text.strip().replace("\u00a0", " ").replace("\u202a", "").replace("\u202c", "").replace("\u200e", "")
    return bool(_PHONE_CHARS.match(t)) and len(_DIGITS.findall(t)) >= 7
