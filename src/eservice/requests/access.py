"""Who may see a request, and which workflow actors a caller counts as. Pure rules, no I/O."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import msgspec

from eservice.identity.principal import Principal, Scope
from eservice.requests.tables import RequestRow
from eservice.workflow.definitions import Actor

CLIENT_SCOPES: frozenset[str] = frozenset(
    {Scope.REQUESTS_READ, Scope.REQUESTS_WRITE, Scope.REQUESTS_TRANSITION}
)

ActorKind = Literal["citizen", "staff", "client", "public", "system"]


class EventActor(msgspec.Struct, frozen=True):
    """Who causes an event: the kind of caller, its id, and its role for this request."""

    kind: ActorKind
    id: UUID | None
    role: str


SYSTEM = EventActor(kind="system", id=None, role="system")


def is_applicant(principal: Principal, request: RequestRow) -> bool:
    """The caller filed it: the citizen applicant, the API client or the anonymous reporter."""
    if principal.is_citizen:
        return request.applicant_id == principal.id
    if principal.is_client or principal.is_public_reporter:
        return request.filed_by_kind == principal.kind and request.filed_by_id == principal.id
    return False


def is_staff_of(principal: Principal, request: RequestRow) -> bool:
    """Staff of the request's department; drafts are the applicant's own until submitted."""
    return principal.works_in(request.department) and request.submitted_at is not None


def may_see(principal: Principal, request: RequestRow) -> bool:
    """Citizens their own requests, staff their departments', clients by scope and service."""
    if principal.is_citizen or principal.is_public_reporter:
        return is_applicant(principal, request)
    if principal.is_staff:
        return is_staff_of(principal, request)
    if principal.is_client:
        if not principal.may_use_service(request.service_code):
            return False
        if is_applicant(principal, request):
            return bool(principal.scopes & CLIENT_SCOPES)
        return client_sees_all(principal) and request.submitted_at is not None
    return False


def client_sees_all(principal: Principal) -> bool:
    """Clients that read or move requests see every filed request of their services."""
    return principal.has_scope(Scope.REQUESTS_READ) or principal.has_scope(
        Scope.REQUESTS_TRANSITION
    )


def sees_internal(principal: Principal) -> bool:
    """Internal comments, assignments and staff-only fields are for staff only."""
    return principal.is_staff


def staff_role(principal: Principal) -> str:
    """The role a staff member acts in, for the history."""
    for role in ("supervisor", "clerk", "admin"):
        if principal.has_role(role):
            return role
    return "clerk"


def workflow_actors(principal: Principal, request: RequestRow) -> frozenset[Actor]:
    """The workflow actors the caller counts as for this request (empty: may fire nothing)."""
    actors: set[Actor] = set()
    if is_applicant(principal, request) and (
        principal.is_citizen
        or principal.is_public_reporter
        or principal.has_scope(Scope.REQUESTS_WRITE)
    ):
        actors.add("applicant")
    if is_staff_of(principal, request):
        if principal.roles & {"clerk", "supervisor", "admin"}:
            actors.add("clerk")
        if principal.roles & {"supervisor", "admin"}:
            actors.add("supervisor")
    if (
        principal.is_client
        and principal.has_scope(Scope.REQUESTS_TRANSITION)
        and principal.may_use_service(request.service_code)
    ):
        actors.add("client")
    return frozenset(actors)


def event_actor(principal: Principal, request: RequestRow) -> EventActor:
    """How the caller appears in the request's history."""
    if principal.is_staff:
        return EventActor(kind="staff", id=principal.id, role=staff_role(principal))
    if is_applicant(principal, request):
        return EventActor(kind=principal.kind, id=principal.id, role="applicant")
    return EventActor(kind=principal.kind, id=principal.id, role=principal.kind)
