"""What every page handler gets: language, the logged-in person, rendering and redirects."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from urllib.parse import quote
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.response import Redirect
from litestar.template.base import csrf_token
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.config import Settings
from eservice.core.deps import app_settings
from eservice.core.errors import DomainError
from eservice.core.transaction import driver_connection
from eservice.identity import sessions
from eservice.identity.principal import Principal
from eservice.web.assets import load_assets
from eservice.web.i18n import LANG_COOKIE, TEXTS, Translator, pick_language, translator

# Pages may show personal data: never stored by the browser or any cache on the way.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
COMPRESS_FROM = 1024  # bytes; smaller pages are not worth the gzip header


def cookie_secure(settings: Settings) -> bool:
    """Secure cookies everywhere except plain-HTTP local development."""
    if settings.web_cookie_secure is not None:
        return settings.web_cookie_secure
    return settings.env != "development"


def session_cookie_name(settings: Settings) -> str:
    # The __Host- prefix makes the browser refuse the cookie unless Secure, host-only, path /.
    return "__Host-eservice_session" if cookie_secure(settings) else "eservice_session"


class LoginRequired(Exception):
    """The page needs a logged-in person: the handler sends the browser to the login."""

    def __init__(self, next_path: str, expired: bool = False) -> None:
        super().__init__("login required")
        self.next_path = next_path
        self.expired = expired


class NotStaff(Exception):
    """A staff page opened by someone who is not staff: answered as not found."""


def safe_next(value: str | None, default: str = "/") -> str:
    """Only a path on this site (never ``//host`` or a scheme): no open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


@dataclass
class Web:
    """One page request: the language, the person (if logged in) and how to answer."""

    request: Request[Any, Any, Any]
    settings: Settings
    db: AsyncSession
    lang: str
    t: Translator
    person: Principal | None
    session_token: str | None

    @property
    def here(self) -> str:
        query = self.request.url.query
        return self.request.url.path + (f"?{query}" if query else "")

    def require_person(self) -> Principal:
        if self.person is None:
            raise LoginRequired(self.here, expired=self.session_token is not None)
        return self.person

    def require_citizen(self) -> Principal:
        person = self.require_person()
        if not person.is_citizen:
            raise NotStaff()
        return person

    def require_staff(self) -> Principal:
        person = self.require_person()
        if not person.is_staff:
            raise NotStaff()
        return person

    def context(self, **values: Any) -> dict[str, Any]:
        assets = load_assets()
        return {
            "t": self.t,
            "lang": self.lang,
            "other_lang": "en" if self.lang == "de" else "de",
            "person": self.person,
            "csrf": csrf_token({"request": self.request}),
            "asset": assets.url,
            "here": self.here,
            "here_quoted": quote(self.here, safe=""),
            "path": self.request.url.path,
            "notice": self._notice(),
            "when": self.when,
            "day": self.day,
            **values,
        }

    @asynccontextmanager
    async def all_or_nothing(self) -> AsyncIterator[None]:
        """A step whose refusal the page shows (instead of raising) leaves no writes behind.

        The API rolls a refused request back whole; a page that catches the refusal to show it
        commits the rest of the request, so the step runs inside a savepoint (e.g. a reset
        token is not used up by a refused password).
        """
        await self.db.flush()  # what came before stays, whatever the step does
        connection = await driver_connection(self.db)
        await connection.execute("SAVEPOINT web_step")
        try:
            yield
        except DomainError:
            await connection.execute("ROLLBACK TO SAVEPOINT web_step")
            # Objects the step left in the ORM are forgotten too, or a later flush would
            # write them after all; the page only reads afresh from here on.
            self.db.expunge_all()
            raise
        await connection.execute("RELEASE SAVEPOINT web_step")

    def when(self, moment: datetime | None) -> str:
        """A point in time in the city's time zone, as people there write it."""
        if moment is None:
            return ""
        local = moment.astimezone(ZoneInfo(self.settings.time_zone))
        return local.strftime("%d.%m.%Y, %H:%M" if self.lang == "de" else "%Y-%m-%d %H:%M")

    def day(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(ZoneInfo(self.settings.time_zone))
        return local.strftime("%d.%m.%Y" if self.lang == "de" else "%Y-%m-%d")

    def _notice(self) -> str | None:
        key = self.request.query_params.get("notice")
        return self.t(key) if key in TEXTS and key and key.count(".") == 1 else None

    def render(
        self,
        template: str,
        *,
        status: int = 200,
        cookies: list[Cookie] | None = None,
        headers: dict[str, str] | None = None,
        **values: Any,
    ) -> Response[bytes]:
        """The page as HTML, never cached, gzip-compressed when the browser takes it;
        ``headers`` add to (or tighten) the pages' security headers."""
        engine = self.request.app.template_engine
        assert engine is not None, "the app is built with template_config"
        html = engine.get_template(template).render(**self.context(**values)).encode("utf-8")
        headers = {**PAGE_HEADERS, **(headers or {})}
        accepts = self.request.headers.get("accept-encoding", "")
        if len(html) >= COMPRESS_FROM and "gzip" in accepts:
            html = gzip.compress(html, 6)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        return Response(
            html,
            status_code=status,
            media_type="text/html; charset=utf-8",
            headers=headers,
            cookies=cookies or [],
        )

    def redirect(self, path: str, *, cookies: list[Cookie] | None = None) -> Redirect:
        """After a POST: see the result with a GET (303), so reloading never posts twice."""
        return Redirect(
            path, status_code=303, headers={"Cache-Control": "no-store"}, cookies=cookies or []
        )

    def session_cookie(self, token: str | None) -> Cookie:
        """The login cookie (HttpOnly, SameSite=Lax, Secure outside development); None clears."""
        return Cookie(
            key=session_cookie_name(self.settings),
            value=token or "",
            path="/",
            httponly=True,
            secure=cookie_secure(self.settings),
            samesite="lax",
            max_age=None if token else 0,
        )


def error_context(request: Request[Any, Any, Any], settings: Settings) -> Web:
    """A page context for an error page: no database (the request's may be broken), nobody
    shown as logged in."""
    lang = pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))
    return Web(
        request=request,
        settings=settings,
        db=cast(AsyncSession, None),
        lang=lang,
        t=translator(lang),
        person=None,
        session_token=None,
    )


async def provide_web(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> Web:
    """The ``web`` dependency of every page: built on the request's ``db_session``."""
    settings = app_settings(request)
    lang = pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))
    token = request.cookies.get(session_cookie_name(settings))
    person = await sessions.principal_for_session(db_session, settings, token)
    if person is not None:
        # Labels the services present (state names, titles) follow the page's language.
        person = msgspec.structs.replace(person, locale=lang)
    return Web(
        request=request,
        settings=settings,
        db=db_session,
        lang=lang,
        t=translator(lang),
        person=person,
        session_token=token,
    )
