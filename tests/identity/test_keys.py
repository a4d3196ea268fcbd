"""Signing keys: JWKS, rotation without logging anyone out, production refuses dev keys."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from jose import jwt
from litestar import Litestar
from litestar.testing import AsyncTestClient

from eservice.core.config import Settings, SettingsError, load_settings
from eservice.identity.keys import KeyConfigError, build_key_set
from tests.identity.helpers import (
    Client,
    assert_generic_401,
    bearer,
    ec_private_pem,
    password_login,
    rsa_private_pem,
)
from tests.support.auth import Caller

ClientWith = Callable[..., AsyncTestClient[Litestar]]


async def test_jwks_lists_the_public_signing_key(client: Client, citizen: Caller) -> None:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.json()["keys"]
    kid = jwt.get_unverified_header(citizen.headers["Authorization"].split()[1])["kid"]
    assert [k["kid"] for k in keys] == [kid]
    assert keys[0]["kty"] == "EC"
    assert keys[0]["alg"] == "ES256"
    assert "d" not in keys[0]  # never the private part


async def test_key_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(
    client_with: ClientWith, citizen: Caller, tmp_path: Path
) -> None:
    old_key, new_key = tmp_path / "old.pem", tmp_path / "new.pem"
    old_key.write_bytes(ec_private_pem())
    new_key.write_bytes(rsa_private_pem())
    async with client_with(jwt_signing_key_file=old_key) as before:
        old_token = (
            await password_login(before, citizen.email or "", "correct horse battery staple")
        ).json()["access_token"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]

    async with client_with(jwt_signing_key_file=new_key, jwt_verify_key_files=old_key) as after:
        assert (await after.get("/api/v1/me", headers=bearer(old_token))).status_code == 200
        login = await password_login(after, citizen.email or "", "correct horse battery staple")
        new_token = login.json()["access_token"]
        header = jwt.get_unverified_header(new_token)
        assert header["kid"] != old_kid
        assert header["alg"] == "RS256"
        assert (await after.get("/api/v1/me", headers=bearer(new_token))).status_code == 200
        published = {k["kid"] for k in (await after.get("/.well-known/jwks.json")).json()["keys"]}
        assert published == {old_kid, header["kid"]}

    async with client_with(jwt_signing_key_file=new_key) as retired:
        assert_generic_401(await retired.get("/api/v1/me", headers=bearer(old_token)))


def test_development_key_is_generated_private_to_the_owner(tmp_path: Path) -> None:
    settings = load_settings({"ESERVICE_DATA_DIR": str(tmp_path)}, dotenv=None)
    first = build_key_set(settings)
    path = tmp_path / "keys" / "signing-es256.pem"
    assert path.exists()
    assert os.stat(path).st_mode & 0o077 == 0
    assert build_key_set(settings).signing.kid == first.signing.kid  # reused, not regenerated


def test_production_refuses_to_start_without_configured_keys(tmp_path: Path) -> None:
    env = {
        "ESERVICE_ENV": "production",
        "ESERVICE_SECRET_KEY": "s" * 40,
        "ESERVICE_DATABASE_URL": "postgresql://u@db/eservice",
        "ESERVICE_DATA_DIR": str(tmp_path),
    }
    with pytest.raises(SettingsError, match="JWT_SIGNING_KEY"):
        load_settings(env, dotenv=None)
    unchecked = Settings(env="production", data_dir=str(tmp_path))
    with pytest.raises(KeyConfigError):
        build_key_set(unchecked)
    assert not (tmp_path / "keys").exists()


def test_unusable_key_files_are_reported_by_setting_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    settings = load_settings(
        {"ESERVICE_DATA_DIR": str(tmp_path), "ESERVICE_JWT_SIGNING_KEY_FILE": str(bad)}, dotenv=None
    )
    with pytest.raises(KeyConfigError, match="ESERVICE_JWT_SIGNING_KEY_FILE"):
        build_key_set(settings)
    missing = load_settings(
        {
            "ESERVICE_DATA_DIR": str(tmp_path),
            "ESERVICE_JWT_VERIFY_KEY_FILES": str(tmp_path / "nope.pem"),
        },
        dotenv=None,
    )
    with pytest.raises(KeyConfigError, match="ESERVICE_JWT_VERIFY_KEY_FILES"):
        build_key_set(missing)


async def test_signing_key_from_environment_text(client_with: ClientWith, tmp_path: Path) -> None:
    pem = ec_private_pem().decode().replace("\n", "\\n")
    async with client_with(jwt_signing_key=pem) as c:
        keys = (await c.get("/.well-known/jwks.json")).json()["keys"]
    assert len(keys) == 1


def test_startup_check_names_a_bad_oidc_setting(tmp_path: Path) -> None:
    from eservice.identity.startup import IdentityConfigError, check_identity_configuration

    good = load_settings({"ESERVICE_DATA_DIR": str(tmp_path)}, dotenv=None)
    check_identity_configuration(good)
    for raw in [
        "not json",
        '[{"issuer": "https://idp"}]',
        '[{"issuer": "i", "jwks_url": "file:///etc/passwd", "audience": "a"}]',
        '[{"issuer": "i", "jwks_url": "https://idp/certs", "audience": "a", '
        '"role_mapping": {"x": "superuser"}}]',
        '[{"issuer": "i", "jwks_url": "https://idp/certs", "audience": "a", '
        '"algorithms": ["HS256"]}]',
    ]:
        bad = load_settings(
            {"ESERVICE_DATA_DIR": str(tmp_path), "ESERVICE_OIDC_PROVIDERS": raw}, dotenv=None
        )
        with pytest.raises(IdentityConfigError, match="ESERVICE_OIDC_PROVIDERS"):
            check_identity_configuration(bad)
