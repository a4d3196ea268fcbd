"""Documents a service requires block `submit` until they are attached (through the API)."""

from __future__ import annotations

from tests.attachments.conftest import PARKING, PARKING_DATA, Client, Upload, pdf_bytes
from tests.support.auth import Caller


async def _file_draft_over_http(client: Client, citizen: Caller) -> tuple[str, str]:
    response = await client.post(
        "/api/v1/requests",
        json={"service": PARKING, "data": PARKING_DATA, "submit": False},
        headers=citizen.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], response.headers["etag"]


async def _submit(client: Client, citizen: Caller, request_id: str, etag: str) -> object:
    return await client.post(
        f"/api/v1/requests/{request_id}/transitions",
        json={"transition": "submit"},
        headers={**citizen.headers, "If-Match": etag},
    )


async def test_parking_permit_cannot_be_submitted_until_its_vehicle_registration_is_attached(
    client: Client, citizen: Caller, upload: Upload
) -> None:
    request_id, etag = await _file_draft_over_http(client, citizen)

    refused = await _submit(client, citizen, request_id, etag)

    assert refused.status_code == 422, refused.text  # type: ignore[attr-defined]
    problem = refused.json()  # type: ignore[attr-defined]
    assert "fahrzeugschein" in str(problem)
    assert (await client.get(f"/api/v1/requests/{request_id}", headers=citizen.headers)).json()[
        "state"
    ] == "draft"

    attached = await upload(citizen, request_id, pdf_bytes())
    assert attached.status_code == 201, attached.text
    current = await client.get(f"/api/v1/requests/{request_id}", headers=citizen.headers)

    submitted = await _submit(client, citizen, request_id, current.headers["etag"])

    assert submitted.status_code == 200, submitted.text  # type: ignore[attr-defined]
    assert submitted.json()["state"] == "submitted"  # type: ignore[attr-defined]


async def test_a_deleted_draft_attachment_no_longer_counts_for_submit(
    client: Client, citizen: Caller, upload: Upload
) -> None:
    request_id, _ = await _file_draft_over_http(client, citizen)
    created = (await upload(citizen, request_id, pdf_bytes())).json()
    removed = await client.delete(created["url"], headers=citizen.headers)
    assert removed.status_code == 204
    current = await client.get(f"/api/v1/requests/{request_id}", headers=citizen.headers)
    refused = await _submit(client, citizen, request_id, current.headers["etag"])
    assert refused.status_code == 422  # type: ignore[attr-defined]
    gone = await client.get(created["url"], headers=citizen.headers)
    assert gone.status_code == 404
