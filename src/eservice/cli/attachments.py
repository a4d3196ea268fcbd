"""``eservice attachments cleanup``: remove leftover files (see ``maintenance``)."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import timedelta

from eservice.attachments.backends import storage_from_settings
from eservice.attachments.maintenance import cleanup_leftovers
from eservice.attachments.storage import StorageError
from eservice.cli.common import Subcommands, database_url_or_exit, fail, settings_or_exit
from eservice.core.config import Settings, SettingsError
from eservice.core.db import create_engine, create_sessionmaker


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("attachments", help="attachment maintenance")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    cleanup = actions.add_parser(
        "cleanup", help="remove stored files no attachment references, and stale uploads"
    )
    cleanup.add_argument(
        "--older-than-minutes",
        type=int,
        default=60,
        help="leave files younger than this alone (default: 60)",
    )
    cleanup.set_defaults(func=run_cleanup)


async def _cleanup(settings: Settings, url: str, minutes: int) -> dict[str, int]:
    engine = create_engine(url, settings)
    try:
        report = await cleanup_leftovers(
            create_sessionmaker(engine),
            storage_from_settings(settings),
            settings,
            older_than=timedelta(minutes=minutes),
        )
    finally:
        await engine.dispose()
    return {"removed_files": report.removed_files, "removed_staged": report.removed_staged}


def run_cleanup(args: argparse.Namespace) -> int:
    if args.older_than_minutes < 1:
        fail("--older-than-minutes must be at least 1", 2)
    settings = settings_or_exit()
    url = database_url_or_exit(settings)
    try:
        result = asyncio.run(_cleanup(settings, url, args.older_than_minutes))
    except (SettingsError, StorageError) as exc:
        fail(str(exc))
    print(json.dumps(result))
    return 0
