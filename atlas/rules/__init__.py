"""The law Atlas applies, read from a versioned data file and validated.

Nothing legal is hard-coded in the analysis: offences, modes of trial, time limits,
order types and what a breach of each is, and what counts as a course of conduct
are read from :file:`legal_rules.toml` (or another file the user names, e.g. after a
change in the law). Each rule has a citation, and every output that applies a rule
carries that citation and the file's notice ("decision support, not legal advice").

The loader is strict for the same reason the case manifest is: a mistyped key in a
legal rule silently ignored would change an answer about the law without anyone
noticing. Errors name the file and the entry.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from atlas.errors import AtlasError
from atlas.store.manifest import ORDER_TYPES

DEFAULT_RULES: Final = Path(__file__).with_name("legal_rules.toml")
RULES_ENV: Final = "ATLAS_RULES"
"""Environment variable naming another rules file (e.g. one updated for a change in the law)."""

BREACH_KINDS: Final = ("offence", "contempt", "not-an-offence")
MONTH_END_POLICIES: Final = ("clamp",)
RUNS_FROM: Final = ("last-incident",)
OCCASION_GROUPINGS: Final = ("calendar-day", "session")
PROVISION_STATUSES: Final = ("in-force", "piloted", "commenced-in-stages", "unchanged", "not-enacted")
"""What a [[provision]] says about the law: in force, in force in pilot areas only, commenced in stages,
a rule stated as unchanged (to answer a question users ask), or proposed and not enacted."""


class RulesError(AtlasError):
    """The rules file is missing, malformed, or a rule lacks what the analysis needs."""


@dataclass(frozen=True)
class Meta:
    name: str
    version: str
    reviewed: date
    jurisdiction: str
    notice: str


@dataclass(frozen=True)
class ModeOfTrial:
    id: str
    description: str
    citation: str
    plain: str = ""
    """How a sentence says it: ``triable summarily only``."""


@dataclass(frozen=True)
class TimeLimit:
    id: str
    title: str
    applies_to_mode: str
    citation: str
    description: str
    months: int | None = None
    unit: str | None = None
    runs_from: str | None = None
    month_end: str | None = None
    runs_from_citation: str = ""
    month_citation: str = ""
    last_day_note: str = ""
    """What to do when the last day is a weekend or a bank holiday (the law gives no extension)."""
    court_office_note: str = ""
    """When an information laid at the court office is laid (its basis), for a planned date the office is closed."""
    other_ways_note: str = ""
    """The limit of that: other ways of starting proceedings, not tied to the court office (for the CPS to confirm)."""
    plain: str = ""
    """The rule in a sentence: ``an information must be laid within six calendar months …``."""
    provisions: tuple[str, ...] = ()
    """[[provision]] ids that say whether this limit has changed (e.g. that it has not)."""

    @property
    def limited(self) -> bool:
        return self.months is not None

    @property
    def full_citation(self) -> str:
        parts = [self.citation, self.runs_from_citation, self.month_citation]
        return "; ".join(p for p in parts if p)


@dataclass(frozen=True)
class Offence:
    id: str
    title: str
    section: str
    mode_of_trial: str
    time_limit: str
    max_penalty: str
    citation: str
    elements: str
    threat_occasions: int | None = None
    threat_occasions_citation: str = ""
    distress_citation: str = ""
    examples_citation: str = ""
    """Where the Act lists examples of the conduct (s2A(3) for stalking)."""
    short: str = ""
    """The name people use in headings: ``s2A``."""


@dataclass(frozen=True)
class CourseOfConduct:
    min_occasions: int
    citation: str
    several_persons_citation: str
    conduct_includes_speech_citation: str
    occasion_default: str
    occasion_note: str
    knowledge_citation: str
    mutual_note: str
    gap_note: str


@dataclass(frozen=True)
class Behaviour:
    id: str
    title: str
    citation: str


@dataclass(frozen=True)
class OrderType:
    type: str
    title: str
    made_by: str
    citation: str
    breach: str
    breach_citation: str
    breach_max_penalty: str
    breach_is_incident: bool
    provisions: tuple[str, ...] = ()
    """[[provision]] ids that bear on this order (a new way of making it, a pilot), with when they apply."""
    depends_on: str = ""
    """The [[provision]] without which this order type does not exist (an order dated before it is flagged)."""

    @property
    def breach_summary(self) -> str:
        what = {"offence": "a criminal offence", "contempt": "dealt with as contempt, not an offence",
                "not-an-offence": "not itself an offence (evidence of risk)"}[self.breach]
        return f"breach is {what} ({self.breach_citation})"


@dataclass(frozen=True)
class Provision:
    """A provision of the law and whether (and from when) it is in force, as data."""

    id: str
    title: str
    act: str
    status: str
    citation: str
    note: str
    royal_assent: date | None = None
    in_force_from: date | None = None
    commencement: str = ""
    areas: str = ""

    @property
    def summary(self) -> str:
        """One sentence: what, whether in force and from when, and the citation."""
        when = {
            "in-force": f"in force{f' from {self.in_force_from:%d/%m/%Y}' if self.in_force_from else ''}",
            "piloted": f"piloted from {self.in_force_from:%d/%m/%Y}" if self.in_force_from else "piloted",
            "commenced-in-stages": (f"commenced in stages from {self.in_force_from:%d/%m/%Y}" if self.in_force_from
                                    else "commenced in stages"),
            "unchanged": "unchanged",
            "not-enacted": "not enacted",
        }[self.status]
        parts = [f"{self.title}: {when}"]
        if self.areas:
            parts.append(f"in {self.areas}")
        if self.royal_assent:
            parts.append(f"(Royal Assent {self.royal_assent:%d/%m/%Y})")
        return " ".join(parts) + f". {self.note} ({self.citation})"

    def in_force_on(self, day: date) -> bool | None:
        """Whether the provision was in force on ``day`` (None: the file cannot say)."""
        if self.status in ("not-enacted",):
            return False
        if self.status == "unchanged":
            return True
        if self.in_force_from is None:
            return None
        return day >= self.in_force_from


@dataclass(frozen=True)
class Rules:
    meta: Meta
    modes: tuple[ModeOfTrial, ...]
    time_limits: tuple[TimeLimit, ...]
    offences: tuple[Offence, ...]
    course_of_conduct: CourseOfConduct
    behaviours: tuple[Behaviour, ...]
    order_types: tuple[OrderType, ...]
    path: str
    sha256: str
    provisions: tuple[Provision, ...] = ()

    @property
    def version(self) -> str:
        return self.meta.version

    @property
    def notice(self) -> str:
        return self.meta.notice

    def offence(self, offence_id: str) -> Offence:
        for o in self.offences:
            if o.id == offence_id:
                return o
        raise RulesError(f"{self.path}: no offence {offence_id!r} (offences: {', '.join(o.id for o in self.offences)})")

    def time_limit(self, limit_id: str) -> TimeLimit:
        for t in self.time_limits:
            if t.id == limit_id:
                return t
        raise RulesError(f"{self.path}: no time limit {limit_id!r}")

    def time_limit_for(self, offence_id: str) -> TimeLimit:
        return self.time_limit(self.offence(offence_id).time_limit)

    def order_type(self, order_type: str) -> OrderType:
        for o in self.order_types:
            if o.type == order_type:
                return o
        raise RulesError(f"{self.path}: no rule for order type {order_type!r}")

    def provision(self, provision_id: str) -> Provision:
        for p in self.provisions:
            if p.id == provision_id:
                return p
        raise RulesError(f"{self.path}: no provision {provision_id!r}")

    def mode(self, mode_id: str) -> ModeOfTrial:
        for m in self.modes:
            if m.id == mode_id:
                return m
        raise RulesError(f"{self.path}: no mode of trial {mode_id!r}")

    def behaviour(self, behaviour_id: str) -> Behaviour:
        for b in self.behaviours:
            if b.id == behaviour_id:
                return b
        raise RulesError(f"{self.path}: no s2A(3) behaviour {behaviour_id!r}")

    def provenance(self) -> dict[str, str]:
        """What an output must say about the rules it applied."""
        return {"rules_version": self.version, "rules_file": Path(self.path).name, "rules_sha256": self.sha256,
                "notice": self.notice}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["meta"]["reviewed"] = self.meta.reviewed.isoformat()
        for p in data["provisions"]:
            for key in ("royal_assent", "in_force_from"):
                p[key] = p[key].isoformat() if p[key] else None
        return data


# --- loading and validation ------------------------------------------------------------

_SPECS: Final[dict[str, tuple[type, dict[str, type], tuple[str, ...]]]] = {
    "mode_of_trial": (ModeOfTrial, {"id": str, "description": str, "citation": str, "plain": str},
                      ("id", "description", "citation", "plain")),
    "time_limit": (
        TimeLimit,
        {"id": str, "title": str, "applies_to_mode": str, "citation": str, "description": str, "months": int,
         "unit": str, "runs_from": str, "month_end": str, "runs_from_citation": str, "month_citation": str,
         "last_day_note": str, "court_office_note": str, "other_ways_note": str, "plain": str, "provisions": list},
        ("id", "title", "applies_to_mode", "citation", "description", "plain"),
    ),
    "offence": (
        Offence,
        {"id": str, "title": str, "section": str, "mode_of_trial": str, "time_limit": str, "max_penalty": str,
         "citation": str, "elements": str, "threat_occasions": int, "threat_occasions_citation": str,
         "distress_citation": str, "examples_citation": str, "short": str},
        ("id", "title", "section", "mode_of_trial", "time_limit", "max_penalty", "citation", "elements", "short"),
    ),
    "behaviour": (Behaviour, {"id": str, "title": str, "citation": str}, ("id", "title", "citation")),
    "order_type": (
        OrderType,
        {"type": str, "title": str, "made_by": str, "citation": str, "breach": str, "breach_citation": str,
         "breach_max_penalty": str, "breach_is_incident": bool, "provisions": list, "depends_on": str},
        ("type", "title", "made_by", "citation", "breach", "breach_citation", "breach_max_penalty", "breach_is_incident"),
    ),
    "provision": (
        Provision,
        {"id": str, "title": str, "act": str, "status": str, "citation": str, "note": str, "royal_assent": date,
         "in_force_from": date, "commencement": str, "areas": str},
        ("id", "title", "act", "status", "citation", "note"),
    ),
}
_META: Final = {"name": str, "version": str, "reviewed": date, "jurisdiction": str, "notice": str}
_COC: Final = {"min_occasions": int, "citation": str, "several_persons_citation": str,
               "conduct_includes_speech_citation": str, "occasion_default": str, "occasion_note": str,
               "knowledge_citation": str, "mutual_note": str, "gap_note": str}
REQUIRED_OFFENCES: Final = ("pha-s2", "pha-s2a", "pha-s4", "pha-s4a")
"""Offences the conduct analysis refers to by id."""


def _checked(path: Path, where: str, raw: object, spec: dict[str, type], required: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise RulesError(f"{path}: {where}: expected a table")
    for key in raw:
        if key not in spec:
            raise RulesError(f"{path}: {where}: unknown key {key!r} (known: {', '.join(sorted(spec))})")
    for key in required:
        if key not in raw:
            raise RulesError(f"{path}: {where}: missing required key {key!r}")
    for key, value in raw.items():
        want = spec[key]
        ok = isinstance(value, want) and not (want is not bool and isinstance(value, bool))
        if want is date and not isinstance(value, date):
            ok = False
        if want is list and ok and not all(isinstance(v, str) and v.strip() for v in value):
            ok = False
        if not ok:
            kind = "a list of ids" if want is list else want.__name__
            raise RulesError(f"{path}: {where}: {key} should be {kind}, got {value!r}")
        if isinstance(value, str) and not value.strip():
            raise RulesError(f"{path}: {where}: {key} is empty")
    return {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}


def parse_rules(text: str, path: Path) -> Rules:
    """Parse and validate a rules file's text (see :file:`legal_rules.toml`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML: {exc}") from exc
    known = {"meta", "course_of_conduct", *_SPECS}
    for key in data:
        if key not in known:
            raise RulesError(f"{path}: unknown table [{key}] (known: {', '.join(sorted(known))})")
    if "meta" not in data:
        raise RulesError(f"{path}: missing [meta] (name, version, reviewed, jurisdiction, notice)")
    meta = Meta(**_checked(path, "[meta]", data["meta"], _META, tuple(_META)))
    if "not legal advice" not in meta.notice.lower():
        raise RulesError(f"{path}: [meta] notice must say that this is decision support, not legal advice")
    if "course_of_conduct" not in data:
        raise RulesError(f"{path}: missing [course_of_conduct]")
    coc = CourseOfConduct(**_checked(path, "[course_of_conduct]", data["course_of_conduct"], _COC, tuple(_COC)))
    if coc.min_occasions < 1:
        raise RulesError(f"{path}: [course_of_conduct] min_occasions must be at least 1")
    if coc.occasion_default not in OCCASION_GROUPINGS:
        raise RulesError(f"{path}: [course_of_conduct] occasion_default must be one of {', '.join(OCCASION_GROUPINGS)}")

    tables: dict[str, list[Any]] = {}
    for table, (cls, spec, required) in _SPECS.items():
        entries = data.get(table, [])
        if not isinstance(entries, list):
            raise RulesError(f"{path}: [{table}] must be an array of tables ([[{table}]])")
        out = []
        seen: set[str] = set()
        for i, raw in enumerate(entries):
            entry = _checked(path, f"[[{table}]] #{i + 1}", raw, spec, required)
            key = str(entry.get("id", entry.get("type")))
            if key in seen:
                raise RulesError(f"{path}: [[{table}]] #{i + 1}: duplicate {key!r}")
            seen.add(key)
            out.append(cls(**entry))
        tables[table] = out

    provision_ids = {p.id for p in tables["provision"]}
    for p in tables["provision"]:
        if p.status not in PROVISION_STATUSES:
            raise RulesError(f"{path}: provision {p.id!r}: status must be one of {', '.join(PROVISION_STATUSES)}")
        if p.status in ("piloted", "commenced-in-stages") and p.in_force_from is None:
            raise RulesError(f"{path}: provision {p.id!r}: a {p.status} provision needs in_force_from")
    linked = [(f"time limit {t.id!r}", t.provisions) for t in tables["time_limit"]]
    linked += [(f"order type {o.type!r}", (*o.provisions, *([o.depends_on] if o.depends_on else [])))
               for o in tables["order_type"]]
    for where, ids in linked:
        unknown = [i for i in ids if i not in provision_ids]
        if unknown:
            raise RulesError(f"{path}: {where}: unknown provision(s) {', '.join(unknown)}")

    modes = {m.id for m in tables["mode_of_trial"]}
    limits = {t.id: t for t in tables["time_limit"]}
    for t in limits.values():
        if t.applies_to_mode not in modes:
            raise RulesError(f"{path}: time limit {t.id!r}: unknown mode of trial {t.applies_to_mode!r}")
        if t.months is not None:
            if t.months <= 0:
                raise RulesError(f"{path}: time limit {t.id!r}: months must be positive")
            if t.unit != "calendar-month":
                raise RulesError(f"{path}: time limit {t.id!r}: unit must be 'calendar-month'")
            if t.runs_from not in RUNS_FROM:
                raise RulesError(f"{path}: time limit {t.id!r}: runs_from must be one of {', '.join(RUNS_FROM)}")
            if t.month_end not in MONTH_END_POLICIES:
                raise RulesError(f"{path}: time limit {t.id!r}: month_end must be one of {', '.join(MONTH_END_POLICIES)}")
            if not t.runs_from_citation or not t.month_citation or not t.last_day_note:
                raise RulesError(f"{path}: time limit {t.id!r}: a limit needs runs_from_citation, month_citation "
                                 "and last_day_note")
    for o in tables["offence"]:
        if o.mode_of_trial not in modes:
            raise RulesError(f"{path}: offence {o.id!r}: unknown mode of trial {o.mode_of_trial!r}")
        if o.time_limit not in limits:
            raise RulesError(f"{path}: offence {o.id!r}: unknown time limit {o.time_limit!r}")
        if limits[o.time_limit].applies_to_mode != o.mode_of_trial:
            raise RulesError(f"{path}: offence {o.id!r}: time limit {o.time_limit!r} is for "
                             f"{limits[o.time_limit].applies_to_mode} offences, not {o.mode_of_trial}")
    offence_ids = {o.id for o in tables["offence"]}
    missing = [o for o in REQUIRED_OFFENCES if o not in offence_ids]
    if missing:
        raise RulesError(f"{path}: missing offences the analysis needs: {', '.join(missing)}")
    s4a = next(o for o in tables["offence"] if o.id == "pha-s4a")
    if s4a.threat_occasions is None or not s4a.threat_occasions_citation:
        raise RulesError(f"{path}: offence 'pha-s4a' needs threat_occasions and threat_occasions_citation")
    for ot in tables["order_type"]:
        if ot.breach not in BREACH_KINDS:
            raise RulesError(f"{path}: order type {ot.type!r}: breach must be one of {', '.join(BREACH_KINDS)}")
    covered = {ot.type for ot in tables["order_type"]}
    uncovered = [t for t in ORDER_TYPES if t not in covered]
    if uncovered:
        raise RulesError(f"{path}: no rule for order types case.toml accepts: {', '.join(uncovered)}")
    if {b.id for b in tables["behaviour"]} < {"contacting", "following", "monitoring", "publishing", "watching", "loitering"}:
        raise RulesError(f"{path}: [[behaviour]] must list the s2A(3) examples the analysis uses")

    return Rules(
        meta=meta, modes=tuple(tables["mode_of_trial"]), time_limits=tuple(tables["time_limit"]),
        offences=tuple(tables["offence"]), course_of_conduct=coc, behaviours=tuple(tables["behaviour"]),
        order_types=tuple(tables["order_type"]), provisions=tuple(tables["provision"]), path=str(path),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int, size: int) -> Rules:
    p = Path(path)
    return parse_rules(p.read_text(encoding="utf-8"), p)


def load_rules(path: Path | str | None = None) -> Rules:
    """The rules file: ``path``, else ``$ATLAS_RULES``, else the packaged file."""
    chosen = Path(path) if path else Path(os.environ[RULES_ENV]) if os.environ.get(RULES_ENV) else DEFAULT_RULES
    if not chosen.is_file():
        raise RulesError(f"{chosen}: no rules file")
    st = chosen.stat()
    return _load_cached(str(chosen.resolve()), st.st_mtime_ns, st.st_size)


__all__ = [
    "DEFAULT_RULES", "Behaviour", "CourseOfConduct", "Meta", "ModeOfTrial", "Offence", "OrderType", "Provision", "Rules",
    "RulesError", "TimeLimit", "load_rules", "parse_rules",
]
