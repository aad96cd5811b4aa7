"""The s2A clock: calendar months, month ends, leap years, UK dates across clock changes."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from atlas.conduct.time_limit import (
    LastIncident,
    S2AState,
    S2AVerdict,
    add_calendar_months,
    deadline_for,
    local_date,
    s2a_verdict,
)
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


def _verdict(last: date | None, charge: date | None, as_of: date | None, **kw: object) -> S2AVerdict:
    return s2a_verdict(load_rules(), last_incident=LastIncident(last) if last else None, charge_date=charge,
                       as_of=as_of, as_of_basis="test", **kw)  # type: ignore[arg-type]


D = date
S = S2AState
HEADLINES = {
    S.IN_TIME: r"in time: (\d+ days? left|today is the last day) \(last day ",
    S.IN_TIME_IF_LAID_BY_PLANNED_DATE: r"in time on the planned date \d\d/\d\d/\d{4}, \d+ days? before the deadline",
    S.PLANNED_DATE_PASSED: r"planned date \d\d/\d\d/\d{4} passed, still in time: ",
    S.PLANNED_DATE_AFTER_DEADLINE: r"planned date \d\d/\d\d/\d{4} after the deadline, by \d+ days?",
    S.EXPIRED: r"expired on \d\d/\d\d/\d{4}: the last day to lay an information was [A-Z][a-z]+day ",
    S.NOT_ASSESSED: r"not assessed \(no as-of date\): last day [A-Z][a-z]+day ",
    S.NO_INCIDENT: r"no incident: ",
}


@pytest.mark.parametrize(("last", "charge", "as_of", "state", "deadline", "days_left"), [
    # month ends: 31 August + 6 months = 28 February (29 in a leap year); the day itself and the day after
    (D(2026, 8, 31), None, D(2027, 2, 27), S.IN_TIME, D(2027, 2, 28), 1),
    (D(2026, 8, 31), None, D(2027, 2, 28), S.IN_TIME, D(2027, 2, 28), 0),
    (D(2026, 8, 31), None, D(2027, 3, 1), S.EXPIRED, D(2027, 2, 28), -1),
    (D(2027, 8, 31), None, D(2028, 2, 29), S.IN_TIME, D(2028, 2, 29), 0),       # leap year
    (D(2027, 8, 31), None, D(2028, 3, 1), S.EXPIRED, D(2028, 2, 29), -1),
    (D(2027, 8, 29), None, D(2028, 2, 28), S.IN_TIME, D(2028, 2, 29), 1),
    (D(2028, 2, 29), None, D(2028, 8, 29), S.IN_TIME, D(2028, 8, 29), 0),       # from 29 February
    (D(2028, 2, 29), None, D(2028, 8, 30), S.EXPIRED, D(2028, 8, 29), -1),
    (D(2026, 3, 31), None, D(2026, 9, 30), S.IN_TIME, D(2026, 9, 30), 0),       # 30-day month
    (D(2026, 3, 31), None, D(2026, 10, 1), S.EXPIRED, D(2026, 9, 30), -1),
    (D(2026, 12, 31), None, D(2027, 6, 30), S.IN_TIME, D(2027, 6, 30), 0),      # across the year end
    # as-of before, on and after the planned date, and the deadline (the issue's case: 28/02/2027)
    (D(2026, 8, 31), D(2027, 2, 26), D(2026, 11, 22), S.IN_TIME_IF_LAID_BY_PLANNED_DATE, D(2027, 2, 28), 98),
    (D(2026, 8, 31), D(2027, 2, 26), D(2027, 2, 26), S.IN_TIME_IF_LAID_BY_PLANNED_DATE, D(2027, 2, 28), 2),
    (D(2026, 8, 31), D(2027, 2, 26), D(2027, 2, 27), S.PLANNED_DATE_PASSED, D(2027, 2, 28), 1),
    (D(2026, 8, 31), D(2027, 2, 26), D(2027, 2, 28), S.PLANNED_DATE_PASSED, D(2027, 2, 28), 0),
    (D(2026, 8, 31), D(2027, 2, 26), D(2027, 3, 1), S.EXPIRED, D(2027, 2, 28), -1),
    (D(2026, 8, 31), D(2027, 2, 28), D(2027, 2, 28), S.IN_TIME_IF_LAID_BY_PLANNED_DATE, D(2027, 2, 28), 0),
    (D(2026, 8, 31), D(2027, 3, 1), D(2027, 2, 1), S.PLANNED_DATE_AFTER_DEADLINE, D(2027, 2, 28), 27),
    (D(2026, 8, 31), D(2027, 3, 1), D(2027, 2, 28), S.PLANNED_DATE_AFTER_DEADLINE, D(2027, 2, 28), 0),
    (D(2026, 8, 31), D(2027, 3, 1), D(2027, 3, 1), S.EXPIRED, D(2027, 2, 28), -1),
    (D(2026, 3, 9), D(2026, 12, 1), D(2026, 6, 1), S.PLANNED_DATE_AFTER_DEADLINE, D(2026, 9, 9), 100),
    (D(2026, 3, 9), D(2026, 12, 1), D(2026, 12, 2), S.EXPIRED, D(2026, 9, 9), -84),
    # no as-of day (a report that must not change daily): the planned date against the deadline only
    (D(2026, 8, 31), D(2027, 2, 26), None, S.IN_TIME_IF_LAID_BY_PLANNED_DATE, D(2027, 2, 28), None),
    (D(2026, 8, 31), D(2027, 3, 1), None, S.PLANNED_DATE_AFTER_DEADLINE, D(2027, 2, 28), None),
    (D(2026, 8, 31), None, None, S.NOT_ASSESSED, D(2027, 2, 28), None),
    (None, D(2027, 2, 26), D(2027, 3, 1), S.NO_INCIDENT, None, None),
])
def test_the_verdict_on_every_date(last: date | None, charge: date | None, as_of: date | None, state: S2AState,
                                   deadline: date | None, days_left: int | None) -> None:
    v = _verdict(last, charge, as_of)
    assert (v.state, v.deadline, v.days_left) == (state, deadline, days_left)
    assert v.to_json()["state"] == state.value and re.match(HEADLINES[state], v.headline), v.headline
    assert v.in_time is (None if as_of is None or deadline is None else as_of <= deadline)
    if state is S.EXPIRED:
        assert deadline is not None and v.expired_on == deadline + timedelta(days=1)
        assert f"expired on {v.expired_on:%d/%m/%Y}" in v.headline and "in time" not in v.headline
    else:
        assert v.expired_on is None


def test_the_issue_case_after_the_deadline_is_expired_not_in_time_by_the_planned_date() -> None:
    """`--as-of 2027-03-01` on a case whose deadline is 28/02/2027 said "in time (planned charge date)"."""
    data = _verdict(D(2026, 8, 31), D(2027, 2, 26), D(2027, 3, 1)).to_json()
    assert (data["state"], data["in_time"], data["days_left"], data["expired_on"]) == ("expired", False, -1, "2027-03-01")
    assert data["in_time_at_charge_date"] is True and data["charge_date_passed"] is True
    assert data["headline"] == ("expired on 01/03/2027: the last day to lay an information was Sunday 28/02/2027 "
                                "(1 day before the as-of date 01/03/2027)")
    assert data["warnings"] == ["out of time as of 01/03/2027: the last day to lay an information for Protection from "
                                "Harassment Act 1997 s2A was Sunday 28/02/2027 (1 day before)"]


@pytest.mark.parametrize(("last", "deadline", "weekday", "closed", "working"), [
    (D(2026, 8, 31), D(2027, 2, 28), "Sunday", "a Sunday", D(2027, 2, 26)),
    (D(2026, 8, 27), D(2027, 2, 27), "Saturday", "a Saturday", D(2027, 2, 26)),
    (D(2026, 6, 25), D(2026, 12, 25), "Friday", "a bank holiday in England and Wales (Christmas Day)", D(2026, 12, 24)),
    (D(2026, 6, 28), D(2026, 12, 28), "Monday", "a bank holiday in England and Wales (Boxing Day (observed))",
     D(2026, 12, 24)),
    (D(2026, 7, 1), D(2027, 1, 1), "Friday", "a bank holiday in England and Wales (New Year's Day)", D(2026, 12, 31)),
    (D(2026, 9, 26), D(2027, 3, 26), "Friday", "a bank holiday in England and Wales (Good Friday)", D(2027, 3, 25)),
    (D(2027, 2, 28), D(2027, 8, 28), "Saturday", "a Saturday", D(2027, 8, 27)),
    (D(2026, 8, 26), D(2027, 2, 26), "Friday", None, D(2027, 2, 26)),
])
def test_a_last_day_on_a_weekend_or_bank_holiday_is_said_and_never_extended(
        last: date, deadline: date, weekday: str, closed: str | None, working: date) -> None:
    v = _verdict(last, None, deadline - timedelta(days=40))
    assert (v.deadline, v.deadline_weekday, v.deadline_not_a_working_day, v.last_working_day) == (
        deadline, weekday, closed, working)
    after = _verdict(last, None, deadline + timedelta(days=1))
    assert after.state is S.EXPIRED   # no extension to the next working day
    note = load_rules().time_limit_for("pha-s2a").last_day_note
    flagged = [w for w in v.warnings if w.startswith("the last day,")]
    if closed:
        assert flagged == [f"the last day, {weekday} {deadline:%d/%m/%Y}, is {closed}: the last working day before it "
                           f"is {working.strftime('%A')} {working:%d/%m/%Y}. {note}"]
        assert f"lay it by {working.strftime('%A')} {working:%d/%m/%Y}" in v.headline
        assert "no extension" in note and "Hill" in note
    else:
        assert not flagged and "lay it by" not in v.headline


def test_after_the_last_working_day_the_headline_says_it_has_passed() -> None:
    v = _verdict(D(2026, 8, 31), D(2027, 2, 26), D(2027, 2, 27))
    assert v.headline == ("planned date 26/02/2027 passed, still in time: 1 day left (last day Sunday 28/02/2027, "
                          "a Sunday; the last working day before it, Friday 26/02/2027, has passed)")


def test_the_verdict_is_frozen_and_the_same_dates_give_the_same_verdict() -> None:
    a, b = _verdict(D(2026, 8, 31), D(2027, 2, 26), D(2027, 2, 27)), _verdict(D(2026, 8, 31), D(2027, 2, 26), D(2027, 2, 27))
    assert a == b and a.to_json() == b.to_json()
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.days_left = 5  # type: ignore[misc]


def test_the_third_parties_deadline_runs_from_the_uk_date_not_the_utc_date() -> None:
    last = local_date(datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    v = _verdict(last, D(2026, 12, 15), D(2026, 12, 15))
    assert v.deadline == date(2027, 1, 1)   # 30 June + 6 months would wrongly be 30 December
    assert v.days_left == 17
    assert v.in_time is True and v.state is S.IN_TIME_IF_LAID_BY_PLANNED_DATE


def test_the_verdict_counts_days_left_from_as_of_and_from_the_charge_date() -> None:
    data = _verdict(D(2026, 8, 31), D(2027, 2, 26), D(2026, 11, 22), warn_days=28).to_json()
    assert data["deadline"] == "2027-02-28" and data["deadline_weekday"] == "Sunday"
    assert data["days_left"] == 98 and data["in_time"] is True
    assert data["days_left_at_charge_date"] == 2 and data["in_time_at_charge_date"] is True
    assert data["charge_date_passed"] is False
    assert "Magistrates' Courts Act 1980 s127" in data["rule"] and "DPP v Baker [2004] EWHC 2782 (Admin)" in data["rule"]
    assert "not legal advice" in data["notice"]
    assert any("only 2 days before the deadline" in w for w in data["warnings"])


def test_near_deadline_warning_uses_the_configured_threshold_and_says_1_day() -> None:
    near = _verdict(D(2026, 8, 31), None, D(2027, 2, 1), warn_days=28)
    quiet = _verdict(D(2026, 8, 31), None, D(2027, 2, 1), warn_days=7)
    one = _verdict(D(2026, 8, 31), None, D(2027, 2, 27), warn_days=1)
    assert near.days_left == 27
    assert any("deadline near: 27 days left" in w for w in near.warnings)
    assert not any("deadline near" in w for w in quiet.warnings)
    assert any("deadline near: 1 day left" in w and "threshold 1 day)" in w for w in one.warnings)


def test_two_threat_occasions_point_to_s4a_which_has_no_time_limit() -> None:
    one = _verdict(D(2026, 8, 31), None, D(2026, 9, 1), threat_occasions=1)
    two = _verdict(D(2026, 8, 31), None, D(2026, 9, 1), threat_occasions=2)
    assert not any("s4A" in w for w in one.warnings)
    s4a = [w for w in two.warnings if "s4A" in w]
    assert len(s4a) == 1 and "no such time limit" in s4a[0] and "s127(2)" in s4a[0] and "2 occasions" in s4a[0]


def test_no_incident_gives_no_clock_and_says_why() -> None:
    v = _verdict(None, D(2026, 12, 1), D(2026, 9, 1))
    assert v.deadline is None and v.in_time is None and v.state is S.NO_INCIDENT
    assert v.warnings == ("no incident in the data: the s2A clock cannot be computed",)
    assert v.headline == "no incident: the s2A clock has not started"
