"""``eservice audit verify|checkpoint``: check or sign the tamper-evident records."""

from __future__ import annotations

import argparse
import asyncio
import json

import msgspec

from eservice.cli.common import Subcommands, database_url_or_exit, progress, settings_or_exit
from eservice.core.config import Settings
from eservice.core.db import create_engine, create_sessionmaker
from eservice.core.transaction import transaction
from eservice.privacy.audit import AuditReport, verify, write_checkpoint


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("audit", help="tamper-evident records")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "verify",
        help="recompute the hash chains and check the signed checkpoints",
        description=(
            "Recomputes the hash chains over request history, the staff access log and admin "
            "actions, and checks the signed checkpoints. Exit 0 when intact; exit 1 naming "
            "the first broken entry (changed, deleted or out of order)."
        ),
    )
    check.set_defaults(func=run_verify)
    sign = actions.add_parser(
        "checkpoint", help="sign the current heads of all chains (the retention run does daily)"
    )
    sign.set_defaults(func=run_checkpoint)


async def _verify(settings: Settings, url: str) -> AuditReport:
    engine = create_engine(url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            return await verify(session, settings)
    finally:
        await engine.dispose()


async def _checkpoint(settings: Settings, url: str) -> int:
    engine = create_engine(url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            return await write_checkpoint(session, settings)
    finally:
        await engine.dispose()


def run_verify(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    url = database_url_or_exit(settings)
    report = asyncio.run(_verify(settings, url))
    print(json.dumps(msgspec.to_builtins(report)))
    if not report.intact:
        progress(f"audit: BROKEN: {report.problem}")
        return 1
    progress(
        f"audit: intact ({report.entries} entries in {report.chains} chains; "
        f"checkpoint {report.checkpoint or 'none yet'})"
    )
    return 0


def run_checkpoint(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    url = database_url_or_exit(settings)
    number = asyncio.run(_checkpoint(settings, url))
    print(json.dumps({"checkpoint": number}))
    return 0
