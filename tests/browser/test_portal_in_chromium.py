"""The portal and the console in a real Chromium: the flows a person goes through, checked
with axe-core on every page, for requests to other hosts, for page weight and by keyboard."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from urllib.parse import urlparse

import asyncpg
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import LiveSite, Recorded, new_context
from tests.browser.flows import (
    PASSWORD,
    check_page,
    file_parking_permit,
    log_in,
    register_and_verify,
    shoot,
)
from tests.support.auth import MakeStaff

PAGE_BUDGET = 150 * 1024  # HTML + CSS + JS of one page as transferred, fonts excluded


def only_own_host(recorded: Recorded, base: str) -> None:
    own = urlparse(base).netloc
    foreign = [
        url
        for url in recorded.urls
        if urlparse(url).scheme in ("http", "https", "ws", "wss") and urlparse(url).netloc != own
    ]
    assert recorded.urls
    assert foreign == []


async def test_citizen_files_clerk_decides_citizen_follows(
    chromium: Browser,
    live_site: LiveSite,
    make_staff: MakeStaff,
    tmp_path: Path,
    raw_connection: asyncpg.Connection,
) -> None:
    base, checked, recorded = live_site.url, [], Recorded()
    address = f"erika-{secrets.token_hex(4)}@example.org"
    citizen = await new_context(chromium, recorded)
    page = await citizen.new_page()
    await register_and_verify(page, base, live_site.data_dir, address, checked)
    reference = await file_parking_permit(page, base, tmp_path, checked)
    assert re.fullmatch(r"HL-\d{4}-[0-9A-Z]{8}", reference)
    await page.get_by_role("link", name=re.compile(reference)).click()
    await check_page(page, checked)

    clerk = await make_staff("clerk", ["verkehr"])
    office = await new_context(chromium, recorded)
    desk = await office.new_page()
    await log_in(desk, base, clerk.email or "", clerk.password or "", checked)
    await expect(desk.get_by_role("heading", name="Ihre Warteschlangen")).to_be_visible()
    await check_page(desk, checked)
    await shoot(desk, "clerk-queues")
    await desk.get_by_role("link", name=re.compile("Warteschlange öffnen")).first.click()
    await check_page(desk, checked)
    await shoot(desk, "clerk-queue")
    await desk.get_by_role("button", name="Nächsten Antrag übernehmen").first.click()
    await expect(desk.get_by_role("heading", name=re.compile(reference))).to_be_visible()
    await check_page(desk, checked)
    await desk.get_by_role("button", name="Prüfung beginnen").click()
    await expect(desk.get_by_text("Erledigt.")).to_be_visible()
    await desk.get_by_role("textbox", name="Kommentar", exact=True).fill("Wir prüfen Ihren Antrag.")
    await desk.get_by_label(re.compile("öffentlich")).check()
    await desk.get_by_role("button", name="Kommentar speichern").click()
    await expect(desk.get_by_text("Wir prüfen Ihren Antrag.")).to_be_visible()
    await check_page(desk, checked)
    await shoot(desk, "clerk-request")

    await page.reload()
    await expect(page.get_by_text("In Prüfung").first).to_be_visible()
    await expect(page.get_by_text("Wir prüfen Ihren Antrag.")).to_be_visible()
    await check_page(page, checked)
    await shoot(page, "citizen-request")
    await page.goto(base + "/inbox")
    await check_page(page, checked)
    only_own_host(recorded, base)
    assert await raw_connection.fetchval("select state from requests") == "in_review"
    await citizen.close()
    await office.close()


async def test_the_same_citizen_flow_works_without_javascript(
    chromium: Browser, live_site: LiveSite, tmp_path: Path, raw_connection: asyncpg.Connection
) -> None:
    base, checked, recorded = live_site.url, [], Recorded()
    address = f"ohne-js-{secrets.token_hex(4)}@example.org"
    context = await new_context(chromium, recorded, javascript=False)
    page = await context.new_page()
    await register_and_verify(page, base, live_site.data_dir, address, checked, axe=False)
    reference = await file_parking_permit(page, base, tmp_path, checked, axe=False)
    assert await raw_connection.fetchval("select reference from requests") == reference
    assert await raw_connection.fetchval("select state from requests") == "submitted"
    only_own_host(recorded, base)
    await context.close()


async def test_validation_errors_are_shown_and_nothing_is_filed(
    chromium: Browser, live_site: LiveSite, raw_connection: asyncpg.Connection
) -> None:
    base, checked, recorded = live_site.url, [], Recorded()
    context = await new_context(chromium, recorded)
    page = await context.new_page()
    await register_and_verify(
        page,
        base,
        live_site.data_dir,
        f"fehler-{secrets.token_hex(4)}@example.org",
        checked,
        axe=False,
    )
    await page.goto(base + "/services/hundeanmeldung/apply")
    await page.get_by_label("Transpondernummer (Chip)").fill("12")
    await page.get_by_role("button", name="Weiter").click()
    summary = page.locator("#error-summary")
    await expect(summary).to_be_visible()
    await check_page(page, checked)
    await summary.get_by_role("link", name=re.compile("Transpondernummer")).click()
    assert await page.evaluate("document.activeElement.id") == "f-chipnummer"
    assert await page.get_attribute("#f-chipnummer", "aria-invalid") == "true"
    assert await raw_connection.fetchval("select count(*) from requests") == 0
    await context.close()


async def test_a_post_without_csrf_token_is_refused(
    chromium: Browser, live_site: LiveSite, raw_connection: asyncpg.Connection
) -> None:
    recorded = Recorded()
    context = await new_context(chromium, recorded)
    page = await context.new_page()
    await page.goto(live_site.url + "/register")
    answer = await context.request.post(
        live_site.url + "/register",
        form={"display_name": "X", "email": "x@example.org", "password": PASSWORD},
        max_redirects=0,
    )
    assert answer.status == 403
    assert await raw_connection.fetchval("select count(*) from users") == 0
    await context.close()


async def test_filing_works_by_keyboard_alone(
    chromium: Browser, live_site: LiveSite, raw_connection: asyncpg.Connection
) -> None:
    base, checked, recorded = live_site.url, [], Recorded()
    context = await new_context(chromium, recorded)
    page = await context.new_page()
    await register_and_verify(
        page,
        base,
        live_site.data_dir,
        f"tasten-{secrets.token_hex(4)}@example.org",
        checked,
        axe=False,
    )
    await page.goto(base + "/services/strassenschaden/apply")
    controls = await page.eval_on_selector_all(
        "main form[method=post] :is(input:not([type=hidden]), select, textarea, button)",
        # A radio group is one Tab stop (arrow keys move within it), so it counts by name.
        "els => els.map(e => e.type === 'radio'"
        " ? 'radio:' + e.name : e.id || e.name + '=' + e.value)",
    )
    reached: list[str] = []
    typed = {
        "f-beschreibung": "Tiefes Schlagloch vor der Haustür, etwa 30 cm breit.",
        "loc-lat": "53.8655",
        "loc-lon": "10.6866",
    }
    for _ in range(60):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            "() => { const e = document.activeElement;"
            " return [e.type === 'radio' ? 'radio:' + e.name : e.id || e.name + '=' + e.value,"
            " e.tagName, e.type || ''] }"
        )
        ident, tag, kind = focused
        if ident in reached:
            continue
        reached.append(ident)
        if ident in typed:
            await page.keyboard.type(typed[ident])
        elif ident == "f-kategorie":
            await page.keyboard.press("ArrowDown")  # the first category
        elif kind == "radio":
            await page.keyboard.press("ArrowUp")  # "Ja": arrow keys choose within the group
        if tag == "BUTTON" and ident.endswith("=draft"):
            break
    missing = [c for c in dict.fromkeys(controls) if c not in reached]
    assert missing == [], f"not reachable by Tab: {missing}"
    await page.focus("#loc-lon")
    await page.keyboard.press("Enter")  # Enter in a field submits with the first button
    await expect(page.get_by_role("heading", name="Unterlagen hochladen")).to_be_visible()
    assert await raw_connection.fetchval("select data->>'kategorie' from requests") is not None
    assert await raw_connection.fetchval("select data->>'akute_gefahr' from requests") == "true"
    await context.close()


async def measure(page: Page, url: str) -> int:
    """Bytes transferred for the page's HTML, CSS and JS on a first visit (fonts excluded)."""
    sizes: list[int] = []

    async def on_response(response: object) -> None:
        from playwright.async_api import Response

        assert isinstance(response, Response)
        if response.request.resource_type in ("document", "stylesheet", "script"):
            sizes.append((await response.request.sizes())["responseBodySize"])

    page.on("response", on_response)
    await page.goto(url, wait_until="networkidle")
    page.remove_listener("response", on_response)
    return sum(sizes)


async def test_pages_stay_under_the_weight_budget(chromium: Browser, live_site: LiveSite) -> None:
    for path in ("/", "/login", "/register", "/services/strassenschaden/apply"):
        context = await new_context(chromium, Recorded())
        page = await context.new_page()
        weight = await measure(page, live_site.url + path)
        assert 0 < weight < PAGE_BUDGET, (path, weight)
        await context.close()
