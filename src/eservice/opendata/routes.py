"""Open data for the city's portal: statistics (JSON, CSV) and the DCAT-AP.de catalogue.
Parse, call one service function, translate; no SQL and no rule here."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.config import Settings
from eservice.core.errors import BadRequest
from eservice.opendata.statistics import StatisticsOut, to_csv, to_json
from eservice.statistics import service
from eservice.statistics.service import StatisticsRequestError

MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
CSV = "text/csv"


@get(
    "/api/v1/open-data/statistics",
    tags=["open data"],
    summary="Processing-time statistics per service and month (small groups withheld)",
    responses={200: ResponseSpec(StatisticsOut, description="JSON, or CSV for format=csv")},
    media_type="application/json",
)
async def statistics(
    *,
    db_session: NamedDependency[AsyncSession],
    settings: NamedDependency[Settings],
    output: Annotated[Literal["json", "csv"] | None, QueryParameter(name="format")] = None,
    start: Annotated[str | None, QueryParameter(name="from", pattern=MONTH)] = None,
    end: Annotated[str | None, QueryParameter(name="to", pattern=MONTH)] = None,
    service_code: Annotated[str | None, QueryParameter(name="service", max_length=64)] = None,
) -> Response[bytes]:
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


routes = [statistics]
