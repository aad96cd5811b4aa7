"""The commands' bounded paths (a case bigger than memory) against their plain rules.

On the generated rejected-ex case (handsets, CDRs, chats; events without a time, ties)
and a small generated huge-CDR case:

* ``atlas timeline`` printed: the count and the page read by streaming scans (a top-k)
  equal the whole filtered timeline collected and sliced, for every filter and page;
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from polars.testing import assert_frame_equal

from atlas.demo import ingest_generated
from atlas.ingest import IngestOptions
from atlas.store import Case
from atlas.stream.ingest import ingest_bounded
from atlas.timeline import filter_events, matching, page
from fixtures.generate import generate
from fixtures.huge_cdr import write_case


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("commands-stream") / "demo"
    generate("rejected-ex", 1, 0.05, root)
    ingest_generated(root)
    return root


@pytest.fixture(scope="module")
def cdr_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("commands-stream") / "cdr"
    write_case(root, 6_000, file_rows=1_500)
    ingest_bounded(Case.open(root), [root / "sources"], IngestOptions())
    return root


def _identifiers(case: Case) -> set[str]:
    return {i for p in case.manifest.parties for i in p.identifiers}


FILTERS: list[Callable[[Case], dict[str, Any]]] = [
    lambda case: {},
    lambda case: {"identifiers": _identifiers(case)},
    lambda case: {"start": datetime(2026, 3, 1, tzinfo=UTC), "end": datetime(2026, 5, 1, tzinfo=UTC)},
    lambda case: {"kinds": ["message"], "channels": ["sms", "whatsapp"]},
]


@pytest.mark.parametrize("which", ["demo_case", "cdr_case"])
@pytest.mark.parametrize("how", range(len(FILTERS)))
def test_the_printed_timeline_page_equals_the_whole_timeline_sliced(which: str, how: int,
                                                                    request: pytest.FixtureRequest) -> None:
    case = Case.open(request.getfixturevalue(which))
    criteria = FILTERS[how](case)
    whole = filter_events(case.events(), **criteria).collect()
    for offset, limit in ((0, 100), (0, 0), (37, 250), (max(whole.height - 5, 0), 100), (whole.height + 3, 10)):
        bounded = page(filter_events(case.events(), **criteria), matching(case.events(), **criteria), offset, limit)
        plain = page(filter_events(case.events(), **criteria), matching(case.events(), **criteria), offset, limit,
                     plain=True)
        assert bounded[0] == plain[0] == whole.height
        assert_frame_equal(bounded[1], plain[1])
    assert how != 0 or whole.height > 1_000


def test_atlas_timeline_prints_a_later_page_with_its_place_in_the_total(demo_case: Path, atlas: Any) -> None:
    first = atlas("timeline", demo_case, "--limit", "5")
    assert first.code == 0 and " more: use --out FILE or --limit" in first.out
    total = Case.open(demo_case).events().collect().height
    later = atlas("timeline", demo_case, "--limit", "5", "--offset", "10")
    assert later.code == 0
    assert f"showing 11–15 of {total:,}: use --offset, --limit or --out FILE" in later.out
    past = atlas("timeline", demo_case, "--offset", str(total + 1))
    assert past.code == 0 and f"none after the first {total:,}" in past.out
