"""Where webhooks may go: public http(s) addresses only, unless explicitly allowed.

Checked when a subscription is made and again right before each connection; the connection
then goes to the address that was checked (pinned), so a DNS answer that changes in between
(DNS rebinding) cannot redirect a delivery to an internal address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Collection
from urllib.parse import SplitResult, urlsplit

import msgspec

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_ULA = ipaddress.ip_network("fc00::/7")
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254")
)


class UnsafeTarget(Exception):
    """A URL that webhooks must not reach; ``reason`` says why in one phrase."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Target(msgspec.Struct, frozen=True):
    """A checked URL: the parts to connect with and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: str
    allowed_by_setting: bool
    addresses: tuple[str, ...] = ()


def forbidden_reason(address: IPAddress) -> str | None:
    """Why an address is internal (loopback, private, ...), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return forbidden_reason(mapped)
    reason: str | None = None
    if address in _METADATA:
        reason = "a cloud metadata address"
    elif address.is_loopback:
        reason = "a loopback address"
    elif address.is_link_local:
        reason = "a link-local address"
    elif isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        reason = "a carrier-grade NAT (100.64.0.0/10) address"
    elif address.is_multicast:
        reason = "a multicast address"
    elif address.is_unspecified:
        reason = "an unspecified address"
    elif isinstance(address, ipaddress.IPv6Address) and address in _ULA:
        reason = "a unique local (private) IPv6 address"
    elif address.is_private:
        reason = "a private address"
    elif address.is_reserved or not address.is_global:
        reason = "a reserved address"
    return reason


def parse_url(url: str) -> SplitResult:
    """Split ``url`` and refuse what is not a plain http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeTarget("the URL is not valid") from None
    if parts.scheme not in {"http", "https"}:
        raise UnsafeTarget("only http and https URLs are allowed")
    if not parts.hostname:
        raise UnsafeTarget("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("credentials in the URL are not allowed")
    if port == 0:
        raise UnsafeTarget("the URL has an invalid port")
    return parts


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_allowed_host(host: str, port: int, allowed: Collection[str]) -> bool:
    """``host:port`` (IPv6 in brackets or not) is listed in ESERVICE_WEBHOOK_ALLOW_HOSTS."""
    host = host.lower()
    return _host_port(host, port) in allowed or f"{host}:{port}" in allowed


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal address resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeTarget("the host name cannot be resolved") from None
    addresses: list[IPAddress] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]
        address = ipaddress.ip_address(raw)
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeTarget("the host name cannot be resolved")
    return addresses


async def check_target(url: str, allowed: Collection[str]) -> Target:
    """Resolve ``url`` and refuse it when any of its addresses is internal and not allowed."""
    parts = parse_url(url)
    host = str(parts.hostname).lower()
    port = _port(parts)
    addresses = await resolve(host, port)
    allowed_by_setting = is_allowed_host(host, port, allowed)
    if not allowed_by_setting:
        for address in addresses:
            reason = forbidden_reason(address)
            if reason is not None:
                literal = _is_literal(host)
                where = "the URL points to" if literal else f"{host} resolves to"
                raise UnsafeTarget(f"{where} {reason}")
    return Target(
        url=url,
        scheme=parts.scheme,
        host=host,
        port=port,
        address=str(addresses[0]),
        addresses=tuple(str(a) for a in addresses),
        allowed_by_setting=allowed_by_setting,
    )
