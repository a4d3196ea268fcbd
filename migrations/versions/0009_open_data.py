"""open data: spatial index on request locations, business-day calendar, monthly statistics

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Only filed requests with a location can be features; keeping the rest out keeps the index small.
PUBLISHABLE = "location IS NOT NULL AND submitted_at IS NOT NULL"
POINT = "point((location->>'lon')::float8, (location->>'lat')::float8)"


def upgrade() -> None:
    # PostGIS is not available in embedded PostgreSQL: a GiST index on the built-in point type
    # answers `point <@ box` (the OGC API's bbox) without it.
    op.execute(
        f"CREATE INDEX ix_requests_location ON requests USING gist (({POINT})) WHERE {PUBLISHABLE}"
    )
    # Keyset order of the features (filing time, id), also the datetime filter.
    op.execute(
        f"CREATE INDEX ix_requests_publishable_submitted ON requests (submitted_at, id) "
        f"WHERE {PUBLISHABLE}"
    )

    # Processing-time statistics (eservice.statistics): business days as ordinals, so that the
    # business days between two dates are one subtraction in SQL, and the figures per service
    # and month, recomputed by `eservice open-data refresh`, the worker and stale reads.
    op.create_table(
        "business_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("ordinal", sa.Integer(), nullable=False),
    )
    op.create_table(
        "open_data_monthly_statistics",
        sa.Column("service_code", sa.String(64), primary_key=True),
        sa.Column("month", sa.Date(), primary_key=True),
        sa.Column("filed", sa.Integer(), nullable=False),
        sa.Column("overdue_now", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("closed_within_sla", sa.Integer(), nullable=False),
        sa.Column("median_business_days", sa.Float(), nullable=True),
        sa.Column("p90_business_days", sa.Float(), nullable=True),
    )
    op.create_table(
        "open_data_refreshes",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("open_data_refreshes")
    op.drop_table("open_data_monthly_statistics")
    op.drop_table("business_days")
    op.execute("DROP INDEX ix_requests_publishable_submitted")
    op.execute("DROP INDEX ix_requests_location")
