"""``eservice retention run``: forget what is past its retention date (see privacy.retention)."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import date

import msgspec

from eservice.attachments.storage import StorageError
from eservice.cli.common import Subcommands, database_url_or_exit, fail, progress, settings_or_exit
from eservice.core.config import Settings
from eservice.core.db import create_engine, create_sessionmaker
from eservice.privacy.retention import RetentionReport, run_retention


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("retention", help="retention of personal data")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    run = actions.add_parser(
        "run",
        help="delete or anonymise what is past retention; print a JSON report",
        description=(
            "Deletes or anonymises every request whose retention date has come (closing date "
            "plus the service's retention) and drafts older than ESERVICE_RETENTION_DRAFT_DAYS, "
            "files included, and writes the deletion register. Requests under a legal hold are "
            "skipped and listed. Safe to run in several processes and to run again after a "
            "crash. Progress goes to stderr, the report to stdout."
        ),
    )
    run.add_argument(
        "--as-of",
        type=_day,
        metavar="YYYY-MM-DD",
        help="act as if today were this day (default: today in ESERVICE_TIME_ZONE)",
    )
    run.add_argument("--dry-run", action="store_true", help="only list what would be done")
    run.set_defaults(func=run_command)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


async def _run(settings: Settings, url: str, as_of: date | None, dry_run: bool) -> RetentionReport:
    engine = create_engine(url, settings)
    try:
        return await run_retention(
            create_sessionmaker(engine),
            settings,
            as_of=as_of,
            dry_run=dry_run,
            progress=progress,
        )
    finally:
        await engine.dispose()


def run_command(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    url = database_url_or_exit(settings)
    progress(f"retention run{' (dry run)' if args.dry_run else ''} ...")
    try:
        report = asyncio.run(_run(settings, url, args.as_of, args.dry_run))
    except StorageError as exc:
        fail(f"file storage failed: {exc}")
    for held in report.held:
        progress(f"skipped (legal hold): {held.reference}")
    progress(
        f"done: {report.deleted} deleted, {report.anonymised} anonymised, "
        f"{report.files_removed} files removed, {len(report.held)} on legal hold"
    )
    print(json.dumps(msgspec.to_builtins(report)))
    return 0
