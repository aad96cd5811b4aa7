"""The batch manifest: which cases ``atlas batch`` processes, from which sources, how.

A TOML file, read as strictly as ``case.toml`` (an unknown key is an error naming it:
a mistyped ``ownr`` silently ignored would attribute a phone to nobody)::

    [batch]
    as_of = 2026-11-22          # optional: the date statements speak as of (default: none in the outputs)

    [[case]]
    dir = "cases/OP-1001"       # a case folder made with `atlas init`, its case.toml filled in
    # discover = true           # propose alias links (nothing is confirmed)
    # conduct = true            # write conduct.json (the course-of-conduct analysis)
    # reports = true            # write the HTML report, the statement draft, the exhibits
    # out = "outputs"           # where, inside the case folder (default outputs)
    # keep_going = false        # commit the files that parse and list the failures
    # replace = false           # re-parse sources already in the case

      [[case.source]]
      path = "exports/OP-1001/suspect-phone"   # a file, or a folder (walked)
      owner = "suspect"         # party id or identifier URI (as `atlas ingest --owner`)
      # tz = "Europe/London"    # zone of wall-clock times (default: the case's)
      # region = "GB"           # country of national numbers (default: the case's)
      # format = "cellebrite-xml"  # force a parser (default: detected by content)
      # dayfirst = true         # dates the file cannot decide are day/month (false: month/day)
      # map = "maps/new-cdr.toml"  # column mapping for a new CSV/XLSX layout
      # options = { platform = "instagram" }   # parser options

Relative paths are relative to the manifest's folder. Each case is one folder, so cases
never share a store; the sources of a case are ingested together (all or nothing unless
``keep_going``), exactly as one ``atlas ingest`` of them would be.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

from atlas.errors import ManifestError

_BATCH_KEYS: Final[dict[str, type]] = {"as_of": date}
_CASE_KEYS: Final = {"dir": str, "discover": bool, "conduct": bool, "reports": bool, "out": str, "keep_going": bool,
                     "replace": bool, "source": list}
_SOURCE_KEYS: Final = {"path": str, "owner": str, "tz": str, "region": str, "format": str, "dayfirst": bool,
                       "map": str, "options": dict}


@dataclass(frozen=True)
class SourceSpec:
    """One ``[[case.source]]``: a file or folder and how to read it (``atlas ingest``'s options)."""

    path: Path
    owner: str | None = None
    tz: str | None = None
    region: str | None = None
    format: str | None = None
    dayfirst: bool | None = None
    map: Path | None = None
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseSpec:
    """One ``[[case]]``: a case folder, its sources and which steps to run."""

    dir: Path
    sources: tuple[SourceSpec, ...]
    discover: bool = True
    conduct: bool = True
    reports: bool = True
    out: Path = Path("outputs")
    keep_going: bool = False
    replace: bool = False

    @property
    def out_dir(self) -> Path:
        return self.out if self.out.is_absolute() else self.dir / self.out


@dataclass(frozen=True)
class BatchManifest:
    path: Path
    cases: tuple[CaseSpec, ...]
    as_of: date | None = None


def _check(table: dict[str, Any], keys: dict[str, type], where: str, path: Path) -> None:
    for key, value in table.items():
        if key not in keys:
            raise ManifestError(f"{path}: unknown key {key!r} in {where} (known: {', '.join(sorted(keys))})")
        want = keys[key]
        if want is date and not isinstance(value, date):
            raise ManifestError(f"{path}: {where}.{key} must be a date (YYYY-MM-DD), not {value!r}")
        if want is not date and (not isinstance(value, want) or (want is not bool and isinstance(value, bool))):
            raise ManifestError(f"{path}: {where}.{key} must be {want.__name__}, not {type(value).__name__} {value!r}")


def _path(base: Path, text: str) -> Path:
    p = Path(text).expanduser()
    return p if p.is_absolute() else base / p


def parse_batch(text: str, path: Path) -> BatchManifest:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: not valid TOML ({exc})") from exc
    unknown = set(data) - {"batch", "case"}
    if unknown:
        raise ManifestError(f"{path}: unknown table(s) {', '.join(sorted(unknown))} (known: batch, case)")
    base = path.resolve().parent
    batch = data.get("batch", {})
    _check(batch, _BATCH_KEYS, "[batch]", path)
    cases: list[CaseSpec] = []
    for i, case in enumerate(data.get("case", []), 1):
        where = f"[[case]] #{i}"
        _check(case, _CASE_KEYS, where, path)
        if "dir" not in case:
            raise ManifestError(f"{path}: {where} has no dir (the case folder)")
        sources: list[SourceSpec] = []
        for j, src in enumerate(case.get("source", []), 1):
            swhere = f"{where} [[case.source]] #{j}"
            if not isinstance(src, dict):
                raise ManifestError(f"{path}: {swhere} must be a table")
            _check(src, _SOURCE_KEYS, swhere, path)
            if "path" not in src:
                raise ManifestError(f"{path}: {swhere} has no path")
            options = src.get("options", {})
            if not all(isinstance(v, str) for v in options.values()):
                raise ManifestError(f"{path}: {swhere}.options values must be text")
            sources.append(SourceSpec(
                path=_path(base, src["path"]), owner=src.get("owner"), tz=src.get("tz"), region=src.get("region"),
                format=src.get("format"), dayfirst=src.get("dayfirst"),
                map=_path(base, src["map"]) if "map" in src else None, options=dict(options)))
        case_dir = _path(base, case["dir"])
        cases.append(CaseSpec(
            dir=case_dir, sources=tuple(sources), discover=case.get("discover", True), conduct=case.get("conduct", True),
            reports=case.get("reports", True), out=Path(case.get("out", "outputs")),
            keep_going=case.get("keep_going", False), replace=case.get("replace", False)))
    dirs = [c.dir.resolve() for c in cases]
    if len(set(dirs)) != len(dirs):
        raise ManifestError(f"{path}: a case folder is listed twice (each case is one folder and one [[case]])")
    if not cases:
        raise ManifestError(f"{path}: no [[case]] listed")
    return BatchManifest(path=path, cases=tuple(cases), as_of=batch.get("as_of"))


def load_batch(path: Path) -> BatchManifest:
    if not path.is_file():
        raise ManifestError(f"{path}: no batch manifest there")
    manifest = parse_batch(path.read_text(encoding="utf-8"), path)
    for case in manifest.cases:
        if not (case.dir / "case.toml").is_file():
            raise ManifestError(f"{path}: {case.dir} has no case.toml (run `atlas init {case.dir}` and fill it in)")
        for src in case.sources:
            try:
                missing = not src.path.exists()
            except OSError:  # there, but the system will not let Atlas look: that case fails, named, the others run
                continue
            if missing:
                raise ManifestError(f"{path}: source {src.path} of {case.dir} does not exist")
    return manifest
