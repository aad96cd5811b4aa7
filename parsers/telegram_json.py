"""Telegram Desktop "Export chat history" / "Export Telegram data" JSON (``result.json``).

Layouts read, and where the knowledge comes from (Telegram Desktop's exporter,
``export_output_json.cpp``, as seen in real exports and in chat-miner's and
RLEAPP's readers):

* **Single chat**: ``{"name", "type" (personal_chat, private_group,
  private_supergroup, public_channel …), "id", "messages": [...]}``.
* **Full export**: ``{"personal_information": {"user_id", "first_name",
  "last_name", "phone_number", "username"}, "contacts": {"list": [...]},
  "chats": {"list": [chat, …]}, "left_chats": {"list": [...]}}``.
* A message: ``id``, ``type`` (``message`` or ``service``), ``date`` (the exporting
  computer's local wall clock, no zone: ``2018-12-05T12:39:10``), ``date_unixtime``
  (epoch seconds as a string, added in 2021 exports), ``from``/``from_id``
  (``user123456``, ``channel123``) for messages, ``actor``/``actor_id``/``action``
  for service messages, ``text`` (a string, or a list of runs: plain strings and
  ``{"type": "bold"|"link"|…, "text": …}`` objects), ``photo``/``file`` (paths, or
  "(File not included…)"), ``media_type``, ``sticker_emoji``,
  ``location_information`` (``latitude``/``longitude``), ``edited``.

Decisions:

* Time: ``date_unixtime`` is preferred (an instant: basis ``utc``). Without it the
  zone-less ``date`` is read as wall clock in the case's (or ``--tz``) zone, and
  that assumption is recorded. chat-miner's golden targets are naive *UTC*
  renderings of ``date_unixtime`` (it uses ``utcfromtimestamp``), which is what the
  tests compare.
* Text: a list of runs is joined *without* separators. The exporter splits one
  message into consecutive runs (plain text between entities is a plain string),
  so concatenation restores the message exactly; chat-miner joins runs with a
  space, which differs only where two entities touch (its hand-written sample:
  bold "Link:" followed by a link → Atlas "Link:https://telegram.org/",
  chat-miner "Link: https://telegram.org/").
* Identity: ``from_id`` ``user123`` → ``telegram:user123``; the display name
  (``from``) is kept as identity evidence (``account-profile``: this export shows
  that name for that user id). Without ``from_id`` (old exports), ``name:<from>``.
  The full export's ``personal_information`` gives the owner (``telegram:user<id>``)
  and ``account-profile`` evidence for their phone number, username and name;
  ``contacts.list`` entries are ``contact`` events with ``contact-card`` evidence.
* Recipients: in a personal chat the other party is the chat ``id``
  (``telegram:user<id>``) or the owner; in groups, the chat's other senders. When
  the export names its account (``personal_information``), messages from that user
  id are ``out`` and the others ``in``; otherwise direction is left to ``--owner``.
* Service messages (``type: service``) are ``note`` events with the action (and
  title, members, or text), except ``phone_call``/``group_call`` actions, which
  are calls: ``discard_reason`` ``missed`` → missed, ``busy`` → rejected, else
  answered with ``duration_seconds``.
* A message with ``location_information`` keeps its coordinates.
* ``source_ref``: ``messages[12]`` (single chat) or ``chats.list[3].messages[12]``;
  contacts ``contacts.list[4]``.

Public samples: chat-miner ``test/telegram/test_single_export.json`` and
``test_batch_export.json``: 2 messages each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, cast

import polars as pl

from atlas.errors import FormatError
from atlas.model import NAIVE_TS_TYPE, RAW_EVENT_SCHEMA, Channel, EvidenceCategory
from parsers._bounds import bounded_json_values
from parsers._exports import (
    arrow_floats,
    epoch_s_utc,
    excerpt,
    has_array,
    head_keys,
    json_bytes,
    load_json,
    not_python_numbers,
    raw_events,
    rejects,
    rejects_lone_surrogates,
    values_are_own_uris,
    without_cycle_collection,
)
from parsers._json_cut import cuts_long_json_values
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe, SampleCount

INFO: Final = ParserInfo(
    name="telegram-json",
    version="1.2.0",
    description="Telegram Desktop JSON export (result.json: single chat or full export)",
    detects="JSON with 'messages' whose records have 'date_unixtime' or 'date' with 'from'/'type', or a full "
    "export with 'chats': {'list': [...]}",
    notes=__doc__ or "",
    category=EvidenceCategory.SOCIAL_MEDIA_RETURN,
    channels=frozenset({Channel.TELEGRAM}),
    sample_counts=(
        SampleCount("chat-miner/telegram/test_single_export.json", 2, 2, 0, "messages[0]", "2018-12-05T10:39:10+00:00",
                    note="joweich/chat-miner Telegram Desktop single-chat export: 2 messages"),
        SampleCount("chat-miner/telegram/test_batch_export.json", 2, 2, 0, "chats.list[0].messages[0]", "2018-12-05T10:39:10+00:00",
                    note="joweich/chat-miner Telegram Desktop full export: 2 messages"),
    ),
)

CALL_ACTIONS: Final = ("phone_call", "group_call")


def detect(probe: Probe) -> int:
    text = probe.text.lstrip()
    if not text.startswith("{"):
        return 0
    keys = head_keys(text[:65536])
    if "sender_name" in keys or "senderName" in keys:
        return 0
    head = text[:65536]
    if has_array(head, "messages") and "date_unixtime" in keys:
        return 92
    if "chats" in keys and has_array(head, "list") and ("personal_information" in keys or "date" in keys):
        return 90
    if has_array(head, "messages") and "date" in keys and ("from_id" in keys or "actor_id" in keys) and '"type"' in text:
        return 85
    return 0


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v if isinstance(v, str) else str(v.get("text", "")) if isinstance(v, dict) else "" for v in value)
    return ""


def _uid(value: Any) -> str | None:
    """``from_id`` as written (``user123``); older exports give a bare number."""
    if value is None or value == "":
        return None
    s = str(value)
    return f"user{s}" if s.isdigit() else s


def _ident(name: Any, uid: str | None) -> str | None:
    if uid:
        return f"telegram:{uid}"
    return f"name:{name}" if isinstance(name, str) and name else None


def _service_text(m: dict[str, Any]) -> str:
    parts = [str(m.get("action") or "service")]
    for key in ("title", "new_title", "game_title", "reason_domain", "discard_reason"):
        if m.get(key):
            parts.append(f"{key}: {m[key]}")
    members = m.get("members")
    if isinstance(members, list) and members:
        parts.append("members: " + ", ".join(str(x) for x in members))
    body = _text(m.get("text"))
    if body:
        parts.append(body)
    return "; ".join(parts)


class _Rows:
    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {k: [] for k in (
            "source_ref", "kind", "sender", "recipients", "status", "duration_s", "text", "attachments", "lat", "lon",
        )}
        self.unix: list[str | None] = []
        self.local: list[str | None] = []
        self.bad: list[tuple[str, str, str]] = []
        self.names: dict[tuple[str, str], str] = {}  # (name, telegram id) -> first ref
        self.read = 0
        # the fast walk's recipients: each row's index into the distinct lists
        self.recipient_lists: list[list[str]] = [[]]
        self.recipient_at: list[int] = []
        # the fast walk's attachments: (row, files) for the rows that have any
        self.attached: list[tuple[int, list[str]]] = []
        # and its calls' (row, status, duration) and located messages' (row, latitude, longitude)
        self.calls: list[tuple[int, str, int | None]] = []
        self.located: list[tuple[int, Any, Any]] = []
        # and its notes' rows, its references (per chat: the prefix, and a count or the messages' numbers)
        self.noted: list[int] = []
        self.ref_parts: list[tuple[str, int | list[int]]] = []


def _chat(chat: dict[str, Any], base: str, rows: _Rows, owner: str | None) -> None:
    messages = chat.get("messages")
    if not isinstance(messages, list):
        return
    chat_type = str(chat.get("type") or "")
    peer = f"telegram:{_uid(chat.get('id'))}" if chat_type in ("personal_chat", "bot_chat") and chat.get("id") else None
    senders: set[str] = set()
    pending: list[tuple[int, str | None, str]] = []
    for i, m in enumerate(messages):
        rows.read += 1
        ref = f"{base}messages[{i}]"
        if not isinstance(m, dict):
            rows.bad.append((ref, "not a message object", excerpt(m)))
            continue
        service = m.get("type") == "service"
        uid = _uid(m.get("actor_id") if service else m.get("from_id"))
        name = m.get("actor") if service else m.get("from")
        sender = _ident(name, uid)
        if uid and isinstance(name, str) and name:
            rows.names.setdefault((name, f"telegram:{uid}"), ref)
        action = str(m.get("action") or "")
        kind, status, duration = "message", None, None
        if service and action in CALL_ACTIONS:
            kind = "call"
            reason = str(m.get("discard_reason") or "")
            raw_duration = m.get("duration_seconds")
            duration = int(raw_duration) if isinstance(raw_duration, int | float) else None
            status = {"missed": "missed", "busy": "rejected"}.get(reason, "answered" if duration else "missed")
        elif service:
            kind = "note"
        files = [str(m[k]) for k in ("photo", "file") if m.get(k)]
        text = _service_text(m) if kind == "note" else _text(m.get("text")) or None
        if kind == "message" and not text and m.get("sticker_emoji"):
            files.append(f"sticker {m['sticker_emoji']}")
        loc = m.get("location_information")
        lat = loc.get("latitude") if isinstance(loc, dict) else None
        lon = loc.get("longitude") if isinstance(loc, dict) else None
        if sender and kind != "note":
            senders.add(sender)
        c = rows.cols
        c["source_ref"].append(ref)
        c["kind"].append(kind)
        c["sender"].append(sender)
        c["status"].append(status)
        c["duration_s"].append(duration)
        c["text"].append(text)
        c["attachments"].append(files)
        c["lat"].append(lat)
        c["lon"].append(lon)
        rows.unix.append(str(m["date_unixtime"]) if m.get("date_unixtime") not in (None, "") else None)
        rows.local.append(str(m["date"]) if m.get("date") else None)
        pending.append((len(c["source_ref"]) - 1, sender, kind))
    for index, sender, kind in pending:
        if kind == "note":
            recipients: list[str] = []
        elif peer:
            recipients = [peer] if sender != peer else ([owner] if owner else sorted(senders - {peer}))
        else:
            recipients = sorted(senders - {sender} if sender else senders)
            if not recipients and owner and sender != owner:
                recipients = [owner]
        rows.cols["recipients"].append(recipients)
        assert len(rows.cols["recipients"]) == index + 1


_UNSEEN: Final = object()
"""A sender not yet worked out (:func:`_chat_fast`)."""


def _chat_fast(chat: dict[str, Any], base: str, rows: _Rows, owner: str | None, everyone: set[str]) -> None:
    """:func:`_chat` with each look-up done once and the appends bound once (the same rows:
    tests/test_telegram_fast.py). ``everyone`` gathers each sender and the chat's peer (every
    recipient is one of them, or the owner). A sender is worked out once per distinct (id, name)
    where both are texts; the rows' references and kinds are not kept a row at a time but made
    at the end (:func:`_refs`, :func:`_kinds`: ``rows.ref_parts``, and the calls and ``rows.noted``)."""
    messages = chat.get("messages")
    if not isinstance(messages, list):
        return
    chat_type = str(chat.get("type") or "")
    peer = f"telegram:{_uid(chat.get('id'))}" if chat_type in ("personal_chat", "bot_chat") and chat.get("id") else None
    if peer:
        everyone.add(peer)
    c = rows.cols
    a_sender, a_text = c["sender"].append, c["text"].append
    rows_so_far, a_attached = c["sender"], rows.attached.append
    a_call, a_located, a_noted = rows.calls.append, rows.located.append, rows.noted.append
    start = len(rows_so_far)
    a_unix, a_local, a_bad = rows.unix.append, rows.local.append, rows.bad.append
    name_ref = rows.names.setdefault
    noted_before = len(rows.noted)
    known_pairs: dict[tuple[str, str], str | None] = {}  # (id, name), both texts -> sender
    kept: list[int] | None = None  # the messages that made a row, once one has not
    rows.read += len(messages)
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            a_bad((f"{base}messages[{i}]", "not a message object", excerpt(m)))
            if kept is None:
                kept = list(range(i))
            continue
        if kept is not None:
            kept.append(i)
        get = m.get
        service = get("type") == "service"
        if service:
            raw_uid, name = get("actor_id"), get("actor")
        else:
            raw_uid, name = get("from_id"), get("from")
        pair = (raw_uid, name) if type(raw_uid) is str and type(name) is str else None
        sender = known_pairs.get(pair, _UNSEEN) if pair is not None else _UNSEEN
        if sender is _UNSEEN:
            if raw_uid is None or raw_uid == "":
                uid = None
            else:
                s = raw_uid if type(raw_uid) is str else str(raw_uid)
                uid = f"user{s}" if s.isdigit() else s
            if uid:
                known = f"telegram:{uid}"
                sender = known
                if isinstance(name, str) and name:
                    name_ref((name, known), f"{base}messages[{i}]")
            else:
                sender = f"name:{name}" if isinstance(name, str) and name else None
            if pair is not None:
                known_pairs[pair] = sender
        kind = "message"
        if service:
            if str(get("action") or "") in CALL_ACTIONS:
                kind = "call"
                reason = str(get("discard_reason") or "")
                raw_duration = get("duration_seconds")
                duration = int(raw_duration) if isinstance(raw_duration, int | float) else None
                status = {"missed": "missed", "busy": "rejected"}.get(reason, "answered" if duration else "missed")
                a_call((len(rows_so_far), status, duration))
            else:
                kind = "note"
                a_noted(len(rows_so_far))
        photo, file = get("photo"), get("file")
        files = [str(v) for v in (photo, file) if v] if photo or file else None
        if kind == "note":
            text: str | None = _service_text(m)
        else:
            body = get("text")
            text = (body if type(body) is str else _text(body)) or None
            if not text and kind == "message":
                sticker = get("sticker_emoji")
                if sticker:
                    files = [*(files or ()), f"sticker {sticker}"]
        loc = get("location_information")
        if isinstance(loc, dict):
            a_located((len(rows_so_far), loc.get("latitude"), loc.get("longitude")))
        if files:
            a_attached((len(rows_so_far), files))
        a_sender(sender)
        a_text(text)
        unix = get("date_unixtime")
        if type(unix) is str:
            a_unix(unix or None)
        else:
            a_unix(None if unix is None or unix == "" else str(unix))
        local = get("date")
        if type(local) is str:
            a_local(local or None)
        else:
            a_local(str(local) if local else None)
    rows.ref_parts.append((f"{base}messages[", len(rows_so_far) - start if kept is None else kept))
    row_senders = c["sender"][start:]
    distinct = set(row_senders)
    everyone |= {s for s in distinct if s}  # notes' senders too
    notes = rows.noted[noted_before:]
    if notes:  # the chat's senders but for the notes' rows
        talking = row_senders.copy()
        for row in notes:
            talking[row - start] = None
        senders = {s for s in set(talking) if s}
    else:
        senders = {s for s in distinct if s}
    lists = rows.recipient_lists
    index_of: dict[str | None, int] = {}
    for sender in distinct:
        if peer:
            recipients = [peer] if sender != peer else ([owner] if owner else sorted(senders - {peer}))
        else:
            recipients = sorted(senders - {sender} if sender else senders)
            if not recipients and owner and sender != owner:
                recipients = [owner]
        index_of[sender] = len(lists)
        lists.append(recipients)
    at = list(map(index_of.__getitem__, row_senders))
    for row in notes:
        at[row - start] = 0  # rows.recipient_lists[0] is []
    rows.recipient_at.extend(at)


def _refs(parts: list[tuple[str, int | list[int]]]) -> pl.Series:
    """The fast walk's ``source_ref`` column: each chat's rows ``<prefix><i>]``, ``i`` from 0 (a count)
    or the messages' numbers (a list, where some message made no row)."""
    out: list[pl.Series] = []
    small: list[str] = []
    for prefix, numbers in parts:
        if isinstance(numbers, int) and numbers >= _REFS_BY_POLARS:
            if small:
                out.append(pl.Series(small, dtype=pl.String))
                small = []
            out.append(pl.select(pl.format(prefix + "{}]", pl.int_range(numbers, dtype=pl.Int64))).to_series())
        else:
            small.extend(f"{prefix}{i}]" for i in (range(numbers) if isinstance(numbers, int) else numbers))
    if small or not out:
        out.append(pl.Series(small, dtype=pl.String))
    return (pl.concat(out, rechunk=True) if len(out) > 1 else out[0]).alias("source_ref")


_REFS_BY_POLARS: Final = 2_000
"""A chat of this many rows has its references made by Polars (a fixed cost of a call, then ~5x
faster than Python's formatting)."""


def _kinds(n: int, calls: list[tuple[int, str, int | None]], noted: list[int]) -> pl.Series:
    """The fast walk's ``kind`` column: ``message`` but for the calls' and notes' rows."""
    import numpy as np

    codes = np.zeros(n, dtype=np.uint8)
    codes[[row for row, _, _ in calls]] = 1
    codes[noted] = 2
    return pl.Series("kind", codes).replace_strict({0: "message", 1: "call", 2: "note"}, return_dtype=RAW_EVENT_SCHEMA["kind"])


def _sparse(n: int, names: tuple[str, str], values: list[tuple[int, Any, Any]]) -> dict[str, Any]:
    """Two columns of ``n`` rows, ``None`` but for ``values`` ((row, first, second)): the same
    Python lists the plain walk appends a value at a time (or, where there are no values, the
    columns of nulls they make: no list of ``n`` Nones to read)."""
    if not values:
        return {name: pl.repeat(None, n, dtype=RAW_EVENT_SCHEMA[name], eager=True).alias(name) for name in names}
    first: list[Any] = [None] * n
    second: list[Any] = [None] * n
    for row, a, b in values:
        first[row] = a
        second[row] = b
    return {names[0]: first, names[1]: second}


def _attachments(n: int, attached: list[tuple[int, list[str]]]) -> pl.Series:
    """The attachments column of ``n`` rows, empty but for ``attached`` ((row, files), rows in
    order), built as :func:`parsers._exports.raw_events` builds a column of lists of text
    (one flat Arrow array and its offsets) without a Python list for every row."""
    import numpy as np
    import pyarrow as pa

    lengths = np.zeros(n, dtype=np.int64)
    flat: list[str] = []
    for row, files in attached:
        lengths[row] = len(files)
        flat.extend(files)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(flat, pa.large_string()))
    return cast(pl.Series, pl.from_arrow(lists))


def _already_uris(values: set[str], ctx: ParseContext) -> bool:
    """Whether every identifier the events hold (``values``: each sender, each chat's peer and
    the owner; every recipient is one of them) is already its URI, so the shared normaliser's
    pass over every row can be skipped (:attr:`ParseResult.identifiers_are_uris`). Only
    ``telegram:`` values (their URI depends on neither the region nor the source; no
    ``phone:``, so the ingest's choice of region, skipped where identifiers are URIs, would
    have found no number either: an export with contacts keeps the normaliser's pass); one
    holding a lone surrogate's mark, an upper-case letter or a space leaves it to the normaliser."""
    return values_are_own_uris(values, "telegram:", ctx.source_id, ctx.region)


@bounded_json_values("a record of a Telegram export")
@cuts_long_json_values("a record of a Telegram export")
@rejects_lone_surrogates
@without_cycle_collection
def parse(path: Path, ctx: ParseContext) -> ParseResult:
    try:
        return _parse_arrow(path, ctx)
    except Exception:  # _NotFast, or anything the route did not foresee (the tests call it directly): the walk
        return _parse(path, ctx, fast=True)


@bounded_json_values("a record of a Telegram export")
@cuts_long_json_values("a record of a Telegram export")
@rejects_lone_surrogates
@without_cycle_collection
def parse_plain(path: Path, ctx: ParseContext) -> ParseResult:
    """The plain rule: :func:`parse` without its shortcuts (the per-message walk of
    :func:`_chat`, identifiers and references left for the normaliser to convert and check).
    tests/test_telegram_fast.py holds :func:`parse` equal to it."""
    return _parse(path, ctx, fast=False)


def _parse(path: Path, ctx: ParseContext, *, fast: bool) -> ParseResult:
    doc = load_json(path, "Telegram Desktop export")
    if not isinstance(doc, dict):
        raise FormatError(f"{path}: a Telegram export is a JSON object; this file holds a {type(doc).__name__}")
    rows = _Rows()
    owner, evidence = _account(doc)
    effective_owner = owner or ctx.owner
    everyone: set[str] = {effective_owner} if effective_owner else set()
    # the account's own number (its evidence): the ingest's choice of region reads it, so no hand-over
    everyone |= {related for _, _, _, related, _ in evidence if related.startswith("phone:")}

    def walk(chat: dict[str, Any], base: str) -> None:
        if fast:
            _chat_fast(chat, base, rows, effective_owner, everyone)
        else:
            _chat(chat, base, rows, effective_owner)

    if isinstance(doc.get("messages"), list):
        walk(doc, "")
    else:
        found = False
        for section in ("chats", "left_chats"):
            block = doc.get(section)
            chats = block.get("list") if isinstance(block, dict) else None
            if isinstance(chats, list):
                found = True
                for k, chat in enumerate(chats):
                    if isinstance(chat, dict):
                        walk(chat, f"{section}.list[{k}].")
                    else:
                        rows.read += 1
                        rows.bad.append((f"{section}.list[{k}]", "not a chat object", excerpt(chat)))
        if not found:
            raise FormatError(f"{path}: JSON without 'messages' or 'chats.list': not a Telegram Desktop export")
    contact_rows = _contacts(doc, rows, evidence, everyone)
    for (name, ident), ref in sorted(rows.names.items(), key=lambda kv: kv[1]):
        evidence.append((ref, "account-profile", ident, f"name:{name}", "display name shown for this Telegram user id"))

    c: dict[str, Any] = rows.cols
    if fast:
        n = len(c["sender"])
        c = {"source_ref": _refs(rows.ref_parts), "kind": _kinds(n, rows.calls, rows.noted), "sender": c["sender"],
             "recipients": pl.Series(rows.recipient_lists, dtype=pl.List(pl.String))
             .gather(pl.Series(rows.recipient_at, dtype=pl.UInt32)),
             **_sparse(n, ("status", "duration_s"), rows.calls), "text": c["text"],
             "attachments": _attachments(n, rows.attached), **_sparse(n, ("lat", "lon"), rows.located)}
    frame = raw_events(c).with_columns(
        pl.Series("unix", rows.unix, dtype=pl.String), pl.Series("local", rows.local, dtype=pl.String),
    )
    return _result(frame, contact_rows, owner, evidence, rows.bad, rows.read, everyone if fast else None, ctx)


def _account(doc: dict[str, Any]) -> tuple[str | None, list[tuple[str, str, str, str, str]]]:
    """The export's own account (``personal_information``): the owner, and its identity evidence."""
    evidence: list[tuple[str, str, str, str, str]] = []  # ref, basis, identifier, related, detail
    owner: str | None = None
    me = doc.get("personal_information")
    if isinstance(me, dict) and me.get("user_id"):
        owner = f"telegram:{_uid(me['user_id'])}"
        full = " ".join(str(me[k]) for k in ("first_name", "last_name") if me.get(k)).strip()
        ref = "personal_information"
        if me.get("phone_number"):
            evidence.append((ref, "account-profile", owner, f"phone:{me['phone_number']}", "Telegram account phone number"))
        if me.get("username"):
            evidence.append((ref, "account-profile", owner, f"telegram:{str(me['username']).lstrip('@')}",
                             "Telegram username of this user id"))
        if full:
            evidence.append((ref, "account-profile", owner, f"name:{full}", "Telegram profile name"))
    return owner, evidence


def _contacts(doc: dict[str, Any], rows: _Rows, evidence: list[tuple[str, str, str, str, str]],
              everyone: set[str]) -> list[tuple[str, str | None, str, str | None]]:
    """``contacts.list``: one row each (ref, unix time, phone, name), their evidence added."""
    contact_rows: list[tuple[str, str | None, str, str | None]] = []
    block = doc.get("contacts")
    for k, contact in enumerate(block.get("list") or [] if isinstance(block, dict) else []):
        rows.read += 1
        ref = f"contacts.list[{k}]"
        if not isinstance(contact, dict) or not contact.get("phone_number"):
            rows.bad.append((ref, "contact without a phone number", excerpt(contact)))
            continue
        full = " ".join(str(contact[x]) for x in ("first_name", "last_name") if contact.get(x)).strip()
        phone = f"phone:{contact['phone_number']}"
        unix = str(contact["date_unixtime"]) if contact.get("date_unixtime") else None
        contact_rows.append((ref, unix, phone, full or None))
        everyone.add(phone)
        if full:
            evidence.append((ref, "contact-card", phone, f"name:{full}", "Telegram contact list entry"))
        uid = _uid(contact.get("user_id")) if contact.get("user_id") not in (None, 0, "0") else None
        if uid:
            evidence.append((ref, "contact-card", phone, f"telegram:{uid}", "Telegram contact list: user id of number"))
    return contact_rows


def _result(frame: pl.DataFrame, contact_rows: list[tuple[str, str | None, str, str | None]], owner: str | None,
            evidence: list[tuple[str, str, str, str, str]], bad: list[tuple[str, str, str]], read: int,
            everyone: set[str] | None, ctx: ParseContext) -> ParseResult:
    """The result from the messages' frame (the raw events' columns, then ``unix`` and ``local``):
    contacts added, direction, times; ``everyone`` None for the plain rule (nothing handed over)."""
    if contact_rows:
        contacts = raw_events({
            "source_ref": [r[0] for r in contact_rows], "kind": ["contact"] * len(contact_rows),
            "sender": [r[2] for r in contact_rows], "text": [r[3] for r in contact_rows],
        }).with_columns(pl.Series("unix", [r[1] for r in contact_rows], dtype=pl.String),
                        pl.lit(None, pl.String).alias("local"))
        frame = pl.concat([frame, contacts], how="diagonal_relaxed")
    if owner:
        # The export names its own account: what that user id sent is outgoing, the rest
        # of a chat's messages and calls reached the owner.
        frame = frame.with_columns(
            pl.when(~pl.col("kind").is_in(["message", "call"])).then(None)
            .when(pl.col("sender") == owner).then(pl.lit("out")).otherwise(pl.lit("in")).alias("direction")
        )
    local = pl.col("local").str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us")
    frame = frame.with_columns(
        pl.lit("telegram").alias("channel"),
        epoch_s_utc(pl.col("unix")).alias("ts_utc"),
        pl.when(pl.col("unix").is_not_null()).then(pl.lit("utc")).alias("ts_basis"),
        pl.when(pl.col("unix").is_null()).then(local).cast(NAIVE_TS_TYPE).alias("ts_local"),
        pl.coalesce(pl.col("unix"), pl.col("local")).alias("ts_raw"),
    ).drop("unix", "local")
    assumptions: list[str] = []
    n_local = int(frame.select((pl.col("ts_utc").is_null() & pl.col("ts_local").is_not_null()).sum()).item())
    if n_local:
        assumptions.append(
            f"{n_local} record(s) without date_unixtime: the zone-less 'date' (the exporting computer's clock) "
            f"read as {ctx.timezone}"
        )
    if owner and not ctx.owner:
        assumptions.append(f"owner from personal_information: {owner}")
    ev = pl.DataFrame(
        {"source_ref": [e[0] for e in evidence], "basis": [e[1] for e in evidence], "identifier": [e[2] for e in evidence],
         "related": [e[3] for e in evidence], "detail": [e[4] for e in evidence]},
        schema={k: pl.String for k in ("source_ref", "basis", "identifier", "related", "detail")},
    )
    if everyone is None:
        return ParseResult(
            events=frame, rejects=rejects(ctx.source_id, bad), records_read=read, owner=owner,
            assumptions=assumptions, evidence=ev,
        )
    # refs: [section.list[k].]messages[i] and contacts.list[k], each (section, k, i) once
    return ParseResult(
        events=frame, rejects=rejects(ctx.source_id, bad), records_read=read, owner=owner,
        assumptions=assumptions, evidence=ev,
        identifiers_are_uris=ctx.convert_identifiers and _already_uris(everyone, ctx), refs_unique=True,
    )


# --- the Arrow route ------------------------------------------------------------------------
#
# :func:`parse` first tries to read the whole document with Arrow's JSON reader (RapidJSON, in C++:
# about 0.5-0.6x ``json.loads`` of the same file, and no Python object per message), the fields the
# walk reads given their types, the rest left unread; the rows are then made column by column. It reads
# exactly what ``json.loads`` and the walk read, or refuses (:class:`_NotFast`: the walk reads it),
# but for one case (:func:`_arrow_doc`: nesting past Python's limit in a field not read): see
# :func:`_arrow_doc` for what the reader refuses and what is checked beside it, and :func:`_arrow_chats`
# and :func:`_parse_arrow` for the shapes it leaves to the walk. tests/test_telegram_fast.py holds the
# route equal to the plain rule.

class _NotFast(Exception):
    """The document is not one the Arrow route reads exactly: the walk reads it."""


_MESSAGE_TEXT_FIELDS: Final = ("type", "date", "date_unixtime", "from", "from_id", "actor", "actor_id", "action",
                               "text", "photo", "file", "sticker_emoji", "discard_reason", "title", "new_title",
                               "game_title", "reason_domain")
"""A message's fields the walk reads that the exporter writes as text (read as text or refused)."""
_MESSAGE_FIELDS: Final = (*_MESSAGE_TEXT_FIELDS, "duration_seconds", "members", "location_information", "text_runs_at")


def _arrow_schema() -> Any:
    import pyarrow as pa

    text = pa.string()
    message = pa.struct([(k, text) for k in _MESSAGE_TEXT_FIELDS] + [
        ("duration_seconds", pa.float64()), ("members", pa.list_(text)),
        ("location_information", pa.struct([("latitude", pa.float64()), ("longitude", pa.float64())])),
        ("text_runs_at", pa.int64()),
    ])
    chat = [("name", text), ("type", text), ("id", pa.int64()), ("messages", pa.list_(message))]
    chats = pa.struct([("list", pa.list_(pa.struct(chat)))])
    return pa.schema([
        *chat,
        ("personal_information", pa.struct([("user_id", pa.int64())] + [
            (k, text) for k in ("first_name", "last_name", "phone_number", "username")])),
        ("contacts", pa.struct([("list", pa.list_(pa.struct([("user_id", pa.int64())] + [
            (k, text) for k in ("first_name", "last_name", "phone_number", "date_unixtime")])))])),
        ("chats", chats), ("left_chats", chats),
    ])


def _arrow_doc(data: bytes) -> tuple[Any, list[Any]]:
    """The document as a one-row Arrow table, read by Arrow's JSON reader with the fields the walk
    reads given (:func:`_arrow_schema`) and every other field left unread, and the lists of runs cut
    from it (:func:`_cut_runs`).

    It reads exactly what ``json.loads`` reads, or refuses: Arrow refuses a repeated key of a field
    read (Python keeps the last), a value of another type than the one given (a number where text is
    given: so a ``from_id`` written as a number is the walk's), a lone surrogate's escape (Python
    keeps it; the walk marks it), an integer past 64 bits where one is given, malformed JSON anywhere
    (RapidJSON parses the fields it does not keep too), and text after the document (a second
    document is a second row: refused). Checked here: the text is UTF-8 as a whole (Arrow checks only
    what it keeps); what RapidJSON reads and Python does not (:func:`_refuse_what_python_refuses`);
    a number read that is not finite (``NaN``, ``Infinity``: refused). A null is read as the key
    missing: the walk reads both the same (``dict.get``) where it reads a field, and
    :func:`_parse_arrow` refuses where it does not (a null message, chat or contact).

    Not the same: a document nested past Python's recursion limit (about 990 deep) in a field not
    read, which ``json.loads`` (so the plain rule) fails on with ``RecursionError``, is read. Telling
    needs a pass over every byte minding strings (0.37 CPU-s for 107 MB in NumPy); inferring the
    unread fields' layout instead (which shows the depth) makes Arrow's reader itself overflow its
    stack past about 15,000 levels (a segmentation fault: parsers/google_timeline_json.py's route
    inferred, and did, until session 11; its route now tells by one pass over the quotes and brackets,
    ``_outside_strings``, about 0.05 CPU-s for 99 MB)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    if data.lstrip()[:1] != b"{" or len(data) >= 2**31:
        raise _NotFast("not a plain object")
    whole = pa.Array.from_buffers(pa.string(), 1, [None, pa.array([0, len(data)], pa.int32()).buffers()[1],
                                                   pa.py_buffer(data)])
    try:
        whole.validate(full=True)  # UTF-8 as a whole
    except pa.ArrowException as exc:
        raise _NotFast("not UTF-8") from exc
    _refuse_what_python_refuses(data)

    def read(data: bytes) -> Any:
        return pj.read_json(pa.BufferReader(data), read_options=pj.ReadOptions(use_threads=False, block_size=len(data) + 1),
                            parse_options=pj.ParseOptions(newlines_in_values=True, explicit_schema=_arrow_schema(),
                                                          unexpected_field_behavior="ignore"))

    runs: list[Any] = []
    try:
        table = read(data)
    except pa.ArrowException as exc:
        # a text written as runs (Arrow stops at the first, most often early): cut them, read again (no
        # search of a file without runs for them)
        if "/text) changed from string to array" not in str(exc) or _RUNS not in data:
            raise _NotFast(str(exc)) from exc
        data, runs = _cut_runs(data)
        try:
            table = read(data)
        except pa.ArrowException as again:
            raise _NotFast(str(again)) from again
    if table.num_rows != 1:
        raise _NotFast("not one document")
    table = table.combine_chunks()
    for column in table.columns:
        for values in arrow_floats(column.chunk(0)):
            if pc.any(pc.invert(pc.is_finite(values))).as_py():
                raise _NotFast("a number that is not finite")
    return table, runs


def _refuse_what_python_refuses(data: bytes) -> None:
    """Refuses the numbers RapidJSON reads and Python does not (:func:`not_python_numbers`)."""
    found = not_python_numbers(data)
    if found:
        raise _NotFast(found)


_RUNS: Final = b'"text": ['
"""A message's text written as a list of runs (plain strings and ``{"type", "text"}`` objects), as the
exporter writes it: the one place the exporter mixes types, which Arrow refuses (:func:`_cut_runs`)."""
_RUNS_DEPTH: Final = 16
"""The deepest a list of runs is decoded by itself (the whole document's decode, deeper, may fail)."""


def _cut_runs(data: bytes) -> tuple[bytes, list[Any]]:
    """``data`` with each ``"text": [runs]`` made ``"text": null, "text_runs_at": k``, and the runs
    decoded by Python's own decoder (``runs[k]``: what ``json.loads`` of the whole document makes of
    them). The key is kept, so a message that repeats ``text`` is still refused by Arrow; where the
    pattern is not a message's ``text`` key (a key ending in an escaped quote, or text after a string
    where JSON allows none) the route refuses, or Arrow does, or the marker lands where
    :func:`_parse_arrow` counts it missing (it must be in a message: every marker once). A ``text``
    key written otherwise (``"text":[``, escaped letters) is not cut: Arrow refuses its list."""
    import json

    decoder = json.JSONDecoder()
    pieces: list[bytes] = []
    runs: list[Any] = []
    done = 0
    at = data.find(_RUNS)
    while at >= 0:
        slashes = 0
        while at - slashes > 0 and data[at - slashes - 1] == 0x5C:  # backslashes before the quote
            slashes += 1
        if slashes % 2:
            raise _NotFast("an escaped quote before text")
        start = at + len(_RUNS) - 1
        value, end = _decode_runs(decoder, data, start)
        pieces += [data[done:at], b'"text": null, "text_runs_at": %d' % len(runs)]
        runs.append(value)
        done = end
        at = data.find(_RUNS, end)
    pieces.append(data[done:])
    return b"".join(pieces), runs


def _decode_runs(decoder: Any, data: bytes, start: int) -> tuple[Any, int]:
    """The JSON value at byte ``start`` of ``data`` (valid UTF-8 as a whole) and the byte after it."""
    import json

    size = 512
    while True:
        text = data[start:start + size].decode("utf-8", errors="ignore")  # only a character cut at the end
        try:
            value, end = decoder.raw_decode(text)
        except json.JSONDecodeError as exc:
            if start + size >= len(data):
                raise _NotFast("runs that are not JSON") from exc
            size *= 8
            continue
        except RecursionError as exc:
            raise _NotFast("runs nested too deep") from exc
        raw = text[:end]
        if "\\u" in raw:  # a lone surrogate's escape: the walk marks it
            try:
                json.dumps(value, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError as exc:
                raise _NotFast("a lone surrogate in runs") from exc
        if raw.count("[") + raw.count("{") >= _RUNS_DEPTH and _nested(value, _RUNS_DEPTH):
            raise _NotFast("runs nested too deep")
        return value, start + len(raw.encode("utf-8"))


def _nested(value: Any, depth: int) -> bool:
    """Whether ``value`` nests lists or objects ``depth`` deep."""
    if isinstance(value, list | dict):
        if depth <= 0:
            return True
        return any(_nested(v, depth - 1) for v in (value.values() if isinstance(value, dict) else value))
    return False


_EXACT_FLOAT: Final = 2.0**53
"""Past this, an integer read as a float by Arrow may differ from Python's integer (then converted)."""


def _arrow_chats(table: Any) -> list[tuple[str, Any, Any, Any]]:
    """The chats the walk reads, in its order: (reference prefix, chat type, chat id, its messages as
    an Arrow struct array); refused where the walk would reject (a chat or message that is not an
    object: Arrow reads it as null, or refuses its type) or raise (no messages and no chat list)."""
    import pyarrow as pa

    out: list[tuple[str, Any, Any, Any]] = []

    def add(prefix: str, kind: Any, cid: Any, messages: Any) -> None:
        if not messages.is_valid:  # no list of messages: the walk skips the chat
            return
        values = messages.values
        if values.null_count:
            raise _NotFast("a message that is not an object")
        # the fields read, in their order
        fields = dict(zip([f.name for f in values.type], values.flatten(), strict=True))
        out.append((prefix, kind, cid, pa.StructArray.from_arrays([fields[name] for name in _MESSAGE_FIELDS],
                                                                   names=list(_MESSAGE_FIELDS))))

    top = {name: table.column(name).chunk(0) for name in table.column_names}
    if top["messages"][0].is_valid:
        add("", top["type"][0].as_py(), top["id"][0].as_py(), top["messages"][0])
        return out
    found = False
    for section in ("chats", "left_chats"):
        if not top[section][0].is_valid or not top[section].field("list")[0].is_valid:
            continue
        found = True
        listed = top[section].field("list")[0].values
        if listed.null_count:
            raise _NotFast("a chat that is not an object")
        fields = dict(zip([f.name for f in listed.type], listed.flatten(), strict=True))
        kinds, ids, messages = fields["type"], fields["id"], fields["messages"]
        for k in range(len(listed)):
            add(f"{section}.list[{k}].", kinds[k].as_py(), ids[k].as_py(), messages[k])
    if not found:
        raise _NotFast("no messages and no chat list")
    return out


def _parse_arrow(path: Path, ctx: ParseContext) -> ParseResult:
    """:func:`parse` by the Arrow route (:func:`_arrow_doc`), or :class:`_NotFast`."""
    import pyarrow as pa

    table, runs = _arrow_doc(json_bytes(path))
    chats = _arrow_chats(table)
    rows = _Rows()
    top = {name: table.column(name).chunk(0)[0] for name in ("personal_information", "contacts")}
    doc = {name: value.as_py() for name, value in top.items() if value.is_valid}
    contacts = (doc.get("contacts") or {}).get("list") or []
    if any(c is None or not c.get("phone_number") for c in contacts):
        raise _NotFast("a contact the walk rejects")  # its excerpt holds what Arrow does not keep
    owner, evidence = _account(doc)
    effective_owner = owner or ctx.owner
    everyone: set[str] = {effective_owner} if effective_owner else set()
    everyone |= {related for _, _, _, related, _ in evidence if related.startswith("phone:")}
    sizes = [len(messages) for _, _, _, messages in chats]
    rows.read = sum(sizes)
    frame = _arrow_messages(pa.concat_arrays([messages for _, _, _, messages in chats]) if chats else None)
    n = frame.height
    service = frame.get_column("type").eq("service").fill_null(False)
    pick = (lambda a, b: pl.when(service).then(pl.col(a)).otherwise(pl.col(b))) if service.any() else (
        lambda a, b: pl.col(b))
    people = frame.select(pick("actor_id", "from_id").alias("uid"), pick("actor", "from").alias("name"))
    uid, name = people.get_column("uid"), people.get_column("name")
    ids = {u: f"telegram:{_uid(u)}" for u in uid.unique().to_list() if u}
    sender = uid.replace_strict(ids, default=None, return_dtype=pl.String) if ids else pl.repeat(
        None, n, dtype=pl.String, eager=True)
    if sender.null_count():
        sender = people.select(pl.coalesce(sender, pl.when(pl.col("name") != "").then("name:" + pl.col("name"))))\
            .to_series()
    sender = sender.alias("sender")
    # the walk's names: (name, telegram id) first seen where both are given, in the walk's order
    named = pl.DataFrame({"name": name, "ident": sender}).with_row_index("row").filter(
        (pl.col("name") != "") & uid.ne("").fill_null(False)).unique(["name", "ident"], keep="first", maintain_order=True)
    starts = [0]
    for size in sizes:
        starts.append(starts[-1] + size)

    def ref(row: int) -> str:
        k = max(i for i, start in enumerate(starts[:-1]) if start <= row and sizes[i])
        return f"{chats[k][0]}messages[{row - starts[k]}]"

    for row, who, ident in named.iter_rows():
        rows.names.setdefault((who, ident), ref(row))
    # service messages (few): the walk's own code for their kind, status, duration and text
    text = frame.get_column("text")
    text = text.set(text.eq("").fill_null(False), None) if text.null_count() < n else text
    marked = frame.get_column("text_runs_at")
    if marked.null_count() < n or runs:  # each list of runs cut (:func:`_cut_runs`) is one message's text, once
        where = marked.is_not_null()
        order = marked.filter(where)
        if order.len() != len(runs) or order.n_unique() != len(runs) or order.min() != 0 or order.max() != len(runs) - 1:
            raise _NotFast("a list of runs that is not a message's text")
        text = text.scatter(where.arg_true(), pl.Series([_text(runs[k]) or None for k in order.to_list()], dtype=pl.String))
    if service.any():
        at = service.arg_true()
        done = [_service_row(m if m["text_runs_at"] is None else {**m, "text": runs[m["text_runs_at"]]})
                for m in frame[at].to_dicts()]
        for row, (kind, status, duration, _) in zip(at.to_list(), done, strict=True):
            if kind == "call":
                rows.calls.append((row, str(status), duration))
            else:
                rows.noted.append(row)
        text = text.scatter(at, pl.Series([t for _, _, _, t in done], dtype=pl.String))
    kinds = _kinds(n, rows.calls, rows.noted)
    # attachments: photo, file, and a message's sticker where it has no text
    media = [c for c in ("photo", "file", "sticker_emoji") if frame.get_column(c).null_count() < n]
    if media:
        some = frame.select(pl.int_range(n, dtype=pl.Int64).alias("row"), "photo", "file", pl.when(
            (pl.lit(kinds) == "message") & pl.lit(text).is_null() & (pl.col("sticker_emoji") != "")).then(
            "sticker " + pl.col("sticker_emoji")).alias("sticker")).filter(
            pl.any_horizontal([pl.col(c).ne("").fill_null(False) for c in ("photo", "file", "sticker")]))
        for row, *files in some.iter_rows():
            rows.attached.append((row, [f for f in files if f]))
    located = frame.get_column("location_information")
    if located.null_count() < n:
        lat, lon = located.struct.field("latitude"), located.struct.field("longitude")
        for values in (lat, lon):
            if ((values == 0) | (values.abs() >= _EXACT_FLOAT)).any():
                raise _NotFast("a coordinate an integer may give otherwise")  # -0, or past a float's integers
        rows.located = [(row, a, b) for row, a, b in zip(located.is_not_null().arg_true().to_list(),
                                                          lat.filter(located.is_not_null()).to_list(),
                                                          lon.filter(located.is_not_null()).to_list(), strict=True)]
    # recipients: per chat, as :func:`_chat_fast` works them out
    lists = rows.recipient_lists
    note = kinds == "note"
    at_parts: list[pl.Series] = []
    for k, (prefix, chat_type, cid, _) in enumerate(chats):
        part, notes = sender.slice(starts[k], sizes[k]), note.slice(starts[k], sizes[k])
        peer = f"telegram:{_uid(cid)}" if str(chat_type or "") in ("personal_chat", "bot_chat") and cid else None
        if peer:
            everyone.add(peer)
        distinct = part.unique().to_list()
        everyone |= {s for s in distinct if s}
        senders = {s for s in (part.filter(~notes).unique().to_list() if notes.any() else distinct) if s}
        index_of: dict[str, int] = {}
        for who in distinct:
            if peer:
                recipients = [peer] if who != peer else ([effective_owner] if effective_owner else sorted(senders - {peer}))
            else:
                recipients = sorted(senders - {who} if who else senders)
                if not recipients and effective_owner and who != effective_owner:
                    recipients = [effective_owner]
            index_of["" if who is None else who] = len(lists)
            lists.append(recipients)
        at = part.fill_null("").replace_strict(index_of, return_dtype=pl.UInt32) if index_of else pl.Series(
            [], dtype=pl.UInt32)
        at_parts.append(at.set(notes, 0) if notes.any() else at)
        rows.ref_parts.append((f"{prefix}messages[", sizes[k]))
    for duration in (d for _, _, d in rows.calls if d is not None):
        if abs(duration) >= _EXACT_FLOAT:
            raise _NotFast("a duration past a float's integers")
    contact_rows = _contacts(doc, rows, evidence, everyone)
    for (who, ident), first in sorted(rows.names.items(), key=lambda kv: kv[1]):
        evidence.append((first, "account-profile", ident, f"name:{who}", "display name shown for this Telegram user id"))
    recipient_at = pl.concat(at_parts) if at_parts else pl.Series([], dtype=pl.UInt32)
    c = {"source_ref": _refs(rows.ref_parts), "kind": kinds, "sender": sender,
         "recipients": pl.Series(lists, dtype=pl.List(pl.String)).gather(recipient_at),
         **_sparse(n, ("status", "duration_s"), rows.calls), "text": text.alias("text"),
         "attachments": _attachments(n, rows.attached), **_sparse(n, ("lat", "lon"), rows.located)}
    events = raw_events(c).with_columns(_blank_is_null(frame.get_column("date_unixtime")).alias("unix"),
                                        _blank_is_null(frame.get_column("date")).alias("local"))
    return _result(events, contact_rows, owner, evidence, rows.bad, rows.read, everyone, ctx)


def _blank_is_null(values: pl.Series) -> pl.Series:
    return values.set(values.eq("").fill_null(False), None) if values.null_count() < len(values) else values


def _service_row(m: dict[str, Any]) -> tuple[str, str | None, int | None, str | None]:
    """A service message's kind, status, duration and text, as :func:`_chat_fast` works them out."""
    if str(m.get("action") or "") in CALL_ACTIONS:
        reason = str(m.get("discard_reason") or "")
        raw_duration = m.get("duration_seconds")
        duration = int(raw_duration) if isinstance(raw_duration, int | float) else None
        status = {"missed": "missed", "busy": "rejected"}.get(reason, "answered" if duration else "missed")
        body = m.get("text")
        return "call", status, duration, (body if type(body) is str else _text(body)) or None
    return "note", None, None, _service_text(m)


def _arrow_messages(messages: Any) -> pl.DataFrame:
    """The messages' fields the walk reads, one row a message (all chats'), each typed as given."""
    import pyarrow as pa

    if messages is None:
        messages = pa.array([], _arrow_schema().field("messages").type.value_type)
    frame = pl.from_arrow(pa.Table.from_struct_array(messages))
    assert isinstance(frame, pl.DataFrame)
    return frame
