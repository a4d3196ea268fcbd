"""The API under test is configured as in production, with a pool that covers its concurrency."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.database import POOL_SIZE, bench_environment, shared_buffers_mb

from eservice.core.config import load_settings


def test_bench_runs_the_api_with_production_settings_and_a_sized_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ESERVICE_DB_POOL_SIZE", raising=False)
    monkeypatch.setenv("ESERVICE_DEBUG", "true")  # a developer's variable must not leak in
    env = bench_environment(tmp_path, "postgresql://postgres@/eservice_bench?host=/tmp", 8765)
    settings = load_settings(environ=env, dotenv=None)
    assert settings.env == "production"
    assert settings.debug is False
    assert settings.access_log is False
    assert settings.db_pool_size == POOL_SIZE
    assert settings.jwt_signing_key_file is not None
    assert Path(settings.jwt_signing_key_file).is_file()


def test_pool_size_from_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESERVICE_DB_POOL_SIZE", "7")
    env = bench_environment(tmp_path, "postgresql://postgres@/eservice_bench?host=/tmp", 8765)
    assert load_settings(environ=env, dotenv=None).db_pool_size == 7


def test_the_embedded_server_gets_a_quarter_of_memory_for_shared_buffers() -> None:
    gib = 2**30
    assert shared_buffers_mb(256 * 2**20) == 128  # never below the server's own default
    assert shared_buffers_mb(4 * gib) == 1024
    assert shared_buffers_mb(24 * gib) == 2048  # capped: the 1M-row table fits with room
