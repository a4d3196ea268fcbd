"""One typed settings object, read from ``ESERVICE_*`` environment variables.

An optional ``.env`` file in the working directory fills in variables that the real
environment does not set; it never overrides them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

import msgspec

from eservice.core.pointers import msgspec_error

PREFIX = "ESERVICE_"
DEMO_SECRET = "dev-only-insecure-secret-change-me"  # noqa: S105 - refused in production


MAX_PROCESSES = 64


class SettingsError(Exception):
    """A configuration problem, with a message naming the variable."""


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Everything configurable. Field ``foo_bar`` is read from ``ESERVICE_FOO_BAR``."""

    env: Literal["development", "test", "production"] = "development"
    debug: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    access_log: bool = True
    data_dir: str = ".data"
    # Directory holding services/ and workflows/; unset means the repository's own catalogue.
    catalog_dir: str | None = None
    host: str = "127.0.0.1"
    port: int = msgspec.field(default=8000)
    # API processes `serve` runs (uvicorn's workers); each has its own connection pool.
    processes: int = 1
    # Seconds an API process of `serve --processes` may leave the supervisor's health check
    # unanswered (uvicorn's timeout_worker_healthcheck) before it is killed and replaced.
    process_healthcheck_timeout: int = 60
    public_url: str = "http://127.0.0.1:8000"

    # Database: unset means embedded PostgreSQL under data_dir.
    database_url: str | None = None
    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_statement_timeout_ms: int = 15000

    # Secrets and tokens.
    secret_key: str = DEMO_SECRET
    jwt_issuer: str = "eservice"
    jwt_audience: str = "eservice-api"
    access_token_ttl: int = 900
    refresh_token_ttl: int = 30 * 24 * 3600
    jwt_signing_key: str | None = None
    jwt_signing_key_file: str | None = None
    jwt_verify_key_files: str = ""
    oidc_providers: str = ""
    login_max_failures: int = 5
    login_window_seconds: int = 900
    # Browser sessions of the web front: ended after this much inactivity, and at the latest
    # after the maximum; the cookie is Secure unless ESERVICE_ENV=development (None: by env).
    web_session_idle_seconds: int = 1800
    web_session_max_seconds: int = 12 * 3600
    web_cookie_secure: bool | None = None
    # Argon2id cost; unset means 3 passes over 64 MiB (1 pass over 1 MiB when ESERVICE_ENV=test).
    password_hash_time_cost: int | None = None
    password_hash_memory_kib: int | None = None

    # Requests and deadlines.
    reference_prefix: str = "HL"
    holiday_subdivision: str = "SH"
    time_zone: str = "Europe/Berlin"
    require_verified_email: bool = True
    max_body_bytes: int = 1_048_576
    max_upload_bytes: int = 20 * 1_048_576
    max_multipart_parts: int = 4

    # Data protection: drafts never submitted (or withdrawn before submission) are deleted
    # after this many days; anonymous reporters' contact data goes this long after closing.
    retention_draft_days: int = 30
    retention_contact_days: int = 90
    retention_batch_size: int = 100
    # Public reports without an account and Open311.
    # Anonymous filings per client address and window (shared by every process, PostgreSQL).
    public_reports_per_window: int = 5
    public_report_window_seconds: int = 3600
    # Reverse proxies whose X-Forwarded-For is believed (comma-separated IPs or CIDR ranges);
    # none by default, so the address is the TCP peer's.
    trusted_proxies: str = ""
    # Open311 jurisdiction_id of this installation; unset accepts any (or none).
    open311_jurisdiction: str | None = None

    # Notifications.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_tls: bool = False
    mail_from: str = "eservice <noreply@eservice.invalid>"
    retry_schedule: str = "10,60,300,1800,7200,21600"
    webhook_timeout: float = 10.0
    webhook_allow_hosts: str = ""
    worker_poll_interval: float = 1.0
    worker_batch_size: int = 20
    # A claimed delivery is retried by any worker once its lease ends (worker died mid-send).
    worker_lease_seconds: float = 60.0
    worker_metrics_port: int = 0  # 0: no separate /metrics listener for `eservice worker`
    smtp_timeout: float = 30.0
    sse_heartbeat_seconds: float = 15.0

    # Attachments.
    storage: Literal["filesystem", "s3"] = "filesystem"
    s3_endpoint_url: str | None = None
    s3_bucket: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_region: str = "us-east-1"

    # Open data (docs/open-data.md): who publishes, for which place, under which licence.
    open_data_city: str = "Lübeck"
    # Amtlicher Regionalschlüssel (12 digits) of the city, for DCAT-AP.de's politicalGeocodingURI.
    open_data_regional_key: str = "010030000000"
    open_data_publisher: str = "Hansestadt Lübeck"
    open_data_publisher_url: str = "https://www.luebeck.de/"
    open_data_contact_email: str = "opendata@eservice.invalid"
    open_data_license: Literal["dl-by-de/2.0", "dl-zero-de/2.0"] = "dl-by-de/2.0"
    # A figure drawn from fewer requests than this is withheld.
    open_data_min_count: int = 5

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def retry_delays(self) -> list[float]:
        return [float(part) for part in self.retry_schedule.split(",") if part.strip()]

    @property
    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(
            ip_network(part.strip(), strict=False)
            for part in self.trusted_proxies.split(",")
            if part.strip()
        )

    @property
    def webhook_allowed_hosts(self) -> frozenset[str]:
        return frozenset(
            h.strip().lower() for h in self.webhook_allow_hosts.split(",") if h.strip()
        )


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a minimal ``.env``: ``KEY=value`` lines, ``#`` comments, optional quotes."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> Settings:
    """Build and validate settings; raise SettingsError naming the bad variable."""
    source: dict[str, str] = read_dotenv(dotenv) if dotenv is not None else {}
    source.update(os.environ if environ is None else environ)
    known = {name.upper() for name in Settings.__struct_fields__}
    raw: dict[str, str] = {}
    for key, value in source.items():
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX) :]
        if name not in known:
            raise SettingsError(f"{key} is not a known setting (see README, Configuration)")
        if value == "" and name not in {"WEBHOOK_ALLOW_HOSTS", "JWT_VERIFY_KEY_FILES"}:
            continue
        raw[name.lower()] = value
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        error = msgspec_error(str(exc))
        name = error.pointer.removeprefix("/").split("/")[0]
        var = PREFIX + name.upper() if name else "an ESERVICE_ variable"
        raise SettingsError(f"{var} is invalid: {error.message}") from None
    _check(settings)
    return settings


def _check(settings: Settings) -> None:
    if not 1 <= settings.port <= 65535:
        raise SettingsError("ESERVICE_PORT must be between 1 and 65535")
    try:
        settings.trusted_proxy_networks  # noqa: B018 - parsed here to fail at startup
    except ValueError:
        raise SettingsError(
            "ESERVICE_TRUSTED_PROXIES must be comma-separated IP addresses or CIDR ranges"
        ) from None
    if settings.public_reports_per_window < 1 or settings.public_report_window_seconds < 1:
        raise SettingsError(
            "ESERVICE_PUBLIC_REPORTS_PER_WINDOW and ESERVICE_PUBLIC_REPORT_WINDOW_SECONDS "
            "must be at least 1"
        )
    if not 1 <= settings.processes <= MAX_PROCESSES:
        raise SettingsError(f"ESERVICE_PROCESSES must be between 1 and {MAX_PROCESSES}")
    if not 1 <= settings.open_data_min_count <= 1000:
        raise SettingsError("ESERVICE_OPEN_DATA_MIN_COUNT must be between 1 and 1000")
    if not re.fullmatch(r"[0-9]{12}", settings.open_data_regional_key):
        raise SettingsError("ESERVICE_OPEN_DATA_REGIONAL_KEY must be the 12-digit regional key")
    if settings.process_healthcheck_timeout < 1:
        raise SettingsError("ESERVICE_PROCESS_HEALTHCHECK_TIMEOUT must be at least 1 second")
    if not 60 <= settings.access_token_ttl <= 900:
        raise SettingsError("ESERVICE_ACCESS_TOKEN_TTL must be between 60 and 900 seconds")
    try:
        delays = settings.retry_delays
    except ValueError:
        raise SettingsError("ESERVICE_RETRY_SCHEDULE must be comma-separated seconds") from None
    if not delays or any(d < 0 for d in delays):
        raise SettingsError("ESERVICE_RETRY_SCHEDULE needs at least one non-negative delay")
    if settings.env == "production":
        if settings.secret_key == DEMO_SECRET or len(settings.secret_key) < 32:
            raise SettingsError(
                "ESERVICE_SECRET_KEY must be set to a random value of 32+ characters in production"
            )
        if settings.debug:
            raise SettingsError("ESERVICE_DEBUG must be off in production")
        if not (settings.jwt_signing_key or settings.jwt_signing_key_file):
            raise SettingsError(
                "ESERVICE_JWT_SIGNING_KEY_FILE (or ESERVICE_JWT_SIGNING_KEY) must be configured "
                "in production; generated development keys are refused"
            )
        if settings.database_url is None:
            raise SettingsError("ESERVICE_DATABASE_URL must be set in production")
