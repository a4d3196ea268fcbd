"""A real API process for stream tests (uvicorn on 127.0.0.1) and an SSE reader."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from eservice.app import create_app
from eservice.core.config import Settings
from tests.notifications.peers import free_port


@contextlib.asynccontextmanager
async def serve_app(settings: Settings, database_url: str) -> AsyncIterator[str]:
    """Serve the app until the block ends; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, database_url),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@dataclass
class Message:
    id: str | None
    event: str | None
    data: dict[str, Any] | None
    comment: str | None


class SseReader:
    """Reads Server-Sent Events messages (and comments) from a streaming response.

    A background task parses the stream into a queue, so a timed-out wait never interrupts
    the reading itself. Use as ``async with SseReader(response) as reader``.
    """

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.messages: asyncio.Queue[Message | BaseException] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SseReader:
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def next(self, timeout: float = 10.0) -> Message:
        item = await asyncio.wait_for(self.messages.get(), timeout)
        if isinstance(item, BaseException):
            raise item
        return item

    async def next_event(self, timeout: float = 10.0) -> Message:
        """The next message that is an event (skipping heartbeats and other comments)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.next(max(0.01, deadline - loop.time()))
            if message.event is not None:
                return message

    async def _read(self) -> None:
        fields: dict[str, str] = {}
        comment: str | None = None
        try:
            async for line in self.response.aiter_lines():
                if line == "":
                    if fields or comment is not None:
                        data = json.loads(fields["data"]) if "data" in fields else None
                        message = Message(fields.get("id"), fields.get("event"), data, comment)
                        await self.messages.put(message)
                    fields, comment = {}, None
                elif line.startswith(":"):
                    comment = line[1:].strip()
                else:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
            await self.messages.put(EOFError("the stream ended"))
        except httpx.HTTPError as exc:
            await self.messages.put(exc)
