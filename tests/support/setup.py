"""Bring a fresh test database to the state the app expects: migrated (and catalogue loaded)."""

from __future__ import annotations

from eservice.core import migrate


def prepare_test_database(url: str) -> None:
    migrate.upgrade(url)
