"""Tables of the processing-time statistics: the business-day calendar as ordinals, and the
figures materialised per service and month (refreshed by eservice.statistics.service)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from eservice.core.db import Base


class BusinessDayRow(Base):
    """A calendar day and how many business days lie in [first day of the table, day]:
    the business days in (a, b] are ``ordinal(b) - ordinal(a)``."""

    __tablename__ = "business_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer)


class MonthlyStatisticsRow(Base):
    """The raw figures of one service in one month (local time), before suppression."""

    __tablename__ = "open_data_monthly_statistics"

    service_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    filed: Mapped[int] = mapped_column(Integer)
    overdue_now: Mapped[int] = mapped_column(Integer)
    closed: Mapped[int] = mapped_column(Integer)
    closed_within_sla: Mapped[int] = mapped_column(Integer)
    median_business_days: Mapped[float | None] = mapped_column(Float)
    p90_business_days: Mapped[float | None] = mapped_column(Float)


class StatisticsRefreshRow(Base):
    """When the monthly figures were last computed (one row)."""

    __tablename__ = "open_data_refreshes"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
