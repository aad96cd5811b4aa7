"""The s2A clock: calendar months, month ends, leap years, UK dates across clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from atlas.conduct.time_limit import add_calendar_months, deadline_for, local_date, s2a_clock
from atlas.rules import load_rules


@pytest.mark.parametrize(("last", "deadline"), [
    (date(2026, 8, 31), date(2027, 2, 28)),   # no 31 February: the month's last day
    (date(2027, 8, 31), date(2028, 2, 29)),   # leap year
    (date(2027, 8, 29), date(2028, 2, 29)),
    (date(2027, 8, 30), date(2028, 2, 29)),
    (date(2026, 8, 28), date(2027, 2, 28)),
    (date(2026, 7, 1), date(2027, 1, 1)),     # across the year end
    (date(2026, 3, 31), date(2026, 9, 30)),   # 30-day month
    (date(2026, 12, 31), date(2027, 6, 30)),
    (date(2028, 2, 29), date(2028, 8, 29)),   # from a leap day
    (date(2026, 2, 28), date(2026, 8, 28)),   # corresponding date, not month end
    (date(2026, 1, 15), date(2026, 7, 15)),
])
def test_six_calendar_months_end_on_the_corresponding_date_or_the_months_last_day(last: date, deadline: date) -> None:
    limit = load_rules().time_limit_for("pha-s2a")
    assert limit.months == 6
    assert deadline_for(last, limit) == deadline
    assert add_calendar_months(last, 6) == deadline


def test_either_way_offences_have_no_deadline() -> None:
    rules = load_rules()
    assert deadline_for(date(2026, 8, 31), rules.time_limit_for("pha-s4a")) is None


@pytest.mark.parametrize(("utc", "uk"), [
    ("2026-06-30T23:30:00", date(2026, 7, 1)),    # 00:30 BST on 1 July is 30 June in UTC
    ("2026-07-01T22:59:59", date(2026, 7, 1)),    # 23:59:59 BST
    ("2026-07-01T23:00:00", date(2026, 7, 2)),    # midnight BST
    ("2026-03-28T23:30:00", date(2026, 3, 28)),   # GMT, the night before the clocks go forward
    ("2026-03-29T00:30:00", date(2026, 3, 29)),   # 00:30 GMT on the change day
    ("2026-03-29T23:30:00", date(2026, 3, 30)),   # first BST midnight: 00:30 BST on 30 March
    ("2026-10-24T23:30:00", date(2026, 10, 25)),  # 00:30 BST on the day the clocks go back
    ("2026-10-25T00:30:00", date(2026, 10, 25)),  # 01:30 BST, the first of the repeated hour
    ("2026-10-25T01:30:00", date(2026, 10, 25)),  # 01:30 GMT, the second
    ("2026-10-25T23:30:00", date(2026, 10, 25)),  # GMT again: 23:30 on 25 October
    ("2026-12-31T23:59:59", date(2026, 12, 31)),  # GMT = UTC in winter
])
def test_the_last_incident_is_dated_by_the_uk_local_calendar(utc: str, uk: date) -> None:
    assert local_date(datetime.fromisoformat(utc).replace(tzinfo=UTC)) == uk


def test_a_naive_time_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError):
        local_date(datetime(2026, 7, 1, 0, 30))


def test_the_third_parties_deadline_runs_from_the_uk_date_not_the_utc_date() -> None:
    last = local_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    clock = s2a_clock(load_rules(), last_incident=last, as_of=date(2026, 12, 15), as_of_basis="test",
                      charge_date=date(2026, 12, 15), warn_days=28)
    assert clock.deadline == date(2027, 1, 1)   # 30 June + 6 months would wrongly be 30 December
    assert clock.days_left == 17
    assert clock.in_time is True


def test_the_clock_counts_days_left_from_as_of_and_from_the_charge_date() -> None:
    clock = s2a_clock(load_rules(), last_incident=date(2026, 8, 31), as_of=date(2026, 11, 22), as_of_basis="test",
                      charge_date=date(2027, 2, 26), warn_days=28)
    data = clock.to_json()
    assert data["deadline"] == "2027-02-28"
    assert data["days_left"] == 98
    assert data["in_time_as_of"] is True
    assert data["days_left_at_charge_date"] == 2
    assert data["in_time_at_charge_date"] is True
    assert data["in_time"] is True and data["in_time_basis"] == "planned charge date in case.toml"
    assert "Magistrates' Courts Act 1980 s127" in data["rule"] and "DPP v Baker [2004] EWHC 2782 (Admin)" in data["rule"]
    assert "not legal advice" in data["notice"]
    assert any("only 2 days before the deadline" in w for w in data["warnings"])


def test_the_deadline_day_itself_is_in_time_and_the_day_after_is_not() -> None:
    rules = load_rules()
    on = s2a_clock(rules, last_incident=date(2026, 8, 31), as_of=date(2027, 2, 28), as_of_basis="t",
                   charge_date=None, warn_days=28)
    after = s2a_clock(rules, last_incident=date(2026, 8, 31), as_of=date(2027, 3, 1), as_of_basis="t",
                      charge_date=None, warn_days=28)
    assert (on.in_time, on.days_left) == (True, 0)
    assert (after.in_time, after.days_left) == (False, -1)
    assert any("out of time" in w for w in after.warnings)
    assert on.in_time_basis.startswith("as of 2027-02-28")


def test_a_charge_date_after_the_deadline_is_out_of_time_and_said_so() -> None:
    clock = s2a_clock(load_rules(), last_incident=date(2026, 3, 9), as_of=date(2026, 6, 1), as_of_basis="t",
                      charge_date=date(2026, 12, 1), warn_days=28)
    assert clock.deadline == date(2026, 9, 9)
    assert clock.in_time_as_of is True and clock.in_time_at_charge_date is False and clock.in_time is False
    assert any("after the deadline" in w for w in clock.warnings)


def test_near_deadline_warning_uses_the_configured_threshold() -> None:
    rules = load_rules()
    near = s2a_clock(rules, last_incident=date(2026, 8, 31), as_of=date(2027, 2, 1), as_of_basis="t",
                     charge_date=None, warn_days=28)
    quiet = s2a_clock(rules, last_incident=date(2026, 8, 31), as_of=date(2027, 2, 1), as_of_basis="t",
                      charge_date=None, warn_days=7)
    assert near.days_left == 27
    assert any("deadline near: 27 days left" in w for w in near.warnings)
    assert not any("deadline near" in w for w in quiet.warnings)


def test_two_threat_occasions_point_to_s4a_which_has_no_time_limit() -> None:
    rules = load_rules()
    one = s2a_clock(rules, last_incident=date(2026, 8, 31), as_of=date(2026, 9, 1), as_of_basis="t",
                    charge_date=None, warn_days=28, threat_occasions=1)
    two = s2a_clock(rules, last_incident=date(2026, 8, 31), as_of=date(2026, 9, 1), as_of_basis="t",
                    charge_date=None, warn_days=28, threat_occasions=2)
    assert not any("s4A" in w for w in one.warnings)
    s4a = [w for w in two.warnings if "s4A" in w]
    assert len(s4a) == 1 and "no such time limit" in s4a[0] and "s127(2)" in s4a[0]


def test_no_incident_gives_no_clock_and_says_why() -> None:
    clock = s2a_clock(load_rules(), last_incident=None, as_of=date(2026, 9, 1), as_of_basis="t",
                      charge_date=date(2026, 12, 1), warn_days=28)
    assert clock.deadline is None and clock.in_time is None
    assert clock.warnings == ["no incident in the data: the s2A clock cannot be computed"]
