"""Tables of the request lifecycle: requests, their history, timers and the staff access log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.orm import Mapped, mapped_column

from eservice.core.db import Base

# Requests a clerk can still work on: filed and not in a terminal state.
OPEN_CONDITION = "submitted_at IS NOT NULL AND closed_at IS NULL"
# Requests that can be published as features (migration 0009, eservice.requests.publication).
PUBLISHABLE_CONDITION = "location IS NOT NULL AND submitted_at IS NOT NULL"


class RequestRow(Base):
    """One request (Antrag): the current state as a column, versioned for compare-and-set."""

    __tablename__ = "requests"

    id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True), primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    service_code: Mapped[str] = mapped_column(String(64))
    service_version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    department: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    applicant_id: Mapped[UUID | None] = mapped_column(PgUUID(as_uuid=True))
    filed_by_kind: Mapped[str] = mapped_column(String(16))
    filed_by_id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True))
    assignee_id: Mapped[UUID | None] = mapped_column(PgUUID(as_uuid=True))
    priority: Mapped[int] = mapped_column(SmallInteger, default=0)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    location: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    sla_business_days: Mapped[int] = mapped_column(Integer)
    sla_state: Mapped[str] = mapped_column(String(16), default="stopped")
    sla_paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overdue_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Data protection: when the personal data goes (closing date + the service's retention),
    # a supervisor's legal hold that stops it, and when it was anonymised.
    retention_until: Mapped[date | None] = mapped_column(Date)
    legal_hold_reason: Mapped[str | None] = mapped_column(Text)
    legal_hold_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    legal_hold_by: Mapped[UUID | None] = mapped_column(PgUUID(as_uuid=True))
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_requests_applicant_created", "applicant_id", "created_at", "id"),
        Index("ix_requests_filed_by_created", "filed_by_id", "created_at", "id"),
        Index(
            "ix_requests_queue_due",
            "department",
            text("coalesce(due_at, 'infinity'::timestamptz)"),
            "id",
        ),
        Index("ix_requests_queue_priority", "department", "priority", "id"),
        Index(
            "ix_requests_queue_submitted",
            "department",
            text("coalesce(submitted_at, 'infinity'::timestamptz)"),
            "id",
        ),
        Index("ix_requests_queue_created", "department", "created_at", "id"),
        Index("ix_requests_department_state", "department", "state"),
        Index(
            "ix_requests_assignee_open",
            "assignee_id",
            postgresql_where=text(OPEN_CONDITION),
        ),
        Index(
            "ix_requests_claim",
            "department",
            text("priority DESC"),
            "due_at",
            "submitted_at",
            "id",
            postgresql_where=text(OPEN_CONDITION + " AND assignee_id IS NULL"),
        ),
        # Public listings (Open311): newest filed first, keyset on (submitted_at, id).
        Index(
            "ix_requests_submitted",
            "submitted_at",
            "id",
            postgresql_where=text("submitted_at IS NOT NULL"),
        ),
        Index(
            "ix_requests_location",
            text("point((location->>'lon')::float8, (location->>'lat')::float8)"),
            postgresql_using="gist",
            postgresql_where=text(PUBLISHABLE_CONDITION),
        ),
        Index(
            "ix_requests_publishable_submitted",
            "submitted_at",
            "id",
            postgresql_where=text(PUBLISHABLE_CONDITION),
        ),
        Index(
            "ix_requests_overdue_pending",
            "due_at",
            postgresql_where=text(
                OPEN_CONDITION + " AND sla_state = 'runs' AND overdue_at IS NULL"
            ),
        ),
    )


class RequestEventRow(Base):
    """One entry of a request's append-only history."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    request_id: Mapped[UUID] = mapped_column(
        PgUUID(as_uuid=True), ForeignKey("requests.id", ondelete="CASCADE")
    )
    type: Mapped[str] = mapped_column(String(32))
    visibility: Mapped[str] = mapped_column(String(16))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[UUID | None] = mapped_column(PgUUID(as_uuid=True))
    actor_role: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str | None] = mapped_column(String(64))
    transition: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set when retention or erasure blanked the entry's personal parts (comment, data, a
    # citizen's id); its chain hash stays, its content is no longer checked (core.audit).
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_request_events_request", "request_id", "id"),)


class RequestTimerRow(Base):
    """A workflow timer armed when a request entered ``state``; fired by the worker."""

    __tablename__ = "request_timers"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    request_id: Mapped[UUID] = mapped_column(
        PgUUID(as_uuid=True), ForeignKey("requests.id", ondelete="CASCADE")
    )
    state: Mapped[str] = mapped_column(String(64))
    transition: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_request_timers_due", "due_at"),
        Index("ix_request_timers_request", "request_id"),
    )


class RequestAccessRow(Base):
    """Staff read a request's personal data: who, when, which request, through what."""

    __tablename__ = "request_access_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    request_id: Mapped[UUID] = mapped_column(
        PgUUID(as_uuid=True), ForeignKey("requests.id", ondelete="CASCADE")
    )
    # The staff member's account, or the API client's row when ``actor_kind`` is ``client``.
    staff_id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True))
    action: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16), server_default="staff")
    actor_role: Mapped[str | None] = mapped_column(String(16))
    accessed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (
        Index("ix_request_access_log_request", "request_id", "accessed_at"),
        Index("ix_request_access_log_staff", "staff_id", "accessed_at"),
    )


class RequestContactRow(Base):
    """How to reach the reporter of a request filed without an account (or through Open311).

    Personal data: never shown in a public view; ``unsubscribed_at`` stops every email.
    """

    __tablename__ = "request_contacts"

    request_id: Mapped[UUID] = mapped_column(
        PgUUID(as_uuid=True), ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str | None] = mapped_column(String(254))
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(8))
    # Put into every email, so kept as it is; it can do nothing but stop these emails.
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TrackingTokenRow(Base):
    """The tracking token of an anonymous report; only its SHA-256 is stored."""

    __tablename__ = "tracking_tokens"

    token_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    request_id: Mapped[UUID] = mapped_column(
        PgUUID(as_uuid=True), ForeignKey("requests.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
