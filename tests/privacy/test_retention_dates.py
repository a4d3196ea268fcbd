"""Retention dates: closing date plus years, months and days, and the catalogue's check."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from eservice.catalog.definitions import Retention
from eservice.catalog.files import check_catalog
from eservice.requests.retention import add_period, retention_date

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("start", "retention", "expected"),
    [
        (date(2026, 3, 15), Retention(action="delete", years=3), date(2029, 3, 15)),
        (date(2024, 2, 29), Retention(action="delete", years=1), date(2025, 2, 28)),
        (date(2026, 1, 31), Retention(action="delete", months=1), date(2026, 2, 28)),
        (date(2026, 11, 30), Retention(action="delete", months=3), date(2027, 2, 28)),
        (date(2026, 12, 31), Retention(action="anonymise", days=1), date(2027, 1, 1)),
        (
            date(2026, 5, 10),
            Retention(action="delete", years=1, months=14, days=20),
            date(2028, 7, 30),
        ),
    ],
)
def test_periods_add_up_like_a_calendar(start: date, retention: Retention, expected: date) -> None:
    assert add_period(start, retention) == expected


def test_the_closing_date_counts_in_the_citys_time_zone() -> None:
    late_evening_utc = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already 2027 in Berlin
    retention = Retention(action="delete", years=2)
    assert retention_date(late_evening_utc, retention, "Europe/Berlin") == date(2029, 1, 1)
    assert retention_date(late_evening_utc, retention, "UTC") == date(2028, 12, 31)


def _catalog_copy(tmp_path: Path) -> Path:
    for folder in ("services", "workflows"):
        target = tmp_path / folder
        target.mkdir()
        for path in (REPO / folder).iterdir():
            (target / path.name).write_bytes(path.read_bytes())
    return tmp_path


def test_catalog_check_wants_a_retention_action(tmp_path: Path) -> None:
    root = _catalog_copy(tmp_path)
    assert check_catalog(root) == []
    service = root / "services" / "hundeanmeldung.v1.toml"
    text = service.read_text(encoding="utf-8")
    service.write_text(text.replace(', action = "delete"', ""), encoding="utf-8")
    problems = [str(p) for p in check_catalog(root)]
    assert any("hundeanmeldung.v1.toml" in p and "action" in p for p in problems), problems
    service.write_text(text.replace('action = "delete"', 'action = "shred"'), encoding="utf-8")
    assert any("retention.action" in str(p) for p in check_catalog(root))
    service.write_text(
        text.replace('years = 10, action = "delete"', 'action = "delete"'), encoding="utf-8"
    )
    assert any("retention needs a period" in str(p) for p in check_catalog(root))
