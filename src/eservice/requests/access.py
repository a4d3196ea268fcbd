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


class Visibility(msgspec.Struct, frozen=True, kw_only=True):
    """Which requests a caller may see: the one definition of the rule.

    A request is visible when its service is among ``services`` (None: any) and the caller is
    its citizen ``applicant``, or its filer (``filer_kind``/``filer_id``: an API client or an
    anonymous reporter), or it is submitted and either ``all_submitted`` or of one of
    ``departments``. :meth:`admits` applies the rule to a row in Python; :data:`VISIBLE_SQL` is
    the same rule as an SQL condition over :meth:`sql_arguments` (tests/requests/test_access.py
    checks that the two agree).
    """

    services: tuple[str, ...] | None = None
    applicant: UUID | None = None
    filer_kind: str | None = None
    filer_id: UUID | None = None
    all_submitted: bool = False
    departments: tuple[str, ...] = ()

    def admits(self, request: RequestRow) -> bool:
        if self.services is not None and request.service_code not in self.services:
            return False
        if self.applicant is not None and request.applicant_id == self.applicant:
            return True
        if (
            self.filer_id is not None
            and request.filed_by_kind == self.filer_kind
            and request.filed_by_id == self.filer_id
        ):
            return True
        return request.submitted_at is not None and (
            self.all_submitted or request.department in self.departments
        )

    def sql_arguments(self) -> tuple[object, ...]:
        """The values of VISIBLE_SQL's parameters $2 to $7, in order."""
        services = None if self.services is None else list(self.services)
        return (
            services,
            self.applicant,
            self.filer_kind,
            self.filer_id,
            self.all_submitted,
            list(self.departments),
        )


# The rule of Visibility.admits over the columns of ``requests``; its parameters are $2 to $7
# (``$1`` is left to the statement, e.g. the request's id), valued by Visibility.sql_arguments.
VISIBLE_SQL = (
    "($2::text[] IS NULL OR service_code = ANY($2::text[])) AND ("
    "applicant_id = $3::uuid"
    " OR (filed_by_kind = $4::text AND filed_by_id = $5::uuid)"
    " OR (submitted_at IS NOT NULL AND ($6::boolean OR department = ANY($7::text[]))))"
)


def visibility(principal: Principal) -> Visibility:
    """Citizens their own requests, staff their departments', clients by scope and service."""
    if principal.is_citizen:
        return Visibility(applicant=principal.id)
    if principal.is_public_reporter:
        return Visibility(filer_kind=principal.kind, filer_id=principal.id)
    if principal.is_staff:
        return Visibility(departments=tuple(sorted(principal.departments)))
    if principal.is_client:
        files = bool(principal.scopes & CLIENT_SCOPES)
        return Visibility(
            services=None if principal.services is None else tuple(sorted(principal.services)),
            filer_kind=principal.kind if files else None,
            filer_id=principal.id if files else None,
            all_submitted=client_sees_all(principal),
        )
    return Visibility(departments=())


def may_see(principal: Principal, request: RequestRow) -> bool:
    """Whether the caller may see ``request`` (the rule: :class:`Visibility`)."""
    return visibility(principal).admits(request)


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
