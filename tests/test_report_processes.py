"""The reports are the same bytes whichever process writes them.

A batch run on Dask writes each case's reports in a worker process, with its own hash
seed (the iteration order of every ``set`` and of ``dict``s built from one), its own
Polars thread pool and its own history of earlier tasks; an ``atlas report`` run writes
them in the analyst's process. ``test_batch.py`` compares one Dask run with one
in-process run. Here the same case is reported by ``atlas report`` in two fresh
processes that differ in everything that must not matter: ``PYTHONHASHSEED`` (so a set
joined into text, or a sort that ties and falls back to set order, shows) and
``POLARS_MAX_THREADS`` (so a ``group_by`` or ``unique`` without ``maintain_order``
whose order reaches a file shows). Each process reports its own copy of the case, so
neither reads the exhibit numbers the other assigned.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from atlas.demo import ingest_generated
from atlas.identity.candidates import discover
from atlas.store import Case
from fixtures.generate import generate

AS_OF = "2026-11-22"
SETTINGS = ({"PYTHONHASHSEED": "1", "POLARS_MAX_THREADS": "1"},
            {"PYTHONHASHSEED": "2", "POLARS_MAX_THREADS": "4"})


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated rejected-ex case of ``test_batch.py`` (seed 2, scale 0.05), ingested, links proposed."""
    root = tmp_path_factory.mktemp("processes") / "case"
    generate("rejected-ex", 2, 0.05, root)
    ingest_generated(root)
    discover(Case.open(root))
    return root


def _contents(path: Path) -> bytes:
    """A file's bytes; a DOCX/XLSX by member (the zip's own headers aside)."""
    data = path.read_bytes()
    if path.suffix in (".docx", ".xlsx"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return b"\n".join(n.encode() + b"\n" + zf.read(n) for n in sorted(zf.namelist()))
    return data


def _report_in_a_fresh_process(case_dir: Path, copy: Path, settings: dict[str, str]) -> dict[str, bytes]:
    shutil.copytree(case_dir, copy)
    env = {**os.environ, **settings}
    run = subprocess.run([sys.executable, "-m", "atlas", "report", str(copy), "--as-of", AS_OF],
                         env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr
    out = copy / "outputs"
    return {str(p.relative_to(out)): _contents(p) for p in sorted(out.rglob("*")) if p.is_file()}


def test_two_fresh_processes_with_other_hash_seeds_and_thread_counts_write_the_same_bytes(
        case_dir: Path, tmp_path: Path) -> None:
    first, second = (_report_in_a_fresh_process(case_dir, tmp_path / f"copy{i}", s) for i, s in enumerate(SETTINGS))
    assert {"report.html", "statement.docx", "reviewer-note.docx", "exhibits.csv"} <= set(first)
    assert any(name.endswith(".png") for name in first)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
