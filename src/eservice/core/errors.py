"""One domain error hierarchy: each error carries its HTTP status and a stable problem type.

Services raise these; the single handler in ``eservice.core.problems`` renders RFC 9457.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import msgspec

PROBLEM_TYPE_BASE = "urn:eservice:problem:"


class FieldError(msgspec.Struct, frozen=True):
    """One validation problem: a JSON pointer into the body and what is wrong there."""

    pointer: str
    message: str


class DomainError(Exception):
    """Base of every error a caller may see. Subclasses set status, slug and title."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    @property
    def type(self) -> str:
        return PROBLEM_TYPE_BASE + self.slug


class BadRequest(DomainError):
    status = 400
    slug = "bad-request"
    title = "Bad request"


class Unauthorized(DomainError):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"

    def __init__(self, detail: str = "Missing or invalid credentials.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="eservice"'})


class Forbidden(DomainError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class Gone(DomainError):
    status = 410
    slug = "gone"
    title = "Gone"


class PreconditionFailed(DomainError):
    status = 412
    slug = "precondition-failed"
    title = "Precondition failed"


class PayloadTooLarge(DomainError):
    status = 413
    slug = "payload-too-large"
    title = "Payload too large"


class UnsupportedMediaType(DomainError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class ValidationFailed(DomainError):
    status = 422
    slug = "validation-failed"
    title = "Validation failed"


class PreconditionRequired(DomainError):
    status = 428
    slug = "precondition-required"
    title = "Precondition required"


class TooManyRequests(DomainError):
    status = 429
    slug = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


class ServiceUnavailable(DomainError):
    status = 503
    slug = "service-unavailable"
    title = "Service unavailable"
