"""docker-compose.yml cannot run here; check what can be checked by reading it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from eservice.core.config import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_compose_has_database_api_worker_and_mailpit() -> None:
    services = _compose()["services"]
    assert set(services) >= {"postgres", "api", "worker", "mailpit"}
    assert services["api"]["ports"] == ["8000:8000"]
    assert services["worker"]["command"] == ["eservice", "worker"]
    for name in ("postgres", "api", "mailpit"):
        assert "healthcheck" in services[name], name


def test_every_eservice_variable_in_compose_is_a_valid_setting() -> None:
    services = _compose()["services"]
    known = {name.upper() for name in Settings.__struct_fields__}
    for name in ("api", "worker"):
        env = {k: str(v) for k, v in services[name]["environment"].items()}
        for key in env:
            assert key.startswith("ESERVICE_"), key
            assert key.removeprefix("ESERVICE_") in known, key
        settings = load_settings(env, dotenv=None)
        assert settings.database_url is not None
        assert "@postgres:5432/" in settings.database_url


def test_compose_wires_the_api_to_its_database_and_mail_server() -> None:
    compose = _compose()
    services = compose["services"]
    api_env = services["api"]["environment"]
    postgres_env = services["postgres"]["environment"]
    url = api_env["ESERVICE_DATABASE_URL"]
    assert f"{postgres_env['POSTGRES_USER']}:{postgres_env['POSTGRES_PASSWORD']}@" in url
    assert url.endswith("/" + postgres_env["POSTGRES_DB"])
    assert api_env["ESERVICE_SMTP_HOST"] == "mailpit"
    assert "1025:1025" in services["mailpit"]["ports"]
    assert services["api"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_dockerfile_installs_from_the_lock_file_and_runs_the_cli() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "uv sync --frozen" in dockerfile
    assert 'CMD ["eservice", "serve"]' in dockerfile
    for path in ("src", "migrations", "services", "workflows"):
        assert f"COPY {path} " in dockerfile
