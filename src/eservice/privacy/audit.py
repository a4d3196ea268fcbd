"""Tamper evidence: signed checkpoints over the hash chains, and ``eservice audit verify``.

The database chains every new entry of the request history, the staff access log and the
admin audit (migration 0008, trigger ``audit_chain_append``): one chain per request and one
for admin actions, so concurrent writers of different requests never wait for each other. A
checkpoint signs (HMAC with a key derived from ESERVICE_SECRET_KEY) the heads of all chains at
one moment and the previous checkpoint's signature; whoever rewrites a chain and its hashes
cannot make the checkpoint agree without the key. ``verify`` recomputes every chain and checks
the latest checkpoint; entries erased or chains deleted by retention are recorded events.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from eservice.core.config import Settings
from eservice.privacy import audit_repository as repo


class Broken(Exception):
    """The first entry whose chain does not hold."""


class AuditReport(msgspec.Struct, kw_only=True):
    """What ``verify`` checked."""

    intact: bool
    entries: int = 0
    chains: int = 0
    checkpoint: int | None = None
    problem: str | None = None


def _key(settings: Settings) -> bytes:
    return hashlib.sha256(b"eservice audit checkpoint\x00" + settings.secret_key.encode()).digest()


def chain_hash(prev: bytes | None, content: bytes, seq: int) -> bytes:
    """What the database trigger computes for one entry."""
    return hashlib.sha256((prev or b"") + content + str(seq).encode()).digest()


def heads_digest(heads: Iterable[tuple[str, int, bytes | None]]) -> bytes:
    digest = hashlib.sha256()
    for chain, seq, head in sorted(heads):
        digest.update(f"{chain}|{seq}|{(head or b'').hex()}\n".encode())
    return digest.digest()


def _signature(
    settings: Settings, number: int, chains: int, digest: bytes, prev: bytes | None
) -> bytes:
    message = f"{number}|{chains}|{digest.hex()}|{(prev or b'').hex()}".encode()
    return hmac.new(_key(settings), message, hashlib.sha256).digest()


async def write_checkpoint(session: AsyncSession, settings: Settings) -> int:
    """Sign the current heads of all chains (one writer at a time); returns its number."""
    await repo.lock_checkpoints(session)
    previous = await repo.latest_checkpoint(session)
    number = await repo.next_checkpoint_id(session)
    heads = await repo.snapshot_heads(session, number)
    digest = heads_digest(heads)
    prev = None if previous is None else previous["signature"]
    signature = _signature(settings, number, len(heads), digest, prev)
    await repo.insert_checkpoint(
        session, number=number, chains=len(heads), digest=digest, prev=prev, signature=signature
    )
    return number


def _where(entry: dict[str, Any], table: str) -> str:
    return f"{table} id {entry['id']} (chain {entry['chain']}, position {entry['chain_seq']})"


async def _verify_checkpoints(session: AsyncSession, settings: Settings) -> dict[str, Any] | None:
    """Check every checkpoint's signature and links; return the latest with its heads."""
    previous: bytes | None = None
    latest = None
    for checkpoint in await repo.checkpoints(session):
        if checkpoint["prev_signature"] != previous:
            raise Broken(f"audit checkpoint {checkpoint['id']} does not follow the one before")
        latest = checkpoint
        previous = checkpoint["signature"]
    if latest is None:
        return None
    heads = await repo.checkpoint_heads(session, latest["id"])
    digest = heads_digest(heads)
    expected = _signature(settings, latest["id"], len(heads), digest, latest["prev_signature"])
    if digest != latest["digest"] or not hmac.compare_digest(expected, latest["signature"]):
        raise Broken(f"audit checkpoint {latest['id']}: its signature does not match its heads")
    return {"id": latest["id"], "heads": {chain: (seq, head) for chain, seq, head in heads}}


class _Seen(msgspec.Struct):
    """Chains met so far, and the hash each has at its checkpointed position."""

    wanted: dict[str, int]
    chains: set[str] = msgspec.field(default_factory=set)
    at_checkpoint: dict[str, bytes] = msgspec.field(default_factory=dict)


async def _verify_chains(
    session: AsyncSession, table: str, heads: dict[str, Any], seen: _Seen, report: AuditReport
) -> None:
    current: str | None = None
    expected_seq, prev = 1, None
    last: dict[str, Any] | None = None

    def close(chain: str | None, entry: dict[str, Any] | None) -> None:
        if chain is None or entry is None:
            return
        head = heads.get(chain)
        if head is None or head["seq"] != entry["chain_seq"] or head["hash"] != entry["chain_hash"]:
            raise Broken(f"{_where(entry, table)}: entries after it are missing")

    async for entry in repo.chain_entries(session, table):
        chain: str = entry["chain"]
        if chain != current:
            close(current, last)
            current, expected_seq, prev = chain, 1, None
            report.chains += 1
            seen.chains.add(chain)
        report.entries += 1
        if entry["chain_seq"] is None:
            raise Broken(f"{table} id {entry['id']} (chain {entry['chain']}): not chained")
        if entry["chain_seq"] != expected_seq or entry["chain_prev"] != prev:
            raise Broken(f"{_where(entry, table)}: does not follow the entry before it")
        if not entry["erased"] and not entry["content_ok"]:
            raise Broken(f"{_where(entry, table)}: its content does not match its hash")
        if chain_hash(prev, entry["content_hash"], entry["chain_seq"]) != entry["chain_hash"]:
            raise Broken(f"{_where(entry, table)}: its chain hash is wrong")
        if seen.wanted.get(chain) == entry["chain_seq"]:
            seen.at_checkpoint[chain] = entry["chain_hash"]
        expected_seq, prev, last = expected_seq + 1, entry["chain_hash"], entry
    close(current, last)


async def verify(session: AsyncSession, settings: Settings) -> AuditReport:
    """Recompute every chain and check the latest checkpoint; the first break is named."""
    report = AuditReport(intact=True)
    try:
        checkpoint = await _verify_checkpoints(session, settings)
        heads = await repo.all_heads(session)
        wanted = {} if checkpoint is None else {c: h[0] for c, h in checkpoint["heads"].items()}
        seen = _Seen(wanted=wanted)
        for table in repo.CHAINED:
            await _verify_chains(session, table, heads, seen, report)
        for chain, head in heads.items():
            if head["seq"] > 0 and chain not in seen.chains and head["deleted_at"] is None:
                raise Broken(f"chain {chain}: all its entries are missing")
        if checkpoint is not None:
            report.checkpoint = checkpoint["id"]
            for chain, (seq, hashed) in checkpoint["heads"].items():
                live = heads.get(chain)
                if seq == 0 or (live is not None and live["deleted_at"] is not None):
                    continue
                if seen.at_checkpoint.get(chain) != hashed:
                    raise Broken(
                        f"chain {chain}, position {seq}: differs from audit checkpoint "
                        f"{checkpoint['id']} (rewritten or deleted)"
                    )
    except Broken as broken:
        report.intact = False
        report.problem = str(broken)
    return report
