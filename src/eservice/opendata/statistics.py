"""The statistics as published: JSON Structs and CSV with stable column names
(docs/open-data.md), translated from eservice.statistics.service."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import msgspec

from eservice.statistics.service import MonthlyFigures, Report

CSV_COLUMNS = (
    "service",
    "service_title_de",
    "service_title_en",
    "month",
    "filed",
    "closed",
    "median_business_days_to_close",
    "p90_business_days_to_close",
    "share_closed_within_sla",
    "share_overdue_now",
    "suppressed",
)


class StatisticsRowOut(msgspec.Struct, kw_only=True):
    """One service in one month; withheld figures are null and named in ``suppressed``."""

    service: str
    service_title_de: str
    service_title_en: str
    month: str
    filed: int | None
    closed: int | None
    median_business_days_to_close: float | None
    p90_business_days_to_close: float | None
    share_closed_within_sla: float | None
    share_overdue_now: float | None
    suppressed: list[str]


class StatisticsOut(msgspec.Struct, kw_only=True):
    """Processing-time statistics per service and month (no totals: see docs/open-data.md)."""

    from_: str = msgspec.field(name="from")
    to: str
    min_count: int
    refreshed_at: datetime | None
    items: list[StatisticsRowOut]


def _month(row: MonthlyFigures) -> str:
    return row.month.strftime("%Y-%m")


def to_json(report: Report) -> StatisticsOut:
    return StatisticsOut(
        from_=report.first.strftime("%Y-%m"),
        to=report.last.strftime("%Y-%m"),
        min_count=report.min_count,
        refreshed_at=report.refreshed_at,
        items=[
            StatisticsRowOut(
                service=r.service,
                service_title_de=r.service_title_de,
                service_title_en=r.service_title_en,
                month=_month(r),
                filed=r.filed,
                closed=r.closed,
                median_business_days_to_close=r.median_business_days_to_close,
                p90_business_days_to_close=r.p90_business_days_to_close,
                share_closed_within_sla=r.share_closed_within_sla,
                share_overdue_now=r.share_overdue_now,
                suppressed=r.suppressed,
            )
            for r in report.rows
        ],
    )


def to_csv(report: Report) -> str:
    """UTF-8 text, comma-separated, a header row, ISO months, ``.`` as decimal point; a
    withheld figure is an empty field and named (space-separated) in ``suppressed``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in report.rows:
        writer.writerow(
            [
                r.service,
                r.service_title_de,
                r.service_title_en,
                _month(r),
                *(
                    "" if value is None else value
                    for value in (
                        r.filed,
                        r.closed,
                        r.median_business_days_to_close,
                        r.p90_business_days_to_close,
                        r.share_closed_within_sla,
                        r.share_overdue_now,
                    )
                ),
                " ".join(r.suppressed),
            ]
        )
    return out.getvalue()
