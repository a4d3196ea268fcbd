"""The SQL of tamper evidence: chain entries, heads and checkpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Chained tables, the chain of each row, and whether retention erased its personal parts.
CHAINED: dict[str, tuple[str, str]] = {
    "request_events": ("'request:' || request_id", "erased_at IS NOT NULL"),
    "request_access_log": ("'access:' || request_id", "false"),
    "admin_audit": ("'admin'", "false"),
}
_CHECKPOINT_LOCK = 0x65_73_61_75_64_69_74  # an advisory lock id: one checkpoint writer


async def chain_entries(session: AsyncSession, table: str) -> AsyncIterator[dict[str, Any]]:
    """Every entry of ``table`` by chain and position, its content hash recomputed."""
    chain, erased = CHAINED[table]
    # Identifiers come from CHAINED above, never from input.
    statement = text(
        f"SELECT id, {chain} AS chain, chain_seq, chain_prev, chain_hash, content_hash, "  # noqa: S608
        f"{erased} AS erased, audit_content(t) = content_hash AS content_ok "
        f"FROM {table} AS t ORDER BY 2, chain_seq, id"
    )
    result = await session.stream(statement.execution_options(yield_per=2000))
    async for row in result.mappings():
        yield dict(row)


async def all_heads(session: AsyncSession) -> dict[str, dict[str, Any]]:
    rows = await session.execute(text("SELECT chain, seq, hash, deleted_at FROM audit_chain_heads"))
    return {row["chain"]: dict(row) for row in rows.mappings()}


async def lock_checkpoints(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _CHECKPOINT_LOCK})


async def latest_checkpoint(session: AsyncSession) -> dict[str, Any] | None:
    result = await session.execute(
        text("SELECT id, signature FROM audit_checkpoints ORDER BY id DESC LIMIT 1")
    )
    row = result.mappings().first()
    return None if row is None else dict(row)


async def next_checkpoint_id(session: AsyncSession) -> int:
    number = await session.scalar(
        text("SELECT nextval(pg_get_serial_sequence('audit_checkpoints', 'id'))")
    )
    return int(number or 0)


async def snapshot_heads(session: AsyncSession, number: int) -> list[tuple[str, int, bytes | None]]:
    """Copy the live heads for checkpoint ``number`` (older snapshots go) and return them."""
    await session.execute(text("DELETE FROM audit_checkpoint_heads"))
    rows = await session.execute(
        text(
            "INSERT INTO audit_checkpoint_heads (checkpoint_id, chain, seq, hash) "
            "SELECT :number, chain, seq, hash FROM audit_chain_heads WHERE deleted_at IS NULL "
            "RETURNING chain, seq, hash"
        ),
        {"number": number},
    )
    return [(row.chain, row.seq, row.hash) for row in rows]


async def insert_checkpoint(
    session: AsyncSession,
    *,
    number: int,
    chains: int,
    digest: bytes,
    prev: bytes | None,
    signature: bytes,
) -> None:
    await session.execute(
        text(
            "INSERT INTO audit_checkpoints (id, chains, digest, prev_signature, signature) "
            "OVERRIDING SYSTEM VALUE VALUES (:id, :chains, :digest, :prev, :signature)"
        ),
        {"id": number, "chains": chains, "digest": digest, "prev": prev, "signature": signature},
    )


async def checkpoints(session: AsyncSession) -> list[dict[str, Any]]:
    rows = await session.execute(
        text("SELECT id, digest, prev_signature, signature FROM audit_checkpoints ORDER BY id")
    )
    return [dict(row) for row in rows.mappings()]


async def checkpoint_heads(
    session: AsyncSession, number: int
) -> list[tuple[str, int, bytes | None]]:
    rows = await session.execute(
        text("SELECT chain, seq, hash FROM audit_checkpoint_heads WHERE checkpoint_id = :n"),
        {"n": number},
    )
    return [(row.chain, row.seq, row.hash) for row in rows]
