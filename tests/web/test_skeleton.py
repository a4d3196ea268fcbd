"""The portal's frame: start page, catalogue search, language, headers, static assets."""

from __future__ import annotations

import gzip

from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]


async def test_start_page_lists_the_catalogue_in_german_by_default(
    browser: Client,
) -> None:
    page = await browser.get("/")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert '<html lang="de">' in page.text
    assert page.text.count("<h1") == 1
    assert "Hundeanmeldung" in page.text or "Hund" in page.text
    assert 'href="#content"' in page.text


async def test_search_narrows_the_catalogue(browser: Client) -> None:
    page = await browser.get("/", params={"q": "hund"})
    assert "/services/hundeanmeldung/apply" in page.text
    assert "/services/meldebescheinigung/apply" not in page.text


async def test_language_switch_remembers_english(browser: Client) -> None:
    switched = await browser.get("/language", params={"to": "en", "next": "/?q=dog"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/?q=dog"
    page = await browser.get("/")
    assert '<html lang="en">' in page.text
    assert "Apply online" in page.text


async def test_language_switch_never_redirects_to_another_host(browser: Client) -> None:
    switched = await browser.get("/language", params={"to": "en", "next": "//evil.example/"})
    assert switched.headers["location"] == "/"


async def test_static_assets_are_hashed_compressed_and_cached_for_long(browser: Client) -> None:
    page = await browser.get("/")
    css = [part.split('"')[0] for part in page.text.split('href="/static/')[1:]]
    kern = next(name for name in css if name.startswith("kern."))
    asset = await browser.get(f"/static/{kern}", headers={"accept-encoding": "gzip"})
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"]
    assert asset.headers["content-encoding"] == "gzip"
    assert len(asset.content) > 50_000  # httpx decoded it
    missing = await browser.get("/static/kern.000000000000.css")
    assert missing.status_code == 404


async def test_pages_are_gzip_compressed_when_the_browser_accepts_it(browser: Client) -> None:
    raw = await browser.get("/", headers={"accept-encoding": "gzip"})
    assert raw.headers.get("content-encoding") == "gzip"
    assert gzip.decompress(gzip.compress(raw.content))  # body arrived decodable
