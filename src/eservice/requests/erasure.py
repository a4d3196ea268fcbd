"""A citizen closes their account: what they still have open is withdrawn first."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog.service import get_published_service
from eservice.core.config import Settings
from eservice.core.errors import DomainError
from eservice.identity.principal import Principal
from eservice.requests import retention_repository
from eservice.requests.access import event_actor
from eservice.requests.tables import RequestRow
from eservice.requests.transitions import apply_decision, decide_for, engine_caller
from eservice.workflow.engine import available_transitions

WITHDRAW = "withdraw"


async def withdraw_open_requests(
    session: AsyncSession, settings: Settings, principal: Principal
) -> list[RequestRow]:
    """Fire the workflow's ``withdraw`` on each filed, open request of the citizen where the
    workflow offers it to the applicant now; return the citizen's drafts (to be deleted).

    A request whose workflow has no withdrawal (a road damage report) stays open for the
    city to finish, no longer linked to the account.
    """
    drafts = []
    for row in await retention_repository.requests_of(session, principal.id):
        if row.submitted_at is None:
            drafts.append(row)
            continue
        if row.closed_at is not None:
            continue
        service = await get_published_service(session, row.service_code, row.service_version)
        caller = engine_caller(principal, row)
        names = {t.name for t in available_transitions(service.workflow, row.state, caller)}
        if WITHDRAW not in names:
            continue
        try:
            decision = decide_for(
                service, row, WITHDRAW, caller, comment=None, data={}, documents=set()
            )
        except DomainError:
            continue  # the withdrawal needs something (a comment) only the citizen could give
        await apply_decision(session, settings, row, decision, event_actor(principal, row))
    return drafts
