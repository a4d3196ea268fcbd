"""The live stream (SSE over LISTEN/NOTIFY): what each caller may see, heartbeats, resume."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import make_settings
from tests.notifications.helpers import publish
from tests.notifications.live import SseReader, serve_app
from tests.support.auth import Caller, MakeApiClient, MakeStaff

STREAM = "/api/v1/events/stream"


@pytest.fixture
async def live_url(
    database_url: str, session_tmp: Path, peer_overrides: dict[str, object]
) -> AsyncIterator[str]:
    async with serve_app(make_settings(session_tmp, **peer_overrides), database_url) as url:
        yield url


async def test_citizen_sees_only_public_events_of_own_requests(
    live_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    citizen: Caller,
    other_citizen: Caller,
) -> None:
    async with (
        httpx.AsyncClient(base_url=live_url, timeout=10) as http,
        http.stream("GET", STREAM, headers=citizen.headers) as response,
        SseReader(response) as reader,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert (await reader.next()).comment == "connected"
        await publish(sessionmaker, applicant_id=other_citizen.id)
        await publish(sessionmaker, applicant_id=citizen.id, visibility="internal")
        mine = await publish(sessionmaker, applicant_id=citizen.id)

        message = await reader.next_event()

    assert message.id == str(mine.event_id)
    assert message.event == "request.transitioned"
    assert message.data is not None
    assert message.data["data"]["reference"] == mine.reference


async def test_staff_see_their_departments_including_internal_events(
    live_url: str, sessionmaker: async_sessionmaker[AsyncSession], make_staff: MakeStaff
) -> None:
    clerk = await make_staff("clerk", ["steuern"])
    async with (
        httpx.AsyncClient(base_url=live_url, timeout=10) as http,
        http.stream("GET", STREAM, headers=clerk.headers) as response,
        SseReader(response) as reader,
    ):
        await publish(sessionmaker, department="verkehr", service_code="bewohnerparkausweis")
        internal = await publish(sessionmaker, visibility="internal", type="request.commented")

        message = await reader.next_event()

    assert message.id == str(internal.event_id)


async def test_client_sees_events_of_its_services_with_read_scope(
    live_url: str, sessionmaker: async_sessionmaker[AsyncSession], make_api_client: MakeApiClient
) -> None:
    client = await make_api_client(["requests:read"], services=["meldebescheinigung"])
    async with (
        httpx.AsyncClient(base_url=live_url, timeout=10) as http,
        http.stream("GET", STREAM, headers=client.headers) as response,
        SseReader(response) as reader,
    ):
        await publish(sessionmaker)  # hundeanmeldung: not for this client
        wanted = await publish(sessionmaker, service_code="meldebescheinigung")
        overdue = await publish(
            sessionmaker,
            service_code="meldebescheinigung",
            type="request.overdue",
            visibility="internal",
        )

        got = [await reader.next_event(), await reader.next_event()]

    assert [m.id for m in got] == [str(wanted.event_id), str(overdue.event_id)]


async def test_client_without_read_scope_sees_nothing(
    live_url: str, sessionmaker: async_sessionmaker[AsyncSession], make_api_client: MakeApiClient
) -> None:
    client = await make_api_client(["subscriptions:manage"])
    async with (
        httpx.AsyncClient(base_url=live_url, timeout=10) as http,
        http.stream("GET", STREAM, headers=client.headers) as response,
        SseReader(response) as reader,
    ):
        await publish(sessionmaker)
        with pytest.raises(TimeoutError):
            await reader.next_event(timeout=1.0)


async def test_heartbeats_keep_an_idle_stream_alive(live_url: str, citizen: Caller) -> None:
    async with (
        httpx.AsyncClient(base_url=live_url, timeout=10) as http,
        http.stream("GET", STREAM, headers=citizen.headers) as response,
        SseReader(response) as reader,
    ):
        await reader.next()
        beat = await reader.next(timeout=3)

    assert beat.comment == "heartbeat"


async def test_last_event_id_resumes_with_what_was_missed(
    live_url: str, sessionmaker: async_sessionmaker[AsyncSession], citizen: Caller
) -> None:
    seen = await publish(sessionmaker, applicant_id=citizen.id)
    missed = [await publish(sessionmaker, applicant_id=citizen.id) for _ in range(2)]
    headers = {**citizen.headers, "Last-Event-ID": str(seen.event_id)}
    async with (
        httpx.AsyncClient(base_url=live_url, timeout=10) as http,
        http.stream("GET", STREAM, headers=headers) as response,
        SseReader(response) as reader,
    ):
        got = [await reader.next_event(), await reader.next_event()]

    assert [m.id for m in got] == [str(e.event_id) for e in missed]


async def test_every_api_process_hears_a_committed_event(
    live_url: str,
    database_url: str,
    session_tmp: Path,
    peer_overrides: dict[str, object],
    sessionmaker: async_sessionmaker[AsyncSession],
    citizen: Caller,
) -> None:
    settings = make_settings(session_tmp, **peer_overrides)
    async with (
        serve_app(settings, database_url) as second_url,
        httpx.AsyncClient(timeout=10) as http,
        http.stream("GET", live_url + STREAM, headers=citizen.headers) as first,
        http.stream("GET", second_url + STREAM, headers=citizen.headers) as second,
        SseReader(first) as first_reader,
        SseReader(second) as second_reader,
    ):
        readers = [first_reader, second_reader]
        for reader in readers:
            await reader.next()
        event = await publish(sessionmaker, applicant_id=citizen.id)
        got = [await reader.next_event() for reader in readers]

    assert [m.id for m in got] == [str(event.event_id)] * 2


async def test_stream_needs_a_token_and_a_numeric_last_event_id(
    live_url: str, citizen: Caller
) -> None:
    async with httpx.AsyncClient(base_url=live_url, timeout=10) as http:
        anonymous = await http.get(STREAM)
        bad = await http.get(STREAM, headers={**citizen.headers, "Last-Event-ID": "abc"})

    assert anonymous.status_code == 401
    assert bad.status_code == 400
