"""``eservice worker``: deliver notifications and run the request timers until stopped."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable

from prometheus_client import start_http_server

from eservice.cli.common import Subcommands, database_url_or_exit, progress, settings_or_exit
from eservice.core.config import Settings
from eservice.core.db import create_engine, create_sessionmaker
from eservice.core.heap import freeze_startup_heap
from eservice.worker import build_worker


def register(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "worker",
        help="deliver emails and webhooks, fan out the outbox, run request timers",
        description=(
            "Runs until SIGTERM or Ctrl-C; a stop lets deliveries in flight finish. Several "
            "workers may run at once. ESERVICE_WORKER_METRICS_PORT serves /metrics."
        ),
    )
    parser.add_argument("--once", action="store_true", help="run one round of every job, then exit")
    parser.set_defaults(func=run)


async def run_worker(settings: Settings, database_url: str, *, once: bool = False) -> None:
    """The worker loop with graceful stop on SIGTERM/SIGINT (a second signal aborts)."""
    engine = create_engine(database_url, settings)
    worker = build_worker(create_sessionmaker(engine, cache_immutable=True), settings)
    freeze_startup_heap()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()

    def request_stop() -> None:
        if stop.is_set() and main is not None:
            main.cancel()
        progress("stopping after the current round (signal again to abort) ...")
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop)
    try:
        if once:
            await worker.run_once()
        else:
            await worker.run(stop)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await engine.dispose()


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop when it is installed (it comes with ``uvicorn[standard]`` and
    costs the worker less CPU per statement and send), else None: the standard loop."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    url = database_url_or_exit(settings)
    if settings.worker_metrics_port:
        start_http_server(settings.worker_metrics_port, addr=settings.host)
        progress(f"worker metrics on http://{settings.host}:{settings.worker_metrics_port}/")
    progress("worker running; press Ctrl-C to stop")
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(run_worker(settings, url, once=args.once))
    except asyncio.CancelledError:
        progress("worker aborted")
        return 130
    progress("worker stopped")
    return 0
