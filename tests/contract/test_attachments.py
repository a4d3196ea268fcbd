"""api.md "Requests" attachments: multipart upload → 201 with hash, download with its headers."""

from __future__ import annotations

import hashlib

from tests.contract.helpers import Client, assert_problem
from tests.requests.helpers import PDF, file_request
from tests.support.auth import MakeCitizen, MakeStaff

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


async def test_upload_is_201_with_fields_and_download_returns_the_bytes(
    client: Client, make_citizen: MakeCitizen, make_staff: MakeStaff
) -> None:
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["tiefbau"])
    stranger = await make_citizen()
    request = await file_request(client, citizen, "strassenschaden", submit=False)
    base = f"/api/v1/requests/{request['id']}/attachments"
    uploaded = await client.post(
        base,
        files={"file": ("Schlagloch Foto.png", PNG, "image/png")},
        data={"kind": "foto"},
        headers={**citizen.headers, "Idempotency-Key": "foto-1"},
    )
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert set(body) >= {"id", "filename", "content_type", "size", "sha256"}
    assert body["size"] == len(PNG)
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert body["content_type"] == "image/png"
    replay = await client.post(
        base,
        files={"file": ("Schlagloch Foto.png", PNG, "image/png")},
        data={"kind": "foto"},
        headers={**citizen.headers, "Idempotency-Key": "foto-1"},
    )
    assert replay.status_code == 201
    assert replay.json()["id"] == body["id"]

    draft_view = await client.get(f"{base}/{body['id']}", headers=clerk.headers)
    assert_problem(draft_view, 404)  # staff do not see drafts
    submitted = await client.post(
        f"/api/v1/requests/{request['id']}/transitions",
        json={"transition": "submit"},
        headers={**citizen.headers, "If-Match": f'"{request["version"]}"'},
    )
    assert submitted.status_code == 200, submitted.text
    for caller in (citizen, clerk):
        download = await client.get(f"{base}/{body['id']}", headers=caller.headers)
        assert download.status_code == 200
        assert download.content == PNG
        assert download.headers["content-type"].startswith("image/png")
        assert download.headers["content-disposition"].startswith("attachment")
        assert "filename" in download.headers["content-disposition"]
    assert_problem(await client.get(f"{base}/{body['id']}", headers=stranger.headers), 404)
    refused = await client.post(
        base,
        files={"file": ("x.pdf", PDF, "application/pdf")},
        data={"kind": "foto"},
        headers=stranger.headers,
    )
    assert_problem(refused, 404)


async def test_wrong_type_or_unknown_kind_is_a_4xx_problem(
    client: Client, make_citizen: MakeCitizen
) -> None:
    citizen = await make_citizen()
    request = await file_request(client, citizen, "strassenschaden", submit=False)
    base = f"/api/v1/requests/{request['id']}/attachments"
    for kind, upload in (
        ("foto", ("x.pdf", PDF, "application/pdf")),
        ("gibt-es-nicht", ("x.png", PNG, "image/png")),
    ):
        response = await client.post(
            base, files={"file": upload}, data={"kind": kind}, headers=citizen.headers
        )
        assert 400 <= response.status_code < 500, response.text
        assert_problem(response, response.status_code)
    empty = await client.post(base, headers=citizen.headers)
    assert 400 <= empty.status_code < 500
    assert_problem(empty, empty.status_code)
