"""The triage record: is the case suitable, why, who reviews it, and the reviewer's sign-off.

A triage decision is kept only in the audit log (``triage-record``, then
``triage-sign-off`` by the reviewer as a separate step): the log is append-only and
hash-chained, so a record can be superseded by a later one but never edited, and the
sign-off names the record it signs. Each row names the officer from case.toml or
``--officer`` (:func:`officer_label`), never the computer's login, and keeps what the
clock said when the decision was made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final

from atlas.errors import AtlasError
from atlas.store import Case

RECORD: Final = "triage-record"
SIGN_OFF: Final = "triage-sign-off"


def officer_label(case: Case, override: str | None = None) -> str:
    """Who is acting: ``--officer`` or the officer of case.toml, by the one rule of
    :func:`atlas.store.officer.current_officer`. Never the OS user."""
    from atlas.store.officer import current_officer

    return current_officer(case, override).label


@dataclass(frozen=True)
class SignOff:
    seq: int
    at: str
    reviewer: str
    comment: str

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at, "reviewer": self.reviewer, "comment": self.comment}


@dataclass(frozen=True)
class TriageRecord:
    """One triage decision as the audit log keeps it, with its sign-off when given."""

    seq: int
    at: str
    officer: str
    suitable: bool
    reasons: tuple[str, ...]
    reviewer: str
    """The reviewer named by the officer (``PS 123 Name``), or empty."""
    snapshot: Mapping[str, Any]
    """What the clock and the indicators said when the decision was recorded."""
    sign_off: SignOff | None = None

    @property
    def status(self) -> str:
        if self.sign_off is not None:
            return f"signed off by {self.sign_off.reviewer}"
        return f"awaiting sign-off{' by ' + self.reviewer if self.reviewer else ''}"

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at, "officer": self.officer, "suitable": self.suitable,
                "reasons": list(self.reasons), "reviewer": self.reviewer or None, "snapshot": dict(self.snapshot),
                "sign_off": self.sign_off.to_json() if self.sign_off else None, "status": self.status}


def read_records(audit: Iterable[Mapping[str, Any]]) -> list[TriageRecord]:
    """Every triage record in the audit log, oldest first, each with its sign-off."""
    records: dict[int, TriageRecord] = {}
    signs: dict[int, SignOff] = {}
    for row in audit:
        detail = row.get("detail") or {}
        if not isinstance(detail, dict):
            continue
        if row.get("action") == RECORD:
            records[int(row["seq"])] = TriageRecord(
                seq=int(row["seq"]), at=str(row["at"]), officer=str(detail.get("officer", "")),
                suitable=bool(detail.get("suitable")), reasons=tuple(detail.get("reasons") or ()),
                reviewer=str(detail.get("reviewer") or ""), snapshot=dict(detail.get("snapshot") or {}))
        elif row.get("action") == SIGN_OFF and int(detail.get("record_seq", -1)) not in signs:
            signs[int(detail["record_seq"])] = SignOff(int(row["seq"]), str(row["at"]), str(detail.get("reviewer", "")),
                                                       str(detail.get("comment", "")))
    out = []
    for seq in sorted(records):
        r = records[seq]
        out.append(r if seq not in signs else replace(r, sign_off=signs[seq]))
    return out


def record_triage(case: Case, *, suitable: bool, reasons: Sequence[str], reviewer: str | None, officer: str,
                  as_of: date, snapshot: Mapping[str, Any]) -> TriageRecord:
    """Write a triage decision to the audit log (it supersedes any earlier one)."""
    reasons = tuple(r.strip() for r in reasons if r.strip())
    if not reasons:
        raise AtlasError("a triage record needs at least one --reason (why the case is or is not suitable)")
    who = " ".join((reviewer or "").split())
    if who and who == officer:
        raise AtlasError(f"the reviewer must be someone other than the officer recording the triage ({officer})")
    detail = {"officer": officer, "suitable": suitable, "reasons": list(reasons), "reviewer": who,
              "as_of": as_of.isoformat(), "snapshot": dict(snapshot)}
    case.audit(RECORD, detail)
    return read_records(case.audit_log())[-1]


def sign_off(case: Case, *, reviewer: str, comment: str = "") -> TriageRecord:
    """The reviewer signs off the latest triage record (a separate step, by a different person)."""
    records = read_records(case.audit_log())
    if not records:
        raise AtlasError("no triage record to sign off: record one first with atlas triage CASE --record ...")
    latest = records[-1]
    if latest.sign_off is not None:
        raise AtlasError(f"the latest triage record (audit row {latest.seq}) is already {latest.status}")
    if reviewer == latest.officer:
        raise AtlasError(f"{reviewer} recorded this triage: the sign-off must be by the reviewer, a different person "
                         "(give --officer \"PS 1234 Name\")")
    if latest.reviewer and reviewer != latest.reviewer:
        raise AtlasError(f"the triage record names {latest.reviewer} as reviewer, not {reviewer}")
    case.audit(SIGN_OFF, {"record_seq": latest.seq, "reviewer": reviewer, "comment": comment.strip()})
    return read_records(case.audit_log())[-1]


__all__ = ["RECORD", "SIGN_OFF", "SignOff", "TriageRecord", "officer_label", "read_records", "record_triage",
           "sign_off"]
