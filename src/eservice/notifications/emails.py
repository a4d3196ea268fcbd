"""Email texts: per template and language (de, en), plain text plus an HTML version.

Templates live in ``templates/<lang>.yaml`` as ``subject`` and ``body`` with ``$name``
placeholders. A service may override the text of an event's email (see
``service_overrides``). The HTML version is built from the text: every value is escaped, so
nothing a user typed (a display name, say) can inject markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

import msgspec
import yaml

TEMPLATE_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"

_URL_RE = re.compile(r"https?://[^\s<>\"]+")


class RenderError(Exception):
    """A template is unknown or uses a placeholder that has no value."""


class TemplateText(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The subject and plain-text body of one email in one language."""

    subject: str
    body: str


class RenderedEmail(msgspec.Struct, frozen=True):
    subject: str
    text: str
    html: str


class _Catalogue(msgspec.Struct, frozen=True):
    templates: dict[str, TemplateText]
    footer: str


def language(locale: str | None) -> str:
    """``de`` or ``en`` from a locale such as ``en-GB``; German for anything else."""
    lang = (locale or "").split("-", 1)[0].split("_", 1)[0].lower()
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@cache
def _catalogue(lang: str) -> _Catalogue:
    raw: dict[str, Any] = yaml.safe_load((TEMPLATE_DIR / f"{lang}.yaml").read_text("utf-8"))
    footer = str(raw.pop("footer", ""))
    templates = {name: msgspec.convert(value, TemplateText) for name, value in raw.items()}
    return _Catalogue(templates=templates, footer=footer)


@cache
def _layout() -> Template:
    return Template((TEMPLATE_DIR / "layout.html").read_text("utf-8"))


def template_names() -> frozenset[str]:
    """Every template the built-in texts define (in all languages)."""
    names = set(_catalogue(DEFAULT_LANGUAGE).templates)
    for lang in LANGUAGES:
        names &= set(_catalogue(lang).templates)
    return frozenset(names)


def _substitute(text: str, context: Mapping[str, str]) -> str:
    try:
        return Template(text).substitute(context)
    except KeyError as exc:
        raise RenderError(f"placeholder ${exc.args[0]} has no value") from None
    except ValueError as exc:
        raise RenderError(f"template is malformed: {exc}") from None


def _html_body(text: str) -> str:
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(block.strip(), quote=True)
        linked = _URL_RE.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return "\n".join(paragraphs)


def render_email(
    template: str,
    locale: str | None,
    context: Mapping[str, Any],
    override: TemplateText | None = None,
) -> RenderedEmail:
    """Subject, text and HTML of ``template`` in the recipient's language."""
    lang = language(locale)
    catalogue = _catalogue(lang)
    source = override or catalogue.templates.get(template)
    if source is None:
        raise RenderError(f"unknown email template {template!r}")
    values = {key: "" if value is None else str(value) for key, value in context.items()}
    try:
        subject = _substitute(source.subject, values)
        text = _substitute(source.body, values)
    except RenderError:
        if override is None:
            raise
        return render_email(template, locale, context)
    subject = " ".join(subject.split())[:250]
    page = _layout().substitute(
        lang=lang,
        subject=html.escape(subject),
        body=_html_body(text),
        footer=html.escape(catalogue.footer),
    )
    plain = text.strip() + "\n\n-- \n" + catalogue.footer + "\n"
    return RenderedEmail(subject=subject, text=plain, html=page)


def service_overrides(definition: object, template: str, locale: str | None) -> TemplateText | None:
    """A service's own text for ``template`` in the recipient's language, if it has one.

    A service definition may carry ``notifications = {"<event type>": {"de": {subject, body},
    "en": {...}}}``; anything missing or malformed falls back to the built-in text.
    """
    texts = getattr(definition, "notifications", None)
    if not isinstance(texts, Mapping):
        return None
    per_language = texts.get(template)
    if per_language is None:
        return None
    raw = per_language.get(language(locale)) if isinstance(per_language, Mapping) else None
    if raw is None:
        raw = getattr(per_language, language(locale), None)
    if raw is None:
        return None
    try:
        return msgspec.convert(raw, TemplateText, from_attributes=True)
    except msgspec.ValidationError:
        return None
