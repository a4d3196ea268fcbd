"""Rows to output Structs, showing each caller only what they may see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog.service import PublishedService, get_published_service
from eservice.identity.principal import Principal
from eservice.requests.access import sees_internal
from eservice.requests.requirements import required_documents
from eservice.requests.schemas import (
    ActorOut,
    DocumentNeedOut,
    EventOut,
    LegalHoldOut,
    LocationOut,
    RequestOut,
    RequirementsOut,
    ServiceRef,
    TransitionOut,
)
from eservice.requests.tables import RequestEventRow, RequestRow
from eservice.workflow.definitions import Transition, Workflow

ServiceKey = tuple[str, int]


async def services_for(
    session: AsyncSession, rows: Iterable[RequestRow]
) -> dict[ServiceKey, PublishedService]:
    """The pinned service version of each row (published versions are cached in process)."""
    services: dict[ServiceKey, PublishedService] = {}
    for row in rows:
        key = (row.service_code, row.service_version)
        if key not in services:
            services[key] = await get_published_service(session, *key)
    return services


def is_overdue(row: RequestRow, now: datetime | None = None) -> bool:
    """Deadline passed while the clock runs (paused and closed requests are never overdue)."""
    if row.due_at is None or row.closed_at is not None or row.sla_state != "runs":
        return False
    return row.due_at < (now or datetime.now(UTC))


def state_label(workflow: Workflow, state: str, lang: str) -> str:
    try:
        return workflow.state(state).label.pick(lang)
    except KeyError:
        return state


def present_request(row: RequestRow, service: PublishedService, principal: Principal) -> RequestOut:
    lang = principal.locale
    location = None
    if row.location is not None:
        location = LocationOut(
            lat=row.location["lat"], lon=row.location["lon"], address=row.location.get("address")
        )
    out = RequestOut(
        id=row.id,
        reference=row.reference,
        service=ServiceRef(code=row.service_code, version=row.service_version),
        title=service.definition.title.pick(lang),
        state=row.state,
        state_label=state_label(service.workflow, row.state, lang),
        version=row.version,
        data=row.data,
        location=location,
        department=row.department,
        priority=row.priority,
        due_at=row.due_at,
        overdue=is_overdue(row),
        sla_state=row.sla_state,
        created_at=row.created_at,
        submitted_at=row.submitted_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
    )
    if sees_internal(principal):
        out.assignee = row.assignee_id
        out.applicant_id = row.applicant_id
        out.retention_until = row.retention_until
        out.legal_hold = present_legal_hold(row)
    return out


def present_legal_hold(row: RequestRow) -> LegalHoldOut | None:
    if row.legal_hold_at is None or row.legal_hold_reason is None:
        return None
    return LegalHoldOut(
        reason=row.legal_hold_reason, placed_at=row.legal_hold_at, placed_by=row.legal_hold_by
    )


def present_requests(
    rows: Iterable[RequestRow],
    services: dict[ServiceKey, PublishedService],
    principal: Principal,
) -> list[RequestOut]:
    return [
        present_request(row, services[(row.service_code, row.service_version)], principal)
        for row in rows
    ]


def present_event(row: RequestEventRow, principal: Principal) -> EventOut:
    staff = sees_internal(principal)
    actor = ActorOut(role=row.actor_role)
    if staff or (row.actor_id is not None and row.actor_id == principal.id):
        actor.id = row.actor_id
    out = EventOut(
        id=row.id,
        type=row.type,
        occurred_at=row.occurred_at,
        visibility="internal" if row.visibility == "internal" else "public",
        actor=actor,
        from_state=row.from_state,
        to_state=row.to_state,
        transition=row.transition,
        comment=row.comment,
    )
    if staff:
        out.data = row.data
    return out


def _document_label(service: PublishedService, kind: str, lang: str) -> str:
    document = service.definition.document(kind)
    return kind if document is None else document.label.pick(lang)


def present_transition(
    transition: Transition, service: PublishedService, present: set[str], lang: str
) -> TransitionOut:
    """A transition with everything it needs, ``present`` being the attached document kinds."""
    documents = required_documents(service, transition.name)
    return TransitionOut(
        name=transition.name,
        to=transition.to,
        label=transition.label.pick(lang),
        to_label=state_label(service.workflow, transition.to, lang),
        requires=RequirementsOut(
            comment=transition.requires.comment,
            fields=list(transition.requires.fields),
            documents=documents,
            missing_documents=[
                DocumentNeedOut(kind=kind, label=_document_label(service, kind, lang))
                for kind in documents
                if kind not in present
            ],
        ),
    )
