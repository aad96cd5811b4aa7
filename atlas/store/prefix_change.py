"""Changing a case's exhibit prefix on purpose: ``atlas exhibit prefix CASE_DIR NEW --reason ...``.

An exhibit reference (``AO/7``) may already be in documents served on the defence. Editing
``exhibit_prefix`` in case.toml by hand changes every reference in new outputs and leaves only
a warning on each command (:func:`atlas.store.manifest._check_prefix`). This records the change
instead: one ``exhibit-prefix`` row in the audit log (who, when, why, from, to, the references
before and after, and what the officer states about documents already served), written in the
same step as case.toml. The numbers never change; only the prefix. After it, the recorded
prefix (:func:`atlas.store.prefix_record.recorded_prefix`) is the new one, so no warning is
shown, and every output reads ``<new>/<number>`` because every output takes the prefix from
case.toml.

When exhibits were numbered, references may have been served: Atlas cannot know, so the
officer must say which (``--served "what was served"`` or ``--nothing-served``), and it is
refused otherwise. A prefix the rule refuses is never set by this command.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from atlas.errors import AtlasError, ManifestError
from atlas.store.manifest import Manifest, exhibit_prefix_problem, line_of, parse_manifest
from atlas.store.prefix_record import PREFIX_CHANGE, RecordedPrefix, exports_recorded, recorded_prefix

MANIFEST_NAME: Final = "case.toml"
_VALUE = re.compile(r"""^(\s*["']?exhibit_prefix["']?\s*=\s*)("(?:[^"\\]|\\.)*"|'[^']*')(.*)$""")


@dataclass(frozen=True)
class PrefixChange:
    """One recorded change of the exhibit prefix, as its audit row holds it."""

    before: str
    """The prefix references were given under: the recorded one when exhibits were numbered,
    else case.toml's."""
    after: str
    reason: str
    exhibits: int
    """How many exhibits were numbered when it changed (0: no reference was given yet)."""
    highest: int
    served: str = ""
    """The officer's statement of what was served under the old references ("" when none)."""
    nothing_served: bool = False
    """The officer stated that no document carrying the old references was served."""
    exports: int = 0
    """``export`` rows in the audit log when it changed: what Atlas itself knows left it."""

    def references(self, prefix: str) -> str:
        """``AO/1 to AO/12`` under ``prefix`` ("" when nothing was numbered)."""
        if not self.exhibits:
            return ""
        return RecordedPrefix(prefix, self.exhibits, self.highest).references()

    def detail(self) -> dict[str, object]:
        """The audit row's detail (who and when are the row's own ``actor`` and ``at``)."""
        return {"from": self.before, "to": self.after, "reason": self.reason, "exhibits": self.exhibits,
                "references_before": self.references(self.before), "references_after": self.references(self.after),
                "served": self.served, "nothing_served": self.nothing_served, "exports_recorded": self.exports}


@dataclass(frozen=True)
class PrefixChangeSeen:
    """A recorded change, as the statement reads it back from the audit log (typed here, so
    no output parses the row's JSON itself)."""

    at: datetime
    """When it was recorded (aware, UTC)."""
    before: str
    after: str
    references_before: str
    """``AO/1 to AO/12``: the references given before it ("" when nothing was numbered)."""


def changes_seen(audit: Sequence[Mapping[str, object]]) -> list[PrefixChangeSeen]:
    """The recorded prefix changes that re-labelled numbered exhibits, in order (a change made
    before any exhibit was numbered re-labelled nothing, so it is left out)."""
    out: list[PrefixChangeSeen] = []
    for row in audit:
        detail = row.get("detail")
        if row.get("action") != PREFIX_CHANGE or not isinstance(detail, dict) or not detail.get("exhibits"):
            continue
        out.append(PrefixChangeSeen(at=datetime.fromisoformat(str(row["at"])).astimezone(UTC),
                                    before=str(detail.get("from", "")), after=str(detail.get("to", "")),
                                    references_before=str(detail.get("references_before", ""))))
    return out


def with_prefix(text: str, path: Path, new: str) -> str:
    """case.toml ``text`` with the value of ``[case] exhibit_prefix`` replaced by ``new``, its
    line otherwise kept (a comment after it stays, with ``OLD/`` in it read as ``NEW/``, as the
    template's "exhibits become AO/1" would otherwise contradict the value); refused when the
    line is not a plain ``exhibit_prefix = "..."`` (then the officer edits it, and records the
    change after)."""
    lines = text.splitlines(keepends=True)
    at = line_of(text, "case", 0, "exhibit_prefix") - 1
    m = _VALUE.match(lines[at].rstrip("\r\n")) if 0 <= at < len(lines) else None
    if m is None:
        raise ManifestError(f"{path}:{at + 1}: [case] exhibit_prefix is not written as exhibit_prefix = \"...\" on one "
                            "line, so it cannot be changed in place: edit it, then record the change with the same "
                            "command")
    ending = lines[at][len(lines[at].rstrip("\r\n")):]
    old = tomllib.loads(f"v = {m.group(2)}")["v"]
    comment = m.group(3).replace(f"{old}/", f"{new}/") if old else m.group(3)
    lines[at] = f"{m.group(1)}{json.dumps(new)}{comment}{ending}"
    return "".join(lines)


def plan_change(root: Path, new: str, reason: str, *, served: str = "", nothing_served: bool = False) -> tuple[
        PrefixChange, str, Manifest]:
    """The change to record, case.toml's new text and the manifest it reads as; refused (an
    :class:`~atlas.errors.AtlasError` saying what to do) before anything is written."""
    path = root / MANIFEST_NAME
    new, reason, served = new.strip(), " ".join(reason.split()), " ".join(served.split())
    why = exhibit_prefix_problem(new)
    if why is not None:
        raise AtlasError(f"{why}; case.toml was not changed")
    if not reason:
        raise AtlasError("say why the prefix changes (--reason \"...\"): the reason is kept in the audit log")
    if served and nothing_served:
        raise AtlasError("--served and --nothing-served contradict each other: give one")
    if not path.is_file():
        raise ManifestError(f"{path}: no case manifest (run `atlas init {root}` first)")
    text = path.read_text(encoding="utf-8")
    try:
        current = tomllib.loads(text)["case"]["exhibit_prefix"]
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        parse_manifest(text, path, recorded_prefix(root))  # raises, naming the line
        raise ManifestError(f"{path}: [case] exhibit_prefix cannot be read ({exc})") from exc
    recorded = recorded_prefix(root)
    before = recorded.prefix if recorded is not None else str(current)
    if new == before and new == current:
        raise AtlasError(f"the exhibit prefix is already {new!r} (case.toml and the audit log): nothing to change")
    exports = exports_recorded(root)
    if recorded is not None and not (served or nothing_served):
        made = (f" (the audit log records {exports} export(s) made with `atlas export`, which carry them)"
                if exports else "")
        raise AtlasError(
            f"this case's {recorded.exhibits} exhibit(s) were numbered {recorded.references()} (the audit log), and "
            f"documents carrying those references may already have been served{made}; Atlas cannot know. Say which: "
            "--served \"what was served and when\" (e.g. \"MG11 and exhibit schedule served 01/12/2026\"), or "
            "--nothing-served if no document carrying them was served. Nothing was changed")
    change = PrefixChange(before=before, after=new, reason=reason, exhibits=recorded.exhibits if recorded else 0,
                          highest=recorded.highest if recorded else 0, served=served,
                          nothing_served=nothing_served and recorded is not None, exports=exports)
    new_text = with_prefix(text, path, new)
    after = RecordedPrefix(new, recorded.exhibits, recorded.highest) if recorded is not None else None
    manifest = parse_manifest(new_text, path, after)  # the whole file still reads, with no prefix warning
    return change, new_text, manifest


def write_manifest_text(path: Path, text: str) -> None:
    """case.toml replaced whole (a temporary file beside it, then ``os.replace``): a reader
    sees the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def record_change(root: Path, new: str, reason: str, *, served: str = "", nothing_served: bool = False) -> PrefixChange:
    """Change the prefix: the audit row and case.toml together. The row is written in an open
    transaction, case.toml is replaced, then the transaction commits; if anything fails before
    the commit, case.toml is put back and no row is kept. (A kill between the replace and the
    commit leaves case.toml changed without its row: the state of a hand edit, which every
    command then warns about, never a silent change.)"""
    from atlas.permissions import owner_only
    from atlas.store.case import Case

    _, _, manifest = plan_change(root, new, reason, served=served, nothing_served=nothing_served)  # refused early
    owner_only()
    case = Case(root, manifest)
    case.recover()
    path = root / MANIFEST_NAME
    with case._lock():  # no ingest numbers exhibits between reading what is numbered and the change
        change, text, case.manifest = plan_change(root, new, reason, served=served, nothing_served=nothing_served)
        old_text = path.read_text(encoding="utf-8")
        try:
            with case.db() as con:
                case.audit(PREFIX_CHANGE, change.detail(), con)
                write_manifest_text(path, text)
        except BaseException:
            if path.read_text(encoding="utf-8") != old_text:
                write_manifest_text(path, old_text)
            raise
    return change


__all__ = ["PREFIX_CHANGE", "PrefixChange", "PrefixChangeSeen", "changes_seen", "plan_change", "record_change", "with_prefix", "write_manifest_text"]
