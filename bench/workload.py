"""One operation at one concurrency, on both sides: the API through wrk, the SQL through pgbench."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import threading
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg

from bench import seed
from bench.database import BenchDatabase, plain
from bench.loadgen import run_pgbench, run_wrk
from bench.report import Measurement
from bench.server import Api, cpu_seconds


def pool_id(tag: str, n: int) -> uuid.UUID:
    """The id seeded as ``md5(tag || n)::uuid`` (the same on the SQL side)."""
    return uuid.UUID(hashlib.md5(f"{tag}{n}".encode()).hexdigest())


class Releaser:
    """Hands claimed requests back to the queue every 0.1 s while claims run.

    Without it a claim run would drain a small queue within seconds; with it the queue stays
    full, like a queue that new submissions keep filling. It runs on both sides alike.
    """

    def __init__(self, url: str, statement: str) -> None:
        self.url, self.statement = url, statement
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._loop()), daemon=True)

    async def _loop(self) -> None:
        conn = await asyncpg.connect(plain(self.url))
        try:
            while not self._stop.is_set():
                await conn.execute(self.statement)
                await asyncio.sleep(0.1)
        finally:
            await conn.close()

    def __enter__(self) -> Releaser:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


# Work the worker still owes for earlier measurements (pgbench writes 5-10x the events the API
# does): set aside before each measurement, so each side pays only for the events it makes.
SETTLE_SQL = (
    "UPDATE outbox SET processed_at = now(), error = 'skipped by the bench' "
    "WHERE processed_at IS NULL; "
    "UPDATE deliveries SET state = 'cancelled', last_error = 'skipped by the bench' "
    "WHERE state = 'pending'"
)


@dataclass
class Workload:
    """What every measurement needs: the database, the API, the seeded accounts, a temp dir."""

    db: BenchDatabase
    api: Api
    accounts: seed.Accounts
    scratch: Path

    def tokens(self) -> dict[str, str]:
        return seed.tokens(self.db.settings, self.accounts)

    async def _fetch_pool(self) -> list[tuple[uuid.UUID, int, str]]:
        conn = await asyncpg.connect(plain(self.db.url))
        try:
            rows = await conn.fetch(
                "SELECT id, version, state FROM requests WHERE reference LIKE 'TR-%' ORDER BY id"
            )
        finally:
            await conn.close()
        return [(r["id"], r["version"], r["state"]) for r in rows]

    def transition_pool(self) -> Path:
        """The pool's current versions (after requests still in flight from the last run)."""
        time.sleep(1.0)
        path = self.scratch / "transition-pool.txt"
        rows = asyncio.run(self._fetch_pool())
        path.write_text("".join(f"{i} {v} {s}\n" for i, v, s in rows))
        return path

    def read_pool(self) -> Path:
        path = self.scratch / "read-pool.txt"
        ids = (pool_id("rd", n) for n in range(1, seed.READ_POOL + 1))
        path.write_text("".join(f"{i}\n" for i in ids))
        return path

    def release(self) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(plain(self.db.url))
            try:
                await conn.execute(seed.release_sql(self.accounts))
            finally:
                await conn.close()

        asyncio.run(run())

    def settle(self) -> None:
        """Set aside the worker's backlog from earlier measurements (see SETTLE_SQL)."""

        async def run() -> None:
            conn = await asyncpg.connect(plain(self.db.url))
            try:
                await conn.execute(SETTLE_SQL)
            finally:
                await conn.close()

        asyncio.run(run())

    def _claims_released(self, operation: str) -> contextlib.AbstractContextManager[object]:
        """While claims are measured, claimed requests go back to the queue (see Releaser)."""
        if operation != "claim":
            return contextlib.nullcontext()
        self.release()
        return Releaser(self.db.url, seed.release_sql(self.accounts))

    def bare_run(
        self, base_url: str, operation: str, concurrency: int, duration: float
    ) -> Measurement:
        """The bare stack (bench/bare.py) under the same wrk script as the API."""
        self.settle()
        pool = self.read_pool() if operation == "read" else None
        measured = run_wrk(
            operation, base_url, concurrency=concurrency, duration=duration, token="-", pool=pool
        )
        return replace(measured, side="bare")

    def api_run(self, operation: str, concurrency: int, duration: float) -> Measurement:
        """wrk against the API; with the API processes' CPU per successful operation."""
        self.settle()
        tokens = self.tokens()
        token = tokens["citizen"] if operation == "file" else tokens["clerk"]
        pool = None
        if operation == "transition":
            pool = self.transition_pool()
        elif operation == "read":
            pool = self.read_pool()
        pids = self.api.api_pids()
        cpu_before = cpu_seconds(pids)
        with self._claims_released(operation):
            measured = run_wrk(
                operation,
                self.api.base_url,
                concurrency=concurrency,
                duration=duration,
                token=token,
                pool=pool,
            )
        used = cpu_seconds(pids) - cpu_before
        if measured.operations:
            measured = replace(measured, cpu_ms=round(used * 1000 / measured.operations, 3))
        return measured

    def pgbench_run(
        self, operation: str, concurrency: int, duration: float, *, minimal: bool = False
    ) -> Measurement:
        self.settle()
        variables = {
            "clerk": str(self.accounts.clerk_id),
            "citizen": str(self.accounts.citizen_id),
        }
        if operation == "transition":
            variables["pool"] = str(max(1, seed.TRANSITION_POOL // concurrency))
        elif operation == "read":
            variables["pool"] = str(seed.READ_POOL)
        with self._claims_released(operation):
            return run_pgbench(
                operation,
                self.db.url,
                concurrency=concurrency,
                duration=duration,
                variables=variables,
                minimal=minimal,
            )
