"""Everything Atlas writes is owner-only (folders 0700, files 0600) whatever the umask."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from atlas.permissions import loose_entries

SAMPLE = "test_ddmmyy_24hrs.txt"


SCRIPT = """
import os, sys
os.umask(0o022)  # the usual umask: files 0644, folders 0755 unless Atlas narrows it
from atlas.cli import main
for args in {commands!r}:
    code = main(args)
    if code != 0:
        sys.exit(f"atlas {{args}}: exit {{code}}")
"""


def _atlas_022(commands: list[list[str]], cwd: Path) -> None:
    """Each ``atlas`` command in turn, in one fresh process started with the usual umask 022."""
    run = subprocess.run([sys.executable, "-c", SCRIPT.format(commands=commands)], cwd=cwd, capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0, (run.stdout[-2000:], run.stderr[-2000:])


def test_every_file_atlas_writes_is_owner_only_under_umask_022(tmp_path: Path, whatsapp_samples: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    shutil.copyfile(whatsapp_samples / SAMPLE, evidence / SAMPLE)
    (evidence / SAMPLE).chmod(0o644)
    (tmp_path / "existing-case").mkdir(mode=0o755)  # a folder the officer made, then `atlas init` on it
    _atlas_022([
        ["init", "case"], ["init", "existing-case"], ["ingest", "case", str(evidence)],
        ["link", "case", "tel:+447700900013", "suspect", "--basis", "same-imei", "--note", "CDR exhibit"],
        ["timeline", "case", "--out", "exports/timeline.csv"], ["timeline", "case", "--out", "exports/timeline.parquet"],
        ["graph", "case", "--out", "exports/graph.csv", "--out", "exports/graph.graphml"],
        ["report", "case", "--out", "reports-out"],
        ["demo", "demo-case", "--scale", "0.02"],
    ], cwd=tmp_path)
    written = [tmp_path / n for n in ("case", "existing-case", "exports", "reports-out", "demo-case")]
    files = [p for root in written for p in root.rglob("*") if p.is_file()]
    assert len(files) > 60 and any(p.name == "atlas.sqlite" for p in files) and any(p.suffix == ".docx" for p in files)
    assert [e for root in written for e in loose_entries(root)] == []
    assert (evidence / SAMPLE).stat().st_mode & 0o777 == 0o644  # the evidence itself is never touched, mode included
