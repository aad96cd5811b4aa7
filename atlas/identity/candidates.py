"""Candidate discovery: rules that *propose* identity links from the data.

Every proposal says which rule made it, why (in words an officer can check), with what
score, and which source records support it. Nothing here confirms anything: the ledger
records proposals, the officer decides (see :mod:`atlas.identity.ledger`).

Rules, documentary first:

``evidence``
    Identity evidence the parsers found in the sources (contact cards, subscriber
    records, same IMEI, account profiles, device owners): one proposal per pair and basis,
    supported by every evidence record that shows it. Score 1.0 (the record says so).
``device-owner``
    In a download whose owner is known, an account that *sent* messages from the device
    (the parser says "outgoing") is used on the owner's device.
``same-messages``
    A display name in one source (``name:<source>:not dan``: a 'Download your information'
    thread names senders only by their display names) and an account or number in another
    source that sent the same messages: the same words on the same channel, each within
    :data:`SAME_MESSAGE_WINDOW_S` of the other (clocks and delivery differ), at least
    :data:`SAME_MESSAGE_MIN` messages with at least two different texts, most of the name's
    messages. Inferred: the same words minutes apart are strong, not documentary.
``display-name``
    Similar display names in different sources, or a display name similar to a party's
    name in case.toml. Precision over recall: single names ("Dan", "D", "Mum") are never
    matched, the surnames must be equal, first names must be equal, a prefix of three or more
    letters ("Dan" / "Daniel") or a near-spelling ("Jonathon" / "Jonathan"), and tokens with
    digits must be equal. A misspelt surname is left to a person.
``temporal-succession``
    A new identifier whose first contact with the victim or her network comes within
    ``window_days`` after a suspect identifier was blocked or went quiet, and which
    behaves like it: one-sided, unanswered, at similar hours, in a similar style. Scored
    0–1; proposed at :data:`SUCCESSION_THRESHOLD` or above.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

import polars as pl
from rapidfuzz import fuzz

from atlas.graph.frames import contact_rows, uk_night, with_response
from atlas.identity.bases import BASES, describe
from atlas.identity.ledger import PARTY_PREFIX, Link, ensure_schema, propose, read_links
from atlas.identity.resolve import resolve
from atlas.messages import Message, Named, joined, message
from atlas.normalise.identifiers import display
from atlas.normalise.times import uk_display
from atlas.store import Case
from atlas.store.manifest import attributed_uris

SUPPORT_CAP: Final = 50
"""At most this many supporting record ids are stored per link (the reason gives the total)."""

SAME_MESSAGE_WINDOW_S: Final = 600
"""How far apart two copies of one message may be: a handset's clock off by minutes, or a
message stamped when sent in one export and when received in the other."""
SAME_MESSAGE_MIN: Final = 3
SAME_MESSAGE_MIN_CHARS: Final = 8
"""Shorter texts ("ok", "yes", "ring me") are left out: two people send those."""
SUCCESSION_THRESHOLD: Final = 0.7
NAME_THRESHOLD: Final = 0.8
NOT_A_PERSON: Final = ("tel-raw", "tel-short", "group", "whatsapp-group", "device", "imei", "imsi")
"""Identifier schemes that do not stand for one person's account (withheld numbers, short
codes, group chats, handsets): never a successor candidate."""


@dataclass(frozen=True)
class Proposal:
    a: str
    b: str
    basis: str
    score: float
    message: Message
    """Why, with the records it names as data (sources, records, display names): stored with the
    link (``reason_parts``) and rendered by exhibit, never found again by reading the words."""
    support: tuple[str, ...]
    rule: str

    @property
    def reason(self) -> str:
        """The stored sentence (ids), as the ledger's ``reason`` and the audit keep it."""
        return self.message.text


@dataclass
class DiscoveryReport:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Why some data could not become a proposal (unknown basis, missing identifier)."""

    def as_dict(self) -> dict[str, object]:
        return {"new": self.new, "updated": self.updated, "unchanged": self.unchanged, "skipped": self.skipped}


def _proposal(x: str, y: str, basis: str, score: float, reason: Message, support: tuple[str, ...],
              rule: str) -> Proposal:
    a, b = sorted((x, y))
    return Proposal(a, b, basis, score, reason, support, rule)


def _cap(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(ids))[:SUPPORT_CAP])


# --- documentary rules -------------------------------------------------------------------

def evidence_proposals(evidence: pl.DataFrame, skipped: list[str] | None = None) -> list[Proposal]:
    """One proposal per (pair, basis) from the parsers' identity evidence rows."""
    if evidence.height == 0:
        return []
    ev = evidence.with_columns((pl.col("source_id") + "/" + pl.col("source_ref")).alias("ref"))
    self_pairs = (pl.col("identifier") == pl.col("related")).fill_null(False)  # one identifier: nothing to link
    unusable = ev.filter(~self_pairs & (pl.col("identifier").is_null() | pl.col("related").is_null()
                                        | ~pl.col("basis").is_in(list(BASES))))
    if skipped is not None:
        for row in unusable.head(20).iter_rows(named=True):
            skipped.append(f"evidence {row['ref']} ({row['basis']}): not linkable "
                           f"(identifier {row['identifier']!r}, related {row['related']!r})")
    ev = ev.filter(pl.col("identifier").is_not_null() & pl.col("related").is_not_null()
                   & (pl.col("identifier") != pl.col("related")) & pl.col("basis").is_in(list(BASES)))
    ev = ev.with_columns(
        pl.min_horizontal("identifier", "related").alias("a"), pl.max_horizontal("identifier", "related").alias("b"),
    )
    grouped = (
        ev.group_by("a", "b", "basis")
        .agg(pl.col("ref").unique().sort(), pl.col("detail").drop_nulls().unique().sort())
        .sort("a", "b", "basis")
    )
    out = []
    for row in grouped.iter_rows(named=True):
        refs = row["ref"]
        details = [d for d in row["detail"] if d][:3]
        reason = message(f"{describe(row['basis'])}: {len(refs)} record(s), e.g. ", Named("event", refs[0]),
                         " (" + "; ".join(details) + ")" if details else "")
        out.append(Proposal(row["a"], row["b"], row["basis"], 1.0, reason, _cap(refs), "evidence"))
    return out


def device_owner_proposals(events: pl.LazyFrame, sources: pl.DataFrame) -> list[Proposal]:
    """Accounts that sent from a download whose owner is known, linked to that owner."""
    owners = sources.filter(pl.col("owner").is_not_null()).select("source_id", "owner")
    if owners.height == 0:
        return []
    sent = (
        events.filter((pl.col("direction").cast(pl.String) == "out") & pl.col("sender").is_not_null())
        .select("source_id", "sender", "event_id")
        .join(owners.lazy(), on="source_id")
        .filter(pl.col("sender") != pl.col("owner"))
        .group_by("owner", "sender", "source_id")
        .agg(pl.len().alias("n"), pl.col("event_id").sort().head(SUPPORT_CAP))
        .sort("owner", "sender", "source_id")
        .collect()
    )
    out = []
    for row in sent.iter_rows(named=True):
        reason = message(f"{display(row['sender'])} sent {row['n']} outgoing record(s) in source ",
                         Named("source", row["source_id"]), ", a download whose owner is ",
                         Named("identifier", row["owner"]))
        out.append(_proposal(row["owner"], row["sender"], "device-owner", 1.0, reason,
                            _cap(row["event_id"]), "device-owner"))
    return out


def same_message_proposals(events: pl.LazyFrame) -> list[Proposal]:
    """Display names linked to the account or number that sent the same messages in another
    source (see the module notes). One proposal per (name, account); a name whose messages
    match two accounts equally well is left to a person."""
    text = pl.col("text").str.strip_chars()
    msgs = (
        events.filter((pl.col("kind").cast(pl.String) == "message") & pl.col("sender").is_not_null()
                      & pl.col("ts_utc").is_not_null() & (text.str.len_chars() >= SAME_MESSAGE_MIN_CHARS))
        .select("source_id", "event_id", "channel", "sender", "ts_utc", text.alias("text"))
    )
    named = msgs.filter(pl.col("sender").str.starts_with("name:"))
    totals = named.group_by("sender").agg(pl.col("event_id").n_unique().alias("sent"))
    accounts = msgs.filter(~pl.col("sender").str.starts_with("name:")).join(
        named.select("channel", "text").unique(), on=["channel", "text"], how="semi")
    matched = (
        named.join(accounts, on=["channel", "text"], suffix="_b")
        .filter((pl.col("source_id") != pl.col("source_id_b"))
                & ((pl.col("ts_utc_b") - pl.col("ts_utc")).dt.total_seconds().abs() <= SAME_MESSAGE_WINDOW_S))
        .with_columns((pl.col("ts_utc_b") - pl.col("ts_utc")).dt.total_seconds().alias("offset_s"))
        .group_by("sender", "sender_b")
        .agg(pl.col("event_id").n_unique().alias("n"), pl.col("text").n_unique().alias("texts"),
             pl.col("offset_s").median().alias("offset_s"),
             pl.col("event_id").append(pl.col("event_id_b")).unique().sort().head(SUPPORT_CAP).alias("support"),
             pl.col("source_id").first().alias("name_source"), pl.col("source_id_b").unique().sort().alias("sources_b"))
        .join(totals, on="sender")
        .filter((pl.col("n") >= SAME_MESSAGE_MIN) & (pl.col("texts") >= 2) & (2 * pl.col("n") > pl.col("sent")))
        .sort("sender", "n", "sender_b", descending=[False, True, False])
        .collect()
    )
    out = []
    for _, rows in matched.group_by("sender", maintain_order=True):
        best = rows.filter(pl.col("n") == rows.get_column("n").max())
        if best.height != 1:
            continue  # as good a match with two accounts: a person decides
        row = best.row(0, named=True)
        lag = round(row["offset_s"])
        when = "at the same second" if lag == 0 else f"typically {abs(lag)} s {'later' if lag > 0 else 'earlier'} there"
        reason = message(f"{row['n']} of the {row['sent']} messages sent as {display(row['sender'])!r} in ",
                         Named("source", row["name_source"]), f" ({row['texts']} different texts) have the same words "
                         f"as messages sent by {display(row['sender_b'])} in ",
                         *joined(Named("source", s) for s in row["sources_b"]),
                         f", each within {SAME_MESSAGE_WINDOW_S // 60} minutes ({when})")
        out.append(_proposal(row["sender"], row["sender_b"], "same-messages", round(row["n"] / row["sent"], 3),
                             reason, _cap(row["support"]), "same-messages"))
    return out


# --- display names -----------------------------------------------------------------------

_TITLES: Final = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "prof"})


def name_tokens(name: str) -> list[str]:
    """A display name → comparable tokens: accents, case, brackets ("(work)"), emoji,
    punctuation and titles removed."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)
    text = re.sub(r"[^\w]+|_", " ", text)
    return [t for t in text.split() if t not in _TITLES]


def name_match(x: str, y: str) -> float | None:
    """How alike two display names are as names of one person (0–1), or None if they must
    not be matched at all. Deliberately strict: see the module docstring."""
    tx, ty = name_tokens(x), name_tokens(y)
    if len(tx) < 2 or len(ty) < 2:
        return None
    if {t for t in tx if any(c.isdigit() for c in t)} != {t for t in ty if any(c.isdigit() for c in t)}:
        return None
    sx, sy = tx[-1], ty[-1]
    if sx != sy:  # "Sample" / "Simple" are different families; a misspelt surname is left to a person
        return None
    fx, fy = tx[0], ty[0]
    if tx == ty:
        return 1.0
    if fx == fy:
        return 0.95
    short, long_ = sorted((fx, fy), key=len)
    if len(short) >= 3 and long_.startswith(short):
        return 0.85
    if min(len(fx), len(fy)) >= 4 and fuzz.ratio(fx, fy) >= 85:
        return 0.8
    return None


def display_name_proposals(names: Sequence[str], party_names: dict[str, set[str]],
                           attributed_to: dict[str, str]) -> list[Proposal]:
    """``name:`` identifiers similar to each other (across sources) or to a party's names.

    ``names`` are ``name:<source_id>:<shown>`` URIs; ``party_names`` maps party id → its
    name and display names in case.toml; ``attributed_to`` maps URIs already attributed.
    """
    by_surname: dict[str, list[tuple[str, str]]] = {}
    for uri in sorted(set(names)):
        shown = display(uri)
        toks = name_tokens(shown)
        if len(toks) >= 2:
            by_surname.setdefault(toks[-1], []).append((uri, shown))
    out: list[Proposal] = []
    for pid, pnames in sorted(party_names.items()):
        for pname in sorted(pnames):
            toks = name_tokens(pname)
            if len(toks) < 2:
                continue
            for uri, shown in by_surname.get(toks[-1], []):
                if uri in attributed_to:
                    continue
                score = name_match(shown, pname)
                if score is not None and score >= NAME_THRESHOLD:
                    out.append(_proposal(uri, PARTY_PREFIX + pid, "display-name", score,
                                         message(f"display name {shown!r} is like {pid}'s name {pname!r} in case.toml "
                                                 f"(score {score:.2f})"), (), "display-name"))
    for _surname, items in sorted(by_surname.items()):
        for i, (u, su) in enumerate(items):
            for v, sv in items[i + 1:]:
                if u.split(":")[1] == v.split(":")[1]:
                    continue  # two names in one source are two entries: not matched
                if u in attributed_to and attributed_to.get(u) == attributed_to.get(v):
                    continue
                score = name_match(su, sv)
                if score is not None and score >= NAME_THRESHOLD:
                    out.append(Proposal(u, v, "display-name", score,
                                        message(f"display names {su!r} and {sv!r} in two sources are alike "
                                                f"(score {score:.2f})"), (), "display-name"))
    best: dict[tuple[str, str], Proposal] = {}
    for p in out:
        key = (p.a, p.b)
        if key not in best or p.score > best[key].score:
            best[key] = p
    return [best[k] for k in sorted(best)]


# --- temporal succession ---------------------------------------------------------------------

@dataclass(frozen=True)
class Behaviour:
    """How one identifier contacted the victim and her network."""

    uri: str
    n: int
    first: datetime
    last: datetime
    blocked: datetime | None
    back: int
    """Contacts the other way (the victim or her network initiating)."""
    unanswered: float
    night: float
    channels: tuple[str, ...]
    texts: tuple[str, ...]
    event_ids: tuple[str, ...]

    @property
    def one_sided(self) -> float:
        return self.n / (self.n + self.back) if self.n + self.back else 0.0

    @property
    def end(self) -> datetime:
        """When it stopped: blocked, or its last contact, whichever came first."""
        return min(self.blocked, self.last) if self.blocked else self.last


def _grams(texts: Sequence[str]) -> Counter[str]:
    grams: Counter[str] = Counter()
    for t in texts:
        s = " ".join(name_tokens(t)) if t else ""
        grams.update(s[i:i + 3] for i in range(max(len(s) - 2, 0)))
    return grams


def style_similarity(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cosine similarity of character 3-grams of two identifiers' messages (None if either
    sent no text). Repeated phrases and idiosyncratic spelling raise it."""
    ga, gb = _grams(a), _grams(b)
    if not ga or not gb:
        return None
    dot = sum(v * gb.get(k, 0) for k, v in ga.items())
    na = math.sqrt(sum(v * v for v in ga.values()))
    nb = math.sqrt(sum(v * v for v in gb.values()))
    return dot / (na * nb) if na and nb else None


def victim_network(rows: pl.DataFrame, victims: set[str], witnesses: set[str], suspects: set[str]) -> set[str]:
    """The victim and her network as party node ids: the victim(s), witnesses, and any
    other non-suspect party with contact both ways with a victim. (Parties of role
    ``other`` can be the suspect's own friends: they are not her network.)"""
    vs = sorted(PARTY_PREFIX + v for v in victims)
    pairs = rows.filter(pl.col("sender_party").is_not_null() & pl.col("recipient_party").is_not_null()).select(
        "sender_party", "recipient_party").unique()
    to_v = set(pairs.filter(pl.col("recipient_party").is_in(vs)).get_column("sender_party").to_list())
    from_v = set(pairs.filter(pl.col("sender_party").is_in(vs)).get_column("recipient_party").to_list())
    both = {p for p in to_v & from_v if p[len(PARTY_PREFIX):] not in suspects}
    return set(vs) | {PARTY_PREFIX + w for w in witnesses} | both


def behaviours(case: Case, owner: dict[str, str], *, plain: bool = False) -> dict[str, Behaviour]:
    """Per sender identifier: its contacts *to* the victim and her network.

    Every row used below has a party's identifier on one side (the network's pairs, the
    contacts to it and its contacts back), so only the records naming one of ``owner``'s
    identifiers are read: filtered while the store is scanned, in memory bounded by them
    rather than by the case (``plain`` reads every contact record, the rule this is tested
    equal to)."""
    events = case.events()
    if not plain:
        ids = sorted(owner)
        events = events.filter(pl.col("sender").is_in(ids)
                               | pl.col("recipients").list.eval(pl.element().is_in(ids)).list.any())
    rows = contact_rows(events).collect()
    if rows.height == 0:
        return {}
    keys = pl.Series(list(owner), dtype=pl.String)
    vals = pl.Series([PARTY_PREFIX + p for p in owner.values()], dtype=pl.String)
    rows = rows.with_columns(
        pl.col("sender").replace_strict(keys, vals, default=None).alias("sender_party"),
        pl.col("recipient").replace_strict(keys, vals, default=None).alias("recipient_party"),
    )
    parties = case.manifest.parties
    tset = sorted(victim_network(rows, {p.id for p in parties if p.role == "victim"},
                                 {p.id for p in parties if p.role == "witness"},
                                 {p.id for p in parties if p.role == "suspect"}))
    inbound = rows.filter(pl.col("recipient_party").is_in(tset) & ~pl.col("sender_party").is_in(tset).fill_null(False))
    if inbound.height == 0:
        return {}
    # responses: the target party contacting the sender identifier afterwards
    pair_rows = pl.concat([
        inbound.select("ts_utc", "answered_call", pl.col("sender").alias("x"), pl.col("recipient_party").alias("t"),
                       pl.lit(True).alias("_in"), "event_id"),
        rows.filter(pl.col("sender_party").is_in(tset)).select(
            "ts_utc", "answered_call", pl.col("recipient").alias("x"), pl.col("sender_party").alias("t"),
            pl.lit(False).alias("_in"), "event_id"),
    ])
    pair_rows = pair_rows.with_columns(
        pl.when(pl.col("_in")).then(pl.col("x")).otherwise(pl.col("t")).alias("src"),
        pl.when(pl.col("_in")).then(pl.col("t")).otherwise(pl.col("x")).alias("dst"),
    )
    responded = with_response(pair_rows, src="src", dst="dst").filter(pl.col("_in"))
    back = pair_rows.filter(~pl.col("_in")).group_by("x").agg(pl.len().alias("back"))
    blocked = inbound.filter(pl.col("status") == "blocked").group_by("sender").agg(pl.col("ts_utc").min().alias("blocked"))
    stats = (
        inbound.join(responded.select("event_id", "x", "t", "responded").unique(["event_id", "x", "t"]),
                     left_on=["event_id", "sender", "recipient_party"], right_on=["event_id", "x", "t"], how="left")
        .group_by("sender")
        .agg(
            pl.len().alias("n"), pl.col("ts_utc").min().alias("first"), pl.col("ts_utc").max().alias("last"),
            (1 - pl.col("responded").fill_null(False).cast(pl.Float64).mean()).alias("unanswered"),
            uk_night(pl.col("ts_utc"), case.manifest.timezone).cast(pl.Float64).mean().alias("night"),
            pl.col("channel").unique().sort().alias("channels"),
            pl.col("text").drop_nulls().unique().sort().head(200).alias("texts"),
            pl.col("event_id").unique().sort().alias("event_ids"),
        )
        .join(back, left_on="sender", right_on="x", how="left")
        .join(blocked, on="sender", how="left")
        .sort("sender")
    )
    out = {}
    for r in stats.iter_rows(named=True):
        out[r["sender"]] = Behaviour(
            r["sender"], r["n"], r["first"], r["last"], r["blocked"], r["back"] or 0, float(r["unanswered"]),
            float(r["night"]), tuple(r["channels"]), tuple(r["texts"]), tuple(r["event_ids"]),
        )
    return out


def succession_score(c: Behaviour, s: Behaviour, window_days: float) -> tuple[float, list[str]] | None:
    """How well ``c`` fits as the successor of ``s`` (0–1), with the reasons; None if it
    cannot be one (wrong timing, or not one-sided and unanswered enough)."""
    tolerance = timedelta(days=1)
    gap = c.first - s.end
    if gap < -tolerance or gap > timedelta(days=window_days) or c.first <= s.first:
        return None
    if c.one_sided < 0.9 or c.unanswered < 0.6:
        return None
    gap_days = max(gap.total_seconds() / 86400, 0.0)
    timing = 1.0 if s.blocked and gap_days <= 7 else 1 - 0.5 * gap_days / window_days
    shared = sorted(set(c.channels) & set(s.channels))
    parts: list[tuple[float, float]] = [
        (0.25, timing), (0.1, min(1.0, c.n / 10)), (0.15, c.one_sided), (0.15, 1 - abs(c.unanswered - s.unanswered)),
        (0.1, 1 - abs(c.night - s.night)), (0.1, 1.0 if shared else 0.0),
    ]
    style = style_similarity(c.texts, s.texts)
    if style is not None:
        parts.append((0.25, style))
    score = sum(w * v for w, v in parts) / sum(w for w, _ in parts)
    what = "was blocked" if s.blocked and s.blocked <= s.last else "went quiet"
    why = [
        f"first contact {uk_display(c.first)} is {gap_days:.1f} day(s) after {display(s.uri)} {what} ({uk_display(s.end)})",
        f"{c.n} contact(s), {c.one_sided:.0%} one-sided, {c.unanswered:.0%} unanswered (predecessor {s.unanswered:.0%})",
        f"{c.night:.0%} at night (predecessor {s.night:.0%})",
    ]
    why.append(f"same channel ({', '.join(shared)})" if shared else f"different channel ({', '.join(c.channels)})")
    why.append(f"message style similarity {style:.2f}" if style is not None else "no message text to compare")
    return score, why


def succession_proposals(case: Case, links: list[Link], *, window_days: float = 42, min_contacts: int = 3) -> list[Proposal]:
    """New identifiers taking over from a suspect's blocked or quiet one (one round)."""
    res = resolve(case, include_proposed=True, links=links)
    suspects = [p.id for p in case.manifest.parties if p.role == "suspect"]
    if not suspects or not any(p.role == "victim" for p in case.manifest.parties):
        return []
    beh = behaviours(case, res.owner)
    rejected = {u for lk in links if lk.status == "rejected" and lk.basis == "temporal-succession" for u in (lk.a, lk.b)}
    out = []
    for pid in suspects:
        preds = [b for u, b in beh.items() if res.owner.get(u) == pid]
        for uri, c in sorted(beh.items()):
            if uri in res.owner or uri in res.contested or uri in rejected or c.n < min_contacts:
                continue
            scheme = uri.split(":", 1)[0]
            if scheme in NOT_A_PERSON:
                continue
            scored = []
            for s in preds:
                got = succession_score(c, s, window_days)
                if got is not None:
                    scored.append((got[0], s.uri, got[1], s))
            if not scored:
                continue
            score, s_uri, why, s = max(scored, key=lambda t: (t[0], t[1]))
            if score < SUCCESSION_THRESHOLD:
                continue
            support = list(c.event_ids[:SUPPORT_CAP // 2]) + list(s.event_ids[-(SUPPORT_CAP // 2):])
            reason = message(f"{display(uri)} may be {pid}'s successor to {display(s_uri)}: " + "; ".join(why)
                             + f" (score {score:.2f})")
            out.append(_proposal(uri, s_uri, "temporal-succession", round(score, 3), reason, _cap(support),
                                "temporal-succession"))
    return out


# --- running it ------------------------------------------------------------------------------

def _record(case: Case, proposals: list[Proposal], report: DiscoveryReport) -> None:
    with case.db() as con:
        ensure_schema(con)
        for p in proposals:
            lid, what = propose(case, con, p.a, p.b, p.basis, reason=p.message, support=p.support, score=p.score,
                                origin=f"discovery:{p.rule}")
            getattr(report, what).append(lid)


def shown_names(case: Case, evidence: pl.DataFrame, *, plain: bool = False) -> list[str]:
    """Every ``name:`` identifier the events or the identity evidence show, each once (in no
    particular order: :func:`display_name_proposals` sorts them). The names are picked out
    while the store is scanned, so memory holds the distinct names, not every sender and
    recipient (``plain`` collects those first: the rule this is tested equal to)."""
    ev = case.events()
    named = pl.col("u").str.starts_with("name:")
    if plain:
        found = pl.concat([ev.select(pl.col("sender").alias("u")).collect(),
                           ev.select(pl.col("recipients").explode().alias("u")).collect()])
    else:
        found = pl.concat([ev.select(pl.col("sender").alias("u")).filter(named).unique(),
                           ev.select(pl.col("recipients").explode().alias("u")).filter(named).unique()]).collect()
    return (
        pl.concat([found, evidence.select(pl.col("identifier").alias("u")), evidence.select(pl.col("related").alias("u"))])
        .filter(named)
        .unique()
        .get_column("u")
        .to_list()
    )


def discover(case: Case, *, window_days: float = 42, min_contacts: int = 3) -> DiscoveryReport:
    """Run every rule and record the proposals (idempotent; rejected links stay rejected)."""
    report = DiscoveryReport()
    sources = case.sources()
    attributed_to: dict[str, str] = {}
    party_names: dict[str, set[str]] = {}
    for p in case.manifest.parties:
        for u in attributed_uris(p, case.source_ids()):
            attributed_to[u] = p.id
        party_names[p.id] = {n for n in (p.name, *p.display_names) if n}

    def useful(p: Proposal) -> bool:
        owners = {attributed_to.get(p.a), attributed_to.get(p.b)}
        return not (len(owners) == 1 and None not in owners)  # both already attributed to one party

    evidence = case.evidence().collect()
    proposals = evidence_proposals(evidence, report.skipped)
    proposals += device_owner_proposals(case.events(), sources)
    proposals += same_message_proposals(case.events())
    proposals += display_name_proposals(shown_names(case, evidence), party_names, attributed_to)
    _record(case, [p for p in proposals if useful(p)], report)
    for _ in range(5):  # successors of successors (a new account after the new number went quiet)
        found = succession_proposals(case, read_links(case), window_days=window_days, min_contacts=min_contacts)
        before = len(report.new)
        _record(case, found, report)
        if len(report.new) == before:
            break
    for name in ("new", "updated", "unchanged"):
        setattr(report, name, sorted(set(getattr(report, name))))
    case.audit("identity.discover", {"new": len(report.new), "updated": len(report.updated),
                                     "unchanged": len(report.unchanged), "skipped": len(report.skipped),
                                     "window_days": window_days, "min_contacts": min_contacts})
    return report
