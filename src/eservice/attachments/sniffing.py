"""Deciding a file's type from its bytes (magic numbers), not from its name or headers."""

from __future__ import annotations

import mimetypes
from collections.abc import Collection

import puremagic

SNIFF_BYTES = 64 * 1024
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "application/x-pdf": "application/pdf",
    "application/acrobat": "application/pdf",
}
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


def normalise_type(value: str | None) -> str:
    """``value`` as a bare lower-case MIME type without parameters, aliases resolved."""
    bare = (value or "").split(";", 1)[0].strip().lower()
    return _ALIASES.get(bare, bare)


def sniff_type(head: bytes, preferred: Collection[str] = ()) -> str | None:
    """The MIME type the leading bytes show, or None when they match no known signature.

    Among equally confident matches a ``preferred`` type wins (PDF and FDF share a prefix).
    """
    if not head:
        return None
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    candidates = [m for m in matches if m.mime_type]
    if not candidates:
        return None
    best = max(m.confidence for m in candidates)
    top = [normalise_type(m.mime_type) for m in candidates if m.confidence == best]
    for mime in top:
        if mime in preferred:
            return mime
    return top[0]


def type_from_name(filename: str) -> str | None:
    """The type a file name's extension claims, if it claims a specific one."""
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    mime = normalise_type(guessed)
    return None if mime in GENERIC_TYPES else mime


def extension_for(mime: str) -> str:
    """A file extension for ``mime`` (for files sent without a name)."""
    return _EXTENSIONS.get(mime) or mimetypes.guess_extension(mime) or ""
