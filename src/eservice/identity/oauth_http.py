"""HTTP details of the OAuth endpoints: form parsing and RFC 6749 §5.2 error bodies."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from eservice.identity.grants import MAX_FIELD_LENGTH, OAuthError

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 16

_TITLES = {400: "Bad request", 401: "Authentication required", 429: "Too many requests"}


async def read_token_form(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The url-encoded body as single values; OAuthError for another type or repeated fields."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != FORM_TYPE:
        raise OAuthError("invalid_request", f"Send the parameters as {FORM_TYPE}.")
    form = await request.form()
    result: dict[str, str] = {}
    items = list(form.multi_items())
    if len(items) > MAX_FORM_FIELDS:
        raise OAuthError("invalid_request", "Too many parameters.")
    for name, value in items:
        if not isinstance(value, str) or len(value) > MAX_FIELD_LENGTH:
            raise OAuthError("invalid_request", f"The parameter {name!r} is not valid.")
        if name in result:
            raise OAuthError("invalid_request", f"The parameter {name!r} is repeated.")
        result[name] = value
    return result


def oauth_error_response(exc: OAuthError) -> Response[dict[str, Any]]:
    """An RFC 6749 §5.2 body (``error``, ``error_description``), with problem fields alongside."""
    body: dict[str, Any] = {
        "error": exc.error,
        "error_description": exc.description,
        "type": "urn:eservice:problem:oauth-" + exc.error.replace("_", "-"),
        "title": _TITLES.get(exc.status, "Bad request"),
        "status": exc.status,
        "detail": exc.description,
    }
    headers = {**NO_STORE, **exc.headers}
    if exc.status == 401 and "WWW-Authenticate" not in headers:
        headers["WWW-Authenticate"] = 'Basic realm="eservice"'
    return Response(body, status_code=exc.status, headers=headers, media_type="application/json")
