"""The address a request comes from, believing proxy headers only from configured proxies."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Any

from litestar import Request

from eservice.core.config import Settings

Network = IPv4Network | IPv6Network


def _parse(value: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address | None, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(request: Request[Any, Any, Any], settings: Settings) -> str:
    """The caller's address: the TCP peer, or, when that peer is a trusted proxy, the last
    address in ``X-Forwarded-For`` that is not itself a trusted proxy.

    Every proxy appends the address it saw, so only the entries added by our own proxies can be
    believed; anything left of them may have been written by the caller.
    """
    peer = request.client.host if request.client is not None else ""
    networks = settings.trusted_proxy_networks
    if not networks or not _trusted(_parse(peer), networks):
        return peer or "unknown"
    hops = [h for h in ",".join(request.headers.getall("x-forwarded-for", [])).split(",") if h]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            return peer
        if not _trusted(address, networks):
            return str(address)
    return peer
