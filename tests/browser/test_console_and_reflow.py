"""The console's document upload in a real Chromium, and the main pages at 400 % zoom.

WCAG 1.4.10 (reflow): content at 320 CSS pixels wide (1280 px at 400 %) needs no horizontal
scrolling of the page; a data table may scroll inside its own labelled, focusable region.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient
from playwright.async_api import Browser, Locator, Page, expect

from tests.browser.conftest import LiveSite, Recorded, new_context
from tests.browser.flows import PDF, check_page, log_in
from tests.support.auth import MakeCitizen, MakeStaff
from tests.web.test_staff_documents import submitted_permit

ZOOMED = {"width": 320, "height": 640}  # a 1280 by 2560 px window at 400 %
SCREENSHOTS = os.environ.get("ESERVICE_SCREENSHOTS_DIR")


async def reflows(page: Page, name: str, controls: list[Locator], checked: list[str]) -> None:
    """No horizontal scrolling at 320 px; each control visible and inside the width; axe clean."""
    await page.set_viewport_size(ZOOMED)  # type: ignore[arg-type]
    widths = await page.evaluate(
        "() => { const e = document.scrollingElement; return [e.scrollWidth, e.clientWidth] }"
    )
    wide = await page.evaluate(
        "() => [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > document.scrollingElement.clientWidth + 1"
        " && !e.closest('.table-scroll'))"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className)"
    )
    assert widths[0] <= widths[1] + 1, (page.url, widths, wide)
    for control in controls:
        await expect(control).to_be_visible()
        await control.scroll_into_view_if_needed()
        box = await control.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= ZOOMED["width"] + 1, (page.url, await control.count())
    await check_page(page, checked)
    if SCREENSHOTS:
        folder = Path(SCREENSHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=folder / f"{name}-320.png", full_page=True)


async def test_main_pages_reflow_at_400_percent_and_a_clerk_attaches_a_document(
    chromium: Browser,
    live_site: LiveSite,
    client: AsyncTestClient[Litestar],
    make_citizen: MakeCitizen,
    make_staff: MakeStaff,
    tmp_path: Path,
) -> None:
    base, checked, recorded = live_site.url, [], Recorded()
    citizen = await make_citizen()
    clerk = await make_staff("clerk", ["verkehr"])
    request = await submitted_permit(client, citizen, "bewohnerparkausweis")

    context = await new_context(chromium, recorded)
    page = await context.new_page()
    await page.set_viewport_size(ZOOMED)  # type: ignore[arg-type]
    await page.goto(base + "/")
    await reflows(
        page,
        "citizen-start",
        [
            page.get_by_role("searchbox").or_(page.get_by_role("textbox")).first,
            page.get_by_role("link", name=re.compile("Online beantragen")).first,
        ],
        checked,
    )
    await log_in(page, base, citizen.email or "", citizen.password or "", checked)
    for code in ("bewohnerparkausweis", "strassenschaden"):
        await page.goto(f"{base}/services/{code}/apply")
        await reflows(
            page,
            f"citizen-form-{code}",
            [
                page.locator("main form[method=post] :is(input, select, textarea):visible").first,
                page.get_by_role("button", name="Weiter"),
            ],
            checked,
        )
    await page.goto(f"{base}/requests/{request['id']}")
    await reflows(
        page,
        "citizen-request",
        [
            page.get_by_role("heading", level=1),
            page.get_by_role("button", name="Antrag zurückziehen"),
            page.get_by_role("link", name="fahrzeugschein.pdf"),
        ],
        checked,
    )
    await context.close()

    office = await new_context(chromium, recorded)
    desk = await office.new_page()
    await desk.set_viewport_size(ZOOMED)  # type: ignore[arg-type]
    await log_in(desk, base, clerk.email or "", clerk.password or "", checked)
    await desk.goto(base + "/staff/queues/verkehr")
    table = desk.get_by_role("region").filter(has=desk.locator("table"))
    await reflows(
        desk,
        "clerk-queue",
        [desk.get_by_role("button", name="Nächsten Antrag übernehmen"), table],
        checked,
    )
    assert await table.get_attribute("tabindex") == "0"  # the table scrolls in its own region
    await desk.get_by_role("button", name="Nächsten Antrag übernehmen").click()
    await expect(desk.get_by_role("heading", name=re.compile("HL-"))).to_be_visible()
    await reflows(
        desk,
        "clerk-request",
        [
            desk.get_by_role("button", name="Prüfung beginnen"),
            desk.get_by_role("button", name="Hochladen"),
            desk.get_by_role("button", name="Kommentar speichern"),
        ],
        checked,
    )

    # The clerk attaches a letter from the console; it is listed and downloads unchanged.
    letter = tmp_path / "anschreiben.pdf"
    letter.write_bytes(PDF)
    await desk.get_by_label("Datei").set_input_files(letter)
    await desk.get_by_label("für Antragsteller/in sichtbar").check()
    await desk.get_by_role("button", name="Hochladen").click()
    await expect(desk.get_by_text("Die Datei ist hochgeladen.")).to_be_visible()
    await check_page(desk, checked)
    link = desk.get_by_role("link", name="anschreiben.pdf")
    await expect(link).to_be_visible()
    async with desk.expect_download() as download_info:
        await link.click()
    download = await download_info.value
    saved = tmp_path / "downloaded.pdf"
    await download.save_as(saved)
    assert saved.read_bytes() == PDF
    await office.close()
