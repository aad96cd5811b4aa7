"""The software that produced the evidence is pinned (constraints.txt) and recorded with each ingest."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from atlas.provenance import installed_versions
from atlas.store import Case

REPO = Path(__file__).resolve().parents[1]


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin"
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    return pins


def test_every_runtime_dependency_is_pinned_at_the_installed_version() -> None:
    pins = _pins()
    versions = installed_versions()
    deps = {k: v for k, v in versions.items() if k not in ("python", "atlas")}
    assert {"polars", "phonenumbers", "lxml", "python-docx"} <= set(deps)
    unpinned = sorted(k for k in deps if re.sub(r"[-_.]+", "-", k).lower() not in pins)
    assert not unpinned, f"not in constraints.txt (run `make constraints`): {unpinned}"
    differ = {k: (v, pins[re.sub(r'[-_.]+', '-', k).lower()]) for k, v in deps.items()
              if pins[re.sub(r"[-_.]+", "-", k).lower()] != v}
    assert not differ, f"installed version differs from constraints.txt (installed, pinned): {differ}"
    assert versions["polars"] == metadata.version("polars")


def test_the_makefile_installs_with_the_constraints() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"pip install [^\n]*-c constraints\.txt", makefile)


def test_each_ingest_records_the_installed_versions(case_dir: Path, whatsapp_samples: Path,
                                                    atlas: Callable[..., Any]) -> None:
    assert atlas("ingest", case_dir, whatsapp_samples / "test_ddmmyy_24hrs.txt").code == 0
    [row] = [r for r in Case.open(case_dir).audit_log() if r["action"] == "ingest"]
    detail = json.loads(json.dumps(row["detail"]))
    assert detail["software"] == installed_versions()
    assert detail["software"]["python"] and detail["software"]["polars"]
