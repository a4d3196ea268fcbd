"""Fuzzing the requests and queues API as an authenticated citizen and clerk: never a 500."""

from __future__ import annotations

import asyncio
from typing import Any

import schemathesis
from hypothesis import given
from schemathesis.checks import not_a_server_error

from tests.requests.helpers import filing
from tests.support.fuzzing import fuzz_settings, served_schema

PREFIXES = ("/api/v1/requests", "/api/v1/queues")


def _fuzz(operation: Any, base_url: str, headers: dict[str, str], ids: dict[str, str]) -> None:
    @fuzz_settings(max_examples=12)
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
    live_server: str, make_citizen: Any, make_staff: Any
) -> None:
    import httpx

    citizen = await make_citizen()
    clerk = await make_staff("clerk", departments=("steuern",))
    async with httpx.AsyncClient(base_url=live_server) as http:
        created = await http.post(
            "/api/v1/requests", json=filing("hundeanmeldung"), headers=citizen.headers
        )
    assert created.status_code == 201
    ids = {"request_id": created.json()["id"], "department": "steuern"}
    schema = served_schema(live_server)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith(PREFIXES) and "attachments" not in result.ok().path
    ]
    assert len(operations) >= 12
    for caller in (citizen, clerk):
        for operation in operations:
            await asyncio.to_thread(_fuzz, operation, live_server, caller.headers, ids)
