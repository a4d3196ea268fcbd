"""The rules of filing and following a request. Receives a session, never commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog.service import (
    PublishedService,
    current_service,
    get_published_service,
    validate_form_data,
)
from eservice.core.bounds import check_storable
from eservice.core.config import Settings
from eservice.core.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from eservice.core.pagination import AfterId, cut_page, decode_cursor, id_key
from eservice.core.transaction import single_statement_wrote_nothing
from eservice.events.outbox import NOTIFY_CHANNEL, event_payload
from eservice.identity.principal import Principal, Scope
from eservice.identity.repository import get_user
from eservice.requests import contacts, history, repository
from eservice.requests.access import (
    event_actor,
    is_applicant,
    sees_internal,
    staff_role,
    visibility,
)
from eservice.requests.references import new_reference
from eservice.requests.schemas import CommentIn, DraftPatchIn, FilingIn, LocationIn
from eservice.requests.tables import RequestEventRow, RequestRow
from eservice.requests.transitions import (
    check_if_match,
    decision_values,
    stale,
    submit_decision,
    submit_new,
)
from eservice.workflow.definitions import INITIAL_STATE


async def get_request_for(
    session: AsyncSession,
    principal: Principal,
    request_id: uuid.UUID,
    *,
    access: str | None = None,
) -> RequestRow:
    """The request if the caller may see it, else NotFound (exactly as for a missing one).

    ``access`` names what a staff member or an API client reads (e.g. ``read``); it is
    recorded in the access log as a personal data access (the applicant's own reads are not).
    A call with ``access`` is a read the caller only reads after: as the scope's first
    statement it runs on its own (``core.transaction.single_statement``), and a later write in
    the same scope fails; changes read the request without ``access``.
    """
    row = await repository.get_visible_request(
        session,
        request_id,
        visibility(principal),
        _access_entry(principal, access),
        alone=access is not None,
    )
    if row is None:
        raise NotFound("No request with this id.")
    return row


def _access_entry(principal: Principal, access: str | None) -> repository.AccessEntry | None:
    """What a read records in the access log: staff reads, and API clients' reads of requests
    they did not file (the applicant's own reads are not recorded)."""
    if access is None:
        return None
    if principal.is_staff:
        return repository.AccessEntry(principal.id, access, "staff", staff_role(principal))
    if principal.is_client:
        return repository.AccessEntry(principal.id, access, "client", None)
    return None


def check_may_file(settings: Settings, principal: Principal, payload: FilingIn) -> None:
    if principal.is_public_reporter:
        if payload.applicant_id is not None:
            raise ValidationFailed(
                "Only API clients may file on someone else's behalf.",
                errors=[FieldError("/applicant_id", "only API clients may set this")],
            )
        if not payload.submit:
            raise ValidationFailed(
                "A report without an account is sent at once; it cannot be kept as a draft.",
                errors=[FieldError("/submit", "must be true without an account")],
            )
        return
    if principal.is_citizen:
        if payload.applicant_id is not None and payload.applicant_id != principal.id:
            raise ValidationFailed(
                "Only API clients may file on someone else's behalf.",
                errors=[FieldError("/applicant_id", "only API clients may set this")],
            )
        if settings.require_verified_email and not principal.email_verified:
            raise Forbidden("Verify your email address before filing requests.")
        return
    if principal.is_client:
        if not principal.has_scope(Scope.REQUESTS_WRITE):
            raise Forbidden(f"Filing requests needs the scope {Scope.REQUESTS_WRITE}.")
        if not principal.may_use_service(payload.service):
            raise Forbidden(f"This client may not file requests for {payload.service}.")
        return
    raise Forbidden("Requests are filed by citizens or by API clients on their behalf.")


async def check_applicant(session: AsyncSession, applicant_id: uuid.UUID) -> None:
    """A client files on behalf of an existing, active citizen account only."""
    user = await get_user(session, applicant_id)
    if user is None or user.kind != "citizen" or not user.is_active:
        raise ValidationFailed(
            "applicant_id does not name a citizen account.",
            errors=[FieldError("/applicant_id", "no citizen account with this id")],
        )


def location_errors(service: PublishedService, location: LocationIn | None) -> list[FieldError]:
    rule = service.definition.location
    if rule == "required" and location is None:
        return [FieldError("/location", "this service needs a location")]
    if rule == "none" and location is not None:
        return [FieldError("/location", "this service takes no location")]
    return []


def check_form(
    service: PublishedService, data: dict[str, Any], location: LocationIn | None
) -> None:
    """422 with JSON pointers for every problem of the data and the location."""
    check_storable(data, "/data")
    if location is not None and location.address is not None:
        check_storable(location.address, "/location/address")
    errors = [*validate_form_data(service, data), *location_errors(service, location)]
    if errors:
        raise ValidationFailed(
            "The request is not valid: " + "; ".join(f"{e.pointer}: {e.message}" for e in errors),
            errors=errors,
        )


async def service_for_filing(
    session: AsyncSession, code: str, *, fresh: bool = True
) -> PublishedService:
    """The service's current version (``fresh=False``: possibly the one last seen current,
    see catalog.service.current_service), or 422 at /service."""
    try:
        return await current_service(session, code, fresh=fresh)
    except NotFound:
        raise ValidationFailed(
            f"There is no published service {code!r}.",
            errors=[FieldError("/service", "no published service with this code")],
        ) from None


def _location(location: LocationIn | None) -> dict[str, Any] | None:
    return None if location is None else msgspec.to_builtins(location)


async def file_request(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    payload: FilingIn,
    *,
    alone: bool = False,
) -> RequestRow:
    """File a request under the latest published version of its service (and submit it).

    A submitted filing for an applicant's account without contact details is one statement
    (:func:`_file_in_one_statement`); drafts, contacts and reports without an account take the
    statements of each step. ``alone``: the caller writes nothing afterwards (the JSON API),
    so that statement may run on its own (core.transaction.single_statement).
    """
    check_may_file(settings, principal, payload)
    if payload.applicant_id is not None and principal.is_client:
        await check_applicant(session, payload.applicant_id)
    applicant = principal.id if principal.is_citizen else payload.applicant_id
    if payload.submit and payload.contact is None and applicant is not None:
        row = await _file_in_one_statement(session, settings, principal, payload, alone=alone)
        if row is not None:
            return row
    service = await _checked_service(session, principal, payload, fresh=True)
    values = _draft(settings, principal, payload, service)
    row = await repository.insert_request(session, values)
    await history.record(
        session,
        row,
        type="filed",
        actor=event_actor(principal, row),
        occurred_at=values["created_at"],
        to_state=INITIAL_STATE,
    )
    if payload.contact is not None:
        await contacts.save_contact(session, row.id, payload.contact, principal.locale)
    if payload.submit:
        row = await submit_new(session, settings, principal, row, service)
    if payload.contact is not None and principal.is_client:
        # Relayed by a client (e.g. an Open311 app); a report without an account gets its
        # confirmation with the tracking link from requests.tracking instead.
        await contacts.mail_contact(session, row, template="report_filed")
    return row


async def _checked_service(
    session: AsyncSession, principal: Principal, payload: FilingIn, *, fresh: bool
) -> PublishedService:
    """The service to file under, with the payload checked against it."""
    service = await service_for_filing(session, payload.service, fresh=fresh)
    if principal.is_public_reporter and not service.definition.public:
        raise Unauthorized()  # as before: only public services take reports without a token
    check_form(service, payload.data, payload.location)
    return service


def _draft(
    settings: Settings, principal: Principal, payload: FilingIn, service: PublishedService
) -> dict[str, Any]:
    """The columns of a new request as filed (a draft, version 1)."""
    now = datetime.now(UTC)
    definition = service.definition
    return {
        "id": uuid.uuid4(),
        "reference": new_reference(settings.reference_prefix, now),
        "service_code": service.code,
        "service_version": service.version,
        "title": f"{definition.title.de} / {definition.title.en}",
        "department": definition.department,
        "state": INITIAL_STATE,
        "version": 1,
        "applicant_id": principal.id if principal.is_citizen else payload.applicant_id,
        "filed_by_kind": principal.kind,
        "filed_by_id": principal.id,
        "priority": 0,
        "data": payload.data,
        "location": _location(payload.location),
        "sla_business_days": definition.sla.business_days,
        "sla_state": service.workflow.state(INITIAL_STATE).sla,
        "created_at": now,
        "updated_at": now,
    }


async def _file_in_one_statement(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    payload: FilingIn,
    *,
    alone: bool,
) -> RequestRow | None:
    """A submitted filing as one statement, under the service version last seen current and,
    if another one has become current since (the statement then writes nothing), once more
    under that one. None when nothing was written: the filing takes the step-by-step
    statements (also when submitting starts a timer, which those statements write)."""
    for fresh in (False, True):
        service = await _checked_service(session, principal, payload, fresh=fresh)
        rows = await _submitted_rows(
            session, settings, principal, service, _draft(settings, principal, payload, service)
        )
        if rows is None:
            return None
        row = await repository.file_submitted(session, *rows, NOTIFY_CHANNEL, alone=alone)
        if row is not None:
            return row
        single_statement_wrote_nothing(session)
    return None


async def _submitted_rows(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    service: PublishedService,
    values: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], str] | None:
    """What filing and submitting write one after the other (request_filed, then submit_new),
    for one statement: the request as submitted, the ``filed`` and ``submitted`` history rows
    and the outbox payload. None when submitting starts a timer (or publishes nothing)."""
    draft = RequestRow(**values)
    decision = submit_decision(principal, draft, service)
    actor = event_actor(principal, draft)
    now = datetime.now(UTC)
    changes = await decision_values(session, settings, draft, decision, now)
    submitted = RequestRow(**{**values, **changes, "version": values["version"] + 1})
    filed_entry = history.entry(
        draft.id,
        type="filed",
        actor=actor,
        occurred_at=values["created_at"],
        to_state=INITIAL_STATE,
    )
    submitted_entry = history.entry(
        draft.id,
        type="submitted",
        actor=actor,
        occurred_at=now,
        from_state=decision.from_state,
        to_state=decision.to_state,
        transition=decision.transition,
    )
    published = history.publication(submitted, submitted_entry, 0, decision.notify)
    if decision.set_timer is not None or published is None:
        return None
    request = {**values, **changes, "version": submitted.version}
    return request, filed_entry, submitted_entry, event_payload(published)


async def update_draft(
    session: AsyncSession,
    principal: Principal,
    row: RequestRow,
    if_match: int | None,
    patch: DraftPatchIn,
) -> RequestRow:
    """Change the data or location of a draft; only its applicant, only before submission."""
    if not is_applicant(principal, row):
        raise Forbidden("Only the applicant may change a draft.")
    check_if_match(row, if_match)
    if row.state != INITIAL_STATE:
        raise Conflict("Only drafts can be changed; this request has been submitted.")
    service = await get_published_service(session, row.service_code, row.service_version)
    data = row.data if patch.data is UNSET else patch.data
    if patch.location is UNSET:
        location = None if row.location is None else msgspec.convert(row.location, LocationIn)
    else:
        location = patch.location
    check_form(service, data, location)
    updated = await repository.compare_and_set(
        session,
        row.id,
        version=row.version,
        state=row.state,
        values={"data": data, "location": _location(location), "updated_at": datetime.now(UTC)},
    )
    if updated is None:
        raise stale()
    return updated


async def add_comment(
    session: AsyncSession, principal: Principal, row: RequestRow, payload: CommentIn
) -> RequestEventRow:
    """A public reply or an internal note; citizens and clients write public ones only."""
    internal = payload.visibility == "internal"
    if internal and not sees_internal(principal):
        raise Forbidden("Only staff may write internal comments.")
    if principal.is_client and not (
        principal.has_scope(Scope.REQUESTS_WRITE) or principal.has_scope(Scope.REQUESTS_TRANSITION)
    ):
        raise Forbidden(f"Commenting needs the scope {Scope.REQUESTS_WRITE}.")
    if row.submitted_at is None and principal.is_staff:
        raise NotFound("No request with this id.")
    check_storable(payload.body, "/body")
    return await history.record(
        session,
        row,
        type="commented",
        actor=event_actor(principal, row),
        occurred_at=datetime.now(UTC),
        visibility=payload.visibility,
        comment=payload.body,
        notify=history.whom_to_notify(principal, row, public=not internal),
    )


async def list_history(
    session: AsyncSession,
    principal: Principal,
    row: RequestRow,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[RequestEventRow], str | None]:
    """One page of the history, oldest first; citizens and clients see public events only."""
    key = decode_cursor(cursor, AfterId)
    after_id = None if key is None else key.id
    rows = await repository.list_events(
        session,
        row.id,
        after_id=after_id,
        limit=limit + 1,
        public_only=not sees_internal(principal),
    )
    return cut_page(rows, limit, id_key)


async def record_attachment_event(  # noqa: PLR0917 - positional by contract
    session: AsyncSession,
    request: RequestRow,
    principal: Principal,
    attachment_id: uuid.UUID,
    kind: str,
    internal: bool,
) -> RequestEventRow:
    """History row and ``request.attachment_added`` for a new attachment (caller's transaction)."""
    return await history.record(
        session,
        request,
        type="attachment_added",
        actor=event_actor(principal, request),
        occurred_at=datetime.now(UTC),
        visibility="internal" if internal else "public",
        data={"attachment_id": str(attachment_id), "kind": kind},
        notify=history.whom_to_notify(principal, request, public=not internal),
    )


async def record_staff_note(
    session: AsyncSession, principal: Principal, row: RequestRow, text: str
) -> RequestEventRow:
    """An internal note about what the caller handed in that is not part of the form
    (e.g. a link to a photo an Open311 app posted, which the server does not fetch)."""
    check_storable(text, "/note")
    return await history.record(
        session,
        row,
        type="commented",
        actor=event_actor(principal, row),
        occurred_at=datetime.now(UTC),
        visibility="internal",
        comment=text,
    )
