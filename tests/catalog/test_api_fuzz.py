"""Fuzzing the catalogue endpoints from the served OpenAPI document: never a server error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from eservice.app import create_app
from eservice.core.config import Settings
from tests.support.live_server import serve_in_thread

CATALOGUE_PATHS = ("/api/v1/services", "/api/v1/workflows")


@pytest.fixture(scope="module")
def catalogue_server(settings: Settings, database_url: str) -> Iterator[str]:
    with serve_in_thread(create_app(settings, database_url)) as base_url:
        yield base_url


def content_type(headers: object) -> str:
    value = headers["content-type"]  # type: ignore[index]
    return value[0] if isinstance(value, list) else str(value)


def test_no_query_or_header_makes_the_catalogue_fail(catalogue_server: str) -> None:
    schema = schemathesis.openapi.from_url(f"{catalogue_server}/schema/openapi.json")
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith(CATALOGUE_PATHS)
    ]
    assert {op.path for op in operations} == {
        "/api/v1/services",
        "/api/v1/services/{code}",
        "/api/v1/workflows/{name}",
    }
    for operation in operations:

        @settings(
            max_examples=40,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            response = case.call(base_url=catalogue_server, timeout=10)
            case.validate_response(response, checks=[not_a_server_error])
            if response.status_code >= 400:
                assert content_type(response.headers).startswith("application/problem+json")
            else:
                assert response.status_code in {200, 304}

        run()
