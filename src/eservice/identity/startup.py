"""Check the identity configuration before serving, so that mistakes stop the start."""

from __future__ import annotations

from eservice.core.config import Settings
from eservice.identity.keys import KeyConfigError, key_set
from eservice.identity.oidc import OidcConfigError, parse_providers


class IdentityConfigError(Exception):
    """The signing keys or the OIDC providers cannot be used; the message names the setting."""


def check_identity_configuration(settings: Settings) -> None:
    """Load the key set (generating the development key if needed) and parse the providers."""
    try:
        key_set(settings)
        parse_providers(settings.oidc_providers)
    except (KeyConfigError, OidcConfigError) as exc:
        raise IdentityConfigError(str(exc)) from None
