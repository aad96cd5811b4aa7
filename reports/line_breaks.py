"""Where a laid-out line may not break: inside a token a person must read, copy or search whole.

LibreOffice and Word break lines by the Unicode line-breaking rules, which allow a break after
every hyphen and between a colon and a plus sign. So the served MG11 printed 'relating to tel:' at
one line's end and '+447700900002' at the next, and 'suspect-' / 'handset.ufdr'; the reviewer's
note printed a link basis as 'same-' / 'messages', an order as 'RO-' / '2026-' / '0042', and a
command as '(--' / 'confirm HANDLE' (s17 and s18 renders). The document model keeps plain text
(the HTML, the tests and every reader see the same words); only the DOCX writer marks where a
line must not break, through :func:`keep_whole`:

* a word joiner (U+2060, invisible) between an identifier's scheme and a '+' ('tel:+44…');
* a non-breaking hyphen (U+2011; the DOCX writer writes Word's own ``w:noBreakHyphen``, which
  every reader, python-docx included, reads back as '-') inside a hyphenated token.

Only a token that fits the line it is laid out in is joined (at most an identifier column,
:data:`reports.document.IDENTIFIER_CHARS`, and less in a narrower table column). A longer one
(a 36-character record UUID) keeps its break points: unbroken it would overflow and be cut at an
arbitrary character instead.
"""

from __future__ import annotations

import re
from typing import Final

from .document import IDENTIFIER_CHARS

WORD_JOINER: Final = "\u2060"
NO_BREAK_HYPHEN: Final = "\u2011"

_SCHEME_PLUS: Final = re.compile(r"(?<=[a-z]:)(?=\+\d)")
"""A colon ending an identifier's scheme ('tel:') before '+' and a digit."""
_TOKEN: Final = re.compile(r"\S+")
"""A run a line could break inside only at a hyphen or after a scheme's colon (LibreOffice does not
break after the '/' of 'figures/figure-weekly-rate.png': joined whole, it was cut 'rate.p' / 'ng')."""


def _join(token: str, fits: int) -> str:
    if len(token) > fits or not any(c.isalnum() for c in token):
        return token
    return _SCHEME_PLUS.sub(WORD_JOINER, token.replace("-", NO_BREAK_HYPHEN))


def keep_whole(text: str, fits: int = IDENTIFIER_CHARS) -> str:
    """``text`` with no line-break opportunity left inside an identifier or a hyphenated token of at most
    ``fits`` characters (no more than :data:`IDENTIFIER_CHARS`; less in a
    column narrower than that: a longer token keeps its break points, because a token that cannot
    break and does not fit is cut at an arbitrary character, 'google-semanti' / 'c-json' in the
    annex's 2 cm parser column). The characters a person reads are unchanged."""
    fits = min(fits, IDENTIFIER_CHARS)
    return _TOKEN.sub(lambda m: _join(m.group(0), fits), text)
