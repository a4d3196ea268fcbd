"""Who sees and adds attachments: the request's rules (404 for others), staff-only files."""

from __future__ import annotations

from tests.attachments.conftest import Advance, Client, FileDraft, Upload, pdf_bytes
from tests.support.auth import Caller, MakeApiClient, MakeStaff


async def test_another_citizen_gets_404_on_the_file_the_list_and_the_upload(
    client: Client, citizen: Caller, other_citizen: Caller, file_draft: FileDraft, upload: Upload
) -> None:
    request_id = await file_draft(citizen)
    created = (await upload(citizen, request_id, pdf_bytes())).json()

    download = await client.get(created["url"], headers=other_citizen.headers)
    listing = await client.get(
        f"/api/v1/requests/{request_id}/attachments", headers=other_citizen.headers
    )
    foreign_upload = await upload(other_citizen, request_id, pdf_bytes())
    removal = await client.delete(created["url"], headers=other_citizen.headers)

    assert [download.status_code, listing.status_code, foreign_upload.status_code] == [404] * 3
    assert removal.status_code == 404
    assert download.json()["detail"] == "No request with this id."
    assert (await client.get(created["url"], headers=citizen.headers)).status_code == 200


async def test_unknown_attachment_and_anonymous_callers_are_refused(
    client: Client, citizen: Caller, file_draft: FileDraft
) -> None:
    request_id = await file_draft(citizen)
    missing = await client.get(
        f"/api/v1/requests/{request_id}/attachments/00000000-0000-4000-8000-000000000000",
        headers=citizen.headers,
    )
    anonymous = await client.get(f"/api/v1/requests/{request_id}/attachments")
    assert missing.status_code == 404
    assert anonymous.status_code == 401


async def test_staff_cannot_see_drafts_but_see_submitted_requests_attachments(
    client: Client,
    citizen: Caller,
    make_staff: MakeStaff,
    file_draft: FileDraft,
    upload: Upload,
    advance: Advance,
) -> None:
    clerk = await make_staff("clerk", ["verkehr"])
    other_department = await make_staff("clerk", ["steuern"])
    request_id = await file_draft(citizen)
    created = (await upload(citizen, request_id, pdf_bytes())).json()
    assert (await client.get(created["url"], headers=clerk.headers)).status_code == 404

    await advance(citizen, request_id, "submit")

    seen = await client.get(created["url"], headers=clerk.headers)
    assert seen.status_code == 200
    assert seen.content == pdf_bytes()
    assert (await client.get(created["url"], headers=other_department.headers)).status_code == 404


async def test_internal_attachments_are_invisible_to_the_citizen(
    client: Client,
    citizen: Caller,
    make_staff: MakeStaff,
    file_draft: FileDraft,
    upload: Upload,
    advance: Advance,
) -> None:
    clerk = await make_staff("clerk", ["verkehr"])
    request_id = await file_draft(citizen)
    await upload(citizen, request_id, pdf_bytes())
    await advance(citizen, request_id, "submit")

    note = await upload(clerk, request_id, pdf_bytes(3000), visibility="internal")
    assert note.status_code == 201, note.text
    internal = note.json()
    assert internal["visibility"] == "internal"

    citizen_list = await client.get(
        f"/api/v1/requests/{request_id}/attachments", headers=citizen.headers
    )
    staff_list = await client.get(
        f"/api/v1/requests/{request_id}/attachments", headers=clerk.headers
    )
    assert internal["id"] not in [item["id"] for item in citizen_list.json()["items"]]
    assert internal["id"] in [item["id"] for item in staff_list.json()["items"]]
    assert len(citizen_list.json()["items"]) == 1
    assert (await client.get(internal["url"], headers=citizen.headers)).status_code == 404
    assert (await client.get(internal["url"], headers=clerk.headers)).status_code == 200
    history = await client.get(f"/api/v1/requests/{request_id}/events", headers=citizen.headers)
    assert internal["id"] not in history.text


async def test_applicant_uploads_in_draft_and_when_asked_but_not_while_under_review(
    citizen: Caller,
    make_staff: MakeStaff,
    file_draft: FileDraft,
    upload: Upload,
    advance: Advance,
) -> None:
    clerk = await make_staff("clerk", ["verkehr"])
    request_id = await file_draft(citizen)
    assert (await upload(citizen, request_id, pdf_bytes())).status_code == 201
    await advance(citizen, request_id, "submit")

    refused = await upload(citizen, request_id, pdf_bytes())
    assert refused.status_code == 409
    assert refused.json()["state"] == "submitted"

    await advance(clerk, request_id, "start_review")
    await advance(clerk, request_id, "request_info", comment="Bitte die Rückseite nachreichen.")
    asked = await upload(citizen, request_id, pdf_bytes(4000))
    assert asked.status_code == 201, asked.text


async def test_staff_upload_into_open_requests_only_and_citizens_delete_only_drafts(
    client: Client,
    citizen: Caller,
    make_staff: MakeStaff,
    file_draft: FileDraft,
    upload: Upload,
    advance: Advance,
) -> None:
    clerk = await make_staff("clerk", ["verkehr"])
    request_id = await file_draft(citizen)
    created = (await upload(citizen, request_id, pdf_bytes())).json()
    await advance(citizen, request_id, "submit")
    assert (await client.delete(created["url"], headers=citizen.headers)).status_code == 409
    assert (await client.delete(created["url"], headers=clerk.headers)).status_code == 403

    assert (await upload(clerk, request_id, pdf_bytes())).status_code == 201
    await advance(clerk, request_id, "reject", comment="Keine Parkberechtigung in dieser Zone.")
    closed = await upload(clerk, request_id, pdf_bytes())
    assert closed.status_code == 409


async def test_a_reading_api_client_may_list_but_not_upload(
    client: Client,
    citizen: Caller,
    make_api_client: MakeApiClient,
    file_draft: FileDraft,
    upload: Upload,
    advance: Advance,
) -> None:
    reader = await make_api_client(["requests:read"])
    request_id = await file_draft(citizen)
    await upload(citizen, request_id, pdf_bytes())
    await advance(citizen, request_id, "submit")
    listing = await client.get(f"/api/v1/requests/{request_id}/attachments", headers=reader.headers)
    assert listing.status_code == 200
    assert len(listing.json()["items"]) == 1
    assert (await upload(reader, request_id, pdf_bytes())).status_code == 403


async def test_an_api_client_that_filed_the_draft_uploads_as_the_applicant(
    client: Client,
    make_api_client: MakeApiClient,
    file_draft: FileDraft,
    upload: Upload,
) -> None:
    integration = await make_api_client(["requests:write"])
    request_id = await file_draft(integration)
    created = await upload(integration, request_id, pdf_bytes())
    assert created.status_code == 201, created.text
    listing = await client.get(
        f"/api/v1/requests/{request_id}/attachments", headers=integration.headers
    )
    assert [item["id"] for item in listing.json()["items"]] == [created.json()["id"]]
