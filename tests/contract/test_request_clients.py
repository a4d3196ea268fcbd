"""api.md "Requests" for API clients: filing, reading and firing transitions by scope."""

from __future__ import annotations

from tests.contract.helpers import Client, assert_problem
from tests.requests.helpers import file_request, filing
from tests.support.auth import Caller, MakeApiClient, MakeCitizen, MakeStaff


def _if_match(caller: Caller, version: int) -> dict[str, str]:
    return {**caller.headers, "If-Match": f'"{version}"'}


async def test_api_client_files_and_reads_by_scope(
    client: Client, make_api_client: MakeApiClient, make_citizen: MakeCitizen
) -> None:
    writer = await make_api_client(["requests:read", "requests:write"])
    reader = await make_api_client(["requests:read"], services=["strassenschaden"])
    created = await client.post(
        "/api/v1/requests", json=filing("strassenschaden"), headers=writer.headers
    )
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    assert (await client.get(f"/api/v1/requests/{rid}", headers=reader.headers)).status_code == 200
    listed = await client.get("/api/v1/requests", headers=reader.headers)
    assert rid in {r["id"] for r in listed.json()["items"]}
    other_service = await file_request(client, await make_citizen(), "hundeanmeldung")
    hidden = await client.get(f"/api/v1/requests/{other_service['id']}", headers=reader.headers)
    assert_problem(hidden, 404)
    assert other_service["id"] not in {r["id"] for r in listed.json()["items"]}
    refused = await client.post(
        "/api/v1/requests", json=filing("strassenschaden"), headers=reader.headers
    )
    assert refused.status_code == 403
    assert_problem(refused, 403)


async def test_client_with_transition_scope_fires_what_its_workflow_allows(
    client: Client,
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    make_api_client: MakeApiClient,
) -> None:
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["tiefbau"])
    crew = await make_api_client(
        ["requests:read", "requests:transition"], services=["strassenschaden"]
    )
    reader = await make_api_client(["requests:read"], services=["strassenschaden"])
    report = await file_request(client, citizen, "strassenschaden")
    path = f"/api/v1/requests/{report['id']}/transitions"
    started = await client.post(
        path, json={"transition": "start_work"}, headers=_if_match(clerk, report["version"])
    )
    assert started.status_code == 200, started.text
    version = started.json()["version"]
    offered = await client.get(path, headers=crew.headers)
    assert [t["name"] for t in offered.json()] == ["mark_fixed"]
    assert (await client.get(path, headers=reader.headers)).json() == []
    assert_problem(
        await client.post(
            path, json={"transition": "mark_fixed"}, headers=_if_match(reader, version)
        ),
        403,
    )
    assert_problem(
        await client.post(
            path, json={"transition": "order_repair"}, headers=_if_match(crew, version)
        ),
        403,
    )
    fixed = await client.post(
        path, json={"transition": "mark_fixed"}, headers=_if_match(crew, version)
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["state"] == "fixed"
