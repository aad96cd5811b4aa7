"""Text as XML can hold it: message text is chosen by the people in the case and may carry
control characters that XML 1.0 forbids (a parser keeps them as data)."""

from __future__ import annotations

import re
from typing import Final

_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def needs_escape(text: str) -> bool:
    """``text`` holds a character XML 1.0 cannot hold, which :func:`xml_safe` writes as ``\\xNN``: a document
    quoting such text must say how it is shown."""
    return _NOT_XML.search(text) is not None


def xml_safe(text: str) -> str:
    """``text`` with each character XML 1.0 cannot hold written as ``\\xNN`` (``\\uNNNN``); the text itself
    (no copy) when it has none, as nearly all text has."""
    if _NOT_XML.search(text) is None:
        return text
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                        text)


__all__ = ["needs_escape", "xml_safe"]
