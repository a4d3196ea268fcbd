"""The one place where errors become RFC 9457 problem details."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from eservice.core.bounds import loggable_error, problem_for_unstorable
from eservice.core.errors import PROBLEM_TYPE_BASE, DomainError, FieldError
from eservice.core.logging import loggable_path, request_id_var
from eservice.core.outage import unavailable_problem
from eservice.core.pointers import msgspec_error

log = logging.getLogger("eservice.errors")

PROBLEM_JSON = "application/problem+json"

_HTTP_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-failed", "Validation failed"),
    429: ("too-many-requests", "Too many requests"),
    503: ("service-unavailable", "Service unavailable"),
}


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, object] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    if errors:
        body["errors"] = [msgspec.structs.asdict(e) for e in errors]
    if extra:
        body.update(extra)
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _wire_name(request: Request[Any, Any, Any], key: str) -> str:
    """The name a parameter has on the wire (``Idempotency-Key``), not in Python."""
    handler = request.scope.get("route_handler")
    signature = getattr(handler, "parsed_fn_signature", None)
    parameter = getattr(signature, "parameters", {}).get(key)
    name = getattr(getattr(parameter, "kwarg_definition", None), "name", None)
    return name if isinstance(name, str) and name else key


def _body_error_from_cause(exc: ValidationException) -> FieldError | None:
    """The body error with its location, from msgspec's own error (Litestar drops the path).

    Litestar validates the handler signature, so msgspec locates a body error under
    ``$.data``; that first segment is the body itself.
    """
    cause = exc.__cause__
    if not isinstance(cause, msgspec.ValidationError):
        return None
    error = msgspec_error(str(cause))
    if error.pointer != "/data" and not error.pointer.startswith("/data/"):
        return None
    return FieldError(pointer=error.pointer.removeprefix("/data"), message=error.message)


def _from_validation(exc: ValidationException, request: Request[Any, Any, Any]) -> Response[Any]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors: list[FieldError] = []
    from_body = False
    for item in extra:
        if not isinstance(item, dict):
            continue
        source = item.get("source")
        message = str(item.get("message", ""))
        if source == "body" or (source is None and item.get("key") is None):
            from_body = True
            # Litestar's message has lost the location (its ``key`` is the dotted path of the
            # object, ambiguous for an unknown field); msgspec's own error still has it.
            errors.append(_body_error_from_cause(exc) or msgspec_error(message))
        else:
            key = _wire_name(request, str(item.get("key", "")))
            where = getattr(source, "value", source) or "query"
            errors.append(FieldError(pointer=f"{where}:{key}", message=message))
    if not errors:
        errors.append(_body_error_from_cause(exc) or msgspec_error(exc.detail))
        from_body = "body" in exc.detail.lower() or "$" in exc.detail
    if from_body:
        return problem_response(
            422,
            "validation-failed",
            "Validation failed",
            "The request body is not valid: "
            + "; ".join(f"{e.pointer or '/'}: {e.message}" for e in errors),
            errors=errors,
        )
    return problem_response(
        400,
        "bad-request",
        "Bad request",
        "Invalid parameters: " + "; ".join(f"{e.pointer}: {e.message}" for e in errors),
        errors=errors,
    )


def expected_failure(exc: BaseException) -> DomainError | None:
    """The domain error for a failure that is not a bug: hostile input the database cannot
    store (4xx), or an unreachable database (503, logged once per outage). Every renderer
    of errors (this one, Open311's) asks here before it calls something a 500."""
    return problem_for_unstorable(exc) or unavailable_problem(exc)


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Render any exception as problem+json; unexpected ones are logged and hidden."""
    if isinstance(exc, DomainError):
        return problem_response(
            exc.status,
            exc.slug,
            exc.title,
            exc.detail,
            errors=exc.errors,
            headers=exc.headers,
            extra=exc.extra,
        )
    if isinstance(exc, ValidationException):
        return _from_validation(exc, request)
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        slug, title = _HTTP_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
        detail = exc.detail if exc.detail and exc.detail != title else title
        if exc.status_code == 404:
            detail = "No resource at this path."
        headers = dict(exc.headers or {})
        return problem_response(exc.status_code, slug, title, detail, headers=headers)
    if isinstance(exc, HTTPException) and exc.status_code == 503:
        return problem_response(503, "service-unavailable", "Service unavailable", exc.detail)
    expected = expected_failure(exc)
    if expected is not None:
        return handle_exception(request, expected)
    exc_info, fields = loggable_error(exc)
    template = request.scope.get("path_template")
    path = loggable_path(request.url.path, template if isinstance(template, str) else None)
    extra = {"method": request.method, "path": path, **fields}
    log.error("unhandled error", exc_info=exc_info, extra=extra)
    return problem_response(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal-error",
        "Internal server error",
        "Something went wrong on our side. Quote the request id when you report it.",
    )


__all__ = ["PROBLEM_JSON", "MediaType", "handle_exception", "problem_response"]
