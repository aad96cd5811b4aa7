"""Every parser's declaration holds: its evidence category and channels are typed and
complete, and its declared sample counts are what the whole ingest gives on the samples.

One harness for all parsers (plaso's tests assert counts, no warnings and exact values on
real files): adding a parser means adding its declaration, and this test checks it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import parsers
from atlas.ingest import IngestOptions, ingest_file
from atlas.model import Channel, EvidenceCategory
from atlas.store import Case
from fixtures.generate import generate
from parsers.base import ParseContext, ParserInfo, SampleCount
from reports.style import CHANNEL_COLOURS

COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")
NOT_SOURCES = ("SOURCES.md", "target.json")


def declared() -> list[tuple[str, SampleCount]]:
    return [(p.INFO.name, s) for p in parsers.all_parsers() for s in p.INFO.sample_counts]


def sample_files(samples: Path) -> set[str]:
    return {str(p.relative_to(samples)) for p in samples.rglob("*") if p.is_file()
            and not p.name.endswith(COMPANION_SUFFIXES) and p.name not in NOT_SOURCES and p.parent.name != "google-location-schemas"}


@pytest.mark.parametrize(("name", "count"), declared(), ids=[f"{n}:{s.sample}" for n, s in declared()])
def test_each_declared_sample_gives_its_declared_counts_and_first_record(
        name: str, count: SampleCount, samples: Path, case_dir: Path) -> None:
    path = samples / count.sample
    before = path.read_bytes()
    assert parsers.detect(path).INFO.name == name
    outcome, staged = ingest_file(Case.open(case_dir), path, IngestOptions(region=count.region))
    assert staged is not None and outcome.parser == name
    assert (outcome.records_read, outcome.events, outcome.rejects) == (count.records, count.events, count.rejects)
    first = staged.events.row(0, named=True)
    when = first["ts_utc"].isoformat() if first["ts_utc"] is not None else None
    assert (first["source_ref"], when) == (count.first_ref, count.first_ts)
    assert path.read_bytes() == before


def test_every_public_sample_is_declared_by_the_parser_that_reads_it(samples: Path) -> None:
    assert sample_files(samples) == {s.sample for _, s in declared()}


def test_a_parser_that_forgets_its_category_channels_or_samples_fails_at_import() -> None:
    info = parsers.by_name("ios-sms").INFO
    with pytest.raises(TypeError, match="category must be an EvidenceCategory"):
        replace(info, category="handset download")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="channels must be a non-empty set of Channel values"):
        replace(info, channels=frozenset({"sms"}))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="channels must be a non-empty set"):
        replace(info, channels=frozenset())
    with pytest.raises(TypeError, match="declare sample_counts, or say in no_public_sample why"):
        replace(info, sample_counts=())
    with pytest.raises(TypeError):
        ParserInfo(name="x", version="1", description="d", detects="d")  # type: ignore[call-arg]


def test_every_channel_a_parser_declares_has_its_own_colour() -> None:
    declared_channels = {c for p in parsers.all_parsers() for c in p.INFO.channels} - {Channel.OTHER_APP}
    assert declared_channels - set(CHANNEL_COLOURS) == set()
    assert {p.INFO.category for p in parsers.all_parsers()} == set(EvidenceCategory)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, dict[str, object]]]:
    out = []
    for scenario in ("rejected-ex", "time-limit"):
        root = tmp_path_factory.mktemp(scenario)
        generate(scenario, 1, 0.2, root / "case")
        truth = json.loads((root / "case" / "truth.json").read_text(encoding="utf-8"))
        out += [(root / "case" / s["path"], s) for s in truth["sources"]]
    return out


def test_parsers_write_only_the_channels_they_declare(samples: Path,
                                                     generated: list[tuple[Path, dict[str, object]]]) -> None:
    files = [(samples / s.sample, name, {}) for name, s in declared()]
    files += [(path, str(src["parser"]), dict(src.get("options") or {})) for path, src in generated]  # type: ignore[call-overload]
    written: dict[str, set[str]] = {}
    for path, name, options in files:
        result = parsers.by_name(name).parse(path, ParseContext(source_id="s", path=path, options=options))
        if "channel" in result.events.columns:
            written.setdefault(name, set()).update(result.events.get_column("channel").drop_nulls().to_list())
    assert len(written) >= 20
    for name, channels in written.items():
        info = parsers.by_name(name).INFO
        known = {c for c in channels if c in set(Channel)}
        assert known <= info.channels, (name, known - info.channels)
        if Channel.OTHER_APP not in info.channels:
            assert channels == known, (name, channels - known)
