"""``atlas batch``: the manifest, the executors, and a real Dask ``LocalCluster`` run of
three generated cases that must write the files an in-process run writes, byte for byte.

The only differences allowed are the clock times the audit log records when each source
was ingested (the exhibit schedule and the statement say when each exhibit was received,
which is the time of that run, by design); they are replaced by a placeholder before
those four files are compared, and the audit logs must hold the same entries in the
same order apart from their clock times. The store manifest's commit id and audit-chain
head are the run's own too; the SHA-256 it records for every partition must be equal.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from atlas.batch.executors import LocalExecutor, make_executor
from atlas.batch.manifest import load_batch, parse_batch
from atlas.errors import AtlasError, ManifestError
from atlas.store import Case
from fixtures.generate import generate

SCENARIOS = ("rejected-ex", "time-limit", "clean")
RECEIVED = re.compile(rb"\d\d/\d\d/\d{4} \d\d:\d\d (?:GMT|BST) \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)")
"""When an exhibit was received: the audit log's clock at ingest, as the statement and schedule print it."""


def _manifest(root: Path, truths: dict[str, dict[str, Any]]) -> Path:
    lines = ["[batch]", "as_of = 2026-11-22", ""]
    for i, (name, truth) in enumerate(truths.items()):
        lines += ["[[case]]", f'dir = "{name}"', f"reports = {'true' if i == 0 else 'false'}", ""]
        for src in truth["sources"]:
            opts = {k: str(v) for k, v in src["options"].items()}
            lines += ["[[case.source]]", f'path = "{name}/{src["path"]}"']
            lines += [f'owner = "{src["owner"]}"'] if src["owner"] else []
            lines += [f'{key} = "{opts[key]}"' for key in ("tz", "region") if key in opts]
            lines += ["options = { " + ", ".join(f'{k} = "{v}"' for k, v in sorted(opts.items())) + " }", ""]
    # a fourth case that fails: a file named explicitly that no parser reads
    (root / "broken").mkdir()
    shutil.copy(root / SCENARIOS[0] / "case.toml", root / "broken" / "case.toml")
    (root / "broken" / "notes.bin").write_bytes(b"\x00\x01 not evidence")
    lines += ["[[case]]", 'dir = "broken"', "", "[[case.source]]", 'path = "broken/notes.bin"', ""]
    path = root / "batch.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Three generated cases and a broken one, a manifest for them, and a pristine copy."""
    root = tmp_path_factory.mktemp("batch") / "cases"
    truths = {name: generate(name, 2, 0.05, root / name) for name in SCENARIOS}
    manifest = _manifest(root, truths)
    pristine = root.parent / "pristine"
    shutil.copytree(root, pristine)
    return root, manifest, pristine


def _restore(root: Path, pristine: Path) -> None:
    shutil.rmtree(root)
    shutil.copytree(pristine, root)


def _normalised(name: str, data: bytes) -> bytes:
    if name.endswith((".docx", ".xlsx")):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return b"\n".join(n.encode() + b"\n" + RECEIVED.sub(b"<received>", zf.read(n)) for n in sorted(zf.namelist()))
    return RECEIVED.sub(b"<received>", data)


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every file the batch wrote (stores and outputs), received-at times normalised."""
    out: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or len(rel.parts) < 2 or rel.parts[1] in ("sources", "case.toml", "truth.json") or path.name in (".lock", "notes.bin"):
            continue
        if path.name == "atlas.sqlite":
            case = Case.open(root / rel.parts[0])
            out[str(rel)] = json.dumps([(e["action"], e["actor"], e["detail"]) for e in case.audit_log()], sort_keys=True,
                                       default=str).encode()
            continue
        if rel.parts[1:] == ("store", "manifest.json"):  # its commit id and audit head are the run's own
            out[str(rel)] = json.dumps(json.loads(path.read_text(encoding="utf-8"))["files"], sort_keys=True).encode()
            continue
        out[str(rel)] = _normalised(path.name, path.read_bytes())
    return out


def test_a_cluster_run_writes_what_an_in_process_run_writes(batch: tuple[Path, Path, Path],
                                                            atlas: Callable[..., Any]) -> None:
    root, manifest, pristine = batch
    _restore(root, pristine)
    local = atlas("batch", manifest, "--engine", "local", "--json")
    assert local.code == 1, local.err  # the broken case fails; the others are done
    in_process = _snapshot(root)
    reported = json.loads(local.out)
    by_dir = {Path(c["dir"]).name: c for c in reported["cases"]}
    assert [by_dir[n]["ok"] for n in (*SCENARIOS, "broken")] == [True, True, True, False]
    assert "format not recognised" in by_dir["broken"]["error"]
    assert all(s["status"] == "ingested" for n in SCENARIOS for s in by_dir[n]["sources"])
    assert any(p.endswith("report.html") for p in by_dir[SCENARIOS[0]]["outputs"])
    assert all(any(p.endswith("conduct.json") for p in by_dir[n]["outputs"]) for n in SCENARIOS)

    _restore(root, pristine)
    cluster = atlas("batch", manifest, "--engine", "dask", "--workers", "2", "--json")
    assert cluster.code == 1, cluster.err
    on_cluster = _snapshot(root)
    data = json.loads(cluster.out)
    assert data["engine"] == "dask" and str(data["dashboard"]).startswith("http://127.0.0.1:")
    assert [c["ok"] for c in data["cases"]] == [c["ok"] for c in reported["cases"]]

    assert sorted(on_cluster) == sorted(in_process)
    assert len([k for k in in_process if k.endswith(".parquet")]) > 100
    different = [name for name in in_process if on_cluster[name] != in_process[name]]
    assert different == []


def test_a_worker_running_other_code_refuses_its_tasks(batch: tuple[Path, Path, Path], atlas: Callable[..., Any],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The failure the test above once showed at load ~13: a source file changed while the run went on (an
    edit, a merge), so the in-process run wrote with the old code and the workers, which import Atlas later,
    with the new; report.html differed and nothing said why. Here this process stands for one that
    imported other code: every task is refused on the worker, naming both digests, and nothing is written."""
    root, manifest, pristine = batch
    _restore(root, pristine)
    from atlas.batch import code

    real = code.LOADED
    monkeypatch.setattr(code, "LOADED", "0" * 64)
    run = atlas("batch", manifest, "--engine", "dask", "--workers", "1", "--json")
    assert run.code == 1, run.err
    cases = json.loads(run.out)["cases"]
    assert [c["ok"] for c in cases] == [False, False, False, False]
    for c in cases[:3]:
        assert f"runs other Atlas code (source digest {real[:12]})" in c["error"], c["error"]
        assert "(000000000000)" in c["error"]
        assert not (root / Path(c["dir"]).name / "outputs").exists()


def test_the_source_digest_is_of_the_bytes_in_path_order(tmp_path: Path) -> None:
    from atlas.batch.code import source_digest

    for package in ("atlas", "parsers", "reports"):
        (tmp_path / package / "sub").mkdir(parents=True)
        (tmp_path / package / "sub" / "m.py").write_text("x = 1\n", encoding="utf-8")
    first = source_digest(tmp_path)
    (tmp_path / "reports" / "sub" / "m.py").write_text("x = 2\n", encoding="utf-8")
    assert source_digest(tmp_path) != first
    (tmp_path / "reports" / "sub" / "m.py").write_text("x = 1\n", encoding="utf-8")
    assert source_digest(tmp_path) == first  # the bytes, not the file's time
    (tmp_path / "reports" / "notes.txt").write_text("not code", encoding="utf-8")
    assert source_digest(tmp_path) == first


def test_the_manifest_is_read_strictly(tmp_path: Path) -> None:
    good = parse_batch('[batch]\nas_of = 2026-11-22\n[[case]]\ndir = "c1"\nreports = false\n'
                       '[[case.source]]\npath = "in/phone"\nowner = "suspect"\ndayfirst = true\n'
                       'options = { platform = "instagram" }\n', tmp_path / "b.toml")
    [case] = good.cases
    assert case.dir == tmp_path / "c1" and case.out_dir == tmp_path / "c1" / "outputs" and not case.reports
    assert case.sources[0].path == tmp_path / "in" / "phone" and case.sources[0].dayfirst is True
    assert case.sources[0].options == {"platform": "instagram"}
    for text, error in [
        ('[[case]]\ndir = "c"\nrepotrs = false\n', "unknown key 'repotrs'"),
        ('[[case]]\ndir = "c"\n[[case.source]]\npath = "x"\nownr = "s"\n', "unknown key 'ownr'"),
        ('[[case]]\ndir = "c"\n[[case.source]]\nowner = "s"\n', "has no path"),
        ('[[case]]\ndir = "c"\n[[case]]\ndir = "c"\n', "listed twice"),
        ('[[case]]\ndir = "c"\nreports = "yes"\n', "must be bool"),
        ("[batch]\nas_of = 22/11/2026\n", "not valid TOML"),
        ('[batch]\nas_of = "2026-11-22"\n[[case]]\ndir = "c"\n', "must be a date"),
        ("", "no [[case]]"),
    ]:
        with pytest.raises(ManifestError, match=re.escape(error)):
            parse_batch(text, tmp_path / "b.toml")
    (tmp_path / "b.toml").write_text('[[case]]\ndir = "nowhere"\n', encoding="utf-8")
    with pytest.raises(ManifestError, match=r"has no case\.toml"):
        load_batch(tmp_path / "b.toml")


def _double(x: int) -> int:
    return 2 * x


def _fail(_x: int) -> int:
    raise AtlasError("bad input")


def test_the_local_executor_resolves_inputs_in_order_and_passes_failures_on() -> None:
    ex = LocalExecutor()
    a = ex.submit("a", _double, 2)
    b = ex.submit("b", _double, a)
    bad = ex.submit("bad", _fail, a)
    after = ex.submit("after", sum, [a, b, bad])
    assert [t.key for t in ex.as_completed([after, a, b, bad])] == ["after", "a", "b", "bad"]
    assert ex.outcome(b) == (True, 8)
    ok, error = ex.outcome(after)
    assert not ok and str(error) == "bad input"
    with pytest.raises(AtlasError, match="--address is for --engine dask"):
        make_executor("local", "tcp://127.0.0.1:8786")
