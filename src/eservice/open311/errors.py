"""GeoReport v2 errors: ``[{"code", "description"}]`` (``<errors><error>`` in XML) for every
failure under /open311/v2, unknown paths included, never a problem document or a default page."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException

from eservice.core.errors import DomainError
from eservice.core.problems import expected_failure
from eservice.open311.schemas import Error
from eservice.open311.xml import XML_MEDIA_TYPE, render_list

log = logging.getLogger("eservice.open311")
PREFIX = "/open311/"
# The standard knows 400, 403 and 404; our other refusals are told in its terms.
_STATUS = {401: 403, 409: 400, 413: 400, 415: 400, 422: 400, 428: 400}


class GeoReportError(Exception):
    """A refusal in the standard's words (the description names the field at fault)."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def wants_json(path: str) -> bool:
    """JSON when the path asks for it (``.json``); XML, the standard's required format, else."""
    return path.endswith(".json")


def render(
    path: str, status: int, description: str, headers: dict[str, str] | None = None
) -> Response[bytes]:
    errors = [Error(code=status, description=description)]
    if wants_json(path):
        body, media_type = msgspec.json.encode(errors), "application/json"
    else:
        body, media_type = render_list("errors", "error", errors), XML_MEDIA_TYPE
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Every error of an Open311 path as the GeoReport error list."""
    path = request.url.path
    headers: dict[str, str] | None = None
    exc = expected_failure(exc) or exc
    if isinstance(exc, GeoReportError):
        status, description = exc.status, exc.description
    elif isinstance(exc, DomainError):
        status, description = _STATUS.get(exc.status, exc.status), exc.detail
        headers = {k: v for k, v in exc.headers.items() if k.lower() == "retry-after"} or None
    elif isinstance(exc, HTTPException):
        status = _STATUS.get(exc.status_code, exc.status_code)
        description = {404: "No such resource.", 405: "Method not allowed here."}.get(
            exc.status_code, str(exc.detail)
        )
    else:
        log.error("unhandled error", exc_info=exc, extra={"path": path})
        status, description = 500, "Something went wrong on our side."
    return render(path, status, description, headers)


def is_open311(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith(PREFIX)
