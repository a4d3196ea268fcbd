"""The retry policy: schedule with jitter, Retry-After as a floor, dead after the last delay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from eservice.notifications.delivery import max_attempts, plan_after
from eservice.notifications.webhooks import parse_retry_after
from tests.conftest import make_settings


def test_schedule_gives_one_more_attempt_than_delays_then_dead(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, retry_schedule="10,60,300")
    assert max_attempts(settings) == 4
    waits = [plan_after(settings, n, "failed").retry_in for n in (1, 2, 3)]
    for wait, base in zip(waits, (10, 60, 300), strict=True):
        assert wait is not None
        assert base * 0.8 <= wait.total_seconds() <= base * 1.2
    assert plan_after(settings, 4, "failed").state == "dead"


def test_jitter_spreads_retries(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, retry_schedule="100")
    waits = {plan_after(settings, 1, "failed").retry_in for _ in range(20)}
    assert len(waits) > 1


def test_retry_after_is_a_floor_and_outcomes_map_to_states(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, retry_schedule="1,1")
    assert plan_after(settings, 1, "failed", retry_after=120).retry_in == timedelta(seconds=120)
    assert plan_after(settings, 1, "succeeded").state == "succeeded"
    assert plan_after(settings, 1, "gone").state == "cancelled"


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert parse_retry_after("30", now) == 30
    assert parse_retry_after("Thu, 26 Nov 2026 08:01:00 GMT", now) == 60
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("999999999", now) == 24 * 3600
