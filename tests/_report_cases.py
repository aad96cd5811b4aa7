"""Cases for the report tests: the rejected-ex scenario (generated, ingested and reported
once per session) and the large synthetic case (:mod:`fixtures.report_scale`)."""

from __future__ import annotations

import atexit
import contextlib
import functools
import io
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from atlas.store import Case
from fixtures.report_scale import large_case

__all__ = ["AS_OF", "CONTINUITY", "PENDING_ALIAS", "Reported", "artifacts_dir", "large_case", "office_to_pdf", "rejected_ex_reported"]


# --- the rejected-ex scenario, generated once per test session -----------------------------

AS_OF = "2026-11-22"
SCENARIO_SCALE = 0.12
"""Background volumes only: the course of conduct (and so truth.json's counts) is the same at any scale."""


@dataclass(frozen=True)
class Reported:
    case_dir: Path
    out: Path
    truth: dict[str, Any]
    report_json: dict[str, Any]
    """What ``atlas report --json`` printed (outputs, exhibits, the statement's facts)."""


CONTINUITY: dict[str, str] = {"from": "DC 4321 Lee, Digital Forensics Unit", "received": "2026-11-20",
                              "seal": "MPS-0042-A", "sha256": ""}
"""Continuity recorded (``atlas exhibit continuity``) for the first source of the case; ``sha256`` filled in."""
PENDING_ALIAS = "tel:+447700900013"
"""The suspect's second SIM: left as a proposed link (awaiting an officer) so that the MG11 must not
use it and the reviewer's note must show what confirming it would change."""


def truth_aliases(case: Case, truth: dict[str, Any]) -> list[tuple[str, str]]:
    """(party id, alias) for every alias truth.json gives a party the case's manifest names, in a
    fixed order: the links an OIC confirms after review in the report tests."""
    parties = {p.id for p in case.manifest.parties}
    return [(pid, alias) for pid, party in sorted(truth["parties"].items()) if pid in parties
            for alias in party["aliases"]]


@functools.cache
def rejected_ex_reported() -> Reported:
    """The ``rejected-ex`` case generated, ingested, its true aliases confirmed by an officer
    (as an OIC would after review) except :data:`PENDING_ALIAS`, proposed and awaiting a
    decision, continuity recorded for one source, and ``atlas report --as-of`` run on it. Built once."""
    from atlas.cli import main
    from atlas.demo import ingest_generated
    from atlas.identity.ledger import ensure_schema, officer_link, propose
    from fixtures.generate import generate

    root = Path(tempfile.mkdtemp(prefix="atlas-report-test-"))
    atexit.register(shutil.rmtree, root, True)
    case_dir = root / "case"
    generate("rejected-ex", 1, SCENARIO_SCALE, case_dir)
    ingest_generated(case_dir)
    truth = json.loads((case_dir / "truth.json").read_text(encoding="utf-8"))
    case = Case.open(case_dir)
    for pid, alias in truth_aliases(case, truth):
        if alias == PENDING_ALIAS:
            with case.db() as con:
                ensure_schema(con)
                propose(case, con, "party:suspect", alias, "same-imei", reason="test: awaiting a decision",
                        support=(), score=None, origin="test")
            continue
        officer_link(case, f"party:{pid}", alias, "officer-decision", note="test: confirmed after review")
    first = truth["sources"][0]
    CONTINUITY["sha256"] = first["sha256"]
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["exhibit", "continuity", str(case_dir), first["source_id"], "--from", CONTINUITY["from"],
                     "--received", CONTINUITY["received"], "--seal", CONTINUITY["seal"]]) == 0
    out = root / "out"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["report", str(case_dir), "--out", str(out), "--as-of", AS_OF, "--json"])
    assert code == 0
    return Reported(case_dir, out, truth, json.loads(buf.getvalue()))


def artifacts_dir() -> Path:
    """``test-artifacts/`` at the repository root (gitignored): screenshots and PDFs kept for a person to look at."""
    path = Path(__file__).resolve().parents[1] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@functools.cache
def _office_profile() -> Path:
    """One LibreOffice user profile for the whole test session (made by its first conversion, removed at exit)."""
    root = Path(tempfile.mkdtemp(prefix="atlas-office-profile-"))
    atexit.register(shutil.rmtree, root, True)
    return root / "profile"


def office_to_pdf(docs: list[Path], outdir: Path, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    """``soffice --headless --convert-to pdf`` of every one of ``docs`` into ``outdir``: one LibreOffice start
    for all of them, with the session's profile (a new profile costs seconds on every start). Skips when
    LibreOffice is not installed (Debian libreoffice-writer-nogui; scripts/test-tools.sh installs it)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice not installed (Debian libreoffice-writer-nogui; scripts/test-tools.sh installs it)")
    return subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={_office_profile().as_uri()}",
                           "--convert-to", "pdf", "--outdir", str(outdir), *map(str, docs)],
                          capture_output=True, text=True, timeout=timeout)
