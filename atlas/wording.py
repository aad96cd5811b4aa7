"""Small pieces of English every output shares, so that no output says "1 days" or "73 matchs"."""

from __future__ import annotations


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """``n`` and the noun in the right number: ``1 day``, ``2 days``, ``3 matches``, ``1 possible breach``.

    The plural is ``plural_form`` when given, else the singular with ``es`` after a
    sibilant ending (``match`` → ``matches``, ``breach`` → ``breaches``, ``box``) and ``s``
    otherwise. Only the last word of a phrase changes.
    """
    return f"{n} {noun(n, singular, plural_form)}"


def noun(n: int, singular: str, plural_form: str | None = None) -> str:
    """The noun alone, in the number ``n`` calls for (see :func:`plural`)."""
    if n == 1:
        return singular
    if plural_form is not None:
        return plural_form
    if singular.endswith(("s", "sh", "ch", "x", "z")):
        return singular + "es"
    return singular + "s"


__all__ = ["noun", "plural"]
