"""Entry point of the ``eservice`` command."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# The subcommands: modules with ``register(commands)``, imported when the parser is built.
# Importing this module stays cheap because each API process of ``serve --processes`` imports
# it again (multiprocessing's spawn re-runs the main module) before it can answer its
# supervisor's health check; the app itself is imported after that, while the process answers.
COMMANDS = (
    "eservice.cli.serve",
    "eservice.cli.migrate",
    "eservice.cli.catalog",
    "eservice.cli.attachments",
    "eservice.cli.users",
    "eservice.cli.clients",
    "eservice.cli.worker",
    "eservice.cli.open_data",
    "eservice.cli.retention",
    "eservice.cli.audit",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eservice",
        description="eservice: a city's administrative services online. "
        "Configuration comes from ESERVICE_* environment variables (see README).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(commands)
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
