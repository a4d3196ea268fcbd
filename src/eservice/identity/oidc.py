"""External identity providers (OIDC): accept their access tokens, verified against their JWKS.

``ESERVICE_OIDC_PROVIDERS`` holds a JSON list of providers; see docs/identity.md. Each
token's ``iss`` picks the provider; its key comes from that provider's JWKS only (by
``kid``), with an explicit asymmetric algorithm list, the configured audience and the
required registered claims. Claims are mapped onto our roles and departments; the person
gets a stable local id (UUIDv5 of issuer and subject) and a local record for references.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import msgspec
from jose import jwk, jwt
from jose.backends.base import Key
from jose.exceptions import JOSEError
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eservice.core.config import Settings
from eservice.core.errors import Unauthorized
from eservice.core.transaction import transaction
from eservice.identity import repository
from eservice.identity.principal import STAFF_ROLES, Principal
from eservice.identity.tokens import CLOCK_LEEWAY_SECONDS, unverified_header

ExternalAlgorithm = Literal["RS256", "ES256"]
JWKS_REFRESH_MIN_SECONDS = 10.0
JWKS_MAX_BYTES = 256 * 1024


class ClaimMapping(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Where our fields are found in the provider's claims (dotted paths)."""

    roles: str = "roles"
    departments: str = "departments"
    email: str = "email"
    email_verified: str = "email_verified"
    name: str = "name"
    locale: str = "locale"


class ProviderConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One trusted issuer (e.g. the city's Keycloak realm)."""

    issuer: str
    jwks_url: str
    audience: str
    algorithms: list[ExternalAlgorithm] = msgspec.field(default_factory=lambda: ["RS256", "ES256"])
    claims: ClaimMapping = msgspec.field(default_factory=ClaimMapping)
    role_mapping: dict[str, str] = msgspec.field(default_factory=dict)
    default_role: str | None = "citizen"
    jwks_cache_seconds: float = 300.0


class OidcConfigError(Exception):
    """ESERVICE_OIDC_PROVIDERS is not usable."""


class Provider:
    """A configured provider and its cached signing keys."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.keys: dict[str, tuple[str, Key]] = {}
        self.fetched_at = 0.0

    async def key_for(self, kid: str) -> tuple[str, Key] | None:
        now = time.monotonic()
        stale = now - self.fetched_at > self.config.jwks_cache_seconds
        unknown = kid not in self.keys and now - self.fetched_at > JWKS_REFRESH_MIN_SECONDS
        if stale or unknown:
            await self.refresh()
        return self.keys.get(kid)

    async def refresh(self) -> None:
        """Fetch the JWKS (no redirects, bounded size); keep the old keys if it fails."""
        try:
            async with httpx.AsyncClient(timeout=5.0, follow_redirects=False) as client:
                response = await client.get(self.config.jwks_url)
        except httpx.HTTPError:
            return
        if response.status_code != 200 or len(response.content) > JWKS_MAX_BYTES:
            return
        try:
            document = msgspec.json.decode(response.content)
        except msgspec.DecodeError:
            return
        self.keys = self._parse(document)
        self.fetched_at = time.monotonic()

    def _parse(self, document: object) -> dict[str, tuple[str, Key]]:
        keys: dict[str, tuple[str, Key]] = {}
        entries = document.get("keys") if isinstance(document, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
                continue
            if entry.get("use", "sig") != "sig":
                continue
            algorithm = entry.get("alg") or {"RSA": "RS256", "EC": "ES256"}.get(
                str(entry.get("kty"))
            )
            if algorithm not in self.config.algorithms:
                continue
            try:
                keys[entry["kid"]] = (algorithm, jwk.construct(entry, algorithm))
            except (JOSEError, ValueError, TypeError, KeyError):
                continue
        return keys


class Registry:
    def __init__(self, providers: list[Provider]) -> None:
        self.by_issuer = {p.config.issuer: p for p in providers}

    def provider_for(self, issuer: str) -> Provider | None:
        return self.by_issuer.get(issuer)


def parse_providers(raw: str) -> list[ProviderConfig]:
    """The providers in ESERVICE_OIDC_PROVIDERS (a JSON list); OidcConfigError if invalid."""
    if not raw.strip():
        return []
    try:
        configs = msgspec.json.decode(raw, type=list[ProviderConfig])
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise OidcConfigError(f"ESERVICE_OIDC_PROVIDERS is invalid: {exc}") from None
    for config in configs:
        if not config.jwks_url.startswith(("https://", "http://")):
            raise OidcConfigError("ESERVICE_OIDC_PROVIDERS: jwks_url must be an http(s) URL")
        mapped = set(config.role_mapping.values()) | (
            {config.default_role} if config.default_role else set()
        )
        if not mapped <= STAFF_ROLES | {"citizen"}:
            raise OidcConfigError(
                "ESERVICE_OIDC_PROVIDERS: roles map to citizen, clerk, supervisor or admin"
            )
    return configs


STATE_KEY = "identity_oidc_registry"


def registry(state: State, settings: Settings) -> Registry:
    """The app's providers (parsed once per app, with their key caches)."""
    found = state.get(STATE_KEY)
    if not isinstance(found, Registry):
        found = Registry([Provider(c) for c in parse_providers(settings.oidc_providers)])
        state[STATE_KEY] = found
    return found


def _claim(claims: dict[str, Any], path: str) -> object:
    value: object = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _names(value: object) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


async def verify_external_token(provider: Provider, token: str) -> dict[str, Any]:
    """The verified claims of a provider's token; 401 for anything wrong with it."""
    header = unverified_header(token)
    kid = header.get("kid")
    found = await provider.key_for(kid) if isinstance(kid, str) else None
    if found is None or header.get("alg") != found[0]:
        raise Unauthorized()
    algorithm, key = found
    options = {
        "leeway": CLOCK_LEEWAY_SECONDS,
        "require_exp": True,
        "require_iat": True,
        "require_sub": True,
        "require_aud": True,
        "require_iss": True,
    }
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=provider.config.audience,
            issuer=provider.config.issuer,
            options=options,
        )
    except (JOSEError, ValueError, TypeError, KeyError):
        raise Unauthorized() from None
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise Unauthorized()
    return claims


def map_claims(config: ProviderConfig, claims: dict[str, Any]) -> Principal:
    """Our principal for a provider's verified claims (401 when no role maps)."""
    mapping = config.claims
    external_roles = _names(_claim(claims, mapping.roles))
    if config.role_mapping:
        roles = {config.role_mapping[r] for r in external_roles if r in config.role_mapping}
    else:
        roles = {r for r in external_roles if r in STAFF_ROLES | {"citizen"}}
    if not roles and config.default_role:
        roles = {config.default_role}
    if not roles:
        raise Unauthorized()
    staff = bool(roles & STAFF_ROLES)
    email = _claim(claims, mapping.email)
    name = _claim(claims, mapping.name)
    locale = _claim(claims, mapping.locale)
    subject = uuid.uuid5(uuid.NAMESPACE_URL, f"{config.issuer}#{claims['sub']}")
    return Principal(
        kind="staff" if staff else "citizen",
        id=subject,
        roles=frozenset(roles & STAFF_ROLES) if staff else frozenset({"citizen"}),
        departments=frozenset(_names(_claim(claims, mapping.departments)))
        if staff
        else frozenset(),
        email=email.lower() if isinstance(email, str) and len(email) <= 254 else None,
        display_name=name[:200] if isinstance(name, str) else None,
        email_verified=_claim(claims, mapping.email_verified) is True,
        locale=locale if locale in {"de", "en"} else "de",
    )


PROVISION_STATE_KEY = "identity_oidc_provisioned"
PROVISIONED_MAX = 10_000
PROVISION_AGAIN_SECONDS = 300.0


async def provision(state: State, issuer: str, subject: str, principal: Principal) -> None:
    """Keep a local record of an external person (upserted at most every few minutes)."""
    seen: OrderedDict[tuple[object, ...], float] | None = state.get(PROVISION_STATE_KEY)
    if seen is None:
        seen = OrderedDict()
        state[PROVISION_STATE_KEY] = seen
    marker = (
        principal.id,
        principal.kind,
        principal.roles,
        principal.departments,
        principal.email,
        principal.display_name,
        principal.email_verified,
    )
    now = time.monotonic()
    last = seen.get(marker)
    if last is not None and now - last < PROVISION_AGAIN_SECONDS:
        return
    values = {
        "id": principal.id,
        "kind": principal.kind,
        "email": principal.email,
        "password_hash": None,
        "display_name": principal.display_name or principal.email or subject[:200],
        "locale": principal.locale,
        "roles": sorted(principal.roles),
        "departments": sorted(principal.departments),
        "email_verified_at": datetime.now(UTC) if principal.email_verified else None,
        "external_issuer": issuer,
        "external_subject": subject,
    }
    sessionmaker: async_sessionmaker[AsyncSession] = state.sessionmaker
    async with transaction(sessionmaker) as session:
        await repository.upsert_external_user(session, values)
    seen[marker] = now
    seen.move_to_end(marker)
    if len(seen) > PROVISIONED_MAX:
        seen.popitem(last=False)


async def principal_for_external_token(state: State, provider: Provider, token: str) -> Principal:
    """Verify a provider's token, map its claims, and make sure the person is known locally."""
    claims = await verify_external_token(provider, token)
    principal = map_claims(provider.config, claims)
    await provision(state, provider.config.issuer, claims["sub"], principal)
    return principal
