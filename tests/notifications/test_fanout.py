"""An event committed to the outbox becomes one email per recipient and one inbox item per user."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.transaction import driver_connection, transaction
from eservice.core.worker import Worker
from eservice.events.outbox import publish_event, queue_email
from eservice.notifications import fanout
from eservice.notifications.fanout import fan_out_batch
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


# --- batches: one transaction and a handful of statements for many outbox rows ---------------


async def test_events_of_one_batch_each_reach_their_own_recipients(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    raw_connection: asyncpg.Connection,
) -> None:
    erika = await make_citizen(locale="de")
    john = await make_citizen(locale="en")
    tax_clerk = await make_staff("clerk", ["steuern"])
    road_clerk = await make_staff("clerk", ["verkehr"])
    both = await make_staff("supervisor", ["steuern", "verkehr"])
    first = await publish(sessionmaker, applicant_id=erika.id)
    second = await publish(sessionmaker, applicant_id=john.id, notify=("applicant", "department"))
    third = await publish(
        sessionmaker,
        applicant_id=erika.id,
        department="verkehr",
        assignee_id=road_clerk.id,
        visibility="internal",
        notify=("applicant", "assignee", "department"),
    )

    taken = await fan_out_batch(worker.sessionmaker, worker.settings, 20)

    assert taken == 3
    told = await raw_connection.fetch("SELECT user_id, event_id FROM inbox_items")
    assert {(r["user_id"], r["event_id"]) for r in told} == {
        (erika.id, first.event_id),
        (john.id, second.event_id),
        (tax_clerk.id, second.event_id),
        (both.id, second.event_id),
        (road_clerk.id, third.event_id),
        (both.id, third.event_id),
    }
    mails = await raw_connection.fetch(
        "SELECT event_id, payload->>'to' AS to, payload->>'subject' AS subject FROM deliveries"
    )
    assert sorted((r["event_id"], r["to"]) for r in mails) == sorted(
        [
            (first.event_id, erika.email),
            (second.event_id, john.email),
            (second.event_id, tax_clerk.email),
            (second.event_id, both.email),
            (third.event_id, road_clerk.email),
            (third.event_id, both.email),
        ]
    )
    subjects = {r["to"]: r["subject"] for r in mails if r["event_id"] == second.event_id}
    assert subjects[john.email].startswith("Request ")  # each in the recipient's language
    assert subjects[tax_clerk.email].startswith("Antrag ")
    assert (
        await _count(raw_connection, "SELECT count(*) FROM outbox WHERE processed_at IS NULL") == 0
    )


async def test_a_bad_row_writes_nothing_and_the_rest_of_its_batch_goes_through(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    smtp: SmtpServer,
    make_citizen: MakeCitizen,
    raw_connection: asyncpg.Connection,
) -> None:
    applicant = await make_citizen()
    before = await publish(sessionmaker, applicant_id=applicant.id)
    await raw_connection.execute(
        "INSERT INTO outbox (kind, payload) VALUES ('event', '{\"event_id\": 1}')"
    )
    async with transaction(sessionmaker) as session:
        await queue_email(
            session, to="someone@example.org", template="no_such_template", locale="de", context={}
        )
    after = await publish(sessionmaker, applicant_id=applicant.id)

    assert await fan_out_batch(worker.sessionmaker, worker.settings, 20) == 4

    rows = await raw_connection.fetch(
        "SELECT id, kind, processed_at, error FROM outbox ORDER BY id"
    )
    assert all(r["processed_at"] is not None for r in rows)
    assert [r["error"] is None for r in rows] == [True, False, False, True]
    assert rows[1]["error"].startswith("ValidationError: ")
    assert rows[2]["error"].startswith("RenderError: ")
    written = await raw_connection.fetch("SELECT DISTINCT outbox_id FROM deliveries")
    assert {r["outbox_id"] for r in written} == {rows[0]["id"], rows[3]["id"]}
    told = await raw_connection.fetch("SELECT event_id FROM inbox_items")
    assert {r["event_id"] for r in told} == {before.event_id, after.event_id}

    await run_until(worker, lambda: _delivered(sessionmaker, 2))
    assert [m["To"] for m in await smtp.wait_for(2)] == [applicant.email] * 2


async def test_the_same_event_twice_in_a_batch_makes_one_inbox_item(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    make_citizen: MakeCitizen,
    raw_connection: asyncpg.Connection,
) -> None:
    applicant = await make_citizen()
    event = make_event(applicant_id=applicant.id)
    for _ in range(2):
        async with transaction(sessionmaker) as session:
            await publish_event(session, event)

    assert await fan_out_batch(worker.sessionmaker, worker.settings, 20) == 2

    assert await _count(raw_connection, "SELECT count(*) FROM inbox_items") == 1
    errors = await raw_connection.fetch("SELECT error FROM outbox WHERE processed_at IS NOT NULL")
    assert [r["error"] for r in errors] == [None, None]


async def test_a_database_error_rolls_the_batch_back_instead_of_marking_rows(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    make_citizen: MakeCitizen,
    raw_connection: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    applicant = await make_citizen()
    await publish(sessionmaker, applicant_id=applicant.id)

    async def broken(session: AsyncSession, *_: object) -> None:
        # A statement asyncpg refuses (invalid argument): a database error, not a bad row.
        connection = await driver_connection(session)
        await connection.fetchval("SELECT $1::int", "not a number")

    monkeypatch.setattr(fanout, "published_service", broken)
    with pytest.raises(asyncpg.DataError):
        await fan_out_batch(worker.sessionmaker, worker.settings, 20)
    pending = "SELECT count(*) FROM outbox WHERE processed_at IS NULL AND error IS NULL"
    assert await _count(raw_connection, pending) == 1  # left for the next round
    assert await _count(raw_connection, "SELECT count(*) FROM inbox_items") == 0
