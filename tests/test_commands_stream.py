"""The commands' bounded paths (a case bigger than memory) against their plain rules.

On the generated rejected-ex case (handsets, CDRs, chats; events without a time, ties)
and a small generated huge-CDR case:

* ``atlas timeline`` printed: the count and the page read by streaming scans (a top-k)
  equal the whole filtered timeline collected and sliced, for every filter and page;
* ``atlas timeline --out`` .csv / .jsonl written one time window at a time is the file
  written from the whole timeline collected (events without a time last);
* ``atlas export --to timesketch`` written one time window at a time is the file written
  from every event collected at once, byte for byte (same SHA-256, counts and notes), for
  windows of any size (ties of one time never split);
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from polars.testing import assert_frame_equal

from atlas.exhibits import source_refs, with_exhibit
from atlas.store import Case
from atlas.timeline import filter_events, matching, page, write_bounded, write_frame


def _identifiers(case: Case) -> set[str]:
    return {i for p in case.manifest.parties for i in p.identifiers}


FILTERS: list[Callable[[Case], dict[str, Any]]] = [
    lambda case: {},
    lambda case: {"identifiers": _identifiers(case)},
    lambda case: {"start": datetime(2026, 3, 1, tzinfo=UTC), "end": datetime(2026, 5, 1, tzinfo=UTC)},
    lambda case: {"kinds": ["message"], "channels": ["sms", "whatsapp"]},
]


@pytest.mark.parametrize("which", ["small_demo_case", "small_cdr_case"])
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


def test_atlas_timeline_prints_a_later_page_with_its_place_in_the_total(small_demo_case: Path, atlas: Any) -> None:
    first = atlas("timeline", small_demo_case, "--limit", "5")
    assert first.code == 0 and " more: use --out FILE or --limit" in first.out
    total = Case.open(small_demo_case).events().collect().height
    later = atlas("timeline", small_demo_case, "--limit", "5", "--offset", "10")
    assert later.code == 0
    assert f"showing 11–15 of {total:,}: use --offset, --limit or --out FILE" in later.out
    past = atlas("timeline", small_demo_case, "--offset", str(total + 1))
    assert past.code == 0 and f"none after the first {total:,}" in past.out


@pytest.mark.parametrize("which", ["small_demo_case", "small_cdr_case"])
def test_the_timesketch_document_one_time_window_at_a_time_is_the_whole_document(which: str,
                                                                                  request: pytest.FixtureRequest) -> None:
    from atlas.export.inputs import gather
    from atlas.export.timesketch import build, build_bounded

    case = Case.open(request.getfixturevalue(which))
    ctx = gather(case, include_proposed=False)
    whole = build(case.events().collect(), case.sources(), ctx)
    assert whole.lines > 1_000
    for batch in (300, 10**9):
        bounded = build_bounded(case.events(), case.sources(), ctx, batch=batch)
        assert (bounded.lines, bounded.untimed) == (whole.lines, whole.untimed)
        assert "".join(bounded.chunks) == whole.text
    assert which != "small_demo_case" or whole.untimed  # the demo case has records without a time


@pytest.mark.parametrize("which", ["small_demo_case", "small_cdr_case"])
def test_atlas_export_timesketch_writes_the_plain_rules_bytes(which: str, request: pytest.FixtureRequest,
                                                              tmp_path: Path) -> None:
    from atlas.export.run import export

    case = Case.open(request.getfixturevalue(which))
    plain = export(case, "timesketch", tmp_path / "plain.jsonl", plain=True, unverified=True)
    bounded = export(case, "timesketch", tmp_path / "bounded.jsonl", unverified=True)
    assert (tmp_path / "plain.jsonl").read_bytes() == (tmp_path / "bounded.jsonl").read_bytes()
    assert (bounded.sha256, bounded.counts, bounded.notes) == (plain.sha256, plain.counts, plain.notes)


@pytest.mark.parametrize("which", ["small_demo_case", "small_cdr_case"])
@pytest.mark.parametrize("how", range(len(FILTERS)))
def test_the_timeline_file_one_time_window_at_a_time_is_the_whole_timelines(which: str, how: int, tmp_path: Path,
                                                                             request: pytest.FixtureRequest) -> None:
    case = Case.open(request.getfixturevalue(which))
    criteria = FILTERS[how](case)
    refs = source_refs(case)
    whole = with_exhibit(filter_events(case.events(), **criteria).collect(), refs)
    for suffix in (".csv", ".jsonl"):
        write_frame(whole, tmp_path / f"plain{suffix}")
        for batch in (250, 10**9):
            n = write_bounded(filter_events(case.events(), **criteria), refs, tmp_path / f"b{batch}{suffix}", batch=batch)
            assert n == whole.height
            assert (tmp_path / f"b{batch}{suffix}").read_bytes() == (tmp_path / f"plain{suffix}").read_bytes()
    assert how != 0 or which != "small_demo_case" or whole.get_column("ts_utc").null_count()  # events without a time, last
