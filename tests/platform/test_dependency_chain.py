"""Each handler resolves at most one dependency per level, and each for a real reason.

Litestar resolves the dependencies of one level concurrently in an anyio task group, which
costs more per request than the work it parallelises (bench/README.md, "Dependency
resolution"). The app has one dependency, ``db_session`` (the web pages build ``web`` on it);
the caller is resolved by ``identity.authentication`` before the handler, settings are app
state, and parameter bundles (list query, catalogue negotiation) are plain calls.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar._kwargs import kwargs_model
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from eservice.identity.authentication import OPT_KEY, REQUIRED
from tests.requests.helpers import Client, file_request, fire
from tests.support.auth import Caller

HOT = {
    ("POST", "/api/v1/requests"),
    ("GET", "/api/v1/requests/{request_id:uuid}"),
    ("POST", "/api/v1/requests/{request_id:uuid}/transitions"),
    ("GET", "/api/v1/queues/{department:str}/requests"),
    ("POST", "/api/v1/queues/{department:str}/claim"),
}


def _routes(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler, Any]]:
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, (handler, model) in route.route_handler_map.items():
                yield method, route.path, handler, model


def _batches(model: Any) -> list[list[str]]:
    return [sorted(dependency.key for dependency in batch) for batch in model.dependency_batches]


def test_no_route_resolves_two_dependencies_on_one_level(app: Litestar) -> None:
    batches = {(method, path): _batches(model) for method, path, _, model in _routes(app)}
    concurrent = {key: found for key, found in batches.items() if any(len(b) > 1 for b in found)}
    assert concurrent == {}
    assert {key: batches[key] for key in HOT} == {key: [["db_session"]] for key in HOT}


def _parameters_used(function: Callable[..., Any]) -> tuple[set[str], set[str]]:
    """The parameter names of ``function`` and the names its body reads."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef | ast.AsyncFunctionDef)
    parameters = {a.arg for a in ast.walk(definition.args) if isinstance(a, ast.arg)}
    read = {
        node.id
        for statement in definition.body
        for node in ast.walk(statement)
        if isinstance(node, ast.Name)
    }
    return parameters, read


def test_every_provider_uses_the_dependencies_it_declares(app: Litestar) -> None:
    """No dependency is declared only to order resolution (what the old chain did)."""
    unused: dict[str, set[str]] = {}
    for _, _, handler, _ in _routes(app):
        providers = handler.resolve_dependencies()
        for key, provide in providers.items():
            parameters, read = _parameters_used(provide.dependency)
            idle = (parameters & providers.keys()) - read
            if idle:
                unused[key] = idle
    assert unused == {}


def _calls(function: Callable[..., Any]) -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


def test_routes_that_read_the_caller_declare_it(app: Litestar) -> None:
    """``caller``/``optional_caller`` need ``opt=CALLER``/``OPTIONAL_CALLER`` (and vice versa),
    and the app's hook that authenticates them (a router's own ``before_request`` replaces it)."""
    wrong = []
    for method, path, handler, _ in _routes(app):
        calls = _calls(handler.fn)
        declared = handler.opt.get(OPT_KEY)
        reads = bool(calls & {"caller", "optional_caller"})
        if reads != (declared is not None) or (declared == REQUIRED) != ("caller" in calls):
            wrong.append(f"{method} {path}: opt {declared!r}, calls {calls & {'caller'}}")
        if declared is not None and handler.resolve_before_request() is not app.before_request:
            wrong.append(f"{method} {path}: another before_request hook skips authentication")
    assert wrong == []


def _no_task_group() -> Any:
    raise AssertionError("a request resolved two dependencies of one level concurrently")


async def test_filing_transitions_and_reads_need_no_task_group(
    client: Client, citizen: Caller, make_staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clerk = await make_staff("clerk", departments=("steuern",))
    monkeypatch.setattr(kwargs_model, "create_task_group", _no_task_group)
    request = await file_request(client, citizen, "hundeanmeldung")
    request = await fire(client, clerk, request, "start_review")
    for caller in (citizen, clerk):
        read = await client.get(f"/api/v1/requests/{request['id']}", headers=caller.headers)
        assert read.status_code == 200, read.text
    queue = await client.get("/api/v1/queues/steuern/requests", headers=clerk.headers)
    assert queue.status_code == 200, queue.text
    claimed = await client.post("/api/v1/queues/steuern/claim", headers=clerk.headers)
    assert claimed.status_code in (200, 204), claimed.text


async def test_a_list_query_is_checked_after_authentication(client: Client) -> None:
    for path in ("/api/v1/requests", "/api/v1/queues/steuern/requests"):
        anonymous = await client.get(path, params={"limit": "100000", "sort": "nonsense"})
        assert anonymous.status_code == 401, anonymous.text
