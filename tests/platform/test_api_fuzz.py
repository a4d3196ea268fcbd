"""API fuzzing with schemathesis against the served OpenAPI document: bad input is never a 500."""

from __future__ import annotations

import schemathesis
from hypothesis import given
from schemathesis.checks import not_a_server_error

from tests.support.fuzzing import fuzz_settings, served_schema

# RFC 6749 endpoints answer errors in the OAuth form ({"error": ...}), by contract.
OAUTH_ENDPOINTS = {"/api/v1/auth/token", "/api/v1/auth/revoke"}


OPEN311 = "/open311/"


def _fuzz_operation(operation: object, base_url: str, headers: dict[str, str]) -> None:
    strategy = operation.as_strategy()  # type: ignore[attr-defined]

    @fuzz_settings(max_examples=15)
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=10)
        case.validate_response(response, checks=[not_a_server_error])
        content_type = response.headers.get("content-type", [""])[0]
        if response.status_code >= 400 and case.path.startswith(OPEN311):
            # Open311 answers in its standard's error form: [{code, description}] or <errors>.
            assert content_type.startswith(("application/json", "text/xml")), case.path
            assert f"{response.status_code}" in response.text, case.path
        elif response.status_code >= 400 and case.path not in OAUTH_ENDPOINTS:
            assert content_type.startswith("application/problem+json"), (
                case.method,
                case.formatted_path,
                response.status_code,
            )

    run()


def test_no_input_makes_the_api_fail_with_a_server_error(live_server: str) -> None:
    schema = served_schema(live_server)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3
    for operation in operations:
        _fuzz_operation(operation, live_server, {})
