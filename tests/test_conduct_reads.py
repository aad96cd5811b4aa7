"""The conduct analysis reads only the columns it uses (speed paths): the contacts it selects
and the device records it reads are those of the plain rule, which reads every column of
the store's records, in both identity views, on the generated rejected-ex case and on a
case with positions inside an exclusion zone and a number only proposed as the suspect's."""

from __future__ import annotations

from pathlib import Path

import pytest
from polars.testing import assert_frame_equal
from test_conduct_deferred import _case

from atlas.conduct.locations import device_records
from atlas.conduct.options import ConductOptions
from atlas.conduct.parties import build_cast
from atlas.conduct.selection import contact_events, select_contacts
from atlas.conduct.threats import load_lexicon
from atlas.store import Case


def _check(case: Case, proposed: bool) -> tuple[int, int]:
    options = ConductOptions()
    cast = build_cast(case, suspect=options.suspect, targets=tuple(options.targets),
                      authority_identifiers=tuple(options.authority_identifiers), include_proposed=proposed)
    lexicon, zone = load_lexicon(options.lexicon), case.manifest.timezone
    fast = select_contacts(case, cast, options, zone, lexicon)
    assert_frame_equal(fast, select_contacts(case, cast, options, zone, lexicon, plain=True))
    read = contact_events(case).collect()  # as a recomputation's memo passes them
    assert_frame_equal(select_contacts(case, cast, options, zone, lexicon, events=read), fast)
    parties = {cast.suspect, *cast.victims}
    got = device_records(case, cast, parties, options.cell_serving_radius_m)
    want = device_records(case, cast, parties, options.cell_serving_radius_m, plain=True)
    for a, b in zip(got, want, strict=True):
        assert_frame_equal(a, b)
    return fast.height, got[0].height


@pytest.mark.parametrize("proposed", [False, True])
def test_reads_equal_the_plain_rule_on_the_generated_case(rejected_ex_case: Path, proposed: bool) -> None:
    contacts, positions = _check(Case.open(rejected_ex_case), proposed)
    assert contacts > 0 and positions > 0


@pytest.mark.parametrize("proposed", [False, True])
def test_reads_equal_the_plain_rule_with_zone_visits(tmp_path: Path, proposed: bool) -> None:
    contacts, positions = _check(_case(tmp_path / "c"), proposed)
    assert contacts >= 4 and positions == 2
