"""Every audit row names the officer (case.toml, or ``--officer`` for the run), never the
computer's login: ingest rows, exhibit numbers, decisions, and a batch whose tasks run in
other processes. ``atlas audit`` shows them."""

from __future__ import annotations

import getpass
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from atlas.store import Case

CASE_OFFICER = "DC 1234 A. Officer"  # the template's officer (atlas init)
REVIEWER = "DS 5678 B. Reviewer"
SAMPLES = ("test_ddmmyy_24hrs.txt", "test_mmddyy_24hrs.txt")


@pytest.fixture(autouse=True)
def login_is_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's account is ``root`` (as on many lab machines): it must appear nowhere."""
    for name in ("ATLAS_USER", "USER", "LOGNAME", "USERNAME"):
        monkeypatch.setenv(name, "root")


def _actors(case_dir: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for row in Case.open(case_dir).audit_log():
        out.setdefault(str(row["action"]), set()).add(str(row["actor"]))
    return out


def _no_login(actors: dict[str, set[str]]) -> None:
    every = set().union(*actors.values())
    assert "root" not in every and getpass.getuser() not in every, every


def test_ingest_and_exhibit_rows_name_the_officer_of_case_toml_or_of_officer(
        case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., Any]) -> None:
    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLES[0]).code == 0
    assert _actors(case_dir) == {"ingest": {CASE_OFFICER}, "exhibit-number": {CASE_OFFICER}}
    run = atlas("ingest", case_dir, whatsapp_samples / SAMPLES[1], "--officer", REVIEWER)
    assert run.code == 0, run.err
    assert _actors(case_dir) == {"ingest": {CASE_OFFICER, REVIEWER}, "exhibit-number": {CASE_OFFICER, REVIEWER}}
    _no_login(_actors(case_dir))

    shown = atlas("audit", case_dir)
    assert shown.code == 0, shown.err
    assert "Reviewer" in shown.out and "Officer" in shown.out and "root" not in shown.out
    assert shown.out.count("exhibit-number") == 2 and "AO/2: source" in shown.out
    rows = json.loads(atlas("audit", case_dir, "--action", "ingest", "--json").out)
    assert [r["actor"] for r in rows] == [CASE_OFFICER, REVIEWER]
    assert [r["detail"]["path"].rsplit("/", 1)[-1] for r in rows] == list(SAMPLES)


def test_a_case_toml_officer_with_a_separate_collar_number_is_named_with_it(
        case_dir: Path, whatsapp_samples: Path, atlas: Callable[..., Any]) -> None:
    manifest = case_dir / "case.toml"
    text = manifest.read_text(encoding="utf-8").replace(f'officer = "{CASE_OFFICER}"', 'officer = "PC Sam Jones"')
    manifest.write_text(text.replace('# collar_number = "1234"', 'collar_number = "4321"'), encoding="utf-8")
    assert atlas("ingest", case_dir, whatsapp_samples / SAMPLES[0]).code == 0
    assert _actors(case_dir) == {"ingest": {"4321 PC Sam Jones"}, "exhibit-number": {"4321 PC Sam Jones"}}


@pytest.mark.timeout(300)
def test_a_batch_on_worker_processes_records_the_officer_of_the_run(
        tmp_path: Path, whatsapp_samples: Path, atlas: Callable[..., Any]) -> None:
    """Dask runs each task in a worker process, where the run's --officer (a context
    variable) is not set: it must travel with the task, or the rows name case.toml's officer."""
    pytest.importorskip("distributed")
    case_dir = tmp_path / "cases" / "one"
    assert atlas("init", case_dir).code == 0
    for name in SAMPLES:
        shutil.copy(whatsapp_samples / name, case_dir.parent / name)
    manifest = tmp_path / "cases" / "batch.toml"
    manifest.write_text("[batch]\n\n[[case]]\ndir = \"one\"\nreports = false\nconduct = false\ndiscover = false\n\n"
                        + "".join(f'[[case.source]]\npath = "{n}"\n\n' for n in SAMPLES), encoding="utf-8")
    run = atlas("batch", manifest, "--engine", "dask", "--workers", "1", "--officer", REVIEWER, "--json")
    assert run.code == 0, run.err
    actors = _actors(case_dir)
    assert actors["ingest"] == {REVIEWER} and actors["exhibit-number"] == {REVIEWER}
    _no_login(actors)
