"""Where an ingest spends its time, per source and step (what the end-to-end benchmark reports).

:func:`atlas.ingest.step_times` only observes: the outcomes are the same with it as without,
and nothing is recorded outside it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from test_cellebrite_xml import REPORT

from atlas import ingest as ingest_module
from atlas.ingest import IngestOptions, ingest, step_times
from atlas.store import Case

SAMPLE = "test_ddmmyy_24hrs.txt"


def _case(tmp_path: Path, name: str, atlas: Callable[..., object]) -> Case:
    root = tmp_path / name
    assert atlas("init", root).code == 0  # type: ignore[attr-defined]
    return Case.open(root)


def test_each_source_gets_its_steps_and_the_outcomes_do_not_change(
        tmp_path: Path, whatsapp_samples: Path, atlas: Callable[..., object]) -> None:
    report = tmp_path / "report.xml"
    report.write_text(REPORT, encoding="utf-8")
    chat = whatsapp_samples / SAMPLE
    opts = IngestOptions(owner="suspect")
    timed_case, plain_case = _case(tmp_path, "timed", atlas), _case(tmp_path, "plain", atlas)
    with step_times() as times:
        timed = [ingest(timed_case, [path], opts) for path in (chat, report)]
    plain = [ingest(plain_case, [path], opts) for path in (chat, report)]
    assert [[o.__dict__ for o in batch] for batch in timed] == [[o.__dict__ for o in batch] for batch in plain]

    by_parser = {entry["parser"]: entry["steps"] for entry in times.values()}
    assert set(by_parser) == {"whatsapp-text", "cellebrite-xml"}
    for steps in by_parser.values():
        assert set(steps) == {"hash", "detect", "parse", "normalise", "hash after", "store write"}
        assert all(wall >= 0 and cpu >= 0 for wall, cpu in steps.values())
    assert ingest_module._step_times is None  # recording ends with the block
