"""msgspec Structs at the edge of the attachments context.

The upload itself is ``multipart/form-data`` (parsed as a stream, see ``multipart.py``) with
the fields ``file``, ``kind`` and optionally ``visibility``; everything else is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

Visibility = Literal["public", "internal"]
KIND_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"
Kind = Annotated[str, msgspec.Meta(pattern=KIND_PATTERN)]


class AttachmentOut(msgspec.Struct, kw_only=True):
    """An attachment as callers see it (``sha256`` is the hex digest of the stored bytes)."""

    id: UUID
    request_id: UUID
    kind: str
    kind_label: str
    filename: str
    content_type: str
    size: int
    sha256: str
    visibility: Visibility
    created_at: datetime
    url: str


class UploadForm(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The text fields of an upload, validated after the stream has been read."""

    kind: Kind
    visibility: Visibility = "public"
