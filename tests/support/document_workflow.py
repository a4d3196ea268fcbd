"""A catalogue with a workflow transition that requires a document, for the tests' duration.

No shipped workflow names documents on a transition (only services do, at ``submit``), so the
fixture publishes one: ``permit-docs`` is the permit workflow whose ``approve`` requires the
document ``bescheid``, used by the service ``parkausweis-pruefung``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.catalog.publishing import load_catalog
from eservice.core.transaction import transaction
from tests.catalog.conftest import CatalogCopy

SERVICE = "parkausweis-pruefung"
WORKFLOW = "permit-docs"


@pytest.fixture
async def documents_on_approve(
    tmp_path: Path,
    sessionmaker: async_sessionmaker[AsyncSession],
    raw_connection: asyncpg.Connection,
) -> AsyncIterator[None]:
    copy = CatalogCopy(tmp_path)
    workflow = copy.read("workflows/permit.v1.toml").replace(
        'name = "permit"', f'name = "{WORKFLOW}"'
    )
    workflow = workflow.replace(
        'label = { de = "Genehmigen", en = "Approve" }\nactors = ["clerk"]\n',
        'label = { de = "Genehmigen", en = "Approve" }\nactors = ["clerk"]\n'
        'requires = { documents = ["bescheid"] }\n',
    )
    assert 'requires = { documents = ["bescheid"] }' in workflow
    copy.write(f"workflows/{WORKFLOW}.v1.toml", workflow)
    service = copy.read("services/bewohnerparkausweis.v1.toml")
    service = service.replace('code = "bewohnerparkausweis"', f'code = "{SERVICE}"')
    service = service.replace('name = "permit"', f'name = "{WORKFLOW}"')
    service += (
        '\n[[documents]]\nkind = "bescheid"\n'
        'label = { de = "Bescheid", en = "Decision" }\n'
        'types = ["application/pdf"]\nmax_bytes = 1_048_576\nrequired = false\n'
    )
    copy.write(f"services/{SERVICE}.v1.toml", service)
    async with transaction(sessionmaker) as session:
        report = await load_catalog(session, copy.root)
    assert report.published == [f"workflow {WORKFLOW} v1", f"service {SERVICE} v1"]
    try:
        yield
    finally:
        await raw_connection.execute("DELETE FROM service_versions WHERE code = $1", SERVICE)
        await raw_connection.execute("DELETE FROM services WHERE code = $1", SERVICE)
        await raw_connection.execute("DELETE FROM workflow_versions WHERE name = $1", WORKFLOW)
