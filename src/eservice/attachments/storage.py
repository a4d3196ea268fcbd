"""Where attachment files live: the interface every backend implements, and its small types.

Objects are named by random keys (32 hex digits), never by anything the client sent. Uploads
are staged in ``<data_dir>/files/.staging`` whatever the backend. The backends
(``filesystem.py``, ``s3.py``) import only this module; ``backends.py`` picks one from the
settings.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Protocol

import msgspec

from eservice.core.config import Settings
from eservice.core.errors import ServiceUnavailable

CHUNK_SIZE = 64 * 1024
KEY_RE = re.compile(r"^[0-9a-f]{32}$")

log = logging.getLogger(__name__)


class StorageError(Exception):
    """The storage backend failed (unreachable, refused, inconsistent)."""


class MissingObject(StorageError):
    """No object is stored under the key."""


def storage_unavailable(cause: StorageError) -> ServiceUnavailable:
    """The problem a caller sees when the file store fails; the cause goes to the log."""
    log.warning("file store unavailable: %s", cause)
    return ServiceUnavailable(
        "The file store is not available right now; please try again later.",
        headers={"Retry-After": "30"},
    )


class StoredObject(msgspec.Struct, frozen=True):
    """An object as listed by a backend, for the leftover cleanup."""

    key: str
    modified_at: datetime


class Storage(Protocol):
    """What the attachments service needs from a storage backend."""

    async def save(self, key: str, source: Path, *, size: int, sha256: str) -> None:
        """Store the staged file ``source`` under ``key`` (``source`` may be moved away)."""

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes in chunks; raises MissingObject before the first chunk."""

    async def delete(self, key: str) -> None:
        """Remove the object; nothing happens when it is already gone."""

    def list_objects(self) -> AsyncIterator[StoredObject]:
        """Every stored object (for the leftover cleanup)."""


def new_key() -> str:
    """A fresh random object key."""
    return uuid.uuid4().hex


def check_key(key: str) -> str:
    """``key`` if it is one of ours, else ValueError (keys never come from clients)."""
    if not KEY_RE.match(key):
        raise ValueError("not a storage key")
    return key


def staging_dir(settings: Settings) -> Path:
    """Where uploads are written while they arrive."""
    return settings.data_path / "files" / ".staging"
