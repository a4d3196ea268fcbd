"""What of the requests is published (OGC API features, Open311 status): the rules in one place.

Published are filed requests of services marked ``public`` that carry a location, except those
in an unpublished state (drafts, withdrawn, spam). What a feature shows is limited to
:class:`PublishedRequest`: no applicant, contact data, form data, address line or comments.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from asyncpg import Record
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.catalog.service import PublishedService, list_current_services
from eservice.requests import publication_repository as repository
from eservice.requests.publication_repository import Box, FeatureQuery
from eservice.workflow.definitions import INITIAL_STATE, Labels, State

__all__ = ["Box", "FeatureQuery", "PublicLayer", "PublishedRequest"]

Open311Status = Literal["open", "closed"]

# States whose requests are never published: not filed yet, taken back by the citizen, or
# junk. Deleted requests disappear because their rows do.
UNPUBLISHED_STATES = frozenset({INITIAL_STATE, "withdrawn", "spam"})
EXTENT_TTL_SECONDS = 60.0
# Counting stops here: exact counts of up to this many matches; beyond, "more" (a count of
# every published request took a second at a million, bench/README.md).
COUNT_CAP = 10_000
_MAX_PUBLIC_SERVICES = 1000


def open311_status(state: State) -> Open311Status:
    """The Open311 status of a workflow state: the only place that decides it."""
    declared: object = getattr(state, "open311", None)
    if declared in ("open", "closed"):
        return "closed" if declared == "closed" else "open"
    return "closed" if state.terminal else "open"


@dataclass(frozen=True)
class PublishedRequest:
    """A request as the public sees it."""

    id: UUID
    reference: str
    service_code: str
    service_title: Labels
    state: str
    state_label: Labels
    status: Open311Status
    department: str
    lon: float
    lat: float
    created: datetime
    updated: datetime
    closed: datetime | None
    due: datetime | None


@dataclass(frozen=True)
class Extent:
    """Where and when the published requests are: a CRS84 box and the first/last filing."""

    box: Box | None
    first: datetime | None
    last: datetime | None


class PublicLayer:
    """The public services of the current catalogue, and what their requests publish."""

    def __init__(self, services: list[PublishedService]) -> None:
        self.services = {s.code: s for s in services}

    def states(self, service: str | None = None, status: Open311Status | None = None) -> list[str]:
        """Published state names, of one service and/or one Open311 status."""
        names: set[str] = set()
        for code, published in self.services.items():
            if service is not None and code != service:
                continue
            for state in published.workflow.states:
                if state.name in UNPUBLISHED_STATES:
                    continue
                if status is None or open311_status(state) == status:
                    names.add(state.name)
        return sorted(names)

    def query(
        self,
        *,
        service: str | None = None,
        status: Open311Status | None = None,
        box: Box | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        end_exclusive: bool = False,
    ) -> FeatureQuery:
        codes = sorted(self.services) if service is None else [service]
        return FeatureQuery(
            services=[c for c in codes if c in self.services],
            states=self.states(service, status),
            box=box,
            start=start,
            end=end,
            end_exclusive=end_exclusive,
        )

    def present(self, row: Record) -> PublishedRequest:
        published = self.services[row["service_code"]]
        state = _state_or_none(published, row["state"])
        return PublishedRequest(
            id=row["id"],
            reference=row["reference"],
            service_code=row["service_code"],
            service_title=published.definition.title,
            state=row["state"],
            state_label=state.label if state else Labels(de=row["state"], en=row["state"]),
            status=open311_status(state) if state else "open",
            department=row["department"],
            lon=row["lon"],
            lat=row["lat"],
            created=row["submitted_at"],
            updated=row["updated_at"],
            closed=row["closed_at"],
            due=row["due_at"],
        )


def _state_or_none(published: PublishedService, name: str) -> State | None:
    # Labels come from the current version's workflow; a state dropped by a newer version
    # keeps its name as label.
    return published.workflow.state(name) if published.workflow.has_state(name) else None


async def public_layer(session: AsyncSession) -> PublicLayer:
    """The public services (one query; definitions come from the catalogue's cache)."""
    services = await list_current_services(
        session, after=None, limit=_MAX_PUBLIC_SERVICES, public_only=True
    )
    return PublicLayer(services)


async def list_published(
    session: AsyncSession,
    layer: PublicLayer,
    query: FeatureQuery,
    *,
    after: tuple[datetime, UUID] | None = None,
    before: tuple[datetime, UUID] | None = None,
    limit: int,
    matched: int,
) -> list[PublishedRequest]:
    """A page of published requests in filing order (``before``: the page before, in order);
    ``matched`` is what :func:`count_published` found (it picks the plan)."""
    if not query.services or not query.states:
        return []
    rows = await repository.page_of_features(
        session, query, after=after, before=before, limit=limit, sparse=matched <= COUNT_CAP
    )
    if before is not None:
        rows.reverse()
    return [layer.present(row) for row in rows]


async def count_published(session: AsyncSession, query: FeatureQuery) -> int:
    """How many requests ``query`` matches, up to COUNT_CAP; COUNT_CAP + 1 means more."""
    if not query.services or not query.states:
        return 0
    return await repository.count_features(session, query, cap=COUNT_CAP)


async def get_published(
    session: AsyncSession, layer: PublicLayer, request_id: UUID
) -> PublishedRequest | None:
    """One published request, or None (also when it exists but is not published)."""
    query = layer.query()
    if not query.services:
        return None
    row = await repository.find_feature(session, query, request_id)
    return None if row is None else layer.present(row)


_extent_cache: dict[tuple[str, ...], tuple[float, Extent]] = {}


async def published_extent(session: AsyncSession, layer: PublicLayer) -> Extent:
    """The extent of all published requests, computed from the data at most once a minute
    per process (a scan of every published row)."""
    query = layer.query()
    key = (*query.services, "|", *query.states)
    cached = _extent_cache.get(key)
    now = time.monotonic()
    if cached is not None and now - cached[0] < EXTENT_TTL_SECONDS:
        return cached[1]
    if not query.services:
        return Extent(None, None, None)
    row = await repository.extent(session, query)
    box = None
    if row["west"] is not None:
        box = Box(row["west"], row["south"], row["east"], row["north"])
    found = Extent(box, row["first"], row["last"])
    _extent_cache[key] = (now, found)
    return found


def forget_cached_extent() -> None:
    """Drop the cached extent (after bulk changes; tests)."""
    _extent_cache.clear()
