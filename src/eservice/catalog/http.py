"""HTTP details of the public catalogue: label language and conditional, cacheable answers."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

import msgspec
from litestar import Response
from litestar.params import HeaderParameter, QueryParameter

from eservice.core.errors import BadRequest

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
CACHE_CONTROL = "public, max-age=300"

Lang = Annotated[
    Literal["de", "en"] | None, QueryParameter(name="lang", description="label language")
]
AcceptLanguage = Annotated[str | None, HeaderParameter(name="Accept-Language", max_length=512)]
IfNoneMatch = Annotated[str | None, HeaderParameter(name="If-None-Match", max_length=1024)]


def choose_language(lang: str | None, accept_language: str | None) -> str:
    """``?lang=`` if given (de|en, else 400), then the best of Accept-Language, else German."""
    if lang is not None:
        if lang not in LANGUAGES:
            raise BadRequest(f"lang must be one of {', '.join(LANGUAGES)}")
        return lang
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for part in (accept_language or "")[:512].split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether If-None-Match names ``etag`` (weak comparison, ``*`` included)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        value = candidate.strip().removeprefix("W/")
        if value in {"*", etag}:
            return True
    return False


def cacheable(
    content: Any,
    if_none_match: str | None,
    *,
    media_type: str = "application/json",
    text: str | None = None,
) -> Response[bytes]:
    """The answer with ETag and Cache-Control, or 304 when the client's copy is current."""
    body = text.encode() if text is not None else msgspec.json.encode(content)
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Language, Accept"}
    if matches(if_none_match, etag):
        return Response(content=b"", status_code=304, headers=headers, media_type=media_type)
    return Response(content=body, status_code=200, headers=headers, media_type=media_type)


class Negotiated(msgspec.Struct, frozen=True, kw_only=True):
    """The label language a caller asked for, and the copy it already holds (If-None-Match)."""

    language: str
    if_none_match: str | None

    def answer(
        self, content: Any, *, media_type: str = "application/json", text: str | None = None
    ) -> Response[bytes]:
        """``cacheable`` for this caller: 304 when its copy is current."""
        return cacheable(content, self.if_none_match, media_type=media_type, text=text)


def negotiate(
    lang: str | None, accept_language: str | None, if_none_match: str | None
) -> Negotiated:
    """What a catalogue endpoint's caller asked for (400 on an unknown ``lang``).

    Every catalogue endpoint declares the three parameters (``Lang``, ``AcceptLanguage``,
    ``IfNoneMatch``) and hands them here.
    """
    return Negotiated(language=choose_language(lang, accept_language), if_none_match=if_none_match)
