"""``/health/live`` and ``/health/ready``."""

from __future__ import annotations

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncEngine

from eservice.core.migrate import current_revision, head_revision
from eservice.core.outage import note_unavailable


class Health(msgspec.Struct, omit_defaults=True):
    status: str
    database: str | None = None
    migration: str | None = None
    expected_migration: str | None = None


@get("/health/live", tags=["operations"], summary="The process is up", sync_to_thread=False)
def live() -> Health:
    return Health(status="ok")


@get("/health/ready", tags=["operations"], summary="Database reachable and migrations at head")
async def ready(state: State) -> Response[Health]:
    engine: AsyncEngine = state.engine
    expected = head_revision()
    try:
        current = await current_revision(engine)
    except Exception as exc:
        note_unavailable(exc)  # a probe finds an outage even while no request comes in
        return Response(Health(status="unavailable", database="unreachable"), status_code=503)
    if current != expected:
        return Response(
            Health(
                status="unavailable",
                database="ok",
                migration=current,
                expected_migration=expected,
            ),
            status_code=503,
        )
    return Response(Health(status="ok", database="ok", migration=current))


routes = [live, ready]
