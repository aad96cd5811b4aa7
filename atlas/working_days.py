"""Whether a day is a working day in England and Wales: weekends and bank holidays.

The s2A deadline is a calendar date; nothing moves it when it falls on a Sunday or on
Christmas Day. But a court office is shut then, so a reviewer must know that the
information has to be laid on an earlier day. Bank holidays come from the ``holidays``
package (offline tables of the statutory and proclaimed holidays, including substitute
days and one-off ones such as a coronation), for England and for Wales, which share
them.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Final

WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
"""English day names, whatever the machine's locale (``%A`` follows the locale)."""
SUBDIVISIONS: Final = ("ENG", "WLS")
"""The UK calendars of England and of Wales (the same bank holidays, checked both)."""


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> dict[date, str]:
    import holidays  # a few hundred ms of country modules: only when a deadline is checked

    out: dict[date, str] = {}
    for sub in SUBDIVISIONS:
        for day, name in holidays.country_holidays("GB", subdiv=sub, years=year).items():
            out.setdefault(day, name)
    return out


def bank_holiday(day: date) -> str | None:
    """The bank holiday's name on ``day`` in England and Wales, or None."""
    return _bank_holidays(day.year).get(day)


def not_a_working_day(day: date) -> str | None:
    """Why ``day`` is not a working day (``a Sunday``, ``a bank holiday (Christmas Day)``), or None."""
    holiday = bank_holiday(day)
    if holiday:
        return f"a bank holiday in England and Wales ({holiday})"
    if day.weekday() >= 5:
        return f"a {weekday(day)}"
    return None


def weekday(day: date) -> str:
    """``Sunday`` for 28/02/2027, in English."""
    return WEEKDAYS[day.weekday()]


def last_working_day_on_or_before(day: date) -> date:
    """The last working day no later than ``day`` (``day`` itself when it is one)."""
    while not_a_working_day(day):
        day -= timedelta(days=1)
    return day


__all__ = ["WEEKDAYS", "bank_holiday", "last_working_day_on_or_before", "not_a_working_day", "weekday"]
