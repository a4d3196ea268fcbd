"""``eservice clients create``: an API client with scopes; prints its id and secret once."""

from __future__ import annotations

import argparse
import asyncio
import json

from eservice.cli.common import Subcommands, database_url_or_exit, fail, settings_or_exit
from eservice.cli.users import describe_error
from eservice.core import migrate
from eservice.core.audit import record_admin_action
from eservice.core.config import Settings
from eservice.core.db import create_engine, create_sessionmaker
from eservice.core.errors import DomainError
from eservice.core.transaction import transaction
from eservice.identity import service
from eservice.identity.principal import Scope


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("clients", help="manage API clients")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create",
        help="create an API client and print client_id, client_secret and api_key as JSON",
        description=(
            "The secret and the Open311 api_key are shown only this once; only their hashes "
            "are stored. Filing through Open311 needs the scope requests:write."
        ),
    )
    create.add_argument("--name", required=True)
    create.add_argument(
        "--scope",
        required=True,
        action="append",
        help=f"one of {', '.join(Scope)}; repeat for several",
    )
    create.add_argument(
        "--service",
        action="append",
        help="restrict the client to this service code; repeat for several (default: all)",
    )
    create.set_defaults(func=run_create)


async def create_client(
    settings: Settings, url: str, args: argparse.Namespace
) -> dict[str, object]:
    engine = create_engine(url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            row, secret = await service.create_api_client(
                session, settings, name=args.name, scopes=args.scope, services=args.service
            )
            await record_admin_action(
                session,
                actor_kind="operator",
                actor_id=None,
                action="client.created",
                target=str(row.id),
                details={"scopes": sorted(row.scopes)},
            )
            api_key = await service.issue_open311_key(session, row)
    finally:
        await engine.dispose()
    return {
        "id": str(row.id),
        "client_id": row.client_id,
        "client_secret": secret,
        "api_key": api_key,
        "name": row.name,
        "scopes": sorted(row.scopes),
        "services": None if row.services is None else sorted(row.services),
    }


def run_create(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    try:  # refuse bad input before touching the database
        service.checked_scopes(args.scope)
        service.checked_services(args.service)
    except DomainError as exc:
        fail(describe_error(exc))
    url = database_url_or_exit(settings)
    migrate.upgrade(url)
    try:
        created = asyncio.run(create_client(settings, url, args))
    except DomainError as exc:
        fail(describe_error(exc))
    print(json.dumps(created, ensure_ascii=False))
    return 0
