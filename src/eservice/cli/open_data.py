"""``eservice open-data refresh``: recompute the processing-time statistics now."""

from __future__ import annotations

import argparse
import asyncio
import time

from eservice.cli.common import Subcommands, database_url_or_exit, settings_or_exit
from eservice.core.config import Settings
from eservice.core.db import create_engine, create_sessionmaker
from eservice.statistics.jobs import refresh_statistics


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("open-data", help="open data: statistics")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    refresh = actions.add_parser(
        "refresh", help="recompute the monthly processing-time statistics now"
    )
    refresh.set_defaults(func=run_refresh)


async def _refresh(settings: Settings, url: str) -> None:
    engine = create_engine(url, settings)
    try:
        await refresh_statistics(create_sessionmaker(engine), settings)
    finally:
        await engine.dispose()


def run_refresh(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    url = database_url_or_exit(settings)
    started = time.monotonic()
    asyncio.run(_refresh(settings, url))
    print(f"statistics refreshed in {time.monotonic() - started:.1f} s")
    return 0
