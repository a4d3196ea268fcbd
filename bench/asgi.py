"""The ASGI factory uvicorn runs with ``--factory --workers N`` (what ``eservice serve`` builds).

``eservice serve`` runs one process; for several worker processes uvicorn needs an import
string, so this factory builds the very same app from the same ``ESERVICE_*`` settings.
"""

from __future__ import annotations

from litestar import Litestar

from eservice.app import create_app
from eservice.core.config import load_settings
from eservice.core.logging import configure_logging


def create() -> Litestar:
    settings = load_settings(dotenv=None)
    configure_logging(settings.log_level)
    if settings.database_url is None:
        raise SystemExit("bench.asgi needs ESERVICE_DATABASE_URL")
    return create_app(settings, settings.database_url, freeze_heap=True)
