"""The Litestar application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.plugins.prometheus import PrometheusController
from litestar.types import ControllerRouterHandler

from eservice.attachments.routes import routes as attachment_routes
from eservice.catalog.routes import routes as catalog_routes
from eservice.core.config import Settings
from eservice.core.db import create_engine, create_sessionmaker
from eservice.core.deps import provide_db_session
from eservice.core.heap import freeze_startup_heap
from eservice.core.middleware import RequestContextMiddleware, add_request_id
from eservice.core.openapi import (
    InputStructSchemas,
    document_parameters_as_sent,
    document_problem_responses,
)
from eservice.core.problems import handle_exception
from eservice.core.transaction import RequestSessions
from eservice.health.routes import routes as health_routes
from eservice.identity.authentication import authenticate
from eservice.identity.routes import routes as identity_routes
from eservice.notifications.lifespan import notifications_lifespan
from eservice.notifications.routes import routes as notification_routes
from eservice.ogc.routes import routes as ogc_routes
from eservice.open311 import errors as open311_errors
from eservice.open311.routes import routes as open311_routes
from eservice.opendata.routes import routes as open_data_routes
from eservice.privacy.routes import routes as privacy_routes
from eservice.queues.routes import routes as queue_routes
from eservice.requests.routes import routes as request_routes
from eservice.requests.tracking_routes import routes as tracking_routes
from eservice.web.routes import template_config, web_routes
from eservice.worker import worker_lifespan

log = logging.getLogger(__name__)


def route_handlers(settings: Settings) -> Sequence[ControllerRouterHandler]:
    """Every context's routes, in one list (the web front's pages last: they sit on top)."""
    handlers: list[ControllerRouterHandler] = [*health_routes, PrometheusController]
    handlers += identity_routes
    handlers += catalog_routes
    handlers += attachment_routes
    handlers += request_routes
    handlers += tracking_routes
    handlers += queue_routes
    handlers += notification_routes
    handlers += ogc_routes
    handlers += open_data_routes
    handlers += privacy_routes
    handlers += open311_routes
    handlers += web_routes(settings)
    return handlers


def render_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """RFC 9457 everywhere, except under /open311/, which answers in GeoReport's error form."""
    if open311_errors.is_open311(request):
        return open311_errors.handle_exception(request, exc)
    return handle_exception(request, exc)


def create_app(
    settings: Settings,
    database_url: str,
    *,
    with_worker: bool = False,
    freeze_heap: bool = False,
) -> Litestar:
    """Build the app for one database; the engine lives as long as the app.

    ``freeze_heap`` (what ``eservice serve`` asks for) exempts what startup built from the
    garbage collector once the app is up (core.heap): shorter pauses under load.
    """

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = create_engine(database_url, settings)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine, cache_immutable=True)
        app.state.request_sessions = RequestSessions(app.state.sessionmaker)
        if freeze_heap:
            freeze_startup_heap()
        try:
            yield
        finally:
            await engine.dispose()

    state: dict[str, Any] = {"settings": settings, "database_url": database_url}
    app = Litestar(
        route_handlers=route_handlers(settings),
        template_config=template_config(),
        lifespan=[
            lifespan,
            notifications_lifespan(),
            *([worker_lifespan(settings)] if with_worker else []),
        ],
        state=State(state),
        dependencies={"db_session": Provide(provide_db_session)},
        before_request=authenticate,
        middleware=[
            DefineMiddleware(RequestContextMiddleware, access_log=settings.access_log),
        ],
        before_send=[add_request_id],
        exception_handlers={Exception: render_error},
        plugins=[InputStructSchemas()],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="eservice API",
            version="1.0.0",
            description=(
                "Online administrative services: file requests, follow them, process them in "
                "clerk queues, and integrate by API and signed webhooks."
            ),
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        debug=settings.debug,
        logging_config=None,
    )
    document_problem_responses(app)
    document_parameters_as_sent(app)
    return app
