"""The kinds of data request and their planning figures, read from a file an officer edits.

Turnaround times, typical sizes and the review and charging allowances are local
knowledge, not law and not code: they live in ``request_kinds.toml`` beside this module,
each figure with its source (or "local estimate"), and a case can override any of them
with a ``request_kinds.toml`` in its folder holding only what differs. The file is read
strictly, as case.toml is: an unknown key, a figure without its source or a negative
number is an error naming the file and the key.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from atlas.errors import AtlasError

DEFAULT_KINDS: Final = Path(__file__).with_name("request_kinds.toml")
CASE_OVERRIDE: Final = "request_kinds.toml"
"""A file of this name in the case folder overrides the packaged figures, kind by kind."""
ROLES: Final = ("suspect", "victim")

_KIND_KEYS: Final[dict[str, type | tuple[type, ...]]] = {
    "id": str, "title": str, "provider": str, "schemes": list, "domains": list, "extraction": str,
    "why_suspect": str, "why_victim": str, "turnaround_days": int, "turnaround_source": str,
    "records_expected": int, "records_source": str, "records_per_second": (int, float),
    "records_per_second_source": str, "parsers": list, "review_days": (int, float), "review_source": str,
}
_SOURCED: Final = {"turnaround_days": "turnaround_source", "records_expected": "records_source",
                   "records_per_second": "records_per_second_source", "review_days": "review_source"}
_ALLOWANCE_KEYS: Final[dict[str, type | tuple[type, ...]]] = {
    "review_days": (int, float), "review_source": str, "charge_days": (int, float), "charge_source": str}
_THROUGHPUT_KEYS: Final[dict[str, type | tuple[type, ...]]] = {
    "analysis_records_per_second": (int, float), "analysis_source": str}
_META_KEYS: Final[dict[str, type | tuple[type, ...]]] = {"name": str, "version": str}


class KindsError(AtlasError):
    """The request-kinds file is malformed: named with the file and the key."""


@dataclass(frozen=True)
class Figure:
    """A planning number and where it comes from (a measurement, a citation or "local estimate")."""

    value: float
    source: str

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source}


@dataclass(frozen=True)
class RequestKind:
    """One kind of request: what it is, whom it concerns, and its planning figures."""

    id: str
    title: str
    provider: str
    """Who answers it; ``from the number range`` means the range holder of each number."""
    schemes: tuple[str, ...]
    """Identifier schemes the request is made on (``tel``, ``instagram`` ...)."""
    why: dict[str, str]
    """Role (``suspect``/``victim``) → why this source could evidence contact or presence."""
    turnaround: Figure
    records_expected: Figure
    records_per_second: Figure
    parsers: tuple[str, ...]
    """Atlas parsers whose sources answer this kind (how a received source is linked to a request)."""
    domains: tuple[str, ...] = ()
    """For ``email`` identifiers, the domains this provider serves (empty: any)."""
    extraction: str = ""
    review: Figure | None = None
    """A review allowance for this kind only (default: the file's ``[allowances]``)."""

    def applies_to(self, role: str, uri: str) -> bool:
        """Whether this kind is asked for about ``uri``, an identifier of a party with ``role``."""
        scheme, _, value = uri.partition(":")
        if role not in self.why or scheme not in self.schemes:
            return False
        if scheme == "email" and self.domains:
            return value.rsplit("@", 1)[-1].lower() in self.domains
        return True

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "provider": self.provider, "schemes": list(self.schemes),
                "why": dict(self.why), "extraction": self.extraction, "turnaround_days": self.turnaround.to_json(),
                "records_expected": self.records_expected.to_json(),
                "records_per_second": self.records_per_second.to_json(), "parsers": list(self.parsers),
                "review_days": self.review.to_json() if self.review else None}


@dataclass(frozen=True)
class PlanningData:
    """Every kind, the allowances and Atlas's measured throughput, with where they were read from."""

    kinds: tuple[RequestKind, ...]
    review: Figure
    charge: Figure
    analysis_rate: Figure
    name: str
    version: str
    path: Path
    sha256: str
    override: Path | None = None
    override_sha256: str = ""
    overridden: tuple[str, ...] = field(default=())
    """``kind.key`` or ``allowances.key`` values the case's file changed."""

    def kind(self, kind_id: str) -> RequestKind:
        for k in self.kinds:
            if k.id == kind_id:
                return k
        raise KindsError(f"no request kind {kind_id!r} (kinds: {', '.join(k.id for k in self.kinds)})")

    def provenance(self) -> dict[str, Any]:
        return {"file": str(self.path), "name": self.name, "version": self.version, "sha256": self.sha256,
                "case_override": str(self.override) if self.override else None,
                "case_override_sha256": self.override_sha256 or None, "overridden": list(self.overridden)}


def _check(where: str, data: dict[str, Any], spec: dict[str, type | tuple[type, ...]]) -> None:
    for key, value in data.items():
        if key not in spec:
            raise KindsError(f"{where} {key}: unknown key (known keys: {', '.join(sorted(spec))})")
        want = spec[key]
        if isinstance(value, bool) or not isinstance(value, want):
            raise KindsError(f"{where} {key}: expected {getattr(want, '__name__', 'a number')}, got {value!r}")
        if isinstance(value, int | float) and value < 0:
            raise KindsError(f"{where} {key}: must not be negative")
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise KindsError(f"{where} {key}: expected a list of strings")


def _read(path: Path) -> tuple[dict[str, Any], str]:
    try:
        raw = path.read_bytes()
        return tomllib.loads(raw.decode("utf-8")), hashlib.sha256(raw).hexdigest()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise KindsError(f"{path}: cannot be read as TOML ({exc})") from exc


def _merge(base: dict[str, Any], over: dict[str, Any], path: Path) -> tuple[dict[str, Any], list[str]]:
    """``base`` with the tables and kinds of ``over`` laid on top, key by key."""
    changed: list[str] = []
    out: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    kinds: list[dict[str, Any]] = [dict(k) for k in base.get("kind", [])]
    out["kind"] = kinds
    for table in ("allowances", "throughput", "meta"):
        if table in over:
            if not isinstance(over[table], dict):
                raise KindsError(f"{path}: [{table}] must be a table")
            out.setdefault(table, {}).update(over[table])
            changed += [f"{table}.{k}" for k in over[table]]
    for key in over:
        if key not in ("allowances", "throughput", "meta", "kind"):
            raise KindsError(f"{path}: {key}: unknown table (known: meta, allowances, throughput, kind)")
    by_id = {k.get("id"): k for k in kinds}
    for entry in over.get("kind", []):
        if not isinstance(entry, dict) or "id" not in entry:
            raise KindsError(f"{path}: every [[kind]] needs an id")
        if entry["id"] in by_id:
            by_id[entry["id"]].update(entry)
        else:
            kinds.append(dict(entry))
        changed += [f"{entry['id']}.{k}" for k in entry if k != "id"]
    return out, changed


def _figure(where: str, data: dict[str, Any], key: str, source_key: str) -> Figure:
    if key not in data:
        raise KindsError(f"{where}: missing {key}")
    source = str(data.get(source_key, "")).strip()
    if not source:
        raise KindsError(f"{where} {key}: a figure needs its source ({source_key} = \"...\"; "
                         "write \"local estimate\" where there is none)")
    return Figure(float(data[key]), source)


def parse_kinds(data: dict[str, Any], path: Path, sha256: str, *, override: Path | None = None,
                override_sha256: str = "", overridden: tuple[str, ...] = ()) -> PlanningData:
    where = str(override or path)
    for table, spec in (("meta", _META_KEYS), ("allowances", _ALLOWANCE_KEYS), ("throughput", _THROUGHPUT_KEYS)):
        _check(f"{where}: [{table}]", data.get(table, {}), spec)
    allowances, throughput, meta = data.get("allowances", {}), data.get("throughput", {}), data.get("meta", {})
    kinds: list[RequestKind] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("kind", [])):
        at = f"{where}: [[kind]] #{i + 1} ({raw.get('id', '?')})"
        _check(at, raw, _KIND_KEYS)
        for key in ("id", "title", "provider", "schemes", "parsers"):
            if key not in raw:
                raise KindsError(f"{at}: missing {key}")
        if raw["id"] in seen:
            raise KindsError(f"{at}: duplicate id")
        seen.add(raw["id"])
        why = {role: raw[f"why_{role}"] for role in ROLES if raw.get(f"why_{role}", "").strip()}
        if not why:
            raise KindsError(f"{at}: needs why_suspect or why_victim (why this source could evidence the conduct)")
        if raw.get("records_per_second", 1) == 0:
            raise KindsError(f"{at} records_per_second: must be more than 0")
        kinds.append(RequestKind(
            id=raw["id"], title=raw["title"], provider=raw["provider"], schemes=tuple(raw["schemes"]), why=why,
            turnaround=_figure(at, raw, "turnaround_days", "turnaround_source"),
            records_expected=_figure(at, raw, "records_expected", "records_source"),
            records_per_second=_figure(at, raw, "records_per_second", "records_per_second_source"),
            parsers=tuple(raw["parsers"]), domains=tuple(d.lower() for d in raw.get("domains", [])),
            extraction=raw.get("extraction", ""),
            review=_figure(at, raw, "review_days", "review_source") if "review_days" in raw else None,
        ))
    if throughput.get("analysis_records_per_second", 1) == 0:
        raise KindsError(f"{where}: [throughput] analysis_records_per_second: must be more than 0")
    return PlanningData(
        kinds=tuple(kinds), review=_figure(f"{where}: [allowances]", allowances, "review_days", "review_source"),
        charge=_figure(f"{where}: [allowances]", allowances, "charge_days", "charge_source"),
        analysis_rate=_figure(f"{where}: [throughput]", throughput, "analysis_records_per_second", "analysis_source"),
        name=str(meta.get("name", "")), version=str(meta.get("version", "")), path=path, sha256=sha256,
        override=override, override_sha256=override_sha256, overridden=overridden,
    )


def load_kinds(case_dir: Path | None = None, path: Path | None = None) -> PlanningData:
    """The planning figures: ``path`` (default: the packaged file), with the case folder's
    ``request_kinds.toml`` laid over it when there is one."""
    base_path = path or DEFAULT_KINDS
    base, sha = _read(base_path)
    over_path = case_dir / CASE_OVERRIDE if case_dir is not None else None
    if over_path is None or not over_path.is_file():
        return parse_kinds(base, base_path, sha)
    over, over_sha = _read(over_path)
    merged, changed = _merge(base, over, over_path)
    return parse_kinds(merged, base_path, sha, override=over_path, override_sha256=over_sha, overridden=tuple(changed))


__all__ = ["CASE_OVERRIDE", "DEFAULT_KINDS", "Figure", "KindsError", "PlanningData", "RequestKind", "load_kinds",
           "parse_kinds"]
