"""GET .../transitions lists everything firing a transition needs, documents included."""

from __future__ import annotations

from typing import Any

from tests.contract.helpers import Client, assert_problem
from tests.requests.helpers import PDF, file_request
from tests.support.auth import Caller, MakeCitizen


async def _submit_offer(client: Client, citizen: Caller, request_id: str) -> dict[str, Any]:
    listed = await client.get(f"/api/v1/requests/{request_id}/transitions", headers=citizen.headers)
    assert listed.status_code == 200, listed.text
    (submit,) = [t for t in listed.json() if t["name"] == "submit"]
    return dict(submit["requires"])


async def _fire_submit(client: Client, citizen: Caller, request_id: str) -> Any:
    current = await client.get(f"/api/v1/requests/{request_id}", headers=citizen.headers)
    return await client.post(
        f"/api/v1/requests/{request_id}/transitions",
        json={"transition": "submit"},
        headers={**citizen.headers, "If-Match": current.headers["etag"]},
    )


async def test_submit_lists_the_services_required_document_as_missing_until_attached(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen(locale="en")
    draft = await file_request(client, citizen, "bewohnerparkausweis", submit=False)

    requires = await _submit_offer(client, citizen, draft["id"])

    assert requires["documents"] == ["fahrzeugschein"]
    assert requires["missing_documents"] == [
        {"kind": "fahrzeugschein", "label": "Vehicle registration certificate part I"}
    ]
    refused = assert_problem(await _fire_submit(client, citizen, draft["id"]), 422)
    # What firing refuses is exactly what the list said was missing.
    missing = {f"/documents/{d['kind']}" for d in requires["missing_documents"]}
    assert {error["pointer"] for error in refused["errors"]} == missing

    attached = await client.post(
        f"/api/v1/requests/{draft['id']}/attachments",
        files={"file": ("fahrzeugschein.pdf", PDF, "application/pdf")},
        data={"kind": "fahrzeugschein"},
        headers=citizen.headers,
    )
    assert attached.status_code == 201, attached.text

    requires = await _submit_offer(client, citizen, draft["id"])

    assert requires["documents"] == ["fahrzeugschein"]
    assert requires["missing_documents"] == []
    submitted = await _fire_submit(client, citizen, draft["id"])
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["state"] == "submitted"


async def test_a_service_without_required_documents_lists_none(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    draft = await file_request(client, citizen, "hundeanmeldung", submit=False)

    requires = await _submit_offer(client, citizen, draft["id"])

    assert requires == {"comment": False, "fields": [], "documents": [], "missing_documents": []}
