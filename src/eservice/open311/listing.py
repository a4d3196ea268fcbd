"""GET requests and GET requests/{id}: the public listing in the standard's fields."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.attachments.repository import first_public_images
from eservice.catalog.service import PublishedService, department_names, get_published_service
from eservice.core.config import Settings
from eservice.open311.errors import GeoReportError
from eservice.open311.schemas import Note, ServiceRequest
from eservice.open311.service import public_services, window
from eservice.requests import public_repository
from eservice.requests.public_repository import PublicFilter, StatesOf
from eservice.requests.tables import RequestEventRow, RequestRow
from eservice.workflow.definitions import Workflow

PHOTO_PATH = "/api/v1/public-photos/"
MAX_RESULTS = 1000  # the standard's limit of one query
STATUSES = ("open", "closed")


class ListQuery(msgspec.Struct, kw_only=True):
    """The parsed query of GET requests."""

    service_request_ids: list[str] | None = None
    service_codes: list[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: list[str] | None = None
    bbox: tuple[float, float, float, float] | None = None
    page: int = 1
    page_size: int = MAX_RESULTS
    extensions: bool = False


def parse_instant(name: str, raw: str | None) -> datetime | None:
    if raw is None or not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise GeoReportError(400, f"{name} must be an ISO 8601 date and time with an offset")
    return moment


def parse_list(raw: str | None) -> list[str] | None:
    if raw is None or not raw.strip():
        return None
    return [part.strip() for part in raw.split(",") if part.strip()][:MAX_RESULTS]


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    if raw is None or not raw.strip():
        return None
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in raw.split(","))
    except ValueError:
        raise GeoReportError(400, "bbox must be minLon,minLat,maxLon,maxLat") from None
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise GeoReportError(400, "bbox must be minLon,minLat,maxLon,maxLat within WGS 84")
    return min_lon, min_lat, max_lon, max_lat


def _states(services: Sequence[PublishedService], statuses: list[str]) -> list[StatesOf]:
    found: list[StatesOf] = []
    for published in services:
        states = [s.name for s in published.workflow.states if s.open311 in statuses]
        found.append((published.code, published.version, states))
    return found


async def _pinned_versions(session: AsyncSession, codes: list[str]) -> list[PublishedService]:
    """Every published version of the codes (requests stay on the version they were filed on)."""
    versions = []
    for code in codes:
        current = await get_published_service(session, code)
        for version in range(1, current.version + 1):
            versions.append(await get_published_service(session, code, version))
    return versions


async def list_requests(
    session: AsyncSession, settings: Settings, query: ListQuery, lang: str
) -> list[ServiceRequest]:
    """Up to 1,000 public requests of the window (90 days by default), newest first."""
    if query.page < 1 or not 1 <= query.page_size <= MAX_RESULTS:
        raise GeoReportError(400, f"page must be at least 1 and page_size 1 to {MAX_RESULTS}")
    if query.page * query.page_size > MAX_RESULTS:
        raise GeoReportError(400, f"a query returns at most {MAX_RESULTS} requests; narrow it")
    public = [p.code for p in await public_services(session)]
    codes = (
        public if query.service_codes is None else [c for c in query.service_codes if c in public]
    )
    where = PublicFilter(service_codes=codes, references=query.service_request_ids)
    if query.service_request_ids is None:
        start, end = window(query.start, query.end)
        states = None
        if query.statuses is not None:
            if any(s not in STATUSES for s in query.statuses):
                raise GeoReportError(400, "status must be open or closed (comma-separated)")
            states = _states(await _pinned_versions(session, codes), query.statuses)
        where = PublicFilter(
            service_codes=codes, start=start, end=end, states=states, bbox=query.bbox
        )
    rows = await public_repository.list_public_requests(
        session, where, limit=query.page_size, offset=(query.page - 1) * query.page_size
    )
    return await present(session, settings, rows, lang, notes=query.extensions)


async def present(
    session: AsyncSession, settings: Settings, rows: list[RequestRow], lang: str, *, notes: bool
) -> list[ServiceRequest]:
    """The rows in the standard's fields: a constant number of queries for any page."""
    history: dict[UUID, list[RequestEventRow]] = defaultdict(list)
    for event in await public_repository.public_history(session, [r.id for r in rows]):
        history[event.request_id].append(event)
    names = await department_names(session)
    photos = await first_public_images(session, [r.id for r in rows])
    zone = ZoneInfo(settings.time_zone)
    out = []
    for row in rows:
        published = await get_published_service(session, row.service_code, row.service_version)
        request = _request(row, published, history[row.id], names, zone, lang, notes=notes)
        if row.id in photos:
            request.media_url = f"{settings.public_url.rstrip('/')}{PHOTO_PATH}{photos[row.id]}"
        out.append(request)
    return out


def _when(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return None if moment is None else moment.astimezone(zone).isoformat(timespec="seconds")


def _request(  # noqa: PLR0917 - one row and what it is presented with
    row: RequestRow,
    published: PublishedService,
    events: list[RequestEventRow],
    names: dict[str, tuple[str, str]],
    zone: ZoneInfo,
    lang: str,
    *,
    notes: bool,
) -> ServiceRequest:
    workflow = published.workflow
    try:
        state = workflow.state(row.state)
        status, label = state.open311, state.label.pick(lang)
    except KeyError:
        status, label = ("closed" if row.closed_at else "open"), row.state
    comments = [e.comment for e in events if e.type == "commented" and e.comment]
    mapping = published.definition.open311
    description = None
    if mapping is not None and mapping.description is not None:
        value = row.data.get(mapping.description)
        description = value if isinstance(value, str) else None
    location = row.location or {}
    department = names.get(row.department)
    submitted = row.submitted_at or row.created_at
    request = ServiceRequest(
        service_request_id=row.reference,
        status=status,
        status_notes=comments[-1] if comments else label,
        service_name=published.definition.title.pick(lang),
        service_code=row.service_code,
        description=description,
        agency_responsible=None if department is None else department[1 if lang == "en" else 0],
        service_notice=None,
        requested_datetime=_when(submitted, zone) or "",
        updated_datetime=_when(row.closed_at or row.updated_at, zone),
        expected_datetime=_when(row.due_at, zone),
        address=location.get("address"),
        address_id=None,
        zipcode=None,
        lat=location.get("lat"),
        long=location.get("lon"),
        media_url=None,
    )
    if notes:
        request.notes = [_note(e, workflow, zone, lang) for e in events]
    return request


def _note(event: RequestEventRow, workflow: Workflow, zone: ZoneInfo, lang: str) -> Note:
    if event.type == "commented":
        text = event.comment or ""
    else:
        try:
            text = workflow.state(event.to_state or "").label.pick(lang)
        except KeyError:
            text = event.to_state or ""
    return Note(datetime=_when(event.occurred_at, zone) or "", description=text)
