"""The outbox table: messages written in the same transaction as the change they describe."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from eservice.core.db import Base


class OutboxRow(Base):
    """A message written in the same transaction as the change it describes.

    ``kind`` is ``event`` (a PublishedEvent to fan out to email, inbox, stream and webhooks)
    or ``email`` (a direct email such as a verification link). The worker claims unprocessed
    rows with ``FOR UPDATE SKIP LOCKED``.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # event | email
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_outbox_unprocessed", "id", postgresql_where=text("processed_at IS NULL")),
        Index(
            "ix_outbox_event_id",
            text("((payload->>'event_id')::bigint)"),
            postgresql_where=text("kind = 'event'"),
        ),
    )
