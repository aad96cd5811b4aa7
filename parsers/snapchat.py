"""Snapchat: the user's "My Data" ``chat_history.json`` and law-enforcement return CSVs.

Layouts read, and where the knowledge comes from (Snapchat's own "My Data"
download and its returns to police as handled by public tools: RLEAPP's Snapchat
return artifacts, ``unsnap``, and examiners' descriptions):

* **chat_history.json, older layout (to 2021)**: ``{"Received Saved Chat History":
  [{"From", "Media Type", "Created", "Text"}], "Sent Saved Chat History": [{"To", …}],
  "Received Unsaved Chat History", "Sent Unsaved Chat History"}``: the section
  says the direction; the owner is the other side.
* **chat_history.json, newer layout (2022-)**: one key per conversation (the other
  user's username, or a group id), each a list of ``{"From", "Media Type",
  "Created", "Content", "Conversation Title", "IsSender", "Created(microseconds)"}``.
  ``Conversation Title`` is set for groups. Despite its name,
  ``Created(microseconds)`` holds epoch *milliseconds* in real downloads, so its
  unit is decided by magnitude.
* **Return CSVs** (``conversations.csv``, older ``chat.csv``): an optional preamble
  (account, date range, ``====`` rules), then a header row. Columns are found by
  *name*, never position: sender (``sender_username``/``from``), recipient
  (``recipient_username``/``to``; several separated by ``;``), text (``text``/``body``),
  time (``timestamp``/``created``), media (``media_id``), type
  (``content_type``/``message_type``), ``sender_user_id``/``recipient_user_id``,
  ``is_saved``/``saved``, ``conversation_id``, ``message_id``/``id``.

Times: both presentations Snapchat uses are read, and both are UTC (basis ``utc``):
``2026-03-01 10:00:00 UTC`` (the download and newer returns) and
``Sun Mar 01 10:00:00 UTC 2026`` (older returns), plus epoch milliseconds or seconds
(a column of digits), and ISO 8601 with ``Z``.

Identities: usernames → ``snapchat:<username>``. Where a return gives a user id
beside a username, that pairing is ``account-profile`` identity evidence
(``snapchat:<username>`` ↔ ``snapchat:id:<user id>``): usernames can be changed,
the id cannot. The download's owner is not named as such in ``chat_history.json``;
the newer layout shows the owner's username as ``From`` on items with ``IsSender``
true, which is used (and stated); otherwise sent items take ``--owner`` as sender
(direction ``out`` either way).

``Media Type`` ``TEXT`` is a message with its text; ``MEDIA``/``SNAP``/``NOTE``/
``STICKER``/``SHARE``/``LOCATION`` are messages with the type as attachment;
``STATUS…`` entries (e.g. a screenshot or save notification) are notes.
``source_ref``: ``<section or conversation>[i]`` for JSON, ``row N`` (data rows,
1-based, after the header) for CSV.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import polars as pl

from atlas.errors import FormatError
from atlas.model import RAW_EVENT_SCHEMA, TS_TYPE, UTC, Channel, EvidenceCategory
from parsers import _json_tally as tally
from parsers._bounds import bounded_json_values
from parsers._exports import (
    epoch_auto_utc,
    excerpt,
    head_keys,
    iso_instant,
    json_bytes,
    load_json_text,
    raw_events,
    read_bytes_text,
    rejects,
    rejects_lone_surrogates,
    values_are_own_uris,
    without_cycle_collection,
)
from parsers._json_cut import cuts_long_json_values
from parsers._json_tally import NotFast
from parsers._tabular import long_line_notes, long_line_rejects, probe_sheets, read_sheets, with_header, without_blank_rows
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe, quoted_name

INFO: Final = ParserInfo(
    name="snapchat",
    version="1.4.0",
    description="Snapchat chat history: 'My Data' chat_history.json, or a law-enforcement return CSV of conversations",
    detects="JSON whose records have 'Media Type' and 'Created' with 'From'/'To'; or CSV (after any preamble) whose "
    "header names a sender (sender_username/from), a recipient and a timestamp",
    notes=__doc__ or "",
    category=EvidenceCategory.SOCIAL_MEDIA_RETURN,
    channels=frozenset({Channel.SNAPCHAT}),
    no_public_sample="no public Snapchat export or return in ../shared/samples; tested on the generator's files",
)

OLD_SECTIONS: Final = {
    "Received Saved Chat History": "in", "Received Unsaved Chat History": "in",
    "Sent Saved Chat History": "out", "Sent Unsaved Chat History": "out",
}
ALIASES: Final = {
    "sender": ("sender_username", "from", "sender", "from_username", "sender_name"),
    "recipient": ("recipient_username", "to", "recipient", "recipients", "to_username", "recipient_usernames"),
    "text": ("text", "body", "message", "content", "message_body", "message_text"),
    "ts": ("timestamp", "created", "created_at", "sent_at", "timestamp_utc", "sent_timestamp", "time"),
    "media": ("media_id", "media_ids", "media"),
    "type": ("content_type", "message_type", "media_type", "type"),
    "sender_id": ("sender_user_id", "sender_id"),
    "recipient_id": ("recipient_user_id", "recipient_id"),
    "saved": ("is_saved", "saved"),
    "conversation": ("conversation_id",),
    "message_id": ("message_id", "id"),
}
_NOT_TEXT: Final = ("MEDIA", "SNAP", "NOTE", "STICKER", "SHARE", "LOCATION", "GIF", "IMAGE", "VIDEO", "AUDIO")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def _header_index(rows: list[list[str]]) -> int | None:
    for i, row in enumerate(rows[:100]):
        cols = {_norm(c) for c in row}
        if cols & set(ALIASES["sender"]) and cols & set(ALIASES["ts"]) and cols & set(ALIASES["recipient"]):
            return i
    return None


def detect(probe: Probe) -> int:
    text = probe.text.lstrip()
    if text.startswith("{"):
        keys = head_keys(text[:65536])
        if "Media Type" in keys and "Created" in keys and ("From" in keys or "To" in keys):
            return 90
        return 0
    if not text or "," not in text:
        return 0
    return 90 if any(_header_index(sheet.rows) is not None for sheet in probe_sheets(probe) if sheet.csv) else 0


@bounded_json_values("a Snapchat record")
@cuts_long_json_values("a Snapchat record")
@rejects_lone_surrogates
@without_cycle_collection
def parse(path: Path, ctx: ParseContext) -> ParseResult:
    """The fast path (:func:`_fast_json`) where it reads the file exactly, else :func:`parse_plain`'s rule."""
    with path.open("rb") as fh:
        start = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"{":
        fast = _fast_json(json_bytes(path), ctx)
        if fast is not None:
            return fast
    return _parse_plain(path, ctx, start)


@bounded_json_values("a Snapchat record")
@cuts_long_json_values("a Snapchat record")
@rejects_lone_surrogates
@without_cycle_collection
def parse_plain(path: Path, ctx: ParseContext) -> ParseResult:
    """The plain rule (a JSON download walked record by record in Python); :func:`parse` gives the same result."""
    with path.open("rb") as fh:
        start = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return _parse_plain(path, ctx, start)


def _parse_plain(path: Path, ctx: ParseContext, start: bytes) -> ParseResult:
    if start == b"{":
        text = read_bytes_text(path, "Snapchat export")
        return _json(load_json_text(text, path, "Snapchat chat_history.json"), path, ctx)
    return _csv(path, ctx)


def utc_text(values: pl.Expr) -> pl.Expr:
    """Every time presentation Snapchat uses → aware UTC (all of them are UTC)."""
    s = values.str.strip_chars()
    digits = s.str.contains(r"^\d{9,16}(?:\.\d+)?$")
    return pl.coalesce(
        s.str.to_datetime("%Y-%m-%d %H:%M:%S%.f UTC", strict=False, time_unit="us", time_zone=UTC),
        s.str.to_datetime("%a %b %d %H:%M:%S UTC %Y", strict=False, time_unit="us", time_zone=UTC),
        s.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us", time_zone=UTC),
        iso_instant(s),
        pl.when(digits).then(epoch_auto_utc(s)),
    ).cast(TS_TYPE)


def _kind_text(mtype: str, body: str | None) -> tuple[str, str | None, list[str]]:
    t = mtype.upper()
    if t.startswith("STATUS"):
        return "note", mtype + (f": {body}" if body else ""), []
    if t and t != "TEXT" and (t in _NOT_TEXT or not body):
        return "message", body or None, [mtype]
    return "message", body or None, []


def _json(doc: Any, path: Path, ctx: ParseContext) -> ParseResult:
    if not isinstance(doc, dict):
        raise FormatError(f"{path}: a Snapchat chat_history.json is a JSON object; this holds a {type(doc).__name__}")
    cols: dict[str, list[Any]] = {k: [] for k in ("source_ref", "kind", "direction", "sender", "recipients", "text", "attachments")}
    created: list[str | None] = []
    micro: list[str | None] = []
    bad: list[tuple[str, str, str]] = []
    read = 0
    old = any(k in OLD_SECTIONS for k in doc)
    # The newer layout names the owner on the owner's own items ("From" with IsSender true).
    own = sorted({str(i["From"]) for items in doc.values() if isinstance(items, list) for i in items
                  if isinstance(i, dict) and i.get("IsSender") is True and i.get("From")})
    file_owner = f"snapchat:{own[0]}" if len(own) == 1 else None
    owner = file_owner or ctx.owner
    froms: set[str] = set()  # (the newer layout) every non-empty From, for :func:`_already_uris`
    conversations: list[str] = []  # and every conversation with a record
    for key, items in doc.items():
        if not isinstance(items, list):
            continue
        if items:
            conversations.append(key)
        place = quoted_name(key)  # a key with a blank or quote at its edges quoted: distinct once trimmed
        for i, item in enumerate(items):
            read += 1
            ref = f"{place}[{i}]"
            if not isinstance(item, dict):
                bad.append((ref, "not a chat record", excerpt(item)))
                continue
            body = item.get("Text", item.get("Content"))
            body = str(body) if body not in (None, "") else None
            kind, shown, files = _kind_text(str(item.get("Media Type") or ""), body)
            direction: str | None
            recipients: list[str | None]
            if old and key in OLD_SECTIONS:
                direction = OLD_SECTIONS[key]
                other = item.get("From") if direction == "in" else item.get("To")
                other_id = f"snapchat:{other}" if other else None
                sender = other_id if direction == "in" else owner
                recipients = [owner] if direction == "in" and owner else ([other_id] if direction == "out" and other_id else [])
            else:
                is_sender = item.get("IsSender")
                direction = "out" if is_sender is True else "in" if is_sender is False else None
                frm = item.get("From")
                sender = f"snapchat:{frm}" if frm else (owner if direction == "out" else None)
                if frm:
                    froms.add(str(frm))
                group = bool(item.get("Conversation Title"))
                to_them: list[str | None] = [] if group else [f"snapchat:{key}"]
                recipients = to_them if direction == "out" else [owner]
            cols["source_ref"].append(ref)
            cols["kind"].append(kind)
            cols["direction"].append(direction)
            cols["sender"].append(sender)
            cols["recipients"].append([r for r in recipients if r])
            cols["text"].append(shown)
            cols["attachments"].append(files)
            created.append(str(item["Created"]) if item.get("Created") else None)
            m = item.get("Created(microseconds)")
            micro.append(str(m) if m not in (None, "") else None)
    if read == 0:
        raise FormatError(f"{path}: no chat records (expected lists of records with 'From', 'Media Type', 'Created')")
    frame = raw_events(cols).with_columns(
        pl.Series("created", created, dtype=pl.String), pl.Series("micro", micro, dtype=pl.String),
    )
    frame = frame.with_columns(
        pl.lit("snapchat").alias("channel"),
        pl.coalesce(utc_text(pl.col("created")), pl.when(pl.col("micro").is_not_null()).then(epoch_auto_utc(pl.col("micro"))))
        .alias("ts_utc"),
        pl.lit("utc").alias("ts_basis"),
        pl.coalesce("created", "micro").alias("ts_raw"),
    ).drop("created", "micro")
    assumptions = ["Snapchat 'My Data' chat history: times are UTC as the download states"]
    if file_owner:
        assumptions.append(f"owner's username from the items marked IsSender: {file_owner}")
    elif not ctx.owner:
        assumptions.append("the download does not name its owner: sent items have no sender (direction out); give --owner")
    return ParseResult(events=frame, rejects=rejects(ctx.source_id, bad), records_read=read, assumptions=assumptions,
                       owner=file_owner, identifiers_are_uris=not old and _already_uris(froms, conversations, owner, ctx),
                       refs_unique=True)


def _already_uris(froms: Any, conversations: Any, owner: str | None, ctx: ParseContext) -> bool:
    """Whether every identifier the newer layout can give is already its URI: ``snapchat:`` and each
    non-empty ``From``, ``snapchat:`` and each conversation's key, and the owner. Then the shared
    normaliser's pass over every row (distinct senders and recipients, each looked up) would give
    every value back, and is skipped (:attr:`ParseResult.identifiers_are_uris`; 2 of its 5 ms on the
    bench's 50,000 messages). A value that is not (an upper-case letter, an ``@``, spaces, an owner
    given as a number or a name) leaves it to the normaliser. The plain rule and the fast path ask it
    of the same values (all of them, whether or not a row names them), so both state the same.
    Only ``snapchat:`` values: their URI depends on neither the region nor the source, and none is
    a number, so the ingest's choice of region (:func:`atlas.ingest.region_from_events`, skipped
    where identifiers are URIs) would have found none either.
    A value holding a lone surrogate's mark (:data:`parsers._exports.SURROGATE_MARK`, at the start of
    the text) is left to it too: the mark is taken out after the parse, and could hide a leading
    ``@`` or space that the normaliser then takes off."""
    values = [*(f"snapchat:{v}" for v in froms), *(f"snapchat:{k}" for k in conversations), *([owner] if owner else [])]
    return values_are_own_uris(values, "snapchat:", ctx.source_id, ctx.region)


# --- the fast path -----------------------------------------------------------------------
# The newer download (one list of records per conversation) read by Polars' JSON reader and
# turned into the same columns without a Python step per record. It is taken only where it
# provably reads what ``json.loads`` and :func:`_json` read (``parsers._json_tally``: no
# repeated or dropped key, no number or boolean read as text, no lone surrogate), and where
# every record is one :func:`_json` reads without a reject. Anything else goes by the plain
# rule: the older layout (sections), a ``Text`` key (its null and its absence differ), any
# other value type in a field read, a null that is not the value of a record's key that is
# null in every record (a key given twice, a value then null, cannot be told from the counts
# otherwise), a top-level key that is also a record's key, no records. tests/test_snapchat_fast.py
# holds it equal to the plain rule.
#
# Two routes read the file. First the declared one (:func:`_declared`): Polars is given the
# record's layout (:data:`_RECORD`), which spares its inference pass, and
# ``parsers._json_tally.declared_counts`` proves the read (colons, quotes, and dots and letters
# ``e``/``E``, so no float, exponent or boolean was read into the integer column). A file it
# cannot prove (other keys or types, a conversation not a list …) is read by the inferred route
# (:func:`_inferred`, Polars infers the layout; ``check_document``), and else by the plain rule.
#
# Measured (session 7, the bench's 50,000 messages, 13 MB, CPU, best of 20-25, loaded machine): the
# declared read 34-47 ms; the proof 12 ms (the byte counts with the nulls' search in the same pass;
# 15 ms as two passes); the events 8.5 ms; the normaliser 3.4-4.6 ms with identifiers and refs stated
# (4.7-5.1 without). The bare ``json.loads`` the bench compares with is 46-48 ms in a warm heap and
# 62-65 ms in a fresh one (12,700 page faults): parse + normalise 75-82 ms, 1.2x fresh, 1.6-1.8x warm.
#
# Session 10 (the same file, CPU, getrusage per stage between the bench's reads): read whole, Polars'
# read cost 26-31 ms of user time and 8,000-22,000 page faults (10-15 ms of system time): its 40 MB
# are given back to the system between downloads and faulted in again. Read a megabyte at a time
# (:func:`_read_in_pieces`) the same memory serves every piece: the read 16-20 ms, no faults. With
# the events' smaller savings (the direction made as the Enum, the conversation looked up from its
# place, one query for the distinct values): parse + normalise 38-43 ms against 51-59 ms before,
# best of 25, in the same runs (load 7-11 on 2 cores).

_FAST_TYPES: Final = {
    "From": (pl.String, pl.Null), "Media Type": (pl.String, pl.Null), "Created": (pl.String, pl.Null),
    "Content": (pl.String, pl.Null), "Conversation Title": (pl.String, pl.Null), "IsSender": (pl.Boolean, pl.Null),
    "Created(microseconds)": (pl.Int64, pl.String, pl.Null),
}


def _conversation(index: int, key: str, items: pl.Series) -> pl.DataFrame:
    """One conversation's records: ``conv``, its place (``index``) among the document's lists, ``i``,
    each record's place in it, and the fields read, typed as :func:`_json` reads them
    (``Created(microseconds)`` as read: made a text only where it is needed, :func:`_fast_result`)."""
    if not isinstance(items.dtype, pl.Struct):
        raise NotFast(f"{key}: records of {items.dtype}")
    fields = {f.name: f.dtype for f in items.dtype.fields}
    if "Text" in fields:
        raise NotFast("a 'Text' key")
    columns: list[pl.Expr] = []
    for name, allowed in _FAST_TYPES.items():
        dtype = fields.get(name, pl.Null)
        if dtype not in allowed:
            raise NotFast(f"{key}: {name} is {dtype}")
        value = pl.col("r").struct.field(name) if name in fields else pl.lit(None)
        if name != _MICRO:
            value = value.cast(pl.Boolean if name == "IsSender" else pl.String)
        columns.append(value.alias(name))
    return pl.DataFrame({"r": items}).select(pl.lit(index, pl.Int64).alias("conv"),
                                             pl.int_range(pl.len(), dtype=pl.Int64).alias("i"), *columns)


_MICRO: Final = "Created(microseconds)"


_NO_TEXTS: Final = pl.lit([], dtype=pl.List(pl.String))


def _kinds(types: pl.Series, has_body: pl.Expr, mtype: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr, dict[str, Any]]:
    """:func:`_kind_text` of each distinct media type (with and without a text): kind, whether a
    note, whether the type is an attachment; and each of the three that is the same for every
    type, with and without a text (``literal``: its value; absent where it varies)."""
    kind: dict[bool, dict[str, str]] = {True: {}, False: {}}
    note: dict[bool, dict[str, bool]] = {True: {}, False: {}}
    attach: dict[bool, dict[str, bool]] = {True: {}, False: {}}
    for m in types.to_list():
        for body in (True, False):
            k, _shown, files = _kind_text(m, "x" if body else None)
            kind[body][m], note[body][m], attach[body][m] = k, k == "note", bool(files)

    literal: dict[str, Any] = {}
    for name, table in (("kind", kind), ("note", note), ("attach", attach)):
        values = {*table[True].values(), *table[False].values()}
        if len(values) == 1:
            literal[name] = values.pop()

    def pick(name: str, table: dict[bool, dict[str, Any]], dtype: Any) -> pl.Expr:
        if name in literal:
            return pl.lit(literal[name], dtype)
        return pl.when(has_body).then(mtype.replace_strict(table[True], return_dtype=dtype)) \
            .otherwise(mtype.replace_strict(table[False], return_dtype=dtype))

    return pick("kind", kind, pl.String), pick("note", note, pl.Boolean), pick("attach", attach, pl.Boolean), literal


def _one_or_none(value: pl.Expr, values: list[str] | pl.Series) -> pl.Expr:
    """``[value]``, or ``[]`` where it is null (``concat_list(value).list.drop_nulls()``, 5x faster:
    a split at a character none of the ``values`` it can take holds)."""
    if any("\x00" in v for v in values):
        return pl.concat_list(value).list.drop_nulls()
    return value.str.split("\x00").fill_null(pl.lit(pl.Series([[]], dtype=pl.List(pl.String))))


def _fast_json(data: bytes, ctx: ParseContext) -> ParseResult | None:
    """:func:`_json`'s result by the fast path, or None where only the plain rule reads the file exactly."""
    try:
        return _fast_result(data, ctx)
    except Exception:  # whatever the fast path cannot read, the plain rule reads or names
        return None


_RECORD: Final = pl.Struct({"From": pl.String, "Media Type": pl.String, "Created": pl.String, "Content": pl.String,
                            "Conversation Title": pl.String, "IsSender": pl.Boolean, "Created(microseconds)": pl.Int64})
"""A record as the download writes it: the layout given to Polars (:func:`_declared`), which then skips its
inference pass (a third of its read)."""


_PIECE: Final = 1 << 20
"""About how many bytes of the text :func:`_read_in_pieces` gives Polars at a time."""


def _cuts(data: bytes, after: int) -> list[tuple[int, int]]:
    """Where :func:`_read_in_pieces` cuts the text, about every :data:`_PIECE` bytes from ``after``:
    each ``(end, start)``, the end of one piece just after a ``}`` and the start of the next at the
    ``{`` that follows it, with only a comma and whitespace between (``},`` ... ``{``). Whether each is
    really between two records of a list is left to the reads (:func:`_read_in_pieces`)."""
    cuts: list[tuple[int, int]] = []
    at = after + _PIECE
    while at < len(data) - _PIECE // 4:
        p = data.find(b"},", at)
        while p >= 0:
            q = p + 2
            while q < len(data) and data[q] in b" \t\r\n":
                q += 1
            if q < len(data) and data[q] == 0x7B:  # {
                break
            p = data.find(b"},", q)
        if p < 0:
            break
        cuts.append((p + 1, q))
        at = q + _PIECE
    return cuts


def _read_in_pieces(data: bytes, order: list[tuple[str, int]]) -> tuple[pl.Series, Any]:
    """Every list of the document (``order``: its keys in the text's order, each with the offset of
    its ``[``) as Polars reads it with the layout given (:data:`_RECORD`): one row of lists a piece
    of the text and key, with the place of its key in ``order``; concatenated, the lists Polars
    reads from the whole document, or :class:`NotFast`.

    Read whole, a 13 MB download costs Polars about 40 MB of memory at once (its copy of the text,
    the parsed document, the columns), which the allocator gives back between reads: in a process
    that does anything else between downloads, most of that is new pages again each time (the
    bench's 50,000 messages: 8,000-14,000 page faults, 10-15 ms of system time beside 26-33 ms in
    Polars). Read a megabyte at a time, the same memory serves every piece (no page faults) and
    stays in the cache (Polars' own time 17 ms).

    The text is cut between two records (:func:`_cuts`): the first piece is the text up to a record's
    ``}`` closed by ``]}``, the next opens the same list again (``{"<key>": [``) and runs to the next
    cut, the last to the end. If every piece is a document Polars reads, each cut was where
    ``json.loads`` of the whole text is between two values of a list that is the value of a top-level
    key (the text up to it reads as one that ``]}`` can end), and each piece goes on from the state
    the whole text is in there: the pieces read together are the whole text read. A piece Polars does
    not read (a ``}, {`` inside a text taken for a cut, or a text that is not JSON) runs on to the next
    cut instead, and after a second failure to the end of the text. Which key's list
    is open at a cut is taken from ``order`` (the last list opened before it); each list opened in
    a piece must be read there as one of its document's keys (else not a top-level key: NotFast, as
    in the whole read), so the list open at the end of a piece is its last key's. A list whose key
    :func:`parsers._json_tally.list_keys` leaves out (written with an escape) is not read, as in the
    whole read; its key, never held by the frame, is one of the nulls the proof cannot find."""
    import numpy as np

    cuts = _cuts(data, order[0][1])
    rows: list[pl.Series] = []
    of_key: list[int] = []
    k = 0  # the next list opened
    start, c = 0, 0  # where the piece starts; the next cut to end it at
    opened: list[int] = []  # the list open where it starts (after a cut), opened again
    failed = 0
    while True:
        end = cuts[c][0] if c < len(cuts) else len(data)
        piece_keys = [*opened, *(j for j in range(k, len(order)) if order[j][1] < end)]
        if not piece_keys:
            raise NotFast("a cut before any list")
        text = data if start == 0 and end == len(data) else b"".join([
            b'{"' + order[piece_keys[0]][0].encode() + b'": [' if start else b"", data[start:end], b"]}" if end < len(data) else b""])
        try:
            doc = tally.read(text, pl.Schema({order[j][0]: pl.List(_RECORD) for j in piece_keys}))
        except NotFast:
            if end == len(data):
                raise
            # Not a document: the cut was not between two records (a "}, {" inside a text, say), or the text
            # is not JSON. The piece runs on to the next cut, and after a second failure to the end.
            failed += 1
            c = c + 1 if failed == 1 else len(cuts)
            continue
        if doc.height != 1 or any(doc.null_count().row(0)):
            raise NotFast("a list's key inside a record, or not one document")
        for j in piece_keys:
            rows.append(doc.get_column(order[j][0]))
            of_key.append(j)
        if end == len(data):
            break
        k += len(piece_keys) - len(opened)
        opened = piece_keys[-1:]
        start, c, failed = cuts[c][1], c + 1, 0
    return (pl.concat(rows) if len(rows) > 1 else rows[0]), np.array(of_key, dtype=np.int64)


def _declared(data: bytes) -> tuple[pl.DataFrame, list[str]]:
    """The records read with the layout given (:data:`_RECORD`), proved by
    :func:`parsers._json_tally.declared_counts` and the nulls found; :class:`NotFast` where the
    file has any other shape (then :func:`_inferred` reads it). Every conversation's records are
    handled at once (one frame, in the text's order), not one conversation at a time: a download
    has hundreds of conversations, and each Polars call costs about 0.1 ms."""
    import numpy as np

    order = tally.list_keys(data)
    if not order or any(k in OLD_SECTIONS for k, _ in order):
        raise NotFast("not the newer layout")
    keys = [k for k, _ in order]
    lists, of_key = _read_in_pieces(data, order)
    lengths = np.bincount(of_key, weights=lists.list.len().to_numpy(), minlength=len(keys)).astype(np.int64)
    every = lists.explode(empty_as_null=False, keep_nulls=False)
    if not every.len():
        raise NotFast("no records")  # the plain rule names the fault
    if every.null_count():
        raise NotFast("a record null")  # the plain rule rejects it
    records = every.struct.unnest()
    # Every null of the text must be the value of a record's key that is null in some record;
    # where that key also has values in a conversation, no record of it may give it twice (a value,
    # then null): as :func:`_records`, counted in each conversation's part of the text (in the same
    # pass over the text as the count, where that settles it).
    nulls = {k: records.get_column(k).is_null().to_numpy() for k in records.columns if records.get_column(k).null_count()}
    bounds = [0, *(at for _, at in order), len(data)]
    nullable = sorted(nulls, key=lambda k: -int(nulls[k].sum()))
    counted = tally.declared_counts(data, keys, records, nullable, bounds)
    if set(records.columns) & set(keys):
        raise NotFast("a top-level key that is also a record's")
    total = records.height
    conversation = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
    found = counted.found if counted.found is not None else tally.null_values_by_part(data, nullable, bounds, counted.nulls)
    if found is None:
        raise NotFast("a null that is not the value of a record's key")
    if tally.null_letters(found) != counted.letters_left:
        raise NotFast("dots or letters differ (a float, exponent or boolean read as an integer)")
    for k, counts in found.items():
        if not any(counts[1:]):
            continue
        null_in = np.bincount(conversation[nulls[k]], minlength=len(keys))
        for i in range(len(keys)):
            if counts[i + 1] and null_in[i] != lengths[i] and tally.repeated_in_records(data[bounds[i + 1]:bounds[i + 2]], k):
                raise NotFast(f"{k}: given twice in a record")
    starts = np.cumsum(lengths) - lengths
    return pl.DataFrame([
        pl.Series("conv", conversation, dtype=pl.Int64),
        pl.Series("i", np.arange(total, dtype=np.int64) - np.repeat(starts, lengths), dtype=pl.Int64),
    ]).hstack(records.select(*_FAST_TYPES)), keys


_MANY_FIELDS: Final = 1_000
"""Record keys past which the inferred route gives way to the walk (a download's records have under 10;
200,000 keys in one record took the route's per-key checks past five minutes)."""


def _inferred(data: bytes) -> tuple[pl.DataFrame, list[str]]:
    """The records read with the layout Polars infers, proved by :func:`parsers._json_tally.check_document`."""
    tally.few_keys(data)  # 1,000,000 keys in one record aborted Polars' inference (parsers._bounds.INFERRED_KEYS)
    doc = tally.read(data)
    if doc.height != 1 or any(k in OLD_SECTIONS for k in doc.columns):
        raise NotFast("not the newer layout")
    if any(isinstance(t, pl.List) and isinstance(t.inner, pl.Struct) and len(t.inner.fields) > _MANY_FIELDS
           for t in doc.schema.values()):
        raise NotFast("records with thousands of keys")  # the checks below cost a pass per key: the walk reads them
    nulls, _ = tally.check_document(data, doc)
    # not a list of records: not read (the plain rule's too); the lists in the text's order
    order = tally.list_keys_in_order(data, [k for k, t in doc.schema.items() if isinstance(t, pl.List)])
    return _records(data, doc, order, nulls, None)


def _records(data: bytes, doc: pl.DataFrame, order: list[tuple[str, int]], nulls: int,
             letters_left: int | None) -> tuple[pl.DataFrame, list[str]]:
    """Every record of the lists (``order``: their keys in the text's order), once the ``nulls`` keys of
    the text the frame does not hold are found to be values ``null`` (and ``letters_left``, where
    given, their names' dots and letters ``e``/``E``)."""
    parts = []
    lists = {key: doc.get_column(key)[0] for key, _ in order}
    for index, (key, items) in enumerate(lists.items()):
        if items.len():
            parts.append(_conversation(index, key, items))
    if not parts:
        raise NotFast("no records")  # the plain rule names the fault
    nonnull: dict[str, int] = {}  # each record key: its values that are not null, over every conversation
    rows: dict[str, int] = {}  # and the records of the conversations whose records have it
    flat = True
    for key, dtype in doc.schema.items():
        if isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct):
            items = doc.get_column(key)[0]
            for f in dtype.inner.fields:
                nonnull[f.name] = nonnull.get(f.name, 0) + items.len() - items.struct.field(f.name).null_count()
                rows[f.name] = rows.get(f.name, 0) + items.len()
                flat = flat and not isinstance(f.dtype, pl.Struct | pl.List)
    if set(nonnull) & set(doc.columns):
        raise NotFast("a top-level key that is also a record's")
    if len({part.schema[_MICRO] for part in parts}) > 1:  # an integer in some conversations, a text in others
        parts = [part.with_columns(pl.col(_MICRO).cast(pl.String)) for part in parts]
    t = pl.concat(parts, rechunk=True) if len(parts) > 1 else parts[0]
    # Every null of the text must be the value of a record's key that is null in some record;
    # where that key also has values, no record may give it twice (a value, then null).
    # Counted in each conversation's part of the text: where a key is null in every record of a
    # conversation, or has no null there, none of its records can give it twice as a value then
    # null; only a conversation where it is both is searched (Snapchat's title is one or the other).
    bounds = [0, *(at for _, at in order), len(data)]
    nullable = sorted((k for k, n in nonnull.items() if n < rows[k]), key=lambda k: nonnull[k] - rows[k])
    found = tally.null_values_by_part(data, nullable, bounds, nulls)
    if found is None:
        raise NotFast("a null that is not the value of a record's key")
    if letters_left is not None and tally.null_letters(found) != letters_left:
        raise NotFast("dots or letters differ (a float, exponent or boolean read as an integer)")
    for k, counts in found.items():
        for i, items in enumerate(lists.values()):
            if not counts[i + 1]:
                continue
            fields = {f.name for f in items.dtype.fields} if isinstance(items.dtype, pl.Struct) else set()
            if k not in fields:
                raise NotFast(f"{k}: null in a part of the text whose records lack it")
            if items.struct.field(k).null_count() == items.len():
                continue
            if not flat or tally.repeated_in_records(data[bounds[i + 1]:bounds[i + 2]], k):
                raise NotFast(f"{k}: given twice in a record, or records not flat")
    return t, list(lists)


def _fast_result(data: bytes, ctx: ParseContext) -> ParseResult:
    try:
        t, keys = _declared(data)
    except NotFast:  # another shape: the layout inferred, and proved the other way
        t, keys = _inferred(data)
    mtype = pl.col("Media Type").fill_null("")
    # the owner's name(s), every From, each conversation with a record (its first, i 0), and the
    # distinct media types, in one query
    distinct = t.select(pl.col("From").filter(pl.col("IsSender") & (pl.col("From") != "")).unique().implode().alias("own"),
                        pl.col("From").unique().implode().alias("froms"),
                        pl.col("conv").filter(pl.col("i") == 0).implode().alias("convs"),
                        mtype.unique().implode().alias("types")).row(0)
    own = sorted(distinct[0])
    file_owner = f"snapchat:{own[0]}" if len(own) == 1 else None
    owner = file_owner or ctx.owner
    with_records = [keys[c] for c in distinct[2]]
    body = pl.when(pl.col("Content") != "").then(pl.col("Content"))
    has_body = body.is_not_null()
    types = pl.Series("mtype", distinct[3], dtype=pl.String)
    kind, note, attach, literal = _kinds(types, has_body, mtype)
    out = pl.col("IsSender").fill_null(False)
    direction_type = RAW_EVENT_SCHEMA["direction"]  # made as the Enum at once (a cast of texts to it: 0.4 of 0.45 ms)
    direction = pl.when(pl.col("IsSender")).then(pl.lit("out", direction_type)) \
        .when(~pl.col("IsSender")).then(pl.lit("in", direction_type))
    # Each record's conversation: the key of its list (``conv``: its place among them), as a text
    # and as the recipient, looked up once a row; with one conversation, a constant.
    if len(with_records) == 1:
        key: pl.Expr = pl.lit(quoted_name(with_records[0]), pl.String)  # as the plain rule's ref
        to: pl.Expr = pl.lit(f"snapchat:{with_records[0]}", pl.String)
    else:
        key = pl.lit(pl.Series([quoted_name(k) for k in keys], dtype=pl.String)).gather(pl.col("conv"))
        to = pl.lit(pl.Series([f"snapchat:{k}" for k in keys], dtype=pl.String)).gather(pl.col("conv"))
    group = pl.col("Conversation Title").fill_null("") != ""
    sender = pl.when(pl.col("From") != "").then(pl.lit("snapchat:") + pl.col("From")).when(out).then(pl.lit(owner, pl.String))
    to_owner = pl.lit(owner or None, pl.String)
    titled = t.get_column("Conversation Title")
    recipient: pl.Expr
    if titled.null_count() < titled.len():
        recipient = pl.when(out & ~group).then(to).when(~out).then(to_owner)
    else:  # no group chat (no title anywhere)
        recipient = pl.when(out).then(to).otherwise(to_owner)
    created = pl.when(pl.col("Created") != "").then(pl.col("Created"))
    # The download's own presentation first (whole seconds, no spaces around: 4x faster than the
    # first format of utc_text, and the same instant where it reads one; no cache of the values
    # parsed, which nearly all differ: half the time); every format only if some time is left unread.
    first = created.str.to_datetime("%Y-%m-%d %H:%M:%S UTC", strict=False, time_unit="us", time_zone=UTC, cache=False) \
        .cast(TS_TYPE)
    schema = {k: RAW_EVENT_SCHEMA[k] for k in ("source_ref", "kind", "direction", "sender", "recipients", "text", "attachments")}
    # Where no media type makes a note or an attachment (the kinds worked out per distinct type),
    # the text is the body and the attachments empty.
    text = body if literal.get("note") is False else \
        pl.when(note).then(mtype + pl.when(has_body).then(pl.lit(": ") + body).otherwise(pl.lit(""))).otherwise(body)
    files = _NO_TEXTS if literal.get("attach") is False else _one_or_none(pl.when(attach).then(mtype), types)
    events = t.lazy().select(
        pl.format("{}[{}]", key, "i").alias("source_ref"), kind.cast(schema["kind"]).alias("kind"),
        direction.cast(schema["direction"]).alias("direction"), sender.alias("sender"),
        recipient.alias("recipients"), text.alias("text"), files.alias("attachments"),
        pl.lit("snapchat").alias("channel"), first.alias("ts_utc"), pl.lit("utc").alias("ts_basis"),
        created.alias("ts_raw"),
    ).collect()
    # Each recipient as a list: [the one], or [] where there is none (a reshape where every row has one).
    recipients = pl.col("recipients").reshape((-1, 1)).cast(pl.List(pl.String))
    if events.get_column("recipients").null_count():
        recipients = pl.when(pl.col("recipients").is_null()).then(_NO_TEXTS).otherwise(recipients)
    if events.get_column("ts_utc").null_count() or events.get_column("ts_raw").null_count():
        # a time not in the download's own presentation, or none: every format, then the epoch
        micro = pl.col(_MICRO).cast(pl.String)
        micro = pl.when(micro != "").then(micro)
        slow = t.select(pl.coalesce(utc_text(created), pl.when(micro.is_not_null()).then(epoch_auto_utc(micro))).alias("ts_utc"),
                        pl.coalesce(created, micro).alias("ts_raw"))
        events = events.with_columns(slow.get_column("ts_utc"), slow.get_column("ts_raw"))
    events = events.with_columns(recipients.alias("recipients"))
    assumptions = ["Snapchat 'My Data' chat history: times are UTC as the download states"]
    if file_owner:
        assumptions.append(f"owner's username from the items marked IsSender: {file_owner}")
    elif not ctx.owner:
        assumptions.append("the download does not name its owner: sent items have no sender (direction out); give --owner")
    return ParseResult(events=events, rejects=rejects(ctx.source_id, []), records_read=t.height, assumptions=assumptions,
                       owner=file_owner, identifiers_are_uris=_already_uris([v for v in distinct[1] if v], with_records, owner, ctx),
                       refs_unique=True)  # <key>[<i>]: the key (each once) before the last "[", then distinct i


def _csv(path: Path, ctx: ParseContext) -> ParseResult:
    sheet = read_sheets(path)[0]
    start = _header_index(sheet.rows) if sheet.csv else None
    if start is None:
        raise FormatError(f"{path}: no Snapchat conversation header (sender, recipient and timestamp columns) in the first 100 lines")
    table = with_header(sheet.frame(start))
    names = {_norm(c): c for c in table.columns}
    found: dict[str, str] = {}
    for role, aliases in ALIASES.items():
        for a in aliases:
            if a in names:
                found[role] = names[a]
                break
    # A blank line between rows is no record (rows keep their numbers as counted in the file).
    renamed = table.rename({v: f"_{k}" for k, v in found.items()})
    t = without_blank_rows(renamed.with_row_index("row", offset=1), renamed.columns)
    records = t.height
    for role in ALIASES:
        if f"_{role}" not in t.columns:
            t = t.with_columns(pl.lit(None, pl.String).alias(f"_{role}"))
    t = t.with_columns(utc_text(pl.col("_ts")).alias("ts_utc"))
    bad_rows = t.filter(pl.col("ts_utc").is_null())
    bad = [(f"row {r['row']}", "timestamp not in a Snapchat format (YYYY-MM-DD HH:MM:SS UTC, 'Sun Mar 01 10:00:00 UTC 2026', epoch)",
            f"{r['_ts']}") for r in bad_rows.select("row", "_ts").iter_rows(named=True)]
    t = t.filter(pl.col("ts_utc").is_not_null())
    mtype = pl.col("_type").fill_null("").str.to_uppercase()
    body_text = pl.col("_text").str.strip_chars()
    body_text = pl.when(body_text == "").then(None).otherwise(pl.col("_text"))
    is_status = mtype.str.starts_with("STATUS")
    media = pl.col("_media").fill_null("").str.split(";").list.eval(pl.element().str.strip_chars()).list.eval(
        pl.element().filter(pl.element() != ""))
    events = t.select(
        pl.format("row {}", "row").alias("source_ref"),
        pl.when(is_status).then(pl.lit("note")).otherwise(pl.lit("message")).alias("kind"),
        pl.lit("snapchat").alias("channel"),
        "ts_utc",
        pl.lit("utc").alias("ts_basis"),
        pl.col("_ts").alias("ts_raw"),
        pl.when(pl.col("_sender").str.strip_chars() != "").then(pl.lit("snapchat:") + pl.col("_sender").str.strip_chars())
        .alias("sender"),
        pl.col("_recipient").fill_null("").str.split(";").list.eval(
            pl.element().str.strip_chars().filter(pl.element().str.strip_chars() != "")
        ).list.eval(pl.lit("snapchat:") + pl.element()).alias("recipients"),
        pl.when(is_status).then(pl.concat_str([pl.col("_type"), body_text], separator=": ", ignore_nulls=True))
        .otherwise(body_text).alias("text"),
        media.alias("attachments"),
    )
    pairs = pl.concat([
        t.select(pl.col("_sender").alias("u"), pl.col("_sender_id").alias("i"), "row"),
        t.select(pl.col("_recipient").alias("u"), pl.col("_recipient_id").alias("i"), "row"),
    ]).drop_nulls().filter((pl.col("u").str.strip_chars() != "") & (pl.col("i").str.strip_chars() != "")
                           & ~pl.col("u").str.contains(";")).group_by("u", "i").agg(pl.col("row").min()).sort("row", "u", "i")  # deterministic: ties broken by name
    evidence = pairs.select(
        pl.format("row {}", "row").alias("source_ref"), pl.lit("account-profile").alias("basis"),
        (pl.lit("snapchat:") + pl.col("u").str.strip_chars()).alias("identifier"),
        (pl.lit("snapchat:id:") + pl.col("i").str.strip_chars()).alias("related"),
        pl.lit("Snapchat return: user id of this username").alias("detail"),
    )
    assumptions = [*sheet.notes(), f"Snapchat return CSV: header on line {start + 1}; columns mapped by name: "
                   + ", ".join(f"{k}={v}" for k, v in sorted(found.items()))]
    if "sender" not in found or "recipient" not in found:
        raise FormatError(f"{path}: the header on line {start + 1} has no sender or recipient column")
    too_long, n_long = long_line_rejects([sheet], ctx.source_id)  # lines over the bound, read as blank
    assumptions += long_line_notes([sheet])
    return ParseResult(events=events, rejects=pl.concat([rejects(ctx.source_id, bad), too_long]),
                       records_read=records + n_long, assumptions=assumptions, evidence=evidence)
