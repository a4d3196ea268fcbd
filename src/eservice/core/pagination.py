"""Keyset pagination: opaque cursors and the ``{items, next_cursor}`` page shape."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Generic, TypeVar

import msgspec

from eservice.core.errors import BadRequest

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

Limit = Annotated[int, msgspec.Meta(ge=1)]


class Page(msgspec.Struct, Generic[T]):
    """A page of a list; ``next_cursor`` is null on the last page."""

    items: list[T]
    next_cursor: str | None


def check_limit(limit: int | None) -> int:
    """The page size asked for, refusing anything outside 1..100."""
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def encode_cursor(values: list[Any]) -> str:
    """An opaque cursor holding the sort key of the last item of a page."""
    raw = msgspec.json.encode(values)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, size: int) -> list[Any] | None:
    """The sort key in a cursor, or 400 if it is not one of ours."""
    if cursor is None:
        return None
    if len(cursor) > 1024:
        raise BadRequest("cursor is not valid")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = msgspec.json.decode(raw)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise BadRequest("cursor is not valid") from None
    if not isinstance(values, list) or len(values) != size:
        raise BadRequest("cursor is not valid")
    return values
