"""requests context schema: requests, history, timers, staff access log, idempotency keys

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "submitted_at IS NOT NULL AND closed_at IS NULL"


def _ts(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("service_version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("applicant_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("filed_by_kind", sa.String(16), nullable=False),
        sa.Column("filed_by_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("assignee_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("priority", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.Column("data", postgresql.JSONB(), nullable=False),
        sa.Column("location", postgresql.JSONB(), nullable=True),
        sa.Column("sla_business_days", sa.Integer(), nullable=False),
        sa.Column("sla_state", sa.String(16), nullable=False, server_default="stopped"),
        _ts("sla_paused_at"),
        _ts("due_at"),
        _ts("overdue_at"),
        _ts("created_at", nullable=False),
        _ts("submitted_at"),
        _ts("updated_at", nullable=False),
        _ts("closed_at"),
        sa.UniqueConstraint("reference", name="uq_requests_reference"),
        sa.CheckConstraint("version >= 1", name="ck_requests_version_positive"),
        sa.CheckConstraint(
            "sla_state IN ('runs', 'paused', 'stopped')", name="ck_requests_sla_state"
        ),
        sa.CheckConstraint(
            "filed_by_kind IN ('citizen', 'staff', 'client')", name="ck_requests_filed_by_kind"
        ),
    )
    op.create_index(
        "ix_requests_applicant_created", "requests", ["applicant_id", "created_at", "id"]
    )
    op.create_index("ix_requests_filed_by_created", "requests", ["filed_by_id", "created_at", "id"])
    op.create_index(
        "ix_requests_queue_due",
        "requests",
        ["department", sa.text("coalesce(due_at, 'infinity'::timestamptz)"), "id"],
    )
    op.create_index("ix_requests_queue_priority", "requests", ["department", "priority", "id"])
    op.create_index(
        "ix_requests_queue_submitted",
        "requests",
        ["department", sa.text("coalesce(submitted_at, 'infinity'::timestamptz)"), "id"],
    )
    op.create_index("ix_requests_queue_created", "requests", ["department", "created_at", "id"])
    op.create_index("ix_requests_department_state", "requests", ["department", "state"])
    op.create_index(
        "ix_requests_assignee_open",
        "requests",
        ["assignee_id"],
        postgresql_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_requests_claim",
        "requests",
        ["department", sa.text("priority DESC"), "due_at", "submitted_at", "id"],
        postgresql_where=sa.text(OPEN + " AND assignee_id IS NULL"),
    )
    op.create_index(
        "ix_requests_overdue_pending",
        "requests",
        ["due_at"],
        postgresql_where=sa.text(OPEN + " AND sla_state = 'runs' AND overdue_at IS NULL"),
    )

    op.create_table(
        "request_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "request_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey(
                "requests.id", ondelete="CASCADE", name="fk_request_events_request_id_requests"
            ),
            nullable=False,
        ),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(64), nullable=True),
        sa.Column("to_state", sa.String(64), nullable=True),
        sa.Column("transition", sa.String(64), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("data", postgresql.JSONB(), nullable=False, server_default="{}"),
        _ts("occurred_at", nullable=False),
        sa.CheckConstraint(
            "visibility IN ('public', 'internal')", name="ck_request_events_visibility"
        ),
    )
    op.create_index("ix_request_events_request", "request_events", ["request_id", "id"])
    # The history is append-only: refuse UPDATE (DELETE stays possible for erasure/retention).
    op.execute(
        """
        CREATE FUNCTION request_events_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'request_events is append-only';
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER request_events_no_update BEFORE UPDATE ON request_events "
        "FOR EACH ROW EXECUTE FUNCTION request_events_append_only()"
    )

    op.create_table(
        "request_timers",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "request_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey(
                "requests.id", ondelete="CASCADE", name="fk_request_timers_request_id_requests"
            ),
            nullable=False,
        ),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("transition", sa.String(64), nullable=False),
        _ts("due_at", nullable=False),
    )
    op.create_index("ix_request_timers_due", "request_timers", ["due_at"])
    op.create_index("ix_request_timers_request", "request_timers", ["request_id"])

    op.create_table(
        "request_access_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "request_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey(
                "requests.id", ondelete="CASCADE", name="fk_request_access_log_request_id_requests"
            ),
            nullable=False,
        ),
        sa.Column("staff_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column(
            "accessed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_index(
        "ix_request_access_log_request", "request_access_log", ["request_id", "accessed_at"]
    )
    op.create_index(
        "ix_request_access_log_staff", "request_access_log", ["staff_id", "accessed_at"]
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("caller", sa.String(80), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("headers", postgresql.JSONB(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("caller", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("request_access_log")
    op.drop_table("request_timers")
    op.execute("DROP TRIGGER IF EXISTS request_events_no_update ON request_events")
    op.drop_table("request_events")
    op.execute("DROP FUNCTION IF EXISTS request_events_append_only()")
    op.drop_table("requests")
