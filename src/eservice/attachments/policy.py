"""The rules of attachments, without I/O: who may upload when, and which files are accepted."""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from eservice.attachments.sniffing import GENERIC_TYPES, normalise_type, type_from_name
from eservice.catalog.definitions import DocumentRequirement, ServiceDefinition
from eservice.core.errors import (
    Conflict,
    FieldError,
    Forbidden,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from eservice.identity.principal import Principal
from eservice.requests.access import is_staff_of, workflow_actors
from eservice.requests.tables import RequestRow
from eservice.workflow.definitions import INITIAL_STATE, SUBMIT_TRANSITION, Workflow

UploaderRole = Literal["applicant", "reporter", "staff"]


def uploader_role(principal: Principal, request: RequestRow) -> UploaderRole:
    """The caller uploads as the applicant or as staff of the department; else 403."""
    if is_staff_of(principal, request):
        return "staff"
    if principal.is_public_reporter and "applicant" in workflow_actors(principal, request):
        return "reporter"
    if "applicant" in workflow_actors(principal, request):
        return "applicant"
    raise Forbidden("You may see this request but not add attachments to it.")


def applicant_may_upload(workflow: Workflow, state: str) -> bool:
    """Draft, or a state where the workflow waits for the applicant to move it on.

    That is a state with a transition the applicant fires into a non-terminal state (for the
    permit workflow: ``awaiting_info`` → ``provide_info``); withdrawing does not count.
    """
    if state == INITIAL_STATE:
        return True
    try:
        return any(
            "applicant" in t.actors and not workflow.state(t.to).terminal
            for t in workflow.transitions_from(state)
        )
    except KeyError:
        return False


def reporter_may_upload(workflow: Workflow, state: str) -> bool:
    """An anonymous reporter adds photos while the report is still where filing put it."""
    try:
        return state == workflow.transition(SUBMIT_TRANSITION).to
    except KeyError:
        return False


def check_upload_state(role: UploaderRole, workflow: Workflow, state: str) -> None:
    """409 when the request's state does not take attachments from this caller now."""
    if role == "reporter" and not reporter_may_upload(workflow, state):
        raise Conflict(
            f"Photos can be added to a report only until the office starts working on it; "
            f"this report is in state {state!r}.",
            extra={"state": state},
        )
    if role == "applicant" and not applicant_may_upload(workflow, state):
        raise Conflict(
            f"Documents can be added to a draft or when the office asks for them; "
            f"this request is in state {state!r}.",
            extra={"state": state},
        )
    if role == "staff":
        try:
            closed = workflow.state(state).terminal
        except KeyError:
            closed = True
        if closed:
            raise Conflict(
                f"The request is closed (state {state!r}); no more attachments.",
                extra={"state": state},
            )


def check_visibility(visibility: str, role: UploaderRole) -> None:
    """Only staff upload internal attachments."""
    if visibility == "internal" and role != "staff":
        raise Forbidden("Only staff may add internal attachments.")


def document_for(definition: ServiceDefinition, kind: str) -> DocumentRequirement:
    """The service's requirement for ``kind``; 422 naming the known kinds otherwise."""
    document = definition.document(kind)
    if document is None:
        known = ", ".join(d.kind for d in definition.documents) or "none"
        raise ValidationFailed(
            f"This service takes no documents of kind {kind!r} (known kinds: {known}).",
            errors=[FieldError(pointer="/kind", message="unknown document kind")],
        )
    return document


def check_size(size: int, limit: int) -> None:
    """422 for an empty file, 413 above ``limit``."""
    if size == 0:
        raise ValidationFailed(
            "The file is empty.", errors=[FieldError(pointer="/file", message="empty file")]
        )
    if size > limit:
        raise PayloadTooLarge(
            f"The file is larger than {limit} bytes.", extra={"limit": limit, "size": size}
        )


def decide_content_type(
    sniffed: str | None, declared: str | None, filename: str | None, allowed: Collection[str]
) -> str:
    """The file's type as its bytes show it, if allowed and not contradicted.

    415 when the type is not one the document kind allows; 422 when the client's
    ``Content-Type`` or the file name's extension claims an allowed type the bytes are not.
    """
    allowed_set = {normalise_type(t) for t in allowed}
    names = ", ".join(sorted(allowed_set))
    claims = [normalise_type(declared)]
    if filename:
        claims.append(type_from_name(filename) or "")
    for claim in claims:
        if claim in GENERIC_TYPES or claim == sniffed:
            continue
        if claim in allowed_set:
            raise ValidationFailed(
                f"The file claims to be {claim} but its content is "
                f"{sniffed or 'of an unknown type'}.",
                errors=[FieldError(pointer="/file", message="content does not match its type")],
                extra={"claimed_type": claim, "detected_type": sniffed},
            )
        raise UnsupportedMediaType(
            f"Files of type {claim} are not accepted here (allowed: {names}).",
            extra={"allowed_types": sorted(allowed_set)},
        )
    if sniffed is None or sniffed not in allowed_set:
        raise UnsupportedMediaType(
            f"The file's content is {sniffed or 'of an unknown type'}; allowed: {names}.",
            extra={"allowed_types": sorted(allowed_set), "detected_type": sniffed},
        )
    return sniffed
