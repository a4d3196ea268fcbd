"""Building mail: non-ASCII display names and subjects encoded (RFC 2047), UTF-8 bodies."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.transaction import transaction
from eservice.core.worker import Worker
from eservice.events.outbox import queue_email
from eservice.notifications.emails import RenderedEmail
from eservice.notifications.mailer import build_message
from tests.conftest import make_settings
from tests.notifications.helpers import count_succeeded, run_until, scalar
from tests.notifications.peers import SmtpServer

SENDER = '"Stadt Müllheim, Bürgeramt" <noreply@stadt.example>'
MAIL = RenderedEmail(
    subject="Antrag HL-2026-ÄÖÜ: In Prüfung ✓",
    text="Guten Tag Jürgen Müller,\n\nIhr Antrag ist „In Prüfung“.\n",
    html="<p>Guten Tag J&uuml;rgen M&uuml;ller, „In Prüfung“</p>\n",
)


def _parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_non_ascii_sender_and_subject_are_encoded_and_read_back(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, mail_from=SENDER)
    raw = bytes(build_message(settings, to="erika@example.org", message_id="msg_1", rendered=MAIL))

    assert raw.isascii()  # encoded words and quoted-printable bodies
    message = _parsed(raw)
    assert message["Subject"] == MAIL.subject
    assert message["From"].addresses[0].display_name == "Stadt Müllheim, Bürgeramt"
    assert message["From"].addresses[0].addr_spec == "noreply@stadt.example"
    assert message["To"] == "erika@example.org"
    assert message["Message-ID"] == "<msg_1@stadt.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"].datetime is not None
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert text.get_content_charset() == "utf-8"
    assert text.get_content() == MAIL.text
    assert html.get_content() == MAIL.html


def test_ascii_headers_stay_as_they_are(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    message = build_message(
        settings,
        to="erika@example.org",
        message_id="msg_2",
        rendered=RenderedEmail(subject="Please confirm", text="Hello\n", html="<p>Hello</p>"),
    )
    raw = bytes(message)

    assert b"\nSubject: Please confirm\n" in raw
    assert b"\nFrom: eservice <noreply@eservice.invalid>\n" in raw


def test_line_breaks_in_a_header_are_refused(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with pytest.raises(ValueError, match="line breaks"):
        build_message(
            settings, to="a@example.org\nBcc: b@example.org", message_id="msg_3", rendered=MAIL
        )


async def test_non_ascii_sender_and_subject_arrive_over_smtp(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., Worker],
    smtp: SmtpServer,
) -> None:
    worker = make_worker(mail_from=SENDER)
    async with transaction(sessionmaker) as session:
        await queue_email(
            session,
            to="juergen@example.org",
            template="password_reset",
            locale="de",
            context={"token": "pr_abc.def", "display_name": "Jürgen Müller"},
        )

    await run_until(worker, lambda: _sent(sessionmaker))

    message = (await smtp.wait_for(1))[0]
    assert message["Subject"] == "Passwort zurücksetzen"
    assert message["From"].addresses[0].display_name == "Stadt Müllheim, Bürgeramt"
    assert message["To"] == "juergen@example.org"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert "Guten Tag Jürgen Müller" in text.get_content()
    assert "pr_abc.def" in text.get_content()
    message_id = await scalar(sessionmaker, "SELECT message_id FROM deliveries")
    assert message["Message-ID"] == f"<{message_id}@stadt.example>"


async def _sent(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    return await count_succeeded(sessionmaker) >= 1


def test_the_worker_command_runs_on_uvloop_when_it_is_installed() -> None:
    uvloop = pytest.importorskip("uvloop")
    from eservice.cli.worker import event_loop_factory

    assert event_loop_factory() is uvloop.new_event_loop
