"""The OpenAPI document tells the truth: data valid by it is accepted (schemathesis, positive).

Every documented operation is called with data schemathesis generates from the served document,
by a caller of the role the operation is for, on real rows where it names one. The answer must
be a success or a documented domain answer: 404 (a generated id names nothing), 409, 412 (a
version other than the current one), or the operation's documented domain refusals listed in
``DOMAIN_ANSWERS`` (a 422 only when each of its pointers names a field whose rule the document
describes in words because JSON Schema cannot state it, such as a form checked against the
service's own JSON Schema). Anything else (a 400, or a 422 at a field the schema constrains)
means the document and the server have drifted apart, and schemathesis's
``positive_data_acceptance`` check fails.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import schemathesis
from hypothesis import given
from schemathesis.checks import not_a_server_error, positive_data_acceptance

from tests.requests.helpers import filing
from tests.support.auth import Caller, MakeApiClient, MakeCitizen, MakeStaff
from tests.support.fuzzing import fuzz_settings, served_schema

# What every operation may answer to valid data (schemathesis's default list, without 401/403,
# 429 and 5xx: a caller of the right role is refused only where DOMAIN_ANSWERS says why, and a
# 500 is never fine).
ACCEPTED = ["2xx", "304", "404", "409", "412"]
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}}}
)
# A live stream never ends; tests/notifications/test_stream.py covers it.
NOT_CALLED = {"/api/v1/events/stream"}
EXAMPLES = 8

# A documented domain answer: (the response schemathesis got, the case sent) -> is it one.
Rule = Callable[[Any, Any], bool]


def _pointers(response: Any) -> list[str]:
    body = response.json()
    return [error["pointer"] for error in body.get("errors", [])]


def refused_at(*prefixes: str, status: int = 422) -> Rule:
    """A documented refusal: ``status`` with every error pointer inside one of ``prefixes``."""

    def rule(response: Any, case: Any) -> bool:
        pointers = _pointers(response)
        inside = [any(p == x or p.startswith(x + "/") for x in prefixes) for p in pointers]
        return response.status_code == status and bool(pointers) and all(inside)

    return rule


def oauth_error(*errors: str) -> Rule:
    """An RFC 6749 §5.2 answer that rejects credentials (never ``invalid_request``)."""

    def rule(response: Any, case: Any) -> bool:
        if response.status_code not in (400, 401, 429):
            return False
        return response.status_code == 429 or response.json().get("error") in errors

    return rule


def internal_for_staff_only(response: Any, case: Any) -> bool:
    """403 for an applicant asking for ``visibility: internal``, which is for staff."""
    body = case.body if isinstance(case.body, dict) else {}
    return response.status_code == 403 and body.get("visibility") == "internal"


def status_only(*statuses: int) -> Rule:
    def rule(response: Any, case: Any) -> bool:
        return response.status_code in statuses

    return rule


def statistics_refusal(response: Any, case: Any) -> bool:
    documented = ("from must not be after to", "there is no service", "at most 120 months")
    return response.status_code == 400 and any(text in response.text for text in documented)


# The domain refusals each operation documents (in its description or its fields').
DOMAIN_ANSWERS: dict[tuple[str, str], list[Rule]] = {
    ("POST", "/api/v1/auth/register"): [refused_at("/password")],
    ("POST", "/api/v1/auth/token"): [
        oauth_error("invalid_grant", "invalid_client", "invalid_scope")
    ],
    ("POST", "/api/v1/auth/verify-email"): [refused_at("/token")],
    ("POST", "/api/v1/auth/password-reset/confirm"): [refused_at("/token", "/password")],
    ("POST", "/api/v1/admin/users"): [refused_at("/password")],
    ("PATCH", "/api/v1/admin/users/{user_id}"): [refused_at("/departments")],
    ("POST", "/api/v1/requests"): [refused_at("/service", "/data", "/location", "/applicant_id")],
    ("PATCH", "/api/v1/requests/{request_id}"): [refused_at("/data", "/location")],
    ("POST", "/api/v1/requests/{request_id}/transitions"): [
        status_only(403),
        refused_at("/transition", "/comment", "/data", "/documents"),
    ],
    ("PUT", "/api/v1/requests/{request_id}/assignee"): [
        status_only(403),
        refused_at("/assignee_id"),
    ],
    ("POST", "/api/v1/requests/{request_id}/attachments"): [
        status_only(413),
        internal_for_staff_only,
        refused_at("/kind", "/file"),
    ],
    ("POST", "/api/v1/requests/{request_id}/comments"): [internal_for_staff_only],
    ("POST", "/api/v1/subscriptions"): [refused_at("/url")],
    ("GET", "/api/v1/open-data/statistics"): [statistics_refusal],
    ("DELETE", "/api/v1/me"): [status_only(403)],  # the password is not correct
    # Only supervisors of the request's department (documented): the caller here is a clerk.
    ("PUT", "/api/v1/requests/{request_id}/legal-hold"): [status_only(403)],
    ("DELETE", "/api/v1/requests/{request_id}/legal-hold"): [status_only(403)],
}


def _documented_refusal(case: Any, response: Any) -> bool:
    rules = DOMAIN_ANSWERS.get((case.method.upper(), case.path), [])
    return any(rule(response, case) for rule in rules)


def _as_sent(case: Any, base_url: str, headers: dict[str, str]) -> None:
    """Adjust what no schema can generate: values only the server hands out.

    A cursor is opaque (only one the server wrote is valid), so it is left out. Idempotency
    keys are generated alike, and a key reused with another body is a documented 422, so each
    case gets its own. ``If-Match`` keeps its generated form (``W/``, quotes) but names the
    request's current version, so the body reaches the service's own rules instead of 412.
    """
    if case.query:
        case.query.pop("cursor", None)
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = case.headers["Idempotency-Key"][:200] + uuid.uuid4().hex
    if case.headers and "If-Match" in case.headers:
        url = f"{base_url}/api/v1/requests/{case.path_parameters['request_id']}"
        version = httpx.get(url, headers=headers, timeout=10).json()["version"]
        case.headers["If-Match"] = re.sub("[0-9]+", str(version), case.headers["If-Match"])


def _check(operation: Any, base_url: str, headers: dict[str, str], ids: dict[str, str]) -> None:
    names = {parameter.name for parameter in operation.path_parameters}
    fixed = {name: value for name, value in ids.items() if name in names}

    @fuzz_settings(max_examples=EXAMPLES)
    @given(case=operation.as_strategy(path_parameters=fixed))
    def run(case: schemathesis.Case) -> None:
        _as_sent(case, base_url, headers)
        response = case.call(base_url=base_url, headers=headers, timeout=10)
        case.validate_response(response, checks=[not_a_server_error])
        if not _documented_refusal(case, response):
            case.validate_response(response, checks=[positive_data_acceptance])

    run()


def _caller(path: str, method: str, callers: dict[str, Caller]) -> dict[str, str]:
    if path.startswith("/api/v1/admin"):
        return callers["admin"].headers
    if path.startswith("/api/v1/subscriptions"):
        return callers["client"].headers
    staff_only = path.startswith("/api/v1/queues") or path.endswith("/assignee")
    # The assignee filter of the request list is for staff (documented: 400 for others).
    if staff_only or (path == "/api/v1/requests" and method == "GET"):
        return callers["supervisor"].headers
    if path.startswith(("/api/v1/me", "/api/v1/requests")):
        return callers["citizen"].headers
    return {}


async def test_data_valid_by_the_document_is_accepted(
    live_server: str,
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    make_api_client: MakeApiClient,
) -> None:
    callers = {
        "citizen": await make_citizen(),
        "supervisor": await make_staff("supervisor", departments=("steuern",)),
        "admin": await make_staff("admin", departments=()),
        "client": await make_api_client(["subscriptions:manage"]),
    }
    clerk = await make_staff("clerk", departments=("steuern",))
    retired = await make_api_client(["requests:read"])
    citizen = callers["citizen"].headers
    async with httpx.AsyncClient(base_url=live_server) as http:
        draft = await http.post(
            "/api/v1/requests", json=filing("bewohnerparkausweis", submit=False), headers=citizen
        )
        filed = await http.post("/api/v1/requests", json=filing("hundeanmeldung"), headers=citizen)
        subscription = await http.post(
            "/api/v1/subscriptions",
            json={"url": "https://192.0.43.10/hook", "events": ["request.submitted"]},
            headers=callers["client"].headers,
        )
    assert draft.status_code == filed.status_code == subscription.status_code == 201
    ids = {
        "department": "steuern",
        "code": "hundeanmeldung",
        "name": "registration",
        "user_id": str(clerk.id),
        "client_row_id": str(retired.id),
        "subscription_id": subscription.json()["id"],
    }
    schema = served_schema(live_server, CONFIG)
    operations = [result.ok() for result in schema.get_all_operations()]
    checked, drifted = 0, []
    for operation in operations:
        if operation.path in NOT_CALLED or operation.path.startswith("/open311/"):
            # Open311 follows its own standard (form-encoded POST, GeoReport errors); its
            # contract is tests/open311/, validated against the standard's own JSON Schemas.
            continue
        method = operation.method.upper()
        # Staff work on filed requests, the applicant on a draft.
        request = filed if operation.path.endswith("/assignee") else draft
        headers = _caller(operation.path, method, callers)
        path_ids = {**ids, "request_id": request.json()["id"]}
        try:
            await asyncio.to_thread(_check, operation, live_server, headers, path_ids)
        except Exception as failure:  # every drifted operation is reported, not just the first
            drifted.append(f"{method} {operation.path}: {failure}")
        checked += 1
    assert not drifted, "\n\n".join(drifted)
    assert checked >= 40
