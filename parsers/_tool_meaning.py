"""Tool-export tables in a layout no template names, mapped by the meaning of their headers.

Vendors rename columns between versions and analysts choose their own, so a messages,
calls or contacts table that fits no template of ``tool_exports.toml`` is read through the
vocabulary in ``parsers/templates/tool_export_vocabulary.toml``: each header is looked up
as written and without its bracketed qualifier; the table's kind follows from what it holds
(a time and a text: messages; a time and a duration or call type: calls; a name and a
number or e-mail without a time: contacts); a "Type" column is a direction, call type or
folder by its words. The proposal becomes an ordinary template :class:`Table`, so it is
read by exactly the code of a shipped one; anything uncertain is a problem named in the
error, with the best partial mapping.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from atlas.errors import AtlasError
from parsers._tabular import norm_header

if TYPE_CHECKING:
    from parsers.tool_export import Table

VOCABULARY_PATH: Final = Path(__file__).resolve().parent / "templates" / "tool_export_vocabulary.toml"
_TYPE_HEADERS: Final = frozenset({"type", "message type", "call type/direction", "kind"})


@cache
def vocabulary() -> dict[str, tuple[str, ...]]:
    try:
        data = tomllib.loads(VOCABULARY_PATH.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AtlasError(f"{VOCABULARY_PATH}: cannot read the tool-export vocabulary ({exc})") from exc
    return {k: tuple(norm_header(n) for n in v) for k, v in data.items()}


def _base(header: str) -> str:
    return norm_header(re.sub(r"\s*[\(\[][^\)\]]*[\)\]]", " ", header))


@dataclass
class ToolProposal:
    header_row: int
    kind: str = ""
    mapping: dict[str, str] = field(default_factory=dict)
    """Header as written → field."""
    unread: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.kind)

    def describe(self) -> str:
        return ", ".join(f"{h!r} → {f}" for h, f in self.mapping.items())

    def toml(self, source: str) -> str:
        """The proposal as a tool-export template file for ``--map`` (review it first)."""
        import json

        q = json.dumps
        lines = [f"# Proposed tool-export mapping for {source}, inferred by meaning by `atlas map`.",
                 "# Review every line against the export, then: atlas ingest CASE FILE --map THIS_FILE",
                 "# The shape is that of parsers/templates/tool_exports.toml (see its header)."]
        lines += [f"# TO DO: {p}" for p in self.problems]
        lines += [f"# not read: {h!r}" for h in self.unread]
        kind = self.kind or "messages"
        keys = {h: (c.key if (c := _timed_column(h, f)) is not None else h) for h, f in self.mapping.items()}
        needed = [keys[h] for h, f in self.mapping.items()
                  if f in ("timestamp", "date", "time", "text", "party", "from", "to", "parties", "duration",
                           "call_type", "name", "phone")]
        channel = {"messages": "sms", "calls": "voice"}.get(kind, "phonebook")
        lines += ["", "[mapped]", f"tool = {q('mapped by meaning from ' + Path(source).name)}", "",
                  f"[mapped.{kind}]", f"required = {q(needed)}", f"channel = {q(channel)}",
                  f"[mapped.{kind}.columns]"]
        lines += [f"{q(keys[h])} = {q(f)}" for h, f in self.mapping.items()]
        return "\n".join(lines) + "\n"

    def table(self, shared_values: dict[str, dict[str, Any]]) -> Table:
        from parsers.tool_export import Table as TableType
        from parsers.tool_export import _column

        channel = {"messages": "sms", "calls": "voice"}.get(self.kind, "phonebook")
        columns = tuple(_timed_column(h, f) or _column(h, f) for h, f in self.mapping.items())
        return TableType("mapped by meaning", self.kind, channel, columns, columns, shared_values)


_ZONE: Final = r"(?:(?P<utc>utc|gmt|z)|(?:utc|gmt)\s*(?P<offset>[+-]\d{1,2}(?::?\d{2})?))"
_ORDER: Final = r"(?P<order>[dmy]{1,4}[/.\-][dmy]{1,4}[/.\-][dmy]{1,4})"


def _timed_column(header: str, target: str) -> Any:
    """For a date/time header that writes a zone or a date order in brackets ("Date (UTC+1)",
    "Sent (dd/mm/yyyy)"), a column whose pattern hands them to the reader (the named groups
    ``utc``/``offset``/``order`` of tool_exports.toml); None for any other header."""
    from parsers.tool_export import Column, _norm

    if target not in ("timestamp", "date", "time"):
        return None
    text = _norm(header)
    m = re.search(r"[\(\[]([^\)\]]*)[\)\]]", text)
    if not m:
        return None
    qualifier = m.group(1).strip()
    group = _ZONE if re.fullmatch(_ZONE, qualifier) else _ORDER if re.fullmatch(_ORDER, qualifier) else None
    if group is None:
        return None
    pattern = "^" + re.escape(text[: m.start()]) + r"[\(\[]\s*" + group + r"\s*[\)\]]" + re.escape(text[m.end():]) + "$"
    return Column(f"re:{pattern}", target, re.compile(pattern, re.IGNORECASE))


def _field_of(header: str, vocab: dict[str, tuple[str, ...]]) -> list[str]:
    full, base = norm_header(header), _base(header)
    for name in (full, base):
        hits = [f for f, names in vocab.items() if name in names]
        if hits:
            return hits
    return []


def propose(rows: list[list[str]], values: dict[str, dict[str, Any]], *, scan: int = 15) -> ToolProposal | None:
    """A mapping for the table whose first rows are ``rows`` (None when no row names at
    least three known fields)."""
    vocab = vocabulary()
    best: tuple[int, int] | None = None
    for i, row in enumerate(rows[:scan]):
        known = sum(1 for h in row if h and h.strip() and (_field_of(h, vocab) or norm_header(h) in _TYPE_HEADERS))
        if known >= 3 and (best is None or known > best[1]):
            best = (i, known)
    if best is None:
        return None
    idx = best[0]
    headers = [str(h) for h in rows[idx]]
    sample = [r for r in rows[idx + 1:] if any(c and c.strip() for c in r)]
    prop = ToolProposal(header_row=idx)
    claimed: dict[str, str] = {}
    for col, header in enumerate(headers):
        if not header or not header.strip():
            continue
        fields = _field_of(header, vocab)
        if not fields and norm_header(header) in _TYPE_HEADERS:
            words = {norm_header(r[col]) for r in sample if col < len(r) and r[col].strip()}
            fields = [f for f in ("direction", "call_type", "folder") if words and words <= set(values.get(f, {}))][:1]
            if not fields:
                prop.problems.append(f"{header!r}: its words ({', '.join(sorted(words)) or 'none'}) are not "
                                     "direction, call type or folder words")
                continue
        if not fields:
            prop.unread.append(header)
            continue
        if len(fields) > 1:
            prop.problems.append(f"{header!r} could be {' or '.join(fields)}")
            continue
        f = fields[0]
        if f in claimed.values() and f not in ("phone", "email", "account", "ignore", "record"):
            other = next(h for h, v in claimed.items() if v == f)
            prop.problems.append(f"{f}: {other!r} and {header!r} both fit; say which in a mapping file")
            continue
        claimed[header] = f
    prop.mapping = claimed
    have = set(claimed.values())
    timed = "timestamp" in have or ("date" in have and "time" in have) or "date" in have
    if "timestamp" in have and ({"date", "time"} & have):
        prop.problems.append("time: both a date-time column and separate date/time columns; say which")
    if timed and ({"text", "subject", "attachments"} & have):
        prop.kind = "messages"
    elif timed and ({"duration", "call_type"} & have):
        prop.kind = "calls"
    elif not timed and "name" in have and ({"phone", "email", "account"} & have):
        prop.kind = "contacts"
    else:
        prop.problems.append("kind: not messages (a time and a text), calls (a time and a duration or call type) "
                             "or contacts (a name and a number, no time)")
    if prop.kind in ("messages", "calls") and not ({"party", "from", "to", "parties", "party_name"} & have):
        prop.problems.append("parties: no column names the other party (number, from/to or parties)")
    return prop
