"""Who is calling: the one type every route and service receives after authentication."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal
from uuid import UUID

import msgspec

# ``public``: the reporter of an anonymous public report, known only by its tracking token
# (or, while filing, by nothing at all); it sees and adds to that one report and nothing else.
PrincipalKind = Literal["citizen", "staff", "client", "public"]
Role = Literal["citizen", "clerk", "supervisor", "admin"]
STAFF_ROLES: frozenset[str] = frozenset({"clerk", "supervisor", "admin"})


class Scope(StrEnum):
    """What an API client may do. Granted per client; checked with ``Principal.has_scope``."""

    REQUESTS_READ = "requests:read"
    REQUESTS_WRITE = "requests:write"
    REQUESTS_TRANSITION = "requests:transition"
    SUBSCRIPTIONS_MANAGE = "subscriptions:manage"


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """An authenticated caller.

    ``id`` is the account id (citizens, staff) or the API client's id (clients).
    ``departments`` are the departments a staff member's roles apply to.
    ``scopes`` are an API client's scopes; ``services`` optionally restricts a client to
    some service codes (None = all services).
    """

    kind: PrincipalKind
    id: UUID
    roles: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    services: frozenset[str] | None = None
    email: str | None = None
    display_name: str | None = None
    email_verified: bool = False
    locale: str = "de"

    @property
    def is_citizen(self) -> bool:
        return self.kind == "citizen"

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_client(self) -> bool:
        return self.kind == "client"

    @property
    def is_public_reporter(self) -> bool:
        return self.kind == "public"

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def works_in(self, department: str) -> bool:
        """Staff whose roles cover ``department``."""
        return self.is_staff and department in self.departments

    def has_scope(self, scope: Scope) -> bool:
        return self.is_client and scope in self.scopes

    def may_use_service(self, code: str) -> bool:
        """A client restricted to some services may only touch those (by code, not version)."""
        return self.services is None or code in self.services
