"""Verified access tokens are remembered until they expire, per key set, audience and issuer
(identity.token_cache: a bounded LRU keyed by the token's hash)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import msgspec
import pytest

from eservice.core.config import Settings
from eservice.core.errors import Unauthorized
from eservice.identity.keys import generate_dev_key, key_set
from eservice.identity.principal import Principal
from eservice.identity.token_cache import VerifiedTokens
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
    # Remembered until exp, not until exp plus the clock leeway verification allows.
    keys.verified.put(token, settings.jwt_audience, settings.jwt_issuer, principal, time.time())
    held = len(keys.verified)
    assert recently_verified(settings, keys, token) is None
    assert len(keys.verified) == held - 1  # an expired entry is dropped when met


def test_the_cache_is_bounded_and_forgets_the_least_recently_used() -> None:
    cache = VerifiedTokens(capacity=3)
    later = time.time() + 60
    principals = {name: _clerk() for name in "abcd"}
    for name in "abc":
        cache.put(name, "aud", "iss", principals[name], later)
    assert cache.get("a", "aud", "iss") == principals["a"]  # "a" is now the most recent
    cache.put("d", "aud", "iss", principals["d"], later)
    assert len(cache) == 3
    assert cache.get("b", "aud", "iss") is None  # the least recently used went
    assert [cache.get(n, "aud", "iss") for n in "acd"] == [principals[n] for n in "acd"]


def test_the_cache_keeps_no_token_text(settings: Settings) -> None:
    keys = key_set(settings)
    token, _ = issue_access_token(settings, _clerk())
    verify_access_token(settings, token, keys)
    key = VerifiedTokens.key(token, settings.jwt_audience, settings.jwt_issuer)
    assert len(key) == 32  # a SHA-256 digest
    assert token.encode() not in key


def test_removing_a_key_revokes_its_remembered_tokens_at_once(
    settings: Settings, tmp_path: Path
) -> None:
    old_key = generate_dev_key(tmp_path / "old")
    new_key = generate_dev_key(tmp_path / "new")
    both = msgspec.structs.replace(
        settings,
        jwt_signing_key=None,
        jwt_signing_key_file=str(old_key),
        jwt_verify_key_files=str(new_key),
    )
    token, _ = issue_access_token(both, _clerk())
    verify_access_token(both, token)
    assert recently_verified(both, key_set(both), token) is not None
    # The compromised key is removed: the new configuration only knows the new key.
    rotated = msgspec.structs.replace(
        both, jwt_signing_key_file=str(new_key), jwt_verify_key_files=""
    )
    assert recently_verified(rotated, key_set(rotated), token) is None
    with pytest.raises(Unauthorized):
        verify_access_token(rotated, token)


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
