"""catalog context schema

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str) -> "sa.Column[object]":
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name_de", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        _timestamp("updated_at"),
    )
    op.create_table(
        "workflow_versions",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", postgresql.JSON(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        _timestamp("published_at"),
        sa.PrimaryKeyConstraint("name", "version", name="pk_workflow_versions"),
        sa.CheckConstraint("version >= 1", name="ck_workflow_versions_version_positive"),
    )
    op.create_table(
        "services",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column(
            "department",
            sa.String(64),
            sa.ForeignKey("departments.code", name="fk_services_department_departments"),
            nullable=False,
        ),
        sa.Column("public", sa.Boolean(), nullable=False),
        _timestamp("updated_at"),
    )
    op.create_table(
        "service_versions",
        sa.Column(
            "code",
            sa.String(64),
            sa.ForeignKey("services.code", name="fk_service_versions_code_services"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "department",
            sa.String(64),
            sa.ForeignKey("departments.code", name="fk_service_versions_department_departments"),
            nullable=False,
        ),
        sa.Column("workflow_name", sa.String(64), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("definition", postgresql.JSON(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        _timestamp("published_at"),
        sa.PrimaryKeyConstraint("code", "version", name="pk_service_versions"),
        sa.ForeignKeyConstraint(
            ["workflow_name", "workflow_version"],
            ["workflow_versions.name", "workflow_versions.version"],
            name="fk_service_versions_workflow",
        ),
        sa.CheckConstraint("version >= 1", name="ck_service_versions_version_positive"),
    )


def downgrade() -> None:
    op.drop_table("service_versions")
    op.drop_table("services")
    op.drop_table("workflow_versions")
    op.drop_table("departments")
