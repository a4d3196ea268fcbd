"""Sending email: over SMTP with aiosmtplib, or as ``.eml`` files when no SMTP host is set."""

from __future__ import annotations

import asyncio
import logging
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

import aiosmtplib

from eservice.core.config import Settings
from eservice.notifications.emails import RenderedEmail
from eservice.notifications.metrics import EMAILS_SENT

log = logging.getLogger(__name__)


class SendFailed(Exception):
    """The message could not be handed over; the delivery will be retried."""


def build_message(
    settings: Settings, *, to: str, message_id: str, rendered: RenderedEmail
) -> EmailMessage:
    """A MIME message with text and HTML alternatives and a stable Message-ID."""
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "eservice.invalid"
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{message_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


async def send_message(settings: Settings, message: EmailMessage, message_id: str) -> str:
    """Hand ``message`` over; returns the transport used (``smtp`` or ``file``)."""
    if not settings.smtp_host:
        path = await asyncio.to_thread(_write_eml, settings, message, message_id)
        log.info("email written to file", extra={"path": str(path), "message_id": message_id})
        EMAILS_SENT.labels(transport="file").inc()
        return "file"
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            start_tls=settings.smtp_starttls,
            use_tls=settings.smtp_tls,
            timeout=settings.smtp_timeout,
        )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise SendFailed(f"SMTP: {type(exc).__name__}: {exc}"[:500]) from None
    EMAILS_SENT.labels(transport="smtp").inc()
    return "smtp"


def _write_eml(settings: Settings, message: EmailMessage, message_id: str) -> Path:
    folder = settings.data_path / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{message_id}.eml"
    path.write_bytes(bytes(message))
    return path
