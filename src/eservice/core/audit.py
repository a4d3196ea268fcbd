"""The admin audit log: who did what to accounts, clients, holds, retention and exports.

It lives in ``core`` because every context writes to it (identity for staff accounts and API
clients, requests for legal holds, the data protection duties for retention runs and Art. 15
exports). Entries are append-only and hash-chained (see docs/data-protection.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    DateTime,
    Identity,
    Integer,
    LargeBinary,
    String,
    func,
    insert,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from eservice.core.db import Base


class AdminAuditRow(Base):
    """One administrative action. ``details`` never holds personal data (ids, codes, counts)."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    actor_kind: Mapped[str] = mapped_column(String(16))  # staff | system | operator
    actor_id: Mapped[UUID | None] = mapped_column(PgUUID(as_uuid=True))
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str | None] = mapped_column(String(80))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class AuditChainHeadRow(Base):
    """The last entry of one hash chain (``request:<id>``, ``access:<id>``, ``admin``).

    Written by the database trigger that chains each new entry; ``deleted_at`` marks a chain
    whose entries retention deleted (a recorded event, not a break).
    """

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditCheckpointRow(Base):
    """A signed digest over all chain heads at one moment (see privacy.audit)."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    chains: Mapped[int] = mapped_column(Integer)
    digest: Mapped[bytes] = mapped_column(LargeBinary)
    prev_signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class AuditCheckpointHeadRow(Base):
    """One chain head as the latest checkpoint saw it."""

    __tablename__ = "audit_checkpoint_heads"

    checkpoint_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chain: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes | None] = mapped_column(LargeBinary)


async def close_chains(session: AsyncSession, chains: Sequence[str]) -> None:
    """Retention deleted these chains' entries: record it on their heads."""
    await session.execute(
        update(AuditChainHeadRow)
        .where(AuditChainHeadRow.chain.in_(list(chains)))
        .values(deleted_at=func.now())
    )


async def record_admin_action(
    session: AsyncSession,
    *,
    actor_kind: str,
    actor_id: UUID | None,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry in the caller's transaction."""
    await session.execute(
        insert(AdminAuditRow).values(
            actor_kind=actor_kind,
            actor_id=actor_id,
            action=action,
            target=target,
            details=details or {},
        )
    )
