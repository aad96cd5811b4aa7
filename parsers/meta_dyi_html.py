"""Facebook, Messenger and Instagram "Download your information" in HTML (``message_1.html``).

The same threads as the JSON download, rendered as pages. Parsed with ``lxml.html``
(no network, no scripts). Layouts (class names are Meta's generated CSS classes,
stable for years and identical across locales, as real downloads and public
readers of them show):

* **2022- (Facebook and Instagram)**: each message is
  ``<div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder">`` holding the sender
  (``div``/``h2`` with ``_2pim _a6-h``), the content (``div._a6-p``: text, media
  ``img``/``video``/``audio`` with ``src``, links, and reactions in ``ul._a6-q``)
  and the time (``div._3-94 _a6-o``).
* **2019-2022 Facebook**: ``div.pam._2lej.uiBoxWhite.noborder`` with the sender in
  ``div._2lek``, content in ``div._2let`` and the time in ``div._2lem``.
* The page's first box lists the participants ("Participants: A, B and C") and
  has no time: it is read as the participant list, not as a record.

Time: the page shows a wall-clock time with no zone, e.g. ``Aug 10, 2026 6:32 pm``
(Instagram) or ``Jan 14, 2026, 9:05 PM`` (Facebook). The format is chosen once for
the whole file from the data (``atlas.normalise.times.sniff_datetime_format``), the
values are ``ts_local`` and the shared normaliser converts them with the case's
(or ``--tz``) zone; the assumption is recorded. Minutes only: the JSON download
of the same account gives exact UTC times and should be preferred where both exist.

Everything else follows the JSON parser (:mod:`parsers.meta_dyi_json`): platform
from content markers (media paths, links) with the path as tie-break; senders and
recipients are ``name:<display name>``; media ``src`` and link ``href`` values are
attachments; reactions go to the ``reactions`` reference table. ``source_ref`` is
``block N``: the N-th message box of the page (1-based, the participants box
included in the count).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import lxml.html
import polars as pl
from lxml import etree

from atlas.errors import AtlasError, FormatError, NotASourceError
from atlas.model import Channel, EvidenceCategory
from atlas.normalise.times import parse_datetimes, sniff_datetime_format
from parsers._exports import others, raw_events, rejects
from parsers._meta import decide_platform
from parsers.base import ParseContext, ParseResult, ParserInfo, Probe

INFO: Final = ParserInfo(
    name="meta-dyi-html",
    version="1.0.0",
    description="Facebook / Messenger / Instagram 'Download your information' HTML message page",
    detects="HTML with Meta's message boxes ('uiBoxWhite noborder' with _a6-o / _2lem time elements)",
    notes=__doc__ or "",
    category=EvidenceCategory.SOCIAL_MEDIA_RETURN,
    channels=frozenset({Channel.FACEBOOK, Channel.INSTAGRAM}),
    no_public_sample="no public 'Download your information' HTML page in ../shared/samples; tested on the generator's pages",
)

_BOX: Final = '//div[contains(concat(" ", normalize-space(@class), " "), " uiBoxWhite ") and contains(concat(" ", normalize-space(@class), " "), " noborder ")]'
TIME_CLASSES: Final = ("_a6-o", "_2lem")
SENDER_CLASSES: Final = ("_2pim", "_a6-h", "_2lek")
CONTENT_CLASSES: Final = ("_a6-p", "_2let")
REACTIONS_SCHEMA: Final = pl.Schema({"source_ref": pl.String, "actor": pl.String, "reaction": pl.String})


def detect(probe: Probe) -> int:
    text = probe.text[:262144]
    if "uiBoxWhite" not in text or "noborder" not in text:
        return 0
    if "_a6-o" in text or "_2lem" in text:
        return 90
    return 40


def _has_class(el: etree._Element, names: tuple[str, ...]) -> bool:
    classes = set(str(el.get("class") or "").split())
    return bool(classes & set(names))


def _first(box: etree._Element, names: tuple[str, ...]) -> etree._Element | None:
    for el in box.iter():
        if el is not box and isinstance(el.tag, str) and _has_class(el, names):
            return el
    return None


def _text(el: etree._Element) -> str:
    return str(el.text_content())


def _content(el: etree._Element) -> tuple[str | None, list[str], list[str], list[tuple[str, str]]]:
    """(text, attachments, links, reactions) of a content element."""
    for br in el.iter("br"):
        br.tail = "\n" + (br.tail or "")
    reactions: list[tuple[str, str]] = []
    for li in el.xpath(".//ul//li"):
        raw = _text(li).strip()
        raw = re.sub(r"\s*\([^)]*\d{4}[^)]*\)\s*$", "", raw)  # Instagram appends "(Dec 28, 2020 6:56 am)"
        m = re.match(r"^(\W+?)\s*(\w.*)$", raw)
        reactions.append((m.group(2), m.group(1)) if m else (raw, ""))
    files: list[str] = []
    links: list[str] = []
    parts: list[str] = []
    for div in el.iter("div"):
        if div.xpath("ancestor::ul") or div.xpath("./div") or div.xpath(".//ul"):
            continue
        media = [str(x.get("src")) for x in div.xpath(".//img|.//video|.//audio|.//source") if x.get("src")]
        anchors = [str(a.get("href")) for a in div.xpath(".//a") if a.get("href")]
        body = _text(div).strip("\r\n")
        if media:
            files += media
            continue
        if anchors:
            links += anchors
            files += anchors
            if body.strip() == "".join(_text(a) for a in div.xpath(".//a")).strip():
                continue
        if body.strip():
            parts.append(body)
    text = "\n".join(parts) or None
    return text, list(dict.fromkeys(files)), links, reactions


def _participants(doc: etree._Element) -> list[str]:
    for node in doc.xpath("//text()[contains(., 'Participants:')]"):
        names = str(node).split("Participants:", 1)[1].strip()
        if names:
            return [n.strip() for n in re.split(r",\s*|\s+and\s+", names) if n.strip()]
    return []


def parse(path: Path, ctx: ParseContext) -> ParseResult:
    data = path.read_bytes()
    if not data.strip():
        raise NotASourceError(f"{path}: the file is empty", reason="empty file")  # blank: nothing to read
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, huge_tree=True)
    try:
        doc = lxml.html.fromstring(data, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise FormatError(f"{path}: not readable as HTML ({exc})") from exc
    # libxml2 stops building the tree where elements nest too deep (256 levels, 2,048 with huge_tree)
    # and says so only in its log: everything after that place would be silently missing.
    for err in parser.error_log:
        if "Excessive depth" in err.message:
            raise FormatError(f"{path}: elements nested deeper than libxml2 reads (over 2,048 levels, from line "
                              f"{err.line}, column {err.column}); no Meta page nests so deep (a damaged or hostile "
                              "file); nothing from this file was stored")
    boxes = doc.xpath(_BOX)
    refs, senders, stamps, texts, attachments = [], [], [], [], []
    bad: list[tuple[str, str, str]] = []
    reactions: list[tuple[str, str, str]] = []
    all_links: list[str] = []
    read = 0
    for k, box in enumerate(boxes, start=1):
        ref = f"block {k}"
        time_el = _first(box, TIME_CLASSES)
        if time_el is None:
            if "Participants:" in _text(box):
                continue
            read += 1
            bad.append((ref, "message box without a time element", _text(box).strip()[:160]))
            continue
        read += 1
        sender_el = _first(box, SENDER_CLASSES)
        content_el = _first(box, CONTENT_CLASSES)
        text, files, links, reacts = _content(content_el) if content_el is not None else (None, [], [], [])
        all_links += links
        refs.append(ref)
        sender = _text(sender_el).strip() if sender_el is not None else ""
        senders.append(f"name:{sender}" if sender else None)
        stamps.append(_text(time_el).strip())
        texts.append(text)
        attachments.append(files)
        reactions += [(ref, f"name:{actor}", emoji) for actor, emoji in reacts]
    if not refs:
        raise FormatError(f"{path}: no Meta message boxes with a time (expected 'uiBoxWhite noborder' boxes with _a6-o/_2lem)")
    participants = sorted({f"name:{p}" for p in _participants(doc)}) or sorted({s for s in senders if s})
    frame = raw_events({"source_ref": refs, "sender": senders, "text": texts, "attachments": attachments}).with_columns(
        pl.Series("stamp", stamps, dtype=pl.String))
    assumptions: list[str] = []
    try:
        fmt = sniff_datetime_format(frame.get_column("stamp"), what="the HTML page's message times")
    except AtlasError as exc:
        raise FormatError(f"{path}: {exc}") from exc
    if fmt.assumption:
        assumptions.append(fmt.assumption)
    frame = frame.with_columns(others(frame, participants))
    srcs = [u for files in attachments for u in files if not u.startswith("http")]
    channel, why = decide_platform(uris=srcs, links=all_links, keys=(), path=path, options=ctx.options)
    events = frame.select(
        "source_ref", pl.lit("message").alias("kind"), pl.lit(channel).alias("channel"),
        parse_datetimes(pl.col("stamp"), fmt).alias("ts_local" if not fmt.has_offset else "ts_utc"),
        pl.col("stamp").alias("ts_raw"), "sender", "recipients", "text", "attachments",
    )
    if ctx.owner:
        events = events.with_columns(
            pl.when((pl.col("recipients").list.len() == 0) & (pl.col("sender") != ctx.owner))
            .then(pl.lit(pl.Series([[ctx.owner]], dtype=pl.List(pl.String)))).otherwise(pl.col("recipients")).alias("recipients"))
    assumptions += [
        f"platform: {why}",
        f"HTML page times have no zone (format {fmt.fmt}); read as wall clock in {ctx.timezone}, to the minute",
    ]
    reaction_frame = pl.DataFrame({"source_ref": [r[0] for r in reactions], "actor": [r[1] for r in reactions],
                                   "reaction": [r[2] for r in reactions]}, schema=REACTIONS_SCHEMA)
    return ParseResult(events=events, rejects=rejects(ctx.source_id, bad), records_read=read, assumptions=assumptions,
                       extra={"reactions": reaction_frame} if reactions else {})
