"""Fuzzing the requests and queues API as an authenticated citizen and clerk: never a 500."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from eservice.app import create_app
from eservice.core.config import Settings
from tests.requests.helpers import filing
from tests.support.live_server import serve_in_thread

PREFIXES = ("/api/v1/requests", "/api/v1/queues")


@pytest.fixture(scope="module")
def requests_server(settings: Settings, database_url: str) -> Iterator[str]:
    with serve_in_thread(create_app(settings, database_url)) as base_url:
        yield base_url


def _fuzz(operation: Any, base_url: str, headers: dict[str, str], ids: dict[str, str]) -> None:
    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        for name, value in ids.items():
            if case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = value
        response = case.call(base_url=base_url, headers=headers, timeout=10)
        case.validate_response(response, checks=[not_a_server_error])
        if response.status_code >= 400:
            content_type = response.headers.get("content-type", [""])[0]
            assert content_type.startswith("application/problem+json"), case.formatted_path

    run()


async def test_requests_and_queues_api_never_answers_500(
    requests_server: str, make_citizen: Any, make_staff: Any
) -> None:
    import httpx

    citizen = await make_citizen()
    clerk = await make_staff("clerk", departments=("steuern",))
    async with httpx.AsyncClient(base_url=requests_server) as http:
        created = await http.post(
            "/api/v1/requests", json=filing("hundeanmeldung"), headers=citizen.headers
        )
    assert created.status_code == 201
    ids = {"request_id": created.json()["id"], "department": "steuern"}
    schema = schemathesis.openapi.from_url(f"{requests_server}/schema/openapi.json")
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith(PREFIXES) and "attachments" not in result.ok().path
    ]
    assert len(operations) >= 12
    for caller in (citizen, clerk):
        for operation in operations:
            await asyncio.to_thread(_fuzz, operation, requests_server, caller.headers, ids)
