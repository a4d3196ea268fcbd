"""The live stream's LISTEN connection during a database outage: one warning, not one per try."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import asyncpg
import pytest

from eservice.notifications.stream import EventBroker


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # free once closed: connections are refused


async def test_an_unreachable_database_is_logged_once_while_the_stream_keeps_retrying(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/eservice"
    broker = EventBroker(url, sessionmaker=None)  # type: ignore[arg-type]  # never reached
    attempts = 0
    real_connect = asyncpg.connect

    async def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal attempts
        attempts += 1
        return await real_connect(*args, **kwargs)

    monkeypatch.setattr(asyncpg, "connect", counting)
    caplog.set_level(logging.WARNING, logger="eservice.notifications.stream")
    with pytest.raises(TimeoutError):
        # start() waits for the LISTEN, which never comes; the retries go on meanwhile.
        await asyncio.wait_for(broker.start(), 2.5)
    await broker.stop()
    warnings = [r for r in caplog.records if "lost its database connection" in r.getMessage()]
    assert attempts >= 3  # it kept trying (after 0.5 s, then 1 s)
    assert len(warnings) == 1
