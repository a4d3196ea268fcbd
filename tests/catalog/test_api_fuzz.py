"""Fuzzing the catalogue endpoints from the served OpenAPI document: never a server error."""

from __future__ import annotations

import schemathesis
from hypothesis import given
from schemathesis.checks import not_a_server_error

from tests.support.fuzzing import fuzz_settings, served_schema

CATALOGUE_PATHS = ("/api/v1/services", "/api/v1/workflows")


def content_type(headers: object) -> str:
    value = headers["content-type"]  # type: ignore[index]
    return value[0] if isinstance(value, list) else str(value)


def test_no_query_or_header_makes_the_catalogue_fail(live_server: str) -> None:
    schema = served_schema(live_server)
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

        @fuzz_settings(max_examples=40)
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            response = case.call(base_url=live_server, timeout=10)
            case.validate_response(response, checks=[not_a_server_error])
            if response.status_code >= 400:
                assert content_type(response.headers).startswith("application/problem+json")
            else:
                assert response.status_code in {200, 304}

        run()
