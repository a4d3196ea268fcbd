"""State changes, only through the workflow engine, as one compare-and-set per transition.

``apply_decision`` is the single place where a decision of the engine becomes a change: the
compare-and-set UPDATE on (id, version, state), the SLA clock, timers, and exactly one history
row plus one outbox row. HTTP callers and the timer worker both go through it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.attachments.repository import document_kinds_present
from eservice.catalog.service import PublishedService, get_published_service
from eservice.core.bounds import check_storable
from eservice.core.config import Settings
from eservice.core.errors import (
    Conflict,
    FieldError,
    Forbidden,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from eservice.events.outbox import NOTIFY_CHANNEL, event_payload
from eservice.identity.principal import Principal
from eservice.requests import history, repository
from eservice.requests.access import EventActor, event_actor, workflow_actors
from eservice.requests.deadlines import BusinessCalendar, calendar_for
from eservice.requests.http import etag
from eservice.requests.requirements import missing_documents, required_documents
from eservice.requests.retention import retention_date
from eservice.requests.schemas import TransitionIn
from eservice.requests.tables import RequestRow
from eservice.workflow.definitions import SUBMIT_TRANSITION, Transition
from eservice.workflow.engine import (
    Caller,
    Decision,
    Inputs,
    TransitionRefused,
    available_transitions,
    decide,
)


def calendar(settings: Settings) -> BusinessCalendar:
    return calendar_for(settings.holiday_subdivision, settings.time_zone)


def check_if_match(row: RequestRow, if_match: int | None) -> None:
    """428 without ``If-Match``, 412 when it names another version than the current one."""
    if if_match is None:
        raise PreconditionRequired(
            'This change needs an If-Match header with the request\'s ETag (e.g. If-Match: "3").'
        )
    if if_match != row.version:
        raise PreconditionFailed(
            f"The request has changed (version {row.version}); reload it and try again.",
            headers={"ETag": etag(row.version)},
        )


def stale() -> PreconditionFailed:
    return PreconditionFailed("Someone else changed the request first; reload it and try again.")


def engine_caller(principal: Principal, row: RequestRow) -> Caller:
    return Caller(
        actors=workflow_actors(principal, row),
        is_assignee=row.assignee_id is not None and row.assignee_id == principal.id,
    )


def refusal_error(refused: TransitionRefused) -> Exception:
    """Map the engine's refusal to the HTTP contract: 409, 403 or 422."""
    extra: dict[str, object] = {"available": refused.available}
    if refused.reason == "unknown":
        listed = ", ".join(refused.available) or "none"
        return Conflict(f"{refused.detail} Available now: {listed}.", extra=extra)
    if refused.reason == "not_from_state":
        return Conflict(refused.detail, extra=extra)
    if refused.reason == "actor":
        return Forbidden(refused.detail)
    errors = [
        FieldError(pointer=p, message="is required for this transition") for p in refused.missing
    ]
    return ValidationFailed(refused.detail, errors=errors, extra=extra)


def decide_for(
    service: PublishedService,
    row: RequestRow,
    transition: str,
    caller: Caller,
    *,
    comment: str | None,
    data: dict[str, Any],
    documents: set[str],
) -> Decision:
    """The engine's decision, plus the service's required documents at ``submit``."""
    try:
        decision = decide(
            service.workflow,
            row.state,
            transition,
            caller,
            Inputs(comment=comment, data=data, documents=frozenset(documents)),
        )
    except TransitionRefused as refused:
        raise refusal_error(refused) from None
    # The engine has checked the workflow's documents; this adds the service's at submit.
    missing = missing_documents(service, decision.transition, documents)
    if missing:
        raise ValidationFailed(
            "Attach the required documents first: " + ", ".join(missing),
            errors=[
                FieldError(pointer=f"/documents/{kind}", message="this document must be attached")
                for kind in missing
            ],
        )
    return decision


def submits(row: RequestRow, decision: Decision) -> bool:
    """The decision submits a request that was never submitted."""
    return row.submitted_at is None and decision.transition == SUBMIT_TRANSITION


async def decision_values(
    session: AsyncSession,
    settings: Settings,
    row: RequestRow,
    decision: Decision,
    now: datetime,
) -> dict[str, Any]:
    """The columns an allowed decision changes on ``row`` at ``now`` (state, SLA clock,
    submission and closing dates); the version is the compare-and-set's."""
    values: dict[str, Any] = {"state": decision.to_state, "updated_at": now}
    if submits(row, decision):
        values["submitted_at"] = now
        values["due_at"] = calendar(settings).due_at(now, row.sla_business_days)
    if decision.sla == "pause":
        values.update(sla_state="paused", sla_paused_at=now)
    elif decision.sla == "run":
        if row.sla_state == "paused" and row.sla_paused_at and row.due_at:
            values["due_at"] = calendar(settings).resume(row.due_at, row.sla_paused_at, now)
        values.update(sla_state="runs", sla_paused_at=None)
    elif decision.sla == "stop":
        values.update(sla_state="stopped", sla_paused_at=None)
    if decision.closes:
        values["closed_at"] = now
        service = await get_published_service(session, row.service_code, row.service_version)
        values["retention_until"] = retention_date(
            now, service.definition.retention, settings.time_zone
        )
    return values


async def apply_decision(
    session: AsyncSession,
    settings: Settings,
    row: RequestRow,
    decision: Decision,
    actor: EventActor,
    *,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
    extra_event_data: dict[str, Any] | None = None,
) -> RequestRow | None:
    """Apply an allowed decision to ``row`` as it was read; None when another change won."""
    now = datetime.now(UTC)
    submitting = submits(row, decision)
    values = await decision_values(session, settings, row, decision, now)
    event_data = dict(extra_event_data or {})
    if data:
        event_data["data"] = data
    entry = history.entry(
        row.id,
        type="submitted" if submitting else "transitioned",
        actor=actor,
        occurred_at=now,
        from_state=decision.from_state,
        to_state=decision.to_state,
        transition=decision.transition,
        comment=comment or None,
        data=event_data,
    )
    after = repository.after_change(row, values)
    published = history.publication(after, entry, 0, decision.notify)
    if (
        not decision.cancel_timers
        and decision.set_timer is None
        and published is not None
        and not history.tells_contact(after, entry, decision.notify)
    ):
        # No timers to touch and no contact to mail: one statement writes it all.
        return await repository.move(
            session, row, values, entry, event_payload(published), NOTIFY_CHANNEL
        )
    if decision.cancel_timers:
        # Timers are locked before the request row, here and in the worker: no deadlock.
        await repository.delete_timers(session, row.id)
    updated = await repository.compare_and_set(
        session, row.id, version=row.version, state=row.state, values=values
    )
    if updated is None:
        return None
    if decision.set_timer is not None:
        await repository.insert_timer(
            session,
            row.id,
            state=decision.to_state,
            transition=decision.set_timer.transition,
            seconds=decision.set_timer.seconds,
        )
    await history.record(
        session,
        updated,
        type=entry["type"],
        actor=actor,
        occurred_at=now,
        from_state=decision.from_state,
        to_state=decision.to_state,
        transition=decision.transition,
        comment=comment or None,
        data=event_data,
        notify=decision.notify,
    )
    return updated


async def _documents_for(
    session: AsyncSession, service: PublishedService, row: RequestRow, transition: str
) -> set[str]:
    """The request's document kinds, read only when the transition needs documents."""
    if required_documents(service, transition):
        return await document_kinds_present(session, row.id)
    return set()


async def fire_transition(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    row: RequestRow,
    *,
    if_match: int | None,
    payload: TransitionIn,
) -> RequestRow:
    """Fire ``payload.transition`` on a request the caller may see (see ``get_request_for``)."""
    check_if_match(row, if_match)
    check_storable({"comment": payload.comment, "data": payload.data})
    service = await get_published_service(session, row.service_code, row.service_version)
    documents = await _documents_for(session, service, row, payload.transition)
    decision = decide_for(
        service,
        row,
        payload.transition,
        engine_caller(principal, row),
        comment=payload.comment,
        data=payload.data,
        documents=documents,
    )
    updated = await apply_decision(
        session,
        settings,
        row,
        decision,
        event_actor(principal, row),
        comment=payload.comment,
        data=payload.data,
    )
    if updated is None:
        raise stale()
    return updated


def submit_decision(principal: Principal, row: RequestRow, service: PublishedService) -> Decision:
    """The engine's decision to submit ``row``, a request being filed with ``submit: true``."""
    return decide_for(
        service,
        row,
        SUBMIT_TRANSITION,
        engine_caller(principal, row),
        comment=None,
        data={},
        documents=set(),  # filed in this transaction: nothing can be attached yet
    )


async def submit_new(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    row: RequestRow,
    service: PublishedService,
) -> RequestRow:
    """Submit a request filed with ``submit: true`` (in the filing transaction)."""
    decision = submit_decision(principal, row, service)
    updated = await apply_decision(session, settings, row, decision, event_actor(principal, row))
    if updated is None:
        raise stale()
    return updated


class Available(NamedTuple):
    """The transitions a caller may fire now, the service (labels, documents) and the
    document kinds attached (read only when one of the transitions needs documents)."""

    transitions: list[Transition]
    service: PublishedService
    documents_present: set[str]


async def available_for(session: AsyncSession, principal: Principal, row: RequestRow) -> Available:
    """The transitions the caller may fire now, with what each still needs."""
    service = await get_published_service(session, row.service_code, row.service_version)
    transitions = available_transitions(service.workflow, row.state, engine_caller(principal, row))
    needed = any(required_documents(service, t.name) for t in transitions)
    present = await document_kinds_present(session, row.id) if needed else set()
    return Available(transitions, service, present)
