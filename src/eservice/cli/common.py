"""What every subcommand needs: settings, a database, clear one-line failures."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any, NoReturn, Protocol

import asyncpg

from eservice.core.config import Settings, SettingsError, load_settings
from eservice.core.db import DatabaseUrlError, normalise_database_url, redact_url
from eservice.core.embedded import EmbeddedPostgresError, start_embedded_postgres
from eservice.core.logging import configure_logging


class Subcommands(Protocol):
    """What a subcommand's ``register`` gets: ``ArgumentParser.add_subparsers()``'s result."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


class CommandError(Exception):
    """A failure to report as one line on stderr, with exit code 1."""


def fail(message: str, code: int = 1) -> NoReturn:
    print(f"eservice: error: {message}", file=sys.stderr)
    raise SystemExit(code)


def settings_or_exit() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as exc:
        fail(str(exc), 2)
    configure_logging(settings.log_level)
    return settings


def progress(message: str) -> None:
    """A human progress line on stderr (logs stay JSON)."""
    print(f"eservice: {message}", file=sys.stderr, flush=True)


def database_url_or_exit(settings: Settings) -> str:
    """The configured database, or embedded PostgreSQL under the data dir; checked reachable."""
    if settings.database_url is None:
        pgdata = settings.data_path / "postgres"
        progress(f"starting embedded PostgreSQL (data in {pgdata}) ...")
        try:
            url = start_embedded_postgres(pgdata)
        except EmbeddedPostgresError as exc:
            fail(str(exc))
    else:
        url = settings.database_url
        try:
            normalise_database_url(url)
        except DatabaseUrlError as exc:
            fail(str(exc), 2)
    try:
        asyncio.run(check_database(url))
    except CommandError as exc:
        fail(str(exc))
    return url


async def check_database(url: str) -> None:
    """Connect once; turn every failure into a one-line CommandError."""
    plain = "postgresql://" + normalise_database_url(url).split("://", 1)[1]
    try:
        conn = await asyncpg.connect(plain, timeout=10)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        reason = str(exc) or type(exc).__name__
        raise CommandError(f"cannot reach the database at {redact_url(url)}: {reason}") from None
    try:
        version = await conn.fetchval("SHOW server_version_num")
    finally:
        await conn.close()
    if int(version) < 150000:
        raise CommandError(f"PostgreSQL 15 or newer is needed; {redact_url(url)} runs {version}")
