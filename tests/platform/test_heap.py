"""Freezing the startup heap keeps what lives and still collects what is garbage."""

from __future__ import annotations

import gc
import weakref

from litestar.testing import AsyncTestClient

from eservice.app import create_app
from eservice.core.config import Settings
from eservice.core.heap import freeze_startup_heap


class _Node:
    other: _Node | None = None


def test_garbage_is_collected_before_the_live_heap_is_frozen() -> None:
    garbage = _Node()
    garbage.other = garbage  # a cycle: only the collector frees it
    dead = weakref.ref(garbage)
    del garbage
    alive = _Node()
    before = gc.get_freeze_count()
    try:
        freeze_startup_heap()
        assert dead() is None
        assert gc.get_freeze_count() > before
        assert alive.other is None
    finally:
        gc.unfreeze()


async def test_the_served_app_freezes_its_heap_once_up(
    settings: Settings, database_url: str
) -> None:
    gc.unfreeze()
    try:
        async with AsyncTestClient(create_app(settings, database_url, freeze_heap=True)) as client:
            assert (await client.get("/health/ready")).status_code == 200
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
