"""Tables of the data protection duties: the deletion register."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import BigInteger, Date, DateTime, Identity, Integer, String, func
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.orm import Mapped, mapped_column

from eservice.core.db import Base


class DeletionRegisterRow(Base):
    """One request deleted or anonymised by retention: facts only, never personal data.

    ``reference_hash`` is the SHA-256 of the reference, so that whoever holds a reference (the
    citizen's letter, a court) can find out whether and when it was deleted.
    """

    __tablename__ = "deletion_register"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    batch_id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True))
    reference_hash: Mapped[str] = mapped_column(String(64))
    service_code: Mapped[str] = mapped_column(String(64))
    service_version: Mapped[int] = mapped_column(Integer)
    department: Mapped[str] = mapped_column(String(64))
    created_on: Mapped[date] = mapped_column(Date)
    submitted_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    retention_until: Mapped[date | None] = mapped_column(Date)
    action: Mapped[str] = mapped_column(String(16))  # deleted | anonymised
    reason: Mapped[str] = mapped_column(String(32))  # retention | draft
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
