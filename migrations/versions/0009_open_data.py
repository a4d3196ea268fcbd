"""open data: spatial index on request locations, business-day calendar, monthly statistics

Revision ID: 0009
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0006"
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


def downgrade() -> None:
    op.execute("DROP INDEX ix_requests_publishable_submitted")
    op.execute("DROP INDEX ix_requests_location")
