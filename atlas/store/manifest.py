"""``case.toml``: what the officer knows and the data cannot tell.

The manifest is read strictly: an unknown key or a bad value is an error naming the
key and its line, because a mistyped ``exclusoin_zones`` silently ignored would
hide a breach. The analysis never invents parties, places or orders; it asks here.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from atlas.errors import ManifestError
from atlas.normalise.times import check_zone
from atlas.store.prefix_record import RecordedPrefix, recorded_prefix
from atlas.wording import UNSTATED, Pronouns, pronouns_named

ROLES: Final = ("victim", "suspect", "witness", "other")
ORDER_TYPES: Final = (
    "spo", "interim-spo", "restraining-order", "non-molestation-order", "bail", "dvpn", "dvpo", "dapn", "dapo",
)
IMPACT_CATEGORIES: Final = (
    "routine", "work", "home-security", "sleep", "health", "moved-home", "changed-number", "social", "online",
    "finances", "children", "other",
)
"""How the victim says the conduct changed her day-to-day life (s4A(1)(b)(ii): a substantial
adverse effect on her usual day-to-day activities)."""
DEFAULT_IMPACT_WINDOW_DAYS: Final = 14

_CASE_KEYS: Final = {
    "reference": str, "officer": str, "exhibit_prefix": str, "timezone": str, "charge_date": date,
    "report_date": date, "region": str, "force": str, "occupation": str, "analyst": str, "collar_number": str,
    "maker_age": str, "experience": str, "statement_date": date, "impact_window_days": int,
    "cross_case_search": bool,
}
_PARTY_KEYS: Final = {"id": str, "role": str, "name": str, "identifiers": list, "display_names": list, "notes": str,
                        "pronouns": str}
_PLACE_KEYS: Final = {"name": str, "party": str, "lat": float, "lon": float, "radius_m": float, "notes": str}
_ORDER_KEYS: Final = {
    "type": str, "against": str, "protects": str, "start": datetime, "end": datetime, "no_contact": bool,
    "exclusion_zones": list, "reference": str, "conditions": str,
}
_IMPACT_KEYS: Final = {"date": date, "what": str, "category": str, "source": str, "recorded_by": str, "party": str,
                       "notes": str}
_REPORTED_KEYS: Final = {"first_incident": date, "latest_incident": date, "summary": str, "threat_occasions": int,
                          "source": str}
"""``[reported]``: the conduct as the victim first reported it, entered before any data arrives."""
_REQUIRED: Final = {
    "case": ("reference", "officer", "exhibit_prefix"),
    "reported": (),
    "party": ("id", "role"),
    "place": ("name", "lat", "lon", "radius_m"),
    "order": ("type", "against", "protects", "start"),
    "impact": ("date", "what", "category", "source", "recorded_by"),
}
_URI = re.compile(r"^[a-z][a-z0-9\-]*:.+")
EXHIBIT_PREFIX: Final = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
"""What an exhibit prefix may hold: an officer's initials, perhaps with a number or a hyphen
(``JA``, ``DS1234``, ``AB-C``), as exhibit references are written (``JA/7``). Nothing that
could be read as the end of a reference or of a list of them (``/``, ``,``, ``;``, quotes,
spaces) and no letter outside A-Z, so a reference is always ``<prefix>/<number>``."""
EXHIBIT_PREFIX_MAX = 16


def exhibit_prefix_problem(prefix: str) -> str | None:
    """Why ``prefix`` cannot be an exhibit prefix, or ``None`` when it can (:data:`EXHIBIT_PREFIX`)."""
    if not prefix:
        return "must not be empty: the officer's initials, e.g. \"JA\" (exhibits become JA/1, JA/2 ...)"
    if len(prefix) > EXHIBIT_PREFIX_MAX or not EXHIBIT_PREFIX.fullmatch(prefix):
        return (f"{prefix!r} is not an exhibit prefix: use the officer's initials, letters A-Z and digits, "
                f"starting with a letter, parts joined by '-' (e.g. \"JA\", \"DS1234\", \"AB-C\"; at most "
                f"{EXHIBIT_PREFIX_MAX} characters), so that every reference reads <prefix>/<number>")
    return None


@dataclass(frozen=True)
class Party:
    id: str
    role: str
    name: str = ""
    identifiers: tuple[str, ...] = ()
    display_names: tuple[str, ...] = ()
    notes: str = ""
    pronouns: str = ""
    """As case.toml gives them (``he``, ``she``, ``they``, or ``he/him`` and the like); empty when not given."""

    @property
    def pro(self) -> Pronouns:
        """How outputs refer to this person: the stated pronouns, else ``they`` (never guessed)."""
        return pronouns_named(self.pronouns) or UNSTATED


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float
    radius_m: float
    party: str | None = None
    notes: str = ""


@dataclass(frozen=True)
class Order:
    type: str
    against: str
    protects: str
    start: datetime
    end: datetime | None = None
    no_contact: bool = True
    exclusion_zones: tuple[str, ...] = ()
    reference: str = ""
    conditions: str = ""
    assumptions: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.type} {self.reference}".strip()


@dataclass(frozen=True)
class Impact:
    """One change the victim describes to her day-to-day life, as she gave it and as
    recorded by an officer: her account, never something the data shows."""

    date: date
    what: str
    category: str
    source: str
    recorded_by: str
    party: str | None = None
    notes: str = ""


@dataclass(frozen=True)
class Reported:
    """The conduct as the victim reported it, entered at triage before any data arrives.

    Her account, never something the data shows: it starts the s2A clock only until the
    data shows an incident (:mod:`atlas.triage`), and says whether she reports fear of
    violence (s4A indicators) before anything is analysed."""

    first_incident: date | None = None
    latest_incident: date | None = None
    summary: str = ""
    threat_occasions: int = 0
    """Occasions on which she reports fearing that violence would be used against her."""
    source: str = ""
    """Where her account is recorded (``initial account 02/09/2026``, ``crime report``)."""


@dataclass(frozen=True)
class Manifest:
    reference: str
    officer: str
    exhibit_prefix: str
    timezone: str = "Europe/London"
    region: str = "GB"
    charge_date: date | None = None
    report_date: date | None = None
    force: str = ""
    occupation: str = ""
    analyst: str = ""
    collar_number: str = ""
    """The officer's collar number when ``officer`` does not carry it (see atlas.store.officer)."""
    maker_age: str = "Over 18"
    """The MG11's age line ("Over 18" is usual for officers and staff)."""
    experience: str = ""
    """The maker's role, training and experience, as the statement gives it (their own words)."""
    statement_date: date | None = None
    """The date the statement is made; default: the date the report is made (``--as-of``)."""
    parties: tuple[Party, ...] = ()
    places: tuple[Place, ...] = ()
    orders: tuple[Order, ...] = ()
    impacts: tuple[Impact, ...] = ()
    impact_window_days: int = DEFAULT_IMPACT_WINDOW_DAYS
    """An impact entry is linked to the incidents on this many days up to and including its date."""
    reported: Reported | None = None
    """``[reported]``: the incidents as the victim reported them (triage, before any data)."""
    cross_case_search: bool = True
    """False: ``atlas search-cases`` never scans this case (a sensitive case: a protected
    witness, an officer as victim); the search says only that a case excluded itself."""
    path: Path | None = field(default=None, compare=False)
    prefix_warning: str = field(default="", compare=False)
    """Why ``exhibit_prefix`` is used although it breaks the rule, or differs from the prefix
    the case's exhibits were numbered under ("" when neither): shown on every command."""

    def party(self, party_id: str) -> Party:
        for p in self.parties:
            if p.id == party_id:
                return p
        raise ManifestError(f"no party {party_id!r} in case.toml (parties: {', '.join(p.id for p in self.parties)})")

    def party_names(self) -> dict[str, str]:
        """Party id → the name a person reads (the id where case.toml gives none): one rule for every output."""
        return {p.id: p.name or p.id for p in self.parties}

    def parties_with_role(self, role: str) -> list[Party]:
        return [p for p in self.parties if p.role == role]

    def place(self, name: str) -> Place:
        for p in self.places:
            if p.name == name:
                return p
        raise ManifestError(f"no place {name!r} in case.toml")


def line_of(text: str, table: str, index: int, key: str | None) -> int:
    """Best-effort 1-based line of ``key`` inside the ``index``-th ``[table]``/``[[table]]``."""
    lines = text.splitlines()
    header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
    any_header = re.compile(r"^\s*\[")
    seen = -1
    start = None
    for i, line in enumerate(lines):
        if header.match(line):
            seen += 1
            if seen == index:
                start = i
                break
    if start is None:
        return 1
    if key is None:
        return start + 1
    keyline = re.compile(rf"""^\s*["']?{re.escape(key)}["']?\s*[=.]""")  # also `key.sub = ...`
    for j in range(start + 1, len(lines)):
        if any_header.match(lines[j]):
            break
        if keyline.match(lines[j]):
            return j + 1
    return start + 1


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def fail(self, table: str, index: int, key: str | None, message: str) -> ManifestError:
        line = line_of(self.text, table, index, key)
        where = f"[{table}]" if table in ("case", "reported") else f"[[{table}]] #{index + 1}"
        what = f"{where} {key}" if key else where
        return ManifestError(f"{self.path}:{line}: {what}: {message}")

    def check(self, table: str, index: int, data: dict[str, Any], spec: Mapping[str, type]) -> dict[str, Any]:
        for key in data:
            if key not in spec:
                known = ", ".join(sorted(spec))
                raise self.fail(table, index, key, f"unknown key (known keys: {known})")
        for key in _REQUIRED[table]:
            if key not in data:
                raise self.fail(table, index, None, f"missing required key {key!r}")
        out: dict[str, Any] = {}
        for key, value in data.items():
            want = spec[key]
            if want is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if want is datetime and isinstance(value, date) and not isinstance(value, datetime):
                out[key] = value
                continue
            if want is date and isinstance(value, datetime):
                raise self.fail(table, index, key, "expected a date like 2026-12-01, not a date and time")
            if want is datetime and isinstance(value, datetime) and value.tzinfo is None:
                out[key] = value
                continue
            if not isinstance(value, want) or (want is not bool and isinstance(value, bool)):
                raise self.fail(table, index, key, f"expected {want.__name__}, got {type(value).__name__} {value!r}")
            if isinstance(value, list) and not all(isinstance(v, str) for v in value):
                raise self.fail(table, index, key, "expected a list of strings")
            out[key] = value
        return out


def _as_utc(value: date | datetime, zone: str, *, end: bool) -> tuple[datetime, str | None]:
    """A manifest date or datetime → aware UTC, saying what was assumed."""
    tz = ZoneInfo(zone)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=tz).astimezone(ZoneInfo("UTC")), f"{value.isoformat()} read as {zone} wall-clock time"
        return value.astimezone(ZoneInfo("UTC")), None
    if end:
        moment = datetime.combine(value + timedelta(days=1), time(0), tzinfo=tz)
        return moment.astimezone(ZoneInfo("UTC")), f"end date {value.isoformat()} taken as inclusive (until midnight at its end, {zone})"
    moment = datetime.combine(value, time(0), tzinfo=tz)
    return moment.astimezone(ZoneInfo("UTC")), f"start date {value.isoformat()} taken from 00:00 {zone}"


def parse_manifest(text: str, path: Path, recorded: RecordedPrefix | None = None) -> Manifest:
    """case.toml's ``text`` read and checked. ``recorded``: the prefix the case's exhibits were
    already numbered under (:func:`atlas.store.prefix_record.recorded_prefix`), which decides
    whether a prefix the rule refuses is kept with a warning (:func:`_check_prefix`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"at line (\d+)", str(exc))
        raise ManifestError(f"{path}{':' + at.group(1) if at else ''}: not valid TOML: {exc}") from exc
    reader = _Reader(path, text)
    for key, value in data.items():
        if key not in ("case", "reported", "party", "place", "order", "impact"):
            if isinstance(value, dict | list):
                raise ManifestError(f"{path}:{line_of(text, key, 0, None)}: unknown table [{key}] "
                                    "(known: case, reported, party, place, order, impact)")
            keyline = next((i + 1 for i, line in enumerate(text.splitlines()) if re.match(rf"\s*{re.escape(key)}\s*=", line)), 1)
            raise ManifestError(f"{path}:{keyline}: {key}: unknown key outside any table (put it under [case])")
    for key in ("party", "place", "order", "impact"):
        if key in data and not (isinstance(data[key], list) and all(isinstance(t, dict) for t in data[key])):
            raise ManifestError(
                f"{path}:{line_of(text, key, 0, None)}: [{key}] must be written [[{key}]] (one block per {key})"
            )
    if "case" not in data or not isinstance(data["case"], dict):
        raise ManifestError(f"{path}: missing the [case] table")
    case = reader.check("case", 0, data["case"], _CASE_KEYS)
    zone = case.get("timezone", "Europe/London")
    window = case.get("impact_window_days", DEFAULT_IMPACT_WINDOW_DAYS)
    if not 0 <= window <= 366:
        raise reader.fail("case", 0, "impact_window_days", "must be a number of days from 0 to 366")
    try:
        check_zone(zone)
    except Exception as exc:
        raise reader.fail("case", 0, "timezone", str(exc)) from exc
    prefix_warning = _check_prefix(reader, case["exhibit_prefix"], recorded)

    reported = _reported(reader, data, path, text)

    parties: list[Party] = []
    for i, raw in enumerate(data.get("party", [])):
        p = reader.check("party", i, raw, _PARTY_KEYS)
        if p["role"] not in ROLES:
            raise reader.fail("party", i, "role", f"must be one of {', '.join(ROLES)}")
        if any(q.id == p["id"] for q in parties):
            raise reader.fail("party", i, "id", f"duplicate party id {p['id']!r}")
        for ident in p.get("identifiers", []):
            if not _URI.match(ident):
                raise reader.fail("party", i, "identifiers", f"{ident!r} is not an identifier URI such as tel:+447700900123")
        if pronouns_named(p.get("pronouns", "")) is None:
            raise reader.fail("party", i, "pronouns", f"{p['pronouns']!r} is not one of he, she, they (or he/him, "
                              "she/her, they/them): how the statement refers to this person")
        parties.append(Party(
            id=p["id"], role=p["role"], name=p.get("name", ""), identifiers=tuple(p.get("identifiers", [])),
            display_names=tuple(p.get("display_names", [])), notes=p.get("notes", ""),
            pronouns=p.get("pronouns", "").strip(),
        ))
    party_ids = {p.id for p in parties}

    places: list[Place] = []
    for i, raw in enumerate(data.get("place", [])):
        p = reader.check("place", i, raw, _PLACE_KEYS)
        if not -90 <= p["lat"] <= 90:
            raise reader.fail("place", i, "lat", "latitude must be between -90 and 90")
        if not -180 <= p["lon"] <= 180:
            raise reader.fail("place", i, "lon", "longitude must be between -180 and 180")
        if p["radius_m"] <= 0:
            raise reader.fail("place", i, "radius_m", "radius must be positive (metres)")
        if "party" in p and p["party"] not in party_ids:
            raise reader.fail("place", i, "party", f"no party {p['party']!r}")
        places.append(Place(name=p["name"], lat=p["lat"], lon=p["lon"], radius_m=p["radius_m"],
                            party=p.get("party"), notes=p.get("notes", "")))
    place_names = {p.name for p in places}

    orders: list[Order] = []
    for i, raw in enumerate(data.get("order", [])):
        o = reader.check("order", i, raw, _ORDER_KEYS)
        if o["type"] not in ORDER_TYPES:
            raise reader.fail("order", i, "type", f"must be one of {', '.join(ORDER_TYPES)}")
        for key in ("against", "protects"):
            if o[key] not in party_ids:
                raise reader.fail("order", i, key, f"no party {o[key]!r}")
        for zone_name in o.get("exclusion_zones", []):
            if zone_name not in place_names:
                raise reader.fail("order", i, "exclusion_zones", f"no place {zone_name!r}")
        assumptions = []
        start, why = _as_utc(o["start"], zone, end=False)
        if why:
            assumptions.append(why)
        end = None
        if "end" in o:
            end, why = _as_utc(o["end"], zone, end=True)
            if why:
                assumptions.append(why)
            if end <= start:
                raise reader.fail("order", i, "end", "order ends before it starts")
        orders.append(Order(
            type=o["type"], against=o["against"], protects=o["protects"], start=start, end=end,
            no_contact=o.get("no_contact", True), exclusion_zones=tuple(o.get("exclusion_zones", [])),
            reference=o.get("reference", ""), conditions=o.get("conditions", ""), assumptions=tuple(assumptions),
        ))

    impacts: list[Impact] = []
    for i, raw in enumerate(data.get("impact", [])):
        m = reader.check("impact", i, raw, _IMPACT_KEYS)
        if m["category"] not in IMPACT_CATEGORIES:
            raise reader.fail("impact", i, "category", f"must be one of {', '.join(IMPACT_CATEGORIES)}")
        for key in ("what", "source", "recorded_by"):
            if not m[key].strip():
                raise reader.fail("impact", i, key, "must not be empty")
        if "party" in m and m["party"] not in party_ids:
            raise reader.fail("impact", i, "party", f"no party {m['party']!r}")
        impacts.append(Impact(date=m["date"], what=m["what"].strip(), category=m["category"], source=m["source"].strip(),
                              recorded_by=m["recorded_by"].strip(), party=m.get("party"), notes=m.get("notes", "")))

    return Manifest(
        reference=case["reference"], officer=case["officer"], exhibit_prefix=case["exhibit_prefix"],
        prefix_warning=prefix_warning,
        timezone=zone, region=case.get("region", "GB").upper(), charge_date=case.get("charge_date"),
        report_date=case.get("report_date"), force=case.get("force", ""), occupation=case.get("occupation", ""),
        analyst=case.get("analyst", ""), collar_number=case.get("collar_number", ""),
        maker_age=case.get("maker_age", "Over 18"), experience=case.get("experience", ""),
        statement_date=case.get("statement_date"), parties=tuple(parties), places=tuple(places), orders=tuple(orders),
        impacts=tuple(impacts), impact_window_days=window, reported=reported,
        cross_case_search=case.get("cross_case_search", True), path=path,
    )


def _reported(reader: _Reader, data: dict[str, Any], path: Path, text: str) -> Reported | None:
    """``[reported]``, checked: dates in order, a count that cannot be negative."""
    if "reported" not in data:
        return None
    if not isinstance(data["reported"], dict):
        raise ManifestError(f"{path}:{line_of(text, 'reported', 0, None)}: [reported] must be one table, "
                            "written [reported]")
    r = reader.check("reported", 0, data["reported"], _REPORTED_KEYS)
    first, latest = r.get("first_incident"), r.get("latest_incident")
    if first is not None and latest is not None and latest < first:
        raise reader.fail("reported", 0, "latest_incident", f"{latest.isoformat()} is before first_incident "
                          f"{first.isoformat()}")
    if r.get("threat_occasions", 0) < 0:
        raise reader.fail("reported", 0, "threat_occasions", "must not be negative")
    return Reported(first_incident=first, latest_incident=latest, summary=r.get("summary", "").strip(),
                    threat_occasions=r.get("threat_occasions", 0), source=r.get("source", "").strip())


def load_manifest(path: Path) -> Manifest:
    if not path.exists():
        raise ManifestError(f"{path}: no case manifest (run `atlas init {path.parent}` first)")
    return parse_manifest(path.read_text(encoding="utf-8"), path, recorded_prefix(path.parent))


def _prefix_risk(prefix: str) -> str:
    """What, in ``prefix``, the rule guards against: why the form is discouraged."""
    risks = []
    if "/" in prefix:
        risks.append("a '/' inside it, so the number is no longer simply what follows the prefix's '/'")
    if any(c in prefix for c in ",;"):
        risks.append("a ',' or ';', at which a list of references is split")
    if any(c.isspace() for c in prefix) or any(c in prefix for c in "\"'"):
        risks.append("a space or quote, so a reference written in text or a CSV cell can be cut or quoted")
    if any(not (c.isascii() and (c.isalnum() or c == "-")) for c in prefix if c not in "/,;\"' " and not c.isspace()):
        risks.append("a character other than A-Z, 0-9 and '-', which other systems may not keep")
    if prefix and not prefix[0].isalpha():
        risks.append("no letter first, so it can be misread as part of a number")
    if len(prefix) > EXHIBIT_PREFIX_MAX:
        risks.append(f"more than {EXHIBIT_PREFIX_MAX} characters, too long for an exhibit label")
    if "--" in prefix or prefix.startswith("-") or prefix.endswith("-"):
        risks.append("a '-' at an end or doubled")
    return "; ".join(risks) or "a form the rule does not allow"


def _check_prefix(reader: _Reader, prefix: str, recorded: RecordedPrefix | None) -> str:
    """The warning to show for ``exhibit_prefix`` ("" for none), or a refusal naming
    case.toml, the line, the rule and what to do.

    Exhibit references already served must never change without the person saying so:

    * a prefix the rule refuses is *kept*, with a warning, when the case's exhibits were
      already numbered under it (a case made by an older version: every command works and
      references stay as served); with nothing numbered under it, it is refused, since
      changing it then changes no reference given;
    * a prefix that differs from the one the exhibits were numbered under is used (the
      officer edited case.toml) with a warning saying which references change.
    """
    line = line_of(reader.text, "case", 0, "exhibit_prefix")
    where = f"{reader.path}:{line}: [case] exhibit_prefix"
    why = exhibit_prefix_problem(prefix)
    if why is not None and recorded is not None and recorded.prefix == prefix:
        return (f"{where}: {prefix!r} breaks the rule this version of Atlas applies to exhibit prefixes (letters A-Z and "
                f"digits, starting with a letter, parts joined by '-', at most {EXHIBIT_PREFIX_MAX} characters); "
                f"it has {_prefix_risk(prefix)}. It is kept, because this case's {recorded.exhibits} exhibit(s) "
                f"were already numbered under it ({recorded.references()}, in the audit log) and references already "
                "served must not change. Changing it now would re-label every exhibit in new outputs while "
                "documents already served keep the old references; do so only if nothing has been served, or "
                "with the disclosure officer, and record it: atlas exhibit prefix "
                f"{shlex.quote(str(reader.path.parent))} NEW --reason \"...\" (with --served \"...\" or "
                "--nothing-served)")
    if why is not None:
        if recorded is not None:
            todo = (f"this case's {recorded.exhibits} exhibit(s) were numbered {recorded.references()} (the audit "
                    f"log), so put back exhibit_prefix = \"{recorded.prefix}\" on line {line} of {reader.path}: "
                    "references already served then stay as they are")
        else:
            todo = (f"edit line {line} of {reader.path} (e.g. exhibit_prefix = \"JA\"); no exhibit of this case "
                    "has been numbered yet, so no reference already given changes")
        raise reader.fail("case", 0, "exhibit_prefix", f"{why}. {todo[0].upper()}{todo[1:]}")
    if recorded is not None and recorded.prefix != prefix:
        return (f"{where}: {prefix!r}, but this case's {recorded.exhibits} exhibit(s) were numbered under "
                f"{recorded.prefix!r} ({recorded.references()}, in the audit log). New outputs will read "
                f"{prefix}/<number> where documents already served read {recorded.prefix}/<number> (the numbers "
                f"stay). To keep the references served, put back exhibit_prefix = \"{recorded.prefix}\" on line "
                f"{line}; to make the change on purpose, record it (then this warning stops): atlas exhibit prefix "
                f"{shlex.quote(str(reader.path.parent))} {shlex.quote(prefix)} --reason \"...\" (with --served "
                "\"...\" or --nothing-served)")
    return ""


TEMPLATE: Final = '''\
# Atlas case manifest: what the officer knows and the data cannot tell.
# Atlas never invents parties, places or orders: it reads them from here.
# Identifiers are URIs: tel:+447700900123, email:name@example.org, instagram:handle,
# facebook:100004567, snapchat:handle, telegram:user, x:handle, imei:..., imsi:...

[case]
reference = "OP-ATLAS-0001"          # crime / operation reference
officer = "DC 1234 A. Officer"       # maker of the statement: rank, collar number, name
# collar_number = "1234"             # if officer above does not give it; decisions record it
exhibit_prefix = "AO"                # officer's initials: exhibits become AO/1, AO/2 ...
timezone = "Europe/London"           # zone for wall-clock times that state none
region = "GB"                        # default country for national phone numbers
# charge_date = 2026-12-01           # planned date to lay the information (s2A clock)
# report_date = 2026-06-01           # date the victim reported
# analyst = "Jo Analyst"             # maker of the statement when not the officer
# occupation = "Digital investigator"
# maker_age = "Over 18"              # the MG11 age line
# experience = "I have worked in the Digital Forensics Unit since 2019 ..."  # the maker's own words
# statement_date = 2026-12-01        # date of the statement (default: the report's --as-of date)
# impact_window_days = 14            # an impact entry is linked to incidents on this many days up to its date
# cross_case_search = false          # a sensitive case: `atlas search-cases` never looks inside it

# The conduct as the victim reported it, before any data (atlas triage starts the s2A clock
# from latest_incident until the data shows an incident; her account, never data).
# [reported]
# first_incident = 2026-05-02
# latest_incident = 2026-08-30
# summary = "Calls and texts from his number and new accounts since she ended the relationship"
# threat_occasions = 0               # occasions on which she reports fearing violence (s4A)
# source = "initial account 02/09/2026"

[[party]]
id = "victim"                        # free-text id, referred to below
role = "victim"                      # victim | suspect | witness | other
name = "(full name)"
identifiers = ["tel:+447700900001"]
# display_names = ["Mum"]            # how this person appears by name in exports
# pronouns = "she"                   # he | she | they: how the statement refers to them (they when not given)

[[party]]
id = "suspect"
role = "suspect"
name = "(full name)"
identifiers = ["tel:+447700900002"]
# display_names = ["Dan"]            # e.g. how the victim saved the suspect
# pronouns = "he"                    # never guessed from a name

# [[place]]
# name = "victim home"
# party = "victim"
# lat = 51.5007
# lon = -0.1246
# radius_m = 200

# [[order]]
# type = "restraining-order"         # spo | interim-spo | restraining-order | non-molestation-order | bail | dvpn | dvpo | dapn | dapo
# against = "suspect"
# protects = "victim"
# start = 2026-03-01T10:00:00Z       # a date alone means 00:00 local time
# end = 2027-03-01T00:00:00Z         # optional; a date alone is inclusive
# no_contact = true
# exclusion_zones = ["victim home"]  # names of places above
# reference = "court ref"

# The victim's account of the impact on her day-to-day life (s4A(1)(b)(ii)): her words,
# as recorded by an officer; Atlas shows them beside the incidents, never as data.
# Add with `atlas impact add CASE_DIR --date ... --what ... --source ...`.
# [[impact]]
# date = 2026-03-12
# what = "Stopped walking home from work; her brother drives her"
# category = "routine"               # routine | work | home-security | sleep | health | moved-home |
#                                    # changed-number | social | online | finances | children | other
# source = "victim statement 12/03/2026"
# recorded_by = "DC 1234 A. Officer"
'''


def impact_block(entry: Impact) -> str:
    """``entry`` as a ``[[impact]]`` block to append to case.toml (strings escaped for TOML)."""
    def q(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)
    lines = ["", "[[impact]]", f"date = {entry.date.isoformat()}", f"what = {q(entry.what)}",
             f"category = {q(entry.category)}", f"source = {q(entry.source)}", f"recorded_by = {q(entry.recorded_by)}"]
    if entry.party:
        lines.append(f"party = {q(entry.party)}")
    if entry.notes:
        lines.append(f"notes = {q(entry.notes)}")
    return "\n".join(lines) + "\n"


def with_impact(text: str, path: Path, entry: Impact) -> tuple[str, Manifest]:
    """case.toml ``text`` with ``entry`` appended, and the manifest it parses to (so a
    bad entry is refused before anything is written)."""
    new = text if text.endswith("\n") else text + "\n"
    new += impact_block(entry)
    manifest = parse_manifest(new, path, recorded_prefix(path.parent))
    if entry not in manifest.impacts:
        raise ManifestError(f"{path}: the new impact entry did not read back as written")
    return new, manifest


def attributed_uris(party: Party, source_ids: list[str]) -> set[str]:
    """The identifiers the officer attributes to ``party`` in case.toml: its URIs, plus
    ``name:<source>:<display name>`` in every source for each of its display names."""
    uris = set(party.identifiers)
    for name in party.display_names:
        uris.update(f"name:{sid}:{name}" for sid in source_ids)
    return uris
