"""Breaches counted at once and made as records on first read (``ConductResult.breach_records``):
the count, the contacts and zone records the analysis uses, and the per-order summaries
come from the contact frames column-wise; they must say exactly what the records say."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from _conduct_cases import HOME, NEW_NUMBER, SUSPECT, VICTIM, make_case, msg, pos

from atlas.conduct import analyse
from atlas.conduct.records import Breach, Deferred
from atlas.exhibits import event_refs, source_refs
from atlas.identity.ledger import ensure_schema, propose
from atlas.review import Review, headline_of

AS_OF = date(2026, 9, 1)
ORDERS = [{"type": "restraining-order", "start": "2026-05-01T09:00:00Z", "reference": "RO-1"},
          {"type": "restraining-order", "start": "2026-05-10T09:00:00Z", "reference": "RO-2"}]


def _case(root: Path):  # type: ignore[no-untyped-def]
    inside = (HOME[0] + 50 / 111_320.0, HOME[1])
    case = make_case(root, {
        SUSPECT: [msg("2026-04-20 10:00", SUSPECT, VICTIM),           # before both orders
                  msg("2026-05-09 20:00", SUSPECT, VICTIM),           # the first order only
                  msg("2026-05-16 20:00", SUSPECT, VICTIM, "again"),  # both orders, same time as a zone visit
                  msg("2026-05-17 08:00", NEW_NUMBER, VICTIM),        # a number only proposed as his
                  pos("2026-05-16 20:00", *inside), pos("2026-05-16 20:05", *inside)],
        VICTIM: [msg("2026-05-09 20:00", SUSPECT, VICTIM)],          # the same contact from her phone
    }, orders=ORDERS)
    with case.db() as con:
        ensure_schema(con)
        propose(case, con, SUSPECT, NEW_NUMBER, "subscriber-record", reason="test", support=[], score=None,
                origin="test")
    return case


@pytest.mark.parametrize("view", ["confirmed", "with_proposed"])
def test_deferred_breaches_say_what_their_records_say(tmp_path: Path, view: str) -> None:
    case = _case(tmp_path / "c")
    confirmed = analyse(case, as_of=AS_OF, include_proposed=True)
    result = confirmed if view == "confirmed" else confirmed.with_proposed
    assert result is not None
    assert headline_of(result).breaches == result.breach_count
    assert not result.breach_records.made  # counting them made no record
    records = result.breaches
    assert result.breach_records.made and len(records) == result.breach_count
    kinds = [b.kind for b in records]
    assert kinds.count("exclusion-zone") == 2 and kinds.count("contact") == (5 if view == "with_proposed" else 3)
    # time order, then kind, then order: the plain rule's sort of its rows
    assert [(b.ts, b.kind, b.order) for b in records] == sorted((b.ts, b.kind, b.order) for b in records)
    # each record is the plain rule's record of its row, named by its exhibits
    refs = source_refs(case)
    for b in records:
        assert b.exhibits == event_refs(refs, b.event_ids)
        assert Breach.of(b.to_json(), b.exhibits) == b
    # the per-order counts and the incidents' breach flags come from the same frames
    for summary in result.orders:
        mine = [b for b in records if b.order == summary.order]
        assert summary.contact_breaches == sum(1 for b in mine if b.kind == "contact")
        assert summary.zone_breaches == sum(1 for b in mine if b.kind == "exclusion-zone")
        assert summary.by_identifier_status == {
            s: sum(1 for b in mine if b.kind == "contact" and b.identifier_status == s)
            for s in ("attributed", "confirmed", "proposed")}
    flagged = {e for i in result.incidents if i.breach for e in i.event_ids}
    assert {e for b in records for e in b.event_ids} <= flagged


def test_review_headline_counts_breaches_without_making_them(tmp_path: Path) -> None:
    review = Review(_case(tmp_path / "c"), as_of=AS_OF)
    assert review.headline().breaches == 5  # 3 contacts (one in both orders) and 2 zone visits
    assert not review.conduct().breach_records.made
    assert len(review.conduct().breaches) == 5


def test_deferred_makes_once_and_checks_its_count() -> None:
    made: list[int] = []

    def make() -> tuple[int, ...]:
        made.append(1)
        return (1, 2, 3)

    d = Deferred(3, make)
    assert len(d) == 3 and not made
    assert d.get() == (1, 2, 3) and d.get() == (1, 2, 3) and made == [1]
    with pytest.raises(AssertionError, match="2 records made where 3 were counted"):
        Deferred(3, lambda: (1, 2)).get()
    assert Deferred.of([4, 5]).get() == (4, 5)
