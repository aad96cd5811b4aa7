"""The served sentence on an exhibit's positions (MG11 "Points to note about particular exhibits")."""

from __future__ import annotations

import polars as pl

from reports.limitations import _facts, position_note


def _events() -> pl.LazyFrame:
    # 5 positions, 3 with no stated accuracy (a Timeline.json's visits), 2 with one; 1 record with no position
    return pl.LazyFrame({
        "source_id": ["s"] * 6,
        "deleted": [False] * 6,
        "cell_id": [None] * 6,
        "lat": [51.5, 51.5, 51.5, 51.5, 51.5, None],
        "lon": [-0.1, -0.1, -0.1, -0.1, -0.1, None],
        "accuracy_m": [None, None, None, 10.0, 30.0, None],
        "ts_basis": ["utc"] * 6,
        "ts_utc": pl.Series([None] * 6, dtype=pl.Datetime("us", "UTC")),
    }, schema_overrides={"cell_id": pl.String})


def test_the_positions_that_state_no_accuracy_are_counted_and_said() -> None:
    """Covert 62017: "1,003 positions, median stated accuracy 10 m" for JA/13, of which 990 stated no accuracy."""
    row = _facts(_events()).row(0, named=True)
    assert (row["with_position"], row["with_stated_accuracy"], row["accuracy_median"]) == (5, 2, 20.0)
    said = position_note(row["with_position"], row["with_stated_accuracy"], row["accuracy_median"],
                         row["accuracy_over_100"])
    assert said.startswith("5 positions: 3 with no stated accuracy; of the 2 that state one, median 20 m, "
                           "0 worse than 100 m.")
    assert "median stated accuracy" not in said


def test_all_or_none_stated() -> None:
    assert position_note(515, 515, 16.0, 2).startswith(
        "515 positions, median stated accuracy 16 m; 2 with a stated accuracy worse than 100 m.")
    assert position_note(9, 0, None, 0).startswith("9 positions, none with a stated accuracy.")


def test_a_tables_records_count_both_sides_of_a_co_location() -> None:
    """colocations.csv (covert 62017, a confirmed possible co-location): ``records`` 10 beside 10 of his records
    in ``exhibits`` and 3 of hers in ``victim_exhibits``."""
    from reports.build import _flat_rows

    refs = {f"s/{i}": f"JA/5, locations[{i}]" for i in range(3)} | {"v/0": "JA/13, semanticSegments[0].visit"}
    frame = _flat_rows([{"event_ids": ["s/0", "s/1", "s/2"], "victim_event_ids": ["v/0"]},
                        {"event_ids": ["s/0"]}], refs)
    assert frame.get_column("records").to_list() == ["4", "1"]
