"""Following a public report with its tracking token, and stopping its emails."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, PathParameter
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog.http import choose_language
from eservice.requests import contacts, tracking
from eservice.requests.schemas import PublicReportOut

TAGS = ["public reports"]
Session = NamedDependency[AsyncSession]
Token = Annotated[str, PathParameter(max_length=128)]
AcceptLanguage = Annotated[str | None, HeaderParameter(name="Accept-Language", max_length=512)]
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class UnsubscribedOut(msgspec.Struct, kw_only=True):
    unsubscribed: bool
    message: str


@get(
    "/api/v1/tracking/{token:str}",
    tags=TAGS,
    summary="The public view of a report, for whoever holds its tracking token",
)
async def read_tracked_report(
    token: FromPath[Token], db_session: Session, accept_language: AcceptLanguage = None
) -> Response[PublicReportOut]:
    _, row = await tracking.reporter_for_token(db_session, token)
    view = await tracking.public_view(db_session, row, choose_language(None, accept_language))
    return Response(view, headers=NO_STORE)


async def _unsubscribe(session: AsyncSession, token: str) -> Response[UnsubscribedOut]:
    await contacts.unsubscribe(session, token)
    body = UnsubscribedOut(
        unsubscribed=True,
        message="Sie erhalten keine E-Mails mehr zu dieser Meldung. "
        "You will receive no more emails about this report.",
    )
    return Response(body, headers=NO_STORE)


@get(
    "/api/v1/tracking/unsubscribe/{token:str}",
    tags=TAGS,
    summary="Stop the emails about a report (the link in each email)",
)
async def unsubscribe_by_link(
    token: FromPath[Token], db_session: Session
) -> Response[UnsubscribedOut]:
    return await _unsubscribe(db_session, token)


@post(
    "/api/v1/tracking/unsubscribe/{token:str}",
    tags=TAGS,
    summary="Stop the emails about a report (one-click, RFC 8058)",
    status_code=200,
)
async def unsubscribe_one_click(
    token: FromPath[Token], db_session: Session
) -> Response[UnsubscribedOut]:
    return await _unsubscribe(db_session, token)


routes = [read_tracked_report, unsubscribe_by_link, unsubscribe_one_click]
