"""Bring a fresh test database to the state the app expects: migrated (and catalogue loaded)."""

from __future__ import annotations

import asyncio

from eservice.catalog.publishing import publish_catalog
from eservice.core import migrate
from eservice.core.config import load_settings


def prepare_test_database(url: str) -> None:
    migrate.upgrade(url)
    asyncio.run(publish_catalog(url, load_settings({}, dotenv=None)))
