"""Steps of the browser flows, as a person does them: links, labels, buttons."""

from __future__ import annotations

import asyncio
import email
import json
import os
import re
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

SERVICES = Path(__file__).resolve().parents[2] / "services"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BLOCKING = ("serious", "critical")
PASSWORD = "korrekt Pferd Batterie Heftklammer"
_axe = Axe()
# Set to a directory (e.g. docs/screenshots) to save the main pages at desktop and phone width.
SCREENSHOTS = os.environ.get("ESERVICE_SCREENSHOTS_DIR")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


async def shoot(page: Page, name: str) -> None:
    """Screenshots for the README (only when ESERVICE_SCREENSHOTS_DIR is set)."""
    if not SCREENSHOTS:
        return
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    for suffix, size in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(size)  # type: ignore[arg-type]
        await page.screenshot(path=folder / f"{name}-{suffix}.png", full_page=True)
    await page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]


def example(code: str, index: int = 0) -> dict[str, Any]:
    schema = json.loads((SERVICES / f"{code}.v1.form.json").read_text())
    return dict(schema["examples"][index])


async def check_page(page: Page, checked: list[str], *, axe: bool = True) -> None:
    """Every page: one h1, a language, a skip link, and no serious or critical axe finding."""
    assert await page.locator("h1").count() == 1, page.url
    assert await page.get_attribute("html", "lang") in ("de", "en")
    assert await page.locator("a.skip-link[href='#content']").count() == 1
    if axe:
        results = await _axe.run(page)
        blocking = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]
            if v["impact"] in BLOCKING
        ]
        assert blocking == [], f"{page.url}: {blocking}"
    checked.append(urlparse(page.url).path)


async def read_mail(data_dir: Path, to: str, subject_word: str, timeout: float = 20) -> str:
    """The plain text of the newest email to ``to`` whose subject has the word (the worker
    writes .eml files when no SMTP server is configured)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for path in sorted((data_dir / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime):
            message = email.message_from_bytes(path.read_bytes(), policy=default)
            assert isinstance(message, EmailMessage)
            if to in str(message["To"]) and subject_word in str(message["Subject"]):
                body = message.get_body(preferencelist=("plain",))
                assert body is not None
                return str(body.get_content())
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no email to {to} about {subject_word!r}")
        await asyncio.sleep(0.2)


async def register_and_verify(
    page: Page, base: str, data_dir: Path, address: str, checked: list[str], *, axe: bool = True
) -> None:
    await page.goto(base + "/")
    await check_page(page, checked, axe=axe)
    await page.get_by_role("link", name="Registrieren").first.click()
    await check_page(page, checked, axe=axe)
    await page.get_by_label("Ihr Name").fill("Erika Mustermann")
    await page.get_by_label("E-Mail-Adresse").fill(address)
    await page.get_by_label("Passwort").fill(PASSWORD)
    await page.get_by_role("button", name="Konto anlegen").click()
    await expect(page.get_by_text("Ihr Konto ist angelegt")).to_be_visible()
    await check_page(page, checked, axe=axe)
    text = await read_mail(data_dir, address, "E-Mail-Adresse")
    link = re.search(r"(http://\S+/verify-email\?token=\S+)", text)
    assert link is not None, text
    await page.goto(link.group(1))
    await check_page(page, checked, axe=axe)
    await page.get_by_role("button", name="Adresse bestätigen").click()
    await expect(page.get_by_text("Ihre E-Mail-Adresse ist bestätigt")).to_be_visible()


async def fill_example(page: Page, data: dict[str, Any]) -> None:
    for key, value in data.items():
        if isinstance(value, bool):
            await page.locator(f"input[name='d.{key}'][value='{str(value).lower()}']").check()
        elif isinstance(value, list):
            for item in value:
                await page.locator(f"input[name='d.{key}'][value='{item}']").check()
        else:
            control = page.locator(f"[name='d.{key}']")
            kind = await control.first.evaluate("e => e.tagName + ':' + (e.type || '')")
            if kind == "INPUT:radio":
                await page.locator(f"input[name='d.{key}'][value='{value}']").check()
            elif kind.startswith("SELECT"):
                await control.select_option(str(value))
            else:
                await control.fill(str(value))


async def file_parking_permit(
    page: Page, base: str, tmp: Path, checked: list[str], *, axe: bool = True
) -> str:
    """Apply for a resident parking permit with the registration certificate; the reference."""
    await page.goto(base + "/")
    await shoot(page, "citizen-start")
    await page.get_by_role(
        "link", name=re.compile("Online beantragen.*Bewohnerparkausweis")
    ).click()
    await check_page(page, checked, axe=axe)
    await fill_example(page, example("bewohnerparkausweis"))
    await shoot(page, "citizen-form")
    await page.get_by_role("button", name="Weiter").click()
    await expect(page.get_by_role("heading", name="Unterlagen hochladen")).to_be_visible()
    await check_page(page, checked, axe=axe)
    document = tmp / "fahrzeugschein.pdf"
    document.write_bytes(PDF)
    await page.get_by_label("Datei").set_input_files(document)
    await page.get_by_role("button", name="Hochladen").click()
    await expect(page.get_by_text("Die Datei ist hochgeladen.")).to_be_visible()
    await page.get_by_role("link", name="Weiter zur Prüfung").click()
    await check_page(page, checked, axe=axe)
    await expect(page.get_by_text("fahrzeugschein.pdf")).to_be_visible()
    await shoot(page, "citizen-review")
    await page.get_by_role("button", name="Absenden").click()
    await expect(page.get_by_role("heading", name="Ihr Antrag ist eingegangen")).to_be_visible()
    await check_page(page, checked, axe=axe)
    await shoot(page, "citizen-confirmation")
    return (await page.locator("#reference").inner_text()).strip()


async def log_in(page: Page, base: str, address: str, password: str, checked: list[str]) -> None:
    await page.goto(base + "/login")
    await check_page(page, checked)
    await page.get_by_label("E-Mail-Adresse").fill(address)
    await page.get_by_label("Passwort").fill(password)
    await page.get_by_role("button", name="Anmelden").click()
