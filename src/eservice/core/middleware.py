"""ASGI middleware: request ids, the access log line and the HTTP metrics, in one layer.

The metrics keep the names and labels of Litestar's Prometheus plugin (``eservice_requests_total``,
``eservice_request_duration_seconds``, ``eservice_requests_in_progress``,
``eservice_requests_error_total``; labels method, path template, status code, app name), so
dashboards built on it keep working. They are recorded here instead of in the plugin's
middleware because the plugin builds a ``Request`` and its URL, and looks each labelled series
up under a lock, on every request; what that cost is measured in bench/README.md.
"""

from __future__ import annotations

import logging
import re
import secrets
import time

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Gauge, Histogram

from eservice.core.logging import loggable_path, request_id_var

log = logging.getLogger("eservice.access")

APP_NAME = "eservice"
_LABELS = ("method", "path", "status_code", "app_name")
REQUESTS = Counter("eservice_requests_total", "Total requests", _LABELS)
DURATION = Histogram("eservice_request_duration_seconds", "Request duration, in seconds", _LABELS)
IN_PROGRESS = Gauge(
    "eservice_requests_in_progress",
    "Total requests currently in progress",
    _LABELS,
    multiprocess_mode="livesum",
)
ERRORS = Counter("eservice_requests_error_total", "Total errors in requests", _LABELS)
NOT_MEASURED = frozenset({"/metrics"})

# The labelled series, looked up once per (method, path template, status).
_series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
_in_progress: dict[tuple[str, str], Gauge] = {}


def _observe(method: str, path: str, status: int, seconds: float) -> None:
    key = (method, path, status)
    found = _series.get(key)
    if found is None:
        labels = (method, path, str(status), APP_NAME)
        found = _series[key] = (REQUESTS.labels(*labels), DURATION.labels(*labels))
    found[0].inc()
    found[1].observe(seconds)
    if status >= 500:  # server errors
        ERRORS.labels(method, path, str(status), APP_NAME).inc()


def _gauge(method: str, path: str) -> Gauge:
    found = _in_progress.get((method, path))
    if found is None:
        # Litestar's plugin labels requests in progress with status 200; kept for dashboards.
        found = _in_progress[(method, path)] = IN_PROGRESS.labels(method, path, "200", APP_NAME)
    return found


_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContextMiddleware:
    """Give each request an id (``X-Request-ID`` if sane, else a new one) and log its outcome."""

    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        method = str(scope.get("method", ""))
        incoming = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else secrets.token_hex(16)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        # Routing has run (Litestar applies middleware per route): the template is known.
        path = str(scope.get("path_template") or scope["path"])
        measured = path not in NOT_MEASURED
        gauge = _gauge(method, path) if measured else None

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        if gauge is not None:
            gauge.inc()
        escaped = True
        try:
            await self.app(scope, receive, send_noting_status)
            escaped = False
        except HTTPException as exc:
            # Raised by a middleware inside this one (e.g. a refused CSRF token); the app's
            # outermost exception handler answers with its status.
            status = exc.status_code
            raise
        finally:
            seconds = time.perf_counter() - started
            if gauge is not None:
                gauge.dec()
                _observe(method, path, status, seconds)
            if self.access_log:
                log.info(
                    "request",
                    extra={
                        "method": method,
                        "path": loggable_path(scope["path"], path),
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                    },
                )
            if not escaped:
                request_id_var.reset(token)
            # Else the id stays for the outermost exception handler, which renders the
            # response in this same task (the request's own: nothing else sees it).


async def add_request_id(message: Message, scope: Scope) -> None:
    """``before_send`` hook: every response of a request gets its ``X-Request-ID``, also one
    that the app's outermost exception handler sends (after this middleware has returned).

    Appended as is: nothing inside sets this header (Litestar's header classes search the list
    for an existing one first, work every response would pay).
    """
    if message["type"] == "http.response.start":
        request_id = request_id_var.get()
        if request_id is not None:
            message["headers"] = [
                *message.get("headers", ()),
                (b"x-request-id", request_id.encode("latin-1")),
            ]
