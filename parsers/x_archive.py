"""X (Twitter) archive files: ``data/direct-messages.js``, ``direct-messages-group.js``,
``tweets.js`` and ``account.js``.

An X archive is a folder of JavaScript files, each one assignment around JSON:
``window.YTD.direct_messages.part0 = [ … ]``. The part after ``=`` is parsed as
JSON; the name after ``window.YTD.`` says what the file holds. Layouts (from real
archives and X's own ``README.txt`` in each archive):

* ``direct_messages`` / ``direct_messages_group``: ``[{"dmConversation":
  {"conversationId", "messages": [{"messageCreate": {"id", "senderId",
  "recipientId" (one-to-one only), "text", "createdAt" (ISO 8601 UTC with
  milliseconds), "mediaUrls", "urls", "reactions": [{"senderId", "reactionKey",
  "createdAt"}]}}, {"joinConversation": …}, {"participantsLeave": …},
  {"conversationNameUpdate": …}]}}]``.
* ``tweets`` (older ``tweet``): ``[{"tweet": {"id_str", "full_text", "created_at"
  ("Tue Mar 01 10:00:00 +0000 2026"), "in_reply_to_user_id_str",
  "in_reply_to_screen_name", "in_reply_to_status_id_str", "entities":
  {"user_mentions": [{"screen_name", "id_str", "name"}], "media": …}}}]``.
* ``account``: ``[{"account": {"accountId", "username", "accountDisplayName",
  "email", "createdAt"}}]``.

Decisions:

* Identifiers: X's numeric user ids → ``x:id:<number>`` (direct messages name
  people only by id); handles → ``x:<handle>``. Where the archive pairs an id with a
  handle or a display name (``account.js``, a tweet's reply target, a mention), that
  is ``account-profile`` identity evidence, so the two identifiers can be linked.
* Direct messages are ``message`` events (``createdAt``: basis ``utc``). The archive is
  its owner's, so the owner is a party to every conversation in it: the owner is
  ``--owner``, else the ``accountId`` of ``account.js`` in the same ``data`` folder (X
  writes it beside the messages; its name and hash are stated), else the one user id
  every one-to-one conversation id holds (an inference, stated). Direction then follows
  from the owner for every message, group ones included.
* A one-to-one conversation id is the two user ids (``111-222``); a group's is one number
  and is **not a person**: the group is recorded in the ``dm_conversations`` reference
  table (id, group or one-to-one, name, participants). A group message's recipients are
  the members at that moment (the owner included): ``joinConversation`` (the owner joining,
  with a ``participantsSnapshot``), ``participantsJoin`` and ``participantsLeave`` (with
  ``userIds``) say who was there when, read in time order (the archive lists newest first).
  Joins, leaves and renames are notes. Reactions (which do carry a time) are
  kept in the ``reactions`` reference table with the message they react to.
* Tweets are ``note`` events (publishing, not contact) with the text, the time
  (``created_at`` carries ``+0000``: basis ``offset``), and as recipients the user
  replied to and the users mentioned; ``sender`` is the archive's owner when
  ``--owner`` is given, else the owner ``account.js`` beside the file names (tweets do not
  name their author). The tweet id and what it
  replies to (tweet id, user id, handle) are kept in the ``tweets`` reference table.
  ``deleted-tweets.js`` (tweets the owner deleted, kept by X) gives the same notes with
  status ``deleted-by-sender`` and ``deleted`` true.
* ``account.js`` gives an ``account`` event and the archive owner.
* ``source_ref`` is the JSON path: ``[3].dmConversation.messages[12]``,
  ``[40].tweet``.
"""

from __future__ import annotations

import bisect
import enum
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from atlas.errors import FormatError
from atlas.model import RAW_EVENT_SCHEMA, TS_TYPE, UTC, Channel, EvidenceCategory
from parsers._bounds import bounded_json_values
from parsers._exports import (
    ISO_INSTANT_FORMATS,
    excerpt,
    iso_basis,
    iso_instant,
    load_json_text,
    raw_events,
    read_bytes_text,
    rejects,
    rejects_lone_surrogates,
    values_are_own_uris,
    without_cycle_collection,
)
from parsers._group_membership import Change, members_over_time
from parsers._json_cut import Cuts, collecting, cut, cuts_long_json_values, file_spans, read_spliced
from parsers._json_utf16 import BOMS, utf16_json
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe

INFO: Final = ParserInfo(
    name="x-archive",
    version="1.4.0",
    description="X (Twitter) archive data file: direct messages, tweets or account (window.YTD.… = JSON)",
    detects="a JavaScript file starting 'window.YTD.<direct_messages|direct_messages_group|tweets|tweet|account>.partN = '",
    notes=__doc__ or "",
    category=EvidenceCategory.SOCIAL_MEDIA_RETURN,
    channels=frozenset({Channel.X}),
    no_public_sample="no public X archive in ../shared/samples; tested on the generator's archive files",
)

_WRAPPER: Final = re.compile(r"^\s*window\.YTD\.(?P<name>[A-Za-z0-9_]+)\.part(?P<part>\d+)\s*=\s*")
DM_NAMES: Final = ("direct_messages", "direct_messages_group", "direct_message", "direct_message_group")
TWEET_NAMES: Final = ("tweets", "tweet", "deleted_tweets", "community_tweet")
ACCOUNT_NAMES: Final = ("account",)
EVIDENCE_COLUMNS: Final = ("source_ref", "basis", "identifier", "related", "detail")


def detect(probe: Probe) -> int:
    m = _WRAPPER.match(probe.text.lstrip("\ufeff"))
    if not m:
        return 0
    return 95 if m.group("name") in DM_NAMES + TWEET_NAMES + ACCOUNT_NAMES else 0


def _uid(value: Any) -> str | None:
    return f"x:id:{value}" if value not in (None, "", 0) else None


@bounded_json_values("an X archive record")
@cuts_long_json_values("an X archive record")
@rejects_lone_surrogates
@without_cycle_collection
def parse(path: Path, ctx: ParseContext) -> ParseResult:
    """Direct messages by :func:`_polars_dms` where it reads the file exactly, else (and every other
    file) by the fast walk, which gives what :func:`parse_plain` gives."""
    read = _polars_dms(path, ctx)
    if read is not None:
        return read
    return _parse(path, ctx, fast=True)


@bounded_json_values("an X archive record")
@cuts_long_json_values("an X archive record")
@rejects_lone_surrogates
@without_cycle_collection
def parse_plain(path: Path, ctx: ParseContext) -> ParseResult:
    """The plain rule: :func:`parse` without its shortcuts (the times read format by format on
    every row, identifiers and references left for the normaliser to convert and check).
    tests/test_x_archive_fast.py holds :func:`parse` equal to it."""
    return _parse(path, ctx, fast=False)


def _parse(path: Path, ctx: ParseContext, *, fast: bool) -> ParseResult:
    text = read_bytes_text(path, "X archive file")
    m = _WRAPPER.match(text)
    if not m:
        raise FormatError(f"{path}: not an X archive data file (it must start 'window.YTD.<name>.partN = ')")
    name = m.group("name")
    doc = load_json_text(text[m.end():], path, f"X archive {name} file")
    if not isinstance(doc, list):
        raise FormatError(f"{path}: the JSON after 'window.YTD.{name}.part{m.group('part')} =' is not a list")
    if name in DM_NAMES:
        return _dms(doc, ctx, path, fast=fast)
    if name in TWEET_NAMES:
        return _tweets(doc, ctx, name, path)
    if name in ACCOUNT_NAMES:
        return _account(doc, ctx)
    raise FormatError(f"{path}: X archive file 'window.YTD.{name}' is not one Atlas reads (direct messages, tweets, account)")


def _evidence(rows: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for ref, ident, related, detail in rows:
        seen.setdefault((ident, related), (ref, detail))
    return pl.DataFrame(
        {"source_ref": [v[0] for v in seen.values()], "basis": ["account-profile"] * len(seen),
         "identifier": [k[0] for k in seen], "related": [k[1] for k in seen], "detail": [v[1] for v in seen.values()]},
        schema={c: pl.String for c in EVIDENCE_COLUMNS},
    )


def _finish(cols: dict[str, list[Any]], stamps: list[str | None], bad: list[tuple[str, str, str]], read: int,
            ctx: ParseContext, *, fast: bool = False, **kw: Any) -> ParseResult:
    frame = raw_events(cols).with_columns(pl.Series("stamp", stamps, dtype=pl.String))
    return _finish_frame(frame, bad, read, ctx, fast=fast, **kw)


def _finish_frame(frame: pl.DataFrame, bad: list[tuple[str, str, str]], read: int, ctx: ParseContext, *,
                  fast: bool = False, x_times: bool = False, **kw: Any) -> ParseResult:
    """The events (``frame``: the raw event columns and ``stamp``, the time as written) with their
    channel and times; ``x_times``: every stamp is in X's own form or null (:func:`_x_instants`)."""
    if fast:
        frame = frame.with_columns(pl.lit("x").alias("channel"))
        frame = _x_instants(frame) if x_times else _with_instants(frame)
        # X's own stamps all end in Z: iso_basis gives utc for each (and offset for none)
        basis = pl.when(pl.col("stamp").is_null()).then(pl.lit("offset")).otherwise(pl.lit("utc")) if x_times else \
            iso_basis(pl.col("stamp"))
        frame = frame.with_columns(basis.alias("ts_basis"), pl.col("stamp").alias("ts_raw")).drop("stamp")
        return ParseResult(events=frame, rejects=rejects(ctx.source_id, bad), records_read=read, **kw)
    frame = frame.with_columns(
        pl.lit("x").alias("channel"), iso_instant(pl.col("stamp")).alias("ts_utc"),
        iso_basis(pl.col("stamp")).alias("ts_basis"), pl.col("stamp").alias("ts_raw"),
    ).drop("stamp")
    return ParseResult(events=frame, rejects=rejects(ctx.source_id, bad), records_read=read, **kw)


_X_INSTANT: Final = r"^\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$"
"""X's own times (``2026-03-01T10:00:00.000Z``), hours, minutes and seconds in range: Arrow's ISO 8601
cast reads each as :func:`_with_instants` reads it (tests/test_x_archive_fast.py compares them on
random times); a day that does not exist (30 February) makes the cast fail, and then
:func:`_with_instants` reads the column."""


def _x_instants(frame: pl.DataFrame) -> pl.DataFrame:
    """:func:`_with_instants`, by Arrow's ISO 8601 cast, for a frame whose every ``stamp`` is in X's
    own form (:data:`_X_INSTANT`) or null (the caller checked)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        instants = pc.cast(frame.get_column("stamp").to_arrow(), pa.timestamp("us", UTC))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a day that does not exist: Polars reads it
        return _with_instants(frame)
    return frame.with_columns(pl.Series("ts_utc", instants).cast(TS_TYPE))


def _with_instants(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with ``ts_utc`` = :func:`parsers._exports.iso_instant` of ``stamp``, the same
    column: ``iso_instant`` is the first non-null of the stripped text read by each of
    ``ISO_INSTANT_FORMATS`` in turn, and every format is read on every row (97 of a 100,000-message
    file's 156 ms after the walk). Here the first format is read on every row (X writes
    ``…T22:55:14.000Z``) and ``iso_instant`` only on the rows it leaves null that have a stamp:
    where the first format reads a row, the coalesce takes that value too (23 ms)."""
    stripped = pl.col("stamp").str.strip_chars()
    first = stripped.str.to_datetime(ISO_INSTANT_FORMATS[0], strict=False, time_unit="us", time_zone=UTC).cast(TS_TYPE)
    frame = frame.with_columns(first.alias("ts_utc"))
    todo = pl.col("ts_utc").is_null() & pl.col("stamp").is_not_null()
    if not frame.select(todo.any()).item():
        return frame
    return frame.with_columns(pl.when(todo).then(iso_instant(pl.col("stamp"))).otherwise(pl.col("ts_utc")).alias("ts_utc"))


class AccountJs(enum.Enum):
    """Why ``account.js`` beside a data file gave no owner: a typed reason, so that the assumption
    says what was found (session 18: a cut ``accountId`` read "no account.js beside the file",
    though the file was there)."""

    ABSENT = "absent"
    UNREADABLE = "unreadable"
    NO_SINGLE_ID = "no single id"
    ID_OVER_BOUND = "id over the bound"


@dataclass(frozen=True)
class AccountOwner:
    """The owner ``account.js`` beside a data file names (``x:id:N``), and how it was found (its hash)."""

    owner: str
    how: str


@dataclass(frozen=True)
class NoAccountOwner:
    """``account.js`` beside a data file gave no owner, and why (:class:`AccountJs`); for an id over the
    bound, the id's size and byte offset in account.js (:class:`parsers._json_cut.Cut`) and the bound."""

    why: AccountJs
    size: int = 0
    offset: int = 0
    bound: int = 0

    def words(self) -> str:
        """The reason as the assumption states it (after "no --owner, ")."""
        if self.why is AccountJs.ABSENT:
            return "no account.js beside the file"
        if self.why is AccountJs.UNREADABLE:
            return "account.js beside the file could not be read as an X account file"
        if self.why is AccountJs.NO_SINGLE_ID:
            return "account.js beside the file names no single account id"
        return (f"account.js is beside the file but its accountId, {self.size:,} bytes at byte offset {self.offset:,}, "
                f"is over the {self.bound:,}-byte bound on one value and was not read")


def _owner_from_account(path: Path) -> AccountOwner | NoAccountOwner:
    """The owner from ``account.js`` beside a data file, or why there is none (:class:`NoAccountOwner`).

    Read with its strings over the bound cut out (:func:`parsers._json_cut.read_spliced`, a collection
    of its own: a value of account.js is no record of this file): one 50 MB display name took a 3 KB
    message file's ingest to 386 MB. A value cut there is as absent; an ``accountId`` cut is said so
    (:attr:`AccountJs.ID_OVER_BOUND`, with its size and offset); account.js's own ingest makes its record
    a reject naming the value's byte offset."""
    account = path.with_name("account.js")
    if account == path or not account.is_file():
        return NoAccountOwner(AccountJs.ABSENT)
    try:
        with collecting() as cuts:
            data, digest = _account_bytes(account, cuts)
        text = data.decode("utf-8-sig")
        m = _WRAPPER.match(text)
        doc = json.loads(text[m.end():]) if m and m.group("name") in ACCOUNT_NAMES else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return NoAccountOwner(AccountJs.UNREADABLE)
    if not isinstance(doc, list):
        return NoAccountOwner(AccountJs.UNREADABLE)
    marker = re.compile(re.escape(f"ATLAS-CUT-{cuts.token}-") + r"(\d+)")
    over: list[int] = []

    def value(acc: dict[str, Any], key: str) -> Any:
        v = acc.get(key)
        if isinstance(v, str) and (found := marker.fullmatch(v)):
            if key == "accountId":
                over.append(int(found.group(1)))
            return None
        return v

    accounts = [a for a in (i.get("account") for i in doc if isinstance(i, dict)) if isinstance(a, dict)]
    ids = {str(v) for a in accounts if (v := value(a, "accountId"))}
    if len(ids) != 1:
        if over and not ids:
            c = cuts.found[over[0]]
            return NoAccountOwner(AccountJs.ID_OVER_BOUND, c.size, c.offset, cuts.bound)
        return NoAccountOwner(AccountJs.NO_SINGLE_ID)
    (uid,) = ids
    handle = next((h for a in accounts if (h := value(a, "username"))), None)
    who = f"x:id:{uid}" + (f" (@{handle})" if handle else "")
    return AccountOwner(f"x:id:{uid}", f"archive owner {who} from account.js beside this file (SHA-256 {digest})")


def _account_bytes(account: Path, cuts: Cuts) -> tuple[bytes, str]:
    """``account.js``'s bytes as UTF-8 with its strings over the bound cut, and the SHA-256 of the file's own
    bytes: a file in UTF-16 (its byte-order mark first) read as the data files beside it are
    (:func:`parsers._json_utf16.utf16_json`), else :func:`parsers._json_cut.read_spliced`."""
    with account.open("rb") as fh:
        utf16 = fh.read(2) in BOMS
    if utf16 and (data := utf16_json(account, cuts)) is not None:
        import hashlib

        digest = hashlib.sha256()
        with account.open("rb") as fh:
            while piece := fh.read(1 << 22):
                digest.update(piece)
        return data, digest.hexdigest()
    return read_spliced(account, file_spans(account))


def _dm_owner(ctx: ParseContext, path: Path, inferred: Callable[[str], tuple[str, str] | None]
              ) -> tuple[str | None, str | None, list[str]]:
    """A direct-message file's owner (``--owner``, else from ``account.js`` beside it, else
    ``inferred(why)``, ``why`` the words of :meth:`NoAccountOwner.words`), the owner the file itself
    gave (or None), and the assumptions so far."""
    assumptions = ["X direct messages: people are named by numeric user id only (x:id:…)"]
    owner, found_owner = ctx.owner, None
    if not owner:
        account = _owner_from_account(path)
        found = (account.owner, account.how) if isinstance(account, AccountOwner) else inferred(account.words())
        if found:
            owner, found_owner = found[0], found[0]
            assumptions.append(found[1])
        else:
            assert isinstance(account, NoAccountOwner)
            assumptions.append(f"the archive's owner is not known (no --owner, {account.words()}): "
                               "direction is unknown")
    return owner, found_owner, assumptions


def _owner_by_inference(doc: list[Any], why: str) -> tuple[str, str] | None:
    """The one user id that every one-to-one conversation id holds (the owner is a party to
    each), when there are at least two such conversations."""
    cids = []
    for item in doc:
        conv = item.get("dmConversation") if isinstance(item, dict) else None
        cids.append(str(conv.get("conversationId") or "") if isinstance(conv, dict) else "")
    return _owner_from_conversation_ids(cids, why)


def _owner_from_conversation_ids(cids: list[str], why: str) -> tuple[str, str] | None:
    """:func:`_owner_by_inference` from each conversation's id (``""`` where there is none); ``why``: why
    account.js gave no owner (:meth:`NoAccountOwner.words`), stated in the basis."""
    pairs = []
    for cid in cids:
        parts = cid.split("-")
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            pairs.append(set(parts))
    if len(pairs) < 2:
        return None
    common = set.intersection(*pairs)
    if len(common) != 1:
        return None
    (uid,) = common
    return f"x:id:{uid}", (f"archive owner x:id:{uid} by inference: the only user id in all {len(pairs)} one-to-one "
                           f"conversation ids (no --owner, {why})")


def _ids(values: Any) -> list[str]:
    return [f"x:id:{v}" for v in (values or []) if _uid(v)] if isinstance(values, list) else []


def _group_members(conv: dict[str, Any], owner: str | None) -> tuple[list[str], list[frozenset[str]], list[Change]]:
    """For a group conversation: the membership changes in time order and the members
    from each (``starts`` are times as ISO text; members before the first change first)."""
    events: list[tuple[str, int, dict[str, Any], str]] = []
    for k, entry in enumerate(conv["messages"]):
        if isinstance(entry, dict) and len(entry) == 1:
            (etype, ev), = entry.items()
            if isinstance(ev, dict) and etype in ("joinConversation", "participantsJoin", "participantsLeave"):
                events.append((str(ev.get("createdAt") or ""), k, ev, etype))
    events.sort(key=lambda e: (e[0], -e[1]))  # time order; the archive lists newest first
    changes_: list[Change] = []
    always: set[str] = set()
    for rank, (_, k, ev, etype) in enumerate(events, start=1):
        ref = f"messages[{k}]"
        if etype == "joinConversation":
            always |= set(_ids(ev.get("participantsSnapshot"))) - ({owner} if owner else set())
            if owner:
                changes_.append(Change(rank, "joined", owner, _uid(ev.get("initiatingUserId")), ref))
        else:
            action = "joined" if etype == "participantsJoin" else "left"
            changes_ += [Change(rank, action, m, _uid(ev.get("initiatingUserId")), ref) for m in _ids(ev.get("userIds"))]
    writers = {f"x:id:{v['senderId']}" for e in conv["messages"] if isinstance(e, dict)
               for v in e.values() if isinstance(v, dict) and _uid(v.get("senderId"))} | always
    if owner:
        writers.add(owner)
    starts, members = members_over_time(changes_, writers)
    stamps = [""] + [events[s - 1][0] for s in starts[1:]]
    return stamps, members, changes_


def _already_uris(values: set[str], ctx: ParseContext) -> bool:
    """Whether every identifier a direct-message file can give (``values``: each conversation's
    members as :func:`_dms` gathers them, every sender and recipient among them, and the owner)
    is already its URI, so the shared normaliser's pass over every row (distinct senders and
    recipients, each looked up) would give each back and can be skipped
    (:attr:`ParseResult.identifiers_are_uris`). Only ``x:`` values (their URI depends on neither
    the region nor the source; none is a ``phone:``, so the ingest's choice of region, skipped
    where identifiers are URIs, would have found no number either); one holding a lone
    surrogate's mark (taken out after the parse, it could hide what the normaliser changes), an
    upper-case letter or a space leaves it to the normaliser."""
    return values_are_own_uris(values, "x:", ctx.source_id, ctx.region)


def _dms(doc: list[Any], ctx: ParseContext, path: Path, *, fast: bool = False) -> ParseResult:
    cols: dict[str, list[Any]] = {k: [] for k in ("source_ref", "kind", "sender", "recipients", "text", "attachments")}
    stamps: list[str | None] = []
    bad: list[tuple[str, str, str]] = []
    reactions: list[tuple[str, str | None, str, str | None]] = []
    conversations: list[dict[str, Any]] = []
    owner, found_owner, assumptions = _dm_owner(ctx, path, lambda why: _owner_by_inference(doc, why))
    read = 0
    groups = 0
    everyone: set[str] = set()  # every sender and recipient is one of them (and the owner)
    for c, item in enumerate(doc):
        conv = item.get("dmConversation") if isinstance(item, dict) else None
        if not isinstance(conv, dict) or not isinstance(conv.get("messages"), list):
            read += 1
            bad.append((f"[{c}]", "not a dmConversation", excerpt(item)))
            continue
        cid = str(conv.get("conversationId") or "")
        parts = cid.split("-")
        one_to_one = len(parts) == 2 and all(p.isdigit() for p in parts)
        members: set[str] = {f"x:id:{p}" for p in parts} if one_to_one else set()
        if fast:
            _members_fast(conv["messages"], members)
        else:
            for entry in conv["messages"]:
                for value in (entry or {}).values() if isinstance(entry, dict) else ():
                    if isinstance(value, dict):
                        for key in ("senderId", "recipientId", "initiatingUserId"):
                            if _uid(value.get(key)):
                                members.add(f"x:id:{value[key]}")
                        for uid in (value.get("userIds") or []) + (value.get("participantsSnapshot") or []):
                            members.add(f"x:id:{uid}")
        over_time: tuple[list[str], list[frozenset[str]], list[Change]] | None = None
        if not one_to_one:
            groups += 1
            if owner:
                members.add(owner)
            over_time = _group_members(conv, owner)
        everyone |= members
        names = [str(v["name"]) for e in conv["messages"] if isinstance(e, dict)
                 for k, v in e.items() if k == "conversationNameUpdate" and isinstance(v, dict) and v.get("name")]
        conversations.append({"source_ref": f"[{c}].dmConversation", "conversation_id": cid,
                              "type": "one-to-one" if one_to_one else "group",
                              "name": names[0] if names else None, "participants": sorted(members)})
        if fast:
            read += _messages_fast(c, conv["messages"], members, over_time, cols, stamps, bad, reactions)
            continue
        for k, entry in enumerate(conv["messages"]):
            read += 1
            ref = f"[{c}].dmConversation.messages[{k}]"
            if not isinstance(entry, dict) or len(entry) != 1:
                bad.append((ref, "not a direct-message event", excerpt(entry)))
                continue
            (etype, ev), = entry.items()
            if not isinstance(ev, dict):
                bad.append((ref, f"{etype} is not an object", excerpt(entry)))
                continue
            sender = _uid(ev.get("senderId") or ev.get("initiatingUserId"))
            if etype == "messageCreate":
                recipient = _uid(ev.get("recipientId"))
                if recipient:
                    recips = [recipient]
                elif over_time is not None:
                    starts, periods, _ = over_time
                    at = bisect.bisect_right(starts, str(ev.get("createdAt") or "")) - 1
                    recips = sorted(periods[max(at, 0)] - ({sender} if sender else set()))
                else:
                    recips = sorted(members - {sender} if sender else members)
                files = [str(u) for u in ev.get("mediaUrls") or []]
                files += [str(u.get("expanded") or u.get("url")) for u in ev.get("urls") or [] if isinstance(u, dict)]
                for r in ev.get("reactions") or []:
                    if isinstance(r, dict):
                        reactions.append((ref, _uid(r.get("senderId")), str(r.get("reactionKey") or ""),
                                          str(r["createdAt"]) if r.get("createdAt") else None))
                kind, body = "message", (str(ev["text"]) if ev.get("text") else None)
            else:
                recips, files, kind = [], [], "note"
                extra = ev.get("name") or ", ".join(str(u) for u in ev.get("userIds") or [])
                body = f"{etype}" + (f": {extra}" if extra else "")
            cols["source_ref"].append(ref)
            cols["kind"].append(kind)
            cols["sender"].append(sender)
            cols["recipients"].append(recips)
            cols["text"].append(body)
            cols["attachments"].append(files)
            stamps.append(str(ev["createdAt"]) if ev.get("createdAt") else None)
    reaction_frame = pl.DataFrame(
        {"source_ref": [r[0] for r in reactions], "actor": [r[1] for r in reactions],
         "reaction": [r[2] for r in reactions], "created_at": [r[3] for r in reactions]},
        schema={"source_ref": pl.String, "actor": pl.String, "reaction": pl.String, "created_at": pl.String},
    )
    extra = {"reactions": reaction_frame} if reactions else {}
    if groups:
        extra["dm_conversations"] = pl.DataFrame(conversations, schema={
            "source_ref": pl.String, "conversation_id": pl.String, "type": pl.String, "name": pl.String,
            "participants": pl.List(pl.String)})
        assumptions.append(f"{groups} group conversation(s): recorded as groups in dm_conversations (a group's id is "
                           "not a person); each group message goes to the members at that time, the owner included")
    if not fast:
        return _finish(cols, stamps, bad, read, ctx, extra=extra, assumptions=assumptions, owner=found_owner)
    return _finish(cols, stamps, bad, read, ctx, fast=True, extra=extra, assumptions=assumptions, owner=found_owner,
                   identifiers_are_uris=ctx.convert_identifiers and _already_uris(everyone | ({owner} if owner else set()), ctx),
                   refs_unique=True)  # [c].dmConversation.messages[k]: each (c, k) once


# --- the fast walk -----------------------------------------------------------------------
# :func:`_dms`'s two walks over a conversation's messages with fewer Python steps a message (each
# dictionary look-up once, ``_uid``'s test written in place, the list appends bound once): the
# same values in the same order, the same rejects (tests/test_x_archive_fast.py holds parse equal
# to parse_plain, which walks as before).

def _members_fast(messages: list[Any], members: set[str]) -> None:
    add = members.add
    for entry in messages:
        if not isinstance(entry, dict):
            continue
        for value in entry.values():
            if isinstance(value, dict):
                get = value.get
                v = get("senderId")
                if v not in (None, "", 0):
                    add(f"x:id:{v}")
                v = get("recipientId")
                if v not in (None, "", 0):
                    add(f"x:id:{v}")
                v = get("initiatingUserId")
                if v not in (None, "", 0):
                    add(f"x:id:{v}")
                joined, snapshot = get("userIds"), get("participantsSnapshot")
                if joined or snapshot:
                    for uid in (joined or []) + (snapshot or []):
                        add(f"x:id:{uid}")


def _messages_fast(c: int, messages: list[Any], members: set[str],
                   over_time: tuple[list[str], list[frozenset[str]], list[Change]] | None, cols: dict[str, list[Any]],
                   stamps: list[str | None], bad: list[tuple[str, str, str]],
                   reactions: list[tuple[str, str | None, str, str | None]]) -> int:
    """One conversation's rows (as :func:`_dms`'s plain walk); returns the entries read."""
    put_ref, put_kind, put_sender = cols["source_ref"].append, cols["kind"].append, cols["sender"].append
    put_recips, put_text, put_files = cols["recipients"].append, cols["text"].append, cols["attachments"].append
    put_stamp = stamps.append
    prefix = f"[{c}].dmConversation.messages["
    for k, entry in enumerate(messages):
        ref = f"{prefix}{k}]"
        if not isinstance(entry, dict) or len(entry) != 1:
            bad.append((ref, "not a direct-message event", excerpt(entry)))
            continue
        (etype, ev), = entry.items()
        if not isinstance(ev, dict):
            bad.append((ref, f"{etype} is not an object", excerpt(entry)))
            continue
        get = ev.get
        who = get("senderId") or get("initiatingUserId")
        sender = f"x:id:{who}" if who not in (None, "", 0) else None
        if etype == "messageCreate":
            to = get("recipientId")
            if to not in (None, "", 0):
                recips = [f"x:id:{to}"]
            elif over_time is not None:
                starts, periods, _ = over_time
                at = bisect.bisect_right(starts, str(get("createdAt") or "")) - 1
                recips = sorted(periods[max(at, 0)] - ({sender} if sender else set()))
            else:
                recips = sorted(members - {sender} if sender else members)
            media = get("mediaUrls")
            files = [str(u) for u in media] if media else []
            urls = get("urls")
            if urls:
                files += [str(u.get("expanded") or u.get("url")) for u in urls if isinstance(u, dict)]
            said = get("reactions")
            if said:
                for r in said:
                    if isinstance(r, dict):
                        reactions.append((ref, _uid(r.get("senderId")), str(r.get("reactionKey") or ""),
                                          str(r["createdAt"]) if r.get("createdAt") else None))
            text = get("text")
            kind, body = "message", (str(text) if text else None)
        else:
            recips, files, kind = [], [], "note"
            extra = get("name") or ", ".join(str(u) for u in get("userIds") or [])
            body = f"{etype}" + (f": {extra}" if extra else "")
        put_ref(ref)
        put_kind(kind)
        put_sender(sender)
        put_recips(recips)
        put_text(body)
        put_files(files)
        at_ = get("createdAt")
        put_stamp(str(at_) if at_ else None)
    return len(messages)


# --- the Polars route --------------------------------------------------------------------
# A direct-message file of one-to-one conversations read by Polars' JSON reader with its layout
# given (about as fast as ``json.loads``, and then no Python walk of every message), and proved
# to hold what ``json.loads`` reads by counts of the text against the frame (:func:`_proved`).
# Anything else (groups, other events, a null, a key not in the layout, a value of another type,
# a lone surrogate) goes to the walk: tests/test_x_archive_fast.py holds parse equal to parse_plain.

_WRAPPER_BYTES: Final = re.compile(
    rb"(?:\xef\xbb\xbf)?[ \t\n\r\f\v]*window\.YTD\.(?P<name>[A-Za-z0-9_]+)\.part(?P<part>[0-9]+)[ \t\n\r\f\v]*="
    rb"[ \t\n\r\f\v]*")
""":data:`_WRAPPER` on the file's bytes (a BOM as ``read_bytes_text`` strips it, ASCII whitespace
only): where it matches and a ``[`` follows, :data:`_WRAPPER` matches the text up to the same ``[``."""
_REACTION: Final = pl.Struct({"senderId": pl.String, "reactionKey": pl.String, "eventId": pl.String,
                              "createdAt": pl.String})
_URL: Final = pl.Struct({"url": pl.String, "expanded": pl.String, "display": pl.String})
_MESSAGE: Final = pl.Struct({"recipientId": pl.String, "reactions": pl.List(_REACTION), "urls": pl.List(_URL),
                             "text": pl.String, "mediaUrls": pl.List(pl.String), "senderId": pl.String, "id": pl.String,
                             "createdAt": pl.String, "editHistory": pl.List(pl.String)})
_LAYOUT: Final = pl.Schema({"dmConversation": pl.Struct({"conversationId": pl.String,
                                                         "messages": pl.List(pl.Struct({"messageCreate": _MESSAGE}))})})
"""A one-to-one direct-message file as X writes it: every value a text, or a list or object of them
(``id``, ``eventId``, ``display`` and ``editHistory`` are read only so that the count holds them: the
walk does not use them)."""
_COUNTED: Final = b':"['
_NO_TEXTS: Final = pl.Series([[]], dtype=pl.List(pl.String))


class _NotFast(Exception):
    """Not a file the Polars route reads exactly: the walk reads it."""


def _polars_dms(path: Path, ctx: ParseContext) -> ParseResult | None:
    """:func:`_dms`'s result by the Polars route, or None where only the walk reads the file exactly."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
            m = _WRAPPER_BYTES.match(head)
            if not m or m.group("name").decode() not in DM_NAMES or head[m.end():m.end() + 1] != b"[":
                return None
            fh.seek(m.end())
            data = fh.read(max(os.fstat(fh.fileno()).st_size - m.end(), 0))  # in one read, where no size reads by parts
            if fh.read(1):
                return None  # the file grew while it was read
        return _polars_result(cut(data, path, m.end()), path, ctx)
    except _NotFast:
        return None
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException:  # whatever the route cannot read (a Polars panic too), the walk reads or names
        return None


def _escapes_ok(data: bytes) -> bool:
    """Whether no ``\\uXXXX`` escape of the text stands for a counted character (``:`` ``"`` ``[``)
    or is half a surrogate pair alone (Polars reads that as another character; the plain
    rule marks its record). Escapes are found as JSON reads them: in a run of backslashes the
    first, third … starts one (``\\\\`` is a backslash)."""
    import numpy as np

    a = np.frombuffer(data, np.uint8)
    backslashes = np.flatnonzero(a == 0x5C)
    if not backslashes.size:
        return True
    if backslashes[-1] + 1 >= a.size:
        return False
    index = np.arange(backslashes.size)
    first = np.maximum.accumulate(np.where(np.r_[True, np.diff(backslashes) != 1], index, 0))
    at = backslashes[(index - first) % 2 == 0]
    u = at[a[at + 1] == ord("u")]
    if not u.size:
        return True
    if u[-1] + 5 >= a.size:
        return False
    digits = np.stack([a[u + k] for k in range(2, 6)])
    table = np.full(256, 255, np.int64)
    for k, c in enumerate(b"0123456789abcdef"):
        table[c] = table[ord(chr(c).upper())] = k
    values = table[digits]
    if (values == 255).any():
        return False
    code = (values[0] << 12) | (values[1] << 8) | (values[2] << 4) | values[3]
    if np.isin(code, list(_COUNTED)).any():
        return False
    high = u[(code >= 0xD800) & (code < 0xDC00)]
    low = u[(code >= 0xDC00) & (code < 0xE000)]
    return bool(high.size == low.size and np.isin(high + 6, low).all() and np.isin(low - 6, high).all())


def _tally(array: Any, counts: list[int], texts: list[Any]) -> None:
    """Count under ``array`` (Arrow) the objects, keys held, lists and texts (``counts``, in that
    order), and gather the text arrays; :class:`_NotFast` for an object that is null or missing
    (the walk rejects its record or conversation) and a null in a list."""
    import pyarrow as pa

    dtype = array.type
    if pa.types.is_struct(dtype):
        if array.null_count:
            raise _NotFast("an object null or missing")
        counts[0] += len(array)
        for child in array.flatten():
            counts[1] += len(child) - child.null_count
            _tally(child, counts, texts)
    elif pa.types.is_large_list(dtype):
        counts[2] += len(array) - array.null_count
        values = array.flatten()
        if values.null_count:
            raise _NotFast("a null in a list")
        _tally(values, counts, texts)
    elif pa.types.is_large_string(dtype):
        counts[3] += len(array) - array.null_count
        if len(array) > array.null_count:
            texts.append(array)
    else:
        raise _NotFast(f"{dtype}")


def _proved(data: bytes, doc: pl.DataFrame) -> None:
    """Prove ``doc`` (``data`` read with :data:`_LAYOUT`) holds what ``json.loads`` reads, or
    :class:`_NotFast`. With no escape of a counted character (:func:`_escapes_ok`), and no key
    name holding one (the layout's have none):

    * every colon of the text is a key's or one inside a text: as many as the keys the frame
      holds and the colons of its texts, so no key was dropped (one not in the layout), given
      twice (Polars keeps the first value, Python the last) or ``null``;
    * every quote is one of a key's or a text's two, or one inside a text (escaped): so no
      number, ``true`` or ``false`` was read as a text;
    * every ``[`` opens a list the frame holds (or the document's), or is inside a text: so no
      single value was read as a list of one (Polars does so);

    Any other type where the layout has a text, list or object is an error of the read (an object
    where it has a text or a list too; an object given to a key it lacks, the colons see)."""
    import numpy as np

    from parsers._json_tally import byte_counts

    if b"\\" in data and not _escapes_ok(data):
        raise _NotFast("an escape of a counted character, or a lone surrogate")
    counts = [0, 0, 0, 0]
    texts: list[Any] = []
    _tally(doc.to_struct("doc").to_arrow(compat_level=pl.CompatLevel.oldest()), counts, texts)
    _, keys, lists, strings = counts
    parts = []
    for array in texts:
        offsets = np.frombuffer(array.buffers()[1], np.int64)[array.offset:array.offset + len(array) + 1]
        if array.null_count and np.diff(offsets)[~np.asarray(array.is_valid())].any():
            raise _NotFast("a null text with bytes")  # they would be counted as a text's
        parts.append(np.frombuffer(array.buffers()[2], np.uint8)[offsets[0]:offsets[-1]])
    colons, quotes, brackets = byte_counts([np.frombuffer(data, np.uint8)], _COUNTED)
    t_colons, t_quotes, t_brackets = byte_counts(parts, _COUNTED)
    if colons != keys + t_colons or quotes != 2 * (keys + strings) + t_quotes or brackets != lists + 1 + t_brackets:
        raise _NotFast("the counts of the text are not the frame's")


def _polars_result(data: bytes, path: Path, ctx: ParseContext) -> ParseResult:
    """:func:`_dms`'s result (as its fast walk gives it) from ``data``, the file's list after its
    ``window.YTD.….partN =``, read by Polars and proved (:func:`_proved`); :class:`_NotFast` where
    it cannot be. Each column as the walk makes it a message at a time: the sender and recipient
    ``x:id:`` and the id where it is not empty; with no recipient, every member of the conversation
    but the sender; the text where not empty; the media, then each link's ``expanded`` or else its
    ``url`` (``"None"`` where it has neither); each reaction a row of ``reactions``."""
    import numpy as np

    end = len(data) - 1
    while end > 0 and data[end] in b" \t\r\n":
        end -= 1
    if data[end:end + 1] != b"]":
        raise _NotFast("text after the list")  # json.loads refuses it: the walk names the fault
    try:
        doc = pl.read_json(data, schema=_LAYOUT)
    except Exception as exc:
        raise _NotFast("Polars does not read it") from exc
    if not doc.height:
        raise _NotFast("no conversations")
    _proved(data, doc)
    conv = doc.get_column("dmConversation").struct.unnest()
    cids = ["" if c is None else c for c in conv.get_column("conversationId").to_list()]
    split = [cid.split("-") for cid in cids]
    if not all(len(parts) == 2 and all(p.isdigit() for p in parts) for parts in split):
        raise _NotFast("a group conversation")  # the walk works out who was in it when
    messages = conv.get_column("messages")
    if messages.null_count():
        raise _NotFast("a conversation without messages")  # the walk rejects it
    lengths = messages.list.len().to_numpy().astype(np.int64)
    total = int(lengths.sum())
    if not total:
        raise _NotFast("no messages")
    t = messages.explode(empty_as_null=False, keep_nulls=False).struct.field("messageCreate").struct.unnest()
    c = np.repeat(np.arange(len(cids), dtype=np.int64), lengths)
    k = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    prefixes = pl.Series([f"[{i}].dmConversation.messages[" for i in range(len(cids))], dtype=pl.String)
    t = t.with_columns(pl.Series("c", c), pl.Series("k", k))
    owner, found_owner, assumptions = _dm_owner(ctx, path, lambda why: _owner_from_conversation_ids(cids, why))

    def uid(name: str) -> pl.Expr:
        return pl.when(pl.col(name) != "").then(pl.lit("x:id:") + pl.col(name))

    # each conversation's members: the two ids of its id, every sender and every recipient; the walk's
    # ``everyone`` is all of them (and the owner)
    members = [{f"x:id:{p}" for p in parts} for parts in split]
    everyone = set().union(*members) | ({owner} if owner else set())
    everyone.update(f"x:id:{v}" for v in pl.concat([t.get_column("senderId"), t.get_column("recipientId")]).unique() if v)
    ref = pl.concat_str(pl.lit(prefixes).gather(pl.col("c")), pl.col("k").cast(pl.String), pl.lit("]"))
    recipients = pl.concat_list(uid("recipientId"))
    lacking = t.select(pl.col("recipientId").is_null() | (pl.col("recipientId") == "")).to_series()
    if lacking.any():  # no recipient: every member of the conversation but the sender
        for i, senders, to in t.group_by("c").agg(pl.col("senderId").unique(), pl.col("recipientId").unique()).iter_rows():
            members[i].update(f"x:id:{v}" for v in (*senders, *to) if v)
        table = {(i, s): sorted(members[i] - {s} if s else members[i])
                 for i, s in t.filter(lacking).select("c", uid("senderId")).unique().iter_rows()}
        others = pl.Series([table[(i, s)] if miss else None for i, s, miss in zip(
            c.tolist(), t.select(uid("senderId")).to_series().to_list(), lacking.to_list(), strict=True)],
            dtype=pl.List(pl.String))
        recipients = pl.when(lacking).then(pl.lit(others)).otherwise(recipients)
    media, urls = t.get_column("mediaUrls"), t.get_column("urls")
    if media.list.len().sum() or urls.list.len().sum():
        link = pl.element().struct.field("expanded")
        link = pl.when(link.is_not_null() & (link != "")).then(link).otherwise(
            pl.element().struct.field("url").fill_null("None"))
        files = pl.col("mediaUrls").fill_null(_NO_TEXTS.first()).list.concat(
            pl.col("urls").fill_null(pl.lit(pl.Series([[]], dtype=pl.List(_URL))).first()).list.eval(link))
    else:
        files = pl.lit(_NO_TEXTS).first()
    stamp = pl.when(pl.col("createdAt") != "").then(pl.col("createdAt"))
    frame = t.select(
        ref.alias("source_ref"), pl.lit("message").cast(RAW_EVENT_SCHEMA["kind"]).alias("kind"),
        uid("senderId").alias("sender"), recipients.alias("recipients"),
        pl.when(pl.col("text") != "").then(pl.col("text")).alias("text"), files.alias("attachments"),
        stamp.alias("stamp"))
    extra: dict[str, pl.DataFrame] = {}
    said = t.get_column("reactions")
    if said.list.len().sum():
        r = (t.select(ref.alias("source_ref"), "reactions").filter(pl.col("reactions").list.len() > 0)
             .explode("reactions").unnest("reactions"))
        extra["reactions"] = r.select(
            "source_ref", uid("senderId").alias("actor"), pl.col("reactionKey").fill_null("").alias("reaction"),
            pl.when(pl.col("createdAt") != "").then(pl.col("createdAt")).alias("created_at"))
    x_times = frame.select((pl.col("stamp").str.contains(_X_INSTANT) | pl.col("stamp").is_null()).all()).item()
    return _finish_frame(frame, [], total, ctx, fast=True, x_times=x_times, extra=extra, assumptions=assumptions,
                         owner=found_owner,
                         identifiers_are_uris=ctx.convert_identifiers and _already_uris(everyone, ctx),
                         refs_unique=True)  # [c].dmConversation.messages[k]: each (c, k) once


def _tweets(doc: list[Any], ctx: ParseContext, name: str, path: Path) -> ParseResult:
    cols: dict[str, list[Any]] = {k: [] for k in (
        "source_ref", "kind", "sender", "recipients", "text", "attachments", "status", "deleted")}
    stamps: list[str | None] = []
    bad: list[tuple[str, str, str]] = []
    ev_rows: list[tuple[str, str, str, str]] = []
    replies: list[tuple[str, str, Any, Any, Any]] = []
    account = None if ctx.owner else _owner_from_account(path)
    found = (account.owner, account.how) if isinstance(account, AccountOwner) else None
    author = ctx.owner or (found[0] if found else None)
    for i, item in enumerate(doc):
        ref = f"[{i}].tweet"
        tweet = item.get("tweet", item) if isinstance(item, dict) else None
        if not isinstance(tweet, dict) or not (tweet.get("full_text") or tweet.get("text") or tweet.get("created_at")):
            bad.append((f"[{i}]", "not a tweet", excerpt(item)))
            continue
        recips: list[str] = []
        reply_id, reply_name = tweet.get("in_reply_to_user_id_str"), tweet.get("in_reply_to_screen_name")
        if reply_id:
            recips.append(f"x:id:{reply_id}")
            if reply_name:
                ev_rows.append((ref, f"x:id:{reply_id}", f"x:{reply_name}", "tweet replies to this handle with this user id"))
        elif reply_name:
            recips.append(f"x:{reply_name}")
        entities = tweet.get("entities") if isinstance(tweet.get("entities"), dict) else {}
        assert isinstance(entities, dict)
        for mention in entities.get("user_mentions") or []:
            if not isinstance(mention, dict):
                continue
            uid, handle = mention.get("id_str"), mention.get("screen_name")
            ident = f"x:id:{uid}" if uid and uid not in ("-1", "0") else (f"x:{handle}" if handle else None)
            if ident and ident not in recips:
                recips.append(ident)
            if uid and uid not in ("-1", "0") and handle:
                ev_rows.append((ref, f"x:id:{uid}", f"x:{handle}", "tweet mentions this handle with this user id"))
            if uid and uid not in ("-1", "0") and mention.get("name"):
                ev_rows.append((ref, f"x:id:{uid}", f"name:{mention['name']}", "display name shown for this X user id"))
        media = [str(m.get("media_url_https") or m.get("media_url")) for m in entities.get("media") or [] if isinstance(m, dict)]
        text = tweet.get("full_text") or tweet.get("text")
        cols["source_ref"].append(ref)
        cols["kind"].append("note")
        cols["sender"].append(author)
        cols["recipients"].append(recips)
        cols["text"].append(str(text) if text else None)
        cols["attachments"].append(media)
        cols["status"].append("deleted-by-sender" if name == "deleted_tweets" else None)
        cols["deleted"].append(name == "deleted_tweets")
        stamps.append(str(tweet["created_at"]) if tweet.get("created_at") else None)
        replies.append((ref, str(tweet.get("id_str") or tweet.get("id") or ""), tweet.get("in_reply_to_status_id_str"),
                        reply_id, reply_name))
    frame = raw_events(cols).with_columns(pl.Series("ts_raw", stamps, dtype=pl.String))
    frame = frame.with_columns(
        pl.lit("x").alias("channel"),
        pl.col("ts_raw").str.to_datetime("%a %b %d %H:%M:%S %z %Y", strict=False, time_unit="us", time_zone="UTC")
        .alias("ts_utc"),
        pl.lit("offset").alias("ts_basis"),
    )
    tweets = pl.DataFrame(
        {"source_ref": [r[0] for r in replies], "tweet_id": [r[1] for r in replies],
         "in_reply_to_status_id": [r[2] for r in replies], "in_reply_to_user_id": [r[3] for r in replies],
         "in_reply_to_screen_name": [r[4] for r in replies]},
        schema={k: pl.String for k in ("source_ref", "tweet_id", "in_reply_to_status_id", "in_reply_to_user_id",
                                       "in_reply_to_screen_name")},
    )
    assumptions = ["tweets: created_at carries +0000 (basis offset); reply targets and mentions are the recipients"]
    if found:
        assumptions.append(f"tweets do not name their author: the {found[1]}")
    elif not ctx.owner:
        why = account.words() if isinstance(account, NoAccountOwner) and account.why is not AccountJs.ABSENT else ""
        assumptions.append("tweets do not name their author: sender left empty (give --owner)" + (f"; {why}" if why else ""))
    return ParseResult(events=frame, rejects=rejects(ctx.source_id, bad), records_read=len(doc), assumptions=assumptions,
                       evidence=_evidence(ev_rows), extra={"tweets": tweets})


def _account(doc: list[Any], ctx: ParseContext) -> ParseResult:
    cols: dict[str, list[Any]] = {k: [] for k in ("source_ref", "kind", "sender", "text")}
    stamps: list[str | None] = []
    bad: list[tuple[str, str, str]] = []
    ev_rows: list[tuple[str, str, str, str]] = []
    owner = None
    for i, item in enumerate(doc):
        ref = f"[{i}].account"
        acc = item.get("account") if isinstance(item, dict) else None
        if not isinstance(acc, dict) or not acc.get("accountId"):
            bad.append((f"[{i}]", "not an account record (no accountId)", excerpt(item)))
            continue
        ident = f"x:id:{acc['accountId']}"
        owner = owner or ident
        if acc.get("username"):
            ev_rows.append((ref, ident, f"x:{acc['username']}", "X account: username of this user id"))
        if acc.get("accountDisplayName"):
            ev_rows.append((ref, ident, f"name:{acc['accountDisplayName']}", "X account: display name"))
        if acc.get("email"):
            ev_rows.append((ref, ident, f"email:{acc['email']}", "X account: e-mail address"))
        cols["source_ref"].append(ref)
        cols["kind"].append("account")
        cols["sender"].append(ident)
        cols["text"].append(f"@{acc.get('username')} ({acc.get('accountDisplayName')})")
        stamps.append(str(acc["createdAt"]) if acc.get("createdAt") else None)
    return _finish(cols, stamps, bad, len(doc), ctx, owner=owner, evidence=_evidence(ev_rows))
