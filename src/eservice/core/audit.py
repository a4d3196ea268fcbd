"""The admin audit log: who did what to accounts, clients, holds, retention and exports.

It lives in ``core`` because every context writes to it (identity for staff accounts and API
clients, requests for legal holds, the data protection duties for retention runs and Art. 15
exports). Entries are append-only and hash-chained (see docs/data-protection.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, DateTime, Identity, String, func, insert
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
