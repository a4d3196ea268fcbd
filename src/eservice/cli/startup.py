"""Bring a database up to date: migrations, then the catalogue."""

from __future__ import annotations

import asyncio

from eservice.catalog.files import CatalogInvalid
from eservice.catalog.publishing import PublishedVersionChanged, catalog_root, publish_catalog
from eservice.cli.common import fail, progress
from eservice.core import migrate
from eservice.core.config import Settings


def prepare_database(url: str, settings: Settings) -> None:
    """Apply migrations and publish the catalogue (idempotent)."""
    progress("applying migrations ...")
    migrate.upgrade(url)
    progress("publishing the service catalogue ...")
    try:
        report = asyncio.run(publish_catalog(url, settings, catalog_root(settings)))
    except CatalogInvalid as exc:
        for problem in exc.problems:
            progress(str(problem))
        fail(f"{len(exc.problems)} problem(s) in the catalogue; run `eservice catalog check`")
    except PublishedVersionChanged as exc:
        fail(exc.detail)
    progress(f"catalogue: {len(report.published)} published, {len(report.unchanged)} unchanged")
