"""Sending one webhook: Standard Webhooks signature, pinned address, no redirects, timeouts."""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import httpx
import msgspec
from standardwebhooks import Webhook

from eservice.core.config import Settings
from eservice.notifications.ssrf import UnsafeTarget, check_target

USER_AGENT = "eservice-webhooks/1.0"
MAX_RETRY_AFTER = 24 * 3600.0
_RESPONSE_PEEK = 2048


class AttemptResult(msgspec.Struct, frozen=True):
    """How one delivery attempt ended; ``gone`` (a webhook got 410) disables the subscription."""

    outcome: Literal["succeeded", "failed", "gone"]
    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None


def sign_headers(secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``, signed with the library."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER)


def _pinned_url(url: str, address: str) -> str:
    parts = urlsplit(url)
    host = f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


async def send_webhook(
    settings: Settings, *, url: str, secret: str, message_id: str, body: str
) -> AttemptResult:
    """POST ``body`` to ``url`` once; never raises for network or receiver trouble."""
    try:
        target = await check_target(url, settings.webhook_allowed_hosts)
    except UnsafeTarget as exc:
        return AttemptResult(outcome="failed", error=f"refused: {exc.reason}")
    now = datetime.now(UTC)
    headers = sign_headers(secret, message_id, body, now)
    headers.update(
        {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "host": urlsplit(url).netloc,
        }
    )
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    timeout = httpx.Timeout(settings.webhook_timeout)
    # One client per attempt: a pooled connection must never be reused for another host name
    # that happens to share the pinned address.
    try:
        async with (
            asyncio.timeout(settings.webhook_timeout * 2),
            httpx.AsyncClient(follow_redirects=False, timeout=timeout, trust_env=False) as client,
        ):
            status, retry_header = await _post_to_first_reachable(
                client,
                url,
                addresses=target.addresses or (target.address,),
                body=body,
                headers=headers,
                extensions=extensions,
            )
    except (httpx.HTTPError, OSError, TimeoutError) as exc:
        reason = str(exc) or type(exc).__name__
        return AttemptResult(outcome="failed", error=f"{type(exc).__name__}: {reason}"[:500])
    return _result(status, retry_header)


async def _post_to_first_reachable(
    client: httpx.AsyncClient,
    url: str,
    *,
    addresses: tuple[str, ...],
    body: str,
    headers: dict[str, str],
    extensions: dict[str, str],
) -> tuple[int, str | None]:
    """POST to the checked addresses in turn until one accepts the connection."""
    for index, address in enumerate(addresses):
        try:
            async with client.stream(
                "POST",
                _pinned_url(url, address),
                content=body.encode(),
                headers=headers,
                extensions=extensions,
            ) as response:
                await _peek(response)
                return response.status_code, response.headers.get("retry-after")
        except httpx.ConnectError:
            if index == len(addresses) - 1:
                raise
    raise httpx.ConnectError("no address to connect to")


def _result(status: int, retry_header: str | None) -> AttemptResult:
    if 200 <= status < 300:
        return AttemptResult(outcome="succeeded", status_code=status)
    if status == 410:
        return AttemptResult(outcome="gone", status_code=status, error="receiver answered 410 Gone")
    error = f"receiver answered {status}"
    if 300 <= status < 400:
        error += " (redirects are not followed)"
    retry_after = parse_retry_after(retry_header, datetime.now(UTC))
    return AttemptResult(outcome="failed", status_code=status, error=error, retry_after=retry_after)


async def _peek(response: httpx.Response) -> None:
    """Read at most a little of the answer; a receiver cannot make us download much."""
    seen = 0
    async for chunk in response.aiter_raw():
        seen += len(chunk)
        if seen >= _RESPONSE_PEEK:
            break
