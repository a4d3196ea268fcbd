"""Static files of the web front: content-hashed names, compressed once, cached for a year.

Every file under ``static/`` is served as ``/static/<stem>.<hash>.<ext>``; stylesheets have
their ``url(fonts/...)`` references rewritten to the hashed names first, so that a changed
font changes the stylesheet's name too. Text assets are gzip-compressed once at startup.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static/"
COMPRESSIBLE = frozenset({"text/css", "text/javascript", "image/svg+xml"})
_URL_RE = re.compile(r"url\((['\"]?)(fonts/[A-Za-z0-9_.-]+)\1\)")


@dataclass(frozen=True)
class Asset:
    """One served file: its bytes, gzip form (for text) and media type."""

    body: bytes
    gzipped: bytes | None
    media_type: str


@dataclass(frozen=True)
class AssetSet:
    """Served name → asset, and logical name (``kern.css``) → served URL."""

    by_served_name: dict[str, Asset]
    urls: dict[str, str]

    def url(self, logical: str) -> str:
        return self.urls[logical]


def _media_type(path: Path) -> str:
    if path.suffix == ".woff2":
        return "font/woff2"
    if path.suffix == ".js":
        return "text/javascript"
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _hashed_name(logical: str, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()[:12]
    stem, dot, ext = logical.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot else f"{logical}.{digest}"


@cache
def load_assets(directory: Path = STATIC_DIR) -> AssetSet:
    """Read, hash and compress every static file once per process."""
    served: dict[str, Asset] = {}
    urls: dict[str, str] = {}
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix != ".md")
    # Fonts first: stylesheets name them by their hashed URL.
    for path in sorted(files, key=lambda p: p.suffix == ".css"):
        logical = path.relative_to(directory).as_posix()
        body = path.read_bytes()
        media_type = _media_type(path)
        if path.suffix == ".css":
            text = _URL_RE.sub(
                lambda m: f"url({urls.get(m.group(2), m.group(2))})", body.decode("utf-8")
            )
            body = text.encode("utf-8")
        name = _hashed_name(logical, body)
        compressed = gzip.compress(body, 9, mtime=0) if media_type in COMPRESSIBLE else None
        served[name] = Asset(body=body, gzipped=compressed, media_type=media_type)
        urls[logical] = STATIC_PREFIX + name
    return AssetSet(by_served_name=served, urls=urls)
