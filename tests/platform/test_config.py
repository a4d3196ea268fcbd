"""Settings: typed, validated at start, production refuses unsafe defaults, .env never overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from eservice.core.config import DEMO_SECRET, SettingsError, load_settings


def test_defaults_work_for_development() -> None:
    settings = load_settings({}, dotenv=None)
    assert settings.env == "development"
    assert settings.port == 8000
    assert settings.host == "127.0.0.1"
    assert settings.database_url is None


def test_values_are_converted_to_their_types() -> None:
    settings = load_settings({"ESERVICE_PORT": "9001", "ESERVICE_DEBUG": "true"}, dotenv=None)
    assert settings.port == 9001
    assert settings.debug is True


def test_a_bad_value_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="ESERVICE_PORT"):
        load_settings({"ESERVICE_PORT": "eighty"}, dotenv=None)
    with pytest.raises(SettingsError, match="ESERVICE_ENV"):
        load_settings({"ESERVICE_ENV": "staging"}, dotenv=None)


def test_an_unknown_eservice_variable_is_refused() -> None:
    with pytest.raises(SettingsError, match="ESERVICE_DATABSE_URL"):
        load_settings({"ESERVICE_DATABSE_URL": "postgresql://x/y"}, dotenv=None)


def test_production_refuses_demo_secret_and_debug() -> None:
    base = {
        "ESERVICE_ENV": "production",
        "ESERVICE_DATABASE_URL": "postgresql://db/eservice",
        "ESERVICE_JWT_SIGNING_KEY_FILE": "/run/secrets/jwt.pem",
    }
    with pytest.raises(SettingsError, match="ESERVICE_SECRET_KEY"):
        load_settings(base, dotenv=None)
    strong = {**base, "ESERVICE_SECRET_KEY": "x" * 40}
    with pytest.raises(SettingsError, match="ESERVICE_DEBUG"):
        load_settings({**strong, "ESERVICE_DEBUG": "1"}, dotenv=None)
    no_keys = {k: v for k, v in strong.items() if k != "ESERVICE_JWT_SIGNING_KEY_FILE"}
    with pytest.raises(SettingsError, match="ESERVICE_JWT_SIGNING_KEY"):
        load_settings(no_keys, dotenv=None)
    assert load_settings(strong, dotenv=None).secret_key != DEMO_SECRET


def test_dotenv_fills_gaps_but_never_overrides_the_environment(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# local overrides\nESERVICE_PORT=8100\nexport ESERVICE_LOG_LEVEL='DEBUG'\n",
        encoding="utf-8",
    )
    settings = load_settings({"ESERVICE_PORT": "8200"}, dotenv=dotenv)
    assert settings.port == 8200
    assert settings.log_level == "DEBUG"


def test_every_setting_is_documented() -> None:
    from eservice.core.config import Settings

    repo = Path(__file__).resolve().parents[2]
    docs = [repo / "README.md", *sorted((repo / "docs").glob("*.md"))]
    text = "".join(path.read_text(encoding="utf-8") for path in docs)
    missing = [
        f"ESERVICE_{name.upper()}"
        for name in Settings.__struct_fields__
        if f"ESERVICE_{name.upper()}" not in text
    ]
    assert missing == []
