"""The storage backend chosen by the settings (the only module that knows every backend)."""

from __future__ import annotations

from functools import lru_cache

from eservice.attachments.filesystem import FilesystemStorage
from eservice.attachments.storage import Storage
from eservice.core.config import Settings, SettingsError

_S3_SETTINGS = ("s3_endpoint_url", "s3_bucket", "s3_access_key", "s3_secret_key")


def storage_from_settings(settings: Settings) -> Storage:
    """The backend chosen by ``ESERVICE_STORAGE`` (``filesystem`` or ``s3``)."""
    if settings.storage == "s3":
        missing = [
            f"ESERVICE_{name.upper()}" for name in _S3_SETTINGS if not getattr(settings, name)
        ]
        if missing:
            raise SettingsError("ESERVICE_STORAGE=s3 needs " + ", ".join(missing))
        return _s3_storage(
            str(settings.s3_endpoint_url),
            str(settings.s3_bucket),
            str(settings.s3_access_key),
            str(settings.s3_secret_key),
            settings.s3_region,
        )
    return FilesystemStorage(settings.data_path / "files")


@lru_cache(maxsize=8)
def _s3_storage(
    endpoint_url: str, bucket: str, access_key: str, secret_key: str, region: str
) -> Storage:
    # Imported here, not at the top, so that an installation on the filesystem never loads
    # obstore's native library: it costs every API process memory and start-up time.
    from eservice.attachments.s3 import S3Storage

    # One client per configuration, so requests reuse its pooled connections.
    return S3Storage(
        endpoint_url=endpoint_url,
        bucket=bucket,
        access_key=access_key,
        secret_key=secret_key,
        region=region,
    )
