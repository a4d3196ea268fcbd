"""Pytest plugin for the schemathesis tests: the real app served, and how hypothesis runs.

Every fuzz test loads the OpenAPI document the server serves (``served_schema``), so what is
tested is the document clients see, and runs each operation under ``fuzz_settings``:
derandomized (the same cases on every run, so CI is repeatable), no example database, no
deadline (the machine may be busy) and no health checks (the strategies are the schema's).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from eservice.app import create_app
from eservice.core.config import Settings
from tests.support.live_server import serve_in_thread


@pytest.fixture(scope="module")
def live_server(settings: Settings, database_url: str) -> Iterator[str]:
    """The app on a real uvicorn server, for one test module; yields its base URL."""
    with serve_in_thread(create_app(settings, database_url)) as base_url:
        yield base_url


def served_schema(base_url: str, config: Any = None) -> Any:
    """The OpenAPI document as the server serves it, loaded by schemathesis."""
    return schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json", config=config)


def fuzz_settings(max_examples: int) -> settings:
    """Hypothesis settings of a fuzz run of one operation: repeatable and bounded."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
