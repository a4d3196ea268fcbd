"""Accounts in the browser: log in and out, register, verify the email, reset the password.

Every rule is the identity context's: the token endpoint's password check and throttling
(``grants.check_login``), registration and recovery (``recovery``), sessions (``sessions``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Response, get, post
from litestar.params import QueryParameter

from eservice.core.errors import Conflict, NotFound, ValidationFailed
from eservice.identity import grants, recovery, sessions, throttle
from eservice.identity.schemas import PasswordResetConfirmIn, RegisterIn
from eservice.requests import tracking
from eservice.web.context import Web, safe_next
from eservice.web.deps import WebPage
from eservice.web.forms import convert, messages_by_field, read_form, summary

Next = Annotated[str | None, QueryParameter(name="next", max_length=2000, required=False)]
Token = Annotated[str | None, QueryParameter(name="token", max_length=200, required=False)]
Expired = Annotated[bool, QueryParameter(name="expired", required=False)]
APPLY_PATH = re.compile(r"^/services/([A-Za-z0-9_-]{1,64})/apply$")
REGISTER_WORDING = {
    "email": "v.email",
    "password": "v.password",
    "display_name": "v.required",
    "form": "v.invalid",
}


def _landing(web: WebPage, is_staff: bool) -> str:
    return "/staff" if is_staff else "/requests"


async def report_offer(web: Web, next_path: str) -> str | None:
    """The service a login was asked for, when it also takes reports without an account."""
    match = APPLY_PATH.match(next_path)
    if match is None:
        return None
    try:
        return (await tracking.public_service(web.db, match.group(1))).code
    except NotFound:
        return None


@get("/login", name="web-login")
async def login_page(
    web: WebPage, next_path: Next = None, expired: Expired = False
) -> Response[Any]:
    target = safe_next(next_path, "")
    return web.render(
        "login.html",
        next_path=target,
        email="",
        errors={},
        expired=expired,
        report_code=await report_offer(web, target),
    )


@post("/login", name="web-login-post", status_code=200)
async def login(web: WebPage) -> Any:
    form = await read_form(web)
    email, password = form.get("email").strip(), form.get("password")
    next_path = safe_next(form.get("next"), "")
    error: str | None = None
    row = None
    if not email or not password:
        error = web.t("login.failed")
    else:
        try:
            row = await grants.check_login(web.db, web.settings, email[:254], password[:1024])
        except throttle.Throttled as exc:
            error = web.t("login.throttled", n=exc.retry_after)
        if row is None and error is None:
            error = web.t("login.failed")
    if row is None:
        errors = {"email": error or ""}
        return web.render(
            "login.html",
            status=400,
            next_path=next_path,
            email=email,
            errors=errors,
            expired=False,
        )
    # A new session on every login (never the one presented before): no session fixation.
    await sessions.end_session(web.db, web.session_token)
    token = await sessions.start_session(web.db, web.settings, row.id)
    target = next_path or _landing(web, row.kind == "staff")
    return web.redirect(target, cookies=[web.session_cookie(token)])


@post("/logout", name="web-logout", status_code=200)
async def logout(web: WebPage) -> Any:
    await sessions.end_session(web.db, web.session_token)
    return web.redirect("/?notice=logout.done", cookies=[web.session_cookie(None)])


@get("/register", name="web-register")
async def register_page(web: WebPage) -> Response[Any]:
    return web.render("register.html", values={}, errors={})


@post("/register", name="web-register-post", status_code=200)
async def register(web: WebPage) -> Any:
    form = await read_form(web)
    values = {
        "email": form.get("email").strip(),
        "display_name": form.get("display_name").strip(),
        "password": form.get("password"),
    }
    errors: dict[str, str] = {}
    if not values["display_name"]:
        errors["display_name"] = web.t("v.required")
    if not errors:
        try:
            payload = convert({**values, "locale": web.lang}, RegisterIn)
            async with web.all_or_nothing():
                row = await recovery.register(web.db, web.settings, payload)
        except ValidationFailed as exc:
            errors = messages_by_field(exc.errors, REGISTER_WORDING, web.t)
        except Conflict:
            errors = {"email": web.t("v.email_taken")}
    if errors:
        labels = {
            "email": web.t("login.email"),
            "display_name": web.t("register.name"),
            "password": web.t("login.password"),
        }
        return web.render(
            "register.html",
            status=400,
            values={k: v for k, v in values.items() if k != "password"},
            errors=errors,
            summary=summary(errors, labels),
        )
    token = await sessions.start_session(web.db, web.settings, row.id)
    return web.redirect("/requests?notice=register.done", cookies=[web.session_cookie(token)])


@get("/verify-email", name="web-verify")
async def verify_page(web: WebPage, token: Token = None) -> Response[Any]:
    # Never consumed on GET: mail scanners open links; the person confirms with a button.
    return web.render("verify.html", token=token or "", error=None)


@post("/verify-email", name="web-verify-post", status_code=200)
async def verify(web: WebPage) -> Any:
    form = await read_form(web)
    token = form.get("token").strip()[:200]
    try:
        if not token:
            raise ValidationFailed("missing token")
        await recovery.verify_email(web.db, token)
    except ValidationFailed:
        return web.render("verify.html", status=400, token=token, error=web.t("token.invalid"))
    target = "/requests" if web.person is not None else "/login"
    return web.redirect(f"{target}?notice=verify.done")


@get("/password-reset", name="web-reset")
async def reset_page(web: WebPage) -> Response[Any]:
    return web.render("reset.html", email="", error=None, sent=False)


@post("/password-reset", name="web-reset-post", status_code=200)
async def reset(web: WebPage) -> Any:
    form = await read_form(web)
    email = form.get("email").strip()[:254]
    try:
        await recovery.request_password_reset(web.db, web.settings, email)
    except ValidationFailed:
        return web.render("reset.html", status=400, email=email, error=web.t("v.email"), sent=False)
    return web.render("reset.html", email="", error=None, sent=True)


@get("/password-reset/confirm", name="web-reset-confirm")
async def reset_confirm_page(web: WebPage, token: Token = None) -> Response[Any]:
    return web.render("reset_confirm.html", token=token or "", errors={})


@post("/password-reset/confirm", name="web-reset-confirm-post", status_code=200)
async def reset_confirm(web: WebPage) -> Any:
    form = await read_form(web)
    token, password = form.get("token").strip()[:200], form.get("password")[:1024]
    try:
        payload = convert({"token": token, "password": password}, PasswordResetConfirmIn)
        async with web.all_or_nothing():
            await recovery.confirm_password_reset(web.db, web.settings, payload)
    except ValidationFailed as exc:
        wording = {"token": "token.invalid", "password": "v.password"}
        errors = messages_by_field(exc.errors, wording, web.t)
        return web.render("reset_confirm.html", status=400, token=token, errors=errors)
    return web.redirect("/login?notice=reset.done", cookies=[web.session_cookie(None)])


routes = [
    login_page,
    login,
    logout,
    register_page,
    register,
    verify_page,
    verify,
    reset_page,
    reset,
    reset_confirm_page,
    reset_confirm,
]
