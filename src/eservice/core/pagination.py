"""Keyset pagination: opaque cursors and the ``{items, next_cursor}`` page shape.

A cursor is the sort key of a page's last item, JSON-encoded and base64url'd. Every list
decodes it here, into the shape its sort key has, so that every list answers a cursor it did
not hand out the same way: 400 naming the ``cursor`` parameter.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import msgspec
from litestar.params import QueryParameter

from eservice.core.errors import BadRequest, FieldError

T = TypeVar("T")
Shape = TypeVar("Shape")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 1024

# The two query parameters of every list: Litestar validates them (400) and documents them
# from this declaration. A cursor is opaque (what ``encode_cursor`` writes): a well-formed value
# the server did not hand out answers 400 as well (``invalid_cursor``).
Limit = Annotated[
    int | None,
    QueryParameter(
        name="limit",
        ge=1,
        le=MAX_LIMIT,
        required=False,
        description=f"Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
    ),
]
Cursor = Annotated[
    str | None,
    QueryParameter(
        name="cursor",
        min_length=1,
        max_length=MAX_CURSOR_LENGTH,
        pattern=r"^[A-Za-z0-9_-]+$",
        required=False,
        description="The `next_cursor` of the previous page (opaque; any other value is a 400).",
    ),
]

# A moment in a cursor always carries its offset (the columns are timestamptz).
TzDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class TimeAndId(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    """The sort key of lists ordered by a timestamp, ties broken by id (newest first)."""

    at: TzDatetime
    id: UUID


class AfterId(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    """The sort key of lists ordered by an integer id."""

    id: int


def created_key(row: Any) -> TimeAndId:
    """The key of a row of a list ordered by ``(created_at, id)``."""
    return TimeAndId(row.created_at, row.id)


def id_key(row: Any) -> AfterId:
    """The key of a row of a list ordered by its integer ``id``."""
    return AfterId(row.id)


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


def encode_cursor(key: Any) -> str:
    """An opaque cursor holding ``key``, the sort key of the last item of a page (a Struct
    such as ``TimeAndId`` or a tuple of JSON-encodable values)."""
    raw = msgspec.json.encode(key)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cut_page(rows: Sequence[T], limit: int, key: Callable[[T], Any]) -> tuple[list[T], str | None]:
    """The first ``limit`` of ``rows`` (fetched as ``limit + 1`` to learn whether more follow)
    and the cursor after the last of them (None on the last page)."""
    page = list(rows[:limit])
    return page, encode_cursor(key(page[-1])) if len(rows) > limit else None


def invalid_cursor() -> BadRequest:
    """The one answer to a cursor this list did not hand out."""
    return BadRequest(
        "cursor is not valid",
        errors=[FieldError(pointer="query:cursor", message="not a cursor of this list")],
    )


def decode_cursor(cursor: str | None, shape: type[Shape]) -> Shape | None:
    """The sort key in ``cursor``, decoded and type-checked as ``shape`` (None without a
    cursor); 400 if it is not a cursor of this list (garbled, tampered, or another shape)."""
    if cursor is None:
        return None
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid_cursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return msgspec.json.decode(raw, type=shape)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        # msgspec.ValidationError is a DecodeError: a well-formed payload of the wrong shape.
        raise invalid_cursor() from None
