"""Scope names exist once (``eservice.identity.principal.Scope``); every check uses the enum."""

from __future__ import annotations

import ast
from pathlib import Path
from uuid import uuid4

from eservice.identity.principal import Principal, Scope
from tests.contract.helpers import Client, assert_problem
from tests.support.auth import MakeStaff

SRC = Path(__file__).resolve().parents[2] / "src" / "eservice"


def test_no_module_spells_a_scope_name_but_the_enum() -> None:
    names = {scope.value for scope in Scope}
    spelled = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in SRC.rglob("*.py")
        if path.name != "principal.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
    ]
    assert spelled == []


def test_a_client_has_exactly_the_scopes_it_was_given() -> None:
    client = Principal(kind="client", id=uuid4(), scopes=frozenset({Scope.REQUESTS_READ.value}))
    assert client.has_scope(Scope.REQUESTS_READ)
    assert not client.has_scope(Scope.REQUESTS_WRITE)
    person = Principal(kind="staff", id=uuid4(), scopes=frozenset({Scope.REQUESTS_READ.value}))
    assert not person.has_scope(Scope.REQUESTS_READ)  # scopes are for API clients only


async def test_a_bad_scope_is_pointed_at_where_it_was_given(
    client: Client, make_staff: MakeStaff
) -> None:
    admin = await make_staff("admin", [])
    body = {"name": "Integration", "scopes": ["subscriptions:manage", "BAD SCOPE"]}
    response = await client.post("/api/v1/admin/clients", json=body, headers=admin.headers)
    problem = assert_problem(response, 422)
    assert [e["pointer"] for e in problem["errors"]] == ["/scopes/1"]
    body = {"name": "Integration", "scopes": ["requests:read"], "services": ["ok", "NOT OK"]}
    response = await client.post("/api/v1/admin/clients", json=body, headers=admin.headers)
    problem = assert_problem(response, 422)
    assert [e["pointer"] for e in problem["errors"]] == ["/services/1"]
