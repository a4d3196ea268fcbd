"""Processing deadlines in business days with Schleswig-Holstein's public holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from eservice.requests.deadlines import BusinessCalendar

BERLIN = ZoneInfo("Europe/Berlin")
SH = BusinessCalendar("SH", "Europe/Berlin")


def test_weekends_and_sh_holidays_are_not_business_days() -> None:
    assert SH.is_business_day(date(2026, 11, 26))  # Thursday
    assert not SH.is_business_day(date(2026, 11, 28))  # Saturday
    assert not SH.is_business_day(date(2026, 10, 31))  # Reformationstag (SH), a Saturday anyway
    assert not SH.is_business_day(date(2025, 10, 31))  # Reformationstag 2025, a Friday
    assert not SH.is_business_day(date(2026, 4, 3))  # Karfreitag
    assert not SH.is_business_day(date(2026, 12, 25))


def test_holidays_follow_the_configured_federal_state() -> None:
    bavaria = BusinessCalendar("BY", "Europe/Berlin")
    epiphany = date(2026, 1, 6)  # Heilige Drei Könige: Bavaria yes, Schleswig-Holstein no
    assert SH.is_business_day(epiphany)
    assert not bavaria.is_business_day(epiphany)


def test_due_date_skips_weekend_and_christmas() -> None:
    filed = datetime(2026, 12, 22, 10, 0, tzinfo=BERLIN)  # Tuesday
    due = SH.due_at(filed, 5)
    # Wed 23, Thu 24, (Fri 25 + Sat 26 holiday/weekend, Sun 27), Mon 28, Tue 29, Wed 30
    assert due == datetime(2026, 12, 30, 23, 59, 59, tzinfo=BERLIN)


def test_due_date_skips_easter() -> None:
    filed = datetime(2026, 4, 1, 9, 0, tzinfo=BERLIN)  # Wednesday before Easter
    # Thu 2; Fri 3 Good Friday, Mon 6 Easter Monday are holidays; Tue 7, Wed 8
    assert SH.due_at(filed, 3).date() == date(2026, 4, 8)


def test_due_date_uses_the_local_date_of_the_filing() -> None:
    late_evening_utc = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # already Friday in Berlin
    assert SH.due_at(late_evening_utc, 1).date() == date(2026, 11, 30)


def test_resume_moves_the_due_date_by_the_business_days_paused() -> None:
    due = datetime(2026, 12, 10, 23, 59, 59, tzinfo=BERLIN)
    paused = datetime(2026, 12, 1, 9, 0, tzinfo=BERLIN)  # Tuesday
    resumed = datetime(2026, 12, 7, 15, 0, tzinfo=BERLIN)  # next Monday: Wed..Fri + Mon = 4
    assert SH.resume(due, paused, resumed) == datetime(2026, 12, 16, 23, 59, 59, tzinfo=BERLIN)


def test_resume_on_the_same_day_keeps_the_due_date() -> None:
    due = datetime(2026, 12, 10, 23, 59, 59, tzinfo=BERLIN)
    moment = datetime(2026, 12, 1, 9, 0, tzinfo=BERLIN)
    assert SH.resume(due, moment, moment.replace(hour=17)) == due


def test_pause_over_holidays_only_counts_business_days() -> None:
    due = datetime(2026, 12, 21, 23, 59, 59, tzinfo=BERLIN)  # Monday
    paused = datetime(2026, 12, 23, 12, 0, tzinfo=BERLIN)  # Wednesday
    resumed = datetime(2026, 12, 28, 8, 0, tzinfo=BERLIN)  # Monday: Thu 24 + Mon 28 = 2
    assert SH.resume(due, paused, resumed).date() == date(2026, 12, 23)


def test_business_days_between_is_zero_when_end_is_not_after_start() -> None:
    assert SH.business_days_between(date(2026, 12, 2), date(2026, 12, 1)) == 0
    assert SH.business_days_between(date(2026, 12, 4), date(2026, 12, 7)) == 1
