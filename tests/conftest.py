"""Shared fixtures: a fresh case folder, the public samples, and a CLI runner.

The public samples live outside the repository (``../shared/samples`` relative to the
repository root) and are never copied into it; tests that change a sample (chmod,
edit after ingest) copy it to ``tmp_path`` first.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from atlas.cli import main
from atlas.store import Case

REPO = Path(__file__).resolve().parents[1]
SAMPLES_DIR = Path(__file__).resolve().parents[2] / "shared" / "samples"
SAMPLES = SAMPLES_DIR  # ../shared/samples from the repository root: read there, never copied
WHATSAPP_SAMPLES = ("test_ddmmyy_24hrs.txt", "test_mmddyy_24hrs.txt", "test_mmddyyyy_12hrs.txt",
                    "test_[mmddyy]_24hrs.txt", "test_yyyymmdd_24hrs.txt")


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def atlas(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run ``atlas ARGS...`` in-process; returns exit code, stdout and stderr."""

    def run(*args: object) -> Run:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def _rejected_ex_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated rejected-ex case (seed 3, scale 0.2), ingested and with its alias links
    discovered: built once a run because four modules need it and it takes seconds. Never
    handed to a test: :func:`rejected_ex_case` gives each module its own copy."""
    from atlas.demo import ingest_generated
    from atlas.identity.candidates import discover
    from atlas.store import Case
    from fixtures.generate import generate

    root = tmp_path_factory.mktemp("rejected-ex-master") / "case"
    generate("rejected-ex", 3, 0.2, root)
    ingest_generated(root)
    discover(Case.open(root))
    return root


@pytest.fixture(scope="module")
def rejected_ex_case(_rejected_ex_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the generated rejected-ex case for one test module: its tests share it, as
    they would any module fixture; no other module sees what they write to it."""
    out = tmp_path_factory.mktemp("rejected-ex") / "case"
    shutil.copytree(_rejected_ex_master, out)
    return out


@pytest.fixture(scope="session")
def _small_cases_master(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small generated rejected-ex case (seed 1, scale 0.05) and a generated CDR case of 6,000
    events in four files, ingested: the streaming tests' two cases, built once a run."""
    from atlas.demo import ingest_generated
    from atlas.ingest import IngestOptions
    from atlas.store import Case
    from atlas.stream.ingest import ingest_bounded
    from fixtures.generate import generate
    from fixtures.huge_cdr import write_case

    root = tmp_path_factory.mktemp("small-cases-master")
    generate("rejected-ex", 1, 0.05, root / "demo")
    ingest_generated(root / "demo")
    write_case(root / "cdr", 6_000, file_rows=1_500)
    ingest_bounded(Case.open(root / "cdr"), [root / "cdr" / "sources"], IngestOptions())
    return root / "demo", root / "cdr"


@pytest.fixture(scope="module")
def small_demo_case(_small_cases_master: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the small rejected-ex case for one test module."""
    out = tmp_path_factory.mktemp("small-demo") / "demo"
    shutil.copytree(_small_cases_master[0], out)
    return out


@pytest.fixture(scope="module")
def small_cdr_case(_small_cases_master: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the small generated CDR case for one test module."""
    out = tmp_path_factory.mktemp("small-cdr") / "cdr"
    shutil.copytree(_small_cases_master[1], out)
    return out


@pytest.fixture
def samples() -> Path:
    if not SAMPLES_DIR.is_dir():
        pytest.skip(f"public samples not found at {SAMPLES_DIR}")
    return SAMPLES_DIR


@pytest.fixture
def whatsapp_samples(samples: Path) -> Path:
    return samples / "chat-miner" / "whatsapp"


@pytest.fixture
def case_dir(tmp_path: Path, atlas: Callable[..., Run]) -> Path:
    """A case created by ``atlas init`` (the template manifest, an empty store)."""
    root = tmp_path / "case"
    result = atlas("init", root)
    assert result.code == 0, result.err
    return root


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The hostile sweep's well-formed seed file of each parser (:func:`tests._hostile.make_seeds`), made
    once a module, for tests that build a variant of one."""
    from tests._hostile import make_seeds

    return make_seeds(tmp_path_factory.mktemp("seeds"))


@pytest.fixture
def case(tmp_path: Path) -> Case:
    """An empty case opened in-process (the template manifest; ``case_dir`` makes one through the CLI)."""
    from atlas.store import init_case
    from atlas.store.manifest import TEMPLATE

    init_case(tmp_path / "case", TEMPLATE)
    return Case.open(tmp_path / "case")


@pytest.fixture
def copy_sample(tmp_path: Path, whatsapp_samples: Path) -> Callable[[str], Path]:
    """Copy a public WhatsApp sample into tmp_path (for tests that alter the file)."""

    def copy(name: str = "test_ddmmyy_24hrs.txt") -> Path:
        dst = tmp_path / "evidence" / name
        dst.parent.mkdir(exist_ok=True)
        shutil.copyfile(whatsapp_samples / name, dst)
        return dst

    return copy


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path → SHA-256): equal dicts mean byte-for-byte equal trees."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def digest() -> Callable[[Path], dict[str, str]]:
    """``digest(folder)``: relative path → SHA-256 of every file under it."""
    return tree_digest


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker: hand the fuzz tests' outcomes to the main process, which prints them."""
    import sys

    workeroutput = getattr(session.config, "workeroutput", None)
    stats = sys.modules.get("tests._fuzz_stats")
    if workeroutput is not None and stats is not None:
        workeroutput["fuzz_outcomes"] = {family: dict(counts) for family, counts in stats.OUTCOMES.items()}
        workeroutput["fuzz_caught"] = {family: list(caught) for family, caught in stats.CAUGHT.items()}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """In the main process of a pytest-xdist run: add a finished worker's fuzz outcomes to this process's."""
    out = getattr(node, "workeroutput", None) or {}
    if "fuzz_outcomes" not in out:
        return
    from tests import _fuzz_stats as stats

    for family, counts in out["fuzz_outcomes"].items():
        for outcome, n in counts.items():
            stats.OUTCOMES[family][outcome] += n
    for family, caught in out["fuzz_caught"].items():
        for detail in caught:
            if len(stats.CAUGHT[family]) < 6 and detail not in stats.CAUGHT[family]:
                stats.CAUGHT[family].append(detail)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fuzz tests' outcomes (how many inputs, and what became of them), when they ran (with pytest-xdist:
    every worker's, gathered by :func:`pytest_testnodedown`)."""
    import sys

    stats = sys.modules.get("tests._fuzz_stats")
    if stats is not None:
        lines = stats.summary()
        if lines:
            terminalreporter.section("fuzz outcomes")
            for line in lines:
                terminalreporter.write_line(line)


SLOW_FILES_FIRST = ("test_hostile_structure.py", "test_bench_runner.py", "test_reports_scenarios.py", "test_tui.py",
                    "test_batch.py", "test_semantic_fast.py", "test_tui_workbench2.py", "test_tui_review.py",
                    "test_possible_colocations.py", "test_permissions.py", "test_tui_snapshots.py", "test_annex_s15.py")
"""The test files that take longest in ``make test`` (its 30 slowest durations, 07/12/2026), slowest first."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test``: ``-n 2 --dist loadfile --no-loadscope-reorder``) the workers are handed
    whole files in collection order; the slowest files go first, so that a long one (the hostile sweep's setup, the
    bench runner) does not start last while the other worker has nothing left. Each file's own tests keep their
    order, and a run without xdist is not reordered."""
    import os

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rank = {name: n for n, name in enumerate(SLOW_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep collection order
