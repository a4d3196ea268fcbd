"""The GeoReport v2 endpoints under /open311/v2, each as ``.json`` and ``.xml``.

Routes parse the standard's parameters, call one function of ``service`` or ``listing`` and
encode the answer in the format the path names. Errors of these paths are rendered by
``errors.handle_exception`` (wired in ``eservice.app``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog.http import choose_language
from eservice.core.config import Settings
from eservice.core.deps import app_settings
from eservice.core.errors import NotFound
from eservice.identity.service import principal_for_open311_key
from eservice.open311 import listing, service
from eservice.open311.errors import GeoReportError
from eservice.open311.schemas import TokenAnswer
from eservice.open311.xml import XML_MEDIA_TYPE, render_list, render_one
from eservice.requests.tracking import reporter_for_token

BASE = "/open311/v2"
TAGS = ["Open311 GeoReport v2"]
Session = NamedDependency[AsyncSession]
AnyRequest = Request[Any, Any, Any]
# A code, reference or token with its format suffix, e.g. ``strassenschaden.json``.
Name = Annotated[str, PathParameter(max_length=200)]


def _both(path: str) -> list[str]:
    return [f"{BASE}/{path}.json", f"{BASE}/{path}.xml"]


def _split(name: str) -> tuple[str, str]:
    """``strassenschaden.json`` → (``strassenschaden``, ``json``); 404 without a format."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or suffix not in ("json", "xml") or not stem:
        raise GeoReportError(404, "Name the format: .json or .xml")
    return stem, suffix


def _format(request: AnyRequest) -> str:
    return "json" if request.url.path.endswith(".json") else "xml"


def _lang(request: AnyRequest) -> str:
    return choose_language(None, request.headers.get("accept-language"))


def _check_jurisdiction(settings: Settings, value: str | None) -> None:
    wanted = settings.open311_jurisdiction
    if wanted is not None and value is not None and value != wanted:
        raise GeoReportError(404, f"jurisdiction_id {value!r} was not found")


def _answer(fmt: str, root: str, item: str | None, content: Any) -> Response[bytes]:
    if fmt == "json":
        return Response(msgspec.json.encode(content), media_type="application/json")
    if item is None:
        return Response(render_one(root, content), media_type=XML_MEDIA_TYPE)
    return Response(render_list(root, item, content), media_type=XML_MEDIA_TYPE)


def _query(request: AnyRequest, settings: Settings) -> dict[str, str]:
    params = dict(request.query_params.items())
    _check_jurisdiction(settings, params.get("jurisdiction_id"))
    return params


@get(_both("discovery"), tags=TAGS, summary="Service discovery")
async def discovery(request: AnyRequest) -> Response[bytes]:
    settings = app_settings(request)
    _query(request, settings)
    return _answer(_format(request), "discovery", None, service.discovery(settings))


@get(_both("services"), tags=TAGS, summary="GET Service List (public services)")
async def services(request: AnyRequest, db_session: Session) -> Response[bytes]:
    settings = app_settings(request)
    _query(request, settings)
    found = await service.list_services(db_session, _lang(request))
    return _answer(_format(request), "services", "service", found)


@get(f"{BASE}/services/{{name:str}}", tags=TAGS, summary="GET Service Definition")
async def service_definition(
    request: AnyRequest, name: Name, db_session: Session
) -> Response[bytes]:
    settings = app_settings(request)
    _query(request, settings)
    code, fmt = _split(name)
    found = await service.service_definition(db_session, code, _lang(request))
    return _answer(fmt, "service_definition", None, found)


def _form_lists(
    items: Sequence[tuple[str, Any]],
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The posted fields, and the ``attribute[code]`` / ``attribute[code][]`` values by code."""
    fields: dict[str, list[str]] = defaultdict(list)
    attributes: dict[str, list[str]] = defaultdict(list)
    for key, value in items:
        if not isinstance(value, str):
            raise GeoReportError(400, f"{key} must be a text field, not a file")
        if key.startswith("attribute[") and "]" in key:
            code = key[len("attribute[") : key.index("]")]
            attributes[code].append(value)
        else:
            fields[key].append(value)
    return fields, attributes


@post(
    _both("requests"),
    tags=TAGS,
    summary="POST Service Request (form-encoded, api_key)",
    status_code=200,
)
async def create_request(request: AnyRequest, db_session: Session) -> Response[bytes]:
    settings = app_settings(request)
    if not request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        raise GeoReportError(
            400, "POST the request form-encoded (application/x-www-form-urlencoded)"
        )
    form = await request.form()
    fields, attributes = _form_lists(list(form.multi_items()))
    jurisdiction = fields.get("jurisdiction_id") or request.query_params.getall(
        "jurisdiction_id", []
    )
    _check_jurisdiction(settings, jurisdiction[-1] if jurisdiction else None)
    key = (fields.get("api_key") or request.query_params.getall("api_key", []) or [""])[-1]
    principal = await principal_for_open311_key(db_session, key)
    if principal is None:
        raise GeoReportError(403, "Invalid api_key received -- can't proceed with create_request.")
    created = await service.file(
        db_session, settings, principal, fields, attributes, _lang(request)
    )
    return _answer(_format(request), "service_requests", "request", [created])


def _list_query(params: dict[str, str]) -> listing.ListQuery:
    def number(name: str, default: int) -> int:
        raw = params.get(name)
        if raw is None:
            return default
        if not raw.isdigit() or len(raw) > 6:
            raise GeoReportError(400, f"{name} must be a positive whole number")
        return int(raw)

    statuses = listing.parse_list(params.get("status"))
    return listing.ListQuery(
        service_request_ids=listing.parse_list(params.get("service_request_id")),
        service_codes=listing.parse_list(params.get("service_code")),
        start=listing.parse_instant("start_date", params.get("start_date")),
        end=listing.parse_instant("end_date", params.get("end_date")),
        statuses=statuses,
        bbox=listing.parse_bbox(params.get("bbox")),
        page=number("page", 1),
        page_size=number("page_size", listing.MAX_RESULTS),
        extensions=params.get("extensions") == "true",
    )


@get(_both("requests"), tags=TAGS, summary="GET Service Requests")
async def list_requests(request: AnyRequest, db_session: Session) -> Response[bytes]:
    settings = app_settings(request)
    query = _list_query(_query(request, settings))
    found = await listing.list_requests(db_session, settings, query, _lang(request))
    return _answer(_format(request), "service_requests", "request", found)


@get(f"{BASE}/requests/{{name:str}}", tags=TAGS, summary="GET Service Request")
async def read_request(request: AnyRequest, name: Name, db_session: Session) -> Response[bytes]:
    settings = app_settings(request)
    params = _query(request, settings)
    reference, fmt = _split(name)
    query = listing.ListQuery(
        service_request_ids=[reference], extensions=params.get("extensions") == "true"
    )
    found = await listing.list_requests(db_session, settings, query, _lang(request))
    if not found:
        raise GeoReportError(404, f"service_request_id {reference!r} was not found")
    return _answer(fmt, "service_requests", "request", found)


@get(f"{BASE}/tokens/{{name:str}}", tags=TAGS, summary="GET service_request_id from a token")
async def read_token(request: AnyRequest, name: Name, db_session: Session) -> Response[bytes]:
    """The token of a report filed without an account (its tracking token) names its id."""
    settings = app_settings(request)
    _query(request, settings)
    token, fmt = _split(name)
    try:
        _, row = await reporter_for_token(db_session, token)
    except NotFound as exc:  # the tracking rule's 404, told in the standard's words
        raise GeoReportError(404, "token was not found") from exc
    answer = [TokenAnswer(service_request_id=row.reference, token=token)]
    return _answer(fmt, "service_requests", "request", answer)


routes = [
    discovery,
    services,
    service_definition,
    create_request,
    list_requests,
    read_request,
    read_token,
]
