"""``eservice users create``: a staff account (clerk, supervisor, admin) scoped to departments."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys

from eservice.cli.common import Subcommands, database_url_or_exit, fail, settings_or_exit
from eservice.core import migrate
from eservice.core.audit import record_admin_action
from eservice.core.config import Settings
from eservice.core.db import create_engine, create_sessionmaker
from eservice.core.errors import DomainError
from eservice.core.transaction import transaction
from eservice.identity import service


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("users", help="manage staff accounts")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create",
        help="create a staff account and print it as JSON",
        description="Create a staff account. Without --password the password is read from "
        "stdin (prompted on a terminal), so that it does not show in the process list.",
    )
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="at least 12 characters (default: read from stdin)")
    create.add_argument(
        "--role", required=True, action="append", choices=["clerk", "supervisor", "admin"]
    )
    create.add_argument(
        "--department",
        action="append",
        default=[],
        help="department code; repeat for several (clerks and supervisors need one)",
    )
    create.add_argument("--name", help="display name (default: the email)")
    create.add_argument("--locale", choices=["de", "en"], default="de")
    create.set_defaults(func=run_create)


def read_password(given: str | None) -> str:
    if given is not None:
        return given
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\n")


async def create_user(
    settings: Settings, url: str, args: argparse.Namespace, password: str
) -> dict[str, object]:
    engine = create_engine(url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            row = await service.create_staff(
                session,
                settings,
                email=args.email,
                password=password,
                roles=args.role,
                departments=args.department,
                display_name=args.name,
                locale=args.locale,
            )
            await record_admin_action(
                session,
                actor_kind="operator",
                actor_id=None,
                action="staff.created",
                target=str(row.id),
                details={"roles": sorted(row.roles), "departments": sorted(row.departments)},
            )
    finally:
        await engine.dispose()
    return {
        "id": str(row.id),
        "email": row.email,
        "display_name": row.display_name,
        "roles": sorted(row.roles),
        "departments": sorted(row.departments),
    }


def describe_error(exc: DomainError) -> str:
    details = [f"{e.pointer.lstrip('/')}: {e.message}" for e in exc.errors]
    return "; ".join([exc.detail, *details])


def run_create(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    password = read_password(args.password)
    try:  # refuse bad input before touching the database
        email = service.checked_email(args.email)
        service.checked_password(password, email)
        service.checked_staff_roles(args.role, service.checked_departments(args.department))
    except DomainError as exc:
        fail(describe_error(exc))
    url = database_url_or_exit(settings)
    migrate.upgrade(url)
    try:
        account = asyncio.run(create_user(settings, url, args, password))
    except DomainError as exc:
        fail(describe_error(exc))
    print(json.dumps(account, ensure_ascii=False))
    return 0
