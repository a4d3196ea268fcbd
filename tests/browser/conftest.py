"""Browser tests: a real Chromium (Debian's package) driven by Playwright against a live server.

One browser for the whole session; each flow gets its own context (cookies), and every context
records every request it makes, so that a test can assert that no page reaches another host.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright

from eservice.app import create_app
from tests.conftest import make_settings
from tests.support.live_server import free_port, serve_in_thread

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class LiveSite:
    url: str
    data_dir: Path


@dataclass
class Recorded:
    """Every URL a browser context requested."""

    urls: list[str] = field(default_factory=list)


# Module scope: its worker must not outlive these tests, or it would deliver the outbox rows
# of later tests (which run their own workers) in the shared test database.
@pytest.fixture(scope="module")
def live_site(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """The app with its worker (emails land as .eml files), served on a real port."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("Chromium is not installed (apt-get install chromium; .ci/run does it)")
    data_dir = tmp_path_factory.mktemp("browser-data")
    port = free_port()
    url = f"http://localhost:{port}"
    settings = make_settings(data_dir, public_url=url, worker_poll_interval="0.1")
    app = create_app(settings, database_url, with_worker=True)
    with serve_in_thread(app, port=port):
        yield LiveSite(url=url, data_dir=data_dir)


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def new_context(
    browser: Browser, recorded: Recorded, *, javascript: bool = True, phone: bool = False
) -> BrowserContext:
    """A fresh visitor (no cookies, no cache) whose every request is recorded."""
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = await browser.new_context(
        java_script_enabled=javascript,
        viewport=viewport,  # type: ignore[arg-type]
        locale="de-DE",
        # axe-core is injected into the page for the checks; the pages' own CSP would refuse it.
        bypass_csp=True,
    )
    context.on("request", lambda request: recorded.urls.append(request.url))
    context.set_default_timeout(10_000)
    return context
