"""Imports every context's table module so that ``Base.metadata`` knows the whole schema."""

from __future__ import annotations

import importlib

TABLE_MODULES: tuple[str, ...] = (
    "eservice.events.tables",
    "eservice.notifications.tables",
    "eservice.attachments.tables",
    "eservice.requests.tables",
    "eservice.core.idempotency",
    "eservice.core.audit",
    "eservice.catalog.tables",
    "eservice.identity.tables",
    "eservice.statistics.tables",
    "eservice.privacy.tables",
)


def import_all_tables() -> None:
    for module in TABLE_MODULES:
        importlib.import_module(module)
