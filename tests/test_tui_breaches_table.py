"""The workbench's Conduct screen builds its breaches table column-wise from the analysis's
breach rows (``views.breaches_frame``); the plain rule makes a typed :class:`Breach` record
and a Python row per breach (``views.breaches_frame_plain``). They must be the same table:
the same rows, in the same order, with the same text, in every view and on every case
here (contact breaches of two orders, one contact in both, exclusion-zone visits at the
same instant as a contact, a number only proposed as the suspect's, the generated
rejected-ex case)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from _conduct_cases import SUSPECT, VICTIM, make_case, msg
from polars.testing import assert_frame_equal
from test_conduct_deferred import AS_OF, _case

from atlas.review import Review
from atlas.store import Case
from atlas.tui import views


def _same(review: Review) -> int:
    fast = views.breaches_frame(review)
    assert not review.conduct().breach_records.made  # the fast table made no record
    assert_frame_equal(fast, views.breaches_frame_plain(review))
    return fast.height


def test_breaches_table_equals_the_plain_rule(tmp_path: Path) -> None:
    case = _case(tmp_path / "c")
    assert _same(Review(case, as_of=AS_OF)) == 5  # 3 contact breaches (one in both orders), 2 zone visits
    table = views.breaches_frame(Review(case, as_of=AS_OF))
    kinds = table.get_column("kind").to_list()
    assert kinds.count("exclusion-zone") == 2 and kinds.count("contact") == 3
    # a contact's channel as people name it (rejected-ex 63511: the column read "sms")
    assert set(table.filter(table.get_column("kind") == "contact").get_column("how").to_list()) == {"SMS"}


def test_breaches_table_with_a_proposed_number_equals_the_plain_rule(tmp_path: Path) -> None:
    case = _case(tmp_path / "c")
    from atlas.conduct import analyse

    with_proposed = analyse(case, as_of=AS_OF, include_proposed=True).with_proposed
    assert with_proposed is not None and with_proposed.breach_count == 7

    class Proposed(Review):  # the same table over the view with the proposed number
        def conduct(self):  # type: ignore[no-untyped-def]
            return self._cached("conduct-proposed", lambda: analyse(self.case, as_of=AS_OF, include_proposed=True)
                                .with_proposed)

    assert _same(Proposed(case, as_of=AS_OF)) == 7
    rows = views.breaches_frame(Proposed(case, as_of=AS_OF))
    assert rows.filter(rows.get_column("identifier used").str.contains("proposed")).height == 2


def test_breaches_table_of_the_generated_case_equals_the_plain_rule(rejected_ex_case: Path) -> None:
    review = Review(Case.open(rejected_ex_case), as_of=date(2026, 9, 1))
    assert _same(review) == review.conduct().breach_count


def test_no_breaches_gives_the_plain_rules_empty_table(tmp_path: Path) -> None:
    case = make_case(tmp_path / "c", {SUSPECT: [msg("2026-05-09 20:00", SUSPECT, VICTIM)]})  # no order
    review = Review(case, as_of=AS_OF)
    assert review.conduct().breach_count == 0
    assert_frame_equal(views.breaches_frame(review), views.breaches_frame_plain(review))
