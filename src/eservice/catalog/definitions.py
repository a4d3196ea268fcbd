"""A service as data: what a citizen files, who handles it and which workflow it follows.

Services are written as TOML files in ``services/`` (the form as a sibling JSON Schema file)
and decoded into these Structs; unknown keys are refused.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from eservice.events.schemas import EventType
from eservice.workflow.definitions import Labels, Name

Code = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_-]{1,62}$")]
MimeType = Annotated[str, msgspec.Meta(pattern=r"^[a-z]+/[a-z0-9.+-]+$")]
Location = Literal["required", "optional", "none"]
Confidentiality = Literal["public", "internal", "confidential"]


class DocumentRequirement(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True
):
    """A document kind the applicant uploads: allowed MIME types and a size limit."""

    kind: Name
    label: Labels
    types: Annotated[list[MimeType], msgspec.Meta(min_length=1)]
    max_bytes: Annotated[int, msgspec.Meta(ge=1, le=100 * 1024 * 1024)]
    required: bool = True


class Fee(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """The fee (Gebühr) in cents."""

    amount_cents: Annotated[int, msgspec.Meta(ge=0)]
    currency: Literal["EUR"] = "EUR"


class Sla(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """The processing deadline (Bearbeitungsfrist) in business days."""

    business_days: Annotated[int, msgspec.Meta(ge=1, le=365)]


RetentionAction = Literal["delete", "anonymise"]


class Retention(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """How long personal data is kept after the request is closed, and what happens then.

    ``delete`` removes the request with everything that carries its data; ``anonymise`` keeps
    the aggregate facts (service, dates, states, department) for statistics and removes the
    personal data (form data, location, comments, files, the applicant).
    """

    action: RetentionAction
    years: Annotated[int, msgspec.Meta(ge=0, le=100)] = 0
    months: Annotated[int, msgspec.Meta(ge=0, le=1200)] = 0
    days: Annotated[int, msgspec.Meta(ge=0, le=36500)] = 0


class WorkflowRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """The workflow version a service follows."""

    name: Name
    version: Annotated[int, msgspec.Meta(ge=1)]


class MailText(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A service's own email subject and plain-text body (``$placeholders`` as in the
    built-in templates, see docs/notifications.md)."""

    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]


class MailTexts(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One email text in German and English."""

    de: MailText
    en: MailText


class Open311Mapping(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """How Open311 GeoReport v2 fills the form: ``description`` names the form field that
    receives the posted ``description`` (and is shown as the request's description)."""

    description: Name | None = None


class ServiceDefinition(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True, kw_only=True
):
    """One version of an administrative service (Verwaltungsleistung)."""

    code: Code
    version: Annotated[int, msgspec.Meta(ge=1)]
    title: Labels
    description: Labels
    department: Code
    leika: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{14}$")] | None = None
    form: dict[str, Any]
    location: Location = "none"
    documents: list[DocumentRequirement] = []
    fee: Fee | None = None
    sla: Sla
    retention: Retention
    confidentiality: Confidentiality = "confidential"
    workflow: WorkflowRef
    public: bool = False
    open311: Open311Mapping | None = None
    notifications: dict[EventType, MailTexts] = {}

    def document(self, kind: str) -> DocumentRequirement | None:
        """The document requirement of ``kind``, or None."""
        for document in self.documents:
            if document.kind == kind:
                return document
        return None


class Department(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A department (Amt / Fachbereich) that handles services."""

    code: Code
    name: Labels


class DepartmentsFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """``services/departments.toml``."""

    departments: list[Department]
