"""An event committed to the outbox becomes one email per recipient and one inbox item per user."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.db import transaction
from eservice.notifications.outbox import publish_event, queue_email
from eservice.notifications.worker import Worker
from tests.notifications.helpers import (
    count_succeeded,
    make_event,
    publish,
    run_rounds,
    run_until,
)
from tests.notifications.peers import SmtpServer
from tests.support.auth import MakeCitizen, MakeStaff


async def _count(conn: asyncpg.Connection, sql: str, *args: object) -> int:
    return int(await conn.fetchval(sql, *args))


async def _delivered(sessionmaker: async_sessionmaker[AsyncSession], count: int) -> bool:
    return await count_succeeded(sessionmaker) >= count


async def test_event_for_applicant_sends_one_email_and_one_inbox_item(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    smtp: SmtpServer,
    make_citizen: MakeCitizen,
    raw_connection: asyncpg.Connection,
) -> None:
    applicant = await make_citizen(locale="en")
    event = await publish(sessionmaker, applicant_id=applicant.id)

    await run_until(worker, lambda: _delivered(sessionmaker, 1))
    await run_rounds(worker, 0.3)

    messages = await smtp.wait_for(1)
    assert len(messages) == 1
    message = messages[0]
    assert message["To"] == applicant.email
    assert event.reference in message["Subject"]
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "the status of your request" in text.get_content()
    assert "<p>" in html.get_content()
    items = await raw_connection.fetch("SELECT user_id, event_id FROM inbox_items")
    assert [(r["user_id"], r["event_id"]) for r in items] == [(applicant.id, event.event_id)]


async def test_german_recipient_gets_german_text_with_workflow_labels(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    smtp: SmtpServer,
    make_citizen: MakeCitizen,
    raw_connection: asyncpg.Connection,
) -> None:
    applicant = await make_citizen(locale="de")
    await publish(sessionmaker, applicant_id=applicant.id)

    await run_until(worker, lambda: _delivered(sessionmaker, 1))

    message = (await smtp.wait_for(1))[0]
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert "der Status Ihres Antrags" in body.get_content()
    assert "„Hundeanmeldung (Hundesteuer)“" in body.get_content()
    assert "Neuer Status: In Prüfung (vorher: Eingegangen)" in body.get_content()


async def test_rolled_back_event_sends_nothing(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    smtp: SmtpServer,
    make_citizen: MakeCitizen,
    raw_connection: asyncpg.Connection,
) -> None:
    applicant = await make_citizen()

    class Abort(Exception):
        pass

    async def change_that_fails() -> None:
        async with transaction(sessionmaker) as session:
            await publish_event(session, make_event(applicant_id=applicant.id))
            raise Abort

    with pytest.raises(Abort):
        await change_that_fails()

    await run_rounds(worker, 0.5)

    assert await _count(raw_connection, "SELECT count(*) FROM outbox") == 0
    assert await _count(raw_connection, "SELECT count(*) FROM deliveries") == 0
    assert await _count(raw_connection, "SELECT count(*) FROM inbox_items") == 0
    assert smtp.messages == []


async def test_internal_event_is_not_told_to_the_citizen_but_to_department_staff(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    smtp: SmtpServer,
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    applicant = await make_citizen()
    clerk = await make_staff("clerk", ["steuern"])
    await make_staff("clerk", ["verkehr"])  # another department: not told
    await publish(
        sessionmaker,
        type="request.commented",
        applicant_id=applicant.id,
        visibility="internal",
        notify=("applicant", "department"),
    )

    await run_until(worker, lambda: _delivered(sessionmaker, 1))
    await run_rounds(worker, 0.3)

    assert [m["To"] for m in smtp.messages] == [clerk.email]
    users = await raw_connection.fetch("SELECT user_id FROM inbox_items")
    assert [r["user_id"] for r in users] == [clerk.id]


async def test_verification_email_is_rendered_with_token_and_escaped_name(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    smtp: SmtpServer,
    raw_connection: asyncpg.Connection,
) -> None:
    async with transaction(sessionmaker) as session:
        await queue_email(
            session,
            to="new.user@example.org",
            template="verify_email",
            locale="en",
            context={"token": "tok-123.abc", "display_name": "<script>x</script> Ann"},
        )

    await run_until(worker, lambda: _delivered(sessionmaker, 1))

    message = (await smtp.wait_for(1))[0]
    assert message["To"] == "new.user@example.org"
    assert message["Subject"] == "Please confirm your email address"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "tok-123.abc" in text.get_content()
    assert "<script>" not in html.get_content()
    assert "&lt;script&gt;x&lt;/script&gt; Ann" in html.get_content()


async def test_two_workers_in_parallel_send_each_email_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: object,
    smtp: SmtpServer,
    make_citizen: MakeCitizen,
    raw_connection: asyncpg.Connection,
) -> None:
    applicant = await make_citizen()
    workers = [make_worker(worker_batch_size=3) for _ in range(3)]  # type: ignore[operator]
    for round_ in range(1, 4):
        for _ in range(8):
            await publish(sessionmaker, applicant_id=applicant.id)

        async def drain(w: Worker, total: int = 8 * round_) -> None:
            await run_until(w, lambda: _delivered(sessionmaker, total))

        await asyncio.gather(*(drain(w) for w in workers))

        assert len(smtp.messages) == 8 * round_
        assert len({m["Message-ID"] for m in smtp.messages}) == 8 * round_
        attempts = "SELECT count(*) FROM delivery_attempts"
        assert await _count(raw_connection, attempts) == 8 * round_
