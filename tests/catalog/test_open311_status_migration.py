"""Declaring each state's Open311 status did not change any published workflow version."""

from __future__ import annotations

import asyncio
import json
import secrets

import asyncpg
import msgspec

from eservice.catalog.files import read_catalog
from eservice.catalog.publishing import definition_digest, publish_catalog
from eservice.core import migrate
from eservice.core.config import load_settings
from tests.support.database import create_database, drop_database, plain, url_for_database


async def test_workflows_published_before_0007_load_unchanged_after_it(admin_url: str) -> None:
    name = "eservice_open311_" + secrets.token_hex(4)
    await asyncio.to_thread(create_database, admin_url, name)
    url = url_for_database(admin_url, name)
    try:
        await asyncio.to_thread(migrate.upgrade, url, "0006")
        conn = await asyncpg.connect(plain(url))
        try:
            # What the catalogue code before 0007 published: the v1 files without `open311`.
            for workflow in read_catalog().workflows:
                if workflow.version != 1:
                    continue
                old = msgspec.to_builtins(workflow)
                for state in old["states"]:
                    del state["open311"]
                await conn.execute(
                    "INSERT INTO workflow_versions (name, version, definition, digest) "
                    "VALUES ($1, $2, $3::jsonb, $4)",
                    workflow.name,
                    1,
                    json.dumps(old),
                    definition_digest(old),
                )
        finally:
            await conn.close()
        await asyncio.to_thread(migrate.upgrade, url)
        report = await publish_catalog(url, load_settings({}, dotenv=None))
        assert "workflow public-report v1" in report.unchanged
        assert "workflow permit v1" in report.unchanged
        assert "workflow public-report v2" in report.published
        conn = await asyncpg.connect(plain(url))
        try:
            stored = await conn.fetchval(
                "SELECT definition FROM workflow_versions WHERE name = 'public-report' "
                "AND version = 1"
            )
        finally:
            await conn.close()
        states = {s["name"]: s["open311"] for s in json.loads(stored)["states"]}
        assert states["submitted"] == "open"
        assert states["fixed"] == "closed"
        await asyncio.to_thread(migrate.downgrade, url, "0006")
    finally:
        await asyncio.to_thread(drop_database, admin_url, name)
