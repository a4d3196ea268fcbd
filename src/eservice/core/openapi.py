"""The OpenAPI document describes error answers as the RFC 9457 problems actually sent."""

from __future__ import annotations

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.routes import HTTPRoute

from eservice.core.errors import FieldError
from eservice.core.problems import PROBLEM_JSON


class ProblemOut(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem; ``errors`` only for validation failures."""

    type: str
    title: str
    status: int
    detail: str
    request_id: str | msgspec.UnsetType = msgspec.UNSET
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET


def _problem(description: str) -> ResponseSpec:
    return ResponseSpec(
        ProblemOut, media_type=PROBLEM_JSON, description=description, generate_examples=False
    )


BAD_REQUEST = _problem("invalid parameters (problem+json; `errors[].pointer` names each one)")
INVALID_BODY = _problem("invalid body (problem+json; `errors[].pointer` is a JSON pointer)")


def document_problem_responses(app: Litestar) -> None:
    """Replace Litestar's default 400 description by the problem body, on every handler.

    Litestar documents its own validation error shape for 400 and offers no app-wide
    override, so each registered handler gets ``responses`` entries it did not set itself.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not isinstance(handler, HTTPRouteHandler) or not handler.resolve_include_in_schema():
                continue
            added = {400: BAD_REQUEST}
            if "data" in handler.parsed_fn_signature.parameters:
                added[422] = INVALID_BODY
            handler.responses = {**added, **(handler.responses or {})}
