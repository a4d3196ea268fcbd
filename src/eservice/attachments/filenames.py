"""File names from clients: sanitised for storage and display, encoded for downloads."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_FILENAME_CHARS = 150
FALLBACK_STEM = "attachment"
_UNSAFE = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_SPACES = re.compile(r"\s+")


def sanitise_filename(raw: str | None, extension: str = "") -> str:
    """A harmless display name: no directories, control characters or leading dots.

    Only the last path segment of ``raw`` is kept (``../../etc/passwd`` becomes ``passwd``);
    bidirectional overrides and other invisible characters are dropped. An empty result
    becomes ``attachment`` plus ``extension``. The name is never used to build a path.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in {"C", "Z"} or ch == " ")
    name = _UNSAFE.sub("_", name)
    name = _SPACES.sub(" ", name).strip().lstrip(".").strip()
    if not name:
        return FALLBACK_STEM + extension
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_FILENAME_CHARS - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_FILENAME_CHARS].rstrip()
    return name


def ascii_fallback(name: str) -> str:
    """An ASCII-only version of ``name`` for the plain ``filename=`` parameter."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9 ._()\-+,]", "_", ascii_only).strip()
    return cleaned or FALLBACK_STEM


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the exact UTF-8 ``filename*`` (RFC 6266)."""
    encoded = quote(name, safe="")
    return f"attachment; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{encoded}"
