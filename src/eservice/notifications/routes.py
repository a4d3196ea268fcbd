"""HTTP endpoints of notifications: inbox, live stream, webhook subscriptions and their log."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.deps import AnyRequest, app_settings
from eservice.core.errors import ServiceUnavailable
from eservice.core.idempotency import IdempotencyKeyHeader, Produced, create_once
from eservice.core.pagination import Cursor, Limit, Page, check_limit
from eservice.identity.authentication import CALLER, caller
from eservice.notifications import service
from eservice.notifications.lifespan import broker_of
from eservice.notifications.schemas import (
    DeliveryOut,
    NotificationOut,
    SubscriptionIn,
    SubscriptionOut,
)
from eservice.notifications.stream import event_stream

Session = NamedDependency[AsyncSession]

Unread = Annotated[bool, QueryParameter(name="unread", required=False)]
# Event ids are bigint: at most 18 digits always fit.
LastEventId = Annotated[
    str | None,
    HeaderParameter(name="Last-Event-ID", pattern=r"^[0-9]{1,18}$", required=False),
]

SUBSCRIPTIONS = "/api/v1/subscriptions"


@get(
    "/api/v1/me/notifications",
    tags=["notifications"],
    summary="My in-app notifications",
    opt=CALLER,
)
async def list_my_notifications(
    db_session: Session,
    request: AnyRequest,
    unread: Unread = False,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Page[NotificationOut]:
    principal = caller(request)
    return await service.list_notifications(
        db_session, principal, unread=unread, limit=check_limit(limit), cursor=cursor
    )


@post(
    "/api/v1/me/notifications/{item_id:uuid}/read",
    tags=["notifications"],
    summary="Mark a notification read",
    status_code=200,
    opt=CALLER,
)
async def mark_my_notification_read(
    item_id: FromPath[UUID], db_session: Session, request: AnyRequest
) -> NotificationOut:
    principal = caller(request)
    return await service.mark_notification_read(db_session, principal, item_id)


@get(
    "/api/v1/events/stream",
    tags=["notifications"],
    summary="Live events the caller may see (Server-Sent Events)",
    description=(
        "`text/event-stream`: each message has `id` (the event id), `event` (its type) and "
        "`data` (the same thin JSON as a webhook body). Comments are heartbeats. Send "
        "`Last-Event-ID` to receive what you missed."
    ),
    opt=CALLER,
)
async def stream_events(
    request: Request[Any, Any, Any],
    last_event_id: LastEventId = None,
) -> Stream:
    principal = caller(request)
    settings = app_settings(request)
    resume = None if last_event_id is None else int(last_event_id)
    broker = broker_of(request.app.state)
    try:
        await broker.start()
    except TimeoutError:
        raise ServiceUnavailable("The live stream is not available right now.") from None
    body = event_stream(
        broker,
        principal,
        last_event_id=resume,
        heartbeat=settings.sse_heartbeat_seconds,
    )
    return Stream(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@post(SUBSCRIPTIONS, tags=["webhooks"], summary="Subscribe a webhook", status_code=201, opt=CALLER)
async def create_subscription(
    data: JSONBody[SubscriptionIn],
    db_session: Session,
    request: AnyRequest,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[Any]:
    principal = caller(request)
    settings = app_settings(request)

    async def produce() -> Produced:
        created = await service.create_subscription(db_session, settings, principal, data)
        return Produced(201, created, {"Location": f"{SUBSCRIPTIONS}/{created.id}"})

    return await create_once(
        db_session, principal, idempotency_key, "POST", SUBSCRIPTIONS, data, produce
    )


@get(SUBSCRIPTIONS, tags=["webhooks"], summary="My webhook subscriptions", opt=CALLER)
async def list_subscriptions(
    db_session: Session, request: AnyRequest, cursor: Cursor = None, limit: Limit = None
) -> Page[SubscriptionOut]:
    principal = caller(request)
    return await service.list_subscriptions(
        db_session, principal, limit=check_limit(limit), cursor=cursor
    )


@get(
    SUBSCRIPTIONS + "/{subscription_id:uuid}",
    tags=["webhooks"],
    summary="One subscription",
    opt=CALLER,
)
async def read_subscription(
    subscription_id: FromPath[UUID], db_session: Session, request: AnyRequest
) -> SubscriptionOut:
    principal = caller(request)
    return await service.get_subscription(db_session, principal, subscription_id)


@delete(
    SUBSCRIPTIONS + "/{subscription_id:uuid}",
    tags=["webhooks"],
    summary="Remove a subscription",
    status_code=204,
    opt=CALLER,
)
async def remove_subscription(
    subscription_id: FromPath[UUID], db_session: Session, request: AnyRequest
) -> None:
    principal = caller(request)
    await service.delete_subscription(db_session, principal, subscription_id)


@get(
    SUBSCRIPTIONS + "/{subscription_id:uuid}/deliveries",
    tags=["webhooks"],
    summary="Delivery log of a subscription, newest first",
    opt=CALLER,
)
async def list_deliveries(
    subscription_id: FromPath[UUID],
    db_session: Session,
    request: AnyRequest,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Page[DeliveryOut]:
    principal = caller(request)
    return await service.list_deliveries(
        db_session, principal, subscription_id, limit=check_limit(limit), cursor=cursor
    )


@post(
    SUBSCRIPTIONS + "/{subscription_id:uuid}/deliveries/{delivery_id:int}/retry",
    tags=["webhooks"],
    summary="Resend a dead delivery (same webhook-id)",
    status_code=202,
    opt=CALLER,
)
async def retry_delivery(
    subscription_id: FromPath[UUID],
    delivery_id: FromPath[int],
    db_session: Session,
    request: AnyRequest,
) -> DeliveryOut:
    principal = caller(request)
    return await service.retry_delivery(db_session, principal, subscription_id, delivery_id)


routes = [
    list_my_notifications,
    mark_my_notification_read,
    stream_events,
    create_subscription,
    list_subscriptions,
    read_subscription,
    remove_subscription,
    list_deliveries,
    retry_delivery,
]
