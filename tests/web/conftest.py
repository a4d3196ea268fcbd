"""Fixtures of the web front's tests: a browser-like client that keeps cookies over HTTPS."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


@pytest.fixture
async def browser(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Like a browser: HTTPS (the cookies are Secure outside development), no redirects."""
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:
        client.follow_redirects = False
        yield client


async def log_in(client: AsyncTestClient[Litestar], email: str, password: str) -> None:
    """Log in through the login form, as a browser does."""
    page = await client.get("/login")
    answer = await client.post(
        "/login",
        data={"_csrf_token": csrf_of(page.text), "email": email, "password": password},
    )
    assert answer.status_code == 303, answer.text


def encoded(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Keyword arguments that post ``pairs`` as a browser does (repeated names allowed)."""
    return {
        "content": urlencode(pairs),
        "headers": {"content-type": "application/x-www-form-urlencoded"},
    }
