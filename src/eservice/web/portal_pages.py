"""The start page with the service catalogue, search and the language switch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Response, get
from litestar.datastructures import Cookie
from litestar.params import QueryParameter
from litestar.response import Redirect

from eservice.catalog.service import PublishedService, list_current_services
from eservice.web.context import safe_next
from eservice.web.deps import WebPage
from eservice.web.i18n import LANG_COOKIE, LANGUAGES

CATALOGUE_LIMIT = 100
Query = Annotated[str | None, QueryParameter(name="q", max_length=100, required=False)]


@dataclass
class ServiceCard:
    code: str
    title: str
    description: str
    fee: str | None
    days: int
    documents: list[str]
    public: bool  # takes reports without an account


def euros(cents: int, lang: str) -> str:
    text = (
        f"{cents // 100},{cents % 100:02d} €"
        if lang == "de"
        else f"€{cents // 100}.{cents % 100:02d}"
    )
    return text


def service_card(service: PublishedService, lang: str) -> ServiceCard:
    definition = service.definition
    return ServiceCard(
        code=service.code,
        title=definition.title.pick(lang),
        description=definition.description.pick(lang),
        fee=euros(definition.fee.amount_cents, lang) if definition.fee else None,
        days=definition.sla.business_days,
        documents=[d.label.pick(lang) for d in definition.documents],
        public=definition.public,
    )


def matches(service: PublishedService, words: list[str]) -> bool:
    """Every word appears in the title, description or code, in either language."""
    definition = service.definition
    haystack = " ".join(
        [
            service.code,
            definition.title.de,
            definition.title.en,
            definition.description.de,
            definition.description.en,
        ]
    ).casefold()
    return all(word in haystack for word in words)


@get("/", name="web-home")
async def home(web: WebPage, q: Query = None) -> Response[Any]:
    services = await list_current_services(web.db, after=None, limit=CATALOGUE_LIMIT)
    words = (q or "").casefold().split()
    found = [s for s in services if matches(s, words)] if words else services
    return web.render(
        "home.html",
        services=[service_card(s, web.lang) for s in found],
        query=q or "",
        searched=bool(words),
    )


@get("/language", name="web-language")
async def switch_language(
    web: WebPage,
    to: Annotated[str, QueryParameter(name="to", max_length=2)],
    next_path: Annotated[str | None, QueryParameter(name="next", max_length=2000)] = None,
) -> Redirect:
    """Remember the chosen language (a cookie, no personal data) and go back to the page."""
    lang = to if to in LANGUAGES else "de"
    cookie = Cookie(
        key=LANG_COOKIE,
        value=lang,
        path="/",
        max_age=365 * 24 * 3600,
        samesite="lax",
        httponly=True,
    )
    return Redirect(safe_next(next_path), status_code=303, cookies=[cookie])


routes = [home, switch_language]
