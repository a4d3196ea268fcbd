"""msgspec Structs at the edge of the requests context: separate input and output shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

ServiceCode = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
TransitionName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
CommentText = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
Visibility = Literal["public", "internal"]
# Checked (and normalised) by identity's one email rule when the contact is saved.
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
# Form data is checked against the service's JSON Schema; these bounds only cap the size.
FormData = Annotated[dict[str, Any], msgspec.Meta(max_length=200)]
TransitionData = Annotated[dict[str, Any], msgspec.Meta(max_length=50)]


class LocationIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Where something is: WGS 84 coordinates and an optional address line."""

    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    address: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | None = None


class ContactIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How to reach the reporter of a public report (optional; never shown publicly)."""

    email: Email | None = None
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    phone: Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9 ()/.-]{3,40}$")] | None = None


class FilingIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """File a request. ``submit: false`` keeps a draft to be submitted later.

    ``applicant_id`` is for API clients filing on a citizen's behalf (the citizen's account id).
    ``contact`` is for reports without an account (and API clients relaying one).
    """

    service: ServiceCode
    data: FormData
    location: LocationIn | None = None
    submit: bool = True
    applicant_id: UUID | None = None
    contact: ContactIn | None = None


class DraftPatchIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Change a draft: the whole form data and/or the location (null removes it)."""

    data: FormData | UnsetType = UNSET
    location: LocationIn | UnsetType | None = UNSET


class TransitionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Fire a workflow transition."""

    transition: TransitionName
    comment: Annotated[str, msgspec.Meta(max_length=10_000)] | None = None
    data: TransitionData = {}


class CommentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A reply to the applicant (public) or a note for staff (internal)."""

    body: CommentText
    visibility: Visibility = "public"


class AssigneeIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Who works on the request; null leaves it unassigned."""

    assignee_id: UUID | None


class ServiceRef(msgspec.Struct, kw_only=True):
    code: str
    version: int


class LocationOut(msgspec.Struct, kw_only=True):
    lat: float
    lon: float
    address: str | None = None


class RequestOut(msgspec.Struct, kw_only=True):
    """A request as its caller may see it; staff-only fields are omitted for others."""

    id: UUID
    reference: str
    service: ServiceRef
    title: str
    state: str
    state_label: str
    version: int
    data: dict[str, Any]
    location: LocationOut | None
    department: str
    priority: int
    due_at: datetime | None
    overdue: bool
    sla_state: str
    created_at: datetime
    submitted_at: datetime | None
    updated_at: datetime
    closed_at: datetime | None
    assignee: UUID | UnsetType | None = UNSET
    applicant_id: UUID | UnsetType | None = UNSET
    retention_until: date | UnsetType | None = UNSET
    legal_hold: LegalHoldOut | UnsetType | None = UNSET


class LegalHoldIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why the request must be kept past its retention date (a case, an inquiry)."""

    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=1000)]


class LegalHoldOut(msgspec.Struct, kw_only=True):
    """A legal hold: the request is kept past its retention date until released."""

    reason: str
    placed_at: datetime
    placed_by: UUID | None


class ActorOut(msgspec.Struct, kw_only=True):
    """Who did something: ``role`` is applicant, clerk, supervisor, client or system."""

    role: str
    id: UUID | UnsetType | None = UNSET


class EventOut(msgspec.Struct, kw_only=True):
    """One entry of a request's history."""

    id: int
    type: str
    occurred_at: datetime
    visibility: Visibility
    actor: ActorOut
    from_state: str | None = None
    to_state: str | None = None
    transition: str | None = None
    comment: str | None = None
    data: FormData | UnsetType = UNSET


class DocumentNeedOut(msgspec.Struct, kw_only=True):
    """A document a transition needs that is not attached yet."""

    kind: str
    label: str


class RequirementsOut(msgspec.Struct, kw_only=True):
    """What firing a transition needs: a comment, form fields in ``data``, documents.

    ``documents`` lists every document kind needed (the workflow's and, at ``submit``, the
    service's required documents); ``missing_documents`` those not attached yet.
    """

    comment: bool
    fields: list[str]
    documents: list[str]
    missing_documents: list[DocumentNeedOut]


class TransitionOut(msgspec.Struct, kw_only=True):
    """A transition the caller may fire now."""

    name: str
    to: str
    label: str
    to_label: str
    requires: RequirementsOut


class PublicCommentOut(msgspec.Struct, kw_only=True):
    """A public reply of the office, as the reporter sees it."""

    occurred_at: datetime
    comment: str


class PublicReportOut(msgspec.Struct, kw_only=True):
    """The public view of a report: no data, no contact, no people."""

    reference: str
    service: ServiceRef
    title: str
    state: str
    state_label: str
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    comments: list[PublicCommentOut]


class PublicFilingOut(PublicReportOut, kw_only=True):
    """The answer to an anonymous filing: the public view and the tracking token (shown once)."""

    tracking_token: str
    tracking_url: str
