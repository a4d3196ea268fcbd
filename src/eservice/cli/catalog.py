"""``eservice catalog check|load``: check the catalogue files, publish them into the database."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from eservice.catalog.files import CatalogInvalid, check_catalog, default_root, read_catalog
from eservice.catalog.publishing import PublishedVersionChanged, catalog_root, publish_catalog
from eservice.cli.common import Subcommands, database_url_or_exit, fail, progress, settings_or_exit
from eservice.workflow.diagram import markdown


def register(commands: Subcommands) -> None:
    parser = commands.add_parser("catalog", help="check or publish the service catalogue")
    actions = parser.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check", help="validate services/ and workflows/, print every problem"
    )
    check.add_argument("--root", type=Path, help="directory holding services/ and workflows/")
    check.set_defaults(func=run_check)
    load = actions.add_parser("load", help="publish new versions into the database")
    load.add_argument("--root", type=Path, help="directory holding services/ and workflows/")
    load.set_defaults(func=run_load)
    diagrams = actions.add_parser(
        "diagrams", help="write a Mermaid page per workflow into docs/workflows/"
    )
    diagrams.add_argument("--root", type=Path, help="directory holding services/ and workflows/")
    diagrams.add_argument("--out", type=Path, help="output directory (default: docs/workflows)")
    diagrams.set_defaults(func=run_diagrams)


def run_check(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    root = args.root or catalog_root(settings) or default_root()
    problems = check_catalog(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"eservice: {len(problems)} problem(s) in the catalogue", file=sys.stderr)
        return 1
    progress(f"the catalogue in {root} is valid")
    return 0


def run_load(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    root = args.root or catalog_root(settings) or default_root()
    url = database_url_or_exit(settings)
    progress(f"publishing the catalogue in {root} ...")
    try:
        report = asyncio.run(publish_catalog(url, settings, root))
    except CatalogInvalid as exc:
        for problem in exc.problems:
            print(problem)
        fail(f"{len(exc.problems)} problem(s) in the catalogue; nothing was published")
    except PublishedVersionChanged as exc:
        for change in exc.changed:
            print(f"refused: {change}; publish it under a new version", file=sys.stderr)
        fail("published versions cannot change; nothing was published")
    for line in report.lines():
        progress(line)
    progress(
        f"done: {len(report.published)} published, {len(report.unchanged)} unchanged, "
        f"{report.departments} departments"
    )
    return 0


def run_diagrams(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    root = args.root or catalog_root(settings) or default_root()
    try:
        catalog = read_catalog(root)
    except CatalogInvalid as exc:
        for problem in exc.problems:
            print(problem)
        fail(f"{len(exc.problems)} problem(s) in the catalogue; no diagrams written")
    out: Path = args.out or default_root() / "docs" / "workflows"
    out.mkdir(parents=True, exist_ok=True)
    for workflow in catalog.workflows:
        path = out / diagram_file_name(workflow.name, workflow.version)
        path.write_text(markdown(workflow), encoding="utf-8")
        progress(f"wrote {path}")
    return 0


def diagram_file_name(name: str, version: int) -> str:
    return f"{name}.v{version}.md"
