"""Cellebrite Physical Analyzer / Reader reports: ``report.xml``, bare or inside a ``.ufdr``.

A UFDR is a zip holding ``report.xml`` (the decoded data) and the extracted files.
The XML member is streamed straight out of the zip; nothing is unpacked to disk.

Format notes, and where they come from (Cellebrite publishes no schema; these are
from the element vocabulary of real reports as read by public open-source parsers,
e.g. alephdata's ``ingest-file`` Cellebrite ingestor and the CASE community's
``CASE-Implementation-UFED-XML`` SAX parser, and from examiners' experience):

* Root ``<project xmlns="http://pa.cellebrite.com/report/2.0" id=… name=…
  reportVersion=… extractionType=…>``. ``<metadata section="Device Info">`` (and
  "Extraction Data", "Additional Fields") hold ``<item name="…">value</item>``:
  ``DeviceInfoOwnerName``, ``MSISDN``, ``IMEI``, ``IMSI``, ``ICCID``,
  ``DeviceInfoDetectedPhoneModel``, ``DeviceInfoExtractionStartDateTime`` …
* ``<decodedData>`` holds ``<modelType type="Call|SMS|MMS|Chat|Contact|…">``, each
  with top-level ``<model type=… id="GUID" deleted_state="Intact|Deleted|Unknown"
  decoding_confidence="High|…">``. A model has ``<field name=… type=…>`` with one
  ``<value type=…>`` (or ``<empty/>``), ``<modelField name=…>`` (one nested model),
  and ``<multiModelField name=…>`` (several).
* Parties (``<model type="Party">``: ``Identifier``, ``Role`` From/To/CC/BCC,
  ``Name``, ``IsPhoneOwner``) sit in ``multiModelField name="Parties"`` for Call,
  SMS and MMS, and in ``modelField name="From"`` / ``multiModelField name="To"`` for
  InstantMessage and Email. A Chat has ``Participants`` and ``Messages`` (the
  InstantMessage models); the chat's ``Source`` names the app (WhatsApp, Instagram…).
* Calls: ``Type`` Incoming/Outgoing/Missed/Rejected (some versions also give
  ``Direction`` and ``Status``), ``Duration`` ``hh:mm:ss``, ``VideoCall``, ``Source``
  (empty or "Phone" for the native dialler, an app name for VoIP calls).
  SMS/MMS: ``Folder`` Inbox/Sent/Draft/Outbox, ``Status`` Read/Unread/Sent/Unsent,
  ``Body``, ``SMSC``. Contact and UserAccount: ``Name``, ``Username``,
  ``ServiceType``, ``Entries`` of PhoneNumber/EmailAddress/UserID models (``Value``,
  ``Category``, ``Domain``). Location: ``Position`` → Coordinate ``Latitude`` /
  ``Longitude``; ``Accuracy`` (some versions ``Precision``). CellTower: ``MCC``,
  ``MNC``, ``LAC``, ``CID``, ``Position``. Attachments: Attachment models with
  ``Filename`` (the name the message gives) and, where present, a stored path.
* Times: ``<value type="TimeStamp" format="TimeStampKnown">2026-03-01T10:00:00.000+00:00``.
  A value with an offset is an instant (basis ``offset``). A zone-less value (seen
  with ``format="DateTimeOnly"``, and from some decoders) is taken as the device's
  local wall clock (``ts_local``, converted with the case zone) and the assumption
  is recorded. The ``formattedTimestamp`` attribute is the examiner's display
  rendering and is not used: its zone is a Physical Analyzer setting, not the device's.
* Unsure: whether Physical Analyzer localises enum *values* (call ``Type``, SMS
  ``Folder``, ``Role``) in non-English installations. Field *names* are schema names
  and English; values in Spanish, German, French, Portuguese, Italian and Dutch are
  read anyway (e.g. ``Entrante``), and any label not recognised is counted and
  named in the source's assumptions (direction left to the owner rule), never dropped.
* The owner's side of an SMS or native call is often missing from Parties (Android
  call logs record only the other party). It is filled with the device owner (the
  report's ``MSISDN``, else the commonest ``IsPhoneOwner`` identifier, else
  ``--owner``) and counted in the assumptions.
* The device region for national numbers: the international ``MSISDN``'s country,
  else the IMSI's mobile country code; recorded as an assumption.
* Model types Atlas does not read as contact/location/identity evidence (e.g.
  WebBookmark, InstalledApplication) are counted: those with a ``TimeStamp`` are
  kept as ``note`` events, those without are rejects with the reason. Nothing is
  silently dropped. Passwords in UserAccount models are never read.
* ``source_ref`` is ``report.xml model <id>``. Deleted models (``deleted_state=
  "Deleted"``) are kept with ``deleted=True``; ``Unknown`` is kept as not deleted
  and counted.

Memory: lxml ``iterparse`` (entities not resolved, no network, huge trees allowed);
each top-level model, each chat message, each ``taggedFiles/file`` and ``extraInfo``
is cleared once read, and rows are compacted into Polars chunks as they accumulate,
so a multi-gigabyte report parses in bounded memory (``bench/bench_cellebrite.py``).

Speed: a report of ``PARALLEL_MIN_BYTES`` or more, on a machine with an idle core, is read
by :mod:`parsers._cellebrite_parallel`, which cuts the byte stream at top-level ``<model>``
boundaries and has a worker process read pieces with this module's own code; it gives this
module's sequential result (tested equal on every fixture) and falls back to the
sequential read whenever anything in the stream is not as it assumed. The sequential read
itself costs about 1.7-1.8x a bare lxml iterparse of the same file in CPU time: what is left
above the floor is mostly lxml's per-element cost of reading each field (an element proxy,
its ``name``, its ``<value>`` child's text), so the per-model Python around it is kept to one
pass (rows are tuples, a party's derived facts are cached, a chat's ``Messages`` field is
checked once). ``scripts/cellebrite_same_output.py`` proves a change leaves the output as it was.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Final

import polars as pl
from lxml import etree

from atlas.errors import FormatError
from atlas.model import IDENTITY_EVIDENCE_SCHEMA, REJECT_SCHEMA, TIMED_KINDS, Channel, EvidenceCategory
from atlas.normalise.identifiers import identifier_uri
from atlas.normalise.phones import looks_like_phone
from atlas.normalise.region import RegionEvidence, choose_region, numbers_in
from atlas.wording import plural, quoted
from parsers.base import (
    PLACE_BLANK,
    ZIP_ERRORS,
    ZIP_METHODS,
    ParseContext,
    ParseResult,
    ParserInfo,
    Probe,
    member_damage,
    quoted_name,
)

INFO: Final = ParserInfo(
    name="cellebrite-xml",
    version="1.2.0",
    description="Cellebrite Physical Analyzer report (report.xml, or a .ufdr containing it)",
    detects="XML whose root is <project> in the namespace http://pa.cellebrite.com/report/2.0, "
            "bare or as report.xml inside a zip (.ufdr)",
    notes=__doc__ or "",
    category=EvidenceCategory.HANDSET_DOWNLOAD,
    channels=frozenset({Channel.SMS, Channel.MMS, Channel.VOICE, Channel.VIDEO, Channel.EMAIL, Channel.CHAT, Channel.GPS, Channel.CELL, Channel.PHONEBOOK, Channel.ACCOUNT, Channel.WHATSAPP, Channel.INSTAGRAM, Channel.FACEBOOK, Channel.SNAPCHAT, Channel.TELEGRAM, Channel.SIGNAL, Channel.IMESSAGE, Channel.FACETIME, Channel.X, Channel.TIKTOK, Channel.SKYPE, Channel.VIBER, Channel.WECHAT, Channel.LINE, Channel.KIK, Channel.DISCORD, Channel.OTHER_APP}),
    no_public_sample="no public Cellebrite report in ../shared/samples; tested on the generator's reports (report.xml, and .ufdr in time-limit and covert): tests/test_cellebrite_xml.py",
)

NS: Final = "http://pa.cellebrite.com/report/2.0"
_PROJECT: Final = f"{{{NS}}}project"
_MODEL: Final = f"{{{NS}}}model"
_MODELTYPE: Final = f"{{{NS}}}modelType"
_FIELD: Final = f"{{{NS}}}field"
_VALUE: Final = f"{{{NS}}}value"
_MODELFIELD: Final = f"{{{NS}}}modelField"
_MULTI: Final = f"{{{NS}}}multiModelField"
_METADATA: Final = f"{{{NS}}}metadata"
_ITEM: Final = f"{{{NS}}}item"
_FILE: Final = f"{{{NS}}}file"
_EXTRAINFO: Final = f"{{{NS}}}extraInfo"
REPORT_REF: Final = "report.xml"
_EDGE: Final = PLACE_BLANK + "'"
"""A model id beginning or ending in one of these is quoted in its reference (:func:`parsers.base.quoted_name`)."""
CHUNK_ROWS: Final = 50_000

# --- vocabularies (lower-case keys; English first, then localised labels) ----------------

_CALL_TYPES: Final[dict[str, tuple[str, str | None]]] = {
    # label → (direction, status)
    "incoming": ("in", None), "outgoing": ("out", None), "missed": ("in", "missed"),
    "rejected": ("in", "rejected"), "declined": ("in", "rejected"), "blocked": ("in", "blocked"),
    "voicemail": ("in", "voicemail"), "cancelled": ("out", None), "canceled": ("out", None),
    "dialed": ("out", None), "dialled": ("out", None), "received": ("in", None),
    "entrante": ("in", None), "saliente": ("out", None), "perdida": ("in", "missed"), "rechazada": ("in", "rejected"),
    "eingehend": ("in", None), "ausgehend": ("out", None), "verpasst": ("in", "missed"), "abgelehnt": ("in", "rejected"),
    "entrant": ("in", None), "sortant": ("out", None), "manqué": ("in", "missed"), "rejeté": ("in", "rejected"),
    "recebida": ("in", None), "efetuada": ("out", None), "realizada": ("out", None), "rejeitada": ("in", "rejected"),
    "in arrivo": ("in", None), "in uscita": ("out", None), "persa": ("in", "missed"), "rifiutata": ("in", "rejected"),
    "inkomend": ("in", None), "uitgaand": ("out", None), "gemist": ("in", "missed"), "geweigerd": ("in", "rejected"),
}
_DIRECTIONS: Final[dict[str, str]] = {
    "incoming": "in", "outgoing": "out", "entrante": "in", "saliente": "out", "eingehend": "in",
    "ausgehend": "out", "entrant": "in", "sortant": "out", "recebida": "in", "efetuada": "out",
    "in arrivo": "in", "in uscita": "out", "inkomend": "in", "uitgaand": "out",
}
_FOLDERS: Final[dict[str, tuple[str, str | None]]] = {
    "inbox": ("in", None), "sent": ("out", "sent"), "draft": ("out", "draft"), "drafts": ("out", "draft"),
    "outbox": ("out", "outbox"), "failed": ("out", "failed"), "queued": ("out", "queued"),
    "bandeja de entrada": ("in", None), "enviados": ("out", "sent"), "borradores": ("out", "draft"),
    "bandeja de salida": ("out", "outbox"),
    "posteingang": ("in", None), "gesendet": ("out", "sent"), "entwürfe": ("out", "draft"), "postausgang": ("out", "outbox"),
    "boîte de réception": ("in", None), "envoyés": ("out", "sent"), "brouillons": ("out", "draft"),
    "boîte d'envoi": ("out", "outbox"),
    "caixa de entrada": ("in", None), "enviadas": ("out", "sent"), "rascunhos": ("out", "draft"),
    "caixa de saída": ("out", "outbox"),
    "posta in arrivo": ("in", None), "inviati": ("out", "sent"), "bozze": ("out", "draft"), "posta in uscita": ("out", "outbox"),
}
_STATUSES: Final[dict[str, str]] = {
    "read": "read", "unread": "unread", "sent": "sent", "unsent": "unsent", "delivered": "delivered",
    "failed": "failed", "pending": "queued", "sending": "queued", "queued": "queued", "draft": "draft",
    "received": "received", "played": "read", "seen": "read",
    "leído": "read", "leido": "read", "no leído": "unread", "enviado": "sent", "entregado": "delivered",
    "gelesen": "read", "ungelesen": "unread", "gesendet": "sent", "zugestellt": "delivered",
    "lu": "read", "non lu": "unread", "envoyé": "sent", "remis": "delivered",
    "lida": "read", "não lida": "unread", "enviada": "sent", "entregue": "delivered",
    "letto": "read", "non letto": "unread", "inviato": "sent", "consegnato": "delivered",
}
_NOT_CONTACT: Final = frozenset({"draft", "outbox", "failed", "queued", "unsent"})
_ROLES: Final[dict[str, str]] = {
    "from": "from", "to": "to", "cc": "to", "bcc": "to", "de": "from", "para": "to", "von": "from", "an": "to",
    "à": "to", "a": "to", "da": "from", "van": "from", "aan": "to",
}
_TRUE: Final = frozenset({"true", "yes", "1", "verdadero", "sí", "si", "wahr", "ja", "vrai", "oui", "sim", "vero", "waar"})
_APP_CHANNELS: Final[dict[str, str]] = {
    "whatsapp": "whatsapp", "whatsapp business": "whatsapp", "instagram": "instagram",
    "facebook": "facebook", "facebook messenger": "facebook", "messenger": "facebook",
    "snapchat": "snapchat", "telegram": "telegram", "signal": "signal", "imessage": "imessage",
    "facetime": "facetime", "twitter": "x", "x": "x", "tiktok": "tiktok", "skype": "skype",
    "sms": "sms", "mms": "mms", "native messages": "sms", "phone": "voice", "native": "voice",
    "viber": "viber", "wechat": "wechat", "line": "line", "kik": "kik", "discord": "discord",
    "gmail": "email", "email": "email", "mail": "email", "outlook": "email",
}
_APP_WORDS: Final = ("whatsapp", "instagram", "messenger", "facebook", "snapchat", "telegram", "signal",
                     "imessage", "twitter", "tiktok", "skype", "viber", "wechat")
"""App names looked for inside a longer Source label (e.g. "WhatsApp Business", "Instagram Direct")."""
_PHONE_CHANNELS: Final = frozenset({"sms", "mms", "voice", "video", "whatsapp", "signal", "imessage", "facetime", "viber"})
_NATIVE_CHANNELS: Final = frozenset({"sms", "mms", "voice", "video"})
"""Native telephony: whatever the party identifier is (short code, "Withheld"), it is a number field."""
_HANDLE_CHANNELS: Final = frozenset({"instagram", "facebook", "snapchat", "telegram", "x", "tiktok", "skype"})

_ROW_COLUMNS: Final = (
    "source_ref", "mtype", "kind", "channel", "ts_raw", "direction", "sender", "recipients", "status",
    "duration_raw", "text", "attachments", "lat", "lon", "accuracy_m", "cell_id", "deleted",
)
_ROW_SCHEMA: Final = pl.Schema({  # type: ignore[arg-type]
    "source_ref": pl.String, "mtype": pl.String, "kind": pl.String, "channel": pl.String, "ts_raw": pl.String,
    "direction": pl.String, "sender": pl.String, "recipients": pl.List(pl.String), "status": pl.String,
    "duration_raw": pl.String, "text": pl.String, "attachments": pl.List(pl.String), "lat": pl.Float64,
    "lon": pl.Float64, "accuracy_m": pl.Float64, "cell_id": pl.String, "deleted": pl.Boolean,
})

_LIST_COLUMNS: Final = ("recipients", "attachments")
_SEP: Final = "\x1f"
_CHUNK_SCHEMA: Final = pl.Schema({c: (pl.String if c in _LIST_COLUMNS else t) for c, t in _ROW_SCHEMA.items()})


# --- detection -------------------------------------------------------------------------

def _report_member(names: list[str]) -> str | None:
    """The report.xml of a UFDR: at the root, else the shallowest one."""
    candidates = sorted((n for n in names if n.rsplit("/", 1)[-1].lower() == "report.xml"), key=lambda n: (n.count("/"), n))
    return candidates[0] if candidates else None


def _looks_like_report(head: str) -> bool:
    return NS in head and "<project" in head


def detect(probe: Probe) -> int:
    if probe.is_zip:
        member = _report_member(probe.zip_names)
        if member is None:
            return 0
        try:
            with zipfile.ZipFile(probe.path) as zf, zf.open(member) as fh:
                head = fh.read(64 * 1024).decode("utf-8", errors="ignore")
        except ZIP_ERRORS:
            return 40  # a UFDR-like zip we cannot open or decompress: let parse() give the clear error
        if _looks_like_report(head):
            return 95
        # A report.xml member that decompresses to something other than XML: a damaged UFDR,
        # not another format; parse() names the damage.
        return 40 if not head.lstrip("\ufeff \t\r\n").startswith("<") else 0
    return 95 if _looks_like_report(probe.text) else 0


# --- reading ---------------------------------------------------------------------------

@contextmanager
def _open_report(path: Path) -> Iterator[tuple[IO[bytes], str]]:
    """The report XML as a binary stream, and how to name it in errors."""
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != b"PK\x03\x04":
        with path.open("rb") as fh:
            yield fh, str(path)
        return
    try:
        zf = zipfile.ZipFile(path)
    except ZIP_ERRORS as exc:
        raise FormatError(f"{path}: not a readable UFDR/zip ({type(exc).__name__}: {exc}); the file may be truncated "
                          "or damaged") from exc
    with zf:
        member = _report_member(zf.namelist())
        if member is None:
            raise FormatError(f"{path}: zip without a report.xml: not a Cellebrite UFDR")
        try:
            stream = zf.open(member)
        except NotImplementedError as exc:  # (a RuntimeError too: named before the encrypted case below)
            method = zf.getinfo(member).compress_type
            raise FormatError(f"{path}: {member} in the UFDR is compressed with zip method {method}"
                              f"{f' ({ZIP_METHODS[method]})' if method in ZIP_METHODS else ''}, which Atlas's zip "
                              "reader cannot decompress; extract it with a tool that can (7-Zip reads Deflate64), "
                              "and ingest the extracted report.xml as its own exhibit, stating the method") from exc
        except RuntimeError as exc:  # encrypted member
            raise FormatError(f"{path}: cannot open {member} in the UFDR ({exc}); is it password-protected?") from exc
        except ZIP_ERRORS as exc:
            # The zip's directory points at a damaged entry (bytes inserted or cut before it).
            raise FormatError(f"{path}: cannot open {member} in the UFDR ({exc}): the package is damaged; "
                              "acquire or export it again") from exc
        with stream:
            yield stream, f"{path}!{member}"


def _value(field: Any) -> str | None:
    """A field's value: the text of its first child if that is a ``<value>`` (stripped), else None."""
    for child in field:
        if child.tag == _VALUE:
            text = child.text
            return text if text is None else text.strip()
        return None
    return None


_SUB_TAGS: Final = frozenset({_MODELFIELD, _MULTI})


def _read(model: Any) -> tuple[dict[str, str], dict[str, list[Any]]]:
    """A model's direct fields (name → text) and nested models (field name → models).

    The reader's hot loop (every model and party of a report goes through it): :func:`_value`
    is written out inline, and each element's ``tag`` (a new string per access in lxml) is
    read once.
    """
    fields: dict[str, str] = {}
    subs: dict[str, list[Any]] = {}
    for child in model:
        tag = child.tag
        if tag == _FIELD:
            name = child.get("name")
            if name and name not in fields:
                for value in child:
                    if value.tag == _VALUE:
                        text = value.text
                        if text:
                            text = text.strip()
                            if text:
                                fields[name] = text
                    break
        elif tag in _SUB_TAGS:
            name = child.get("name") or child.get("type") or ""
            models = [m for m in child if m.tag == _MODEL]
            if name in subs:
                subs[name] += models
            else:
                subs[name] = models
    return fields, subs


def _release(elem: Any) -> None:
    """Free a processed element and everything before it under the same parent."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def _float(text: str | None) -> float | None:
    if not text:
        return None
    t = text.strip().replace(",", ".")
    num = ""
    for ch in t:
        if ch.isdigit() or ch in "+-.eE":
            num += ch
        else:
            break
    try:
        return float(num)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def channel_of(source: str | None, default: str) -> str:
    """The channel an app's ``Source`` label names (``default`` when none): a handful of labels, read once each."""
    if not source:
        return default
    key = source.strip().lower()
    if key in _APP_CHANNELS:
        return _APP_CHANNELS[key]
    for name in _APP_WORDS:
        if name in key:
            return _APP_CHANNELS[name]
    return key.replace(" ", "-")


@lru_cache(maxsize=200_000)
def _ident(value: str, channel: str) -> str | None:
    """A party identifier as written → a raw Atlas identifier for that channel."""
    v = value.strip()
    if not v:
        return None
    low = v.lower()
    if low.endswith(("@s.whatsapp.net", "@c.us")):
        digits = v.split("@", 1)[0].split(":", 1)[0]
        return f"phone:+{digits}" if digits.isdigit() else f"whatsapp:{v}"
    if low.endswith("@g.us"):
        return f"whatsapp-group:{v.split('@', 1)[0]}"
    if channel in _PHONE_CHANNELS and (looks_like_phone(v) or (channel in _NATIVE_CHANNELS and "@" not in v)):
        return f"phone:{v}"
    if "@" in v and "." in v.split("@", 1)[-1] and " " not in v:
        return f"email:{v}"
    if channel in _HANDLE_CHANNELS:
        return f"{channel}:{v}"
    if looks_like_phone(v):
        return f"phone:{v}"
    return f"account:{channel}:{v}"


class _Party:
    __slots__ = ("ident", "name", "owner", "role")

    def __init__(self, model: Any, channel: str, container: str) -> None:
        fields, _ = _read(model)
        self.name = name = fields.get("Name")
        self.ident, self.role, self.owner = _party_facts(fields.get("Identifier"), name, fields.get("Role"),
                                                         fields.get("IsPhoneOwner"), channel, container)


@lru_cache(maxsize=200_000)
def _party_facts(raw: str | None, name: str | None, role: str | None, owner: str | None, channel: str,
                 container: str) -> tuple[str | None, str, bool]:
    """A party's identifier, role and whether it is the phone's owner, from its fields as written
    (a report names the same few parties over and over: each distinct one is worked out once)."""
    ident = _ident(raw, channel) if raw else (f"name:{name}" if name else None)
    key = (role or "").strip().lower()
    return ident, _ROLES.get(key) or _ROLES.get(container.lower(), ""), (owner or "").strip().lower() in _TRUE


class _Rows:
    """Rows (tuples in :data:`_ROW_COLUMNS` order) compacted into Polars chunks as they fill (bounded memory)."""

    def __init__(self) -> None:
        self.pending: list[tuple[Any, ...]] = []
        self.chunks: list[pl.DataFrame] = []
        self.n = 0

    def add(self, row: tuple[Any, ...]) -> None:
        """One row, as :func:`_row` builds it."""
        self.pending.append(row)
        self.n += 1
        if len(self.pending) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            columns = dict(zip(_ROW_COLUMNS, map(list, zip(*self.pending, strict=True)), strict=True))
            self.chunks.append(pl.DataFrame(columns, schema=_CHUNK_SCHEMA, strict=False))
            self.pending = []

    def raw(self) -> pl.DataFrame:
        """The rows so far as one frame, list columns still joined (see :func:`split_lists`)."""
        self.flush()
        frame = pl.concat(self.chunks, rechunk=True) if self.chunks else pl.DataFrame(schema=_CHUNK_SCHEMA)
        self.chunks = []
        return frame

    def frame(self) -> pl.DataFrame:
        return split_lists(self.raw())


def _row(source_ref: str, mtype: str, kind: str, channel: str, ts_raw: str | None, *, direction: str | None = None,
         sender: str | None = None, recipients: list[str] | None = None, status: str | None = None,
         duration_raw: str | None = None, text: str | None = None, attachments: list[str] | None = None,
         lat: float | None = None, lon: float | None = None, accuracy_m: float | None = None,
         cell_id: str | None = None, deleted: bool | None = None) -> tuple[Any, ...]:
    """One row in :data:`_ROW_COLUMNS` order; the list columns joined with :data:`_SEP` here and
    split in Polars (far cheaper than Python lists)."""
    return (source_ref, mtype, kind, channel, ts_raw, direction, sender,
            _SEP.join(recipients) if recipients else None, status, duration_raw, text,
            _SEP.join(attachments) if attachments else None, lat, lon, accuracy_m, cell_id, deleted)


def split_lists(raw: pl.DataFrame) -> pl.DataFrame:
    return raw.with_columns(pl.col(c).str.split(_SEP).fill_null(pl.lit([], pl.List(pl.String))) for c in _LIST_COLUMNS)


class _Report:
    """State while streaming one report."""

    def __init__(self, ctx: ParseContext) -> None:
        self.ctx = ctx
        self.rows = _Rows()
        self.reject_refs: list[str] = []
        self.reject_reasons: list[str] = []
        self.reject_excerpts: list[str] = []
        self.metadata: dict[str, str] = {}
        self.meta_rows: list[tuple[str, str, str]] = []
        self.types: Counter[str] = Counter()
        self.unknown_labels: Counter[str] = Counter()
        self.deleted_unknown = 0
        self.owner_ids: Counter[str] = Counter()
        self.accounts: list[tuple[str, str, str, list[str]]] = []  # ref, account ident, detail, entry idents
        self.evidence: list[dict[str, str]] = []
        self.attachments: list[tuple[str, str, str | None, str | None]] = []
        self.cells: list[dict[str, Any]] = []
        self.ordinal = 0
        self.numbered = False
        """A model without an id was named by its ordinal (which only a whole-stream read knows)."""

    # -- helpers --
    def reject(self, ref: str, reason: str, excerpt: str) -> None:
        self.reject_refs.append(ref)
        self.reject_reasons.append(reason)
        self.reject_excerpts.append(excerpt[:120])

    def parties(self, subs: dict[str, list[Any]], channel: str, names: tuple[str, ...]) -> list[_Party]:
        out = []
        for name in names:
            for m in subs.get(name, ()):
                p = _Party(m, channel, name)
                if p.owner and p.ident:
                    self.owner_ids[p.ident] += 1
                out.append(p)
        return out

    def label(self, what: str, value: str | None) -> None:
        if value:
            self.unknown_labels[f"{what} {value!r}"] += 1

    def attachment_names(self, ref: str, subs: dict[str, list[Any]]) -> list[str]:
        names: list[str] = []
        if "Attachments" not in subs and "Attachment" not in subs:
            return names
        for m in subs.get("Attachments", []) + subs.get("Attachment", []):
            f, _ = _read(m)
            name = f.get("Filename") or f.get("Name") or f.get("Title")
            stored = f.get("LocalPath") or f.get("Path") or f.get("URL") or f.get("attachment_extracted_path")
            if name or stored:
                shown = name or stored.rsplit("/", 1)[-1]  # type: ignore[union-attr]
                names.append(shown)
                self.attachments.append((ref, shown, stored, f.get("ContentType")))
        return names

    @staticmethod
    def sides(parties: list[_Party], direction: str | None) -> tuple[str | None, list[str]]:
        """(sender, recipients) from party roles, falling back on the direction."""
        sender = next((p.ident for p in parties if p.role == "from" and p.ident), None)
        recips = [p.ident for p in parties if p.role == "to" and p.ident]
        unroled = [p.ident for p in parties if not p.role and p.ident]
        if unroled:
            if direction == "in" and sender is None:
                sender, unroled = unroled[0], unroled[1:]
            recips += unroled
        return sender, recips

    # -- model kinds --
    def model(self, model: Any, mtype: str, chat: dict[str, Any] | None = None) -> None:
        self.types[mtype] += 1
        handler = _HANDLERS.get(mtype)
        # The reference (the model's id, else its ordinal in the stream) and the deleted state,
        # written out here: this runs for every record.
        self.ordinal += 1
        mid = model.get("id")
        if mid:
            # an id beginning or ending with a blank or a quote quoted, so that trimming the exhibit reference
            # cannot make it another model's (parsers.base.quoted_name)
            if mid[0] in _EDGE or mid[-1] in _EDGE:
                mid = quoted_name(mid)
            ref = f"{REPORT_REF} model {mid}"
        else:
            self.numbered = True
            ref = f"{REPORT_REF} model #{self.ordinal}"
        state = model.get("deleted_state")
        if state == "Intact" or not state:
            deleted = False
        else:
            state = state.strip().lower()
            deleted = state == "deleted"
            if not deleted and state not in ("intact", ""):
                self.deleted_unknown += 1
        fields, subs = _read(model)
        if handler is None:
            self.other(ref, mtype, fields, deleted)
        else:
            handler(self, ref, fields, subs, deleted, chat)

    def call(self, ref: str, f: dict[str, str], subs: dict[str, list[Any]], deleted: bool, _chat: Any) -> None:
        source = f.get("Source")
        video = (f.get("VideoCall") or "").lower() in _TRUE
        channel = channel_of(source, "video" if video else "voice")
        ctype = (f.get("Type") or "").strip()
        direction, status = _CALL_TYPES.get(ctype.lower(), (None, None))
        if ctype and direction is None:
            self.label("Call Type", ctype)
        dfield = (f.get("Direction") or "").strip()
        if dfield:
            d = _DIRECTIONS.get(dfield.lower())
            if d is None:
                self.label("Call Direction", dfield)
            direction = direction or d
        st = (f.get("Status") or "").strip().lower()
        if st in ("missed", "rejected", "blocked", "voicemail"):
            status = st
        parties = self.parties(subs, channel, ("Parties", "From", "To"))
        if direction is None:
            if any(p.owner and p.role == "from" for p in parties):
                direction = "out"
            elif any(p.owner and p.role == "to" for p in parties):
                direction = "in"
        remote = [p for p in parties if not p.owner]
        owner_side = [p for p in parties if p.owner]
        for p in parties:
            if not p.role:
                p.role = ("to" if direction == "out" else "from") if not p.owner else ("from" if direction == "out" else "to")
        sender, recips = self.sides(remote + owner_side, direction)
        self.rows.add(_row(source_ref=ref, mtype="Call", kind="call", channel=channel, ts_raw=f.get("TimeStamp"),
                      direction=direction, sender=sender, recipients=recips, status=status,
                      duration_raw=f.get("Duration"), deleted=deleted))

    def sms(self, ref: str, f: dict[str, str], subs: dict[str, list[Any]], deleted: bool, _chat: Any,
            default_channel: str = "sms") -> None:
        channel = channel_of(f.get("Source"), default_channel)
        if channel == "voice":
            channel = default_channel
        folder = (f.get("Folder") or "").strip()
        direction, status = _FOLDERS.get(folder.lower(), (None, None))
        if folder and direction is None:
            self.label("Folder", folder)
        st_raw = (f.get("Status") or "").strip()
        st = _STATUSES.get(st_raw.lower()) if st_raw else None
        if st_raw and st is None:
            self.label("Status", st_raw)
        if status not in _NOT_CONTACT:
            status = st or status
        if direction is None and st in ("sent", "unsent", "delivered", "draft"):
            direction = "out"
        parties = self.parties(subs, channel, ("Parties", "From", "To", "Cc", "Bcc"))
        if direction is None:
            if any(p.owner and p.role == "from" for p in parties):
                direction = "out"
            elif any(p.owner and p.role == "to" for p in parties):
                direction = "in"
        sender, recips = self.sides(parties, direction)
        body = f.get("Body")
        subject = f.get("Subject")
        text = f"{subject}\n{body}" if subject and body else (body or subject)
        self.rows.add(_row(source_ref=ref, mtype="SMS", kind="message", channel=channel, ts_raw=f.get("TimeStamp"),
                      direction=direction, sender=sender, recipients=recips, status=status, text=text,
                      attachments=self.attachment_names(ref, subs), deleted=deleted))

    def mms(self, ref: str, f: dict[str, str], subs: dict[str, list[Any]], deleted: bool, chat: Any) -> None:
        self.sms(ref, f, subs, deleted, chat, default_channel="mms")

    def instant_message(self, ref: str, f: dict[str, str], subs: dict[str, list[Any]], deleted: bool,
                        chat: dict[str, Any] | None) -> None:
        channel = channel_of(f.get("Source") or (chat["source"] if chat else None), "chat")
        parties = self.parties(subs, channel, ("From", "To", "Parties"))
        st_raw = (f.get("Status") or "").strip()
        status = _STATUSES.get(st_raw.lower()) if st_raw else None
        if st_raw and status is None:
            self.label("Status", st_raw)
        # One pass over the parties (the commonest record of a report): the first sender with an
        # identifier, whether a sender / recipient is the owner, the recipients' identifiers.
        sender = None
        sender_owner = to_owner = False
        recips = []
        for p in parties:
            role = p.role
            if role == "from":
                if sender is None and p.ident:
                    sender = p.ident
                sender_owner = sender_owner or p.owner
            elif role == "to":
                if p.ident:
                    recips.append(p.ident)
                to_owner = to_owner or p.owner
        participants: list[_Party] = chat["participants"] if chat else []
        if not recips and participants:
            recips = [p.ident for p in participants if p.ident and p.ident != sender]
        owner_sent = sender_owner or (sender is not None and any(p.owner and p.ident == sender for p in participants))
        direction = None
        if owner_sent or status in ("sent", "delivered", "draft", "unsent", "queued"):
            direction = "out"
        elif to_owner or (sender is not None and status in ("read", "unread")):
            direction = "in"
        body = f.get("Body")
        self.rows.add(_row(source_ref=ref, mtype="InstantMessage", kind="message", channel=channel,
                      ts_raw=f.get("TimeStamp"), direction=direction, sender=sender, recipients=recips, status=status,
                      text=body, attachments=self.attachment_names(ref, subs), deleted=deleted))

    def email(self, ref: str, f: dict[str, str], subs: dict[str, list[Any]], deleted: bool, _chat: Any) -> None:
        parties = self.parties(subs, "email", ("From", "To", "Cc", "Bcc", "Parties"))
        folder = (f.get("Folder") or "").strip()
        direction, status = _FOLDERS.get(folder.lower(), (None, None))
        if direction is None and any(p.owner and p.role == "from" for p in parties):
            direction = "out"
        sender, recips = self.sides(parties, direction)
        subject, body = f.get("Subject"), f.get("Body")
        text = f"Subject: {subject}\n{body or ''}".rstrip() if subject else body
        self.rows.add(_row(source_ref=ref, mtype="Email", kind="message", channel="email", ts_raw=f.get("TimeStamp"),
                      direction=direction, sender=sender, recipients=recips, status=status, text=text,
                      attachments=self.attachment_names(ref, subs), deleted=deleted))

    def _entries(self, subs: dict[str, list[Any]], default_channel: str) -> list[str]:
        out: list[str] = []
        for m in subs.get("Entries", []) + subs.get("ContactEntry", []):
            mt = m.get("type") or ""
            f, _ = _read(m)
            value = f.get("Value")
            if not value:
                continue
            if mt == "PhoneNumber":
                ident = f"phone:{value}"
            elif mt == "EmailAddress":
                ident = f"email:{value}"
            elif mt == "UserID":
                ident = _ident(value, channel_of(f.get("Domain") or f.get("Category"), default_channel)) or ""
            else:
                continue
            if ident and ident not in out:
                out.append(ident)
        return out

    def contact(self, ref: str, f: dict[str, str], subs: dict[str, list[Any]], deleted: bool, _chat: Any) -> None:
        channel = channel_of(f.get("Source"), "phonebook")
        if channel == "voice":
            channel = "phonebook"
        name = f.get("Name")
        entries = self._entries(subs, channel)
        name_id = f"name:{name}" if name else None
        self.rows.add(_row(source_ref=ref, mtype="Contact", kind="contact", channel=channel, ts_raw=f.get("TimeStamp"),
                      sender=name_id, recipients=entries, text=name, deleted=deleted))
        ids = ([name_id] if name_id else []) + entries
        if len(ids) >= 2:
            shown = f"contact card {name!r}" if name else "contact card"
            for other in ids[1:]:
                self.evidence.append({"source_ref": ref, "basis": "contact-card", "identifier": ids[0], "related": other,
                                      "detail": f"{shown} in the device's contacts ({channel}) lists both"})

    def user_account(self, ref: str, f: dict[str, str], subs: dict[str, list[Any]], deleted: bool, _chat: Any) -> None:
        service = f.get("ServiceType") or f.get("Source") or ""
        channel = channel_of(service, "account")
        username = f.get("Username") or f.get("UserID")
        account = _ident(username, channel) if username else None
        entries = self._entries(subs, channel)
        name = f.get("Name")
        detail = f"user account on the device: {service or 'unknown service'}" + (f", username {username}" if username else "") + (
            f", name {name!r}" if name else "")
        self.rows.add(_row(source_ref=ref, mtype="UserAccount", kind="account", channel=channel, ts_raw=f.get("TimeStamp"),
                      sender=account, recipients=entries, text=detail, deleted=deleted))
        if account:
            self.accounts.append((ref, account, detail, entries))
            for e in entries:
                self.evidence.append({"source_ref": ref, "basis": "account-profile", "identifier": account, "related": e,
                                      "detail": f"{detail}; the account's profile lists {e.split(':', 1)[1]}"})

    def location(self, ref: str, f: dict[str, str], subs: dict[str, list[Any]], deleted: bool, _chat: Any) -> None:
        lat = lon = None
        for m in subs.get("Position", []):
            pf, _ = _read(m)
            lat, lon = _float(pf.get("Latitude")), _float(pf.get("Longitude"))
        acc = _float(f.get("Accuracy") or f.get("Precision") or f.get("HorizontalAccuracy"))
        source = f.get("Source")
        what = "; ".join(x for x in (source, f.get("Category"), f.get("Name"), f.get("Description")) if x)
        if lat is None or lon is None:
            self.reject(ref, "Location without coordinates", what or "Location")
            return
        self.rows.add(_row(source_ref=ref, mtype="Location", kind="location", channel="gps", ts_raw=f.get("TimeStamp"),
                      text=what or None, lat=lat, lon=lon, accuracy_m=acc, deleted=deleted))

    def cell_tower(self, ref: str, f: dict[str, str], subs: dict[str, list[Any]], deleted: bool, _chat: Any) -> None:
        lat = lon = None
        for m in subs.get("Position", []):
            pf, _ = _read(m)
            lat, lon = _float(pf.get("Latitude")), _float(pf.get("Longitude"))
        parts = [f.get(k) for k in ("MCC", "MNC", "LAC", "CID")]
        if not parts[3] and f.get("BID"):  # CDMA towers: SID / NID / BID
            parts = [f.get("MCC"), f.get("SID"), f.get("NID"), f.get("BID")]
        cell_id = "-".join(p or "?" for p in parts) if any(parts) else None
        if cell_id is None:
            self.reject(ref, "CellTower without MCC/MNC/LAC/CID", str(f)[:120])
            return
        self.cells.append({"source_ref": ref, "cell_id": cell_id, "mcc": parts[0], "mnc": parts[1], "lac": parts[2],
                           "cid": parts[3], "lat": lat, "lon": lon})
        self.rows.add(_row(source_ref=ref, mtype="CellTower", kind="cell", channel="cell", ts_raw=f.get("TimeStamp"),
                      cell_id=cell_id, lat=lat, lon=lon, text=f.get("Source"), deleted=deleted))

    def other(self, ref: str, mtype: str, f: dict[str, str], deleted: bool) -> None:
        ts = f.get("TimeStamp") or f.get("Creation") or f.get("StartTime") or f.get("LastVisited") or f.get("Date")
        summary = "; ".join(f"{k}={v}" for k, v in list(f.items())[:6] if k not in ("UserMapping", "Password"))
        if ts:
            self.rows.add(_row(source_ref=ref, mtype=mtype, kind="note", channel=channel_of(f.get("Source"), "device"),
                          ts_raw=ts, text=f"{mtype}: {summary}"[:2000], deleted=deleted))
        else:
            self.reject(ref, f"model type {mtype} is not read as evidence by Atlas and has no time", f"{mtype}: {summary}")


_HANDLERS: Final[dict[str, Any]] = {
    "Call": _Report.call, "SMS": _Report.sms, "MMS": _Report.mms, "InstantMessage": _Report.instant_message,
    "Email": _Report.email, "Contact": _Report.contact, "UserAccount": _Report.user_account,
    "Location": _Report.location, "CellTower": _Report.cell_tower,
}
_CONTAINERS: Final = frozenset({"Chat"})
"""Models that hold records rather than being one (a Chat holds its InstantMessages)."""


STREAM_TAGS: Final = (_MODEL, _ITEM, _FILE, _EXTRAINFO)
"""The elements whose end events the reader acts on (everything else is parsed, not seen)."""
PARSER_OPTIONS: Final[dict[str, Any]] = {"resolve_entities": False, "no_network": True, "huge_tree": True,
                                          "recover": False, "remove_comments": True}
"""lxml options for every read of a report: no entities, no network, huge trees allowed."""


class _Consumer:
    """What the reader does with each end event, in document order (one per report stream)."""

    def __init__(self, report: _Report, where: str) -> None:
        self.report = report
        self.where = where
        self.chat: dict[str, Any] | None = None
        self.messages: Any = None
        """The ``Messages`` field of the chat being read, once its place was checked (its
        messages then skip the check: it holds for every one of them)."""
        self.root_seen = False

    def end(self, elem: Any) -> None:
        report = self.report
        if not self.root_seen:
            root = elem.getroottree().getroot()
            if root.tag != _PROJECT:
                raise FormatError(f"{self.where}: root element is {root.tag!r}, not a Cellebrite <project> in {NS}")
            self.root_seen = True
        tag = elem.tag
        if tag == _MODEL:
            parent = elem.getparent()
            if parent is None:
                return
            if parent is self.messages:
                report.model(elem, elem.get("type") or "InstantMessage", self.chat)
                _release(elem)
                return
            ptag = parent.tag
            if ptag == _MODELTYPE:
                mtype = elem.get("type") or ""
                if mtype in _CONTAINERS:
                    self.chat = self.messages = None
                else:
                    report.model(elem, mtype)
                _release(elem)
            elif ptag == _MULTI and parent.get("name") in ("Messages", "Message"):
                holder = parent.getparent()
                if holder is None or holder.get("type") not in _CONTAINERS or holder.getparent() is None \
                        or holder.getparent().tag != _MODELTYPE:
                    return
                if self.chat is None or self.chat["elem"] is not holder:
                    self.chat = _chat_context(holder, report)
                self.messages = parent
                report.model(elem, elem.get("type") or "InstantMessage", self.chat)
                _release(elem)
        elif tag == _ITEM:
            section_el = elem.getparent()
            grand = section_el.getparent() if section_el is not None else None
            if section_el is not None and section_el.tag == _METADATA and grand is not None and grand.tag == _PROJECT:
                name, value = elem.get("name") or "", (elem.text or "").strip()
                report.meta_rows.append((section_el.get("section") or "", name, value))
                if value and name not in report.metadata:
                    report.metadata[name] = value
        else:  # taggedFiles/file and extraInfos/extraInfo: not read, only released
            _release(elem)

    def finish(self) -> None:
        if not self.root_seen:
            raise FormatError(f"{self.where}: no Cellebrite report content (models or metadata) found")


def syntax_error(where: str, exc: etree.XMLSyntaxError) -> FormatError:
    return FormatError(
        f"{where}: XML error at line {exc.lineno}: {' '.join(str(exc.msg).split())}; "
        "the report may be truncated or damaged"
    )


def _stream(report: _Report, stream: IO[bytes], where: str) -> None:
    consumer = _Consumer(report, where)
    context = etree.iterparse(stream, events=("end",), tag=STREAM_TAGS, **PARSER_OPTIONS)
    try:
        for _event, elem in context:
            consumer.end(elem)
    except etree.XMLSyntaxError as exc:
        raise syntax_error(where, exc) from exc
    consumer.finish()


def _chat_context(elem: Any, report: _Report) -> dict[str, Any]:
    """The chat's app and participants, read from the fields before its Messages."""
    source = None
    participants: list[_Party] = []
    for child in elem:
        if child.tag == _FIELD and child.get("name") == "Source":
            source = _value(child)
        elif child.tag == _MULTI and child.get("name") == "Participants":
            channel = channel_of(source, "chat")
            participants = [_Party(m, channel, "Participants") for m in child if m.tag == _MODEL]
            for p in participants:
                if p.owner and p.ident:
                    report.owner_ids[p.ident] += 1
    return {"elem": elem, "source": source or "", "participants": participants}


# --- after the stream: times, owner, region, frames ------------------------------------

def _owner(report: _Report, ctx: ParseContext, assumptions: list[str]) -> str | None:
    msisdn = next((v for k, v in report.metadata.items() if "msisdn" in k.lower() and v), None)
    if msisdn:
        assumptions.append(f"device owner's number {msisdn} from the report's metadata (MSISDN)")
        return f"phone:{msisdn}"
    if report.owner_ids:
        ident, n = sorted(report.owner_ids.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        assumptions.append(f"device owner {ident} from the report's IsPhoneOwner parties ({n} records)")
        return ident
    owner_name = report.metadata.get("DeviceInfoOwnerName")
    if owner_name:
        assumptions.append(f"device owner named {quoted(owner_name)} in the report's metadata (no number given)")
        return f"name:{owner_name}"
    return None


def _region(report: _Report, ctx: ParseContext, frame: pl.DataFrame, assumptions: list[str]) -> str:
    """The device's region (its MSISDN, its SIM's IMSI, then the numbers it holds), stated."""
    msisdn = next((v for k, v in report.metadata.items() if "msisdn" in k.lower() and v), "")
    imsi = next((v for k, v in report.metadata.items() if k.upper() == "IMSI" and v), "")
    choice = choose_region(RegionEvidence(msisdns=(msisdn.replace(" ", ""),) if msisdn else (),
                                          imsis=(imsi,) if imsi else (), numbers=numbers_in(frame)),
                           default=ctx.region, instructed=ctx.region_instructed)
    assumptions.append(choice.assumption)
    return choice.region


def _times(frame: pl.DataFrame, assumptions: list[str]) -> pl.DataFrame:
    raw = pl.col("ts_raw").str.strip_chars()
    iso = raw.str.replace(r"(?i)\s*(?:Z|UTC|GMT)$", "+00:00").str.replace(r"^(\d{4}-\d\d-\d\d) ", "${1}T")
    has_offset = iso.str.contains(r"[+-]\d\d:?\d\d$")
    aware = iso.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, time_unit="us", time_zone="UTC")
    naive = iso.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")
    frame = frame.with_columns(
        pl.when(has_offset).then(aware).otherwise(None).alias("ts_utc"),
        pl.when(has_offset).then(None).otherwise(naive).alias("ts_local"),
    )
    n_local = frame.filter(pl.col("ts_local").is_not_null()).height
    if n_local:
        assumptions.append(
            f"{plural(n_local, 'timestamp')} in the report {'has' if n_local == 1 else 'have'} no UTC offset (zone-less "
            "device dates): read as the device's "
            "local wall-clock time in the case's zone"
        )
    secs = pl.col("duration_raw").str.strip_chars().str.extract_groups(r"^(?:(?:(\d+):)?(\d{1,2}):)?(\d+)(?:[.,]\d+)?$")
    parts = secs.struct
    duration = (
        parts.field("1").cast(pl.Int64).fill_null(0) * 3600
        + parts.field("2").cast(pl.Int64).fill_null(0) * 60
        + parts.field("3").cast(pl.Int64)
    )
    frame = frame.with_columns(duration.alias("duration_s"))
    end = pl.duration(seconds=pl.col("duration_s"))
    return frame.with_columns(
        pl.when(pl.col("duration_s") > 0).then(pl.col("ts_utc") + end).otherwise(None).alias("ts_end_utc"),
        pl.when(pl.col("duration_s") > 0).then(pl.col("ts_local") + end).otherwise(None).alias("ts_end_local"),
        pl.when(pl.col("ts_utc").is_not_null()).then(pl.lit("offset")).otherwise(None).alias("ts_basis"),
        pl.when((pl.col("kind") == "call") & pl.col("status").is_null() & (pl.col("duration_s") > 0))
        .then(pl.lit("answered")).otherwise(pl.col("status")).alias("status"),
    )


def _unique_refs(frame: pl.DataFrame, assumptions: list[str]) -> pl.DataFrame:
    """Models sharing an id (or an id-less model's ``#N`` and a model whose id is ``#N``) numbered
    ``#2``, ``#3`` … in report order, each number the next one no other model's reference holds
    (a model may be named ``X#2`` itself): every reference is then one model's."""
    dup = pl.col("source_ref").is_duplicated()
    n = frame.filter(dup).height
    if not n:
        return frame
    assumptions.append(f"{n} models share an id with another model: numbered '#2', '#3' … in report order, each "
                       "the next number no other model's reference already holds")
    k = pl.int_range(pl.len()).over("source_ref") + 1
    out = frame.with_columns(
        pl.when(dup & (k > 1)).then(pl.format("{}#{}", pl.col("source_ref"), k)).otherwise(pl.col("source_ref")).alias("source_ref")
    )
    if not out.get_column("source_ref").is_duplicated().any():
        return out
    # a numbered reference is another model's own: number again, skipping every reference taken
    refs = frame.get_column("source_ref").to_list()
    taken = set(refs)
    seen: dict[str, int] = {}
    renamed = []
    for ref in refs:
        count = seen[ref] = seen.get(ref, 0) + 1
        if count == 1:
            renamed.append(ref)
            continue
        k_next = count
        while f"{ref}#{k_next}" in taken:
            k_next += 1
        seen[ref] = k_next
        taken.add(f"{ref}#{k_next}")
        renamed.append(f"{ref}#{k_next}")
    return frame.with_columns(pl.Series("source_ref", renamed, dtype=pl.String))


PARALLEL_MIN_BYTES: Final = 64 * 1024 * 1024
"""Reports at least this big are read in parallel (below it, starting worker processes costs more than it saves)."""


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    from parsers import _cellebrite_parallel

    n_workers = _cellebrite_parallel.workers_for(path, PARALLEL_MIN_BYTES)
    if n_workers:
        report, raw = _cellebrite_parallel.read(path, ctx, n_workers=n_workers)
        return result(report, raw, ctx)
    return parse_sequential(path, ctx)


def parse_sequential(path: Path, ctx: ParseContext) -> ParseResult:
    """The plain rule: one stream, one process (the parallel reader is tested equal to it)."""
    report = _Report(ctx)
    with _open_report(path) as (stream, where):
        _read_whole(report, stream, where)
    return result(report, report.rows.raw(), ctx)


def _read_whole(report: _Report, stream: IO[bytes], where: str) -> None:
    """The sequential read of one report stream, a damaged compressed member named as such."""
    try:
        _stream(report, stream, where)
    except Exception as exc:  # only damage in the member's data is named here; anything else goes on as it was
        if not member_damage(exc):
            raise
        raise FormatError(
            f"{where}: the compressed report is damaged ({exc}); the UFDR is truncated or corrupt, so nothing "
            "was read from it: acquire or export it again") from exc


def result(report: _Report, rows: pl.DataFrame, ctx: ParseContext) -> ParseResult:
    """The parse result from a read report and its rows (list columns still joined)."""
    assumptions: list[str] = []
    owner = _owner(report, ctx, assumptions)
    frame = _unique_refs(split_lists(rows), assumptions)
    region = _region(report, ctx, frame, assumptions)
    frame = _times(frame, assumptions)

    timed = pl.col("kind").is_in(list(TIMED_KINDS))
    no_time = timed & pl.col("ts_utc").is_null() & pl.col("ts_local").is_null()
    bad = frame.filter(no_time).select(
        pl.lit(ctx.source_id).alias("source_id"),
        "source_ref",
        pl.when(pl.col("ts_raw").is_null()).then(pl.format("{} model without a timestamp", pl.col("mtype")))
        .otherwise(pl.format("{} timestamp not readable", pl.col("mtype"))).alias("reason"),
        pl.coalesce(pl.col("ts_raw"), pl.col("text").str.slice(0, 80), pl.lit("")).alias("excerpt"),
    )
    frame = frame.filter(~no_time)

    fill_owner = ctx.owner or owner
    if fill_owner:
        is_contact = pl.col("kind").is_in(["call", "message"])
        need_sender = is_contact & (pl.col("direction") == "out") & pl.col("sender").is_null()
        need_recip = is_contact & (pl.col("direction") == "in") & (pl.col("recipients").list.len() == 0)
        n_fill = frame.filter(need_sender | need_recip).height
        if n_fill:
            shown = fill_owner.removeprefix("phone:")  # (the parser's own spelling of a number: people read the number)
            assumptions.append(f"{plural(n_fill, 'call or message', 'calls or messages')} {'does' if n_fill == 1 else 'do'} not name the "
                               f"owner's side: "
                               f"filled with the device owner {shown}")
        frame = frame.with_columns(
            pl.when(need_sender).then(pl.lit(fill_owner)).otherwise(pl.col("sender")).alias("sender"),
            pl.when(need_recip).then(pl.concat_list(pl.lit(fill_owner))).otherwise(pl.col("recipients")).alias("recipients"),
        )

    if report.unknown_labels:
        listed = ", ".join(f"{k} ×{v}" for k, v in sorted(report.unknown_labels.items()))
        assumptions.append(f"labels not recognised (direction/status left to the owner rule): {listed}")
    if report.deleted_unknown:
        assumptions.append(f"{report.deleted_unknown} models have deleted_state other than Intact/Deleted: kept as not deleted")
    unknown_types = {t: n for t, n in report.types.items() if t not in _HANDLERS}
    if unknown_types:
        listed = ", ".join(f"{t} ×{n}" for t, n in sorted(unknown_types.items()))
        assumptions.append(f"model types not read as contact/location evidence (kept as notes if timed, else rejected): {listed}")

    evidence = report.evidence
    # The owner's identifiers, one per distinct person-facing value ("+1 555…" and a WhatsApp JID of
    # the same number are one identifier, not a link between two).
    by_uri: dict[str, str] = {}
    for raw in ([fill_owner] if fill_owner else []) + sorted(report.owner_ids):
        by_uri.setdefault(identifier_uri(raw, source_id=ctx.source_id, region=region), raw)
    owner_ids = list(by_uri.values())
    for ref, account, detail, _entries in report.accounts:
        for oid in owner_ids:
            if by_uri.get(identifier_uri(account, source_id=ctx.source_id, region=region)) is None:
                evidence.append({"source_ref": ref, "basis": "device-owner", "identifier": oid, "related": account,
                                 "detail": f"{detail}; logged in on the device of {oid.split(':', 1)[-1]} (device owner)"})
    if len(owner_ids) > 1:
        for oid in owner_ids[1:]:
            evidence.append({"source_ref": "report.xml metadata", "basis": "device-owner", "identifier": owner_ids[0],
                             "related": oid, "detail": "both are the device owner's (report metadata / IsPhoneOwner parties)"})
    evidence_frame = pl.DataFrame(
        {c: [e.get(c) for e in evidence] for c in ("source_ref", "basis", "identifier", "related", "detail")},
        schema={c: pl.String for c in ("source_ref", "basis", "identifier", "related", "detail")},
    ).with_columns(pl.lit(ctx.source_id).alias("source_id")).select(list(IDENTITY_EVIDENCE_SCHEMA.names()))

    extra: dict[str, pl.DataFrame] = {
        "device": pl.DataFrame(report.meta_rows, schema={"section": pl.String, "name": pl.String, "value": pl.String},
                               orient="row"),
    }
    if report.attachments:
        extra["attachments"] = pl.DataFrame(
            report.attachments, orient="row",
            schema={"source_ref": pl.String, "name": pl.String, "stored_path": pl.String, "content_type": pl.String},
        )
    if report.cells:
        extra["cells"] = pl.DataFrame(report.cells, schema={
            "source_ref": pl.String, "cell_id": pl.String, "mcc": pl.String, "mnc": pl.String, "lac": pl.String,
            "cid": pl.String, "lat": pl.Float64, "lon": pl.Float64})

    events = frame.select(
        "source_ref", "kind", "channel", "ts_utc", "ts_local", "ts_end_utc", "ts_end_local", "ts_basis", "ts_raw",
        "direction", "sender", "recipients", "status", "duration_s", "text", "attachments", "lat", "lon",
        "accuracy_m", "cell_id", "deleted",
    )
    rejects = pl.concat([
        bad.cast(REJECT_SCHEMA),
        pl.DataFrame({"source_id": [ctx.source_id] * len(report.reject_refs), "source_ref": report.reject_refs,
                      "reason": report.reject_reasons, "excerpt": report.reject_excerpts}, schema=REJECT_SCHEMA),
    ])
    return ParseResult(
        events=events, rejects=rejects, records_read=report.rows.n + len(report.reject_refs),
        owner=owner, region=region, assumptions=assumptions, evidence=evidence_frame, extra=extra,
    )
