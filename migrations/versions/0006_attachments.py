"""attachments context schema

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column(
            "request_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey(
                "requests.id", ondelete="CASCADE", name="fk_attachments_request_id_requests"
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(127), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(255), nullable=True),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("uploaded_by", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("uploader_kind", sa.String(16), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
        sa.CheckConstraint("size > 0", name="ck_attachments_size_positive"),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="ck_attachments_sha256_hex"),
        sa.CheckConstraint(
            "visibility IN ('public', 'internal')", name="ck_attachments_visibility"
        ),
        sa.CheckConstraint(
            "uploader_kind IN ('citizen', 'staff', 'client')", name="ck_attachments_uploader_kind"
        ),
        sa.CheckConstraint(
            "deleted_at IS NOT NULL OR storage_key IS NOT NULL",
            name="ck_attachments_stored_unless_deleted",
        ),
    )
    op.create_index(
        "ix_attachments_request_id_created_at_id",
        "attachments",
        ["request_id", "created_at", "id"],
    )
    op.create_index(
        "uq_attachments_storage_key",
        "attachments",
        ["storage_key"],
        unique=True,
        postgresql_where=sa.text("storage_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("attachments")
