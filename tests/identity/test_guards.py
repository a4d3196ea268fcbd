"""Guards and the authentication other contexts build on."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from litestar import Litestar, Request, get
from litestar.datastructures import State
from litestar.testing import AsyncTestClient

from eservice.core.config import Settings
from eservice.core.errors import Forbidden, NotFound
from eservice.core.problems import handle_exception
from eservice.identity.authentication import (
    CALLER,
    OPTIONAL_CALLER,
    authenticate,
    caller,
    optional_caller,
)
from eservice.identity.guards import (
    hide_unless,
    require_admin,
    require_citizen,
    require_client,
    require_department,
    require_role,
    require_staff,
    require_verified_email,
)
from eservice.identity.principal import Principal
from tests.identity.helpers import Client, assert_generic_401, bearer
from tests.support.auth import Caller, MakeCitizen, MakeStaff


@get("/whoami", sync_to_thread=False, opt=OPTIONAL_CALLER)
def whoami(request: Request[Any, Any, Any]) -> dict[str, Any]:
    principal = optional_caller(request)
    if principal is None:
        return {"anonymous": True}
    return {"kind": principal.kind, "id": str(principal.id)}


@get("/private", sync_to_thread=False, opt=CALLER)
def private(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return {"id": str(caller(request).id)}


@get("/public", sync_to_thread=False)
def public() -> dict[str, Any]:
    return {"public": True}


@pytest.fixture
async def probe(settings: Settings) -> Any:
    app = Litestar(
        route_handlers=[whoami, private, public],
        before_request=authenticate,
        state=State({"settings": settings}),
        exception_handlers={Exception: handle_exception},
    )
    async with AsyncTestClient(app=app) as c:
        yield c


async def test_optional_principal_is_none_without_a_token_and_401_with_a_bad_one(
    probe: Client, citizen: Caller
) -> None:
    assert (await probe.get("/whoami")).json() == {"anonymous": True}
    known = await probe.get("/whoami", headers=citizen.headers)
    assert known.json() == {"kind": "citizen", "id": str(citizen.id)}
    assert_generic_401(await probe.get("/whoami", headers=bearer("forged.token.value")))
    assert_generic_401(await probe.get("/private"))
    assert (await probe.get("/private", headers=citizen.headers)).status_code == 200
    assert_generic_401(await probe.get("/private", headers={"Authorization": "Basic eDp5"}))


async def test_a_route_without_a_caller_ignores_the_authorization_header(probe: Client) -> None:
    for value in ("Bearer forged.token.value", "Basic eDp5", "nonsense"):
        answered = await probe.get("/public", headers={"Authorization": value})
        assert answered.json() == {"public": True}, value


async def test_staff_guards(make_staff: MakeStaff, citizen: Caller) -> None:
    clerk = (await make_staff("clerk", ["verkehr"])).principal
    admin = (await make_staff("admin", [])).principal
    require_staff(clerk)
    require_department(clerk, "verkehr")
    with pytest.raises(Forbidden):
        require_department(clerk, "umwelt")
    require_role(clerk, "clerk", "supervisor")
    with pytest.raises(Forbidden):
        require_role(clerk, "supervisor")
    with pytest.raises(Forbidden):
        require_admin(clerk)
    require_admin(admin)
    with pytest.raises(Forbidden):
        require_staff(citizen.principal)
    with pytest.raises(Forbidden):
        require_department(citizen.principal, "verkehr")
    with pytest.raises(Forbidden):
        require_admin(Principal(kind="citizen", id=uuid.uuid4(), roles=frozenset({"admin"})))


async def test_kind_and_visibility_guards(citizen: Caller) -> None:
    require_citizen(citizen.principal)
    with pytest.raises(Forbidden):
        require_client(citizen.principal)
    hide_unless(True)
    with pytest.raises(NotFound):
        hide_unless(False, "request")


async def test_verified_email_guard_follows_the_setting(
    make_citizen: MakeCitizen, settings: Settings
) -> None:
    unverified = (await make_citizen(verified=False)).principal
    assert unverified.email_verified is False
    with pytest.raises(Forbidden):
        require_verified_email(unverified, settings)
    relaxed = Settings(require_verified_email=False)
    require_verified_email(unverified, relaxed)
    require_verified_email((await make_citizen()).principal, settings)


async def test_concurrent_registrations_of_one_email_create_one_account(client: Client) -> None:
    body = {"email": "race@example.org", "password": "Stadtwerke-Kiel-2026", "display_name": "R"}
    results = await asyncio.gather(
        *(client.post("/api/v1/auth/register", json=body) for _ in range(4))
    )
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409]
