"""Entry point of the ``eservice`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from eservice.cli import (
    attachments,
    audit,
    catalog,
    clients,
    migrate,
    retention,
    serve,
    users,
    worker,
)

COMMANDS = (serve, migrate, catalog, attachments, users, clients, worker, retention, audit)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eservice",
        description="eservice: a city's administrative services online. "
        "Configuration comes from ESERVICE_* environment variables (see README).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except KeyboardInterrupt:
        print("eservice: interrupted", file=sys.stderr)
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
