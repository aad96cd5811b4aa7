"""Outputs that want a record's exhibit alone read it from the record as data (exhibit and place
apart, :class:`atlas.exhibits.RecordRef`), never by cutting the formatted ``JA/7, row 4`` at its
first comma: an exhibit prefix or a place may hold a comma, a semicolon or a double quote.

Each test here failed before: the per-exhibit counts of a possible co-location or breach, the MG6C
schedule's exhibit column (decided messages, co-locations, breaches), the chart's label of a
confirmed co-location and the order of a served table's ``exhibits`` cell all cut the text."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from typing import Any

from atlas.conduct.analysis import _records, _with_victim_exhibits
from atlas.conduct.possible_breaches import BreachReview
from atlas.conduct.possible_colocations import ColocationMark, PossibleColocation, key_of
from atlas.conduct.records import Colocation, PossibleBreach
from atlas.conduct.reviewed import per_exhibit
from atlas.exhibits import RecordRef, record_key, split_list
from reports.build import _flat_rows
from reports.decided import Decided, DecidedMessage
from reports.figures import exhibits_short
from reports.unused import breach_rows, colocation_rows, decision_rows

HIS, HERS, ODD = "a1a1a1a1a1a1a1a1", "b2b2b2b2b2b2b2b2", "c3c3c3c3c3c3c3c3"
REFS = {HIS: "AB, CD/7", HERS: "AB, CD/12", ODD: 'X;"Y/3'}
"""Exhibit references as an officer's prefix makes them: one with a comma, one with ``;`` and ``"``."""
T0 = datetime(2026, 5, 1, 20, 0, tzinfo=UTC)


def _coloc_row(**extra: Any) -> dict[str, Any]:
    return {"kind": "victim-location", "place": None, "start": T0.isoformat(), "end": T0.isoformat(),
            "date": "2026-05-01", "event_ids": [f"{HIS}/row 4", f"{HIS}/Sheet 1, row 5", f"{ODD}/row 1"],
            "points": 3, "min_distance_m": 40.0, "certainty": "possible: accuracy not stated", "precision": "gps",
            "channels": ["location"], "lat": 51.5, "lon": -0.1, "max_time_apart_s": 60,
            "victim_event_ids": [f"{HERS}/row 9"], **extra}


def _colocation() -> Colocation:
    (c,) = _records(Colocation.of, _with_victim_exhibits([_coloc_row()], REFS), REFS)
    return c


def _possible_breach() -> PossibleBreach:
    row = {"order": "ORDER-1", "kind": "zone", "ts": T0.isoformat(), "end": T0.isoformat(), "place": "Home",
           "event_ids": [f"{ODD}/row 1", f"{HIS}/row 4", f"{HIS}/Sheet 1, row 5"], "min_distance_m": 80.0,
           "certainty": "possible: straddles", "precision": "gps", "basis": "accuracy circle straddles the zone"}
    (p,) = _records(PossibleBreach.of, [row], REFS)
    return p


def test_a_possible_colocation_counts_its_records_per_exhibit_whole() -> None:
    """``AB, CD/7, row 4`` was counted under ``AB``: his two records of AB, CD/7 read "AB ×2"."""
    c = _colocation()
    assert c.exhibits == ("AB, CD/7, row 4", "AB, CD/7, Sheet 1, row 5", 'X;"Y/3, row 1')  # the served text unchanged
    # an exhibit's one record is named whole (a bare 'X;"Y/3' gave no place in it); the groups are one served list
    assert PossibleColocation(c, key_of(c)).records_by_exhibit() == 'AB, CD/7 ×2; "X;""Y/3, row 1" / AB, CD/12, row 9'


def test_a_possible_breach_counts_its_records_per_exhibit_whole() -> None:
    review = BreachReview(possible=_possible_breach(), key="k" * 32, day=date(2026, 5, 1))
    assert review.records_by_exhibit() == '"X;""Y/3, row 1"; AB, CD/7 ×2'
    assert split_list(review.records_by_exhibit()) == ['X;"Y/3, row 1', "AB, CD/7 ×2"]


def test_an_exhibit_s_single_record_is_named_by_its_full_reference() -> None:
    """Reviewers' note s17: a possible breach resting on one record of JA/9 read 'JA/9', which names no
    place in the exhibit; several records of one exhibit stay counted."""
    one = per_exhibit([RecordRef("JA/9", "row 12")])
    assert one == "JA/9, row 12"
    assert per_exhibit([RecordRef("JA/11", "row 1"), RecordRef("JA/9", "row 12"), RecordRef("JA/11", "row 4")]) == \
        "JA/11 ×2; JA/9, row 12"
    assert per_exhibit([RecordRef("JA/3")]) == "JA/3" and per_exhibit([]) == "-"


def test_the_unused_schedule_names_each_row_s_exhibit_whole() -> None:
    """The MG6C's exhibit column held ``AB`` for a record of ``AB, CD/7`` (and ``X;"Y/3`` cut nothing
    only by luck): each row names the exhibit its first record is in."""
    c = _colocation()
    (co,) = colocation_rows([PossibleColocation(c, key_of(c))])
    assert co["exhibit"] == "AB, CD/7"
    assert co["relative_location"] == "AB, CD/7, row 4; AB, CD/12, row 9; and 2 more"  # his first, hers first
    (br,) = breach_rows([BreachReview(possible=_possible_breach(), key="k" * 32, day=date(2026, 5, 1))])
    assert br["exhibit"] == 'X;"Y/3'
    # the records, a '; ' list, stand in their own sentence (after '; records …; decision' one could not tell them apart)
    assert 'Records: "X;""Y/3, row 1"; AB, CD/7 ×2. Decision: no officer has yet' in br["description"]
    assert "Records: AB, CD/7 ×2; " in co["description"]
    quoted = DecidedMessage("T1", "threat", "occasion", None, None, None, "01/05/2026 21:00 BST", "SMS", "Dan", "Sue",
                            "words", "AB, CD/7, sms rowid 4", "AB, CD/7, sms rowid 4", "threat words (harm)",
                            record=RecordRef("AB, CD/7", "sms rowid 4"))
    (dm,) = decision_rows(Decided(threats=(quoted,)))
    assert dm["exhibit"] == "AB, CD/7" and dm["relative_location"] == "AB, CD/7, sms rowid 4"


def test_the_chart_labels_a_confirmed_colocation_by_its_exhibits_whole() -> None:
    assert exhibits_short(ColocationMark("confirmed", _colocation())) == 'AB, CD/7, X;"Y/3 / AB, CD/12'


def test_a_served_table_lists_a_finding_s_records_in_exhibit_order_read_as_data() -> None:
    """Cut at the first comma, ``AB, CD/12, call 1`` and ``AB, CD/7, sms 1`` were both exhibit ``AB``
    with places ``CD/12, call 1`` and ``CD/7, sms 1``: sorted by those words, JA/12 came before JA/7."""
    item = {"event_ids": [f"{HERS}/call 1", f"{HIS}/sms 1"], "exhibits": ["AB, CD/12, call 1", "AB, CD/7, sms 1"]}
    frame = _flat_rows([item], REFS)
    (cell,) = frame.get_column("exhibits").to_list()
    assert next(csv.reader([cell], delimiter=";", skipinitialspace=True)) == ["AB, CD/7, sms 1", "AB, CD/12, call 1"]
    assert sorted([RecordRef("AB, CD/12", "call 1"), RecordRef("AB, CD/7", "sms 1"), RecordRef("AB, CD/7", "row 10"),
                   RecordRef("AB, CD/7", "row 9")], key=record_key) == [
        RecordRef("AB, CD/7", "row 9"), RecordRef("AB, CD/7", "row 10"), RecordRef("AB, CD/7", "sms 1"),
        RecordRef("AB, CD/12", "call 1")]


def test_a_place_with_a_comma_keeps_its_records_apart_and_in_order() -> None:
    """A place holding a comma (a row of a named sheet) is one place, read as data."""
    item = {"event_ids": [f"{HIS}/row 10, sheet B", f"{HIS}/row 9, sheet B", f'{ODD}/a;"b"'],
            "exhibits": ["AB, CD/7, row 10, sheet B", "AB, CD/7, row 9, sheet B", 'X;"Y/3, a;"b"']}
    (cell,) = _flat_rows([item], REFS).get_column("exhibits").to_list()
    assert split_list(cell) == ["AB, CD/7, row 9, sheet B", "AB, CD/7, row 10, sheet B", 'X;"Y/3, a;"b"']


def test_an_exhibit_prefix_with_a_slash_keeps_its_number_in_every_order() -> None:
    """A reference is ``<prefix>/<number>``: cut at its first ``/``, ``OP/JA/10`` read as prefix ``OP``
    and no number, so the statement's, the schedule's and the workbench's exhibit lists lost their order."""
    import polars as pl

    from atlas.exhibits import exhibit_key, exhibit_sort_keys
    from reports.statement import _ref_key as statement_key
    from reports.unused import _ref_key as unused_key

    refs = ["OP/JA/10", "OP/JA/9", "OP/JA/2", "AB/3"]
    ordered = ["AB/3", "OP/JA/2", "OP/JA/9", "OP/JA/10"]
    assert exhibit_key("OP/JA/10") == ("OP/JA", 10)
    for key in (exhibit_key, statement_key, unused_key):
        assert sorted(refs, key=key) == ordered
    assert pl.DataFrame({"exhibit": refs}).sort(exhibit_sort_keys(), maintain_order=True)["exhibit"].to_list() == ordered


def test_the_records_as_data_are_not_in_a_finding_s_json() -> None:
    """The JSON keeps the exhibit references as text (``exhibits``), whatever the co-location's kind."""
    from dataclasses import replace

    c = _colocation()
    for kind in ("victim-location", "protected-place", "a kind with no declared keys"):
        data = replace(c, kind=kind).to_json()
        assert "records" not in data and "victim_records" not in data and data["exhibits"] == list(c.exhibits)
    assert "records" not in _possible_breach().to_json()
