"""The exhibit prefix a case has already numbered its exhibits under, as its audit log
records it: what references already served (``JA/7``) read, whatever case.toml says now.

case.toml's ``exhibit_prefix`` is checked against the rule (:data:`atlas.store.manifest.EXHIBIT_PREFIX`)
since session 16. A case made by an older version may hold a prefix the rule refuses, and
its exhibits were already numbered and may have been served under it. This module reads,
without changing anything, which prefix that was, so the manifest can keep it (with a
warning) instead of refusing the case, and can refuse an edit that would re-label them.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

DB_PATH = Path("store") / "atlas.sqlite"
PREFIX_CHANGE = "exhibit-prefix"
"""The audit action of a change of prefix recorded on purpose (:mod:`atlas.store.prefix_change`)."""


@dataclass(frozen=True)
class RecordedPrefix:
    """The prefix of the latest exhibit numbering in the audit log, and how many exhibits
    the case has numbered (``report_exhibits``), the highest number among them."""

    prefix: str
    exhibits: int
    highest: int

    def references(self) -> str:
        """``J.A/1 to J.A/12`` (or the one), as references already given read."""
        if self.highest <= 1:
            return f"{self.prefix}/1"
        return f"{self.prefix}/1 to {self.prefix}/{self.highest}"


def _read_only(case_root: Path) -> sqlite3.Connection | None:
    """The case's database opened read-only (a case is never created or changed by looking), or None
    when it has none or it cannot be opened."""
    db = case_root / DB_PATH
    if not db.is_file():
        return None
    try:
        return sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None


def recorded_prefix(case_root: Path) -> RecordedPrefix | None:
    """The prefix this case's references were given under, or None when no exhibit was
    numbered (or the case has no database yet): the ``to`` of the latest change recorded on
    purpose (``exhibit-prefix``), else the prefix the *first* exhibit was numbered under. Not
    the latest numbering's: after a hand edit of case.toml, the next ingest numbers under the
    edited prefix, and that must not make the change look recorded (the warning stays until
    it is). Opened read-only: a case is never created or changed by looking."""
    con = _read_only(case_root)
    if con is None:
        return None
    try:
        first = con.execute("SELECT detail FROM audit WHERE action = 'exhibit-number' ORDER BY seq LIMIT 1").fetchone()
        if first is None:
            return None
        change = con.execute("SELECT detail FROM audit WHERE action = ? ORDER BY seq DESC LIMIT 1",
                             (PREFIX_CHANGE,)).fetchone()
        prefix = json.loads(change[0]).get("to") if change is not None else json.loads(first[0]).get("prefix")
        count, highest = con.execute("SELECT COUNT(*), COALESCE(MAX(number), 0) FROM report_exhibits").fetchone()
    except (sqlite3.Error, ValueError, AttributeError):
        return None  # a damaged or older database: `atlas verify` says what is wrong with it
    finally:
        con.close()
    if not isinstance(prefix, str):
        return None
    return RecordedPrefix(prefix, int(count), int(highest))


def exports_recorded(case_root: Path) -> int:
    """How many ``export`` rows the audit log holds (``atlas export``: files handed to other
    tools or people). The only record Atlas keeps of output leaving it (``atlas report``
    writes none), so it is evidence that references may have been served, never proof either
    way. 0 when the case has no database. Read-only."""
    con = _read_only(case_root)
    if con is None:
        return 0
    try:
        return int(con.execute("SELECT COUNT(*) FROM audit WHERE action = 'export'").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        con.close()
