"""Processing deadlines (Bearbeitungsfristen) in business days of the city's federal state.

A business day is Monday to Friday and not a public holiday of the configured subdivision
(``ESERVICE_HOLIDAY_SUBDIVISION``, Schleswig-Holstein ``SH`` by default). A request filed on
day D with an SLA of N business days is due at the end (23:59:59 local time) of the N-th
business day after D. While the clock is paused (e.g. waiting for the citizen), the business
days that pass are added to the due date when the clock resumes.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

END_OF_DAY = time(23, 59, 59)


class BusinessCalendar:
    """Business days and due dates for one federal state and time zone."""

    def __init__(self, subdivision: str = "SH", time_zone: str = "Europe/Berlin") -> None:
        self.subdivision = subdivision
        self.zone = ZoneInfo(time_zone)
        self._holidays = holidays.country_holidays("DE", subdiv=subdivision)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def add_business_days(self, day: date, count: int) -> date:
        """The ``count``-th business day after ``day`` (``day`` itself when count is 0)."""
        current = day
        remaining = count
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_business_day(current):
                remaining -= 1
        return current

    def business_days_between(self, start: date, end: date) -> int:
        """How many business days lie in (start, end]: 0 when end is not after start."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_business_day(current):
                count += 1
        return count

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def due_at(self, start: datetime, business_days: int) -> datetime:
        """End of the ``business_days``-th business day after the local date of ``start``."""
        due_day = self.add_business_days(self.local_date(start), business_days)
        return datetime.combine(due_day, END_OF_DAY, tzinfo=self.zone)

    def resume(self, due_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
        """The due date after a pause: moved by the business days that passed while paused."""
        lost = self.business_days_between(self.local_date(paused_at), self.local_date(resumed_at))
        local_due = due_at.astimezone(self.zone)
        moved = self.add_business_days(local_due.date(), lost)
        return datetime.combine(moved, local_due.timetz().replace(tzinfo=None), tzinfo=self.zone)


@lru_cache(maxsize=8)
def calendar_for(subdivision: str, time_zone: str) -> BusinessCalendar:
    """One calendar per configuration (the holiday tables are built lazily per year)."""
    return BusinessCalendar(subdivision, time_zone)
