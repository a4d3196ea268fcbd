"""``eservice serve``: database, migrations, catalogue, then the API."""

from __future__ import annotations

import argparse
import errno
import os
import socket
from pathlib import Path

import uvicorn
from litestar import Litestar
from prometheus_client import multiprocess

from eservice.app import create_app
from eservice.cli.common import Subcommands, database_url_or_exit, fail, progress, settings_or_exit
from eservice.cli.startup import prepare_database
from eservice.core.config import MAX_PROCESSES, Settings
from eservice.core.embedded import stop_on_sigterm_like_ctrl_c
from eservice.identity.startup import IdentityConfigError, check_identity_configuration


def register(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "serve", help="run the API (migrates and loads the catalogue first)"
    )
    parser.add_argument("--host", help="address to listen on (default: ESERVICE_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: ESERVICE_PORT, 8000)")
    parser.add_argument(
        "--processes",
        type=int,
        help=f"API processes sharing the port, 1-{MAX_PROCESSES} (default: ESERVICE_PROCESSES, 1)",
    )
    parser.add_argument(
        "--with-worker",
        action="store_true",
        help="also run the background worker in-process (in each API process)",
    )
    parser.add_argument(
        "--no-prepare", action="store_true", help="skip migrations and catalogue loading"
    )
    parser.set_defaults(func=run)


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(f"port {port} on {host} is already in use; choose another with --port")
            fail(f"cannot listen on {host}:{port}: {exc.strerror}")


def run(args: argparse.Namespace) -> int:
    # SIGTERM (systemd, Docker, Kubernetes) stops serve as Ctrl-C does: gracefully, then
    # through a normal exit that also stops the embedded database.
    stop_on_sigterm_like_ctrl_c()
    settings = settings_or_exit()
    host = args.host or settings.host
    port = args.port or settings.port
    processes = settings.processes if args.processes is None else args.processes
    if not 1 <= processes <= MAX_PROCESSES:
        fail(f"--processes must be between 1 and {MAX_PROCESSES}", 2)
    _check_port_free(host, port)
    # Before anything starts: a directory it cannot use stops the command with nothing to undo.
    metrics_dir = _metrics_dir(settings) if processes > 1 else None
    try:
        check_identity_configuration(settings)
    except IdentityConfigError as exc:
        fail(str(exc), 2)
    url = database_url_or_exit(settings)
    if not args.no_prepare:
        prepare_database(url, settings)
    base = f"http://{host}:{port}"
    progress(f"ready ({processes} API process{'es' if processes > 1 else ''}). Next steps:")
    progress(f"  citizen portal         {base}/")
    progress(f"  clerk console          {base}/staff")
    progress(f"  interactive API docs   {base}/schema")
    progress(f"  OpenAPI document       {base}/schema/openapi.json")
    progress(f"  service catalogue      {base}/api/v1/services")
    progress(f"  readiness              {base}/health/ready")
    progress(f"  open data: map layer   {base}/ogc (OGC API - Features)")
    progress(f"  open data: catalogue   {base}/open-data/catalog.ttl (DCAT-AP.de)")
    progress(f"  open data: statistics  {base}/api/v1/open-data/statistics?format=csv")
    progress("  create a clerk         .venv/bin/eservice users create --help")
    progress("press Ctrl-C to stop (the embedded database stops with it)")
    target: Litestar | str
    if metrics_dir is None:
        target = create_app(settings, url, with_worker=args.with_worker, freeze_heap=True)
    else:
        # uvicorn's supervisor starts each process fresh and builds the app there from an
        # import string: the processes read the same settings, and the database this command
        # chose (perhaps the embedded server it started) through the environment they inherit.
        os.environ["ESERVICE_DATABASE_URL"] = url
        os.environ[METRICS_DIR_VARIABLE] = str(metrics_dir)
        target = f"{__name__}:{'app_with_worker' if args.with_worker else 'app'}"
    uvicorn.run(
        target,
        factory=processes > 1,
        workers=processes,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=10,
        # A process starting on a busy machine must not be taken for a hung one.
        timeout_worker_healthcheck=settings.process_healthcheck_timeout,
    )
    progress("stopped")
    return 0


METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def _metrics_dir(settings: Settings) -> Path:
    """Where the processes keep their metrics, so that /metrics adds them all up.

    prometheus_client's multiprocess mode: each process writes its values to files there and
    whichever process answers /metrics sums them (Litestar's controller reads the variable).
    It reads every ``*.db`` file there, so the directory is the metrics' own, and the files
    of an earlier run would be summed too: they are removed first.
    """
    configured = os.environ.get(METRICS_DIR_VARIABLE)
    path = Path(configured) if configured else settings.data_path / "metrics"
    try:
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    except OSError as exc:
        fail(f"cannot prepare the metrics directory {path}: {exc.strerror or exc}")
    return path


def app() -> Litestar:
    """The app of one of several API processes (``serve --processes N``)."""
    return _process_app(with_worker=False)


def app_with_worker() -> Litestar:
    """The same, with the background worker in the process (``--with-worker``)."""
    return _process_app(with_worker=True)


def _process_app(*, with_worker: bool) -> Litestar:
    # Built inside the process's running event loop; the supervisor checked the database.
    settings = settings_or_exit()
    if settings.database_url is None:
        fail("ESERVICE_DATABASE_URL is not set; start API processes with `eservice serve`")
    built = create_app(settings, settings.database_url, with_worker=with_worker, freeze_heap=True)
    built.on_shutdown.append(_forget_live_metrics)
    return built


def _forget_live_metrics() -> None:
    """A process that stops no longer counts towards live gauges (requests in progress)."""
    if os.environ.get(METRICS_DIR_VARIABLE):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
