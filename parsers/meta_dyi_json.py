"""Facebook, Messenger and Instagram "Download your information" (DYI) JSON files.

What a victim or suspect downloads from Meta: one ``message_N.json`` per thread
part (``messages/inbox/<thread>/message_1.json``, ``message_2.json`` … for long
threads, newest messages first), plus posts, comments and the profile.

Layouts read, and where the knowledge comes from (Meta publishes no schema; these
are the keys of real downloads as read by public tools, e.g. chat-miner's
``FacebookMessengerParser``/``InstagramJsonParser``, RLEAPP's ``facebookE2EMessages``
artifact, and examiners' experience):

* **Messenger / Instagram threads**: ``participants`` (``[{"name": …}]``),
  ``messages`` with ``sender_name``, ``timestamp_ms`` (epoch milliseconds: basis
  ``utc``), ``content``, ``photos``/``videos``/``audio_files``/``files``/``gifs``
  (each ``[{"uri": …}]``), ``sticker.uri``, ``share.link``, ``reactions``
  (``[{"reaction", "actor"}]``), ``is_unsent``, ``type`` (``Generic``, ``Share``,
  ``Call`` with ``call_duration`` and ``missed``, ``Subscribe``/``Unsubscribe``),
  ``title``, ``thread_path`` (``inbox/<folder>``). A bare ``{"messages": […]}`` (as
  in chat-miner's public Instagram test export) is read the same way.
* **Messenger's end-to-end-encrypted export** (2024-): camelCase: ``participants``
  (a list of names), ``threadName``, ``messages`` with ``senderName``,
  ``timestamp`` (epoch ms), ``text``, ``isUnsent``, ``media`` (``[{"uri"}]``),
  ``reactions``.
* **Mojibake**: the classic exports write every UTF-8 byte as its own ``\\u00XX``
  escape ("café" → "cafÃ©"). Repaired with ``encode("latin-1").decode("utf-8")``,
  decided once per file (a file with any character above U+00FF was not written
  that way and is left alone) and only where the round trip succeeds; the count of
  repaired values is recorded on the source.
* **Posts** (Facebook ``your_posts_1.json``: ``timestamp`` in seconds, ``data[].post``,
  ``title`` such as "Dan wrote on Alice's timeline.", ``attachments`` with media and
  places) → ``note`` (``media`` if only media); a place's coordinates are kept.
  Instagram ``posts_1.json`` (``media[].uri``, ``creation_timestamp``, ``title`` =
  caption) → ``media``.
* **Comments** (Facebook ``comments.json``: ``comments_v2[].data[].comment`` with
  ``comment``, ``author``, ``timestamp``; Instagram ``post_comments_1.json``:
  ``string_map_data`` ``Comment``/``Media Owner``/``Time``) → ``note`` events.
* **Profile** (Instagram ``personal_information.json`` ``profile_user``; Facebook
  ``profile_information.json`` ``profile_v2``) → one ``account`` event, the owner,
  and ``account-profile`` identity evidence linking the handle to the display name,
  e-mail addresses and phone numbers the profile lists.

Decisions:

* Platform (``facebook`` or ``instagram``): from the content, see :mod:`parsers._meta`.
* Identities: messages name people only by display name, so senders and recipients
  are ``name:<display name>`` until linked (a handle appears only in a profile, an
  Instagram comment's media owner, or a share's ``original_content_owner``).
  Recipients are the thread's other participants (or, without a participant list,
  the thread's other senders, else ``--owner``).
* ``is_unsent`` / ``isUnsent`` means the sender withdrew a message *after* sending
  it ("Unsend"): status ``deleted-by-sender`` (it reached the recipient and still
  counts as contact), not ``unsent`` (never sent). The content is usually gone.
* Calls (``type: Call``) are ``call`` events: ``missed`` when the export says so or
  the duration is 0, otherwise ``answered`` with ``call_duration`` seconds.
  ``Subscribe``/``Unsubscribe`` (joined/left a group) are notes.
* Attachments are the ``uri`` values as written, a sticker's uri, and a share's
  link. Reactions have no time in these exports, so they are not events: they are
  kept in the ``reactions`` reference table (message, actor, reaction).
* ``source_ref`` is the JSON path of the record: ``messages[12]``,
  ``comments_v2[3]``, ``[7]`` for a top-level list.

Public sample: chat-miner ``test/instagram/test_export.json``: 2 messages, read
as ``instagram`` from the path (the sample has no platform marker).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import polars as pl

from atlas.errors import FormatError
from atlas.model import RAW_EVENT_SCHEMA, Channel, EvidenceCategory
from atlas.normalise.identifiers import identifier_uri
from atlas.normalise.times import from_epoch
from parsers._bounds import bounded_json_values
from parsers._exports import (
    SURROGATE_MARK,
    _unmojibake,
    epoch_ms_utc,
    epoch_s_utc,
    excerpt,
    has_array,
    head_keys,
    is_mojibake_document,
    json_bytes,
    load_json,
    others,
    raw_events,
    rejects,
    rejects_lone_surrogates,
    repair_mojibake,
    repair_value,
    without_cycle_collection,
)
from parsers._json_cut import cuts_long_json_values
from parsers._json_tally import byte_counts, few_keys, text_bytes
from parsers._meta import FB_PREFIXES, IG_PREFIXES, decide_platform
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe, SampleCount

INFO: Final = ParserInfo(
    name="meta-dyi-json",
    version="1.3.0",
    description="Facebook / Messenger / Instagram 'Download your information' JSON (messages, posts, comments, profile)",
    detects="JSON with participants/messages and sender_name + timestamp_ms (or camelCase senderName + timestamp), "
    "or Meta's posts, comments_v2, string_map_data comments, profile_user / profile_v2",
    notes=__doc__ or "",
    category=EvidenceCategory.SOCIAL_MEDIA_RETURN,
    channels=frozenset({Channel.FACEBOOK, Channel.INSTAGRAM}),
    sample_counts=(
        SampleCount("chat-miner/instagram/test_export.json", 2, 2, 0, "messages[0]", "2020-01-17T20:49:00+00:00",
                    note="joweich/chat-miner Instagram export: 2 messages"),
    ),
)

MEDIA_KEYS: Final = ("photos", "videos", "audio_files", "files", "gifs")
REACTIONS_SCHEMA: Final = pl.Schema({"source_ref": pl.String, "actor": pl.String, "reaction": pl.String})


def detect(probe: Probe) -> int:
    text = probe.text.lstrip()
    if not text.startswith(("{", "[")):
        return 0
    keys = head_keys(text[:65536])
    if "date_unixtime" in keys or "semanticSegments" in keys or "timelineObjects" in keys:
        return 0
    head = text[:65536]
    if {"sender_name", "timestamp_ms"} <= keys and has_array(head, "messages"):
        return 90
    if {"senderName", "timestamp"} <= keys and has_array(head, "messages"):
        return 90
    if keys & {"comments_v2", "profile_v2", "profile_user"}:
        return 85
    if "string_map_data" in keys and ("Comment" in keys or "Media Owner" in keys):
        return 85
    if text.startswith("[") and {"timestamp", "data", "post"} <= keys:
        return 80
    if text.startswith("[") and {"media", "creation_timestamp", "uri"} <= keys:
        return 75
    return 0


@bounded_json_values("a Messenger or Instagram message")
@cuts_long_json_values("a Messenger or Instagram message")
@rejects_lone_surrogates
@without_cycle_collection
def parse(path: Path, ctx: ParseContext) -> ParseResult:
    fast = _fast_thread(path, ctx)
    return fast if fast is not None else _parse_plain(path, ctx)


@bounded_json_values("a Messenger or Instagram message")
@cuts_long_json_values("a Messenger or Instagram message")
@rejects_lone_surrogates
@without_cycle_collection
def parse_plain(path: Path, ctx: ParseContext) -> ParseResult:
    """The plain rule (every record walked in Python); :func:`parse` gives the same result."""
    return _parse_plain(path, ctx)


def _parse_plain(path: Path, ctx: ParseContext) -> ParseResult:
    doc = load_json(path, "Meta 'Download your information' export")
    if isinstance(doc, dict) and isinstance(doc.get("messages"), list):
        return _thread(doc, path, ctx)
    if isinstance(doc, dict) and isinstance(doc.get("comments_v2"), list):
        return _fb_comments(doc["comments_v2"], "comments_v2", path, ctx)
    if isinstance(doc, dict) and ("profile_user" in doc or "profile_v2" in doc):
        return _profile(doc, path, ctx)
    if isinstance(doc, dict) and isinstance(doc.get("comments_media_comments"), list):
        return _ig_comments(doc["comments_media_comments"], "comments_media_comments", path, ctx)
    if isinstance(doc, list):
        dicts = [x for x in doc if isinstance(x, dict)]
        if any("string_map_data" in x for x in dicts):
            return _ig_comments(doc, "", path, ctx)
        if any("data" in x or "attachments" in x for x in dicts) and any("timestamp" in x for x in dicts):
            return _fb_posts(doc, path, ctx)
        if any("media" in x for x in dicts):
            return _ig_posts(doc, path, ctx)
    raise FormatError(
        f"{path}: JSON, but not a Meta export this parser knows (expected 'messages', 'comments_v2', "
        "'profile_user'/'profile_v2', or a list of posts)"
    )


# --- threads --------------------------------------------------------------------------

def _uris(items: Any) -> list[str]:
    if not isinstance(items, list):
        return []
    return [str(x["uri"]) for x in items if isinstance(x, dict) and x.get("uri")]


def _thread(doc: dict[str, Any], path: Path, ctx: ParseContext) -> ParseResult:
    messages: list[Any] = doc["messages"]
    camel = any(isinstance(m, dict) and "senderName" in m for m in messages[:200]) and not any(
        isinstance(m, dict) and "sender_name" in m for m in messages[:200]
    )
    raw_participants = doc.get("participants") or []
    participants = sorted({
        str(p["name"]) if isinstance(p, dict) and p.get("name") else str(p)
        for p in raw_participants if (isinstance(p, dict) and p.get("name")) or isinstance(p, str)
    })
    refs: list[str] = []
    senders: list[str | None] = []
    stamps: list[Any] = []
    texts: list[str | None] = []
    attachments: list[list[str]] = []
    kinds: list[str] = []
    statuses: list[str | None] = []
    durations: list[int | None] = []
    reactions: list[tuple[str, str, str]] = []
    bad: list[tuple[str, str, str]] = []
    keys_seen: set[str] = set(doc.keys())
    links: list[str] = []
    for i, m in enumerate(messages):
        ref = f"messages[{i}]"
        if not isinstance(m, dict):
            bad.append((ref, "not a message object", excerpt(m)))
            continue
        keys_seen.update(m.keys())
        if camel:
            sender, stamp, text = m.get("senderName"), m.get("timestamp"), m.get("text")
            files = _uris(m.get("media"))
            unsent = bool(m.get("isUnsent"))
        else:
            sender, stamp, text = m.get("sender_name"), m.get("timestamp_ms"), m.get("content")
            files = [u for key in MEDIA_KEYS for u in _uris(m.get(key))]
            unsent = bool(m.get("is_unsent"))
        sticker = m.get("sticker")
        if isinstance(sticker, dict) and sticker.get("uri"):
            files.append(str(sticker["uri"]))
        share = m.get("share")
        if isinstance(share, dict):
            keys_seen.update(share.keys())
            if share.get("link"):
                files.append(str(share["link"]))
                links.append(str(share["link"]))
        mtype = str(m.get("type") or "")
        kind, status, duration = "message", None, None
        if mtype == "Call" or "call_duration" in m:
            kind = "call"
            raw_duration = m.get("call_duration")
            duration = int(raw_duration) if isinstance(raw_duration, int | float) else None
            status = "missed" if m.get("missed") or duration == 0 else "answered"
        elif mtype in ("Subscribe", "Unsubscribe"):
            kind = "note"
        if unsent:
            status = "deleted-by-sender"
        for r in m.get("reactions") or []:
            if isinstance(r, dict):
                reactions.append((ref, str(r.get("actor") or ""), str(r.get("reaction") or "")))
        refs.append(ref)
        senders.append(f"name:{sender}" if isinstance(sender, str) and sender else None)
        stamps.append(stamp)
        texts.append(str(text) if text is not None and str(text) != "" else None)
        attachments.append(files)
        kinds.append(kind)
        statuses.append(status)
        durations.append(duration)

    frame = raw_events({
        "source_ref": refs, "kind": kinds, "sender": senders, "text": texts, "attachments": attachments,
        "status": statuses, "duration_s": durations,
    }).with_columns(pl.Series("stamp", [str(s) if s is not None else None for s in stamps], dtype=pl.String))
    names = [f"name:{p}" for p in participants] or sorted({s for s in senders if s})
    return _thread_result(
        frame, names=names, uris=[u for files in attachments for u in files], links=links, keys=keys_seen,
        camel=camel, mojibake_on=is_mojibake_document(_strings(doc)), reactions=reactions, bad=bad,
        records=len(messages), path=path, ctx=ctx,
    )


def _thread_result(
    frame: pl.DataFrame, *, names: list[str], uris: list[str], links: list[str], keys: set[str], camel: bool,
    mojibake_on: bool, reactions: list[tuple[str, str, str]], bad: list[tuple[str, str, str]], records: int,
    path: Path, ctx: ParseContext, senders: list[str | None] | None = None,
) -> ParseResult:
    """A thread's result from its messages' columns (``source_ref``, ``kind``, ``sender``, ``text``,
    ``attachments``, ``status``, ``duration_s``, ``stamp``) and what the walk found: the plain rule and
    the fast path both end here. The fast path may also give ``senders`` (the ``sender`` column's
    distinct values: each row's :func:`others` is then one expression, see :func:`_others_by_sender`)
    and a column ``_ms``: ``stamp`` as the integer it was read from. With ``senders`` and
    ``ctx.convert_identifiers``, the identifiers may come out as URIs (:func:`_identifier_uris`)."""
    uri = _identifier_uris([*senders, *names, ctx.owner], ctx) if (
        senders is not None and len(senders) <= _MANY_SENDERS and ctx.convert_identifiers and not mojibake_on) else None
    all_others = _others_by_sender(senders, names, uri) if senders is not None else None
    if all_others is None:
        uri = None  # (many senders: each row's others are a column, which the normaliser converts)
    recipients = pl.when(pl.col("kind") == "note").then(pl.lit([], pl.List(pl.String))).otherwise(
        pl.lit(others(frame, names)) if all_others is None else all_others)
    if ctx.owner:
        owner = uri[ctx.owner] if uri is not None else ctx.owner
        recipients = pl.when((pl.col("kind") != "note") & (recipients.list.len() == 0) & (pl.col("sender") != ctx.owner)) \
            .then(pl.lit(pl.Series([[owner]], dtype=pl.List(pl.String)))).otherwise(recipients)
    if mojibake_on:
        frame = frame.with_columns(recipients.alias("recipients"))
        recipients = pl.col("recipients")
    channel, why = decide_platform(
        uris=uris, links=links, keys=keys, path=path, options=ctx.options,
        default="facebook",
        default_why="Messenger layout with no platform marker in the content or the path" if camel
        else "no platform marker in the content or the path",
    )
    frame, repaired = repair_mojibake(frame, ["sender", "text"], ["recipients", "attachments"]) if mojibake_on else (frame, 0)
    events = frame.select(
        "source_ref", "kind", pl.lit(channel).alias("channel"),
        (from_epoch(pl.col("_ms"), "unix_ms") if "_ms" in frame.columns else epoch_ms_utc(pl.col("stamp")))
        .alias("ts_utc"), pl.lit("utc").alias("ts_basis"),
        pl.col("stamp").alias("ts_raw"),
        pl.col("sender") if uri is None else pl.col("sender").replace_strict(uri, default=None, return_dtype=pl.String),
        recipients.alias("recipients"), "status", "duration_s", "text", "attachments",
    )
    assumptions = [f"platform: {why}"]
    assumptions.append(
        "Messenger end-to-end-encrypted export (camelCase keys)" if camel else "Meta DYI thread (timestamp_ms in UTC)"
    )
    if mojibake_on:
        assumptions.append(f"Meta's Latin-1 mojibake repaired in {repaired} distinct value(s) of the messages "
                           "(and in reactions)")
    reaction_frame = pl.DataFrame(
        {
            "source_ref": [r[0] for r in reactions],
            "actor": [f"name:{repair_value(r[1], mojibake_on)}" for r in reactions],
            "reaction": [repair_value(r[2], mojibake_on) for r in reactions],
        },
        schema=REACTIONS_SCHEMA,
    ) if reactions else None  # (none: no table, and no frame made to say so)
    return ParseResult(
        events=events,
        rejects=rejects(ctx.source_id, bad),
        records_read=records,
        assumptions=assumptions,
        extra={"reactions": reaction_frame} if reaction_frame is not None else {},
        refs_unique=True,  # messages[0], messages[1] …: distinct by construction (the normalisation need not check)
        identifiers_are_uris=uri is not None,
    )


def _identifier_uris(values: list[str | None], ctx: ParseContext) -> dict[str, str] | None:
    """Each of a thread's identifiers (its distinct senders, its participants, the owner) → the URI the
    shared normaliser would make of it (:func:`atlas.normalise.identifiers.identifier_map`, with the case's
    source and region), or
    None where the normaliser must convert them itself. A thread names a handful of people on thousands
    of rows: converted here once each, and the recipients' lists made from converted literals, the
    normaliser's identifier passes over every row (distinct values, then a look-up in each list; 1 of its
    1.7 ms on the bench's 10,000 messages) are skipped (:attr:`ParseResult.identifiers_are_uris`).

    Left to the normaliser (None) where converting here could differ from it:

    * a ``phone:`` value (an owner given as one): its URI depends on the region, and with URIs the ingest
      no longer chooses one from the events' numbers (:func:`atlas.ingest.region_from_events` is skipped).
      Without one, it finds no number either (a thread's identifiers are ``name:`` values and the owner;
      it has no identity evidence), so it keeps ``ctx.region``, the one used here;
    * a value holding a lone surrogate's mark (:data:`parsers._exports.SURROGATE_MARK`): the mark is taken
      out after the parse, and could hide a leading or trailing space the normaliser then strips.

    Mojibake is repaired after the recipients are made, so :func:`_thread_result` asks this only of a
    thread without it. Each value is mapped where it stands (the sender's column, each list's members in
    their order), which is what the normaliser does row by row: so the result is the same even where two
    names give one URI (``Dan`` and ``Dan `` both ``name:<source>:Dan``)."""
    distinct = {v for v in values if v is not None}
    if any(SURROGATE_MARK in v or v.partition(":")[0].strip().lower() == "phone" for v in distinct):
        return None
    # With no phone: value, identifier_map converts each value by identifier_uri (its column path is for
    # phone: numbers only): called directly, as the normaliser's own fast path does for a few values
    # (identifier_map's frame costs 0.2 ms for two names).
    return {v: identifier_uri(v, source_id=ctx.source_id, region=ctx.region) for v in distinct}


# --- the fast path -----------------------------------------------------------------------
# A classic thread (``participants``, ``messages`` with ``sender_name``/``timestamp_ms``) read by
# Polars' JSON reader (Rust) instead of ``json.loads`` and a Python walk of every message. It is
# taken only where Polars provably reads what ``json.loads`` reads (Polars checks the whole text:
# UTF-8, strict JSON), which is proved by accounting for characters of the text:
#
# * the text is ASCII, and its only escapes are ``\n \t \r \" \/ \b \f \\`` and ``\u0080``-``\u00ff``
#   (Meta's mojibake): no escape of an ASCII character or a surrogate, so every ``:``, ``.``, ``e``,
#   ``E`` and ``"`` of the text is structure, itself in a string, an escaped quote, or a hex digit of
#   a ``\u00XX`` escape (those two counted from the escapes);
# * its colons, dots and letters ``e``/``E`` (less those inside ``\u00XX`` escapes) are exactly one
#   colon for each key with a value in the frame, the keys' own letters, the strings' letters, and
#   one ``e`` for each ``true``/``false``: so no key repeated (Python keeps the last, Polars the
#   first), none with ``null`` (Python keeps it, and ``"call_duration": null`` makes a call), none
#   the frame's layout dropped, no float (in an integer column Polars truncates it; Python writes
#   ``1.0``), no boolean read as an integer;
# * its quotes are exactly two for each key and each string, plus the escaped ones: so no number
#   or boolean was read into a text column (Polars writes ``1.0`` as ``"1"``, ``true`` as ``"true"``).
#
# Anything else (the camelCase end-to-end-encrypted layout, a message that is not an object, an
# array holding null, an unexpected type where a value is read, raw non-ASCII text, an empty thread,
# any Polars error) goes by the plain rule, which also names any fault. From the columns on, both
# end in :func:`_thread_result`. tests/test_meta_fast.py holds the two equal.

_URI: Final = pl.Struct({"uri": pl.String, "creation_timestamp": pl.Int64})
_MESSAGE: Final[dict[str, Any]] = {
    "sender_name": pl.String, "timestamp_ms": pl.Int64, "content": pl.String,
    "is_geoblocked_for_viewer": pl.Boolean, "is_unsent_image_by_messenger_kid_parent": pl.Boolean,
}
_THREAD: Final[dict[str, Any]] = {
    "participants": pl.List(pl.Struct({"name": pl.String})), "messages": pl.List(pl.Struct(_MESSAGE)),
    "title": pl.String, "is_still_participant": pl.Boolean, "thread_path": pl.String, "magic_words": pl.List(pl.String),
    "image": _URI, "joinable_mode": pl.Struct({"mode": pl.Int64, "link": pl.String}),
}
_MESSAGE_MORE: Final[dict[str, Any]] = {
    "photos": pl.List(_URI), "videos": pl.List(_URI), "audio_files": pl.List(_URI), "files": pl.List(_URI),
    "gifs": pl.List(_URI), "sticker": pl.Struct({"uri": pl.String}),
    "share": pl.Struct({"link": pl.String, "share_text": pl.String, "original_content_owner": pl.String}),
    "reactions": pl.List(pl.Struct({"reaction": pl.String, "actor": pl.String})),
    "is_unsent": pl.Boolean, "type": pl.String, "call_duration": pl.Int64, "missed": pl.Boolean,
}


def _keys(layout: dict[str, Any]) -> frozenset[str]:
    out: set[str] = set()
    for name, dtype in layout.items():
        out.add(name)
        while isinstance(dtype, pl.List):
            dtype = dtype.inner
        if isinstance(dtype, pl.Struct):
            out |= _keys({f.name: f.dtype for f in dtype.fields})
    return frozenset(out)


THREAD_SCHEMA: Final = pl.Schema(_THREAD)
"""The keys Meta writes on every thread and message. Each key declared costs time even where absent."""
THREAD_SCHEMA_MORE: Final = pl.Schema({**_THREAD, "messages": pl.List(pl.Struct({**_MESSAGE, **_MESSAGE_MORE}))})
"""With the optional keys of a message (media, stickers, shares, reactions, calls, unsent)."""
LAYOUTS: Final = ((_keys(dict(THREAD_SCHEMA)), THREAD_SCHEMA), (_keys(dict(THREAD_SCHEMA_MORE)), THREAD_SCHEMA_MORE))
"""The layouts given to Polars (so it skips its inference pass): the first whose keys hold every key of the
file's first 32 KB. A key it lacks further on is found by the accounting, and the layout is then inferred."""
_COUNTED: Final = b':.eE"'
_NOT_COUNTED: Final = bytes(b for b in range(256) if b not in _COUNTED)
_ESCAPE_OK: Final = bytes(c in b'ntr"/bfu\\' for c in range(256))
"""The characters that may follow a backslash that starts an escape."""
_HEX_HIGH_OK: Final = bytes(c in b"89abcdefABCDEF" for c in range(256))
"""The first hex digit of ``\\u0080``-``\\u00ff``."""
_LAYOUT_KEY: Final = re.compile(rb'"(\w+)"\s*:')
"""A key as Meta writes it (a key written otherwise is not seen: only the layout tried first depends on it)."""


_NO_TEXTS: Final = pl.lit([], dtype=pl.List(pl.String))
_FLAT: Final = (pl.String, pl.Boolean, pl.Int64, pl.Null)
"""The types of a message's key tallied from its column (:func:`_tally`)."""


class _NotFast(Exception):
    """The input is not one the fast path reads exactly: the plain rule reads it."""


class _Tally:
    """What the frame holds, for the accounting: class-A characters (``:.eE``) and quotes expected
    in the text, the strings joined, and for each object (``doc``, ``doc.messages[]``,
    ``doc.messages[].share`` …) its keys' types and non-null counts; every string's expression on the
    document (for the mojibake decision)."""

    def __init__(self, doc: pl.DataFrame) -> None:
        self.doc = doc
        self.a = 0
        self.quotes = 0
        self.joined: list[Any] = []  # a text, or a text column's UTF-8 bytes (NumPy)
        self.counts: dict[str, dict[str, int]] = {}
        self.dtypes: dict[str, dict[str, Any]] = {}
        self.strings: list[tuple[pl.Expr, bool]] = []  # (expression, on the messages frame)
        self.messages: pl.DataFrame | None = None


@dataclass(frozen=True)
class _Plan:
    """What :func:`_tally` asks of a document of one layout (made once per layout: building the
    expressions cost more than running them): the query on the document and the one on its messages,
    each with what its values are (``slots``), the messages' keys of a plain type read from their
    columns (``direct``), each object's keys and types, and every text's expression (with whether it
    is on the messages frame)."""
    exprs: tuple[pl.Expr, ...]
    slots: tuple[tuple[str, str, str], ...]
    on_messages: tuple[pl.Expr, ...]
    messages_slots: tuple[tuple[str, str, str], ...]
    direct: tuple[tuple[str, str, Any], ...]
    dtypes: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]
    strings: tuple[tuple[pl.Expr, bool], ...]


@lru_cache(maxsize=64)
def _plan(doc_schema: tuple[tuple[str, Any], ...], messages_schema: tuple[tuple[str, Any], ...] | None) -> _Plan:
    """The :class:`_Plan` of a document with ``doc_schema`` (and, where its messages are read as a frame,
    ``messages_schema``); :class:`_NotFast` for a layout the accounting does not read."""
    exprs: list[pl.Expr] = []
    slots: list[tuple[str, str, str]] = []
    on_messages: list[pl.Expr] = []
    messages_slots: list[tuple[str, str, str]] = []
    direct: list[tuple[str, str, Any]] = []
    dtypes: list[tuple[str, tuple[tuple[str, Any], ...]]] = []
    strings: list[tuple[pl.Expr, bool]] = []

    def obj(fields: dict[str, Any], field_of: Any, where: str) -> None:
        dtypes.append((where, tuple(fields.items())))
        # The messages frame's own columns of a plain type are tallied from the columns themselves (a
        # count is the length less the nulls Arrow keeps; a text column's bytes are read in place), not
        # by a query: the same numbers, without the query or the texts joined into one Python string.
        on_frame = where == "doc.messages[]"
        for name, dtype in fields.items():
            if '"' in name or "\\" in name:
                raise _NotFast("a key with a quote or a backslash")
            e = field_of(name)
            if on_frame and dtype in _FLAT:
                direct.append((where, name, dtype))
                if dtype == pl.String:
                    strings.append((e, True))
                continue
            exprs.append(e.count())
            slots.append(("key", where, name))
            value(e, dtype, f"{where}.{name}")

    def value(e: pl.Expr, dtype: Any, where: str) -> None:
        nonlocal exprs, slots
        if where == "doc.messages" and messages_schema is not None:  # the messages frame, its own query
            outer = (exprs, slots)
            exprs, slots = on_messages, messages_slots
            obj(dict(messages_schema), pl.col, "doc.messages[]")
            exprs, slots = outer
            return
        if isinstance(dtype, pl.Struct):
            obj({f.name: f.dtype for f in dtype.fields}, e.struct.field, where)
        elif isinstance(dtype, pl.List):
            inner = e.explode(empty_as_null=False, keep_nulls=False)
            exprs.append(inner.null_count())
            slots.append(("null", where, ""))
            value(inner, dtype.inner, f"{where}[]")
        elif dtype == pl.String:
            exprs.extend((e.count(), e.str.join("")))
            slots.extend((("string", where, ""), ("joined", where, "")))
            strings.append((e, exprs is on_messages))
        elif dtype == pl.Boolean:
            exprs.append(e.count())
            slots.append(("bool", where, ""))
        elif dtype not in (pl.Int64, pl.Null):
            raise _NotFast(f"{where}: {dtype}")

    obj(dict(doc_schema), pl.col, "doc")
    return _Plan(tuple(e.alias(str(i)) for i, e in enumerate(exprs)), tuple(slots),
                 tuple(e.alias(str(i)) for i, e in enumerate(on_messages)), tuple(messages_slots), tuple(direct),
                 tuple(dtypes), tuple(strings))


def _tally(doc: pl.DataFrame) -> _Tally:
    """Every key and value of the document tallied: a count, a null count or the strings joined for each
    key at each depth (arrays exploded, objects' keys taken as fields), in one query on the document and
    one on its messages (exploded once: they are most of it, and the fast path reads them as a frame);
    the messages' keys of a plain type from their columns. What to ask: :func:`_plan`."""
    tally = _Tally(doc)
    messages = doc.schema.get("messages")
    if isinstance(messages, pl.List) and isinstance(messages.inner, pl.Struct) and doc.height == 1:
        exploded = doc.get_column("messages")[0]  # the one row's list (its explode took 0.2 ms); None if null
        if exploded is None or exploded.null_count() or not exploded.len():
            raise _NotFast("a message null, or none")
        tally.messages = exploded.struct.unnest()
    plan = _plan(tuple(doc.schema.items()),
                 tuple(tally.messages.schema.items()) if tally.messages is not None else None)
    for where, fields in plan.dtypes:
        tally.dtypes[where] = dict(fields)
        tally.counts[where] = {}
    tally.strings = list(plan.strings)
    direct: list[tuple[tuple[str, str, str], Any]] = []
    for where, name, dtype in plan.direct:
        assert tally.messages is not None
        column = tally.messages.get_column(name)
        got = column.len() - column.null_count()
        direct.append((("key", where, name), got))
        if dtype == pl.String:
            direct.extend(((("string", f"{where}.{name}", ""), got), (("joined", f"{where}.{name}", ""), text_bytes(column))))
        elif dtype == pl.Boolean:
            direct.append((("bool", f"{where}.{name}", ""), got))
    slots = list(plan.slots)
    row = doc.select(plan.exprs).row(0)
    if plan.on_messages and tally.messages is not None:
        slots += plan.messages_slots
        row += tally.messages.select(plan.on_messages).row(0)
    for (kind, where, name), got in [*zip(slots, row, strict=True), *direct]:
        if kind == "key":
            tally.counts[where][name] = got
            tally.a += got * (1 + sum(name.count(c) for c in ".eE:"))
            tally.quotes += 2 * got
        elif kind == "null" and got:
            raise _NotFast("a null in an array")
        elif kind == "string":
            tally.quotes += 2 * got
        elif kind == "joined":
            tally.joined.append(got)
        elif kind == "bool":
            tally.a += got  # the e of true and of false
    return tally


def _escapes(data: bytes) -> tuple[int, int]:
    """(``e``/``E`` inside ``\\u00XX`` escapes, escaped quotes); :class:`_NotFast` for any other escape."""
    import numpy as np

    raw = np.frombuffer(data, np.uint8)
    backslashes = np.flatnonzero(raw == 0x5C)
    if backslashes.size == 0:
        return 0, 0
    if backslashes[-1] + 1 >= raw.size:
        raise _NotFast("a backslash at the end")
    # In a run of backslashes the 1st, 3rd, 5th … start an escape (``\\\\`` is one literal backslash)
    index = np.arange(backslashes.size)
    first = np.maximum.accumulate(np.where(np.r_[True, np.diff(backslashes) != 1], index, 0))
    at = backslashes[(index - first) % 2 == 0]
    after = raw[at + 1]
    if not np.frombuffer(_ESCAPE_OK, np.bool_)[after].all():
        raise _NotFast("an unknown escape")
    u = at[after == ord("u")]
    if u.size and u[-1] + 5 >= raw.size:
        raise _NotFast("an escape at the end")
    high, low = raw[u + 4], raw[u + 5]
    if not ((raw[u + 2] == ord("0")).all() and (raw[u + 3] == ord("0")).all() and np.frombuffer(_HEX_HIGH_OK, np.bool_)[high].all()):
        raise _NotFast("an escape of an ASCII character, or above U+00FF")
    return int(((high | 0x20) == ord("e")).sum() + ((low | 0x20) == ord("e")).sum()), int((after == ord('"')).sum())


def _check(data: bytes, doc: pl.DataFrame) -> _Tally:
    """The accounting (see above)."""
    tally = _tally(doc)
    hex_e, escaped_quotes = _escapes(data) if b"\\" in data else (0, 0)
    import numpy as np

    kept = byte_counts([np.frombuffer(data, np.uint8)], _COUNTED)  # each counted in cache-sized blocks: 0.6 of a translate
    quotes = kept[_COUNTED.index(b'"')]
    if quotes != tally.quotes + escaped_quotes:
        raise _NotFast("quotes differ: a key dropped or repeated, or a number or boolean read as text")
    in_strings = "".join(j for j in tally.joined if isinstance(j, str)).encode().translate(None, _NOT_COUNTED)
    counted = len(in_strings) - in_strings.count(b'"')  # the counted characters of the texts, but quotes
    columns = [j for j in tally.joined if not isinstance(j, str)]  # texts' UTF-8 bytes, read in place
    if columns:
        in_columns = byte_counts(columns, _COUNTED)
        counted += sum(in_columns) - in_columns[_COUNTED.index(b'"')]
    if sum(kept) - quotes - hex_e != tally.a + counted:
        raise _NotFast("keys or numbers differ")
    return tally


def _head_keys(data: bytes) -> set[str]:
    """The keys in the first 32 KB of the text (about 150 messages)."""
    return {k.decode("ascii") for k in set(_LAYOUT_KEY.findall(data, 0, 32768))}


def _layout(head: set[str]) -> pl.Schema:
    """The first of :data:`LAYOUTS` with every key of ``head`` (:class:`_NotFast` if none)."""
    for keys, schema in LAYOUTS:
        if head <= keys:
            return schema
    raise _NotFast("other keys")


def _read_thread(data: bytes, head: set[str]) -> tuple[pl.DataFrame, _Tally]:
    try:
        doc = pl.read_json(data, schema=_layout(head))
        return doc, _check(data, doc)
    except Exception:  # another layout: inferred by Polars, then checked the same way
        try:
            few_keys(data)  # 1,000,000 keys in a message aborted Polars' inference (parsers._bounds.INFERRED_KEYS)
            doc = pl.read_json(data, infer_schema_length=None)
        except Exception as exc:
            raise _NotFast("Polars does not read it") from exc
        return doc, _check(data, doc)


def _typed(tally: _Tally, where: str, name: str, *dtypes: Any) -> pl.Expr | None:
    """The column of a key some object at ``where`` has, if of one of ``dtypes``; None if none has it."""
    if not tally.counts.get(where, {}).get(name):
        return None
    dtype = tally.dtypes[where][name]
    if dtype not in dtypes:
        raise _NotFast(f"{name}: {dtype}")
    return pl.col(name)


def _uri_list(frame: pl.DataFrame, tally: _Tally, name: str) -> pl.DataFrame | None:
    """:func:`_uris` of a list column, one row per ``uri`` (``i``: the message), or None if no row has one."""
    if not tally.counts["doc.messages[]"].get(name):
        return None
    dtype = frame.schema[name]
    if not (isinstance(dtype, pl.List) and isinstance(dtype.inner, (pl.Struct, pl.Null))):
        raise _NotFast(f"{name}: {dtype}")
    where = f"doc.messages[].{name}[]"
    if _typed(tally, where, "uri", pl.String) is None:
        return None  # only empty lists, or objects without a uri
    return (frame.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("i"), name)
            .explode(name, empty_as_null=False, keep_nulls=False).select("i", pl.col(name).struct.field("uri")))


def _struct_text(frame: pl.DataFrame, tally: _Tally, name: str, field: str) -> pl.DataFrame | None:
    """An object's text ``field`` (``sticker.uri``, ``share.link``), one row per message that has it
    (``i``: the message), or None if no row has it."""
    if not tally.counts["doc.messages[]"].get(name):
        return None
    if not isinstance(frame.schema[name], pl.Struct):
        raise _NotFast(f"{name}: {frame.schema[name]}")
    inner = tally.counts.get(f"doc.messages[].{name}", {})
    if not inner.get(field):
        return None
    if tally.dtypes[f"doc.messages[].{name}"][field] != pl.String:
        raise _NotFast(f"{name}.{field}")
    return frame.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("i"), pl.col(name).struct.field(field).alias("uri"))


def _attachments(frame: pl.DataFrame, tally: _Tally) -> tuple[pl.Series | None, list[str], list[str]]:
    """Each message's attachments as the plain walk lists them (its media's non-empty uris, key by key, then
    its sticker's, then its share's link), built from one long frame sorted by message; the share links;
    the attachments :func:`decide_platform` needs. (None, [], []) if no message has any."""
    parts = [(j, part) for j, part in enumerate((*(_uri_list(frame, tally, k) for k in MEDIA_KEYS),
                                                 _struct_text(frame, tally, "sticker", "uri"),
                                                 _struct_text(frame, tally, "share", "link"))) if part is not None]
    if not parts:
        return None, [], []
    import numpy as np
    import pyarrow as pa

    long = (pl.concat([part.with_columns(pl.lit(j, pl.Int64).alias("j")) for j, part in parts])
            .filter(pl.col("uri") != "").sort("i", "j", maintain_order=True))
    offsets = np.zeros(frame.height + 1, dtype=np.int64)
    np.cumsum(np.bincount(long.get_column("i").to_numpy(), minlength=frame.height), out=offsets[1:])
    values = long.get_column("uri").rechunk().to_arrow().cast(pa.large_string())
    lists = pl.from_arrow(pa.LargeListArray.from_arrays(pa.array(offsets), values))
    assert isinstance(lists, pl.Series)
    links = long.filter(pl.col("j") == len(MEDIA_KEYS) + 1).get_column("uri").to_list()
    return lists, links, _platform_uris(long.get_column("uri"))


def _is_mojibake(data: bytes, tally: _Tally) -> bool:
    """:func:`is_mojibake_document` of the thread's strings. The text is ASCII, so its only characters
    above U+007F are ``\\u0080``-``\\u00ff`` escapes: none above U+00FF, and the question is only
    whether some string with one is changed by the repair."""
    if b"\\" not in data:
        return False
    for e, on_messages in tally.strings:
        frame = tally.messages if on_messages and tally.messages is not None else tally.doc
        for value in frame.select(e.filter(e.str.contains(r"[\x80-\xff]")).unique()).to_series().to_list():
            if _unmojibake(value) != value:
                return True
    return False


def _fast_thread(path: Path, ctx: ParseContext) -> ParseResult | None:
    """The thread's result by the fast path, or None where only the plain rule reads the file exactly."""
    try:
        return _fast_thread_or_raise(path, ctx)
    except Exception:  # whatever the fast path cannot read, the plain rule reads or names
        return None


def _fast_thread_or_raise(path: Path, ctx: ParseContext) -> ParseResult:
    data = json_bytes(path)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data[:4096].lstrip()[:1] != b"{" or not data.isascii():  # a backslash's escape: checked by _escapes
        raise _NotFast("not a plain ASCII object")
    head = _head_keys(data)
    if "messages" not in head:
        raise _NotFast("not a thread (or its messages start after the first 32 KB)")
    doc, tally = _read_thread(data, head)
    top = tally.counts["doc"]
    if doc.height != 1 or not top.get("messages") or "doc.messages[]" not in tally.counts:
        raise _NotFast("no messages")  # (or not a list of objects)
    m = tally.messages
    if m is None or not m.height:
        raise _NotFast("no messages")
    counts = tally.counts["doc.messages[]"]
    if counts.get("senderName") and m.head(200).get_column("senderName").null_count() < min(200, m.height) \
            and ("sender_name" not in m.columns or m.head(200).get_column("sender_name").null_count() == min(200, m.height)):
        raise _NotFast("the camelCase layout")
    n = m.height
    sender = _typed(tally, "doc.messages[]", "sender_name", pl.String)
    stamp = _typed(tally, "doc.messages[]", "timestamp_ms", pl.Int64, pl.String)
    text = _typed(tally, "doc.messages[]", "content", pl.String)
    mtype = _typed(tally, "doc.messages[]", "type", pl.String)
    call_duration = _typed(tally, "doc.messages[]", "call_duration", pl.Int64)
    missed = _typed(tally, "doc.messages[]", "missed", pl.Boolean)
    unsent = _typed(tally, "doc.messages[]", "is_unsent", pl.Boolean)
    attachments, links, uris = _attachments(m, tally)
    none = pl.lit(None, pl.String)
    is_call: pl.Expr | None = None
    if mtype is not None:
        is_call = mtype == "Call"
    if call_duration is not None:
        is_call = call_duration.is_not_null() if is_call is None else (is_call.fill_null(False) | call_duration.is_not_null())
    kind: Any = None
    status: pl.Expr = none
    duration: pl.Expr = pl.lit(None, pl.Int64)
    if is_call is not None:
        if call_duration is not None:
            duration = pl.when(is_call).then(call_duration)
        missed_now = (duration == 0).fill_null(False)
        if missed is not None:
            missed_now = missed.fill_null(False) | missed_now
        status = pl.when(is_call).then(pl.when(missed_now).then(pl.lit("missed")).otherwise(pl.lit("answered")))
        kind = pl.when(is_call).then(pl.lit("call"))
    if mtype is not None:
        subscribe = mtype.is_in(["Subscribe", "Unsubscribe"])
        kind = pl.when(subscribe).then(pl.lit("note")) if kind is None else kind.when(subscribe).then(pl.lit("note"))
    kind = pl.lit("message") if kind is None else kind.otherwise(pl.lit("message"))
    if unsent is not None:
        status = pl.when(unsent.fill_null(False)).then(pl.lit("deleted-by-sender")).otherwise(status)
    # A thread has a few senders: each named once (``name:`` + a name that is not empty), not once a message.
    distinct = m.get_column("sender_name").unique().to_list() if sender is not None else [None]
    named = {x: f"name:{x}" for x in distinct if x}
    senders = list({named.get(x) if x else None for x in distinct})
    frame = m.select(
        pl.format("messages[{}]", pl.int_range(pl.len(), dtype=pl.Int64)).alias("source_ref"),
        kind.cast(RAW_EVENT_SCHEMA["kind"]).alias("kind"),
        (sender.replace_strict(named, default=None, return_dtype=pl.String) if sender is not None else none)
        .alias("sender"),
        (pl.when(text != "").then(text) if text is not None else none).alias("text"),
        (_NO_TEXTS if attachments is None else pl.lit(attachments)).alias("attachments"),
        status.alias("status"), duration.alias("duration_s"),
        (stamp.cast(pl.String) if stamp is not None else none).alias("stamp"),
        *([stamp.alias("_ms")] if stamp is not None and m.schema["timestamp_ms"] == pl.Int64 else []),
    )
    reactions = _reactions(m, tally)
    keys = {k for k, v in top.items() if v} | {k for k, v in counts.items() if v} \
        | {k for k, v in tally.counts.get("doc.messages[].share", {}).items() if v}
    names = _participants(tally) or sorted(x for x in senders if x)
    return _thread_result(
        frame, names=names, uris=uris, links=links, keys=keys, camel=False,
        mojibake_on=_is_mojibake(data, tally), reactions=reactions, bad=[], records=n, path=path, ctx=ctx,
        senders=senders,
    )


_MANY_SENDERS: Final = 50
"""Past this many distinct senders, each row's others are a column (:func:`others`), not one expression."""


def _others_by_sender(senders: list[str | None], everyone: list[str], uri: dict[str, str] | None = None) -> pl.Expr | None:
    """:func:`others` as one expression: for each distinct sender, everyone else, sorted (a sender
    who is not among ``everyone`` gets everyone, as does a row without one). None for many senders.
    With ``uri``, each list's members are then replaced by their URIs, in place (as the normaliser
    replaces them); the tests still compare the raw ``sender`` column."""

    def listed(names: list[str]) -> pl.Expr:
        return pl.lit(pl.Series([names if uri is None else [uri[n] for n in names]], dtype=pl.List(pl.String)))

    if len(senders) > _MANY_SENDERS:
        return None
    chain: Any = None
    for sender in senders:
        rest = listed(sorted({e for e in everyone if e != (sender or "")}))
        test = pl.col("sender").is_null() if sender is None else pl.col("sender") == sender
        chain = pl.when(test).then(rest) if chain is None else chain.when(test).then(rest)
    return None if chain is None else chain.otherwise(listed(sorted(set(everyone))))


def _platform_uris(every: pl.Series) -> list[str]:
    """What :func:`decide_platform` needs of the attachments (it asks only whether some start with each
    platform's root): the first of them under each root."""
    return [u for prefix in (*IG_PREFIXES, *FB_PREFIXES) for u in every.filter(every.str.starts_with(prefix)).head(1).to_list()]


def _reactions(m: pl.DataFrame, tally: _Tally) -> list[tuple[str, str, str]]:
    """(message, actor, reaction) of every object in ``reactions``, its missing texts as ``""``."""
    if not tally.counts["doc.messages[]"].get("reactions"):
        return []
    inner = tally.counts.get("doc.messages[].reactions[]")
    if inner is None:  # only empty lists
        return []
    found = tally.dtypes["doc.messages[].reactions[]"]
    texts = []
    for k in ("actor", "reaction"):
        if not inner.get(k):
            texts.append(pl.lit("").alias(k))
        elif found[k] != pl.String:
            raise _NotFast(f"reactions' {k}")
        else:
            texts.append(pl.col(k).fill_null(""))
    rows = (m.select(pl.format("messages[{}]", pl.int_range(pl.len(), dtype=pl.Int64)).alias("ref"), "reactions")
            .explode("reactions", empty_as_null=False, keep_nulls=False).unnest("reactions"))
    return list(rows.select("ref", *texts).iter_rows())


def _participants(tally: _Tally) -> list[str]:
    """``name:`` of each participant: the names of ``[{"name": …}]`` that are not empty, sorted."""
    if not tally.counts["doc"].get("participants"):
        return []
    dtype = tally.dtypes["doc"]["participants"]
    if not (isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct | pl.Null)):
        raise _NotFast(f"participants: {dtype}")  # a list of names (camelCase), an object …
    found = tally.counts.get("doc.participants[]")
    if found is None:  # an empty list
        return []
    if not found.get("name"):
        return []
    names = tally.doc.get_column("participants")[0].struct.field("name")  # the one row's list (held: counted above)
    if names.dtype != pl.String:
        raise _NotFast("participants' names")
    return [f"name:{p}" for p in sorted({x for x in names.to_list() if x})]


# --- posts, comments, profile ------------------------------------------------------------

def _strings(value: Any) -> list[str]:
    """Every string inside a JSON value (for the per-file mojibake decision)."""
    out: list[str] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return out


def _finish(
    rows: dict[str, list[Any]], bad: list[tuple[str, str, str]], records: int, channel: str, why: str,
    ctx: ParseContext, *, seconds: bool, mojibake: bool, owner: str | None = None,
    evidence: pl.DataFrame | None = None,
) -> ParseResult:
    stamps = rows.pop("stamp")
    frame = raw_events(rows).with_columns(pl.Series("stamp", stamps, dtype=pl.String))
    to_utc = epoch_s_utc if seconds else epoch_ms_utc
    frame = frame.with_columns(
        pl.lit(channel).alias("channel"), to_utc(pl.col("stamp")).alias("ts_utc"),
        pl.when(pl.col("stamp").is_not_null()).then(pl.lit("utc")).alias("ts_basis"),
        pl.col("stamp").alias("ts_raw"),
    ).drop("stamp")
    assumptions = [f"platform: {why}"]
    if mojibake:
        assumptions.append("Meta's Latin-1 mojibake repaired in this file's text")
    return ParseResult(events=frame, rejects=rejects(ctx.source_id, bad), records_read=records,
                       assumptions=assumptions, owner=owner, evidence=evidence)


def _stamp(value: Any) -> str | None:
    return str(int(value)) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fb_posts(doc: list[Any], path: Path, ctx: ParseContext) -> ParseResult:
    fix = is_mojibake_document(_strings(doc))
    rows: dict[str, list[Any]] = {k: [] for k in ("source_ref", "kind", "sender", "text", "attachments", "lat", "lon", "stamp")}
    bad: list[tuple[str, str, str]] = []
    for i, post in enumerate(doc):
        ref = f"[{i}]"
        if not isinstance(post, dict):
            bad.append((ref, "not a post object", excerpt(post)))
            continue
        texts = [str(d["post"]) for d in post.get("data") or [] if isinstance(d, dict) and d.get("post")]
        title = post.get("title")
        files: list[str] = []
        lat = lon = None
        for att in post.get("attachments") or []:
            for d in (att.get("data") or []) if isinstance(att, dict) else []:
                if not isinstance(d, dict):
                    continue
                media = d.get("media")
                if isinstance(media, dict) and media.get("uri"):
                    files.append(str(media["uri"]))
                ext = d.get("external_context")
                if isinstance(ext, dict) and ext.get("url"):
                    files.append(str(ext["url"]))
                place = d.get("place")
                coord = place.get("coordinate") if isinstance(place, dict) else None
                if isinstance(coord, dict):
                    lat, lon = coord.get("latitude"), coord.get("longitude")
        body = "\n".join(t for t in [title, *texts] if t) or None
        rows["source_ref"].append(ref)
        rows["kind"].append("note" if texts or not files else "media")
        rows["sender"].append(ctx.owner)
        rows["text"].append(repair_value(body, fix))
        rows["attachments"].append([repair_value(f, fix) or "" for f in files])
        rows["lat"].append(lat)
        rows["lon"].append(lon)
        rows["stamp"].append(_stamp(post.get("timestamp")))
    return _finish(rows, bad, len(doc), "facebook", "Facebook posts layout (data[].post, timestamp in seconds)", ctx,
                   seconds=True, mojibake=fix)


def _ig_posts(doc: list[Any], path: Path, ctx: ParseContext) -> ParseResult:
    fix = is_mojibake_document(_strings(doc))
    rows: dict[str, list[Any]] = {k: [] for k in ("source_ref", "kind", "sender", "text", "attachments", "stamp")}
    bad: list[tuple[str, str, str]] = []
    for i, post in enumerate(doc):
        ref = f"[{i}]"
        if not isinstance(post, dict):
            bad.append((ref, "not a post object", excerpt(post)))
            continue
        media = [m for m in post.get("media") or [] if isinstance(m, dict)]
        caption = post.get("title") or next((m.get("title") for m in media if m.get("title")), None)
        stamp = post.get("creation_timestamp") or next((m.get("creation_timestamp") for m in media), None)
        rows["source_ref"].append(ref)
        rows["kind"].append("media")
        rows["sender"].append(ctx.owner)
        rows["text"].append(repair_value(str(caption), fix) if caption else None)
        rows["attachments"].append([str(m["uri"]) for m in media if m.get("uri")])
        rows["stamp"].append(_stamp(stamp))
    return _finish(rows, bad, len(doc), "instagram", "Instagram posts layout (media[], creation_timestamp in seconds)",
                   ctx, seconds=True, mojibake=fix)


def _fb_comments(items: list[Any], base: str, path: Path, ctx: ParseContext) -> ParseResult:
    fix = is_mojibake_document(_strings(items))
    rows: dict[str, list[Any]] = {k: [] for k in ("source_ref", "kind", "sender", "text", "stamp")}
    bad: list[tuple[str, str, str]] = []
    for i, item in enumerate(items):
        ref = f"{base}[{i}]"
        comment = next((d["comment"] for d in (item.get("data") or []) if isinstance(d, dict)
                        and isinstance(d.get("comment"), dict)), None) if isinstance(item, dict) else None
        if not isinstance(item, dict) or comment is None:
            bad.append((ref, "not a comment object (no data[].comment)", excerpt(item)))
            continue
        author = comment.get("author")
        body = "\n".join(str(t) for t in (item.get("title"), comment.get("comment")) if t)
        rows["source_ref"].append(ref)
        rows["kind"].append("note")
        rows["sender"].append(f"name:{repair_value(str(author), fix)}" if author else ctx.owner)
        rows["text"].append(repair_value(body, fix) or None)
        rows["stamp"].append(_stamp(comment.get("timestamp") or item.get("timestamp")))
    return _finish(rows, bad, len(items), "facebook", "Facebook comments layout (comments_v2)", ctx,
                   seconds=True, mojibake=fix)


def _smd(item: dict[str, Any], key: str) -> dict[str, Any]:
    smd = item.get("string_map_data")
    value = smd.get(key) if isinstance(smd, dict) else None
    return value if isinstance(value, dict) else {}


def _ig_comments(items: list[Any], base: str, path: Path, ctx: ParseContext) -> ParseResult:
    fix = is_mojibake_document(_strings(items))
    rows: dict[str, list[Any]] = {k: [] for k in ("source_ref", "kind", "sender", "recipients", "text", "stamp")}
    bad: list[tuple[str, str, str]] = []
    for i, item in enumerate(items):
        ref = f"{base}[{i}]"
        if not isinstance(item, dict) or not _smd(item, "Comment"):
            bad.append((ref, "not a comment object (no string_map_data.Comment)", excerpt(item)))
            continue
        owner = _smd(item, "Media Owner").get("value")
        rows["source_ref"].append(ref)
        rows["kind"].append("note")
        rows["sender"].append(ctx.owner)
        rows["recipients"].append([f"instagram:{owner}"] if owner else [])
        rows["text"].append(repair_value(str(_smd(item, "Comment").get("value") or ""), fix) or None)
        rows["stamp"].append(_stamp(_smd(item, "Time").get("timestamp")))
    return _finish(rows, bad, len(items), "instagram", "Instagram comments layout (string_map_data)", ctx,
                   seconds=True, mojibake=fix)


def _profile(doc: dict[str, Any], path: Path, ctx: ParseContext) -> ParseResult:
    fix = is_mojibake_document(_strings(doc))
    ev: list[tuple[str, str, str]] = []  # (ref, related, detail)
    if "profile_user" in doc:
        channel, ref = "instagram", "profile_user[0]"
        users = doc.get("profile_user") or []
        user = users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else {}
        handle = _smd(user, "Username").get("value")
        name = _smd(user, "Name").get("value")
        emails = [_smd(user, "Email").get("value")]
        phones = [_smd(user, "Phone Number").get("value")]
        stamp = None
    else:
        channel, ref = "facebook", "profile_v2"
        prof = doc.get("profile_v2") if isinstance(doc.get("profile_v2"), dict) else {}
        assert isinstance(prof, dict)
        handle = prof.get("username")
        name_obj = prof.get("name")
        name = name_obj.get("full_name") if isinstance(name_obj, dict) else None
        em = prof.get("emails") if isinstance(prof.get("emails"), dict) else {}
        assert isinstance(em, dict)
        emails = list(em.get("emails") or []) + list(em.get("previous_emails") or [])
        phones = [p.get("phone_number") for p in prof.get("phone_numbers") or [] if isinstance(p, dict)]
        stamp = _stamp(prof.get("registration_timestamp"))
    if not handle:
        raise FormatError(f"{path}: a Meta profile file without a username ({ref}); nothing to attribute")
    account = f"{channel}:{handle}"
    name = repair_value(str(name), fix) if name else None
    if name:
        ev.append((ref, f"name:{name}", f"{channel} profile: display name of {handle}"))
    ev += [(ref, f"email:{e}", f"{channel} profile: e-mail of {handle}") for e in emails if e]
    ev += [(ref, f"phone:{p}", f"{channel} profile: phone number of {handle}") for p in phones if p]
    evidence = pl.DataFrame(
        {"source_ref": [r for r, _, _ in ev], "basis": ["account-profile"] * len(ev),
         "identifier": [account] * len(ev), "related": [x for _, x, _ in ev], "detail": [d for _, _, d in ev]},
    )
    rows: dict[str, list[Any]] = {
        "source_ref": [ref], "kind": ["account"], "sender": [account], "text": [name], "stamp": [stamp],
    }
    return _finish(rows, [], 1, channel, f"{channel}, from the profile layout ({ref.split('[')[0]})", ctx,
                   seconds=True, mojibake=fix, owner=account, evidence=evidence)
