"""Fuzzing the OGC API from its own OpenAPI 3.0 document (/ogc/api), and the statistics from
the JSON API's: never a server error; every refusal a problem document."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from eservice.app import create_app
from eservice.core.config import Settings
from tests.ogc.helpers import insert_request
from tests.support.live_server import serve_in_thread


@pytest.fixture
def server(settings: Settings, database_url: str) -> Iterator[str]:
    with serve_in_thread(create_app(settings, database_url)) as base_url:
        yield base_url


def _fuzz(base_url: str, operations: list[schemathesis.APIOperation]) -> None:
    for operation in operations:

        @settings(
            max_examples=60,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            response = case.call(base_url=base_url, timeout=20)
            case.validate_response(response, checks=[not_a_server_error])
            if response.status_code >= 400:
                assert response.headers["content-type"][0].startswith("application/problem+json")

        run()


async def test_no_parameter_makes_the_ogc_api_fail(
    server: str, raw_connection: asyncpg.Connection
) -> None:
    await insert_request(raw_connection)
    schema = schemathesis.openapi.from_url(f"{server}/ogc/api")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/collections/public-reports/items", "/"}
    _fuzz(f"{server}/ogc", operations)


def test_no_parameter_makes_the_statistics_fail(server: str) -> None:
    schema = schemathesis.openapi.from_url(f"{server}/schema/openapi.json")
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path == "/api/v1/open-data/statistics"
    ]
    assert len(operations) == 1
    _fuzz(server, operations)
