"""data protection: retention dates, legal holds, the deletion register

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# History and the staff access log can only be erased by the retention path, never rewritten:
# an UPDATE may only blank what is personal (comment, data, a citizen's id) and a DELETE is
# refused, both unless the transaction declared itself a retention or erasure transaction
# (``SELECT set_config('eservice.forgetting', 'on', true)``, see requests.retention_repository).
# docs/data-protection.md explains how grants add a second line where roles can be separated.
GUARD_HISTORY = """
CREATE OR REPLACE FUNCTION request_events_append_only() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('eservice.forgetting', true), '') <> 'on' THEN
        RAISE EXCEPTION 'request_events is append-only (rows change only by retention)';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.request_id IS DISTINCT FROM OLD.request_id
       OR NEW.type IS DISTINCT FROM OLD.type OR NEW.visibility IS DISTINCT FROM OLD.visibility
       OR NEW.actor_kind IS DISTINCT FROM OLD.actor_kind
       OR NEW.actor_role IS DISTINCT FROM OLD.actor_role
       OR NEW.from_state IS DISTINCT FROM OLD.from_state
       OR NEW.to_state IS DISTINCT FROM OLD.to_state
       OR NEW.transition IS DISTINCT FROM OLD.transition
       OR NEW.occurred_at IS DISTINCT FROM OLD.occurred_at
       OR (NEW.comment IS NOT NULL AND NEW.comment IS DISTINCT FROM OLD.comment)
       OR (NEW.data <> '{}'::jsonb AND NEW.data IS DISTINCT FROM OLD.data)
       OR (NEW.actor_id IS NOT NULL AND NEW.actor_id IS DISTINCT FROM OLD.actor_id)
       OR NEW.erased_at IS NULL
       OR NEW.chain_seq IS DISTINCT FROM OLD.chain_seq
       OR NEW.chain_prev IS DISTINCT FROM OLD.chain_prev
       OR NEW.chain_hash IS DISTINCT FROM OLD.chain_hash
       OR NEW.content_hash IS DISTINCT FROM OLD.content_hash THEN
        RAISE EXCEPTION 'request_events: retention may only erase, never rewrite';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""

GUARD_ACCESS_LOG = """
CREATE FUNCTION request_access_log_append_only() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('eservice.forgetting', true), '') <> 'on' OR TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'request_access_log is append-only (rows go only by retention)';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql
"""

# Hash chains (see docs/data-protection.md, "Tamper evidence"). Each entry stores the hash of
# its content and the chain hash over the previous entry's: chain_hash = sha256(chain_prev ||
# content_hash || chain_seq). One chain per request (history, access log) and one for admin
# actions; the head of each chain is a row of audit_chain_heads, locked only by writers of the
# same chain, so writers of different requests never wait for each other. Content is the row as
# JSON without the chain columns, rendered in UTC so that any session recomputes the same bytes.
AUDIT_CONTENT = """
CREATE FUNCTION audit_content(entry anyelement) RETURNS bytea
LANGUAGE sql STABLE SET timezone TO 'UTC' AS $$
    SELECT sha256(convert_to((to_jsonb(entry) - 'chain_seq' - 'chain_prev' - 'chain_hash'
        - 'content_hash' - 'erased_at')::text, 'UTF8'))
$$
"""

AUDIT_APPEND = """
CREATE FUNCTION audit_chain_append() RETURNS trigger
LANGUAGE plpgsql SET timezone TO 'UTC' AS $$
DECLARE
    key text := TG_ARGV[0];
    head_seq bigint;
    head_hash bytea;
BEGIN
    IF TG_NARGS > 1 THEN
        key := key || ':' || (to_jsonb(NEW) ->> TG_ARGV[1]);
    END IF;
    INSERT INTO audit_chain_heads (chain, seq) VALUES (key, 0) ON CONFLICT (chain) DO NOTHING;
    SELECT seq, hash INTO head_seq, head_hash FROM audit_chain_heads WHERE chain = key FOR UPDATE;
    NEW.chain_seq := head_seq + 1;
    NEW.chain_prev := head_hash;
    NEW.content_hash := audit_content(NEW);
    NEW.chain_hash := sha256(coalesce(head_hash, ''::bytea) || NEW.content_hash
        || convert_to(NEW.chain_seq::text, 'UTF8'));
    UPDATE audit_chain_heads SET seq = NEW.chain_seq, hash = NEW.chain_hash, updated_at = now()
        WHERE chain = key;
    RETURN NEW;
END;
$$
"""

# Chains the rows an existing installation already has (one chain per request, by id).
BACKFILL = """
DO $$
DECLARE
    entry record;
    current text := NULL;
    position bigint := 0;
    previous bytea := NULL;
    chained bytea;
BEGIN
    FOR entry IN
        SELECT t.id, t.request_id::text AS request, audit_content(t) AS content
        FROM {table} AS t ORDER BY t.request_id, t.id
    LOOP
        IF current IS DISTINCT FROM entry.request THEN
            current := entry.request;
            position := 0;
            previous := NULL;
        END IF;
        position := position + 1;
        chained := sha256(coalesce(previous, ''::bytea) || entry.content
            || convert_to(position::text, 'UTF8'));
        UPDATE {table} SET chain_seq = position, chain_prev = previous, chain_hash = chained,
            content_hash = entry.content WHERE id = entry.id;
        INSERT INTO audit_chain_heads (chain, seq, hash)
            VALUES ('{prefix}:' || entry.request, position, chained)
            ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash;
        previous := chained;
    END LOOP;
END;
$$
"""

GUARD_ADMIN_AUDIT = """
CREATE FUNCTION admin_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'admin_audit is append-only';
END;
$$ LANGUAGE plpgsql
"""

CHAINED = {
    "request_events": ("request", "request_id"),
    "request_access_log": ("access", "request_id"),
    "admin_audit": ("admin", None),
}

OLD_GUARD_HISTORY = """
CREATE OR REPLACE FUNCTION request_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'request_events is append-only';
END;
$$ LANGUAGE plpgsql
"""


def _chain_columns(table: str) -> None:
    op.add_column(table, sa.Column("chain_seq", sa.BigInteger(), nullable=True))
    op.add_column(table, sa.Column("chain_prev", sa.LargeBinary(), nullable=True))
    op.add_column(table, sa.Column("chain_hash", sa.LargeBinary(), nullable=True))
    op.add_column(table, sa.Column("content_hash", sa.LargeBinary(), nullable=True))


def upgrade() -> None:
    op.create_table(
        "audit_chain_heads",
        sa.Column("chain", sa.String(80), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        # Set when retention deleted the chain's entries (a recorded event, not a break).
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("chains", sa.Integer(), nullable=False),
        sa.Column("digest", sa.LargeBinary(), nullable=False),
        sa.Column("prev_signature", sa.LargeBinary(), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "audit_checkpoint_heads",
        sa.Column(
            "checkpoint_id",
            sa.BigInteger(),
            # The heads are copied before their checkpoint row is signed and written.
            sa.ForeignKey(
                "audit_checkpoints.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED"
            ),
            primary_key=True,
        ),
        sa.Column("chain", sa.String(80), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=True),
    )
    op.add_column(
        "request_events", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(AUDIT_CONTENT)
    op.execute(AUDIT_APPEND)
    op.execute(GUARD_HISTORY)
    op.execute(
        "CREATE TRIGGER request_events_no_delete BEFORE DELETE ON request_events "
        "FOR EACH ROW EXECUTE FUNCTION request_events_append_only()"
    )
    # Who read: staff (in which role) or an API client (its row id in staff_id).
    op.add_column(
        "request_access_log",
        sa.Column("actor_kind", sa.String(16), server_default="staff", nullable=False),
    )
    op.add_column("request_access_log", sa.Column("actor_role", sa.String(16), nullable=True))
    op.execute(GUARD_ACCESS_LOG)
    op.execute(
        "CREATE TRIGGER request_access_log_append_only BEFORE UPDATE OR DELETE "
        "ON request_access_log FOR EACH ROW EXECUTE FUNCTION request_access_log_append_only()"
    )
    op.add_column("requests", sa.Column("retention_until", sa.Date(), nullable=True))
    op.add_column("requests", sa.Column("legal_hold_reason", sa.Text(), nullable=True))
    op.add_column("requests", sa.Column("legal_hold_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "requests", sa.Column("legal_hold_by", postgresql.UUID(as_uuid=True), nullable=True)
    )
    op.add_column("requests", sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        "legal_hold_complete",
        "requests",
        "(legal_hold_at IS NULL) = (legal_hold_reason IS NULL)",
    )
    # What a retention run looks for: closed requests past their date, and old drafts.
    op.create_index(
        "ix_requests_retention_due",
        "requests",
        ["retention_until", "id"],
        postgresql_where=sa.text("retention_until IS NOT NULL AND anonymised_at IS NULL"),
    )
    op.create_index(
        "ix_requests_drafts_updated",
        "requests",
        ["updated_at", "id"],
        postgresql_where=sa.text("submitted_at IS NULL"),
    )

    op.create_table(
        "deletion_register",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("batch_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("reference_hash", sa.String(64), nullable=False),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("service_version", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("retention_until", sa.Date(), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("action IN ('deleted', 'anonymised')", name="ck_deletion_action"),
        sa.CheckConstraint("reference_hash ~ '^[0-9a-f]{64}$'", name="ck_deletion_reference"),
    )
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "occurred_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("target", sa.String(80), nullable=True),
        sa.Column("details", postgresql.JSONB(), server_default="{}", nullable=False),
    )
    op.create_index("ix_admin_audit_occurred", "admin_audit", ["occurred_at"])
    op.execute(GUARD_ADMIN_AUDIT)
    op.execute(
        "CREATE TRIGGER admin_audit_append_only BEFORE UPDATE OR DELETE ON admin_audit "
        "FOR EACH ROW EXECUTE FUNCTION admin_audit_append_only()"
    )
    for table, (prefix, column) in CHAINED.items():
        _chain_columns(table)
        arguments = f"'{prefix}'" + (f", '{column}'" if column else "")
        op.execute(
            f"CREATE TRIGGER {table}_chain BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION audit_chain_append({arguments})"
        )
    # Rows written before this migration are chained now, in the order they were written.
    op.execute("ALTER TABLE request_events DISABLE TRIGGER request_events_no_update")
    op.execute("ALTER TABLE request_access_log DISABLE TRIGGER request_access_log_append_only")
    op.execute(BACKFILL.format(table="request_events", prefix="request"))
    op.execute(BACKFILL.format(table="request_access_log", prefix="access"))
    op.execute("ALTER TABLE request_events ENABLE TRIGGER request_events_no_update")
    op.execute("ALTER TABLE request_access_log ENABLE TRIGGER request_access_log_append_only")
    op.create_index(
        "ix_request_events_chain", "request_events", ["request_id", "chain_seq"], unique=True
    )
    op.create_index(
        "ix_request_access_log_chain",
        "request_access_log",
        ["request_id", "chain_seq"],
        unique=True,
    )
    op.create_index("ix_deletion_register_batch", "deletion_register", ["batch_id"])
    op.create_index("ix_deletion_register_reference", "deletion_register", ["reference_hash"])


def downgrade() -> None:
    for table in CHAINED:
        op.execute(f"DROP TRIGGER {table}_chain ON {table}")
    op.drop_index("ix_request_access_log_chain", table_name="request_access_log")
    op.drop_index("ix_request_events_chain", table_name="request_events")
    for table in ("request_events", "request_access_log"):
        for column in ("chain_seq", "chain_prev", "chain_hash", "content_hash"):
            op.drop_column(table, column)
    op.drop_column("request_events", "erased_at")
    op.execute("DROP TRIGGER request_access_log_append_only ON request_access_log")
    op.execute("DROP FUNCTION request_access_log_append_only()")
    op.drop_column("request_access_log", "actor_role")
    op.drop_column("request_access_log", "actor_kind")
    op.execute("DROP TRIGGER request_events_no_delete ON request_events")
    op.execute(OLD_GUARD_HISTORY)
    op.drop_table("admin_audit")
    op.execute("DROP FUNCTION admin_audit_append_only()")
    op.execute("DROP FUNCTION audit_chain_append()")
    op.execute("DROP FUNCTION audit_content(anyelement)")
    op.drop_table("audit_checkpoint_heads")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_chain_heads")
    op.drop_table("deletion_register")
    op.drop_index("ix_requests_drafts_updated", table_name="requests")
    op.drop_index("ix_requests_retention_due", table_name="requests")
    op.drop_constraint("legal_hold_complete", "requests", type_="check")
    for column in (
        "anonymised_at",
        "legal_hold_by",
        "legal_hold_at",
        "legal_hold_reason",
        "retention_until",
    ):
        op.drop_column("requests", column)
