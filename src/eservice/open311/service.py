"""Open311 calls mapped onto the catalogue and the requests context (translation only)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog.service import (
    PublishedService,
    department_names,
    get_published_service,
    list_current_services,
)
from eservice.core.config import Settings
from eservice.core.errors import NotFound, ValidationFailed
from eservice.identity.principal import Principal
from eservice.open311.attributes import BadAttribute, attributes_of, data_from_attributes
from eservice.open311.errors import GeoReportError
from eservice.open311.schemas import (
    SPECIFICATION,
    CreatedRequest,
    Discovery,
    Endpoint,
    Service,
    ServiceDefinition,
)
from eservice.requests import service as requests_service
from eservice.requests.schemas import ContactIn, FilingIn, LocationIn

CHANGESET = "2026-12-01T00:00:00Z"  # when this interface last changed
SERVICE_PAGE = 100


def discovery(settings: Settings) -> Discovery:
    base = settings.public_url.rstrip("/") + "/open311/v2"
    return Discovery(
        changeset=CHANGESET,
        contact="Ihre Stadtverwaltung / your city administration: " + settings.public_url,
        key_service="API-Schlüssel vergibt die Stadt (eservice clients create). "
        "Keys are issued by the city (eservice clients create).",
        endpoints=[
            Endpoint(
                specification=SPECIFICATION,
                url=base,
                changeset=CHANGESET,
                type="production",
                formats=["text/xml", "application/json"],
            )
        ],
    )


async def public_services(session: AsyncSession) -> list[PublishedService]:
    """The current version of every ``public`` service."""
    found: list[PublishedService] = []
    after = None
    while True:
        page = await list_current_services(
            session, after=after, limit=SERVICE_PAGE, public_only=True
        )
        found += page
        if len(page) < SERVICE_PAGE:
            return found
        after = page[-1].code


def _description_field(published: PublishedService) -> str | None:
    mapping = published.definition.open311
    return None if mapping is None else mapping.description


def service_of(published: PublishedService, lang: str, group: str | None) -> Service:
    definition = published.definition
    return Service(
        service_code=published.code,
        service_name=definition.title.pick(lang),
        description=definition.description.pick(lang),
        metadata=bool(attributes_of(definition.form, lang, _description_field(published))),
        type="realtime",
        keywords=None,
        group=group,
    )


async def list_services(session: AsyncSession, lang: str) -> list[Service]:
    names = await department_names(session)
    index = 1 if lang == "en" else 0
    return [
        service_of(p, lang, names.get(p.definition.department, (None, None))[index])
        for p in await public_services(session)
    ]


async def public_service(session: AsyncSession, code: str) -> PublishedService:
    """The current version of a public service; 404 for any other code."""
    try:
        published = await get_published_service(session, code)
    except NotFound:
        published = None
    if published is None or not published.definition.public:
        raise GeoReportError(404, f"service_code {code!r} was not found")
    return published


async def service_definition(session: AsyncSession, code: str, lang: str) -> ServiceDefinition:
    published = await public_service(session, code)
    form = published.definition.form
    return ServiceDefinition(
        service_code=published.code,
        attributes=attributes_of(form, lang, _description_field(published)),
    )


def _one(form: Mapping[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[-1].strip() or None if values else None


def _location(form: Mapping[str, list[str]]) -> LocationIn | None:
    lat, lon, address = _one(form, "lat"), _one(form, "long"), _one(form, "address_string")
    if lat is None and lon is None:
        if address is not None:
            raise GeoReportError(
                400, "lat and long are required: address_string alone cannot be placed"
            )
        return None
    try:
        return LocationIn(lat=float(lat or ""), lon=float(lon or ""), address=address)
    except (ValueError, TypeError):
        raise GeoReportError(400, "lat and long must both be given as numbers") from None


def _contact(form: Mapping[str, list[str]]) -> ContactIn | None:
    email, phone = _one(form, "email"), _one(form, "phone")
    name = " ".join(n for n in (_one(form, "first_name"), _one(form, "last_name")) if n) or None
    if email is None and phone is None and name is None:
        return None
    return ContactIn(email=email, name=name, phone=phone)


def _open311_name(pointer: str, description_field: str | None) -> str:
    """A JSON pointer of the filing in the standard's terms: ``attribute[code]`` and so on."""
    parts = pointer.strip("/").split("/")
    if parts[0] == "data" and len(parts) > 1:
        return "description" if parts[1] == description_field else f"attribute[{parts[1]}]"
    if parts[0] == "location":
        return "lat/long"
    if parts[0] == "contact":
        return parts[-1] if parts[-1] != "name" else "first_name/last_name"
    return parts[0] or "request"


async def file(  # noqa: PLR0917 - the parts of one posted form
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    form: Mapping[str, list[str]],
    attributes: Mapping[str, list[str]],
    lang: str,
) -> CreatedRequest:
    """POST requests: the posted form filed through the JSON API's own filing rule."""
    code = _one(form, "service_code")
    if code is None:
        raise GeoReportError(400, "service_code is required")
    published = await public_service(session, code)
    described = _description_field(published)
    try:
        data = data_from_attributes(
            published.definition.form, attributes, ZoneInfo(settings.time_zone)
        )
    except BadAttribute as exc:
        raise GeoReportError(400, str(exc)) from None
    description = _one(form, "description")
    if description is not None:
        if described is None:
            raise GeoReportError(400, "description: this service takes its text as attributes")
        data[described] = description
    payload = FilingIn(service=code, data=data, location=_location(form), contact=_contact(form))
    try:
        row = await requests_service.file_request(session, settings, principal, payload)
    except ValidationFailed as exc:
        names = sorted({_open311_name(e.pointer, described) for e in exc.errors})
        raise GeoReportError(
            400, ", ".join(names) + ": " + "; ".join(e.message for e in exc.errors)
        ) from None
    media_url = _one(form, "media_url")
    if media_url is not None:
        await requests_service.record_staff_note(
            session, principal, row, f"Open311 media_url: {media_url}"
        )
    return CreatedRequest(
        service_request_id=row.reference,
        service_notice=_notice(published, lang),
        account_id=None,
    )


def _notice(published: PublishedService, lang: str) -> str:
    days = published.definition.sla.business_days
    if lang == "en":
        return f"Your report has been received; we aim to deal with it within {days} working days."
    return (
        f"Ihre Meldung ist eingegangen; wir bearbeiten sie in der Regel binnen {days} Arbeitstagen."
    )


def window(
    start: datetime | None, end: datetime | None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """The requested range, by default the last 90 days; never more than 90 days."""
    span = timedelta(days=90)
    if end is None:
        end = start + span if start is not None else (now or datetime.now(UTC))
    if start is None:
        start = end - span
    if end < start:
        raise GeoReportError(400, "end_date is before start_date")
    if end - start > span:
        raise GeoReportError(400, "start_date and end_date may not span more than 90 days")
    return start, end
