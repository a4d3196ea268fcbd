"""The web front's routes: static assets, and the pages behind CSRF protection."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, Router, get
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.params import FromPath
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from eservice.core.config import Settings
from eservice.core.deps import app_settings
from eservice.core.errors import DomainError
from eservice.core.problems import expected_failure
from eservice.web import (
    account_pages,
    documents_pages,
    filing_pages,
    portal_pages,
    report_pages,
    request_pages,
    staff_pages,
)
from eservice.web.assets import load_assets
from eservice.web.context import (
    PAGE_HEADERS,
    LoginRequired,
    NotStaff,
    cookie_secure,
    error_context,
)
from eservice.web.deps import WEB_DEPENDENCIES
from eservice.web.templating import TEMPLATE_DIR

log = logging.getLogger(__name__)
STATIC_CACHE = "public, max-age=31536000, immutable"

PAGE_MODULES = (
    portal_pages,
    account_pages,
    filing_pages,
    documents_pages,
    request_pages,
    report_pages,
    staff_pages,
)


@get("/static/{name:path}", name="web-static", sync_to_thread=False, include_in_schema=False)
def static_asset(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    """A content-hashed asset: compressed when the browser accepts it, cached for a year."""
    asset = load_assets().by_served_name.get(name.lstrip("/"))
    if asset is None:
        raise NotFoundException()
    headers = {"Cache-Control": STATIC_CACHE, "X-Content-Type-Options": "nosniff"}
    body = asset.body
    if asset.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
        if "gzip" in request.headers.get("accept-encoding", ""):
            body = asset.gzipped
            headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=asset.media_type, headers=headers)


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Errors on pages are pages: a login when needed, else a short message in the language."""
    if isinstance(exc, LoginRequired):
        target = "/login?next=" + quote(exc.next_path, safe="")
        if exc.expired:
            target += "&expired=true"
        return Redirect(target, status_code=303, headers={"Cache-Control": "no-store"})
    status = 500
    message_key = "error.page"
    headers: dict[str, str] | None = None
    # Hostile input the database cannot store, or an unreachable database, is not a bug
    # (core.problems.expected_failure, asked by every renderer of errors).
    expected = expected_failure(exc)
    if expected is not None:
        exc = expected
    if isinstance(exc, NotStaff):
        status, message_key = 404, "error.not_found"
    elif isinstance(exc, PermissionDeniedException):
        status, message_key = 403, "error.csrf"
    elif isinstance(exc, DomainError):
        status, headers = exc.status, exc.headers  # e.g. Retry-After of a 503
        message_key = {404: "error.not_found", 403: "error.forbidden"}.get(status, "error.page")
    elif isinstance(exc, HTTPException):
        status = exc.status_code
        message_key = {404: "error.not_found", 403: "error.forbidden"}.get(status, "error.page")
    else:
        log.error("page failed", exc_info=exc)
    try:
        web = error_context(request, app_settings(request))
        return web.render("error.html", status=status, headers=headers, message=web.t(message_key))
    except Exception:  # the error page itself must not fail
        log.exception("error page failed")
        return Response(
            "Error / Fehler", status_code=status, media_type="text/plain", headers=PAGE_HEADERS
        )


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=TEMPLATE_DIR, engine=JinjaTemplateEngine)


def web_routes(settings: Settings) -> list[ControllerRouterHandler]:
    """The static files and one router with every page, CSRF-checked on every form."""
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="__Host-eservice_csrf" if cookie_secure(settings) else "eservice_csrf",
        cookie_secure=cookie_secure(settings),
        cookie_httponly=True,
        cookie_samesite="lax",
    )
    pages: list[ControllerRouterHandler] = []
    for module in PAGE_MODULES:
        pages.extend(module.routes)
    router = Router(
        path="/",
        route_handlers=pages,
        dependencies=WEB_DEPENDENCIES,
        middleware=[DefineMiddleware(CSRFMiddleware, config=csrf)],
        exception_handlers={Exception: error_page},
        include_in_schema=False,
    )
    return [static_asset, router]
