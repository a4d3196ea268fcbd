"""The shipped workflows, read once for the pure engine tests (no database)."""

from __future__ import annotations

from functools import cache

from eservice.catalog.files import read_catalog
from eservice.workflow.definitions import Workflow
from tests.conftest import REPO


@cache
def shipped_workflows() -> dict[str, Workflow]:
    return {w.name: w for w in read_catalog(REPO).workflows}


def shipped(name: str) -> Workflow:
    return shipped_workflows()[name]
