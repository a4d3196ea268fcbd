"""A workflow transition that requires a document reads the request's attachments end to end.

No shipped workflow names documents on a transition (only services do, at ``submit``), so this
test publishes one for its own duration: ``permit-docs`` is the permit workflow whose
``approve`` requires the document ``bescheid``, used by the service ``parkausweis-pruefung``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.catalog.publishing import load_catalog
from eservice.core.transaction import transaction
from tests.catalog.conftest import CatalogCopy
from tests.requests.helpers import Client, attach_pdf, example, fire
from tests.support.auth import Caller

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


@pytest.mark.usefixtures("documents_on_approve")
async def test_approve_needs_the_document_its_transition_requires(
    client: Client, citizen: Caller, make_staff: Any, raw_connection: asyncpg.Connection
) -> None:
    clerk = await make_staff("clerk", departments=("verkehr",))
    body = {"service": SERVICE, "data": example("bewohnerparkausweis"), "submit": False}
    filed = await client.post("/api/v1/requests", json=body, headers=citizen.headers)
    assert filed.status_code == 201, filed.text
    request_id = filed.json()["id"]
    await attach_pdf(client, citizen, request_id, "fahrzeugschein")
    request = await client.get(f"/api/v1/requests/{request_id}", headers=citizen.headers)
    request = await fire(client, citizen, request.json(), "submit")
    request = await fire(client, clerk, request, "start_review")

    refused = await fire(client, clerk, request, "approve", expect=422)
    assert [e["pointer"] for e in refused["errors"]] == ["/documents/bescheid"]

    asked = await fire(client, clerk, request, "request_info", comment="Bitte Bescheid hochladen.")
    assert await raw_connection.fetchval("SELECT count(*) FROM request_timers") == 1
    await attach_pdf(client, citizen, request_id, "bescheid")
    provided = await fire(client, citizen, asked, "provide_info")
    # awaiting_info declares a timer: leaving it cancels the row; in_review has none to cancel
    assert await raw_connection.fetchval("SELECT count(*) FROM request_timers") == 0
    approved = await fire(client, clerk, provided, "approve")
    assert approved["state"] == "approved"
