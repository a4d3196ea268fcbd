"""OGC API - Features at /ogc: parse the standard's parameters, call the publication service,
answer its documents as JSON, GeoJSON or HTML. No SQL and no publishing rule here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import PathParameter
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.deps import app_settings
from eservice.core.errors import BadRequest, NotFound
from eservice.core.pagination import TzDatetime, decode_cursor, encode_cursor
from eservice.ogc import documents, html
from eservice.ogc.documents import COLLECTION_ID, GEOJSON, JSON, OPENAPI
from eservice.ogc.openapi import definition
from eservice.ogc.params import (
    Format,
    invalid,
    parse_bbox,
    parse_datetime,
    parse_format,
    parse_limit,
    refuse_unknown,
)
from eservice.requests import publication

ONLY_F = frozenset({"f"})
ITEMS_PARAMETERS = frozenset({"f", "bbox", "datetime", "limit", "cursor", "service", "status"})
AnyRequest = Request[Any, Any, Any]


def _base(request: AnyRequest) -> str:
    return str(request.base_url).rstrip("/")


def _answer(
    request: AnyRequest, document: dict[str, Any], media_type: str, title: str, fmt: Format
) -> Response[bytes]:
    if fmt == "html":
        return Response(html.page(document, title).encode(), media_type="text/html")
    return Response(msgspec.json.encode(document), media_type=media_type)


def _format(request: AnyRequest, allowed: frozenset[str]) -> Format:
    refuse_unknown(request.query_params.keys(), allowed)
    return parse_format(request.query_params.get("f"), request.headers.get("accept"))


@get(["/ogc", "/ogc/"], include_in_schema=False)
async def landing_page(request: AnyRequest) -> Response[bytes]:
    settings = app_settings(request)
    fmt = _format(request, ONLY_F)
    document = documents.landing_page(_base(request), settings.open_data_city)
    return _answer(request, document, JSON, document["title"], fmt)


@get("/ogc/conformance", include_in_schema=False)
async def conformance(request: AnyRequest) -> Response[bytes]:
    fmt = _format(request, ONLY_F)
    return _answer(request, documents.conformance(), JSON, "Conformance", fmt)


@get("/ogc/api", include_in_schema=False)
async def api_definition(request: AnyRequest) -> Response[bytes]:
    fmt = _format(request, ONLY_F)
    document = definition(_base(request))
    if fmt == "html":
        links = [documents.link(f"{_base(request)}/ogc/api?f=json", "service-desc", OPENAPI)]
        return _answer(request, {"links": links}, OPENAPI, "OpenAPI 3.0", fmt)
    return Response(msgspec.json.encode(document), media_type=OPENAPI)


@get("/ogc/collections", include_in_schema=False)
async def collections(
    request: AnyRequest, db_session: NamedDependency[AsyncSession]
) -> Response[bytes]:
    fmt = _format(request, ONLY_F)
    layer = await publication.public_layer(db_session)
    extent = await publication.published_extent(db_session, layer)
    document = documents.collections(_base(request), extent)
    return _answer(request, document, JSON, "Collections", fmt)


@get("/ogc/collections/{collection_id:str}", include_in_schema=False)
async def collection(
    request: AnyRequest,
    db_session: NamedDependency[AsyncSession],
    collection_id: Annotated[str, PathParameter(max_length=200)],
) -> Response[bytes]:
    _known_collection(collection_id)
    fmt = _format(request, ONLY_F)
    layer = await publication.public_layer(db_session)
    extent = await publication.published_extent(db_session, layer)
    document = documents.collection(_base(request), extent)
    return _answer(request, document, JSON, document["title"], fmt)


@get("/ogc/collections/{collection_id:str}/items", include_in_schema=False)
async def items(
    request: AnyRequest,
    db_session: NamedDependency[AsyncSession],
    collection_id: Annotated[str, PathParameter(max_length=200)],
) -> Response[bytes]:
    _known_collection(collection_id)
    fmt = _format(request, ITEMS_PARAMETERS)
    params = request.query_params
    limit = parse_limit(params.get("limit"))
    box = parse_bbox(params.get("bbox"))
    interval = parse_datetime(params.get("datetime"))
    status = params.get("status")
    if status is not None and status not in ("open", "closed"):
        raise invalid("status must be open or closed")
    direction, key = _position(params.get("cursor"))
    layer = await publication.public_layer(db_session)
    query = layer.query(
        service=params.get("service"),
        status="open" if status == "open" else "closed" if status == "closed" else None,
        box=box,
        start=interval.start if interval else None,
        end=interval.end if interval else None,
        end_exclusive=interval.end_exclusive if interval else False,
    )
    matched = await publication.count_published(db_session, query)
    rows = await publication.list_published(
        db_session,
        layer,
        query,
        after=key if direction == "next" else None,
        before=key if direction == "prev" else None,
        limit=limit + 1,
        matched=matched,
    )
    more = len(rows) > limit
    page = (rows[1:] if direction == "prev" else rows[:limit]) if more else rows
    links = _page_links(request, fmt, page, direction, more)
    document = documents.feature_collection(
        page,
        _base(request),
        links=links,
        number_matched=None if matched > publication.COUNT_CAP else matched,
    )
    return _answer(request, document, GEOJSON, documents.TITLE["de"], fmt)


@get("/ogc/collections/{collection_id:str}/items/{feature_id:str}", include_in_schema=False)
async def item(
    request: AnyRequest,
    db_session: NamedDependency[AsyncSession],
    collection_id: Annotated[str, PathParameter(max_length=200)],
    feature_id: Annotated[str, PathParameter(max_length=200)],
) -> Response[bytes]:
    _known_collection(collection_id)
    fmt = _format(request, ONLY_F)
    try:
        request_id = UUID(feature_id)
    except ValueError:
        raise _no_feature(feature_id) from None
    layer = await publication.public_layer(db_session)
    found = await publication.get_published(db_session, layer, request_id)
    if found is None:
        raise _no_feature(feature_id)
    document = documents.feature(found, _base(request), links=True)
    return _answer(request, document, GEOJSON, found.reference, fmt)


def _known_collection(collection_id: str) -> None:
    if collection_id != COLLECTION_ID:
        detail = f"There is no collection {collection_id[:60]!r}; there is {COLLECTION_ID!r}."
        raise NotFound(detail, extra={"code": "NotFound", "description": detail})


def _no_feature(feature_id: str) -> NotFound:
    detail = f"There is no feature {feature_id[:60]!r} in {COLLECTION_ID!r}."
    return NotFound(detail, extra={"code": "NotFound", "description": detail})


class FeaturePosition(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    """A page's position in the cursor of a next or prev link: which way, from which
    (filing time, id)."""

    direction: Literal["next", "prev"]
    at: TzDatetime
    id: UUID


def _position(cursor: str | None) -> tuple[str, tuple[datetime, UUID] | None]:
    """Which way a cursor pages and from which (filing time, id)."""
    try:
        position = decode_cursor(cursor, FeaturePosition)
    except BadRequest:
        raise invalid("cursor is not valid") from None
    if position is None:
        return "next", None
    return position.direction, (position.at, position.id)


def _page_links(
    request: AnyRequest,
    fmt: Format,
    page: list[publication.PublishedRequest],
    direction: str,
    more: bool,
) -> list[dict[str, str]]:
    url = f"{_base(request)}/ogc/collections/{COLLECTION_ID}/items"
    params = {k: v for k, v in request.query_params.items() if k not in ("cursor", "f")}

    def href(extra: dict[str, str], f: str) -> str:
        return f"{url}?{urlencode({**params, **extra, 'f': f})}"

    current = {"cursor": request.query_params["cursor"]} if "cursor" in request.query_params else {}
    links = [
        documents.link(href(current, "json"), "self", GEOJSON, "this page"),
        documents.link(href(current, "html"), "alternate", "text/html", "this page as HTML"),
    ]
    if not page:
        return links
    first, last = page[0], page[-1]
    has_next = more if direction == "next" else True
    has_prev = (direction == "prev" and more) or (direction == "next" and "cursor" in current)
    media = GEOJSON if fmt == "json" else "text/html"
    if has_next:
        cursor = encode_cursor(FeaturePosition("next", last.created, last.id))
        links.append(documents.link(href({"cursor": cursor}, fmt), "next", media, "next page"))
    if has_prev:
        cursor = encode_cursor(FeaturePosition("prev", first.created, first.id))
        links.append(documents.link(href({"cursor": cursor}, fmt), "prev", media, "previous page"))
    return links


routes = [landing_page, conformance, api_definition, collections, collection, items, item]
