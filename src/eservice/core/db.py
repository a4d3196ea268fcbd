"""Async engine and sessions. One transaction per HTTP request or worker job."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any
from urllib.parse import urlsplit

import msgspec
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from eservice.core.config import Settings
from eservice.core.outage import watch
from eservice.core.transaction import AUTOCOMMIT_ENGINE, ScopedSession

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table; the schema itself is built by Alembic migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DatabaseUrlError(ValueError):
    """ESERVICE_DATABASE_URL is not a PostgreSQL URL."""


def normalise_database_url(url: str) -> str:
    """Accept ``postgresql://``, ``postgres://`` and ``postgresql+asyncpg://``; return asyncpg's."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise DatabaseUrlError("ESERVICE_DATABASE_URL must look like postgresql://user@host/db")
    if scheme in {"postgresql", "postgres", "postgresql+asyncpg"}:
        normalised = "postgresql+asyncpg://" + rest
    else:
        raise DatabaseUrlError(
            f"ESERVICE_DATABASE_URL has scheme {scheme!r}; use postgresql:// (PostgreSQL 15+)"
        )
    parts = urlsplit(normalised)
    if not parts.path.strip("/"):
        raise DatabaseUrlError("ESERVICE_DATABASE_URL must name a database (…/eservice)")
    return normalised


def redact_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def json_text(value: Any) -> str:
    """A JSON(B) parameter as JSON text: what the engine sends, and what the driver-level
    statements of the hot paths pass to asyncpg."""
    return msgspec.json.encode(value).decode()


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    """An asyncpg engine with a bounded pool and a statement timeout, that reports an
    unreachable database as such (core.outage)."""
    engine = create_async_engine(
        normalise_database_url(url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # No ping on checkout (a round trip per request); a dead connection is found by its
        # first statement and dropped by the scope (core.transaction).
        pool_pre_ping=False,
        pool_recycle=1800,
        # Statement parameters carry personal data; keep them out of errors and logs.
        hide_parameters=True,
        # JSONB in and out through msgspec, the faster codec the API already uses.
        json_serializer=json_text,
        json_deserializer=msgspec.json.decode,
        connect_args={
            "server_settings": {
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "application_name": "eservice",
            },
            "timeout": 10,
        },
    )
    watch(engine)
    return engine


IMMUTABLE_CACHE = "immutable_cache"


def create_sessionmaker(
    engine: AsyncEngine, *, cache_immutable: bool = False
) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``; with ``cache_immutable`` they share one cache of immutable rows.

    The API and the worker opt in: published catalogue versions never change once committed,
    so one lookup per process and version is enough (see :func:`immutable_cache`). One-off
    sessions (CLI commands, tests that publish in rolled-back transactions) do not.
    Sessions opened as a scope (``core.transaction``) run on the engine's AUTOCOMMIT copy.
    """
    info: dict[str, Any] = {
        AUTOCOMMIT_ENGINE: engine.execution_options(isolation_level="AUTOCOMMIT")
    }
    if cache_immutable:
        info[IMMUTABLE_CACHE] = {}
    return async_sessionmaker(
        engine,
        expire_on_commit=False,
        autoflush=False,
        info=info,
        sync_session_class=ScopedSession,
    )


def immutable_cache(session: AsyncSession) -> dict[Hashable, Any] | None:
    """The cache shared by every session of this session's sessionmaker, or None."""
    cache: dict[Hashable, Any] | None = session.info.get(IMMUTABLE_CACHE)
    return cache
