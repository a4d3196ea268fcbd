"""Test harness: one real PostgreSQL per session, schema built by the Alembic migrations.

Set ``ESERVICE_TEST_DATABASE_URL`` (e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``) to use
an existing server; otherwise an embedded PostgreSQL under ``.data/test-postgres`` is used. Each
session creates a fresh database on that server and drops it at the end. After every test the
tables it wrote are truncated, so tests may commit and race on several connections.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from eservice.app import create_app
from eservice.core.config import Settings, load_settings
from eservice.core.db import create_engine, create_sessionmaker
from tests.support.database import (
    create_database,
    drop_database,
    preserved_tables,
    server_admin_url,
    truncate_tables,
    url_for_database,
)
from tests.support.setup import prepare_test_database

pytest_plugins = [
    "tests.support.auth",
    "tests.support.fuzzing",
]

REPO = Path(__file__).resolve().parents[1]


def make_settings(tmp_dir: Path, **overrides: Any) -> Settings:
    env = {
        "ESERVICE_ENV": "test",
        "ESERVICE_DATA_DIR": str(tmp_dir),
        "ESERVICE_ACCESS_LOG": "false",
        "ESERVICE_RETRY_SCHEDULE": "1,1,2",
        "ESERVICE_WORKER_POLL_INTERVAL": "0.1",
        "ESERVICE_LOG_LEVEL": "WARNING",
    }
    for key, value in overrides.items():
        env["ESERVICE_" + key.upper()] = str(value)
    return load_settings(env, dotenv=None)


@pytest.fixture(scope="session")
def admin_url() -> str:
    return server_admin_url(REPO / ".data" / "test-postgres")


@pytest.fixture(scope="session")
def database_url(admin_url: str) -> Iterator[str]:
    name = f"eservice_test_{os.getpid()}_{secrets.token_hex(3)}"
    create_database(admin_url, name)
    url = url_for_database(admin_url, name)
    prepare_test_database(url)
    try:
        yield url
    finally:
        drop_database(admin_url, name)


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("eservice-data")


@pytest.fixture(scope="session")
def settings(session_tmp: Path) -> Settings:
    return make_settings(session_tmp)


@pytest.fixture(scope="session")
async def engine(database_url: str, settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, settings)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture(autouse=True)
async def _clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Empty every table a test may have written (the catalogue and migrations stay)."""
    yield
    if "database_url" not in request.fixturenames:
        return
    url: str = request.getfixturevalue("database_url")
    await truncate_tables(url, keep=preserved_tables())


@pytest.fixture(scope="session")
def app(settings: Settings, database_url: str) -> Litestar:
    return create_app(settings, database_url)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture
def client_with(database_url: str, session_tmp: Path) -> Callable[..., AsyncTestClient[Litestar]]:
    """A client for an app built with other settings: ``async with client_with(x=1) as c``."""

    def build(**overrides: Any) -> AsyncTestClient[Litestar]:
        settings = make_settings(session_tmp, **overrides)
        return AsyncTestClient(
            app=create_app(settings, database_url), base_url="http://testserver.local"
        )

    return build


@pytest.fixture
async def raw_connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection to the test database, for assertions on stored rows."""
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    yield conn
    await conn.close()
