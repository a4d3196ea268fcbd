"""Authorisation checks every route uses. Each raises the domain error the caller should see.

Rule of the API: what a caller may not *see* answers 404 (``hide_unless``); what a caller
may see but not *do* answers 403 (the ``require_*`` checks).
"""

from __future__ import annotations

from eservice.core.config import Settings
from eservice.core.errors import Forbidden, NotFound
from eservice.identity.principal import Principal, Scope


def require_citizen(principal: Principal) -> None:
    if not principal.is_citizen:
        raise Forbidden("Only citizens may do this.")


def require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("Only staff may do this.")


def require_client(principal: Principal) -> None:
    if not principal.is_client:
        raise Forbidden("Only API clients may do this.")


def require_role(principal: Principal, *roles: str) -> None:
    """The caller holds at least one of ``roles`` (``admin`` does not imply the others)."""
    if not any(principal.has_role(role) for role in roles):
        raise Forbidden("Your role does not allow this.")


def require_admin(principal: Principal) -> None:
    require_staff(principal)
    require_role(principal, "admin")


def require_scope(principal: Principal, scope: Scope) -> None:
    """An API client must hold ``scope``; people are not limited by scopes."""
    if principal.is_client and not principal.has_scope(scope):
        raise Forbidden(f"This client lacks the scope '{scope}'.")


def require_department(principal: Principal, department: str) -> None:
    """Staff must work in ``department``."""
    if not principal.works_in(department):
        raise Forbidden("You do not work in this department.")


def require_service(principal: Principal, service_code: str) -> None:
    """A client restricted to some services may only touch those."""
    if not principal.may_use_service(service_code):
        raise Forbidden("This client may not use this service.")


def require_verified_email(principal: Principal, settings: Settings) -> None:
    """Citizens must have confirmed their email (when ESERVICE_REQUIRE_VERIFIED_EMAIL is on)."""
    if principal.is_citizen and settings.require_verified_email and not principal.email_verified:
        raise Forbidden("Please confirm your email address first.")


def hide_unless(visible: bool, what: str = "resource") -> None:
    """404, exactly like a missing thing, unless the caller may see it."""
    if not visible:
        raise NotFound(f"No such {what}.")
