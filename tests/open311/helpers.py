"""Shared steps of the Open311 tests: a client's api_key and a posted pothole report."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.auth import Caller

Client = AsyncTestClient[Litestar]
BASE = "/open311/v2"
POTHOLE = {
    "service_code": "strassenschaden",
    "lat": "53.8655",
    "long": "10.6866",
    "address_string": "Breite Straße 62, 23552 Lübeck",
    "attribute[kategorie]": "schlagloch",
    "attribute[akute_gefahr]": "true",
    "attribute[entdeckt_am]": "2026-02-03T23:30:00+00:00",
    "description": "Tiefes Schlagloch auf der rechten Fahrspur vor der Bushaltestelle.",
}


def api_key(caller: Caller) -> str:
    key = caller.extra["api_key"]
    assert isinstance(key, str)
    return key


async def post_report(client: Client, caller: Caller, fmt: str = "json", **extra: str) -> Any:
    form = {**POTHOLE, "api_key": api_key(caller), **extra}
    response = await client.post(f"{BASE}/requests.{fmt}", data=form)
    assert response.status_code == 200, response.text
    return response.json() if fmt == "json" else response.text
