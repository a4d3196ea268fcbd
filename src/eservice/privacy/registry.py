"""Which context forgets which table, and the hooks contexts fill for the retention run.

Every table that holds a request's or a person's data must be named in the ``FORGETS`` of the
context that owns it (tests/privacy/test_coverage.py introspects the schema and fails for a
table no context forgets), so that a new table is handled where it is made.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from types import ModuleType

from sqlalchemy.ext.asyncio import AsyncSession

from eservice.attachments import retention as attachments_retention
from eservice.core import idempotency
from eservice.identity import retention as identity_retention
from eservice.notifications import retention as notifications_retention
from eservice.requests import retention as requests_retention

FORGETTING_MODULES: tuple[ModuleType, ...] = (
    requests_retention,
    attachments_retention,
    notifications_retention,
    identity_retention,
    idempotency,
)

# Anonymous reporters' contact data goes when their report has been closed for a while
# (ESERVICE_RETENTION_CONTACT_DAYS). A context storing such contacts adds a function here:
# it removes the contact data of reports closed before the given instant and returns how many.
ContactExpiry = Callable[[AsyncSession, datetime], Awaitable[int]]
CONTACT_EXPIRY: tuple[ContactExpiry, ...] = (requests_retention.expire_contacts,)


# Tables kept on purpose, with the reason (they name people only by id, never by data).
KEPT_ON_PURPOSE: dict[str, str] = {
    "admin_audit": "accountability (GDPR Art. 5(2)): who administered what; ids and codes only",
}


def covered_tables() -> frozenset[str]:
    """Every table some context's forget functions cover, or that is kept on purpose."""
    covered: set[str] = set(KEPT_ON_PURPOSE)
    for module in FORGETTING_MODULES:
        covered |= module.FORGETS
    return frozenset(covered)
