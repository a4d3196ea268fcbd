"""Titling the shipped forms' enum values did not change any published service version."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import asyncpg
import msgspec

from eservice.catalog.files import read_catalog
from eservice.catalog.publishing import definition_digest, publish_catalog
from eservice.core import migrate
from eservice.core.config import load_settings
from tests.support.database import create_database, drop_database, plain, url_for_database


def without_titles(node: Any) -> Any:
    """A form as the catalogue code before 0011 published it: no ``x-enum-titles``."""
    if isinstance(node, dict):
        return {k: without_titles(v) for k, v in node.items() if k != "x-enum-titles"}
    if isinstance(node, list):
        return [without_titles(v) for v in node]
    return node


async def stored_forms(url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(plain(url))
    try:
        rows = await conn.fetch("SELECT code, definition FROM service_versions WHERE version = 1")
    finally:
        await conn.close()
    return {row["code"]: json.loads(row["definition"])["form"] for row in rows}


async def test_services_published_before_0011_load_unchanged_after_it(admin_url: str) -> None:
    name = "eservice_enum_titles_" + secrets.token_hex(4)
    await asyncio.to_thread(create_database, admin_url, name)
    url = url_for_database(admin_url, name)
    shipped = {s.code: s for s in read_catalog().services if s.version == 1}
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        await publish_catalog(url, load_settings({}, dotenv=None))
        await asyncio.to_thread(migrate.downgrade, url, "0010")
        conn = await asyncpg.connect(plain(url))
        try:
            for code, service in shipped.items():
                old = without_titles(msgspec.to_builtins(service))
                await conn.execute(
                    "UPDATE service_versions SET definition = $1::json, digest = $2 "
                    "WHERE code = $3 AND version = 1",
                    json.dumps(old),
                    definition_digest(old),
                    code,
                )
        finally:
            await conn.close()
        assert "x-enum-titles" not in json.dumps(await stored_forms(url))
        await asyncio.to_thread(migrate.upgrade, url)
        report = await publish_catalog(url, load_settings({}, dotenv=None))
        assert {f"service {code} v1" for code in shipped} <= set(report.unchanged)
        assert report.published == []
        forms = await stored_forms(url)
        assert forms == {code: s.form for code, s in shipped.items()}
        # The form's field order survives (json, not jsonb).
        assert list(forms["hundeanmeldung"]["properties"]) == list(
            shipped["hundeanmeldung"].form["properties"]
        )
        await asyncio.to_thread(migrate.downgrade, url, "0010")
        assert "x-enum-titles" not in json.dumps(await stored_forms(url))
    finally:
        await asyncio.to_thread(drop_database, admin_url, name)
