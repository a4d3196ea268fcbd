"""Tables of the attachments context."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.orm import Mapped, mapped_column

from eservice.core.db import Base


class AttachmentRow(Base):
    """One uploaded file of a request.

    ``storage_key`` names the stored object (random, never the client's name); it is NULL once
    the file has been removed (deleted draft attachment, retention), and ``deleted_at`` is set.
    """

    __tablename__ = "attachments"

    id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True), primary_key=True)
    request_id: Mapped[UUID] = mapped_column(
        PgUUID(as_uuid=True), ForeignKey("requests.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str | None] = mapped_column(String(255))
    visibility: Mapped[str] = mapped_column(String(16))  # public | internal
    uploaded_by: Mapped[UUID | None] = mapped_column(PgUUID(as_uuid=True))
    uploader_kind: Mapped[str] = mapped_column(String(16))  # citizen | staff | client
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_attachments_request_id_created_at_id", "request_id", "created_at", "id"),
        Index(
            "uq_attachments_storage_key",
            "storage_key",
            unique=True,
            postgresql_where=text("storage_key IS NOT NULL"),
        ),
    )
