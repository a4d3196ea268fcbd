"""What the app's middleware costs per request: ``python -m bench.middleware``.

The issue's bar: middleware (metrics, request id, logging) under 10 % of a read. A read's CPU
in the API process comes from the main run (``cpu_ms`` of the API side, from /proc); this
measures the middleware's own share the only way that is not lost in a server's noise: the
app's middleware stack, exactly as ``create_app`` configures it for production (access log
off), around an ASGI app that answers at once, against that app alone, on uvloop, in one
process, CPU time per request over many requests (median of several rounds).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import uvloop

Scope = dict[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]

RESPONSE_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"application/json")],
}
RESPONSE_BODY = {"type": "http.response.body", "body": b"{}", "more_body": False}


async def answer(scope: Scope, receive: Any, send: Any) -> None:
    """The innermost app: a fixed response, as cheap as an ASGI app gets."""
    await send(dict(RESPONSE_START))
    await send(RESPONSE_BODY)


def read_scope() -> Scope:
    """The scope of ``GET /api/v1/requests/{id}`` as the server and Litestar's router give it."""
    return {
        "type": "http",
        "method": "GET",
        "path": "/api/v1/requests/6f1c2d8e-0000-4000-8000-000000000001",
        "path_template": "/api/v1/requests/{request_id:uuid}",
        "headers": [
            (b"host", b"127.0.0.1:8765"),
            (b"authorization", b"Bearer " + b"x" * 600),
            (b"accept", b"application/json"),
        ],
        "query_string": b"",
    }


async def _cpu_per_call_us(app: ASGI, calls: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    started = time.process_time()
    for _ in range(calls):
        await app(read_scope(), receive, send)
    return (time.process_time() - started) / calls * 1e6


def measure(calls: int = 20_000, rounds: int = 7) -> dict[str, float]:
    """CPU µs per request with and without the middleware (medians of interleaved rounds).

    Run it in a process of its own: with ``PROMETHEUS_MULTIPROC_DIR`` set (as ``eservice
    serve --processes N`` sets it, see ``main``) the metrics go to memory-mapped files, which
    prometheus_client decides when it is first imported.
    """
    from eservice.core.middleware import RequestContextMiddleware

    wrapped = RequestContextMiddleware(answer, access_log=False)
    bare: list[float] = []
    with_middleware: list[float] = []

    async def run() -> None:
        await _cpu_per_call_us(wrapped, 2_000)  # warm the metric series and caches
        for _ in range(rounds):
            bare.append(await _cpu_per_call_us(answer, calls))
            with_middleware.append(await _cpu_per_call_us(wrapped, calls))

    uvloop.run(run())
    app_us = statistics.median(bare)
    total_us = statistics.median(with_middleware)
    return {
        "app_alone_us": round(app_us, 2),
        "with_middleware_us": round(total_us, 2),
        "middleware_us": round(total_us - app_us, 2),
    }


def share_of(middleware_us: float, read_cpu_ms: float) -> float | None:
    """The middleware's share of a read's CPU in the API process (None without a read)."""
    if read_cpu_ms <= 0:
        return None
    return middleware_us / (read_cpu_ms * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.middleware", description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--multiprocess",
        action="store_true",
        help="metrics in prometheus_client's multiprocess mode, as with serve --processes N",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as metrics:
        if args.multiprocess:
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics
        result = measure(args.calls, args.rounds)
    print(json.dumps({**result, "multiprocess": args.multiprocess}))


if __name__ == "__main__":
    main()
