"""Prove a change to the Cellebrite reader leaves its output as it was.

Writes a corpus of reports (the tests' hand-written report and the reports made to fool
the parallel reader's byte scan, damaged cuts of it, every scenario's handset download
for two seeds, and the benchmark's layout), then either records what
:func:`parsers.cellebrite_xml.parse_sequential` gives for each (``dump``, run on the old
code) or compares with that record (``check``, on the new): every frame of the result
(schema and values), every other field, and the error message of a damaged report.

    git stash; .venv/bin/python scripts/cellebrite_same_output.py dump /tmp/same
    git stash pop; .venv/bin/python scripts/cellebrite_same_output.py check /tmp/same

``--mb N`` adds a generated report of N MB in the benchmark's layout.
"""

from __future__ import annotations

import argparse
import pickle
import random
import sys
import zipfile
from dataclasses import fields
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import polars as pl  # noqa: E402
from test_cellebrite_parallel import HOSTILE  # noqa: E402
from test_cellebrite_xml import REPORT  # noqa: E402

from atlas.errors import FormatError  # noqa: E402
from bench.bench_cellebrite import write_report  # noqa: E402
from fixtures.scenarios import SCENARIOS, build  # noqa: E402
from fixtures.writers import cellebrite_xml as writer  # noqa: E402
from parsers import cellebrite_xml  # noqa: E402
from parsers.base import ParseContext, ParseResult  # noqa: E402


def corpus(root: Path, mb: float) -> list[Path]:
    """The reports (written once under ``root``; the same files for dump and check)."""
    root.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []

    def text(name: str, body: str) -> None:
        path = root / name
        if not path.exists():
            path.write_text(body, encoding="utf-8")
        out.append(path)

    text("report.xml", REPORT)
    for i, (_name, body) in enumerate(sorted(HOSTILE.items())):
        text(f"hostile-{i}.xml", body)
    for cut in (0.3, 0.5, 0.9):
        text(f"cut-{cut}.xml", REPORT[: int(len(REPORT) * cut)])
    text("broken.xml", REPORT.replace("</field>", "</fieldx>", 7))
    ufdr = root / "handset.ufdr"
    if not ufdr.exists():
        with zipfile.ZipFile(ufdr, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("report.xml", REPORT.encode("utf-8"))
    out.append(ufdr)
    for scenario in sorted(SCENARIOS):
        for seed in (3, 4):
            folder = root / f"{scenario}-{seed}"
            if not folder.exists():
                folder.mkdir()
                writer.write(build(scenario, seed, 0.3), folder, random.Random(f"{scenario}:{seed}:cellebrite"))
            out += sorted(p for p in folder.rglob("*") if p.is_file())
    for size in (7.0, mb):
        if size > 0:
            path = root / f"bench-{size:g}mb.xml"
            if not path.exists():
                write_report(path, int(size * 1024 * 1024))
            out.append(path)
    return out


def snapshot(path: Path) -> Any:
    try:
        result = cellebrite_xml.parse_sequential(path, ParseContext(source_id="src", path=path))
    except FormatError as exc:
        return ("error", str(exc))
    return {spec.name: getattr(result, spec.name) for spec in fields(ParseResult)}


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, pl.DataFrame):
        return a.schema == b.schema and a.equals(b, null_equal=True)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=("dump", "check"))
    p.add_argument("folder", type=Path, help="where the corpus and the record are kept")
    p.add_argument("--mb", type=float, default=0, help="also a generated report of this many MB")
    args = p.parse_args()
    reports = corpus(args.folder / "corpus", args.mb)
    record = args.folder / "record.pickle"
    if args.mode == "dump":
        record.write_bytes(pickle.dumps({str(r): snapshot(r) for r in reports}))
        print(f"recorded {len(reports)} reports in {record}")
        return 0
    before = pickle.loads(record.read_bytes())
    differ = [str(r) for r in reports if str(r) not in before or not same(before[str(r)], snapshot(r))]
    print(f"{len(reports)} reports: " + (f"{len(differ)} differ: {differ}" if differ else "all identical"))
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
