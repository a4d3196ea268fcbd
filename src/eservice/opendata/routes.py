"""Open data for the city's portal: statistics (JSON, CSV) and the DCAT-AP.de catalogue.
Parse, call one service function, translate; no SQL and no rule here."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Any, Literal

import msgspec
from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from rdflib import Graph
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.config import Settings
from eservice.core.deps import AnyRequest, app_settings
from eservice.core.errors import BadRequest
from eservice.identity.schemas import SERVICE_CODE_PATTERN
from eservice.opendata.dcat import CatalogFacts, catalog_graph
from eservice.opendata.statistics import StatisticsOut, to_csv, to_json
from eservice.requests import publication
from eservice.statistics import service
from eservice.statistics.service import StatisticsRequestError

# The months statistics.service accepts (FIRST_YEAR to LAST_YEAR), stated for clients too.
MONTH = r"^(199[0-9]|2[0-9]{3})-(0[1-9]|1[0-2])$"
CSV = "text/csv"


@get(
    "/api/v1/open-data/statistics",
    tags=["open data"],
    summary="Processing-time statistics per service and month (small groups withheld)",
    description=(
        "`from` and `to` are months (YYYY-MM); `from` after `to`, more than 120 months at "
        "once, or a `service` that is not in the catalogue answers 400."
    ),
    responses={200: ResponseSpec(StatisticsOut, description="JSON, or CSV for format=csv")},
    media_type="application/json",
)
async def statistics(
    *,
    db_session: NamedDependency[AsyncSession],
    request: AnyRequest,
    output: Annotated[Literal["json", "csv"] | None, QueryParameter(name="format")] = None,
    start: Annotated[str | None, QueryParameter(name="from", pattern=MONTH)] = None,
    end: Annotated[str | None, QueryParameter(name="to", pattern=MONTH)] = None,
    service_code: Annotated[
        str | None, QueryParameter(name="service", max_length=64, pattern=SERVICE_CODE_PATTERN)
    ] = None,
) -> Response[bytes]:
    settings = app_settings(request)
    try:
        report = await service.monthly_report(
            db_session, settings, start=start, end=end, service=service_code
        )
    except StatisticsRequestError as exc:
        raise BadRequest(str(exc)) from None
    if output == "csv":
        return Response(
            to_csv(report).encode("utf-8"),
            media_type=CSV,
            headers={"Content-Disposition": 'inline; filename="statistics.csv"'},
        )
    return Response(msgspec.json.encode(to_json(report)), media_type="application/json")


TURTLE = "text/turtle"
JSON_LD = "application/ld+json"


async def _catalog(session: AsyncSession, settings: Settings) -> Graph:
    layer = await publication.public_layer(session)
    extent = await publication.published_extent(session, layer)
    first_month, refreshed = await service.coverage(session)
    box = extent.box
    facts = CatalogFacts(
        reports_box=None if box is None else (box.west, box.south, box.east, box.north),
        reports_first=extent.first,
        reports_last=extent.last,
        statistics_first=None
        if first_month is None
        else datetime.combine(first_month, time(0), tzinfo=UTC),
        statistics_refreshed=refreshed,
    )
    return catalog_graph(settings, facts)


@get(
    "/open-data/catalog.ttl",
    tags=["open data"],
    summary="DCAT-AP.de 3.0 catalogue of the open data (Turtle)",
    responses={200: ResponseSpec(str, description="text/turtle", media_type=TURTLE)},
    media_type=TURTLE,
)
async def catalog_turtle(
    *, db_session: NamedDependency[AsyncSession], request: AnyRequest
) -> Response[bytes]:
    settings = app_settings(request)
    graph = await _catalog(db_session, settings)
    return Response(graph.serialize(format="turtle").encode("utf-8"), media_type=TURTLE)


@get(
    "/open-data/catalog.jsonld",
    tags=["open data"],
    summary="DCAT-AP.de 3.0 catalogue of the open data (JSON-LD)",
    responses={200: ResponseSpec(dict[str, Any], description="JSON-LD", media_type=JSON_LD)},
    media_type=JSON_LD,
)
async def catalog_json_ld(
    *, db_session: NamedDependency[AsyncSession], request: AnyRequest
) -> Response[bytes]:
    settings = app_settings(request)
    graph = await _catalog(db_session, settings)
    return Response(graph.serialize(format="json-ld").encode("utf-8"), media_type=JSON_LD)


routes = [statistics, catalog_turtle, catalog_json_ld]
