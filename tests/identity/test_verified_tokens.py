"""Verified access tokens are remembered until they expire, per key set, audience and issuer."""

from __future__ import annotations

import time
import uuid

import msgspec
import pytest

from eservice.core.config import Settings
from eservice.core.errors import Unauthorized
from eservice.identity.keys import key_set
from eservice.identity.principal import Principal
from eservice.identity.tokens import (
    issue_access_token,
    recently_verified,
    verify_access_token,
)


def _clerk() -> Principal:
    return Principal(
        kind="staff",
        id=uuid.uuid4(),
        roles=frozenset({"clerk"}),
        departments=frozenset({"verkehr"}),
        locale="de",
    )


def test_a_verified_token_is_remembered_and_answers_the_same_principal(
    settings: Settings,
) -> None:
    keys = key_set(settings)
    token, _ = issue_access_token(settings, _clerk())
    assert recently_verified(settings, keys, token) is None
    principal = verify_access_token(settings, token, keys)
    assert recently_verified(settings, keys, token) == principal


def test_a_remembered_token_is_forgotten_once_it_expires(settings: Settings) -> None:
    keys = key_set(settings)
    token, _ = issue_access_token(settings, _clerk())
    principal = verify_access_token(settings, token, keys)
    keys.verified[(token, settings.jwt_audience, settings.jwt_issuer)] = (
        principal,
        time.time() - 1,
    )
    assert recently_verified(settings, keys, token) is None


def test_a_remembered_token_does_not_pass_for_another_audience(settings: Settings) -> None:
    keys = key_set(settings)
    token, _ = issue_access_token(settings, _clerk())
    verify_access_token(settings, token, keys)
    elsewhere = msgspec.structs.replace(settings, jwt_audience="another-api")
    assert recently_verified(elsewhere, keys, token) is None
    with pytest.raises(Unauthorized):
        verify_access_token(elsewhere, token, keys)


def test_a_forged_token_is_never_remembered(settings: Settings) -> None:
    keys = key_set(settings)
    token, _ = issue_access_token(settings, _clerk())
    header, claims, signature = token.split(".")
    forged = f"{header}.{claims}.{signature[::-1]}"
    before = len(keys.verified)
    with pytest.raises(Unauthorized):
        verify_access_token(settings, forged, keys)
    assert len(keys.verified) == before
    assert recently_verified(settings, keys, forged) is None
