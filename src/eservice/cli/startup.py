"""Bring a database up to date: migrations, then the catalogue."""

from __future__ import annotations

from eservice.cli.common import progress
from eservice.core import migrate
from eservice.core.config import Settings


def prepare_database(url: str, settings: Settings) -> None:
    """Apply migrations and publish the catalogue (idempotent)."""
    progress("applying migrations ...")
    migrate.upgrade(url)
