"""A report without an account in a real Chromium, with and without JavaScript: the form, the
review with a photo, the confirmation with the link, the tracking page; axe on every page."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import asyncpg
from playwright.async_api import Browser, Page, Request, expect

from tests.attachments.conftest import png_bytes
from tests.browser.conftest import LiveSite, Recorded, new_context
from tests.browser.flows import check_page, example, fill_example, read_mail, shoot
from tests.browser.test_portal_in_chromium import only_own_host


async def report_without_account(
    page: Page, base: str, tmp: Path, address: str, checked: list[str], *, axe: bool = True
) -> str:
    """From the start page to the confirmation; the tracking link's path."""
    await page.goto(base + "/")
    await check_page(page, checked, axe=axe)
    await page.get_by_role("link", name=re.compile("Ohne Konto melden.*Straßenschaden")).click()
    await expect(page.get_by_role("heading", name="Straßenschaden melden")).to_be_visible()
    await check_page(page, checked, axe=axe)
    await fill_example(page, example("strassenschaden"))
    await page.get_by_label("Breitengrad").fill("53,8655")
    await page.get_by_label("Längengrad").fill("10.6866")
    await page.get_by_label("Adresse oder Beschreibung des Ortes").fill("Breite Straße 62")
    await page.get_by_role("textbox", name="E-Mail-Adresse").fill(address)
    await page.get_by_role("textbox", name="Ihr Name").fill("Rita Radfahrerin")
    await shoot(page, "report-form")
    await page.get_by_role("button", name="Weiter zur Prüfung").click()
    await expect(page.get_by_role("heading", name="Meldung prüfen und absenden")).to_be_visible()
    await check_page(page, checked, axe=axe)
    await expect(page.get_by_text("Breite Straße 62")).to_be_visible()
    photo = tmp / "schlagloch.png"
    photo.write_bytes(png_bytes(40, 30))
    await page.get_by_label(re.compile("Foto des Schadens")).set_input_files(photo)
    await shoot(page, "report-review")
    await page.get_by_role("button", name="Meldung absenden").click()
    await expect(page.get_by_role("heading", name="Ihre Meldung ist eingegangen")).to_be_visible()
    await check_page(page, checked, axe=axe)
    await shoot(page, "report-confirmation")
    link = await page.locator("#tracking-link").get_attribute("href")
    assert link is not None
    assert link.startswith("/tracking/tr_")
    assert (await page.locator("#tracking-link").inner_text()) == base + link
    return link


async def follow(page: Page, base: str, link: str, checked: list[str], *, axe: bool = True) -> None:
    """The tracking page, reached from the confirmation's link."""
    await page.get_by_role("link", name=base + link).click()
    await expect(page.get_by_role("heading", name="Stand Ihrer Meldung")).to_be_visible()
    await check_page(page, checked, axe=axe)
    await expect(page.locator("#state")).to_have_text("Eingegangen")
    await expect(page.get_by_text("Foto hinzugefügt")).to_be_visible()


async def test_report_without_account_and_its_tracking_page(
    chromium: Browser, live_site: LiveSite, tmp_path: Path, raw_connection: asyncpg.Connection
) -> None:
    base, checked, recorded = live_site.url, [], Recorded()
    address = f"rita-{secrets.token_hex(4)}@example.org"
    context = await new_context(chromium, recorded)
    page = await context.new_page()
    sent: list[Request] = []

    def record(request: Request) -> None:  # Playwright wraps handlers; a bound builtin fails
        sent.append(request)

    page.on("request", record)
    link = await report_without_account(page, base, tmp_path, address, checked)
    await follow(page, base, link, checked)
    await shoot(page, "report-tracking")
    opened = next(i for i, r in enumerate(sent) if r.url == base + link)
    response = await sent[opened].response()
    assert response is not None
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    # Neither the way to the page nor anything it loads tells anyone its address.
    assert len(sent[opened:]) > 1, "the tracking page loads its stylesheets"
    for request in sent[opened:]:
        referer = (await request.all_headers()).get("referer", "")
        assert "/tracking/" not in referer, request.url
        assert "/report" not in referer, request.url
        if request.url.endswith((link, ".css")):  # what the page itself asks for: no Referer
            assert referer == "", request.url

    mail = await read_mail(live_site.data_dir, address, "Ihre Meldung")
    assert f"{base}{link}" in mail  # the email's link opens the same page
    row = await raw_connection.fetchrow(
        "SELECT r.state, r.filed_by_kind, c.email, c.name FROM requests r "
        "JOIN request_contacts c ON c.request_id = r.id"
    )
    assert tuple(row) == ("submitted", "public", address, "Rita Radfahrerin")
    assert await raw_connection.fetchval("SELECT kind FROM attachments") == "foto"
    assert {"/", "/services/strassenschaden/report", link} <= set(checked)
    only_own_host(recorded, base)
    await context.close()


async def test_the_same_report_works_without_javascript(
    chromium: Browser, live_site: LiveSite, tmp_path: Path, raw_connection: asyncpg.Connection
) -> None:
    base, checked, recorded = live_site.url, [], Recorded()
    context = await new_context(chromium, recorded, javascript=False)
    page = await context.new_page()
    address = f"ohne-js-{secrets.token_hex(4)}@example.org"
    link = await report_without_account(page, base, tmp_path, address, checked, axe=False)
    await follow(page, base, link, checked, axe=False)
    assert await raw_connection.fetchval("SELECT count(*) FROM attachments") == 1
    assert await raw_connection.fetchval("SELECT state FROM requests") == "submitted"
    only_own_host(recorded, base)
    await context.close()


async def test_report_pages_at_phone_width_have_no_axe_findings(
    chromium: Browser, live_site: LiveSite, tmp_path: Path
) -> None:
    base, checked, recorded = live_site.url, [], Recorded()
    context = await new_context(chromium, recorded, phone=True)
    page = await context.new_page()
    address = f"handy-{secrets.token_hex(4)}@example.org"
    link = await report_without_account(page, base, tmp_path, address, checked)
    await follow(page, base, link, checked)
    await page.set_viewport_size({"width": 390, "height": 844})  # shoot() may have widened it
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing wider than the phone"
    only_own_host(recorded, base)
    await context.close()
