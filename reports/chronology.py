"""The chronology: one row per relied-on contact, as officers set it out in a statement.

Each row is one real-world contact between the suspect and the victim's side (the
de-duplicated contacts of :mod:`reports.inputs`, which use attributed and confirmed
identities only: nothing from a proposed link), with its UK date and time and zone, the
channel, who it was from and to by party name, the full text of the message exactly as
the record holds it (never a snippet), the call's duration and outcome, and the exhibit
record that shows it (``JA/25, sms rowid 8``), followed by the other exhibits that
record the same contact.

Which record is quoted: for a message, the record with the longest text (a handset
holds the text, a call data record does not); for a call, a call data record when one
holds it (network time and duration), else the record with a duration. Ties go to the
lowest exhibit number, so the choice is the same on every run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

import atlas.exhibits as exhibits_rule
from atlas.store import Case
from atlas.wording import CHANNEL_NAMES as CHANNEL_NAMES
from atlas.wording import channel_name as channel_name

from .style import UK

CALL_OUTCOMES: Final[dict[str, str]] = {
    "missed": "not answered", "no-answer": "not answered", "rejected": "rejected", "declined": "rejected",
    "busy": "busy", "voicemail": "went to voicemail", "blocked": "blocked", "cancelled": "cancelled by the caller",
    "answered": "answered",
}


@dataclass(frozen=True)
class ChronologyRow:
    contact_id: str
    uk_time: str
    """``22/11/2026 14:05 GMT``."""
    ts_utc: str
    channel: str
    kind: str
    way: str
    from_name: str
    to_name: str
    content: str
    """The message text verbatim, or the call's duration and outcome."""
    exhibit: str
    """The record quoted: ``JA/25, sms rowid 8``."""
    also: tuple[exhibits_rule.RecordRef, ...]
    """The other exhibit records of the same contact (exhibit and place apart)."""
    event_ids: tuple[str, ...]
    record: exhibits_rule.RecordRef | None = None
    """:attr:`exhibit` as data (exhibit and place apart; None when the contact has no record)."""

    @property
    def also_exhibits(self) -> tuple[str, ...]:
        """The other exhibits recording the contact, by number (``JA/9``), each once."""
        return exhibit_numbers(self.also)

    @property
    def exhibit_cell(self) -> str:
        """The record quoted, then the other exhibits recording the contact (by number: the
        contacts table exhibit names each of their records)."""
        others = self.also_exhibits
        return self.exhibit + (f" (also {', '.join(others)})" if others else "")


def exhibit_numbers(records: Iterable[exhibits_rule.RecordRef]) -> tuple[str, ...]:
    """The exhibits of records (``JA/9, sms rowid 4`` → ``JA/9``), each once, in order."""
    return tuple(dict.fromkeys(r.exhibit for r in records))


def duration_words(seconds: int | None) -> str:
    if seconds is None:
        return "duration not recorded"
    minutes, secs = divmod(int(seconds), 60)
    if minutes == 0:
        return f"{secs} s"
    hours, minutes = divmod(minutes, 60)
    return (f"{hours} h " if hours else "") + f"{minutes} min {secs} s"


def record_ref(exhibit: str, source_ref: str) -> str:
    """``JA/25, sms rowid 8``: the exhibit and the place in it (the one rule,
    :func:`atlas.exhibits.record_ref`, which every output uses)."""
    return exhibits_rule.record_ref(exhibit, source_ref)


def _ref_number(ref: str) -> int:
    tail = ref.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 1 << 30


def build(case: Case, contacts: pl.DataFrame, names: Mapping[str, str], source_refs: Mapping[str, str],
          network_sources: frozenset[str] = frozenset()) -> list[ChronologyRow]:
    """The chronology of ``contacts`` (:data:`reports.inputs.CONTACT_COLUMNS`), in time order."""
    if contacts.height == 0:
        return []
    ids = contacts.select("contact_id", pl.col("event_ids")).explode("event_ids").rename({"event_ids": "event_id"})
    wanted = ids.get_column("event_id").unique()
    refs = pl.DataFrame({"source_id": list(source_refs), "exhibit": list(source_refs.values())},
                        schema={"source_id": pl.String, "exhibit": pl.String})
    records = (
        case.events().filter(pl.col("event_id").is_in(wanted.implode()))
        .select("event_id", "source_id", "source_ref", "text", "duration_s", "status", "attachments")
        .collect()
        .join(refs, on="source_id", how="left")
        .with_columns(pl.col("exhibit").fill_null(pl.col("source_id")),
                      pl.col("source_id").is_in(sorted(network_sources)).alias("network"),
                      pl.col("text").str.len_chars().fill_null(-1).alias("text_len"))
    )
    numbers = {ref: _ref_number(ref) for ref in records.get_column("exhibit").unique().to_list()}
    records = records.with_columns(pl.col("exhibit").replace_strict(numbers, return_dtype=pl.Int64).alias("ex_no"))
    joined = ids.join(records, on="event_id", how="inner")
    by_contact: dict[str, list[dict[str, object]]] = {}
    for r in joined.iter_rows(named=True):
        by_contact.setdefault(str(r["contact_id"]), []).append(r)
    out: list[ChronologyRow] = []
    local = contacts.with_columns(
        pl.col("ts_utc").dt.convert_time_zone(str(UK)).dt.strftime("%d/%m/%Y %H:%M %Z").alias("uk"),
        pl.col("ts_utc").dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("utc"),
    )
    for c in local.iter_rows(named=True):
        recs = by_contact.get(str(c["contact_id"]), [])
        if c["kind"] == "call":
            recs.sort(key=lambda r: (not r["network"], r["duration_s"] is None, r["ex_no"], str(r["source_ref"])))
        else:
            recs.sort(key=lambda r: (-int(r["text_len"]), len(str(r["source_ref"])), r["ex_no"], str(r["source_ref"])))  # type: ignore[call-overload]
        first = recs[0] if recs else None
        if c["kind"] == "call":
            dur = first["duration_s"] if first else None
            outcome = CALL_OUTCOMES.get(str(c["status"] or (first or {}).get("status") or ""), "")
            content = f"Call, {duration_words(dur)}" + (f", {outcome}" if outcome else "")  # type: ignore[arg-type]
        elif first is not None and first["text"] is not None:
            content = str(first["text"])
        else:
            attach = [a for r in recs for a in (r["attachments"] or [])]  # type: ignore[attr-defined]
            content = ("(no text; attachment " + ", ".join(sorted(set(attach))) + ")" if attach else
                       "(content not recorded in the exhibits: a call data record does not hold message text)")
        located = [exhibits_rule.RecordRef(str(r["exhibit"]), str(r["source_ref"])) for r in recs]
        out.append(ChronologyRow(
            contact_id=str(c["contact_id"]), uk_time=str(c["uk"]), ts_utc=str(c["utc"]), channel=channel_name(c["channels"]),
            kind=str(c["kind"]), way=str(c["way"]), from_name=names.get(str(c["sender"]), str(c["sender"])),
            to_name=names.get(str(c["recipient"]), str(c["recipient"])), content=content,
            exhibit=str(located[0]) if located else "", also=tuple(located[1:]),
            event_ids=tuple(str(r["event_id"]) for r in recs), record=located[0] if located else None,
        ))
    return out


def frame(rows: list[ChronologyRow]) -> pl.DataFrame:
    """The chronology as a table (the CSV exhibit): the same rows the statement prints."""
    return pl.DataFrame(
        {"uk_time": [r.uk_time for r in rows], "ts_utc": [r.ts_utc for r in rows], "channel": [r.channel for r in rows],
         "from": [r.from_name for r in rows], "to": [r.to_name for r in rows], "content": [r.content for r in rows],
         "exhibit": [r.exhibit for r in rows], "also_recorded_in": [exhibits_rule.join_list(map(str, r.also)) for r in rows]},
        schema={k: pl.String for k in ("uk_time", "ts_utc", "channel", "from", "to", "content", "exhibit",
                                       "also_recorded_in")},
    )
