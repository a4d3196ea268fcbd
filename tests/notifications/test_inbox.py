"""The in-app inbox: my notifications (newest first, ?unread=true), mark read, only mine."""

from __future__ import annotations

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.worker import Worker
from tests.notifications.helpers import publish, run_until, scalar
from tests.support.auth import Caller, MakeApiClient, MakeCitizen

INBOX = "/api/v1/me/notifications"


async def _inbox_items(sessionmaker: async_sessionmaker[AsyncSession], count: int) -> bool:
    return int(await scalar(sessionmaker, "SELECT count(*) FROM inbox_items")) >= count


async def test_inbox_lists_newest_first_in_my_language_and_marks_read(
    client: AsyncTestClient[Litestar],
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    make_citizen: MakeCitizen,
) -> None:
    me = await make_citizen(locale="en")
    first = await publish(sessionmaker, applicant_id=me.id, type="request.submitted")
    second = await publish(sessionmaker, applicant_id=me.id)
    await run_until(worker, lambda: _inbox_items(sessionmaker, 2))

    listed = await client.get(INBOX, headers=me.headers)
    items = listed.json()["items"]
    assert [i["reference"] for i in items] == [second.reference, first.reference]
    assert items[0]["title"] == f"Request {second.reference}: In review"
    assert items[0]["body"] == "Dog registration (dog tax): In review"
    assert items[1]["title"] == f"Request {first.reference} received"
    assert items[0]["read"] is False

    marked = await client.post(f"{INBOX}/{items[1]['id']}/read", headers=me.headers)
    assert marked.status_code == 200
    assert marked.json()["read"] is True
    unread = await client.get(INBOX + "?unread=true", headers=me.headers)
    assert [i["id"] for i in unread.json()["items"]] == [items[0]["id"]]


async def test_inbox_pages_with_a_cursor(
    client: AsyncTestClient[Litestar],
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    citizen: Caller,
) -> None:
    for _ in range(3):
        await publish(sessionmaker, applicant_id=citizen.id)
    await run_until(worker, lambda: _inbox_items(sessionmaker, 3))

    page1 = (await client.get(INBOX + "?limit=2", headers=citizen.headers)).json()
    page2 = (
        await client.get(f"{INBOX}?limit=2&cursor={page1['next_cursor']}", headers=citizen.headers)
    ).json()

    assert len(page1["items"]) == 2
    assert len(page2["items"]) == 1
    assert page2["next_cursor"] is None
    ids = {i["id"] for i in page1["items"]} | {i["id"] for i in page2["items"]}
    assert len(ids) == 3
    assert (await client.get(INBOX + "?limit=101", headers=citizen.headers)).status_code == 400


async def test_another_users_notification_is_not_found(
    client: AsyncTestClient[Litestar],
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    citizen: Caller,
    other_citizen: Caller,
    raw_connection: asyncpg.Connection,
) -> None:
    await publish(sessionmaker, applicant_id=citizen.id)
    await run_until(worker, lambda: _inbox_items(sessionmaker, 1))
    item_id = await raw_connection.fetchval("SELECT id FROM inbox_items")

    theirs = await client.post(f"{INBOX}/{item_id}/read", headers=other_citizen.headers)
    listed = await client.get(INBOX, headers=other_citizen.headers)

    assert theirs.status_code == 404
    assert listed.json()["items"] == []
    assert await raw_connection.fetchval("SELECT read_at FROM inbox_items") is None


async def test_inbox_needs_a_person_and_a_token(
    client: AsyncTestClient[Litestar], make_api_client: MakeApiClient
) -> None:
    api_client = await make_api_client(["requests:read"])
    assert (await client.get(INBOX)).status_code == 401
    assert (await client.get(INBOX, headers=api_client.headers)).status_code == 403
