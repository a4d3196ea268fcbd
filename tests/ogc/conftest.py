"""The extent of the published layer is cached per process; every test starts without it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eservice.requests import publication


@pytest.fixture(autouse=True)
def _forget_extent() -> Iterator[None]:
    publication.forget_cached_extent()
    yield
    publication.forget_cached_extent()
