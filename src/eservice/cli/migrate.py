"""``eservice migrate``: apply the Alembic migrations."""

from __future__ import annotations

import argparse

from eservice.cli.common import Subcommands, database_url_or_exit, progress, settings_or_exit
from eservice.core import migrate


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("migrate", help="apply database migrations")
    parser.add_argument("--revision", default="head", help="target revision (default: head)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    url = database_url_or_exit(settings)
    progress(f"migrating the database to {args.revision} ...")
    migrate.upgrade(url, args.revision)
    progress("database is at " + (migrate.head_revision() or "base"))
    return 0
