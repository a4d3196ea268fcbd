"""Sending email: over SMTP with aiosmtplib, or as ``.eml`` files when no SMTP host is set."""

from __future__ import annotations

import asyncio
import logging
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import formataddr, formatdate, parseaddr
from functools import cache
from pathlib import Path

import aiosmtplib

from eservice.core.config import Settings
from eservice.notifications.emails import RenderedEmail
from eservice.notifications.metrics import EMAILS_SENT

log = logging.getLogger(__name__)


class SendFailed(Exception):
    """The message could not be handed over; the delivery will be retried."""


# UTF-8 bodies as quoted-printable (readable in an .eml file, 7-bit safe for any relay).
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP


def build_message(
    settings: Settings, *, to: str, message_id: str, rendered: RenderedEmail
) -> Message:
    """A MIME message with text and HTML alternatives and a stable Message-ID.

    Built with the ``email.mime`` classes (compat32): the default policy's header registry
    parses every header it is given, which cost most of the time of building a message. So
    non-ASCII display names and subjects are encoded here (RFC 2047), through ``formataddr``
    and ``Header``.
    """
    for value in (to, rendered.subject):
        _refuse_line_breaks(value)
    sender, domain = _sender(settings.mail_from)
    message = MIMEMultipart("alternative")
    message["From"] = sender
    message["To"] = to
    if rendered.subject.isascii():
        message["Subject"] = rendered.subject
    else:  # the documented way for compat32 (typeshed allows only str)
        message["Subject"] = Header(rendered.subject, "utf-8")  # type: ignore[assignment]
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{message_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.attach(_text_part("plain", rendered.text))
    message.attach(_text_part("html", rendered.html))
    return message


@cache
def _sender(mail_from: str) -> tuple[str, str]:
    """The From header (display name RFC 2047-encoded when needed) and the Message-ID domain."""
    _refuse_line_breaks(mail_from)
    name, address = parseaddr(mail_from)
    domain = address.rpartition("@")[2] or "eservice.invalid"
    return formataddr((name, address), charset="utf-8"), domain


def _refuse_line_breaks(value: str) -> None:
    # What the default policy refused: a line break would start a header of its own.
    if "\r" in value or "\n" in value:
        raise ValueError("header values may not contain line breaks")


def _text_part(subtype: str, text: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype)
    part.set_payload(text, _UTF8_QP)
    return part


async def send_message(settings: Settings, message: Message, message_id: str) -> str:
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


def _write_eml(settings: Settings, message: Message, message_id: str) -> Path:
    folder = settings.data_path / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{message_id}.eml"
    path.write_bytes(bytes(message))
    return path
