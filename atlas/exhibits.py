"""Exhibit references: how every output names a record for a person (``JA/7, sms rowid 477``).

A person must be able to go from any finding to the exhibit that proves it, so no output
shows the 16-hex source id a record is stored under: it shows the source's exhibit
reference (the officer's prefix and a number) and the place in it (``source_ref``).
Machines keep ``source_id``; an ``exhibit`` field sits beside it.

Exhibit numbers are decisions kept in the case database (table ``report_exhibits``):
assigned the first time an item is exhibited, never changed and never reused, so that
``JA/3`` keeps meaning the same file once a statement has cited it. Sources are numbered
in the order they were received (the audit log's ingest order); :func:`ingest` numbers
new sources as it commits them, and :func:`source_refs` numbers any source a store
made before that had (in the same order), so the CLI, the TUI and the reports all read
the same numbers.

One rule, two forms: :func:`record_ref` formats one record; :func:`record_ref_expr` is
the same rule as a Polars expression over whole columns, built from it and tested equal
to it.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from atlas.store import Case

if TYPE_CHECKING:
    from atlas.messages import Message

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS report_exhibits (
    key TEXT PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    assigned_at TEXT NOT NULL
);
"""
SEPARATOR: Final = ", "
BLANK: Final = " \t\r\n"
"""Characters trimmed from a place (the same set in both forms of the rule)."""


# --- the rule --------------------------------------------------------------------------

def record_ref(exhibit: str, source_ref: str | None) -> str:
    """``JA/7, sms rowid 477``: the exhibit and the place in it (the exhibit alone when the
    source gives no place)."""
    ref = (source_ref or "").strip(BLANK)
    return f"{exhibit}{SEPARATOR}{ref}" if ref else exhibit


@dataclass(frozen=True)
class RecordRef:
    """A record by its exhibit (``JA/7``) and its place in it (``sms rowid 477``), kept apart so
    that an output wanting the exhibit alone reads :attr:`exhibit` instead of cutting the formatted
    reference; ``str()`` formats it once by :func:`record_ref`."""

    exhibit: str
    place: str | None = None

    def __str__(self) -> str:
        return record_ref(self.exhibit, self.place)


def record_ref_expr(refs: Mapping[str, str], source_id: str | pl.Expr = "source_id",
                    source_ref: str | pl.Expr = "source_ref") -> pl.Expr:
    """:func:`record_ref` over columns: the exhibit of each row's source, then its place.

    A source with no exhibit number gives null (never its hex id). Built from the same
    separator and the same "no place" rule as the plain function, and tested equal to it.
    """
    sid = pl.col(source_id) if isinstance(source_id, str) else source_id
    place = (pl.col(source_ref) if isinstance(source_ref, str) else source_ref).cast(pl.String).str.strip_chars(BLANK)
    exhibit = sid.replace_strict(list(refs), list(refs.values()), default=None, return_dtype=pl.String)
    return (pl.when(place.is_null() | (place == "")).then(exhibit)
            .otherwise(pl.concat_str([exhibit, pl.lit(SEPARATOR), place])))


# --- lists of references in one cell ---------------------------------------------------------

LIST_SEPARATOR: Final = "; "
"""Between the items of a list in one cell (a table row's ``exhibits``, a record's ``cited_by``)."""
QUOTE: Final = '"'
_NEEDS_QUOTES: Final = r'[;"\r\n]|^[ \t]|[ \t]$|^$'
"""An item holding a ``;``, a double quote or a line break, beginning or ending with a blank, or
empty, is written in double quotes (the same pattern in both forms of the rule)."""
_NEEDS_QUOTES_RE: Final = re.compile(_NEEDS_QUOTES)

LIST_RULE: Final = (
    "A cell listing several items (the exhibits column of a table, the cited_by column of events.csv) separates "
    "them with a semicolon and a space. An item that itself holds a semicolon, a double quote or a line break (an "
    "exhibit's sheet or place name can) is written in double quotes, each double quote inside it doubled, as in a "
    "CSV file; so the cell splits back into its items at each semicolon outside double quotes (in Python: "
    "csv.reader([cell], delimiter=';', skipinitialspace=True)), and each item of an exhibits column is the exhibit "
    "column of exactly one row of events.csv."
)
""":func:`join_list` in words, for the outputs that serve such lists (the technical annex)."""


def list_item(text: str) -> str:
    """One item of a listed cell as written: as it is, or in double quotes with each ``"`` doubled
    where :data:`_NEEDS_QUOTES` says a plain split could not give it back."""
    if _NEEDS_QUOTES_RE.search(text):
        return QUOTE + text.replace(QUOTE, QUOTE * 2) + QUOTE
    return text


def join_list(items: Iterable[object]) -> str:
    """Items (exhibit references, labels) in one cell, ``; ``-separated, each by :func:`list_item`:
    :func:`split_list` gives them back exactly, whatever they hold. The one rule every served
    listed cell is written by; :func:`join_list_expr` is the same rule over a list column."""
    return LIST_SEPARATOR.join(list_item(str(i)) for i in items)


def split_list(cell: str) -> list[str]:
    """The items of a cell :func:`join_list` wrote (its inverse; ``""`` is no items)."""
    out: list[str] = []
    i, n = 0, len(cell)
    if n == 0:
        return out
    while True:
        if cell.startswith(QUOTE, i):
            parts: list[str] = []
            j = i + 1
            while True:
                k = cell.find(QUOTE, j)
                if k < 0:
                    raise ValueError(f"unterminated quote in {cell!r}")
                parts.append(cell[j:k])
                if cell.startswith(QUOTE, k + 1):
                    parts.append(QUOTE)
                    j = k + 2
                    continue
                i = k + 1
                break
            out.append("".join(parts))
            if i == n:
                return out
            if not cell.startswith(LIST_SEPARATOR, i):
                raise ValueError(f"text after a quoted item in {cell!r}")
            i += len(LIST_SEPARATOR)
        else:
            k = cell.find(LIST_SEPARATOR, i)
            if k < 0:
                out.append(cell[i:])
                return out
            out.append(cell[i:k])
            i = k + len(LIST_SEPARATOR)


def list_item_expr(item: pl.Expr) -> pl.Expr:
    """:func:`list_item` over a string column."""
    return (pl.when(item.str.contains(_NEEDS_QUOTES))
            .then(pl.concat_str([pl.lit(QUOTE), item.str.replace_all(QUOTE, QUOTE * 2, literal=True), pl.lit(QUOTE)]))
            .otherwise(item))


def join_list_expr(items: pl.Expr) -> pl.Expr:
    """:func:`join_list` over a list column of strings (tested equal to it)."""
    return items.list.eval(list_item_expr(pl.element())).list.join(LIST_SEPARATOR)


# --- numbers kept in the case ---------------------------------------------------------------

def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def assign_numbers(case: Case, keys: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Exhibit numbers for ``keys`` (``(key, kind)`` in exhibiting order), assigning new ones.

    Existing numbers are never changed; new keys get the next free numbers in the order
    given, and each assignment is written to the audit log (in the same transaction).
    """
    with case.db() as con:
        return assign_within(con, keys, lambda detail: case.audit("exhibit-number", detail, con),
                             case.manifest.exhibit_prefix)


def assign_within(con: sqlite3.Connection, keys: Sequence[tuple[str, str]],
                  audit: Callable[[dict[str, object]], None], prefix: str) -> dict[str, int]:
    """:func:`assign_numbers` inside the caller's open transaction: ``audit`` writes each
    assignment's audit row through the same connection, so a number and its row commit (or
    roll back) together, and with whatever else the transaction holds (an ingest's data)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            con.execute(statement)  # not executescript: that would commit the caller's transaction
    known = dict(con.execute("SELECT key, number FROM report_exhibits").fetchall())
    top = max(known.values(), default=0)
    for key, kind in keys:
        if key in known:
            continue
        top += 1
        try:
            con.execute("INSERT INTO report_exhibits (key, number, kind, assigned_at) VALUES (?, ?, ?, ?)",
                        (key, top, kind, _now()))
        except sqlite3.IntegrityError:  # pragma: no cover - a concurrent run assigned it first
            top = con.execute("SELECT MAX(number) FROM report_exhibits").fetchone()[0] + 1
            con.execute("INSERT INTO report_exhibits (key, number, kind, assigned_at) VALUES (?, ?, ?, ?)",
                        (key, top, kind, _now()))
        known[key] = top
        audit({"key": key, "number": top, "prefix": prefix})
    return {k: known[k] for k, _ in keys}


def number_sources_within(con: sqlite3.Connection, sources: pl.DataFrame,
                          audit: Callable[[dict[str, object]], None], prefix: str) -> dict[str, int]:
    """Number every source of ``sources`` not yet numbered, in the order received (the
    ingest rows of the audit log as this connection sees them, uncommitted ones included):
    how a commit numbers its new sources in its own transaction (see
    :meth:`atlas.store.Case.commit`)."""
    if sources.height == 0:
        return {}
    rows = con.execute("SELECT seq, action, detail FROM audit WHERE action = 'ingest' ORDER BY seq").fetchall()
    audit_rows = [{"seq": seq, "action": action, "detail": json.loads(detail)} for seq, action, detail in rows]
    sha = dict(sources.select("source_id", "sha256").iter_rows())
    order = source_order(sources, audit_rows)
    return assign_within(con, [(f"source:{sha[s]}", "source") for s in order], audit, prefix)


def ingest_records(audit: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """SHA-256 → the first audit record of its ingest (the moment the source was received)."""
    out: dict[str, dict[str, Any]] = {}
    for rec in audit:
        detail = rec.get("detail") or {}
        if rec.get("action") == "ingest" and isinstance(detail, dict) and detail.get("sha256"):
            out.setdefault(str(detail["sha256"]), rec)
    return out


def exhibit_key(exhibit: str) -> tuple[str, int]:
    """Sort key of an exhibit reference: ``JA/7`` before ``JA/10`` (an unnumbered one first). A
    reference is made as ``<prefix>/<number>`` and the number is the part after the *last* ``/``, so
    a prefix holding a ``/`` (``OP/JA/7``) keeps its whole prefix and its number."""
    prefix, sep, number = exhibit.rpartition("/")
    if not sep:
        return exhibit, 0
    return prefix, int(number) if number.isdigit() else 0


def exhibit_sort_keys(column: str = "exhibit") -> list[pl.Expr]:
    """:func:`exhibit_key` as Polars sort keys over a column of exhibit references."""
    col = pl.col(column)
    return [pl.when(col.str.contains("/", literal=True)).then(col.str.extract(r"^(.*)/[^/]*$", 1)).otherwise(col),
            col.str.extract(r"/(\d+)$", 1).cast(pl.Int64).fill_null(0)]


_PLACE_NUMBER: Final = re.compile(r"[0-9]{1,18}")


def record_key(ref: RecordRef) -> tuple[str, int, str, int, str, str]:
    """Sort key of a record (``JA/7, sms rowid 477``) as a person reads a list of them: by exhibit
    (``JA/7`` before ``JA/10``), then by the place's words, then by its first number (``row 9``
    before ``row 10``). A served table lists a finding's records in this order, not in the order of
    the store ids behind them, which means nothing to a reader. Read from the record's exhibit and
    place as data (a place or an exhibit holding a comma is never cut out of the formatted text)."""
    place = (ref.place or "").strip(BLANK)
    number = _PLACE_NUMBER.search(place)
    return (*exhibit_key(ref.exhibit), _PLACE_NUMBER.sub("", place), int(number.group(0)) if number else -1, place,
            str(ref))


def sorted_refs(refs: Iterable[RecordRef]) -> list[RecordRef]:
    """Records in :func:`record_key` order."""
    return sorted(refs, key=record_key)


def source_order(sources: pl.DataFrame, audit: Iterable[dict[str, Any]]) -> list[str]:
    """Source ids in the order they were received (audit sequence), then by id."""
    seq = {sha: int(rec["seq"]) for sha, rec in ingest_records(audit).items()}
    rows = sources.select("source_id", "sha256").iter_rows()
    return [sid for sid, _ in sorted(rows, key=lambda r: (seq.get(r[1], 1 << 62), r[0]))]


def source_numbers(case: Case) -> dict[str, int]:
    """Source id → its exhibit number (the ``7`` of ``JA/7``), numbering any source not yet numbered,
    in the order received. Every source of the case has one afterwards; numbers already given never
    change. A list ordered by exhibit takes the number from here, never out of the formatted reference."""
    sources = case.sources()
    if sources.height == 0:
        return {}
    sha = dict(sources.select("source_id", "sha256").iter_rows())
    order = source_order(sources, case.audit_log())
    numbers = assign_numbers(case, [(f"source:{sha[s]}", "source") for s in order])
    return {s: numbers[f"source:{sha[s]}"] for s in order}


def source_refs(case: Case, numbers: Mapping[str, int] | None = None) -> dict[str, str]:
    """Source id → its exhibit reference (``JA/7``): :func:`source_numbers` (or ``numbers``, already
    read) with the case's prefix."""
    prefix = case.manifest.exhibit_prefix
    return {s: f"{prefix}/{n}" for s, n in (source_numbers(case) if numbers is None else numbers).items()}


def exhibit_ref(case: Case, source_id: str, source_ref: str | None) -> str:
    """``JA/7, sms rowid 477`` for one record of ``case`` (see :func:`record_ref`).

    For many records use :func:`source_refs` once and :func:`record_ref_expr`.
    """
    refs = source_refs(case)
    if source_id not in refs:
        raise KeyError(f"no source {source_id!r} in the case")
    return record_ref(refs[source_id], source_ref)


def event_ref(refs: Mapping[str, str], event_id: str) -> str:
    """``JA/7, sms rowid 477`` for an event id (``<source_id>/<source_ref>``, DESIGN.md): :func:`event_record`
    formatted."""
    return str(event_record(refs, event_id))


def cited_ref(refs: Mapping[str, str], value: str) -> str:
    """A record cited by id (``<source_id>/<place>``) as its exhibit record; anything else (an
    officer's own words, e.g. ``exhibit AB/3 row 12``) as written."""
    source_id, sep, _ = value.partition("/")
    return event_ref(refs, value) if sep and source_id in refs else value


def event_record(refs: Mapping[str, str], event_id: str) -> RecordRef:
    """An event id (``<source_id>/<source_ref>``) as its record: exhibit and place apart
    (``str()`` of it is :func:`event_ref`)."""
    source_id, _, source_ref = event_id.partition("/")
    return RecordRef(refs[source_id], source_ref)


def event_records(refs: Mapping[str, str], event_ids: Iterable[str]) -> tuple[RecordRef, ...]:
    """:func:`event_record` of each id, in order."""
    return tuple(event_record(refs, e) for e in event_ids)


def event_refs(refs: Mapping[str, str], event_ids: Iterable[str]) -> tuple[str, ...]:
    """:func:`event_ref` of each id, in order."""
    return tuple(event_ref(refs, e) for e in event_ids)


def event_ref_expr(refs: Mapping[str, str], event_id: pl.Expr) -> pl.Expr:
    """:func:`event_ref` over a column of event ids (split at the first ``/``, as the plain rule does)."""
    parts = event_id.str.splitn("/", 2)
    return record_ref_expr(refs, parts.struct.field("field_0"), parts.struct.field("field_1"))


def event_refs_expr(refs: Mapping[str, str], event_ids: str | pl.Expr = "event_ids") -> pl.Expr:
    """:func:`event_refs` over a list column of event ids."""
    col = pl.col(event_ids) if isinstance(event_ids, str) else event_ids
    return col.list.eval(event_ref_expr(refs, pl.element()))


_NAME_URI: Final = re.compile(r"name:([0-9a-f]{16}):([^,;)\]]+)")
_SOURCE_ID: Final = re.compile(r"\b([0-9a-f]{16})\b(/?)")


def readable_text(refs: Mapping[str, str], text: str) -> str:
    """A stored free text as a person reads it: only for an identity link's reason that is text and
    nothing else (an officer's words, or a row of a links ledger an older Atlas wrote, before reasons
    were stored with the records they name; :meth:`atlas.identity.ledger.Link.reason_shown`). A reason
    Atlas writes now, like the analysis's warnings, carries its records as data (:mod:`atlas.messages`)
    and is never read by this. Each display-name identifier put as the name and the exhibit that
    shows it (``name:<source id>:D`` → ``'D' in JA/16``), then each source id of the case as its
    exhibit (``in source 586ad4d5d21525fa`` → ``in source JA/13``; ``e.g. 586ad4d5d21525fa/sms rowid
    477`` → ``e.g. JA/13, sms rowid 477``). Kept as it was, so an old ledger shows the same words
    (its limits too: a name ends at the first comma or bracket, a source id is 16 hex digits)."""
    def put(m: re.Match[str]) -> str:
        exhibit = refs.get(m.group(1))
        if exhibit is None:
            return m.group(0)
        return exhibit + (", " if m.group(2) else "")

    text = _NAME_URI.sub(lambda m: f"'{m.group(2)}' in {refs.get(m.group(1), 'an exhibit')}", text)
    return _SOURCE_ID.sub(put, text)


def identifier_label(refs: Mapping[str, str], uri: str) -> str:
    """An identifier as a person reads it: a display name says which exhibit shows it
    (``name:<source_id>:Dan`` → ``Dan (name in JA/7)``); other URIs are shown as they are."""
    if uri.startswith("name:"):
        _, source_id, name = uri.split(":", 2)
        return f"{name} (name in {refs[source_id]})" if source_id in refs else name
    return uri


@dataclass(frozen=True)
class PartyInfo:
    """A case.toml party as a reader names it (its id is the ledger's ``party:<id>`` key, never shown)."""

    id: str
    role: str
    name: str


def case_parties(case: Case) -> dict[str, PartyInfo]:
    """The case's parties by id, for :func:`side_label` (read from case.toml once by the caller)."""
    return {p.id: PartyInfo(p.id, p.role, p.name) for p in case.manifest.parties}


def side_label(refs: Mapping[str, str], parties: Mapping[str, PartyInfo], value: str) -> str:
    """One side of an identity link as a reader sees it: a party by the name case.toml gives it and its
    role (``Simon Suspect (suspect)``, as the i2 chart names its person), never its key ``party:suspect``;
    an identifier as :func:`identifier_label` shows it (``Dan (name in JA/21)``). One rule for the CLI,
    the workbench, decision messages and the exports, so a link reads the same wherever it is met."""
    if value.startswith("party:") and (party := parties.get(value.removeprefix("party:"))) is not None:
        return f"{party.name or party.id} ({party.role})"
    return identifier_label(refs, value)


def readable_warnings(refs: Mapping[str, str], analysis: Iterable[Message | str], verdict: Iterable[Message | str] = (),
                      extra: Iterable[Message | str] = ()) -> list[str]:
    """The warnings a person reads, in one list for every output (the reports, the workbench,
    ``atlas conduct``): the analysis's, then the s2A verdict's not already said, then ``extra``,
    each with the records it names (:class:`atlas.messages.Named`) as their exhibits
    (:func:`atlas.messages.shown_messages`). The words are never searched for ids."""
    from atlas.messages import shown_messages

    return shown_messages(refs, analysis, verdict, extra)


_ID_PARTNERS: Final = {"event_id": "exhibit", "contact_id": "contact_exhibit", "contact_ids": "contact_exhibits"}


def _partner(key: str) -> str | None:
    """The exhibit key that sits beside a store-id key (``event_ids`` → ``exhibits``,
    ``victim_event_ids`` → ``victim_exhibits``, ``example_event_ids`` → ``example_exhibits``)."""
    if key.endswith("event_ids"):
        return key.removesuffix("event_ids") + "exhibits"
    return _ID_PARTNERS.get(key)


def beside_ids(refs: Mapping[str, str], data: Any) -> Any:
    """A JSON-able result with every record's exhibit reference beside its store id, for machines:
    each ``…event_ids`` list gets its ``…exhibits`` list, each ``event_id`` its ``exhibit``, each
    ``contact_id`` (``contact/<event id>``) the ``contact_exhibit`` it is keyed on, where the
    result does not carry them already. Ids are kept; nothing else changes. A value that is not
    an id of this case's sources is left without a partner (never shown as a hex id)."""
    def ref(value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        source_id, sep, _ = value.removeprefix("contact/").partition("/")
        return event_ref(refs, value.removeprefix("contact/")) if sep and source_id in refs else None

    if isinstance(data, list):
        return [beside_ids(refs, v) for v in data]
    if not isinstance(data, dict):
        return data
    out = {k: beside_ids(refs, v) for k, v in data.items()}
    for key, value in data.items():
        partner = _partner(key)
        if partner is None or partner in data:
            continue
        if isinstance(value, list | tuple):
            named = [ref(v) for v in value]
            if all(n is not None for n in named):  # an empty list gets an empty one
                out[partner] = named
        elif (one := ref(value)) is not None:
            out[partner] = one
    return out


def with_exhibit(frame: pl.DataFrame, refs: Mapping[str, str], *, after: str = "source_id") -> pl.DataFrame:
    """``frame`` with an ``exhibit`` column (``JA/7, sms rowid 477``) placed right after ``after``."""
    out = frame.with_columns(record_ref_expr(refs).alias("exhibit"))
    cols = [c for c in frame.columns if c != "exhibit"]
    at = cols.index(after) + 1 if after in cols else len(cols)
    return out.select([*cols[:at], "exhibit", *cols[at:]])


__all__ = [
    "SCHEMA",
    "PartyInfo",
    "RecordRef",
    "assign_numbers",
    "assign_within",
    "beside_ids",
    "case_parties",
    "cited_ref",
    "event_record",
    "event_records",
    "event_ref",
    "event_ref_expr",
    "event_refs",
    "event_refs_expr",
    "exhibit_ref",
    "identifier_label",
    "ingest_records",
    "join_list",
    "join_list_expr",
    "list_item",
    "list_item_expr",
    "number_sources_within",
    "record_ref",
    "record_ref_expr",
    "side_label",
    "source_order",
    "source_refs",
    "split_list",
    "with_exhibit",
]
