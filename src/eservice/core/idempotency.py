"""``Idempotency-Key`` for every POST that creates something (draft-ietf-httpapi-idempotency-key).

The same key with the same body from the same caller replays the first answer (status, headers,
body); the same key with another body is a 422; a second call while the first is still running
is a 409. Keys are scoped per caller and kept for at least ``KEEP``.

The stored answer is written in the same transaction as whatever the first call created, so a
call that rolled back leaves no key behind and may simply be retried. A transaction-scoped
advisory lock on (caller, key) tells a concurrent call that the first one is still running.

Usage in a route (``produce`` runs only when the key is new)::

    async def produce() -> Produced:
        return Produced(201, await create_something(...))

    return await create_once(
        db_session, principal, idempotency_key, "POST", "/api/v1/requests", data, produce
    )

``idempotent`` is the general form, for a key scoped otherwise or a fingerprint computed
elsewhere (an upload's, which needs the received file).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Protocol

import msgspec
from litestar import Response
from litestar.params import HeaderParameter
from sqlalchemy import (
    DateTime,
    Integer,
    LargeBinary,
    String,
    delete,
    func,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from eservice.core.db import Base
from eservice.core.errors import Conflict, ValidationFailed
from eservice.core.transaction import transaction

KEEP = timedelta(hours=24)
MAX_KEY_LENGTH = 255
REPLAY_HEADER = "Idempotent-Replayed"

IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Retry-safe creation: the same key and body replay the first answer.",
        required=False,
    ),
]


class KeyOwner(Protocol):
    """Who a key belongs to: any caller with a kind and an id (a ``Principal``)."""

    @property
    def kind(self) -> str: ...

    @property
    def id(self) -> object: ...


class IdempotencyKeyRow(Base):
    """The stored answer to the first call with a key, per caller."""

    __tablename__ = "idempotency_keys"

    caller: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, str]] = mapped_column(JSONB)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    media_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )


class Produced(msgspec.Struct, frozen=True):
    """What a create endpoint answers: status, extra headers and a body to encode as JSON."""

    status: int
    content: Any
    headers: dict[str, str] = {}


def fingerprint(method: str, path: str, payload: object) -> str:
    """A stable hash of what was asked: method, path and the body (key order ignored)."""
    body = msgspec.json.encode(msgspec.to_builtins(payload), order="sorted")
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def caller_key(kind: str, caller_id: object) -> str:
    """The scope of a key: one namespace per caller (``citizen:<uuid>``, ``client:<uuid>``)."""
    return f"{kind}:{caller_id}"


def advisory_lock_id(caller: str, key: str) -> int:
    raw = hashlib.sha256(f"{caller}\x00{key}".encode()).digest()[:8]
    return int.from_bytes(raw, "big", signed=True)


def _response(status: int, body: bytes, headers: dict[str, str], media_type: str) -> Response[Any]:
    return Response(content=body, status_code=status, headers=headers, media_type=media_type)


async def idempotent(
    session: AsyncSession,
    *,
    caller: str,
    key: str | None,
    fingerprint: str,
    produce: Callable[[], Awaitable[Produced]],
) -> Response[Any]:
    """Run ``produce`` once per (caller, key); replay its stored answer for a retry."""
    if key is None:
        produced = await produce()
        return _response(
            produced.status,
            msgspec.json.encode(produced.content),
            produced.headers,
            "application/json",
        )
    locked = await session.scalar(
        select(func.pg_try_advisory_xact_lock(advisory_lock_id(caller, key)))
    )
    if not locked:
        raise Conflict("A request with this Idempotency-Key is still being processed; retry later.")
    stored = await session.scalar(
        select(IdempotencyKeyRow).where(
            IdempotencyKeyRow.caller == caller,
            IdempotencyKeyRow.key == key,
            IdempotencyKeyRow.created_at > func.now() - KEEP,
        )
    )
    if stored is not None:
        if stored.fingerprint != fingerprint:
            raise ValidationFailed(
                "This Idempotency-Key was already used with a different request body."
            )
        headers = {**stored.headers, REPLAY_HEADER: "true"}
        return _response(stored.status, stored.body, headers, stored.media_type)
    produced = await produce()
    body = msgspec.json.encode(produced.content)
    values = {
        "caller": caller,
        "key": key,
        "fingerprint": fingerprint,
        "status": produced.status,
        "headers": dict(produced.headers),
        "body": body,
        "media_type": "application/json",
        "created_at": func.now(),
    }
    statement = insert(IdempotencyKeyRow).values(**values)
    # An expired row under the same key is replaced by the new answer.
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["caller", "key"],
            set_={
                name: statement.excluded[name] for name in values if name not in ("caller", "key")
            },
        )
    )
    return _response(produced.status, body, produced.headers, "application/json")


async def create_once(  # noqa: PLR0917 - in the order of the call it guards: who, key, what
    session: AsyncSession,
    caller: KeyOwner,
    key: str | None,
    method: str,
    path: str,
    payload: object,
    produce: Callable[[], Awaitable[Produced]],
) -> Response[Any]:
    """``idempotent`` for a caller's own key, fingerprinted by method, path and body."""
    return await idempotent(
        session,
        caller=caller_key(caller.kind, caller.id),
        key=key,
        fingerprint=fingerprint(method, path, payload),
        produce=produce,
    )


async def purge_expired_keys(
    sessionmaker: async_sessionmaker[AsyncSession], limit: int = 1000
) -> int:
    """Delete up to ``limit`` stored answers older than ``KEEP``; returns how many (worker job)."""
    expired = (
        select(IdempotencyKeyRow.caller, IdempotencyKeyRow.key)
        .where(IdempotencyKeyRow.created_at < datetime.now(UTC) - KEEP)
        .limit(limit)
    )
    async with transaction(sessionmaker) as session:
        result = await session.execute(
            delete(IdempotencyKeyRow).where(
                tuple_(IdempotencyKeyRow.caller, IdempotencyKeyRow.key).in_(expired)
            )
        )
    return int(getattr(result, "rowcount", 0) or 0)


__all__ = [
    "KEEP",
    "REPLAY_HEADER",
    "IdempotencyKeyHeader",
    "KeyOwner",
    "Produced",
    "caller_key",
    "create_once",
    "fingerprint",
    "idempotent",
    "purge_expired_keys",
]


# Idempotency answers carry what the first call returned (a filed request with its data): the
# retention and erasure duties forget them here (see eservice.privacy.registry).
FORGETS = frozenset({"idempotency_keys"})


async def forget_answers(
    session: AsyncSession, *, caller: str | None = None, mentioning: str | None = None
) -> None:
    """Delete the stored answers of ``caller``, or those whose body contains ``mentioning``."""
    if caller is not None:
        await session.execute(delete(IdempotencyKeyRow).where(IdempotencyKeyRow.caller == caller))
    if mentioning is not None:
        await session.execute(
            delete(IdempotencyKeyRow).where(
                text("position(:needle IN body) > 0").bindparams(needle=mentioning.encode())
            )
        )
